/* sgpbench viewer: watch an environment, a dataset, a saved rollout (docs/run-format.md) or an
 * agent acting live, in a GLFW window or recorded offscreen, with MuJoCo 2.2.2's own renderer
 * (mjv_ abstract scene, mjr_ OpenGL, mjr_figure plots, mjv_ perturbations). docs/viewer.md.
 *
 * The files:
 *  - viewer/view_data.c (no OpenGL): episodes ("traces") loaded from rollout files, grown by a live
 *    agent or cut from a dataset, checked against the environment (every error names the file);
 *    the states turned into scene points (the environment's view_point hook); returns; the PPM
 *    encoder. tests/test_viewer_data.c compiles it directly.
 *  - viewer/view_ui.c (no OpenGL): keys and mouse to state and commands (viewer/view_ui.h).
 *  - viewer/view_live.c: the agent's worker thread and its hand-off to the render thread.
 *  - viewer/view_scene.c: what is added to MuJoCo's scene (paths, plan, candidates, the action, the
 *    dataset's points, the environment's overlays).
 *  - viewer/view_panels.c: the 2-D layer (information, help, legend, plots, image panels, timeline).
 *  - viewer/view_out.c: frames to PNG files (libpng), an ffmpeg pipe or concatenated PPM;
 *    screenshots.
 *  - viewer/viewer.c: the window, the camera, the main loop, recording.
 *
 * Nothing here knows an environment by name: what to draw comes from its description (envs/env.h:
 * view_point, view_camera, view_action, overlays, hud_note) and from its MuJoCo model.
 * Everything that can be wrong with the input is checked before any window opens; the window half
 * only fails for want of a display or of OpenGL, or when a frame cannot be written.
 */
#ifndef SGP_VIEWER_H
#define SGP_VIEWER_H

#include "core/core.h"
#include "envs/env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ the environment */
/* What the viewer needs of an environment: a MuJoCo model, and to draw the paths of a trace
 * (paths = 1) the view_point hook (envs/env.h). -1 with a one-line message naming the environment
 * otherwise. (The live view of an environment without the hook shows the scene and says in its
 * head-up display that it draws no paths.) */
int view_env_check(const sgp_env *env, int paths, sgp_err *e);
/* The scene point of state x (nx): env_view_point, or NaN (not drawn) when there is none. */
void view_point(const sgp_env *env, const double *x, double p[3]);

/* ------------------------------------------------------------------ an episode (a trace) */
/* One episode as the viewer shows it: loaded from a rollout, grown step by step by a live agent,
 * or cut from a dataset. Arrays hold `cap` steps; `steps` are filled. Per-step planner quantities
 * are NaN where unknown. */
typedef struct view_rollout {
  char *dir;        /* where it was loaded from (NULL: live or dataset) */
  int episode;
  int steps, cap;   /* executed control steps (states: steps+1) */
  int nx, nu;
  double *x;        /* (cap+1)×nx true states */
  double *u;        /* cap×nu actions (as given to env_step; the environment clips them) */
  double *r;        /* cap rewards r_t */
  double *ret;      /* cap+1: return so far, ret[t] = Σ_{k<t} r_k */
  int rewards_exact; /* 1: r from the simulator (ep<E>_step.npy, live, a dataset's reward.npy);
                      * 0: recomputed as −c(x_t, u_t) from the task cost */
  double final_cost; /* c_T(x_steps) (RESULT.json's final_cost) */
  int ended;        /* the episode is over (live: terminated, failed or all steps done) */
  /* the planner at each step (ep<E>_step.npy, or live) */
  double *obj, *pcost, *pen, *dd, *plan_ms; /* cap each */
  int has_planner, has_dd, has_time;
  /* scene points */
  double *xp;       /* (cap+1)×3 of the executed states */
  int H;            /* plan horizon (H+1 states per plan); 0 = no plans */
  double *plan_p;   /* cap×(H+1)×3, or NULL */
  int K;            /* marks per state (env view_marks, e.g. a box's keypoints); 0 = none */
  double *plan_m;   /* cap×(H+1)×K×3 marks of the plans' states, or NULL (NaN: not drawn) */
  int M, HC;        /* candidate rollouts per step and their horizon; 0 = none */
  double *cand_p;   /* cap×M×(HC+1)×3, or NULL */
  /* the simulator state of each state, where the state does not determine it (spec.store_sim_state) */
  int nq, nv;       /* 0: none */
  double *qpos, *qvel; /* (cap+1)×nq, (cap+1)×nv */
  /* a dataset of independent transitions (box data): state t is x_t, xn the x'_t it led to; no path */
  int transitions;
  double *xn, *xnp; /* cap×nx, cap×3 */
} view_rollout;

