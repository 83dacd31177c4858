/* Shared planner machinery: bounds, schedules, warm-start shift, config groups, sorting.
 * See agents/plan_common.h. */
#include "agents/plan_common.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const plan_bounds_names[2] = {"clip", "tanh"};
const char *const plan_sched_names[3] = {"constant", "linear", "cosine"};
const char *const plan_weight_names[2] = {"beta", "sigma2_beta"};
const char *const plan_warm_names[2] = {"repeat", "zero"};
const char *const plan_init_names[3] = {"zero", "mid", "random"};

/* ============================== bounds ========================================================= */

int plan_bounds_init(plan_bounds *b, const plan_ctx *ctx, plan_bounds_mode mode, const char *file,
                     const char *path, sgp_err *e) {
  int nu = ctx->nu;
  memset(b, 0, sizeof *b);
  for (int j = 0; j < nu; j++) {
    double lo = ctx->u_lo ? ctx->u_lo[j] : -INFINITY, hi = ctx->u_hi ? ctx->u_hi[j] : INFINITY;
    if (isnan(lo) || isnan(hi) || lo > hi)
      return sgp_fail(e, "%s: %s: action bound %d is invalid [%g, %g]", file, path, j, lo, hi);
    if (mode == PLAN_BOUNDS_TANH && (!isfinite(lo) || !isfinite(hi) || !(lo < hi)))
      return sgp_fail(e, "%s: %s: \"tanh\" needs finite bounds lo < hi, action %d has [%g, %g]",
                      file, path, j, lo, hi);
  }
  b->nu = nu;
  b->mode = mode;
  b->lo = sgp_falloc((size_t)4 * nu);
  b->hi = b->lo + nu;
  b->mid = b->hi + nu;
  b->half = b->mid + nu;
  for (int j = 0; j < nu; j++) {
    double lo = ctx->u_lo ? ctx->u_lo[j] : -INFINITY, hi = ctx->u_hi ? ctx->u_hi[j] : INFINITY;
    b->lo[j] = lo < -FLT_MAX ? -INFINITY : (float)lo;
    b->hi[j] = hi > FLT_MAX ? INFINITY : (float)hi;
    int fin = isfinite(b->lo[j]) && isfinite(b->hi[j]);
    b->mid[j] = fin ? (float)(0.5 * (lo + hi)) : 0.0f;
    b->half[j] = fin ? (float)(0.5 * (hi - lo)) : 1.0f; /* unbounded: unit scale for noise */
  }
  return 0;
}

void plan_bounds_free(plan_bounds *b) {
  free(b->lo);
  memset(b, 0, sizeof *b);
}

void plan_bounds_clip(const plan_bounds *b, int rows, float *u) {
  int nu = b->nu;
  for (int r = 0; r < rows; r++, u += nu)
    for (int j = 0; j < nu; j++) {
      float v = u[j];
      if (v < b->lo[j]) v = b->lo[j];
      if (v > b->hi[j]) v = b->hi[j];
      u[j] = v;
    }
}

void plan_bounds_to_u(const plan_bounds *b, int rows, const float *v, float *u) {
  int nu = b->nu;
  if (b->mode == PLAN_BOUNDS_CLIP) {
    if (u != v) memcpy(u, v, sizeof(float) * (size_t)rows * nu);
    return;
  }
  for (int r = 0; r < rows; r++, v += nu, u += nu)
    for (int j = 0; j < nu; j++) {
      float a = b->mid[j] + b->half[j] * tanhf(v[j]);
      u[j] = a < b->lo[j] ? b->lo[j] : a > b->hi[j] ? b->hi[j] : a; /* rounding at the ends */
    }
}

void plan_bounds_from_u(const plan_bounds *b, int rows, const float *u, float *v) {
  int nu = b->nu;
  if (b->mode == PLAN_BOUNDS_CLIP) {
    if (u != v) memcpy(v, u, sizeof(float) * (size_t)rows * nu);
    plan_bounds_clip(b, rows, v);
    return;
  }
  const float lim = 1.0f - 1e-6f;
  for (int r = 0; r < rows; r++, v += nu, u += nu)
    for (int j = 0; j < nu; j++) {
      float a = (u[j] - b->mid[j]) / b->half[j];
      if (!(a > -lim)) a = -lim; /* also maps NaN to the lower bound */
      if (a > lim) a = lim;
      v[j] = atanhf(a);
    }
}

