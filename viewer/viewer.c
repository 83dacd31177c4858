/* The viewer's window and rendering (viewer/viewer.h): GLFW 3 for the window and input, MuJoCo
 * 2.2.2's mjv_/mjr_ for the scene. The layout follows MuJoCo's simulate sample: a free camera
 * moved with the mouse, mjv_updateScene from a private mjData, extra geoms appended to the
 * abstract scene (here the trajectories, as capsules made by mjv_makeConnector), mjr_render, then
 * 2-D overlays (mjr_overlay text, mjr_drawPixels for the environment's image panels).
 *
 * Recording never shows a window: a hidden GLFW window provides the OpenGL context and every
 * frame is rendered into MuJoCo's offscreen framebuffer (mjFB_OFFSCREEN, sized to the frame by a
 * private copy of the model's visual options), read back with mjr_readPixels and written as PPM. */
#include "viewer/viewer.h"

#include <GLFW/glfw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_MAX_EXTRA 30000 /* geoms we add on top of the model's */

/* colours of what we draw (kept in sync with docs/viewer.md) */
static const float COL_EXEC[4] = {0.95f, 0.10f, 0.08f, 1.0f};  /* executed trajectory: red */
static const float COL_PLAN[4] = {0.85f, 0.05f, 0.90f, 1.0f};  /* current plan: magenta */
static const float COL_CAND[4] = {0.10f, 0.65f, 0.95f, 0.25f}; /* candidate rollouts: faint cyan */

typedef struct viewer {
  const view_opts *o;
  sgp_env *env;
  const view_rollout *ro;
  char note[256];
  env_overlay ov[ENV_MAX_OVERLAYS]; /* the environment's overlays */
  int nov;

  /* rendering: a private copy of the model (visual options, offscreen size) and data */
  mjModel *m;
  mjData *d;
  const mjModel *em; /* the environment's model and data (set_state writes them) */
  mjData *ed;
  mjvCamera cam;
  mjvOption opt;
  mjvScene scn;
  mjrContext con;
  int have_scene, have_con;
  GLFWwindow *win;
  int glfw_up; /* glfwInit succeeded */
  int recording;

  /* playback: step t of the rollout, or of the live history */
  int t, paused;
  double speed, acc, last_time;
  int show_plan, show_cand;
  char status[256];

  /* live mode: the states visited so far (stepped with zero action) */
  int nhist, caphist;
  double *hist, *hist_p, *hist_ret;
  double *u0;

  /* mouse */
  int bl, bm, br;
  double lastx, lasty;

  /* image overlays: one RGB buffer, as large as the largest panel */
  unsigned char *panel;
} viewer;

/* ------------------------------------------------------------------ state and history */
static int nsteps(const viewer *v) { return v->ro ? v->ro->steps : v->nhist - 1; }
static const double *state_at(const viewer *v, int t) {
  return v->ro ? v->ro->x + (size_t)t * v->ro->nx : v->hist + (size_t)t * v->env->spec.nx;
}

/* Puts the environment in state t and copies its positions into the viewer's data. */
static int show_state(viewer *v, int t, sgp_err *e) {
  v->env->t = t;
  if (env_set_state(v->env, state_at(v, t), e)) return -1;
  mju_copy(v->d->qpos, v->ed->qpos, v->m->nq);
  mju_copy(v->d->qvel, v->ed->qvel, v->m->nv);
  v->d->time = v->ed->time;
  mj_forward(v->m, v->d);
  v->t = t;
  return 0;
}

static void hist_push(viewer *v, const double *x, double ret) {
  int nx = v->env->spec.nx;
  if (v->nhist == v->caphist) {
    v->caphist = v->caphist ? 2 * v->caphist : 64;
    v->hist = sgp_realloc(v->hist, sizeof(double) * (size_t)v->caphist * nx);
    v->hist_p = sgp_realloc(v->hist_p, sizeof(double) * 3 * (size_t)v->caphist);
    v->hist_ret = sgp_realloc(v->hist_ret, sizeof(double) * (size_t)v->caphist);
  }
  memcpy(v->hist + (size_t)v->nhist * nx, x, sizeof(double) * nx);
  view_point(v->env, x, v->hist_p + 3 * (size_t)v->nhist);
  v->hist_ret[v->nhist] = ret;
  v->nhist++;
}

