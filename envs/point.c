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
#include <stdio.h>
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
  double height;     /* z of the point body: where the viewer draws paths */
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
  double xn[2];
  point_get_state(env, xn);
  if (env_stepped_finite(env, xn, e)) return -1;
  if (xnext) memcpy(xnext, xn, sizeof xn);
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

/* ---- the description's hooks --------------------------------------------------------------- */
/* The expert of the reference return: at full speed (clipped to 0.1 per axis) towards the goal;
 * for "mud", while the segment to the goal crosses the circle of radius 0.45 around the disk,
 * along the upper tangent to that circle instead. */
void env_point_expert(const sgp_env *point, const double *x, double *u) {
  const point_impl *p = point->impl;
  const double *g = point_goal;
  double tgt[2] = {g[0], g[1]};
  if (p->hole == HOLE_MUD) {
    double rho = 0.45, dx = g[0] - x[0], dy = g[1] - x[1], L2 = dx * dx + dy * dy;
    double s = L2 > 0 ? -(x[0] * dx + x[1] * dy) / L2 : 0;
    s = s < 0 ? 0 : s > 1 ? 1 : s;
    double cx = x[0] + s * dx, cy = x[1] + s * dy, nx = hypot(x[0], x[1]);
    if (hypot(cx, cy) < rho && nx > rho) {
      double a = atan2(x[1], x[0]), b = acos(rho / nx);
      double t1[2] = {rho * cos(a + b), rho * sin(a + b)}, t2[2] = {rho * cos(a - b), rho * sin(a - b)};
      const double *tp = t1[1] > t2[1] ? t1 : t2;
      /* continue past the tangent point along the tangent so the step is full length */
      double vx = tp[0] - x[0], vy = tp[1] - x[1], vn = hypot(vx, vy);
      tgt[0] = x[0] + vx / vn * 0.2;
      tgt[1] = x[1] + vy / vn * 0.2;
    }
  }
  for (int i = 0; i < 2; i++) {
    u[i] = tgt[i] - x[i];
    u[i] = u[i] > point_uhi[i] ? point_uhi[i] : u[i] < point_ulo[i] ? point_ulo[i] : u[i];
  }
}

static void point_expert_action(const sgp_env *env, int t, const double *x, double *u) {
  (void)t;
  env_point_expert(env, x, u);
}

double env_point_height(const sgp_env *point) { return ((const point_impl *)point->impl)->height; }

static int point_view_point(const sgp_env *env, const double *x, double p[3]) {
  if (!isfinite(x[0]) || !isfinite(x[1])) return -1;
  p[0] = x[0];
  p[1] = x[1];
  p[2] = env_point_height(env);
  return 0;
}

/* The commanded step (clipped as env_step clips it): an arrow from p to p + u. Shared with pixels. */
int env_point_step_arrow(const sgp_env *point, const double *p, const double *u, env_arrow *out, int max) {
  if (max < 1 || !isfinite(p[0]) || !isfinite(p[1])) return 0;
  double uc[2] = {u[0], u[1]};
  env_clip_action(point, uc);
  out->from[0] = p[0], out->from[1] = p[1], out->from[2] = env_point_height(point);
  out->to[0] = p[0] + uc[0], out->to[1] = p[1] + uc[1], out->to[2] = out->from[2];
  return 1;
}

static int point_view_action(const sgp_env *env, const double *x, const double *u, env_arrow *out, int max) {
  return env_point_step_arrow(env, x, u, out, max);
}

/* From above, x to the right, y up (like the model's "top" camera), the floor filling the view. */
void env_point_camera(double fovy, double cam[6]) {
  cam[0] = cam[1] = cam[2] = 0;
  cam[3] = 1.35 / tan(0.5 * fovy * M_PI / 180);
  cam[4] = 90;
  cam[5] = -90;
}

static void point_view_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                              double cam[6]) {
  (void)env, (void)xs, (void)n, (void)aspect;
  env_point_camera(fovy, cam);
}

void env_point_note(const sgp_env *point, char *buf, size_t n) {
  const point_impl *p = point->impl;
  if (p->hole == HOLE_MUD)
    snprintf(buf, n, "MUD: inside the brown disk the point moves only %gx the commanded step", p->mud);
  else
    snprintf(buf, n, "hole 'same': the disk is only a hole in the data (dynamics unchanged)");
}

static const env_ops point_ops = {
    .destroy = env_mj_destroy, .reset = point_reset, .set_state = point_set_state,
    .get_state = point_get_state, .step = point_step, .cost = point_cost, .terminal_cost = point_terminal,
    .success = point_success, .cost_batch = point_cost_batch, .terminal_cost_batch = point_terminal_batch,
    .expert_action = point_expert_action, .view_point = point_view_point, .view_camera = point_view_camera,
    .hud_note = env_point_note, .view_action = point_view_action};

