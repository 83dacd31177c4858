// ctest-labels: unit envs
/* The contract of envs/env.h, checked for every registered environment (env_at(i)) with its
 * default config and the extra configs it lists (env_vt.test_configs), with the tolerances of its
 * own description (spec.tol):
 *   - the same seed gives the same episode (two instances, bit for bit);
 *   - reset, get_state and set_state round-trip; step's x' is what get_state then returns;
 *   - non-finite actions and states are rejected with an error value, and the instance stays usable;
 *   - the float batch costs and gradients equal the double ones;
 *   - cost and terminal-cost gradients match central differences in double;
 *   - an episode of random actions raises no MuJoCo warning;
 *   - a tiny box collection (datasets API) works: finite rows with reward = −c(x, u);
 *   - the planners' termination rule (terminated_batch on float states) says what step says, at
 *     every step of random episodes (never, for an environment without a rule).
 * The reference returns are checked by tests/test_env_references.c (1000 episodes each: slow).
 * A new environment is covered the moment it is registered. A test build links the test-only
 * environments of tests/envs/ into this test too (CMakeLists.txt). */
#include "datasets/dataset.h"
#include "envs/env.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NSAMPLE 12 /* (x, u) pairs per check */

typedef struct world {
  sgp_env *env;
  const char *name, *cfg; /* for messages */
  sgp_rng rng;
  int nx, nu;
} world;

static sgp_env *make(const char *name, const char *cfg_json) {
  cJSON *j = NULL;
  sgp_err e = {{0}};
  sgp_env *env = NULL;
  if (sgp_json_parse(cfg_json, "cfg", &j, &e) == 0 && env_create(name, j, "cfg", &env, &e) == 0) {
    cJSON_Delete(j);
    return env;
  }
  cJSON_Delete(j);
  CHECK(0, "%s %s: create: %s", name, cfg_json, e.msg);
  return NULL;
}

/* A uniform action of the action box, as an action (nu). */
static void random_action(const sgp_env *env, sgp_rng *r, double *u) {
  const env_spec *s = &env->spec;
  double a[ENV_MAX_BOX];
  for (int i = 0; i < s->nbu; i++) a[i] = s->abox_lo[i] + (s->abox_hi[i] - s->abox_lo[i]) * sgp_rng_uniform(r);
  env_box_to_action(env, a, u);
}

/* 1 if x is within 10 fd steps of the seam of a wrapped angle (goal ± π). */
static int near_seam(const sgp_env *env, const double *x) {
  const env_spec *s = &env->spec;
  for (int i = 0; i < s->nx && i < 32; i++)
    if ((s->tol.wrap >> i) & 1u) {
      double d = remainder(x[i] - s->goal[i] - M_PI, 2 * M_PI);
      if (fabs(d) < 10 * s->tol.fd_step) return 1;
    }
  return 0;
}

/* A state reached by up to 50 random actions from a reset (environments without a data box). */
static void visited_state(world *w, double *x) {
  sgp_env *env = w->env;
  double *u = sgp_malloc(sizeof(double) * (size_t)w->nu), rew;
  sgp_err e = {{0}};
  int term = 0, n = (int)sgp_rng_below(&w->rng, 50), rc = env_reset(env, sgp_rng_below(&w->rng, 1000), x, &e);
  for (int t = 0; !rc && !term && t < n && t < env->spec.T; t++) {
    random_action(env, &w->rng, u);
    rc = env_step(env, u, x, &rew, &term, &e);
  }
  CHECK(!rc, "%s: random steps: %s", w->name, e.msg);
  free(u);
}

/* A state of the data box (or a visited one) and an action of the action box, both exactly
 * representable in float (so that the float and double costs see the same inputs). */
