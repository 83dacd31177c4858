/* JSON files and config access. Every error names the file and the JSON path of the field
 * ("run.json: /planner/beta: expected a number, got a string"). The *_opt getters insert their
 * default into the tree when the key is absent, so that after a component has read its config the
 * tree is the fully resolved config, which results then record. */
#include "core/err.h"
#include "core/files.h"
#include "core/json.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SGP_JSON_MAX_BYTES ((size_t)64 << 20)

/* ============================== parse, load, write ============================================ */

/* Objects with the same key twice are almost always a mistake (cJSON would silently use the
 * first), so they are rejected with the JSON path of the second occurrence. */
static int cmp_str_ptr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key of object j that occurs twice, or NULL. Small objects compare pairwise; large ones
 * (a model file with thousands of tensors) sort the keys, so a hostile header cannot make this
 * quadratic. */
static const char *dup_key(const cJSON *j) {
  int n = 0;
  for (const cJSON *c = j->child; c; c = c->next) n++;
  if (n <= 32) {
    for (const cJSON *c = j->child; c; c = c->next)
      for (const cJSON *d = j->child; d != c; d = d->next)
        if (strcmp(d->string, c->string) == 0) return c->string;
    return NULL;
  }
  const char **keys = sgp_malloc((size_t)n * sizeof *keys);
  int i = 0;
  for (const cJSON *c = j->child; c; c = c->next) keys[i++] = c->string;
  qsort(keys, (size_t)n, sizeof *keys, cmp_str_ptr);
  const char *dup = NULL;
  for (i = 1; i < n && !dup; i++)
    if (strcmp(keys[i - 1], keys[i]) == 0) dup = keys[i];
  free(keys);
  return dup;
}

static int check_dups(const cJSON *j, char *path, size_t cap, const char *name, sgp_err *e) {
  if (!cJSON_IsObject(j) && !cJSON_IsArray(j)) return 0;
  size_t k = strlen(path);
  if (cJSON_IsObject(j)) {
    const char *d = dup_key(j);
    if (d) return sgp_fail(e, "%s: %s/%s: duplicate key", name, path, d);
  }
  int idx = 0;
  for (const cJSON *c = j->child; c; c = c->next, idx++) {
    if (cJSON_IsObject(j))
      snprintf(path + k, cap - k, "/%s", c->string);
    else
      snprintf(path + k, cap - k, "/%d", idx);
    int rc = check_dups(c, path, cap, name, e);
    path[k] = 0;
    if (rc) return -1;
  }
  return 0;
}

/* Length of the longest valid UTF-8 prefix of s[0..n) (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). JSON text must be UTF-8; anything else would pass into
 * results and tables that then fail to parse. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) k = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      k = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else
      return i;
    if (i + k >= n) return i; /* truncated sequence */
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t q = 2; q <= k; q++)
      if (s[i + q] < 0x80 || s[i + q] > 0xBF) return i;
    i += k + 1;
  }
  return n;
}

/* Parses text[0..len) (need not be NUL-terminated at len, but must not contain NUL). Trailing
 * white space is allowed, anything else after the value is an error. Errors give line:column. */
