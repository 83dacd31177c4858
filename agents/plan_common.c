/* Shared planner machinery: bounds, schedules, warm-start shift, config groups, sorting.
 * See agents/plan_common.h. */
#include "agents/plan_common.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
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
  static const char *const costs[2] = {"env", "learned"}, *const terms[2] = {"none", "known"};
  int lc = 0, tm = 1;
  if (sgp_cfg_enum(c, "cost", costs, 2, 0, &lc, e) || sgp_cfg_enum(c, "termination", terms, 2, 1, &tm, e))
    return -1;
  out->learned_cost = lc;
  out->termination = tm;
  return 0;
}

int plan_common_needs(const plan_common_cfg *c) { return c->learned_cost ? PLAN_NEEDS_COST : 0; }

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

int plan_forward_member(const plan_dyn *d, void *ws, int t, int k, int B, const float *x,
                        const float *u, float *xnext) {
  size_t n = (size_t)B * d->nx;
  for (size_t i = 0; i < n; i++) xnext[i] = NAN;
  return d->vt->forward_member(d->model, ws, t, k, B, x, u, xnext);
}

int plan_zdim(plan_zlayout l, int nx, int nu) { return l == PLAN_Z_XUX ? 2 * nx + nu : nx + nu; }

/* ============================== one-block workspaces =========================================== */

void *plan_take(plan_block *b, size_t count, size_t size) {
  size_t off = (b->used + 63) & ~(size_t)63;
  b->used = off + count * size;
  return b->base ? b->base + off : NULL;
}

void *plan_block_make(void (*layout)(void *self, plan_block *b), plan_base *pb) {
  void *self = pb;
  plan_block b = {NULL, 0};
  layout(self, &b);
  size_t size = (b.used + 63) & ~(size_t)63;
  b.base = aligned_alloc(64, size ? size : 64);
  if (!b.base) {
    fprintf(stderr, "sgp: out of memory (%zu bytes for a planner workspace)\n", size);
    abort();
  }
  memset(b.base, 0, size);
  b.used = 0;
  layout(self, &b);
  pb->bytes = size;
  return b.base;
}

/* ============================== lanes ========================================================== */

int plan_base_init(plan_base *pb, const plan_vt *vt, const plan_ctx *ctx, const plan_common_cfg *com,
                   const char *stream, int H, const char *file, const char *path, sgp_err *e) {
  char bpath[600];
  snprintf(bpath, sizeof bpath, "%s/bounds", path ? path : "");
  if (ctx->lanes < 0 || ctx->lanes > 65536)
    return sgp_fail(e, "planner %s: %d lanes (expected 1..65536)", vt->name, ctx->lanes);
  if (plan_bounds_init(&pb->bnd, ctx, com->bounds, file, path ? bpath : "(action bounds)", e))
    return -1;
  pb->pub.vt = vt;
  pb->ctx = *ctx;
  pb->com = *com;
  pb->stream = stream;
  pb->nx = ctx->nx, pb->nu = ctx->nu, pb->H = H;
  pb->L = ctx->lanes > 1 ? ctx->lanes : 1;
  return 0;
}

void plan_base_layout(plan_base *pb, plan_block *b) {
  int L = pb->L, H = pb->H, nx = pb->nx, nu = pb->nu;
  PLAN_TAKE(b, pb->lane, L);
  PLAN_TAKE(b, pb->x0, (size_t)L * nx);
  PLAN_TAKE(b, pb->done, L);
  PLAN_TAKE(b, pb->run, L);
  PLAN_TAKE(b, pb->mrows, L);
  PLAN_TAKE(b, pb->srows, L);
  for (int l = 0; l < L; l++) {
    plan_lane tmp, *ln = b->base ? &pb->lane[l] : &tmp;
    PLAN_TAKE(b, ln->warm, (size_t)H * nu);
    if (pb->with_warm_x) PLAN_TAKE(b, ln->warm_x, (size_t)H * nx);
    else ln->warm_x = NULL;
    PLAN_TAKE(b, ln->plan_u, (size_t)H * nu);
    PLAN_TAKE(b, ln->plan_x, (size_t)(H + 1) * nx);
    if (pb->cand_slots > 0) PLAN_TAKE(b, ln->cand_x, (size_t)pb->cand_slots * (H + 1) * nx);
    else ln->cand_x = NULL;
    if (b->base) plan_rng_episode(&ln->rng, pb->ctx.seed, pb->com.seed_offset, pb->stream, 0);
  }
}

