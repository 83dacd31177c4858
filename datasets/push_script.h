/* The behaviour policy "push_script" of datasets/behaviour.c: randomised scripted pushes for the
 * pusher environment (docs/datasets.md, docs/environments.md). It reads the box pose and the
 * pusher from the state (envs/pusher.h) and repeats: pick a side of the box and an offset along it
 * at random, go to a stand-off point in front of it (around the box, never through it), push
 * towards the box for a random number of steps at a random speed and direction, with Gaussian noise
 * on every action. */
#ifndef SGP_PUSH_SCRIPT_H
#define SGP_PUSH_SCRIPT_H

#include "datasets/dataset.h"

int ds_push_script_create(sgp_cfg *cfg, const sgp_env *env, void **self, sgp_err *e);
void ds_push_script_destroy(void *self);
void ds_push_script_reset(void *self, const double *x0);
void ds_push_script_act(void *self, const sgp_env *env, const double *x, sgp_rng *rng, double *a);

#endif
