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
/* Adds "blas_core" and "blas_threads" (the BLAS the figures were measured with) to j. */
void bench_json_blas(cJSON *j);
/* Prints j on one line of stdout and deletes it. */
void bench_print_json(cJSON *j);

#endif
