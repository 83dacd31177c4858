/* point (light-dark, METHOD §6): a planar point mass, x' = x + u, u ∈ [−0.1, 0.1]².
 *
 * Simulation (envs/point.xml): two slide joints, no forces. Before each of the 10 Euler substeps
 * (timestep 0.01 s, control period 0.1 s) the joint velocities are set to k(q)·u/dt, so a control
 * period moves the point by exactly Σ_substeps k·u/10 (k = 1 everywhere: by u, to rounding,
 * |error| < 1e-15). Variants ("hole"):
 *   "same": the true dynamics are x' = x + u everywhere (the paper's light-dark);
 *   "mud" (default): inside the disk ‖q‖ < 0.4 the point moves only mud_factor·u (k = mud_factor,
 *          evaluated at the start of every substep, so a step that crosses the rim is partly
 *          slowed). The data never sees the disk, so a plan that trusts the model there fails.
 * Cost (METHOD §1): c(x,u) = Q‖x − g‖² + R‖u‖², c_T(x) = Q_T‖x − g‖², g = (−0.8, 0.2).
 * Success: ‖x_T − g‖ < 0.05. */
#include "envs/env_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define POINT_Q 1.0    /* running weight on the squared distance to the goal */
#define POINT_R 0.1    /* running weight on the squared displacement */
#define POINT_QT 10.0  /* terminal weight on the squared distance to the goal */
#define POINT_SUCCESS 0.05
#define POINT_DT 0.1
#define POINT_T 40
#define POINT_HOLE_R 0.4

static const double point_goal[2] = {-0.8, 0.2};
static const double point_start[2] = {0.8, 0.2};
static const double point_ulo[2] = {-0.1, -0.1};
static const double point_uhi[2] = {0.1, 0.1};

enum { HOLE_SAME = 0, HOLE_MUD = 1 };
static const char *const hole_names[] = {"same", "mud"};
static const char *const point_keys[] = {"hole", "mud_factor", "init_noise", NULL};

typedef struct point_impl {
  env_sim sim;
  int hole;
  double mud;        /* speed factor inside the disk (1 for "same") */
  double init_noise; /* std of the Gaussian added to the start position */
  const double *u;   /* action of the current step (for the substep callback) */
} point_impl;

/* ---- the task cost on positions (shared with pixels) ------------------------------------- */
double env_point_pos_cost(const double *p, double *gp) {
  double dx = p[0] - point_goal[0], dy = p[1] - point_goal[1];
  if (gp) {
    gp[0] = 2 * POINT_Q * dx;
    gp[1] = 2 * POINT_Q * dy;
  }
  return POINT_Q * (dx * dx + dy * dy);
}

double env_point_act_cost(const double *u, double *gu) {
  if (gu) {
    gu[0] = 2 * POINT_R * u[0];
    gu[1] = 2 * POINT_R * u[1];
  }
  return POINT_R * (u[0] * u[0] + u[1] * u[1]);
}

double env_point_pos_terminal(const double *p, double *gp) {
  double dx = p[0] - point_goal[0], dy = p[1] - point_goal[1];
  if (gp) {
    gp[0] = 2 * POINT_QT * dx;
    gp[1] = 2 * POINT_QT * dy;
  }
  return POINT_QT * (dx * dx + dy * dy);
}

int env_point_pos_success(const double *p) {
  return hypot(p[0] - point_goal[0], p[1] - point_goal[1]) < POINT_SUCCESS;
}

/* ---- operations ----------------------------------------------------------------------------- */
static void point_destroy(sgp_env *env) {
  point_impl *p = env->impl;
  env_mj_free(&p->sim);
  free(p);
  free(env);
}

static void point_get_state(const sgp_env *env, double *x) {
  const point_impl *p = env->impl;
  x[0] = p->sim.d->qpos[0];
  x[1] = p->sim.d->qpos[1];
}

static int point_set_state(sgp_env *env, const double *x, sgp_err *e) {
  point_impl *p = env->impl;
  if (!sgp_all_finite_d(x, 2)) return sgp_fail(e, "point: set_state: non-finite state");
  static const double zero[2] = {0, 0};
  env_mj_set(&p->sim, x, zero, env->t * POINT_DT);
  return 0;
}

