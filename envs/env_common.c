/* What envs/env.h promises beyond one environment: creating by name, the identity defaults of the
 * data-box maps, the description's hooks with their defaults, and the check of an instance's
 * description against the contract (env_check). */
#include "envs/env_private.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ creating */
int env_make(const env_vt *vt, sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  sgp_env *env = NULL;
  if (vt->create(cfg, &env, e)) return -1;
  if (env_check(env, e)) {
    env_destroy(env);
    return -1;
  }
  *out = env;
  return 0;
}

const char *env_name_at(const void *ctx, int i) {
  (void)ctx;
  const env_vt *vt = env_at(i);
  return vt ? vt->name : "";
}

int env_create(const char *name, cJSON *cfg_json, const char *file, sgp_env **out, sgp_err *e) {
  const env_vt *vt = env_find(name);
  if (!vt) return sgp_fail_unknown(e, "environment", name, env_count(), env_name_at, NULL);
  cJSON *own = NULL;
  if (!cfg_json) cfg_json = own = cJSON_CreateObject();
  if (!cJSON_IsObject(cfg_json)) return sgp_fail(e, "%s: environment config: expected an object", file);
  sgp_cfg c = sgp_cfg_root(cfg_json, file);
  int rc = env_make(vt, &c, out, e);
  cJSON_Delete(own);
  return rc;
}

/* ------------------------------------------------------------------ data-box maps */
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

/* ------------------------------------------------------------------ hooks with defaults */
int env_view_point(const sgp_env *env, const double *x, double p[3]) {
  return env->ops->view_point ? env->ops->view_point(env, x, p) : -1;
}

int env_overlays(const sgp_env *env, env_overlay *out, int max) {
  if (!env->ops->overlays || max <= 0) return 0;
  int n = env->ops->overlays(env, out, max);
  return n < 0 ? 0 : n > max ? max : n;
}

void env_hud_note(const sgp_env *env, char *buf, size_t n) {
  if (n) buf[0] = 0;
  if (env->ops->hud_note && n) env->ops->hud_note(env, buf, n);
}

int env_view_action(const sgp_env *env, const double *x, const double *u, env_arrow *out, int max) {
  if (!env->ops->view_action) return -1;
  int n = max > 0 ? env->ops->view_action(env, x, u, out, max) : 0;
  return n < 0 ? 0 : n > max ? max : n;
}

int env_view_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                    double cam[6]) {
  if (!env->ops->view_camera) return 0;
  env->ops->view_camera(env, xs, n, aspect, fovy, cam);
  return 1;
}

int env_view_marks(const sgp_env *env, const double *x, double (*p)[3], int max) {
  if (!env->ops->view_marks || max <= 0) return 0;
  int n = env->ops->view_marks(env, x, p, max);
  return n < 0 ? 0 : n > max ? max : n;
}

double env_metric_value(const sgp_env *env, int i, const double *xs, int n) {
  if (i < 0 || i >= env->spec.nmetrics || !env->ops->metric) return NAN;
  return env->ops->metric(env, i, xs, n);
}

