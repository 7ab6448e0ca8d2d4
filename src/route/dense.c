/* dense.c — see dense.h. */
#include "route/dense.h"

#include <assert.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"

/* ---- a bounded min-heap of the best results so far (root = the worst kept) ---- */
typedef struct topk { sr_result *h; size_t n, cap; } topk;

static bool worse(sr_result a, sr_result b) { return a.score < b.score || (a.score == b.score && a.id > b.id); }

static void heap_push(topk *t, uint32_t id, float score) {
  sr_result r = {id, score};
  if (t->n == t->cap) {
    if (!worse(t->h[0], r)) return;
    size_t i = 0;  /* replace the root and sift down */
    for (;;) {
      size_t l = 2 * i + 1, m = i;
      sr_result best = r;
      if (l < t->n && worse(t->h[l], best)) { m = l; best = t->h[l]; }
      if (l + 1 < t->n && worse(t->h[l + 1], best)) m = l + 1;
      if (m == i) break;
      t->h[i] = t->h[m];
      i = m;
    }
    t->h[i] = r;
    return;
  }
  size_t i = t->n++;
  while (i && worse(r, t->h[(i - 1) / 2])) { t->h[i] = t->h[(i - 1) / 2]; i = (i - 1) / 2; }
  t->h[i] = r;
}

static int by_rank(const void *a, const void *b) {
  const sr_result *x = a, *y = b;
  return worse(*x, *y) ? 1 : worse(*y, *x) ? -1 : 0;
}

/* ---- scalar reference kernels ---- */
static float dot_f32(const float *a, const float *b, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static float dot_f16(const float *q, const uint16_t *r, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; i++) s += q[i] * sr_half_to_f32(r[i]);
  return s;
}

static int32_t dot_i8(const int8_t *a, const int8_t *b, size_t n) {
  int32_t s = 0;
  for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * b[i];
  return s;
}

static float dot_i8f(const float *q, const int8_t *r, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; i++) s += q[i] * (float)r[i];
  return s;
}

float sr_dense_score_ref(const sr_vec_view *v, const float *q, size_t row) {
  size_t d = v->dim;
  if (v->dtype == SR_VEC_F32) return dot_f32(q, (const float *)v->data + row * d, d);
  if (v->dtype == SR_VEC_F16) return dot_f16(q, (const uint16_t *)v->data + row * d, d);
  if (v->refine) return dot_f16(q, v->refine + row * d, d);
  return dot_i8f(q, (const int8_t *)v->data + row * d, d) * v->scale[row];
}

/* ---- AVX2 kernels ---- */
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

AVX2 static float dot_f32_avx2(const float *a, const float *b, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  float s = hsum8(_mm256_add_ps(s0, s1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

AVX2 static float dot_f16_avx2(const float *q, const uint16_t *r, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 r0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + i)));
    __m256 r1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + i + 8)));
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), r0, s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), r1, s1);
  }
  float s = hsum8(_mm256_add_ps(s0, s1));
  for (; i < n; i++) s += q[i] * sr_half_to_f32(r[i]);
  return s;
}

/* qa = |q| (u8), row r (s8): sum q*r = sum |q| * sign(r, q). |q|,|r| <= 127 keeps maddubs from saturating. */
AVX2 static int32_t dot_i8_avx2(const int8_t *q, const uint8_t *qa, const int8_t *r, size_t n) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m256i q0 = _mm256_loadu_si256((const __m256i *)(q + i)), q1 = _mm256_loadu_si256((const __m256i *)(q + i + 32));
    __m256i a0 = _mm256_loadu_si256((const __m256i *)(qa + i)), a1 = _mm256_loadu_si256((const __m256i *)(qa + i + 32));
    __m256i r0 = _mm256_loadu_si256((const __m256i *)(r + i)), r1 = _mm256_loadu_si256((const __m256i *)(r + i + 32));
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_maddubs_epi16(a0, _mm256_sign_epi8(r0, q0)), ones));
    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_maddubs_epi16(a1, _mm256_sign_epi8(r1, q1)), ones));
  }
  __m256i s = _mm256_add_epi32(s0, s1);
  __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
  t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
  int32_t sum = _mm_cvtsi128_si32(t);
  for (; i < n; i++) sum += (int32_t)q[i] * r[i];
  return sum;
}

