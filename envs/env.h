/* sgpbench environments: the interface every environment implements, and the registry.
 *
 * An environment is one `const env_vt env_NAME_vt` (name, summary, create) in envs/NAME.c,
 * registered by the line ENV_ENTRY(NAME) of envs/env_list.h. `create` reads the environment's
 * config object ({"hole":"mud","mud_factor":0.2}, {"resolution":8}, ...) with the sgp_cfg getters:
 * defaults are inserted (so the object becomes the resolved config) and unknown keys are rejected.
 *
 * An instance (`sgp_env`) carries its spec (dimensions, control period, bounds, episode length,
 * data box, reference returns, goal, and the description below) and an ops table (the operations
 * and the description's hooks). The rest of the program knows an environment only through these.
 * Every built-in environment simulates in MuJoCo 2.2.2; a MuJoCo error or an unstable simulation
 * becomes an ordinary error value of ours (env_step returns -1 with a message), never a dead
 * process.
 *
 * States and actions are double at the simulator boundary; the batched costs for planners are
 * float, row-major, batch dimension first.
 *
 * Thread safety: an instance is used by one thread at a time. Different instances may be stepped
 * concurrently. Create instances from one thread (MuJoCo 2.2.2's XML loader keeps global state).
 *
 * Adding an environment: one .c, one .xml and one registry line (docs/adding-an-environment.md).
 */
#ifndef SGP_ENV_H
#define SGP_ENV_H

#include "core/core.h"

#include <mujoco/mujoco.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ENV_MAX_BOX 16 /* dimensions of the data box (state and action) */

typedef struct sgp_env sgp_env;

/* ------------------------------------------------------------------ the registry */
typedef struct env_vt {
  const char *name;    /* "point", "cartpole", ... */
  const char *summary; /* one line for `sgp list` */
  /* Reads cfg (defaults inserted, unknown keys rejected) and builds an instance. */
  int (*create)(sgp_cfg *cfg, sgp_env **out, sgp_err *e);
  /* Optional: NULL-terminated JSON config objects that the conformance test runs besides {}
   * (variants with their own costs, references or dimensions), e.g. {"{\"hole\":\"same\"}", NULL}. */
  const char *const *test_configs;
} env_vt;

const env_vt *env_find(const char *name); /* NULL if unknown */
int env_count(void);
const env_vt *env_at(int i);              /* 0 <= i < env_count() */
/* The name of env_at(i), as an sgp_name_at for sgp_fail_unknown (ctx unused). */
const char *env_name_at(const void *ctx, int i);
/* Convenience: finds `name` ("unknown environment 'x' (point, cartpole, pixels)" otherwise) and
 * creates it from cfg_json (NULL: all defaults; the object is modified: defaults inserted).
 * `file` names the config in error messages. */
int env_create(const char *name, cJSON *cfg_json, const char *file, sgp_env **out, sgp_err *e);
/* vt->create followed by env_check (every instance the program uses goes through one of the two). */
int env_make(const env_vt *vt, sgp_cfg *cfg, sgp_env **out, sgp_err *e);

/* ------------------------------------------------------------------ the description
 * Besides its dynamics and costs an environment describes itself to the rest of the program: the
 * figure that suits a trajectory, the region its data leaves out, the tolerances of the
 * conformance test (data in env_spec), and how the viewer draws it (functions in env_ops). Nothing
 * outside envs/ looks at an environment's name or guesses from its dimensions. */

/* The region of the data box that box-shaped data leaves out by default: the disk
 * ‖(b₀, b₁) − center‖ < radius in box dimensions 0 and 1. radius 0: none. */
typedef struct env_region {
  double center[2], radius;
} env_region;

/* Which figure suits a trajectory (the sweep's figures, docs/sweeps.md):
 *  ENV_FIG_PLANAR: the executed and planned paths over the dataset in the plane of two state
 *                  dimensions dims[0] (horizontal) and dims[1] (vertical), with the data box, the
 *                  goal and the excluded region; n = 2;
 *  ENV_FIG_SERIES: time series, one panel per state dimension dims[0..n-1];
 *  ENV_FIG_NONE:   no figure ("trajectories": true in a sweep is then an error). */
