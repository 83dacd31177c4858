// ctest-labels: unit planner
/* The first-order planners' gradients against central finite differences in double:
 *  - sgp-shooting: cost + score term through a random MLP dynamics model (the wrapper of
 *    agents/plan_testsys.c), with a Gaussian score whose log-density is known, so that
 *    −w Σ_t log p(z_t) is a true value to difference. Both z layouts, clip and tanh bounds,
 *    both weighting conventions, an NCSN level and a cosine β at a given iteration (the test
 *    recomputes level and β itself, so ignoring a schedule would fail).
 *  - grad-ensemble: mean_k J_k + β Var_k J_k (population variance) over K = 3 random members,
 *    and the per-step disagreement (penalty ensemble_step): mean_k J_k + β Σ_{t≥1} mean_d std_k x_{t,d}.
 *  - sgp-collocation: each free state receives both neighbouring score terms (x part of z_t and
 *    x' part of z_{t−1}), plus the dynamics defect through the MLP.
 *  - the gradient norms a shooting planner reports at its returned plan (plan_diag grad_norm and
 *    cost_grad_norm: the penalised objective and its task-cost part, projected on the clip box)
 *    against the norms of the finite-difference gradients of the double reference at that plan.
 * The reference evaluates its own double-precision MLP from the network's parameters, so it is
 * independent of the float pipeline; FD step 1e-4 (truncation ~1e-8), the planner's float gradient
 * is compared per entry relative to the largest entry of the gradient. */
#include "testutil.h"

#include "agents/plan_common.h"
#include "agents/plan_testsys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NX = 3, NU = 2, T = 6, R = 2, KMAX = 3 };

static nn_mlp *nets[KMAX];
static float kscale[NX] = {0.3f, 0.2f, 0.25f};
static double Qm[NX * NX], Rm[NU * NU], Qfm[NX * NX], goal[NX] = {0.5, -0.3, 0.2};
static const double ulo[NU] = {-1.0, -2.0}, uhi[NU] = {1.5, 2.0};

/* ------------------------------------------------------------------ double reference */
static void mlp_d(const nn_mlp *m, const double *in, double *out) {
  double h[2][64];
  int n = m->arch.nin;
  for (int i = 0; i < n; i++) h[0][i] = in[i];
  int cur = 0;
  for (int l = 0; l < m->nlayers; l++) {
    const nn_layer *L = &m->layer[l];
    for (int o = 0; o < L->nout; o++) {
      double a = L->b[o];
      for (int i = 0; i < L->nin; i++) a += (double)L->W[o * L->nin + i] * h[cur][i];
      h[1 - cur][o] = l < m->nlayers - 1 ? tanh(a) : a;
    }
    cur = 1 - cur;
  }
  for (int i = 0; i < m->arch.nout; i++) out[i] = h[cur][i];
}

static void f_d(int k, const double *x, const double *u, double *xn) {
  double in[NX + NU], y[NX];
  memcpy(in, x, sizeof(double) * NX);
  memcpy(in + NX, u, sizeof(double) * NU);
  mlp_d(nets[k], in, y);
  for (int i = 0; i < NX; i++) xn[i] = x[i] + kscale[i] * y[i];
}

static double quad_d(const double *M, int n, const double *y) {
  double v = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) v += y[i] * M[i * n + j] * y[j];
  return v;
}

static double c_d(const double *x, const double *u) {
  double d[NX];
  for (int i = 0; i < NX; i++) d[i] = x[i] - goal[i];
  return quad_d(Qm, NX, d) + quad_d(Rm, NU, u);
}

static double cT_d(const double *x) {
  double d[NX];
  for (int i = 0; i < NX; i++) d[i] = x[i] - goal[i];
  return quad_d(Qfm, NX, d);
}

static void to_u_d(int tanh_mode, const double *v, double *u) {
  for (int i = 0; i < NU; i++) {
    double mid = 0.5 * (ulo[i] + uhi[i]), half = 0.5 * (uhi[i] - ulo[i]);
    u[i] = tanh_mode ? mid + half * tanh(v[i]) : v[i];
  }
}

