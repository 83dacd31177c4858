/* Sweeps: a grid of environments × datasets × agents × hyper-parameters × seeds, expanded into a
 * graph of content-addressed jobs (collect a dataset, train a model, evaluate a run), executed as
 * child processes of the sgp program, and summarised into tables and figures (docs/sweeps.md).
 *
 *   sweep_expand.c   sweep file -> validated, resolved grid -> jobs with keys, commands, waves
 *   sweep_sched.c    runs the job graph (fork/exec, --jobs in parallel, logs, progress, signals)
 *   sweep_registry.c the real environment and planner registries seen by the expansion
 *   sweep_fake.c     test-only registry and job implementations (--fake-jobs)
 *   sweep_status.c   what jobs leave behind (outcomes, times, cost classes); --status
 *   sweep_estimate.c --estimate: CPU-hours of the jobs left from measured jobs of their class
 *   sweep_slurm.c    --slurm: job arrays per wave, the task runner, the final assembling job
 *   sweep_tune.c     the tuning stage: the tuning section, the choice of every agent's setting on
 *                    the tuning seeds, tuning.json (written, stored, checked against the sweep)
 *   sweep_curve.c    curve figures declared by the sweep file: rows that differ in one setting
 *                    as the points of one line per agent
 *   table.c          table.json / table.md from the run results (a pure function of them)
 *   svg.c            figures: bar charts with CI whiskers, 2-D trajectories over the data
 */
#ifndef SGP_BENCH_SWEEP_H
#define SGP_BENCH_SWEEP_H

#include "core/core.h"
#include "envs/env.h"

#include <stdio.h>

struct rusage;

/* ------------------------------------------------------------------ registries */
/* What the expansion needs to know about an environment (filled by sweep_registry.info). */
typedef struct sweep_env_info {
  int nx, nu;
  int has_ref;            /* reference returns: the main metric is the normalised score */
  int T;                  /* episode length (normalised scores need full-length episodes) */
  env_figure fig;         /* the trajectory figure the environment declares (envs/env.h) */
  int fig_box;            /* its dims are data-box dimensions: states are decoded (spec.figure_box) */
  /* a planar figure, in its two state dimensions fig.dims[0], fig.dims[1]: */
  double box_lo[2], box_hi[2]; /* extent of the data box (figure extent) */
  int has_goal2;          /* the goal is drawn */
  double goal[ENV_FIG_MAX]; /* the goal in the figure's dimensions (planar: the first two) */
  double hole_c[2], hole_r; /* excluded disk of the data box (radius 0: none) */
  int nmetrics;           /* the environment's own metrics (envs/env.h spec.metrics; static strings) */
  env_metric metrics[ENV_MAX_METRICS];
} sweep_env_info;

struct sweep_job;

typedef struct sweep_registry {
  const char *what; /* "built-in" or "fake (test-only)" */
  /* Validates the env config (a copy; defaults may be inserted) and describes the environment.
   * Returns -1 with an error naming file and path (unknown name: the list of known ones). */
  int (*env_info)(const char *name, cJSON *config, const char *file, const char *path,
                  sweep_env_info *out, sgp_err *e);
  /* PLAN_NEEDS_* mask of a planner config (a copy; "name" inside). Unknown names list the known. */
  int (*planner_needs)(cJSON *planner, const char *file, const char *path, int *mask, sgp_err *e);
  /* argv prefix of every job: {"collect"} becomes {"sweep","--fake-job","collect"} in fake mode */
  int fake;
  /* Checks every job's config with the code the job itself will run (a dataset spec with the
   * collector's parser, a training config with the trainer's, a run with sgp eval's), before any
   * job starts; errors name `file` and the job. NULL: not checked (the fake registry). */
  int (*check_jobs)(const struct sweep_job *jobs, int njobs, const char *file, sgp_err *e);
  /* States x (rows × nx) of an environment (name, config) -> its figure's coordinates (rows ×
   * fig.n), decoded where the figure is in data-box coordinates (pixels). NULL: the state
   * dimensions fig.dims themselves. */
  int (*decode)(const char *name, const cJSON *config, const float *x, long rows, int nx, float *out, sgp_err *e);
} sweep_registry;

