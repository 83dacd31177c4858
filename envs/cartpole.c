/* cartpole (METHOD §6): swing-up of a pole on a cart, state x = [p, θ, ṗ, θ̇], θ = 0 hanging down,
 * goal [0, π, 0, 0], force u on the cart, |u| <= 80 N, control period 0.05 s, T = 60.
 *
 * Physics (envs/cartpole.xml): cart m_c = 10 kg, pole m_p = 1 kg as a point mass at the tip of a
 * massless rod of length l = 0.5 m, g = 9.81. The equations of motion (Lagrange; what MuJoCo
 * integrates, and what tests/test_env_cartpole.c integrates independently):
 *   (m_c + m_p) p̈ + m_p l cos θ θ̈ − m_p l sin θ θ̇² = u
 *   m_p l cos θ p̈ + (m_p l² + I) θ̈ + m_p g l sin θ = 0          (I = 1e-9, MuJoCo's minimum)
 * MuJoCo's RK4, timestep 0.005 s, 10 substeps per control period.
 * Cost (METHOD §6): c(x,u) = R u² (R = 1e-5), c_T(x) = (x − x_g)ᵀ diag(1, 1, 0.1, 0.1) (x − x_g)
 * (angles not wrapped: the data box θ ∈ [−π, 1.5π] contains the goal θ = π once).
 * Success: the pole up and nearly still, the cart near the centre: |wrap(θ_T − π)| < 0.2,
 * |θ̇_T| < 2 rad/s and |p_T| < 0.5. Why 2 rad/s: linearised about upright (φ = θ − π),
 * φ̈ = λ²φ + u/(m_c l) with λ = √((m_c + m_p) g / (m_c l)) = 4.65 /s, so the unstable mode
 * z = φ̇ + λφ obeys ż = λz + u/(m_c l) and the 80 N limit can still stop the fall iff
 * |z| < 80/(m_c l λ) = 3.44 rad/s. With |φ| < 0.2 and |φ̇| < 2, |z| < 2.93: every success state can
 * be caught and held, while a pole swinging through the top (|θ̇| of several rad/s) is not a
 * success.
 *
 * Config "plant": "textbook" (the default: the equations above, in MuJoCo) or "authors": the plant
 * of the authors' public code (examples/cartpole/cartpole_plant.py of their repository), offered
 * as a documented deviation (METHOD §7) so that their cart-pole figure can be reproduced. With
 * D = m_c + m_p sin²θ it computes
 *   p̈ = u + m_p sin θ (l θ̇² + g cos θ) / D          (the textbook has the whole numerator over D)
 *   θ̈ = (−u cos θ − m_p l θ̇² cos θ sin θ − (m_c + m_p) g sin θ) / (D l)
 * and integrates with one explicit midpoint step of 0.05 s per control period (u held constant).
 * The force enters p̈ undivided, so the cart accelerates about D ≈ 10 times harder than the
 * textbook's. MuJoCo then only mirrors the state for the viewer. The reference returns belong to
 * the textbook plant, so the authors' plant declares none (its main metric is the success rate). */
#include "envs/env_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CP_R 1e-5
#define CP_DT 0.05
#define CP_T 60
#define CP_UMAX 80.0

static const double cp_goal[4] = {0, M_PI, 0, 0};
static const double cp_wT[4] = {1, 1, 0.1, 0.1};
static const double cp_ulo[1] = {-CP_UMAX};
static const double cp_uhi[1] = {CP_UMAX};
static const double cp_box_lo[4] = {-5, -M_PI, -8, -12};
static const double cp_box_hi[4] = {5, 1.5 * M_PI, 8, 12};
static const char *const cp_keys[] = {"init_noise", "plant", NULL};
#define CP_SUCCESS_ANGLE 0.2 /* rad from upright */
#define CP_SUCCESS_RATE 2.0  /* |θ̇| bound, rad/s: inside the capture region (header) */
#define CP_SUCCESS_POS 0.5   /* m */

