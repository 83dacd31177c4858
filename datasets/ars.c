/* Augmented Random Search, V2-t (Mania, Guy & Recht 2018): linear policies on observations
 * normalised by the running mean and standard deviation of every state seen in training.
 *
 * One iteration j, with the policy M_j and the normalisation (μ_j, σ_j) frozen for its rollouts:
 *   δ_1 … δ_N ~ N(0, I) (nu×nx each), from child j of the seed's "directions" stream;
 *   r±_k = return of M_j ± ν·δ_k from reset seed s_{j,k} (child j·N + k of the "rollouts" stream: the
 *          two signs start from the same state), minus `shift` per step;
 *   keep the b directions with the largest max(r+_k, r−_k); σ_R = standard deviation of their 2b
 *   returns; M_{j+1} = M_j + α / (b·σ_R) · Σ_top (r+_k − r−_k) δ_k;
 *   μ, σ updated with every state of the 2N rollouts.
 * Rollouts run in parallel, one environment per thread; every result lands in a slot of its own and
 * is combined in task order, so the policy is the same bit for bit whatever the number of threads.
 * Evaluations use the seeds of the "eval" stream, the same ones every time. */
#include "datasets/policy.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a small pool: one environment per thread, tasks taken from a counter ---------------------- */
typedef struct par_pool {
  int n;
  sgp_env **envs;
} par_pool;

typedef int (*par_fn)(void *ctx, sgp_env *env, int worker, int task, sgp_err *e);

typedef struct par_job {
  par_pool *pool;
  int ntasks;
  par_fn fn;
  void *ctx;
  atomic_int next, failed;
  pthread_mutex_t lock;
  sgp_err err;
} par_job;

typedef struct par_arg {
  par_job *j;
  int worker;
} par_arg;

static void *par_main(void *arg) {
  par_arg *a = arg;
  par_job *j = a->j;
  for (;;) {
    int k = atomic_fetch_add(&j->next, 1);
    if (k >= j->ntasks || atomic_load(&j->failed)) break;
    sgp_err e = {{0}};
    if (j->fn(j->ctx, j->pool->envs[a->worker], a->worker, k, &e)) {
      pthread_mutex_lock(&j->lock);
      if (!atomic_load(&j->failed)) j->err = e;
      atomic_store(&j->failed, 1);
      pthread_mutex_unlock(&j->lock);
      break;
    }
  }
  return NULL;
}

static int par_run(par_pool *pool, int ntasks, par_fn fn, void *ctx, sgp_err *e) {
  par_job j = {.pool = pool, .ntasks = ntasks, .fn = fn, .ctx = ctx};
  atomic_init(&j.next, 0);
  atomic_init(&j.failed, 0);
  pthread_mutex_init(&j.lock, NULL);
  int nt = pool->n < ntasks ? pool->n : ntasks, started = 0;
  pthread_t tid[256];
  par_arg args[256];
  for (int t = 1; t < nt; t++) { /* the calling thread is worker 0 */
    args[t] = (par_arg){&j, t};
    if (pthread_create(&tid[t], NULL, par_main, &args[t]) != 0) break;
    started = t;
  }
  args[0] = (par_arg){&j, 0};
  par_main(&args[0]);
  for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
  pthread_mutex_destroy(&j.lock);
  if (atomic_load(&j.failed)) {
    *e = j.err;
    return -1;
  }
  return 0;
}

static int pool_open(par_pool *p, const char *env_name, const cJSON *env_cfg, int threads, sgp_err *e) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  p->n = threads > 0 ? threads : (int)(cores < 1 ? 1 : cores);
  if (p->n > 256) p->n = 256;
  p->envs = sgp_calloc((size_t)p->n, sizeof *p->envs);
  for (int t = 0; t < p->n; t++) {
    cJSON *c = env_cfg ? cJSON_Duplicate(env_cfg, 1) : NULL;
    int rc = env_create(env_name, c, "env config", &p->envs[t], e);
    cJSON_Delete(c);
    if (rc) return -1;
  }
  return 0;
}

static void pool_close(par_pool *p) {
  for (int t = 0; t < p->n; t++) env_destroy(p->envs[t]);
  free(p->envs);
  memset(p, 0, sizeof *p);
}

/* ---- evaluation ------------------------------------------------------------------------------- */
typedef struct eval_ctx {
  const ds_linear *p;
  int T;
  sgp_rng seeds;
  double *ret;
  int *len;
} eval_ctx;

static int eval_task(void *ctx, sgp_env *env, int worker, int task, sgp_err *e) {
  eval_ctx *c = ctx;
  (void)worker;
  sgp_rng r;
  sgp_rng_child(&r, &c->seeds, (uint64_t)task);
  return ds_rollout(env, c->p, sgp_rng_u64(&r), c->T, 0, NULL, NULL, &c->ret[task], &c->len[task], e);
}

