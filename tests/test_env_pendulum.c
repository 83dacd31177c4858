// ctest-labels: unit envs
/* pendulum: the MuJoCo model against the analytic equation (m l² + I) θ̈ = u − m g l sin θ
 * integrated here with RK4 at a 100× smaller step; env stepping against a hand-written MuJoCo call
 * sequence on envs/pendulum.xml from the source tree; the wrapped cost on both sides of its seam;
 * success; torque clipping (also a configured limit); config errors; the expert swings up. What
 * every environment must do (determinism, gradients away from the seam, float batch costs,
 * references) is tests/test_env_conformance.c's. */
#include "envs/env.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double M = 1, L = 1, G = 9.81, I = 1e-9;

static void rk4(double *x, double u, double h, int n) {
  for (int s = 0; s < n; s++) {
    double k[4][2], y[2];
    for (int j = 0; j < 4; j++) {
      double a = j == 0 ? 0 : j == 3 ? h : h / 2;
      for (int i = 0; i < 2; i++) y[i] = x[i] + (j ? a * k[j - 1][i] : 0);
      k[j][0] = y[1];
      k[j][1] = (u - M * G * L * sin(y[0])) / (M * L * L + I);
    }
    for (int i = 0; i < 2; i++) x[i] += h / 6 * (k[0][i] + 2 * k[1][i] + 2 * k[2][i] + k[3][i]);
  }
}

static sgp_env *make(const char *json, sgp_err *e) {
  cJSON *j = cJSON_Parse(json);
  sgp_env *env = NULL;
  if (env_create("pendulum", j, "pd.json", &env, e)) env = NULL;
  cJSON_Delete(j);
  return env;
}

static void check_dynamics(sgp_env *env, sgp_rng *rng) {
  sgp_err e;
  double worst1 = 0, worst20 = 0, worst_mj = 0;
  char path[1024], err[1000];
  snprintf(path, sizeof path, "%s/envs/pendulum.xml", tu_source_dir());
  mjModel *m = mj_loadXML(path, NULL, err, sizeof err);
  CHECK(m != NULL, "load %s: %s", path, err);
  mjData *d = m ? mj_makeData(m) : NULL;
  for (int k = 0; k < 12; k++) {
    double x[2] = {-M_PI + 2 * M_PI * sgp_rng_uniform(rng), -6 + 12 * sgp_rng_uniform(rng)}, xr[2], xs[2], rew;
    double u = -3 + 6 * sgp_rng_uniform(rng);
    int term;
    memcpy(xr, x, sizeof x);
    env_set_state(env, x, &e);
    for (int t = 0; t < 20; t++) {
      CHECK(env_step(env, &u, xs, &rew, &term, &e) == 0, "step: %s", e.msg);
      rk4(xr, u, 0.05 / 500, 500);
      double dd = fmax(fabs(xs[0] - xr[0]), fabs(xs[1] - xr[1]));
      if (t == 0) worst1 = fmax(worst1, dd);
      worst20 = fmax(worst20, dd);
    }
    if (!d) continue;
    env_set_state(env, x, &e);
    env_step(env, &u, xs, &rew, &term, &e);
    mj_resetData(m, d);
    d->qpos[0] = x[0];
    d->qvel[0] = x[1];
    d->ctrl[0] = u;
    for (int s = 0; s < 5; s++) mj_step(m, d);
    worst_mj = fmax(worst_mj, fmax(fabs(d->qpos[0] - xs[0]), fabs(d->qvel[0] - xs[1])));
  }
  CHECK_WORST("one control step vs the analytic equation (RK4, h = 1e-4)", worst1, 1e-7);
  CHECK_WORST("20 control steps (1 s) vs the analytic equation", worst20, 1e-6);
  CHECK_WORST("env step vs hand-written mj_step sequence (bitwise)", worst_mj, 0);
  if (d) mj_deleteData(d);
  if (m) mj_deleteModel(m);
}

int main(void) {
  sgp_err e = {{0}};
  sgp_rng rng;
  sgp_rng_stream(&rng, 4, "test");
  sgp_env *env = make("{}", &e);
  CHECK(env != NULL, "create: %s", e.msg);
  if (!env) return tu_done("test_env_pendulum");
  CHECK(env->spec.nx == 2 && env->spec.nu == 1 && env->spec.T == 100 && env->spec.substeps == 5, "spec");
  check_dynamics(env, &rng);

  /* the wrapped cost: π² hanging (from either side of the seam), 0 upright, the same at θ and θ + 2π */
  double down[2] = {0, 0}, left[2] = {-1e-9, 0}, right[2] = {1e-9, 0}, up[2] = {M_PI, 0}, up2[2] = {3 * M_PI, 0};
  CHECK_CLOSE("c_T hanging = π²", env_terminal_cost(env, down, NULL), M_PI * M_PI, 1e-12);
  CHECK_CLOSE("c_T just left of the seam", env_terminal_cost(env, left, NULL), M_PI * M_PI, 1e-8);
  CHECK_CLOSE("c_T just right of the seam", env_terminal_cost(env, right, NULL), M_PI * M_PI, 1e-8);
  CHECK_CLOSE("c_T upright", env_terminal_cost(env, up, NULL), 0, 1e-24);
  CHECK_CLOSE("c_T upright after a full turn", env_terminal_cost(env, up2, NULL), 0, 1e-24);
  double near[2] = {M_PI - 0.15, 0.5}, far[2] = {M_PI + 0.25, 0}, fast[2] = {M_PI, 1.5};
  CHECK(env_success(env, near) && !env_success(env, far) && !env_success(env, fast), "success: |w| < 0.2, |θ'| < 1");

  /* clipping: the reward charges the clipped torque; a configured limit */
  double u = 50, x[2], rew;
  int term;
  env_reset(env, 0, x, &e);
  env_step(env, &u, x, &rew, &term, &e);
  CHECK_CLOSE("torque clipped to 3 (reward at rest)", rew, -(M_PI * M_PI + 0.001 * 9), 1e-12);
  sgp_env *strong = make("{\"max_torque\":10}", &e);
  CHECK(strong && strong->spec.u_hi[0] == 10 && !strong->spec.has_ref, "max_torque 10: bounds, no references");
  env_destroy(strong);
  CHECK(make("{\"max_torque\":0}", &e) == NULL && strstr(e.msg, "pd.json: /max_torque"), "max_torque 0: %s", e.msg);
  CHECK(make("{\"mass\":2}", &e) == NULL && strstr(e.msg, "pd.json: /mass"), "unknown key: %s", e.msg);

  /* the expert of the reference return swings up within the episode and stays */
  env_reset(env, 0, x, &e);
  int first = -1;
  for (int t = 0; t < env->spec.T; t++) {
    env->ops->expert_action(env, t, x, &u);
    env_step(env, &u, x, &rew, &term, &e);
    if (first < 0 && env_success(env, x)) first = t + 1;
  }
  printf("  expert: upright after %d steps, final θ %.4f, θ' %.4f\n", first, x[0], x[1]);
  CHECK(first > 0 && env_success(env, x), "the expert swings up and ends upright");
  env_destroy(env);
  return tu_done("test_env_pendulum");
}
