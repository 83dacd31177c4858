/* Single shooting through a learned dynamics model, first order (METHOD §4, §5):
 *   sgp-shooting   min_u Σ_t c(x_t,u_t) + c_T(x_T) − w Σ_t log p(z_t),  x_{t+1} = f(x_t,u_t)
 *   grad           the same with w = 0 (no penalty)
 *   grad-ensemble  min_u mean_k J_k + β P over K members: P = Var_k J_k (population variance,
 *                  "penalty": "ensemble", the default) or P = Σ_{t=1..H} mean_d std_k x_{t,d}
 *                  (the members' per-step disagreement, MOPO style: "penalty": "ensemble_step")
 * One solver: R restarts (× K members) of every lane (episode, planned in lockstep) are the rows of
 * every model call; the rollout is sequential in t, one batched forward per step; the adjoint pass
 * runs the cached steps backwards through plan_dyn.vjp. The score never enters as a value: its gradient −w·s(z_t) is added to the adjoint
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
  int ens_step; /* grad-ensemble: 1 for the per-step state disagreement (ensemble_step) */
} shoot_cfg;

typedef struct shoot {
  plan_base b; /* first: vtable, context, bounds, lanes */
  shoot_cfg cfg;
  const plan_dyn *dyn;
  const plan_score *score; /* NULL: no score term */
  void *dws, *sws;
  sgp_adam *adam;
  int R, K, zdim;
  /* Rows of one act: j = i·R + r for slot i and restart r, B = n·R per member. Time-major model
   * buffers, row (t, k, j) for member k: */
  float *X;   /* (H+1)×K·B×nx states */
  float *Ut;  /* H×K·B×nu actions replicated over members */
  float *C;   /* H×K·B running costs, then K·B terminal costs */
  float *GX;  /* (H+1)×K·B×nx direct gradients (cost, score), GX[H] terminal */
  float *GU;  /* H×K·B×nu */
  float *lam, *dx, *du; /* adjoint K·B×nx, vjp outputs K·B×nx, K·B×nu */
  float *Z, *S;         /* H×B×zdim score inputs and outputs */
  plan_fo fo;           /* decision variables, objectives, dead restarts (B rows) */
  double *J;            /* K·B */
  double *gn_obj, *gn_cost; /* B: gradient norms at the final iterate (plan_diag) */
  float *alive; /* H×K·B: the termination mask (plan_cost_mask), when the planner honours one */
  void *block;          /* the workspace: every view above and the lanes */
} shoot;

static const char *const shoot_names[3] = {"sgp-shooting", "grad", "grad-ensemble"};
static const char *const ens_pen_names[2] = {"ensemble", "ensemble_step"};

/* ============================== config ========================================================= */

static int shoot_parse(sgp_cfg *c, int kind, shoot_cfg *o, sgp_err *e) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->level = -1;
  if (plan_cfg_common(c, 1, &o->com, e) || plan_cfg_opt(c, 100, 0.1, &o->opt, e)) return -1;
  if (kind == SHOOT_SGP && (plan_cfg_beta(c, 0.1, &o->beta, e) ||
                            plan_cfg_score(c, PLAN_WEIGHT_BETA, &o->weight, &o->level, e)))
    return -1;
  if (kind == SHOOT_ENS && (plan_cfg_beta(c, 1.0, &o->beta, e) ||
                            sgp_cfg_enum(c, "penalty", ens_pen_names, 2, 0, &o->ens_step, e)))
    return -1;
  static const char *const k_grad[] = {
      "name",      "horizon", "bounds",      "warm_start", "seed_offset", PLAN_COMMON_TASK_KEYS,
      "iters",     "lr",      "lr_schedule", "lr_final",   "restarts",    "restart_noise",
      "grad_clip", "init",    NULL};
  static const char *const k_ens[] = {
      "name",      "horizon", "bounds",      "warm_start", "seed_offset",   PLAN_COMMON_TASK_KEYS,
      "iters",     "lr",      "lr_schedule", "lr_final",   "restarts",      "restart_noise",
      "grad_clip", "init",    "beta",        "beta_final", "beta_schedule", "penalty", NULL};
  static const char *const k_sgp[] = {
      "name",        "horizon", "bounds",      "warm_start", "seed_offset",   PLAN_COMMON_TASK_KEYS,
      "iters",       "lr",      "lr_schedule", "lr_final",   "restarts",      "restart_noise",
      "grad_clip",   "init",    "beta",        "beta_final", "beta_schedule", "score_weight",
      "score_level", NULL};
  return sgp_cfg_check_keys(c, kind == SHOOT_SGP ? k_sgp : kind == SHOOT_ENS ? k_ens : k_grad, e);
}

