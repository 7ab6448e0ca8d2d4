/* bootstrap.c — splitmix64 and the percentile bootstrap (see bootstrap.h). */
#include "eval/bootstrap.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

void sr_rng_seed(sr_rng *r, uint64_t seed) { r->state = seed; }

uint64_t sr_rng_next(sr_rng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t sr_rng_below(sr_rng *r, uint64_t n) {
  assert(n > 0);
  return sr_rng_next(r) % n;
}

void sr_rng_shuffle_u32(sr_rng *r, uint32_t *v, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)sr_rng_below(r, i);
    uint32_t t = v[i - 1];
    v[i - 1] = v[j];
    v[j] = t;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double sr_quantile_sorted(const double *v, size_t n, double p) {
  assert(n > 0 && p >= 0 && p <= 1);
  double h = p * (double)(n - 1);
  size_t f = (size_t)floor(h);
  if (f + 1 >= n) return v[n - 1];
  return v[f] + (v[f + 1] - v[f]) * (h - (double)f);
}

sr_ci sr_bootstrap_mean_ci(const double *x, size_t n, size_t B, uint64_t seed, double alpha, double *scratch) {
  assert(alpha > 0 && alpha < 1);
  sr_ci ci = {NAN, NAN, NAN, n};
  if (n == 0) return ci;
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += x[i];
  ci.mean = sum / (double)n;
  ci.lo = ci.hi = ci.mean;
  if (B == 0) return ci;
  assert(scratch);
  sr_rng r;
  sr_rng_seed(&r, seed);
  for (size_t b = 0; b < B; b++) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[sr_rng_below(&r, n)];
    scratch[b] = s / (double)n;
  }
  qsort(scratch, B, sizeof *scratch, cmp_double);
  ci.lo = sr_quantile_sorted(scratch, B, alpha / 2);
  ci.hi = sr_quantile_sorted(scratch, B, 1 - alpha / 2);
  return ci;
}
