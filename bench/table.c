/* Result tables of a sweep: table.json (every cell with its per-seed and per-episode values and
 * its statistics, for every metric), table.md (rows = environment and dataset, columns = agents)
 * and figures/ (svg.c). A pure function of the sweep file, its tuning result and the run result
 * files, read in a fixed order: the same results give the same bytes outside the "timing" objects.
 *
 * Statistics (docs/sweeps.md, "Statistics"), following rliable (Agarwal et al. 2021):
 *  - a cell's values are its seeds × episodes (a seed is a new dataset, models and planner noise);
 *  - the estimate is the interquartile mean (IQM), with a 95 % percentile interval from a
 *    stratified bootstrap that resamples seeds (each bringing its episodes);
 *  - success rates are proportions over seeds × episodes with Wilson intervals;
 *  - bold: the row's best cell is significantly better than every other cell of the row (a
 *    two-sided exact permutation test of the seed means at α = 1 − confidence, one test per other
 *    cell; all must reject: an intersection–union test, so no multiplicity correction); ≈ marks
 *    the best cell and the cells not significantly different from it when there is no winner;
 *  - across rows: the IQM of the normalised score with a bootstrap stratified by row, the
 *    probability that the first agent improves on each other one, and performance profiles. */
#include "bench/stats.h"
#include "bench/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_BOOT 2000 /* bootstrap resamples of a cell's interval */

typedef struct metric_def {
  const char *name, *label, *episode_key;
  double scale;
  int better;     /* +1 higher is better, -1 lower, 0 a diagnostic */
  int proportion; /* a success flag: the estimate is the proportion, with a Wilson interval */
} metric_def;

static const metric_def metrics[] = {
    {"normalized_score", "normalised score (x100)", "normalized_score", 1, +1, 0},
    {"success", "success rate (%)", "success", 100, +1, 1},
    {"final_cost", "final cost (terminal error)", "final_cost", 1, -1, 0},
    {"return", "return", "return", 1, +1, 0},
    {"max_data_distance", "max distance to data", "max_data_distance", 1, 0, 0},
    {"plan_gap", "plan gap (model error)", "plan_gap", 1, 0, 0},
    /* first-order planners only (null for the others): the gradient norms at the returned plans,
     * the episode's mean over its plans (docs/planners.md, "Gradient norms at the returned plan") */
    {"plan_grad_norm", "gradient norm of the penalised objective at the plan", "plan_grad_norm", 1, 0, 0},
    {"plan_cost_grad_norm", "gradient norm of the task cost at the plan", "plan_cost_grad_norm", 1, 0, 0},
};
#define NMETRIC (int)(sizeof metrics / sizeof metrics[0])

static int metric_index(const char *name) {
  for (int i = 0; i < NMETRIC; i++)
    if (!strcmp(metrics[i].name, name)) return i;
  return 0;
}

/* After the built-in metrics come the environments' own (envs/env.h spec.metrics, in run results
 * under summary.env_metrics), each name once, in the order of the rows that declare them: metric
 * m >= NMETRIC is the (m − NMETRIC)-th of them. */
static const env_metric *env_metric_at(const sweep *sw, int k) {
  int seen = 0;
  for (int r = 0; r < sw->nrows; r++)
    for (int i = 0; i < sw->rows[r].info.nmetrics; i++) {
      const env_metric *em = &sw->rows[r].info.metrics[i];
      int first = 1;
      for (int q = 0; q <= r && first; q++)
        for (int j = 0; j < (q < r ? sw->rows[q].info.nmetrics : i) && first; j++)
          first = strcmp(sw->rows[q].info.metrics[j].name, em->name) != 0;
      if (first && seen++ == k) return em;
    }
  return NULL;
}

static int nmetric(const sweep *sw) {
  int n = NMETRIC;
  while (env_metric_at(sw, n - NMETRIC)) n++;
  return n;
}

/* Metric m (built-in or an environment's) as a definition; its episode key is NULL for the
 * environments' (read from each episode's env_metrics). */
static metric_def metric_at(const sweep *sw, int m) {
  if (m < NMETRIC) return metrics[m];
  const env_metric *em = env_metric_at(sw, m - NMETRIC);
  metric_def d = {em->name, em->label, NULL, 1, em->better, 0};
  return d;
}

/* Does row r's environment report metric m? (the built-in ones: every row) */
static int row_has_metric(const sweep *sw, int r, int m) {
  if (m < NMETRIC) return 1;
  const char *name = env_metric_at(sw, m - NMETRIC)->name;
  for (int i = 0; i < sw->rows[r].info.nmetrics; i++)
    if (!strcmp(sw->rows[r].info.metrics[i].name, name)) return 1;
  return 0;
}

/* The statistics of one metric of one cell. */
typedef struct cell_stat {
  int n, k;         /* finite values; successes (proportions) */
  int nseeds;       /* seeds with at least one value */
  double mean, est, lo, hi;
  double *seedmean; /* per seed (NaN when none): the unit of the significance test */
} cell_stat;

typedef struct cellv {
  int present;        /* the sweep runs this agent on this row */
  int nseen;          /* runs with a result */
  int E;              /* episode slots per seed */
  double **v;         /* [nmetric(sw)] nseeds × E, NaN when missing (NULL until the first result) */
  double *ms;         /* plan ms per step, per seed */
  double *mrows, *srows; /* model / score rows per plan, per seed */
  cell_stat *st;      /* [nmetric(sw)] */
} cellv;

/* A row's verdict on one metric: the best cell, whether it is bold, which cells tie with it. */
typedef struct row_sig {
  int best, bold;
  int *tied; /* per column: 1 if not significantly different from the best (the best included) */
  double *p; /* per column: p of the test against the best (NaN: not tested) */
} row_sig;

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static char *slug(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *s = sgp_malloc(n);
  snprintf(s, n, "%s-%s", a, b);
  for (char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
          *p == '_' || *p == '.'))
      *p = '_';
  return s;
}

static double json_num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (cJSON_IsNumber(v)) return v->valuedouble;
  if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? 1.0 : 0.0;
  return NAN;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* decimals for 3 significant digits of m */
static int decimals(double m) {
  m = fabs(m);
  int d = m > 0 ? 2 - (int)floor(log10(m)) : 2;
  return d < 0 ? 0 : d > 6 ? 6 : d;
}

/* "est [lo, hi]" with the estimate's decimals; bold / ≈ marks; (n=k/N) when seeds are missing */
static void fmt_stat(char *buf, size_t cap, const cell_stat *s, int nexp, int bold, int tied) {
  if (s->n == 0) {
    snprintf(buf, cap, "—");
    return;
  }
  int d = decimals(s->est);
  char core[160];
  if (isfinite(s->lo) && isfinite(s->hi) && s->nseeds >= 2)
    snprintf(core, sizeof core, "%.*f [%.*f, %.*f]", d, s->est, d, s->lo, d, s->hi);
  else snprintf(core, sizeof core, "%.*f", d, s->est);
  char nn[32] = "";
  if (s->nseeds < nexp) snprintf(nn, sizeof nn, " (n=%d/%d)", s->nseeds, nexp);
  snprintf(buf, cap, "%s%s%s%s%s", bold ? "**" : "", core, bold ? "**" : "", tied ? " ≈" : "", nn);
}

/* ------------------------------------------------------------------ cells */

static cellv *cells_alloc(const sweep *sw) {
  int nc = sw->nrows * sw->ncols;
  cellv *cells = sgp_calloc((size_t)(nc ? nc : 1), sizeof *cells);
  return cells;
}

/* The cell's buffers for E episodes per seed (at its first result). */
static void cell_init(const sweep *sw, cellv *cv, int E) {
  int ns = sw->nseeds;
  cv->E = E > 0 ? E : 1;
  int nm = nmetric(sw);
  cv->v = sgp_calloc((size_t)nm, sizeof *cv->v);
  cv->st = sgp_calloc((size_t)nm, sizeof *cv->st);
  for (int m = 0; m < nm; m++) {
    cv->v[m] = sgp_malloc(sizeof(double) * (size_t)ns * cv->E);
    for (int i = 0; i < ns * cv->E; i++) cv->v[m][i] = NAN;
    cv->st[m].seedmean = sgp_malloc(sizeof(double) * (size_t)ns);
    for (int i = 0; i < ns; i++) cv->st[m].seedmean[i] = NAN;
  }
  cv->ms = sgp_malloc(sizeof(double) * (size_t)ns);
  cv->mrows = sgp_malloc(sizeof(double) * (size_t)ns);
  cv->srows = sgp_malloc(sizeof(double) * (size_t)ns);
  for (int i = 0; i < ns; i++) cv->ms[i] = cv->mrows[i] = cv->srows[i] = NAN;
}

