/* Zeroth-order planners (METHOD §5, §7): cem, mppi, random-shooting, and the oracle (MPPI or CEM
 * on the true simulator). Every candidate (× every ensemble member) of every lane (episode, planned
 * in lockstep) is a row of one model call per time step; costs, penalties and distances take all
 * T·N rows of every lane in one call each. A lane whose candidates all diverged stops iterating.
 *
 *   cem              Gaussian around the mean plan; elites = E lowest objectives; mean and variance
 *                    move to the elite statistics with smoothing α; RETURNS THE MEAN OF THE FINAL
 *                    ELITES (not the single best sample, which on a learned model is the one that
 *                    exploits it most: METHOD §5)
 *   mppi             u_i = mean + ε_i, ε ~ N(0, σ²); mean ← Σ_i w_i u_i with w_i ∝ exp(−(J_i − min J)/λ)
 *                    over ALL samples (no elites, no variance update: METHOD §7)
 *   random-shooting  N uniform sequences in the bounds, the best one
 *   oracle           mppi or cem with ctx->truth as the model
 * Penalties: none | ensemble (β Var_k J_k) | ensemble_step (β Σ_t mean_d std_k x_{t+1,d}, MOPO
 * style) | distance (w Σ_t d_σ(z_t)/σ², exact or learned DDE). */
#include "agents/plan_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SAMP_CEM = 0, SAMP_MPPI = 1, SAMP_RS = 2, SAMP_ORACLE = 3 };
enum { PEN_NONE = 0, PEN_ENSEMBLE, PEN_ENSEMBLE_STEP, PEN_DISTANCE };
static const char *const pen_names[4] = {"none", "ensemble", "ensemble_step", "distance"};
static const char *const samp_names[4] = {"cem", "mppi", "random-shooting", "oracle"};

typedef struct samp_cfg {
  int kind, method; /* method: SAMP_CEM or SAMP_MPPI (oracle), else = kind */
  plan_common_cfg com;
  int iters, samples, elites, view_candidates;
  double alpha, init_std, min_std, temperature, noise;
  plan_init init;
  int penalty, dde;
  plan_beta_cfg beta;
  plan_weight weight;
} samp_cfg;

typedef struct samp {
  plan_base b; /* first: vtable, context, bounds, lanes (with candidate slots) */
  samp_cfg cfg;
  const plan_dyn *dyn;
  const plan_dist *dist;
  void *dws, *distws;
  int N, K, zdim;
  /* per slot i of an act: */
  float *mean, *std, *mu_e; /* L×H×nu: sampling mean and std, the plan to return */
  int *ok;                  /* L: the slot has a plan */
  int *idx;                 /* L×N: its candidates ranked, last iteration */
  int *pos;                 /* L: the slots evaluated together, in row order */
  /* rows of one evaluation of m slots with c candidates each: q = p·c + candidate, M = m·c */
  float *Uc;    /* H×M×nu candidates, time-major */
  float *Urep;  /* H×K·M×nu when K > 1 */
  float *X;     /* (H+1)×K·M×nx */
  float *C;     /* (H+1)×K·M */
  float *Z, *D; /* H×M×zdim, H×M */
  float *alive; /* H×K·M: the termination mask (plan_cost_mask), when the planner honours one */
  float *Jf;    /* M objectives (float, for sorting) */
  double *Jc, *Jp, *wts; /* M cost, penalty, MPPI weights */
  float *zrow;           /* nu: one candidate row's normals */
  double *zscale;        /* nu: MPPI's noise scale per coordinate */
  void *block;  /* the workspace: every view above and the lanes */
} samp;

/* ============================== config ========================================================= */

/* The method's own fields (cem: iters, elites, alpha, init_std, min_std; mppi: iters, temperature,
 * noise); their names are appended to keys. */
