/* NumPy .npy files (format versions 1.0, 2.0, 3.0), the format of dataset arrays.
 *
 *   "\x93NUMPY" major minor | header length (u16 LE for 1.x, u32 LE for 2.x/3.x) | header | data
 *   header: a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 *           padded with spaces and ended by '\n' so that the data starts on a 64-byte boundary.
 *
 * Reading validates everything before touching the output: magic, version, header length within
 * the file, the dict (exactly the keys descr, fortran_order, shape), dtype, C order, shape, that
 * the shape product does not overflow, and that the data is exactly as long as the shape says
 * (a truncated file and one with trailing bytes are both errors). Errors are one line naming
 * the file: "data/x.npy: truncated: header says 4000 bytes of data, file has 3996". */
#include "core/err.h"
#include "core/array.h"
#include "core/npy.h"
#include "core/files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sgpbench reads and writes little-endian .npy data in place: big-endian hosts unsupported"
#endif

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAX_HEADER ((size_t)1 << 20) /* numpy itself refuses headers over 10000 bytes */

typedef struct npy_header {
  sgp_dtype dtype;
  int ndim;
  int64_t shape[SGP_MAX_DIMS];
  size_t data_off; /* where the data begins */
  size_t nbytes;   /* data length from the shape */
} npy_header;

/* ---------------------------- the header dict ---------------------------------------------- */

typedef struct lexer {
  const char *p, *end;
  const char *name;
  sgp_err *e;
} lexer;

static void skip_ws(lexer *L) {
  while (L->p < L->end && (*L->p == ' ' || *L->p == '\t' || *L->p == '\n' || *L->p == '\r')) L->p++;
}

static int expect_char(lexer *L, char c, const char *where) {
  skip_ws(L);
  if (L->p >= L->end || *L->p != c)
    return sgp_fail(L->e, "%s: invalid header: expected '%c' %s", L->name, c, where);
  L->p++;
  return 0;
}

/* A Python string literal in single or double quotes, without escapes (numpy never writes any);
 * copied to out (at most cap-1 chars, longer is an error). */
static int read_str(lexer *L, char *out, size_t cap, const char *what) {
  skip_ws(L);
  if (L->p >= L->end || (*L->p != '\'' && *L->p != '"'))
    return sgp_fail(L->e, "%s: invalid header: expected a quoted %s", L->name, what);
  char q = *L->p++;
  size_t n = 0;
  while (L->p < L->end && *L->p != q) {
    unsigned char c = (unsigned char)*L->p;
    if (c == '\\' || c < 0x20 || c >= 0x7f)
      return sgp_fail(L->e, "%s: invalid header: unexpected character in %s", L->name, what);
    if (n + 1 >= cap) return sgp_fail(L->e, "%s: invalid header: %s too long", L->name, what);
    out[n++] = *L->p++;
  }
  if (L->p >= L->end) return sgp_fail(L->e, "%s: invalid header: unterminated %s", L->name, what);
  L->p++;
  out[n] = 0;
  return 0;
}

static int parse_dtype(const char *s, sgp_dtype *t, const char *name, sgp_err *e) {
  /* numpy writes '<' for multi-byte little-endian types and '|' for single bytes; '=' (native)
   * is little-endian here, and a byte needs no order. */
  static const struct {
    char kind;
    int size;
    sgp_dtype t;
  } tab[] = {{'f', 4, SGP_F32}, {'f', 8, SGP_F64}, {'u', 1, SGP_U8}, {'i', 4, SGP_I32}, {'i', 8, SGP_I64}};
  size_t n = strlen(s);
  if (n == 3 && (s[0] == '<' || s[0] == '=' || s[0] == '|' || s[0] == '>') && s[2] >= '1' && s[2] <= '9') {
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
      if (s[1] != tab[i].kind || s[2] - '0' != tab[i].size) continue;
      if (tab[i].size == 1 || s[0] == '<' || s[0] == '=') {
        *t = tab[i].t;
        return 0;
      }
      if (s[0] == '>')
        return sgp_fail(e, "%s: big-endian dtype '%s' is not supported (save little-endian)", name, s);
    }
  }
  return sgp_fail(e, "%s: unsupported dtype '%.40s' (supported: <f4, <f8, |u1, <i4, <i8)", name, s);
}

