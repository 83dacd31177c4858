/* libFuzzer target: a sweep file (bench/sweep_expand.c with the built-in registry) on arbitrary
 * bytes: JSON parsing, the header, seeds, shared defaults, agent grids, environments and datasets,
 * the expansion into jobs, and every job's config checked by the code the job runs. Nothing is
 * written (sweep_from_json never touches the file system). A rejection is one line naming the file;
 * an accepted sweep has a valid name, content keys of 16 hex digits, dependencies on earlier waves,
 * runs (or, while its tuning stage has no result, tuning runs) that point at run jobs, and job command lines without control characters (--list pipes
 * them to sh). */
#include "bench/sweep.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
  return 0;
}

static void check_job(const sweep *sw, int i) {
  const sweep_job *j = &sw->jobs[i];
  if (strlen(j->key) != 16 || strspn(j->key, "0123456789abcdef") != 16) abort();
  if (j->wave < 1 || j->wave > sw->nwaves || !j->config || !j->done_path || j->argc < 1) abort();
  for (int k = 0; k < j->ndeps; k++)
    if (j->deps[k] < 0 || j->deps[k] >= sw->njobs || sw->jobs[j->deps[k]].wave >= j->wave) abort();
  char *line = sweep_job_shell(j, 1);
  if (has_control(line)) abort();
  free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *root = NULL;
  sgp_err e;
  e.msg[0] = 0;
  const char *name = "fuzz/sweep.json";
  if (sgp_json_parse_len((const char *)data, size, name, &root, &e) != 0) {
    if (strncmp(e.msg, name, strlen(name)) != 0 || strchr(e.msg, '\n')) abort();
    return 0;
  }
  sweep *sw = NULL;
  if (sweep_from_json(root, name, "results/fuzz", "cache", "sgp", sweep_registry_builtin(), &sw, &e) != 0) {
    if (strncmp(e.msg, name, strlen(name)) != 0 || strchr(e.msg, '\n')) abort();
    return 0;
  }
  /* a sweep whose tuning stage has no result yet holds the tuning runs only (the report runs are
   * expanded once the choice is known) */
  const sweep_tuning *t = &sw->tuning;
  int runs_ok = t->pending ? t->nruns >= 1 && sw->nruns == 0 : sw->nruns >= 1;
  if (!sweep_name_ok(sw->name) || !runs_ok || sw->nseeds < 1 || sw->nrows < 1 || sw->ncols < 1) abort();
  for (int i = 0; i < sw->njobs; i++) check_job(sw, i);
  for (int r = 0; t->pending && r < t->nruns; r++) {
    const sweep_trun *u = &t->runs[r];
    if (u->job < 0 || u->job >= sw->njobs || sw->jobs[u->job].kind != SWEEP_RUN) abort();
    if (u->row < 0 || u->row >= sw->nrows || u->col < 0 || u->col >= sw->ncols) abort();
  }
  for (int r = 0; r < sw->nruns; r++) {
    const sweep_run *u = &sw->runs[r];
    if (u->job < 0 || u->job >= sw->njobs || sw->jobs[u->job].kind != SWEEP_RUN) abort();
    if (u->data_job < 0 || u->data_job >= sw->njobs || sw->jobs[u->data_job].kind != SWEEP_DATA) abort();
    if (u->row < 0 || u->row >= sw->nrows || u->col < 0 || u->col >= sw->ncols) abort();
  }
  sweep_free(sw);
  return 0;
}
