/* Closed-loop evaluation (`sgp eval`): the planner acts, the true MuJoCo environment answers.
 * Contract: docs/run-format.md. Everything outside `timing` objects is a deterministic function of
 * the resolved config and the seed. */
#include "bench/eval.h"

#include "agents/adapters.h"
#include "agents/cost_model.h"
#include "agents/dde.h"
#include "agents/distance.h"
#include "agents/model_file.h"
#include "agents/dynamics.h"
#include "agents/score.h"
#include "core/array.h"
#include "core/err.h"
#include "core/files.h"
#include "core/json.h"
#include "core/nn_kernels.h"
#include "core/npy.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/sha256.h"
#include "core/sys.h"
#include "datasets/dataset.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ============================== the environment as planner models ========================== */

static void envcost_running(const void *self, int B, const float *x, const float *u, float *c,
                            float *gx, float *gu) {
  env_cost_batch(self, B, x, u, c, gx, gu);
}

static void envcost_terminal(const void *self, int B, const float *x, float *c, float *gx) {
  env_terminal_cost_batch(self, B, x, c, gx);
}

static void envcost_terminated(const void *self, int B, const float *x, float *done) {
  env_terminated_batch(self, B, x, done);
}

/* The planner's cost for one holder (a thread): the environment's task cost, or the learned
 * running cost (its own workspace; release with adapt_cost_release) paired with the environment's
 * termination rule. */
static plan_cost planner_cost(const sgp_env *env, const cost_model *learned) {
  plan_cost c = eval_env_cost(env);
  if (!learned) return c;
  plan_cost l;
  adapt_cost(learned, 1024, &l);
  l.term_self = c.term_self;
  l.terminated = c.terminated;
  return l;
}

plan_cost eval_env_cost(const sgp_env *env) {
  plan_cost c = {.self = env, .running = envcost_running, .terminal = envcost_terminal};
  if (env->ops->terminated_batch) c.term_self = env, c.terminated = envcost_terminated;
  return c;
}

typedef struct truth_ws {
  sgp_env *env;
  int nx, nu;
  double *x, *u, *xn;
} truth_ws;

static void *truth_ws_create(const void *model, int maxB, int T) {
  (void)maxB;
  (void)T;
  const eval_truth *t = model;
  sgp_err e;
  cJSON *cfg = cJSON_Duplicate(t->env_cfg, 1);
  sgp_env *env = NULL;
  int rc = env_create(t->env_name, cfg, "truth", &env, &e);
  cJSON_Delete(cfg);
  if (rc) return NULL;
  truth_ws *w = sgp_calloc(1, sizeof *w);
  w->env = env;
  w->nx = env->spec.nx;
  w->nu = env->spec.nu;
  w->x = sgp_calloc((size_t)w->nx, sizeof(double));
  w->xn = sgp_calloc((size_t)w->nx, sizeof(double));
  w->u = sgp_calloc((size_t)w->nu, sizeof(double));
  return w;
}

static void truth_ws_free(void *p) {
  truth_ws *w = p;
  if (!w) return;
  env_destroy(w->env);
  free(w->x);
  free(w->xn);
  free(w->u);
  free(w);
}

/* Rows one by one through the simulator: set the state, step one control period. */
static int truth_forward(const void *model, void *ws, int t, int B, const float *x, const float *u,
                         float *xnext) {
  (void)model;
  (void)t;
  truth_ws *w = ws;
  sgp_err e;
  for (int r = 0; r < B; r++) {
    for (int i = 0; i < w->nx; i++) w->x[i] = x[(size_t)r * w->nx + i];
    for (int i = 0; i < w->nu; i++) w->u[i] = u[(size_t)r * w->nu + i];
    double reward;
    int term;
    if (env_set_state(w->env, w->x, &e) || env_step(w->env, w->u, w->xn, &reward, &term, &e))
      return -1;
    for (int i = 0; i < w->nx; i++) xnext[(size_t)r * w->nx + i] = (float)w->xn[i];
  }
  return 0;
}

static const plan_dyn_vt truth_vt = {"sim", truth_ws_create, truth_ws_free, truth_forward, NULL, NULL, NULL};

void eval_truth_dyn(const eval_truth *t, int nx, int nu, plan_dyn *out) {
  out->vt = &truth_vt;
  out->model = t;
  out->nx = nx;
  out->nu = nu;
  out->K = 1;
}

/* ============================== distance of visited (x,u) to the data ====================== */
/* Exact nearest neighbour in the dataset's normalised (x,u) coordinates (per-dimension standard
 * deviation 1), in double: the number is a reported metric, so it is computed by brute force. */
typedef struct data_nn {
  int64_t n;
  int D;
  float *z;        /* n × D normalised */
  double *shift, *scale;
} data_nn;

static void data_nn_init(data_nn *nn, const ds_data *ds) {
  int D = ds->nx + ds->nu;
  nn->n = ds->n;
  nn->D = D;
  nn->shift = sgp_calloc((size_t)D, sizeof(double));
  nn->scale = sgp_calloc((size_t)D, sizeof(double));
  for (int k = 0; k < D; k++) {
    double s = 0, ss = 0;
    for (int64_t i = 0; i < ds->n; i++) {
      double v = k < ds->nx ? ds->x[i * ds->nx + k] : ds->u[i * ds->nu + (k - ds->nx)];
      s += v;
      ss += v * v;
    }
    double mean = s / (double)ds->n, var = ss / (double)ds->n - mean * mean;
    nn->shift[k] = mean;
    nn->scale[k] = var > 1e-12 ? sqrt(var) : 1.0;
  }
  nn->z = sgp_falloc((size_t)ds->n * D);
  for (int64_t i = 0; i < ds->n; i++)
    for (int k = 0; k < D; k++) {
      double v = k < ds->nx ? ds->x[i * ds->nx + k] : ds->u[i * ds->nu + (k - ds->nx)];
      nn->z[i * D + k] = (float)((v - nn->shift[k]) / nn->scale[k]);
    }
}

static void data_nn_free(data_nn *nn) {
  free(nn->z);
  free(nn->shift);
  free(nn->scale);
}

static double data_nn_dist(const data_nn *nn, const double *x, int nx, const double *u, int nu) {
  double q[512];
  int D = nn->D;
  for (int k = 0; k < D && k < 512; k++) {
    double v = k < nx ? x[k] : u[k - nx];
    q[k] = (v - nn->shift[k]) / nn->scale[k];
  }
  (void)nu;
  double best = INFINITY;
  for (int64_t i = 0; i < nn->n; i++) {
    const float *zi = nn->z + i * D;
    double d2 = 0;
    for (int k = 0; k < D && d2 < best; k++) {
      double d = q[k] - zi[k];
      d2 += d * d;
    }
    if (d2 < best) best = d2;
  }
  return sqrt(best);
}

/* The exact-distance index over the data's (x,u), metric 1/std² per dimension (so σ is in the
 * same normalised units as the score models'). */
static dist_index *xu_distance_index(const ds_data *ds, sgp_err *e) {
  int D = ds->nx + ds->nu;
  float *Z = sgp_falloc((size_t)ds->n * D), *w = sgp_falloc((size_t)D);
  for (int64_t i = 0; i < ds->n; i++) {
    memcpy(Z + i * D, ds->x + i * ds->nx, sizeof(float) * ds->nx);
    memcpy(Z + i * D + ds->nx, ds->u + i * ds->nu, sizeof(float) * ds->nu);
  }
  for (int k = 0; k < D; k++) {
    double s = 0, ss = 0;
    for (int64_t i = 0; i < ds->n; i++) {
      s += Z[i * D + k];
      ss += (double)Z[i * D + k] * Z[i * D + k];
    }
    double mean = s / (double)ds->n, var = ss / (double)ds->n - mean * mean;
    w[k] = (float)(1.0 / (var > 1e-12 ? var : 1.0));
  }
  dist_index *idx = dist_create(Z, ds->n, D, w, e);
  free(Z);
  free(w);
  return idx;
}

/* ============================== the run ==================================================== */

typedef struct run_models {
  ds_data ds;
  int have_ds;
  dyn_model *dyn, *ens;
  score_model *score;
  dde_model *dde;
  cost_model *cost; /* the learned running cost (planner option "cost": "learned"), or NULL */
  dist_index *dist_idx;
  plan_dyn pdyn, pens, ptruth;
  plan_score pscore;
  plan_dist pdist;
  int have_pscore, have_pdist;
  eval_truth truth;
  cJSON *hashes; /* {"score": sgp_st_tensors_sha256 of its file, ...} of the models loaded */
} run_models;

