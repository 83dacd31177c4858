/* Score-guided direct collocation (METHOD §4):
 *   min_{x_1..x_T, u_0..u_{T−1}}  Σ_t c(x_t,u_t) + c_T(x_T) − w Σ_t log p(x_t,u_t,x_{t+1})
 *                                 + ρ Σ_t ‖x_{t+1} − f(x_t,u_t)‖²          (optional defect)
 * with x_0 the measured state. The score enters as a gradient only: −w·s(z_t) split into its
 * x, u and x' parts is added to the gradients of x_t, u_t and x_{t+1}, so every free state x_t
 * (1 ≤ t < T) receives the x' part of z_{t−1} and the x part of z_t. Unlike shooting, nothing is
 * sequential: costs, scores and the defect model call each take all T·R rows in one batch. */
#include "agents/plan_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct coll_cfg {
  plan_common_cfg com;
  plan_opt_cfg opt;
  plan_beta_cfg beta;
  plan_weight weight;
  int level;
  double rho, lr_state;
  int rollout_init;
} coll_cfg;

typedef struct coll {
  planner base;
  coll_cfg cfg;
  plan_ctx ctx;
  const plan_dyn *dyn;     /* defect model / rollout init, or NULL */
  const plan_score *score; /* or NULL */
  void *dws, *sws;
  plan_bounds bnd;
  sgp_adam *adam_x, *adam_u;
  sgp_rng rng;
  int nx, nu, H, R, zdim;
  /* time-major: row (t, r) */
  float *Xf, *Ut, *C, *GXf, *GU, *Z, *S, *F, *Res, *DX, *DU;
  /* restart-major decision variables */
  float *X, *V, *U, *GX, *G;
  double *cost_r, *pen_r, *def_r, *obj_r;
  int *dead;
  float *x0f, *warm_x, *warm_u;
  int have_warm;
  float *plan_x, *plan_u;
  long model_rows, score_rows;
} coll;

static int coll_parse(sgp_cfg *c, coll_cfg *o, sgp_err *e) {
  memset(o, 0, sizeof *o);
  static const char *const si[2] = {"hold", "rollout"};
  if (plan_cfg_common(c, 1, &o->com, e) || plan_cfg_opt(c, 300, 0.1, &o->opt, e) ||
      plan_cfg_beta(c, 0.1, &o->beta, e) ||
      plan_cfg_score(c, PLAN_WEIGHT_SIGMA2_BETA, &o->weight, &o->level, e) ||
      sgp_cfg_num_opt(c, "rho", 0.0, &o->rho, e) ||
      sgp_cfg_num_opt(c, "lr_state", o->opt.lr, &o->lr_state, e) ||
      sgp_cfg_enum(c, "state_init", si, 2, 0, &o->rollout_init, e))
    return -1;
  if (!(o->rho >= 0) || !isfinite(o->rho))
    return sgp_fail(e, "%s: %s/rho: must be a finite number >= 0", c->file, c->path);
  if (!(o->lr_state > 0) || !isfinite(o->lr_state))
    return sgp_fail(e, "%s: %s/lr_state: must be a finite number > 0", c->file, c->path);
  static const char *const keys[] = {
      "name", "horizon", "bounds", "warm_start", "seed_offset", "iters", "lr", "lr_schedule",
      "lr_final", "restarts", "restart_noise", "grad_clip", "init", "beta", "beta_final",
      "beta_schedule", "score_weight", "score_level", "rho", "lr_state", "state_init", NULL};
  return sgp_cfg_check_keys(c, keys, e);
}

static int coll_uses_score(const coll_cfg *o) { return o->beta.beta > 0 || o->beta.beta_final > 0; }
static int coll_uses_dyn(const coll_cfg *o) { return o->rho > 0 || o->rollout_init; }

static int coll_needs(sgp_cfg *cfg, int *mask, sgp_err *e) {
  coll_cfg o;
  if (coll_parse(cfg, &o, e)) return -1;
  *mask = (coll_uses_score(&o) ? PLAN_NEEDS_SCORE : 0) | (coll_uses_dyn(&o) ? PLAN_NEEDS_DYN : 0);
  return 0;
}

