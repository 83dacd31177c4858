/* Errors as values, allocation that never fails, the names of registries in messages (core/err.c). */
#ifndef SGP_CORE_ERR_H
#define SGP_CORE_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sgp_err {
  char msg[1024]; /* one line, no trailing newline */
} sgp_err;

/* Formats the message into e (if e != NULL) and returns -1, so `return sgp_fail(e, ...)` reads well. */
int sgp_fail(sgp_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to an existing message (adds context on the way up). Returns -1. */
int sgp_fail_prefix(sgp_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* malloc/calloc/realloc that print "sgp: out of memory" and exit(3) on failure (never NULL). */
void *sgp_malloc(size_t n);
void *sgp_calloc(size_t count, size_t size);
void *sgp_realloc(void *p, size_t n);
char *sgp_strdup(const char *s);
/* 64-byte aligned allocation for float buffers; free with free(). */
float *sgp_falloc(size_t n);

/* The names a registry knows, for messages: name_at(ctx, i) for i in [0, n). sgp_name_in_list
 * reads them from an array of strings (ctx: const char *const *). */
typedef const char *(*sgp_name_at)(const void *ctx, int i);
const char *sgp_name_in_list(const void *names, int i);
/* "a, b, c" into buf (ending in "..." when it does not fit). */
void sgp_join_names(char *buf, size_t cap, int n, sgp_name_at name_at, const void *ctx);
/* Fills e with "unknown <what> '<name>' (known: a, b, c)" and returns -1; add where it happened
 * with sgp_fail_prefix(e, "%s: /planner/name", file). */
int sgp_fail_unknown(sgp_err *e, const char *what, const char *name, int n, sgp_name_at name_at,
                     const void *ctx);

/* Returns 1 if every value is finite. */
int sgp_all_finite_f(const float *x, size_t n);
int sgp_all_finite_d(const double *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
