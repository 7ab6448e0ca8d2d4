/* attention.h — causal multi-head attention with grouped K/V heads (GQA), f32, for one sequence.
 *
 * Layouts (row-major, contiguous): q and out [t][hq][d]; k and v [tk][hkv][d]; hq % hkv == 0 and query
 * head h reads K/V head h / (hq / hkv). Query i sits at absolute position tk - t + i (so t == tk is a
 * prompt, t == 1 with tk cached keys is one decode step) and attends keys 0 .. tk - t + i.
 * out[i][h] = sum_j softmax_j(scale * q[i][h] · k[j][g]) v[j][g].
 *
 * sr_attention streams over keys in blocks with an online (running max / running sum) softmax and
 * never materialises a t x tk score matrix. Two paths, chosen at run time (sr_cpu_get, capped by
 * SKILLROUTER_ISA):
 *   "avx2-tiled" (AVX2+FMA; also used on AVX-512/AMX CPUs): K and V are repacked once per call (K
 *     transposed per block of 64 keys, V rows padded to a multiple of 16; 2 x tk x Hkv x d floats, freed
 *     before return). Work items are (K/V head, block of query positions): all the group's query heads
 *     of those positions (~24 rows) share each K/V block; S = Q·Kᵀ and acc += P·V use 6x16 FMA register
 *     tiles; the exp is a vectorised polynomial (max relative error 1.2e-7 on [-87.3, 88], see
 *     attention_avx2.c). Scratch O(rows x (2d + 64)) per worker. Items are split over the pool.
 *   "scalar": the portable C kernel (one (query, head) pair at a time, libm expf), the reference the
 *     SIMD path is tested against; (query, head) pairs are split over the pool.
 * Both agree with each other and with sr_attention_ref to f32 rounding (the tests check 1e-5 absolute on
 * outputs that are averages of values in [-1, 1]). pool NULL = caller only; small calls (t*hq*tk*d < 1e5)
 * always run on the caller. sr_attention_ref is the plain two-pass reference (double accumulation, one
 * row of tk scores at a time), for tests. */
#ifndef SR_KERNELS_ATTENTION_H
#define SR_KERNELS_ATTENTION_H

#include <stddef.h>

#include "kernels/cpu.h"
#include "kernels/threadpool.h"
#include "util/status.h"

typedef struct sr_attn_shape {
  size_t t;     /* queries */
  size_t tk;    /* keys/values (>= t) */
  size_t hq;    /* query heads */
  size_t hkv;   /* key/value heads (divides hq) */
  size_t d;     /* head dimension */
  float scale;  /* usually 1/sqrt(d) */
} sr_attn_shape;

/* Errors: SR_ERR_ARG (zero sizes, tk < t, hq % hkv != 0, d > 512, NULL pointers), SR_ERR_NOMEM (the
 * tiled path's packed K/V and scratch). out must not alias inputs. */
sr_status sr_attention(const sr_attn_shape *s, const float *q, const float *k, const float *v, float *out,
                       sr_threadpool *pool, sr_error *err);

/* sr_attention on a forced path: SR_ISA_SCALAR = the portable kernel, SR_ISA_AVX2 and above = the tiled
 * kernel, SR_ISA_AUTO = as sr_attention. Errors also SR_ERR_UNSUPPORTED (the CPU lacks that ISA). */
sr_status sr_attention_isa(const sr_attn_shape *s, const float *q, const float *k, const float *v, float *out,
                           sr_threadpool *pool, sr_isa isa, sr_error *err);

/* Name of the path sr_attention_isa(isa) takes on this CPU: "avx2-tiled" or "scalar". */
const char *sr_attention_path(sr_isa isa);

/* y[i] = exp(x[i]) as the attention kernel of path `isa` computes it (the AVX2 polynomial, or libm expf
 * for the scalar path), exposed for tests. Errors: SR_ERR_ARG, SR_ERR_UNSUPPORTED. */
sr_status sr_vexp(const float *x, float *y, size_t n, sr_isa isa, sr_error *err);

/* Same contract; straightforward reference. Errors also SR_ERR_NOMEM. */
sr_status sr_attention_ref(const sr_attn_shape *s, const float *q, const float *k, const float *v,
                           float *out, sr_error *err);

#endif
