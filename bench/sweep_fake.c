/* TEST-ONLY: a fake registry and fake job implementations for exercising the sweep harness
 * (expansion, scheduling, resume, --list, tables, figures) without the real collect/train/eval.
 * Selected with `sgp sweep FILE --fake-jobs`; its environments and planners are named fake-*, and
 * every artefact it writes says "fake": true. Nothing here is a benchmark result.
 *
 *   environments  fake-2d (nx 2, a hole disk of radius 0.4 at the origin, no reference returns)
 *                 fake-4d (nx 4, reference returns: the main metric is the normalised score; a
 *                 time-series figure of its first two dimensions when "trajectories": true)
 *   planners      fake-grad (needs dynamics, and a score when beta > 0), fake-ens (ensemble),
 *                 fake-sample (no model). Parameters: quality (0..1, the expected success),
 *                 beta, horizon, sleep_ms (slows the eval job down), fail (the eval job fails),
 *                 plan_ms and samples (the planning CPU time it reports, timing.plan_cpu_s:
 *                 plan_ms per step and episode, times samples / 100 when samples is given; for
 *                 matched time), wall_factor (timing.plan_s, the wall clock, is that times
 *                 wall_factor >= 1, default 1: a planner slowed down by another process),
 *                 flip_below (seeds below it use 1 − quality: a setting that wins on high seeds
 *                 loses on low ones, so a choice that looked at the wrong seeds shows).
 *   dataset spec  {"n": rows, "sleep_ms": .., "fail": bool}
 *   train config  {"sleep_ms": .., "fail": bool}
 * Results are a deterministic function of the run config and seed, except their timing objects. */
#include "bench/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ registry */
typedef struct fake_env {
  const char *name;
  int nx, nu, has_ref, planar;
} fake_env;
static const fake_env fake_envs[] = {{"fake-2d", 2, 2, 0, 1}, {"fake-4d", 4, 1, 1, 0}};
static const char *const fake_series_labels[2] = {"p", "theta"};

static const fake_env *fake_env_find(const char *name) {
  for (size_t i = 0; i < sizeof fake_envs / sizeof fake_envs[0]; i++)
    if (!strcmp(fake_envs[i].name, name)) return &fake_envs[i];
  return NULL;
}

static const char *fake_env_name(const void *table, int i) { return ((const fake_env *)table)[i].name; }

/* The description a real environment would give: fake-2d is drawn like the point task. */
static void fake_spec(const fake_env *f, env_spec *s) {
  static const double goal[4] = {-0.8, 0.2, 0, 0};
  memset(s, 0, sizeof *s);
  s->name = f->name;
  s->nx = f->nx, s->nu = f->nu, s->has_ref = f->has_ref;
  s->goal = goal;
  if (!f->planar) { /* time series of its first two dimensions, drawn only when a row asks */
    s->figure = (env_figure){ENV_FIG_SERIES, 0, 2, {0, 1}, {fake_series_labels[0], fake_series_labels[1]}};
    return;
  }
  s->has_box = 1, s->nbx = f->nx, s->nbu = f->nu;
  for (int i = 0; i < f->nx; i++) s->box_lo[i] = -1, s->box_hi[i] = 1;
  s->excluded.radius = 0.4;
  s->figure = (env_figure){ENV_FIG_PLANAR, 1, 2, {0, 1}, {"x", "y"}};
}

static int fake_env_info(const char *name, cJSON *config, const char *file, const char *path,
                         sweep_env_info *out, sgp_err *e) {
  const fake_env *f = fake_env_find(name);
  if (!f) {
    char p[128];
    snprintf(p, sizeof p, "%s", path);
    char *s = strrchr(p, '/');
    if (s) snprintf(s, sizeof p - (size_t)(s - p), "/name");
    sgp_fail_unknown(e, "environment", name, (int)(sizeof fake_envs / sizeof fake_envs[0]), fake_env_name, fake_envs);
    return sgp_fail_prefix(e, "%s: %s", file, p);
  }
  env_spec spec;
  fake_spec(f, &spec);
  sweep_env_describe(&spec, out);
  sgp_cfg c = sgp_cfg_root(config, file);
  snprintf(c.path, sizeof c.path, "%s", path);
  static const char *const keys[] = {"variant", NULL};
  const char *v;
  if (sgp_cfg_check_keys(&c, keys, e) || sgp_cfg_str_opt(&c, "variant", "plain", &v, e)) return -1;
  return 0;
}

