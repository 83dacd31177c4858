// ctest-labels: unit envs
/* pixels: the image of a state peaks at the pixel containing it; the soft-argmax inverts the
 * calibrated rendering of states and actions; the soft-argmax Jacobian matches central
 * differences; stepping an image equals rendering the point's step (also with image actions);
 * config errors. The cost gradients w.r.t. the images and the float batch costs are checked by
 * tests/test_env_conformance.c (with image actions and R = 16 too). */
#include "envs/env_private.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sgp_env *make(const char *json) {
  cJSON *j = NULL;
  sgp_err e = {0};
  sgp_env *env = NULL;
  if (sgp_json_parse(json, "cfg", &j, &e) || env_create("pixels", j, "cfg", &env, &e)) {
    fprintf(stderr, "FAIL make(%s): %s\n", json, e.msg);
    exit(1);
  }
  cJSON_Delete(j);
  return env;
}

int main(void) {
  sgp_err e = {0};
  sgp_rng rng;
  sgp_rng_stream(&rng, 3, "test");

  /* ---- defaults and config errors */
  {
    cJSON *j = cJSON_CreateObject();
    sgp_env *env = NULL;
    CHECK(env_create("pixels", j, "px.json", &env, &e) == 0, "create {}: %s", e.msg);
    char *txt = cJSON_PrintUnformatted(j);
    printf("  resolved config: %s\n", txt);
    free(txt);
    CHECK(env->spec.nx == 64 && env->spec.nu == 2, "default resolution 8, displacement actions");
    CHECK(cJSON_GetObjectItem(j, "resolution") && cJSON_GetObjectItem(j, "hole"), "defaults inserted");
    env_destroy(env);
    cJSON_Delete(j);
    const char *bad[] = {"{\"resolution\":64}", "{\"colour\":1}", "{\"temperature\":0}", "{\"hole\":\"x\"}"};
    const char *field[] = {"/resolution", "/colour", "/temperature", "/hole"};
    for (int i = 0; i < 4; i++) {
      sgp_json_parse(bad[i], "px.json", &j, &e);
      int rc = env_create("pixels", j, "px.json", &env, &e);
      printf("  rejected %s: %s\n", bad[i], rc ? e.msg : "(accepted)");
      CHECK(rc == -1 && strstr(e.msg, field[i]), "error names %s", field[i]);
      if (!rc) env_destroy(env);
      cJSON_Delete(j);
    }
  }

  const int Rs[3] = {8, 16, 32};
  for (int ri = 0; ri < 3; ri++) {
    int R = Rs[ri], n = R * R;
    char cfg[128];
    snprintf(cfg, sizeof cfg, "{\"resolution\":%d,\"image_action\":true}", R);
    sgp_env *env = make(cfg);
    CHECK(env->spec.nx == n && env->spec.nu == n, "R=%d dims", R);
    double *img = malloc(sizeof(double) * n), *img2 = malloc(sizeof(double) * n), *gx = malloc(sizeof(double) * n),
           *gu = malloc(sizeof(double) * n), *uimg = malloc(sizeof(double) * n);
    float *fimg = malloc(sizeof(float) * n);
    double pix = 2.8 / R; /* the image spans [-1.4, 1.4]^2 */

    /* the image peaks at the right pixel */
    int peak_ok = 1;
    for (int k = 0; k < 200; k++) {
      int r = (int)sgp_rng_below(&rng, R), c = (int)sgp_rng_below(&rng, R);
      double p[2] = {-1.4 + (c + 0.5) * pix + (sgp_rng_uniform(&rng) - 0.5) * 0.6 * pix,
                     1.4 - (r + 0.5) * pix + (sgp_rng_uniform(&rng) - 0.5) * 0.6 * pix};
      if (fabs(p[0]) > 1 || fabs(p[1]) > 1) continue;
      env_box_to_state(env, p, img);
      int best = 0;
      for (int i = 1; i < n; i++)
        if (img[i] > img[best]) best = i;
      peak_ok &= best == r * R + c;
    }
    CHECK(peak_ok, "R=%d: the image of a state peaks at the pixel containing it", R);

    /* soft-argmax inverts the rendering, states over the box and actions over their bounds */
    double worst_s = 0, worst_a = 0;
    for (int k = 0; k < 300; k++) {
      double p[2] = {-1.15 + 2.3 * sgp_rng_uniform(&rng), -1.15 + 2.3 * sgp_rng_uniform(&rng)}, q[2];
      double a[2] = {-0.1 + 0.2 * sgp_rng_uniform(&rng), -0.1 + 0.2 * sgp_rng_uniform(&rng)}, b[2];
      env_box_to_state(env, p, img);
      env_state_to_box(env, img, q);
      worst_s = fmax(worst_s, fmax(fabs(q[0] - p[0]), fabs(q[1] - p[1])));
      env_box_to_action(env, a, uimg);
      env_action_to_box(env, uimg, b);
      worst_a = fmax(worst_a, fmax(fabs(b[0] - a[0]), fabs(b[1] - a[1])));
    }
    printf("  R=%d:\n", R);
    CHECK_WORST("soft-argmax(render(x)) - x over [-1.15,1.15]^2", worst_s, 2e-7);
    CHECK_WORST("soft-argmax(render_action(u)) - u over [-0.1,0.1]^2", worst_a, 2e-8);

    /* the soft-argmax Jacobian against central differences (double) */
    {
      double p[2] = {0.3, -0.55}, pp[2], pm[2], *J = malloc(sizeof(double) * 2 * n);
      env_render_dot(R, 1.4, 2 * pix, 0.1, 1, p, fimg);
      for (int i = 0; i < n; i++) fimg[i] = fimg[i] + 0.05f * (float)sgp_rng_normal(&rng); /* generic image */
      double base[2];
      env_softargmax(R, 1.4, 0.1, fimg, base, J);
      double worst = 0;
      for (int i = 0; i < n; i++) {
        float keep = fimg[i], h = 1.0f / 1024; /* exact in float */
        fimg[i] = keep + h;
        env_softargmax(R, 1.4, 0.1, fimg, pp, NULL);
        fimg[i] = keep - h;
        env_softargmax(R, 1.4, 0.1, fimg, pm, NULL);
        fimg[i] = keep;
        for (int d = 0; d < 2; d++) worst = fmax(worst, fabs((pp[d] - pm[d]) / (2 * h) - J[d * n + i]));
      }
      CHECK_WORST("soft-argmax Jacobian vs central differences (abs)", worst, 1e-4);
      free(J);
    }

    /* stepping an image = rendering the point's step; reward = the point's */
    {
      sgp_env *pt = NULL;
      env_create("point", NULL, "cfg", &pt, &e);
      double worst = 0, wr = 0;
      for (int k = 0; k < 50; k++) {
        double p[2] = {-1 + 2 * sgp_rng_uniform(&rng), -1 + 2 * sgp_rng_uniform(&rng)};
        double a[2] = {-0.1 + 0.2 * sgp_rng_uniform(&rng), -0.1 + 0.2 * sgp_rng_uniform(&rng)};
        double pn[2], rp = 0, rx = 0, q[2], back[2], dec[2];
        int term;
        env_box_to_state(env, p, img);
        env_box_to_action(env, a, uimg);
        CHECK(env_set_state(env, img, &e) == 0 && env_step(env, uimg, img2, &rx, &term, &e) == 0, "step: %s", e.msg);
        env_state_to_box(env, img, back);
        env_action_to_box(env, uimg, dec);
        env_set_state(pt, back, &e);
        env_step(pt, dec, pn, &rp, &term, &e);
        env_state_to_box(env, img2, q);
        worst = fmax(worst, fmax(fabs(q[0] - pn[0]), fabs(q[1] - pn[1])));
        wr = fmax(wr, fabs(rx - rp));
      }
      CHECK_WORST("decode(step(image)) vs point step of the decoded state and action", worst, 1e-6);
      CHECK_WORST("reward vs the point's", wr, 1e-12);
      env_destroy(pt);
    }
    /* beyond the calibrated range the dot stays at the border */
    {
      double far[2] = {1.6, -3.0}, q[2];
      env_box_to_state(env, far, img);
      env_state_to_box(env, img, q);
      CHECK(fabs(q[0] - 1.15) < 1e-6 && fabs(q[1] + 1.15) < 1e-6, "R=%d: positions clamped to 1.15: %g %g", R, q[0], q[1]);
    }
    /* success on images */
    {
      double g[2] = {-0.8, 0.2}, f[2] = {-0.8, 0.3};
      env_box_to_state(env, g, img);
      int s1 = env_success(env, img);
      env_box_to_state(env, f, img);
      CHECK(s1 && !env_success(env, img), "success on the decoded image");
    }
    free(img), free(img2), free(gx), free(gu), free(uimg), free(fimg);
    env_destroy(env);
  }

  /* displacement actions (default): the point's action cost and bounds */
  {
    sgp_env *env = make("{}");
    CHECK(env->spec.u_lo[0] == -0.1 && env->spec.u_hi[1] == 0.1, "displacement bounds");
    double x0[64], x1[64], u[2] = {-0.1, 0.0}, r, p[2];
    int term;
    env_reset(env, 0, x0, &e);
    env_step(env, u, x1, &r, &term, &e);
    env_state_to_box(env, x1, p);
    CHECK_CLOSE("start (0.8,0.2) moved by (-0.1, 0): x", p[0], 0.7, 1e-6);
    CHECK_CLOSE("y", p[1], 0.2, 1e-6);
    env_destroy(env);
  }
  return tu_done("test_env_pixels");
}
