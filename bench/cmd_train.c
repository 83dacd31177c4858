/* sgp train KIND --data DIR|FILE.npy --config FILE.json --out FILE.safetensors [--seed S]
 *
 * One table of kinds (bench/train_kinds.h); this file does what every kind shares: arguments,
 * config, data, threads, the summary line. Then the kinds it implements: score (DSM, METHOD §3)
 * and dde (regressor of d_σ, METHOD §5). */
#include "bench/train_kinds.h"

#include "agents/dde.h"
#include "agents/model_file.h"
#include "agents/score.h"
#include "core/array.h"
#include "core/err.h"
#include "core/json.h"
#include "core/nn.h"
#include "core/npy.h"
#include "core/sha256.h"
#include "core/sys.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct tk_entry {
  const char *name;
  train_kind_fn fn;
  int points_ok; /* accepts a plain .npy of points as --data */
  const char *summary;
} tk_entry;

static const tk_entry kinds[] = {
    {"score", train_kind_score, 1, "score network by denoising score matching (single sigma or NCSN levels)"},
    {"dde", train_kind_dde, 1, "regressor of the smoothed distance d_sigma (the authors' DDE baseline)"},
    {"dynamics", train_kind_dynamics, 0, "residual MLP dynamics x' = x + k_x * net(x, u), one-step or rollout loss"},
    {"ensemble", train_kind_ensemble, 0, "K independently initialised dynamics models, stored in one file"},
    {"cost", train_kind_cost, 0, "running cost c(x,u) regressed on -reward"},
    /* one line per kind: name, function (bench/train_kinds.h), accepts points, summary */
    {NULL, NULL, 0, NULL},
};

static void usage(FILE *f) {
  fprintf(f, "usage: sgp train KIND --data DIR|FILE.npy --config FILE.json --out FILE.safetensors\n"
             "                 [--seed S] [--epochs E] [--threads N] [--reuse] [--quiet]\n"
             "  Trains a model and writes it (with its resolved config, the data's hashes and the\n"
             "  training curves) as one .safetensors file. Deterministic for a seed and thread count.\n"
             "kinds:\n");
  for (const tk_entry *k = kinds; k->name; k++) fprintf(f, "  %-9s %s\n", k->name, k->summary);
  fprintf(f, "  %-9s %s\n", "policy", "linear behaviour policy by ARS: sgp train policy ENV --config F --out DIR");
  fprintf(f, "options:\n"
             "  --data P     a dataset directory (sgp collect), or a plain N x D float32 .npy of points\n"
             "  --config F   JSON: {\"net\":{...}, \"train\":{...}, ...kind options} (docs/score-models.md)\n"
             "  --out F      the model file to write (atomically)\n"
             "  --seed S     overrides /train/seed\n"
             "  --epochs E   overrides /train/epochs (a quick trial: --epochs 1)\n"
             "  --threads N  OpenBLAS threads (default 1: the trained bits depend on the thread count,\n"
             "               so the default is the reproducible one; sgp collect, whose bytes do not,\n"
             "               uses every core)\n"
             "  --reuse      keep the model at --out if it is this one: it loads (its tensors' recorded\n"
             "               SHA-256 verified), its kind, its config (the file's fields and overrides),\n"
             "               its data (sizes and hashes) and its thread count are these; else train\n"
             "               and replace it (the reason is printed)\n"
             "  --quiet      no progress bar\n"
             "example:\n"
             "  sgp train score --data data/point --config agents/configs/score_point.json \\\n"
             "      --out models/point_score.safetensors --seed 0\n");
}

/* ============================== helpers of the kinds below ==================================== */

int train_kind_check_keys(const train_kind_args *a, const char *const *extra, sgp_err *e) {
  const char *keys[64];
  int n = 0;
  keys[n++] = "kind", keys[n++] = "net", keys[n++] = "train";
  for (int i = 0; extra && extra[i] && n < 63; i++) keys[n++] = extra[i];
  keys[n] = NULL;
  if (sgp_cfg_has(a->cfg, "kind")) { /* first: a config for another kind fails on its own keys */
    const char *k;
    if (sgp_cfg_str(a->cfg, "kind", &k, e)) return -1;
    if (strcmp(k, a->kind))
      return sgp_fail(e, "%s: /kind: the config is for '%s', this is 'sgp train %s'", a->cfg->file, k, a->kind);
  }
  return sgp_cfg_check_keys(a->cfg, keys, e);
}

