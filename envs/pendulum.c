/* pendulum: swing-up of a torque-limited pendulum, state x = [θ, θ̇], θ = 0 hanging down, goal
 * [π, 0], torque u on the hinge, |u| <= max_torque (3 N m by default: a third of m g l, so it
 * must be swung up), control period 0.05 s, T = 100 (5 s). The smallest complete environment,
 * written by following docs/adding-an-environment.md.
 *
 * Physics (envs/pendulum.xml): a point mass m = 1 kg at the end of a massless rod of length
 * l = 1 m, g = 9.81: (m l² + I) θ̈ = u − m g l sin θ (I = 1e-9, MuJoCo's minimum), MuJoCo's RK4 with
 * 0.01 s, 5 substeps per control period (tests/test_env_pendulum.c integrates the equation
 * independently).
 * Cost (as Gymnasium's Pendulum, with the angle wrapped around the goal):
 *   c(x,u) = w(θ)² + 0.1 θ̇² + 0.001 u²,   c_T(x) = w(θ)² + 0.1 θ̇²,   w(θ) = wrap(θ − π) ∈ [−π, π]
 * (the seam of the wrap, θ = 0 mod 2π, is where the cost jumps: spec.tol.wrap tells the tests).
 * Success: |w(θ_T)| < 0.2 and |θ̇_T| < 1. */
#include "envs/env_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PD_DT 0.05
#define PD_T 100
#define PD_M 1.0  /* the bob's mass (kg), as in envs/pendulum.xml */
#define PD_L 1.0  /* the rod's length (m) */
#define PD_G 9.81
#define PD_WV 0.1    /* weight of θ̇² */
#define PD_WU 0.001  /* weight of u² */

static const double pd_goal[2] = {M_PI, 0};
static const double pd_box_lo[2] = {-M_PI, -8}, pd_box_hi[2] = {M_PI, 8};

typedef struct pd_impl {
  env_sim sim;
  double u_lo[1], u_hi[1]; /* ±max_torque */
} pd_impl;

static double wrap(double a) { return remainder(a, 2 * M_PI); }

/* ---- operations ----------------------------------------------------------------------------- */
static void pd_get_state(const sgp_env *env, double *x) {
  const pd_impl *p = env->impl;
  x[0] = p->sim.d->qpos[0];
  x[1] = p->sim.d->qvel[0];
}

static int pd_set_state(sgp_env *env, const double *x, sgp_err *e) {
  pd_impl *p = env->impl;
  if (!sgp_all_finite_d(x, 2)) return sgp_fail(e, "pendulum: set_state: non-finite state");
  env_mj_set(&p->sim, x, x + 1, env->t * PD_DT);
  return 0;
}

static int pd_reset(sgp_env *env, uint64_t seed, double *x0, sgp_err *e) {
  static const double rest[2] = {0, 0}; /* hanging at rest, whatever the seed */
  (void)seed;
  env_mj_reset(env->sim);
  env->t = 0;
  if (pd_set_state(env, rest, e)) return -1;
  if (x0) memcpy(x0, rest, sizeof rest);
  return 0;
}

static double pd_cost(const sgp_env *env, const double *x, const double *u, double *gx, double *gu) {
  (void)env;
  double w = wrap(x[0] - M_PI);
  if (gx) gx[0] = 2 * w, gx[1] = 2 * PD_WV * x[1];
  if (gu) gu[0] = 2 * PD_WU * u[0];
  return w * w + PD_WV * x[1] * x[1] + PD_WU * u[0] * u[0];
}

static double pd_terminal(const sgp_env *env, const double *x, double *gx) {
  (void)env;
  double w = wrap(x[0] - M_PI);
  if (gx) gx[0] = 2 * w, gx[1] = 2 * PD_WV * x[1];
  return w * w + PD_WV * x[1] * x[1];
}

static int pd_success(const sgp_env *env, const double *x) {
  (void)env;
  return fabs(wrap(x[0] - M_PI)) < 0.2 && fabs(x[1]) < 1;
}

/* Float versions: the wrap in float (remainderf), so both agree away from the seam. */
static void pd_cost_batch(const sgp_env *env, int B, const float *x, const float *u, float *c, float *gx,
                          float *gu) {
  (void)env;
  for (int b = 0; b < B; b++) {
    float w = remainderf(x[2 * b] - (float)M_PI, 2 * (float)M_PI), v = x[2 * b + 1];
    c[b] = w * w + (float)PD_WV * v * v + (float)PD_WU * u[b] * u[b];
    if (gx) gx[2 * b] = 2 * w, gx[2 * b + 1] = 2 * (float)PD_WV * v;
    if (gu) gu[b] = 2 * (float)PD_WU * u[b];
  }
}

static void pd_terminal_batch(const sgp_env *env, int B, const float *x, float *c, float *gx) {
  (void)env;
  for (int b = 0; b < B; b++) {
    float w = remainderf(x[2 * b] - (float)M_PI, 2 * (float)M_PI), v = x[2 * b + 1];
    c[b] = w * w + (float)PD_WV * v * v;
    if (gx) gx[2 * b] = 2 * w, gx[2 * b + 1] = 2 * (float)PD_WV * v;
  }
}

