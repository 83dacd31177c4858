/* sgp bench planner: planner iteration and MPC step times, with random-weight networks (the
 * agents/plan_testsys.h wrappers around nn_mlp, frozen for inference as evaluation runs them),
 * against bare cblas_sgemm of the same shapes measured in the same process; part 3, lockstep,
 * is bench/bench_lockstep.c.
 *  1. One sgp-shooting iteration (rollout, score, adjoint with the score term, Adam step) at the
 *     authors' cart-pole sizes: T = 60, dynamics 5 -> [64,64,32] -> 4 (LeakyReLU, residual), score
 *     5 -> [128]x4 -> 5, the cart-pole task cost of envs/cartpole.c; restarts 1 and 8.
 *     Iteration time = (act with 200 iterations − act with 0 iterations) / 200.
 *  2. One MPC step for a 17-dim state, 6-dim action, [1024]x4 models, T = 8, at an equal budget of
 *     250 member-rollouts (2000 dynamics rows) per step: sgp-shooting (5 restarts x 50 iterations),
 *     grad-ensemble (K = 5 members x 1 restart x 50), cem and mppi (50 samples x 5 iterations).
 *     "bare fraction" = time the same gemms take bare (every forward, vjp and score call of the
 *     step, at its batch size) / the measured step time.
 *  4. The per-sample paths of the pixel rows' sampling planners (CEM and MPPI on pixels32-img):
 *     a candidate row's 1024 normals drawn one call each (sgp_rng_normal) against one batch
 *     (sgp_rng_normal_f, the same floats), and the pixels32-img task cost of 1000 candidate rows
 *     (state and action images) one row per call against one call (rows in lanes, the same bits). */
#include "bench/bench_lockstep.h"
#include "bench/benchutil.h"

#include "agents/plan_testsys.h"
#include "agents/planner.h"
#include "core/nn_kernels.h"
#include "envs/env.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static nn_mlp *make_net(int nin, const int *w, int nh, int nout, nn_act act, sgp_rng *r) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nin, a.nout = nout, a.nhidden = nh, a.act = act;
  a.act_param = act == NN_LEAKY_RELU ? 0.01f : 0.0f;
  for (int k = 0; k < nh; k++) a.width[k] = w[k];
  nn_mlp *m = nn_create(&a);
  nn_init(m, r);
  nn_freeze(m, NN_WT_F32); /* as evaluation runs them (core/nn_kernels.h) */
  return m;
}

static double net_flops(const nn_mlp *m) { /* forward FLOPs per row: 2·in·out per linear */
  double f = 0;
  for (int l = 0; l < m->nlayers; l++) f += 2.0 * m->layer[l].nin * m->layer[l].nout;
  return f;
}

/* ------------------------------------------------------------------ bare gemm chains */
typedef struct bare {
  int nl, B, in[NN_MAX_HIDDEN + 1], out[NN_MAX_HIDDEN + 1];
  size_t wstride;   /* floats per layer's weights in W */
  float *X, *Y, *W; /* big enough for every layer */
} bare;

static void bare_init(bare *g, const nn_mlp *m, int B, sgp_rng *r) {
  size_t mx = 0, mw = 0;
  g->nl = m->nlayers, g->B = B;
  for (int k = 0; k < g->nl; k++) {
    g->in[k] = m->layer[k].nin, g->out[k] = m->layer[k].nout;
    size_t a = (size_t)B * (g->in[k] > g->out[k] ? g->in[k] : g->out[k]);
    mx = a > mx ? a : mx;
    mw = (size_t)g->in[k] * g->out[k] > mw ? (size_t)g->in[k] * g->out[k] : mw;
  }
  g->X = sgp_falloc(mx), g->Y = sgp_falloc(mx), g->W = sgp_falloc(mw * g->nl);
  sgp_rng_fill_uniform(r, g->X, mx, -1, 1);
  sgp_rng_fill_uniform(r, g->W, mw * g->nl, -0.05f, 0.05f);
  memset(g->Y, 0, mx * sizeof(float));
  g->wstride = mw;
}

