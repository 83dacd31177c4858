/* The viewer's window, camera and main loop (viewer/viewer.h): GLFW 3 for the window and input,
 * MuJoCo 2.2.2's mjv_/mjr_ for the scene. The layout follows MuJoCo's simulate sample: a free
 * camera moved with the mouse, mjv_updateScene from a private mjData, extra geoms appended to the
 * abstract scene (viewer/view_scene.c), mjr_render, then the 2-D layer (viewer/view_panels.c).
 * Input goes through the input layer (viewer/view_ui.c), which turns keys and mouse into state and
 * commands carried out here; a recording's --events script goes through the same path.
 *
 * The render thread is the main thread (GLFW's rule). A live agent plans in a worker thread
 * (viewer/view_live.c); this thread only collects its published steps once per frame, so the
 * window keeps answering while a plan takes seconds.
 *
 * Recording never shows a window: a hidden GLFW window provides the OpenGL context and every frame
 * is rendered into MuJoCo's offscreen framebuffer (mjFB_OFFSCREEN, sized to the frame by a private
 * copy of the model's visual options) and read back (viewer/view_out.c). */
#include "viewer/view_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_MAX_EXTRA 30000 /* geoms we add on top of the model's */
#define VIEW_MAX_CLOUD 4000  /* dataset points drawn */

void view_set_status(viewer *v, const char *msg) { snprintf(v->status, sizeof v->status, "%.250s", msg); }
#define set_status view_set_status

/* ------------------------------------------------------------------ the episode shown */
int view_total(const viewer *v) {
  if (v->live && !v->tr.ended) return v->agent->steps;
  return v->tr.steps;
}

void view_show(viewer *v, int t) {
  if (!v->have_tr) return;
  if (t > v->tr.steps) t = v->tr.steps;
  if (t < 0) t = 0;
  sgp_err e;
  if (view_trace_show(&v->tr, v->env, t, &e)) set_status(v, e.msg);
  mju_copy(v->d->qpos, v->ed->qpos, v->m->nq);
  mju_copy(v->d->qvel, v->ed->qvel, v->m->nv);
  v->d->time = v->ed->time;
  mj_forward(v->m, v->d);
  v->t = t;
}

/* Live: the step shown while following the agent: the newest state whose plan is made (the plan,
 * the candidates and the action of a step appear together with its state), the final state once
 * the episode is over. */
static int follow_step(const viewer *v) {
  if (v->tr.ended || v->tr.steps == 0) return v->tr.steps;
  return v->tr.steps - 1;
}

static void live_sync(viewer *v) {
  if (!v->live) return;
  int changed = view_live_sync(v->live, &v->tr, v->env, &v->lst);
  v->have_tr = 1;
  if (changed || v->follow) view_show(v, v->follow ? follow_step(v) : v->t);
}

static int load_episode(viewer *v, int k, sgp_err *e) {
  const view_opts *o = v->o;
  if (v->mode == VIEW_MODE_REPLAY) {
    view_rollout r;
    if (view_rollout_load(o->rollout_dir, k, v->env, &r, e)) return -1;
    if (v->have_tr) view_rollout_free(&v->tr);
    v->tr = r;
  } else if (v->mode == VIEW_MODE_DATASET) {
    if (v->have_tr) view_rollout_free(&v->tr);
    view_dataset_trace(o->dataset, v->ds_start, k, v->env, &v->tr);
  }
  v->have_tr = 1;
  v->episode = k;
  return 0;
}

/* Switches to episode k (clamped). */
static void go_episode(viewer *v, int k) {
  if (k < 0) k = 0;
  if (k >= v->nepisodes) k = v->nepisodes - 1;
  if (k == v->episode && v->mode != VIEW_MODE_LIVE && v->mode != VIEW_MODE_ENV) return;
  v->status[0] = 0;
  if (v->live) {
    v->episode = k;
    view_live_reset(v->live, k);
    v->follow = 1;
    return;
  }
  sgp_err e;
  if (load_episode(v, k, &e)) {
    set_status(v, e.msg);
    return;
  }
  view_show(v, 0);
  v->acc = 0;
}