static void mean_std(const double *v, int n, double *mean, double *std) {
  double s = 0, q = 0;
  for (int i = 0; i < n; i++) s += v[i];
  s /= n;
  for (int i = 0; i < n; i++) q += (v[i] - s) * (v[i] - s);
  *mean = s;
  *std = sqrt(q / n);
}

static int pool_evaluate(par_pool *pool, const ds_linear *p, int episodes, int T, uint64_t seed, double *mean,
                         double *std, long *steps, sgp_err *e) {
  eval_ctx c = {.p = p, .T = T};
  sgp_rng_stream(&c.seeds, seed, "eval");
  c.ret = sgp_malloc(sizeof(double) * episodes);
  c.len = sgp_malloc(sizeof(int) * episodes);
  int rc = par_run(pool, episodes, eval_task, &c, e);
  if (rc == 0) {
    mean_std(c.ret, episodes, mean, std);
    if (steps)
      for (int i = 0; i < episodes; i++) *steps += c.len[i];
  }
  free(c.ret);
  free(c.len);
  return rc;
}

int ds_linear_evaluate(const char *env_name, const cJSON *env_cfg, const ds_linear *p, int episodes, int T,
                       uint64_t seed, int threads, double *mean, double *std, sgp_err *e) {
  par_pool pool;
  memset(&pool, 0, sizeof pool);
  int rc = pool_open(&pool, env_name, env_cfg, threads, e);
  if (rc == 0) rc = pool_evaluate(&pool, p, episodes, T, seed, mean, std, NULL, e);
  pool_close(&pool);
  return rc;
}

/* ---- config ----------------------------------------------------------------------------------- */
int ds_ars_cfg_read(sgp_cfg *c, const sgp_env *env, ds_ars_cfg *out, sgp_err *e) {
  static const char *const keys[] = {"kind", "iterations", "directions", "top", "step_size", "noise", "shift",
                                     "episode_length", "eval_every", "eval_episodes", "target_return",
                                     "medium_fraction", "seed", NULL};
  if (sgp_cfg_check_keys(c, keys, e)) return -1;
  ds_ars_cfg a;
  memset(&a, 0, sizeof a);
  long it, nd, top, T, ev, ee, seed;
  if (sgp_cfg_int_opt(c, "iterations", 1, 100000000L, 1000, &it, e) ||
      sgp_cfg_int_opt(c, "directions", 1, 4096, 8, &nd, e) || sgp_cfg_int_opt(c, "top", 1, nd, nd, &top, e) ||
      sgp_cfg_num_opt(c, "step_size", 0.02, &a.step_size, e) || sgp_cfg_num_opt(c, "noise", 0.03, &a.noise, e) ||
      sgp_cfg_num_opt(c, "shift", 0.0, &a.shift, e) ||
      sgp_cfg_int_opt(c, "episode_length", 1, 1000000, env->spec.T, &T, e) ||
      sgp_cfg_int_opt(c, "eval_every", 1, 100000000L, 10, &ev, e) ||
      sgp_cfg_int_opt(c, "eval_episodes", 1, 100000, 20, &ee, e) ||
      sgp_cfg_num_opt(c, "medium_fraction", 1.0 / 3.0, &a.medium_fraction, e) ||
      sgp_cfg_int_opt(c, "seed", 0, (long)((~0UL) >> 1), 0, &seed, e))
    return -1;
  if (!(a.step_size > 0 && isfinite(a.step_size)))
    return sgp_fail(e, "%s: %s/step_size: expected a positive number", c->file, c->path);
  if (!(a.noise > 0 && isfinite(a.noise))) return sgp_fail(e, "%s: %s/noise: expected a positive number", c->file, c->path);
  if (!isfinite(a.shift)) return sgp_fail(e, "%s: %s/shift: not a finite number", c->file, c->path);
  if (!(a.medium_fraction > 0 && a.medium_fraction < 1))
    return sgp_fail(e, "%s: %s/medium_fraction: expected a number in (0, 1)", c->file, c->path);
  a.target_return = NAN;
  if (sgp_cfg_has(c, "target_return") && sgp_cfg_num(c, "target_return", &a.target_return, e)) return -1;
  a.iterations = it;
  a.directions = (int)nd;
  a.top = (int)top;
  a.episode_length = (int)T;
  a.eval_every = (int)ev;
  a.eval_episodes = (int)ee;
  a.seed = (uint64_t)seed;
  *out = a;
  return 0;
}

/* ---- training ----------------------------------------------------------------------------------- */
typedef struct ars_ctx {
  const ds_ars_cfg *c;
  const ds_linear *base; /* M_j and the frozen normalisation */
  ds_linear *work;       /* one per worker: M_j ± ν δ_k */
  const double *delta;   /* N × nu × nx */
  sgp_rng seeds;         /* "rollouts" stream */
  long iter;
  double *ret;           /* 2N: [2k] = +, [2k+1] = − */
  int *len;
  ds_obs_stats *stats;   /* 2N */
  ds_episode_rec *rec;   /* 2N or NULL */
} ars_ctx;

