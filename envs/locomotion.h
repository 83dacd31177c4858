/* The planar locomotion tasks (halfcheetah, hopper, walker2d): what they share.
 *
 * Each task is one table (`loco_task`) in its own file (envs/halfcheetah.c, hopper.c, walker2d.c)
 * that states every number of the Gymnasium v4 task it reproduces, with the source of each; the
 * machinery here turns a table into an environment. tests/test_env_locomotion.c checks the
 * compiled MuJoCo models against the same tables (the "hidden-shape" check).
 *
 * State and observation: the model's joints are rootx, rootz, rooty, then the leg hinges; the
 * state x is the task's observation, qpos without rootx followed by qvel (clipped to ±vel_clip for
 * hopper and walker2d): nx = nq − 1 + nv. Root velocity ẋ is x[nq − 1].
 * set_state(x) puts qpos[1:], qvel from x and keeps the current rootx (the dynamics do not depend
 * on it); a clipped velocity is restored clipped. Exact states are restored from qpos and qvel
 * (env_set_sim_state), which datasets of these tasks store.
 */
#ifndef SGP_LOCOMOTION_H
#define SGP_LOCOMOTION_H

#include "envs/env_private.h"

#define LOCO_MAX_GEOM 12
#define LOCO_MAX_ACT 6
#define LOCO_MAX_NX 31 /* nq − 1 + nv with nq = nv ≤ 16 */

/* A link: the offset (x, z) from one hinge's anchor to the next one's in the rest pose. */
typedef struct loco_link {
  const char *from, *to; /* joint names */
  double dx, dz;
} loco_link;

/* One capsule of the body (the hidden-shape facts). */
typedef struct loco_capsule {
  const char *geom, *body; /* names in the XML */
  double radius;
  double half_length;      /* half the segment length between the two hemisphere centres */
} loco_capsule;

typedef struct loco_task {
  const char *name, *xml;
  /* integration */
  int euler;               /* 1: Euler, 0: RK4 */
  double timestep;         /* MuJoCo timestep (s) */
  int frame_skip;          /* MuJoCo steps per control period */
  int T;                   /* episode length */
  /* reward: forward_weight·Δx/dt + healthy_reward − ctrl_cost_weight·‖u‖² */
  double forward_weight, ctrl_cost_weight, healthy_reward;
  /* termination (terminates = 0: never); healthy iff all strict inequalities hold */
  int terminates;
  double z_lo, z_hi;           /* rootz (qpos[1]) */
  double angle_lo, angle_hi;   /* rooty (qpos[2]) */
  int has_state_range;         /* hopper: qpos[2:] and qvel inside (state_lo, state_hi) */
  double state_lo, state_hi;
  double vel_clip;             /* observation clips qvel to ±vel_clip; 0: no clipping */
  /* reset: qpos = qpos0 + U(−s, s); qvel = U(−s, s), or s·N(0, 1) if qvel_normal */
  double reset_noise;
  int qvel_normal;
  /* references for the normalised score: D4RL's (random / expert) and ours */
  double d4rl_random, d4rl_expert;
  double own_random, own_expert;
  /* the hidden-shape facts */
  int ncapsule;
  loco_capsule capsules[LOCO_MAX_GEOM];
  int nlink;
  loco_link links[LOCO_MAX_GEOM];
  double density;              /* geom density (kg/m³), when total_mass is 0 */
  double total_mass;           /* settotalmass (kg), 0: none */
  int nact;
  const char *act_joint[LOCO_MAX_ACT];
  double gear[LOCO_MAX_ACT];
  double joint_lo[LOCO_MAX_ACT], joint_hi[LOCO_MAX_ACT]; /* ranges of the actuated hinges (rad) */
} loco_task;

/* Builds the environment of task t from cfg (keys: "reference": "d4rl" (default) or "sgpbench",
 * which pair of reference returns the spec carries). */
int env_loco_make(const loco_task *t, const env_vt *vt, sgp_cfg *cfg, sgp_env **out, sgp_err *e);
/* The task table of a locomotion environment by name, NULL for another environment. */
const loco_task *env_loco_task(const char *name);
/* 1 if observation x (nx) would end the episode: the healthy test on what the observation holds
 * (its velocities are clipped, so a velocity beyond ±100 on hopper is not seen). */
int env_loco_unhealthy(const loco_task *t, int nx, const double *x);

extern const loco_task env_halfcheetah_task, env_hopper_task, env_walker2d_task;

#endif
