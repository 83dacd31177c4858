// ctest-labels: unit envs
/* The pusher environment's own checks (tests/test_env_conformance.c covers the contract):
 *   - the box does not move without contact, and moves in the pushing direction with contact
 *     (straight and rotated box);
 *   - the keypoints equal the box pose transformed by hand, from MuJoCo's own geom frame;
 *   - the rigid fit (env_pusher_fit) against a brute-force fit written here: 0 for rigid
 *     placements, the known value (s − 1)·sqrt(Σ‖q_k‖²/5) for a box scaled by s, equal to the brute
 *     force on random perturbations;
 *   - set_state moves a pusher that overlaps the box out of it;
 *   - a scripted push sequence (policy "push_script") gives the same final pose for a seed;
 *   - an "episodes" collection with "exclude" keeps no step that touches the disk, stores qpos/qvel;
 *   - the metrics of the description (rigidity of a plan, final pose errors) against values
 *     computed here (brute-force fit, known scalings, known pose offsets). */
#include "datasets/dataset.h"
#include "envs/pusher.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define A (0.0867 / 2) /* the box's half footprint, from the issue */
#define B (0.1703 / 2)
static const double Q[5][2] = {{A, B}, {-A, B}, {-A, -B}, {A, -B}, {0, 0}}; /* keypoints, box frame */

static sgp_env *make(void) {
  sgp_err e = {{0}};
  sgp_env *env = NULL;
  CHECK(env_create("pusher", NULL, "cfg", &env, &e) == 0, "create: %s", e.msg);
  return env;
}

/* The box pose from keypoints, the test's own way: centre = mean of the corners, angle of the
 * corner-average direction of the box's +x axis ((k0 + k3)/2 − centre). */
static void pose_of(const double *x, double *c, double *th) {
  c[0] = (x[0] + x[2] + x[4] + x[6]) / 4;
  c[1] = (x[1] + x[3] + x[5] + x[7]) / 4;
  *th = atan2((x[1] + x[7]) / 2 - c[1], (x[0] + x[6]) / 2 - c[0]);
}

static int steps(sgp_env *env, const double *u, int n, double *x) {
  sgp_err e = {{0}};
  double r;
  int term;
  for (int t = 0; t < n; t++)
    if (env_step(env, u, x, &r, &term, &e)) {
      CHECK(0, "step: %s", e.msg);
      return -1;
    }
  return 0;
}

static void test_contact(void) {
  sgp_env *env = make();
  if (!env) return;
  sgp_err e = {{0}};
  double x[12], c0[2], th0, c[2], th;
  /* no contact: the pusher moves away and around, the box stays where it is */
  env_reset(env, 0, x, &e);
  pose_of(x, c0, &th0);
  const double away[2] = {-0.05, 0.03}, side[2] = {0.0, 0.05};
  steps(env, away, 3, x);
  steps(env, side, 4, x);
  pose_of(x, c, &th);
  double moved = hypot(c[0] - c0[0], c[1] - c0[1]);
  CHECK_WORST("no contact: box displacement (m)", moved, 1e-9);
  CHECK_WORST("no contact: box rotation (rad)", fabs(th - th0), 1e-9);
  CHECK(fabs(x[10] - (-A - 0.02 - 0.01 - 0.15)) < 1e-3 && fabs(x[11] - 0.29) < 1e-3,
        "no contact: the pusher went where it was sent (%g, %g)", x[10], x[11]);

  /* contact, box at 0°: pushing +x from behind the −x face moves it along +x */
  env_reset(env, 0, x, &e);
  const double push[2] = {0.03, 0};
  steps(env, push, 5, x);
  pose_of(x, c, &th);
  double dir = atan2(c[1] - c0[1], c[0] - c0[0]);
  CHECK_WORST("push at 0 deg: direction of the box's motion vs +x (rad)", fabs(dir), 0.01);
  CHECK_WORST("push at 0 deg: rotation (rad)", fabs(th), 0.01);
  /* 5 × 3 cm of pusher travel, the first 1 cm closing the gap */
  CHECK_CLOSE("push at 0 deg: distance travelled (m)", c[0] - c0[0], 0.14, 0.005);

  /* contact, box at 30°: the pusher behind its −x face pushes along its +x axis */
  double ang = M_PI / 6, ca = cos(ang), sa = sin(ang), s[12];
  double pose[3] = {0.05, -0.02, ang};
  env_pusher_keypoints(pose, s);
  s[10] = pose[0] - (A + 0.02 + 0.005) * ca;
  s[11] = pose[1] - (A + 0.02 + 0.005) * sa;
  CHECK(env_set_state(env, s, &e) == 0, "set_state: %s", e.msg);
  const double push30[2] = {0.04 * ca, 0.04 * sa};
  steps(env, push30, 4, x);
  pose_of(x, c, &th);
  dir = atan2(c[1] - pose[1], c[0] - pose[0]);
  CHECK_WORST("push at 30 deg: direction of the box's motion vs its +x axis (rad)", fabs(dir - ang), 0.02);
  CHECK_WORST("push at 30 deg: rotation (rad)", fabs(th - ang), 0.02);
  CHECK(hypot(c[0] - pose[0], c[1] - pose[1]) > 0.13, "push at 30 deg: the box moved (%g m)",
        hypot(c[0] - pose[0], c[1] - pose[1]));
  env_destroy(env);
}

