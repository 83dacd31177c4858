/* Single shooting through a learned dynamics model, first order (METHOD §4, §5):
 *   sgp-shooting   min_u Σ_t c(x_t,u_t) + c_T(x_T) − w Σ_t log p(z_t),  x_{t+1} = f(x_t,u_t)
 *   grad           the same with w = 0 (no penalty)
 *   grad-ensemble  min_u mean_k J_k + β Var_k J_k over K members (population variance)
 * One solver: R restarts (× K members) are the rows of every model call; the rollout is sequential
 * in t, one batched forward per step; the adjoint pass runs the cached steps backwards through
 * plan_dyn.vjp. The score never enters as a value: its gradient −w·s(z_t) is added to the adjoint
 * seeds of x_t, u_t (and x_{t+1} for z = (x,u,x')) (METHOD §4). Adam on the action sequence. */
#include "agents/plan_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SHOOT_SGP = 0, SHOOT_GRAD = 1, SHOOT_ENS = 2 };

typedef struct shoot_cfg {
  int kind;
  plan_common_cfg com;
  plan_opt_cfg opt;
  plan_beta_cfg beta;
  plan_weight weight;
  int level;
} shoot_cfg;

typedef struct shoot {
  planner base;
  shoot_cfg cfg;
  plan_ctx ctx;
  const plan_dyn *dyn;
  const plan_score *score; /* NULL: no score term */
  void *dws, *sws;
  plan_bounds bnd;
  sgp_adam *adam;
  sgp_rng rng;
  int nx, nu, H, R, K, KR, zdim;
  /* time-major model buffers: row (t, k, r) */
  float *X;   /* (H+1)×KR×nx states */
  float *Ut;  /* H×KR×nu actions replicated over members */
  float *C;   /* H×KR running costs, then KR terminal costs */
  float *GX;  /* (H+1)×KR×nx direct gradients (cost, score), GX[H] terminal */
  float *GU;  /* H×KR×nu */
  float *lam, *dx, *du; /* adjoint KR×nx, vjp outputs KR×nx, KR×nu */
  float *Z, *S;         /* H×R×zdim score inputs and outputs */
  /* restart-major decision variables: row (r, t) */
  float *V, *U, *G;     /* R×H×nu */
  double *J, *cost_r, *pen_r, *obj_r; /* KR, R, R, R */
  int *dead;
  float *x0f;
  float *warm;          /* H×nu: the shifted previous plan (u space) */
  int have_warm;
  float *plan_u, *plan_x; /* H×nu, (H+1)×nx: the returned plan and its predicted states */
  long model_rows, score_rows;
} shoot;

static const char *const shoot_names[3] = {"sgp-shooting", "grad", "grad-ensemble"};

/* ============================== config ========================================================= */

static int shoot_parse(sgp_cfg *c, int kind, shoot_cfg *o, sgp_err *e) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->level = -1;
  if (plan_cfg_common(c, 1, &o->com, e) || plan_cfg_opt(c, 100, 0.1, &o->opt, e)) return -1;
  if (kind == SHOOT_SGP && (plan_cfg_beta(c, 0.1, &o->beta, e) ||
                            plan_cfg_score(c, PLAN_WEIGHT_BETA, &o->weight, &o->level, e)))
    return -1;
  if (kind == SHOOT_ENS && plan_cfg_beta(c, 1.0, &o->beta, e)) return -1;
  static const char *const k_grad[] = {"name", "horizon", "bounds", "warm_start", "seed_offset",
                                       "iters", "lr", "lr_schedule", "lr_final", "restarts",
                                       "restart_noise", "grad_clip", "init", NULL};
  static const char *const k_ens[] = {"name", "horizon", "bounds", "warm_start", "seed_offset",
                                      "iters", "lr", "lr_schedule", "lr_final", "restarts",
                                      "restart_noise", "grad_clip", "init", "beta", "beta_final",
                                      "beta_schedule", NULL};
  static const char *const k_sgp[] = {"name", "horizon", "bounds", "warm_start", "seed_offset",
                                      "iters", "lr", "lr_schedule", "lr_final", "restarts",
                                      "restart_noise", "grad_clip", "init", "beta", "beta_final",
                                      "beta_schedule", "score_weight", "score_level", NULL};
  return sgp_cfg_check_keys(c, kind == SHOOT_SGP ? k_sgp : kind == SHOOT_ENS ? k_ens : k_grad, e);
}

