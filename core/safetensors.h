/* Safetensors files: named tensors and string metadata (core/safetensors.c). */
#ifndef SGP_CORE_SAFETENSORS_H
#define SGP_CORE_SAFETENSORS_H

#include <stdint.h>
#include <cJSON.h>
#include "core/array.h"
#include "core/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sgp_tensor {
  char *name;
  sgp_array a;
} sgp_tensor;

typedef struct sgp_st {
  int n, cap;
  sgp_tensor *t;
  cJSON *meta; /* the "__metadata__" object: string -> string (may be NULL) */
} sgp_st;

void sgp_st_init(sgp_st *s);
void sgp_st_free(sgp_st *s);
/* Copies the data. Fails on a duplicate name. */
int sgp_st_add(sgp_st *s, const char *name, sgp_dtype t, int ndim, const int64_t *shape,
               const void *data, sgp_err *e);
void sgp_st_set_meta(sgp_st *s, const char *key, const char *value);
const char *sgp_st_get_meta(const sgp_st *s, const char *key);
const sgp_tensor *sgp_st_find(const sgp_st *s, const char *name);
/* Looks up a float32 tensor of exactly the given shape (a negative entry matches any size); the
 * error names file (`what`) and tensor. */
int sgp_st_get_f32(const sgp_st *s, const char *what, const char *name, int ndim, const int64_t *shape,
                   const float **data, sgp_err *e);
int sgp_st_parse(const void *buf, size_t len, const char *name, sgp_st *out, sgp_err *e);
int sgp_st_read(const char *path, sgp_st *out, sgp_err *e);
int sgp_st_write(const char *path, const sgp_st *s, sgp_err *e); /* atomic; tensors sorted by name */
/* SHA-256 (hex) of the tensors alone, in name order: of every tensor its name, a NUL, its dtype
 * name, a NUL, its shape (int64 little-endian, ndim of them, after ndim as one int64) and its bytes.
 * The metadata is left out, so the hash says which weights a file holds, whatever else it records. */
void sgp_st_tensors_sha256(const sgp_st *s, char hex[65]);

#ifdef __cplusplus
}
#endif
#endif
