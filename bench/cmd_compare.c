/* sgp compare A/table.json B/table.json: cell by cell, B against A, with the test the tables use
 * to mark significance: a two-sided permutation test of the difference of the seed means
 * (bench/stats.h); beside it the interquartile mean of each side over its seeds × episodes and the
 * probability of improvement P(B > A) over those runs. */
#include "bench/cli.h"
#include "bench/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp compare A/table.json B/table.json [--metric NAME | --all] [--alpha P]\n"
          "                   [--fail-on-regression]\n"
          "Compares B against A cell by cell (same environment, dataset and agent): the interquartile\n"
          "mean of each over its seeds x episodes, the difference of the seed means, the probability\n"
          "of improvement P(B > A) over runs, and whether the difference is significant (the tables'\n"
          "test: two-sided permutation test of the seed means, level --alpha, default 0.05). Direction\n"
          "aware: a higher score or success rate is better, a lower cost is better.\n"
          "  --metric NAME          compare this metric (default: each row's main metric)\n"
          "  --all                  every metric with a direction\n"
          "  --fail-on-regression   exit status 1 if any cell is significantly worse in B, has no result\n"
          "                         in B where A has one, or if nothing could be compared\n"
          "example:\n  sgp compare results/quick-old/table.json results/quick/table.json --fail-on-regression\n");
}

