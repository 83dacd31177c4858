/* Adam (Kingma & Ba) with PyTorch's arithmetic, optional L2 or decoupled (AdamW) weight decay and
 * gradient clipping by global norm; usable for network parameters and plain decision vectors. */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
  double norm = -1;
  if (c->clip_norm > 0) {
    double s2 = 0;
    for (size_t i = 0; i < n; i++) s2 += (double)g[i] * g[i];
    norm = sqrt(s2);
    double scale = (double)c->clip_norm / (norm + 1e-6);
    if (scale < 1.0) {
      float sc = (float)scale;
      for (size_t i = 0; i < n; i++) g[i] *= sc;
    }
  }
  const float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
  const float step = (float)(lr / (1.0 - pow(b1, (double)a->t)));
  const float rbc2 = (float)(1.0 / sqrt(1.0 - pow(b2, (double)a->t)));
  const float l2 = c->decoupled ? 0.0f : c->weight_decay;
  const float shrink = c->decoupled ? 1.0f - lr * c->weight_decay : 1.0f;
  float *m = a->m, *v = a->v;
  double s2 = 0;
  for (size_t i = 0; i < n; i++) {
    float gi = g[i];
    s2 += (double)gi * gi; /* unused when clipping already measured the norm */
    gi += l2 * x[i];
    float xi = x[i] * shrink;
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    x[i] = xi - step * mi / (sqrtf(vi) * rbc2 + eps);
  }
  return (float)(norm >= 0 ? norm : sqrt(s2));
}

/* lr_min + (lr0 − lr_min)(1 + cos(π step/total))/2, step clamped to [0, total]. */
float sgp_cosine_lr(float lr0, float lr_min, long step, long total) {
  if (total <= 0) return lr0;
  if (step < 0) step = 0;
  if (step > total) step = total;
  double f = 0.5 * (1.0 + cos(M_PI * (double)step / (double)total));
  return (float)(lr_min + (lr0 - lr_min) * f);
}