/* 'descr': a dtype string (structured dtypes are refused). */
static int read_descr(lexer *L, npy_header *h) {
  char d[64];
  if (L->p < L->end && (*L->p == '[' || *L->p == '('))
    return sgp_fail(L->e, "%s: structured dtypes are not supported", L->name);
  if (read_str(L, d, sizeof d, "dtype") != 0) return -1;
  return parse_dtype(d, &h->dtype, L->name, L->e);
}

/* 'fortran_order': only False (C order) is supported. */
static int read_fortran(lexer *L) {
  size_t left = (size_t)(L->end - L->p);
  if (left >= 5 && memcmp(L->p, "False", 5) == 0) {
    L->p += 5;
    return 0;
  }
  if (left >= 4 && memcmp(L->p, "True", 4) == 0)
    return sgp_fail(L->e, "%s: fortran_order is True: only C-order arrays are supported "
                          "(save numpy.ascontiguousarray(x))", L->name);
  return sgp_fail(L->e, "%s: invalid header: fortran_order must be True or False", L->name);
}

/* One non-negative dimension of the shape tuple (a Python 2 'L' suffix allowed). */
static int read_dim(lexer *L, uint64_t *out) {
  const char *name = L->name;
  if (L->p < L->end && *L->p == '-') return sgp_fail(L->e, "%s: invalid header: negative dimension in shape", name);
  if (L->p >= L->end || *L->p < '0' || *L->p > '9')
    return sgp_fail(L->e, "%s: invalid header: shape must be a tuple of non-negative integers", name);
  uint64_t v = 0;
  while (L->p < L->end && *L->p >= '0' && *L->p <= '9') {
    if (v > ((uint64_t)INT64_MAX - 9) / 10) return sgp_fail(L->e, "%s: invalid header: dimension too large", name);
    v = v * 10 + (uint64_t)(*L->p++ - '0');
  }
  if (L->p < L->end && *L->p == 'L') L->p++; /* Python 2 long suffix */
  *out = v;
  return 0;
}

/* 'shape': a tuple of non-negative integers, "()" for a scalar, "(n,)" for one dimension. */
static int read_shape(lexer *L, npy_header *h) {
  const char *name = L->name;
  if (expect_char(L, '(', "to open the shape tuple") != 0) return -1;
  int nd = 0;
  for (;;) {
    skip_ws(L);
    if (L->p < L->end && *L->p == ')') {
      L->p++;
      break;
    }
    uint64_t v = 0;
    if (read_dim(L, &v) != 0) return -1;
    if (nd >= SGP_MAX_DIMS) return sgp_fail(L->e, "%s: too many dimensions (at most %d supported)", name, SGP_MAX_DIMS);
    h->shape[nd++] = (int64_t)v;
    skip_ws(L);
    if (L->p < L->end && *L->p == ',') {
      L->p++;
      continue;
    }
    if (L->p < L->end && *L->p == ')') {
      if (nd == 1) /* "(5)" is an int in Python, not a tuple */
        return sgp_fail(L->e, "%s: invalid header: a 1-d shape needs a trailing comma: (n,)", name);
      L->p++;
      break;
    }
    return sgp_fail(L->e, "%s: invalid header: expected ',' or ')' in shape", name);
  }
  h->ndim = nd;
  return 0;
}

