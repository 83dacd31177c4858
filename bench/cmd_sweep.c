/* sgp sweep: expand a sweep file into content-addressed jobs, run them, write the tables
 * (docs/sweeps.md). */
#include "bench/cli.h"
#include "bench/sweep.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp sweep FILE.json [--out DIR] [--jobs N] [--cache DIR] [--threads N]\n"
          "                 [--list] [--stage data|models|runs] [--table-only] [--retune] [--status] [--estimate]\n"
          "                 [--slurm [--partition P] [--account A] [--time HH:MM:SS] [--cpus-per-task N]\n"
          "                          [--max-parallel K] [--dry-run]]\n"
          "Expands the sweep into jobs (collect datasets, train models, evaluate runs), runs the ones\n"
          "not done yet, and writes DIR/table.json, DIR/table.md and DIR/figures/.\n\n"
          "  --out DIR      output directory (default results/NAME, NAME the sweep's name)\n"
          "  --jobs N       jobs in parallel (default: the number of cores)\n"
          "  --cache DIR    datasets and models (default $SGP_CACHE, else cache/ at the repo root)\n"
          "  --threads N    OPENBLAS_NUM_THREADS of every job (default 1)\n"
          "  --list         print the pending jobs as shell commands in dependency waves and exit;\n"
          "                 run them anywhere on a shared directory, then run sgp sweep again for\n"
          "                 the table\n"
          "  --stage S      only run jobs up to datasets (data), models, or everything (runs)\n"
          "  --table-only   run nothing; (re)write the tables from the results present\n"
          "  --retune       run the tuning stage (/tuning) even if the sweep names a stored result;\n"
          "                 the choice is written to DIR/tuning.json\n"
          "  --status       done / failed / missing jobs from the cache and DIR alone (any engine),\n"
          "                 the failures by name with the end of their logs; exit 0 iff all done\n"
          "  --estimate     CPU-hours of the jobs left, from measured jobs of the same setting\n"
          "  --slurm        submit to Slurm: one job array per wave (afterok), then a final job that\n"
          "                 assembles the table; prints the job ids. Again: submits what is missing.\n"
          "    --partition P, --account A, --time T, --cpus-per-task N (default 1; also --threads'\n"
          "    default), --max-parallel K (tasks of an array at a time), --dry-run (write and print\n"
          "    the sbatch scripts, submit nothing)\n"
          "  --fake-jobs    TEST ONLY: fake-* environments and planners, jobs that write dummy\n"
          "                 artefacts (exercises the harness; never a benchmark)\n\n"
          "Interrupt at any time and run the same command again: finished artefacts are reused.\n"
          "example:\n  sgp sweep bench/sweeps/quick.json --out results/quick --jobs 2\n");
}

/* <root>/cache where <root> holds bench/sweeps and is an ancestor of the program; else ./cache */
static char *default_cache(const char *prog) {
  const char *env = getenv("SGP_CACHE");
  if (env && *env) return sgp_strdup(env);
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", prog);
  for (int up = 0; up < 4; up++) {
    char *s = strrchr(dir, '/');
    if (!s || s == dir) break;
    *s = 0;
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/bench/sweeps", dir);
    if (sgp_path_exists(probe)) return sgp_path_join(dir, "cache");
  }
  return sgp_strdup("cache");
}