static int live_reset(viewer *v, sgp_err *e) {
  double *x0 = sgp_malloc(sizeof(double) * v->env->spec.nx);
  int rc = env_reset(v->env, 0, x0, e);
  if (!rc) {
    v->nhist = 0;
    hist_push(v, x0, 0);
    rc = show_state(v, 0, e);
  }
  free(x0);
  return rc;
}

/* One control period with zero action from the last visited state (live mode). */
static int live_step(viewer *v, sgp_err *e) {
  int nx = v->env->spec.nx;
  double *x = sgp_malloc(sizeof(double) * nx), r = 0;
  int term = 0, rc = show_state(v, v->nhist - 1, e);
  if (!rc) rc = env_step(v->env, v->u0, x, &r, &term, e);
  if (!rc) {
    hist_push(v, x, v->hist_ret[v->nhist - 1] + r);
    rc = show_state(v, v->nhist - 1, e);
  }
  free(x);
  return rc;
}

/* Moves to step t (clamped); in live mode stepping past the end simulates. */
static void go_to(viewer *v, int t) {
  sgp_err e;
  if (t < 0) t = 0;
  if (!v->ro && t > nsteps(v)) {
    if (live_step(v, &e)) {
      snprintf(v->status, sizeof v->status, "%.250s", e.msg);
      v->paused = 1;
    }
    return;
  }
  if (t > nsteps(v)) t = nsteps(v);
  if (show_state(v, t, &e)) {
    snprintf(v->status, sizeof v->status, "%.250s", e.msg);
    v->paused = 1;
  }
}

/* ------------------------------------------------------------------ scene */
static int add_geom_ok(const mjvScene *scn, const double *a) {
  return scn->ngeom < scn->maxgeom && isfinite(a[0]) && isfinite(a[1]) && isfinite(a[2]);
}

static void finish_geom(mjvScene *scn, mjvGeom *g) {
  g->category = mjCAT_DECOR;
  g->objtype = mjOBJ_UNKNOWN;
  g->objid = -1;
  g->segid = scn->ngeom;
  g->emission = 0.7f; /* nearly flat colour: the trajectory colours read the same from any side */
  g->specular = 0;
  g->shininess = 0;
  g->reflectance = 0;
  scn->ngeom++;
}

static void add_segment(mjvScene *scn, const double *a, const double *b, double width,
                        const float rgba[4]) {
  if (!add_geom_ok(scn, a) || !add_geom_ok(scn, b)) return;
  double dx = b[0] - a[0], dy = b[1] - a[1], dz = b[2] - a[2];
  if (dx * dx + dy * dy + dz * dz < 1e-14) return;
  mjvGeom *g = scn->geoms + scn->ngeom;
  mjv_initGeom(g, mjGEOM_CAPSULE, NULL, NULL, NULL, rgba);
  mjv_makeConnector(g, mjGEOM_CAPSULE, width, a[0], a[1], a[2], b[0], b[1], b[2]);
  finish_geom(scn, g);
}

static void add_sphere(mjvScene *scn, const double *p, double radius, const float rgba[4]) {
  if (!add_geom_ok(scn, p)) return;
  mjvGeom *g = scn->geoms + scn->ngeom;
  mjtNum size[3] = {radius, radius, radius};
  mjv_initGeom(g, mjGEOM_SPHERE, size, p, NULL, rgba);
  finish_geom(scn, g);
}

static void add_polyline(mjvScene *scn, const double *p, int n, double width, const float rgba[4]) {
  for (int i = 0; i + 1 < n; i++) add_segment(scn, p + 3 * i, p + 3 * (i + 1), width, rgba);
}

