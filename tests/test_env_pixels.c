// ctest-labels: unit envs
/* pixels: the image of a state peaks at the pixel containing it; the soft-argmax inverts the
 * calibrated rendering of states and actions; the soft-argmax Jacobian matches central
 * differences; stepping an image equals rendering the point's step (also with image actions);
 * config errors. The cost gradients w.r.t. the images and the float batch costs are checked by
 * tests/test_env_conformance.c (with image actions and R = 16 too); here the batch costs, terminal
 * costs and their gradients equal, bit for bit, the one-row soft-argmax loop written out below
 * (the rows-in-lanes kernel keeps each row's order of operations), for B = 1..17 and 40 rows,
 * R = 4, 7 and 32, images of ordinary, huge (weights underflowing to 0), constant and negative
 * intensities. */
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

/* The one-row float soft-argmax cost, with the chain rule into gimg: the reference for the batch. */
static double centre_of(int R, double E, int k) { return -E + (k + 0.5) * 2.0 * E / R; }
static float ref_row(int R, double E, float tau, const float *img, double (*f)(const double *, double *),
                     float *gimg) {
  int n = R * R;
  float w[1024], mx = -INFINITY;
  for (int i = 0; i < n; i++)
    if (img[i] > mx) mx = img[i];
  double z = 0, sx = 0, sy = 0;
  for (int i = 0; i < n; i++) {
    w[i] = expf((img[i] - mx) / tau);
    z += w[i];
  }
  float inv = (float)(1.0 / z);
  for (int r = 0; r < R; r++)
    for (int c = 0; c < R; c++) {
      int i = r * R + c;
      w[i] *= inv;
      sx += w[i] * centre_of(R, E, c);
      sy -= w[i] * centre_of(R, E, r);
    }
  float px = (float)sx, py = (float)sy;
  double pos[2] = {sx, sy}, gp[2];
  float cost = (float)f(pos, gp);
  float g0 = (float)gp[0] / tau, g1 = (float)gp[1] / tau;
  for (int r = 0; r < R; r++)
    for (int c = 0; c < R; c++) {
      int i = r * R + c;
      gimg[i] = w[i] * (g0 * ((float)centre_of(R, E, c) - px) + g1 * (-(float)centre_of(R, E, r) - py));
    }
  return cost;
}

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

/* env's cost_batch and terminal_cost_batch against ref_row on B rows; returns the rows that differ */
static int batch_vs_rows(sgp_env *env, int R, int image_action, int B, sgp_rng *r, int kind) {
  int n = R * R, nu = image_action ? n : 2, bad = 0;
  float *x = malloc(sizeof(float) * B * n), *u = malloc(sizeof(float) * B * nu);
  float *c = malloc(sizeof(float) * B), *gx = malloc(sizeof(float) * B * n), *gu = malloc(sizeof(float) * B * nu);
  float *tc = malloc(sizeof(float) * B), *tg = malloc(sizeof(float) * B * n), *g1 = malloc(sizeof(float) * n);
  for (int i = 0; i < B * n; i++) /* kind 0: ordinary; 1: huge range; 2: constant rows; 3: negative */
    x[i] = kind == 0 ? (float)sgp_rng_uniform(r) : kind == 1 ? (float)(40 * sgp_rng_normal(r))
         : kind == 2 ? 0.25f : (float)(-3 - sgp_rng_uniform(r));
  for (int i = 0; i < B * nu; i++) u[i] = image_action ? (float)(1.5 * sgp_rng_uniform(r) - 0.25) : (float)(0.2 * sgp_rng_normal(r));
  env_cost_batch(env, B, x, u, c, gx, gu);
  env_terminal_cost_batch(env, B, x, tc, tg);
  float *c2 = malloc(sizeof(float) * B);
  env_cost_batch(env, B, x, u, c2, NULL, NULL); /* without gradients: the same costs */
  for (int b = 0; b < B; b++) {
    float want = ref_row(R, 1.4, 0.1f, x + (size_t)b * n, env_point_pos_cost, g1);
    int ok = same_bits(gx + (size_t)b * n, g1, (size_t)n);
    if (image_action) {
      float *ga = malloc(sizeof(float) * nu);
      want += ref_row(R, 0.15, 0.1f, u + (size_t)b * nu, env_point_act_cost, ga);
      ok &= same_bits(gu + (size_t)b * nu, ga, (size_t)nu);
      free(ga);
    } else {
      double ub[2] = {u[2 * b], u[2 * b + 1]}, g[2];
      want += (float)env_point_act_cost(ub, g);
      float gf[2] = {(float)g[0], (float)g[1]};
      ok &= same_bits(gu + 2 * b, gf, 2);
    }
    ok &= same_bits(c + b, &want, 1);
    ok &= same_bits(c2 + b, c + b, 1) || (isnan(c[b]) && isnan(c2[b]));
    float wt = ref_row(R, 1.4, 0.1f, x + (size_t)b * n, env_point_pos_terminal, g1);
    ok &= same_bits(tc + b, &wt, 1) && same_bits(tg + (size_t)b * n, g1, (size_t)n);
    bad += !ok;
  }
  free(x), free(u), free(c), free(c2), free(gx), free(gu), free(tc), free(tg), free(g1);
  return bad;
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

  /* the batch costs against the one-row loop, bit for bit */
  {
    const int Rs[] = {4, 7, 32}, Bs[] = {1, 2, 3, 7, 8, 9, 16, 17, 40};
    int bad = 0, rows = 0;
    for (int ri = 0; ri < 3; ri++)
      for (int ia = 0; ia < 2; ia++) {
        char cfg[96];
        snprintf(cfg, sizeof cfg, "{\"resolution\":%d,\"image_action\":%s}", Rs[ri], ia ? "true" : "false");
        sgp_env *env = make(cfg);
        for (int bi = 0; bi < 9; bi++)
          for (int kind = 0; kind < 4; kind++) {
            bad += batch_vs_rows(env, Rs[ri], ia, Bs[bi], &rng, kind);
            rows += Bs[bi];
          }
        env_destroy(env);
      }
    printf("batch cost vs the one-row loop: %d of %d rows differ\n", bad, rows);
    CHECK(bad == 0, "%d of %d batch rows differ from the one-row soft-argmax", bad, rows);
  }
  return tu_done("test_env_pixels");
}
