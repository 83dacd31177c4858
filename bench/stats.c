/* Statistics for result tables (see stats.h). References: the incomplete beta continued fraction
 * (Abramowitz & Stegun 26.5.8, evaluated with the modified Lentz method), the t CDF through
 * I_x(ν/2, 1/2) with x = ν/(ν + t²) (A&S 26.7.1 / 26.5.27), Welch (1947) for the unequal-variance
 * test and the Welch–Satterthwaite degrees of freedom. */
#include "bench/stats.h"
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Continued fraction for I_x(a,b), valid (fast) for x < (a+1)/(a+b+2). */
static double betacf(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-16;
  double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0, d = 1.0 - qab * x / qap;
  if (fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; m++) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (fabs(d) < tiny) d = tiny;
    c = 1.0 + aa / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1.0) < eps) break;
  }
  return h;
}

double stats_betai(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return NAN;
  if (x == 0) return 0.0;
  if (x == 1) return 1.0;
  double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
  if (x < (a + 1.0) / (a + b + 2.0)) return exp(lbt) * betacf(a, b, x) / a;
  return 1.0 - exp(lbt) * betacf(b, a, 1.0 - x) / b;
}

double stats_t_cdf(double t, double dof) {
  if (!(dof > 0) || isnan(t)) return NAN;
  if (isinf(t)) return t > 0 ? 1.0 : 0.0;
  /* P(|T| > |t|) = I_{ν/(ν+t²)}(ν/2, 1/2) */
  double tail = stats_betai(0.5 * dof, 0.5, dof / (dof + t * t));
  return t >= 0 ? 1.0 - 0.5 * tail : 0.5 * tail;
}

double stats_t_quantile(double p, double dof) {
  if (!(p > 0) || !(p < 1) || !(dof > 0)) return NAN;
  if (p == 0.5) return 0.0;
  if (p < 0.5) return -stats_t_quantile(1.0 - p, dof);
  /* bracket [lo, hi] with cdf(lo) < p <= cdf(hi), then bisect until the interval stops shrinking */
  double lo = 0.0, hi = 1.0;
  while (stats_t_cdf(hi, dof) < p) {
    lo = hi;
    hi *= 2.0;
    if (hi > 1e300) return INFINITY;
  }
  for (int i = 0; i < 2000; i++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (stats_t_cdf(mid, dof) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

void stats_summarize(const double *x, int n, double level, stats_summary *out) {
  int m = 0;
  double sum = 0.0;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i])) {
      sum += x[i];
      m++;
    }
  out->n = m;
  out->mean = m > 0 ? sum / m : NAN;
  out->sd = out->se = out->half = out->lo = out->hi = NAN;
  if (m < 2) return;
  double ss = 0.0;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i])) ss += (x[i] - out->mean) * (x[i] - out->mean);
  out->sd = sqrt(ss / (m - 1));
  out->se = out->sd / sqrt((double)m);
  out->half = stats_t_quantile(0.5 * (1.0 + level), m - 1) * out->se;
  out->lo = out->mean - out->half;
  out->hi = out->mean + out->half;
}

void stats_welch_test(const stats_summary *a, const stats_summary *b, stats_welch *out) {
  out->valid = 0;
  out->diff = b->mean - a->mean;
  out->t = out->dof = out->p = NAN;
  if (a->n < 2 || b->n < 2) return;
  out->valid = 1;
  double va = a->sd * a->sd / a->n, vb = b->sd * b->sd / b->n;
  double v = va + vb;
  if (v == 0) {
    /* both samples constant: the difference is exact */
    out->t = out->diff == 0 ? 0.0 : (out->diff > 0 ? INFINITY : -INFINITY);
    out->p = out->diff == 0 ? 1.0 : 0.0;
    return;
  }
  out->t = out->diff / sqrt(v);
  out->dof = v * v / (va * va / (a->n - 1) + vb * vb / (b->n - 1));
  out->p = 2.0 * stats_t_cdf(-fabs(out->t), out->dof);
}

/* ============================== rliable-style statistics ==================================== */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

double stats_mean(const double *x, int n) {
  double s = 0;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i])) s += x[i], m++;
  return m ? s / m : NAN;
}

double stats_iqm(const double *x, int n) {
  double *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1));
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i])) v[m++] = x[i];
  double r = NAN;
  if (m > 0) {
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    int cut = m / 4; /* scipy.stats.trim_mean: int(0.25 · n) from each end */
    double s = 0;
    for (int i = cut; i < m - cut; i++) s += v[i];
    r = s / (m - 2 * cut);
  }
  free(v);
  return r;
}

