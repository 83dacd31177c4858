/* Private functions shared by the learned models (score.c, dde.c, cost_model.c, dynamics.c):
 * the input layouts of score and DDE models, training-data preparation, output standardisation,
 * and the steps every model file goes through when it is written or read. Not part of the
 * public API (agents/models.h); the mf_ functions they build on are. */
#ifndef SGP_AGENTS_MODEL_COMMON_H
#define SGP_AGENTS_MODEL_COMMON_H

#include "agents/model_file.h"
#include "agents/score.h"

/* ---- input layouts (score_layout): z = points, (x,u) or (x,u,x') */

/* Reads "inputs" ("points" | "xu" | "xux", default "xu"). */
int mc_layout_read(sgp_cfg *c, score_layout *out, sgp_err *e);
/* Checks the sizes of a layout (nx >= 1; nu >= 1 unless points) and gives its D:
 * "<what>: bad sizes nx = 0, nu = 1". */
int mc_layout_check(const char *what, score_layout l, int nx, int nu, int *dim, sgp_err *e);
/* Checks that a model of D = dim over (mnx, mnu) takes the data's z: "m.safetensors: <what> model
 * input dimension 6 (nx 4, nu 2), dataset (x,u) has 5 (nx 4, nu 1)". */
int mc_layout_check_data(const char *what, score_layout l, int dim, int mnx, int mnu, const char *path,
                         int nx, int nu, sgp_err *e);
/* Checks a stored sgp.model's dim against its layout and sizes (path: the file, for the message). */
int mc_layout_check_file(const char *path, score_layout l, long dim, long nx, long nu, sgp_err *e);

/* ---- models over (x,u): learned dynamics and cost, with input normalisers xn (nx), un (nu) */

/* in (B × (nx+nu)) = rows of [x̄, ū] = [(x − μ_x)/s_x, (u − μ_u)/s_u]. */
void mc_xu_inputs(const sgp_norm *xn, const sgp_norm *un, int B, const float *x, const float *u, float *in);
/* The normalisers in a model file: "x_norm" and "u_norm" (mf_put_norm / mc_get_norm). */
int mc_put_xu_norms(sgp_st *st, const sgp_norm *xn, const sgp_norm *un, sgp_err *e);
int mc_get_xu_norms(const sgp_st *st, const char *path, int nx, int nu, sgp_norm *xn, sgp_norm *un, sgp_err *e);

/* Checks a dynamics or cost model against an environment's (or the data's) sizes: "m.safetensors:
 * <what> model has nx=4, nu=2; environment cartpole has nx=4, nu=1" (env NULL: "(data)"). */
int mc_check_env_dims(const char *what, int mnx, int mnu, const char *path, const char *env, int nx, int nu,
                      sgp_err *e);

/* ---- training */

/* Checks N x D training data (N >= 1, all finite: "<what>: training data hold non-finite values"),
 * fits norm on them (scales floored at 1e-6) and returns the normalised copy (caller frees). */
float *mc_normalise_data(const char *what, sgp_norm *norm, const float *Z, int64_t N, int D, sgp_err *e);
/* Initialises a network from stream "init" of seed (PyTorch-default weights). */
void mc_init_net(nn_mlp *net, uint64_t seed);
/* Mean and population standard deviation of n values, in double, two passes (n = 0: 0 and 1). */
void mc_mean_std(const float *v, size_t n, double *mean, double *sd);

/* ---- model files */

/* mf_begin with sgp.train from r (NULL: none); takes and deletes `model`. */
void mc_begin(sgp_st *st, const char *kind, cJSON *model, const cJSON *config, const cJSON *dataset,
              const train_result *r);
/* A model file being read: its tensors, the parsed sgp.model with a config view of it (messages
 * read "<path>: metadata sgp.model/<key>: ..."), and an MLP read from it that is not yet moved
 * into the model. */
typedef struct mc_file {
  sgp_st st;
  cJSON *model;
  sgp_cfg c;
  nn_mlp *net;
} mc_file;
/* mf_open (kind NULL: any) and sgp.model. -1 with e filled and nothing left to free. */
int mc_open(mc_file *f, const char *path, const char *kind, sgp_err *e);
/* Frees what the reader still holds. */
void mc_close(mc_file *f);
/* The parsed sgp.model (caller deletes) and a config view of it whose messages read
 * "<path>: metadata sgp.model/<key>: ...". NULL with e filled. */
cJSON *mc_get_model(const sgp_st *st, const char *path, sgp_cfg *c, sgp_err *e);
/* sgp.model's "dim", "nx" (>= 1) and "nu" (>= 0) of a score or DDE model. */
int mc_get_layout_sizes(const sgp_cfg *c, long *dim, long *nx, long *nu, sgp_err *e);
/* Copies the parameters of *src into dst (same architecture), frees *src and sets it to NULL. */
void mc_take_params(nn_mlp *dst, nn_mlp **src);
/* Replaces *n by the normaliser stored under name (dim entries). On failure *n is left empty
 * (safe for sgp_norm_free) and e names the file and the tensor. */
int mc_get_norm(const sgp_st *st, const char *path, const char *name, int dim, sgp_norm *n, sgp_err *e);
/* The 2-vector [shift, scale] of an output standardisation, scale > 0:
 * "m.safetensors: tensor 'c_norm': scale 0 must be positive". */
int mc_get_affine(const sgp_st *st, const char *path, const char *name, float *shift, float *scale, sgp_err *e);

#endif
