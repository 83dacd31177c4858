/* pixels (METHOD §6): the point task observed through an R×R image of a blurred dot.
 *
 * The simulator is the MuJoCo point of envs/point.c (same hole variants, same cost); only what a
 * planner sees changes. The state is the image (nx = R², float-valued), rendered analytically (no
 * OpenGL): a Gaussian dot of standard deviation `width` pixels, peak 1, over [−1.4, 1.4]², row 0 at
 * the top. (A soft-argmax can only return convex combinations of pixel centres, pulled inwards by
 * the background; with [−1.2, 1.2]² and R = 8 nothing beyond ±1.0 could be represented, but states
 * one step outside the data box [−1, 1]² occur. With [−1.4, 1.4]² the calibrated rendering is exact
 * up to |x| = 1.17 for R = 8 (1.27 for R = 16, 1.30 for R = 32); positions beyond ±1.15 are drawn
 * at the clamped position, like a dot at the border of the camera's view.) Positions are read back with the spatial soft-argmax
 *     p(I) = Σ_ij softmax(I/τ)_ij c_ij        (c_ij the pixel centres, τ = `temperature`)
 * which is differentiable, so the task cost c(p(I), u) has a gradient with respect to the image.
 * The renderer is calibrated: it places the dot so that p(render(x)) = x (to ~1e-7, the float
 * rounding of the image), hence costs on rendered states equal the point's costs.
 * With "image_action": true the action is also an R×R image (nu = R², intensities in [0, 1]) over
 * the displacement square [−0.15, 0.15]², decoded by the same soft-argmax and clipped to
 * [−0.1, 0.1]²; otherwise the action is the displacement itself (nu = 2).
 * Defaults: resolution 8 (the benchmark's), width 2 pixels, temperature 0.1: the soft-argmax of the raw
 * dot is then monotone in the position with slope in [0.58, 1.02] for R = 8..32, so the calibration
 * (a fixed-point iteration) converges to the float rounding of the image (docs/environments.md). */
#include "envs/env_private.h"

#include "core/vmath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PX_EXTENT 1.4       /* the image spans [−1.4, 1.4]² */
#define PX_LIMIT 1.15       /* positions are drawn clamped to [−1.15, 1.15]² (the calibration range) */
#define PX_AEXTENT 0.15     /* the action image spans [−0.15, 0.15]² */
#define PX_MAXR 32
#define PX_MAXPIX (PX_MAXR * PX_MAXR)

static const char *const px_keys[] = {"resolution", "width", "temperature", "image_action", NULL};

typedef struct px_impl {
  sgp_env *pt;              /* the underlying point environment */
  int R, image_action;
  double width_px, tau;
  double w_state, w_action; /* dot widths in world units */
  double *goal;             /* R² image of the goal */
  double *ulo, *uhi;        /* nu */
  float *img;               /* R² scratch (render, single-threaded per instance) */
} px_impl;

/* ---- rendering and soft-argmax ------------------------------------------------------------- */
static double centre(int R, double E, int k) { return -E + (k + 0.5) * 2.0 * E / R; }

/* Soft-argmax of a float (fimg) or double (dimg) image. */
static void softargmax(int R, double E, double tau, const float *fimg, const double *dimg, double *p,
                       double *grad) {
  if (R < 1 || R > PX_MAXR) { /* outside the documented range: no position */
    p[0] = p[1] = NAN;
    return;
  }
  int n = R * R;
  double mx = -INFINITY;
  for (int i = 0; i < n; i++) {
    double v = fimg ? fimg[i] : dimg[i];
    if (v > mx) mx = v;
  }
  double w[PX_MAXPIX], z = 0, px = 0, py = 0;
  for (int i = 0; i < n; i++) {
    w[i] = exp(((fimg ? fimg[i] : dimg[i]) - mx) / tau);
    z += w[i];
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < R; c++) {
      int i = r * R + c;
      w[i] /= z;
      px += w[i] * centre(R, E, c);
      py += w[i] * -centre(R, E, r);
    }
  p[0] = px;
  p[1] = py;
  if (grad) /* ∂p/∂I_ij = w_ij (c_ij − p) / τ */
    for (int r = 0; r < R; r++)
      for (int c = 0; c < R; c++) {
        int i = r * R + c;
        grad[i] = w[i] * (centre(R, E, c) - px) / tau;
        grad[n + i] = w[i] * (-centre(R, E, r) - py) / tau;
      }
}

