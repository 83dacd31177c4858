/* pusher (METHOD §6, pushing): bring a box to a target pose by pushing it with a round pusher,
 * seeing only keypoints of the box and the pusher's position (docs/environments.md).
 *
 * State (12, envs/pusher.h): the five keypoints of the box (four corners and the centre, (x, y)
 * each) and the pusher's centre. Action (2): the pusher's displacement over one control period,
 * clipped to ±0.05 m per axis (the authors' clip).
 *
 * Simulation (envs/pusher.xml): the box slides on the table under MuJoCo's frictional contacts; the
 * pusher is a position-controlled cylinder. One control period of 0.5 s = 100 Euler steps of 5 ms:
 * during the first 0.4 s the servos follow the reference p(s) = p₀ + u·(3s² − 2s³), s = t/0.4, and
 * its velocity (feed-forward), then hold p₀ + u for 0.1 s so that the box comes to rest (the authors
 * moved the pusher during the first half of each step and let the system settle in the second).
 * The reference's deceleration (at most 6‖u‖/0.4² = 2.7 m/s²) stays below the table's friction
 * deceleration of a free box (0.35 · 9.81 = 3.4 m/s²): a pushed box stops with the pusher instead
 * of sliding on. Each step therefore starts and ends at rest, and x determines the simulator's
 * state: set_state(x) puts the box at the best rigid fit of the keypoints (env_pusher_fit) at its
 * resting height, the pusher at x[10..11] (moved out of the box to touching distance if it
 * overlaps it), all velocities zero.
 *
 * Task (METHOD §1): running cost c(x,u) = 0.5‖u‖², terminal cost c_T(x) = W_T Σ_k ‖p_k − p*_k‖²
 * over the five keypoints, p* the keypoints of the target pose (0.20, 0.05, 20°); the box starts
 * at (0, 0, 0°), the pusher 1 cm behind its −x face. Success: the fitted pose of x_T within 2 cm of
 * the target's position and 10° of its angle. */
#include "envs/pusher.h"

#include "envs/env_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PU_DT 0.5       /* control period (s) */
#define PU_MOVE 0.4     /* the reference moves during the first 0.4 s, then holds */
#define PU_T 30         /* episode length (control steps) */
#define PU_UMAX 0.05    /* |u_i| <= 0.05 m per step (the authors' clip) */
#define PU_WT 10.0      /* terminal weight on the squared keypoint distances */
#define PU_SUCC_POS 0.02
#define PU_SUCC_ANG (10.0 * M_PI / 180.0)
#define PU_SETTLE 100   /* steps of the box settling onto the table at create (0.5 s) */

const double env_pusher_template[PUSHER_NK][2] = {
    {PUSHER_HALF_A, PUSHER_HALF_B}, {-PUSHER_HALF_A, PUSHER_HALF_B}, {-PUSHER_HALF_A, -PUSHER_HALF_B},
    {PUSHER_HALF_A, -PUSHER_HALF_B}, {0, 0}};

static const double pu_start[3] = {0, 0, 0};
static const double pu_target[3] = {0.20, 0.05, 20.0 * M_PI / 180.0};
static const double pu_pusher0[2] = {-PUSHER_HALF_A - PUSHER_RADIUS - 0.01, 0};
static const double pu_ulo[2] = {-PU_UMAX, -PU_UMAX};
static const double pu_uhi[2] = {PU_UMAX, PU_UMAX};
/* data box: box pose (cx, cy, θ) and the pusher's position (the authors' sampling ranges for the
 * positions, every angle) */
static const double pu_box_lo[5] = {-0.4, -0.4, -M_PI, -0.4, -0.4};
static const double pu_box_hi[5] = {0.4, 0.4, M_PI, 0.4, 0.4};

typedef struct pusher_impl {
  env_sim sim;
  int qbox, qpush;   /* qpos addresses of box_x (then box_y, box_z, box_yaw) and pusher_x (pusher_y) */
  int dbox, dpush;   /* the same in qvel */
  int apos, avel;    /* actuators px (py follows) and vx (vy follows) */
  double z_rest;     /* the box's height resting on the table */
  double goal[12];   /* target keypoints, the pusher's entries NaN (no goal) */
  /* the step in progress (substep callback) */
  double p0[2], u[2];
  int sub;
} pusher_impl;

int env_is_pusher(const sgp_env *env) { return env && env->vt == &env_pusher_vt; }