static void bare_free(bare *g) { free(g->X), free(g->Y), free(g->W); }

/* forward chain (X Wᵀ per layer) or the input-VJP chain (dY W per layer, top down) */
static void bare_run(bare *g, int vjp) {
  size_t ws = g->wstride;
  for (int q = 0; q < g->nl; q++) {
    int k = vjp ? g->nl - 1 - q : q;
    const float *W = g->W + ws * k;
    if (!vjp)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->B, g->out[k], g->in[k], 1.0f, g->X,
                  g->in[k], W, g->in[k], 0.0f, g->Y, g->out[k]);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->B, g->in[k], g->out[k], 1.0f, g->X,
                  g->out[k], W, g->in[k], 0.0f, g->Y, g->in[k]);
  }
}

/* median seconds (process CPU time if cpu: robust to other processes on the cores; else wall)
 * of one bare chain at batch B */
static double clock_s(int cpu) { return cpu ? bench_cpu_now(0) : sgp_now(); }

static double bare_time(const nn_mlp *m, int B, int vjp, int cpu, sgp_rng *r) {
  bare g;
  bare_init(&g, m, B, r);
  double t[9];
  int inner = B >= 32 ? 5 : 20;
  bare_run(&g, vjp);
  for (int rep = 0; rep < 9; rep++) {
    double t0 = clock_s(cpu);
    for (int i = 0; i < inner; i++) bare_run(&g, vjp);
    t[rep] = (clock_s(cpu) - t0) / inner;
  }
  bare_free(&g);
  return bench_median(t, 9);
}

/* ------------------------------------------------------------------ planner plumbing */
static planner *make_planner(const char *name, const char *json, const plan_ctx *ctx, cJSON **j,
                             sgp_err *e) {
  planner *p = NULL;
  if (sgp_json_parse(json, "bench", j, e)) return NULL;
  sgp_cfg c = sgp_cfg_root(*j, "bench");
  if (plan_find(name)->create(&c, ctx, &p, e)) {
    cJSON_Delete(*j);
    return NULL;
  }
  return p;
}

/* median time of `reps` act() calls (after one warm-up) from x: wall in *wall, CPU returned */
static double time_act(planner *p, const double *x, int reps, plan_diag *last, double *wall) {
  double u[64], t[64], w[64];
  sgp_err e;
  if (reps > 64) reps = 64;
  p->vt->reset(p, 0);
  p->vt->act(p, x, u, last, &e);
  for (int i = 0; i < reps; i++) {
    double t0 = sgp_now(), c0 = bench_cpu_now(0);
    p->vt->act(p, x, u, last, &e);
    t[i] = bench_cpu_now(0) - c0;
    w[i] = sgp_now() - t0;
  }
  *wall = bench_median(w, reps);
  return bench_median(t, reps);
}

