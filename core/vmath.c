/* Vectorised float math for the elementwise passes of core/nn.c (declared in core/vmath.h).
 *
 * Everything is built on one exp kernel: Cody–Waite reduction x = n ln2 + r, |r| <= ln2/2 (ln2
 * split in two so that n·ln2_hi is exact), then the Cephes expf polynomial for e^r − 1 = r + r²P(r)
 * (degree 5), and 2^n assembled in the exponent bits as two factors 2^⌊n/2⌋ · 2^(n−⌊n/2⌋), each a
 * normal float for n in [−252, 128], so that overflow (+inf) and gradual underflow (subnormals, 0)
 * come out of the final multiplications with a single rounding. The same pieces give e^x − 1
 * without cancellation for x <= 0: (2^n − 1) + 2^n·q, both terms exact but the sum.
 *
 *   exp(x)      = (1 + q)·2^n                       x clamped to [−120, 89] (0 below ~−103.97)
 *   silu(x)     = x / (1 + e)  (x >= 0),  x·e / (1 + e)  (x < 0),   e = e^−|x| never overflows
 *   silu'(x)    = σ (1 + x (1 − σ)),  σ = 1/(1 + e) or e/(1 + e), 1 − σ the other one
 *   elu(x)      = x > 0 ? x : α·expm1(x)             elu'(x) = x > 0 ? 1 : α e^x
 *   tanh(x)     = sign(x) · |m / (2 + m)|,  m = expm1(−2|x|)   (relative accuracy down to 0)
 *   tanh'(x)    = 4e / (2 + m)²,  e = e^−2|x| = 1 + m           (no 1 − t² cancellation)
 * (2 + m is computed as 1 + e once e < 1/2: each form where it is the more accurate).
 *
 * Lanes are GCC/Clang vector extensions of 8 floats (one AVX register, two SSE or NEON ones). On
 * x86-64 with GCC every kernel is compiled twice (x86-64-v3 and baseline) and picked at load time,
 * as in agents/distance.c. There is no FMA contraction in either, so both give the same bits (NaN
 * payloads aside; checked on every 97th float bit pattern against GCC's baseline and clang builds).
 * NaN propagates (every comparison below is false for NaN and every select keeps it); ±inf give the
 * limits: silu(+inf) = +inf, silu(−inf) = −0, elu(−inf) = −α, tanh(±inf) = ±1, and derivatives
 * 1, 0, 0, 0 at those ends. Accuracy: tests/test_vmath.c. */
#include "core/vmath.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

/* Vectors pass by value only into always-inlined helpers, so no call crosses the ABI. */
#pragma GCC diagnostic ignored "-Wpsabi"
#if defined(__clang__)
#pragma clang fp contract(off) /* the same IEEE operations on every target: same bits */
#endif

typedef float v8f __attribute__((vector_size(32), aligned(4), may_alias));
typedef int32_t v8i __attribute__((vector_size(32), aligned(4), may_alias));
typedef uint32_t v8u __attribute__((vector_size(32), aligned(4), may_alias));
enum { VW = 8 };

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define VM_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VM_CLONES
#endif
#define VM_AI __attribute__((always_inline)) static inline

#define SIGN 0x80000000u

VM_AI v8f splat(float c) { return (v8f){0} + c; }
/* m ? a : b lane by lane (m: all ones or all zeros, as comparisons give) */
VM_AI v8f sel(v8i m, v8f a, v8f b) { return (v8f)((m & (v8i)a) | (~m & (v8i)b)); }
VM_AI v8f neg_abs(v8f x) { return (v8f)((v8u)x | SIGN); }

