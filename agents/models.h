/* sgpbench agents: learned and exact models used by the planners.
 *
 *  - exact smoothed distance to data d_σ, log p_σ and the exact score (METHOD §2)   distance.c
 *  - learned regressor of d_σ, the authors' "DDE" (METHOD §5, baseline)              dde.c
 *  - learned scores by denoising score matching, single-σ and NCSN (METHOD §3)      score.c
 *  - a generic supervised training loop (shuffle, validation split, cosine LR,
 *    best-on-validation checkpoint) reused by every learned model                    train.c
 *  - model files: an MLP + normalizers + metadata in one .safetensors               model_file.c
 *
 * Conventions as in core/core.h: errors are values (0 / -1 + sgp_err), batches row-major float
 * with the batch dimension first, hot paths run in a workspace made once and never allocate.
 */
#ifndef SGP_AGENTS_MODELS_H
#define SGP_AGENTS_MODELS_H

#include "core/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ============================== exact smoothed distance (METHOD §2) ========================== */
/* For data z_1..z_N in R^D and a query z:
 *   r_i(z)   = Σ_k w_k (z_k − z_ik)²                      (w: optional diagonal metric, else 1)
 *   d_σ(z)   = −σ² log Σ_i exp(−r_i / (2σ²))              (soft-min of squared distances)
 *   log p_σ  = −d_σ/σ² − log N − (D/2) log(2πσ²) + ½ Σ_k log w_k
 *              (the log density of (1/N) Σ_i N(z; z_i, σ² diag(w)^-1), normalised in z)
 *   ∇log p_σ = −∇d_σ/σ² = diag(w) Σ_i π_i (z_i − z) / σ²,   π_i = softmax_i(−r_i/(2σ²))
 * Computed blocked over the data with two cblas_sgemm per block (distances Y·Zᵀ and the weighted
 * sum Π·Z) and a streaming log-sum-exp, in a workspace whose size does not depend on N or B.
 * Data are centred (and scaled by √w) once at creation; squared norms are precomputed.
 * Accuracy against a double-precision loop: see docs/score-models.md. */

typedef struct dist_index dist_index; /* read-only after creation */
typedef struct dist_ws dist_ws;       /* scratch for one thread; made once */

/* Z: N x D row-major (copied). metric: D positive weights w_k, or NULL for the Euclidean metric.
 * Fails (naming the argument) on N < 1, D < 1, non-finite data or non-positive weights. */
dist_index *dist_create(const float *Z, int64_t N, int D, const float *metric, sgp_err *e);
void dist_free(dist_index *idx);
int dist_dim(const dist_index *idx);
int64_t dist_count(const dist_index *idx);

dist_ws *dist_ws_create(const dist_index *idx);
void dist_ws_free(dist_ws *ws);

/* B queries q (B x D). Any of d (B), logp (B), score (B x D) may be NULL (skipping the second gemm
 * when score is NULL). sigma > 0. Any B >= 0; queries are processed in chunks internally. */
void dist_eval(const dist_index *idx, dist_ws *ws, int B, const float *q, float sigma, float *d,
               float *logp, float *score);

/* The vectorised exp used for the B x block weights: y_i = exp(x_i) for x_i <= 0 (inputs below
 * −87.3 give 0); relative error about 1e-7 (measured in tests/test_distance.c). Exposed for tests
 * and the benchmark. */
void dist_expf_neg(const float *x, float *y, int n);
/* The blocking: queries in chunks of *qb rows, data in blocks of *nb rows (for the benchmark's
 * bare-gemm baseline of the same shapes). */
void dist_blocking(int *qb, int *nb);

/* ====== BEGIN score/DDE/trainer/model-file section (score helper) ====== */
/* ============================== generic supervised training (train.c) ======================== */
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

/* ============================== model files (model_file.c) =================================== */
/* A model file is a .safetensors file holding one or more MLPs, float vectors (normalizers, k_x,
 * noise levels, ...) and string metadata:
 *   "sgp.kind"            "score" | "dde" | "dynamics" | "ensemble" | "cost" ...
 *   "sgp.format"          "1"
 *   "sgp.model"           JSON: what the kind needs to rebuild itself (dims, layout, levels, ...)
 *   "sgp.config"          JSON: the fully resolved training config
 *   "sgp.dataset"         JSON: which data it was trained on (path, sizes, hashes)
 *   "sgp.train"           JSON: train_result_json
 *   "sgp.versions"        JSON: sgp_versions_json
 *   "<prefix>.arch"       JSON: nn_arch_to_json of the MLP stored under <prefix>
 * MLP tensors (PyTorch-like names, layer k = 0..nhidden, the last is the output layer):
 *   <prefix>.<k>.weight [out,in]  <prefix>.<k>.bias [out]  <prefix>.<k>.ln_weight / ln_bias [out]
 *   <prefix>.<k>.emb [ncond,out]
 * Normalizer <name>: tensors <name>.shift [dim] and <name>.scale [dim]. */