static void env_running(const void *self, int B, const float *x, const float *u, float *c,
                        float *gx, float *gu) {
  env_cost_batch(self, B, x, u, c, gx, gu);
}
static void env_terminal(const void *self, int B, const float *x, float *c, float *gx) {
  env_terminal_cost_batch(self, B, x, c, gx);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp bench planner [--threads N] [--reps N] [--part all|steps|lockstep|pixels] [--json]\n"
          "  1. one sgp-shooting iteration on the authors' cart-pole sizes (T=60, dynamics\n"
          "     5->[64,64,32]->4 LeakyReLU residual, score 5->[128]x4->5, random weights, the\n"
          "     cart-pole task cost), restarts 1 and 8;\n"
          "  2. one MPC step, 17-dim state, 6-dim action, [1024]x4 models, T=8, at an equal budget of\n"
          "     250 member-rollouts per step: sgp-shooting (5 restarts x 50 iters), grad-ensemble\n"
          "     (K=5 x 1 restart x 50 iters), cem and mppi (50 samples x 5 iters); and the fraction\n"
          "     of bare cblas_sgemm speed (bare time of the same gemms / step time).\n"
          "  3. lockstep: one sgp-shooting MPC step planned for E = 1, 4 and 16 episodes together in\n"
          "     three configurations (d4rl: 17/6, [1024]x4 + LayerNorm dynamics, cost and NCSN score,\n"
          "     T=8, 50 iters; cartpole: the authors' sizes, T=30, 300 iters; pixels32-img: 32x32\n"
          "     image states and actions, T=25, 20 iters), frozen networks: episode-steps per second\n"
          "     and the fraction of the compute-bound limit (the same rows as bare products at 256\n"
          "     rows); where the time goes (model calls probed; memory and compute floors) at E = 1\n"
          "     and 16; both cores at E = 16 (episodes split over 2 threads, 2 BLAS threads); the\n"
          "     float32 training path and bf16 weights; the d4rl goals.\n"
          "  4. pixels: the per-sample paths of CEM and MPPI on pixels32-img: 1024 normals per call\n"
          "     against one each, the task cost of 1000 image rows per call against one each.\n"
          "options:\n"
          "  --threads N  OpenBLAS threads (default 1); part 3: the episodes split over N threads\n"
          "  --reps N     timed repetitions of parts 1 and 3 (default 5; part 2 times 2 steps after a\n"
          "               warm-up)\n"
          "  --part P     all (default), steps (parts 1 and 2), lockstep (part 3) or pixels (part 4)\n"
          "  --json       print one JSON object: cartpole_iter_ms, mpc_step_ms {planner: ms}, ...,\n"
          "               lockstep.CONFIG.episode_steps_per_s.E, lockstep.CONFIG.limit_fraction.E,\n"
          "               lockstep.CONFIG.where_the_time_goes.E, lockstep.goals (docs/planners.md)\n"
          "  With 1 thread the figures are process CPU time (robust to other processes on the\n"
          "  cores; wall clock printed beside); with more threads, wall clock.\n"
          "example:\n"
          "  sgp bench planner --threads 1 --json\n");
}

/* ------------------------------------------------------------------ the figures */

typedef struct planner_figures {
  int cpu; /* figures are process CPU time (1 BLAS thread), else wall clock */
  int reps, mreps;
  double iter_ms[2], iter_wall_ms[2], iter_gflops[2]; /* part 1: restarts 1 and 8 */
  double step_ms[4], step_wall_ms[4], frac[4];        /* part 2: one per planner of mpc_names */
  long rows[4], srows[4];
  double gf1, gf5, gf50; /* bare gemm rates at batch 1, 5, 50 */
} planner_figures;

static const char *const mpc_names[4] = {"sgp-shooting", "grad-ensemble", "cem", "mppi"};

