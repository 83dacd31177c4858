/* .safetensors files, the format of model files:
 *
 *   u64 LE header length N | N bytes of JSON (space padded) | data region
 *   header: {"__metadata__": {"k": "v", ...},
 *            "name": {"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}, ...}
 *   offsets are relative to the start of the data region.
 *
 * Reading validates as the reference implementation does (and a little more): header length
 * within the file and under a cap, header a JSON object starting with '{', each entry exactly
 * dtype/shape/data_offsets, a supported dtype, a shape of non-negative integers whose byte size
 * equals end - begin, and tensors that tile the data region exactly: no gap, no overlap, nothing
 * after the last. "__metadata__" maps strings to strings. Every tensor is copied into its own
 * 64-byte aligned buffer. Writing sorts the tensors by name, pads the header with spaces to a
 * multiple of 8 bytes and writes atomically. */
#include "core/err.h"
#include "core/array.h"
#include "core/safetensors.h"
#include "core/sha256.h"
#include "core/files.h"
#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX_HEADER ((uint64_t)100 << 20)
#define ST_MAX_FILE ((size_t)16 << 30)

static const char *const st_dtype_names[SGP_NUM_DTYPE] = {
    [SGP_F32] = "F32", [SGP_F64] = "F64", [SGP_U8] = "U8", [SGP_I32] = "I32", [SGP_I64] = "I64"};

/* ---------------------------- container ---------------------------------------------------- */

void sgp_st_init(sgp_st *s) { memset(s, 0, sizeof *s); }

void sgp_st_free(sgp_st *s) {
  for (int i = 0; i < s->n; i++) {
    free(s->t[i].name);
    sgp_array_free(&s->t[i].a);
  }
  free(s->t);
  cJSON_Delete(s->meta);
  memset(s, 0, sizeof *s);
}

const sgp_tensor *sgp_st_find(const sgp_st *s, const char *name) {
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->t[i].name, name) == 0) return &s->t[i];
  return NULL;
}

/* Appends a tensor whose array is already allocated (takes ownership of a). */
static void st_push(sgp_st *s, const char *name, sgp_array *a) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 8;
    s->t = sgp_realloc(s->t, (size_t)s->cap * sizeof *s->t);
  }
  s->t[s->n].name = sgp_strdup(name);
  s->t[s->n].a = *a;
  s->n++;
}

int sgp_st_add(sgp_st *s, const char *name, sgp_dtype t, int ndim, const int64_t *shape,
               const void *data, sgp_err *e) {
  if (!name || !*name) return sgp_fail(e, "tensor name must not be empty");
  if (strcmp(name, "__metadata__") == 0) return sgp_fail(e, "tensor name __metadata__ is reserved");
  if (sgp_st_find(s, name)) return sgp_fail(e, "tensor '%s': duplicate name", name);
  if ((unsigned)t >= SGP_NUM_DTYPE) return sgp_fail(e, "tensor '%s': invalid dtype %d", name, (int)t);
  if (ndim < 0 || ndim > SGP_MAX_DIMS)
    return sgp_fail(e, "tensor '%s': %d dimensions (0 to %d supported)", name, ndim, SGP_MAX_DIMS);
  uint64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) return sgp_fail(e, "tensor '%s': negative dimension", name);
    uint64_t d = (uint64_t)shape[i];
    if (d && count > UINT64_MAX / d) return sgp_fail(e, "tensor '%s': shape overflows", name);
    count *= d;
  }
  if (count > (uint64_t)SIZE_MAX / sgp_dtype_size(t)) return sgp_fail(e, "tensor '%s': shape overflows", name);
  sgp_array a;
  sgp_array_alloc(&a, t, ndim, shape);
  if (a.nbytes) memcpy(a.data, data, a.nbytes);
  st_push(s, name, &a);
  return 0;
}

void sgp_st_set_meta(sgp_st *s, const char *key, const char *value) {
  if (!s->meta) s->meta = cJSON_CreateObject();
  cJSON_DeleteItemFromObjectCaseSensitive(s->meta, key);
  cJSON_AddStringToObject(s->meta, key, value);
}