/* One "key: value" of the dict; each key at most once (seen[] counts descr, fortran_order, shape). */
static int read_entry(lexer *L, npy_header *h, int seen[3]) {
  static const char *const keys[3] = {"descr", "fortran_order", "shape"};
  char key[32];
  if (read_str(L, key, sizeof key, "key") != 0) return -1;
  if (expect_char(L, ':', "after a key") != 0) return -1;
  skip_ws(L);
  int k = 0;
  while (k < 3 && strcmp(key, keys[k]) != 0) k++;
  if (k == 3)
    return sgp_fail(L->e, "%s: invalid header: unexpected key '%s' (allowed: descr, fortran_order, shape)", L->name,
                    key);
  if (seen[k]++) return sgp_fail(L->e, "%s: invalid header: '%s' given twice", L->name, keys[k]);
  return k == 0 ? read_descr(L, h) : k == 1 ? read_fortran(L) : read_shape(L, h);
}

/* Parses the dict in [p, end). */
static int parse_dict(const char *p, const char *end, const char *name, npy_header *h, sgp_err *e) {
  lexer L = {p, end, name, e};
  int seen[3] = {0, 0, 0};
  if (expect_char(&L, '{', "at the start of the header dict") != 0) return -1;
  for (;;) {
    skip_ws(&L);
    if (L.p < L.end && *L.p == '}') {
      L.p++;
      break;
    }
    if (read_entry(&L, h, seen) != 0) return -1;
    skip_ws(&L);
    if (L.p < L.end && *L.p == ',') {
      L.p++;
      continue;
    }
    if (L.p < L.end && *L.p == '}') {
      L.p++;
      break;
    }
    return sgp_fail(e, "%s: invalid header: expected ',' or '}' after a value", name);
  }
  skip_ws(&L);
  if (L.p != L.end) return sgp_fail(e, "%s: invalid header: unexpected text after the dict", name);
  if (!seen[0]) return sgp_fail(e, "%s: invalid header: missing 'descr'", name);
  if (!seen[1]) return sgp_fail(e, "%s: invalid header: missing 'fortran_order'", name);
  if (!seen[2]) return sgp_fail(e, "%s: invalid header: missing 'shape'", name);
  return 0;
}

/* Validates the preamble and header found in buf[0..avail) of a file of total_len bytes (avail
 * <= total_len: the reader may hold only the beginning) and checks the data length. */
