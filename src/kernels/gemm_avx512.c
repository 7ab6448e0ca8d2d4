/* gemm_avx512.c — AVX-512 block kernels: f32 (12x32 register tile, K blocked), bf16 with
 * vdpbf16ps (12x32, weights in k-pair order) and int8 with vpdpbusd (8x16, Q8_0-style blocks).
 * Only these functions use AVX-512 (target attributes); gemm.c calls them only after detection. */
#include "kernels/gemm_impl.h"

#include <immintrin.h>
#include <string.h>

#define TGT __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define TGT_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma")))
#define TGT_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma")))
#define MR 12
#define KC 256 /* f32: a 32-column x KC block of weights = 32 KiB */

/* ---- f32: weights [np/32][k][32] ---- */

TGT static void mk_f32_12x32(size_t kc, const float *x, size_t ldx, size_t mr, const float *w, float *c,
                             size_t ldc, bool acc) {
  const float *xr[MR];
  for (size_t r = 0; r < MR; r++) xr[r] = x + (r < mr ? r : 0) * ldx;
  __m512 cc[MR][2];
  for (int r = 0; r < MR; r++) cc[r][0] = cc[r][1] = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; k++, w += 32) {
    __m512 b0 = _mm512_load_ps(w), b1 = _mm512_load_ps(w + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      __m512 a = _mm512_set1_ps(xr[r][k]);
      cc[r][0] = _mm512_fmadd_ps(a, b0, cc[r][0]);
      cc[r][1] = _mm512_fmadd_ps(a, b1, cc[r][1]);
    }
  }
  for (size_t r = 0; r < mr; r++) {
    float *ci = c + r * ldc;
    __m512 v0 = cc[r][0], v1 = cc[r][1];
    if (acc) {
      v0 = _mm512_add_ps(v0, _mm512_loadu_ps(ci));
      v1 = _mm512_add_ps(v1, _mm512_loadu_ps(ci + 16));
    }
    _mm512_storeu_ps(ci, v0);
    _mm512_storeu_ps(ci + 16, v1);
  }
}

TGT void sr_gemm_block_avx512_f32(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  size_t K = p->k;
  float tmp[MR * 32];
  for (size_t k0 = 0; k0 < K; k0 += KC) {
    size_t kc = K - k0 < KC ? K - k0 : KC;
    bool acc = j->acc || k0 > 0;
    for (size_t n = n0; n < n1; n += 32) {
      const float *wp = (const float *)p->w + ((n / 32) * K + k0) * 32;
      size_t nc = n1 - n < 32 ? n1 - n : 32;
      for (size_t m = m0; m < m1; m += MR) {
        size_t mr = m1 - m < MR ? m1 - m : MR;
        const float *x = j->x + m * j->ldx + k0;
        float *y = j->y + m * j->ldy + n;
        if (nc == 32) {
          mk_f32_12x32(kc, x, j->ldx, mr, wp, y, j->ldy, acc);
        } else {
          mk_f32_12x32(kc, x, j->ldx, mr, wp, tmp, 32, false);
          sr_tile_to_y(tmp, 32, y, j->ldy, mr, nc, acc);
        }
      }
    }
  }
}

/* ---- bf16: weights [np/32][kp/2][32][2], activations bf16 [mp][kp] ---- */

TGT_BF16 static void mk_bf16_12x32(size_t kc2, const uint16_t *x, size_t ldx, size_t mr, const uint16_t *w,
                                   float *c, size_t ldc, bool acc) {
  const uint16_t *xr[MR];
  for (size_t r = 0; r < MR; r++) xr[r] = x + (r < mr ? r : 0) * ldx;
  __m512 cc[MR][2];
  for (int r = 0; r < MR; r++) cc[r][0] = cc[r][1] = _mm512_setzero_ps();
  for (size_t kk = 0; kk < kc2; kk++, w += 64) {
    __m512bh b0 = (__m512bh)_mm512_load_si512(w), b1 = (__m512bh)_mm512_load_si512(w + 32);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      int32_t pair;
      memcpy(&pair, xr[r] + 2 * kk, 4);
      __m512bh a = (__m512bh)_mm512_set1_epi32(pair);
      cc[r][0] = _mm512_dpbf16_ps(cc[r][0], a, b0);
      cc[r][1] = _mm512_dpbf16_ps(cc[r][1], a, b1);
    }
  }
  for (size_t r = 0; r < mr; r++) {
    float *ci = c + r * ldc;
    __m512 v0 = cc[r][0], v1 = cc[r][1];
    if (acc) {
      v0 = _mm512_add_ps(v0, _mm512_loadu_ps(ci));
      v1 = _mm512_add_ps(v1, _mm512_loadu_ps(ci + 16));
    }
    _mm512_storeu_ps(ci, v0);
    _mm512_storeu_ps(ci + 16, v1);
  }
}