/* ------------------------------------------------------------------ camera */
static void default_camera(viewer *v) {
  v->cam.type = mjCAMERA_FREE;
  mjv_defaultFreeCamera(v->m, &v->cam);
  double cam[6];
  if (v->o->has_camera) {
    memcpy(cam, v->o->camera, sizeof cam);
  } else {
    const double *xs = v->have_tr ? v->tr.x : NULL;
    int n = v->have_tr ? v->tr.steps + 1 : 0;
    double x0[1] = {0};
    if (!xs) xs = x0, n = 0;
    if (!env_view_camera(v->env, xs, n, (double)v->o->width / v->o->height, v->m->vis.global.fovy, cam))
      return; /* MuJoCo's default free camera */
  }
  for (int i = 0; i < 3; i++) v->cam.lookat[i] = cam[i];
  v->cam.distance = cam[3];
  v->cam.azimuth = cam[4];
  v->cam.elevation = cam[5];
}

/* The body the tracking camera follows: the first body below the world that moves (the root of
 * the moving tree: the point, the cart, a torso). MuJoCo's tracking camera follows the centre of
 * mass of its subtree. */
static int moving_root(const mjModel *m) {
  for (int b = 1; b < m->nbody; b++)
    if (m->body_parentid[b] == 0 && m->body_dofnum[b] > 0) return b;
  for (int b = 1; b < m->nbody; b++)
    if (m->body_dofnum[b] > 0) return m->body_rootid[b];
  return m->nbody > 1 ? 1 : 0;
}

static void camera_command(viewer *v, const view_cmd *c) {
  switch (c->kind) {
  case VIEW_CMD_CAM_RESET:
    default_camera(v);
    break;
  case VIEW_CMD_CAM_TRACK:
    if (v->cam.type == mjCAMERA_TRACKING) {
      v->cam.type = mjCAMERA_FREE;
    } else if (v->track_body > 0) {
      if (v->cam.type == mjCAMERA_FIXED) default_camera(v);
      v->cam.type = mjCAMERA_TRACKING;
      v->cam.trackbodyid = v->track_body;
    }
    break;
  case VIEW_CMD_CAM_CYCLE: {
    int n = v->m->ncam, cur = v->cam.type == mjCAMERA_FIXED ? v->cam.fixedcamid : -1;
    int next = cur + c->arg; /* -1 and n: the free camera */
    if (next < -1) next = n - 1;
    if (next >= n) next = -1;
    if (next < 0) {
      default_camera(v);
    } else {
      v->cam.type = mjCAMERA_FIXED;
      v->cam.fixedcamid = next;
    }
    break;
  }
  case VIEW_CMD_CAM_MOVE:
    if (v->cam.type == mjCAMERA_FIXED) { /* moving a fixed camera starts a free one from the default */
      default_camera(v);
    }
    mjv_moveCamera(v->m, c->arg, c->a, c->b, &v->scn, &v->cam);
    break;
  default:
    break;
  }
}

/* ------------------------------------------------------------------ selection and perturbation */
/* The body under pixel (x, y) (origin top-left), or -1; *pt: the point hit. */
static int body_at(viewer *v, double x, double y, double pt[3]) {
  int w = v->ui.width > 0 ? v->ui.width : v->o->width, h = v->ui.height > 0 ? v->ui.height : v->o->height;
  int geom = -1, skin = -1;
  return mjv_select(v->m, v->d, &v->opt, (mjtNum)w / h, x / w, 1 - y / h, &v->scn, pt, &geom, &skin);
}

static void select_body(viewer *v, double x, double y) {
  double pt[3];
  int b = body_at(v, x, y, pt);
  if (b > 0) {
    v->pert.select = b;
    double tmp[3];
    mju_sub3(tmp, pt, v->d->xpos + 3 * b);
    mju_mulMatTVec(v->pert.localpos, v->d->xmat + 9 * b, tmp, 3, 3);
  } else {
    v->pert.select = 0;
  }
  v->pert.active = 0;
}

static void perturb_command(viewer *v, const view_cmd *c) {
  switch (c->kind) {
  case VIEW_CMD_SELECT:
    select_body(v, c->a, c->b);
    break;
  case VIEW_CMD_PERT_BEGIN:
    if (!v->live) {
      set_status(v, "perturbations act on a live agent or environment (sgp view --live RUN.json, sgp view ENV)");
      return;
    }
    select_body(v, c->a, c->b);
    if (v->pert.select > 0) {
      mjv_initPerturb(v->m, v->d, &v->scn, &v->pert);
      v->pert.active = c->arg;
    }
    break;
  case VIEW_CMD_PERT_MOVE:
    if (v->pert.active) mjv_movePerturb(v->m, v->d, c->arg, c->a, c->b, &v->scn, &v->pert);
    break;
  case VIEW_CMD_PERT_END:
    v->pert.active = 0;
    break;
  default:
    return;
  }
  if (v->live) view_live_perturb(v->live, &v->pert);
}

