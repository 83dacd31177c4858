/* The tuning stage of a sweep (docs/sweeps.md, "Tuning"): every agent's own grid ("tune") runs on
 * the tuning seeds, which the report seeds never overlap; on every row, the setting with the best
 * mean of the row's main metric over the tuning seeds is the agent's choice, and only the chosen
 * setting runs on the report seeds. The rule: every agent has the same number of settings on every
 * row (/tuning/settings), checked before anything runs.
 *
 * The result (OUT/tuning.json, or a stored copy named by /tuning/result) records the seeds, the rule,
 * and per agent its grid, every tuning score with the keys of the runs behind it, and the choice. A
 * result is used only if its run keys are exactly the ones the sweep expands to (content addresses:
 * any change of data, models, planner, eval or seeds changes them), so a stale result is refused
 * instead of silently reused. */
#include "bench/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *tget(const cJSON *o, const char *k) { return o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL; }

int sweep_tune_read(sweep *sw, const cJSON *tuning, sgp_err *e) {
  sweep_tuning *t = &sw->tuning;
  if (!tuning) return 0;
  static const char *const keys[] = {"seeds", "settings", "eval", "result", NULL};
  sgp_cfg root = sgp_cfg_root(sw->root, sw->file), c, arr;
  if (sgp_cfg_obj(&root, "tuning", &c, e) || sgp_cfg_check_keys(&c, keys, e)) return -1;
  const cJSON *v = sgp_cfg_get(&c, "seeds");
  if (!v) return sgp_cfg_fail(e, &c, "seeds", "missing required field (a list of seeds, none of them a report seed)");
  if (!cJSON_IsArray(v))
    return sgp_cfg_fail(e, &c, "seeds", "expected a list of seeds (disjoint from /seeds), got %s", sgp_json_type(v));
  if (sgp_cfg_array(&c, "seeds", &arr, &t->nseeds, e)) return -1;
  if (!t->nseeds) return sgp_cfg_fail(e, &c, "seeds", "empty list");
  t->seeds = sgp_malloc(sizeof *t->seeds * (size_t)t->nseeds);
  int i = 0;
  for (const cJSON *s = v->child; s; s = s->next, i++) {
    char k[16];
    snprintf(k, sizeof k, "%d", i);
    if (!cJSON_IsNumber(s) || s->valuedouble != floor(s->valuedouble) || s->valuedouble < 0 || s->valuedouble > 4e18)
      return sgp_cfg_fail(e, &arr, k, "expected a whole number >= 0, got %s", sgp_json_type(s));
    t->seeds[i] = (long)s->valuedouble;
    for (int q = 0; q < i; q++)
      if (t->seeds[q] == t->seeds[i]) return sgp_cfg_fail(e, &arr, k, "duplicate seed %ld", t->seeds[i]);
    for (int q = 0; q < sw->nseeds; q++)
      if (sw->seeds[q] == t->seeds[i])
        return sgp_cfg_fail(e, &arr, k, "seed %ld is also a report seed (/seeds): tuning and report seeds must be disjoint",
                            t->seeds[i]);
  }
  long n;
  if (!sgp_cfg_get(&c, "settings")) return sgp_cfg_fail(e, &c, "settings", "missing required field (the rule: settings per agent and row)");
  if (sgp_cfg_int_opt(&c, "settings", 1, 10000, 1, &n, e)) return -1;
  t->settings = (int)n;
  if ((v = sgp_cfg_get(&c, "eval"))) {
    if (!cJSON_IsObject(v)) return sgp_cfg_fail(e, &c, "eval", "expected an object, got %s", sgp_json_type(v));
    t->eval = cJSON_Duplicate(v, 1);
  }
  if ((v = sgp_cfg_get(&c, "result"))) {
    if (!cJSON_IsString(v) || !v->valuestring[0] || strstr(v->valuestring, ".."))
      return sgp_cfg_fail(e, &c, "result", "expected a file name relative to the sweep file (no '..')");
    t->stored = sgp_strdup(v->valuestring);
  }
  t->on = 1;
  t->points = cJSON_CreateArray();
  return 0;
}