/* Reference returns (episode return = Σ_t −c(x_t,u_t) − c_T(x_T) over T = 60 steps, means over
 * the start distribution, envs/env.h), recomputed by tests/test_env_references.c. From the
 * hanging start (init_noise 0):
 *   random: mean over 1000 seeded episodes of uniform random forces in [−80, 80] (sgp_rng stream
 *           "reference", seed 0; sd of one episode 11.5, standard error of the mean 0.36);
 *   expert: the best swing-up we found with the true simulator: `sgp eval --config
 *           bench/runs/cartpole_expert.json` (the oracle planner, MPPI with 1000 samples × 60
 *           iterations, temperature 0.05, planning the whole episode open loop; the simulator is
 *           deterministic, so the open-loop plan is exact). Its 60 actions (cp_expert_u) are the expert policy.
 *           It ends upright (final cost 0.053, success); the learned-model MPC planners of the
 *           quick benchmark reach −1.1 to −2. Doing nothing scores −π² ≈ −9.87 (normalised 53). */
#define CP_REF_RANDOM (-20.2495)
#define CP_REF_EXPERT (-0.726814)
/* The start distributions with stored references: init_noise, random and expert means, and their
 * episode counts. init_noise 0.05: the expert (the same 60 actions, open loop) still swings up from
 * every start (mean −0.794, sd 0.083 over 1000 starts). Any other init_noise measures its
 * references when the environment is created (200 + 200 episodes, env_measure_refs). */
static const struct {
  double noise, random, expert;
  int n_random, n_expert;
} cp_refs[] = {{0, CP_REF_RANDOM, CP_REF_EXPERT, 1000, 1}, {0.05, -20.272266, -0.793962, 1000, 1000}};

typedef struct cp_impl {
  env_sim sim;
  double init_noise; /* std of the Gaussian added to each coordinate of the hanging rest state */
  double pole_len, hinge_z; /* from the model: where the viewer draws the pole tip */
} cp_impl;

static void cp_get_state(const sgp_env *env, double *x) {
  const cp_impl *p = env->impl;
  x[0] = p->sim.d->qpos[0];
  x[1] = p->sim.d->qpos[1];
  x[2] = p->sim.d->qvel[0];
  x[3] = p->sim.d->qvel[1];
}

static int cp_set_state(sgp_env *env, const double *x, sgp_err *e) {
  cp_impl *p = env->impl;
  if (!sgp_all_finite_d(x, 4)) return sgp_fail(e, "cartpole: set_state: non-finite state");
  env_mj_set(&p->sim, x, x + 2, env->t * CP_DT);
  return 0;
}

static int cp_reset(sgp_env *env, uint64_t seed, double *x0, sgp_err *e) {
  cp_impl *p = env->impl;
  double x[4] = {0, 0, 0, 0};
  if (p->init_noise > 0) {
    sgp_rng r;
    sgp_rng_stream(&r, seed, "reset");
    for (int i = 0; i < 4; i++) x[i] += p->init_noise * sgp_rng_normal(&r);
  }
  env_mj_reset(&p->sim);
  env->t = 0;
  if (cp_set_state(env, x, e)) return -1;
  if (x0) memcpy(x0, x, sizeof x);
  return 0;
}

static double cp_cost(const sgp_env *env, const double *x, const double *u, double *gx, double *gu) {
  (void)env;
  if (gx) memset(gx, 0, 4 * sizeof(double));
  if (gu) gu[0] = 2 * CP_R * u[0];
  (void)x;
  return CP_R * u[0] * u[0];
}

static double cp_terminal(const sgp_env *env, const double *x, double *gx) {
  (void)env;
  double c = 0;
  for (int i = 0; i < 4; i++) {
    double d = x[i] - cp_goal[i];
    c += cp_wT[i] * d * d;
    if (gx) gx[i] = 2 * cp_wT[i] * d;
  }
  return c;
}

