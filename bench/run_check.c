/* The parts of a run config (docs/run-format.md) that are read without its dataset and models:
 * its top-level fields, its seed and its evaluation protocol. `sgp eval` reads them with these
 * functions, and `sgp sweep` checks every run of a sweep with them before any job starts. */
#include "bench/eval.h"

static const char *const run_keys[] = {"env", "dataset", "models", "planner", "eval", "seed", "meta", NULL};
static const char *const eval_keys[] = {"episodes", "mode", "steps", "weights", NULL};
static const char *const mode_names[] = {"mpc", "open_loop"};

int eval_read_header(sgp_cfg *c, long *seed, sgp_err *e) {
  return sgp_cfg_check_keys(c, run_keys, e) || sgp_cfg_int_opt(c, "seed", 0, EVAL_MAX_SEED, 0, seed, e) ? -1 : 0;
}

int eval_read_protocol(sgp_cfg *c, int T, long *episodes, int *mode, long *steps, int *bf16, sgp_err *e) {
  sgp_cfg ceval;
  *bf16 = 0;
  if (sgp_cfg_obj_opt(c, "eval", &ceval, e) || sgp_cfg_check_keys(&ceval, eval_keys, e) ||
      sgp_cfg_int_opt(&ceval, "episodes", 1, 100000, 5, episodes, e) ||
      sgp_cfg_enum(&ceval, "mode", mode_names, 2, 0, mode, e) ||
      sgp_cfg_int_opt(&ceval, "steps", 1, 1000000, T, steps, e))
    return -1;
  /* "weights": the networks' weight type for inference, "float32" (when absent: not inserted, so
   * older run configs keep their hash) or "bf16" (half the bytes: faster at small batches, outputs
   * ~1e-3 off the float32 ones; docs/nn.md, "Inference kernels") */
  if (!sgp_cfg_get(&ceval, "weights")) return 0;
  static const char *const wnames[2] = {"float32", "bf16"};
  return sgp_cfg_enum(&ceval, "weights", wnames, 2, 0, bf16, e);
}
