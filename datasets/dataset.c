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

static void *file_data(ds_data *d, int i) {
  switch (i) {
    case 0: return d->x;
    case 1: return d->u;
    case 2: return d->xnext;
    case 3: return d->reward;
    case 4: return d->terminal;
    default: return d->timeout;
  }
}

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
    if (!known) ok = 0;
  }
  closedir(dd);
  return ok;
}

static void remove_dataset_dir(const char *dir) {
  DIR *dd = opendir(dir);
  if (!dd) return;
  struct dirent *de;
  while ((de = readdir(dd))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    char *p = sgp_path_join(dir, de->d_name);
    unlink(p);
    free(p);
  }
  closedir(dd);
  rmdir(dir);
}

int ds_write(const char *dir, ds_data *d, int force, sgp_err *e) {
  struct stat sb;
  int exists = stat(dir, &sb) == 0;
  if (exists && !force) return sgp_fail(e, "%s: already exists (use --force to replace it)", dir);
  if (exists && !(S_ISDIR(sb.st_mode) && only_dataset_files(dir)))
    return sgp_fail(e, "%s: exists and is not a dataset directory; not replacing it", dir);
  /* the parent must exist */
  char *parent = sgp_strdup(dir);
  size_t L = strlen(parent);
  while (L > 1 && parent[L - 1] == '/') parent[--L] = 0;
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = 0;
    if (sgp_mkdirs(parent, e)) {
      free(parent);
      return -1;
    }
  }
  free(parent);

  size_t k = strlen(dir) + 64;
  char *tmp = sgp_malloc(k);
  snprintf(tmp, k, "%s.tmp.%ld", dir, (long)getpid());
  remove_dataset_dir(tmp); /* a leftover of a crashed run of this pid */
  if (mkdir(tmp, 0777) != 0) {
    int err = errno;
    free(tmp);
    return sgp_fail(e, "%s: cannot create a temporary directory: %s", dir, strerror(err));
  }
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
  replace_item(m, "files", jf);
  cJSON *v = cJSON_CreateObject();
  cJSON_AddStringToObject(v, "sgpbench", sgp_version());
  cJSON_AddStringToObject(v, "git", sgp_git_revision());
  cJSON_AddStringToObject(v, "mujoco", env_mujoco_version());
  replace_item(m, "versions", v);
  if (rc == 0) {
    char *p = sgp_path_join(tmp, "manifest.json");
    rc = sgp_json_write(p, m, e);
    free(p);
  }
  if (rc == 0) {
    /* swap into place: an existing dataset is moved aside first, then removed */
    char *old = NULL;
    if (exists) {
      old = sgp_malloc(k);
      snprintf(old, k, "%s.old.%ld", dir, (long)getpid());
      remove_dataset_dir(old);
      if (rename(dir, old) != 0) rc = sgp_fail(e, "%s: cannot move the old dataset aside: %s", dir, strerror(errno));
    }
    if (rc == 0 && rename(tmp, dir) != 0) {
      rc = sgp_fail(e, "%s: cannot rename the temporary directory into place: %s", dir, strerror(errno));
      if (old) rename(old, dir);
    }
    if (rc == 0 && old) remove_dataset_dir(old);
    free(old);
  }
  if (rc) remove_dataset_dir(tmp);
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

