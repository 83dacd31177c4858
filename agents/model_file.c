/* Model files: MLPs, float vectors and JSON metadata in one .safetensors (layout in models.h).
 * Loading validates everything it reads (kind, architecture, shapes, finiteness) and names the
 * file and the tensor or key at fault. */
#include "agents/model_file.h"
#include "core/array.h"
#include "core/err.h"
#include "core/json.h"
#include "core/nn.h"
#include "core/norm.h"
#include "core/safetensors.h"
#include "core/sys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MF_FORMAT "1"

static void put_json(sgp_st *st, const char *key, const cJSON *j) {
  if (!j) return;
  char *s = cJSON_PrintUnformatted(j);
  if (!s) return;
  sgp_st_set_meta(st, key, s);
  cJSON_free(s);
}

void mf_begin(sgp_st *st, const char *kind, const cJSON *model, const cJSON *config, const cJSON *dataset,
              const cJSON *train) {
  sgp_st_init(st);
  sgp_st_set_meta(st, "sgp.kind", kind);
  sgp_st_set_meta(st, "sgp.format", MF_FORMAT);
  put_json(st, "sgp.model", model);
  put_json(st, "sgp.config", config);
  put_json(st, "sgp.dataset", dataset);
  put_json(st, "sgp.train", train);
  cJSON *v = sgp_versions_json();
  put_json(st, "sgp.versions", v);
  cJSON_Delete(v);
}

static int put_f32(sgp_st *st, const char *name, const float *v, int ndim, const int64_t *shape, sgp_err *e) {
  return sgp_st_add(st, name, SGP_F32, ndim, shape, v, e);
}

int mf_put_mlp(sgp_st *st, const char *prefix, const nn_mlp *m, sgp_err *e) {
  char key[256];
  snprintf(key, sizeof key, "%s.arch", prefix);
  cJSON *a = nn_arch_to_json(&m->arch);
  put_json(st, key, a);
  cJSON_Delete(a);
  for (int k = 0; k < m->nlayers; k++) {
    const nn_layer *L = &m->layer[k];
    int64_t wshape[2] = {L->nout, L->nin}, bshape[1] = {L->nout}, eshape[2] = {m->arch.ncond, L->nout};
    snprintf(key, sizeof key, "%s.%d.weight", prefix, k);
    if (put_f32(st, key, L->W, 2, wshape, e)) return -1;
    snprintf(key, sizeof key, "%s.%d.bias", prefix, k);
    if (put_f32(st, key, L->b, 1, bshape, e)) return -1;
    if (L->ln_g) {
      snprintf(key, sizeof key, "%s.%d.ln_weight", prefix, k);
      if (put_f32(st, key, L->ln_g, 1, bshape, e)) return -1;
      snprintf(key, sizeof key, "%s.%d.ln_bias", prefix, k);
      if (put_f32(st, key, L->ln_b, 1, bshape, e)) return -1;
    }
    if (L->emb) {
      snprintf(key, sizeof key, "%s.%d.emb", prefix, k);
      if (put_f32(st, key, L->emb, 2, eshape, e)) return -1;
    }
  }
  return 0;
}

int mf_put_norm(sgp_st *st, const char *name, const sgp_norm *n, sgp_err *e) {
  char key[256];
  int64_t shape[1] = {n->dim};
  snprintf(key, sizeof key, "%s.shift", name);
  if (put_f32(st, key, n->shift, 1, shape, e)) return -1;
  snprintf(key, sizeof key, "%s.scale", name);
  return put_f32(st, key, n->scale, 1, shape, e);
}

int mf_put_vec(sgp_st *st, const char *name, const float *v, int n, sgp_err *e) {
  int64_t shape[1] = {n};
  return put_f32(st, name, v, 1, shape, e);
}

int mf_write(const char *path, sgp_st *st, sgp_err *e) {
  char hex[65];
  sgp_st_tensors_sha256(st, hex);
  sgp_st_set_meta(st, "sgp.tensors_sha256", hex);
  return sgp_st_write(path, st, e);
}

const char *mf_tensors_sha256(const sgp_st *st) { return sgp_st_get_meta(st, "sgp.tensors_sha256"); }

/* ---------------------------------------------------------------------------------------------- */

int mf_open(const char *path, const char *kind, sgp_st *st, sgp_err *e) {
  sgp_st_init(st);
  if (sgp_st_read(path, st, e) != 0) return -1;
  const char *k = sgp_st_get_meta(st, "sgp.kind");
  const char *f = sgp_st_get_meta(st, "sgp.format");
  int rc = 0;
  if (!k)
    rc = sgp_fail(e, "%s: not an sgpbench model file (no sgp.kind in the metadata)", path);
  else if (!f || strcmp(f, MF_FORMAT))
    rc = sgp_fail(e, "%s: model file format '%s', this build reads '%s'", path, f ? f : "(none)", MF_FORMAT);
  else if (kind && strcmp(k, kind))
    rc = sgp_fail(e, "%s: model kind is '%s', expected '%s'", path, k, kind);
  const char *want = mf_tensors_sha256(st);
  char hex[65];
  if (!rc && want) { /* files written before the hash was recorded have none */
    sgp_st_tensors_sha256(st, hex);
    if (strcmp(hex, want))
      rc = sgp_fail(e, "%s: corrupt: the tensors' SHA-256 is %.16s..., the file records %.16s...", path, hex, want);
  }
  if (rc) sgp_st_free(st);
  return rc;
}

