/* The dataset format (docs/datasets.md): writing atomically, loading with full validation. */
#include "datasets/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ds_file {
  const char *name;
  sgp_dtype dtype;
  int width; /* 0: 1-d; 1: nx; 2: nu */
} ds_file;

static const ds_file files[] = {
    {"x.npy", SGP_F32, 1},        {"u.npy", SGP_F32, 2},        {"xnext.npy", SGP_F32, 1},
    {"reward.npy", SGP_F32, 0},   {"terminal.npy", SGP_U8, 0},  {"timeout.npy", SGP_U8, 0},
};
#define NFILES ((int)(sizeof files / sizeof files[0]))

/* Where array i of files[] lives in a ds_data. */
static void **file_slot(ds_data *d, int i) {
  switch (i) {
    case 0: return (void **)&d->x;
    case 1: return (void **)&d->u;
    case 2: return (void **)&d->xnext;
    case 3: return (void **)&d->reward;
    case 4: return (void **)&d->terminal;
    default: return (void **)&d->timeout;
  }
}

static void *file_data(ds_data *d, int i) { return *file_slot(d, i); }

void ds_free(ds_data *d) {
  if (!d) return;
  free(d->dir);
  free(d->env);
  free(d->x);
  free(d->u);
  free(d->xnext);
  free(d->reward);
  free(d->terminal);
  free(d->timeout);
  free(d->qpos);
  free(d->qvel);
  cJSON_Delete(d->manifest);
  memset(d, 0, sizeof *d);
}

cJSON *ds_stats_json(const float *a, int64_t rows, int dim) {
  double *sum = sgp_calloc((size_t)dim, sizeof(double)), *sq = sgp_calloc((size_t)dim, sizeof(double));
  double *mn = sgp_malloc(sizeof(double) * dim), *mx = sgp_malloc(sizeof(double) * dim);
  for (int j = 0; j < dim; j++) {
    mn[j] = INFINITY;
    mx[j] = -INFINITY;
  }
  for (int64_t i = 0; i < rows; i++)
    for (int j = 0; j < dim; j++) {
      double v = a[i * dim + j];
      sum[j] += v;
      if (v < mn[j]) mn[j] = v;
      if (v > mx[j]) mx[j] = v;
    }
  for (int j = 0; j < dim; j++) sum[j] = rows ? sum[j] / rows : 0; /* mean */
  for (int64_t i = 0; i < rows; i++)                                 /* two-pass variance */
    for (int j = 0; j < dim; j++) {
      double dv = a[i * dim + j] - sum[j];
      sq[j] += dv * dv;
    }
  for (int j = 0; j < dim; j++) {
    sq[j] = rows ? sqrt(sq[j] / rows) : 0;
    if (!rows) mn[j] = mx[j] = 0;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "mean", cJSON_CreateDoubleArray(sum, dim));
  cJSON_AddItemToObject(o, "std", cJSON_CreateDoubleArray(sq, dim));
  cJSON_AddItemToObject(o, "min", cJSON_CreateDoubleArray(mn, dim));
  cJSON_AddItemToObject(o, "max", cJSON_CreateDoubleArray(mx, dim));
  free(sum), free(sq), free(mn), free(mx);
  return o;
}

/* ---- writing ----------------------------------------------------------------------------------- */
static void replace_item(cJSON *o, const char *key, cJSON *v) {
  if (cJSON_GetObjectItem(o, key)) cJSON_ReplaceItemInObject(o, key, v);
  else cJSON_AddItemToObject(o, key, v);
}

/* 1 if dir holds only dataset files (and leftovers of our own temporary writes). */
static int only_dataset_files(const char *dir) {
  DIR *dd = opendir(dir);
  if (!dd) return 0;
  struct dirent *de;
  int ok = 1;
  while ((de = readdir(dd))) {
    const char *n = de->d_name;
    if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "manifest.json")) continue;
    int known = 0;
    for (int i = 0; i < NFILES; i++)
      if (!strncmp(n, files[i].name, strlen(files[i].name))) known = 1;
    if (!strncmp(n, "manifest.json.tmp", 17)) known = 1;
    if (!strcmp(n, "qpos.npy") || !strcmp(n, "qvel.npy")) known = 1;
    if (!known) ok = 0;
  }
  closedir(dd);
  return ok;
}