static int samp_parse_method(sgp_cfg *c, samp_cfg *o, long samples, const char **keys, int *nk,
                             sgp_err *e) {
  long iters = 1, elites = 0;
  if (o->method == SAMP_CEM) {
    if (sgp_cfg_int_opt(c, "iters", 1, 100000, 5, &iters, e) ||
        sgp_cfg_int_opt(c, "elites", 1, 1000000, samples >= 10 ? samples / 10 : 1, &elites, e) ||
        sgp_cfg_num_opt(c, "alpha", 0.1, &o->alpha, e) ||
        sgp_cfg_num_opt(c, "init_std", 0.5, &o->init_std, e) ||
        sgp_cfg_num_opt(c, "min_std", 0.0, &o->min_std, e))
      return -1;
    if (elites > samples)
      return sgp_fail(e, "%s: %s/elites: %ld elites but only %ld samples", c->file, c->path, elites,
                      samples);
    if (!(o->alpha >= 0 && o->alpha < 1))
      return sgp_fail(e, "%s: %s/alpha: the smoothing must be in [0, 1)", c->file, c->path);
    if (!(o->init_std > 0) || !isfinite(o->init_std))
      return sgp_fail(e, "%s: %s/init_std: must be a finite number > 0", c->file, c->path);
    if (!(o->min_std >= 0) || !isfinite(o->min_std))
      return sgp_fail(e, "%s: %s/min_std: must be a finite number >= 0", c->file, c->path);
    keys[(*nk)++] = "iters", keys[(*nk)++] = "elites", keys[(*nk)++] = "alpha";
    keys[(*nk)++] = "init_std", keys[(*nk)++] = "min_std";
  } else if (o->method == SAMP_MPPI) {
    if (sgp_cfg_int_opt(c, "iters", 1, 100000, 1, &iters, e) ||
        sgp_cfg_num_opt(c, "temperature", 1.0, &o->temperature, e) ||
        sgp_cfg_num_opt(c, "noise", 0.3, &o->noise, e))
      return -1;
    if (!(o->temperature > 0) || !isfinite(o->temperature))
      return sgp_fail(e, "%s: %s/temperature: must be a finite number > 0", c->file, c->path);
    if (!(o->noise > 0) || !isfinite(o->noise))
      return sgp_fail(e, "%s: %s/noise: must be a finite number > 0", c->file, c->path);
    keys[(*nk)++] = "iters", keys[(*nk)++] = "temperature", keys[(*nk)++] = "noise";
  }
  o->iters = (int)iters;
  o->elites = (int)elites;
  return 0;
}

/* penalty and its fields (beta group; distance, score_weight, distance_sigma). */
static int samp_parse_penalty(sgp_cfg *c, samp_cfg *o, const char **keys, int *nk, sgp_err *e) {
  if (sgp_cfg_enum(c, "penalty", pen_names, 4, PEN_NONE, &o->penalty, e)) return -1;
  keys[(*nk)++] = "penalty";
  if (o->penalty != PEN_NONE) {
    if (plan_cfg_beta(c, 1.0, &o->beta, e)) return -1;
    keys[(*nk)++] = "beta", keys[(*nk)++] = "beta_final", keys[(*nk)++] = "beta_schedule";
  }
  if (o->penalty != PEN_DISTANCE) return 0;
  static const char *const dn[2] = {"exact", "dde"};
  int w = 0;
  if (sgp_cfg_enum(c, "distance", dn, 2, 0, &o->dde, e) ||
      sgp_cfg_enum(c, "score_weight", plan_weight_names, 2, PLAN_WEIGHT_BETA, &w, e))
    return -1;
  o->weight = (plan_weight)w;
  keys[(*nk)++] = "distance", keys[(*nk)++] = "score_weight";
  if (!o->dde) {
    /* σ of the exact d_σ, in the data's normalised units; read here for validation and
     * resolution, used by whoever builds ctx->dist (bench/eval.c) */
    double ds;
    if (sgp_cfg_num_opt(c, "distance_sigma", 0.1, &ds, e)) return -1;
    if (!(ds > 0) || !isfinite(ds))
      return sgp_fail(e, "%s: %s/distance_sigma: must be a finite number > 0", c->file, c->path);
    keys[(*nk)++] = "distance_sigma";
  }
  return 0;
}

