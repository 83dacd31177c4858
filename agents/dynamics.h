/* Learned residual dynamics and ensembles (METHOD §1, §5; agents/dynamics.c; docs/models.md). */
#ifndef SGP_AGENTS_DYNAMICS_H
#define SGP_AGENTS_DYNAMICS_H

#include "agents/train.h"
#include "core/err.h"
#include "core/nn.h"
#include "core/norm.h"
#include "core/rng.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* residual MLP dynamics (METHOD §1) and ensembles (METHOD §5):
 *   x' = f_k(x,u) = x + k_x ⊙ net_k( (x − μ_x)/s_x , (u − μ_u)/s_u ),   k = 0..K−1
 * K independently initialised members (K = 1: one model) share the architecture, the input
 * normalisers and k_x (per-dimension standard deviation of x' − x on the training rows). */
#define DYN_MAX_MEMBERS 64

typedef struct dyn_model {
  int nx, nu, K;
  nn_mlp *net[DYN_MAX_MEMBERS]; /* member views (nin = nx + nu, nout = nx); K.. are NULL */
  float *params;                /* K · nparams_member floats, member k at k · nparams_member */
  size_t nparams, nparams_member;
  sgp_norm xn, un;              /* (μ_x, s_x), (μ_u, s_u) */
  float *kx;                    /* nx */
  nn_mlp member[DYN_MAX_MEMBERS]; /* storage of the views (do not nn_free them) */
} dyn_model;

/* Architecture a (nin = nx + nu, nout = nx), K members (1..DYN_MAX_MEMBERS), parameters zero,
 * normalisers identity, k_x = 1. NULL (with e filled) on bad sizes. */
dyn_model *dyn_create(const nn_arch *a, int nx, int nu, int K, sgp_err *e);
void dyn_free(dyn_model *m);
/* Member k gets PyTorch-default weights from child stream k of `init` (independent members). */
void dyn_init(dyn_model *m, const sgp_rng *init);
/* Fits μ_x, s_x, μ_u, s_u and k_x on N rows (scales floored at 1e-6). */
void dyn_fit_normalizers(dyn_model *m, const float *x, const float *u, const float *xnext, size_t N);

/* Workspace: `nslots` cached forwards (each any member) of up to maxB rows. */
typedef struct dyn_ws dyn_ws;
dyn_ws *dyn_ws_create(const dyn_model *m, int maxB, int nslots);
void dyn_ws_free(dyn_ws *w);
/* xnext[B×nx] = f_k(x, u), keeping what dyn_vjp needs in `slot`. xnext may not alias x. */
void dyn_forward(const dyn_model *m, int k, dyn_ws *w, int slot, int B, const float *x,
                 const float *u, float *xnext);
/* Adjoint of the forward cached in `slot` (same k, B): dx = (∂f_k/∂x)ᵀ dxnext (dx may alias
 * dxnext), du = (∂f_k/∂u)ᵀ dxnext (NULL: skip). */
void dyn_vjp(const dyn_model *m, int k, dyn_ws *w, int slot, int B, const float *dxnext, float *dx,
             float *du);

/* Training data: N row-aligned transitions (views; terminal / timeout may be NULL). */
typedef struct dyn_data {
  size_t N;
  const float *x, *u, *xnext;
  const uint8_t *terminal, *timeout;
} dyn_data;

typedef struct dyn_train_cfg {
  int members;        /* K (1 for "dynamics"; default 5 for "ensemble") */
  int rollout_steps;  /* H: 1 = one-step loss; > 1 adds rollouts over consecutive transitions */
  int bootstrap;      /* 1: Poisson(1) bootstrap weights per member and row (default 0) */
} dyn_train_cfg;

/* Fits the normalisers and k_x on all rows, initialises the members (stream "init", child k per
 * member), trains with train_run (loss: see dyn_task). Streams: "init", "bootstrap", and the
 * trainer's "split", "shuffle". All members step on the same shuffled batches. */
int dyn_train(dyn_model *m, const dyn_data *d, const dyn_train_cfg *dc, const train_cfg *tc,
              train_result *res, sgp_err *e);

/* Model files (layout in docs/models.md): kind "dynamics" (K = 1) or "ensemble" (K > 1, every
 * member in the one file under "members.<k>"). dc: saved in sgp.model (may be NULL). */
int dyn_save(const dyn_model *m, const dyn_train_cfg *dc, const char *path, const cJSON *config,
             const cJSON *dataset, const train_result *r, sgp_err *e);
/* kind: "dynamics", "ensemble", or NULL for either. Validates kind, sizes, finiteness. */
dyn_model *dyn_load(const char *path, const char *kind, sgp_err *e);
/* "m.safetensors: dynamics model has nx=4, nu=2; environment cartpole has nx=4, nu=1" */
int dyn_check_dims(const dyn_model *m, const char *path, const char *env, int nx, int nu, sgp_err *e);

/* The training problem itself (exposed for tests): one-step (H = 1) or H-step rollout loss in
 * normalised delta coordinates over consecutive transitions where the data have them
 * (xnext[i] == x[i+1] bit for bit, neither terminal[i] nor timeout[i]). bootstrap: the stream
 * of the per-member Poisson(1) row weights, or NULL for none. Arrays are views (not copied). */
typedef struct dyn_task dyn_task;
dyn_task *dyn_task_create(dyn_model *m, const float *x, const float *u, const float *xnext,
                          const uint8_t *terminal, const uint8_t *timeout, size_t N, int H, int maxB,
                          const sgp_rng *bootstrap, sgp_err *e);
void dyn_task_free(dyn_task *t);
long dyn_task_chains(const dyn_task *t);                 /* rows that start a full H-step chain */
const uint8_t *dyn_task_weights(const dyn_task *t, int k); /* member k's N counts, or NULL */
/* (1/K) Σ_k loss_k on dataset rows[0..B-1] (B <= maxB), weighted by the bootstrap counts if
 * `bootstrap` and the task has them; grad (m->nparams floats, member-major like m->params) is
 * overwritten with its gradient when not NULL. */
double dyn_task_loss(dyn_task *t, int B, const int64_t *rows, int bootstrap, float *grad);

#ifdef __cplusplus
}
#endif
#endif
