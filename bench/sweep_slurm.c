/* sgp sweep FILE --slurm: the sweep as Slurm job arrays (docs/sweeps.md, "Running on a cluster").
 *
 * The jobs not done yet are grouped in waves from the job graph (a job's wave is one more than the
 * deepest of the pending jobs it depends on, so finished work never costs a wave). Each wave is one
 * job array (split at 1000 tasks) that starts when the previous wave's arrays all succeeded
 * (--dependency=afterok, --kill-on-invalid-dep=yes so that a failure ends the later waves instead of
 * leaving them queued forever); then one final job, after every array has ended whatever their
 * outcome (afterany), reports the failures by name with their logs and assembles the table.
 *
 * Everything goes to a submission directory OUT/slurm/<date>-<time>.<random>/: per array a task
 * file (one JSON line per job, sweep_task_json) and its sbatch script, the final job's script,
 * submit.json (what was submitted) and jobs.json (the job ids); OUT/slurm/latest names it. A task
 * is `sgp sweep --task FILE.tasks N`: it runs line N's job with its log, forwards SIGTERM (scancel,
 * a time limit) to it, and records the outcome (bench/sweep_status.c). Submitting again submits
 * only the jobs whose artefacts are still missing. */
#include "bench/cli.h"
#include "bench/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_MAX 1000 /* tasks per array: Slurm's default MaxArraySize is 1001 (indices 0..1000) */

/* ------------------------------------------------------------------ options */
static int chars_in(const char *s, const char *set, size_t maxlen) {
  size_t n = strlen(s);
  return n >= 1 && n <= maxlen && strspn(s, set) == n;
}

/* [D-]H[:M[:S]] (minutes, minutes:seconds, hours:minutes:seconds, days-hours...) or UNLIMITED:
 * digits, at most one '-' (before any ':'), at most two ':', every separator between digits. */
static int slurm_time_ok(const char *s) {
  if (!strcmp(s, "UNLIMITED") || !strcmp(s, "INFINITE")) return 1;
  if (!chars_in(s, "0123456789-:", 32)) return 0;
  int dashes = 0, colons = 0, prev_digit = 0;
  for (const char *p = s; *p; p++) {
    int d = *p >= '0' && *p <= '9';
    if (!d && (!prev_digit || !(p[1] >= '0' && p[1] <= '9'))) return 0;
    if (*p == '-' && (dashes++ || colons)) return 0;
    colons += *p == ':';
    prev_digit = d;
  }
  return colons <= 2;
}

int sweep_slurm_check(const sweep_slurm_opts *o, sgp_err *e) {
  static const char *const word = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-";
  static const char *const words = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+-,";
  if (o->partition && !chars_in(o->partition, words, 128))
    return sgp_fail(e, "--partition: expected a partition name (or a comma-separated list), got '%s'", o->partition);
  if (o->account && !chars_in(o->account, word, 128))
    return sgp_fail(e, "--account: expected an account name, got '%s'", o->account);
  if (o->time && !slurm_time_ok(o->time))
    return sgp_fail(e, "--time: expected HH:MM:SS (or MM, MM:SS, D-HH, D-HH:MM, D-HH:MM:SS), got '%s'", o->time);
  return 0;
}

/* ------------------------------------------------------------------ waves of the pending jobs */
/* pw[i]: 0 for a job done (or excluded by --stage), else 1 + the deepest pw of its dependencies.
 * Dependencies come earlier in the job order, so one pass suffices. Returns the number of waves. */
static int plan_waves(const sweep *sw, int max_kind, int *pw) {
  int nw = 0;
  for (int i = 0; i < sw->njobs; i++) {
    const sweep_job *j = &sw->jobs[i];
    pw[i] = 0;
    if ((int)j->kind > max_kind || sweep_job_done(j)) continue;
    int w = 1;
    for (int k = 0; k < j->ndeps; k++)
      if (pw[j->deps[k]] + 1 > w) w = pw[j->deps[k]] + 1;
    pw[i] = w;
    if (w > nw) nw = w;
  }
  return nw;
}

/* ------------------------------------------------------------------ running programs */
/* Runs argv (PATH lookup), its stdout into out (NUL-terminated, may be NULL), stderr inherited
 * unless quiet. Returns the exit status, or -1 if it could not run. */
