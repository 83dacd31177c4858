/* The registered environments: one line each, ENV_ENTRY(NAME) for `const env_vt env_NAME_vt`
 * defined in envs/NAME.c (docs/adding-an-environment.md). envs/env_registry.c includes this file
 * twice, once to declare the entries and once to list them, in this order. */
ENV_ENTRY(point)
ENV_ENTRY(cartpole)
ENV_ENTRY(pixels)
ENV_ENTRY(halfcheetah)
ENV_ENTRY(hopper)
ENV_ENTRY(walker2d)
ENV_ENTRY(pendulum)
ENV_ENTRY(pusher)
