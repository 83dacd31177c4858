// ctest-labels: slow envs
/* Reference returns of every registered environment (and of the extra configs it lists) that
 * declares them, reproduced exactly as envs/env.h defines them, as means over the start
 * distribution: ref_random as the mean return of spec.ref_episodes episodes of uniform actions of
 * the action box (one sgp_rng stream "reference", seed 0), ref_expert as the mean return of
 * spec.ref_expert_episodes episodes of ops.expert_action, episode i from env_reset(seed i), over
 * T steps, return = Σ r_t − c_T(x_T). Tolerances: spec.tol.ref_random_abs, ref_expert_abs. References taken from
 * elsewhere (spec.ref_source) are only listed. The normalised score of every result depends on
 * these two numbers. About 10 s (Release). */
#include "envs/env.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One episode from reset(seed): random actions from r (expert = 0) or the expert's (expert = 1). */
static double episode(sgp_env *env, uint64_t seed, int expert, sgp_rng *r, int *success, sgp_err *e) {
  const env_spec *s = &env->spec;
  double *x = sgp_malloc(sizeof(double) * (size_t)s->nx), *u = sgp_malloc(sizeof(double) * (size_t)s->nu);
  double a[ENV_MAX_BOX], ret = 0, rew;
  int term, rc = env_reset(env, seed, x, e);
  for (int t = 0; !rc && t < s->T; t++) {
    if (expert) {
      env->ops->expert_action(env, t, x, u);
    } else {
      for (int i = 0; i < s->nbu; i++) a[i] = s->abox_lo[i] + (s->abox_hi[i] - s->abox_lo[i]) * sgp_rng_uniform(r);
      env_box_to_action(env, a, u);
    }
    rc = env_step(env, u, x, &rew, &term, e);
    ret += rew;
  }
  ret -= env_terminal_cost(env, x, NULL);
  if (success) *success = env_success(env, x);
  free(x), free(u);
  return rc ? NAN : ret;
}

static void references(const char *name, const char *cfg_json) {
  cJSON *j = cJSON_Parse(cfg_json);
  sgp_err e = {{0}};
  sgp_env *env = NULL;
  int rc = env_create(name, j, "cfg", &env, &e);
  cJSON_Delete(j);
  CHECK(rc == 0, "%s %s: create: %s", name, cfg_json, e.msg);
  if (rc) return;
  const env_spec *s = &env->spec;
  if (!s->has_ref) {
    printf("  %s %s: no reference returns declared (no normalised score)\n", name, cfg_json);
    env_destroy(env);
    return;
  }
  if (s->ref_source) {
    printf("  %s %s: reference returns taken from %s (%g, %g): not measured here\n", name, cfg_json, s->ref_source,
           s->ref_random, s->ref_expert);
    env_destroy(env);
    return;
  }
  sgp_rng r;
  sgp_rng_stream(&r, 0, "reference");
  double sum = 0;
  int bad = 0, ok;
  for (int i = 0; i < s->ref_episodes; i++) {
    double ret = episode(env, (uint64_t)i, 0, &r, NULL, &e);
    bad += isnan(ret);
    sum += ret;
  }
  CHECK(bad == 0, "%s: random episodes without simulator errors (%d failed): %s", name, bad, e.msg);
  double expert = 0;
  int nok = 0;
  for (int i = 0; i < s->ref_expert_episodes; i++) {
    double ret = episode(env, (uint64_t)i, 1, NULL, &ok, &e);
    bad += isnan(ret);
    expert += ret / s->ref_expert_episodes;
    nok += ok;
  }
  CHECK(bad == 0, "%s: expert episodes without simulator errors: %s", name, e.msg);
  printf("  %s %s: random mean of %d episodes %.6f, expert mean of %d %.6f (success in %d)\n", name, cfg_json,
         s->ref_episodes, sum / s->ref_episodes, s->ref_expert_episodes, expert, nok);
  CHECK_CLOSE("ref_random: mean return of uniform actions", s->ref_random, sum / s->ref_episodes, s->tol.ref_random_abs);
  CHECK_CLOSE("ref_expert: return of ops.expert_action", s->ref_expert, expert, s->tol.ref_expert_abs);
  env_destroy(env);
}

int main(void) {
  for (int i = 0; i < env_count(); i++) {
    const env_vt *vt = env_at(i);
    references(vt->name, "{}");
    for (int k = 0; vt->test_configs && vt->test_configs[k]; k++) references(vt->name, vt->test_configs[k]);
  }
  return tu_done("test_env_references");
}
