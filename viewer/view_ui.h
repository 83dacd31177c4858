/* The viewer's input layer (viewer/view_ui.c): keys and mouse turned into state changes (panels on
 * or off, playback, speed) and commands for the viewer to carry out (seek, step the agent, move the
 * camera, perturb a body, save a screenshot). It knows nothing of OpenGL or of a window: GLFW's
 * callbacks, the --events script of a recording and tests/test_viewer_ui.c feed it the same events.
 * Key codes are GLFW's (printable keys are their upper-case ASCII code). */
#ifndef SGP_VIEW_UI_H
#define SGP_VIEW_UI_H

#include "core/err.h"

#include <stddef.h>

/* ------------------------------------------------------------------ events */
typedef enum view_ev_type {
  VIEW_EV_KEY = 1,    /* key pressed (or repeated): key, mods */
  VIEW_EV_BUTTON = 2, /* mouse button pressed (press 1) or released (press 0) at (x, y) */
  VIEW_EV_MOVE = 3,   /* cursor moved to (x, y) */
  VIEW_EV_SCROLL = 4, /* wheel: y = offset (positive: away from the user) */
} view_ev_type;

enum { VIEW_MOD_SHIFT = 1, VIEW_MOD_CTRL = 2 }; /* GLFW_MOD_SHIFT, GLFW_MOD_CONTROL */
enum { VIEW_BUTTON_LEFT = 0, VIEW_BUTTON_RIGHT = 1, VIEW_BUTTON_MIDDLE = 2 };

typedef struct view_event {
  view_ev_type type;
  int key;         /* KEY: GLFW key code */
  int button;      /* BUTTON: VIEW_BUTTON_* */
  int press;       /* BUTTON: 1 press, 0 release */
  int mods;        /* KEY, BUTTON: VIEW_MOD_* */
  int dblclick;    /* BUTTON: a second press within the double-click time */
  double x, y;     /* BUTTON, MOVE: framebuffer pixels, origin top-left; SCROLL: y offset */
} view_event;

/* ------------------------------------------------------------------ plots */
enum {
  VIEW_PLOT_RETURN = 0, /* running cost and return so far */
  VIEW_PLOT_ACTION = 1, /* the actions */
  VIEW_PLOT_PLANNER = 2, /* the planner's objective, its cost part and its penalty */
  VIEW_PLOT_DIST = 3,   /* data distance of the executed (x, u) */
  VIEW_PLOT_TIME = 4,   /* planning time per step */
  VIEW_NPLOTS = 5
};

/* ------------------------------------------------------------------ commands */
typedef enum view_cmd_kind {
  VIEW_CMD_QUIT = 1,
  VIEW_CMD_STEP,        /* arg = +1 / −1: one step forward / back (forward past the end of a live
                         * episode: the agent takes one step) */
  VIEW_CMD_JUMP,        /* arg = +1 / −1: to the last / first step */
  VIEW_CMD_SCRUB,       /* a = fraction of the episode in [0, 1] (the timeline) */
  VIEW_CMD_RESTART,     /* replay: step 0; live: the episode again from its reset state */
  VIEW_CMD_EPISODE,     /* arg = +1 / −1: next / previous episode */
  VIEW_CMD_SCREENSHOT,
  VIEW_CMD_CAM_RESET,   /* the default camera again */
  VIEW_CMD_CAM_TRACK,   /* the free camera follows the moving body, or stops following it */
  VIEW_CMD_CAM_CYCLE,   /* arg = +1 / −1: the model's next / previous fixed camera (then free) */
  VIEW_CMD_CAM_MOVE,    /* arg = mjtMouse action, a, b = relative motion (dx, dy) / height */
  VIEW_CMD_SELECT,      /* a, b = pixel (x, y from the top-left): select the body there */
  VIEW_CMD_PERT_BEGIN,  /* arg = 1 translate / 2 rotate (mjPERT_*), a, b = pixel: select the body
                         * there and start perturbing it */
  VIEW_CMD_PERT_MOVE,   /* arg = mjtMouse action, a, b = relative motion (as CAM_MOVE) */
  VIEW_CMD_PERT_END,
} view_cmd_kind;

typedef struct view_cmd {
  view_cmd_kind kind;
  int arg;
  double a, b;
} view_cmd;
#define VIEW_MAX_CMDS 4 /* commands one event can give */

/* ------------------------------------------------------------------ state */
typedef struct view_ui {
  /* panels and drawings */
  int help;         /* the key help (F1) */
  int info;         /* the information panel (I) */
  int plan, cand;   /* the plan, the candidates (P, C) */
  int action;       /* the action in the scene (A) */
  int data;         /* the dataset's points (D) */
  unsigned plots;   /* bit VIEW_PLOT_*: shown (keys 1..5; 0: all off / back on) */
  unsigned plots_saved;
  /* playback */
  int paused;
  double speed;     /* playback speed, 1 = the control rate, 1/64 .. 64 */
  int live;         /* live mode (space pauses the agent; right steps it) */
  /* the timeline bar, in framebuffer pixels from the top-left (set by the viewer every frame) */
  double tl_x0, tl_x1, tl_y0, tl_y1;
  int width, height; /* framebuffer size */
  /* mouse */
  int down[3];      /* buttons held */
  double x, y;      /* last cursor position */
  int drag;         /* what the held button does: VIEW_DRAG_* */
  int drag_button;
} view_ui;

enum { VIEW_DRAG_NONE = 0, VIEW_DRAG_CAMERA, VIEW_DRAG_PERTURB, VIEW_DRAG_TIMELINE };

/* Defaults: info and the drawings on, help and plots off, playing at speed 1. */
void view_ui_init(view_ui *ui, int live);
/* Applies one event to the state; writes up to VIEW_MAX_CMDS commands into out and returns how
 * many. */
int view_ui_event(view_ui *ui, const view_event *ev, view_cmd *out);

/* The key table (docs/viewer.md and the F1 panel): one row per entry, NULL-terminated. */
typedef struct view_keydoc {
  const char *keys, *what;
} view_keydoc;
extern const view_keydoc view_keys[];

/* The --events script of a recording: lines "FRAME key NAME [shift] [ctrl]",
 * "FRAME press|release left|right|middle X Y [shift] [ctrl] [double]", "FRAME move X Y",
 * "FRAME scroll DY" ('#' starts a comment). Parsed into events sorted by frame (stable). -1 with a
 * message naming the file and line. */
typedef struct view_script {
  int n;
  int *frame;
  view_event *ev;
} view_script;
int view_script_parse(const char *text, const char *file, view_script *out, sgp_err *e);
void view_script_free(view_script *s);
/* The GLFW key code of a key name in the table ("space", "F1", "right", "A", "1", ...), or -1. */
int view_key_code(const char *name);

#endif
