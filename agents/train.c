/* The generic supervised training loop shared by every learned model (METHOD §7: we shuffle every
 * epoch, hold out a real validation split and decay the learning rate once over the whole run).
 *
 *   split rows (stream "split") -> ntrain training rows, nval validation rows
 *   for epoch = 1..E:
 *     shuffle the training rows (stream "shuffle")
 *     for each batch: loss, gradient (model callback, stream "noise"); AdamW step at the cosine lr
 *     validation loss over all validation rows (stream "val", reset: the same noise every epoch)
 *     keep a copy of the parameters if the validation loss is the best so far
 *   restore the kept parameters
 */
#include "agents/train.h"
#include "core/adam.h"
#include "core/err.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

train_cfg train_defaults(void) {
  train_cfg c;
  memset(&c, 0, sizeof c);
  c.epochs = 100;
  c.batch = 256;
  c.lr = 1e-3f;
  c.lr_min = 1e-5f;
  c.weight_decay = 0.0f;
  c.clip_norm = 0.0f;
  c.val_fraction = 0.1f;
  c.val_repeats = 1;
  c.seed = 0;
  c.progress = 1;
  return c;
}

int train_cfg_read(sgp_cfg *c, train_cfg *out, sgp_err *e) {
  static const char *const keys[] = {"epochs", "batch", "lr", "lr_min", "weight_decay", "clip_norm",
                                     "val_fraction", "val_repeats", "seed", NULL};
  if (sgp_cfg_check_keys(c, keys, e) != 0) return -1;
  train_cfg t = train_defaults();
  long v;
  if (sgp_cfg_int_opt(c, "epochs", 1, 1000000, t.epochs, &v, e) != 0) return -1;
  t.epochs = (int)v;
  if (sgp_cfg_int_opt(c, "batch", 1, 1 << 20, t.batch, &v, e) != 0) return -1;
  t.batch = (int)v;
  if (sgp_cfg_float_opt(c, "lr", t.lr, &t.lr, e) != 0) return -1;
  if (sgp_cfg_float_opt(c, "lr_min", t.lr_min, &t.lr_min, e) != 0) return -1;
  if (sgp_cfg_float_opt(c, "weight_decay", t.weight_decay, &t.weight_decay, e) != 0) return -1;
  if (sgp_cfg_float_opt(c, "clip_norm", t.clip_norm, &t.clip_norm, e) != 0) return -1;
  if (sgp_cfg_float_opt(c, "val_fraction", t.val_fraction, &t.val_fraction, e) != 0) return -1;
  if (sgp_cfg_int_opt(c, "val_repeats", 1, 1000, t.val_repeats, &v, e) != 0) return -1;
  t.val_repeats = (int)v;
  if (sgp_cfg_int_opt(c, "seed", 0, 9007199254740991L, 0, &v, e) != 0) return -1;
  t.seed = (uint64_t)v;
  if (!(t.lr > 0) || !isfinite(t.lr)) return sgp_fail(e, "%s: %s/lr: must be positive", c->file, c->path);
  if (!(t.lr_min >= 0) || t.lr_min > t.lr)
    return sgp_fail(e, "%s: %s/lr_min: must be in [0, lr]", c->file, c->path);
  if (!(t.weight_decay >= 0) || !isfinite(t.weight_decay))
    return sgp_fail(e, "%s: %s/weight_decay: must be >= 0", c->file, c->path);
  if (!(t.clip_norm >= 0) || !isfinite(t.clip_norm))
    return sgp_fail(e, "%s: %s/clip_norm: must be >= 0", c->file, c->path);
  if (!(t.val_fraction >= 0 && t.val_fraction <= 0.9f))
    return sgp_fail(e, "%s: %s/val_fraction: must be in [0, 0.9]", c->file, c->path);
  *out = t;
  return 0;
}

cJSON *train_cfg_json(const train_cfg *c) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "epochs", c->epochs);
  cJSON_AddNumberToObject(j, "batch", c->batch);
  cJSON_AddNumberToObject(j, "lr", c->lr);
  cJSON_AddNumberToObject(j, "lr_min", c->lr_min);
  cJSON_AddNumberToObject(j, "weight_decay", c->weight_decay);
  cJSON_AddNumberToObject(j, "clip_norm", c->clip_norm);
  cJSON_AddNumberToObject(j, "val_fraction", c->val_fraction);
  cJSON_AddNumberToObject(j, "val_repeats", c->val_repeats);
  cJSON_AddNumberToObject(j, "seed", (double)c->seed);
  return j;
}

