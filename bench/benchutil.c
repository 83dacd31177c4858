/* Shared plumbing of the micro-benchmarks (declared in bench/benchutil.h). */
#include "bench/benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double bench_cpu_now(int thread) {
  struct timespec ts;
  clock_gettime(thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double bench_max(const double *v, int n) {
  double m = v[0];
  for (int i = 1; i < n; i++) m = v[i] > m ? v[i] : m;
  return m;
}

int bench_int_opt(int argc, char **argv, const char *verb, const char *flag, long lo, long hi, int *out) {
  const char *s = cli_opt(argc, argv, flag);
  if (!s) return 0;
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < lo || v > hi) {
    fprintf(stderr, "sgp %s: %s: expected an integer in [%ld, %ld], got '%s'\n", verb, flag, lo, hi, s);
    return 2;
  }
  *out = (int)v;
  return 0;
}

int bench_parse(int argc, char **argv, const char *verb, void (*usage)(FILE *), const char *const *extra,
                int max_reps, bench_opts *o) {
  const char *valued[16] = {"--threads", "--reps"};
  int nv = 2;
  for (int i = 0; extra && extra[i] && nv < 15; i++) valued[nv++] = extra[i];
  valued[nv] = NULL;
  static const char *const boolean[] = {"--json", NULL};
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 1;
  }
  int rc = cli_parse(verb, argc, argv, valued, boolean, 0, 0, NULL, NULL);
  if (rc) return 2;
  o->json = cli_flag(argc, argv, "--json");
  if (bench_int_opt(argc, argv, verb, "--threads", 1, 1024, &o->threads) ||
      bench_int_opt(argc, argv, verb, "--reps", 1, max_reps, &o->reps))
    return 2;
  return 0;
}

void bench_json_blas(cJSON *j) {
  cJSON_AddStringToObject(j, "blas_core", sgp_blas_corename());
  cJSON_AddNumberToObject(j, "blas_threads", sgp_blas_threads());
}

void bench_print_json(cJSON *j) {
  /* what the figures were measured with: program, git revision, compiler, BLAS, CPU */
  if (!cJSON_GetObjectItemCaseSensitive(j, "versions")) cJSON_AddItemToObject(j, "versions", sgp_versions_json());
  char *txt = cJSON_PrintUnformatted(j);
  printf("%s\n", txt);
  free(txt);
  cJSON_Delete(j);
}