/* Line radius in scene units: proportional to the camera distance, so lines keep their width on
 * screen (about 2 pixels at 800x600) whatever the zoom. */
static double line_width(const viewer *v) { return 0.0024 * v->cam.distance; }

static void add_trajectories(viewer *v) {
  mjvScene *scn = &v->scn;
  double w = line_width(v);
  const view_rollout *ro = v->ro;
  int t = v->t;
  /* the executed path first, then the plan, then the candidates: when there are more candidates
   * than the scene holds, the last ones are dropped, never the rest (MuJoCo sorts transparent
   * geoms itself, so the order does not change the picture) */
  const double *xp = ro ? ro->xp : v->hist_p;
  add_polyline(scn, xp, t + 1, w, COL_EXEC);
  add_sphere(scn, xp + 3 * t, 1.3 * w, COL_EXEC);
  if (ro && v->show_plan && ro->plan_p && t < ro->steps) {
    const double *p = ro->plan_p + (size_t)t * (ro->H + 1) * 3;
    add_polyline(scn, p, ro->H + 1, 0.8 * w, COL_PLAN);
    for (int k = 1; k <= ro->H; k++) add_sphere(scn, p + 3 * k, 1.4 * w, COL_PLAN);
    if (ro->plan_m) /* the marks of every planned state (a box's keypoints): the plan's shape */
      for (int k = 1; k <= ro->H; k++)
        for (int j = 0; j < ro->K; j++)
          add_sphere(scn, ro->plan_m + (((size_t)t * (ro->H + 1) + k) * ro->K + j) * 3, (k == ro->H ? 1.6 : 0.9) * w, COL_PLAN);
  }
  if (ro && v->show_cand && ro->cand_p && t < ro->steps) {
    size_t stride = (size_t)(ro->HC + 1) * 3;
    for (int c = 0; c < ro->M; c++)
      add_polyline(scn, ro->cand_p + ((size_t)t * ro->M + c) * stride, ro->HC + 1, 0.4 * w, COL_CAND);
  }
}

/* The environment's spheres and disks (flat cylinders). */
static void add_env_overlays(viewer *v) {
  mjvScene *scn = &v->scn;
  for (int i = 0; i < v->nov; i++) {
    const env_overlay *o = &v->ov[i];
    if (o->kind == ENV_OVERLAY_SPHERE) {
      add_sphere(scn, o->pos, o->size, o->rgba);
    } else if (o->kind == ENV_OVERLAY_DISK && add_geom_ok(scn, o->pos)) {
      mjvGeom *g = scn->geoms + scn->ngeom;
      mjtNum size[3] = {o->size, o->size, 0.001};
      mjv_initGeom(g, mjGEOM_CYLINDER, size, o->pos, NULL, o->rgba);
      finish_geom(scn, g);
    }
  }
}

