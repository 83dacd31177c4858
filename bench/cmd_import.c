/* sgp import d4rl FILE.hdf5 --env ENV --out DIR
 * sgp import minari DIR|FILE.hdf5 --env ENV --out DIR
 *
 * Converts a D4RL or Minari dataset into our dataset format (docs/datasets.md), through the HDF5 C
 * library (Debian's libhdf5-dev):
 *   d4rl:   one table: observations [N, nx], actions [N, nu], rewards [N], terminals [N], timeouts [N],
 *           optional next_observations [N, nx] and infos/qpos [N, nq], infos/qvel [N, nv]. Episodes
 *           end at terminals OR timeouts. x' is next_observations[i], else observations[i + 1] inside
 *           an episode; a row that ends an episode without a next observation is dropped (the last
 *           transition of a timed-out episode, and likewise of a terminated one, whose x' is unknown).
 *   minari: one group per episode (episode_K, in K order) with observations [T + 1, nx], actions
 *           [T, nu], rewards, terminations, truncations [T] and optional infos/qpos, infos/qvel
 *           [T (+1), nq]; x' is observations[t + 1].
 * Bad files fail with one line naming the file and the dataset key (wrong dimensions for the
 * environment, missing keys, mismatched lengths, non-finite rows with their count), and nothing is
 * written. */
#include "bench/cli.h"
#include "datasets/dataset.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct h5arr {
  int64_t rows, cols; /* cols 1 for 1-D */
  double *v;          /* rows × cols */
} h5arr;

static void h5arr_free(h5arr *a) {
  free(a->v);
  memset(a, 0, sizeof *a);
}

/* Reads dataset `key` of loc as doubles (numbers, booleans and enums converted). present: NULL
 * means required. */
static int read_ds(hid_t loc, const char *file, const char *key, h5arr *out, int *present, sgp_err *e) {
  memset(out, 0, sizeof *out);
  if (H5Lexists(loc, key, H5P_DEFAULT) <= 0) {
    if (present) {
      *present = 0;
      return 0;
    }
    return sgp_fail(e, "%s: %s: missing", file, key);
  }
  if (present) *present = 1;
  hid_t d = H5Dopen2(loc, key, H5P_DEFAULT);
  if (d < 0) return sgp_fail(e, "%s: %s: not a dataset", file, key);
  hid_t sp = H5Dget_space(d), ft = H5Dget_type(d);
  int nd = H5Sget_simple_extent_ndims(sp);
  hsize_t dims[2] = {0, 1};
  int rc = 0;
  if (nd < 1 || nd > 2) rc = sgp_fail(e, "%s: %s: %d dimensions, expected 1 or 2", file, key, nd);
  else H5Sget_simple_extent_dims(sp, dims, NULL);
  if (nd == 1) dims[1] = 1;
  H5T_class_t cl = H5Tget_class(ft);
  if (rc == 0 && cl != H5T_FLOAT && cl != H5T_INTEGER && cl != H5T_ENUM)
    rc = sgp_fail(e, "%s: %s: not numeric", file, key);
  if (rc == 0 && (double)dims[0] * dims[1] > 4e9) rc = sgp_fail(e, "%s: %s: too large", file, key);
  if (rc == 0) {
    size_t n = (size_t)(dims[0] * dims[1]);
    out->rows = (int64_t)dims[0], out->cols = (int64_t)dims[1];
    out->v = sgp_malloc(sizeof(double) * (n ? n : 1));
    if (cl == H5T_ENUM) { /* h5py's booleans: read the stored integers of the native enum */
      hid_t mt = H5Tget_native_type(ft, H5T_DIR_ASCEND), base = H5Tget_super(mt);
      size_t sz = H5Tget_size(mt);
      int sgn = H5Tget_sign(base) == H5T_SGN_2;
      unsigned char *raw = sgp_malloc(sz * (n ? n : 1));
      if (sz != 1 && sz != 2 && sz != 4 && sz != 8) rc = sgp_fail(e, "%s: %s: unsupported enum size", file, key);
      else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) rc = sgp_fail(e, "%s: %s: cannot read", file, key);
      for (size_t i = 0; rc == 0 && i < n; i++) {
        long long x;
        if (sz == 1) x = sgn ? (long long)(signed char)raw[i] : (long long)raw[i];
        else if (sz == 2) x = sgn ? ((short *)raw)[i] : ((unsigned short *)raw)[i];
        else if (sz == 4) x = sgn ? (long long)((int *)raw)[i] : (long long)((unsigned *)raw)[i];
        else x = ((long long *)raw)[i];
        out->v[i] = (double)x;
      }
      H5Tclose(base);
      H5Tclose(mt);
      free(raw);
    } else if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->v) < 0) {
      rc = sgp_fail(e, "%s: %s: cannot read", file, key);
    }
  }
  H5Tclose(ft);
  H5Sclose(sp);
  H5Dclose(d);
  if (rc) h5arr_free(out);
  return rc;
}