/* 1. one sgp-shooting iteration at the cart-pole sizes: (act with NIT iterations − act with 0) / NIT */
static int cartpole_iteration(planner_figures *f, sgp_rng *r, sgp_err *e) {
  sgp_env *env = NULL;
  if (env_create("cartpole", NULL, "bench", &env, e)) return -1;
  const int cnx = env->spec.nx, cnu = env->spec.nu;
  int dw[3] = {64, 64, 32}, sw[4] = {128, 128, 128, 128};
  nn_mlp *cdyn = make_net(cnx + cnu, dw, 3, cnx, NN_LEAKY_RELU, r);
  nn_mlp *cscore = make_net(cnx + cnu, sw, 4, cnx + cnu, NN_LEAKY_RELU, r);
  float ks[4] = {0.05f, 0.05f, 0.05f, 0.05f}, csig = 0.01f;
  plan_mlpdyn *cmd = plan_mlpdyn_create(cnx, cnu, 1, &cdyn, ks);
  plan_mlpscore *cms = plan_mlpscore_create(cscore, PLAN_Z_XU, 1, &csig);
  plan_dyn cd = plan_mlpdyn_dyn(cmd);
  plan_score cs = plan_mlpscore_score(cms);
  plan_ctx cctx;
  memset(&cctx, 0, sizeof cctx);
  cctx.nx = cnx, cctx.nu = cnu, cctx.T_env = env->spec.T;
  cctx.u_lo = env->spec.u_lo, cctx.u_hi = env->spec.u_hi;
  cctx.cost.self = env, cctx.cost.running = env_running, cctx.cost.terminal = env_terminal;
  cctx.dyn = &cd, cctx.score = &cs;
  double x0c[4] = {0, 0, 0, 0};
  const int restarts[2] = {1, 8}, NIT = 200;
  int rc = 0;
  for (int q = 0; q < 2 && !rc; q++) {
    char js[2][256];
    cJSON *j[2] = {NULL, NULL};
    planner *p[2] = {NULL, NULL};
    for (int z = 0; z < 2 && !rc; z++) {
      snprintf(js[z], sizeof js[z], "{\"horizon\": 60, \"iters\": %d, \"restarts\": %d, \"beta\": 0.1, \"lr\": 0.1}",
               z ? NIT : 0, restarts[q]);
      p[z] = make_planner("sgp-shooting", js[z], &cctx, &j[z], e);
      rc = p[z] ? 0 : -1;
    }
    if (rc) {
      if (p[0]) p[0]->vt->destroy(p[0]), cJSON_Delete(j[0]);
      break;
    }
    plan_diag d;
    double tI[64], t0v[64], wI[64], w0v[64];
    for (int rep = 0; rep < f->reps; rep++) { /* alternate, so that noise affects both alike */
      tI[rep] = time_act(p[1], x0c, 1, &d, &wI[rep]);
      t0v[rep] = time_act(p[0], x0c, 1, &d, &w0v[rep]);
    }
    double ti = bench_median(f->cpu ? tI : wI, f->reps), t0 = bench_median(f->cpu ? t0v : w0v, f->reps);
    f->iter_ms[q] = 1e3 * (ti - t0) / NIT;
    f->iter_wall_ms[q] = 1e3 * (bench_median(wI, f->reps) - bench_median(w0v, f->reps)) / NIT;
    /* FLOPs of one iteration: T forward + T vjp rows of the dynamics, T score rows, per restart */
    double fl = 60.0 * restarts[q] * (2 * net_flops(cdyn) + net_flops(cscore));
    f->iter_gflops[q] = fl / (f->iter_ms[q] * 1e-3) * 1e-9;
    for (int z = 0; z < 2; z++) p[z]->vt->destroy(p[z]), cJSON_Delete(j[z]);
  }
  nn_free(cdyn), nn_free(cscore);
  plan_mlpdyn_free(cmd), plan_mlpscore_free(cms);
  env_destroy(env);
  return rc;
}

/* The models of part 2: K = 5 members and a score, [1024]x4, random weights, a quadratic cost. */
enum { NX = 17, NU = 6, HZ = 8, K = 5 };
typedef struct mpc_models {
  nn_mlp *mem[K], *score;
  plan_mlpdyn *md1, *mdK;
  plan_mlpscore *ms;
  plan_quadcost *qc;
  plan_dyn d1, dK;
  plan_score s;
  double ulo[NU], uhi[NU], x0[NX];
  plan_ctx ctx;
} mpc_models;

