/* Exact smoothed distance to data, log p_σ and the exact score (METHOD §2).
 *
 * For a chunk of QB queries and a block of NB data points:
 *   G   = Y · Zᵀ                         cblas_sgemm (QB x NB, K = D)
 *   r   = max(‖y‖² + ‖z‖² − 2G, 0)       squared distances (clamped: cancellation can make them < 0)
 *   m   = min(m, min_j r_j)               running minimum per query (streaming log-sum-exp)
 *   E   = exp(−(r − m)/(2σ²))             weights relative to the running minimum, in (0, 1]
 *   S   = S·c + Σ_j E_j,  A = A·c + E·Z   c = exp(−(m_old − m)/(2σ²)) rescales what came before;
 *                                         E·Z is the second cblas_sgemm (QB x D, K = NB)
 * and at the end  d_σ = m/2 − σ² log S,  score = √w ⊙ (A/S − y)/σ².
 * Data are centred on their mean and scaled by √w once, so the gemm form cancels less; S and A are
 * double. The workspace is QB x NB floats whatever N and B are. */
#include "agents/distance.h"
#include "core/err.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef DIST_QB /* overridable for tuning experiments */
#define DIST_QB 256
#define DIST_NB 256
#endif
enum { QB = DIST_QB, NB = DIST_NB, VW = 8 }; /* query chunk, data block, vector width (floats) */

/* 8 floats in GCC/Clang vector extensions: one AVX register, two SSE / NEON registers. The reduced
 * alignment and may_alias let us load from any float pointer. */
typedef float v8f __attribute__((vector_size(32), aligned(4), may_alias));
typedef int32_t v8i __attribute__((vector_size(32), aligned(4), may_alias));
/* vexp_neg passes vectors by value but is always inlined, so no call ever crosses the ABI. */
#pragma GCC diagnostic ignored "-Wpsabi"
/* Let a·b + c become one FMA where the target has it (the x86-64-v3 clone): fewer instructions in
 * the exp polynomial and the distance assembly, and no less accurate. */
#if !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif

/* The B x NB loop is the main cost beyond the two gemms: on x86-64 compile it twice, for AVX2+FMA
 * (x86-64-v3) and for the baseline, and pick at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define SGP_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SGP_CLONES
#endif

struct dist_index {
  int D;
  int64_t N, Npad;  /* Npad: N rounded up to a multiple of VW; padding rows never win */
  float *Z;         /* Npad x D, (z − mean) ⊙ √w */
  float *zz;        /* Npad squared norms of the rows of Z; padding: 1e30 */
  float *zzmax;     /* per block of NB rows: the largest squared norm of a real row */
  double *center;   /* D */
  float *sqrtw;     /* D */
  double half_logdet; /* ½ Σ log w */
};

struct dist_ws {
  int D;
  float *Y;    /* QB x D, transformed queries */
  float *yy;   /* QB */
  float *G;    /* QB x NB: distances, then weights */
  float *C;    /* QB x D: E·Z of one block */
  float *m;    /* QB running minimum of r */
  double *S;   /* QB */
  double *A;   /* QB x D */
  float *fac;  /* QB rescale factors of one block */
};

/* ---------------------------------------------------------------------------------------------- */
/* exp for x <= 0: Cody–Waite reduction x = n ln2 + r, |r| <= ln2/2, then the Cephes expf
 * polynomial 1 + r + r² P(r) (degree 5), and 2^n built in the exponent bits. Inputs below −87.3
 * (where 2^n would be subnormal) give 0. About 1 ulp; measured in tests/test_distance.c. */
__attribute__((always_inline)) static inline v8f vexp_neg(v8f x) {
  const v8f lo = {-87.3f, -87.3f, -87.3f, -87.3f, -87.3f, -87.3f, -87.3f, -87.3f};
  v8i keep = x >= lo;               /* lanes: −1 where x >= −87.3 (also false for NaN) */
  x = (v8f)((v8i)x & keep);         /* others become 0 for the arithmetic, masked below */
  const float magic = 12582912.0f;  /* 1.5·2^23: adding it rounds to the nearest integer */
  v8f t = x * 1.44269504088896341f + magic;
  v8i n = (v8i)t - (v8i)((v8f){0} + magic);
  v8f nf = t - magic;
  v8f r = x - nf * 0.693359375f;    /* ln2 split in two: the first product is exact */
  r = r - nf * -2.12194440e-4f;
  v8f p = (v8f){0} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  v8f y = (r * r) * p + r + 1.0f;
  v8i e2 = (n + 127) << 23;         /* 2^n, n in [−126, 0] */
  y = y * (v8f)e2;
  return (v8f)((v8i)y & keep);
}