/* ------------------------------------------------------------------ 2-D overlays */
static void draw_overlay(viewer *v, mjrRect vp) {
  char l[1024], r[1024];
  const env_spec *s = &v->env->spec;
  int T = nsteps(v);
  double ret = v->ro ? v->ro->ret[v->t] : v->hist_ret[v->t];
  int n = snprintf(l, sizeof l, "env\n"), k = 0;
  k += snprintf(r + k, sizeof r - k, "%s (nx %d, nu %d, dt %g s)\n", s->name, s->nx, s->nu, s->dt);
  if (v->ro) {
    n += snprintf(l + n, sizeof l - n, "rollout\n");
    k += snprintf(r + k, sizeof r - k, "%s  episode %d\n", v->ro->dir, v->ro->episode);
  }
  n += snprintf(l + n, sizeof l - n, "step\nreturn\nspeed\n");
  k += snprintf(r + k, sizeof r - k, "%d / %d%s\n", v->t, T, v->ro ? "" : "  (live, zero action)");
  if (v->ro && v->t == T)
    k += snprintf(r + k, sizeof r - k, "%.3f  (episode)   terminal cost %.4g\n", ret, v->ro->final_cost);
  else
    k += snprintf(r + k, sizeof r - k, "%.3f  (so far)\n", ret);
  k += snprintf(r + k, sizeof r - k, "%gx%s\n", v->speed, v->paused ? "  PAUSED" : "");
  if (v->env->ops->view_point) {
    n += snprintf(l + n, sizeof l - n, "colours\n");
    k += snprintf(r + k, sizeof r - k, "red: executed%s%s\n",
                  v->ro && v->ro->plan_p ? "   magenta: plan at this step" : "",
                  v->ro && v->ro->cand_p ? "   cyan: candidates" : "");
  }
  if (v->note[0]) {
    n += snprintf(l + n, sizeof l - n, "note\n");
    k += snprintf(r + k, sizeof r - k, "%s\n", v->note);
  }
  if (v->status[0]) {
    n += snprintf(l + n, sizeof l - n, "!\n");
    k += snprintf(r + k, sizeof r - k, "%s\n", v->status);
  }
  if (n > 0 && l[n - 1] == '\n') l[n - 1] = 0;
  if (k > 0 && r[k - 1] == '\n') r[k - 1] = 0;
  mjr_overlay(mjFONT_NORMAL, mjGRID_TOPLEFT, vp, l, r, &v->con);
  if (!v->recording)
    mjr_overlay(mjFONT_NORMAL, mjGRID_BOTTOMLEFT, vp,
                "space\nleft / right\n+ / -\nR\nP / C\nmouse\nEsc",
                "pause / play\nstep back / forward\nspeed\nrestart\nplan / candidates on-off\n"
                "left: rotate, right: move, middle / wheel: zoom\nquit",
                &v->con);
}

/* Side of the square panel of an image overlay in screen pixels: a quarter of the frame's shorter
 * side, a whole number of pixels per cell. */
static int panel_side(const viewer *v, const env_overlay *o) {
  int side = (v->o->width < v->o->height ? v->o->width : v->o->height) / 4;
  int big = o->w > o->h ? o->w : o->h, cell = side / big > 1 ? side / big : 1;
  return cell * big;
}

/* One image overlay (w×h state values, row 0 = top) upscaled into a panel whose top-right corner
 * is at (right, top) in the viewport. Returns the panel's height with its frame and caption. */
static int draw_image(viewer *v, const env_overlay *o, int right, int top) {
  int P = panel_side(v, o), big = o->w > o->h ? o->w : o->h, cell = P / big;
  int W = cell * o->w, H = cell * o->h;
  const double *x = state_at(v, v->t) + o->offset;
  for (int r = 0; r < H; r++)
    for (int c = 0; c < W; c++) {
      int ir = o->h - 1 - (r / cell), ic = c / cell; /* GL rows are bottom-up */
      double val = x[ir * o->w + ic];
      val = val < 0 ? 0 : val > 1 ? 1 : val;
      unsigned char g = (unsigned char)lrint(255 * val);
      unsigned char *px = v->panel + 3 * ((size_t)r * W + c);
      px[0] = px[1] = px[2] = g;
    }
  mjrRect box = {right - W - 2, top - H - 2, W + 4, H + 4};
  mjr_rectangle(box, 0.9f, 0.9f, 0.2f, 1.0f); /* a frame around the image */
  mjrRect img = {box.left + 2, box.bottom + 2, W, H};
  mjr_drawPixels(v->panel, NULL, img, &v->con);
  mjrRect label = {box.left, box.bottom - 30, box.width, 28};
  if (o->label[0]) mjr_overlay(mjFONT_NORMAL, mjGRID_TOPRIGHT, label, o->label, NULL, &v->con);
  return H + 4 + 30;
}

/* The image overlays, stacked down from the top-right corner. */
static void draw_images(viewer *v, mjrRect vp) {
  int margin = 10, top = vp.bottom + vp.height - margin;
  for (int i = 0; i < v->nov; i++)
    if (v->ov[i].kind == ENV_OVERLAY_IMAGE) top -= draw_image(v, &v->ov[i], vp.left + vp.width - margin, top);
}