void plan_bounds_chain(const plan_bounds *b, int rows, const float *v, const float *gu, float *gv) {
  int nu = b->nu;
  if (b->mode == PLAN_BOUNDS_CLIP) {
    if (gu != gv) memcpy(gv, gu, sizeof(float) * (size_t)rows * nu);
    return;
  }
  for (int r = 0; r < rows; r++, v += nu, gu += nu, gv += nu)
    for (int j = 0; j < nu; j++) {
      float th = tanhf(v[j]);
      gv[j] = gu[j] * b->half[j] * (1.0f - th * th); /* d(mid + half tanh v)/dv */
    }
}

/* ============================== schedules ====================================================== */

double plan_sched_value(plan_sched kind, double v0, double v1, int i, int n) {
  if (kind == PLAN_SCHED_CONSTANT || n <= 1) return v0;
  double f = (double)i / (double)(n - 1);
  if (f < 0) f = 0;
  if (f > 1) f = 1;
  if (kind == PLAN_SCHED_LINEAR) return v0 + (v1 - v0) * f;
  return v1 + (v0 - v1) * 0.5 * (1.0 + cos(M_PI * f));
}

int plan_level_at(int fixed, int nlevels, int i, int n) {
  if (nlevels <= 1) return 0;
  if (fixed >= 0) return fixed < nlevels ? fixed : nlevels - 1;
  if (n <= 1) return nlevels - 1;
  long l = (long)i * nlevels / n;
  return l >= nlevels ? nlevels - 1 : (int)l;
}

double plan_weight_value(plan_weight conv, double beta, double sigma) {
  return conv == PLAN_WEIGHT_SIGMA2_BETA ? sigma * sigma * beta : beta;
}

/* ============================== warm start ===================================================== */

void plan_shift(float *s, int T, int n, plan_warm mode) {
  if (T <= 0) return;
  if (T > 1) memmove(s, s + n, sizeof(float) * (size_t)(T - 1) * n);
  if (mode == PLAN_WARM_ZERO) memset(s + (size_t)(T - 1) * n, 0, sizeof(float) * n);
  /* REPEAT: row T−1 already holds the old last row, and row T−2 now holds it too. */
}

/* ============================== config groups ================================================== */

int plan_cfg_common(sgp_cfg *c, int with_bounds, plan_common_cfg *out, sgp_err *e) {
  long h = 0, so = 0;
  int bm = 0, wm = 0;
  if (sgp_cfg_int_opt(c, "horizon", 0, 100000, 0, &h, e) ||
      (with_bounds && sgp_cfg_enum(c, "bounds", plan_bounds_names, 2, PLAN_BOUNDS_CLIP, &bm, e)) ||
      sgp_cfg_enum(c, "warm_start", plan_warm_names, 2, PLAN_WARM_REPEAT, &wm, e) ||
      sgp_cfg_int_opt(c, "seed_offset", 0, 1L << 40, 0, &so, e))
    return -1;
  out->horizon = (int)h;
  out->bounds = (plan_bounds_mode)bm;
  out->warm = (plan_warm)wm;
  out->seed_offset = so;
  out->view_candidates = 0;
  return 0;
}

int plan_cfg_beta(sgp_cfg *c, double beta_dflt, plan_beta_cfg *out, sgp_err *e) {
  int bs = 0;
  if (sgp_cfg_num_opt(c, "beta", beta_dflt, &out->beta, e)) return -1;
  if (sgp_cfg_num_opt(c, "beta_final", out->beta, &out->beta_final, e) ||
      sgp_cfg_enum(c, "beta_schedule", plan_sched_names, 3, PLAN_SCHED_CONSTANT, &bs, e))
    return -1;
  if (!(out->beta >= 0) || !isfinite(out->beta))
    return sgp_fail(e, "%s: %s/beta: must be a finite number >= 0", c->file, c->path);
  if (!(out->beta_final >= 0) || !isfinite(out->beta_final))
    return sgp_fail(e, "%s: %s/beta_final: must be a finite number >= 0", c->file, c->path);
  out->sched = (plan_sched)bs;
  return 0;
}