SGP_CLONES static void expf_neg_kernel(const float *x, float *y, int n) {
  int i = 0;
  for (; i + VW <= n; i += VW) *(v8f *)(y + i) = vexp_neg(*(const v8f *)(x + i));
  if (i < n) {
    float tmp[VW] = {0};
    memcpy(tmp, x + i, (size_t)(n - i) * sizeof(float));
    v8f v = vexp_neg(*(v8f *)tmp);
    memcpy(y + i, &v, (size_t)(n - i) * sizeof(float));
  }
}

void dist_expf_neg(const float *x, float *y, int n) { expf_neg_kernel(x, y, n); }

void dist_blocking(int *qb, int *nb) {
  *qb = QB;
  *nb = NB;
}

/* One block for qb rows: squared distances from G, running minimum, weights in place, row sums.
 * nb is a multiple of VW. On return G holds E (qb x nb), fac[b] the factor by which the row's
 * earlier sums must be multiplied, and S[b] already includes this block.
 *
 * Refinement. r from the gemm form has an absolute error up to δ = (D+3)·u·(‖y‖² + max‖z‖²)
 * (u = 2^-24: D for the dot product, 3 for the norms and the sums), which is a relative error δ/(2σ²)
 * in the weights. When that bound exceeds REFINE_TOL (small σ), every r within
 * 18·2σ² + 2δ of the row's minimum (all the weights above e^-18) is recomputed directly as
 * Σ_k (y_k − z_k)², whose error is relative to r itself. Groups of GS entries keep their minimum
 * from the first pass so that the search for those entries touches only groups that hold one. */
enum { GS = 64 };
#define REFINE_TOL 1e-3f

SGP_CLONES static void block_weights(int qb, int nb, int D, float *G, const float *Y, const float *yy,
                                     const float *Zb, const float *zz, float zzmax, float inv2s2,
                                     float *m, double *S, float *fac) {
  float gmin[NB / GS + 1];
  const int ng = (nb + GS - 1) / GS;
  const float delta_k = (float)(D + 3) * 0x1p-24f;
  for (int b = 0; b < qb; b++) {
    float *g = G + (size_t)b * nb;
    const v8f yb = (v8f){0} + yy[b];
    const v8f big = (v8f){0} + 3.0e38f;
    float bm = 3.0e38f;
    for (int gi = 0; gi < ng; gi++) {
      int j1 = (gi + 1) * GS < nb ? (gi + 1) * GS : nb;
      v8f vmin = big;
      for (int j = gi * GS; j < j1; j += VW) {
        v8f r = yb + *(const v8f *)(zz + j) - 2.0f * *(v8f *)(g + j);
        r = (v8f)((v8i)r & (r > 0.0f)); /* clamp at 0 */
        *(v8f *)(g + j) = r;
        v8i lt = r < vmin;
        vmin = (v8f)(((v8i)r & lt) | ((v8i)vmin & ~lt));
      }
      float gm = vmin[0];
      for (int k = 1; k < VW; k++) gm = vmin[k] < gm ? vmin[k] : gm;
      gmin[gi] = gm;
      bm = gm < bm ? gm : bm;
    }
    float mold = m[b];
    const float delta = delta_k * (yy[b] + zzmax);
    if (delta * inv2s2 > REFINE_TOL) {
      float base = bm < mold ? bm : mold;
      float thr = base + 18.0f / inv2s2 + 2.0f * delta;
      const float *y = Y + (size_t)b * D;
      float rm = 3.0e38f;
      for (int gi = 0; gi < ng; gi++) {
        if (gmin[gi] > thr) continue;
        int j1 = (gi + 1) * GS < nb ? (gi + 1) * GS : nb;
        for (int j = gi * GS; j < j1; j++) {
          if (g[j] > thr) continue;
          const float *z = Zb + (size_t)j * D;
          double s = 0;
          for (int k = 0; k < D; k++) s += ((double)y[k] - z[k]) * ((double)y[k] - z[k]);
          g[j] = (float)s;
          rm = g[j] < rm ? g[j] : rm;
        }
      }
      if (rm < 3.0e38f) bm = rm; /* the true minimum is among the refined entries */
    }
    float mnew = bm < mold ? bm : mold;
    fac[b] = mnew < mold ? expf(-(mold - mnew) * inv2s2) : 1.0f; /* mold = +inf: S = A = 0 */
    m[b] = mnew;
    const v8f mv = (v8f){0} + mnew;
    const v8f sc = (v8f){0} - inv2s2;
    /* a group whose smallest r is so far above the minimum that all its weights underflow
     * (exp(−87.3) ~ 1e-38; 2δ covers the first pass's error) is zero without the exp */
    const float cut = mnew + 87.3f / inv2s2 + 2.0f * delta;
    v8f acc = {0};
    for (int gi = 0; gi < ng; gi++) {
      int j0 = gi * GS, j1 = (gi + 1) * GS < nb ? (gi + 1) * GS : nb;
      if (gmin[gi] > cut) {
        memset(g + j0, 0, sizeof(float) * (size_t)(j1 - j0));
        continue;
      }
      for (int j = j0; j < j1; j += VW) {
        v8f e = vexp_neg((*(v8f *)(g + j) - mv) * sc);
        *(v8f *)(g + j) = e;
        acc += e;
      }
    }
    double s = 0;
    for (int k = 0; k < VW; k++) s += acc[k];
    S[b] = S[b] * fac[b] + s;
  }
}

