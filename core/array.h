/* Typed n-dimensional arrays, the in-memory form of .npy and .safetensors tensors (core/array.c). */
#ifndef SGP_CORE_ARRAY_H
#define SGP_CORE_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sgp_dtype { SGP_F32 = 0, SGP_F64, SGP_U8, SGP_I32, SGP_I64, SGP_NUM_DTYPE } sgp_dtype;
size_t sgp_dtype_size(sgp_dtype t);
const char *sgp_dtype_name(sgp_dtype t); /* "float32", ... */

#define SGP_MAX_DIMS 8

typedef struct sgp_array {
  sgp_dtype dtype;
  int ndim;
  int64_t shape[SGP_MAX_DIMS];
  void *data; /* owned, 64-byte aligned */
  size_t nbytes;
} sgp_array;

size_t sgp_array_count(const sgp_array *a);
/* Allocates a zeroed array. */
void sgp_array_alloc(sgp_array *a, sgp_dtype t, int ndim, const int64_t *shape);
void sgp_array_free(sgp_array *a);

#ifdef __cplusplus
}
#endif
#endif