int plan_cfg_opt(sgp_cfg *c, int iters_dflt, double lr_dflt, plan_opt_cfg *out, sgp_err *e) {
  long it = 0, rs = 0;
  int ls = 0, in = 0;
  static const char *const lr_names[2] = {"constant", "cosine"};
  if (sgp_cfg_int_opt(c, "iters", 0, 10000000, iters_dflt, &it, e) ||
      sgp_cfg_num_opt(c, "lr", lr_dflt, &out->lr, e) ||
      sgp_cfg_enum(c, "lr_schedule", lr_names, 2, 0, &ls, e) ||
      sgp_cfg_num_opt(c, "lr_final", 0.0, &out->lr_final, e) ||
      sgp_cfg_int_opt(c, "restarts", 1, 4096, 1, &rs, e) ||
      sgp_cfg_num_opt(c, "restart_noise", 0.3, &out->restart_noise, e) ||
      sgp_cfg_num_opt(c, "grad_clip", 0.0, &out->grad_clip, e) ||
      sgp_cfg_enum(c, "init", plan_init_names, 3, PLAN_INIT_ZERO, &in, e))
    return -1;
  if (!(out->lr > 0) || !isfinite(out->lr))
    return sgp_fail(e, "%s: %s/lr: must be a finite number > 0", c->file, c->path);
  if (!(out->lr_final >= 0) || !isfinite(out->lr_final))
    return sgp_fail(e, "%s: %s/lr_final: must be a finite number >= 0", c->file, c->path);
  if (!(out->restart_noise >= 0) || !isfinite(out->restart_noise))
    return sgp_fail(e, "%s: %s/restart_noise: must be a finite number >= 0", c->file, c->path);
  if (!(out->grad_clip >= 0) || !isfinite(out->grad_clip))
    return sgp_fail(e, "%s: %s/grad_clip: must be a finite number >= 0 (0: off)", c->file, c->path);
  out->iters = (int)it;
  out->restarts = (int)rs;
  out->lr_cosine = ls;
  out->init = (plan_init)in;
  return 0;
}

double plan_opt_lr(const plan_opt_cfg *o, int i, int n) {
  if (!o->lr_cosine) return o->lr;
  return plan_sched_value(PLAN_SCHED_COSINE, o->lr, o->lr_final, i, n);
}

int plan_cfg_score(sgp_cfg *c, plan_weight dflt, plan_weight *conv, int *level, sgp_err *e) {
  int w = 0;
  long l = -1;
  if (sgp_cfg_enum(c, "score_weight", plan_weight_names, 2, (int)dflt, &w, e) ||
      sgp_cfg_int_opt(c, "score_level", -1, 1000, -1, &l, e))
    return -1;
  *conv = (plan_weight)w;
  *level = (int)l;
  return 0;
}

int plan_check_score(const plan_score *s, const plan_ctx *ctx, int level, plan_weight conv,
                     sgp_err *e) {
  if (!s || !s->vt || !s->vt->eval || !s->vt->ws_create || !s->vt->ws_free)
    return sgp_fail(e, "planner: the score model is missing");
  if (s->dim != plan_zdim(s->layout, ctx->nx, ctx->nu))
    return sgp_fail(e, "planner: the score model has dim %d, layout %s needs %d", s->dim,
                    s->layout == PLAN_Z_XUX ? "(x,u,x')" : "(x,u)",
                    plan_zdim(s->layout, ctx->nx, ctx->nu));
  if (s->nlevels < 1)
    return sgp_fail(e, "planner: the score model has %d noise levels", s->nlevels);
  if (level >= s->nlevels)
    return sgp_fail(e, "planner: score_level %d but the score model has %d levels", level,
                    s->nlevels);
  if (conv == PLAN_WEIGHT_SIGMA2_BETA || s->nlevels > 1) {
    if (!s->sigma) return sgp_fail(e, "planner: the score model does not give its σ levels");
    for (int l = 0; l < s->nlevels; l++)
      if (!(s->sigma[l] >= 0) || !isfinite(s->sigma[l]))
        return sgp_fail(e, "planner: the score model's sigma[%d] = %g is invalid", l, s->sigma[l]);
  }
  return 0;
}

void plan_init_plan(const plan_bounds *b, plan_init init, int T, sgp_rng *rng, float *u) {
  int nu = b->nu;
  for (int t = 0; t < T; t++)
    for (int j = 0; j < nu; j++) {
      float v = 0;
      int fin = isfinite(b->lo[j]) && isfinite(b->hi[j]);
      if (init == PLAN_INIT_MID) v = b->mid[j];
      if (init == PLAN_INIT_RANDOM)
        v = fin ? b->lo[j] + (b->hi[j] - b->lo[j]) * (float)sgp_rng_uniform(rng)
                : (float)sgp_rng_normal(rng);
      u[(size_t)t * nu + j] = v;
    }
  plan_bounds_clip(b, T, u);
}

int plan_horizon(const plan_common_cfg *c, const plan_ctx *ctx, sgp_cfg *cfg, sgp_err *e) {
  int H = c->horizon > 0 ? c->horizon : ctx->T_env;
  if (H < 1)
    return sgp_fail(e, "%s: %s/horizon: 0 means the episode length, but the context has T_env = %d",
                    cfg->file, cfg->path, ctx->T_env);
  return H;
}

/* ============================== helpers ======================================================== */

static int key_less(const float *key, int a, int b) {
  float ka = key[a], kb = key[b];
  int na = isnan(ka), nb = isnan(kb);
  if (na != nb) return nb; /* non-NaN before NaN */
  if (!na && ka != kb) return ka < kb;
  return a < b;
}