const sweep_registry *sweep_registry_builtin(void);
/* The sweep's view of an environment's spec (what builtin env_info reports). */
void sweep_env_describe(const env_spec *s, sweep_env_info *out);
const sweep_registry *sweep_registry_fake(void);

/* ------------------------------------------------------------------ the expanded sweep */
typedef enum sweep_kind { SWEEP_DATA = 0, SWEEP_MODEL = 1, SWEEP_RUN = 2 } sweep_kind;

/* model kinds, in the order of the PLAN_NEEDS_* bits they answer */
#define SWEEP_NMODEL 5
extern const char *const sweep_model_kinds[SWEEP_NMODEL]; /* dynamics ensemble score dde cost */

typedef struct sweep_job {
  sweep_kind kind;
  char key[17];       /* content address: first 16 hex of sha256(canonical JSON) */
  char *what;         /* "train score point/uniform seed 1" (progress and logs) */
  char *config_path;  /* file the job reads (written before it runs) */
  cJSON *config;      /* its contents */
  char *config2_path; /* a second file (collect: --env-config), or NULL */
  cJSON *config2;
  char *done_path;    /* the job is done iff this exists (written atomically by the verb) */
  char *log_path;
  int argc;
  char **argv;        /* argv[0] = the sgp program */
  int ndeps;
  int *deps;          /* job indices */
  int wave;           /* 1 + max wave of the deps */
} sweep_job;

typedef struct sweep_row {
  char *env;      /* row label (env "label", default its name) */
  char *env_name; /* registered name */
  char *dataset;  /* dataset name */
  char *metric;   /* main metric: normalized_score, success or final_cost */
  sweep_env_info info;
  int trajectories; /* save rollouts and draw the 2-D figure */
  cJSON *config;    /* the environment's config as the sweep file gives it */
  int episodes;     /* episodes of a report run (planned in lockstep; matched time measures as many) */
} sweep_row;

typedef struct sweep_run {
  int row, col, seed_index;
  long seed;
  int job;          /* the run job */
  int data_job;     /* its dataset job */
} sweep_run;

/* One tuning run: a cell (row, col) at one point of its tuning grid, on one tuning seed. */
typedef struct sweep_trun {
  int row, col, setting, seed_index;
  long seed;
  int job;
} sweep_trun;

/* The tuning stage (docs/sweeps.md, "Tuning"): every agent's own grid ("tune") is run on the
 * tuning seeds, disjoint from the report seeds; the setting with the best main metric there is the
 * only one run on the report seeds. */
typedef struct sweep_tuning {
  int on;           /* the sweep file has a "tuning" section */
  int nseeds;
  long *seeds;
  int settings;     /* the rule: every agent has exactly this many settings on every row */
  cJSON *eval;      /* "eval" merged over each row's eval for the tuning runs (may be NULL) */
  char *stored;     /* "result": a stored tuning result (path relative to the sweep file), or NULL */
  cJSON *points;    /* per cell (row-major, NULL when not run): array of {"setting", "sets"} */
  int nruns;
  sweep_trun *runs; /* the tuning runs (only while the choice is pending) */
  int pending;      /* 1: no valid result yet; the job graph holds the tuning jobs only */
  cJSON *result;    /* the result (docs/sweeps.md) when known, else NULL */
  char *source;     /* where the result came from: the stored file or OUT/tuning.json */
} sweep_tuning;

