/* The planar locomotion tasks: one implementation driven by the task tables of halfcheetah.c,
 * hopper.c and walker2d.c (envs/locomotion.h). The step follows the Gymnasium v4 tasks:
 *   ctrl ← u (clipped to [−1, 1]); frame_skip × mj_step;
 *   reward = forward_weight·(x_after − x_before)/dt + healthy_reward − ctrl_cost_weight·‖u‖²
 *   terminated = terminates and not healthy(qpos, qvel after the step)
 * (the healthy reward is paid on every step, including the last one, as in the v4 tasks with
 * terminate_when_unhealthy = true).
 *
 * The planners' cost depends on the state only through the root's forward velocity ẋ, which the
 * observation holds (x[nq − 1]):
 *   c(x, u) = ctrl_cost_weight·‖u‖² − forward_weight·ẋ(x) − healthy_reward,   c_T(x) = 0
 *   ∂c/∂x = −forward_weight·e_{nq−1},  ∂c/∂u = 2·ctrl_cost_weight·u.
 * The task's reward uses the mean velocity over the control period that (x, u) starts (Δx/dt);
 * the cost uses the velocity at its start. Both reward moving forward; over a horizon the cost sums
 * ẋ at x_0 … x_{H−1}, the reward the mean velocity between x_0 and x_H. The terminal cost is zero so
 * that an episode's return (Σ r_t − c_T(x_T), bench/eval.c) is the task's return. */
#include "envs/locomotion.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const loco_task *env_loco_task(const char *name) {
  static const loco_task *const tasks[] = {&env_halfcheetah_task, &env_hopper_task, &env_walker2d_task};
  for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
    if (!strcmp(tasks[i]->name, name)) return tasks[i];
  return NULL;
}

typedef struct loco_impl {
  env_sim sim;
  const loco_task *t;
  int nq, nv, nu;
  int vel; /* index of ẋ in the state: nq − 1 */
  double u_lo[LOCO_MAX_ACT], u_hi[LOCO_MAX_ACT];
} loco_impl;

static void lo_destroy(sgp_env *env) {
  loco_impl *p = env->impl;
  env_mj_free(&p->sim);
  free(p);
  free(env);
}

static double clipv(double v, double c) { return c > 0 ? (v < -c ? -c : v > c ? c : v) : v; }

static void lo_get_state(const sgp_env *env, double *x) {
  const loco_impl *p = env->impl;
  const mjData *d = p->sim.d;
  for (int i = 1; i < p->nq; i++) x[i - 1] = d->qpos[i];
  for (int i = 0; i < p->nv; i++) x[p->nq - 1 + i] = clipv(d->qvel[i], p->t->vel_clip);
}

static int lo_set_state(sgp_env *env, const double *x, sgp_err *e) {
  loco_impl *p = env->impl;
  if (!sgp_all_finite_d(x, (size_t)env->spec.nx)) return sgp_fail(e, "%s: set_state: non-finite state", p->t->name);
  double qpos[16], qvel[16];
  qpos[0] = p->sim.d->qpos[0];
  memcpy(qpos + 1, x, sizeof(double) * (p->nq - 1));
  memcpy(qvel, x + p->nq - 1, sizeof(double) * p->nv);
  env_mj_set(&p->sim, qpos, qvel, env->t * env->spec.dt);
  return 0;
}

static int lo_reset(sgp_env *env, uint64_t seed, double *x0, sgp_err *e) {
  loco_impl *p = env->impl;
  const loco_task *t = p->t;
  double qpos[16], qvel[16];
  sgp_rng r;
  sgp_rng_stream(&r, seed, "reset");
  double s = t->reset_noise;
  for (int i = 0; i < p->nq; i++) qpos[i] = p->sim.m->qpos0[i] + s * (2 * sgp_rng_uniform(&r) - 1);
  for (int i = 0; i < p->nv; i++) qvel[i] = t->qvel_normal ? s * sgp_rng_normal(&r) : s * (2 * sgp_rng_uniform(&r) - 1);
  env_mj_reset(&p->sim);
  env->t = 0;
  env_mj_set(&p->sim, qpos, qvel, 0);
  if (env_mj_forward(&p->sim, t->name, e)) return -1; /* positions for the viewer */
  if (x0) lo_get_state(env, x0);
  return 0;
}

