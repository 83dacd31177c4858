/* halfcheetah: Gymnasium's HalfCheetah-v4, a planar cheetah that must run forward
 * (envs/halfcheetah.xml, docs/environments.md). State = observation (17): rootz, rooty, the six leg
 * angles (back thigh, shin, foot, then front), then the nine velocities (rootx first), unclipped.
 * Action (6): torques on the six hinges in [−1, 1]. Episodes never terminate early.
 *
 * Sources of every number (read with the reference tools, facts only):
 *   [X] openai/gym gym/envs/mujoco/assets/half_cheetah.xml (the model Gymnasium v4 loads);
 *   [P] Farama-Foundation/Gymnasium gymnasium/envs/mujoco/half_cheetah_v4.py;
 *   [R] Gymnasium's registration of HalfCheetah-v4: max_episode_steps = 1000;
 *   [D] Farama-Foundation/D4RL d4rl/infos.py, HALFCHEETAH_RANDOM_SCORE / HALFCHEETAH_EXPERT_SCORE;
 *   [S] our own, measured by `sgp train policy` policies (docs/environments.md). */
#include "envs/locomotion.h"

const loco_task env_halfcheetah_task = {
    .name = "halfcheetah",
    .xml = "halfcheetah.xml",
    .euler = 1,          /* [X] no integrator attribute: MuJoCo's default, Euler */
    .timestep = 0.01,    /* [X] option timestep="0.01" */
    .frame_skip = 5,     /* [P] MujocoEnv.__init__(self, "half_cheetah.xml", 5, ...): dt = 0.05 s */
    .T = 1000,           /* [R] */
    .forward_weight = 1.0,     /* [P] forward_reward_weight=1.0 */
    .ctrl_cost_weight = 0.1,   /* [P] ctrl_cost_weight=0.1 */
    .healthy_reward = 0,       /* [P] no healthy reward */
    .terminates = 0,           /* [P] terminated = False */
    .vel_clip = 0,             /* [P] _get_obs: qvel unclipped */
    .reset_noise = 0.1,        /* [P] reset_noise_scale=0.1: qpos + U(-0.1, 0.1), qvel 0.1·N(0, 1) */
    .qvel_normal = 1,
    .d4rl_random = -280.178953, /* [D] */
    .d4rl_expert = 12135.0,     /* [D] */
    .own_random = -280.95435712004286, /* [S] 20 uniform-action episodes (tests/test_policies.c) */
    .own_expert = 3224.3033861071804, /* [S] datasets/policies/halfcheetah-expert, 20 episodes */
    /* [X] geoms: capsule radius (size) and half-length (size, or half the fromto segment) */
    .ncapsule = 8,
    .capsules = {{"torso", "torso", 0.046, 0.5}, /* fromto "-.5 0 0 .5 0 0" */
                 {"head", "torso", 0.046, 0.15},
                 {"bthigh", "bthigh", 0.046, 0.145},
                 {"bshin", "bshin", 0.046, 0.15},
                 {"bfoot", "bfoot", 0.046, 0.094},
                 {"fthigh", "fthigh", 0.046, 0.133},
                 {"fshin", "fshin", 0.046, 0.106},
                 {"ffoot", "ffoot", 0.046, 0.07}},
    /* [X] body positions (each hinge sits at its body's origin) */
    .nlink = 6,
    .links = {{"rooty", "bthigh", -0.5, 0}, {"bthigh", "bshin", 0.16, -0.25}, {"bshin", "bfoot", -0.28, -0.14},
              {"rooty", "fthigh", 0.5, 0}, {"fthigh", "fshin", -0.14, -0.24}, {"fshin", "ffoot", 0.13, -0.18}},
    .density = 0,
    .total_mass = 14,           /* [X] compiler settotalmass="14" */
    .nact = 6,
    .act_joint = {"bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot"},
    .gear = {120, 90, 60, 120, 60, 30}, /* [X] motor gears */
    .joint_lo = {-0.52, -0.785, -0.4, -1, -1.2, -0.5}, /* [X] joint ranges (radians) */
    .joint_hi = {1.05, 0.785, 0.785, 0.7, 0.87, 0.5},
};

static int halfcheetah_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  return env_loco_make(&env_halfcheetah_task, &env_halfcheetah_vt, cfg, out, e);
}

const env_vt env_halfcheetah_vt = {
    .name = "halfcheetah",
    .summary = "Gymnasium HalfCheetah-v4: planar cheetah, obs 17, 6 torques, 1000 steps",
    .create = halfcheetah_create,
};
