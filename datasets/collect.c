/* Data collection: fixed chunks, one child RNG stream per chunk, pthreads.
 *
 * Determinism: the work is cut into chunks of a fixed number of transitions (ds_behaviour.chunk);
 * chunk k draws only from child stream k of the "data" stream of the seed and writes only rows
 * [k·chunk, (k+1)·chunk). Threads take chunks in any order, so the bytes do not depend on the
 * number of threads. Each thread owns an environment instance (created up front, on this thread,
 * since MuJoCo's XML loader is not thread-safe). */
#include "datasets/dataset.h"
#include "datasets/policy.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ds_ncores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (int)n;
}

typedef struct chunk_stats {
  long attempts, rejected_excluded, rejected_path, rejected_box, sim_errors, episodes, truncated;
} chunk_stats;

typedef struct job {
  const ds_behaviour *b;
  const char *spec_file;
  ds_data *out;
  sgp_rng data;           /* parent stream; chunk k uses child k */
  int64_t nchunks;
  atomic_long next_chunk; /* work queue */
  atomic_long done_rows;  /* progress */
  atomic_int failed;
  chunk_stats *stats;     /* per chunk */
  pthread_mutex_t err_lock;
  sgp_err err;            /* the first error */
} job;

typedef struct worker {
  job *j;
  sgp_env *env;
  void *policy;
  double *x, *xn, *u, *xb, *ub; /* nx, nx, nu, nbx, nbu */
  int sim;                      /* env spec store_sim_state: rows also get qpos, qvel */
} worker;

static void fail_job(job *j, const sgp_err *e) {
  pthread_mutex_lock(&j->err_lock);
  if (!atomic_load(&j->failed)) j->err = *e;
  atomic_store(&j->failed, 1);
  pthread_mutex_unlock(&j->err_lock);
}

/* Rounds to float in place: the stored (x, u) reproduce the stored x' exactly. */
static void round_f(double *v, int n) {
  for (int i = 0; i < n; i++) v[i] = (float)v[i];
}

static void store(ds_data *o, int64_t row, const double *x, const double *u, const double *xn, double r,
                  int terminal, int timeout) {
  int nx = o->nx, nu = o->nu;
  for (int i = 0; i < nx; i++) o->x[row * nx + i] = (float)x[i];
  for (int i = 0; i < nu; i++) o->u[row * nu + i] = (float)u[i];
  for (int i = 0; i < nx; i++) o->xnext[row * nx + i] = (float)xn[i];
  o->reward[row] = (float)r;
  o->terminal[row] = (uint8_t)terminal;
  o->timeout[row] = (uint8_t)timeout;
}

static int in_box(const ds_behaviour *b, const double *xb) {
  for (int i = 0; i < b->nbx; i++)
    if (!(xb[i] >= b->lo[i] && xb[i] <= b->hi[i])) return 0;
  return 1;
}

/* Does the straight step from box point a to box point c (first two coordinates; a == c: the
 * point itself) touch the excluded disk? A transition that starts outside but ends inside, or cuts
 * across the rim, has been shaped by whatever the excluded region holds (the point's mud slows
 * every step for the part inside), so keeping it would leak the region's dynamics into data meant
 * to contain none of it. The spec reader requires a 2-D state box when the radius is > 0. */
static int excluded(const ds_behaviour *b, const double *a, const double *c) {
  if (b->excl_radius <= 0) return 0;
  double ax = a[0] - b->excl_center[0], ay = a[1] - b->excl_center[1];
  double dx = c[0] - a[0], dy = c[1] - a[1], dd = dx * dx + dy * dy;
  double t = dd > 0 ? -(ax * dx + ay * dy) / dd : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return hypot(ax + t * dx, ay + t * dy) < b->excl_radius;
}

/* Acceptance rule of "box" (docs/datasets.md): a chunk fails once its acceptance rate is clearly
 * hopeless (after MIN_TRIAL attempts, fewer than one in HOPELESS accepted: ten times below the
 * 0.1 % floor), and in any case once it needs more than 1000 attempts per row. So a spec that
 * cannot work stops after 20000 attempts (a few seconds at most) whatever n is. */
#define MIN_TRIAL 20000
#define HOPELESS 10000