static int cp_success(const sgp_env *env, const double *x) {
  (void)env;
  double dth = remainder(x[1] - M_PI, 2 * M_PI); /* wrapped to [−π, π] */
  return fabs(dth) < CP_SUCCESS_ANGLE && fabs(x[3]) < CP_SUCCESS_RATE && fabs(x[0]) < CP_SUCCESS_POS;
}

static void cp_cost_batch(const sgp_env *env, int B, const float *x, const float *u, float *c, float *gx,
                          float *gu) {
  (void)env;
  (void)x;
  for (int b = 0; b < B; b++) {
    c[b] = (float)CP_R * u[b] * u[b];
    if (gu) gu[b] = 2.0f * (float)CP_R * u[b];
  }
  if (gx) memset(gx, 0, sizeof(float) * 4 * (size_t)B);
}

static void cp_terminal_batch(const sgp_env *env, int B, const float *x, float *c, float *gx) {
  (void)env;
  for (int b = 0; b < B; b++) {
    float s = 0;
    for (int i = 0; i < 4; i++) {
      float d = x[4 * b + i] - (float)cp_goal[i];
      s += (float)cp_wT[i] * d * d;
      if (gx) gx[4 * b + i] = 2.0f * (float)cp_wT[i] * d;
    }
    c[b] = s;
  }
}

/* ---- the authors' plant (see the header comment) ------------------------------------------- */
#define CP_MC 10.0
#define CP_MP 1.0
#define CP_L 0.5
#define CP_G 9.81

static void cp_authors_deriv(const double *x, double u, double *xd) {
  double s = sin(x[1]), c = cos(x[1]), D = CP_MC + CP_MP * s * s;
  xd[0] = x[2];
  xd[1] = x[3];
  xd[2] = u + CP_MP * s * (CP_L * x[3] * x[3] + CP_G * c) / D;
  xd[3] = (-u * c - CP_MP * CP_L * x[3] * x[3] * c * s - (CP_MC + CP_MP) * CP_G * s) / (D * CP_L);
}

static int cp_step_authors(sgp_env *env, const double *u_in, double *xnext, double *reward,
                           int *terminated, sgp_err *e) {
  cp_impl *p = env->impl;
  if (!isfinite(u_in[0])) return sgp_fail(e, "cartpole: step %d: non-finite action", env->t);
  double u = u_in[0], x[4], xd[4], xm[4], xn[4];
  env_clip_action(env, &u);
  env_get_state(env, x);
  double c = cp_cost(env, x, &u, NULL, NULL);
  cp_authors_deriv(x, u, xd); /* explicit midpoint: x' = x + dt f(x + dt/2 f(x, u), u) */
  for (int i = 0; i < 4; i++) xm[i] = x[i] + 0.5 * CP_DT * xd[i];
  cp_authors_deriv(xm, u, xd);
  for (int i = 0; i < 4; i++) xn[i] = x[i] + CP_DT * xd[i];
  env->t++;
  if (env_stepped_finite(env, xn, e)) return -1;
  env_mj_set(&p->sim, xn, xn + 2, env->t * CP_DT);
  if (xnext) memcpy(xnext, xn, sizeof xn);
  if (reward) *reward = -c;
  if (terminated) *terminated = 0;
  return 0;
}

/* ---- the description's hooks --------------------------------------------------------------- */
/* The expert of ref_expert: the oracle's open-loop swing-up, replayed (float32, as `sgp eval
 * --save-rollout` wrote it; see CP_REF_EXPERT). */
