/* The learned regressor of d_σ, the authors' "DDE" baseline (METHOD §5; agents/dde.c). */
#ifndef SGP_AGENTS_DDE_H
#define SGP_AGENTS_DDE_H

#include "agents/score.h"
#include "agents/train.h"
#include "core/err.h"
#include "core/json.h"
#include "core/nn.h"
#include "core/norm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An MLP g(z̄) ≈ d̄_σ(z̄) = −σ² log Σ_i exp(−‖z̄ − z̄_i‖²/(2σ²)) in the score model's normalised
 * coordinates (METHOD §5 baseline), trained by regression (½ MSE on the target scaled by its
 * standard deviation) on a fixed set of samples: uniform in the data's bounding box enlarged by
 * `margin` (a fraction of each side), and data points plus N(0, (near·σ)²) noise. Its gradient,
 * via the input VJP, gives the score estimate −∇d/σ² (in physical units ∇_z = ∇_z̄ / scale). */

typedef struct dde_cfg {
  score_layout layout;
  float sigma;          /* normalised units */
  int64_t nsamples;     /* default 100000 */
  float near_fraction;  /* share of samples near data (default 0.5) */
  float near;           /* their noise in units of σ (default 2) */
  float margin;         /* box enlargement per side, fraction of the side (default 0.2) */
} dde_cfg;

typedef struct dde_model {
  dde_cfg cfg;
  int dim, nx, nu;
  sgp_norm norm;        /* inputs */
  float out_shift, out_scale; /* d̄ = out_shift + out_scale · net */
  nn_mlp *net;          /* nin = D, nout = 1 */
} dde_model;

int dde_cfg_read(sgp_cfg *c, dde_cfg *out, sgp_err *e);
dde_model *dde_create(const dde_cfg *c, const nn_arch *a, int nx, int nu, sgp_err *e);
void dde_free(dde_model *m);
int dde_train(dde_model *m, const float *Z, int64_t N, const train_cfg *tc, train_result *res,
              sgp_err *e);

typedef struct dde_ws dde_ws;
dde_ws *dde_ws_create(const dde_model *m, int maxB);
void dde_ws_free(dde_ws *w);
/* d (B, normalised units d̄) and, if score != NULL, −∇d/σ² in physical units (B x D). */
void dde_eval(const dde_model *m, dde_ws *w, int B, const float *z, float *d, float *score);

int dde_save(const dde_model *m, const char *path, const cJSON *config, const cJSON *dataset,
             const train_result *r, sgp_err *e);
dde_model *dde_load(const char *path, sgp_err *e);
int dde_check_dims(const dde_model *m, const char *path, int nx, int nu, sgp_err *e);

#ifdef __cplusplus
}
#endif
#endif
