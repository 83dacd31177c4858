/* sled (test-only): a 1 kg sled on a rail, x'' = u, state [p, v], |u| <= 2 N, goal [1, 0].
 * It exists to prove that an environment needs nothing outside its .c, its .xml and its registry
 * line (tests/envs/test_env_list.h): the conformance tests, a sweep with its figure and `sgp view`
 * handle it from its description alone (tests/e2e_testenv.sh). Its "break" and "drop" config keys
 * make the description wrong or leave hooks out, to check that this is a clear error.
 *
 * Simulation (tests/envs/sled.xml): the motor's force on the slide joint, MuJoCo's Euler with
 * 0.01 s, 10 substeps per 0.1 s control period.
 * Cost: c(x,u) = (p − 1)² + 0.1 v² + 0.01 u², c_T(x) = 10((p − 1)² + v²).
 * Success: |p − 1| < 0.05 and |v| < 0.1. */
#include "envs/env_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLED_DT 0.1
#define SLED_T 30

static const double sled_goal[2] = {1, 0};
static const double sled_ulo[1] = {-2}, sled_uhi[1] = {2};
static const double sled_box_lo[2] = {-2, -2}, sled_box_hi[2] = {2, 2};

enum { BREAK_NONE, BREAK_FIGURE, BREAK_OVERLAY, BREAK_REFS };
enum { DROP_NONE, DROP_VIEW_POINT, DROP_FIGURE };
static const char *const break_names[] = {"none", "figure", "overlay", "refs"};
static const char *const drop_names[] = {"none", "view_point", "figure"};

typedef struct sled_impl {
  env_sim sim;
  int brk, drop;
} sled_impl;

static void sled_get_state(const sgp_env *env, double *x) {
  const sled_impl *p = env->impl;
  x[0] = p->sim.d->qpos[0];
  x[1] = p->sim.d->qvel[0];
}

static int sled_set_state(sgp_env *env, const double *x, sgp_err *e) {
  sled_impl *p = env->impl;
  if (!sgp_all_finite_d(x, 2)) return sgp_fail(e, "sled: set_state: non-finite state");
  env_mj_set(&p->sim, x, x + 1, env->t * SLED_DT);
  return 0;
}

static int sled_reset(sgp_env *env, uint64_t seed, double *x0, sgp_err *e) {
  sled_impl *p = env->impl;
  static const double start[2] = {0, 0};
  (void)seed;
  env_mj_reset(&p->sim);
  env->t = 0;
  if (sled_set_state(env, start, e)) return -1;
  if (x0) memcpy(x0, start, sizeof start);
  return 0;
}

static double sled_cost(const sgp_env *env, const double *x, const double *u, double *gx, double *gu) {
  (void)env;
  double dp = x[0] - sled_goal[0];
  if (gx) gx[0] = 2 * dp, gx[1] = 0.2 * x[1];
  if (gu) gu[0] = 0.02 * u[0];
  return dp * dp + 0.1 * x[1] * x[1] + 0.01 * u[0] * u[0];
}

static double sled_terminal(const sgp_env *env, const double *x, double *gx) {
  (void)env;
  double dp = x[0] - sled_goal[0];
  if (gx) gx[0] = 20 * dp, gx[1] = 20 * x[1];
  return 10 * (dp * dp + x[1] * x[1]);
}

static int sled_success(const sgp_env *env, const double *x) {
  (void)env;
  return fabs(x[0] - sled_goal[0]) < 0.05 && fabs(x[1]) < 0.1;
}

static void sled_cost_batch(const sgp_env *env, int B, const float *x, const float *u, float *c, float *gx,
                            float *gu) {
  (void)env;
  for (int b = 0; b < B; b++) {
    float dp = x[2 * b] - 1.0f, v = x[2 * b + 1];
    c[b] = dp * dp + 0.1f * v * v + 0.01f * u[b] * u[b];
    if (gx) gx[2 * b] = 2 * dp, gx[2 * b + 1] = 0.2f * v;
    if (gu) gu[b] = 0.02f * u[b];
  }
}

static void sled_terminal_batch(const sgp_env *env, int B, const float *x, float *c, float *gx) {
  (void)env;
  for (int b = 0; b < B; b++) {
    float dp = x[2 * b] - 1.0f, v = x[2 * b + 1];
    c[b] = 10 * (dp * dp + v * v);
    if (gx) gx[2 * b] = 20 * dp, gx[2 * b + 1] = 20 * v;
  }
}

/* ---- the description's hooks ---------------------------------------------------------------- */
/* The expert: a saturated PD law towards the goal. */
static void sled_expert(const sgp_env *env, int t, const double *x, double *u) {
  (void)env, (void)t;
  double f = -4 * (x[0] - sled_goal[0]) - 3 * x[1];
  u[0] = f > 2 ? 2 : f < -2 ? -2 : f;
}