int train_kind_read_train(const train_kind_args *a, train_cfg *tc, sgp_err *e) {
  sgp_cfg t;
  if (sgp_cfg_obj_opt(a->cfg, "train", &t, e) || train_cfg_read(&t, tc, e)) return -1;
  if (a->seed) tc->seed = *a->seed;
  tc->progress = a->progress;
  return 0;
}

/* The "net" object for nin -> nout; "ncond" defaults to the model's (and must equal it). */
static int read_net(const train_kind_args *a, int nin, int nout, int ncond, nn_arch *out, sgp_err *e) {
  sgp_cfg n;
  if (sgp_cfg_obj_opt(a->cfg, "net", &n, e)) return -1;
  if (!sgp_cfg_has(&n, "ncond")) cJSON_AddNumberToObject(n.j, "ncond", ncond);
  if (nn_arch_from_cfg(&n, nin, nout, out, e)) return -1;
  if (out->ncond != ncond)
    return sgp_fail(e, "%s: %s/ncond: %d, the model needs %d", n.file, n.path, out->ncond, ncond);
  return 0;
}

/* "inputs" defaults to "points" for a .npy of points (the config reader's default is "xu"). */
static void default_inputs(const train_kind_args *a) {
  if (a->points && !sgp_cfg_has(a->cfg, "inputs")) cJSON_AddStringToObject(a->cfg->j, "inputs", "points");
}

/* Rows z of the layout: (x,u) or (x,u,x') of a dataset, or the points themselves. The layout must
 * fit the data (the error names /inputs). Z is malloc'd (N x D, D in *Dout); nx, nu as score_create wants. */
static int layout_rows(const train_kind_args *a, score_layout layout, float **Zout, int64_t *Nout, int *Dout,
                       int *nx, int *nu, sgp_err *e) {
  if ((a->points != NULL) != (layout == SCORE_POINTS))
    return sgp_fail(e, "%s: /inputs: \"%s\" needs %s, but %s is %s", a->cfg->file, score_layout_name(layout),
                    layout == SCORE_POINTS ? "a .npy of points" : "a dataset directory", a->data_dir,
                    a->points ? "a .npy of points" : "a dataset directory");
  if (a->points) {
    int64_t N = a->points->shape[0], D = a->points->shape[1];
    float *Z = sgp_malloc(sizeof(float) * (size_t)(N * D));
    memcpy(Z, a->points->data, sizeof(float) * (size_t)(N * D));
    *Zout = Z, *Nout = N, *Dout = (int)D, *nx = (int)D, *nu = 0;
    return 0;
  }
  const ds_data *s = a->data;
  int D = score_layout_dim(layout, s->nx, s->nu);
  float *Z = sgp_malloc(sizeof(float) * (size_t)s->n * D);
  for (int64_t i = 0; i < s->n; i++) {
    float *z = Z + i * D;
    memcpy(z, s->x + i * s->nx, sizeof(float) * s->nx);
    memcpy(z + s->nx, s->u + i * s->nu, sizeof(float) * s->nu);
    if (layout == SCORE_XUX) memcpy(z + s->nx + s->nu, s->xnext + i * s->nx, sizeof(float) * s->nx);
  }
  *Zout = Z, *Nout = s->n, *Dout = D, *nx = s->nx, *nu = s->nu;
  return 0;
}

static int ends_with(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n >= k && !strcmp(s + n - k, suf);
}

/* The data and what the model file records about it. */
typedef struct loaded {
  int points;
  ds_data ds;
  sgp_array pts;
  cJSON *info;
} loaded;

static int load_data(const char *path, loaded *d, sgp_err *e) {
  memset(d, 0, sizeof *d);
  struct stat sb;
  if (stat(path, &sb) != 0) return sgp_fail(e, "%s: %s", path, strerror(errno));
  d->info = cJSON_CreateObject();
  cJSON_AddStringToObject(d->info, "path", path);
  if (S_ISDIR(sb.st_mode)) {
    if (ds_load(path, &d->ds, e)) return -1;
    cJSON_AddStringToObject(d->info, "type", "dataset");
    cJSON_AddStringToObject(d->info, "env", d->ds.env ? d->ds.env : "");
    cJSON_AddNumberToObject(d->info, "n", (double)d->ds.n);
    cJSON_AddNumberToObject(d->info, "nx", d->ds.nx);
    cJSON_AddNumberToObject(d->info, "nu", d->ds.nu);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(d->ds.manifest, "files");
    if (f) cJSON_AddItemToObject(d->info, "files", cJSON_Duplicate(f, 1)); /* SHA-256 of every array */
    return 0;
  }
  if (!ends_with(path, ".npy")) return sgp_fail(e, "%s: expected a dataset directory or a .npy file", path);
  if (sgp_npy_read(path, &d->pts, e)) return -1;
  d->points = 1;
  if (d->pts.dtype != SGP_F32 || d->pts.ndim != 2 || d->pts.shape[0] < 1 || d->pts.shape[1] < 1)
    return sgp_fail(e, "%s: expected a non-empty N x D float32 array, got %s with %d dimensions", path,
                    sgp_dtype_name(d->pts.dtype), d->pts.ndim);
  size_t n = sgp_array_count(&d->pts);
  const float *p = d->pts.data;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(p[i]))
      return sgp_fail(e, "%s: row %zu, column %zu is not finite", path, i / (size_t)d->pts.shape[1],
                      i % (size_t)d->pts.shape[1]);
  char hex[65];
  if (sgp_sha256_file_hex(path, hex, e)) return -1;
  cJSON_AddStringToObject(d->info, "type", "points");
  cJSON_AddNumberToObject(d->info, "n", (double)d->pts.shape[0]);
  cJSON_AddNumberToObject(d->info, "dim", (double)d->pts.shape[1]);
  cJSON_AddStringToObject(d->info, "sha256", hex);
  return 0;
}

