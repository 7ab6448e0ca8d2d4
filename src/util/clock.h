/* clock.h — monotonic wall-clock seconds, for timings, deadlines and progress estimates. No state;
 * the one definition every module uses. */
#ifndef SR_CLOCK_H
#define SR_CLOCK_H

#include <time.h>

static inline double sr_clock_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The same clock in milliseconds (per-query timings). */
static inline double sr_clock_ms(void) { return sr_clock_s() * 1e3; }

#endif
