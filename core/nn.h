/* The multilayer perceptron: a read-only network and a workspace made once, forward and
 * backward on whole batches (core/nn.c, core/nn_json.c). */
#ifndef SGP_CORE_NN_H
#define SGP_CORE_NN_H

#include <stddef.h>
#include <cJSON.h>
#include "core/err.h"
#include "core/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = L_n( h_{n-1} ),  h_k = g_k[level] ⊙ act( LN_k( W_k h_{k-1} + b_k ) )   (METHOD §3)
 * W_k stored [out][in] row-major (PyTorch layout), so a batch is one cblas_sgemm per layer.
 * LayerNorm (optional) follows each hidden linear; the conditioning embedding g_k (optional,
 * `ncond` levels) gates each hidden activation. The output layer is linear. */

#define NN_MAX_HIDDEN 16

typedef enum nn_act {
  NN_RELU = 0,
  NN_LEAKY_RELU, /* slope act_param (default 0.01) */
  NN_ELU,        /* alpha act_param (default 1.0) */
  NN_SILU,
  NN_TANH,
  NN_IDENTITY,
  NN_NUM_ACT
} nn_act;

typedef struct nn_arch {
  int nin, nout;
  int nhidden;                /* number of hidden layers, 0..NN_MAX_HIDDEN */
  int width[NN_MAX_HIDDEN];   /* their widths */
  nn_act act;
  float act_param;
  int layernorm;              /* 1: LayerNorm (eps 1e-5, affine) after every hidden linear */
  int ncond;                  /* number of conditioning levels; 0: unconditioned */
} nn_arch;

/* Pointers into one flat parameter (or gradient) buffer. Order in the buffer, layer by layer:
 * W (out*in), b (out), [ln_g (out), ln_b (out)], [emb (ncond*out)]; output layer: W, b. */
typedef struct nn_layer {
  int nin, nout;
  float *W, *b, *ln_g, *ln_b, *emb;
} nn_layer;

typedef struct nn_mlp {
  nn_arch arch;
  size_t nparams;
  float *params;                   /* one allocation */
  nn_layer layer[NN_MAX_HIDDEN + 1];
  int nlayers;                     /* nhidden + 1 */
  struct nn_frozen *frozen;        /* inference kernels (core/nn_kernels.h nn_freeze), or NULL */
} nn_mlp;

typedef struct nn_ws nn_ws; /* workspace: activations of the last forward, scratch */

const char *nn_act_name(nn_act a);
int nn_act_parse(const char *name, nn_act *out); /* "relu", "leaky_relu", "elu", "silu", "tanh", "identity" */
int nn_arch_check(const nn_arch *a, sgp_err *e);
size_t nn_arch_nparams(const nn_arch *a);
/* Lays out layer views over a flat buffer of nn_arch_nparams floats (params or their gradients). */
void nn_layout(const nn_arch *a, float *base, nn_layer *layers);

nn_mlp *nn_create(const nn_arch *a);            /* parameters zeroed */
void nn_free(nn_mlp *m);
void nn_init(nn_mlp *m, sgp_rng *r);            /* PyTorch defaults: W,b ~ U(±1/sqrt(fan_in)); LN 1,0; emb U(0,1) */
nn_mlp *nn_clone(const nn_mlp *m);

nn_ws *nn_ws_create(const nn_arch *a, int maxbatch);
void nn_ws_free(nn_ws *w);
int nn_ws_maxbatch(const nn_ws *w);

/* Forward pass of B rows (B <= maxbatch of ws). level: B level indices when ncond > 0, else NULL.
 * Keeps what backward needs in ws. x and y may not alias. Small B takes a gemv path. */
void nn_forward(const nn_mlp *m, nn_ws *ws, int B, const float *x, const int *level, float *y);
/* Backward of the last nn_forward on ws (same m, B). dy: B x nout.
 * dparams (nparams floats, same layout as params) receives the parameter gradient, added to its
 * contents if accumulate, else overwritten; NULL skips it. dx (B x nin) receives the input VJP;
 * NULL skips it. */
void nn_backward(const nn_mlp *m, nn_ws *ws, int B, const float *dy, float *dparams, int accumulate,
                 float *dx);

/* Architecture <-> JSON (the form stored in model files and configs):
 * {"in":5,"out":4,"hidden":[64,64,32],"act":"leaky_relu","act_param":0.01,"layernorm":false,"ncond":0} */
cJSON *nn_arch_to_json(const nn_arch *a);
struct sgp_cfg;
int nn_arch_from_cfg(struct sgp_cfg *c, int nin, int nout, nn_arch *out, sgp_err *e);

#ifdef __cplusplus
}
#endif
#endif