static int shoot_uses_score(const shoot_cfg *o) {
  return o->kind == SHOOT_SGP && (o->beta.beta > 0 || o->beta.beta_final > 0);
}

static int shoot_needs_kind(sgp_cfg *cfg, int kind, int *mask, sgp_err *e) {
  shoot_cfg o;
  if (shoot_parse(cfg, kind, &o, e)) return -1;
  *mask = kind == SHOOT_ENS ? PLAN_NEEDS_ENSEMBLE : PLAN_NEEDS_DYN;
  if (shoot_uses_score(&o)) *mask |= PLAN_NEEDS_SCORE;
  return 0;
}

/* ============================== lifecycle ====================================================== */

static void shoot_destroy(planner *p) {
  shoot *s = (shoot *)p;
  if (!s) return;
  if (s->dws) s->dyn->vt->ws_free(s->dws);
  if (s->sws) s->score->vt->ws_free(s->sws);
  plan_bounds_free(&s->bnd);
  sgp_adam_free(s->adam);
  free(s->X), free(s->Ut), free(s->C), free(s->GX), free(s->GU);
  free(s->lam), free(s->dx), free(s->du), free(s->Z), free(s->S);
  free(s->V), free(s->U), free(s->G), free(s->J), free(s->cost_r), free(s->pen_r), free(s->obj_r);
  free(s->dead), free(s->x0f), free(s->warm), free(s->plan_u), free(s->plan_x);
  free(s);
}

static int shoot_create_kind(sgp_cfg *cfg, const plan_ctx *ctx, planner **out, int kind,
                             sgp_err *e) {
  shoot_cfg o;
  if (shoot_parse(cfg, kind, &o, e)) return -1;
  int H = plan_horizon(&o.com, ctx, cfg, e);
  if (H < 0) return -1;
  const plan_dyn *dyn = kind == SHOOT_ENS ? ctx->ensemble : ctx->dyn;
  if (plan_check_dyn(dyn, ctx, kind == SHOOT_ENS ? "ensemble" : "dynamics", 1, e)) return -1;
  if (kind == SHOOT_ENS && dyn->K < 2)
    return sgp_fail(e, "%s: %s: grad-ensemble needs an ensemble of K >= 2 members, got K = %d",
                    cfg->file, cfg->path[0] ? cfg->path : "/", dyn->K);
  if (kind != SHOOT_ENS && dyn->K != 1)
    return sgp_fail(e, "planner %s: the dynamics model must have K = 1 member, got %d",
                    shoot_names[kind], dyn->K);
  const plan_score *score = NULL;
  if (shoot_uses_score(&o)) {
    if (plan_check_score(ctx->score, ctx, o.level, o.weight, e)) return -1;
    score = ctx->score;
  }
  if (!ctx->cost.running || !ctx->cost.terminal)
    return sgp_fail(e, "planner %s: the context has no cost", shoot_names[kind]);

  shoot *s = sgp_calloc(1, sizeof *s);
  char bpath[600];
  snprintf(bpath, sizeof bpath, "%s/bounds", cfg->path);
  if (plan_bounds_init(&s->bnd, ctx, o.com.bounds, cfg->file, bpath, e)) {
    free(s);
    return -1;
  }
  static const plan_vt *const vts[3] = {&plan_vt_sgp_shooting, &plan_vt_grad,
                                        &plan_vt_grad_ensemble};
  s->base.vt = vts[kind];
  s->cfg = o;
  s->ctx = *ctx;
  s->dyn = dyn;
  s->score = score;
  s->nx = ctx->nx, s->nu = ctx->nu, s->H = H, s->R = o.opt.restarts, s->K = dyn->K;
  s->KR = s->K * s->R;
  s->zdim = score ? score->dim : 0;
  int nx = s->nx, nu = s->nu, R = s->R, KR = s->KR;
  size_t HR = (size_t)H * R;
  s->dws = dyn->vt->ws_create(dyn->model, R, H);
  if (score) s->sws = score->vt->ws_create(score->model, (int)HR);
  s->X = sgp_falloc((size_t)(H + 1) * KR * nx);
  s->Ut = sgp_falloc((size_t)H * KR * nu);
  s->C = sgp_falloc((size_t)(H + 1) * KR);
  s->GX = sgp_falloc((size_t)(H + 1) * KR * nx);
  s->GU = sgp_falloc((size_t)H * KR * nu);
  s->lam = sgp_falloc((size_t)KR * nx);
  s->dx = sgp_falloc((size_t)KR * nx);
  s->du = sgp_falloc((size_t)KR * nu);
  if (score) {
    s->Z = sgp_falloc(HR * s->zdim);
    s->S = sgp_falloc(HR * s->zdim);
  }
  s->V = sgp_falloc(HR * nu);
  s->U = sgp_falloc(HR * nu);
  s->G = sgp_falloc(HR * nu);
  s->J = sgp_calloc((size_t)KR, sizeof(double));
  s->cost_r = sgp_calloc((size_t)R, sizeof(double));
  s->pen_r = sgp_calloc((size_t)R, sizeof(double));
  s->obj_r = sgp_calloc((size_t)R, sizeof(double));
  s->dead = sgp_calloc((size_t)R, sizeof(int));
  s->x0f = sgp_falloc((size_t)nx);
  s->warm = sgp_falloc((size_t)H * nu);
  s->plan_u = sgp_falloc((size_t)H * nu);
  s->plan_x = sgp_falloc((size_t)(H + 1) * nx);
  sgp_adam_cfg ac = sgp_adam_defaults();
  ac.lr = (float)o.opt.lr;
  ac.clip_norm = 0; /* clipping is per restart, done here */
  s->adam = sgp_adam_create(HR * nu, &ac);
  memset(s->plan_u, 0, sizeof(float) * H * nu);
  memset(s->plan_x, 0, sizeof(float) * (H + 1) * nx);
  plan_rng_episode(&s->rng, ctx->seed, o.com.seed_offset, shoot_names[kind], 0);
  *out = &s->base;
  return 0;
}

