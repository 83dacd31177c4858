/* A learned regressor of the smoothed distance d_σ, the authors' "DDE" (METHOD §5 baseline).
 *
 * In the normalised coordinates z̄ = (z − shift)/scale of the data, the target is the exact
 *   d̄_σ(z̄) = −σ² log Σ_i exp(−‖z̄ − z̄_i‖²/(2σ²))        (METHOD §2, agents/distance.c)
 * on a fixed sample set drawn once: a share `near_fraction` at data points plus N(0, (near·σ)²)
 * noise, the rest uniform in the data's bounding box enlarged by `margin` per side. The network
 * predicts the target standardised by its mean and standard deviation; loss ½ MSE. Its gradient
 * gives the score estimate −∇d/σ² (METHOD §2), in physical units ∇_z = ∇_z̄ / scale. */
#include "agents/dde.h"
#include "agents/distance.h"
#include "agents/model_common.h"
#include "core/err.h"
#include "core/json.h"
#include "core/nn.h"
#include "core/norm.h"
#include "core/rng.h"
#include "core/safetensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int dde_cfg_read(sgp_cfg *c, dde_cfg *out, sgp_err *e) {
  dde_cfg d;
  memset(&d, 0, sizeof d);
  if (mc_layout_read(c, &d.layout, e)) return -1;
  if (sgp_cfg_float_opt(c, "sigma", 0.1f, &d.sigma, e)) return -1;
  long n;
  if (sgp_cfg_int_opt(c, "samples", 1, 1L << 30, 100000, &n, e)) return -1;
  d.nsamples = n;
  if (sgp_cfg_float_opt(c, "near_fraction", 0.5f, &d.near_fraction, e)) return -1;
  if (sgp_cfg_float_opt(c, "near", 2.0f, &d.near, e)) return -1;
  if (sgp_cfg_float_opt(c, "margin", 0.2f, &d.margin, e)) return -1;
  if (!(d.sigma > 0) || !isfinite(d.sigma)) return sgp_fail(e, "%s: %s/sigma: must be positive", c->file, c->path);
  if (!(d.near_fraction >= 0 && d.near_fraction <= 1))
    return sgp_fail(e, "%s: %s/near_fraction: must be in [0, 1]", c->file, c->path);
  if (!(d.near >= 0) || !isfinite(d.near)) return sgp_fail(e, "%s: %s/near: must be >= 0", c->file, c->path);
  if (!(d.margin >= 0) || !isfinite(d.margin)) return sgp_fail(e, "%s: %s/margin: must be >= 0", c->file, c->path);
  *out = d;
  return 0;
}

dde_model *dde_create(const dde_cfg *c, const nn_arch *a, int nx, int nu, sgp_err *e) {
  int D;
  if (mc_layout_check("dde", c->layout, nx, nu, &D, e)) return NULL;
  if (a->nin != D || a->nout != 1)
    return sgp_fail(e, "dde: network maps %d -> %d, expected %d -> 1", a->nin, a->nout, D), NULL;
  if (a->ncond != 0) return sgp_fail(e, "dde: network has ncond = %d, expected 0", a->ncond), NULL;
  if (nn_arch_check(a, e)) return NULL;
  dde_model *m = sgp_calloc(1, sizeof *m);
  m->cfg = *c;
  m->dim = D;
  m->nx = nx;
  m->nu = c->layout == SCORE_POINTS ? 0 : nu;
  sgp_norm_init(&m->norm, D);
  m->out_shift = 0;
  m->out_scale = 1;
  m->net = nn_create(a);
  return m;
}

void dde_free(dde_model *m) {
  if (!m) return;
  sgp_norm_free(&m->norm);
  nn_free(m->net);
  free(m);
}

/* ============================== training ===================================================== */

typedef struct dde_task {
  dde_model *m;
  const float *X, *t; /* samples (normalised, nsamples x D) and standardised targets */
  nn_ws *ws;
  float *in, *out, *dy;
} dde_task;

static double dde_loss(void *self, int B, const int64_t *rows, sgp_rng *noise, float *grad) {
  (void)noise;
  dde_task *t = self;
  const int D = t->m->dim;
  for (int b = 0; b < B; b++) memcpy(t->in + (size_t)b * D, t->X + rows[b] * D, sizeof(float) * D);
  nn_forward(t->m->net, t->ws, B, t->in, NULL, t->out);
  double sum = 0;
  for (int b = 0; b < B; b++) {
    float r = t->out[b] - t->t[rows[b]];
    sum += 0.5 * (double)r * r;
    t->dy[b] = r / (float)B;
  }
  if (grad) nn_backward(t->m->net, t->ws, B, t->dy, grad, 0, NULL);
  return sum / B;
}