/* The loaded networks no longer change: pack them for the inference kernels (core/nn_kernels.h),
 * whose rows do not depend on the batch, so that lockstep equals one episode at a time. */
static void freeze_models(run_models *m, nn_wtype wt) {
  for (int k = 0; m->dyn && k < m->dyn->K; k++) nn_freeze(m->dyn->net[k], wt);
  for (int k = 0; m->ens && k < m->ens->K; k++) nn_freeze(m->ens->net[k], wt);
  if (m->score) nn_freeze(m->score->net, wt);
  if (m->dde) nn_freeze(m->dde->net, wt);
  if (m->cost) nn_freeze(m->cost->net, wt);
}

static void run_models_free(run_models *m) {
  for (int k = 0; m->dyn && k < m->dyn->K; k++) nn_thaw(m->dyn->net[k]);
  for (int k = 0; m->ens && k < m->ens->K; k++) nn_thaw(m->ens->net[k]);
  if (m->have_pscore) adapt_score_release(&m->pscore);
  if (m->have_pdist) adapt_dist_release(&m->pdist);
  if (m->dyn) dyn_free(m->dyn);
  if (m->ens) dyn_free(m->ens);
  if (m->score) score_free(m->score);
  if (m->dde) dde_free(m->dde);
  if (m->cost) cost_free(m->cost);
  if (m->dist_idx) dist_free(m->dist_idx);
  if (m->have_ds) ds_free(&m->ds);
  cJSON_Delete(m->hashes);
}

static const char *const model_keys[] = {"dynamics", "ensemble", "score", "dde", "cost", NULL};

/* Path of a required model, or an error naming the field and who needs it; the hash of its
 * tensors is recorded in m->hashes (the result's "models_sha256"). */
static int need_model(sgp_cfg *models, const char *key, const char *planner, run_models *m, const char **path,
                      sgp_err *e) {
  if (!sgp_cfg_has(models, key))
    return sgp_fail(e, "%s: %s/%s: missing (planner '%s' needs a %s model)", models->file,
                    models->path, key, planner, key);
  if (sgp_cfg_str(models, key, path, e)) return -1;
  sgp_st st;
  if (mf_open(*path, NULL, &st, e)) return -1;
  char hex[65];
  sgp_st_tensors_sha256(&st, hex);
  sgp_st_free(&st);
  if (!m->hashes) m->hashes = cJSON_CreateObject();
  cJSON_AddStringToObject(m->hashes, key, hex);
  return 0;
}

/* Loads the dataset and models the planner's mask asks for and builds the planner context. */
static int load_models(sgp_cfg *root, sgp_cfg *models, int mask, const char *planner_name,
                       const sgp_env *env, run_models *m, plan_ctx *ctx, sgp_err *e) {
  int nx = env->spec.nx, nu = env->spec.nu;
  const char *path;
  if (sgp_cfg_has(root, "dataset")) {
    if (sgp_cfg_str(root, "dataset", &path, e)) return -1;
    if (ds_load(path, &m->ds, e)) return -1;
    m->have_ds = 1;
    if (m->ds.nx != nx || m->ds.nu != nu)
      return sgp_fail(e, "%s: /dataset: dataset %s has nx=%d nu=%d, environment %s has nx=%d nu=%d",
                      root->file, path, m->ds.nx, m->ds.nu, env->spec.name, nx, nu);
  } else if (mask & PLAN_NEEDS_DIST) {
    return sgp_fail(e, "%s: /dataset: missing (planner '%s' needs the dataset for its distance "
                    "penalty)", root->file, planner_name);
  }
  if (mask & PLAN_NEEDS_DYN) {
    if (need_model(models, "dynamics", planner_name, m, &path, e)) return -1;
    if (!(m->dyn = dyn_load(path, "dynamics", e))) return -1;
    if (dyn_check_dims(m->dyn, path, env->spec.name, nx, nu, e)) return -1;
    adapt_dyn(m->dyn, &m->pdyn);
    ctx->dyn = &m->pdyn;
  }
  if (mask & PLAN_NEEDS_ENSEMBLE) {
    if (need_model(models, "ensemble", planner_name, m, &path, e)) return -1;
    if (!(m->ens = dyn_load(path, "ensemble", e))) return -1;
    if (dyn_check_dims(m->ens, path, env->spec.name, nx, nu, e)) return -1;
    adapt_dyn(m->ens, &m->pens);
    ctx->ensemble = &m->pens;
  }
  if (mask & PLAN_NEEDS_SCORE) {
    if (need_model(models, "score", planner_name, m, &path, e)) return -1;
    if (!(m->score = score_load(path, e))) return -1;
    if (score_check_dims(m->score, path, nx, nu, e)) return -1;
    if (adapt_score(m->score, path, &m->pscore, e)) return -1;
    m->have_pscore = 1;
    ctx->score = &m->pscore;
  }
  if (mask & PLAN_NEEDS_DDE) {
    if (need_model(models, "dde", planner_name, m, &path, e)) return -1;
    if (!(m->dde = dde_load(path, e))) return -1;
    if (dde_check_dims(m->dde, path, nx, nu, e)) return -1;
    if (adapt_dist_dde(m->dde, path, &m->pdist, e)) return -1;
    m->have_pdist = 1;
    ctx->dist = &m->pdist;
  }
  if (mask & PLAN_NEEDS_COST) {
    if (need_model(models, "cost", planner_name, m, &path, e)) return -1;
    if (!(m->cost = cost_load(path, e))) return -1;
    if (cost_check_dims(m->cost, path, env->spec.name, nx, nu, e)) return -1;
  }
  if (mask & PLAN_NEEDS_DIST) {
    /* exact d_σ over the data's (x,u) in normalised coordinates (metric 1/std²) */
    /* σ of the exact d_σ: the planner's "distance_sigma" (validated and defaulted by its needs()) */
    sgp_cfg pl;
    double sigma;
    if (sgp_cfg_obj(root, "planner", &pl, e) || sgp_cfg_num(&pl, "distance_sigma", &sigma, e))
      return -1;
    if (!(m->dist_idx = xu_distance_index(&m->ds, e))) return -1;
    if (adapt_dist_exact(m->dist_idx, PLAN_Z_XU, (float)sigma, &m->pdist, e)) return -1;
    m->have_pdist = 1;
    ctx->dist = &m->pdist;
  }
  return 0;
}

typedef struct ep_result {
  uint64_t seed;
  double ret, score, final_cost, max_dd, gap;
  int success, steps, fallbacks, failed, has_score;
  int plans;                   /* act() calls (MPC: every step; open loop: one) */
  double model_rows, score_rows; /* rows through the models, summed over the plans */
  long warnings;
  double plan_s, sim_s;
  double envm[ENV_MAX_METRICS]; /* the environment's own metrics (envs/env.h spec.metrics) */
  int nplans;                   /* plans summed into the ENV_METRIC_PLAN ones */
  double plan_cpu_s; /* CPU time of the planning thread: robust to other processes on the cores */
  double gn_sum, gcn_sum; /* plan_diag grad_norm, cost_grad_norm summed over the plans that have them */
  int gn_n;
  char error[1100];
} ep_result;

/* Rollout buffers of one episode (for --save-rollout). */
#define TRACE_STEP_COLS 5   /* ep<e>_step.npy: reward, objective, cost, penalty, data distance */
#define TRACE_TIMING_COLS 2 /* ep<e>_timing.npy: plan ms, sim ms */
typedef struct ep_trace {
  float *x, *u, *plan_x, *cand_x;
  int H, ncand;    /* horizon and candidate slots per step */
  int ncand_seen;  /* candidates the planner actually exposed (0: not a sampling planner) */
  double *step;    /* steps × TRACE_STEP_COLS (NaN: not known at that step) */
  double *timing;  /* steps × TRACE_TIMING_COLS */
  int nq, nv;      /* > 0: the simulator state is saved too (spec.store_sim_state) */
  double *qpos, *qvel; /* (steps+1)×nq, (steps+1)×nv */
} ep_trace;