void env_softargmax(int R, double E, double tau, const float *img, double *p, double *grad) {
  softargmax(R, E, tau, img, NULL, p, grad);
}

static void render_raw(int R, double E, double width, const double *q, float *img) {
  double gx[PX_MAXR], gy[PX_MAXR], s = 1.0 / (2 * width * width);
  for (int k = 0; k < R; k++) {
    double dx = centre(R, E, k) - q[0], dy = -centre(R, E, k) - q[1];
    gx[k] = exp(-dx * dx * s);
    gy[k] = exp(-dy * dy * s);
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < R; c++) img[r * R + c] = (float)(gy[r] * gx[c]);
}

void env_render_dot(int R, double E, double width, double tau, int calibrated, const double *p, float *img) {
  if (R < 1 || R > PX_MAXR) return;
  double q[2] = {p[0], p[1]};
  render_raw(R, E, width, q, img);
  if (!calibrated) return;
  /* Fixed point q ← q + (p − softargmax(render(q))): the soft-argmax is pulled towards the image
   * centre by the background, so the dot is drawn slightly further out. */
  double best = INFINITY, bq[2] = {q[0], q[1]};
  int stalled = 0;
  for (int it = 0; it < 60; it++) {
    double d[2];
    env_softargmax(R, E, tau, img, d, NULL);
    double ex = p[0] - d[0], ey = p[1] - d[1], err = fabs(ex) + fabs(ey);
    if (err < best) {
      stalled = best - err < 0.1 * best ? stalled + 1 : 0;
      best = err;
      bq[0] = q[0];
      bq[1] = q[1];
    } else {
      stalled++;
    }
    /* done when exact, or when the float rounding of the image stops further progress */
    if (err < 1e-13 || stalled >= 2) break;
    q[0] += ex;
    q[1] += ey;
    render_raw(R, E, width, q, img);
  }
  render_raw(R, E, width, bq, img);
}

/* ---- operations ----------------------------------------------------------------------------- */
static void px_destroy(sgp_env *env) {
  px_impl *p = env->impl;
  env_destroy(p->pt);
  free(p->goal);
  free(p->ulo);
  free(p->uhi);
  free(p->img);
  free(p);
  free(env);
}

static void px_render_state(const px_impl *p, const double *pos, double *x) {
  double c[2];
  for (int i = 0; i < 2; i++) c[i] = pos[i] < -PX_LIMIT ? -PX_LIMIT : pos[i] > PX_LIMIT ? PX_LIMIT : pos[i];
  env_render_dot(p->R, PX_EXTENT, p->w_state, p->tau, 1, c, p->img);
  for (int i = 0; i < p->R * p->R; i++) x[i] = p->img[i];
}

/* Image (double, R²) -> position. */
static void px_decode(const px_impl *p, double E, const double *x, double *pos, double *grad) {
  softargmax(p->R, E, p->tau, NULL, x, pos, grad);
}

static void px_get_state(const sgp_env *env, double *x) {
  const px_impl *p = env->impl;
  double pos[2];
  env_get_state(p->pt, pos);
  px_render_state(p, pos, x);
}

static int px_set_state(sgp_env *env, const double *x, sgp_err *e) {
  px_impl *p = env->impl;
  if (!sgp_all_finite_d(x, (size_t)env->spec.nx)) return sgp_fail(e, "pixels: set_state: non-finite image");
  double pos[2];
  px_decode(p, PX_EXTENT, x, pos, NULL);
  p->pt->t = env->t;
  return env_set_state(p->pt, pos, e);
}

