// ctest-labels: unit planner
/* A termination rule in the planners' rollouts (plan_cost.terminated, planner option
 * "termination"): the running cost of step t counts while none of x_1..x_t is terminal, the
 * terminal cost while none of x_1..x_T is (agents/plan_common.c plan_cost_mask).
 *
 * Linear dynamics x' = A x + B u (one model, or an ensemble of two with different A) and a
 * quadratic cost that pulls x[0] up through the rule "x[0] > 0.4 ends the episode". The double
 * reference rolls out, finds each rollout's first terminal state and sums the costs before it:
 *  - grad, grad-ensemble (shooting) and sgp-collocation (β = 0, ρ = 0): the objective equals the
 *    masked reference and differs from the unmasked one exactly by the costs after the terminal
 *    step; the gradient equals central differences of the masked reference (the mask is the same
 *    at every ±h, checked: it is piecewise constant);
 *  - random-shooting, cem, mppi and mppi with the ensemble penalty: the reported cost of the
 *    returned plan equals the masked reference cost of that plan;
 *  - "termination": "none" gives the unmasked objective, and a context without a rule is unchanged;
 *  - the paper's route: a learned running cost (a cost_model through adapt_cost, as evaluation
 *    builds it for "cost": "learned") with the rule: grad's objective and gradient against the
 *    masked double reference evaluating the network in double (tu_ref_mlp), and its central
 *    differences. */
#include "testutil.h"

#include "agents/models.h"
#include "agents/plan_common.h"
#include "agents/plan_testsys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NX = 3, NU = 2, T = 8, R = 4, K = 2 };

static const double THR = 0.4;
static double Am[K][NX * NX] = {{1, 0.1, 0, 0, 1, 0.1, 0, 0, 0.9},
                                {1, 0.12, 0, 0, 0.98, 0.1, 0, 0.02, 0.9}};
static const double Bm[NX * NU] = {0, 0, 0.1, 0, 0, 0.2};
static const double Qm[NX * NX] = {1, 0, 0, 0, 0.5, 0, 0, 0, 0.2}, Rm[NU * NU] = {0.1, 0, 0, 0.1};
static const double Qfm[NX * NX] = {2, 0, 0, 0, 1, 0, 0, 0, 1}, goal[NX] = {1, 0, 0};
static const double x0[NX] = {0.2, 0.2, 0.3};
static const double ulo[NU] = {-1, -1}, uhi[NU] = {1, 1};

/* the rule, in the planner's float and in the reference's double */
static void rule(const void *self, int B, const float *x, float *done) {
  (void)self;
  for (int b = 0; b < B; b++)
    done[b] = x[(size_t)b * NX] > (float)THR ? 1.0f : 0.0f;
}

/* ------------------------------------------------------------------ double reference */
static double quad(const double *M, int n, const double *y, const double *g) {
  double v = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      v += (y[i] - (g ? g[i] : 0)) * M[i * n + j] * (y[j] - (g ? g[j] : 0));
  return v;
}

/* The learned running cost of the current check (NULL: the quadratic one), in double; its terminal
 * cost is 0 (adapt_cost). */
static const cost_model *LC = NULL;

static double learned_value(const double *x, const double *u) {
  double in[NX + NU], out[1];
  for (int k = 0; k < NX; k++)
    in[k] = (x[k] - LC->xn.shift[k]) / LC->xn.scale[k];
  for (int k = 0; k < NU; k++)
    in[NX + k] = (u[k] - LC->un.shift[k]) / LC->un.scale[k];
  tu_ref_mlp(LC->net, in, out);
  return LC->c_shift + LC->c_scale * out[0];
}

static double running(const double *x, const double *u) {
  return LC ? learned_value(x, u) : quad(Qm, NX, x, goal) + quad(Rm, NU, u, NULL);
}

/* Member k's rollout of u (T×NU) from x0, or of given states X (T×NX: x_1..x_T, collocation).
 * Returns the cost with the mask (masked = 1) or without; *end = first terminal t (T+1: none). */
static double rollout_cost(int k, const double *u, const double *X, int masked, int *end) {
  double x[NX], xn[NX], J = 0;
  int alive = 1;
  *end = T + 1;
  memcpy(x, x0, sizeof x);
  for (int t = 0; t < T; t++) {
    if (alive || !masked)
      J += running(x, u + t * NU);
    if (X) {
      memcpy(xn, X + t * NX, sizeof xn);
    } else {
      for (int i = 0; i < NX; i++) {
        xn[i] = 0;
        for (int j = 0; j < NX; j++)
          xn[i] += Am[k][i * NX + j] * x[j];
        for (int j = 0; j < NU; j++)
          xn[i] += Bm[i * NU + j] * u[t * NU + j];
      }
    }
    memcpy(x, xn, sizeof x);
    if (alive && x[0] > THR)
      alive = 0, *end = t + 1;
  }
  if ((alive || !masked) && !LC)
    J += quad(Qfm, NX, x, goal);
  return J;
}

