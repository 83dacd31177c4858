/* The registries a sweep is validated against: the built-in environments (envs/env.h; the config
 * is validated by creating the environment once) and planners (agents/planner.h; needs() reads
 * and validates the planner's parameters and says which models to train). */
#include "agents/models.h"
#include "agents/planner.h"
#include "bench/eval.h"
#include "bench/sweep.h"
#include "datasets/dataset.h"
#include "datasets/policy.h"
#include "envs/env.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The planar figure's extent, goal and excluded disk come from the data box when the box is the
 * state itself (nbx == nx); the excluded disk (box dimensions 0 and 1) only when the figure shows
 * those two dimensions. */
void sweep_env_describe(const env_spec *s, sweep_env_info *out) {
  memset(out, 0, sizeof *out);
  out->nx = s->nx;
  out->nu = s->nu;
  out->has_ref = s->has_ref;
  out->T = s->T;
  out->fig = s->figure;
  out->nmetrics = s->nmetrics;
  memcpy(out->metrics, s->metrics, sizeof out->metrics);
  out->fig_box = s->figure_box;
  for (int k = 0; k < s->figure.n && k < ENV_FIG_MAX; k++) out->goal[k] = s->goal ? s->goal[s->figure.dims[k]] : NAN;
  if (s->figure.kind != ENV_FIG_PLANAR) return;
  const int *d = s->figure.dims;
  int box = s->has_box && (s->nbx == s->nx || s->figure_box);
  for (int k = 0; k < 2; k++) {
    out->box_lo[k] = box ? s->box_lo[d[k]] : -1;
    out->box_hi[k] = box ? s->box_hi[d[k]] : 1;
  }
  out->has_goal2 = s->goal != NULL;
  if (box && d[0] == 0 && d[1] == 1) {
    out->hole_c[0] = s->excluded.center[0];
    out->hole_c[1] = s->excluded.center[1];
    out->hole_r = s->excluded.radius;
  }
}

static int builtin_env_info(const char *name, cJSON *config, const char *file, const char *path,
                            sweep_env_info *out, sgp_err *e) {
  if (!env_find(name)) {
    /* path names the env entry's "name" or "config"; an unknown name is always about "name" */
    char p[128];
    snprintf(p, sizeof p, "%s", path);
    char *s = strrchr(p, '/');
    if (s) snprintf(s, sizeof p - (size_t)(s - p), "/name");
    sgp_fail_unknown(e, "environment", name, env_count(), env_name_at, NULL);
    return sgp_fail_prefix(e, "%s: %s", file, p);
  }
  char where[600];
  snprintf(where, sizeof where, "%s: %s", file, path);
  sgp_env *env;
  if (env_create(name, config, where, &env, e)) return -1;
  sweep_env_describe(&env->spec, out);
  env_destroy(env);
  return 0;
}

static int builtin_planner_needs(cJSON *planner, const char *file, const char *path, int *mask,
                                 sgp_err *e) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(planner, "name");
  const plan_vt *vt = cJSON_IsString(n) ? plan_find(n->valuestring) : NULL;
  if (!vt) {
    sgp_fail_unknown(e, "planner", cJSON_IsString(n) ? n->valuestring : "?", plan_count(),
                     plan_name_at, NULL);
    return sgp_fail_prefix(e, "%s: %s/name", file, path);
  }
  sgp_cfg c = sgp_cfg_root(planner, file);
  snprintf(c.path, sizeof c.path, "%s", path);
  return vt->needs(&c, mask, e);
}

/* The environments the jobs' checks create, one per name and config: a sweep's jobs share a few
 * (creating one compiles a MuJoCo model). */
typedef struct env_memo {
  int n;
  char **keys; /* name, a newline, the config's canonical JSON */
  sgp_env **envs;
} env_memo;

static int memo_env(env_memo *m, const char *name, const cJSON *config, const char *label, sgp_env **env,
                    sgp_err *e) {
  char *c = config ? sweep_canonical(config) : sgp_strdup("{}");
  size_t len = strlen(name) + strlen(c) + 2;
  char *key = sgp_malloc(len);
  snprintf(key, len, "%s\n%s", name, c);
  free(c);
  for (int i = 0; i < m->n; i++)
    if (!strcmp(m->keys[i], key)) {
      free(key);
      *env = m->envs[i];
      return 0;
    }
  cJSON *cfg = config ? cJSON_Duplicate(config, 1) : cJSON_CreateObject();
  int rc = env_create(name, cfg, label, env, e);
  cJSON_Delete(cfg);
  if (rc) {
    free(key);
    return -1;
  }
  m->keys = sgp_realloc(m->keys, sizeof *m->keys * (size_t)(m->n + 1));
  m->envs = sgp_realloc(m->envs, sizeof *m->envs * (size_t)(m->n + 1));
  m->keys[m->n] = key, m->envs[m->n++] = *env;
  return 0;
}

