/* sgp train KIND: the kinds of model the verb can train (bench/cmd_train.c keeps the table).
 *
 * Adding a kind = one line in the table of bench/cmd_train.c plus one function of type
 * train_kind_fn (in its own bench/train_<kind>.c). Before calling it the verb has parsed the
 * arguments, loaded the config (with --seed written into /train/seed, so the saved config says
 * what ran), loaded the data (a dataset directory, or for kinds that accept them a plain N x D
 * float32 .npy of points) and set the BLAS threads. The kind reads its config through a->cfg
 * (unknown keys rejected, defaults inserted, so a->resolved is the resolved config), trains with
 * the generic trainer (agents/train.c), calls a->report (if set) with the train_result, and writes
 * a->out with a->resolved, a->dataset_json and the train_result as metadata (agents/model_file.c). */
#ifndef SGP_TRAIN_KINDS_H
#define SGP_TRAIN_KINDS_H

#include "agents/train.h"
#include "bench/cli.h"
#include "datasets/dataset.h"

typedef struct train_kind_args {
  const char *kind;
  const char *data_dir;        /* --data as given (for messages) */
  const ds_data *data;         /* the dataset; NULL when --data is a .npy of points */
  const sgp_array *points;     /* N x D float32 points; NULL for a dataset */
  sgp_cfg *cfg;                /* the config's root object (file = the config file) */
  const cJSON *resolved;       /* the config tree (resolved in place while read): save this */
  const cJSON *dataset_json;   /* what the model file records about the data: path, sizes, SHA-256 */
  const uint64_t *seed;        /* --seed, or NULL (already written into /train/seed) */
  int progress;                /* progress bar wanted (train_cfg.progress) */
  const char *out;             /* the model file to write */
  void (*report)(void *self, const train_result *res); /* may be NULL */
  void *report_self;
} train_kind_args;

typedef int (*train_kind_fn)(const train_kind_args *a, sgp_err *e);

/* Rejects top-level keys other than "kind", "net", "train" and `extra` (NULL-terminated, may be
 * NULL); "kind", if present, must name this kind. */
int train_kind_check_keys(const train_kind_args *a, const char *const *extra, sgp_err *e);
/* The "train" object (defaults inserted), with --seed and the progress wish applied. */
int train_kind_read_train(const train_kind_args *a, train_cfg *tc, sgp_err *e);

/* kinds (bench/cmd_train.c: score, dde; bench/train_dynamics.c: dynamics, ensemble, cost) */
int train_kind_score(const train_kind_args *a, sgp_err *e);
int train_kind_dde(const train_kind_args *a, sgp_err *e);
int train_kind_dynamics(const train_kind_args *a, sgp_err *e);
int train_kind_ensemble(const train_kind_args *a, sgp_err *e);
int train_kind_cost(const train_kind_args *a, sgp_err *e);

#endif
