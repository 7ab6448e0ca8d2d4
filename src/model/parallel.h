/* parallel.h — a minimal fork/join parallel-for over pthreads (threads started per call). */
#ifndef SR_MODEL_PARALLEL_H
#define SR_MODEL_PARALLEL_H

#include <stddef.h>

/* Work function: handles items [begin, end) of the range; `ctx` is shared by all threads. */
typedef void (*sr_range_fn)(void *ctx, size_t begin, size_t end);

/* Splits [0, n) into at most `n_threads` contiguous chunks (at least `min_chunk` items each) and runs
 * fn on each, the calling thread taking the first chunk; returns when all are done. Falls back to a
 * serial call when n_threads <= 1, the range is small, or a thread cannot be started. */
void sr_model_parallel_for(size_t n, int n_threads, size_t min_chunk, sr_range_fn fn, void *ctx);

/* Number of online CPUs (at least 1). */
int sr_cpu_count(void);

#endif
