/* The viewer's data, free of OpenGL (viewer/viewer.h): episodes loaded from rollout files, grown by
 * a live agent or cut from a dataset, checked against the environment; states turned into scene
 * points (the environment's view_point hook); returns; the PPM encoder.
 * tests/test_viewer_data.c compiles this file directly (the program's viewer/ sources are not part
 * of libsgp). */
#include "viewer/viewer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the environment */
int view_env_check(const sgp_env *env, int paths, sgp_err *e) {
  const mjModel *m = env->sim ? env->sim->m : NULL;
  if (!m) return sgp_fail(e, "%s: the environment has no MuJoCo model to show", env->spec.name);
  if (paths && !env->ops->view_point)
    return sgp_fail(e, "%s: no view_point hook: the viewer cannot place the rollout's states in the "
                       "scene (its %s.c; docs/adding-an-environment.md)", env->spec.name, env->spec.name);
  return 0;
}

void view_point(const sgp_env *env, const double *x, double p[3]) {
  if (env_view_point(env, x, p)) p[0] = p[1] = p[2] = NAN;
}

/* ------------------------------------------------------------------ traces */
static void grow(double **p, size_t n) { *p = sgp_realloc(*p, sizeof(double) * (n ? n : 1)); }

static void nan_fill(double *p, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) p[i] = NAN;
}

/* Room for cap steps (the arrays of the plan and the candidates once H and M are known). */
static void trace_reserve(view_rollout *r, int cap) {
  if (cap <= r->cap && r->x) return;
  int old = r->x ? r->cap : -1;
  size_t S = (size_t)cap, X = S + 1;
  grow(&r->x, X * r->nx);
  grow(&r->u, S * r->nu);
  grow(&r->r, S);
  grow(&r->ret, X);
  grow(&r->xp, 3 * X);
  double **per_step[] = {&r->obj, &r->pcost, &r->pen, &r->dd, &r->plan_ms};
  for (size_t i = 0; i < sizeof per_step / sizeof per_step[0]; i++) {
    grow(per_step[i], S);
    nan_fill(*per_step[i], old < 0 ? 0 : (size_t)old, S);
  }
  if (r->nq > 0) {
    grow(&r->qpos, X * r->nq);
    grow(&r->qvel, X * r->nv);
  }
  if (r->H > 0) grow(&r->plan_p, S * (r->H + 1) * 3);
  if (r->H > 0 && r->K > 0) grow(&r->plan_m, S * (r->H + 1) * r->K * 3);
  if (r->M > 0) grow(&r->cand_p, S * r->M * (r->HC + 1) * 3);
  if (r->transitions) {
    grow(&r->xn, S * r->nx);
    grow(&r->xnp, 3 * S);
  }
  r->cap = cap;
}

/* Points the simulator at state t of the trace when the trace has simulator states (the scene
 * point of an observation may depend on them: the locomotion root). */
static void sim_at(const view_rollout *r, sgp_env *env, int t) {
  sgp_err e;
  if (r->nq > 0) env_set_sim_state(env, r->qpos + (size_t)t * r->nq, r->qvel + (size_t)t * r->nv, &e);
}

int view_trace_show(const view_rollout *r, sgp_env *env, int t, sgp_err *e) {
  env->t = t;
  if (r->nq > 0) return env_set_sim_state(env, r->qpos + (size_t)t * r->nq, r->qvel + (size_t)t * r->nv, e);
  return env_set_state(env, r->x + (size_t)t * r->nx, e);
}

void view_trace_init(view_rollout *r, const sgp_env *env, int nq, int nv, int cap) {
  memset(r, 0, sizeof *r);
  r->nx = env->spec.nx;
  r->nu = env->spec.nu;
  r->nq = nq;
  r->nv = nv;
  r->rewards_exact = 1;
  trace_reserve(r, cap > 0 ? cap : 16);
  r->ret[0] = 0; /* the caller fills x[0] (and qpos[0], qvel[0]) */
}

/* floats (n values) to the scene points of states of nx values (the simulator at the state the
 * plan starts from) */
static void plan_points(const sgp_env *env, const float *s, int n, int nx, double *p) {
  double *x = sgp_malloc(sizeof(double) * (size_t)nx);
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < nx; k++) x[k] = s[(size_t)i * nx + k];
    view_point(env, x, p + 3 * (size_t)i);
  }
  free(x);
}