/* ------------------------------------------------------------------ commands */
static void step_command(viewer *v, int dir) {
  if (v->live) {
    if (dir > 0 && v->t >= follow_step(v) && !v->tr.ended) {
      view_live_step_once(v->live); /* the agent takes one step; following shows it */
      v->follow = 1;
    } else {
      v->follow = 0;
      view_show(v, v->t + dir);
      if (v->t == follow_step(v)) v->follow = 1;
    }
    return;
  }
  view_show(v, v->t + dir);
}

static void command(viewer *v, const view_cmd *c) {
  int total = view_total(v);
  switch (c->kind) {
  case VIEW_CMD_QUIT:
    if (v->win && !v->recording) glfwSetWindowShouldClose(v->win, 1);
    break;
  case VIEW_CMD_STEP:
    step_command(v, c->arg);
    break;
  case VIEW_CMD_JUMP:
    v->follow = v->live && c->arg > 0;
    view_show(v, c->arg > 0 ? (v->live ? follow_step(v) : v->tr.steps) : 0);
    break;
  case VIEW_CMD_SCRUB: {
    int t = (int)lrint(c->a * total);
    v->follow = v->live && t >= follow_step(v);
    view_show(v, t);
    break;
  }
  case VIEW_CMD_RESTART:
    v->status[0] = 0;
    if (v->live) {
      view_live_reset(v->live, v->episode);
      v->follow = 1;
    } else {
      view_show(v, 0);
    }
    v->acc = 0;
    break;
  case VIEW_CMD_EPISODE:
    go_episode(v, v->episode + c->arg);
    break;
  case VIEW_CMD_SCREENSHOT:
    v->want_shot = 1;
    break;
  case VIEW_CMD_CAM_RESET:
  case VIEW_CMD_CAM_TRACK:
  case VIEW_CMD_CAM_CYCLE:
  case VIEW_CMD_CAM_MOVE:
    camera_command(v, c);
    break;
  default:
    perturb_command(v, c);
    break;
  }
}

void view_handle(viewer *v, const view_event *ev) {
  view_cmd cmds[VIEW_MAX_CMDS];
  int was_paused = v->ui.paused;
  double speed = v->ui.speed;
  int n = view_ui_event(&v->ui, ev, cmds);
  for (int i = 0; i < n; i++) command(v, &cmds[i]);
  if (v->live) {
    if (was_paused != v->ui.paused) {
      view_live_set_running(v->live, !v->ui.paused && !v->recording);
      if (!v->ui.paused) v->follow = 1;
    }
    if (speed != v->ui.speed && !v->recording) view_live_set_speed(v->live, v->ui.speed);
  } else if (was_paused && !v->ui.paused && v->t >= v->tr.steps) {
    view_show(v, 0); /* play again from the start */
  }
  if (was_paused != v->ui.paused) v->acc = 0;
}

/* ------------------------------------------------------------------ rendering */
void view_render(viewer *v, mjrRect vp) {
  v->ui.width = vp.width;
  v->ui.height = vp.height;
  mju_zero(v->d->xfrc_applied, 6 * v->m->nbody);
  if (v->pert.active) mjv_applyPerturbForce(v->m, v->d, &v->pert); /* drawn as MuJoCo draws it */
  mjv_updateScene(v->m, v->d, &v->opt, &v->pert, &v->cam, mjCAT_ALL, &v->scn);
  view_scene_add(v);
  mjr_render(vp, &v->scn, &v->con);
  view_panels_draw(v, vp);
}

/* Recording: what frame f shows. Playback moves one step per frame unless paused; a live agent
 * takes one step per frame (lockstep with the frames, so that a recording is reproducible) and
 * frame t shows state t with the plan made there (the agent's first plan is made for frame 0;
 * the zero action of the environment view starts stepping at frame 1), the last frame the final
 * state: T + 1 frames show the T steps of an episode, as in a replay. */
