/* Score-guided direct collocation (METHOD §4):
 *   min_{x_1..x_T, u_0..u_{T−1}}  Σ_t c(x_t,u_t) + c_T(x_T) − w Σ_t log p(x_t,u_t,x_{t+1})
 *                                 + ρ Σ_t ‖x_{t+1} − f(x_t,u_t)‖²          (optional defect)
 * with x_0 the measured state. The score enters as a gradient only: −w·s(z_t) split into its
 * x, u and x' parts is added to the gradients of x_t, u_t and x_{t+1}, so every free state x_t
 * (1 ≤ t < T) receives the x' part of z_{t−1} and the x part of z_t. Unlike shooting, nothing is
 * sequential: costs, scores and the defect model call each take all T·R rows of every lane (episode,
 * planned in lockstep) in one batch. */
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
  plan_base b; /* first: vtable, context, bounds, lanes (with warm states) */
  coll_cfg cfg;
  const plan_dyn *dyn;     /* defect model / rollout init, or NULL */
  const plan_score *score; /* or NULL */
  void *dws, *sws;
  sgp_adam *adam_x, *adam_u;
  int R, zdim;
  /* Rows of one act: j = i·R + r for slot i and restart r, B = n·R. Time-major, row (t, j); Xf and
   * GXf have H+1 steps (t = 0: the measured x_0), Ut, GU, F, Res, DX, DU, Z, S have H. */
  float *Xf, *Ut, *C, *GXf, *GU, *Z, *S, *F, *Res, *DX, *DU;
  /* restart-major decision variables, row (j, t): states x_1..x_H (and their gradient) */
  float *X, *GX;
  plan_fo fo;   /* actions, objectives, dead restarts (B rows) */
  double *def_r;
  float *alive; /* H×B: the termination mask (plan_cost_mask), when the planner honours one */
  void *block; /* the workspace: every view above and the lanes */
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
      "name", "horizon", "bounds", "warm_start", "seed_offset", PLAN_COMMON_TASK_KEYS, "iters",
      "lr", "lr_schedule", "lr_final", "restarts", "restart_noise", "grad_clip", "init", "beta",
      "beta_final", "beta_schedule", "score_weight", "score_level", "rho", "lr_state",
      "state_init", NULL};
  return sgp_cfg_check_keys(c, keys, e);
}

static int coll_uses_score(const coll_cfg *o) { return o->beta.beta > 0 || o->beta.beta_final > 0; }
static int coll_uses_dyn(const coll_cfg *o) { return o->rho > 0 || o->rollout_init; }

static int coll_needs(sgp_cfg *cfg, int *mask, sgp_err *e) {
  coll_cfg o;
  if (coll_parse(cfg, &o, e)) return -1;
  *mask = (coll_uses_score(&o) ? PLAN_NEEDS_SCORE : 0) | (coll_uses_dyn(&o) ? PLAN_NEEDS_DYN : 0) |
          plan_common_needs(&o.com);
  return 0;
}

static void coll_destroy(planner *p) {
  coll *s = (coll *)p;
  if (!s) return;
  if (s->dws) s->dyn->vt->ws_free(s->dws);
  if (s->sws) s->score->vt->ws_free(s->sws);
  plan_base_free(&s->b);
  sgp_adam_free(s->adam_x);
  sgp_adam_free(s->adam_u);
  free(s->block);
  free(s);
}

