// ctest-labels: unit envs
/* halfcheetah, hopper, walker2d (envs/locomotion.c and the task tables):
 *  - the hidden-shape check: the compiled models' capsules, link offsets, masses (recomputed here
 *    from the capsule volume formula and the cited density or total mass), gears and joint ranges
 *    equal the numbers the env files cite, with integrator, timestep and frame skip;
 *  - step against a hand-written MuJoCo call sequence on the XML from the source tree: the
 *    observation layout ([qpos[1:], clip(qvel)]), the reward (Δx/dt + healthy − w‖u‖²) and the
 *    termination written out here from the v4 tasks' rules, bitwise, over states from random
 *    rollouts (falls included);
 *  - the observation-based termination rule agrees with the simulator's;
 *  - reset noise within the cited ranges; velocity clipping; exact sim-state restore; the cost's
 *    value. (Determinism, round trips, gradients and float batches: tests/test_env_conformance.c.) */
#include "envs/locomotion.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double capsule_volume(double r, double h) { return M_PI * r * r * 2 * h + 4.0 / 3.0 * M_PI * r * r * r; }

static void check_shape(const sgp_env *env, const loco_task *t) {
  const mjModel *m;
  env_mj((sgp_env *)env, &m, NULL);
  double worst_geom = 0, worst_mass = 0, worst_gear = 0, worst_range = 0, worst_link = 0;
  /* masses: Σ capsule volumes per body × density, or scaled to the total mass */
  double vbody[32] = {0}, vall = 0;
  for (int i = 0; i < t->ncapsule; i++) {
    const loco_capsule *c = &t->capsules[i];
    int g = mj_name2id(m, mjOBJ_GEOM, c->geom), b = mj_name2id(m, mjOBJ_BODY, c->body);
    CHECK(g >= 0 && b >= 0 && m->geom_bodyid[g] == b, "%s: geom %s in body %s", t->name, c->geom, c->body);
    if (g < 0 || b < 0) continue;
    CHECK(m->geom_type[g] == mjGEOM_CAPSULE, "%s: %s is a capsule", t->name, c->geom);
    worst_geom = fmax(worst_geom, fabs(m->geom_size[3 * g] - c->radius));
    worst_geom = fmax(worst_geom, fabs(m->geom_size[3 * g + 1] - c->half_length));
    double v = capsule_volume(c->radius, c->half_length);
    vbody[b] += v;
    vall += v;
  }
  int ngeom_body = 0;
  for (int g = 0; g < m->ngeom; g++) ngeom_body += m->geom_bodyid[g] != 0;
  CHECK(ngeom_body == t->ncapsule, "%s: %d body geoms, the table lists %d", t->name, ngeom_body, t->ncapsule);
  double total = 0;
  for (int b = 1; b < m->nbody; b++) {
    double want = t->total_mass > 0 ? t->total_mass * vbody[b] / vall : t->density * vbody[b];
    worst_mass = fmax(worst_mass, tu_relerr(m->body_mass[b], want, 1e-9));
    total += m->body_mass[b];
  }
  printf("  %s: total mass %.6f kg\n", t->name, total);
  CHECK(m->nu == t->nact, "%s: %d actuators", t->name, m->nu);
  for (int i = 0; i < t->nact && i < m->nu; i++) {
    int j = mj_name2id(m, mjOBJ_JOINT, t->act_joint[i]);
    CHECK(j >= 0 && m->actuator_trntype[i] == mjTRN_JOINT && m->actuator_trnid[2 * i] == j, "%s: actuator %d drives %s",
          t->name, i, t->act_joint[i]);
    worst_gear = fmax(worst_gear, fabs(m->actuator_gear[6 * i] - t->gear[i]));
    CHECK(m->actuator_ctrllimited[i] && m->actuator_ctrlrange[2 * i] == -1 && m->actuator_ctrlrange[2 * i + 1] == 1,
          "%s: actuator %d ctrlrange [-1, 1]", t->name, i);
    if (j >= 0) {
      CHECK(m->jnt_limited[j], "%s: %s limited", t->name, t->act_joint[i]);
      worst_range = fmax(worst_range, fabs(m->jnt_range[2 * j] - t->joint_lo[i]));
      worst_range = fmax(worst_range, fabs(m->jnt_range[2 * j + 1] - t->joint_hi[i]));
    }
  }
  /* link offsets between hinge anchors at the rest pose qpos0 */
  mjData *d = mj_makeData(m);
  mj_forward(m, d);
  for (int i = 0; i < t->nlink; i++) {
    int a = mj_name2id(m, mjOBJ_JOINT, t->links[i].from), b = mj_name2id(m, mjOBJ_JOINT, t->links[i].to);
    CHECK(a >= 0 && b >= 0, "%s: link %s -> %s", t->name, t->links[i].from, t->links[i].to);
    if (a < 0 || b < 0) continue;
    worst_link = fmax(worst_link, fabs(d->xanchor[3 * b] - d->xanchor[3 * a] - t->links[i].dx));
    worst_link = fmax(worst_link, fabs(d->xanchor[3 * b + 1] - d->xanchor[3 * a + 1]));
    worst_link = fmax(worst_link, fabs(d->xanchor[3 * b + 2] - d->xanchor[3 * a + 2] - t->links[i].dz));
  }
  mj_deleteData(d);
  char what[128];
  snprintf(what, sizeof what, "%s: capsule radii and half-lengths vs the cited table", t->name);
  CHECK_WORST(what, worst_geom, 1e-12);
  snprintf(what, sizeof what, "%s: body masses vs capsule volumes × density / total mass (rel)", t->name);
  CHECK_WORST(what, worst_mass, 1e-9);
  snprintf(what, sizeof what, "%s: gears", t->name);
  CHECK_WORST(what, worst_gear, 0);
  snprintf(what, sizeof what, "%s: joint ranges (rad)", t->name);
  CHECK_WORST(what, worst_range, 1e-12);
  snprintf(what, sizeof what, "%s: hinge-to-hinge offsets at rest (m)", t->name);
  CHECK_WORST(what, worst_link, 1e-12);
  CHECK(m->opt.integrator == (t->euler ? mjINT_EULER : mjINT_RK4) && m->opt.timestep == t->timestep,
        "%s: integrator and timestep", t->name);
  CHECK(env->spec.substeps == t->frame_skip && fabs(env->spec.dt - t->timestep * t->frame_skip) < 1e-15 &&
            env->spec.T == 1000,
        "%s: frame skip, dt, T", t->name);
}