void sweep_tune_free(sweep_tuning *t) {
  free(t->seeds);
  cJSON_Delete(t->eval);
  free(t->stored);
  cJSON_Delete(t->points);
  free(t->runs);
  cJSON_Delete(t->result);
  free(t->source);
  memset(t, 0, sizeof *t);
}

/* "env/dataset" of a row: the key of the row in a tuning result */
static void row_key(const sweep *sw, int r, char *buf, size_t cap) {
  snprintf(buf, cap, "%s/%s", sw->rows[r].env, sw->rows[r].dataset);
}

static const cJSON *cell_points(const sweep *sw, int row, int col) {
  for (const cJSON *c = sw->tuning.points ? sw->tuning.points->child : NULL; c; c = c->next)
    if ((int)tget(c, "row")->valuedouble == row && (int)tget(c, "col")->valuedouble == col) return c;
  return NULL;
}

/* The keys of the tuning runs of (row, col, setting) in seed order, as a JSON array. */
static cJSON *setting_run_keys(const sweep *sw, int row, int col, int setting) {
  cJSON *a = cJSON_CreateArray();
  for (int si = 0; si < sw->tuning.nseeds; si++)
    for (int q = 0; q < sw->tuning.nruns; q++) {
      const sweep_trun *r = &sw->tuning.runs[q];
      if (r->row == row && r->col == col && r->setting == setting && r->seed_index == si)
        cJSON_AddItemToArray(a, cJSON_CreateString(sw->jobs[r->job].key));
    }
  return a;
}

/* Whether a result fits the sweep: the same seeds and rule, and for every cell the same settings
 * with the same run keys, a choice among them, and no other cells. why: the first difference. */
static int result_matches(const sweep *sw, const cJSON *res, char *why, size_t cap) {
  const sweep_tuning *t = &sw->tuning;
  const cJSON *seeds = tget(res, "seeds"), *agents = tget(res, "agents");
  if (!cJSON_IsString(tget(res, "kind")) || strcmp(tget(res, "kind")->valuestring, "tuning") || !cJSON_IsObject(agents))
    return snprintf(why, cap, "not a tuning result (\"kind\": \"tuning\" and an \"agents\" object)"), 0;
  int ok = cJSON_IsArray(seeds) && cJSON_GetArraySize(seeds) == t->nseeds;
  for (int i = 0; ok && i < t->nseeds; i++) {
    const cJSON *s = cJSON_GetArrayItem(seeds, i);
    ok = cJSON_IsNumber(s) && (long)s->valuedouble == t->seeds[i];
  }
  if (!ok) return snprintf(why, cap, "its tuning seeds differ from /tuning/seeds"), 0;
  const cJSON *rule = tget(tget(res, "rule"), "settings");
  if (!cJSON_IsNumber(rule) || (int)rule->valuedouble != t->settings)
    return snprintf(why, cap, "its rule differs from /tuning/settings = %d", t->settings), 0;
  int ncells = 0;
  for (const cJSON *c = t->points->child; c; c = c->next, ncells++) {
    int row = (int)tget(c, "row")->valuedouble, col = (int)tget(c, "col")->valuedouble;
    char rk[512];
    row_key(sw, row, rk, sizeof rk);
    const cJSON *ag = tget(agents, sw->cols[col]);
    const cJSON *scores = tget(tget(ag, "scores"), rk), *chosen = tget(tget(ag, "chosen"), rk);
    const cJSON *pts = tget(c, "points");
    if (!cJSON_IsArray(scores) || cJSON_GetArraySize(scores) != cJSON_GetArraySize(pts))
      return snprintf(why, cap, "agent %s on row %s: no scores for its %d settings", sw->cols[col], rk,
                      cJSON_GetArraySize(pts)), 0;
    int k = 0, found = 0;
    for (const cJSON *p = pts->child; p; p = p->next, k++) {
      const cJSON *sc = cJSON_GetArrayItem(scores, k);
      cJSON *keys = setting_run_keys(sw, row, col, k);
      int same = cJSON_Compare(tget(sc, "setting"), tget(p, "setting"), 1) && cJSON_Compare(tget(sc, "runs"), keys, 1);
      cJSON_Delete(keys);
      if (!same)
        return snprintf(why, cap, "agent %s on row %s, setting %s: other settings or run keys (data, models, planner, "
                        "eval or seeds changed)", sw->cols[col], rk, tget(p, "label")->valuestring), 0;
      found |= cJSON_Compare(chosen, tget(p, "setting"), 1);
    }
    if (!found) return snprintf(why, cap, "agent %s on row %s: the choice is not one of its settings", sw->cols[col], rk), 0;
  }
  int nres = 0;
  for (const cJSON *a = agents->child; a; a = a->next) nres += cJSON_GetArraySize(tget(a, "scores"));
  if (nres != ncells) return snprintf(why, cap, "it scores %d agent-row pairs, the sweep tunes %d", nres, ncells), 0;
  return 1;
}