static void cells_free(const sweep *sw, cellv *cells) {
  int nm = nmetric(sw);
  for (int i = 0; i < sw->nrows * sw->ncols; i++) {
    for (int m = 0; cells[i].v && m < nm; m++) free(cells[i].v[m]), free(cells[i].st[m].seedmean);
    free(cells[i].v), free(cells[i].st);
    free(cells[i].ms), free(cells[i].mrows), free(cells[i].srows);
  }
  free(cells);
}

/* The statistics of metric m of a cell (deterministic: the bootstrap is seeded by the cell). */
static void cell_stats(const sweep *sw, int r, int c, cellv *cv, int m) {
  cell_stat *s = &cv->st[m];
  int ns = sw->nseeds, E = cv->E;
  double *x = sgp_malloc(sizeof *x * (size_t)ns * E);
  int *cl = sgp_malloc(sizeof *cl * (size_t)ns * E), n = 0, k = 0, nseeds = 0;
  for (int si = 0; si < ns; si++) {
    int had = 0;
    double sum = 0;
    int cnt = 0;
    for (int q = 0; q < E; q++) {
      double v = cv->v[m][si * E + q];
      if (!isfinite(v)) continue;
      x[n] = v, cl[n] = nseeds, n++;
      k += v > 0;
      sum += v, cnt++, had = 1;
    }
    s->seedmean[si] = cnt ? sum / cnt : NAN;
    nseeds += had;
  }
  s->n = n, s->k = k, s->nseeds = nseeds;
  s->mean = stats_mean(x, n);
  s->est = s->lo = s->hi = NAN;
  if (n > 0 && metric_at(sw, m).proportion) {
    s->est = 100.0 * k / n;
    stats_wilson(k, n, sw->confidence, &s->lo, &s->hi);
    s->lo *= 100, s->hi *= 100;
  } else if (n > 0) {
    s->est = stats_iqm(x, n);
    char key[64];
    snprintf(key, sizeof key, "%d/%d/%d", r, c, m);
    stats_bootstrap_ci(x, cl, NULL, n, stats_fn_iqm, NULL, TABLE_BOOT, sw->confidence, sgp_hash64(key, strlen(key), 1), &s->lo,
                       &s->hi);
  }
  free(x), free(cl);
}

static void summarize_cells(const sweep *sw, cellv *cells) {
  for (int r = 0; r < sw->nrows; r++)
    for (int c = 0; c < sw->ncols; c++) {
      cellv *cv = &cells[r * sw->ncols + c];
      if (!cv->present) continue;
      if (!cv->v) cell_init(sw, cv, 1);
      for (int m = 0, nm = nmetric(sw); m < nm; m++) cell_stats(sw, r, c, cv, m);
    }
}

/* Row r's verdict on metric m (with a direction). */
static void row_significance(const sweep *sw, const cellv *cells, int r, int m, row_sig *g) {
  int nc = sw->ncols, better = metric_at(sw, m).better;
  g->best = -1, g->bold = 0;
  g->tied = sgp_calloc((size_t)nc, sizeof *g->tied);
  g->p = sgp_malloc(sizeof *g->p * (size_t)nc);
  for (int c = 0; c < nc; c++) g->p[c] = NAN;
  for (int c = 0; c < nc; c++) {
    const cellv *cv = &cells[r * nc + c];
    double v = cv->present ? cv->st[m].est : NAN;
    if (!isfinite(v) || !better) continue;
    if (g->best < 0 || (better > 0 ? v > cells[r * nc + g->best].st[m].est : v < cells[r * nc + g->best].st[m].est))
      g->best = c;
  }
  if (g->best < 0) return;
  const cell_stat *b = &cells[r * nc + g->best].st[m];
  int others = 0, all_sig = 1;
  g->tied[g->best] = 1;
  for (int c = 0; c < nc; c++) {
    const cellv *cv = &cells[r * nc + c];
    if (c == g->best || !cv->present || !isfinite(cv->st[m].est)) continue;
    others++;
    double p = stats_permutation_p(b->seedmean, sw->nseeds, cv->st[m].seedmean, sw->nseeds, (uint64_t)(r * 1000 + c));
    g->p[c] = p;
    /* significant, and the seed means agree with the estimates on which is better */
    double dm = stats_mean(b->seedmean, sw->nseeds) - stats_mean(cv->st[m].seedmean, sw->nseeds);
    int sig = isfinite(p) && p < 1 - sw->confidence && better * dm > 0;
    if (!sig) g->tied[c] = 1, all_sig = 0;
  }
  g->bold = others > 0 && all_sig;
  if (g->bold || others == 0) memset(g->tied, 0, sizeof *g->tied * (size_t)nc);
}

static void row_sig_free(row_sig *g) {
  free(g->tied);
  free(g->p);
}

/* ------------------------------------------------------------------ reading the results */

/* The distinct "versions" objects of the runs, as canonical JSON. */
typedef struct version_set {
  char **v;
  int n;
} version_set;

static void versions_add(version_set *vs, const cJSON *ver) {
  if (!ver) return;
  char *s = sweep_canonical(ver);
  for (int i = 0; i < vs->n; i++)
    if (!strcmp(vs->v[i], s)) {
      free(s);
      return;
    }
  vs->v = sgp_realloc(vs->v, sizeof *vs->v * (size_t)(vs->n + 1));
  vs->v[vs->n++] = s;
}

/* {"table": this process, "runs": [every distinct run environment, sorted]}; frees vs */
static cJSON *versions_json(version_set *vs, sgp_err *e) {
  cJSON *vj = cJSON_CreateObject();
  cJSON_AddItemToObject(vj, "table", sgp_versions_json());
  if (vs->n) qsort(vs->v, (size_t)vs->n, sizeof *vs->v, cmp_str); /* no results at all: v is NULL */
  cJSON *vr = cJSON_AddArrayToObject(vj, "runs");
  for (int i = 0; i < vs->n; i++) {
    cJSON *x;
    if (sgp_json_parse(vs->v[i], "versions", &x, e) == 0) cJSON_AddItemToArray(vr, x);
    free(vs->v[i]);
  }
  free(vs->v);
  return vj;
}

/* the models of a run job: {kind: key} of its train dependencies */
static cJSON *run_models(const sweep *sw, const sweep_job *j) {
  cJSON *models = cJSON_CreateObject();
  for (int d = 0; d < j->ndeps; d++) {
    const sweep_job *dj = &sw->jobs[j->deps[d]];
    if (dj->kind != SWEEP_MODEL) continue;
    for (int a = 0; a + 1 < dj->argc; a++)
      if (!strcmp(dj->argv[a], "train")) {
        cJSON_AddStringToObject(models, dj->argv[a + 1], dj->key);
        break;
      }
  }
  return models;
}

/* A result's episodes into its cell (seed slot), and what the "runs" entry records of it. */
static void take_result(const sweep *sw, const cJSON *res, int seed_index, cellv *cv, cJSON *ro, version_set *vs) {
  const cJSON *eps = cJSON_GetObjectItemCaseSensitive(res, "episodes");
  if (!cv->v) cell_init(sw, cv, cJSON_GetArraySize(eps));
  int q = 0;
  double t = 0;
  int k = 0;
  for (const cJSON *ep = eps ? eps->child : NULL; ep && q < cv->E; ep = ep->next, q++) {
    const cJSON *envm = cJSON_GetObjectItemCaseSensitive(ep, "env_metrics"); /* the environment's own */
    for (int m = 0, nm = nmetric(sw); m < nm; m++) {
      const metric_def d = metric_at(sw, m);
      cv->v[m][seed_index * cv->E + q] = (d.episode_key ? json_num(ep, d.episode_key) : json_num(envm, d.name)) * d.scale;
    }
    double x = json_num(cJSON_GetObjectItemCaseSensitive(ep, "timing"), "plan_ms_per_step");
    if (isfinite(x)) t += x, k++;
  }
  cv->ms[seed_index] = k ? t / k : NAN;
  const cJSON *sum = cJSON_GetObjectItemCaseSensitive(res, "summary");
  cv->mrows[seed_index] = json_num(sum, "model_rows_per_plan");
  cv->srows[seed_index] = json_num(sum, "score_rows_per_plan");
  double fe = json_num(sum, "failed_episodes");
  if (isfinite(fe) && fe > 0) cJSON_AddNumberToObject(ro, "failed_episodes", fe);
  const cJSON *config = cJSON_GetObjectItemCaseSensitive(res, "config");
  cJSON_AddItemToObject(ro, "planner", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(config, "planner"), 1));
  versions_add(vs, cJSON_GetObjectItemCaseSensitive(res, "versions"));
  cv->nseen++;
}

