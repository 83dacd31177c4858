// ctest-labels: slow datasets
/* The committed behaviour policies (datasets/policies/ENV-medium, ENV-expert): they load from the
 * program (embedded), their measured returns are ordered random < medium < expert, and the return
 * their metadata records is reproduced by evaluating them again with the same episodes. The
 * environment's own reference returns ({"reference": "sgpbench"}) are these measurements: random =
 * the mean return of 20 episodes of uniform actions (sgp_rng stream "random", seed 0; episode i
 * from reset(seed i), ended by termination), expert = the expert policy's re-measured return. */
#include "datasets/policy.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load(const char *name, const sgp_env *env, ds_linear *p, sgp_err *e) {
  cJSON *j = NULL;
  char js[128];
  snprintf(js, sizeof js, "{\"policy\":\"%s\"}", name);
  sgp_json_parse(js, "test", &j, e);
  sgp_cfg c = sgp_cfg_root(j, "test");
  void *buf = NULL;
  size_t len = 0;
  char label[256];
  int rc = ds_policy_bytes(&c, &buf, &len, label, sizeof label, e) || ds_linear_parse(buf, len, label, env, p, e);
  free(buf);
  cJSON_Delete(j);
  return rc ? -1 : 0;
}

int main(void) {
  const char *envs[] = {"hopper", "halfcheetah", "walker2d"};
  for (int k = 0; k < (int)(sizeof envs / sizeof envs[0]); k++) {
    sgp_err e = {{0}};
    sgp_env *env = NULL;
    env_create(envs[k], NULL, "cfg", &env, &e);
    ds_linear med, exp;
    char nm[64], ne[64];
    snprintf(nm, sizeof nm, "%s-medium", envs[k]);
    snprintf(ne, sizeof ne, "%s-expert", envs[k]);
    CHECK(load(nm, env, &med, &e) == 0 && load(ne, env, &exp, &e) == 0, "%s: committed policies: %s", envs[k], e.msg);
    /* the recorded returns: 20 episodes of the "eval" stream of the training seed */
    uint64_t seed = (uint64_t)ds_linear_meta_num(&exp, "seed");
    int T = env->spec.T;
    double mm, sm, me, se;
    ds_linear_evaluate(envs[k], NULL, &med, 20, T, seed, 2, &mm, &sm, &e);
    ds_linear_evaluate(envs[k], NULL, &exp, 20, T, seed, 2, &me, &se, &e);
    char what[128];
    snprintf(what, sizeof what, "%s: medium return re-measured vs its metadata", envs[k]);
    CHECK_CLOSE(what, mm, ds_linear_meta_num(&med, "return_mean"), 1e-9 * fabs(mm));
    snprintf(what, sizeof what, "%s: expert return re-measured vs its metadata", envs[k]);
    CHECK_CLOSE(what, me, ds_linear_meta_num(&exp, "return_mean"), 1e-9 * fabs(me));
    /* random: uniform actions, 20 episodes */
    sgp_rng r;
    sgp_rng_stream(&r, 0, "random");
    double rs = 0, x[17], u[6];
    for (int ep = 0; ep < 20; ep++) {
      env_reset(env, (uint64_t)ep, x, &e);
      for (int t = 0; t < T; t++) {
        for (int i = 0; i < env->spec.nu; i++) u[i] = 2 * sgp_rng_uniform(&r) - 1;
        double rew;
        int term;
        env_step(env, u, x, &rew, &term, &e);
        rs += rew;
        if (term) break;
      }
    }
    rs /= 20;
    printf("  %s: random %.17g, medium %.1f ± %.1f, expert %.17g ± %.1f\n", envs[k], rs, mm, sm, me, se);
    CHECK(rs < mm && mm < me, "%s: random < medium < expert", envs[k]);
    /* the same two numbers are the environment's "sgpbench" reference returns */
    cJSON *rj = cJSON_Parse("{\"reference\": \"sgpbench\"}");
    sgp_env *own = NULL;
    CHECK(env_create(envs[k], rj, "cfg", &own, &e) == 0, "%s: reference sgpbench: %s", envs[k], e.msg);
    cJSON_Delete(rj);
    if (own) {
      snprintf(what, sizeof what, "%s: sgpbench ref_random vs the random episodes", envs[k]);
      CHECK_CLOSE(what, own->spec.ref_random, rs, 1e-9 * fabs(rs));
      snprintf(what, sizeof what, "%s: sgpbench ref_expert vs the expert policy's return", envs[k]);
      CHECK_CLOSE(what, own->spec.ref_expert, me, 1e-9 * fabs(me));
      env_destroy(own);
    }
    ds_linear_free(&med);
    ds_linear_free(&exp);
    env_destroy(env);
  }
  return tu_done("test_policies");
}