static int shoot_uses_score(const shoot_cfg *o) {
  return o->kind == SHOOT_SGP && (o->beta.beta > 0 || o->beta.beta_final > 0);
}

static int shoot_needs_kind(sgp_cfg *cfg, int kind, int *mask, sgp_err *e) {
  shoot_cfg o;
  if (shoot_parse(cfg, kind, &o, e)) return -1;
  *mask = (kind == SHOOT_ENS ? PLAN_NEEDS_ENSEMBLE : PLAN_NEEDS_DYN) | plan_common_needs(&o.com);
  if (shoot_uses_score(&o)) *mask |= PLAN_NEEDS_SCORE;
  return 0;
}

/* ============================== lifecycle ====================================================== */

static void shoot_destroy(planner *p) {
  shoot *s = (shoot *)p;
  if (!s) return;
  if (s->dws) s->dyn->vt->ws_free(s->dws);
  if (s->sws) s->score->vt->ws_free(s->sws);
  plan_base_free(&s->b);
  sgp_adam_free(s->adam);
  free(s->block);
  free(s);
}

/* The workspace for L lanes of R restarts × K members (METHOD §4 shapes above). */
static void shoot_layout(void *self, plan_block *b) {
  shoot *s = self;
  const size_t H = (size_t)s->b.H, nx = (size_t)s->b.nx, nu = (size_t)s->b.nu;
  const size_t B = (size_t)s->b.L * s->R, KB = (size_t)s->K * B, HB = H * B;
  plan_base_layout(&s->b, b);
  PLAN_TAKE(b, s->X, (H + 1) * KB * nx);
  PLAN_TAKE(b, s->Ut, H * KB * nu);
  PLAN_TAKE(b, s->C, (H + 1) * KB);
  PLAN_TAKE(b, s->GX, (H + 1) * KB * nx);
  PLAN_TAKE(b, s->GU, H * KB * nu);
  PLAN_TAKE(b, s->lam, KB * nx);
  PLAN_TAKE(b, s->dx, KB * nx);
  PLAN_TAKE(b, s->du, KB * nu);
  PLAN_TAKE(b, s->Z, HB * s->zdim);
  PLAN_TAKE(b, s->S, HB * s->zdim);
  PLAN_TAKE(b, s->J, KB);
  PLAN_TAKE(b, s->gn_obj, B);
  PLAN_TAKE(b, s->gn_cost, B);
  PLAN_TAKE(b, s->alive, plan_terminates(&s->b) ? H * KB : 0);
  plan_fo_layout(&s->fo, b, B, H * nu);
}

/* The models this config uses, checked against the context. */
static int shoot_models(const shoot_cfg *o, const plan_ctx *ctx, const char *file, const char *path,
                        const plan_dyn **dyn, const plan_score **score, sgp_err *e) {
  int kind = o->kind;
  *dyn = kind == SHOOT_ENS ? ctx->ensemble : ctx->dyn;
  *score = NULL;
  if (plan_check_dyn(*dyn, ctx, kind == SHOOT_ENS ? "ensemble" : "dynamics", 1, e)) return -1;
  if (kind == SHOOT_ENS && (*dyn)->K < 2)
    return sgp_fail(e, "%s: %s: grad-ensemble needs an ensemble of K >= 2 members, got K = %d", file,
                    path[0] ? path : "/", (*dyn)->K);
  if (kind != SHOOT_ENS && (*dyn)->K != 1)
    return sgp_fail(e, "planner %s: the dynamics model must have K = 1 member, got %d",
                    shoot_names[kind], (*dyn)->K);
  if (shoot_uses_score(o)) {
    if (plan_check_score(ctx->score, ctx, o->level, o->weight, e)) return -1;
    *score = ctx->score;
  }
  if (!ctx->cost.running || !ctx->cost.terminal)
    return sgp_fail(e, "planner %s: the context has no cost", shoot_names[kind]);
  return 0;
}

