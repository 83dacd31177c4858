// ctest-labels: unit agents
/* Training learned dynamics, ensembles and the learned cost on data with a known answer:
 *  - a linear system x' = A x + B u (independent reference: the true A, B on fresh samples) is
 *    recovered to a one-step error far below the spread of x' − x, by one model, by every member
 *    of an ensemble (which differ), and with the multi-step rollout loss on episode data;
 *  - training is deterministic: the same seed gives bit-identical parameters and file bytes;
 *  - a quadratic cost is recovered from −reward;
 *  - model files round-trip, and the wrong kind or dimensions are rejected with a clear message. */
#include "testutil.h"
#include "agents/models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NX = 3, NU = 2 };
static const float A[NX][NX] = {{0.95f, 0.10f, 0.0f}, {-0.10f, 0.90f, 0.05f}, {0.0f, 0.02f, 0.97f}};
static const float Bm[NX][NU] = {{0.10f, 0.0f}, {0.0f, 0.20f}, {0.05f, -0.05f}};

static void truth(const float *x, const float *u, float *xn) {
  for (int i = 0; i < NX; i++) {
    double s = 0;
    for (int j = 0; j < NX; j++) s += A[i][j] * x[j];
    for (int j = 0; j < NU; j++) s += Bm[i][j] * u[j];
    xn[i] = (float)s;
  }
}

typedef struct data {
  size_t N;
  float *x, *u, *xn, *r;
  uint8_t *term, *tout;
} data;

/* episodes of length `ep` (ep = 1: independent uniform samples) from the box [−1,1]^nx, u in [−1,1]^nu */
static data make_data(size_t N, int ep, uint64_t seed) {
  data d = {N, malloc(sizeof(float) * N * NX), malloc(sizeof(float) * N * NU), malloc(sizeof(float) * N * NX),
            malloc(sizeof(float) * N), calloc(N, 1), calloc(N, 1)};
  sgp_rng r;
  sgp_rng_stream(&r, seed, "data");
  for (size_t i = 0; i < N; i++) {
    int start = i % ep == 0;
    for (int j = 0; j < NX; j++) d.x[i * NX + j] = start ? (float)(2 * sgp_rng_uniform(&r) - 1) : d.xn[(i - 1) * NX + j];
    for (int j = 0; j < NU; j++) d.u[i * NU + j] = (float)(2 * sgp_rng_uniform(&r) - 1);
    truth(d.x + i * NX, d.u + i * NU, d.xn + i * NX);
    /* reward = −(‖x‖² + 0.5 ‖u‖²) */
    double c = 0;
    for (int j = 0; j < NX; j++) c += d.x[i * NX + j] * d.x[i * NX + j];
    for (int j = 0; j < NU; j++) c += 0.5 * d.u[i * NU + j] * d.u[i * NU + j];
    d.r[i] = (float)-c;
    d.tout[i] = (i % ep) == (size_t)ep - 1;
  }
  return d;
}

static void free_data(data *d) {
  free(d->x), free(d->u), free(d->xn), free(d->r), free(d->term), free(d->tout);
}

static nn_arch small_arch(int nin, int nout) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nin;
  a.nout = nout;
  a.nhidden = 2;
  a.width[0] = a.width[1] = 32;
  a.act = NN_SILU;
  return a;
}

static train_cfg quick_cfg(uint64_t seed) {
  train_cfg c = train_defaults();
  c.epochs = 25;
  c.batch = 32;
  c.lr = 3e-3f;
  c.lr_min = 1e-4f;
  c.val_fraction = 0.1f;
  c.seed = seed;
  c.progress = 0;
  return c;
}

/* RMS one-step error of member k on fresh samples, relative to the RMS of the true x' − x */
static double rel_error(const dyn_model *m, int k, const data *test) {
  dyn_ws *w = dyn_ws_create(m, (int)test->N, 1);
  float *xp = malloc(sizeof(float) * test->N * NX);
  dyn_forward(m, k, w, 0, (int)test->N, test->x, test->u, xp);
  double se = 0, sd = 0;
  for (size_t i = 0; i < test->N * NX; i++) {
    double d = xp[i] - test->xn[i], t = test->xn[i] - test->x[i];
    se += d * d;
    sd += t * t;
  }
  free(xp);
  dyn_ws_free(w);
  return sqrt(se / sd);
}