static void coll_destroy(planner *p) {
  coll *s = (coll *)p;
  if (!s) return;
  if (s->dws) s->dyn->vt->ws_free(s->dws);
  if (s->sws) s->score->vt->ws_free(s->sws);
  plan_bounds_free(&s->bnd);
  sgp_adam_free(s->adam_x);
  sgp_adam_free(s->adam_u);
  free(s->Xf), free(s->Ut), free(s->C), free(s->GXf), free(s->GU), free(s->Z), free(s->S);
  free(s->F), free(s->Res), free(s->DX), free(s->DU);
  free(s->X), free(s->V), free(s->U), free(s->GX), free(s->G);
  free(s->cost_r), free(s->pen_r), free(s->def_r), free(s->obj_r), free(s->dead);
  free(s->x0f), free(s->warm_x), free(s->warm_u), free(s->plan_x), free(s->plan_u);
  free(s);
}

static int coll_create(sgp_cfg *cfg, const plan_ctx *ctx, planner **out, sgp_err *e) {
  coll_cfg o;
  if (coll_parse(cfg, &o, e)) return -1;
  int H = plan_horizon(&o.com, ctx, cfg, e);
  if (H < 0) return -1;
  const plan_dyn *dyn = NULL;
  const plan_score *score = NULL;
  if (coll_uses_dyn(&o)) {
    if (plan_check_dyn(ctx->dyn, ctx, "dynamics", o.rho > 0, e)) return -1;
    if (ctx->dyn->K != 1) return sgp_fail(e, "planner sgp-collocation: the dynamics model must have K = 1");
    dyn = ctx->dyn;
  }
  if (coll_uses_score(&o)) {
    if (plan_check_score(ctx->score, ctx, o.level, o.weight, e)) return -1;
    score = ctx->score;
  }
  if (!ctx->cost.running || !ctx->cost.terminal)
    return sgp_fail(e, "planner sgp-collocation: the context has no cost");
  coll *s = sgp_calloc(1, sizeof *s);
  char bpath[600];
  snprintf(bpath, sizeof bpath, "%s/bounds", cfg->path);
  if (plan_bounds_init(&s->bnd, ctx, o.com.bounds, cfg->file, bpath, e)) {
    free(s);
    return -1;
  }
  s->base.vt = &plan_vt_sgp_collocation;
  s->cfg = o;
  s->ctx = *ctx;
  s->dyn = dyn;
  s->score = score;
  s->nx = ctx->nx, s->nu = ctx->nu, s->H = H, s->R = o.opt.restarts;
  s->zdim = score ? score->dim : 0;
  int nx = s->nx, nu = s->nu, R = s->R;
  size_t HR = (size_t)H * R;
  if (dyn) s->dws = dyn->vt->ws_create(dyn->model, (int)HR, 1);
  if (score) s->sws = score->vt->ws_create(score->model, (int)HR);
  s->Xf = sgp_falloc((HR + R) * nx);
  s->Ut = sgp_falloc(HR * nu);
  s->C = sgp_falloc(HR + R);
  s->GXf = sgp_falloc((HR + R) * nx);
  s->GU = sgp_falloc(HR * nu);
  if (score) {
    s->Z = sgp_falloc(HR * s->zdim);
    s->S = sgp_falloc(HR * s->zdim);
  }
  s->F = sgp_falloc(HR * nx);
  s->Res = sgp_falloc(HR * nx);
  s->DX = sgp_falloc(HR * nx);
  s->DU = sgp_falloc(HR * nu);
  s->X = sgp_falloc(HR * nx);
  s->GX = sgp_falloc(HR * nx);
  s->V = sgp_falloc(HR * nu);
  s->U = sgp_falloc(HR * nu);
  s->G = sgp_falloc(HR * nu);
  s->cost_r = sgp_calloc((size_t)R, sizeof(double));
  s->pen_r = sgp_calloc((size_t)R, sizeof(double));
  s->def_r = sgp_calloc((size_t)R, sizeof(double));
  s->obj_r = sgp_calloc((size_t)R, sizeof(double));
  s->dead = sgp_calloc((size_t)R, sizeof(int));
  s->x0f = sgp_falloc((size_t)nx);
  s->warm_x = sgp_falloc((size_t)H * nx);
  s->warm_u = sgp_falloc((size_t)H * nu);
  s->plan_x = sgp_falloc((size_t)(H + 1) * nx);
  s->plan_u = sgp_falloc((size_t)H * nu);
  memset(s->plan_x, 0, sizeof(float) * (H + 1) * nx);
  memset(s->plan_u, 0, sizeof(float) * H * nu);
  sgp_adam_cfg ac = sgp_adam_defaults();
  ac.clip_norm = 0;
  ac.lr = (float)o.lr_state;
  s->adam_x = sgp_adam_create(HR * nx, &ac);
  ac.lr = (float)o.opt.lr;
  s->adam_u = sgp_adam_create(HR * nu, &ac);
  plan_rng_episode(&s->rng, ctx->seed, o.com.seed_offset, "sgp-collocation", 0);
  *out = &s->base;
  return 0;
}