/* ------------------------------------------------------------------ the check */
static int bad(sgp_err *e, const sgp_env *env, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(sgp_err *e, const sgp_env *env, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *name = env->spec.name ? env->spec.name : env->vt ? env->vt->name : "?";
  return sgp_fail(e, "%s: %s (its %s.c; docs/adding-an-environment.md)", name, msg, name);
}

static int check_ops(const sgp_env *env, sgp_err *e) {
  const env_ops *o = env->ops;
  if (!env->vt || !o) return bad(e, env, "the instance has no vt or ops table");
  const char *miss = !o->destroy ? "destroy" : !o->reset ? "reset" : !o->set_state ? "set_state"
                   : !o->get_state ? "get_state" : !o->step ? "step" : !o->cost ? "cost"
                   : !o->terminal_cost ? "terminal_cost" : !o->success ? "success"
                   : !o->cost_batch ? "cost_batch" : !o->terminal_cost_batch ? "terminal_cost_batch" : NULL;
  if (miss) return bad(e, env, "ops.%s is required", miss);
  if (!o->box_to_state != !o->state_to_box)
    return bad(e, env, "ops.box_to_state and ops.state_to_box: give both or neither");
  if (!o->box_to_action != !o->action_to_box)
    return bad(e, env, "ops.box_to_action and ops.action_to_box: give both or neither");
  return 0;
}

static int check_spec(const sgp_env *env, sgp_err *e) {
  const env_spec *s = &env->spec;
  if (!s->name || strcmp(s->name, env->vt->name))
    return bad(e, env, "spec.name must be the registry name '%s'", env->vt->name);
  if (s->nx < 1 || s->nu < 1)
    return bad(e, env, "spec.nx = %d, spec.nu = %d: both must be >= 1", s->nx, s->nu);
  if (!(s->dt > 0) || s->T < 1)
    return bad(e, env, "spec.dt = %g, spec.T = %d: both must be positive", s->dt, s->T);
  if (!s->u_lo || !s->u_hi) return bad(e, env, "spec.u_lo and spec.u_hi are required");
  for (int i = 0; i < s->nu; i++)
    if (!(s->u_lo[i] <= s->u_hi[i]))
      return bad(e, env, "spec.u_lo[%d] = %g exceeds spec.u_hi[%d] = %g", i, s->u_lo[i], i, s->u_hi[i]);
  if (!s->has_box) {
    if (s->excluded.radius != 0) return bad(e, env, "spec.excluded needs a data box (spec.has_box)");
    return 0;
  }
  if (s->nbx < 1 || s->nbx > ENV_MAX_BOX || s->nbu < 1 || s->nbu > ENV_MAX_BOX)
    return bad(e, env, "spec.nbx = %d, spec.nbu = %d: each must be in [1, %d]", s->nbx, s->nbu, ENV_MAX_BOX);
  if (!env->ops->box_to_state && s->nbx != s->nx)
    return bad(e, env, "spec.nbx = %d differs from nx = %d without ops.box_to_state", s->nbx, s->nx);
  if (!env->ops->box_to_action && s->nbu != s->nu)
    return bad(e, env, "spec.nbu = %d differs from nu = %d without ops.box_to_action", s->nbu, s->nu);
  for (int i = 0; i < s->nbx; i++)
    if (!(s->box_lo[i] < s->box_hi[i]))
      return bad(e, env, "spec.box_lo[%d] = %g is not below spec.box_hi[%d] = %g",
                      i, s->box_lo[i], i, s->box_hi[i]);
  for (int i = 0; i < s->nbu; i++)
    if (!(s->abox_lo[i] <= s->abox_hi[i]))
      return bad(e, env, "spec.abox_lo[%d] exceeds spec.abox_hi[%d]", i, i);
  const env_region *r = &s->excluded;
  if (!(r->radius >= 0) || !isfinite(r->radius) || !isfinite(r->center[0]) || !isfinite(r->center[1]))
    return bad(e, env, "spec.excluded: radius %g, centre (%g, %g): expected finite values, radius >= 0",
                    r->radius, r->center[0], r->center[1]);
  if (r->radius > 0 && s->nbx < 2)
    return bad(e, env, "spec.excluded is a disk in box dimensions 0 and 1, but nbx = %d", s->nbx);
  return 0;
}

static int check_figure(const sgp_env *env, sgp_err *e) {
  const env_spec *s = &env->spec;
  const env_figure *f = &s->figure;
  if (f->kind == ENV_FIG_NONE) {
    if (f->by_default) return bad(e, env, "spec.figure.by_default without a figure (kind ENV_FIG_NONE)");
    return 0;
  }
  if (f->kind != ENV_FIG_PLANAR && f->kind != ENV_FIG_SERIES)
    return bad(e, env, "spec.figure.kind = %d is not an env_figure_kind", (int)f->kind);
  if (f->kind == ENV_FIG_PLANAR && f->n != 2)
    return bad(e, env, "spec.figure.n = %d: a planar figure uses 2 dimensions", f->n);
  if (f->n < 1 || f->n > ENV_FIG_MAX)
    return bad(e, env, "spec.figure.n = %d: expected 1..%d", f->n, ENV_FIG_MAX);
  if (s->figure_box && !s->has_box) return bad(e, env, "spec.figure_box without a data box (spec.has_box)");
  for (int i = 0; i < f->n; i++) {
    if (s->figure_box && (f->dims[i] < 0 || f->dims[i] >= s->nbx))
      return bad(e, env, "spec.figure.dims[%d] = %d is not a data-box dimension (nbx = %d)",
                      i, f->dims[i], s->nbx);
    if (!s->figure_box && (f->dims[i] < 0 || f->dims[i] >= s->nx))
      return bad(e, env, "spec.figure.dims[%d] = %d is not a state dimension (nx = %d)",
                      i, f->dims[i], s->nx);
    if (!f->labels[i] || !f->labels[i][0]) return bad(e, env, "spec.figure.labels[%d] is missing", i);
  }
  return 0;
}

static int check_refs(const sgp_env *env, sgp_err *e) {
  const env_spec *s = &env->spec;
  if (!s->has_ref) return 0;
  if (!s->ref_source && !env->ops->expert_action)
    return bad(e, env, "spec.has_ref without ops.expert_action (the policy of ref_expert) or "
                       "spec.ref_source");
  if (s->nbu < 1 || s->nbu > ENV_MAX_BOX)
    return bad(e, env, "spec.has_ref: ref_random draws from the action box, but spec.nbu = %d", s->nbu);
  if (!isfinite(s->ref_random) || !isfinite(s->ref_expert) || !(s->ref_expert > s->ref_random))
    return bad(e, env, "spec.ref_random = %g, spec.ref_expert = %g: expected finite values, expert above random",
                    s->ref_random, s->ref_expert);
  if (s->ref_episodes < 0 || s->ref_expert_episodes < 0)
    return bad(e, env, "spec.ref_episodes = %d, spec.ref_expert_episodes = %d: expected >= 0", s->ref_episodes,
               s->ref_expert_episodes);
  return 0;
}

static int check_tolerances(sgp_env *env, sgp_err *e) {
  env_test_tol *t = &env->spec.tol;
  if (t->batch_rel == 0) t->batch_rel = 1e-6;
  if (t->fd_step == 0) t->fd_step = 1e-5;
  if (t->fd_rel == 0) t->fd_rel = 1e-7;
  if (t->ref_random_abs == 0) t->ref_random_abs = 1e-3;
  if (t->ref_expert_abs == 0) t->ref_expert_abs = 1e-3;
  if (env->spec.ref_episodes == 0) env->spec.ref_episodes = 1000;
  if (env->spec.ref_expert_episodes == 0) env->spec.ref_expert_episodes = 1;
  if (!(t->batch_rel > 0 && t->fd_step > 0 && t->fd_rel > 0 && t->ref_random_abs > 0 &&
        t->ref_expert_abs > 0 && t->state_abs >= 0))
    return bad(e, env, "spec.tol: tolerances must be positive");
  if (env->spec.nx < 32 && (t->wrap >> env->spec.nx))
    return bad(e, env, "spec.tol.wrap names a dimension >= nx");
  if (t->wrap && !env->spec.goal)
    return bad(e, env, "spec.tol.wrap: the seam is at goal ± π, but spec.goal is NULL");
  return 0;
}

/* The overlays fit the state, and the view point of the current state exists. */
static int check_view(const sgp_env *env, sgp_err *e) {
  env_overlay ov[ENV_MAX_OVERLAYS];
  int n = env_overlays(env, ov, ENV_MAX_OVERLAYS);
  for (int i = 0; i < n; i++) {
    const env_overlay *o = &ov[i];
    if (o->kind == ENV_OVERLAY_IMAGE) {
      if (o->w < 1 || o->h < 1 || o->offset < 0 || (long)o->offset + (long)o->w * o->h > env->spec.nx)
        return bad(e, env, "overlay %d: image %dx%d at offset %d does not fit the state (nx = %d)",
                        i, o->w, o->h, o->offset, env->spec.nx);
    } else if (o->kind == ENV_OVERLAY_SPHERE || o->kind == ENV_OVERLAY_DISK) {
      if (!(o->size > 0) || !isfinite(o->pos[0]) || !isfinite(o->pos[1]) || !isfinite(o->pos[2]))
        return bad(e, env, "overlay %d: expected a finite position and a positive size", i);
    } else {
      return bad(e, env, "overlay %d: kind %d is not an env_overlay_kind", i, (int)o->kind);
    }
  }
  if (!env->ops->view_point) return 0;
  double *x = sgp_malloc(sizeof(double) * (size_t)env->spec.nx), p[3] = {NAN, NAN, NAN};
  env_get_state(env, x);
  int ok = env_view_point(env, x, p) == 0 && isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]);
  free(x);
  return ok ? 0 : bad(e, env, "ops.view_point gives no finite point for the reset state");
}