static int ars_task(void *ctx, sgp_env *env, int worker, int task, sgp_err *e) {
  ars_ctx *a = ctx;
  int k = task / 2, n = a->base->nx * a->base->nu;
  double sgn = task % 2 ? -1 : 1;
  ds_linear *w = &a->work[worker];
  const double *d = a->delta + (size_t)k * n;
  for (int i = 0; i < n; i++) w->M[i] = a->base->M[i] + sgn * a->c->noise * d[i];
  memcpy(w->mean, a->base->mean, sizeof(double) * w->nx);
  memcpy(w->inv_std, a->base->inv_std, sizeof(double) * w->nx);
  sgp_rng r;
  sgp_rng_child(&r, &a->seeds, (uint64_t)a->iter * (uint64_t)a->c->directions + (uint64_t)k);
  ds_obs_stats_clear(&a->stats[task]);
  return ds_rollout(env, w, sgp_rng_u64(&r), a->c->episode_length, a->c->shift, &a->stats[task],
                    a->rec ? &a->rec[task] : NULL, &a->ret[task], &a->len[task], e);
}

typedef struct ranked {
  double key;
  int k;
} ranked;

static int by_key_desc(const void *pa, const void *pb) {
  const ranked *a = pa, *b = pb;
  if (a->key != b->key) return a->key > b->key ? -1 : 1;
  return a->k - b->k; /* ties: the lower index first (deterministic) */
}

/* The normalisation of the next iteration from every state seen so far. */
static void set_normalisation(ds_linear *p, const ds_obs_stats *s) {
  if (s->count < 2) return;
  for (int i = 0; i < p->nx; i++) {
    double sd = sqrt(s->m2[i] / s->count);
    p->mean[i] = s->mean[i];
    p->inv_std[i] = sd > 1e-8 ? 1.0 / sd : 0;
  }
}

static void fill_meta(ds_linear *p, const char *env_name, const cJSON *env_cfg, const cJSON *cfg_json,
                      const ds_ars_cfg *c, const ds_ars_progress *pr) {
  ds_linear_meta_set(p, "env", env_name);
  char *s = env_cfg ? cJSON_PrintUnformatted(env_cfg) : NULL;
  ds_linear_meta_set(p, "env_config", s ? s : "{}");
  free(s);
  s = cfg_json ? cJSON_PrintUnformatted(cfg_json) : NULL;
  ds_linear_meta_set(p, "train_config", s ? s : "{}");
  free(s);
  char seed[32];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
  ds_linear_meta_set(p, "seed", seed);
  ds_linear_meta_num_set(p, "iteration", (double)pr->iteration);
  ds_linear_meta_num_set(p, "episodes", (double)pr->episodes);
  ds_linear_meta_num_set(p, "env_steps", (double)pr->env_steps);
  ds_linear_meta_num_set(p, "return_mean", pr->eval_mean);
  ds_linear_meta_num_set(p, "return_std", pr->eval_std);
  ds_linear_meta_num_set(p, "return_episodes", c->eval_episodes);
  ds_linear_meta_set(p, "sgpbench", sgp_version());
  ds_linear_meta_set(p, "git", sgp_git_revision());
  ds_linear_meta_set(p, "mujoco", env_mujoco_version());
}

/* One ARS update from the 2N returns; returns σ_R. */
static double ars_update(const ds_ars_cfg *c, ds_linear *p, const double *delta, const double *ret) {
  int N = c->directions, b = c->top, n = p->nx * p->nu;
  ranked *rk = sgp_malloc(sizeof(ranked) * N);
  for (int k = 0; k < N; k++) rk[k] = (ranked){fmax(ret[2 * k], ret[2 * k + 1]), k};
  qsort(rk, (size_t)N, sizeof *rk, by_key_desc);
  double *used = sgp_malloc(sizeof(double) * 2 * b), mean, sd;
  for (int i = 0; i < b; i++) used[2 * i] = ret[2 * rk[i].k], used[2 * i + 1] = ret[2 * rk[i].k + 1];
  mean_std(used, 2 * b, &mean, &sd);
  if (sd > 0) {
    double scale = c->step_size / (b * sd);
    for (int i = 0; i < b; i++) {
      int k = rk[i].k;
      double w = scale * (ret[2 * k] - ret[2 * k + 1]);
      const double *d = delta + (size_t)k * n;
      for (int q = 0; q < n; q++) p->M[q] += w * d[q];
    }
  }
  free(rk);
  free(used);
  return sd;
}

