// ctest-labels: unit planner
/* Lockstep (agents/planner.h act_lanes): episodes planned together equal episodes planned one at
 * a time, for every planner.
 *
 * Each case runs E = 4 episodes of a few MPC steps twice: once in one planner made with
 * ctx.lanes = 4 (one act_lanes call per step for every episode still running), once with a fresh
 * 1-lane planner per episode (reset/act/view). The episodes differ in their start and their seed;
 * episode 1 ends after step 1 and leaves the batch (as a terminated episode does); at step 2 the
 * lanes are listed in reverse order; on the LQR system episode 3 starts where the model diverges
 * (NaN), so that its solves fall back while the others continue.
 *  - LQR test system (linear model, quadratic cost, Gaussian score, analytic distance, a linear
 *    2-member ensemble; every row computed on its own): actions, plans, candidate rollouts and
 *    diagnostics must be identical bit for bit.
 *  - Cart-pole (the environment's task cost and true dynamics, random MLP dynamics and score at the
 *    authors' sizes, frozen for inference as evaluation does: core/nn_kernels.h, whose rows do not
 *    depend on the batch): again bit for bit.
 * So the tolerance of docs/planners.md, "Lockstep", is zero for these models; the worst action
 * difference is printed as well. */
#include "testutil.h"

#include "agents/plan_testsys.h"
#include "agents/planner.h"
#include "core/nn_kernels.h"
#include "envs/env.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { E = 4, STEPS = 4, MAXX = 8, MAXU = 2 };

/* ------------------------------------------------------------------ the LQR system */
enum { NX = 4, NU = 2 };
static double A[NX * NX], Bm[NX * NU], A2[NX * NX], Q[NX * NX], Rm[NU * NU], Qf[NX * NX];

static void lqr_setup(void) {
  const double dt = 0.1;
  for (int i = 0; i < 2; i++) { /* 2-D point mass: position i, velocity 2+i */
    A[i * NX + i] = 1, A[i * NX + 2 + i] = dt, A[(2 + i) * NX + 2 + i] = 1;
    Bm[i * NU + i] = 0.5 * dt * dt, Bm[(2 + i) * NU + i] = dt;
    Q[i * NX + i] = 1.0, Q[(2 + i) * NX + 2 + i] = 0.1;
    Qf[i * NX + i] = 10.0, Qf[(2 + i) * NX + 2 + i] = 1.0;
    Rm[i * NU + i] = 0.05;
  }
  memcpy(A2, A, sizeof A);
  A2[0 * NX + 2] = 0.12, A2[3 * NX + 3] = 0.97;
}

/* the linear model, except that rows starting beyond |x| = 50 diverge (NaN, failure reported) */
static void *wrap_ws(const void *m, int B, int T) {
  const plan_dyn *d = m;
  return d->vt->ws_create(d->model, B, T);
}
static void wrap_ws_free(void *w) { free(w); }
static int wrap_fwd(const void *m, void *w, int t, int B, const float *x, const float *u, float *xn) {
  const plan_dyn *d = m;
  int rc = d->vt->forward(d->model, w, t, B, x, u, xn);
  for (int r = 0; r < B; r++)
    if (fabsf(x[r * NX]) > 50) {
      for (int i = 0; i < NX; i++) xn[r * NX + i] = NAN;
      rc = -1;
    }
  return rc;
}
static void wrap_vjp(const void *m, void *w, int t, int B, const float *g, float *dx, float *du) {
  const plan_dyn *d = m;
  d->vt->vjp(d->model, w, t, B, g, dx, du);
}
static const plan_dyn_vt wrap_vt = {"linear-nan", wrap_ws, wrap_ws_free, wrap_fwd, wrap_vjp, NULL, NULL};

/* ------------------------------------------------------------------ the episodes */
typedef struct world {
  int nx, nu;
  double du_range;                 /* action range, for the tolerance */
  sgp_env *env[E];                 /* cart-pole: one simulator per episode; NULL: the LQR system */
  double x0[E][MAXX];
} world;

static void world_start(world *w, int ep, double *x) {
  sgp_err e;
  if (w->env[ep]) env_reset(w->env[ep], 100 + ep, x, &e);
  else memcpy(x, w->x0[ep], sizeof(double) * w->nx);
}

