/* sgp eval: one planner in closed loop in the true environment (bench/eval.c). */
#include "bench/cli.h"
#include "bench/eval.h"
#include "core/err.h"
#include "core/sys.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const usage_text =
    "usage: sgp eval --config RUN.json --out RESULT.json [--save-rollout DIR] [--threads N] [--quiet]\n"
    "\n"
    "Runs the planner of RUN.json in the true environment for its episodes (MPC, or one open-loop\n"
    "plan) and writes the result JSON (docs/run-format.md), atomically.\n"
    "  --save-rollout DIR  also write states, actions and plans of every episode as .npy\n"
    "  --threads N         OpenBLAS threads (default 1)\n"
    "  --quiet             no progress bar\n"
    "\n"
    "example (bench/runs/ has a run config for each environment; this one reads data/point and\n"
    "models/point_{score,dyn}.safetensors, made as the README's pipeline shows):\n"
    "  sgp eval --config bench/runs/point_sgp.json --out results/point_sgp.json\n";

int cmd_eval(int argc, char **argv) {
  static const char *const valued[] = {"--config", "--out", "--save-rollout", "--threads", NULL};
  static const char *const flags[] = {"--quiet", NULL};
  if (cli_wants_help(argc, argv)) {
    fputs(usage_text, stdout);
    return 0;
  }
  int rc = cli_parse("eval", argc, argv, valued, flags, 0, 0, NULL, NULL);
  if (rc) return rc;
  eval_opts o = {cli_opt(argc, argv, "--config"), cli_opt(argc, argv, "--out"),
                 cli_opt(argc, argv, "--save-rollout"), !cli_flag(argc, argv, "--quiet")};
  static const char *const required[] = {"--config", "--out", NULL};
  if ((rc = cli_require("eval", argc, argv, required))) return rc;
  const char *th = cli_opt(argc, argv, "--threads");
  char *end = NULL;
  long threads = th ? strtol(th, &end, 10) : 1;
  if (th && (*end || threads < 1 || threads > 256)) {
    fprintf(stderr, "sgp eval: --threads: expected an integer in [1, 256], got '%s'\n", th);
    return 2;
  }
  sgp_blas_set_threads((int)threads);
  if ((rc = cli_prepare_out("eval", o.out_path, 0)) || (o.rollout_dir && (rc = cli_prepare_out("eval", o.rollout_dir, 1))))
    return rc;
  sgp_err e;
  if (eval_run(&o, &e)) return cli_error("eval", &e);
  return 0;
}
