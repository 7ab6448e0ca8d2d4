/* attention.h — causal multi-head attention with grouped K/V heads (GQA), f32, for one sequence.
 *
 * Layouts (row-major, contiguous): q and out [t][hq][d]; k and v [tk][hkv][d]; hq % hkv == 0 and query
 * head h reads K/V head h / (hq / hkv). Query i sits at absolute position tk - t + i (so t == tk is a
 * prompt, t == 1 with tk cached keys is one decode step) and attends keys 0 .. tk - t + i.
 * out[i][h] = sum_j softmax_j(scale * q[i][h] · k[j][g]) v[j][g].
 *
 * sr_attention streams over keys in blocks with an online (running max / running sum) softmax and
 * never materialises a t x tk score matrix: memory is O(d + block) per worker. It splits (head, query)
 * pairs over the pool (NULL = caller only). sr_attention_ref is the plain two-pass reference
 * (double accumulation, one row of tk scores at a time), for tests. */
#ifndef SR_KERNELS_ATTENTION_H
#define SR_KERNELS_ATTENTION_H

#include <stddef.h>

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

/* Errors: SR_ERR_ARG (zero sizes, tk < t, hq % hkv != 0, NULL pointers). out must not alias inputs. */
sr_status sr_attention(const sr_attn_shape *s, const float *q, const float *k, const float *v, float *out,
                       sr_threadpool *pool, sr_error *err);

/* Same contract; straightforward reference. Errors also SR_ERR_NOMEM. */
sr_status sr_attention_ref(const sr_attn_shape *s, const float *q, const float *k, const float *v,
                           float *out, sr_error *err);

#endif