/* x = n ln2 + r;  q = e^r − 1;  2^n = s1·s2.  x in [−120, 89] or NaN (then q is NaN). */
VM_AI void exp_parts(v8f x, v8f *q, v8f *s1, v8f *s2) {
  const float magic = 12582912.0f; /* 1.5·2^23: adding it rounds to the nearest integer */
  v8f t = x * 1.44269504088896341f + magic;
  v8u n = (v8u)t - (v8u)splat(magic); /* unsigned: wraps (NaN lanes), never overflows */
  v8f nf = t - magic;
  v8f r = x - nf * 0.693359375f;      /* ln2 = 0.693359375 − 2.12194440e-4: first product exact */
  r = r - nf * -2.12194440e-4f;
  v8f p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  *q = (r * r) * p + r;
  v8u h = (v8u)((v8i)n >> 1); /* ⌊n/2⌋ */
  *s1 = (v8f)((h + 127u) << 23);
  *s2 = (v8f)((n - h + 127u) << 23);
}

VM_AI v8f v_exp(v8f x) {
  x = sel(x < -120.0f, splat(-120.0f), x);
  x = sel(x > 89.0f, splat(89.0f), x);
  v8f q, s1, s2;
  exp_parts(x, &q, &s1, &s2);
  return ((q + 1.0f) * s1) * s2;
}

/* e = e^x and m = e^x − 1 for x <= 0 (or NaN). */
VM_AI void expm1_neg(v8f x, v8f *e, v8f *m) {
  x = sel(x < -120.0f, splat(-120.0f), x);
  v8f q, s1, s2;
  exp_parts(x, &q, &s1, &s2);
  v8f sn = s1 * s2; /* 2^n: exact, or 0 below 2^−149 where m = −1 anyway */
  *e = ((q + 1.0f) * s1) * s2;
  *m = (sn - 1.0f) + sn * q;
}

/* x clamped to [−120, 120] (NaN kept): beyond, silu and its derivative are exactly their limits
 * in float, and e^−120 = 0 after the scaling, while ⌊n/2⌋ >= −87 keeps both factors normal. */
VM_AI v8f clamp120(v8f x) {
  x = sel(x < -120.0f, splat(-120.0f), x);
  return sel(x > 120.0f, splat(120.0f), x);
}

/* For x < 0 the numerator x·e^x is assembled as ((x(1 + q))·2^h)·2^(n−h): rounded once, also where
 * it is subnormal (x·e with e already a subnormal would keep only e's few significant bits). */
VM_AI v8f v_silu(v8f x) {
  v8f xc = clamp120(x), q, s1, s2;
  exp_parts(neg_abs(xc), &q, &s1, &s2);
  v8f e = ((q + 1.0f) * s1) * s2; /* e^−|x| */
  return sel(x >= 0.0f, x, ((xc * (q + 1.0f)) * s1) * s2) / (e + 1.0f);
}

/* k = (1 + x(1 − σ))/(1 + e), then silu' = k (x >= 0) or k·e (x < 0), scaled as above. */
VM_AI v8f v_silu_grad(v8f x, v8f dy) {
  v8f xc = clamp120(x), q, s1, s2;
  exp_parts(neg_abs(xc), &q, &s1, &s2);
  v8f e = ((q + 1.0f) * s1) * s2;
  v8i pos = x >= 0.0f;
  v8f inv = 1.0f / (e + 1.0f);
  v8f c = sel(pos, e * inv, inv); /* 1 − σ(x) */
  v8f k = (xc * c + 1.0f) * inv;
  return dy * sel(pos, k, ((k * (q + 1.0f)) * s1) * s2);
}

VM_AI v8f v_elu(v8f x, float alpha) {
  v8i pos = x > 0.0f;
  v8f e, m;
  expm1_neg(sel(pos, splat(0.0f), x), &e, &m);
  m = (v8f)((v8u)m | SIGN); /* m <= 0: keeps elu(−0) = −0 */
  return sel(pos, x, m * alpha);
}

VM_AI v8f v_elu_grad(v8f x, v8f dy, float alpha) {
  v8i pos = x > 0.0f;
  v8f e, m;
  expm1_neg(sel(pos, splat(0.0f), x), &e, &m);
  return sel(pos, dy, (e * alpha) * dy);
}

/* 2 + m = 1 + e: the first form is the more accurate while m is small, the second once e is */
VM_AI v8f tanh_den(v8f e, v8f m) { return sel(m > -0.5f, m + 2.0f, e + 1.0f); }

