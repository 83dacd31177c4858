/* sgp collect ENV --spec FILE.json --seed S --out DIR: an offline dataset from an environment
 * (docs/datasets.md). Deterministic whatever --threads; written atomically. */
#include "bench/cli.h"
#include "datasets/dataset.h"
#include "datasets/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: sgp collect ENV --spec SPEC.json --seed S --out DIR [--env-config CFG.json] [--force]\n"
          "                   [--reuse] [--threads N] [--quiet]\n"
          "  Collects the transitions described by SPEC (a behaviour spec: \"box\" or \"episodes\", with n)\n"
          "  from environment ENV (sgp list) and writes the dataset directory DIR (x.npy, u.npy, xnext.npy,\n"
          "  reward.npy, terminal.npy, timeout.npy, manifest.json). The bytes depend only on ENV, its\n"
          "  config, SPEC and S, not on --threads (default: all %d cores). DIR is written to a temporary\n"
          "  directory and renamed into place; an existing DIR is replaced only with --force.\n"
          "  --reuse: if DIR already holds this dataset (fully validated: same env, config, spec, seed),\n"
          "  do nothing; else build it (replacing an invalid or different dataset at DIR). Processes\n"
          "  building the same DIR, on this machine or others sharing the file system, build it once:\n"
          "  the others wait and reuse it (docs/sweeps.md, \"Shared caches\").\n"
          "  example:\n"
          "    sgp collect point --spec datasets/specs/point_box.json --seed 0 --out data/point\n"
          "    sgp collect point --env-config cfg.json --spec datasets/specs/point_episodes.json --seed 1 --out data/pe\n",
          ds_ncores());
}

/* What --reuse compares an existing dataset with. */
typedef struct wanted {
  const char *dir, *env;
  const char *seed;
  cJSON *cfg, *spec; /* resolved */
} wanted;

/* 1 if w->dir holds a valid dataset collected from exactly this request. */
static int dataset_ready(void *ctx) {
  const wanted *w = ctx;
  ds_data d;
  sgp_err e;
  if (!sgp_path_exists(w->dir) || ds_load(w->dir, &d, &e)) return 0;
  const cJSON *m = d.manifest, *seed = cJSON_GetObjectItem(m, "seed");
  const cJSON *ver = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "collection"), "collector_version");
  int same = !strcmp(d.env, w->env) && cJSON_IsString(seed) && !strcmp(seed->valuestring, w->seed) &&
             cJSON_IsNumber(ver) && ver->valuedouble == DS_COLLECTOR_VERSION && cJSON_Compare(d.env_cfg, w->cfg, 1) &&
             cJSON_Compare(cJSON_GetObjectItem(m, "behaviour"), w->spec, 1);
  ds_free(&d);
  return same;
}

/* The request resolved as the manifest records it: env config and spec with defaults inserted. */
static int resolve(const char *env_name, const cJSON *cfg, const char *cfg_file, const cJSON *spec, const char *spec_file,
                   wanted *w, sgp_err *e) {
  w->cfg = cfg ? cJSON_Duplicate(cfg, 1) : cJSON_CreateObject();
  w->spec = cJSON_Duplicate(spec, 1);
  sgp_env *env = NULL;
  int rc = env_create(env_name, w->cfg, cfg_file, &env, e) || ds_spec_resolve(w->spec, spec_file, env, e) ? -1 : 0;
  if (env) env_destroy(env);
  return rc;
}

static double lock_stale_seconds(void) {
  const char *s = getenv("SGP_LOCK_STALE_SECONDS");
  double v = s ? strtod(s, NULL) : 0;
  return v > 0 ? v : 300;
}

static int parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s || *s == '-') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

int cmd_collect(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  static const char *const valued[] = {"--spec", "--seed", "--out", "--env-config", "--threads", NULL};
  static const char *const boolean[] = {"--force", "--reuse", "--quiet", NULL};
  const char *pos[1];
  int npos = 0;
  int rc = cli_parse("collect", argc, argv, valued, boolean, 1, 1, pos, &npos);
  if (rc) return rc;
  const char *spec_file = cli_opt(argc, argv, "--spec"), *out = cli_opt(argc, argv, "--out");
  const char *seed_s = cli_opt(argc, argv, "--seed"), *cfg_file = cli_opt(argc, argv, "--env-config");
  const char *threads_s = cli_opt(argc, argv, "--threads");
  static const char *const required[] = {"--spec", "--seed", "--out", NULL};
  if ((rc = cli_require("collect", argc, argv, required))) return rc;
  ds_collect_opts o = {0, 0, !cli_flag(argc, argv, "--quiet")};
  if (parse_u64(seed_s, &o.seed)) {
    fprintf(stderr, "sgp collect: --seed: expected a non-negative integer, got '%s'\n", seed_s);
    return 2;
  }
  if (threads_s) {
    char *end;
    long t = strtol(threads_s, &end, 10);
    if (*end || t < 1 || t > 1024) {
      fprintf(stderr, "sgp collect: --threads: expected an integer in [1, 1024], got '%s'\n", threads_s);
      return 2;
    }
    o.threads = (int)t;
  }
  sgp_err e = {{0}};
  if (!env_find(pos[0])) return cli_unknown_env("collect", pos[0]);
  int force = cli_flag(argc, argv, "--force"), reuse = cli_flag(argc, argv, "--reuse");
  if (sgp_path_exists(out) && !force && !reuse) {
    sgp_fail(&e, "%s: already exists (use --force to replace it)", out);
    return cli_error("collect", &e);
  }
  if ((rc = cli_prepare_out("collect", out, 1))) return rc;
  cJSON *spec = NULL, *cfg = NULL;
  if (sgp_json_load(spec_file, &spec, &e)) return cli_error("collect", &e);
  if (cfg_file && sgp_json_load(cfg_file, &cfg, &e)) {
    cJSON_Delete(spec);
    return cli_error("collect", &e);
  }
  const char *cfg_name = cfg_file ? cfg_file : "--env-config";
  char seed_norm[32];
  snprintf(seed_norm, sizeof seed_norm, "%llu", (unsigned long long)o.seed);
  wanted w = {out, pos[0], seed_norm, NULL, NULL};
  sgp_lock *lock = NULL;
  if (reuse) {
    rc = resolve(pos[0], cfg, cfg_name, spec, spec_file, &w, &e);
    if (rc == 0) rc = sgp_lock_build(out, lock_stale_seconds(), dataset_ready, &w, stderr, &lock, &e);
    if (rc == 0) printf("sgp collect: %s already holds this dataset (reused)\n", out);
    rc = rc == 1 ? 0 : rc == 0 ? 2 : -1; /* 2: done, nothing to build */
    force |= rc == 0 && sgp_path_exists(out); /* invalid or another dataset: rebuilt */
  }
  ds_data d;
  double t0 = sgp_now();
  if (rc == 0) rc = ds_collect(pos[0], cfg, cfg_name, spec, spec_file, &o, &d, &e);
  if (rc == 0) {
    double t1 = sgp_now();
    rc = ds_write(out, &d, force, &e);
    if (rc == 0)
      printf("sgp collect: %lld transitions of %s (nx %d, nu %d) in %.2f s -> %s\n", (long long)d.n, pos[0], d.nx,
             d.nu, t1 - t0, out);
    ds_free(&d);
  }
  sgp_lock_release(lock);
  cJSON_Delete(w.cfg);
  cJSON_Delete(w.spec);
  cJSON_Delete(spec);
  cJSON_Delete(cfg);
  return rc == 2 ? 0 : rc ? cli_error("collect", &e) : 0;
}