/* ---- geometry ----------------------------------------------------------------------------------- */
void env_pusher_keypoints(const double pose[3], double *kp) {
  double c = cos(pose[2]), s = sin(pose[2]);
  for (int k = 0; k < PUSHER_NK; k++) {
    const double *q = env_pusher_template[k];
    kp[2 * k] = pose[0] + c * q[0] - s * q[1];
    kp[2 * k + 1] = pose[1] + s * q[0] + c * q[1];
  }
}

/* 2-D Kabsch: with the template centred, the best translation puts its centroid on the keypoints'
 * mean m, and the best angle maximises Σ_k (R q_k)·(p_k − m), i.e. θ = atan2(Σ q_k × d_k, Σ q_k · d_k)
 * with d_k = p_k − m. The residual is summed directly (no cancellation near zero). */
double env_pusher_fit(const double *kp, double pose[3]) {
  double m[2] = {0, 0};
  for (int k = 0; k < PUSHER_NK; k++) {
    m[0] += kp[2 * k] / PUSHER_NK;
    m[1] += kp[2 * k + 1] / PUSHER_NK;
  }
  double sc = 0, ss = 0;
  for (int k = 0; k < PUSHER_NK; k++) {
    const double *q = env_pusher_template[k];
    double dx = kp[2 * k] - m[0], dy = kp[2 * k + 1] - m[1];
    sc += q[0] * dx + q[1] * dy;
    ss += q[0] * dy - q[1] * dx;
  }
  double th = atan2(ss, sc), c = cos(th), s = sin(th), r2 = 0;
  for (int k = 0; k < PUSHER_NK; k++) {
    const double *q = env_pusher_template[k];
    double ex = kp[2 * k] - (m[0] + c * q[0] - s * q[1]), ey = kp[2 * k + 1] - (m[1] + s * q[0] + c * q[1]);
    r2 += ex * ex + ey * ey;
  }
  if (pose) {
    pose[0] = m[0];
    pose[1] = m[1];
    pose[2] = th;
  }
  return sqrt(r2 / PUSHER_NK);
}

/* Moves pusher position p out of the box at pose to touching distance (the footprint's distance
 * to p's centre at least the radius). Returns 1 if it moved p. */
static int push_out(const double pose[3], double *p) {
  double c = cos(pose[2]), s = sin(pose[2]);
  double wx = p[0] - pose[0], wy = p[1] - pose[1];
  double lx = c * wx + s * wy, ly = -s * wx + c * wy; /* in the box frame */
  const double a = PUSHER_HALF_A, b = PUSHER_HALF_B, r = PUSHER_RADIUS;
  double nx = fmin(fmax(lx, -a), a), ny = fmin(fmax(ly, -b), b); /* closest footprint point */
  double ex = lx - nx, ey = ly - ny, d = hypot(ex, ey);
  if (d >= r) return 0;
  if (d > 0) { /* outside the footprint, closer than r: along the normal */
    lx = nx + ex / d * r;
    ly = ny + ey / d * r;
  } else if (a - fabs(lx) < b - fabs(ly)) { /* inside: out through the nearest face */
    lx = (lx < 0 ? -1 : 1) * (a + r);
  } else {
    ly = (ly < 0 ? -1 : 1) * (b + r);
  }
  p[0] = pose[0] + c * lx - s * ly;
  p[1] = pose[1] + s * lx + c * ly;
  return 1;
}

/* ---- state ------------------------------------------------------------------------------------- */
static void pu_get_state(const sgp_env *env, double *x) {
  const pusher_impl *p = env->impl;
  const double *q = p->sim.d->qpos;
  double pose[3] = {q[p->qbox], q[p->qbox + 1], q[p->qbox + 3]};
  env_pusher_keypoints(pose, x);
  x[10] = q[p->qpush];
  x[11] = q[p->qpush + 1];
}

/* The simulator at rest in the box pose and pusher position (pusher moved out of the box). */
static void pu_put(sgp_env *env, const double pose[3], const double *pusher) {
  pusher_impl *p = env->impl;
  const mjModel *m = p->sim.m;
  double qpos[8], qvel[8] = {0};
  double pp[2] = {pusher[0], pusher[1]};
  push_out(pose, pp);
  memcpy(qpos, m->qpos0, sizeof(double) * m->nq);
  qpos[p->qbox] = pose[0];
  qpos[p->qbox + 1] = pose[1];
  qpos[p->qbox + 2] = p->z_rest;
  qpos[p->qbox + 3] = pose[2];
  qpos[p->qpush] = pp[0];
  qpos[p->qpush + 1] = pp[1];
  env_mj_set(&p->sim, qpos, qvel, env->t * PU_DT);
}

