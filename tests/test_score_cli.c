// ctest-labels: unit agents
/* sgp train score / dde and sgp sample through the program:
 *  - the same seed writes byte-identical model files, another seed a different one;
 *  - sgp sample writes an N x D float32 .npy of finite samples;
 *  - a model file of another kind, a config for another kind, unknown fields and options are
 *    clear errors with the documented exit codes (1 error, 2 usage). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int run(const char *what, const char *args, char *out, size_t cap) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "%s %s 2>&1", tu_prog(), args);
  int rc = tu_system(cmd, out, cap);
  printf("$ sgp %s\n  -> exit %d%s%s", args, rc, out && out[0] ? ": " : "\n", out ? out : "");
  (void)what;
  return rc;
}

static int same_file(const char *a, const char *b) {
  void *x, *y;
  size_t nx, ny;
  sgp_err e;
  if (sgp_read_file(a, &x, &nx, 1 << 26, &e) || sgp_read_file(b, &y, &ny, 1 << 26, &e)) return -1;
  int eq = nx == ny && !memcmp(x, y, nx);
  free(x), free(y);
  return eq;
}

int main(void) {
  char *dir = tu_tmpdir("score-cli");
  char p[512], cfg[512], dcfg[512], a[512], b[512], c[512], d[512], s[512], args[3000], out[4096];
  snprintf(p, sizeof p, "%s/circle.npy", dir);
  snprintf(cfg, sizeof cfg, "%s/ncsn.json", dir);
  snprintf(dcfg, sizeof dcfg, "%s/dde.json", dir);
  snprintf(a, sizeof a, "%s/a.safetensors", dir);
  snprintf(b, sizeof b, "%s/b.safetensors", dir);
  snprintf(c, sizeof c, "%s/c.safetensors", dir);
  snprintf(d, sizeof d, "%s/d.safetensors", dir);
  snprintf(s, sizeof s, "%s/samples.npy", dir);

  const int N = 200;
  float pts[400];
  for (int i = 0; i < N; i++) pts[2 * i] = (float)(3 * cos(0.1 * i)), pts[2 * i + 1] = (float)(3 * sin(0.1 * i));
  int64_t shape[2] = {N, 2};
  sgp_err e;
  CHECK(sgp_npy_write_raw(p, SGP_F32, 2, shape, pts, &e) == 0, "write: %s", e.msg);
  const char *ncsn = "{\"net\":{\"hidden\":[32,32],\"act\":\"silu\"},\"levels\":4,\"sigma_max\":1.0,"
                     "\"sigma_min\":0.05,\"schedule\":\"cosine\",\"train\":{\"epochs\":3,\"batch\":32}}";
  const char *ddec = "{\"kind\":\"dde\",\"net\":{\"hidden\":[16]},\"sigma\":0.2,\"samples\":500,"
                     "\"train\":{\"epochs\":2,\"batch\":64}}";
  CHECK(sgp_write_file_atomic(cfg, ncsn, strlen(ncsn), &e) == 0, "write: %s", e.msg);
  CHECK(sgp_write_file_atomic(dcfg, ddec, strlen(ddec), &e) == 0, "write: %s", e.msg);

  snprintf(args, sizeof args, "train score --data %s --config %s --out %s --seed 3 --quiet", p, cfg, a);
  CHECK(run("train a", args, out, sizeof out) == 0, "train a");
  snprintf(args, sizeof args, "train score --data %s --config %s --out %s --seed 3 --quiet", p, cfg, b);
  CHECK(run("train b", args, out, sizeof out) == 0, "train b");
  snprintf(args, sizeof args, "train score --data %s --config %s --out %s --seed 4 --quiet", p, cfg, c);
  CHECK(run("train c", args, out, sizeof out) == 0, "train c");
  CHECK(same_file(a, b) == 1, "same seed: the files must be byte-identical");
  CHECK(same_file(a, c) == 0, "another seed: the files should differ");

  snprintf(args, sizeof args, "sample --model %s --n 50 --steps 3 --seed 1 --out %s", a, s);
  CHECK(run("sample", args, out, sizeof out) == 0, "sample");
  sgp_array arr;
  if (sgp_npy_read(s, &arr, &e) == 0) {
    CHECK(arr.dtype == SGP_F32 && arr.ndim == 2 && arr.shape[0] == 50 && arr.shape[1] == 2, "samples shape");
    CHECK(sgp_all_finite_f(arr.data, sgp_array_count(&arr)), "samples finite");
    sgp_array_free(&arr);
  } else {
    CHECK(0, "read samples: %s", e.msg);
  }

  snprintf(args, sizeof args, "train dde --data %s --config %s --out %s --quiet", p, dcfg, d);
  CHECK(run("train dde", args, out, sizeof out) == 0, "train dde");
  snprintf(args, sizeof args, "sample --model %s --out %s", d, s);
  CHECK(run("sample dde", args, out, sizeof out) == 1, "sampling a dde model must fail");
  CHECK(strstr(out, "model kind is 'dde', expected 'score'") != NULL, "kind message");
  snprintf(args, sizeof args, "train score --data %s --config %s --out %s", p, dcfg, d);
  CHECK(run("wrong kind", args, out, sizeof out) == 1, "a dde config for score must fail");
  CHECK(strstr(out, "/kind") != NULL, "message names /kind");
  snprintf(args, sizeof args, "train score --data %s --config %s --out %s --bogus 1", p, cfg, d);
  CHECK(run("bad option", args, out, sizeof out) == 2, "unknown option is a usage error");
  snprintf(args, sizeof args, "train nosuchkind --data %s --config %s --out %s", p, cfg, d);
  CHECK(run("bad kind", args, out, sizeof out) == 2, "unknown kind is a usage error");
  CHECK(run("help", "train --help", out, sizeof out) == 0, "help");
  CHECK(run("help", "sample --help", out, sizeof out) == 0, "help");

  tu_rmtree(dir);
  free(dir);
  return tu_done("test_score_cli");
}
