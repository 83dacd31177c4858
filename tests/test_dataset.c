// ctest-labels: unit datasets
/* Datasets: collection reproducible byte for byte across thread counts (1, 2, 3), in memory and
 * on disk; box and excluded-region filters hold on every row; every stored transition reproduces
 * in the simulator; episodes set terminal/timeout consistently (continuity within an episode);
 * the loader rejects corrupted, truncated, inconsistent, non-finite, re-hashed and incomplete
 * datasets with messages naming the file and field; writing refuses to overwrite. */
#include "datasets/dataset.h"
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int collect(const char *env, const char *cfg_json, const char *spec_json, uint64_t seed, int threads,
                   ds_data *out, sgp_err *e) {
  cJSON *spec = NULL, *cfg = NULL;
  if (sgp_json_parse(spec_json, "spec.json", &spec, e)) return -1;
  if (cfg_json && sgp_json_parse(cfg_json, "cfg.json", &cfg, e)) return -1;
  ds_collect_opts o = {seed, threads, 0};
  int rc = ds_collect(env, cfg, "cfg.json", spec, "spec.json", &o, out, e);
  cJSON_Delete(spec);
  cJSON_Delete(cfg);
  return rc;
}

static int same_data(const ds_data *a, const ds_data *b) {
  if (a->n != b->n || a->nx != b->nx || a->nu != b->nu) return 0;
  size_t n = (size_t)a->n;
  return !memcmp(a->x, b->x, n * a->nx * 4) && !memcmp(a->u, b->u, n * a->nu * 4) &&
         !memcmp(a->xnext, b->xnext, n * a->nx * 4) && !memcmp(a->reward, b->reward, n * 4) &&
         !memcmp(a->terminal, b->terminal, n) && !memcmp(a->timeout, b->timeout, n);
}

static int files_equal(const char *a, const char *b) {
  void *x = NULL, *y = NULL;
  size_t nx = 0, ny = 0;
  sgp_err e;
  if (sgp_read_file(a, &x, &nx, 1 << 30, &e) || sgp_read_file(b, &y, &ny, 1 << 30, &e)) {
    free(x);
    return 0;
  }
  int eq = nx == ny && !memcmp(x, y, nx);
  free(x);
  free(y);
  return eq;
}

static char *path2(const char *dir, const char *name) { return sgp_path_join(dir, name); }

/* Copies a dataset directory (the seven files). */
static void copy_ds(const char *src, const char *dst) {
  static const char *const names[] = {"x.npy", "u.npy", "xnext.npy", "reward.npy", "terminal.npy", "timeout.npy",
                                      "manifest.json"};
  sgp_err e;
  mkdir(dst, 0777);
  for (int i = 0; i < 7; i++) {
    char *a = path2(src, names[i]), *b = path2(dst, names[i]);
    void *buf = NULL;
    size_t n = 0;
    if (sgp_read_file(a, &buf, &n, 1 << 30, &e) == 0) sgp_write_file_atomic(b, buf, n, &e);
    free(buf);
    free(a);
    free(b);
  }
}

/* Sets /files/<name>/sha256 of the manifest to the file's current hash. */
static void rehash(const char *dir, const char *name) {
  sgp_err e;
  char *m = path2(dir, "manifest.json"), *f = path2(dir, name), hex[65];
  cJSON *j = NULL;
  sgp_json_load(m, &j, &e);
  sgp_sha256_file_hex(f, hex, &e);
  cJSON *fo = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "files"), name);
  cJSON_ReplaceItemInObject(fo, "sha256", cJSON_CreateString(hex));
  sgp_json_write(m, j, &e);
  cJSON_Delete(j);
  free(m);
  free(f);
}

/* Loads dir and checks that it fails with a message containing every string of `want`. */
static void expect_reject(const char *dir, const char *what, const char *want1, const char *want2) {
  ds_data d;
  sgp_err e = {{0}};
  int rc = ds_load(dir, &d, &e);
  if (rc == 0) ds_free(&d);
  printf("  %-34s -> %s\n", what, rc ? e.msg : "(accepted)");
  CHECK(rc == -1, "%s: must be rejected", what);
  CHECK(rc == -1 && strstr(e.msg, want1) && (!want2 || strstr(e.msg, want2)), "%s: message names '%s'%s%s", what, want1,
        want2 ? " and " : "", want2 ? want2 : "");
}

