/* Zeroth-order planners (METHOD §5, §7): cem, mppi, random-shooting, and the oracle (MPPI or CEM
 * on the true simulator). Every candidate (× every ensemble member) is a row of one model call per
 * time step; costs, penalties and distances take all T·N rows in one call each.
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
  planner base;
  samp_cfg cfg;
  plan_ctx ctx;
  const plan_dyn *dyn;
  const plan_dist *dist;
  void *dws, *distws;
  plan_bounds bnd;
  sgp_rng rng;
  int nx, nu, H, N, K, zdim, ncand;
  float *mean, *std, *warm, *mu_e; /* H×nu */
  float *Uc;    /* H×N×nu candidates, time-major */
  float *Urep;  /* H×K·N×nu when K > 1 */
  float *X;     /* (H+1)×K·N×nx */
  float *C;     /* (H+1)×K·N */
  float *Z, *D; /* H×N×zdim, H×N */
  float *Jf;    /* N objectives (float, for sorting) */
  double *Jc, *Jp, *wts; /* N cost, penalty, MPPI weights */
  int *idx;
  int have_warm, ncand_valid;
  float *x0f;
  float *plan_u, *plan_x, *cand_x;
  long model_rows, score_rows;
} samp;

/* ============================== config ========================================================= */

static int samp_parse(sgp_cfg *c, int kind, samp_cfg *o, sgp_err *e) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->method = kind;
  const char *keys[48];
  int nk = 0;
  static const char *const base_keys[] = {"name", "horizon", "warm_start", "seed_offset",
                                          "samples", "view_candidates", "init", NULL};
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
  long iters = 1, samples = 0, elites = 0, vc = 0;
  int in = 0;
  long dflt_samples = o->method == SAMP_RS ? 1000 : 500;
  if (sgp_cfg_int_opt(c, "samples", 1, 1000000, dflt_samples, &samples, e) ||
      sgp_cfg_int_opt(c, "view_candidates", 0, 1000, 8, &vc, e) ||
      sgp_cfg_enum(c, "init", plan_init_names, 3, PLAN_INIT_ZERO, &in, e))
    return -1;
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
    keys[nk++] = "iters", keys[nk++] = "elites", keys[nk++] = "alpha", keys[nk++] = "init_std";
    keys[nk++] = "min_std";
  } else if (o->method == SAMP_MPPI) {
    if (sgp_cfg_int_opt(c, "iters", 1, 100000, 1, &iters, e) ||
        sgp_cfg_num_opt(c, "temperature", 1.0, &o->temperature, e) ||
        sgp_cfg_num_opt(c, "noise", 0.3, &o->noise, e))
      return -1;
    if (!(o->temperature > 0) || !isfinite(o->temperature))
      return sgp_fail(e, "%s: %s/temperature: must be a finite number > 0", c->file, c->path);
    if (!(o->noise > 0) || !isfinite(o->noise))
      return sgp_fail(e, "%s: %s/noise: must be a finite number > 0", c->file, c->path);
    keys[nk++] = "iters", keys[nk++] = "temperature", keys[nk++] = "noise";
  }
  o->iters = (int)iters;
  o->samples = (int)samples;
  o->elites = (int)elites;
  o->view_candidates = (int)vc;
  o->init = (plan_init)in;
  if (kind != SAMP_ORACLE) {
    if (sgp_cfg_enum(c, "penalty", pen_names, 4, PEN_NONE, &o->penalty, e)) return -1;
    keys[nk++] = "penalty";
    if (o->penalty != PEN_NONE) {
      if (plan_cfg_beta(c, 1.0, &o->beta, e)) return -1;
      keys[nk++] = "beta", keys[nk++] = "beta_final", keys[nk++] = "beta_schedule";
    }
    if (o->penalty == PEN_DISTANCE) {
      static const char *const dn[2] = {"exact", "dde"};
      int w = 0;
      if (sgp_cfg_enum(c, "distance", dn, 2, 0, &o->dde, e) ||
          sgp_cfg_enum(c, "score_weight", plan_weight_names, 2, PLAN_WEIGHT_BETA, &w, e))
        return -1;
      o->weight = (plan_weight)w;
      keys[nk++] = "distance", keys[nk++] = "score_weight";
      if (!o->dde) {
        /* σ of the exact d_σ, in the data's normalised units; read here for validation and
         * resolution, used by whoever builds ctx->dist (bench/eval.c) */
        double ds;
        if (sgp_cfg_num_opt(c, "distance_sigma", 0.1, &ds, e)) return -1;
        if (!(ds > 0) || !isfinite(ds))
          return sgp_fail(e, "%s: %s/distance_sigma: must be a finite number > 0", c->file, c->path);
        keys[nk++] = "distance_sigma";
      }
    }
  }
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
  return 0;
}