static int fake_planner_needs(cJSON *planner, const char *file, const char *path, int *mask,
                              sgp_err *e) {
  sgp_cfg c = sgp_cfg_root(planner, file);
  snprintf(c.path, sizeof c.path, "%s", path);
  static const char *const names[] = {"fake-grad", "fake-ens", "fake-sample"};
  int kind;
  if (sgp_cfg_enum(&c, "name", names, 3, -1, &kind, e)) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(planner, "name");
    if (!cJSON_IsString(n)) return -1;
    sgp_fail_unknown(e, "planner", n->valuestring, 3, sgp_name_in_list, names);
    return sgp_fail_prefix(e, "%s: %s/name", file, path);
  }
  static const char *const keys[] = {"name", "quality", "beta", "horizon", "sleep_ms", "fail", "flip_below",
                                     "plan_ms", "samples", "wall_factor", NULL};
  double q, beta, sl, pm, ns, wf;
  long h;
  int fail;
  if (sgp_cfg_check_keys(&c, keys, e) || sgp_cfg_num_opt(&c, "quality", 0.5, &q, e) ||
      sgp_cfg_num_opt(&c, "beta", 0, &beta, e) || sgp_cfg_int_opt(&c, "horizon", 1, 1000, 10, &h, e) ||
      sgp_cfg_num_opt(&c, "sleep_ms", 0, &sl, e) || sgp_cfg_bool_opt(&c, "fail", 0, &fail, e) ||
      sgp_cfg_num_opt(&c, "plan_ms", 0, &pm, e) || sgp_cfg_num_opt(&c, "samples", 0, &ns, e) ||
      sgp_cfg_num_opt(&c, "wall_factor", 1, &wf, e))
    return -1;
  if (!(pm >= 0) || !(ns >= 0)) return sgp_fail(e, "%s: %s: plan_ms and samples must be >= 0", file, path);
  if (!(wf >= 1)) return sgp_fail(e, "%s: %s/wall_factor: expected a number >= 1", file, path);
  if (q < 0 || q > 1) return sgp_fail(e, "%s: %s/quality: expected a number in [0, 1]", file, path);
  *mask = kind == 0 ? (1 | (beta > 0 ? 8 : 0)) : kind == 1 ? 2 : 0;
  return 0;
}

static const sweep_registry fake = {"fake (test-only)", fake_env_info, fake_planner_needs, 1, NULL, NULL};

const sweep_registry *sweep_registry_fake(void) { return &fake; }

/* ------------------------------------------------------------------ jobs */
static const char *opt(int argc, char **argv, const char *flag) {
  for (int i = 0; i + 1 < argc; i++)
    if (!strcmp(argv[i], flag)) return argv[i + 1];
  return NULL;
}

static void sleep_ms(double ms) {
  if (!(ms > 0)) return;
  struct timespec ts = {(time_t)(ms / 1000), (long)(fmod(ms, 1000) * 1e6)};
  nanosleep(&ts, NULL);
}

static double num(const cJSON *o, const char *k, double d) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : d;
}

static int fail_flag(const cJSON *o) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "fail")); }

static int die(const char *what, const sgp_err *e) {
  fprintf(stderr, "sgp sweep --fake-job %s: %s\n", what, e->msg);
  return 1;
}

static double extra_sleep(void) {
  const char *s = getenv("SGP_FAKE_SLEEP_MS");
  return s ? atof(s) : 0;
}