/* ---------------------------------------------------------------------------------------------- */

dist_index *dist_create(const float *Z, int64_t N, int D, const float *metric, sgp_err *e) {
  if (N < 1) return sgp_fail(e, "distance: need at least one data point, got N = %lld", (long long)N), NULL;
  if (D < 1 || D > 1 << 20) return sgp_fail(e, "distance: bad dimension D = %d", D), NULL;
  if (!sgp_all_finite_f(Z, (size_t)N * D)) {
    for (int64_t i = 0; i < N; i++)
      for (int k = 0; k < D; k++)
        if (!isfinite(Z[i * D + k]))
          return sgp_fail(e, "distance: data point %lld, dimension %d is not finite", (long long)i, k), NULL;
  }
  if (metric)
    for (int k = 0; k < D; k++)
      if (!(metric[k] > 0) || !isfinite(metric[k]))
        return sgp_fail(e, "distance: metric weight %d must be positive and finite, got %g", k,
                        (double)metric[k]), NULL;

  dist_index *x = sgp_calloc(1, sizeof *x);
  x->D = D;
  x->N = N;
  x->Npad = (N + VW - 1) / VW * VW;
  x->center = sgp_calloc((size_t)D, sizeof(double));
  x->sqrtw = sgp_falloc((size_t)D);
  x->half_logdet = 0;
  for (int k = 0; k < D; k++) {
    double w = metric ? metric[k] : 1.0;
    x->sqrtw[k] = (float)sqrt(w);
    x->half_logdet += 0.5 * log(w);
  }
  for (int64_t i = 0; i < N; i++)
    for (int k = 0; k < D; k++) x->center[k] += Z[i * D + k];
  for (int k = 0; k < D; k++) x->center[k] /= (double)N;
  x->Z = sgp_falloc((size_t)x->Npad * D);
  x->zz = sgp_falloc((size_t)x->Npad);
  for (int64_t i = 0; i < x->Npad; i++) {
    float *row = x->Z + i * D;
    if (i >= N) {
      memset(row, 0, (size_t)D * sizeof(float));
      x->zz[i] = 1e30f;
      continue;
    }
    double s = 0;
    for (int k = 0; k < D; k++) {
      row[k] = (float)((Z[i * D + k] - x->center[k]) * x->sqrtw[k]);
      s += (double)row[k] * row[k];
    }
    x->zz[i] = (float)s;
  }
  x->zzmax = sgp_falloc((size_t)(x->Npad + NB - 1) / NB);
  for (int64_t j0 = 0; j0 < x->Npad; j0 += NB) {
    float mx = 0;
    for (int64_t i = j0; i < j0 + NB && i < N; i++) mx = x->zz[i] > mx ? x->zz[i] : mx;
    x->zzmax[j0 / NB] = mx;
  }
  return x;
}

void dist_free(dist_index *x) {
  if (!x) return;
  free(x->Z);
  free(x->zz);
  free(x->zzmax);
  free(x->center);
  free(x->sqrtw);
  free(x);
}

int dist_dim(const dist_index *x) { return x->D; }
int64_t dist_count(const dist_index *x) { return x->N; }