/* ============================== lifecycle ====================================================== */

static void samp_destroy(planner *p) {
  samp *s = (samp *)p;
  if (!s) return;
  if (s->dws) s->dyn->vt->ws_free(s->dws);
  if (s->distws) s->dist->vt->ws_free(s->distws);
  plan_bounds_free(&s->bnd);
  free(s->mean), free(s->std), free(s->warm), free(s->mu_e), free(s->Uc), free(s->Urep);
  free(s->X), free(s->C), free(s->Z), free(s->D), free(s->Jf), free(s->Jc), free(s->Jp);
  free(s->wts), free(s->idx), free(s->x0f), free(s->plan_u), free(s->plan_x), free(s->cand_x);
  free(s);
}

static const plan_vt *samp_vt(int kind);

static int samp_create_kind(sgp_cfg *cfg, const plan_ctx *ctx, planner **out, int kind,
                            sgp_err *e) {
  samp_cfg o;
  if (samp_parse(cfg, kind, &o, e)) return -1;
  int H = plan_horizon(&o.com, ctx, cfg, e);
  if (H < 0) return -1;
  const plan_dyn *dyn;
  const char *what;
  if (kind == SAMP_ORACLE) dyn = ctx->truth, what = "true simulator";
  else if (o.penalty == PEN_ENSEMBLE || o.penalty == PEN_ENSEMBLE_STEP) dyn = ctx->ensemble, what = "ensemble";
  else dyn = ctx->dyn, what = "dynamics";
  if (plan_check_dyn(dyn, ctx, what, 0, e)) return -1;
  if ((o.penalty == PEN_ENSEMBLE || o.penalty == PEN_ENSEMBLE_STEP) && dyn->K < 2)
    return sgp_fail(e, "%s: %s/penalty: \"%s\" needs an ensemble of K >= 2 members, got K = %d",
                    cfg->file, cfg->path, pen_names[o.penalty], dyn->K);
  if (o.penalty != PEN_ENSEMBLE && o.penalty != PEN_ENSEMBLE_STEP && dyn->K != 1)
    return sgp_fail(e, "planner %s: the %s model must have K = 1 member, got %d", samp_names[kind],
                    what, dyn->K);
  const plan_dist *dist = NULL;
  if (o.penalty == PEN_DISTANCE) {
    dist = ctx->dist;
    if (!dist || !dist->vt || !dist->vt->eval || !dist->vt->ws_create)
      return sgp_fail(e, "planner %s: penalty \"distance\" needs a distance model (%s)",
                      samp_names[kind], o.dde ? "learned DDE" : "exact");
    if (dist->dim != plan_zdim(dist->layout, ctx->nx, ctx->nu) || !(dist->sigma > 0))
      return sgp_fail(e, "planner %s: the distance model has dim %d / sigma %g, expected dim %d",
                      samp_names[kind], dist->dim, dist->sigma,
                      plan_zdim(dist->layout, ctx->nx, ctx->nu));
  }
  if (!ctx->cost.running || !ctx->cost.terminal)
    return sgp_fail(e, "planner %s: the context has no cost", samp_names[kind]);
  samp *s = sgp_calloc(1, sizeof *s);
  if (plan_bounds_init(&s->bnd, ctx, PLAN_BOUNDS_CLIP, cfg->file, "(action bounds)", e)) {
    free(s);
    return -1;
  }
  s->base.vt = samp_vt(kind);
  s->cfg = o;
  s->ctx = *ctx;
  s->dyn = dyn;
  s->dist = dist;
  s->nx = ctx->nx, s->nu = ctx->nu, s->H = H, s->N = o.samples, s->K = dyn->K;
  s->zdim = dist ? dist->dim : 0;
  s->ncand = o.view_candidates < o.samples ? o.view_candidates : o.samples;
  int nx = s->nx, nu = s->nu, N = s->N, K = s->K;
  size_t HN = (size_t)H * N, KN = (size_t)K * N;
  s->dws = dyn->vt->ws_create(dyn->model, N, 1); /* forward only: one cache slot */
  if (dist) s->distws = dist->vt->ws_create(dist->model, (int)HN);
  s->mean = sgp_falloc((size_t)H * nu);
  s->std = sgp_falloc((size_t)H * nu);
  s->warm = sgp_falloc((size_t)H * nu);
  s->mu_e = sgp_falloc((size_t)H * nu);
  s->Uc = sgp_falloc(HN * nu);
  if (K > 1) s->Urep = sgp_falloc((size_t)H * KN * nu);
  s->X = sgp_falloc((size_t)(H + 1) * KN * nx);
  s->C = sgp_falloc((size_t)(H + 1) * KN);
  if (dist) {
    s->Z = sgp_falloc(HN * s->zdim);
    s->D = sgp_falloc(HN);
  }
  s->Jf = sgp_falloc((size_t)N);
  s->Jc = sgp_calloc((size_t)N, sizeof(double));
  s->Jp = sgp_calloc((size_t)N, sizeof(double));
  s->wts = sgp_calloc((size_t)N, sizeof(double));
  s->idx = sgp_calloc((size_t)N, sizeof(int));
  s->x0f = sgp_falloc((size_t)nx);
  s->plan_u = sgp_falloc((size_t)H * nu);
  s->plan_x = sgp_falloc((size_t)(H + 1) * nx);
  s->cand_x = sgp_falloc((size_t)(s->ncand > 0 ? s->ncand : 1) * (H + 1) * nx);
  memset(s->plan_u, 0, sizeof(float) * H * nu);
  memset(s->plan_x, 0, sizeof(float) * (H + 1) * nx);
  plan_rng_episode(&s->rng, ctx->seed, o.com.seed_offset, samp_names[kind], 0);
  *out = &s->base;
  return 0;
}

