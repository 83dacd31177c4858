/* The viewer's internals, shared by viewer/viewer.c, view_scene.c, view_panels.c, view_out.c and
 * view_live.c (viewer/viewer.h is the public half). */
#ifndef SGP_VIEW_PRIVATE_H
#define SGP_VIEW_PRIVATE_H

#include "viewer/view_ui.h"
#include "viewer/viewer.h"

#include <GLFW/glfw3.h>

/* ------------------------------------------------------------------ the live agent's worker */
typedef struct view_live view_live;
/* Starts the worker thread on episode `episode` of the agent, paused unless `running`. */
int view_live_start(view_live **out, view_agent *ag, int episode, int running, sgp_err *e);
void view_live_stop(view_live *l); /* joins the thread, frees everything */
void view_live_set_running(view_live *l, int running);
void view_live_set_speed(view_live *l, double speed); /* paces steps to dt / speed; 0: no pacing */
void view_live_step_once(view_live *l);               /* one more step while paused */
void view_live_reset(view_live *l, int episode);
void view_live_perturb(view_live *l, const mjvPerturb *p); /* active 0: none */
/* What the worker is doing, for the head-up display. */
typedef struct view_live_status {
  int planning;     /* a plan is being made */
  double since;     /* ... since this many seconds */
  int step;         /* for this step */
  int ended;        /* the episode is over */
  char error[256];  /* why it ended early (empty: it did not) */
} view_live_status;
/* Moves the steps the worker made since the last call into tr (scene points computed with env,
 * the render thread's instance). A reset replaces tr. Returns 1 if anything changed. */
int view_live_sync(view_live *l, view_rollout *tr, sgp_env *env, view_live_status *st);
/* Recording: waits until the worker has published `steps` steps (or the episode ended). */
void view_live_wait(view_live *l, int steps);
/* The agent that applies a zero action (sgp view ENV without a rollout or a run). */
void view_zero_agent(view_agent *ag, sgp_env *worker_env);

/* ------------------------------------------------------------------ the viewer */
enum { VIEW_MODE_ENV = 0, VIEW_MODE_REPLAY, VIEW_MODE_LIVE, VIEW_MODE_DATASET };

typedef struct view_layout {   /* where the 2-D panels were drawn in the last frame (GL pixels) */
  mjrRect info, help, legend, timeline, plots[VIEW_NPLOTS];
} view_layout;

typedef struct viewer {
  const view_opts *o;
  sgp_env *env;          /* the instance the scene is drawn from (set_state for each shown state) */
  view_ui ui;
  int mode;
  char note[256];
  env_overlay ov[ENV_MAX_OVERLAYS];
  int nov;

  /* the episode shown */
  view_rollout tr;
  int have_tr;
  int episode, nepisodes;
  int t;                  /* step shown */
  int follow;             /* live: show the newest step as it comes */
  double acc, last_time;
  char status[256];       /* a message in the information panel (an error, a saved screenshot) */

  /* live */
  view_agent zero;        /* the zero-action agent of VIEW_MODE_ENV */
  view_agent *agent;
  view_live *live;
  view_live_status lst;

  /* dataset */
  int64_t *ds_start;
  double *cloud;
  int ncloud;

  /* rendering */
  mjModel *m;             /* a private copy of the model (visual options, offscreen size) */
  mjData *d;
  const mjModel *em;      /* the environment's model and data (set_state writes them) */
  mjData *ed;
  mjvCamera cam;
  mjvOption opt;
  mjvScene scn;
  mjvPerturb pert;
  mjrContext con;
  int have_scene, have_con;
  GLFWwindow *win;
  int glfw_up;
  int recording;
  int track_body;         /* the body the tracking camera follows */
  mjvFigure *fig;         /* VIEW_NPLOTS + 1 figures (the first plot has two) */
  view_layout lay;
  unsigned char *panel;   /* image overlays: one RGB buffer, as large as the largest panel */
  int shots;              /* screenshots saved */
  int want_shot;          /* a screenshot after the next render */
  view_script script;     /* --events (recording) */
  double last_press, press_x, press_y; /* double-click detection */
} viewer;

/* viewer.c */
void view_show(viewer *v, int t);        /* the simulator and the viewer's data at step t */
int view_total(const viewer *v);          /* steps in the episode shown (or planned for, live) */
void view_render(viewer *v, mjrRect vp); /* the scene and the panels into viewport vp */
void view_handle(viewer *v, const view_event *ev); /* one input event, through the input layer */
void view_advance_frame(viewer *v, int f);         /* recording: what frame f shows */
void view_set_status(viewer *v, const char *msg);
/* view_scene.c: the trajectories, the action, the dataset and the overlays, added to v->scn */
void view_scene_add(viewer *v);
/* view_panels.c: the 2-D layer over the scene in viewport vp (panels only unless clean) */
void view_panels_draw(viewer *v, mjrRect vp);
void view_figures_init(viewer *v);
int view_panel_bytes(const viewer *v);   /* the image panels' buffer */
/* view_out.c: screenshots and recordings */
int view_screenshot(viewer *v, mjrRect vp, char *path, size_t cap, sgp_err *e);
void view_take_screenshot(viewer *v, mjrRect vp); /* the screenshot key: saved, or the error shown */
int view_record(viewer *v, sgp_err *e);
int view_load_script(viewer *v, sgp_err *e); /* --events, checked before a window opens */

/* colours of what we draw (docs/viewer.md) */
extern const float VIEW_COL_EXEC[4], VIEW_COL_PLAN[4], VIEW_COL_CAND[4], VIEW_COL_ACTION[4],
    VIEW_COL_DATA[4], VIEW_COL_NEXT[4];

#endif