static void memo_free(env_memo *m) {
  for (int i = 0; i < m->n; i++) free(m->keys[i]), env_destroy(m->envs[i]);
  free(m->keys);
  free(m->envs);
}

/* A dataset job: the spec through the collector's own parser, on the environment it collects. */
static int check_data_job(const sweep_job *j, const char *label, env_memo *m, sgp_err *e) {
  cJSON *spec = cJSON_Duplicate(j->config, 1);
  sgp_env *env = NULL;
  int rc = memo_env(m, j->argv[2], j->config2, label, &env, e) || ds_spec_resolve(spec, label, env, e) ? -1 : 0;
  cJSON_Delete(spec);
  return rc;
}

/* A model job: its /train object through the trainer's reader (sgp train reads it the same way). */
static int check_model_job(const sweep_job *j, const char *label, sgp_err *e) {
  cJSON *cfg = cJSON_Duplicate(j->config, 1);
  sgp_cfg root = sgp_cfg_root(cfg, label), t;
  train_cfg tc;
  int rc = sgp_cfg_obj_opt(&root, "train", &t, e) || train_cfg_read(&t, &tc, e) ? -1 : 0;
  cJSON_Delete(cfg);
  return rc;
}

/* A run job: its fields, seed and evaluation protocol as sgp eval reads them. */
static int check_run_job(const sweep_job *j, const char *label, env_memo *m, sgp_err *e) {
  cJSON *run = cJSON_Duplicate(j->config, 1);
  sgp_cfg root = sgp_cfg_root(run, label);
  const cJSON *en = cJSON_GetObjectItemCaseSensitive(run, "env");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(en, "name");
  const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(en, "config");
  sgp_env *env = NULL;
  long seed, episodes, steps;
  int mode, bf16;
  int rc = eval_read_header(&root, &seed, e) ||
                   memo_env(m, cJSON_IsString(name) ? name->valuestring : "", cfg, label, &env, e) ||
                   eval_read_protocol(&root, env->spec.T, &episodes, &mode, &steps, &bf16, e)
               ? -1
               : 0;
  cJSON_Delete(run);
  return rc;
}

static int builtin_check_jobs(const sweep_job *jobs, int njobs, const char *file, sgp_err *e) {
  env_memo m = {0, NULL, NULL};
  int rc = 0;
  for (int i = 0; i < njobs && !rc; i++) {
    char label[1024];
    snprintf(label, sizeof label, "%s: %s", file, jobs[i].what);
    const sweep_job *j = &jobs[i];
    rc = j->kind == SWEEP_DATA ? check_data_job(j, label, &m, e)
         : j->kind == SWEEP_MODEL ? check_model_job(j, label, e)
                                  : check_run_job(j, label, &m, e);
  }
  memo_free(&m);
  return rc;
}

/* States (rows × nx, float) -> the figure's coordinates (rows × fig.n): the state dimensions, or for
 * a figure in box coordinates (spec.figure_box) the data-box point of each state. */
static int builtin_decode(const char *name, const cJSON *config, const float *x, long rows, int nx, float *out,
                          sgp_err *e) {
  cJSON *copy = config ? cJSON_Duplicate(config, 1) : NULL;
  sgp_env *env;
  int rc = env_create(name, copy, "decode", &env, e);
  cJSON_Delete(copy);
  if (rc) return -1;
  const env_figure *f = &env->spec.figure;
  if (nx != env->spec.nx) {
    env_destroy(env);
    return sgp_fail(e, "%s: states have %d columns, the environment nx = %d", name, nx, env->spec.nx);
  }
  double *xs = sgp_malloc(sizeof *xs * (size_t)nx), b[ENV_MAX_BOX];
  for (long i = 0; i < rows; i++) {
    for (int k = 0; k < nx; k++) xs[k] = x[i * nx + k];
    if (env->spec.figure_box) env_state_to_box(env, xs, b);
    for (int k = 0; k < f->n; k++) out[i * f->n + k] = (float)(env->spec.figure_box ? b[f->dims[k]] : xs[f->dims[k]]);
  }
  free(xs);
  env_destroy(env);
  return 0;
}

static const sweep_registry builtin = {"built-in", builtin_env_info, builtin_planner_needs, 0, builtin_check_jobs, builtin_decode};

const sweep_registry *sweep_registry_builtin(void) { return &builtin; }