static void samp_reset(planner *p, uint64_t episode_seed) {
  samp *s = (samp *)p;
  s->have_warm = 0;
  plan_rng_episode(&s->rng, s->ctx.seed, s->cfg.com.seed_offset, samp_names[s->cfg.kind],
                   episode_seed);
}

/* ============================== candidate evaluation =========================================== */

/* Objective of the n candidates in s->Uc (time-major with stride n) from x0: fills Jf (non-finite
 * → +inf), Jc (cost), Jp (penalty) and s->X. */
static void samp_eval(samp *s, const float *x0, int n, int it) {
  const int H = s->H, K = s->K, nx = s->nx, nu = s->nu, Kn = K * n;
  const float *U = s->Uc;
  if (K > 1) {
    for (int t = 0; t < H; t++)
      for (int k = 0; k < K; k++)
        memcpy(s->Urep + ((size_t)t * Kn + (size_t)k * n) * nu, s->Uc + (size_t)t * n * nu,
               sizeof(float) * n * nu);
    U = s->Urep;
  }
  for (int i = 0; i < Kn; i++) memcpy(s->X + (size_t)i * nx, x0, sizeof(float) * nx);
  for (int t = 0; t < H; t++) /* a failed call leaves NaN rows: caught below */
    plan_forward(s->dyn, s->dws, 0, n, s->X + (size_t)t * Kn * nx, U + (size_t)t * Kn * nu,
                 s->X + (size_t)(t + 1) * Kn * nx);
  s->model_rows += (long)H * Kn;
  s->ctx.cost.running(s->ctx.cost.self, H * Kn, s->X, U, s->C, NULL, NULL);
  s->ctx.cost.terminal(s->ctx.cost.self, Kn, s->X + (size_t)H * Kn * nx, s->C + (size_t)H * Kn, NULL);
  double beta = plan_sched_value(s->cfg.beta.sched, s->cfg.beta.beta, s->cfg.beta.beta_final, it,
                                 s->cfg.iters);
  for (int i = 0; i < n; i++) {
    double m = 0, v = 0, pen = 0;
    for (int k = 0; k < K; k++) {
      double j = 0;
      for (int t = 0; t <= H; t++) j += s->C[(size_t)t * Kn + (size_t)k * n + i];
      m += j;
      v += j * j;
    }
    m /= K;
    if (s->cfg.penalty == PEN_ENSEMBLE) { /* population variance of the trajectory costs */
      double var = 0;
      for (int k = 0; k < K; k++) {
        double j = 0;
        for (int t = 0; t <= H; t++) j += s->C[(size_t)t * Kn + (size_t)k * n + i];
        var += (j - m) * (j - m);
      }
      pen = beta * var / K;
    } else if (s->cfg.penalty == PEN_ENSEMBLE_STEP) { /* MOPO: Σ_t mean_d std_k x_{t+1,d} */
      double u = 0;
      for (int t = 1; t <= H; t++)
        for (int d = 0; d < nx; d++) {
          double a = 0, b = 0;
          for (int k = 0; k < K; k++) {
            double x = s->X[((size_t)t * Kn + (size_t)k * n + i) * nx + d];
            a += x;
            b += x * x;
          }
          a /= K;
          double var = b / K - a * a;
          u += sqrt(var > 0 ? var : 0) / nx;
        }
      pen = beta * u;
    }
    (void)v;
    s->Jc[i] = m;
    s->Jp[i] = pen;
  }
  if (s->cfg.penalty == PEN_DISTANCE) { /* w Σ_t d_σ(z_t)/σ², all H·n rows in one call */
    const plan_dist *ds = s->dist;
    int zd = s->zdim, xux = ds->layout == PLAN_Z_XUX;
    size_t Hn = (size_t)H * n;
    for (size_t r = 0; r < Hn; r++) {
      float *z = s->Z + r * zd;
      memcpy(z, s->X + r * nx, sizeof(float) * nx);
      memcpy(z + nx, U + r * nu, sizeof(float) * nu);
      if (xux) memcpy(z + nx + nu, s->X + (r + n) * nx, sizeof(float) * nx);
    }
    ds->vt->eval(ds->model, s->distws, (int)Hn, s->Z, s->D, NULL);
    s->score_rows += (long)Hn;
    double sig2 = (double)ds->sigma * ds->sigma;
    double w = plan_weight_value(s->cfg.weight, beta, ds->sigma);
    for (size_t r = 0; r < Hn; r++) s->Jp[r % n] += w * s->D[r] / sig2;
  }
  for (int i = 0; i < n; i++) {
    double j = s->Jc[i] + s->Jp[i];
    s->Jf[i] = isfinite(j) && fabs(j) < 3e38 ? (float)j : INFINITY;
  }
}

