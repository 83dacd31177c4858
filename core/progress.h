/* Progress bars on stderr, durations, the monotonic clock (core/progress.c). */
#ifndef SGP_CORE_PROGRESS_H
#define SGP_CORE_PROGRESS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sgp_progress {
  const char *label;
  long total, done;
  double t0, last;
  int enabled; /* stderr is a terminal */
} sgp_progress;

void sgp_progress_begin(sgp_progress *p, const char *label, long total);
void sgp_progress_update(sgp_progress *p, long done, const char *extra); /* redraws at most 10 Hz */
void sgp_progress_end(sgp_progress *p);
/* A duration as "m:ss" or "h:mm:ss" (rounded to the second); "--:--" if negative, NaN or over
 * 359999 s. */
void sgp_fmt_duration(double seconds, char *buf, size_t cap);

double sgp_now(void); /* monotonic seconds */

#ifdef __cplusplus
}
#endif
#endif