static void sample(world *w, double *x, double *u) {
  const env_spec *s = &w->env->spec;
  do {
    double b[ENV_MAX_BOX];
    if (s->has_box) {
      for (int i = 0; i < s->nbx; i++) b[i] = s->box_lo[i] + (s->box_hi[i] - s->box_lo[i]) * sgp_rng_uniform(&w->rng);
      env_box_to_state(w->env, b, x);
    } else {
      visited_state(w, x);
    }
    for (int i = 0; i < s->nx; i++) x[i] = (float)x[i];
  } while (near_seam(w->env, x));
  random_action(w->env, &w->rng, u);
  for (int i = 0; i < s->nu; i++) u[i] = (float)u[i];
}

/* An episode of the action stream of `seed` from reset(seed), until T steps or termination:
 * fills xs ((T+1)·nx, zeros after the end) and rewards (T). */
static int episode(sgp_env *env, uint64_t seed, double *xs, double *rew, sgp_err *e) {
  const env_spec *s = &env->spec;
  sgp_rng r;
  sgp_rng_stream(&r, seed, "conformance");
  memset(xs, 0, sizeof(double) * (size_t)(s->T + 1) * s->nx);
  memset(rew, 0, sizeof(double) * (size_t)s->T);
  double *u = sgp_malloc(sizeof(double) * (size_t)s->nu);
  int term = 0, rc = env_reset(env, seed, xs, e);
  for (int t = 0; !rc && !term && t < s->T; t++) {
    random_action(env, &r, u);
    rc = env_step(env, u, xs + (size_t)(t + 1) * s->nx, rew + t, &term, e);
  }
  free(u);
  return rc;
}

static void check_determinism(world *w) {
  sgp_env *b = make(w->name, w->cfg);
  if (!b) return;
  size_t n = (size_t)(w->env->spec.T + 1) * w->nx;
  double *xa = sgp_malloc(sizeof(double) * n), *xb = sgp_malloc(sizeof(double) * n);
  double *ra = sgp_malloc(sizeof(double) * w->env->spec.T), *rb = sgp_malloc(sizeof(double) * w->env->spec.T);
  sgp_err e = {{0}};
  int rc = episode(w->env, 5, xa, ra, &e) || episode(b, 5, xb, rb, &e);
  CHECK(!rc, "%s %s: random episode: %s", w->name, w->cfg, e.msg);
  int same = !rc && !memcmp(xa, xb, sizeof(double) * n) && !memcmp(ra, rb, sizeof(double) * w->env->spec.T);
  CHECK(same, "%s %s: two instances, seed 5: the same episode bit for bit", w->name, w->cfg);
  CHECK(env_warnings(w->env) == 0, "%s %s: random episode raised %ld MuJoCo warnings", w->name, w->cfg,
        env_warnings(w->env));
  /* the same seed again on the first instance */
  rc = episode(w->env, 5, xb, rb, &e);
  CHECK(!rc && !memcmp(xa, xb, sizeof(double) * n), "%s %s: seed 5 again: the same episode", w->name, w->cfg);
  free(xa), free(xb), free(ra), free(rb);
  env_destroy(b);
}

/* reset/get/set round trip; x' of step is get_state afterwards. */
static void check_state_io(world *w) {
  sgp_env *env = w->env;
  double *x = sgp_malloc(sizeof(double) * w->nx), *y = sgp_malloc(sizeof(double) * w->nx);
  double *xn = sgp_malloc(sizeof(double) * w->nx), *u = sgp_malloc(sizeof(double) * w->nu), rew;
  sgp_err e = {{0}};
  int term;
  double worst_get = 0, worst_set = 0, worst_step = 0;
  CHECK(env_reset(env, 1, x, &e) == 0, "%s: reset: %s", w->name, e.msg);
  env_get_state(env, y);
  for (int i = 0; i < w->nx; i++) worst_get = fmax(worst_get, fabs(x[i] - y[i]));
  for (int k = 0; k < NSAMPLE; k++) {
    sample(w, x, u);
    CHECK(env_set_state(env, x, &e) == 0, "%s: set_state: %s", w->name, e.msg);
    env_get_state(env, y);
    for (int i = 0; i < w->nx; i++) worst_set = fmax(worst_set, fabs(x[i] - y[i]));
    CHECK(env_step(env, u, xn, &rew, &term, &e) == 0, "%s: step: %s", w->name, e.msg);
    env_get_state(env, y);
    for (int i = 0; i < w->nx; i++) worst_step = fmax(worst_step, fabs(xn[i] - y[i]));
  }
  printf("  %s %s:\n", w->name, w->cfg);
  CHECK_WORST("reset's x0 vs get_state", worst_get, 0);
  CHECK_WORST("get_state(set_state(x)) vs x over sampled states", worst_set, env->spec.tol.state_abs);
  CHECK_WORST("step's x' vs get_state after it", worst_step, 0);
  free(x), free(y), free(xn), free(u);
}

