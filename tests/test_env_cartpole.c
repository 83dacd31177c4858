// ctest-labels: unit envs
/* cartpole: the MuJoCo model against the analytic cart-pole equations (point mass at the tip,
 * Lagrange, see envs/cartpole.c) integrated here with RK4 at a 100× smaller step; env stepping
 * against a hand-written MuJoCo call sequence on envs/cartpole.xml from the source tree; success
 * and the terminal cost at rest; action clipping; an exploding state becomes an error value; the
 * expert of the reference return swings the pole up. What every environment must do (determinism,
 * gradients, float batch costs, references) is tests/test_env_conformance.c's. */
#include "envs/env_private.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double MC = 10, MP = 1, L = 0.5, G = 9.81, IP = 1e-9;

/* ẋ = f(x, u), x = [p, θ, ṗ, θ̇]: solve the 2×2 mass-matrix system of the Lagrange equations
 *   (mc+mp) p̈ + mp l c θ̈ = u + mp l s θ̇²,   mp l c p̈ + (mp l² + I) θ̈ = −mp g l s */
static void f(const double *x, double u, double *dx) {
  double s = sin(x[1]), c = cos(x[1]);
  double a = MC + MP, b = MP * L * c, d = MP * L * L + IP;
  double r1 = u + MP * L * s * x[3] * x[3], r2 = -MP * G * L * s;
  double det = a * d - b * b;
  dx[0] = x[2];
  dx[1] = x[3];
  dx[2] = (d * r1 - b * r2) / det;
  dx[3] = (a * r2 - b * r1) / det;
}

