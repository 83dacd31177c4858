/* sgp eval: one planner in closed loop in the true environment (bench/eval.c). */
#include "bench/cli.h"
#include "bench/eval.h"
#include "core/err.h"
#include "core/sys.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const usage_text =
    "usage: sgp eval --config RUN.json --out RESULT.json [--save-rollout DIR] [--threads N]\n"
    "                [--lockstep N] [--episodes N] [--steps N] [--quiet]\n"
    "\n"
    "Runs the planner of RUN.json in the true environment for its episodes (MPC, or one open-loop\n"
    "plan) and writes the result JSON (docs/run-format.md), atomically. The episodes are planned\n"
    "together (lockstep: one model call per step serves all of them); the result is the same as\n"
    "one episode at a time (docs/planners.md, \"Lockstep\").\n"
    "  --save-rollout DIR  also write states, actions and plans of every episode as .npy\n"
    "  --threads N         split the episodes over N threads, each planning its share in\n"
    "                      lockstep (default 1)\n"
    "  --lockstep N        at most N episodes planned together per thread (default 16; 1: one\n"
    "                      at a time)\n"
    "  --episodes N        override /eval/episodes (a quick trial: --episodes 1)\n"
    "  --steps N           override /eval/steps (the episode length)\n"
    "  --quiet             no progress on stderr (a bar on a terminal; else plain lines: every\n"
    "                      tenth of the steps or 10 s, and when a batch of episodes ends); the\n"
    "                      one-line summary on stdout (return, normalised score, success) stays\n"
    "\n"
    "example (bench/runs/ has a run config for each environment; this one reads data/point and\n"
    "models/point_{score,dyn}.safetensors, made as the README's pipeline shows):\n"
    "  sgp eval --config bench/runs/point_sgp.json --out results/point_sgp.json\n"
    "a quick trial of the same (2 episodes of 20 steps, recorded so in the result's config):\n"
    "  sgp eval --config bench/runs/point_sgp.json --out results/try.json --episodes 2 --steps 20\n";

int cmd_eval(int argc, char **argv) {
  static const char *const valued[] = {"--config", "--out", "--save-rollout", "--threads",
                                       "--lockstep", "--episodes", "--steps", NULL};
  static const char *const flags[] = {"--quiet", NULL};
  if (cli_wants_help(argc, argv)) {
    fputs(usage_text, stdout);
    return 0;
  }
  int rc = cli_parse("eval", argc, argv, valued, flags, 0, 0, NULL, NULL);
  if (rc) return rc;
  eval_opts o = {cli_opt(argc, argv, "--config"), cli_opt(argc, argv, "--out"),
                 cli_opt(argc, argv, "--save-rollout"), !cli_flag(argc, argv, "--quiet"), 1, 0, 0, 0};
  static const char *const required[] = {"--config", "--out", NULL};
  if ((rc = cli_require("eval", argc, argv, required))) return rc;
  static const char *const ints[4] = {"--threads", "--lockstep", "--episodes", "--steps"};
  long val[4] = {1, 16, 0, 0}, max[4] = {256, 256, 100000, 1000000};
  for (int k = 0; k < 4; k++) {
    const char *v = cli_opt(argc, argv, ints[k]);
    char *end = NULL;
    if (v) val[k] = strtol(v, &end, 10);
    if (v && (*end || val[k] < 1 || val[k] > max[k])) {
      fprintf(stderr, "sgp eval: %s: expected an integer in [1, %ld], got '%s'\n", ints[k], max[k], v);
      return 2;
    }
  }
  o.threads = (int)val[0], o.lockstep = (int)val[1], o.episodes = val[2], o.steps = val[3];
  sgp_blas_set_threads(1); /* the threads split the episodes (bench planner measures both ways) */
  if ((rc = cli_prepare_out("eval", o.out_path, 0)) || (o.rollout_dir && (rc = cli_prepare_out("eval", o.rollout_dir, 1))))
    return rc;
  sgp_err e;
  if (eval_run(&o, &e)) return cli_error("eval", &e);
  return 0;
}
