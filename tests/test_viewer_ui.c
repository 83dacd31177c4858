// ctest-labels: unit viewer
/* The viewer's input layer without a window (viewer/view_ui.c, compiled in here): every key of the
 * documented key table (view_keys, the F1 panel and docs/viewer.md) does what the table says;
 * the mouse drives the camera as MuJoCo's simulate does (relative motion over the height, the
 * mjtMouse action of the button and shift); Ctrl+drag starts, moves and ends a perturbation of
 * the kind simulate uses (right: translate, left: rotate); the timeline bar scrubs by the
 * fraction of its width; --events scripts parse into the same events, with errors naming the
 * file and line; and docs/viewer.md's key table is this table. */
#include "viewer/view_ui.c"

#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int key(view_ui *ui, const char *name, view_cmd *out) {
  view_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = VIEW_EV_KEY;
  ev.key = view_key_code(name);
  CHECK(ev.key >= 0, "key name '%s' is known", name);
  return view_ui_event(ui, &ev, out);
}

static int one(view_ui *ui, const char *name, view_cmd_kind kind, int arg) {
  view_cmd c[VIEW_MAX_CMDS];
  int n = key(ui, name, c);
  return n == 1 && c[0].kind == kind && c[0].arg == arg;
}

static void test_keys(void) {
  view_ui ui;
  view_ui_init(&ui, 0);
  CHECK(ui.info && !ui.help && ui.plan && ui.cand && ui.action && ui.data && ui.plots == 0 && !ui.paused &&
            ui.speed == 1, "defaults: information on, help and plots off, playing at 1x");
  view_cmd c[VIEW_MAX_CMDS];
  struct {
    const char *key;
    int *field;
  } toggles[] = {{"space", &ui.paused}, {"F1", &ui.help}, {"H", &ui.help}, {"I", &ui.info},
                 {"P", &ui.plan},      {"C", &ui.cand},  {"A", &ui.action}, {"D", &ui.data}};
  for (size_t i = 0; i < sizeof toggles / sizeof toggles[0]; i++) {
    int before = *toggles[i].field, n1 = key(&ui, toggles[i].key, c), mid = *toggles[i].field;
    int n2 = key(&ui, toggles[i].key, c);
    CHECK(n1 == 0 && n2 == 0 && mid == !before && *toggles[i].field == before, "%s toggles (and back)", toggles[i].key);
  }
  for (int p = 0; p < VIEW_NPLOTS; p++) {
    char name[2] = {(char)('1' + p), 0};
    key(&ui, name, c);
    CHECK(ui.plots == (1u << p), "%s shows plot %d alone (plots 0x%x)", name, p, ui.plots);
    key(&ui, name, c);
    CHECK(ui.plots == 0, "%s again hides it", name);
  }
  key(&ui, "2", c), key(&ui, "5", c);
  unsigned two = ui.plots;
  key(&ui, "0", c);
  CHECK(ui.plots == 0, "0 hides every plot");
  key(&ui, "0", c);
  CHECK(ui.plots == two && two == ((1u << VIEW_PLOT_ACTION) | (1u << VIEW_PLOT_TIME)), "0 again brings them back");
  for (int i = 0; i < 10; i++) key(&ui, "+", c);
  CHECK(ui.speed == 64, "+ doubles the speed up to 64 (%g)", ui.speed);
  for (int i = 0; i < 20; i++) key(&ui, "-", c);
  CHECK(fabs(ui.speed - 1.0 / 64) < 1e-15, "- halves it down to 1/64 (%g)", ui.speed);
  ui.paused = 0;
  CHECK(one(&ui, "right", VIEW_CMD_STEP, 1) && ui.paused, "right: one step forward, paused");
  CHECK(one(&ui, "left", VIEW_CMD_STEP, -1), "left: one step back");
  CHECK(one(&ui, "home", VIEW_CMD_JUMP, -1) && one(&ui, "end", VIEW_CMD_JUMP, 1), "Home / End: first / last step");
  CHECK(one(&ui, "pageup", VIEW_CMD_EPISODE, -1) && one(&ui, "pagedown", VIEW_CMD_EPISODE, 1), "PgUp / PgDn: episodes");
  CHECK(one(&ui, "R", VIEW_CMD_RESTART, 0), "R restarts");
  CHECK(one(&ui, "F", VIEW_CMD_CAM_RESET, 0) && one(&ui, "T", VIEW_CMD_CAM_TRACK, 0), "F resets, T tracks");
  CHECK(one(&ui, "]", VIEW_CMD_CAM_CYCLE, 1) && one(&ui, "[", VIEW_CMD_CAM_CYCLE, -1), "[ ] cycle the cameras");
  CHECK(one(&ui, "S", VIEW_CMD_SCREENSHOT, 0), "S: screenshot");
  CHECK(one(&ui, "esc", VIEW_CMD_QUIT, 0), "Esc quits");
  view_ui before = ui;
  CHECK(key(&ui, "Q", c) == 0 && memcmp(&before, &ui, sizeof ui) == 0, "an unbound key changes nothing");
}

