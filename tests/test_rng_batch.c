// ctest-labels: unit core
/* The batched normals of core/rng.c (sgp_box_muller_f, sgp_rng_normal_f) against the scalar
 * Box–Muller reference (sqrt(−2 log u1)·cos/sin(2π u2), written out here) and against n calls of
 * sgp_rng_normal: the same floats bit for bit.
 *
 * Inputs: 2·10^6 random pairs, and the extremes: u1 = 2^−53 (the smallest uniform), 1 − 2^−53,
 * √½ and ½ with their neighbours; u2 at and around 0, ¼, ½, ¾ (θ a multiple of π/2: cos or sin near 0) and 1 − 2^−53; scales 0, ±1,
 * tiny (results below FLT_MIN), huge (overflow to inf), and random. Lengths 0–9, 16, 17, 255–257
 * and 699 (odd, batch 1), and the spare normal of sgp_rng_normal carried in and out. The count of
 * differing floats must be 0; the worst difference in float ulps is printed. */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fbits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
static double ulps_apart(float a, float b) {
  if (fbits(a) == fbits(b) || (isnan(a) && isnan(b))) return 0;
  if (!isfinite(a) || !isfinite(b)) return INFINITY;
  return fabs((double)a - b) / fmax(0x1p-149, ldexp(1.0, ilogb(fmax(fabs(a), fabs(b))) - 23));
}

/* ---- Box–Muller ---- */
static long n_bm, bad_bm;
static double worst_bm;

static void bm_check(const double *u1, const double *u2, const double *sc, size_t m) {
  float *z = malloc(sizeof(float) * 2 * (m + 1));
  sgp_box_muller_f(u1, u2, sc, z, m);
  for (size_t p = 0; p < m; p++) {
    double rad = sqrt(-2.0 * log(u1[p])), th = 2.0 * M_PI * u2[p];
    double c = rad * cos(th), s = rad * sin(th);
    float want[2] = {(float)(sc[2 * p] * c), (float)(sc[2 * p + 1] * s)};
    for (int j = 0; j < 2; j++) {
      float got = z[2 * p + j];
      if (fbits(got) != fbits(want[j]) && !(isnan(got) && isnan(want[j]))) {
        if (bad_bm < 5) fprintf(stderr, "box-muller(%a, %a)·%a: got %a want %a\n", u1[p], u2[p], sc[2 * p + j], got, want[j]);
        bad_bm++;
      }
      double u = ulps_apart(got, want[j]);
      if (u > worst_bm) worst_bm = u;
    }
  }
  n_bm += (long)(2 * m);
  free(z);
}

static void test_box_muller(sgp_rng *r) {
  enum { M = 2048 };
  static double u1[M], u2[M], sc[2 * M];
  for (int rep = 0; rep < 1000; rep++) {
    for (int p = 0; p < M; p++) {
      do u1[p] = sgp_rng_uniform(r); while (u1[p] <= 0);
      u2[p] = sgp_rng_uniform(r);
    }
    for (int i = 0; i < 2 * M; i++) sc[i] = rep % 2 ? 1.0 : 0.05 + 3 * sgp_rng_uniform(r);
    bm_check(u1, u2, sc, M);
  }
  /* extremes of both uniforms, crossed */
  const double e1[] = {0x1p-53, 0x1p-52, 1 - 0x1p-53, 1 - 0x1p-52, 0.5, 0.5 - 0x1p-54, 0.5 + 0x1p-53,
                       0.70710678118654746, 0.70710678118654757, 0.70710678118654768, 0.25, 1e-10};
  double base2[] = {0.0, 0.25, 0.5, 0.75, 1 - 0x1p-53, 0.125};
  int m = 0;
  for (size_t a = 0; a < sizeof e1 / sizeof *e1; a++)
    for (size_t b = 0; b < sizeof base2 / sizeof *base2; b++)
      for (int d = -3; d <= 3; d++) {
        double v = base2[b] + d * 0x1p-53;
        if (v < 0 || v >= 1) continue;
        u1[m] = e1[a];
        u2[m] = v;
        m++;
      }
  const double scales[] = {1.0, -1.0, 0.0, 1e-40, -1e-45, 1e300, 0.3, 7.0};
  for (size_t s = 0; s < sizeof scales / sizeof *scales; s++) {
    for (int i = 0; i < 2 * m; i++) sc[i] = scales[s];
    bm_check(u1, u2, sc, (size_t)m);
  }
  for (int len = 0; len <= 9; len++) bm_check(u1 + 3, u2 + 3, sc, (size_t)len); /* short and batch 1 */
  printf("sgp_box_muller_f: %ld normals, %ld differ from the scalar reference\n", n_bm, bad_bm);
  CHECK(bad_bm == 0, "sgp_box_muller_f differs from the scalar reference in %ld of %ld", bad_bm, n_bm);
  CHECK_WORST("sgp_box_muller_f against the reference (float ulps)", worst_bm, 0);
}

/* sgp_rng_normal_f = n calls of sgp_rng_normal, spare and all; the generator's state after too */
static void test_rng_normal_f(sgp_rng *r) {
  long bad = 0, total = 0, bad_state = 0;
  float z[700];
  double sc[700];
  const size_t lens[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 255, 256, 257, 699};
  for (int seed = 0; seed < 40; seed++)
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++)
      for (int spare = 0; spare < 2; spare++)
        for (int scaled = 0; scaled < 2; scaled++) {
          size_t n = lens[li];
          for (size_t i = 0; i < n; i++) sc[i] = 2 * sgp_rng_uniform(r) - 1;
          sgp_rng a, b;
          sgp_rng_seed(&a, (uint64_t)seed * 7919 + li);
          if (spare) (void)sgp_rng_normal(&a);
          b = a;
          sgp_rng_normal_f(&a, z, scaled ? sc : NULL, n);
          for (size_t i = 0; i < n; i++) {
            double v = sgp_rng_normal(&b);
            float want = scaled ? (float)(sc[i] * v) : (float)v;
            bad += fbits(z[i]) != fbits(want);
          }
          total += (long)n;
          bad_state += memcmp(a.s, b.s, sizeof a.s) != 0 || a.have_spare != b.have_spare ||
                       (a.have_spare && a.spare != b.spare);
        }
  printf("sgp_rng_normal_f: %ld normals, %ld differ from sgp_rng_normal, %ld states differ\n", total, bad, bad_state);
  CHECK(bad == 0 && bad_state == 0, "sgp_rng_normal_f differs from sgp_rng_normal");
}

int main(void) {
  sgp_rng r;
  sgp_rng_seed(&r, 20261206);
  test_box_muller(&r);
  test_rng_normal_f(&r);
  return tu_done("test_rng_batch");
}
