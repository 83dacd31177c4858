// ctest-labels: unit planner
/* Planner behaviour in an MPC loop, for every registered planner:
 *  - registry: names unique, found by name; configs: unknown fields rejected, defaults inserted,
 *    needs() masks;
 *  - warm start: the next solve starts from the previous plan shifted by one step ("repeat" and
 *    "zero"), checked exactly with iters = 0 (shooting, collocation) and to 1e-4 with a CEM whose
 *    sampling std is tiny;
 *  - bounds: a cost pulling far outside tight bounds; every action of every returned plan lies
 *    within them (clip and tanh);
 *  - NaN: a model that returns NaN triggers the fallback: act succeeds, the action is finite and in
 *    bounds, diag.fallback = 1;
 *  - seeds: same seed → bitwise identical actions and plans; a different seed → different actions
 *    for the sampling planners;
 *  - penalties: the reported penalty of the returned plan equals β Var_k J_k (population),
 *    β Σ_t mean_d std_k x_{t+1,d}, and w Σ_t d(z_t)/σ², each recomputed here in double from the
 *    plan with two hand-made linear members and an analytic distance. */
#include "testutil.h"

#include "agents/plan_testsys.h"
#include "agents/planner.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NX = 2, NU = 1, H = 8 };

static double A[NX * NX] = {1.0, 0.1, 0.0, 1.0}, Bm[NX * NU] = {0.005, 0.1};
static double A2[NX * NX] = {1.0, 0.12, 0.0, 0.97};
static double Q[NX * NX] = {1, 0, 0, 0.1}, Rm[NU * NU] = {0.01}, Qf[NX * NX] = {10, 0, 0, 1};

/* ---- a model that returns NaN (and reports failure) */
static void *nan_ws(const void *m, int B, int T) {
  (void)m, (void)B, (void)T;
  return sgp_malloc(1);
}
static void nan_ws_free(void *w) { free(w); }
static int nan_fwd(const void *m, void *w, int t, int B, const float *x, const float *u, float *xn) {
  (void)m, (void)w, (void)t, (void)x, (void)u;
  for (int i = 0; i < B * NX; i++) xn[i] = NAN;
  return -1;
}
static void nan_vjp(const void *m, void *w, int t, int B, const float *g, float *dx, float *du) {
  (void)m, (void)w, (void)t, (void)g;
  for (int i = 0; i < B * NX; i++) dx[i] = NAN;
  if (du)
    for (int i = 0; i < B * NU; i++) du[i] = NAN;
}
static const plan_dyn_vt nan_vt = {"nan", nan_ws, nan_ws_free, nan_fwd, nan_vjp, NULL, NULL};

/* ---- a simulator-like model that stops at the first row with u > 0.25 (leaving it and the later
 * rows unwritten) and reports failure */
static int stop_fwd(const void *m, void *w, int t, int B, const float *x, const float *u, float *xn) {
  const plan_dyn *lin = m;
  for (int r = 0; r < B; r++) {
    if (u[r * NU] > 0.25f) return -1;
    lin->vt->forward(lin->model, w, t, 1, x + r * NX, u + r * NU, xn + r * NX);
  }
  return 0;
}
static const plan_dyn_vt stop_vt = {"sim", nan_ws, nan_ws_free, stop_fwd, NULL, NULL, NULL};

static void lin_d(const double *Am, const double *x, double u, double *xn) {
  xn[0] = Am[0] * x[0] + Am[1] * x[1] + Bm[0] * u;
  xn[1] = Am[2] * x[0] + Am[3] * x[1] + Bm[1] * u;
}
static double cost_d(const double *x, double u) {
  double g0 = x[0] - 3.0, g1 = x[1];
  return Q[0] * g0 * g0 + Q[3] * g1 * g1 + Rm[0] * u * u;
}
static double costT_d(const double *x) {
  double g0 = x[0] - 3.0, g1 = x[1];
  return Qf[0] * g0 * g0 + Qf[3] * g1 * g1;
}

typedef struct made {
  const plan_vt *vt;
  planner *p;
  cJSON *j;
} made;