static const float cp_expert_u[CP_T] = {
    28.2095661f, 47.5542336f, 17.5385036f, 32.5666656f, 26.670269f, 41.9823151f,
    -19.4743385f, -6.89505816f, -45.8019943f, -12.1708574f, -32.3375969f, -54.7009506f,
    -36.2472534f, -40.4632492f, -64.9946136f, -41.65271f, -11.2613382f, -33.9258232f,
    4.09127617f, -0.705177724f, 13.4532871f, -40.2675323f, 42.0170097f, 24.4075832f,
    9.09300518f, 18.5202847f, 48.1787148f, 49.1071053f, 48.9761887f, 51.8148994f,
    54.0566368f, 11.7696676f, -4.09337091f, 4.13740921f, 11.5865936f, 17.3250217f,
    -5.89173794f, 21.8769779f, -16.6976509f, 39.9556084f, -6.19398499f, -0.140590534f,
    -32.977623f, -58.4860001f, -51.8609962f, -63.7949181f, -68.2117233f, -30.7780056f,
    8.0850544f, -3.40734696f, -4.57646894f, 43.2460136f, -27.4766006f, 20.3687f,
    22.5217762f, 39.4956055f, 9.63633919f, -27.6434345f, -9.85278893f, -11.5911884f,
};

static void cp_expert_action(const sgp_env *env, int t, const double *x, double *u) {
  (void)env, (void)x;
  u[0] = t >= 0 && t < CP_T ? cp_expert_u[t] : 0;
}

/* The viewer's geometry, read from the model at create time. */
#define CP_FRONT (-0.13) /* y of the drawn path: just in front of the cart box (half depth 0.1) */

/* The pole tip: θ = 0 hangs down; envs/cartpole.xml puts the tip at (p + l sin θ, −l cos θ). */
static int cp_view_point(const sgp_env *env, const double *x, double p[3]) {
  const cp_impl *c = env->impl;
  if (!isfinite(x[0]) || !isfinite(x[1])) return -1;
  p[0] = x[0] + c->pole_len * sin(x[1]);
  p[1] = CP_FRONT;
  p[2] = c->hinge_z - c->pole_len * cos(x[1]);
  return 0;
}

/* From the front (−y), slightly above, wide enough for the cart's travel in xs. */
static void cp_view_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                           double cam[6]) {
  double lo = -1.2, hi = 1.2, half = tan(0.5 * fovy * M_PI / 180);
  for (int t = 0; t < n; t++) {
    double p = xs[(size_t)t * env->spec.nx];
    if (p - 0.8 < lo) lo = p - 0.8;
    if (p + 0.8 > hi) hi = p + 0.8;
  }
  double halfw = 0.5 * (hi - lo);
  cam[0] = 0.5 * (lo + hi);
  cam[1] = 0;
  cam[2] = -0.1;
  cam[3] = (halfw / aspect > 1.1 ? halfw / aspect : 1.1) / half;
  cam[4] = 90;
  cam[5] = -8;
}

static void cp_hud_note(const sgp_env *env, char *buf, size_t n) {
  (void)env;
  snprintf(buf, n, "swing-up: goal pole up (theta = pi), cart at 0; paths show the pole tip");
}

static const env_ops cp_ops = {
    .destroy = env_mj_destroy, .reset = cp_reset, .set_state = cp_set_state, .get_state = cp_get_state,
    .step = env_step_ctrl, /* the force is the motor's control; reward −c(x, u) = −R u² */
    .cost = cp_cost, .terminal_cost = cp_terminal, .success = cp_success, .cost_batch = cp_cost_batch,
    .terminal_cost_batch = cp_terminal_batch, .expert_action = cp_expert_action, .view_point = cp_view_point,
    .view_camera = cp_view_camera, .hud_note = cp_hud_note};

static const env_ops cp_ops_authors = {
    .destroy = env_mj_destroy, .reset = cp_reset, .set_state = cp_set_state, .get_state = cp_get_state,
    .step = cp_step_authors, .cost = cp_cost, .terminal_cost = cp_terminal, .success = cp_success,
    .cost_batch = cp_cost_batch, .terminal_cost_batch = cp_terminal_batch,
    .expert_action = cp_expert_action, .view_point = cp_view_point, .view_camera = cp_view_camera,
    .hud_note = cp_hud_note};

