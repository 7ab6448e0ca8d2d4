/* attention_avx2.c — AVX2/FMA tiled flash attention (one work item; see attention_impl.h) and the
 * vectorised exp it uses. Compiled for x86-64-v2; only these functions use AVX2 (target attributes) and
 * attention.c calls them only after CPU detection said AVX2+FMA.
 *
 * Per item: Q rows (pre-multiplied by the scale) stay in scratch; for each block of SR_ATTN_KB keys
 * S = Q·Kᵀ with a 6x16 register tile over the transposed K block, causal mask, online softmax
 * (running max m, running sum l; acc *= exp(m_old - m_new)), then acc += P·V with a 6x16 tile whose
 * accumulators start from alpha * acc. The full score matrix is never formed: S is rows x SR_ATTN_KB.
 *
 * exp: x = n ln2 + r, n = round(x log2 e), r by a two-constant (Cody-Waite) reduction with FMA,
 * |r| <= ln2/2, e^r by the degree-7 Cephes expf polynomial, 2^n put into the exponent bits.
 * Domain -87.33 <= x <= 88: max relative error 1.2e-7 (about 1 ulp) measured over a dense sweep of
 * 200,003 points in tests/unit/test_kernels.c, which fails above 4e-7; x < -87.33 (incl. -inf) gives
 * exactly 0 (the true value is < 1.2e-38), x > 88 gives exp(88). */
#include "kernels/attention_impl.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

#define TGT __attribute__((target("avx2,fma")))
#define KB SR_ATTN_KB

TGT static inline __m256 exp8(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.33654f), hi = _mm256_set1_ps(88.0f);
  __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ); /* -inf too */
  x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

TGT void sr_vexp_avx2(const float *x, float *y, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    float a[8] = {0};
    memcpy(a, x + i, (n - i) * sizeof(float));
    _mm256_storeu_ps(a, exp8(_mm256_loadu_ps(a)));
    memcpy(y + i, a, (n - i) * sizeof(float));
  }
}

TGT static inline float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