static char *dir_of(const char *path) {
  const char *s = strrchr(path, '/');
  if (!s) return sgp_strdup(".");
  size_t n = (size_t)(s - path);
  char *d = sgp_malloc(n + 1);
  memcpy(d, path, n);
  d[n] = 0;
  return d;
}

int sweep_tune_find(sweep *sw, int retune, sgp_err *e) {
  sweep_tuning *t = &sw->tuning;
  char why[1024];
  cJSON *res = NULL;
  if (t->stored && !retune) {
    char *dir = dir_of(sw->file), *path = sgp_path_join(dir, t->stored);
    free(dir);
    if (sgp_json_load(path, &res, e)) {
      free(path);
      char msg[sizeof e->msg];
      snprintf(msg, sizeof msg, "%s", e->msg);
      return sgp_fail(e, "%s: /tuning/result: %s (run the tuning stage: sgp sweep %s --retune)", sw->file, msg, sw->file);
    }
    int ok = result_matches(sw, res, why, sizeof why);
    if (ok) { /* the matched planning times, if the sweep asks for them, read the choice */
      t->result = res;
      ok = sweep_budget_check(sw, res, why, sizeof why);
      t->result = NULL;
    }
    if (!ok) {
      cJSON_Delete(res);
      sgp_fail(e, "%s: /tuning/result: %s does not match this sweep (%s); rerun the tuning stage with "
               "`sgp sweep %s --retune` and store its OUT/tuning.json there", sw->file, path, why, sw->file);
      free(path);
      return -1;
    }
    t->result = res;
    t->source = sgp_strdup(t->stored);
    free(path);
    return 0;
  }
  char *path = sgp_path_join(sw->out, "tuning.json");
  sgp_err ignore;
  /* --retune chooses (and measures) again, even over an earlier OUT/tuning.json; its tuning runs,
   * being artefacts, are reused */
  if (retune != 1 && sgp_path_exists(path) && sgp_json_load(path, &res, &ignore) == 0) {
    if (result_matches(sw, res, why, sizeof why)) {
      t->result = res;
      if (sweep_budget_check(sw, res, why, sizeof why)) {
        t->source = sgp_strdup("tuning.json (this output directory)");
        free(path);
        return 0;
      }
      t->result = NULL;
    }
    cJSON_Delete(res);
  }
  free(path);
  t->pending = 1;
  return 0;
}

const cJSON *sweep_tune_chosen(const sweep *sw, int row, int col) {
  const cJSON *c = cell_points(sw, row, col);
  if (!c || !sw->tuning.result) return NULL;
  char rk[512];
  row_key(sw, row, rk, sizeof rk);
  const cJSON *chosen = tget(tget(tget(tget(sw->tuning.result, "agents"), sw->cols[col]), "chosen"), rk);
  for (const cJSON *p = tget(c, "points")->child; p; p = p->next)
    if (cJSON_Compare(chosen, tget(p, "setting"), 1)) return tget(p, "sets");
  return NULL;
}