const char *mf_kind(const sgp_st *st) { return sgp_st_get_meta(st, "sgp.kind"); }

static cJSON *get_json_raw(const sgp_st *st, const char *path, const char *key, sgp_err *e) {
  const char *s = sgp_st_get_meta(st, key);
  if (!s) return sgp_fail(e, "%s: metadata '%s' missing", path, key), NULL;
  cJSON *j = NULL;
  char name[512];
  snprintf(name, sizeof name, "%s: metadata '%s'", path, key);
  if (sgp_json_parse(s, name, &j, e) != 0) return NULL;
  return j;
}

cJSON *mf_get_json(const sgp_st *st, const char *path, const char *key, sgp_err *e) {
  char k[256];
  snprintf(k, sizeof k, "sgp.%s", key);
  return get_json_raw(st, path, k, e);
}

static int get_f32(const sgp_st *st, const char *path, const char *name, int ndim, const int64_t *shape,
                   const float **out, sgp_err *e) {
  if (sgp_st_get_f32(st, path, name, ndim, shape, out, e) != 0) return -1;
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
  if (!sgp_all_finite_f(*out, n)) return sgp_fail(e, "%s: tensor '%s' holds non-finite values", path, name);
  return 0;
}

nn_mlp *mf_get_mlp(const sgp_st *st, const char *path, const char *prefix, int nin, int nout, sgp_err *e) {
  char key[256];
  snprintf(key, sizeof key, "%s.arch", prefix);
  cJSON *j = get_json_raw(st, path, key, e);
  if (!j) return NULL;
  sgp_cfg c = sgp_cfg_root(j, path);
  snprintf(c.path, sizeof c.path, "metadata %s", key);
  /* "in"/"out" are checked against the arch itself; the caller's nin/nout below */
  long ain = 0, aout = 0;
  nn_arch a;
  if (sgp_cfg_int(&c, "in", 1, 1 << 24, &ain, e) || sgp_cfg_int(&c, "out", 1, 1 << 24, &aout, e) ||
      nn_arch_from_cfg(&c, (int)ain, (int)aout, &a, e)) {
    cJSON_Delete(j);
    return NULL;
  }
  cJSON_Delete(j);
  if (nin > 0 && a.nin != nin)
    return sgp_fail(e, "%s: network '%s' takes %d inputs, expected %d", path, prefix, a.nin, nin), NULL;
  if (nout > 0 && a.nout != nout)
    return sgp_fail(e, "%s: network '%s' gives %d outputs, expected %d", path, prefix, a.nout, nout), NULL;
  nn_mlp *m = nn_create(&a);
  for (int k = 0; k < m->nlayers; k++) {
    nn_layer *L = &m->layer[k];
    int64_t wshape[2] = {L->nout, L->nin}, bshape[1] = {L->nout}, eshape[2] = {a.ncond, L->nout};
    const float *src;
    struct {
      const char *suffix;
      float *dst;
      int ndim;
      const int64_t *shape;
    } parts[5] = {{"weight", L->W, 2, wshape}, {"bias", L->b, 1, bshape}, {"ln_weight", L->ln_g, 1, bshape},
                  {"ln_bias", L->ln_b, 1, bshape}, {"emb", L->emb, 2, eshape}};
    for (int p = 0; p < 5; p++) {
      if (!parts[p].dst) continue;
      snprintf(key, sizeof key, "%s.%d.%s", prefix, k, parts[p].suffix);
      if (get_f32(st, path, key, parts[p].ndim, parts[p].shape, &src, e)) {
        nn_free(m);
        return NULL;
      }
      size_t n = (size_t)parts[p].shape[0] * (parts[p].ndim == 2 ? (size_t)parts[p].shape[1] : 1);
      memcpy(parts[p].dst, src, n * sizeof(float));
    }
  }
  return m;
}

int mf_get_norm(const sgp_st *st, const char *path, const char *name, int dim, sgp_norm *out, sgp_err *e) {
  char key[256];
  int64_t shape[1] = {dim};
  const float *sh, *sc;
  snprintf(key, sizeof key, "%s.shift", name);
  if (get_f32(st, path, key, 1, shape, &sh, e)) return -1;
  snprintf(key, sizeof key, "%s.scale", name);
  if (get_f32(st, path, key, 1, shape, &sc, e)) return -1;
  for (int k = 0; k < dim; k++)
    if (!(sc[k] > 0)) return sgp_fail(e, "%s: tensor '%s': scale %d is %g, must be positive", path, key, k, sc[k]);
  sgp_norm_init(out, dim);
  memcpy(out->shift, sh, sizeof(float) * dim);
  memcpy(out->scale, sc, sizeof(float) * dim);
  return 0;
}

int mf_get_vec(const sgp_st *st, const char *path, const char *name, int n, float *out, sgp_err *e) {
  int64_t shape[1] = {n};
  const float *src;
  if (get_f32(st, path, name, 1, shape, &src, e)) return -1;
  memcpy(out, src, sizeof(float) * n);
  return 0;
}