/* The target may be absent, or (force) an existing dataset directory: never a symlink, which
 * would make the swap below act on whatever it points to. Creates the parent and removes the
 * temporaries that dead writers left in it. *exists: 1 if there is a dataset to replace. */
static int prepare_target(const char *dir, int force, int *exists, sgp_err *e) {
  struct stat sb;
  *exists = lstat(dir, &sb) == 0;
  if (*exists && !force) return sgp_fail(e, "%s: already exists (use --force to replace it)", dir);
  if (*exists && S_ISLNK(sb.st_mode)) return sgp_fail(e, "%s: is a symbolic link; not replacing it", dir);
  if (*exists && !(S_ISDIR(sb.st_mode) && only_dataset_files(dir)))
    return sgp_fail(e, "%s: exists and is not a dataset directory; not replacing it", dir);
  char *parent = sgp_strdup(dir);
  size_t L = strlen(parent);
  while (L > 1 && parent[L - 1] == '/') parent[--L] = 0;
  char *slash = strrchr(parent, '/');
  if (slash) *slash = 0;
  const char *pd = !slash ? "." : slash == parent ? "/" : parent;
  int rc = sgp_mkdirs(pd, e);
  if (rc == 0) sgp_clean_stale(pd, NULL);
  free(parent);
  return rc;
}

/* Format fields and statistics of the data (what ds_load checks them against). */
static void complete_manifest(ds_data *d) {
  cJSON *m = d->manifest ? d->manifest : (d->manifest = cJSON_CreateObject());
  replace_item(m, "format_version", cJSON_CreateNumber(DS_FORMAT_VERSION));
  replace_item(m, "n", cJSON_CreateNumber((double)d->n));
  replace_item(m, "nx", cJSON_CreateNumber(d->nx));
  replace_item(m, "nu", cJSON_CreateNumber(d->nu));
  cJSON *stats = cJSON_CreateObject();
  cJSON_AddItemToObject(stats, "x", ds_stats_json(d->x, d->n, d->nx));
  cJSON_AddItemToObject(stats, "u", ds_stats_json(d->u, d->n, d->nu));
  cJSON_AddItemToObject(stats, "reward", ds_stats_json(d->reward, d->n, 1));
  long nterm = 0, ntime = 0;
  for (int64_t i = 0; i < d->n; i++) {
    nterm += d->terminal[i];
    ntime += d->timeout[i];
  }
  cJSON_AddNumberToObject(stats, "terminal_count", (double)nterm);
  cJSON_AddNumberToObject(stats, "timeout_count", (double)ntime);
  replace_item(m, "stats", stats);
  cJSON *v = cJSON_CreateObject();
  cJSON_AddStringToObject(v, "sgpbench", sgp_version());
  cJSON_AddStringToObject(v, "git", sgp_git_revision());
  cJSON_AddStringToObject(v, "mujoco", env_mujoco_version());
  replace_item(m, "versions", v);
}

/* qpos.npy and qvel.npy (float64, environments with store_sim_state) with their hashes, and nq, nv
 * in the manifest. */
static int write_sim_state(const char *tmp, ds_data *d, cJSON *jf, sgp_err *e) {
  const char *names[2] = {"qpos.npy", "qvel.npy"};
  const double *data[2] = {d->qpos, d->qvel};
  int w[2] = {d->nq, d->nv};
  replace_item(d->manifest, "nq", cJSON_CreateNumber(d->nq));
  replace_item(d->manifest, "nv", cJSON_CreateNumber(d->nv));
  for (int i = 0; i < 2; i++) {
    int64_t shape[2] = {d->n, w[i]};
    char *p = sgp_path_join(tmp, names[i]), hex[65];
    int rc = sgp_npy_write_raw(p, SGP_F64, 2, shape, data[i], e) || sgp_sha256_file_hex(p, hex, e);
    free(p);
    if (rc) return -1;
    cJSON *f = cJSON_AddObjectToObject(jf, names[i]);
    cJSON_AddStringToObject(f, "dtype", "float64");
    cJSON *sh = cJSON_AddArrayToObject(f, "shape");
    cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)d->n));
    cJSON_AddItemToArray(sh, cJSON_CreateNumber(w[i]));
    cJSON_AddStringToObject(f, "sha256", hex);
  }
  return 0;
}