TGT_BF16 void sr_gemm_block_avx512_bf16(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  size_t kp = p->kp, KC2 = 256; /* k pairs per block: 32 x 512 bf16 = 32 KiB */
  float tmp[MR * 32];
  for (size_t k0 = 0; k0 < kp / 2; k0 += KC2) {
    size_t kc2 = kp / 2 - k0 < KC2 ? kp / 2 - k0 : KC2;
    bool acc = j->acc || k0 > 0;
    for (size_t n = n0; n < n1; n += 32) {
      const uint16_t *wp = (const uint16_t *)p->w + ((n / 32) * (kp / 2) + k0) * 64;
      size_t nc = n1 - n < 32 ? n1 - n : 32;
      for (size_t m = m0; m < m1; m += MR) {
        size_t mr = m1 - m < MR ? m1 - m : MR;
        const uint16_t *x = j->xb + m * j->ldxa + 2 * k0;
        float *y = j->y + m * j->ldy + n;
        if (nc == 32) {
          mk_bf16_12x32(kc2, x, j->ldxa, mr, wp, y, j->ldy, acc);
        } else {
          mk_bf16_12x32(kc2, x, j->ldxa, mr, wp, tmp, 32, false);
          sr_tile_to_y(tmp, 32, y, j->ldy, mr, nc, acc);
        }
      }
    }
  }
}

/* ---- int8 with vpdpbusd: unsigned x' = x + 128, so x'.w = x.w + 128 * sum(w) (corr) ---- */

#define MR8 8
TGT_VNNI void sr_gemm_block_vnni_i8(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  size_t kp = p->kp, kb = kp / 32;
  const __m512i bias = _mm512_set1_epi8((char)0x80);
  float tmp[MR8 * 16];
  for (size_t n = n0; n < n1; n += 16) {
    size_t pan = n / 16, nc = n1 - n < 16 ? n1 - n : 16;
    const int8_t *wp = (const int8_t *)p->w + pan * (kp / 4) * 64;
    const float *sc = p->scale + pan * kb * 16;
    const int32_t *co = p->corr + pan * kb * 16;
    for (size_t m = m0; m < m1; m += MR8) {
      size_t mr = m1 - m < MR8 ? m1 - m : MR8;
      const int8_t *xr[MR8];
      for (size_t r = 0; r < MR8; r++) xr[r] = j->xq + (m + (r < mr ? r : 0)) * j->ldxa;
      __m512 f[MR8];
      for (int r = 0; r < MR8; r++) f[r] = _mm512_setzero_ps();
      for (size_t b = 0; b < kb; b++) {
        __m512i corr = _mm512_loadu_si512(co + b * 16), s[MR8];
        for (int r = 0; r < MR8; r++) s[r] = _mm512_sub_epi32(_mm512_setzero_si512(), corr);
        const int8_t *wb = wp + b * 8 * 64;
        for (int q = 0; q < 8; q++) {
          __m512i wv = _mm512_load_si512(wb + q * 64);
#pragma GCC unroll 8
          for (int r = 0; r < MR8; r++) {
            int32_t v;
            memcpy(&v, xr[r] + b * 32 + (size_t)q * 4, 4);
            __m512i xu = _mm512_xor_si512(_mm512_set1_epi32(v), bias);
            s[r] = _mm512_dpbusd_epi32(s[r], xu, wv);
          }
        }
        __m512 d = _mm512_loadu_ps(sc + b * 16);
        for (int r = 0; r < MR8; r++) f[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[r]), d, f[r]);
      }
      for (size_t r = 0; r < mr; r++)
        _mm512_storeu_ps(tmp + r * 16, _mm512_mul_ps(f[r], _mm512_set1_ps(j->xs[m + r])));
      sr_tile_to_y(tmp, 16, j->y + m * j->ldy + n, j->ldy, mr, nc, j->acc);
    }
  }
}