/* The v4 tasks' rules, written out independently of envs/locomotion.c. */
static int hand_healthy(const char *name, const double *qpos, const double *qvel, int nq, int nv) {
  if (!strcmp(name, "halfcheetah")) return 1;
  double z = qpos[1], a = qpos[2];
  if (!strcmp(name, "walker2d")) return z > 0.8 && z < 2.0 && a > -1 && a < 1;
  int ok = z > 0.7 && a > -0.2 && a < 0.2; /* hopper */
  for (int i = 2; i < nq; i++) ok &= fabs(qpos[i]) < 100;
  for (int i = 0; i < nv; i++) ok &= fabs(qvel[i]) < 100;
  return ok;
}

static void check_step(sgp_env *env, const loco_task *t, sgp_rng *rng) {
  const mjModel *me;
  env_mj(env, &me, NULL);
  int nq = me->nq, nv = me->nv, nu = me->nu, nx = env->spec.nx;
  CHECK(nx == nq - 1 + nv, "%s: nx = nq - 1 + nv", t->name);
  char path[1024], err[1000];
  snprintf(path, sizeof path, "%s/envs/%s", tu_source_dir(), t->xml);
  mjModel *m = mj_loadXML(path, NULL, err, sizeof err);
  CHECK(m != NULL, "load %s: %s", path, err);
  if (!m) return;
  mjData *d = mj_makeData(m);
  double clip = strcmp(t->name, "halfcheetah") ? 10 : 0; /* [P] of hopper_v4.py / walker2d_v4.py */
  double w = strcmp(t->name, "halfcheetah") ? 1e-3 : 0.1, healthy = strcmp(t->name, "halfcheetah") ? 1 : 0;
  double worst_x = 0, worst_r = 0, qpos[16], qvel[16], x[17], xn[17], u[6];
  int nterm = 0, nsteps = 0, term_mismatch = 0, obs_rule_mismatch = 0, nclipped = 0;
  for (int ep = 0; ep < 6; ep++) {
    env_reset(env, 100 + ep, x, NULL);
    for (int k = 0; k < 60; k++) {
      env_get_sim_state(env, qpos, qvel);
      sgp_err e = {0};
      CHECK(env_set_sim_state(env, qpos, qvel, &e) == 0, "set_sim_state: %s", e.msg);
      for (int i = 0; i < nu; i++) u[i] = -1.3 + 2.6 * sgp_rng_uniform(rng); /* some beyond the bounds */
      double rew;
      int term;
      CHECK(env_step(env, u, xn, &rew, &term, &e) == 0, "%s step: %s", t->name, e.msg);
      /* by hand */
      mj_resetData(m, d);
      memcpy(d->qpos, qpos, sizeof(double) * nq);
      memcpy(d->qvel, qvel, sizeof(double) * nv);
      double uu = 0;
      for (int i = 0; i < nu; i++) {
        d->ctrl[i] = u[i] < -1 ? -1 : u[i] > 1 ? 1 : u[i];
        uu += d->ctrl[i] * d->ctrl[i];
      }
      for (int s = 0; s < t->frame_skip; s++) mj_step(m, d);
      double ref[17];
      for (int i = 1; i < nq; i++) ref[i - 1] = d->qpos[i];
      for (int i = 0; i < nv; i++) {
        double v = d->qvel[i];
        if (clip > 0 && fabs(v) > clip) {
          v = v > 0 ? clip : -clip;
          nclipped++;
        }
        ref[nq - 1 + i] = v;
      }
      for (int i = 0; i < nx; i++) worst_x = fmax(worst_x, fabs(ref[i] - xn[i]));
      double rref = (d->qpos[0] - qpos[0]) / (t->timestep * t->frame_skip) + healthy - w * uu;
      worst_r = fmax(worst_r, fabs(rref - rew));
      int hterm = !hand_healthy(t->name, d->qpos, d->qvel, nq, nv);
      term_mismatch += hterm != term;
      obs_rule_mismatch += env_loco_unhealthy(t, nx, xn) != term;
      nterm += term;
      nsteps++;
      if (term) break;
    }
  }
  printf("  %s: %d steps, %d terminations, %d clipped velocities\n", t->name, nsteps, nterm, nclipped);
  char what[160];
  snprintf(what, sizeof what, "%s: observation [qpos[1:], clip(qvel)] vs hand mj_step sequence (bitwise)", t->name);
  CHECK_WORST(what, worst_x, 0);
  snprintf(what, sizeof what, "%s: reward = dx/dt + healthy - w |clip u|^2 by hand", t->name);
  CHECK_WORST(what, worst_r, 1e-12);
  CHECK(term_mismatch == 0, "%s: termination flag vs the hand rule: %d mismatches", t->name, term_mismatch);
  CHECK(obs_rule_mismatch == 0, "%s: observation rule vs the simulator's: %d mismatches", t->name, obs_rule_mismatch);
  if (t->terminates) CHECK(nterm > 0, "%s: random rollouts fall (both outcomes tested)", t->name);
  else CHECK(nterm == 0, "%s: never terminates", t->name);
  mj_deleteData(d);
  mj_deleteModel(m);
}