/* The arrays into tmp, their dtype, shape and SHA-256 into the manifest's /files, then the manifest. */
static int write_files(const char *tmp, ds_data *d, sgp_err *e) {
  cJSON *jf = cJSON_CreateObject();
  int rc = 0;
  for (int i = 0; i < NFILES && rc == 0; i++) {
    int64_t shape[2] = {d->n, files[i].width == 1 ? d->nx : d->nu};
    char *p = sgp_path_join(tmp, files[i].name);
    rc = sgp_npy_write_raw(p, files[i].dtype, files[i].width ? 2 : 1, shape, file_data(d, i), e);
    char hex[65];
    if (rc == 0) rc = sgp_sha256_file_hex(p, hex, e);
    free(p);
    if (rc == 0) {
      cJSON *f = cJSON_AddObjectToObject(jf, files[i].name);
      cJSON_AddStringToObject(f, "dtype", sgp_dtype_name(files[i].dtype));
      cJSON *sh = cJSON_AddArrayToObject(f, "shape");
      for (int a = 0; a < (files[i].width ? 2 : 1); a++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)shape[a]));
      cJSON_AddStringToObject(f, "sha256", hex);
    }
  }
  if (rc == 0 && d->qpos) rc = write_sim_state(tmp, d, jf, e);
  replace_item(d->manifest, "files", jf);
  if (rc == 0) {
    char *p = sgp_path_join(tmp, "manifest.json");
    rc = sgp_json_write(p, d->manifest, e);
    free(p);
  }
  return rc;
}

/* Renames tmp to dir. An existing dataset is first renamed over an empty directory of an
 * unpredictable name (rename replaces an empty directory), then removed; on failure it is put
 * back. A crash in between leaves "<dir>.old.*", which sgp_clean_stale restores or removes. */
static int swap_into_place(const char *dir, const char *tmp, int exists, sgp_err *e) {
  char *old = NULL;
  int rc = 0;
  if (exists) {
    rc = sgp_mkdir_temp(dir, "old", &old, e);
    if (rc == 0 && rename(dir, old) != 0) {
      rc = sgp_fail(e, "%s: cannot move the old dataset aside: %s", dir, strerror(errno));
      rmdir(old);
    }
  }
  if (rc == 0 && rename(tmp, dir) != 0) {
    rc = sgp_fail(e, "%s: cannot rename the temporary directory into place: %s", dir, strerror(errno));
    if (old) rename(old, dir);
  }
  if (rc == 0 && old) sgp_remove_flat_dir(old);
  free(old);
  return rc;
}

int ds_write(const char *dir, ds_data *d, int force, sgp_err *e) {
  int exists;
  if (prepare_target(dir, force, &exists, e)) return -1;
  char *tmp = NULL;
  if (sgp_mkdir_temp(dir, "tmp", &tmp, e)) return -1;
  complete_manifest(d);
  int rc = write_files(tmp, d, e);
  if (rc == 0) rc = swap_into_place(dir, tmp, exists, e);
  if (rc) sgp_remove_flat_dir(tmp);
  free(tmp);
  return rc;
}

/* ---- loading ----------------------------------------------------------------------------------- */
static int man_num(const cJSON *m, const char *mpath, const char *key, double *out, sgp_err *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
  if (!v) return sgp_fail(e, "%s: /%s: missing", mpath, key);
  if (!cJSON_IsNumber(v)) return sgp_fail(e, "%s: /%s: expected a number", mpath, key);
  *out = v->valuedouble;
  return 0;
}

