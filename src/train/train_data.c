/* train_data.c — first-stage lists, categories and hard-negative mining with the false-negative
 * filter. See train.h and train_internal.h. */
#include <ctype.h>
#include <immintrin.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/ltr.h"
#include "train/train_internal.h"
#include "util/hash.h"
#include "util/parallel.h"
#include "util/rng.h"

void sr_train_log(const tctx *t, const char *fmt, ...) {
  if (!t->o->log) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  t->o->log(t->o->log_ctx, line);
}

/* ---- lexical lists ---- */

typedef struct lex_job {
  tctx *t;
  sr_searcher *s[64];
  sr_ltr_list l[64];
  sr_status st[64];
  sr_error err[64];
  sr_result *res[64];
} lex_job;

static void lex_one(void *ctx, size_t i, int tid) {
  lex_job *j = ctx;
  tctx *t = j->t;
  if (j->st[tid] != SR_OK) return;
  if (t->o->cancel && *t->o->cancel) {
    j->st[tid] = sr_fail(&j->err[tid], SR_ERR_INTERRUPTED, "training interrupted");
    return;
  }
  const sr_pair *p = &t->pairs.v[i];
  sr_route_opts ro = {.k = SR_TRAIN_LIST + 1, .by = SR_BY_ENTRY, .bm25f = NULL};
  size_t n = 0;
  sr_status st = sr_route(j->s[tid], p->query, strlen(p->query), &ro, j->res[tid], &n, NULL, &j->err[tid]);
  if (st != SR_OK) {
    j->st[tid] = st;
    return;
  }
  /* the positive's score without its own text */
  sr_ltr_list *l = &j->l[tid];
  if ((st = sr_ltr_list_begin(l, t->ix, p->q, p->nq, 1, sr_bm25f_defaults().max_df_ratio, &j->err[tid])) != SR_OK) {
    j->st[tid] = st;
    return;
  }
  l->doc[0] = p->doc;
  sr_ltr_gather_forward(l, t->fwd, p->doc, p->minus, p->n_minus);
  sr_bm25f_params bp = sr_bm25f_defaults();
  float pos = sr_ltr_bm25f(l, 0, &bp, t->fwd->avg_field_len);
  uint32_t *out = &t->lex[i * SR_TRAIN_LIST];
  size_t m = 0;
  bool placed = pos <= 0;
  for (size_t r = 0; r < n && m < SR_TRAIN_LIST; r++) {
    if (j->res[tid][r].id == p->doc) continue;
    if (!placed && pos > j->res[tid][r].score) {
      out[m++] = p->doc;
      placed = true;
      if (m == SR_TRAIN_LIST) break;
    }
    out[m++] = j->res[tid][r].id;
  }
  if (!placed && m < SR_TRAIN_LIST) out[m++] = p->doc;
  t->n_lex[i] = (uint32_t)m;
}

sr_status sr_train_lexical_lists(tctx *t, sr_error *err) {
  lex_job *j = calloc(1, sizeof *j);
  if (!j) return sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
  j->t = t;
  sr_status st = SR_OK;
  for (int k = 0; k < t->threads && st == SR_OK; k++) {
    st = sr_searcher_new(t->ix, &j->s[k], err);
    j->res[k] = malloc((SR_TRAIN_LIST + 1) * sizeof(sr_result));
    if (st == SR_OK && !j->res[k]) st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
  }
  if (st == SR_OK) {
    sr_parallel_run(t->threads, t->pairs.n, lex_one, j);
    for (int k = 0; k < t->threads; k++)
      if (j->st[k] != SR_OK && st == SR_OK) {
        st = j->st[k];
        if (err) *err = j->err[k];
      }
  }
  for (int k = 0; k < t->threads; k++) {
    sr_searcher_free(j->s[k]);
    sr_ltr_list_free(&j->l[k]);
    free(j->res[k]);
  }
  free(j);
  return st;
}

/* ---- encoding ---- */

typedef struct enc_job {
  tctx *t;
  sr_wrow *rows[64];
} enc_job;