void view_advance_frame(viewer *v, int f) {
  if (v->live) {
    int shown = v->t;
    view_live_wait(v->live, 0); /* a reset asked for by the script */
    live_sync(v);
    if (v->ui.paused || (f == 0 && v->mode != VIEW_MODE_LIVE)) return;
    if (!v->tr.ended) view_live_step_once(v->live);
    view_live_wait(v->live, v->tr.steps + 1);
    live_sync(v);
    if (v->follow) { /* one step further per frame, never past the newest */
      int t = follow_step(v);
      view_show(v, f == 0 || t < shown + 1 ? t : shown + 1);
    }
    return;
  }
  if (f > 0 && !v->ui.paused) view_show(v, v->t + 1);
}

/* ------------------------------------------------------------------ input (interactive) */
static viewer *of(GLFWwindow *w) { return glfwGetWindowUserPointer(w); }

/* Cursor position in framebuffer pixels (HiDPI screens scale them). */
static void cursor(GLFWwindow *w, double *x, double *y) {
  int ww, wh, fw, fh;
  glfwGetCursorPos(w, x, y);
  glfwGetWindowSize(w, &ww, &wh);
  glfwGetFramebufferSize(w, &fw, &fh);
  if (ww > 0 && wh > 0) *x *= (double)fw / ww, *y *= (double)fh / wh;
}

static int mods_of(int glfw_mods) {
  return (glfw_mods & GLFW_MOD_SHIFT ? VIEW_MOD_SHIFT : 0) | (glfw_mods & GLFW_MOD_CONTROL ? VIEW_MOD_CTRL : 0);
}

static void on_key(GLFWwindow *w, int key, int scancode, int act, int mods) {
  (void)scancode;
  if (act == GLFW_RELEASE) return;
  view_event ev = {VIEW_EV_KEY, key, 0, 1, mods_of(mods), 0, 0, 0};
  view_handle(of(w), &ev);
}

static void on_button(GLFWwindow *w, int button, int act, int mods) {
  viewer *v = of(w);
  view_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = VIEW_EV_BUTTON;
  ev.button = button == GLFW_MOUSE_BUTTON_LEFT ? VIEW_BUTTON_LEFT : button == GLFW_MOUSE_BUTTON_RIGHT ? VIEW_BUTTON_RIGHT
            : button == GLFW_MOUSE_BUTTON_MIDDLE ? VIEW_BUTTON_MIDDLE : -1;
  if (ev.button < 0) return;
  ev.press = act == GLFW_PRESS;
  ev.mods = mods_of(mods);
  cursor(w, &ev.x, &ev.y);
  if (ev.press) {
    double now = glfwGetTime();
    ev.dblclick = now - v->last_press < 0.3 && fabs(ev.x - v->press_x) < 5 && fabs(ev.y - v->press_y) < 5;
    v->last_press = now, v->press_x = ev.x, v->press_y = ev.y;
  }
  view_handle(v, &ev);
}

static void on_move(GLFWwindow *w, double x, double y) {
  (void)x, (void)y;
  view_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = VIEW_EV_MOVE;
  cursor(w, &ev.x, &ev.y);
  ev.mods = (glfwGetKey(w, GLFW_KEY_LEFT_SHIFT) == GLFW_PRESS || glfwGetKey(w, GLFW_KEY_RIGHT_SHIFT) == GLFW_PRESS)
                ? VIEW_MOD_SHIFT : 0;
  view_handle(of(w), &ev);
}

static void on_scroll(GLFWwindow *w, double xoff, double yoff) {
  (void)xoff;
  view_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = VIEW_EV_SCROLL;
  ev.y = yoff;
  view_handle(of(w), &ev);
}