int ds_load(const char *dir, ds_data *out, sgp_err *e) {
  ds_data d;
  memset(&d, 0, sizeof d);
  char *mpath = sgp_path_join(dir, "manifest.json");
  if (!sgp_path_exists(dir)) {
    free(mpath);
    return sgp_fail(e, "%s: no such dataset directory", dir);
  }
  if (!sgp_path_exists(mpath)) {
    sgp_fail(e, "%s: missing (not a dataset directory?)", mpath);
    free(mpath);
    return -1;
  }
  cJSON *m = NULL;
  if (sgp_json_load(mpath, &m, e)) {
    free(mpath);
    return -1;
  }
  d.manifest = m;
  d.dir = sgp_strdup(dir);
  int rc = 0;
  double fv, n, nx, nu;
  if ((rc = man_num(m, mpath, "format_version", &fv, e))) goto done;
  if (fv != DS_FORMAT_VERSION) {
    rc = sgp_fail(e, "%s: /format_version: %g is not supported (this build reads %d)", mpath, fv, DS_FORMAT_VERSION);
    goto done;
  }
  if ((rc = man_num(m, mpath, "n", &n, e)) || (rc = man_num(m, mpath, "nx", &nx, e)) || (rc = man_num(m, mpath, "nu", &nu, e)))
    goto done;
  if (!(n >= 0 && n == floor(n) && nx >= 1 && nx == floor(nx) && nu >= 1 && nu == floor(nu) && nx <= 1 << 20 && nu <= 1 << 20)) {
    rc = sgp_fail(e, "%s: /n, /nx, /nu: expected non-negative whole numbers", mpath);
    goto done;
  }
  d.n = (int64_t)n;
  d.nx = (int)nx;
  d.nu = (int)nu;
  cJSON *je = cJSON_GetObjectItemCaseSensitive(m, "env");
  cJSON *jn = cJSON_GetObjectItemCaseSensitive(je, "name"), *jc = cJSON_GetObjectItemCaseSensitive(je, "config");
  if (!cJSON_IsObject(je)) {
    rc = sgp_fail(e, "%s: /env: missing", mpath);
    goto done;
  }
  if (!cJSON_IsString(jn)) {
    rc = sgp_fail(e, "%s: /env/name: missing or not a string", mpath);
    goto done;
  }
  if (!cJSON_IsObject(jc)) {
    rc = sgp_fail(e, "%s: /env/config: missing or not an object", mpath);
    goto done;
  }
  d.env = sgp_strdup(jn->valuestring);
  d.env_cfg = jc;
  if (!env_find(d.env)) {
    rc = sgp_fail(e, "%s: /env/name: unknown environment '%s'", mpath, d.env);
    goto done;
  }
  {
    /* the environment it names must exist and agree on the dimensions */
    cJSON *c = cJSON_Duplicate(jc, 1);
    sgp_env *env = NULL;
    char where[1200];
    snprintf(where, sizeof where, "%s: /env/config", mpath);
    rc = env_create(d.env, c, where, &env, e);
    cJSON_Delete(c);
    if (rc) goto done;
    int enx = env->spec.nx, enu = env->spec.nu;
    env_destroy(env);
    if (enx != d.nx || enu != d.nu) {
      rc = sgp_fail(e, "%s: /nx, /nu: %d, %d, but environment '%s' has nx %d, nu %d", mpath, d.nx, d.nu, d.env, enx, enu);
      goto done;
    }
  }
  cJSON *jf = cJSON_GetObjectItemCaseSensitive(m, "files");
  if (!cJSON_IsObject(jf)) {
    rc = sgp_fail(e, "%s: /files: missing", mpath);
    goto done;
  }
  for (int i = 0; i < NFILES && rc == 0; i++) {
    const ds_file *f = &files[i];
    cJSON *fo = cJSON_GetObjectItemCaseSensitive(jf, f->name);
    cJSON *hs = cJSON_GetObjectItemCaseSensitive(fo, "sha256");
    if (!cJSON_IsString(hs) || strlen(hs->valuestring) != 64) {
      rc = sgp_fail(e, "%s: /files/%s/sha256: missing", mpath, f->name);
      break;
    }
    char *p = sgp_path_join(dir, f->name);
    void *buf = NULL;
    size_t len = 0;
    if (!sgp_path_exists(p)) {
      rc = sgp_fail(e, "%s: missing", p);
      free(p);
      break;
    }
    if ((rc = sgp_read_file(p, &buf, &len, (size_t)1 << 40, e))) {
      free(p);
      break;
    }
    /* structure first (the most specific message), the hash last */
    sgp_array a;
    memset(&a, 0, sizeof a);
    rc = sgp_npy_parse(buf, len, p, &a, e);
    if (rc) {
      free(buf);
      free(p);
      break;
    }
    int width = f->width == 1 ? d.nx : f->width == 2 ? d.nu : 0;
    int want_ndim = width ? 2 : 1;
    if (a.dtype != f->dtype) rc = sgp_fail(e, "%s: dtype %s, expected %s", p, sgp_dtype_name(a.dtype), sgp_dtype_name(f->dtype));
    else if (a.ndim != want_ndim)
      rc = sgp_fail(e, "%s: %d dimensions, expected %d", p, a.ndim, want_ndim);
    else if (a.shape[0] != d.n)
      rc = i == 0 ? sgp_fail(e, "%s: %lld rows, manifest.json /n is %lld", p, (long long)a.shape[0], (long long)d.n)
                  : sgp_fail(e, "%s: %lld rows, x.npy has %lld", p, (long long)a.shape[0], (long long)d.n);
    else if (width && a.shape[1] != width)
      rc = sgp_fail(e, "%s: %lld columns, expected %s = %d", p, (long long)a.shape[1], f->width == 1 ? "nx" : "nu", width);
    if (rc == 0 && f->dtype == SGP_F32) {
      const float *v = a.data;
      size_t cnt = sgp_array_count(&a);
      for (size_t q = 0; q < cnt; q++)
        if (!isfinite(v[q])) {
          rc = width ? sgp_fail(e, "%s: row %zu, column %zu: not finite (%g)", p, q / width, q % width, v[q])
                     : sgp_fail(e, "%s: row %zu: not finite (%g)", p, q, v[q]);
          break;
        }
    }
    if (rc == 0 && f->dtype == SGP_U8) {
      const uint8_t *v = a.data;
      for (size_t q = 0; q < sgp_array_count(&a); q++)
        if (v[q] > 1) {
          rc = sgp_fail(e, "%s: row %zu: %u is not a 0/1 flag", p, q, v[q]);
          break;
        }
    }
    if (rc == 0) {
      char hex[65];
      sgp_sha256_hex(buf, len, hex);
      if (strcmp(hex, hs->valuestring))
        rc = sgp_fail(e, "%s: SHA-256 %.16s... does not match the manifest's %.16s... (file changed or corrupted)", p,
                      hex, hs->valuestring);
    }
    free(buf);
    free(p);
    if (rc) {
      sgp_array_free(&a);
      break;
    }
    void *data = a.data; /* take ownership (64-byte aligned, freed with free()) */
    switch (i) {
      case 0: d.x = data; break;
      case 1: d.u = data; break;
      case 2: d.xnext = data; break;
      case 3: d.reward = data; break;
      case 4: d.terminal = data; break;
      default: d.timeout = data; break;
    }
  }
done:
  free(mpath);
  if (rc) {
    ds_free(&d);
    return -1;
  }
  *out = d;
  return 0;
}