static int point_reset(sgp_env *env, uint64_t seed, double *x0, sgp_err *e) {
  point_impl *p = env->impl;
  double x[2] = {point_start[0], point_start[1]};
  if (p->init_noise > 0) {
    sgp_rng r;
    sgp_rng_stream(&r, seed, "reset");
    x[0] += p->init_noise * sgp_rng_normal(&r);
    x[1] += p->init_noise * sgp_rng_normal(&r);
  }
  env_mj_reset(&p->sim);
  env->t = 0;
  if (point_set_state(env, x, e)) return -1;
  if (x0) memcpy(x0, x, sizeof x);
  return 0;
}

/* Before every substep: the ideal velocity servo, slowed inside the disk for "mud". */
static void point_pre(void *ctx, const mjModel *m, mjData *d) {
  const point_impl *p = ctx;
  double k = 1.0;
  if (p->hole == HOLE_MUD && d->qpos[0] * d->qpos[0] + d->qpos[1] * d->qpos[1] < POINT_HOLE_R * POINT_HOLE_R)
    k = p->mud;
  (void)m;
  d->qvel[0] = k * p->u[0] / POINT_DT;
  d->qvel[1] = k * p->u[1] / POINT_DT;
}

static int point_step(sgp_env *env, const double *u_in, double *xnext, double *reward, int *terminated,
                      sgp_err *e) {
  point_impl *p = env->impl;
  if (!sgp_all_finite_d(u_in, 2)) return sgp_fail(e, "point: step %d: non-finite action", env->t);
  double u[2] = {u_in[0], u_in[1]}, x[2];
  env_clip_action(env, u);
  point_get_state(env, x);
  double c = env_point_pos_cost(x, NULL) + env_point_act_cost(u, NULL);
  p->u = u;
  int rc = env_mj_step(&p->sim, "point", env->spec.substeps, point_pre, p, e);
  p->u = NULL;
  if (rc) return -1;
  env->t++;
  if (xnext) point_get_state(env, xnext);
  if (reward) *reward = -c;
  if (terminated) *terminated = 0;
  return 0;
}

static double point_cost(const sgp_env *env, const double *x, const double *u, double *gx, double *gu) {
  (void)env;
  return env_point_pos_cost(x, gx) + env_point_act_cost(u, gu);
}

static double point_terminal(const sgp_env *env, const double *x, double *gx) {
  (void)env;
  return env_point_pos_terminal(x, gx);
}

static int point_success(const sgp_env *env, const double *x) {
  (void)env;
  return env_point_pos_success(x);
}

static void point_cost_batch(const sgp_env *env, int B, const float *x, const float *u, float *c,
                             float *gx, float *gu) {
  (void)env;
  const float gx0 = (float)point_goal[0], gy0 = (float)point_goal[1];
  for (int b = 0; b < B; b++) {
    float dx = x[2 * b] - gx0, dy = x[2 * b + 1] - gy0, u0 = u[2 * b], u1 = u[2 * b + 1];
    c[b] = (float)POINT_Q * (dx * dx + dy * dy) + (float)POINT_R * (u0 * u0 + u1 * u1);
    if (gx) {
      gx[2 * b] = 2.0f * (float)POINT_Q * dx;
      gx[2 * b + 1] = 2.0f * (float)POINT_Q * dy;
    }
    if (gu) {
      gu[2 * b] = 2.0f * (float)POINT_R * u0;
      gu[2 * b + 1] = 2.0f * (float)POINT_R * u1;
    }
  }
}

static void point_terminal_batch(const sgp_env *env, int B, const float *x, float *c, float *gx) {
  (void)env;
  const float gx0 = (float)point_goal[0], gy0 = (float)point_goal[1];
  for (int b = 0; b < B; b++) {
    float dx = x[2 * b] - gx0, dy = x[2 * b + 1] - gy0;
    c[b] = (float)POINT_QT * (dx * dx + dy * dy);
    if (gx) {
      gx[2 * b] = 2.0f * (float)POINT_QT * dx;
      gx[2 * b + 1] = 2.0f * (float)POINT_QT * dy;
    }
  }
}

