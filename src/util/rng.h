/* rng.h — a small seeded pseudo-random generator (splitmix64 seeding xoshiro256**), for training and
 * sampling: the same seed gives the same sequence on every machine. State lives in the caller's struct
 * (no global state). */
#ifndef SR_RNG_H
#define SR_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct sr_rng {
  uint64_t s[4];
} sr_rng;

static inline uint64_t sr_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline void sr_rng_seed(sr_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = sr_splitmix64(&seed);
}

static inline uint64_t sr_rng_next(sr_rng *r) {
  uint64_t *s = r->s;
  uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return result;
}

/* Uniform in [0, n) (n > 0; the tiny modulo bias is irrelevant for sampling). */
static inline uint64_t sr_rng_below(sr_rng *r, uint64_t n) { return sr_rng_next(r) % n; }

/* Uniform in [0, 1). */
static inline double sr_rng_unit(sr_rng *r) { return (double)(sr_rng_next(r) >> 11) * 0x1.0p-53; }

/* Standard normal (Box-Muller). */
static inline double sr_rng_normal(sr_rng *r) {
  double u = sr_rng_unit(r), v = sr_rng_unit(r);
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

#endif