/* format_version, n, nx, nu. */
static int load_sizes(const cJSON *m, const char *mpath, ds_data *d, sgp_err *e) {
  double fv, n, nx, nu;
  if (man_num(m, mpath, "format_version", &fv, e)) return -1;
  if (fv != DS_FORMAT_VERSION)
    return sgp_fail(e, "%s: /format_version: %g is not supported (this build reads %d)", mpath, fv, DS_FORMAT_VERSION);
  if (man_num(m, mpath, "n", &n, e) || man_num(m, mpath, "nx", &nx, e) || man_num(m, mpath, "nu", &nu, e)) return -1;
  if (!(n >= 0 && n == floor(n) && n <= 1e15 && nx >= 1 && nx == floor(nx) && nu >= 1 && nu == floor(nu) &&
        nx <= 1 << 20 && nu <= 1 << 20))
    return sgp_fail(e, "%s: /n, /nx, /nu: expected non-negative whole numbers", mpath);
  d->n = (int64_t)n;
  d->nx = (int)nx;
  d->nu = (int)nu;
  return 0;
}

/* /env: a registered environment whose config builds and agrees with nx, nu. */
static int load_env(cJSON *m, const char *mpath, ds_data *d, sgp_err *e) {
  cJSON *je = cJSON_GetObjectItemCaseSensitive(m, "env");
  cJSON *jn = cJSON_GetObjectItemCaseSensitive(je, "name"), *jc = cJSON_GetObjectItemCaseSensitive(je, "config");
  if (!cJSON_IsObject(je)) return sgp_fail(e, "%s: /env: missing", mpath);
  if (!cJSON_IsString(jn)) return sgp_fail(e, "%s: /env/name: missing or not a string", mpath);
  if (!cJSON_IsObject(jc)) return sgp_fail(e, "%s: /env/config: missing or not an object", mpath);
  d->env = sgp_strdup(jn->valuestring);
  d->env_cfg = jc;
  if (!env_find(d->env)) return sgp_fail(e, "%s: /env/name: unknown environment '%s'", mpath, d->env);
  cJSON *c = cJSON_Duplicate(jc, 1);
  sgp_env *env = NULL;
  char where[1200];
  snprintf(where, sizeof where, "%s: /env/config", mpath);
  int rc = env_create(d->env, c, where, &env, e);
  cJSON_Delete(c);
  if (rc) return -1;
  int enx = env->spec.nx, enu = env->spec.nu;
  env_destroy(env);
  if (enx != d->nx || enu != d->nu)
    return sgp_fail(e, "%s: /nx, /nu: %d, %d, but environment '%s' has nx %d, nu %d", mpath, d->nx, d->nu, d->env, enx, enu);
  return 0;
}

/* /files/<name>: dtype and shape as the format and the manifest's n, nx, nu say; sha256 present. */
static int check_file_entry(const cJSON *jf, const char *mpath, const ds_data *d, int i, const char **sha, sgp_err *e) {
  const ds_file *f = &files[i];
  cJSON *fo = cJSON_GetObjectItemCaseSensitive(jf, f->name);
  cJSON *hs = cJSON_GetObjectItemCaseSensitive(fo, "sha256");
  if (!cJSON_IsString(hs) || strlen(hs->valuestring) != 64) return sgp_fail(e, "%s: /files/%s/sha256: missing", mpath, f->name);
  cJSON *dt = cJSON_GetObjectItemCaseSensitive(fo, "dtype");
  if (!cJSON_IsString(dt) || strcmp(dt->valuestring, sgp_dtype_name(f->dtype)))
    return sgp_fail(e, "%s: /files/%s/dtype: expected \"%s\"", mpath, f->name, sgp_dtype_name(f->dtype));
  int width = f->width == 1 ? d->nx : f->width == 2 ? d->nu : 0, ndim = width ? 2 : 1;
  double want[2] = {(double)d->n, width};
  cJSON *sh = cJSON_GetObjectItemCaseSensitive(fo, "shape");
  int ok = cJSON_IsArray(sh) && cJSON_GetArraySize(sh) == ndim;
  for (int a = 0; ok && a < ndim; a++) {
    cJSON *v = cJSON_GetArrayItem(sh, a);
    ok = cJSON_IsNumber(v) && v->valuedouble == want[a];
  }
  if (!ok)
    return width ? sgp_fail(e, "%s: /files/%s/shape: expected [%lld, %d] (/n, /%s)", mpath, f->name, (long long)d->n, width,
                            f->width == 1 ? "nx" : "nu")
                 : sgp_fail(e, "%s: /files/%s/shape: expected [%lld] (/n)", mpath, f->name, (long long)d->n);
  *sha = hs->valuestring;
  return 0;
}

