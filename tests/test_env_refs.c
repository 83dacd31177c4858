// ctest-labels: slow envs
/* Reference returns of the environments without a scripted expert in their own unit test
 * (cartpole): the random reference recomputed exactly as documented in envs/cartpole.c (1000
 * seeded episodes of uniform random forces, stream "reference", seed 0), and the expert reference
 * by replaying the stored action sequence found by the oracle planner
 * (bench/runs/cartpole_expert.json; its 60 actions, float32 as `sgp eval --save-rollout` wrote them).
 * The normalised score 100·(R − R_random)/(R_expert − R_random) of every cart-pole result depends
 * on these two numbers. About 5 s (Release). */
#include "envs/env.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>

static const float expert_u[60] = {
    28.2095661f, 47.5542336f, 17.5385036f, 32.5666656f, 26.670269f, 41.9823151f,
    -19.4743385f, -6.89505816f, -45.8019943f, -12.1708574f, -32.3375969f, -54.7009506f,
    -36.2472534f, -40.4632492f, -64.9946136f, -41.65271f, -11.2613382f, -33.9258232f,
    4.09127617f, -0.705177724f, 13.4532871f, -40.2675323f, 42.0170097f, 24.4075832f,
    9.09300518f, 18.5202847f, 48.1787148f, 49.1071053f, 48.9761887f, 51.8148994f,
    54.0566368f, 11.7696676f, -4.09337091f, 4.13740921f, 11.5865936f, 17.3250217f,
    -5.89173794f, 21.8769779f, -16.6976509f, 39.9556084f, -6.19398499f, -0.140590534f,
    -32.977623f, -58.4860001f, -51.8609962f, -63.7949181f, -68.2117233f, -30.7780056f,
    8.0850544f, -3.40734696f, -4.57646894f, 43.2460136f, -27.4766006f, 20.3687f,
    22.5217762f, 39.4956055f, 9.63633919f, -27.6434345f, -9.85278893f, -11.5911884f,
};

int main(void) {
  sgp_err e;
  sgp_env *env = NULL;
  cJSON *cfg = cJSON_CreateObject();
  CHECK(env_create("cartpole", cfg, "cartpole", &env, &e) == 0, "create cartpole: %s", e.msg);
  cJSON_Delete(cfg);
  if (!env) return tu_done("test_env_refs");
  CHECK(env->spec.has_ref, "cartpole has reference returns");

  /* random: mean of 1000 seeded uniform-random episodes */
  sgp_rng r;
  sgp_rng_stream(&r, 0, "reference");
  double sum = 0;
  int n = 1000, bad = 0;
  for (int i = 0; i < n; i++) {
    double x[4], u[1], rew, ret = 0;
    int term;
    env_reset(env, 0, x, &e);
    for (int t = 0; t < env->spec.T; t++) {
      u[0] = -80 + 160 * sgp_rng_uniform(&r);
      if (env_step(env, u, x, &rew, &term, &e)) bad++;
      ret += rew;
    }
    sum += ret - env_terminal_cost(env, x, NULL);
  }
  CHECK(bad == 0, "random episodes ran without simulator errors (%d failed steps)", bad);
  printf("  random: mean of %d episodes %.4f (stored %.4f)\n", n, sum / n, env->spec.ref_random);
  CHECK_CLOSE("ref_random (mean of 1000 seeded episodes)", env->spec.ref_random, sum / n, 1e-3);

  /* expert: replay the oracle's open-loop plan */
  {
    double x[4], u[1], rew, ret = 0;
    int term;
    env_reset(env, 0, x, &e);
    for (int t = 0; t < env->spec.T; t++) {
      u[0] = expert_u[t];
      CHECK(env_step(env, u, x, &rew, &term, &e) == 0, "expert step %d: %s", t, e.msg);
      ret += rew;
    }
    double cT = env_terminal_cost(env, x, NULL);
    ret -= cT;
    printf("  expert: return %.6f (stored %.6f), final cost %.4f, success %d\n", ret,
           env->spec.ref_expert, cT, env_success(env, x));
    CHECK_CLOSE("ref_expert (replayed oracle plan)", env->spec.ref_expert, ret, 1e-5);
    CHECK(env_success(env, x), "the expert swing-up succeeds");
    CHECK(env->spec.ref_expert > -M_PI * M_PI, "the expert beats doing nothing (-pi^2)");
  }
  env_destroy(env);

  /* the references are for the fixed start only */
  cfg = cJSON_Parse("{\"init_noise\": 0.1}");
  CHECK(env_create("cartpole", cfg, "cartpole", &env, &e) == 0, "create noisy cartpole: %s", e.msg);
  cJSON_Delete(cfg);
  if (env) {
    CHECK(!env->spec.has_ref, "no references with init_noise > 0");
    env_destroy(env);
  }
  return tu_done("test_env_refs");
}
