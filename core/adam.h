/* Adam / AdamW over one flat parameter array, and the cosine learning-rate schedule (core/adam.c). */
#ifndef SGP_CORE_ADAM_H
#define SGP_CORE_ADAM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sgp_adam_cfg {
  float lr;            /* default 1e-3 */
  float beta1, beta2;  /* 0.9, 0.999 */
  float eps;           /* 1e-8 */
  float weight_decay;  /* 0: none. Decoupled (AdamW) when decoupled = 1, else L2 added to g. */
  int decoupled;
  float clip_norm;     /* > 0: scale g so that its global L2 norm is at most clip_norm */
} sgp_adam_cfg;

typedef struct sgp_adam {
  sgp_adam_cfg cfg;
  size_t n;
  float *m, *v;
  long t;
} sgp_adam;

sgp_adam_cfg sgp_adam_defaults(void);
sgp_adam *sgp_adam_create(size_t n, const sgp_adam_cfg *cfg);
void sgp_adam_free(sgp_adam *a);
void sgp_adam_reset(sgp_adam *a); /* zero moments and step count */
/* One step on x (n floats) with gradient g (clipped in place when clip_norm > 0) at learning rate
 * lr (pass cfg.lr for constant). Returns the global gradient norm before clipping. */
float sgp_adam_step(sgp_adam *a, float *x, float *g, float lr);
/* Cosine decay from lr0 to lr_min over total steps (step in [0, total]). */
float sgp_cosine_lr(float lr0, float lr_min, long step, long total);

#ifdef __cplusplus
}
#endif
#endif
