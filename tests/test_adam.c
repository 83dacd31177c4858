// ctest-labels: unit core
/* Adam against steps worked out by hand on a 3-vector (with and without weight decay, decoupled
 * weight decay and clipping), and the cosine schedule at its endpoints and midpoints.
 *
 * lr 0.1, β1 0.9, β2 0.999, ε 1e-8, x0 = (1, −2, 0.5), gradients g1 = (0.5, −1, 2),
 * g2 = (1, 1, −1), g3 = (−0.3, 0.2, 0.1). Update: x −= lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε).
 *
 * Plain Adam, step 1: m = 0.1 g1 = (0.05, −0.1, 0.2), v = 0.001 g1² = (2.5e-4, 1e-3, 4e-3); the bias
 *   corrections (0.1, 0.001) give m̂ = g1, sqrt(v̂) = |g1|, so x −= 0.1 · sign(g1):
 *   x1 = (0.9, −1.9, 0.4).
 * Step 2: m = 0.9 m + 0.1 g2 = (0.145, 0.01, 0.08); v = 0.999 v + 0.001 g2² = (1.24975e-3, 1.999e-3,
 *   4.996e-3); 1−β1² = 0.19, 1−β2² = 0.001999;
 *   x0: 0.1/0.19 · 0.145 / sqrt(1.24975e-3/1.999e-3) = 0.0763158 / 0.790695 = 0.0965182 → 0.8034818
 *   x1: 0.1/0.19 · 0.01  / sqrt(1.999e-3/1.999e-3)   = 0.0052632 / 1        = 0.0052632 → −1.9052632
 *   x2: 0.1/0.19 · 0.08  / sqrt(4.996e-3/1.999e-3)   = 0.0421053 / 1.580902 = 0.0266338 → 0.3733663
 * L2 (λ = 0.1): the same with g ← g + λ x (x before the step). AdamW (λ = 0.1): x ← x (1 − lr λ)
 *   first, so step 1 gives (1·0.99 − 0.1, −2·0.99 + 0.1, 0.5·0.99 − 0.1) = (0.89, −1.88, 0.395).
 * Clipping (c = 1): g1 has norm sqrt(0.25 + 1 + 4) = 2.2912878, so g1 ← g1 / 2.2912888 =
 *   (0.2182178, −0.4364356, 0.8728712); g2 (norm sqrt 3) ← g2 / 1.7320518.
 * The step-3 values and the L2/clipping step-2 values are the same formulas evaluated in double
 * (python3, written out below). Tolerance: a few float roundings of numbers of size ~1. */
#include "testutil.h"

#include <math.h>
#include <string.h>

static const float G[3][3] = {{0.5f, -1.0f, 2.0f}, {1.0f, 1.0f, -1.0f}, {-0.3f, 0.2f, 0.1f}};

static double run(const char *name, sgp_adam_cfg cfg, const double want[3][3], const double norms[3],
                  const double clipped1[3]) {
  sgp_adam *a = sgp_adam_create(3, &cfg);
  float x[3] = {1.0f, -2.0f, 0.5f};
  double worst = 0;
  for (int t = 0; t < 3; t++) {
    float g[3];
    memcpy(g, G[t], sizeof g);
    float n = sgp_adam_step(a, x, g, cfg.lr);
    worst = fmax(worst, fabs(n - norms[t]) / norms[t]);
    if (t == 0 && clipped1)
      for (int i = 0; i < 3; i++) worst = fmax(worst, fabs(g[i] - clipped1[i]));
    for (int i = 0; i < 3; i++) worst = fmax(worst, fabs(x[i] - want[t][i]));
  }
  CHECK(a->t == 3, "%s: step count", name);
  /* reset: the first step again */
  sgp_adam_reset(a);
  float x2[3] = {1.0f, -2.0f, 0.5f}, g[3];
  memcpy(g, G[0], sizeof g);
  sgp_adam_step(a, x2, g, cfg.lr);
  for (int i = 0; i < 3; i++) worst = fmax(worst, fabs(x2[i] - want[0][i]));
  sgp_adam_free(a);
  /* the same 3-vector repeated 5 times (the vectorized body and the scalar tail): elementwise the
   * same steps, the norm sqrt(5) times larger (not with clipping, which depends on the norm) */
  if (cfg.clip_norm <= 0) {
    a = sgp_adam_create(15, &cfg);
    float xr[15], gr[15];
    for (int i = 0; i < 15; i++) xr[i] = (float[]){1.0f, -2.0f, 0.5f}[i % 3];
    for (int t = 0; t < 3; t++) {
      for (int i = 0; i < 15; i++) gr[i] = G[t][i % 3];
      float n = sgp_adam_step(a, xr, gr, cfg.lr);
      worst = fmax(worst, fabs(n - sqrt(5.0) * norms[t]) / norms[t]);
      for (int i = 0; i < 15; i++) worst = fmax(worst, fabs(xr[i] - want[t][i % 3]));
    }
    sgp_adam_free(a);
  }
  char what[64];
  snprintf(what, sizeof what, "adam %s (3 steps, reset, 15-vector)", name);
  CHECK_WORST(what, worst, 2e-6);
  return worst;
}