/* Shooting objective over nk members (ensemble: mean + β·population variance). */
static double shoot_ref(int nk, double beta, const double *u, int masked, int *end) {
  double J[K], m = 0, v = 0;
  for (int k = 0; k < nk; k++)
    J[k] = rollout_cost(k, u, NULL, masked, &end[k]), m += J[k] / nk;
  for (int k = 0; k < nk; k++)
    v += (J[k] - m) * (J[k] - m) / nk;
  return nk > 1 ? m + beta * v : J[0];
}

/* ------------------------------------------------------------------ planners */
typedef struct world {
  plan_linsys *sys[K];
  plan_dyn dyn[K], ens;
  plan_stack *stack;
  plan_quadcost *qc;
  cost_model *learned;
  plan_ctx ctx;
} world;

static void world_init(world *w, int with_rule) {
  memset(w, 0, sizeof *w);
  for (int k = 0; k < K; k++) {
    w->sys[k] = plan_linsys_create(NX, NU, Am[k], Bm);
    w->dyn[k] = plan_linsys_dyn(w->sys[k]);
  }
  w->stack = plan_stack_create(K, w->dyn);
  w->ens = plan_stack_dyn(w->stack);
  w->qc = plan_quadcost_create(NX, NU, Qm, Rm, Qfm, goal);
  w->ctx.nx = NX, w->ctx.nu = NU, w->ctx.T_env = T;
  w->ctx.u_lo = ulo, w->ctx.u_hi = uhi;
  w->ctx.cost = plan_quadcost_cost(w->qc);
  if (LC)
    adapt_cost(LC, 16, &w->ctx.cost); /* 16 < the 32 rows of a call: chunked */
  if (with_rule)
    w->ctx.cost.terminated = rule;
  w->ctx.dyn = &w->dyn[0];
  w->ctx.ensemble = &w->ens;
  w->ctx.seed = 3;
}

static void world_free(world *w) {
  for (int k = 0; k < K; k++)
    plan_linsys_free(w->sys[k]);
  plan_stack_free(w->stack);
  plan_quadcost_free(w->qc);
  if (LC)
    adapt_cost_release(&w->ctx.cost);
}

static void draw_actions(sgp_rng *rng, float *V, int n) {
  for (int i = 0; i < n; i++)
    V[i] = (float)(-0.9 + 1.8 * sgp_rng_uniform(rng));
}

/* grad / grad-ensemble: objective vs the masked and unmasked references, gradient vs FD. */
static void check_shooting(const char *name, const char *json, int nk, double beta, int with_rule,
                           sgp_rng *rng) {
  world w;
  world_init(&w, with_rule);
  cJSON *j = NULL;
  planner *p = tu_planner(name, json, &w.ctx, &j);
  if (!p)
    return;
  const int per = T * NU;
  float V[R * T * NU], G[R * T * NU];
  double obj[R];
  draw_actions(rng, V, R * per);
  /* restart 0 brakes (u[0] ≈ −0.85 slows x[0]'s rise): its rollouts stay below the threshold */
  for (int t = 0; t < T; t++)
    V[t * NU] = (float)(-0.8 - 0.1 * sgp_rng_uniform(rng));
  sgp_err e = {{0}};
  CHECK(plan_shooting_gradient(p, x0, V, 0, G, obj, &e) == 0, "%s: %s", name, e.msg);
  int expect_mask = with_rule && !strstr(json, "\"none\"");
  double worst_obj = 0, worst_g = 0, gmax = 0, masked_sum = 0;
  int inside = 0, never = 0, flips = 0;
  double fd[R * T * NU];
  for (int r = 0; r < R; r++) {
    double u[T * NU];
    int end[K], end2[K];
    for (int i = 0; i < per; i++)
      u[i] = V[r * per + i];
    double om = shoot_ref(nk, beta, u, expect_mask, end), on = shoot_ref(nk, beta, u, 0, end2);
    masked_sum += fabs(on - om);
    worst_obj = fmax(worst_obj, fabs(obj[r] - om) / fmax(fabs(om), 1e-3));
    for (int k = 0; k < nk; k++)
      inside += end[k] >= 1 && end[k] <= T, never += end[k] == T + 1;
    for (int i = 0; i < per; i++) {
      const double h = 1e-5;
      double s = u[i];
      int ep[K], em[K];
      u[i] = s + h;
      double fp = shoot_ref(nk, beta, u, expect_mask, ep);
      u[i] = s - h;
      double fm = shoot_ref(nk, beta, u, expect_mask, em);
      u[i] = s;
      for (int k = 0; k < nk; k++)
        flips += ep[k] != end[k] || em[k] != end[k];
      fd[r * per + i] = (fp - fm) / (2 * h);
      gmax = fmax(gmax, fabs(fd[r * per + i]));
    }
  }
  for (int i = 0; i < R * per; i++)
    worst_g = fmax(worst_g, fabs(G[i] - fd[i]) / gmax);
  char what[256];
  snprintf(what, sizeof what, "%s %s: objective vs the %s reference", name, json,
           expect_mask ? "masked" : "unmasked");
  CHECK_WORST(what, worst_obj, 1e-5);
  snprintf(what, sizeof what, "%s %s: gradient vs FD (max |g| %.3g), relative to max |g|", name,
           json, gmax);
  CHECK_WORST(what, worst_g, 1e-3);
  CHECK(flips == 0, "%s: the FD steps changed a terminal step %d times (the mask must be constant)",
        name, flips);
  if (with_rule) {
    /* the draw must exercise the mask: rollouts that end inside the horizon and rollouts that do
     * not */
    CHECK(inside > 0 && never > 0, "%s: %d rollouts end inside the horizon, %d never (need both)",
          name, inside, never);
    printf("%s %s: %d of %d rollouts end inside the horizon; |masked − unmasked| summed %.4g\n",
           name, json, inside, R * nk, masked_sum);
  }
  plan_find(name)->destroy(p);
  cJSON_Delete(j);
  world_free(&w);
}

