/* sgp bench nn: the MLP against bare cblas_sgemm of exactly the same shapes, in one process.
 *  1. training step (forward, backward, Adam) of 32 -> [1024]x4 -> 32 (ReLU), batch 2048;
 *  2. forward latency at batch 1 of 32 -> [128]x4 -> 32 (ReLU) (the planners' inner loop).
 * Each figure is the median of several repetitions after a warm-up; the network and the bare
 * gemms are measured alternately so that a noisy neighbour affects both alike. */
#include "bench/benchutil.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static nn_arch relu_mlp(int nin, int width, int depth, int nout) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = nin;
  a.nout = nout;
  a.nhidden = depth;
  for (int k = 0; k < depth; k++) a.width[k] = width;
  a.act = NN_RELU;
  return a;
}

/* Buffers for the bare gemms of a network's shapes: per linear k, input (B x in), weights, output,
 * output gradient, weight gradient and input gradient. */
typedef struct bare {
  int nl, B, in[NN_MAX_HIDDEN + 1], out[NN_MAX_HIDDEN + 1];
  float *X[NN_MAX_HIDDEN + 1], *W[NN_MAX_HIDDEN + 1], *Y[NN_MAX_HIDDEN + 1];
  float *dY[NN_MAX_HIDDEN + 1], *dW[NN_MAX_HIDDEN + 1], *dX[NN_MAX_HIDDEN + 1];
} bare;

static void bare_init(bare *g, const nn_arch *a, int B, sgp_rng *r) {
  memset(g, 0, sizeof *g);
  g->nl = a->nhidden + 1;
  g->B = B;
  for (int k = 0; k < g->nl; k++) {
    int in = k ? a->width[k - 1] : a->nin, out = k < a->nhidden ? a->width[k] : a->nout;
    g->in[k] = in;
    g->out[k] = out;
    size_t nx = (size_t)B * in, ny = (size_t)B * out, nw = (size_t)in * out;
    g->X[k] = sgp_falloc(nx), g->dX[k] = sgp_falloc(nx);
    g->Y[k] = sgp_falloc(ny), g->dY[k] = sgp_falloc(ny);
    g->W[k] = sgp_falloc(nw), g->dW[k] = sgp_falloc(nw);
    sgp_rng_fill_uniform(r, g->X[k], nx, -1, 1);
    sgp_rng_fill_uniform(r, g->dY[k], ny, -1, 1);
    sgp_rng_fill_uniform(r, g->W[k], nw, -0.05f, 0.05f);
    memset(g->Y[k], 0, ny * sizeof(float));
    memset(g->dX[k], 0, nx * sizeof(float));
    memset(g->dW[k], 0, nw * sizeof(float));
  }
}

static void bare_free(bare *g) {
  for (int k = 0; k < g->nl; k++) free(g->X[k]), free(g->dX[k]), free(g->Y[k]), free(g->dY[k]), free(g->W[k]), free(g->dW[k]);
}

static void bare_forward(bare *g) {
  for (int k = 0; k < g->nl; k++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->B, g->out[k], g->in[k], 1.0f, g->X[k], g->in[k],
                g->W[k], g->in[k], 0.0f, g->Y[k], g->out[k]);
}

/* forward, then per linear from the top: dW = dYᵀ X and (not for the first) dX = dY W */
static void bare_train(bare *g) {
  bare_forward(g);
  for (int k = g->nl - 1; k >= 0; k--) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g->out[k], g->in[k], g->B, 1.0f, g->dY[k], g->out[k],
                g->X[k], g->in[k], 0.0f, g->dW[k], g->in[k]);
    if (k > 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->B, g->in[k], g->out[k], 1.0f, g->dY[k],
                  g->out[k], g->W[k], g->in[k], 0.0f, g->dX[k], g->in[k]);
  }
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp bench nn [--threads N] [--reps N] [--json]\n"
          "  MLP training step (32 -> [1024]x4 -> 32 ReLU, batch 2048: forward, backward, Adam) and\n"
          "  batch-1 forward latency (32 -> [128]x4 -> 32 ReLU), each against bare cblas_sgemm calls of\n"
          "  the same shapes measured in the same process (medians after a warm-up).\n"
          "  FLOPs: 2*B*in*out per gemm; forward, dW and dX for every linear except the first, whose\n"
          "  input gradient a training step does not compute (the bare gemms skip it too).\n"
          "options:\n"
          "  --threads N  OpenBLAS threads (default 1)\n"
          "  --reps N     timed repetitions of the training step (default 5)\n"
          "  --json       print one JSON object: train_gflops, gemm_gflops, ratio, small_forward_us, ...\n"
          "example:\n"
          "  sgp bench nn --threads 1 --json\n");
}