static int pu_set_state(sgp_env *env, const double *x, sgp_err *e) {
  if (!sgp_all_finite_d(x, 12)) return sgp_fail(e, "pusher: set_state: non-finite state");
  double pose[3];
  env_pusher_fit(x, pose);
  pu_put(env, pose, x + 10);
  return 0;
}

static int pu_reset(sgp_env *env, uint64_t seed, double *x0, sgp_err *e) {
  (void)seed; /* the start is fixed */
  pusher_impl *p = env->impl;
  env_mj_reset(&p->sim);
  env->t = 0;
  pu_put(env, pu_start, pu_pusher0);
  if (env_mj_forward(&p->sim, "pusher", e)) return -1; /* positions for the viewer */
  if (x0) pu_get_state(env, x0);
  return 0;
}

/* ---- the step -------------------------------------------------------------------------------- */
/* Before every substep: the servo references at the substep's start time, p₀ + u·S(s) and its
 * velocity u·S'(s)/PU_MOVE, S(s) = 3s² − 2s³, s = min(t/PU_MOVE, 1). */
static void pu_pre(void *ctx, const mjModel *m, mjData *d) {
  pusher_impl *p = ctx;
  double t = p->sub++ * m->opt.timestep, s = fmin(t / PU_MOVE, 1.0);
  double S = s * s * (3 - 2 * s), dS = 6 * s * (1 - s) / PU_MOVE;
  for (int i = 0; i < 2; i++) {
    d->ctrl[p->apos + i] = p->p0[i] + p->u[i] * S;
    d->ctrl[p->avel + i] = p->u[i] * dS;
  }
}

static int pu_step(sgp_env *env, const double *u_in, double *xnext, double *reward, int *terminated,
                   sgp_err *e) {
  pusher_impl *p = env->impl;
  if (!sgp_all_finite_d(u_in, 2)) return sgp_fail(e, "pusher: step %d: non-finite action", env->t);
  double u[2] = {u_in[0], u_in[1]};
  env_clip_action(env, u);
  double c = 0.5 * (u[0] * u[0] + u[1] * u[1]);
  p->p0[0] = p->sim.d->qpos[p->qpush];
  p->p0[1] = p->sim.d->qpos[p->qpush + 1];
  p->u[0] = u[0];
  p->u[1] = u[1];
  p->sub = 0;
  if (env_mj_step(&p->sim, "pusher", env->spec.substeps, pu_pre, p, e)) return -1;
  env->t++;
  double xn[12];
  pu_get_state(env, xn);
  if (env_stepped_finite(env, xn, e)) return -1;
  if (xnext) memcpy(xnext, xn, sizeof xn);
  if (reward) *reward = -c;
  if (terminated) *terminated = 0;
  return 0;
}

/* ---- costs (METHOD §1) ----------------------------------------------------------------------- */
static double pu_cost(const sgp_env *env, const double *x, const double *u, double *gx, double *gu) {
  (void)env;
  if (gx) memset(gx, 0, sizeof(double) * 12);
  if (gu) {
    gu[0] = u[0];
    gu[1] = u[1];
  }
  (void)x;
  return 0.5 * (u[0] * u[0] + u[1] * u[1]);
}

static double pu_terminal(const sgp_env *env, const double *x, double *gx) {
  const pusher_impl *p = env->impl;
  double c = 0;
  for (int i = 0; i < 2 * PUSHER_NK; i++) {
    double d = x[i] - p->goal[i];
    c += d * d;
    if (gx) gx[i] = 2 * PU_WT * d;
  }
  if (gx) gx[10] = gx[11] = 0;
  return PU_WT * c;
}

static void pu_cost_batch(const sgp_env *env, int B, const float *x, const float *u, float *c, float *gx,
                          float *gu) {
  (void)env;
  (void)x;
  for (int b = 0; b < B; b++) {
    float u0 = u[2 * b], u1 = u[2 * b + 1];
    c[b] = 0.5f * (u0 * u0 + u1 * u1);
    if (gx) memset(gx + (size_t)b * 12, 0, sizeof(float) * 12);
    if (gu) {
      gu[2 * b] = u0;
      gu[2 * b + 1] = u1;
    }
  }
}

