/* static_embed.c — see static_embed.h. */
#include "route/static_embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text/analyzer.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/rng.h"

sr_status sr_senc_init(sr_senc *e, uint32_t n_buckets, uint32_t dim, uint64_t seed, float init_std, sr_error *err) {
  memset(e, 0, sizeof *e);
  if (!n_buckets || (n_buckets & (n_buckets - 1)) || !dim || dim > 4096)
    return sr_fail(err, SR_ERR_ARG, "static encoder: buckets must be a power of two and dim in 1..4096 (got %u, %u)",
                   n_buckets, dim);
  e->emb = malloc((size_t)n_buckets * dim * sizeof *e->emb);
  e->idf = malloc((size_t)n_buckets * sizeof *e->idf);
  if (!e->emb || !e->idf) {
    free(e->emb);
    free(e->idf);
    e->emb = e->idf = NULL;
    return sr_fail(err, SR_ERR_NOMEM, "static encoder: out of memory (%u x %u)", n_buckets, dim);
  }
  for (uint32_t b = 0; b < n_buckets; b++) e->idf[b] = 1.0f;
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
  if (e->owned) {
    free(e->emb);
    free(e->idf);
  }
  e->emb = e->idf = NULL;
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

void sr_senc_set_idf(sr_senc *e, const sr_index *ix, const uint32_t *bucket) {
  uint32_t n = sr_index_term_count(ix), *df = calloc(e->n_buckets, sizeof *df);
  double N = sr_index_count(ix);
  if (!df) return;
  for (uint32_t t = 0; t < n; t++) {
    uint32_t f = sr_index_term_df(ix, t);
    if (f > df[bucket[t]]) df[bucket[t]] = f;
  }
  for (uint32_t b = 0; b < e->n_buckets; b++) e->idf[b] = sr_idf(N, df[b]);
  free(df);
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
    out[m].weight = w * e->idf[out[m].bucket];
    m++;
  }
  return m;
}

size_t sr_senc_query_rows(const sr_senc *e, const sr_qterm *q, size_t n, sr_wrow *out) {
  for (size_t i = 0; i < n; i++) {
    out[i].bucket = q[i].bucket;
    out[i].weight = e->idf[q[i].bucket] * tf_weight(q[i].count);
  }
  return n;
}

/* ---- entries given as text ---- */

struct sr_senc_scratch {
  sr_buf bytes;              /* term bytes of the entry, NUL-separated */
  size_t *off;               /* term start offsets */
  uint8_t *field;            /* field of each term occurrence */
  size_t n, cap;
  sr_strmap map;
  uint32_t (*tf)[3];         /* per distinct term */
  uint32_t *first;           /* offset of each distinct term */
  size_t n_distinct, cap_distinct;
  sr_wrow *rows;
  size_t cap_rows;
  int cur_field, oom;
};

sr_senc_scratch *sr_senc_scratch_new(void) { return calloc(1, sizeof(sr_senc_scratch)); }

void sr_senc_scratch_free(sr_senc_scratch *s) {
  if (!s) return;
  sr_buf_free(&s->bytes);
  free(s->off);
  free(s->field);
  sr_strmap_free(&s->map);
  free(s->tf);
  free(s->first);
  free(s->rows);
  free(s);
}

static void on_text_term(void *ctx, const char *term, size_t len) {
  sr_senc_scratch *s = ctx;
  if (s->oom) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 1024;
    size_t *o = realloc(s->off, cap * sizeof *o);
    if (o) s->off = o;
    uint8_t *f = realloc(s->field, cap);
    if (f) s->field = f;
    if (!o || !f) { s->oom = 1; return; }
    s->cap = cap;
  }
  s->off[s->n] = s->bytes.len;
  s->field[s->n++] = (uint8_t)s->cur_field;
  if (!sr_buf_append(&s->bytes, term, len) || !sr_buf_putc(&s->bytes, '\0')) s->oom = 1;
}

sr_status sr_senc_text_rows(const sr_senc *e, void *analyzer, const char *const fields[3], sr_senc_scratch *s,
                            sr_wrow **rows, size_t *n_rows, sr_error *err) {
  sr_analyzer *an = analyzer;
  s->n = 0;
  s->oom = 0;
  sr_buf_reset(&s->bytes);
  for (int f = 0; f < 3; f++) {
    if (!fields[f]) continue;
    s->cur_field = f;
    sr_status st = sr_analyze(an, fields[f], strlen(fields[f]), on_text_term, s, err);
    if (st != SR_OK) return st;
  }
  if (s->oom) return sr_fail(err, SR_ERR_NOMEM, "static encoder: out of memory");
  sr_strmap_free(&s->map);
  s->n_distinct = 0;
  for (size_t i = 0; i < s->n; i++) {
    const char *t = s->bytes.data + s->off[i];
    size_t tl = strlen(t);
    bool ins;
    uint32_t pos;
    if (!sr_strmap_put(&s->map, t, tl, (uint32_t)s->n_distinct, &ins, &pos))
      return sr_fail(err, SR_ERR_NOMEM, "static encoder: out of memory");
    if (ins) {
      if (s->n_distinct == s->cap_distinct) {
        size_t cap = s->cap_distinct ? s->cap_distinct * 2 : 512;
        uint32_t(*tf)[3] = realloc(s->tf, cap * sizeof *tf);
        if (tf) s->tf = tf;
        uint32_t *fi = realloc(s->first, cap * sizeof *fi);
        if (fi) s->first = fi;
        if (!tf || !fi) return sr_fail(err, SR_ERR_NOMEM, "static encoder: out of memory");
        s->cap_distinct = cap;
      }
      pos = (uint32_t)s->n_distinct++;
      s->tf[pos][0] = s->tf[pos][1] = s->tf[pos][2] = 0;
      s->first[pos] = (uint32_t)s->off[i];
    }
    s->tf[pos][s->field[i]]++;
  }
  if (s->n_distinct > s->cap_rows) {
    free(s->rows);
    s->rows = malloc(s->n_distinct * sizeof *s->rows);
    s->cap_rows = s->rows ? s->n_distinct : 0;
    if (!s->rows) return sr_fail(err, SR_ERR_NOMEM, "static encoder: out of memory");
  }
  size_t m = 0;
  for (size_t i = 0; i < s->n_distinct; i++) {
    /* the index stores name/description tfs saturated at 255 and body at 65535: do the same */
    uint32_t tn = s->tf[i][0] > 255 ? 255 : s->tf[i][0], td = s->tf[i][1] > 255 ? 255 : s->tf[i][1];
    uint32_t tb = s->tf[i][2] > 65535 ? 65535 : s->tf[i][2];
    float w = e->field_weight[0] * tf_weight(tn) + e->field_weight[1] * tf_weight(td) + e->field_weight[2] * tf_weight(tb);
    if (w <= 0.0f) continue;
    const char *t = s->bytes.data + s->first[i];
    uint32_t b = sr_senc_bucket(e, t, strlen(t));
    s->rows[m++] = (sr_wrow){b, w * e->idf[b]};
  }
  *rows = s->rows;
  *n_rows = m;
  return SR_OK;
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
