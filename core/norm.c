/* Per-dimension normalizers z = (x − shift) / scale (shift = mean, scale = std of the data). */
#include "core/err.h"
#include "core/norm.h"

#include <math.h>
#include <stdlib.h>

void sgp_norm_init(sgp_norm *n, int dim) {
  n->dim = dim < 0 ? 0 : dim;
  n->shift = sgp_falloc((size_t)n->dim);
  n->scale = sgp_falloc((size_t)n->dim);
  for (int j = 0; j < n->dim; j++) n->shift[j] = 0.0f, n->scale[j] = 1.0f;
}

void sgp_norm_free(sgp_norm *n) {
  if (!n) return;
  free(n->shift);
  free(n->scale);
  n->shift = n->scale = NULL;
  n->dim = 0;
}

/* Two passes in double: mean, then the population standard deviation (numpy's std, ddof 0),
 * floored at min_scale. With no rows the normalizer is the identity. */
void sgp_norm_fit(sgp_norm *n, const float *X, size_t rows, int dim, float min_scale) {
  sgp_norm_free(n);
  sgp_norm_init(n, dim);
  if (rows == 0) return;
  for (int j = 0; j < dim; j++) {
    double s = 0;
    for (size_t r = 0; r < rows; r++) s += X[r * (size_t)dim + j];
    double mu = s / (double)rows, q = 0;
    for (size_t r = 0; r < rows; r++) {
      double d = X[r * (size_t)dim + j] - mu;
      q += d * d;
    }
    double sd = sqrt(q / (double)rows);
    n->shift[j] = (float)mu;
    n->scale[j] = (float)(sd > min_scale ? sd : min_scale);
  }
}

void sgp_norm_apply(const sgp_norm *n, size_t rows, const float *x, float *z) {
  int d = n->dim;
  for (size_t r = 0; r < rows; r++)
    for (int j = 0; j < d; j++) z[r * d + j] = (x[r * d + j] - n->shift[j]) / n->scale[j];
}

void sgp_norm_invert(const sgp_norm *n, size_t rows, const float *z, float *x) {
  int d = n->dim;
  for (size_t r = 0; r < rows; r++)
    for (int j = 0; j < d; j++) x[r * d + j] = z[r * d + j] * n->scale[j] + n->shift[j];
}

void sgp_norm_copy(sgp_norm *dst, const sgp_norm *src) {
  sgp_norm_free(dst);
  sgp_norm_init(dst, src->dim);
  for (int j = 0; j < src->dim; j++) dst->shift[j] = src->shift[j], dst->scale[j] = src->scale[j];
}