static void coll_layout(void *self, plan_block *b) {
  coll *s = self;
  const size_t H = (size_t)s->b.H, nx = (size_t)s->b.nx, nu = (size_t)s->b.nu;
  const size_t B = (size_t)s->b.L * s->R, HB = H * B;
  plan_base_layout(&s->b, b);
  PLAN_TAKE(b, s->Xf, (HB + B) * nx);
  PLAN_TAKE(b, s->Ut, HB * nu);
  PLAN_TAKE(b, s->C, HB + B);
  PLAN_TAKE(b, s->alive, plan_terminates(&s->b) ? HB : 0);
  PLAN_TAKE(b, s->GXf, (HB + B) * nx);
  PLAN_TAKE(b, s->GU, HB * nu);
  PLAN_TAKE(b, s->Z, HB * s->zdim);
  PLAN_TAKE(b, s->S, HB * s->zdim);
  PLAN_TAKE(b, s->F, HB * nx);
  PLAN_TAKE(b, s->Res, HB * nx);
  PLAN_TAKE(b, s->DX, HB * nx);
  PLAN_TAKE(b, s->DU, HB * nu);
  PLAN_TAKE(b, s->X, HB * nx);
  PLAN_TAKE(b, s->GX, HB * nx);
  PLAN_TAKE(b, s->def_r, B);
  plan_fo_layout(&s->fo, b, B, H * nu);
}

static int coll_models(const coll_cfg *o, const plan_ctx *ctx, const plan_dyn **dyn,
                       const plan_score **score, sgp_err *e) {
  *dyn = NULL;
  *score = NULL;
  if (coll_uses_dyn(o)) {
    if (plan_check_dyn(ctx->dyn, ctx, "dynamics", o->rho > 0, e)) return -1;
    if (ctx->dyn->K != 1) return sgp_fail(e, "planner sgp-collocation: the dynamics model must have K = 1");
    *dyn = ctx->dyn;
  }
  if (coll_uses_score(o)) {
    if (plan_check_score(ctx->score, ctx, o->level, o->weight, e)) return -1;
    *score = ctx->score;
  }
  if (!ctx->cost.running || !ctx->cost.terminal)
    return sgp_fail(e, "planner sgp-collocation: the context has no cost");
  return 0;
}

static int coll_create(sgp_cfg *cfg, const plan_ctx *ctx, planner **out, sgp_err *e) {
  coll_cfg o;
  const plan_dyn *dyn = NULL;
  const plan_score *score = NULL;
  if (coll_parse(cfg, &o, e)) return -1;
  int H = plan_horizon(&o.com, ctx, cfg, e);
  if (H < 0 || coll_models(&o, ctx, &dyn, &score, e)) return -1;
  coll *s = sgp_calloc(1, sizeof *s);
  if (plan_base_init(&s->b, &plan_vt_sgp_collocation, ctx, &o.com, "sgp-collocation", H, cfg->file,
                     cfg->path, e)) {
    free(s);
    return -1;
  }
  s->b.with_warm_x = 1;
  s->cfg = o;
  s->dyn = dyn;
  s->score = score;
  s->R = o.opt.restarts;
  s->zdim = score ? score->dim : 0;
  size_t HB = (size_t)H * s->b.L * s->R;
  s->block = plan_block_make(coll_layout, &s->b);
  if (dyn) s->dws = dyn->vt->ws_create(dyn->model, (int)HB, 1);
  if (score) s->sws = score->vt->ws_create(score->model, (int)HB);
  sgp_adam_cfg ac = sgp_adam_defaults();
  ac.clip_norm = 0;
  ac.lr = (float)o.lr_state;
  s->adam_x = sgp_adam_create(HB * s->b.nx, &ac);
  ac.lr = (float)o.opt.lr;
  s->adam_u = sgp_adam_create(HB * s->b.nu, &ac);
  *out = &s->b.pub;
  return 0;
}

/* ============================== objective and gradient ========================================= */
/* Stages of one evaluation of (X, V) of the act's n slots at schedule iteration `it`: gather into
 * time-major rows, task costs, score term, dynamics defect, and (grad) the gradient scatter. */

