/* Lockstep benchmarks (part 3 of `sgp bench planner`): one MPC step of sgp-shooting planned for
 * E = 1, 4 and 16 episodes together, in three configurations, with random-weight networks frozen
 * for inference (core/nn_kernels.h) as evaluation uses them:
 *   d4rl          the paper's D4RL configuration: 17-dim state, 6-dim action, [1024]x4 LeakyReLU +
 *                 LayerNorm dynamics, learned cost and noise-conditional score (10 levels), T = 8,
 *                 50 iterations, 1 restart;
 *   cartpole      the authors' cart-pole sizes (dynamics 5->[64,64,32]->4, score 5->[128]x4->5), the
 *                 environment's task cost, the paper preset's T = 30 and 300 iterations;
 *   pixels32-img  32x32 images as states and actions (nx = nu = 1024), dynamics [512,512], score
 *                 [1024]x3, the environment's task cost, T = 25; 20 iterations (the preset has
 *                 300: the time per step scales with them).
 * Figures: episode-steps per second (E / step time; the thread's CPU time with one thread, wall
 * clock with more), and the fraction of the compute-bound limit, i.e. of the time the same rows take
 * as bare matrix-product chains at a large batch (256 rows; the faster of cblas_sgemm and the packed
 * kernel alone, and cblas_sgemm alone), measured in the same process:
 *   limit = Σ_networks (forward rows × t_fwd + VJP rows × t_vjp) per episode-step,
 * with the rows counted by a probe around the models. The probe also gives where the time goes
 * (shares of the dynamics, score and cost calls; memory and compute floors of the networks' time),
 * and both cores are measured at E = 16 (episodes split over 2 threads; 2 BLAS threads).
 * With --threads N the lanes are split over N threads (each its own planner) and the bare sgemm
 * runs with N BLAS threads. Repetitions are interleaved over E so that noise hits all alike.
 * Then E = 1 and 16 again on the float32 training path (what evaluation ran before it froze its
 * networks; with N BLAS threads) and with bfloat16 weights. */
#include "bench/bench_lockstep.h"

#include "agents/plan_testsys.h"
#include "agents/planner.h"
#include "core/nn_kernels.h"
#include "envs/env.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { LK_EMAX = 16, LK_NE = 3, LK_TMAX = 8, LK_NETS = 3 };
static const int lk_E[LK_NE] = {1, 4, 16};

/* A network of a configuration and the rows one episode-step pushes through it. */
typedef struct lk_net {
  nn_mlp *m;
  int is_dyn, is_cost, is_score;
} lk_net;

typedef struct lk_config {
  const char *name, *planner_json;
  int nx, nu, iters;
  lk_net net[LK_NETS];
  int nnet;
  plan_mlpdyn *md;
  plan_mlpscore *ms;
  plan_dyn dyn;
  plan_score score;
  const char *env_name, *env_json; /* task cost of an environment, or NULL: the learned cost */
  double *x0;                      /* LK_EMAX start states */
} lk_config;

/* The "where the time goes" probe of one group: its planner sees wrapped dynamics, score and cost
 * that, while `on`, add up the wall time, calls, rows and weight passes of every model call. */
enum { PR_DYN, PR_SCORE, PR_COST, PR_N }; /* the dynamics (forward and VJP), score, task cost */
typedef struct lk_probe {
  plan_dyn dyn, idyn;
  plan_score score, iscore;
  plan_cost cost, icost;
  plan_dyn_vt dvt;
  plan_score_vt svt;
  int on;
  double t[PR_N];
  long calls[PR_N], rows[PR_N], vrows[PR_N]; /* forward rows, VJP rows */
  long passes[PR_N];                          /* forward or VJP passes over a network's weights */
} lk_probe;

/* One thread's share of the lanes: its own planner, cost and environment. */
typedef struct lk_group {
  lk_probe pr;
  planner *p;
  cJSON *cfg;
  sgp_env *env;
  plan_mlpcost *mc;
  int n, lanes[LK_EMAX];
  double x[LK_EMAX * 1024], u[LK_EMAX * 1024];
  plan_diag d[LK_EMAX];
  sgp_err e;
  int rc;
} lk_group;

static nn_mlp *lk_make_net(int nin, const int *w, int nh, int nout, int ln, int ncond, sgp_rng *r) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nin, a.nout = nout, a.nhidden = nh, a.act = NN_LEAKY_RELU, a.act_param = 0.01f;
  a.layernorm = ln, a.ncond = ncond;
  for (int k = 0; k < nh; k++) a.width[k] = w[k];
  nn_mlp *m = nn_create(&a);
  nn_init(m, r);
  nn_freeze(m, NN_WT_F32);
  return m;
}

static void env_running(const void *self, int B, const float *x, const float *u, float *c,
                        float *gx, float *gu) {
  env_cost_batch(self, B, x, u, c, gx, gu);
}
static void env_terminal(const void *self, int B, const float *x, float *c, float *gx) {
  env_terminal_cost_batch(self, B, x, c, gx);
}

