/* vm_expf_libm (core/vmath.h): expf over an array, the C library's own value for every element.
 *
 * glibc's expf (2.28 and later; the x86-64 build that has FMA, which glibc selects on every CPU
 * with AVX2 and FMA) reduces x·32/ln2 = k + r with k an integer, takes 2^(k/32) from a 32-entry
 * table of doubles with the exponent added, and evaluates a cubic in r, all in double with fused
 * multiply-adds; the double result is rounded to float. Done lane by lane with the same constants,
 * the same operations in the same order and the same fusions, four lanes of doubles give the same
 * doubles, hence the same floats. Its special cases are taken lane by lane too: below
 * −0x1.9fe368p6 (and −inf) the library returns +0, between that and −0x1.9d1d9ep6 the underflowing
 * product 0x1.4p-75f · 0x1.4p-75f; NaN and x above 0x1.62e42ep6 (overflow, which sets errno) go to
 * the library itself. The constants are those of the reduction (32/ln2, the rounding shift 1.5·2^52),
 * the polynomial's coefficients and the table, whose entries are 2^(i/32) rounded to double, less
 * i·2^47 in their bit patterns.
 *
 * Since the library may be another one, or another version, the vector path is used only after it
 * has given the library's bits on a fixed set of inputs (every region and boundary above), once per
 * process; otherwise, and without AVX2 and FMA, every element calls expf. */
#include "core/vmath.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VX_X86 1
#endif

static void expf_scalar(float *y, const float *x, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = expf(x[i]);
}

#ifdef VX_X86
static const uint64_t vx_tab[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
    0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
    0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
    0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540};

__attribute__((target("avx2,fma"))) static void expf_avx2(float *y, const float *x, size_t n) {
  const __m256d inv = _mm256_set1_pd(0x1.71547652b82fep+5), shift = _mm256_set1_pd(0x1.8p52);
  const __m256d c0 = _mm256_set1_pd(0x1.c6af84b912394p-20), c1 = _mm256_set1_pd(0x1.ebfce50fac4f3p-13);
  const __m256d c2 = _mm256_set1_pd(0x1.62e42ff0c52d6p-6), one = _mm256_set1_pd(1.0);
  const __m256i lo5 = _mm256_set1_epi64x(31);
  const __m128 zero_below = _mm_set1_ps(-0x1.9fe368p6f), tiny_below = _mm_set1_ps(-0x1.9d1d9ep6f);
  volatile float u = 0x1.4p-75f; /* the library's underflowing product, made at run time */
  const __m128 top = _mm_set1_ps(0x1.62e42ep6f), tiny = _mm_set1_ps(u * u);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128 xf = _mm_loadu_ps(x + i);
    __m256d xd = _mm256_cvtps_pd(xf);
    __m256d kd = _mm256_fmadd_pd(inv, xd, shift);
    __m256i ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    __m256d r = _mm256_fmsub_pd(inv, xd, kd);
    __m256i t = _mm256_i64gather_epi64((const long long *)vx_tab, _mm256_and_si256(ki, lo5), 8);
    t = _mm256_add_epi64(t, _mm256_slli_epi64(ki, 47));
    __m256d z = _mm256_fmadd_pd(c0, r, c1);
    __m256d r2 = _mm256_mul_pd(r, r);
    __m256d p = _mm256_fmadd_pd(r, c2, one);
    p = _mm256_fmadd_pd(z, r2, p);
    p = _mm256_mul_pd(p, _mm256_castsi256_pd(t));
    __m128 v = _mm256_cvtpd_ps(p);
    __m128 is_zero = _mm_cmp_ps(xf, zero_below, _CMP_LT_OQ);
    __m128 is_tiny = _mm_andnot_ps(is_zero, _mm_cmp_ps(xf, tiny_below, _CMP_LT_OQ));
    v = _mm_blendv_ps(v, tiny, is_tiny);
    v = _mm_andnot_ps(is_zero, v);
    _mm_storeu_ps(y + i, v);
    __m128 to_lib = _mm_cmp_ps(xf, top, _CMP_NLE_UQ); /* NaN or above the overflow threshold */
    int m = _mm_movemask_ps(to_lib);
    for (int j = 0; m; j++, m >>= 1)
      if (m & 1) y[i + j] = expf(x[i + j]);
  }
  if (i < n) { /* the tail through the same lanes, padded */
    float tx[4] = {0, 0, 0, 0}, ty[4];
    memcpy(tx, x + i, (n - i) * sizeof(float));
    expf_avx2(ty, tx, 4);
    memcpy(y + i, ty, (n - i) * sizeof(float));
  }
}

/* Inputs that visit every region: consecutive floats at each threshold, a sweep over the whole
 * range, ±0, ±inf and NaN. */
static int vx_agrees(void) {
  enum { N = 4096 };
  static const float edges[] = {-0x1.9fe368p6f, -0x1.9d1d9ep6f, 0x1.62e42ep6f, -88.0f, 88.0f, 0.0f};
  float in[N], out[N];
  int n = 0;
  for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) {
    float v = edges[e];
    for (int k = 0; k < 8; k++) v = nextafterf(v, -INFINITY);
    for (int k = 0; k < 16; k++, v = nextafterf(v, INFINITY)) in[n++] = v;
  }
  in[n++] = -0.0f, in[n++] = INFINITY, in[n++] = -INFINITY, in[n++] = NAN, in[n++] = -110.0f;
  for (int k = 0; n < N; k++) in[n++] = -110.0f + 200.0f * (float)k / (float)(N - 128);
  expf_avx2(out, in, N);
  for (int k = 0; k < N; k++) {
    float want = expf(in[k]);
    if (memcmp(&want, &out[k], sizeof want) && !(isnan(want) && isnan(out[k]))) return 0;
  }
  return 1;
}
#endif

/* 0: not decided yet; 1: the vector path agrees with the library; 2: expf element by element. */
static atomic_int vx_state;

void vm_expf_libm(float *y, const float *x, size_t n) {
#ifdef VX_X86
  int s = atomic_load_explicit(&vx_state, memory_order_acquire);
  if (s == 0) { /* threads that get here together decide alike */
    s = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && vx_agrees() ? 1 : 2;
    atomic_store_explicit(&vx_state, s, memory_order_release);
  }
  if (s == 1) {
    expf_avx2(y, x, n);
    return;
  }
#endif
  expf_scalar(y, x, n);
}

int vm_expf_libm_vectorised(void) {
  float y, x = 0;
  vm_expf_libm(&y, &x, 1);
#ifdef VX_X86
  return atomic_load(&vx_state) == 1;
#else
  return 0;
#endif
}
