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
 * Figures: episode-steps per second (E / step time; process CPU time with one thread, wall clock
 * with more), and the fraction of the compute-bound limit, i.e. of the time the same rows take as
 * bare matrix-product chains at a large batch (256 rows; the faster of cblas_sgemm and the packed
 * kernel alone), measured in the same process:
 *   limit = Σ_networks (forward rows × t_fwd + VJP rows × t_vjp) per episode-step.
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

/* One thread's share of the lanes: its own planner, cost and environment. */
typedef struct lk_group {
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

static void lk_config_d4rl(lk_config *c, sgp_rng *r) {
  static const int w[4] = {1024, 1024, 1024, 1024};
  memset(c, 0, sizeof *c);
  c->name = "d4rl", c->nx = 17, c->nu = 6, c->iters = 50;
  c->planner_json = "{\"horizon\": 8, \"iters\": 50, \"restarts\": 1, \"lr\": 0.1, \"beta\": 0.2}";
  c->net[0] = (lk_net){lk_make_net(23, w, 4, 17, 1, 0, r), 1, 0, 0};
  c->net[1] = (lk_net){lk_make_net(23, w, 4, 1, 1, 0, r), 0, 1, 0};
  c->net[2] = (lk_net){lk_make_net(23, w, 4, 23, 1, 10, r), 0, 0, 1};
  c->nnet = 3;
  lk_models(c, r);
}

static void lk_config_cartpole(lk_config *c, sgp_rng *r) {
  static const int dw[3] = {64, 64, 32}, sw[4] = {128, 128, 128, 128};
  memset(c, 0, sizeof *c);
  c->name = "cartpole", c->nx = 4, c->nu = 1, c->iters = 300;
  c->planner_json = "{\"horizon\": 30, \"iters\": 300, \"restarts\": 1, \"lr\": 1, \"beta\": 0.03}";
  c->net[0] = (lk_net){lk_make_net(5, dw, 3, 4, 0, 0, r), 1, 0, 0};
  c->net[1] = (lk_net){lk_make_net(5, sw, 4, 5, 0, 0, r), 0, 0, 1};
  c->nnet = 2;
  c->env_name = "cartpole", c->env_json = "{}";
  lk_models(c, r);
}

static void lk_config_pixels(lk_config *c, sgp_rng *r) {
  static const int dw[2] = {512, 512}, sw[3] = {1024, 1024, 1024};
  memset(c, 0, sizeof *c);
  c->name = "pixels32-img", c->nx = 1024, c->nu = 1024, c->iters = 20;
  c->planner_json = "{\"horizon\": 25, \"iters\": 20, \"restarts\": 1, \"lr\": 0.02, \"beta\": 0.1}";
  c->net[0] = (lk_net){lk_make_net(2048, dw, 2, 1024, 0, 0, r), 1, 0, 0};
  c->net[1] = (lk_net){lk_make_net(2048, sw, 3, 2048, 0, 0, r), 0, 0, 1};
  c->nnet = 2;
  c->env_name = "pixels", c->env_json = "{\"resolution\": 32, \"image_action\": true}";
  lk_models(c, r);
  for (int i = 0; i < LK_EMAX * c->nx; i++) c->x0[i] = fabs(c->x0[i]); /* intensities */
}

static void lk_config_free(lk_config *c) {
  plan_mlpdyn_free(c->md);
  plan_mlpscore_free(c->ms);
  for (int k = 0; k < c->nnet; k++) nn_free(c->net[k].m);
  free(c->x0);
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

/* One MPC step of E episodes split over the groups; returns its time (CPU with one group). */
static double lk_step(lk_group *gs, int ng, const lk_config *c, int first, sgp_err *e) {
  for (int q = 0; q < ng; q++) /* every step from the same start states: a steady warm start */
    memcpy(gs[q].x, c->x0 + (size_t)(first + q * gs[0].n) * c->nx, sizeof(double) * gs[q].n * c->nx);
  double t0 = ng == 1 ? bench_cpu_now(0) : sgp_now();
  pthread_t th[LK_TMAX];
  for (int q = 1; q < ng; q++) pthread_create(&th[q], NULL, lk_group_step, &gs[q]);
  lk_group_step(&gs[0]);
  for (int q = 1; q < ng; q++) pthread_join(th[q], NULL);
  double t = (ng == 1 ? bench_cpu_now(0) : sgp_now()) - t0;
  for (int q = 0; q < ng; q++)
    if (gs[q].rc) {
      *e = gs[q].e;
      return -1;
    }
  return t;
}

/* ------------------------------------------------------------------ the compute-bound limit */
/* Seconds per row of a bare matrix-product chain through m's linear layers at 256 rows, forward
 * (X Wᵀ per layer) or input VJP (dY W per layer, top down): the faster of cblas_sgemm and the
 * frozen network's own packed kernel (which beats OpenBLAS's AVX2 sgemm on an AVX-512 machine),
 * the best of 3 (the least disturbed). */
static double lk_bare_row(const nn_mlp *m, int vjp, int cpu, sgp_rng *r) {
  enum { BB = 256 };
  size_t mx = 0;
  for (int k = 0; k < m->nlayers; k++) {
    size_t a = (size_t)(m->layer[k].nin > m->layer[k].nout ? m->layer[k].nin : m->layer[k].nout);
    mx = a > mx ? a : mx;
  }
  float *X = sgp_falloc(BB * mx), *Y = sgp_falloc(BB * mx);
  sgp_rng_fill_uniform(r, X, BB * mx, -1, 1);
  double best = INFINITY;
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
    best = t < best ? t : best;
  }
  free(X), free(Y);
  return best / BB;
}

/* Forward and VJP rows per episode-step of each network, from one lane's diagnostics: the
 * dynamics and the learned cost see every model row forward and the iterations' rows backward;
 * the score its score rows forward. */
static double lk_limit(const lk_config *c, const plan_diag *d, int cpu, sgp_rng *r, double *gflop) {
  long H = d->model_rows / (c->iters + 1), fwd = d->model_rows, vjp = H * c->iters;
  double s = 0, fl = 0;
  for (int k = 0; k < c->nnet; k++) {
    const lk_net *n = &c->net[k];
    long rf = n->is_score ? d->score_rows : fwd, rv = n->is_score ? 0 : vjp;
    double per = 0;
    for (int l = 0; l < n->m->nlayers; l++) per += 2.0 * n->m->layer[l].nin * n->m->layer[l].nout;
    s += rf * lk_bare_row(n->m, 0, cpu, r) + (rv ? rv * lk_bare_row(n->m, 1, cpu, r) : 0);
    fl += per * (rf + rv);
  }
  *gflop = fl * 1e-9;
  return s;
}

/* ------------------------------------------------------------------ one configuration */
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
  for (int rep = -1; rep < reps; rep++) /* rep -1: warm-up */
    for (int i = 0; i < 2; i++) {
      double v = lk_step(gs[qs[i]], ng[qs[i]], c, 0, e);
      if (v < 0) return -1;
      if (rep >= 0) t[i][rep] = v;
    }
  for (int k = 0; k < c->nnet; k++) nn_freeze(c->net[k].m, NN_WT_F32);
  cJSON *v = cJSON_AddObjectToObject(o, key);
  double a = lk_E[0] / bench_median(t[0], reps), b = lk_E[2] / bench_median(t[1], reps);
  cJSON_AddNumberToObject(v, "1", a);
  cJSON_AddNumberToObject(v, "16", b);
  if (!json) printf("   %-13s   %s: E=1 %.2f, E=16 %.2f episode-steps/s\n", "", key, a, b);
  return 0;
}