/* ------------------------------------------------------------------ the configurations */
static void lk_models(lk_config *c, sgp_rng *r) {
  float ks[1024], sig[10];
  for (int i = 0; i < c->nx; i++) ks[i] = 0.05f;
  for (int l = 0; l < 10; l++) sig[l] = (float)(0.3 * pow(0.01 / 0.3, l / 9.0));
  const lk_net *d = &c->net[0], *s = &c->net[c->nnet - 1];
  c->md = plan_mlpdyn_create(c->nx, c->nu, 1, &d->m, ks);
  int L = s->m->arch.ncond > 0 ? s->m->arch.ncond : 1;
  c->ms = plan_mlpscore_create(s->m, PLAN_Z_XU, L, sig);
  c->dyn = plan_mlpdyn_dyn(c->md);
  c->score = plan_mlpscore_score(c->ms);
  c->x0 = sgp_calloc((size_t)LK_EMAX * c->nx, sizeof(double));
  for (int i = 0; i < LK_EMAX * c->nx; i++) c->x0[i] = 0.1 * sgp_rng_normal(r);
}

/* The common fields of a configuration; env_name NULL: the learned cost. */
static void lk_config_init(lk_config *c, const char *name, int nx, int nu, int iters, const char *planner_json,
                           const char *env_name, const char *env_json) {
  memset(c, 0, sizeof *c);
  c->name = name, c->nx = nx, c->nu = nu, c->iters = iters, c->planner_json = planner_json;
  c->env_name = env_name, c->env_json = env_json;
}

static void lk_config_d4rl(lk_config *c, sgp_rng *r) {
  static const int w[4] = {1024, 1024, 1024, 1024};
  lk_config_init(c, "d4rl", 17, 6, 50, "{\"horizon\": 8, \"iters\": 50, \"restarts\": 1, \"lr\": 0.1, \"beta\": 0.2}",
                 NULL, NULL);
  c->net[0] = (lk_net){lk_make_net(23, w, 4, 17, 1, 0, r), 1, 0, 0};
  c->net[1] = (lk_net){lk_make_net(23, w, 4, 1, 1, 0, r), 0, 1, 0};
  c->net[2] = (lk_net){lk_make_net(23, w, 4, 23, 1, 10, r), 0, 0, 1};
  c->nnet = 3;
  lk_models(c, r);
}

/* A configuration with a dynamics and a score network and an environment's task cost. */
static void lk_config_task(lk_config *c, sgp_rng *r, const int *dw, int ndw, const int *sw, int nsw) {
  int nz = c->nx + c->nu;
  c->net[0] = (lk_net){lk_make_net(nz, dw, ndw, c->nx, 0, 0, r), 1, 0, 0};
  c->net[1] = (lk_net){lk_make_net(nz, sw, nsw, nz, 0, 0, r), 0, 0, 1};
  c->nnet = 2;
  lk_models(c, r);
}

static void lk_config_cartpole(lk_config *c, sgp_rng *r) {
  static const int dw[3] = {64, 64, 32}, sw[4] = {128, 128, 128, 128};
  lk_config_init(c, "cartpole", 4, 1, 300, "{\"horizon\": 30, \"iters\": 300, \"restarts\": 1, \"lr\": 1, \"beta\": 0.03}",
                 "cartpole", "{}");
  lk_config_task(c, r, dw, 3, sw, 4);
}

static void lk_config_pixels(lk_config *c, sgp_rng *r) {
  static const int dw[2] = {512, 512}, sw[3] = {1024, 1024, 1024};
  lk_config_init(c, "pixels32-img", 1024, 1024, 20,
                 "{\"horizon\": 25, \"iters\": 20, \"restarts\": 1, \"lr\": 0.02, \"beta\": 0.1}", "pixels",
                 "{\"resolution\": 32, \"image_action\": true}");
  lk_config_task(c, r, dw, 2, sw, 3);
  for (int i = 0; i < LK_EMAX * c->nx; i++) c->x0[i] = fabs(c->x0[i]); /* intensities */
}

static void lk_config_free(lk_config *c) {
  plan_mlpdyn_free(c->md);
  plan_mlpscore_free(c->ms);
  for (int k = 0; k < c->nnet; k++) nn_free(c->net[k].m);
  free(c->x0);
}

