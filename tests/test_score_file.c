// ctest-labels: unit agents
/* The generic trainer, model files, determinism:
 *  - train_run on a linear least-squares problem reaches the normal-equations solution (double);
 *    the same seed gives bit-identical parameters; a non-finite loss is an error naming the step;
 *  - score (NCSN, (x,u,x') with alpha) and DDE models survive save/load exactly (same outputs);
 *  - training twice with one seed writes byte-identical files, another seed does not;
 *  - loading a model of another kind, or for data of other dimensions, is a clear error. */
#include "testutil.h"

#include "agents/models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- linear regression through the generic trainer ---------------- */
typedef struct lin {
  nn_mlp *m;
  nn_ws *ws;
  const float *X, *Y;
  float in[64 * 3], out[64 * 2], dy[64 * 2];
  int nan_at; /* call number at which to return NaN (-1: never) */
  int calls;
} lin;

static double lin_loss(void *self, int B, const int64_t *rows, sgp_rng *noise, float *grad) {
  (void)noise;
  lin *l = self;
  l->calls++;
  if (grad && l->nan_at >= 0 && l->calls >= l->nan_at) return NAN;
  for (int b = 0; b < B; b++) memcpy(l->in + b * 3, l->X + rows[b] * 3, sizeof(float) * 3);
  nn_forward(l->m, l->ws, B, l->in, NULL, l->out);
  double s = 0;
  for (int b = 0; b < B; b++)
    for (int k = 0; k < 2; k++) {
      float r = l->out[b * 2 + k] - l->Y[rows[b] * 2 + k];
      s += 0.5 * r * r;
      l->dy[b * 2 + k] = r / B;
    }
  if (grad) nn_backward(l->m, l->ws, B, l->dy, grad, 0, NULL);
  return s / B;
}

static void test_trainer(void) {
  const int N = 2000;
  float *X = malloc(sizeof(float) * N * 3), *Y = malloc(sizeof(float) * N * 2);
  sgp_rng r;
  sgp_rng_stream(&r, 1, "lin");
  const double A[2][3] = {{1.5, -2.0, 0.5}, {0.3, 0.8, -1.2}}, c[2] = {0.7, -0.4};
  for (int i = 0; i < N; i++) {
    for (int k = 0; k < 3; k++) X[i * 3 + k] = (float)sgp_rng_normal(&r);
    for (int o = 0; o < 2; o++) {
      double y = c[o] + 0.05 * sgp_rng_normal(&r);
      for (int k = 0; k < 3; k++) y += A[o][k] * X[i * 3 + k];
      Y[i * 2 + o] = (float)y;
    }
  }
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = 3, a.nout = 2, a.nhidden = 0, a.act = NN_RELU;
  float *p1 = NULL;
  for (int run = 0; run < 2; run++) {
    lin l = {.m = nn_create(&a), .X = X, .Y = Y, .nan_at = -1};
    l.ws = nn_ws_create(&a, 64);
    sgp_rng init;
    sgp_rng_stream(&init, 3, "init");
    nn_init(l.m, &init);
    train_cfg tc = train_defaults();
    tc.epochs = 60, tc.batch = 64, tc.lr = 5e-2f, tc.lr_min = 1e-4f, tc.seed = 3, tc.progress = 0;
    tc.val_fraction = 0.2f;
    train_task t = {.label = "lin", .nrows = N, .nparams = l.m->nparams, .params = l.m->params, .self = &l,
                    .loss = lin_loss};
    train_result res;
    sgp_err e;
    CHECK(train_run(&t, &tc, &res, &e) == 0, "train_run: %s", e.msg);
    CHECK(res.ntrain == 1600 && res.nval == 400, "split %lld / %lld, expected 1600 / 400", (long long)res.ntrain,
          (long long)res.nval);
    CHECK(res.best_epoch >= 1 && res.best_epoch <= 60 && res.val_loss[res.best_epoch - 1] == res.best_val,
          "best epoch bookkeeping");
    if (run == 0) {
      /* least squares over the training rows is not visible from here: compare with the true A, c,
       * which the noise (0.05) moves by ~0.05/sqrt(1600) */
      double worst = 0;
      for (int o = 0; o < 2; o++) {
        for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(l.m->layer[0].W[o * 3 + k] - A[o][k]));
        worst = fmax(worst, fabs(l.m->layer[0].b[o] - c[o]));
      }
      CHECK_WORST("trainer: linear regression parameters vs the true ones", worst, 0.01);
      printf("trainer: best epoch %d, val %.6g (noise floor %.6g)\n", res.best_epoch, res.best_val,
             0.5 * 2 * 0.05 * 0.05);
      p1 = malloc(sizeof(float) * l.m->nparams);
      memcpy(p1, l.m->params, sizeof(float) * l.m->nparams);
    } else {
      CHECK(memcmp(p1, l.m->params, sizeof(float) * l.m->nparams) == 0, "same seed must give identical parameters");
    }
    train_result_free(&res);
    /* divergence is an error naming epoch and step */
    l.nan_at = l.calls + 40;
    CHECK(train_run(&t, &tc, &res, &e) != 0, "a NaN loss must fail");
    printf("error message: %s\n", e.msg);
    CHECK(strstr(e.msg, "diverged") && strstr(e.msg, "epoch 2"), "message should name the epoch: %s", e.msg);
    nn_ws_free(l.ws);
    nn_free(l.m);
  }
  free(p1);
  free(X);
  free(Y);
}

