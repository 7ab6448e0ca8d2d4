/* static_embed.c — see static_embed.h. */
#include "route/static_embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/rng.h"

sr_status sr_senc_init(sr_senc *e, uint32_t n_buckets, uint32_t dim, uint64_t seed, float init_std, sr_error *err) {
  memset(e, 0, sizeof *e);
  if (!n_buckets || (n_buckets & (n_buckets - 1)) || !dim || dim > 4096)
    return sr_fail(err, SR_ERR_ARG, "static encoder: buckets must be a power of two and dim in 1..4096 (got %u, %u)",
                   n_buckets, dim);
  e->emb = malloc((size_t)n_buckets * dim * sizeof *e->emb);
  if (!e->emb) return sr_fail(err, SR_ERR_NOMEM, "static encoder: out of memory (%u x %u)", n_buckets, dim);
  e->n_buckets = n_buckets;
  e->dim = dim;
  e->seed = seed;
  e->owned = true;
  e->field_weight[0] = 2.0f;
  e->field_weight[1] = 1.5f;
  e->field_weight[2] = 1.0f;
  sr_rng r;
  sr_rng_seed(&r, seed ^ 0xE3B0C44298FC1C14ull);
  for (size_t i = 0; i < (size_t)n_buckets * dim; i++) e->emb[i] = (float)(sr_rng_normal(&r) * init_std);
  return SR_OK;
}

void sr_senc_free(sr_senc *e) {
  if (!e) return;
  if (e->owned) free(e->emb);
  e->emb = NULL;
}

uint32_t sr_senc_bucket(const sr_senc *e, const char *term, size_t len) {
  return (uint32_t)(sr_hash64(term, len, e->seed) & (e->n_buckets - 1));
}

uint32_t *sr_senc_term_buckets(const sr_senc *e, const sr_index *ix) {
  uint32_t n = sr_index_term_count(ix);
  uint32_t *b = malloc(((size_t)n + 1) * sizeof *b);
  if (!b) return NULL;
  for (uint32_t t = 0; t < n; t++) {
    size_t len;
    const char *s = sr_index_term_str(ix, t, &len);
    b[t] = sr_senc_bucket(e, s, len);
  }
  return b;
}

static inline float tf_weight(uint32_t tf) { return tf ? 1.0f + logf((float)tf) : 0.0f; }

size_t sr_senc_doc_rows(const sr_senc *e, const sr_forward *fwd, const uint32_t *bucket, uint32_t d,
                        const sr_fwd_term *minus, size_t n_minus, sr_wrow *out) {
  const sr_fwd_term *t = fwd->terms + fwd->start[d];
  size_t n = (size_t)(fwd->start[d + 1] - fwd->start[d]), m = 0, j = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t tn = t[i].tf_name, td = t[i].tf_desc, tb = t[i].tf_body;
    while (j < n_minus && minus[j].term < t[i].term) j++;
    if (j < n_minus && minus[j].term == t[i].term) {
      tb = tb > minus[j].tf_body ? tb - minus[j].tf_body : 0;
      tn = tn > minus[j].tf_name ? tn - minus[j].tf_name : 0;
      td = td > minus[j].tf_desc ? td - minus[j].tf_desc : 0;
    }
    float w = e->field_weight[0] * tf_weight(tn) + e->field_weight[1] * tf_weight(td) + e->field_weight[2] * tf_weight(tb);
    if (w <= 0.0f) continue;
    out[m].bucket = bucket[t[i].term];
    out[m].weight = w * fwd->idf[t[i].term];
    m++;
  }
  return m;
}

size_t sr_senc_query_rows(const sr_qterm *q, size_t n, sr_wrow *out) {
  for (size_t i = 0; i < n; i++) {
    out[i].bucket = q[i].bucket;
    out[i].weight = q[i].idf * tf_weight(q[i].count);
  }
  return n;
}

__attribute__((target_clones("avx2", "default")))
float sr_senc_pool(const sr_senc *e, const sr_wrow *rows, size_t n, float *v) {
  size_t dim = e->dim;
  memset(v, 0, dim * sizeof *v);
  for (size_t i = 0; i < n; i++) {
    const float *r = e->emb + (size_t)rows[i].bucket * dim;
    float w = rows[i].weight;
    for (size_t k = 0; k < dim; k++) v[k] += w * r[k];
  }
  double ss = 0;
  for (size_t k = 0; k < dim; k++) ss += (double)v[k] * v[k];
  float norm = (float)sqrt(ss);
  if (norm > 0) {
    float inv = 1.0f / norm;
    for (size_t k = 0; k < dim; k++) v[k] *= inv;
  }
  return norm;
}