/* Termination thresholds on crafted states: just inside and just outside each bound. */
static void check_thresholds(sgp_env *env, const loco_task *t) {
  if (!t->terminates) return;
  const mjModel *m;
  env_mj(env, &m, NULL);
  int nx = env->spec.nx;
  double x[17];
  env_reset(env, 0, x, NULL);
  struct { int i; double v; int unhealthy; } cases[] = {
      {0, t->z_lo + 1e-9, 0}, {0, t->z_lo, 1}, {1, t->angle_hi - 1e-9, 0}, {1, t->angle_hi, 1},
      {1, t->angle_lo, 1}, {0, isinf(t->z_hi) ? 1e9 : t->z_hi, !isinf(t->z_hi)}};
  int bad = 0;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    double y[17];
    memcpy(y, x, sizeof y);
    y[cases[k].i] = cases[k].v;
    bad += env_loco_unhealthy(t, nx, y) != cases[k].unhealthy;
  }
  if (t->has_state_range) {
    double y[17];
    memcpy(y, x, sizeof y);
    y[3] = 100; /* a joint angle at the state bound */
    bad += env_loco_unhealthy(t, nx, y) != 1;
    y[3] = 99;
    bad += env_loco_unhealthy(t, nx, y) != 0;
  }
  CHECK(bad == 0, "%s: thresholds of the observation rule (strict inequalities): %d wrong", t->name, bad);
  (void)m;
}