/* Loads DIR/ep<episode>_x.npy and _u.npy (required); _plan_x.npy, _cand_x.npy, _step.npy,
 * _timing.npy, _qpos.npy and _qvel.npy when present (docs/run-format.md), float32 or float64, and
 * checks them against env: dimensions (nx, nu, steps agree across the files), finite states and
 * actions. Errors name the file: "DIR/ep0_x.npy: shape (41, 3): expected (steps+1, 2) for point".
 * The environment is left in an unspecified state. On failure *out is untouched. */
int view_rollout_load(const char *dir, int episode, sgp_env *env, view_rollout *out, sgp_err *e);
void view_rollout_free(view_rollout *r);
/* The episodes DIR holds: n such that ep0..ep<n−1>_x.npy exist (0: none). */
int view_rollout_count(const char *dir);

/* A live trace with room for `cap` steps and return 0 so far; the caller fills state x[0] (and
 * qpos[0], qvel[0] when nq > 0). */
void view_trace_init(view_rollout *r, const sgp_env *env, int nq, int nv, int cap);
/* Appends one step: action u, reward r, next state xn (and its simulator state), the plan made
 * (plan: (H+1)×nx floats with H = plan_T, or NULL; cand: ncand×(plan_T+1)×nx) and the planner's
 * numbers (NaN: unknown). The first plan fixes H and M; later ones are cut or padded to them.
 * Scene points are computed here (the environment's simulator is used for them). */
typedef struct view_step {
  const double *u, *xn, *qpos, *qvel;
  double r;
  int plan_T, ncand;
  const float *plan, *cand;
  double obj, pcost, pen, dd, plan_ms;
} view_step;
void view_trace_push(view_rollout *r, sgp_env *env, const view_step *s);
/* Scene point of state t (NaN: none), sets the simulator to state t first when there is a
 * simulator state (locomotion: the root position is not in x). */
int view_trace_show(const view_rollout *r, sgp_env *env, int t, sgp_err *e);

/* ------------------------------------------------------------------ a dataset */
typedef struct view_dataset {
  const char *dir;
  int64_t n;
  int nx, nu;
  const float *x, *u, *xnext, *reward;
  const uint8_t *terminal, *timeout;
  int nq, nv;                 /* > 0: the simulator state of each x */
  const double *qpos, *qvel;
  int episodic;               /* rows are episodes (ended by terminal / timeout) */
} view_dataset;
/* The episodes of a dataset: row ranges [start[k], start[k+1]) ended by a terminal or timeout flag
 * (the last one may be open). Box data: one range of every row. Returns the count; *start is
 * malloc'd (count+1 entries). */
int view_dataset_episodes(const view_dataset *ds, int64_t **start);
/* Episode k of the dataset as a trace (box data: the transitions, one per step). */
void view_dataset_trace(const view_dataset *ds, const int64_t *start, int k, sgp_env *env, view_rollout *out);
/* Up to max scene points of the dataset's states, evenly spread over the rows (malloc'd, n×3). */
int view_dataset_cloud(const view_dataset *ds, sgp_env *env, int max, double **pts);