static void enc_doc(void *ctx, size_t d, int tid) {
  enc_job *j = ctx;
  tctx *t = j->t;
  size_t n = sr_senc_doc_rows(t->enc, t->fwd, t->bucket, (uint32_t)d, NULL, 0, j->rows[tid]);
  sr_senc_pool(t->enc, j->rows[tid], n, &t->docvec[d * t->dim]);
}

static void enc_pair(void *ctx, size_t i, int tid) {
  enc_job *j = ctx;
  tctx *t = j->t;
  const sr_pair *p = &t->pairs.v[i];
  size_t n = sr_senc_doc_rows(t->enc, t->fwd, t->bucket, p->doc, p->minus, p->n_minus, j->rows[tid]);
  sr_senc_pool(t->enc, j->rows[tid], n, &t->posvec[i * t->dim]);
  n = sr_senc_query_rows(t->enc, p->q, p->nq, j->rows[tid]);
  sr_senc_pool(t->enc, j->rows[tid], n, &t->qvec[i * t->dim]);
}

sr_status sr_train_encode_all(tctx *t, sr_error *err) {
  enc_job j = {.t = t};
  size_t max_terms = 1;
  for (uint32_t d = 0; d < t->n_docs; d++) {
    size_t n = (size_t)(t->fwd->start[d + 1] - t->fwd->start[d]);
    if (n > max_terms) max_terms = n;
  }
  for (size_t i = 0; i < t->pairs.n; i++)
    if (t->pairs.v[i].nq > max_terms) max_terms = t->pairs.v[i].nq;
  for (int k = 0; k < t->threads; k++) j.rows[k] = malloc(max_terms * sizeof(sr_wrow));
  for (int k = 0; k < t->threads; k++)
    if (!j.rows[k]) {  /* out of memory: encode on one thread with the first buffer */
      for (int m = 1; m < t->threads; m++) free(j.rows[m]), j.rows[m] = NULL;
      break;
    }
  int th = j.rows[t->threads - 1] ? t->threads : 1;
  if (!j.rows[0]) return sr_fail(err, SR_ERR_NOMEM, "train: out of memory");
  sr_parallel_run(th, t->n_docs, enc_doc, &j);
  sr_parallel_run(th, t->pairs.n, enc_pair, &j);
  for (int k = 0; k < t->threads; k++) free(j.rows[k]);
  return SR_OK;
}

/* ---- dense lists ---- */

static inline float dot(const float *a, const float *b, size_t n) {
  float s = 0;
  for (size_t k = 0; k < n; k++) s += a[k] * b[k];
  return s;
}

__attribute__((target("avx2,fma"))) static void scores_all_avx2(const float *docvec, size_t n_docs, size_t dim,
                                                                const float *q, float *out) {
  for (size_t d = 0; d < n_docs; d++) {
    const float *v = docvec + d * dim;
    __m256 acc = _mm256_setzero_ps();
    for (size_t k = 0; k < dim; k += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(v + k), _mm256_loadu_ps(q + k), acc);
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
    out[d] = _mm_cvtss_f32(s4);
  }
}

/* Scores of every document vector against q: AVX2 when the CPU has it and dim is a multiple of 8,
 * else the scalar reference (the two differ only by float summation order). */
static void scores_all(const float *docvec, size_t n_docs, size_t dim, const float *q, float *out) {
  if (dim % 8 == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    scores_all_avx2(docvec, n_docs, dim, q, out);
    return;
  }
  for (size_t d = 0; d < n_docs; d++) {
    const float *v = docvec + d * dim;
    float s = 0;
    for (size_t k = 0; k < dim; k++) s += v[k] * q[k];
    out[d] = s;
  }
}

typedef struct dense_job {
  tctx *t;
  float *sc[64];
} dense_job;

