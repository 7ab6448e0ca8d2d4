/* bench_tokenizer.c — tokenizer load time and encode throughput on SKILL.md bodies.
 * Build (release flags of the Makefile, after `make build/libskillrouter.a`):
 *   cc -std=c17 -D_GNU_SOURCE -O2 -march=x86-64-v2 -Isrc $(pkg-config --cflags libcjson) \
 *      bench/bench_tokenizer.c build/libskillrouter.a $(pkg-config --libs libcjson libpcre2-8 libutf8proc zlib) \
 *      -lm -pthread -o build/bench_tokenizer
 * Run: build/bench_tokenizer TOKENIZER_DIR POOL.jsonl.gz [MAX_MB]   (prints load ms and MB/s) */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/tokenizer.h"
#include "util/fileio.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s TOKENIZER_DIR POOL.jsonl.gz [MAX_MB]\n", argv[0]);
    return 2;
  }
  double max_mb = argc > 3 ? atof(argv[3]) : 8;
  sr_error err;
  sr_tokenizer *tok = NULL;
  double best = 1e9;
  for (int r = 0; r < 5; r++) {
    double t0 = now();
    if (sr_tokenizer_load(argv[1], &tok, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double dt = now() - t0;
    if (dt < best) best = dt;
    if (r < 4) sr_tokenizer_free(tok);
  }
  printf("load: %.1f ms (best of 5), vocab %zu\n", best * 1e3, sr_tokenizer_vocab_size(tok));
  char *data;
  size_t len;
  if (sr_read_file(argv[2], (size_t)1 << 31, &data, &len, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
  char **bodies = NULL;
  size_t *lens = NULL, nb = 0, total = 0;
  for (char *line = data, *nl; *line && total < max_mb * 1e6; line = nl + 1) {
    nl = strchr(line, '\n');
    if (!nl) break;
    *nl = 0;
    cJSON *j = cJSON_Parse(line);
    const cJSON *b = cJSON_GetObjectItem(j, "body");
    if (cJSON_IsString(b)) {
      bodies = realloc(bodies, (nb + 1) * sizeof *bodies);
      lens = realloc(lens, (nb + 1) * sizeof *lens);
      lens[nb] = strlen(b->valuestring);
      bodies[nb++] = strdup(b->valuestring);
      total += lens[nb - 1];
    }
    cJSON_Delete(j);
  }
  free(data);
  sr_tok_scratch *s;
  if (sr_tok_scratch_new(tok, &s, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
  for (int mode = 0; mode < 2; mode++) {
    size_t ntok = 0;
    double t0 = now();
    for (size_t i = 0; i < nb; i++) {
      int32_t *ids;
      size_t n;
      sr_status st = mode ? sr_tokenizer_encode(tok, bodies[i], lens[i], &ids, &n, &err)
                          : sr_tokenizer_encode_scratch(tok, s, bodies[i], lens[i], &ids, &n, &err);
      if (st) { fprintf(stderr, "body %zu: %s\n", i, err.msg); return 1; }
      ntok += n;
      free(ids);
    }
    double dt = now() - t0;
    printf("%s: %zu bodies, %.2f MB, %zu tokens (%.2f bytes/token), %.3f s, %.1f MB/s\n",
           mode ? "encode (temporary scratch)" : "encode (per-thread scratch)", nb, total / 1e6, ntok,
           (double)total / ntok, dt, total / 1e6 / dt);
  }
  sr_tok_scratch_free(s);
  for (size_t i = 0; i < nb; i++) free(bodies[i]);
  free(bodies);
  free(lens);
  sr_tokenizer_free(tok);
  return 0;
}