const char *sgp_st_get_meta(const sgp_st *s, const char *key) {
  if (!s->meta) return NULL;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->meta, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void shape_str(int ndim, const int64_t *shape, char *buf, size_t cap) {
  size_t k = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < ndim && k < cap; i++)
    k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (k < cap) snprintf(buf + k, cap - k, "]");
}

int sgp_st_get_f32(const sgp_st *s, const char *what, const char *name, int ndim, const int64_t *shape,
                   const float **data, sgp_err *e) {
  const sgp_tensor *t = sgp_st_find(s, name);
  if (!t) return sgp_fail(e, "%s: tensor '%s' missing", what, name);
  if (t->a.dtype != SGP_F32)
    return sgp_fail(e, "%s: tensor '%s': expected float32, got %s", what, name, sgp_dtype_name(t->a.dtype));
  int same = t->a.ndim == ndim;
  for (int i = 0; same && i < ndim; i++) same = shape[i] < 0 || t->a.shape[i] == shape[i];
  if (!same) {
    char want[200], got[200];
    shape_str(ndim, shape, want, sizeof want);
    shape_str(t->a.ndim, t->a.shape, got, sizeof got);
    return sgp_fail(e, "%s: tensor '%s': expected shape %s, got %s", what, name, want, got);
  }
  *data = t->a.data;
  return 0;
}

/* ---------------------------- parsing ------------------------------------------------------ */

typedef struct st_entry {
  const char *name;
  sgp_dtype dtype;
  int ndim;
  int64_t shape[SGP_MAX_DIMS];
  uint64_t begin, end;
} st_entry;

/* A JSON number that is a whole number in [0, 2^53] (exactly representable in the double cJSON
 * keeps; larger offsets or dimensions are not plausible for our models). */
static int json_uint(const cJSON *j, uint64_t *out) {
  if (!cJSON_IsNumber(j)) return -1;
  double v = j->valuedouble;
  if (!isfinite(v) || v < 0 || v > 9007199254740992.0 || v != floor(v)) return -1;
  *out = (uint64_t)v;
  return 0;
}

static int parse_entry(const cJSON *it, uint64_t data_len, const char *name, st_entry *en, sgp_err *e) {
  const char *tn = it->string;
  if (!cJSON_IsObject(it))
    return sgp_fail(e, "%s: tensor '%.200s': expected an object {dtype, shape, data_offsets}", name, tn);
  const cJSON *dt = NULL, *sh = NULL, *off = NULL;
  for (const cJSON *f = it->child; f; f = f->next) {
    if (strcmp(f->string, "dtype") == 0) dt = f;
    else if (strcmp(f->string, "shape") == 0) sh = f;
    else if (strcmp(f->string, "data_offsets") == 0) off = f;
    else
      return sgp_fail(e, "%s: tensor '%.200s': unknown field '%.100s' (allowed: dtype, shape, data_offsets)",
                      name, tn, f->string);
  }
  if (!dt || !sh || !off)
    return sgp_fail(e, "%s: tensor '%.200s': missing field '%s'", name, tn,
                    !dt ? "dtype" : !sh ? "shape" : "data_offsets");
  memset(en, 0, sizeof *en);
  en->name = tn;
  if (!cJSON_IsString(dt)) return sgp_fail(e, "%s: tensor '%.200s': dtype must be a string", name, tn);
  int found = 0;
  for (int k = 0; k < SGP_NUM_DTYPE && !found; k++)
    if (strcmp(dt->valuestring, st_dtype_names[k]) == 0) {
      en->dtype = (sgp_dtype)k;
      found = 1;
    }
  if (!found)
    return sgp_fail(e, "%s: tensor '%.200s': unsupported dtype '%.40s' (supported: F32, F64, U8, I32, I64)",
                    name, tn, dt->valuestring);
  if (!cJSON_IsArray(sh))
    return sgp_fail(e, "%s: tensor '%.200s': shape must be an array of non-negative integers", name, tn);
  int nd = cJSON_GetArraySize(sh);
  if (nd > SGP_MAX_DIMS)
    return sgp_fail(e, "%s: tensor '%.200s': %d dimensions (at most %d supported)", name, tn, nd, SGP_MAX_DIMS);
  uint64_t count = 1;
  int i = 0;
  for (const cJSON *d = sh->child; d; d = d->next, i++) {
    uint64_t v;
    if (json_uint(d, &v) != 0)
      return sgp_fail(e, "%s: tensor '%.200s': shape must be an array of non-negative integers", name, tn);
    if (v && count > UINT64_MAX / v)
      return sgp_fail(e, "%s: tensor '%.200s': shape product overflows", name, tn);
    count *= v;
    en->shape[i] = (int64_t)v;
  }
  en->ndim = nd;
  size_t esz = sgp_dtype_size(en->dtype);
  if (count > UINT64_MAX / esz) return sgp_fail(e, "%s: tensor '%.200s': shape product overflows", name, tn);
  uint64_t nbytes = count * esz;
  if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || json_uint(off->child, &en->begin) != 0 ||
      json_uint(off->child->next, &en->end) != 0)
    return sgp_fail(e, "%s: tensor '%.200s': data_offsets must be [begin, end], non-negative integers",
                    name, tn);
  if (en->end < en->begin)
    return sgp_fail(e, "%s: tensor '%.200s': data_offsets [%llu, %llu] end before begin", name, tn,
                    (unsigned long long)en->begin, (unsigned long long)en->end);
  if (en->end > data_len)
    return sgp_fail(e, "%s: tensor '%.200s': data_offsets [%llu, %llu] beyond the %llu bytes of data",
                    name, tn, (unsigned long long)en->begin, (unsigned long long)en->end,
                    (unsigned long long)data_len);
  if (en->end - en->begin != nbytes)
    return sgp_fail(e, "%s: tensor '%.200s': data_offsets span %llu bytes, shape and dtype need %llu",
                    name, tn, (unsigned long long)(en->end - en->begin), (unsigned long long)nbytes);
  return 0;
}