/* The healthy test of the v4 tasks on the simulator's qpos, qvel (strict inequalities). */
static int healthy_sim(const loco_task *t, int nq, int nv, const double *qpos, const double *qvel) {
  if (!t->terminates) return 1;
  if (!(qpos[1] > t->z_lo && qpos[1] < t->z_hi)) return 0;
  if (!(qpos[2] > t->angle_lo && qpos[2] < t->angle_hi)) return 0;
  if (t->has_state_range) {
    for (int i = 2; i < nq; i++)
      if (!(qpos[i] > t->state_lo && qpos[i] < t->state_hi)) return 0;
    for (int i = 0; i < nv; i++)
      if (!(qvel[i] > t->state_lo && qvel[i] < t->state_hi)) return 0;
  }
  return 1;
}

int env_loco_unhealthy(const loco_task *t, int nx, const double *x) {
  /* x = [qpos[1:], clip(qvel)]: rootz x[0], rooty x[1], the rest of the state range x[1:] */
  if (!t->terminates) return 0;
  if (!(x[0] > t->z_lo && x[0] < t->z_hi) || !(x[1] > t->angle_lo && x[1] < t->angle_hi)) return 1;
  if (t->has_state_range)
    for (int i = 1; i < nx; i++)
      if (!(x[i] > t->state_lo && x[i] < t->state_hi)) return 1;
  return 0;
}

static int lo_step(sgp_env *env, const double *u_in, double *xnext, double *reward, int *terminated, sgp_err *e) {
  loco_impl *p = env->impl;
  const loco_task *t = p->t;
  mjData *d = p->sim.d;
  double u[LOCO_MAX_ACT], uu = 0;
  for (int i = 0; i < p->nu; i++) {
    if (!isfinite(u_in[i])) return sgp_fail(e, "%s: step %d: non-finite action", t->name, env->t);
    u[i] = u_in[i];
  }
  env_clip_action(env, u);
  for (int i = 0; i < p->nu; i++) {
    d->ctrl[i] = u[i];
    uu += u[i] * u[i];
  }
  double x_before = d->qpos[0];
  if (env_mj_step(&p->sim, t->name, t->frame_skip, NULL, NULL, e)) return -1;
  env->t++;
  if (!sgp_all_finite_d(d->qpos, (size_t)p->nq) || !sgp_all_finite_d(d->qvel, (size_t)p->nv))
    return sgp_fail(e, "%s: simulation unstable at t=%.4g", t->name, d->time);
  double vx = (d->qpos[0] - x_before) / env->spec.dt;
  if (reward) *reward = t->forward_weight * vx + t->healthy_reward - t->ctrl_cost_weight * uu;
  if (terminated) *terminated = !healthy_sim(t, p->nq, p->nv, d->qpos, d->qvel);
  if (xnext) lo_get_state(env, xnext);
  return 0;
}

static double lo_cost(const sgp_env *env, const double *x, const double *u, double *gx, double *gu) {
  const loco_impl *p = env->impl;
  const loco_task *t = p->t;
  double uu = 0;
  for (int i = 0; i < p->nu; i++) {
    uu += u[i] * u[i];
    if (gu) gu[i] = 2 * t->ctrl_cost_weight * u[i];
  }
  if (gx) {
    memset(gx, 0, sizeof(double) * env->spec.nx);
    gx[p->vel] = -t->forward_weight;
  }
  return t->ctrl_cost_weight * uu - t->forward_weight * x[p->vel] - t->healthy_reward;
}