/* Every key the table documents does something (a state change or a command). */
static void test_table(void) {
  int keys = 0, worked = 0;
  for (int i = 0; view_keys[i].keys; i++) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", view_keys[i].keys);
    for (char *save = NULL, *t = strtok_r(buf, " /", &save); t; t = strtok_r(NULL, " /", &save)) {
      if (!strcmp(t, "or") || view_key_code(t) < 0) continue; /* "mouse", "Ctrl+drag", ... */
      view_ui ui, before;
      view_ui_init(&ui, 0);
      before = ui;
      view_cmd c[VIEW_MAX_CMDS];
      int n = key(&ui, t, c);
      keys++;
      if (n > 0 || memcmp(&ui, &before, sizeof ui)) worked++;
      else fprintf(stderr, "FAIL key '%s' of row '%s' does nothing\n", t, view_keys[i].keys);
    }
  }
  CHECK(keys >= 25 && worked == keys, "every documented key acts: %d of %d", worked, keys);
}

/* docs/viewer.md lists every row of the table as "| keys | what |". */
static void test_docs(void) {
  char *path = sgp_path_join(tu_source_dir(), "docs/viewer.md");
  void *buf = NULL;
  size_t len = 0;
  sgp_err e;
  if (sgp_read_file(path, &buf, &len, 1 << 20, &e)) {
    CHECK(0, "read %s: %s", path, e.msg);
    free(path);
    return;
  }
  int rows = 0, found = 0;
  for (int i = 0; view_keys[i].keys; i++) {
    char row[256];
    snprintf(row, sizeof row, "| %s | %s |", view_keys[i].keys, view_keys[i].what);
    rows++;
    if (strstr(buf, row)) found++;
    else fprintf(stderr, "FAIL docs/viewer.md lacks the row %s\n", row);
  }
  CHECK(found == rows, "docs/viewer.md has the %d rows of the key table (%d found)", rows, found);
  free(buf);
  free(path);
}

static view_event mouse(view_ev_type type, int button, int press, int mods, double x, double y) {
  view_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type, ev.button = button, ev.press = press, ev.mods = mods, ev.x = x, ev.y = y;
  return ev;
}