static void check_reset_and_state(sgp_env *env, const loco_task *t) {
  const mjModel *m;
  env_mj(env, &m, NULL);
  int nq = m->nq, nv = m->nv, nx = env->spec.nx;
  double qpos[16], qvel[16], x[17], maxq = 0, maxv = 0, s2 = 0, bad_obs = 0;
  int n = 300;
  for (int k = 0; k < n; k++) {
    sgp_err e = {0};
    env_reset(env, (uint64_t)k, x, &e);
    env_get_sim_state(env, qpos, qvel);
    for (int i = 0; i < nq; i++) maxq = fmax(maxq, fabs(qpos[i] - m->qpos0[i]));
    for (int i = 0; i < nv; i++) {
      maxv = fmax(maxv, fabs(qvel[i]));
      s2 += qvel[i] * qvel[i];
    }
    for (int i = 1; i < nq; i++) bad_obs += x[i - 1] != qpos[i];
    for (int i = 0; i < nv; i++) bad_obs += x[nq - 1 + i] != qvel[i];
  }
  double s = t->reset_noise;
  printf("  %s reset: max |qpos - qpos0| %.5f, max |qvel| %.5f, rms qvel %.5f (noise scale %g)\n", t->name, maxq,
         maxv, sqrt(s2 / (n * nv)), s);
  CHECK(bad_obs == 0, "%s: reset observation = [qpos[1:], qvel]", t->name);
  CHECK(maxq <= s && maxq > 0.98 * s, "%s: qpos noise uniform in ±%g (max %g)", t->name, s, maxq);
  if (t->qvel_normal) {
    /* 2700 draws of s·N(0,1): the sample rms is within 5% of s with probability > 0.999 */
    CHECK(fabs(sqrt(s2 / (n * nv)) / s - 1) < 0.05 && maxv > 2 * s, "%s: qvel noise s·N(0, 1)", t->name);
  } else {
    CHECK(maxv <= s && maxv > 0.98 * s, "%s: qvel noise uniform in ±%g", t->name, s);
  }
  /* clipping and exact restore */
  for (int i = 0; i < nq; i++) qpos[i] = m->qpos0[i];
  for (int i = 0; i < nv; i++) qvel[i] = 0;
  qpos[0] = 3.5;
  qvel[3] = 25;
  qvel[4] = -30;
  sgp_err e = {0};
  CHECK(env_set_sim_state(env, qpos, qvel, &e) == 0, "set_sim_state");
  env_get_state(env, x);
  double want = t->vel_clip > 0 ? t->vel_clip : 25, want4 = t->vel_clip > 0 ? -t->vel_clip : -30;
  CHECK(x[nq - 1 + 3] == want && x[nq - 1 + 4] == want4, "%s: observation velocity %g, %g (clip %g)", t->name,
        x[nq - 1 + 3], x[nq - 1 + 4], t->vel_clip);
  double q2[16], v2[16];
  env_get_sim_state(env, q2, v2);
  CHECK(!memcmp(q2, qpos, sizeof(double) * nq) && !memcmp(v2, qvel, sizeof(double) * nv), "%s: sim state round trip",
        t->name);
  /* set_state keeps rootx, writes the rest */
  double y[17];
  for (int i = 0; i < nx; i++) y[i] = x[i] + 0.01 * i;
  CHECK(env_set_state(env, y, &e) == 0, "set_state");
  env_get_sim_state(env, q2, v2);
  int bad = q2[0] != 3.5;
  for (int i = 1; i < nq; i++) bad += q2[i] != y[i - 1];
  for (int i = 0; i < nv; i++) bad += v2[i] != y[nq - 1 + i];
  CHECK(bad == 0, "%s: set_state writes qpos[1:], qvel and keeps rootx", t->name);
  y[2] = NAN;
  CHECK(env_set_state(env, y, &e) == -1, "%s: non-finite state rejected", t->name);
  qvel[0] = INFINITY;
  CHECK(env_set_sim_state(env, qpos, qvel, &e) == -1, "%s: non-finite sim state rejected", t->name);
}