/* One array: a regular file no larger than its header can be (the read is capped there, so a link
 * to a device is refused, not read), dtype and shape as expected, finite values or 0/1 flags, the
 * manifest's hash. Structure first (the most specific message), the hash last. */
static int load_array(const char *dir, const ds_data *d, int i, const char *sha, void **data, sgp_err *e) {
  const ds_file *f = &files[i];
  int width = f->width == 1 ? d->nx : f->width == 2 ? d->nu : 0, want_ndim = width ? 2 : 1;
  char *p = sgp_path_join(dir, f->name);
  void *buf = NULL;
  size_t len = 0;
  double bytes = (double)d->n * (width ? width : 1) * (double)sgp_dtype_size(f->dtype);
  size_t cap = ((size_t)1 << 20) + 64 + (bytes < 1e18 ? (size_t)bytes : (size_t)1e18); /* header + data */
  sgp_array a;
  memset(&a, 0, sizeof a);
  int rc = 0;
  if (!sgp_path_exists(p)) rc = sgp_fail(e, "%s: missing", p);
  else if (sgp_read_regular(p, &buf, &len, cap, e) || sgp_npy_parse(buf, len, p, &a, e)) rc = -1;
  else if (a.dtype != f->dtype) rc = sgp_fail(e, "%s: dtype %s, expected %s", p, sgp_dtype_name(a.dtype), sgp_dtype_name(f->dtype));
  else if (a.ndim != want_ndim) rc = sgp_fail(e, "%s: %d dimensions, expected %d", p, a.ndim, want_ndim);
  else if (a.shape[0] != d->n)
    rc = i == 0 ? sgp_fail(e, "%s: %lld rows, manifest.json /n is %lld", p, (long long)a.shape[0], (long long)d->n)
                : sgp_fail(e, "%s: %lld rows, x.npy has %lld", p, (long long)a.shape[0], (long long)d->n);
  else if (width && a.shape[1] != width)
    rc = sgp_fail(e, "%s: %lld columns, expected %s = %d", p, (long long)a.shape[1], f->width == 1 ? "nx" : "nu", width);
  size_t cnt = rc ? 0 : sgp_array_count(&a);
  for (size_t q = 0; rc == 0 && f->dtype == SGP_F32 && q < cnt; q++) {
    float v = ((const float *)a.data)[q];
    if (!isfinite(v))
      rc = width ? sgp_fail(e, "%s: row %zu, column %zu: not finite (%g)", p, q / width, q % width, v)
                 : sgp_fail(e, "%s: row %zu: not finite (%g)", p, q, v);
  }
  for (size_t q = 0; rc == 0 && f->dtype == SGP_U8 && q < cnt; q++)
    if (((const uint8_t *)a.data)[q] > 1) rc = sgp_fail(e, "%s: row %zu: %u is not a 0/1 flag", p, q, ((const uint8_t *)a.data)[q]);
  if (rc == 0) {
    char hex[65];
    sgp_sha256_hex(buf, len, hex);
    if (strcmp(hex, sha))
      rc = sgp_fail(e, "%s: SHA-256 %.16s... does not match the manifest's %.16s... (file changed or corrupted)", p, hex, sha);
  }
  free(buf);
  free(p);
  if (rc) {
    sgp_array_free(&a);
    return -1;
  }
  *data = a.data; /* ownership passes (64-byte aligned, freed with free()) */
  return 0;
}