/* rows × cols, cols as expected (0: 1-D or [rows, 1]). */
static int expect_shape(const h5arr *a, const char *file, const char *key, int64_t rows, int64_t cols, const char *what,
                        sgp_err *e) {
  if (cols > 0 && a->cols != cols)
    return sgp_fail(e, "%s: %s: %lld columns, but %s needs %lld", file, key, (long long)a->cols, what, (long long)cols);
  if (cols == 0 && a->cols != 1) return sgp_fail(e, "%s: %s: expected one value per row, got %lld", file, key, (long long)a->cols);
  if (rows >= 0 && a->rows != rows)
    return sgp_fail(e, "%s: %s: %lld rows, expected %lld", file, key, (long long)a->rows, (long long)rows);
  return 0;
}

static int check_finite(const h5arr *a, const char *file, const char *key, sgp_err *e) {
  long bad = 0, first = -1;
  for (int64_t r = 0; r < a->rows; r++) {
    int ok = 1;
    for (int64_t c = 0; c < a->cols; c++) ok &= isfinite(a->v[r * a->cols + c]) != 0;
    if (!ok) {
      if (first < 0) first = (long)r;
      bad++;
    }
  }
  if (bad) return sgp_fail(e, "%s: %s: %ld non-finite rows (first: row %ld)", file, key, bad, first);
  return 0;
}

/* The output, grown row by row. */
typedef struct sink {
  ds_data d;
  int64_t cap;
} sink;

static void sink_init(sink *s, const sgp_env *env, int nq, int nv) {
  memset(s, 0, sizeof *s);
  s->d.nx = env->spec.nx, s->d.nu = env->spec.nu, s->d.nq = nq, s->d.nv = nv;
}

static void sink_push(sink *s, const double *x, const double *u, const double *xn, double r, int term, int timeout,
                      const double *qpos, const double *qvel) {
  ds_data *d = &s->d;
  if (d->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 4096;
    d->x = sgp_realloc(d->x, sizeof(float) * s->cap * d->nx);
    d->xnext = sgp_realloc(d->xnext, sizeof(float) * s->cap * d->nx);
    d->u = sgp_realloc(d->u, sizeof(float) * s->cap * d->nu);
    d->reward = sgp_realloc(d->reward, sizeof(float) * s->cap);
    d->terminal = sgp_realloc(d->terminal, (size_t)s->cap);
    d->timeout = sgp_realloc(d->timeout, (size_t)s->cap);
    if (d->nq) {
      d->qpos = sgp_realloc(d->qpos, sizeof(double) * s->cap * d->nq);
      d->qvel = sgp_realloc(d->qvel, sizeof(double) * s->cap * d->nv);
    }
  }
  int64_t k = d->n++;
  for (int i = 0; i < d->nx; i++) d->x[k * d->nx + i] = (float)x[i], d->xnext[k * d->nx + i] = (float)xn[i];
  for (int i = 0; i < d->nu; i++) d->u[k * d->nu + i] = (float)u[i];
  d->reward[k] = (float)r;
  d->terminal[k] = (uint8_t)term;
  d->timeout[k] = (uint8_t)timeout;
  if (d->nq) {
    memcpy(d->qpos + k * d->nq, qpos, sizeof(double) * d->nq);
    memcpy(d->qvel + k * d->nv, qvel, sizeof(double) * d->nv);
  }
}

typedef struct import_stats {
  long episodes, dropped;
} import_stats;

/* The optional infos/qpos, infos/qvel pair: both or neither, with the env's widths; rows as given
 * (rows_ok: accepted row counts). */
