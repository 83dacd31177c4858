/* The exact smoothed distance to the data, d_σ, log p_σ and the score (METHOD §2; agents/distance.c). */
#ifndef SGP_AGENTS_DISTANCE_H
#define SGP_AGENTS_DISTANCE_H

#include "core/err.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* For data z_1..z_N in R^D and a query z:
 *   r_i(z)   = Σ_k w_k (z_k − z_ik)²                      (w: optional diagonal metric, else 1)
 *   d_σ(z)   = −σ² log Σ_i exp(−r_i / (2σ²))              (soft-min of squared distances)
 *   log p_σ  = −d_σ/σ² − log N − (D/2) log(2πσ²) + ½ Σ_k log w_k
 *              (the log density of (1/N) Σ_i N(z; z_i, σ² diag(w)^-1), normalised in z)
 *   ∇log p_σ = −∇d_σ/σ² = diag(w) Σ_i π_i (z_i − z) / σ²,   π_i = softmax_i(−r_i/(2σ²))
 * Computed blocked over the data with two cblas_sgemm per block (distances Y·Zᵀ and the weighted
 * sum Π·Z) and a streaming log-sum-exp, in a workspace whose size does not depend on N or B.
 * Data are centred (and scaled by √w) once at creation; squared norms are precomputed.
 * Accuracy against a double-precision loop: see docs/score-models.md. */

typedef struct dist_index dist_index; /* read-only after creation */
typedef struct dist_ws dist_ws;       /* scratch for one thread; made once */

/* Z: N x D row-major (copied). metric: D positive weights w_k, or NULL for the Euclidean metric.
 * Fails (naming the argument) on N < 1, D < 1, non-finite data or non-positive weights. */
dist_index *dist_create(const float *Z, int64_t N, int D, const float *metric, sgp_err *e);
void dist_free(dist_index *idx);
int dist_dim(const dist_index *idx);
int64_t dist_count(const dist_index *idx);

dist_ws *dist_ws_create(const dist_index *idx);
void dist_ws_free(dist_ws *ws);

/* B queries q (B x D). Any of d (B), logp (B), score (B x D) may be NULL (skipping the second gemm
 * when score is NULL). sigma > 0. Any B >= 0; queries are processed in chunks internally. */
void dist_eval(const dist_index *idx, dist_ws *ws, int B, const float *q, float sigma, float *d,
               float *logp, float *score);

/* The vectorised exp used for the B x block weights: y_i = exp(x_i) for x_i <= 0 (inputs below
 * −87.3 give 0); relative error about 1e-7 (measured in tests/test_distance.c). Exposed for tests
 * and the benchmark. */
void dist_expf_neg(const float *x, float *y, int n);
/* The blocking: queries in chunks of *qb rows, data in blocks of *nb rows (for the benchmark's
 * bare-gemm baseline of the same shapes). */
void dist_blocking(int *qb, int *nb);

#ifdef __cplusplus
}
#endif
#endif