typedef enum env_figure_kind { ENV_FIG_NONE = 0, ENV_FIG_PLANAR = 1, ENV_FIG_SERIES = 2 } env_figure_kind;
#define ENV_FIG_MAX 4
typedef struct env_figure {
  env_figure_kind kind;
  int by_default;                  /* 1: a sweep draws it unless its row says "trajectories": false */
  int n;                           /* dimensions used: 2 (planar), 1..ENV_FIG_MAX (series) */
  int dims[ENV_FIG_MAX];           /* state dimensions, each < nx (spec.figure_box: box dimensions) */
  const char *labels[ENV_FIG_MAX]; /* axis / panel labels, e.g. "θ (rad)" (non-NULL for each dim) */
} env_figure;

/* Tolerances of tests/test_env_conformance.c (zero: the default in brackets, set by env_check). */
typedef struct env_test_tol {
  double batch_rel;  /* float batch cost and gradients vs the double ones, relative, floor 1 [1e-6] */
  double fd_step;    /* central-difference step in double [1e-5] */
  double fd_rel;     /* gradients vs central differences, relative, floor 1 [1e-7] */
  double ref_random_abs, ref_expert_abs; /* reproduced vs declared reference returns, absolute
                                          * (the rounding of the stored values) [1e-3] */
  double state_abs;  /* get_state(set_state(x)) vs x, absolute [0: exact] */
  unsigned wrap;     /* bit i: state dimension i is an angle on which the cost wraps every 2π with
                      * its seam at goal[i] ± π; test points keep 10 fd steps away from the seam */
} env_test_tol;

/* Scene overlays for the viewer (env_ops.overlays). */
typedef enum env_overlay_kind {
  ENV_OVERLAY_SPHERE = 1, /* a sphere of radius `size` at `pos` (a goal, a target) */
  ENV_OVERLAY_DISK = 2,   /* a flat horizontal disk of radius `size` centred at `pos` (a region) */
  ENV_OVERLAY_IMAGE = 3,  /* a panel in the top-right corner showing the state values
                           * x[offset + r·w + c] (row r = 0 on top) as grey levels clamped to [0, 1] */
} env_overlay_kind;
typedef struct env_overlay {
  env_overlay_kind kind;
  float rgba[4];       /* sphere, disk */
  double pos[3], size; /* sphere, disk: scene coordinates */
  int offset, w, h;    /* image: offset + w·h <= nx */
  char label[48];      /* shown beside the overlay (may be empty) */
} env_overlay;
#define ENV_MAX_OVERLAYS 8

/* Metrics of its own that an environment adds to run results and sweep tables (spec.metrics,
 * ops.metric; docs/run-format.md). Each is a number per episode:
 *  ENV_METRIC_PLAN:  the mean over the episode's plans (every MPC step's plan; the one plan of open
 *                    loop) of the metric of a plan's states x_0 (measured), x_1..x_H (predicted);
 *  ENV_METRIC_FINAL: the metric of the episode's final state (n = 1).
 * Results carry them as "env_metrics": {name: value} per episode and their means in the summary;
 * tables show them beside success and the other metrics for the rows of such environments. */
typedef enum env_metric_kind { ENV_METRIC_PLAN = 1, ENV_METRIC_FINAL = 2 } env_metric_kind;
#define ENV_MAX_METRICS 4
typedef struct env_metric {
  const char *name;     /* [a-z0-9_]+, unique: the key in results and tables (static strings,
                         * they outlive the instance) */
  const char *label;    /* for tables, with the unit: "plan rigidity violation (m)" */
  env_metric_kind kind;
  int better;           /* +1 higher is better, -1 lower, 0 a diagnostic */
} env_metric;
/* An arrow of the viewer's action display (env_ops.view_action), scene coordinates. */
typedef struct env_arrow {
  double from[3], to[3];
} env_arrow;
#define ENV_MAX_ARROWS 16

/* ------------------------------------------------------------------ the spec */
/* The "data box" is the space in which box-shaped data collection samples states and actions.
 * For point and cartpole it is the state and the action itself (nbx = nx, nbu = nu); for pixels it
 * is the underlying point position and displacement, which the environment renders into images
 * (ops->box_to_state / ops->box_to_action). */