static int save_npy(const char *dir, int ep, const char *what, int ndim, const int64_t *shape,
                    const float *data, sgp_err *e) {
  char name[64];
  snprintf(name, sizeof name, "ep%d_%s.npy", ep, what);
  char *p = sgp_path_join(dir, name);
  int rc = sgp_npy_write_raw(p, SGP_F32, ndim, shape, data, e);
  free(p);
  return rc;
}

static int save_npy64(const char *dir, int ep, const char *what, int64_t rows, int64_t cols,
                      const double *data, sgp_err *e) {
  char name[64];
  snprintf(name, sizeof name, "ep%d_%s.npy", ep, what);
  char *p = sgp_path_join(dir, name);
  int rc = sgp_npy_write_raw(p, SGP_F64, 2, (int64_t[]){rows, cols}, data, e);
  free(p);
  return rc;
}

/* docs/run-format.md: ep<e>_x, ep<e>_u, ep<e>_plan_x, ep<e>_step, ep<e>_timing, for environments
 * whose state does not determine the simulator's ep<e>_qpos and ep<e>_qvel, and for sampling
 * planners ep<e>_cand_x. */
static int save_trace(const char *dir, int ep, const ep_trace *tr, int steps, int nx, int nu,
                      sgp_err *e) {
  int64_t sx[2] = {steps + 1, nx}, su[2] = {steps, nu};
  int64_t sp[3] = {steps, tr->H + 1, nx};
  if (save_npy(dir, ep, "x", 2, sx, tr->x, e) || save_npy(dir, ep, "u", 2, su, tr->u, e) ||
      save_npy(dir, ep, "plan_x", 3, sp, tr->plan_x, e) ||
      save_npy64(dir, ep, "step", steps, TRACE_STEP_COLS, tr->step, e) ||
      save_npy64(dir, ep, "timing", steps, TRACE_TIMING_COLS, tr->timing, e))
    return -1;
  if (tr->nq > 0 && (save_npy64(dir, ep, "qpos", steps + 1, tr->nq, tr->qpos, e) ||
                     save_npy64(dir, ep, "qvel", steps + 1, tr->nv, tr->qvel, e)))
    return -1;
  if (tr->ncand_seen == 0) return 0;
  /* candidates were stored with a stride of ncand slots per step; keep the ones seen */
  size_t per = (size_t)(tr->H + 1) * nx;
  float *c = sgp_falloc((size_t)steps * tr->ncand_seen * per);
  for (int t = 0; t < steps; t++)
    memcpy(c + (size_t)t * tr->ncand_seen * per, tr->cand_x + (size_t)t * tr->ncand * per,
           sizeof(float) * tr->ncand_seen * per);
  int64_t sc[4] = {steps, tr->ncand_seen, tr->H + 1, nx};
  int rc = save_npy(dir, ep, "cand_x", 4, sc, c, e);
  free(c);
  return rc;
}

/* ------------------------------------------------------------------ episodes in lockstep */
/* A run's episodes are planned together (agents/planner.h, act_lanes): one planner with L lanes
 * takes up to L episodes at a time, each with its own simulator; at every step one act_lanes
 * call plans for all of them that are still running (an episode that ends leaves the batch),
 * then the simulators step one by one. With frozen networks each episode's result is the one it
 * would have alone (docs/planners.md, "Lockstep"). */

static void trace_free(ep_trace *tr) {
  free(tr->x);
  free(tr->u);
  free(tr->plan_x);
  free(tr->cand_x);
  free(tr->step);
  free(tr->timing);
  free(tr->qpos);
  free(tr->qvel);
  memset(tr, 0, sizeof *tr);
}

/* Zeroed rollout buffers for an episode of `steps` steps with plans of horizon H (the per-step
 * numbers NaN until known); the simulator states too when env stores them. */
static void trace_alloc(ep_trace *tr, int H, long steps, const sgp_env *env) {
  int nx = env->spec.nx, nu = env->spec.nu;
  trace_free(tr);
  tr->step = sgp_malloc(sizeof(double) * (size_t)(steps > 0 ? steps : 1) * TRACE_STEP_COLS);
  for (long i = 0; i < steps * TRACE_STEP_COLS; i++) tr->step[i] = NAN;
  tr->timing = sgp_calloc((size_t)(steps > 0 ? steps : 1) * TRACE_TIMING_COLS, sizeof(double));
  if (env->spec.store_sim_state) {
    env_sim_dims(env, &tr->nq, &tr->nv);
    tr->qpos = sgp_calloc((size_t)(steps + 1) * tr->nq, sizeof(double));
    tr->qvel = sgp_calloc((size_t)(steps + 1) * tr->nv, sizeof(double));
  }
  tr->H = H;
  tr->ncand = 8; /* slots; sampling planners expose their candidates only after act */
  tr->ncand_seen = 0;
  size_t nxs = (size_t)(steps + 1) * nx, nus = (size_t)steps * nu, nps = (size_t)steps * (H + 1) * nx;
  tr->x = sgp_falloc(nxs);
  tr->u = sgp_falloc(nus);
  tr->plan_x = sgp_falloc(nps);
  tr->cand_x = sgp_falloc(nps * tr->ncand);
  memset(tr->x, 0, sizeof(float) * nxs);
  memset(tr->u, 0, sizeof(float) * nus);
  memset(tr->plan_x, 0, sizeof(float) * nps);
  memset(tr->cand_x, 0, sizeof(float) * nps * tr->ncand);
}

/* An episode in progress: its simulator, its lane of the planner and its buffers. */
typedef struct episode {
  sgp_env *env;
  planner *pl;
  int lane, open_loop, nx, nu, done, started;
  double *x, *xn, *u;
  double *open_u; /* open loop: the plan made at t = 0 */
  float *open_x;
  int H_open;
  const data_nn *dnn;
  ep_trace *tr;   /* NULL: no rollout saved */
  ep_result *r;
} episode;

static void fail_episode(ep_result *r, int t, const sgp_err *e) {
  r->failed = 1;
  if (t < 0) snprintf(r->error, sizeof r->error, "%s", e->msg);
  else snprintf(r->error, sizeof r->error, "step %d: %s", t, e->msg);
}

/* The plan of step t in the trace (and the candidates of sampling planners). */
static void trace_plan(ep_trace *tr, const plan_view *v, int t, int nx) {
  int H = v->T < tr->H ? v->T : tr->H;
  memcpy(tr->plan_x + (size_t)t * (tr->H + 1) * nx, v->x, sizeof(float) * (size_t)(H + 1) * nx);
  int nc = v->ncand < tr->ncand ? v->ncand : tr->ncand;
  if (nc > tr->ncand_seen) tr->ncand_seen = nc;
  for (int c = 0; c < nc; c++)
    memcpy(tr->cand_x + ((size_t)t * tr->ncand + c) * (tr->H + 1) * nx, v->cand_x + (size_t)c * (v->T + 1) * nx,
           sizeof(float) * (size_t)(H + 1) * nx);
}

/* The environment's per-plan metrics of plan v, summed into the episode (means at its end). */
static void plan_metrics(episode *ep, const plan_view *v) {
  const env_spec *sp = &ep->env->spec;
  if (sp->nmetrics == 0) return;
  size_t n = (size_t)(v->T + 1) * ep->nx;
  double *xs = sgp_malloc(sizeof(double) * n);
  for (size_t i = 0; i < n; i++) xs[i] = v->x[i];
  for (int i = 0; i < sp->nmetrics; i++)
    if (sp->metrics[i].kind == ENV_METRIC_PLAN) ep->r->envm[i] += env_metric_value(ep->env, i, xs, v->T + 1);
  ep->r->nplans++;
  free(xs);
}

