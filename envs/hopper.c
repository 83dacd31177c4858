/* hopper: Gymnasium's Hopper-v4, a one-legged planar hopper that must hop forward (envs/hopper.xml,
 * docs/environments.md). State = observation (11): rootz, rooty, thigh, leg, foot angles, then the
 * six velocities (rootx first) clipped to ±10. Action (3): torques on thigh, leg, foot in [−1, 1].
 *
 * Sources of every number (read with the reference tools, facts only):
 *   [X] openai/gym gym/envs/mujoco/assets/hopper.xml (the model Gymnasium v4 loads);
 *   [P] Farama-Foundation/Gymnasium gymnasium/envs/mujoco/hopper_v4.py;
 *   [R] Gymnasium's registration of Hopper-v4: max_episode_steps = 1000;
 *   [D] Farama-Foundation/D4RL d4rl/infos.py, HOPPER_RANDOM_SCORE / HOPPER_EXPERT_SCORE;
 *   [S] our own, measured by `sgp train policy` policies (docs/environments.md). */
#include "envs/locomotion.h"

const loco_task env_hopper_task = {
    .name = "hopper",
    .xml = "hopper.xml",
    .euler = 0,          /* [X] option integrator="RK4" */
    .timestep = 0.002,   /* [X] option timestep="0.002" */
    .frame_skip = 4,     /* [P] MujocoEnv.__init__(self, "hopper.xml", 4, ...): dt = 0.008 s */
    .T = 1000,           /* [R] */
    .forward_weight = 1.0,     /* [P] forward_reward_weight=1.0 */
    .ctrl_cost_weight = 1e-3,  /* [P] ctrl_cost_weight=1e-3 */
    .healthy_reward = 1.0,     /* [P] healthy_reward=1.0, paid on every step (terminate_when_unhealthy=True) */
    .terminates = 1,           /* [P] terminate_when_unhealthy=True */
    .z_lo = 0.7,               /* [P] healthy_z_range=(0.7, inf) on qpos[1] */
    .z_hi = INFINITY,
    .angle_lo = -0.2,          /* [P] healthy_angle_range=(-0.2, 0.2) on qpos[2] */
    .angle_hi = 0.2,
    .has_state_range = 1,      /* [P] healthy_state_range=(-100, 100) on state_vector()[2:] */
    .state_lo = -100,
    .state_hi = 100,
    .vel_clip = 10,            /* [P] _get_obs: np.clip(qvel, -10, 10) */
    .reset_noise = 5e-3,       /* [P] reset_noise_scale=5e-3, uniform on qpos and on qvel */
    .qvel_normal = 0,
    .d4rl_random = -20.272305, /* [D] */
    .d4rl_expert = 3234.3,     /* [D] */
    .own_random = 22.872294816383938, /* [S] 20 uniform-action episodes (tests/test_policies.c) */
    .own_expert = 3403.3892660262363, /* [S] datasets/policies/hopper-expert, 20 episodes */
    /* [X] geoms: capsule radius (size) and the half-length of its fromto segment */
    .ncapsule = 4,
    .capsules = {{"torso_geom", "torso", 0.05, 0.2},   /* fromto z 1.45 → 1.05 */
                 {"thigh_geom", "thigh", 0.05, 0.225}, /* fromto z 1.05 → 0.6 */
                 {"leg_geom", "leg", 0.04, 0.25},      /* fromto z 0.6 → 0.1 */
                 {"foot_geom", "foot", 0.06, 0.195}},  /* fromto x −0.13 → 0.26 */
    /* [X] hinge anchors (global pos): rooty z 1.25, thigh 1.05, leg 0.6, foot (0, 0.1) */
    .nlink = 3,
    .links = {{"rooty", "thigh_joint", 0, -0.2}, {"thigh_joint", "leg_joint", 0, -0.45}, {"leg_joint", "foot_joint", 0, -0.5}},
    .density = 1000,           /* MuJoCo's default geom density; [X] sets none */
    .total_mass = 0,
    .nact = 3,
    .act_joint = {"thigh_joint", "leg_joint", "foot_joint"},
    .gear = {200, 200, 200},   /* [X] motor gear="200.0" */
    .joint_lo = {-150 * M_PI / 180, -150 * M_PI / 180, -45 * M_PI / 180}, /* [X] range="-150 0", "-45 45" (degrees) */
    .joint_hi = {0, 0, 45 * M_PI / 180},
};

static int hopper_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  return env_loco_make(&env_hopper_task, &env_hopper_vt, cfg, out, e);
}

const env_vt env_hopper_vt = {
    .name = "hopper",
    .summary = "Gymnasium Hopper-v4: planar hopper, obs 11, 3 torques, 1000 steps, ends when it falls",
    .create = hopper_create,
};
