/* parallel.c — see parallel.h. */
#include "model/parallel.h"

#include <pthread.h>
#include <unistd.h>

#define SR_MAX_THREADS 256

typedef struct job {
  sr_range_fn fn;
  void *ctx;
  size_t begin, end;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  j->fn(j->ctx, j->begin, j->end);
  return NULL;
}

int sr_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > SR_MAX_THREADS ? SR_MAX_THREADS : (int)n);
}

void sr_model_parallel_for(size_t n, int n_threads, size_t min_chunk, sr_range_fn fn, void *ctx) {
  if (n == 0) return;
  if (min_chunk == 0) min_chunk = 1;
  size_t nt = n_threads < 1 ? 1 : (size_t)n_threads;
  if (nt > SR_MAX_THREADS) nt = SR_MAX_THREADS;
  if (nt > n / min_chunk) nt = n / min_chunk;
  if (nt <= 1) {
    fn(ctx, 0, n);
    return;
  }
  job jobs[SR_MAX_THREADS];
  pthread_t tids[SR_MAX_THREADS];
  int started[SR_MAX_THREADS] = {0};
  size_t per = n / nt, extra = n % nt, at = 0;
  for (size_t i = 0; i < nt; i++) {
    size_t len = per + (i < extra ? 1 : 0);
    jobs[i] = (job){fn, ctx, at, at + len};
    at += len;
  }
  for (size_t i = 1; i < nt; i++) started[i] = pthread_create(&tids[i], NULL, run_job, &jobs[i]) == 0;
  fn(ctx, jobs[0].begin, jobs[0].end);
  for (size_t i = 1; i < nt; i++) {
    if (started[i]) pthread_join(tids[i], NULL);
    else fn(ctx, jobs[i].begin, jobs[i].end);   /* could not start: do it here */
  }
}
