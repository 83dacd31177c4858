/* Lockstep benchmarks of `sgp bench planner` (bench/bench_lockstep.c, docs/planners.md). */
#ifndef SGP_BENCH_LOCKSTEP_H
#define SGP_BENCH_LOCKSTEP_H

#include "bench/benchutil.h"

/* Runs the three configurations (d4rl, cartpole, pixels32-img) for E = 1, 4 and 16 episodes in
 * lockstep, `reps` interleaved repetitions each (median), prints a table unless json, and returns
 * {"d4rl": {...}, "cartpole": {...}, "pixels32-img": {...}} with episode_steps_per_s and
 * limit_fraction keyed "1", "4", "16", where_the_time_goes at E = 1 and 16, two_threads_16, and
 * "goals" (the d4rl goals at E = 16) (NULL with e filled on failure). threads: lanes split over
 * that many threads (each its own planner), the bare-sgemm limit measured with as many BLAS
 * threads. */
cJSON *bench_lockstep(int threads, int reps, int json, sgp_err *e);

#endif