static int parse_len(const char *text, size_t len, const char *name, cJSON **out, sgp_err *e) {
  const char *end = NULL;
  size_t valid = utf8_valid_prefix((const unsigned char *)text, len);
  cJSON *j = valid == len ? cJSON_ParseWithLengthOpts(text, len, &end, 0) : NULL;
  const char *at = NULL;
  const char *what = "syntax error";
  if (valid < len) {
    at = text + valid;
    what = "invalid UTF-8";
  } else if (!j) {
    at = end ? end : text;
  } else {
    const char *p = end;
    while (p < text + len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    if (p < text + len) {
      at = p;
      what = *p ? "unexpected text after the JSON value" : "NUL byte in the text";
    }
  }
  if (at) {
    if (at < text) at = text;
    if (at > text + len) at = text + len;
    long line = 1, col = 1;
    for (const char *p = text; p < at; p++) {
      if (*p == '\n') {
        line++;
        col = 1;
      } else if ((*p & 0xC0) != 0x80) { /* columns count characters, not UTF-8 bytes */
        col++;
      }
    }
    cJSON_Delete(j);
    if (at == text + len && what[0] == 's')
      return sgp_fail(e, "%s: invalid JSON at line %ld, column %ld: unexpected end of text", name,
                      line, col);
    return sgp_fail(e, "%s: invalid JSON at line %ld, column %ld: %s", name, line, col, what);
  }
  char path[1024] = "";
  if (check_dups(j, path, sizeof path, name, e) != 0) {
    cJSON_Delete(j);
    return -1;
  }
  *out = j;
  return 0;
}

int sgp_json_parse(const char *text, const char *name, cJSON **out, sgp_err *e) {
  return parse_len(text, strlen(text), name, out, e);
}

int sgp_json_parse_len(const char *text, size_t len, const char *name, cJSON **out, sgp_err *e) {
  return parse_len(text, len, name, out, e);
}

int sgp_json_load(const char *path, cJSON **out, sgp_err *e) {
  void *buf;
  size_t len;
  if (sgp_read_file(path, &buf, &len, SGP_JSON_MAX_BYTES, e) != 0) return -1;
  int rc = parse_len(buf, len, path, out, e);
  free(buf);
  return rc;
}

int sgp_json_write(const char *path, const cJSON *j, sgp_err *e) {
  char *s = cJSON_Print(j);
  if (!s) return sgp_fail(e, "%s: cannot write: JSON printing failed (out of memory?)", path);
  size_t n = strlen(s);
  char *t = sgp_malloc(n + 2);
  memcpy(t, s, n);
  t[n] = '\n';
  t[n + 1] = 0;
  cJSON_free(s);
  int rc = sgp_write_file_atomic(path, t, n + 1, e);
  free(t);
  return rc;
}

/* ============================== config views ================================================== */

sgp_cfg sgp_cfg_root(cJSON *j, const char *file) {
  sgp_cfg c;
  c.j = j;
  c.file = file ? file : "(config)";
  c.path[0] = 0;
  return c;
}

const char *sgp_json_type(const cJSON *j) {
  if (!j) return "nothing";
  if (cJSON_IsNumber(j)) return "a number";
  if (cJSON_IsString(j)) return "a string";
  if (cJSON_IsBool(j)) return "a boolean";
  if (cJSON_IsNull(j)) return "null";
  if (cJSON_IsArray(j)) return "an array";
  if (cJSON_IsObject(j)) return "an object";
  return "an invalid value";
}

/* JSON Pointer (RFC 6901) of key under c: "/" joins, "~" and "/" inside a key are escaped. */
static void child_path(const sgp_cfg *c, const char *key, char *out, size_t cap) {
  size_t k = (size_t)snprintf(out, cap, "%s/", c->path);
  for (const char *p = key; *p && k + 3 < cap; p++) {
    if (*p == '~' || *p == '/') {
      out[k++] = '~';
      out[k++] = *p == '~' ? '0' : '1';
    } else {
      out[k++] = *p;
    }
  }
  if (k < cap) out[k] = 0;
  else out[cap - 1] = 0;
}

static void index_path(const sgp_cfg *c, int i, char *out, size_t cap) {
  char num[16];
  snprintf(num, sizeof num, "/%d", i);
  size_t k = strnlen(c->path, cap - 1), m = strlen(num);
  memcpy(out, c->path, k);
  if (m > cap - 1 - k) m = cap - 1 - k;
  memcpy(out + k, num, m);
  out[k + m] = 0;
}

/* Path for messages: the root object is "/". */
static const char *shown(const char *path) { return path[0] ? path : "/"; }

/* Finds key in the object c. Returns 1 found, 0 absent, -1 error (c is not an object). */
static int lookup(const sgp_cfg *c, const char *key, cJSON **item, sgp_err *e) {
  if (!cJSON_IsObject(c->j))
    return sgp_fail(e, "%s: %s: expected an object, got %s", c->file, shown(c->path),
                    sgp_json_type(c->j));
  *item = cJSON_GetObjectItemCaseSensitive(c->j, key);
  return *item ? 1 : 0;
}

static int missing(const sgp_cfg *c, const char *key, sgp_err *e) {
  char p[512];
  child_path(c, key, p, sizeof p);
  return sgp_fail(e, "%s: %s: missing required field", c->file, p);
}

/* Finds a required key: 0 found, -1 error (c is not an object, or the key is missing). */
static int require(const sgp_cfg *c, const char *key, cJSON **item, sgp_err *e) {
  int f = lookup(c, key, item, e);
  if (f < 0) return -1;
  return f ? 0 : missing(c, key, e);
}

static int wrong_type(const sgp_cfg *c, const char *key, const char *want, const cJSON *got,
                      sgp_err *e) {
  char p[512];
  child_path(c, key, p, sizeof p);
  return sgp_fail(e, "%s: %s: expected %s, got %s", c->file, p, want, sgp_json_type(got));
}

int sgp_cfg_has(const sgp_cfg *c, const char *key) {
  return cJSON_IsObject(c->j) && cJSON_GetObjectItemCaseSensitive(c->j, key) != NULL;
}

static void make_child(const sgp_cfg *c, const char *key, cJSON *j, sgp_cfg *out) {
  sgp_cfg r;
  r.j = j;
  r.file = c->file;
  child_path(c, key, r.path, sizeof r.path);
  *out = r; /* out may alias c */
}

int sgp_cfg_obj(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e) {
  cJSON *it;
  if (require(c, key, &it, e)) return -1;
  if (!cJSON_IsObject(it)) return wrong_type(c, key, "an object", it, e);
  make_child(c, key, it, out);
  return 0;
}

int sgp_cfg_obj_opt(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e) {
  cJSON *it;
  int f = lookup(c, key, &it, e);
  if (f < 0) return -1;
  if (!f) it = cJSON_AddObjectToObject(c->j, key);
  else if (!cJSON_IsObject(it)) return wrong_type(c, key, "an object", it, e);
  make_child(c, key, it, out);
  return 0;
}

int sgp_cfg_array(const sgp_cfg *c, const char *key, sgp_cfg *out, int *n, sgp_err *e) {
  cJSON *it;
  if (require(c, key, &it, e)) return -1;
  if (!cJSON_IsArray(it)) return wrong_type(c, key, "an array", it, e);
  if (n) *n = cJSON_GetArraySize(it);
  make_child(c, key, it, out);
  return 0;
}

int sgp_cfg_index(const sgp_cfg *arr, int i, sgp_cfg *out, sgp_err *e) {
  if (!cJSON_IsArray(arr->j))
    return sgp_fail(e, "%s: %s: expected an array, got %s", arr->file, shown(arr->path),
                    sgp_json_type(arr->j));
  cJSON *it = i >= 0 ? cJSON_GetArrayItem(arr->j, i) : NULL;
  char p[512];
  index_path(arr, i, p, sizeof p);
  if (!it) return sgp_fail(e, "%s: %s: no such element", arr->file, p);
  if (!cJSON_IsObject(it))
    return sgp_fail(e, "%s: %s: expected an object, got %s", arr->file, p, sgp_json_type(it));
  sgp_cfg r;
  r.j = it;
  r.file = arr->file;
  snprintf(r.path, sizeof r.path, "%s", p);
  *out = r;
  return 0;
}

/* ------------------------------ numbers --------------------------------------------------- */

static int get_number(const sgp_cfg *c, const char *key, const cJSON *it, double *v, sgp_err *e) {
  if (!cJSON_IsNumber(it)) return wrong_type(c, key, "a number", it, e);
  if (!isfinite(it->valuedouble)) {
    char p[512];
    child_path(c, key, p, sizeof p);
    return sgp_fail(e, "%s: %s: expected a finite number", c->file, p);
  }
  *v = it->valuedouble;
  return 0;
}

int sgp_cfg_num(const sgp_cfg *c, const char *key, double *out, sgp_err *e) {
  cJSON *it;
  if (require(c, key, &it, e)) return -1;
  return get_number(c, key, it, out, e);
}

int sgp_cfg_num_opt(const sgp_cfg *c, const char *key, double dflt, double *out, sgp_err *e) {
  cJSON *it;
  int f = lookup(c, key, &it, e);
  if (f < 0) return -1;
  if (!f) {
    cJSON_AddNumberToObject(c->j, key, dflt);
    *out = dflt;
    return 0;
  }
  return get_number(c, key, it, out, e);
}

int sgp_cfg_float_opt(const sgp_cfg *c, const char *key, double dflt, float *out, sgp_err *e) {
  double v = 0;
  if (sgp_cfg_num_opt(c, key, dflt, &v, e) != 0) return -1;
  if (fabs(v) > FLT_MAX) {
    char p[512];
    child_path(c, key, p, sizeof p);
    return sgp_fail(e, "%s: %s: %g is out of the float32 range", c->file, p, v);
  }
  *out = (float)v;
  return 0;
}

static int get_int(const sgp_cfg *c, const char *key, const cJSON *it, long lo, long hi, long *out,
                   sgp_err *e) {
  double v = 0;
  if (get_number(c, key, it, &v, e) != 0) return -1;
  char p[512];
  if (v != floor(v)) {
    child_path(c, key, p, sizeof p);
    return sgp_fail(e, "%s: %s: expected an integer, got %.17g", c->file, p, v);
  }
  if (v < (double)lo || v > (double)hi) {
    child_path(c, key, p, sizeof p);
    return sgp_fail(e, "%s: %s: %.17g is out of range [%ld, %ld]", c->file, p, v, lo, hi);
  }
  /* (double)hi may round up past hi (hi = LONG_MAX): clamp the conversion. */
  *out = v >= (double)LONG_MAX ? hi : (long)v;
  if (*out < lo || *out > hi) *out = *out < lo ? lo : hi;
  return 0;
}

int sgp_cfg_int(const sgp_cfg *c, const char *key, long lo, long hi, long *out, sgp_err *e) {
  cJSON *it;
  if (require(c, key, &it, e)) return -1;
  return get_int(c, key, it, lo, hi, out, e);
}

int sgp_cfg_int_opt(const sgp_cfg *c, const char *key, long lo, long hi, long dflt, long *out,
                    sgp_err *e) {
  cJSON *it;
  int f = lookup(c, key, &it, e);
  if (f < 0) return -1;
  if (!f) {
    cJSON_AddNumberToObject(c->j, key, (double)dflt);
    *out = dflt;
    return 0;
  }
  return get_int(c, key, it, lo, hi, out, e);
}

int sgp_cfg_bool_opt(const sgp_cfg *c, const char *key, int dflt, int *out, sgp_err *e) {
  cJSON *it;
  int f = lookup(c, key, &it, e);
  if (f < 0) return -1;
  if (!f) {
    cJSON_AddBoolToObject(c->j, key, dflt ? 1 : 0);
    *out = dflt ? 1 : 0;
    return 0;
  }
  if (!cJSON_IsBool(it)) return wrong_type(c, key, "true or false", it, e);
  *out = cJSON_IsTrue(it) ? 1 : 0;
  return 0;
}

/* ------------------------------ strings --------------------------------------------------- */

int sgp_cfg_str(const sgp_cfg *c, const char *key, const char **out, sgp_err *e) {
  cJSON *it;
  if (require(c, key, &it, e)) return -1;
  if (!cJSON_IsString(it)) return wrong_type(c, key, "a string", it, e);
  *out = it->valuestring;
  return 0;
}

int sgp_cfg_str_opt(const sgp_cfg *c, const char *key, const char *dflt, const char **out,
                    sgp_err *e) {
  cJSON *it;
  int f = lookup(c, key, &it, e);
  if (f < 0) return -1;
  if (!f) {
    if (!dflt) { /* no default: absent stays absent */
      *out = NULL;
      return 0;
    }
    it = cJSON_AddStringToObject(c->j, key, dflt);
    *out = it->valuestring;
    return 0;
  }
  if (!cJSON_IsString(it)) return wrong_type(c, key, "a string", it, e);
  *out = it->valuestring;
  return 0;
}

static void list_names(const char *const *names, int n, char *buf, size_t cap) {
  sgp_join_names(buf, cap, n, sgp_name_in_list, names);
}

int sgp_cfg_enum(const sgp_cfg *c, const char *key, const char *const *names, int n, int dflt,
                 int *out, sgp_err *e) {
  cJSON *it;
  int f = lookup(c, key, &it, e);
  if (f < 0) return -1;
  if (!f) {
    if (dflt < 0 || dflt >= n) return missing(c, key, e);
    cJSON_AddStringToObject(c->j, key, names[dflt]);
    *out = dflt;
    return 0;
  }
  char list[512], p[512];
  list_names(names, n, list, sizeof list);
  child_path(c, key, p, sizeof p);
  if (!cJSON_IsString(it))
    return sgp_fail(e, "%s: %s: expected one of %s, got %s", c->file, p, list, sgp_json_type(it));
  for (int i = 0; i < n; i++)
    if (strcmp(it->valuestring, names[i]) == 0) {
      *out = i;
      return 0;
    }
  return sgp_fail(e, "%s: %s: \"%.100s\" is not one of %s", c->file, p, it->valuestring, list);
}

/* ------------------------------ arrays ---------------------------------------------------- */

int sgp_cfg_num_array(const sgp_cfg *c, const char *key, double *out, int maxn, int n_expected,
                      int *n, sgp_err *e) {
  cJSON *it;
  if (require(c, key, &it, e)) return -1;
  if (!cJSON_IsArray(it)) return wrong_type(c, key, "an array of numbers", it, e);
  int m = cJSON_GetArraySize(it);
  char p[512];
  child_path(c, key, p, sizeof p);
  if (n_expected > 0 && m != n_expected)
    return sgp_fail(e, "%s: %s: expected %d numbers, got %d", c->file, p, n_expected, m);
  if (n_expected <= 0 && (m < 1 || m > maxn))
    return sgp_fail(e, "%s: %s: expected 1 to %d numbers, got %d", c->file, p, maxn, m);
  if (m > maxn) return sgp_fail(e, "%s: %s: at most %d numbers allowed, got %d", c->file, p, maxn, m);
  sgp_cfg view;
  make_child(c, key, it, &view);
  int i = 0;
  for (const cJSON *x = it->child; x; x = x->next, i++) {
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
      char q[512];
      index_path(&view, i, q, sizeof q);
      return sgp_fail(e, "%s: %s: expected a finite number, got %s", c->file, q, sgp_json_type(x));
    }
  }
  i = 0;
  for (const cJSON *x = it->child; x; x = x->next) out[i++] = x->valuedouble;
  if (n) *n = m;
  return 0;
}

