/* gemm_amx.c — AMX block kernels (bf16: 2x2 tiles of 16x16 f32 over the whole K; int8: one tile
 * product per 32-K block of Q8_0-style weights, block scales applied with AVX-512).
 * The caller (gemm.c) only dispatches here when cpu.c found AMX and obtained XTILEDATA permission.
 * Each block call loads its own tile configuration and releases the tiles before returning, so
 * nothing about tile state leaks between calls or threads. */
#include "kernels/gemm_impl.h"

#include <immintrin.h>
#include <string.h>

#define TGT __attribute__((target("amx-tile,amx-bf16,amx-int8,avx512f,avx512bw,avx512vl")))

typedef struct __attribute__((aligned(64))) tilecfg {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tilecfg;

_Static_assert(sizeof(tilecfg) == 64, "AMX tile config is 64 bytes");

static void cfg_tile(tilecfg *c, int t, int rows, int colsb) {
  c->rows[t] = (uint8_t)rows;
  c->colsb[t] = (uint16_t)colsb;
}

/* bf16: C tiles 0..3 (16x16 f32), A tiles 4,5 (16 rows x 32 bf16), B tiles 6,7 (16 k-pairs x 16 cols). */
TGT void sr_gemm_block_amx_bf16(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  size_t kp = p->kp, lda = j->ldxa * 2; /* bytes */
  tilecfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette_id = 1;
  for (int t = 0; t < 8; t++) cfg_tile(&cfg, t, 16, 64);
  _tile_loadconfig(&cfg);
  float tmp[32 * 32] __attribute__((aligned(64)));
  for (size_t m = m0; m < m1; m += 32) {
    const uint16_t *a = j->xb + m * j->ldxa; /* rows up to m + 31 exist (zero padded) */
    size_t mr = m1 - m < 32 ? m1 - m : 32;
    for (size_t n = n0; n < n1; n += 32) {
      const char *b = (const char *)p->w + (n / 32) * (kp / 2) * 128;
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (size_t k = 0; k < kp; k += 32) {
        _tile_loadd(4, a + k, lda);
        _tile_loadd(5, a + 16 * j->ldxa + k, lda);
        _tile_loadd(6, b + (k / 2) * 128, 128);
        _tile_loadd(7, b + (k / 2) * 128 + 64, 128);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      _tile_stored(0, tmp, 128);
      _tile_stored(1, tmp + 16, 128);
      _tile_stored(2, tmp + 16 * 32, 128);
      _tile_stored(3, tmp + 16 * 32 + 16, 128);
      size_t nc = n1 - n < 32 ? n1 - n : 32;
      sr_tile_to_y(tmp, 32, j->y + m * j->ldy + n, j->ldy, mr, nc, j->acc);
    }
  }
  _tile_release();
}

/* int8: C tiles 0,1 (16x16 i32), A tiles 2,3 (16 rows x 32 int8), B tile 4 (8 k-quads x 16 cols). */
TGT void sr_gemm_block_amx_i8(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1) {
  const sr_pw *p = j->w;
  size_t kp = p->kp, kb = kp / 32, lda = j->ldxa;
  tilecfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette_id = 1;
  cfg_tile(&cfg, 0, 16, 64);
  cfg_tile(&cfg, 1, 16, 64);
  cfg_tile(&cfg, 2, 16, 32);
  cfg_tile(&cfg, 3, 16, 32);
  cfg_tile(&cfg, 4, 8, 64);
  _tile_loadconfig(&cfg);
  int32_t ci[32 * 16] __attribute__((aligned(64)));
  float f[32 * 16] __attribute__((aligned(64)));
  for (size_t m = m0; m < m1; m += 32) {
    const int8_t *a = j->xq + m * lda;
    size_t mr = m1 - m < 32 ? m1 - m : 32;
    for (size_t n = n0; n < n1; n += 16) {
      size_t pan = n / 16;
      const int8_t *b = (const int8_t *)p->w + pan * (kp / 4) * 64;
      const float *sc = p->scale + pan * kb * 16;
      for (int r = 0; r < 32; r++) _mm512_store_ps(f + r * 16, _mm512_setzero_ps());
      for (size_t blk = 0; blk < kb; blk++) {
        _tile_zero(0);
        _tile_zero(1);
        _tile_loadd(2, a + blk * 32, lda);
        _tile_loadd(3, a + 16 * lda + blk * 32, lda);
        _tile_loadd(4, b + blk * 8 * 64, 64);
        _tile_dpbssd(0, 2, 4);
        _tile_dpbssd(1, 3, 4);
        _tile_stored(0, ci, 64);
        _tile_stored(1, ci + 16 * 16, 64);
        __m512 d = _mm512_loadu_ps(sc + blk * 16);
        for (int r = 0; r < 32; r++)
          _mm512_store_ps(f + r * 16, _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(ci + r * 16)), d,
                                                      _mm512_load_ps(f + r * 16)));
      }
      for (size_t r = 0; r < mr; r++)
        _mm512_store_ps(f + r * 16, _mm512_mul_ps(_mm512_load_ps(f + r * 16), _mm512_set1_ps(j->xs[m + r])));
      size_t nc = n1 - n < 16 ? n1 - n : 16;
      sr_tile_to_y(f, 16, j->y + m * j->ldy + n, j->ldy, mr, nc, j->acc);
    }
  }
  _tile_release();
}