static void mpc_models_init(mpc_models *M, sgp_rng *r) {
  int bw[4] = {1024, 1024, 1024, 1024};
  for (int k = 0; k < K; k++) M->mem[k] = make_net(NX + NU, bw, 4, NX, NN_LEAKY_RELU, r);
  M->score = make_net(NX + NU, bw, 4, NX + NU, NN_LEAKY_RELU, r);
  float kb[NX], bsig = 0.05f;
  for (int i = 0; i < NX; i++) kb[i] = 0.05f;
  M->md1 = plan_mlpdyn_create(NX, NU, 1, M->mem, kb), M->mdK = plan_mlpdyn_create(NX, NU, K, M->mem, kb);
  M->ms = plan_mlpscore_create(M->score, PLAN_Z_XU, 1, &bsig);
  M->d1 = plan_mlpdyn_dyn(M->md1), M->dK = plan_mlpdyn_dyn(M->mdK);
  M->s = plan_mlpscore_score(M->ms);
  double Q[NX * NX] = {0}, Rm[NU * NU] = {0};
  for (int i = 0; i < NX; i++) Q[i * NX + i] = 1;
  for (int i = 0; i < NU; i++) Rm[i * NU + i] = 0.1;
  M->qc = plan_quadcost_create(NX, NU, Q, Rm, Q, NULL);
  for (int i = 0; i < NU; i++) M->ulo[i] = -1, M->uhi[i] = 1;
  for (int i = 0; i < NX; i++) M->x0[i] = 0.1 * sgp_rng_normal(r);
  memset(&M->ctx, 0, sizeof M->ctx);
  M->ctx.nx = NX, M->ctx.nu = NU, M->ctx.T_env = 1000, M->ctx.u_lo = M->ulo, M->ctx.u_hi = M->uhi;
  M->ctx.cost = plan_quadcost_cost(M->qc);
  M->ctx.dyn = &M->d1, M->ctx.ensemble = &M->dK, M->ctx.score = &M->s;
}

static void mpc_models_free(mpc_models *M) {
  for (int k = 0; k < K; k++) nn_free(M->mem[k]);
  nn_free(M->score);
  plan_mlpdyn_free(M->md1), plan_mlpdyn_free(M->mdK);
  plan_mlpscore_free(M->ms);
  plan_quadcost_free(M->qc);
}

/* 2. one MPC step of each planner at an equal budget, and the bare gemm time of the same calls */
static int mpc_steps(planner_figures *f, sgp_rng *r, sgp_err *e) {
  mpc_models M;
  mpc_models_init(&M, r);
  static const char *const pj[4] = {
      "{\"horizon\": 8, \"iters\": 50, \"restarts\": 5, \"beta\": 1}",
      "{\"horizon\": 8, \"iters\": 50, \"restarts\": 1, \"beta\": 1}",
      "{\"horizon\": 8, \"iters\": 5, \"samples\": 50, \"elites\": 5}",
      "{\"horizon\": 8, \"iters\": 5, \"samples\": 50}",
  };
  /* bare gemm time of one call of each kind, at the batch the planners use */
  double tf5 = bare_time(M.mem[0], 5, 0, f->cpu, r), tv5 = bare_time(M.mem[0], 5, 1, f->cpu, r);
  double tf1 = bare_time(M.mem[0], 1, 0, f->cpu, r), tv1 = bare_time(M.mem[0], 1, 1, f->cpu, r);
  double tf50 = bare_time(M.mem[0], 50, 0, f->cpu, r);
  double ts40 = bare_time(M.score, 40, 0, f->cpu, r);
  double bare_s[4] = {
      /* 50 iters × 8 steps forward + vjp at batch 5, 51 score calls of 40 rows, final rollout */
      (50 * HZ + HZ) * tf5 + 50 * HZ * tv5 + 51 * ts40,
      /* K members at batch 1 per step call */
      K * ((50 * HZ + HZ) * tf1 + 50 * HZ * tv1),
      5 * HZ * tf50 + HZ * tf1,
      5 * HZ * tf50 + HZ * tf1,
  };
  int rc = 0;
  for (int q = 0; q < 4 && !rc; q++) {
    cJSON *j;
    planner *p = make_planner(mpc_names[q], pj[q], &M.ctx, &j, e);
    if (!p) {
      rc = -1;
      break;
    }
    plan_diag d;
    double wall, t = time_act(p, M.x0, f->mreps, &d, &wall);
    if (!f->cpu) t = wall;
    f->step_ms[q] = 1e3 * t;
    f->step_wall_ms[q] = 1e3 * wall;
    f->frac[q] = bare_s[q] / t;
    f->rows[q] = d.model_rows;
    f->srows[q] = d.score_rows;
    p->vt->destroy(p);
    cJSON_Delete(j);
  }
  /* the bare rate at batch 1, 5 and 50, for reference */
  f->gf1 = net_flops(M.mem[0]) / tf1 * 1e-9, f->gf5 = net_flops(M.mem[0]) * 5 / tf5 * 1e-9;
  f->gf50 = net_flops(M.mem[0]) * 50 / tf50 * 1e-9;
  mpc_models_free(&M);
  return rc;
}

