// ctest-labels: unit agents
/* Exact smoothed distance (METHOD §2) against independent references:
 *  - the vectorised exp against libm's exp in double;
 *  - the METHOD §2 identity in double: the softmax-weighted score equals central finite differences
 *    of log p_σ and −∇d_σ/σ²;
 *  - the blocked two-gemm computation against a naive double loop (with max-subtracted
 *    log-sum-exp), over N (incl. not a multiple of the block), D, σ (incl. small σ), with and
 *    without a metric;
 *  - property 1: gradient descent on d_σ with σ annealed 0.5 -> 0.01 ends on a data point. */
#include "testutil.h"

#include "agents/models.h"

#include <math.h>
#include <stdlib.h>

/* ---------------- naive double reference ---------------- */
typedef struct ref_out {
  double d, logp;
  double score[64];
} ref_out;

static void ref_eval(const float *Z, int N, int D, const float *w, const double *z, double sigma, ref_out *o) {
  double s2 = sigma * sigma, mn = INFINITY;
  double *r = malloc(sizeof(double) * N);
  for (int i = 0; i < N; i++) {
    double s = 0;
    for (int k = 0; k < D; k++) {
      double t = z[k] - Z[i * D + k];
      s += (w ? w[k] : 1.0) * t * t;
    }
    r[i] = s;
    if (s < mn) mn = s;
  }
  double S = 0, A[64] = {0};
  for (int i = 0; i < N; i++) {
    double p = exp(-(r[i] - mn) / (2 * s2));
    S += p;
    for (int k = 0; k < D; k++) A[k] += p * (Z[i * D + k] - z[k]);
  }
  o->d = mn / 2 - s2 * log(S);
  double hld = 0;
  for (int k = 0; k < D; k++) hld += 0.5 * log(w ? w[k] : 1.0);
  o->logp = -o->d / s2 - log((double)N) - 0.5 * D * log(2 * M_PI * s2) + hld;
  for (int k = 0; k < D; k++) o->score[k] = (w ? w[k] : 1.0) * A[k] / S / s2;
  free(r);
}

static void test_exp(void) {
  int n = 1 << 20;
  float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
  for (int i = 0; i < n; i++) x[i] = -87.0f * (float)i / (float)(n - 1);
  x[7] = 0.0f;
  dist_expf_neg(x, y, n);
  double worst = 0;
  for (int i = 0; i < n; i++) {
    double e = fabs(y[i] - exp((double)x[i])) / exp((double)x[i]);
    if (e > worst) worst = e;
  }
  CHECK_WORST("vectorised exp on [-87, 0], relative to libm (double)", worst, 2.5e-7);
  float xs[11] = {-87.5f, -100.f, -1e30f, -INFINITY, 0.0f, -0.0f, -1.0f, -20.0f, -87.2f, -0.5f, -1e-8f};
  float ys[11];
  dist_expf_neg(xs, ys, 11); /* also the scalar tail path (11 = 8 + 3) */
  CHECK(ys[0] == 0 && ys[1] == 0 && ys[2] == 0 && ys[3] == 0, "exp below -87.3 must be 0");
  CHECK(ys[4] == 1.0f && ys[5] == 1.0f, "exp(0) must be 1, got %.9g %.9g", ys[4], ys[5]);
  double wt = 0;
  for (int i = 6; i < 11; i++) wt = fmax(wt, fabs(ys[i] - exp((double)xs[i])) / exp((double)xs[i]));
  CHECK_WORST("vectorised exp tail lanes", wt, 2.5e-7);
  free(x);
  free(y);
}

/* METHOD §2 identity in double, independent of the library. */
static void test_identity(void) {
  sgp_rng r;
  sgp_rng_stream(&r, 11, "data");
  int N = 40, D = 3;
  float Z[120], w[3] = {1.0f, 4.0f, 0.25f};
  for (int i = 0; i < N * D; i++) Z[i] = (float)sgp_rng_uniform(&r) * 2 - 1;
  double worst_lp = 0, worst_d = 0;
  const double sigmas[3] = {0.5, 0.2, 0.08};
  for (int use_w = 0; use_w < 2; use_w++)
    for (int si = 0; si < 3; si++)
      for (int t = 0; t < 20; t++) {
        double z[3], h = 1e-5;
        for (int k = 0; k < D; k++) z[k] = sgp_rng_uniform(&r) * 2.4 - 1.2;
        ref_out o;
        ref_eval(Z, N, D, use_w ? w : NULL, z, sigmas[si], &o);
        double s2 = sigmas[si] * sigmas[si], nrm = 0, e_lp = 0, e_d = 0;
        for (int k = 0; k < D; k++) nrm += o.score[k] * o.score[k];
        nrm = sqrt(nrm);
        for (int k = 0; k < D; k++) {
          double zp[3] = {z[0], z[1], z[2]}, zm[3] = {z[0], z[1], z[2]};
          zp[k] += h;
          zm[k] -= h;
          ref_out op, om;
          ref_eval(Z, N, D, use_w ? w : NULL, zp, sigmas[si], &op);
          ref_eval(Z, N, D, use_w ? w : NULL, zm, sigmas[si], &om);
          double g_lp = (op.logp - om.logp) / (2 * h);
          double g_d = -(op.d - om.d) / (2 * h) / s2;
          e_lp = fmax(e_lp, fabs(g_lp - o.score[k]));
          e_d = fmax(e_d, fabs(g_d - o.score[k]));
        }
        worst_lp = fmax(worst_lp, e_lp / fmax(nrm, 1.0));
        worst_d = fmax(worst_d, e_d / fmax(nrm, 1.0));
      }
  CHECK_WORST("softmax score vs central differences of log p (double, relative)", worst_lp, 1e-6);
  CHECK_WORST("-grad d / sigma^2 vs softmax score (double, relative)", worst_d, 1e-6);
}

