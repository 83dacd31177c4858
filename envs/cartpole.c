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
 * Success: |wrap(θ_T − π)| < 0.2 and |p_T| < 0.5. */
#include "envs/env_private.h"

#include <math.h>
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
static const char *const cp_keys[] = {"init_noise", NULL};

/* Reference returns (episode return = Σ_t −c(x_t,u_t) − c_T(x_T) over T = 60 steps from the
 * hanging start), recomputed by tests/test_env_refs.c:
 *   random: mean over 1000 seeded episodes of uniform random forces in [−80, 80] (sgp_rng stream
 *           "reference", seed 0; sd of one episode 11.5, standard error of the mean 0.36);
 *   expert: the best swing-up we found with the true simulator: `sgp eval --config
 *           bench/runs/cartpole_expert.json` (the oracle planner, MPPI with 1000 samples × 60
 *           iterations, temperature 0.05, planning the whole episode open loop; the simulator is
 *           deterministic, so the open-loop plan is exact). Its 60 actions are replayed by the test.
 *           It ends upright (final cost 0.053, success); the learned-model MPC planners of the
 *           quick benchmark reach −1.1 to −2. Doing nothing scores −π² ≈ −9.87 (normalised 53). */
#define CP_REF_RANDOM (-20.2495)
#define CP_REF_EXPERT (-0.726814)

typedef struct cp_impl {
  env_sim sim;
  double init_noise; /* std of the Gaussian added to each coordinate of the hanging rest state */
} cp_impl;

static void cp_destroy(sgp_env *env) {
  cp_impl *p = env->impl;
  env_mj_free(&p->sim);
  free(p);
  free(env);
}

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

static int cp_step(sgp_env *env, const double *u_in, double *xnext, double *reward, int *terminated,
                   sgp_err *e) {
  cp_impl *p = env->impl;
  if (!isfinite(u_in[0])) return sgp_fail(e, "cartpole: step %d: non-finite action", env->t);
  double u = u_in[0];
  env_clip_action(env, &u);
  p->sim.d->ctrl[0] = u;
  if (env_mj_step(&p->sim, "cartpole", env->spec.substeps, NULL, NULL, e)) return -1;
  env->t++;
  double xn[4];
  cp_get_state(env, xn);
  if (!sgp_all_finite_d(xn, 4)) return sgp_fail(e, "cartpole: simulation unstable at t=%.4g", env->t * CP_DT);
  if (xnext) memcpy(xnext, xn, sizeof xn);
  if (reward) *reward = -CP_R * u * u;
  if (terminated) *terminated = 0;
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
  return fabs(dth) < 0.2 && fabs(x[0]) < 0.5;
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

static const env_ops cp_ops = {
    .destroy = cp_destroy,
    .reset = cp_reset,
    .set_state = cp_set_state,
    .get_state = cp_get_state,
    .step = cp_step,
    .cost = cp_cost,
    .terminal_cost = cp_terminal,
    .success = cp_success,
    .cost_batch = cp_cost_batch,
    .terminal_cost_batch = cp_terminal_batch,
};

static int cp_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  if (sgp_cfg_check_keys(cfg, cp_keys, e)) return -1;
  double noise;
  if (sgp_cfg_num_opt(cfg, "init_noise", 0.0, &noise, e)) return -1;
  if (!(noise >= 0 && noise <= 10))
    return sgp_fail(e, "%s: %s/init_noise: expected a number in [0, 10], got %g", cfg->file, cfg->path, noise);
  cp_impl *p = sgp_calloc(1, sizeof *p);
  if (env_mj_load(&p->sim, "cartpole.xml", e)) {
    free(p);
    return -1;
  }
  p->init_noise = noise;
  sgp_env *env = sgp_calloc(1, sizeof *env);
  env->vt = &env_cartpole_vt;
  env->ops = &cp_ops;
  env->impl = p;
  env->sim = &p->sim;
  env_spec *s = &env->spec;
  s->name = "cartpole";
  s->nx = 4;
  s->nu = 1;
  s->dt = CP_DT;
  s->timestep = p->sim.m->opt.timestep;
  if (env_substeps(p->sim.m, CP_DT, "cartpole", &s->substeps, e)) {
    cp_destroy(env);
    return -1;
  }
  s->T = CP_T;
  s->u_lo = cp_ulo;
  s->u_hi = cp_uhi;
  s->goal = cp_goal;
  s->has_box = 1;
  s->nbx = 4;
  s->nbu = 1;
  memcpy(s->box_lo, cp_box_lo, sizeof cp_box_lo);
  memcpy(s->box_hi, cp_box_hi, sizeof cp_box_hi);
  s->abox_lo[0] = -CP_UMAX;
  s->abox_hi[0] = CP_UMAX;
  s->excl_radius = 0;
  s->has_ref = noise == 0; /* the references are for the fixed hanging start */
  s->ref_random = CP_REF_RANDOM;
  s->ref_expert = CP_REF_EXPERT;
  if (cp_reset(env, 0, NULL, e)) {
    cp_destroy(env);
    return -1;
  }
  *out = env;
  return 0;
}

const env_vt env_cartpole_vt = {
    .name = "cartpole",
    .summary = "cart-pole swing-up, cart 10 kg, pole 1 kg at 0.5 m, |u| <= 80 N (METHOD §6)",
    .create = cp_create,
};
