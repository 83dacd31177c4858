/* What a sweep's jobs left behind, read back without asking any scheduler (docs/sweeps.md,
 * "Status and cost"):
 *
 *   OUT/logs/<verb>-<key>.outcome.json   written by whoever ran the job (the local scheduler, a
 *                                        Slurm task) when it ended: exit status or signal, wall and
 *                                        CPU seconds, host, engine; removed when the job starts again
 *   CACHE/timings/<verb>-<key>.json      on success: the job's cost class and its measured time
 *
 * A job's cost class is the key of the job without its seed (its verb, its configs with the seed
 * and the artefact paths removed, the classes of the jobs it depends on): the seeds of one setting
 * cost the same, so a job measured for seed 0 prices seeds 1..n of the same setting, in this sweep
 * or any later one that shares the cache.
 *
 *   sgp sweep FILE --status     done / failed / missing jobs, the failures by name with their logs
 *   sgp sweep FILE --estimate   CPU-hours of the jobs left, from the measured jobs of their class */
#include "bench/sweep.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const verbs[] = {"collect", "train", "eval"};

/* The index in argv of the verb (collect, train, eval): 1, or 3 after "sweep --fake-job". */
static int verb_index(int argc, char *const *argv) {
  for (int i = 1; i < argc; i++)
    for (int v = 0; v < 3; v++)
      if (!strcmp(argv[i], verbs[v])) return i;
  return 0;
}

/* ------------------------------------------------------------------ cost classes */
void sweep_job_class(const sweep *sw, int i, char out[17]) {
  const sweep_job *j = &sw->jobs[i];
  int vi = verb_index(j->argc, j->argv);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "verb", j->argv[vi]);
  /* collect ENV, train KIND: the word after the verb is part of the job; eval's is an option */
  if (j->kind != SWEEP_RUN && vi + 1 < j->argc) cJSON_AddStringToObject(c, "arg", j->argv[vi + 1]);
  cJSON *cfg = cJSON_Duplicate(j->config, 1);
  if (j->kind == SWEEP_RUN) { /* the seed and the artefacts' paths: the dependencies' classes stand for them */
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "seed");
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "dataset");
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "models");
  }
  cJSON_AddItemToObject(c, "config", cfg);
  if (j->config2) cJSON_AddItemToObject(c, "config2", cJSON_Duplicate(j->config2, 1));
  cJSON *deps = cJSON_AddArrayToObject(c, "deps");
  for (int k = 0; k < j->ndeps; k++) {
    char d[17];
    sweep_job_class(sw, j->deps[k], d);
    cJSON_AddItemToArray(deps, cJSON_CreateString(d));
  }
  sweep_key(c, out);
  cJSON_Delete(c);
}

/* ------------------------------------------------------------------ tasks */
static char *fmt_path(const char *a, const char *b, const char *c) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *s = sgp_malloc(n);
  snprintf(s, n, "%s%s%s", a, b, c);
  return s;
}

/* "<log without .log>.outcome.json" */
static char *outcome_path_of(const char *log) {
  size_t n = strlen(log);
  char *base = sgp_strdup(log);
  if (n > 4 && !strcmp(base + n - 4, ".log")) base[n - 4] = 0;
  char *p = fmt_path(base, ".outcome.json", "");
  free(base);
  return p;
}

void sweep_task_of(const sweep *sw, int i, int threads, sweep_task *t) {
  const sweep_job *j = &sw->jobs[i];
  memset(t, 0, sizeof *t);
  char cls[17];
  sweep_job_class(sw, i, cls);
  t->what = sgp_strdup(j->what);
  t->key = sgp_strdup(j->key);
  t->verb = sgp_strdup(j->argv[verb_index(j->argc, j->argv)]);
  t->cost_class = sgp_strdup(cls);
  t->log_path = sgp_strdup(j->log_path);
  t->done_path = sgp_strdup(j->done_path);
  t->outcome_path = outcome_path_of(j->log_path);
  char name[64];
  snprintf(name, sizeof name, "/timings/%s-%s.json", t->verb, j->key);
  t->timing_path = fmt_path(sw->cache, name, "");
  t->threads = threads;
  t->argc = j->argc;
  t->argv = sgp_calloc((size_t)j->argc + 1, sizeof *t->argv);
  for (int k = 0; k < j->argc; k++) t->argv[k] = sgp_strdup(j->argv[k]);
}