/* Keypoints vs MuJoCo's own frame of the box geom: corners = xpos ± a·(x axis) ± b·(y axis). */
static void test_keypoints_by_hand(void) {
  sgp_env *env = make();
  if (!env) return;
  sgp_err e = {{0}};
  const mjModel *m;
  mjData *d;
  env_mj(env, &m, &d);
  int g = mj_name2id(m, mjOBJ_GEOM, "box"), gp = mj_name2id(m, mjOBJ_GEOM, "pusher");
  CHECK(g >= 0 && gp >= 0, "geoms box and pusher exist");
  CHECK_CLOSE("box geom half-size x (m)", m->geom_size[3 * g], A, 1e-12);
  CHECK_CLOSE("box geom half-size y (m)", m->geom_size[3 * g + 1], B, 1e-12);
  sgp_rng r;
  sgp_rng_stream(&r, 3, "test");
  double x[12], worst = 0, u[2];
  env_reset(env, 0, x, &e);
  static const double sign[5][2] = {{1, 1}, {-1, 1}, {-1, -1}, {1, -1}, {0, 0}};
  for (int t = 0; t < 20; t++) {
    u[0] = 0.05 * (2 * sgp_rng_uniform(&r) - 1) + 0.02; /* drift into the box now and then */
    u[1] = 0.05 * (2 * sgp_rng_uniform(&r) - 1);
    steps(env, u, 1, x);
    mj_kinematics(m, d);
    const double *p = d->geom_xpos + 3 * g, *R = d->geom_xmat + 9 * g; /* row-major: column j = axis j */
    for (int k = 0; k < 5; k++)
      for (int i = 0; i < 2; i++) {
        double want = p[i] + R[3 * i + 0] * sign[k][0] * A + R[3 * i + 1] * sign[k][1] * B;
        worst = fmax(worst, fabs(x[2 * k + i] - want));
      }
    worst = fmax(worst, fmax(fabs(x[10] - d->geom_xpos[3 * gp]), fabs(x[11] - d->geom_xpos[3 * gp + 1])));
  }
  CHECK_WORST("keypoints and pusher vs MuJoCo's geom frames (m)", worst, 1e-12);
  env_destroy(env);
}

/* Brute force: for each angle the best translation is the mean of the keypoints (the template is
 * centred); the RMS residual minimised over a 0.01° grid, then refined by golden section. */
static double rms_at(const double *kp, double th) {
  double mx = 0, my = 0, c = cos(th), s = sin(th), r2 = 0;
  for (int k = 0; k < 5; k++) mx += kp[2 * k] / 5, my += kp[2 * k + 1] / 5;
  for (int k = 0; k < 5; k++) {
    double qx = Q[k][0], qy = Q[k][1];
    double ex = kp[2 * k] - (mx + c * qx - s * qy), ey = kp[2 * k + 1] - (my + s * qx + c * qy);
    r2 += ex * ex + ey * ey;
  }
  return sqrt(r2 / 5);
}

static double brute_fit(const double *kp) {
  double best = INFINITY, bt = 0;
  for (int i = 0; i < 36000; i++) {
    double th = -M_PI + i * (2 * M_PI / 36000), v = rms_at(kp, th);
    if (v < best) best = v, bt = th;
  }
  double lo = bt - 2 * M_PI / 36000, hi = bt + 2 * M_PI / 36000, g = (sqrt(5) - 1) / 2;
  for (int it = 0; it < 100; it++) {
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    if (rms_at(kp, a) < rms_at(kp, b)) hi = b;
    else lo = a;
  }
  return fmin(best, rms_at(kp, 0.5 * (lo + hi)));
}

