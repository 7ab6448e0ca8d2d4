/* parallel.h — run a function over [0, n) on a few short-lived threads (training, computing a catalog's
 * vectors). Items are split round-robin; fn gets its thread number (< threads) for per-thread scratch.
 * When a thread cannot be started, the caller's thread runs its share, so every item runs exactly once.
 * No global state. (Long-lived, latency-sensitive work uses src/kernels/threadpool.h instead.) */
#ifndef SR_PARALLEL_H
#define SR_PARALLEL_H

#include <stddef.h>

#define SR_PARALLEL_MAX_THREADS 64

/* threads is clamped to 1..SR_PARALLEL_MAX_THREADS; 0 or less = the number of online cores. */
int sr_parallel_threads(int threads);
void sr_parallel_run(int threads, size_t n, void (*fn)(void *ctx, size_t i, int tid), void *ctx);

#endif