static int read_qpos(hid_t loc, const char *file, const char *prefix, const sgp_env *env, int64_t rows, int64_t rows_alt,
                     h5arr *qp, h5arr *qv, sgp_err *e) {
  char kq[256], kv[256];
  snprintf(kq, sizeof kq, "%sinfos/qpos", prefix);
  snprintf(kv, sizeof kv, "%sinfos/qvel", prefix);
  int hq = 0, hv = 0, nq, nv;
  env_sim_dims(env, &nq, &nv);
  char infos[256];
  snprintf(infos, sizeof infos, "%sinfos", prefix);
  if (H5Lexists(loc, infos, H5P_DEFAULT) <= 0) return 0;
  if (read_ds(loc, file, kq, qp, &hq, e) || read_ds(loc, file, kv, qv, &hv, e)) return -1;
  if (hq != hv) return sgp_fail(e, "%s: %s: present without %s", file, hq ? kq : kv, hq ? kv : kq);
  if (!hq) return 0;
  if (!env->spec.store_sim_state) return 0; /* the env's state is the observation: nothing to add */
  if (qp->rows != rows && qp->rows != rows_alt)
    return sgp_fail(e, "%s: %s: %lld rows, expected %lld", file, kq, (long long)qp->rows, (long long)rows);
  if (expect_shape(qp, file, kq, qp->rows, nq, env->spec.name, e) || expect_shape(qv, file, kv, qp->rows, nv, env->spec.name, e) ||
      check_finite(qp, file, kq, e) || check_finite(qv, file, kv, e))
    return -1;
  return 0;
}

static int import_d4rl(hid_t f, const char *file, const sgp_env *env, sink *s, import_stats *st, sgp_err *e) {
  h5arr o = {0}, a = {0}, r = {0}, te = {0}, to = {0}, no = {0}, qp = {0}, qv = {0};
  int has_next = 0, rc = 0;
  int nx = env->spec.nx, nu = env->spec.nu;
  if (read_ds(f, file, "observations", &o, NULL, e) || expect_shape(&o, file, "observations", -1, nx, env->spec.name, e) ||
      read_ds(f, file, "actions", &a, NULL, e) || expect_shape(&a, file, "actions", o.rows, nu, env->spec.name, e) ||
      read_ds(f, file, "rewards", &r, NULL, e) || expect_shape(&r, file, "rewards", o.rows, 0, NULL, e) ||
      read_ds(f, file, "terminals", &te, NULL, e) || expect_shape(&te, file, "terminals", o.rows, 0, NULL, e) ||
      read_ds(f, file, "timeouts", &to, NULL, e) || expect_shape(&to, file, "timeouts", o.rows, 0, NULL, e) ||
      read_ds(f, file, "next_observations", &no, &has_next, e) ||
      (has_next && expect_shape(&no, file, "next_observations", o.rows, nx, env->spec.name, e)) ||
      check_finite(&o, file, "observations", e) || check_finite(&a, file, "actions", e) ||
      check_finite(&r, file, "rewards", e) || check_finite(&te, file, "terminals", e) ||
      check_finite(&to, file, "timeouts", e) || (has_next && check_finite(&no, file, "next_observations", e)) ||
      read_qpos(f, file, "", env, o.rows, o.rows, &qp, &qv, e))
    rc = -1;
  int sim = rc == 0 && qp.v && env->spec.store_sim_state;
  sink_init(s, env, sim ? (int)qp.cols : 0, sim ? (int)qv.cols : 0);
  for (int64_t i = 0; rc == 0 && i < o.rows; i++) {
    int term = te.v[i] != 0, tout = to.v[i] != 0, end = term || tout || i == o.rows - 1;
    const double *xn = has_next ? no.v + i * nx : !end ? o.v + (i + 1) * nx : NULL;
    if (end) st->episodes++;
    if (!xn) {
      st->dropped++;
      if (s->d.n > 0 && !s->d.terminal[s->d.n - 1]) s->d.timeout[s->d.n - 1] = 1; /* the episode now ends there */
      continue;
    }
    sink_push(s, o.v + i * nx, a.v + i * nu, xn, r.v[i], term, !term && (tout || i == o.rows - 1),
              sim ? qp.v + i * qp.cols : NULL, sim ? qv.v + i * qv.cols : NULL);
  }
  h5arr_free(&o), h5arr_free(&a), h5arr_free(&r), h5arr_free(&te), h5arr_free(&to), h5arr_free(&no);
  h5arr_free(&qp), h5arr_free(&qv);
  return rc;
}

