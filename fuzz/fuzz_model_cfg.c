/* libFuzzer target: the training configs of `sgp train` (the files in agents/configs/) and of
 * `sgp train policy` (datasets/policies/ars_ENV.json) on arbitrary bytes: JSON parsing, then on
 * copies of the tree the readers the verbs call (the shared trainer's /train, the network's /net,
 * the score and dde kinds' own fields, the ARS config on a point environment). A rejection is one
 * line naming the file; an accepted config holds values within the ranges the readers promise. */
#include "agents/dde.h"
#include "agents/score.h"
#include "agents/train.h"
#include "core/nn.h"
#include "datasets/policy.h"
#include "envs/env.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const name = "fuzz/config.json";

static void check_msg(const sgp_err *e) {
  if (strncmp(e->msg, name, strlen(name)) != 0 || strchr(e->msg, '\n')) abort();
}

/* reader(view of a copy of m) -> 0, or one line naming the file */
static void one(const cJSON *m, int which, const sgp_env *env) {
  cJSON *c = cJSON_Duplicate(m, 1);
  sgp_cfg root = sgp_cfg_root(c, name), sub;
  sgp_err e;
  e.msg[0] = 0;
  int rc = 0;
  switch (which) {
    case 0: {
      train_cfg tc;
      rc = sgp_cfg_obj_opt(&root, "train", &sub, &e) || train_cfg_read(&sub, &tc, &e);
      if (!rc && (tc.epochs < 1 || tc.batch < 1 || !(tc.lr > 0))) abort();
      break;
    }
    case 1: {
      nn_arch a;
      rc = sgp_cfg_obj_opt(&root, "net", &sub, &e) || nn_arch_from_cfg(&sub, 4, 4, &a, &e);
      if (!rc && (a.nin != 4 || a.nout != 4 || a.nhidden < 0)) abort();
      break;
    }
    case 2: {
      score_cfg s;
      rc = score_cfg_read(&root, &s, &e);
      if (!rc && (s.nlevels < 1 || s.nlevels > SCORE_MAX_LEVELS || !(s.sigma_min > 0) ||
                  !(s.sigma_max >= s.sigma_min) || !isfinite(s.alpha)))
        abort();
      break;
    }
    case 3: {
      dde_cfg d;
      rc = dde_cfg_read(&root, &d, &e);
      if (!rc && (d.nsamples < 1 || !(d.near_fraction >= 0 && d.near_fraction <= 1))) abort();
      break;
    }
    default: {
      ds_ars_cfg a;
      rc = ds_ars_cfg_read(&root, env, &a, &e);
      if (!rc && (a.iterations < 1 || a.directions < 1 || a.top < 1 || a.top > a.directions ||
                  a.episode_length < 1))
        abort();
    }
  }
  if (rc) check_msg(&e);
  cJSON_Delete(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sgp_env *env; /* made once: reachable until exit */
  if (!env) {
    sgp_err e;
    cJSON *cfg = cJSON_CreateObject();
    if (env_create("point", cfg, "point", &env, &e)) abort();
    cJSON_Delete(cfg);
  }
  cJSON *m = NULL;
  sgp_err e;
  e.msg[0] = 0;
  if (sgp_json_parse_len((const char *)data, size, name, &m, &e) != 0) {
    check_msg(&e);
    return 0;
  }
  if (cJSON_IsObject(m)) /* the verbs refuse anything else first */
    for (int which = 0; which < 5; which++) one(m, which, env);
  cJSON_Delete(m);
  return 0;
}