int dde_train(dde_model *m, const float *Z, int64_t N, const train_cfg *tc, train_result *res, sgp_err *e) {
  const int D = m->dim;
  float *Zn = mc_normalise_data("dde", &m->norm, Z, N, D, e);
  if (!Zn) return -1;

  /* the sample set: near data, and uniform in the enlarged bounding box */
  const int64_t S = m->cfg.nsamples;
  const float sigma = m->cfg.sigma;
  float *X = sgp_falloc((size_t)S * D), *T = sgp_falloc((size_t)S);
  float *lo = sgp_falloc((size_t)D), *hi = sgp_falloc((size_t)D);
  for (int k = 0; k < D; k++) lo[k] = hi[k] = Zn[k];
  for (int64_t i = 1; i < N; i++)
    for (int k = 0; k < D; k++) {
      float v = Zn[i * D + k];
      lo[k] = v < lo[k] ? v : lo[k];
      hi[k] = v > hi[k] ? v : hi[k];
    }
  for (int k = 0; k < D; k++) {
    float w = hi[k] - lo[k];
    if (w < 4 * sigma) w = 4 * sigma; /* a flat dimension still gets some spread */
    float c = 0.5f * (hi[k] + lo[k]);
    lo[k] = c - (0.5f + m->cfg.margin) * w;
    hi[k] = c + (0.5f + m->cfg.margin) * w;
  }
  sgp_rng rs;
  sgp_rng_stream(&rs, tc->seed, "samples");
  int64_t nnear = (int64_t)llround((double)m->cfg.near_fraction * (double)S);
  for (int64_t i = 0; i < S; i++) {
    float *x = X + i * D;
    if (i < nnear) {
      const float *z = Zn + (int64_t)sgp_rng_below(&rs, (uint64_t)N) * D;
      for (int k = 0; k < D; k++) x[k] = z[k] + m->cfg.near * sigma * (float)sgp_rng_normal(&rs);
    } else {
      for (int k = 0; k < D; k++) x[k] = lo[k] + (hi[k] - lo[k]) * (float)sgp_rng_uniform(&rs);
    }
  }
  /* exact targets (METHOD §2) */
  dist_index *idx = dist_create(Zn, N, D, NULL, e);
  if (!idx) {
    free(Zn), free(X), free(T), free(lo), free(hi);
    return -1;
  }
  dist_ws *dw = dist_ws_create(idx);
  dist_eval(idx, dw, (int)(S < 1 << 30 ? S : 1 << 30), X, sigma, T, NULL, NULL);
  dist_ws_free(dw);
  dist_free(idx);
  double mean, sd;
  mc_mean_std(T, (size_t)S, &mean, &sd);
  if (!(sd > 1e-12)) sd = 1;
  m->out_shift = (float)mean;
  m->out_scale = (float)sd;
  for (int64_t i = 0; i < S; i++) T[i] = (float)((T[i] - mean) / sd);

  mc_init_net(m->net, tc->seed);
  int maxB = tc->batch;
  dde_task t = {.m = m, .X = X, .t = T};
  t.ws = nn_ws_create(&m->net->arch, maxB);
  t.in = sgp_falloc((size_t)maxB * D);
  t.out = sgp_falloc((size_t)maxB);
  t.dy = sgp_falloc((size_t)maxB);
  train_task task = {.label = "dde", .nrows = S, .nparams = m->net->nparams, .params = m->net->params,
                     .self = &t, .loss = dde_loss};
  int rc = train_run(&task, tc, res, e);
  nn_ws_free(t.ws);
  free(t.in), free(t.out), free(t.dy);
  free(Zn), free(X), free(T), free(lo), free(hi);
  return rc;
}

/* ============================== evaluation ==================================================== */

struct dde_ws {
  int maxB;
  nn_ws *nn;
  float *in, *out, *dy, *dx;
};

dde_ws *dde_ws_create(const dde_model *m, int maxB) {
  dde_ws *w = sgp_calloc(1, sizeof *w);
  w->maxB = maxB < 1 ? 1 : maxB;
  w->nn = nn_ws_create(&m->net->arch, w->maxB);
  w->in = sgp_falloc((size_t)w->maxB * m->dim);
  w->dx = sgp_falloc((size_t)w->maxB * m->dim);
  w->out = sgp_falloc((size_t)w->maxB);
  w->dy = sgp_falloc((size_t)w->maxB);
  return w;
}

