/* The pusher environment's geometry (envs/pusher.c), for the code that needs to read its states:
 * the scripted pushes of datasets/push_script.c. Layout of a state x (12): the five keypoints of
 * the box, each (x, y) in the world, then the pusher's centre (x, y):
 *   x[0..1]  corner (+a, +b)     x[2..3] corner (−a, +b)     x[4..5] corner (−a, −b)
 *   x[6..7]  corner (+a, −b)     x[8..9] centre              x[10..11] pusher
 * in the box's own frame (a, b) = half of the footprint 0.0867 × 0.1703 m; a box pose (cx, cy, θ)
 * puts keypoint k at (cx, cy) + R(θ)·q_k. */
#ifndef SGP_PUSHER_H
#define SGP_PUSHER_H

#include "envs/env.h"

#define PUSHER_NK 5            /* keypoints */
#define PUSHER_HALF_A 0.04335  /* half of the box's width 0.0867 m (its own x) */
#define PUSHER_HALF_B 0.08515  /* half of the box's length 0.1703 m (its own y) */
#define PUSHER_RADIUS 0.02     /* the pusher's radius (m) */

/* The keypoint template q (5 × 2, the box frame, centred: Σ q_k = 0). */
extern const double env_pusher_template[PUSHER_NK][2];

/* 1 if env is the pusher environment (the scripted pushes read its states). */
int env_is_pusher(const sgp_env *env);
/* The five keypoints (10 values, layout above) of the box at pose (cx, cy, θ). */
void env_pusher_keypoints(const double pose[3], double *kp);
/* The best rigid placement of the template onto the keypoints kp (10 values): pose (cx, cy, θ),
 * θ in (−π, π]. Returns the RMS distance of the keypoints from it (0 for a rigid placement):
 * sqrt(min over rigid motions of (1/5)·Σ_k ‖kp_k − (c + R(θ) q_k)‖²), in closed form (2-D Kabsch). */
double env_pusher_fit(const double *kp, double pose[3]);

#endif
