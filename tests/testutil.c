#include "testutil.h"

#include "agents/planner.h"
#include "core/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int tu_failures = 0;
int tu_checks = 0;

int tu_done(const char *name) {
  if (tu_failures) {
    fprintf(stderr, "%s: %d of %d checks FAILED\n", name, tu_failures, tu_checks);
    return 1;
  }
  printf("%s: all %d checks passed\n", name, tu_checks);
  return 0;
}

char *tu_tmpdir(const char *tag) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  char *path = sgp_malloc(strlen(base) + strlen(tag) + 32);
  sprintf(path, "%s/sgp-%s-XXXXXX", base, tag);
  if (!mkdtemp(path)) {
    perror("mkdtemp");
    exit(1);
  }
  return path;
}

void tu_rmtree(const char *dir) {
  char *cmd = sgp_malloc(strlen(dir) + 16);
  sprintf(cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
  free(cmd);
}

double tu_relerr(double a, double b, double floor) {
  double m = fmax(fmax(fabs(a), fabs(b)), floor);
  return fabs(a - b) / m;
}

int tu_system(const char *cmd, char *capture, size_t cap) {
  /* { cmd\n} 2>&1: the command's own redirections still apply; the newline ends a trailing comment */
  char *full = sgp_malloc(strlen(cmd) + 16);
  sprintf(full, "{ %s\n} 2>&1", cmd);
  FILE *p = popen(full, "r");
  free(full);
  if (!p) return -1;
  size_t n = 0;
  char buf[4096];
  size_t r;
  while ((r = fread(buf, 1, sizeof buf, p)) > 0) {
    if (capture && n + 1 < cap) {
      size_t k = r < cap - 1 - n ? r : cap - 1 - n;
      memcpy(capture + n, buf, k);
      n += k;
    }
  }
  if (capture && cap) capture[n] = 0;
  int st = pclose(p);
  if (st == -1) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

const char *tu_python_numpy(void) {
  static const char *cands[] = {"/usr/bin/python3", "python3", NULL};
  for (int i = 0; cands[i]; i++) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", cands[i]);
    if (tu_system(cmd, NULL, 0) == 0) return cands[i];
  }
  return NULL;
}

const char *tu_source_dir(void) {
  const char *s = getenv("SGP_SOURCE_DIR");
  return s && *s ? s : ".";
}

const char *tu_prog(void) {
  const char *s = getenv("SGP_PROG");
  return s && *s ? s : "build/sgp";
}

/* ---- file formats */

void tu_fill_array(sgp_array *a, long seed) {
  size_t n = sgp_array_count(a);
  for (size_t i = 0; i < n; i++) {
    long k = (long)i + seed;
    switch (a->dtype) {
      case SGP_F32: ((float *)a->data)[i] = (float)(k * 0.37 - 5.0); break;
      case SGP_F64: ((double *)a->data)[i] = k * 0.37 - 5.0 + 1e-12 * k; break;
      case SGP_U8: ((uint8_t *)a->data)[i] = (uint8_t)((k * 7 + 3) % 256); break;
      case SGP_I32: ((int32_t *)a->data)[i] = (int32_t)(k * 7919 - 100000); break;
      case SGP_I64: ((int64_t *)a->data)[i] = (int64_t)k * 3000000007LL - 7; break;
      default: break;
    }
  }
}

int tu_same_array(const sgp_array *a, const sgp_array *b) {
  if (a->dtype != b->dtype || a->ndim != b->ndim || a->nbytes != b->nbytes) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

void tu_write_plain(const char *path, const void *buf, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  if (n) fwrite(buf, 1, n, f);
  fclose(f);
}

void tu_expect_reject(tu_parse_fn parse, const char *name, const char *what, const void *buf, size_t len,
                      const char *want) {
  sgp_err e;
  e.msg[0] = 0;
  int rc = parse(buf, len, name, &e);
  CHECK(rc < 0, "%s: must be rejected", what);
  if (rc >= 0) return;
  CHECK(strncmp(e.msg, name, strlen(name)) == 0, "%s: message must name the file: %s", what, e.msg);
  CHECK(!strchr(e.msg, '\n'), "%s: message must be one line", what);
  if (want) CHECK(strstr(e.msg, want) != NULL, "%s: message \"%s\" lacks \"%s\"", what, e.msg, want);
  printf("ok   %-34s %s\n", what, e.msg);
}

void tu_check_truncations(tu_parse_fn parse, tu_read_fn read, const char *name, const char *dir, const char *fname,
                          const void *good, size_t len) {
  sgp_err e;
  int ok_count = 0;
  char *tp = sgp_path_join(dir, fname);
  for (size_t n = 0; n < len; n++) {
    uint8_t *copy = sgp_malloc(n + 1); /* exact-size copy: ASan sees any overread */
    memcpy(copy, good, n);
    int r1 = parse(copy, n, name, &e);
    int named1 = strncmp(e.msg, name, strlen(name)) == 0;
    free(copy);
    tu_write_plain(tp, good, n);
    int r2 = read(tp, &e);
    int named2 = strstr(e.msg, fname) != NULL;
    int ok = r1 < 0 && r2 != 0 && named1 && named2;
    ok_count += ok;
    if (!ok) CHECK(0, "truncation to %zu bytes: %s", n, e.msg);
  }
  CHECK(ok_count == (int)len, "all %zu truncations rejected (%d)", len, ok_count);
  printf("ok   all %zu truncations rejected, e.g. %s\n", len, e.msg);
  free(tp);
}

void tu_check_flips(tu_parse_fn parse, const char *name, const void *good, size_t len, size_t npos) {
  static const uint8_t xors[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
  int flips = 0, accepted = 0, bad = 0;
  uint8_t *m = sgp_malloc(len);
  for (size_t pos = 0; pos < npos; pos++)
    for (size_t x = 0; x < sizeof xors; x++) {
      memcpy(m, good, len);
      m[pos] ^= xors[x];
      sgp_err e;
      e.msg[0] = 0;
      int rc = parse(m, len, name, &e);
      flips++;
      if (rc >= 0) {
        accepted++;
        bad += rc > 0; /* accepted but inconsistent */
      } else if (strncmp(e.msg, name, strlen(name)) != 0) {
        bad++; /* rejected without naming the file */
      }
    }
  free(m);
  CHECK(bad == 0, "byte flips: %d bad outcomes (inconsistent files accepted, or messages without the file name)",
        bad);
  printf("ok   %d single-byte flips of the first %zu bytes: %d accepted as valid variants, the rest rejected "
         "naming the file\n", flips, npos, accepted);
}

void tu_ref_mlp(const struct nn_mlp *net, const double *in, double *out) {
  double a[256], b[256];
  int n = net->arch.nin;
  for (int i = 0; i < n; i++) a[i] = in[i];
  for (int k = 0; k < net->nlayers; k++) {
    const nn_layer *L = &net->layer[k];
    for (int o = 0; o < L->nout; o++) {
      double s = L->b[o];
      for (int i = 0; i < L->nin; i++) s += (double)L->W[(size_t)o * L->nin + i] * a[i];
      b[o] = s;
    }
    n = L->nout;
    if (k < net->nlayers - 1) {
      if (L->ln_g) {
        double m = 0, v = 0;
        for (int j = 0; j < n; j++) m += b[j];
        m /= n;
        for (int j = 0; j < n; j++) v += (b[j] - m) * (b[j] - m);
        v /= n;
        for (int j = 0; j < n; j++) b[j] = (b[j] - m) / sqrt(v + 1e-5) * L->ln_g[j] + L->ln_b[j];
      }
      for (int j = 0; j < n; j++) b[j] = tanh(b[j]);
    }
    memcpy(a, b, (size_t)n * sizeof(double));
  }
  memcpy(out, a, (size_t)n * sizeof(double));
}

struct planner *tu_planner(const char *name, const char *json, const struct plan_ctx *ctx,
                           struct cJSON **j) {
  sgp_err e = {{0}};
  planner *p = NULL;
  if (sgp_json_parse(json, "test", j, &e)) {
    CHECK(0, "%s", e.msg);
    return NULL;
  }
  sgp_cfg c = sgp_cfg_root(*j, "test");
  if (plan_find(name)->create(&c, ctx, &p, &e)) {
    CHECK(0, "%s: create: %s", name, e.msg);
    return NULL;
  }
  return p;
}
