// ctest-labels: slow agents
/* Denoising score matching recovers the exact score (METHOD §3, the "identity" experiment of §6):
 *  - circle: 1000 points on a circle of radius 3 (2-D); 3-point set in 1-D;
 *  - a single-σ DSM model is compared with the exact score of p_σ (agents/distance.c, with the
 *    metric 1/scale² that matches the model's normalised noise) at query points z + σε: mean
 *    cosine similarity >= 0.95, and lower error than the gradient of a DDE (learned regressor of
 *    d_σ) trained on the same data and σ;
 *  - an NCSN model (8 geometric levels) of the circle: annealed Langevin samples lie at radius
 *    3 ± 0.1 on average.
 * Training is small (seconds each) and seeded. */
#include "testutil.h"

#include "agents/models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static nn_arch arch(int D, int nout, int ncond) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = D;
  a.nout = nout;
  a.nhidden = 3;
  a.width[0] = a.width[1] = a.width[2] = 128;
  a.act = NN_SILU;
  a.ncond = ncond;
  return a;
}

typedef struct cmp {
  double cos_dsm, cos_dde, err_dsm, err_dde; /* mean cosine; RMS error / RMS exact score */
} cmp;

/* Queries z_i + σ·scale⊙ε (physical), exact score with metric 1/scale² at σ (normalised units). */
static cmp compare(const char *name, const float *Z, int N, int D, float sigma, int epochs, float lr, uint64_t seed) {
  cmp r;
  sgp_err e;
  score_cfg sc;
  memset(&sc, 0, sizeof sc);
  sc.layout = SCORE_POINTS;
  sc.nlevels = 1;
  sc.sigma_max = sc.sigma_min = sigma;
  sc.loss = SCORE_LOSS_SUM;
  sc.alpha = 1;
  sc.scaled_output = 0;
  nn_arch a = arch(D, D, 0);
  score_model *sm = score_create(&sc, &a, D, 0, &e);
  CHECK(sm != NULL, "score_create: %s", e.msg);
  train_cfg tc = train_defaults();
  tc.epochs = epochs;
  tc.batch = 128;
  tc.lr = lr;
  tc.lr_min = 1e-5f;
  tc.seed = seed;
  tc.progress = 0;
  tc.val_fraction = 0; /* the exact reference below uses every point: train on every point */
  train_result res;
  double t0 = sgp_now();
  int rc = score_train(sm, Z, N, &tc, &res, &e);
  CHECK(rc == 0, "score_train: %s", e.msg);
  printf("%s: DSM trained %d epochs (%ld steps) in %.1f s, best val %.4f at epoch %d\n", name, res.epochs, res.steps,
         sgp_now() - t0, res.best_val, res.best_epoch);
  train_result_free(&res);

  dde_cfg dc = {.layout = SCORE_POINTS, .sigma = sigma, .nsamples = 20000, .near_fraction = 0.5f, .near = 2.0f,
                .margin = 0.2f};
  nn_arch ad = arch(D, 1, 0);
  dde_model *dm = dde_create(&dc, &ad, D, 0, &e);
  CHECK(dm != NULL, "dde_create: %s", e.msg);
  train_cfg td = tc;
  td.lr = 2e-3f;
  td.epochs = 25; /* 20000 samples: 3900 steps, as many as the DSM model gets for N = 1000 */
  t0 = sgp_now();
  rc = dde_train(dm, Z, N, &td, &res, &e);
  CHECK(rc == 0, "dde_train: %s", e.msg);
  printf("%s: DDE trained %d epochs (%ld steps) in %.1f s, best val %.4g at epoch %d\n", name, res.epochs, res.steps,
         sgp_now() - t0, res.best_val, res.best_epoch);
  train_result_free(&res);

  float w[8];
  for (int k = 0; k < D; k++) w[k] = 1.0f / (sm->norm.scale[k] * sm->norm.scale[k]);
  dist_index *idx = dist_create(Z, N, D, w, &e);
  dist_ws *dw = dist_ws_create(idx);
  const int Q = 2000;
  float *q = malloc(sizeof(float) * Q * D), *s_ex = malloc(sizeof(float) * Q * D);
  float *s_dsm = malloc(sizeof(float) * Q * D), *s_dde = malloc(sizeof(float) * Q * D);
  sgp_rng rq;
  sgp_rng_stream(&rq, 99, "queries");
  for (int i = 0; i < Q; i++) {
    const float *z = Z + (int64_t)sgp_rng_below(&rq, (uint64_t)N) * D;
    for (int k = 0; k < D; k++) q[i * D + k] = z[k] + sigma * sm->norm.scale[k] * (float)sgp_rng_normal(&rq);
  }
  dist_eval(idx, dw, Q, q, sigma, NULL, NULL, s_ex);
  score_ws *sw = score_ws_create(sm, 512);
  score_eval(sm, sw, Q, q, 0, s_dsm);
  dde_ws *ddw = dde_ws_create(dm, 512);
  dde_eval(dm, ddw, Q, q, NULL, s_dde);
  double cd = 0, cdd = 0, ed = 0, edd = 0, ref = 0;
  for (int i = 0; i < Q; i++) {
    /* compare in normalised units (scale ⊙ s), where every coordinate counts alike */
    double ne = 0, na = 0, nb = 0, da = 0, db = 0, xa = 0, xb = 0;
    for (int k = 0; k < D; k++) {
      double ex = s_ex[i * D + k] * sm->norm.scale[k], a1 = s_dsm[i * D + k] * sm->norm.scale[k];
      double b1 = s_dde[i * D + k] * sm->norm.scale[k];
      ne += ex * ex, na += a1 * a1, nb += b1 * b1, da += ex * a1, db += ex * b1;
      xa += (a1 - ex) * (a1 - ex), xb += (b1 - ex) * (b1 - ex);
    }
    cd += da / sqrt(ne * na + 1e-30);
    cdd += db / sqrt(ne * nb + 1e-30);
    ed += xa, edd += xb, ref += ne;
  }
  r.cos_dsm = cd / Q, r.cos_dde = cdd / Q, r.err_dsm = sqrt(ed / ref), r.err_dde = sqrt(edd / ref);
  printf("%s: mean cosine with the exact score: DSM %.4f, DDE gradient %.4f; RMS error / RMS score: DSM %.4f, "
         "DDE %.4f\n",
         name, r.cos_dsm, r.cos_dde, r.err_dsm, r.err_dde);
  free(q), free(s_ex), free(s_dsm), free(s_dde);
  score_ws_free(sw);
  dde_ws_free(ddw);
  dist_ws_free(dw);
  dist_free(idx);
  score_free(sm);
  dde_free(dm);
  return r;
}