static int run_capture(char *const *argv, char *out, size_t cap, int quiet) {
  int p[2];
  if (pipe(p)) return -1;
  fflush(stdout), fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]), close(p[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(p[1], 1);
    close(p[0]), close(p[1]);
    if (quiet) {
      int nul = open("/dev/null", O_WRONLY);
      if (nul >= 0) dup2(nul, 2);
    }
    execvp(argv[0], argv);
    fprintf(stderr, "sgp sweep: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(p[1]);
  size_t n = 0;
  char sink[256];
  for (;;) {
    ssize_t r = out && n + 1 < cap ? read(p[0], out + n, cap - 1 - n) : read(p[0], sink, sizeof sink);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (out && n + 1 < cap) n += (size_t)r;
  }
  if (out && cap) out[n] = 0;
  close(p[0]);
  int wst = 0;
  pid_t r;
  while ((r = waitpid(pid, &wst, 0)) < 0 && errno == EINTR) {}
  return r == pid && WIFEXITED(wst) ? WEXITSTATUS(wst) : -1;
}

/* ------------------------------------------------------------------ the submission directory */
/* w as one sh word: bare if it holds only safe characters, else single-quoted */
static char *sh_word(const char *w) {
  static const char *const safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./=:,+@%";
  size_t n = strlen(w);
  if (n && strspn(w, safe) == n) return sgp_strdup(w);
  char *s = sgp_malloc(4 * n + 3), *q = s;
  *q++ = '\'';
  for (const char *p = w; *p; p++) {
    if (*p == '\'') memcpy(q, "'\\''", 4), q += 4;
    else *q++ = *p;
  }
  *q++ = '\'';
  *q = 0;
  return s;
}

/* One sbatch script to submit: its file, what it runs, the options of its sbatch command. */
typedef struct sbatch_job {
  char *script;   /* absolute path */
  char *output;   /* --output pattern */
  char *label;    /* "wave 2" or "final" */
  int wave;       /* 0: the final job */
  int ntasks;
  char id[32];    /* once submitted */
} sbatch_job;

typedef struct submission {
  const sweep *sw;
  const sweep_slurm_opts *o;
  char *dir;      /* absolute */
  char cwd[PATH_MAX];
  char jobname[80];
  int *pw;        /* wave of each job among the pending ones (0: not submitted) */
  sbatch_job *jobs;
  int njobs, nwaves;
} submission;

/* Appends printf-style text to the string *s of length *n (malloc'd, NUL-terminated). */
static void vappend(char **s, size_t *n, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int k = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  *s = sgp_realloc(*s, *n + (size_t)k + 1);
  vsnprintf(*s + *n, (size_t)k + 1, fmt, ap);
  *n += (size_t)k;
}

static void append(char **s, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char **s, size_t *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vappend(s, n, fmt, ap);
  va_end(ap);
}

static char *xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xfmt(const char *fmt, ...) {
  char *s = NULL;
  size_t n = 0;
  va_list ap;
  va_start(ap, fmt);
  vappend(&s, &n, fmt, ap);
  va_end(ap);
  return s;
}

/* The #SBATCH lines every script shares. */
static void sbatch_header(char **s, size_t *n, const submission *sub, const char *suffix, int cpus) {
  const sweep_slurm_opts *o = sub->o;
  append(s, n, "#!/bin/sh\n#SBATCH --job-name=%s-%s\n#SBATCH --cpus-per-task=%d\n", sub->jobname, suffix, cpus);
  if (o->partition) append(s, n, "#SBATCH --partition=%s\n", o->partition);
  if (o->account) append(s, n, "#SBATCH --account=%s\n", o->account);
  if (o->time) append(s, n, "#SBATCH --time=%s\n", o->time);
}

static int write_text(const char *path, const char *text, sgp_err *e) {
  return sgp_write_file_atomic(path, text, strlen(text), e);
}

/* "collect 2, train 4" */
static void kind_counts(const sweep *sw, const int *idx, int n, char *out, size_t cap) {
  static const char *const verbs[] = {"collect", "train", "eval"};
  int per[3] = {0};
  for (int k = 0; k < n; k++) per[sw->jobs[idx[k]].kind]++;
  out[0] = 0;
  for (int k = 0; k < 3; k++)
    if (per[k]) snprintf(out + strlen(out), cap - strlen(out), "%s%s %d", *out ? ", " : "", verbs[k], per[k]);
}

/* One JSON line per job (sweep_task_json). */
static char *task_lines(const submission *sub, const int *idx, int n) {
  char *tasks = NULL;
  size_t nt = 0;
  for (int k = 0; k < n; k++) {
    sweep_task t;
    sweep_task_of(sub->sw, idx[k], sub->o->threads, &t);
    cJSON *j = sweep_task_json(&t);
    char *line = cJSON_PrintUnformatted(j);
    append(&tasks, &nt, "%s\n", line);
    cJSON_free(line);
    cJSON_Delete(j);
    sweep_task_free(&t);
  }
  return tasks;
}

/* The task file of one array (jobs idx[0..n)) and its script; adds it to sub->jobs. */
static int write_array(submission *sub, int wave, int part, const int *idx, int n, sgp_err *e) {
  const sweep *sw = sub->sw;
  char name[64], counts[96], suffix[32];
  snprintf(name, sizeof name, part ? "wave-%d-%d" : "wave-%d", wave, part + 1);
  snprintf(suffix, sizeof suffix, part ? "w%d-%d" : "w%d", wave, part + 1);
  kind_counts(sw, idx, n, counts, sizeof counts);
  sbatch_job *b = &sub->jobs[sub->njobs++];
  memset(b, 0, sizeof *b);
  b->wave = wave, b->ntasks = n;
  b->script = xfmt("%s/%s.sh", sub->dir, name);
  b->output = xfmt("%s/%s-%%A_%%a.out", sub->dir, name);
  b->label = xfmt("wave %d%s: %d task%s (%s)", wave, part ? " (continued)" : "", n, n > 1 ? "s" : "", counts);
  char *tf = xfmt("%s/%s.tasks", sub->dir, name), *qtf = sh_word(tf), *qp = sh_word(sw->prog);
  char *script = NULL, *tasks = task_lines(sub, idx, n);
  size_t ns = 0;
  sbatch_header(&script, &ns, sub, suffix, sub->o->cpus);
  append(&script, &ns, "#SBATCH --array=1-%d", n);
  if (sub->o->max_parallel) append(&script, &ns, "%%%d", sub->o->max_parallel);
  /* the comments hold no path nor the raw name: nothing there can end a comment line */
  append(&script, &ns, "\n# %s: wave %d of %d, %d jobs (%s)%s.\n# Task N runs the job on line N of %s.tasks "
         "(its log in OUT/logs/) and records its outcome.\nexec %s sweep --task %s \"$SLURM_ARRAY_TASK_ID\"\n",
         sub->jobname, wave, sub->nwaves, n, counts, wave > 1 ? ", once the previous wave has succeeded" : "", name,
         qp, qtf);
  int rc = write_text(tf, tasks, e) || write_text(b->script, script, e) ? -1 : 0;
  free(tf), free(qtf), free(qp), free(tasks), free(script);
  return rc;
}

/* The final job's script: status (failures by name) and the table, once every array has ended. */
static int write_final(submission *sub, sgp_err *e) {
  const sweep *sw = sub->sw;
  char *script = NULL;
  size_t ns = 0;
  sbatch_header(&script, &ns, sub, "final", 1);
  char *qp = sh_word(sw->prog), *qf = sh_word(sub->o->file), *qo = sh_word(sw->out), *qc = sh_word(sw->cache),
       *qd = sh_word(sub->dir);
  append(&script, &ns, "# %s: after every array of this submission has ended (afterany): the status\n"
         "# (failures by name, with their logs), then OUT/table.json and table.md.\n"
         "exec %s sweep %s --out %s --cache %s%s --slurm-final %s\n", sub->jobname, qp, qf, qo, qc,
         sw->reg->fake ? " --fake-jobs" : "", qd);
  sbatch_job *b = &sub->jobs[sub->njobs++];
  memset(b, 0, sizeof *b);
  b->script = xfmt("%s/final.sh", sub->dir);
  b->output = xfmt("%s/final-%%j.out", sub->dir);
  b->label = sgp_strdup("final: assembles the table");
  int rc = write_text(b->script, script, e);
  free(qp), free(qf), free(qo), free(qc), free(qd), free(script);
  return rc;
}

/* OUT/slurm/<date>-<time>.<random>, absolute */
static int make_dir(submission *sub, sgp_err *e) {
  char *base = sgp_path_join(sub->sw->out, "slurm");
  int rc = sgp_mkdirs(base, e);
  char stamp[32];
  time_t now = time(NULL);
  struct tm tm;
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
  char *tmpl = xfmt("%s/%s.XXXXXX", base, stamp);
  char abs[PATH_MAX];
  if (!rc && !mkdtemp(tmpl)) rc = sgp_fail(e, "%s: cannot create: %s", tmpl, strerror(errno));
  if (!rc && !realpath(tmpl, abs)) rc = sgp_fail(e, "%s: %s", tmpl, strerror(errno));
  if (!rc) sub->dir = sgp_strdup(abs);
  free(tmpl);
  free(base);
  return rc;
}

/* What the final job checks (the sweep file is still the one submitted) and what was asked. */
static int write_submit_json(const submission *sub, sgp_err *e) {
  const sweep_slurm_opts *o = sub->o;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "sweep", sub->sw->name);
  cJSON_AddStringToObject(j, "file", o->file);
  cJSON_AddStringToObject(j, "sha256", sub->sw->sha256);
  cJSON_AddStringToObject(j, "out", sub->sw->out);
  cJSON_AddStringToObject(j, "cache", sub->sw->cache);
  cJSON_AddStringToObject(j, "cwd", sub->cwd);
  const char *kv[][2] = {{"partition", o->partition}, {"account", o->account}, {"time", o->time}};
  for (int k = 0; k < 3; k++)
    if (kv[k][1]) cJSON_AddStringToObject(j, kv[k][0], kv[k][1]);
  cJSON_AddNumberToObject(j, "cpus_per_task", o->cpus);
  cJSON_AddNumberToObject(j, "threads", o->threads);
  cJSON_AddNumberToObject(j, "max_parallel", o->max_parallel);
  char *p = xfmt("%s/submit.json", sub->dir);
  int rc = sgp_json_write(p, j, e);
  free(p);
  cJSON_Delete(j);
  return rc;
}

/* Groups the pending jobs by wave into arrays of at most ARRAY_MAX tasks, and the final job. */
static int write_scripts(submission *sub, const int *pw, sgp_err *e) {
  const sweep *sw = sub->sw;
  int *idx = sgp_malloc(sizeof *idx * (size_t)(sw->njobs ? sw->njobs : 1));
  sub->jobs = sgp_calloc((size_t)sw->njobs / ARRAY_MAX + (size_t)sub->nwaves + 2, sizeof *sub->jobs);
  int rc = 0;
  for (int w = 1; w <= sub->nwaves && !rc; w++) {
    int n = 0;
    for (int i = 0; i < sw->njobs; i++)
      if (pw[i] == w) idx[n++] = i;
    for (int part = 0; part * ARRAY_MAX < n && !rc; part++) {
      int m = n - part * ARRAY_MAX < ARRAY_MAX ? n - part * ARRAY_MAX : ARRAY_MAX;
      rc = write_array(sub, w, part, idx + part * ARRAY_MAX, m, e);
    }
  }
  free(idx);
  if (!rc && sub->o->max_kind >= SWEEP_RUN) rc = write_final(sub, e);
  if (!rc) rc = write_submit_json(sub, e);
  return rc;
}

/* The dependency option of job k: afterok on the previous wave's arrays; the final job afterany on
 * every array. ids[m] is job m's id (or a shell variable in a dry run). "" if none. */
static char *dependency(const submission *sub, int k, char ids[][32]) {
  const sbatch_job *b = &sub->jobs[k];
  char *d = NULL;
  size_t n = 0;
  for (int m = 0; m < k; m++) {
    if (b->wave > 0 && sub->jobs[m].wave != b->wave - 1) continue;
    append(&d, &n, "%s%s", d ? ":" : (b->wave > 0 ? "--dependency=afterok:" : "--dependency=afterany:"), ids[m]);
  }
  return d ? d : sgp_strdup("");
}

/* sbatch's argv for job k (NULL-terminated; free with free_argv). */
static char **sbatch_argv(const submission *sub, int k, char ids[][32]) {
  char **a = sgp_calloc(9, sizeof *a);
  int n = 0;
  a[n++] = sgp_strdup("sbatch");
  a[n++] = sgp_strdup("--parsable");
  a[n++] = xfmt("--chdir=%s", sub->cwd);
  a[n++] = xfmt("--output=%s", sub->jobs[k].output);
  char *d = dependency(sub, k, ids);
  if (*d) {
    a[n++] = d;
    if (sub->jobs[k].wave > 0) a[n++] = sgp_strdup("--kill-on-invalid-dep=yes");
  } else {
    free(d);
  }
  a[n++] = sgp_strdup(sub->jobs[k].script);
  return a;
}

static void free_argv(char **a) {
  for (int i = 0; a[i]; i++) free(a[i]);
  free(a);
}

/* --dry-run: the scripts, and the sbatch commands as shell lines one can paste. */
static void print_dry(const submission *sub) {
  char (*vars)[32] = sgp_calloc((size_t)sub->njobs, sizeof *vars);
  for (int k = 0; k < sub->njobs; k++) snprintf(vars[k], sizeof vars[k], "$j%d", k + 1);
  for (int k = 0; k < sub->njobs; k++) {
    void *buf = NULL;
    size_t n;
    sgp_err e;
    printf("# ---- %s (%s)\n", sub->jobs[k].script, sub->jobs[k].label);
    if (!sgp_read_file(sub->jobs[k].script, &buf, &n, 1 << 20, &e)) fputs(buf, stdout);
    free(buf);
  }
  printf("# ---- not submitted (--dry-run); to submit by hand:\n");
  for (int k = 0; k < sub->njobs; k++) {
    char **a = sbatch_argv(sub, k, vars);
    printf("j%d=$(", k + 1);
    for (int i = 0; a[i]; i++) {
      /* the dependency holds the shell variables of the earlier lines: double quotes */
      char *w = !strncmp(a[i], "--dependency=", 13) ? xfmt("\"%s\"", a[i]) : sh_word(a[i]);
      printf("%s%s", i ? " " : "", w);
      free(w);
    }
    printf(")\n");
    free_argv(a);
  }
  free(vars);
}

static void scancel_ids(char ids[][32], int n) {
  for (int k = 0; k < n; k++) {
    char *a[] = {"scancel", ids[k], NULL};
    run_capture(a, NULL, 0, 1);
  }
}

/* Submits the jobs in order, each depending on the ids already known. On a failure the jobs
 * already submitted are cancelled. */
static int submit_all(submission *sub, sgp_err *e) {
  char (*ids)[32] = sgp_calloc((size_t)sub->njobs, sizeof *ids);
  int rc = 0;
  for (int k = 0; k < sub->njobs && !rc; k++) {
    char **a = sbatch_argv(sub, k, ids);
    char out[256];
    int st = run_capture(a, out, sizeof out, 0);
    size_t d = strspn(out, "0123456789");
    if (st != 0 || d == 0 || d >= sizeof ids[k]) {
      rc = sgp_fail(e, "sbatch %s failed (%s%d)%s", sub->jobs[k].script, st < 0 ? "could not run it, " : "exit status ",
                    st, k ? "; the jobs already submitted were cancelled" : "");
      scancel_ids(ids, k);
    } else {
      memcpy(ids[k], out, d);
      ids[k][d] = 0;
      snprintf(sub->jobs[k].id, sizeof sub->jobs[k].id, "%s", ids[k]);
    }
    free_argv(a);
  }
  free(ids);
  return rc;
}

/* jobs.json (the ids) and OUT/slurm/latest (the submission's directory name). */
static int record_ids(const submission *sub, sgp_err *e) {
  cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "jobs");
  for (int k = 0; k < sub->njobs; k++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", sub->jobs[k].id);
    cJSON_AddStringToObject(o, "what", sub->jobs[k].label);
    cJSON_AddStringToObject(o, "script", sub->jobs[k].script);
    cJSON_AddItemToArray(arr, o);
  }
  char *p = xfmt("%s/jobs.json", sub->dir), *latest = xfmt("%s/slurm/latest", sub->sw->out);
  char *name = xfmt("%s\n", strrchr(sub->dir, '/') + 1);
  int rc = sgp_json_write(p, j, e) || write_text(latest, name, e) ? -1 : 0;
  free(p), free(latest), free(name);
  cJSON_Delete(j);
  return rc;
}

