/* Behaviour policies that are trained in the suite: linear policies on normalised observations
 * and Augmented Random Search (Mania, Guy & Recht 2018, variant V2-t), which trains them
 * (docs/behaviour-policies.md).
 *
 * A linear policy: u = clip(M · ((x − mean) ⊙ inv_std), u_lo, u_hi), M nu×nx. inv_std is 0 for a
 * dimension that did not vary in training (it is then ignored). On disk it is a .safetensors file
 * with float64 tensors "M" [nu, nx], "mean" [nx], "inv_std" [nx] and string metadata:
 *   "format": "sgp-linear-policy", "env": name, "env_config": JSON, "iteration", "episodes",
 *   "env_steps", "return_mean", "return_std", "return_episodes" (the measured return of this
 *   policy: mean and standard deviation over that many evaluation episodes), "train_config": the
 *   resolved ARS config (JSON), "seed", and the program's versions.
 * Loadable with the Python `safetensors` package.
 */
#ifndef SGP_POLICY_H
#define SGP_POLICY_H

#include "core/core.h"
#include "datasets/dataset.h"
#include "envs/env.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ds_linear {
  int nx, nu;
  double *M, *mean, *inv_std; /* nu×nx, nx, nx */
  cJSON *meta;                /* the metadata object (strings), owned; NULL for a fresh policy */
} ds_linear;

/* A zero policy (M = 0, mean 0, inv_std 1) of the given shape. */
void ds_linear_init(ds_linear *p, int nx, int nu);
void ds_linear_free(ds_linear *p);
void ds_linear_copy(ds_linear *dst, const ds_linear *src);
/* u (nu) for observation x (nx), clipped to [lo, hi]; z (nx) is scratch. */
void ds_linear_act(const ds_linear *p, const double *x, const double *lo, const double *hi, double *z, double *u);
/* Reads and validates a policy file: format, tensor shapes and dtypes, finite values, inv_std >= 0.
 * If env is not NULL its dimensions must match (and the "env" metadata its name). Errors name the
 * file and the tensor or key. */
int ds_linear_read(const char *path, const sgp_env *env, ds_linear *out, sgp_err *e);
/* The same from a file image in memory; `path` names it in errors. */
int ds_linear_parse(const void *buf, size_t len, const char *path, const sgp_env *env, ds_linear *out, sgp_err *e);
/* Writes atomically, with p->meta as metadata. */
int ds_linear_write(const char *path, const ds_linear *p, sgp_err *e);
/* Metadata helpers: a number ("return_mean") or NAN when absent. */
double ds_linear_meta_num(const ds_linear *p, const char *key);
void ds_linear_meta_set(ds_linear *p, const char *key, const char *value);
void ds_linear_meta_num_set(ds_linear *p, const char *key, double value);

/* The bytes of the policy a config names: {"policy": NAME} (committed, embedded in the program) or
 * {"file": PATH}; label (cap bytes) receives the name for messages. */
int ds_policy_bytes(sgp_cfg *cfg, void **buf, size_t *len, char *label, size_t cap, sgp_err *e);
/* The behaviour policy "linear" of datasets/behaviour.c (ds_policy_vt functions). */
int ds_linear_policy_create(sgp_cfg *cfg, const sgp_env *env, void **self, sgp_err *e);
void ds_linear_policy_destroy(void *self);
void ds_linear_policy_act(void *self, const sgp_env *env, const double *x, sgp_rng *rng, double *a);

/* ------------------------------------------------------------------ rollouts */
/* One episode of policy p (no noise) from reset(seed): its return, its length. shift is subtracted
 * from the reward of every step (ARS's survival-bonus removal; 0 for the task's return). When
 * stats is not NULL the observations fed to the policy are added to it. */
typedef struct ds_obs_stats {
  int nx;
  double count;
  double *mean, *m2; /* nx each: running mean and sum of squared deviations (Welford / Chan) */
} ds_obs_stats;
void ds_obs_stats_init(ds_obs_stats *s, int nx);
void ds_obs_stats_free(ds_obs_stats *s);
void ds_obs_stats_clear(ds_obs_stats *s);
void ds_obs_stats_add(ds_obs_stats *s, const double *x);
/* s += o (Chan's parallel merge; deterministic for a fixed order of merges). */
void ds_obs_stats_merge(ds_obs_stats *s, const ds_obs_stats *o);