static int shoot_create_kind(sgp_cfg *cfg, const plan_ctx *ctx, planner **out, int kind,
                             sgp_err *e) {
  shoot_cfg o;
  const plan_dyn *dyn = NULL;
  const plan_score *score = NULL;
  if (shoot_parse(cfg, kind, &o, e)) return -1;
  int H = plan_horizon(&o.com, ctx, cfg, e);
  if (H < 0 || shoot_models(&o, ctx, cfg->file, cfg->path, &dyn, &score, e)) return -1;
  static const plan_vt *const vts[3] = {&plan_vt_sgp_shooting, &plan_vt_grad,
                                        &plan_vt_grad_ensemble};
  shoot *s = sgp_calloc(1, sizeof *s);
  if (plan_base_init(&s->b, vts[kind], ctx, &o.com, shoot_names[kind], H, cfg->file, cfg->path, e)) {
    free(s);
    return -1;
  }
  s->cfg = o;
  s->dyn = dyn;
  s->score = score;
  s->R = o.opt.restarts, s->K = dyn->K;
  s->zdim = score ? score->dim : 0;
  int B = s->b.L * s->R;
  s->block = plan_block_make(shoot_layout, &s->b);
  s->dws = dyn->vt->ws_create(dyn->model, B, H);
  if (score) s->sws = score->vt->ws_create(score->model, H * B);
  sgp_adam_cfg ac = sgp_adam_defaults();
  ac.lr = (float)o.opt.lr;
  ac.clip_norm = 0; /* clipping is per restart, done here */
  s->adam = sgp_adam_create((size_t)H * B * s->b.nu, &ac);
  *out = &s->b.pub;
  return 0;
}

/* ============================== objective and gradient ========================================= */
/* Stages of one evaluation of the decision variables V of the act's n slots at schedule iteration
 * `it`: rollout, task costs, score term, per-restart objective, and (grad) the adjoint pass. */

/* An ensemble whose model offers member calls runs member by member: each member's weights are
 * read once per rollout (and once per adjoint) from cache instead of every member's once per step. */
static int shoot_by_member(const shoot *s) {
  return s->K > 1 && s->dyn->vt->forward_member && s->dyn->vt->vjp_member;
}

/* V → actions (replicated over members, time-major); x_0 rows; one batched forward of all K·B rows
 * per step. Returns 1 if a model call reported a failure. */
static int shoot_rollout(shoot *s) {
  const int H = s->b.H, K = s->K, nx = s->b.nx, nu = s->b.nu, B = s->b.n * s->R, KB = K * B;
  int fail = 0;
  plan_bounds_to_u(&s->b.bnd, B * H, s->fo.V, s->fo.U);
  for (int t = 0; t < H; t++)
    for (int k = 0; k < K; k++)
      for (int j = 0; j < B; j++)
        memcpy(s->Ut + ((size_t)t * KB + (size_t)k * B + j) * nu, s->fo.U + ((size_t)j * H + t) * nu,
               sizeof(float) * nu);
  for (int k = 0; k < K; k++)
    for (int j = 0; j < B; j++)
      memcpy(s->X + ((size_t)k * B + j) * nx, s->b.x0 + (size_t)(j / s->R) * nx, sizeof(float) * nx);
  if (shoot_by_member(s)) { /* the same rows, member by member (planner.h: forward_member) */
    for (int k = 0; k < K; k++)
      for (int t = 0; t < H; t++) {
        size_t r = (size_t)t * KB + (size_t)k * B;
        if (plan_forward_member(s->dyn, s->dws, t, k, B, s->X + r * nx, s->Ut + r * nu,
                                s->X + (r + KB) * nx))
          fail = 1;
      }
    return fail;
  }
  for (int t = 0; t < H; t++)
    if (plan_forward(s->dyn, s->dws, t, B, s->X + (size_t)t * KB * nx, s->Ut + (size_t)t * KB * nu,
                     s->X + (size_t)(t + 1) * KB * nx))
      fail = 1;
  return fail;
}