/* The "runs" entry of run q; its result (if any) goes into its cell. Returns 1 if it is missing. */
static int read_run(const sweep *sw, int q, cellv *cells, cJSON *runs, version_set *vs, cJSON *refs) {
  const sweep_run *run = &sw->runs[q];
  const sweep_job *j = &sw->jobs[run->job];
  cellv *cv = &cells[run->row * sw->ncols + run->col];
  cv->present = 1;
  cJSON *ro = cJSON_CreateObject();
  cJSON_AddStringToObject(ro, "key", j->key);
  cJSON_AddStringToObject(ro, "env", sw->rows[run->row].env);
  cJSON_AddStringToObject(ro, "dataset", sw->rows[run->row].dataset);
  cJSON_AddStringToObject(ro, "agent", sw->cols[run->col]);
  cJSON_AddNumberToObject(ro, "seed", (double)run->seed);
  cJSON_AddStringToObject(ro, "dataset_key", sw->jobs[run->data_job].key);
  cJSON_AddItemToObject(ro, "models", run_models(sw, j));
  cJSON *res = NULL;
  sgp_err le;
  const char *status = "ok";
  int c = sweep_job_check(j, &le);
  if (c == 0) status = "missing";
  else if (c < 0) status = "invalid"; /* truncated, no summary, another key's seed or config */
  else if (sgp_json_load(j->done_path, &res, &le)) res = NULL, status = "invalid";
  int found = res != NULL;
  if (found) {
    take_result(sw, res, run->seed_index, cv, ro, vs);
    /* the row's reference returns and their episode counts (the same for every run of the row) */
    cJSON *slot = cJSON_GetArrayItem(refs, run->row);
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(res, "env");
    if (cJSON_IsNull(slot) && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(env, "ref_random"))) {
      cJSON *o = cJSON_CreateObject();
      static const char *const keys[] = {"ref_random", "ref_expert", "ref_random_episodes", "ref_expert_episodes"};
      for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(env, keys[i]);
        if (cJSON_IsNumber(v)) cJSON_AddNumberToObject(o, keys[i], v->valuedouble);
      }
      cJSON_ReplaceItemInArray(refs, run->row, o);
    }
  } else {
    cJSON_AddItemToObject(ro, "planner", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j->config, "planner"), 1));
  }
  cJSON_Delete(res);
  cJSON_AddStringToObject(ro, "status", status);
  cJSON_AddItemToArray(runs, ro);
  return !found;
}

/* ------------------------------------------------------------------ across rows */

/* An agent's normalised scores over its rows: values, their seed clusters and row strata. */
typedef struct pooled {
  double *x;
  int *cl, *st;
  int n, nrows;
} pooled;

static int row_has_scores(const sweep *sw, const cellv *cells, int r) {
  int m = metric_index("normalized_score");
  for (int c = 0; c < sw->ncols; c++)
    if (cells[r * sw->ncols + c].present && cells[r * sw->ncols + c].st[m].n > 0) return 1;
  return 0;
}

static void pool_agent(const sweep *sw, const cellv *cells, int c, pooled *p) {
  int m = metric_index("normalized_score"), cap = 0;
  memset(p, 0, sizeof *p);
  for (int r = 0; r < sw->nrows; r++) {
    const cellv *cv = &cells[r * sw->ncols + c];
    if (!cv->present || !row_has_scores(sw, cells, r) || cv->st[m].n == 0) continue;
    cap += sw->nseeds * cv->E;
  }
  p->x = sgp_malloc(sizeof *p->x * (size_t)(cap + 1));
  p->cl = sgp_malloc(sizeof *p->cl * (size_t)(cap + 1));
  p->st = sgp_malloc(sizeof *p->st * (size_t)(cap + 1));
  int ncl = 0;
  for (int r = 0; r < sw->nrows; r++) {
    const cellv *cv = &cells[r * sw->ncols + c];
    if (!cv->present || !row_has_scores(sw, cells, r) || cv->st[m].n == 0) continue;
    for (int si = 0; si < sw->nseeds; si++) {
      int had = 0;
      for (int q = 0; q < cv->E; q++) {
        double v = cv->v[m][si * cv->E + q];
        if (!isfinite(v)) continue;
        p->x[p->n] = v, p->cl[p->n] = ncl, p->st[p->n] = p->nrows, p->n++, had = 1;
      }
      ncl += had;
    }
    p->nrows++;
  }
}

static void pooled_free(pooled *p) {
  free(p->x), free(p->cl), free(p->st);
}

/* P(first agent > agent c): the mean over their common score rows of the per-row probability of
 * improvement over seeds × episodes, with a bootstrap interval that resamples each agent's seeds
 * within each row. */
static void poi_vs(const sweep *sw, const cellv *cells, int a, int c, double *est, double *lo, double *hi, int *nrows) {
  int m = metric_index("normalized_score"), nc = sw->ncols, E;
  *est = *lo = *hi = NAN;
  int rows[256], nr = 0;
  for (int r = 0; r < sw->nrows && nr < 256; r++) {
    const cellv *x = &cells[r * nc + a], *y = &cells[r * nc + c];
    if (x->present && y->present && x->st[m].n > 0 && y->st[m].n > 0) rows[nr++] = r;
  }
  *nrows = nr;
  if (!nr) return;
  double s = 0;
  for (int i = 0; i < nr; i++) {
    const cellv *x = &cells[rows[i] * nc + a], *y = &cells[rows[i] * nc + c];
    s += stats_prob_improvement(x->v[m], sw->nseeds * x->E, y->v[m], sw->nseeds * y->E);
  }
  *est = s / nr;
  const int B = 1000;
  double *st = sgp_malloc(sizeof *st * B);
  E = 1;
  for (int i = 0; i < nr; i++) {
    int e1 = cells[rows[i] * nc + a].E, e2 = cells[rows[i] * nc + c].E;
    if (e1 > E) E = e1;
    if (e2 > E) E = e2;
  }
  double *bx = sgp_malloc(sizeof *bx * (size_t)sw->nseeds * E), *by = sgp_malloc(sizeof *by * (size_t)sw->nseeds * E);
  sgp_rng rng;
  char key[64];
  snprintf(key, sizeof key, "poi/%d/%d", a, c);
  sgp_rng_stream(&rng, sgp_hash64(key, strlen(key), 2), "bootstrap");
  for (int b = 0; b < B; b++) {
    double tot = 0;
    for (int i = 0; i < nr; i++) {
      const cellv *x = &cells[rows[i] * nc + a], *y = &cells[rows[i] * nc + c];
      for (int side = 0; side < 2; side++) {
        const cellv *cv = side ? y : x;
        double *out = side ? by : bx;
        for (int d = 0; d < sw->nseeds; d++) {
          int si = (int)sgp_rng_below(&rng, (uint64_t)sw->nseeds);
          for (int q = 0; q < cv->E; q++) out[d * cv->E + q] = cv->v[m][si * cv->E + q];
        }
      }
      tot += stats_prob_improvement(bx, sw->nseeds * x->E, by, sw->nseeds * y->E);
    }
    st[b] = tot / nr;
  }
  /* the percentile interval of the B statistics (linear interpolation, as stats_bootstrap_ci) */
  qsort(st, B, sizeof *st, cmp_dbl);
  double ql = 0.5 * (1 - sw->confidence) * (B - 1), qh = 0.5 * (1 + sw->confidence) * (B - 1);
  int il = (int)floor(ql), ih = (int)floor(qh);
  *lo = st[il] + (ql - il) * (il + 1 < B ? st[il + 1] - st[il] : 0);
  *hi = st[ih] + (qh - ih) * (ih + 1 < B ? st[ih + 1] - st[ih] : 0);
  free(st), free(bx), free(by);
}

/* The aggregate object of table.json (and the aggregate figure): per agent the IQM of its
 * normalised scores over its rows with an interval stratified by row, the performance profile,
 * and the probability of improvement of the first agent over each other one. */