static int samp_parse(sgp_cfg *c, int kind, samp_cfg *o, sgp_err *e) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->method = kind;
  const char *keys[48];
  int nk = 0;
  static const char *const base_keys[] = {
      "name",    "horizon",         "warm_start", "seed_offset", PLAN_COMMON_TASK_KEYS,
      "samples", "view_candidates", "init",       NULL};
  for (int i = 0; base_keys[i]; i++) keys[nk++] = base_keys[i];
  if (plan_cfg_common(c, 0, &o->com, e)) return -1;
  o->com.bounds = PLAN_BOUNDS_CLIP;
  if (kind == SAMP_ORACLE) {
    static const char *const m[2] = {"mppi", "cem"};
    int mi = 0;
    if (sgp_cfg_enum(c, "method", m, 2, 0, &mi, e)) return -1;
    o->method = mi == 0 ? SAMP_MPPI : SAMP_CEM;
    keys[nk++] = "method";
  }
  long samples = 0, vc = 0;
  int in = 0;
  long dflt_samples = o->method == SAMP_RS ? 1000 : 500;
  if (sgp_cfg_int_opt(c, "samples", 1, 1000000, dflt_samples, &samples, e) ||
      sgp_cfg_int_opt(c, "view_candidates", 0, 1000, 8, &vc, e) ||
      sgp_cfg_enum(c, "init", plan_init_names, 3, PLAN_INIT_ZERO, &in, e) ||
      samp_parse_method(c, o, samples, keys, &nk, e))
    return -1;
  o->samples = (int)samples;
  o->view_candidates = (int)vc;
  o->init = (plan_init)in;
  if (kind != SAMP_ORACLE && samp_parse_penalty(c, o, keys, &nk, e)) return -1;
  keys[nk] = NULL;
  return sgp_cfg_check_keys(c, keys, e);
}

static int samp_needs_kind(sgp_cfg *cfg, int kind, int *mask, sgp_err *e) {
  samp_cfg o;
  if (samp_parse(cfg, kind, &o, e)) return -1;
  if (kind == SAMP_ORACLE) *mask = PLAN_NEEDS_TRUTH;
  else if (o.penalty == PEN_ENSEMBLE || o.penalty == PEN_ENSEMBLE_STEP) *mask = PLAN_NEEDS_ENSEMBLE;
  else if (o.penalty == PEN_DISTANCE) *mask = PLAN_NEEDS_DYN | (o.dde ? PLAN_NEEDS_DDE : PLAN_NEEDS_DIST);
  else *mask = PLAN_NEEDS_DYN;
  *mask |= plan_common_needs(&o.com);
  return 0;
}

/* ============================== lifecycle ====================================================== */

static void samp_destroy(planner *p) {
  samp *s = (samp *)p;
  if (!s) return;
  if (s->dws) s->dyn->vt->ws_free(s->dws);
  if (s->distws) s->dist->vt->ws_free(s->distws);
  plan_base_free(&s->b);
  free(s->block);
  free(s);
}

static void samp_layout(void *self, plan_block *b) {
  samp *s = self;
  const size_t H = (size_t)s->b.H, nx = (size_t)s->b.nx, nu = (size_t)s->b.nu, L = (size_t)s->b.L;
  const size_t M = L * s->N, KM = (size_t)s->K * M;
  plan_base_layout(&s->b, b);
  PLAN_TAKE(b, s->mean, L * H * nu);
  PLAN_TAKE(b, s->std, L * H * nu);
  PLAN_TAKE(b, s->mu_e, L * H * nu);
  PLAN_TAKE(b, s->ok, L);
  PLAN_TAKE(b, s->idx, M);
  PLAN_TAKE(b, s->pos, L);
  PLAN_TAKE(b, s->Uc, H * M * nu);
  if (s->K > 1) PLAN_TAKE(b, s->Urep, H * KM * nu);
  PLAN_TAKE(b, s->X, (H + 1) * KM * nx);
  PLAN_TAKE(b, s->C, (H + 1) * KM);
  PLAN_TAKE(b, s->Z, H * M * s->zdim);
  PLAN_TAKE(b, s->D, s->zdim ? H * M : 0);
  PLAN_TAKE(b, s->alive, plan_terminates(&s->b) ? H * KM : 0);
  PLAN_TAKE(b, s->Jf, M);
  PLAN_TAKE(b, s->Jc, M);
  PLAN_TAKE(b, s->Jp, M);
  PLAN_TAKE(b, s->wts, M);
  PLAN_TAKE(b, s->zrow, nu);
  PLAN_TAKE(b, s->zscale, nu);
}

static const plan_vt *samp_vt(int kind);

