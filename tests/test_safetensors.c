// ctest-labels: unit core
/* .safetensors: round trips for every dtype and several shapes with metadata (including JSON text
 * in metadata values), the header layout, an independent Python reader (json + numpy.frombuffer;
 * the safetensors package is not installable here) in both directions, and corruption: every
 * truncation, header byte flips, and a catalogue of malformed headers (offsets out of bounds,
 * overlapping, leaving gaps, trailing data, huge header length, bad dtypes and shapes), all
 * rejected with a message naming the file. `test_safetensors --write-corpus DIR` writes the
 * fuzzer's seed corpus. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static const char *const NAME = "models/dyn.safetensors";

/* The parser and the reader for the corruption checks (tu_parse_fn, tu_read_fn). */
static int parse_st(const void *buf, size_t len, const char *name, sgp_err *e) {
  sgp_st s;
  if (sgp_st_parse(buf, len, name, &s, e) != 0) return -1;
  sgp_st_free(&s);
  return 0;
}

static int read_st(const char *path, sgp_err *e) {
  sgp_st s;
  if (sgp_st_read(path, &s, e) != 0) return -1;
  sgp_st_free(&s);
  return 0;
}

/* A file image from a header text and ndata data bytes (header padded with spaces to 8). */
static uint8_t *make_st(const char *hdr, size_t ndata, size_t *len) {
  size_t k = strlen(hdr), padded = (k + 7) / 8 * 8;
  uint8_t *b = sgp_calloc(1, 8 + padded + ndata);
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)padded >> (8 * i));
  memcpy(b + 8, hdr, k);
  memset(b + 8 + k, ' ', padded - k);
  for (size_t i = 0; i < ndata; i++) b[8 + padded + i] = (uint8_t)i;
  *len = 8 + padded + ndata;
  return b;
}

static void expect_reject(const char *what, const void *buf, size_t len, const char *want) {
  tu_expect_reject(parse_st, NAME, what, buf, len, want);
}

static void expect_hdr_reject(const char *what, const char *hdr, size_t ndata, const char *want) {
  size_t len;
  uint8_t *b = make_st(hdr, ndata, &len);
  expect_reject(what, b, len, want);
  free(b);
}

static void expect_hdr_accept(const char *what, const char *hdr, size_t ndata) {
  size_t len;
  uint8_t *b = make_st(hdr, ndata, &len);
  sgp_st s;
  sgp_err e;
  int rc = sgp_st_parse(b, len, NAME, &s, &e);
  CHECK(rc == 0, "%s: must be accepted: %s", what, e.msg);
  if (rc == 0) sgp_st_free(&s);
  free(b);
}

/* The model-file shape: a few float32 tensors and metadata holding JSON text. */
static void build_model(sgp_st *s) {
  sgp_err e;
  sgp_st_init(s);
  static const int64_t s1[2] = {4, 3}, s2[1] = {4}, s3[2] = {2, 4}, s4[1] = {2};
  const int64_t *sh[] = {s1, s2, s3, s4};
  static const int nd[] = {2, 1, 2, 1};
  static const char *const names[] = {"layer0.W", "layer0.b", "layer1.W", "layer1.b"};
  for (int i = 0; i < 4; i++) {
    sgp_array a;
    sgp_array_alloc(&a, SGP_F32, nd[i], sh[i]);
    tu_fill_array(&a, i);
    sgp_st_add(s, names[i], SGP_F32, nd[i], sh[i], a.data, &e);
    sgp_array_free(&a);
  }
  sgp_st_set_meta(s, "arch", "{\"in\":3,\"out\":2,\"hidden\":[4],\"act\":\"relu\"}");
  sgp_st_set_meta(s, "kind", "dynamics");
}