#define NTAU 41
static cJSON *aggregate_json(const sweep *sw, const cellv *cells, const char *figpath, FILE *md, sgp_err *e) {
  int nc = sw->ncols, any = 0;
  for (int r = 0; r < sw->nrows; r++) any |= row_has_scores(sw, cells, r);
  if (!any) return NULL;
  pooled *p = sgp_calloc((size_t)nc, sizeof *p);
  double tlo = INFINITY, thi = -INFINITY;
  for (int c = 0; c < nc; c++) {
    pool_agent(sw, cells, c, &p[c]);
    for (int i = 0; i < p[c].n; i++) tlo = fmin(tlo, p[c].x[i]), thi = fmax(thi, p[c].x[i]);
  }
  if (!(tlo < thi)) tlo -= 1, thi += 1;
  double taus[NTAU];
  for (int k = 0; k < NTAU; k++) taus[k] = tlo + (thi - tlo) * k / (NTAU - 1);
  cJSON *agg = cJSON_CreateObject();
  cJSON_AddStringToObject(agg, "metric", "normalized_score");
  cJSON_AddStringToObject(agg, "estimate", "interquartile mean over the agent's rows' seeds x episodes; interval: "
                                           "bootstrap resampling seeds within each row (stratified by row)");
  cJSON *tj = cJSON_AddArrayToObject(agg, "taus");
  for (int k = 0; k < NTAU; k++) cJSON_AddItemToArray(tj, cJSON_CreateNumber(taus[k]));
  cJSON *aj = cJSON_AddObjectToObject(agg, "agents");
  svg_agg_item *it = sgp_calloc((size_t)nc, sizeof *it);
  double *prof = sgp_malloc(sizeof *prof * (size_t)nc * NTAU * 3);
  int n = 0;
  fprintf(md, "\n## Across rows (normalised score)\n\nInterquartile mean of every run (seed × episode) of an agent's rows, "
              "with a %g%% bootstrap interval resampling seeds within each row; the probability that %s improves on "
              "the agent (the mean over their common rows of P(X > Y) + ½P(X = Y) over runs, with a bootstrap "
              "interval); performance profiles in `figures/aggregate.svg`. Agents ran on different rows where the "
              "count differs.\n\n| agent | rows | IQM | P(%s > agent) |\n|---|---|---|---|\n",
          100 * sw->confidence, sw->cols[0], sw->cols[0]);
  for (int c = 0; c < nc; c++) {
    if (!p[c].n) continue;
    double est = stats_iqm(p[c].x, p[c].n), lo, hi;
    stats_bootstrap_ci(p[c].x, p[c].cl, p[c].st, p[c].n, stats_fn_iqm, NULL, TABLE_BOOT, sw->confidence,
                       sgp_hash64(sw->cols[c], strlen(sw->cols[c]), 3), &lo, &hi);
    double *pr = prof + (size_t)n * NTAU * 3, *plo = pr + NTAU, *phi = pr + 2 * NTAU;
    for (int k = 0; k < NTAU; k++) {
      pr[k] = stats_fn_above(p[c].x, p[c].n, &taus[k]);
      stats_bootstrap_ci(p[c].x, p[c].cl, p[c].st, p[c].n, stats_fn_above, &taus[k], 300, sw->confidence,
                         sgp_hash64(sw->cols[c], strlen(sw->cols[c]), 100 + (uint64_t)k), &plo[k], &phi[k]);
    }
    it[n] = (svg_agg_item){sw->cols[c], c, p[c].nrows, est, lo, hi, pr, plo, phi};
    cJSON *o = cJSON_AddObjectToObject(aj, sw->cols[c]);
    cJSON_AddNumberToObject(o, "rows", p[c].nrows);
    cJSON_AddNumberToObject(o, "n", p[c].n);
    cJSON_AddItemToObject(o, "iqm", num_or_null(est));
    cJSON *ci = cJSON_AddArrayToObject(o, "ci");
    cJSON_AddItemToArray(ci, num_or_null(lo));
    cJSON_AddItemToArray(ci, num_or_null(hi));
    cJSON *pj = cJSON_AddArrayToObject(o, "profile");
    for (int k = 0; k < NTAU; k++) cJSON_AddItemToArray(pj, num_or_null(pr[k]));
    double pe = NAN, pl = NAN, ph = NAN;
    int prow = 0;
    if (c > 0) poi_vs(sw, cells, 0, c, &pe, &pl, &ph, &prow);
    if (c > 0 && prow > 0) {
      cJSON *q = cJSON_AddObjectToObject(o, "prob_improvement_of_first");
      cJSON_AddStringToObject(q, "first", sw->cols[0]);
      cJSON_AddNumberToObject(q, "rows", prow);
      cJSON_AddItemToObject(q, "p", num_or_null(pe));
      cJSON *qc = cJSON_AddArrayToObject(q, "ci");
      cJSON_AddItemToArray(qc, num_or_null(pl));
      cJSON_AddItemToArray(qc, num_or_null(ph));
    }
    int d = decimals(est);
    char pcell[96] = "·";
    if (c > 0 && prow > 0) snprintf(pcell, sizeof pcell, "%.2f [%.2f, %.2f] (%d rows)", pe, pl, ph, prow);
    fprintf(md, "| %s | %d | %.*f [%.*f, %.*f] | %s |\n", sw->cols[c], p[c].nrows, d, est, d, lo, d, hi, pcell);
    n++;
  }
  if (figpath) {
    if (svg_aggregate(figpath, "Across rows: normalised score", "normalised score (x100)", it, n, taus, NTAU, e) == 0)
      fprintf(md, "\n![across rows](figures/aggregate.svg)\n");
    else fprintf(md, "\n(aggregate figure not written: %s)\n", e->msg);
  }
  for (int c = 0; c < nc; c++) pooled_free(&p[c]);
  free(p), free(it), free(prof);
  return agg;
}

/* ------------------------------------------------------------------ figures */

/* Full rows of a row-major float32 array (rows × cols), or for the plan file the first step's
 * (H+1) × cols; at most `max` rows, evenly strided; NULL on any problem. */
static float *load_rows(const char *path, long max, long *rows, int *cols, int plan_first) {
  sgp_array a;
  sgp_err e;
  if (!sgp_path_exists(path) || sgp_npy_read(path, &a, &e)) return NULL;
  int ok = a.dtype == SGP_F32 && (plan_first ? a.ndim == 3 && a.shape[0] >= 1 : a.ndim == 2);
  float *out = NULL;
  if (ok) {
    long n = (long)(plan_first ? a.shape[1] : a.shape[0]), stride = n > max ? (n + max - 1) / max : 1;
    *cols = (int)a.shape[a.ndim - 1];
    *rows = (n + stride - 1) / stride;
    out = sgp_malloc(sizeof *out * (size_t)*cols * (size_t)(*rows ? *rows : 1));
    const float *d = a.data;
    for (long i = 0; i < *rows; i++) memcpy(out + i * *cols, d + i * stride * *cols, sizeof *out * (size_t)*cols);
  }
  sgp_array_free(&a);
  return out;
}

/* rows × cols states -> rows × fig.n figure coordinates (decoded by the registry where it can) */
static float *to_figure(const sweep *sw, const sweep_row *row, float *x, long rows, int cols) {
  if (!x) return NULL;
  const env_figure *fig = &row->info.fig;
  float *out = sgp_malloc(sizeof *out * (size_t)fig->n * (size_t)(rows ? rows : 1));
  sgp_err e;
  int ok = 1;
  if (sw->reg->decode) ok = sw->reg->decode(row->env_name, row->config, x, rows, cols, out, &e) == 0;
  else
    for (long i = 0; i < rows; i++)
      for (int k = 0; k < fig->n; k++) {
        ok &= fig->dims[k] < cols;
        out[i * fig->n + k] = fig->dims[k] < cols ? x[i * cols + fig->dims[k]] : NAN;
      }
  free(x);
  if (!ok) {
    free(out);
    return NULL;
  }
  return out;
}

/* The row's trajectory figure (the environment's choice, sweep_env_info.fig): one panel per seed,
 * its dataset and every agent's first episode, executed and first plan. */