void sweep_task_free(sweep_task *t) {
  char *s[] = {t->what, t->key, t->verb, t->cost_class, t->log_path, t->done_path, t->outcome_path, t->timing_path};
  for (size_t k = 0; k < sizeof s / sizeof s[0]; k++) free(s[k]);
  for (int k = 0; k < t->argc; k++) free(t->argv[k]);
  free(t->argv);
  memset(t, 0, sizeof *t);
}

cJSON *sweep_task_json(const sweep_task *t) {
  cJSON *o = cJSON_CreateObject();
  const char *f[][2] = {{"what", t->what}, {"key", t->key}, {"verb", t->verb}, {"class", t->cost_class},
                        {"log", t->log_path}, {"done", t->done_path}, {"outcome", t->outcome_path},
                        {"timing", t->timing_path}};
  for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) cJSON_AddStringToObject(o, f[k][0], f[k][1]);
  cJSON_AddNumberToObject(o, "threads", t->threads);
  cJSON *a = cJSON_AddArrayToObject(o, "argv");
  for (int k = 0; k < t->argc; k++) cJSON_AddItemToArray(a, cJSON_CreateString(t->argv[k]));
  return o;
}

static int task_str(const cJSON *o, const char *where, const char *key, char **out, sgp_err *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v) || !*v->valuestring) return sgp_fail(e, "%s: /%s: expected a non-empty string", where, key);
  *out = sgp_strdup(v->valuestring);
  return 0;
}

int sweep_task_parse(const cJSON *o, const char *where, sweep_task *t, sgp_err *e) {
  sweep_task r;
  memset(&r, 0, sizeof r);
  if (!cJSON_IsObject(o)) return sgp_fail(e, "%s: expected an object", where);
  const char *keys[] = {"what", "key", "verb", "class", "log", "done", "outcome", "timing"};
  char **dst[] = {&r.what, &r.key, &r.verb, &r.cost_class, &r.log_path, &r.done_path, &r.outcome_path, &r.timing_path};
  int rc = 0;
  for (size_t k = 0; k < sizeof keys / sizeof keys[0] && !rc; k++) rc = task_str(o, where, keys[k], dst[k], e);
  const cJSON *th = cJSON_GetObjectItemCaseSensitive(o, "threads"), *a = cJSON_GetObjectItemCaseSensitive(o, "argv");
  if (!rc && (!cJSON_IsNumber(th) || th->valuedouble < 1 || th->valuedouble > 1024 || th->valuedouble != floor(th->valuedouble)))
    rc = sgp_fail(e, "%s: /threads: expected a whole number in [1, 1024]", where);
  if (!rc && (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 2))
    rc = sgp_fail(e, "%s: /argv: expected an array of at least two strings", where);
  if (!rc) {
    r.threads = (int)th->valuedouble;
    r.argv = sgp_calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *r.argv);
    for (const cJSON *c = a->child; c && !rc; c = c->next) {
      if (!cJSON_IsString(c)) rc = sgp_fail(e, "%s: /argv/%d: expected a string", where, r.argc);
      else r.argv[r.argc++] = sgp_strdup(c->valuestring);
    }
  }
  if (rc) {
    sweep_task_free(&r);
    return -1;
  }
  *t = r;
  return 0;
}

/* ------------------------------------------------------------------ outcomes and timings */
void sweep_outcome_clear(const sweep_task *t) { unlink(t->outcome_path); }