/* The top of the sled. */
static int sled_view_point(const sgp_env *env, const double *x, double p[3]) {
  (void)env;
  if (!isfinite(x[0])) return -1;
  p[0] = x[0], p[1] = 0, p[2] = 0.1;
  return 0;
}

static void sled_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy, double cam[6]) {
  (void)env, (void)xs, (void)n, (void)aspect;
  cam[0] = 0.5, cam[1] = 0, cam[2] = 0;
  cam[3] = 1.6 / tan(0.5 * fovy * M_PI / 180);
  cam[4] = 90, cam[5] = -30;
}

/* The goal as a sphere, the success tolerance as a disk; with "break": "overlay" an image larger
 * than the state. */
static int sled_overlays(const sgp_env *env, env_overlay *out, int max) {
  const sled_impl *p = env->impl;
  if (max < 2) return 0;
  memset(out, 0, 2 * sizeof *out);
  out[0] = (env_overlay){ENV_OVERLAY_SPHERE, {0.1f, 0.7f, 0.2f, 0.6f}, {1, 0, 0.1}, 0.04, 0, 0, 0, "goal"};
  out[1] = (env_overlay){ENV_OVERLAY_DISK, {0.1f, 0.7f, 0.2f, 0.3f}, {1, 0, -0.09}, 0.05, 0, 0, 0, "goal tolerance"};
  if (p->brk == BREAK_OVERLAY) out[1] = (env_overlay){ENV_OVERLAY_IMAGE, {0}, {0}, 0, 0, 2, 2, "too large"};
  return 2;
}

static void sled_note(const sgp_env *env, char *buf, size_t n) {
  (void)env;
  snprintf(buf, n, "sled (test-only): push to x = 1 and stop there; |u| <= 2 N");
}

static const env_ops sled_ops = {
    .destroy = env_mj_destroy, .reset = sled_reset, .set_state = sled_set_state, .get_state = sled_get_state,
    .step = env_step_ctrl, .cost = sled_cost, .terminal_cost = sled_terminal, .success = sled_success,
    .cost_batch = sled_cost_batch, .terminal_cost_batch = sled_terminal_batch, .expert_action = sled_expert,
    .view_point = sled_view_point, .view_camera = sled_camera, .overlays = sled_overlays, .hud_note = sled_note,
};
/* "drop": "view_point" */
static const env_ops sled_ops_no_view = {
    .destroy = env_mj_destroy, .reset = sled_reset, .set_state = sled_set_state, .get_state = sled_get_state,
    .step = env_step_ctrl, .cost = sled_cost, .terminal_cost = sled_terminal, .success = sled_success,
    .cost_batch = sled_cost_batch, .terminal_cost_batch = sled_terminal_batch, .expert_action = sled_expert,
};

/* Reference returns (measured by tests/test_env_references.c as envs/env.h defines them). */
#define SLED_REF_RANDOM (-64.8454)
#define SLED_REF_EXPERT (-7.3162)

static int sled_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  static const char *const keys[] = {"break", "drop", NULL};
  int brk, drop;
  if (sgp_cfg_check_keys(cfg, keys, e) || sgp_cfg_enum(cfg, "break", break_names, 4, BREAK_NONE, &brk, e) ||
      sgp_cfg_enum(cfg, "drop", drop_names, 3, DROP_NONE, &drop, e))
    return -1;
  sled_impl *p = sgp_calloc(1, sizeof *p);
  p->brk = brk;
  p->drop = drop;
  const env_ops *ops = drop == DROP_VIEW_POINT ? &sled_ops_no_view : &sled_ops;
  sgp_env *env;
  if (env_mj_new(&env_sled_vt, ops, p, &p->sim, "sled.xml", SLED_DT, &env, e)) return -1;
  env_spec *s = &env->spec;
  env_spec_dims(s, 2, 1, SLED_T, sled_ulo, sled_uhi, sled_goal);
  env_spec_box(s, sled_box_lo, sled_box_hi);
  s->has_ref = 1;
  s->ref_random = SLED_REF_RANDOM;
  s->ref_expert = SLED_REF_EXPERT;
  s->tol.ref_random_abs = s->tol.ref_expert_abs = 1e-4; /* 4 decimals stored */
  s->figure = (env_figure){ENV_FIG_SERIES, 1, 2, {0, 1}, {"p (m)", "v (m/s)"}};
  if (drop == DROP_FIGURE) s->figure = (env_figure){0};
  if (brk == BREAK_FIGURE) s->figure.dims[1] = 2;
  if (brk == BREAK_REFS) s->ref_random = s->ref_expert;
  return env_start(env, out, e);
}

static const char *const sled_test_configs[] = {"{\"drop\":\"view_point\"}", "{\"drop\":\"figure\"}", NULL};

const env_vt env_sled_vt = {
    .name = "sled",
    .summary = "TEST-ONLY: a sled on a rail, x'' = u, to x = 1 (tests/envs/sled.c)",
    .create = sled_create,
    .test_configs = sled_test_configs,
};