static void free_data(loaded *d) {
  if (d->points)
    sgp_array_free(&d->pts);
  else
    ds_free(&d->ds); /* zeroed when nothing was loaded */
  cJSON_Delete(d->info);
}

typedef struct summary {
  int have;
  train_result r; /* numbers only: the curves are not kept */
} summary;

static void keep_summary(void *self, const train_result *res) {
  summary *s = self;
  s->have = 1;
  s->r = *res;
  s->r.train_loss = s->r.val_loss = NULL;
}

/* The numbers and options of the verb, checked. */
typedef struct train_args {
  const char *data, *config, *out;
  long threads, epochs; /* epochs 0: the config's */
  int have_seed;
  uint64_t seed;
} train_args;

static const char *kind_name_at(const void *ctx, int i) {
  (void)ctx;
  return kinds[i].name;
}

/* Returns 0, or the exit status of a usage error (after printing it). */
static int parse_args(int argc, char **argv, train_args *t) {
  memset(t, 0, sizeof *t);
  static const char *const required[] = {"--data", "--config", "--out", NULL};
  int rc = cli_require("train", argc, argv, required);
  if (rc) return rc;
  t->data = cli_opt(argc, argv, "--data"), t->config = cli_opt(argc, argv, "--config");
  t->out = cli_opt(argc, argv, "--out");
  t->threads = 1;
  const char *s;
  char *end;
  if ((s = cli_opt(argc, argv, "--threads"))) {
    t->threads = strtol(s, &end, 10);
    if (*end || t->threads < 1 || t->threads > 1024) {
      fprintf(stderr, "sgp train: --threads: expected an integer in [1, 1024], got '%s'\n", s);
      return 2;
    }
  }
  if ((s = cli_opt(argc, argv, "--seed"))) {
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < 0 || v > 9007199254740991LL) {
      fprintf(stderr, "sgp train: --seed: expected an integer in [0, 2^53), got '%s'\n", s);
      return 2;
    }
    t->have_seed = 1, t->seed = (uint64_t)v;
  }
  if ((s = cli_opt(argc, argv, "--epochs"))) {
    t->epochs = strtol(s, &end, 10);
    if (*end || t->epochs < 1 || t->epochs > 1000000) {
      fprintf(stderr, "sgp train: --epochs: expected an integer in [1, 1000000], got '%s'\n", s);
      return 2;
    }
  }
  return 0;
}

/* The config file; --seed and --epochs are written into /train, so that the saved config says what
 * ran. */
static int load_config(const train_args *t, cJSON **cfg, sgp_err *e) {
  if (sgp_json_load(t->config, cfg, e)) return -1;
  if (!cJSON_IsObject(*cfg)) {
    cJSON_Delete(*cfg);
    return sgp_fail(e, "%s: expected a JSON object", t->config);
  }
  if (t->have_seed || t->epochs) {
    cJSON *tr = cJSON_GetObjectItemCaseSensitive(*cfg, "train");
    if (!tr) tr = cJSON_AddObjectToObject(*cfg, "train");
    if (cJSON_IsObject(tr) && t->have_seed) {
      cJSON_DeleteItemFromObjectCaseSensitive(tr, "seed");
      cJSON_AddNumberToObject(tr, "seed", (double)t->seed);
    }
    if (cJSON_IsObject(tr) && t->epochs) {
      cJSON_DeleteItemFromObjectCaseSensitive(tr, "epochs");
      cJSON_AddNumberToObject(tr, "epochs", (double)t->epochs);
    }
  }
  return 0;
}