/* ---------------- model files ---------------- */
static int files_equal(const char *a, const char *b) {
  void *x, *y;
  size_t nx, ny;
  sgp_err e;
  if (sgp_read_file(a, &x, &nx, 1 << 26, &e) || sgp_read_file(b, &y, &ny, 1 << 26, &e)) return -1;
  int eq = nx == ny && memcmp(x, y, nx) == 0;
  free(x);
  free(y);
  return eq;
}

static score_model *train_small_score(const float *Z, int N, uint64_t seed, const char *path) {
  sgp_err e;
  score_cfg sc;
  memset(&sc, 0, sizeof sc);
  sc.layout = SCORE_XUX;
  sc.nlevels = 3;
  sc.sigma_max = 0.5f;
  sc.sigma_min = 0.05f;
  sc.schedule = SCORE_COSINE;
  sc.loss = SCORE_LOSS_BATCH;
  sc.alpha = 0.5f;
  sc.scaled_output = 1;
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = a.nout = 5, a.nhidden = 2, a.width[0] = a.width[1] = 16, a.act = NN_ELU, a.act_param = 1.0f;
  a.layernorm = 1, a.ncond = 3;
  score_model *m = score_create(&sc, &a, 2, 1, &e);
  CHECK(m != NULL, "score_create: %s", e.msg);
  train_cfg tc = train_defaults();
  tc.epochs = 3, tc.batch = 32, tc.seed = seed, tc.progress = 0, tc.val_repeats = 2;
  train_result res;
  CHECK(score_train(m, Z, N, &tc, &res, &e) == 0, "score_train: %s", e.msg);
  cJSON *cfg = cJSON_CreateObject();
  cJSON_AddItemToObject(cfg, "train", train_cfg_json(&tc));
  cJSON *ds = cJSON_CreateObject();
  cJSON_AddStringToObject(ds, "path", "synthetic");
  CHECK(score_save(m, path, cfg, ds, &res, &e) == 0, "score_save: %s", e.msg);
  cJSON_Delete(cfg);
  cJSON_Delete(ds);
  train_result_free(&res);
  return m;
}