/* The model of this config (the simulator, the ensemble or the single model) and the distance. */
static int samp_models(const samp_cfg *o, const plan_ctx *ctx, const char *file, const char *path,
                       const plan_dyn **dyn, const plan_dist **dist, sgp_err *e) {
  const char *what;
  int kind = o->kind, ens = o->penalty == PEN_ENSEMBLE || o->penalty == PEN_ENSEMBLE_STEP;
  if (kind == SAMP_ORACLE) *dyn = ctx->truth, what = "true simulator";
  else if (ens) *dyn = ctx->ensemble, what = "ensemble";
  else *dyn = ctx->dyn, what = "dynamics";
  if (plan_check_dyn(*dyn, ctx, what, 0, e)) return -1;
  if (ens && (*dyn)->K < 2)
    return sgp_fail(e, "%s: %s/penalty: \"%s\" needs an ensemble of K >= 2 members, got K = %d",
                    file, path, pen_names[o->penalty], (*dyn)->K);
  if (!ens && (*dyn)->K != 1)
    return sgp_fail(e, "planner %s: the %s model must have K = 1 member, got %d", samp_names[kind],
                    what, (*dyn)->K);
  *dist = NULL;
  if (o->penalty == PEN_DISTANCE) {
    const plan_dist *d = ctx->dist;
    if (!d || !d->vt || !d->vt->eval || !d->vt->ws_create)
      return sgp_fail(e, "planner %s: penalty \"distance\" needs a distance model (%s)",
                      samp_names[kind], o->dde ? "learned DDE" : "exact");
    if (d->dim != plan_zdim(d->layout, ctx->nx, ctx->nu) || !(d->sigma > 0))
      return sgp_fail(e, "planner %s: the distance model has dim %d / sigma %g, expected dim %d",
                      samp_names[kind], d->dim, d->sigma, plan_zdim(d->layout, ctx->nx, ctx->nu));
    *dist = d;
  }
  if (!ctx->cost.running || !ctx->cost.terminal)
    return sgp_fail(e, "planner %s: the context has no cost", samp_names[kind]);
  return 0;
}

static int samp_create_kind(sgp_cfg *cfg, const plan_ctx *ctx, planner **out, int kind,
                            sgp_err *e) {
  samp_cfg o;
  const plan_dyn *dyn = NULL;
  const plan_dist *dist = NULL;
  if (samp_parse(cfg, kind, &o, e)) return -1;
  int H = plan_horizon(&o.com, ctx, cfg, e);
  if (H < 0 || samp_models(&o, ctx, cfg->file, cfg->path, &dyn, &dist, e)) return -1;
  samp *s = sgp_calloc(1, sizeof *s);
  if (plan_base_init(&s->b, samp_vt(kind), ctx, &o.com, samp_names[kind], H, cfg->file, NULL, e)) {
    free(s);
    return -1;
  }
  s->cfg = o;
  s->dyn = dyn;
  s->dist = dist;
  s->N = o.samples, s->K = dyn->K;
  s->zdim = dist ? dist->dim : 0;
  s->b.cand_slots = o.view_candidates < o.samples ? o.view_candidates : o.samples;
  size_t M = (size_t)s->b.L * s->N;
  s->block = plan_block_make(samp_layout, &s->b);
  s->dws = dyn->vt->ws_create(dyn->model, (int)M, 1); /* forward only: one cache slot */
  if (dist) s->distws = dist->vt->ws_create(dist->model, (int)(H * M));
  *out = &s->b.pub;
  return 0;
}

/* ============================== candidate evaluation =========================================== */

/* Per-candidate penalty over the K members: ensemble (β Var_k J_k, population) or ensemble_step
 * (MOPO: β Σ_t mean_d std_k x_{t+1,d}); Jc = mean_k J_k. */