/* 1 if path holds the model this command would train: it opens as a model of this kind (its tensors'
 * hash verified), training finished (sgp.train), its recorded config holds every field of cfg, its
 * data record equals info apart from the path, and it was trained with `threads` BLAS threads.
 * 0 if absent; -1 if present but different or invalid, with the reason in *why. */
static int model_reusable(const char *path, const char *kind, const cJSON *cfg, const cJSON *info, long threads,
                          sgp_err *why) {
  if (!sgp_path_exists(path)) return 0;
  sgp_st st;
  if (mf_open(path, kind, &st, why)) return -1;
  cJSON *rec_cfg = mf_get_json(&st, path, "config", why), *rec_data = NULL, *rec_train = NULL, *rec_ver = NULL;
  if (rec_cfg) rec_data = mf_get_json(&st, path, "dataset", why);
  if (rec_data) rec_train = mf_get_json(&st, path, "train", why);
  if (rec_train) rec_ver = mf_get_json(&st, path, "versions", why);
  int rc = rec_ver ? 1 : -1;
  cJSON *want = cJSON_Duplicate(info, 1), *got = cJSON_Duplicate(rec_data, 1);
  cJSON_DeleteItemFromObjectCaseSensitive(want, "path"); /* the same data may sit elsewhere */
  cJSON_DeleteItemFromObjectCaseSensitive(got, "path");
  const cJSON *bt = cJSON_GetObjectItemCaseSensitive(rec_ver, "blas_threads");
  if (rc == 1 && !sgp_json_subset(cfg, rec_cfg))
    rc = sgp_fail(why, "%s: /sgp.config: trained with another config", path);
  else if (rc == 1 && !cJSON_Compare(want, got, 1))
    rc = sgp_fail(why, "%s: /sgp.dataset: trained on other data", path);
  else if (rc == 1 && !(cJSON_IsNumber(bt) && bt->valuedouble == (double)threads))
    rc = sgp_fail(why, "%s: /sgp.versions/blas_threads: trained with %g threads, not %ld", path,
                  cJSON_IsNumber(bt) ? bt->valuedouble : -1.0, threads);
  cJSON *all[] = {rec_cfg, rec_data, rec_train, rec_ver, want, got};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) cJSON_Delete(all[i]);
  sgp_st_free(&st);
  return rc;
}

static void print_summary(const tk_entry *k, const train_result *r, const char *out) {
  printf("sgp train %s: %d epochs, %ld steps, %.1f s (%.0f samples/s); ", k->name, r->epochs, r->steps, r->seconds,
         r->samples_per_s);
  if (r->nval > 0)
    printf("best validation loss %.6g at epoch %d (%lld held-out rows)", r->best_val, r->best_epoch,
           (long long)r->nval);
  else
    printf("last training loss %.6g (no validation split)", r->last_train);
  printf(" -> %s\n", out);
}

/* arguments -> config -> data -> the kind trains and saves -> one summary line */
int cmd_train(int argc, char **argv) {
  static const char *const valued[] = {"--data", "--config", "--out", "--seed", "--epochs", "--threads", NULL};
  static const char *const boolean[] = {"--quiet", "--reuse", NULL};
  if (argc > 1 && !strcmp(argv[1], "policy")) return cmd_train_policy(argc, argv); /* bench/cmd_train_policy.c */
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  const char *pos[1];
  int rc = cli_parse("train", argc, argv, valued, boolean, 1, 1, pos, NULL);
  if (rc) return rc;
  const tk_entry *k = NULL;
  int nkinds = 0;
  for (const tk_entry *t = kinds; t->name; t++, nkinds++)
    if (!strcmp(t->name, pos[0])) k = t;
  sgp_err e = {{0}};
  if (!k) {
    sgp_fail_unknown(&e, "kind", pos[0], nkinds, kind_name_at, NULL);
    fprintf(stderr, "sgp train: %s\n", e.msg);
    return 2;
  }
  train_args t;
  if ((rc = parse_args(argc, argv, &t))) return rc;
  sgp_blas_set_threads((int)t.threads);
  if ((rc = cli_prepare_out("train", t.out, 0))) return rc;
  cJSON *cfg = NULL;
  if (load_config(&t, &cfg, &e)) return cli_error("train", &e);
  loaded d;
  summary sum = {0};
  sgp_cfg root = sgp_cfg_root(cfg, t.config);
  rc = load_data(t.data, &d, &e);
  if (!rc && d.points && !k->points_ok)
    rc = sgp_fail(&e, "%s: 'sgp train %s' needs a dataset directory, not a .npy of points", t.data, k->name);
  int reused = 0;
  if (!rc && cli_flag(argc, argv, "--reuse")) {
    sgp_err why = {{0}};
    int r = model_reusable(t.out, k->name, cfg, d.info, t.threads, &why);
    if (r < 0) fprintf(stderr, "sgp train: %s; training it again\n", why.msg);
    if (r == 1) printf("sgp train: %s already holds this model (reused)\n", t.out);
    reused = r == 1;
  }
  if (!rc && !reused) {
    train_kind_args a = {.kind = k->name,
                         .data_dir = t.data,
                         .data = d.points ? NULL : &d.ds,
                         .points = d.points ? &d.pts : NULL,
                         .cfg = &root,
                         .resolved = cfg,
                         .dataset_json = d.info,
                         .seed = t.have_seed ? &t.seed : NULL,
                         .progress = !cli_flag(argc, argv, "--quiet"),
                         .out = t.out,
                         .report = keep_summary,
                         .report_self = &sum};
    rc = k->fn(&a, &e);
  }
  if (!rc && sum.have) print_summary(k, &sum.r, t.out);
  free_data(&d);
  cJSON_Delete(cfg);
  return rc ? cli_error("train", &e) : 0;
}

