/* sgp train policy ENV --config FILE.json --out DIR: a linear behaviour policy trained with ARS
 * (datasets/policy.h, docs/behaviour-policies.md).
 *
 * DIR receives: checkpoints/iter_NNNNNN.safetensors at every evaluation (each with its measured
 * return in its metadata), log.json (the evaluations so far, rewritten atomically after each),
 * expert.safetensors (the checkpoint with the best measured return), medium.safetensors (the
 * checkpoint whose return is closest to medium_fraction × the expert's, among those before the
 * expert) and summary.json. */
#include "bench/cli.h"
#include "datasets/policy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f, "usage: sgp train policy ENV --config FILE.json --out DIR [--seed S] [--threads N]\n"
             "                        [--env-config JSON] [--quiet]\n"
             "  Trains a linear policy with Augmented Random Search (V2-t) and writes checkpoints with\n"
             "  their measured returns, expert.safetensors, medium.safetensors and log.json into DIR.\n"
             "  Deterministic for a config and seed, whatever the number of threads.\n"
             "options:\n"
             "  --config F      JSON: {\"iterations\", \"directions\", \"top\", \"step_size\", \"noise\", \"shift\",\n"
             "                  \"eval_every\", \"eval_episodes\", \"target_return\", \"medium_fraction\", \"seed\"}\n"
             "  --out DIR       output directory (created; existing checkpoints are overwritten)\n"
             "  --seed S        overrides /seed\n"
             "  --threads N     rollouts in parallel (default: the number of cores)\n"
             "  --env-config J  the environment's config as a JSON object (default {})\n"
             "  --quiet         no progress bar\n"
             "example:\n"
             "  sgp train policy hopper --config datasets/policies/ars_hopper.json --out runs/ars-hopper\n");
}

typedef struct ckpt {
  long iteration;
  double mean, std, seconds;
  long episodes, env_steps;
} ckpt;

typedef struct tp_ctx {
  const char *out;
  ckpt *ck;
  int nck;
  int progress;
  sgp_progress bar;
  long total;
  const cJSON *cfg, *env_cfg; /* the resolved training config (--seed applied), the env's */
} tp_ctx;

static char *ckpt_path(const char *out, long iteration) {
  char name[64];
  snprintf(name, sizeof name, "checkpoints/iter_%06ld.safetensors", iteration);
  return sgp_path_join(out, name);
}

static cJSON *log_json(const tp_ctx *c) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; i < c->nck; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "iteration", (double)c->ck[i].iteration);
    cJSON_AddNumberToObject(o, "episodes", (double)c->ck[i].episodes);
    cJSON_AddNumberToObject(o, "env_steps", (double)c->ck[i].env_steps);
    cJSON_AddNumberToObject(o, "seconds", c->ck[i].seconds);
    cJSON_AddNumberToObject(o, "return_mean", c->ck[i].mean);
    cJSON_AddNumberToObject(o, "return_std", c->ck[i].std);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

static int on_eval(void *ctx, const ds_linear *p, const ds_ars_progress *pr, sgp_err *e) {
  tp_ctx *c = ctx;
  char *path = ckpt_path(c->out, pr->iteration);
  int rc = ds_linear_write(path, p, e);
  free(path);
  if (rc) return -1;
  c->ck = sgp_realloc(c->ck, sizeof(ckpt) * (c->nck + 1));
  c->ck[c->nck++] = (ckpt){pr->iteration, pr->eval_mean, pr->eval_std, pr->seconds, pr->episodes, pr->env_steps};
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "evaluations", log_json(c));
  char *lp = sgp_path_join(c->out, "log.json");
  rc = sgp_json_write(lp, o, e);
  free(lp);
  cJSON_Delete(o);
  return rc;
}

static void on_iter(void *ctx, const ds_ars_progress *pr) {
  tp_ctx *c = ctx;
  if (!c->progress) return;
  char extra[96];
  if (isfinite(pr->eval_mean)) snprintf(extra, sizeof extra, "return %.1f ± %.1f", pr->eval_mean, pr->eval_std);
  else snprintf(extra, sizeof extra, "return -");
  sgp_progress_update(&c->bar, pr->iteration, extra);
}

/* Copies checkpoint `k` to DIR/name. */
static int publish(const tp_ctx *c, int k, const char *name, sgp_err *e) {
  char *src = ckpt_path(c->out, c->ck[k].iteration), *dst = sgp_path_join(c->out, name);
  ds_linear p;
  int rc = ds_linear_read(src, NULL, &p, e);
  if (rc == 0) {
    rc = ds_linear_write(dst, &p, e);
    ds_linear_free(&p);
  }
  free(src);
  free(dst);
  return rc;
}

static cJSON *ck_json(const ckpt *k, const char *file) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", file);
  cJSON_AddNumberToObject(o, "iteration", (double)k->iteration);
  cJSON_AddNumberToObject(o, "episodes", (double)k->episodes);
  cJSON_AddNumberToObject(o, "env_steps", (double)k->env_steps);
  cJSON_AddNumberToObject(o, "seconds", k->seconds);
  cJSON_AddNumberToObject(o, "return_mean", k->mean);
  cJSON_AddNumberToObject(o, "return_std", k->std);
  return o;
}