/* ------------------------------------------------------------------ setup */
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
    return sgp_fail(e, "cannot render: OpenGL 1.5 or later needed, the context has %s", ver ? ver : "none");
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
    return sgp_fail(e, "cannot open a window: %s (DISPLAY=%s; or use --record under xvfb-run)", glfw_message(),
                    dpy ? dpy : "");
  v->glfw_up = 1;
  glfwWindowHint(GLFW_SAMPLES, 4);
  glfwWindowHint(GLFW_VISIBLE, v->recording ? GLFW_FALSE : GLFW_TRUE);
  char title[256];
  snprintf(title, sizeof title, "sgp view: %s%s%s", v->env->spec.name, v->o->rollout_dir ? "  " : "",
           v->o->rollout_dir ? v->o->rollout_dir : "");
  int w = v->recording ? 64 : v->o->width, h = v->recording ? 64 : v->o->height;
  v->win = glfwCreateWindow(w, h, title, NULL, NULL);
  if (!v->win) {
    glfwDefaultWindowHints();
    glfwWindowHint(GLFW_VISIBLE, v->recording ? GLFW_FALSE : GLFW_TRUE);
    v->win = glfwCreateWindow(w, h, title, NULL, NULL); /* retry without multisampling */
  }
  if (!v->win) return sgp_fail(e, "cannot open a window: %s", glfw_message());
  glfwMakeContextCurrent(v->win);
  glfwSwapInterval(1);
  return check_gl(v, e);
}

/* What is shown: a rollout's episode, a dataset, or the live agent's (or the zero action's) first
 * state. Everything here that can fail does so before a window opens. */
static int setup_content(viewer *v, sgp_err *e) {
  const view_opts *o = v->o;
  if (o->agent) {
    v->mode = VIEW_MODE_LIVE;
    v->agent = o->agent;
  } else if (o->rollout_dir) {
    v->mode = VIEW_MODE_REPLAY;
  } else if (o->dataset) {
    v->mode = VIEW_MODE_DATASET;
  } else {
    v->mode = VIEW_MODE_ENV;
    if (!o->env_worker) return sgp_fail(e, "%s: the viewer needs a second instance to step", v->env->spec.name);
    view_zero_agent(&v->zero, o->env_worker);
    v->agent = &v->zero;
  }
  if (view_env_check(v->env, v->mode == VIEW_MODE_REPLAY || v->mode == VIEW_MODE_DATASET, e)) return -1;
  if (v->mode == VIEW_MODE_REPLAY) {
    v->nepisodes = view_rollout_count(o->rollout_dir);
    if (load_episode(v, o->episode, e)) return -1;
  } else if (v->mode == VIEW_MODE_DATASET) {
    v->nepisodes = view_dataset_episodes(o->dataset, &v->ds_start);
    if (o->episode >= v->nepisodes)
      return sgp_fail(e, "%s: episode %d: the dataset has %d episode%s", o->dataset->dir, o->episode, v->nepisodes,
                      v->nepisodes == 1 ? "" : "s");
    load_episode(v, o->episode, e);
    if (v->env->ops->view_point) v->ncloud = view_dataset_cloud(o->dataset, v->env, VIEW_MAX_CLOUD, &v->cloud);
  } else {
    v->nepisodes = v->agent->episodes;
    if (o->episode >= v->nepisodes)
      return sgp_fail(e, "--episode %d: the run has %d episode%s", o->episode, v->nepisodes, v->nepisodes == 1 ? "" : "s");
    v->episode = o->episode;
  }
  return 0;
}

