/* The registries a sweep is validated against: the built-in environments (envs/env.h; the config
 * is validated by creating the environment once) and planners (agents/planner.h; needs() reads
 * and validates the planner's parameters and says which models to train). */
#include "agents/planner.h"
#include "bench/sweep.h"
#include "envs/env.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The planar figure's extent, goal and excluded disk come from the data box when the box is the
 * state itself (nbx == nx); the excluded disk (box dimensions 0 and 1) only when the figure shows
 * those two dimensions. */
void sweep_env_describe(const env_spec *s, sweep_env_info *out) {
  memset(out, 0, sizeof *out);
  out->nx = s->nx;
  out->nu = s->nu;
  out->has_ref = s->has_ref;
  out->T = s->T;
  out->fig = s->figure;
  for (int k = 0; k < s->figure.n && k < ENV_FIG_MAX; k++) out->goal[k] = s->goal ? s->goal[s->figure.dims[k]] : NAN;
  if (s->figure.kind != ENV_FIG_PLANAR) return;
  const int *d = s->figure.dims;
  int box = s->has_box && s->nbx == s->nx;
  for (int k = 0; k < 2; k++) {
    out->box_lo[k] = box ? s->box_lo[d[k]] : -1;
    out->box_hi[k] = box ? s->box_hi[d[k]] : 1;
  }
  out->has_goal2 = s->goal != NULL;
  if (box && d[0] == 0 && d[1] == 1) {
    out->hole_c[0] = s->excluded.center[0];
    out->hole_c[1] = s->excluded.center[1];
    out->hole_r = s->excluded.radius;
  }
}

static int builtin_env_info(const char *name, cJSON *config, const char *file, const char *path,
                            sweep_env_info *out, sgp_err *e) {
  if (!env_find(name)) {
    /* path names the env entry's "name" or "config"; an unknown name is always about "name" */
    char p[128];
    snprintf(p, sizeof p, "%s", path);
    char *s = strrchr(p, '/');
    if (s) snprintf(s, sizeof p - (size_t)(s - p), "/name");
    sgp_fail_unknown(e, "environment", name, env_count(), env_name_at, NULL);
    return sgp_fail_prefix(e, "%s: %s", file, p);
  }
  char where[600];
  snprintf(where, sizeof where, "%s: %s", file, path);
  sgp_env *env;
  if (env_create(name, config, where, &env, e)) return -1;
  sweep_env_describe(&env->spec, out);
  env_destroy(env);
  return 0;
}

static int builtin_planner_needs(cJSON *planner, const char *file, const char *path, int *mask,
                                 sgp_err *e) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(planner, "name");
  const plan_vt *vt = cJSON_IsString(n) ? plan_find(n->valuestring) : NULL;
  if (!vt) {
    sgp_fail_unknown(e, "planner", cJSON_IsString(n) ? n->valuestring : "?", plan_count(),
                     plan_name_at, NULL);
    return sgp_fail_prefix(e, "%s: %s/name", file, path);
  }
  sgp_cfg c = sgp_cfg_root(planner, file);
  snprintf(c.path, sizeof c.path, "%s", path);
  return vt->needs(&c, mask, e);
}

static const sweep_registry builtin = {"built-in", builtin_env_info, builtin_planner_needs, 0};

const sweep_registry *sweep_registry_builtin(void) { return &builtin; }
