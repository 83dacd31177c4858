// ctest-labels: unit viewer
/* The viewer's OpenGL-free half (viewer/view_data.c, compiled in here: the viewer is not part of
 * libsgp): the cartpole pole-tip point against MuJoCo's own tip geom position, the pixels point
 * against the position the image was rendered from (the environments' view_point hooks), the
 * recomputed returns against the rewards of actually stepping the environment (and the terminal
 * cost), the simulator's own rewards and the planner's numbers read from ep<E>_step.npy, a trace
 * grown step by step (the live agent's) equal to the same episode loaded from files, a dataset's
 * episodes against a brute-force split of its flags, every malformed rollout rejected with the
 * file named and the output untouched, the PPM writer's bytes, the head-up note of the
 * variant, and the action arrows (view_action) against where env_step takes the body. */
#include "viewer/view_data.c"

#include "envs/pusher.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sgp_env *make(const char *name, const char *json) {
  cJSON *j = NULL;
  sgp_err e = {0};
  sgp_env *env = NULL;
  if (sgp_json_parse(json, "cfg", &j, &e) || env_create(name, j, "cfg", &env, &e)) {
    fprintf(stderr, "FAIL make(%s, %s): %s\n", name, json, e.msg);
    exit(1);
  }
  cJSON_Delete(j);
  return env;
}

static void write_f64(const char *dir, const char *name, int ndim, const int64_t *shape, const double *v) {
  char *p = sgp_path_join(dir, name);
  sgp_err e;
  if (sgp_npy_write_raw(p, SGP_F64, ndim, shape, v, &e)) fprintf(stderr, "FAIL write %s: %s\n", p, e.msg);
  free(p);
}

static void write_f32(const char *dir, const char *name, int ndim, const int64_t *shape, const double *v,
                      size_t n) {
  float *f = sgp_malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) f[i] = (float)v[i];
  char *p = sgp_path_join(dir, name);
  sgp_err e;
  if (sgp_npy_write_raw(p, SGP_F32, ndim, shape, f, &e)) fprintf(stderr, "FAIL write %s: %s\n", p, e.msg);
  free(p);
  free(f);
}

/* cartpole: the view point (the pole tip, x and z) equals MuJoCo's position of the "tip" geom. */
static void test_cartpole_tip(void) {
  sgp_env *env = make("cartpole", "{}");
  sgp_err e;
  CHECK(view_env_check(env, 1, &e) == 0, "cartpole can be viewed: %s", e.msg);
  const mjModel *m;
  mjData *d;
  env_mj(env, &m, &d);
  int tip = mj_name2id(m, mjOBJ_GEOM, "tip");
  sgp_rng r;
  sgp_rng_seed(&r, 7);
  double worst = 0;
  for (int i = 0; i < 200; i++) {
    double x[4] = {4 * sgp_rng_uniform(&r) - 2, 4 * M_PI * sgp_rng_uniform(&r) - 2 * M_PI, 0, 0}, p[3];
    env_set_state(env, x, &e);
    mj_forward(m, d);
    view_point(env, x, p);
    double ex = fabs(p[0] - d->geom_xpos[3 * tip]), ez = fabs(p[2] - d->geom_xpos[3 * tip + 2]);
    if (ex > worst) worst = ex;
    if (ez > worst) worst = ez;
  }
  CHECK_WORST("cartpole tip point vs MuJoCo geom_xpos (200 states)", worst, 1e-12);
  env_destroy(env);
}

/* pixels: the point of a rendered image is the position it was rendered from; point: (x, y, h). */
static void test_planar(void) {
  sgp_env *px = make("pixels", "{}"), *pt = make("point", "{}");
  const double height = 0.04; /* envs/point.xml: the point body's z */
  double *img = sgp_malloc(sizeof(double) * px->spec.nx), worst = 0;
  for (int i = 0; i < 9; i++)
    for (int j = 0; j < 9; j++) {
      double b[2] = {-1 + 0.25 * i, -1 + 0.25 * j}, p[3], q[3];
      env_box_to_state(px, b, img);
      view_point(px, img, p);
      view_point(pt, b, q);
      double err = fmax(fabs(p[0] - b[0]), fabs(p[1] - b[1]));
      if (err > worst) worst = err;
      CHECK(q[0] == b[0] && q[1] == b[1] && q[2] == height, "point: scene point is (x, y, h)");
    }
  CHECK_WORST("pixels: decoded point vs rendered position (81 positions)", worst, 1e-6);
  img[3] = NAN;
  double p[3];
  view_point(px, img, p);
  CHECK(isnan(p[0]) && isnan(p[1]), "pixels: a non-finite image gives no point");
  free(img);
  env_destroy(px);
  env_destroy(pt);
}

