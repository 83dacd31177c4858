/* The learned running cost (METHOD §1; agents/cost_model.c). */
#ifndef SGP_AGENTS_COST_MODEL_H
#define SGP_AGENTS_COST_MODEL_H

#include "agents/train.h"
#include "core/err.h"
#include "core/nn.h"
#include "core/norm.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* learned running cost (METHOD §1), regressed on −reward (agents/cost_model.c):
 *   c(x,u) = μ_c + s_c · net((x − μ_x)/s_x, (u − μ_u)/s_u),  μ_c, s_c: mean, std of −reward */
typedef struct cost_model {
  int nx, nu;
  nn_mlp *net;        /* nin = nx + nu, nout = 1 */
  sgp_norm xn, un;
  float c_shift, c_scale;
} cost_model;

cost_model *cost_create(const nn_arch *a, int nx, int nu, sgp_err *e);
void cost_free(cost_model *m);
void cost_fit_normalizers(cost_model *m, const float *x, const float *u, const float *reward, size_t N);
typedef struct cost_ws cost_ws;
cost_ws *cost_ws_create(const cost_model *m, int maxB);
void cost_ws_free(cost_ws *w);
/* c[B] = c(x,u); gx[B×nx], gu[B×nu] its gradients (NULL: skip). Any B (chunked by maxB). */
void cost_eval(const cost_model *m, cost_ws *w, int B, const float *x, const float *u, float *c,
               float *gx, float *gu);

/* Fits normalisers and (μ_c, s_c) on all rows, initialises the net (stream "init"), trains with
 * train_run on the MSE of the standardised cost. */
int cost_train(cost_model *m, const float *x, const float *u, const float *reward, size_t N,
               const train_cfg *tc, train_result *res, sgp_err *e);
/* kind "cost" */
int cost_save(const cost_model *m, const char *path, const cJSON *config, const cJSON *dataset,
              const train_result *r, sgp_err *e);
cost_model *cost_load(const char *path, sgp_err *e);
int cost_check_dims(const cost_model *m, const char *path, const char *env, int nx, int nu, sgp_err *e);

#ifdef __cplusplus
}
#endif
#endif
