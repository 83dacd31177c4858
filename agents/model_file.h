/* Model files: MLPs, vectors and metadata in one .safetensors (agents/model_file.c). */
#ifndef SGP_AGENTS_MODEL_FILE_H
#define SGP_AGENTS_MODEL_FILE_H

#include "core/err.h"
#include "core/nn.h"
#include "core/norm.h"
#include "core/safetensors.h"

#include <cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A model file is a .safetensors file holding one or more MLPs, float vectors (normalizers, k_x,
 * noise levels, ...) and string metadata:
 *   "sgp.kind"            "score" | "dde" | "dynamics" | "ensemble" | "cost" ...
 *   "sgp.format"          "1"
 *   "sgp.model"           JSON: what the kind needs to rebuild itself (dims, layout, levels, ...)
 *   "sgp.config"          JSON: the fully resolved training config
 *   "sgp.dataset"         JSON: which data it was trained on (path, sizes, hashes)
 *   "sgp.train"           JSON: train_result_json
 *   "sgp.versions"        JSON: sgp_versions_json
 *   "sgp.tensors_sha256"  sgp_st_tensors_sha256 of the file's tensors (written by mf_write, checked
 *                         by mf_open: a corrupt weight fails to load; older files have none)
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
int mf_write(const char *path, sgp_st *st, sgp_err *e); /* records sgp.tensors_sha256 first */
/* The recorded sgp.tensors_sha256 (NULL: none). */
const char *mf_tensors_sha256(const sgp_st *st);

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

#ifdef __cplusplus
}
#endif
#endif
