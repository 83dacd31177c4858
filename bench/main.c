/* sgp: the command-line program. Verbs read like the pipeline:
 *   sgp collect -> sgp train -> sgp eval -> sgp sweep -> sgp compare / sgp view
 * Each verb lives in bench/cmd_<verb>.c; this file only dispatches. */
#include "bench/cli.h"

#include <stdio.h>
#include <string.h>

typedef struct verb {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
} verb;

static int cmd_bench(int argc, char **argv);

static const verb verbs[] = {
    {"list", cmd_list, "list the registered environments and agents"},
    {"collect", cmd_collect, "collect an offline dataset from an environment"},
    {"check", cmd_check, "validate a dataset directory or a model file"},
    {"train", cmd_train, "train a model (score, dynamics, ensemble, cost, dde) on a dataset"},
    {"sample", cmd_sample, "annealed Langevin samples from a score model (diagnostic)"},
    {"eval", cmd_eval, "run a planner in closed loop in the true environment"},
    {"sweep", cmd_sweep, "run a benchmark sweep and write its result tables"},
    {"compare", cmd_compare, "compare two result tables cell by cell (Welch's t-test)"},
    {"view", cmd_view, "watch an environment, a rollout or a plan in a window"},
    {"bench", cmd_bench, "micro-benchmarks: nn, distance, sim, planner"},
    {NULL, NULL, NULL},
};

static const verb benches[] = {
    {"nn", bench_nn, "MLP training step and small-batch latency against bare cblas_sgemm"},
    {"distance", bench_distance, "exact smoothed distance / score against bare cblas_sgemm"},
    {"sim", bench_sim, "dataset collection against a bare mj_step loop"},
    {"planner", bench_planner, "planner iteration and MPC step times"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f) {
  fprintf(f, "usage: sgp VERB [options]   (sgp VERB --help for details)\n\nverbs:\n");
  for (const verb *v = verbs; v->name; v++) fprintf(f, "  %-9s %s\n", v->name, v->summary);
  fprintf(f, "\nversion %s, git %s\n", sgp_version(), sgp_git_revision());
}

static int cmd_bench(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    FILE *f = argc < 2 ? stderr : stdout;
    fprintf(f, "usage: sgp bench WHAT [--json]\n  e.g. sgp bench nn --json\n\n");
    for (const verb *v = benches; v->name; v++) fprintf(f, "  %-9s %s\n", v->name, v->summary);
    return argc < 2 ? 2 : 0;
  }
  for (const verb *v = benches; v->name; v++)
    if (!strcmp(v->name, argv[1])) return v->fn(argc - 1, argv + 1);
  fprintf(stderr, "sgp bench: unknown benchmark '%s' (nn, distance, sim, planner)\n", argv[1]);
  return 2;
}

int cli_error(const char *verb, const sgp_err *e) {
  fprintf(stderr, "sgp %s: %s\n", verb, e->msg);
  return 1;
}

int cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
  return 0;
}

const char *cli_opt(int argc, char **argv, const char *flag) {
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], flag)) return argv[i + 1];
  return NULL;
}

int cli_flag(int argc, char **argv, const char *flag) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], flag)) return 1;
  return 0;
}

static int in_list(const char *const *list, const char *s) {
  for (; list && *list; list++)
    if (!strcmp(*list, s)) return 1;
  return 0;
}

int cli_parse(const char *verb, int argc, char **argv, const char *const *valued,
              const char *const *boolean, int minpos, int maxpos, const char **pos, int *npos) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] == '-' && a[1] != 0 && !(a[1] >= '0' && a[1] <= '9')) {
      if (in_list(valued, a)) {
        if (i + 1 >= argc) {
          fprintf(stderr, "sgp %s: option %s needs a value (see sgp %s --help)\n", verb, a, verb);
          return 2;
        }
        i++;
      } else if (!in_list(boolean, a) && strcmp(a, "-h") && strcmp(a, "--help")) {
        fprintf(stderr, "sgp %s: unknown option '%s' (see sgp %s --help)\n", verb, a, verb);
        return 2;
      }
    } else {
      if (n >= maxpos) {
        fprintf(stderr, "sgp %s: unexpected argument '%s' (see sgp %s --help)\n", verb, a, verb);
        return 2;
      }
      if (pos) pos[n] = a;
      n++;
    }
  }
  if (n < minpos) {
    fprintf(stderr, "sgp %s: missing argument (see sgp %s --help)\n", verb, verb);
    return 2;
  }
  if (npos) *npos = n;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("sgp %s (git %s, %s, %s)\n", sgp_version(), sgp_git_revision(), sgp_compiler(),
           sgp_build_type());
    return 0;
  }
  for (const verb *v = verbs; v->name; v++)
    if (!strcmp(v->name, argv[1])) return v->fn(argc - 1, argv + 1);
  fprintf(stderr, "sgp: unknown verb '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