static int write_corpus(const char *dir) {
  sgp_err e;
  if (sgp_mkdirs(dir, &e) != 0) return 1;
  sgp_st s;
  build_model(&s);
  char *p = sgp_path_join(dir, "seed_model.safetensors");
  sgp_st_write(p, &s, &e);
  free(p);
  sgp_st_free(&s);
  /* one tensor of every dtype, 0-d and empty, no metadata */
  sgp_st_init(&s);
  static const int64_t sh[2] = {2, 3}, z[2] = {0, 3};
  for (int t = 0; t < SGP_NUM_DTYPE; t++) {
    sgp_array a;
    sgp_array_alloc(&a, (sgp_dtype)t, 2, sh);
    tu_fill_array(&a, t);
    sgp_st_add(&s, sgp_dtype_name((sgp_dtype)t), (sgp_dtype)t, 2, sh, a.data, &e);
    sgp_array_free(&a);
  }
  double scalar = 2.5;
  sgp_st_add(&s, "scalar", SGP_F64, 0, NULL, &scalar, &e);
  sgp_st_add(&s, "empty", SGP_F32, 2, z, NULL, &e);
  p = sgp_path_join(dir, "seed_dtypes.safetensors");
  sgp_st_write(p, &s, &e);
  free(p);
  sgp_st_free(&s);
  /* an empty file set: header "{}" and metadata only */
  sgp_st_init(&s);
  p = sgp_path_join(dir, "seed_empty.safetensors");
  sgp_st_write(p, &s, &e);
  free(p);
  sgp_st_set_meta(&s, "note", "only metadata");
  p = sgp_path_join(dir, "seed_meta_only.safetensors");
  sgp_st_write(p, &s, &e);
  free(p);
  sgp_st_free(&s);
  printf("wrote 4 seeds to %s\n", dir);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) return write_corpus(argv[2]);
  char *dir = tu_tmpdir("st");
  sgp_err e;

  /* ---- round trip: every dtype, shapes 0-d to 8-d with empty dims, metadata ---- */
  static const int64_t shapes[][SGP_MAX_DIMS] = {{0}, {0}, {5}, {3, 4}, {2, 0, 3}, {1, 2, 1, 2, 1, 2, 1, 2}};
  static const int ndims[] = {0, 1, 1, 2, 3, 8};
  sgp_st s;
  sgp_st_init(&s);
  int nt = 0;
  /* added in reverse name order, so that the writer's sorting shows */
  for (int t = SGP_NUM_DTYPE - 1; t >= 0; t--)
    for (int k = 5; k >= 0; k--) {
      sgp_array a;
      sgp_array_alloc(&a, (sgp_dtype)t, ndims[k], shapes[k]);
      tu_fill_array(&a, k);
      char name[64];
      snprintf(name, sizeof name, "%s.s%d", sgp_dtype_name((sgp_dtype)t), k);
      CHECK(sgp_st_add(&s, name, (sgp_dtype)t, ndims[k], shapes[k], a.data, &e) == 0, "add: %s", e.msg);
      sgp_array_free(&a);
      nt++;
    }
  const char *arch = "{\"in\": 5, \"hidden\": [64, 64], \"act\": \"silu\", \"note\": \"quote \\\" and \\\\ \\n newline\"}";
  sgp_st_set_meta(&s, "arch", arch);
  sgp_st_set_meta(&s, "unicode", "\xc3\xa9t\xc3\xa9 \xe2\x88\x87");
  sgp_st_set_meta(&s, "kind", "first");
  sgp_st_set_meta(&s, "kind", "score"); /* replaces */
  CHECK(sgp_st_add(&s, "float32.s0", SGP_F32, 0, NULL, "xxxx", &e) != 0 && strstr(e.msg, "duplicate"),
        "duplicate name must be refused: %s", e.msg);
  CHECK(sgp_st_add(&s, "__metadata__", SGP_F32, 0, NULL, "xxxx", &e) != 0, "reserved name refused");
  char *path = sgp_path_join(dir, "m.safetensors");
  CHECK(sgp_st_write(path, &s, &e) == 0, "write: %s", e.msg);
  sgp_st r;
  CHECK(sgp_st_read(path, &r, &e) == 0, "read: %s", e.msg);
  CHECK(r.n == nt, "read %d tensors, wrote %d", r.n, nt);
  int same = 0, aligned = 1, sorted = 1;
  for (int i = 0; i < r.n; i++) {
    const sgp_tensor *w = sgp_st_find(&s, r.t[i].name);
    same += w && tu_same_array(&w->a, &r.t[i].a);
    aligned &= ((uintptr_t)r.t[i].a.data & 63) == 0;
    if (i) sorted &= strcmp(r.t[i - 1].name, r.t[i].name) < 0;
  }
  CHECK(same == nt, "%d of %d tensors identical after the round trip", same, nt);
  CHECK(aligned, "tensor data must be 64-byte aligned");
  CHECK(sorted, "tensors come back sorted by name");
  CHECK(sgp_st_get_meta(&r, "arch") && strcmp(sgp_st_get_meta(&r, "arch"), arch) == 0, "metadata arch");
  CHECK(sgp_st_get_meta(&r, "kind") && strcmp(sgp_st_get_meta(&r, "kind"), "score") == 0, "metadata kind");
  CHECK(sgp_st_get_meta(&r, "unicode") && strcmp(sgp_st_get_meta(&r, "unicode"), "\xc3\xa9t\xc3\xa9 \xe2\x88\x87") == 0,
        "metadata unicode");
  CHECK(sgp_st_get_meta(&r, "absent") == NULL, "absent metadata is NULL");
  printf("ok   round trip of %d tensors (5 dtypes, 0-d to 8-d, empty dims) with metadata\n", nt);
  /* metadata JSON text parses back into the same object */
  cJSON *aj;
  CHECK(sgp_json_parse(sgp_st_get_meta(&r, "arch"), "arch", &aj, &e) == 0, "arch JSON: %s", e.msg);
  cJSON_Delete(aj);
  /* layout: header length a multiple of 8, padded with spaces, data right after */
  void *fb;
  size_t flen;
  sgp_read_file(path, &fb, &flen, 1 << 24, &e);
  uint64_t hl = 0;
  for (int i = 0; i < 8; i++) hl |= (uint64_t)((uint8_t *)fb)[i] << (8 * i);
  size_t total = 0;
  for (int i = 0; i < s.n; i++) total += s.t[i].a.nbytes;
  CHECK(hl % 8 == 0 && 8 + hl + total == flen, "header length %llu, file %zu", (unsigned long long)hl, flen);
  CHECK(((char *)fb)[8] == '{', "header starts with '{'");
  /* the same container written twice gives the same bytes (deterministic) */
  char *path2 = sgp_path_join(dir, "m2.safetensors");
  sgp_st_write(path2, &r, &e);
  void *fb2;
  size_t flen2;
  sgp_read_file(path2, &fb2, &flen2, 1 << 24, &e);
  CHECK(flen == flen2 && memcmp(fb, fb2, flen) == 0, "rewriting what was read gives identical bytes");
  free(fb2);
  free(path2);

  /* get_f32 and its messages */
  const float *fp;
  int64_t want[2] = {3, 4}, wrong[2] = {4, 3}, any[2] = {-1, 4};
  CHECK(sgp_st_get_f32(&r, "m.safetensors", "float32.s3", 2, want, &fp, &e) == 0 && fp, "get_f32: %s", e.msg);
  CHECK(sgp_st_get_f32(&r, "m.safetensors", "float32.s3", 2, any, &fp, &e) == 0, "wildcard dim: %s", e.msg);
  CHECK(sgp_st_get_f32(&r, "m.safetensors", "float32.s3", 2, wrong, &fp, &e) != 0 &&
            strstr(e.msg, "m.safetensors: tensor 'float32.s3': expected shape [4, 3], got [3, 4]"),
        "wrong shape: %s", e.msg);
  printf("ok   %s\n", e.msg);
  CHECK(sgp_st_get_f32(&r, "m.safetensors", "float64.s3", 2, want, &fp, &e) != 0 &&
            strstr(e.msg, "expected float32, got float64"), "wrong dtype: %s", e.msg);
  CHECK(sgp_st_get_f32(&r, "m.safetensors", "nope", 2, want, &fp, &e) != 0 &&
            strstr(e.msg, "m.safetensors: tensor 'nope' missing"), "missing: %s", e.msg);
  sgp_st_free(&r);

  /* ---- independent Python reader / writer (json + numpy.frombuffer) ---- */
  const char *py = tu_python_numpy();
  if (!py) {
    printf("SKIP numpy cross-check (no python3 with numpy; scripts/deps.sh --test installs it)\n");
  } else {
    char *script = sgp_path_join(dir, "st.py");
    FILE *f = fopen(script, "w");
    fprintf(f,
            "import json, struct, sys, numpy as np\n"
            "DT = {'F32': '<f4', 'F64': '<f8', 'U8': 'u1', 'I32': '<i4', 'I64': '<i8'}\n"
            "def load(path):\n"
            "    b = open(path, 'rb').read()\n"
            "    n = struct.unpack('<Q', b[:8])[0]\n"
            "    h = json.loads(b[8:8 + n].decode('utf-8'))\n"
            "    meta = h.pop('__metadata__', {})\n"
            "    data = b[8 + n:]\n"
            "    out = {}\n"
            "    for k, v in h.items():\n"
            "        s, e = v['data_offsets']\n"
            "        out[k] = np.frombuffer(data[s:e], dtype=DT[v['dtype']]).reshape(v['shape'])\n"
            "    return out, meta\n"
            "def ref(t, shape, seed):\n"
            "    n = int(np.prod(shape)); k = np.arange(n, dtype=np.int64) + seed\n"
            "    v = [(k * 0.37 - 5.0).astype(np.float32), k * 0.37 - 5.0 + 1e-12 * k,\n"
            "         ((k * 7 + 3) %% 256).astype(np.uint8), (k * 7919 - 100000).astype(np.int32),\n"
            "         k * 3000000007 - 7][t]\n"
            "    return v.reshape(shape)\n"
            "shapes = [(), (0,), (5,), (3, 4), (2, 0, 3), (1, 2, 1, 2, 1, 2, 1, 2)]\n"
            "names = ['float32', 'float64', 'uint8', 'int32', 'int64']\n"
            "t, meta = load(sys.argv[1])\n"
            "bad = 0\n"
            "for ti, nm in enumerate(names):\n"
            "    for k, sh in enumerate(shapes):\n"
            "        x = t['%%s.s%%d' %% (nm, k)]\n"
            "        r = ref(ti, sh, k)\n"
            "        if x.dtype != r.dtype or x.shape != r.shape or not np.array_equal(x, r): bad += 1; print('MISMATCH', nm, k)\n"
            "if len(t) != 30: bad += 1; print('COUNT', len(t))\n"
            "if json.loads(meta['arch'])['hidden'] != [64, 64] or meta['kind'] != 'score' or meta['unicode'] != '\\u00e9t\\u00e9 \\u2207': bad += 1; print('META', meta)\n"
            "# written here in Python, read by the C side: reversed key order, no padding needed\n"
            "a = ref(0, (3, 2), 1); c = ref(4, (2,), 2)\n"
            "hdr = {'zeta': {'dtype': 'I64', 'shape': [2], 'data_offsets': [0, 16]},\n"
            "       'alpha': {'dtype': 'F32', 'shape': [3, 2], 'data_offsets': [16, 40]},\n"
            "       '__metadata__': {'format': 'pt', 'cfg': json.dumps({'lr': 0.001})}}\n"
            "hb = json.dumps(hdr).encode()\n"
            "open(sys.argv[2], 'wb').write(struct.pack('<Q', len(hb)) + hb + c.tobytes() + a.tobytes())\n"
            "print('python reader: mismatches', bad)\n"
            "sys.exit(1 if bad else 0)\n");
    fclose(f);
    char *pyout = sgp_path_join(dir, "py.safetensors");
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "%s '%s' '%s' '%s' 2>&1", py, script, path, pyout);
    int rc = tu_system(cmd, out, sizeof out);
    printf("     %s", out);
    CHECK(rc == 0, "the Python reader disagrees (rc %d)", rc);
    sgp_st q;
    CHECK(sgp_st_read(pyout, &q, &e) == 0, "Python-written file: %s", e.msg);
    if (q.n == 2) {
      const sgp_tensor *ta = sgp_st_find(&q, "alpha"), *tz = sgp_st_find(&q, "zeta");
      int64_t s32[2] = {3, 2}, s2[1] = {2};
      sgp_array wa, wz;
      sgp_array_alloc(&wa, SGP_F32, 2, s32);
      tu_fill_array(&wa, 1);
      sgp_array_alloc(&wz, SGP_I64, 1, s2);
      tu_fill_array(&wz, 2);
      CHECK(ta && tu_same_array(&ta->a, &wa) && tz && tu_same_array(&tz->a, &wz), "Python-written tensors differ");
      CHECK(sgp_st_get_meta(&q, "cfg") && strcmp(sgp_st_get_meta(&q, "cfg"), "{\"lr\": 0.001}") == 0,
            "Python-written metadata");
      sgp_array_free(&wa);
      sgp_array_free(&wz);
      printf("ok   Python-written file reads identically (tensors and metadata)\n");
    } else {
      CHECK(0, "Python-written file: %d tensors", q.n);
    }
    sgp_st_free(&q);
    free(pyout);
    free(script);
  }

  /* ---- corruption ---- */
  sgp_st m;
  build_model(&m);
  char *mp = sgp_path_join(dir, "model.safetensors");
  sgp_st_write(mp, &m, &e);
  sgp_st_free(&m);
  void *gbuf;
  size_t glen;
  sgp_read_file(mp, &gbuf, &glen, 1 << 20, &e);
  const uint8_t *g = gbuf;
  tu_check_truncations(parse_st, read_st, NAME, dir, "trunc.safetensors", g, glen);
  {
    uint8_t *longer = sgp_malloc(glen + 3);
    memcpy(longer, g, glen);
    memset(longer + glen, 0, 3);
    expect_reject("three trailing bytes", longer, glen + 3, "3 trailing bytes");
    free(longer);
  }
  /* single-byte flips over the length field and the header: rejected naming the file, or accepted
   * (e.g. a changed name or metadata letter) */
  uint64_t ghl = 0;
  for (int i = 0; i < 8; i++) ghl |= (uint64_t)g[i] << (8 * i);
  tu_check_flips(parse_st, NAME, g, glen, (size_t)(8 + ghl));

  /* catalogue */
  {
    uint8_t huge[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    expect_reject("header length 2^63", huge, sizeof huge, "implausibly large");
    uint64_t cap1 = ((uint64_t)100 << 20) + 1;
    for (int i = 0; i < 8; i++) huge[i] = (uint8_t)(cap1 >> (8 * i));
    expect_reject("header length over the cap", huge, sizeof huge, "implausibly large");
    huge[0] = 9; for (int i = 1; i < 8; i++) huge[i] = 0;
    expect_reject("header past the end", huge, sizeof huge, "truncated: header length 9");
    expect_reject("empty file", huge, 0, "truncated");
  }
  const char *T = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
  char h[1024];
  expect_hdr_accept("minimal valid", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  expect_hdr_accept("empty header", "{}", 0);
  expect_hdr_accept("zero-size tensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                    "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
  snprintf(h, sizeof h, "%s}", T);
  expect_hdr_reject("data longer than tensors", h, 12, "4 trailing bytes");
  expect_hdr_reject("data shorter than tensors", h, 6, "beyond the 6 bytes");
  expect_hdr_reject("offsets out of bounds",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8, "beyond");
  expect_hdr_reject("overlapping tensors",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap");
  expect_hdr_reject("same offsets twice",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16, "overlap");
  expect_hdr_reject("gap between tensors",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "gap of 4");
  expect_hdr_reject("not starting at 0",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "gap");
  expect_hdr_reject("end before begin",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8, "end before begin");
  expect_hdr_reject("span != shape x dtype",
                    "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "need 16");
  expect_hdr_reject("unsupported dtype F16",
                    "{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8, "unsupported dtype 'F16'");
  expect_hdr_reject("dtype not a string", "{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                    "dtype must be a string");
  expect_hdr_reject("negative shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
                    "non-negative");
  expect_hdr_reject("fractional shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8,
                    "non-negative");
  expect_hdr_reject("overflowing shape",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4096],\"data_offsets\":[0,8]}}", 8,
                    "overflows");
  expect_hdr_reject("nine dimensions",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}", 8,
                    "9 dimensions");
  expect_hdr_reject("shape not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8,
                    "shape must be");
  expect_hdr_reject("three offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8,
                    "data_offsets must be");
  expect_hdr_reject("negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8,
                    "data_offsets must be");
  expect_hdr_reject("missing field", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "missing field 'shape'");
  expect_hdr_reject("unknown field",
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8, "unknown field 'x'");
  expect_hdr_reject("tensor not an object", "{\"a\":[1,2]}", 0, "expected an object");
  expect_hdr_reject("metadata not an object", "{\"__metadata__\":[\"a\"]}", 0, "__metadata__");
  expect_hdr_reject("metadata value not a string", "{\"__metadata__\":{\"lr\":0.1}}", 0,
                    "__metadata__/lr: expected a string");
  expect_hdr_reject("duplicate tensor name",
                    "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                    "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2, "duplicate key");
  expect_hdr_reject("header an array", "[1, 2]", 0, "starting with '{'");
  expect_hdr_reject("header with leading space", " {}", 0, "starting with '{'");
  expect_hdr_reject("invalid JSON", "{\"a\": }", 0, "header: invalid JSON at line 1, column 7");
  expect_hdr_reject("garbage after the object", "{} x", 0, "unexpected text");
  expect_hdr_reject("invalid UTF-8", "{\"__metadata__\":{\"a\":\"\xff\"}}", 0, "not valid UTF-8 (byte 30)");
  expect_hdr_reject("overlong UTF-8", "{\"__metadata__\":{\"a\":\"\xc0\xaf\"}}", 0, "not valid UTF-8");
  expect_hdr_reject("UTF-8 surrogate", "{\"__metadata__\":{\"a\":\"\xed\xa0\x80\"}}", 0, "not valid UTF-8");
  expect_hdr_reject("truncated UTF-8", "{\"__metadata__\":{\"a\":\"\xe2\x88", 0, "not valid UTF-8");
  expect_hdr_accept("4-byte UTF-8", "{\"__metadata__\":{\"a\":\"\xf0\x9f\x98\x80\"}}", 0);
  {
    /* a NUL inside the header */
    size_t len;
    uint8_t *b = make_st("{}      ", 0, &len);
    b[11] = 0;
    expect_reject("NUL in the header padding", b, len, "NUL");
    free(b);
  }
  /* missing file / directory name the path */
  sgp_st x;
  char *nf = sgp_path_join(dir, "none.safetensors");
  CHECK(sgp_st_read(nf, &x, &e) != 0 && strstr(e.msg, "none.safetensors: cannot open"), "missing: %s", e.msg);
  char *bad = sgp_path_join(dir, "nodir/m.safetensors");
  CHECK(sgp_st_write(bad, &s, &e) != 0 && strstr(e.msg, "nodir/m.safetensors: cannot write"), "%s", e.msg);

  free(bad);
  free(nf);
  free(gbuf);
  free(mp);
  free(fb);
  free(path);
  sgp_st_free(&s);
  tu_rmtree(dir);
  free(dir);
  return tu_done("test_safetensors");
}