/* ------------------------------------------------------------------ the probe */
static void pr_add(lk_probe *p, int k, double t0, long rows, long vrows) {
  p->t[k] += sgp_now() - t0;
  p->calls[k]++, p->rows[k] += rows, p->vrows[k] += vrows;
  p->passes[k] += (rows > 0) + (vrows > 0);
}
static void *pr_dyn_ws(const void *m, int maxB, int T) {
  const lk_probe *p = m;
  return p->idyn.vt->ws_create(p->idyn.model, maxB, T);
}
static int pr_dyn_fwd(const void *m, void *ws, int t, int B, const float *x, const float *u, float *xn) {
  lk_probe *p = (lk_probe *)m;
  double t0 = p->on ? sgp_now() : 0;
  int rc = p->idyn.vt->forward(p->idyn.model, ws, t, B, x, u, xn);
  if (p->on) pr_add(p, PR_DYN, t0, B, 0);
  return rc;
}
static void pr_dyn_vjp(const void *m, void *ws, int t, int B, const float *dxn, float *dx, float *du) {
  lk_probe *p = (lk_probe *)m;
  double t0 = p->on ? sgp_now() : 0;
  p->idyn.vt->vjp(p->idyn.model, ws, t, B, dxn, dx, du);
  if (p->on) pr_add(p, PR_DYN, t0, 0, B);
}
static void *pr_score_ws(const void *m, int maxB) {
  const lk_probe *p = m;
  return p->iscore.vt->ws_create(p->iscore.model, maxB);
}
static void pr_score(const void *m, void *ws, int B, const float *z, int level, float *sc) {
  lk_probe *p = (lk_probe *)m;
  double t0 = p->on ? sgp_now() : 0;
  p->iscore.vt->eval(p->iscore.model, ws, B, z, level, sc);
  if (p->on) pr_add(p, PR_SCORE, t0, B, 0);
}
static void pr_running(const void *self, int B, const float *x, const float *u, float *c, float *gx,
                       float *gu) {
  lk_probe *p = (lk_probe *)self;
  double t0 = p->on ? sgp_now() : 0;
  p->icost.running(p->icost.self, B, x, u, c, gx, gu);
  if (p->on) pr_add(p, PR_COST, t0, B, gx || gu ? B : 0);
}
static void pr_terminal(const void *self, int B, const float *x, float *c, float *gx) {
  lk_probe *p = (lk_probe *)self;
  double t0 = p->on ? sgp_now() : 0;
  p->icost.terminal(p->icost.self, B, x, c, gx);
  if (p->on) pr_add(p, PR_COST, t0, 0, 0); /* the learned cost's terminal part is 0, no network */
}

/* Wraps the group's models (ctx->dyn, ctx->score, ctx->cost) in its probe, switched off (the
 * workspaces are the inner models', freed by their own ws_free). */
static void pr_wrap(lk_probe *p, plan_ctx *ctx) {
  memset(p, 0, sizeof *p);
  p->idyn = *ctx->dyn, p->iscore = *ctx->score, p->icost = ctx->cost;
  p->dvt = *p->idyn.vt;
  p->dvt.ws_create = pr_dyn_ws, p->dvt.forward = pr_dyn_fwd, p->dvt.vjp = pr_dyn_vjp;
  p->dvt.forward_member = NULL, p->dvt.vjp_member = NULL; /* not wrapped: the planner uses the above */
  p->svt = *p->iscore.vt;
  p->svt.ws_create = pr_score_ws, p->svt.eval = pr_score;
  p->dyn = p->idyn, p->dyn.vt = &p->dvt, p->dyn.model = p;
  p->score = p->iscore, p->score.vt = &p->svt, p->score.model = p;
  p->cost.self = p, p->cost.running = pr_running, p->cost.terminal = pr_terminal;
  ctx->dyn = &p->dyn, ctx->score = &p->score, ctx->cost = p->cost;
}