static void trajectory_figure(const sweep *sw, int r, const char *base, FILE *md, sgp_err *e) {
  const sweep_row *row = &sw->rows[r];
  const env_figure *fig = &row->info.fig;
  int planar = fig->kind == ENV_FIG_PLANAR, ns = sw->nseeds, nc = sw->ncols;
  char path[4096], title[512];
  svg_traj_panel *pn = sgp_calloc((size_t)ns, sizeof *pn);
  svg_traj_agent *ag = sgp_calloc((size_t)ns * nc, sizeof *ag);
  float **owned = sgp_calloc((size_t)ns * (2 * nc + 1), sizeof *owned);
  char **titles = sgp_calloc((size_t)ns, sizeof *titles);
  int no = 0, *tried = sgp_calloc((size_t)ns, sizeof *tried); /* the panel's dataset was looked for */
  for (int si = 0; si < ns; si++) {
    pn[si].agents = ag + (size_t)si * nc;
    titles[si] = sgp_malloc(64);
    snprintf(titles[si], 64, "seed %ld, episode 0", sw->seeds[si]);
    pn[si].title = titles[si];
  }
  for (int q = 0; q < sw->nruns; q++) {
    const sweep_run *run = &sw->runs[q];
    if (run->row != r) continue;
    svg_traj_panel *p = &pn[run->seed_index];
    long m = 0;
    int cols = 0;
    if (!tried[run->seed_index] && planar) {
      tried[run->seed_index] = 1;
      char *ddir = sgp_strdup(sw->jobs[run->data_job].done_path);
      char *sl = strrchr(ddir, '/');
      if (sl) *sl = 0;
      snprintf(path, sizeof path, "%s/x.npy", ddir);
      free(ddir);
      float *x = load_rows(path, 1500, &m, &cols, 0);
      p->pts = owned[no++] = to_figure(sw, row, x, m, cols);
      p->npts = p->pts ? m : 0;
    }
    svg_traj_agent *a = (svg_traj_agent *)&p->agents[p->nagents++];
    a->label = sw->cols[run->col];
    a->style = run->col;
    snprintf(path, sizeof path, "%s/rollouts/%s/ep0_x.npy", sw->out, sw->jobs[run->job].key);
    float *x = load_rows(path, 100000, &m, &cols, 0);
    a->x = owned[no++] = to_figure(sw, row, x, m, cols);
    a->nx_steps = a->x ? (int)m : 0;
    snprintf(path, sizeof path, "%s/rollouts/%s/ep0_plan_x.npy", sw->out, sw->jobs[run->job].key);
    x = load_rows(path, 100000, &m, &cols, 1);
    a->plan = owned[no++] = to_figure(sw, row, x, m, cols);
    a->nplan = a->plan ? (int)m : 0;
  }
  snprintf(path, sizeof path, "%s/figures/%s-traj.svg", sw->out, base);
  snprintf(title, sizeof title, "%s / %s: every seed's first episode%s", row->env, row->dataset,
           row->info.fig_box ? " (states decoded to the dot's position)" : "");
  int rc = planar ? svg_trajectories(path, title, &row->info, pn, ns, e) : svg_series(path, title, &row->info, pn, ns, e);
  if (rc == 0) fprintf(md, "\n![%s / %s: trajectories](figures/%s-traj.svg)\n", row->env, row->dataset, base);
  else fprintf(md, "\n(trajectory figure not written: %s)\n", e->msg);
  for (int i = 0; i < no; i++) free(owned[i]);
  for (int si = 0; si < ns; si++) free(titles[si]);
  free(owned), free(ag), free(pn), free(titles), free(tried);
}

static void figures_for_row(const sweep *sw, int r, cellv *cells, FILE *md, sgp_err *e) {
  const sweep_row *row = &sw->rows[r];
  int mi = metric_index(row->metric);
  char *base = slug(row->env, row->dataset);
  char path[4096], title[512], note[256];
  svg_bar_item *it = sgp_calloc((size_t)sw->ncols, sizeof *it);
  int n = 0;
  for (int c = 0; c < sw->ncols; c++) {
    cellv *cv = &cells[r * sw->ncols + c];
    if (!cv->present) continue;
    const cell_stat *s = &cv->st[mi];
    it[n] = (svg_bar_item){sw->cols[c], c, s->est, s->lo, s->hi, s->seedmean, sw->nseeds, s->n};
    n++;
  }
  snprintf(path, sizeof path, "%s/figures/%s-bar.svg", sw->out, base);
  snprintf(title, sizeof title, "%s / %s: %s", row->env, row->dataset, metrics[mi].label);
  if (metrics[mi].proportion)
    snprintf(note, sizeof note, "bar: success rate over seeds x episodes; whisker: %g%% Wilson interval; dots: per-seed rates",
             100 * sw->confidence);
  else
    snprintf(note, sizeof note, "bar: interquartile mean over seeds x episodes; whisker: %g%% bootstrap interval (seeds); "
             "dots: per-seed means", 100 * sw->confidence);
  fprintf(md, "\n### %s / %s\n\n", row->env, row->dataset);
  if (svg_bar_chart(path, title, metrics[mi].label, note, it, n, e) == 0)
    fprintf(md, "![%s / %s: %s](figures/%s-bar.svg)\n", row->env, row->dataset, row->metric, base);
  else
    fprintf(md, "(bar chart not written: %s)\n", e->msg);
  free(it);
  if (row->trajectories) trajectory_figure(sw, r, base, md, e);
  free(base);
}

/* The sweep's curve figures (sweep_curve.c): per agent, its cells on the curve's rows in
 * increasing x, each its main-metric estimate and interval, as in the tables. Written to
 * figures/NAME.svg (when figures are on) and, the same numbers, to table.json's "figures". */
static int cmp_point_x(const void *a, const void *b) {
  double x = ((const svg_curve_point *)a)->x, y = ((const svg_curve_point *)b)->x;
  return isnan(x) ? (isnan(y) ? 0 : 1) : isnan(y) ? -1 : x < y ? -1 : x > y ? 1 : 0;
}

static cJSON *curves(const sweep *sw, cellv *cells, int draw, FILE *md, sgp_err *e) {
  if (!sw->ncurves) return NULL;
  cJSON *out = cJSON_CreateArray();
  for (int k = 0; k < sw->ncurves; k++) {
    const sweep_curve *cv = &sw->curves[k];
    int mi = metric_index(sw->rows[cv->rows[0]].metric);
    const metric_def d = metric_at(sw, mi);
    svg_curve_series *ser = sgp_calloc((size_t)sw->ncols, sizeof *ser);
    svg_curve_point *pts = sgp_calloc((size_t)sw->ncols * (size_t)cv->nrows, sizeof *pts);
    char **names = sgp_calloc((size_t)cv->nrows, sizeof *names);
    for (int q = 0; q < cv->nrows; q++) {
      const sweep_row *row = &sw->rows[cv->rows[q]];
      size_t n = strlen(row->env) + strlen(row->dataset) + 2;
      names[q] = sgp_malloc(n);
      snprintf(names[q], n, "%s/%s", row->env, row->dataset);
    }
    cJSON *fj = cJSON_CreateObject();
    cJSON_AddStringToObject(fj, "type", "curve");
    cJSON_AddStringToObject(fj, "name", cv->name);
    cJSON_AddStringToObject(fj, "x", cv->x);
    cJSON_AddStringToObject(fj, "x_label", cv->x_label);
    cJSON_AddBoolToObject(fj, "log_x", cv->log_x);
    cJSON_AddStringToObject(fj, "metric", d.name);
    cJSON_AddStringToObject(fj, "estimate", d.proportion ? "rate" : "iqm");
    cJSON *sj = cJSON_AddArrayToObject(fj, "series");
    int ns = 0;
    for (int c = 0; c < sw->ncols; c++) {
      svg_curve_point *p = pts + (size_t)ns * cv->nrows;
      int np = 0;
      for (int q = 0; q < cv->nrows; q++) {
        const cellv *cl = &cells[cv->rows[q] * sw->ncols + c];
        if (!cl->present) continue;
        const cell_stat *st = &cl->st[mi];
        p[np++] = (svg_curve_point){sweep_curve_x(sw, cv, q, c), st->n ? st->est : NAN, st->n ? st->lo : NAN,
                                    st->n ? st->hi : NAN, names[q]};
      }
      if (!np) continue;
      qsort(p, (size_t)np, sizeof *p, cmp_point_x);
      ser[ns++] = (svg_curve_series){sw->cols[c], c, np, p};
      cJSON *a = cJSON_CreateObject();
      cJSON_AddStringToObject(a, "agent", sw->cols[c]);
      cJSON *pa = cJSON_AddArrayToObject(a, "points");
      for (int i = 0; i < np; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "row", p[i].row);
        cJSON_AddItemToObject(o, "x", num_or_null(p[i].x));
        cJSON_AddItemToObject(o, "estimate", num_or_null(p[i].est));
        cJSON *ci = cJSON_AddArrayToObject(o, "ci");
        cJSON_AddItemToArray(ci, num_or_null(p[i].lo));
        cJSON_AddItemToArray(ci, num_or_null(p[i].hi));
        cJSON_AddItemToArray(pa, o);
      }
      cJSON_AddItemToArray(sj, a);
    }
    if (draw) {
      char path[4096], title[512], note[256];
      snprintf(path, sizeof path, "%s/figures/%s.svg", sw->out, cv->name);
      cJSON_AddItemToObject(fj, "file", cJSON_CreateString(path + strlen(sw->out) + 1));
      if (cv->title) snprintf(title, sizeof title, "%s", cv->title);
      else snprintf(title, sizeof title, "%s against %s", d.label, cv->x_label);
      snprintf(note, sizeof note, "points: %s over seeds x episodes, whiskers: its %g%% %s interval, as in the table",
               d.proportion ? "success rate" : "interquartile mean", 100 * sw->confidence,
               d.proportion ? "Wilson" : "bootstrap");
      if (svg_curve(path, title, cv->x_label, d.label, note, cv->log_x, ser, ns, e) == 0)
        fprintf(md, "\n### %s\n\n![%s](figures/%s.svg)\n", title, cv->name, cv->name);
      else
        fprintf(md, "\n(curve %s not written: %s)\n", cv->name, e->msg);
    }
    cJSON_AddItemToArray(out, fj);
    for (int q = 0; q < cv->nrows; q++) free(names[q]);
    free(names), free(ser), free(pts);
  }
  return out;
}