/* The marks (env view_marks) of state x, K of them, into p (K×3); NaN when x has not K marks. */
static void state_marks(const sgp_env *env, const double *x, int K, double *p) {
  if (env_view_marks(env, x, (double (*)[3])p, K) != K) nan_fill(p, 0, (size_t)K * 3);
}

/* How many marks the states of this environment have (0: none), probed on state x. */
static int marks_count(const sgp_env *env, const double *x) {
  double probe[ENV_MAX_OVERLAYS][3];
  return env_view_marks(env, x, probe, ENV_MAX_OVERLAYS);
}

/* The marks of a plan's states (n states of nx floats) into p (n×K×3). */
static void plan_marks(const sgp_env *env, const float *s, int n, int nx, int K, double *p) {
  double *x = sgp_malloc(sizeof(double) * (size_t)nx);
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < nx; k++) x[k] = s[(size_t)i * nx + k];
    state_marks(env, x, K, p + (size_t)i * K * 3);
  }
  free(x);
}

void view_trace_push(view_rollout *r, sgp_env *env, const view_step *s) {
  int t = r->steps, nx = r->nx;
  if (t == 0 && r->H == 0 && s->plan && s->plan_T > 0) { /* the first plan fixes the shapes */
    r->H = s->plan_T;
    double *x0 = sgp_malloc(sizeof(double) * (size_t)nx);
    for (int k = 0; k < nx; k++) x0[k] = s->plan[k];
    r->K = marks_count(env, x0);
    free(x0);
    if (s->cand && s->ncand > 0) {
      r->M = s->ncand;
      r->HC = s->plan_T;
    }
    int cap = r->cap;
    r->cap = 0;
    trace_reserve(r, cap);
  }
  if (t >= r->cap) trace_reserve(r, 2 * r->cap);
  sim_at(r, env, t);
  if (r->H > 0) {
    double *p = r->plan_p + (size_t)t * (r->H + 1) * 3;
    nan_fill(p, 0, (size_t)(r->H + 1) * 3);
    if (s->plan) plan_points(env, s->plan, (s->plan_T < r->H ? s->plan_T : r->H) + 1, nx, p);
    if (r->K > 0) {
      double *q = r->plan_m + (size_t)t * (r->H + 1) * r->K * 3;
      nan_fill(q, 0, (size_t)(r->H + 1) * r->K * 3);
      if (s->plan) plan_marks(env, s->plan, (s->plan_T < r->H ? s->plan_T : r->H) + 1, nx, r->K, q);
    }
  }
  if (r->M > 0) {
    double *p = r->cand_p + (size_t)t * r->M * (r->HC + 1) * 3;
    nan_fill(p, 0, (size_t)r->M * (r->HC + 1) * 3);
    int nc = s->cand ? (s->ncand < r->M ? s->ncand : r->M) : 0, h = s->plan_T < r->HC ? s->plan_T : r->HC;
    for (int c = 0; c < nc; c++)
      plan_points(env, s->cand + (size_t)c * (s->plan_T + 1) * nx, h + 1, nx, p + (size_t)c * (r->HC + 1) * 3);
  }
  memcpy(r->u + (size_t)t * r->nu, s->u, sizeof(double) * r->nu);
  memcpy(r->x + (size_t)(t + 1) * nx, s->xn, sizeof(double) * nx);
  if (r->nq > 0) {
    memcpy(r->qpos + (size_t)(t + 1) * r->nq, s->qpos, sizeof(double) * r->nq);
    memcpy(r->qvel + (size_t)(t + 1) * r->nv, s->qvel, sizeof(double) * r->nv);
  }
  r->r[t] = s->r;
  r->ret[t + 1] = r->ret[t] + s->r;
  r->obj[t] = s->obj;
  r->pcost[t] = s->pcost;
  r->pen[t] = s->pen;
  r->dd[t] = s->dd;
  r->plan_ms[t] = s->plan_ms;
  if (isfinite(s->obj)) r->has_planner = 1;
  if (isfinite(s->dd)) r->has_dd = 1;
  if (isfinite(s->plan_ms)) r->has_time = 1;
  r->steps = t + 1;
  sim_at(r, env, t + 1);
  view_point(env, r->x + (size_t)(t + 1) * nx, r->xp + 3 * (size_t)(t + 1));
  r->final_cost = env_terminal_cost(env, r->x + (size_t)(t + 1) * nx, NULL);
}

void view_rollout_free(view_rollout *r) {
  if (!r) return;
  double *arrays[] = {r->x, r->u, r->r, r->ret, r->obj, r->pcost, r->pen, r->dd, r->plan_ms,
                      r->xp, r->plan_p, r->plan_m, r->cand_p, r->qpos, r->qvel, r->xn, r->xnp};
  for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) free(arrays[i]);
  free(r->dir);
  memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ loading a rollout */
