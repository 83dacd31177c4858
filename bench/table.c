/* Result tables of a sweep: table.json (every cell with its per-seed values, mean, standard error,
 * Student-t confidence interval and n, for every metric), table.md (rows = environment and dataset,
 * columns = agents) and figures/ (svg.c). A pure function of the sweep file and the run result
 * files, read in a fixed order: the same results give the same bytes outside the "timing" objects,
 * whichever machine ran which job, in whatever order, with whatever interruptions. */
#include "bench/stats.h"
#include "bench/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct metric_def {
  const char *name, *label, *summary_key;
  double scale;
  int better; /* +1 higher is better, -1 lower, 0 a diagnostic */
} metric_def;

static const metric_def metrics[] = {
    {"normalized_score", "normalised score (x100)", "normalized_score_mean", 1, +1},
    {"success", "success rate (%)", "success_rate", 100, +1},
    {"final_cost", "final cost", "final_cost_mean", 1, -1},
    {"return", "return", "return_mean", 1, +1},
    {"max_data_distance", "max distance to data", "max_data_distance_mean", 1, 0},
    {"plan_gap", "plan gap (model error)", "plan_gap_mean", 1, 0},
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

/* Metric m (built-in or an environment's) as a definition; its summary key is NULL for the
 * environments' (read from summary.env_metrics). */
static metric_def metric_at(const sweep *sw, int m) {
  if (m < NMETRIC) return metrics[m];
  const env_metric *em = env_metric_at(sw, m - NMETRIC);
  metric_def d = {em->name, em->label, NULL, 1, em->better};
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

typedef struct cellv {
  int present;          /* the sweep runs this agent on this row */
  int nseen;            /* runs with a result */
  double **v;           /* [nmetric(sw)] per seed, NaN when missing / null */
  double *ms;           /* plan ms per step, per seed */
  stats_summary *s;     /* [nmetric(sw)] */
} cellv;

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

/* 3 significant digits of the mean; the half-width with the same decimals */
static void fmt_cell(char *buf, size_t cap, const stats_summary *s, int nexp, int bold) {
  if (s->n == 0) {
    snprintf(buf, cap, "—");
    return;
  }
  double m = fabs(s->mean);
  int d = m > 0 ? 2 - (int)floor(log10(m)) : 2;
  if (d < 0) d = 0;
  if (d > 6) d = 6;
  char core[128];
  if (s->n >= 2) snprintf(core, sizeof core, "%.*f ± %.*f", d, s->mean, d, s->half);
  else snprintf(core, sizeof core, "%.*f", d, s->mean);
  char nn[32] = "";
  if (s->n < nexp) snprintf(nn, sizeof nn, " (n=%d/%d)", s->n, nexp);
  snprintf(buf, cap, "%s%s%s%s", bold ? "**" : "", core, bold ? "**" : "", nn);
}

static double summary_num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (cJSON_IsNumber(v)) return v->valuedouble;
  if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? 1.0 : 0.0;
  return NAN;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Columns dims[0..nd-1] of a row-major float32 array (rows × cols, or for the plan file the first
 * step's (H+1) × cols); NULL on any problem (missing file, wrong dtype or shape). */
static float *load_cols(const char *path, const int *dims, int nd, long *rows, int plan_first) {
  sgp_array a;
  sgp_err e;
  if (!sgp_path_exists(path) || sgp_npy_read(path, &a, &e)) return NULL;
  int ok = a.dtype == SGP_F32 && (plan_first ? a.ndim == 3 && a.shape[0] >= 1 : a.ndim == 2);
  long cols = ok ? (long)a.shape[a.ndim - 1] : 0;
  for (int k = 0; ok && k < nd; k++) ok = dims[k] >= 0 && dims[k] < cols;
  float *out = NULL;
  if (ok) {
    *rows = (long)(plan_first ? a.shape[1] : a.shape[0]); /* plan: steps × (H+1) × nx, the first step */
    out = sgp_malloc(sizeof *out * (size_t)nd * (size_t)(*rows ? *rows : 1));
    const float *d = a.data;
    for (long i = 0; i < *rows; i++)
      for (int k = 0; k < nd; k++) out[i * nd + k] = d[i * cols + dims[k]];
  }
  sgp_array_free(&a);
  return out;
}

/* The row's trajectory figure (the environment's choice, sweep_env_info.fig): the first seed's
 * dataset and every agent's first episode, its executed states and first plan. */
static void trajectory_figure(const sweep *sw, int r, const char *base, FILE *md, sgp_err *e) {
  const sweep_row *row = &sw->rows[r];
  const env_figure *fig = &row->info.fig;
  int planar = fig->kind == ENV_FIG_PLANAR;
  char path[4096], title[512];
  float *pts = NULL;
  long npts = 0;
  svg_traj_agent *ag = sgp_calloc((size_t)sw->ncols, sizeof *ag);
  float **owned = sgp_calloc((size_t)sw->ncols * 2, sizeof *owned);
  int na = 0;
  for (int q = 0; q < sw->nruns; q++) {
    const sweep_run *run = &sw->runs[q];
    if (run->row != r || run->seed_index != 0) continue;
    if (!pts && planar) {
      char *ddir = sgp_strdup(sw->jobs[run->data_job].done_path);
      char *sl = strrchr(ddir, '/');
      if (sl) *sl = 0;
      snprintf(path, sizeof path, "%s/x.npy", ddir);
      free(ddir);
      pts = load_cols(path, fig->dims, 2, &npts, 0);
    }
    long m = 0;
    svg_traj_agent *a = &ag[na];
    a->label = sw->cols[run->col];
    snprintf(path, sizeof path, "%s/rollouts/%s/ep0_x.npy", sw->out, sw->jobs[run->job].key);
    a->x = owned[2 * na] = load_cols(path, fig->dims, fig->n, &m, 0);
    a->nx_steps = (int)m;
    snprintf(path, sizeof path, "%s/rollouts/%s/ep0_plan_x.npy", sw->out, sw->jobs[run->job].key);
    m = 0;
    a->plan = owned[2 * na + 1] = load_cols(path, fig->dims, fig->n, &m, 1);
    a->nplan = (int)m;
    na++;
  }
  snprintf(path, sizeof path, "%s/figures/%s-traj.svg", sw->out, base);
  snprintf(title, sizeof title, "%s / %s, seed %ld, episode 0", row->env, row->dataset, sw->seeds[0]);
  int rc = planar ? svg_trajectories(path, title, &row->info, pts, npts, ag, na, e)
                  : svg_series(path, title, &row->info, ag, na, e);
  if (rc == 0)
    fprintf(md, "\n![%s / %s: trajectories](figures/%s-traj.svg)\n", row->env, row->dataset, base);
  else
    fprintf(md, "\n(trajectory figure not written: %s)\n", e->msg);
  for (int i = 0; i < 2 * na; i++) free(owned[i]);
  free(owned);
  free(ag);
  free(pts);
}

static void figures_for_row(const sweep *sw, int r, cellv *cells, FILE *md, sgp_err *e) {
  const sweep_row *row = &sw->rows[r];
  int mi = metric_index(row->metric);
  char *base = slug(row->env, row->dataset);
  char path[4096], title[512];
  svg_bar_item *it = sgp_calloc((size_t)sw->ncols, sizeof *it);
  int n = 0;
  for (int c = 0; c < sw->ncols; c++) {
    cellv *cv = &cells[r * sw->ncols + c];
    if (!cv->present) continue;
    it[n].label = sw->cols[c];
    it[n].mean = cv->s[mi].mean;
    it[n].lo = cv->s[mi].lo;
    it[n].hi = cv->s[mi].hi;
    it[n].n = cv->s[mi].n;
    n++;
  }
  snprintf(path, sizeof path, "%s/figures/%s-bar.svg", sw->out, base);
  snprintf(title, sizeof title, "%s / %s: %s, mean and %g%% CI over seeds", row->env, row->dataset,
           metrics[mi].label, 100 * sw->confidence);
  fprintf(md, "\n### %s / %s\n\n", row->env, row->dataset);
  if (svg_bar_chart(path, title, metrics[mi].label, it, n, e) == 0)
    fprintf(md, "![%s / %s: %s](figures/%s-bar.svg)\n", row->env, row->dataset, row->metric, base);
  else
    fprintf(md, "(bar chart not written: %s)\n", e->msg);
  free(it);
  if (row->trajectories) trajectory_figure(sw, r, base, md, e);
  free(base);
}

static void md_table(FILE *md, const sweep *sw, cellv *cells, int mi_fixed, const char *title) {
  fprintf(md, "\n## %s\n\n| environment | dataset |%s", title, mi_fixed < 0 ? " metric |" : "");
  for (int c = 0; c < sw->ncols; c++) fprintf(md, " %s |", sw->cols[c]);
  fprintf(md, "\n|---|---|%s", mi_fixed < 0 ? "---|" : "");
  for (int c = 0; c < sw->ncols; c++) fprintf(md, "---|");
  fprintf(md, "\n");
  for (int r = 0; r < sw->nrows; r++) {
    int mi = mi_fixed >= 0 ? mi_fixed : metric_index(sw->rows[r].metric);
    if (!row_has_metric(sw, r, mi)) continue;
    const metric_def md_ = metric_at(sw, mi);
    double best = NAN;
    for (int c = 0; c < sw->ncols; c++) {
      const cellv *cv = &cells[r * sw->ncols + c];
      double m = cv->present ? cv->s[mi].mean : NAN;
      if (!isfinite(m) || !md_.better) continue;
      if (!isfinite(best) || (md_.better > 0 ? m > best : m < best)) best = m;
    }
    fprintf(md, "| %s | %s |", sw->rows[r].env, sw->rows[r].dataset);
    if (mi_fixed < 0) fprintf(md, " %s |", md_.name);
    for (int c = 0; c < sw->ncols; c++) {
      const cellv *cv = &cells[r * sw->ncols + c];
      char buf[256];
      if (!cv->present) snprintf(buf, sizeof buf, "·");
      else fmt_cell(buf, sizeof buf, &cv->s[mi], sw->nseeds, isfinite(best) && cv->s[mi].mean == best);
      fprintf(md, " %s |", buf);
    }
    fprintf(md, "\n");
  }
}

/* ------------------------------------------------------------------ cells */

static cellv *cells_alloc(const sweep *sw) {
  int nc = sw->nrows * sw->ncols, ns = sw->nseeds, nm = nmetric(sw);
  cellv *cells = sgp_calloc((size_t)(nc ? nc : 1), sizeof *cells);
  for (int i = 0; i < nc; i++) {
    cells[i].v = sgp_calloc((size_t)nm, sizeof *cells[i].v);
    cells[i].s = sgp_calloc((size_t)nm, sizeof *cells[i].s);
    for (int m = 0; m < nm; m++) {
      cells[i].v[m] = sgp_malloc(sizeof(double) * (size_t)ns);
      for (int s = 0; s < ns; s++) cells[i].v[m][s] = NAN;
    }
    cells[i].ms = sgp_malloc(sizeof(double) * (size_t)ns);
    for (int s = 0; s < ns; s++) cells[i].ms[s] = NAN;
  }
  return cells;
}

static void cells_free(const sweep *sw, cellv *cells) {
  int nm = nmetric(sw);
  for (int i = 0; i < sw->nrows * sw->ncols; i++) {
    for (int m = 0; m < nm; m++) free(cells[i].v[m]);
    free(cells[i].v);
    free(cells[i].s);
    free(cells[i].ms);
  }
  free(cells);
}

/* mean, spread and confidence interval of every metric of every cell the sweep runs */
static void summarize_cells(const sweep *sw, cellv *cells) {
  int nm = nmetric(sw);
  for (int i = 0; i < sw->nrows * sw->ncols; i++)
    for (int m = 0; m < nm && cells[i].present; m++)
      stats_summarize(cells[i].v[m], sw->nseeds, sw->confidence, &cells[i].s[m]);
}

/* ------------------------------------------------------------------ table.json */

static const char *file_base(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

/* what the table is about: the sweep, its seeds, metrics, columns and rows */
static cJSON *table_header(const sweep *sw) {
  cJSON *tj = cJSON_CreateObject();
  cJSON_AddNumberToObject(tj, "schema_version", 1);
  cJSON_AddStringToObject(tj, "kind", "table");
  cJSON *swj = cJSON_AddObjectToObject(tj, "sweep");
  cJSON_AddStringToObject(swj, "name", sw->name);
  cJSON_AddStringToObject(swj, "file", file_base(sw->file));
  cJSON_AddStringToObject(swj, "sha256", sw->sha256);
  cJSON_AddStringToObject(swj, "registry", sw->reg->what);
  if (sw->reg->fake) cJSON_AddBoolToObject(swj, "fake", 1);
  cJSON_AddItemToObject(swj, "config", cJSON_Duplicate(sw->root, 1));
  cJSON_AddNumberToObject(tj, "confidence", sw->confidence);
  cJSON *seeds = cJSON_AddArrayToObject(tj, "seeds");
  for (int s = 0; s < sw->nseeds; s++) cJSON_AddItemToArray(seeds, cJSON_CreateNumber((double)sw->seeds[s]));
  cJSON *mj = cJSON_AddArrayToObject(tj, "metrics");
  for (int m = 0, nm = nmetric(sw); m < nm; m++) {
    const metric_def d = metric_at(sw, m);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", d.name);
    cJSON_AddStringToObject(o, "label", d.label);
    cJSON_AddStringToObject(o, "better", d.better > 0 ? "higher" : d.better < 0 ? "lower" : "none");
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
  cJSON *rj = cJSON_AddArrayToObject(tj, "rows");
  for (int r = 0; r < sw->nrows; r++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "env", sw->rows[r].env);
    cJSON_AddStringToObject(o, "env_name", sw->rows[r].env_name);
    cJSON_AddStringToObject(o, "dataset", sw->rows[r].dataset);
    cJSON_AddStringToObject(o, "main_metric", sw->rows[r].metric);
    cJSON_AddItemToArray(rj, o);
  }
  return tj;
}

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
    /* argv: ... train KIND --data ...: the kind follows "train" */
    for (int a = 0; a + 1 < dj->argc; a++)
      if (!strcmp(dj->argv[a], "train")) {
        cJSON_AddStringToObject(models, dj->argv[a + 1], dj->key);
        break;
      }
  }
  return models;
}

/* A result's numbers into its cell (per seed), and what the "runs" entry records of it. */
static void take_result(const sweep *sw, const cJSON *res, int seed_index, cellv *cv, cJSON *ro, version_set *vs) {
  const cJSON *sum = cJSON_GetObjectItemCaseSensitive(res, "summary");
  const cJSON *envm = cJSON_GetObjectItemCaseSensitive(sum, "env_metrics");
  for (int m = 0, nm = nmetric(sw); m < nm; m++) {
    const metric_def d = metric_at(sw, m);
    cv->v[m][seed_index] = (d.summary_key ? summary_num(sum, d.summary_key) : summary_num(envm, d.name)) * d.scale;
  }
  const cJSON *eps = cJSON_GetObjectItemCaseSensitive(res, "episodes");
  double t = 0;
  int k = 0;
  for (const cJSON *ep = eps ? eps->child : NULL; ep; ep = ep->next) {
    double x = summary_num(cJSON_GetObjectItemCaseSensitive(ep, "timing"), "plan_ms_per_step");
    if (isfinite(x)) t += x, k++;
  }
  cv->ms[seed_index] = k ? t / k : NAN;
  double fe = summary_num(sum, "failed_episodes");
  if (isfinite(fe) && fe > 0) cJSON_AddNumberToObject(ro, "failed_episodes", fe);
  const cJSON *config = cJSON_GetObjectItemCaseSensitive(res, "config");
  cJSON_AddItemToObject(ro, "planner", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(config, "planner"), 1));
  versions_add(vs, cJSON_GetObjectItemCaseSensitive(res, "versions"));
  cv->nseen++;
}

/* The "runs" entry of run q; its result (if any) goes into its cell. Returns 1 if it is missing. */
static int read_run(const sweep *sw, int q, cellv *cells, cJSON *runs, version_set *vs) {
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
  if (found) take_result(sw, res, run->seed_index, cv, ro, vs);
  else cJSON_AddItemToObject(ro, "planner", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j->config, "planner"), 1));
  cJSON_Delete(res);
  cJSON_AddStringToObject(ro, "status", status);
  cJSON_AddItemToArray(runs, ro);
  return !found;
}

