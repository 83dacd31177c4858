/* Learned scores by denoising score matching (METHOD §3): single σ and noise-conditional (NCSN).
 *
 * Read top to bottom: configuration and noise levels, the model, the DSM loss (the callback the
 * generic trainer drives), evaluation in physical units, annealed Langevin sampling, model files.
 *
 * Units. Everything inside is in normalised coordinates z̄ = (z − shift)/scale; the noise level σ_l
 * is in those units (column k of x' gets a_k σ_l with a_k = α). The network output is
 *   s̄ = net(z̃, l)                  ("output": "score")
 *   s̄_k = net_k(z̃, l) / (a_k σ_l)   ("output": "scaled", NCSNv2's parameterisation)
 * and the physical score is s_k = s̄_k / scale_k.
 */
#include "agents/model_common.h"
#include "agents/score.h"
#include "core/err.h"
#include "core/json.h"
#include "core/nn.h"
#include "core/norm.h"
#include "core/rng.h"
#include "core/safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sched_names[] = {"geometric", "cosine"};
static const char *const loss_names[] = {"sum", "sample", "batch"};
static const char *const output_names[] = {"score", "scaled"};

/* ============================== configuration ================================================= */

int score_cfg_read(sgp_cfg *c, score_cfg *out, sgp_err *e) {
  score_cfg s;
  memset(&s, 0, sizeof s);
  int v;
  if (mc_layout_read(c, &s.layout, e)) return -1;
  long L;
  if (sgp_cfg_int_opt(c, "levels", 1, SCORE_MAX_LEVELS, 1, &L, e)) return -1;
  s.nlevels = (int)L;
  if (s.nlevels == 1) {
    if (sgp_cfg_has(c, "sigma_max") || sgp_cfg_has(c, "sigma_min") || sgp_cfg_has(c, "schedule"))
      return sgp_fail(e, "%s: %s: sigma_max / sigma_min / schedule need \"levels\" > 1 (one level: \"sigma\")",
                      c->file, c->path[0] ? c->path : "/");
    if (sgp_cfg_float_opt(c, "sigma", 0.1f, &s.sigma_max, e)) return -1;
    s.sigma_min = s.sigma_max;
    s.schedule = SCORE_GEOMETRIC;
  } else {
    if (sgp_cfg_has(c, "sigma"))
      return sgp_fail(e, "%s: %s/sigma: with \"levels\" > 1 give sigma_max and sigma_min", c->file, c->path);
    if (sgp_cfg_float_opt(c, "sigma_max", 0.31622777f, &s.sigma_max, e)) return -1;
    if (sgp_cfg_float_opt(c, "sigma_min", 0.001f, &s.sigma_min, e)) return -1;
    if (sgp_cfg_enum(c, "schedule", sched_names, 2, SCORE_GEOMETRIC, &v, e)) return -1;
    s.schedule = (score_schedule)v;
    if (!(s.sigma_min < s.sigma_max))
      return sgp_fail(e, "%s: %s/sigma_min: must be below sigma_max", c->file, c->path);
  }
  if (!(s.sigma_min > 0) || !isfinite(s.sigma_max))
    return sgp_fail(e, "%s: %s/%s: noise levels must be positive and finite", c->file, c->path,
                    s.nlevels == 1 ? "sigma" : "sigma_min");
  if (sgp_cfg_enum(c, "loss", loss_names, 3, SCORE_LOSS_SUM, &v, e)) return -1;
  s.loss = (score_loss)v;
  if (sgp_cfg_float_opt(c, "alpha", 1.0f, &s.alpha, e)) return -1;
  if (!(s.alpha > 0) || !isfinite(s.alpha)) return sgp_fail(e, "%s: %s/alpha: must be positive", c->file, c->path);
  if (s.alpha != 1.0f && s.layout != SCORE_XUX)
    return sgp_fail(e, "%s: %s/alpha: only meaningful with \"inputs\": \"xux\"", c->file, c->path);
  if (sgp_cfg_enum(c, "output", output_names, 2, s.nlevels > 1 ? 1 : 0, &v, e)) return -1;
  s.scaled_output = v;
  *out = s;
  return 0;
}

