/* sgp: the command-line program. Verbs read like the pipeline:
 *   sgp collect -> sgp train -> sgp eval -> sgp sweep -> sgp compare / sgp view
 * Each verb lives in bench/cmd_<verb>.c; this file only dispatches. */
#include "bench/cli.h"
#include "envs/env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct verb {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
} verb;

static int cmd_bench(int argc, char **argv);

static const verb verbs[] = {
    {"list", cmd_list, "list the registered environments and agents"},
    {"collect", cmd_collect, "collect an offline dataset from an environment"},
    {"import", cmd_import, "convert a D4RL or Minari HDF5 dataset into a dataset directory"},
    {"check", cmd_check, "validate a dataset directory or a model file"},
    {"train", cmd_train, "train a model (score, dynamics, ensemble, cost, dde) or a behaviour policy"},
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

static const char *verb_name_at(const void *table, int i) { return ((const verb *)table)[i].name; }

static int cmd_bench(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    FILE *f = argc < 2 ? stderr : stdout;
    fprintf(f, "usage: sgp bench WHAT [--json]\n  e.g. sgp bench nn --json\n\n");
    for (const verb *v = benches; v->name; v++) fprintf(f, "  %-9s %s\n", v->name, v->summary);
    return argc < 2 ? 2 : 0;
  }
  for (const verb *v = benches; v->name; v++)
    if (!strcmp(v->name, argv[1])) return v->fn(argc - 1, argv + 1);
  sgp_err e;
  sgp_fail_unknown(&e, "benchmark", argv[1], (int)(sizeof benches / sizeof benches[0]) - 1, verb_name_at, benches);
  fprintf(stderr, "sgp bench: %s\n", e.msg);
  return 2;
}

/* Levenshtein distance, capped at 8 (names are short). */
static int edit_distance(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  if (na > 32 || nb > 32) return 8;
  int d[33][33];
  for (size_t i = 0; i <= na; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= nb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= na; i++)
    for (size_t j = 1; j <= nb; j++) {
      int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]), del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
      d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
  return d[na][nb] > 8 ? 8 : d[na][nb];
}

const char *cli_nearest(const char *s, const char *const *names, int n) {
  const char *best = NULL;
  int bd = 3;
  for (int i = 0; i < n; i++) {
    int d = edit_distance(s, names[i]);
    if (d < bd && 2 * d < (int)strlen(s)) bd = d, best = names[i];
  }
  return best;
}

int cli_unknown_env(const char *verb, const char *name) {
  const char *names[64];
  int n = env_count() < 64 ? env_count() : 64;
  for (int i = 0; i < n; i++) names[i] = env_at(i)->name;
  const char *near = cli_nearest(name, names, n);
  fprintf(stderr, "sgp %s: unknown environment '%s'", verb, name);
  if (near) fprintf(stderr, " (did you mean '%s'?)", near);
  char list[512];
  sgp_join_names(list, sizeof list, n, sgp_name_in_list, names);
  fprintf(stderr, "; registered: %s (sgp list)\n", list);
  return 2;
}

int cli_prepare_out(const char *verb, const char *path, int is_dir) {
  sgp_err e = {{0}};
  char *parent = sgp_strdup(path);
  size_t k = strlen(parent);
  while (k > 1 && parent[k - 1] == '/') parent[--k] = 0;
  char *slash = strrchr(parent, '/');
  if (slash) *slash = 0;
  const char *dir = !slash ? "." : slash == parent ? "/" : parent;
  struct stat st;
  int rc = 0;
  if (k == 0) rc = sgp_fail(&e, "--out: empty path");
  else if (sgp_mkdirs(dir, &e)) rc = sgp_fail_prefix(&e, "%s", path);
  else if (access(dir, W_OK | X_OK) != 0) rc = sgp_fail(&e, "%s: cannot write into %s: %s", path, dir, strerror(errno));
  else if (!is_dir && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) rc = sgp_fail(&e, "%s: cannot write: Is a directory", path);
  else if (is_dir && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) /* files would land where it points */
    rc = sgp_fail(&e, "%s: is a symbolic link; not writing through it", path);
  if (rc == 0) sgp_clean_stale(dir, NULL);
  free(parent);
  return rc ? cli_error(verb, &e) : 0;
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

/* The positional arguments of each verb, as their usage lines name them (for "missing ENV"). */
static const struct {
  const char *verb, *names[3];
} positionals[] = {
    {"collect", {"ENV"}},          {"import", {"FORMAT", "FILE"}}, {"train", {"KIND"}}, {"check", {"PATH"}},       {"sweep", {"FILE.json"}},
    {"compare", {"A/table.json", "B/table.json"}},      {"view", {"ENV"}},         {NULL, {NULL}},
};

static const char *positional_name(const char *verb, int i) {
  for (int k = 0; positionals[k].verb; k++)
    if (!strcmp(positionals[k].verb, verb)) return i < 3 ? positionals[k].names[i] : NULL;
  return NULL;
}

/* " (did you mean '--x'?)" for an unknown option near a known one, else "". */
static void suggest_option(const char *a, const char *const *valued, const char *const *boolean, char *out, size_t cap) {
  const char *names[64];
  int n = 0;
  for (const char *const *l = valued; l && *l && n < 64; l++) names[n++] = *l;
  for (const char *const *l = boolean; l && *l && n < 64; l++) names[n++] = *l;
  const char *near = cli_nearest(a, names, n);
  if (near) snprintf(out, cap, " (did you mean '%s'?)", near);
  else out[0] = 0;
}

int cli_require(const char *verb, int argc, char **argv, const char *const *required) {
  for (const char *const *r = required; *r; r++)
    if (!cli_opt(argc, argv, *r)) {
      fprintf(stderr, "sgp %s: missing %s (required:", verb, *r);
      for (const char *const *q = required; *q; q++) fprintf(stderr, " %s", *q);
      fprintf(stderr, "; see sgp %s --help)\n", verb);
      return 2;
    }
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
        char hint[96];
        suggest_option(a, valued, boolean, hint, sizeof hint);
        fprintf(stderr, "sgp %s: unknown option '%s'%s (see sgp %s --help)\n", verb, a, hint, verb);
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
    const char *name = positional_name(verb, n);
    if (name) fprintf(stderr, "sgp %s: missing %s (see sgp %s --help)\n", verb, name, verb);
    else fprintf(stderr, "sgp %s: missing argument %d of %d (see sgp %s --help)\n", verb, n + 1, minpos, verb);
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
  const char *names[32];
  int n = 0;
  for (const verb *v = verbs; v->name && n < 32; v++) names[n++] = v->name;
  const char *near = cli_nearest(argv[1], names, n);
  if (near) fprintf(stderr, "sgp: unknown verb '%s' (did you mean '%s'?)\n\n", argv[1], near);
  else fprintf(stderr, "sgp: unknown verb '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