/* What an episode keeps of the plan its lane just made: fallbacks, the open-loop plan, the trace. */
static void keep_plan(episode *ep, int t, const plan_diag *d, double plan_s, double cpu_s) {
  plan_view v;
  ep->r->fallbacks += d->fallback;
  ep->r->plans++;
  ep->r->model_rows += (double)d->model_rows;
  ep->r->score_rows += (double)d->score_rows;
  ep->r->plan_s += plan_s;
  ep->r->plan_cpu_s += cpu_s;
  if (!d->fallback && isfinite(d->grad_norm) && isfinite(d->cost_grad_norm))
    ep->r->gn_sum += d->grad_norm, ep->r->gcn_sum += d->cost_grad_norm, ep->r->gn_n++;
  ep->pl->vt->view_lane(ep->pl, ep->lane, &v);
  if (ep->open_loop) { /* keep the whole plan */
    ep->H_open = v.T;
    ep->open_u = sgp_calloc((size_t)v.T * ep->nu, sizeof(double));
    ep->open_x = sgp_falloc((size_t)(v.T + 1) * ep->nx);
    for (int i = 0; i < v.T * ep->nu; i++) ep->open_u[i] = v.u[i];
    memcpy(ep->open_x, v.x, sizeof(float) * (size_t)(v.T + 1) * ep->nx);
  }
  if (ep->tr) {
    trace_plan(ep->tr, &v, t, ep->nx);
    double *row = ep->tr->step + (size_t)t * TRACE_STEP_COLS;
    if (!d->fallback) row[1] = d->objective, row[2] = d->cost, row[3] = d->penalty;
    ep->tr->timing[(size_t)t * TRACE_TIMING_COLS] = 1e3 * plan_s;
  }
  plan_metrics(ep, &v);
}

/* The lockstep buffers of one planner: states, actions, lanes and diagnostics of L episodes. */
typedef struct lock_buf {
  int L;
  double *X, *U;
  int *lanes;
  plan_diag *d;
  episode **who;
} lock_buf;

/* One act_lanes call for the n running episodes run[0..n) at step t; each gets its share of the
 * time. A planner error ends all of them as failed. */
static double thread_cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void plan_lanes(lock_buf *lb, episode **run, int n, int t) {
  planner *pl = run[0]->pl;
  int nx = run[0]->nx, nu = run[0]->nu;
  for (int i = 0; i < n; i++) {
    lb->lanes[i] = run[i]->lane;
    memcpy(lb->X + (size_t)i * nx, run[i]->x, sizeof(double) * nx);
    memset(&lb->d[i], 0, sizeof lb->d[i]);
    lb->d[i].grad_norm = lb->d[i].cost_grad_norm = NAN; /* planners that do not compute them */
  }
  sgp_err e;
  double t0 = sgp_now(), c0 = thread_cpu_now();
  int rc = pl->vt->act_lanes(pl, n, lb->lanes, lb->X, lb->U, lb->d, &e);
  double share = (sgp_now() - t0) / n, cpu = (thread_cpu_now() - c0) / n;
  for (int i = 0; i < n; i++) {
    if (rc) {
      run[i]->r->plan_s += share;
      run[i]->r->plan_cpu_s += cpu;
      fail_episode(run[i]->r, t, &e);
      run[i]->done = 1;
      continue;
    }
    memcpy(run[i]->u, lb->U + (size_t)i * nu, sizeof(double) * nu);
    keep_plan(run[i], t, &lb->d[i], share, cpu);
  }
}

/* The action of step t into ep->u (MPC: the plan just made; open loop: the plan of t = 0) and
 * the state the plan in force predicts after it (*pred). Returns nonzero to end the episode. */
static int choose_action(episode *ep, int t, const float **pred) {
  ep_trace *tr = ep->tr;
  int nx = ep->nx;
  if (ep->open_loop) {
    if (t > 0 && tr) /* the plan made at t = 0, seen from step t */
      memcpy(tr->plan_x + (size_t)t * (tr->H + 1) * nx, tr->plan_x, sizeof(float) * (size_t)(tr->H + 1) * nx);
    if (t >= ep->H_open) return 1; /* cannot happen: horizon checked at set-up */
    for (int i = 0; i < ep->nu; i++) ep->u[i] = ep->open_u[(size_t)t * ep->nu + i];
    *pred = ep->open_x + (size_t)(t + 1) * nx;
    return 0;
  }
  plan_view v; /* MPC re-plans, so the prediction is the plan's x[1] */
  ep->pl->vt->view_lane(ep->pl, ep->lane, &v);
  *pred = v.x + nx; /* valid until the next act */
  return 0;
}

/* Step t in the trace: the action, the state reached (and the simulator's), reward, time. */
static void trace_step(ep_trace *tr, const episode *ep, int t, double reward, double sim_s) {
  int nx = ep->nx, nu = ep->nu;
  for (int i = 0; i < nu; i++) tr->u[(size_t)t * nu + i] = (float)ep->u[i];
  for (int i = 0; i < nx; i++) tr->x[(size_t)(t + 1) * nx + i] = (float)ep->xn[i];
  tr->step[(size_t)t * TRACE_STEP_COLS] = reward;
  tr->timing[(size_t)t * TRACE_TIMING_COLS + 1] = 1e3 * sim_s;
  if (tr->nq > 0)
    env_get_sim_state(ep->env, tr->qpos + (size_t)(t + 1) * tr->nq, tr->qvel + (size_t)(t + 1) * tr->nv);
}

/* The true environment takes step t: return, plan gap and trace. Returns 0, or nonzero to end the
 * episode (termination, or a simulator error recorded in ep->r). */
static int sim_step(episode *ep, int t, const float *pred) {
  ep_result *r = ep->r;
  int nx = ep->nx;
  double reward;
  int term = 0;
  sgp_err e;
  double t0 = sgp_now();
  int rc = env_step(ep->env, ep->u, ep->xn, &reward, &term, &e);
  double sim_s = sgp_now() - t0;
  r->sim_s += sim_s;
  if (rc) {
    fail_episode(r, t, &e);
    return -1;
  }
  double g2 = 0;
  for (int i = 0; i < nx; i++) g2 += (pred[i] - ep->xn[i]) * (pred[i] - ep->xn[i]);
  r->gap += sqrt(g2);
  r->ret += reward;
  r->steps = t + 1;
  if (ep->tr) trace_step(ep->tr, ep, t, reward, sim_s);
  memcpy(ep->x, ep->xn, sizeof(double) * nx);
  return term;
}

/* Episode return = Σ_t r_t − c_T(x_T) (docs/environments.md); the normalised score where the
 * references apply (they are full-length episodes). */
static void finish_episode(episode *ep, int steps) {
  ep_result *r = ep->r;
  const env_spec *sp = &ep->env->spec;
  if (r->steps > 0) r->gap /= r->steps;
  r->final_cost = env_terminal_cost(ep->env, ep->x, NULL);
  r->ret -= r->final_cost;
  r->success = !r->failed && env_success(ep->env, ep->x);
  r->warnings = env_warnings(ep->env);
  for (int i = 0; i < sp->nmetrics; i++)
    r->envm[i] = sp->metrics[i].kind == ENV_METRIC_FINAL ? env_metric_value(ep->env, i, ep->x, 1)
                 : r->nplans ? r->envm[i] / r->nplans : NAN;
  if (sp->has_ref && steps == sp->T) {
    r->has_score = 1;
    r->score = 100.0 * (r->ret - sp->ref_random) / (sp->ref_expert - sp->ref_random);
  }
}

/* Episode start: the simulator's reset and the planner lane's. */
static void start_episode(episode *ep, uint64_t seed) {
  sgp_err e;
  ep_result *r = ep->r;
  memset(r, 0, sizeof *r);
  r->seed = seed;
  ep->done = 0, ep->started = 0, ep->H_open = 0;
  free(ep->open_u), free(ep->open_x);
  ep->open_u = NULL, ep->open_x = NULL;
  if (env_reset(ep->env, seed, ep->x, &e)) {
    fail_episode(r, -1, &e);
    ep->done = 1;
    return;
  }
  ep->started = 1;
  ep->pl->vt->reset_lane(ep->pl, ep->lane, seed ^ 0x9e3779b97f4a7c15ULL);
  for (int i = 0; i < ep->nx && ep->tr; i++) ep->tr->x[i] = (float)ep->x[i];
  if (ep->tr && ep->tr->nq > 0) env_get_sim_state(ep->env, ep->tr->qpos, ep->tr->qvel);
}

typedef struct batch_report batch_report;
static void report_step(batch_report *rep, const episode *ep, int n, int t);

/* The episodes ep[0..n) in lockstep, `steps` steps at most, each step reported to rep. Simulator /
 * planner errors end an episode as failed (recorded, not returned). */