/* The cost's value: −(ẋ + healthy − w‖u‖²) with ẋ = x[nq − 1], c_T = 0 (the conformance test checks
 * the gradients and the float batch). */
static void check_cost_value(sgp_env *env, const loco_task *t, sgp_rng *rng) {
  int nx = env->spec.nx, nu = env->spec.nu, vi = (nx + 1) / 2 - 1;
  double worst = 0;
  for (int k = 0; k < 20; k++) {
    double x[17], u[6], uu = 0;
    for (int i = 0; i < nx; i++) x[i] = 2 * sgp_rng_uniform(rng) - 1;
    for (int i = 0; i < nu; i++) u[i] = 2 * sgp_rng_uniform(rng) - 1, uu += u[i] * u[i];
    worst = fmax(worst, fabs(env_cost(env, x, u, NULL, NULL) - (t->ctrl_cost_weight * uu - x[vi] - t->healthy_reward)));
    worst = fmax(worst, fabs(env_terminal_cost(env, x, NULL)));
  }
  char what[128];
  snprintf(what, sizeof what, "%s: c(x,u) = w|u|^2 - xdot - healthy, c_T = 0", t->name);
  CHECK_WORST(what, worst, 1e-12);
}

int main(void) {
  const char *names[3] = {"halfcheetah", "hopper", "walker2d"};
  sgp_rng rng;
  sgp_rng_stream(&rng, 5, "test");
  for (int k = 0; k < 3; k++) {
    const loco_task *t = env_loco_task(names[k]);
    sgp_env *env = NULL;
    sgp_err e = {0};
    CHECK(t != NULL && env_create(names[k], NULL, "cfg", &env, &e) == 0, "create %s: %s", names[k], e.msg);
    if (!env) continue;
    check_shape(env, t);
    check_step(env, t, &rng);
    check_thresholds(env, t);
    check_reset_and_state(env, t);
    check_cost_value(env, t, &rng);
    CHECK(env->spec.has_ref && env->spec.ref_random == t->d4rl_random && env->spec.ref_expert == t->d4rl_expert,
          "%s: the default references are D4RL's", t->name);
    env_destroy(env);
  }
  {
    cJSON *j = NULL;
    sgp_env *z = NULL;
    sgp_err e = {0};
    sgp_json_parse("{\"reference\":\"gym\"}", "h.json", &j, &e);
    CHECK(env_create("hopper", j, "h.json", &z, &e) == -1 && strstr(e.msg, "h.json") && strstr(e.msg, "reference"),
          "unknown reference rejected: %s", e.msg);
    cJSON_Delete(j);
    sgp_json_parse("{\"mass\":3}", "h.json", &j, &e);
    CHECK(env_create("walker2d", j, "h.json", &z, &e) == -1 && strstr(e.msg, "h.json: /mass"), "unknown key: %s", e.msg);
    cJSON_Delete(j);
  }
  return tu_done("test_env_locomotion");
}