/* ============================== one MPC step =================================================== */

static void samp_fill_candidates(samp *s, int kind) {
  const int H = s->H, N = s->N, nu = s->nu;
  for (int t = 0; t < H; t++)
    for (int i = 0; i < N; i++) {
      float *u = s->Uc + ((size_t)t * N + i) * nu;
      for (int j = 0; j < nu; j++) {
        int q = t * nu + j;
        if (kind == SAMP_RS) {
          int fin = isfinite(s->bnd.lo[j]) && isfinite(s->bnd.hi[j]);
          u[j] = fin ? s->bnd.lo[j] + (s->bnd.hi[j] - s->bnd.lo[j]) * (float)sgp_rng_uniform(&s->rng)
                     : s->mean[q] + (float)sgp_rng_normal(&s->rng);
        } else if (kind == SAMP_CEM) {
          u[j] = s->mean[q] + s->std[q] * (float)sgp_rng_normal(&s->rng);
        } else {
          u[j] = s->mean[q] + (float)(s->cfg.noise * s->bnd.half[j] * sgp_rng_normal(&s->rng));
        }
      }
    }
  plan_bounds_clip(&s->bnd, H * N, s->Uc);
}

static int samp_act(planner *p, const double *x, double *u, plan_diag *d, sgp_err *e) {
  (void)e;
  samp *s = (samp *)p;
  double t0 = sgp_now();
  const int H = s->H, N = s->N, nu = s->nu, nx = s->nx, method = s->cfg.method;
  const size_t per = (size_t)H * nu;
  float *x0f = s->x0f;
  plan_x_to_float(x, x0f, nx);
  s->model_rows = s->score_rows = 0;
  if (!s->have_warm) plan_init_plan(&s->bnd, s->cfg.init, H, &s->rng, s->warm);
  memcpy(s->mean, s->warm, sizeof(float) * per);
  for (size_t q = 0; q < per; q++) s->std[q] = (float)(s->cfg.init_std * s->bnd.half[q % nu]);

  int iters = method == SAMP_RS ? 1 : s->cfg.iters, done = 0, ok = 0;
  for (int it = 0; it < iters; it++) {
    samp_fill_candidates(s, method);
    samp_eval(s, x0f, N, it);
    plan_argsort(s->Jf, s->idx, N);
    if (!isfinite(s->Jf[s->idx[0]])) break; /* every candidate diverged */
    done = it + 1;
    if (method == SAMP_RS) {
      for (int t = 0; t < H; t++)
        memcpy(s->mu_e + (size_t)t * nu, s->Uc + ((size_t)t * N + s->idx[0]) * nu, sizeof(float) * nu);
      ok = 1;
    } else if (method == SAMP_CEM) {
      int E = 0;
      while (E < s->cfg.elites && isfinite(s->Jf[s->idx[E]])) E++;
      for (size_t q = 0; q < per; q++) {
        size_t t = q / nu, j = q % nu;
        double m = 0, v = 0;
        for (int a = 0; a < E; a++) m += s->Uc[(t * N + s->idx[a]) * nu + j];
        m /= E;
        for (int a = 0; a < E; a++) {
          double dlt = s->Uc[(t * N + s->idx[a]) * nu + j] - m;
          v += dlt * dlt;
        }
        v /= E;
        s->mu_e[q] = (float)m; /* the returned plan: mean of the final elites (METHOD §5) */
        double al = s->cfg.alpha;
        s->mean[q] = (float)(al * s->mean[q] + (1 - al) * m);
        double var = al * (double)s->std[q] * s->std[q] + (1 - al) * v;
        double sd = sqrt(var), lo = s->cfg.min_std * s->bnd.half[j];
        s->std[q] = (float)(sd > lo ? sd : lo);
      }
      ok = 1;
    } else { /* MPPI: softmax weights over all samples, temperature λ (METHOD §7) */
      double jmin = s->Jf[s->idx[0]], wsum = 0;
      for (int i = 0; i < N; i++) {
        s->wts[i] = isfinite(s->Jf[i]) ? exp(-((double)s->Jf[i] - jmin) / s->cfg.temperature) : 0;
        wsum += s->wts[i];
      }
      for (size_t q = 0; q < per; q++) {
        size_t t = q / nu, j = q % nu;
        double m = 0;
        for (int i = 0; i < N; i++) m += s->wts[i] * s->Uc[(t * N + i) * nu + j];
        s->mean[q] = (float)(m / wsum);
      }
      memcpy(s->mu_e, s->mean, sizeof(float) * per);
      ok = 1;
    }
  }
  /* a few candidate rollouts for the viewer: the best of the last iteration, member 0 */
  int nc = done > 0 ? s->ncand : 0;
  for (int c = 0; c < nc; c++)
    for (int t = 0; t <= H; t++)
      memcpy(s->cand_x + ((size_t)c * (H + 1) + t) * nx,
             s->X + ((size_t)t * s->K * N + s->idx[c]) * nx, sizeof(float) * nx);
  memset(d, 0, sizeof *d);
  if (ok) { /* predicted states and objective of the returned plan: one more 1-row rollout */
    plan_bounds_clip(&s->bnd, H, s->mu_e);
    memcpy(s->Uc, s->mu_e, sizeof(float) * per);
    samp_eval(s, x0f, 1, iters - 1);
    ok = isfinite(s->Jf[0]) && sgp_all_finite_f(s->mu_e, per);
  }
  if (ok) {
    memcpy(s->plan_u, s->mu_e, sizeof(float) * per);
    for (int t = 0; t <= H; t++)
      memcpy(s->plan_x + (size_t)t * nx, s->X + (size_t)t * s->K * nx, sizeof(float) * nx);
    d->objective = s->Jc[0] + s->Jp[0];
    d->cost = s->Jc[0];
    d->penalty = s->Jp[0];
  } else {
    plan_fallback(&s->bnd, s->warm, H, x0f, nx, s->plan_u, s->plan_x, d);
  }
  s->ncand_valid = nc;
  plan_finish(&s->ctx, &s->bnd, H, s->cfg.com.warm, s->plan_u, s->warm, u, d, done, s->model_rows,
              s->score_rows, t0);
  s->have_warm = 1;
  return 0;
}