void score_sigmas(const score_cfg *c, float *sigma) {
  int L = c->nlevels;
  if (L == 1) {
    sigma[0] = c->sigma_max;
    return;
  }
  for (int l = 0; l < L; l++) {
    double t = (double)l / (L - 1);
    double s = c->schedule == SCORE_GEOMETRIC
                   ? c->sigma_max * pow((double)c->sigma_min / c->sigma_max, t)
                   : c->sigma_min + (c->sigma_max - c->sigma_min) * 0.5 * (1 + cos(M_PI * t));
    sigma[l] = (float)s;
  }
}

/* ============================== the model ===================================================== */

score_model *score_create(const score_cfg *c, const nn_arch *a, int nx, int nu, sgp_err *e) {
  int D;
  if (mc_layout_check("score", c->layout, nx, nu, &D, e)) return NULL;
  if (c->nlevels < 1 || c->nlevels > SCORE_MAX_LEVELS)
    return sgp_fail(e, "score: %d noise levels (1..%d)", c->nlevels, SCORE_MAX_LEVELS), NULL;
  if (a->nin != D || a->nout != D)
    return sgp_fail(e, "score: network maps %d -> %d, the %s input has dimension %d", a->nin, a->nout,
                    score_layout_name(c->layout), D), NULL;
  int want_cond = c->nlevels > 1 ? c->nlevels : 0;
  if (a->ncond != want_cond)
    return sgp_fail(e, "score: network has ncond = %d, %d noise levels need %d", a->ncond, c->nlevels, want_cond),
           NULL;
  if (nn_arch_check(a, e)) return NULL;
  score_model *m = sgp_calloc(1, sizeof *m);
  m->cfg = *c;
  m->dim = D;
  m->nx = nx;
  m->nu = c->layout == SCORE_POINTS ? 0 : nu;
  score_sigmas(c, m->sigma);
  m->noise_mul = sgp_falloc((size_t)D);
  for (int k = 0; k < D; k++) m->noise_mul[k] = (c->layout == SCORE_XUX && k >= nx + nu) ? c->alpha : 1.0f;
  sgp_norm_init(&m->norm, D);
  m->net = nn_create(a);
  return m;
}

void score_free(score_model *m) {
  if (!m) return;
  free(m->noise_mul);
  sgp_norm_free(&m->norm);
  nn_free(m->net);
  free(m);
}

/* ============================== DSM loss (METHOD §3) ========================================= */
/* For a row z̄ and level l:  z̃ = z̄ + σ_l a ⊙ ε,  residual r = σ_l a ⊙ s̄(z̃, l) + ε,
 * loss = ½‖r‖² (the σ_l²-weighted DSM_l), averaged over the rows and the levels used.
 * "sum": every level for every row (levels run one after the other, gradients accumulated);
 * "sample": one level per row; "batch": one level per batch. */

typedef struct dsm_task {
  score_model *m;
  const float *Zn;   /* N x D normalised data */
  nn_ws *ws;
  float *in, *eps, *out, *dy; /* maxB x D */
  int *lev;          /* maxB */
} dsm_task;

