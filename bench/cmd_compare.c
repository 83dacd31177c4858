/* sgp compare A/table.json B/table.json: cell by cell, B against A, with Welch's t-test
 * (unequal variances, Welch–Satterthwaite degrees of freedom) on the per-seed values. */
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
          "Compares B against A cell by cell (same environment, dataset and agent): the difference of\n"
          "the means and whether it is significant (Welch's t-test, two-sided, level --alpha, default\n"
          "0.05). Direction aware: a higher score or success rate is better, a lower cost is better.\n"
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

static void summarize(const cJSON *m, double conf, stats_summary *s) {
  const cJSON *vals = get(m, "values");
  int n = cJSON_GetArraySize(vals), i = 0;
  double *v = sgp_malloc(sizeof *v * (size_t)(n ? n : 1));
  for (const cJSON *x = vals ? vals->child : NULL; x; x = x->next) v[i++] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
  stats_summarize(v, n, conf, s);
  free(v);
}

static void fmt(char *buf, size_t cap, const stats_summary *s) {
  if (s->n == 0) snprintf(buf, cap, "—");
  else if (s->n == 1) snprintf(buf, cap, "%.4g (n=1)", s->mean);
  else snprintf(buf, cap, "%.4g ± %.3g (n=%d)", s->mean, s->half, s->n);
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

/* One metric of one cell: Welch's test of B against A, one line. */
static void compare_metric(const char *where, const char *agent, const char *name, int dir, const cJSON *ma,
                           const cJSON *mb, const selection *sel, tally *t) {
  stats_summary sa, sb;
  summarize(ma, sel->conf, &sa);
  summarize(mb, sel->conf, &sb);
  stats_welch w;
  stats_welch_test(&sa, &sb, &w);
  char fa[64], fb[64], dof[32], p[32];
  fmt(fa, sizeof fa, &sa);
  fmt(fb, sizeof fb, &sb);
  const char *verdict;
  t->compared++;
  if (sa.n > 0 && sb.n == 0) { /* every run of the cell failed or is missing in B */
    verdict = "WORSE (no result in B)";
    t->worse++;
  } else if (!w.valid) {
    verdict = "n/a (fewer than 2 seeds)";
    t->untestable++;
  } else if (w.p < sel->alpha && dir != 0) {
    int improved = dir * w.diff > 0;
    verdict = improved ? "BETTER (significant)" : "WORSE (significant regression)";
    if (improved) t->better++;
    else t->worse++;
  } else {
    verdict = w.p < sel->alpha ? "different (significant)" : "no significant difference";
    t->same++;
  }
  snprintf(dof, sizeof dof, isfinite(w.dof) ? "%.1f" : "-", w.dof);
  snprintf(p, sizeof p, isfinite(w.p) ? "%.3g" : "-", w.p);
  printf("%-28s %-22s %-18s %-26s %-26s %+10.4g %8s %8s  %s\n", where, agent, name, fa, fb,
         isfinite(w.diff) ? w.diff : 0.0, dof, p, verdict);
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
  printf("B = %s against A = %s (Welch's t-test, two-sided, alpha %g)\n", pos[1], pos[0], sel.alpha);
  printf("%-28s %-22s %-18s %-26s %-26s %10s %8s %8s  %s\n", "environment/dataset", "agent", "metric", "A", "B",
         "B - A", "dof", "p", "verdict");
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