static void sift_down(const float *key, int *idx, int start, int end) {
  int root = start;
  for (;;) {
    int child = 2 * root + 1;
    if (child > end) return;
    int sw = root;
    if (key_less(key, idx[sw], idx[child])) sw = child;
    if (child + 1 <= end && key_less(key, idx[sw], idx[child + 1])) sw = child + 1;
    if (sw == root) return;
    int t = idx[root];
    idx[root] = idx[sw];
    idx[sw] = t;
    root = sw;
  }
}

void plan_argsort(const float *key, int *idx, int n) {
  for (int i = 0; i < n; i++) idx[i] = i;
  if (n < 2) return;
  for (int s = (n - 2) / 2; s >= 0; s--) sift_down(key, idx, s, n - 1);
  for (int end = n - 1; end > 0; end--) {
    int t = idx[0];
    idx[0] = idx[end];
    idx[end] = t;
    sift_down(key, idx, 0, end - 1);
  }
}

double plan_norm(const float *g, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
  return sqrt(s);
}

int plan_finite_d(double v) { return isfinite(v) ? 1 : 0; }

void plan_emit_action(const plan_ctx *ctx, const float *u, double *out) {
  for (int i = 0; i < ctx->nu; i++) {
    double v = u[i];
    if (ctx->u_lo && v < ctx->u_lo[i]) v = ctx->u_lo[i];
    if (ctx->u_hi && v > ctx->u_hi[i]) v = ctx->u_hi[i];
    out[i] = v;
  }
}

void plan_fallback(const plan_bounds *b, const float *warm, int H, const float *x0, int nx,
                   float *plan_u, float *plan_x, plan_diag *d) {
  size_t per = (size_t)H * b->nu;
  memcpy(plan_u, warm, sizeof(float) * per);
  plan_bounds_clip(b, H, plan_u);
  for (size_t i = 0; i < per; i++)
    if (!isfinite(plan_u[i])) plan_u[i] = b->mid[i % b->nu];
  for (int t = 0; t <= H; t++) memcpy(plan_x + (size_t)t * nx, x0, sizeof(float) * nx);
  d->objective = d->cost = d->penalty = NAN;
  d->fallback = 1;
}

void plan_finish(const plan_ctx *ctx, const plan_bounds *b, int H, plan_warm mode,
                 const float *plan_u, float *warm, double *u, plan_diag *d, int iters,
                 long model_rows, long score_rows, double t0) {
  plan_emit_action(ctx, plan_u, u);
  memcpy(warm, plan_u, sizeof(float) * H * b->nu);
  plan_shift(warm, H, b->nu, mode);
  plan_bounds_clip(b, H, warm);
  d->iters = iters;
  d->model_rows = model_rows;
  d->score_rows = score_rows;
  d->time_s = sgp_now() - t0;
}

void plan_x_to_float(const double *x, float *xf, int n) {
  for (int i = 0; i < n; i++) xf[i] = (float)x[i];
}

void plan_rng_episode(sgp_rng *r, uint64_t ctx_seed, long offset, const char *name,
                      uint64_t episode_seed) {
  sgp_rng base;
  sgp_rng_stream(&base, ctx_seed + (uint64_t)offset, name);
  sgp_rng_child(r, &base, episode_seed);
}

int plan_check_dyn(const plan_dyn *d, const plan_ctx *ctx, const char *what, int need_vjp,
                   sgp_err *e) {
  if (!d || !d->vt || !d->vt->forward || !d->vt->ws_create || !d->vt->ws_free)
    return sgp_fail(e, "planner: the %s model is missing", what);
  if (d->nx != ctx->nx || d->nu != ctx->nu || d->K < 1)
    return sgp_fail(e, "planner: the %s model has nx=%d nu=%d K=%d, the problem nx=%d nu=%d", what,
                    d->nx, d->nu, d->K, ctx->nx, ctx->nu);
  if (need_vjp && !d->vt->vjp)
    return sgp_fail(e, "planner: the %s model (%s) is not differentiable (no vjp)", what,
                    d->vt->kind ? d->vt->kind : "?");
  return 0;
}

int plan_forward(const plan_dyn *d, void *ws, int t, int B, const float *x, const float *u,
                 float *xnext) {
  size_t n = (size_t)d->K * B * d->nx;
  for (size_t i = 0; i < n; i++) xnext[i] = NAN;
  return d->vt->forward(d->model, ws, t, B, x, u, xnext);
}

int plan_zdim(plan_zlayout l, int nx, int nu) { return l == PLAN_Z_XUX ? 2 * nx + nu : nx + nu; }
