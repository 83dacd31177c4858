/* The viewer's data, free of OpenGL (viewer/viewer.h): a saved rollout loaded and checked against
 * the environment, states turned into scene points (the environment's view_point hook), returns
 * recomputed from the task cost, and a PPM writer. tests/test_viewer_data.c compiles this file directly (the
 * program's viewer/ sources are not part of libsgp). */
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

/* ------------------------------------------------------------------ loading a rollout */
static void fmt_shape(const sgp_array *a, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "(");
  for (int i = 0; i < a->ndim && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
  if (k < n) snprintf(buf + k, n - k, a->ndim == 1 ? ",)" : ")");
}

/* Reads path as a float32/float64 array of `ndim` dimensions whose sizes match want[] (-1: any),
 * converted to double. `expect` describes the shape for the message. */
static int load_f(const char *path, int ndim, const int64_t *want, const char *expect,
                  const char *envname, sgp_array *a, double **out, sgp_err *e) {
  if (sgp_npy_read(path, a, e)) return -1;
  if (a->dtype != SGP_F32 && a->dtype != SGP_F64) {
    sgp_fail(e, "%s: dtype %s: expected float32 or float64", path, sgp_dtype_name(a->dtype));
    sgp_array_free(a);
    return -1;
  }
  int ok = a->ndim == ndim;
  for (int i = 0; ok && i < ndim; i++) ok = want[i] < 0 ? a->shape[i] >= 1 : a->shape[i] == want[i];
  if (!ok) {
    char got[128];
    fmt_shape(a, got, sizeof got);
    sgp_fail(e, "%s: shape %s: expected %s for %s", path, got, expect, envname);
    sgp_array_free(a);
    return -1;
  }
  size_t n = sgp_array_count(a);
  double *v = sgp_malloc(sizeof(double) * (n ? n : 1));
  if (a->dtype == SGP_F32)
    for (size_t i = 0; i < n; i++) v[i] = ((const float *)a->data)[i];
  else
    memcpy(v, a->data, sizeof(double) * n);
  *out = v;
  return 0;
}

static char *ep_path(const char *dir, int episode, const char *what) {
  char name[64];
  snprintf(name, sizeof name, "ep%d_%s.npy", episode, what);
  return sgp_path_join(dir, name);
}

/* Scene points of n states of nx values each (x double). */
static double *points(const sgp_env *env, const double *x, size_t n, int nx) {
  double *p = sgp_malloc(sizeof(double) * 3 * (n ? n : 1));
  for (size_t i = 0; i < n; i++) view_point(env, x + i * (size_t)nx, p + 3 * i);
  return p;
}

/* The marks (env view_marks, K per state) of n states; NULL when the environment has none. */
static double *marks(const sgp_env *env, const double *x, size_t n, int nx, int *K) {
  double probe[ENV_MAX_OVERLAYS][3];
  *K = n ? env_view_marks(env, x, probe, ENV_MAX_OVERLAYS) : 0;
  if (*K <= 0) return NULL;
  double *p = sgp_malloc(sizeof(double) * 3 * (size_t)*K * n);
  for (size_t i = 0; i < n; i++) {
    double (*q)[3] = (double (*)[3])(p + 3 * (size_t)*K * i);
    if (env_view_marks(env, x + i * (size_t)nx, q, *K) != *K)
      for (int k = 0; k < 3 * *K; k++) q[0][k] = NAN;
  }
  return p;
}

/* The files of one episode and what was read from them. */
typedef struct ro_files {
  char *px, *pu, *pp, *pc; /* ep<E>_x, _u, _plan_x, _cand_x */
  double *x, *u, *plan, *cand;
} ro_files;

/* The states: (steps+1) × nx, finite. */
static int load_states(ro_files *f, const char *dir, int episode, const env_spec *s, view_rollout *r,
                       sgp_err *e) {
  char expect[128];
  sgp_array a = {0};
  if (!sgp_path_exists(f->px))
    return sgp_fail(e, "%s: missing (is %s a directory written by sgp eval --save-rollout, and episode %d in it?)",
                    f->px, dir, episode);
  snprintf(expect, sizeof expect, "(steps+1, %d)", s->nx);
  if (load_f(f->px, 2, (int64_t[]){-1, s->nx}, expect, s->name, &a, &f->x, e)) return -1;
  r->steps = (int)(a.shape[0] - 1);
  int ok = sgp_all_finite_d(f->x, sgp_array_count(&a));
  sgp_array_free(&a);
  return ok ? 0 : sgp_fail(e, "%s: non-finite state values", f->px);
}

