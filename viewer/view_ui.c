/* The viewer's input layer (viewer/view_ui.h): events in, state changes and commands out. Pure C,
 * no window: tests/test_viewer_ui.c compiles this file directly. */
#include "viewer/view_ui.h"

#include <GLFW/glfw3.h> /* key codes only */
#include <mujoco/mujoco.h> /* mjtMouse, mjtPertBit */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The key table: what F1 shows and docs/viewer.md lists. Kept next to the code that implements it. */
const view_keydoc view_keys[] = {
    {"space", "pause / play (live: pause the agent)"},
    {"right / left", "one step forward / back (live, at the end: the agent takes one step)"},
    {"Home / End", "first / last step"},
    {"PgUp / PgDn", "previous / next episode"},
    {"+ / -", "faster / slower"},
    {"R", "restart (live: the episode again)"},
    {"P / C / A / D", "plan / candidates / action / dataset on-off"},
    {"1 2 3 4 5", "plots: return+cost, actions, planner, data distance, time"},
    {"0", "all plots off (again: back on)"},
    {"F1 or H", "this help"},
    {"I", "information panel"},
    {"F", "camera: back to the default view"},
    {"T", "camera: track the body (on-off)"},
    {"[ / ]", "camera: the model's cameras"},
    {"S", "screenshot (PNG in the current directory)"},
    {"mouse", "left: rotate, right: move, middle/wheel: zoom"},
    {"Ctrl+drag", "perturb a body (right: pull, left: twist; live)"},
    {"double-click", "select a body"},
    {"timeline", "click or drag the bar at the bottom"},
    {"Esc", "quit"},
    {NULL, NULL},
};

void view_ui_init(view_ui *ui, int live) {
  memset(ui, 0, sizeof *ui);
  ui->info = 1;
  ui->plan = ui->cand = ui->action = ui->data = 1;
  ui->plots_saved = 1u << VIEW_PLOT_RETURN;
  ui->speed = 1;
  ui->live = live;
}

static int push(view_cmd *out, int n, view_cmd_kind kind, int arg, double a, double b) {
  if (n >= VIEW_MAX_CMDS) return n;
  out[n].kind = kind;
  out[n].arg = arg;
  out[n].a = a;
  out[n].b = b;
  return n + 1;
}

static int on_key(view_ui *ui, int key, int mods, view_cmd *out) {
  int n = 0;
  switch (key) {
  case GLFW_KEY_ESCAPE:
    return push(out, n, VIEW_CMD_QUIT, 0, 0, 0);
  case GLFW_KEY_SPACE:
    ui->paused = !ui->paused;
    return 0;
  case GLFW_KEY_RIGHT:
  case GLFW_KEY_LEFT:
    ui->paused = 1;
    return push(out, n, VIEW_CMD_STEP, key == GLFW_KEY_RIGHT ? 1 : -1, 0, 0);
  case GLFW_KEY_HOME:
  case GLFW_KEY_END:
    ui->paused = 1;
    return push(out, n, VIEW_CMD_JUMP, key == GLFW_KEY_END ? 1 : -1, 0, 0);
  case GLFW_KEY_PAGE_UP:
  case GLFW_KEY_PAGE_DOWN:
    return push(out, n, VIEW_CMD_EPISODE, key == GLFW_KEY_PAGE_DOWN ? 1 : -1, 0, 0);
  case GLFW_KEY_EQUAL:
  case GLFW_KEY_KP_ADD:
    if (ui->speed < 64) ui->speed *= 2;
    return 0;
  case GLFW_KEY_MINUS:
  case GLFW_KEY_KP_SUBTRACT:
    if (ui->speed > 1.0 / 64) ui->speed /= 2;
    return 0;
  case GLFW_KEY_R:
    return push(out, n, VIEW_CMD_RESTART, 0, 0, 0);
  case GLFW_KEY_P:
    ui->plan = !ui->plan;
    return 0;
  case GLFW_KEY_C:
    ui->cand = !ui->cand;
    return 0;
  case GLFW_KEY_A:
    ui->action = !ui->action;
    return 0;
  case GLFW_KEY_D:
    ui->data = !ui->data;
    return 0;
  case GLFW_KEY_F1:
  case GLFW_KEY_H:
    ui->help = !ui->help;
    return 0;
  case GLFW_KEY_I:
    ui->info = !ui->info;
    return 0;
  case GLFW_KEY_1:
  case GLFW_KEY_2:
  case GLFW_KEY_3:
  case GLFW_KEY_4:
  case GLFW_KEY_5:
    ui->plots ^= 1u << (key - GLFW_KEY_1);
    return 0;
  case GLFW_KEY_0:
    if (ui->plots) {
      ui->plots_saved = ui->plots;
      ui->plots = 0;
    } else {
      ui->plots = ui->plots_saved;
    }
    return 0;
  case GLFW_KEY_F:
    return push(out, n, VIEW_CMD_CAM_RESET, 0, 0, 0);
  case GLFW_KEY_T:
    return push(out, n, VIEW_CMD_CAM_TRACK, 0, 0, 0);
  case GLFW_KEY_LEFT_BRACKET:
  case GLFW_KEY_RIGHT_BRACKET:
    return push(out, n, VIEW_CMD_CAM_CYCLE, key == GLFW_KEY_RIGHT_BRACKET ? 1 : -1, 0, 0);
  case GLFW_KEY_S:
    return push(out, n, VIEW_CMD_SCREENSHOT, 0, 0, 0);
  default:
    (void)mods;
    return 0;
  }
}