static void fmt_shape(const sgp_array *a, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "(");
  for (int i = 0; i < a->ndim && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
  if (k < n) snprintf(buf + k, n - k, a->ndim == 1 ? ",)" : ")");
}

/* Reads path as a float32/float64 array of `ndim` dimensions whose sizes match want[] (-1: any,
 * at least 1; -2: any, 0 allowed), converted to double. `expect` describes the shape. */
static int load_f(const char *path, int ndim, const int64_t *want, const char *expect,
                  const char *envname, int64_t *shape, double **out, sgp_err *e) {
  sgp_array a = {0};
  if (sgp_npy_read(path, &a, e)) return -1;
  if (a.dtype != SGP_F32 && a.dtype != SGP_F64) {
    sgp_fail(e, "%s: dtype %s: expected float32 or float64", path, sgp_dtype_name(a.dtype));
    sgp_array_free(&a);
    return -1;
  }
  int ok = a.ndim == ndim;
  for (int i = 0; ok && i < ndim; i++)
    ok = want[i] == -1 ? a.shape[i] >= 1 : want[i] == -2 ? a.shape[i] >= 0 : a.shape[i] == want[i];
  if (!ok) {
    char got[128];
    fmt_shape(&a, got, sizeof got);
    sgp_fail(e, "%s: shape %s: expected %s for %s", path, got, expect, envname);
    sgp_array_free(&a);
    return -1;
  }
  size_t n = sgp_array_count(&a);
  double *v = sgp_malloc(sizeof(double) * (n ? n : 1));
  if (a.dtype == SGP_F32)
    for (size_t i = 0; i < n; i++) v[i] = ((const float *)a.data)[i];
  else
    memcpy(v, a.data, sizeof(double) * n);
  for (int i = 0; i < ndim; i++) shape[i] = a.shape[i];
  sgp_array_free(&a);
  *out = v;
  return 0;
}

static char *ep_path(const char *dir, int episode, const char *what) {
  char name[64];
  snprintf(name, sizeof name, "ep%d_%s.npy", episode, what);
  return sgp_path_join(dir, name);
}

int view_rollout_count(const char *dir) {
  int n = 0;
  for (;; n++) {
    char *p = ep_path(dir, n, "x");
    int ok = sgp_path_exists(p);
    free(p);
    if (!ok) return n;
  }
}

/* The files of one episode (docs/run-format.md) and what was read from them. */
enum { F_X, F_U, F_PLAN, F_CAND, F_STEP, F_TIMING, F_QPOS, F_QVEL, F_N };
static const char *const file_what[F_N] = {"x", "u", "plan_x", "cand_x", "step", "timing", "qpos", "qvel"};
typedef struct ro_files {
  char *path[F_N];
  double *v[F_N];
  int64_t shape[F_N][4];
} ro_files;

#define STEP_COLS 5   /* ep<E>_step.npy: reward, objective, cost, penalty, data distance */
#define TIMING_COLS 2 /* ep<E>_timing.npy: plan ms, sim ms */

static int load_one(ro_files *f, int which, int ndim, const int64_t *want, const char *expect,
                    const char *envname, sgp_err *e) {
  return load_f(f->path[which], ndim, want, expect, envname, f->shape[which], &f->v[which], e);
}

/* x: (steps+1) × nx and u: steps × nu, finite. */
static int load_xu(ro_files *f, const char *dir, int episode, const env_spec *s, int *steps, sgp_err *e) {
  char expect[160];
  if (!sgp_path_exists(f->path[F_X]))
    return sgp_fail(e, "%s: missing (is %s a directory written by sgp eval --save-rollout, and episode %d in it?)",
                    f->path[F_X], dir, episode);
  snprintf(expect, sizeof expect, "(steps+1, %d)", s->nx);
  if (load_one(f, F_X, 2, (int64_t[]){-1, s->nx}, expect, s->name, e)) return -1;
  *steps = (int)(f->shape[F_X][0] - 1);
  if (!sgp_all_finite_d(f->v[F_X], (size_t)(*steps + 1) * s->nx))
    return sgp_fail(e, "%s: non-finite state values", f->path[F_X]);
  if (!sgp_path_exists(f->path[F_U])) return sgp_fail(e, "%s: missing (the actions of %s)", f->path[F_U], f->path[F_X]);
  snprintf(expect, sizeof expect, "(%d, %d) (steps = %d from %s)", *steps, s->nu, *steps, f->path[F_X]);
  if (load_one(f, F_U, 2, (int64_t[]){*steps, s->nu}, expect, s->name, e)) return -1;
  if (!sgp_all_finite_d(f->v[F_U], (size_t)*steps * s->nu))
    return sgp_fail(e, "%s: non-finite action values", f->path[F_U]);
  return 0;
}