/* ------------------------------------------------------------------ choosing */

/* The main metric of a run result (as the table scales it: success in %), and its mean final cost. */
static double run_metric(const cJSON *res, const char *metric, double *final_cost, double *rows) {
  const cJSON *sum = tget(res, "summary");
  const char *key = !strcmp(metric, "success") ? "success_rate" : !strcmp(metric, "final_cost") ? "final_cost_mean"
                                                                                                 : "normalized_score_mean";
  const cJSON *v = tget(sum, key), *fc = tget(sum, "final_cost_mean"), *mr = tget(sum, "model_rows_per_plan");
  *final_cost = cJSON_IsNumber(fc) ? fc->valuedouble : NAN;
  *rows = cJSON_IsNumber(mr) ? mr->valuedouble : NAN;
  if (!cJSON_IsNumber(v)) return NAN;
  return !strcmp(metric, "success") ? 100 * v->valuedouble : v->valuedouble;
}

/* Whether score a (with final cost fa, grid index ia) beats b: the better mean of the main metric,
 * then the lower final cost, then the earlier grid point. */
static int beats(double a, double fa, double b, double fb, int better) {
  if (a != b) return better > 0 ? a > b : a < b;
  if (fa != fb && isfinite(fa) && isfinite(fb)) return fa < fb;
  return 0;
}