static void coll_reset(planner *p, uint64_t episode_seed) {
  coll *s = (coll *)p;
  s->have_warm = 0;
  plan_rng_episode(&s->rng, s->ctx.seed, s->cfg.com.seed_offset, "sgp-collocation", episode_seed);
}

/* Objective of (s->X, s->V) and, if grad, its gradient into s->GX, s->G. */
static int coll_eval(coll *s, int it, int grad) {
  const int H = s->H, R = s->R, nx = s->nx, nu = s->nu;
  const size_t HR = (size_t)H * R;
  int fail = 0;
  plan_bounds_to_u(&s->bnd, R * H, s->V, s->U);
  for (int r = 0; r < R; r++) {
    memcpy(s->Xf + (size_t)r * nx, s->x0f, sizeof(float) * nx);
    for (int t = 0; t < H; t++) {
      memcpy(s->Xf + ((size_t)(t + 1) * R + r) * nx, s->X + ((size_t)r * H + t) * nx,
             sizeof(float) * nx);
      memcpy(s->Ut + ((size_t)t * R + r) * nu, s->U + ((size_t)r * H + t) * nu, sizeof(float) * nu);
    }
  }
  s->ctx.cost.running(s->ctx.cost.self, (int)HR, s->Xf, s->Ut, s->C, grad ? s->GXf : NULL,
                      grad ? s->GU : NULL);
  s->ctx.cost.terminal(s->ctx.cost.self, R, s->Xf + HR * nx, s->C + HR,
                       grad ? s->GXf + HR * nx : NULL);
  for (int r = 0; r < R; r++) {
    double j = 0;
    for (int t = 0; t <= H; t++) j += s->C[(size_t)t * R + r];
    s->cost_r[r] = j;
    s->pen_r[r] = s->def_r[r] = 0;
  }

  /* score of (x_t, u_t, x_{t+1}): −w s split into the three blocks (METHOD §4, DESIGN) */
  if (s->score) {
    const plan_score *sc = s->score;
    double beta = plan_sched_value(s->cfg.beta.sched, s->cfg.beta.beta, s->cfg.beta.beta_final, it,
                                   s->cfg.opt.iters);
    int level = plan_level_at(s->cfg.level, sc->nlevels, it, s->cfg.opt.iters);
    double sig = sc->sigma ? sc->sigma[level] : 0.0;
    double w = plan_weight_value(s->cfg.weight, beta, sig);
    int zd = s->zdim, xux = sc->layout == PLAN_Z_XUX;
    if (w > 0) {
      for (size_t i = 0; i < HR; i++) { /* row i = (t, r); x_{t+1} is row i + R */
        float *z = s->Z + i * zd;
        memcpy(z, s->Xf + i * nx, sizeof(float) * nx);
        memcpy(z + nx, s->Ut + i * nu, sizeof(float) * nu);
        if (xux) memcpy(z + nx + nu, s->Xf + (i + R) * nx, sizeof(float) * nx);
      }
      sc->vt->eval(sc->model, s->sws, (int)HR, s->Z, level, s->S);
      s->score_rows += (long)HR;
      for (size_t i = 0; i < HR; i++) {
        const float *sv = s->S + i * zd;
        double n2 = 0; /* reported proxy ½ w Σ_k (σ scale_k s_k)², as in shooting */
        for (int k = 0; k < zd; k++) {
          double v = sig * (sc->scale ? sc->scale[k] : 1.0f) * sv[k];
          n2 += v * v;
        }
        s->pen_r[i % R] += w * 0.5 * n2;
        if (!grad) continue;
        float *gx = s->GXf + i * nx, *gu = s->GU + i * nu;
        for (int k = 0; k < nx; k++) gx[k] -= (float)(w * sv[k]);
        for (int k = 0; k < nu; k++) gu[k] -= (float)(w * sv[nx + k]);
        if (xux) {
          float *gx1 = s->GXf + (i + R) * nx;
          for (int k = 0; k < nx; k++) gx1[k] -= (float)(w * sv[nx + nu + k]);
        }
      }
    }
  }

  /* dynamics defect ρ‖x_{t+1} − f(x_t,u_t)‖² through the learned model, all rows at once */
  if (s->cfg.rho > 0) {
    const plan_dyn *dyn = s->dyn;
    if (plan_forward(dyn, s->dws, 0, (int)HR, s->Xf, s->Ut, s->F)) fail = 1;
    s->model_rows += (long)HR;
    double rho = s->cfg.rho;
    for (size_t i = 0; i < HR; i++) {
      double n2 = 0;
      for (int k = 0; k < nx; k++) {
        float rk = s->Xf[(i + R) * nx + k] - s->F[i * nx + k];
        s->Res[i * nx + k] = (float)(-2.0 * rho * rk); /* seed for the vjp: ∂/∂f */
        n2 += (double)rk * rk;
        if (grad) s->GXf[(i + R) * nx + k] += (float)(2.0 * rho * rk);
      }
      s->def_r[i % R] += rho * n2;
    }
    if (grad) {
      dyn->vt->vjp(dyn->model, s->dws, 0, (int)HR, s->Res, s->DX, s->DU);
      for (size_t i = 0; i < HR * nx; i++) s->GXf[i] += s->DX[i];
      for (size_t i = 0; i < HR * nu; i++) s->GU[i] += s->DU[i];
    }
  }
  for (int r = 0; r < R; r++) s->obj_r[r] = s->cost_r[r] + s->def_r[r] + s->pen_r[r];
  if (!grad) return fail ? -1 : 0;

  for (int r = 0; r < R; r++)
    for (int t = 0; t < H; t++) {
      memcpy(s->GX + ((size_t)r * H + t) * nx, s->GXf + ((size_t)(t + 1) * R + r) * nx,
             sizeof(float) * nx);
      memcpy(s->G + ((size_t)r * H + t) * nu, s->GU + ((size_t)t * R + r) * nu, sizeof(float) * nu);
    }
  plan_bounds_chain(&s->bnd, R * H, s->V, s->G, s->G);
  return fail ? -1 : 0;
}