static int make(made *m, const char *name, const char *json, const plan_ctx *ctx) {
  sgp_err e = {{0}};
  memset(m, 0, sizeof *m);
  m->vt = plan_find(name);
  if (!m->vt) {
    CHECK(0, "planner %s not registered", name);
    return -1;
  }
  if (sgp_json_parse(json, "test", &m->j, &e)) {
    CHECK(0, "%s", e.msg);
    return -1;
  }
  sgp_cfg c = sgp_cfg_root(m->j, "test");
  if (m->vt->create(&c, ctx, &m->p, &e)) {
    CHECK(0, "%s %s: create: %s", name, json, e.msg);
    cJSON_Delete(m->j);
    return -1;
  }
  return 0;
}

static void unmake(made *m) {
  if (m->p) m->vt->destroy(m->p);
  cJSON_Delete(m->j);
}

/* every planner with a config that works on the contexts below */
static const char *const all[][2] = {
    {"sgp-shooting", "{\"iters\": 30, \"restarts\": 2, \"lr\": 0.5}"},
    {"sgp-shooting", "{\"iters\": 30, \"bounds\": \"tanh\", \"lr\": 0.5}"},
    {"grad", "{\"iters\": 30, \"lr\": 0.5}"},
    {"grad", "{\"iters\": 30, \"bounds\": \"tanh\", \"restarts\": 3, \"lr\": 0.5}"},
    {"grad-ensemble", "{\"iters\": 30, \"lr\": 0.5, \"restarts\": 2}"},
    {"grad-ensemble", "{\"iters\": 30, \"lr\": 0.5, \"bounds\": \"tanh\"}"},
    {"sgp-collocation", "{\"iters\": 30, \"rho\": 10, \"restarts\": 2, \"lr\": 0.5}"},
    {"sgp-collocation", "{\"iters\": 30, \"rho\": 10, \"bounds\": \"tanh\", \"lr\": 0.5}"},
    {"cem", "{\"samples\": 64, \"elites\": 8, \"iters\": 3}"},
    {"cem", "{\"samples\": 64, \"elites\": 8, \"iters\": 3, \"penalty\": \"ensemble\"}"},
    {"mppi", "{\"samples\": 64, \"iters\": 3}"},
    {"mppi", "{\"samples\": 64, \"iters\": 2, \"penalty\": \"ensemble_step\"}"},
    {"mppi", "{\"samples\": 64, \"iters\": 2, \"penalty\": \"distance\"}"},
    {"random-shooting", "{\"samples\": 64}"},
    {"random-shooting", "{\"samples\": 64, \"penalty\": \"distance\", \"distance\": \"dde\"}"},
    {"oracle", "{\"samples\": 64, \"iters\": 2}"},
    {"oracle", "{\"samples\": 64, \"iters\": 2, \"method\": \"cem\", \"elites\": 6}"},
};
enum { NALL = sizeof all / sizeof all[0] };

