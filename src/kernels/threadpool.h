/* threadpool.h — a persistent fork/join thread pool for the compute kernels.
 *
 * The pool is created once (threads start then and sleep when idle); each sr_parallel_for() call wakes
 * them, runs the work and returns when all of it is done. No thread is created per call. The calling
 * thread takes part as worker 0, so a pool of size 2 starts one extra thread.
 *
 * Thread safety: sr_parallel_for() may be called from several threads; calls are serialised by an
 * internal lock. It must NOT be called from inside a task running on the same pool (deadlock).
 * Idle workers spin briefly (a few microseconds) after a job, then block on a condition variable, so
 * back-to-back calls are cheap and an idle pool costs no CPU. */
#ifndef SR_KERNELS_THREADPOOL_H
#define SR_KERNELS_THREADPOOL_H

#include <stddef.h>

#include "util/status.h"

typedef struct sr_threadpool sr_threadpool;

/* A task runs items [begin, end) of a parallel_for; `tid` is in [0, nthreads) and is unique among the
 * tasks of one call (usable to index per-thread scratch). */
typedef void (*sr_task_fn)(void *ctx, size_t begin, size_t end, int tid);

/* Creates a pool of `nthreads` workers in total (including the caller); nthreads <= 0 means the number
 * of online CPUs. Caps at 256. On success *out owns the pool (free with sr_threadpool_free). */
sr_status sr_threadpool_create(sr_threadpool **out, int nthreads, sr_error *err);

/* Stops and joins the workers and frees the pool. NULL is a no-op. No call may be in progress. */
void sr_threadpool_free(sr_threadpool *pool);

/* Number of workers (>= 1); 1 for a NULL pool. */
int sr_threadpool_size(const sr_threadpool *pool);

/* Splits [0, n) into at most sr_threadpool_size() contiguous chunks of near-equal size and runs
 * fn(ctx, begin, end, tid) for each non-empty chunk, in parallel; returns when all are done.
 * pool == NULL (or n <= 1, or a size-1 pool) runs fn(ctx, 0, n, 0) on the caller. n == 0 does nothing. */
void sr_parallel_for(sr_threadpool *pool, size_t n, sr_task_fn fn, void *ctx);

#endif
