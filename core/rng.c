/* Seeded random numbers: xoshiro256** (Blackman & Vigna) seeded through splitmix64.
 * Named streams hash the name into the seed, so consumers never shift each other's numbers. */
#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sgp_hash64(const void *data, size_t n, uint64_t h0) {
  const unsigned char *p = data;
  uint64_t h = h0 ? h0 : 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void sgp_rng_seed(sgp_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  r->have_spare = 0;
  r->spare = 0;
}

void sgp_rng_stream(sgp_rng *r, uint64_t seed, const char *name) {
  uint64_t h = 0;
  for (const char *p = name; *p; p++) h = sgp_hash64(p, 1, h);
  uint64_t x = seed ^ 0x5851f42d4c957f2dULL;
  uint64_t mixed = splitmix64(&x) ^ h;
  sgp_rng_seed(r, mixed);
}

void sgp_rng_child(sgp_rng *out, const sgp_rng *parent, uint64_t index) {
  uint64_t x = parent->s[0] ^ rotl(parent->s[1], 17) ^ rotl(parent->s[2], 31) ^ rotl(parent->s[3], 47);
  x ^= splitmix64(&index) + 0x2545f4914f6cdd1dULL;
  sgp_rng_seed(out, x);
}

uint64_t sgp_rng_u64(sgp_rng *r) {
  uint64_t *s = r->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double sgp_rng_uniform(sgp_rng *r) { return (double)(sgp_rng_u64(r) >> 11) * 0x1.0p-53; }

double sgp_rng_normal(sgp_rng *r) {
  if (r->have_spare) {
    r->have_spare = 0;
    return r->spare;
  }
  double u1, u2;
  do u1 = sgp_rng_uniform(r); while (u1 <= 0.0);
  u2 = sgp_rng_uniform(r);
  double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
  r->spare = rad * sin(th);
  r->have_spare = 1;
  return rad * cos(th);
}

uint64_t sgp_rng_below(sgp_rng *r, uint64_t n) {
  /* rejection from the top of the range: unbiased */
  uint64_t lim = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = sgp_rng_u64(r); while (x >= lim);
  return x % n;
}

void sgp_rng_fill_uniform(sgp_rng *r, float *x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * sgp_rng_uniform(r));
}

void sgp_rng_fill_normal(sgp_rng *r, float *x, size_t n, float mean, float std) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(mean + std * sgp_rng_normal(r));
}

void sgp_rng_permutation(sgp_rng *r, int *perm, int n) {
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)sgp_rng_below(r, (uint64_t)i + 1);
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}
