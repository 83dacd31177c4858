/* sgp bench distance: the exact smoothed distance / score (agents/distance.c, METHOD §2) against
 * bare cblas_sgemm of exactly the same shapes, in one process; and DSM training throughput.
 *  1. d_σ and ∇log p_σ for 4096 queries against 100,000 points of dimension 16 (σ = 0.1 by default;
 *     data and queries N(0, I)). FLOPs counted: the two gemms, 2·B·N·D each. The bare baseline runs
 *     the same blocked gemm calls (Y·Zᵀ per block, then E·Z) and nothing else.
 *  2. DSM training (agents/score.c through the generic trainer): D = 23 -> [512]x4 -> 23 (SiLU),
 *     batch 2048, one σ: noise, forward, backward, AdamW; samples per second.
 * Medians of several repetitions after a warm-up; the distance and the bare gemms alternate so that
 * a noisy neighbour affects both alike. */
#include "bench/benchutil.h"

#include "agents/distance.h"
#include "agents/score.h"
#include "agents/train.h"
#include "core/err.h"
#include "core/nn.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/sys.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The gemms of dist_eval alone: per query chunk and data block, G = Y·Zᵀ and C = G·Z. */
static void bare_gemms(int B, int64_t N, int D, const float *Y, const float *Z, float *G, float *C) {
  int QB, NB;
  dist_blocking(&QB, &NB);
  for (int b0 = 0; b0 < B; b0 += QB) {
    int qb = B - b0 < QB ? B - b0 : QB;
    for (int64_t j0 = 0; j0 < N; j0 += NB) {
      int nb = (int)(N - j0 < NB ? N - j0 : NB);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, qb, nb, D, 1.0f, Y + (size_t)b0 * D, D, Z + j0 * D, D,
                  0.0f, G, nb);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, qb, D, nb, 1.0f, G, nb, Z + j0 * D, D, 0.0f, C, D);
    }
  }
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp bench distance [--threads N] [--reps N] [--sigma S] [--json]\n"
          "  Exact d_sigma and score for 4096 queries against 100,000 points of dimension 16, against\n"
          "  bare cblas_sgemm calls of the same shapes (the two gemms per block, 2*B*N*D FLOPs each),\n"
          "  measured in the same process; then DSM training throughput of a [512]x4 score model at\n"
          "  batch 2048.\n"
          "options:\n"
          "  --threads N  OpenBLAS threads (default 1)\n"
          "  --reps N     timed repetitions (default 3)\n"
          "  --sigma S    noise level of the distance (default 0.1; small sigma adds refinement work)\n"
          "  --json       print one JSON object: pairs_per_s, ratio, dsm_samples_per_s, ...\n"
          "example:\n"
          "  sgp bench distance --threads 1 --json\n");
}

typedef struct distance_figures {
  int B, D, QB, NB, reps;
  int64_t N;
  float sigma;
  double t_score, t_gemm, t_donly; /* seconds: score + d, the bare gemms, d only */
  double pairs, gflops, gemm_gflops, ratio;
  double dsm_rate;                 /* DSM training samples per second */
} distance_figures;

/* 1. exact d_σ and score of B queries against N points, alternating with the bare gemms */
static int measure_distance(distance_figures *f, sgp_rng *r, sgp_err *e) {
  const int B = f->B = 4096, D = f->D = 16, reps = f->reps;
  const int64_t N = f->N = 100000;
  float *Z = sgp_falloc((size_t)N * D), *q = sgp_falloc((size_t)B * D);
  sgp_rng_fill_normal(r, Z, (size_t)N * D, 0, 1);
  sgp_rng_fill_normal(r, q, (size_t)B * D, 0, 1);
  dist_index *idx = dist_create(Z, N, D, NULL, e);
  if (!idx) {
    free(Z), free(q);
    return -1;
  }
  dist_ws *ws = dist_ws_create(idx);
  float *d = sgp_falloc(B), *sc = sgp_falloc((size_t)B * D);
  dist_blocking(&f->QB, &f->NB);
  float *G = sgp_falloc((size_t)f->QB * f->NB), *C = sgp_falloc((size_t)f->QB * D);
  double *td = sgp_malloc(sizeof(double) * reps), *tg = sgp_malloc(sizeof(double) * reps);
  double *tdo = sgp_malloc(sizeof(double) * reps);
  for (int it = -1; it < reps; it++) {
    double t0 = sgp_now();
    dist_eval(idx, ws, B, q, f->sigma, d, NULL, sc);
    double t1 = sgp_now();
    bare_gemms(B, N, D, q, Z, G, C);
    double t2 = sgp_now();
    dist_eval(idx, ws, B, q, f->sigma, d, NULL, NULL); /* distance only: one gemm */
    double t3 = sgp_now();
    if (it >= 0) td[it] = t1 - t0, tg[it] = t2 - t1, tdo[it] = t3 - t2;
  }
  f->t_score = bench_median(td, reps), f->t_gemm = bench_median(tg, reps), f->t_donly = bench_median(tdo, reps);
  const double flops = 2.0 * (2.0 * B * (double)N * D);
  f->pairs = (double)B * (double)N / f->t_score;
  f->gflops = flops / f->t_score * 1e-9, f->gemm_gflops = flops / f->t_gemm * 1e-9;
  f->ratio = f->gflops / f->gemm_gflops;
  free(td), free(tg), free(tdo), free(G), free(C), free(d), free(sc), free(Z), free(q);
  dist_ws_free(ws);
  dist_free(idx);
  return 0;
}