/* Task cost of every (t, row) in one call, terminal cost of every row in another; J per row. */
static void shoot_costs(shoot *s, int grad) {
  const int H = s->b.H, nx = s->b.nx, KB = s->K * s->b.n * s->R;
  const plan_cost *c = &s->b.ctx.cost;
  c->running(c->self, H * KB, s->X, s->Ut, s->C, grad ? s->GX : NULL, grad ? s->GU : NULL);
  c->terminal(c->self, KB, s->X + (size_t)H * KB * nx, s->C + (size_t)H * KB,
              grad ? s->GX + (size_t)H * KB * nx : NULL);
  plan_cost_mask(&s->b, H, KB, s->X, s->alive, s->C, grad ? s->GX : NULL, grad ? s->GU : NULL);
  for (int i = 0; i < KB; i++) {
    double j = 0;
    for (int t = 0; t <= H; t++) j += s->C[(size_t)t * KB + i];
    s->J[i] = j;
  }
}

/* Per-restart objective; ensemble: mean_k J_k + β Var_k J_k (population variance, METHOD §5),
 * whose member weights dObj/dJ_k = 1/K + 2β(J_k − mean)/K scale each member's adjoint seeds;
 * ensemble_step: mean_k J_k + β Σ_{t=1..H} (1/nx) Σ_d std_k x_{t,d} (population std), member
 * weights 1/K, and ∂std/∂x^k = (x^k − mean)/(K std) added to the state seeds (0 where std = 0). */
static double shoot_step_penalty(shoot *s, int j, double beta, int grad) {
  const int H = s->b.H, K = s->K, nx = s->b.nx, KB = K * s->b.n * s->R, B = s->b.n * s->R;
  double pen = 0;
  for (int t = 1; t <= H; t++)
    for (int d = 0; d < nx; d++) {
      double a, sd = plan_member_std(s->X + ((size_t)t * KB + j) * nx + d, (size_t)B * nx, K, &a);
      pen += sd / nx;
      if (!grad || !(sd > 0)) continue;
      for (int k = 0; k < K; k++) {
        size_t r = ((size_t)t * KB + (size_t)k * B + j) * nx + d;
        s->GX[r] += (float)(beta * (s->X[r] - a) / (K * sd * nx));
      }
    }
  return beta * pen;
}

static void shoot_objective(shoot *s, double beta, int grad) {
  const int H = s->b.H, K = s->K, nx = s->b.nx, nu = s->b.nu, B = s->b.n * s->R, KB = K * B;
  for (int j = 0; j < B; j++) {
    if (K == 1) {
      s->fo.cost_r[j] = s->J[j];
    } else {
      double m = 0, v = 0;
      for (int k = 0; k < K; k++) m += s->J[k * B + j];
      m /= K;
      for (int k = 0; k < K; k++) v += (s->J[k * B + j] - m) * (s->J[k * B + j] - m);
      v /= K;
      s->fo.cost_r[j] = m;
      s->fo.pen_r[j] = beta * v;
      for (int k = 0; grad && k < K; k++) {
        float wk = (float)(s->cfg.ens_step ? 1.0 / K : 1.0 / K + 2.0 * beta * (s->J[k * B + j] - m) / K);
        for (int t = 0; t <= H; t++) {
          float *gx = s->GX + ((size_t)t * KB + (size_t)k * B + j) * nx;
          for (int i = 0; i < nx; i++) gx[i] *= wk;
          if (t == H) continue;
          float *gu = s->GU + ((size_t)t * KB + (size_t)k * B + j) * nu;
          for (int i = 0; i < nu; i++) gu[i] *= wk;
        }
      }
      if (s->cfg.ens_step) s->fo.pen_r[j] = shoot_step_penalty(s, j, beta, grad);
    }
    s->fo.obj_r[j] = s->fo.cost_r[j] + s->fo.pen_r[j];
  }
}