static int setup(viewer *v, const view_opts *o, sgp_err *e) {
  v->o = o;
  v->env = o->env;
  v->recording = o->record != NULL;
  if (setup_content(v, e) || view_load_script(v, e)) return -1;
  view_ui_init(&v->ui, v->mode == VIEW_MODE_LIVE || v->mode == VIEW_MODE_ENV);
  v->ui.speed = o->speed > 0 ? o->speed : 1;
  v->ui.plots = o->plots;
  v->ui.help = o->help;
  v->follow = 1;
  env_mj(v->env, &v->em, &v->ed);
  env_hud_note(v->env, v->note, sizeof v->note);
  if (!v->env->ops->view_point)
    snprintf(v->note + strlen(v->note), sizeof v->note - strlen(v->note),
             "%sno paths drawn: the environment has no view_point hook", v->note[0] ? "; " : "");
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
  v->track_body = moving_root(v->m);
  mjv_defaultPerturb(&v->pert);
  int pb = view_panel_bytes(v);
  if (pb) v->panel = sgp_malloc((size_t)pb);
  if (v->have_tr) view_show(v, 0);
  if (open_window(v, e)) return -1;

  if (v->agent) { /* the agent's first state (the worker resets its environment) */
    if (view_live_start(&v->live, v->agent, v->episode, 0, e)) return -1;
    view_live_set_speed(v->live, v->recording ? 0 : v->ui.speed);
    view_live_wait(v->live, 0);
    live_sync(v);
    if (v->lst.ended && v->lst.error[0]) return sgp_fail(e, "%s", v->lst.error);
    if (!v->recording) view_live_set_running(v->live, 1);
  }
  default_camera(v);
  mjv_defaultOption(&v->opt);
  v->opt.flags[mjVIS_PERTFORCE] = 1;
  mjv_defaultScene(&v->scn);
  int steps = v->have_tr ? v->tr.steps : 0;
  int extra = 64 + steps + 2 * (v->tr.H + 1) + v->tr.M * (v->tr.HC + 1) + v->ncloud + 2 * ENV_MAX_ARROWS;
  if (v->live) extra += 2 * v->agent->steps + 4096; /* the episode grows; plans are known later */
  if (extra > VIEW_MAX_EXTRA) extra = VIEW_MAX_EXTRA; /* the scene's adders stop when it is full */
  mjv_makeScene(v->m, &v->scn, v->m->ngeom + v->m->nsite + v->m->nu + extra);
  v->have_scene = 1;
  mjr_defaultContext(&v->con);
  mjr_makeContext(v->m, &v->con, o->width >= 1600 ? mjFONTSCALE_200 : o->width >= 1200 ? mjFONTSCALE_150 : mjFONTSCALE_100);
  v->have_con = 1;
  v->fig = sgp_calloc(VIEW_NPLOTS + 1, sizeof(mjvFigure));
  view_figures_init(v);
  if (v->recording) {
    mjr_setBuffer(mjFB_OFFSCREEN, &v->con);
    if (v->con.currentBuffer != mjFB_OFFSCREEN) return sgp_fail(e, "cannot record: OpenGL gave no offscreen framebuffer");
  }
  return 0;
}

static void teardown(viewer *v) {
  view_live_stop(v->live); /* before the environments go (the worker steps one) */
  if (v->have_con) mjr_freeContext(&v->con);
  if (v->have_scene) mjv_freeScene(&v->scn);
  if (v->win) glfwDestroyWindow(v->win);
  if (v->glfw_up) glfwTerminate();
  if (v->d) mj_deleteData(v->d);
  if (v->m) mj_deleteModel(v->m);
  if (v->have_tr) view_rollout_free(&v->tr);
  free(v->fig);
  free(v->panel);
  free(v->ds_start);
  free(v->cloud);
  view_script_free(&v->script);
}

/* ------------------------------------------------------------------ interactive */
static void playback(viewer *v, double now) {
  double dt = v->env->spec.dt;
  if (v->live) {
    live_sync(v);
  } else if (!v->ui.paused && v->have_tr) {
    v->acc += (now - v->last_time) * v->ui.speed;
    while (v->acc >= dt && !v->ui.paused) {
      v->acc -= dt;
      if (v->t >= v->tr.steps) {
        v->ui.paused = 1; /* the end of the episode: space plays again */
        break;
      }
      view_show(v, v->t + 1);
    }
  }
  v->last_time = now;
}

void view_take_screenshot(viewer *v, mjrRect vp) {
  char path[256], msg[300];
  sgp_err e;
  v->want_shot = 0;
  if (view_screenshot(v, vp, path, sizeof path, &e)) {
    set_status(v, e.msg);
    return;
  }
  snprintf(msg, sizeof msg, "saved %s", path);
  set_status(v, msg);
}

static void interactive(viewer *v) {
  glfwSetWindowUserPointer(v->win, v);
  glfwSetKeyCallback(v->win, on_key);
  glfwSetMouseButtonCallback(v->win, on_button);
  glfwSetCursorPosCallback(v->win, on_move);
  glfwSetScrollCallback(v->win, on_scroll);
  v->last_time = glfwGetTime();
  while (!glfwWindowShouldClose(v->win)) {
    playback(v, glfwGetTime());
    mjrRect vp = {0, 0, 0, 0};
    glfwGetFramebufferSize(v->win, &vp.width, &vp.height);
    if (vp.width > 0 && vp.height > 0) { /* 0×0 while minimised */
      view_render(v, vp);
      if (v->want_shot) view_take_screenshot(v, vp);
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
    if (v.recording) rc = view_record(&v, e);
    else interactive(&v);
  }
  teardown(&v);
  return rc;
}