/* ------------------------------------------------------------------ groups of lanes */
static int lk_group_make(lk_group *g, const lk_config *c, int n, sgp_err *e) {
  memset(g, 0, sizeof *g);
  plan_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  static const double lo[8] = {-1, -1, -1, -1, -1, -1, -1, -1}, hi[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  ctx.nx = c->nx, ctx.nu = c->nu, ctx.T_env = 1000, ctx.u_lo = lo, ctx.u_hi = hi;
  ctx.dyn = &c->dyn, ctx.score = &c->score, ctx.lanes = n, ctx.seed = 1;
  if (c->env_name) {
    cJSON *ej = cJSON_Parse(c->env_json);
    int rc = env_create(c->env_name, ej, "bench", &g->env, e);
    cJSON_Delete(ej);
    if (rc) return -1;
    ctx.cost.self = g->env, ctx.cost.running = env_running, ctx.cost.terminal = env_terminal;
    ctx.u_lo = g->env->spec.u_lo, ctx.u_hi = g->env->spec.u_hi;
  } else {
    g->mc = plan_mlpcost_create(c->net[1].m, c->nx, c->nu, 8 * LK_EMAX);
    ctx.cost = plan_mlpcost_cost(g->mc);
  }
  pr_wrap(&g->pr, &ctx);
  if (sgp_json_parse(c->planner_json, "bench", &g->cfg, e)) return -1;
  sgp_cfg cc = sgp_cfg_root(g->cfg, "bench");
  if (plan_find("sgp-shooting")->create(&cc, &ctx, &g->p, e)) return -1;
  g->n = n;
  for (int i = 0; i < n; i++) g->lanes[i] = i, g->p->vt->reset_lane(g->p, i, (uint64_t)i);
  return 0;
}

static void lk_group_free(lk_group *g) {
  if (g->p) g->p->vt->destroy(g->p);
  cJSON_Delete(g->cfg);
  env_destroy(g->env);
  plan_mlpcost_free(g->mc);
}

static void *lk_group_step(void *arg) {
  lk_group *g = arg;
  g->rc = g->p->vt->act_lanes(g->p, g->n, g->lanes, g->x, g->u, g->d, &g->e);
  return NULL;
}

/* One MPC step of E episodes split over the groups; returns its time: the calling thread's CPU
 * time with one group unless `wall`, else wall clock. */
static double lk_step(lk_group *gs, int ng, const lk_config *c, int wall, sgp_err *e) {
  for (int q = 0; q < ng; q++) /* every step from the same start states: a steady warm start */
    memcpy(gs[q].x, c->x0 + (size_t)q * gs[0].n * c->nx, sizeof(double) * gs[q].n * c->nx);
  int cpu = ng == 1 && !wall;
  double t0 = cpu ? bench_cpu_now(1) : sgp_now();
  pthread_t th[LK_TMAX];
  for (int q = 1; q < ng; q++) pthread_create(&th[q], NULL, lk_group_step, &gs[q]);
  lk_group_step(&gs[0]);
  for (int q = 1; q < ng; q++) pthread_join(th[q], NULL);
  double t = (cpu ? bench_cpu_now(1) : sgp_now()) - t0;
  for (int q = 0; q < ng; q++)
    if (gs[q].rc) {
      *e = gs[q].e;
      return -1;
    }
  return t;
}

/* ------------------------------------------------------------------ bare baselines */
/* Seconds per row of a bare matrix-product chain through m's linear layers at 256 rows, forward
 * (X Wᵀ per layer) or input VJP (dY W per layer, top down), by cblas_sgemm (*cb) and by the frozen
 * network's own packed kernel (*pk, which beats OpenBLAS's AVX2 sgemm on an AVX-512 machine); the
 * best of 3 each (the least disturbed). */
static void lk_bare_row(const nn_mlp *m, int vjp, int cpu, sgp_rng *r, double *cb, double *pk) {
  enum { BB = 256 };
  size_t mx = 0;
  for (int k = 0; k < m->nlayers; k++) {
    size_t a = (size_t)(m->layer[k].nin > m->layer[k].nout ? m->layer[k].nin : m->layer[k].nout);
    mx = a > mx ? a : mx;
  }
  float *X = sgp_falloc(BB * mx), *Y = sgp_falloc(BB * mx);
  sgp_rng_fill_uniform(r, X, BB * mx, -1, 1);
  double best[2] = {INFINITY, INFINITY};
  for (int rep = 0; rep < 6; rep++) {
    int packed = rep & 1;
    double t0 = cpu ? bench_cpu_now(0) : sgp_now();
    for (int q = 0; q < m->nlayers; q++) {
      int k = vjp ? m->nlayers - 1 - q : q;
      const nn_layer *L = &m->layer[k];
      if (packed)
        nn_panels_gemm(vjp ? &m->frozen->vjp[k] : &m->frozen->fwd[k], BB, X, vjp ? L->nout : L->nin,
                       NULL, Y, vjp ? L->nin : L->nout, m->frozen->isa);
      else if (!vjp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BB, L->nout, L->nin, 1.0f, X, L->nin,
                    L->W, L->nin, 0.0f, Y, L->nout);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BB, L->nin, L->nout, 1.0f, X, L->nout,
                    L->W, L->nin, 0.0f, Y, L->nin);
    }
    double t = (cpu ? bench_cpu_now(0) : sgp_now()) - t0;
    best[packed] = t < best[packed] ? t : best[packed];
  }
  free(X), free(Y);
  *cb = best[0] / BB, *pk = best[1] / BB;
}

/* The network behind a probe part (NULL: the task cost of an environment, no network). */
static const nn_mlp *lk_part_net(const lk_config *c, int part) {
  for (int k = 0; k < c->nnet; k++)
    if ((part == PR_DYN && c->net[k].is_dyn) || (part == PR_SCORE && c->net[k].is_score) ||
        (part == PR_COST && c->net[k].is_cost))
      return c->net[k].m;
  return NULL;
}

/* Read bandwidth (bytes/s) of a bare cblas_sasum over as many bytes as one pass over every network
 * copy a step reads (forward weights of each network, VJP weights of the dynamics and the learned
 * cost), the best of 5: what streaming the weights costs with nothing else to do. */
static double lk_bandwidth(const lk_config *c, int cpu) {
  size_t bytes = 0;
  for (int k = 0; k < c->nnet; k++)
    bytes += nn_frozen_bytes(c->net[k].m->frozen) * (c->net[k].is_score ? 1 : 2);
  size_t n = bytes / sizeof(float);
  float *buf = sgp_falloc(n);
  for (size_t i = 0; i < n; i++) buf[i] = (float)(i & 7);
  volatile float sink = cblas_sasum((int)n, buf, 1);
  double best = INFINITY;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = cpu ? bench_cpu_now(0) : sgp_now();
    sink = cblas_sasum((int)n, buf, 1);
    double t = (cpu ? bench_cpu_now(0) : sgp_now()) - t0;
    best = t < best ? t : best;
  }
  (void)sink;
  free(buf);
  return (double)bytes / best;
}

/* Bare rates of a configuration's networks (seconds per row) and its bandwidth. */
typedef struct lk_bare {
  double f[LK_NETS][2], v[LK_NETS][2]; /* [network][0 cblas, 1 packed] forward and VJP */
  double bw;
} lk_bare;