static int parse_int(const char *s, int lo, int hi, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int has_control(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 1;
  return 0;
}

/* The options of `sgp sweep`, checked. */
typedef struct sweep_args {
  const char *file, *out, *cache;
  int jobs, threads, max_kind, list, table_only, retune, status, estimate, slurm;
  const char *slurm_final; /* the final job of a submission (internal) */
  sweep_slurm_opts so;
  const sweep_registry *reg;
} sweep_args;

/* The cluster options (--slurm and its settings, --status, --estimate), checked. */
static int parse_cluster_args(int argc, char **argv, sweep_args *a) {
  static const char *const slurm_only[] = {"--partition", "--account", "--time", "--cpus-per-task", "--max-parallel",
                                           "--dry-run", NULL};
  a->status = cli_flag(argc, argv, "--status"), a->estimate = cli_flag(argc, argv, "--estimate");
  a->slurm = cli_flag(argc, argv, "--slurm"), a->slurm_final = cli_opt(argc, argv, "--slurm-final");
  if (a->list + a->table_only + a->status + a->estimate + a->slurm + !!a->slurm_final > 1) {
    fprintf(stderr, "sgp sweep: --list, --table-only, --status, --estimate and --slurm exclude each other\n");
    return 2;
  }
  for (int k = 0; slurm_only[k] && !a->slurm; k++)
    if (cli_flag(argc, argv, slurm_only[k]) || cli_opt(argc, argv, slurm_only[k])) {
      fprintf(stderr, "sgp sweep: %s needs --slurm\n", slurm_only[k]);
      return 2;
    }
  sweep_slurm_opts *o = &a->so;
  o->file = a->file, o->max_kind = a->max_kind, o->dry_run = cli_flag(argc, argv, "--dry-run");
  o->partition = cli_opt(argc, argv, "--partition"), o->account = cli_opt(argc, argv, "--account");
  o->time = cli_opt(argc, argv, "--time");
  o->cpus = 1;
  const char *s;
  if ((s = cli_opt(argc, argv, "--cpus-per-task")) && parse_int(s, 1, 1024, &o->cpus)) {
    fprintf(stderr, "sgp sweep: --cpus-per-task: expected a whole number >= 1, got '%s'\n", s);
    return 2;
  }
  if ((s = cli_opt(argc, argv, "--max-parallel")) && parse_int(s, 1, 1000000, &o->max_parallel)) {
    fprintf(stderr, "sgp sweep: --max-parallel: expected a whole number >= 1, got '%s'\n", s);
    return 2;
  }
  o->threads = cli_opt(argc, argv, "--threads") ? a->threads : o->cpus;
  sgp_err e;
  if (sweep_slurm_check(o, &e)) {
    fprintf(stderr, "sgp sweep: %s\n", e.msg);
    return 2;
  }
  return 0;
}

/* Returns 0, or the exit status of a usage error (after printing it). */
static int parse_args(int argc, char **argv, sweep_args *a) {
  static const char *const valued[] = {"--out", "--jobs", "--cache", "--threads", "--stage", "--partition", "--account",
                                       "--time", "--cpus-per-task", "--max-parallel", "--slurm-final", NULL};
  static const char *const boolean[] = {"--list", "--table-only", "--fake-jobs", "--status", "--estimate", "--slurm",
                                        "--dry-run", "--retune", NULL};
  const char *pos[1];
  int npos;
  int rc = cli_parse("sweep", argc, argv, valued, boolean, 1, 1, pos, &npos);
  if (rc) return rc;
  memset(a, 0, sizeof *a);
  a->file = pos[0];
  a->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), a->threads = 1, a->max_kind = SWEEP_RUN;
  if (a->jobs < 1) a->jobs = 1;
  const char *s;
  if ((s = cli_opt(argc, argv, "--jobs")) && parse_int(s, 1, 4096, &a->jobs)) {
    fprintf(stderr, "sgp sweep: --jobs: expected a whole number >= 1, got '%s'\n", s);
    return 2;
  }
  if ((s = cli_opt(argc, argv, "--threads")) && parse_int(s, 1, 1024, &a->threads)) {
    fprintf(stderr, "sgp sweep: --threads: expected a whole number >= 1, got '%s'\n", s);
    return 2;
  }
  if ((s = cli_opt(argc, argv, "--stage"))) {
    static const char *const stages[] = {"data", "models", "runs"};
    a->max_kind = -1;
    for (int k = 0; k < 3; k++)
      if (!strcmp(s, stages[k])) a->max_kind = k; /* SWEEP_DATA, SWEEP_MODEL, SWEEP_RUN */
    if (a->max_kind < 0) {
      fprintf(stderr, "sgp sweep: --stage: expected data, models or runs, got '%s'\n", s);
      return 2;
    }
  }
  a->list = cli_flag(argc, argv, "--list"), a->table_only = cli_flag(argc, argv, "--table-only");
  a->retune = cli_flag(argc, argv, "--retune");
  a->reg = cli_flag(argc, argv, "--fake-jobs") ? sweep_registry_fake() : sweep_registry_builtin();
  a->out = cli_opt(argc, argv, "--out");
  a->cache = cli_opt(argc, argv, "--cache");
  /* every path lands in --list's shell lines: a control character (a newline) would split one */
  const char *paths[3][2] = {{"FILE.json", a->file}, {"--out", a->out}, {"--cache", a->cache}};
  for (int k = 0; k < 3; k++)
    if (paths[k][1] && has_control(paths[k][1])) {
      fprintf(stderr, "sgp sweep: %s: the path contains a control character (a newline?); refusing it\n", paths[k][0]);
      return 2;
    }
  return parse_cluster_args(argc, argv, a);
}

/* Loads the sweep. The output directory defaults to results/NAME: the file is validated once with
 * a placeholder to learn NAME. */
