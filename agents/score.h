/* Learned scores by denoising score matching, single σ and NCSN (METHOD §3; agents/score.c). */
#ifndef SGP_AGENTS_SCORE_H
#define SGP_AGENTS_SCORE_H

#include "agents/train.h"
#include "core/err.h"
#include "core/json.h"
#include "core/nn.h"
#include "core/norm.h"
#include "core/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