/* A recorded episode (for the medium-replay tier): rows of x, u, x', reward, terminal, qpos, qvel. */
typedef struct ds_episode_rec {
  int cap, n, nx, nu, nq, nv;
  float *x, *u, *xn, *r;
  uint8_t *term;
  double *qpos, *qvel;
} ds_episode_rec;
void ds_episode_rec_free(ds_episode_rec *r);

int ds_rollout(sgp_env *env, const ds_linear *p, uint64_t seed, int T, double shift, ds_obs_stats *stats,
               ds_episode_rec *rec, double *ret, int *len, sgp_err *e);

/* ------------------------------------------------------------------ ARS (V2-t) */
typedef struct ds_ars_cfg {
  long iterations;     /* at most this many updates */
  int directions;      /* N: random directions per iteration (2N rollouts) */
  int top;             /* b: the best directions used in the update (b <= N) */
  double step_size;    /* α */
  double noise;        /* ν: exploration noise on M */
  double shift;        /* subtracted from every training reward (survival bonus removal) */
  int episode_length;  /* T of training and evaluation rollouts */
  int eval_every;      /* evaluate (and checkpoint) every this many iterations */
  int eval_episodes;   /* episodes per evaluation */
  double target_return; /* stop when an evaluation reaches it (NAN: never) */
  double medium_fraction; /* the medium checkpoint: closest to this fraction of the best return */
  uint64_t seed;
} ds_ars_cfg;

/* Reads an ARS config object (unknown keys rejected, defaults inserted; see docs). */
int ds_ars_cfg_read(sgp_cfg *c, const sgp_env *env, ds_ars_cfg *out, sgp_err *e);

typedef struct ds_ars_progress {
  long iteration, episodes, env_steps;
  double eval_mean, eval_std; /* last evaluation (NAN before the first) */
  double seconds;
} ds_ars_progress;

typedef struct ds_ars_opts {
  int threads;      /* <= 0: number of cores */
  /* Called after every evaluation with the evaluated policy (metadata filled); non-zero stops. */
  int (*on_eval)(void *ctx, const ds_linear *p, const ds_ars_progress *pr, sgp_err *e);
  /* Called after every iteration (progress display); may be NULL. */
  void (*on_iter)(void *ctx, const ds_ars_progress *pr);
  void *ctx;
  /* Replay recording: when stop_after >= 0, training stops after that many iterations and every
   * training rollout of those iterations is appended to *replay (in a fixed order). */
  long stop_after;
  ds_episode_rec **replay;
  int *nreplay;
} ds_ars_opts;

/* Trains a linear policy on env_name (env_cfg: its config) with ARS. The result is deterministic
 * for (config, seed) whatever the number of threads. `out` receives the last policy. */
int ds_ars_train(const char *env_name, const cJSON *env_cfg, const ds_ars_cfg *c, const cJSON *cfg_json,
                 const ds_ars_opts *o, ds_linear *out, sgp_err *e);

/* Evaluates p over `episodes` episodes with seeds from the "eval" stream of `seed` (in parallel,
 * deterministic): mean and standard deviation of the return (shift 0). */
int ds_linear_evaluate(const char *env_name, const cJSON *env_cfg, const ds_linear *p, int episodes, int T,
                       uint64_t seed, int threads, double *mean, double *std, sgp_err *e);

/* ------------------------------------------------------------------ tiers (datasets/tiers.c) */
/* 1 for a {"type": "concat"} spec, 2 for {"type": "replay"}, 0 otherwise (a behaviour spec). */
int ds_tier_kind(const cJSON *spec);
/* Checks any dataset spec (behaviour or tier) on env and resolves it in place as the collection
 * records it in the manifest (defaults inserted, a replay's or a part's policy hash added):
 * what `sgp collect --reuse` compares and what a sweep validates before anything runs. */
int ds_spec_resolve(cJSON *spec, const char *file, const sgp_env *env, sgp_err *e);
/* Collects a tier spec (ds_collect calls it for those types). */
int ds_collect_tier(const char *env_name, cJSON *env_cfg, const char *env_cfg_file, cJSON *spec, const char *spec_file,
                    const ds_collect_opts *opts, ds_data *out, sgp_err *e);

#ifdef __cplusplus
}
#endif
#endif