static void world_step(world *w, int ep, const double *x, const double *u, double *xn) {
  if (w->env[ep]) {
    double r;
    int term;
    sgp_err e;
    env_step(w->env[ep], u, xn, &r, &term, &e);
    return;
  }
  for (int i = 0; i < NX; i++) {
    xn[i] = 0;
    for (int j = 0; j < NX; j++) xn[i] += A[i * NX + j] * x[j];
    for (int j = 0; j < NU; j++) xn[i] += Bm[i * NU + j] * u[j];
  }
}

static int steps_of(int ep) { return ep == 1 ? 2 : STEPS; } /* episode 1 terminates early */

/* What one step of one episode produced. */
typedef struct rec {
  double u[MAXU];
  plan_diag d;
  float *plan;  /* (H+1)·nx states, H·nu actions, then cand rollouts */
  int ncand;
  size_t n;
} rec;

static void record(rec *r, const planner *p, int lane, const double *u, const plan_diag *d, int nu) {
  plan_view v;
  p->vt->view_lane(p, lane, &v);
  size_t nxs = (size_t)(v.T + 1) * v.nx, nus = (size_t)v.T * v.nu, nc = (size_t)v.ncand * nxs;
  r->n = nxs + nus + nc;
  r->plan = sgp_falloc(r->n ? r->n : 1);
  memcpy(r->plan, v.x, sizeof(float) * nxs);
  memcpy(r->plan + nxs, v.u, sizeof(float) * nus);
  if (nc) memcpy(r->plan + nxs + nus, v.cand_x, sizeof(float) * nc);
  r->ncand = v.ncand;
  memcpy(r->u, u, sizeof(double) * nu);
  r->d = *d;
}

static planner *make(const char *name, const char *json, plan_ctx *ctx, int lanes, cJSON **j) {
  sgp_err e = {{0}};
  planner *p = NULL;
  ctx->lanes = lanes;
  if (sgp_json_parse(json, "test", j, &e)) {
    CHECK(0, "%s", e.msg);
    return NULL;
  }
  sgp_cfg c = sgp_cfg_root(*j, "test");
  if (plan_find(name)->create(&c, ctx, &p, &e)) {
    CHECK(0, "%s %s: create: %s", name, json, e.msg);
    cJSON_Delete(*j);
    return NULL;
  }
  return p;
}

/* Runs the E episodes one at a time (ref) and in lockstep (lk). */
static void run_solo(world *w, const char *name, const char *json, plan_ctx *ctx, rec ref[E][STEPS]) {
  for (int ep = 0; ep < E; ep++) {
    cJSON *j;
    planner *p = make(name, json, ctx, 0, &j);
    if (!p) return;
    p->vt->reset(p, 1000 + ep);
    double x[MAXX], xn[MAXX], u[MAXU];
    world_start(w, ep, x);
    for (int s = 0; s < steps_of(ep); s++) {
      plan_diag d;
      sgp_err e = {{0}};
      CHECK(p->vt->act(p, x, u, &d, &e) == 0, "%s: act: %s", name, e.msg);
      record(&ref[ep][s], p, 0, u, &d, w->nu);
      world_step(w, ep, x, u, xn);
      memcpy(x, xn, sizeof xn);
    }
    p->vt->destroy(p);
    cJSON_Delete(j);
  }
}