/* Metrics: a hook to compute them, names that can be keys, labels, kinds. */
static int check_metrics(const sgp_env *env, sgp_err *e) {
  const env_spec *s = &env->spec;
  if (s->nmetrics < 0 || s->nmetrics > ENV_MAX_METRICS)
    return bad(e, env, "spec.nmetrics = %d: expected 0..%d", s->nmetrics, ENV_MAX_METRICS);
  if (s->nmetrics > 0 && !env->ops->metric) return bad(e, env, "spec.nmetrics = %d without ops.metric", s->nmetrics);
  for (int i = 0; i < s->nmetrics; i++) {
    const env_metric *m = &s->metrics[i];
    int ok = m->name && m->name[0];
    for (const char *c = ok ? m->name : ""; *c; c++) ok &= (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
    if (!ok) return bad(e, env, "spec.metrics[%d].name: expected a name of [a-z0-9_]", i);
    for (int k = 0; k < i; k++)
      if (!strcmp(s->metrics[k].name, m->name)) return bad(e, env, "spec.metrics[%d].name '%s' repeats metric %d", i, m->name, k);
    if (!m->label || !m->label[0]) return bad(e, env, "spec.metrics[%d].label is missing", i);
    if (m->kind != ENV_METRIC_PLAN && m->kind != ENV_METRIC_FINAL) return bad(e, env, "spec.metrics[%d].kind = %d is not an env_metric_kind", i, (int)m->kind);
    if (m->better < -1 || m->better > 1) return bad(e, env, "spec.metrics[%d].better = %d: expected -1, 0 or +1", i, m->better);
  }
  return 0;
}

int env_check(sgp_env *env, sgp_err *e) {
  if (check_ops(env, e) || check_spec(env, e) || check_figure(env, e) || check_refs(env, e) ||
      check_tolerances(env, e) || check_view(env, e) || check_metrics(env, e))
    return -1;
  return 0;
}

/* ------------------------------------------------------------------ building an instance */
int env_mj_new(const env_vt *vt, const env_ops *ops, void *impl, env_sim *sim, const char *xml,
               double dt, sgp_env **out, sgp_err *e) {
  if (env_mj_load(sim, xml, e)) {
    free(impl);
    return -1;
  }
  sgp_env *env = sgp_calloc(1, sizeof *env);
  env->vt = vt;
  env->ops = ops;
  env->impl = impl;
  env->sim = sim;
  env->spec.name = vt->name;
  env->spec.dt = dt;
  env->spec.timestep = sim->m->opt.timestep;
  if (env_substeps(sim->m, dt, vt->name, &env->spec.substeps, e)) {
    ops->destroy(env);
    return -1;
  }
  *out = env;
  return 0;
}

void env_mj_destroy(sgp_env *env) {
  env_mj_free(env->sim);
  free(env->impl);
  free(env);
}

void env_spec_dims(env_spec *s, int nx, int nu, int T, const double *u_lo, const double *u_hi,
                   const double *goal) {
  s->nx = nx;
  s->nu = nu;
  s->T = T;
  s->u_lo = u_lo;
  s->u_hi = u_hi;
  s->goal = goal;
}

void env_spec_box(env_spec *s, const double *box_lo, const double *box_hi) {
  s->has_box = 1;
  s->nbx = s->nx;
  s->nbu = s->nu;
  memcpy(s->box_lo, box_lo, sizeof(double) * (size_t)s->nx);
  memcpy(s->box_hi, box_hi, sizeof(double) * (size_t)s->nx);
  memcpy(s->abox_lo, s->u_lo, sizeof(double) * (size_t)s->nu);
  memcpy(s->abox_hi, s->u_hi, sizeof(double) * (size_t)s->nu);
}

/* One episode of T steps from env_reset(seed): uniform actions from r, or the expert's (r NULL). */
static int ref_episode(sgp_env *env, uint64_t seed, sgp_rng *r, double *x, double *u, double *ret, sgp_err *e) {
  const env_spec *s = &env->spec;
  double a[ENV_MAX_BOX], rew;
  int term;
  *ret = 0;
  if (env_reset(env, seed, x, e)) return -1;
  for (int t = 0; t < s->T; t++) {
    if (r) {
      for (int i = 0; i < s->nbu; i++) a[i] = s->abox_lo[i] + (s->abox_hi[i] - s->abox_lo[i]) * sgp_rng_uniform(r);
      env_box_to_action(env, a, u);
    } else {
      env->ops->expert_action(env, t, x, u);
    }
    if (env_step(env, u, x, &rew, &term, e)) return -1;
    *ret += rew;
  }
  *ret -= env_terminal_cost(env, x, NULL);
  return 0;
}

int env_measure_refs(sgp_env *env, int n_random, int n_expert, sgp_err *e) {
  env_spec *s = &env->spec;
  double *x = sgp_malloc(sizeof(double) * (size_t)s->nx), *u = sgp_malloc(sizeof(double) * (size_t)s->nu);
  double sr = 0, se = 0, ret;
  int rc = 0;
  sgp_rng r;
  sgp_rng_stream(&r, 0, "reference");
  for (int i = 0; i < n_random && !rc; i++) rc = ref_episode(env, (uint64_t)i, &r, x, u, &ret, e), sr += ret;
  for (int i = 0; i < n_expert && !rc; i++) rc = ref_episode(env, (uint64_t)i, NULL, x, u, &ret, e), se += ret;
  free(x), free(u);
  if (rc) return sgp_fail_prefix(e, "%s: measuring the reference returns", s->name);
  s->has_ref = 1;
  s->ref_random = sr / n_random;
  s->ref_expert = se / n_expert;
  s->ref_episodes = n_random;
  s->ref_expert_episodes = n_expert;
  return 0;
}

int env_start(sgp_env *env, sgp_env **out, sgp_err *e) {
  if (env_reset(env, 0, NULL, e)) {
    env_destroy(env);
    return -1;
  }
  *out = env;
  return 0;
}

int env_step_ctrl(sgp_env *env, const double *u_in, double *xnext, double *reward, int *terminated,
                  sgp_err *e) {
  const env_spec *s = &env->spec;
  double u[ENV_MAX_CTRL], x[ENV_MAX_CTRL], xn[ENV_MAX_CTRL];
  if (s->nu > ENV_MAX_CTRL || s->nx > ENV_MAX_CTRL || s->nu != env->sim->m->nu)
    return sgp_fail(e, "%s: env_step_ctrl needs nu = the model's actuators and nx, nu <= %d",
                    s->name, ENV_MAX_CTRL);
  if (!sgp_all_finite_d(u_in, (size_t)s->nu))
    return sgp_fail(e, "%s: step %d: non-finite action", s->name, env->t);
  memcpy(u, u_in, sizeof(double) * (size_t)s->nu);
  env_clip_action(env, u);
  env_get_state(env, x);
  double c = env_cost(env, x, u, NULL, NULL);
  memcpy(env->sim->d->ctrl, u, sizeof(double) * (size_t)s->nu);
  if (env_mj_step(env->sim, s->name, s->substeps, NULL, NULL, e)) return -1;
  env->t++;
  env_get_state(env, xn);
  if (env_stepped_finite(env, xn, e)) return -1;
  if (xnext) memcpy(xnext, xn, sizeof(double) * (size_t)s->nx);
  if (reward) *reward = -c;
  if (terminated) *terminated = 0;
  return 0;
}

int env_stepped_finite(const sgp_env *env, const double *x, sgp_err *e) {
  if (sgp_all_finite_d(x, (size_t)env->spec.nx)) return 0;
  return sgp_fail(e, "%s: simulation unstable at t=%.4g: non-finite state",
                  env->spec.name, env->t * env->spec.dt);
}

/* ------------------------------------------------------------------ the full simulator state */
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