typedef struct ref {
  int K, tanh_mode;
  double beta_var;      /* ensemble β */
  const plan_gauss *g;  /* score or NULL */
  int level, xux;
  double w;
  int step; /* ensemble_step: β Σ_t mean_d std_k x_{t,d} instead of β Var_k J_k */
} ref;

/* Shooting objective of one restart's decision variables v (T×nu). */
static double shoot_obj(const ref *r, const double *v, int with_score) {
  double J[KMAX], logp = 0, Xs[KMAX][T + 1][NX];
  for (int k = 0; k < r->K; k++) {
    double x[NX] = {0.2, -0.1, 0.4}, u[NU], xn[NX], j = 0;
    for (int t = 0; t < T; t++) {
      to_u_d(r->tanh_mode, v + t * NU, u);
      j += c_d(x, u);
      f_d(k, x, u, xn);
      memcpy(Xs[k][t + 1], xn, sizeof xn);
      if (r->g && k == 0) {
        double z[2 * NX + NU];
        memcpy(z, x, sizeof(double) * NX);
        memcpy(z + NX, u, sizeof(double) * NU);
        memcpy(z + NX + NU, xn, sizeof(double) * NX);
        logp += plan_gauss_logp(r->g, r->level, z);
      }
      memcpy(x, xn, sizeof x);
    }
    J[k] = j + cT_d(x);
  }
  double m = 0, var = 0;
  for (int k = 0; k < r->K; k++) m += J[k] / r->K;
  for (int k = 0; k < r->K; k++) var += (J[k] - m) * (J[k] - m) / r->K;
  double step = 0; /* Σ_{t=1..T} (1/NX) Σ_d population std over the members */
  for (int t = 1; t <= T && r->K > 1; t++)
    for (int d = 0; d < NX; d++) {
      double a = 0, q = 0;
      for (int k = 0; k < r->K; k++) a += Xs[k][t][d] / r->K;
      for (int k = 0; k < r->K; k++) q += (Xs[k][t][d] - a) * (Xs[k][t][d] - a) / r->K;
      step += sqrt(q) / NX;
    }
  double obj = r->K > 1 ? m + r->beta_var * (r->step ? step : var) : J[0];
  return with_score ? obj - r->w * logp : obj;
}

/* ------------------------------------------------------------------ planner under test */
static void check_shooting(const char *label, const char *name, const char *json,
                           const plan_ctx *ctx, const ref *rf, int iter, sgp_rng *rng) {
  cJSON *j = NULL;
  planner *p = tu_planner(name, json, ctx, &j);
  if (!p) return;
  int Rr, Tt;
  plan_shooting_sizes(p, &Rr, &Tt);
  CHECK(Rr == R && Tt == T, "%s: sizes", label);
  const int n = R * T * NU;
  float V[R * T * NU], G[R * T * NU];
  double obj[R], x0[NX] = {0.2, -0.1, 0.4};
  for (int i = 0; i < n; i++) /* inside the bounds for clip (no projection here anyway) */
    V[i] = (float)(rf->tanh_mode ? 1.2 * sgp_rng_normal(rng) : -0.9 + 1.8 * sgp_rng_uniform(rng));
  sgp_err e = {{0}};
  CHECK(plan_shooting_gradient(p, x0, V, iter, G, obj, &e) == 0, "%s: %s", label, e.msg);
  double worst = 0, gmax = 0, worst_obj = 0;
  double fd[R * T * NU];
  for (int r = 0; r < R; r++) {
    double v[T * NU];
    for (int i = 0; i < T * NU; i++) v[i] = V[r * T * NU + i];
    double o = shoot_obj(rf, v, 0);
    worst_obj = fmax(worst_obj, fabs(obj[r] - o) / fmax(fabs(o), 1e-3));
    for (int i = 0; i < T * NU; i++) {
      const double h = 1e-4;
      double s = v[i];
      v[i] = s + h;
      double fp = shoot_obj(rf, v, 1);
      v[i] = s - h;
      double fm = shoot_obj(rf, v, 1);
      v[i] = s;
      fd[r * T * NU + i] = (fp - fm) / (2 * h);
      gmax = fmax(gmax, fabs(fd[r * T * NU + i]));
    }
  }
  for (int i = 0; i < n; i++) worst = fmax(worst, fabs(G[i] - fd[i]) / gmax);
  char what[256];
  snprintf(what, sizeof what, "%s: gradient vs FD (max |g| %.3g), relative to max |g|", label, gmax);
  CHECK_WORST(what, worst, 1e-4);
  snprintf(what, sizeof what, "%s: objective (no score term) vs double reference", label);
  CHECK_WORST(what, worst_obj, 1e-5);
  plan_find(name)->destroy(p);
  cJSON_Delete(j);
}

