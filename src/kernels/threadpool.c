/* threadpool.c — see threadpool.h. One job at a time: the caller publishes (fn, ctx, n) under `mu`,
 * bumps the generation counter and broadcasts; each worker runs its chunk and decrements `pending`;
 * the last one signals `done_cv`. */
#include "kernels/threadpool.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SR_POOL_MAX 256
#define SR_POOL_SPIN 20000 /* polls of the generation counter before sleeping (~ a few us) */

struct worker_arg {
  sr_threadpool *pool;
  int tid;
};

struct sr_threadpool {
  int n;                      /* workers including the caller */
  pthread_t *threads;         /* n - 1 */
  struct worker_arg *args;    /* n - 1 */
  pthread_mutex_t call_mu;    /* serialises sr_parallel_for callers */
  pthread_mutex_t mu;         /* guards fn/ctx/total/stop and the condition variables */
  pthread_cond_t work_cv, done_cv;
  atomic_ulong gen;           /* job generation; bumped under mu */
  atomic_int pending;         /* workers (excluding the caller) still running the current job */
  int stop;
  sr_task_fn fn;
  void *ctx;
  size_t total;
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void run_chunk(sr_task_fn fn, void *ctx, size_t total, int nthreads, int tid) {
  size_t b = total * (size_t)tid / (size_t)nthreads, e = total * (size_t)(tid + 1) / (size_t)nthreads;
  if (e > b) fn(ctx, b, e, tid);
}

static void *worker_main(void *p) {
  struct worker_arg *a = p;
  sr_threadpool *pool = a->pool;
  unsigned long seen = 0;
  for (;;) {
    for (int i = 0; i < SR_POOL_SPIN && atomic_load_explicit(&pool->gen, memory_order_acquire) == seen; i++)
      cpu_relax();
    pthread_mutex_lock(&pool->mu);
    while (atomic_load(&pool->gen) == seen && !pool->stop) pthread_cond_wait(&pool->work_cv, &pool->mu);
    if (pool->stop) {
      pthread_mutex_unlock(&pool->mu);
      break;
    }
    seen = atomic_load(&pool->gen);
    sr_task_fn fn = pool->fn;
    void *ctx = pool->ctx;
    size_t total = pool->total;
    pthread_mutex_unlock(&pool->mu);
    run_chunk(fn, ctx, total, pool->n, a->tid);
    if (atomic_fetch_sub(&pool->pending, 1) == 1) {
      pthread_mutex_lock(&pool->mu);
      pthread_cond_signal(&pool->done_cv);
      pthread_mutex_unlock(&pool->mu);
    }
  }
  return NULL;
}

sr_status sr_threadpool_create(sr_threadpool **out, int nthreads, sr_error *err) {
  assert(out);
  *out = NULL;
  if (nthreads <= 0) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = c > 0 ? (int)c : 1;
  }
  if (nthreads > SR_POOL_MAX) nthreads = SR_POOL_MAX;
  sr_threadpool *p = calloc(1, sizeof *p);
  if (!p) return sr_fail(err, SR_ERR_NOMEM, "threadpool: out of memory");
  p->n = nthreads;
  if (nthreads > 1) {
    p->threads = calloc((size_t)nthreads - 1, sizeof *p->threads);
    p->args = calloc((size_t)nthreads - 1, sizeof *p->args);
    if (!p->threads || !p->args) {
      free(p->threads), free(p->args), free(p);
      return sr_fail(err, SR_ERR_NOMEM, "threadpool: out of memory");
    }
  }
  pthread_mutex_init(&p->call_mu, NULL);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work_cv, NULL);
  pthread_cond_init(&p->done_cv, NULL);
  atomic_init(&p->gen, 0);
  atomic_init(&p->pending, 0);
  for (int i = 0; i < nthreads - 1; i++) {
    p->args[i] = (struct worker_arg){p, i + 1};
    int rc = pthread_create(&p->threads[i], NULL, worker_main, &p->args[i]);
    if (rc != 0) {
      p->n = i + 1; /* join the ones already started */
      sr_threadpool_free(p);
      return sr_fail(err, SR_ERR_INTERNAL, "threadpool: pthread_create: %s", strerror(rc));
    }
  }
  *out = p;
  return SR_OK;
}

void sr_threadpool_free(sr_threadpool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->n - 1; i++) pthread_join(p->threads[i], NULL);
  pthread_cond_destroy(&p->work_cv);
  pthread_cond_destroy(&p->done_cv);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->call_mu);
  free(p->threads);
  free(p->args);
  free(p);
}

int sr_threadpool_size(const sr_threadpool *pool) { return pool ? pool->n : 1; }

void sr_parallel_for(sr_threadpool *p, size_t n, sr_task_fn fn, void *ctx) {
  assert(fn);
  if (n == 0) return;
  if (!p || p->n == 1 || n == 1) {
    fn(ctx, 0, n, 0);
    return;
  }
  pthread_mutex_lock(&p->call_mu);
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->total = n;
  atomic_store(&p->pending, p->n - 1);
  atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  run_chunk(fn, ctx, n, p->n, 0);
  for (int i = 0; i < SR_POOL_SPIN && atomic_load_explicit(&p->pending, memory_order_acquire) != 0; i++)
    cpu_relax();
  if (atomic_load(&p->pending) != 0) {
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->pending) != 0) pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
  }
  pthread_mutex_unlock(&p->call_mu);
}
