/* sgpbench viewer: watch an environment or a saved rollout (docs/run-format.md) in a GLFW window,
 * or record frames offscreen, with MuJoCo 2.2.2's own renderer (mjv_ abstract scene, mjr_ OpenGL).
 *
 * Two halves:
 *  - viewer/view_data.c, free of OpenGL: a rollout loaded from its .npy files and checked against
 *    the environment (every error names the file), the states turned into points of the 3-D scene
 *    (the environment's view_point hook), the returns recomputed from the task cost, a PPM writer.
 *    It is compiled into the program with the viewer and directly into tests/test_viewer_data.c.
 *  - viewer/viewer.c: the window, the camera and keys, the scene with the trajectories added as
 *    capsule geoms (mjv_makeConnector), the environment's overlays (spheres, disks, image panels),
 *    the text overlay with its note, recording.
 *
 * Nothing here knows an environment by name: what to draw comes from its description (envs/env.h:
 * view_point, view_camera, overlays, hud_note).
 *
 * Everything that can be wrong with the input is checked by the first half, before any window
 * opens; the second half only fails for want of a display or of OpenGL.
 */
#ifndef SGP_VIEWER_H
#define SGP_VIEWER_H

#include "core/core.h"
#include "envs/env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ the environment */
/* What the viewer needs of an environment: a MuJoCo model, and to draw the paths of a rollout
 * (paths = 1) the view_point hook (envs/env.h). -1 with a one-line message naming the environment
 * otherwise. (The live view of an environment without the hook shows the scene and says in its
 * head-up display that it draws no paths.) */
int view_env_check(const sgp_env *env, int paths, sgp_err *e);
/* The scene point of state x (nx): env_view_point, or NaN (not drawn) when there is none. */
void view_point(const sgp_env *env, const double *x, double p[3]);

/* ------------------------------------------------------------------ a saved rollout */
typedef struct view_rollout {
  char *dir;
  int episode;
  int steps;        /* executed control steps (the x file has steps+1 rows) */
  int nx, nu;
  double *x;        /* (steps+1)×nx true states */
  double *u;        /* steps×nu actions */
  double *ret;      /* steps+1: return so far, ret[t] = Σ_{k<t} −c(x_k,u_k) (the rewards) */
  double final_cost; /* c_T(x_steps), the terminal cost (RESULT.json's final_cost) */
  double *xp;       /* (steps+1)×3 scene points of the executed states */
  int H;            /* plan horizon: the plan file has H+1 states per step; 0 = no plan file */
  double *plan_p;   /* steps×(H+1)×3 scene points of the plans, or NULL */
  int K;            /* marks per state (env view_marks, e.g. a box's keypoints); 0 = none */
  double *plan_m;   /* steps×(H+1)×K×3 marks of the plans' states, or NULL (NaN: not drawn) */
  int M, HC;        /* candidate rollouts per step and their horizon; 0 = no candidate file */
  double *cand_p;   /* steps×M×(HC+1)×3, or NULL */
} view_rollout;

/* Loads DIR/ep<episode>_x.npy and _u.npy (required), _plan_x.npy and _cand_x.npy (optional),
 * float32 or float64, and checks them against env: dimensions (nx, nu, steps agree across the
 * files), finite states and actions. Errors name the file: "DIR/ep0_x.npy: shape (41, 3):
 * expected (steps+1, 2) for point". On failure *out is untouched. */
int view_rollout_load(const char *dir, int episode, sgp_env *env, view_rollout *out, sgp_err *e);
void view_rollout_free(view_rollout *r);

/* ------------------------------------------------------------------ images */
/* One binary PPM (P6) image, w×h RGB; rows given bottom-up (OpenGL's order) when bottom_up. */
int view_ppm_write(FILE *f, int w, int h, const unsigned char *rgb, int bottom_up);

/* ------------------------------------------------------------------ the viewer */
typedef struct view_opts {
  sgp_env *env;
  const view_rollout *ro;  /* NULL: the live environment (reset state, stepped with zero action) */
  const char *record;      /* NULL: interactive window. "X.ppm": one file of concatenated PPM
                            * frames; otherwise a directory of frame_00000.ppm, ... */
  int frames;              /* frames to record: 0 = all steps of the rollout (1 for live) */
  int width, height;       /* window / frame size in pixels */
  double speed;            /* initial playback speed factor (1 = the control rate) */
  int has_camera;          /* 1: use camera[] instead of the environment's default view */
  double camera[6];        /* lookat x, y, z, distance, azimuth (deg), elevation (deg) */
  int quiet;               /* 1: no progress line while recording */
} view_opts;

/* Opens the window (or a hidden one for recording) and runs until Esc / the window is closed /
 * the frames are written. -1 with a one-line message: no display, no usable OpenGL, a frame that
 * cannot be written. */
int view_run(const view_opts *o, sgp_err *e);

#ifdef __cplusplus
}
#endif
#endif