static void print_json(const planner_figures *f, cJSON *lockstep, cJSON *pixels) {
  cJSON *o = cJSON_CreateObject();
  if (lockstep) cJSON_AddItemToObject(o, "lockstep", lockstep);
  if (pixels) cJSON_AddItemToObject(o, "pixels32_img_paths", pixels);
  cJSON_AddStringToObject(o, "clock", f->cpu ? "process cpu time (1 BLAS thread)" : "wall");
  cJSON_AddNumberToObject(o, "blas_threads", sgp_blas_threads());
  cJSON_AddStringToObject(o, "openblas_core", sgp_blas_corename());
  if (!f->reps) { /* part 3 only */
    bench_print_json(o);
    return;
  }
  cJSON_AddNumberToObject(o, "cartpole_iter_ms", f->iter_ms[0]);
  cJSON_AddNumberToObject(o, "cartpole_iter_ms_restarts8", f->iter_ms[1]);
  cJSON_AddNumberToObject(o, "cartpole_iter_wall_ms", f->iter_wall_ms[0]);
  cJSON_AddNumberToObject(o, "cartpole_iter_wall_ms_restarts8", f->iter_wall_ms[1]);
  cJSON_AddNumberToObject(o, "cartpole_iter_gflops", f->iter_gflops[0]);
  cJSON_AddNumberToObject(o, "cartpole_iter_gflops_restarts8", f->iter_gflops[1]);
  cJSON_AddStringToObject(o, "cartpole_cost", "envs/cartpole.c task cost");
  cJSON *ms = cJSON_AddObjectToObject(o, "mpc_step_ms");
  cJSON *fr = cJSON_AddObjectToObject(o, "mpc_bare_gemm_fraction");
  cJSON *mr = cJSON_AddObjectToObject(o, "mpc_model_rows");
  cJSON *mw = cJSON_AddObjectToObject(o, "mpc_step_wall_ms");
  for (int q = 0; q < 4; q++) {
    cJSON_AddNumberToObject(ms, mpc_names[q], f->step_ms[q]);
    cJSON_AddNumberToObject(mw, mpc_names[q], f->step_wall_ms[q]);
    cJSON_AddNumberToObject(fr, mpc_names[q], f->frac[q]);
    cJSON_AddNumberToObject(mr, mpc_names[q], (double)f->rows[q]);
  }
  cJSON_AddNumberToObject(o, "mpc_budget_member_rollouts", 250);
  cJSON_AddNumberToObject(o, "bare_gemm_gflops_batch1", f->gf1);
  cJSON_AddNumberToObject(o, "bare_gemm_gflops_batch5", f->gf5);
  cJSON_AddNumberToObject(o, "bare_gemm_gflops_batch50", f->gf50);
  bench_print_json(o);
}