static int load(const sweep_args *a, const char *prog, sweep **sw, sgp_err *e) {
  char *cache = a->cache ? sgp_strdup(a->cache) : default_cache(prog);
  char *out_owned = NULL;
  const char *out = a->out;
  sweep_load_opts lo = {a->retune};
  int rc = 0;
  if (!out) {
    rc = sweep_load_ex(a->file, "results/_", cache, prog, a->reg, &lo, sw, e);
    if (!rc) {
      out = out_owned = sgp_path_join("results", (*sw)->name);
      sweep_free(*sw);
      *sw = NULL;
    }
  }
  if (!rc) rc = sweep_load_ex(a->file, out, cache, prog, a->reg, &lo, sw, e);
  free(cache);
  free(out_owned);
  return rc;
}

/* --list: the pending jobs as shell commands, wave by wave */
static void print_list(const sweep *sw, const sweep_args *a) {
  int pending = 0, done = 0;
  for (int i = 0; i < sw->njobs; i++) {
    if ((int)sw->jobs[i].kind > a->max_kind) continue;
    if (sweep_job_done(&sw->jobs[i])) done++;
    else pending++;
  }
  char *qf0 = sweep_shell_word(a->file);
  printf("# sgp sweep %s: %d job(s) to run (%d already done), %d %sruns, in %d wave(s).\n", qf0, pending, done,
         sw->tuning.pending ? sw->tuning.nruns : sw->nruns, sw->tuning.pending ? "tuning " : "", sw->nwaves);
  free(qf0);
  /* every word quoted for sh: the paths come from the command line and the sweep's name */
  char *qp = sweep_shell_word(sw->prog), *qf = sweep_shell_word(a->file), *qo = sweep_shell_word(sw->out);
  printf("# Lines of one wave are independent (run them in any order, in parallel, on any machine that\n"
         "# sees the same output and cache directories); start a wave when the previous one is done.\n"
         "# Then assemble the table:  %s sweep %s --out %s%s\n", qp, qf, qo, a->reg->fake ? " --fake-jobs" : "");
  if (sw->tuning.pending)
    printf("# These are the jobs of the tuning stage (/tuning): when they are done, run\n"
           "#   %s sweep %s --out %s%s%s\n# which chooses every agent's setting (OUT/tuning.json), then --list again for the\n"
           "# report jobs.\n", qp, qf, qo, a->reg->fake ? " --fake-jobs" : "", a->retune ? " --retune" : "");
  free(qp), free(qf), free(qo);
  for (int w = 1; w <= sw->nwaves; w++) {
    int header = 0;
    for (int i = 0; i < sw->njobs; i++) {
      const sweep_job *j = &sw->jobs[i];
      if (j->wave != w || (int)j->kind > a->max_kind || sweep_job_done(j)) continue;
      if (!header) printf("# wave %d\n", w), header = 1;
      char *cmd = sweep_job_shell(j, a->threads);
      printf("%s\n", cmd);
      free(cmd);
    }
  }
}

/* table.json and table.md from the results present; the exit status of the verb */
static int write_tables(const sweep *sw, const sweep_args *a, const sweep_exec_result *res, int exec_rc,
                        const sgp_err *xe) {
  cJSON *timing = cJSON_CreateObject();
  cJSON_AddNumberToObject(timing, "sweep_wall_s", res->wall_s);
  cJSON_AddNumberToObject(timing, "jobs_in_parallel", a->jobs);
  cJSON_AddNumberToObject(timing, "blas_threads_per_job", a->threads);
  cJSON_AddNumberToObject(timing, "jobs_ran", res->ran);
  cJSON_AddNumberToObject(timing, "jobs_reused", res->done_before);
  int missing = 0;
  sgp_err e;
  int rc = sweep_write_tables(sw, timing, &missing, &e);
  cJSON_Delete(timing);
  if (rc) return cli_error("sweep", &e);
  fprintf(stderr, "sweep %s: %d job(s) ran, %d reused, %d failed; %d of %d runs missing\ntable: %s/table.md\n",
          sw->name, res->ran, res->done_before, res->failed, missing, sw->nruns, sw->out);
  if (exec_rc) {
    fprintf(stderr, "sgp sweep: %s\n", xe->msg);
    return 1;
  }
  return missing ? 1 : 0;
}

/* The tuning stage when its result is not known yet: runs the tuning jobs, chooses the settings
 * (OUT/tuning.json) and loads the sweep again, now with the report jobs. Returns 0 to go on, else the
 * exit status. */