/* ---- search ---- */
#define PREFETCH_ROWS 8

static bool use_avx2(const sr_dense_opts *o) {
  const sr_cpu_features *f = sr_cpu_get();
  return !o->force_scalar && f->avx2_fma && f->cap >= SR_ISA_AVX2;
}

sr_status sr_dense_search(const sr_vec_view *v, const float *q, const sr_dense_opts *o, sr_result *out, size_t *n_out,
                          sr_error *err) {
  *n_out = 0;
  if (!v->info || !v->data) return sr_fail(err, SR_ERR_ARG, "dense search: the index holds no vectors");
  if (o->k == 0) return sr_fail(err, SR_ERR_ARG, "dense search: k must be positive");
  size_t n = v->n, d = v->dim, k = o->k < n ? o->k : n;
  if (k == 0) return SR_OK;
  bool avx = use_avx2(o);
  if (v->dtype != SR_VEC_I8) {
    topk t = {out, 0, k};
    for (size_t i = 0; i < n; i++) {
      float s;
      if (v->dtype == SR_VEC_F32) {
        const float *r = (const float *)v->data + i * d;
        s = avx ? dot_f32_avx2(q, r, d) : dot_f32(q, r, d);
      } else {
        const uint16_t *r = (const uint16_t *)v->data + i * d;
        s = avx ? dot_f16_avx2(q, r, d) : dot_f16(q, r, d);
      }
      heap_push(&t, (uint32_t)i, s);
    }
    qsort(out, t.n, sizeof *out, by_rank);
    *n_out = t.n;
    return SR_OK;
  }
  /* int8: integer pass with the quantised query, then the candidates rescored with the f32 query against
   * the f16 refine rows (exact to ~1e-4) or, without them, the dequantised int8 rows */
  size_t R = o->rescore ? o->rescore : (4 * k > 200 ? 4 * k : 200);
  if (R < k) R = k;
  if (R > n) R = n;
  int8_t *q8 = malloc(d);
  uint8_t *qa = malloc(d);
  sr_result *cand = malloc(R * sizeof *cand);
  if (!q8 || !qa || !cand) {
    free(q8); free(qa); free(cand);
    return sr_fail(err, SR_ERR_NOMEM, "dense search: out of memory");
  }
  float qs = sr_quantize_i8(q, d, q8);
  for (size_t j = 0; j < d; j++) qa[j] = (uint8_t)abs(q8[j]);
  topk t = {cand, 0, R};
  const int8_t *base = v->data;
  for (size_t i = 0; i < n; i++) {
    const int8_t *r = base + i * d;
    if (avx && i + PREFETCH_ROWS < n)  /* the scan is memory-bound: ask for the row 8 ahead (~5% at 80K x 1024) */
      for (size_t b = 0; b < d; b += 64) _mm_prefetch((const char *)(r + PREFETCH_ROWS * d + b), _MM_HINT_T0);
    int32_t s = avx ? dot_i8_avx2(q8, qa, r, d) : dot_i8(q8, r, d);
    heap_push(&t, (uint32_t)i, (float)s * qs * v->scale[i]);
  }
  topk best = {out, 0, k};
  for (size_t c = 0; c < t.n; c++) {
    uint32_t i = cand[c].id;
    float sc;
    if (v->refine) {
      const uint16_t *r = v->refine + (size_t)i * d;
      sc = avx ? dot_f16_avx2(q, r, d) : dot_f16(q, r, d);
    } else {
      sc = dot_i8f(q, base + (size_t)i * d, d) * v->scale[i];
    }
    heap_push(&best, i, sc);
  }
  qsort(out, best.n, sizeof *out, by_rank);
  *n_out = best.n;
  free(q8); free(qa); free(cand);
  return SR_OK;
}