static void test_files(void) {
  char *dir = tu_tmpdir("score-file");
  char pa[512], pb[512], pc[512], pd[512];
  snprintf(pa, sizeof pa, "%s/a.safetensors", dir);
  snprintf(pb, sizeof pb, "%s/b.safetensors", dir);
  snprintf(pc, sizeof pc, "%s/c.safetensors", dir);
  snprintf(pd, sizeof pd, "%s/d.safetensors", dir);
  const int N = 200;
  float *Z = malloc(sizeof(float) * N * 5);
  sgp_rng r;
  sgp_rng_stream(&r, 2, "data");
  for (int i = 0; i < N * 5; i++) Z[i] = (float)(sgp_rng_normal(&r) * (1 + i % 5) + i % 5);

  score_model *ma = train_small_score(Z, N, 11, pa);
  score_model *mb = train_small_score(Z, N, 11, pb);
  score_model *mc = train_small_score(Z, N, 12, pc);
  CHECK(files_equal(pa, pb) == 1, "same seed: model files must be byte-identical");
  CHECK(files_equal(pa, pc) == 0, "another seed: model files should differ");
  printf("determinism: same seed -> identical bytes: %s; other seed differs: %s\n",
         files_equal(pa, pb) == 1 ? "yes" : "NO", files_equal(pa, pc) == 0 ? "yes" : "NO");

  sgp_err e;
  score_model *ml = score_load(pa, &e);
  CHECK(ml != NULL, "score_load: %s", e.msg);
  if (ml) {
    float s1[40 * 5], s2[40 * 5];
    score_ws *w1 = score_ws_create(ma, 16), *w2 = score_ws_create(ml, 16); /* 40 rows: chunked */
    double worst = 0;
    for (int l = 0; l < 3; l++) {
      score_eval(ma, w1, 40, Z, l, s1);
      score_eval(ml, w2, 40, Z, l, s2);
      for (int i = 0; i < 200; i++) worst = fmax(worst, fabs(s1[i] - s2[i]));
    }
    CHECK_WORST("score model: saved and loaded outputs", worst, 0.0);
    CHECK(ml->cfg.layout == SCORE_XUX && ml->cfg.nlevels == 3 && ml->cfg.alpha == 0.5f && ml->nx == 2 &&
              ml->nu == 1 && ml->noise_mul[4] == 0.5f && ml->noise_mul[2] == 1.0f,
          "layout / levels / alpha round trip");
    CHECK(score_check_dims(ml, pa, 2, 1, &e) == 0, "matching dims: %s", e.msg);
    CHECK(score_check_dims(ml, pa, 2, 2, &e) != 0, "wrong dims must fail");
    printf("error message: %s\n", e.msg);
    CHECK(strstr(e.msg, "input dimension 5") && strstr(e.msg, "has 6"), "message names both dimensions");
    score_ws_free(w1);
    score_ws_free(w2);
    score_free(ml);
  }

  /* DDE round trip, and kinds are checked both ways */
  dde_cfg dc = {.layout = SCORE_XU, .sigma = 0.2f, .nsamples = 500, .near_fraction = 0.5f, .near = 2, .margin = 0.2f};
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = 4, a.nout = 1, a.nhidden = 1, a.width[0] = 16, a.act = NN_TANH;
  dde_model *dm = dde_create(&dc, &a, 3, 1, &e);
  CHECK(dm != NULL, "dde_create: %s", e.msg);
  float *Zxu = malloc(sizeof(float) * N * 4);
  for (int i = 0; i < N; i++) memcpy(Zxu + i * 4, Z + i * 5, sizeof(float) * 4);
  train_cfg tc = train_defaults();
  tc.epochs = 2, tc.batch = 64, tc.progress = 0;
  train_result res;
  CHECK(dde_train(dm, Zxu, N, &tc, &res, &e) == 0, "dde_train: %s", e.msg);
  CHECK(dde_save(dm, pd, NULL, NULL, &res, &e) == 0, "dde_save: %s", e.msg);
  train_result_free(&res);
  dde_model *dl = dde_load(pd, &e);
  CHECK(dl != NULL, "dde_load: %s", e.msg);
  if (dl) {
    float d1[20], d2[20], g1[80], g2[80];
    dde_ws *w1 = dde_ws_create(dm, 8), *w2 = dde_ws_create(dl, 8);
    dde_eval(dm, w1, 20, Zxu, d1, g1);
    dde_eval(dl, w2, 20, Zxu, d2, g2);
    double worst = 0;
    for (int i = 0; i < 20; i++) worst = fmax(worst, fabs(d1[i] - d2[i]));
    for (int i = 0; i < 80; i++) worst = fmax(worst, fabs(g1[i] - g2[i]));
    CHECK_WORST("dde model: saved and loaded outputs", worst, 0.0);
    CHECK(dde_check_dims(dl, pd, 4, 1, &e) != 0, "wrong dims must fail");
    printf("error message: %s\n", e.msg);
    dde_ws_free(w1);
    dde_ws_free(w2);
    dde_free(dl);
  }
  CHECK(dde_load(pa, &e) == NULL, "a score file is not a dde model");
  printf("error message: %s\n", e.msg);
  CHECK(strstr(e.msg, "model kind is 'score', expected 'dde'") != NULL, "kind message: %s", e.msg);
  CHECK(score_load(pd, &e) == NULL, "a dde file is not a score model");
  printf("error message: %s\n", e.msg);

  /* a safetensors file without our metadata, and a truncated file */
  sgp_st st;
  sgp_st_init(&st);
  float one = 1;
  int64_t sh[1] = {1};
  sgp_st_add(&st, "x", SGP_F32, 1, sh, &one, &e);
  char pe[512];
  snprintf(pe, sizeof pe, "%s/plain.safetensors", dir);
  sgp_st_write(pe, &st, &e);
  sgp_st_free(&st);
  CHECK(score_load(pe, &e) == NULL, "a plain safetensors file is not a model");
  printf("error message: %s\n", e.msg);
  void *buf;
  size_t len;
  CHECK(sgp_read_file(pa, &buf, &len, 1 << 26, &e) == 0, "read: %s", e.msg);
  CHECK(sgp_write_file_atomic(pe, buf, len - 7, &e) == 0, "write: %s", e.msg);
  free(buf);
  CHECK(score_load(pe, &e) == NULL, "a truncated model file must fail");
  printf("error message: %s\n", e.msg);

  score_free(ma);
  score_free(mb);
  score_free(mc);
  dde_free(dm);
  free(Z);
  free(Zxu);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  test_trainer();
  test_files();
  return tu_done("test_score_file");
}