static void render(viewer *v, mjrRect vp) {
  mjv_updateScene(v->m, v->d, &v->opt, NULL, &v->cam, mjCAT_ALL, &v->scn);
  add_trajectories(v);
  add_env_overlays(v);
  mjr_render(vp, &v->scn, &v->con);
  draw_overlay(v, vp);
  draw_images(v, vp);
}

/* ------------------------------------------------------------------ input (interactive) */
static void on_key(GLFWwindow *w, int key, int scancode, int act, int mods) {
  (void)scancode;
  (void)mods;
  viewer *v = glfwGetWindowUserPointer(w);
  if (act == GLFW_RELEASE) return;
  switch (key) {
  case GLFW_KEY_ESCAPE:
    glfwSetWindowShouldClose(w, 1);
    break;
  case GLFW_KEY_SPACE:
    if (v->paused && v->ro && v->t >= nsteps(v)) go_to(v, 0); /* play again from the start */
    v->paused = !v->paused;
    v->acc = 0;
    break;
  case GLFW_KEY_RIGHT:
    v->paused = 1;
    go_to(v, v->t + 1);
    break;
  case GLFW_KEY_LEFT:
    v->paused = 1;
    go_to(v, v->t - 1);
    break;
  case GLFW_KEY_EQUAL:
  case GLFW_KEY_KP_ADD:
    if (v->speed < 64) v->speed *= 2;
    break;
  case GLFW_KEY_MINUS:
  case GLFW_KEY_KP_SUBTRACT:
    if (v->speed > 1.0 / 64) v->speed /= 2;
    break;
  case GLFW_KEY_R: {
    sgp_err e;
    v->status[0] = 0;
    if (v->ro) go_to(v, 0);
    else if (live_reset(v, &e)) snprintf(v->status, sizeof v->status, "%.250s", e.msg);
    v->acc = 0;
    break;
  }
  case GLFW_KEY_P:
    v->show_plan = !v->show_plan;
    break;
  case GLFW_KEY_C:
    v->show_cand = !v->show_cand;
    break;
  default:
    break;
  }
}

static void on_button(GLFWwindow *w, int button, int act, int mods) {
  (void)button;
  (void)act;
  (void)mods;
  viewer *v = glfwGetWindowUserPointer(w);
  v->bl = glfwGetMouseButton(w, GLFW_MOUSE_BUTTON_LEFT) == GLFW_PRESS;
  v->bm = glfwGetMouseButton(w, GLFW_MOUSE_BUTTON_MIDDLE) == GLFW_PRESS;
  v->br = glfwGetMouseButton(w, GLFW_MOUSE_BUTTON_RIGHT) == GLFW_PRESS;
  glfwGetCursorPos(w, &v->lastx, &v->lasty);
}

/* As in MuJoCo's simulate: left rotates, right translates, middle zooms; shift: horizontal. */
static void on_move(GLFWwindow *w, double x, double y) {
  viewer *v = glfwGetWindowUserPointer(w);
  double dx = x - v->lastx, dy = y - v->lasty;
  v->lastx = x;
  v->lasty = y;
  if (!v->bl && !v->bm && !v->br) return;
  int width, height;
  glfwGetWindowSize(w, &width, &height);
  if (height < 1) return;
  int shift = glfwGetKey(w, GLFW_KEY_LEFT_SHIFT) == GLFW_PRESS ||
              glfwGetKey(w, GLFW_KEY_RIGHT_SHIFT) == GLFW_PRESS;
  int action = v->br ? (shift ? mjMOUSE_MOVE_H : mjMOUSE_MOVE_V)
             : v->bl ? (shift ? mjMOUSE_ROTATE_H : mjMOUSE_ROTATE_V)
                     : mjMOUSE_ZOOM;
  mjv_moveCamera(v->m, action, dx / height, dy / height, &v->scn, &v->cam);
}