static void coll_gather(coll *s) {
  const int H = s->b.H, R = s->R, nx = s->b.nx, nu = s->b.nu, B = s->b.n * R;
  plan_bounds_to_u(&s->b.bnd, B * H, s->fo.V, s->fo.U);
  for (int j = 0; j < B; j++) {
    memcpy(s->Xf + (size_t)j * nx, s->b.x0 + (size_t)(j / R) * nx, sizeof(float) * nx);
    for (int t = 0; t < H; t++) {
      memcpy(s->Xf + ((size_t)(t + 1) * B + j) * nx, s->X + ((size_t)j * H + t) * nx,
             sizeof(float) * nx);
      memcpy(s->Ut + ((size_t)t * B + j) * nu, s->fo.U + ((size_t)j * H + t) * nu, sizeof(float) * nu);
    }
  }
}

static void coll_costs(coll *s, int grad) {
  const int H = s->b.H, nx = s->b.nx, B = s->b.n * s->R;
  const size_t HB = (size_t)H * B;
  const plan_cost *c = &s->b.ctx.cost;
  c->running(c->self, (int)HB, s->Xf, s->Ut, s->C, grad ? s->GXf : NULL, grad ? s->GU : NULL);
  c->terminal(c->self, B, s->Xf + HB * nx, s->C + HB, grad ? s->GXf + HB * nx : NULL);
  plan_cost_mask(&s->b, s->b.H, B, s->Xf, s->alive, s->C, grad ? s->GXf : NULL,
                 grad ? s->GU : NULL);
  for (int j = 0; j < B; j++) {
    double v = 0;
    for (int t = 0; t <= H; t++) v += s->C[(size_t)t * B + j];
    s->fo.cost_r[j] = v;
    s->fo.pen_r[j] = s->def_r[j] = 0;
  }
}

/* Dynamics defect ρ‖x_{t+1} − f(x_t,u_t)‖² through the learned model, all rows at once. */
static int coll_defect(coll *s, int grad) {
  const int nx = s->b.nx, nu = s->b.nu, B = s->b.n * s->R;
  const size_t HB = (size_t)s->b.H * B;
  const plan_dyn *dyn = s->dyn;
  int fail = plan_forward(dyn, s->dws, 0, (int)HB, s->Xf, s->Ut, s->F) != 0;
  double rho = s->cfg.rho;
  for (size_t i = 0; i < HB; i++) {
    double n2 = 0;
    for (int k = 0; k < nx; k++) {
      float rk = s->Xf[(i + B) * nx + k] - s->F[i * nx + k];
      s->Res[i * nx + k] = (float)(-2.0 * rho * rk); /* seed for the vjp: ∂/∂f */
      n2 += (double)rk * rk;
      if (grad) s->GXf[(i + B) * nx + k] += (float)(2.0 * rho * rk);
    }
    s->def_r[i % B] += rho * n2;
  }
  if (grad) {
    dyn->vt->vjp(dyn->model, s->dws, 0, (int)HB, s->Res, s->DX, s->DU);
    for (size_t i = 0; i < HB * nx; i++) s->GXf[i] += s->DX[i];
    for (size_t i = 0; i < HB * nu; i++) s->GU[i] += s->DU[i];
  }
  return fail;
}

/* Objective of (s->X, s->fo.V) and, if grad, its gradient into s->GX, s->fo.G. The score of
 * (x_t, u_t, x_{t+1}) enters as −w s split into its three blocks (METHOD §4). */
static int coll_eval(coll *s, int it, int grad) {
  const int H = s->b.H, R = s->R, nx = s->b.nx, nu = s->b.nu, B = s->b.n * R;
  int fail = 0;
  long srows = 0;
  coll_gather(s);
  coll_costs(s, grad);
  if (s->score) {
    int level;
    double w = plan_score_weight(s->score, &s->cfg.beta, s->cfg.weight, s->cfg.level, it,
                                 s->cfg.opt.iters, &level);
    if (w > 0) {
      plan_score_term(s->score, s->sws, H, B, nx, nu, s->Xf, s->Ut, level, w, s->Z, s->S, s->fo.pen_r,
                      grad ? s->GXf : NULL, grad ? s->GU : NULL);
      srows = (long)H * R;
    }
  }
  if (s->cfg.rho > 0) fail = coll_defect(s, grad);
  plan_base_count(&s->b, s->cfg.rho > 0 ? (long)H * R : 0, srows, !grad);
  for (int j = 0; j < B; j++) s->fo.obj_r[j] = s->fo.cost_r[j] + s->def_r[j] + s->fo.pen_r[j];
  if (!grad) return fail ? -1 : 0;
  for (int j = 0; j < B; j++)
    for (int t = 0; t < H; t++) {
      memcpy(s->GX + ((size_t)j * H + t) * nx, s->GXf + ((size_t)(t + 1) * B + j) * nx,
             sizeof(float) * nx);
      memcpy(s->fo.G + ((size_t)j * H + t) * nu, s->GU + ((size_t)t * B + j) * nu, sizeof(float) * nu);
    }
  plan_bounds_chain(&s->b.bnd, B * H, s->fo.V, s->fo.G, s->fo.G);
  return fail ? -1 : 0;
}