static double lo_terminal(const sgp_env *env, const double *x, double *gx) {
  (void)x;
  if (gx) memset(gx, 0, sizeof(double) * env->spec.nx);
  return 0;
}

static int lo_success(const sgp_env *env, const double *x) {
  (void)env;
  (void)x;
  return 0; /* locomotion has no goal: episodes are scored by their return */
}

static void lo_cost_batch(const sgp_env *env, int B, const float *x, const float *u, float *c, float *gx, float *gu) {
  const loco_impl *p = env->impl;
  const loco_task *t = p->t;
  int nx = env->spec.nx, nu = p->nu;
  float wc = (float)t->ctrl_cost_weight, wf = (float)t->forward_weight, h = (float)t->healthy_reward;
  for (int b = 0; b < B; b++) {
    const float *ub = u + (size_t)b * nu;
    float uu = 0;
    for (int i = 0; i < nu; i++) {
      uu += ub[i] * ub[i];
      if (gu) gu[(size_t)b * nu + i] = 2.0f * wc * ub[i];
    }
    c[b] = wc * uu - wf * x[(size_t)b * nx + p->vel] - h;
    if (gx) {
      memset(gx + (size_t)b * nx, 0, sizeof(float) * nx);
      gx[(size_t)b * nx + p->vel] = -wf;
    }
  }
}

/* The healthy test on float observations, for planners (env_loco_unhealthy in double). */
static void lo_terminated_batch(const sgp_env *env, int B, const float *x, float *done) {
  const loco_impl *p = env->impl;
  int nx = env->spec.nx;
  double xd[LOCO_MAX_NX];
  for (int b = 0; b < B; b++) {
    for (int i = 0; i < nx; i++) xd[i] = x[(size_t)b * nx + i];
    done[b] = (float)env_loco_unhealthy(p->t, nx, xd);
  }
}

static void lo_terminal_batch(const sgp_env *env, int B, const float *x, float *c, float *gx) {
  (void)x;
  memset(c, 0, sizeof(float) * B);
  if (gx) memset(gx, 0, sizeof(float) * (size_t)B * env->spec.nx);
}

/* The torso: at the simulator's current root x (the observation has no root position), at the
 * height the state gives (rootz is the height itself for hopper and walker2d, whose rootz joint has
 * ref 1.25 at a body placed at 1.25; halfcheetah's torso sits 0.7 above its rootz). Reads the
 * simulator, never writes it. */
static int lo_view_point(const sgp_env *env, const double *x, double p[3]) {
  const loco_impl *q = env->impl;
  if (!isfinite(x[0])) return -1;
  p[0] = q->sim.d->qpos[0];
  p[1] = -0.25; /* in front of the body (capsule radii < 0.07) */
  p[2] = x[0] + q->sim.m->body_pos[3 * 1 + 2] - q->sim.m->qpos0[1];
  return 0;
}

/* From the side (−y), following the torso. */
static void lo_view_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                           double cam[6]) {
  const loco_impl *q = env->impl;
  (void)xs, (void)n, (void)aspect, (void)fovy;
  cam[0] = q->sim.d->qpos[0];
  cam[1] = 0;
  cam[2] = 0.8;
  cam[3] = 4;
  cam[4] = 90;
  cam[5] = -10;
}

static void lo_hud_note(const sgp_env *env, char *buf, size_t n) {
  const loco_impl *q = env->impl;
  snprintf(buf, n, "%s: run forward (reward = forward velocity%s - %g |u|^2); paths show the torso", q->t->name,
           q->t->healthy_reward > 0 ? " + 1 while upright" : "", q->t->ctrl_cost_weight);
}

static const env_ops lo_ops = {
    .destroy = lo_destroy,
    .reset = lo_reset,
    .set_state = lo_set_state,
    .get_state = lo_get_state,
    .step = lo_step,
    .cost = lo_cost,
    .terminal_cost = lo_terminal,
    .success = lo_success,
    .cost_batch = lo_cost_batch,
    .terminal_cost_batch = lo_terminal_batch,
    .view_point = lo_view_point,
    .view_camera = lo_view_camera,
    .hud_note = lo_hud_note,
    .terminated_batch = lo_terminated_batch,
};