/* The optional files: plans, candidates, per-step numbers, timings, simulator states. */
static int load_optional(ro_files *f, const sgp_env *env, int steps, sgp_err *e) {
  const env_spec *s = &env->spec;
  const char *px = f->path[F_X];
  char expect[200];
  if (steps > 0 && sgp_path_exists(f->path[F_PLAN])) {
    snprintf(expect, sizeof expect, "(%d, H+1, %d) (steps = %d from %s)", steps, s->nx, steps, px);
    if (load_one(f, F_PLAN, 3, (int64_t[]){steps, -1, s->nx}, expect, s->name, e)) return -1;
  }
  if (steps > 0 && sgp_path_exists(f->path[F_CAND])) {
    snprintf(expect, sizeof expect, "(%d, M, H+1, %d) (steps = %d from %s)", steps, s->nx, steps, px);
    if (load_one(f, F_CAND, 4, (int64_t[]){steps, -1, -1, s->nx}, expect, s->name, e)) return -1;
  }
  if (sgp_path_exists(f->path[F_STEP])) {
    snprintf(expect, sizeof expect, "(%d, %d) (steps = %d from %s)", steps, STEP_COLS, steps, px);
    if (load_one(f, F_STEP, 2, (int64_t[]){steps, STEP_COLS}, expect, s->name, e)) return -1;
    if (!sgp_all_finite_d(f->v[F_STEP], (size_t)steps)) /* the rewards (column 0 of the first rows) */
      for (int t = 0; t < steps; t++)
        if (!isfinite(f->v[F_STEP][(size_t)t * STEP_COLS])) return sgp_fail(e, "%s: row %d: non-finite reward", f->path[F_STEP], t);
  }
  if (sgp_path_exists(f->path[F_TIMING])) {
    snprintf(expect, sizeof expect, "(%d, %d) (steps = %d from %s)", steps, TIMING_COLS, steps, px);
    if (load_one(f, F_TIMING, 2, (int64_t[]){steps, TIMING_COLS}, expect, s->name, e)) return -1;
  }
  int nq, nv, hq = sgp_path_exists(f->path[F_QPOS]), hv = sgp_path_exists(f->path[F_QVEL]);
  env_sim_dims(env, &nq, &nv);
  if (hq != hv) return sgp_fail(e, "%s: missing (%s is there: both or neither)", f->path[hq ? F_QVEL : F_QPOS], f->path[hq ? F_QPOS : F_QVEL]);
  if (hq) {
    snprintf(expect, sizeof expect, "(%d, %d) (steps+1 = %d from %s, nq of the model)", steps + 1, nq, steps + 1, px);
    if (load_one(f, F_QPOS, 2, (int64_t[]){steps + 1, nq}, expect, s->name, e)) return -1;
    snprintf(expect, sizeof expect, "(%d, %d) (steps+1 = %d from %s, nv of the model)", steps + 1, nv, steps + 1, px);
    if (load_one(f, F_QVEL, 2, (int64_t[]){steps + 1, nv}, expect, s->name, e)) return -1;
    if (!sgp_all_finite_d(f->v[F_QPOS], (size_t)(steps + 1) * nq) || !sgp_all_finite_d(f->v[F_QVEL], (size_t)(steps + 1) * nv))
      return sgp_fail(e, "%s: non-finite simulator state", f->path[F_QPOS]);
  }
  return 0;
}