TGT static inline float hsum8(__m256 v) {
  __m128 m = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_add_ps(m, _mm_movehl_ps(m, m));
  m = _mm_add_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

/* s[0..mr)[0..16) = q[0..mr)[0..d) · kt[0..d)[0..16) (kt: one 16-key panel, row stride 16, s row
 * stride KB); rows >= mr not read. */
TGT static inline __attribute__((always_inline)) void qk_6x16(const float *q, size_t d, size_t mr,
                                                             const float *kt, float *s) {
  const float *q0 = q, *q1 = q + (mr > 1) * d, *q2 = q + (mr > 2 ? 2 : 0) * d, *q3 = q + (mr > 3 ? 3 : 0) * d,
              *q4 = q + (mr > 4 ? 4 : 0) * d, *q5 = q + (mr > 5 ? 5 : 0) * d;
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
         c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (size_t k = 0; k < d; k++, kt += 16) {
    __m256 b0 = _mm256_loadu_ps(kt), b1 = _mm256_loadu_ps(kt + 8), a;
    a = _mm256_broadcast_ss(q0 + k); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(q1 + k); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(q2 + k); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(q3 + k); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(q4 + k); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(q5 + k); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  __m256 r[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  for (size_t i = 0; i < mr; i++) {
    _mm256_storeu_ps(s + i * KB, r[2 * i]);
    _mm256_storeu_ps(s + i * KB + 8, r[2 * i + 1]);
  }
}

/* acc[0..mr)[0..16) = alpha[i] * acc[i] + p[0..mr)[0..nk) · v[0..nk)[0..16) (p stride KB; v: one
 * 16-column panel, row stride 16; acc stride dp); rows >= mr not read. */
TGT static inline __attribute__((always_inline)) void pv_6x16(const float *p, size_t nk, size_t mr,
                                                             const float *v, size_t dp, const float *alpha,
                                                             float *acc) {
  size_t o1 = (mr > 1), o2 = mr > 2 ? 2 : 0, o3 = mr > 3 ? 3 : 0, o4 = mr > 4 ? 4 : 0, o5 = mr > 5 ? 5 : 0;
  const float *p0 = p, *p1 = p + o1 * KB, *p2 = p + o2 * KB, *p3 = p + o3 * KB, *p4 = p + o4 * KB, *p5 = p + o5 * KB;
#define LD(i, o)                                                                         \
  __m256 c##i##0 = _mm256_mul_ps(_mm256_set1_ps(alpha[o]), _mm256_loadu_ps(acc + (o) * dp)),      \
         c##i##1 = _mm256_mul_ps(_mm256_set1_ps(alpha[o]), _mm256_loadu_ps(acc + (o) * dp + 8))
  LD(0, 0); LD(1, o1); LD(2, o2); LD(3, o3); LD(4, o4); LD(5, o5);
#undef LD
  for (size_t k = 0; k < nk; k++, v += 16) {
    __m256 b0 = _mm256_loadu_ps(v), b1 = _mm256_loadu_ps(v + 8), a;
    a = _mm256_broadcast_ss(p0 + k); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(p1 + k); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(p2 + k); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(p3 + k); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(p4 + k); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(p5 + k); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  __m256 r[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  for (size_t i = 0; i < mr; i++) {
    _mm256_storeu_ps(acc + i * dp, r[2 * i]);
    _mm256_storeu_ps(acc + i * dp + 8, r[2 * i + 1]);
  }
}

TGT void sr_attn_item_avx2(const sr_attn_job *j, size_t g, size_t qblk, float *ws) {
  const sr_attn_shape *s = j->s;
  const size_t d = s->d, dp = j->dp, group = s->hq / s->hkv, rmax = j->rmax;
  const size_t i0 = qblk * j->qb, nq = s->t - i0 < j->qb ? s->t - i0 : j->qb, R = nq * group;
  const size_t off = s->tk - s->t, last = off + i0 + nq - 1; /* the item's furthest key (inclusive) */
  float *qs = ws, *acc = qs + rmax * d, *sc = acc + rmax * dp, *mx = sc + rmax * KB, *l = mx + rmax,
        *alpha = l + rmax;
  for (size_t ii = 0; ii < nq; ii++) { /* the group's heads of one position are adjacent in q */
    const float *src = j->q + ((i0 + ii) * s->hq + g * group) * d;
    for (size_t x = 0; x < group * d; x++) qs[ii * group * d + x] = src[x] * s->scale;
  }
  memset(acc, 0, sizeof(float) * R * dp);
  for (size_t r = 0; r < R; r++) mx[r] = -INFINITY, l[r] = 0.0f;
  const float *ktg = j->kt + g * j->nkb * d * KB, *vpg = j->vp + g * j->nkb * KB * dp;
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  for (size_t j0 = 0; j0 <= last; j0 += KB) {
    const size_t nk = last + 1 - j0 < KB ? last + 1 - j0 : KB, ncol = (nk + 15) & ~(size_t)15;
    const float *kb = ktg + (j0 / KB) * d * KB; /* [KB / 16][d][16] */
    for (size_t r0 = 0; r0 < R; r0 += 6) {
      size_t mr = R - r0 < 6 ? R - r0 : 6;
      for (size_t c0 = 0; c0 < ncol; c0 += 16) qk_6x16(qs + r0 * d, d, mr, kb + c0 * d, sc + r0 * KB + c0);
    }
    for (size_t r = 0; r < R; r++) {
      float *sr = sc + r * KB;
      size_t pos = off + i0 + r / group, valid = pos < j0 ? 0 : pos - j0 + 1 < nk ? pos - j0 + 1 : nk;
      for (size_t c = valid; c < ncol; c++) sr[c] = -INFINITY; /* causal mask and the padding */
      __m256 vm = ninf;
      for (size_t c = 0; c < ncol; c += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(sr + c));
      float bm = hmax8(vm), mnew = bm > mx[r] ? bm : mx[r];
      /* mnew is finite: key 0 is valid for every row and block 0 comes first */
      __m256 vmn = _mm256_set1_ps(mnew), vs = _mm256_setzero_ps();
      for (size_t c = 0; c < ncol; c += 8) {
        __m256 p = exp8(_mm256_sub_ps(_mm256_loadu_ps(sr + c), vmn));
        vs = _mm256_add_ps(vs, p);
        _mm256_storeu_ps(sr + c, p);
      }
      float a = mx[r] == -INFINITY ? 0.0f : mx[r] == mnew ? 1.0f : expf(mx[r] - mnew);
      alpha[r] = a, l[r] = l[r] * a + hsum8(vs), mx[r] = mnew;
    }
    const float *vb = vpg + j0 * dp; /* [dp / 16][KB][16] */
    for (size_t r0 = 0; r0 < R; r0 += 6) {
      size_t mr = R - r0 < 6 ? R - r0 : 6;
      for (size_t c0 = 0; c0 < dp; c0 += 16)
        pv_6x16(sc + r0 * KB, nk, mr, vb + c0 * KB, dp, alpha + r0, acc + r0 * dp + c0);
    }
  }
  for (size_t ii = 0; ii < nq; ii++) {
    float *dst = j->out + ((i0 + ii) * s->hq + g * group) * d;
    for (size_t hh = 0; hh < group; hh++) {
      size_t r = ii * group + hh;
      float inv = 1.0f / l[r];
      for (size_t x = 0; x < d; x++) dst[hh * d + x] = acc[r * dp + x] * inv;
    }
  }
}
