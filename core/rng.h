/* Random numbers: seeded generators split into named streams (core/rng.c). */
#ifndef SGP_CORE_RNG_H
#define SGP_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* xoshiro256** seeded by splitmix64. Streams are derived from one job seed and a name, so that
 * adding a consumer never shifts the numbers another consumer sees. */

typedef struct sgp_rng {
  uint64_t s[4];
  int have_spare; /* Box-Muller keeps its second sample */
  double spare;
} sgp_rng;

void sgp_rng_seed(sgp_rng *r, uint64_t seed);
/* Independent named stream: seed mixed with a 64-bit hash of `name` ("data", "init", "noise", ...). */
void sgp_rng_stream(sgp_rng *r, uint64_t seed, const char *name);
/* Child stream number `index` of a parent (per episode, per thread, per member); parent unchanged. */
void sgp_rng_child(sgp_rng *out, const sgp_rng *parent, uint64_t index);
uint64_t sgp_rng_u64(sgp_rng *r);
double sgp_rng_uniform(sgp_rng *r);            /* [0, 1), 53 random bits */
double sgp_rng_normal(sgp_rng *r);             /* N(0, 1), Box-Muller */
/* z[i] = (float)(scale[i] · N_i) (scale NULL: (float)N_i) for the next n normals N_i of r: the same
 * floats, and the same state of r after, as n calls of sgp_rng_normal; several times faster. */
void sgp_rng_normal_f(sgp_rng *r, float *z, const double *scale, size_t n);
/* The Box–Muller pairs of m uniform pairs (u1 in (0, 1), u2 in [0, 1)), scaled and rounded:
 * z[2p] = (float)(scale[2p] · ρ cos θ), z[2p+1] = (float)(scale[2p+1] · ρ sin θ), ρ = √(−2 log u1),
 * θ = 2π u2, each product rounded in double as sgp_rng_normal does, then to float. */
void sgp_box_muller_f(const double *u1, const double *u2, const double *scale, float *z, size_t m);
uint64_t sgp_rng_below(sgp_rng *r, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */
void sgp_rng_fill_uniform(sgp_rng *r, float *x, size_t n, float lo, float hi);
void sgp_rng_fill_normal(sgp_rng *r, float *x, size_t n, float mean, float std);
void sgp_rng_permutation(sgp_rng *r, int *perm, int n); /* Fisher-Yates over 0..n-1 */
/* 64-bit FNV-1a, used to name streams and content-address artefacts. */
uint64_t sgp_hash64(const void *data, size_t n, uint64_t h0);

#ifdef __cplusplus
}
#endif
#endif