static void lk_bare_measure(const lk_config *c, int cpu, sgp_rng *r, lk_bare *b) {
  for (int k = 0; k < c->nnet; k++) {
    lk_bare_row(c->net[k].m, 0, cpu, r, &b->f[k][0], &b->f[k][1]);
    if (!c->net[k].is_score) lk_bare_row(c->net[k].m, 1, cpu, r, &b->v[k][0], &b->v[k][1]);
  }
  b->bw = lk_bandwidth(c, cpu);
}

/* ------------------------------------------------------------------ where the time goes */
/* One probed group's means per step: its time, and per part (dynamics, score, cost) the time in
 * the model calls, their rows, VJP rows and weight passes. */
typedef struct lk_parts {
  double step, t[PR_N], rows[PR_N], vrows[PR_N], passes[PR_N];
} lk_parts;

/* `reps` steps of one group with its probe on, wall clock (the probe's clock must be cheap: a
 * cart-pole step makes ~20000 model calls, and a thread's CPU clock costs a system call): the
 * parts' shares of the step, which the caller applies to the step's time measured without probe. */
static int lk_probe_steps(lk_group *g, const lk_config *c, int reps, lk_parts *o, sgp_err *e) {
  lk_probe *p = &g->pr;
  memset(p->t, 0, sizeof p->t), memset(p->calls, 0, sizeof p->calls);
  memset(p->rows, 0, sizeof p->rows), memset(p->vrows, 0, sizeof p->vrows);
  memset(p->passes, 0, sizeof p->passes);
  memset(o, 0, sizeof *o);
  p->on = 1;
  for (int rep = 0; rep < reps; rep++) {
    double t = lk_step(g, 1, c, 1, e);
    if (t < 0) return p->on = 0, -1;
    o->step += t / reps;
  }
  p->on = 0;
  for (int k = 0; k < PR_N; k++) {
    o->t[k] = p->t[k] / reps, o->rows[k] = (double)p->rows[k] / reps;
    o->vrows[k] = (double)p->vrows[k] / reps, o->passes[k] = (double)p->passes[k] / reps;
  }
  return 0;
}

/* The two floors of the networks' time in one probed step: compute (their rows as bare matrix
 * products at 256 rows; packed = 0 cblas_sgemm alone, 1 the faster of cblas and the packed kernel)
 * and memory (their weight passes at the bare read bandwidth). */
static double lk_compute_floor(const lk_config *c, const lk_bare *b, const lk_parts *o, int packed) {
  double s = 0;
  for (int part = 0; part < PR_N; part++) {
    const nn_mlp *m = lk_part_net(c, part);
    for (int k = 0; m && k < c->nnet; k++) {
      if (c->net[k].m != m) continue;
      double f = packed && b->f[k][1] < b->f[k][0] ? b->f[k][1] : b->f[k][0];
      double v = packed && b->v[k][1] < b->v[k][0] ? b->v[k][1] : b->v[k][0];
      s += o->rows[part] * f + o->vrows[part] * v;
    }
  }
  return s;
}

static double lk_memory_floor(const lk_config *c, const lk_bare *b, const lk_parts *o) {
  double s = 0;
  for (int part = 0; part < PR_N; part++) {
    const nn_mlp *m = lk_part_net(c, part);
    if (m) s += o->passes[part] * (double)nn_frozen_bytes(m->frozen) / b->bw;
  }
  return s;
}

static double lk_flop(const lk_config *c, const lk_parts *o) {
  double fl = 0;
  for (int part = 0; part < PR_N; part++) {
    const nn_mlp *m = lk_part_net(c, part);
    for (int l = 0; m && l < m->nlayers; l++)
      fl += 2.0 * m->layer[l].nin * m->layer[l].nout * (o->rows[part] + o->vrows[part]);
  }
  return fl;
}

/* Adds one E's breakdown under o and prints it: the step (`step`: its time without probe, as the
 * throughput table measures it); the shares of the dynamics, score and cost calls and of the rest
 * (the planner's own work: Adam, copies, adjoint sums; an environment's cost, not a network, is in
 * "cost"), measured with the probe; the floors of the networks' time; and the verdict: the larger
 * floor (memory or compute) when it is at least half the step, else overhead. */