static void check_nonfinite(world *w) {
  sgp_env *env = w->env;
  double *x = sgp_malloc(sizeof(double) * w->nx), *u = sgp_malloc(sizeof(double) * w->nu), rew;
  sgp_err e = {{0}};
  int term;
  const double bad[2] = {NAN, INFINITY};
  for (int k = 0; k < 2; k++) {
    env_reset(env, 0, x, &e);
    memset(u, 0, sizeof(double) * w->nu);
    u[k ? w->nu - 1 : 0] = bad[k];
    e.msg[0] = 0;
    CHECK(env_step(env, u, x, &rew, &term, &e) == -1 && e.msg[0], "%s: %s action rejected: %s", w->name,
          k ? "infinite" : "NaN", e.msg);
    env_reset(env, 0, x, &e);
    x[k ? w->nx - 1 : 0] = bad[k];
    e.msg[0] = 0;
    CHECK(env_set_state(env, x, &e) == -1 && e.msg[0], "%s: %s state rejected: %s", w->name, k ? "infinite" : "NaN",
          e.msg);
  }
  memset(u, 0, sizeof(double) * w->nu);
  int ok = env_reset(env, 0, x, &e) == 0 && env_step(env, u, x, &rew, &term, &e) == 0 &&
           sgp_all_finite_d(x, (size_t)w->nx);
  CHECK(ok, "%s: usable after the rejections: %s", w->name, e.msg);
  free(x), free(u);
}

/* Worst |a − b| / (1 + max |b|) over n values. */
static double grad_err(const float *a, const double *b, int n) {
  double scale = 0, worst = 0;
  for (int i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
  for (int i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i]) / (1 + scale));
  return worst;
}

static void check_batch(world *w) {
  sgp_env *env = w->env;
  int nx = w->nx, nu = w->nu, B = NSAMPLE;
  double *x = sgp_malloc(sizeof(double) * nx), *u = sgp_malloc(sizeof(double) * nu);
  double *gx = sgp_malloc(sizeof(double) * nx), *gu = sgp_malloc(sizeof(double) * nu), *gT = sgp_malloc(sizeof(double) * nx);
  float *xf = sgp_malloc(sizeof(float) * (size_t)B * nx), *uf = sgp_malloc(sizeof(float) * (size_t)B * nu);
  float *c = sgp_malloc(sizeof(float) * B), *cT = sgp_malloc(sizeof(float) * B), *c0 = sgp_malloc(sizeof(float) * B);
  float *gxf = sgp_malloc(sizeof(float) * (size_t)B * nx), *guf = sgp_malloc(sizeof(float) * (size_t)B * nu);
  float *gTf = sgp_malloc(sizeof(float) * (size_t)B * nx);
  double *xs = sgp_malloc(sizeof(double) * (size_t)B * nx), *us = sgp_malloc(sizeof(double) * (size_t)B * nu);
  for (int b = 0; b < B; b++) {
    sample(w, xs + (size_t)b * nx, us + (size_t)b * nu);
    for (int i = 0; i < nx; i++) xf[(size_t)b * nx + i] = (float)xs[(size_t)b * nx + i];
    for (int i = 0; i < nu; i++) uf[(size_t)b * nu + i] = (float)us[(size_t)b * nu + i];
  }
  env_cost_batch(env, B, xf, uf, c, gxf, guf);
  env_terminal_cost_batch(env, B, xf, cT, gTf);
  env_cost_batch(env, B, xf, uf, c0, NULL, NULL);
  double wc = 0, wg = 0;
  int same_null = 1;
  for (int b = 0; b < B; b++) {
    memcpy(x, xs + (size_t)b * nx, sizeof(double) * nx);
    memcpy(u, us + (size_t)b * nu, sizeof(double) * nu);
    double cd = env_cost(env, x, u, gx, gu), cTd = env_terminal_cost(env, x, gT);
    wc = fmax(wc, fmax(tu_relerr(c[b], cd, 1.0), tu_relerr(cT[b], cTd, 1.0)));
    wg = fmax(wg, grad_err(gxf + (size_t)b * nx, gx, nx));
    wg = fmax(wg, grad_err(guf + (size_t)b * nu, gu, nu));
    wg = fmax(wg, grad_err(gTf + (size_t)b * nx, gT, nx));
    same_null &= c0[b] == c[b];
  }
  CHECK_WORST("float batch costs vs double (rel, floor 1)", wc, env->spec.tol.batch_rel);
  CHECK_WORST("float batch gradients vs double (abs / (1 + max |g|))", wg, env->spec.tol.batch_rel);
  CHECK(same_null, "%s: batch costs without gradients are the same", w->name);
  free(x), free(u), free(gx), free(gu), free(gT), free(xf), free(uf), free(c), free(cT), free(c0);
  free(gxf), free(guf), free(gTf), free(xs), free(us);
}