/* ---- the description's hooks ---------------------------------------------------------------- */
/* The expert of ref_expert: pump energy, u = 5 (E_top − E) sign(θ̇) with E = ½ m l² θ̇² − m g l cos θ
 * and E_top = m g l, until within 0.2 rad of upright, then hold with u = −10 w(θ) − 3 θ̇ (both
 * clipped to the torque limit). */
static void pd_expert(const sgp_env *env, int t, const double *x, double *u) {
  double w = wrap(x[0] - M_PI), f;
  (void)t;
  if (fabs(w) < 0.2) {
    f = -10 * w - 3 * x[1];
  } else {
    double E = 0.5 * PD_M * PD_L * PD_L * x[1] * x[1] - PD_M * PD_G * PD_L * cos(x[0]);
    f = 5 * (PD_M * PD_G * PD_L - E) * (x[1] >= 0 ? 1 : -1);
  }
  u[0] = f;
  env_clip_action(env, u);
}

/* The bob: (l sin θ, 0, −l cos θ), in front of the rod. */
static int pd_view_point(const sgp_env *env, const double *x, double p[3]) {
  (void)env;
  if (!isfinite(x[0])) return -1;
  p[0] = PD_L * sin(x[0]);
  p[1] = -0.1;
  p[2] = -PD_L * cos(x[0]);
  return 0;
}

static void pd_view_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                           double cam[6]) {
  (void)env, (void)xs, (void)n;
  double half = 1.45 * PD_L * (aspect < 1 ? 1 / aspect : 1);
  cam[0] = 0, cam[1] = 0, cam[2] = 0.1;
  cam[3] = half / tan(0.5 * fovy * M_PI / 180);
  cam[4] = 90, cam[5] = -5;
}

/* The goal: where the bob is upright. */
static int pd_overlays(const sgp_env *env, env_overlay *out, int max) {
  (void)env;
  if (max < 1) return 0;
  out[0] = (env_overlay){ENV_OVERLAY_SPHERE, {0.1f, 0.7f, 0.2f, 0.5f}, {0, -0.1, PD_L}, 0.09, 0, 0, 0, "goal"};
  return 1;
}

static void pd_hud_note(const sgp_env *env, char *buf, size_t n) {
  snprintf(buf, n, "swing-up: goal bob up (green), |u| <= %g N m; paths show the bob", env->spec.u_hi[0]);
}

static const env_ops pd_ops = {
    .destroy = env_mj_destroy, .reset = pd_reset, .set_state = pd_set_state, .get_state = pd_get_state,
    .step = env_step_ctrl, /* the torque is the motor's control; reward −c(x, u) */
    .cost = pd_cost, .terminal_cost = pd_terminal, .success = pd_success, .cost_batch = pd_cost_batch,
    .terminal_cost_batch = pd_terminal_batch, .expert_action = pd_expert, .view_point = pd_view_point,
    .view_camera = pd_view_camera, .overlays = pd_overlays, .hud_note = pd_hud_note};

/* Reference returns, measured by tests/test_env_references.c as envs/env.h defines them: random
 * (mean of 1000 episodes of uniform torques) and the expert pd_expert, which is upright after 75
 * steps and ends there. Hanging still scores 101·π² ≈ −996.8. */
#define PD_REF_RANDOM (-934.7932)
#define PD_REF_EXPERT (-449.7928)

static int pd_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  static const char *const keys[] = {"max_torque", NULL};
  double umax;
  if (sgp_cfg_check_keys(cfg, keys, e) || sgp_cfg_num_opt(cfg, "max_torque", 3.0, &umax, e)) return -1;
  if (!(umax > 0 && umax <= 20))
    return sgp_fail(e, "%s: %s/max_torque: expected a number in (0, 20], got %g", cfg->file, cfg->path, umax);
  pd_impl *p = sgp_calloc(1, sizeof *p);
  p->u_lo[0] = -umax;
  p->u_hi[0] = umax;
  sgp_env *env;
  if (env_mj_new(&env_pendulum_vt, &pd_ops, p, &p->sim, "pendulum.xml", PD_DT, &env, e)) return -1;
  env_spec *s = &env->spec;
  env_spec_dims(s, 2, 1, PD_T, p->u_lo, p->u_hi, pd_goal);
  env_spec_box(s, pd_box_lo, pd_box_hi);
  s->has_ref = umax == 3.0; /* the references are for the default torque limit */
  s->ref_random = PD_REF_RANDOM;
  s->ref_expert = PD_REF_EXPERT;
  s->tol.ref_random_abs = s->tol.ref_expert_abs = 1e-4; /* 4 decimals stored */
  s->tol.wrap = 1u << 0; /* θ: the cost wraps around the goal */
  s->figure = (env_figure){ENV_FIG_SERIES, 1, 2, {0, 1}, {"θ (rad)", "θ' (rad/s)"}};
  return env_start(env, out, e);
}

static const char *const pd_test_configs[] = {"{\"max_torque\":10}", NULL};

const env_vt env_pendulum_vt = {
    .name = "pendulum",
    .summary = "torque-limited pendulum swing-up, 1 kg at 1 m, |u| <= 3 N m (a third of m g l)",
    .create = pd_create,
    .test_configs = pd_test_configs,
};