static int coll_act(planner *p, const double *x, double *u, plan_diag *d, sgp_err *e) {
  (void)e;
  coll *s = (coll *)p;
  double t0 = sgp_now();
  const int H = s->H, R = s->R, nu = s->nu, nx = s->nx;
  const size_t pu = (size_t)H * nu, px = (size_t)H * nx;
  plan_x_to_float(x, s->x0f, nx);
  s->model_rows = s->score_rows = 0;

  if (!s->have_warm) {
    plan_init_plan(&s->bnd, s->cfg.opt.init, H, &s->rng, s->warm_u);
    for (int t = 0; t < H; t++) memcpy(s->warm_x + (size_t)t * nx, s->x0f, sizeof(float) * nx);
    if (s->cfg.rollout_init) { /* states from the model rollout of the initial actions */
      const float *xp = s->x0f;
      for (int t = 0; t < H; t++) {
        float *xn = s->warm_x + (size_t)t * nx;
        if (plan_forward(s->dyn, s->dws, 0, 1, xp, s->warm_u + (size_t)t * nu, xn) ||
            !sgp_all_finite_f(xn, nx))
          memcpy(xn, xp, sizeof(float) * nx);
        xp = xn;
      }
      s->model_rows += H;
    }
  }
  for (int r = 0; r < R; r++) {
    float *ur = s->U + (size_t)r * pu;
    memcpy(ur, s->warm_u, sizeof(float) * pu);
    memcpy(s->X + (size_t)r * px, s->warm_x, sizeof(float) * px);
    if (r > 0)
      for (int t = 0; t < H; t++)
        for (int i = 0; i < nu; i++)
          ur[(size_t)t * nu + i] +=
              (float)(s->cfg.opt.restart_noise * s->bnd.half[i] * sgp_rng_normal(&s->rng));
    plan_bounds_clip(&s->bnd, H, ur);
    plan_bounds_from_u(&s->bnd, H, ur, s->V + (size_t)r * pu);
    s->dead[r] = 0;
  }
  sgp_adam_reset(s->adam_x);
  sgp_adam_reset(s->adam_u);

  int iters = s->cfg.opt.iters, done = 0;
  for (int it = 0; it < iters; it++) {
    coll_eval(s, it, 1);
    int alive = 0;
    for (int r = 0; r < R; r++) {
      float *gx = s->GX + (size_t)r * px, *gu = s->G + (size_t)r * pu;
      double nxn = plan_norm(gx, px), nun = plan_norm(gu, pu), n = sqrt(nxn * nxn + nun * nun);
      if (s->dead[r] || !isfinite(n) || !isfinite(s->obj_r[r])) {
        s->dead[r] = 1;
        memset(gx, 0, sizeof(float) * px);
        memset(gu, 0, sizeof(float) * pu);
        continue;
      }
      alive++;
      if (s->cfg.opt.grad_clip > 0 && n > s->cfg.opt.grad_clip) {
        float f = (float)(s->cfg.opt.grad_clip / n);
        for (size_t i = 0; i < px; i++) gx[i] *= f;
        for (size_t i = 0; i < pu; i++) gu[i] *= f;
      }
    }
    if (!alive) break;
    double lr = plan_opt_lr(&s->cfg.opt, it, iters);
    sgp_adam_step(s->adam_x, s->X, s->GX, (float)(lr * s->cfg.lr_state / s->cfg.opt.lr));
    sgp_adam_step(s->adam_u, s->V, s->G, (float)lr);
    if (s->bnd.mode == PLAN_BOUNDS_CLIP) plan_bounds_clip(&s->bnd, R * H, s->V);
    done = it + 1;
  }

  coll_eval(s, iters > 0 ? iters - 1 : 0, 0);
  int best = -1;
  for (int r = 0; r < R; r++) {
    if (s->dead[r] || !isfinite(s->obj_r[r])) continue;
    if (!sgp_all_finite_f(s->U + (size_t)r * pu, pu) || !sgp_all_finite_f(s->X + (size_t)r * px, px))
      continue;
    if (best < 0 || s->obj_r[r] < s->obj_r[best]) best = r;
  }
  memset(d, 0, sizeof *d);
  memcpy(s->plan_x, s->x0f, sizeof(float) * nx);
  if (best >= 0) {
    memcpy(s->plan_u, s->U + (size_t)best * pu, sizeof(float) * pu);
    memcpy(s->plan_x + nx, s->X + (size_t)best * px, sizeof(float) * px);
    d->objective = s->obj_r[best];
    d->cost = s->cost_r[best];
    d->penalty = s->pen_r[best] + s->def_r[best];
  } else {
    plan_fallback(&s->bnd, s->warm_u, H, s->x0f, nx, s->plan_u, s->plan_x, d);
  }
  plan_finish(&s->ctx, &s->bnd, H, s->cfg.com.warm, s->plan_u, s->warm_u, u, d, done,
              s->model_rows, s->score_rows, t0);
  memcpy(s->warm_x, s->plan_x + nx, sizeof(float) * px);
  plan_shift(s->warm_x, H, nx, PLAN_WARM_REPEAT);
  s->have_warm = 1;
  return 0;
}

