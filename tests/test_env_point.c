// ctest-labels: unit envs
/* point: moves by exactly u (by mud_factor·u inside the disk for "mud"); env stepping equals a
 * hand-written MuJoCo call sequence on envs/point.xml loaded from the source tree; deterministic
 * stepping; costs against central finite differences (double) and the float batch versions
 * against the double ones; MuJoCo errors and bad numbers become error values; config errors name
 * the field; the reference returns match a recomputation. */
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

/* Reference return of one episode: Σ −c(x_t,u_t) − c_T(x_T) with the policy chosen by `mode`:
 * 0 uniform random, 1 straight to the goal, 2 around the disk along its tangent. */
static double episode(sgp_env *env, int mode, sgp_rng *r) {
  double x[2], u[2], ret = 0, rew;
  int term;
  sgp_err e;
  env_reset(env, 0, x, &e);
  const double *g = env->spec.goal;
  for (int t = 0; t < env->spec.T; t++) {
    double tgt[2] = {g[0], g[1]};
    if (mode == 2) {
      /* aim at the upper tangent point of the circle of radius 0.45 while the segment to the
       * goal crosses it */
      double rho = 0.45, dx = g[0] - x[0], dy = g[1] - x[1], L2 = dx * dx + dy * dy;
      double s = L2 > 0 ? -(x[0] * dx + x[1] * dy) / L2 : 0;
      s = s < 0 ? 0 : s > 1 ? 1 : s;
      double cx = x[0] + s * dx, cy = x[1] + s * dy, nx = hypot(x[0], x[1]);
      if (hypot(cx, cy) < rho && nx > rho) {
        double a = atan2(x[1], x[0]), b = acos(rho / nx);
        double t1[2] = {rho * cos(a + b), rho * sin(a + b)}, t2[2] = {rho * cos(a - b), rho * sin(a - b)};
        const double *tp = t1[1] > t2[1] ? t1 : t2;
        /* continue past the tangent point along the tangent so the step is full length */
        double vx = tp[0] - x[0], vy = tp[1] - x[1], vn = hypot(vx, vy);
        tgt[0] = x[0] + vx / vn * 0.2;
        tgt[1] = x[1] + vy / vn * 0.2;
      }
    }
    for (int i = 0; i < 2; i++) {
      u[i] = mode == 0 ? -0.1 + 0.2 * sgp_rng_uniform(r) : tgt[i] - x[i];
      if (u[i] > 0.1) u[i] = 0.1;
      if (u[i] < -0.1) u[i] = -0.1;
    }
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

  /* ---- deterministic stepping */
  {
    sgp_env *a = make("{}"), *b = make("{}");
    double xa[2], xb[2], ra, rb;
    int ta, tb, same_bits = 1;
    env_reset(a, 3, xa, &e);
    env_reset(b, 3, xb, &e);
    sgp_rng r2;
    sgp_rng_stream(&r2, 5, "actions");
    for (int t = 0; t < 40; t++) {
      double u[2] = {-0.1 + 0.2 * sgp_rng_uniform(&r2), -0.1 + 0.2 * sgp_rng_uniform(&r2)};
      env_step(a, u, xa, &ra, &ta, &e);
      env_step(b, u, xb, &rb, &tb, &e);
      same_bits &= !memcmp(xa, xb, sizeof xa) && ra == rb;
    }
    CHECK(same_bits, "two instances step identically");
    env_destroy(a);
    env_destroy(b);
  }

  /* ---- gradients: central finite differences in double; float batch against double */
  {
    double worst_g = 0, worst_b = 0, worst_bg = 0;
    for (int k = 0; k < 50; k++) {
      double x[2] = {-1 + 2 * sgp_rng_uniform(&rng), -1 + 2 * sgp_rng_uniform(&rng)};
      double u[2] = {-0.1 + 0.2 * sgp_rng_uniform(&rng), -0.1 + 0.2 * sgp_rng_uniform(&rng)};
      double gx[2], gu[2], gT[2], h = 1e-4; /* quadratic: no truncation error */
      env_cost(mud, x, u, gx, gu);
      env_terminal_cost(mud, x, gT);
      for (int i = 0; i < 2; i++) {
        double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]}, up[2] = {u[0], u[1]}, um[2] = {u[0], u[1]};
        xp[i] += h;
        xm[i] -= h;
        up[i] += h;
        um[i] -= h;
        double fx = (env_cost(mud, xp, u, NULL, NULL) - env_cost(mud, xm, u, NULL, NULL)) / (2 * h);
        double fu = (env_cost(mud, x, up, NULL, NULL) - env_cost(mud, x, um, NULL, NULL)) / (2 * h);
        double fT = (env_terminal_cost(mud, xp, NULL) - env_terminal_cost(mud, xm, NULL)) / (2 * h);
        worst_g = fmax(worst_g, fmax(tu_relerr(fx, gx[i], 1e-3), fmax(tu_relerr(fu, gu[i], 1e-3), tu_relerr(fT, gT[i], 1e-3))));
      }
      float xf[2] = {(float)x[0], (float)x[1]}, uf[2] = {(float)u[0], (float)u[1]}, c, cT, gxf[2], guf[2], gTf[2];
      double xd[2] = {xf[0], xf[1]}, ud[2] = {uf[0], uf[1]};
      double cd = env_cost(mud, xd, ud, gx, gu), cTd = env_terminal_cost(mud, xd, gT);
      env_cost_batch(mud, 1, xf, uf, &c, gxf, guf);
      env_terminal_cost_batch(mud, 1, xf, &cT, gTf);
      worst_b = fmax(worst_b, fmax(tu_relerr(c, cd, 1e-3), tu_relerr(cT, cTd, 1e-3)));
      for (int i = 0; i < 2; i++)
        /* float rounding is relative to the operands (|x| ~ 1), hence floor 1 */
        worst_bg = fmax(worst_bg, fmax(tu_relerr(gxf[i], gx[i], 1.0),
                                       fmax(tu_relerr(guf[i], gu[i], 1.0), tu_relerr(gTf[i], gT[i], 1.0))));
    }
    CHECK_WORST("cost gradients vs central differences (rel)", worst_g, 1e-7);
    CHECK_WORST("float batch cost vs double (rel)", worst_b, 1e-6);
    CHECK_WORST("float batch gradients vs double (rel)", worst_bg, 1e-6);
    /* batch of several rows with NULL gradients */
    float xb[6] = {0.1f, 0.2f, -0.5f, 0.3f, 0.9f, -0.9f}, ub[6] = {0.05f, 0, 0, -0.1f, 0.1f, 0.1f}, cb[3];
    env_cost_batch(mud, 3, xb, ub, cb, NULL, NULL);
    double worst_rows = 0;
    for (int b = 0; b < 3; b++) {
      double xd[2] = {xb[2 * b], xb[2 * b + 1]}, ud[2] = {ub[2 * b], ub[2 * b + 1]};
      worst_rows = fmax(worst_rows, tu_relerr(cb[b], env_cost(mud, xd, ud, NULL, NULL), 1e-3));
    }
    CHECK_WORST("batch rows (rel)", worst_rows, 1e-6);
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
    double nanu[2] = {NAN, 0};
    CHECK(env_step(mud, nanu, xn, &rew, &term, &e) == -1, "NaN action rejected");
  }

  /* ---- reference returns */
  {
    sgp_rng r3;
    sgp_rng_stream(&r3, 0, "reference");
    double sr = 0, srs = 0;
    int n = 1000;
    sgp_rng r4 = r3;
    for (int i = 0; i < n; i++) sr += episode(mud, 0, &r3);
    for (int i = 0; i < n; i++) srs += episode(same, 0, &r4);
    double exp_same = episode(same, 1, &r3), exp_mud = episode(mud, 2, &r3);
    double straight_mud = episode(mud, 1, &r3);
    printf("  random mud %.4f, random same %.4f, expert same %.4f, expert mud %.4f (straight through the mud %.4f)\n", sr / n, srs / n,
           exp_same, exp_mud, straight_mud);
    CHECK(mud->spec.has_ref && same->spec.has_ref, "references defined");
    CHECK_CLOSE("ref_random mud (mean of 1000 seeded episodes)", mud->spec.ref_random, sr / n, 0.01);
    CHECK_CLOSE("ref_random same (mean of 1000 seeded episodes)", same->spec.ref_random, srs / n, 0.01);
    CHECK_CLOSE("ref_expert same", same->spec.ref_expert, exp_same, 0.01);
    CHECK_CLOSE("ref_expert mud", mud->spec.ref_expert, exp_mud, 0.01);
    CHECK(exp_mud > straight_mud, "going around beats going through the mud");
  }

  env_destroy(mud);
  env_destroy(same);
  return tu_done("test_env_point");
}
