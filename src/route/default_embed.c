/* default_embed.c — the default model's vectors of a catalog's entries, from their text (`index`).
 * See default_route.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "route/default_route.h"

typedef struct emb_job {
  const sr_catalog *cat;
  const sr_default_model *m;
  const sr_analyzer_opts *an_opts;
  const uint8_t *done;       /* [n] 1 = reused */
  float *out;
  int tid, threads;
  volatile int *cancel;
  sr_status st;
  sr_error err;
} emb_job;

static void *emb_main(void *p) {
  emb_job *j = p;
  sr_analyzer *an = NULL;
  sr_senc_scratch *s = sr_senc_scratch_new();
  if (!s) {
    j->st = sr_fail(&j->err, SR_ERR_NOMEM, "default model: out of memory");
    return NULL;
  }
  if ((j->st = sr_analyzer_new(j->an_opts, &an, &j->err)) != SR_OK) {
    sr_senc_scratch_free(s);
    return NULL;
  }
  size_t dim = j->m->enc.dim;
  for (size_t i = (size_t)j->tid; i < j->cat->n_entries; i += (size_t)j->threads) {
    if (j->done[i]) continue;
    if (j->cancel && *j->cancel) {
      j->st = sr_fail(&j->err, SR_ERR_INTERRUPTED, "interrupted");
      break;
    }
    const sr_entry *e = &j->cat->entries[i];
    const char *fields[3] = {e->name, e->description, e->body};
    sr_wrow *rows;
    size_t n;
    if ((j->st = sr_senc_text_rows(&j->m->enc, an, fields, s, &rows, &n, &j->err)) != SR_OK) {
      sr_error_prefix(&j->err, "entry '%s'", e->id);
      break;
    }
    sr_senc_pool(&j->m->enc, rows, n, &j->out[i * dim]);
  }
  sr_analyzer_free(an);
  sr_senc_scratch_free(s);
  return NULL;
}

sr_status sr_default_embed_catalog(const sr_catalog *cat, const sr_index *prev, const sr_default_model *m,
                                   const sr_analyzer_opts *an_opts, int threads, volatile int *cancel, float **out,
                                   size_t *reused, sr_error *err) {
  *out = NULL;
  *reused = 0;
  size_t n = cat->n_entries, dim = m->enc.dim;
  float *v = malloc((n * dim + 1) * sizeof *v);
  uint8_t *done = calloc(n + 1, 1);
  if (!v || !done) {
    free(v);
    free(done);
    return sr_fail(err, SR_ERR_NOMEM, "default model: out of memory");
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
  if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  emb_job jobs[64];
  pthread_t th[64];
  int started = 0;
  for (int k = 0; k < threads; k++)
    jobs[k] = (emb_job){cat, m, an_opts, done, v, k, threads, cancel, SR_OK, {0}};
  for (int k = 1; k < threads; k++) {
    if (pthread_create(&th[k], NULL, emb_main, &jobs[k]) != 0) break;
    started = k;
  }
  emb_main(&jobs[0]);
  for (int k = started + 1; k < threads; k++) emb_main(&jobs[k]);
  for (int k = 1; k <= started; k++) pthread_join(th[k], NULL);
  free(done);
  for (int k = 0; k < threads; k++)
    if (jobs[k].st != SR_OK) {
      if (err) *err = jobs[k].err;
      free(v);
      return jobs[k].st;
    }
  *out = v;
  return SR_OK;
}