/* The trace from the files that were read. */
static void fill_trace(const ro_files *f, sgp_env *env, int steps, view_rollout *r) {
  const env_spec *s = &env->spec;
  int nx = s->nx, nu = s->nu;
  memset(r, 0, sizeof *r);
  r->nx = nx;
  r->nu = nu;
  if (f->v[F_QPOS]) {
    r->nq = (int)f->shape[F_QPOS][1];
    r->nv = (int)f->shape[F_QVEL][1];
  }
  if (f->v[F_PLAN]) {
    r->H = (int)f->shape[F_PLAN][1] - 1;
    r->K = marks_count(env, f->v[F_PLAN]);
  }
  if (f->v[F_CAND]) {
    r->M = (int)f->shape[F_CAND][1];
    r->HC = (int)f->shape[F_CAND][2] - 1;
  }
  trace_reserve(r, steps > 0 ? steps : 1);
  r->steps = steps;
  memcpy(r->x, f->v[F_X], sizeof(double) * (size_t)(steps + 1) * nx);
  memcpy(r->u, f->v[F_U], sizeof(double) * (size_t)steps * nu);
  if (r->nq) {
    memcpy(r->qpos, f->v[F_QPOS], sizeof(double) * (size_t)(steps + 1) * r->nq);
    memcpy(r->qvel, f->v[F_QVEL], sizeof(double) * (size_t)(steps + 1) * r->nv);
  }
  /* rewards: the simulator's (step file), else −c(x_t, u_t) with u clipped as env_step clips it */
  double *uc = sgp_malloc(sizeof(double) * (size_t)nu);
  r->rewards_exact = f->v[F_STEP] != NULL;
  r->ret[0] = 0;
  for (int t = 0; t < steps; t++) {
    if (f->v[F_STEP]) {
      const double *row = f->v[F_STEP] + (size_t)t * STEP_COLS;
      r->r[t] = row[0];
      r->obj[t] = row[1], r->pcost[t] = row[2], r->pen[t] = row[3], r->dd[t] = row[4];
      if (isfinite(row[1])) r->has_planner = 1;
      if (isfinite(row[4])) r->has_dd = 1;
    } else {
      memcpy(uc, r->u + (size_t)t * nu, sizeof(double) * nu);
      env_clip_action(env, uc);
      r->r[t] = -env_cost(env, r->x + (size_t)t * nx, uc, NULL, NULL);
    }
    if (f->v[F_TIMING]) {
      r->plan_ms[t] = f->v[F_TIMING][(size_t)t * TIMING_COLS];
      r->has_time = 1;
    }
    r->ret[t + 1] = r->ret[t] + r->r[t];
  }
  free(uc);
  r->final_cost = env_terminal_cost(env, r->x + (size_t)steps * nx, NULL);
  r->ended = 1;
  /* scene points, the simulator at each state in turn */
  for (int t = 0; t <= steps; t++) {
    sim_at(r, env, t);
    view_point(env, r->x + (size_t)t * nx, r->xp + 3 * (size_t)t);
    if (t == steps) break;
    if (r->H > 0) {
      const double *src = f->v[F_PLAN] + (size_t)t * (r->H + 1) * nx;
      for (int k = 0; k <= r->H; k++) view_point(env, src + (size_t)k * nx, r->plan_p + 3 * ((size_t)t * (r->H + 1) + k));
      for (int k = 0; r->K > 0 && k <= r->H; k++)
        state_marks(env, src + (size_t)k * nx, r->K, r->plan_m + ((size_t)t * (r->H + 1) + k) * r->K * 3);
    }
    for (int c = 0; c < r->M; c++) {
      const double *src = f->v[F_CAND] + ((size_t)t * r->M + c) * (r->HC + 1) * nx;
      double *dst = r->cand_p + ((size_t)t * r->M + c) * (r->HC + 1) * 3;
      for (int k = 0; k <= r->HC; k++) view_point(env, src + (size_t)k * nx, dst + 3 * k);
    }
  }
}

int view_rollout_load(const char *dir, int episode, sgp_env *env, view_rollout *out, sgp_err *e) {
  if (!sgp_path_exists(dir)) return sgp_fail(e, "%s: no such rollout directory", dir);
  ro_files f;
  memset(&f, 0, sizeof f);
  for (int i = 0; i < F_N; i++) f.path[i] = ep_path(dir, episode, file_what[i]);
  int steps = 0;
  int rc = load_xu(&f, dir, episode, &env->spec, &steps, e) || load_optional(&f, env, steps, e) ? -1 : 0;
  if (!rc) {
    view_rollout r;
    fill_trace(&f, env, steps, &r);
    r.dir = sgp_strdup(dir);
    r.episode = episode;
    *out = r;
  }
  for (int i = 0; i < F_N; i++) {
    free(f.path[i]);
    free(f.v[i]);
  }
  return rc;
}

/* ------------------------------------------------------------------ datasets */
int view_dataset_episodes(const view_dataset *ds, int64_t **start) {
  int n = 0, cap = 16;
  int64_t *s = sgp_malloc(sizeof(int64_t) * (size_t)cap);
  s[n++] = 0;
  if (ds->episodic)
    for (int64_t i = 0; i + 1 < ds->n; i++)
      if (ds->terminal[i] || ds->timeout[i]) {
        if (n + 1 >= cap) s = sgp_realloc(s, sizeof(int64_t) * (size_t)(cap *= 2));
        s[n++] = i + 1;
      }
  s[n] = ds->n;
  *start = s;
  return n;
}