static void lk_breakdown_json(const lk_config *c, const lk_bare *b, const lk_parts *o, int E, double step,
                              cJSON *bd, int json) {
  char k[8];
  snprintf(k, sizeof k, "%d", E);
  cJSON *j = cJSON_AddObjectToObject(bd, k);
  double sh[PR_N], net = 0;
  for (int part = 0; part < PR_N; part++) net += sh[part] = o->t[part] / o->step;
  double mem = lk_memory_floor(c, b, o), comp = lk_compute_floor(c, b, o, 1), fl = mem > comp ? mem : comp;
  const char *bound = fl >= 0.5 * step ? (mem > comp ? "memory" : "compute") : "overhead";
  static const char *const names[PR_N] = {"dynamics", "score", "cost"};
  cJSON_AddNumberToObject(j, "step_s", step);
  cJSON_AddNumberToObject(j, "probed_step_wall_s", o->step);
  for (int part = 0; part < PR_N; part++) {
    char key[32];
    snprintf(key, sizeof key, "%s_share", names[part]);
    cJSON_AddNumberToObject(j, key, sh[part]);
    snprintf(key, sizeof key, "%s_passes", names[part]);
    cJSON_AddNumberToObject(j, key, o->passes[part]);
  }
  cJSON_AddNumberToObject(j, "planner_share", 1 - net);
  cJSON_AddNumberToObject(j, "memory_floor_s", mem);
  cJSON_AddNumberToObject(j, "compute_floor_s", comp);
  cJSON_AddNumberToObject(j, "floor_fraction", fl / step);
  cJSON_AddStringToObject(j, "bound", bound);
  if (json) return;
  printf("   %-13s E=%-2d step %8.2f ms: dynamics %4.1f%%, score %4.1f%%, cost %4.1f%%, planner %4.1f%%;"
         " floors: memory %.2f ms (%.0f weight passes), compute %.2f ms -> %s\n",
         E == 1 ? c->name : "", E, 1e3 * step, 100 * sh[PR_DYN], 100 * sh[PR_SCORE], 100 * sh[PR_COST],
         100 * (1 - net), 1e3 * mem, o->passes[PR_DYN] + o->passes[PR_SCORE] + o->passes[PR_COST], 1e3 * comp,
         bound);
}

/* ------------------------------------------------------------------ one configuration */
/* Steps of two sets of groups, a and b, interleaved so that noise hits both alike: one warm-up
 * each, then `reps` measured into ta and tb. blas (or NULL): the BLAS threads to set before a's and
 * b's steps. wall: wall clock, else lk_step's default. */
static int lk_pair(lk_group *a, int na, lk_group *b, int nb, const lk_config *c, int wall, const int *blas,
                   int reps, double *ta, double *tb, sgp_err *e) {
  for (int rep = -1; rep < reps; rep++)
    for (int i = 0; i < 2; i++) {
      if (blas) sgp_blas_set_threads(blas[i]);
      double v = lk_step(i ? b : a, i ? nb : na, c, wall, e);
      if (v < 0) return -1;
      if (rep >= 0) (i ? tb : ta)[rep] = v;
    }
  return 0;
}

/* E = 1 and 16 again with the networks on another path: wt < 0 the float32 training path (what
 * evaluation ran before it froze its networks), else packed weights of type wt. Adds
 * {"1": eps, "16": eps} under `key`; the networks are frozen as float32 again afterwards. */
static int lk_variant(lk_config *c, lk_group (*gs)[LK_TMAX], const int *ng, int wt, int reps,
                      const char *key, cJSON *o, int json, sgp_err *e) {
  static const int qs[2] = {0, 2};
  double t[2][64];
  for (int k = 0; k < c->nnet; k++) {
    if (wt < 0) nn_thaw(c->net[k].m);
    else nn_freeze(c->net[k].m, (nn_wtype)wt);
  }
  if (lk_pair(gs[qs[0]], ng[qs[0]], gs[qs[1]], ng[qs[1]], c, sgp_blas_threads() > 1, NULL, reps, t[0], t[1], e))
    return -1;
  for (int k = 0; k < c->nnet; k++) nn_freeze(c->net[k].m, NN_WT_F32);
  cJSON *v = cJSON_AddObjectToObject(o, key);
  double a = lk_E[0] / bench_median(t[0], reps), b = lk_E[2] / bench_median(t[1], reps);
  cJSON_AddNumberToObject(v, "1", a);
  cJSON_AddNumberToObject(v, "16", b);
  if (!json) printf("   %-13s   %s: E=1 %.2f, E=16 %.2f episode-steps/s\n", "", key, a, b);
  return 0;
}

/* Both cores at E = 16, wall clock, interleaved: the episodes split over 2 threads (8 lanes each,
 * frozen networks) against one thread with 16 lanes; then the float32 training path with 2 BLAS
 * threads against 1 (OpenBLAS splits each product). Speed-ups are time(1 thread) / time(2). */
static int lk_threads(lk_config *c, lk_group *one, lk_group *two, int reps, cJSON *o, int json, sgp_err *e) {
  double t[4][64];
  static const int blas[2] = {1, 2};
  int nb = sgp_blas_threads(), rc = lk_pair(one, 1, two, 2, c, 1, NULL, reps, t[0], t[1], e);
  for (int k = 0; k < c->nnet && !rc; k++) nn_thaw(c->net[k].m);
  if (!rc) rc = lk_pair(one, 1, one, 1, c, 1, blas, reps, t[2], t[3], e);
  sgp_blas_set_threads(nb);
  if (rc) return -1;
  for (int k = 0; k < c->nnet; k++) nn_freeze(c->net[k].m, NN_WT_F32);
  double m[4];
  for (int i = 0; i < 4; i++) m[i] = bench_median(t[i], reps);
  cJSON *j = cJSON_AddObjectToObject(o, "two_threads_16");
  cJSON_AddNumberToObject(j, "split_speedup", m[0] / m[1]);
  cJSON_AddNumberToObject(j, "blas_speedup_float32_path", m[2] / m[3]);
  cJSON_AddNumberToObject(j, "wall_s_1_thread", m[0]);
  cJSON_AddNumberToObject(j, "wall_s_split_2", m[1]);
  cJSON_AddNumberToObject(j, "wall_s_float32_blas_1", m[2]);
  cJSON_AddNumberToObject(j, "wall_s_float32_blas_2", m[3]);
  if (!json)
    printf("   %-13s   2 threads at E=16 (wall): episodes split %.2fx (%.1f -> %.1f ms), float32 path with 2 "
           "BLAS threads %.2fx (%.1f -> %.1f ms)\n",
           "", m[0] / m[1], 1e3 * m[0], 1e3 * m[1], m[2] / m[3], 1e3 * m[2], 1e3 * m[3]);
  return 0;
}