/* A point episode through the mud with fixed actions, saved as a rollout (float64): the loader's
 * returns equal the rewards of stepping the environment; plan and candidate points are the plan
 * states at the path height. */
static void test_rollout_returns(const char *dir) {
  sgp_env *env = make("point", "{\"hole\":\"mud\"}");
  enum { S = 20, H = 4, M = 2 };
  double x[(S + 1) * 2], u[S * 2], plan[S * (H + 1) * 2], cand[S * M * (H + 1) * 2];
  double want[S + 1], ret = 0, rew;
  sgp_err e;
  int term;
  env_reset(env, 0, x, &e);
  for (int t = 0; t < S; t++) {
    want[t] = ret;
    u[2 * t] = -0.1;
    u[2 * t + 1] = 0.13 * cos(0.4 * t); /* out of bounds at times: the env clips, so must we */
    env_step(env, u + 2 * t, x + 2 * (t + 1), &rew, &term, &e);
    ret += rew;
    for (int k = 0; k <= H; k++) {
      plan[(t * (H + 1) + k) * 2] = x[2 * t] - 0.1 * k;
      plan[(t * (H + 1) + k) * 2 + 1] = x[2 * t + 1];
      for (int c = 0; c < M; c++) {
        cand[((t * M + c) * (H + 1) + k) * 2] = x[2 * t] - 0.1 * k;
        cand[((t * M + c) * (H + 1) + k) * 2 + 1] = x[2 * t + 1] + 0.05 * c * k;
      }
    }
  }
  want[S] = ret;
  double want_final = env_terminal_cost(env, x + 2 * S, NULL);
  write_f64(dir, "ep1_x.npy", 2, (int64_t[]){S + 1, 2}, x);
  write_f64(dir, "ep1_u.npy", 2, (int64_t[]){S, 2}, u);
  write_f32(dir, "ep1_plan_x.npy", 3, (int64_t[]){S, H + 1, 2}, plan, sizeof plan / sizeof *plan);
  write_f32(dir, "ep1_cand_x.npy", 4, (int64_t[]){S, M, H + 1, 2}, cand, sizeof cand / sizeof *cand);

  view_rollout r;
  int rc = view_rollout_load(dir, 1, env, &r, &e);
  CHECK(rc == 0, "load a good rollout: %s", rc ? e.msg : "");
  if (rc) {
    env_destroy(env);
    return;
  }
  CHECK(r.steps == S && r.H == H && r.M == M && r.HC == H && r.nx == 2 && r.nu == 2,
        "dimensions: steps %d H %d M %d HC %d", r.steps, r.H, r.M, r.HC);
  double worst = 0;
  for (int t = 0; t <= S; t++) worst = fmax(worst, fabs(r.ret[t] - want[t]));
  CHECK_WORST("returns so far vs the rewards of env_step (21 steps, mud, clipped actions)", worst, 1e-9);
  CHECK_CLOSE("terminal cost of the last state", r.final_cost, want_final, 1e-12);
  worst = 0;
  for (int i = 0; i < S * (H + 1); i++) {
    worst = fmax(worst, fabs(r.plan_p[3 * i] - plan[2 * i]));
    worst = fmax(worst, fabs(r.plan_p[3 * i + 1] - plan[2 * i + 1]));
    worst = fmax(worst, fabs(r.plan_p[3 * i + 2] - 0.04)); /* the point body's z */
  }
  for (int i = 0; i < S * M * (H + 1); i++) worst = fmax(worst, fabs(r.cand_p[3 * i + 1] - cand[2 * i + 1]));
  CHECK_WORST("plan and candidate points vs the plan states (float32 files)", worst, 1e-6);
  worst = 0;
  for (int i = 0; i <= S; i++) worst = fmax(worst, fabs(r.xp[3 * i] - x[2 * i]) + fabs(r.xp[3 * i + 1] - x[2 * i + 1]));
  CHECK_WORST("executed points vs the states", worst, 0);
  view_rollout_free(&r);
  env_destroy(env);
}

