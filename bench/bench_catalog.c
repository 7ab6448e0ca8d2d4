/* bench_catalog.c — times sr_catalog_add_source on one source and prints entries/s.
 * Not part of `make test`. Build (release flags of the Makefile):
 *   make build/libskillrouter.a
 *   cc -std=c17 -D_GNU_SOURCE -pthread -O2 -g -march=x86-64-v2 -mtune=native -Isrc \
 *      $(pkg-config --cflags libcjson) bench/bench_catalog.c build/libskillrouter.a \
 *      $(pkg-config --libs yaml-0.1 libcjson libpcre2-8 libutf8proc zlib) -lstemmer -lm -o build/bench_catalog
 * Run: build/bench_catalog /work/shared/bench/skillsbench-80k/pool.jsonl.gz */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(void *ctx, size_t done, size_t total) {
  int *last = ctx;
  int pct = total ? (int)(100.0 * (double)done / (double)total) : 100;
  if (pct / 10 != *last / 10) fprintf(stderr, "\r%3d%%", pct);
  *last = pct;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SOURCE\n", argv[0]);
    return 2;
  }
  int last = -1;
  sr_read_opts opts = {0};
  opts.progress = progress;
  opts.progress_ctx = &last;
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  double t0 = now_s();
  sr_status st = sr_catalog_add_source(&cat, argv[1], &opts, &err);
  double dt = now_s() - t0;
  fputc('\n', stderr);
  if (st != SR_OK) fprintf(stderr, "error: %s\n", err.msg);
  size_t bytes = 0;
  for (size_t i = 0; i < cat.n_entries; i++) bytes += strlen(cat.entries[i].body);
  printf("%s: %zu entries, %zu skipped, %zu diags, %.1f MB of bodies in %.2f s = %.0f entries/s\n", argv[1],
         cat.n_entries, cat.n_skipped, cat.n_diags, (double)bytes / 1e6, dt, (double)cat.n_entries / dt);
  for (size_t i = 0; i < cat.n_diags && i < 5; i++) printf("  %s: %s\n", cat.diags[i].where, cat.diags[i].message);
  sr_catalog_free(&cat);
  return st == SR_OK ? 0 : 1;
}