/* Blocked gemm computation vs the naive double loop. */
static void test_blocked(void) {
  const int Ns[] = {1, 37, 1000, 2600};
  const int Ds[] = {1, 3, 16};
  const double sigmas[] = {2.0, 0.3, 0.03, 0.003};
  double worst_d = 0, worst_s = 0, worst_lp = 0;
  char wd[160] = "", ws_[160] = "";
  sgp_rng r;
  sgp_rng_stream(&r, 5, "data");
  for (int ni = 0; ni < 4; ni++)
    for (int di = 0; di < 3; di++)
      for (int use_w = 0; use_w < 2; use_w++) {
        int N = Ns[ni], D = Ds[di];
        int B = (ni == 2 && di == 2) ? 600 : 64; /* one case with several query chunks */
        float *Z = malloc(sizeof(float) * N * D), *Q = malloc(sizeof(float) * B * D), w[16];
        /* data uniform in [9, 11]^D: far from the origin, to exercise the centring */
        for (int i = 0; i < N * D; i++) Z[i] = 10.0f + (float)(sgp_rng_uniform(&r) * 2 - 1);
        for (int k = 0; k < D; k++) w[k] = (float)(0.3 + 2.0 * sgp_rng_uniform(&r));
        sgp_err e;
        dist_index *idx = dist_create(Z, N, D, use_w ? w : NULL, &e);
        CHECK(idx != NULL, "dist_create: %s", e.msg);
        if (!idx) continue;
        dist_ws *ws = dist_ws_create(idx);
        float *d = malloc(sizeof(float) * B), *lp = malloc(sizeof(float) * B), *s = malloc(sizeof(float) * B * D);
        for (int si = 0; si < 4; si++) {
          double sigma = sigmas[si];
          for (int b = 0; b < B; b++) {
            int kind = b % 3, i = (int)sgp_rng_below(&r, (uint64_t)N);
            for (int k = 0; k < D; k++) {
              double v;
              if (kind == 0) v = Z[i * D + k] + 0.5 * sigma * sgp_rng_normal(&r); /* near data */
              else if (kind == 1) v = 10.0 + 1.5 * (sgp_rng_uniform(&r) * 2 - 1); /* in the box */
              else v = 10.0 + 6.0 * (sgp_rng_uniform(&r) * 2 - 1);               /* far */
              Q[b * D + k] = (float)v;
            }
          }
          dist_eval(idx, ws, B, Q, (float)sigma, d, lp, s);
          for (int b = 0; b < B; b++) {
            double z[16];
            for (int k = 0; k < D; k++) z[k] = Q[b * D + k];
            ref_out o;
            ref_eval(Z, N, D, use_w ? w : NULL, z, sigma, &o);
            double s2 = sigma * sigma;
            /* d: relative, floored at σ² (an error of σ² in d is an error of 1 in log p) */
            double ed = fabs(d[b] - o.d) / fmax(fabs(o.d), s2);
            double elp = fabs(lp[b] - o.logp) / fmax(fabs(o.logp), 1.0);
            double num = 0, den = 0;
            for (int k = 0; k < D; k++) {
              num += (s[b * D + k] - o.score[k]) * (s[b * D + k] - o.score[k]);
              den += o.score[k] * o.score[k];
            }
            /* score: relative, floored at 1/σ (the size of the score one σ away from a point) */
            double es = sqrt(num) / fmax(sqrt(den), 1.0 / sigma);
            if (ed > worst_d) {
              worst_d = ed;
              snprintf(wd, sizeof wd, "N=%d D=%d sigma=%g metric=%d query kind %d", N, D, sigma, use_w, b % 3);
            }
            if (es > worst_s) {
              worst_s = es;
              snprintf(ws_, sizeof ws_, "N=%d D=%d sigma=%g metric=%d query kind %d", N, D, sigma, use_w, b % 3);
            }
            worst_lp = fmax(worst_lp, elp);
          }
        }
        free(d);
        free(lp);
        free(s);
        dist_ws_free(ws);
        dist_free(idx);
        free(Z);
        free(Q);
      }
  printf("worst d error at %s\nworst score error at %s\n", wd, ws_);
  CHECK_WORST("blocked d_sigma vs naive double (relative, floor sigma^2)", worst_d, 1e-3);
  CHECK_WORST("blocked log p vs naive double (relative, floor 1)", worst_lp, 1e-3);
  CHECK_WORST("blocked score vs naive double (relative, floor 1/sigma)", worst_s, 1e-3);
}

