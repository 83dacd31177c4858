/* The environment registry: one line per environment (docs/adding-an-environment.md), and the
 * small helpers of envs/env.h that do not belong to one environment. */
#include "envs/env_private.h"

#include <string.h>

static const env_vt *const registry[] = {
    &env_point_vt,
    &env_cartpole_vt,
    &env_pixels_vt,
    &env_halfcheetah_vt,
    &env_hopper_vt,
    &env_walker2d_vt,
};

int env_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const env_vt *env_at(int i) { return i >= 0 && i < env_count() ? registry[i] : NULL; }

const env_vt *env_find(const char *name) {
  for (int i = 0; i < env_count(); i++)
    if (!strcmp(registry[i]->name, name)) return registry[i];
  return NULL;
}

int env_create(const char *name, cJSON *cfg_json, const char *file, sgp_env **out, sgp_err *e) {
  const env_vt *vt = env_find(name);
  if (!vt) {
    char list[256] = "";
    for (int i = 0; i < env_count(); i++) {
      if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
      strncat(list, registry[i]->name, sizeof list - strlen(list) - 1);
    }
    return sgp_fail(e, "unknown environment '%s' (%s)", name, list);
  }
  cJSON *own = NULL;
  if (!cfg_json) cfg_json = own = cJSON_CreateObject();
  if (!cJSON_IsObject(cfg_json)) return sgp_fail(e, "%s: environment config: expected an object", file);
  sgp_cfg c = sgp_cfg_root(cfg_json, file);
  int rc = vt->create(&c, out, e);
  cJSON_Delete(own);
  return rc;
}

void env_box_to_state(const sgp_env *env, const double *b, double *x) {
  if (env->ops->box_to_state) env->ops->box_to_state(env, b, x);
  else memcpy(x, b, sizeof(double) * env->spec.nx);
}

void env_state_to_box(const sgp_env *env, const double *x, double *b) {
  if (env->ops->state_to_box) env->ops->state_to_box(env, x, b);
  else memcpy(b, x, sizeof(double) * env->spec.nx);
}

void env_box_to_action(const sgp_env *env, const double *a, double *u) {
  if (env->ops->box_to_action) env->ops->box_to_action(env, a, u);
  else memcpy(u, a, sizeof(double) * env->spec.nu);
}

void env_action_to_box(const sgp_env *env, const double *u, double *a) {
  if (env->ops->action_to_box) env->ops->action_to_box(env, u, a);
  else memcpy(a, u, sizeof(double) * env->spec.nu);
}

void env_clip_action(const sgp_env *env, double *u) {
  for (int i = 0; i < env->spec.nu; i++) {
    if (u[i] < env->spec.u_lo[i]) u[i] = env->spec.u_lo[i];
    if (u[i] > env->spec.u_hi[i]) u[i] = env->spec.u_hi[i];
  }
}

void env_mj(sgp_env *env, const mjModel **m, mjData **d) {
  if (m) *m = env->sim ? env->sim->m : NULL;
  if (d) *d = env->sim ? env->sim->d : NULL;
}

long env_warnings(const sgp_env *env) { return env->sim ? env->sim->warnings : 0; }

void env_sim_dims(const sgp_env *env, int *nq, int *nv) {
  *nq = env->sim ? env->sim->m->nq : 0;
  *nv = env->sim ? env->sim->m->nv : 0;
}

void env_get_sim_state(const sgp_env *env, double *qpos, double *qvel) {
  if (!env->sim) return;
  memcpy(qpos, env->sim->d->qpos, sizeof(double) * env->sim->m->nq);
  memcpy(qvel, env->sim->d->qvel, sizeof(double) * env->sim->m->nv);
}

int env_set_sim_state(sgp_env *env, const double *qpos, const double *qvel, sgp_err *e) {
  if (!env->sim) return sgp_fail(e, "%s: no simulator state", env->spec.name);
  const mjModel *m = env->sim->m;
  if (!sgp_all_finite_d(qpos, (size_t)m->nq) || !sgp_all_finite_d(qvel, (size_t)m->nv))
    return sgp_fail(e, "%s: set_sim_state: non-finite qpos or qvel", env->spec.name);
  env_mj_set(env->sim, qpos, qvel, env->t * env->spec.dt);
  return 0;
}