static int in_timeline(const view_ui *ui, double x, double y) {
  return ui->tl_x1 > ui->tl_x0 && x >= ui->tl_x0 - 2 && x <= ui->tl_x1 + 2 && y >= ui->tl_y0 - 4 &&
         y <= ui->tl_y1 + 4;
}

static double timeline_frac(const view_ui *ui, double x) {
  double f = (x - ui->tl_x0) / (ui->tl_x1 - ui->tl_x0);
  return f < 0 ? 0 : f > 1 ? 1 : f;
}

static int on_button(view_ui *ui, const view_event *ev, view_cmd *out) {
  int n = 0, b = ev->button;
  if (b < 0 || b > 2) return 0;
  ui->x = ev->x;
  ui->y = ev->y;
  if (!ev->press) {
    ui->down[b] = 0;
    if (ui->drag != VIEW_DRAG_NONE && b == ui->drag_button) {
      if (ui->drag == VIEW_DRAG_PERTURB) n = push(out, n, VIEW_CMD_PERT_END, 0, 0, 0);
      ui->drag = VIEW_DRAG_NONE;
    }
    return n;
  }
  ui->down[b] = 1;
  if (ui->drag != VIEW_DRAG_NONE) return 0; /* a second button during a drag changes nothing */
  ui->drag_button = b;
  if (b == VIEW_BUTTON_LEFT && in_timeline(ui, ev->x, ev->y)) {
    ui->drag = VIEW_DRAG_TIMELINE;
    ui->paused = 1;
    return push(out, n, VIEW_CMD_SCRUB, 0, timeline_frac(ui, ev->x), 0);
  }
  if ((ev->mods & VIEW_MOD_CTRL) && b != VIEW_BUTTON_MIDDLE) {
    ui->drag = VIEW_DRAG_PERTURB; /* as MuJoCo's simulate: right pulls, left twists */
    return push(out, n, VIEW_CMD_PERT_BEGIN, b == VIEW_BUTTON_RIGHT ? mjPERT_TRANSLATE : mjPERT_ROTATE, ev->x, ev->y);
  }
  ui->drag = VIEW_DRAG_CAMERA;
  if (ev->dblclick && b == VIEW_BUTTON_LEFT) n = push(out, n, VIEW_CMD_SELECT, 0, ev->x, ev->y);
  return n;
}

/* The mouse action of a drag, as in MuJoCo's simulate: right moves, left rotates, middle zooms;
 * shift: in the horizontal plane. */
static int mouse_action(const view_ui *ui, int shift) {
  if (ui->drag_button == VIEW_BUTTON_RIGHT) return shift ? mjMOUSE_MOVE_H : mjMOUSE_MOVE_V;
  if (ui->drag_button == VIEW_BUTTON_LEFT) return shift ? mjMOUSE_ROTATE_H : mjMOUSE_ROTATE_V;
  return mjMOUSE_ZOOM;
}

