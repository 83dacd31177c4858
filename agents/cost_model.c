/* Learned running cost, for tasks whose cost is not given (METHOD §1: "learn or write down a
 * cost c(x,u)"): a regression of −reward on (x,u),
 *
 *   c(x,u) = μ_c + s_c · net( (x − μ_x)/s_x, (u − μ_u)/s_u )
 *
 * with μ_c, s_c the mean and standard deviation of −reward on the training rows, so the network
 * regresses a standardised target (loss: MSE in those units). Gradients for planners:
 *   [gx̄, gū] = net-VJP(s_c),   gx = gx̄ / s_x,   gu = gū / s_u.
 * Training drives cost_model through the callbacks at the end of the file (agents/train.c). */
#include "agents/cost_model.h"
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

#define COST_MIN_SCALE 1e-6f

cost_model *cost_create(const nn_arch *a, int nx, int nu, sgp_err *e) {
  if (nx < 1 || nu < 1) {
    sgp_fail(e, "cost model: nx = %d, nu = %d: both must be >= 1", nx, nu);
    return NULL;
  }
  if (a->nin != nx + nu || a->nout != 1) {
    sgp_fail(e, "cost model: network maps %d -> %d, expected nx + nu = %d -> 1", a->nin, a->nout, nx + nu);
    return NULL;
  }
  if (a->ncond != 0) {
    sgp_fail(e, "cost model: network has ncond = %d, expected 0 (unconditioned)", a->ncond);
    return NULL;
  }
  if (nn_arch_check(a, e) != 0) return NULL;
  cost_model *m = sgp_calloc(1, sizeof *m);
  m->nx = nx;
  m->nu = nu;
  m->net = nn_create(a);
  sgp_norm_init(&m->xn, nx);
  sgp_norm_init(&m->un, nu);
  m->c_shift = 0.0f;
  m->c_scale = 1.0f;
  return m;
}

void cost_free(cost_model *m) {
  if (!m) return;
  nn_free(m->net);
  sgp_norm_free(&m->xn);
  sgp_norm_free(&m->un);
  free(m);
}

void cost_fit_normalizers(cost_model *m, const float *x, const float *u, const float *reward, size_t N) {
  sgp_norm_fit(&m->xn, x, N, m->nx, COST_MIN_SCALE);
  sgp_norm_fit(&m->un, u, N, m->nu, COST_MIN_SCALE);
  /* −reward has mean 0 − mu (bit for bit, +0 when mu is 0) and the same standard deviation */
  double mu, sd;
  mc_mean_std(reward, N, &mu, &sd);
  m->c_shift = (float)(0.0 - mu);
  m->c_scale = (float)(sd > COST_MIN_SCALE ? sd : COST_MIN_SCALE);
}

struct cost_ws {
  int maxB;
  nn_ws *nw;
  float *in, *out, *din; /* maxB × (nx+nu), maxB, maxB × (nx+nu) */
};

cost_ws *cost_ws_create(const cost_model *m, int maxB) {
  if (maxB < 1) return NULL;
  cost_ws *w = sgp_calloc(1, sizeof *w);
  int nin = m->nx + m->nu;
  w->maxB = maxB;
  w->nw = nn_ws_create(&m->net->arch, maxB);
  w->in = sgp_falloc((size_t)maxB * nin);
  w->out = sgp_falloc((size_t)maxB);
  w->din = sgp_falloc((size_t)maxB * nin);
  return w;
}

void cost_ws_free(cost_ws *w) {
  if (!w) return;
  nn_ws_free(w->nw);
  free(w->in);
  free(w->out);
  free(w->din);
  free(w);
}

void cost_eval(const cost_model *m, cost_ws *w, int B, const float *x, const float *u, float *c, float *gx,
               float *gu) {
  int nx = m->nx, nu = m->nu, nin = nx + nu;
  for (int b0 = 0; b0 < B; b0 += w->maxB) { /* any B: chunks of the workspace size */
    int n = B - b0 < w->maxB ? B - b0 : w->maxB;
    const float *xc = x + (size_t)b0 * nx, *uc = u + (size_t)b0 * nu;
    mc_xu_inputs(&m->xn, &m->un, n, xc, uc, w->in);
    nn_forward(m->net, w->nw, n, w->in, NULL, w->out);
    if (c)
      for (int r = 0; r < n; r++) c[b0 + r] = m->c_shift + m->c_scale * w->out[r];
    if (!gx && !gu) continue;
    for (int r = 0; r < n; r++) w->out[r] = m->c_scale; /* ∂c/∂net */
    nn_backward(m->net, w->nw, n, w->out, NULL, 0, w->din);
    for (int r = 0; r < n; r++) {
      const float *d = w->din + (size_t)r * nin;
      if (gx)
        for (int j = 0; j < nx; j++) gx[(size_t)(b0 + r) * nx + j] = d[j] / m->xn.scale[j];
      if (gu)
        for (int j = 0; j < nu; j++) gu[(size_t)(b0 + r) * nu + j] = d[nx + j] / m->un.scale[j];
    }
  }
}