/* Adjoint: λ_H = ∂/∂x_H; du_t += (∂f/∂u)ᵀλ_{t+1}; λ_t = ∂/∂x_t + (∂f/∂x)ᵀλ_{t+1}. Members share
 * the actions: their gradients are summed into G (restart-major), chained through tanh. */
static void shoot_adjoint(shoot *s) {
  const int H = s->b.H, K = s->K, nx = s->b.nx, nu = s->b.nu, B = s->b.n * s->R, KB = K * B;
  const plan_dyn *dyn = s->dyn;
  memcpy(s->lam, s->GX + (size_t)H * KB * nx, sizeof(float) * KB * nx);
  /* Blocks of rows: one per member (member by member), or all K·B rows at once (every member per
   * call); the same operations on every row either way. */
  const int by_member = shoot_by_member(s), blocks = by_member ? K : 1, rows = by_member ? B : KB;
  for (int k = 0; k < blocks; k++) {
    const size_t ox = (size_t)k * rows * nx, ou = (size_t)k * rows * nu;
    for (int t = H - 1; t >= 0; t--) {
      if (by_member)
        dyn->vt->vjp_member(dyn->model, s->dws, t, k, B, s->lam + ox, s->dx + ox, s->du + ou);
      else
        dyn->vt->vjp(dyn->model, s->dws, t, B, s->lam, s->dx, s->du);
      float *gu = s->GU + (size_t)t * KB * nu + ou;
      for (size_t i = 0; i < (size_t)rows * nu; i++) gu[i] += s->du[ou + i];
      if (t > 0) {
        const float *gx = s->GX + (size_t)t * KB * nx + ox;
        for (size_t i = 0; i < (size_t)rows * nx; i++) s->lam[ox + i] = gx[i] + s->dx[ox + i];
      }
    }
  }
  for (int j = 0; j < B; j++)
    for (int t = 0; t < H; t++) {
      float *g = s->fo.G + ((size_t)j * H + t) * nu;
      for (int i = 0; i < nu; i++) g[i] = 0;
      for (int k = 0; k < K; k++) {
        const float *gu = s->GU + ((size_t)t * KB + (size_t)k * B + j) * nu;
        for (int i = 0; i < nu; i++) g[i] += gu[i];
      }
    }
  plan_bounds_chain(&s->b.bnd, B * H, s->fo.V, s->fo.G, s->fo.G);
}

/* Evaluates the objective of s->fo.V from the slots' x0 at schedule iteration `it` and, if grad, its
 * gradient into s->fo.G. Fills J, cost_r, pen_r, obj_r (obj = cost + penalty; for sgp the penalty
 * is the reported proxy, docs/planners.md). The score is a gradient only: −w·s(z_t) is injected
 * into the adjoint seeds (METHOD §4). mode: SHOOT_ITER (an iteration: rows counted for the lanes
 * still running), SHOOT_FINAL (the final evaluation: counted for every lane), and two diagnostics
 * whose rows are not counted: SHOOT_TASK (the task cost alone, no penalty) and SHOOT_DIAG (the
 * penalised objective). Returns -1 if a model call reported a failure. */
enum { SHOOT_ITER = 0, SHOOT_FINAL = 1, SHOOT_TASK = 2, SHOOT_DIAG = 3 };
static int shoot_eval_mode(shoot *s, int it, int grad, int mode) {
  const int H = s->b.H, B = s->b.n * s->R;
  int fail = shoot_rollout(s);
  shoot_costs(s, grad);
  for (int j = 0; j < B; j++) s->fo.pen_r[j] = 0;
  long srows = 0;
  if (s->score && mode != SHOOT_TASK) {
    int level;
    double w = plan_score_weight(s->score, &s->cfg.beta, s->cfg.weight, s->cfg.level, it,
                                 s->cfg.opt.iters, &level);
    if (w > 0) {
      plan_score_term(s->score, s->sws, H, B, s->b.nx, s->b.nu, s->X, s->Ut, level, w, s->Z, s->S,
                      s->fo.pen_r, grad ? s->GX : NULL, grad ? s->GU : NULL);
      srows = (long)H * s->R;
    }
  }
  if (mode <= SHOOT_FINAL) plan_base_count(&s->b, (long)H * s->K * s->R, srows, mode == SHOOT_FINAL);
  shoot_objective(s, mode == SHOOT_TASK ? 0.0 : plan_sched_value(s->cfg.beta.sched, s->cfg.beta.beta,
                                                                   s->cfg.beta.beta_final, it, s->cfg.opt.iters),
                  grad);
  if (grad) shoot_adjoint(s);
  return fail ? -1 : 0;
}