int main(void) {
  const double norms[3] = {2.291287847, 1.732050808, 0.374165739};
  sgp_adam_cfg c = sgp_adam_defaults();
  CHECK(c.lr == 1e-3f && c.beta1 == 0.9f && c.beta2 == 0.999f && c.eps == 1e-8f && c.weight_decay == 0 &&
            c.clip_norm == 0,
        "defaults");
  c.lr = 0.1f;
  const double plain[3][3] = {{0.900000002, -1.900000001, 0.400000000},
                              {0.803481801, -1.905263159, 0.373366297},
                              {0.747989724, -1.918243214, 0.349942386}};
  run("plain", c, plain, norms, NULL);

  sgp_adam_cfg l2 = c;
  l2.weight_decay = 0.1f;
  const double wl2[3][3] = {{0.900000002, -1.900000001, 0.400000000},
                            {0.802502970, -1.886117753, 0.370895146},
                            {0.739404631, -1.875889963, 0.344573059}};
  run("L2 weight decay", l2, wl2, norms, NULL);

  sgp_adam_cfg aw = l2;
  aw.decoupled = 1;
  const double waw[3][3] = {{0.890000002, -1.880000001, 0.395000000},
                            {0.784581801, -1.866463159, 0.364416297},
                            {0.721243906, -1.860778582, 0.337348223}};
  run("decoupled weight decay (AdamW)", aw, waw, norms, NULL);

  sgp_adam_cfg cl = c;
  cl.clip_norm = 1.0f;
  const double wcl[3][3] = {{0.900000005, -1.900000002, 0.400000001},
                            {0.806708259, -1.918979204, 0.385188409},
                            {0.769794712, -1.950145529, 0.367709496}};
  const double g1c[3] = {0.218217795, -0.436435590, 0.872871180};
  run("gradient clipping", cl, wcl, norms, g1c);

  /* cosine: lr_min + (lr0 − lr_min)(1 + cos(π s/T))/2 */
  CHECK_CLOSE("cosine step 0", sgp_cosine_lr(1.0f, 0.1f, 0, 100), 1.0, 1e-7);
  CHECK_CLOSE("cosine step T/4", sgp_cosine_lr(1.0f, 0.1f, 25, 100), 0.1 + 0.45 * (1 + sqrt(0.5)), 1e-6);
  CHECK_CLOSE("cosine step T/2", sgp_cosine_lr(1.0f, 0.1f, 50, 100), 0.55, 1e-6);
  CHECK_CLOSE("cosine step T", sgp_cosine_lr(1.0f, 0.1f, 100, 100), 0.1, 1e-7);
  CHECK_CLOSE("cosine past T", sgp_cosine_lr(1.0f, 0.1f, 250, 100), 0.1, 1e-7);
  CHECK_CLOSE("cosine before 0", sgp_cosine_lr(1.0f, 0.1f, -5, 100), 1.0, 1e-7);
  CHECK_CLOSE("cosine T = 0", sgp_cosine_lr(0.3f, 0.1f, 7, 0), 0.3, 1e-7);
  return tu_done("test_adam");
}
