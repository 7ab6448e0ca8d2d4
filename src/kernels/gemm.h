/* gemm.h — y[M,N] (+)= x[M,K] · W[N,K]ᵀ with a prepacked weight, for the model runtime.
 *
 * Usage:  sr_pw *w;  sr_pw_pack(&w, data, SR_WT_BF16, N, K, SR_PREC_BF16, SR_ISA_AUTO, &err);
 *         sr_gemm(w, M, x, K, y, N, false, pool, &err);   ...   sr_pw_free(w);
 *
 * A weight is packed once (at model load) from f32 / bf16 / f16 / Q8_0 data into the layout of ONE
 * kernel path, chosen by (precision, ISA level):
 *
 *   prec \ isa     SR_ISA_SCALAR      SR_ISA_AVX2          SR_ISA_AVX512             SR_ISA_AMX
 *   SR_PREC_F32    scalar-f32         avx2-f32 (FMA)       avx512-f32                (= avx512-f32)
 *   SR_PREC_BF16   scalar-bf16        avx2-bf16            avx512-bf16 (vdpbf16ps)   amx-bf16 (tiles)
 *   SR_PREC_I8     scalar-i8          avx2-i8              avx512-vnni-i8            amx-i8
 *
 * Numerics (what each precision computes, identical across ISAs up to f32 summation order):
 *   F32 : exact f32 inputs (bf16/f16/Q8_0 weights are widened/dequantised exactly), f32 accumulation.
 *   BF16: weights AND activations rounded to bf16 (round-to-nearest-even), products summed in f32.
 *   I8  : weights in Q8_0-style blocks of 32 along K (int8 + f32 scale per block and output row;
 *         Q8_0 input keeps its own blocks, other inputs are quantised symmetrically, amax/127);
 *         each activation row quantised symmetrically to int8 with one scale (amax/127, round to
 *         nearest even); integer block dot products are exact, block scales applied in f32.
 *         Q8_0 weight values of -128 are clamped to -127 (llama.cpp's quantiser never makes them).
 * Odd sizes are fine everywhere (any M, N, K >= 1); padding is internal.
 *
 * Threading: sr_gemm splits the output over the pool (NULL = the calling thread only). A packed
 * weight is immutable after packing and may be used by several threads at once. */
#ifndef SR_KERNELS_GEMM_H
#define SR_KERNELS_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/cpu.h"
#include "kernels/threadpool.h"
#include "util/status.h"

/* Source weight element types. Q8_0 is llama.cpp's block_q8_0: per 32 consecutive K values, one
 * little-endian f16 scale `d` followed by 32 int8 `q` (34 bytes); value = d * q. K % 32 must be 0. */
typedef enum sr_wtype { SR_WT_F32, SR_WT_BF16, SR_WT_F16, SR_WT_Q8_0 } sr_wtype;

/* Compute precisions (see the table above). */
typedef enum sr_prec { SR_PREC_F32, SR_PREC_BF16, SR_PREC_I8 } sr_prec;

typedef struct sr_pw sr_pw; /* a packed weight (opaque) */

/* Packs the row-major weight `w` ([n][k] elements of type `wt`; for Q8_0, n rows of k/32 blocks)
 * for precision `prec` and ISA level `isa` (SR_ISA_AUTO = the best this CPU runs, capped by
 * SKILLROUTER_ISA, falling back to avx2 for bf16/i8 on AVX-512 CPUs without AVX512_BF16/VNNI;
 * SR_ISA_AMX with SR_PREC_F32 means avx512-f32). Does not keep `w`.
 * Errors: SR_ERR_ARG (n or k == 0, Q8_0 with k % 32 != 0, bad enum), SR_ERR_UNSUPPORTED (the CPU
 * lacks that ISA level, or avx512 bf16/i8 without AVX512_BF16/AVX512_VNNI), SR_ERR_NOMEM.
 * On success *out owns the packed weight (free with sr_pw_free); on failure *out = NULL. */
sr_status sr_pw_pack(sr_pw **out, const void *w, sr_wtype wt, size_t n, size_t k, sr_prec prec,
                     sr_isa isa, sr_error *err);

/* Frees a packed weight; NULL is a no-op. */
void sr_pw_free(sr_pw *w);

/* Shape and the kernel path name ("avx512-bf16", "amx-i8", ... as in the table above). */
size_t sr_pw_n(const sr_pw *w);
size_t sr_pw_k(const sr_pw *w);
const char *sr_pw_path(const sr_pw *w);

/* y[i][j] = (accumulate ? y[i][j] : 0) + sum_k x[i][k] * W[j][k] for i < m, j < N.
 * x: m rows of K floats, row stride ldx >= K (elements); y: m rows, stride ldy >= N. x and y must
 * not overlap. m == 0 does nothing. Uses the pool's threads for large enough problems.
 * Errors: SR_ERR_ARG (bad strides / NULL), SR_ERR_NOMEM (scratch for converted activations). */
sr_status sr_gemm(const sr_pw *w, size_t m, const float *x, size_t ldx, float *y, size_t ldy,
                  bool accumulate, sr_threadpool *pool, sr_error *err);

/* Scalar conversions (exact, or round-to-nearest-even for f32 -> bf16; NaN stays NaN). */
float sr_bf16_to_f32(uint16_t h);
uint16_t sr_f32_to_bf16(float f);
float sr_f16_to_f32(uint16_t h);

#endif