/* The ids of the latest submission still queued or running (squeue), comma-separated in out;
 * 0 if none (or none recorded, or squeue cannot tell). */
static int previous_active(const sweep *sw, char *out, size_t cap) {
  char *latest = xfmt("%s/slurm/latest", sw->out), *name = NULL, *p = NULL;
  void *buf = NULL;
  size_t n;
  sgp_err e;
  cJSON *j = NULL;
  int active = 0;
  if (!sgp_read_file(latest, &buf, &n, 4096, &e)) {
    name = buf;
    name[strcspn(name, "\n")] = 0;
    if (*name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..")) p = xfmt("%s/slurm/%s/jobs.json", sw->out, name);
  }
  if (p && !sgp_json_load(p, &j, &e)) {
    char ids[4096] = "";
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "jobs"), *o;
    cJSON_ArrayForEach(o, arr) {
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
      if (cJSON_IsString(id) && strspn(id->valuestring, "0123456789") == strlen(id->valuestring) &&
          strlen(ids) + strlen(id->valuestring) + 2 < sizeof ids)
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", *ids ? "," : "", id->valuestring);
    }
    char q[4096];
    char *a[] = {"squeue", "-h", "-o", "%A", "-j", ids, NULL};
    if (*ids && run_capture(a, q, sizeof q, 1) >= 0 && q[strspn(q, " \t\n")]) {
      active = 1;
      snprintf(out, cap, "%s", ids);
    }
  }
  cJSON_Delete(j);
  free(p), free(buf), free(latest);
  return active;
}