static void run_lockstep(world *w, const char *name, const char *json, plan_ctx *ctx,
                         rec lk[E][STEPS]) {
  cJSON *j;
  planner *p = make(name, json, ctx, E, &j);
  if (!p) return;
  double x[E][MAXX], xs[E * MAXX], us[E * MAXU], xn[MAXX];
  plan_diag d[E];
  for (int ep = 0; ep < E; ep++) {
    p->vt->reset_lane(p, ep, 1000 + ep);
    world_start(w, ep, x[ep]);
  }
  for (int s = 0; s < STEPS; s++) {
    int lanes[E], n = 0;
    for (int ep = 0; ep < E; ep++)
      if (s < steps_of(ep)) lanes[n++] = ep;
    if (s == 2) /* any order of the lanes */
      for (int a = 0, b = n - 1; a < b; a++, b--) {
        int t = lanes[a];
        lanes[a] = lanes[b], lanes[b] = t;
      }
    for (int i = 0; i < n; i++) memcpy(xs + i * w->nx, x[lanes[i]], sizeof(double) * w->nx);
    sgp_err e = {{0}};
    CHECK(p->vt->act_lanes(p, n, lanes, xs, us, d, &e) == 0, "%s: act_lanes: %s", name, e.msg);
    for (int i = 0; i < n; i++) {
      int ep = lanes[i];
      record(&lk[ep][s], p, ep, us + i * w->nu, &d[i], w->nu);
      world_step(w, ep, x[ep], us + i * w->nu, xn);
      memcpy(x[ep], xn, sizeof xn);
    }
  }
  p->vt->destroy(p);
  cJSON_Delete(j);
}

