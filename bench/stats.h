/* Statistics for result tables and comparisons: summaries with Student-t confidence intervals and
 * Welch's unequal-variance t-test. The t distribution is computed from the regularised incomplete
 * beta function (no tables), so any (also fractional, Welch–Satterthwaite) degrees of freedom work.
 * All functions are pure and deterministic (values are summed in the order given). */
#ifndef SGP_BENCH_STATS_H
#define SGP_BENCH_STATS_H

/* Regularised incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1 (continued fraction, modified Lentz).
 * Returns NaN for arguments outside the domain. */
double stats_betai(double a, double b, double x);
/* CDF of Student's t with dof > 0 degrees of freedom: P(T <= t). */
double stats_t_cdf(double t, double dof);
/* Quantile: the t with P(T <= t) = p, 0 < p < 1 (bisection on the CDF to full double precision). */
double stats_t_quantile(double p, double dof);

typedef struct stats_summary {
  int n;          /* number of finite values used */
  double mean;    /* NaN when n == 0 */
  double sd;      /* sample standard deviation (n − 1 in the denominator); NaN when n < 2 */
  double se;      /* standard error sd/√n; NaN when n < 2 */
  double half;    /* half-width of the two-sided confidence interval t_{(1+level)/2, n−1}·se */
  double lo, hi;  /* mean ∓ half; NaN when n < 2 */
} stats_summary;

/* Summary of x[0..n) at confidence `level` (0.95). Non-finite values are skipped. */
void stats_summarize(const double *x, int n, double level, stats_summary *out);

typedef struct stats_welch {
  int valid;      /* 0 when a side has fewer than 2 values */
  double diff;    /* mean_b − mean_a */
  double t;       /* diff / √(s_a²/n_a + s_b²/n_b) (±inf when both variances are 0 and diff ≠ 0) */
  double dof;     /* Welch–Satterthwaite; NaN when both variances are 0 */
  double p;       /* two-sided p-value */
} stats_welch;

/* Welch's t-test of b against a from their summaries (mean, sd, n). */
void stats_welch_test(const stats_summary *a, const stats_summary *b, stats_welch *out);

#endif