/* Writing: start with mf_begin, add parts, then mf_write (atomic). The st is freed by the caller
 * (sgp_st_free). JSON arguments may be NULL; they are copied. */
void mf_begin(sgp_st *st, const char *kind, const cJSON *model, const cJSON *config,
              const cJSON *dataset, const cJSON *train);
int mf_put_mlp(sgp_st *st, const char *prefix, const nn_mlp *m, sgp_err *e);
int mf_put_norm(sgp_st *st, const char *name, const sgp_norm *n, sgp_err *e);
int mf_put_vec(sgp_st *st, const char *name, const float *v, int n, sgp_err *e);
int mf_write(const char *path, const sgp_st *st, sgp_err *e);

/* Reading: mf_open reads the file and checks its kind ("m.safetensors: model kind is 'dynamics',
 * expected 'score'"; kind NULL accepts any). Every getter validates shapes and finiteness and names
 * the file (path) and the tensor or key in its error. */
int mf_open(const char *path, const char *kind, sgp_st *st, sgp_err *e);
const char *mf_kind(const sgp_st *st);
/* Parsed "sgp.<key>" metadata (caller deletes), or NULL with e filled. */
cJSON *mf_get_json(const sgp_st *st, const char *path, const char *key, sgp_err *e);
/* The MLP under prefix; nin / nout > 0 must match its sizes (the error names both). */
nn_mlp *mf_get_mlp(const sgp_st *st, const char *path, const char *prefix, int nin, int nout,
                   sgp_err *e);
int mf_get_norm(const sgp_st *st, const char *path, const char *name, int dim, sgp_norm *out,
                sgp_err *e);
int mf_get_vec(const sgp_st *st, const char *path, const char *name, int n, float *out, sgp_err *e);

/* ============================== learned score by DSM (score.c, METHOD §3) ==================== */
/* s_θ(z) ≈ ∇log p_σ(z). Training is in normalised coordinates z̄ = (z − shift)/scale: noise
 * z̄ + σ_l ε (ε ~ N(0,I); columns of x' get α σ_l ε), loss per level
 *   DSM_l = ½ E ‖σ_l s̄(z̃) + ε‖²     (= σ_l² · ½ E‖s̄ + ε/σ_l‖², METHOD §3's σ²-weighted form;
 *                                     columns of x' use α σ_l in place of σ_l)
 * summed over all levels per sample, or with one level drawn per sample or per batch.
 * The network gives s̄ directly ("output": "score") or s̄ = net/σ_l ("output": "scaled", NCSNv2).
 * In physical units s(z) = s̄(z̄) / scale, element-wise, which is the exact score of the data
 * smoothed with per-dimension noise σ_l·scale_k (α σ_l scale_k for x'): with the exact distance
 * this is dist_create(Z, metric w_k = 1/(scale_k·a_k)², a_k = α on x' and 1 elsewhere) at σ_l. */

#define SCORE_MAX_LEVELS 64

typedef enum score_layout {
  SCORE_POINTS = 0, /* plain N x D points (toy data) */
  SCORE_XU,         /* z = (x, u) */
  SCORE_XUX         /* z = (x, u, x') */
} score_layout;
/* "points", "xu", "xux": the config / model-file name of a layout. */
const char *score_layout_name(score_layout l);
/* D of a layout: nx, nx + nu or 2 nx + nu. */
int score_layout_dim(score_layout l, int nx, int nu);
typedef enum score_schedule { SCORE_GEOMETRIC = 0, SCORE_COSINE } score_schedule;
typedef enum score_loss {
  SCORE_LOSS_SUM = 0,   /* Σ_l DSM_l over all levels, every sample */
  SCORE_LOSS_SAMPLE,    /* one level drawn per sample */
  SCORE_LOSS_BATCH      /* one level drawn per batch */
} score_loss;

typedef struct score_cfg {
  score_layout layout;
  int nlevels;             /* 1: single σ, unconditioned net; > 1: NCSN (net ncond = nlevels) */
  float sigma_max, sigma_min; /* normalised units; single σ: both equal "sigma" */
  score_schedule schedule;
  score_loss loss;
  float alpha;             /* noise multiplier on x' (SCORE_XUX), default 1 */
  int scaled_output;       /* 1: s̄ = net/σ_l ("output": "scaled", default with levels > 1),
                              0: s̄ = net ("output": "score", default with one level) */
} score_cfg;

typedef struct score_model {
  score_cfg cfg;
  int dim;                       /* D */
  int nx, nu;                    /* z = (x[nx], u[nu] [, x'[nx]]); points: nx = D, nu = 0 */
  float sigma[SCORE_MAX_LEVELS]; /* decreasing, normalised units */
  float *noise_mul;              /* D: 1, or alpha on the columns of x' */
  sgp_norm norm;                 /* shift, scale (D) */
  nn_mlp *net;                   /* nin = nout = D */
} score_model;

/* Reads {"inputs","sigma" | "levels"+"sigma_max"+"sigma_min"+"schedule","loss","alpha","output"}
 * (the keys a score config may hold besides "net" and "train"; unknown keys are the caller's). */