double stats_normal_quantile(double p) {
  if (!(p > 0) || !(p < 1)) return NAN;
  if (p == 0.5) return 0;
  if (p < 0.5) return -stats_normal_quantile(1 - p);
  /* Φ(x) = ½ erfc(−x/√2); bisection on [0, 40] until the interval stops shrinking */
  double lo = 0, hi = 40;
  for (int i = 0; i < 2000; i++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (0.5 * erfc(-mid / M_SQRT2) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

void stats_wilson(int k, int n, double level, double *lo, double *hi) {
  if (n <= 0 || k < 0 || k > n) {
    *lo = *hi = NAN;
    return;
  }
  double z = stats_normal_quantile(0.5 * (1 + level)), p = (double)k / n, z2n = z * z / n;
  double centre = (p + 0.5 * z2n) / (1 + z2n);
  double half = z / (1 + z2n) * sqrt(p * (1 - p) / n + z2n / (4.0 * n));
  *lo = fmax(0, centre - half);
  *hi = fmin(1, centre + half);
  if (k == 0) *lo = 0; /* exact ends (the formula's rounding) */
  if (k == n) *hi = 1;
}

double stats_prob_improvement(const double *x, int nx, const double *y, int ny) {
  double s = 0;
  int m = 0;
  for (int i = 0; i < nx; i++) {
    if (!isfinite(x[i])) continue;
    for (int j = 0; j < ny; j++) {
      if (!isfinite(y[j])) continue;
      s += x[i] > y[j] ? 1.0 : x[i] == y[j] ? 0.5 : 0.0;
      m++;
    }
  }
  return m ? s / m : NAN;
}

double stats_fn_iqm(const double *x, int n, void *ctx) {
  (void)ctx;
  return stats_iqm(x, n);
}

double stats_fn_mean(const double *x, int n, void *ctx) {
  (void)ctx;
  return stats_mean(x, n);
}

double stats_fn_above(const double *x, int n, void *ctx) {
  double tau = *(const double *)ctx;
  int m = 0, k = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i])) m++, k += x[i] > tau;
  return m ? (double)k / m : NAN;
}