static void test_rigid_fit(void) {
  sgp_rng r;
  sgp_rng_stream(&r, 5, "test");
  double kp[12], pose[3], fit[3], w_rigid = 0, w_pose = 0, w_brute_rigid = 0;
  for (int i = 0; i < 20; i++) {
    pose[0] = 0.4 * (2 * sgp_rng_uniform(&r) - 1);
    pose[1] = 0.4 * (2 * sgp_rng_uniform(&r) - 1);
    pose[2] = M_PI * (2 * sgp_rng_uniform(&r) - 1);
    for (int k = 0; k < 5; k++) { /* the placement by hand */
      kp[2 * k] = pose[0] + cos(pose[2]) * Q[k][0] - sin(pose[2]) * Q[k][1];
      kp[2 * k + 1] = pose[1] + sin(pose[2]) * Q[k][0] + cos(pose[2]) * Q[k][1];
    }
    w_rigid = fmax(w_rigid, env_pusher_fit(kp, fit));
    w_pose = fmax(w_pose, fmax(hypot(fit[0] - pose[0], fit[1] - pose[1]), fabs(remainder(fit[2] - pose[2], 2 * M_PI))));
    if (i < 4) w_brute_rigid = fmax(w_brute_rigid, brute_fit(kp));
  }
  CHECK_WORST("rigid placements: rigidity violation (m)", w_rigid, 1e-15);
  CHECK_WORST("rigid placements: fitted pose vs the placement", w_pose, 1e-14);
  CHECK_WORST("rigid placements: brute-force rigidity violation (m)", w_brute_rigid, 1e-12);

  /* the box scaled by s about its centre: the best rigid placement is the unscaled one, so the
   * violation is |s − 1|·sqrt(Σ‖q_k‖²/5) = |s − 1|·sqrt(4(a² + b²)/5) */
  double w_scaled = 0, w_scaled_brute = 0;
  const double scales[3] = {1.1, 0.95, 1.5};
  for (int i = 0; i < 3; i++) {
    double s = scales[i], th = 0.3 + i, known = fabs(s - 1) * sqrt(4 * (A * A + B * B) / 5);
    for (int k = 0; k < 5; k++) {
      kp[2 * k] = 0.1 + s * (cos(th) * Q[k][0] - sin(th) * Q[k][1]);
      kp[2 * k + 1] = -0.2 + s * (sin(th) * Q[k][0] + cos(th) * Q[k][1]);
    }
    w_scaled = fmax(w_scaled, fabs(env_pusher_fit(kp, NULL) - known));
    w_scaled_brute = fmax(w_scaled_brute, fabs(brute_fit(kp) - known));
  }
  CHECK_WORST("scaled box: rigidity violation vs the known value (m)", w_scaled, 1e-15);
  CHECK_WORST("scaled box: brute force vs the known value (m)", w_scaled_brute, 1e-12);

  /* random perturbations of 1 cm: the closed form equals the brute-force minimum */
  double w_rand = 0;
  for (int i = 0; i < 6; i++) {
    pose[2] = M_PI * (2 * sgp_rng_uniform(&r) - 1);
    double p0[3] = {0.1, 0.05, pose[2]};
    env_pusher_keypoints(p0, kp);
    for (int k = 0; k < 10; k++) kp[k] += 0.01 * sgp_rng_normal(&r);
    w_rand = fmax(w_rand, fabs(env_pusher_fit(kp, NULL) - brute_fit(kp)));
  }
  CHECK_WORST("perturbed keypoints: closed form vs brute force (m)", w_rand, 1e-12);
}

/* A pusher placed inside the box is moved out to touching distance; nothing explodes. */
static void test_overlap(void) {
  sgp_env *env = make();
  if (!env) return;
  sgp_err e = {{0}};
  double x[12], pose[3] = {0, 0, 0.4}, c[2], th;
  env_pusher_keypoints(pose, x);
  x[10] = 0.01, x[11] = 0.02; /* inside the footprint */
  CHECK(env_set_state(env, x, &e) == 0, "set_state: %s", e.msg);
  env_get_state(env, x);
  double lx = cos(pose[2]) * x[10] + sin(pose[2]) * x[11], ly = -sin(pose[2]) * x[10] + cos(pose[2]) * x[11];
  double gap = hypot(fmax(fabs(lx) - A, 0), fmax(fabs(ly) - B, 0)) - 0.02;
  CHECK_WORST("overlapping pusher: |distance to the footprint − radius| after set_state (m)", fabs(gap), 1e-12);
  const double zero[2] = {0, 0};
  steps(env, zero, 2, x);
  pose_of(x, c, &th);
  CHECK_WORST("overlapping pusher moved out: the box stays (m)", hypot(c[0], c[1]), 1e-4);
  env_destroy(env);
}