static int finish(tp_ctx *c, const ds_ars_cfg *a, const char *env, sgp_err *e) {
  if (c->nck == 0) return sgp_fail(e, "%s: no evaluation happened (iterations < eval_every?)", c->out);
  int best = 0;
  for (int i = 1; i < c->nck; i++)
    if (c->ck[i].mean > c->ck[best].mean) best = i;
  double target = a->medium_fraction * c->ck[best].mean;
  int med = 0;
  for (int i = 1; i <= best; i++)
    if (fabs(c->ck[i].mean - target) < fabs(c->ck[med].mean - target)) med = i;
  if (publish(c, best, "expert.safetensors", e) || publish(c, med, "medium.safetensors", e)) return -1;
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "env", env);
  /* what reproduces the run: the configs, the seed and the program's versions */
  cJSON_AddItemToObject(s, "config", cJSON_Duplicate(c->cfg, 1));
  cJSON_AddItemToObject(s, "env_config", c->env_cfg ? cJSON_Duplicate(c->env_cfg, 1) : cJSON_CreateObject());
  cJSON_AddNumberToObject(s, "seed", (double)a->seed);
  cJSON *ver = sgp_versions_json();
  cJSON_AddStringToObject(ver, "mujoco", env_mujoco_version());
  cJSON_AddItemToObject(s, "versions", ver);
  cJSON_AddItemToObject(s, "expert", ck_json(&c->ck[best], "expert.safetensors"));
  cJSON_AddItemToObject(s, "medium", ck_json(&c->ck[med], "medium.safetensors"));
  cJSON_AddNumberToObject(s, "medium_target", target);
  cJSON_AddItemToObject(s, "evaluations", log_json(c));
  char *sp = sgp_path_join(c->out, "summary.json");
  int rc = sgp_json_write(sp, s, e);
  free(sp);
  cJSON_Delete(s);
  if (rc == 0)
    printf("sgp train policy: %s: expert iteration %ld, return %.1f ± %.1f (%ld episodes, %.0f s); medium iteration "
           "%ld, return %.1f ± %.1f\n",
           env, c->ck[best].iteration, c->ck[best].mean, c->ck[best].std, c->ck[best].episodes, c->ck[best].seconds,
           c->ck[med].iteration, c->ck[med].mean, c->ck[med].std);
  return rc;
}

int cmd_train_policy(int argc, char **argv) {
  static const char *const valued[] = {"--config", "--out", "--seed", "--threads", "--env-config", NULL};
  static const char *const boolean[] = {"--quiet", NULL};
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  const char *pos[2];
  int rc = cli_parse("train policy", argc, argv, valued, boolean, 2, 2, pos, NULL);
  if (rc) return rc;
  static const char *const required[] = {"--config", "--out", NULL};
  if ((rc = cli_require("train policy", argc, argv, required))) return rc;
  const char *env_name = pos[1], *config = cli_opt(argc, argv, "--config"), *out = cli_opt(argc, argv, "--out");
  if (!env_find(env_name)) return cli_unknown_env("train policy", env_name);
  if ((rc = cli_prepare_out("train policy", out, 1))) return rc; /* before any training */
  long threads = 0;
  const char *s;
  char *end;
  if ((s = cli_opt(argc, argv, "--threads"))) {
    threads = strtol(s, &end, 10);
    if (*end || threads < 1 || threads > 256) {
      fprintf(stderr, "sgp train policy: --threads: expected an integer in [1, 256], got '%s'\n", s);
      return 2;
    }
  }
  sgp_err e = {{0}};
  cJSON *cfg = NULL, *env_cfg = NULL;
  sgp_env *env = NULL;
  if (sgp_json_load(config, &cfg, &e)) return cli_error("train policy", &e);
  if ((s = cli_opt(argc, argv, "--env-config")) && sgp_json_parse(s, "--env-config", &env_cfg, &e)) {
    cJSON_Delete(cfg);
    return cli_error("train policy", &e);
  }
  if (!env_cfg) env_cfg = cJSON_CreateObject();
  if ((s = cli_opt(argc, argv, "--seed"))) {
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < 0 || v > 9007199254740991LL) {
      fprintf(stderr, "sgp train policy: --seed: expected a non-negative integer, got '%s'\n", s);
      cJSON_Delete(cfg), cJSON_Delete(env_cfg);
      return 2;
    }
    if (cJSON_IsObject(cfg)) {
      cJSON_DeleteItemFromObjectCaseSensitive(cfg, "seed");
      cJSON_AddNumberToObject(cfg, "seed", (double)v);
    }
  }
  ds_ars_cfg a;
  tp_ctx c = {.out = out, .progress = !cli_flag(argc, argv, "--quiet"), .cfg = cfg, .env_cfg = env_cfg};
  rc = env_create(env_name, env_cfg, "--env-config", &env, &e);
  if (rc == 0 && !cJSON_IsObject(cfg)) rc = sgp_fail(&e, "%s: expected a JSON object", config);
  if (rc == 0) {
    sgp_cfg root = sgp_cfg_root(cfg, config);
    rc = ds_ars_cfg_read(&root, env, &a, &e);
  }
  env_destroy(env);
  char *ckdir = sgp_path_join(out, "checkpoints");
  if (rc == 0) rc = sgp_mkdirs(ckdir, &e);
  free(ckdir);
  if (rc == 0) {
    ds_ars_opts o = {.threads = (int)threads, .on_eval = on_eval, .on_iter = on_iter, .ctx = &c, .stop_after = -1};
    ds_linear last;
    if (c.progress) sgp_progress_begin(&c.bar, "ars", a.iterations);
    rc = ds_ars_train(env_name, env_cfg, &a, cfg, &o, &last, &e);
    if (c.progress) sgp_progress_end(&c.bar);
    if (rc == 0) {
      ds_linear_free(&last);
      rc = finish(&c, &a, env_name, &e);
    }
  }
  free(c.ck);
  cJSON_Delete(cfg);
  cJSON_Delete(env_cfg);
  return rc ? cli_error("train policy", &e) : 0;
}