typedef struct env_spec {
  const char *name;
  int nx, nu;
  double dt;        /* control period (s) */
  int substeps;     /* MuJoCo steps per control period */
  double timestep;  /* MuJoCo timestep (s): dt = substeps * timestep */
  int T;            /* episode length (control steps) */
  const double *u_lo, *u_hi; /* nu each; actions are clipped to them by env_step */
  const double *goal;        /* nx: the goal state, or NULL for a task without one (locomotion) */

  int has_box;                /* 1 if a data box is defined */
  int nbx, nbu;               /* box dimensions (<= ENV_MAX_BOX) */
  double box_lo[ENV_MAX_BOX], box_hi[ENV_MAX_BOX];   /* state box (nbx) */
  double abox_lo[ENV_MAX_BOX], abox_hi[ENV_MAX_BOX]; /* action box (nbu) */
  env_region excluded;        /* default excluded region of the box (radius 0: none) */

  /* 1: the state x is an observation that does not determine the simulator (locomotion: no root
   * position, clipped velocities). Datasets then also store qpos and qvel, and episode collection
   * continues the simulation instead of restarting every step from the stored (float) x. */
  int store_sim_state;

  /* Reference returns (normalised scores 100·(R − ref_random)/(ref_expert − ref_random)), means
   * over the start distribution. Either measured here, each a mean of returns Σ_t r_t − c_T(x_T)
   * of T steps, episode i (i = 0, 1, ...) starting from env_reset(seed i):
   *   ref_random: over ref_episodes episodes of actions drawn uniformly from the action box
   *               (abox, env_box_to_action), one sgp_rng stream "reference" (seed 0) for all;
   *   ref_expert: over ref_expert_episodes episodes of ops->expert_action;
   * (a fixed start makes every reset the same state, and one expert episode exact);
   * tests/test_env_references.c reproduces both; or taken from elsewhere: ref_source names where
   * (e.g. "D4RL"), and no policy is needed (nor checked).
   * Without references (has_ref 0) results report success and returns but no normalised score,
   * and a sweep's default metric for the environment is "success". */
  int has_ref;
  double ref_random, ref_expert;
  int ref_episodes;           /* [1000] */
  int ref_expert_episodes;    /* [1] */
  const char *ref_source;     /* NULL: measured here (ops->expert_action required) */

  env_figure figure;          /* which figure suits a trajectory */
  int figure_box;             /* 1: figure.dims are data-box dimensions (< nbx): states are drawn
                               * decoded through ops->state_to_box (pixels: the dot's position) */
  env_test_tol tol;           /* tolerances of the conformance test */
  int nmetrics;               /* metrics of its own (0..ENV_MAX_METRICS), computed by ops.metric */
  env_metric metrics[ENV_MAX_METRICS];
} env_spec;

