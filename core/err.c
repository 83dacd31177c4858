/* Errors as values, allocation that never returns NULL, finiteness checks. */
#include "core/err.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
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

/* ============================== names a registry knows ========================================= */

const char *sgp_name_in_list(const void *names, int i) { return ((const char *const *)names)[i]; }

void sgp_join_names(char *buf, size_t cap, int n, sgp_name_at name_at, const void *ctx) {
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < n; i++) {
    int w = snprintf(buf + k, cap - k, "%s%s", i ? ", " : "", name_at(ctx, i));
    if (w < 0 || (size_t)w >= cap - k) { /* too long: end with "..." */
      if (cap > 4) memcpy(buf + cap - 4, "...", 4);
      return;
    }
    k += (size_t)w;
  }
}

int sgp_fail_unknown(sgp_err *e, const char *what, const char *name, int n, sgp_name_at name_at,
                     const void *ctx) {
  char list[512];
  sgp_join_names(list, sizeof list, n, name_at, ctx);
  return sgp_fail(e, "unknown %s '%.200s' (known: %s)", what, name, n ? list : "none");
}
