// ctest-labels: unit envs
/* point: moves by exactly u (by mud_factor·u inside the disk for "mud"); env stepping equals a
 * hand-written MuJoCo call sequence on envs/point.xml loaded from the source tree; success; MuJoCo
 * errors and bad numbers become error values; config errors name the field; the expert goes
 * around the mud. What every environment must do (determinism, gradients, float batch costs,
 * references) is tests/test_env_conformance.c's. */
#include "envs/env_private.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sgp_env *make(const char *json) {
  cJSON *j = NULL;
  sgp_err e = {0};
  sgp_env *env = NULL;
  if (sgp_json_parse(json, "cfg", &j, &e) || env_create("point", j, "cfg", &env, &e)) {
    fprintf(stderr, "FAIL make(%s): %s\n", json, e.msg);
    exit(1);
  }
  cJSON_Delete(j);
  return env;
}

static int create_fails(const char *json, const char *expect) {
  cJSON *j = NULL;
  sgp_err e = {0};
  sgp_env *env = NULL;
  if (sgp_json_parse(json, "cfg.json", &j, &e)) return 0;
  int rc = env_create("point", j, "cfg.json", &env, &e);
  cJSON_Delete(j);
  if (rc == 0) {
    env_destroy(env);
    return 0;
  }
  printf("  rejected %s: %s\n", json, e.msg);
  return strstr(e.msg, expect) != NULL;
}

static void pre_error(void *ctx, const mjModel *m, mjData *d) {
  (void)ctx;
  (void)m;
  (void)d;
  mju_error("deliberate test error");
}

/* The return of one episode from the start: the expert's actions (straight = 0), or straight at
 * full speed to the goal (straight = 1). */
static double episode(sgp_env *env, int straight) {
  double x[2], u[2], ret = 0, rew;
  int term;
  sgp_err e;
  env_reset(env, 0, x, &e);
  for (int t = 0; t < env->spec.T; t++) {
    if (straight)
      for (int i = 0; i < 2; i++) u[i] = fmax(-0.1, fmin(0.1, env->spec.goal[i] - x[i]));
    else
      env->ops->expert_action(env, t, x, u);
    if (env_step(env, u, x, &rew, &term, &e)) return NAN;
    ret += rew;
  }
  return ret - env_terminal_cost(env, x, NULL);
}