static void on_scroll(GLFWwindow *w, double xoff, double yoff) {
  (void)xoff;
  viewer *v = glfwGetWindowUserPointer(w);
  mjv_moveCamera(v->m, mjMOUSE_ZOOM, 0, -0.05 * yoff, &v->scn, &v->cam);
}

/* ------------------------------------------------------------------ setup */
static void default_camera(viewer *v) {
  mjv_defaultFreeCamera(v->m, &v->cam);
  double cam[6];
  if (v->o->has_camera) {
    memcpy(cam, v->o->camera, sizeof cam);
  } else {
    const double *xs = v->ro ? v->ro->x : v->hist;
    int n = v->ro ? v->ro->steps + 1 : v->nhist;
    if (!env_view_camera(v->env, xs, n, (double)v->o->width / v->o->height, v->m->vis.global.fovy, cam))
      return; /* MuJoCo's default free camera */
  }
  for (int i = 0; i < 3; i++) v->cam.lookat[i] = cam[i];
  v->cam.distance = cam[3];
  v->cam.azimuth = cam[4];
  v->cam.elevation = cam[5];
}

static const char *glfw_message(void) {
  const char *desc = NULL;
  glfwGetError(&desc);
  return desc ? desc : "unknown GLFW error";
}

static int check_gl(const viewer *v, sgp_err *e) {
  /* MuJoCo's renderer needs OpenGL 1.5 and framebuffer objects; its own errors would abort. */
  const char *ver = (const char *)glGetString(GL_VERSION);
  int major = 0, minor = 0;
  if (!ver || sscanf(ver, "%d.%d", &major, &minor) != 2 || major * 10 + minor < 15)
    return sgp_fail(e, "cannot render: OpenGL 1.5 or later needed, the context has %s",
                    ver ? ver : "none");
  if (!glfwExtensionSupported("GL_ARB_framebuffer_object") && major < 3)
    return sgp_fail(e, "cannot render: OpenGL has no framebuffer objects (GL_ARB_framebuffer_object)");
  GLint maxrb = 0;
  glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &maxrb);
  if (v->recording && maxrb > 0 && (v->o->width > maxrb || v->o->height > maxrb))
    return sgp_fail(e, "cannot record %dx%d frames: OpenGL's largest buffer is %d pixels", v->o->width,
                    v->o->height, maxrb);
  return 0;
}

static int open_window(viewer *v, sgp_err *e) {
  const char *dpy = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
  if ((!dpy || !*dpy) && (!wl || !*wl))
    return sgp_fail(e, "cannot open a window: no display (set DISPLAY, or use --record under xvfb-run)");
  if (!glfwInit())
    return sgp_fail(e, "cannot open a window: %s (DISPLAY=%s; or use --record under xvfb-run)",
                    glfw_message(), dpy ? dpy : "");
  v->glfw_up = 1;
  glfwWindowHint(GLFW_SAMPLES, 4);
  glfwWindowHint(GLFW_VISIBLE, v->recording ? GLFW_FALSE : GLFW_TRUE);
  char title[256];
  snprintf(title, sizeof title, "sgp view: %s%s%s", v->env->spec.name, v->ro ? "  " : "",
           v->ro ? v->ro->dir : "");
  v->win = glfwCreateWindow(v->recording ? 64 : v->o->width, v->recording ? 64 : v->o->height, title,
                            NULL, NULL);
  if (!v->win) {
    glfwDefaultWindowHints();
    glfwWindowHint(GLFW_VISIBLE, v->recording ? GLFW_FALSE : GLFW_TRUE);
    v->win = glfwCreateWindow(v->recording ? 64 : v->o->width, v->recording ? 64 : v->o->height,
                              title, NULL, NULL); /* retry without multisampling */
  }
  if (!v->win)
    return sgp_fail(e, "cannot open a window: %s", glfw_message());
  glfwMakeContextCurrent(v->win);
  glfwSwapInterval(1);
  return check_gl(v, e);
}