dist_ws *dist_ws_create(const dist_index *x) {
  dist_ws *w = sgp_calloc(1, sizeof *w);
  int D = x->D;
  w->D = D;
  w->Y = sgp_falloc((size_t)QB * D);
  w->yy = sgp_falloc(QB);
  w->G = sgp_falloc((size_t)QB * NB);
  w->C = sgp_falloc((size_t)QB * D);
  w->m = sgp_falloc(QB);
  w->fac = sgp_falloc(QB);
  w->S = sgp_calloc(QB, sizeof(double));
  w->A = sgp_calloc((size_t)QB * D, sizeof(double));
  return w;
}

void dist_ws_free(dist_ws *w) {
  if (!w) return;
  void *bufs[] = {w->Y, w->yy, w->G, w->C, w->m, w->fac, w->S, w->A, w};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

/* One chunk of qb <= QB queries. */
static void eval_chunk(const dist_index *x, dist_ws *w, int qb, const float *q, float sigma, float *d,
                       float *logp, float *score) {
  const int D = x->D;
  const double s2 = (double)sigma * sigma;
  const float inv2s2 = (float)(0.5 / s2);
  for (int b = 0; b < qb; b++) {
    double s = 0;
    for (int k = 0; k < D; k++) {
      float y = (float)((q[(size_t)b * D + k] - x->center[k]) * x->sqrtw[k]);
      w->Y[b * D + k] = y;
      s += (double)y * y;
    }
    w->yy[b] = (float)s;
    w->m[b] = INFINITY;
    w->S[b] = 0;
  }
  if (score) memset(w->A, 0, (size_t)qb * D * sizeof(double));

  for (int64_t j0 = 0; j0 < x->Npad; j0 += NB) {
    int nb = (int)(x->Npad - j0 < NB ? x->Npad - j0 : NB);
    const float *Zb = x->Z + j0 * D;
    /* G = Y · Zbᵀ */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, qb, nb, D, 1.0f, w->Y, D, Zb, D, 0.0f, w->G, nb);
    block_weights(qb, nb, D, w->G, w->Y, w->yy, Zb, x->zz + j0, x->zzmax[j0 / NB], inv2s2, w->m, w->S,
                  w->fac);
    if (!score) continue;
    /* C = E · Zb, then A = A·fac + C */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, qb, D, nb, 1.0f, w->G, nb, Zb, D, 0.0f, w->C, D);
    for (int b = 0; b < qb; b++) {
      double f = w->fac[b];
      double *A = w->A + (size_t)b * D;
      const float *C = w->C + (size_t)b * D;
      if (f == 1.0)
        for (int k = 0; k < D; k++) A[k] += C[k];
      else
        for (int k = 0; k < D; k++) A[k] = A[k] * f + C[k];
    }
  }

  const double logN = log((double)x->N);
  const double lognorm = 0.5 * D * log(2 * M_PI * s2) - x->half_logdet;
  for (int b = 0; b < qb; b++) {
    if (!isfinite(w->yy[b])) { /* a non-finite query gives NaN, never a plausible number */
      if (d) d[b] = NAN;
      if (logp) logp[b] = NAN;
      if (score)
        for (int k = 0; k < D; k++) score[(size_t)b * D + k] = NAN;
      continue;
    }
    /* METHOD §2: d_σ = −σ² log Σ exp(−r/(2σ²)) = m/2 − σ² log S */
    double ds = 0.5 * (double)w->m[b] - s2 * log(w->S[b]);
    if (d) d[b] = (float)ds;
    if (logp) logp[b] = (float)(-ds / s2 - logN - lognorm);
    if (score) {
      /* METHOD §2: ∇log p_σ = Σ π_i (z_i − z)/σ², in the scaled coordinates then times √w */
      double invS = 1.0 / w->S[b];
      for (int k = 0; k < D; k++) {
        double diff = w->A[(size_t)b * D + k] * invS - (double)w->Y[b * D + k];
        score[(size_t)b * D + k] = (float)(diff / s2 * x->sqrtw[k]);
      }
    }
  }
}

void dist_eval(const dist_index *x, dist_ws *w, int B, const float *q, float sigma, float *d, float *logp,
               float *score) {
  const int D = x->D;
  for (int b0 = 0; b0 < B; b0 += QB) {
    int qb = B - b0 < QB ? B - b0 : QB;
    eval_chunk(x, w, qb, q + (size_t)b0 * D, sigma, d ? d + b0 : NULL, logp ? logp + b0 : NULL,
               score ? score + (size_t)b0 * D : NULL);
  }
}
