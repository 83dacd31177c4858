/* Matched planning time (docs/sweeps.md, "Equal budgets"): a sweep can ask that some agents'
 * sample counts be set so that their planning time per step is within ±tolerance of a reference
 * agent's, row by row:
 *
 *   "budget": {"match_time": {"reference": "sgp-shooting", "agents": ["cem", "mppi"],
 *                             "parameter": "samples", "tolerance": 0.25}}
 *
 * It runs at the end of the tuning stage, on the chosen settings: each agent and the reference plan
 * a short evaluation on the first tuning seed's models (`sgp eval`, one BLAS thread like every job,
 * as many episodes in lockstep as a report run of the row, alternating, median of 3 each; the
 * planning thread's CPU time per episode, which other processes on the cores do not inflate); the
 * count is scaled by the time ratio (rounded to a multiple of 8) until the agent's time is within
 * the tolerance (at most 6 rounds). Timings are not
 * reproducible, so the counts are a recorded result (tuning.json, "matched_time"), used by the
 * report runs like the tuning choice; the tables show the times the report runs measured. */
#include "bench/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const cJSON *bget(const cJSON *o, const char *k) { return o ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL; }

int sweep_budget_read(sweep *sw, const cJSON *budget, sgp_err *e) {
  if (!budget) return 0;
  sgp_cfg root = sgp_cfg_root(sw->root, sw->file), b, m, arr;
  static const char *const keys[] = {"match_time", NULL};
  static const char *const mkeys[] = {"reference", "agents", "parameter", "tolerance", NULL};
  if (sgp_cfg_obj(&root, "budget", &b, e) || sgp_cfg_check_keys(&b, keys, e)) return -1;
  if (!sgp_cfg_get(&b, "match_time")) return 0;
  if (sgp_cfg_obj(&b, "match_time", &m, e) || sgp_cfg_check_keys(&m, mkeys, e)) return -1;
  if (!sw->tuning.on)
    return sgp_cfg_fail(e, &m, "reference", "matched time is measured at the end of the tuning stage: the sweep needs /tuning");
  const char *ref, *par;
  double tol;
  int n;
  if (sgp_cfg_str(&m, "reference", &ref, e) || sgp_cfg_str_opt(&m, "parameter", "samples", &par, e) ||
      sgp_cfg_num_opt(&m, "tolerance", 0.25, &tol, e) || sgp_cfg_array(&m, "agents", &arr, &n, e))
    return -1;
  if (!(tol > 0 && tol < 1)) return sgp_cfg_fail(e, &m, "tolerance", "expected a number in (0, 1)");
  if (!n) return sgp_cfg_fail(e, &m, "agents", "empty list");
  for (const cJSON *a = arr.j->child; a; a = a->next)
    if (!cJSON_IsString(a) || !strcmp(a->valuestring, ref))
      return sgp_cfg_fail(e, &m, "agents", "expected agent names other than the reference");
  sw->budget = cJSON_Duplicate(m.j, 1);
  if (!bget(sw->budget, "parameter")) cJSON_AddStringToObject(sw->budget, "parameter", par);
  if (!bget(sw->budget, "tolerance")) cJSON_AddNumberToObject(sw->budget, "tolerance", tol);
  return 0;
}

/* The column of an agent name (a grid variant "name[...]" counts as the agent), -1 if absent. */
static int col_of(const sweep *sw, const char *name, int from) {
  size_t n = strlen(name);
  for (int c = from; c < sw->ncols; c++)
    if (!strncmp(sw->cols[c], name, n) && (sw->cols[c][n] == 0 || sw->cols[c][n] == '[')) return c;
  return -1;
}

int sweep_budget_check(const sweep *sw, const cJSON *result, char *why, size_t cap) {
  if (!sw->budget) return 1;
  const cJSON *mt = bget(result, "matched_time");
  if (!mt || !cJSON_Compare(bget(mt, "config"), sw->budget, 1))
    return snprintf(why, cap, "no matched planning times for /budget/match_time as the sweep gives it"), 0;
  int ref = col_of(sw, bget(sw->budget, "reference")->valuestring, 0);
  for (const cJSON *a = bget(sw->budget, "agents")->child; a; a = a->next)
    for (int c = col_of(sw, a->valuestring, 0); c >= 0; c = col_of(sw, a->valuestring, c + 1))
      for (int r = 0; r < sw->nrows; r++) {
        if (!sweep_tune_chosen(sw, r, c) || ref < 0 || !sweep_tune_chosen(sw, r, ref)) continue;
        char rk[512];
        snprintf(rk, sizeof rk, "%s/%s", sw->rows[r].env, sw->rows[r].dataset);
        if (!cJSON_IsNumber(bget(bget(bget(bget(mt, "agents"), sw->cols[c]), rk), "value")))
          return snprintf(why, cap, "no matched %s for agent %s on row %s", bget(sw->budget, "parameter")->valuestring,
                          sw->cols[c], rk), 0;
      }
  return 1;
}

