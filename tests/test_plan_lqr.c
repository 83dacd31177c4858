// ctest-labels: unit planner
/* Planners against the finite-horizon LQR optimum: on a linear system x' = Ax + Bu with quadratic
 * cost and the true model, `grad` (1 and 4 restarts), `cem`, `mppi` and `oracle` (MPPI on the
 * same system as its "simulator") reach within 1% of the optimal open-loop cost from a given x0. The optimum comes from
 * the Riccati recursion in double, the plan's cost from a double-precision simulation of the
 * returned actions: both independent of the planners' float code. */
#include "testutil.h"

#include "agents/plan_testsys.h"
#include "agents/planner.h"

#include <math.h>
#include <string.h>

enum { NX = 4, NU = 2, T = 15 };

static double A[NX * NX], B[NX * NU], Q[NX * NX], R[NU * NU], Qf[NX * NX];

static void setup(void) {
  const double dt = 0.1;
  memset(A, 0, sizeof A), memset(B, 0, sizeof B), memset(Q, 0, sizeof Q), memset(R, 0, sizeof R);
  memset(Qf, 0, sizeof Qf);
  for (int i = 0; i < 2; i++) { /* 2-D point mass: position i, velocity 2+i */
    A[i * NX + i] = 1, A[i * NX + 2 + i] = dt, A[(2 + i) * NX + 2 + i] = 1;
    B[i * NU + i] = 0.5 * dt * dt, B[(2 + i) * NU + i] = dt;
    Q[i * NX + i] = 1.0, Q[(2 + i) * NX + 2 + i] = 0.1;
    Qf[i * NX + i] = 10.0, Qf[(2 + i) * NX + 2 + i] = 1.0;
    R[i * NU + i] = 0.05;
  }
}

/* Riccati in double: P_T = Qf, K = (R + BᵀPB)⁻¹BᵀPA, P ← Q + AᵀP(A − BK). J* = x0ᵀP_0x0. */
static double lqr_opt(const double *x0, double *uopt) {
  double P[T + 1][NX * NX], Kg[T][NU * NX];
  memcpy(P[T], Qf, sizeof Qf);
  for (int t = T - 1; t >= 0; t--) {
    double PB[NX * NU], PA[NX * NX], S[NU * NU], Si[NU * NU], BtPA[NU * NX];
    for (int i = 0; i < NX; i++)
      for (int j = 0; j < NU; j++) {
        PB[i * NU + j] = 0;
        for (int k = 0; k < NX; k++) PB[i * NU + j] += P[t + 1][i * NX + k] * B[k * NU + j];
      }
    for (int i = 0; i < NX; i++)
      for (int j = 0; j < NX; j++) {
        PA[i * NX + j] = 0;
        for (int k = 0; k < NX; k++) PA[i * NX + j] += P[t + 1][i * NX + k] * A[k * NX + j];
      }
    for (int i = 0; i < NU; i++)
      for (int j = 0; j < NU; j++) {
        S[i * NU + j] = R[i * NU + j];
        for (int k = 0; k < NX; k++) S[i * NU + j] += B[k * NU + i] * PB[k * NU + j];
      }
    double det = S[0] * S[3] - S[1] * S[2]; /* NU = 2 */
    Si[0] = S[3] / det, Si[1] = -S[1] / det, Si[2] = -S[2] / det, Si[3] = S[0] / det;
    for (int i = 0; i < NU; i++)
      for (int j = 0; j < NX; j++) {
        BtPA[i * NX + j] = 0;
        for (int k = 0; k < NX; k++) BtPA[i * NX + j] += B[k * NU + i] * PA[k * NX + j];
      }
    for (int i = 0; i < NU; i++)
      for (int j = 0; j < NX; j++) {
        Kg[t][i * NX + j] = 0;
        for (int k = 0; k < NU; k++) Kg[t][i * NX + j] += Si[i * NU + k] * BtPA[k * NX + j];
      }
    for (int i = 0; i < NX; i++)
      for (int j = 0; j < NX; j++) {
        double a = 0;
        for (int k = 0; k < NX; k++) {
          double abk = A[k * NX + j];
          for (int l = 0; l < NU; l++) abk -= B[k * NU + l] * Kg[t][l * NX + j];
          a += PA[k * NX + i] * abk; /* (AᵀP)_{ik} = (PA)_{ki} since P symmetric */
        }
        P[t][i * NX + j] = Q[i * NX + j] + a;
      }
  }
  double x[NX];
  memcpy(x, x0, sizeof x);
  for (int t = 0; t < T; t++) {
    for (int i = 0; i < NU; i++) {
      uopt[t * NU + i] = 0;
      for (int j = 0; j < NX; j++) uopt[t * NU + i] -= Kg[t][i * NX + j] * x[j];
    }
    double xn[NX];
    for (int i = 0; i < NX; i++) {
      xn[i] = 0;
      for (int j = 0; j < NX; j++) xn[i] += A[i * NX + j] * x[j];
      for (int j = 0; j < NU; j++) xn[i] += B[i * NU + j] * uopt[t * NU + j];
    }
    memcpy(x, xn, sizeof x);
  }
  double v = 0;
  for (int i = 0; i < NX; i++)
    for (int j = 0; j < NX; j++) v += x0[i] * P[0][i * NX + j] * x0[j];
  return v;
}