static void run_lockstep(lock_buf *lb, episode *ep, int n, int steps, batch_report *rep) {
  for (int t = 0; t < steps; t++) {
    int m = 0;
    for (int i = 0; i < n; i++)
      if (!ep[i].done) lb->who[m++] = &ep[i];
    if (!m) break;
    if (!ep[0].open_loop || t == 0) plan_lanes(lb, lb->who, m, t);
    for (int i = 0; i < m; i++) {
      episode *p = lb->who[i];
      const float *pred;
      if (p->done || choose_action(p, t, &pred)) {
        p->done = 1;
        continue;
      }
      if (p->dnn) {
        double dd = data_nn_dist(p->dnn, p->x, p->nx, p->u, p->nu);
        if (dd > p->r->max_dd) p->r->max_dd = dd;
        if (p->tr) p->tr->step[(size_t)t * TRACE_STEP_COLS + 4] = dd;
      }
      if (sim_step(p, t, pred)) p->done = 1;
    }
    report_step(rep, ep, n, t);
  }
  for (int i = 0; i < n; i++)
    if (ep[i].started) finish_episode(&ep[i], steps);
}

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

/* ------------------------------------------------------------------ the run */

/* Everything one `sgp eval` holds, from the config to the episodes' results. */
typedef struct eval_state {
  const char *file;
  cJSON *root;
  sgp_cfg c, cenvcfg, cpl, cmodels;
  long seed, episodes, steps;
  int mode; /* 0 mpc, 1 open loop */
  nn_wtype wtype; /* the networks' weight type for inference */
  const char *env_name, *pname;
  sgp_env *env;
  const plan_vt *pvt;
  int mask;
  run_models m;
  plan_ctx ctx;
  planner *pl;      /* a 1-lane planner: its view and workspace size the batches */
  data_nn dnn;
  int have_dnn;
  ep_result *eps;
  uint64_t *seeds;  /* per episode */
  double t_start, t_load;
  /* while the episodes run: */
  const eval_opts *o;
  pthread_mutex_t mu; /* progress */
  sgp_progress prog;  /* counts episode-steps */
  long step_done;
  int plain;          /* progress as plain lines (stderr is not a terminal) */
} eval_state;

/* /env: the environment, created from its config (defaults inserted into the run's config). */
static int read_env(eval_state *s, sgp_err *e) {
  static const char *const env_keys[] = {"name", "config", NULL};
  sgp_cfg cenv;
  if (sgp_cfg_obj(&s->c, "env", &cenv, e) || sgp_cfg_str(&cenv, "name", &s->env_name, e) ||
      sgp_cfg_obj_opt(&cenv, "config", &s->cenvcfg, e) || sgp_cfg_check_keys(&cenv, env_keys, e))
    return -1;
  const env_vt *evt = env_find(s->env_name);
  if (!evt) {
    sgp_fail_unknown(e, "environment", s->env_name, env_count(), env_name_at, NULL);
    return sgp_fail_prefix(e, "%s: /env/name", s->file);
  }
  return env_make(evt, &s->cenvcfg, &s->env, e);
}

/* /eval: the evaluation protocol */
static int read_protocol(eval_state *s, sgp_err *e) {
  int bf16;
  if (eval_read_protocol(&s->c, s->env->spec.T, &s->episodes, &s->mode, &s->steps, &bf16, e)) return -1;
  s->wtype = bf16 ? NN_WT_BF16 : NN_WT_F32;
  return 0;
}

/* /planner and /models: the planner's name, its parameters and which models it needs */
static int read_planner(eval_state *s, sgp_err *e) {
  if (sgp_cfg_obj(&s->c, "planner", &s->cpl, e) || sgp_cfg_str(&s->cpl, "name", &s->pname, e)) return -1;
  s->pvt = plan_find(s->pname);
  if (!s->pvt) {
    sgp_fail_unknown(e, "planner", s->pname, plan_count(), plan_name_at, NULL);
    return sgp_fail_prefix(e, "%s: /planner/name", s->file);
  }
  if (s->pvt->needs(&s->cpl, &s->mask, e)) return -1;
  return sgp_cfg_obj_opt(&s->c, "models", &s->cmodels, e) || sgp_cfg_check_keys(&s->cmodels, model_keys, e) ? -1 : 0;
}

/* The planner's context (task, bounds, models) and the planner itself. */
static int make_planner(eval_state *s, sgp_err *e) {
  const env_spec *sp = &s->env->spec;
  plan_ctx *ctx = &s->ctx;
  ctx->nx = sp->nx;
  ctx->nu = sp->nu;
  ctx->T_env = s->mode == 1 ? (int)s->steps : sp->T;
  ctx->u_lo = sp->u_lo;
  ctx->u_hi = sp->u_hi;
  sgp_rng r;
  sgp_rng_stream(&r, (uint64_t)s->seed, "planner");
  ctx->seed = sgp_rng_u64(&r);
  s->t_load = sgp_now();
  if (load_models(&s->c, &s->cmodels, s->mask, s->pname, s->env, &s->m, ctx, e)) return -1;
  freeze_models(&s->m, s->wtype);
  ctx->cost = planner_cost(s->env, s->m.cost);
  if (s->mask & PLAN_NEEDS_TRUTH) {
    s->m.truth.env_name = s->env_name;
    s->m.truth.env_cfg = s->cenvcfg.j;
    eval_truth_dyn(&s->m.truth, sp->nx, sp->nu, &s->m.ptruth);
    ctx->truth = &s->m.ptruth;
  }
  if (s->m.have_ds) {
    data_nn_init(&s->dnn, &s->m.ds);
    s->have_dnn = 1;
  }
  if (s->pvt->create(&s->cpl, ctx, &s->pl, e)) return sgp_fail_prefix(e, "%s: /planner", s->file);
  s->t_load = sgp_now() - s->t_load;
  return 0;
}

/* ------------------------------------------------------------------ progress */

/* Progress of a lockstep batch, episodes first .. first+n-1. The bar (a terminal) counts
 * episode-steps, an episode that ended early counting its remaining steps, and shows the batch's
 * step, the mean running return of its live episodes and the wall time per lockstep step. Piped
 * (a log), a plain line every tenth of the steps or every 10 s, and one when the batch is done. */
struct batch_report {
  eval_state *s;
  long first, n;
  long counted;          /* episode-steps of the batch added to s->step_done */
  double t0, last_line;  /* batch start, last plain line */
  int steps_run;         /* lockstep steps taken */
};

static void report_step(batch_report *rep, const episode *ep, int n, int t) {
  eval_state *s = rep->s;
  long counted = 0;
  int live = 0;
  double ret = 0;
  for (int i = 0; i < n; i++) {
    counted += ep[i].done ? s->steps : ep[i].r->steps;
    if (!ep[i].done) live++, ret += ep[i].r->ret;
  }
  double now = sgp_now(), ms = 1e3 * (now - rep->t0) / (t + 1);
  rep->steps_run = t + 1;
  char ret_s[32] = "-";
  if (live) snprintf(ret_s, sizeof ret_s, "%.4g", ret / live);
  pthread_mutex_lock(&s->mu);
  s->step_done += counted - rep->counted;
  rep->counted = counted;
  char extra[160];
  snprintf(extra, sizeof extra, "ep %ld-%ld step %d/%ld return %s (%d live) %.3g ms/step", rep->first + 1,
           rep->first + rep->n, t + 1, s->steps, ret_s, live, ms);
  sgp_progress_update(&s->prog, s->step_done, extra);
  long every = s->steps >= 10 ? s->steps / 10 : 1;
  if (s->plain && t + 1 < s->steps && ((t + 1) % every == 0 || now - rep->last_line >= 10)) {
    fprintf(stderr, "eval: episodes %ld-%ld of %ld: step %d/%ld, mean return %s over %d live, %.3g ms/step, %.1f s elapsed\n",
            rep->first + 1, rep->first + rep->n, s->episodes, t + 1, s->steps, ret_s, live, ms, now - s->t_start);
    fflush(stderr);
    rep->last_line = now;
  }
  pthread_mutex_unlock(&s->mu);
}