/* Forward (and backward when grad) of B rows at levels lev[]; returns the summed ½‖r‖². */
static double dsm_pass(dsm_task *t, int B, const int64_t *rows, sgp_rng *noise, float *grad, int accumulate,
                       double weight) {
  score_model *m = t->m;
  const int D = m->dim;
  const int cond = m->cfg.nlevels > 1;
  sgp_rng_fill_normal(noise, t->eps, (size_t)B * D, 0.0f, 1.0f);
  for (int b = 0; b < B; b++) {
    const float *z = t->Zn + rows[b] * D;
    float sl = m->sigma[t->lev[b]];
    for (int k = 0; k < D; k++) t->in[b * D + k] = z[k] + sl * m->noise_mul[k] * t->eps[b * D + k];
  }
  nn_forward(m->net, t->ws, B, t->in, cond ? t->lev : NULL, t->out);
  double sum = 0;
  for (int b = 0; b < B; b++) {
    float sl = m->sigma[t->lev[b]];
    for (int k = 0; k < D; k++) {
      size_t i = (size_t)b * D + k;
      /* scaled: σ a s̄ = net; else σ a s̄ = σ a net */
      float c = m->cfg.scaled_output ? 1.0f : sl * m->noise_mul[k];
      float r = c * t->out[i] + t->eps[i];
      sum += 0.5 * (double)r * r;
      t->dy[i] = (float)(weight * r * c);
    }
  }
  if (grad) nn_backward(m->net, t->ws, B, t->dy, grad, accumulate, NULL);
  return sum;
}

static double dsm_loss(void *self, int B, const int64_t *rows, sgp_rng *noise, float *grad) {
  dsm_task *t = self;
  score_model *m = t->m;
  const int L = m->cfg.nlevels;
  if (L == 1 || m->cfg.loss != SCORE_LOSS_SUM) {
    if (L == 1)
      memset(t->lev, 0, sizeof(int) * B);
    else if (m->cfg.loss == SCORE_LOSS_SAMPLE)
      for (int b = 0; b < B; b++) t->lev[b] = (int)sgp_rng_below(noise, (uint64_t)L);
    else {
      int l = (int)sgp_rng_below(noise, (uint64_t)L);
      for (int b = 0; b < B; b++) t->lev[b] = l;
    }
    return dsm_pass(t, B, rows, noise, grad, 0, 1.0 / B) / B;
  }
  double sum = 0, w = 1.0 / ((double)B * L);
  for (int l = 0; l < L; l++) {
    for (int b = 0; b < B; b++) t->lev[b] = l;
    sum += dsm_pass(t, B, rows, noise, grad, l > 0, w);
  }
  return sum * w;
}

int score_train(score_model *m, const float *Z, int64_t N, const train_cfg *tc, train_result *res, sgp_err *e) {
  const int D = m->dim;
  float *Zn = mc_normalise_data("score", &m->norm, Z, N, D, e);
  if (!Zn) return -1;
  mc_init_net(m->net, tc->seed);

  int maxB = tc->batch;
  dsm_task t;
  t.m = m;
  t.Zn = Zn;
  t.ws = nn_ws_create(&m->net->arch, maxB);
  t.in = sgp_falloc((size_t)maxB * D);
  t.eps = sgp_falloc((size_t)maxB * D);
  t.out = sgp_falloc((size_t)maxB * D);
  t.dy = sgp_falloc((size_t)maxB * D);
  t.lev = sgp_malloc(sizeof(int) * maxB);
  train_task task = {.label = "score", .nrows = N, .nparams = m->net->nparams, .params = m->net->params,
                     .self = &t, .loss = dsm_loss};
  int rc = train_run(&task, tc, res, e);
  nn_ws_free(t.ws);
  free(t.in);
  free(t.eps);
  free(t.out);
  free(t.dy);
  free(t.lev);
  free(Zn);
  return rc;
}

/* ============================== evaluation ==================================================== */

struct score_ws {
  int maxB;
  nn_ws *nn;
  float *in, *out; /* maxB x D */
  int *lev;
};

score_ws *score_ws_create(const score_model *m, int maxB) {
  score_ws *w = sgp_calloc(1, sizeof *w);
  w->maxB = maxB < 1 ? 1 : maxB;
  w->nn = nn_ws_create(&m->net->arch, w->maxB);
  w->in = sgp_falloc((size_t)w->maxB * m->dim);
  w->out = sgp_falloc((size_t)w->maxB * m->dim);
  w->lev = sgp_malloc(sizeof(int) * w->maxB);
  return w;
}

void score_ws_free(score_ws *w) {
  if (!w) return;
  nn_ws_free(w->nn);
  free(w->in);
  free(w->out);
  free(w->lev);
  free(w);
}