/* top-K of scores into ids (descending, ties by lower id) by a bounded insertion */
static void top_k(const float *s, size_t n, uint32_t *ids, size_t k) {
  float best[SR_TRAIN_LIST];
  size_t m = 0;
  for (size_t d = 0; d < n; d++) {
    float v = s[d];
    if (m == k && v <= best[k - 1]) continue;
    size_t pos = m < k ? m++ : k - 1;
    while (pos > 0 && best[pos - 1] < v) {
      best[pos] = best[pos - 1];
      ids[pos] = ids[pos - 1];
      pos--;
    }
    best[pos] = v;
    ids[pos] = (uint32_t)d;
  }
}

static void dense_one(void *ctx, size_t i, int tid) {
  dense_job *j = ctx;
  tctx *t = j->t;
  if (t->o->cancel && *t->o->cancel) return;  /* the caller reports the interruption */
  const sr_pair *p = &t->pairs.v[i];
  float *sc = j->sc[tid];
  const float *q = &t->qvec[i * t->dim];
  scores_all(t->docvec, t->n_docs, t->dim, q, sc);
  sc[p->doc] = dot(q, &t->posvec[i * t->dim], t->dim);
  top_k(sc, t->n_docs, &t->dense[i * SR_TRAIN_LIST], SR_TRAIN_LIST);
}

sr_status sr_train_dense_lists(tctx *t, sr_error *err) {
  dense_job j = {.t = t};
  int th = t->threads;
  for (int k = 0; k < th; k++) {
    j.sc[k] = malloc(t->n_docs * sizeof(float));
    if (!j.sc[k]) {
      th = k;
      break;
    }
  }
  if (th > 0) sr_parallel_run(th, t->pairs.n, dense_one, &j);
  for (int k = 0; k < th; k++) free(j.sc[k]);
  if (th == 0) return sr_fail(err, SR_ERR_NOMEM, "train: out of memory");
  if (t->o->cancel && *t->o->cancel) return sr_fail(err, SR_ERR_INTERRUPTED, "training interrupted");
  return SR_OK;
}

/* ---- categories ---- */

sr_status sr_train_categories(tctx *t, sr_error *err) {
  uint32_t n = t->n_docs;
  sr_strmap m = SR_STRMAP_INIT;
  char **keys = calloc(n ? n : 1, sizeof *keys);
  t->cat = malloc((n ? n : 1) * sizeof *t->cat);
  t->norm_name = calloc(n ? n : 1, sizeof *t->norm_name);
  if (!keys || !t->cat || !t->norm_name) {
    free(keys);
    return sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
  }
  sr_status st = SR_OK;
  t->n_cat = 0;
  for (uint32_t d = 0; d < n && st == SR_OK; d++) {
    sr_entry_view e;
    sr_index_entry(t->ix, d, &e);
    /* category, else pack, else the id's first two path components (the repository) */
    const char *k = e.category ? e.category : e.pack;
    size_t kl;
    if (k) {
      kl = strlen(k);
    } else {
      const char *s1 = strchr(e.id, '/');
      const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
      k = e.id;
      kl = s2 ? (size_t)(s2 - e.id) : (s1 ? (size_t)(s1 - e.id) : strlen(e.id));
    }
    keys[d] = strndup(k, kl);
    char *nn = malloc(strlen(e.name ? e.name : "") + 1);
    if (!keys[d] || !nn) {
      free(nn);
      st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
      break;
    }
    size_t w = 0;
    for (const char *c = e.name ? e.name : ""; *c; c++)
      if (isalnum((unsigned char)*c)) nn[w++] = (char)tolower((unsigned char)*c);
    nn[w] = '\0';
    t->norm_name[d] = nn;
    bool ins;
    uint32_t v;
    if (!sr_strmap_put(&m, keys[d], kl, t->n_cat, &ins, &v)) {
      st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
      break;
    }
    t->cat[d] = ins ? t->n_cat++ : v;
  }
  if (st == SR_OK) {
    t->cat_start = calloc((size_t)t->n_cat + 1, sizeof *t->cat_start);
    t->cat_docs = malloc((n ? n : 1) * sizeof *t->cat_docs);
    if (!t->cat_start || !t->cat_docs) {
      st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
    } else {
      for (uint32_t d = 0; d < n; d++) t->cat_start[t->cat[d] + 1]++;
      for (uint32_t c = 0; c < t->n_cat; c++) t->cat_start[c + 1] += t->cat_start[c];
      uint32_t *cur = malloc(((size_t)t->n_cat + 1) * sizeof *cur);
      if (!cur) {
        st = sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
      } else {
        memcpy(cur, t->cat_start, (size_t)t->n_cat * sizeof *cur);
        for (uint32_t d = 0; d < n; d++) t->cat_docs[cur[t->cat[d]]++] = d;
        free(cur);
      }
    }
  }
  sr_strmap_free(&m);
  for (uint32_t d = 0; d < n; d++) free(keys[d]);
  free(keys);
  return st;
}