static void shoot_reset(planner *p, uint64_t episode_seed) {
  shoot *s = (shoot *)p;
  s->have_warm = 0;
  plan_rng_episode(&s->rng, s->ctx.seed, s->cfg.com.seed_offset, shoot_names[s->cfg.kind],
                   episode_seed);
}

/* ============================== objective and gradient ========================================= */

/* Evaluates the objective of the decision variables s->V from x0f at schedule iteration `it`
 * and, if grad, its gradient into s->G. Fills J (per member row), cost_r, pen_r, obj_r
 * (obj = cost + penalty; for sgp the penalty is the reported proxy, see docs/planners.md).
 * Returns -1 if a model call reported a failure. */
static int shoot_eval(shoot *s, int it, int grad) {
  const int H = s->H, R = s->R, K = s->K, KR = s->KR, nx = s->nx, nu = s->nu;
  const plan_dyn *dyn = s->dyn;
  int fail = 0;
  plan_bounds_to_u(&s->bnd, R * H, s->V, s->U);
  for (int t = 0; t < H; t++)
    for (int k = 0; k < K; k++)
      for (int r = 0; r < R; r++)
        memcpy(s->Ut + ((size_t)t * KR + (size_t)k * R + r) * nu, s->U + ((size_t)r * H + t) * nu,
               sizeof(float) * nu);
  for (int i = 0; i < KR; i++) memcpy(s->X + (size_t)i * nx, s->x0f, sizeof(float) * nx);

  /* rollout: one batched forward of all K·R rows per step */
  for (int t = 0; t < H; t++)
    if (plan_forward(dyn, s->dws, t, R, s->X + (size_t)t * KR * nx, s->Ut + (size_t)t * KR * nu,
                     s->X + (size_t)(t + 1) * KR * nx))
      fail = 1;
  s->model_rows += (long)H * KR;

  /* task cost of every (t, row) in one call, terminal cost of every row in another */
  s->ctx.cost.running(s->ctx.cost.self, H * KR, s->X, s->Ut, s->C, grad ? s->GX : NULL,
                      grad ? s->GU : NULL);
  s->ctx.cost.terminal(s->ctx.cost.self, KR, s->X + (size_t)H * KR * nx, s->C + (size_t)H * KR,
                       grad ? s->GX + (size_t)H * KR * nx : NULL);
  for (int i = 0; i < KR; i++) {
    double j = 0;
    for (int t = 0; t <= H; t++) j += s->C[(size_t)t * KR + i];
    s->J[i] = j;
  }

  /* score term: −w·s(z_t) injected into the gradient (METHOD §4), all H·R rows in one call */
  for (int r = 0; r < R; r++) s->pen_r[r] = 0;
  double beta = plan_sched_value(s->cfg.beta.sched, s->cfg.beta.beta, s->cfg.beta.beta_final, it,
                                 s->cfg.opt.iters);
  if (s->score) {
    const plan_score *sc = s->score;
    int level = plan_level_at(s->cfg.level, sc->nlevels, it, s->cfg.opt.iters);
    double sig = sc->sigma ? sc->sigma[level] : 0.0;
    double w = plan_weight_value(s->cfg.weight, beta, sig);
    int zd = s->zdim, xux = sc->layout == PLAN_Z_XUX;
    if (w > 0) {
      for (int t = 0; t < H; t++)
        for (int r = 0; r < R; r++) {
          float *z = s->Z + ((size_t)t * R + r) * zd;
          memcpy(z, s->X + ((size_t)t * R + r) * nx, sizeof(float) * nx);
          memcpy(z + nx, s->Ut + ((size_t)t * R + r) * nu, sizeof(float) * nu);
          if (xux) memcpy(z + nx + nu, s->X + ((size_t)(t + 1) * R + r) * nx, sizeof(float) * nx);
        }
      sc->vt->eval(sc->model, s->sws, H * R, s->Z, level, s->S);
      s->score_rows += (long)H * R;
      for (int t = 0; t < H; t++)
        for (int r = 0; r < R; r++) {
          const float *sv = s->S + ((size_t)t * R + r) * zd;
          double n2 = 0;
          for (int i = 0; i < zd; i++) {
            double v = sig * (sc->scale ? sc->scale[i] : 1.0f) * sv[i];
            n2 += v * v;
          }
          /* reported proxy of −w log p: ½ w Σ_k (σ scale_k s_k)², exact up to a constant for
           * Gaussian data of covariance diag((σ scale_k)²) (scale: plan_score.scale) */
          s->pen_r[r] += w * 0.5 * n2;
          if (!grad) continue;
          float *gx = s->GX + ((size_t)t * R + r) * nx, *gu = s->GU + ((size_t)t * R + r) * nu;
          for (int i = 0; i < nx; i++) gx[i] -= (float)(w * sv[i]);
          for (int i = 0; i < nu; i++) gu[i] -= (float)(w * sv[nx + i]);
          if (xux) {
            float *gx1 = s->GX + ((size_t)(t + 1) * R + r) * nx;
            for (int i = 0; i < nx; i++) gx1[i] -= (float)(w * sv[nx + nu + i]);
          }
        }
    }
  }

  /* per-restart objective; ensemble: mean_k J_k + β Var_k J_k (population variance, METHOD §5),
   * whose member weights dObj/dJ_k = 1/K + 2β(J_k − mean)/K scale each member's adjoint seeds */
  for (int r = 0; r < R; r++) {
    if (K == 1) {
      s->cost_r[r] = s->J[r];
    } else {
      double m = 0, v = 0;
      for (int k = 0; k < K; k++) m += s->J[k * R + r];
      m /= K;
      for (int k = 0; k < K; k++) v += (s->J[k * R + r] - m) * (s->J[k * R + r] - m);
      v /= K;
      s->cost_r[r] = m;
      s->pen_r[r] = beta * v;
      if (grad)
        for (int k = 0; k < K; k++) {
          float wk = (float)(1.0 / K + 2.0 * beta * (s->J[k * R + r] - m) / K);
          int row = k * R + r;
          for (int t = 0; t <= H; t++) {
            float *gx = s->GX + ((size_t)t * KR + row) * nx;
            for (int i = 0; i < nx; i++) gx[i] *= wk;
            if (t < H) {
              float *gu = s->GU + ((size_t)t * KR + row) * nu;
              for (int i = 0; i < nu; i++) gu[i] *= wk;
            }
          }
        }
    }
    s->obj_r[r] = s->cost_r[r] + s->pen_r[r];
  }
  if (!grad) return fail ? -1 : 0;

  /* adjoint: λ_H = ∂/∂x_H; du_t += (∂f/∂u)ᵀλ_{t+1}; λ_t = ∂/∂x_t + (∂f/∂x)ᵀλ_{t+1} */
  memcpy(s->lam, s->GX + (size_t)H * KR * nx, sizeof(float) * KR * nx);
  for (int t = H - 1; t >= 0; t--) {
    dyn->vt->vjp(dyn->model, s->dws, t, R, s->lam, s->dx, s->du);
    float *gu = s->GU + (size_t)t * KR * nu;
    for (size_t i = 0; i < (size_t)KR * nu; i++) gu[i] += s->du[i];
    if (t > 0) {
      const float *gx = s->GX + (size_t)t * KR * nx;
      for (size_t i = 0; i < (size_t)KR * nx; i++) s->lam[i] = gx[i] + s->dx[i];
    }
  }
  /* members share the actions: sum their gradients; restart-major; chain through tanh */
  for (int r = 0; r < R; r++)
    for (int t = 0; t < H; t++) {
      float *g = s->G + ((size_t)r * H + t) * nu;
      for (int i = 0; i < nu; i++) g[i] = 0;
      for (int k = 0; k < K; k++) {
        const float *gu = s->GU + ((size_t)t * KR + (size_t)k * R + r) * nu;
        for (int i = 0; i < nu; i++) g[i] += gu[i];
      }
    }
  plan_bounds_chain(&s->bnd, R * H, s->V, s->G, s->G);
  return fail ? -1 : 0;
}