/* sgp-collocation with β = 0 and ρ = 0: the masked task cost of the decision states and actions. */
static void check_collocation(sgp_rng *rng) {
  world w;
  world_init(&w, 1);
  cJSON *j = NULL;
  planner *p =
      tu_planner("sgp-collocation", "{\"horizon\":8,\"restarts\":4,\"beta\":0,\"rho\":0}", &w.ctx, &j);
  if (!p)
    return;
  float X[R * T * NX], V[R * T * NU], GX[R * T * NX], GV[R * T * NU];
  double obj[R];
  /* states rising through the threshold at different steps */
  for (int r = 0; r < R; r++)
    for (int t = 0; t < T; t++)
      for (int i = 0; i < NX; i++)
        X[(r * T + t) * NX + i] =
            (float)(i == 0 ? 0.2 + (0.01 + 0.02 * r) * (t + 1) + 0.01 * sgp_rng_normal(rng)
                           : 0.3 * sgp_rng_normal(rng));
  draw_actions(rng, V, R * T * NU);
  sgp_err e = {{0}};
  CHECK(plan_collocation_gradient(p, x0, X, V, 0, GX, GV, obj, &e) == 0, "collocation: %s", e.msg);
  double worst_obj = 0, worst_g = 0, gmax = 0, fdx[R * T * NX], fdu[R * T * NU];
  int inside = 0, never = 0, flips = 0;
  for (int r = 0; r < R; r++) {
    double Xd[T * NX], Ud[T * NU];
    int end, e2;
    for (int i = 0; i < T * NX; i++)
      Xd[i] = X[r * T * NX + i];
    for (int i = 0; i < T * NU; i++)
      Ud[i] = V[r * T * NU + i];
    double om = rollout_cost(0, Ud, Xd, 1, &end);
    worst_obj = fmax(worst_obj, fabs(obj[r] - om) / fmax(fabs(om), 1e-3));
    inside += end <= T, never += end == T + 1;
    const double h = 1e-5;
    for (int i = 0; i < T * (NX + NU); i++) {
      double *v = i < T * NX ? &Xd[i] : &Ud[i - T * NX], s = *v;
      *v = s + h;
      double fp = rollout_cost(0, Ud, Xd, 1, &e2);
      flips += e2 != end;
      *v = s - h;
      double fm = rollout_cost(0, Ud, Xd, 1, &e2);
      flips += e2 != end;
      *v = s;
      double g = (fp - fm) / (2 * h);
      if (i < T * NX)
        fdx[r * T * NX + i] = g;
      else
        fdu[r * T * NU + i - T * NX] = g;
      gmax = fmax(gmax, fabs(g));
    }
  }
  for (int i = 0; i < R * T * NX; i++)
    worst_g = fmax(worst_g, fabs(GX[i] - fdx[i]) / gmax);
  for (int i = 0; i < R * T * NU; i++)
    worst_g = fmax(worst_g, fabs(GV[i] - fdu[i]) / gmax);
  CHECK_WORST(LC ? "sgp-collocation, learned cost: objective vs the masked reference"
                 : "sgp-collocation: objective vs the masked reference",
              worst_obj, 1e-5);
  CHECK_WORST(
      LC ? "sgp-collocation, learned cost: gradient (states, actions) vs FD, relative to max |g|"
         : "sgp-collocation: gradient (states, actions) vs FD, relative to max |g|",
      worst_g, 1e-3);
  CHECK(flips == 0 && inside > 0 && never > 0, "sgp-collocation: %d flips, %d inside, %d never",
        flips, inside, never);
  plan_find("sgp-collocation")->destroy(p);
  cJSON_Delete(j);
  world_free(&w);
}