static void manifest_edit(const char *dir, const char *obj, const char *key) {
  sgp_err e;
  char *m = path2(dir, "manifest.json");
  cJSON *j = NULL;
  sgp_json_load(m, &j, &e);
  cJSON *o = j;
  if (obj) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", obj);
    for (char *tok = strtok(buf, "/"); tok; tok = strtok(NULL, "/")) o = cJSON_GetObjectItem(o, tok);
  }
  cJSON_DeleteItemFromObject(o, key);
  sgp_json_write(m, j, &e);
  cJSON_Delete(j);
  free(m);
}

/* Sets a manifest field, given as a JSON path of object keys, to the JSON value `json`. */
static void manifest_set(const char *dir, const char *path, const char *json) {
  sgp_err e;
  char *m = path2(dir, "manifest.json");
  cJSON *j = NULL, *v = NULL;
  sgp_json_load(m, &j, &e);
  sgp_json_parse(json, "value", &v, &e);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  cJSON *o = j;
  char *last = strrchr(buf, '/');
  *last = 0;
  for (char *tok = strtok(buf, "/"); tok; tok = strtok(NULL, "/")) o = cJSON_GetObjectItem(o, tok);
  if (cJSON_IsArray(o)) cJSON_ReplaceItemInArray(o, atoi(last + 1), v);
  else cJSON_ReplaceItemInObject(o, last + 1, v);
  sgp_json_write(m, j, &e);
  cJSON_Delete(j);
  free(m);
}

/* Entries of dir whose name contains `part`. */
static int count_named(const char *dir, const char *part) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (strstr(de->d_name, part)) n++;
  if (d) closedir(d);
  return n;
}

/* The manifest's statistics and file entries are checked against the data; members must be
 * regular files whose read stops at the size the header implies; writes never follow links. */
static void hardening(const char *tmp, const char *dirA, ds_data *d1) {
  sgp_err e;
  char *c = path2(tmp, "h");
  struct {
    const char *path, *value, *want;
  } edits[] = {
      {"/stats", "1", "/stats: missing or not an object"},
      {"/stats/x", "[]", "/stats/x: missing or not an object"},
      {"/stats/x/min", "[0]", "/stats/x/min: expected an array of 2 numbers"},
      {"/stats/u/mean/1", "\"a\"", "/stats/u/mean/1: expected a number"},
      {"/stats/x/max/0", "0.25", "/stats/x/max/0: 0.25, but the data give"},
      {"/stats/timeout_count", "3", "/stats/timeout_count: expected 0"},
      {"/files/u.npy/dtype", "\"float64\"", "/files/u.npy/dtype: expected \"float32\""},
      {"/files/x.npy/shape", "[9000, 3]", "/files/x.npy/shape: expected [9000, 2] (/n, /nx)"},
      {"/files/reward.npy/shape", "[9000, 1]", "/files/reward.npy/shape: expected [9000] (/n)"},
  };
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    copy_ds(dirA, c);
    manifest_set(c, edits[i].path, edits[i].value);
    expect_reject(c, edits[i].path, "manifest.json", edits[i].want);
    tu_rmtree(c);
  }
  copy_ds(dirA, c);
  manifest_edit(c, NULL, "stats");
  expect_reject(c, "manifest without stats", "manifest.json", "/stats: missing");
  tu_rmtree(c);

  /* special members: a link to /dev/zero, a FIFO, a sparse file far beyond its header's size */
  alarm(60); /* reading forever is a failure, not a hang */
  char *x = path2(c, "x.npy");
  copy_ds(dirA, c);
  unlink(x);
  CHECK(symlink("/dev/zero", x) == 0, "symlink");
  expect_reject(c, "x.npy -> /dev/zero", "x.npy", "not a regular file");
  tu_rmtree(c);
  copy_ds(dirA, c);
  unlink(x);
  CHECK(mkfifo(x, 0666) == 0, "mkfifo");
  expect_reject(c, "x.npy a FIFO", "x.npy", "not a regular file");
  tu_rmtree(c);
  copy_ds(dirA, c);
  CHECK(truncate(x, (off_t)1 << 36) == 0, "sparse 64 GiB x.npy");
  expect_reject(c, "x.npy of 64 GiB", "x.npy", "too large");
  tu_rmtree(c);
  alarm(0);
  free(x);

  /* links planted where a writer puts its temporaries (the names of earlier builds, predictable
   * from the pid) or at the target itself: nothing they point to is touched */
  char *out = path2(tmp, "w"), *victim = path2(tmp, "victim"), *vf = path2(victim, "x.npy");
  CHECK(ds_write(out, d1, 0, &e) == 0, "write: %s", e.msg);
  mkdir(victim, 0777);
  tu_write_plain(vf, "keep", 4);
  char name[512];
  snprintf(name, sizeof name, "%s.tmp.%ld", out, (long)getpid());
  CHECK(symlink(victim, name) == 0, "symlink");
  snprintf(name, sizeof name, "%s.old.%ld", out, (long)getpid());
  CHECK(symlink(victim, name) == 0, "symlink");
  CHECK(ds_write(out, d1, 1, &e) == 0, "--force rewrite beside planted links: %s", e.msg);
  CHECK(sgp_path_exists(vf), "the planted links' target keeps its files");
  char *ln = path2(tmp, "link");
  CHECK(symlink(out, ln) == 0, "symlink");
  CHECK(ds_write(ln, d1, 1, &e) == -1 && strstr(e.msg, "symbolic link"), "--force onto a link refused: %s", e.msg);
  ds_data L;
  CHECK(ds_load(out, &L, &e) == 0, "the dataset behind the link intact: %s", e.msg);
  if (e.msg[0] == 0 || L.n) ds_free(&L);
  CHECK(count_named(tmp, ".tmp.") == 1 && count_named(tmp, ".old.") == 1, "no temporaries left but the planted links");
  free(ln), free(out), free(victim), free(vf), free(c);
}