static const env_ops point_ops = {
    .destroy = point_destroy,
    .reset = point_reset,
    .set_state = point_set_state,
    .get_state = point_get_state,
    .step = point_step,
    .cost = point_cost,
    .terminal_cost = point_terminal,
    .success = point_success,
    .cost_batch = point_cost_batch,
    .terminal_cost_batch = point_terminal_batch,
};

/* Reference returns (episode return = Σ_t −c(x_t,u_t) − c_T(x_T) over T = 40 steps from the
 * start), measured by tests/test_env_point.c (which recomputes them):
 *   random: mean over 1000 seeded episodes of uniform random actions;
 *   expert: the scripted policy of the test (straight at full speed for "same", around the disk
 *           along its tangent for "mud"). */
static const double point_ref_random[2] = {-135.994, -136.348}; /* same, mud */
static const double point_ref_expert[2] = {-14.976, -19.549};

int env_point_make(sgp_cfg *cfg, const char *const *extra_keys, sgp_env **out, sgp_err *e) {
  const char *allowed[16];
  int na = 0;
  for (int i = 0; point_keys[i]; i++) allowed[na++] = point_keys[i];
  for (int i = 0; extra_keys && extra_keys[i] && na < 15; i++) allowed[na++] = extra_keys[i];
  allowed[na] = NULL;
  if (sgp_cfg_check_keys(cfg, allowed, e)) return -1;
  int hole;
  double mud, noise;
  if (sgp_cfg_enum(cfg, "hole", hole_names, 2, HOLE_MUD, &hole, e)) return -1;
  if (sgp_cfg_num_opt(cfg, "mud_factor", 0.2, &mud, e)) return -1;
  if (sgp_cfg_num_opt(cfg, "init_noise", 0.0, &noise, e)) return -1;
  if (!(mud >= 0 && mud <= 1))
    return sgp_fail(e, "%s: %s/mud_factor: expected a number in [0, 1], got %g", cfg->file, cfg->path, mud);
  if (!(noise >= 0 && noise <= 1))
    return sgp_fail(e, "%s: %s/init_noise: expected a number in [0, 1], got %g", cfg->file, cfg->path, noise);

  point_impl *p = sgp_calloc(1, sizeof *p);
  if (env_mj_load(&p->sim, "point.xml", e)) {
    free(p);
    return -1;
  }
  sgp_env *env = sgp_calloc(1, sizeof *env);
  env->vt = &env_point_vt;
  env->ops = &point_ops;
  env->impl = p;
  env->sim = &p->sim;
  p->hole = hole;
  p->mud = hole == HOLE_MUD ? mud : 1.0;
  p->init_noise = noise;

  env_spec *s = &env->spec;
  s->name = "point";
  s->nx = 2;
  s->nu = 2;
  s->dt = POINT_DT;
  s->timestep = p->sim.m->opt.timestep;
  if (env_substeps(p->sim.m, POINT_DT, "point", &s->substeps, e)) {
    point_destroy(env);
    return -1;
  }
  s->T = POINT_T;
  s->u_lo = point_ulo;
  s->u_hi = point_uhi;
  s->goal = point_goal;
  s->has_box = 1;
  s->nbx = 2;
  s->nbu = 2;
  for (int i = 0; i < 2; i++) {
    s->box_lo[i] = -1;
    s->box_hi[i] = 1;
    s->abox_lo[i] = point_ulo[i];
    s->abox_hi[i] = point_uhi[i];
  }
  s->excl_center[0] = s->excl_center[1] = 0;
  s->excl_radius = POINT_HOLE_R;
  /* the references hold for the documented start (no init noise) and the default mud factor */
  s->has_ref = noise == 0 && (hole == HOLE_SAME || mud == 0.2);
  s->ref_random = point_ref_random[hole];
  s->ref_expert = point_ref_expert[hole];

  if (point_reset(env, 0, NULL, e)) {
    point_destroy(env);
    return -1;
  }
  *out = env;
  return 0;
}

static int point_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) { return env_point_make(cfg, NULL, out, e); }

const env_vt env_point_vt = {
    .name = "point",
    .summary = "light-dark point mass, x' = x + u, around a disk of mud (METHOD §6)",
    .create = point_create,
};