static void pu_terminal_batch(const sgp_env *env, int B, const float *x, float *c, float *gx) {
  const pusher_impl *p = env->impl;
  float g[2 * PUSHER_NK];
  for (int i = 0; i < 2 * PUSHER_NK; i++) g[i] = (float)p->goal[i];
  for (int b = 0; b < B; b++) {
    const float *xb = x + (size_t)b * 12;
    float s = 0;
    for (int i = 0; i < 2 * PUSHER_NK; i++) {
      float d = xb[i] - g[i];
      s += d * d;
      if (gx) gx[(size_t)b * 12 + i] = 2.0f * (float)PU_WT * d;
    }
    if (gx) gx[(size_t)b * 12 + 10] = gx[(size_t)b * 12 + 11] = 0;
    c[b] = (float)PU_WT * s;
  }
}

static int pu_success(const sgp_env *env, const double *x) {
  (void)env;
  double pose[3];
  env_pusher_fit(x, pose);
  double dth = remainder(pose[2] - pu_target[2], 2 * M_PI);
  return hypot(pose[0] - pu_target[0], pose[1] - pu_target[1]) < PU_SUCC_POS && fabs(dth) < PU_SUCC_ANG;
}

/* ---- the data box: box pose and pusher position ---------------------------------------------- */
static void pu_box_to_state(const sgp_env *env, const double *b, double *x) {
  (void)env;
  double pp[2] = {b[3], b[4]};
  push_out(b, pp);
  env_pusher_keypoints(b, x);
  x[10] = pp[0];
  x[11] = pp[1];
}

static void pu_state_to_box(const sgp_env *env, const double *x, double *b) {
  (void)env;
  env_pusher_fit(x, b);
  b[3] = x[10];
  b[4] = x[11];
}

/* ---- the description's hooks --------------------------------------------------------------- */
#define PU_DRAW_Z 0.045 /* height of the drawn paths: just above the box's top (0.0391 m) */

static int pu_view_point(const sgp_env *env, const double *x, double q[3]) {
  (void)env;
  if (!isfinite(x[8]) || !isfinite(x[9])) return -1;
  q[0] = x[8];
  q[1] = x[9];
  q[2] = PU_DRAW_Z;
  return 0;
}

/* From above, x to the right, y up, framing the start and the target with room around them. */
static void pu_view_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                           double cam[6]) {
  (void)env, (void)xs, (void)n, (void)aspect;
  cam[0] = 0.5 * (pu_start[0] + pu_target[0]);
  cam[1] = 0.5 * (pu_start[1] + pu_target[1]);
  cam[2] = 0;
  cam[3] = 0.3 / tan(0.5 * fovy * M_PI / 180);
  cam[4] = 90;
  cam[5] = -90;
}

/* The target: its five keypoints. */
static int pu_overlays(const sgp_env *env, env_overlay *out, int max) {
  const pusher_impl *p = env->impl;
  int n = 0;
  for (int k = 0; k < PUSHER_NK && n < max; k++, n++) {
    env_overlay *o = &out[n];
    memset(o, 0, sizeof *o);
    o->kind = ENV_OVERLAY_SPHERE;
    o->rgba[0] = 0.1f, o->rgba[1] = 0.7f, o->rgba[2] = 0.2f, o->rgba[3] = 0.7f;
    o->pos[0] = p->goal[2 * k];
    o->pos[1] = p->goal[2 * k + 1];
    o->pos[2] = PU_DRAW_Z;
    o->size = k == PUSHER_NK - 1 ? 0.008 : 0.006;
    if (k == PUSHER_NK - 1) snprintf(o->label, sizeof o->label, "target");
  }
  return n;
}

static void pu_hud_note(const sgp_env *env, char *buf, size_t n) {
  (void)env;
  snprintf(buf, n, "push the box onto the green target keypoints (%.2f, %.2f, %.0f deg): within 2 cm and 10 deg",
           pu_target[0], pu_target[1], pu_target[2] * 180 / M_PI);
}