/* The actions: steps × nu, finite (a (0, nu) array when nothing was executed). */
static int load_actions(ro_files *f, const env_spec *s, const view_rollout *r, sgp_err *e) {
  char expect[128];
  sgp_array a = {0};
  if (!sgp_path_exists(f->pu)) return sgp_fail(e, "%s: missing (the actions of %s)", f->pu, f->px);
  snprintf(expect, sizeof expect, "(%d, %d) (steps = %d from %s)", r->steps, s->nu, r->steps, f->px);
  if (r->steps == 0) {
    if (sgp_npy_read(f->pu, &a, e)) return -1;
    int ok = a.ndim == 2 && a.shape[0] == 0 && a.shape[1] == s->nu;
    char got[128];
    fmt_shape(&a, got, sizeof got);
    sgp_array_free(&a);
    if (!ok) return sgp_fail(e, "%s: shape %s: expected %s for %s", f->pu, got, expect, s->name);
    f->u = sgp_malloc(sizeof(double));
    return 0;
  }
  if (load_f(f->pu, 2, (int64_t[]){r->steps, s->nu}, expect, s->name, &a, &f->u, e)) return -1;
  int ok = sgp_all_finite_d(f->u, sgp_array_count(&a));
  sgp_array_free(&a);
  return ok ? 0 : sgp_fail(e, "%s: non-finite action values", f->pu);
}

/* The optional plans (steps × (H+1) × nx) and candidates (steps × M × (H+1) × nx). */
static int load_plans(ro_files *f, const env_spec *s, view_rollout *r, sgp_err *e) {
  char expect[128];
  sgp_array a = {0};
  if (r->steps > 0 && sgp_path_exists(f->pp)) {
    snprintf(expect, sizeof expect, "(%d, H+1, %d) (steps = %d from %s)", r->steps, s->nx, r->steps, f->px);
    if (load_f(f->pp, 3, (int64_t[]){r->steps, -1, s->nx}, expect, s->name, &a, &f->plan, e)) return -1;
    r->H = (int)(a.shape[1] - 1);
    sgp_array_free(&a);
  }
  if (r->steps > 0 && sgp_path_exists(f->pc)) {
    snprintf(expect, sizeof expect, "(%d, M, H+1, %d) (steps = %d from %s)", r->steps, s->nx, r->steps, f->px);
    if (load_f(f->pc, 4, (int64_t[]){r->steps, -1, -1, s->nx}, expect, s->name, &a, &f->cand, e)) return -1;
    r->M = (int)a.shape[1];
    r->HC = (int)(a.shape[2] - 1);
    sgp_array_free(&a);
  }
  return 0;
}

/* Returns so far: the rewards −c(x_t, u_t), u clipped as env_step clips it (as RESULT.json's
 * return, which leaves the terminal cost to final_cost). */
static void returns(const sgp_env *env, const double *x, const double *u, view_rollout *r) {
  int nx = env->spec.nx, nu = env->spec.nu;
  r->ret = sgp_malloc(sizeof(double) * (size_t)(r->steps + 1));
  double *uc = sgp_malloc(sizeof(double) * (size_t)nu), sum = 0;
  for (int t = 0; t < r->steps; t++) {
    r->ret[t] = sum;
    memcpy(uc, u + (size_t)t * nu, sizeof(double) * nu);
    env_clip_action(env, uc);
    sum -= env_cost(env, x + (size_t)t * nx, uc, NULL, NULL);
  }
  free(uc);
  r->ret[r->steps] = sum;
  r->final_cost = env_terminal_cost(env, x + (size_t)r->steps * nx, NULL);
}

int view_rollout_load(const char *dir, int episode, sgp_env *env, view_rollout *out, sgp_err *e) {
  const env_spec *s = &env->spec;
  if (!sgp_path_exists(dir)) return sgp_fail(e, "%s: no such rollout directory", dir);
  ro_files f = {ep_path(dir, episode, "x"), ep_path(dir, episode, "u"), ep_path(dir, episode, "plan_x"),
                ep_path(dir, episode, "cand_x"), NULL, NULL, NULL, NULL};
  view_rollout r = {0};
  int rc = load_states(&f, dir, episode, s, &r, e) || load_actions(&f, s, &r, e) || load_plans(&f, s, &r, e) ? -1 : 0;
  if (!rc) {
    returns(env, f.x, f.u, &r);
    r.xp = points(env, f.x, (size_t)r.steps + 1, s->nx);
    if (f.plan) r.plan_p = points(env, f.plan, (size_t)r.steps * (r.H + 1), s->nx);
    if (f.plan) r.plan_m = marks(env, f.plan, (size_t)r.steps * (r.H + 1), s->nx, &r.K);
    if (f.cand) r.cand_p = points(env, f.cand, (size_t)r.steps * r.M * (r.HC + 1), s->nx);
    r.dir = sgp_strdup(dir);
    r.episode = episode;
    r.nx = s->nx;
    r.nu = s->nu;
    r.x = f.x;
    r.u = f.u;
    f.x = f.u = NULL;
    *out = r;
  }
  free(f.x), free(f.u), free(f.plan), free(f.cand);
  free(f.px), free(f.pu), free(f.pp), free(f.pc);
  return rc;
}

void view_rollout_free(view_rollout *r) {
  if (!r) return;
  free(r->dir);
  free(r->x);
  free(r->u);
  free(r->ret);
  free(r->xp);
  free(r->plan_p);
  free(r->plan_m);
  free(r->cand_p);
  memset(r, 0, sizeof *r);
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
