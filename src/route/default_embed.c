/* default_embed.c — the default model's vectors of a catalog's entries, from their text (`index`).
 * See default_route.h. */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "route/default_route.h"
#include "util/parallel.h"

typedef struct emb_job {
  const sr_catalog *cat;
  const sr_default_model *m;
  const uint8_t *done;       /* [n] 1 = reused */
  float *out;
  volatile int *cancel;
  sr_analyzer *an[SR_PARALLEL_MAX_THREADS];       /* per-thread analyzer and scratch */
  sr_senc_scratch *sc[SR_PARALLEL_MAX_THREADS];
  sr_status st[SR_PARALLEL_MAX_THREADS];
  sr_error err[SR_PARALLEL_MAX_THREADS];
} emb_job;

static void emb_one(void *ctx, size_t i, int tid) {
  emb_job *j = ctx;
  if (j->done[i] || j->st[tid] != SR_OK) return;
  if (j->cancel && *j->cancel) {
    j->st[tid] = sr_fail(&j->err[tid], SR_ERR_INTERRUPTED, "interrupted");
    return;
  }
  const sr_entry *e = &j->cat->entries[i];
  const char *fields[3] = {e->name, e->description, e->body};
  sr_wrow *rows;
  size_t n;
  if ((j->st[tid] = sr_senc_text_rows(&j->m->enc, j->an[tid], fields, j->sc[tid], &rows, &n, &j->err[tid])) != SR_OK) {
    sr_error_prefix(&j->err[tid], "entry '%s'", e->id);
    return;
  }
  sr_senc_pool(&j->m->enc, rows, n, &j->out[i * j->m->enc.dim]);
}

sr_status sr_default_embed_catalog(const sr_catalog *cat, const sr_index *prev, const sr_default_model *m,
                                   const sr_analyzer_opts *an_opts, int threads, volatile int *cancel, float **out,
                                   size_t *reused, sr_error *err) {
  *out = NULL;
  *reused = 0;
  size_t n = cat->n_entries, dim = m->enc.dim;
  threads = sr_parallel_threads(threads);
  emb_job *j = calloc(1, sizeof *j);
  float *v = malloc((n * dim + 1) * sizeof *v);
  uint8_t *done = calloc(n + 1, 1);
  sr_status st = SR_OK;
  if (!j || !v || !done) {
    st = sr_fail(err, SR_ERR_NOMEM, "default model: out of memory");
    goto out;
  }
  sr_vec_view pv;
  if (prev && sr_index_vectors(prev, &pv) && !strcmp(pv.info->model_id, m->id) && pv.dim == dim) {
    for (size_t i = 0; i < n; i++) {
      uint32_t d;
      if (!sr_index_find(prev, cat->entries[i].id, &d) || pv.hash[d] != cat->entries[i].content_hash) continue;
      sr_vec_get_f32(&pv, d, &v[i * dim]);
      done[i] = 1;
      (*reused)++;
    }
  }
  *j = (emb_job){.cat = cat, .m = m, .done = done, .out = v, .cancel = cancel};
  for (int k = 0; k < threads && st == SR_OK; k++) {
    st = sr_analyzer_new(an_opts, &j->an[k], err);
    if (st == SR_OK && !(j->sc[k] = sr_senc_scratch_new())) st = sr_fail(err, SR_ERR_NOMEM, "default model: out of memory");
  }
  if (st == SR_OK) sr_parallel_run(threads, n, emb_one, j);
  for (int k = 0; k < threads; k++) {
    if (st == SR_OK && j->st[k] != SR_OK) {
      st = j->st[k];
      if (err) *err = j->err[k];
    }
    sr_analyzer_free(j->an[k]);
    sr_senc_scratch_free(j->sc[k]);
  }
out:
  free(j);
  free(done);
  if (st != SR_OK) {
    free(v);
    return st;
  }
  *out = v;
  return SR_OK;
}