typedef struct nn_figures {
  int reps, nl;
  double flops, step_s, step_min, step_max, train_gflops, gemm_gflops;
  double small_us, small_gemm_us, small_vjp_us;
} nn_figures;

/* 1. training step of 32 -> [1024]x4 -> 32 at batch 2048, alternating with the bare gemms */
static void measure_training(nn_figures *f, sgp_rng *r) {
  const int B = 2048, reps = f->reps;
  nn_arch a = relu_mlp(32, 1024, 4, 32);
  nn_mlp *m = nn_create(&a);
  nn_init(m, r);
  nn_ws *ws = nn_ws_create(&a, B);
  sgp_adam *opt = sgp_adam_create(m->nparams, NULL);
  float *x = sgp_falloc((size_t)B * a.nin), *t = sgp_falloc((size_t)B * a.nout);
  float *y = sgp_falloc((size_t)B * a.nout), *dy = sgp_falloc((size_t)B * a.nout), *grad = sgp_falloc(m->nparams);
  sgp_rng_fill_normal(r, x, (size_t)B * a.nin, 0, 1);
  sgp_rng_fill_normal(r, t, (size_t)B * a.nout, 0, 1);
  bare g;
  bare_init(&g, &a, B, r);
  f->nl = g.nl;
  for (int k = 0; k < g.nl; k++) f->flops += 2.0 * B * g.in[k] * g.out[k] * (k ? 3 : 2);
  double *tn = sgp_malloc((size_t)reps * sizeof(double)), *tg = sgp_malloc((size_t)reps * sizeof(double));
  for (int it = -1; it < reps; it++) { /* it = -1: warm-up */
    double t0 = sgp_now();
    nn_forward(m, ws, B, x, NULL, y);
    const float sc = 2.0f / (float)(B * a.nout); /* d/dy of the mean squared error */
    for (int i = 0; i < B * a.nout; i++) dy[i] = sc * (y[i] - t[i]);
    nn_backward(m, ws, B, dy, grad, 0, NULL);
    sgp_adam_step(opt, m->params, grad, opt->cfg.lr);
    double t1 = sgp_now();
    bare_train(&g);
    double t2 = sgp_now();
    if (it >= 0) tn[it] = t1 - t0, tg[it] = t2 - t1;
  }
  f->step_s = bench_median(tn, reps);
  double gemm_s = bench_median(tg, reps);
  f->step_min = tn[0], f->step_max = tn[reps - 1]; /* sorted by the median */
  f->train_gflops = f->flops / f->step_s * 1e-9, f->gemm_gflops = f->flops / gemm_s * 1e-9;
  bare_free(&g);
  free(tn), free(tg), free(x), free(t), free(y), free(dy), free(grad);
  sgp_adam_free(opt);
  nn_ws_free(ws);
  nn_free(m);
}