static void print_submitted(const submission *sub, int pending, int done) {
  const sweep *sw = sub->sw;
  printf("sweep %s: %d job(s) submitted (%d already done) in %d wave(s); submission %s\n", sw->name, pending, done,
         sub->nwaves, sub->dir);
  char ids[4096] = "";
  for (int k = 0; k < sub->njobs; k++) {
    printf("  %-10s %s\n", sub->jobs[k].id, sub->jobs[k].label);
    if (strlen(ids) + strlen(sub->jobs[k].id) + 2 < sizeof ids)
      snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", k ? "," : "", sub->jobs[k].id);
  }
  char *qp = sh_word(sw->prog), *qf = sh_word(sub->o->file), *qo = sh_word(sw->out), *qc = sh_word(sw->cache);
  printf("watch:    %s sweep %s --out %s --cache %s%s --status     (squeue -j %s)\n", qp, qf, qo, qc,
         sw->reg->fake ? " --fake-jobs" : "", ids);
  printf("failures: reported by name in the final job's output (%s/final-<id>.out) and by --status;\n"
         "          run this command again to submit only what is missing\n", sub->dir);
  free(qp), free(qf), free(qo), free(qc);
}

static void submission_free(submission *sub) {
  for (int k = 0; k < sub->njobs; k++) free(sub->jobs[k].script), free(sub->jobs[k].output), free(sub->jobs[k].label);
  free(sub->jobs);
  free(sub->dir);
}

