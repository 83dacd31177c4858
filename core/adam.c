/* Adam (Kingma & Ba) with PyTorch's arithmetic, optional L2 or decoupled (AdamW) weight decay and
 * gradient clipping by global norm; usable for network parameters and plain decision vectors. */
#include "core/err.h"
#include "core/adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Σ g² in double, four independent partial sums. */
static double sumsq(const float *g, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += (double)g[i] * g[i];
    s1 += (double)g[i + 1] * g[i + 1];
    s2 += (double)g[i + 2] * g[i + 2];
    s3 += (double)g[i + 3] * g[i + 3];
  }
  for (; i < n; i++) s0 += (double)g[i] * g[i];
  return (s0 + s1) + (s2 + s3);
}

/* The update, one pass. On x86-64 four lanes at a time with SSE (baseline there): the same IEEE
 * operations in the same order as the scalar loop, so the results are identical; GCC does not
 * vectorize the scalar form itself because sqrtf may set errno. */
static void adam_update(float *restrict x, const float *restrict g, float *restrict m, float *restrict v,
                        size_t n, float b1, float b2, float eps, float step, float rbc2, float l2,
                        float shrink) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128 B1 = _mm_set1_ps(b1), B1c = _mm_set1_ps(1.0f - b1), B2 = _mm_set1_ps(b2);
  const __m128 B2c = _mm_set1_ps(1.0f - b2), EPS = _mm_set1_ps(eps), STEP = _mm_set1_ps(step);
  const __m128 RBC2 = _mm_set1_ps(rbc2), L2 = _mm_set1_ps(l2), SHRINK = _mm_set1_ps(shrink);
  for (; i + 4 <= n; i += 4) {
    __m128 xi = _mm_loadu_ps(x + i);
    __m128 gi = _mm_add_ps(_mm_loadu_ps(g + i), _mm_mul_ps(L2, xi));
    __m128 mi = _mm_add_ps(_mm_mul_ps(B1, _mm_loadu_ps(m + i)), _mm_mul_ps(B1c, gi));
    __m128 vi = _mm_add_ps(_mm_mul_ps(B2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(B2c, gi), gi));
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    __m128 den = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), RBC2), EPS);
    _mm_storeu_ps(x + i, _mm_sub_ps(_mm_mul_ps(xi, SHRINK), _mm_div_ps(_mm_mul_ps(STEP, mi), den)));
  }
#endif
  for (; i < n; i++) {
    float gi = g[i] + l2 * x[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    x[i] = x[i] * shrink - step * mi / (sqrtf(vi) * rbc2 + eps);
  }
}

sgp_adam_cfg sgp_adam_defaults(void) {
  sgp_adam_cfg c;
  memset(&c, 0, sizeof c);
  c.lr = 1e-3f;
  c.beta1 = 0.9f;
  c.beta2 = 0.999f;
  c.eps = 1e-8f;
  return c;
}

sgp_adam *sgp_adam_create(size_t n, const sgp_adam_cfg *cfg) {
  sgp_adam *a = sgp_calloc(1, sizeof *a);
  a->cfg = cfg ? *cfg : sgp_adam_defaults();
  a->n = n;
  a->m = sgp_falloc(n);
  a->v = sgp_falloc(n);
  sgp_adam_reset(a);
  return a;
}

void sgp_adam_free(sgp_adam *a) {
  if (!a) return;
  free(a->m);
  free(a->v);
  free(a);
}

void sgp_adam_reset(sgp_adam *a) {
  memset(a->m, 0, a->n * sizeof(float));
  memset(a->v, 0, a->n * sizeof(float));
  a->t = 0;
}

/* One step, as torch.optim.Adam / AdamW:
 *   g ← g · min(1, c / (‖g‖ + 1e-6))           (clip_grad_norm_, when clip_norm = c > 0)
 *   g ← g + λ x                                 (L2, decoupled = 0)     x ← x (1 − lr λ)  (decoupled = 1)
 *   m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
 *   x ← x − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)
 * The returned norm is that of g as passed in (before clipping and decay). */
float sgp_adam_step(sgp_adam *a, float *x, float *g, float lr) {
  const sgp_adam_cfg *c = &a->cfg;
  size_t n = a->n;
  a->t++;
  double norm = sqrt(sumsq(g, n));
  if (c->clip_norm > 0) {
    double scale = (double)c->clip_norm / (norm + 1e-6);
    if (scale < 1.0) {
      float sc = (float)scale;
      for (size_t i = 0; i < n; i++) g[i] *= sc;
    }
  }
  const float step = (float)(lr / (1.0 - pow(c->beta1, (double)a->t)));
  const float rbc2 = (float)(1.0 / sqrt(1.0 - pow(c->beta2, (double)a->t)));
  const float l2 = c->decoupled ? 0.0f : c->weight_decay;
  const float shrink = c->decoupled ? 1.0f - lr * c->weight_decay : 1.0f;
  adam_update(x, g, a->m, a->v, n, c->beta1, c->beta2, c->eps, step, rbc2, l2, shrink);
  return (float)norm;
}

/* lr_min + (lr0 − lr_min)(1 + cos(π step/total))/2, step clamped to [0, total]. */
float sgp_cosine_lr(float lr0, float lr_min, long step, long total) {
  if (total <= 0) return lr0;
  if (step < 0) step = 0;
  if (step > total) step = total;
  double f = 0.5 * (1.0 + cos(M_PI * (double)step / (double)total));
  return (float)(lr_min + (lr0 - lr_min) * f);
}