static int box_hopeless(const worker *w, const chunk_stats *st, int64_t accepted, int64_t rows, sgp_err *e) {
  if (st->attempts < 1000 * rows + 1000 && !(st->attempts >= MIN_TRIAL && accepted * HOPELESS < st->attempts)) return 0;
  return sgp_fail(e,
                  "%s: /state_lo, /state_hi, /exclude, /next_in_box: fewer than 0.1%% of the sampled transitions are "
                  "accepted (%lld of %ld; rejected: %ld in the excluded disk, %ld crossing it, %ld leaving the box, "
                  "%ld simulator errors)",
                  w->j->spec_file, (long long)accepted, st->attempts, st->rejected_excluded, st->rejected_path,
                  st->rejected_box, st->sim_errors);
}

/* "box": uniform states and actions, rejection of transitions that touch the excluded disk (x, x'
 * or the step between them) and of x' outside the box. */
static int run_box_chunk(worker *w, sgp_rng *r, int64_t row0, int64_t rows, chunk_stats *st, sgp_err *e) {
  const ds_behaviour *b = w->j->b;
  sgp_env *env = w->env;
  int64_t k = 0;
  while (k < rows) {
    if (box_hopeless(w, st, k, rows, e) || atomic_load(&w->j->failed)) return -1;
    st->attempts++;
    for (int i = 0; i < b->nbx; i++) w->xb[i] = b->lo[i] + (b->hi[i] - b->lo[i]) * sgp_rng_uniform(r);
    for (int i = 0; i < b->nbu; i++) w->ub[i] = b->alo[i] + (b->ahi[i] - b->alo[i]) * sgp_rng_uniform(r);
    env_box_to_state(env, w->xb, w->x);
    round_f(w->x, env->spec.nx);
    env_box_to_action(env, w->ub, w->u);
    round_f(w->u, env->spec.nu);
    env_state_to_box(env, w->x, w->xb); /* the state actually simulated */
    if (excluded(b, w->xb, w->xb)) { /* before simulating: the cheap, common case */
      st->rejected_excluded++;
      continue;
    }
    double rew;
    int term;
    sgp_err se;
    if (env_set_state(env, w->x, &se) || env_step(env, w->u, w->xn, &rew, &term, &se)) {
      st->sim_errors++;
      continue;
    }
    double a[2] = {w->xb[0], b->excl_radius > 0 ? w->xb[1] : 0}; /* x in the box */
    env_state_to_box(env, w->xn, w->xb);
    if (excluded(b, a, w->xb)) {
      st->rejected_path++;
      continue;
    }
    if (b->next_in_box && !in_box(b, w->xb)) {
      st->rejected_box++;
      continue;
    }
    store(w->j->out, row0 + k, w->x, w->u, w->xn, rew, term, 0);
    k++;
  }
  return 0;
}

/* "episodes": rollouts of the behaviour policy from the env's reset distribution. A chunk holds
 * whole episodes; an episode cut by the end of the chunk (early terminations) or by N is
 * marked timeout on its last row, as is an episode cut by a simulator error or (with "exclude") by
 * a step that touches the excluded disk, which is not kept. */