/* numpy.percentile's default: linear interpolation between the order statistics of sorted v */
static double percentile(const double *v, int n, double q) {
  double pos = q * (n - 1);
  int i = (int)floor(pos);
  if (i >= n - 1) return v[n - 1];
  return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

void stats_bootstrap_ci(const double *x, const int *cluster, const int *stratum, int n, stats_fn fn, void *ctx,
                        int B, double level, uint64_t seed, double *lo, double *hi) {
  *lo = *hi = NAN;
  if (n <= 0 || B <= 0) return;
  /* clusters: their stratum and their values (indices into x, in order) */
  int nc = 0;
  for (int i = 0; i < n; i++)
    if (cluster[i] + 1 > nc) nc = cluster[i] + 1;
  int *cstr = malloc(sizeof *cstr * (size_t)nc), *csize = calloc((size_t)nc, sizeof *csize);
  int *cstart = malloc(sizeof *cstart * (size_t)(nc + 1)), *idx = malloc(sizeof *idx * (size_t)n);
  for (int c = 0; c < nc; c++) cstr[c] = -1;
  for (int i = 0; i < n; i++) csize[cluster[i]]++, cstr[cluster[i]] = stratum ? stratum[i] : 0;
  cstart[0] = 0;
  for (int c = 0; c < nc; c++) cstart[c + 1] = cstart[c] + csize[c];
  int *fill = calloc((size_t)nc, sizeof *fill);
  for (int i = 0; i < n; i++) idx[cstart[cluster[i]] + fill[cluster[i]]++] = i;
  /* the clusters of each stratum, in order */
  int ns = 0;
  for (int c = 0; c < nc; c++)
    if (cstr[c] + 1 > ns) ns = cstr[c] + 1;
  int *members = malloc(sizeof *members * (size_t)(nc ? nc : 1)), *sstart = calloc((size_t)ns + 1, sizeof *sstart);
  for (int c = 0; c < nc; c++)
    if (cstr[c] >= 0) sstart[cstr[c] + 1]++;
  for (int s = 0; s < ns; s++) sstart[s + 1] += sstart[s];
  int *sfill = calloc((size_t)(ns ? ns : 1), sizeof *sfill);
  for (int c = 0; c < nc; c++)
    if (cstr[c] >= 0) members[sstart[cstr[c]] + sfill[cstr[c]]++] = c;
  double *buf = malloc(sizeof *buf * (size_t)n * 4 + 64), *stat = malloc(sizeof *stat * (size_t)B);
  size_t cap = (size_t)n * 4 + 8;
  sgp_rng r;
  sgp_rng_stream(&r, seed, "bootstrap");
  int nb = 0;
  for (int b = 0; b < B; b++) {
    size_t m = 0;
    for (int s = 0; s < ns; s++) {
      int k = sstart[s + 1] - sstart[s];
      for (int d = 0; d < k; d++) {
        int c = members[sstart[s] + (int)sgp_rng_below(&r, (uint64_t)k)];
        if (m + (size_t)csize[c] > cap) {
          cap = 2 * (m + (size_t)csize[c]);
          buf = realloc(buf, sizeof *buf * cap);
        }
        for (int q = 0; q < csize[c]; q++) buf[m++] = x[idx[cstart[c] + q]];
      }
    }
    double v = fn(buf, (int)m, ctx);
    if (isfinite(v)) stat[nb++] = v;
  }
  if (nb > 0) {
    qsort(stat, (size_t)nb, sizeof *stat, cmp_double);
    *lo = percentile(stat, nb, 0.5 * (1 - level));
    *hi = percentile(stat, nb, 0.5 * (1 + level));
  }
  free(cstr), free(csize), free(cstart), free(idx), free(fill), free(members), free(sstart), free(sfill);
  free(buf), free(stat);
}

/* The sum of the values of one side over every subset of size k of v[0..n) (lexicographic
 * enumeration of index combinations); counts those with |mean diff| >= the observed one. */
static double perm_exact(const double *v, int n, int k, double total, double obs, double tol, long *count) {
  int *c = malloc(sizeof *c * (size_t)k);
  for (int i = 0; i < k; i++) c[i] = i;
  long ext = 0, all = 0;
  for (;;) {
    double sa = 0;
    for (int i = 0; i < k; i++) sa += v[c[i]];
    double d = sa / k - (total - sa) / (n - k);
    if (fabs(d) >= obs - tol) ext++;
    all++;
    int i = k - 1;
    while (i >= 0 && c[i] == n - k + i) i--;
    if (i < 0) break;
    c[i]++;
    for (int j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
  }
  free(c);
  *count = all;
  return (double)ext / all;
}

double stats_permutation_p(const double *a, int na, const double *b, int nb, uint64_t seed) {
  int n = 0;
  double *v = malloc(sizeof *v * (size_t)(na + nb + 1));
  int ka = 0, kb = 0;
  for (int i = 0; i < na; i++)
    if (isfinite(a[i])) v[n++] = a[i], ka++;
  for (int i = 0; i < nb; i++)
    if (isfinite(b[i])) v[n++] = b[i], kb++;
  if (!ka || !kb) {
    free(v);
    return NAN;
  }
  double total = 0, sa = 0, scale = 0;
  for (int i = 0; i < n; i++) total += v[i], scale = fmax(scale, fabs(v[i]));
  for (int i = 0; i < ka; i++) sa += v[i];
  double obs = fabs(sa / ka - (total - sa) / kb), tol = 1e-12 * (scale > 0 ? scale : 1);
  /* C(n, ka), stopping once it exceeds the exact limit */
  double comb = 1;
  for (int i = 1; i <= ka && comb <= 2e5; i++) comb = comb * (n - ka + i) / i;
  double p;
  if (comb <= 2e5) {
    long cnt;
    p = perm_exact(v, n, ka, total, obs, tol, &cnt);
  } else {
    const int M = 100000;
    int *perm = malloc(sizeof *perm * (size_t)n);
    sgp_rng r;
    sgp_rng_stream(&r, seed, "permutation");
    long ext = 0;
    for (int m = 0; m < M; m++) {
      sgp_rng_permutation(&r, perm, n);
      double s = 0;
      for (int i = 0; i < ka; i++) s += v[perm[i]];
      if (fabs(s / ka - (total - s) / kb) >= obs - tol) ext++;
    }
    free(perm);
    p = (1.0 + ext) / (1.0 + M);
  }
  free(v);
  return p;
}