static double cpu_seconds(const struct rusage *ru) {
  if (!ru) return -1;
  return (double)ru->ru_utime.tv_sec + 1e-6 * (double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_sec +
         1e-6 * (double)ru->ru_stime.tv_usec;
}

/* The cost record of a successful job (CACHE/timings/): what --estimate prices its class with. */
static void write_timing(const sweep_task *t, const char *engine, const char *host, double wall_s, double cpu_s) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "class", t->cost_class);
  cJSON_AddStringToObject(o, "verb", t->verb);
  cJSON_AddStringToObject(o, "key", t->key);
  cJSON_AddStringToObject(o, "job", t->what);
  cJSON_AddNumberToObject(o, "wall_s", wall_s);
  if (cpu_s >= 0) cJSON_AddNumberToObject(o, "cpu_s", cpu_s);
  cJSON_AddNumberToObject(o, "threads", t->threads);
  cJSON_AddStringToObject(o, "host", host);
  cJSON_AddStringToObject(o, "cpu", sgp_cpu_model());
  cJSON_AddStringToObject(o, "engine", engine);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", t->timing_path);
  char *s = strrchr(dir, '/');
  if (s) *s = 0;
  sgp_err e;
  if ((s && sgp_mkdirs(dir, &e)) || sgp_json_write(t->timing_path, o, &e))
    fprintf(stderr, "sweep: cannot record the job's time: %s\n", e.msg);
  cJSON_Delete(o);
}

void sweep_outcome_write(const sweep_task *t, const char *engine, int wst, double wall_s, const struct rusage *ru,
                         int ok) {
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  double cpu_s = cpu_seconds(ru);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "job", t->what);
  cJSON_AddStringToObject(o, "key", t->key);
  cJSON_AddBoolToObject(o, "ok", ok);
  if (WIFEXITED(wst)) cJSON_AddNumberToObject(o, "exit", WEXITSTATUS(wst));
  if (WIFSIGNALED(wst)) cJSON_AddNumberToObject(o, "signal", WTERMSIG(wst));
  cJSON_AddBoolToObject(o, "artefact", sgp_path_exists(t->done_path));
  cJSON_AddNumberToObject(o, "wall_s", wall_s);
  if (cpu_s >= 0) cJSON_AddNumberToObject(o, "cpu_s", cpu_s);
  cJSON_AddNumberToObject(o, "threads", t->threads);
  cJSON_AddStringToObject(o, "host", host);
  cJSON_AddStringToObject(o, "engine", engine);
  const char *aj = getenv("SLURM_ARRAY_JOB_ID"), *at = getenv("SLURM_ARRAY_TASK_ID"), *sj = getenv("SLURM_JOB_ID");
  char id[96];
  if (aj && at) snprintf(id, sizeof id, "%s_%s", aj, at);
  if (!strcmp(engine, "slurm") && ((aj && at) || sj)) cJSON_AddStringToObject(o, "slurm_job", aj && at ? id : sj);
  cJSON_AddStringToObject(o, "log", t->log_path);
  sgp_err e;
  if (sgp_json_write(t->outcome_path, o, &e)) fprintf(stderr, "sweep: cannot record the job's outcome: %s\n", e.msg);
  cJSON_Delete(o);
  if (ok) write_timing(t, engine, host, wall_s, cpu_s);
}

void sweep_record_start(const sweep *sw, int i) {
  char *p = outcome_path_of(sw->jobs[i].log_path);
  unlink(p);
  free(p);
}

void sweep_record_end(const sweep *sw, int i, int threads, int wst, double wall_s, const struct rusage *ru, int ok) {
  sweep_task t;
  sweep_task_of(sw, i, threads, &t);
  sweep_outcome_write(&t, "local", wst, wall_s, ru, ok);
  sweep_task_free(&t);
}

/* ------------------------------------------------------------------ --status */
enum { ST_DONE, ST_FAILED, ST_STARTED, ST_MISSING };

/* The job's state from its artefact, its outcome record and its log; *why (may be NULL) receives
 * a failure's reason. */