/* Property 1 (METHOD §2): gradient descent on d_σ with σ annealed towards 0 lands on data. */
static void test_descent(void) {
  sgp_rng r;
  sgp_rng_stream(&r, 3, "data");
  const int cases[3][2] = {{3, 1}, {50, 2}, {200, 5}}; /* (N, D) */
  double worst = 0;
  for (int c = 0; c < 3; c++) {
    int N = cases[c][0], D = cases[c][1], B = 100;
    float *Z = malloc(sizeof(float) * N * D), *q = malloc(sizeof(float) * B * D), *s = malloc(sizeof(float) * B * D);
    if (N == 3) {
      Z[0] = -1.0f, Z[1] = 0.0f, Z[2] = 1.5f;
    } else {
      for (int i = 0; i < N * D; i++) Z[i] = (float)(sgp_rng_uniform(&r) * 2 - 1);
    }
    for (int i = 0; i < B * D; i++) q[i] = (float)(sgp_rng_uniform(&r) * 3 - 1.5);
    dist_index *idx = dist_create(Z, N, D, NULL, NULL);
    dist_ws *ws = dist_ws_create(idx);
    const int iters = 300;
    for (int it = 0; it <= iters + 50; it++) {
      double t = it < iters ? (double)it / iters : 1.0;
      float sigma = (float)(0.5 * pow(0.01 / 0.5, t)); /* geometric 0.5 -> 0.01 */
      dist_eval(idx, ws, B, q, sigma, NULL, NULL, s);
      /* z <- z − η ∇d_σ, ∇d_σ = −σ² score (METHOD §2); η = 0.5 */
      for (int i = 0; i < B * D; i++) q[i] += 0.5f * sigma * sigma * s[i];
    }
    double wc = 0;
    for (int b = 0; b < B; b++) {
      double best = INFINITY;
      for (int i = 0; i < N; i++) {
        double s2 = 0;
        for (int k = 0; k < D; k++) s2 += (q[b * D + k] - Z[i * D + k]) * (q[b * D + k] - Z[i * D + k]);
        best = fmin(best, sqrt(s2));
      }
      wc = fmax(wc, best);
    }
    printf("descent N=%d D=%d: farthest final point is %.4g from the data\n", N, D, wc);
    worst = fmax(worst, wc);
    dist_ws_free(ws);
    dist_free(idx);
    free(Z);
    free(q);
    free(s);
  }
  CHECK_WORST("annealed descent on d_sigma: distance to the nearest data point", worst, 0.02);
}

static void test_errors(void) {
  sgp_err e;
  float Z[4] = {0, 1, NAN, 2}, w[2] = {1, -1};
  CHECK(dist_create(Z, 2, 2, NULL, &e) == NULL, "non-finite data must be rejected");
  printf("error message: %s\n", e.msg);
  Z[2] = 0;
  CHECK(dist_create(Z, 2, 2, w, &e) == NULL, "negative metric must be rejected");
  printf("error message: %s\n", e.msg);
  CHECK(dist_create(Z, 0, 2, NULL, &e) == NULL, "empty data must be rejected");
  /* a non-finite query gives NaN outputs (and leaves its neighbours in the batch alone) */
  dist_index *idx = dist_create(Z, 2, 2, NULL, &e);
  dist_ws *ws = dist_ws_create(idx);
  float q[6] = {0.5f, 0.5f, NAN, 0.0f, INFINITY, 1.0f}, d[3], lp[3], s[6];
  dist_eval(idx, ws, 3, q, 0.5f, d, lp, s);
  CHECK(isfinite(d[0]) && isfinite(lp[0]) && isfinite(s[0]) && isfinite(s[1]), "finite query, finite outputs");
  CHECK(isnan(d[1]) && isnan(lp[1]) && isnan(s[2]) && isnan(s[3]), "NaN query must give NaN");
  CHECK(isnan(d[2]) && isnan(lp[2]) && isnan(s[4]) && isnan(s[5]), "infinite query must give NaN");
  dist_ws_free(ws);
  dist_free(idx);
}

int main(void) {
  test_exp();
  test_identity();
  test_blocked();
  test_descent();
  test_errors();
  return tu_done("test_distance");
}