static int fake_collect(int argc, char **argv) {
  const char *env = argc > 1 ? argv[1] : "", *spec = opt(argc, argv, "--spec"), *seed = opt(argc, argv, "--seed"),
             *out = opt(argc, argv, "--out");
  sgp_err e;
  if (!spec || !seed || !out) {
    fprintf(stderr, "fake collect: usage: collect ENV --spec F --seed S --out DIR\n");
    return 2;
  }
  cJSON *s;
  if (sgp_json_load(spec, &s, &e)) return die("collect", &e);
  printf("fake collect %s seed %s\n", env, seed);
  sleep_ms(num(s, "sleep_ms", 0) + extra_sleep());
  if (fail_flag(s)) {
    fprintf(stderr, "fake collect: failing as the spec asks (\"fail\": true)\n");
    cJSON_Delete(s);
    return 1;
  }
  int n = (int)num(s, "n", 200), nx = strcmp(env, "fake-2d") ? 4 : 2;
  sgp_rng r;
  sgp_rng_stream(&r, (uint64_t)atol(seed), "data");
  float *x = sgp_malloc(sizeof *x * (size_t)n * nx);
  for (int i = 0; i < n; i++) {
    for (;;) {
      for (int k = 0; k < nx; k++) x[i * nx + k] = (float)(2 * sgp_rng_uniform(&r) - 1);
      if (nx != 2 || x[i * 2] * x[i * 2] + x[i * 2 + 1] * x[i * 2 + 1] > 0.16f) break;
    }
  }
  char path[4096];
  int rc = sgp_mkdirs(out, &e);
  int64_t shape[2] = {n, nx};
  snprintf(path, sizeof path, "%s/x.npy", out);
  if (!rc) rc = sgp_npy_write_raw(path, SGP_F32, 2, shape, x, &e);
  free(x);
  cJSON *m = cJSON_CreateObject();
  cJSON_AddBoolToObject(m, "fake", 1);
  cJSON_AddStringToObject(m, "env", env);
  cJSON_AddItemToObject(m, "spec", cJSON_Duplicate(s, 1));
  cJSON_AddNumberToObject(m, "seed", atof(seed));
  cJSON_AddNumberToObject(m, "rows", n);
  snprintf(path, sizeof path, "%s/manifest.json", out); /* last: its existence means done */
  if (!rc) rc = sgp_json_write(path, m, &e);
  cJSON_Delete(m);
  cJSON_Delete(s);
  return rc ? die("collect", &e) : 0;
}