static cJSON *lk_run(lk_config *c, int threads, int reps, int json, sgp_rng *r, sgp_err *e) {
  lk_group (*gs)[LK_TMAX] = sgp_calloc(LK_NE + 1, sizeof *gs); /* [LK_NE]: E = 16 split the other way */
  int ng[LK_NE + 1];
  double t[LK_NE][64];
  cJSON *o = NULL;
  for (int q = 0; q <= LK_NE; q++) {
    int E = lk_E[q < LK_NE ? q : LK_NE - 1];
    ng[q] = q < LK_NE ? (E >= threads ? threads : 1) : (ng[LK_NE - 1] == 1 ? 2 : 1);
    for (int g = 0; g < ng[q]; g++)
      if (lk_group_make(&gs[q][g], c, E / ng[q], e)) goto out;
    if (lk_step(gs[q], ng[q], c, 0, e) < 0) goto out; /* warm-up: the steady warm start */
  }
  for (int rep = 0; rep < reps; rep++)
    for (int q = 0; q < LK_NE; q++)
      if ((t[q][rep] = lk_step(gs[q], ng[q], c, 0, e)) < 0) goto out;
  /* the breakdown, on one thread: E = 1, and E = 16 in whichever set has one group of 16 */
  lk_group *one = ng[LK_NE - 1] == 1 ? gs[LK_NE - 1] : gs[LK_NE], *two = ng[LK_NE - 1] == 1 ? gs[LK_NE] : gs[LK_NE - 1];
  lk_parts p1, p16;
  if (lk_probe_steps(gs[0], c, reps, &p1, e) || lk_probe_steps(one, c, reps, &p16, e)) goto out;
  lk_bare b;
  lk_bare_measure(c, threads == 1, r, &b);
  /* the compute-bound limit per episode-step: the rows of one episode-step (E = 1) as bare products */
  double limit = lk_compute_floor(c, &b, &p1, 1), limit_cb = lk_compute_floor(c, &b, &p1, 0);
  o = cJSON_CreateObject();
  cJSON *eps = cJSON_AddObjectToObject(o, "episode_steps_per_s");
  cJSON *frac = cJSON_AddObjectToObject(o, "limit_fraction");
  cJSON *fcb = cJSON_AddObjectToObject(o, "limit_fraction_cblas");
  cJSON *step = cJSON_AddObjectToObject(o, "step_s");
  if (!json) printf("   %-13s", c->name);
  for (int q = 0; q < LK_NE; q++) {
    char k[8];
    snprintf(k, sizeof k, "%d", lk_E[q]);
    double s = bench_median(t[q], reps), per = s / lk_E[q];
    cJSON_AddNumberToObject(eps, k, 1.0 / per);
    cJSON_AddNumberToObject(frac, k, limit / per);
    cJSON_AddNumberToObject(fcb, k, limit_cb / per);
    cJSON_AddNumberToObject(step, k, s);
    if (!json) printf(" %9.2f %6.2f", 1.0 / per, limit / per);
  }
  double s1 = bench_median(t[0], reps), s16 = bench_median(t[2], reps) / 16, gflop = lk_flop(c, &p1) * 1e-9;
  cJSON_AddNumberToObject(o, "speedup_16_over_1", s1 / s16);
  cJSON_AddNumberToObject(o, "limit_s_per_episode_step", limit);
  cJSON_AddNumberToObject(o, "limit_cblas_s_per_episode_step", limit_cb);
  cJSON_AddNumberToObject(o, "gflop_per_episode_step", gflop);
  cJSON_AddNumberToObject(o, "bare_read_gb_per_s", b.bw * 1e-9);
  cJSON_AddNumberToObject(o, "iters", c->iters);
  if (!json)
    printf(" %8.1fx %9.4f %7.2f   (cblas-only limit: %.2f of it at E=16)\n", s1 / s16, limit, gflop,
           limit_cb / s16);
  cJSON *bd = cJSON_AddObjectToObject(o, "where_the_time_goes");
  lk_breakdown_json(c, &b, &p1, 1, s1, bd, json);
  lk_breakdown_json(c, &b, &p16, 16, ng[LK_NE - 1] == 1 ? s16 * 16 : p16.step, bd, json);
  if (lk_threads(c, one, two, reps, o, json, e) ||
      lk_variant(c, gs, ng, -1, reps, "float32_path_episode_steps_per_s", o, json, e) ||
      lk_variant(c, gs, ng, NN_WT_BF16, reps, "bf16_episode_steps_per_s", o, json, e)) {
    cJSON_Delete(o);
    o = NULL;
  }
out:
  for (int q = 0; q <= LK_NE; q++)
    for (int g = 0; g < LK_TMAX; g++) lk_group_free(&gs[q][g]);
  free(gs);
  return o;
}