/* ============================== kinds over score layouts: score, dde ========================== */

/* What the score and dde kinds share: the rows of their layout, the net and the trainer's config. */
typedef struct net_job {
  float *Z;
  int64_t N;
  int D, nx, nu;
  nn_arch arch;
  train_cfg tc;
  train_result res;
} net_job;

/* nout 0: the net maps D -> D (a score); ncond: the model's noise levels (0: none). */
static int net_job_prepare(const train_kind_args *a, score_layout layout, int nout, int ncond, net_job *j,
                           sgp_err *e) {
  memset(j, 0, sizeof *j);
  if (layout_rows(a, layout, &j->Z, &j->N, &j->D, &j->nx, &j->nu, e)) return -1;
  return read_net(a, j->D, nout ? nout : j->D, ncond, &j->arch, e) || train_kind_read_train(a, &j->tc, e) ? -1 : 0;
}

static void net_job_free(net_job *j) {
  train_result_free(&j->res);
  free(j->Z);
}

/* ============================== kind: score (METHOD §3) ======================================= */

int train_kind_score(const train_kind_args *a, sgp_err *e) {
  static const char *const keys[] = {"inputs", "sigma", "levels", "sigma_max", "sigma_min", "schedule",
                                     "loss", "alpha", "output", NULL};
  score_cfg sc;
  if (train_kind_check_keys(a, keys, e)) return -1;
  default_inputs(a);
  if (score_cfg_read(a->cfg, &sc, e)) return -1;
  net_job j;
  score_model *m = NULL;
  int rc = net_job_prepare(a, sc.layout, 0, sc.nlevels > 1 ? sc.nlevels : 0, &j, e);
  if (!rc) rc = (m = score_create(&sc, &j.arch, j.nx, j.nu, e)) ? 0 : sgp_fail_prefix(e, "%s", a->cfg->file);
  if (!rc) rc = score_train(m, j.Z, j.N, &j.tc, &j.res, e);
  if (!rc && a->report) a->report(a->report_self, &j.res);
  if (!rc) rc = score_save(m, a->out, a->resolved, a->dataset_json, &j.res, e);
  net_job_free(&j);
  score_free(m);
  return rc;
}

/* ============================== kind: dde (METHOD §5) ========================================= */

int train_kind_dde(const train_kind_args *a, sgp_err *e) {
  static const char *const keys[] = {"inputs", "sigma", "samples", "near_fraction", "near", "margin", NULL};
  dde_cfg dc;
  if (train_kind_check_keys(a, keys, e)) return -1;
  default_inputs(a);
  if (dde_cfg_read(a->cfg, &dc, e)) return -1;
  net_job j;
  dde_model *m = NULL;
  int rc = net_job_prepare(a, dc.layout, 1, 0, &j, e);
  if (!rc) rc = (m = dde_create(&dc, &j.arch, j.nx, j.nu, e)) ? 0 : sgp_fail_prefix(e, "%s", a->cfg->file);
  if (!rc) rc = dde_train(m, j.Z, j.N, &j.tc, &j.res, e);
  if (!rc && a->report) a->report(a->report_self, &j.res);
  if (!rc) rc = dde_save(m, a->out, a->resolved, a->dataset_json, &j.res, e);
  net_job_free(&j);
  dde_free(m);
  return rc;
}