static int fake_train(int argc, char **argv) {
  const char *kind = argc > 1 ? argv[1] : "", *data = opt(argc, argv, "--data"), *cfg = opt(argc, argv, "--config"),
             *out = opt(argc, argv, "--out"), *seed = opt(argc, argv, "--seed");
  sgp_err e;
  if (!data || !cfg || !out || !seed) {
    fprintf(stderr, "fake train: usage: train KIND --data DIR --config F --out FILE --seed S\n");
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/manifest.json", data);
  if (!sgp_path_exists(path)) {
    fprintf(stderr, "fake train: %s: no dataset (manifest.json missing)\n", data);
    return 1;
  }
  cJSON *c;
  if (sgp_json_load(cfg, &c, &e)) return die("train", &e);
  printf("fake train %s seed %s\n", kind, seed);
  sleep_ms(num(c, "sleep_ms", 0) + extra_sleep());
  if (fail_flag(c)) {
    fprintf(stderr, "fake train: failing as the config asks (\"fail\": true)\n");
    cJSON_Delete(c);
    return 1;
  }
  cJSON *m = cJSON_CreateObject();
  cJSON_AddBoolToObject(m, "fake", 1);
  cJSON_AddStringToObject(m, "kind", kind);
  cJSON_AddItemToObject(m, "config", c);
  cJSON_AddNumberToObject(m, "seed", atof(seed));
  int rc = sgp_json_write(out, m, &e);
  cJSON_Delete(m);
  return rc ? die("train", &e) : 0;
}

/* a straight line to the goal (through the hole) for beta = 0, an arc around it for beta > 0 */
static void fake_path(double s, double beta, double *p) {
  double x = 0.8 - 1.6 * s;
  double y = 0.2 + (beta > 0 ? 0.55 * sin(M_PI * s) : 0.0);
  p[0] = x, p[1] = y;
}

static int write_rollouts(const char *dir, int ep, int steps, int H, double beta, double wobble, sgp_err *e) {
  if (sgp_mkdirs(dir, e)) return -1;
  float *x = sgp_malloc(sizeof *x * (size_t)(steps + 1) * 2);
  float *u = sgp_malloc(sizeof *u * (size_t)steps * 2);
  float *px = sgp_malloc(sizeof *px * (size_t)steps * (H + 1) * 2);
  for (int t = 0; t <= steps; t++) {
    double p[2];
    fake_path((double)t / steps, beta, p);
    x[2 * t] = (float)p[0], x[2 * t + 1] = (float)(p[1] + wobble * sin(7.0 * t / steps));
  }
  for (int t = 0; t < steps; t++)
    for (int k = 0; k < 2; k++) u[2 * t + k] = x[2 * (t + 1) + k] - x[2 * t + k];
  for (int t = 0; t < steps; t++)
    for (int h = 0; h <= H; h++) {
      double p[2], s = fmin(1.0, (double)(t + h * (double)steps / H) / steps);
      fake_path(s, beta, p);
      px[(t * (H + 1) + h) * 2] = (float)p[0];
      px[(t * (H + 1) + h) * 2 + 1] = (float)(beta > 0 ? p[1] : p[1] - 0.05 * sin(M_PI * s));
    }
  char path[4096];
  int64_t s1[2] = {steps + 1, 2}, s2[2] = {steps, 2}, s3[3] = {steps, H + 1, 2};
  int rc = 0;
  snprintf(path, sizeof path, "%s/ep%d_x.npy", dir, ep);
  rc = rc ? rc : sgp_npy_write_raw(path, SGP_F32, 2, s1, x, e);
  snprintf(path, sizeof path, "%s/ep%d_u.npy", dir, ep);
  rc = rc ? rc : sgp_npy_write_raw(path, SGP_F32, 2, s2, u, e);
  snprintf(path, sizeof path, "%s/ep%d_plan_x.npy", dir, ep);
  rc = rc ? rc : sgp_npy_write_raw(path, SGP_F32, 3, s3, px, e);
  free(x), free(u), free(px);
  return rc;
}

/* The run's dataset and models exist (as the real eval would need them). Prints why not. */
static int fake_inputs_ok(const cJSON *c) {
  const cJSON *ds = cJSON_GetObjectItemCaseSensitive(c, "dataset");
  const cJSON *models = cJSON_GetObjectItemCaseSensitive(c, "models");
  char path[4096];
  snprintf(path, sizeof path, "%s/manifest.json", cJSON_IsString(ds) ? ds->valuestring : "");
  if (!sgp_path_exists(path)) {
    fprintf(stderr, "fake eval: %s: no dataset\n", path);
    return 0;
  }
  for (const cJSON *m = models ? models->child : NULL; m; m = m->next)
    if (!cJSON_IsString(m) || !sgp_path_exists(m->valuestring)) {
      fprintf(stderr, "fake eval: model '%s' missing\n", m->string);
      return 0;
    }
  return 1;
}

static cJSON *fake_result_header(const cJSON *c, const char *ename, int two, long seed) {
  cJSON *res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "schema_version", 1);
  cJSON_AddStringToObject(res, "kind", "run");
  cJSON_AddBoolToObject(res, "fake", 1);
  cJSON_AddItemToObject(res, "config", cJSON_Duplicate(c, 1));
  char key[17];
  sweep_key(c, key);
  cJSON_AddStringToObject(res, "config_hash", key);
  cJSON_AddNumberToObject(res, "seed", (double)seed);
  cJSON *ej = cJSON_AddObjectToObject(res, "env");
  cJSON_AddStringToObject(ej, "name", ename);
  cJSON_AddNumberToObject(ej, "nx", two ? 2 : 4);
  if (two) {
    cJSON_AddNullToObject(ej, "ref_random");
    cJSON_AddNullToObject(ej, "ref_expert");
  } else {
    cJSON_AddNumberToObject(ej, "ref_random", -100);
    cJSON_AddNumberToObject(ej, "ref_expert", 0);
  }
  cJSON *ver = sgp_versions_json();
  cJSON_AddStringToObject(ver, "mujoco", "none (fake job)");
  cJSON_AddItemToObject(res, "versions", ver);
  return res;
}

