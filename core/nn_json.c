/* MLP architecture <-> JSON: activation names, the "arch" object of configs and model files.
 *   {"in":5,"out":4,"hidden":[64,64,32],"act":"leaky_relu","act_param":0.01,"layernorm":false,"ncond":0}
 * Kept apart from nn.c so that the numerics do not depend on the config layer. */
#include "core/err.h"
#include "core/nn.h"
#include "core/json.h"

#include <string.h>

static const char *const act_names[NN_NUM_ACT] = {"relu", "leaky_relu", "elu", "silu", "tanh", "identity"};

const char *nn_act_name(nn_act a) { return (int)a >= 0 && a < NN_NUM_ACT ? act_names[a] : "unknown"; }

int nn_act_parse(const char *name, nn_act *out) {
  for (int i = 0; i < NN_NUM_ACT; i++)
    if (name && !strcmp(name, act_names[i])) {
      *out = (nn_act)i;
      return 0;
    }
  return -1;
}

/* The default act_param of each activation (LeakyReLU slope, ELU alpha; unused by the others). */
static float act_default_param(nn_act a) {
  return a == NN_LEAKY_RELU ? 0.01f : a == NN_ELU ? 1.0f : 0.0f;
}

cJSON *nn_arch_to_json(const nn_arch *a) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "in", a->nin);
  cJSON_AddNumberToObject(j, "out", a->nout);
  cJSON *h = cJSON_AddArrayToObject(j, "hidden");
  for (int k = 0; k < a->nhidden; k++) cJSON_AddItemToArray(h, cJSON_CreateNumber(a->width[k]));
  cJSON_AddStringToObject(j, "act", nn_act_name(a->act));
  cJSON_AddNumberToObject(j, "act_param", a->act_param);
  cJSON_AddBoolToObject(j, "layernorm", a->layernorm != 0);
  cJSON_AddNumberToObject(j, "ncond", a->ncond);
  return j;
}

/* Defaults (inserted into the config): hidden [256,256], act relu, act_param per activation,
 * layernorm false, ncond 0. "in"/"out" may be present (a model file's arch) and must then match. */
int nn_arch_from_cfg(struct sgp_cfg *c, int nin, int nout, nn_arch *out, sgp_err *e) {
  static const char *const keys[] = {"in", "out", "hidden", "act", "act_param", "layernorm", "ncond", NULL};
  if (sgp_cfg_check_keys(c, keys, e) != 0) return -1;
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nin;
  a.nout = nout;
  long v;
  if (sgp_cfg_has(c, "in")) {
    if (sgp_cfg_int(c, "in", 1, 1 << 24, &v, e) != 0) return -1;
    if (v != nin) return sgp_fail(e, "%s: %s/in: %ld does not match the data (%d)", c->file, c->path, v, nin);
  }
  if (sgp_cfg_has(c, "out")) {
    if (sgp_cfg_int(c, "out", 1, 1 << 24, &v, e) != 0) return -1;
    if (v != nout)
      return sgp_fail(e, "%s: %s/out: %ld does not match the data (%d)", c->file, c->path, v, nout);
  }
  if (!sgp_cfg_has(c, "hidden")) {
    cJSON *h = cJSON_AddArrayToObject(c->j, "hidden");
    cJSON_AddItemToArray(h, cJSON_CreateNumber(256));
    cJSON_AddItemToArray(h, cJSON_CreateNumber(256));
  }
  long w[NN_MAX_HIDDEN];
  int n = 0;
  if (sgp_cfg_int_array(c, "hidden", w, NN_MAX_HIDDEN, &n, e) != 0) return -1;
  for (int k = 0; k < n; k++) {
    if (w[k] < 1 || w[k] > (1 << 24))
      return sgp_fail(e, "%s: %s/hidden/%d: width %ld out of range [1, %d]", c->file, c->path, k, w[k],
                      1 << 24);
    a.width[k] = (int)w[k];
  }
  a.nhidden = n;
  int act = 0;
  if (sgp_cfg_enum(c, "act", act_names, NN_NUM_ACT, NN_RELU, &act, e) != 0) return -1;
  a.act = (nn_act)act;
  if (sgp_cfg_float_opt(c, "act_param", act_default_param(a.act), &a.act_param, e) != 0) return -1;
  if (sgp_cfg_bool_opt(c, "layernorm", 0, &a.layernorm, e) != 0) return -1;
  if (sgp_cfg_int_opt(c, "ncond", 0, 1 << 20, 0, &v, e) != 0) return -1;
  a.ncond = (int)v;
  if (nn_arch_check(&a, e) != 0) return sgp_fail_prefix(e, "%s: %s", c->file, c->path[0] ? c->path : "/");
  *out = a;
  return 0;
}