/* ------------------------------------------------------------------ table.md */

/* One table of metric mi (or, mi < 0, each row's main metric; a success row then shows the final
 * cost beside its rate). */
static void md_table(FILE *md, const sweep *sw, const cellv *cells, int mi_fixed, const char *title, const char *note) {
  int reported = mi_fixed < 0;
  for (int i = 0; i < sw->nrows * sw->ncols && !reported; i++) reported = cells[i].present && cells[i].st[mi_fixed].n > 0;
  if (!reported) return; /* a metric no cell reports (the gradient norms without a first-order planner) */
  fprintf(md, "\n## %s\n\n%s%s| environment | dataset |%s", title, note ? note : "", note ? "\n\n" : "",
          mi_fixed < 0 ? " metric |" : "");
  for (int c = 0; c < sw->ncols; c++) fprintf(md, " %s |", sw->cols[c]);
  fprintf(md, "\n|---|---|%s", mi_fixed < 0 ? "---|" : "");
  for (int c = 0; c < sw->ncols; c++) fprintf(md, "---|");
  fprintf(md, "\n");
  int fc = metric_index("final_cost");
  for (int r = 0; r < sw->nrows; r++) {
    int mi = mi_fixed >= 0 ? mi_fixed : metric_index(sw->rows[r].metric);
    int any = 0;
    for (int c = 0; c < sw->ncols; c++) any |= cells[r * sw->ncols + c].present && cells[r * sw->ncols + c].st[mi].n > 0;
    if ((mi_fixed >= 0 && !any) || !row_has_metric(sw, r, mi)) continue; /* a metric this row does not report */
    const metric_def d = metric_at(sw, mi);
    row_sig g;
    row_significance(sw, cells, r, mi, &g);
    fprintf(md, "| %s | %s |", sw->rows[r].env, sw->rows[r].dataset);
    if (mi_fixed < 0) fprintf(md, " %s%s |", d.name, d.proportion ? " · final cost" : "");
    for (int c = 0; c < sw->ncols; c++) {
      const cellv *cv = &cells[r * sw->ncols + c];
      char buf[256];
      if (!cv->present) snprintf(buf, sizeof buf, "·");
      else if (cv->nseen > 0 && cv->st[mi].n == 0 && !d.better) snprintf(buf, sizeof buf, "n/a"); /* not computed */
      else fmt_stat(buf, sizeof buf, &cv->st[mi], sw->nseeds, g.bold && c == g.best, g.tied[c]);
      if (cv->present && mi_fixed < 0 && d.proportion && cv->st[fc].n > 0) {
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof buf - l, " · %.3g", cv->st[fc].est);
      }
      fprintf(md, " %s |", buf);
    }
    fprintf(md, "\n");
    row_sig_free(&g);
  }
}

static void fmt_rows(char *b, size_t cap, double v) {
  if (!isfinite(v)) snprintf(b, cap, "?");
  else if (v >= 1e6) snprintf(b, cap, "%.3gM", v / 1e6);
  else if (v >= 1e4) snprintf(b, cap, "%.3gk", v / 1e3);
  else snprintf(b, cap, "%.0f", v);
}

/* Budgets per MPC step: model rows (+ score rows) per plan and the measured planning time. */
static void md_budget_table(FILE *md, const sweep *sw, const cellv *cells) {
  fprintf(md, "\n## Budget per MPC step\n\nRows pushed through the dynamics models per plan (+ rows through the score or "
              "distance model), from the planners' own counts (deterministic), and the measured planning time per "
              "step (ms, median over seeds; it varies between machines and runs). Open-loop rows: the one plan.\n");
  if (sw->budget) {
    const cJSON *ag = cJSON_GetObjectItemCaseSensitive(sw->budget, "agents");
    fprintf(md, "Matched planning time: the %s of", cJSON_GetObjectItemCaseSensitive(sw->budget, "parameter")->valuestring);
    for (const cJSON *x = ag->child; x; x = x->next) fprintf(md, "%s %s", x == ag->child ? "" : x->next ? "," : " and", x->valuestring);
    fprintf(md, " were set on every row so that their planning time per step is within ±%g %% of %s's (measured at the end "
                "of the tuning stage: `tuning.matched_time` in table.json); the other agents run the budgets of their "
                "settings.\n", 100 * cJSON_GetObjectItemCaseSensitive(sw->budget, "tolerance")->valuedouble,
            cJSON_GetObjectItemCaseSensitive(sw->budget, "reference")->valuestring);
  }
  fprintf(md, "\n| environment | dataset |");
  for (int c = 0; c < sw->ncols; c++) fprintf(md, " %s |", sw->cols[c]);
  fprintf(md, "\n|---|---|");
  for (int c = 0; c < sw->ncols; c++) fprintf(md, "---|");
  fprintf(md, "\n");
  for (int r = 0; r < sw->nrows; r++) {
    fprintf(md, "| %s | %s |", sw->rows[r].env, sw->rows[r].dataset);
    for (int c = 0; c < sw->ncols; c++) {
      const cellv *cv = &cells[r * sw->ncols + c];
      if (!cv->present) {
        fprintf(md, " · |");
        continue;
      }
      if (!cv->v || !cv->nseen) {
        fprintf(md, " — |");
        continue;
      }
      double mr = stats_mean(cv->mrows, sw->nseeds), sr = stats_mean(cv->srows, sw->nseeds);
      double *ms = sgp_malloc(sizeof *ms * (size_t)sw->nseeds);
      int k = 0;
      for (int i = 0; i < sw->nseeds; i++)
        if (isfinite(cv->ms[i])) ms[k++] = cv->ms[i];
      qsort(ms, (size_t)k, sizeof *ms, cmp_dbl);
      double med = k ? (k % 2 ? ms[k / 2] : 0.5 * (ms[k / 2 - 1] + ms[k / 2])) : NAN;
      free(ms);
      char a[32], b[32];
      fmt_rows(a, sizeof a, mr);
      fmt_rows(b, sizeof b, sr);
      char matched[64] = "";
      double bv = sweep_budget_value(sw, r, c);
      if (isfinite(bv)) snprintf(matched, sizeof matched, " (%g %s, matched)", bv,
                                 cJSON_GetObjectItemCaseSensitive(sw->budget, "parameter")->valuestring);
      if (isfinite(sr) && sr > 0) fprintf(md, " %s + %s · %.3g ms%s |", a, b, med, matched);
      else fprintf(md, " %s · %.3g ms%s |", a, med, matched);
    }
    fprintf(md, "\n");
  }
}

/* The tuning stage: seeds, rule, and per row and agent the chosen setting among its scores. */
static void md_tuning(FILE *md, const sweep *sw) {
  const cJSON *res = sw->tuning.result;
  if (!res) return;
  const cJSON *agents = cJSON_GetObjectItemCaseSensitive(res, "agents");
  fprintf(md, "\n## Tuning\n\nEvery agent chose its setting on each row from its own grid of %d settings (the "
              "rule: the same number for every agent), by the best mean of the row's main metric over the tuning "
              "seeds", sw->tuning.settings);
  for (int i = 0; i < sw->tuning.nseeds; i++) fprintf(md, "%s%ld", i ? ", " : " ", sw->tuning.seeds[i]);
  fprintf(md, " (ties: the lower final cost), none of which is a report seed; only the chosen setting ran on the "
              "report seeds. Result: `%s` (every score and its runs: `table.json`, `tuning`).\n\n| environment | "
              "dataset | agent | chosen | its tuning mean | the other settings |\n|---|---|---|---|---|---|\n",
          sw->tuning.source);
  for (int r = 0; r < sw->nrows; r++) {
    char rk[512];
    snprintf(rk, sizeof rk, "%s/%s", sw->rows[r].env, sw->rows[r].dataset);
    for (int c = 0; c < sw->ncols; c++) {
      const cJSON *ag = cJSON_GetObjectItemCaseSensitive(agents, sw->cols[c]);
      const cJSON *sc = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ag, "scores"), rk);
      const cJSON *ch = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ag, "chosen"), rk);
      if (!cJSON_IsArray(sc)) continue;
      const cJSON *best = NULL;
      for (const cJSON *x = sc->child; x; x = x->next)
        if (cJSON_Compare(cJSON_GetObjectItemCaseSensitive(x, "setting"), ch, 1)) best = x;
      if (!best) continue;
      fprintf(md, "| %s | %s | %s | %s | %.3g |", sw->rows[r].env, sw->rows[r].dataset, sw->cols[c],
              cJSON_GetObjectItemCaseSensitive(best, "label")->valuestring, json_num(best, "mean"));
      int first = 1;
      for (const cJSON *x = sc->child; x; x = x->next) {
        if (x == best) continue;
        fprintf(md, "%s%s: %.3g", first ? " " : "; ", cJSON_GetObjectItemCaseSensitive(x, "label")->valuestring,
                json_num(x, "mean"));
        first = 0;
      }
      fprintf(md, " |\n");
    }
  }
}

