/* Helpers shared by the learned models (declared in agents/model_common.h). */
#include "agents/model_common.h"
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

/* ============================== input layouts ================================================= */

static const char *const layout_names[] = {"points", "xu", "xux"};

int mc_layout_read(sgp_cfg *c, score_layout *out, sgp_err *e) {
  int v;
  if (sgp_cfg_enum(c, "inputs", layout_names, 3, SCORE_XU, &v, e)) return -1;
  *out = (score_layout)v;
  return 0;
}

const char *score_layout_name(score_layout l) { return layout_names[l]; }

int score_layout_dim(score_layout l, int nx, int nu) {
  return l == SCORE_POINTS ? nx : l == SCORE_XU ? nx + nu : 2 * nx + nu;
}

int mc_layout_check(const char *what, score_layout l, int nx, int nu, int *dim, sgp_err *e) {
  if (nx < 1 || nu < 0 || (l != SCORE_POINTS && nu < 1))
    return sgp_fail(e, "%s: bad sizes nx = %d, nu = %d", what, nx, nu);
  *dim = score_layout_dim(l, nx, nu);
  return 0;
}

int mc_layout_check_data(const char *what, score_layout l, int dim, int mnx, int mnu, const char *path,
                         int nx, int nu, sgp_err *e) {
  static const char *const data_names[] = {"points", "(x,u)", "(x,u,x')"};
  int D = score_layout_dim(l, nx, nu);
  if (D != dim || (l != SCORE_POINTS && (nx != mnx || nu != mnu)))
    return sgp_fail(e, "%s: %s model input dimension %d (nx %d, nu %d), dataset %s has %d (nx %d, nu %d)", path,
                    what, dim, mnx, mnu, data_names[l], D, nx, nu);
  return 0;
}

int mc_check_env_dims(const char *what, int mnx, int mnu, const char *path, const char *env, int nx, int nu,
                      sgp_err *e) {
  if (mnx != nx || mnu != nu)
    return sgp_fail(e, "%s: %s model has nx=%d, nu=%d; environment %s has nx=%d, nu=%d", path, what, mnx, mnu,
                    env ? env : "(data)", nx, nu);
  return 0;
}

void mc_xu_inputs(const sgp_norm *xn, const sgp_norm *un, int B, const float *x, const float *u, float *in) {
  int nx = xn->dim, nu = un->dim, nin = nx + nu;
  for (int r = 0; r < B; r++) {
    const float *xr = x + (size_t)r * nx, *ur = u + (size_t)r * nu;
    float *z = in + (size_t)r * nin;
    for (int j = 0; j < nx; j++) z[j] = (xr[j] - xn->shift[j]) / xn->scale[j];
    for (int j = 0; j < nu; j++) z[nx + j] = (ur[j] - un->shift[j]) / un->scale[j];
  }
}

int mc_layout_check_file(const char *path, score_layout l, long dim, long nx, long nu, sgp_err *e) {
  if (score_layout_dim(l, (int)nx, (int)nu) != (int)dim)
    return sgp_fail(e, "%s: metadata sgp.model: dim %ld does not match inputs %s with nx %ld, nu %ld", path, dim,
                    layout_names[l], nx, nu);
  return 0;
}

/* ============================== training ===================================================== */

float *mc_normalise_data(const char *what, sgp_norm *norm, const float *Z, int64_t N, int D, sgp_err *e) {
  if (N < 1) return sgp_fail(e, "%s: no training data", what), NULL;
  if (!sgp_all_finite_f(Z, (size_t)N * D))
    return sgp_fail(e, "%s: training data hold non-finite values", what), NULL;
  sgp_norm_fit(norm, Z, (size_t)N, D, 1e-6f);
  float *Zn = sgp_falloc((size_t)N * D);
  sgp_norm_apply(norm, (size_t)N, Z, Zn);
  return Zn;
}

void mc_init_net(nn_mlp *net, uint64_t seed) {
  sgp_rng init;
  sgp_rng_stream(&init, seed, "init");
  nn_init(net, &init);
}

void mc_mean_std(const float *v, size_t n, double *mean, double *sd) {
  if (n == 0) {
    *mean = 0;
    *sd = 1;
    return;
  }
  double s = 0, q = 0;
  for (size_t i = 0; i < n; i++) s += v[i];
  double mu = s / (double)n;
  for (size_t i = 0; i < n; i++) q += (v[i] - mu) * (v[i] - mu);
  *mean = mu;
  *sd = sqrt(q / (double)n);
}

/* ============================== model files ================================================== */

void mc_begin(sgp_st *st, const char *kind, cJSON *model, const cJSON *config, const cJSON *dataset,
              const train_result *r) {
  cJSON *tj = r ? train_result_json(r) : NULL;
  mf_begin(st, kind, model, config, dataset, tj);
  cJSON_Delete(model);
  cJSON_Delete(tj);
}

cJSON *mc_get_model(const sgp_st *st, const char *path, sgp_cfg *c, sgp_err *e) {
  cJSON *j = mf_get_json(st, path, "model", e);
  if (!j) return NULL;
  *c = sgp_cfg_root(j, path);
  snprintf(c->path, sizeof c->path, "metadata sgp.model");
  return j;
}

int mc_open(mc_file *f, const char *path, const char *kind, sgp_err *e) {
  memset(f, 0, sizeof *f);
  if (mf_open(path, kind, &f->st, e)) return -1;
  if (!(f->model = mc_get_model(&f->st, path, &f->c, e))) {
    sgp_st_free(&f->st);
    return -1;
  }
  return 0;
}

void mc_close(mc_file *f) {
  nn_free(f->net);
  cJSON_Delete(f->model);
  sgp_st_free(&f->st);
  memset(f, 0, sizeof *f);
}

int mc_get_layout_sizes(const sgp_cfg *c, long *dim, long *nx, long *nu, sgp_err *e) {
  return sgp_cfg_int(c, "dim", 1, 1 << 20, dim, e) || sgp_cfg_int(c, "nx", 1, 1 << 20, nx, e) ||
                 sgp_cfg_int(c, "nu", 0, 1 << 20, nu, e)
             ? -1
             : 0;
}

void mc_take_params(nn_mlp *dst, nn_mlp **src) {
  memcpy(dst->params, (*src)->params, (*src)->nparams * sizeof(float));
  nn_free(*src);
  *src = NULL;
}

int mc_get_norm(const sgp_st *st, const char *path, const char *name, int dim, sgp_norm *n, sgp_err *e) {
  sgp_norm_free(n); /* a freed normaliser is empty: safe to free again if the read fails */
  return mf_get_norm(st, path, name, dim, n, e);
}

int mc_get_affine(const sgp_st *st, const char *path, const char *name, float *shift, float *scale, sgp_err *e) {
  float v[2];
  if (mf_get_vec(st, path, name, 2, v, e)) return -1;
  if (!(v[1] > 0)) return sgp_fail(e, "%s: tensor '%s': scale %g must be positive", path, name, v[1]);
  *shift = v[0];
  *scale = v[1];
  return 0;
}

int mc_put_xu_norms(sgp_st *st, const sgp_norm *xn, const sgp_norm *un, sgp_err *e) {
  return mf_put_norm(st, "x_norm", xn, e) || mf_put_norm(st, "u_norm", un, e) ? -1 : 0;
}

int mc_get_xu_norms(const sgp_st *st, const char *path, int nx, int nu, sgp_norm *xn, sgp_norm *un, sgp_err *e) {
  return mc_get_norm(st, path, "x_norm", nx, xn, e) || mc_get_norm(st, path, "u_norm", nu, un, e) ? -1 : 0;
}