/* relative RMS error of an H-step open-loop rollout of member 0 over episodes of the test data */
static double rollout_error(const dyn_model *m, const data *test, int H) {
  size_t n = test->N / H;
  dyn_ws *w = dyn_ws_create(m, (int)n, 1);
  float *xh = malloc(sizeof(float) * n * NX), *xt = malloc(sizeof(float) * n * NX), *ub = malloc(sizeof(float) * n * NU);
  float *xo = malloc(sizeof(float) * n * NX);
  for (size_t e = 0; e < n; e++) memcpy(xh + e * NX, test->x + e * H * NX, sizeof(float) * NX);
  double se = 0, sd = 0;
  for (int j = 0; j < H; j++) {
    for (size_t e = 0; e < n; e++) {
      memcpy(ub + e * NU, test->u + (e * H + j) * NU, sizeof(float) * NU);
      memcpy(xt + e * NX, test->xn + (e * H + j) * NX, sizeof(float) * NX);
    }
    dyn_forward(m, 0, w, 0, (int)n, xh, ub, xo);
    memcpy(xh, xo, sizeof(float) * n * NX);
    for (size_t e = 0; e < n; e++)
      for (int c = 0; c < NX; c++) {
        double d = xh[e * NX + c] - xt[e * NX + c], t = xt[e * NX + c] - test->x[(e * H) * NX + c];
        se += d * d;
        sd += t * t;
      }
  }
  free(xh), free(xt), free(ub), free(xo);
  dyn_ws_free(w);
  return sqrt(se / sd);
}

static int file_bytes_equal(const char *a, const char *b) {
  void *pa = NULL, *pb = NULL;
  size_t na = 0, nb = 0;
  sgp_err e;
  if (sgp_read_file(a, &pa, &na, 1 << 26, &e) || sgp_read_file(b, &pb, &nb, 1 << 26, &e)) return 0;
  int same = na == nb && !memcmp(pa, pb, na);
  free(pa), free(pb);
  return same;
}