void train_result_free(train_result *r) {
  if (!r) return;
  free(r->train_loss);
  free(r->val_loss);
  r->train_loss = r->val_loss = NULL;
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

cJSON *train_result_json(const train_result *r) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "epochs", r->epochs);
  cJSON_AddNumberToObject(j, "best_epoch", r->best_epoch);
  cJSON_AddNumberToObject(j, "steps", (double)r->steps);
  cJSON_AddNumberToObject(j, "ntrain", (double)r->ntrain);
  cJSON_AddNumberToObject(j, "nval", (double)r->nval);
  cJSON_AddItemToObject(j, "best_val", num_or_null(r->best_val));
  cJSON_AddItemToObject(j, "last_train", num_or_null(r->last_train));
  /* wall time and throughput would make the file differ from run to run: kept in the result
   * struct for the caller to print, not saved */
  cJSON *tl = cJSON_AddArrayToObject(j, "train_loss"), *vl = cJSON_AddArrayToObject(j, "val_loss");
  for (int k = 0; k < r->epochs; k++) {
    cJSON_AddItemToArray(tl, num_or_null(r->train_loss[k]));
    cJSON_AddItemToArray(vl, num_or_null(r->val_loss[k]));
  }
  return j;
}

/* Mean loss over the validation rows (repeats passes), in batches, with the validation stream
 * reset: every epoch sees the same noise, so their losses differ by the parameters only. */
static double validate(const train_task *t, const int64_t *rows, int64_t n, int batch, int repeats,
                       uint64_t seed) {
  sgp_rng r;
  sgp_rng_stream(&r, seed, "val");
  double sum = 0;
  for (int rep = 0; rep < repeats; rep++)
    for (int64_t i = 0; i < n; i += batch) {
      int B = (int)(n - i < batch ? n - i : batch);
      sum += t->loss(t->self, B, rows + i, &r, NULL) * B;
    }
  return sum / ((double)n * repeats);
}

/* Fisher-Yates over 64-bit row indices. */
static void shuffle_rows(int64_t *rows, int64_t n, sgp_rng *r) {
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)sgp_rng_below(r, (uint64_t)i + 1);
    int64_t tmp = rows[i];
    rows[i] = rows[j];
    rows[j] = tmp;
  }
}

/* The state of one run of the loop. */
typedef struct trainer {
  const train_task *t;
  const train_cfg *c;
  int64_t *all;        /* a seeded permutation of the rows: the first nval validate */
  const int64_t *val;
  int64_t *tr;         /* the training rows, reshuffled every epoch */
  int64_t ntrain, nval;
  int batch;
  long nbatches, total, step;
  sgp_adam *adam;
  float *grad, *best;  /* the gradient of a batch; the parameters kept so far */
  sgp_rng shuffle, noise;
  sgp_progress pb;
  char extra[160];     /* the progress bar's note */
} trainer;

/* The split into training and validation rows, the optimiser, the streams, the progress bar. */
static void trainer_init(trainer *T, const train_task *t, const train_cfg *c, train_result *res) {
  memset(T, 0, sizeof *T);
  T->t = t, T->c = c;
  int64_t n = t->nrows;
  T->nval = (int64_t)floor((double)c->val_fraction * (double)n);
  if (c->val_fraction > 0 && T->nval < 1 && n >= 2) T->nval = 1;
  T->ntrain = n - T->nval;
  T->all = sgp_malloc(sizeof(int64_t) * (size_t)n);
  for (int64_t i = 0; i < n; i++) T->all[i] = i;
  sgp_rng rs;
  sgp_rng_stream(&rs, c->seed, "split");
  shuffle_rows(T->all, n, &rs);
  T->val = T->all;
  T->tr = T->all + T->nval;
  T->batch = (int)(c->batch < T->ntrain ? c->batch : T->ntrain);
  T->nbatches = (long)((T->ntrain + T->batch - 1) / T->batch);
  T->total = T->nbatches * c->epochs;
  sgp_adam_cfg ac = sgp_adam_defaults();
  ac.lr = c->lr;
  ac.weight_decay = c->weight_decay;
  ac.decoupled = 1;
  ac.clip_norm = c->clip_norm;
  T->adam = sgp_adam_create(t->nparams, &ac);
  T->grad = sgp_falloc(t->nparams);
  T->best = sgp_falloc(t->nparams);
  memcpy(T->best, t->params, t->nparams * sizeof(float));
  res->train_loss = sgp_malloc(sizeof(double) * c->epochs);
  res->val_loss = sgp_malloc(sizeof(double) * c->epochs);
  res->ntrain = T->ntrain;
  res->nval = T->nval;
  res->best_val = NAN;
  res->best_epoch = 0;
  sgp_rng_stream(&T->shuffle, c->seed, "shuffle");
  sgp_rng_stream(&T->noise, c->seed, "noise");
  sgp_progress_begin(&T->pb, t->label, T->total);
  if (!c->progress) T->pb.enabled = 0;
}