/* The loaded model must be the one the table describes (integrator, timestep, dimensions). */
static int check_model(const loco_task *t, const mjModel *m, sgp_err *e) {
  int integ = t->euler ? mjINT_EULER : mjINT_RK4;
  if (m->opt.integrator != integ || m->opt.timestep != t->timestep)
    return sgp_fail(e, "%s: integrator/timestep differ from envs/%s.c", t->xml, t->name);
  if (m->nu != t->nact || m->nq != m->nv || m->nq > 16 || m->nu > LOCO_MAX_ACT)
    return sgp_fail(e, "%s: %d actuators, %d qpos, %d qvel: not the model envs/%s.c describes", t->xml, m->nu,
                    m->nq, m->nv, t->name);
  return 0;
}

int env_loco_make(const loco_task *t, const env_vt *vt, sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  static const char *const keys[] = {"reference", NULL};
  static const char *const refs[] = {"d4rl", "sgpbench"};
  if (sgp_cfg_check_keys(cfg, keys, e)) return -1;
  int ref;
  if (sgp_cfg_enum(cfg, "reference", refs, 2, 0, &ref, e)) return -1;
  if (ref == 1 && t->own_random == t->own_expert)
    return sgp_fail(e, "%s: %s/reference: no sgpbench reference returns for %s yet", cfg->file, cfg->path, t->name);
  loco_impl *p = sgp_calloc(1, sizeof *p);
  if (env_mj_load(&p->sim, t->xml, e)) {
    free(p);
    return -1;
  }
  sgp_env *env = sgp_calloc(1, sizeof *env);
  env->vt = vt;
  env->ops = &lo_ops;
  env->impl = p;
  env->sim = &p->sim;
  if (check_model(t, p->sim.m, e)) {
    lo_destroy(env);
    return -1;
  }
  p->t = t;
  p->nq = p->sim.m->nq;
  p->nv = p->sim.m->nv;
  p->nu = p->sim.m->nu;
  p->vel = p->nq - 1;
  for (int i = 0; i < p->nu; i++) {
    p->u_lo[i] = -1;
    p->u_hi[i] = 1;
  }
  env_spec *s = &env->spec;
  s->name = t->name;
  s->nx = p->nq - 1 + p->nv;
  s->nu = p->nu;
  s->timestep = t->timestep;
  s->substeps = t->frame_skip;
  s->dt = t->timestep * t->frame_skip;
  s->T = t->T;
  s->u_lo = p->u_lo;
  s->u_hi = p->u_hi;
  s->goal = NULL;
  s->has_box = 0; /* no box: data come from episodes of behaviour policies */
  s->nbx = 0;      /* no state box */
  s->nbu = s->nu; /* the action box: what the uniform behaviour policy draws from */
  for (int i = 0; i < s->nu; i++) {
    s->abox_lo[i] = -1;
    s->abox_hi[i] = 1;
  }
  s->store_sim_state = 1;
  /* time series of the torso's height and pitch and the forward velocity (not by default: 1000 steps) */
  s->figure = (env_figure){ENV_FIG_SERIES, 0, 3, {0, 1, p->vel}, {"torso z (m)", "torso pitch (rad)", "forward velocity (m/s)"}};
  s->has_ref = 1;
  s->ref_random = ref == 0 ? t->d4rl_random : t->own_random;
  s->ref_expert = ref == 0 ? t->d4rl_expert : t->own_expert;
  /* ours: the committed behaviour policies' measured returns, reproduced by tests/test_policies.c */
  s->ref_source = ref == 0 ? "D4RL" : "sgpbench behaviour policies";
  if (lo_reset(env, 0, NULL, e)) {
    lo_destroy(env);
    return -1;
  }
  *out = env;
  return 0;
}