/* The keypoints of every planned state, so that a plan that bends the box shows. */
static int pu_view_marks(const sgp_env *env, const double *x, double (*q)[3], int max) {
  (void)env;
  if (!sgp_all_finite_d(x, 2 * PUSHER_NK)) return -1;
  int n = max < PUSHER_NK ? max : PUSHER_NK;
  for (int k = 0; k < n; k++) {
    q[k][0] = x[2 * k];
    q[k][1] = x[2 * k + 1];
    q[k][2] = PU_DRAW_Z;
  }
  return n;
}

/* The commanded displacement of the pusher (clipped as env_step clips it): an arrow from its centre
 * (x[10], x[11]) to where the step sends it. */
static int pu_view_action(const sgp_env *env, const double *x, const double *u, env_arrow *out, int max) {
  if (max < 1 || !isfinite(x[2 * PUSHER_NK]) || !isfinite(x[2 * PUSHER_NK + 1])) return 0;
  double uc[2] = {u[0], u[1]};
  env_clip_action(env, uc);
  for (int i = 0; i < 2; i++) {
    out->from[i] = x[2 * PUSHER_NK + i];
    out->to[i] = out->from[i] + uc[i];
  }
  out->from[2] = out->to[2] = PU_DRAW_Z;
  return 1;
}

/* The metrics of spec.metrics (docs/environments.md):
 *   0 rigidity: the RMS over a plan's predicted states x_1..x_H (x_0 alone for a plan of one state)
 *     of their rigidity violation env_pusher_fit, i.e. sqrt(mean_t r_t²): how far the planned
 *     keypoints are from any placement of the box (0 for a plan a rigid box can follow);
 *   1, 2: the final pose's distance to the target (m) and angle to the target's (degrees). */
enum { PU_M_RIGID = 0, PU_M_POS = 1, PU_M_ANG = 2 };
static const env_metric pu_metrics[3] = {
    {"rigidity", "plan rigidity violation (m, RMS distance of the planned keypoints from the best rigid fit)",
     ENV_METRIC_PLAN, -1},
    {"final_position_error", "final position error (m)", ENV_METRIC_FINAL, -1},
    {"final_angle_error", "final angle error (deg)", ENV_METRIC_FINAL, -1},
};

static double pu_metric(const sgp_env *env, int i, const double *xs, int n) {
  const int nx = env->spec.nx;
  if (n < 1) return NAN;
  if (i == PU_M_RIGID) {
    int t0 = n > 1 ? 1 : 0;
    double s = 0;
    for (int t = t0; t < n; t++) {
      double r = env_pusher_fit(xs + (size_t)t * nx, NULL);
      s += r * r;
    }
    return sqrt(s / (n - t0));
  }
  double pose[3];
  env_pusher_fit(xs + (size_t)(n - 1) * nx, pose);
  if (i == PU_M_POS) return hypot(pose[0] - pu_target[0], pose[1] - pu_target[1]);
  return fabs(remainder(pose[2] - pu_target[2], 2 * M_PI)) * 180 / M_PI; /* PU_M_ANG */
}

static const env_ops pu_ops = {
    .destroy = env_mj_destroy,
    .reset = pu_reset,
    .set_state = pu_set_state,
    .get_state = pu_get_state,
    .step = pu_step,
    .cost = pu_cost,
    .terminal_cost = pu_terminal,
    .success = pu_success,
    .cost_batch = pu_cost_batch,
    .terminal_cost_batch = pu_terminal_batch,
    .box_to_state = pu_box_to_state,
    .state_to_box = pu_state_to_box,
    .view_point = pu_view_point,
    .view_camera = pu_view_camera,
    .overlays = pu_overlays,
    .hud_note = pu_hud_note,
    .view_marks = pu_view_marks,
    .view_action = pu_view_action,
    .metric = pu_metric,
};

/* ---- building it ------------------------------------------------------------------------------ */
static int joint_adr(const mjModel *m, const char *name, int *qadr, int *dadr, sgp_err *e) {
  int j = mj_name2id(m, mjOBJ_JOINT, name);
  if (j < 0) return sgp_fail(e, "pusher.xml: joint '%s' missing", name);
  *qadr = m->jnt_qposadr[j];
  *dadr = m->jnt_dofadr[j];
  return 0;
}

/* The model must be the one this file drives: the joints in the order box_x, box_y, box_z,
 * box_yaw and pusher_x, pusher_y, and the servos px, py, vx, vy. */