static const char *file_base(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

static void md_provenance(FILE *md, const sweep *sw, int missing) {
  fprintf(md, "\n## Provenance\n\n- sweep file: `%s` (sha256 of its canonical JSON `%.16s…`), seeds:", file_base(sw->file),
          sw->sha256);
  for (int s = 0; s < sw->nseeds; s++) fprintf(md, " %ld", sw->seeds[s]);
  fprintf(md, "\n- runs: %d (%d missing); datasets and models content-addressed in the cache\n", sw->nruns, missing);
  fprintf(md, "- sgpbench %s, git %s, %s, CPU %s\n", sgp_version(), sgp_git_revision(), sgp_compiler(), sgp_cpu_model());
  fprintf(md, "- the resolved configuration of every run, the software versions and thread counts of the runs: `table.json`\n");
  if (!missing) return;
  fprintf(md, "\nMissing runs (rerun the sweep to resume; logs in `logs/`):\n\n");
  for (int q = 0; q < sw->nruns; q++) {
    const sweep_job *j = &sw->jobs[sw->runs[q].job];
    if (!sgp_path_exists(j->done_path)) fprintf(md, "- %s (`runs/%s.json`)\n", j->what, j->key);
  }
}

static int max_episodes(const sweep *sw, const cellv *cells) {
  int E = 0;
  for (int i = 0; i < sw->nrows * sw->ncols; i++)
    if (cells[i].present && cells[i].E > E) E = cells[i].E;
  return E;
}

static void md_write(FILE *md, const sweep *sw, cellv *cells, int missing, cJSON *tj) {
  const cJSON *desc = cJSON_GetObjectItemCaseSensitive(sw->root, "description");
  double alpha = 1 - sw->confidence;
  fprintf(md, "# Sweep `%s`%s\n\n", sw->name, sw->reg->fake ? " (FAKE JOBS: harness test, not a benchmark)" : "");
  if (cJSON_IsString(desc)) fprintf(md, "%s\n\n", desc->valuestring);
  fprintf(md, "Cells: the interquartile mean (IQM) over %d seed(s) × up to %d episode(s) with its %g%% interval "
              "[lo, hi] from a bootstrap that resamples seeds (a seed = a new dataset, new models, new evaluation "
              "noise); success rates: the proportion of episodes in %% with its Wilson interval. **Bold**: the "
              "row's best cell is significantly better than every other cell of the row (two-sided exact "
              "permutation test of the seed means, α = %g, against each); ≈: no significant winner, the best cell "
              "and those not significantly different from it. `—`: no result yet; `·`: agent not run on this "
              "environment; `(n=k/%d)`: only k seeds have results.\n",
          sw->nseeds, max_episodes(sw, cells), 100 * sw->confidence, alpha, sw->nseeds);
  fprintf(md, "Main metric: the normalised score ×100 where the environment has reference returns (means over its "
              "start distribution), else the success rate (or the row's `metric` from the sweep file); a row whose "
              "main metric is the success rate shows the IQM of the final cost (terminal error) after ` · `.\n");
  md_table(md, sw, cells, -1, "Main metric", NULL);
  md_budget_table(md, sw, cells);
  md_table(md, sw, cells, metric_index("normalized_score"), "Normalised score (x100)",
           "A secondary column where the main metric is the success rate. Cart-pole: near the top of the scale the "
           "score is dominated by the effort term 1e-5·u² (the expert's return is 0.67 effort and 0.05 terminal cost), "
           "so a cheap swing-up that ends less exactly can exceed 100, and doing nothing scores 53 "
           "(docs/environments.md).");
  md_table(md, sw, cells, metric_index("success"), "Success rate (%)", NULL);
  md_table(md, sw, cells, metric_index("final_cost"), "Final cost (terminal error, lower is better)", NULL);
  md_table(md, sw, cells, metric_index("max_data_distance"), "Max distance of visited (x,u) to the data (normalised units)", NULL);
  md_table(md, sw, cells, metric_index("plan_gap"), "Plan gap: one-step model error along the executed trajectory", NULL);
  md_table(md, sw, cells, metric_index("plan_grad_norm"), "Gradient norm of the penalised objective at the returned plan",
           "First-order planners (sgp-shooting, grad, grad-ensemble): the norm of the gradient of the objective they "
           "minimise (task cost plus penalty) at the plan they return, averaged over an episode's plans; `n/a`: a "
           "planner that does not compute it. Read it with the next table: a plan that is stationary for the "
           "penalised objective while the task cost's gradient is large is held where it is by the penalty "
           "(docs/planners.md, \"Gradient norms at the returned plan\").");
  md_table(md, sw, cells, metric_index("plan_cost_grad_norm"), "Gradient norm of the task cost at the returned plan",
           "The same plans, the gradient of the task cost alone (ensemble: the members' mean cost); for grad (β = 0) "
           "it is the previous table's value.");
  for (int m = NMETRIC, nm = nmetric(sw); m < nm; m++) { /* the environments' own, for their rows */
    const metric_def d = metric_at(sw, m);
    char title[256];
    snprintf(title, sizeof title, "%s%s", d.label, d.better < 0 ? " (lower is better)" : "");
    md_table(md, sw, cells, m, title, NULL);
  }
  char path[4096];
  sgp_err fe;
  int figs = 0;
  if (sw->figures) {
    snprintf(path, sizeof path, "%s/figures", sw->out);
    figs = sgp_mkdirs(path, &fe) == 0;
  }
  snprintf(path, sizeof path, "%s/figures/aggregate.svg", sw->out);
  cJSON *agg = aggregate_json(sw, cells, figs ? path : NULL, md, &fe);
  if (agg) cJSON_AddItemToObject(tj, "aggregate", agg);
  md_tuning(md, sw);
  if (figs) fprintf(md, "\n## Figures\n");
  cJSON *cj = curves(sw, cells, figs, md, &fe);
  if (cj) cJSON_AddItemToObject(tj, "figures", cj);
  if (figs)
    for (int r = 0; r < sw->nrows; r++) figures_for_row(sw, r, cells, md, &fe);
  md_provenance(md, sw, missing);
}

/* ------------------------------------------------------------------ table.json */

/* what the table is about: the sweep, its seeds, metrics, statistics, columns, rows and tuning */
static cJSON *table_header(const sweep *sw) {
  cJSON *tj = cJSON_CreateObject();
  cJSON_AddNumberToObject(tj, "schema_version", 2);
  cJSON_AddStringToObject(tj, "kind", "table");
  cJSON *swj = cJSON_AddObjectToObject(tj, "sweep");
  cJSON_AddStringToObject(swj, "name", sw->name);
  cJSON_AddStringToObject(swj, "file", file_base(sw->file));
  cJSON_AddStringToObject(swj, "sha256", sw->sha256);
  cJSON_AddStringToObject(swj, "registry", sw->reg->what);
  if (sw->reg->fake) cJSON_AddBoolToObject(swj, "fake", 1);
  cJSON_AddItemToObject(swj, "config", cJSON_Duplicate(sw->root, 1));
  cJSON_AddNumberToObject(tj, "confidence", sw->confidence);
  cJSON *st = cJSON_AddObjectToObject(tj, "statistics");
  cJSON_AddStringToObject(st, "values", "every episode of every seed (a seed: new dataset, models and planner noise)");
  cJSON_AddStringToObject(st, "estimate", "interquartile mean (scipy.stats.trim_mean(x, 0.25)); success: the proportion");
  cJSON_AddStringToObject(st, "interval", "percentile bootstrap resampling seeds (their episodes ride along); success: Wilson");
  cJSON_AddNumberToObject(st, "bootstrap_resamples", TABLE_BOOT);
  cJSON_AddStringToObject(st, "test", "two-sided permutation test of the difference of the seed means (exact up to "
                                      "200000 relabellings), best cell against each other cell of the row");
  cJSON_AddNumberToObject(st, "alpha", 1 - sw->confidence);
  cJSON_AddStringToObject(st, "bold", "the best cell is significantly better than every other cell of its row");
  cJSON_AddStringToObject(st, "tied", "no significant winner: the best cell and those not significantly different from it");
  cJSON *seeds = cJSON_AddArrayToObject(tj, "seeds");
  for (int s = 0; s < sw->nseeds; s++) cJSON_AddItemToArray(seeds, cJSON_CreateNumber((double)sw->seeds[s]));
  cJSON *mj = cJSON_AddArrayToObject(tj, "metrics");
  for (int m = 0, nm = nmetric(sw); m < nm; m++) {
    const metric_def d = metric_at(sw, m);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", d.name);
    cJSON_AddStringToObject(o, "label", d.label);
    cJSON_AddStringToObject(o, "better", d.better > 0 ? "higher" : d.better < 0 ? "lower" : "none");
    cJSON_AddStringToObject(o, "interval", d.proportion ? "wilson" : "bootstrap");
    cJSON_AddItemToArray(mj, o);
  }
  cJSON *aj = cJSON_AddArrayToObject(tj, "agents");
  for (int c = 0; c < sw->ncols; c++) cJSON_AddItemToArray(aj, cJSON_CreateString(sw->cols[c]));
  if (sw->tuning.result) {
    cJSON *tu = cJSON_Duplicate(sw->tuning.result, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(tu, "schema_version");
    cJSON_DeleteItemFromObjectCaseSensitive(tu, "kind");
    cJSON_AddStringToObject(tu, "source", sw->tuning.source);
    cJSON_AddItemToObject(tj, "tuning", tu);
  }
  return tj;
}

static cJSON *stat_json(const double *v, int ns, int E, const cell_stat *s, int proportion) {
  cJSON *x = cJSON_CreateObject();
  cJSON *vals = cJSON_AddArrayToObject(x, "values");
  for (int i = 0; i < ns; i++) cJSON_AddItemToArray(vals, num_or_null(s->seedmean[i]));
  cJSON *ev = cJSON_AddArrayToObject(x, "episode_values");
  for (int i = 0; i < ns; i++) {
    cJSON *a = cJSON_CreateArray();
    for (int q = 0; q < E; q++) cJSON_AddItemToArray(a, num_or_null(v[i * E + q]));
    cJSON_AddItemToArray(ev, a);
  }
  cJSON_AddNumberToObject(x, "n", s->n);
  cJSON_AddNumberToObject(x, "seeds", s->nseeds);
  cJSON_AddItemToObject(x, "mean", num_or_null(s->mean));
  if (proportion) {
    cJSON_AddNumberToObject(x, "successes", s->k);
    cJSON_AddItemToObject(x, "rate", num_or_null(s->est));
  } else {
    cJSON_AddItemToObject(x, "iqm", num_or_null(s->est));
  }
  cJSON *ci = cJSON_AddArrayToObject(x, "ci");
  cJSON_AddItemToArray(ci, num_or_null(s->lo));
  cJSON_AddItemToArray(ci, num_or_null(s->hi));
  return x;
}

static cJSON *cell_json(const sweep *sw, int r, int c, const cellv *cv, const row_sig *sig) {
  int ns = sw->nseeds;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "env", sw->rows[r].env);
  cJSON_AddStringToObject(o, "dataset", sw->rows[r].dataset);
  cJSON_AddStringToObject(o, "agent", sw->cols[c]);
  cJSON_AddStringToObject(o, "main_metric", sw->rows[r].metric);
  cJSON_AddNumberToObject(o, "runs_expected", ns);
  cJSON_AddNumberToObject(o, "runs_found", cv->nseen);
  cJSON_AddNumberToObject(o, "episodes_per_seed", cv->E);
  cJSON *ms = cJSON_AddObjectToObject(o, "metrics");
  for (int m = 0, nm = nmetric(sw); m < nm; m++) {
    if (cv->st[m].n == 0 && m != metric_index(sw->rows[r].metric)) continue; /* metric not reported */
    const metric_def d = metric_at(sw, m);
    cJSON *x = stat_json(cv->v[m], ns, cv->E, &cv->st[m], d.proportion);
    if (d.better) {
      const row_sig *g = &sig[m];
      cJSON *t = cJSON_AddObjectToObject(x, "test");
      cJSON_AddBoolToObject(t, "best", g->best == c);
      cJSON_AddBoolToObject(t, "bold", g->bold && g->best == c);
      cJSON_AddBoolToObject(t, "tied_with_best", g->tied[c] && g->best != c);
      cJSON_AddItemToObject(t, "p_vs_best", num_or_null(g->p[c]));
    }
    cJSON_AddItemToObject(ms, d.name, x);
  }
  cJSON *b = cJSON_AddObjectToObject(o, "budget");
  cJSON_AddItemToObject(b, "model_rows_per_plan", num_or_null(stats_mean(cv->mrows, ns)));
  cJSON_AddItemToObject(b, "score_rows_per_plan", num_or_null(stats_mean(cv->srows, ns)));
  cJSON *t = cJSON_AddObjectToObject(o, "timing");
  cJSON *pm = cJSON_AddObjectToObject(t, "plan_ms_per_step");
  cJSON *vals = cJSON_AddArrayToObject(pm, "values");
  for (int i = 0; i < ns; i++) cJSON_AddItemToArray(vals, num_or_null(cv->ms[i]));
  cJSON_AddItemToObject(pm, "mean", num_or_null(stats_mean(cv->ms, ns)));
  return o;
}

/* ------------------------------------------------------------------ the tables */

int sweep_write_tables(const sweep *sw, const cJSON *timing, int *missing_out, sgp_err *e) {
  cellv *cells = cells_alloc(sw);
  cJSON *tj = table_header(sw);
  cJSON *runs = cJSON_CreateArray(), *refs = cJSON_CreateArray();
  for (int r = 0; r < sw->nrows; r++) cJSON_AddItemToArray(refs, cJSON_CreateNull());
  version_set vs = {NULL, 0};
  int missing = 0;
  for (int q = 0; q < sw->nruns; q++) missing += read_run(sw, q, cells, runs, &vs, refs);
  summarize_cells(sw, cells);
  cJSON *rj = cJSON_AddArrayToObject(tj, "rows");
  for (int r = 0; r < sw->nrows; r++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "env", sw->rows[r].env);
    cJSON_AddStringToObject(o, "env_name", sw->rows[r].env_name);
    cJSON_AddStringToObject(o, "dataset", sw->rows[r].dataset);
    cJSON_AddStringToObject(o, "main_metric", sw->rows[r].metric);
    cJSON *rf = cJSON_GetArrayItem(refs, r);
    if (!cJSON_IsNull(rf)) cJSON_AddItemToObject(o, "references", cJSON_Duplicate(rf, 1));
    cJSON_AddItemToArray(rj, o);
  }
  cJSON_Delete(refs);
  cJSON *cj = cJSON_AddArrayToObject(tj, "cells");
  int nm = nmetric(sw);
  row_sig *sig = sgp_calloc((size_t)nm, sizeof *sig);
  for (int r = 0; r < sw->nrows; r++) {
    for (int m = 0; m < nm; m++) row_significance(sw, cells, r, m, &sig[m]);
    for (int c = 0; c < sw->ncols; c++)
      if (cells[r * sw->ncols + c].present) cJSON_AddItemToArray(cj, cell_json(sw, r, c, &cells[r * sw->ncols + c], sig));
    for (int m = 0; m < nm; m++) row_sig_free(&sig[m]);
  }
  free(sig);
  cJSON_AddItemToObject(tj, "runs", runs);
  cJSON_AddNumberToObject(tj, "missing_runs", missing);
  cJSON_AddItemToObject(tj, "versions", versions_json(&vs, e));
  if (timing) cJSON_AddItemToObject(tj, "timing", cJSON_Duplicate(timing, 1));
  char path[4096];
  sgp_atomic_file af;
  snprintf(path, sizeof path, "%s/table.md", sw->out);
  int rc = sgp_atomic_open(&af, path, e);
  if (!rc) {
    md_write(af.f, sw, cells, missing, tj); /* adds the aggregate to tj */
    rc = sgp_atomic_commit(&af, e);
  }
  snprintf(path, sizeof path, "%s/table.json", sw->out);
  if (!rc) rc = sgp_json_write(path, tj, e);
  cJSON_Delete(tj);
  cells_free(sw, cells);
  if (missing_out) *missing_out = missing;
  return rc;
}