/* "sgp-<name>" with anything but [A-Za-z0-9._-] replaced (a job name is shown by squeue) */
static void job_name(const sweep *sw, char *out, size_t cap) {
  snprintf(out, cap, "sgp-%.40s", sw->name);
  for (char *p = out; *p; p++)
    if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", *p)) *p = '_';
}

/* Writes the submission and submits it (or prints it: --dry-run). Returns the exit status. */
static int submit(submission *sub, int pending, int done) {
  sgp_err e;
  if (!getcwd(sub->cwd, sizeof sub->cwd)) {
    fprintf(stderr, "sgp sweep: --slurm: cannot read the current directory: %s\n", strerror(errno));
    return 1;
  }
  job_name(sub->sw, sub->jobname, sizeof sub->jobname);
  if (make_dir(sub, &e) || write_scripts(sub, sub->pw, &e)) return cli_error("sweep", &e);
  if (sub->o->dry_run) {
    print_dry(sub);
    return 0;
  }
  if (submit_all(sub, &e)) return cli_error("sweep", &e);
  if (record_ids(sub, &e)) fprintf(stderr, "sgp sweep: warning: %s\n", e.msg);
  print_submitted(sub, pending, done);
  return 0;
}

int sweep_slurm_submit(const sweep *sw, const sweep_slurm_opts *o) {
  submission sub;
  memset(&sub, 0, sizeof sub);
  sub.sw = sw, sub.o = o;
  sub.pw = sgp_calloc((size_t)(sw->njobs ? sw->njobs : 1), sizeof *sub.pw);
  sub.nwaves = plan_waves(sw, o->max_kind, sub.pw);
  int pending = 0, done = 0, rc = 0;
  for (int i = 0; i < sw->njobs; i++)
    if ((int)sw->jobs[i].kind <= o->max_kind) pending += sub.pw[i] > 0, done += sub.pw[i] == 0;
  char act[4096];
  if (!sub.nwaves) {
    printf("sweep %s: nothing to submit, all %d job(s) are done%s\n", sw->name, done,
           o->max_kind >= SWEEP_RUN ? "; assembling the table here" : "");
    if (o->max_kind >= SWEEP_RUN && !o->dry_run) rc = sweep_slurm_final(sw, NULL);
  } else if (previous_active(sw, act, sizeof act) && !o->dry_run) {
    fprintf(stderr, "sgp sweep: --slurm: the previous submission of %s is still queued or running (jobs %s): wait for "
            "it (squeue -j %s) or cancel it (scancel %s), then submit again\n", sw->out, act, act, act);
    rc = 1;
  } else {
    rc = submit(&sub, pending, done);
  }
  free(sub.pw);
  submission_free(&sub);
  return rc;
}

