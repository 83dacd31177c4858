/* sgp eval: one planner in closed loop in the true environment (bench/eval.c). */
#include "bench/cli.h"
#include "bench/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const usage_text =
    "usage: sgp eval --config RUN.json --out RESULT.json [--save-rollout DIR] [--quiet]\n"
    "\n"
    "Runs the planner of RUN.json in the true environment for its episodes (MPC, or one open-loop\n"
    "plan) and writes the result JSON (docs/run-format.md), atomically.\n"
    "  --save-rollout DIR  also write states, actions and plans of every episode as .npy\n"
    "  --threads N         OpenBLAS threads (default 1)\n"
    "  --quiet             no progress bar\n"
    "\n"
    "example:\n"
    "  sgp eval --config bench/runs/point_sgp.json --out /tmp/point_sgp.json\n";

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
  if (!o.config_path || !o.out_path) {
    fprintf(stderr, "sgp eval: --config and --out are required (see sgp eval --help)\n");
    return 2;
  }
  const char *th = cli_opt(argc, argv, "--threads");
  char *end = NULL;
  long threads = th ? strtol(th, &end, 10) : 1;
  if (th && (*end || threads < 1 || threads > 256)) {
    fprintf(stderr, "sgp eval: --threads: expected an integer in [1, 256], got '%s'\n", th);
    return 2;
  }
  sgp_blas_set_threads((int)threads);
  sgp_err e;
  if (eval_run(&o, &e)) return cli_error("eval", &e);
  return 0;
}