/* Episode groups "episode_K" in K order. */
static int import_minari(hid_t f, const char *file, const sgp_env *env, sink *s, import_stats *st, sgp_err *e) {
  int nx = env->spec.nx, nu = env->spec.nu, rc = 0, first = 1;
  for (long k = 0; rc == 0; k++) {
    char g[64];
    snprintf(g, sizeof g, "episode_%ld", k);
    if (H5Lexists(f, g, H5P_DEFAULT) <= 0) {
      if (k == 0) rc = sgp_fail(e, "%s: episode_0: missing (not a Minari dataset?)", file);
      break;
    }
    char ko[96], ka[96], kr[96], kt[96], ku[96], pre[80];
    snprintf(ko, sizeof ko, "%s/observations", g);
    snprintf(ka, sizeof ka, "%s/actions", g);
    snprintf(kr, sizeof kr, "%s/rewards", g);
    snprintf(kt, sizeof kt, "%s/terminations", g);
    snprintf(ku, sizeof ku, "%s/truncations", g);
    snprintf(pre, sizeof pre, "%s/", g);
    h5arr o = {0}, a = {0}, r = {0}, te = {0}, tu = {0}, qp = {0}, qv = {0};
    if (read_ds(f, file, ka, &a, NULL, e) || expect_shape(&a, file, ka, -1, nu, env->spec.name, e) ||
        read_ds(f, file, ko, &o, NULL, e) || expect_shape(&o, file, ko, a.rows + 1, nx, env->spec.name, e) ||
        read_ds(f, file, kr, &r, NULL, e) || expect_shape(&r, file, kr, a.rows, 0, NULL, e) ||
        read_ds(f, file, kt, &te, NULL, e) || expect_shape(&te, file, kt, a.rows, 0, NULL, e) ||
        read_ds(f, file, ku, &tu, NULL, e) || expect_shape(&tu, file, ku, a.rows, 0, NULL, e) ||
        check_finite(&o, file, ko, e) || check_finite(&a, file, ka, e) || check_finite(&r, file, kr, e) ||
        check_finite(&te, file, kt, e) || check_finite(&tu, file, ku, e) ||
        read_qpos(f, file, pre, env, a.rows, a.rows + 1, &qp, &qv, e))
      rc = -1;
    int sim = rc == 0 && qp.v && env->spec.store_sim_state;
    if (rc == 0 && first) sink_init(s, env, sim ? (int)qp.cols : 0, sim ? (int)qv.cols : 0);
    if (rc == 0 && !first && (sim ? (int)qp.cols : 0) != s->d.nq)
      rc = sgp_fail(e, "%s: %s/infos: qpos present in some episodes only", file, g);
    first = 0;
    for (int64_t t = 0; rc == 0 && t < a.rows; t++) {
      int term = te.v[t] != 0, last = t == a.rows - 1;
      sink_push(s, o.v + t * nx, a.v + t * nu, o.v + (t + 1) * nx, r.v[t], term, !term && (tu.v[t] != 0 || last),
                sim ? qp.v + t * qp.cols : NULL, sim ? qv.v + t * qv.cols : NULL);
      if (term || tu.v[t] != 0) break;
    }
    st->episodes++;
    h5arr_free(&o), h5arr_free(&a), h5arr_free(&r), h5arr_free(&te), h5arr_free(&tu), h5arr_free(&qp), h5arr_free(&qv);
  }
  return rc;
}

/* The manifest of an imported dataset: the source file and its hash, episodes and dropped rows. */
static void import_manifest(ds_data *d, const char *env_name, const cJSON *env_cfg, int minari, const char *file,
                            const char *hex, const import_stats *st) {
  d->env = sgp_strdup(env_name);
  cJSON *m = cJSON_CreateObject();
  cJSON_AddNumberToObject(m, "format_version", DS_FORMAT_VERSION);
  cJSON *je = cJSON_AddObjectToObject(m, "env");
  cJSON_AddStringToObject(je, "name", env_name);
  cJSON_AddItemToObject(je, "config", cJSON_Duplicate(env_cfg, 1));
  cJSON *b = cJSON_AddObjectToObject(m, "behaviour");
  cJSON_AddStringToObject(b, "type", "import");
  cJSON_AddStringToObject(b, "format", minari ? "minari" : "d4rl");
  cJSON_AddStringToObject(b, "file", file);
  cJSON_AddStringToObject(b, "sha256", hex);
  cJSON_AddStringToObject(m, "seed", "0");
  cJSON *jc = cJSON_AddObjectToObject(m, "collection");
  cJSON_AddNumberToObject(jc, "episodes", (double)st->episodes);
  cJSON_AddNumberToObject(jc, "dropped_rows", (double)st->dropped);
  d->manifest = m;
  d->env_cfg = cJSON_GetObjectItem(je, "config");
}