static void print_text(const planner_figures *f) {
  int nthreads = sgp_blas_threads();
  printf("sgp bench planner   OpenBLAS core %s, %d thread%s; times are %s (wall in brackets)\n\n",
         sgp_blas_corename(), nthreads, nthreads == 1 ? "" : "s", f->cpu ? "process CPU time" : "wall clock");
  printf("1. sgp-shooting iteration, cart-pole sizes (T=60, dyn 5->[64,64,32]->4, score 5->[128]x4->5,\n"
         "   cart-pole task cost; rollout + score + adjoint + Adam; median of %d):\n", f->reps);
  printf("   restarts 1: %8.3f ms/iter [%.3f]  (%.2f GFLOP/s)   target <= 0.75 ms; PyTorch 6-15 ms quoted\n",
         f->iter_ms[0], f->iter_wall_ms[0], f->iter_gflops[0]);
  printf("   restarts 8: %8.3f ms/iter [%.3f]  (%.2f GFLOP/s, %.3f ms per restart)\n", f->iter_ms[1],
         f->iter_wall_ms[1], f->iter_gflops[1], f->iter_ms[1] / 8);
  printf("\n2. MPC step, 17-dim state, 6-dim action, [1024]x4 LeakyReLU models, T=8; budget 250\n"
         "   member-rollouts (2000 dynamics rows) per step; median of %d warm-started steps:\n", f->mreps);
  printf("   %-14s %10s %10s %10s %11s %10s\n", "planner", "ms/step", "[wall]", "dyn rows", "score rows", "bare frac");
  for (int q = 0; q < 4; q++)
    printf("   %-14s %10.1f %10.1f %10ld %11ld %10.2f\n", mpc_names[q], f->step_ms[q], f->step_wall_ms[q],
           f->rows[q], f->srows[q], f->frac[q]);
  printf("   bare cblas_sgemm forward chain: %.1f GFLOP/s at batch 1, %.1f at 5, %.1f at 50\n", f->gf1, f->gf5,
         f->gf50);
  printf("   (sgp-shooting: 5 restarts x 50 iters; grad-ensemble: K=5 x 1 restart x 50 iters;\n"
         "    cem/mppi: 50 samples x 5 iters. Shooting also runs a vjp per forward;\n"
         "    bare frac > 1: the network's small-batch path beats a bare sgemm of that batch.)\n");
}

/* ------------------------------------------------------------------ part 4: pixel rows */
typedef struct px_figs {
  double normal_ns[2], cost_row_us[2]; /* [0]: one per call, [1]: batched */
} px_figs;

static int pixel_paths(int reps, px_figs *pf, sgp_err *e) {
  enum { NU = 1024, ROWS = 1000, NREP = 200 };
  cJSON *ej = NULL;
  sgp_env *env = NULL;
  if (sgp_json_parse("{\"resolution\": 32, \"image_action\": true}", "bench", &ej, e) ||
      env_create("pixels", ej, "bench", &env, e)) {
    cJSON_Delete(ej);
    return -1;
  }
  cJSON_Delete(ej);
  sgp_rng r;
  sgp_rng_stream(&r, 0, "bench-pixels");
  float *x = malloc(sizeof(float) * ROWS * NU), *u = malloc(sizeof(float) * ROWS * NU);
  float *c = malloc(sizeof(float) * ROWS), *z = malloc(sizeof(float) * NU);
  sgp_rng_fill_uniform(&r, x, (size_t)ROWS * NU, 0, 1);
  sgp_rng_fill_uniform(&r, u, (size_t)ROWS * NU, 0, 1);
  double tn[2][64], tc[2][64];
  volatile float sink = 0;
  for (int k = 0; k < reps && k < 64; k++) { /* interleaved: each repetition times both ways */
    double t0 = bench_cpu_now(0);
    for (int q = 0; q < NREP; q++)
      for (int j = 0; j < NU; j++) z[j] = (float)sgp_rng_normal(&r);
    double t1 = bench_cpu_now(0);
    sink += z[0];
    for (int q = 0; q < NREP; q++) sgp_rng_normal_f(&r, z, NULL, NU);
    double t2 = bench_cpu_now(0);
    sink += z[0];
    for (int b = 0; b < ROWS; b++) env_cost_batch(env, 1, x + (size_t)b * NU, u + (size_t)b * NU, c + b, NULL, NULL);
    double t3 = bench_cpu_now(0);
    sink += c[0];
    env_cost_batch(env, ROWS, x, u, c, NULL, NULL);
    double t4 = bench_cpu_now(0);
    sink += c[0];
    tn[0][k] = (t1 - t0) / (NREP * NU) * 1e9, tn[1][k] = (t2 - t1) / (NREP * NU) * 1e9;
    tc[0][k] = (t3 - t2) / ROWS * 1e6, tc[1][k] = (t4 - t3) / ROWS * 1e6;
  }
  (void)sink; /* written only so that the timed loops' results are kept */
  int n = reps < 64 ? reps : 64;
  for (int w = 0; w < 2; w++) pf->normal_ns[w] = bench_median(tn[w], n), pf->cost_row_us[w] = bench_median(tc[w], n);
  free(x), free(u), free(c), free(z);
  env_destroy(env);
  return 0;
}