void dde_ws_free(dde_ws *w) {
  if (!w) return;
  nn_ws_free(w->nn);
  free(w->in), free(w->out), free(w->dy), free(w->dx);
  free(w);
}

void dde_eval(const dde_model *m, dde_ws *w, int B, const float *z, float *d, float *score) {
  const int D = m->dim;
  const float s2 = m->cfg.sigma * m->cfg.sigma;
  for (int b0 = 0; b0 < B; b0 += w->maxB) {
    int n = B - b0 < w->maxB ? B - b0 : w->maxB;
    sgp_norm_apply(&m->norm, (size_t)n, z + (size_t)b0 * D, w->in);
    nn_forward(m->net, w->nn, n, w->in, NULL, w->out);
    if (d)
      for (int b = 0; b < n; b++) d[b0 + b] = m->out_shift + m->out_scale * w->out[b];
    if (!score) continue;
    for (int b = 0; b < n; b++) w->dy[b] = 1.0f;
    nn_backward(m->net, w->nn, n, w->dy, NULL, 0, w->dx);
    float *s = score + (size_t)b0 * D;
    for (int b = 0; b < n; b++) /* METHOD §2: score = −∇d/σ², ∇_z = ∇_z̄ / scale */
      for (int k = 0; k < D; k++) s[b * D + k] = -m->out_scale * w->dx[b * D + k] / s2 / m->norm.scale[k];
  }
}

/* ============================== model files ================================================== */

int dde_save(const dde_model *m, const char *path, const cJSON *config, const cJSON *dataset,
             const train_result *r, sgp_err *e) {
  cJSON *mj = cJSON_CreateObject();
  cJSON_AddNumberToObject(mj, "dim", m->dim);
  cJSON_AddNumberToObject(mj, "nx", m->nx);
  cJSON_AddNumberToObject(mj, "nu", m->nu);
  cJSON_AddStringToObject(mj, "inputs", score_layout_name(m->cfg.layout));
  cJSON_AddNumberToObject(mj, "sigma", m->cfg.sigma);
  cJSON_AddNumberToObject(mj, "samples", (double)m->cfg.nsamples);
  cJSON_AddNumberToObject(mj, "near_fraction", m->cfg.near_fraction);
  cJSON_AddNumberToObject(mj, "near", m->cfg.near);
  cJSON_AddNumberToObject(mj, "margin", m->cfg.margin);
  sgp_st st;
  mc_begin(&st, "dde", mj, config, dataset, r);
  float out[2] = {m->out_shift, m->out_scale};
  int rc = mf_put_mlp(&st, "net", m->net, e);
  if (!rc) rc = mf_put_norm(&st, "norm", &m->norm, e);
  if (!rc) rc = mf_put_vec(&st, "out_affine", out, 2, e);
  if (!rc) rc = mf_write(path, &st, e);
  sgp_st_free(&st);
  return rc;
}

dde_model *dde_load(const char *path, sgp_err *e) {
  mc_file f;
  if (mc_open(&f, path, "dde", e)) return NULL;
  dde_model *m = NULL;
  long dim, nx, nu;
  if (mc_get_layout_sizes(&f.c, &dim, &nx, &nu, e)) goto fail;
  cJSON_DeleteItemFromObjectCaseSensitive(f.model, "dim");
  cJSON_DeleteItemFromObjectCaseSensitive(f.model, "nx");
  cJSON_DeleteItemFromObjectCaseSensitive(f.model, "nu");
  dde_cfg dc;
  if (dde_cfg_read(&f.c, &dc, e)) goto fail;
  f.net = mf_get_mlp(&f.st, path, "net", (int)dim, 1, e);
  if (!f.net) goto fail;
  m = dde_create(&dc, &f.net->arch, (int)nx, (int)nu, e);
  if (!m) {
    sgp_fail_prefix(e, "%s", path);
    goto fail;
  }
  if (mc_layout_check_file(path, dc.layout, dim, nx, nu, e)) goto fail;
  mc_take_params(m->net, &f.net);
  if (mc_get_norm(&f.st, path, "norm", m->dim, &m->norm, e) ||
      mc_get_affine(&f.st, path, "out_affine", &m->out_shift, &m->out_scale, e))
    goto fail;
  mc_close(&f);
  return m;
fail:
  dde_free(m);
  mc_close(&f);
  return NULL;
}

int dde_check_dims(const dde_model *m, const char *path, int nx, int nu, sgp_err *e) {
  return mc_layout_check_data("dde", m->cfg.layout, m->dim, m->nx, m->nu, path, nx, nu, e);
}
