// ctest-labels: unit planner
/* The penalty SGP reports (and ranks its restarts by) has the units of −w log p.
 *
 * The score has no value, so sgp-shooting and sgp-collocation report the proxy
 * ½ w Σ_t Σ_k (σ scale_k s_k(z_t))², which for Gaussian data of covariance diag((σ scale_k)²)
 * equals w Σ_t −log p(z_t) up to a constant (docs/planners.md). A learned score's σ is in its
 * normalised units (scale_k = the normaliser's scale), so the proxy must use σ·scale_k, the data
 * noise in the physical units of s; the old proxy ½ w σ² Σ ‖s‖² overweighted dimension k by
 * 1/scale_k² (≈ 300× for the point's actions) and so ranked restarts by the wrong quantity.
 *
 * Here: a 2-D linear system with a quadratic cost, and the exact score of N(μ, diag(sd² + σ²))
 * (plan_gauss) presented as a score with σ = 0.3 and scale_k = √(sd_k² + σ²)/σ, i.e. what a
 * learned model of that Gaussian with normaliser scales scale_k would report. The penalty of the
 * returned plan is recomputed in double as w Σ_t [log p(μ) − log p(z_t)] from the plan itself. */
#include "testutil.h"

#include "agents/plan_testsys.h"
#include "agents/planner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NX = 2, NU = 1, H = 8, D = NX + NU };

static double A[NX * NX] = {1.0, 0.1, 0.0, 1.0}, Bm[NX * NU] = {0.005, 0.1};
static double Q[NX * NX] = {1, 0, 0, 0.1}, Rm[NU * NU] = {0.01}, Qf[NX * NX] = {10, 0, 0, 1};

int main(void) {
  plan_linsys *ls = plan_linsys_create(NX, NU, A, Bm);
  double goal[NX] = {3.0, 0.0};
  plan_quadcost *qc = plan_quadcost_create(NX, NU, Q, Rm, Qf, goal);
  /* very different spreads per dimension, as in real data (point: 0.58 for x, 0.058 for u) */
  const float mean[D] = {0.5f, 0.0f, 0.2f}, sd[D] = {2.0f, 0.5f, 0.05f}, sig = 0.3f;
  plan_gauss *g = plan_gauss_create(D, PLAN_Z_XU, mean, sd, 1, &sig);
  plan_dyn dyn = plan_linsys_dyn(ls);
  plan_score score = plan_gauss_score(g);
  float scale[D];
  for (int k = 0; k < D; k++) scale[k] = sqrtf(sd[k] * sd[k] + sig * sig) / sig;
  score.scale = scale;

  double lo[NU] = {-5}, hi[NU] = {5};
  plan_ctx ctx = {0};
  ctx.nx = NX, ctx.nu = NU, ctx.T_env = 20, ctx.u_lo = lo, ctx.u_hi = hi;
  ctx.cost = plan_quadcost_cost(qc);
  ctx.dyn = &dyn, ctx.score = &score;
  const double x0[NX] = {0.0, 0.0}, w = 0.7;

  static const char *const cases[][2] = {
      {"sgp-shooting", "{\"horizon\": 8, \"iters\": 30, \"lr\": 0.1, \"beta\": 0.7}"},
      {"sgp-shooting", "{\"horizon\": 8, \"iters\": 30, \"lr\": 0.1, \"beta\": 0.7, \"restarts\": 3}"},
      {"sgp-collocation", "{\"horizon\": 8, \"iters\": 30, \"lr\": 0.1, \"beta\": 0.7, "
                          "\"score_weight\": \"beta\"}"},
  };
  double mu[D];
  for (int k = 0; k < D; k++) mu[k] = mean[k];
  const double logp_mu = plan_gauss_logp(g, 0, mu);
  for (int c = 0; c < 3; c++) {
    const plan_vt *vt = plan_find(cases[c][0]);
    CHECK(vt != NULL, "%s registered", cases[c][0]);
    if (!vt) continue;
    cJSON *j = cJSON_Parse(cases[c][1]);
    sgp_cfg cfg = sgp_cfg_root(j, "test");
    planner *p = NULL;
    sgp_err e = {{0}};
    CHECK(vt->create(&cfg, &ctx, &p, &e) == 0, "%s: create: %s", cases[c][0], e.msg);
    if (!p) {
      cJSON_Delete(j);
      continue;
    }
    vt->reset(p, 0);
    double u[NU];
    plan_diag d;
    CHECK(vt->act(p, x0, u, &d, &e) == 0 && !d.fallback, "%s: act: %s", cases[c][0], e.msg);
    plan_view v;
    vt->view(p, &v);
    double want = 0, old = 0;
    for (int t = 0; t < v.T; t++) {
      double z[D];
      for (int k = 0; k < NX; k++) z[k] = v.x[t * NX + k];
      for (int k = 0; k < NU; k++) z[NX + k] = v.u[t * NU + k];
      want += w * (logp_mu - plan_gauss_logp(g, 0, z));
      for (int k = 0; k < D; k++) { /* the old proxy: ½ w σ² s_k² with s_k = −(z_k − μ_k)/var_k */
        double var = (double)sd[k] * sd[k] + (double)sig * sig, s = -(z[k] - mu[k]) / var;
        old += 0.5 * w * sig * sig * s * s;
      }
    }
    char what[160];
    snprintf(what, sizeof what, "%s %s: reported penalty = w sum_t -log p(z_t) + const (relative)",
             cases[c][0], c == 1 ? "(3 restarts)" : "");
    printf("  %s: penalty %.6g, recomputed %.6g, old proxy would give %.6g\n", cases[c][0],
           d.penalty, want, old);
    CHECK_WORST(what, fabs(d.penalty - want) / fmax(fabs(want), 1e-9), 1e-4);
    CHECK(fabs(old - want) > 0.1 * fabs(want), "%s: the case distinguishes the old proxy (%g vs %g)",
          cases[c][0], old, want);
    vt->destroy(p);
    cJSON_Delete(j);
  }

  plan_gauss_free(g);
  plan_quadcost_free(qc);
  plan_linsys_free(ls);
  return tu_done("test_plan_proxy");
}
