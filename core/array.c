/* Dense arrays: dtype table, allocation (64-byte aligned, zeroed). */
#include "core/array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  size_t size;
  const char *name;
} dtypes[SGP_NUM_DTYPE] = {
    [SGP_F32] = {4, "float32"}, [SGP_F64] = {8, "float64"}, [SGP_U8] = {1, "uint8"},
    [SGP_I32] = {4, "int32"},   [SGP_I64] = {8, "int64"},
};

size_t sgp_dtype_size(sgp_dtype t) { return (unsigned)t < SGP_NUM_DTYPE ? dtypes[t].size : 0; }

const char *sgp_dtype_name(sgp_dtype t) {
  return (unsigned)t < SGP_NUM_DTYPE ? dtypes[t].name : "invalid";
}

size_t sgp_array_count(const sgp_array *a) {
  size_t n = 1;
  for (int i = 0; i < a->ndim; i++) n *= (size_t)a->shape[i];
  return n;
}

void sgp_array_alloc(sgp_array *a, sgp_dtype t, int ndim, const int64_t *shape) {
  memset(a, 0, sizeof *a);
  a->dtype = t;
  a->ndim = ndim;
  for (int i = 0; i < ndim; i++) a->shape[i] = shape[i];
  a->nbytes = sgp_array_count(a) * sgp_dtype_size(t);
  size_t bytes = (a->nbytes + 63) & ~(size_t)63;
  if (bytes == 0) bytes = 64;
  a->data = aligned_alloc(64, bytes);
  if (!a->data) {
    fprintf(stderr, "sgp: out of memory (allocating %zu bytes)\n", bytes);
    exit(3);
  }
  memset(a->data, 0, bytes);
}

void sgp_array_free(sgp_array *a) {
  free(a->data);
  a->data = NULL;
  a->nbytes = 0;
}