/* ------------------------------------------------------------------ the operations */
typedef struct env_ops {
  void (*destroy)(sgp_env *env);
  /* Initial state for `seed` (deterministic); also resets the simulator and the step counter. */
  int (*reset)(sgp_env *env, uint64_t seed, double *x0, sgp_err *e);
  /* Puts the simulator in state x (nx). Fails on non-finite values. */
  int (*set_state)(sgp_env *env, const double *x, sgp_err *e);
  void (*get_state)(const sgp_env *env, double *x);
  /* One control period with action u (nu; clipped to the bounds): next state, reward = −c(x,u),
   * terminated (1 if the episode cannot continue: the state reached ends it, the rule of
   * terminated_batch; 0 for environments without one). Returns -1 with an
   * error for a non-finite action, if MuJoCo raised an error, or if the state became non-finite. */
  int (*step)(sgp_env *env, const double *u, double *xnext, double *reward, int *terminated,
              sgp_err *e);
  /* Running cost c(x,u) and its gradients (gx: nx, gu: nu; NULL skips). */
  double (*cost)(const sgp_env *env, const double *x, const double *u, double *gx, double *gu);
  /* Terminal cost c_T(x) and its gradient (NULL skips). */
  double (*terminal_cost)(const sgp_env *env, const double *x, double *gx);
  /* 1 if x (the final state of an episode) solves the task. */
  int (*success)(const sgp_env *env, const double *x);
  /* Batched float versions for planners: c[B], gx[B×nx], gu[B×nu] (grads NULL: skip). */
  void (*cost_batch)(const sgp_env *env, int B, const float *x, const float *u, float *c,
                     float *gx, float *gu);
  void (*terminal_cost_batch)(const sgp_env *env, int B, const float *x, float *c, float *gx);
  /* Data-box maps (NULL: identity, nbx == nx / nbu == nu; give both of a pair or neither). */
  void (*box_to_state)(const sgp_env *env, const double *b, double *x);
  void (*state_to_box)(const sgp_env *env, const double *x, double *b);
  void (*box_to_action)(const sgp_env *env, const double *a, double *u);
  void (*action_to_box)(const sgp_env *env, const double *u, double *a);

  /* ---- optional hooks of the description (NULL: not provided) ----------------------------- */
  /* The expert policy of ref_expert: the action u (nu) at step t in state x. Deterministic.
   * Required when spec.has_ref and the references are measured here (no spec.ref_source). */
  void (*expert_action)(const sgp_env *env, int t, const double *x, double *u);
  /* The point of the MuJoCo scene (world coordinates) that stands for state x in the viewer: the
   * point, the pole tip, a torso. Pure: must not touch the simulator. Returns -1 (p untouched)
   * when x has no point (e.g. non-finite values). Required by `sgp view`. */
  int (*view_point)(const sgp_env *env, const double *x, double p[3]);
  /* The viewer's default camera for the n states xs (n×nx: the rollout, or the reset state) on a
   * frame of aspect w/h with vertical field of view fovy (degrees): cam = look-at point (3),
   * distance, azimuth and elevation (degrees). NULL: MuJoCo's default free camera. */
  void (*view_camera)(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                      double cam[6]);
  /* Up to `max` scene overlays into out; returns how many. Fixed for the instance. */
  int (*overlays)(const sgp_env *env, env_overlay *out, int max);
  /* One line about the instance for the viewer's head-up display (the variant, what the drawn
   * paths show). Empty: none. */
  void (*hud_note)(const sgp_env *env, char *buf, size_t n);
  /* Up to `max` scene points that mark state x besides its view point (a box's keypoints): the
   * viewer draws them for every state of the current plan, so that a plan's shape shows. Returns
   * how many (the same for every state of the instance), or -1 (p untouched) when x has none. */
  int (*view_marks)(const sgp_env *env, const double *x, double (*p)[3], int max);
  /* The value of metric i (spec.metrics[i]) for the n states xs (n×nx): a plan's states or, for
   * ENV_METRIC_FINAL, the final state (n = 1). Required when spec.nmetrics > 0. Pure. */
  double (*metric)(const sgp_env *env, int i, const double *xs, int n);
  /* The action u (nu) taken in state x, as up to `max` arrows for the viewer (the point's step from
   * p to p + u). Returns how many. Pure: must not touch the simulator. NULL: the viewer draws the
   * model's actuators instead (an arrow along each actuated joint, as long as the control is a
   * fraction of its range), which suits force and torque actions (cartpole, locomotion). */
  int (*view_action)(const sgp_env *env, const double *x, const double *u, env_arrow *out, int max);
  /* The termination rule on states, for planners: done[b] = 1 if state x_b (B×nx, float) ends the
   * episode (step reports terminated when the state it reaches is one), else 0. Pure. NULL: the
   * episodes never end early. */
  void (*terminated_batch)(const sgp_env *env, int B, const float *x, float *done);
} env_ops;

/* MuJoCo plumbing shared by every environment (envs/env_mujoco.c). */
typedef struct env_sim {
  mjModel *m;
  mjData *d;
  long warnings;              /* MuJoCo warnings since the last reset */
  int seen[mjNWARNING];       /* d->warning[i].number already counted */
  char last_warning[256];     /* text of the last warning (may be empty) */
} env_sim;

struct sgp_env {
  const env_vt *vt;
  const env_ops *ops;
  env_spec spec;
  env_sim *sim;   /* the MuJoCo simulator (owned by impl), NULL for an environment without one */
  int t;         /* control steps since reset */
  void *impl;    /* the environment's own data */
};

/* ------------------------------------------------------------------ calling the operations */
static inline void env_destroy(sgp_env *env) {
  if (env) env->ops->destroy(env);
}
static inline int env_reset(sgp_env *env, uint64_t seed, double *x0, sgp_err *e) {
  return env->ops->reset(env, seed, x0, e);
}
static inline int env_set_state(sgp_env *env, const double *x, sgp_err *e) {
  return env->ops->set_state(env, x, e);
}
static inline void env_get_state(const sgp_env *env, double *x) { env->ops->get_state(env, x); }
static inline int env_step(sgp_env *env, const double *u, double *xnext, double *reward,
                           int *terminated, sgp_err *e) {
  return env->ops->step(env, u, xnext, reward, terminated, e);
}
static inline double env_cost(const sgp_env *env, const double *x, const double *u, double *gx,
                              double *gu) {
  return env->ops->cost(env, x, u, gx, gu);
}
static inline double env_terminal_cost(const sgp_env *env, const double *x, double *gx) {
  return env->ops->terminal_cost(env, x, gx);
}
static inline int env_success(const sgp_env *env, const double *x) {
  return env->ops->success(env, x);
}
/* Same shapes as plan_cost.running / plan_cost.terminal (agents/planner.h): pass the env as self. */
static inline void env_cost_batch(const sgp_env *env, int B, const float *x, const float *u,
                                  float *c, float *gx, float *gu) {
  env->ops->cost_batch(env, B, x, u, c, gx, gu);
}
static inline void env_terminal_cost_batch(const sgp_env *env, int B, const float *x, float *c,
                                           float *gx) {
  env->ops->terminal_cost_batch(env, B, x, c, gx);
}
/* Same shape as plan_cost.terminated: done[b] = 1 where x_b ends the episode (all 0 without a rule). */
static inline void env_terminated_batch(const sgp_env *env, int B, const float *x, float *done) {
  if (env->ops->terminated_batch) env->ops->terminated_batch(env, B, x, done);
  else
    for (int b = 0; b < B; b++) done[b] = 0;
}
/* Data-box maps with the identity default. */
void env_box_to_state(const sgp_env *env, const double *b, double *x);
void env_state_to_box(const sgp_env *env, const double *x, double *b);
void env_box_to_action(const sgp_env *env, const double *a, double *u);
void env_action_to_box(const sgp_env *env, const double *u, double *a);
/* Clips u (nu) to the action bounds in place. */
void env_clip_action(const sgp_env *env, double *u);