/* ------------------------------------------------------------------ the final job */
int sweep_slurm_final(const sweep *sw, const char *dir) {
  sgp_err e;
  if (dir) {
    char *p = xfmt("%s/submit.json", dir);
    cJSON *j = NULL;
    int rc = sgp_json_load(p, &j, &e);
    const cJSON *h = rc ? NULL : cJSON_GetObjectItemCaseSensitive(j, "sha256");
    if (!rc && (!cJSON_IsString(h) || strcmp(h->valuestring, sw->sha256)))
      rc = sgp_fail(&e, "%s: the sweep file %s has changed since it was submitted; submit it again", p,
                    sw->file);
    cJSON_Delete(j);
    free(p);
    if (rc) return cli_error("sweep", &e);
  }
  /* Slurm marks a cancelled task ended before its processes have exited: give the task runners of
   * jobs that started and left nothing yet the time to record their outcome (60 s at most, since a
   * task killed by SIGKILL never records one). */
  for (int k = 0; dir && k < 120 && sweep_count_started(sw, SWEEP_RUN); k++)
    nanosleep(&(struct timespec){0, 500000000}, NULL);
  int st = sweep_status(sw, SWEEP_RUN, stdout);
  cJSON *timing = cJSON_CreateObject();
  cJSON_AddStringToObject(timing, "engine", "slurm");
  if (dir) cJSON_AddStringToObject(timing, "submission", dir);
  int missing = 0, rc = sweep_write_tables(sw, timing, &missing, &e);
  cJSON_Delete(timing);
  if (rc) return cli_error("sweep", &e);
  printf("sweep %s: %d of %d runs missing; table: %s/table.md\n", sw->name, missing, sw->nruns, sw->out);
  return st || missing ? 1 : 0;
}

