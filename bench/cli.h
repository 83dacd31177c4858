/* The sgp program: one function per verb (`sgp VERB ...`), each in its own file of bench/.
 * A verb returns the process exit status: 0 success, 1 error (message already printed),
 * 2 usage error. */
#ifndef SGP_CLI_H
#define SGP_CLI_H

#include "core/core.h"

int cmd_list(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_train_policy(int argc, char **argv); /* sgp train policy ENV ... */
int cmd_import(int argc, char **argv);       /* sgp import d4rl|minari ... */
int cmd_sample(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_view(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* sgp bench WHAT */
int bench_nn(int argc, char **argv);
int bench_distance(int argc, char **argv);
int bench_sim(int argc, char **argv);
int bench_planner(int argc, char **argv);

/* Prints "sgp VERB: MESSAGE" on stderr and returns 1. */
int cli_error(const char *verb, const sgp_err *e);
/* 1 if argv contains -h or --help. */
int cli_wants_help(int argc, char **argv);
/* Returns the value after `flag` in argv ("--out X"), or NULL. */
const char *cli_opt(int argc, char **argv, const char *flag);
int cli_flag(int argc, char **argv, const char *flag);
/* Validates argv[1..]: every "--x" must be in `valued` (takes the next argument) or `boolean`
 * (NULL-terminated lists, either may be NULL); at most maxpos positional arguments, at least minpos.
 * Positionals are returned in pos[]. Prints "sgp VERB: ..." and returns 2 on a usage error. */
int cli_parse(const char *verb, int argc, char **argv, const char *const *valued,
              const char *const *boolean, int minpos, int maxpos, const char **pos, int *npos);

/* Each option of `required` (NULL-terminated) must be given: else prints "sgp VERB: missing --x
 * (required: ...)" and returns 2. */
int cli_require(const char *verb, int argc, char **argv, const char *const *required);
/* The name of `names` (n of them) nearest to s in edit distance, if it is close enough to be a
 * likely typo (at most 2 edits, and fewer than half of s's length), else NULL. */
const char *cli_nearest(const char *s, const char *const *names, int n);
/* Prints "sgp VERB: unknown environment 'NAME' (did you mean 'X'?) (registered: ...)" and returns 2
 * (a usage error). */
int cli_unknown_env(const char *verb, const char *name);
/* An output path, checked before any work: its parent directory is created (mkdir -p), must be
 * writable, and loses the temporaries that dead processes left in it (sgp_clean_stale); `path`
 * itself must not be a directory unless is_dir, and a directory output (is_dir) must not be a
 * symbolic link (what it points to would be written into). Prints "sgp VERB: ..." and returns 1 on failure. */
int cli_prepare_out(const char *verb, const char *path, int is_dir);

#endif