/* Offset of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF), or n if the text is valid. The reference reader requires a UTF-8 header. */
static size_t utf8_bad(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t k;
    uint32_t cp, min;
    if (c < 0x80) { i++; continue; }
    if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; min = 0x10000; }
    else return i;
    if (n - i <= k) return i;
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xc0) != 0x80) return i;
      cp = cp << 6 | (s[i + j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += k + 1;
  }
  return n;
}

static int cmp_offsets(const void *a, const void *b) {
  const st_entry *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int cmp_names(const void *a, const void *b) {
  const st_entry *x = a, *y = b;
  return strcmp(x->name, y->name);
}

/* The 8-byte length and the JSON header after it: an object, valid UTF-8, within the buffer.
 * *hlen: the header's length in bytes. */
static int parse_header_json(const uint8_t *p, size_t len, const char *name, cJSON **root, uint64_t *hlen,
                             sgp_err *e) {
  if (len < 8) return sgp_fail(e, "%s: truncated: %zu bytes, not even the 8-byte header length", name, len);
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)p[i] << (8 * i);
  if (n > ST_MAX_HEADER)
    return sgp_fail(e, "%s: header length %llu is implausibly large (limit %llu)", name, (unsigned long long)n,
                    (unsigned long long)ST_MAX_HEADER);
  if (n > len - 8)
    return sgp_fail(e, "%s: truncated: header length %llu exceeds the %zu bytes after it", name,
                    (unsigned long long)n, len - 8);
  const char *hdr = (const char *)p + 8;
  if (n < 2 || hdr[0] != '{') return sgp_fail(e, "%s: header must be a JSON object starting with '{'", name);
  size_t bad = utf8_bad((const uint8_t *)hdr, (size_t)n);
  if (bad < n) return sgp_fail(e, "%s: header is not valid UTF-8 (byte %zu)", name, 8 + bad);
  char hname[600];
  snprintf(hname, sizeof hname, "%.500s: header", name);
  if (sgp_json_parse_len(hdr, (size_t)n, hname, root, e) != 0) return -1;
  if (!cJSON_IsObject(*root)) {
    cJSON_Delete(*root);
    return sgp_fail(e, "%s: header must be a JSON object", name);
  }
  *hlen = n;
  return 0;
}

/* Every entry of the header: "__metadata__" (an object of strings) into *meta, the tensors into
 * en[0..*ne). */