double sweep_budget_value(const sweep *sw, int row, int col) {
  if (!sw->budget || !sw->tuning.result) return NAN;
  char rk[512];
  snprintf(rk, sizeof rk, "%s/%s", sw->rows[row].env, sw->rows[row].dataset);
  const cJSON *v = bget(bget(bget(bget(bget(sw->tuning.result, "matched_time"), "agents"), sw->cols[col]), rk), "value");
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* ------------------------------------------------------------------ measuring */

/* `sgp eval --config CFG --out OUT` with one BLAS thread; 0 when it succeeded. */
static int run_eval(const sweep *sw, const char *cfg, const char *out, const char *log) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    char *argv[] = {sw->prog, "eval", "--config", (char *)cfg, "--out", (char *)out, NULL};
    char *fake[] = {sw->prog, "sweep", "--fake-job", "eval", "--config", (char *)cfg, "--out", (char *)out, NULL};
    execv(sw->prog, sw->reg->fake ? fake : argv); /* the test registry's jobs: the fake eval */
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The planning time per episode (s) of one short evaluation of run config `base` with `value` set
 * at /planner/<parameter> (value NaN: unchanged), planning `episodes` episodes in lockstep as the
 * report runs do (a batch of lanes costs a first-order planner less than that many single plans,
 * a sampling planner about as much). */
static int measure(const sweep *sw, const cJSON *base, const char *par, double value, int episodes, const char *tag,
                   double *t, sgp_err *e) {
  cJSON *c = cJSON_Duplicate(base, 1);
  cJSON *ev = cJSON_GetObjectItemCaseSensitive(c, "eval"), *pl = cJSON_GetObjectItemCaseSensitive(c, "planner");
  const cJSON *mode = bget(ev, "mode");
  int open = cJSON_IsString(mode) && !strcmp(mode->valuestring, "open_loop");
  cJSON *nev = cJSON_CreateObject();
  cJSON_AddNumberToObject(nev, "episodes", episodes > 0 ? episodes : 1);
  cJSON_AddStringToObject(nev, "mode", open ? "open_loop" : "mpc");
  if (!open) cJSON_AddNumberToObject(nev, "steps", 10); /* MPC: 10 steps; open loop: the one plan of the episode */
  if (cJSON_IsNumber(bget(ev, "steps")) && open) cJSON_AddNumberToObject(nev, "steps", bget(ev, "steps")->valuedouble);
  cJSON_ReplaceItemInObjectCaseSensitive(c, "eval", nev);
  if (isfinite(value)) {
    if (cJSON_GetObjectItemCaseSensitive(pl, par)) cJSON_ReplaceItemInObjectCaseSensitive(pl, par, cJSON_CreateNumber(value));
    else cJSON_AddNumberToObject(pl, par, value);
  }
  char cfg[4096], out[4096], log[4096];
  snprintf(cfg, sizeof cfg, "%s/calibration/%s.json", sw->out, tag);
  snprintf(out, sizeof out, "%s/calibration/%s-result.json", sw->out, tag);
  snprintf(log, sizeof log, "%s/calibration/%s.log", sw->out, tag);
  int rc = sgp_json_write(cfg, c, e);
  cJSON_Delete(c);
  if (rc) return -1;
  if (run_eval(sw, cfg, out, log)) return sgp_fail(e, "matched time: sgp eval failed (log: %s)", log);
  cJSON *res;
  if (sgp_json_load(out, &res, e)) return -1;
  /* the planning thread's CPU time: a process sharing the core does not inflate it as it does the
   * wall clock (plan_s, used only where a result has no CPU time) */
  const cJSON *tm = bget(res, "timing"), *ps = bget(tm, "plan_cpu_s");
  if (!cJSON_IsNumber(ps) || !(ps->valuedouble > 0)) ps = bget(tm, "plan_s");
  *t = cJSON_IsNumber(ps) ? ps->valuedouble / (episodes > 0 ? episodes : 1) : NAN;
  cJSON_Delete(res);
  if (!(*t > 0)) return sgp_fail(e, "matched time: %s: no planning time", out);
  return 0;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The run config of the chosen setting of (row, col) on the first tuning seed. */
static const cJSON *chosen_config(const sweep *sw, int row, int col) {
  char rk[512];
  snprintf(rk, sizeof rk, "%s/%s", sw->rows[row].env, sw->rows[row].dataset);
  const cJSON *ag = bget(bget(sw->tuning.result, "agents"), sw->cols[col]);
  const cJSON *ch = bget(bget(ag, "chosen"), rk), *sc = bget(bget(ag, "scores"), rk);
  int k = 0;
  for (const cJSON *x = sc ? sc->child : NULL; x; x = x->next, k++)
    if (cJSON_Compare(bget(x, "setting"), ch, 1))
      for (int q = 0; q < sw->tuning.nruns; q++) {
        const sweep_trun *r = &sw->tuning.runs[q];
        if (r->row == row && r->col == col && r->setting == k && r->seed_index == 0) return sw->jobs[r->job].config;
      }
  return NULL;
}

int sweep_budget_match(sweep *sw, cJSON *result, sgp_err *e) {
  if (!sw->budget) return 0;
  const char *par = bget(sw->budget, "parameter")->valuestring;
  double tol = bget(sw->budget, "tolerance")->valuedouble;
  int ref = col_of(sw, bget(sw->budget, "reference")->valuestring, 0);
  if (ref < 0) return sgp_fail(e, "%s: /budget/match_time/reference: no agent '%s'", sw->file,
                               bget(sw->budget, "reference")->valuestring);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/calibration", sw->out);
  if (sgp_mkdirs(dir, e)) return -1;
  cJSON *mt = cJSON_CreateObject();
  cJSON_AddItemToObject(mt, "config", cJSON_Duplicate(sw->budget, 1));
  cJSON_AddStringToObject(mt, "method", "short evaluations (MPC: 10 steps; open loop: the episode's plan) of the chosen "
                                        "settings on the first tuning seed, as many episodes in lockstep as a report "
                                        "run plans, one BLAS thread, agent and reference alternating, median of 3 "
                                        "planning CPU times per episode each (the planning thread's); the count "
                                        "scaled by the ratio");
  cJSON *agents = cJSON_AddObjectToObject(mt, "agents");
  for (const cJSON *a = bget(sw->budget, "agents")->child; a; a = a->next)
    for (int c = col_of(sw, a->valuestring, 0); c >= 0; c = col_of(sw, a->valuestring, c + 1))
      for (int r = 0; r < sw->nrows; r++) {
        const cJSON *cfg = chosen_config(sw, r, c), *rcfg = chosen_config(sw, r, ref);
        if (!cfg || !rcfg) continue;
        const cJSON *v0 = bget(bget(cfg, "planner"), par);
        if (!cJSON_IsNumber(v0))
          return sgp_fail(e, "%s: /budget/match_time: agent %s on row %s/%s has no numeric planner '%s'", sw->file,
                          sw->cols[c], sw->rows[r].env, sw->rows[r].dataset, par);
        double value = v0->valuedouble, tr[3], ta[3], ratio = NAN, tref = NAN, tag_ms = NAN;
        cJSON *rounds = cJSON_CreateArray();
        for (int rnd = 0; rnd < 6; rnd++) {
          for (int k = 0; k < 3; k++) {
            char tag[96];
            snprintf(tag, sizeof tag, "r%d-c%d-ref", r, ref);
            if (measure(sw, rcfg, par, NAN, sw->rows[r].episodes, tag, &tr[k], e)) return -1;
            snprintf(tag, sizeof tag, "r%d-c%d-%g", r, c, value);
            if (measure(sw, cfg, par, value, sw->rows[r].episodes, tag, &ta[k], e)) return -1;
          }
          qsort(tr, 3, sizeof *tr, cmp_d);
          qsort(ta, 3, sizeof *ta, cmp_d);
          tref = tr[1], tag_ms = ta[1], ratio = ta[1] / tr[1];
          cJSON *ro = cJSON_CreateObject();
          cJSON_AddNumberToObject(ro, "value", value);
          cJSON_AddNumberToObject(ro, "plan_s", ta[1]);
          cJSON_AddNumberToObject(ro, "reference_plan_s", tr[1]);
          cJSON_AddItemToArray(rounds, ro);
          fprintf(stderr, "sweep %s: matched time: %s on %s/%s: %s %g: %.3g s against %.3g s (ratio %.2f)\n", sw->name,
                  sw->cols[c], sw->rows[r].env, sw->rows[r].dataset, par, value, ta[1], tr[1], ratio);
          if (fabs(ratio - 1) <= tol) break;
          double next = 8 * round(value / ratio / 8);
          if (next < 8) next = 8;
          if (next == value) break;
          value = next;
        }
        char rk[512];
        snprintf(rk, sizeof rk, "%s/%s", sw->rows[r].env, sw->rows[r].dataset);
        cJSON *ao = cJSON_GetObjectItemCaseSensitive(agents, sw->cols[c]);
        if (!ao) ao = cJSON_AddObjectToObject(agents, sw->cols[c]);
        cJSON *o = cJSON_AddObjectToObject(ao, rk);
        cJSON_AddNumberToObject(o, "value", value);
        cJSON_AddNumberToObject(o, "tuned_value", v0->valuedouble);
        cJSON_AddBoolToObject(o, "within_tolerance", fabs(ratio - 1) <= tol);
        cJSON *tm = cJSON_AddObjectToObject(o, "timing");
        cJSON_AddNumberToObject(tm, "ratio", ratio);
        cJSON_AddNumberToObject(tm, "plan_s", tag_ms);
        cJSON_AddNumberToObject(tm, "reference_plan_s", tref);
        cJSON_AddItemToObject(tm, "rounds", rounds);
      }
  cJSON_DeleteItemFromObjectCaseSensitive(result, "matched_time");
  cJSON_AddItemToObject(result, "matched_time", mt);
  return 0;
}