static int on_move(view_ui *ui, const view_event *ev, view_cmd *out) {
  double dx = ev->x - ui->x, dy = ev->y - ui->y;
  ui->x = ev->x;
  ui->y = ev->y;
  int h = ui->height > 0 ? ui->height : 1, shift = (ev->mods & VIEW_MOD_SHIFT) != 0;
  switch (ui->drag) {
  case VIEW_DRAG_TIMELINE:
    return push(out, 0, VIEW_CMD_SCRUB, 0, timeline_frac(ui, ev->x), 0);
  case VIEW_DRAG_CAMERA:
    return push(out, 0, VIEW_CMD_CAM_MOVE, mouse_action(ui, shift), dx / h, dy / h);
  case VIEW_DRAG_PERTURB:
    return push(out, 0, VIEW_CMD_PERT_MOVE, mouse_action(ui, shift), dx / h, dy / h);
  default:
    return 0;
  }
}

int view_ui_event(view_ui *ui, const view_event *ev, view_cmd *out) {
  switch (ev->type) {
  case VIEW_EV_KEY:
    return on_key(ui, ev->key, ev->mods, out);
  case VIEW_EV_BUTTON:
    return on_button(ui, ev, out);
  case VIEW_EV_MOVE:
    return on_move(ui, ev, out);
  case VIEW_EV_SCROLL: /* as simulate: one notch zooms by 5% of the height */
    return push(out, 0, VIEW_CMD_CAM_MOVE, mjMOUSE_ZOOM, 0, -0.05 * ev->y);
  default:
    return 0;
  }
}

/* ------------------------------------------------------------------ key names */
static const struct {
  const char *name;
  int code;
} key_names[] = {
    {"space", GLFW_KEY_SPACE},    {"escape", GLFW_KEY_ESCAPE},   {"esc", GLFW_KEY_ESCAPE},
    {"right", GLFW_KEY_RIGHT},    {"left", GLFW_KEY_LEFT},       {"up", GLFW_KEY_UP},
    {"down", GLFW_KEY_DOWN},      {"home", GLFW_KEY_HOME},       {"end", GLFW_KEY_END},
    {"pageup", GLFW_KEY_PAGE_UP}, {"pagedown", GLFW_KEY_PAGE_DOWN}, {"plus", GLFW_KEY_EQUAL},
    {"+", GLFW_KEY_EQUAL},        {"minus", GLFW_KEY_MINUS},     {"-", GLFW_KEY_MINUS},
    {"[", GLFW_KEY_LEFT_BRACKET}, {"]", GLFW_KEY_RIGHT_BRACKET}, {"F1", GLFW_KEY_F1},
    {"tab", GLFW_KEY_TAB},
};

int view_key_code(const char *name) {
  for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
    if (!strcasecmp(name, key_names[i].name)) return key_names[i].code;
  if (strlen(name) == 1) {
    char c = name[0];
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return c; /* GLFW_KEY_A = 'A', GLFW_KEY_0 = '0' */
  }
  return -1;
}

/* ------------------------------------------------------------------ scripts */
static int parse_mods(char **tok, int ntok, int from, view_event *ev, const char *file, int line, sgp_err *e) {
  for (int i = from; i < ntok; i++) {
    if (!strcmp(tok[i], "shift")) ev->mods |= VIEW_MOD_SHIFT;
    else if (!strcmp(tok[i], "ctrl")) ev->mods |= VIEW_MOD_CTRL;
    else if (!strcmp(tok[i], "double") && ev->type == VIEW_EV_BUTTON) ev->dblclick = 1;
    else return sgp_fail(e, "%s:%d: '%s': expected shift, ctrl%s", file, line, tok[i], ev->type == VIEW_EV_BUTTON ? " or double" : "");
  }
  return 0;
}

static int parse_num(const char *s, double *v) {
  char *end;
  *v = strtod(s, &end);
  return end != s && *end == 0 && *v == *v && *v - *v == 0 ? 0 : -1;
}