static int px_reset(sgp_env *env, uint64_t seed, double *x0, sgp_err *e) {
  px_impl *p = env->impl;
  double pos[2];
  if (env_reset(p->pt, seed, pos, e)) return -1;
  env->t = 0;
  if (x0) px_render_state(p, pos, x0);
  return 0;
}

/* The displacement an action stands for (before clipping). */
static void px_action_disp(const px_impl *p, const double *u, double *a) {
  if (p->image_action) px_decode(p, PX_AEXTENT, u, a, NULL);
  else {
    a[0] = u[0];
    a[1] = u[1];
  }
}

static int px_step(sgp_env *env, const double *u_in, double *xnext, double *reward, int *terminated,
                   sgp_err *e) {
  px_impl *p = env->impl;
  if (!sgp_all_finite_d(u_in, (size_t)env->spec.nu)) return sgp_fail(e, "pixels: step %d: non-finite action", env->t);
  double a[2], ubuf[PX_MAXPIX];
  memcpy(ubuf, u_in, sizeof(double) * env->spec.nu);
  env_clip_action(env, ubuf);
  px_action_disp(p, ubuf, a);
  double pos[2], posn[2], r;
  env_get_state(p->pt, pos);
  p->pt->t = env->t;
  if (env_step(p->pt, a, posn, &r, terminated, e)) return sgp_fail_prefix(e, "pixels");
  env->t++;
  if (reward) *reward = r; /* −(Q‖p − g‖² + R‖clip(a)‖²): the point's cost of the decoded action */
  if (xnext) px_render_state(p, posn, xnext);
  return 0;
}

static double px_cost(const sgp_env *env, const double *x, const double *u, double *gx, double *gu) {
  const px_impl *p = env->impl;
  int n = p->R * p->R;
  double pos[2], gp[2], a[2], ga[2];
  double J[2 * PX_MAXPIX];
  px_decode(p, PX_EXTENT, x, pos, gx ? J : NULL);
  double c = env_point_pos_cost(pos, gp);
  if (gx)
    for (int i = 0; i < n; i++) gx[i] = gp[0] * J[i] + gp[1] * J[n + i];
  if (p->image_action) {
    px_decode(p, PX_AEXTENT, u, a, gu ? J : NULL);
    c += env_point_act_cost(a, ga);
    if (gu)
      for (int i = 0; i < n; i++) gu[i] = ga[0] * J[i] + ga[1] * J[n + i];
  } else {
    c += env_point_act_cost(u, gu);
  }
  return c;
}

static double px_terminal(const sgp_env *env, const double *x, double *gx) {
  const px_impl *p = env->impl;
  int n = p->R * p->R;
  double pos[2], gp[2], J[2 * PX_MAXPIX];
  px_decode(p, PX_EXTENT, x, pos, gx ? J : NULL);
  double c = env_point_pos_terminal(pos, gp);
  if (gx)
    for (int i = 0; i < n; i++) gx[i] = gp[0] * J[i] + gp[1] * J[n + i];
  return c;
}

static int px_success(const sgp_env *env, const double *x) {
  const px_impl *p = env->impl;
  double pos[2];
  px_decode(p, PX_EXTENT, x, pos, NULL);
  return env_point_pos_success(pos);
}

/* Float soft-argmax of L <= PX_LANES rows at once (row l at img + l·ld), with the chain rule g·∂p/∂I
 * written into gimg + l·ld (if not NULL); cost[l] = f(position of row l). Each row's numbers are
 * those of the one-row loop in the order i = 0..R²−1 (float weights expf((I_i − max)/τ), the
 * sums in double), so the rows sit in lanes: the per-row sums are independent chains, and the
 * divisions and products vectorise across rows (tests/test_env_pixels.c checks the bits against
 * the one-row loop). */
