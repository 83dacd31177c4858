/* sgp sweep FILE --estimate: the CPU-hours of the jobs left, priced from measured jobs of the same
 * cost class (the same job up to its seed; bench/sweep_status.c), before anything is submitted.
 *
 * Measurements: CACHE/timings/<verb>-<key>.json, written when a job run by the local scheduler or
 * by a Slurm task succeeds, and the results of earlier runs in OUT/runs/ (their timing.total_s)
 * where no record exists. A job costs what a cluster counts: its wall time × the CPUs it holds
 * (its BLAS threads); the CPU time its process used (user + sys) is summed alongside, since a
 * measurement on a busy machine inflates wall time. A class's price is the median of its
 * measurements. Jobs of a class never measured are listed and left out of the total, never guessed. */
#include "bench/sweep.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct measure {
  char cls[17];
  double cost_s; /* wall seconds × CPUs */
  double cpu_s;  /* the process's CPU seconds (cost_s when not recorded) */
  double wall_s;
} measure;

typedef struct measures {
  measure *m;
  int n, cap, bad;
} measures;

static void add_measure(measures *ms, const char *cls, double cost_s, double cpu_s, double wall_s) {
  if (ms->n == ms->cap) {
    ms->cap = ms->cap ? 2 * ms->cap : 256;
    ms->m = sgp_realloc(ms->m, sizeof *ms->m * (size_t)ms->cap);
  }
  measure *m = &ms->m[ms->n++];
  snprintf(m->cls, sizeof m->cls, "%s", cls);
  m->cost_s = cost_s, m->cpu_s = cpu_s, m->wall_s = wall_s;
}

static int is_class(const cJSON *c) {
  if (!cJSON_IsString(c) || strlen(c->valuestring) != 16) return 0;
  return strspn(c->valuestring, "0123456789abcdef") == 16;
}

static double num_or(const cJSON *o, const char *k, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0 ? v->valuedouble : dflt;
}

/* One record of CACHE/timings/; a malformed one is named and skipped. */
static void read_record(measures *ms, const char *path) {
  void *buf = NULL;
  size_t n;
  sgp_err e;
  cJSON *o = NULL;
  if (sgp_read_regular(path, &buf, &n, 1 << 16, &e) || sgp_json_parse(buf, path, &o, &e)) {
    fprintf(stderr, "sweep: skipping a time record: %s\n", e.msg);
  } else if (!is_class(cJSON_GetObjectItemCaseSensitive(o, "class")) || num_or(o, "wall_s", -1) < 0) {
    fprintf(stderr, "sweep: skipping a time record: %s: expected \"class\" (16 hex digits) and \"wall_s\"\n", path);
    ms->bad++;
  } else {
    double wall = num_or(o, "wall_s", 0), cost = wall * num_or(o, "threads", 1), cpu = num_or(o, "cpu_s", -1);
    add_measure(ms, cJSON_GetObjectItemCaseSensitive(o, "class")->valuestring, cost, cpu >= 0 ? cpu : cost, wall);
  }
  cJSON_Delete(o);
  free(buf);
}

static void read_records(measures *ms, const char *cache) {
  char *dir = sgp_path_join(cache, "timings");
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d))) {
      size_t l = strlen(de->d_name);
      if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json") || strstr(de->d_name, ".tmp.")) continue;
      char *p = sgp_path_join(dir, de->d_name);
      read_record(ms, p);
      free(p);
    }
    closedir(d);
  }
  free(dir);
}

/* Done runs without a record of their own: the result's timing.total_s × its BLAS threads. */
static void read_results(measures *ms, const sweep *sw) {
  for (int i = 0; i < sw->njobs; i++) {
    const sweep_job *j = &sw->jobs[i];
    if (j->kind != SWEEP_RUN || !sweep_job_done(j)) continue;
    sweep_task t;
    sweep_task_of(sw, i, 1, &t);
    cJSON *r = NULL;
    sgp_err e;
    if (!sgp_path_exists(t.timing_path) && sgp_json_load(j->done_path, &r, &e) == 0) {
      double s = num_or(cJSON_GetObjectItemCaseSensitive(r, "timing"), "total_s", -1);
      double th = num_or(cJSON_GetObjectItemCaseSensitive(r, "versions"), "blas_threads", 1);
      if (s >= 0) add_measure(ms, t.cost_class, s * (th >= 1 ? th : 1), s * (th >= 1 ? th : 1), s);
    }
    cJSON_Delete(r);
    sweep_task_free(&t);
  }
}