static int same_d(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* tol < 0: bit for bit (actions, plans, candidates, diagnostics); else |Δu| <= tol·range. */
static void compare(world *w, const char *name, const char *json, rec ref[E][STEPS],
                    rec lk[E][STEPS], double tol) {
  int mism = 0, fallbacks = 0;
  double worst = 0;
  for (int ep = 0; ep < E; ep++)
    for (int s = 0; s < steps_of(ep); s++) {
      rec *a = &ref[ep][s], *b = &lk[ep][s];
      for (int i = 0; i < w->nu; i++) worst = fmax(worst, fabs(a->u[i] - b->u[i]) / w->du_range);
      fallbacks += a->d.fallback;
      if (tol >= 0) continue;
      int same = !memcmp(a->u, b->u, sizeof(double) * w->nu) && a->n == b->n &&
                 a->ncand == b->ncand && !memcmp(a->plan, b->plan, sizeof(float) * a->n) &&
                 a->d.iters == b->d.iters && a->d.fallback == b->d.fallback &&
                 a->d.model_rows == b->d.model_rows && a->d.score_rows == b->d.score_rows &&
                 same_d(a->d.objective, b->d.objective) && same_d(a->d.cost, b->d.cost) &&
                 same_d(a->d.penalty, b->d.penalty);
      if (!same && mism++ < 3)
        fprintf(stderr, "  %s %s: episode %d step %d differs (u %.17g vs %.17g, iters %d/%d, rows "
                "%ld/%ld)\n", name, json, ep, s, a->u[0], b->u[0], a->d.iters, b->d.iters,
                a->d.model_rows, b->d.model_rows);
    }
  char what[600];
  snprintf(what, sizeof what, "%s %s: lockstep vs one at a time, |du|/range (%d fallback steps)",
           name, json, fallbacks);
  if (tol < 0) {
    CHECK(mism == 0, "%s: %d steps not bit for bit equal", what, mism);
    CHECK_WORST(what, worst, 0.0);
  } else {
    CHECK_WORST(what, worst, tol);
  }
  for (int ep = 0; ep < E; ep++)
    for (int s = 0; s < steps_of(ep); s++) free(ref[ep][s].plan), free(lk[ep][s].plan);
}

static void check_case(world *w, const char *name, const char *json, plan_ctx *ctx, double tol) {
  static rec ref[E][STEPS], lk[E][STEPS];
  memset(ref, 0, sizeof ref), memset(lk, 0, sizeof lk);
  run_solo(w, name, json, ctx, ref);
  run_lockstep(w, name, json, ctx, lk);
  compare(w, name, json, ref, lk, tol);
}

/* An ensemble run member by member (planner.h: forward_member, vjp_member; in lockstep) equals
 * the same ensemble run step by step with every member per call (the member calls hidden; one at a
 * time): bit for bit. */
static void check_member_major(world *w, const char *name, const char *json, plan_ctx *ctx) {
  static rec ref[E][STEPS], lk[E][STEPS];
  memset(ref, 0, sizeof ref), memset(lk, 0, sizeof lk);
  const plan_dyn *ens = ctx->ensemble;
  CHECK(ens->vt->forward_member && ens->vt->vjp_member, "%s: the test ensemble offers member calls", name);
  plan_dyn_vt stepwise_vt = *ens->vt;
  stepwise_vt.forward_member = NULL, stepwise_vt.vjp_member = NULL;
  plan_dyn stepwise = *ens;
  stepwise.vt = &stepwise_vt;
  ctx->ensemble = &stepwise;
  run_solo(w, name, json, ctx, ref);
  ctx->ensemble = ens;
  run_lockstep(w, name, json, ctx, lk);
  char label[300];
  snprintf(label, sizeof label, "%s (member by member vs step by step)", json);
  compare(w, name, label, ref, lk, -1);
}

/* ------------------------------------------------------------------ the cases */
static const char *const lqr_cases[][2] = {
    {"sgp-shooting", "{\"horizon\": 6, \"iters\": 12, \"restarts\": 3, \"lr\": 0.3, \"beta\": 0.5}"},
    {"sgp-shooting", "{\"horizon\": 6, \"iters\": 12, \"restarts\": 2, \"bounds\": \"tanh\", "
                     "\"init\": \"random\", \"beta\": 1, \"beta_final\": 0.1, \"beta_schedule\": "
                     "\"cosine\", \"grad_clip\": 1}"},
    {"grad", "{\"horizon\": 6, \"iters\": 12, \"restarts\": 2, \"lr\": 0.3, \"lr_schedule\": "
             "\"cosine\", \"lr_final\": 0.01}"},
    {"grad-ensemble", "{\"horizon\": 6, \"iters\": 10, \"restarts\": 2, \"beta\": 0.5}"},
    {"sgp-collocation", "{\"horizon\": 6, \"iters\": 12, \"restarts\": 2, \"rho\": 3, "
                        "\"state_init\": \"rollout\", \"init\": \"random\"}"},
    {"cem", "{\"horizon\": 6, \"samples\": 40, \"elites\": 6, \"iters\": 3}"},
    {"cem", "{\"horizon\": 6, \"samples\": 24, \"iters\": 2, \"penalty\": \"ensemble\"}"},
    {"mppi", "{\"horizon\": 6, \"samples\": 40, \"iters\": 2, \"penalty\": \"ensemble_step\"}"},
    {"mppi", "{\"horizon\": 6, \"samples\": 40, \"iters\": 2, \"penalty\": \"distance\", "
             "\"distance\": \"dde\"}"},
    {"random-shooting", "{\"horizon\": 6, \"samples\": 50, \"init\": \"random\"}"},
    {"oracle", "{\"horizon\": 6, \"samples\": 30, \"iters\": 2, \"method\": \"cem\", \"elites\": 5}"},
};

static const char *const cp_cases[][2] = {
    {"sgp-shooting", "{\"horizon\": 10, \"iters\": 15, \"restarts\": 2, \"lr\": 1, \"beta\": 0.03}"},
    {"grad", "{\"horizon\": 10, \"iters\": 15, \"lr\": 1}"},
    {"grad-ensemble", "{\"horizon\": 10, \"iters\": 10, \"lr\": 1, \"beta\": 0.1}"},
    {"sgp-collocation", "{\"horizon\": 10, \"iters\": 15, \"rho\": 1, \"lr\": 0.3}"},
    {"mppi", "{\"horizon\": 10, \"samples\": 64, \"iters\": 2, \"temperature\": 0.1}"},
    {"cem", "{\"horizon\": 10, \"samples\": 64, \"iters\": 2, \"elites\": 8}"},
    {"random-shooting", "{\"horizon\": 10, \"samples\": 64}"},
    {"oracle", "{\"horizon\": 5, \"samples\": 16, \"iters\": 1}"},
};

static nn_mlp *rand_net(int nin, int nout, const int *w, int nh, int ncond, sgp_rng *r) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nin, a.nout = nout, a.nhidden = nh, a.act = NN_LEAKY_RELU, a.act_param = 0.01f;
  a.ncond = ncond;
  for (int k = 0; k < nh; k++) a.width[k] = w[k];
  nn_mlp *m = nn_create(&a);
  nn_init(m, r);
  return m;
}