/* Every malformed rollout is an error naming the file at fault; *out stays untouched. */
static void expect_reject(const char *dir, int episode, sgp_env *env, const char *file, const char *what) {
  sgp_err e = {0};
  view_rollout r;
  memset(&r, 0xAB, sizeof r);
  view_rollout before = r;
  int rc = view_rollout_load(dir, episode, env, &r, &e);
  char *path = sgp_path_join(dir, file);
  CHECK(rc == -1, "%s: rejected", file);
  CHECK(strstr(e.msg, path) != NULL, "%s: the message names the file: %s", file, e.msg);
  CHECK(strstr(e.msg, what) != NULL, "%s: the message says '%s': %s", file, what, e.msg);
  CHECK(memcmp(&r, &before, sizeof r) == 0, "%s: output untouched", file);
  CHECK(strchr(e.msg, '\n') == NULL, "one line");
  printf("  rejected: %s\n", e.msg);
  free(path);
}

static void test_rejects(const char *dir) {
  sgp_env *pt = make("point", "{}"), *cp = make("cartpole", "{}");
  double v[400] = {0};
  /* ep2: x has nx 3 */
  write_f64(dir, "ep2_x.npy", 2, (int64_t[]){5, 3}, v);
  write_f64(dir, "ep2_u.npy", 2, (int64_t[]){4, 2}, v);
  expect_reject(dir, 2, pt, "ep2_x.npy", "shape (5, 3): expected (steps+1, 2) for point");
  /* ep3: a good point rollout, viewed as cartpole */
  write_f64(dir, "ep3_x.npy", 2, (int64_t[]){5, 2}, v);
  write_f64(dir, "ep3_u.npy", 2, (int64_t[]){4, 2}, v);
  expect_reject(dir, 3, cp, "ep3_x.npy", "for cartpole");
  /* ep4: u has the wrong number of rows; then a missing u */
  write_f64(dir, "ep4_x.npy", 2, (int64_t[]){5, 2}, v);
  write_f64(dir, "ep4_u.npy", 2, (int64_t[]){5, 2}, v);
  expect_reject(dir, 4, pt, "ep4_u.npy", "shape (5, 2): expected (4, 2)");
  write_f64(dir, "ep5_x.npy", 2, (int64_t[]){5, 2}, v);
  expect_reject(dir, 5, pt, "ep5_u.npy", "missing");
  /* ep6: plan with the wrong steps; ep7: candidates with 3 dimensions; ep8: int32 states */
  write_f64(dir, "ep6_x.npy", 2, (int64_t[]){5, 2}, v);
  write_f64(dir, "ep6_u.npy", 2, (int64_t[]){4, 2}, v);
  write_f64(dir, "ep6_plan_x.npy", 3, (int64_t[]){5, 3, 2}, v);
  expect_reject(dir, 6, pt, "ep6_plan_x.npy", "shape (5, 3, 2)");
  write_f64(dir, "ep7_x.npy", 2, (int64_t[]){5, 2}, v);
  write_f64(dir, "ep7_u.npy", 2, (int64_t[]){4, 2}, v);
  write_f64(dir, "ep7_cand_x.npy", 3, (int64_t[]){4, 3, 2}, v);
  expect_reject(dir, 7, pt, "ep7_cand_x.npy", "expected (4, M, H+1, 2)");
  {
    int32_t iv[10] = {0};
    char *p = sgp_path_join(dir, "ep8_x.npy");
    sgp_err e;
    sgp_npy_write_raw(p, SGP_I32, 2, (int64_t[]){5, 2}, iv, &e);
    free(p);
    write_f64(dir, "ep8_u.npy", 2, (int64_t[]){4, 2}, v);
    expect_reject(dir, 8, pt, "ep8_x.npy", "dtype int32");
  }
  /* ep9: a NaN state; ep10: an infinite action */
  double bad[10] = {0};
  bad[7] = NAN;
  write_f64(dir, "ep9_x.npy", 2, (int64_t[]){5, 2}, bad);
  write_f64(dir, "ep9_u.npy", 2, (int64_t[]){4, 2}, v);
  expect_reject(dir, 9, pt, "ep9_x.npy", "non-finite");
  bad[7] = 0;
  bad[3] = INFINITY;
  write_f64(dir, "ep10_x.npy", 2, (int64_t[]){5, 2}, v);
  write_f64(dir, "ep10_u.npy", 2, (int64_t[]){4, 2}, bad);
  expect_reject(dir, 10, pt, "ep10_u.npy", "non-finite");
  /* a truncated file */
  {
    char *p = sgp_path_join(dir, "ep11_x.npy");
    sgp_err e;
    sgp_write_file_atomic(p, "\x93NUMPY\x01\x00\x76\x00{'descr", 18, &e);
    free(p);
    expect_reject(dir, 11, pt, "ep11_x.npy", "ep11_x.npy");
  }
  expect_reject(dir, 12, pt, "ep12_x.npy", "missing");
  /* zero steps is a valid (if dull) rollout: one state, no actions */
  write_f64(dir, "ep13_x.npy", 2, (int64_t[]){1, 2}, v);
  write_f64(dir, "ep13_u.npy", 2, (int64_t[]){0, 2}, v);
  sgp_err e;
  view_rollout r;
  CHECK(view_rollout_load(dir, 13, pt, &r, &e) == 0 && r.steps == 0, "zero steps loads: %s", e.msg);
  if (r.steps == 0) view_rollout_free(&r);
  env_destroy(pt);
  env_destroy(cp);
}


