/* walker2d: Gymnasium's Walker2d-v4, a planar biped that must walk forward (envs/walker2d.xml,
 * docs/environments.md). State = observation (17): rootz, rooty, the six leg angles (right thigh,
 * leg, foot, then left), then the nine velocities (rootx first) clipped to ±10. Action (6): torques
 * on the six hinges in [−1, 1].
 *
 * Sources of every number (read with the reference tools, facts only):
 *   [X] openai/gym gym/envs/mujoco/assets/walker2d.xml (the model Gymnasium v4 loads);
 *   [P] Farama-Foundation/Gymnasium gymnasium/envs/mujoco/walker2d_v4.py;
 *   [R] Gymnasium's registration of Walker2d-v4: max_episode_steps = 1000;
 *   [D] Farama-Foundation/D4RL d4rl/infos.py, WALKER_RANDOM_SCORE / WALKER_EXPERT_SCORE;
 *   [S] our own, measured by `sgp train policy` policies (docs/environments.md). */
#include "envs/locomotion.h"

const loco_task env_walker2d_task = {
    .name = "walker2d",
    .xml = "walker2d.xml",
    .euler = 0,          /* [X] option integrator="RK4" */
    .timestep = 0.002,   /* [X] option timestep="0.002" */
    .frame_skip = 4,     /* [P] MujocoEnv.__init__(self, "walker2d.xml", 4, ...): dt = 0.008 s */
    .T = 1000,           /* [R] */
    .forward_weight = 1.0,     /* [P] forward_reward_weight=1.0 */
    .ctrl_cost_weight = 1e-3,  /* [P] ctrl_cost_weight=1e-3 */
    .healthy_reward = 1.0,     /* [P] healthy_reward=1.0, paid on every step (terminate_when_unhealthy=True) */
    .terminates = 1,           /* [P] terminate_when_unhealthy=True */
    .z_lo = 0.8,               /* [P] healthy_z_range=(0.8, 2.0) on qpos[1] */
    .z_hi = 2.0,
    .angle_lo = -1.0,          /* [P] healthy_angle_range=(-1.0, 1.0) on qpos[2] */
    .angle_hi = 1.0,
    .has_state_range = 0,
    .vel_clip = 10,            /* [P] _get_obs: np.clip(qvel, -10, 10) */
    .reset_noise = 5e-3,       /* [P] reset_noise_scale=5e-3, uniform on qpos and on qvel */
    .qvel_normal = 0,
    .d4rl_random = 1.629008,   /* [D] */
    .d4rl_expert = 4592.3,     /* [D] */
    .own_random = 3.1350519104593566, /* [S] 20 uniform-action episodes (tests/test_policies.c) */
    .own_expert = 1702.9831734314016, /* [S] datasets/policies/walker2d-expert, 20 episodes */
    /* [X] geoms: capsule radius (size) and the half-length of its fromto segment */
    .ncapsule = 7,
    .capsules = {{"torso_geom", "torso", 0.05, 0.2},             /* fromto z 1.45 → 1.05 */
                 {"thigh_geom", "thigh", 0.05, 0.225},           /* fromto z 1.05 → 0.6 */
                 {"leg_geom", "leg", 0.04, 0.25},                /* fromto z 0.6 → 0.1 */
                 {"foot_geom", "foot", 0.06, 0.1},               /* fromto x 0 → 0.2 */
                 {"thigh_left_geom", "thigh_left", 0.05, 0.225}, /* the left leg: the same numbers */
                 {"leg_left_geom", "leg_left", 0.04, 0.25},
                 {"foot_left_geom", "foot_left", 0.06, 0.1}},
    /* [X] hinge anchors (global pos): rooty z 1.25, thighs 1.05, legs 0.6, feet (0, 0.1) */
    .nlink = 6,
    .links = {{"rooty", "thigh_joint", 0, -0.2}, {"thigh_joint", "leg_joint", 0, -0.45},
              {"leg_joint", "foot_joint", 0, -0.5}, {"rooty", "thigh_left_joint", 0, -0.2},
              {"thigh_left_joint", "leg_left_joint", 0, -0.45}, {"leg_left_joint", "foot_left_joint", 0, -0.5}},
    .density = 1000,           /* [X] default geom density="1000" */
    .total_mass = 0,
    .nact = 6,
    .act_joint = {"thigh_joint", "leg_joint", "foot_joint", "thigh_left_joint", "leg_left_joint", "foot_left_joint"},
    .gear = {100, 100, 100, 100, 100, 100}, /* [X] motor gear="100" */
    .joint_lo = {-150 * M_PI / 180, -150 * M_PI / 180, -45 * M_PI / 180, -150 * M_PI / 180, -150 * M_PI / 180,
                 -45 * M_PI / 180}, /* [X] range="-150 0", "-45 45" (degrees) */
    .joint_hi = {0, 0, 45 * M_PI / 180, 0, 0, 45 * M_PI / 180},
};

static int walker2d_create(sgp_cfg *cfg, sgp_env **out, sgp_err *e) {
  return env_loco_make(&env_walker2d_task, &env_walker2d_vt, cfg, out, e);
}

const env_vt env_walker2d_vt = {
    .name = "walker2d",
    .summary = "Gymnasium Walker2d-v4: planar biped, obs 17, 6 torques, 1000 steps, ends when it falls",
    .create = walker2d_create,
};
