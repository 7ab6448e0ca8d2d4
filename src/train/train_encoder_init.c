/* train_encoder_init.c — the encoder's starting table from the catalog's own co-occurrence (random
 * indexing), before InfoNCE training (`train --cooc-init`; off by default, see BENCHMARKS.md §8).
 *
 * Every catalog entry d gets a seeded Gaussian vector r_d (dim values); row b becomes
 *
 *   E[b] = Σ_d ŵ(d, t) · r_d   over the terms t hashed to b and the entries d containing them,
 *
 * where ŵ(d, ·) are the entry's encoder weights (field-weighted log tf × idf, as sr_senc_doc_rows
 * gives them) scaled to unit length. Two terms that occur in the same entries get similar rows, so a
 * word no training query ever used still lands near the words it appears with — with random rows it
 * would be noise in every text it occurs in. Each reached row is then scaled to the norm of a random
 * row (init_std · √dim); rows no entry reaches keep their random values. Entries flagged in `skip`
 * (the benchmark's ground truth when --exclude-bench is given) contribute nothing.
 *
 * Threads split the rows: each scans every entry and adds only to the rows of its range, so the
 * result does not depend on the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"
#include "util/parallel.h"
#include "util/rng.h"

typedef struct init_job {
  const tctx *t;
  const uint8_t *skip;
  float *table;              /* [n_buckets * dim] accumulators */
  uint32_t *reached;         /* [n_buckets] entries that added to each row */
  int parts;
  size_t max_terms;
  bool oom;
} init_job;

static void init_part(void *ctx, size_t part, int tid) {
  (void)tid;
  init_job *j = ctx;
  const tctx *t = j->t;
  const sr_senc *e = t->enc;
  uint32_t dim = e->dim, nb = e->n_buckets;
  uint32_t lo = (uint32_t)((uint64_t)nb * part / (size_t)j->parts),
           hi = (uint32_t)((uint64_t)nb * (part + 1) / (size_t)j->parts);
  sr_wrow *rows = malloc((j->max_terms ? j->max_terms : 1) * sizeof *rows);
  float *r = malloc(dim * sizeof *r);
  if (!rows || !r) {
    j->oom = true;
    free(rows);
    free(r);
    return;
  }
  for (uint32_t d = 0; d < t->n_docs; d++) {
    if (j->skip && j->skip[d]) continue;
    size_t n = sr_senc_doc_rows(e, t->fwd, t->bucket, d, NULL, 0, rows);
    double ss = 0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
      ss += (double)rows[i].weight * rows[i].weight;
      any |= rows[i].bucket >= lo && rows[i].bucket < hi;
    }
    if (!any || !(ss > 0)) continue;
    sr_rng g;
    sr_rng_seed(&g, e->seed ^ 0x52494E4954ull ^ ((uint64_t)d * 0x9E3779B97F4A7C15ull));
    for (uint32_t k = 0; k < dim; k++) r[k] = (float)sr_rng_normal(&g);
    float inv = (float)(1.0 / sqrt(ss));
    for (size_t i = 0; i < n; i++) {
      uint32_t b = rows[i].bucket;
      if (b < lo || b >= hi) continue;
      float w = rows[i].weight * inv, *row = &j->table[(size_t)b * dim];
      for (uint32_t k = 0; k < dim; k++) row[k] += w * r[k];
      j->reached[b]++;
    }
  }
  free(rows);
  free(r);
}

sr_status sr_train_encoder_cooc_init(tctx *t, const uint8_t *skip, float init_std, size_t *rows_reached,
                                     sr_error *err) {
  sr_senc *e = t->enc;
  size_t cells = (size_t)e->n_buckets * e->dim;
  init_job j = {.t = t, .skip = skip, .parts = t->threads > 0 ? t->threads : 1};
  j.table = calloc(cells, sizeof *j.table);
  j.reached = calloc(e->n_buckets, sizeof *j.reached);
  if (!j.table || !j.reached) {
    free(j.table);
    free(j.reached);
    return sr_fail(err, SR_ERR_NOMEM, "train: out of memory (co-occurrence init)");
  }
  for (uint32_t d = 0; d < t->n_docs; d++) {
    size_t n = (size_t)(t->fwd->start[d + 1] - t->fwd->start[d]);
    if (n > j.max_terms) j.max_terms = n;
  }
  sr_parallel_run(t->threads, (size_t)j.parts, init_part, &j);
  if (j.oom) {
    free(j.table);
    free(j.reached);
    return sr_fail(err, SR_ERR_NOMEM, "train: out of memory (co-occurrence init)");
  }
  float target = init_std * sqrtf((float)e->dim);
  size_t reached = 0;
  for (uint32_t b = 0; b < e->n_buckets; b++) {
    if (!j.reached[b]) continue;
    float *row = &j.table[(size_t)b * e->dim];
    double ss = 0;
    for (uint32_t k = 0; k < e->dim; k++) ss += (double)row[k] * row[k];
    if (!(ss > 0)) continue;
    float s = (float)(target / sqrt(ss));
    for (uint32_t k = 0; k < e->dim; k++) e->emb[(size_t)b * e->dim + k] = row[k] * s;
    reached++;
  }
  free(j.table);
  free(j.reached);
  if (rows_reached) *rows_reached = reached;
  return SR_OK;
}