/* Central difference of the running (which 0: in x, 1: in u) or terminal (2) cost along dim i. */
static double central(sgp_env *env, int which, double *x, double *u, int i, double h) {
  double *v = which == 1 ? u : x, keep = v[i], f[2];
  for (int s = 0; s < 2; s++) {
    v[i] = keep + (s ? -h : h);
    f[s] = which == 2 ? env_terminal_cost(env, x, NULL) : env_cost(env, x, u, NULL, NULL);
  }
  v[i] = keep;
  return (f[0] - f[1]) / (2 * h);
}

static void check_gradients(world *w) {
  sgp_env *env = w->env;
  int nx = w->nx, nu = w->nu;
  double h = env->spec.tol.fd_step, worst = 0, worstT = 0;
  double *x = sgp_malloc(sizeof(double) * nx), *u = sgp_malloc(sizeof(double) * nu);
  double *gx = sgp_malloc(sizeof(double) * nx), *gu = sgp_malloc(sizeof(double) * nu), *gT = sgp_malloc(sizeof(double) * nx);
  for (int k = 0; k < NSAMPLE / 2; k++) {
    sample(w, x, u);
    env_cost(env, x, u, gx, gu);
    env_terminal_cost(env, x, gT);
    for (int i = 0; i < nx; i++) {
      worst = fmax(worst, tu_relerr(central(env, 0, x, u, i, h), gx[i], 1.0));
      worstT = fmax(worstT, tu_relerr(central(env, 2, x, u, i, h), gT[i], 1.0));
    }
    for (int i = 0; i < nu; i++) worst = fmax(worst, tu_relerr(central(env, 1, x, u, i, h), gu[i], 1.0));
  }
  CHECK_WORST("running cost gradients vs central differences (rel, floor 1)", worst, env->spec.tol.fd_rel);
  CHECK_WORST("terminal cost gradient vs central differences (rel, floor 1)", worstT, env->spec.tol.fd_rel);
  free(x), free(u), free(gx), free(gu), free(gT);
}

