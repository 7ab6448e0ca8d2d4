/* gemm_impl.h — internals shared by the gemm*.c files (not a public header). */
#ifndef SR_KERNELS_GEMM_IMPL_H
#define SR_KERNELS_GEMM_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/gemm.h"

typedef enum gemm_path {
  GP_SCALAR_F32, GP_AVX2_F32, GP_AVX512_F32,
  GP_SCALAR_BF16, GP_AVX2_BF16, GP_AVX512_BF16, GP_AMX_BF16,
  GP_SCALAR_I8, GP_AVX2_I8, GP_VNNI_I8, GP_AMX_I8,
  GP_COUNT
} gemm_path;

/* Layouts of sr_pw.w (np = n rounded up to nr, kp = padded k; all padding is zero):
 *   F32 (scalar/avx2 nr=16, avx512 nr=32): float    [np/nr][k][nr]
 *   BF16 scalar/avx2 (nr=16):               uint16_t [np/16][k][16]
 *   BF16 avx512/amx (nr=32, kp%32==0):      uint16_t [np/32][kp/2][32][2]   (k pairs, VNNI order)
 *   I8 (nr=16, kp%32==0):                   int8_t   [np/16][kp/4][16][4]   (k quads, VNNI order)
 *        + scale float [np/16][kp/32][16], corr int32 [np/16][kp/32][16] = 128 * sum of the block */
struct sr_pw {
  gemm_path path;
  sr_prec prec;
  size_t n, k, np, kp;
  size_t nr;
  void *w;
  float *scale;
  int32_t *corr;
};

/* One GEMM call, as seen by the kernels. Activations are prepared by the driver per precision:
 *   F32 paths: x (caller's), ldx.   BF16 scalar/avx2: x = bf16-rounded f32 copy, ldx = k.
 *   BF16 avx512/amx: xb [mp][kp] bf16 (zero padded; mp = m rounded up to 32).
 *   I8: xq [mp][kp] int8 (zero padded), xs[m] the row scales. */
typedef struct gemm_job {
  const sr_pw *w;
  size_t m;
  const float *x;
  size_t ldx;
  const uint16_t *xb;
  const int8_t *xq;
  const float *xs;
  size_t ldxa; /* row stride of xb / xq in elements (= kp) */
  float *y;
  size_t ldy;
  bool acc;
} gemm_job;

/* A block kernel computes y rows [m0, m1) and columns [n0, n1) (n0 a multiple of w->nr). */
typedef void (*gemm_block_fn)(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);

void sr_gemm_block_avx2_f32(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);
void sr_gemm_block_avx2_bf16(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);
void sr_gemm_block_avx2_i8(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);
void sr_gemm_block_avx512_f32(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);
void sr_gemm_block_avx512_bf16(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);
void sr_gemm_block_vnni_i8(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);
void sr_gemm_block_amx_bf16(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);
void sr_gemm_block_amx_i8(const gemm_job *j, size_t m0, size_t m1, size_t n0, size_t n1);

/* Copies the valid mr x nc corner of a tile `t` (row stride ldt) into y, adding when acc. */
static inline void sr_tile_to_y(const float *t, size_t ldt, float *y, size_t ldy, size_t mr, size_t nc,
                                bool acc) {
  for (size_t r = 0; r < mr; r++)
    for (size_t c = 0; c < nc; c++) y[r * ldy + c] = (acc ? y[r * ldy + c] : 0.0f) + t[r * ldt + c];
}

#endif