static const cJSON *get(const cJSON *o, const char *k) { return o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL; }
static const char *gets(const cJSON *o, const char *k) {
  const cJSON *v = get(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static int load_table(const char *path, cJSON **out, sgp_err *e) {
  if (sgp_json_load(path, out, e)) return -1;
  if (strcmp(gets(*out, "kind"), "table") || !cJSON_IsArray(get(*out, "cells"))) {
    cJSON_Delete(*out);
    return sgp_fail(e, "%s: not a sweep table (expected \"kind\": \"table\" and a \"cells\" array)", path);
  }
  return 0;
}

/* direction of a metric: from the table's metric list, else the built-in convention */
static int better_of(const cJSON *t, const char *metric) {
  for (const cJSON *m = get(t, "metrics") ? get(t, "metrics")->child : NULL; m; m = m->next)
    if (!strcmp(gets(m, "name"), metric)) {
      const char *b = gets(m, "better");
      return !strcmp(b, "higher") ? 1 : !strcmp(b, "lower") ? -1 : 0;
    }
  if (!strcmp(metric, "normalized_score") || !strcmp(metric, "success") || !strcmp(metric, "return")) return 1;
  if (!strcmp(metric, "final_cost")) return -1;
  return 0;
}

/* A metric of a cell: its seed means ("values") and its runs (every episode of every seed, or the
 * seed means where the table has no "episode_values"). */
typedef struct side {
  double *seed, *runs;
  int nseed, nruns;
} side;

static void read_side(const cJSON *m, side *s) {
  const cJSON *vals = get(m, "values"), *ev = get(m, "episode_values");
  memset(s, 0, sizeof *s);
  s->seed = sgp_malloc(sizeof *s->seed * (size_t)(cJSON_GetArraySize(vals) + 1));
  for (const cJSON *x = vals ? vals->child : NULL; x; x = x->next)
    s->seed[s->nseed++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
  int cap = 1;
  for (const cJSON *a = ev ? ev->child : NULL; a; a = a->next) cap += cJSON_GetArraySize(a);
  s->runs = sgp_malloc(sizeof *s->runs * (size_t)(cap + s->nseed));
  if (cJSON_IsArray(ev)) {
    for (const cJSON *a = ev->child; a; a = a->next)
      for (const cJSON *x = a->child; x; x = x->next) s->runs[s->nruns++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
  } else {
    for (int i = 0; i < s->nseed; i++) s->runs[s->nruns++] = s->seed[i];
  }
}

static void side_free(side *s) {
  free(s->seed);
  free(s->runs);
}

static int finite_count(const double *x, int n) {
  int k = 0;
  for (int i = 0; i < n; i++) k += isfinite(x[i]) != 0;
  return k;
}

static void fmt(char *buf, size_t cap, const side *s) {
  int n = finite_count(s->runs, s->nruns), ns = finite_count(s->seed, s->nseed);
  if (n == 0) snprintf(buf, cap, "—");
  else snprintf(buf, cap, "%.4g (%d seeds, %d runs)", stats_iqm(s->runs, s->nruns), ns, n);
}

/* The counts of the final line. */
typedef struct tally {
  int compared, better, worse, same, untestable, only_a, only_b;
} tally;

/* Which metrics to compare: one (--metric), every one with a direction (--all), or the row's main. */
typedef struct selection {
  const char *only;
  int all;
  double alpha, conf;
} selection;

static const cJSON *find_cell(const cJSON *table, const cJSON *like) {
  for (const cJSON *c = get(table, "cells")->child; c; c = c->next)
    if (!strcmp(gets(c, "env"), gets(like, "env")) && !strcmp(gets(c, "dataset"), gets(like, "dataset")) &&
        !strcmp(gets(c, "agent"), gets(like, "agent")))
      return c;
  return NULL;
}

/* One metric of one cell: the permutation test of B against A, one line. */
static void compare_metric(const char *where, const char *agent, const char *name, int dir, const cJSON *ma,
                           const cJSON *mb, const selection *sel, tally *t) {
  side a, b;
  read_side(ma, &a);
  read_side(mb, &b);
  char fa[64], fb[64], ps[32], pi[32];
  fmt(fa, sizeof fa, &a);
  fmt(fb, sizeof fb, &b);
  double diff = stats_mean(b.seed, b.nseed) - stats_mean(a.seed, a.nseed);
  double p = stats_permutation_p(a.seed, a.nseed, b.seed, b.nseed, 0);
  double poi = stats_prob_improvement(b.runs, b.nruns, a.runs, a.nruns);
  if (dir < 0) poi = 1 - poi; /* lower is better: P(B < A) */
  const char *verdict;
  t->compared++;
  if (finite_count(a.seed, a.nseed) > 0 && finite_count(b.seed, b.nseed) == 0) {
    verdict = "WORSE (no result in B)"; /* every run of the cell failed or is missing in B */
    t->worse++;
  } else if (finite_count(a.seed, a.nseed) < 2 || finite_count(b.seed, b.nseed) < 2) {
    verdict = "n/a (fewer than 2 seeds)";
    t->untestable++;
  } else if (p < sel->alpha && dir != 0) {
    int improved = dir * diff > 0;
    verdict = improved ? "BETTER (significant)" : "WORSE (significant regression)";
    if (improved) t->better++;
    else t->worse++;
  } else {
    verdict = p < sel->alpha ? "different (significant)" : "no significant difference";
    t->same++;
  }
  snprintf(ps, sizeof ps, isfinite(p) ? "%.3g" : "-", p);
  snprintf(pi, sizeof pi, isfinite(poi) && dir ? "%.2f" : "-", poi);
  printf("%-28s %-22s %-18s %-28s %-28s %+10.4g %7s %8s  %s\n", where, agent, name, fa, fb, isfinite(diff) ? diff : 0.0,
         pi, ps, verdict);
  side_free(&a);
  side_free(&b);
}

/* Every selected metric of cell ca of A against the same cell of B. */
static void compare_cell(const cJSON *A, const cJSON *B, const cJSON *ca, const selection *sel, tally *t) {
  const cJSON *cb = find_cell(B, ca);
  char where[256];
  snprintf(where, sizeof where, "%s/%s", gets(ca, "env"), gets(ca, "dataset"));
  if (!cb) {
    printf("%-28s %-22s only in A\n", where, gets(ca, "agent"));
    t->only_a++;
    return;
  }
  for (const cJSON *m = get(ca, "metrics") ? get(ca, "metrics")->child : NULL; m; m = m->next) {
    const char *name = m->string;
    int dir = better_of(A, name);
    if (sel->only ? strcmp(sel->only, name) != 0 : sel->all ? dir == 0 : strcmp(name, gets(ca, "main_metric")) != 0)
      continue;
    const cJSON *mb = get(get(cb, "metrics"), name);
    if (mb) compare_metric(where, gets(ca, "agent"), name, dir, m, mb, sel, t);
  }
}

/* --metric NAME must be one of the table's metrics: exit status 2 (a usage error) if not. */
static int check_metric(const cJSON *A, const char *name) {
  const char *names[32];
  int n = 0;
  for (const cJSON *m = get(A, "metrics") ? get(A, "metrics")->child : NULL; m && n < 32; m = m->next) {
    names[n++] = gets(m, "name");
    if (!strcmp(names[n - 1], name)) return 0;
  }
  const char *near = cli_nearest(name, names, n);
  fprintf(stderr, "sgp compare: --metric: unknown metric '%s'", name);
  if (near) fprintf(stderr, " (did you mean '%s'?)", near);
  fprintf(stderr, "; the table has:");
  for (int i = 0; i < n; i++) fprintf(stderr, "%s %s", i ? "," : "", names[i]);
  fprintf(stderr, "\n");
  return 2;
}

/* Returns 0, or the exit status of a usage error (after printing it). */
static int parse_selection(int argc, char **argv, selection *sel) {
  sel->alpha = 0.05;
  const char *s = cli_opt(argc, argv, "--alpha");
  if (s) {
    char *end;
    sel->alpha = strtod(s, &end);
    if (*end || !(sel->alpha > 0 && sel->alpha < 1)) {
      fprintf(stderr, "sgp compare: --alpha: expected a number in (0, 1), got '%s'\n", s);
      return 2;
    }
  }
  sel->only = cli_opt(argc, argv, "--metric");
  sel->all = cli_flag(argc, argv, "--all");
  if (sel->only && sel->all) {
    fprintf(stderr, "sgp compare: --metric and --all exclude each other\n");
    return 2;
  }
  return 0;
}

int cmd_compare(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  static const char *const valued[] = {"--metric", "--alpha", NULL};
  static const char *const boolean[] = {"--all", "--fail-on-regression", NULL};
  const char *pos[2];
  int npos;
  selection sel;
  int rc = cli_parse("compare", argc, argv, valued, boolean, 2, 2, pos, &npos);
  if (rc || (rc = parse_selection(argc, argv, &sel))) return rc;
  int fail_on = cli_flag(argc, argv, "--fail-on-regression");
  sgp_err e;
  cJSON *A, *B;
  if (load_table(pos[0], &A, &e)) return cli_error("compare", &e);
  if (load_table(pos[1], &B, &e)) {
    cJSON_Delete(A);
    return cli_error("compare", &e);
  }
  if (sel.only && (rc = check_metric(A, sel.only))) {
    cJSON_Delete(A);
    cJSON_Delete(B);
    return rc;
  }
  sel.conf = cJSON_IsNumber(get(A, "confidence")) ? get(A, "confidence")->valuedouble : 0.95;
  printf("B = %s against A = %s (IQM over runs; B - A: difference of the seed means; P(B>A): probability of\n"
         "improvement over runs; p: two-sided permutation test of the seed means, alpha %g)\n", pos[1], pos[0], sel.alpha);
  printf("%-28s %-22s %-18s %-28s %-28s %10s %7s %8s  %s\n", "environment/dataset", "agent", "metric", "A", "B",
         "B - A", "P(B>A)", "p", "verdict");
  tally t = {0, 0, 0, 0, 0, 0, 0};
  for (const cJSON *ca = get(A, "cells")->child; ca; ca = ca->next) compare_cell(A, B, ca, &sel, &t);
  for (const cJSON *cb = get(B, "cells")->child; cb; cb = cb->next)
    if (!find_cell(A, cb)) {
      char where[256];
      snprintf(where, sizeof where, "%s/%s", gets(cb, "env"), gets(cb, "dataset"));
      printf("%-28s %-22s only in B\n", where, gets(cb, "agent"));
      t.only_b++;
    }
  printf("%d comparison(s): %d better, %d worse, %d without significant change, %d untestable; %d cell(s) only in A, %d only in B\n",
         t.compared, t.better, t.worse, t.same, t.untestable, t.only_a, t.only_b);
  cJSON_Delete(A);
  cJSON_Delete(B);
  if (fail_on && t.worse) {
    fprintf(stderr, "sgp compare: %d significant regression(s)\n", t.worse);
    return 1;
  }
  if (fail_on && t.compared == t.untestable) { /* a check that compared nothing cannot pass */
    fprintf(stderr, "sgp compare: nothing was compared (%d cell(s) in both tables with a result in both; %d only in "
                    "A, %d only in B)\n", t.compared - t.untestable, t.only_a, t.only_b);
    return 1;
  }
  return 0;
}