/* ep<E>_step.npy: the rewards are the simulator's (not recomputed) and the planner's numbers per
 * step are read; a trace grown with view_trace_push from the same steps is the same episode. */
static void test_step_file(const char *dir) {
  sgp_env *env = make("point", "{\"hole\":\"mud\"}");
  enum { S = 6, H = 3 };
  double x[(S + 1) * 2], u[S * 2], step[S * 5], timing[S * 2], rew[S];
  float plan[S * (H + 1) * 2];
  sgp_err e;
  int term;
  env_reset(env, 3, x, &e);
  for (int t = 0; t < S; t++) {
    u[2 * t] = -0.1, u[2 * t + 1] = 0.05;
    env_step(env, u + 2 * t, x + 2 * (t + 1), &rew[t], &term, &e);
    double row[5] = {rew[t] + 0.25 /* not the cost's: the file must win */, 10 + t, 9 + t, 1, 0.1 * t};
    memcpy(step + 5 * t, row, sizeof row);
    timing[2 * t] = 3.5 + t, timing[2 * t + 1] = 0.01;
    for (int k = 0; k <= H; k++) {
      plan[(t * (H + 1) + k) * 2] = (float)(x[2 * t] - 0.1 * k);
      plan[(t * (H + 1) + k) * 2 + 1] = (float)x[2 * t + 1];
    }
  }
  write_f64(dir, "ep20_x.npy", 2, (int64_t[]){S + 1, 2}, x);
  write_f64(dir, "ep20_u.npy", 2, (int64_t[]){S, 2}, u);
  write_f64(dir, "ep20_step.npy", 2, (int64_t[]){S, 5}, step);
  write_f64(dir, "ep20_timing.npy", 2, (int64_t[]){S, 2}, timing);
  char *pp = sgp_path_join(dir, "ep20_plan_x.npy");
  sgp_npy_write_raw(pp, SGP_F32, 3, (int64_t[]){S, H + 1, 2}, plan, &e);
  free(pp);
  view_rollout r;
  int rc = view_rollout_load(dir, 20, env, &r, &e);
  CHECK(rc == 0, "a rollout with a step file loads: %s", rc ? e.msg : "");
  if (rc) return;
  double worst = 0, sum = 0;
  for (int t = 0; t < S; t++) {
    sum += rew[t] + 0.25;
    worst = fmax(worst, fabs(r.r[t] - (rew[t] + 0.25)) + fabs(r.ret[t + 1] - sum));
    worst = fmax(worst, fabs(r.obj[t] - (10 + t)) + fabs(r.pcost[t] - (9 + t)) + fabs(r.pen[t] - 1) +
                            fabs(r.dd[t] - 0.1 * t) + fabs(r.plan_ms[t] - (3.5 + t)));
  }
  CHECK(r.rewards_exact && r.has_planner && r.has_dd && r.has_time, "the step file's columns are used");
  CHECK_WORST("rewards, returns and planner numbers vs the step file", worst, 0);

  /* the same episode, pushed step by step as a live agent's */
  view_rollout g;
  view_trace_init(&g, env, 0, 0, 2);
  memcpy(g.x, x, sizeof(double) * 2);
  view_point(env, x, g.xp);
  for (int t = 0; t < S; t++) {
    view_step st = {u + 2 * t, x + 2 * (t + 1), NULL, NULL, rew[t] + 0.25, H, 0, plan + t * (H + 1) * 2, NULL,
                    10 + t, 9 + t, 1, 0.1 * t, 3.5 + t};
    view_trace_push(&g, env, &st);
  }
  worst = 0;
  for (int t = 0; t <= S; t++) {
    for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(g.xp[3 * t + k] - r.xp[3 * t + k]));
    worst = fmax(worst, fabs(g.ret[t] - r.ret[t]));
  }
  for (int i = 0; i < S * (H + 1) * 3; i++) worst = fmax(worst, fabs(g.plan_p[i] - r.plan_p[i]));
  CHECK(g.steps == S && g.H == H && g.cap >= S, "pushed trace: %d steps, H %d (grown past its first capacity)", g.steps, g.H);
  CHECK_WORST("pushed trace vs the loaded one (points, returns, plans)", worst, 1e-15);
  CHECK_CLOSE("terminal cost of the pushed trace", g.final_cost, r.final_cost, 0);
  view_rollout_free(&g);
  view_rollout_free(&r);
  /* a step file of the wrong shape */
  write_f64(dir, "ep21_x.npy", 2, (int64_t[]){S + 1, 2}, x);
  write_f64(dir, "ep21_u.npy", 2, (int64_t[]){S, 2}, u);
  write_f64(dir, "ep21_step.npy", 2, (int64_t[]){S, 4}, step);
  expect_reject(dir, 21, env, "ep21_step.npy", "expected (6, 5)");
  env_destroy(env);
}

