/* Statistics for result tables (see stats.h). References: the incomplete beta continued fraction
 * (Abramowitz & Stegun 26.5.8, evaluated with the modified Lentz method), the t CDF through
 * I_x(ν/2, 1/2) with x = ν/(ν + t²) (A&S 26.7.1 / 26.5.27), Welch (1947) for the unequal-variance
 * test and the Welch–Satterthwaite degrees of freedom. */
#include "bench/stats.h"

#include <math.h>

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