static int run_episodes_chunk(worker *w, sgp_rng *r, int64_t row0, int64_t rows, chunk_stats *st, sgp_err *e) {
  const ds_behaviour *b = w->j->b;
  sgp_env *env = w->env;
  ds_data *o = w->j->out;
  int64_t k = 0;
  (void)e;
  while (k < rows) {
    if (atomic_load(&w->j->failed)) return -1;
    uint64_t seed = sgp_rng_u64(r);
    sgp_err se;
    if (env_reset(env, seed, w->x, &se)) {
      st->sim_errors++;
      if (st->sim_errors > 1000) return sgp_fail(e, "episodes: reset keeps failing: %s", se.msg);
      continue;
    }
    round_f(w->x, env->spec.nx);
    if (b->excl_radius > 0) { /* a start in the excluded disk: another reset seed */
      env_state_to_box(env, w->x, w->xb);
      if (excluded(b, w->xb, w->xb)) {
        if (++st->rejected_excluded > 1000 && st->episodes == 0)
          return sgp_fail(e, "%s: /exclude: every reset state lies in the excluded disk", w->j->spec_file);
        continue;
      }
    }
    if (!w->sim && env_set_state(env, w->x, &se)) return sgp_fail(e, "episodes: %s", se.msg);
    b->policy->reset(w->policy, w->x);
    st->episodes++;
    for (int t = 0; t < b->episode_length && k < rows; t++) {
      st->attempts++;
      b->policy->act(w->policy, env, w->x, r, w->ub);
      if (b->action_noise > 0)
        for (int i = 0; i < b->nbu; i++) {
          double half = 0.5 * (env->spec.abox_hi[i] - env->spec.abox_lo[i]);
          double a = w->ub[i] + b->action_noise * half * sgp_rng_normal(r);
          w->ub[i] = a < env->spec.abox_lo[i] ? env->spec.abox_lo[i] : a > env->spec.abox_hi[i] ? env->spec.abox_hi[i] : a;
        }
      env_box_to_action(env, w->ub, w->u);
      round_f(w->u, env->spec.nu);
      if (w->sim) env_get_sim_state(env, o->qpos + (row0 + k) * o->nq, o->qvel + (row0 + k) * o->nv);
      double rew;
      int term;
      if (env_step(env, w->u, w->xn, &rew, &term, &se)) {
        st->sim_errors++;
        if (t > 0) o->timeout[row0 + k - 1] = !o->terminal[row0 + k - 1];
        break;
      }
      round_f(w->xn, env->spec.nx);
      if (b->excl_radius > 0) { /* the step touches the excluded disk: not kept, the episode ends there */
        double a[2];
        env_state_to_box(env, w->x, w->xb);
        a[0] = w->xb[0], a[1] = w->xb[1];
        env_state_to_box(env, w->xn, w->xb);
        if (excluded(b, a, w->xb)) {
          st->rejected_path++;
          if (t > 0) o->timeout[row0 + k - 1] = !o->terminal[row0 + k - 1];
          break;
        }
      }
      int last = t == b->episode_length - 1;
      store(o, row0 + k, w->x, w->u, w->xn, rew, term, !term && last);
      k++;
      if (term) break;
      if (!last && k == rows) { /* cut by the chunk or by N */
        o->timeout[row0 + k - 1] = 1;
        st->truncated++;
      }
      memcpy(w->x, w->xn, sizeof(double) * env->spec.nx);
      /* continue from the stored (float) state: x' of this row is x of the next (an env whose state
       * is an observation continues its simulation: the stored qpos, qvel are the exact state) */
      if (!w->sim && env_set_state(env, w->x, &se)) return sgp_fail(e, "episodes: %s", se.msg);
    }
  }
  return 0;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  job *j = w->j;
  for (;;) {
    long k = atomic_fetch_add(&j->next_chunk, 1);
    if (k >= j->nchunks || atomic_load(&j->failed)) break;
    int64_t row0 = (int64_t)k * j->b->chunk, rows = j->b->chunk;
    if (row0 + rows > j->b->n) rows = j->b->n - row0;
    sgp_rng r;
    sgp_rng_child(&r, &j->data, (uint64_t)k);
    sgp_err e = {{0}};
    chunk_stats *st = &j->stats[k];
    int rc = j->b->kind == DS_BOX ? run_box_chunk(w, &r, row0, rows, st, &e) : run_episodes_chunk(w, &r, row0, rows, st, &e);
    if (rc) {
      if (!atomic_load(&j->failed)) fail_job(j, &e);
      break;
    }
    atomic_fetch_add(&j->done_rows, (long)rows);
  }
  return NULL;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* The arrays of n transitions of env. */
static void alloc_data(ds_data *d, const char *env_name, const sgp_env *env, int64_t n) {
  memset(d, 0, sizeof *d);
  d->env = sgp_strdup(env_name);
  d->nx = env->spec.nx;
  d->nu = env->spec.nu;
  d->n = n;
  d->x = sgp_falloc((size_t)n * d->nx);
  d->u = sgp_falloc((size_t)n * d->nu);
  d->xnext = sgp_falloc((size_t)n * d->nx);
  d->reward = sgp_falloc((size_t)n);
  d->terminal = sgp_calloc((size_t)n, 1);
  d->timeout = sgp_calloc((size_t)n, 1);
}

/* qpos, qvel of every row, for environments whose state is an observation (episodes only). */
static void alloc_sim_state(ds_data *d, const sgp_env *env, const ds_behaviour *b) {
  if (!env->spec.store_sim_state || b->kind != DS_EPISODES) return;
  env_sim_dims(env, &d->nq, &d->nv);
  d->qpos = sgp_calloc((size_t)d->n * d->nq, sizeof(double));
  d->qvel = sgp_calloc((size_t)d->n * d->nv, sizeof(double));
}

/* Worker t: its environment (env0 for worker 0; created here, on this thread, since MuJoCo's XML
 * loader is not thread-safe), its policy and its buffers. */
static int init_worker(worker *w, job *j, int t, sgp_env *env0, const char *env_name, const cJSON *env_cfg,
                       const char *env_cfg_file, sgp_err *e) {
  const ds_behaviour *b = j->b;
  w->j = j;
  w->sim = j->out->qpos != NULL;
  if (t == 0) w->env = env0;
  else {
    cJSON *c = cJSON_Duplicate(env_cfg, 1);
    int rc = env_create(env_name, c, env_cfg_file ? env_cfg_file : "env config", &w->env, e);
    cJSON_Delete(c);
    if (rc) return -1;
  }
  if (b->kind == DS_EPISODES) {
    sgp_cfg pc = sgp_cfg_root(b->policy_cfg, j->spec_file);
    snprintf(pc.path, sizeof pc.path, "/policy");
    if (b->policy->create(&pc, w->env, &w->policy, e)) return -1;
  }
  int nx = j->out->nx, nu = j->out->nu;
  w->x = sgp_malloc(sizeof(double) * nx);
  w->xn = sgp_malloc(sizeof(double) * nx);
  w->u = sgp_malloc(sizeof(double) * nu);
  w->xb = sgp_malloc(sizeof(double) * (nx > ENV_MAX_BOX ? nx : ENV_MAX_BOX));
  w->ub = sgp_malloc(sizeof(double) * (nu > ENV_MAX_BOX ? nu : ENV_MAX_BOX));
  return 0;
}

static void free_worker(worker *w, const ds_behaviour *b) {
  if (w->policy) b->policy->destroy(w->policy);
  if (w->env) env_destroy(w->env);
  free(w->x), free(w->xn), free(w->u), free(w->xb), free(w->ub);
}

/* Runs the workers to the end of the queue (or the first failure), with the progress bar. */
static int run_workers(job *j, worker *w, int nthreads, int progress, sgp_err *e) {
  pthread_t *tid = sgp_calloc((size_t)nthreads, sizeof *tid);
  int rc = 0, started;
  for (started = 0; started < nthreads; started++)
    if (pthread_create(&tid[started], NULL, worker_main, &w[started]) != 0) {
      rc = sgp_fail(e, "collect: cannot start thread %d", started);
      atomic_store(&j->failed, 1);
      break;
    }
  sgp_progress p;
  if (progress) sgp_progress_begin(&p, "collect", (long)j->b->n);
  while (started > 0) {
    long done = atomic_load(&j->done_rows);
    if (progress) sgp_progress_update(&p, done, NULL);
    if (done >= j->b->n || atomic_load(&j->failed)) break;
    sleep_ms(50);
  }
  for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
  if (progress) {
    sgp_progress_update(&p, atomic_load(&j->done_rows), NULL);
    sgp_progress_end(&p);
  }
  if (rc == 0 && atomic_load(&j->failed)) {
    *e = j->err;
    rc = -1;
  }
  free(tid);
  return rc;
}

/* The manifest skeleton: what was collected and how (ds_write adds statistics, hashes and the
 * format fields). */
static cJSON *collection_manifest(const char *env_name, const cJSON *env_cfg, const cJSON *spec, uint64_t seed,
                                  const ds_behaviour *b, const job *j) {
  chunk_stats tot = {0};
  for (int64_t k = 0; k < j->nchunks; k++) {
    tot.attempts += j->stats[k].attempts;
    tot.rejected_excluded += j->stats[k].rejected_excluded;
    tot.rejected_path += j->stats[k].rejected_path;
    tot.rejected_box += j->stats[k].rejected_box;
    tot.sim_errors += j->stats[k].sim_errors;
    tot.episodes += j->stats[k].episodes;
    tot.truncated += j->stats[k].truncated;
  }
  cJSON *m = cJSON_CreateObject();
  cJSON_AddNumberToObject(m, "format_version", DS_FORMAT_VERSION);
  cJSON *je = cJSON_AddObjectToObject(m, "env");
  cJSON_AddStringToObject(je, "name", env_name);
  cJSON_AddItemToObject(je, "config", cJSON_Duplicate(env_cfg, 1));
  cJSON_AddItemToObject(m, "behaviour", cJSON_Duplicate(spec, 1));
  char sd[32];
  snprintf(sd, sizeof sd, "%llu", (unsigned long long)seed);
  cJSON_AddStringToObject(m, "seed", sd); /* a string: 64-bit seeds do not fit a JSON double */
  cJSON *jc = cJSON_AddObjectToObject(m, "collection");
  cJSON_AddNumberToObject(jc, "collector_version", DS_COLLECTOR_VERSION);
  cJSON_AddNumberToObject(jc, "chunk_size", b->chunk);
  cJSON_AddNumberToObject(jc, "chunks", (double)j->nchunks);
  cJSON_AddNumberToObject(jc, "attempts", (double)tot.attempts);
  if (b->kind == DS_BOX) {
    cJSON_AddNumberToObject(jc, "rejected_excluded", (double)tot.rejected_excluded);
    cJSON_AddNumberToObject(jc, "rejected_path", (double)tot.rejected_path);
    cJSON_AddNumberToObject(jc, "rejected_next_outside_box", (double)tot.rejected_box);
  } else {
    cJSON_AddNumberToObject(jc, "episodes", (double)tot.episodes);
    cJSON_AddNumberToObject(jc, "truncated_episodes", (double)tot.truncated);
  }
  cJSON_AddNumberToObject(jc, "simulator_errors", (double)tot.sim_errors);
  return m;
}

int ds_collect(const char *env_name, cJSON *env_cfg, const char *env_cfg_file, cJSON *spec, const char *spec_file,
               const ds_collect_opts *opts, ds_data *out, sgp_err *e) {
  if (ds_tier_kind(spec)) return ds_collect_tier(env_name, env_cfg, env_cfg_file, spec, spec_file, opts, out, e);
  cJSON *own_cfg = NULL;
  if (!env_cfg) env_cfg = own_cfg = cJSON_CreateObject();
  sgp_env *env0 = NULL;
  ds_behaviour b;
  if (env_create(env_name, env_cfg, env_cfg_file ? env_cfg_file : "env config", &env0, e) ||
      ds_behaviour_parse(spec, spec_file, env0, &b, e)) {
    if (env0) env_destroy(env0);
    cJSON_Delete(own_cfg);
    return -1;
  }
  int64_t nchunks = (b.n + b.chunk - 1) / b.chunk;
  int nthreads = opts->threads > 0 ? opts->threads : ds_ncores();
  if (nthreads > nchunks) nthreads = (int)nchunks;
  ds_data d;
  alloc_data(&d, env_name, env0, b.n);
  alloc_sim_state(&d, env0, &b);

  job *j = sgp_calloc(1, sizeof *j);
  j->b = &b;
  j->spec_file = spec_file;
  j->out = &d;
  sgp_rng_stream(&j->data, opts->seed, "data");
  j->nchunks = nchunks;
  atomic_init(&j->next_chunk, 0);
  atomic_init(&j->done_rows, 0);
  atomic_init(&j->failed, 0);
  j->stats = sgp_calloc((size_t)nchunks, sizeof *j->stats);
  pthread_mutex_init(&j->err_lock, NULL);

  worker *w = sgp_calloc((size_t)nthreads, sizeof *w);
  int rc = 0;
  for (int t = 0; t < nthreads && rc == 0; t++) rc = init_worker(&w[t], j, t, env0, env_name, env_cfg, env_cfg_file, e);
  if (rc == 0) rc = run_workers(j, w, nthreads, opts->progress, e);
  if (rc == 0) {
    d.manifest = collection_manifest(env_name, env_cfg, spec, opts->seed, &b, j);
    d.env_cfg = cJSON_GetObjectItem(cJSON_GetObjectItem(d.manifest, "env"), "config");
  }
  for (int t = 0; t < nthreads; t++) free_worker(&w[t], &b);
  if (!w[0].env) env_destroy(env0);
  free(w);
  pthread_mutex_destroy(&j->err_lock);
  free(j->stats);
  free(j);
  cJSON_Delete(own_cfg);
  if (rc) {
    ds_free(&d);
    return -1;
  }
  *out = d;
  return 0;
}