static int setup(viewer *v, const view_opts *o, sgp_err *e) {
  v->o = o;
  v->env = o->env;
  v->ro = o->ro;
  v->recording = o->record != NULL;
  v->speed = o->speed > 0 ? o->speed : 1;
  v->show_plan = v->show_cand = 1;
  v->paused = 0;
  if (view_env_check(v->env, v->ro != NULL, e)) return -1;
  env_mj(v->env, &v->em, &v->ed);
  env_hud_note(v->env, v->note, sizeof v->note);
  if (!v->env->ops->view_point)
    snprintf(v->note + strlen(v->note), sizeof v->note - strlen(v->note), "%sno paths drawn: the environment has no view_point hook",
             v->note[0] ? "; " : "");
  v->nov = env_overlays(v->env, v->ov, ENV_MAX_OVERLAYS);
  v->m = mj_copyModel(NULL, v->em);
  if (!v->m) return sgp_fail(e, "cannot copy the MuJoCo model");
  v->m->vis.global.offwidth = o->width; /* the offscreen buffer is the frame */
  v->m->vis.global.offheight = o->height;
  /* a dimmer headlight than MuJoCo's default: with the models' own lights the floor would
   * saturate to white and the brown disk to pale orange */
  for (int i = 0; i < 3; i++) {
    v->m->vis.headlight.ambient[i] = 0.15f;
    v->m->vis.headlight.diffuse[i] = 0.15f;
  }
  for (int i = 0; i < 3 * v->m->nlight; i++) v->m->light_diffuse[i] *= 0.8f;
  v->d = mj_makeData(v->m);
  v->u0 = sgp_calloc((size_t)v->env->spec.nu, sizeof(double));
  int panel = 0;
  for (int i = 0; i < v->nov; i++)
    if (v->ov[i].kind == ENV_OVERLAY_IMAGE && panel_side(v, &v->ov[i]) > panel) panel = panel_side(v, &v->ov[i]);
  if (panel) v->panel = sgp_malloc((size_t)3 * panel * panel);
  if (v->ro) {
    if (show_state(v, 0, e)) return -1;
  } else if (live_reset(v, e)) {
    return -1;
  }
  if (open_window(v, e)) return -1;

  default_camera(v);
  mjv_defaultOption(&v->opt);
  mjv_defaultScene(&v->scn);
  int extra = 64 + nsteps(v) + 2 * (v->ro ? v->ro->H + 1 : 0) +
              (v->ro ? v->ro->M * (v->ro->HC + 1) : 0);
  if (!v->ro) extra += 4096; /* the live history grows */
  if (extra > VIEW_MAX_EXTRA) extra = VIEW_MAX_EXTRA; /* add_* stop when the scene is full */
  mjv_makeScene(v->m, &v->scn, v->m->ngeom + v->m->nsite + extra);
  v->have_scene = 1;
  mjr_defaultContext(&v->con);
  mjr_makeContext(v->m, &v->con, o->width >= 1600 ? mjFONTSCALE_200 : mjFONTSCALE_100);
  v->have_con = 1;
  if (v->recording) {
    mjr_setBuffer(mjFB_OFFSCREEN, &v->con);
    if (v->con.currentBuffer != mjFB_OFFSCREEN)
      return sgp_fail(e, "cannot record: OpenGL gave no offscreen framebuffer");
  }
  return 0;
}

static void teardown(viewer *v) {
  if (v->have_con) mjr_freeContext(&v->con);
  if (v->have_scene) mjv_freeScene(&v->scn);
  if (v->win) glfwDestroyWindow(v->win);
  if (v->glfw_up) glfwTerminate();
  if (v->d) mj_deleteData(v->d);
  if (v->m) mj_deleteModel(v->m);
  free(v->hist);
  free(v->hist_p);
  free(v->hist_ret);
  free(v->u0);
  free(v->panel);
}

/* ------------------------------------------------------------------ recording */
static int is_ppm_path(const char *p) {
  size_t n = strlen(p);
  return n >= 4 && !strcmp(p + n - 4, ".ppm");
}