static void usage(FILE *f) {
  fprintf(f, "usage: sgp import d4rl FILE.hdf5 --env ENV --out DIR [--env-config JSON] [--force]\n"
             "       sgp import minari DIR|FILE.hdf5 --env ENV --out DIR [--env-config JSON] [--force]\n"
             "  Converts a D4RL file (one table: observations, actions, rewards, terminals, timeouts,\n"
             "  optional next_observations and infos/qpos, infos/qvel) or a Minari dataset (episode_K\n"
             "  groups with T+1 observations, terminations, truncations; DIR/data/main_data.hdf5) into a\n"
             "  dataset directory. Episodes split on terminals and timeouts; a row that ends an episode\n"
             "  without a next observation is dropped. Bad files fail naming the file and key; nothing\n"
             "  is written then.\n"
             "example:\n"
             "  sgp import d4rl hopper_medium-v2.hdf5 --env hopper --out data/hopper-medium-d4rl\n");
}

static int h5_silent(hid_t stack, void *data) {
  (void)stack, (void)data;
  return 0;
}

int cmd_import(int argc, char **argv) {
  static const char *const valued[] = {"--env", "--out", "--env-config", NULL};
  static const char *const boolean[] = {"--force", NULL};
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  const char *pos[2];
  int rc = cli_parse("import", argc, argv, valued, boolean, 2, 2, pos, NULL);
  if (rc) return rc;
  int minari = !strcmp(pos[0], "minari");
  if (!minari && strcmp(pos[0], "d4rl")) {
    fprintf(stderr, "sgp import: unknown format '%s' (d4rl, minari)\n", pos[0]);
    return 2;
  }
  static const char *const required[] = {"--env", "--out", NULL};
  if ((rc = cli_require("import", argc, argv, required))) return rc;
  const char *env_name = cli_opt(argc, argv, "--env"), *out = cli_opt(argc, argv, "--out"), *s;
  if (!env_find(env_name)) return cli_unknown_env("import", env_name);
  sgp_err e = {{0}};
  /* the output is checked before the import reads anything: an existing one, its parent, a link */
  if (sgp_path_exists(out) && !cli_flag(argc, argv, "--force")) {
    sgp_fail(&e, "%s: already exists (use --force to replace it)", out);
    return cli_error("import", &e);
  }
  if ((rc = cli_prepare_out("import", out, 1))) return rc;
  cJSON *env_cfg = NULL;
  if ((s = cli_opt(argc, argv, "--env-config")) && sgp_json_parse(s, "--env-config", &env_cfg, &e))
    return cli_error("import", &e);
  if (!env_cfg) env_cfg = cJSON_CreateObject();
  sgp_env *env = NULL;
  if (env_create(env_name, env_cfg, "--env-config", &env, &e)) {
    cJSON_Delete(env_cfg);
    return cli_error("import", &e);
  }
  /* the file: a Minari directory holds data/main_data.hdf5 */
  char *file = sgp_strdup(pos[1]);
  if (minari) {
    char *cand = sgp_path_join(pos[1], "data/main_data.hdf5");
    if (sgp_path_exists(cand)) {
      free(file);
      file = cand;
    } else {
      free(cand);
    }
  }
  H5Eset_auto2(H5E_DEFAULT, h5_silent, NULL);
  sink sk;
  memset(&sk, 0, sizeof sk);
  import_stats st = {0, 0};
  hid_t f = sgp_path_exists(file) ? H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
  if (f < 0) rc = sgp_path_exists(file) ? sgp_fail(&e, "%s: not an HDF5 file", file) : sgp_fail(&e, "%s: no such file", file);
  else {
    rc = minari ? import_minari(f, file, env, &sk, &st, &e) : import_d4rl(f, file, env, &sk, &st, &e);
    H5Fclose(f);
  }
  if (rc == 0 && sk.d.n == 0) rc = sgp_fail(&e, "%s: no transitions", file);
  char hex[65] = "";
  if (rc == 0) rc = sgp_sha256_file_hex(file, hex, &e);
  if (rc == 0) {
    ds_data *d = &sk.d;
    import_manifest(d, env_name, env_cfg, minari, file, hex, &st);
    rc = ds_write(out, d, cli_flag(argc, argv, "--force"), &e);
    if (rc == 0)
      printf("sgp import: %lld transitions, %ld episodes (%ld rows without a next observation dropped) -> %s\n",
             (long long)d->n, st.episodes, st.dropped, out);
  }
  ds_free(&sk.d);
  free(file);
  env_destroy(env);
  cJSON_Delete(env_cfg);
  return rc ? cli_error("import", &e) : 0;
}