static cJSON *pixel_json(const px_figs *pf) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "normal_ns_one_per_call", pf->normal_ns[0]);
  cJSON_AddNumberToObject(o, "normal_ns_batched", pf->normal_ns[1]);
  cJSON_AddNumberToObject(o, "normal_speedup", pf->normal_ns[0] / pf->normal_ns[1]);
  cJSON_AddNumberToObject(o, "cost_row_us_one_per_call", pf->cost_row_us[0]);
  cJSON_AddNumberToObject(o, "cost_row_us_batched", pf->cost_row_us[1]);
  cJSON_AddNumberToObject(o, "cost_speedup", pf->cost_row_us[0] / pf->cost_row_us[1]);
  return o;
}

int bench_planner(int argc, char **argv) {
  bench_opts bo = {1, 5, 0};
  static const char *const extra[] = {"--part", NULL};
  int prc = bench_parse(argc, argv, "bench planner", usage, extra, 64, &bo);
  if (prc) return prc == 1 ? 0 : prc;
  const char *part = cli_opt(argc, argv, "--part");
  if (!part) part = "all";
  if (strcmp(part, "all") && strcmp(part, "steps") && strcmp(part, "lockstep") && strcmp(part, "pixels")) {
    fprintf(stderr, "sgp bench planner: --part: expected all, steps, lockstep or pixels, got '%s'\n", part);
    return 2;
  }
  int all = !strcmp(part, "all"), steps = all || !strcmp(part, "steps"), lock = all || !strcmp(part, "lockstep");
  int pix = all || !strcmp(part, "pixels");
  sgp_blas_set_threads(bo.threads);
  sgp_rng r;
  sgp_rng_stream(&r, 0, "bench");
  sgp_err e = {{0}};
  planner_figures f;
  memset(&f, 0, sizeof f);
  f.cpu = bo.threads == 1;
  f.reps = bo.reps;
  f.mreps = 2; /* each step is seconds long */
  if (steps && (cartpole_iteration(&f, &r, &e) || mpc_steps(&f, &r, &e)))
    return cli_error("bench planner", &e);
  if (!steps) f.reps = 0;
  if (steps && !bo.json) print_text(&f);
  cJSON *lk = NULL; /* part 3 prints its table as it goes */
  if (lock && !(lk = bench_lockstep(bo.threads, bo.reps, bo.json, &e))) return cli_error("bench planner", &e);
  px_figs pf;
  if (pix && pixel_paths(bo.reps, &pf, &e)) {
    cJSON_Delete(lk);
    return cli_error("bench planner", &e);
  }
  if (pix && !bo.json)
    printf("pixels32-img per-sample paths (CPU time, medians of %d):\n"
           "  normals        %.2f ns one per call, %.2f ns in batches of 1024: %.2fx\n"
           "  task cost      %.2f us per row one row per call, %.2f us in one call of 1000: %.2fx\n",
           bo.reps, pf.normal_ns[0], pf.normal_ns[1], pf.normal_ns[0] / pf.normal_ns[1], pf.cost_row_us[0],
           pf.cost_row_us[1], pf.cost_row_us[0] / pf.cost_row_us[1]);
  if (bo.json) {
    print_json(&f, lk, pix ? pixel_json(&pf) : NULL);
  } else {
    cJSON_Delete(lk);
  }
  return 0;
}