/* s̄ (normalised units) at level l for B normalised rows zn (B <= maxB), into sn. */
static void eval_normalised(const score_model *m, score_ws *w, int B, const float *zn, int level, float *sn) {
  const int D = m->dim;
  if (level < 0) level = 0;
  if (level >= m->cfg.nlevels) level = m->cfg.nlevels - 1;
  for (int b = 0; b < B; b++) w->lev[b] = level;
  nn_forward(m->net, w->nn, B, zn, m->cfg.nlevels > 1 ? w->lev : NULL, sn);
  if (m->cfg.scaled_output) {
    float inv = 1.0f / m->sigma[level];
    for (int b = 0; b < B; b++)
      for (int k = 0; k < D; k++) sn[b * D + k] *= inv / m->noise_mul[k];
  }
}

void score_eval(const score_model *m, score_ws *w, int B, const float *z, int level, float *s) {
  const int D = m->dim;
  for (int b0 = 0; b0 < B; b0 += w->maxB) {
    int n = B - b0 < w->maxB ? B - b0 : w->maxB;
    sgp_norm_apply(&m->norm, (size_t)n, z + (size_t)b0 * D, w->in);
    eval_normalised(m, w, n, w->in, level, w->out);
    float *sb = s + (size_t)b0 * D;
    for (int b = 0; b < n; b++) /* METHOD §3: physical score = s̄ / scale */
      for (int k = 0; k < D; k++) sb[b * D + k] = w->out[b * D + k] / m->norm.scale[k];
  }
}

/* ============================== annealed Langevin sampling =================================== */
/* Song & Ermon (2019), Algorithm 1, run in normalised coordinates:
 *   for l = 0..L−1:  a_l = ε σ_l² / σ_{L−1}²;  repeat steps:  z̄ ← z̄ + (a_l/2) s̄_l(z̄) + √a_l ξ */
void score_langevin(const score_model *m, score_ws *w, int B, float *z, int steps, float eps, sgp_rng *r) {
  const int D = m->dim, L = m->cfg.nlevels;
  const float sL = m->sigma[L - 1];
  for (int b0 = 0; b0 < B; b0 += w->maxB) {
    int n = B - b0 < w->maxB ? B - b0 : w->maxB;
    float *zb = z + (size_t)b0 * D;
    float *zn = w->in; /* the chain state; eval writes w->out */
    sgp_norm_apply(&m->norm, (size_t)n, zb, zn);
    for (int l = 0; l < L; l++) {
      float a = eps * (m->sigma[l] * m->sigma[l]) / (sL * sL);
      float sq = sqrtf(a);
      for (int t = 0; t < steps; t++) {
        /* eval_normalised reads zn and writes out: they are different buffers */
        eval_normalised(m, w, n, zn, l, w->out);
        for (size_t i = 0; i < (size_t)n * D; i++)
          zn[i] += 0.5f * a * w->out[i] + sq * (float)sgp_rng_normal(r);
      }
    }
    sgp_norm_invert(&m->norm, (size_t)n, zn, zb);
  }
}

/* ============================== model files ================================================== */

static cJSON *model_json(const score_model *m) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "dim", m->dim);
  cJSON_AddNumberToObject(j, "nx", m->nx);
  cJSON_AddNumberToObject(j, "nu", m->nu);
  cJSON_AddStringToObject(j, "inputs", score_layout_name(m->cfg.layout));
  cJSON_AddNumberToObject(j, "levels", m->cfg.nlevels);
  cJSON_AddNumberToObject(j, "sigma_max", m->cfg.sigma_max);
  cJSON_AddNumberToObject(j, "sigma_min", m->cfg.sigma_min);
  cJSON_AddStringToObject(j, "schedule", sched_names[m->cfg.schedule]);
  cJSON_AddStringToObject(j, "loss", loss_names[m->cfg.loss]);
  cJSON_AddNumberToObject(j, "alpha", m->cfg.alpha);
  cJSON_AddStringToObject(j, "output", output_names[m->cfg.scaled_output]);
  cJSON *s = cJSON_AddArrayToObject(j, "sigma");
  for (int l = 0; l < m->cfg.nlevels; l++) cJSON_AddItemToArray(s, cJSON_CreateNumber(m->sigma[l]));
  return j;
}