/* One episode of the push script from reset with the policy stream of `seed`: the final pose. */
static void script_episode(uint64_t seed, int T, double *final_pose) {
  sgp_env *env = make();
  if (!env) return;
  const ds_policy_vt *pv = ds_policy_find("push_script");
  CHECK(pv != NULL, "policy push_script registered");
  if (!pv) return;
  cJSON *j = cJSON_Parse("{\"type\":\"push_script\"}");
  sgp_cfg c = sgp_cfg_root(j, "policy");
  void *self = NULL;
  sgp_err e = {{0}};
  CHECK(pv->create(&c, env, &self, &e) == 0, "push_script create: %s", e.msg);
  sgp_rng r;
  sgp_rng_stream(&r, seed, "script");
  double x[12], u[2];
  env_reset(env, 0, x, &e);
  pv->reset(self, x);
  for (int t = 0; t < T; t++) {
    pv->act(self, env, x, &r, u);
    if (steps(env, u, 1, x)) break;
  }
  env_pusher_fit(x, final_pose);
  pv->destroy(self);
  cJSON_Delete(j);
  env_destroy(env);
}

static void test_script_determinism(void) {
  double a[3] = {0}, b[3] = {1}, c[3] = {0};
  script_episode(7, 40, a);
  script_episode(7, 40, b);
  script_episode(8, 40, c);
  CHECK(!memcmp(a, b, sizeof a), "push script, seed 7 twice: the same final pose bit for bit (%.17g %.17g %.17g)",
        a[0], a[1], a[2]);
  printf("  push script final pose: seed 7 (%.4f, %.4f, %.1f deg), seed 8 (%.4f, %.4f, %.1f deg)\n", a[0], a[1],
         a[2] * 180 / M_PI, c[0], c[1], c[2] * 180 / M_PI);
  CHECK(hypot(a[0], a[1]) > 0.01 || fabs(a[2]) > 0.05, "push script, seed 7: the box was pushed");
  CHECK(memcmp(a, c, sizeof a), "push script, seeds 7 and 8: different pushes");
  cJSON *j = cJSON_Parse("{\"type\":\"push_script\"}");
  sgp_err e = {{0}};
  sgp_env *env = make();
  sgp_env *other = NULL;
  env_create("point", NULL, "cfg", &other, &e);
  sgp_cfg cfg = sgp_cfg_root(j, "spec.json");
  void *self = NULL;
  CHECK(other && ds_policy_find("push_script")->create(&cfg, other, &self, &e) == -1 && strstr(e.msg, "pusher"),
        "push_script in another environment: rejected: %s", e.msg);
  env_destroy(other);
  env_destroy(env);
  cJSON_Delete(j);
}

/* Episodes with "exclude": no kept step touches the disk (centres checked here), qpos/qvel stored. */
static void test_exclude(void) {
  const double cx = 0.06, cy = 0.0, rad = 0.03;
  cJSON *spec = cJSON_Parse("{\"type\":\"episodes\",\"n\":600,\"policy\":{\"type\":\"push_script\"},"
                            "\"episode_length\":30,\"exclude\":{\"center\":[0.06,0],\"radius\":0.03}}");
  ds_collect_opts o = {1, 1, 0};
  ds_data d;
  sgp_err e = {{0}};
  int rc = ds_collect("pusher", NULL, "cfg", spec, "spec", &o, &d, &e);
  CHECK(rc == 0, "collect with exclude: %s", e.msg);
  if (rc == 0) {
    double closest = INFINITY;
    for (int64_t i = 0; i < d.n; i++) {
      double xs[12], xn[12], c0[2], c1[2], th;
      for (int k = 0; k < 12; k++) xs[k] = d.x[i * 12 + k], xn[k] = d.xnext[i * 12 + k];
      pose_of(xs, c0, &th);
      pose_of(xn, c1, &th);
      /* distance from the disk's centre to the segment c0 → c1 */
      double dx = c1[0] - c0[0], dy = c1[1] - c0[1], L2 = dx * dx + dy * dy;
      double t = L2 > 0 ? ((cx - c0[0]) * dx + (cy - c0[1]) * dy) / L2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      closest = fmin(closest, hypot(c0[0] + t * dx - cx, c0[1] + t * dy - cy));
    }
    printf("  exclude: %lld rows, closest approach of a kept step to the disk's centre %.4f m (radius %.2f)\n",
           (long long)d.n, closest, rad);
    CHECK(closest >= rad - 1e-6, "exclude: no kept step touches the disk (closest %g)", closest);
    CHECK(d.qpos && d.nq == 6 && d.nv == 6, "qpos/qvel stored beside x (nq %d, nv %d)", d.nq, d.nv);
    ds_free(&d);
  }
  cJSON_Delete(spec);
}