int plan_base_begin(plan_base *pb, int n, const int *lanes, const double *x, sgp_err *e) {
  if (n < 1 || n > pb->L)
    return sgp_fail(e, "planner %s: act on %d lanes, it has %d", pb->pub.vt->name, n, pb->L);
  for (int i = 0; i < n; i++) {
    if (lanes[i] < 0 || lanes[i] >= pb->L)
      return sgp_fail(e, "planner %s: lane %d outside 0..%d", pb->pub.vt->name, lanes[i], pb->L - 1);
    for (int k = 0; k < i; k++)
      if (lanes[k] == lanes[i])
        return sgp_fail(e, "planner %s: lane %d listed twice", pb->pub.vt->name, lanes[i]);
  }
  pb->n = n;
  pb->lanes = lanes;
  for (int i = 0; i < n; i++) {
    plan_x_to_float(x + (size_t)i * pb->nx, pb->x0 + (size_t)i * pb->nx, pb->nx);
    pb->done[i] = 0, pb->run[i] = 1, pb->mrows[i] = pb->srows[i] = 0;
  }
  return 0;
}

void plan_base_count(plan_base *pb, long mrows, long srows, int all) {
  for (int i = 0; i < pb->n; i++)
    if (all || pb->run[i]) pb->mrows[i] += mrows, pb->srows[i] += srows;
}

void plan_base_finish(plan_base *pb, int i, int ok, double objective, double cost, double penalty,
                      double *u, plan_diag *d, double time_s) {
  plan_lane *ln = &pb->lane[pb->lanes[i]];
  int H = pb->H, nx = pb->nx;
  memset(d, 0, sizeof *d);
  d->grad_norm = d->cost_grad_norm = NAN;
  if (ok) d->objective = objective, d->cost = cost, d->penalty = penalty;
  else plan_fallback(&pb->bnd, ln->warm, H, pb->x0 + (size_t)i * nx, nx, ln->plan_u, ln->plan_x, d);
  plan_emit_action(&pb->ctx, ln->plan_u, u);
  memcpy(ln->warm, ln->plan_u, sizeof(float) * H * pb->nu);
  plan_shift(ln->warm, H, pb->nu, pb->com.warm);
  plan_bounds_clip(&pb->bnd, H, ln->warm);
  if (ln->warm_x) {
    memcpy(ln->warm_x, ln->plan_x + nx, sizeof(float) * (size_t)H * nx);
    plan_shift(ln->warm_x, H, nx, PLAN_WARM_REPEAT);
  }
  ln->have_warm = 1;
  d->iters = pb->done[i];
  d->model_rows = pb->mrows[i];
  d->score_rows = pb->srows[i];
  d->time_s = time_s;
}

double plan_member_std(const float *x, size_t stride, int K, double *mean) {
  double a = 0, b = 0;
  for (int k = 0; k < K; k++) {
    double v = x[(size_t)k * stride];
    a += v, b += v * v;
  }
  a /= K;
  *mean = a;
  double var = b / K - a * a;
  return sqrt(var > 0 ? var : 0);
}

void plan_gather_rows(float *dst, const float *X, int T, size_t stride, size_t row, int nx) {
  for (int t = 0; t < T; t++)
    memcpy(dst + (size_t)t * nx, X + ((size_t)t * stride + row) * nx, sizeof(float) * nx);
}

void plan_base_free(plan_base *pb) { plan_bounds_free(&pb->bnd); }