static void samp_members(samp *s, int M, double beta) {
  const int H = s->b.H, K = s->K, nx = s->b.nx, KM = K * M;
  for (int i = 0; i < M; i++) {
    double m = 0, pen = 0;
    for (int k = 0; k < K; k++) {
      double j = 0;
      for (int t = 0; t <= H; t++) j += s->C[(size_t)t * KM + (size_t)k * M + i];
      m += j;
    }
    m /= K;
    if (s->cfg.penalty == PEN_ENSEMBLE) { /* population variance of the trajectory costs */
      double var = 0;
      for (int k = 0; k < K; k++) {
        double j = 0;
        for (int t = 0; t <= H; t++) j += s->C[(size_t)t * KM + (size_t)k * M + i];
        var += (j - m) * (j - m);
      }
      pen = beta * var / K;
    } else if (s->cfg.penalty == PEN_ENSEMBLE_STEP) { /* MOPO: Σ_t mean_d std_k x_{t+1,d} */
      double u = 0;
      for (int t = 1; t <= H; t++)
        for (int d = 0; d < nx; d++) {
          double a;
          u += plan_member_std(s->X + ((size_t)t * KM + i) * nx + d, (size_t)M * nx, K, &a) / nx;
        }
      pen = beta * u;
    }
    s->Jc[i] = m;
    s->Jp[i] = pen;
  }
}

/* w Σ_t d_σ(z_t)/σ² added to Jp, all H·M rows in one call. */
static void samp_distance(samp *s, int M, const float *U, double beta) {
  const plan_dist *ds = s->dist;
  const int nx = s->b.nx, nu = s->b.nu, zd = s->zdim, xux = ds->layout == PLAN_Z_XUX;
  size_t HM = (size_t)s->b.H * M;
  for (size_t r = 0; r < HM; r++) {
    float *z = s->Z + r * zd;
    memcpy(z, s->X + r * nx, sizeof(float) * nx);
    memcpy(z + nx, U + r * nu, sizeof(float) * nu);
    if (xux) memcpy(z + nx + nu, s->X + (r + M) * nx, sizeof(float) * nx);
  }
  ds->vt->eval(ds->model, s->distws, (int)HM, s->Z, s->D, NULL);
  double sig2 = (double)ds->sigma * ds->sigma;
  double w = plan_weight_value(s->cfg.weight, beta, ds->sigma);
  for (size_t r = 0; r < HM; r++) s->Jp[r % M] += w * s->D[r] / sig2;
}

/* Objective of the c candidates of each of the m slots s->pos[0..m) in s->Uc (time-major, M = m·c
 * rows per step) from their slots' x0: fills Jf (non-finite → +inf), Jc (cost), Jp (penalty) and
 * s->X, and counts the rows of every slot marked running. */
static void samp_eval(samp *s, int m, int c, int it) {
  const int H = s->b.H, K = s->K, nx = s->b.nx, nu = s->b.nu, M = m * c, KM = K * M;
  const float *U = s->Uc;
  if (K > 1) {
    for (int t = 0; t < H; t++)
      for (int k = 0; k < K; k++)
        memcpy(s->Urep + ((size_t)t * KM + (size_t)k * M) * nu, s->Uc + (size_t)t * M * nu,
               sizeof(float) * M * nu);
    U = s->Urep;
  }
  for (int i = 0; i < KM; i++)
    memcpy(s->X + (size_t)i * nx, s->b.x0 + (size_t)s->pos[(i % M) / c] * nx, sizeof(float) * nx);
  for (int t = 0; t < H; t++) /* a failed call leaves NaN rows: caught below */
    plan_forward(s->dyn, s->dws, 0, M, s->X + (size_t)t * KM * nx, U + (size_t)t * KM * nu,
                 s->X + (size_t)(t + 1) * KM * nx);
  s->b.ctx.cost.running(s->b.ctx.cost.self, H * KM, s->X, U, s->C, NULL, NULL);
  s->b.ctx.cost.terminal(s->b.ctx.cost.self, KM, s->X + (size_t)H * KM * nx, s->C + (size_t)H * KM,
                         NULL);
  plan_cost_mask(&s->b, H, KM, s->X, s->alive, s->C, NULL, NULL);
  double beta = plan_sched_value(s->cfg.beta.sched, s->cfg.beta.beta, s->cfg.beta.beta_final, it,
                                 s->cfg.iters);
  samp_members(s, M, beta);
  if (s->cfg.penalty == PEN_DISTANCE) samp_distance(s, M, U, beta);
  plan_base_count(&s->b, (long)H * K * c, s->cfg.penalty == PEN_DISTANCE ? (long)H * c : 0, 0);
  for (int i = 0; i < M; i++) {
    double j = s->Jc[i] + s->Jp[i];
    s->Jf[i] = isfinite(j) && fabs(j) < 3e38 ? (float)j : INFINITY;
  }
}