/* Sampling planners: the cost they report for the plan they return is its masked reference cost. */
static void check_sampling(const char *name, const char *json, int nk) {
  world w;
  world_init(&w, 1);
  cJSON *j = NULL;
  planner *p = tu_planner(name, json, &w.ctx, &j);
  if (!p)
    return;
  double u[NU];
  plan_diag d;
  sgp_err e = {{0}};
  p->vt->reset(p, 7);
  CHECK(p->vt->act(p, x0, u, &d, &e) == 0, "%s: act: %s", name, e.msg);
  plan_view v;
  p->vt->view(p, &v);
  double ud[T * NU], Jm = 0, Jn = 0;
  int end[K], end2[K], inside = 0;
  for (int i = 0; i < T * NU; i++)
    ud[i] = v.u[i];
  for (int k = 0; k < nk; k++) {
    Jm += rollout_cost(k, ud, NULL, 1, &end[k]) / nk;
    Jn += rollout_cost(k, ud, NULL, 0, &end2[k]) / nk;
    inside += end[k] <= T;
  }
  char what[256];
  snprintf(what, sizeof what,
           "%s %s: reported cost vs the masked reference cost of its plan (unmasked %.4g)", name,
           json, Jn);
  CHECK_WORST(what, fabs(d.cost - Jm) / fmax(fabs(Jm), 1e-3), 1e-5);
  if (!LC)
    CHECK(inside > 0,
          "%s: the returned plan should reach the terminal set (the cost pulls x[0] to 1)", name);
  plan_find(name)->destroy(p);
  cJSON_Delete(j);
  world_free(&w);
}

/* A random tanh network as the learned cost c(x, u), with non-trivial normalisations. */
static cost_model *make_learned(void) {
  nn_arch a;
  memset(&a, 0, sizeof a);
  a.nin = NX + NU, a.nout = 1, a.nhidden = 2, a.width[0] = 16, a.width[1] = 12, a.act = NN_TANH;
  sgp_err e = {{0}};
  cost_model *m = cost_create(&a, NX, NU, &e);
  CHECK(m != NULL, "cost_create: %s", e.msg);
  if (!m)
    return NULL;
  sgp_rng init;
  sgp_rng_stream(&init, 17, "init");
  nn_init(m->net, &init);
  for (int k = 0; k < NX; k++)
    m->xn.shift[k] = 0.1f * k, m->xn.scale[k] = 0.3f + 0.2f * k;
  for (int k = 0; k < NU; k++)
    m->un.shift[k] = 0.05f, m->un.scale[k] = 0.6f;
  m->c_shift = -1.0f, m->c_scale = 2.0f; /* negative costs: rewards, as in locomotion */
  return m;
}

int main(void) {
  sgp_rng rng;
  sgp_rng_stream(&rng, 5, "test");
  const char *g = "{\"horizon\":8,\"restarts\":4}";
  check_shooting("grad", g, 1, 0, 1, &rng);
  check_shooting("grad", "{\"horizon\":8,\"restarts\":4,\"termination\":\"none\"}", 1, 0, 1, &rng);
  check_shooting("grad", g, 1, 0, 0, &rng); /* no rule in the context: unmasked */
  check_shooting("grad-ensemble", "{\"horizon\":8,\"restarts\":4,\"beta\":0.5}", K, 0.5, 1, &rng);
  check_collocation(&rng);
  check_sampling("random-shooting", "{\"horizon\":8,\"samples\":64}", 1);
  check_sampling("cem", "{\"horizon\":8,\"samples\":64,\"iters\":3,\"elites\":8}", 1);
  check_sampling("mppi", "{\"horizon\":8,\"samples\":64,\"iters\":2}", 1);
  check_sampling("mppi",
                 "{\"horizon\":8,\"samples\":64,\"iters\":2,\"penalty\":\"ensemble\",\"beta\":0.5}",
                 K);
  cost_model *m = make_learned();
  if (m) {
    LC = m;
    check_shooting("grad", "{\"horizon\":8,\"restarts\":4,\"cost\":\"learned\"}", 1, 0, 1, &rng);
    check_shooting("grad-ensemble",
                   "{\"horizon\":8,\"restarts\":4,\"beta\":0.5,\"cost\":\"learned\"}", K, 0.5, 1,
                   &rng);
    check_collocation(&rng);
    check_sampling(
        "cem", "{\"horizon\":8,\"samples\":64,\"iters\":3,\"elites\":8,\"cost\":\"learned\"}", 1);
    LC = NULL;
    cost_free(m);
  }
  return tu_done("test_plan_termination");
}
