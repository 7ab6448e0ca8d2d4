/* qwen3_fullsize.c — timing run on a full-size model (not part of `make test`):
 *   qwen3_fullsize MODEL_DIR [N_TOKENS=512] [THREADS=all]
 * Loads the model, embeds one N_TOKENS-token document (random ids + <|endoftext|>), and prints load
 * time, peak RSS and tokens/s. Built and run by tools/qwen3_fullsize.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "model/qwen3.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL_DIR [N_TOKENS] [THREADS]\n", argv[0]);
    return 2;
  }
  size_t n = argc > 2 ? (size_t)atol(argv[2]) : 512;
  sr_error err;
  sr_qwen3 *m = NULL;
  double t0 = now();
  if (sr_qwen3_load(argv[1], &m, &err)) {
    fprintf(stderr, "load failed: %s\n", err.msg);
    return 1;
  }
  double t1 = now();
  if (argc > 3 && sr_qwen3_set_threads(m, atoi(argv[3]), &err)) {
    fprintf(stderr, "threads: %s\n", err.msg);
    return 1;
  }
  printf("loaded %s: %d layers, hidden %d, vocab %d, %s, %s weights, in %.3f s; peak RSS %ld MiB\n", argv[1],
         m->cfg.n_layers, m->cfg.dim, m->cfg.vocab, m->cfg.tied ? "tied" : "untied",
         sr_dtype_name(m->layers[0].wq.dtype), t1 - t0, peak_rss_mib());
  int32_t *ids = malloc(sizeof(int32_t) * n);
  unsigned s = 12345;
  for (size_t i = 0; i < n; i++) ids[i] = (int32_t)((s = s * 1103515245u + 12345u) >> 8) % 151643;
  float *e = malloc(sizeof(float) * (size_t)m->cfg.dim);
  double t2 = now();
  sr_status st = sr_qwen3_embed_text_ids(m, ids, n - 1, 0, 0, e, &err);
  double t3 = now();
  if (st) {
    fprintf(stderr, "embed failed: %s\n", err.msg);
    return 1;
  }
  double norm = 0;
  for (int i = 0; i < m->cfg.dim; i++) norm += (double)e[i] * e[i];
  printf("embedded %zu tokens with %d threads in %.3f s: %.1f tokens/s; |e| = %.6f, e[0..3] = %.5f %.5f %.5f; "
         "peak RSS %ld MiB\n", n, m->n_threads, t3 - t2, n / (t3 - t2), norm, e[0], e[1], e[2], peak_rss_mib());
  free(ids);
  free(e);
  sr_qwen3_free(m);
  return 0;
}