/* ============================== one MPC step =================================================== */

/* Slot i's N candidates from its lane's stream into rows p·N.. of Uc (M rows per step). CEM and
 * MPPI draw each row's normals in one batch (sgp_rng_normal_f: the floats of one call per element). */
static void samp_fill_candidates(samp *s, int i, int p, int M) {
  const int H = s->b.H, N = s->N, nu = s->b.nu, kind = s->cfg.method;
  const plan_bounds *bd = &s->b.bnd;
  sgp_rng *rng = &s->b.lane[s->b.lanes[i]].rng;
  const float *mean = s->mean + (size_t)i * H * nu, *std = s->std + (size_t)i * H * nu;
  float *z = s->zrow;
  double *sc = s->zscale;
  if (kind == SAMP_MPPI)
    for (int j = 0; j < nu; j++) sc[j] = s->cfg.noise * bd->half[j];
  for (int t = 0; t < H; t++)
    for (int c = 0; c < N; c++) {
      float *u = s->Uc + ((size_t)t * M + (size_t)p * N + c) * nu;
      const float *mt = mean + (size_t)t * nu, *st = std + (size_t)t * nu;
      if (kind == SAMP_RS) {
        for (int j = 0; j < nu; j++) {
          int fin = isfinite(bd->lo[j]) && isfinite(bd->hi[j]);
          u[j] = fin ? bd->lo[j] + (bd->hi[j] - bd->lo[j]) * (float)sgp_rng_uniform(rng)
                     : mt[j] + (float)sgp_rng_normal(rng);
        }
      } else if (kind == SAMP_CEM) {
        sgp_rng_normal_f(rng, z, NULL, (size_t)nu);
        for (int j = 0; j < nu; j++) u[j] = mt[j] + st[j] * z[j];
      } else {
        sgp_rng_normal_f(rng, z, sc, (size_t)nu);
        for (int j = 0; j < nu; j++) u[j] = mt[j] + z[j];
      }
      plan_bounds_clip(bd, 1, u);
    }
}

/* CEM: mean and variance move to the elite statistics with smoothing α; mu_e = the elite mean
 * (the returned plan: METHOD §5). Candidates of position p among M rows per step. */
static void samp_update_cem(samp *s, int i, int p, int M, const int *idx) {
  const int H = s->b.H, N = s->N, nu = s->b.nu;
  const size_t per = (size_t)H * nu;
  float *mean = s->mean + i * per, *std = s->std + i * per, *mu_e = s->mu_e + i * per;
  const float *Jf = s->Jf + (size_t)p * N, *Uc = s->Uc + (size_t)p * N * nu;
  int E = 0;
  while (E < s->cfg.elites && isfinite(Jf[idx[E]])) E++;
  for (size_t q = 0; q < per; q++) {
    size_t t = q / nu, j = q % nu;
    double m = 0, v = 0;
    for (int a = 0; a < E; a++) m += Uc[(t * M + idx[a]) * nu + j];
    m /= E;
    for (int a = 0; a < E; a++) {
      double dlt = Uc[(t * M + idx[a]) * nu + j] - m;
      v += dlt * dlt;
    }
    v /= E;
    mu_e[q] = (float)m;
    double al = s->cfg.alpha;
    mean[q] = (float)(al * mean[q] + (1 - al) * m);
    double var = al * (double)std[q] * std[q] + (1 - al) * v;
    double sd = sqrt(var), lo = s->cfg.min_std * s->b.bnd.half[j];
    std[q] = (float)(sd > lo ? sd : lo);
  }
}

/* MPPI: softmax weights over all samples, temperature λ (METHOD §7); mu_e = mean. */
static void samp_update_mppi(samp *s, int i, int p, int M, const int *idx) {
  const int H = s->b.H, N = s->N, nu = s->b.nu;
  const size_t per = (size_t)H * nu;
  float *mean = s->mean + i * per;
  const float *Jf = s->Jf + (size_t)p * N, *Uc = s->Uc + (size_t)p * N * nu;
  double *wts = s->wts + (size_t)p * N;
  double jmin = Jf[idx[0]], wsum = 0;
  for (int c = 0; c < N; c++) {
    wts[c] = isfinite(Jf[c]) ? exp(-((double)Jf[c] - jmin) / s->cfg.temperature) : 0;
    wsum += wts[c];
  }
  for (size_t q = 0; q < per; q++) {
    size_t t = q / nu, j = q % nu;
    double m = 0;
    for (int c = 0; c < N; c++) m += wts[c] * Uc[(t * M + c) * nu + j];
    mean[q] = (float)(m / wsum);
  }
  memcpy(s->mu_e + i * per, mean, sizeof(float) * per);
}