static int parse_entries(const cJSON *root, uint64_t data_len, const char *name, st_entry *en, int *ne,
                         const cJSON **meta, sgp_err *e) {
  *ne = 0;
  *meta = NULL;
  for (const cJSON *it = root->child; it; it = it->next) {
    if (strcmp(it->string, "__metadata__") == 0) {
      if (!cJSON_IsObject(it)) return sgp_fail(e, "%s: __metadata__: expected an object of strings", name);
      for (const cJSON *m = it->child; m; m = m->next)
        if (!cJSON_IsString(m)) return sgp_fail(e, "%s: __metadata__/%.200s: expected a string value", name, m->string);
      *meta = it;
      continue;
    }
    if (parse_entry(it, data_len, name, &en[*ne], e) != 0) return -1;
    (*ne)++;
  }
  return 0;
}

/* The tensors must tile [0, data_len): sorted by offsets, each begins where the last ended. */
static int check_tiling(st_entry *en, int ne, uint64_t data_len, const char *name, sgp_err *e) {
  qsort(en, (size_t)ne, sizeof *en, cmp_offsets);
  uint64_t at = 0;
  for (int i = 0; i < ne; i++) {
    if (en[i].begin < at)
      return sgp_fail(e, "%s: tensor '%.200s': data_offsets [%llu, %llu] overlap the previous tensor", name,
                      en[i].name, (unsigned long long)en[i].begin, (unsigned long long)en[i].end);
    if (en[i].begin > at)
      return sgp_fail(e, "%s: tensor '%.200s': data_offsets [%llu, %llu] leave a gap of %llu unused bytes", name,
                      en[i].name, (unsigned long long)en[i].begin, (unsigned long long)en[i].end,
                      (unsigned long long)(en[i].begin - at));
    at = en[i].end;
  }
  if (at != data_len)
    return sgp_fail(e, "%s: %llu trailing bytes after the last tensor (the tensors cover %llu of %llu bytes)", name,
                    (unsigned long long)(data_len - at), (unsigned long long)at, (unsigned long long)data_len);
  return 0;
}

/* header -> entries -> tiling of the data -> the tensors, copied, in name order */
int sgp_st_parse(const void *buf, size_t len, const char *name, sgp_st *out, sgp_err *e) {
  const uint8_t *p = buf;
  cJSON *root;
  uint64_t n = 0;
  if (parse_header_json(p, len, name, &root, &n, e) != 0) return -1;
  uint64_t data_len = len - 8 - n;
  const uint8_t *data = p + 8 + n;
  int count = cJSON_GetArraySize(root), ne = 0;
  st_entry *en = sgp_malloc((size_t)(count ? count : 1) * sizeof *en);
  const cJSON *meta = NULL;
  if (parse_entries(root, data_len, name, en, &ne, &meta, e) != 0 || check_tiling(en, ne, data_len, name, e) != 0) {
    free(en);
    cJSON_Delete(root);
    return -1;
  }
  qsort(en, (size_t)ne, sizeof *en, cmp_names);
  sgp_st s;
  sgp_st_init(&s);
  for (int i = 0; i < ne; i++) {
    sgp_array a;
    sgp_array_alloc(&a, en[i].dtype, en[i].ndim, en[i].shape);
    if (a.nbytes) memcpy(a.data, data + en[i].begin, a.nbytes);
    st_push(&s, en[i].name, &a);
  }
  if (meta) s.meta = cJSON_Duplicate(meta, 1);
  free(en);
  cJSON_Delete(root);
  *out = s;
  return 0;
}

int sgp_st_read(const char *path, sgp_st *out, sgp_err *e) {
  void *buf;
  size_t len;
  if (sgp_read_regular(path, &buf, &len, ST_MAX_FILE, e) != 0) return -1;
  int rc = sgp_st_parse(buf, len, path, out, e);
  free(buf);
  return rc;
}

/* ---------------------------- writing ------------------------------------------------------ */

static int cmp_tensor_ptr(const void *a, const void *b) {
  const sgp_tensor *x = *(const sgp_tensor *const *)a, *y = *(const sgp_tensor *const *)b;
  return strcmp(x->name, y->name);
}