static int tune(sweep **swp, const sweep_args *a, const char *prog) {
  sweep *sw = *swp;
  sgp_err e = {{0}};
  if (a->table_only) {
    fprintf(stderr, "sgp sweep: --table-only: the tuning stage has not finished (no %s/tuning.json matching the sweep)\n",
            sw->out);
    return 1;
  }
  sweep_exec_result res;
  memset(&res, 0, sizeof res);
  sweep_exec_opts o = {a->jobs, a->threads, a->max_kind, 0};
  fprintf(stderr, "sweep %s: tuning stage: %d tuning runs (%d seeds x %d settings per agent and row), %d jobs, output %s\n",
          sw->name, sw->tuning.nruns, sw->tuning.nseeds, sw->tuning.settings, sw->njobs, sw->out);
  int rc = sweep_execute(sw, &o, &res, &e);
  if (res.interrupted) {
    fprintf(stderr, "sgp sweep: %s\n", e.msg);
    return 130;
  }
  if (rc) {
    fprintf(stderr, "sgp sweep: tuning stage: %s\n", e.msg);
    return 1;
  }
  if (a->max_kind < SWEEP_RUN) return -1;
  if (sweep_tune_finish(sw, &e)) return cli_error("sweep", &e);
  fprintf(stderr, "sweep %s: tuning stage done (%d ran, %d reused): settings chosen in %s/tuning.json\n", sw->name,
          res.ran, res.done_before, sw->out);
  sweep_free(sw);
  *swp = NULL;
  sweep_args again = *a;
  again.out = a->out;
  again.retune = a->retune ? 2 : 0; /* the report runs read the result just written (OUT/tuning.json) */
  if (load(&again, prog, swp, &e) || sweep_prepare(*swp, &e)) return cli_error("sweep", &e);
  if ((*swp)->tuning.pending) {
    fprintf(stderr, "sgp sweep: internal error: the tuning result just written does not match the sweep\n");
    return 1;
  }
  return 0;
}

/* Runs the pending jobs (unless --table-only), then writes the tables. */
static int run(const sweep *sw, const sweep_args *a) {
  sweep_exec_result res;
  memset(&res, 0, sizeof res);
  int exec_rc = 0;
  sgp_err xe = {{0}};
  if (!a->table_only) {
    sweep_exec_opts o = {a->jobs, a->threads, a->max_kind, 0};
    fprintf(stderr, "sweep %s: %d runs, %d jobs in %d waves, %d in parallel (%s registry), output %s\n", sw->name,
            sw->nruns, sw->njobs, sw->nwaves, a->jobs, a->reg->what, sw->out);
    exec_rc = sweep_execute(sw, &o, &res, &xe);
    if (res.interrupted) {
      fprintf(stderr, "sgp sweep: %s\n", xe.msg);
      return 130;
    }
  }
  if (a->max_kind < SWEEP_RUN) {
    fprintf(stderr, "sweep %s: stage %s done (%d ran, %d reused)\n", sw->name,
            a->max_kind == SWEEP_DATA ? "data" : "models", res.ran, res.done_before);
    return exec_rc ? 1 : 0;
  }
  return write_tables(sw, a, &res, exec_rc, &xe);
}

int cmd_sweep(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "--fake-job")) return sweep_fake_job(argc - 2, argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "--task")) return sweep_slurm_task(argc - 2, argv + 2);
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  sweep_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  char prog[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", prog, sizeof prog - 1);
  if (n <= 0) snprintf(prog, sizeof prog, "%s", argv[0]);
  else prog[n] = 0;
  sgp_err e;
  sweep *sw = NULL;
  if (has_control(prog)) {
    fprintf(stderr, "sgp sweep: %s: the program's path contains a control character; refusing to list or run jobs\n", prog);
    return 2;
  }
  /* --status and --estimate only read: nothing is written */
  if (load(&a, prog, &sw, &e) || (!a.status && !a.estimate && sweep_prepare(sw, &e))) {
    sweep_free(sw);
    return cli_error("sweep", &e);
  }
  if (a.list) {
    print_list(sw, &a);
  } else if (a.status) {
    rc = sweep_status(sw, a.max_kind, stdout);
  } else if (a.estimate) {
    rc = sweep_estimate(sw, a.max_kind, stdout);
  } else if (sw->tuning.pending && (a.slurm || a.slurm_final)) {
    fprintf(stderr, "sgp sweep: --slurm: the tuning stage (/tuning) has not run yet: run it first (sgp sweep %s, "
                    "or the jobs of --list), or name a stored result in /tuning/result\n", a.file);
    rc = 2;
  } else if (a.slurm) {
    rc = sweep_slurm_submit(sw, &a.so);
  } else if (a.slurm_final) {
    rc = sweep_slurm_final(sw, a.slurm_final);
  } else if (sw->tuning.pending) {
    rc = tune(&sw, &a, prog);
    if (rc < 0) rc = 0; /* --stage data|models: stopped before the tuning runs */
    else if (rc == 0) rc = run(sw, &a);
  } else {
    rc = run(sw, &a);
  }
  sweep_free(sw);
  return rc;
}
