// ctest-labels: unit bench
/* bench/stats.c against independent references: closed forms of the incomplete beta and of the t
 * distribution for ν = 1, 2 (Cauchy and the ν = 2 closed form), tabulated two-sided 95 % / 99 %
 * critical values, sample statistics computed by hand, and Welch's test against hand-computed
 * t and degrees of freedom with the p-value from Simpson integration of the t density in double. */
#include "testutil.h"

#include "bench/stats.c"

#include <math.h>

/* density of Student's t */
static double t_pdf(double x, double nu) {
  return exp(lgamma(0.5 * (nu + 1)) - lgamma(0.5 * nu) - 0.5 * log(nu * M_PI) -
             0.5 * (nu + 1) * log1p(x * x / nu));
}

/* P(T <= t) for t >= 0 by composite Simpson on [0, t] (an independent reference) */
static double t_cdf_simpson(double t, double nu) {
  int n = 200000;
  double h = t / n, s = t_pdf(0, nu) + t_pdf(t, nu);
  for (int i = 1; i < n; i++) s += (i & 1 ? 4 : 2) * t_pdf(i * h, nu);
  return 0.5 + s * h / 3;
}

int main(void) {
  /* ---- incomplete beta: closed forms I_x(1,b) = 1-(1-x)^b, I_x(a,1) = x^a,
   *      I_x(2,3) = 1 - (1-x)^4 (1+4x) ... use the binomial sum: I_x(a,b) = P(Bin(a+b-1,x) >= a) */
  double worst = 0;
  for (int i = 0; i <= 20; i++) {
    double x = i / 20.0;
    double r1 = stats_betai(1, 3.5, x), w1 = 1 - pow(1 - x, 3.5);
    double r2 = stats_betai(2.5, 1, x), w2 = pow(x, 2.5);
    /* a=2, b=3: n = 4, P(Bin(4,x) >= 2) */
    double w3 = 0;
    for (int k = 2; k <= 4; k++) {
      double c = k == 2 ? 6 : k == 3 ? 4 : 1;
      w3 += c * pow(x, k) * pow(1 - x, 4 - k);
    }
    double r3 = stats_betai(2, 3, x);
    worst = fmax(worst, fmax(fabs(r1 - w1), fmax(fabs(r2 - w2), fabs(r3 - w3))));
  }
  CHECK_WORST("betai vs closed forms (21 points x 3)", worst, 1e-13);
  CHECK(isnan(stats_betai(-1, 1, 0.5)) && isnan(stats_betai(1, 1, 1.5)), "betai domain");

  /* ---- t CDF: ν = 1 is Cauchy 1/2 + atan(t)/π; ν = 2 is 1/2 + t / (2 √(2 + t²)) */
  worst = 0;
  for (int i = -40; i <= 40; i++) {
    double t = i * 0.25;
    worst = fmax(worst, fabs(stats_t_cdf(t, 1) - (0.5 + atan(t) / M_PI)));
    worst = fmax(worst, fabs(stats_t_cdf(t, 2) - (0.5 + t / (2 * sqrt(2 + t * t)))));
  }
  CHECK_WORST("t cdf nu=1,2 vs closed forms", worst, 1e-13);
  worst = 0;
  for (double nu = 3; nu <= 31; nu += 7)
    for (double t = 0.3; t < 5; t += 1.1) worst = fmax(worst, fabs(stats_t_cdf(t, nu) - t_cdf_simpson(t, nu)));
  worst = fmax(worst, fabs(stats_t_cdf(1.7, 5.52) - t_cdf_simpson(1.7, 5.52)));
  CHECK_WORST("t cdf vs Simpson integration of the density (nu 3..31, 5.52)", worst, 1e-11);

  /* ---- quantiles: closed forms, then tabulated critical values (3 decimals) */
  CHECK_CLOSE("t_{0.975,1} = tan(0.475 pi)", stats_t_quantile(0.975, 1), tan(0.475 * M_PI), 1e-9);
  CHECK_CLOSE("t_{0.975,2} = 0.95/sqrt(2*0.975*0.025)", stats_t_quantile(0.975, 2),
              0.95 / sqrt(2 * 0.975 * 0.025), 1e-9);
  static const struct { double p, nu, want; } tab[] = {
      {0.975, 1, 12.706}, {0.975, 2, 4.303},  {0.975, 3, 3.182},  {0.975, 4, 2.776},
      {0.975, 5, 2.571},  {0.975, 9, 2.262},  {0.975, 10, 2.228}, {0.975, 30, 2.042},
      {0.975, 120, 1.980}, {0.995, 1, 63.657}, {0.995, 4, 4.604}, {0.95, 1, 6.314},
      {0.95, 10, 1.812},  {0.975, 1e7, 1.960},
  };
  worst = 0;
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    double q = stats_t_quantile(tab[i].p, tab[i].nu);
    double err = fabs(q - tab[i].want);
    if (err > 5e-4) printf("  t_{%g,%g} = %.6f, table %.3f\n", tab[i].p, tab[i].nu, q, tab[i].want);
    worst = fmax(worst, err);
    /* consistency: the CDF at the quantile is p, and the lower quantile is its negative */
    CHECK(fabs(stats_t_cdf(q, tab[i].nu) - tab[i].p) < 1e-12, "cdf(quantile) != p at nu=%g", tab[i].nu);
    CHECK(stats_t_quantile(1 - tab[i].p, tab[i].nu) == -q, "quantile symmetry at nu=%g", tab[i].nu);
  }
  CHECK_WORST("t quantiles vs tabulated critical values (rounded to 3 decimals)", worst, 5e-4);

  /* ---- summaries, by hand: x = 1,2,3,4: mean 2.5, var 5/3, se = sqrt(5/12), half = 3.182446*se */
  double x[] = {1, 2, 3, 4, NAN};
  stats_summary s;
  stats_summarize(x, 5, 0.95, &s);
  CHECK(s.n == 4, "n = %d (the NaN is skipped)", s.n);
  CHECK_CLOSE("mean(1..4)", s.mean, 2.5, 1e-15);
  CHECK_CLOSE("sd(1..4)", s.sd, sqrt(5.0 / 3.0), 1e-15);
  CHECK_CLOSE("se(1..4)", s.se, sqrt(5.0 / 12.0), 1e-15);
  CHECK_CLOSE("ci half-width(1..4) = t_{.975,3} se (t = 3.18244631)", s.half, 3.18244630528371 * sqrt(5.0 / 12.0), 1e-9);
  CHECK_CLOSE("ci low", s.lo, 2.5 - s.half, 0);
  stats_summarize(x, 1, 0.95, &s);
  CHECK(s.n == 1 && s.mean == 1 && isnan(s.se) && isnan(s.half), "n = 1: mean only");
  stats_summarize(x, 0, 0.95, &s);
  CHECK(s.n == 0 && isnan(s.mean), "n = 0: NaN mean");

  /* ---- Welch, by hand: a = 1,2,3,4 (mean 2.5, var 5/3), b = 2,4,6,8,10 (mean 6, var 10)
   *   va = 5/12, vb = 2, t = 3.5 / sqrt(29/12), dof = (29/12)^2 / ((5/12)^2/3 + 2^2/4) */
  double b[] = {2, 4, 6, 8, 10};
  stats_summary sa, sb;
  stats_summarize(x, 4, 0.95, &sa);
  stats_summarize(b, 5, 0.95, &sb);
  stats_welch w;
  stats_welch_test(&sa, &sb, &w);
  double t_ref = 3.5 / sqrt(29.0 / 12.0);
  double dof_ref = (29.0 / 12.0) * (29.0 / 12.0) / ((25.0 / 144.0) / 3.0 + 1.0);
  CHECK(w.valid, "welch valid");
  CHECK_CLOSE("welch diff", w.diff, 3.5, 1e-15);
  CHECK_CLOSE("welch t", w.t, t_ref, 1e-12);
  CHECK_CLOSE("welch dof", w.dof, dof_ref, 1e-12);
  double p_ref = 2 * (1 - t_cdf_simpson(t_ref, dof_ref));
  CHECK_CLOSE("welch p (Simpson reference)", w.p, p_ref, 1e-10);
  printf("  welch: t = %.6f, dof = %.6f, p = %.6f\n", w.t, w.dof, w.p);
  /* reversed order flips the sign only */
  stats_welch w2;
  stats_welch_test(&sb, &sa, &w2);
  CHECK(w2.t == -w.t && w2.dof == w.dof && w2.p == w.p, "welch antisymmetry");
  /* constant samples: exact difference */
  double c1[] = {1, 1, 1}, c2[] = {2, 2, 2};
  stats_summary s1, s2;
  stats_summarize(c1, 3, 0.95, &s1);
  stats_summarize(c2, 3, 0.95, &s2);
  stats_welch_test(&s1, &s2, &w);
  CHECK(w.valid && w.p == 0 && isinf(w.t), "constant, different samples: p = 0");
  stats_welch_test(&s1, &s1, &w);
  CHECK(w.valid && w.p == 1 && w.t == 0, "identical constant samples: p = 1");
  stats_summarize(c1, 1, 0.95, &s1);
  stats_welch_test(&s1, &s2, &w);
  CHECK(!w.valid, "n = 1: no test");
  return tu_done("test_stats");
}