static int parse_header(const uint8_t *buf, size_t avail, size_t total_len, const char *name,
                        npy_header *h, sgp_err *e) {
  memset(h, 0, sizeof *h);
  if (avail < 8 || memcmp(buf, NPY_MAGIC, 6) != 0) {
    if (avail < 6 && memcmp(buf, NPY_MAGIC, avail) == 0)
      return sgp_fail(e, "%s: truncated: %zu bytes, not even a .npy preamble", name, total_len);
    if (avail >= 6 && memcmp(buf, NPY_MAGIC, 6) == 0)
      return sgp_fail(e, "%s: truncated: %zu bytes, not even a .npy preamble", name, total_len);
    return sgp_fail(e, "%s: not a .npy file (bad magic)", name);
  }
  int major = buf[6], minor = buf[7];
  size_t hlen, hstart;
  if (major == 1 && minor == 0) {
    if (avail < 10) return sgp_fail(e, "%s: truncated: %zu bytes, not even a .npy preamble", name, total_len);
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
    hstart = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (avail < 12) return sgp_fail(e, "%s: truncated: %zu bytes, not even a .npy preamble", name, total_len);
    hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    hstart = 12;
  } else {
    return sgp_fail(e, "%s: unsupported .npy format version %d.%d (supported: 1.0, 2.0, 3.0)", name,
                    major, minor);
  }
  if (hlen > NPY_MAX_HEADER)
    return sgp_fail(e, "%s: header length %zu is implausibly large (limit %zu)", name, hlen, NPY_MAX_HEADER);
  if (hlen > total_len - hstart)
    return sgp_fail(e, "%s: truncated: header length %zu exceeds the %zu bytes after the preamble", name,
                    hlen, total_len - hstart);
  if (hstart + hlen > avail)
    return sgp_fail(e, "%s: header length %zu exceeds what was read", name, hlen);
  const char *hp = (const char *)buf + hstart;
  /* 1.x and 2.x headers are latin-1, 3.x UTF-8; ours must be plain ASCII in either case. */
  for (size_t i = 0; i < hlen; i++) {
    unsigned char c = (unsigned char)hp[i];
    if (c >= 0x7f || (c < 0x20 && c != '\n' && c != '\t' && c != '\r'))
      return sgp_fail(e, "%s: invalid header: non-ASCII byte 0x%02x at offset %zu", name, c, hstart + i);
  }
  if (parse_dict(hp, hp + hlen, name, h, e) != 0) return -1;
  uint64_t count = 1;
  for (int i = 0; i < h->ndim; i++) {
    uint64_t d = (uint64_t)h->shape[i];
    if (d != 0 && count > UINT64_MAX / d) return sgp_fail(e, "%s: shape product overflows", name);
    count *= d;
  }
  size_t esz = sgp_dtype_size(h->dtype);
  if (count > (uint64_t)SIZE_MAX / esz || count > (uint64_t)INT64_MAX / esz)
    return sgp_fail(e, "%s: shape product overflows", name);
  h->nbytes = (size_t)(count * esz);
  h->data_off = hstart + hlen;
  size_t have = total_len - h->data_off;
  if (have < h->nbytes)
    return sgp_fail(e, "%s: truncated: header says %zu bytes of data, file has %zu", name, h->nbytes, have);
  if (have > h->nbytes)
    return sgp_fail(e, "%s: %zu trailing bytes: header says %zu bytes of data, file has %zu", name,
                    have - h->nbytes, h->nbytes, have);
  return 0;
}

int sgp_npy_parse(const void *buf, size_t len, const char *name, sgp_array *out, sgp_err *e) {
  npy_header h;
  if (parse_header(buf, len, len, name, &h, e) != 0) return -1;
  sgp_array a;
  sgp_array_alloc(&a, h.dtype, h.ndim, h.shape);
  if (h.nbytes) memcpy(a.data, (const uint8_t *)buf + h.data_off, h.nbytes);
  *out = a;
  return 0;
}

/* Reads exactly n bytes at offset off (fails on a short read). */
static int pread_all(int fd, void *buf, size_t n, off_t off, const char *name, sgp_err *e) {
  uint8_t *p = buf;
  while (n) {
    size_t chunk = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;
    ssize_t r = pread(fd, p, chunk, off);
    if (r < 0) {
      if (errno == EINTR) continue;
      return sgp_fail(e, "%s: cannot read: %s", name, strerror(errno));
    }
    if (r == 0) return sgp_fail(e, "%s: truncated: the file shrank while it was read", name);
    p += r;
    off += r;
    n -= (size_t)r;
  }
  return 0;
}

int sgp_npy_read(const char *path, sgp_array *out, sgp_err *e) {
  /* The header is parsed from the beginning of the file, then the data is read straight into the
   * aligned array (no second copy of a large dataset in memory). */
  int64_t size;
  int fd = sgp_open_read(path, &size, e);
  if (fd < 0) return -1;
  if (size < 0) {
    close(fd);
    return sgp_fail(e, "%s: cannot read: not a regular file", path);
  }
  size_t total = (size_t)size;
  size_t avail = total < 12 + NPY_MAX_HEADER ? total : 12 + NPY_MAX_HEADER;
  uint8_t *head = sgp_malloc(avail + 1);
  npy_header h;
  if (pread_all(fd, head, avail, 0, path, e) != 0 ||
      parse_header(head, avail, total, path, &h, e) != 0) {
    free(head);
    close(fd);
    return -1;
  }
  free(head);
  sgp_array a;
  sgp_array_alloc(&a, h.dtype, h.ndim, h.shape);
  if (pread_all(fd, a.data, h.nbytes, (off_t)h.data_off, path, e) != 0) {
    sgp_array_free(&a);
    close(fd);
    return -1;
  }
  uint8_t extra;
  ssize_t r = pread(fd, &extra, 1, (off_t)(h.data_off + h.nbytes));
  close(fd);
  if (r != 0) {
    sgp_array_free(&a);
    return sgp_fail(e, "%s: the file grew while it was read", path);
  }
  *out = a;
  return 0;
}