/* /stats/<name>: {"mean","std","min","max"}, each `dim` numbers equal to the statistics of the data
 * (recomputed: the manifest is a summary of the arrays, and readers such as `sgp check` use it). */
static int check_stats_of(const cJSON *st, const char *mpath, const char *name, const float *a, int64_t n, int dim,
                          sgp_err *e) {
  static const char *const keys[] = {"mean", "std", "min", "max"};
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(st, name);
  if (!cJSON_IsObject(s)) return sgp_fail(e, "%s: /stats/%s: missing or not an object", mpath, name);
  cJSON *want = a ? ds_stats_json(a, n, dim) : NULL; /* a NULL: the structure only */
  int rc = 0;
  for (int k = 0; k < 4 && rc == 0; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, keys[k]), *w = cJSON_GetObjectItem(want, keys[k]);
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != dim) {
      rc = sgp_fail(e, "%s: /stats/%s/%s: expected an array of %d numbers", mpath, name, keys[k], dim);
      break;
    }
    int j = 0;
    for (const cJSON *x = v->child; x && rc == 0; x = x->next, j++) {
      double y = w ? cJSON_GetArrayItem(w, j)->valuedouble : 0;
      if (!cJSON_IsNumber(x)) rc = sgp_fail(e, "%s: /stats/%s/%s/%d: expected a number", mpath, name, keys[k], j);
      else if (w && !(fabs(x->valuedouble - y) <= 1e-9 * fmax(1.0, fabs(y))))
        rc = sgp_fail(e, "%s: /stats/%s/%s/%d: %.17g, but the data give %.17g", mpath, name, keys[k], j, x->valuedouble, y);
    }
  }
  cJSON_Delete(want);
  return rc;
}

/* The statistics of the data of d (its arrays NULL: their structure only). */
static int check_stats(const cJSON *m, const char *mpath, const ds_data *d, sgp_err *e) {
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(m, "stats");
  if (!cJSON_IsObject(st)) return sgp_fail(e, "%s: /stats: missing or not an object", mpath);
  if (check_stats_of(st, mpath, "x", d->x, d->n, d->nx, e) || check_stats_of(st, mpath, "u", d->u, d->n, d->nu, e) ||
      check_stats_of(st, mpath, "reward", d->reward, d->n, 1, e))
    return -1;
  const char *cnames[2] = {"terminal_count", "timeout_count"};
  const uint8_t *flags[2] = {d->terminal, d->timeout};
  for (int k = 0; k < 2; k++) {
    double c = 0;
    for (int64_t i = 0; flags[k] && i < d->n; i++) c += flags[k][i];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, cnames[k]);
    if (!cJSON_IsNumber(v) || (flags[k] && v->valuedouble != c))
      return flags[k] ? sgp_fail(e, "%s: /stats/%s: expected %.0f (the flags in the data)", mpath, cnames[k], c)
                      : sgp_fail(e, "%s: /stats/%s: expected a number", mpath, cnames[k]);
  }
  return 0;
}

/* qpos.npy and qvel.npy when the manifest lists them: regular files, float64 [n, nq] / [n, nv] with
 * nq, nv from the manifest, finite values, the manifest's hashes. */