VM_AI v8f v_tanh(v8f x) {
  v8f e, m;
  expm1_neg(neg_abs(x) * 2.0f, &e, &m);
  v8f t = m / tanh_den(e, m); /* −tanh|x| */
  return (v8f)(((v8u)t & ~SIGN) | ((v8u)x & SIGN));
}

VM_AI v8f v_tanh_grad(v8f x, v8f dy) {
  v8f e, m;
  expm1_neg(neg_abs(x) * 2.0f, &e, &m);
  v8f d = tanh_den(e, m);
  return dy * ((e * 4.0f) / (d * d));
}

/* ---------------------------------------------------------------------------------------------- */

enum { OP_EXP, OP_SILU, OP_SILU_GRAD, OP_ELU, OP_ELU_GRAD, OP_TANH, OP_TANH_GRAD };

VM_AI v8f apply(int op, v8f x, v8f dy, float a) {
  switch (op) {
  case OP_EXP: return v_exp(x);
  case OP_SILU: return v_silu(x);
  case OP_SILU_GRAD: return v_silu_grad(x, dy);
  case OP_ELU: return v_elu(x, a);
  case OP_ELU_GRAD: return v_elu_grad(x, dy, a);
  case OP_TANH: return v_tanh(x);
  default: return v_tanh_grad(x, dy);
  }
}

/* y = op(x, dy) over n elements; the tail goes through the same vector code on a padded copy, so
 * an element's bits never depend on its position. dy is read only by the backward ops. */
VM_AI void run(int op, float *y, const float *x, const float *dy, size_t n, float a) {
  size_t i = 0;
  for (; i + VW <= n; i += VW) *(v8f *)(y + i) = apply(op, *(const v8f *)(x + i), *(const v8f *)(dy + i), a);
  if (i < n) {
    float tx[VW] = {0}, td[VW] = {0};
    memcpy(tx, x + i, (n - i) * sizeof(float));
    memcpy(td, dy + i, (n - i) * sizeof(float));
    v8f r = apply(op, *(v8f *)tx, *(v8f *)td, a);
    memcpy(y + i, &r, (n - i) * sizeof(float));
  }
}

VM_CLONES static void kernel(int op, float *y, const float *x, const float *dy, size_t n, float a) {
  switch (op) { /* each case inlines run() with a constant op: one specialised loop per operation */
  case OP_EXP: run(OP_EXP, y, x, dy, n, a); break;
  case OP_SILU: run(OP_SILU, y, x, dy, n, a); break;
  case OP_SILU_GRAD: run(OP_SILU_GRAD, y, x, dy, n, a); break;
  case OP_ELU: run(OP_ELU, y, x, dy, n, a); break;
  case OP_ELU_GRAD: run(OP_ELU_GRAD, y, x, dy, n, a); break;
  case OP_TANH: run(OP_TANH, y, x, dy, n, a); break;
  default: run(OP_TANH_GRAD, y, x, dy, n, a); break;
  }
}

void vm_exp(float *y, const float *x, size_t n) { kernel(OP_EXP, y, x, x, n, 0); }
void vm_silu(float *y, const float *x, size_t n) { kernel(OP_SILU, y, x, x, n, 0); }
void vm_silu_grad(float *dx, const float *dy, const float *x, size_t n) { kernel(OP_SILU_GRAD, dx, x, dy, n, 0); }
void vm_elu(float *y, const float *x, size_t n, float alpha) { kernel(OP_ELU, y, x, x, n, alpha); }
void vm_elu_grad(float *dx, const float *dy, const float *x, size_t n, float alpha) {
  kernel(OP_ELU_GRAD, dx, x, dy, n, alpha);
}
void vm_tanh(float *y, const float *x, size_t n) { kernel(OP_TANH, y, x, x, n, 0); }
void vm_tanh_grad(float *dx, const float *dy, const float *x, size_t n) { kernel(OP_TANH_GRAD, dx, x, dy, n, 0); }