/* Pole length (the "tip" geom's offset from the hinge) and hinge height, from the model. */
static int cp_geometry(sgp_env *env, sgp_err *e) {
  cp_impl *c = env->impl;
  const mjModel *m = c->sim.m;
  int cart = mj_name2id(m, mjOBJ_BODY, "cart"), pole = mj_name2id(m, mjOBJ_BODY, "pole");
  int tip = mj_name2id(m, mjOBJ_GEOM, "tip");
  if (cart < 0 || pole < 0 || tip < 0) return sgp_fail(e, "cartpole.xml: no body 'cart' / 'pole' or geom 'tip'");
  const mjtNum *off = m->geom_pos + 3 * tip;
  c->pole_len = sqrt(off[0] * off[0] + off[1] * off[1] + off[2] * off[2]);
  c->hinge_z = m->body_pos[3 * cart + 2] + m->body_pos[3 * pole + 2];
  return 0;
}

static int cp_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  if (sgp_cfg_check_keys(cfg, cp_keys, e)) return -1;
  double noise;
  if (sgp_cfg_num_opt(cfg, "init_noise", 0.0, &noise, e)) return -1;
  if (!(noise >= 0 && noise <= 10))
    return sgp_fail(e, "%s: %s/init_noise: expected a number in [0, 10], got %g", cfg->file, cfg->path, noise);
  const char *plant;
  if (sgp_cfg_str_opt(cfg, "plant", "textbook", &plant, e)) return -1;
  int authors = !strcmp(plant, "authors");
  if (!authors && strcmp(plant, "textbook"))
    return sgp_fail(e, "%s: %s/plant: expected \"textbook\" or \"authors\", got \"%s\"", cfg->file,
                    cfg->path, plant);
  cp_impl *p = sgp_calloc(1, sizeof *p);
  p->init_noise = noise;
  sgp_env *env;
  if (env_mj_new(&env_cartpole_vt, authors ? &cp_ops_authors : &cp_ops, p, &p->sim, "cartpole.xml", CP_DT, &env, e)) return -1;
  if (cp_geometry(env, e)) {
    env_destroy(env);
    return -1;
  }
  env_spec *s = &env->spec;
  env_spec_dims(s, 4, 1, CP_T, cp_ulo, cp_uhi, cp_goal);
  env_spec_box(s, cp_box_lo, cp_box_hi);
  s->tol.ref_random_abs = 1e-4; /* the stored references have 4 and 6 decimals */
  s->tol.ref_expert_abs = 1e-5;
  s->figure = (env_figure){ENV_FIG_SERIES, 0, 2, {0, 1}, {"cart p (m)", "pole θ (rad)"}};
  /* the references: the textbook plant's, stored or measured over the start distribution */
  for (size_t i = 0; i < sizeof cp_refs / sizeof cp_refs[0] && !s->has_ref && !authors; i++)
    if (cp_refs[i].noise == noise) {
      s->has_ref = 1;
      s->ref_random = cp_refs[i].random, s->ref_expert = cp_refs[i].expert;
      s->ref_episodes = cp_refs[i].n_random, s->ref_expert_episodes = cp_refs[i].n_expert;
    }
  if (!authors && !s->has_ref && env_measure_refs(env, 200, 200, e)) {
    env_destroy(env);
    return -1;
  }
  return env_start(env, out, e);
}

static const char *const cp_test_configs[] = {"{\"init_noise\":0.05}", "{\"plant\":\"authors\"}", NULL};

const env_vt env_cartpole_vt = {
    .name = "cartpole",
    .summary = "cart-pole swing-up, cart 10 kg, pole 1 kg at 0.5 m, |u| <= 80 N (METHOD §6)",
    .create = cp_create,
    .test_configs = cp_test_configs,
};
