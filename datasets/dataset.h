/* sgpbench datasets: offline transitions collected from an environment (docs/datasets.md).
 *
 * On disk a dataset is a directory, loadable with numpy.load as is:
 *   x.npy, u.npy, xnext.npy    float32  N×nx, N×nu, N×nx
 *   reward.npy                 float32  N         (reward = −c(x,u))
 *   terminal.npy, timeout.npy  uint8    N         (episode ended by the task / by truncation)
 *   qpos.npy, qvel.npy         float64  N×nq, N×nv (only for environments whose state is an
 *                              observation: MuJoCo's exact state of x, to restore it)
 *   manifest.json              format version, env name + resolved env config, behaviour spec
 *                              (resolved), seed, N, per-dimension statistics of x and u, SHA-256
 *                              of every .npy, sgpbench version + git revision, MuJoCo version.
 * Collection is deterministic: the same (env config, spec, seed) gives the same bytes whatever
 * the number of threads (fixed chunks, one child RNG stream per chunk, concatenated in order).
 */
#ifndef SGP_DATASET_H
#define SGP_DATASET_H

#include "core/core.h"
#include "envs/env.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DS_FORMAT_VERSION 1
/* The collection algorithm's version: bumped whenever a change makes the same (env, spec, seed)
 * produce different rows. It is recorded in the manifest and is part of a sweep's dataset key, so
 * a cache filled by an older build is never mistaken for this build's data.
 *   1  box: x outside the excluded disk
 *   2  box: neither x, x' nor the segment between them touches the excluded disk */
#define DS_COLLECTOR_VERSION 2

typedef struct ds_data {
  char *dir;          /* where it was loaded from (NULL for a collected, unwritten dataset) */
  char *env;          /* environment name */
  cJSON *env_cfg;     /* resolved environment config (owned by manifest) */
  int nx, nu;
  int64_t n;
  float *x, *u, *xnext, *reward;  /* N×nx, N×nu, N×nx, N */
  uint8_t *terminal, *timeout;    /* N */
  int nq, nv;                     /* > 0 when the simulator state is stored (env spec store_sim_state) */
  double *qpos, *qvel;            /* N×nq, N×nv float64 (qpos.npy, qvel.npy): the exact state of x */
  cJSON *manifest;    /* owned */
} ds_data;

/* Loads and validates a dataset directory: every file present, dtypes and shapes consistent
 * (same N, nx/nu as the manifest and as the environment built from it), finite values, 0/1 flags,
 * hashes equal to the manifest's. Errors name the file and field:
 *   "data/pt/xnext.npy: 1000 rows, x.npy has 1001"
 *   "data/pt/manifest.json: /files/u.npy/sha256: missing" */
int ds_load(const char *dir, ds_data *out, sgp_err *e);
/* The manifest part of ds_load (no file is read): format version, n, nx, nu, the environment (built
 * from its config), /files/<name> entries (dtype, shape, sha256) and the structure of /stats.
 * Fills d->n, nx, nu, env (malloc'd) and env_cfg (inside m); -1 with e naming mpath and field. */
int ds_manifest_check(cJSON *m, const char *mpath, ds_data *d, sgp_err *e);
void ds_free(ds_data *d);

/* Writes d (arrays + d->manifest, completed with format version, N, dims, statistics and hashes)
 * into `dir` atomically: a temporary sibling directory renamed into place, so no partial dataset
 * is ever visible. An existing `dir` is an error unless force (then it must be a dataset
 * directory: only dataset files in it). */
int ds_write(const char *dir, ds_data *d, int force, sgp_err *e);

/* Per-dimension statistics {"mean":[..],"std":[..],"min":[..],"max":[..]} of rows×dim floats. */
cJSON *ds_stats_json(const float *a, int64_t rows, int dim);

/* ------------------------------------------------------------------ behaviour (collection) specs */
/* A behaviour spec is a JSON object (unknown fields rejected, defaults inserted):
 *  {"type":"box", "n":100000,
 *   "state_lo":[..], "state_hi":[..],     default: the env's data box (nbx values)
 *   "action_lo":[..], "action_hi":[..],   default: the env's action box (nbu values)
 *   "exclude":{"center":[0,0],"radius":0.4},  default: the env's excluded disk (radius 0: none)
 *   "next_in_box":true}                   keep only transitions whose x' stays in the box
 *  {"type":"episodes", "n":100000,
 *   "policy":{"type":"uniform"},          a registered behaviour policy (ds_policy_find)
 *   "action_noise":0.0,                   Gaussian noise std, as a fraction of the half-range
 *   "episode_length":T}                   default: the env's T
 */
typedef enum ds_kind { DS_BOX = 0, DS_EPISODES = 1 } ds_kind;

/* A behaviour policy acts in the env's action-box coordinates (nbu; identity except pixels with
 * image actions, where the collector renders the displacement). Stronger policies (a planner,
 * an expert controller) plug in as new table entries in datasets/behaviour.c. */
typedef struct ds_policy_vt {
  const char *name, *summary;
  /* Reads its config (defaults inserted, unknown keys rejected); self may be NULL for none. */
  int (*create)(sgp_cfg *cfg, const sgp_env *env, void **self, sgp_err *e);
  void (*destroy)(void *self);
  void (*reset)(void *self, const double *x0);
  /* a (nbu) for state x (nx). Draws from rng only; deterministic given it. */
  void (*act)(void *self, const sgp_env *env, const double *x, sgp_rng *rng, double *a);
} ds_policy_vt;

const ds_policy_vt *ds_policy_find(const char *name);
int ds_policy_count(void);
const ds_policy_vt *ds_policy_at(int i);

typedef struct ds_behaviour {
  ds_kind kind;
  int64_t n;           /* transitions requested */
  int chunk;           /* transitions per chunk (the unit of determinism) */
  /* box */
  int nbx, nbu;
  double lo[ENV_MAX_BOX], hi[ENV_MAX_BOX], alo[ENV_MAX_BOX], ahi[ENV_MAX_BOX];
  double excl_center[2], excl_radius;
  int next_in_box;
  /* episodes */
  const ds_policy_vt *policy;
  cJSON *policy_cfg;   /* resolved policy config (inside the spec object) */
  double action_noise;
  int episode_length;
} ds_behaviour;

/* Parses and validates spec (modified: defaults inserted) for env. `file` names it in errors. */
int ds_behaviour_parse(cJSON *spec, const char *file, const sgp_env *env, ds_behaviour *out, sgp_err *e);

/* ------------------------------------------------------------------ collection */
typedef struct ds_collect_opts {
  uint64_t seed;
  int threads;     /* <= 0: number of cores */
  int progress;    /* 1: progress bar on stderr (if a terminal) */
} ds_collect_opts;

/* Collects spec->n transitions in memory (env_cfg and spec are resolved in place; the dataset's
 * manifest records copies). */
int ds_collect(const char *env_name, cJSON *env_cfg, const char *env_cfg_file, cJSON *spec,
               const char *spec_file, const ds_collect_opts *opts, ds_data *out, sgp_err *e);

/* Number of online cores (>= 1). */
int ds_ncores(void);

#ifdef __cplusplus
}
#endif
#endif