int main(void) {
  sgp_err e = {{0}};
  char *tmp = tu_tmpdir("dataset");

  /* ---- point box: reproducible across thread counts, filters on every row */
  const char *spec = "{\"type\":\"box\",\"n\":9000}"; /* 3 chunks of 4096 (the last partial) */
  ds_data d1, d2, d3;
  CHECK(collect("point", NULL, spec, 42, 1, &d1, &e) == 0, "collect 1 thread: %s", e.msg);
  CHECK(collect("point", NULL, spec, 42, 2, &d2, &e) == 0, "collect 2 threads: %s", e.msg);
  CHECK(collect("point", NULL, spec, 42, 3, &d3, &e) == 0, "collect 3 threads: %s", e.msg);
  CHECK(same_data(&d1, &d2) && same_data(&d1, &d3), "same bytes with 1, 2 and 3 threads");
  {
    ds_data d4;
    collect("point", NULL, spec, 43, 2, &d4, &e);
    CHECK(!same_data(&d1, &d4), "another seed gives other data");
    ds_free(&d4);
  }
  {
    long bad_box = 0, bad_excl = 0, bad_u = 0, bad_reward = 0, bad_path = 0, bad_mud = 0;
    sgp_env *env = NULL;
    env_create("point", NULL, "cfg", &env, &e);
    double worst_replay = 0;
    for (int64_t i = 0; i < d1.n; i++) {
      const float *x = d1.x + 2 * i, *u = d1.u + 2 * i, *xn = d1.xnext + 2 * i;
      for (int k = 0; k < 2; k++) {
        bad_box += !(x[k] >= -1 && x[k] <= 1 && xn[k] >= -1 && xn[k] <= 1);
        bad_u += !(u[k] >= -0.1f && u[k] <= 0.1f);
      }
      bad_excl += hypot(x[0], x[1]) < 0.4;
      { /* no step touches the disk (the default point has mud there: it would slow the step) */
        double dx = xn[0] - x[0], dy = xn[1] - x[1], dd = dx * dx + dy * dy;
        double t = dd > 0 ? -((double)x[0] * dx + (double)x[1] * dy) / dd : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        bad_path += hypot(x[0] + t * dx, x[1] + t * dy) < 0.4;
        bad_mud += hypot((double)x[0] + u[0] - xn[0], (double)x[1] + u[1] - xn[1]) > 1e-5;
      }
      double xd[2] = {x[0], x[1]}, ud[2] = {u[0], u[1]}, xr[2], r;
      int term;
      if (i % 7 == 0) {
        env_set_state(env, xd, &e);
        env_step(env, ud, xr, &r, &term, &e);
        worst_replay = fmax(worst_replay, fmax(fabs((float)xr[0] - xn[0]), fabs((float)xr[1] - xn[1])));
        bad_reward += (float)r != d1.reward[i];
      }
    }
    printf("  %lld rows: %ld outside the box, %ld in the excluded disk, %ld actions out of bounds\n", (long long)d1.n,
           bad_box, bad_excl, bad_u);
    CHECK(bad_box == 0 && bad_excl == 0 && bad_u == 0, "box, next-in-box and excluded-disk filters on every row");
    printf("  %ld steps through the excluded disk, %ld steps slowed by the mud\n", bad_path, bad_mud);
    CHECK(bad_path == 0 && bad_mud == 0, "no stored step enters the excluded disk (its mud never shows in the data)");
    CHECK_WORST("replaying stored (x, u) gives the stored x' (float bits)", worst_replay, 0);
    CHECK(bad_reward == 0, "stored reward = -c(x, u)");
    env_destroy(env);
  }
  /* manifest content */
  {
    cJSON *jc = cJSON_GetObjectItem(d1.manifest, "collection");
    CHECK(cJSON_GetObjectItem(jc, "rejected_excluded")->valuedouble > 0, "some samples were excluded");
    CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(d1.manifest, "env"), "name")->valuestring, "point"), "env name");
    cJSON *beh = cJSON_GetObjectItem(d1.manifest, "behaviour");
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(beh, "exclude"), "radius")->valuedouble == 0.4,
          "resolved behaviour records the exclusion radius");
  }

  /* ---- on disk: byte-identical directories, loadable, refuses to overwrite */
  char *dirA = path2(tmp, "a"), *dirB = path2(tmp, "sub/b");
  CHECK(ds_write(dirA, &d1, 0, &e) == 0, "write: %s", e.msg);
  CHECK(ds_write(dirB, &d3, 0, &e) == 0, "write into a new subdirectory: %s", e.msg);
  {
    static const char *const names[] = {"x.npy", "u.npy", "xnext.npy", "reward.npy", "terminal.npy", "timeout.npy",
                                        "manifest.json"};
    int all = 1;
    for (int i = 0; i < 7; i++) {
      char *a = path2(dirA, names[i]), *b = path2(dirB, names[i]);
      all &= files_equal(a, b);
      free(a);
      free(b);
    }
    CHECK(all, "1-thread and 3-thread dataset directories are byte-identical (incl. manifest.json)");
  }
  CHECK(ds_write(dirA, &d1, 0, &e) == -1 && strstr(e.msg, "already exists"), "refuses to overwrite: %s", e.msg);
  CHECK(ds_write(dirA, &d2, 1, &e) == 0, "--force replaces a dataset: %s", e.msg);
  {
    char *other = path2(tmp, "notads");
    mkdir(other, 0777);
    char *f = path2(other, "precious.txt");
    sgp_write_file_atomic(f, "x", 1, &e);
    CHECK(ds_write(other, &d1, 1, &e) == -1 && strstr(e.msg, "not a dataset"), "never replaces a foreign directory: %s", e.msg);
    CHECK(sgp_path_exists(f), "foreign file still there");
    free(f);
    free(other);
  }
  {
    ds_data L;
    CHECK(ds_load(dirA, &L, &e) == 0, "load: %s", e.msg);
    if (!e.msg[0] || L.n) {
      CHECK(same_data(&L, &d1), "loaded = collected");
      CHECK(!strcmp(L.env, "point") && cJSON_IsObject(L.env_cfg), "env and config");
      ds_free(&L);
    }
  }
  CHECK(count_named(tmp, ".tmp.") == 0 && count_named(tmp, ".old.") == 0, "no temporary directory left");
  hardening(tmp, dirA, &d1);

  /* ---- the loader's rejections */
  {
    char *c = path2(tmp, "c");
    char *f;
    sgp_array a;
    /* truncated array */
    copy_ds(dirA, c);
    f = path2(c, "x.npy");
    truncate(f, 1000);
    expect_reject(c, "truncated x.npy", "x.npy", "truncated");
    free(f);
    tu_rmtree(c);
    /* corrupted header */
    copy_ds(dirA, c);
    f = path2(c, "u.npy");
    {
      FILE *fp = fopen(f, "r+b");
      fseek(fp, 0, SEEK_SET);
      fputc('X', fp);
      fclose(fp);
    }
    expect_reject(c, "corrupted magic of u.npy", "u.npy", "magic");
    free(f);
    tu_rmtree(c);
    /* mismatched row count (consistently re-hashed, so only the shape check can catch it) */
    copy_ds(dirA, c);
    f = path2(c, "xnext.npy");
    sgp_npy_read(f, &a, &e);
    int64_t sh[2] = {a.shape[0] - 1, a.shape[1]};
    sgp_npy_write_raw(f, SGP_F32, 2, sh, a.data, &e);
    sgp_array_free(&a);
    rehash(c, "xnext.npy");
    char want[64];
    snprintf(want, sizeof want, "%lld rows, x.npy has %lld", (long long)d1.n - 1, (long long)d1.n);
    expect_reject(c, "xnext.npy one row short", "xnext.npy", want);
    free(f);
    tu_rmtree(c);
    /* NaN in the data */
    copy_ds(dirA, c);
    f = path2(c, "u.npy");
    sgp_npy_read(f, &a, &e);
    ((float *)a.data)[2 * 17 + 1] = NAN;
    sgp_npy_write_raw(f, SGP_F32, 2, a.shape, a.data, &e);
    sgp_array_free(&a);
    rehash(c, "u.npy");
    expect_reject(c, "NaN in u.npy", "u.npy: row 17, column 1", "not finite");
    free(f);
    tu_rmtree(c);
    /* wrong hash: a valid value changed behind the manifest's back */
    copy_ds(dirA, c);
    f = path2(c, "reward.npy");
    sgp_npy_read(f, &a, &e);
    ((float *)a.data)[5] += 1.0f;
    sgp_npy_write_raw(f, SGP_F32, 1, a.shape, a.data, &e);
    sgp_array_free(&a);
    expect_reject(c, "reward.npy edited, hash stale", "reward.npy", "SHA-256");
    free(f);
    tu_rmtree(c);
    /* flags that are not 0/1 */
    copy_ds(dirA, c);
    f = path2(c, "timeout.npy");
    sgp_npy_read(f, &a, &e);
    ((uint8_t *)a.data)[3] = 2;
    sgp_npy_write_raw(f, SGP_U8, 1, a.shape, a.data, &e);
    sgp_array_free(&a);
    rehash(c, "timeout.npy");
    expect_reject(c, "timeout flag 2", "timeout.npy: row 3", "0/1");
    free(f);
    tu_rmtree(c);
    /* wrong dtype */
    copy_ds(dirA, c);
    f = path2(c, "terminal.npy");
    {
      int64_t n1[1] = {d1.n};
      float *z = calloc((size_t)d1.n, 4);
      sgp_npy_write_raw(f, SGP_F32, 1, n1, z, &e);
      free(z);
    }
    rehash(c, "terminal.npy");
    expect_reject(c, "terminal.npy as float32", "terminal.npy", "dtype float32, expected uint8");
    free(f);
    tu_rmtree(c);
    /* missing file */
    copy_ds(dirA, c);
    f = path2(c, "terminal.npy");
    unlink(f);
    expect_reject(c, "terminal.npy missing", "terminal.npy", "missing");
    free(f);
    tu_rmtree(c);
    /* missing manifest fields */
    copy_ds(dirA, c);
    manifest_edit(c, "files/u.npy", "sha256");
    expect_reject(c, "manifest without u.npy's hash", "manifest.json", "/files/u.npy/sha256: missing");
    tu_rmtree(c);
    copy_ds(dirA, c);
    manifest_edit(c, NULL, "nx");
    expect_reject(c, "manifest without nx", "manifest.json", "/nx: missing");
    tu_rmtree(c);
    copy_ds(dirA, c);
    manifest_edit(c, "env", "name");
    expect_reject(c, "manifest without env name", "manifest.json", "/env/name");
    tu_rmtree(c);
    /* no manifest at all */
    copy_ds(dirA, c);
    f = path2(c, "manifest.json");
    unlink(f);
    expect_reject(c, "no manifest.json", "manifest.json", "missing");
    free(f);
    tu_rmtree(c);
    /* nx that disagrees with the environment (and with the arrays) */
    copy_ds(dirA, c);
    {
      char *m = path2(c, "manifest.json");
      cJSON *j = NULL;
      sgp_json_load(m, &j, &e);
      cJSON_ReplaceItemInObject(j, "nx", cJSON_CreateNumber(3));
      sgp_json_write(m, j, &e);
      cJSON_Delete(j);
      free(m);
    }
    expect_reject(c, "nx 3 for point", "manifest.json", "/nx, /nu: 3, 2, but environment 'point' has nx 2");
    tu_rmtree(c);
    free(c);
  }

  /* ---- episodes: flags and continuity */
  {
    ds_data ep, ep2;
    const char *es = "{\"type\":\"episodes\",\"n\":250,\"policy\":{\"type\":\"uniform\"},\"action_noise\":0.1}";
    CHECK(collect("point", "{\"hole\":\"same\"}", es, 5, 1, &ep, &e) == 0, "episodes: %s", e.msg);
    CHECK(collect("point", "{\"hole\":\"same\"}", es, 5, 3, &ep2, &e) == 0, "episodes 3 threads: %s", e.msg);
    CHECK(same_data(&ep, &ep2), "episodes: same bytes with 1 and 3 threads");
    long bad_flags = 0, bad_cont = 0, bad_start = 0, nto = 0;
    int t_in_ep = 0;
    for (int64_t i = 0; i < ep.n; i++) {
      if (t_in_ep == 0) bad_start += !(ep.x[2 * i] == 0.8f && ep.x[2 * i + 1] == 0.2f);
      int expect_to = t_in_ep == 39 || i == ep.n - 1; /* T = 40; the last episode is cut by n */
      bad_flags += ep.timeout[i] != expect_to || ep.terminal[i] != 0;
      nto += ep.timeout[i];
      if (!ep.timeout[i] && i + 1 < ep.n)
        bad_cont += memcmp(ep.xnext + 2 * i, ep.x + 2 * (i + 1), 8) != 0;
      t_in_ep = ep.timeout[i] ? 0 : t_in_ep + 1;
    }
    printf("  episodes: %lld rows, %ld timeouts\n", (long long)ep.n, nto);
    CHECK(nto == 7, "250 rows = 6 episodes of 40 + a cut one: 7 timeouts");
    CHECK(bad_flags == 0, "timeout exactly at t = T-1 and at the cut, never terminal");
    CHECK(bad_cont == 0, "x' of a row is x of the next row within an episode");
    CHECK(bad_start == 0, "episodes start at the reset state (0.8, 0.2)");
    cJSON *jc = cJSON_GetObjectItem(ep.manifest, "collection");
    CHECK(cJSON_GetObjectItem(jc, "episodes")->valuedouble == 7, "7 episodes recorded");
    ds_free(&ep);
    ds_free(&ep2);
  }

  /* ---- episodes of the expert (a tube of demonstrations): cart-pole from its fixed start */
  {
    sgp_env *env = NULL;
    CHECK(env_create("cartpole", NULL, "cfg", &env, &e) == 0, "create: %s", e.msg);
    ds_data d0, dn;
    const char *s0 = "{\"type\":\"episodes\",\"n\":120,\"policy\":{\"type\":\"expert\"}}";
    const char *sn = "{\"type\":\"episodes\",\"n\":6000,\"policy\":{\"type\":\"expert\"},\"action_noise\":0.05}";
    CHECK(collect("cartpole", NULL, s0, 3, 1, &d0, &e) == 0, "expert episodes: %s", e.msg);
    CHECK(collect("cartpole", NULL, sn, 3, 2, &dn, &e) == 0, "noisy expert episodes: %s", e.msg);
    /* noise-free: every row's action is the expert's action of its step, from the replayed state */
    double worst_u = 0, x[4], u[1];
    for (int64_t i = 0; i < d0.n; i++) {
      for (int k = 0; k < 4; k++) x[k] = d0.x[4 * i + k];
      env->ops->expert_action(env, (int)(i % 60), x, u);
      worst_u = fmax(worst_u, fabs(u[0] - d0.u[i]));
    }
    CHECK_WORST("expert episodes: action - expert action of the step (N)", worst_u, 1e-4);
    /* the swing-up ends upright near the centre (the expert's success, docs/environments.md) */
    const float *xe = d0.xnext + 4 * 59;
    double phi = fabs(remainder((double)xe[1] - M_PI, 2 * M_PI));
    printf("  expert episode ends at p %.3f, |theta - pi| %.3f\n", xe[0], phi);
    CHECK(phi < 0.2 && fabs(xe[0]) < 0.5 && d0.timeout[59] == 1, "the expert's episode ends upright (%.3f, %.3f)", phi, xe[0]);
    /* noisy: the action noise has std 0.05 x 80 N = 4 N around the expert's action of the step (rows
     * whose expert action is 16 N or more inside the +-80 N bounds, where clipping is negligible),
     * and the states spread into a tube around the swing-up that widens with time */
    double m = 0, q = 0, spread0 = 0, spread1 = 0;
    long cnt = 0, n0 = 0, n1 = 0;
    for (int64_t i = 0; i < dn.n; i++) {
      int t = (int)(i % 60);
      for (int k = 0; k < 4; k++) x[k] = dn.x[4 * i + k];
      env->ops->expert_action(env, t, x, u);
      if (fabs(u[0]) <= 64) {
        double r = dn.u[i] - u[0];
        m += r, q += r * r, cnt++;
      }
      double dp = fabs(dn.x[4 * i + 1] - d0.x[4 * t + 1]);
      if (t < 10) spread0 += dp, n0++;
      if (t >= 50) spread1 += dp, n1++;
    }
    m /= cnt;
    double sd = sqrt(q / cnt - m * m);
    printf("  noisy expert: %ld unclipped rows, action noise mean %.3f N, std %.3f N; mean |theta - expert's| "
           "%.3f (t < 10), %.3f (t >= 50)\n", cnt, m, sd, spread0 / n0, spread1 / n1);
    CHECK(fabs(sd - 4) < 0.2 && fabs(m) < 0.2, "action noise std %.3f (4 expected), mean %.3f", sd, m);
    CHECK(spread1 / n1 > 2 * spread0 / n0, "the tube widens along the swing-up");
    CHECK(dn.n == 6000 && dn.timeout[59] == 1, "episodes of 60 steps");
    ds_free(&d0);
    ds_free(&dn);
    env_destroy(env);
  }

  /* ---- spec validation */
  {
    ds_data x;
    struct {
      const char *spec, *want;
    } bad[] = {
        {"{\"type\":\"box\",\"n\":10,\"colour\":1}", "spec.json: /colour: unknown field"},
        {"{\"type\":\"grid\",\"n\":10}", "spec.json: /type"},
        {"{\"type\":\"box\"}", "spec.json: /n"},
        {"{\"type\":\"box\",\"n\":10,\"state_lo\":[0]}", "spec.json: /state_lo"},
        {"{\"type\":\"box\",\"n\":10,\"action_hi\":[0.5,0.1]}", "/action_lo, action_hi/0"},
        {"{\"type\":\"box\",\"n\":10,\"exclude\":{\"radius\":5}}", "spec.json: /state_lo, /state_hi, /exclude, /next_in_box: fewer than 0.1%"},
        /* hopeless at any n: stops after 20000 attempts, not 1000 per row */
        {"{\"type\":\"box\",\"n\":1000000,\"exclude\":{\"radius\":5}}", "accepted (0 of 20000; rejected: 20000 in the excluded disk"},
        {"{\"type\":\"episodes\",\"n\":10,\"policy\":{\"type\":\"oracle\"}}", "/policy/type: unknown policy 'oracle'"},
        {"{\"type\":\"episodes\",\"n\":10,\"policy\":{\"type\":\"expert\",\"noise\":1}}", "/policy/noise: unknown field"},
        {"{\"type\":\"episodes\",\"n\":10,\"policy\":{\"type\":\"constant\",\"value\":[1,0]}}", "/policy/value/0"},
        {"{\"type\":\"episodes\",\"n\":10,\"action_noise\":-1}", "/action_noise"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      int rc = collect("point", NULL, bad[i].spec, 1, 1, &x, &e);
      if (rc == 0) ds_free(&x);
      printf("  spec %-70s -> %s\n", bad[i].spec, rc ? e.msg : "(accepted)");
      CHECK(rc == -1 && strstr(e.msg, bad[i].want), "spec error names '%s'", bad[i].want);
    }
  }

  ds_free(&d1);
  ds_free(&d2);
  ds_free(&d3);
  free(dirA);
  free(dirB);
  tu_rmtree(tmp);
  free(tmp);
  return tu_done("test_dataset");
}
