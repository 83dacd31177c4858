/* The generic supervised training loop every learned model uses (agents/train.c). */
#ifndef SGP_AGENTS_TRAIN_H
#define SGP_AGENTS_TRAIN_H

#include "core/err.h"
#include "core/json.h"
#include "core/rng.h"

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One loop for every learned model (score, DDE, dynamics, ensemble members, cost): the model
 * supplies its rows and a callback that computes the mean loss of a batch of rows and its
 * parameter gradient; the trainer owns everything else:
 *   - a seeded split of the rows into training and a real held-out validation set;
 *   - a fresh shuffle of the training rows every epoch;
 *   - AdamW (core/adam.c) with optional gradient clipping, learning rate decayed by one cosine
 *     from lr to lr_min over the whole run (never restarted: METHOD §7);
 *   - after every epoch the validation loss (with the same noise every time, so epochs compare);
 *     the parameters with the best validation loss are kept and restored at the end;
 *   - a progress bar on stderr; bit-identical results for a seed (with a fixed BLAS thread count).
 * Streams derived from the seed: "split", "shuffle", "noise" (training batches), "val" (validation,
 * reset before every validation pass). The model initialises its own parameters (stream "init"). */

typedef struct train_cfg {
  int epochs;          /* passes over the training rows (default 100) */
  int batch;           /* rows per step (default 256; capped at the number of training rows) */
  float lr, lr_min;    /* cosine decay from lr to lr_min (defaults 1e-3, 1e-5) */
  float weight_decay;  /* decoupled (AdamW); default 0 */
  float clip_norm;     /* > 0: clip the global gradient norm; default 0 (off) */
  float val_fraction;  /* held-out fraction of the rows, in [0, 0.9] (default 0.1; 0: no validation,
                          the last epoch is kept) */
  int val_repeats;     /* validation passes per epoch, each with fresh noise (default 1): for noisy
                          losses (DSM) a small validation set otherwise picks a lucky epoch */
  uint64_t seed;       /* default 0 */
  int progress;        /* 1: progress bar on stderr when it is a terminal (default 1) */
} train_cfg;

train_cfg train_defaults(void);
/* Reads a "train" object {"epochs","batch","lr","lr_min","weight_decay","clip_norm","val_fraction",
 * "val_repeats","seed"}: unknown keys rejected, defaults inserted (so the resolved config is saved). */
int train_cfg_read(sgp_cfg *c, train_cfg *out, sgp_err *e);
cJSON *train_cfg_json(const train_cfg *c);

/* Mean loss over rows[0..B-1] (B <= the configured batch). grad != NULL: overwrite grad (nparams
 * floats) with the gradient of that mean. grad == NULL: evaluation only (validation). noise: the
 * stream for any randomness of the loss (DSM noise, sampled levels). Must not allocate. */
typedef double (*train_loss_fn)(void *self, int B, const int64_t *rows, sgp_rng *noise, float *grad);

typedef struct train_task {
  const char *label;   /* progress bar label, e.g. "score" */
  int64_t nrows;       /* rows 0..nrows-1 of the model's training data */
  size_t nparams;
  float *params;       /* trained in place; on return holds the kept (best-on-validation) parameters */
  void *self;
  train_loss_fn loss;
} train_task;

typedef struct train_result {
  int epochs;          /* epochs run */
  int best_epoch;      /* 1-based epoch whose parameters were kept */
  long steps;
  int64_t ntrain, nval;
  double best_val;     /* validation loss of the kept parameters (NAN without validation) */
  double last_train;   /* mean training loss of the last epoch */
  double seconds, samples_per_s;
  double *train_loss, *val_loss; /* per epoch (epochs values each; val NAN without validation) */
} train_result;

/* Runs the loop. Fails (parameters then undefined) on a non-finite loss, naming epoch and step. */
int train_run(const train_task *t, const train_cfg *c, train_result *r, sgp_err *e);
void train_result_free(train_result *r);
/* {"epochs","best_epoch","steps","ntrain","nval","best_val","last_train","seconds",
 *  "samples_per_s","train_loss":[...],"val_loss":[...]} */
cJSON *train_result_json(const train_result *r);

#ifdef __cplusplus
}
#endif
#endif