static int cmp_measure(const void *a, const void *b) { return strcmp(((const measure *)a)->cls, ((const measure *)b)->cls); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A class's price: the medians of its measurements' cost and CPU seconds, and its longest wall time. */
typedef struct price_t {
  double cost_s, cpu_s, longest_s;
} price_t;

/* 1 and *p if the class was measured (measures sorted by class), else 0. */
static int price(const measures *ms, const char *cls, price_t *p) {
  int lo = 0, hi = ms->n;
  while (lo < hi) { /* the first measure of the class */
    int mid = (lo + hi) / 2;
    if (strcmp(ms->m[mid].cls, cls) < 0) lo = mid + 1;
    else hi = mid;
  }
  int k = 0;
  while (lo + k < ms->n && !strcmp(ms->m[lo + k].cls, cls)) k++;
  if (!k) return 0;
  double *v = sgp_malloc(sizeof *v * (size_t)k * 2);
  p->longest_s = 0;
  for (int q = 0; q < k; q++) {
    const measure *m = &ms->m[lo + q];
    v[q] = m->cost_s, v[k + q] = m->cpu_s;
    if (m->wall_s > p->longest_s) p->longest_s = m->wall_s;
  }
  p->cost_s = median(v, k);
  p->cpu_s = median(v + k, k);
  free(v);
  return 1;
}

/* The tally: per verb (collect, train, eval) the jobs left, how many are priced, their cost and
 * CPU seconds, the longest measured job; the classes never measured with a label and a count. */
typedef struct tally {
  int left[3], priced[3], done, done_priced;
  double cost[3], cpu[3], longest[3], done_cost;
  int nun;
  char **un_label;
  char (*un_cls)[17];
  int *un_n;
} tally;

/* "eval point-mud/box-1k cem seed 1" -> "eval point-mud/box-1k cem" */
static char *without_seed(const char *what) {
  char *s = sgp_strdup(what);
  char *p = strstr(s, " seed ");
  if (p && strspn(p + 6, "-0123456789") == strlen(p + 6)) *p = 0;
  return s;
}

static void add_unmeasured(tally *t, const char *cls, const char *what) {
  for (int k = 0; k < t->nun; k++)
    if (!strcmp(t->un_cls[k], cls)) {
      t->un_n[k]++;
      return;
    }
  t->un_label = sgp_realloc(t->un_label, sizeof *t->un_label * (size_t)(t->nun + 1));
  t->un_cls = sgp_realloc(t->un_cls, sizeof *t->un_cls * (size_t)(t->nun + 1));
  t->un_n = sgp_realloc(t->un_n, sizeof *t->un_n * (size_t)(t->nun + 1));
  t->un_label[t->nun] = without_seed(what);
  snprintf(t->un_cls[t->nun], 17, "%s", cls);
  t->un_n[t->nun++] = 1;
}

static void count_jobs(tally *t, const sweep *sw, const measures *ms, int max_kind) {
  for (int i = 0; i < sw->njobs; i++) {
    const sweep_job *j = &sw->jobs[i];
    if ((int)j->kind > max_kind) continue;
    char cls[17];
    sweep_job_class(sw, i, cls);
    price_t p;
    int ok = price(ms, cls, &p);
    if (sweep_job_done(j)) {
      t->done++;
      if (ok) t->done_priced++, t->done_cost += p.cost_s;
      continue;
    }
    t->left[j->kind]++;
    if (!ok) {
      add_unmeasured(t, cls, j->what);
      continue;
    }
    t->priced[j->kind]++;
    t->cost[j->kind] += p.cost_s;
    t->cpu[j->kind] += p.cpu_s;
    if (p.longest_s > t->longest[j->kind]) t->longest[j->kind] = p.longest_s;
  }
}

static void print_unmeasured(const tally *t, int n, FILE *out) {
  fprintf(out, "%d job(s) to run belong to %d setting(s) never measured, NOT included above (a setting is\n"
          "priced by any earlier job that differs only in its seed: run one seed of these on the same cache):\n",
          n, t->nun);
  for (int k = 0; k < t->nun && k < 30; k++)
    fprintf(out, "  %s (%d job%s)\n", t->un_label[k], t->un_n[k], t->un_n[k] > 1 ? "s" : "");
  if (t->nun > 30) fprintf(out, "  ... and %d more settings\n", t->nun - 30);
}

static void print_tally(const tally *t, const sweep *sw, int nmeasures, FILE *out) {
  static const char *const verbs[] = {"collect", "train", "eval"};
  int left = t->left[0] + t->left[1] + t->left[2], priced = t->priced[0] + t->priced[1] + t->priced[2];
  double cost = t->cost[0] + t->cost[1] + t->cost[2], cpu = t->cpu[0] + t->cpu[1] + t->cpu[2];
  fprintf(out, "sweep %s: %d jobs, %d done, %d to run; %d measured jobs (%s/timings, %s/runs)\n", sw->name,
          t->done + left, t->done, left, nmeasures, sw->cache, sw->out);
  fprintf(out, "  to run    jobs  priced  CPU-hours  (CPU seconds)  process CPU-hours  longest job\n");
  for (int k = 0; k < 3; k++) {
    if (!t->left[k]) continue;
    char d[32];
    sgp_fmt_duration(t->priced[k] ? t->longest[k] : -1, d, sizeof d);
    fprintf(out, "  %-8s %5d  %6d  %9.3f  (%11.1f)  %17.3f  %s\n", verbs[k], t->left[k], t->priced[k],
            t->cost[k] / 3600, t->cost[k], t->cpu[k] / 3600, d);
  }
  fprintf(out, "  %-8s %5d  %6d  %9.3f  (%11.1f)  %17.3f\n", "total", left, priced, cost / 3600, cost, cpu / 3600);
  if (t->nun) print_unmeasured(t, left - priced, out);
  fprintf(out, "estimate: %.3f CPU-hours (wall time x CPUs per job) for %d of the %d jobs to run%s\n", cost / 3600,
          priced, left, priced < left ? "; a lower bound, some were never measured" : "");
  if (t->done)
    fprintf(out, "the whole sweep: %.3f CPU-hours for the %d jobs priced (%d done, at their measured cost)\n",
            (cost + t->done_cost) / 3600, priced + t->done_priced, t->done_priced);
}

int sweep_estimate(const sweep *sw, int max_kind, FILE *out) {
  measures ms = {0};
  read_records(&ms, sw->cache);
  read_results(&ms, sw);
  if (ms.n) qsort(ms.m, (size_t)ms.n, sizeof *ms.m, cmp_measure);
  tally t;
  memset(&t, 0, sizeof t);
  count_jobs(&t, sw, &ms, max_kind);
  print_tally(&t, sw, ms.n, out);
  for (int k = 0; k < t.nun; k++) free(t.un_label[k]);
  free(t.un_label);
  free(t.un_cls);
  free(t.un_n);
  free(ms.m);
  return 0;
}