/* A dataset's episodes end where terminal or timeout is set: against a brute-force split. */
static void test_dataset_episodes(void) {
  enum { N = 50 };
  float x[N * 2] = {0}, u[N * 2] = {0}, xn[N * 2] = {0}, rw[N];
  uint8_t term[N] = {0}, tmo[N] = {0};
  for (int i = 0; i < N; i++) {
    x[2 * i] = 0.01f * i, xn[2 * i] = 0.01f * i + 0.005f, rw[i] = -(float)i;
    term[i] = i % 13 == 12;
    tmo[i] = i % 7 == 6;
  }
  view_dataset ds = {"data", N, 2, 2, x, u, xn, rw, term, tmo, 0, 0, NULL, NULL, 1};
  int64_t *start;
  int n = view_dataset_episodes(&ds, &start), want = 0, ok = start[0] == 0 && start[n] == N;
  for (int i = 0; i + 1 < N; i++)
    if (term[i] || tmo[i]) ok &= start[++want] == i + 1;
  CHECK(ok && n == want + 1, "%d episodes at the flags (brute force: %d)", n, want + 1);
  sgp_env *env = make("point", "{}");
  view_rollout r;
  view_dataset_trace(&ds, start, 1, env, &r);
  int len = (int)(start[2] - start[1]);
  double sum = 0;
  for (int64_t i = start[1]; i < start[2]; i++) sum += rw[i];
  CHECK(r.steps == len && r.x[2 * len] == xn[2 * (start[2] - 1)] && r.ret[len] == sum,
        "episode 1: %d steps, last state the last x', return the sum of its rewards (%g)", r.steps, r.ret[r.steps]);
  view_rollout_free(&r);
  ds.episodic = 0;
  free(start);
  n = view_dataset_episodes(&ds, &start);
  view_dataset_trace(&ds, start, 0, env, &r);
  CHECK(n == 1 && r.transitions && r.steps == N - 1 && r.xnp[3 * 10] == xn[20], "box data: one range of %d independent transitions", N);
  view_rollout_free(&r);
  free(start);
  env_destroy(env);
}