static void test_mouse(void) {
  view_ui ui;
  view_ui_init(&ui, 1);
  ui.width = 800, ui.height = 600;
  view_cmd c[VIEW_MAX_CMDS];
  struct {
    int button, mods, action;
  } drags[] = {{VIEW_BUTTON_LEFT, 0, mjMOUSE_ROTATE_V}, {VIEW_BUTTON_LEFT, VIEW_MOD_SHIFT, mjMOUSE_ROTATE_H},
               {VIEW_BUTTON_RIGHT, 0, mjMOUSE_MOVE_V},   {VIEW_BUTTON_RIGHT, VIEW_MOD_SHIFT, mjMOUSE_MOVE_H},
               {VIEW_BUTTON_MIDDLE, 0, mjMOUSE_ZOOM}};
  double worst = 0;
  for (size_t i = 0; i < sizeof drags / sizeof drags[0]; i++) {
    view_event ev = mouse(VIEW_EV_BUTTON, drags[i].button, 1, 0, 100, 100);
    CHECK(view_ui_event(&ui, &ev, c) == 0, "a press alone moves nothing");
    ev = mouse(VIEW_EV_MOVE, 0, 0, drags[i].mods, 130, 85);
    int n = view_ui_event(&ui, &ev, c);
    CHECK(n == 1 && c[0].kind == VIEW_CMD_CAM_MOVE && c[0].arg == drags[i].action, "drag %zu: camera action %d", i,
          drags[i].action);
    worst = fmax(worst, fmax(fabs(c[0].a - 30.0 / 600), fabs(c[0].b + 15.0 / 600)));
    ev = mouse(VIEW_EV_BUTTON, drags[i].button, 0, 0, 130, 85);
    view_ui_event(&ui, &ev, c);
    ev = mouse(VIEW_EV_MOVE, 0, 0, 0, 150, 95);
    CHECK(view_ui_event(&ui, &ev, c) == 0, "after the release a move does nothing");
  }
  CHECK_WORST("camera motion = pixel motion / height (as MuJoCo's simulate)", worst, 1e-15);
  view_event ev = {VIEW_EV_SCROLL, 0, 0, 0, 0, 0, 0, 2};
  int n = view_ui_event(&ui, &ev, c);
  CHECK(n == 1 && c[0].kind == VIEW_CMD_CAM_MOVE && c[0].arg == mjMOUSE_ZOOM && c[0].b == -0.1, "wheel: zoom by 5%% a notch");
  ev = mouse(VIEW_EV_BUTTON, VIEW_BUTTON_LEFT, 1, 0, 50, 60);
  ev.dblclick = 1;
  n = view_ui_event(&ui, &ev, c);
  CHECK(n == 1 && c[0].kind == VIEW_CMD_SELECT && c[0].a == 50 && c[0].b == 60, "double-click selects the body there");
  ev = mouse(VIEW_EV_BUTTON, VIEW_BUTTON_LEFT, 0, 0, 50, 60);
  view_ui_event(&ui, &ev, c);
}

static void test_perturb(void) {
  view_ui ui;
  view_ui_init(&ui, 1);
  ui.width = 800, ui.height = 600;
  view_cmd c[VIEW_MAX_CMDS];
  int kinds[2][2] = {{VIEW_BUTTON_RIGHT, mjPERT_TRANSLATE}, {VIEW_BUTTON_LEFT, mjPERT_ROTATE}};
  for (int i = 0; i < 2; i++) {
    view_event ev = mouse(VIEW_EV_BUTTON, kinds[i][0], 1, VIEW_MOD_CTRL, 300, 200);
    int n = view_ui_event(&ui, &ev, c);
    CHECK(n == 1 && c[0].kind == VIEW_CMD_PERT_BEGIN && c[0].arg == kinds[i][1] && c[0].a == 300 && c[0].b == 200,
          "Ctrl+%s press: perturbation %d of the body at the cursor", i ? "left" : "right", kinds[i][1]);
    ev = mouse(VIEW_EV_MOVE, 0, 0, 0, 360, 200);
    n = view_ui_event(&ui, &ev, c);
    CHECK(n == 1 && c[0].kind == VIEW_CMD_PERT_MOVE && c[0].arg == (i ? mjMOUSE_ROTATE_V : mjMOUSE_MOVE_V) &&
              fabs(c[0].a - 0.1) < 1e-15 && c[0].b == 0,
          "the drag moves the perturbation (%g, %g), not the camera", c[0].a, c[0].b);
    ev = mouse(VIEW_EV_BUTTON, kinds[i][0], 0, 0, 360, 200);
    n = view_ui_event(&ui, &ev, c);
    CHECK(n == 1 && c[0].kind == VIEW_CMD_PERT_END, "the release ends it");
  }
}