static int shoot_eval(shoot *s, int it, int grad) { return shoot_eval_mode(s, it, grad, grad ? SHOOT_ITER : SHOOT_FINAL); }

/* The norm of each restart's gradient s->fo.G over its H×nu decision variables, projected on the
 * clip box (a component at a bound whose descent direction leaves the box counts 0). */
static void shoot_grad_norms(shoot *s, double *out) {
  const int H = s->b.H, nu = s->b.nu, B = s->b.n * s->R;
  const plan_bounds *bd = &s->b.bnd;
  for (int j = 0; j < B; j++) {
    double q = 0;
    for (int t = 0; t < H; t++)
      for (int a = 0; a < nu; a++) {
        size_t i = ((size_t)j * H + t) * nu + a;
        double g = s->fo.G[i], v = s->fo.V[i];
        if (bd->mode == PLAN_BOUNDS_CLIP && bd->lo && ((v <= bd->lo[a] && g > 0) || (v >= bd->hi[a] && g < 0))) g = 0;
        q += g * g;
      }
    out[j] = sqrt(q);
  }
}

/* ============================== one MPC step =================================================== */

/* After the final evaluation: each slot keeps its best finite restart (lowest objective), or falls
 * back to its warm start; the lanes' plans, actions and diagnostics. */
static void shoot_finish(shoot *s, double *u, plan_diag *d, double t0) {
  const int H = s->b.H, R = s->R, nx = s->b.nx, nu = s->b.nu, KB = s->K * s->b.n * R;
  const size_t per = (size_t)H * nu;
  double ts = (sgp_now() - t0) / s->b.n;
  for (int i = 0; i < s->b.n; i++) {
    plan_lane *ln = &s->b.lane[s->b.lanes[i]];
    int best = -1;
    for (int j = i * R; j < (i + 1) * R; j++) {
      if (s->fo.dead[j] || !isfinite(s->fo.obj_r[j])) continue;
      int ok = sgp_all_finite_f(s->fo.U + (size_t)j * per, per);
      for (int t = 0; t <= H && ok; t++) ok = sgp_all_finite_f(s->X + ((size_t)t * KB + j) * nx, nx);
      if (ok && (best < 0 || s->fo.obj_r[j] < s->fo.obj_r[best])) best = j;
    }
    int j = best >= 0 ? best : i * R;
    if (best >= 0) {
      memcpy(ln->plan_u, s->fo.U + (size_t)best * per, sizeof(float) * per);
      plan_gather_rows(ln->plan_x, s->X, H + 1, KB, best, nx); /* member 0 */
    }
    plan_base_finish(&s->b, i, best >= 0, s->fo.obj_r[j], s->fo.cost_r[j], s->fo.pen_r[j], u + (size_t)i * nu,
                     &d[i], ts);
    if (best >= 0) d[i].grad_norm = s->gn_obj[best], d[i].cost_grad_norm = s->gn_cost[best];
  }
}