typedef struct sweep {
  const sweep_registry *reg;
  char *file;       /* sweep file as given */
  char *name;
  cJSON *root;      /* the sweep file as parsed (recorded in table.json) */
  char *sha256;     /* of the sweep file's canonical JSON */
  char *out, *cache, *prog;
  double confidence;
  int nseeds;
  long *seeds;
  int nrows;
  sweep_row *rows;
  int ncols;
  char **cols;      /* agent labels (grid points expanded) */
  int nruns;
  sweep_run *runs;  /* row-major: row, col, seed */
  int njobs;
  sweep_job *jobs;  /* sorted by wave, then kind, then first use */
  int nwaves;
  int figures;
  int ncurves;
  struct sweep_curve *curves; /* "figures": [{"type": "curve", ...}] (sweep_curve.c) */
  sweep_tuning tuning;
  cJSON *budget;    /* /budget/match_time with its defaults, or NULL */
} sweep;

typedef struct sweep_load_opts {
  int retune; /* 1: tune again (ignore the stored result and OUT/tuning.json); 2: ignore the stored result only */
} sweep_load_opts;

/* Loads, validates and expands `file`. Nothing is written. Errors name the file and JSON path. */
int sweep_load(const char *file, const char *out, const char *cache, const char *prog,
               const sweep_registry *reg, sweep **sw, sgp_err *e);
/* The same on a parsed sweep file (`file` names it in errors); takes ownership of root. */
int sweep_from_json(cJSON *root, const char *file, const char *out, const char *cache, const char *prog,
                    const sweep_registry *reg, sweep **sw, sgp_err *e);
/* The same with options (a stored tuning result ignored: retune). */
int sweep_load_ex(const char *file, const char *out, const char *cache, const char *prog,
                  const sweep_registry *reg, const sweep_load_opts *o, sweep **sw, sgp_err *e);
void sweep_free(sweep *sw);
/* Writes the job config files (OUT/configs/...) and creates the directories jobs write into. */
int sweep_prepare(const sweep *sw, sgp_err *e);
/* 1 if the job's artefact exists and is valid (a dataset that ds_load accepts, a model file that
 * mf_open accepts: parsed, its tensors' recorded hash verified, a run result with a summary that records its job's seed and config), 0 if absent, -1 if
 * present but invalid: *why names the file and what is wrong. */
int sweep_job_check(const sweep_job *j, sgp_err *why);
/* sweep_job_check() == 1 */
int sweep_job_done(const sweep_job *j);
/* The job as one shell command line (single-quoted where needed), with the BLAS thread env. */
char *sweep_job_shell(const sweep_job *j, int blas_threads);

/* 1 if s is a valid sweep name: 1 to 64 characters of [A-Za-z0-9._-], the first a letter or digit
 * (it names a directory under results/ and appears in --list's comments). */
int sweep_name_ok(const char *s);
/* w as one word for sh: bare when it holds only safe characters, else single-quoted (malloc'd). */
char *sweep_shell_word(const char *w);

/* Canonical JSON (keys sorted bytewise, no white space, shortest round-trip numbers) and its
 * content address (first 16 hex digits of its SHA-256). */
char *sweep_canonical(const cJSON *j);
void sweep_key(const cJSON *j, char key[17]);
/* Deep merge: a copy of base with every field of over replacing (objects merged recursively). */
cJSON *sweep_merge(const cJSON *base, const cJSON *over);

/* ------------------------------------------------------------------ the tuning stage (sweep_tune.c) */
/* /tuning of the file (NULL: none): seeds disjoint from the report seeds, the rule, eval, result. */
int sweep_tune_read(sweep *sw, const cJSON *tuning, sgp_err *e);
/* The tuning grid of a cell as an array of {"setting": {axis: value}, "sets": [[pointer, value]]}
 * (grid is the agent's "tune", or its envs.LABEL.tune), checked against the rule; `where` names the
 * grid's JSON path in errors. */
int sweep_tune_points(const sweep *sw, const cJSON *grid, const char *where, const char *row, const char *col,
                      cJSON **points, sgp_err *e);