static int pu_bind(pusher_impl *p, sgp_err *e) {
  const mjModel *m = p->sim.m;
  static const char *const bj[] = {"box_x", "box_y", "box_z", "box_yaw"};
  for (int i = 0; i < 4; i++) {
    int q = -1, d = -1;
    if (joint_adr(m, bj[i], &q, &d, e)) return -1;
    if (i == 0) p->qbox = q, p->dbox = d;
    else if (q != p->qbox + i || d != p->dbox + i) return sgp_fail(e, "pusher.xml: joint '%s' out of order", bj[i]);
  }
  int q = -1, d = -1;
  if (joint_adr(m, "pusher_x", &p->qpush, &p->dpush, e) || joint_adr(m, "pusher_y", &q, &d, e)) return -1;
  if (q != p->qpush + 1) return sgp_fail(e, "pusher.xml: joint 'pusher_y' out of order");
  p->apos = mj_name2id(m, mjOBJ_ACTUATOR, "px");
  p->avel = mj_name2id(m, mjOBJ_ACTUATOR, "vx");
  if (p->apos < 0 || p->avel < 0 || mj_name2id(m, mjOBJ_ACTUATOR, "py") != p->apos + 1 ||
      mj_name2id(m, mjOBJ_ACTUATOR, "vy") != p->avel + 1)
    return sgp_fail(e, "pusher.xml: actuators px, py, vx, vy missing or out of order");
  if (m->nq > 8 || m->nv > 8) return sgp_fail(e, "pusher.xml: %d qpos, %d qvel: not the model envs/pusher.c drives", m->nq, m->nv);
  return 0;
}

/* The resting height: the box dropped from touching the table, settled for 0.5 s. */
static int pu_settle(sgp_env *env, sgp_err *e) {
  pusher_impl *p = env->impl;
  p->z_rest = p->sim.m->qpos0[p->qbox + 2];
  env_mj_reset(&p->sim);
  pu_put(env, pu_start, pu_pusher0);
  p->u[0] = p->u[1] = 0;
  p->p0[0] = pu_pusher0[0];
  p->p0[1] = pu_pusher0[1];
  p->sub = 0;
  if (env_mj_step(&p->sim, "pusher", PU_SETTLE, pu_pre, p, e)) return -1;
  p->z_rest = p->sim.d->qpos[p->qbox + 2];
  return 0;
}

static int pu_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  static const char *const keys[] = {NULL};
  if (sgp_cfg_check_keys(cfg, keys, e)) return -1;
  pusher_impl *p = sgp_calloc(1, sizeof *p);
  sgp_env *env;
  if (env_mj_new(&env_pusher_vt, &pu_ops, p, &p->sim, "pusher.xml", PU_DT, &env, e)) return -1;
  if (pu_bind(p, e) || pu_settle(env, e)) {
    env_destroy(env);
    return -1;
  }
  env_pusher_keypoints(pu_target, p->goal);
  p->goal[10] = p->goal[11] = NAN;
  env_spec *s = &env->spec;
  env_spec_dims(s, 12, 2, PU_T, pu_ulo, pu_uhi, p->goal);
  s->has_box = 1;
  s->nbx = 5;
  s->nbu = 2;
  memcpy(s->box_lo, pu_box_lo, sizeof pu_box_lo);
  memcpy(s->box_hi, pu_box_hi, sizeof pu_box_hi);
  memcpy(s->abox_lo, pu_ulo, sizeof pu_ulo);
  memcpy(s->abox_hi, pu_uhi, sizeof pu_uhi);
  s->figure = (env_figure){ENV_FIG_PLANAR, 1, 2, {8, 9}, {"box centre x (m)", "box centre y (m)"}};
  /* sampled test states are rounded to float, which bends the keypoints by ~1e-8 m: set_state
   * places the best rigid fit, so get_state returns them straightened by that much */
  s->tol.state_abs = 1e-7;
  /* datasets store qpos, qvel beside x, and episodes continue the simulation (the box's resting
   * height and its residual creep, ~1e-5 m/s, are not in x) */
  s->store_sim_state = 1;
  s->nmetrics = 3;
  memcpy(s->metrics, pu_metrics, sizeof pu_metrics);
  return env_start(env, out, e);
}

const env_vt env_pusher_vt = {
    .name = "pusher",
    .summary = "push a box to a target pose, seen as 5 keypoints + the pusher (METHOD §6 pushing)",
    .create = pu_create,
};