static void check_registry(void) {
  int n = plan_count();
  CHECK(n == 8, "8 planners registered, got %d", n);
  for (int i = 0; i < n; i++) {
    const plan_vt *v = plan_at(i);
    CHECK(v && plan_find(v->name) == v, "plan_find(%s)", v ? v->name : "?");
    for (int k = 0; k < i; k++) CHECK(strcmp(plan_at(k)->name, v->name), "duplicate %s", v->name);
    CHECK(v->needs && v->create && v->destroy && v->reset && v->act && v->view && v->reset_lane &&
          v->act_lanes && v->view_lane, "%s vtable", v->name);
  }
  CHECK(plan_find("nope") == NULL && plan_at(n) == NULL, "unknown planner");
  static const struct {
    const char *name, *json;
    int mask;
  } nd[] = {
      {"sgp-shooting", "{}", PLAN_NEEDS_DYN | PLAN_NEEDS_SCORE},
      {"sgp-shooting", "{\"beta\": 0}", PLAN_NEEDS_DYN},
      {"grad", "{}", PLAN_NEEDS_DYN},
      {"grad-ensemble", "{}", PLAN_NEEDS_ENSEMBLE},
      {"sgp-collocation", "{}", PLAN_NEEDS_SCORE},
      {"sgp-collocation", "{\"rho\": 1}", PLAN_NEEDS_SCORE | PLAN_NEEDS_DYN},
      {"cem", "{}", PLAN_NEEDS_DYN},
      {"cem", "{\"penalty\": \"ensemble\"}", PLAN_NEEDS_ENSEMBLE},
      {"mppi", "{\"penalty\": \"ensemble_step\"}", PLAN_NEEDS_ENSEMBLE},
      {"mppi", "{\"penalty\": \"distance\"}", PLAN_NEEDS_DYN | PLAN_NEEDS_DIST},
      {"random-shooting", "{\"penalty\": \"distance\", \"distance\": \"dde\"}",
       PLAN_NEEDS_DYN | PLAN_NEEDS_DDE},
      {"oracle", "{}", PLAN_NEEDS_TRUTH},
  };
  for (size_t i = 0; i < sizeof nd / sizeof nd[0]; i++) {
    cJSON *j = NULL;
    sgp_err e = {{0}};
    sgp_json_parse(nd[i].json, "t", &j, &e);
    sgp_cfg c = sgp_cfg_root(j, "t");
    int mask = -1;
    CHECK(plan_find(nd[i].name)->needs(&c, &mask, &e) == 0, "%s needs: %s", nd[i].name, e.msg);
    CHECK(mask == nd[i].mask, "%s %s: needs %d, want %d", nd[i].name, nd[i].json, mask, nd[i].mask);
    /* defaults inserted: the resolved config has the common fields */
    CHECK(cJSON_GetObjectItem(j, "horizon") && cJSON_GetObjectItem(j, "warm_start"),
          "%s: defaults inserted", nd[i].name);
    cJSON_Delete(j);
  }
  /* unknown fields and bad values are rejected with the file and field named */
  static const char *const bad[][3] = {
      {"grad", "{\"beta\": 1}", "test: /beta: unknown field"},
      {"sgp-shooting", "{\"bta\": 1}", "test: /bta: unknown field"},
      {"cem", "{\"temperature\": 1}", "test: /temperature: unknown field"},
      {"mppi", "{\"elites\": 3}", "test: /elites: unknown field"},
      {"mppi", "{\"beta\": 2}", "test: /beta: unknown field"}, /* no penalty, no β */
      {"cem", "{\"samples\": 10, \"elites\": 11}", "test: /elites: 11 elites but only 10 samples"},
      {"sgp-shooting", "{\"score_weight\": \"sigma\"}", "test: /score_weight: \"sigma\" is not one of"},
      {"grad", "{\"bounds\": \"box\"}", "test: /bounds: \"box\" is not one of"},
      {"mppi", "{\"temperature\": 0}", "test: /temperature: must be"},
      {"oracle", "{\"penalty\": \"none\"}", "test: /penalty: unknown field"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cJSON *j = NULL;
    sgp_err e = {{0}};
    sgp_json_parse(bad[i][1], "test", &j, &e);
    sgp_cfg c = sgp_cfg_root(j, "test");
    int mask;
    int rc = plan_find(bad[i][0])->needs(&c, &mask, &e);
    CHECK(rc != 0 && strstr(e.msg, bad[i][2]) == e.msg, "%s %s: got '%s', want '%s...'", bad[i][0],
          bad[i][1], rc ? e.msg : "(accepted)", bad[i][2]);
    cJSON_Delete(j);
  }
}

/* plans are float: compare against the bounds rounded to float */
/* every example config in agents/configs/planners names a planner and passes its needs() */
static void check_example_configs(void) {
  char *dir = sgp_path_join(tu_source_dir(), "agents/configs/planners");
  DIR *d = opendir(dir);
  CHECK(d != NULL, "open %s", dir);
  int n = 0;
  for (struct dirent *de; d && (de = readdir(d));) {
    size_t L = strlen(de->d_name);
    if (L < 6 || strcmp(de->d_name + L - 5, ".json")) continue;
    char *path = sgp_path_join(dir, de->d_name);
    cJSON *j = NULL;
    sgp_err e = {{0}};
    const char *name = NULL;
    int mask = 0, ok = sgp_json_load(path, &j, &e) == 0;
    sgp_cfg c = sgp_cfg_root(j, path);
    ok = ok && sgp_cfg_str(&c, "name", &name, &e) == 0;
    const plan_vt *vt = ok ? plan_find(name) : NULL;
    ok = ok && vt && vt->needs(&c, &mask, &e) == 0;
    CHECK(ok && mask != 0, "%s: %s", path, e.msg[0] ? e.msg : "unknown planner");
    n++;
    cJSON_Delete(j);
    free(path);
  }
  if (d) closedir(d);
  CHECK(n >= 8, "%d example configs", n);
  printf("ok   %d example planner configs accepted\n", n);
  free(dir);
}

static int in_bounds(const float *u, int n, double lo, double hi) {
  for (int i = 0; i < n; i++)
    if (!(u[i] >= (float)lo && u[i] <= (float)hi)) return 0;
  return 1;
}

int main(void) {
  check_registry();
  check_example_configs();
  plan_linsys *ls = plan_linsys_create(NX, NU, A, Bm), *ls2 = plan_linsys_create(NX, NU, A2, Bm);
  double goal[NX] = {3.0, 0.0};
  plan_quadcost *qc = plan_quadcost_create(NX, NU, Q, Rm, Qf, goal);
  plan_dyn dyn = plan_linsys_dyn(ls);
  plan_dyn members[2] = {plan_linsys_dyn(ls), plan_linsys_dyn(ls2)};
  plan_stack *st = plan_stack_create(2, members);
  plan_dyn ens = plan_stack_dyn(st);
  plan_dyn nandyn = {&nan_vt, NULL, NX, NU, 1}, nanens = {&nan_vt, NULL, NX, NU, 2};
  float mean[NX + NU] = {0, 0, 0}, sd[NX + NU] = {1, 1, 1}, sig[2] = {0.5f, 0.1f};
  plan_gauss *g = plan_gauss_create(NX + NU, PLAN_Z_XU, mean, sd, 2, sig);
  float meanx[2 * NX + NU] = {0}, sdx[2 * NX + NU] = {1, 1, 1, 1, 1};
  plan_gauss *gx = plan_gauss_create(2 * NX + NU, PLAN_Z_XUX, meanx, sdx, 2, sig);
  plan_score score = plan_gauss_score(g), scorex = plan_gauss_score(gx);
  /* analytic distance d(z) = Σ_k (z_k − 0.1 k)² (just a known function) */
  float dc[NX + NU] = {0.0f, 0.1f, 0.2f};
  plan_quaddist *qd = plan_quaddist_create(NX + NU, PLAN_Z_XU, dc, 0.5f);
  plan_dist dist = plan_quaddist_dist(qd);
  /* tight bounds: the goal (x = 3) pulls the actions to the upper bound */
  double lo[NU] = {-0.2}, hi[NU] = {0.3};
  plan_ctx ctx = {0};
  ctx.nx = NX, ctx.nu = NU, ctx.T_env = 20, ctx.u_lo = lo, ctx.u_hi = hi;
  ctx.cost = plan_quadcost_cost(qc);
  ctx.dyn = &dyn, ctx.ensemble = &ens, ctx.truth = &dyn, ctx.score = &score, ctx.dist = &dist;
  ctx.seed = 99;
  double x0[NX] = {0.0, 0.0};
  char json[512];

  /* ---- bounds respected, horizon, view, 3 MPC steps; also collocation with the (x,u,x') score */
  for (int i = 0; i < NALL; i++) {
    made m;
    snprintf(json, sizeof json, "%.*s, \"horizon\": %d}", (int)strlen(all[i][1]) - 1, all[i][1], H);
    int coll = !strcmp(all[i][0], "sgp-collocation");
    ctx.score = coll ? &scorex : &score;
    if (make(&m, all[i][0], json, &ctx)) continue;
    m.vt->reset(m.p, 1);
    double x[NX] = {x0[0], x0[1]}, u[NU];
    int ok = 1, fin = 1;
    for (int s = 0; s < 3; s++) {
      plan_diag d;
      sgp_err e = {{0}};
      if (m.vt->act(m.p, x, u, &d, &e)) {
        CHECK(0, "%s: act: %s", json, e.msg);
        break;
      }
      plan_view v;
      m.vt->view(m.p, &v);
      ok &= v.T == H && in_bounds(v.u, H * NU, lo[0], hi[0]) && u[0] >= lo[0] && u[0] <= hi[0];
      ok &= fabs(u[0] - (double)v.u[0]) <= 1e-7;
      fin &= sgp_all_finite_f(v.x, (size_t)(H + 1) * NX) && d.fallback == 0 && isfinite(d.objective);
      fin &= d.model_rows > 0 || !strcmp(all[i][0], "sgp-collocation") ? 1 : 0;
      double xn[NX];
      lin_d(A, x, u[0], xn);
      memcpy(x, xn, sizeof x);
    }
    CHECK(ok, "%s %s: actions within [%g, %g]", all[i][0], json, lo[0], hi[0]);
    CHECK(fin, "%s %s: finite plan, no fallback", all[i][0], json);
    /* the pull towards x = 3 saturates the first action at the upper bound (or near it) */
    CHECK(u[0] > 0.1, "%s %s: first action %g is pulled towards the upper bound", all[i][0], json, u[0]);
    unmake(&m);
  }
  ctx.score = &score;

  /* ---- warm start: exact shift with iters = 0 */
  static const char *const warm[][2] = {
      {"grad", "{\"iters\": 0, \"init\": \"random\", \"horizon\": 8}"},
      {"grad", "{\"iters\": 0, \"init\": \"random\", \"horizon\": 8, \"warm_start\": \"zero\"}"},
      {"grad", "{\"iters\": 0, \"init\": \"random\", \"horizon\": 8, \"bounds\": \"tanh\"}"},
      {"sgp-collocation", "{\"iters\": 0, \"init\": \"random\", \"horizon\": 8, \"beta\": 0, "
                          "\"state_init\": \"rollout\"}"},
      {"cem", "{\"iters\": 1, \"init\": \"random\", \"horizon\": 8, \"init_std\": 1e-7, "
              "\"samples\": 16, \"elites\": 4}"},
  };
  for (size_t i = 0; i < sizeof warm / sizeof warm[0]; i++) {
    made m;
    if (make(&m, warm[i][0], warm[i][1], &ctx)) continue;
    int zero = strstr(warm[i][1], "zero") != NULL;
    double tol = strcmp(warm[i][0], "cem") ? 1e-6 : 1e-4;
    m.vt->reset(m.p, 3);
    double u[NU], x1[NX] = {0.1, 0.2};
    plan_diag d;
    sgp_err e = {{0}};
    m.vt->act(m.p, x0, u, &d, &e);
    plan_view v;
    m.vt->view(m.p, &v);
    float u1[H * NU], xs1[(H + 1) * NX];
    memcpy(u1, v.u, sizeof u1);
    memcpy(xs1, v.x, sizeof xs1);
    m.vt->act(m.p, x1, u, &d, &e);
    m.vt->view(m.p, &v);
    double worst = 0;
    for (int t = 0; t < H; t++) {
      double want = t + 1 < H ? u1[t + 1] : zero ? 0.0 : u1[H - 1];
      worst = fmax(worst, fabs(v.u[t] - want));
    }
    char what[300];
    snprintf(what, sizeof what, "%s %s: second plan = first shifted by one", warm[i][0], warm[i][1]);
    CHECK_WORST(what, worst, tol);
    if (!strcmp(warm[i][0], "sgp-collocation")) { /* states shift too: x_t ← x_{t+1}, last repeated */
      double wx = 0;
      for (int t = 1; t <= H; t++)
        for (int k = 0; k < NX; k++) {
          double want = t < H ? xs1[(t + 1) * NX + k] : xs1[H * NX + k];
          wx = fmax(wx, fabs(v.x[t * NX + k] - want));
        }
      CHECK_WORST("sgp-collocation: states shifted by one", wx, 1e-6);
      CHECK(v.x[0] == (float)x1[0] && v.x[1] == (float)x1[1], "collocation x_0 = measured state");
    }
    /* reset forgets the warm start: the same episode seed gives the first plan again */
    m.vt->reset(m.p, 3);
    m.vt->act(m.p, x0, u, &d, &e);
    m.vt->view(m.p, &v);
    CHECK(!memcmp(v.u, u1, sizeof u1), "%s: reset forgets the warm start", warm[i][0]);
    unmake(&m);
  }

  /* ---- a model that returns NaN: fallback, finite in-bounds action */
  {
    plan_ctx nctx = ctx;
    nctx.dyn = &nandyn, nctx.ensemble = &nanens, nctx.truth = &nandyn;
    for (int i = 0; i < NALL; i++) {
      if (!strcmp(all[i][0], "sgp-collocation")) continue; /* below: needs rho */
      made m;
      if (make(&m, all[i][0], all[i][1], &nctx)) continue;
      m.vt->reset(m.p, 0);
      double u[NU] = {NAN};
      plan_diag d;
      sgp_err e = {{0}};
      int rc = m.vt->act(m.p, x0, u, &d, &e);
      CHECK(rc == 0 && d.fallback == 1 && isfinite(u[0]) && u[0] >= lo[0] && u[0] <= hi[0],
            "%s %s: NaN model: rc %d fallback %d u %g", all[i][0], all[i][1], rc, d.fallback, u[0]);
      unmake(&m);
    }
    made m;
    nctx.score = &scorex;
    if (!make(&m, "sgp-collocation", "{\"iters\": 5, \"rho\": 1}", &nctx)) {
      double u[NU];
      plan_diag d;
      sgp_err e = {{0}};
      m.vt->reset(m.p, 0);
      int rc = m.vt->act(m.p, x0, u, &d, &e);
      CHECK(rc == 0 && d.fallback == 1 && isfinite(u[0]) && u[0] >= lo[0] && u[0] <= hi[0],
            "sgp-collocation: NaN model: fallback %d u %g", d.fallback, u[0]);
      unmake(&m);
    }
  }

  /* ---- a simulator that fails on some rows: the oracle works with the others, no fallback,
   * and never returns a plan through the failing region */
  {
    plan_ctx sctx = ctx;
    plan_dyn stop = {&stop_vt, &dyn, NX, NU, 1};
    sctx.truth = &stop;
    static const char *const oc[] = {"{\"samples\": 64, \"iters\": 3}",
                                     "{\"samples\": 64, \"iters\": 3, \"method\": \"cem\", \"elites\": 6}"};
    for (int k = 0; k < 2; k++) {
      made m;
      if (make(&m, "oracle", oc[k], &sctx)) continue;
      m.vt->reset(m.p, 0);
      double u[NU];
      plan_diag d;
      sgp_err e = {{0}};
      int rc = m.vt->act(m.p, x0, u, &d, &e);
      plan_view v;
      m.vt->view(m.p, &v);
      int below = 1;
      for (int t = 0; t < v.T; t++) below &= v.u[t] <= 0.25f;
      CHECK(rc == 0 && d.fallback == 0 && isfinite(d.objective) && below,
            "oracle %s with a partly failing simulator: rc %d fallback %d objective %g, plan <= 0.25: %d",
            oc[k], rc, d.fallback, d.objective, below);
      unmake(&m);
    }
  }

  /* ---- seeds: same seed → identical; different ctx seed or episode seed → different (sampling) */
  for (int i = 0; i < NALL; i++) {
    int coll = !strcmp(all[i][0], "sgp-collocation");
    ctx.score = coll ? &scorex : &score;
    made m1, m2, m3;
    plan_ctx c3 = ctx;
    c3.seed = ctx.seed + 1;
    if (make(&m1, all[i][0], all[i][1], &ctx) || make(&m2, all[i][0], all[i][1], &ctx) ||
        make(&m3, all[i][0], all[i][1], &c3))
      continue;
    double u1[NU], u2[NU], u3[NU], u4[NU];
    plan_diag d;
    sgp_err e = {{0}};
    plan_view v1, v2;
    m1.vt->reset(m1.p, 5), m2.vt->reset(m2.p, 5), m3.vt->reset(m3.p, 5);
    m1.vt->act(m1.p, x0, u1, &d, &e);
    m2.vt->act(m2.p, x0, u2, &d, &e);
    m3.vt->act(m3.p, x0, u3, &d, &e);
    m1.vt->view(m1.p, &v1), m2.vt->view(m2.p, &v2);
    int same = u1[0] == u2[0] && !memcmp(v1.u, v2.u, sizeof(float) * v1.T * NU) &&
               !memcmp(v1.x, v2.x, sizeof(float) * (v1.T + 1) * NX);
    CHECK(same, "%s %s: same seed, same plan", all[i][0], all[i][1]);
    m2.vt->reset(m2.p, 6);
    m2.vt->act(m2.p, x0, u4, &d, &e);
    const char *n = all[i][0];
    if (!strcmp(n, "cem") || !strcmp(n, "mppi") || !strcmp(n, "random-shooting") ||
        !strcmp(n, "oracle")) {
      m1.vt->view(m1.p, &v1);
      m3.vt->view(m3.p, &v2);
      CHECK(memcmp(v1.u, v2.u, sizeof(float) * v1.T * NU) != 0, "%s %s: different ctx seed, different plan",
            n, all[i][1]);
      m2.vt->view(m2.p, &v2);
      CHECK(memcmp(v1.u, v2.u, sizeof(float) * v1.T * NU) != 0,
            "%s %s: different episode seed, different plan", n, all[i][1]);
    }
    unmake(&m1), unmake(&m2), unmake(&m3);
  }
  ctx.score = &score;

  /* ---- penalties reported for the returned plan, recomputed in double */
  {
    double wide_lo[NU] = {-5}, wide_hi[NU] = {5};
    plan_ctx c = ctx;
    c.u_lo = wide_lo, c.u_hi = wide_hi;
    static const char *const pens[] = {
        "{\"samples\": 32, \"iters\": 2, \"horizon\": 8, \"penalty\": \"ensemble\", \"beta\": 0.7}",
        "{\"samples\": 32, \"iters\": 2, \"horizon\": 8, \"penalty\": \"ensemble_step\", \"beta\": 0.7}",
        "{\"samples\": 32, \"iters\": 2, \"horizon\": 8, \"penalty\": \"distance\", \"beta\": 0.7}",
        ("{\"samples\": 32, \"iters\": 2, \"horizon\": 8, \"penalty\": \"distance\", \"beta\": 0.7, "
         "\"score_weight\": \"sigma2_beta\"}"),
    };
    for (int k = 0; k < 4; k++) {
      made m;
      if (make(&m, "mppi", pens[k], &c)) continue;
      m.vt->reset(m.p, 0);
      double u[NU];
      plan_diag d;
      sgp_err e = {{0}};
      m.vt->act(m.p, x0, u, &d, &e);
      plan_view v;
      m.vt->view(m.p, &v);
      double xa[NX] = {x0[0], x0[1]}, xb[NX] = {x0[0], x0[1]}, Ja = 0, Jb = 0, step = 0, dist_s = 0;
      for (int t = 0; t < H; t++) {
        double ut = v.u[t], na[NX], nb[NX], z[NX + NU] = {xa[0], xa[1], ut};
        dist_s += plan_quaddist_value(qd, z);
        Ja += cost_d(xa, ut), Jb += cost_d(xb, ut);
        lin_d(A, xa, ut, na), lin_d(A2, xb, ut, nb);
        for (int q = 0; q < NX; q++) step += fabs(na[q] - nb[q]) / 2 / NX; /* std of 2 = |a−b|/2 */
        memcpy(xa, na, sizeof xa), memcpy(xb, nb, sizeof xb);
      }
      Ja += costT_d(xa), Jb += costT_d(xb);
      double m2 = (Ja + Jb) / 2, var = ((Ja - m2) * (Ja - m2) + (Jb - m2) * (Jb - m2)) / 2;
      double want_pen = k == 0 ? 0.7 * var : k == 1 ? 0.7 * step
                      : k == 2 ? 0.7 * dist_s / 0.25 : 0.25 * 0.7 * dist_s / 0.25;
      double want_cost = k < 2 ? m2 : Ja;
      const char *names[4] = {"ensemble: beta Var_k J_k", "ensemble_step: beta sum_t mean_d std_k",
                              "distance: beta d/sigma^2", "distance: sigma^2 beta d/sigma^2"};
      char what[200];
      snprintf(what, sizeof what, "mppi penalty %s (relative)", names[k]);
      CHECK_WORST(what, fabs(d.penalty - want_pen) / fmax(fabs(want_pen), 1e-6), 1e-4);
      snprintf(what, sizeof what, "mppi cost with penalty %s (relative)", names[k]);
      CHECK_WORST(what, fabs(d.cost - want_cost) / fmax(fabs(want_cost), 1e-6), 1e-5);
      unmake(&m);
    }
  }

  /* ---- the penalties do their job: with β > 0 the plan stays nearer the data (the Gaussian
   * around 0 / the analytic distance), measured by Σ_t ‖z_t − μ‖² of the returned plan */
  {
    double wlo[NU] = {-2}, whi[NU] = {2};
    plan_ctx c = ctx;
    c.u_lo = wlo, c.u_hi = whi;
    static const char *const pr[][3] = {
        {"grad", "{\"horizon\": 8, \"iters\": 200, \"lr\": 0.1}",
         "{\"horizon\": 8, \"iters\": 200, \"lr\": 0.1, \"beta\": 20}"},
        {"mppi", "{\"horizon\": 8, \"iters\": 10, \"samples\": 200, \"temperature\": 0.1}",
         "{\"horizon\": 8, \"iters\": 10, \"samples\": 200, \"temperature\": 0.1, "
         "\"penalty\": \"distance\", \"beta\": 5}"},
    };
    for (int k = 0; k < 2; k++) {
      double spread[2];
      for (int q = 0; q < 2; q++) {
        made m;
        const char *name = q == 1 && k == 0 ? "sgp-shooting" : pr[k][0];
        if (make(&m, name, pr[k][1 + q], &c)) continue;
        m.vt->reset(m.p, 0);
        double u[NU];
        plan_diag d;
        sgp_err e = {{0}};
        m.vt->act(m.p, x0, u, &d, &e);
        plan_view v;
        m.vt->view(m.p, &v);
        spread[q] = 0;
        for (int t = 0; t < H; t++) {
          double z[NX + NU] = {v.x[t * NX], v.x[t * NX + 1], v.u[t]};
          spread[q] += k == 0 ? z[0] * z[0] + z[1] * z[1] + z[2] * z[2] : plan_quaddist_value(qd, z);
        }
        unmake(&m);
      }
      CHECK(spread[1] < 0.5 * spread[0], "%s: with the penalty the plan stays nearer the data "
            "(%.4g vs %.4g without)", k == 0 ? "sgp-shooting vs grad" : "mppi distance vs none",
            spread[1], spread[0]);
      printf("ok   %s: data spread %.4g with the penalty, %.4g without\n",
             k == 0 ? "sgp-shooting vs grad" : "mppi distance vs none", spread[1], spread[0]);
    }
  }

  plan_gauss_free(g), plan_gauss_free(gx), plan_stack_free(st), plan_quaddist_free(qd);
  plan_linsys_free(ls), plan_linsys_free(ls2);
  plan_quadcost_free(qc);
  return tu_done("test_plan_mpc");
}
