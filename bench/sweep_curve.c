/* Curve figures of a sweep (docs/sweeps.md, "Curves"): rows that differ in one setting become the
 * points of one line per agent. "figures": [{"type": "curve", "name", "x", ...}] in the sweep file;
 * x is "decision_variables" (per cell: the action dimension nu times the planning horizon, the
 * episode's steps for a horizon of 0) or a JSON pointer into the row's entry of "envs" (a number,
 * e.g. "/config/resolution"). Read and checked with the rest of the sweep file, before any job;
 * drawn by table.c with svg_curve(). */
#include "bench/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value at JSON pointer ptr ("/a/0/b", with ~0 and ~1 escapes) in j, or NULL. */
static const cJSON *pointer_get(const cJSON *j, const char *ptr) {
  if (*ptr != '/') return NULL;
  while (j && *ptr == '/') {
    ptr++;
    char tok[256];
    size_t n = 0;
    for (; *ptr && *ptr != '/'; ptr++) {
      char ch = *ptr;
      if (ch == '~') {
        if (ptr[1] != '0' && ptr[1] != '1') return NULL;
        ch = ptr[1] == '0' ? '~' : '/';
        ptr++;
      }
      if (n + 1 >= sizeof tok) return NULL;
      tok[n++] = ch;
    }
    tok[n] = 0;
    if (cJSON_IsArray(j)) {
      char *end;
      long i = strtol(tok, &end, 10);
      if (!n || *end || i < 0 || (n > 1 && tok[0] == '0')) return NULL;
      j = cJSON_GetArrayItem(j, (int)i);
    } else if (cJSON_IsObject(j)) {
      j = cJSON_GetObjectItemCaseSensitive(j, tok);
    } else {
      return NULL;
    }
  }
  return j;
}

/* The entry of "envs" whose label (default: its name) is `label`. */
static const cJSON *env_entry_of(const sweep *sw, const char *label) {
  const cJSON *envs = cJSON_GetObjectItemCaseSensitive(sw->root, "envs");
  for (const cJSON *x = envs ? envs->child : NULL; x; x = x->next) {
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(x, "label");
    if (!cJSON_IsString(l)) l = cJSON_GetObjectItemCaseSensitive(x, "name");
    if (cJSON_IsString(l) && !strcmp(l->valuestring, label)) return x;
  }
  return NULL;
}

static int name_ok(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 64) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
          (i && (s[i] == '-' || s[i] == '_' || s[i] == '.'))))
      return 0;
  return 1;
}

/* Does row r match a "rows" entry: "LABEL" (every dataset of the environment) or "LABEL/DATASET"? */
static int row_matches(const sweep_row *row, const char *want) {
  size_t n = strlen(row->env);
  if (strncmp(want, row->env, n)) return 0;
  return want[n] == 0 || (want[n] == '/' && !strcmp(want + n + 1, row->dataset));
}

/* The rows of curve cv (every row, or those its "rows" names) and their x values (from the row's
 * entry of "envs", or per cell for decision variables); c is the curve's entry of "figures". */
static int read_curve_rows(sweep *sw, const sgp_cfg *cp, sweep_curve *cv, sgp_err *e) {
  sgp_cfg c = *cp;
  const cJSON *rows = sgp_cfg_get(&c, "rows");
  if (rows && (!cJSON_IsArray(rows) || !cJSON_GetArraySize(rows)))
    return sgp_cfg_fail(e, &c, "rows", "expected a non-empty array of row names (\"LABEL\" or \"LABEL/DATASET\")");
  cv->rows = sgp_malloc(sizeof *cv->rows * (size_t)(sw->nrows ? sw->nrows : 1));
  cv->row_x = sgp_malloc(sizeof *cv->row_x * (size_t)(sw->nrows ? sw->nrows : 1));
  int k = 0;
  sgp_cfg rc = c; /* errors name /figures/i/rows/k */
  rc.j = (cJSON *)rows;
  snprintf(rc.path, sizeof rc.path, "%.500s/rows", c.path);
  for (const cJSON *w = rows ? rows->child : NULL; w; w = w->next, k++) {
    char key[32];
    snprintf(key, sizeof key, "%d", k);
    if (!cJSON_IsString(w)) return sgp_cfg_fail(e, &rc, key, "expected a string, got %s", sgp_json_type(w));
    int found = 0;
    for (int r = 0; r < sw->nrows; r++)
      if (row_matches(&sw->rows[r], w->valuestring)) {
        for (int q = 0; q < cv->nrows; q++)
          if (cv->rows[q] == r)
            return sgp_cfg_fail(e, &rc, key, "row %s/%s named twice", sw->rows[r].env, sw->rows[r].dataset);
        cv->rows[cv->nrows++] = r, found = 1;
      }
    if (!found) return sgp_cfg_fail(e, &rc, key, "no row '%s' (rows are \"LABEL\" or \"LABEL/DATASET\")", w->valuestring);
  }
  if (!rows)
    for (int r = 0; r < sw->nrows; r++) cv->rows[cv->nrows++] = r;
  if (cv->nrows < 2) return sgp_cfg_fail(e, &c, rows ? "rows" : NULL, "a curve needs at least 2 rows, got %d", cv->nrows);
  for (int q = 0; q < cv->nrows; q++) {
    const sweep_row *row = &sw->rows[cv->rows[q]];
    if (strcmp(row->metric, sw->rows[cv->rows[0]].metric))
      return sgp_cfg_fail(e, &c, NULL, "rows %s and %s have different main metrics (%s, %s): a curve shows one",
                          sw->rows[cv->rows[0]].env, row->env, sw->rows[cv->rows[0]].metric, row->metric);
    cv->row_x[q] = NAN;
    if (cv->dv) continue; /* per cell, from its runs' planner */
    const cJSON *x = pointer_get(env_entry_of(sw, row->env), cv->x);
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || (cv->log_x && !(x->valuedouble > 0)))
      return sgp_cfg_fail(e, &c, "x", "%s of row %s is %s, not a%s number", cv->x, row->env,
                          x ? sgp_json_type(x) : "absent", cv->log_x ? " positive" : "");
    cv->row_x[q] = x->valuedouble;
    for (int p = 0; p < q; p++)
      if (cv->row_x[p] == cv->row_x[q])
        return sgp_cfg_fail(e, &c, "x", "rows %s/%s and %s/%s are at the same x (%g): name the rows of one line in "
                                        "\"rows\"", sw->rows[cv->rows[p]].env, sw->rows[cv->rows[p]].dataset,
                            row->env, row->dataset, cv->row_x[q]);
  }
  return 0;
}