/* The batch is done (returns final, terminal costs included). */
static void report_batch(batch_report *rep) {
  eval_state *s = rep->s;
  double ret = 0, now = sgp_now();
  int succ = 0;
  for (long i = rep->first; i < rep->first + rep->n; i++) ret += s->eps[i].ret, succ += s->eps[i].success;
  pthread_mutex_lock(&s->mu);
  s->step_done += rep->n * s->steps - rep->counted;
  sgp_progress_update(&s->prog, s->step_done, NULL);
  if (s->plain) {
    fprintf(stderr, "eval: episodes %ld-%ld of %ld done: mean return %.4g, success %d/%ld, %.3g ms/step, %.1f s elapsed\n",
            rep->first + 1, rep->first + rep->n, s->episodes, ret / rep->n, succ, rep->n,
            rep->steps_run ? 1e3 * (now - rep->t0) / rep->steps_run : 0.0, now - s->t_start);
    fflush(stderr);
  }
  pthread_mutex_unlock(&s->mu);
}

/* A thread's share of the episodes: its planner (L lanes, its own task-cost environment), L
 * simulators and the lockstep buffers. */
typedef struct eval_worker {
  eval_state *s;
  planner *pl;
  sgp_env *cost_env;
  plan_cost cost; /* the planner's cost (a learned one has a workspace of the worker's own) */
  int L;
  lock_buf lb;
  episode *ep;  /* L */
  ep_trace *tr; /* L, with --save-rollout */
  long first, count;
  sgp_err e;
  int rc;
} eval_worker;

static void worker_free(eval_worker *w) {
  for (int i = 0; i < w->L && w->ep; i++) {
    episode *ep = &w->ep[i];
    env_destroy(ep->env);
    free(ep->x), free(ep->xn), free(ep->u), free(ep->open_u), free(ep->open_x);
    if (w->tr) trace_free(&w->tr[i]);
  }
  free(w->ep), free(w->tr);
  free(w->lb.X), free(w->lb.U), free(w->lb.lanes), free(w->lb.d), free(w->lb.who);
  if (w->pl) w->pl->vt->destroy(w->pl);
  adapt_cost_release(&w->cost);
  env_destroy(w->cost_env);
}

static sgp_env *new_env(const eval_state *s, sgp_err *e) {
  sgp_env *env = NULL;
  cJSON *cfg = cJSON_Duplicate(s->cenvcfg.j, 1);
  int rc = env_create(s->env_name, cfg, s->file, &env, e);
  cJSON_Delete(cfg);
  return rc ? NULL : env;
}

/* The worker's planner with L lanes and its L episodes (simulators, buffers). */
static int worker_init(eval_worker *w, eval_state *s, int L, long first, long count, sgp_err *e) {
  const env_spec *sp = &s->env->spec;
  int nx = sp->nx, nu = sp->nu;
  memset(w, 0, sizeof *w);
  w->s = s, w->L = L, w->first = first, w->count = count;
  if (!(w->cost_env = new_env(s, e))) return -1;
  plan_ctx ctx = s->ctx;
  ctx.lanes = L;
  ctx.cost = w->cost = planner_cost(w->cost_env, s->m.cost);
  if (s->pvt->create(&s->cpl, &ctx, &w->pl, e)) return sgp_fail_prefix(e, "%s: /planner", s->file);
  lock_buf *lb = &w->lb;
  lb->L = L;
  lb->X = sgp_calloc((size_t)L * nx, sizeof(double));
  lb->U = sgp_calloc((size_t)L * nu, sizeof(double));
  lb->lanes = sgp_calloc((size_t)L, sizeof(int));
  lb->d = sgp_calloc((size_t)L, sizeof(plan_diag));
  lb->who = sgp_calloc((size_t)L, sizeof(episode *));
  w->ep = sgp_calloc((size_t)L, sizeof(episode));
  if (s->o->rollout_dir) w->tr = sgp_calloc((size_t)L, sizeof(ep_trace));
  for (int i = 0; i < L; i++) {
    episode *ep = &w->ep[i];
    ep->pl = w->pl, ep->lane = i, ep->open_loop = s->mode == 1, ep->nx = nx, ep->nu = nu;
    ep->x = sgp_calloc((size_t)nx, sizeof(double));
    ep->xn = sgp_calloc((size_t)nx, sizeof(double));
    ep->u = sgp_calloc((size_t)nu, sizeof(double));
    ep->dnn = s->have_dnn ? &s->dnn : NULL;
    ep->tr = w->tr ? &w->tr[i] : NULL;
    if (!(ep->env = new_env(s, e))) return -1;
  }
  return 0;
}

/* The worker's episodes, L at a time; rollouts saved when asked. */
static void *worker_run(void *arg) {
  eval_worker *w = arg;
  eval_state *s = w->s;
  const env_spec *sp = &s->env->spec;
  plan_view v;
  w->pl->vt->view_lane(w->pl, 0, &v); /* a first view tells the horizon */
  for (long b = w->first; b < w->first + w->count && !w->rc; b += w->L) {
    int n = (int)(w->first + w->count - b < w->L ? w->first + w->count - b : w->L);
    for (int i = 0; i < n; i++) {
      w->ep[i].r = &s->eps[b + i];
      if (w->tr) trace_alloc(&w->tr[i], v.T > 0 ? v.T : sp->T, s->steps, w->ep[i].env);
      start_episode(&w->ep[i], s->seeds[b + i]);
    }
    batch_report rep = {s, b, n, 0, sgp_now(), sgp_now(), 0};
    run_lockstep(&w->lb, w->ep, n, (int)s->steps, &rep);
    for (int i = 0; i < n && w->tr && !w->rc; i++)
      w->rc = save_trace(s->o->rollout_dir, (int)(b + i), &w->tr[i], s->eps[b + i].steps, sp->nx,
                         sp->nu, &w->e);
    report_batch(&rep);
  }
  return NULL;
}

/* Lanes per planner: every episode of the thread at once, at most 16, and at most what keeps the
 * planner's own workspace under 1 GiB (it grows linearly with the lanes). */
static int lanes_for(const eval_state *s, long count) {
  size_t one = plan_workspace_bytes(s->pl) + 1;
  long L = s->o->lockstep > 0 ? s->o->lockstep : 16;
  if (L > count) L = count;
  while (L > 1 && (size_t)L * one > ((size_t)1 << 30)) L--;
  return (int)(L < 1 ? 1 : L);
}

/* Episode ep's seed: child ep of the run's stream "episodes" (< 2^53: exact in JSON). */
static uint64_t episode_seed(long run_seed, long ep) {
  sgp_rng ep_rng, er;
  sgp_rng_stream(&ep_rng, (uint64_t)run_seed, "episodes");
  sgp_rng_child(&er, &ep_rng, (uint64_t)ep);
  return sgp_rng_u64(&er) >> 11;
}

/* Every episode, seeded from the stream "episodes" (so the split over threads and batches does not
 * matter): the episodes are split over o->threads threads, each planning its share in lockstep. */
static int run_episodes(eval_state *s, const eval_opts *o, sgp_err *e) {
  s->eps = sgp_calloc((size_t)s->episodes, sizeof *s->eps);
  s->seeds = sgp_calloc((size_t)s->episodes, sizeof *s->seeds);
  if (o->rollout_dir && sgp_mkdirs(o->rollout_dir, e)) return -1;
  for (long ep = 0; ep < s->episodes; ep++) s->seeds[ep] = episode_seed(s->seed, ep);
  int nw = o->threads > 1 ? o->threads : 1, rc = 0;
  if (nw > s->episodes) nw = (int)s->episodes;
  eval_worker *w = sgp_calloc((size_t)nw, sizeof *w);
  for (int k = 0; k < nw && !rc; k++) {
    long first = s->episodes * k / nw, count = s->episodes * (k + 1) / nw - first;
    rc = worker_init(&w[k], s, lanes_for(s, count), first, count, e);
  }
  if (!rc) {
    pthread_mutex_init(&s->mu, NULL);
    sgp_progress_begin(&s->prog, "eval", s->episodes * s->steps);
    s->plain = o->progress && !s->prog.enabled;
    if (!o->progress) s->prog.enabled = 0;
    pthread_t th[256];
    for (int k = 1; k < nw; k++) pthread_create(&th[k], NULL, worker_run, &w[k]);
    worker_run(&w[0]);
    for (int k = 1; k < nw; k++) pthread_join(th[k], NULL);
    sgp_progress_end(&s->prog);
    pthread_mutex_destroy(&s->mu);
    for (int k = 0; k < nw && !rc; k++)
      if (w[k].rc) *e = w[k].e, rc = -1;
  }
  for (int k = 0; k < nw; k++) worker_free(&w[k]);
  free(w);
  return rc;
}