/* The goals for the d4rl configuration at E = 16, with the measured values. */
static void lk_goals(cJSON *all, int json) {
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(all, "d4rl");
  double frac = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "limit_fraction"), "16")->valuedouble;
  double sp = cJSON_GetObjectItemCaseSensitive(d, "speedup_16_over_1")->valuedouble;
  double f1 = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "limit_fraction"), "1")->valuedouble;
  const cJSON *w1 = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "where_the_time_goes"), "1");
  double mem1 = cJSON_GetObjectItemCaseSensitive(w1, "memory_floor_s")->valuedouble;
  double cmp1 = cJSON_GetObjectItemCaseSensitive(w1, "compute_floor_s")->valuedouble;
  cJSON *g = cJSON_AddObjectToObject(all, "goals");
  cJSON *a = cJSON_AddObjectToObject(g, "d4rl_limit_fraction_16");
  cJSON_AddNumberToObject(a, "value", frac);
  cJSON_AddNumberToObject(a, "goal_at_least", 0.5);
  cJSON_AddBoolToObject(a, "met", frac >= 0.5);
  cJSON *b = cJSON_AddObjectToObject(g, "d4rl_speedup_16_over_1");
  cJSON_AddNumberToObject(b, "value", sp);
  cJSON_AddNumberToObject(b, "goal_at_least", 8);
  cJSON_AddBoolToObject(b, "met", sp >= 8);
  /* E16/E1 = limit_fraction(16) / limit_fraction(1): at most 1 / limit_fraction(1), reached if
   * E = 16 ran at the limit; 8x at the measured E = 16 fraction needs E = 1 at fraction/8 */
  cJSON_AddNumberToObject(b, "bound_if_16_at_limit", 1.0 / f1);
  cJSON_AddNumberToObject(b, "limit_fraction_1_needed", frac / 8);
  cJSON_AddNumberToObject(b, "memory_over_compute_floor_1", mem1 / cmp1);
  if (!json)
    printf("\n   goals, d4rl at E=16: %.2f of the compute-bound limit (goal >= 0.5: %s); %.1fx the E=1 "
           "throughput (goal >= 8x: %s)\n",
           frac, frac >= 0.5 ? "met" : "not met", sp, sp >= 8 ? "met" : "not met");
  if (!json)
    printf("   E16/E1 = fraction(16) / fraction(1): at most %.1fx (E = 16 at the limit); 8x at the measured "
           "fraction needs E = 1 at %.3f of the limit (it runs at %.3f; memory floor / compute floor %.1f)\n",
           1.0 / f1, frac / 8, f1, mem1 / cmp1);
}

cJSON *bench_lockstep(int threads, int reps, int json, sgp_err *e) {
  if (threads > LK_TMAX) threads = LK_TMAX;
  if (reps > 64) reps = 64;
  sgp_rng r;
  sgp_rng_stream(&r, 0, "bench lockstep");
  cJSON *all = cJSON_CreateObject();
  double la[3] = {0, 0, 0};
  if (getloadavg(la, 3) == 3) cJSON_AddNumberToObject(all, "load_average_start", la[0]);
  if (!json) {
    printf("\n3. lockstep: sgp-shooting, E episodes planned together (frozen float32 networks, kernel "
           "%s,\n   %d thread%s; load average %.1f); episode-steps/s and the fraction of the compute-bound\n"
           "   limit (the same rows as bare products at 256 rows, the faster of cblas_sgemm and the packed\n"
           "   kernel); median of %d interleaved steps:\n",
           nn_isa_name(nn_kernel_isa()), threads, threads == 1 ? "" : "s", la[0], reps);
    printf("   %-13s %9s %6s %9s %6s %9s %6s %9s %9s %7s\n", "config", "E=1", "frac", "E=4", "frac",
           "E=16", "frac", "16 vs 1", "limit s", "GFLOP");
  }
  void (*make[3])(lk_config *, sgp_rng *) = {lk_config_d4rl, lk_config_cartpole, lk_config_pixels};
  for (int k = 0; k < 3; k++) {
    lk_config c;
    make[k](&c, &r);
    cJSON *o = lk_run(&c, threads, reps, json, &r, e);
    const char *name = c.name;
    lk_config_free(&c);
    if (!o) {
      cJSON_Delete(all);
      return NULL;
    }
    cJSON_AddItemToObject(all, name, o);
  }
  lk_goals(all, json);
  if (getloadavg(la, 3) == 3) cJSON_AddNumberToObject(all, "load_average_end", la[0]);
  return all;
}