/* ------------------------------------------------------------------ a task: one job of an array */
static void task_child(const sweep_task *t, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGTERM); /* the task is killed: so is its job */
  if (getppid() != parent) _exit(130);
  int fd = sweep_open_log(t->log_path);
  if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
  int nul = open("/dev/null", O_RDONLY);
  if (nul >= 0) dup2(nul, 0);
  char th[32];
  snprintf(th, sizeof th, "%d", t->threads);
  setenv("OPENBLAS_NUM_THREADS", th, 1);
  setenv("OMP_NUM_THREADS", th, 1);
  printf("# %s\n#", t->what);
  for (int i = 0; i < t->argc; i++) {
    char *w = sh_word(t->argv[i]);
    printf(" %s", w);
    free(w);
  }
  printf("\n");
  fflush(stdout);
  execv(t->argv[0], t->argv);
  fprintf(stderr, "sgp sweep: cannot run %s: %s\n", t->argv[0], strerror(errno));
  _exit(127);
}

/* Runs the task's job, forwarding SIGTERM/SIGINT/SIGHUP to it; returns its wait status. */
static int task_run(const sweep_task *t, double *wall_s, struct rusage *ru) {
  sigset_t set, old;
  sigemptyset(&set);
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
  for (int k = 0; k < 4; k++) sigaddset(&set, sigs[k]);
  sigprocmask(SIG_BLOCK, &set, &old);
  double t0 = sgp_now();
  pid_t parent = getpid();
  fflush(stdout), fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    task_child(t, parent);
  }
  int wst = 127 << 8;
  memset(ru, 0, sizeof *ru);
  while (pid > 0) {
    struct timespec ts = {0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) kill(pid, sig);
    pid_t r = wait4(pid, &wst, WNOHANG, ru);
    if (r == pid || (r < 0 && errno != EINTR)) break;
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  *wall_s = sgp_now() - t0;
  return wst;
}