/* "env_metrics": {name: value} of the environment's own metrics (none: no member). */
static void env_metrics_json(cJSON *o, const env_spec *sp, const double *v) {
  if (sp->nmetrics == 0) return;
  cJSON *m = cJSON_AddObjectToObject(o, "env_metrics");
  for (int i = 0; i < sp->nmetrics; i++) cJSON_AddItemToObject(m, sp->metrics[i].name, num_or_null(v[i]));
}

static cJSON *episode_json(const ep_result *r, long index, int have_dnn, const env_spec *sp) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "index", (double)index);
  cJSON_AddNumberToObject(j, "seed", (double)r->seed);
  cJSON_AddItemToObject(j, "return", num_or_null(r->ret));
  cJSON_AddItemToObject(j, "normalized_score", r->has_score ? num_or_null(r->score) : cJSON_CreateNull());
  cJSON_AddBoolToObject(j, "success", r->success);
  cJSON_AddItemToObject(j, "final_cost", num_or_null(r->final_cost));
  cJSON_AddNumberToObject(j, "steps", r->steps);
  cJSON_AddItemToObject(j, "max_data_distance", have_dnn ? num_or_null(r->max_dd) : cJSON_CreateNull());
  cJSON_AddItemToObject(j, "plan_gap", num_or_null(r->gap));
  cJSON_AddItemToObject(j, "plan_grad_norm", r->gn_n ? num_or_null(r->gn_sum / r->gn_n) : cJSON_CreateNull());
  cJSON_AddItemToObject(j, "plan_cost_grad_norm", r->gn_n ? num_or_null(r->gcn_sum / r->gn_n) : cJSON_CreateNull());
  env_metrics_json(j, sp, r->envm);
  cJSON_AddNumberToObject(j, "fallbacks", r->fallbacks);
  cJSON_AddNumberToObject(j, "plans", r->plans);
  cJSON_AddItemToObject(j, "model_rows_per_plan", r->plans ? num_or_null(r->model_rows / r->plans) : cJSON_CreateNull());
  cJSON_AddItemToObject(j, "score_rows_per_plan", r->plans ? num_or_null(r->score_rows / r->plans) : cJSON_CreateNull());
  cJSON_AddNumberToObject(j, "mujoco_warnings", (double)r->warnings);
  cJSON_AddBoolToObject(j, "failed", r->failed);
  if (r->failed) cJSON_AddStringToObject(j, "error", r->error);
  else cJSON_AddNullToObject(j, "error");
  cJSON *jt = cJSON_AddObjectToObject(j, "timing");
  cJSON_AddNumberToObject(jt, "plan_ms_per_step", r->steps ? 1e3 * r->plan_s / r->steps : 0);
  cJSON_AddNumberToObject(jt, "plan_cpu_s", r->plan_cpu_s);
  cJSON_AddNumberToObject(jt, "sim_ms_per_step", r->steps ? 1e3 * r->sim_s / r->steps : 0);
  return j;
}

/* config, its hash, seed, environment and versions */
static cJSON *result_header(const eval_state *s) {
  const env_spec *sp = &s->env->spec;
  cJSON *result = cJSON_CreateObject();
  cJSON_AddNumberToObject(result, "schema_version", 1);
  cJSON_AddStringToObject(result, "kind", "run");
  cJSON_AddItemToObject(result, "config", cJSON_Duplicate(s->root, 1));
  char *canon = cJSON_PrintUnformatted(s->root);
  char hex[65];
  sgp_sha256_hex(canon, strlen(canon), hex);
  free(canon);
  cJSON_AddStringToObject(result, "config_hash", hex);
  if (s->m.hashes) cJSON_AddItemToObject(result, "models_sha256", cJSON_Duplicate(s->m.hashes, 1));
  cJSON_AddNumberToObject(result, "seed", (double)s->seed);
  cJSON *jenv = cJSON_AddObjectToObject(result, "env");
  cJSON_AddStringToObject(jenv, "name", sp->name);
  cJSON_AddNumberToObject(jenv, "nx", sp->nx);
  cJSON_AddNumberToObject(jenv, "nu", sp->nu);
  cJSON_AddNumberToObject(jenv, "dt", sp->dt);
  cJSON_AddNumberToObject(jenv, "T", sp->T);
  if (sp->has_ref) {
    cJSON_AddNumberToObject(jenv, "ref_random", sp->ref_random);
    cJSON_AddNumberToObject(jenv, "ref_expert", sp->ref_expert);
    /* means over the start distribution, with their episode counts */
    cJSON_AddNumberToObject(jenv, "ref_random_episodes", sp->ref_episodes);
    cJSON_AddNumberToObject(jenv, "ref_expert_episodes", sp->ref_expert_episodes);
  }
  cJSON *ver = sgp_versions_json();
  cJSON_AddStringToObject(ver, "mujoco", env_mujoco_version());
  cJSON_AddItemToObject(result, "versions", ver);
  return result;
}

/* docs/run-format.md: header, episodes, summary (means over episodes), timing */
static cJSON *result_json(const eval_state *s) {
  const env_spec *sp = &s->env->spec;
  cJSON *result = result_header(s);
  cJSON *jeps = cJSON_AddArrayToObject(result, "episodes");
  double s_ret = 0, s_score = 0, s_succ = 0, s_fc = 0, s_dd = 0, s_gap = 0, t_plan = 0, t_sim = 0;
  double s_envm[ENV_MAX_METRICS] = {0};
  double c_plan = 0, s_gn = 0, s_gcn = 0;
  int n_gn = 0;
  double s_mrows = 0, s_srows = 0;
  long nfail = 0, nsteps = 0, nplans = 0;
  for (long ep = 0; ep < s->episodes; ep++) {
    const ep_result *r = &s->eps[ep];
    cJSON_AddItemToArray(jeps, episode_json(r, ep, s->have_dnn, sp));
    for (int i = 0; i < sp->nmetrics; i++) s_envm[i] += r->envm[i] / (double)s->episodes;
    s_ret += r->ret, s_score += r->score, s_succ += r->success, s_fc += r->final_cost;
    s_dd += r->max_dd, s_gap += r->gap, nfail += r->failed;
    t_plan += r->plan_s, t_sim += r->sim_s, nsteps += r->steps, c_plan += r->plan_cpu_s;
    s_mrows += r->model_rows, s_srows += r->score_rows, nplans += r->plans;
    if (r->gn_n) s_gn += r->gn_sum / r->gn_n, s_gcn += r->gcn_sum / r->gn_n, n_gn++;
  }
  double n = (double)s->episodes;
  cJSON *sum = cJSON_AddObjectToObject(result, "summary");
  cJSON_AddItemToObject(sum, "return_mean", num_or_null(s_ret / n));
  cJSON_AddItemToObject(sum, "normalized_score_mean",
                        sp->has_ref && s->steps == sp->T ? num_or_null(s_score / n) : cJSON_CreateNull());
  cJSON_AddNumberToObject(sum, "success_rate", s_succ / n);
  cJSON_AddItemToObject(sum, "final_cost_mean", num_or_null(s_fc / n));
  cJSON_AddItemToObject(sum, "max_data_distance_mean", s->have_dnn ? num_or_null(s_dd / n) : cJSON_CreateNull());
  cJSON_AddItemToObject(sum, "plan_gap_mean", num_or_null(s_gap / n));
  /* first-order planners: the gradient norms at the returned plans (plan_diag), mean over the
   * episodes that have them */
  cJSON_AddItemToObject(sum, "plan_grad_norm_mean", n_gn ? num_or_null(s_gn / n_gn) : cJSON_CreateNull());
  cJSON_AddItemToObject(sum, "plan_cost_grad_norm_mean", n_gn ? num_or_null(s_gcn / n_gn) : cJSON_CreateNull());
  env_metrics_json(sum, sp, s_envm); /* means over the episodes */
  cJSON_AddNumberToObject(sum, "episodes", n);
  cJSON_AddNumberToObject(sum, "failed_episodes", (double)nfail);
  /* the budget of one plan (one MPC step): rows through the dynamics models and the score/distance */
  cJSON_AddItemToObject(sum, "model_rows_per_plan", nplans ? num_or_null(s_mrows / nplans) : cJSON_CreateNull());
  cJSON_AddItemToObject(sum, "score_rows_per_plan", nplans ? num_or_null(s_srows / nplans) : cJSON_CreateNull());
  cJSON *jt = cJSON_AddObjectToObject(result, "timing");
  cJSON_AddNumberToObject(jt, "total_s", sgp_now() - s->t_start);
  cJSON_AddNumberToObject(jt, "load_s", s->t_load);
  cJSON_AddNumberToObject(jt, "plan_s", t_plan);
  cJSON_AddNumberToObject(jt, "plan_cpu_s", c_plan);
  cJSON_AddNumberToObject(jt, "sim_s", t_sim);
  cJSON_AddNumberToObject(jt, "plan_ms_per_step", nsteps ? 1e3 * t_plan / nsteps : 0);
  return result;
}