/* ============================== one MPC step =================================================== */

/* The warm start of lanes after a reset: the initial actions, states held at x_0 or (state_init
 * "rollout") the model rollout of those actions, every such lane's row in one call per step. */
static void coll_init_lanes(coll *s) {
  const int H = s->b.H, nx = s->b.nx, nu = s->b.nu;
  int m = 0; /* rows of the rollout: the lanes that need one, in slot order */
  for (int i = 0; i < s->b.n; i++) {
    plan_lane *ln = &s->b.lane[s->b.lanes[i]];
    if (ln->have_warm) continue;
    plan_init_plan(&s->b.bnd, s->cfg.opt.init, H, &ln->rng, ln->warm);
    for (int t = 0; t < H; t++) memcpy(ln->warm_x + (size_t)t * nx, s->b.x0 + (size_t)i * nx, sizeof(float) * nx);
    if (!s->cfg.rollout_init) continue;
    memcpy(s->Xf + (size_t)m * nx, s->b.x0 + (size_t)i * nx, sizeof(float) * nx);
    s->b.mrows[i] += H;
    s->fo.dead[m++] = i;
  }
  for (int t = 0; t < H && m > 0; t++) {
    for (int q = 0; q < m; q++)
      memcpy(s->Ut + (size_t)q * nu, s->b.lane[s->b.lanes[s->fo.dead[q]]].warm + (size_t)t * nu,
             sizeof(float) * nu);
    plan_forward(s->dyn, s->dws, 0, m, s->Xf, s->Ut, s->F);
    for (int q = 0; q < m; q++) { /* a row that failed keeps its state */
      float *xn = s->F + (size_t)q * nx, *xp = s->Xf + (size_t)q * nx;
      if (sgp_all_finite_f(xn, nx)) memcpy(xp, xn, sizeof(float) * nx);
      memcpy(s->b.lane[s->b.lanes[s->fo.dead[q]]].warm_x + (size_t)t * nx, xp, sizeof(float) * nx);
    }
  }
}

/* After the final evaluation: each slot keeps its best finite restart or falls back. */
static void coll_finish(coll *s, double *u, plan_diag *d, double t0) {
  const int H = s->b.H, R = s->R, nx = s->b.nx, nu = s->b.nu;
  const size_t pu = (size_t)H * nu, px = (size_t)H * nx;
  double ts = (sgp_now() - t0) / s->b.n;
  for (int i = 0; i < s->b.n; i++) {
    plan_lane *ln = &s->b.lane[s->b.lanes[i]];
    int best = -1;
    for (int j = i * R; j < (i + 1) * R; j++) {
      if (s->fo.dead[j] || !isfinite(s->fo.obj_r[j])) continue;
      if (!sgp_all_finite_f(s->fo.U + (size_t)j * pu, pu) || !sgp_all_finite_f(s->X + (size_t)j * px, px))
        continue;
      if (best < 0 || s->fo.obj_r[j] < s->fo.obj_r[best]) best = j;
    }
    int j = best >= 0 ? best : i * R;
    memcpy(ln->plan_x, s->b.x0 + (size_t)i * nx, sizeof(float) * nx);
    if (best >= 0) {
      memcpy(ln->plan_u, s->fo.U + (size_t)best * pu, sizeof(float) * pu);
      memcpy(ln->plan_x + nx, s->X + (size_t)best * px, sizeof(float) * px);
    }
    plan_base_finish(&s->b, i, best >= 0, s->fo.obj_r[j], s->fo.cost_r[j], s->fo.pen_r[j] + s->def_r[j],
                     u + (size_t)i * nu, &d[i], ts);
  }
}