/* Folds the iteration's rollouts into the statistics (and the replay), in task order: deterministic.
 * Returns the environment steps they took. */
static long gather(ars_ctx *a, int ntasks, ds_obs_stats *total, const ds_ars_opts *o) {
  long steps = 0;
  for (int k = 0; k < ntasks; k++) {
    ds_obs_stats_merge(total, &a->stats[k]);
    steps += a->len[k];
    if (a->rec) {
      *o->replay = sgp_realloc(*o->replay, sizeof(ds_episode_rec) * (*o->nreplay + 1));
      (*o->replay)[(*o->nreplay)++] = a->rec[k];
      memset(&a->rec[k], 0, sizeof a->rec[k]);
    }
  }
  return steps;
}

int ds_ars_train(const char *env_name, const cJSON *env_cfg, const ds_ars_cfg *c, const cJSON *cfg_json,
                 const ds_ars_opts *o, ds_linear *out, sgp_err *e) {
  par_pool pool;
  memset(&pool, 0, sizeof pool);
  if (pool_open(&pool, env_name, env_cfg, o->threads, e)) {
    pool_close(&pool);
    return -1;
  }
  const env_spec *sp = &pool.envs[0]->spec;
  int nx = sp->nx, nu = sp->nu, N = c->directions, n = nx * nu;
  ds_linear pol;
  ds_linear_init(&pol, nx, nu);
  ars_ctx a = {.c = c, .base = &pol};
  a.work = sgp_calloc((size_t)pool.n, sizeof *a.work);
  for (int t = 0; t < pool.n; t++) ds_linear_init(&a.work[t], nx, nu);
  double *delta = sgp_malloc(sizeof(double) * (size_t)N * n);
  a.delta = delta;
  a.ret = sgp_malloc(sizeof(double) * 2 * N);
  a.len = sgp_malloc(sizeof(int) * 2 * N);
  a.stats = sgp_calloc((size_t)2 * N, sizeof *a.stats);
  for (int k = 0; k < 2 * N; k++) ds_obs_stats_init(&a.stats[k], nx);
  ds_obs_stats total;
  ds_obs_stats_init(&total, nx);
  sgp_rng dirs;
  sgp_rng_stream(&dirs, c->seed, "directions");
  sgp_rng_stream(&a.seeds, c->seed, "rollouts");
  if (o->stop_after >= 0) a.rec = sgp_calloc((size_t)2 * N, sizeof *a.rec);

  ds_ars_progress pr = {0};
  pr.eval_mean = pr.eval_std = NAN;
  double t0 = sgp_now();
  int rc = 0;
  for (long j = 0; j < c->iterations && rc == 0; j++) {
    if (o->stop_after >= 0 && j >= o->stop_after) break;
    sgp_rng r;
    sgp_rng_child(&r, &dirs, (uint64_t)j);
    for (size_t q = 0; q < (size_t)N * n; q++) delta[q] = sgp_rng_normal(&r);
    a.iter = j;
    if ((rc = par_run(&pool, 2 * N, ars_task, &a, e))) break;
    pr.env_steps += gather(&a, 2 * N, &total, o);
    pr.episodes += 2 * N;
    ars_update(c, &pol, delta, a.ret);
    set_normalisation(&pol, &total);
    pr.iteration = j + 1;
    pr.seconds = sgp_now() - t0;
    if (o->stop_after < 0 && (pr.iteration % c->eval_every == 0 || pr.iteration == c->iterations)) {
      if ((rc = pool_evaluate(&pool, &pol, c->eval_episodes, c->episode_length, c->seed, &pr.eval_mean, &pr.eval_std,
                              NULL, e)))
        break;
      pr.seconds = sgp_now() - t0;
      fill_meta(&pol, env_name, env_cfg, cfg_json, c, &pr);
      if (o->on_eval && (rc = o->on_eval(o->ctx, &pol, &pr, e))) break;
      if (isfinite(c->target_return) && pr.eval_mean >= c->target_return) {
        if (o->on_iter) o->on_iter(o->ctx, &pr);
        break;
      }
    }
    if (o->on_iter) o->on_iter(o->ctx, &pr);
  }
  if (rc == 0) {
    if (!pol.meta) fill_meta(&pol, env_name, env_cfg, cfg_json, c, &pr);
    *out = pol;
  } else {
    ds_linear_free(&pol);
  }
  for (int t = 0; t < pool.n; t++) ds_linear_free(&a.work[t]);
  for (int k = 0; k < 2 * N; k++) {
    ds_obs_stats_free(&a.stats[k]);
    if (a.rec) ds_episode_rec_free(&a.rec[k]);
  }
  ds_obs_stats_free(&total);
  free(a.rec);
  free(a.work), free(delta), free(a.ret), free(a.len), free(a.stats);
  pool_close(&pool);
  return rc;
}