static void eval_state_free(eval_state *s) {
  if (s->pl) s->pl->vt->destroy(s->pl);
  adapt_cost_release(&s->ctx.cost);
  if (s->have_dnn) data_nn_free(&s->dnn);
  run_models_free(&s->m);
  env_destroy(s->env);
  cJSON_Delete(s->root);
  free(s->eps);
  free(s->seeds);
}

/* config -> environment -> protocol -> planner and its models -> episodes -> result file */
/* --episodes / --steps: written into /eval, so that the result's config says what ran. */
static void apply_overrides(cJSON *root, const eval_opts *o) {
  if (!o->episodes && !o->steps) return;
  cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "eval");
  if (!ev) ev = cJSON_AddObjectToObject(root, "eval");
  if (!cJSON_IsObject(ev)) return; /* reported by the protocol's reader */
  const char *keys[2] = {"episodes", "steps"};
  long v[2] = {o->episodes, o->steps};
  for (int k = 0; k < 2; k++)
    if (v[k]) {
      cJSON_DeleteItemFromObjectCaseSensitive(ev, keys[k]);
      cJSON_AddNumberToObject(ev, keys[k], (double)v[k]);
    }
}

/* The one-line summary on stdout: mean return, normalised score, success rate. */
static void print_summary(const cJSON *result, const char *out) {
  const cJSON *sum = cJSON_GetObjectItemCaseSensitive(result, "summary");
  const cJSON *ret = cJSON_GetObjectItemCaseSensitive(sum, "return_mean");
  const cJSON *ns = cJSON_GetObjectItemCaseSensitive(sum, "normalized_score_mean");
  const cJSON *sr = cJSON_GetObjectItemCaseSensitive(sum, "success_rate");
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(sum, "episodes");
  const cJSON *nf = cJSON_GetObjectItemCaseSensitive(sum, "failed_episodes");
  char score[32] = "n/a";
  if (cJSON_IsNumber(ns)) snprintf(score, sizeof score, "%.4g", ns->valuedouble);
  printf("sgp eval: %g episode(s): mean return %.4g, normalised score %s, success %.0f%%%s -> %s\n",
         cJSON_IsNumber(n) ? n->valuedouble : 0, cJSON_IsNumber(ret) ? ret->valuedouble : NAN, score,
         cJSON_IsNumber(sr) ? 100 * sr->valuedouble : 0,
         cJSON_IsNumber(nf) && nf->valuedouble > 0 ? " (some episodes failed)" : "", out);
}

int eval_run(const eval_opts *o, sgp_err *e) {
  eval_state s;
  memset(&s, 0, sizeof s);
  s.t_start = sgp_now();
  s.file = o->config_path;
  s.o = o;
  if (sgp_json_load(s.file, &s.root, e)) return -1;
  s.c = sgp_cfg_root(s.root, s.file);
  apply_overrides(s.root, o);
  int rc = eval_read_header(&s.c, &s.seed, e) ||
           read_env(&s, e) || read_protocol(&s, e) || read_planner(&s, e) || make_planner(&s, e) ||
           run_episodes(&s, o, e);
  if (!rc) {
    cJSON *result = result_json(&s);
    rc = sgp_json_write(o->out_path, result, e);
    if (!rc) print_summary(result, o->out_path);
    cJSON_Delete(result);
  }
  eval_state_free(&s);
  return rc ? -1 : 0;
}

/* ============================== one episode at a time, for the viewer ======================= */
/* The run set up as eval_run sets it up (environment, protocol, models, a 1-lane planner), plus
 * the simulator the caller steps: the same episodes, seeds and plans as `sgp eval`, one step per
 * call (docs/viewer.md, live mode). */
struct eval_agent {
  eval_state s;
  eval_opts o;
  sgp_env *env;     /* the true environment the caller steps */
  double *open_u;   /* open loop: the plan made at t = 0 */
  float *open_x;
  int H_open;
};

int eval_agent_open(const char *config_path, eval_agent **out, sgp_err *e) {
  eval_agent *a = sgp_calloc(1, sizeof *a);
  eval_state *s = &a->s;
  s->t_start = sgp_now();
  s->file = config_path;
  s->o = &a->o;
  a->o.config_path = config_path;
  int rc = sgp_json_load(s->file, &s->root, e);
  if (!rc) {
    s->c = sgp_cfg_root(s->root, s->file);
    rc = eval_read_header(&s->c, &s->seed, e) || read_env(s, e) || read_protocol(s, e) ||
         read_planner(s, e) || make_planner(s, e) || !(a->env = new_env(s, e)) ? -1 : 0;
  }
  if (rc) {
    eval_agent_close(a);
    return -1;
  }
  *out = a;
  return 0;
}

void eval_agent_close(eval_agent *a) {
  if (!a) return;
  env_destroy(a->env);
  free(a->open_u);
  free(a->open_x);
  eval_state_free(&a->s);
  free(a);
}

void eval_agent_describe(const eval_agent *a, eval_agent_info *info) {
  const eval_state *s = &a->s;
  memset(info, 0, sizeof *info);
  info->planner = s->pname;
  info->env = a->env;
  info->episodes = s->episodes;
  info->steps = s->steps;
  info->open_loop = s->mode == 1;
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(s->cpl.j, "samples");
  if (cJSON_IsNumber(n) && n->valuedouble >= 1 && n->valuedouble < 1e9) info->samples = n->valueint;
  info->has_distance = s->have_dnn;
}

int eval_agent_reset(eval_agent *a, long episode, double *x0, sgp_err *e) {
  uint64_t seed = episode_seed(a->s.seed, episode);
  free(a->open_u), free(a->open_x);
  a->open_u = NULL, a->open_x = NULL, a->H_open = 0;
  if (env_reset(a->env, seed, x0, e)) return -1;
  a->s.pl->vt->reset_lane(a->s.pl, 0, seed ^ 0x9e3779b97f4a7c15ULL); /* as start_episode */
  return 0;
}

int eval_agent_act(eval_agent *a, int t, const double *x, double *u, plan_view *v, plan_diag *d,
                   sgp_err *e) {
  eval_state *s = &a->s;
  int nx = s->env->spec.nx, nu = s->env->spec.nu;
  memset(d, 0, sizeof *d);
  if (s->mode == 1 && t > 0) { /* open loop: the plan made at t = 0 */
    if (t >= a->H_open) return sgp_fail(e, "step %d: past the open-loop plan's %d steps", t, a->H_open);
    for (int i = 0; i < nu; i++) u[i] = a->open_u[(size_t)t * nu + i];
    memset(v, 0, sizeof *v);
    v->T = a->H_open, v->nx = nx, v->nu = nu, v->x = a->open_x;
    d->objective = d->cost = d->penalty = d->grad_norm = d->cost_grad_norm = NAN;
    return 0;
  }
  int lane = 0;
  if (s->pl->vt->act_lanes(s->pl, 1, &lane, x, u, d, e)) return -1;
  s->pl->vt->view_lane(s->pl, 0, v);
  if (s->mode == 1) {
    a->H_open = v->T;
    a->open_u = sgp_calloc((size_t)v->T * nu, sizeof(double));
    a->open_x = sgp_falloc((size_t)(v->T + 1) * nx);
    for (int i = 0; i < v->T * nu; i++) a->open_u[i] = v->u[i];
    memcpy(a->open_x, v->x, sizeof(float) * (size_t)(v->T + 1) * nx);
  }
  return 0;
}

double eval_agent_distance(const eval_agent *a, const double *x, const double *u) {
  const eval_state *s = &a->s;
  return s->have_dnn ? data_nn_dist(&s->dnn, x, s->env->spec.nx, u, s->env->spec.nu) : NAN;
}