int main(void) {
  sgp_err e = {0};
  sgp_rng rng;
  sgp_rng_stream(&rng, 1, "test");

  /* ---- registry and config */
  CHECK(env_find("point") == &env_point_vt, "point registered");
  CHECK(create_fails("{\"hole\":\"lava\"}", "/hole"), "bad hole value names the field");
  CHECK(create_fails("{\"mud\":0.2}", "/mud"), "unknown key rejected");
  CHECK(create_fails("{\"mud_factor\":2}", "/mud_factor"), "mud_factor range");
  {
    cJSON *j = cJSON_CreateObject();
    sgp_env *env = NULL;
    CHECK(env_create("point", j, "cfg", &env, &e) == 0, "create with {}: %s", e.msg);
    cJSON *h = cJSON_GetObjectItem(j, "hole"), *m = cJSON_GetObjectItem(j, "mud_factor");
    CHECK(h && cJSON_IsString(h) && !strcmp(h->valuestring, "mud"), "default hole inserted: mud");
    CHECK(m && cJSON_IsNumber(m) && m->valuedouble == 0.2, "default mud_factor inserted: 0.2");
    CHECK(env->spec.nx == 2 && env->spec.nu == 2 && env->spec.T == 40, "spec dims");
    CHECK_CLOSE("dt", env->spec.dt, 0.1, 0);
    CHECK(env->spec.substeps * env->spec.timestep == env->spec.dt || fabs(env->spec.substeps * env->spec.timestep - 0.1) < 1e-12, "substeps");
    env_destroy(env);
    cJSON_Delete(j);
  }

  sgp_env *mud = make("{\"hole\":\"mud\",\"mud_factor\":0.2}");
  sgp_env *same = make("{\"hole\":\"same\"}");
  double x0[2];
  CHECK(env_reset(mud, 7, x0, &e) == 0, "reset");
  CHECK(x0[0] == 0.8 && x0[1] == 0.2, "start (0.8, 0.2)");

  /* ---- x' = x + k·u */
  double worst_out = 0, worst_in_mud = 0, worst_in_same = 0;
  for (int k = 0; k < 2000; k++) {
    double x[2], u[2], xn[2], rew;
    int term;
    u[0] = -0.1 + 0.2 * sgp_rng_uniform(&rng);
    u[1] = -0.1 + 0.2 * sgp_rng_uniform(&rng);
    int inside = k & 1;
    do {
      x[0] = -1 + 2 * sgp_rng_uniform(&rng);
      x[1] = -1 + 2 * sgp_rng_uniform(&rng);
    } while (inside ? hypot(x[0], x[1]) > 0.4 - 0.15 : hypot(x[0], x[1]) < 0.4 + 0.15);
    for (int v = 0; v < 2; v++) {
      sgp_env *env = v ? same : mud;
      CHECK(env_set_state(env, x, &e) == 0, "set_state");
      CHECK(env_step(env, u, xn, &rew, &term, &e) == 0, "step: %s", e.msg);
      double k_ = (inside && !v) ? 0.2 : 1.0;
      double err = fmax(fabs(xn[0] - (x[0] + k_ * u[0])), fabs(xn[1] - (x[1] + k_ * u[1])));
      double *w = !inside ? &worst_out : v ? &worst_in_same : &worst_in_mud;
      if (err > *w) *w = err;
      double c = env_cost(env, x, u, NULL, NULL);
      if (fabs(rew + c) > 0) worst_out = 1; /* reward must be exactly −c(x,u) */
    }
  }
  CHECK_WORST("outside the disk: x' = x + u (and reward = -c)", worst_out, 1e-15);
  CHECK_WORST("inside the disk, mud: x' = x + 0.2 u", worst_in_mud, 1e-15);
  CHECK_WORST("inside the disk, same: x' = x + u", worst_in_same, 1e-15);

  /* ---- set_state + step == hand-written MuJoCo sequence on the XML file of the source tree */
  {
    char path[1024], err[1000];
    snprintf(path, sizeof path, "%s/envs/point.xml", tu_source_dir());
    mjModel *m = mj_loadXML(path, NULL, err, sizeof err);
    CHECK(m != NULL, "load %s: %s", path, err);
    if (m) {
      mjData *d = mj_makeData(m);
      double worst = 0;
      for (int k = 0; k < 200; k++) {
        double x[2] = {-1 + 2 * sgp_rng_uniform(&rng), -1 + 2 * sgp_rng_uniform(&rng)};
        double u[2] = {-0.1 + 0.2 * sgp_rng_uniform(&rng), -0.1 + 0.2 * sgp_rng_uniform(&rng)};
        double xn[2], rew;
        int term;
        env_set_state(mud, x, &e);
        env_step(mud, u, xn, &rew, &term, &e);
        mj_resetData(m, d);
        d->qpos[0] = x[0];
        d->qpos[1] = x[1];
        for (int s = 0; s < 10; s++) {
          double kk = d->qpos[0] * d->qpos[0] + d->qpos[1] * d->qpos[1] < 0.16 ? 0.2 : 1.0;
          d->qvel[0] = kk * u[0] / 0.1;
          d->qvel[1] = kk * u[1] / 0.1;
          mj_step(m, d);
        }
        worst = fmax(worst, fmax(fabs(d->qpos[0] - xn[0]), fabs(d->qpos[1] - xn[1])));
      }
      CHECK_WORST("env step vs hand-written mj_step sequence (bitwise)", worst, 0);
      mj_deleteData(d);
      mj_deleteModel(m);
    }
  }

  /* ---- success */
  {
    double g[2] = {-0.8, 0.2}, near[2] = {-0.8 + 0.03, 0.2 + 0.03}, far[2] = {-0.8, 0.26};
    CHECK(env_success(mud, g) && env_success(mud, near) && !env_success(mud, far), "success radius 0.05");
  }

  /* ---- MuJoCo trouble becomes an error value */
  {
    double bad[2] = {1e11, 0}, u[2] = {0, 0}, xn[2], rew;
    int term;
    env_set_state(mud, bad, &e);
    int rc = env_step(mud, u, xn, &rew, &term, &e);
    printf("  bad qpos: rc %d: %s\n", rc, e.msg);
    CHECK(rc == -1 && strstr(e.msg, "point: simulation unstable"), "bad number in qpos -> error value");
    rc = env_mj_step(mud->sim, "point", 3, pre_error, NULL, &e);
    printf("  mju_error: rc %d: %s\n", rc, e.msg);
    CHECK(rc == -1 && strstr(e.msg, "deliberate test error"), "mju_error -> error value");
    /* the instance is usable afterwards */
    double x[2];
    CHECK(env_reset(mud, 0, x, &e) == 0 && env_step(mud, u, xn, &rew, &term, &e) == 0, "usable after error");
    CHECK(env_warnings(mud) == 0, "warnings reset");
  }

  /* ---- the expert of the reference returns (their values: tests/test_env_references.c) */
  {
    double exp_same = episode(same, 0), straight_same = episode(same, 1);
    double exp_mud = episode(mud, 0), straight_mud = episode(mud, 1);
    printf("  expert same %.4f (straight %.4f), expert mud %.4f (straight through the mud %.4f)\n", exp_same,
           straight_same, exp_mud, straight_mud);
    CHECK(exp_same == straight_same, "same: the expert goes straight");
    CHECK(exp_mud > straight_mud, "mud: going around beats going through the mud");
  }

  env_destroy(mud);
  env_destroy(same);
  return tu_done("test_env_point");
}