/* ============================== training ===================================================== */
/* loss = mean_b (net(x̄_b, ū_b) − (−r_b − μ_c)/s_c)²: MSE on the standardised cost. */

typedef struct cost_task {
  cost_model *m;
  const float *x, *u, *reward;
  cost_ws *w;
  float *xb, *ub; /* gathered batch rows */
} cost_task;

static double cost_train_loss(void *self, int B, const int64_t *rows, sgp_rng *noise, float *grad) {
  (void)noise;
  cost_task *t = self;
  cost_model *m = t->m;
  cost_ws *w = t->w;
  int nx = m->nx, nu = m->nu;
  for (int b = 0; b < B; b++) {
    memcpy(t->xb + (size_t)b * nx, t->x + (size_t)rows[b] * nx, (size_t)nx * sizeof(float));
    memcpy(t->ub + (size_t)b * nu, t->u + (size_t)rows[b] * nu, (size_t)nu * sizeof(float));
  }
  mc_xu_inputs(&m->xn, &m->un, B, t->xb, t->ub, w->in);
  nn_forward(m->net, w->nw, B, w->in, NULL, w->out);
  double sse = 0;
  for (int b = 0; b < B; b++) {
    float target = (-t->reward[rows[b]] - m->c_shift) / m->c_scale;
    float err = w->out[b] - target;
    sse += (double)err * err;
    w->out[b] = 2.0f * err / (float)B; /* ∂loss/∂net */
  }
  if (grad) nn_backward(m->net, w->nw, B, w->out, grad, 0, NULL);
  return sse / B;
}

int cost_train(cost_model *m, const float *x, const float *u, const float *reward, size_t N,
               const train_cfg *tc, train_result *res, sgp_err *e) {
  if (N < 2) return sgp_fail(e, "cost model: %zu rows (need at least 2)", N);
  if (!sgp_all_finite_f(x, N * m->nx) || !sgp_all_finite_f(u, N * m->nu) || !sgp_all_finite_f(reward, N))
    return sgp_fail(e, "cost model: the data hold non-finite values");
  cost_fit_normalizers(m, x, u, reward, N);
  mc_init_net(m->net, tc->seed);
  int maxB = tc->batch < (int64_t)N ? tc->batch : (int)N;
  cost_task t = {m, x, u, reward, cost_ws_create(m, maxB), sgp_falloc((size_t)maxB * m->nx),
                 sgp_falloc((size_t)maxB * m->nu)};
  train_task tt = {"cost", (int64_t)N, m->net->nparams, m->net->params, &t, cost_train_loss};
  int rc = train_run(&tt, tc, res, e);
  cost_ws_free(t.w);
  free(t.xb);
  free(t.ub);
  return rc;
}

/* ============================== model files ================================================== */
/* kind "cost": network "net", normalisers "x_norm", "u_norm", vector "c_norm" = [μ_c, s_c];
 * sgp.model = {"nx","nu"}. */

int cost_save(const cost_model *m, const char *path, const cJSON *config, const cJSON *dataset,
              const train_result *r, sgp_err *e) {
  cJSON *mj = cJSON_CreateObject();
  cJSON_AddNumberToObject(mj, "nx", m->nx);
  cJSON_AddNumberToObject(mj, "nu", m->nu);
  sgp_st st;
  mc_begin(&st, "cost", mj, config, dataset, r);
  float cn[2] = {m->c_shift, m->c_scale};
  int rc = mf_put_mlp(&st, "net", m->net, e);
  if (!rc) rc = mc_put_xu_norms(&st, &m->xn, &m->un, e);
  if (!rc) rc = mf_put_vec(&st, "c_norm", cn, 2, e);
  if (!rc) rc = mf_write(path, &st, e);
  sgp_st_free(&st);
  return rc;
}

cost_model *cost_load(const char *path, sgp_err *e) {
  mc_file f;
  if (mc_open(&f, path, "cost", e)) return NULL;
  cost_model *m = NULL;
  long nx, nu;
  if (sgp_cfg_int(&f.c, "nx", 1, 1 << 20, &nx, e) || sgp_cfg_int(&f.c, "nu", 1, 1 << 20, &nu, e)) goto fail;
  if (!(f.net = mf_get_mlp(&f.st, path, "net", (int)(nx + nu), 1, e))) goto fail;
  if (!(m = cost_create(&f.net->arch, (int)nx, (int)nu, e))) {
    sgp_fail_prefix(e, "%s", path);
    goto fail;
  }
  mc_take_params(m->net, &f.net);
  if (mc_get_xu_norms(&f.st, path, (int)nx, (int)nu, &m->xn, &m->un, e) ||
      mc_get_affine(&f.st, path, "c_norm", &m->c_shift, &m->c_scale, e))
    goto fail;
  mc_close(&f);
  return m;
fail:
  cost_free(m);
  mc_close(&f);
  return NULL;
}

int cost_check_dims(const cost_model *m, const char *path, const char *env, int nx, int nu, sgp_err *e) {
  return mc_check_env_dims("cost", m->nx, m->nu, path, env, nx, nu, e);
}