static int read_curve(sweep *sw, const sgp_cfg *arr, int i, sweep_curve *cv, sgp_err *e) {
  sgp_cfg c;
  if (sgp_cfg_index(arr, i, &c, e)) return -1;
  static const char *const keys[] = {"type", "name", "x", "x_label", "log_x", "rows", "title", NULL};
  if (sgp_cfg_check_keys(&c, keys, e)) return -1;
  const cJSON *v = sgp_cfg_get(&c, "type");
  if (!v) return sgp_cfg_fail(e, &c, "type", "missing required field (the only type is \"curve\")");
  if (!cJSON_IsString(v) || strcmp(v->valuestring, "curve"))
    return sgp_cfg_fail(e, &c, "type", "expected \"curve\" (the only figure type a sweep declares)");
  v = sgp_cfg_get(&c, "name");
  if (!cJSON_IsString(v) || !name_ok(v->valuestring))
    return sgp_cfg_fail(e, &c, "name", "expected a name of 1 to 64 of A-Z a-z 0-9 . _ - starting with a letter or "
                                       "digit (it names figures/NAME.svg)");
  for (int k = 0; k < i; k++)
    if (!strcmp(sw->curves[k].name, v->valuestring))
      return sgp_cfg_fail(e, &c, "name", "'%s' names two figures", v->valuestring);
  cv->name = sgp_strdup(v->valuestring);
  v = sgp_cfg_get(&c, "x");
  if (!cJSON_IsString(v) || (strcmp(v->valuestring, "decision_variables") && v->valuestring[0] != '/'))
    return sgp_cfg_fail(e, &c, "x", "expected \"decision_variables\" or a JSON pointer into the row's entry of "
                                    "\"envs\" (e.g. \"/config/resolution\")");
  cv->x = sgp_strdup(v->valuestring);
  cv->dv = !strcmp(cv->x, "decision_variables");
  for (int k = 0; k < 2; k++) {
    const char *key = k ? "title" : "x_label";
    if ((v = sgp_cfg_get(&c, key)) && !cJSON_IsString(v))
      return sgp_cfg_fail(e, &c, key, "expected a string, got %s", sgp_json_type(v));
  }
  v = sgp_cfg_get(&c, "x_label");
  cv->x_label = sgp_strdup(v ? v->valuestring : cv->dv ? "decision variables per plan (nu x horizon)" : cv->x);
  v = sgp_cfg_get(&c, "title");
  cv->title = v ? sgp_strdup(v->valuestring) : NULL;
  if ((v = sgp_cfg_get(&c, "log_x")) && !cJSON_IsBool(v))
    return sgp_cfg_fail(e, &c, "log_x", "expected a boolean, got %s", sgp_json_type(v));
  cv->log_x = v && cJSON_IsTrue(v);
  return read_curve_rows(sw, &c, cv, e);
}

int sweep_curves_read(sweep *sw, sgp_err *e) {
  sgp_cfg root = sgp_cfg_root(sw->root, sw->file);
  const cJSON *f = sgp_cfg_get(&root, "figures");
  if (!cJSON_IsArray(f)) return 0; /* a boolean (read_header) or absent */
  sgp_cfg arr;
  int n;
  if (sgp_cfg_array(&root, "figures", &arr, &n, e)) return -1;
  if (!n) return sgp_cfg_fail(e, &root, "figures", "expected true, false or a non-empty array of figures");
  sw->curves = sgp_calloc((size_t)n, sizeof *sw->curves);
  for (int i = 0; i < n; i++) {
    sw->ncurves = i + 1;
    if (read_curve(sw, &arr, i, &sw->curves[i], e)) return -1;
  }
  return 0;
}

double sweep_curve_x(const sweep *sw, const sweep_curve *cv, int q, int col) {
  if (!cv->dv) return cv->row_x[q];
  int r = cv->rows[q];
  for (int i = 0; i < sw->nruns; i++) { /* every run of a cell has the same planner and eval */
    const sweep_run *run = &sw->runs[i];
    if (run->row != r || run->col != col) continue;
    const cJSON *cfg = sw->jobs[run->job].config;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "planner"), "horizon");
    if (!cJSON_IsNumber(h)) return NAN; /* the planner's default: not known here */
    double H = h->valuedouble;
    if (H == 0) { /* open loop over the episode */
      const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "eval"), "steps");
      H = cJSON_IsNumber(st) ? st->valuedouble : sw->rows[r].info.T;
    }
    return (double)sw->rows[r].info.nu * H;
  }
  return NAN;
}

void sweep_curves_free(sweep *sw) {
  for (int i = 0; i < sw->ncurves; i++) {
    sweep_curve *cv = &sw->curves[i];
    free(cv->name), free(cv->x), free(cv->x_label), free(cv->title), free(cv->rows), free(cv->row_x);
  }
  free(sw->curves);
  sw->curves = NULL, sw->ncurves = 0;
}