static void rk4(double *x, double u, double h, int n) {
  for (int k = 0; k < n; k++) {
    double k1[4], k2[4], k3[4], k4[4], t[4];
    f(x, u, k1);
    for (int i = 0; i < 4; i++) t[i] = x[i] + 0.5 * h * k1[i];
    f(t, u, k2);
    for (int i = 0; i < 4; i++) t[i] = x[i] + 0.5 * h * k2[i];
    f(t, u, k3);
    for (int i = 0; i < 4; i++) t[i] = x[i] + h * k3[i];
    f(t, u, k4);
    for (int i = 0; i < 4; i++) x[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  }
}

/* The authors' plant (envs/cartpole.c, "plant": "authors"), written here from the textbook: their
 * θ̈ is the textbook's with I = 0, and their p̈ is the textbook's plus u (1 − 1/D), D = mc + mp sin²θ,
 * since they leave the force out of the division by D. One explicit midpoint step of h. */
static void f_authors(const double *x, double u, double *dx) {
  double s = sin(x[1]), c = cos(x[1]), D = MC + MP * s * s;
  dx[0] = x[2];
  dx[1] = x[3];
  dx[2] = (u + MP * s * (L * x[3] * x[3] + G * c)) / D + u * (1 - 1 / D);
  dx[3] = (-u * c - MP * L * x[3] * x[3] * c * s - (MC + MP) * G * s) / (L * D);
}

static void midpoint_authors(double *x, double u, double h) {
  double k[4], m[4];
  f_authors(x, u, k);
  for (int i = 0; i < 4; i++) m[i] = x[i] + 0.5 * h * k[i];
  f_authors(m, u, k);
  for (int i = 0; i < 4; i++) x[i] += h * k[i];
}

/* Largest |ṗ| over the expert's forces replayed open loop in `env`. */
static double expert_max_pdot(sgp_env *env, sgp_err *e) {
  double x[4], u, rew, m = 0;
  int term;
  env_reset(env, 0, x, e);
  for (int t = 0; t < env->spec.T; t++) {
    env->ops->expert_action(env, t, x, &u);
    if (env_step(env, &u, x, &rew, &term, e)) return NAN;
    m = fmax(m, fabs(x[2]));
  }
  return m;
}

static double maxdiff(const double *a, const double *b, int n) {
  double m = 0;
  for (int i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
  return m;
}

int main(void) {
  sgp_err e = {0};
  sgp_env *env = NULL;
  CHECK(env_create("cartpole", NULL, "cfg", &env, &e) == 0, "create: %s", e.msg);
  if (!env) return tu_done("test_env_cartpole");
  sgp_rng rng;
  sgp_rng_stream(&rng, 2, "test");
  CHECK(env->spec.nx == 4 && env->spec.nu == 1 && env->spec.T == 60, "spec dims");
  CHECK_CLOSE("dt", env->spec.dt, 0.05, 0);
  CHECK(env->spec.substeps == 10, "10 substeps of 0.005");
  double x0[4];
  env_reset(env, 11, x0, &e);
  CHECK(x0[0] == 0 && x0[1] == 0 && x0[2] == 0 && x0[3] == 0, "reset: hanging at rest");

  /* ---- against the analytic equations */
  {
    double worst1 = 0, worst20 = 0;
    const double us[3] = {0, 30, -80};
    for (int k = 0; k < 12; k++) {
      double x[4] = {-2 + 4 * sgp_rng_uniform(&rng), -M_PI + 2.5 * M_PI * sgp_rng_uniform(&rng),
                     -4 + 8 * sgp_rng_uniform(&rng), -8 + 16 * sgp_rng_uniform(&rng)};
      double u = us[k % 3];
      double xs[4], xr[4], rew;
      int term;
      memcpy(xr, x, sizeof x);
      env_set_state(env, x, &e);
      for (int t = 0; t < 20; t++) {
        CHECK(env_step(env, &u, xs, &rew, &term, &e) == 0, "step: %s", e.msg);
        rk4(xr, u, 0.05 / 1000, 1000);
        double d = maxdiff(xs, xr, 4);
        if (t == 0) worst1 = fmax(worst1, d);
        worst20 = fmax(worst20, d);
      }
    }
    CHECK_WORST("one control step vs analytic RK4 (h = 5e-5), u in {0, 30, -80}", worst1, 1e-7);
    CHECK_WORST("20 control steps (1 s) vs analytic RK4", worst20, 1e-6);
  }

  /* ---- set_state + step == hand-written MuJoCo sequence */
  {
    char path[1024], err[1000];
    snprintf(path, sizeof path, "%s/envs/cartpole.xml", tu_source_dir());
    mjModel *m = mj_loadXML(path, NULL, err, sizeof err);
    CHECK(m != NULL, "load %s: %s", path, err);
    if (m) {
      mjData *d = mj_makeData(m);
      double worst = 0;
      for (int k = 0; k < 100; k++) {
        double x[4] = {-5 + 10 * sgp_rng_uniform(&rng), -M_PI + 2.5 * M_PI * sgp_rng_uniform(&rng),
                       -8 + 16 * sgp_rng_uniform(&rng), -12 + 24 * sgp_rng_uniform(&rng)};
        double u = -100 + 200 * sgp_rng_uniform(&rng), xn[4], rew;
        int term;
        env_set_state(env, x, &e);
        env_step(env, &u, xn, &rew, &term, &e);
        mj_resetData(m, d);
        d->qpos[0] = x[0];
        d->qpos[1] = x[1];
        d->qvel[0] = x[2];
        d->qvel[1] = x[3];
        d->ctrl[0] = u > 80 ? 80 : u < -80 ? -80 : u;
        for (int s = 0; s < 10; s++) mj_step(m, d);
        double ref[4] = {d->qpos[0], d->qpos[1], d->qvel[0], d->qvel[1]};
        worst = fmax(worst, maxdiff(ref, xn, 4));
        double uc = d->ctrl[0];
        if (rew != -env_cost(env, x, &uc, NULL, NULL)) worst = 1;
      }
      CHECK_WORST("env step vs hand-written mj_step sequence (bitwise, reward = -c(x, clip u))", worst, 0);
      mj_deleteData(d);
      mj_deleteModel(m);
    }
  }

  /* ---- success and the terminal cost at rest (determinism, gradients and the float batch costs:
   * tests/test_env_conformance.c) */
  {
    double up[4] = {0.1, M_PI + 0.15, 3, -1.9}, flip[4] = {0.1, -M_PI + 0.1, 0, 0}, off[4] = {0.6, M_PI, 0, 0},
           down[4] = {0, 0, 0, 0}, spin[4] = {0, M_PI, 0, 2.1};
    CHECK(env_success(env, up) && env_success(env, flip) && !env_success(env, off) && !env_success(env, down) &&
              !env_success(env, spin),
          "success: |wrap(θ-π)| < 0.2, |θ̇| < 2 and |p| < 0.5");
  }
  /* ---- the reason for the |θ̇| < 2 bound (envs/cartpole.c): the worst success state, φ = θ − π = 0.2
   * and φ̇ = 2 (unstable mode z = φ̇ + λφ = 2.93 < 3.44), is caught within the 80 N limit by
   * u = clip(−100 z) in the true simulator; just outside the capture region (φ̇ = 2.7, z = 3.63)
   * even the full −80 N cannot stop the fall. */
  {
    const double lam = sqrt(11 * 9.81 / (10 * 0.5));
    for (int k = 0; k < 2; k++) {
      double x[4] = {0, M_PI + 0.2, 0, k ? 2.7 : 2.0}, xn[4], rew, maxphi = 0;
      int term;
      env_reset(env, 0, NULL, &e);
      env_set_state(env, x, &e);
      for (int t = 0; t < 40; t++) {
        double phi = x[1] - M_PI, z = x[3] + lam * phi, u = k ? -80 : fmax(-80, fmin(80, -100 * z));
        env_step(env, &u, xn, &rew, &term, &e);
        memcpy(x, xn, sizeof x);
        if (fabs(x[1] - M_PI) > maxphi) maxphi = fabs(x[1] - M_PI);
      }
      printf("  from phi 0.2, dphi %.1f: max |phi| over 2 s %.3f, final |phi| %.3g\n", k ? 2.7 : 2.0, maxphi,
             fabs(x[1] - M_PI));
      if (!k) CHECK(maxphi < 0.5 && fabs(x[1] - M_PI) < 0.05, "a success state at the bound is caught");
      else CHECK(maxphi > 1.5, "outside the capture region the pole falls");
    }
    double down[4] = {0, 0, 0, 0};
    CHECK_CLOSE("terminal cost at rest = π²", env_terminal_cost(env, down, NULL), M_PI * M_PI, 1e-12);
  }

  /* ---- trouble: an exploding state is an error value, the instance stays usable; actions clipped */
  {
    double bad[4] = {0, 0, 0, 1e11}, u = 0, xn[4], rew;
    int term;
    env_set_state(env, bad, &e);
    int rc = env_step(env, &u, xn, &rew, &term, &e);
    printf("  huge velocity: rc %d: %s\n", rc, e.msg);
    CHECK(rc == -1 && strstr(e.msg, "cartpole: simulation unstable"), "unstable -> error value");
    CHECK(env_reset(env, 0, xn, &e) == 0 && env_step(env, &u, xn, &rew, &term, &e) == 0, "usable after error");
    double big = 1e6;
    env_reset(env, 0, xn, &e);
    env_step(env, &big, xn, &rew, &term, &e);
    CHECK_CLOSE("action clipped to 80 (reward)", rew, -1e-5 * 80 * 80, 1e-15);
  }

  /* ---- config */
  {
    cJSON *j = NULL;
    sgp_env *z = NULL;
    sgp_json_parse("{\"init_noise\":0.1,\"mass\":3}", "cp.json", &j, &e);
    CHECK(env_create("cartpole", j, "cp.json", &z, &e) == -1 && strstr(e.msg, "cp.json: /mass"), "unknown key: %s", e.msg);
    cJSON_Delete(j);
    sgp_json_parse("{\"init_noise\":0.05}", "cp.json", &j, &e);
    CHECK(env_create("cartpole", j, "cp.json", &z, &e) == 0, "init_noise");
    double a[4], b[4], c[4];
    env_reset(z, 1, a, &e);
    env_reset(z, 1, b, &e);
    env_reset(z, 2, c, &e);
    CHECK(!memcmp(a, b, sizeof a) && memcmp(a, c, sizeof a) && a[1] != 0, "noisy reset: deterministic per seed");
    env_destroy(z);
    cJSON_Delete(j);
  }
  /* ---- the authors' plant: the env against the midpoint integration above, and the replay that
   * explains their figure: the textbook expert's forces stay inside the data box's ±8 m/s in the
   * textbook plant and leave it in theirs */
  {
    cJSON *j = NULL;
    sgp_env *z = NULL;
    sgp_json_parse("{\"plant\":\"authors\"}", "cp.json", &j, &e);
    CHECK(env_create("cartpole", j, "cp.json", &z, &e) == 0, "plant authors: %s", e.msg);
    cJSON_Delete(j);
    sgp_json_parse("{\"plant\":\"Authors\"}", "cp.json", &j, &e);
    sgp_env *bad = NULL;
    CHECK(env_create("cartpole", j, "cp.json", &bad, &e) == -1 && strstr(e.msg, "cp.json: /plant"),
          "unknown plant named: %s", e.msg);
    cJSON_Delete(j);
    if (z) {
      CHECK(!z->spec.has_ref, "the textbook's references are not claimed for the authors' plant");
      double x[4], ref[4], rew, worst = 0;
      int term;
      env_reset(z, 0, x, &e);
      memcpy(ref, x, sizeof x);
      for (int t = 0; t < 40; t++) {
        double u = -80 + 160 * sgp_rng_uniform(&rng);
        CHECK(env_step(z, &u, x, &rew, &term, &e) == 0, "authors step: %s", e.msg);
        midpoint_authors(ref, u, 0.05);
        worst = fmax(worst, maxdiff(x, ref, 4) / (1 + fabs(ref[2]) + fabs(ref[3])));
      }
      CHECK_WORST("authors' plant, 40 steps vs the midpoint reference (relative)", worst, 1e-12);
      double mt = expert_max_pdot(env, &e), ma = expert_max_pdot(z, &e);
      printf("expert forces replayed: max |pdot| %.4f (textbook) vs %.4f (authors' plant)\n", mt, ma);
      CHECK(mt < 8 && ma > 8, "textbook stays in the ±8 box (%.3f), the authors' plant leaves it (%.3f)", mt, ma);
      env_destroy(z);
    }
  }
  /* ---- the expert of the reference return (its return: tests/test_env_references.c) swings the
   * pole up, and beats doing nothing (−π²) */
  {
    double x[4], u, rew, ret = 0;
    int term;
    env_reset(env, 0, x, &e);
    for (int t = 0; t < env->spec.T; t++) {
      env->ops->expert_action(env, t, x, &u);
      env_step(env, &u, x, &rew, &term, &e);
      ret += rew;
    }
    ret -= env_terminal_cost(env, x, NULL);
    CHECK(env_success(env, x), "the expert swing-up succeeds (final θ %.3f, p %.3f)", x[1], x[0]);
    CHECK(ret > -M_PI * M_PI, "the expert (%.4f) beats doing nothing (-pi^2)", ret);
  }
  env_destroy(env);
  return tu_done("test_env_cartpole");
}