int sgp_st_write(const char *path, const sgp_st *s, sgp_err *e) {
  const sgp_tensor **order = sgp_malloc((size_t)(s->n ? s->n : 1) * sizeof *order);
  for (int i = 0; i < s->n; i++) order[i] = &s->t[i];
  qsort(order, (size_t)s->n, sizeof *order, cmp_tensor_ptr);
  if (s->meta)
    for (const cJSON *m = s->meta->child; m; m = m->next)
      if (!cJSON_IsString(m)) {
        free(order);
        return sgp_fail(e, "%s: cannot write: __metadata__/%s is not a string", path, m->string);
      }
  cJSON *root = cJSON_CreateObject();
  if (s->meta && s->meta->child) cJSON_AddItemToObject(root, "__metadata__", cJSON_Duplicate(s->meta, 1));
  uint64_t off = 0;
  for (int i = 0; i < s->n; i++) {
    const sgp_tensor *t = order[i];
    if (i && strcmp(order[i - 1]->name, t->name) == 0) {
      free(order);
      cJSON_Delete(root);
      return sgp_fail(e, "%s: cannot write: duplicate tensor name '%s'", path, t->name);
    }
    cJSON *o = cJSON_AddObjectToObject(root, t->name);
    cJSON_AddStringToObject(o, "dtype", st_dtype_names[t->a.dtype]);
    cJSON *sh = cJSON_AddArrayToObject(o, "shape");
    for (int d = 0; d < t->a.ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->a.shape[d]));
    cJSON *of = cJSON_AddArrayToObject(o, "data_offsets");
    cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
    off += t->a.nbytes;
    cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
  }
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!text) {
    free(order);
    return sgp_fail(e, "%s: cannot write: JSON printing failed", path);
  }
  size_t hl = strlen(text), padded = (hl + 7) / 8 * 8;
  uint8_t *hdr = sgp_malloc(8 + padded);
  for (int i = 0; i < 8; i++) hdr[i] = (uint8_t)((uint64_t)padded >> (8 * i));
  memcpy(hdr + 8, text, hl);
  memset(hdr + 8 + hl, ' ', padded - hl);
  cJSON_free(text);
  sgp_atomic_file af;
  if (sgp_atomic_open(&af, path, e) != 0) {
    free(hdr);
    free(order);
    return -1;
  }
  int ok = fwrite(hdr, 1, 8 + padded, af.f) == 8 + padded;
  for (int i = 0; ok && i < s->n; i++)
    if (order[i]->a.nbytes) ok = fwrite(order[i]->a.data, 1, order[i]->a.nbytes, af.f) == order[i]->a.nbytes;
  int err = errno;
  free(hdr);
  free(order);
  if (!ok) {
    sgp_atomic_abort(&af);
    return sgp_fail(e, "%s: cannot write: %s", path, strerror(err ? err : EIO));
  }
  return sgp_atomic_commit(&af, e);
}

static void sha_i64(sgp_sha256 *c, int64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)v >> (8 * i));
  sgp_sha256_update(c, b, 8);
}

void sgp_st_tensors_sha256(const sgp_st *s, char hex[65]) {
  const sgp_tensor **order = sgp_malloc((size_t)(s->n ? s->n : 1) * sizeof *order);
  for (int i = 0; i < s->n; i++) order[i] = &s->t[i];
  qsort(order, (size_t)s->n, sizeof *order, cmp_tensor_ptr);
  sgp_sha256 c;
  sgp_sha256_init(&c);
  for (int i = 0; i < s->n; i++) {
    const sgp_tensor *t = order[i];
    sgp_sha256_update(&c, t->name, strlen(t->name) + 1);
    sgp_sha256_update(&c, st_dtype_names[t->a.dtype], strlen(st_dtype_names[t->a.dtype]) + 1);
    sha_i64(&c, t->a.ndim);
    for (int d = 0; d < t->a.ndim; d++) sha_i64(&c, t->a.shape[d]);
    if (t->a.nbytes) sgp_sha256_update(&c, t->a.data, t->a.nbytes);
  }
  free(order);
  uint8_t out[32];
  sgp_sha256_final(&c, out);
  for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", out[i]);
}
