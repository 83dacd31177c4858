/* Closed-loop evaluation of a planner in the true environment (`sgp eval`): reads a RUN.json
 * (docs/run-format.md), loads the environment, dataset and models the planner needs, runs seeded
 * episodes (MPC or one open-loop plan) and writes the result JSON atomically. */
#ifndef SGP_EVAL_H
#define SGP_EVAL_H

#include "agents/planner.h"
#include "core/err.h"
#include "envs/env.h"

typedef struct eval_opts {
  const char *config_path; /* RUN.json */
  const char *out_path;    /* RESULT.json */
  const char *rollout_dir; /* --save-rollout DIR, or NULL */
  int progress;            /* progress on stderr: a bar on a terminal, else a line per batch */
  int threads;             /* episodes split over this many threads (0 or 1: one) */
  int lockstep;            /* episodes planned together per thread, at most (0: 16) */
  long episodes, steps;    /* > 0: override /eval/episodes, /eval/steps */
} eval_opts;

/* Largest run seed (a run's streams are seeded from a 31-bit seed). */
#define EVAL_MAX_SEED 2147483647L

/* A run config's top-level fields (unknown ones rejected) and /seed (bench/run_check.c). */
int eval_read_header(sgp_cfg *c, long *seed, sgp_err *e);
/* /eval: episodes, mode (0 mpc, 1 open loop) and steps (default T), defaults inserted; weights
 * (*bf16 = 1 for "bf16", 0 for "float32" or when absent, which is not inserted). */
int eval_read_protocol(sgp_cfg *c, int T, long *episodes, int *mode, long *steps, int *bf16, sgp_err *e);

/* Runs the whole evaluation. Episode failures (simulator errors) are recorded in the result, not
 * returned; -1 means the run could not be set up or the result not written. */
int eval_run(const eval_opts *o, sgp_err *e);

/* plan_cost over an environment's batched task cost and its termination rule, if any (self = the env). */
plan_cost eval_env_cost(const sgp_env *env);

/* The true simulator as a plan_dyn (forward only; the oracle's model). The model is the
 * environment's name and resolved config; every workspace makes its own instance. */
typedef struct eval_truth {
  const char *env_name;
  cJSON *env_cfg;  /* resolved env config (owned by the caller) */
} eval_truth;
void eval_truth_dyn(const eval_truth *t, int nx, int nu, plan_dyn *out);

/* One run's planner acting in one episode at a time, in a simulator the caller steps (the viewer's
 * live mode, docs/viewer.md): the run's environment, protocol, dataset, models and planner set up
 * as eval_run sets them up, and its episodes' seeds, so that stepping episode k with the actions
 * returned gives the trajectory `sgp eval` gives for episode k. Not thread-safe: one thread uses it. */
typedef struct eval_agent eval_agent;
typedef struct eval_agent_info {
  const char *planner; /* the planner's name */
  sgp_env *env;        /* the true environment to step (owned by the agent) */
  long episodes, steps;
  int open_loop;       /* one plan at t = 0, followed */
  int samples;         /* samples per iteration of a sampling planner (0: not one) */
  int has_distance;    /* the run has a dataset: eval_agent_distance is defined */
} eval_agent_info;
int eval_agent_open(const char *config_path, eval_agent **out, sgp_err *e);
void eval_agent_close(eval_agent *a);
void eval_agent_describe(const eval_agent *a, eval_agent_info *info);
/* Episode start: resets info.env with episode `episode`'s seed into x0, and the planner. */
int eval_agent_reset(eval_agent *a, long episode, double *x0, sgp_err *e);
/* The action at step t from state x, the plan (valid until the next call) and its diagnostics
 * (open loop after t = 0: the first plan, NaN diagnostics). */
int eval_agent_act(eval_agent *a, int t, const double *x, double *u, plan_view *v, plan_diag *d,
                   sgp_err *e);
/* The run's data distance of (x, u) (max_data_distance's), NaN without a dataset. */
double eval_agent_distance(const eval_agent *a, const double *x, const double *u);

#endif