/* Sums of the episodes' figures, for the summary. */
typedef struct fake_sums {
  double ret, ns, succ, cost, dist, gap;
} fake_sums;

/* One episode's figures: a deterministic function of quality q, beta and the noise stream. */
static cJSON *fake_episode(int ep, int steps, int two, double q, double beta, double t0, sgp_rng *r,
                           fake_sums *s, double *z_out) {
  double z = sgp_rng_normal(r);
  double ret = -100 * (1 - q) + 5 * z;
  int succ = sgp_rng_uniform(r) < q;
  double cost = (1 - q) + 0.1 * fabs(z), dist = (beta > 0 ? 0.05 : 0.6) + 0.01 * fabs(z);
  double gap = (beta > 0 ? 0.01 : 0.2) * (1 + 0.1 * fabs(z));
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "index", ep);
  cJSON_AddNumberToObject(o, "return", ret);
  if (two) cJSON_AddNullToObject(o, "normalized_score");
  else cJSON_AddNumberToObject(o, "normalized_score", 100 * (ret + 100) / 100);
  cJSON_AddBoolToObject(o, "success", succ);
  cJSON_AddNumberToObject(o, "final_cost", cost);
  cJSON_AddNumberToObject(o, "steps", steps);
  cJSON_AddNumberToObject(o, "max_data_distance", dist);
  cJSON_AddNumberToObject(o, "plan_gap", gap);
  cJSON_AddBoolToObject(o, "failed", 0);
  cJSON_AddNullToObject(o, "error");
  cJSON *t = cJSON_AddObjectToObject(o, "timing");
  cJSON_AddNumberToObject(t, "plan_ms_per_step", 1000 * (sgp_now() - t0) / steps + 0.5);
  cJSON_AddNumberToObject(t, "sim_ms_per_step", 0.01);
  s->ret += ret, s->ns += 100 * (ret + 100) / 100, s->succ += succ, s->cost += cost, s->dist += dist, s->gap += gap;
  *z_out = z;
  return o;
}

static void fake_summary(cJSON *res, const fake_sums *s, int episodes, int two, int H, double beta) {
  cJSON *j = cJSON_AddObjectToObject(res, "summary");
  cJSON_AddNumberToObject(j, "return_mean", s->ret / episodes);
  if (two) cJSON_AddNullToObject(j, "normalized_score_mean");
  else cJSON_AddNumberToObject(j, "normalized_score_mean", s->ns / episodes);
  cJSON_AddNumberToObject(j, "success_rate", s->succ / episodes);
  cJSON_AddNumberToObject(j, "final_cost_mean", s->cost / episodes);
  cJSON_AddNumberToObject(j, "max_data_distance_mean", s->dist / episodes);
  cJSON_AddNumberToObject(j, "plan_gap_mean", s->gap / episodes);
  cJSON_AddNumberToObject(j, "episodes", episodes);
  cJSON_AddNumberToObject(j, "failed_episodes", 0);
  cJSON_AddNumberToObject(j, "model_rows_per_plan", 100.0 * H);
  cJSON_AddNumberToObject(j, "score_rows_per_plan", beta > 0 ? 100.0 * H : 0);
}