static int shoot_act_lanes(planner *p, int n, const int *lanes, const double *x, double *u,
                           plan_diag *d, sgp_err *e) {
  shoot *s = (shoot *)p;
  double t0 = sgp_now();
  if (plan_base_begin(&s->b, n, lanes, x, e)) return -1;
  const int H = s->b.H, B = n * s->R, iters = s->cfg.opt.iters;
  for (int i = 0; i < n; i++) { /* the initial plan of a lane after reset */
    plan_lane *ln = &s->b.lane[lanes[i]];
    if (!ln->have_warm) plan_init_plan(&s->b.bnd, s->cfg.opt.init, H, &ln->rng, ln->warm);
  }
  plan_fo_start(&s->b, &s->cfg.opt, s->R, s->fo.V, s->fo.U, NULL, s->fo.dead);
  s->adam->n = (size_t)B * H * s->b.nu; /* Adam over this act's rows only */
  sgp_adam_reset(s->adam);
  for (int it = 0; it < iters; it++) {
    shoot_eval(s, it, 1); /* a failed model call shows up as non-finite values below */
    if (!plan_fo_guard(&s->b, &s->cfg.opt, s->R, it, s->fo.G, (size_t)H * s->b.nu, NULL, 0, s->fo.obj_r,
                       s->fo.dead))
      break;
    sgp_adam_step(s->adam, s->fo.V, s->fo.G, (float)plan_opt_lr(&s->cfg.opt, it, iters));
    if (s->b.bnd.mode == PLAN_BOUNDS_CLIP) plan_bounds_clip(&s->b.bnd, B * H, s->fo.V);
  }
  /* the gradients of the task cost and of the penalised objective at the final iterates
   * (diagnostics, plan_diag); then evaluate them (last schedule values) and keep the best restart */
  const int last = iters > 0 ? iters - 1 : 0;
  shoot_eval_mode(s, last, 1, SHOOT_TASK);
  shoot_grad_norms(s, s->gn_cost);
  shoot_eval_mode(s, last, 1, SHOOT_DIAG);
  shoot_grad_norms(s, s->gn_obj);
  shoot_eval(s, last, 0);
  shoot_finish(s, u, d, t0);
  return 0;
}

/* ============================== test hooks ===================================================== */

int plan_shooting_gradient(planner *p, const double *x0, const float *V, int iter, float *G,
                           double *obj, sgp_err *e) {
  const plan_vt *vt = p->vt;
  if (vt != &plan_vt_sgp_shooting && vt != &plan_vt_grad && vt != &plan_vt_grad_ensemble)
    return sgp_fail(e, "plan_shooting_gradient: %s is not a shooting planner", vt->name);
  shoot *s = (shoot *)p;
  size_t n = (size_t)s->R * s->b.H * s->b.nu;
  static const int lane0 = 0;
  if (plan_base_begin(&s->b, 1, &lane0, x0, e)) return -1;
  memcpy(s->fo.V, V, sizeof(float) * n);
  if (shoot_eval(s, iter, 1)) return sgp_fail(e, "plan_shooting_gradient: a model call failed");
  memcpy(G, s->fo.G, sizeof(float) * n);
  for (int r = 0; r < s->R; r++) /* the score term has no value: leave its proxy out */
    obj[r] = s->cfg.kind == SHOOT_SGP ? s->fo.cost_r[r] : s->fo.obj_r[r];
  return 0;
}

void plan_shooting_sizes(const planner *p, int *R, int *T) {
  const shoot *s = (const shoot *)p;
  *R = s->R;
  *T = s->b.H;
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
    needs_sgp, create_sgp, shoot_destroy, plan_reset_one, plan_act_one, plan_view_one, plan_reset_lane,
    shoot_act_lanes, plan_view_lane};
const plan_vt plan_vt_grad = {
    "grad", "first-order single shooting through the learned model, no penalty (beta = 0)",
    needs_grad, create_grad, shoot_destroy, plan_reset_one, plan_act_one, plan_view_one, plan_reset_lane,
    shoot_act_lanes, plan_view_lane};
const plan_vt plan_vt_grad_ensemble = {
    "grad-ensemble", "first-order shooting on mean_k J_k + beta Var_k J_k (or the per-step state disagreement, "
    "penalty: ensemble_step) over an ensemble",
    needs_ens, create_ens, shoot_destroy, plan_reset_one, plan_act_one, plan_view_one, plan_reset_lane,
    shoot_act_lanes, plan_view_lane};