static int record(viewer *v, sgp_err *e) {
  const view_opts *o = v->o;
  int nframes = o->frames > 0 ? o->frames : (v->ro ? v->ro->steps + 1 : 1);
  if (v->ro && nframes > v->ro->steps + 1) nframes = v->ro->steps + 1;
  int single = is_ppm_path(o->record);
  sgp_atomic_file af = {0};
  if (single) {
    if (sgp_atomic_open(&af, o->record, e)) return -1;
  } else if (sgp_mkdirs(o->record, e)) {
    return -1;
  }
  size_t fsz = (size_t)3 * o->width * o->height;
  unsigned char *rgb = sgp_malloc(fsz);
  char *buf = NULL;
  size_t cap = 0;
  int rc = 0;
  sgp_progress pg;
  sgp_progress_begin(&pg, "view: frames", nframes);
  if (o->quiet) pg.enabled = 0;
  mjrRect vp = {0, 0, o->width, o->height};
  for (int f = 0; f < nframes && !rc; f++) {
    if (f > 0) {
      if (v->ro) {
        if (show_state(v, f, e)) rc = -1;
      } else if (live_step(v, e)) {
        rc = -1;
      }
      if (rc) break;
    }
    render(v, vp);
    mjr_readPixels(rgb, NULL, vp, &v->con);
    if (single) {
      if (view_ppm_write(af.f, o->width, o->height, rgb, 1))
        rc = sgp_fail(e, "%s: cannot write frame %d", o->record, f);
    } else {
      FILE *mf = open_memstream(&buf, &cap);
      int bad = !mf || view_ppm_write(mf, o->width, o->height, rgb, 1);
      if (mf) fclose(mf);
      char name[32];
      snprintf(name, sizeof name, "frame_%05d.ppm", f);
      char *path = sgp_path_join(o->record, name);
      if (bad) rc = sgp_fail(e, "%s: cannot encode the frame", path);
      else if (sgp_write_file_atomic(path, buf, cap, e)) rc = -1;
      free(path);
      free(buf);
      buf = NULL;
    }
    sgp_progress_update(&pg, f + 1, NULL);
  }
  sgp_progress_end(&pg);
  free(rgb);
  if (single) {
    if (rc) sgp_atomic_abort(&af);
    else if (sgp_atomic_commit(&af, e)) rc = -1;
  }
  return rc;
}

/* ------------------------------------------------------------------ interactive */
static void interactive(viewer *v) {
  glfwSetWindowUserPointer(v->win, v);
  glfwSetKeyCallback(v->win, on_key);
  glfwSetMouseButtonCallback(v->win, on_button);
  glfwSetCursorPosCallback(v->win, on_move);
  glfwSetScrollCallback(v->win, on_scroll);
  v->last_time = glfwGetTime();
  while (!glfwWindowShouldClose(v->win)) {
    double now = glfwGetTime(), dt = v->env->spec.dt;
    if (!v->paused) {
      v->acc += (now - v->last_time) * v->speed;
      while (v->acc >= dt && !v->paused) {
        v->acc -= dt;
        if (v->ro && v->t >= nsteps(v)) {
          v->paused = 1; /* the end of the rollout: space plays again */
          break;
        }
        go_to(v, v->t + 1);
      }
    }
    v->last_time = now;
    mjrRect vp = {0, 0, 0, 0};
    glfwGetFramebufferSize(v->win, &vp.width, &vp.height);
    if (vp.width > 0 && vp.height > 0) { /* 0×0 while minimised */
      render(v, vp);
      glfwSwapBuffers(v->win);
    } else {
      glfwWaitEventsTimeout(0.1);
    }
    glfwPollEvents();
  }
}

int view_run(const view_opts *o, sgp_err *e) {
  viewer v;
  memset(&v, 0, sizeof v);
  int rc = setup(&v, o, e);
  if (!rc) {
    if (v.recording) rc = record(&v, e);
    else interactive(&v);
  }
  teardown(&v);
  return rc;
}