int main(void) {
  sgp_blas_set_threads(1);
  char *dir = tu_tmpdir("dyntrain");
  sgp_err e;
  data tr = make_data(1000, 1, 1), te = make_data(500, 1, 2);
  nn_arch a = small_arch(NX + NU, NX);
  train_cfg tc = quick_cfg(7);
  dyn_train_cfg dc = {1, 1, 0};

  /* ---- one model: recovers the linear system; deterministic for a seed */
  dyn_model *m1 = dyn_create(&a, NX, NU, 1, &e), *m2 = dyn_create(&a, NX, NU, 1, &e);
  dyn_data dd = {tr.N, tr.x, tr.u, tr.xn, tr.term, tr.tout};
  train_result r1, r2;
  CHECK(dyn_train(m1, &dd, &dc, &tc, &r1, &e) == 0, "dyn_train: %s", e.msg);
  CHECK(dyn_train(m2, &dd, &dc, &tc, &r2, &e) == 0, "dyn_train: %s", e.msg);
  double err1 = rel_error(m1, 0, &te);
  printf("single model: best epoch %d, val loss %.3g; one-step RMS error / RMS(x' - x) on fresh data = %.4f\n",
         r1.best_epoch, r1.best_val, err1);
  CHECK_WORST("single model: relative one-step error on fresh samples", err1, 0.05);
  CHECK(!memcmp(m1->params, m2->params, m1->nparams * sizeof(float)), "same seed must give identical parameters");
  char *f1 = sgp_path_join(dir, "a.safetensors"), *f2 = sgp_path_join(dir, "b.safetensors");
  cJSON *cfgj = cJSON_CreateObject();
  cJSON_AddStringToObject(cfgj, "note", "test");
  CHECK(dyn_save(m1, &dc, f1, cfgj, NULL, &r1, &e) == 0, "dyn_save: %s", e.msg);
  CHECK(dyn_save(m2, &dc, f2, cfgj, NULL, &r2, &e) == 0, "dyn_save: %s", e.msg);
  CHECK(file_bytes_equal(f1, f2), "same seed must give bit-identical model files");
  /* another seed gives another model */
  train_result r3;
  tc.seed = 8;
  CHECK(dyn_train(m2, &dd, &dc, &tc, &r3, &e) == 0, "dyn_train: %s", e.msg);
  CHECK(memcmp(m1->params, m2->params, m1->nparams * sizeof(float)) != 0, "another seed, other parameters");
  tc.seed = 7;

  /* ---- round trip: the loaded model computes the same next states */
  dyn_model *ld = dyn_load(f1, "dynamics", &e);
  CHECK(ld != NULL, "dyn_load: %s", e.msg);
  if (ld) {
    CHECK(ld->K == 1 && ld->nparams == m1->nparams && !memcmp(ld->params, m1->params, m1->nparams * sizeof(float)) &&
              !memcmp(ld->kx, m1->kx, sizeof(float) * NX) && !memcmp(ld->xn.scale, m1->xn.scale, sizeof(float) * NX) &&
              !memcmp(ld->un.shift, m1->un.shift, sizeof(float) * NU),
          "loaded model equals the saved one");
    CHECK(dyn_check_dims(ld, f1, "toy", NX, NU, &e) == 0, "matching dims accepted: %s", e.msg);
    CHECK(dyn_check_dims(ld, f1, "cartpole", 4, 1, &e) != 0, "wrong dims rejected");
    printf("rejected: %s\n", e.msg);
    CHECK(strstr(e.msg, "nx=3, nu=2") && strstr(e.msg, "cartpole has nx=4, nu=1"), "message names both: %s", e.msg);
    dyn_free(ld);
  }
  CHECK(dyn_load(f1, "ensemble", &e) == NULL, "kind 'dynamics' loaded as 'ensemble' must fail");
  printf("rejected: %s\n", e.msg);
  CHECK(cost_load(f1, &e) == NULL, "a dynamics file loaded as a cost model must fail");
  printf("rejected: %s\n", e.msg);
  CHECK(strstr(e.msg, "'dynamics'") && strstr(e.msg, "'cost'"), "message names both kinds: %s", e.msg);
  train_result_free(&r1), train_result_free(&r2), train_result_free(&r3);
  dyn_free(m1), dyn_free(m2);

  /* ---- ensemble: every member fits, members differ; one file; deterministic */
  {
    dyn_train_cfg ec = {3, 1, 1}; /* bootstrap on */
    dyn_model *en = dyn_create(&a, NX, NU, ec.members, &e), *en2 = dyn_create(&a, NX, NU, ec.members, &e);
    train_result re, re2;
    CHECK(dyn_train(en, &dd, &ec, &tc, &re, &e) == 0, "ensemble train: %s", e.msg);
    CHECK(dyn_train(en2, &dd, &ec, &tc, &re2, &e) == 0, "ensemble train: %s", e.msg);
    double worst = 0, spread = 0;
    for (int k = 0; k < en->K; k++) {
      double ek = rel_error(en, k, &te);
      printf("ensemble member %d: relative one-step error %.4f\n", k, ek);
      worst = fmax(worst, ek);
    }
    CHECK_WORST("ensemble: worst member's relative one-step error", worst, 0.06);
    /* members differ: in weights and in their predictions */
    dyn_ws *w = dyn_ws_create(en, (int)te.N, 2);
    float *p0 = malloc(sizeof(float) * te.N * NX), *p1 = malloc(sizeof(float) * te.N * NX);
    dyn_forward(en, 0, w, 0, (int)te.N, te.x, te.u, p0);
    dyn_forward(en, 1, w, 1, (int)te.N, te.x, te.u, p1);
    for (size_t i = 0; i < te.N * NX; i++) spread = fmax(spread, fabs(p0[i] - p1[i]));
    printf("ensemble: largest disagreement of members 0 and 1 on fresh data: %.3g\n", spread);
    CHECK(spread > 0, "members must disagree somewhere");
    CHECK(memcmp(en->net[0]->params, en->net[1]->params, en->nparams_member * sizeof(float)) != 0, "members differ");
    CHECK(!memcmp(en->params, en2->params, en->nparams * sizeof(float)), "ensemble: same seed, identical members");
    char *fe = sgp_path_join(dir, "ens.safetensors"), *fe2 = sgp_path_join(dir, "ens2.safetensors");
    CHECK(dyn_save(en, &ec, fe, NULL, NULL, &re, &e) == 0, "dyn_save ensemble: %s", e.msg);
    CHECK(dyn_save(en2, &ec, fe2, NULL, NULL, &re2, &e) == 0, "dyn_save ensemble: %s", e.msg);
    CHECK(file_bytes_equal(fe, fe2), "ensemble: same seed, bit-identical files");
    sgp_st st;
    CHECK(sgp_st_read(fe, &st, &e) == 0, "read: %s", e.msg);
    CHECK(sgp_st_find(&st, "members.2.0.weight") && sgp_st_find(&st, "members.0.2.bias") && !sgp_st_find(&st, "net.0.weight"),
          "one file, member-prefixed tensor names");
    sgp_st_free(&st);
    dyn_model *le = dyn_load(fe, NULL, &e);
    CHECK(le && le->K == 3 && !memcmp(le->params, en->params, en->nparams * sizeof(float)), "ensemble round trip: %s",
          le ? "" : e.msg);
    dyn_free(le);
    CHECK(dyn_load(fe, "dynamics", &e) == NULL, "kind 'ensemble' loaded as 'dynamics' must fail");
    printf("rejected: %s\n", e.msg);
    free(p0), free(p1);
    dyn_ws_free(w);
    free(fe), free(fe2);
    train_result_free(&re), train_result_free(&re2);
    dyn_free(en), dyn_free(en2);
  }

  /* ---- rollout loss on episode data (chains of 8 transitions) */
  {
    data ep = make_data(800, 8, 3), ept = make_data(480, 8, 4);
    dyn_data de = {ep.N, ep.x, ep.u, ep.xn, ep.term, ep.tout};
    dyn_train_cfg rc = {1, 4, 0};
    dyn_model *mr = dyn_create(&a, NX, NU, 1, &e);
    train_result rr;
    CHECK(dyn_train(mr, &de, &rc, &tc, &rr, &e) == 0, "rollout train: %s", e.msg);
    double e1 = rel_error(mr, 0, &ept), e8 = rollout_error(mr, &ept, 8);
    printf("rollout loss (H=4): one-step relative error %.4f, 8-step open-loop relative error %.4f\n", e1, e8);
    CHECK_WORST("rollout-trained model: relative one-step error", e1, 0.05);
    CHECK_WORST("rollout-trained model: relative 8-step open-loop error", e8, 0.1);
    train_result_free(&rr);
    /* no consecutive transitions in uniform data: rollout_steps > 1 is refused */
    CHECK(dyn_train(mr, &dd, &rc, &tc, &rr, &e) != 0, "rollout loss on i.i.d. samples must be refused");
    printf("rejected: %s\n", e.msg);
    dyn_free(mr);
    free_data(&ep), free_data(&ept);
  }

  /* ---- learned cost: recovers c = ‖x‖² + 0.5‖u‖² from −reward */
  {
    nn_arch ca = small_arch(NX + NU, 1);
    cost_model *cm = cost_create(&ca, NX, NU, &e), *cm2 = cost_create(&ca, NX, NU, &e);
    train_result rc1, rc2;
    tc.epochs = 60;
    CHECK(cost_train(cm, tr.x, tr.u, tr.r, tr.N, &tc, &rc1, &e) == 0, "cost_train: %s", e.msg);
    CHECK(cost_train(cm2, tr.x, tr.u, tr.r, tr.N, &tc, &rc2, &e) == 0, "cost_train: %s", e.msg);
    CHECK(!memcmp(cm->net->params, cm2->net->params, cm->net->nparams * sizeof(float)), "cost: deterministic");
    cost_ws *w = cost_ws_create(cm, 64);
    float *c = malloc(sizeof(float) * te.N);
    cost_eval(cm, w, (int)te.N, te.x, te.u, c, NULL, NULL); /* B > maxB: chunked */
    double se = 0, sv = 0, mean = 0;
    for (size_t i = 0; i < te.N; i++) mean += -te.r[i] / te.N;
    for (size_t i = 0; i < te.N; i++) {
      se += (c[i] + te.r[i]) * (c[i] + te.r[i]);
      sv += (-te.r[i] - mean) * (-te.r[i] - mean);
    }
    double rel = sqrt(se / sv);
    printf("learned cost: RMS error / std of the true cost on fresh samples = %.4f\n", rel);
    CHECK_WORST("learned cost: relative error on fresh samples", rel, 0.05);
    char *fc = sgp_path_join(dir, "cost.safetensors");
    CHECK(cost_save(cm, fc, NULL, NULL, &rc1, &e) == 0, "cost_save: %s", e.msg);
    cost_model *lc = cost_load(fc, &e);
    CHECK(lc && !memcmp(lc->net->params, cm->net->params, cm->net->nparams * sizeof(float)) &&
              lc->c_shift == cm->c_shift && lc->c_scale == cm->c_scale,
          "cost round trip: %s", lc ? "" : e.msg);
    CHECK(lc && cost_check_dims(lc, fc, "point", 2, 2, &e) != 0, "cost: wrong dims rejected");
    printf("rejected: %s\n", e.msg);
    CHECK(dyn_load(fc, NULL, &e) == NULL, "a cost file loaded as dynamics must fail");
    printf("rejected: %s\n", e.msg);
    cost_free(lc);
    free(fc), free(c);
    cost_ws_free(w);
    train_result_free(&rc1), train_result_free(&rc2);
    cost_free(cm), cost_free(cm2);
  }

  cJSON_Delete(cfgj);
  free(f1), free(f2);
  free_data(&tr), free_data(&te);
  tu_rmtree(dir);
  free(dir);
  return tu_done("test_dynamics_train");
}