/* ------------------------------------------------------------------ images */
/* One binary PPM (P6) image, w×h RGB; rows given bottom-up (OpenGL's order) when bottom_up. */
int view_ppm_write(FILE *f, int w, int h, const unsigned char *rgb, int bottom_up);
/* One PNG image (libpng), same layout. -1 on a write error. */
int view_png_write(FILE *f, int w, int h, const unsigned char *rgb, int bottom_up);

/* ------------------------------------------------------------------ a live agent */
/* What `sgp view --live RUN.json` hands the viewer (bench/cmd_view.c builds it from the run):
 * a planner to call once per step, in a worker thread, with the true environment stepped by the
 * viewer. All functions are called from that one thread. */
typedef struct view_plan {
  int T, ncand;                /* horizon; candidates (sampling planners) */
  const float *x, *cand;       /* (T+1)×nx; ncand×(T+1)×nx (valid until the next act) */
  double obj, cost, pen;       /* the planner's objective, its task-cost and penalty parts */
  int fallback;
} view_plan;
typedef struct view_agent {
  void *self;
  const char *name;            /* the planner's name */
  int samples;                 /* candidates a sampling planner draws per iteration (0: none) */
  int episodes, steps;         /* the run's protocol */
  sgp_env *env;                /* the environment the worker steps (the run's, owned by the agent) */
  /* Episode start: resets the environment for episode `episode` of the run (its seed) into x0. */
  int (*reset)(void *self, int episode, double *x0, sgp_err *e);
  /* One plan from state x at step t: the action u and the plan. */
  int (*act)(void *self, int t, const double *x, double *u, view_plan *plan, sgp_err *e);
  /* Data distance of (x, u): the run's metric (bench/eval.c), NaN without a dataset. */
  double (*distance)(void *self, const double *x, const double *u);
} view_agent;

/* ------------------------------------------------------------------ the viewer */
typedef struct view_opts {
  sgp_env *env;            /* the environment shown (rendering instance) */
  sgp_env *env_worker;     /* a second instance of it, stepped with a zero action when nothing
                            * else is shown (owned by the caller) */
  /* what is shown: a rollout, a live agent, a dataset, or else the environment stepped with a zero action */
  const char *rollout_dir; /* replay: the directory (every episode in it can be shown) */
  int episode;             /* first episode shown */
  view_agent *agent;
  const view_dataset *dataset;
  /* the run's RESULT.json, when given: the episodes' returns and final costs to compare with,
   * the planner's name and how many candidates it sampled */
  int result_n;            /* episodes in the result (0: none) */
  const double *result_return, *result_final_cost;
  const char *planner;     /* or NULL */
  int samples;             /* 0: unknown */
  /* output */
  const char *record;      /* NULL: interactive window; "X.png"... (docs/viewer.md): frames
                            * offscreen to a directory of PNGs, X.mp4 (ffmpeg), X.ppm */
  int force;               /* --force: replace a non-empty output */
  int clean;               /* --clean: frames without the 2-D panels */
  int frames;              /* frames to record: 0 = every step of the episode (1 for a still scene) */
  const char *events;      /* a script of input events (viewer/view_ui.h), or NULL */
  int width, height;       /* window / frame size in pixels */
  double speed;            /* initial playback speed factor (1 = the control rate) */
  int has_camera;          /* 1: use camera[] instead of the environment's default view */
  double camera[6];        /* lookat x, y, z, distance, azimuth (deg), elevation (deg) */
  unsigned plots;          /* plots shown at the start (bit VIEW_PLOT_*, viewer/view_ui.h) */
  int help;                /* the key help shown at the start */
  int quiet;               /* 1: no progress while recording */
} view_opts;

/* Opens the window (or a hidden one for recording) and runs until Esc / the window is closed /
 * the frames are written. -1 with a one-line message: no display, no usable OpenGL, a frame that
 * cannot be written. */
int view_run(const view_opts *o, sgp_err *e);

#ifdef __cplusplus
}
#endif
#endif
