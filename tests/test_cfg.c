// ctest-labels: unit core
/* JSON config access: the exact shape of every error message (file, JSON path, what was
 * expected, what was found), defaults inserted so the tree becomes the resolved config, unknown
 * keys, integer ranges, enum choices, arrays, parse errors with line and column, duplicate keys,
 * and deterministic atomic writing. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static sgp_err e;

/* The last error must equal want exactly. */
#define CHECK_MSG(rc, want)                                                                    \
  do {                                                                                         \
    int _rc = (rc);                                                                            \
    CHECK(_rc != 0, "expected failure: %s", want);                                             \
    CHECK(_rc == 0 || strcmp(e.msg, want) == 0, "message\n  got:  %s\n  want: %s", e.msg, want); \
    if (_rc != 0) printf("ok   %s\n", e.msg);                                                  \
  } while (0)

static cJSON *parse(const char *text) {
  cJSON *j = NULL;
  if (sgp_json_parse(text, "run.json", &j, &e) != 0) {
    fprintf(stderr, "FAIL parse: %s\n", e.msg);
    exit(1);
  }
  return j;
}

int main(void) {
  cJSON *j = parse("{\"planner\": {\"beta\": \"high\", \"sigma\": 0.5, \"iters\": 3.5, \"big\": 1e300,"
                   " \"huge\": 1e999, \"horizon\": 40, \"kind\": \"mppi\", \"flag\": 1, \"name\": 7,"
                   " \"w\": [1, 2, 3], \"hidden\": [64, 64.5], \"empty\": [], \"a/b~c\": {\"x\": true}},"
                   " \"agents\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"kind\": \"c\"}, 5],"
                   " \"scalar\": 3}");
  sgp_cfg root = sgp_cfg_root(j, "run.json"), pl, tmp;
  CHECK(sgp_cfg_obj(&root, "planner", &pl, &e) == 0, "obj: %s", e.msg);
  CHECK(strcmp(pl.path, "/planner") == 0, "path %s", pl.path);

  /* type errors: "file: /path: expected X, got Y" */
  double d;
  long l;
  int b, k;
  float f;
  const char *s;
  CHECK_MSG(sgp_cfg_num(&pl, "beta", &d, &e), "run.json: /planner/beta: expected a number, got a string");
  CHECK_MSG(sgp_cfg_num(&pl, "nope", &d, &e), "run.json: /planner/nope: missing required field");
  CHECK_MSG(sgp_cfg_num(&pl, "huge", &d, &e), "run.json: /planner/huge: expected a finite number");
  CHECK_MSG(sgp_cfg_num_opt(&pl, "w", 1.0, &d, &e), "run.json: /planner/w: expected a number, got an array");
  CHECK_MSG(sgp_cfg_float_opt(&pl, "big", 1.0, &f, &e), "run.json: /planner/big: 1e+300 is out of the float32 range");
  CHECK_MSG(sgp_cfg_int(&pl, "iters", 1, 100, &l, &e), "run.json: /planner/iters: expected an integer, got 3.5");
  CHECK_MSG(sgp_cfg_int(&pl, "horizon", 1, 32, &l, &e), "run.json: /planner/horizon: 40 is out of range [1, 32]");
  CHECK_MSG(sgp_cfg_int_opt(&pl, "horizon", 50, 60, 55, &l, &e),
            "run.json: /planner/horizon: 40 is out of range [50, 60]");
  CHECK_MSG(sgp_cfg_bool_opt(&pl, "flag", 0, &b, &e), "run.json: /planner/flag: expected true or false, got a number");
  CHECK_MSG(sgp_cfg_str(&pl, "name", &s, &e), "run.json: /planner/name: expected a string, got a number");
  CHECK_MSG(sgp_cfg_str(&pl, "absent", &s, &e), "run.json: /planner/absent: missing required field");
  CHECK_MSG(sgp_cfg_obj(&pl, "sigma", &tmp, &e), "run.json: /planner/sigma: expected an object, got a number");
  CHECK_MSG(sgp_cfg_obj_opt(&pl, "w", &tmp, &e), "run.json: /planner/w: expected an object, got an array");
  CHECK_MSG(sgp_cfg_num(&root, "planner", &d, &e), "run.json: /planner: expected a number, got an object");

  /* successes */
  CHECK(sgp_cfg_num(&pl, "sigma", &d, &e) == 0 && d == 0.5, "sigma");
  CHECK(sgp_cfg_int(&pl, "horizon", 1, 100, &l, &e) == 0 && l == 40, "horizon");
  CHECK(sgp_cfg_int(&pl, "horizon", 40, 40, &l, &e) == 0 && l == 40, "inclusive range");
  CHECK(sgp_cfg_has(&pl, "sigma") && !sgp_cfg_has(&pl, "nope"), "has");
  CHECK(sgp_cfg_float_opt(&pl, "sigma", 9, &f, &e) == 0 && f == 0.5f, "float_opt present");

  /* enums list the choices */
  static const char *const kinds[] = {"sgp", "mppi", "cem"};
  CHECK(sgp_cfg_enum(&pl, "kind", kinds, 3, -1, &k, &e) == 0 && k == 1, "enum");
  CHECK_MSG(sgp_cfg_enum(&pl, "name", kinds, 3, 0, &k, &e),
            "run.json: /planner/name: expected one of sgp, mppi, cem, got a number");
  CHECK_MSG(sgp_cfg_enum(&pl, "beta", kinds, 3, 0, &k, &e),
            "run.json: /planner/beta: \"high\" is not one of sgp, mppi, cem");
  CHECK_MSG(sgp_cfg_enum(&pl, "method", kinds, 3, -1, &k, &e), "run.json: /planner/method: missing required field");

  /* arrays */
  double w[4];
  long hw[4];
  int n = 0;
  CHECK(sgp_cfg_num_array(&pl, "w", w, 4, 0, &n, &e) == 0 && n == 3 && w[2] == 3, "num_array");
  CHECK(sgp_cfg_num_array(&pl, "w", w, 4, 3, &n, &e) == 0, "num_array exact length");
  CHECK_MSG(sgp_cfg_num_array(&pl, "w", w, 4, 2, &n, &e), "run.json: /planner/w: expected 2 numbers, got 3");
  CHECK_MSG(sgp_cfg_num_array(&pl, "w", w, 2, 0, &n, &e), "run.json: /planner/w: expected 1 to 2 numbers, got 3");
  CHECK_MSG(sgp_cfg_num_array(&pl, "empty", w, 2, 0, &n, &e),
            "run.json: /planner/empty: expected 1 to 2 numbers, got 0");
  CHECK_MSG(sgp_cfg_int_array(&pl, "hidden", hw, 4, &n, &e), "run.json: /planner/hidden/1: expected an integer, got 64.5");
  CHECK(sgp_cfg_int_array(&pl, "empty", hw, 4, &n, &e) == 0 && n == 0, "empty int array allowed");
  CHECK_MSG(sgp_cfg_int_array(&pl, "w", hw, 2, &n, &e), "run.json: /planner/w: at most 2 integers allowed, got 3");
  CHECK(sgp_cfg_int_array(&pl, "w", hw, 4, &n, &e) == 0 && n == 3 && hw[1] == 2, "int_array");

  /* array of objects: paths carry the index */
  sgp_cfg agents, ag;
  int na = 0;
  CHECK(sgp_cfg_array(&root, "agents", &agents, &na, &e) == 0 && na == 4, "array: %s", e.msg);
  CHECK(sgp_cfg_index(&agents, 1, &ag, &e) == 0 && sgp_cfg_str(&ag, "name", &s, &e) == 0 && strcmp(s, "b") == 0,
        "agents[1].name");
  CHECK(sgp_cfg_index(&agents, 2, &ag, &e) == 0, "agents[2]");
  CHECK_MSG(sgp_cfg_str(&ag, "name", &s, &e), "run.json: /agents/2/name: missing required field");
  CHECK_MSG(sgp_cfg_index(&agents, 3, &ag, &e), "run.json: /agents/3: expected an object, got a number");
  CHECK_MSG(sgp_cfg_index(&agents, 4, &ag, &e), "run.json: /agents/4: no such element");
  CHECK_MSG(sgp_cfg_array(&root, "scalar", &agents, &na, &e), "run.json: /scalar: expected an array, got a number");
  /* a key with '/' and '~' is escaped as a JSON pointer */
  CHECK(sgp_cfg_obj(&pl, "a/b~c", &tmp, &e) == 0, "odd key");
  CHECK_MSG(sgp_cfg_num(&tmp, "x", &d, &e), "run.json: /planner/a~1b~0c/x: expected a number, got a boolean");

  /* unknown keys */
  static const char *const allowed[] = {"beta", "sigma", "iters", "big", "huge", "horizon", "kind",
                                        "flag", "name", "w", "hidden", "empty", "a/b~c", NULL};
  CHECK(sgp_cfg_check_keys(&pl, allowed, &e) == 0, "all keys allowed: %s", e.msg);
  cJSON *j2 = parse("{\"planner\": {\"beta\": 1, \"bta\": 2}}");
  sgp_cfg r2 = sgp_cfg_root(j2, "run.json"), p2;
  sgp_cfg_obj(&r2, "planner", &p2, &e);
  static const char *const bs[] = {"beta", "sigma", "horizon", NULL};
  CHECK_MSG(sgp_cfg_check_keys(&p2, bs, &e), "run.json: /planner/bta: unknown field (allowed: beta, sigma, horizon)");
  cJSON_Delete(j2);

  /* the root must be an object for getters; the root path prints as "/" */
  cJSON *arr = parse("[1, 2]");
  sgp_cfg ra = sgp_cfg_root(arr, "sweep.json");
  CHECK_MSG(sgp_cfg_num(&ra, "x", &d, &e), "sweep.json: /: expected an object, got an array");
  cJSON_Delete(arr);

  /* defaults are inserted: the tree becomes the resolved config */
  cJSON *j3 = parse("{\"train\": {\"lr\": 0.01}}");
  sgp_cfg r3 = sgp_cfg_root(j3, "train.json"), t3, o3;
  sgp_cfg_obj(&r3, "train", &t3, &e);
  CHECK(sgp_cfg_num_opt(&t3, "lr", 1e-3, &d, &e) == 0 && d == 0.01, "present value wins over default");
  CHECK(sgp_cfg_num_opt(&t3, "wd", 0.25, &d, &e) == 0 && d == 0.25, "num default");
  CHECK(sgp_cfg_float_opt(&t3, "clip", 1.5, &f, &e) == 0 && f == 1.5f, "float default");
  CHECK(sgp_cfg_int_opt(&t3, "epochs", 1, 1000, 20, &l, &e) == 0 && l == 20, "int default");
  CHECK(sgp_cfg_bool_opt(&t3, "ln", 1, &b, &e) == 0 && b == 1, "bool default");
  CHECK(sgp_cfg_str_opt(&t3, "act", "silu", &s, &e) == 0 && strcmp(s, "silu") == 0, "str default");
  CHECK(sgp_cfg_str_opt(&t3, "init", NULL, &s, &e) == 0 && s == NULL, "NULL default stays absent");
  CHECK(sgp_cfg_enum(&t3, "opt", kinds, 3, 2, &k, &e) == 0 && k == 2, "enum default");
  CHECK(sgp_cfg_obj_opt(&t3, "sched", &o3, &e) == 0 && strcmp(o3.path, "/train/sched") == 0, "obj_opt");
  CHECK(sgp_cfg_int_opt(&o3, "warmup", 0, 10, 5, &l, &e) == 0 && l == 5, "nested default");
  char *resolved = cJSON_PrintUnformatted(j3);
  const char *want = "{\"train\":{\"lr\":0.01,\"wd\":0.25,\"clip\":1.5,\"epochs\":20,\"ln\":true,\"act\":\"silu\","
                     "\"opt\":\"cem\",\"sched\":{\"warmup\":5}}}";
  CHECK(strcmp(resolved, want) == 0, "resolved config\n  got:  %s\n  want: %s", resolved, want);
  printf("ok   resolved %s\n", resolved);
  free(resolved);
  /* reading the resolved config again gives the same values (defaults are now present) */
  CHECK(sgp_cfg_int_opt(&t3, "epochs", 1, 1000, 99, &l, &e) == 0 && l == 20, "second read sees the inserted default");

  /* parse errors: line and column; duplicate keys; trailing text */
  cJSON *bad;
  CHECK_MSG(sgp_json_parse("{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}", "run.json", &bad, &e),
            "run.json: invalid JSON at line 3, column 14: syntax error");
  CHECK_MSG(sgp_json_parse("{\"a\": 1", "run.json", &bad, &e),
            "run.json: invalid JSON at line 1, column 7: syntax error"); /* cJSON points at the last byte */
  CHECK_MSG(sgp_json_parse("{\"a\": 1} {", "run.json", &bad, &e),
            "run.json: invalid JSON at line 1, column 10: unexpected text after the JSON value");
  CHECK_MSG(sgp_json_parse("{\"a\": {\"b\": 1, \"b\": 2}}", "run.json", &bad, &e), "run.json: /a/b: duplicate key");
  CHECK_MSG(sgp_json_parse("{\"a\": [{}, {\"c\": 1, \"c\": 1}]}", "run.json", &bad, &e),
            "run.json: /a/1/c: duplicate key");
  {
    /* a large object (keys sorted internally) with one duplicate */
    char big[2048];
    size_t k = (size_t)snprintf(big, sizeof big, "{");
    for (int i = 0; i < 60; i++) k += (size_t)snprintf(big + k, sizeof big - k, "\"k%02d\": %d, ", i, i);
    snprintf(big + k, sizeof big - k, "\"k17\": 0}");
    CHECK_MSG(sgp_json_parse(big, "big.json", &bad, &e), "big.json: /k17: duplicate key");
    big[k - 2] = '}';
    big[k - 1] = 0;
    CHECK(sgp_json_parse(big, "big.json", &bad, &e) == 0, "60 distinct keys: %s", e.msg);
    cJSON_Delete(bad);
  }
  CHECK_MSG(sgp_json_parse("", "run.json", &bad, &e), "run.json: invalid JSON at line 1, column 1: unexpected end of text");
  CHECK_MSG(sgp_json_parse("{\"x\": NaN}", "run.json", &bad, &e), "run.json: invalid JSON at line 1, column 7: syntax error");

  /* text must be UTF-8 (RFC 3629): what passes into results must parse again */
  {
    static const char *const invalid[] = {
        "{\"meta\": \"\xff\"}",             /* not a UTF-8 byte */
        "{\"meta\": \"\xc0\xaf\"}",         /* overlong '/' */
        "{\"meta\": \"\xed\xa0\x80\"}",     /* UTF-16 surrogate D800 */
        "{\"meta\": \"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
        "{\"meta\": \"ab\xe2\x82\"}",       /* truncated sequence */
        "{\"meta\": \"\x80\"}",             /* stray continuation byte */
    };
    static const int column[] = {11, 11, 11, 11, 13, 11};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
      char want[128];
      snprintf(want, sizeof want, "run.json: invalid JSON at line 1, column %d: invalid UTF-8", column[i]);
      CHECK_MSG(sgp_json_parse(invalid[i], "run.json", &bad, &e), want);
    }
    CHECK(sgp_json_parse("{\"m\":\n \"ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \xff\"}", "run.json", &bad, &e) != 0 &&
              strstr(e.msg, "run.json: invalid JSON at line 2, column 10: invalid UTF-8"),
          "the first invalid byte located after valid 2-, 3- and 4-byte sequences: %s", e.msg);
    printf("ok   %s\n", e.msg);
    CHECK(sgp_json_parse("{\"m\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"}", "run.json", &bad, &e) == 0,
          "valid UTF-8 up to U+10FFFF accepted: %s", e.msg);
    cJSON_Delete(bad);
  }

  /* load / write: deterministic pretty print with a trailing newline, atomic; errors name files */
  char *dir = tu_tmpdir("cfg");
  char *p = sgp_path_join(dir, "resolved.json");
  CHECK(sgp_json_write(p, j3, &e) == 0, "write: %s", e.msg);
  void *buf;
  size_t len;
  sgp_read_file(p, &buf, &len, 1 << 20, &e);
  CHECK(len > 0 && ((char *)buf)[len - 1] == '\n', "trailing newline");
  char *again = sgp_path_join(dir, "again.json");
  cJSON *j4;
  CHECK(sgp_json_load(p, &j4, &e) == 0, "load: %s", e.msg);
  sgp_json_write(again, j4, &e);
  void *buf2;
  size_t len2;
  sgp_read_file(again, &buf2, &len2, 1 << 20, &e);
  CHECK(len == len2 && memcmp(buf, buf2, len) == 0, "write(load(write(x))) is byte-identical");
  free(buf);
  free(buf2);
  cJSON_Delete(j4);
  char *broken = sgp_path_join(dir, "broken.json");
  sgp_write_file_atomic(broken, "{\n\"a\": tru\n}\n", 12, &e);
  CHECK(sgp_json_load(broken, &j4, &e) != 0 && strstr(e.msg, "broken.json: invalid JSON at line 2"), "%s", e.msg);
  printf("ok   %s\n", e.msg);
  char *none = sgp_path_join(dir, "none.json");
  CHECK(sgp_json_load(none, &j4, &e) != 0 && strstr(e.msg, "none.json: cannot open"), "%s", e.msg);
  char *nul = sgp_path_join(dir, "nul.json");
  sgp_write_file_atomic(nul, "{}\0{}", 5, &e);
  CHECK(sgp_json_load(nul, &j4, &e) != 0 && strstr(e.msg, "NUL byte"), "NUL inside a JSON file: %s", e.msg);
  CHECK(sgp_json_write(dir, j3, &e) != 0 && strstr(e.msg, "cannot write"), "write onto a directory: %s", e.msg);

  tu_rmtree(dir);
  free(nul);
  free(none);
  free(broken);
  free(again);
  free(p);
  free(dir);
  cJSON_Delete(j3);
  cJSON_Delete(j);
  return tu_done("test_cfg");
}