static cJSON *scores_of_cell(const sweep *sw, const cJSON *c, const char *metric, int *best, sgp_err *e) {
  int row = (int)tget(c, "row")->valuedouble, col = (int)tget(c, "col")->valuedouble;
  int better = !strcmp(metric, "final_cost") ? -1 : 1, k = 0;
  double bm = NAN, bf = NAN;
  cJSON *arr = cJSON_CreateArray();
  *best = -1;
  for (const cJSON *p = tget(c, "points")->child; p; p = p->next, k++) {
    cJSON *sc = cJSON_CreateObject(), *vals = cJSON_CreateArray();
    cJSON_AddItemToObject(sc, "setting", cJSON_Duplicate(tget(p, "setting"), 1));
    cJSON_AddStringToObject(sc, "label", tget(p, "label")->valuestring);
    double sum = 0, fsum = 0, rsum = 0, plan_s = 0;
    int n = 0;
    for (int si = 0; si < sw->tuning.nseeds; si++)
      for (int q = 0; q < sw->tuning.nruns; q++) {
        const sweep_trun *r = &sw->tuning.runs[q];
        if (r->row != row || r->col != col || r->setting != k || r->seed_index != si) continue;
        cJSON *res;
        if (sgp_json_load(sw->jobs[r->job].done_path, &res, e)) {
          cJSON_Delete(sc), cJSON_Delete(vals), cJSON_Delete(arr);
          return NULL;
        }
        double fc, rows, v = run_metric(res, metric, &fc, &rows);
        const cJSON *ps = tget(tget(res, "timing"), "plan_s");
        if (cJSON_IsNumber(ps)) plan_s += ps->valuedouble;
        cJSON_Delete(res);
        cJSON_AddItemToArray(vals, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
        if (isfinite(v)) sum += v, fsum += fc, rsum += rows, n++;
      }
    cJSON_AddStringToObject(sc, "metric", metric);
    cJSON_AddItemToObject(sc, "values", vals);
    double m = n ? sum / n : NAN, f = n ? fsum / n : NAN;
    cJSON_AddItemToObject(sc, "mean", isfinite(m) ? cJSON_CreateNumber(m) : cJSON_CreateNull());
    cJSON_AddItemToObject(sc, "final_cost_mean", isfinite(f) ? cJSON_CreateNumber(f) : cJSON_CreateNull());
    cJSON_AddItemToObject(sc, "model_rows_per_plan", n && isfinite(rsum) ? cJSON_CreateNumber(rsum / n) : cJSON_CreateNull());
    cJSON_AddItemToObject(sc, "runs", setting_run_keys(sw, row, col, k));
    cJSON *tm = cJSON_AddObjectToObject(sc, "timing");
    cJSON_AddNumberToObject(tm, "plan_s", plan_s);
    cJSON_AddItemToArray(arr, sc);
    if (isfinite(m) && (*best < 0 || beats(m, f, bm, bf, better))) *best = k, bm = m, bf = f;
  }
  if (*best < 0) {
    char rk[512];
    row_key(sw, row, rk, sizeof rk);
    cJSON_Delete(arr);
    return sgp_fail(e, "tuning: agent %s on row %s: no setting has a %s on the tuning seeds", sw->cols[col], rk, metric), NULL;
  }
  return arr;
}

int sweep_tune_finish(sweep *sw, sgp_err *e) {
  sweep_tuning *t = &sw->tuning;
  for (int q = 0; q < t->nruns; q++)
    if (!sweep_job_done(&sw->jobs[t->runs[q].job]))
      return sgp_fail(e, "tuning: %s has no result (%s): the settings cannot be chosen", sw->jobs[t->runs[q].job].what,
                      sw->jobs[t->runs[q].job].done_path);
  cJSON *res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "schema_version", 1);
  cJSON_AddStringToObject(res, "kind", "tuning");
  cJSON_AddStringToObject(res, "sweep", sw->name);
  cJSON *seeds = cJSON_AddArrayToObject(res, "seeds");
  for (int i = 0; i < t->nseeds; i++) cJSON_AddItemToArray(seeds, cJSON_CreateNumber((double)t->seeds[i]));
  cJSON *rule = cJSON_AddObjectToObject(res, "rule");
  cJSON_AddNumberToObject(rule, "settings", t->settings);
  cJSON_AddStringToObject(rule, "text", "every agent has the same number of settings on every row");
  cJSON_AddStringToObject(res, "selection", "the best mean of the row's main metric over the tuning seeds; ties: "
                                            "the lower mean final cost, then the earlier grid point");
  cJSON *agents = cJSON_AddObjectToObject(res, "agents");
  for (int col = 0; col < sw->ncols; col++)
    for (const cJSON *c = t->points->child; c; c = c->next) {
      if ((int)tget(c, "col")->valuedouble != col) continue;
      int row = (int)tget(c, "row")->valuedouble, best;
      char rk[512];
      row_key(sw, row, rk, sizeof rk);
      cJSON *scores = scores_of_cell(sw, c, sw->rows[row].metric, &best, e);
      if (!scores) {
        cJSON_Delete(res);
        return -1;
      }
      cJSON *ag = cJSON_GetObjectItemCaseSensitive(agents, sw->cols[col]);
      if (!ag) {
        ag = cJSON_AddObjectToObject(agents, sw->cols[col]);
        cJSON_AddObjectToObject(ag, "grid");
        cJSON_AddObjectToObject(ag, "scores");
        cJSON_AddObjectToObject(ag, "chosen");
      }
      cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(ag, "grid"), rk, cJSON_Duplicate(tget(c, "grid"), 1));
      cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(ag, "chosen"), rk,
                            cJSON_Duplicate(tget(cJSON_GetArrayItem(scores, best), "setting"), 1));
      cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(ag, "scores"), rk, scores);
    }
  cJSON_Delete(t->result);
  t->result = res;
  /* matched planning time (if asked): measured on the chosen settings, recorded with them */
  char *path = sgp_path_join(sw->out, "tuning.json");
  int rc = sweep_budget_match(sw, res, e) || sgp_json_write(path, res, e);
  free(path);
  if (rc) {
    cJSON_Delete(res);
    t->result = NULL;
    return -1;
  }
  free(t->source);
  t->source = sgp_strdup("tuning.json (this output directory)");
  return 0;
}