typedef double (*px_posfun)(const double *p, double *gp);
enum { PX_LANES = 8 };

__attribute__((always_inline)) static inline void px_rows(int R, double E, float tau, int L, const float *img,
                                                          int ld, px_posfun f, float *cost, float *gimg) {
  const int n = R * R;
  float T[PX_MAXPIX * PX_LANES], mx[PX_LANES], inv[PX_LANES];
  double cx[PX_MAXR], z[PX_LANES], sx[PX_LANES], sy[PX_LANES];
  for (int k = 0; k < R; k++) cx[k] = centre(R, E, k);
  for (int l = 0; l < L; l++) {
    mx[l] = -INFINITY;
    z[l] = sx[l] = sy[l] = 0;
  }
  for (int i = 0; i < n; i++)
    for (int l = 0; l < L; l++) {
      float v = img[(size_t)l * ld + i];
      T[i * L + l] = v;
      if (v > mx[l]) mx[l] = v;
    }
  for (int i = 0; i < n; i++)
    for (int l = 0; l < L; l++) T[i * L + l] = (T[i * L + l] - mx[l]) / tau;
  vm_expf_libm(T, T, (size_t)n * L); /* expf's bits (below −103.98 that is 0), vectorised */
  for (int i = 0; i < n; i++)
    for (int l = 0; l < L; l++) z[l] += T[i * L + l];
  for (int l = 0; l < L; l++) inv[l] = (float)(1.0 / z[l]);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < R; c++)
      for (int l = 0; l < L; l++) {
        int i = r * R + c;
        float w = T[i * L + l] * inv[l];
        T[i * L + l] = w;
        sx[l] += w * cx[c];
        sy[l] -= w * cx[r];
      }
  for (int l = 0; l < L; l++) {
    float px = (float)sx[l], py = (float)sy[l];
    double pos[2] = {sx[l], sy[l]}, gp[2];
    cost[l] = (float)f(pos, gp);
    if (!gimg) continue;
    float g0 = (float)gp[0] / tau, g1 = (float)gp[1] / tau, *g = gimg + (size_t)l * ld;
    for (int r = 0; r < R; r++)
      for (int c = 0; c < R; c++) {
        int i = r * R + c;
        g[i] = T[i * L + l] * (g0 * ((float)cx[c] - px) + g1 * (-(float)cx[r] - py));
      }
  }
}

/* B rows of R² floats each (rows ld apart): lanes of PX_LANES, the last block narrower */
static void px_rows_cost(int R, double E, float tau, int B, const float *img, int ld, px_posfun f, float *cost,
                         float *gimg) {
  for (int b = 0; b < B; b += PX_LANES) {
    const float *x = img + (size_t)b * ld;
    float *g = gimg ? gimg + (size_t)b * ld : NULL;
    if (B - b >= PX_LANES) px_rows(R, E, tau, PX_LANES, x, ld, f, cost + b, g); /* constant L: vectorised */
    else px_rows(R, E, tau, B - b, x, ld, f, cost + b, g);
  }
}

static void px_cost_batch(const sgp_env *env, int B, const float *x, const float *u, float *c, float *gx,
                          float *gu) {
  const px_impl *p = env->impl;
  int n = p->R * p->R, nu = env->spec.nu;
  px_rows_cost(p->R, PX_EXTENT, (float)p->tau, B, x, n, env_point_pos_cost, c, gx);
  if (p->image_action) {
    float ca[PX_LANES];
    for (int b = 0; b < B; b += PX_LANES) {
      int L = B - b < PX_LANES ? B - b : PX_LANES;
      px_rows_cost(p->R, PX_AEXTENT, (float)p->tau, L, u + (size_t)b * nu, nu, env_point_act_cost, ca,
                   gu ? gu + (size_t)b * nu : NULL);
      for (int l = 0; l < L; l++) c[b + l] += ca[l];
    }
    return;
  }
  for (int b = 0; b < B; b++) {
    double ub[2] = {u[2 * b], u[2 * b + 1]}, g[2];
    c[b] += (float)env_point_act_cost(ub, g);
    if (gu) {
      gu[2 * b] = (float)g[0];
      gu[2 * b + 1] = (float)g[1];
    }
  }
}