/* ---- false-negative filter ---- */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Sorted distinct hashes of the lower-cased word trigrams of s (first 3000 words); *n set. */
static uint64_t *trigrams(const char *s, size_t *n) {
  size_t cap = 3000, w = 0, m = 0;
  uint64_t *words = malloc(cap * sizeof *words), *tri = NULL;
  if (!words) return NULL;
  for (const char *p = s ? s : ""; *p && w < cap;) {
    while (*p && !isalnum((unsigned char)*p)) p++;
    if (!*p) break;
    uint64_t h = 1469598103934665603ull;
    while (*p && isalnum((unsigned char)*p)) h = (h ^ (uint64_t)tolower((unsigned char)*p++)) * 1099511628211ull;
    words[w++] = h;
  }
  tri = malloc((w > 2 ? w - 2 : 1) * sizeof *tri);
  if (!tri) {
    free(words);
    return NULL;
  }
  for (size_t i = 0; i + 2 < w; i++) {
    uint64_t x[3] = {words[i], words[i + 1], words[i + 2]};
    tri[m++] = sr_hash64(x, sizeof x, 7);
  }
  free(words);
  qsort(tri, m, sizeof *tri, cmp_u64);
  size_t u = 0;
  for (size_t i = 0; i < m; i++)
    if (!u || tri[u - 1] != tri[i]) tri[u++] = tri[i];
  *n = u;
  return tri;
}

static double jaccard_sets(const uint64_t *a, size_t na, const uint64_t *b, size_t nb) {
  if (!na && !nb) return 1.0;
  size_t i = 0, j = 0, inter = 0;
  while (i < na && j < nb) {
    if (a[i] < b[j]) i++;
    else if (a[i] > b[j]) j++;
    else inter++, i++, j++;
  }
  return (double)inter / (double)(na + nb - inter);
}

double sr_trigram_jaccard(const char *a, const char *b) {
  size_t na = 0, nb = 0;
  uint64_t *x = trigrams(a, &na), *y = trigrams(b, &nb);
  double j = (x && y) ? jaccard_sets(x, na, y, nb) : 0.0;
  free(x);
  free(y);
  return j;
}

typedef struct neg_job {
  tctx *t;
  bool use_dense;
  uint64_t seed;
  size_t same_name[64], jac[64], cos[64], kept[64];
} neg_job;

/* 0 = keep, 1 = same name, 2 = body Jaccard, 3 = cosine */
static int false_negative(tctx *t, uint32_t pos, uint32_t cand, const uint64_t *ptri, size_t np, bool use_cos) {
  if (t->norm_name[pos][0] && !strcmp(t->norm_name[pos], t->norm_name[cand])) return 1;
  if (use_cos && dot(&t->docvec[(size_t)pos * t->dim], &t->docvec[(size_t)cand * t->dim], t->dim) > t->o->fn_cosine)
    return 3;
  if (ptri) {
    uint32_t lp = t->fwd->field_len[(size_t)pos * 3 + 2], lc = t->fwd->field_len[(size_t)cand * 3 + 2];
    double lo = lp < lc ? lp : lc, hi = lp < lc ? lc : lp;
    if (hi > 0 && lo / hi > t->o->fn_jaccard * 0.8) { /* Jaccard ≤ |small|/|large|: skip hopeless pairs */
      sr_entry_view e;
      sr_index_entry(t->ix, cand, &e);
      size_t nc = 0;
      uint64_t *ct = trigrams(e.body, &nc);
      double jv = ct ? jaccard_sets(ptri, np, ct, nc) : 0.0;
      free(ct);
      if (jv > t->o->fn_jaccard) return 2;
    }
  }
  return 0;
}