static int coll_act_lanes(planner *p, int n, const int *lanes, const double *x, double *u,
                          plan_diag *d, sgp_err *e) {
  coll *s = (coll *)p;
  double t0 = sgp_now();
  if (plan_base_begin(&s->b, n, lanes, x, e)) return -1;
  const int H = s->b.H, B = n * s->R, iters = s->cfg.opt.iters;
  coll_init_lanes(s);
  plan_fo_start(&s->b, &s->cfg.opt, s->R, s->fo.V, s->fo.U, s->X, s->fo.dead);
  s->adam_x->n = (size_t)B * H * s->b.nx; /* Adam over this act's rows only */
  s->adam_u->n = (size_t)B * H * s->b.nu;
  sgp_adam_reset(s->adam_x);
  sgp_adam_reset(s->adam_u);
  for (int it = 0; it < iters; it++) {
    coll_eval(s, it, 1);
    if (!plan_fo_guard(&s->b, &s->cfg.opt, s->R, it, s->fo.G, (size_t)H * s->b.nu, s->GX,
                       (size_t)H * s->b.nx, s->fo.obj_r, s->fo.dead))
      break;
    double lr = plan_opt_lr(&s->cfg.opt, it, iters);
    sgp_adam_step(s->adam_x, s->X, s->GX, (float)(lr * s->cfg.lr_state / s->cfg.opt.lr));
    sgp_adam_step(s->adam_u, s->fo.V, s->fo.G, (float)lr);
    if (s->b.bnd.mode == PLAN_BOUNDS_CLIP) plan_bounds_clip(&s->b.bnd, B * H, s->fo.V);
  }
  coll_eval(s, iters > 0 ? iters - 1 : 0, 0);
  coll_finish(s, u, d, t0);
  return 0;
}

int plan_collocation_gradient(planner *p, const double *x0, const float *X, const float *V,
                              int iter, float *GX, float *GV, double *obj, sgp_err *e) {
  if (p->vt != &plan_vt_sgp_collocation)
    return sgp_fail(e, "plan_collocation_gradient: %s is not sgp-collocation", p->vt->name);
  coll *s = (coll *)p;
  size_t HR = (size_t)s->b.H * s->R;
  static const int lane0 = 0;
  if (plan_base_begin(&s->b, 1, &lane0, x0, e)) return -1;
  memcpy(s->X, X, sizeof(float) * HR * s->b.nx);
  memcpy(s->fo.V, V, sizeof(float) * HR * s->b.nu);
  if (coll_eval(s, iter, 1)) return sgp_fail(e, "plan_collocation_gradient: a model call failed");
  memcpy(GX, s->GX, sizeof(float) * HR * s->b.nx);
  memcpy(GV, s->fo.G, sizeof(float) * HR * s->b.nu);
  for (int r = 0; r < s->R; r++) obj[r] = s->fo.cost_r[r] + s->def_r[r];
  return 0;
}

void plan_collocation_sizes(const planner *p, int *R, int *T) {
  const coll *s = (const coll *)p;
  *R = s->R;
  *T = s->b.H;
}

const plan_vt plan_vt_sgp_collocation = {
    "sgp-collocation",
    "score-guided direct collocation over states and actions with the (x,u,x') score",
    coll_needs, coll_create, coll_destroy, plan_reset_one, plan_act_one, plan_view_one,
    plan_reset_lane, coll_act_lanes, plan_view_lane};