int sgp_cfg_int_array(const sgp_cfg *c, const char *key, long *out, int maxn, int *n, sgp_err *e) {
  cJSON *it;
  if (require(c, key, &it, e)) return -1;
  if (!cJSON_IsArray(it)) return wrong_type(c, key, "an array of integers", it, e);
  int m = cJSON_GetArraySize(it);
  char p[512];
  child_path(c, key, p, sizeof p);
  if (m > maxn) return sgp_fail(e, "%s: %s: at most %d integers allowed, got %d", c->file, p, maxn, m);
  sgp_cfg view;
  make_child(c, key, it, &view);
  int i = 0;
  for (const cJSON *x = it->child; x; x = x->next, i++) {
    char q[512];
    index_path(&view, i, q, sizeof q);
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
      return sgp_fail(e, "%s: %s: expected an integer, got %s", c->file, q, sgp_json_type(x));
    double v = x->valuedouble;
    if (v != floor(v) || v < (double)LONG_MIN || v >= (double)LONG_MAX)
      return sgp_fail(e, "%s: %s: expected an integer, got %.17g", c->file, q, v);
  }
  i = 0;
  for (const cJSON *x = it->child; x; x = x->next) out[i++] = (long)x->valuedouble;
  if (n) *n = m;
  return 0;
}