static void px_terminal_batch(const sgp_env *env, int B, const float *x, float *c, float *gx) {
  const px_impl *p = env->impl;
  int n = p->R * p->R;
  px_rows_cost(p->R, PX_EXTENT, (float)p->tau, B, x, n, env_point_pos_terminal, c, gx);
}

static void px_box_to_state(const sgp_env *env, const double *b, double *x) {
  px_render_state(env->impl, b, x);
}
static void px_state_to_box(const sgp_env *env, const double *x, double *b) {
  px_decode(env->impl, PX_EXTENT, x, b, NULL);
}
static void px_box_to_action(const sgp_env *env, const double *a, double *u) {
  const px_impl *p = env->impl;
  if (!p->image_action) {
    u[0] = a[0];
    u[1] = a[1];
    return;
  }
  env_render_dot(p->R, PX_AEXTENT, p->w_action, p->tau, 1, a, p->img);
  for (int i = 0; i < p->R * p->R; i++) u[i] = p->img[i];
}
static void px_action_to_box(const sgp_env *env, const double *u, double *a) {
  px_action_disp(env->impl, u, a);
}

/* ---- the description's hooks (the point's, seen through the image) ------------------------- */
static void px_expert_action(const sgp_env *env, int t, const double *x, double *u) {
  const px_impl *p = env->impl;
  double pos[2], a[2];
  (void)t;
  px_decode(p, PX_EXTENT, x, pos, NULL);
  env_point_expert(p->pt, pos, a);
  px_box_to_action(env, a, u);
}

/* The decoded position, drawn at the point body's height. */
static int px_view_point(const sgp_env *env, const double *x, double q[3]) {
  const px_impl *p = env->impl;
  if (!sgp_all_finite_d(x, (size_t)env->spec.nx)) return -1;
  px_decode(p, PX_EXTENT, x, q, NULL);
  q[2] = env_point_height(p->pt);
  return 0;
}

static void px_view_camera(const sgp_env *env, const double *xs, int n, double aspect, double fovy,
                           double cam[6]) {
  (void)env, (void)xs, (void)n, (void)aspect;
  env_point_camera(fovy, cam);
}

/* The commanded displacement (decoded from an image action) from the decoded position. */
static int px_view_action(const sgp_env *env, const double *x, const double *u, env_arrow *out, int max) {
  const px_impl *p = env->impl;
  double q[3], a[2];
  if (px_view_point(env, x, q)) return 0;
  env_action_to_box(env, u, a);
  return env_point_step_arrow(p->pt, q, a, out, max);
}

/* The observation: the state image in a panel. */
static int px_overlays(const sgp_env *env, env_overlay *out, int max) {
  const px_impl *p = env->impl;
  if (max < 1) return 0;
  memset(out, 0, sizeof *out);
  out->kind = ENV_OVERLAY_IMAGE;
  out->offset = 0;
  out->w = out->h = p->R;
  snprintf(out->label, sizeof out->label, "observation %dx%d", p->R, p->R);
  return 1;
}

static void px_hud_note(const sgp_env *env, char *buf, size_t n) {
  env_point_note(((const px_impl *)env->impl)->pt, buf, n);
}

static const env_ops px_ops = {
    .destroy = px_destroy, .reset = px_reset, .set_state = px_set_state, .get_state = px_get_state,
    .step = px_step, .cost = px_cost, .terminal_cost = px_terminal, .success = px_success,
    .cost_batch = px_cost_batch, .terminal_cost_batch = px_terminal_batch, .box_to_state = px_box_to_state,
    .state_to_box = px_state_to_box, .box_to_action = px_box_to_action, .action_to_box = px_action_to_box,
    .expert_action = px_expert_action, .view_point = px_view_point, .view_camera = px_view_camera,
    .overlays = px_overlays, .hud_note = px_hud_note, .view_action = px_view_action};