/* The description's hooks with their defaults: view_point -1 without the hook; overlays 0;
 * hud_note ""; view_camera 0 (cam untouched) without the hook, 1 with it; view_action -1 without
 * the hook (the viewer then draws the actuators), else the arrows' count. */
int env_view_point(const sgp_env *env, const double *x, double p[3]);
int env_overlays(const sgp_env *env, env_overlay *out, int max);
void env_hud_note(const sgp_env *env, char *buf, size_t n);
int env_view_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                    double cam[6]);
/* view_marks: 0 without the hook (or for a state without marks), else how many. */
int env_view_marks(const sgp_env *env, const double *x, double (*p)[3], int max);
/* Metric i of the spec for n states (NAN if i is not a metric of the spec). */
double env_metric_value(const sgp_env *env, int i, const double *xs, int n);
int env_view_action(const sgp_env *env, const double *x, const double *u, env_arrow *out, int max);
/* Checks an instance against the contract of this header (the operations that are required, the
 * spec's dimensions and bounds, data box and its maps, excluded region, figure, references and
 * their expert, overlays, the view point of the current state, the metrics) and fills the default tolerances
 * and ref_episodes. A one-line error names the environment and the field:
 * "pendulum: spec.figure.dims[1] = 2 is not a state dimension (nx = 2)". */
int env_check(sgp_env *env, sgp_err *e);

/* The MuJoCo model and data for the viewer (both NULL for an environment without MuJoCo state).
 * The data reflects the last reset / set_state / step. */
void env_mj(sgp_env *env, const mjModel **m, mjData **d);
/* The full simulator state, for environments whose state x does not determine it (an observation
 * without the root position, or with clipped velocities): nq, nv of the model (0, 0 without
 * MuJoCo); get copies qpos (nq) and qvel (nv); set puts them back exactly (controls and the solver's
 * warm start zeroed, as after a reset), fails on non-finite values. */
void env_sim_dims(const sgp_env *env, int *nq, int *nv);
void env_get_sim_state(const sgp_env *env, double *qpos, double *qvel);
int env_set_sim_state(sgp_env *env, const double *qpos, const double *qvel, sgp_err *e);
/* MuJoCo warnings counted since the last reset. */
long env_warnings(const sgp_env *env);
/* "2.2.2" */
const char *env_mujoco_version(void);

/* ------------------------------------------------------------------ the pixels renderer */
/* Renders a blurred dot (Gaussian of standard deviation `width`, peak 1) at position p (2) into an
 * R×R image over [−extent, extent]²: pixel (row r, column c) has centre
 * (−extent + (c+½)·2·extent/R,  extent − (r+½)·2·extent/R), i.e. row 0 is the top (largest y).
 * R <= 32. `calibrated` = 1 shifts the dot so that env_softargmax of the image returns p (to the float rounding of the image, ~1e-7). */
void env_render_dot(int R, double extent, double width, double temperature, int calibrated,
                    const double *p, float *img);
/* Spatial soft-argmax: p = Σ_ij w_ij c_ij, w = softmax(img / temperature) over the R×R pixels.
 * grad (optional, 2×R² row-major) receives ∂p/∂img. */
void env_softargmax(int R, double extent, double temperature, const float *img, double *p,
                    double *grad);

#ifdef __cplusplus
}
#endif
#endif