/* ------------------------------ unknown keys ---------------------------------------------- */

int sgp_cfg_check_keys(const sgp_cfg *c, const char *const *allowed, sgp_err *e) {
  if (!cJSON_IsObject(c->j))
    return sgp_fail(e, "%s: %s: expected an object, got %s", c->file, shown(c->path),
                    sgp_json_type(c->j));
  for (const cJSON *it = c->j->child; it; it = it->next) {
    int ok = 0;
    for (int i = 0; allowed[i] && !ok; i++) ok = strcmp(allowed[i], it->string) == 0;
    if (ok) continue;
    int n = 0;
    while (allowed[n]) n++;
    char list[512], p[512];
    list_names(allowed, n, list, sizeof list);
    child_path(c, it->string, p, sizeof p);
    return sgp_fail(e, "%s: %s: unknown field (allowed: %s)", c->file, p, n ? list : "none");
  }
  return 0;
}

/* ------------------------------ reading without inserting --------------------------------- */

const cJSON *sgp_cfg_get(const sgp_cfg *c, const char *key) {
  return cJSON_IsObject(c->j) ? cJSON_GetObjectItemCaseSensitive(c->j, key) : NULL;
}

int sgp_cfg_obj_if(const sgp_cfg *c, const char *key, sgp_cfg *out, sgp_err *e) {
  cJSON *it;
  int f = lookup(c, key, &it, e);
  if (f < 0) return -1;
  if (!f) {
    make_child(c, key, NULL, out);
    return 0;
  }
  if (!cJSON_IsObject(it)) return wrong_type(c, key, "an object", it, e);
  make_child(c, key, it, out);
  return 1;
}

int sgp_cfg_fail(sgp_err *e, const sgp_cfg *c, const char *key, const char *fmt, ...) {
  char p[512], msg[sizeof e->msg];
  if (key) child_path(c, key, p, sizeof p);
  else snprintf(p, sizeof p, "%s", shown(c->path));
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sgp_fail(e, "%s: %s: %s", c->file, p, msg);
}

int sgp_json_subset(const cJSON *want, const cJSON *got) {
  if (cJSON_IsObject(want)) {
    if (!cJSON_IsObject(got)) return 0;
    for (const cJSON *c = want->child; c; c = c->next)
      if (!sgp_json_subset(c, cJSON_GetObjectItemCaseSensitive(got, c->string))) return 0;
    return 1;
  }
  if (cJSON_IsArray(want)) {
    if (!cJSON_IsArray(got) || cJSON_GetArraySize(want) != cJSON_GetArraySize(got)) return 0;
    for (const cJSON *a = want->child, *b = got->child; a; a = a->next, b = b->next)
      if (!sgp_json_subset(a, b)) return 0;
    return 1;
  }
  return got && cJSON_Compare(want, got, 1);
}
