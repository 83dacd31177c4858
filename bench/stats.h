/* Statistics for result tables and comparisons: summaries with Student-t confidence intervals and
 * Welch's unequal-variance t-test; the rliable-style estimates the tables report (below). The t distribution is computed from the regularised incomplete
 * beta function (no tables), so any (also fractional, Welch–Satterthwaite) degrees of freedom work.
 * All functions are pure and deterministic (values are summed in the order given). */
#ifndef SGP_BENCH_STATS_H
#define SGP_BENCH_STATS_H

#include <stdint.h>

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

/* ------------------------------------------------------------------ rliable-style statistics
 * (Agarwal et al., "Deep RL at the edge of the statistical precipice", NeurIPS 2021): interquartile
 * mean, stratified bootstrap confidence intervals, probability of improvement, performance
 * profiles; Wilson intervals for proportions; an exact permutation test for differences. */

/* Interquartile mean: the mean of the sorted x with floor(n/4) values dropped at each end (as
 * scipy.stats.trim_mean(x, 0.25)). Non-finite values are skipped; NaN when none is left. */
double stats_iqm(const double *x, int n);
/* Mean of the finite values (NaN when none). */
double stats_mean(const double *x, int n);
/* Standard normal quantile: Φ⁻¹(p), 0 < p < 1 (bisection on erfc to full double precision). */
double stats_normal_quantile(double p);
/* Wilson score interval of a proportion k/n at confidence `level`; lo = hi = NaN when n = 0. */
void stats_wilson(int k, int n, double level, double *lo, double *hi);
/* Probability of improvement P(X > Y) + ½ P(X = Y) between two samples (the Mann–Whitney
 * statistic U / (nx·ny)); NaN when a side is empty. */
double stats_prob_improvement(const double *x, int nx, const double *y, int ny);

/* A statistic of values x[0..n) (ctx: its parameters). */
typedef double (*stats_fn)(const double *x, int n, void *ctx);
double stats_fn_iqm(const double *x, int n, void *ctx);
double stats_fn_mean(const double *x, int n, void *ctx);
/* ctx: a double τ; the fraction of x above τ (a point of a performance profile). */
double stats_fn_above(const double *x, int n, void *ctx);

/* Values grouped in clusters (a seed: its episodes ride along) within strata (a row, a task):
 * x[i] belongs to cluster[i] (0-based, dense within the whole sample) and stratum[i] (NULL: one
 * stratum). The stratified bootstrap draws, within every stratum, as many clusters as it has,
 * uniformly with replacement, each bringing all its values; `fn` of every resample; the percentile
 * interval at `level` (linear interpolation between order statistics, as numpy.percentile).
 * Deterministic for a given seed (sgp_rng stream "bootstrap"). lo = hi = NaN without values. */
void stats_bootstrap_ci(const double *x, const int *cluster, const int *stratum, int n, stats_fn fn, void *ctx,
                        int B, double level, uint64_t seed, double *lo, double *hi);

/* Two-sided permutation test of a difference of means between a[0..na) and b[0..nb) (one value
 * per independent unit, e.g. a seed's mean): the fraction of the C(na+nb, na) relabellings whose
 * |mean difference| is at least the observed one, exact while there are at most 200 000 of them,
 * else from 100 000 random relabellings (sgp_rng stream "permutation" of seed) as (1 + count) /
 * (1 + M). Returns NaN when a side is empty; 1 when both samples are constant and equal. */
double stats_permutation_p(const double *a, int na, const double *b, int nb, uint64_t seed);

#endif
