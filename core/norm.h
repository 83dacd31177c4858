/* Per-dimension normalizers z = (x - shift) / scale (core/norm.c). */
#ifndef SGP_CORE_NORM_H
#define SGP_CORE_NORM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* z = (x - shift) / scale, per dimension. */

typedef struct sgp_norm {
  int dim;
  float *shift, *scale;
} sgp_norm;

void sgp_norm_init(sgp_norm *n, int dim);         /* identity: shift 0, scale 1 */
void sgp_norm_free(sgp_norm *n);
/* Mean / standard deviation of the columns of X (rows x dim); scale floored at min_scale. */
void sgp_norm_fit(sgp_norm *n, const float *X, size_t rows, int dim, float min_scale);
void sgp_norm_apply(const sgp_norm *n, size_t rows, const float *x, float *z);   /* may alias */
void sgp_norm_invert(const sgp_norm *n, size_t rows, const float *z, float *x);  /* may alias */
void sgp_norm_copy(sgp_norm *dst, const sgp_norm *src);

#ifdef __cplusplus
}
#endif
#endif