static void test_timeline(void) {
  view_ui ui;
  view_ui_init(&ui, 0);
  ui.width = 800, ui.height = 600;
  ui.tl_x0 = 8, ui.tl_x1 = 792, ui.tl_y0 = 582, ui.tl_y1 = 592;
  view_cmd c[VIEW_MAX_CMDS];
  view_event ev = mouse(VIEW_EV_BUTTON, VIEW_BUTTON_LEFT, 1, 0, 8 + 0.25 * 784, 587);
  int n = view_ui_event(&ui, &ev, c);
  CHECK(n == 1 && c[0].kind == VIEW_CMD_SCRUB && fabs(c[0].a - 0.25) < 1e-15 && ui.paused, "a click on the bar at 1/4: "
        "scrub to 0.25 (%g), paused", c[0].a);
  ev = mouse(VIEW_EV_MOVE, 0, 0, 0, 2000, 300);
  n = view_ui_event(&ui, &ev, c);
  CHECK(n == 1 && c[0].kind == VIEW_CMD_SCRUB && c[0].a == 1, "dragging past the end holds at 1");
  ev = mouse(VIEW_EV_MOVE, 0, 0, 0, -50, 300);
  n = view_ui_event(&ui, &ev, c);
  CHECK(n == 1 && c[0].a == 0, "and before the start at 0");
  ev = mouse(VIEW_EV_BUTTON, VIEW_BUTTON_LEFT, 0, 0, -50, 300);
  view_ui_event(&ui, &ev, c);
  ev = mouse(VIEW_EV_BUTTON, VIEW_BUTTON_LEFT, 1, 0, 400, 300);
  n = view_ui_event(&ui, &ev, c);
  CHECK(n == 0 && ui.drag == VIEW_DRAG_CAMERA, "a press above the bar rotates the camera instead");
}

static void test_script(void) {
  const char *text = "# a comment\n"
                     "5 key space\n"
                     "2 press right 10 20 ctrl\n"
                     "2 move 30.5 20   # pull\n"
                     "\n"
                     "3 release right 30.5 20\n"
                     "0 key F1\n"
                     "4 scroll -1\n"
                     "2 press left 1 2 shift double\n";
  view_script s;
  sgp_err e;
  int rc = view_script_parse(text, "ev.txt", &s, &e);
  CHECK(rc == 0, "a good script parses: %s", rc ? e.msg : "");
  if (!rc) {
    int frames[] = {0, 2, 2, 2, 3, 4, 5};
    int ok = s.n == 7;
    for (int i = 0; ok && i < 7; i++) ok = s.frame[i] == frames[i];
    CHECK(ok, "7 events sorted by frame, equal frames in file order");
    CHECK(ok && s.ev[0].type == VIEW_EV_KEY && s.ev[0].key == GLFW_KEY_F1, "0 key F1");
    CHECK(ok && s.ev[1].type == VIEW_EV_BUTTON && s.ev[1].button == VIEW_BUTTON_RIGHT && s.ev[1].press &&
              s.ev[1].mods == VIEW_MOD_CTRL && s.ev[1].x == 10 && s.ev[1].y == 20, "2 press right 10 20 ctrl");
    CHECK(ok && s.ev[2].type == VIEW_EV_MOVE && s.ev[2].x == 30.5, "2 move 30.5 20 (comment after it)");
    CHECK(ok && s.ev[3].dblclick && s.ev[3].mods == VIEW_MOD_SHIFT, "2 press left ... shift double");
    CHECK(ok && s.ev[5].type == VIEW_EV_SCROLL && s.ev[5].y == -1, "4 scroll -1");
    view_script_free(&s);
  }
  struct {
    const char *text, *want;
  } bad[] = {{"1 key nosuch\n", "ev.txt:1: 'nosuch': unknown key name"},
             {"x key A\n", "ev.txt:1: 'x': expected a frame number"},
             {"\n\n2 press up 1 2\n", "ev.txt:3: 'up': expected left, right or middle"},
             {"1 move 1\n", "ev.txt:1: expected 'FRAME key NAME'"},
             {"1 key A alt\n", "ev.txt:1: 'alt': expected shift, ctrl"},
             {"1 press left 1 nan\n", "ev.txt:1: expected the pixel X Y"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&e, 0, sizeof e);
    rc = view_script_parse(bad[i].text, "ev.txt", &s, &e);
    CHECK(rc == -1 && strstr(e.msg, bad[i].want), "rejected with '%s': %s", bad[i].want, e.msg);
  }
}

int main(void) {
  test_keys();
  test_table();
  test_docs();
  test_mouse();
  test_perturb();
  test_timeline();
  test_script();
  return tu_done("test_viewer_ui");
}
