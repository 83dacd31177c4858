/* The registries a sweep is validated against: the built-in environments (envs/env.h; the config
 * is validated by creating the environment once) and planners (agents/planner.h; needs() reads
 * and validates the planner's parameters and says which models to train). */
#include "agents/planner.h"
#include "bench/sweep.h"
#include "envs/env.h"

#include <stdio.h>
#include <string.h>

static int builtin_env_info(const char *name, cJSON *config, const char *file, const char *path,
                            sweep_env_info *out, sgp_err *e) {
  if (!env_find(name)) {
    char list[256] = "";
    for (int i = 0; i < env_count(); i++) {
      if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
      strncat(list, env_at(i)->name, sizeof list - strlen(list) - 1);
    }
    /* path names the env entry's "name" or "config"; an unknown name is always about "name" */
    char p[128];
    snprintf(p, sizeof p, "%s", path);
    char *s = strrchr(p, '/');
    if (s) snprintf(s, sizeof p - (size_t)(s - p), "/name");
    return sgp_fail(e, "%s: %s: unknown environment '%s' (known: %s)", file, p, name, list);
  }
  char where[600];
  snprintf(where, sizeof where, "%s: %s", file, path);
  sgp_env *env;
  if (env_create(name, config, where, &env, e)) return -1;
  const env_spec *s = &env->spec;
  memset(out, 0, sizeof *out);
  out->nx = s->nx;
  out->nu = s->nu;
  out->has_ref = s->has_ref;
  out->T = s->T;
  if (s->nx == 2) {
    out->has_goal2 = s->goal != NULL;
    if (s->goal) out->goal[0] = s->goal[0], out->goal[1] = s->goal[1];
    if (s->has_box && s->nbx >= 2) {
      out->box_lo[0] = s->box_lo[0], out->box_lo[1] = s->box_lo[1];
      out->box_hi[0] = s->box_hi[0], out->box_hi[1] = s->box_hi[1];
      out->hole_c[0] = s->excl_center[0], out->hole_c[1] = s->excl_center[1];
      out->hole_r = s->excl_radius;
    } else {
      out->box_lo[0] = out->box_lo[1] = -1;
      out->box_hi[0] = out->box_hi[1] = 1;
    }
  }
  env_destroy(env);
  return 0;
}

static int builtin_planner_needs(cJSON *planner, const char *file, const char *path, int *mask,
                                 sgp_err *e) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(planner, "name");
  const plan_vt *vt = cJSON_IsString(n) ? plan_find(n->valuestring) : NULL;
  if (!vt) {
    char list[512] = "";
    for (int i = 0; i < plan_count(); i++) {
      if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
      strncat(list, plan_at(i)->name, sizeof list - strlen(list) - 1);
    }
    return sgp_fail(e, "%s: %s/name: unknown planner '%s' (known: %s)", file, path,
                    cJSON_IsString(n) ? n->valuestring : "?", list);
  }
  sgp_cfg c = sgp_cfg_root(planner, file);
  snprintf(c.path, sizeof c.path, "%s", path);
  return vt->needs(&c, mask, e);
}

static const sweep_registry builtin = {"built-in", builtin_env_info, builtin_planner_needs, 0};

const sweep_registry *sweep_registry_builtin(void) { return &builtin; }