int score_cfg_read(sgp_cfg *c, score_cfg *out, sgp_err *e);
/* The σ_l of a config: geometric σ_max (σ_min/σ_max)^(l/(L−1)), or cosine
 * σ_min + (σ_max − σ_min)(1 + cos(π l/(L−1)))/2. */
void score_sigmas(const score_cfg *c, float *sigma);
/* Architecture a must have nin = nout = D and ncond = nlevels (or 0 for one level).
 * nx, nu: the layout's sizes (points: nx = D, nu = 0). */
score_model *score_create(const score_cfg *c, const nn_arch *a, int nx, int nu, sgp_err *e);
void score_free(score_model *m);

/* Fits the normalizer on Z (N x D), initialises the net from `seed` and trains with train_run. */
int score_train(score_model *m, const float *Z, int64_t N, const train_cfg *tc, train_result *res,
                sgp_err *e);

typedef struct score_ws score_ws;
score_ws *score_ws_create(const score_model *m, int maxB);
void score_ws_free(score_ws *w);
/* s (B x D) = the score at level (0 = largest σ) in physical units, for B <= maxB queries z. */
void score_eval(const score_model *m, score_ws *w, int B, const float *z, int level, float *s);

/* kind "score". config / dataset / train: saved as metadata (may be NULL). */
int score_save(const score_model *m, const char *path, const cJSON *config, const cJSON *dataset,
               const train_result *r, sgp_err *e);
/* Validates kind and sizes. */
score_model *score_load(const char *path, sgp_err *e);
/* Checks that the model takes the data's z: "m.safetensors: score model input dimension 6,
 * dataset (x,u) has 5". */
int score_check_dims(const score_model *m, const char *path, int nx, int nu, sgp_err *e);

/* Annealed Langevin dynamics (Song & Ermon 2019): for each level l, `steps` updates
 *   z ← z + (a_l/2) s_l(z) + √a_l ξ,   a_l = ε σ_l² / σ_L²  (in normalised units: each coordinate's
 *   step is scaled by scale_k², i.e. the same chain run in z̄)
 * starting from z (B x D, in place). B <= maxB of ws. */
void score_langevin(const score_model *m, score_ws *w, int B, float *z, int steps, float eps,
                    sgp_rng *r);

/* ============================== learned regressor of d_σ: "DDE" (dde.c) ===================== */
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

/* ====== END score/DDE/trainer/model-file section ====== */

/* ====== BEGIN dynamics/cost/adapters section (dynamics helper) ====== */
/* ============================== learned dynamics, ensembles, learned cost, adapters ==========
 * (agents/dynamics.c, agents/cost_model.c, agents/adapters.c; docs/models.md)                   */

/* ---- residual MLP dynamics (METHOD §1) and ensembles (METHOD §5):
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

/* ---- learned running cost (METHOD §1), regressed on −reward (agents/cost_model.c):
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

/* ---- adapters: models as the planner interfaces of agents/planner.h (agents/adapters.c).
 * A view does not own the model, which must outlive it. Adapters that allocate a small holder
 * (exact score / distance, learned cost) are released with the matching adapt_*_release, which is
 * safe on any view (it frees only what this module allocated). */
#include "agents/planner.h"

/* plan_dyn over K members (kind "mlp" for K = 1, "ensemble" for K > 1); member-major rows.
 * ws_create(model, maxB, T) holds T·K cached forwards (slot t, member k), so vjp may be called
 * for any slot, in any order, after its forward; forward/vjp never allocate. */
void adapt_dyn(const dyn_model *m, plan_dyn *out);
/* Views over a learned score (single σ or NCSN levels; σ in the model's normalised units) and
 * the learned DDE. Fail for models over plain points (no (x,u) layout). path: for messages. */
int adapt_score(const score_model *m, const char *path, plan_score *out, sgp_err *e);
int adapt_dist_dde(const dde_model *m, const char *path, plan_dist *out, sgp_err *e);
/* Exact score ∇log p_σ of an index at nlevels decreasing σ (the "oracle score"; METHOD §2). */
int adapt_score_exact(const dist_index *idx, plan_zlayout layout, int nlevels, const float *sigma,
                      plan_score *out, sgp_err *e);
/* Exact d_σ and ∇d_σ = −σ² ∇log p_σ (METHOD §2). */
int adapt_dist_exact(const dist_index *idx, plan_zlayout layout, float sigma, plan_dist *out,
                     sgp_err *e);
/* plan_cost over a learned cost (terminal cost 0); owns a workspace of maxB rows (larger
 * batches are chunked), so use one adapter per thread. */
void adapt_cost(const cost_model *m, int maxB, plan_cost *out);
void adapt_cost_release(plan_cost *c);
void adapt_score_release(plan_score *s);
void adapt_dist_release(plan_dist *d);
/* ====== END dynamics/cost/adapters section ====== */

#ifdef __cplusplus
}
#endif
#endif