int score_save(const score_model *m, const char *path, const cJSON *config, const cJSON *dataset,
               const train_result *r, sgp_err *e) {
  sgp_st st;
  mc_begin(&st, "score", model_json(m), config, dataset, r);
  int rc = mf_put_mlp(&st, "net", m->net, e);
  if (!rc) rc = mf_put_norm(&st, "norm", &m->norm, e);
  if (!rc) rc = mf_put_vec(&st, "sigma", m->sigma, m->cfg.nlevels, e);
  if (!rc) rc = mf_write(path, &st, e);
  sgp_st_free(&st);
  return rc;
}

score_model *score_load(const char *path, sgp_err *e) {
  mc_file f;
  if (mc_open(&f, path, "score", e)) return NULL;
  score_model *m = NULL;
  long dim, nx, nu;
  score_cfg sc;
  if (mc_get_layout_sizes(&f.c, &dim, &nx, &nu, e)) goto fail;
  {
    /* reuse the config reader on the stored model (sigma array and sizes are extra keys) */
    cJSON *cj = cJSON_Duplicate(f.model, 1);
    const char *drop[] = {"dim", "nx", "nu", "sigma", NULL};
    for (int i = 0; drop[i]; i++) cJSON_DeleteItemFromObjectCaseSensitive(cj, drop[i]);
    cJSON_DeleteItemFromObjectCaseSensitive(cj, "levels");
    long L;
    if (sgp_cfg_int(&f.c, "levels", 1, SCORE_MAX_LEVELS, &L, e)) {
      cJSON_Delete(cj);
      goto fail;
    }
    cJSON_AddNumberToObject(cj, "levels", (double)L);
    if (L == 1) {
      cJSON *smax = cJSON_DetachItemFromObjectCaseSensitive(cj, "sigma_max");
      cJSON_DeleteItemFromObjectCaseSensitive(cj, "sigma_min");
      cJSON_DeleteItemFromObjectCaseSensitive(cj, "schedule");
      if (smax) cJSON_AddItemToObject(cj, "sigma", smax);
    }
    sgp_cfg cc = sgp_cfg_root(cj, path);
    snprintf(cc.path, sizeof cc.path, "metadata sgp.model");
    int rc = score_cfg_read(&cc, &sc, e);
    cJSON_Delete(cj);
    if (rc) goto fail;
  }
  int D = (int)dim;
  if (mc_layout_check_file(path, sc.layout, dim, nx, nu, e)) goto fail;
  f.net = mf_get_mlp(&f.st, path, "net", D, D, e);
  if (!f.net) goto fail;
  m = score_create(&sc, &f.net->arch, (int)nx, (int)nu, e);
  if (!m) {
    sgp_fail_prefix(e, "%s", path);
    goto fail;
  }
  mc_take_params(m->net, &f.net);
  if (mc_get_norm(&f.st, path, "norm", D, &m->norm, e)) goto fail;
  float sig[SCORE_MAX_LEVELS];
  if (mf_get_vec(&f.st, path, "sigma", sc.nlevels, sig, e)) goto fail;
  for (int l = 0; l < sc.nlevels; l++)
    if (fabsf(sig[l] - m->sigma[l]) > 1e-6f * m->sigma[l]) {
      sgp_fail(e, "%s: tensor 'sigma': level %d is %g, the schedule in sgp.model gives %g", path, l, sig[l],
               m->sigma[l]);
      goto fail;
    }
  mc_close(&f);
  return m;
fail:
  score_free(m);
  mc_close(&f);
  return NULL;
}

int score_check_dims(const score_model *m, const char *path, int nx, int nu, sgp_err *e) {
  return mc_layout_check_data("score", m->cfg.layout, m->dim, m->nx, m->nu, path, nx, nu, e);
}