static void coll_view(const planner *p, plan_view *v) {
  const coll *s = (const coll *)p;
  memset(v, 0, sizeof *v);
  v->T = s->H, v->nx = s->nx, v->nu = s->nu;
  v->x = s->plan_x;
  v->u = s->plan_u;
}

int plan_collocation_gradient(planner *p, const double *x0, const float *X, const float *V,
                              int iter, float *GX, float *GV, double *obj, sgp_err *e) {
  if (p->vt != &plan_vt_sgp_collocation)
    return sgp_fail(e, "plan_collocation_gradient: %s is not sgp-collocation", p->vt->name);
  coll *s = (coll *)p;
  size_t HR = (size_t)s->H * s->R;
  plan_x_to_float(x0, s->x0f, s->nx);
  memcpy(s->X, X, sizeof(float) * HR * s->nx);
  memcpy(s->V, V, sizeof(float) * HR * s->nu);
  if (coll_eval(s, iter, 1)) return sgp_fail(e, "plan_collocation_gradient: a model call failed");
  memcpy(GX, s->GX, sizeof(float) * HR * s->nx);
  memcpy(GV, s->G, sizeof(float) * HR * s->nu);
  for (int r = 0; r < s->R; r++) obj[r] = s->cost_r[r] + s->def_r[r];
  return 0;
}

void plan_collocation_sizes(const planner *p, int *R, int *T) {
  const coll *s = (const coll *)p;
  *R = s->R;
  *T = s->H;
}

const plan_vt plan_vt_sgp_collocation = {
    "sgp-collocation",
    "score-guided direct collocation over states and actions with the (x,u,x') score",
    coll_needs, coll_create, coll_destroy, coll_reset, coll_act, coll_view};
