/* parallel.c — see parallel.h. */
#include "util/parallel.h"

#include <pthread.h>
#include <unistd.h>

typedef struct pf_arg {
  int tid, threads;
  size_t n;
  void (*fn)(void *, size_t, int);
  void *ctx;
} pf_arg;

static void *pf_main(void *p) {
  pf_arg *a = p;
  for (size_t i = (size_t)a->tid; i < a->n; i += (size_t)a->threads) a->fn(a->ctx, i, a->tid);
  return NULL;
}

int sr_parallel_threads(int threads) {
  if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1) threads = 1;
  if (threads > SR_PARALLEL_MAX_THREADS) threads = SR_PARALLEL_MAX_THREADS;
  return threads;
}

void sr_parallel_run(int threads, size_t n, void (*fn)(void *ctx, size_t i, int tid), void *ctx) {
  threads = sr_parallel_threads(threads);
  pthread_t th[SR_PARALLEL_MAX_THREADS];
  pf_arg args[SR_PARALLEL_MAX_THREADS];
  int started = 0;
  for (int k = 0; k < threads; k++) args[k] = (pf_arg){k, threads, n, fn, ctx};
  for (int k = 1; k < threads; k++) {
    if (pthread_create(&th[k], NULL, pf_main, &args[k]) != 0) break;
    started = k;
  }
  pf_main(&args[0]);
  for (int k = started + 1; k < threads; k++) pf_main(&args[k]);  /* threads that could not start */
  for (int k = 1; k <= started; k++) pthread_join(th[k], NULL);
}