/* The norm of the central-difference gradient of the reference objective at v, projected on the
 * clip box like the planner's (a component at a bound whose descent leaves the box counts 0). */
static double fd_norm(const ref *r, double *v, int with_score) {
  double q = 0;
  for (int i = 0; i < T * NU; i++) {
    const double h = 1e-4, s = v[i];
    v[i] = s + h;
    double fp = shoot_obj(r, v, with_score);
    v[i] = s - h;
    double fm = shoot_obj(r, v, with_score);
    v[i] = s;
    double g = (fp - fm) / (2 * h);
    int a = i % NU;
    if ((s <= ulo[a] && g > 0) || (s >= uhi[a] && g < 0)) g = 0;
    q += g * g;
  }
  return sqrt(q);
}

/* One MPC step of a clip-bounded shooting planner (a few iterations: a plan that is not yet
 * stationary, some actions at their bounds), then its reported gradient norms against the
 * reference's at the plan it returned. rf: the penalised objective; task: its task-cost part. */
static void check_norms(const char *label, const char *name, const char *json, const plan_ctx *ctx,
                        const ref *rf, const ref *task) {
  cJSON *j = NULL;
  planner *p = tu_planner(name, json, ctx, &j);
  if (!p) return;
  double x0[NX] = {0.2, -0.1, 0.4}, u[NU], v[T * NU];
  plan_diag d;
  sgp_err e = {{0}};
  p->vt->reset(p, 7);
  CHECK(p->vt->act(p, x0, u, &d, &e) == 0, "%s: %s", label, e.msg);
  plan_view pv;
  p->vt->view(p, &pv);
  int at_bound = 0;
  for (int i = 0; i < T * NU; i++) {
    v[i] = pv.u[i];
    at_bound += v[i] <= ulo[i % NU] || v[i] >= uhi[i % NU];
  }
  double g_obj = fd_norm(rf, v, 1), g_cost = fd_norm(task, v, 0);
  char what[256];
  snprintf(what, sizeof what, "%s: |grad objective| %.4g (reference %.4g), %d of %d actions at a bound", label,
           d.grad_norm, g_obj, at_bound, T * NU);
  CHECK_WORST(what, fabs(d.grad_norm - g_obj) / g_obj, 1e-3);
  snprintf(what, sizeof what, "%s: |grad task cost| %.4g (reference %.4g)", label, d.cost_grad_norm, g_cost);
  CHECK_WORST(what, fabs(d.cost_grad_norm - g_cost) / g_cost, 1e-3);
  CHECK(fabs(g_obj - g_cost) > 1e-2 * g_cost, "%s: the penalty changes the gradient (%.4g vs %.4g)", label, g_obj,
        g_cost);
  plan_find(name)->destroy(p);
  cJSON_Delete(j);
}

/* ------------------------------------------------------------------ collocation reference */
typedef struct cref {
  const plan_gauss *g;
  int level;
  double w, rho;
  int zero_cost;
} cref;

static double coll_obj(const cref *c, const double *X, const double *U, int with_score) {
  double x0[NX] = {0.2, -0.1, 0.4}, obj = 0, logp = 0;
  for (int t = 0; t < T; t++) {
    const double *x = t == 0 ? x0 : X + (t - 1) * NX, *u = U + t * NU, *xn = X + t * NX;
    if (!c->zero_cost) obj += c_d(x, u);
    double z[2 * NX + NU], f[NX];
    memcpy(z, x, sizeof(double) * NX);
    memcpy(z + NX, u, sizeof(double) * NU);
    memcpy(z + NX + NU, xn, sizeof(double) * NX);
    logp += plan_gauss_logp(c->g, c->level, z);
    if (c->rho > 0) {
      f_d(0, x, u, f);
      for (int i = 0; i < NX; i++) obj += c->rho * (xn[i] - f[i]) * (xn[i] - f[i]);
    }
  }
  if (!c->zero_cost) obj += cT_d(X + (T - 1) * NX);
  return with_score ? obj - c->w * logp : obj;
}