/* ============================== one MPC step =================================================== */

static int shoot_act(planner *p, const double *x, double *u, plan_diag *d, sgp_err *e) {
  (void)e;
  shoot *s = (shoot *)p;
  double t0 = sgp_now();
  const int H = s->H, R = s->R, nu = s->nu, nx = s->nx;
  const size_t per = (size_t)H * nu;
  plan_x_to_float(x, s->x0f, nx);
  s->model_rows = s->score_rows = 0;

  /* warm start (shifted previous plan) or the initial plan; restarts 1.. perturbed */
  if (!s->have_warm) plan_init_plan(&s->bnd, s->cfg.opt.init, H, &s->rng, s->warm);
  for (int r = 0; r < R; r++) {
    float *ur = s->U + (size_t)r * per;
    memcpy(ur, s->warm, sizeof(float) * per);
    if (r > 0)
      for (int t = 0; t < H; t++)
        for (int i = 0; i < nu; i++)
          ur[(size_t)t * nu + i] +=
              (float)(s->cfg.opt.restart_noise * s->bnd.half[i] * sgp_rng_normal(&s->rng));
    plan_bounds_clip(&s->bnd, H, ur);
    plan_bounds_from_u(&s->bnd, H, ur, s->V + (size_t)r * per);
    s->dead[r] = 0;
  }
  sgp_adam_reset(s->adam);

  int iters = s->cfg.opt.iters, done = 0;
  for (int it = 0; it < iters; it++) {
    shoot_eval(s, it, 1); /* a failed model call shows up as non-finite values below */
    int alive = 0;
    for (int r = 0; r < R; r++) {
      float *g = s->G + (size_t)r * per;
      double n = plan_norm(g, per);
      if (s->dead[r] || !isfinite(n) || !isfinite(s->obj_r[r])) {
        s->dead[r] = 1; /* diverged: frozen out of the search */
        memset(g, 0, sizeof(float) * per);
        continue;
      }
      alive++;
      if (s->cfg.opt.grad_clip > 0 && n > s->cfg.opt.grad_clip) {
        float f = (float)(s->cfg.opt.grad_clip / n);
        for (size_t i = 0; i < per; i++) g[i] *= f;
      }
    }
    if (!alive) break;
    sgp_adam_step(s->adam, s->V, s->G, (float)plan_opt_lr(&s->cfg.opt, it, iters));
    if (s->bnd.mode == PLAN_BOUNDS_CLIP) plan_bounds_clip(&s->bnd, R * H, s->V);
    done = it + 1;
  }

  /* evaluate the final iterates (last schedule values) and keep the best restart */
  int fail = shoot_eval(s, iters > 0 ? iters - 1 : 0, 0);
  int best = -1;
  for (int r = 0; r < R; r++) {
    if (s->dead[r] || !isfinite(s->obj_r[r])) continue;
    int ok = sgp_all_finite_f(s->U + (size_t)r * per, per);
    for (int t = 0; t <= H && ok; t++) ok = sgp_all_finite_f(s->X + ((size_t)t * s->KR + r) * nx, nx);
    if (ok && (best < 0 || s->obj_r[r] < s->obj_r[best])) best = r;
  }
  (void)fail;
  memset(d, 0, sizeof *d);
  if (best >= 0) {
    memcpy(s->plan_u, s->U + (size_t)best * per, sizeof(float) * per);
    for (int t = 0; t <= H; t++) /* member 0 */
      memcpy(s->plan_x + (size_t)t * nx, s->X + ((size_t)t * s->KR + best) * nx, sizeof(float) * nx);
    d->objective = s->obj_r[best];
    d->cost = s->cost_r[best];
    d->penalty = s->pen_r[best];
  } else {
    plan_fallback(&s->bnd, s->warm, H, s->x0f, nx, s->plan_u, s->plan_x, d);
  }
  plan_finish(&s->ctx, &s->bnd, H, s->cfg.com.warm, s->plan_u, s->warm, u, d, done, s->model_rows,
              s->score_rows, t0);
  s->have_warm = 1;
  return 0;
}