static int px_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  sgp_env *pt = NULL;
  if (env_point_make(cfg, px_keys, &pt, e)) return -1;
  long R;
  double width, tau;
  int image_action;
  if (sgp_cfg_int_opt(cfg, "resolution", 4, PX_MAXR, 8, &R, e) ||
      sgp_cfg_num_opt(cfg, "width", 2.0, &width, e) || sgp_cfg_num_opt(cfg, "temperature", 0.1, &tau, e) ||
      sgp_cfg_bool_opt(cfg, "image_action", 0, &image_action, e)) {
    env_destroy(pt);
    return -1;
  }
  if (!(width >= 0.25 && width <= 4)) {
    env_destroy(pt);
    return sgp_fail(e, "%s: %s/width: expected a dot width in [0.25, 4] pixels, got %g", cfg->file, cfg->path, width);
  }
  if (!(tau >= 0.01 && tau <= 10)) {
    env_destroy(pt);
    return sgp_fail(e, "%s: %s/temperature: expected a number in [0.01, 10], got %g", cfg->file, cfg->path, tau);
  }
  px_impl *p = sgp_calloc(1, sizeof *p);
  p->pt = pt;
  p->R = (int)R;
  p->image_action = image_action;
  p->width_px = width;
  p->tau = tau;
  p->w_state = width * 2 * PX_EXTENT / R;
  p->w_action = width * 2 * PX_AEXTENT / R;
  int n = p->R * p->R;
  p->img = sgp_falloc((size_t)n);
  p->goal = sgp_malloc(sizeof(double) * n);
  int nu = image_action ? n : 2;
  p->ulo = sgp_malloc(sizeof(double) * nu);
  p->uhi = sgp_malloc(sizeof(double) * nu);
  for (int i = 0; i < nu; i++) {
    p->ulo[i] = image_action ? 0.0 : pt->spec.u_lo[i];
    p->uhi[i] = image_action ? 1.0 : pt->spec.u_hi[i];
  }
  px_render_state(p, pt->spec.goal, p->goal);

  sgp_env *env = sgp_calloc(1, sizeof *env);
  env->vt = &env_pixels_vt;
  env->ops = &px_ops;
  env->impl = p;
  env->sim = pt->sim;
  env->spec = pt->spec; /* dt, substeps, T, data box, exclusion, references: the point's */
  env_spec *s = &env->spec;
  s->name = "pixels";
  /* the states are images: drawn decoded to the dot's position, over the point's data box */
  s->figure = (env_figure){ENV_FIG_PLANAR, 1, 2, {0, 1}, {"x (decoded)", "y (decoded)"}};
  s->figure_box = 1;
  s->tol.batch_rel = 2e-6;     /* float soft-argmax over R² pixels */
  s->tol.state_abs = 1e-6;     /* set_state decodes the image, get_state renders it again */
  /* The point's references, taken as they are: the same episodes score differently here only
   * through the terminal cost, which reads the clamped image beyond ±1.15 (the mean of the
   * 1000 random episodes is 1.34 higher on pixels), so they are not reproduced on images. */
  s->ref_source = "the point task (envs/point.c)";
  s->nx = n;
  s->nu = nu;
  s->u_lo = p->ulo;
  s->u_hi = p->uhi;
  s->goal = p->goal;
  *out = env;
  return 0;
}

static const char *const px_test_configs[] = {"{\"image_action\":true}", "{\"resolution\":16,\"hole\":\"same\"}", NULL};

const env_vt env_pixels_vt = {
    .name = "pixels",
    .summary = "the point task seen (and optionally actuated) through R×R images of a blurred dot",
    .create = px_create,
    .test_configs = px_test_configs,
};