/* Looks for a valid result: the stored file (unless retune), else OUT/tuning.json; sets
 * sw->tuning.result and source. keys(row, col, setting, seed_index) are the tuning runs' keys the
 * sweep expands to; a stored file that does not match them is an error (stale), OUT/tuning.json is
 * then ignored. */
int sweep_tune_find(sweep *sw, int retune, sgp_err *e);
/* The chosen setting's sets ([[pointer, value]]) of a cell, from sw->tuning.result (NULL if none). */
const cJSON *sweep_tune_chosen(const sweep *sw, int row, int col);
/* After the tuning runs: reads their results, chooses every cell's setting by the row's main metric
 * on the tuning seeds, writes OUT/tuning.json. Fails when a tuning run has no result. */
int sweep_tune_finish(sweep *sw, sgp_err *e);
void sweep_tune_free(sweep_tuning *t);

/* ------------------------------------------------------------------ curve figures (sweep_curve.c) */
typedef struct sweep_curve {
  char *name;     /* figures/NAME.svg */
  char *x;        /* "decision_variables" or a JSON pointer into the row's entry of "envs" */
  int dv;         /* x is decision_variables */
  char *x_label, *title; /* title NULL: made from the rows */
  int log_x;
  int nrows;
  int *rows;      /* row indices, in the file's order */
  double *row_x;  /* x of each row (pointer x); NaN for decision_variables (per cell) */
} sweep_curve;
/* "figures" of the file when it is an array: every curve checked against the rows (after the
 * rows are expanded). A boolean "figures" declares none. */
int sweep_curves_read(sweep *sw, sgp_err *e);
/* x of the curve's q-th row for column col: the pointer's value, or nu × the horizon of the cell's
 * runs (the episode's steps for horizon 0). NaN when unknown (no run, or the planner's default). */
double sweep_curve_x(const sweep *sw, const sweep_curve *cv, int q, int col);
void sweep_curves_free(sweep *sw);

/* ------------------------------------------------------------------ matched planning time (sweep_budget.c) */
/* /budget of the file (NULL: none): match_time {reference, agents, parameter, tolerance}. */
int sweep_budget_read(sweep *sw, const cJSON *budget, sgp_err *e);
/* 1 if a tuning result (already sw->tuning.result) holds the matched values the sweep asks for. */
int sweep_budget_check(const sweep *sw, const cJSON *result, char *why, size_t cap);
/* Measures and records the matched values into result (the tuning result being written). */
int sweep_budget_match(sweep *sw, cJSON *result, sgp_err *e);
/* The matched value of (row, col), NaN when none. */
double sweep_budget_value(const sweep *sw, int row, int col);

/* ------------------------------------------------------------------ running */
typedef struct sweep_exec_opts {
  int jobs;          /* parallel jobs */
  int blas_threads;  /* OPENBLAS_NUM_THREADS of each job */
  int max_kind;      /* run jobs up to this kind (SWEEP_RUN: all) */
  int verbose;
} sweep_exec_opts;

typedef struct sweep_exec_result {
  int done_before, ran, failed, blocked, interrupted;
  double wall_s;
} sweep_exec_result;

/* Runs every pending job. Returns 0 when all succeeded, -1 when some failed (reported on stderr
 * with the tail of their logs) or the sweep was interrupted (res->interrupted). */
int sweep_execute(const sweep *sw, const sweep_exec_opts *o, sweep_exec_result *res, sgp_err *e);

/* The last `lines` lines of a log, indented, on out ("(no log: ...)" if it cannot be read). */
void sweep_print_tail(FILE *out, const char *path, int lines);

/* ------------------------------------------------------------------ outcomes, status, cost (sweep_status.c) */
/* A job as whoever runs it sees it (the local scheduler from the sweep, a Slurm task from a line
 * of its task file). It leaves OUT/logs/<verb>-<key>.outcome.json when it ends, and on success
 * CACHE/timings/<verb>-<key>.json with its cost class and measured time (docs/sweeps.md). */