/* ---------------------------- writing ------------------------------------------------------ */

static const char *npy_descr(sgp_dtype t) {
  switch (t) {
    case SGP_F32: return "<f4";
    case SGP_F64: return "<f8";
    case SGP_U8: return "|u1";
    case SGP_I32: return "<i4";
    case SGP_I64: return "<i8";
    default: return NULL;
  }
}

int sgp_npy_write_raw(const char *path, sgp_dtype t, int ndim, const int64_t *shape, const void *data,
                      sgp_err *e) {
  const char *descr = npy_descr(t);
  if (!descr) return sgp_fail(e, "%s: cannot write: invalid dtype %d", path, (int)t);
  if (ndim < 0 || ndim > SGP_MAX_DIMS)
    return sgp_fail(e, "%s: cannot write: %d dimensions (0 to %d supported)", path, ndim, SGP_MAX_DIMS);
  /* Same text as numpy.save writes, so files are byte-identical to numpy's. */
  char dict[512];
  size_t k = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                              descr);
  uint64_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return sgp_fail(e, "%s: cannot write: negative dimension %lld", path, (long long)shape[i]);
    uint64_t d = (uint64_t)shape[i];
    if (d != 0 && count > UINT64_MAX / d) return sgp_fail(e, "%s: cannot write: shape overflows", path);
    count *= d;
    k += (size_t)snprintf(dict + k, sizeof dict - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
  }
  size_t esz = sgp_dtype_size(t);
  if (count > (uint64_t)SIZE_MAX / esz) return sgp_fail(e, "%s: cannot write: shape overflows", path);
  size_t nbytes = (size_t)count * esz;
  k += (size_t)snprintf(dict + k, sizeof dict - k, "%s), }", ndim == 1 ? "," : "");
  /* Version 1.0 has a 16-bit header length: the preamble, dict, padding and '\n' fill a multiple
   * of 64 bytes. (Our dicts are always short; version 2.0 covers a longer one.) */
  int v2 = 10 + k + 1 > 65535;
  size_t pre = v2 ? 12 : 10;
  size_t total = (pre + k + 1 + 63) / 64 * 64;
  size_t hlen = total - pre;
  uint8_t *hdr = sgp_malloc(total);
  memcpy(hdr, NPY_MAGIC, 6);
  hdr[6] = v2 ? 2 : 1;
  hdr[7] = 0;
  for (size_t i = 0; i < (v2 ? 4u : 2u); i++) hdr[8 + i] = (uint8_t)(hlen >> (8 * i));
  memcpy(hdr + pre, dict, k);
  memset(hdr + pre + k, ' ', hlen - k - 1);
  hdr[total - 1] = '\n';
  sgp_atomic_file af;
  if (sgp_atomic_open(&af, path, e) != 0) {
    free(hdr);
    return -1;
  }
  int ok = fwrite(hdr, 1, total, af.f) == total && (nbytes == 0 || fwrite(data, 1, nbytes, af.f) == nbytes);
  int err = errno;
  free(hdr);
  if (!ok) {
    sgp_atomic_abort(&af);
    return sgp_fail(e, "%s: cannot write: %s", path, strerror(err ? err : EIO));
  }
  return sgp_atomic_commit(&af, e);
}

int sgp_npy_write(const char *path, const sgp_array *a, sgp_err *e) {
  return sgp_npy_write_raw(path, a->dtype, a->ndim, a->shape, a->data, e);
}