static int fake_eval(int argc, char **argv) {
  const char *cfg = opt(argc, argv, "--config"), *out = opt(argc, argv, "--out"),
             *roll = opt(argc, argv, "--save-rollout");
  sgp_err e;
  if (!cfg || !out) {
    fprintf(stderr, "fake eval: usage: eval --config RUN.json --out RESULT.json [--save-rollout DIR]\n");
    return 2;
  }
  double t0 = sgp_now();
  cJSON *c;
  if (sgp_json_load(cfg, &c, &e)) return die("eval", &e);
  const cJSON *planner = cJSON_GetObjectItemCaseSensitive(c, "planner");
  if (!fake_inputs_ok(c)) {
    cJSON_Delete(c);
    return 1;
  }
  printf("fake eval\n");
  sleep_ms(num(planner, "sleep_ms", 0) + extra_sleep());
  if (fail_flag(planner)) {
    fprintf(stderr, "fake eval: failing as the planner config asks (\"fail\": true)\n");
    cJSON_Delete(c);
    return 1;
  }
  const char *ename = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "env"), "name")->valuestring;
  const fake_env *fe = fake_env_find(ename);
  int two = fe && !fe->has_ref, H = (int)num(planner, "horizon", 10), steps = 20;
  double q = num(planner, "quality", 0.5), beta = num(planner, "beta", 0);
  long seed = (long)num(c, "seed", 0);
  if (seed < num(planner, "flip_below", -1)) q = 1 - q;
  int episodes = (int)num(cJSON_GetObjectItemCaseSensitive(c, "eval"), "episodes", 3);
  char *pc = sweep_canonical(planner);
  sgp_rng r;
  sgp_rng_stream(&r, sgp_hash64(pc, strlen(pc), (uint64_t)seed), "noise");
  free(pc);
  cJSON *res = fake_result_header(c, ename, two, seed);
  cJSON *eps = cJSON_AddArrayToObject(res, "episodes");
  fake_sums sums = {0, 0, 0, 0, 0, 0};
  int rc = 0;
  for (int ep = 0; ep < episodes && !rc; ep++) {
    double z;
    cJSON_AddItemToArray(eps, fake_episode(ep, steps, two, q, beta, t0, &r, &sums, &z));
    if (roll) rc = write_rollouts(roll, ep, steps, H, beta, 0.03 * z, &e);
  }
  if (!rc) {
    fake_summary(res, &sums, episodes, two, H, beta);
    cJSON *t = cJSON_AddObjectToObject(res, "timing");
    cJSON_AddNumberToObject(t, "total_s", sgp_now() - t0);
    /* the modelled planning time: plan_ms per step and episode (x samples / 100) */
    double ns = num(planner, "samples", 0), tsteps = num(cJSON_GetObjectItemCaseSensitive(c, "eval"), "steps", steps);
    double plan_cpu_s = episodes * tsteps * num(planner, "plan_ms", 0) * (ns > 0 ? ns / 100 : 1) / 1000;
    cJSON_AddNumberToObject(t, "plan_s", plan_cpu_s * num(planner, "wall_factor", 1));
    cJSON_AddNumberToObject(t, "plan_cpu_s", plan_cpu_s);
    rc = sgp_json_write(out, res, &e);
  }
  cJSON_Delete(res);
  cJSON_Delete(c);
  return rc ? die("eval", &e) : 0;
}

int sweep_fake_job(int argc, char **argv) {
  /* argv[0] = "collect" | "train" | "eval", then the same arguments as the real verb */
  if (argc < 1) return 2;
  if (!strcmp(argv[0], "collect")) return fake_collect(argc, argv);
  if (!strcmp(argv[0], "train")) return fake_train(argc, argv);
  if (!strcmp(argv[0], "eval")) return fake_eval(argc, argv);
  fprintf(stderr, "sgp sweep --fake-job: unknown job '%s'\n", argv[0]);
  return 2;
}