void plan_reset_lane(planner *p, int lane, uint64_t episode_seed) {
  plan_base *pb = (plan_base *)p;
  if (lane < 0 || lane >= pb->L) return;
  plan_lane *ln = &pb->lane[lane];
  ln->have_warm = 0;
  plan_rng_episode(&ln->rng, pb->ctx.seed, pb->com.seed_offset, pb->stream, episode_seed);
}

void plan_view_lane(const planner *p, int lane, plan_view *v) {
  const plan_base *pb = (const plan_base *)p;
  memset(v, 0, sizeof *v);
  if (lane < 0 || lane >= pb->L) return;
  const plan_lane *ln = &pb->lane[lane];
  v->T = pb->H, v->nx = pb->nx, v->nu = pb->nu;
  v->x = ln->plan_x;
  v->u = ln->plan_u;
  v->ncand = ln->ncand;
  v->cand_x = ln->cand_x;
}

size_t plan_workspace_bytes(const planner *p) { return ((const plan_base *)p)->bytes; }

void plan_reset_one(planner *p, uint64_t episode_seed) { p->vt->reset_lane(p, 0, episode_seed); }

int plan_act_one(planner *p, const double *x, double *u, plan_diag *d, sgp_err *e) {
  static const int lane0 = 0;
  return p->vt->act_lanes(p, 1, &lane0, x, u, d, e);
}

void plan_view_one(const planner *p, plan_view *v) { p->vt->view_lane(p, 0, v); }

/* ============================== first-order solvers ============================================ */

void plan_fo_layout(plan_fo *f, plan_block *b, size_t B, size_t per) {
  PLAN_TAKE(b, f->V, B * per);
  PLAN_TAKE(b, f->U, B * per);
  PLAN_TAKE(b, f->G, B * per);
  PLAN_TAKE(b, f->cost_r, B);
  PLAN_TAKE(b, f->pen_r, B);
  PLAN_TAKE(b, f->obj_r, B);
  PLAN_TAKE(b, f->dead, B);
}

void plan_fo_start(plan_base *pb, const plan_opt_cfg *o, int R, float *V, float *U, float *X,
                   int *dead) {
  const int H = pb->H, nu = pb->nu, nx = pb->nx;
  const size_t per = (size_t)H * nu, perx = (size_t)H * nx;
  for (int i = 0; i < pb->n; i++) {
    plan_lane *ln = &pb->lane[pb->lanes[i]];
    for (int r = 0; r < R; r++) {
      size_t j = (size_t)i * R + r;
      float *ur = U + j * per;
      memcpy(ur, ln->warm, sizeof(float) * per);
      if (X) memcpy(X + j * perx, ln->warm_x, sizeof(float) * perx);
      if (r > 0)
        for (int t = 0; t < H; t++)
          for (int k = 0; k < nu; k++)
            ur[(size_t)t * nu + k] +=
                (float)(o->restart_noise * pb->bnd.half[k] * sgp_rng_normal(&ln->rng));
      plan_bounds_clip(&pb->bnd, H, ur);
      plan_bounds_from_u(&pb->bnd, H, ur, V + j * per);
      dead[j] = 0;
    }
  }
}

int plan_fo_guard(plan_base *pb, const plan_opt_cfg *o, int R, int it, float *G, size_t per,
                  float *GX, size_t perx, const double *obj, int *dead) {
  int running = 0;
  for (int i = 0; i < pb->n; i++) {
    int alive = 0;
    for (int r = 0; r < R; r++) {
      size_t j = (size_t)i * R + r;
      float *g = G + j * per, *gx = GX ? GX + j * perx : NULL;
      double nu_ = plan_norm(g, per), n = nu_;
      if (gx) {
        double nx_ = plan_norm(gx, perx);
        n = sqrt(nx_ * nx_ + nu_ * nu_);
      }
      if (dead[j] || !isfinite(n) || !isfinite(obj[j])) {
        dead[j] = 1; /* diverged: frozen out of the search */
        memset(g, 0, sizeof(float) * per);
        if (gx) memset(gx, 0, sizeof(float) * perx);
        continue;
      }
      alive++;
      if (o->grad_clip > 0 && n > o->grad_clip) {
        float f = (float)(o->grad_clip / n);
        for (size_t k = 0; k < per; k++) g[k] *= f;
        for (size_t k = 0; gx && k < perx; k++) gx[k] *= f;
      }
    }
    if (!pb->run[i]) continue;
    if (alive) pb->done[i] = it + 1, running++;
    else pb->run[i] = 0;
  }
  return running;
}