static void shoot_view(const planner *p, plan_view *v) {
  const shoot *s = (const shoot *)p;
  memset(v, 0, sizeof *v);
  v->T = s->H, v->nx = s->nx, v->nu = s->nu;
  v->x = s->plan_x;
  v->u = s->plan_u;
}

/* ============================== test hooks ===================================================== */

int plan_shooting_gradient(planner *p, const double *x0, const float *V, int iter, float *G,
                           double *obj, sgp_err *e) {
  const plan_vt *vt = p->vt;
  if (vt != &plan_vt_sgp_shooting && vt != &plan_vt_grad && vt != &plan_vt_grad_ensemble)
    return sgp_fail(e, "plan_shooting_gradient: %s is not a shooting planner", vt->name);
  shoot *s = (shoot *)p;
  size_t n = (size_t)s->R * s->H * s->nu;
  plan_x_to_float(x0, s->x0f, s->nx);
  memcpy(s->V, V, sizeof(float) * n);
  if (shoot_eval(s, iter, 1)) return sgp_fail(e, "plan_shooting_gradient: a model call failed");
  memcpy(G, s->G, sizeof(float) * n);
  for (int r = 0; r < s->R; r++) /* the score term has no value: leave its proxy out */
    obj[r] = s->cfg.kind == SHOOT_SGP ? s->cost_r[r] : s->obj_r[r];
  return 0;
}

