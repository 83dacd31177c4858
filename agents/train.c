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

int train_run(const train_task *t, const train_cfg *c, train_result *res, sgp_err *e) {
  memset(res, 0, sizeof *res);
  if (t->nrows < 1) return sgp_fail(e, "%s: no training rows", t->label);
  if (c->epochs < 1 || c->batch < 1) return sgp_fail(e, "%s: epochs and batch must be >= 1", t->label);

  /* the split: a seeded permutation; the first nval rows validate */
  int64_t n = t->nrows;
  int64_t nval = (int64_t)floor((double)c->val_fraction * (double)n);
  if (c->val_fraction > 0 && nval < 1 && n >= 2) nval = 1;
  int64_t ntrain = n - nval;
  int64_t *all = sgp_malloc(sizeof(int64_t) * (size_t)n);
  for (int64_t i = 0; i < n; i++) all[i] = i;
  sgp_rng rs;
  sgp_rng_stream(&rs, c->seed, "split");
  for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates, 64-bit */
    int64_t j = (int64_t)sgp_rng_below(&rs, (uint64_t)i + 1);
    int64_t tmp = all[i];
    all[i] = all[j];
    all[j] = tmp;
  }
  const int64_t *val = all;
  int64_t *tr = all + nval;

  const int batch = (int)(c->batch < ntrain ? c->batch : ntrain);
  const long nbatches = (long)((ntrain + batch - 1) / batch);
  const long total = nbatches * c->epochs;

  sgp_adam_cfg ac = sgp_adam_defaults();
  ac.lr = c->lr;
  ac.weight_decay = c->weight_decay;
  ac.decoupled = 1;
  ac.clip_norm = c->clip_norm;
  sgp_adam *adam = sgp_adam_create(t->nparams, &ac);
  float *grad = sgp_falloc(t->nparams);
  float *best = sgp_falloc(t->nparams);
  memcpy(best, t->params, t->nparams * sizeof(float));

  res->train_loss = sgp_malloc(sizeof(double) * c->epochs);
  res->val_loss = sgp_malloc(sizeof(double) * c->epochs);
  res->ntrain = ntrain;
  res->nval = nval;
  res->best_val = NAN;
  res->best_epoch = 0;

  sgp_rng shuffle, noise;
  sgp_rng_stream(&shuffle, c->seed, "shuffle");
  sgp_rng_stream(&noise, c->seed, "noise");
  sgp_progress pb;
  sgp_progress_begin(&pb, t->label, total);
  if (!c->progress) pb.enabled = 0;

  double t0 = sgp_now();
  long step = 0;
  int rc = 0;
  char extra[160] = "";
  for (int ep = 0; ep < c->epochs && rc == 0; ep++) {
    for (int64_t i = ntrain - 1; i > 0; i--) {
      int64_t j = (int64_t)sgp_rng_below(&shuffle, (uint64_t)i + 1);
      int64_t tmp = tr[i];
      tr[i] = tr[j];
      tr[j] = tmp;
    }
    double sum = 0;
    for (long bi = 0; bi < nbatches; bi++) {
      int64_t i0 = bi * (int64_t)batch;
      int B = (int)(ntrain - i0 < batch ? ntrain - i0 : batch);
      double loss = t->loss(t->self, B, tr + i0, &noise, grad);
      if (!isfinite(loss) || !sgp_all_finite_f(grad, t->nparams)) {
        rc = sgp_fail(e, "%s: training diverged at epoch %d, step %ld (loss %g)", t->label, ep + 1, step, loss);
        break;
      }
      float lr = sgp_cosine_lr(c->lr, c->lr_min, step, total);
      sgp_adam_step(adam, t->params, grad, lr);
      sum += loss * B;
      step++;
      sgp_progress_update(&pb, step, extra);
    }
    if (rc) break;
    double tl = sum / (double)ntrain;
    double vl = nval > 0 ? validate(t, val, nval, batch, c->val_repeats < 1 ? 1 : c->val_repeats, c->seed) : NAN;
    res->train_loss[ep] = tl;
    res->val_loss[ep] = vl;
    res->epochs = ep + 1;
    res->last_train = tl;
    if (nval > 0 && !isfinite(vl)) {
      rc = sgp_fail(e, "%s: validation loss is not finite at epoch %d", t->label, ep + 1);
      break;
    }
    if (nval == 0 || !(vl >= res->best_val)) { /* also true while best_val is NAN */
      res->best_val = vl;
      res->best_epoch = ep + 1;
      memcpy(best, t->params, t->nparams * sizeof(float));
    }
    if (nval > 0)
      snprintf(extra, sizeof extra, "epoch %d/%d train %.4g val %.4g best %.4g@%d", ep + 1, c->epochs, tl, vl,
               res->best_val, res->best_epoch);
    else
      snprintf(extra, sizeof extra, "epoch %d/%d train %.4g", ep + 1, c->epochs, tl);
    sgp_progress_update(&pb, step, extra);
  }
  sgp_progress_end(&pb);
  res->steps = step;
  res->seconds = sgp_now() - t0;
  res->samples_per_s = res->seconds > 0 ? (double)ntrain * res->epochs / res->seconds : 0;
  if (rc == 0) memcpy(t->params, best, t->nparams * sizeof(float));
  sgp_adam_free(adam);
  free(grad);
  free(best);
  free(all);
  if (rc) train_result_free(res);
  return rc;
}