double plan_score_weight(const plan_score *sc, const plan_beta_cfg *b, plan_weight conv,
                         int fixed_level, int it, int iters, int *level) {
  double beta = plan_sched_value(b->sched, b->beta, b->beta_final, it, iters);
  *level = plan_level_at(fixed_level, sc->nlevels, it, iters);
  return plan_weight_value(conv, beta, sc->sigma ? sc->sigma[*level] : 0.0);
}

void plan_score_term(const plan_score *sc, void *ws, int T, int B, int nx, int nu, const float *X,
                     const float *U, int level, double w, float *Z, float *S, double *pen,
                     float *GX, float *GU) {
  const int zd = sc->dim, xux = sc->layout == PLAN_Z_XUX;
  const size_t TB = (size_t)T * B;
  const double sig = sc->sigma ? sc->sigma[level] : 0.0;
  for (size_t i = 0; i < TB; i++) { /* row i = (t, j); x_{t+1} is row i + B */
    float *z = Z + i * zd;
    memcpy(z, X + i * nx, sizeof(float) * nx);
    memcpy(z + nx, U + i * nu, sizeof(float) * nu);
    if (xux) memcpy(z + nx + nu, X + (i + B) * nx, sizeof(float) * nx);
  }
  sc->vt->eval(sc->model, ws, (int)TB, Z, level, S);
  for (size_t i = 0; i < TB; i++) {
    const float *sv = S + i * zd;
    double n2 = 0;
    for (int k = 0; k < zd; k++) {
      double v = sig * (sc->scale ? sc->scale[k] : 1.0f) * sv[k];
      n2 += v * v;
    }
    /* reported proxy of −w log p: ½ w Σ_k (σ scale_k s_k)², exact up to a constant for Gaussian
     * data of covariance diag((σ scale_k)²) (scale: plan_score.scale) */
    pen[i % B] += w * 0.5 * n2;
    if (!GX) continue;
    float *gx = GX + i * nx, *gu = GU + i * nu;
    for (int k = 0; k < nx; k++) gx[k] -= (float)(w * sv[k]);
    for (int k = 0; k < nu; k++) gu[k] -= (float)(w * sv[nx + k]);
    if (xux) {
      float *gx1 = GX + (i + B) * nx;
      for (int k = 0; k < nx; k++) gx1[k] -= (float)(w * sv[nx + nu + k]);
    }
  }
}

/* ============================== termination ==================================================== */

int plan_terminates(const plan_base *pb) { return pb->com.termination && pb->ctx.cost.terminated != NULL; }

void plan_cost_mask(const plan_base *pb, int T, int B, const float *X, float *A, float *C, float *GX,
                    float *GU) {
  if (!plan_terminates(pb) || T < 1 || B < 1) return;
  const int nx = pb->nx, nu = pb->nu;
  const plan_cost *c = &pb->ctx.cost;
  c->terminated(c->term_self, T * B, X + (size_t)B * nx, A); /* done(x_1..x_T) */
  for (int t = 1; t <= T; t++) /* A[(t−1)B + b] ← alive_t */
    for (int b = 0; b < B; b++) {
      float *a = &A[(size_t)(t - 1) * B + b];
      float prev = t > 1 ? a[-B] : 1.0f;
      *a = prev * (1.0f - *a);
    }
  for (int t = 1; t <= T; t++)
    for (int b = 0; b < B; b++) {
      float a = A[(size_t)(t - 1) * B + b];
      size_t r = (size_t)t * B + b;
      C[r] *= a;
      if (GX)
        for (int i = 0; i < nx; i++) GX[r * nx + i] *= a;
      if (GU && t < T)
        for (int i = 0; i < nu; i++) GU[r * nu + i] *= a;
    }
}
