// ctest-labels: unit core
/* vm_expf_libm (core/vexpf.c) against the C library's expf, bit for bit: consecutive floats around
 * every threshold of the library's special cases and of the table reduction's rounding, a dense
 * sweep of [−110, 95], random bit patterns over every float, ±0, ±inf, NaN, arrays of every length
 * 0..19 (the padded tail) and in place. With SGP_EXHAUSTIVE=1 it checks all 2^32 bit patterns. */
#include "testutil.h"

#include "core/vmath.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static long mismatches, checked;

static void check_array(const float *x, size_t n, const char *what) {
  float *y = malloc((n ? n : 1) * sizeof(float));
  vm_expf_libm(y, x, n);
  long bad = 0;
  for (size_t i = 0; i < n; i++) {
    float want = expf(x[i]);
    int same = !memcmp(&want, &y[i], sizeof want) || (isnan(want) && isnan(y[i]));
    if (!same && bad++ < 3)
      fprintf(stderr, "  %s: expf(%a) = %a, vm_expf_libm gives %a\n", what, (double)x[i], (double)want,
              (double)y[i]);
  }
  mismatches += bad, checked += (long)n;
  CHECK(bad == 0, "%s: %ld of %zu elements differ from expf", what, bad, n);
  free(y);
}

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

int main(void) {
  printf("vector path: %s\n", vm_expf_libm_vectorised() ? "yes (AVX2, FMA, agrees with the library)"
                                                         : "no (the library's expf per element)");
  enum { M = 1 << 20 };
  float *x = malloc(M * sizeof(float));
  /* around the thresholds: underflow to 0, the underflowing product, overflow, |x| = 88 (the
   * library's first test), 0, and the reduction's half-way points k + 1/2 of x·32/ln2 */
  const float edges[] = {-0x1.9fe368p6f, -0x1.9d1d9ep6f, 0x1.62e42ep6f, -88.0f, 88.0f, 0.0f, -0.0f,
                         0x1p-126f,      -0x1p-126f,     1.0f,          -1.0f,  -104.0f};
  size_t n = 0;
  for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) {
    float v = edges[e];
    for (int k = 0; k < 64; k++) v = nextafterf(v, -INFINITY);
    for (int k = 0; k < 128; k++, v = nextafterf(v, INFINITY)) x[n++] = v;
  }
  for (int k = -4800; k <= 4100; k += 7) { /* x near (k + 1/2)·ln2/32 */
    float v = (float)((k + 0.5) * 0.021660849392498290);
    for (int j = 0; j < 4; j++, v = nextafterf(v, INFINITY)) x[n++] = v;
  }
  check_array(x, n, "thresholds and half-way points");
  n = 0;
  for (int k = 0; k < 400000; k++) x[n++] = -110.0f + 205.0f * (float)k / 400000.0f;
  check_array(x, n, "sweep of [-110, 95]");
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (n = 0; n < (size_t)M; n++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    x[n] = from_bits((uint32_t)(s >> 11));
  }
  check_array(x, n, "random bit patterns");
  const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-45f, -1e-45f, 200.0f, -200.0f};
  check_array(special, sizeof special / sizeof special[0], "special values");
  for (size_t len = 0; len < 20; len++) { /* every tail length, in place */
    float a[20], b[20];
    for (size_t i = 0; i < len; i++) a[i] = b[i] = -100.0f + 11.3f * (float)i;
    vm_expf_libm(a, a, len);
    int same = 1;
    for (size_t i = 0; i < len; i++) {
      float want = expf(b[i]);
      same &= !memcmp(&want, &a[i], sizeof want);
    }
    CHECK(same, "length %zu in place: differs from expf", len);
  }
  const char *ex = getenv("SGP_EXHAUSTIVE");
  if (ex && !strcmp(ex, "1")) {
    long bad = 0;
    float *y = malloc(M * sizeof(float));
    for (uint64_t hi = 0; hi < (1ull << 32); hi += M) {
      for (uint32_t i = 0; i < (uint32_t)M; i++) x[i] = from_bits((uint32_t)(hi + i));
      vm_expf_libm(y, x, M);
      for (uint32_t i = 0; i < (uint32_t)M; i++) {
        float want = expf(x[i]);
        bad += memcmp(&want, &y[i], sizeof want) && !(isnan(want) && isnan(y[i]));
      }
    }
    free(y);
    checked += 1l << 32;
    CHECK(bad == 0, "all 2^32 floats: %ld differ from expf", bad);
    printf("ok   all 2^32 floats: %ld differ\n", bad);
  }
  printf("%ld elements compared, %ld differ\n", checked, mismatches);
  free(x);
  return tu_done("test_vexpf");
}