static cJSON *lk_run(lk_config *c, int threads, int reps, int json, sgp_rng *r, sgp_err *e) {
  lk_group (*gs)[LK_TMAX] = sgp_calloc(LK_NE, sizeof *gs);
  int ng[LK_NE];
  double t[LK_NE][64];
  cJSON *o = NULL;
  for (int q = 0; q < LK_NE; q++) {
    ng[q] = lk_E[q] >= threads ? threads : 1;
    for (int g = 0; g < ng[q]; g++)
      if (lk_group_make(&gs[q][g], c, lk_E[q] / ng[q], e)) goto out;
    if (lk_step(gs[q], ng[q], c, 0, e) < 0) goto out; /* warm-up: the steady warm start */
  }
  for (int rep = 0; rep < reps; rep++)
    for (int q = 0; q < LK_NE; q++)
      if ((t[q][rep] = lk_step(gs[q], ng[q], c, 0, e)) < 0) goto out;
  double gflop, limit = lk_limit(c, &gs[0][0].d[0], threads == 1, r, &gflop);
  o = cJSON_CreateObject();
  cJSON *eps = cJSON_AddObjectToObject(o, "episode_steps_per_s");
  cJSON *frac = cJSON_AddObjectToObject(o, "limit_fraction");
  cJSON *step = cJSON_AddObjectToObject(o, "step_s");
  if (!json) printf("   %-13s", c->name);
  for (int q = 0; q < LK_NE; q++) {
    char k[8];
    snprintf(k, sizeof k, "%d", lk_E[q]);
    double s = bench_median(t[q], reps), per = s / lk_E[q];
    cJSON_AddNumberToObject(eps, k, 1.0 / per);
    cJSON_AddNumberToObject(frac, k, limit / per);
    cJSON_AddNumberToObject(step, k, s);
    if (!json) printf(" %9.2f %6.2f", 1.0 / per, limit / per);
  }
  double s1 = bench_median(t[0], reps), s16 = bench_median(t[2], reps) / 16;
  cJSON_AddNumberToObject(o, "speedup_16_over_1", s1 / s16);
  cJSON_AddNumberToObject(o, "limit_s_per_episode_step", limit);
  cJSON_AddNumberToObject(o, "gflop_per_episode_step", gflop);
  cJSON_AddNumberToObject(o, "iters", c->iters);
  if (!json) printf(" %8.1fx %9.4f %7.2f\n", s1 / s16, limit, gflop);
  if (lk_variant(c, gs, ng, -1, reps, "float32_path_episode_steps_per_s", o, json, e) ||
      lk_variant(c, gs, ng, NN_WT_BF16, reps, "bf16_episode_steps_per_s", o, json, e)) {
    cJSON_Delete(o);
    o = NULL;
  }
out:
  for (int q = 0; q < LK_NE; q++)
    for (int g = 0; g < LK_TMAX; g++) lk_group_free(&gs[q][g]);
  free(gs);
  return o;
}

cJSON *bench_lockstep(int threads, int reps, int json, sgp_err *e) {
  if (threads > LK_TMAX) threads = LK_TMAX;
  if (reps > 64) reps = 64;
  sgp_rng r;
  sgp_rng_stream(&r, 0, "bench lockstep");
  cJSON *all = cJSON_CreateObject();
  if (!json) {
    printf("\n3. lockstep: sgp-shooting, E episodes planned together (frozen float32 networks, kernel "
           "%s,\n   %d thread%s); episode-steps/s and the fraction of the compute-bound limit (the same "
           "rows\n   as bare sgemm at 256 rows, cblas or packed); median of %d interleaved steps:\n",
           nn_isa_name(nn_kernel_isa()), threads, threads == 1 ? "" : "s", reps);
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
  return all;
}