/* The description's metrics: a plan of H+1 states whose predicted states are the box scaled by s_t
 * has rigidity sqrt(mean_t (s_t − 1)²·4(a² + b²)/5) (x_0 is not counted); the brute-force fit agrees on a
 * random plan; the final errors are the offsets put in. */
static void test_metrics(void) {
  sgp_env *env = make();
  if (!env) return;
  const env_spec *sp = &env->spec;
  int ir = -1, ip = -1, ia = -1;
  for (int i = 0; i < sp->nmetrics; i++) {
    if (!strcmp(sp->metrics[i].name, "rigidity")) ir = i;
    if (!strcmp(sp->metrics[i].name, "final_position_error")) ip = i;
    if (!strcmp(sp->metrics[i].name, "final_angle_error")) ia = i;
  }
  CHECK(ir >= 0 && ip >= 0 && ia >= 0 && sp->metrics[ir].kind == ENV_METRIC_PLAN && sp->metrics[ip].kind == ENV_METRIC_FINAL,
        "metrics rigidity (per plan), final_position_error and final_angle_error (final) declared");
  if (ir < 0 || ip < 0 || ia < 0) {
    env_destroy(env);
    return;
  }
  enum { H = 4 };
  double xs[(H + 1) * 12], scale[H + 1] = {1.7, 1.0, 1.05, 0.9, 1.2}, want = 0;
  for (int t = 0; t <= H; t++) {
    double th = 0.2 * t;
    for (int k = 0; k < 5; k++) {
      xs[t * 12 + 2 * k] = 0.01 * t + scale[t] * (cos(th) * Q[k][0] - sin(th) * Q[k][1]);
      xs[t * 12 + 2 * k + 1] = -0.02 * t + scale[t] * (sin(th) * Q[k][0] + cos(th) * Q[k][1]);
    }
    xs[t * 12 + 10] = xs[t * 12 + 11] = 0.3;
    if (t > 0) want += (scale[t] - 1) * (scale[t] - 1) * 4 * (A * A + B * B) / 5 / H;
  }
  CHECK_CLOSE("rigidity of a plan of scaled boxes (m)", env_metric_value(env, ir, xs, H + 1), sqrt(want), 1e-15);
  CHECK_CLOSE("rigidity of its first state alone (m)", env_metric_value(env, ir, xs, 1), 0.7 * sqrt(4 * (A * A + B * B) / 5), 1e-15);
  sgp_rng r;
  sgp_rng_stream(&r, 9, "test");
  double brute = 0;
  for (int i = 12; i < (H + 1) * 12; i++) xs[i] += 0.005 * sgp_rng_normal(&r);
  for (int t = 1; t <= H; t++) brute += pow(brute_fit(xs + 12 * t), 2) / H;
  CHECK_CLOSE("rigidity of a perturbed plan vs brute force (m)", env_metric_value(env, ir, xs, H + 1), sqrt(brute), 1e-12);
  /* final errors: the target (0.20, 0.05, 20°) offset by (0.03, −0.04) and −25° */
  double pose[3] = {0.23, 0.01, (20.0 - 25.0) * M_PI / 180}, xf[12];
  env_pusher_keypoints(pose, xf);
  xf[10] = xf[11] = 0;
  CHECK_CLOSE("final position error (m)", env_metric_value(env, ip, xf, 1), 0.05, 1e-12);
  CHECK_CLOSE("final angle error (deg)", env_metric_value(env, ia, xf, 1), 25, 1e-9);
  CHECK(isnan(env_metric_value(env, sp->nmetrics, xf, 1)), "a metric index beyond the spec: NaN");
  env_destroy(env);
}

int main(void) {
  test_metrics();
  test_contact();
  test_keypoints_by_hand();
  test_rigid_fit();
  test_overlap();
  test_script_determinism();
  test_exclude();
  return tu_done("test_env_pusher");
}