static void trainer_free(trainer *T) {
  sgp_adam_free(T->adam);
  free(T->grad);
  free(T->best);
  free(T->all);
}

/* One pass over the (reshuffled) training rows, an Adam step per batch at the cosine learning
 * rate. *mean: the mean training loss. Fails on a non-finite loss or gradient. */
static int train_epoch(trainer *T, int ep, double *mean, sgp_err *e) {
  const train_task *t = T->t;
  shuffle_rows(T->tr, T->ntrain, &T->shuffle);
  double sum = 0;
  for (long bi = 0; bi < T->nbatches; bi++) {
    int64_t i0 = bi * (int64_t)T->batch;
    int B = (int)(T->ntrain - i0 < T->batch ? T->ntrain - i0 : T->batch);
    double loss = t->loss(t->self, B, T->tr + i0, &T->noise, T->grad);
    if (!isfinite(loss) || !sgp_all_finite_f(T->grad, t->nparams))
      return sgp_fail(e, "%s: training diverged at epoch %d, step %ld (loss %g)", t->label, ep + 1, T->step, loss);
    float lr = sgp_cosine_lr(T->c->lr, T->c->lr_min, T->step, T->total);
    sgp_adam_step(T->adam, t->params, T->grad, lr);
    sum += loss * B;
    T->step++;
    sgp_progress_update(&T->pb, T->step, T->extra);
  }
  *mean = sum / (double)T->ntrain;
  return 0;
}

/* After an epoch: its losses, the parameters kept if validation improved, the progress note. */
static int end_epoch(trainer *T, int ep, double tl, train_result *res, sgp_err *e) {
  const train_cfg *c = T->c;
  int64_t nval = T->nval;
  double vl = nval > 0 ? validate(T->t, T->val, nval, T->batch, c->val_repeats < 1 ? 1 : c->val_repeats, c->seed)
                       : NAN;
  res->train_loss[ep] = tl;
  res->val_loss[ep] = vl;
  res->epochs = ep + 1;
  res->last_train = tl;
  if (nval > 0 && !isfinite(vl)) return sgp_fail(e, "%s: validation loss is not finite at epoch %d", T->t->label, ep + 1);
  if (nval == 0 || !(vl >= res->best_val)) { /* also true while best_val is NAN */
    res->best_val = vl;
    res->best_epoch = ep + 1;
    memcpy(T->best, T->t->params, T->t->nparams * sizeof(float));
  }
  if (nval > 0)
    snprintf(T->extra, sizeof T->extra, "epoch %d/%d train %.4g val %.4g best %.4g@%d", ep + 1, c->epochs, tl, vl,
             res->best_val, res->best_epoch);
  else
    snprintf(T->extra, sizeof T->extra, "epoch %d/%d train %.4g", ep + 1, c->epochs, tl);
  sgp_progress_update(&T->pb, T->step, T->extra);
  return 0;
}

/* split -> per epoch: shuffle, train, validate, keep the best -> restore the best */
int train_run(const train_task *t, const train_cfg *c, train_result *res, sgp_err *e) {
  memset(res, 0, sizeof *res);
  if (t->nrows < 1) return sgp_fail(e, "%s: no training rows", t->label);
  if (c->epochs < 1 || c->batch < 1) return sgp_fail(e, "%s: epochs and batch must be >= 1", t->label);
  trainer T;
  trainer_init(&T, t, c, res);
  double t0 = sgp_now();
  int rc = 0;
  for (int ep = 0; ep < c->epochs && rc == 0; ep++) {
    double tl = 0;
    rc = train_epoch(&T, ep, &tl, e) || end_epoch(&T, ep, tl, res, e) ? -1 : 0;
  }
  sgp_progress_end(&T.pb);
  res->steps = T.step;
  res->seconds = sgp_now() - t0;
  res->samples_per_s = res->seconds > 0 ? (double)T.ntrain * res->epochs / res->seconds : 0;
  if (rc == 0) memcpy(t->params, T.best, t->nparams * sizeof(float));
  trainer_free(&T);
  if (rc) train_result_free(res);
  return rc;
}