static void check_collocation(const char *label, const char *json, const plan_ctx *ctx,
                              const cref *cr, int iter, sgp_rng *rng) {
  cJSON *j = NULL;
  planner *p = tu_planner("sgp-collocation", json, ctx, &j);
  if (!p) return;
  int Rr, Tt;
  plan_collocation_sizes(p, &Rr, &Tt);
  CHECK(Rr == R && Tt == T, "%s: sizes", label);
  float X[R * T * NX], V[R * T * NU], GX[R * T * NX], GV[R * T * NU];
  double obj[R], x0[NX] = {0.2, -0.1, 0.4};
  for (int i = 0; i < R * T * NX; i++) X[i] = (float)(0.5 * sgp_rng_normal(rng));
  for (int i = 0; i < R * T * NU; i++) V[i] = (float)(-0.9 + 1.8 * sgp_rng_uniform(rng));
  sgp_err e = {{0}};
  CHECK(plan_collocation_gradient(p, x0, X, V, iter, GX, GV, obj, &e) == 0, "%s: %s", label, e.msg);
  double fdx[R * T * NX], fdu[R * T * NU], gmax = 0, worst = 0, worst_obj = 0;
  for (int r = 0; r < R; r++) {
    double Xd[T * NX], Ud[T * NU];
    for (int i = 0; i < T * NX; i++) Xd[i] = X[r * T * NX + i];
    for (int i = 0; i < T * NU; i++) Ud[i] = V[r * T * NU + i];
    double o = coll_obj(cr, Xd, Ud, 0);
    worst_obj = fmax(worst_obj, fabs(obj[r] - o) / fmax(fabs(o), 1e-3));
    const double h = 1e-4;
    for (int i = 0; i < T * NX; i++) {
      double s = Xd[i];
      Xd[i] = s + h;
      double fp = coll_obj(cr, Xd, Ud, 1);
      Xd[i] = s - h;
      double fm = coll_obj(cr, Xd, Ud, 1);
      Xd[i] = s;
      fdx[r * T * NX + i] = (fp - fm) / (2 * h);
      gmax = fmax(gmax, fabs(fdx[r * T * NX + i]));
    }
    for (int i = 0; i < T * NU; i++) {
      double s = Ud[i];
      Ud[i] = s + h;
      double fp = coll_obj(cr, Xd, Ud, 1);
      Ud[i] = s - h;
      double fm = coll_obj(cr, Xd, Ud, 1);
      Ud[i] = s;
      fdu[r * T * NU + i] = (fp - fm) / (2 * h);
      gmax = fmax(gmax, fabs(fdu[r * T * NU + i]));
    }
  }
  for (int i = 0; i < R * T * NX; i++) worst = fmax(worst, fabs(GX[i] - fdx[i]) / gmax);
  for (int i = 0; i < R * T * NU; i++) worst = fmax(worst, fabs(GV[i] - fdu[i]) / gmax);
  char what[256];
  snprintf(what, sizeof what, "%s: gradient (states and actions) vs FD (max |g| %.3g)", label, gmax);
  CHECK_WORST(what, worst, 1e-4);
  snprintf(what, sizeof what, "%s: objective (no score term) vs double reference", label);
  CHECK_WORST(what, worst_obj, 1e-5);
  plan_find("sgp-collocation")->destroy(p);
  cJSON_Delete(j);
}

