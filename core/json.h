/* JSON files and config views (core/json.c). */
#ifndef SGP_CORE_JSON_H
#define SGP_CORE_JSON_H

#include <stddef.h>
#include <cJSON.h>
#include "core/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A view of one JSON object, with the file it came from and its JSON path ("/planner/beta"), so
 * that every error names both: "run.json: /planner/beta: expected a number, got a string".
 * The *_opt getters INSERT the default into the object when the key is absent, so that after a
 * component has read its config the cJSON tree is the fully resolved config (saved in results). */

typedef struct sgp_cfg {
  cJSON *j;
  const char *file;
  char path[512];
} sgp_cfg;

int sgp_json_load(const char *path, cJSON **out, sgp_err *e); /* parse errors give line and column */
int sgp_json_parse(const char *text, const char *name, cJSON **out, sgp_err *e);
/* Same for text[0..len) (no NUL inside); trailing white space allowed. Duplicate keys are errors. */
int sgp_json_parse_len(const char *text, size_t len, const char *name, cJSON **out, sgp_err *e);
/* Deterministic pretty print, written atomically. */
int sgp_json_write(const char *path, const cJSON *j, sgp_err *e);
/* 1 if every field of want is in got with the same value, recursively (got may hold more: the
 * verbs insert their defaults into the configs they record); arrays must have equal lengths. */
int sgp_json_subset(const cJSON *want, const cJSON *got);

sgp_cfg sgp_cfg_root(cJSON *j, const char *file);
int sgp_cfg_has(const sgp_cfg *c, const char *key);
int sgp_cfg_obj(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e);     /* required */
int sgp_cfg_obj_opt(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e); /* absent: {} inserted */
/* Required array: out views it (path "/agents"), *n its length (n may be NULL). */
int sgp_cfg_array(const sgp_cfg *c, const char *key, sgp_cfg *out, int *n, sgp_err *e);
/* Element i of an array view, which must be an object (path "/agents/2"). */
int sgp_cfg_index(const sgp_cfg *arr, int i, sgp_cfg *out, sgp_err *e);
int sgp_cfg_num(const sgp_cfg *c, const char *key, double *out, sgp_err *e);
int sgp_cfg_num_opt(const sgp_cfg *c, const char *key, double dflt, double *out, sgp_err *e);
int sgp_cfg_float_opt(const sgp_cfg *c, const char *key, double dflt, float *out, sgp_err *e);
/* Integers must be whole numbers within [lo, hi]. */
int sgp_cfg_int(const sgp_cfg *c, const char *key, long lo, long hi, long *out, sgp_err *e);
int sgp_cfg_int_opt(const sgp_cfg *c, const char *key, long lo, long hi, long dflt, long *out, sgp_err *e);
int sgp_cfg_bool_opt(const sgp_cfg *c, const char *key, int dflt, int *out, sgp_err *e);
int sgp_cfg_str(const sgp_cfg *c, const char *key, const char **out, sgp_err *e);
/* dflt NULL: an absent key stays absent and *out = NULL. Strings point into the tree. */
int sgp_cfg_str_opt(const sgp_cfg *c, const char *key, const char *dflt, const char **out, sgp_err *e);
/* String from a fixed set; the error lists the choices. */
int sgp_cfg_enum(const sgp_cfg *c, const char *key, const char *const *names, int n, int dflt,
                 int *out, sgp_err *e); /* dflt < 0: required */
/* Array of numbers; n_expected > 0 requires exactly that length, else 1..maxn. */
int sgp_cfg_num_array(const sgp_cfg *c, const char *key, double *out, int maxn, int n_expected,
                      int *n, sgp_err *e);
/* Array of whole numbers, 0..maxn long (empty allowed: "hidden": [] means no hidden layer). */
int sgp_cfg_int_array(const sgp_cfg *c, const char *key, long *out, int maxn, int *n, sgp_err *e);
/* Rejects keys not in `allowed` (NULL-terminated): "run.json: /planner/bta: unknown field". */
int sgp_cfg_check_keys(const sgp_cfg *c, const char *const *allowed, sgp_err *e);
/* Reading without inserting anything (for files that are recorded as written, such as sweeps): */
/* The item under key, or NULL (also when c is not an object). */
const cJSON *sgp_cfg_get(const sgp_cfg *c, const char *key);
/* Optional object: 1 present (out views it), 0 absent (out->j = NULL), -1 present but not an
 * object. */
int sgp_cfg_obj_if(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e);
/* Fills e with "<file>: <path>/<key>: <message>" (key NULL: the object itself) and returns -1. */
int sgp_cfg_fail(sgp_err *e, const sgp_cfg *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "a number", "a string", "a boolean", "null", "an array", "an object" (for messages). */
const char *sgp_json_type(const cJSON *j);

#ifdef __cplusplus
}
#endif
#endif