static void neg_one(void *ctx, size_t i, int tid) {
  neg_job *j = ctx;
  tctx *t = j->t;
  const sr_pair *p = &t->pairs.v[i];
  uint32_t *out = &t->neg[i * (size_t)t->nneg];
  for (int k = 0; k < t->nneg; k++) out[k] = UINT32_MAX;
  int m = 0;
  sr_rng r;
  sr_rng_seed(&r, j->seed ^ (i * 0x9E3779B97F4A7C15ull));
  bool filter = t->o->filter;
  uint64_t *ptri = NULL;
  size_t np = 0;
  if (filter) {
    sr_entry_view e;
    sr_index_entry(t->ix, p->doc, &e);
    ptri = trigrams(e.body, &np);
  }
  int want_dense = j->use_dense ? t->o->neg_dense : 0;
  int want_bm25 = t->o->neg_bm25 + (j->use_dense ? 0 : t->o->neg_dense);
#define TRY_ADD(c)                                                                       \
  do {                                                                                   \
    uint32_t c_ = (c);                                                                   \
    bool dup_ = c_ == p->doc || sr_pairs_group_has(&t->pairs, i, c_);                     \
    for (int q_ = 0; q_ < m && !dup_; q_++) dup_ = out[q_] == c_;                        \
    if (dup_) break;                                                                     \
    int fn_ = filter ? false_negative(t, p->doc, c_, ptri, np, j->use_dense) : 0;        \
    if (fn_ == 1) j->same_name[tid]++;                                                   \
    else if (fn_ == 2) j->jac[tid]++;                                                    \
    else if (fn_ == 3) j->cos[tid]++;                                                    \
    else { out[m++] = c_; got_++; }                                                      \
  } while (0)
  int got_ = 0;
  for (size_t r2 = 0; r2 < SR_TRAIN_LIST && got_ < want_dense && m < t->nneg; r2++) TRY_ADD(t->dense[i * SR_TRAIN_LIST + r2]);
  got_ = 0;
  for (size_t r2 = 0; r2 < t->n_lex[i] && got_ < want_bm25 && m < t->nneg; r2++) TRY_ADD(t->lex[i * SR_TRAIN_LIST + r2]);
  got_ = 0;
  uint32_t c = t->cat[p->doc], cs = t->cat_start[c], cn = t->cat_start[c + 1] - cs;
  for (int tries = 0; tries < 20 && got_ < t->o->neg_cat && m < t->nneg && cn > 1; tries++)
    TRY_ADD(t->cat_docs[cs + sr_rng_below(&r, cn)]);
  got_ = 0;
  for (int tries = 0; tries < 20 && got_ < t->o->neg_rand && m < t->nneg; tries++) {
    uint32_t d = (uint32_t)sr_rng_below(&r, t->n_docs);
    if (t->cat[d] != c) TRY_ADD(d);
  }
#undef TRY_ADD
  j->kept[tid] += (size_t)m;
  free(ptri);
}

sr_status sr_train_mine_negatives(tctx *t, bool use_dense, uint64_t seed, sr_error *err) {
  neg_job *j = calloc(1, sizeof *j);
  if (!j) return sr_fail(err, SR_ERR_NOMEM, "training: out of memory");
  j->t = t;
  j->use_dense = use_dense;
  j->seed = seed;
  sr_parallel_run(t->threads, t->pairs.n, neg_one, j);
  size_t sn = 0, sj = 0, sc = 0, kept = 0;
  for (int k = 0; k < 64; k++) sn += j->same_name[k], sj += j->jac[k], sc += j->cos[k], kept += j->kept[k];
  t->rep->fn_same_name = sn;
  t->rep->fn_jaccard = sj;
  t->rep->fn_cosine = sc;
  t->rep->negatives = kept;
  free(j);
  return SR_OK;
}
