/* gemm_avx2.c — AVX2/FMA block kernels: f32 and bf16 weights (6x16 register tile, K blocked),
 * int8 weights (4x16, sign trick with vpmaddubsw). Compiled for x86-64-v2; only these functions use
 * AVX2 via target attributes, and gemm.c calls them only after CPU detection said AVX2+FMA. */
#include "kernels/gemm_impl.h"

#include <immintrin.h>
#include <string.h>

#define TGT __attribute__((target("avx2,fma,f16c")))
#define KC 256 /* K block: a 16-column weight block of KC rows (16 KiB f32) stays in L1 */

/* Loads 16 weights at w (f32 or bf16) as two 8-float vectors. */
#define LOADB(bf, w, b0, b1)                                                                         \
  do {                                                                                               \
    if (bf) {                                                                                        \
      __m256i t0 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(w)));                      \
      __m256i t1 = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)(w) + 8))); \
      b0 = _mm256_castsi256_ps(_mm256_slli_epi32(t0, 16));                                          \
      b1 = _mm256_castsi256_ps(_mm256_slli_epi32(t1, 16));                                          \
    } else {                                                                                         \
      b0 = _mm256_load_ps((const float *)(w));                                                       \
      b1 = _mm256_load_ps((const float *)(w) + 8);                                                   \
    }                                                                                                \
  } while (0)

/* c[0..mr)[0..16) (+)= x[0..mr)[0..kc) · w[0..kc)[0..16); rows >= mr of x are never read. */
TGT static inline __attribute__((always_inline)) void mk_6x16(bool bf, size_t kc, const float *x,
                                                              size_t ldx, size_t mr, const void *w,
                                                              float *c, size_t ldc, bool acc) {
  const float *x0 = x, *x1 = x + (mr > 1 ? 1 : 0) * ldx, *x2 = x + (mr > 2 ? 2 : 0) * ldx,
              *x3 = x + (mr > 3 ? 3 : 0) * ldx, *x4 = x + (mr > 4 ? 4 : 0) * ldx,
              *x5 = x + (mr > 5 ? 5 : 0) * ldx;
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
         c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  size_t esz = bf ? 2 : 4;
  const char *wp = w;
  for (size_t k = 0; k < kc; k++, wp += 16 * esz) {
    __m256 b0, b1, a;
    LOADB(bf, wp, b0, b1);
    a = _mm256_broadcast_ss(x0 + k); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(x1 + k); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(x2 + k); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(x3 + k); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(x4 + k); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(x5 + k); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  __m256 r[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  for (size_t i = 0; i < mr; i++) {
    float *ci = c + i * ldc;
    __m256 v0 = r[2 * i], v1 = r[2 * i + 1];
    if (acc) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ci));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ci + 8));
    }
    _mm256_storeu_ps(ci, v0);
    _mm256_storeu_ps(ci + 8, v1);
  }
}

TGT static inline __attribute__((always_inline)) void block_avx2(bool bf, const gemm_job *j, size_t m0,
                                                                 size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  size_t K = p->k, esz = bf ? 2 : 4;
  float tmp[6 * 16];
  for (size_t k0 = 0; k0 < K; k0 += KC) {
    size_t kc = K - k0 < KC ? K - k0 : KC;
    bool acc = j->acc || k0 > 0;
    for (size_t n = n0; n < n1; n += 16) {
      const char *wp = (const char *)p->w + ((n / 16) * K + k0) * 16 * esz;
      size_t nc = n1 - n < 16 ? n1 - n : 16;
      for (size_t m = m0; m < m1; m += 6) {
        size_t mr = m1 - m < 6 ? m1 - m : 6;
        const float *x = j->x + m * j->ldx + k0;
        float *y = j->y + m * j->ldy + n;
        if (nc == 16) {
          mk_6x16(bf, kc, x, j->ldx, mr, wp, y, j->ldy, acc);
        } else {
          mk_6x16(bf, kc, x, j->ldx, mr, wp, tmp, 16, false);
          sr_tile_to_y(tmp, 16, y, j->ldy, mr, nc, acc);
        }
      }
    }
  }
}

TGT void sr_gemm_block_avx2_f32(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  block_avx2(false, j, m0, m1, n0, n1);
}

TGT void sr_gemm_block_avx2_bf16(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  block_avx2(true, j, m0, m1, n0, n1);
}

/* ---- int8: weights [np/16][kp/4][16][4], blocks of 32 K with a scale per column ---- */

/* Integer dot products of one 4-byte x group with 8 columns x 4 k of weights: |x| * sign(w, x). */
TGT static inline __m256i dot4(__m256i xb, __m256i w, __m256i ones) {
  __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(xb, xb), _mm256_sign_epi8(w, xb));
  return _mm256_madd_epi16(p, ones);
}

TGT void sr_gemm_block_avx2_i8(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  size_t kp = p->kp, kb = kp / 32;
  const __m256i ones = _mm256_set1_epi16(1);
  float tmp[4 * 16];
  for (size_t n = n0; n < n1; n += 16) {
    size_t pan = n / 16, nc = n1 - n < 16 ? n1 - n : 16;
    const int8_t *wp = (const int8_t *)p->w + pan * (kp / 4) * 64;
    const float *sc = p->scale + pan * kb * 16;
    for (size_t m = m0; m < m1; m += 4) {
      size_t mr = m1 - m < 4 ? m1 - m : 4;
      const int8_t *xr[4];
      for (size_t r = 0; r < 4; r++) xr[r] = j->xq + (m + (r < mr ? r : 0)) * j->ldxa;
      __m256 f[4][2];
      for (int r = 0; r < 4; r++) f[r][0] = f[r][1] = _mm256_setzero_ps();
      for (size_t b = 0; b < kb; b++) {
        __m256i s[4][2];
        for (int r = 0; r < 4; r++) s[r][0] = s[r][1] = _mm256_setzero_si256();
        const int8_t *wb = wp + b * 8 * 64;
        for (int q = 0; q < 8; q++) {
          __m256i w0 = _mm256_load_si256((const __m256i *)(wb + q * 64));
          __m256i w1 = _mm256_load_si256((const __m256i *)(wb + q * 64 + 32));
          for (int r = 0; r < 4; r++) {
            int32_t v;
            memcpy(&v, xr[r] + b * 32 + (size_t)q * 4, 4);
            __m256i xb = _mm256_set1_epi32(v);
            s[r][0] = _mm256_add_epi32(s[r][0], dot4(xb, w0, ones));
            s[r][1] = _mm256_add_epi32(s[r][1], dot4(xb, w1, ones));
          }
        }
        __m256 d0 = _mm256_loadu_ps(sc + b * 16), d1 = _mm256_loadu_ps(sc + b * 16 + 8);
        for (int r = 0; r < 4; r++) {
          f[r][0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[r][0]), d0, f[r][0]);
          f[r][1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[r][1]), d1, f[r][1]);
        }
      }
      for (size_t r = 0; r < mr; r++) {
        __m256 xs = _mm256_set1_ps(j->xs[m + r]);
        _mm256_storeu_ps(tmp + r * 16, _mm256_mul_ps(f[r][0], xs));
        _mm256_storeu_ps(tmp + r * 16 + 8, _mm256_mul_ps(f[r][1], xs));
      }
      sr_tile_to_y(tmp, 16, j->y + m * j->ldy + n, j->ldy, mr, nc, j->acc);
    }
  }
}
