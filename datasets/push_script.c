/* The behaviour policy "push_script": randomised scripted pushes of the pusher environment
 * (datasets/push_script.h). Each push is drawn from the policy's stream when the previous one ends:
 *   side      one of the box's four faces, uniformly;
 *   offset    the contact point along that face, uniform in ±offset × the face's half-length;
 *   direction the face's inward normal turned by an angle uniform in ±angle_deg (fixed in the world
 *             for the whole push: a straight-line push, as a robot would make it);
 *   duration  a whole number of steps, uniform in [push_steps_min, push_steps_max];
 *   speed     the pusher's displacement per step, uniform in [speed_min, speed_max] (m).
 * Approach: the pusher goes to the stand-off point `standoff` metres in front of the contact point,
 * straight when that segment keeps clear of the box, otherwise around it along a circle that
 * clears the box's corners (radially out first when inside that circle). An approach that has not
 * arrived after 30 steps gives up and draws a new push. Every action gets Gaussian noise of
 * standard deviation `noise` (m) per axis; the environment clips to its bounds. */
#include "datasets/push_script.h"

#include "envs/pusher.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PS_MAX_APPROACH 30
#define PS_CLEAR 0.005 /* clearance kept from the box while approaching (m) */

enum { PS_NEW = 0, PS_APPROACH = 1, PS_PUSH = 2 };

typedef struct push_script {
  long steps_lo, steps_hi;
  double speed_lo, speed_hi, offset, angle, noise, standoff;
  /* the push in progress */
  int phase, left, age;
  double goal[2]; /* the stand-off point (world) */
  double dir[2];  /* unit push direction (world) */
  double speed;
} push_script;

static const char *const ps_keys[] = {"type", "push_steps_min", "push_steps_max", "speed_min", "speed_max",
                                      "offset", "angle_deg", "noise", "standoff", NULL};

int ds_push_script_create(sgp_cfg *cfg, const sgp_env *env, void **self, sgp_err *e) {
  *self = NULL;
  if (sgp_cfg_check_keys(cfg, ps_keys, e)) return -1;
  if (!env_is_pusher(env))
    return sgp_fail(e, "%s: %s/type: push_script reads box keypoints: it acts only in the pusher environment, not '%s'",
                    cfg->file, cfg->path, env->spec.name);
  push_script p;
  memset(&p, 0, sizeof p);
  double ang;
  if (sgp_cfg_int_opt(cfg, "push_steps_min", 1, 1000, 2, &p.steps_lo, e) ||
      sgp_cfg_int_opt(cfg, "push_steps_max", 1, 1000, 8, &p.steps_hi, e) ||
      sgp_cfg_num_opt(cfg, "speed_min", 0.01, &p.speed_lo, e) || sgp_cfg_num_opt(cfg, "speed_max", 0.05, &p.speed_hi, e) ||
      sgp_cfg_num_opt(cfg, "offset", 0.8, &p.offset, e) || sgp_cfg_num_opt(cfg, "angle_deg", 20, &ang, e) ||
      sgp_cfg_num_opt(cfg, "noise", 0.003, &p.noise, e) || sgp_cfg_num_opt(cfg, "standoff", 0.02, &p.standoff, e))
    return -1;
  if (p.steps_hi < p.steps_lo)
    return sgp_fail(e, "%s: %s/push_steps_max: %ld is below push_steps_min %ld", cfg->file, cfg->path, p.steps_hi, p.steps_lo);
  if (!(p.speed_lo > 0 && p.speed_lo <= p.speed_hi && p.speed_hi <= 1))
    return sgp_fail(e, "%s: %s/speed_min, speed_max: expected 0 < speed_min <= speed_max <= 1, got %g, %g", cfg->file,
                    cfg->path, p.speed_lo, p.speed_hi);
  if (!(p.offset >= 0 && p.offset <= 1))
    return sgp_fail(e, "%s: %s/offset: expected a fraction in [0, 1], got %g", cfg->file, cfg->path, p.offset);
  if (!(ang >= 0 && ang <= 90))
    return sgp_fail(e, "%s: %s/angle_deg: expected degrees in [0, 90], got %g", cfg->file, cfg->path, ang);
  if (!(p.noise >= 0 && p.noise <= 1))
    return sgp_fail(e, "%s: %s/noise: expected a standard deviation in [0, 1] m, got %g", cfg->file, cfg->path, p.noise);
  if (!(p.standoff >= 0 && p.standoff <= 1))
    return sgp_fail(e, "%s: %s/standoff: expected a distance in [0, 1] m, got %g", cfg->file, cfg->path, p.standoff);
  p.angle = ang * M_PI / 180;
  push_script *s = sgp_malloc(sizeof *s);
  *s = p;
  *self = s;
  return 0;
}

void ds_push_script_destroy(void *self) { free(self); }

void ds_push_script_reset(void *self, const double *x0) {
  (void)x0;
  push_script *s = self;
  s->phase = PS_NEW;
}

