// ctest-labels: unit bench
/* The rliable-style statistics of bench/stats.c (interquartile mean, stratified bootstrap interval,
 * probability of improvement, Wilson interval, normal quantile, permutation test) against values
 * worked by hand and against independent computations in Python: numpy for the IQM and the
 * probability of improvement, the standard library's NormalDist for the quantile and the Wilson
 * formula, exhaustive enumeration of every bootstrap resample (the exact bootstrap distribution:
 * the reported interval ends must be its quantiles up to the Monte Carlo error of B draws) and of
 * every relabelling for the permutation test. Prints the worst error of each comparison. */
#include "testutil.h"

#include "bench/stats.c"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* x as a JSON list */
static void put_list(FILE *f, const double *x, int n) {
  fputc('[', f);
  for (int i = 0; i < n; i++) fprintf(f, "%s%.17g", i ? "," : "", x[i]);
  fputc(']', f);
}

int main(void) {
  /* ---- hand-worked values */
  double a8[8] = {8, 1, 7, 2, 6, 3, 5, 4}, a3[3] = {10, 1, 7}, a5[5] = {5, 1, 4, 2, 3};
  double a6n[6] = {100, NAN, 1, 2, 3, -50};
  CHECK_CLOSE("iqm of 1..8 (drops 2 at each end): mean(3,4,5,6)", stats_iqm(a8, 8), 4.5, 0);
  CHECK_CLOSE("iqm of 3 values (drops none)", stats_iqm(a3, 3), 6, 0);
  CHECK_CLOSE("iqm of 1..5 (drops 1 at each end)", stats_iqm(a5, 5), 3, 0);
  CHECK_CLOSE("iqm skips NaN: {-50,1,2,3,100} -> mean(1,2,3)", stats_iqm(a6n, 6), 2, 0);
  CHECK(isnan(stats_iqm(a6n + 1, 1)), "iqm of nothing finite is NaN");
  CHECK_CLOSE("normal quantile 0.975 (tabulated 1.959963984540054)", stats_normal_quantile(0.975), 1.959963984540054, 1e-14);
  CHECK_CLOSE("normal quantile 0.995 (tabulated 2.575829303548901)", stats_normal_quantile(0.995), 2.575829303548901, 1e-14);
  double lo, hi;
  stats_wilson(0, 5, 0.95, &lo, &hi);
  /* z = 1.959964, z²/n = 0.768292: centre 0.384146/1.768292 = 0.217241, half 1.108393 × 0.195996 = 0.217241 */
  CHECK_CLOSE("wilson 0/5: lower end", lo, 0, 0);
  CHECK_CLOSE("wilson 0/5: upper end (by hand 0.434482)", hi, 0.434482, 2e-6);
  stats_wilson(5, 10, 0.95, &lo, &hi);
  /* centre 0.5; half = z/(1+z²/10) · sqrt(0.025 + z²/400) = 1.959964/1.384146 × 0.186021 = 0.263407 */
  CHECK_CLOSE("wilson 5/10: lower (by hand 0.236593)", lo, 0.236593, 2e-6);
  CHECK_CLOSE("wilson 5/10: upper (by hand 0.763407)", hi, 0.763407, 2e-6);
  double qx[3] = {1, 2, 3}, qy[3] = {2, 2, 0};
  /* pairs (x > y): 1>0, 2>0, 3>2, 3>2, 3>0 = 5; ties 2=2 twice = 1; (5 + 1)/9 */
  CHECK_CLOSE("probability of improvement by hand (6/9)", stats_prob_improvement(qx, 3, qy, 3), 6.0 / 9, 1e-15);
  double p1[3] = {1, 2, 3}, p2[3] = {4, 5, 6};
  CHECK_CLOSE("permutation p of {1,2,3} vs {4,5,6}: 2 of 20 splits as extreme", stats_permutation_p(p1, 3, p2, 3, 0), 0.1, 1e-15);
  double c1[5] = {7, 7, 7, 7, 7};
  CHECK_CLOSE("permutation p of equal constant samples", stats_permutation_p(c1, 5, c1, 5, 0), 1, 0);
  /* a bootstrap of one cluster per stratum is degenerate: the interval is the statistic itself */
  {
    double x[4] = {1, 2, 3, 4};
    int cl[4] = {0, 0, 1, 1}, st[4] = {0, 0, 1, 1};
    stats_bootstrap_ci(x, cl, st, 4, stats_fn_mean, NULL, 500, 0.95, 1, &lo, &hi);
    CHECK(lo == 2.5 && hi == 2.5, "one cluster per stratum: the interval collapses to the mean (%g, %g)", lo, hi);
  }

  /* ---- against Python */
  const char *py = tu_python_numpy();
  if (!py) {
    printf("SKIP the numpy / enumeration comparisons: no python3 with numpy\n");
    return tu_done("test_stats_rliable");
  }
  char *dir = tu_tmpdir("rliable"), *data = sgp_path_join(dir, "data.py"), *script = sgp_path_join(dir, "check.py");
  FILE *f = fopen(data, "w");
  sgp_rng r;
  sgp_rng_stream(&r, 7, "test");
  /* IQM and probability of improvement on random samples (values rounded to 0.1 so ties occur) */
  fprintf(f, "iqm = [\n");
  for (int n = 1; n <= 30; n++) {
    double x[30];
    for (int i = 0; i < n; i++) x[i] = round(10 * sgp_rng_normal(&r)) / 10;
    fputc('(', f);
    put_list(f, x, n);
    fprintf(f, ", %.17g),\n", stats_iqm(x, n));
  }
  fprintf(f, "]\npoi = [\n");
  for (int k = 0; k < 20; k++) {
    int nx = 1 + (int)sgp_rng_below(&r, 12), ny = 1 + (int)sgp_rng_below(&r, 12);
    double x[12], y[12];
    for (int i = 0; i < nx; i++) x[i] = round(5 * sgp_rng_normal(&r)) / 5;
    for (int i = 0; i < ny; i++) y[i] = round(5 * sgp_rng_normal(&r) + 1) / 5;
    fputc('(', f);
    put_list(f, x, nx);
    fputc(',', f);
    put_list(f, y, ny);
    fprintf(f, ", %.17g),\n", stats_prob_improvement(x, nx, y, ny));
  }
  fprintf(f, "]\nwilson = [\n");
  for (int n = 1; n <= 12; n++)
    for (int k = 0; k <= n; k++) {
      stats_wilson(k, n, 0.95, &lo, &hi);
      fprintf(f, "(%d, %d, 0.95, %.17g, %.17g),\n", k, n, lo, hi);
      stats_wilson(k, n, 0.9, &lo, &hi);
      fprintf(f, "(%d, %d, 0.9, %.17g, %.17g),\n", k, n, lo, hi);
    }
  fprintf(f, "]\nnq = [");
  for (double p = 0.01; p < 1; p += 0.049) fprintf(f, "(%.17g, %.17g),", p, stats_normal_quantile(p));
  /* bootstrap: (values, clusters, strata, statistic, B, level, lo, hi) */
  fprintf(f, "]\nboot = [\n");
  {
    double x[10] = {3.1, 4.0, 9.5, 1.2, 1.3, 7.7, 5.5, 2.0, 8.8, 6.1};
    int cl[10] = {0, 0, 1, 2, 2, 2, 3, 3, 4, 4};
    const int B = 20000;
    stats_bootstrap_ci(x, cl, NULL, 10, stats_fn_iqm, NULL, B, 0.95, 11, &lo, &hi);
    fputc('(', f);
    put_list(f, x, 10);
    fprintf(f, ", [0,0,1,2,2,2,3,3,4,4], [0]*10, 'iqm', %d, 0.95, %.17g, %.17g),\n", B, lo, hi);
    double y[9] = {0.5, 1.5, 2.5, 10, 11, 12.5, 13, 14, 20};
    int cy[9] = {0, 1, 2, 3, 3, 4, 5, 5, 6}, sy[9] = {0, 0, 0, 1, 1, 1, 1, 1, 1};
    stats_bootstrap_ci(y, cy, sy, 9, stats_fn_mean, NULL, B, 0.9, 12, &lo, &hi);
    fputc('(', f);
    put_list(f, y, 9);
    fprintf(f, ", [0,1,2,3,3,4,5,5,6], [0,0,0,1,1,1,1,1,1], 'mean', %d, 0.9, %.17g, %.17g),\n", B, lo, hi);
  }
  /* permutation test: exact sizes and a Monte Carlo size */
  fprintf(f, "]\nperm = [\n");
  int sizes[5][2] = {{3, 3}, {5, 5}, {4, 6}, {9, 11}, {10, 11}};
  for (int k = 0; k < 5; k++) {
    double a[11], b[11];
    for (int i = 0; i < sizes[k][0]; i++) a[i] = round(4 * sgp_rng_normal(&r)) / 4;
    for (int i = 0; i < sizes[k][1]; i++) b[i] = round(4 * sgp_rng_normal(&r) + 2) / 4;
    fputc('(', f);
    put_list(f, a, sizes[k][0]);
    fputc(',', f);
    put_list(f, b, sizes[k][1]);
    fprintf(f, ", %.17g),\n", stats_permutation_p(a, sizes[k][0], b, sizes[k][1], 3));
  }
  fprintf(f, "]\n");
  fclose(f);

  f = fopen(script, "w");
  fprintf(f,
          "import itertools, math, sys\n"
          "import numpy as np\n"
          "from statistics import NormalDist\n"
          "exec(open(sys.argv[1]).read())\n"
          "w = 0\n"
          "for x, got in iqm:\n"
          "    s = np.sort(np.array(x)); n = len(s); c = n // 4\n"
          "    w = max(w, abs(s[c:n - c].mean() - got))\n"
          "print('iqm', w)\n"
          "w = 0\n"
          "for x, y, got in poi:\n"
          "    X = np.array(x)[:, None]; Y = np.array(y)[None, :]\n"
          "    w = max(w, abs((X > Y).mean() + 0.5 * (X == Y).mean() - got))\n"
          "print('poi', w)\n"
          "w = 0\n"
          "for k, n, lev, lo, hi in wilson:\n"
          "    z = NormalDist().inv_cdf(0.5 * (1 + lev)); p = k / n; d = 1 + z * z / n\n"
          "    c = (p + z * z / (2 * n)) / d; h = z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))\n"
          "    w = max(w, abs(max(0, c - h) - lo), abs(min(1, c + h) - hi))\n"
          "print('wilson', w)\n"
          "print('normal_quantile', max(abs(NormalDist().inv_cdf(p) - q) for p, q in nq))\n"
          "def iqm_(v):\n"
          "    s = np.sort(np.array(v)); n = len(s); c = n // 4\n"
          "    return s[c:n - c].mean()\n"
          "w = 0\n"
          "for x, cl, st, stat, B, lev, lo, hi in boot:\n"
          "    fn = iqm_ if stat == 'iqm' else (lambda v: float(np.mean(v)))\n"
          "    clusters = sorted(set(cl)); strata = sorted(set(st))\n"
          "    members = [[c for c in clusters if st[cl.index(c)] == s] for s in strata]\n"
          "    vals = {c: [x[i] for i in range(len(x)) if cl[i] == c] for c in clusters}\n"
          "    stats = []\n"
          "    for pick in itertools.product(*[list(itertools.product(m, repeat=len(m))) for m in members]):\n"
          "        stats.append(fn([v for draw in pick for c in draw for v in vals[c]]))\n"
          "    stats = np.sort(np.array(stats)); N = len(stats)\n"
          "    for end, q in ((lo, 0.5 * (1 - lev)), (hi, 0.5 * (1 + lev))):\n"
          "        below = np.sum(stats < end - 1e-12) / N; upto = np.sum(stats <= end + 1e-12) / N\n"
          "        w = max(w, below - q, q - upto, 0)\n"
          "print('bootstrap_quantile', w)\n"
          "we = wm = 0\n"
          "for a, b, got in perm:\n"
          "    v = np.array(a + b); n = len(v); k = len(a); tot = v.sum()\n"
          "    obs = abs(np.mean(a) - np.mean(b)); ext = cnt = 0\n"
          "    for c in itertools.combinations(range(n), k):\n"
          "        s = v[list(c)].sum(); cnt += 1\n"
          "        ext += abs(s / k - (tot - s) / (n - k)) >= obs - 1e-12 * max(1, np.abs(v).max())\n"
          "    if math.comb(n, k) <= 200000: we = max(we, abs(ext / cnt - got))\n"
          "    else: wm = max(wm, abs(ext / cnt - got))\n"
          "print('permutation_exact', we)\n"
          "print('permutation_montecarlo', wm)\n");
  fclose(f);
  char cmd[8192], out[4096];
  snprintf(cmd, sizeof cmd, "%s %s %s", py, script, data);
  int rc = tu_system(cmd, out, sizeof out);
  CHECK(rc == 0, "python comparison ran: %s", out);
  static const struct {
    const char *name;
    double tol;
  } want[] = {
      {"iqm", 1e-12},
      {"poi", 1e-15},
      {"wilson", 1e-12},
      {"normal_quantile", 1e-12},
      /* the ends are quantiles of the exact bootstrap distribution up to the Monte Carlo error of
       * B = 20000 draws (sd of an empirical CDF value ≤ 0.0011; 4 sd) */
      {"bootstrap_quantile", 0.0045},
      {"permutation_exact", 1e-12},
      /* 100 000 random relabellings: sd of p ≤ 0.0016 */
      {"permutation_montecarlo", 0.0065},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const char *p = strstr(out, want[i].name);
    double v = NAN;
    if (p) sscanf(p + strlen(want[i].name), " %lf", &v);
    char what[128];
    snprintf(what, sizeof what, "%s vs Python", want[i].name);
    CHECK_WORST(what, isfinite(v) ? v : INFINITY, want[i].tol);
  }
  tu_rmtree(dir);
  free(dir), free(data), free(script);
  return tu_done("test_stats_rliable");
}
