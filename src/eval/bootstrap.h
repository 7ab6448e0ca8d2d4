/* bootstrap.h — a seeded random generator and percentile-bootstrap confidence intervals.
 *
 * The generator is splitmix64 (state += 0x9E3779B97F4A7C15, then the standard mix), so a Python
 * reference can reproduce every draw exactly. sr_rng_below(r, n) is next() % n (the tiny modulo bias,
 * < n / 2^64, is irrelevant here and keeps the scheme easy to reproduce).
 *
 * Percentile bootstrap of the mean of x[0..n): B resamples; resample b draws n indices
 * sr_rng_below(rng, n) in order (all of resample 0, then resample 1, ...) from a generator seeded
 * with `seed`, and takes the mean. The interval is the (alpha/2, 1 - alpha/2) quantiles of the B means,
 * quantiles computed as numpy's default ("linear", type 7): q(p) = v[f] + (v[f+1] - v[f]) * (h - f),
 * h = p * (B - 1), f = floor(h), over the sorted means v.
 * No allocation failure is possible without `scratch`; callers pass B doubles of scratch.
 */
#ifndef SR_EVAL_BOOTSTRAP_H
#define SR_EVAL_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sr_rng {
  uint64_t state;
} sr_rng;

void sr_rng_seed(sr_rng *r, uint64_t seed);
uint64_t sr_rng_next(sr_rng *r);
/* A value in [0, n); n > 0. */
uint64_t sr_rng_below(sr_rng *r, uint64_t n);
/* Fisher–Yates shuffle of v[0..n) (i from n-1 down to 1 swaps v[i] and v[below(i+1)]). */
void sr_rng_shuffle_u32(sr_rng *r, uint32_t *v, size_t n);

typedef struct sr_ci {
  double mean, lo, hi;
  size_t n;
} sr_ci;

/* Percentile-bootstrap CI of the mean of x[0..n) at level 1 - alpha (alpha = 0.05 for 95%).
 * scratch holds at least B doubles. n == 0 gives mean = lo = hi = NaN; B == 0 gives lo = hi = mean. */
sr_ci sr_bootstrap_mean_ci(const double *x, size_t n, size_t B, uint64_t seed, double alpha, double *scratch);

/* The type-7 quantile of sorted v[0..n), n > 0, p in [0, 1]. */
double sr_quantile_sorted(const double *v, size_t n, double p);

#endif