static int job_state(const sweep_task *t, char *why, size_t cap) {
  if (sgp_path_exists(t->done_path)) return ST_DONE;
  cJSON *o = NULL;
  sgp_err e;
  if (sgp_path_exists(t->outcome_path) && sgp_json_load(t->outcome_path, &o, &e) == 0 && cJSON_IsObject(o)) {
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "exit"), *sg = cJSON_GetObjectItemCaseSensitive(o, "signal");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(o, "engine"), *id = cJSON_GetObjectItemCaseSensitive(o, "slurm_job");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "host"), *w = cJSON_GetObjectItemCaseSensitive(o, "wall_s");
    char r[128] = "ended without its artefact";
    if (cJSON_IsNumber(sg)) snprintf(r, sizeof r, "killed by signal %d", sg->valueint);
    else if (cJSON_IsNumber(ex) && ex->valueint != 0) snprintf(r, sizeof r, "exit status %d", ex->valueint);
    else if (cJSON_IsNumber(ex)) snprintf(r, sizeof r, "exited 0 without writing %s", t->done_path);
    if (why)
      snprintf(why, cap, "%s after %.1f s (%s%s%s, host %s)", r, cJSON_IsNumber(w) ? w->valuedouble : 0.0,
               cJSON_IsString(en) ? en->valuestring : "?", cJSON_IsString(id) ? " job " : "",
               cJSON_IsString(id) ? id->valuestring : "", cJSON_IsString(h) ? h->valuestring : "?");
    cJSON_Delete(o);
    return ST_FAILED;
  }
  cJSON_Delete(o);
  return sgp_path_exists(t->log_path) ? ST_STARTED : ST_MISSING;
}

int sweep_count_started(const sweep *sw, int max_kind) {
  int n = 0;
  for (int i = 0; i < sw->njobs; i++) {
    if ((int)sw->jobs[i].kind > max_kind) continue;
    sweep_task t;
    sweep_task_of(sw, i, 1, &t);
    n += job_state(&t, NULL, 0) == ST_STARTED;
    sweep_task_free(&t);
  }
  return n;
}

int sweep_status(const sweep *sw, int max_kind, FILE *out) {
  int n[3][4] = {{0}}, tot[4] = {0};
  for (int i = 0; i < sw->njobs; i++) {
    if ((int)sw->jobs[i].kind > max_kind) continue;
    sweep_task t;
    sweep_task_of(sw, i, 1, &t);
    int s = job_state(&t, NULL, 0);
    n[sw->jobs[i].kind][s]++, tot[s]++;
    sweep_task_free(&t);
  }
  int all = tot[ST_DONE] + tot[ST_FAILED] + tot[ST_STARTED] + tot[ST_MISSING];
  fprintf(out, "sweep %s (%s): %d jobs: %d done, %d failed, %d missing", sw->name, sw->out, all, tot[ST_DONE],
          tot[ST_FAILED], tot[ST_STARTED] + tot[ST_MISSING]);
  if (tot[ST_STARTED])
    fprintf(out, " (%d of them started: running now, or stopped without an outcome)", tot[ST_STARTED]);
  fprintf(out, "\n");
  for (int k = 0; k <= max_kind && k < 3; k++) {
    int m = n[k][0] + n[k][1] + n[k][2] + n[k][3];
    if (m) fprintf(out, "  %-8s %4d done, %4d failed, %4d missing\n", verbs[k], n[k][ST_DONE], n[k][ST_FAILED],
                   n[k][ST_STARTED] + n[k][ST_MISSING]);
  }
  for (int i = 0; i < sw->njobs; i++) {
    if ((int)sw->jobs[i].kind > max_kind) continue;
    sweep_task t;
    sweep_task_of(sw, i, 1, &t);
    char why[512];
    if (job_state(&t, why, sizeof why) == ST_FAILED) {
      fprintf(out, "FAILED %s: %s; log %s:\n", t.what, why, t.log_path);
      sweep_print_tail(out, t.log_path, 6);
    }
    sweep_task_free(&t);
  }
  return tot[ST_DONE] == all ? 0 : 1;
}