/* Line n (1-based) of the task file, parsed. */
static int task_load(const char *file, long n, sweep_task *t, sgp_err *e) {
  void *buf = NULL;
  size_t len;
  if (sgp_read_regular(file, &buf, &len, (size_t)1 << 28, e)) return -1;
  const char *s = buf, *end = s + len;
  for (long k = 1; k < n && s < end; k++) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    s = nl ? nl + 1 : end;
  }
  const char *nl = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
  size_t l = nl ? (size_t)(nl - s) : (size_t)(end - s);
  char where[PATH_MAX + 32];
  snprintf(where, sizeof where, "%s: line %ld", file, n);
  cJSON *j = NULL;
  int rc = l == 0 ? sgp_fail(e, "%s: no such task (the file has fewer lines)", where)
                  : sgp_json_parse_len(s, l, where, &j, e);
  if (!rc) rc = sweep_task_parse(j, where, t, e);
  cJSON_Delete(j);
  free(buf);
  return rc;
}

int sweep_slurm_task(int argc, char **argv) {
  char *end = NULL;
  long n = argc == 2 ? strtol(argv[1], &end, 10) : 0;
  if (argc != 2 || !*argv[1] || *end || n < 1 || n > 100000000) {
    fprintf(stderr, "usage: sgp sweep --task FILE.tasks N   (N >= 1: runs the job on line N; written by --slurm)\n");
    return 2;
  }
  sgp_err e;
  sweep_task t;
  if (task_load(argv[0], n, &t, &e)) return cli_error("sweep", &e);
  sweep_outcome_clear(&t);
  double wall;
  struct rusage ru;
  int wst = task_run(&t, &wall, &ru);
  int ok = WIFEXITED(wst) && WEXITSTATUS(wst) == 0 && sgp_path_exists(t.done_path);
  if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0 && !ok) {
    FILE *lf = fopen(t.log_path, "a");
    if (lf) fprintf(lf, "sgp sweep: the job exited 0 but did not write %s\n", t.done_path), fclose(lf);
  }
  sweep_outcome_write(&t, getenv("SLURM_JOB_ID") ? "slurm" : "task", wst, wall, &ru, ok);
  printf("%s %s (%.1f s), log %s\n", ok ? "done" : "FAILED", t.what, wall, t.log_path);
  if (!ok) sweep_print_tail(stdout, t.log_path, 8);
  int rc = ok ? 0 : WIFSIGNALED(wst) ? 128 + WTERMSIG(wst) : WIFEXITED(wst) && WEXITSTATUS(wst) ? WEXITSTATUS(wst) : 1;
  sweep_task_free(&t);
  return rc;
}