typedef struct sweep_task {
  char *what, *key, *verb;
  char *cost_class;   /* key of the job up to its seed: jobs of one class cost the same */
  char *log_path, *done_path, *outcome_path, *timing_path;
  int threads;        /* OPENBLAS_NUM_THREADS */
  int argc;
  char **argv;        /* NULL-terminated */
} sweep_task;

/* The cost class of job i: its verb, configs without seed and paths, its dependencies' classes. */
void sweep_job_class(const sweep *sw, int i, char out[17]);
void sweep_task_of(const sweep *sw, int i, int threads, sweep_task *t);
void sweep_task_free(sweep_task *t);
cJSON *sweep_task_json(const sweep_task *t);
/* Reads sweep_task_json's object; errors name `where`. */
int sweep_task_parse(const cJSON *o, const char *where, sweep_task *t, sgp_err *e);
/* Before a job starts: its previous outcome is removed (a stale failure would be reported). */
void sweep_outcome_clear(const sweep_task *t);
/* After it ended (wait status, wall seconds, its rusage or NULL, ok = exit 0 and artefact written):
 * the outcome, and on success the time record. engine: "local" or "slurm". */
void sweep_outcome_write(const sweep_task *t, const char *engine, int wst, double wall_s,
                         const struct rusage *ru, int ok);
/* The same for job i of the local scheduler. */
void sweep_record_start(const sweep *sw, int i);
void sweep_record_end(const sweep *sw, int i, int threads, int wst, double wall_s, const struct rusage *ru, int ok);
/* --status: done / failed / missing jobs (kinds up to max_kind) from the artefacts, outcomes and
 * logs alone, every failure by name with the tail of its log. 0 when every job is done, else 1. */
/* Jobs started (a log) that have left neither their artefact nor an outcome record. */
int sweep_count_started(const sweep *sw, int max_kind);
/* A job's log opened afresh (sweep_sched.c): whatever is at its path is unlinked, never written
 * through; created with O_EXCL | O_NOFOLLOW. */
int sweep_open_log(const char *path);
int sweep_status(const sweep *sw, int max_kind, FILE *out);
/* --estimate (sweep_estimate.c): CPU-hours of the jobs left from measured jobs of their class. */
int sweep_estimate(const sweep *sw, int max_kind, FILE *out);

/* ------------------------------------------------------------------ Slurm (sweep_slurm.c) */
typedef struct sweep_slurm_opts {
  const char *file;                  /* the sweep file as given (the final job loads it) */
  const char *partition, *account, *time; /* NULL: the cluster's defaults */
  int cpus;                          /* --cpus-per-task of every task */
  int threads;                       /* OPENBLAS_NUM_THREADS of every job */
  int max_parallel;                  /* tasks of one array at a time (0: no limit) */
  int max_kind;                      /* --stage */
  int dry_run;                       /* write and print the scripts, submit nothing */
} sweep_slurm_opts;
/* Checks --partition, --account and --time (they become #SBATCH lines). */
int sweep_slurm_check(const sweep_slurm_opts *o, sgp_err *e);
/* --slurm: one job array per wave of the pending jobs, chained with afterok, and a final job that
 * assembles the table. Prints the job ids (or, dry run, the scripts). Returns the exit status. */
int sweep_slurm_submit(const sweep *sw, const sweep_slurm_opts *o);
/* The final job (--slurm-final DIR; DIR NULL: run here): status with the failures by name, then
 * the tables. 0 when every job is done and every run has its result, else 1. */
int sweep_slurm_final(const sweep *sw, const char *dir);
/* `sgp sweep --task FILE N`: runs the job on line N of a task file, records its outcome. */
int sweep_slurm_task(int argc, char **argv);

/* ------------------------------------------------------------------ tables and figures */
/* table.json, table.md and figures/ under sw->out from the run results. *missing receives the
 * number of runs without a result. timing (may be NULL) is recorded under "timing". */