/* Distance from world point q to the box's footprint (0 inside). */
static double box_dist(const double pose[3], const double *q) {
  double c = cos(pose[2]), sn = sin(pose[2]), wx = q[0] - pose[0], wy = q[1] - pose[1];
  double lx = fabs(c * wx + sn * wy) - PUSHER_HALF_A, ly = fabs(-sn * wx + c * wy) - PUSHER_HALF_B;
  return hypot(fmax(lx, 0), fmax(ly, 0));
}

/* Does the pusher's straight path from p to q keep clear of the box? */
static int path_clear(const double pose[3], const double *p, const double *q) {
  for (int i = 0; i <= 16; i++) {
    double s = i / 16.0, m[2] = {p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1])};
    if (box_dist(pose, m) < PUSHER_RADIUS + PS_CLEAR) return 0;
  }
  return 1;
}

/* A new push against the box at pose. */
static void draw_push(push_script *s, const double pose[3], sgp_rng *r) {
  int side = (int)sgp_rng_below(r, 4);                  /* +x, −x, +y, −y faces */
  double nb[2] = {side == 0 ? 1 : side == 1 ? -1 : 0, side == 2 ? 1 : side == 3 ? -1 : 0}; /* outward normal */
  double depth = side < 2 ? PUSHER_HALF_A : PUSHER_HALF_B, half = side < 2 ? PUSHER_HALF_B : PUSHER_HALF_A;
  double off = s->offset * half * (2 * sgp_rng_uniform(r) - 1);
  double tb[2] = {-nb[1], nb[0]};
  double lx = nb[0] * (depth + PUSHER_RADIUS + s->standoff) + tb[0] * off;
  double ly = nb[1] * (depth + PUSHER_RADIUS + s->standoff) + tb[1] * off;
  double c = cos(pose[2]), sn = sin(pose[2]);
  s->goal[0] = pose[0] + c * lx - sn * ly;
  s->goal[1] = pose[1] + sn * lx + c * ly;
  double phi = s->angle * (2 * sgp_rng_uniform(r) - 1);
  double dx = -(c * nb[0] - sn * nb[1]), dy = -(sn * nb[0] + c * nb[1]); /* inward normal, world */
  s->dir[0] = cos(phi) * dx - sin(phi) * dy;
  s->dir[1] = sin(phi) * dx + cos(phi) * dy;
  s->left = (int)(s->steps_lo + (long)sgp_rng_below(r, (uint64_t)(s->steps_hi - s->steps_lo + 1)));
  s->speed = s->speed_lo + (s->speed_hi - s->speed_lo) * sgp_rng_uniform(r);
  s->phase = PS_APPROACH;
  s->age = 0;
}

/* The next waypoint towards the stand-off point: straight if clear, else around the box. */
static void waypoint(const push_script *s, const double pose[3], const double *p, double *w) {
  if (path_clear(pose, p, s->goal)) {
    w[0] = s->goal[0], w[1] = s->goal[1];
    return;
  }
  double R = hypot(PUSHER_HALF_A, PUSHER_HALF_B) + PUSHER_RADIUS + 2 * PS_CLEAR;
  double vx = p[0] - pose[0], vy = p[1] - pose[1], rho = hypot(vx, vy);
  if (rho < R - PS_CLEAR) { /* radially out first */
    double k = rho > 0 ? R / rho : 0;
    w[0] = pose[0] + (rho > 0 ? vx * k : R);
    w[1] = pose[1] + vy * k;
    return;
  }
  double a = atan2(vy, vx), g = atan2(s->goal[1] - pose[1], s->goal[0] - pose[0]);
  double d = remainder(g - a, 2 * M_PI), step = fmin(fabs(d), 0.5);
  a += d < 0 ? -step : step;
  w[0] = pose[0] + R * cos(a);
  w[1] = pose[1] + R * sin(a);
}

void ds_push_script_act(void *self, const sgp_env *env, const double *x, sgp_rng *rng, double *a) {
  push_script *s = self;
  const double umax = env->spec.u_hi[0];
  double pose[3];
  env_pusher_fit(x, pose);
  const double *p = x + 10;
  if (s->phase == PS_NEW) draw_push(s, pose, rng);
  if (s->phase == PS_APPROACH && (hypot(s->goal[0] - p[0], s->goal[1] - p[1]) < 0.002 || s->age >= PS_MAX_APPROACH)) {
    if (s->age >= PS_MAX_APPROACH) draw_push(s, pose, rng);
    else s->phase = PS_PUSH;
  }
  if (s->phase == PS_APPROACH) {
    double w[2];
    waypoint(s, pose, p, w);
    double vx = w[0] - p[0], vy = w[1] - p[1], m = fmax(fabs(vx), fabs(vy));
    double k = m > umax ? umax / m : 1; /* shortened along the path, not clipped per axis */
    a[0] = k * vx;
    a[1] = k * vy;
    s->age++;
  } else {
    a[0] = s->speed * s->dir[0];
    a[1] = s->speed * s->dir[1];
    if (--s->left <= 0) s->phase = PS_NEW;
  }
  for (int i = 0; i < 2; i++) {
    a[i] += s->noise * sgp_rng_normal(rng);
    a[i] = a[i] < -umax ? -umax : a[i] > umax ? umax : a[i];
  }
}