void plan_shooting_sizes(const planner *p, int *R, int *T) {
  const shoot *s = (const shoot *)p;
  *R = s->R;
  *T = s->H;
}

/* ============================== vtables ======================================================== */

static int needs_sgp(sgp_cfg *c, int *m, sgp_err *e) { return shoot_needs_kind(c, SHOOT_SGP, m, e); }
static int needs_grad(sgp_cfg *c, int *m, sgp_err *e) { return shoot_needs_kind(c, SHOOT_GRAD, m, e); }
static int needs_ens(sgp_cfg *c, int *m, sgp_err *e) { return shoot_needs_kind(c, SHOOT_ENS, m, e); }
static int create_sgp(sgp_cfg *c, const plan_ctx *x, planner **o, sgp_err *e) {
  return shoot_create_kind(c, x, o, SHOOT_SGP, e);
}
static int create_grad(sgp_cfg *c, const plan_ctx *x, planner **o, sgp_err *e) {
  return shoot_create_kind(c, x, o, SHOOT_GRAD, e);
}
static int create_ens(sgp_cfg *c, const plan_ctx *x, planner **o, sgp_err *e) {
  return shoot_create_kind(c, x, o, SHOOT_ENS, e);
}

const plan_vt plan_vt_sgp_shooting = {
    "sgp-shooting", "score-guided single shooting: adjoint through the learned model + score gradient",
    needs_sgp, create_sgp, shoot_destroy, shoot_reset, shoot_act, shoot_view};
const plan_vt plan_vt_grad = {
    "grad", "first-order single shooting through the learned model, no penalty (beta = 0)",
    needs_grad, create_grad, shoot_destroy, shoot_reset, shoot_act, shoot_view};
const plan_vt plan_vt_grad_ensemble = {
    "grad-ensemble", "first-order shooting on mean_k J_k + beta Var_k J_k over an ensemble",
    needs_ens, create_ens, shoot_destroy, shoot_reset, shoot_act, shoot_view};