/* Cost of an action sequence on the true system, in double. */
static double true_cost(const double *x0, const float *u) {
  double x[NX], J = 0;
  memcpy(x, x0, sizeof x);
  for (int t = 0; t < T; t++) {
    for (int i = 0; i < NX; i++)
      for (int j = 0; j < NX; j++) J += x[i] * Q[i * NX + j] * x[j];
    for (int i = 0; i < NU; i++)
      for (int j = 0; j < NU; j++) J += (double)u[t * NU + i] * R[i * NU + j] * u[t * NU + j];
    double xn[NX];
    for (int i = 0; i < NX; i++) {
      xn[i] = 0;
      for (int j = 0; j < NX; j++) xn[i] += A[i * NX + j] * x[j];
      for (int j = 0; j < NU; j++) xn[i] += B[i * NU + j] * u[t * NU + j];
    }
    memcpy(x, xn, sizeof x);
  }
  for (int i = 0; i < NX; i++)
    for (int j = 0; j < NX; j++) J += x[i] * Qf[i * NX + j] * x[j];
  return J;
}

static void run(const char *name, const char *json, const plan_ctx *ctx, const double *x0,
                double jstar) {
  sgp_err e = {{0}};
  cJSON *j = NULL;
  if (sgp_json_parse(json, "test", &j, &e)) {
    CHECK(0, "%s: %s", name, e.msg);
    return;
  }
  sgp_cfg c = sgp_cfg_root(j, "test");
  const plan_vt *vt = plan_find(name);
  planner *p = NULL;
  CHECK(vt != NULL, "planner %s registered", name);
  if (!vt || vt->create(&c, ctx, &p, &e)) {
    CHECK(0, "%s: create: %s", name, e.msg);
    cJSON_Delete(j);
    return;
  }
  vt->reset(p, 0);
  double u[NU];
  plan_diag d;
  CHECK(vt->act(p, x0, u, &d, &e) == 0, "%s: act: %s", name, e.msg);
  plan_view v;
  vt->view(p, &v);
  CHECK(v.T == T && v.nu == NU, "%s: view sizes", name);
  double J = true_cost(x0, v.u);
  char what[128];
  snprintf(what, sizeof what, "%s: (J - J*)/J* (J = %.6g, J* = %.6g, %d iters, fallback %d)", name,
           J, jstar, d.iters, d.fallback);
  CHECK_WORST(what, (J - jstar) / jstar, 0.01);
  CHECK(J >= jstar * (1 - 1e-5), "%s: plan cost %.9g below the optimum %.9g", name, J, jstar);
  CHECK(fabs(d.cost - J) <= 1e-3 * J, "%s: reported cost %.9g vs true %.9g", name, d.cost, J);
  vt->destroy(p);
  cJSON_Delete(j);
}

int main(int argc, char **argv) {
  setup();
  double x0[NX] = {1.0, -0.5, 0.3, 0.8}, uopt[T * NU];
  double jstar = lqr_opt(x0, uopt);
  float uo[T * NU];
  for (int i = 0; i < T * NU; i++) uo[i] = (float)uopt[i];
  /* the recursion against a direct simulation of its own feedback plan */
  CHECK_CLOSE("J* (Riccati) vs cost of the LQR plan", true_cost(x0, uo), jstar, 1e-5 * jstar);
  double umax = 0;
  for (int i = 0; i < T * NU; i++) umax = fmax(umax, fabs(uopt[i]));
  /* the bounds below must not bind: the unconstrained optimum lies well inside them */
  CHECK(umax < 0.6 * 10, "max |u*| = %g inside the bounds", umax);
  printf("max |u*| = %.4g\n", umax);

  plan_linsys *ls = plan_linsys_create(NX, NU, A, B);
  plan_quadcost *qc = plan_quadcost_create(NX, NU, Q, R, Qf, NULL);
  plan_dyn dyn = plan_linsys_dyn(ls);
  double lo[NU] = {-10, -10}, hi[NU] = {10, 10};
  plan_ctx ctx = {0};
  ctx.nx = NX, ctx.nu = NU, ctx.T_env = T, ctx.u_lo = lo, ctx.u_hi = hi;
  ctx.cost = plan_quadcost_cost(qc);
  ctx.dyn = &dyn;
  ctx.truth = &dyn;
  ctx.seed = 7;

  if (argc == 3) { /* tuning aid: test_plan_lqr NAME JSON */
    run(argv[1], argv[2], &ctx, x0, jstar);
    return tu_done("test_plan_lqr");
  }
  run("grad", "{\"iters\": 600, \"lr\": 0.5, \"lr_schedule\": \"cosine\", \"lr_final\": 0.001}",
      &ctx, x0, jstar);
  run("grad", "{\"iters\": 600, \"lr\": 0.5, \"lr_schedule\": \"cosine\", \"lr_final\": 0.001,"
              " \"restarts\": 4}", &ctx, x0, jstar);
  run("cem", "{\"iters\": 30, \"samples\": 400, \"elites\": 40, \"init_std\": 0.2}", &ctx, x0,
      jstar);
  run("mppi", "{\"iters\": 40, \"samples\": 400, \"noise\": 0.05, \"temperature\": 0.3}", &ctx, x0,
      jstar);
  run("oracle", "{\"method\": \"mppi\", \"iters\": 40, \"samples\": 400, \"noise\": 0.05,"
                " \"temperature\": 0.3}", &ctx, x0, jstar);

  plan_linsys_free(ls);
  plan_quadcost_free(qc);
  return tu_done("test_plan_lqr");
}