static cJSON *summary_json(const double *v, int ns, const stats_summary *s) {
  cJSON *x = cJSON_CreateObject();
  cJSON *vals = cJSON_AddArrayToObject(x, "values");
  for (int i = 0; i < ns; i++) cJSON_AddItemToArray(vals, num_or_null(v[i]));
  cJSON_AddNumberToObject(x, "n", s->n);
  cJSON_AddItemToObject(x, "mean", num_or_null(s->mean));
  cJSON_AddItemToObject(x, "sd", num_or_null(s->sd));
  cJSON_AddItemToObject(x, "se", num_or_null(s->se));
  cJSON_AddItemToObject(x, "ci_half", num_or_null(s->half));
  cJSON *ci = cJSON_AddArrayToObject(x, "ci");
  cJSON_AddItemToArray(ci, num_or_null(s->lo));
  cJSON_AddItemToArray(ci, num_or_null(s->hi));
  return x;
}

static cJSON *cell_json(const sweep *sw, int r, int c, const cellv *cv) {
  int ns = sw->nseeds;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "env", sw->rows[r].env);
  cJSON_AddStringToObject(o, "dataset", sw->rows[r].dataset);
  cJSON_AddStringToObject(o, "agent", sw->cols[c]);
  cJSON_AddStringToObject(o, "main_metric", sw->rows[r].metric);
  cJSON_AddNumberToObject(o, "runs_expected", ns);
  cJSON_AddNumberToObject(o, "runs_found", cv->nseen);
  cJSON *ms = cJSON_AddObjectToObject(o, "metrics");
  for (int m = 0, nm = nmetric(sw); m < nm; m++) {
    if (cv->s[m].n == 0 && m != metric_index(sw->rows[r].metric)) continue; /* metric not reported */
    cJSON_AddItemToObject(ms, metric_at(sw, m).name, summary_json(cv->v[m], ns, &cv->s[m]));
  }
  stats_summary ts;
  stats_summarize(cv->ms, ns, sw->confidence, &ts);
  cJSON *t = cJSON_AddObjectToObject(o, "timing");
  cJSON *pm = cJSON_AddObjectToObject(t, "plan_ms_per_step");
  cJSON *vals = cJSON_AddArrayToObject(pm, "values");
  for (int i = 0; i < ns; i++) cJSON_AddItemToArray(vals, num_or_null(cv->ms[i]));
  cJSON_AddItemToObject(pm, "mean", num_or_null(ts.mean));
  return o;
}