int main(void) {
  sgp_rng rng;
  sgp_rng_stream(&rng, 11, "test");
  nn_arch a = {0};
  a.nin = NX + NU, a.nout = NX, a.nhidden = 2, a.width[0] = 16, a.width[1] = 12, a.act = NN_TANH;
  for (int k = 0; k < KMAX; k++) {
    nets[k] = nn_create(&a);
    nn_init(nets[k], &rng);
  }
  memset(Qm, 0, sizeof Qm), memset(Rm, 0, sizeof Rm), memset(Qfm, 0, sizeof Qfm);
  for (int i = 0; i < NX; i++) Qm[i * NX + i] = 1.0 + i, Qfm[i * NX + i] = 5.0;
  Qm[1] = Qm[NX] = 0.3; /* a symmetric off-diagonal term */
  for (int i = 0; i < NU; i++) Rm[i * NU + i] = 0.2;
  plan_quadcost *qc = plan_quadcost_create(NX, NU, Qm, Rm, Qfm, goal);
  double zQ[NX * NX] = {0}, zR[NU * NU] = {0};
  plan_quadcost *zc = plan_quadcost_create(NX, NU, zQ, zR, zQ, NULL);
  plan_mlpdyn *md1 = plan_mlpdyn_create(NX, NU, 1, nets, kscale);
  plan_mlpdyn *md3 = plan_mlpdyn_create(NX, NU, 3, nets, kscale);
  plan_dyn dyn1 = plan_mlpdyn_dyn(md1), dyn3 = plan_mlpdyn_dyn(md3);

  /* Gaussian scores with 3 noise levels, for z = (x,u) and z = (x,u,x') */
  float mean[2 * NX + NU], sd[2 * NX + NU], sig[3] = {0.8f, 0.4f, 0.2f};
  for (int i = 0; i < 2 * NX + NU; i++) {
    mean[i] = (float)(0.3 * sgp_rng_normal(&rng));
    sd[i] = (float)(0.5 + sgp_rng_uniform(&rng));
  }
  plan_gauss *gxu = plan_gauss_create(NX + NU, PLAN_Z_XU, mean, sd, 3, sig);
  plan_gauss *gxux = plan_gauss_create(2 * NX + NU, PLAN_Z_XUX, mean, sd, 3, sig);
  plan_score sxu = plan_gauss_score(gxu), sxux = plan_gauss_score(gxux);

  plan_ctx ctx = {0};
  ctx.nx = NX, ctx.nu = NU, ctx.T_env = T, ctx.u_lo = ulo, ctx.u_hi = uhi;
  ctx.cost = plan_quadcost_cost(qc);
  ctx.dyn = &dyn1;
  ctx.ensemble = &dyn3;
  ctx.seed = 3;

  /* iteration 4 of 10 with 3 levels anneals to level 4·3/10 = 1; cosine β from 0.5 to 0.1 */
  const int iter = 4;
  double beta_cos = 0.1 + 0.4 * 0.5 * (1 + cos(M_PI * iter / 9.0));
  const char *sched = "\"iters\": 10, \"restarts\": 2, \"beta\": 0.5, \"beta_final\": 0.1, "
                      "\"beta_schedule\": \"cosine\"";
  char json[512];
  for (int lay = 0; lay < 2; lay++)
    for (int bm = 0; bm < 2; bm++)
      for (int wc = 0; wc < 2; wc++) {
        ctx.score = lay ? &sxux : &sxu;
        ref rf = {1, bm, 0, lay ? gxux : gxu, 1, lay, 0, 0};
        rf.w = wc ? (double)sig[1] * sig[1] * beta_cos : beta_cos;
        /* the FD reference uses level 1's exact log-density, the planner must use level 1 too */
        snprintf(json, sizeof json, "{%s, \"bounds\": \"%s\", \"score_weight\": \"%s\"}", sched,
                 bm ? "tanh" : "clip", wc ? "sigma2_beta" : "beta");
        char label[128];
        snprintf(label, sizeof label, "sgp-shooting z=%s bounds=%s w=%s", lay ? "(x,u,x')" : "(x,u)",
                 bm ? "tanh" : "clip", wc ? "sigma2*beta" : "beta");
        check_shooting(label, "sgp-shooting", json, &ctx, &rf, iter, &rng);
      }
  /* a fixed level: score_level 2, constant β */
  {
    ctx.score = &sxu;
    ref rf = {1, 0, 0, gxu, 2, 0, 0.3, 0};
    check_shooting("sgp-shooting fixed level 2", "sgp-shooting",
                   "{\"iters\": 10, \"restarts\": 2, \"beta\": 0.3, \"score_level\": 2}", &ctx, &rf,
                   iter, &rng);
  }
  {
    ref rf = {1, 0, 0, NULL, 0, 0, 0, 0};
    check_shooting("grad clip", "grad", "{\"iters\": 10, \"restarts\": 2}", &ctx, &rf, iter, &rng);
  }
  for (int bm = 0; bm < 2; bm++) {
    ref rf = {3, bm, 0.7, NULL, 0, 0, 0, 0};
    snprintf(json, sizeof json, "{\"iters\": 10, \"restarts\": 2, \"beta\": 0.7, \"bounds\": \"%s\"}",
             bm ? "tanh" : "clip");
    check_shooting(bm ? "grad-ensemble K=3 tanh" : "grad-ensemble K=3 clip", "grad-ensemble", json,
                   &ctx, &rf, iter, &rng);
  }
  for (int bm = 0; bm < 2; bm++) { /* the members' per-step state disagreement (MOPO style) */
    ref rf = {3, bm, 2.5, NULL, 0, 0, 0, 1};
    snprintf(json, sizeof json,
             "{\"iters\": 10, \"restarts\": 2, \"beta\": 2.5, \"penalty\": \"ensemble_step\", \"bounds\": \"%s\"}",
             bm ? "tanh" : "clip");
    check_shooting(bm ? "grad-ensemble ensemble_step K=3 tanh" : "grad-ensemble ensemble_step K=3 clip",
                   "grad-ensemble", json, &ctx, &rf, iter, &rng);
  }

  /* the reported gradient norms at the returned plan */
  {
    ctx.score = &sxu;
    ref rf = {1, 0, 0, gxu, 2, 0, 0.3, 0}, task = {1, 0, 0, NULL, 0, 0, 0, 0};
    check_norms("sgp-shooting norms", "sgp-shooting",
                "{\"iters\": 5, \"restarts\": 2, \"lr\": 0.3, \"beta\": 0.3, \"score_level\": 2}", &ctx, &rf, &task);
    ref ev = {3, 0, 0.7, NULL, 0, 0, 0, 0}, es = {3, 0, 2.5, NULL, 0, 0, 0, 1}, etask = {3, 0, 0, NULL, 0, 0, 0, 0};
    check_norms("grad-ensemble norms", "grad-ensemble", "{\"iters\": 5, \"restarts\": 2, \"lr\": 0.3, \"beta\": 0.7}",
                &ctx, &ev, &etask);
    check_norms("grad-ensemble ensemble_step norms", "grad-ensemble",
                "{\"iters\": 5, \"restarts\": 2, \"lr\": 0.3, \"beta\": 2.5, \"penalty\": \"ensemble_step\"}", &ctx,
                &es, &etask);
  }

  /* collocation: score bookkeeping alone (zero cost, no defect), then everything together */
  ctx.score = &sxux;
  {
    ctx.cost = plan_quadcost_cost(zc);
    cref cr = {gxux, 1, (double)sig[1] * sig[1] * beta_cos, 0, 1};
    check_collocation("sgp-collocation score only (w = sigma^2 beta, the default)",
                      "{\"iters\": 10, \"restarts\": 2, \"beta\": 0.5, \"beta_final\": 0.1, "
                      "\"beta_schedule\": \"cosine\"}", &ctx, &cr, iter, &rng);
    ctx.cost = plan_quadcost_cost(qc);
  }
  {
    cref cr = {gxux, 1, beta_cos, 2.5, 0};
    check_collocation("sgp-collocation cost + score (w=beta) + defect",
                      "{\"iters\": 10, \"restarts\": 2, \"beta\": 0.5, \"beta_final\": 0.1, "
                      "\"beta_schedule\": \"cosine\", \"score_weight\": \"beta\", \"rho\": 2.5}",
                      &ctx, &cr, iter, &rng);
  }

  plan_gauss_free(gxu), plan_gauss_free(gxux);
  plan_mlpdyn_free(md1), plan_mlpdyn_free(md3);
  plan_quadcost_free(qc), plan_quadcost_free(zc);
  for (int k = 0; k < KMAX; k++) nn_free(nets[k]);
  return tu_done("test_plan_grad");
}
