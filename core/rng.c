/* Seeded random numbers: xoshiro256** (Blackman & Vigna) seeded through splitmix64.
 * Named streams hash the name into the seed, so consumers never shift each other's numbers. */
#include "core/rng.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sgp_hash64(const void *data, size_t n, uint64_t h0) {
  const unsigned char *p = data;
  uint64_t h = h0 ? h0 : 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void sgp_rng_seed(sgp_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  r->have_spare = 0;
  r->spare = 0;
}

void sgp_rng_stream(sgp_rng *r, uint64_t seed, const char *name) {
  uint64_t h = 0;
  for (const char *p = name; *p; p++) h = sgp_hash64(p, 1, h);
  uint64_t x = seed ^ 0x5851f42d4c957f2dULL;
  uint64_t mixed = splitmix64(&x) ^ h;
  sgp_rng_seed(r, mixed);
}

void sgp_rng_child(sgp_rng *out, const sgp_rng *parent, uint64_t index) {
  uint64_t x = parent->s[0] ^ rotl(parent->s[1], 17) ^ rotl(parent->s[2], 31) ^ rotl(parent->s[3], 47);
  x ^= splitmix64(&index) + 0x2545f4914f6cdd1dULL;
  sgp_rng_seed(out, x);
}

uint64_t sgp_rng_u64(sgp_rng *r) {
  uint64_t *s = r->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double sgp_rng_uniform(sgp_rng *r) { return (double)(sgp_rng_u64(r) >> 11) * 0x1.0p-53; }

/* One Box–Muller pair from its two uniforms: the reference every normal of this file equals. */
static void bm_pair(double u1, double u2, double *c, double *s) {
  double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
  *s = rad * sin(th);
  *c = rad * cos(th);
}

static double bm_u1(sgp_rng *r) {
  double u1;
  do u1 = sgp_rng_uniform(r); while (u1 <= 0.0);
  return u1;
}

double sgp_rng_normal(sgp_rng *r) {
  if (r->have_spare) {
    r->have_spare = 0;
    return r->spare;
  }
  double u1 = bm_u1(r), c, s;
  bm_pair(u1, sgp_rng_uniform(r), &c, &s);
  r->spare = s;
  r->have_spare = 1;
  return c;
}

/* ---- normals in batches, bit for bit ----------------------------------------------------------
 * Four pairs at once in lanes of doubles, with libm's floats bit for bit: compute v in double far
 * more accurately than the float result needs, round it to float, and keep that float only where v
 * lies at least delta·|v| away from both rounding boundaries (the midpoints to its float
 * neighbours). libm computes the same value with an error below delta·|v|, so its float is the same
 * one; the other pairs (about 2·delta/2^−24 of them) are recomputed by bm_pair, and so are angles
 * within 2^−20 of a multiple of π/2 (where cos or sin nears 0 and relative accuracy would need a
 * finer reduction). log(u) = e ln2 + log(m) with m in [√½, √2) and
 * log(m) = f − f²/2 + s(f²/2 + R(s²)), s = f/(2 + f) (fdlibm's reduction and its minimax
 * coefficients Lg1–Lg7); θ = 2πu2 reduced by k·π/2 (π/2 in two parts, k·part 1 exact) to
 * |r| <= π/4, then sin r and cos r by fdlibm's kernel polynomials. Relative error of the products a
 * few 2^−53, libm's too, against delta = 2^−40. tests/test_rng_batch.c checks the bits. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef double v4d __attribute__((vector_size(32), aligned(8), may_alias));
typedef int64_t v4l __attribute__((vector_size(32), aligned(8), may_alias));
typedef float v4f __attribute__((vector_size(16), aligned(4), may_alias));
typedef int32_t v4i __attribute__((vector_size(16), aligned(4), may_alias));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define VX_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VX_CLONES
#endif
#define VX_AI __attribute__((always_inline)) static inline

VX_AI v4d vx_splat(double c) { return (v4d){0} + c; }
VX_AI v4d vx_sel(v4l m, v4d a, v4d b) { return (v4d)((m & (v4l)a) | (~m & (v4l)b)); }

/* f = (float)v lane by lane; returns all ones in the lanes where f is certainly libm's float (v
 * finite, |f| a normal float below FLT_MAX, v at least delta·|v| from both midpoints). */
VX_AI v4l vx_to_float(v4d v, double delta, v4f *f) {
  v4f r = __builtin_convertvector(v, v4f);
  v4i b = (v4i)r & 0x7fffffff;
  v4f up = (v4f)(b + 1), dn = (v4f)(b - 1); /* the neighbours of |f| */
  v4d a = __builtin_convertvector((v4f)b, v4d);
  v4d av = vx_sel((v4l)(v < 0), -v, v);
  v4d hi = (a + __builtin_convertvector(up, v4d)) * 0.5, lo = (a + __builtin_convertvector(dn, v4d)) * 0.5;
  v4d tol = av * delta;
  v4l ok = __builtin_convertvector((b >= 0x00800000) & (b < 0x7f7fffff), v4l);
  *f = r;
  return ok & (hi - av > tol) & (av - lo > tol);
}

#define BM_DELTA 0x1p-40

VX_AI v4d bm_log(v4d u) {
  v4l b = (v4l)u;
  v4l e = (b >> 52) - 1023;
  v4d m = (v4d)((b & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);
  v4l big = m > 1.4142135623730951;
  m = vx_sel(big, m * 0.5, m);
  e = e - big; /* big is −1 where true */
  v4d f = m - 1.0, s = f / (f + 2.0), z = s * s;
  v4d R = vx_splat(1.479819860511658591e-01);
  R = R * z + 1.531383769920937332e-01;
  R = R * z + 1.818357216161805012e-01;
  R = R * z + 2.222219843214978396e-01;
  R = R * z + 2.857142874366239149e-01;
  R = R * z + 3.999999999940941908e-01;
  R = R * z + 6.666666666666735130e-01;
  R = R * z;
  v4d hfsq = 0.5 * f * f, ed = __builtin_convertvector(e, v4d);
  v4d lm = f - (hfsq - s * (hfsq + R));
  return ed * 6.93147180369123816490e-01 + (ed * 1.90821492927058770002e-10 + lm);
}

/* sin θ and cos θ for θ in [0, 2π]; *ok cleared where θ is within 2^−20 of a multiple of π/2 */
VX_AI void bm_sincos(v4d th, v4d *sn, v4d *cs, v4l *ok) {
  const double magic = 0x1.8p52;
  v4d t = th * 6.36619772367581382433e-01 + magic;
  v4l k = (v4l)t - (v4l)vx_splat(magic);
  v4d kd = t - magic;
  v4d r = (th - kd * 1.57079632673412561417e+00) - kd * 6.07710050650619224932e-11;
  v4d z = r * r;
  v4d ps = vx_splat(1.58969099521155010221e-10);
  ps = ps * z + -2.50507602534068634195e-08;
  ps = ps * z + 2.75573137070700676789e-06;
  ps = ps * z + -1.98412698298579493134e-04;
  ps = ps * z + 8.33333333332248946124e-03;
  ps = ps * z + -1.66666666666666324348e-01;
  v4d s = r + r * z * ps;
  v4d pc = vx_splat(-1.13596475577881948265e-11);
  pc = pc * z + 2.08757232129817482790e-09;
  pc = pc * z + -2.75573143513906633035e-07;
  pc = pc * z + 2.48015872894767294178e-05;
  pc = pc * z + -1.38888888888741095749e-03;
  pc = pc * z + 4.16666666666666019037e-02;
  v4d c = (1.0 - 0.5 * z) + z * z * pc;
  v4l q = k & 3, swap = (q & 1) != 0;
  v4d s2 = vx_sel(swap, c, s), c2 = vx_sel(swap, s, c);
  *sn = vx_sel(q >= 2, -s2, s2);
  *cs = vx_sel((q == 1) | (q == 2), -c2, c2);
  *ok = *ok & (vx_sel((v4l)(r < 0), -r, r) >= 0x1p-20);
}

VX_CLONES void sgp_box_muller_f(const double *u1, const double *u2, const double *sc, float *z, size_t m) {
  size_t p = 0;
  for (; p + 4 <= m; p += 4) {
    v4d a, b;
    memcpy(&a, u1 + p, sizeof a);
    memcpy(&b, u2 + p, sizeof b);
    v4d y = -2.0 * bm_log(a), rad;
    for (int l = 0; l < 4; l++) rad[l] = sqrt(y[l]);
    v4d sn, cs, s0, s1;
    v4l ok = (v4l){0} - 1;
    bm_sincos(2.0 * M_PI * b, &sn, &cs, &ok);
    for (int l = 0; l < 4; l++) s0[l] = sc[2 * (p + l)], s1[l] = sc[2 * (p + l) + 1];
    v4f fc, fs;
    ok = ok & vx_to_float(s0 * (rad * cs), BM_DELTA, &fc) & vx_to_float(s1 * (rad * sn), BM_DELTA, &fs);
    for (int l = 0; l < 4; l++) {
      float *o = z + 2 * (p + l);
      if (ok[l]) {
        o[0] = fc[l];
        o[1] = fs[l];
      } else {
        double c, s;
        bm_pair(u1[p + l], u2[p + l], &c, &s);
        o[0] = (float)(s0[l] * c);
        o[1] = (float)(s1[l] * s);
      }
    }
  }
  for (; p < m; p++) {
    double c, s;
    bm_pair(u1[p], u2[p], &c, &s);
    z[2 * p] = (float)(sc[2 * p] * c);
    z[2 * p + 1] = (float)(sc[2 * p + 1] * s);
  }
}

void sgp_rng_normal_f(sgp_rng *r, float *z, const double *scale, size_t n) {
  enum { P = 128 };
  double u1[P], u2[P], one[2 * P];
  size_t i = 0;
  if (!scale)
    for (size_t k = 0; k < 2 * P; k++) one[k] = 1.0;
  if (n && r->have_spare) {
    z[0] = (float)((scale ? scale[0] : 1.0) * sgp_rng_normal(r));
    i = 1;
  }
  while (n - i >= 2) {
    size_t m = (n - i) / 2 < P ? (n - i) / 2 : P;
    for (size_t k = 0; k < m; k++) {
      u1[k] = bm_u1(r);
      u2[k] = sgp_rng_uniform(r);
    }
    sgp_box_muller_f(u1, u2, scale ? scale + i : one, z + i, m);
    i += 2 * m;
  }
  if (i < n) z[i] = (float)((scale ? scale[i] : 1.0) * sgp_rng_normal(r));
}

uint64_t sgp_rng_below(sgp_rng *r, uint64_t n) {
  /* rejection from the top of the range: unbiased */
  uint64_t lim = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = sgp_rng_u64(r); while (x >= lim);
  return x % n;
}

void sgp_rng_fill_uniform(sgp_rng *r, float *x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * sgp_rng_uniform(r));
}

void sgp_rng_fill_normal(sgp_rng *r, float *x, size_t n, float mean, float std) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(mean + std * sgp_rng_normal(r));
}

void sgp_rng_permutation(sgp_rng *r, int *perm, int n) {
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)sgp_rng_below(r, (uint64_t)i + 1);
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}
