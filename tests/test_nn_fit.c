// ctest-labels: unit core
/* End to end: an MLP built from a JSON architecture (nn_arch_from_cfg, defaults inserted, errors
 * naming the field, round trip through nn_arch_to_json) fits y = sin(3x) on [−1, 1] with Adam and a
 * cosine schedule to a mean squared error below 1e-3 on a fresh grid. Seeded. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int arch_from_text(const char *text, int nin, int nout, nn_arch *a, sgp_err *e, cJSON **keep) {
  cJSON *j = NULL;
  if (sgp_json_parse(text, "arch.json", &j, e) != 0) return -1;
  sgp_cfg c = sgp_cfg_root(j, "arch.json");
  int rc = nn_arch_from_cfg(&c, nin, nout, a, e);
  if (keep) *keep = j;
  else cJSON_Delete(j);
  return rc;
}

static void json_checks(void) {
  nn_arch a;
  sgp_err e;
  cJSON *j = NULL;
  CHECK(arch_from_text("{\"hidden\":[64,64],\"act\":\"tanh\"}", 1, 1, &a, &e, &j) == 0, "%s", e.msg);
  CHECK(a.nin == 1 && a.nout == 1 && a.nhidden == 2 && a.width[0] == 64 && a.width[1] == 64 && a.act == NN_TANH &&
            a.layernorm == 0 && a.ncond == 0,
        "parsed architecture");
  /* the getters inserted the defaults: the tree is the resolved config */
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "layernorm")) && cJSON_GetObjectItem(j, "ncond") &&
            cJSON_GetObjectItem(j, "act_param"),
        "defaults inserted");
  cJSON_Delete(j);
  CHECK(arch_from_text("{\"act\":\"leaky_relu\"}", 3, 2, &a, &e, NULL) == 0 && a.nhidden == 2 && a.width[0] == 256 &&
            fabsf(a.act_param - 0.01f) < 1e-9f,
        "defaults: hidden [256,256], leaky slope 0.01");
  CHECK(arch_from_text("{\"act\":\"elu\"}", 3, 2, &a, &e, NULL) == 0 && a.act_param == 1.0f, "elu alpha 1");
  /* round trip */
  nn_arch b;
  memset(&b, 0, sizeof b);
  b.nin = 5, b.nout = 4, b.nhidden = 3, b.width[0] = 64, b.width[1] = 64, b.width[2] = 32;
  b.act = NN_SILU, b.act_param = 0.0f, b.layernorm = 1, b.ncond = 10;
  cJSON *bj = nn_arch_to_json(&b);
  char *txt = cJSON_PrintUnformatted(bj);
  printf("nn_arch_to_json: %s\n", txt);
  nn_arch b2;
  CHECK(arch_from_text(txt, 5, 4, &b2, &e, NULL) == 0, "round trip: %s", e.msg);
  CHECK(b2.nin == 5 && b2.nout == 4 && b2.nhidden == 3 && b2.width[2] == 32 && b2.act == NN_SILU && b2.layernorm == 1 &&
            b2.ncond == 10 && nn_arch_nparams(&b2) == nn_arch_nparams(&b),
        "round trip differs");
  /* a stored "in" that does not match the data is an error naming the field */
  CHECK(arch_from_text(txt, 6, 4, &b2, &e, NULL) != 0 && strstr(e.msg, "/in"), "in mismatch: %s", e.msg);
  free(txt);
  cJSON_Delete(bj);
  printf("errors:\n");
  const char *bad[] = {"{\"hiden\":[8]}", "{\"act\":\"gelu\"}", "{\"hidden\":[8,0]}", "{\"hidden\":8}",
                       "{\"layernorm\":1}", "{\"ncond\":-1}", "{\"hidden\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"};
  const char *field[] = {"/hiden", "/act", "/hidden/1", "/hidden", "/layernorm", "/ncond", "/hidden"};
  for (int i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
    int rc = arch_from_text(bad[i], 2, 2, &a, &e, NULL);
    CHECK(rc != 0 && strstr(e.msg, "arch.json") && strstr(e.msg, field[i]), "%s: %s", bad[i], e.msg);
    printf("  %-28s -> %s\n", bad[i], e.msg);
  }
  nn_act act;
  CHECK(nn_act_parse("silu", &act) == 0 && act == NN_SILU && nn_act_parse("SiLU", &act) != 0 &&
            !strcmp(nn_act_name(NN_LEAKY_RELU), "leaky_relu"),
        "activation names");
}

int main(void) {
  json_checks();

  nn_arch a;
  sgp_err e;
  CHECK(arch_from_text("{\"hidden\":[64,64],\"act\":\"tanh\"}", 1, 1, &a, &e, NULL) == 0, "%s", e.msg);
  sgp_rng r, data;
  sgp_rng_stream(&r, 7, "init");
  sgp_rng_stream(&data, 7, "data");
  nn_mlp *m = nn_create(&a);
  nn_init(m, &r);
  enum { N = 512, BATCH = 64, STEPS = 1500, GRID = 1001 };
  float xs[N], ys[N];
  for (int i = 0; i < N; i++) {
    xs[i] = (float)(2 * sgp_rng_uniform(&data) - 1);
    ys[i] = sinf(3 * xs[i]);
  }
  nn_ws *ws = nn_ws_create(&a, GRID);
  float *grad = sgp_falloc(m->nparams);
  sgp_adam_cfg cfg = sgp_adam_defaults();
  cfg.lr = 1e-2f;
  sgp_adam *opt = sgp_adam_create(m->nparams, &cfg);
  float xb[BATCH], yb[BATCH], out[BATCH], dy[BATCH];
  for (int s = 0; s < STEPS; s++) {
    for (int b = 0; b < BATCH; b++) {
      int i = (int)sgp_rng_below(&data, N);
      xb[b] = xs[i], yb[b] = ys[i];
    }
    nn_forward(m, ws, BATCH, xb, NULL, out);
    for (int b = 0; b < BATCH; b++) dy[b] = 2.0f * (out[b] - yb[b]) / BATCH; /* d mean (y − t)² */
    nn_backward(m, ws, BATCH, dy, grad, 0, NULL);
    sgp_adam_step(opt, m->params, grad, sgp_cosine_lr(cfg.lr, 1e-4f, s, STEPS));
  }
  /* a fresh grid, never trained on */
  float *xg = sgp_falloc(GRID), *yg = sgp_falloc(GRID);
  for (int i = 0; i < GRID; i++) xg[i] = -1.0f + 2.0f * (float)i / (GRID - 1);
  nn_forward(m, ws, GRID, xg, NULL, yg);
  double mse = 0;
  for (int i = 0; i < GRID; i++) mse += (yg[i] - sin(3.0 * xg[i])) * (yg[i] - sin(3.0 * xg[i]));
  mse /= GRID;
  CHECK_WORST("MSE of the fit of sin(3x) on a fresh grid", mse, 1e-3);
  free(xg), free(yg), free(grad);
  sgp_adam_free(opt);
  nn_ws_free(ws);
  nn_free(m);
  return tu_done("test_nn_fit");
}