static void run_lqr(void) {
  lqr_setup();
  plan_linsys *ls = plan_linsys_create(NX, NU, A, Bm), *ls2 = plan_linsys_create(NX, NU, A2, Bm);
  plan_quadcost *qc = plan_quadcost_create(NX, NU, Q, Rm, Qf, NULL);
  plan_dyn lin = plan_linsys_dyn(ls);
  plan_dyn dyn = {&wrap_vt, &lin, NX, NU, 1};
  plan_dyn members[2] = {dyn, plan_linsys_dyn(ls2)}; /* member 0 diverges where dyn does */
  plan_stack *st = plan_stack_create(2, members);
  plan_dyn ens = plan_stack_dyn(st);
  float mean[2 * NX + NU] = {0}, sd[2 * NX + NU], sig[3] = {0.5f, 0.2f, 0.05f};
  for (int k = 0; k < 2 * NX + NU; k++) sd[k] = 0.7f + 0.1f * k;
  plan_gauss *g = plan_gauss_create(NX + NU, PLAN_Z_XU, mean, sd, 3, sig);
  plan_gauss *gx = plan_gauss_create(2 * NX + NU, PLAN_Z_XUX, mean, sd, 3, sig);
  plan_score score = plan_gauss_score(g), scorex = plan_gauss_score(gx);
  float dc[NX + NU] = {0, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  plan_quaddist *qd = plan_quaddist_create(NX + NU, PLAN_Z_XU, dc, 0.5f);
  plan_dist dist = plan_quaddist_dist(qd);
  double lo[NU] = {-3, -3}, hi[NU] = {3, 3};
  plan_ctx ctx = {0};
  ctx.nx = NX, ctx.nu = NU, ctx.T_env = 20, ctx.u_lo = lo, ctx.u_hi = hi;
  ctx.cost = plan_quadcost_cost(qc);
  ctx.dyn = &dyn, ctx.ensemble = &ens, ctx.truth = &dyn, ctx.dist = &dist;
  ctx.seed = 11;
  world w = {NX, NU, 6.0, {NULL}, {{1.0, -0.5, 0.3, 0.8}, {-0.7, 0.2, 0, 0.1}, {0.3, 0.9, -0.4, 0},
                                   {100, 0, 0, 0}}};
  for (size_t c = 0; c < sizeof lqr_cases / sizeof lqr_cases[0]; c++) {
    ctx.score = !strcmp(lqr_cases[c][0], "sgp-collocation") ? &scorex : &score;
    check_case(&w, lqr_cases[c][0], lqr_cases[c][1], &ctx, -1);
  }
  for (size_t c = 0; c < sizeof lqr_cases / sizeof lqr_cases[0]; c++)
    if (!strcmp(lqr_cases[c][0], "grad-ensemble")) check_member_major(&w, lqr_cases[c][0], lqr_cases[c][1], &ctx);
  /* bad lane lists are errors that name the lane, not crashes */
  for (size_t c = 0; c < sizeof lqr_cases / sizeof lqr_cases[0]; c++) {
    cJSON *j;
    ctx.score = !strcmp(lqr_cases[c][0], "sgp-collocation") ? &scorex : &score;
    planner *p = make(lqr_cases[c][0], lqr_cases[c][1], &ctx, 2, &j);
    if (!p) continue;
    static const int twice[2] = {1, 1}, outside[1] = {2};
    double xs[2 * NX] = {0}, us[2 * NU];
    plan_diag d[2];
    sgp_err e = {{0}};
    int rc = p->vt->act_lanes(p, 2, twice, xs, us, d, &e);
    CHECK(rc != 0 && strstr(e.msg, "lane 1 listed twice"), "%s: duplicate lane: %s", lqr_cases[c][0],
          rc ? e.msg : "accepted");
    rc = p->vt->act_lanes(p, 1, outside, xs, us, d, &e);
    CHECK(rc != 0 && strstr(e.msg, "lane 2 outside 0..1"), "%s: lane out of range: %s",
          lqr_cases[c][0], rc ? e.msg : "accepted");
    p->vt->destroy(p);
    cJSON_Delete(j);
  }
  printf("ok   duplicate and out-of-range lanes rejected by every planner\n");
  plan_linsys_free(ls), plan_linsys_free(ls2), plan_quadcost_free(qc);
  plan_gauss_free(g), plan_gauss_free(gx), plan_stack_free(st), plan_quaddist_free(qd);
}

static void cp_running(const void *self, int B, const float *x, const float *u, float *c,
                       float *gx, float *gu) {
  env_cost_batch(self, B, x, u, c, gx, gu);
}
static void cp_terminal(const void *self, int B, const float *x, float *c, float *gx) {
  env_terminal_cost_batch(self, B, x, c, gx);
}

static void run_cartpole(void) {
  world w;
  memset(&w, 0, sizeof w);
  sgp_err e = {{0}};
  for (int ep = 0; ep < E; ep++)
    CHECK(env_create("cartpole", NULL, "test", &w.env[ep], &e) == 0, "cartpole: %s", e.msg);
  sgp_env *env = w.env[0];
  if (!env) return;
  int nx = env->spec.nx, nu = env->spec.nu;
  w.nx = nx, w.nu = nu, w.du_range = env->spec.u_hi[0] - env->spec.u_lo[0];
  sgp_rng r;
  sgp_rng_stream(&r, 3, "test");
  int dw[3] = {64, 64, 32}, sw[4] = {128, 128, 128, 128}, swx[2] = {64, 64};
  nn_mlp *net[2] = {rand_net(nx + nu, nx, dw, 3, 0, &r), rand_net(nx + nu, nx, dw, 3, 0, &r)};
  nn_mlp *snet = rand_net(nx + nu, nx + nu, sw, 4, 0, &r);
  nn_mlp *snetx = rand_net(2 * nx + nu, 2 * nx + nu, swx, 2, 0, &r);
  nn_freeze(net[0], NN_WT_F32), nn_freeze(net[1], NN_WT_F32);
  nn_freeze(snet, NN_WT_F32), nn_freeze(snetx, NN_WT_F32);
  float ks[8] = {0.05f, 0.05f, 0.05f, 0.05f}, sig = 0.1f;
  plan_mlpdyn *md = plan_mlpdyn_create(nx, nu, 1, net, ks), *me = plan_mlpdyn_create(nx, nu, 2, net, ks);
  plan_mlpscore *ms = plan_mlpscore_create(snet, PLAN_Z_XU, 1, &sig);
  plan_mlpscore *msx = plan_mlpscore_create(snetx, PLAN_Z_XUX, 1, &sig);
  plan_dyn dyn = plan_mlpdyn_dyn(md), ens = plan_mlpdyn_dyn(me);
  plan_score score = plan_mlpscore_score(ms), scorex = plan_mlpscore_score(msx);
  plan_ctx ctx = {0};
  ctx.nx = nx, ctx.nu = nu, ctx.T_env = env->spec.T, ctx.u_lo = env->spec.u_lo, ctx.u_hi = env->spec.u_hi;
  ctx.cost.self = env, ctx.cost.running = cp_running, ctx.cost.terminal = cp_terminal;
  ctx.dyn = &dyn, ctx.ensemble = &ens, ctx.truth = &dyn;
  ctx.seed = 5;
  for (size_t c = 0; c < sizeof cp_cases / sizeof cp_cases[0]; c++) {
    ctx.score = !strcmp(cp_cases[c][0], "sgp-collocation") ? &scorex : &score;
    check_case(&w, cp_cases[c][0], cp_cases[c][1], &ctx, -1);
  }
  for (size_t c = 0; c < sizeof cp_cases / sizeof cp_cases[0]; c++)
    if (!strcmp(cp_cases[c][0], "grad-ensemble")) check_member_major(&w, cp_cases[c][0], cp_cases[c][1], &ctx);
  plan_mlpdyn_free(md), plan_mlpdyn_free(me), plan_mlpscore_free(ms), plan_mlpscore_free(msx);
  nn_free(net[0]), nn_free(net[1]), nn_free(snet), nn_free(snetx);
  for (int ep = 0; ep < E; ep++) env_destroy(w.env[ep]);
}

int main(void) {
  run_lqr();
  run_cartpole();
  return tu_done("test_plan_lockstep");
}
