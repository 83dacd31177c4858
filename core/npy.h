/* NumPy .npy files: parse, read, write atomically (core/npy.c). */
#ifndef SGP_CORE_NPY_H
#define SGP_CORE_NPY_H

#include <stdint.h>
#include "core/array.h"
#include "core/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* .npy version 1.0/2.0/3.0, little-endian, C order, dtypes above. `name` is used in messages. */
int sgp_npy_parse(const void *buf, size_t len, const char *name, sgp_array *out, sgp_err *e);
int sgp_npy_read(const char *path, sgp_array *out, sgp_err *e);
/* Writes atomically (temp + rename). */
int sgp_npy_write(const char *path, const sgp_array *a, sgp_err *e);
int sgp_npy_write_raw(const char *path, sgp_dtype t, int ndim, const int64_t *shape, const void *data,
                      sgp_err *e);

#ifdef __cplusplus
}
#endif
#endif
