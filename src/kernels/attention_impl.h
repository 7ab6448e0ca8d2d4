/* attention_impl.h — internals shared by attention.c and attention_avx2.c (not a public header).
 *
 * The tiled (SIMD) path works on K and V repacked once per call (attention.c, plain C):
 *   kt: float [hkv][nkb][KB/16][d][16]   per block of KB = SR_ATTN_KB keys, K transposed in panels of
 *                                        16 keys (a 6x16 tile of S then reads one contiguous panel)
 *   vp: float [hkv][nkb][dp/16][KB][16]  per block, V in panels of 16 columns (dp = d rounded up to 16)
 * Keys >= tk and columns >= d are zero.
 * A work item is (K/V head g, block of qb query positions): its rows are the group = hq / hkv query heads
 * of g for each of those positions, row r = position (r / group), head g * group + r % group. */
#ifndef SR_KERNELS_ATTENTION_IMPL_H
#define SR_KERNELS_ATTENTION_IMPL_H

#include <stddef.h>

#include "kernels/attention.h"

#define SR_ATTN_KB 64        /* keys per block of the tiled path */
#define SR_ATTN_ROWS 24      /* target rows (query positions x group heads) per work item */

typedef struct sr_attn_job {
  const sr_attn_shape *s;
  const float *q;
  float *out;
  const float *kt, *vp;
  size_t dp;      /* d rounded up to 16 */
  size_t nkb;     /* key blocks: ceil(tk / SR_ATTN_KB) */
  size_t qb;      /* query positions per item */
  size_t rmax;    /* qb * group: rows of the largest item */
  size_t ws;      /* floats of scratch per worker (see sr_attn_ws_floats) */
  float *scratch; /* [workers][ws], 64-byte aligned; owned by the caller of the item function */
} sr_attn_job;

/* Floats of per-worker scratch for rmax rows: Q [rmax][d], acc [rmax][dp], S [rmax][KB], m/l/alpha. */
static inline size_t sr_attn_ws_floats(size_t rmax, size_t d, size_t dp) {
  size_t n = rmax * d + rmax * dp + rmax * SR_ATTN_KB + 3 * rmax;
  return (n + 15) / 16 * 16;
}

/* One work item (head g, query block qblk) with scratch ws: writes its rows of j->out. */
void sr_attn_item_avx2(const sr_attn_job *j, size_t g, size_t qblk, float *ws);

/* y[i] = exp(x[i]) with the AVX2 polynomial of the tiled path (n any; tail done through a padded copy). */
void sr_vexp_avx2(const float *x, float *y, size_t n);

#endif