int sweep_write_tables(const sweep *sw, const cJSON *timing, int *missing, sgp_err *e);

/* Test-only jobs (--fake-jobs): `sgp sweep --fake-job collect|train|eval ...`. */
int sweep_fake_job(int argc, char **argv);

/* ------------------------------------------------------------------ SVG figures (svg.c) */
/* An agent's style (its column index) picks one of 16 colours and one of 4 line patterns. */
#define SVG_NSTYLE_COLOURS 16
const char *svg_colour(int style);

typedef struct svg_bar_item {
  const char *label;
  int style;
  double est, lo, hi;   /* point estimate and interval (NaN: none); est NaN: "missing" */
  const double *points; /* per-seed values drawn over the bar */
  int npoints;
  int n;                /* values behind the estimate */
} svg_bar_item;
/* One bar per agent: the estimate, its interval (clipped with an arrowhead where it leaves the
 * axis, which follows the estimates and the points), the per-seed points. note: what is shown. */
int svg_bar_chart(const char *path, const char *title, const char *ylabel, const char *note, const svg_bar_item *items,
                  int n, sgp_err *e);

/* A curve figure: one line per agent through its cells' estimates at the cells' x values, each
 * with its interval as a whisker (clipped with an arrowhead where it leaves the axis). */
typedef struct svg_curve_point {
  double x;             /* NaN (or <= 0 on a log axis): not drawn */
  double est, lo, hi;   /* the estimate (NaN: not drawn) and its interval */
  const char *row;      /* the row it comes from ("env/dataset") */
} svg_curve_point;
typedef struct svg_curve_series {
  const char *label;
  int style;
  int n;
  const svg_curve_point *pts; /* in increasing x */
} svg_curve_series;
/* Every point carries its numbers (data-x, data-estimate, data-lo, data-hi) and the plot group the
 * axes' mapping (data-x-lo/hi/p0/p1, log10 units on a log axis; data-y-lo/hi/p0/p1). */
int svg_curve(const char *path, const char *title, const char *xlabel, const char *ylabel, const char *note, int log_x,
              const svg_curve_series *s, int ns, sgp_err *e);

typedef struct svg_traj_agent {
  const char *label;
  int style;
  const float *x;  int nx_steps;   /* executed states, nx_steps × fig.n (NULL: none) */
  const float *plan; int nplan;    /* first plan, nplan × fig.n (NULL: none) */
} svg_traj_agent;
/* One panel of a small-multiples figure: a seed, its dataset (planar: npts × 2) and its agents. */
typedef struct svg_traj_panel {
  const char *title;
  const float *pts;
  long npts;
  const svg_traj_agent *agents;
  int nagents;
} svg_traj_panel;
/* The light-dark picture, one panel per seed on shared axes with ticks: the dataset, the hole
 * disk, start and goal, every agent's executed and first planned path. */
int svg_trajectories(const char *path, const char *title, const sweep_env_info *info, const svg_traj_panel *panels,
                     int npanels, sgp_err *e);
/* Time series: a row of panels per state dimension of info->fig, a column per seed, the step on
 * the horizontal axis, the goal value dotted. */
int svg_series(const char *path, const char *title, const sweep_env_info *info, const svg_traj_panel *panels,
               int npanels, sgp_err *e);

typedef struct svg_agg_item {
  const char *label;
  int style, nrows;
  double est, lo, hi;                        /* IQM across rows and its interval */
  const double *profile, *prof_lo, *prof_hi; /* the performance profile at taus (and its band) */
} svg_agg_item;
/* Aggregate over rows: IQM with intervals per agent (left) and performance profiles (right). */
int svg_aggregate(const char *path, const char *title, const char *xlabel, const svg_agg_item *items, int n,
                  const double *taus, int ntau, sgp_err *e);

#endif