static float *circle(int N) {
  float *Z = malloc(sizeof(float) * N * 2);
  sgp_rng r;
  sgp_rng_stream(&r, 1, "circle");
  for (int i = 0; i < N; i++) {
    double t = 2 * M_PI * sgp_rng_uniform(&r);
    Z[2 * i] = (float)(3 * cos(t));
    Z[2 * i + 1] = (float)(3 * sin(t));
  }
  return Z;
}

static void test_ncsn_langevin(const float *Z, int N) {
  sgp_err e;
  score_cfg sc;
  memset(&sc, 0, sizeof sc);
  sc.layout = SCORE_POINTS;
  sc.nlevels = 8;
  sc.sigma_max = 1.0f;
  sc.sigma_min = 0.02f;
  sc.schedule = SCORE_GEOMETRIC;
  sc.loss = SCORE_LOSS_SAMPLE;
  sc.alpha = 1;
  sc.scaled_output = 1;
  nn_arch a = arch(2, 2, 8);
  score_model *m = score_create(&sc, &a, 2, 0, &e);
  CHECK(m != NULL, "score_create: %s", e.msg);
  train_cfg tc = train_defaults();
  tc.epochs = 600;
  tc.batch = 128;
  tc.lr = 2e-3f;
  tc.seed = 4;
  tc.progress = 0;
  train_result res;
  double t0 = sgp_now();
  CHECK(score_train(m, Z, N, &tc, &res, &e) == 0, "score_train: %s", e.msg);
  printf("NCSN circle: trained %d epochs in %.1f s, best val %.4f at epoch %d\n", res.epochs, sgp_now() - t0,
         res.best_val, res.best_epoch);
  train_result_free(&res);
  const int B = 500;
  float *z = malloc(sizeof(float) * B * 2);
  sgp_rng r;
  sgp_rng_stream(&r, 5, "langevin");
  for (int i = 0; i < 2 * B; i++) z[i] = (float)(sgp_rng_uniform(&r) * 10 - 5); /* uniform in [-5,5]² */
  score_ws *w = score_ws_create(m, B);
  score_langevin(m, w, B, z, 60, 5e-5f, &r);
  double mr = 0, mad = 0;
  for (int i = 0; i < B; i++) {
    double rad = hypot(z[2 * i], z[2 * i + 1]);
    mr += rad;
    mad += fabs(rad - 3);
  }
  mr /= B, mad /= B;
  printf("NCSN Langevin: mean radius %.4f, mean |radius - 3| %.4f (sigma_min in physical units %.3f)\n", mr, mad,
         0.02 * m->norm.scale[0]);
  CHECK_CLOSE("NCSN Langevin samples: mean radius", mr, 3.0, 0.1);
  CHECK_WORST("NCSN Langevin samples: mean |radius - 3|", mad, 0.1);
  free(z);
  score_ws_free(w);
  score_free(m);
}

int main(void) {
  const int N = 1000;
  float *Z = circle(N);
  cmp c = compare("circle", Z, N, 2, 0.15f, 500, 2e-3f, 7);
  CHECK(c.cos_dsm >= 0.95, "circle: DSM mean cosine %.4f < 0.95", c.cos_dsm);
  CHECK(c.err_dsm < c.err_dde, "circle: DSM error %.4f not below the DDE gradient's %.4f", c.err_dsm, c.err_dde);
  printf("%s circle DSM mean cosine %.4f (>= 0.95)\n", c.cos_dsm >= 0.95 ? "ok  " : "FAIL", c.cos_dsm);

  float P[3] = {-1.0f, 0.0f, 1.5f};
  float *P3 = malloc(sizeof(float) * 300); /* the 3 points repeated: epochs of a useful size */
  for (int i = 0; i < 300; i++) P3[i] = P[i % 3];
  cmp c3 = compare("3 points (1-D)", P3, 300, 1, 0.15f, 1500, 5e-3f, 8);
  CHECK(c3.cos_dsm >= 0.95, "3 points: DSM mean cosine %.4f < 0.95", c3.cos_dsm);
  CHECK(c3.err_dsm < c3.err_dde, "3 points: DSM error %.4f not below the DDE gradient's %.4f", c3.err_dsm,
        c3.err_dde);
  printf("%s 3-point DSM mean cosine %.4f (>= 0.95)\n", c3.cos_dsm >= 0.95 ? "ok  " : "FAIL", c3.cos_dsm);

  test_ncsn_langevin(Z, N);
  free(Z);
  free(P3);
  return tu_done("test_score_dsm");
}