static void samp_view(const planner *p, plan_view *v) {
  const samp *s = (const samp *)p;
  memset(v, 0, sizeof *v);
  v->T = s->H, v->nx = s->nx, v->nu = s->nu;
  v->x = s->plan_x;
  v->u = s->plan_u;
  v->ncand = s->ncand_valid;
  v->cand_x = s->cand_x;
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
                             needs_cem, create_cem, samp_destroy, samp_reset, samp_act, samp_view};
const plan_vt plan_vt_mppi = {"mppi", "model predictive path integral (softmax-weighted update)",
                              needs_mppi, create_mppi, samp_destroy, samp_reset, samp_act, samp_view};
const plan_vt plan_vt_random_shooting = {
    "random-shooting", "uniform random action sequences, best one",
    needs_rs, create_rs, samp_destroy, samp_reset, samp_act, samp_view};
const plan_vt plan_vt_oracle = {"oracle", "MPPI or CEM on the true simulator (upper reference)",
                                needs_oracle, create_oracle, samp_destroy, samp_reset, samp_act,
                                samp_view};

static const plan_vt *samp_vt(int kind) {
  static const plan_vt *const v[4] = {&plan_vt_cem, &plan_vt_mppi, &plan_vt_random_shooting,
                                      &plan_vt_oracle};
  return v[kind];
}