static void test_ppm(void) {
  const unsigned char rgb[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; /* 2x2, rows bottom-up */
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  int rc = view_ppm_write(f, 2, 2, rgb, 1);
  fclose(f);
  const char want[] = "P6\n2 2\n255\n\x07\x08\x09\x0a\x0b\x0c\x01\x02\x03\x04\x05\x06";
  CHECK(rc == 0 && n == sizeof want - 1 && memcmp(buf, want, n) == 0, "PPM bytes, rows flipped to top-down");
  free(buf);
  f = open_memstream(&buf, &n);
  view_ppm_write(f, 2, 2, rgb, 0);
  fclose(f);
  CHECK(n == 23 && memcmp(buf + 11, rgb, 12) == 0, "PPM bytes, rows as given");
  free(buf);
}

/* The head-up note comes from the instance (its resolved variant). */
static void test_note(void) {
  char note[256];
  sgp_env *env = make("point", "{}");
  env_hud_note(env, note, sizeof note);
  CHECK(strstr(note, "MUD") && strstr(note, "0.2x"), "point default (mud 0.2): %s", note);
  env_destroy(env);
  env = make("pixels", "{\"hole\":\"mud\",\"mud_factor\":0.5}");
  env_hud_note(env, note, sizeof note);
  CHECK(strstr(note, "MUD") && strstr(note, "0.5x"), "pixels mud 0.5: %s", note);
  env_destroy(env);
  env = make("point", "{\"hole\":\"same\"}");
  env_hud_note(env, note, sizeof note);
  CHECK(!strstr(note, "MUD") && strstr(note, "same"), "point same: %s", note);
  env_destroy(env);
}

/* The action display (view_action): the arrow of a step starts at the body it moves and ends where
 * env_step takes it (point: x' = x + u outside the mud; pusher: the servoed pusher's centre after a
 * step away from the box, within 0.1 mm); an action beyond the bounds is drawn clipped as env_step
 * clips it; cartpole has no hook (-1: the viewer draws its actuator). */
static void test_action_arrows(void) {
  struct { const char *env, *cfg; double u[2]; int at; double tol; } cases[] = {
      {"point", "{\"hole\":\"same\"}", {0.3, -0.7}, 0, 1e-12},  /* u[1] beyond the bound */
      {"pusher", "{}", {-0.09, 0.02}, 2 * PUSHER_NK, 1e-4},        /* u[0] beyond the ±0.05 clip */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    sgp_env *env = make(cases[c].env, cases[c].cfg);
    int nx = env->spec.nx, at = cases[c].at;
    double *x = sgp_calloc((size_t)nx, sizeof(double)), *xn = sgp_calloc((size_t)nx, sizeof(double)), r;
    int term;
    sgp_err e;
    env_reset(env, 5, x, &e);
    env_arrow a[4];
    int n = env_view_action(env, x, cases[c].u, a, 4);
    int rc = env_step(env, cases[c].u, xn, &r, &term, &e);
    double worst = 0, uc[2];
    for (int i = 0; i < 2; i++) {
      uc[i] = fmin(fmax(cases[c].u[i], env->spec.u_lo[i]), env->spec.u_hi[i]);
      worst = fmax(worst, fabs(a[0].from[i] - x[at + i]) + fabs(a[0].to[i] - a[0].from[i] - uc[i]));
    }
    CHECK(n == 1 && rc == 0 && a[0].from[2] == a[0].to[2], "%s: one level arrow for the step", cases[c].env);
    CHECK(uc[0] != cases[c].u[0] || uc[1] != cases[c].u[1], "%s: the action is one that gets clipped", cases[c].env);
    CHECK_WORST(cases[c].env, worst, 1e-15);
    double miss = hypot(a[0].to[0] - xn[at], a[0].to[1] - xn[at + 1]);
    CHECK_WORST("the arrow ends where env_step took the body", miss, cases[c].tol);
    free(x), free(xn);
    env_destroy(env);
  }
  sgp_env *cp = make("cartpole", "{}");
  double x[4] = {0}, u[1] = {10};
  env_arrow a[1];
  CHECK(env_view_action(cp, x, u, a, 1) == -1, "cartpole: no view_action hook (the viewer draws its actuator)");
  env_destroy(cp);
}

int main(void) {
  char *dir = tu_tmpdir("viewer");
  test_cartpole_tip();
  test_planar();
  test_rollout_returns(dir);
  test_rejects(dir);
  test_step_file(dir);
  test_dataset_episodes();
  test_ppm();
  test_note();
  test_action_arrows();
  tu_rmtree(dir);
  free(dir);
  return tu_done("test_viewer_data");
}