/* ------------------------------------------------------------------ table.md */

static void md_timing_table(FILE *md, const sweep *sw, const cellv *cells) {
  fprintf(md, "\n## Planning time per step (ms, mean over seeds; varies between runs)\n\n| environment | dataset |");
  for (int c = 0; c < sw->ncols; c++) fprintf(md, " %s |", sw->cols[c]);
  fprintf(md, "\n|---|---|");
  for (int c = 0; c < sw->ncols; c++) fprintf(md, "---|");
  fprintf(md, "\n");
  for (int r = 0; r < sw->nrows; r++) {
    fprintf(md, "| %s | %s |", sw->rows[r].env, sw->rows[r].dataset);
    for (int c = 0; c < sw->ncols; c++) {
      const cellv *cv = &cells[r * sw->ncols + c];
      stats_summary ts;
      stats_summarize(cv->ms, sw->nseeds, sw->confidence, &ts);
      if (!cv->present) fprintf(md, " · |");
      else if (ts.n == 0) fprintf(md, " — |");
      else fprintf(md, " %.3g |", ts.mean);
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
  fprintf(md, ", none of which is a report seed; only the chosen setting ran on the report seeds. Result: `%s` "
              "(every score and its runs: `table.json`, `tuning`).\n\n| environment | dataset | agent | chosen | "
              "its tuning mean | the other settings |\n|---|---|---|---|---|---|\n", sw->tuning.source);
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
      const cJSON *bm = cJSON_GetObjectItemCaseSensitive(best, "mean");
      fprintf(md, "| %s | %s | %s | %s | %.3g |", sw->rows[r].env, sw->rows[r].dataset, sw->cols[c],
              cJSON_GetObjectItemCaseSensitive(best, "label")->valuestring, cJSON_IsNumber(bm) ? bm->valuedouble : NAN);
      int first = 1;
      for (const cJSON *x = sc->child; x; x = x->next) {
        if (x == best) continue;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(x, "mean");
        fprintf(md, "%s%s: %.3g", first ? " " : "; ", cJSON_GetObjectItemCaseSensitive(x, "label")->valuestring,
                cJSON_IsNumber(m) ? m->valuedouble : NAN);
        first = 0;
      }
      fprintf(md, " |\n");
    }
  }
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

static void md_write(FILE *md, const sweep *sw, cellv *cells, int missing) {
  const cJSON *desc = cJSON_GetObjectItemCaseSensitive(sw->root, "description");
  fprintf(md, "# Sweep `%s`%s\n\n", sw->name, sw->reg->fake ? " (FAKE JOBS: harness test, not a benchmark)" : "");
  if (cJSON_IsString(desc)) fprintf(md, "%s\n\n", desc->valuestring);
  fprintf(md, "Cells: mean ± half-width of the %g%% confidence interval (Student t) over %d seed(s) "
              "(a seed = a new dataset, new models, new evaluation noise); **bold**: the best mean of the row; "
              "`—`: no result yet; `·`: agent not run on this environment; `(n=k/%d)`: only k seeds have results.\n",
          100 * sw->confidence, sw->nseeds, sw->nseeds);
  fprintf(md, "Main metric: the normalised score ×100 where the environment has reference returns, else "
              "the success rate in %% (or the row's `metric` from the sweep file).\n");
  md_table(md, sw, cells, -1, "Main metric");
  md_table(md, sw, cells, metric_index("success"), "Success rate (%)");
  md_table(md, sw, cells, metric_index("final_cost"), "Final cost (lower is better)");
  md_table(md, sw, cells, metric_index("max_data_distance"), "Max distance of visited (x,u) to the data (normalised units)");
  md_table(md, sw, cells, metric_index("plan_gap"), "Plan gap: one-step model error along the executed trajectory");
  for (int m = NMETRIC, nm = nmetric(sw); m < nm; m++) { /* the environments' own, for their rows */
    const metric_def d = metric_at(sw, m);
    char title[256];
    snprintf(title, sizeof title, "%s%s", d.label, d.better < 0 ? " (lower is better)" : "");
    md_table(md, sw, cells, m, title);
  }
  md_timing_table(md, sw, cells);
  md_tuning(md, sw);
  if (sw->figures) {
    char path[4096];
    sgp_err fe;
    fprintf(md, "\n## Figures\n");
    snprintf(path, sizeof path, "%s/figures", sw->out);
    if (sgp_mkdirs(path, &fe) == 0)
      for (int r = 0; r < sw->nrows; r++) figures_for_row(sw, r, cells, md, &fe);
  }
  md_provenance(md, sw, missing);
}

/* ------------------------------------------------------------------ the tables */

int sweep_write_tables(const sweep *sw, const cJSON *timing, int *missing_out, sgp_err *e) {
  cellv *cells = cells_alloc(sw);
  cJSON *tj = table_header(sw);
  /* every run result, in the sweep's order */
  cJSON *runs = cJSON_CreateArray();
  version_set vs = {NULL, 0};
  int missing = 0;
  for (int q = 0; q < sw->nruns; q++) missing += read_run(sw, q, cells, runs, &vs);
  summarize_cells(sw, cells);
  cJSON *cj = cJSON_AddArrayToObject(tj, "cells");
  for (int r = 0; r < sw->nrows; r++)
    for (int c = 0; c < sw->ncols; c++)
      if (cells[r * sw->ncols + c].present) cJSON_AddItemToArray(cj, cell_json(sw, r, c, &cells[r * sw->ncols + c]));
  cJSON_AddItemToObject(tj, "runs", runs);
  cJSON_AddNumberToObject(tj, "missing_runs", missing);
  cJSON_AddItemToObject(tj, "versions", versions_json(&vs, e));
  if (timing) cJSON_AddItemToObject(tj, "timing", cJSON_Duplicate(timing, 1));
  char path[4096];
  snprintf(path, sizeof path, "%s/table.json", sw->out);
  int rc = sgp_json_write(path, tj, e);
  cJSON_Delete(tj);
  sgp_atomic_file af;
  snprintf(path, sizeof path, "%s/table.md", sw->out);
  if (!rc) rc = sgp_atomic_open(&af, path, e);
  if (!rc) {
    md_write(af.f, sw, cells, missing);
    rc = sgp_atomic_commit(&af, e);
  }
  cells_free(sw, cells);
  if (missing_out) *missing_out = missing;
  return rc;
}