/* After evaluating position p (slot i): rank, keep the best candidates' rollouts for the view, and
 * update the slot (it stops when every candidate diverged). */
static void samp_update(samp *s, int i, int p, int M, int it) {
  const int H = s->b.H, N = s->N, nu = s->b.nu, nx = s->b.nx, KM = s->K * M;
  int *idx = s->idx + (size_t)i * N;
  plan_lane *ln = &s->b.lane[s->b.lanes[i]];
  plan_argsort(s->Jf + (size_t)p * N, idx, N);
  if (!isfinite(s->Jf[(size_t)p * N + idx[0]])) s->b.run[i] = 0; /* every candidate diverged */
  else if (s->cfg.method == SAMP_RS) {
    for (int t = 0; t < H; t++)
      memcpy(s->mu_e + ((size_t)i * H + t) * nu, s->Uc + ((size_t)t * M + (size_t)p * N + idx[0]) * nu,
             sizeof(float) * nu);
  } else if (s->cfg.method == SAMP_CEM) samp_update_cem(s, i, p, M, idx);
  else samp_update_mppi(s, i, p, M, idx);
  if (s->b.run[i]) s->b.done[i] = it + 1, s->ok[i] = 1;
  /* a few candidate rollouts for the viewer: the best of the last iteration, member 0 */
  ln->ncand = s->b.done[i] > 0 ? s->b.cand_slots : 0;
  for (int c = 0; c < ln->ncand; c++)
    plan_gather_rows(ln->cand_x + (size_t)c * (H + 1) * nx, s->X, H + 1, KM, (size_t)p * N + idx[c], nx);
}

/* The iterations: every running slot's candidates in one evaluation per iteration. */
static void samp_iterate(samp *s) {
  const int N = s->N, iters = s->cfg.method == SAMP_RS ? 1 : s->cfg.iters;
  for (int it = 0; it < iters; it++) {
    int m = 0;
    for (int i = 0; i < s->b.n; i++)
      if (s->b.run[i]) s->pos[m++] = i;
    if (!m) break;
    for (int p = 0; p < m; p++) samp_fill_candidates(s, s->pos[p], p, m * N);
    samp_eval(s, m, N, it);
    for (int p = 0; p < m; p++) samp_update(s, s->pos[p], p, m * N, it);
  }
}

/* The returned plans: predicted states and objective of each slot's plan in one more rollout of
 * one row per slot; a slot without a finite plan falls back. */
static void samp_finish(samp *s, double *u, plan_diag *d, double t0) {
  const int H = s->b.H, nx = s->b.nx, nu = s->b.nu, iters = s->cfg.method == SAMP_RS ? 1 : s->cfg.iters;
  const size_t per = (size_t)H * nu;
  int m = 0;
  for (int i = 0; i < s->b.n; i++) {
    s->b.run[i] = s->ok[i];
    if (!s->ok[i]) continue;
    plan_bounds_clip(&s->b.bnd, H, s->mu_e + i * per);
    s->pos[m++] = i;
  }
  for (int p = 0; p < m; p++)
    for (int t = 0; t < H; t++)
      memcpy(s->Uc + ((size_t)t * m + p) * nu, s->mu_e + (s->pos[p] * per + (size_t)t * nu),
             sizeof(float) * nu);
  if (m) samp_eval(s, m, 1, iters - 1);
  for (int p = 0; p < m; p++) {
    int i = s->pos[p];
    s->ok[i] = isfinite(s->Jf[p]) && sgp_all_finite_f(s->mu_e + i * per, per);
  }
  double ts = (sgp_now() - t0) / s->b.n;
  for (int i = 0, p = 0; i < s->b.n; i++) {
    plan_lane *ln = &s->b.lane[s->b.lanes[i]];
    if (s->ok[i]) {
      while (s->pos[p] != i) p++;
      memcpy(ln->plan_u, s->mu_e + i * per, sizeof(float) * per);
      plan_gather_rows(ln->plan_x, s->X, H + 1, (size_t)s->K * m, p, nx);
    }
    int q = s->ok[i] ? p : 0;
    plan_base_finish(&s->b, i, s->ok[i], s->Jc[q] + s->Jp[q], s->Jc[q], s->Jp[q], u + (size_t)i * nu,
                     &d[i], ts);
  }
}