/* Reference returns (episode return = Σ_t −c(x_t,u_t) − c_T(x_T) over T = 40 steps, means over the
 * start distribution, envs/env.h), recomputed by tests/test_env_references.c:
 *   random: mean over 1000 seeded episodes of uniform random actions;
 *   expert: env_point_expert (straight at full speed for "same", around the disk along its
 *           tangent for "mud"), one episode from the fixed start, the mean of 1000 from a noisy one.
 * Stored for the default mud factor and init_noise 0 and 0.05; other start distributions and mud
 * factors measure theirs when the environment is created (200 + 200 episodes, env_measure_refs). */
static const struct {
  double noise, random[2], expert[2]; /* [same, mud] */
  int n_random, n_expert;
} point_refs[] = {{0, {-135.994, -136.348}, {-14.976, -19.549}, 1000, 1},
                  {0.05, {-136.555, -136.885}, {-15.062, -19.243}, 1000, 1000}};
static const double point_box_lo[2] = {-1, -1}, point_box_hi[2] = {1, 1};

static int point_config(sgp_cfg *cfg, const char *const *extra_keys, point_impl *p, sgp_err *e) {
  const char *allowed[16];
  int na = 0;
  for (int i = 0; point_keys[i]; i++) allowed[na++] = point_keys[i];
  for (int i = 0; extra_keys && extra_keys[i] && na < 15; i++) allowed[na++] = extra_keys[i];
  allowed[na] = NULL;
  if (sgp_cfg_check_keys(cfg, allowed, e)) return -1;
  double mud, noise;
  if (sgp_cfg_enum(cfg, "hole", hole_names, 2, HOLE_MUD, &p->hole, e)) return -1;
  if (sgp_cfg_num_opt(cfg, "mud_factor", 0.2, &mud, e)) return -1;
  if (sgp_cfg_num_opt(cfg, "init_noise", 0.0, &noise, e)) return -1;
  if (!(mud >= 0 && mud <= 1))
    return sgp_fail(e, "%s: %s/mud_factor: expected a number in [0, 1], got %g", cfg->file, cfg->path, mud);
  if (!(noise >= 0 && noise <= 1))
    return sgp_fail(e, "%s: %s/init_noise: expected a number in [0, 1], got %g", cfg->file, cfg->path, noise);
  p->mud = p->hole == HOLE_MUD ? mud : 1.0;
  p->init_noise = noise;
  return 0;
}

int env_point_make(sgp_cfg *cfg, const char *const *extra_keys, sgp_env **out, sgp_err *e) {
  point_impl *p = sgp_calloc(1, sizeof *p);
  sgp_env *env;
  if (point_config(cfg, extra_keys, p, e)) {
    free(p);
    return -1;
  }
  if (env_mj_new(&env_point_vt, &point_ops, p, &p->sim, "point.xml", POINT_DT, &env, e)) return -1;
  int body = mj_name2id(p->sim.m, mjOBJ_BODY, "point");
  p->height = body >= 0 ? p->sim.m->body_pos[3 * body + 2] : 0;
  env_spec *s = &env->spec;
  env_spec_dims(s, 2, 2, POINT_T, point_ulo, point_uhi, point_goal);
  env_spec_box(s, point_box_lo, point_box_hi);
  s->excluded = (env_region){{0, 0}, POINT_HOLE_R};
  s->tol.ref_random_abs = s->tol.ref_expert_abs = 1e-3; /* the stored references have 3 decimals */
  s->figure = (env_figure){ENV_FIG_PLANAR, 1, 2, {0, 1}, {"x", "y"}};
  for (size_t i = 0; i < sizeof point_refs / sizeof point_refs[0] && !s->has_ref; i++)
    if (point_refs[i].noise == p->init_noise && (p->hole == HOLE_SAME || p->mud == 0.2)) {
      s->has_ref = 1;
      s->ref_random = point_refs[i].random[p->hole], s->ref_expert = point_refs[i].expert[p->hole];
      s->ref_episodes = point_refs[i].n_random, s->ref_expert_episodes = point_refs[i].n_expert;
    }
  if (!s->has_ref && env_measure_refs(env, 200, 200, e)) {
    env_destroy(env);
    return -1;
  }
  return env_start(env, out, e);
}

static int point_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) { return env_point_make(cfg, NULL, out, e); }

static const char *const point_test_configs[] = {"{\"hole\":\"same\"}", "{\"init_noise\":0.05}",
                                                 "{\"hole\":\"same\",\"init_noise\":0.05}",
                                                 "{\"init_noise\":0.02}" /* references measured at create */, NULL};

const env_vt env_point_vt = {
    .name = "point",
    .summary = "light-dark point mass, x' = x + u, around a disk of mud (METHOD §6)",
    .create = point_create,
    .test_configs = point_test_configs,
};