/* 2. DSM training throughput of a 23 -> [512]x4 -> 23 SiLU score model, batch 2048, one σ */
static int measure_dsm(distance_figures *f, sgp_rng *r, sgp_err *e) {
  const int DD = 23, BB = 2048, steps = 6;
  score_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.layout = SCORE_POINTS;
  cfg.nlevels = 1;
  cfg.sigma_max = cfg.sigma_min = 0.1f;
  cfg.alpha = 1;
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = a.nout = DD;
  a.nhidden = 4;
  for (int k = 0; k < 4; k++) a.width[k] = 512;
  a.act = NN_SILU;
  score_model *m = score_create(&cfg, &a, DD, 0, e);
  if (!m) return -1;
  float *X = sgp_falloc((size_t)BB * steps * DD);
  sgp_rng_fill_normal(r, X, (size_t)BB * steps * DD, 0, 1);
  train_cfg tc = train_defaults();
  tc.epochs = 1, tc.batch = BB, tc.val_fraction = 0, tc.progress = 0;
  train_result res;
  double *tt = sgp_malloc(sizeof(double) * f->reps);
  int rc = 0;
  for (int it = -1; it < f->reps && !rc; it++) {
    rc = score_train(m, X, (int64_t)BB * steps, &tc, &res, e);
    if (!rc && it >= 0) tt[it] = res.samples_per_s;
    if (!rc) train_result_free(&res);
  }
  if (!rc) f->dsm_rate = bench_median(tt, f->reps);
  free(tt);
  free(X);
  score_free(m);
  return rc;
}

static void print_json(const distance_figures *f) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "pairs_per_s", f->pairs);
  cJSON_AddNumberToObject(j, "gflops", f->gflops);
  cJSON_AddNumberToObject(j, "gemm_gflops", f->gemm_gflops);
  cJSON_AddNumberToObject(j, "ratio", f->ratio);
  cJSON_AddNumberToObject(j, "score_ms", f->t_score * 1e3);
  cJSON_AddNumberToObject(j, "distance_only_ms", f->t_donly * 1e3);
  cJSON_AddNumberToObject(j, "dsm_samples_per_s", f->dsm_rate);
  cJSON_AddNumberToObject(j, "sigma", f->sigma);
  cJSON_AddNumberToObject(j, "reps", f->reps);
  bench_json_blas(j);
  bench_print_json(j);
}

static void print_text(const distance_figures *f) {
  int nthreads = sgp_blas_threads();
  printf("sgp bench distance   OpenBLAS core %s, %d thread%s\n\n", sgp_blas_corename(), nthreads,
         nthreads == 1 ? "" : "s");
  printf("exact d_sigma + score: %d queries x %lld points, D = %d, sigma = %g (blocks of %d x %d)\n", f->B,
         (long long)f->N, f->D, f->sigma, f->QB, f->NB);
  printf("  score + d      %8.1f ms      median of %d\n", f->t_score * 1e3, f->reps);
  printf("  d only         %8.1f ms      (one gemm per block)\n", f->t_donly * 1e3);
  printf("  pairs          %8.3g /s\n", f->pairs);
  printf("  effective      %8.1f GFLOP/s (two gemms, 2*B*N*D each)\n", f->gflops);
  printf("  bare sgemm     %8.1f GFLOP/s (the same gemm calls alone)\n", f->gemm_gflops);
  printf("  ratio          %8.3f        (target >= 0.5)\n\n", f->ratio);
  printf("DSM training: 23 -> [512]x4 -> 23 SiLU, batch 2048, one sigma, noise + forward + backward + AdamW\n");
  printf("  throughput     %8.0f samples/s\n", f->dsm_rate);
}

int bench_distance(int argc, char **argv) {
  static const char *const extra[] = {"--sigma", NULL};
  bench_opts bo = {1, 3, 0};
  int prc = bench_parse(argc, argv, "bench distance", usage, extra, 1000, &bo);
  if (prc) return prc == 1 ? 0 : prc;
  distance_figures f;
  memset(&f, 0, sizeof f);
  f.reps = bo.reps;
  f.sigma = 0.1f;
  const char *s;
  if ((s = cli_opt(argc, argv, "--sigma"))) {
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0) || !isfinite(v)) {
      fprintf(stderr, "sgp bench distance: --sigma: expected a positive number, got '%s'\n", s);
      return 2;
    }
    f.sigma = (float)v;
  }
  sgp_blas_set_threads(bo.threads);
  sgp_rng r;
  sgp_rng_stream(&r, 0, "bench");
  sgp_err e;
  if (measure_distance(&f, &r, &e) || measure_dsm(&f, &r, &e)) return cli_error("bench distance", &e);
  if (bo.json) print_json(&f);
  else print_text(&f);
  return 0;
}