/* 64 box transitions through the datasets API: finite rows, reward = −c(x, u) in float. */
static void check_collection(world *w) {
  if (!w->env->spec.has_box) {
    printf("  %s: no data box: no box collection to check\n", w->name);
    return;
  }
  cJSON *spec = cJSON_Parse("{\"type\":\"box\",\"n\":64}"), *cfg = cJSON_Parse(w->cfg);
  ds_collect_opts o = {3, 1, 0};
  ds_data d;
  sgp_err e = {{0}};
  int rc = ds_collect(w->name, cfg, "cfg", spec, "spec", &o, &d, &e);
  CHECK(rc == 0, "%s %s: box collection: %s", w->name, w->cfg, e.msg);
  if (!rc) {
    CHECK(d.n == 64 && d.nx == w->nx && d.nu == w->nu, "%s: 64 rows of nx %d, nu %d", w->name, d.nx, d.nu);
    int fin = sgp_all_finite_f(d.x, (size_t)d.n * d.nx) && sgp_all_finite_f(d.xnext, (size_t)d.n * d.nx) &&
              sgp_all_finite_f(d.u, (size_t)d.n * d.nu) && sgp_all_finite_f(d.reward, (size_t)d.n);
    CHECK(fin, "%s: finite rows", w->name);
    float *c = sgp_malloc(sizeof(float) * (size_t)d.n);
    env_cost_batch(w->env, (int)d.n, d.x, d.u, c, NULL, NULL);
    double worst = 0;
    for (int64_t i = 0; i < d.n; i++) worst = fmax(worst, tu_relerr(d.reward[i], -c[i], 1.0));
    CHECK_WORST("collected reward vs -c(x, u) of the stored row (float, rel, floor 1)", worst, 1e-4);
    free(c);
    ds_free(&d);
  }
  cJSON_Delete(spec);
  cJSON_Delete(cfg);
}

/* step's terminated flag = env_terminated_batch of the state it reached, over 4 random episodes. */
static void check_termination(world *w) {
  const env_spec *s = &w->env->spec;
  double *x = sgp_malloc(sizeof(double) * (size_t)w->nx),
         *u = sgp_malloc(sizeof(double) * (size_t)w->nu);
  float *xf = sgp_malloc(sizeof(float) * (size_t)w->nx);
  long steps = 0, ends = 0, wrong = 0;
  sgp_err e = {{0}};
  for (uint64_t seed = 1; seed <= 4; seed++) {
    sgp_rng r;
    sgp_rng_stream(&r, seed, "termination");
    int term = 0, rc = env_reset(w->env, seed, x, &e);
    for (int t = 0; !rc && !term && t < s->T; t++) {
      random_action(w->env, &r, u);
      double rew;
      rc = env_step(w->env, u, x, &rew, &term, &e);
      if (rc)
        break;
      for (int i = 0; i < w->nx; i++)
        xf[i] = (float)x[i];
      float done = -1;
      env_terminated_batch(w->env, 1, xf, &done);
      steps++, ends += term;
      wrong += done != (float)term;
    }
    CHECK(!rc, "%s %s: termination episode %d: %s", w->name, w->cfg, (int)seed, e.msg);
  }
  CHECK(wrong == 0, "%s %s: terminated_batch differs from step's terminated at %ld of %ld steps",
        w->name, w->cfg, wrong, steps);
  CHECK(w->env->ops->terminated_batch || ends == 0,
        "%s %s: step terminated %ld times without a termination rule", w->name, w->cfg, ends);
  printf("%s %s: termination: %ld steps, %ld ends, %ld disagreements\n", w->name, w->cfg, steps,
         ends, wrong);
  free(x), free(u), free(xf);
}

static void conform(const char *name, const char *cfg) {
  world w = {0};
  w.env = make(name, cfg);
  if (!w.env) return;
  w.name = name;
  w.cfg = cfg;
  w.nx = w.env->spec.nx;
  w.nu = w.env->spec.nu;
  sgp_rng_stream(&w.rng, 11, "conformance");
  check_determinism(&w);
  check_state_io(&w);
  check_nonfinite(&w);
  check_batch(&w);
  check_gradients(&w);
  check_collection(&w);
  check_termination(&w);
  env_destroy(w.env);
}

int main(void) {
  CHECK(env_count() >= 1, "environments registered");
  for (int i = 0; i < env_count(); i++) {
    const env_vt *vt = env_at(i);
    CHECK(env_find(vt->name) == vt, "%s: found by name", vt->name);
    conform(vt->name, "{}");
    for (int k = 0; vt->test_configs && vt->test_configs[k]; k++) conform(vt->name, vt->test_configs[k]);
  }
  return tu_done("test_env_conformance");
}