static int samp_act_lanes(planner *p, int n, const int *lanes, const double *x, double *u,
                          plan_diag *d, sgp_err *e) {
  samp *s = (samp *)p;
  double t0 = sgp_now();
  if (plan_base_begin(&s->b, n, lanes, x, e)) return -1;
  const int H = s->b.H, nu = s->b.nu;
  const size_t per = (size_t)H * nu;
  for (int i = 0; i < n; i++) {
    plan_lane *ln = &s->b.lane[lanes[i]];
    if (!ln->have_warm) plan_init_plan(&s->b.bnd, s->cfg.init, H, &ln->rng, ln->warm);
    memcpy(s->mean + i * per, ln->warm, sizeof(float) * per);
    for (size_t q = 0; q < per; q++)
      s->std[i * per + q] = (float)(s->cfg.init_std * s->b.bnd.half[q % nu]);
    s->ok[i] = 0;
    ln->ncand = 0;
  }
  samp_iterate(s);
  samp_finish(s, u, d, t0);
  return 0;
}

/* ============================== vtables ======================================================== */

static int needs_cem(sgp_cfg *c, int *m, sgp_err *e) { return samp_needs_kind(c, SAMP_CEM, m, e); }
static int needs_mppi(sgp_cfg *c, int *m, sgp_err *e) { return samp_needs_kind(c, SAMP_MPPI, m, e); }
static int needs_rs(sgp_cfg *c, int *m, sgp_err *e) { return samp_needs_kind(c, SAMP_RS, m, e); }
static int needs_oracle(sgp_cfg *c, int *m, sgp_err *e) { return samp_needs_kind(c, SAMP_ORACLE, m, e); }
static int create_cem(sgp_cfg *c, const plan_ctx *x, planner **o, sgp_err *e) {
  return samp_create_kind(c, x, o, SAMP_CEM, e);
}
static int create_mppi(sgp_cfg *c, const plan_ctx *x, planner **o, sgp_err *e) {
  return samp_create_kind(c, x, o, SAMP_MPPI, e);
}
static int create_rs(sgp_cfg *c, const plan_ctx *x, planner **o, sgp_err *e) {
  return samp_create_kind(c, x, o, SAMP_RS, e);
}
static int create_oracle(sgp_cfg *c, const plan_ctx *x, planner **o, sgp_err *e) {
  return samp_create_kind(c, x, o, SAMP_ORACLE, e);
}

const plan_vt plan_vt_cem = {"cem", "cross-entropy method; returns the mean of the final elites",
                             needs_cem, create_cem, samp_destroy, plan_reset_one, plan_act_one, plan_view_one, plan_reset_lane, samp_act_lanes, plan_view_lane};
const plan_vt plan_vt_mppi = {"mppi", "model predictive path integral (softmax-weighted update)",
                              needs_mppi, create_mppi, samp_destroy, plan_reset_one, plan_act_one, plan_view_one, plan_reset_lane, samp_act_lanes, plan_view_lane};
const plan_vt plan_vt_random_shooting = {
    "random-shooting", "uniform random action sequences, best one",
    needs_rs, create_rs, samp_destroy, plan_reset_one, plan_act_one, plan_view_one, plan_reset_lane, samp_act_lanes, plan_view_lane};
const plan_vt plan_vt_oracle = {"oracle", "MPPI or CEM on the true simulator (a sampling-budget reference, not an upper bound)",
                                needs_oracle, create_oracle, samp_destroy, plan_reset_one,
                                plan_act_one, plan_view_one, plan_reset_lane, samp_act_lanes,
                                plan_view_lane};

static const plan_vt *samp_vt(int kind) {
  static const plan_vt *const v[4] = {&plan_vt_cem, &plan_vt_mppi, &plan_vt_random_shooting,
                                      &plan_vt_oracle};
  return v[kind];
}