/* 2. batch-1 forward and input-VJP latency of 32 -> [128]x4 -> 32 against the bare gemms */
static void measure_latency(nn_figures *f, sgp_rng *r) {
  nn_arch sa = relu_mlp(32, 128, 4, 32);
  nn_mlp *sm = nn_create(&sa);
  nn_init(sm, r);
  nn_ws *sws = nn_ws_create(&sa, 1);
  float sx[32], sy[32], sdy[32], sdx[32];
  for (int i = 0; i < 32; i++) sx[i] = (float)sgp_rng_normal(r), sdy[i] = (float)sgp_rng_normal(r);
  bare sg;
  bare_init(&sg, &sa, 1, r);
  enum { SAMPLES = 15, INNER = 2000 };
  double ts[SAMPLES], tsg[SAMPLES], tsb[SAMPLES];
  for (int it = -1; it < SAMPLES; it++) {
    double t0 = sgp_now();
    for (int i = 0; i < INNER; i++) nn_forward(sm, sws, 1, sx, NULL, sy);
    double t1 = sgp_now();
    for (int i = 0; i < INNER; i++) bare_forward(&sg);
    double t2 = sgp_now();
    for (int i = 0; i < INNER; i++) nn_backward(sm, sws, 1, sdy, NULL, 0, sdx);
    double t3 = sgp_now();
    if (it >= 0) ts[it] = (t1 - t0) / INNER, tsg[it] = (t2 - t1) / INNER, tsb[it] = (t3 - t2) / INNER;
  }
  f->small_us = bench_median(ts, SAMPLES) * 1e6, f->small_gemm_us = bench_median(tsg, SAMPLES) * 1e6;
  f->small_vjp_us = bench_median(tsb, SAMPLES) * 1e6;
  bare_free(&sg);
  nn_ws_free(sws);
  nn_free(sm);
}

static void print_json(const nn_figures *f) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "train_gflops", f->train_gflops);
  cJSON_AddNumberToObject(j, "gemm_gflops", f->gemm_gflops);
  cJSON_AddNumberToObject(j, "ratio", f->train_gflops / f->gemm_gflops);
  cJSON_AddNumberToObject(j, "small_forward_us", f->small_us);
  cJSON_AddNumberToObject(j, "small_gemm_us", f->small_gemm_us);
  cJSON_AddNumberToObject(j, "small_vjp_us", f->small_vjp_us);
  cJSON_AddNumberToObject(j, "train_step_ms", f->step_s * 1e3);
  cJSON_AddNumberToObject(j, "train_gflop_per_step", f->flops * 1e-9);
  cJSON_AddNumberToObject(j, "reps", f->reps);
  bench_json_blas(j);
  bench_print_json(j);
}

static void print_text(const nn_figures *f) {
  int nthreads = sgp_blas_threads();
  printf("sgp bench nn   OpenBLAS core %s, %d thread%s\n\n", sgp_blas_corename(), nthreads, nthreads == 1 ? "" : "s");
  printf("training step: 32 -> [1024]x4 -> 32 ReLU, batch 2048, forward + backward + Adam\n");
  printf("  %.2f GFLOP per step (2*B*in*out per gemm; no input gradient for the first linear)\n", f->flops * 1e-9);
  printf("  step          %8.1f ms   median of %d (min %.1f, max %.1f)\n", f->step_s * 1e3, f->reps,
         f->step_min * 1e3, f->step_max * 1e3);
  printf("  network       %8.1f GFLOP/s\n", f->train_gflops);
  printf("  bare sgemm    %8.1f GFLOP/s   (the same %d gemms alone)\n", f->gemm_gflops, 3 * f->nl - 1);
  printf("  ratio         %8.3f         (target >= 0.85)\n\n", f->train_gflops / f->gemm_gflops);
  printf("batch-1 latency: 32 -> [128]x4 -> 32 ReLU\n");
  printf("  forward       %8.2f us      (target <= 5)\n", f->small_us);
  printf("  bare sgemm    %8.2f us      (the same 5 gemms, M = 1)\n", f->small_gemm_us);
  printf("  input VJP     %8.2f us      (backward, dx only)\n", f->small_vjp_us);
}

int bench_nn(int argc, char **argv) {
  bench_opts bo = {1, 5, 0};
  int prc = bench_parse(argc, argv, "bench nn", usage, NULL, 1000, &bo);
  if (prc) return prc == 1 ? 0 : prc;
  sgp_blas_set_threads(bo.threads);
  sgp_rng r;
  sgp_rng_stream(&r, 0, "bench");
  nn_figures f;
  memset(&f, 0, sizeof f);
  f.reps = bo.reps;
  measure_training(&f, &r);
  measure_latency(&f, &r);
  if (bo.json) print_json(&f);
  else print_text(&f);
  return 0;
}
