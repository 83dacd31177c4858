/* Shared plumbing of the micro-benchmarks (sgp bench nn | distance | planner | sim): clocks,
 * medians, integer options, JSON output. */
#ifndef SGP_BENCHUTIL_H
#define SGP_BENCHUTIL_H

#include "bench/cli.h"

/* CPU seconds of the process (thread = 0) or of the calling thread (thread = 1): with one BLAS
 * thread this is the time the work took even when other processes share the cores. */
double bench_cpu_now(int thread);
/* The median of v[0..n-1], n >= 1 (sorts v in place). */
double bench_median(double *v, int n);
/* The largest of v[0..n-1], n >= 1. */
double bench_max(const double *v, int n);
/* The integer value of option `flag` in [lo, hi] into *out (left alone when the option is absent).
 * Returns 0, or 2 after printing "sgp VERB: --flag: expected an integer in [lo, hi], got 'x'". */
int bench_int_opt(int argc, char **argv, const char *verb, const char *flag, long lo, long hi, int *out);
/* The options every benchmark takes: --threads N, --reps N, --json, plus the valued options in
 * `extra` (NULL-terminated, may be NULL), which the caller reads with cli_opt. threads and reps
 * hold the defaults on entry. Returns 0 to go on, 1 after printing usage for --help (exit 0), or 2
 * after printing a one-line error (unknown option, --threads outside 1..1024, --reps outside
 * 1..max_reps). */
typedef struct bench_opts {
  int threads, reps, json;
} bench_opts;
int bench_parse(int argc, char **argv, const char *verb, void (*usage)(FILE *), const char *const *extra,
                int max_reps, bench_opts *o);
/* Adds "blas_core" and "blas_threads" (the BLAS the figures were measured with) to j. */
void bench_json_blas(cJSON *j);
/* Adds "versions" (sgp_versions_json: program, git revision, compiler, BLAS, CPU) unless j has one,
 * prints j on one line of stdout and deletes it. */
void bench_print_json(cJSON *j);

#endif