/* One line "FRAME WHAT ARGS..." into (frame, event). 1: a blank line or comment. */
static int parse_line(char *s, const char *file, int line, long *frame, view_event *ev, sgp_err *e) {
  char *hash = strchr(s, '#');
  if (hash) *hash = 0;
  char *tok[12];
  int ntok = 0;
  for (char *p = strtok(s, " \t\r"); p && ntok < 12; p = strtok(NULL, " \t\r")) tok[ntok++] = p;
  if (ntok == 0) return 1;
  char *end;
  *frame = strtol(tok[0], &end, 10);
  if (*end || *frame < 0 || *frame > 100000000)
    return sgp_fail(e, "%s:%d: '%s': expected a frame number >= 0", file, line, tok[0]);
  memset(ev, 0, sizeof *ev);
  if (ntok >= 3 && !strcmp(tok[1], "key")) {
    ev->type = VIEW_EV_KEY;
    if ((ev->key = view_key_code(tok[2])) < 0) return sgp_fail(e, "%s:%d: '%s': unknown key name", file, line, tok[2]);
    return parse_mods(tok, ntok, 3, ev, file, line, e);
  }
  if (ntok >= 5 && (!strcmp(tok[1], "press") || !strcmp(tok[1], "release"))) {
    ev->type = VIEW_EV_BUTTON;
    ev->press = tok[1][0] == 'p';
    ev->button = !strcmp(tok[2], "left") ? VIEW_BUTTON_LEFT : !strcmp(tok[2], "right") ? VIEW_BUTTON_RIGHT
               : !strcmp(tok[2], "middle") ? VIEW_BUTTON_MIDDLE : -1;
    if (ev->button < 0) return sgp_fail(e, "%s:%d: '%s': expected left, right or middle", file, line, tok[2]);
    if (parse_num(tok[3], &ev->x) || parse_num(tok[4], &ev->y))
      return sgp_fail(e, "%s:%d: expected the pixel X Y after the button", file, line);
    return parse_mods(tok, ntok, 5, ev, file, line, e);
  }
  if (ntok >= 4 && !strcmp(tok[1], "move")) {
    ev->type = VIEW_EV_MOVE;
    if (parse_num(tok[2], &ev->x) || parse_num(tok[3], &ev->y))
      return sgp_fail(e, "%s:%d: expected the pixel X Y after move", file, line);
    return parse_mods(tok, ntok, 4, ev, file, line, e);
  }
  if (ntok == 3 && !strcmp(tok[1], "scroll")) {
    ev->type = VIEW_EV_SCROLL;
    if (parse_num(tok[2], &ev->y)) return sgp_fail(e, "%s:%d: expected a number after scroll", file, line);
    return 0;
  }
  return sgp_fail(e, "%s:%d: expected 'FRAME key NAME', 'FRAME press|release BUTTON X Y', 'FRAME move X Y' "
                     "or 'FRAME scroll DY'", file, line);
}

int view_script_parse(const char *text, const char *file, view_script *out, sgp_err *e) {
  view_script s = {0, NULL, NULL};
  int cap = 0, line = 0, rc = 0;
  const char *p = text;
  while (*p && !rc) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    char *buf = malloc(len + 1);
    if (!buf) return sgp_fail(e, "%s: out of memory", file);
    memcpy(buf, p, len);
    buf[len] = 0;
    line++;
    long frame;
    view_event ev;
    int r = parse_line(buf, file, line, &frame, &ev, e);
    free(buf);
    if (r < 0) {
      rc = -1;
    } else if (r == 0) {
      if (s.n == cap) {
        cap = cap ? 2 * cap : 16;
        s.frame = realloc(s.frame, sizeof(int) * (size_t)cap);
        s.ev = realloc(s.ev, sizeof(view_event) * (size_t)cap);
        if (!s.frame || !s.ev) rc = sgp_fail(e, "%s: out of memory", file);
      }
      if (!rc) {
        int i = s.n++; /* insertion keeps equal frames in file order */
        while (i > 0 && s.frame[i - 1] > frame) {
          s.frame[i] = s.frame[i - 1];
          s.ev[i] = s.ev[i - 1];
          i--;
        }
        s.frame[i] = (int)frame;
        s.ev[i] = ev;
      }
    }
    p = nl ? nl + 1 : p + len;
  }
  if (rc) {
    view_script_free(&s);
    return -1;
  }
  *out = s;
  return 0;
}

void view_script_free(view_script *s) {
  free(s->frame);
  free(s->ev);
  memset(s, 0, sizeof *s);
}