static int load_sim_state(const char *dir, const char *mpath, const cJSON *jf, ds_data *d, sgp_err *e) {
  double nq, nv;
  if (man_num(d->manifest, mpath, "nq", &nq, e) || man_num(d->manifest, mpath, "nv", &nv, e)) return -1;
  if (!(nq >= 1 && nq <= 1024 && nq == floor(nq) && nv >= 1 && nv <= 1024 && nv == floor(nv)))
    return sgp_fail(e, "%s: /nq, /nv: expected whole numbers in [1, 1024]", mpath);
  const char *names[2] = {"qpos.npy", "qvel.npy"};
  int w[2] = {(int)nq, (int)nv};
  double *out[2] = {NULL, NULL};
  for (int i = 0; i < 2; i++) {
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(jf, names[i]), "sha256");
    char *p = sgp_path_join(dir, names[i]), hex[65];
    void *buf = NULL;
    size_t len = 0, cap = ((size_t)1 << 20) + (size_t)d->n * w[i] * sizeof(double);
    sgp_array a;
    memset(&a, 0, sizeof a);
    int rc = 0;
    if (!cJSON_IsString(hs)) rc = sgp_fail(e, "%s: /files/%s/sha256: missing", mpath, names[i]);
    else if (!sgp_path_exists(p)) rc = sgp_fail(e, "%s: missing", p);
    else if (sgp_read_regular(p, &buf, &len, cap, e) || sgp_npy_parse(buf, len, p, &a, e)) rc = -1;
    else if (a.dtype != SGP_F64 || a.ndim != 2 || a.shape[0] != d->n || a.shape[1] != w[i])
      rc = sgp_fail(e, "%s: expected float64 [%lld, %d]", p, (long long)d->n, w[i]);
    else if (!sgp_all_finite_d(a.data, sgp_array_count(&a)))
      rc = sgp_fail(e, "%s: non-finite values", p);
    if (rc == 0) {
      sgp_sha256_hex(buf, len, hex);
      if (strcmp(hex, hs->valuestring)) rc = sgp_fail(e, "%s: SHA-256 does not match the manifest's (file changed or corrupted)", p);
    }
    free(buf);
    free(p);
    if (rc) {
      sgp_array_free(&a);
      free(out[0]);
      return -1;
    }
    out[i] = a.data;
  }
  d->nq = w[0], d->nv = w[1], d->qpos = out[0], d->qvel = out[1];
  return 0;
}

int ds_manifest_check(cJSON *m, const char *mpath, ds_data *d, sgp_err *e) {
  ds_data t;
  memset(&t, 0, sizeof t);
  int rc = load_sizes(m, mpath, &t, e) || load_env(m, mpath, &t, e) ? -1 : 0;
  cJSON *jf = NULL;
  if (rc == 0 && !cJSON_IsObject(jf = cJSON_GetObjectItemCaseSensitive(m, "files")))
    rc = sgp_fail(e, "%s: /files: missing", mpath);
  for (int i = 0; i < NFILES && rc == 0; i++) {
    const char *sha;
    rc = check_file_entry(jf, mpath, &t, i, &sha, e);
  }
  if (rc == 0) rc = check_stats(m, mpath, &t, e);
  if (rc) {
    free(t.env);
    return -1;
  }
  d->n = t.n, d->nx = t.nx, d->nu = t.nu, d->env = t.env, d->env_cfg = t.env_cfg;
  return 0;
}

int ds_load(const char *dir, ds_data *out, sgp_err *e) {
  if (!sgp_path_exists(dir)) return sgp_fail(e, "%s: no such dataset directory", dir);
  ds_data d;
  memset(&d, 0, sizeof d);
  char *mpath = sgp_path_join(dir, "manifest.json");
  int rc = 0;
  cJSON *jf = NULL;
  if (!sgp_path_exists(mpath)) rc = sgp_fail(e, "%s: missing (not a dataset directory?)", mpath);
  else if (sgp_json_load(mpath, &d.manifest, e)) rc = -1;
  if (rc == 0) {
    d.dir = sgp_strdup(dir);
    rc = ds_manifest_check(d.manifest, mpath, &d, e);
  }
  if (rc == 0) jf = cJSON_GetObjectItemCaseSensitive(d.manifest, "files");
  for (int i = 0; i < NFILES && rc == 0; i++) {
    const char *sha = NULL;
    void *data = NULL;
    rc = check_file_entry(jf, mpath, &d, i, &sha, e) || load_array(dir, &d, i, sha, &data, e) ? -1 : 0;
    if (rc == 0) *file_slot(&d, i) = data;
  }
  if (rc == 0) rc = check_stats(d.manifest, mpath, &d, e);
  if (rc == 0 && cJSON_GetObjectItemCaseSensitive(jf, "qpos.npy")) rc = load_sim_state(dir, mpath, jf, &d, e);
  free(mpath);
  if (rc) {
    ds_free(&d);
    return -1;
  }
  *out = d;
  return 0;
}
