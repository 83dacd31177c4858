// ctest-labels: unit core
/* Normalizers: fit against means and standard deviations worked out by hand, the min_scale floor,
 * apply / invert (also in place), copy, the identity, and a large offset that single-pass float
 * statistics would get wrong. */
#include "testutil.h"

#include <math.h>
#include <string.h>

int main(void) {
  /* column 0: 1, 2, 3, 6 → mean 3, deviations −2, −1, 0, 3, variance (4+1+0+9)/4 = 3.5,
   *   std sqrt(3.5) = 1.8708287 (population std, as numpy's default);
   * column 1: constant 10 → mean 10, std 0, floored at min_scale 0.5;
   * column 2: 10000 ± 1 → mean 10000, std 1. */
  const float X[4][3] = {{1, 10, 9999}, {2, 10, 10001}, {3, 10, 9999}, {6, 10, 10001}};
  sgp_norm n;
  sgp_norm_init(&n, 3);
  CHECK(n.dim == 3 && n.shift[1] == 0 && n.scale[2] == 1, "init is the identity");
  sgp_norm_fit(&n, &X[0][0], 4, 3, 0.5f);
  CHECK_CLOSE("mean col 0", n.shift[0], 3.0, 1e-6);
  CHECK_CLOSE("std col 0", n.scale[0], sqrt(3.5), 1e-6);
  CHECK_CLOSE("mean col 1", n.shift[1], 10.0, 1e-6);
  CHECK_CLOSE("std col 1 (floored)", n.scale[1], 0.5, 0);
  CHECK_CLOSE("mean col 2", n.shift[2], 10000.0, 0);
  CHECK_CLOSE("std col 2 (large offset)", n.scale[2], 1.0, 1e-7);

  float z[4][3], back[4][3];
  sgp_norm_apply(&n, 4, &X[0][0], &z[0][0]);
  double worst = 0;
  const double zc0[4] = {-2 / sqrt(3.5), -1 / sqrt(3.5), 0, 3 / sqrt(3.5)};
  const double zc2[4] = {-1, 1, -1, 1};
  for (int r = 0; r < 4; r++) {
    worst = fmax(worst, fabs(z[r][0] - zc0[r]));
    worst = fmax(worst, fabs(z[r][1] - 0.0));
    worst = fmax(worst, fabs(z[r][2] - zc2[r]));
  }
  CHECK_WORST("apply vs hand values", worst, 1e-6);
  sgp_norm_invert(&n, 4, &z[0][0], &back[0][0]);
  worst = 0;
  for (int r = 0; r < 4; r++)
    for (int j = 0; j < 3; j++) worst = fmax(worst, fabs(back[r][j] - X[r][j]) / fmax(1.0, fabs(X[r][j])));
  CHECK_WORST("invert(apply(x)) = x (relative)", worst, 1e-6);

  /* in place */
  float w[4][3];
  memcpy(w, X, sizeof w);
  sgp_norm_apply(&n, 4, &w[0][0], &w[0][0]);
  CHECK(!memcmp(w, z, sizeof w), "apply in place differs");
  sgp_norm_invert(&n, 4, &w[0][0], &w[0][0]);
  CHECK(!memcmp(w, back, sizeof w), "invert in place differs");

  /* copy */
  sgp_norm c = {0};
  sgp_norm_copy(&c, &n);
  CHECK(c.dim == 3 && !memcmp(c.shift, n.shift, 3 * sizeof(float)) && !memcmp(c.scale, n.scale, 3 * sizeof(float)),
        "copy");
  /* no rows: identity */
  sgp_norm_fit(&c, NULL, 0, 2, 0.1f);
  CHECK(c.dim == 2 && c.shift[0] == 0 && c.shift[1] == 0 && c.scale[0] == 1 && c.scale[1] == 1,
        "fit on no rows is the identity");
  sgp_norm_free(&c);
  sgp_norm_free(&n);
  sgp_norm_free(&n); /* freeing twice is harmless */
  return tu_done("test_norm");
}
