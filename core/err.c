/* Errors as values, allocation that never returns NULL, finiteness checks. */
#include "core/core.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int sgp_fail(sgp_err *e, const char *fmt, ...) {
  if (!e) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  for (char *p = e->msg; *p; p++) /* one line, always */
    if (*p == '\n' || *p == '\r') *p = ' ';
  return -1;
}

int sgp_fail_prefix(sgp_err *e, const char *fmt, ...) {
  if (!e) return -1;
  char prefix[512], old[sizeof e->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, e->msg, sizeof old);
  size_t k = strlen(prefix);
  if (k > sizeof e->msg - 3) k = sizeof e->msg - 3;
  memcpy(e->msg, prefix, k);
  memcpy(e->msg + k, ": ", 2);
  size_t room = sizeof e->msg - k - 3, n = strlen(old);
  if (n > room) n = room;
  memcpy(e->msg + k + 2, old, n);
  e->msg[k + 2 + n] = 0;
  return -1;
}

static void oom(size_t n) {
  fprintf(stderr, "sgp: out of memory (allocating %zu bytes)\n", n);
  exit(3);
}

void *sgp_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *sgp_calloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) oom(count * size);
  return p;
}

void *sgp_realloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom(n);
  return q;
}

char *sgp_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = sgp_malloc(n);
  memcpy(d, s, n);
  return d;
}

float *sgp_falloc(size_t n) {
  size_t bytes = (n ? n : 1) * sizeof(float);
  bytes = (bytes + 63) & ~(size_t)63;
  void *p = aligned_alloc(64, bytes);
  if (!p) oom(bytes);
  return p;
}

int sgp_all_finite_f(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

int sgp_all_finite_d(const double *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}