void view_dataset_trace(const view_dataset *ds, const int64_t *start, int k, sgp_env *env, view_rollout *out) {
  int64_t a = start[k], b = start[k + 1];
  int steps = (int)(b - a), nx = ds->nx, nu = ds->nu;
  view_rollout r;
  memset(&r, 0, sizeof r);
  r.nx = nx;
  r.nu = nu;
  r.nq = ds->nq;
  r.nv = ds->nv;
  r.transitions = !ds->episodic;
  r.episode = k;
  r.rewards_exact = 1;
  trace_reserve(&r, steps > 0 ? steps : 1);
  r.steps = ds->episodic ? steps : steps - 1; /* box data: states are the rows themselves */
  for (int64_t i = a; i < b; i++) {
    size_t t = (size_t)(i - a);
    for (int j = 0; j < nx; j++) r.x[t * nx + j] = ds->x[i * nx + j];
    for (int j = 0; j < nu; j++) r.u[t * nu + j] = ds->u[i * nu + j];
    r.r[t] = ds->reward[i];
    if (r.nq) {
      memcpy(r.qpos + t * r.nq, ds->qpos + i * r.nq, sizeof(double) * r.nq);
      memcpy(r.qvel + t * r.nv, ds->qvel + i * r.nv, sizeof(double) * r.nv);
    }
    if (r.transitions)
      for (int j = 0; j < nx; j++) r.xn[t * nx + j] = ds->xnext[i * nx + j];
  }
  if (ds->episodic) { /* the last state: the last row's x' (its simulator state is not stored) */
    for (int j = 0; j < nx; j++) r.x[(size_t)steps * nx + j] = ds->xnext[(b - 1) * nx + j];
    if (r.nq) { /* keep the previous simulator state: only the scene point's root position uses it */
      memcpy(r.qpos + (size_t)steps * r.nq, r.qpos + (size_t)(steps - 1) * r.nq, sizeof(double) * r.nq);
      memcpy(r.qvel + (size_t)steps * r.nv, r.qvel + (size_t)(steps - 1) * r.nv, sizeof(double) * r.nv);
    }
  }
  r.ret[0] = 0;
  for (int t = 0; t < steps; t++) r.ret[t + 1] = r.ret[t] + r.r[t];
  int npts = r.steps + 1;
  for (int t = 0; t < npts; t++) {
    sim_at(&r, env, t < steps ? t : steps - 1 < 0 ? 0 : steps - 1);
    view_point(env, r.x + (size_t)t * nx, r.xp + 3 * (size_t)t);
    if (r.transitions) view_point(env, r.xn + (size_t)t * nx, r.xnp + 3 * (size_t)t);
  }
  r.final_cost = env_terminal_cost(env, r.x + (size_t)r.steps * nx, NULL);
  r.ended = 1;
  *out = r;
}

int view_dataset_cloud(const view_dataset *ds, sgp_env *env, int max, double **pts) {
  int n = ds->n < max ? (int)ds->n : max;
  double *p = sgp_malloc(sizeof(double) * 3 * (size_t)(n ? n : 1)), *x = sgp_malloc(sizeof(double) * (size_t)ds->nx);
  sgp_err e;
  for (int k = 0; k < n; k++) {
    int64_t i = n < ds->n ? (int64_t)((double)k * (double)ds->n / n) : k;
    for (int j = 0; j < ds->nx; j++) x[j] = ds->x[i * ds->nx + j];
    if (ds->nq) env_set_sim_state(env, ds->qpos + i * ds->nq, ds->qvel + i * ds->nv, &e);
    view_point(env, x, p + 3 * (size_t)k);
  }
  free(x);
  *pts = p;
  return n;
}

/* ------------------------------------------------------------------ images */
int view_ppm_write(FILE *f, int w, int h, const unsigned char *rgb, int bottom_up) {
  if (fprintf(f, "P6\n%d %d\n255\n", w, h) < 0) return -1;
  for (int r = 0; r < h; r++) {
    int src = bottom_up ? h - 1 - r : r;
    if (fwrite(rgb + (size_t)src * w * 3, 3, (size_t)w, f) != (size_t)w) return -1;
  }
  return ferror(f) ? -1 : 0;
}
