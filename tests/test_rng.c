// ctest-labels: unit core
/* RNG: reproducible streams, independence of named streams and children, distribution moments
 * against their exact values. */
#include "testutil.h"

#include <math.h>
#include <string.h>

int main(void) {
  sgp_rng a, b;
  /* reproducible: same seed and name, same sequence */
  sgp_rng_stream(&a, 42, "data");
  sgp_rng_stream(&b, 42, "data");
  int same = 1;
  for (int i = 0; i < 1000; i++) same &= sgp_rng_u64(&a) == sgp_rng_u64(&b);
  CHECK(same, "same seed and stream name must repeat");

  /* named streams and seeds differ; correlation of uniforms is ~0 */
  const char *names[] = {"data", "init", "noise", "planner"};
  for (int s = 0; s < 4; s++)
    for (int t = s + 1; t < 4; t++) {
      sgp_rng_stream(&a, 7, names[s]);
      sgp_rng_stream(&b, 7, names[t]);
      double sab = 0, sa = 0, sb = 0, saa = 0, sbb = 0;
      int n = 200000, equal = 0;
      for (int i = 0; i < n; i++) {
        double x = sgp_rng_uniform(&a), y = sgp_rng_uniform(&b);
        equal += x == y;
        sab += x * y; sa += x; sb += y; saa += x * x; sbb += y * y;
      }
      double cov = sab / n - (sa / n) * (sb / n);
      double corr = cov / sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
      char what[64];
      snprintf(what, sizeof what, "corr(%s,%s)", names[s], names[t]);
      CHECK_CLOSE(what, corr, 0.0, 5.0 / sqrt(n)); /* 5 standard errors */
      CHECK(equal < 3, "streams %s/%s share values", names[s], names[t]);
    }

  /* children of one parent are distinct from each other and from the parent; parent unchanged */
  sgp_rng_stream(&a, 1, "episodes");
  sgp_rng saved = a, c0, c1;
  sgp_rng_child(&c0, &a, 0);
  sgp_rng_child(&c1, &a, 1);
  CHECK(memcmp(&saved, &a, sizeof a) == 0, "child must not advance the parent");
  CHECK(sgp_rng_u64(&c0) != sgp_rng_u64(&c1), "children 0 and 1 must differ");

  /* moments: uniform mean 1/2, var 1/12; normal mean 0, var 1, E[x^4] = 3 */
  sgp_rng_seed(&a, 123);
  int n = 1000000;
  double m1 = 0, m2 = 0, n1 = 0, n2 = 0, n4 = 0;
  for (int i = 0; i < n; i++) {
    double u = sgp_rng_uniform(&a);
    CHECK(u >= 0.0 && u < 1.0, "uniform out of [0,1): %g", u);
    m1 += u; m2 += u * u;
    double z = sgp_rng_normal(&a);
    n1 += z; n2 += z * z; n4 += z * z * z * z;
  }
  CHECK_CLOSE("uniform mean", m1 / n, 0.5, 5 * sqrt(1.0 / 12 / n));
  CHECK_CLOSE("uniform var", m2 / n - (m1 / n) * (m1 / n), 1.0 / 12, 0.001);
  CHECK_CLOSE("normal mean", n1 / n, 0.0, 5 / sqrt(n));
  CHECK_CLOSE("normal var", n2 / n, 1.0, 5 * sqrt(2.0 / n));
  CHECK_CLOSE("normal 4th moment", n4 / n, 3.0, 5 * sqrt(96.0 / n));

  /* below(n) is uniform: chi-square over 10 bins (9 dof; 99.9% quantile 27.9) */
  long cnt[10] = {0};
  for (int i = 0; i < 100000; i++) cnt[sgp_rng_below(&a, 10)]++;
  double chi = 0;
  for (int k = 0; k < 10; k++) chi += (cnt[k] - 10000.0) * (cnt[k] - 10000.0) / 10000.0;
  CHECK_WORST("below(10) chi-square", chi, 27.9);

  /* permutation is a permutation */
  int perm[257], seen[257] = {0};
  sgp_rng_permutation(&a, perm, 257);
  int ok = 1;
  for (int i = 0; i < 257; i++) ok &= perm[i] >= 0 && perm[i] < 257 && !seen[perm[i]]++;
  CHECK(ok, "permutation repeats or misses an index");
  return tu_done("test_rng");
}
