/* qwen3_internal.h — internal to src/model: the packed projections, the K/V cache and the forward
 * core shared by qwen3.c (public helpers), qwen3_forward.c and qwen3_pack.c. */
#ifndef SR_MODEL_QWEN3_INTERNAL_H
#define SR_MODEL_QWEN3_INTERNAL_H

#include "kernels/gemm.h"
#include "model/qwen3.h"

struct sr_qwen3_packed {
  sr_pw *qkv;      /* [Hq*d + 2*Hkv*d, D]: rows of q_proj, then k_proj, then v_proj */
  sr_pw *o;        /* [D, Hq*d] */
  sr_pw *gate_up;  /* [2F, D]: rows of gate_proj, then up_proj */
  sr_pw *down;     /* [D, F] */
};

/* Finishes a model whose cfg, norms and tensors are set: RoPE frequencies, the pool, the packed
 * projections (from the layers' tensors). On failure the caller frees m (sr_qwen3_free). */
sr_status sr_qwen3_finish(sr_qwen3 *m, const sr_qwen3_opts *opts, sr_error *err);

/* Frees the packed projections and the pool (part of sr_qwen3_free). */
void sr_qwen3_release_compute(sr_qwen3 *m);

/* Per-layer K/V of positions 0..n-1: k and v are [L][n][Hkv*d] floats (after k_norm and RoPE). */
typedef struct sr_qwen3_kv {
  size_t n;
  float *k, *v;
} sr_qwen3_kv;

void sr_qwen3_kv_free(sr_qwen3_kv *kv);

typedef enum sr_qwen3_rows {
  SR_ROWS_NONE, /* only K/V wanted (a prefix): the last layer skips attention output and MLP */
  SR_ROWS_LAST, /* hidden[D] = final-normed state of the last position */
  SR_ROWS_ALL   /* hidden[T*D] = final-normed states of all positions */
} sr_qwen3_rows;

/* Runs ids[0..T) at positions P..P+T-1, where P = past ? past->n : 0, attending to past's K/V first.
 * When keep is not NULL (past must be NULL) it receives the K/V of the T positions (owned by the
 * caller, sr_qwen3_kv_free). Ids are checked (SR_ERR_ARG) against vocab and max_pos. */
sr_status sr_qwen3_forward_core(const sr_qwen3 *m, const int32_t *ids, size_t T, const sr_qwen3_kv *past,
                                sr_qwen3_kv *keep, sr_qwen3_rows rows, float *hidden, sr_error *err);

/* ns sequences packed back to back in ids (sequence s has lens[s] >= 1 tokens), each run at positions
 * 0..lens[s]-1 with causal attention inside itself only, in ONE pass: every projection GEMM sees all
 * the rows at once. hidden[s * D] = final-normed state of sequence s's last token. Same numbers as
 * running each sequence alone (rows never mix: GEMM rows, norms and attention are per row/sequence).
 * Errors as sr_qwen3_forward_core (ids checked against vocab, the longest sequence against max_pos). */
sr_status sr_qwen3_forward_packed(const sr_qwen3 *m, const int32_t *ids, const size_t *lens, size_t ns, float *hidden,
                                  sr_error *err);

/* The checks sr_qwen3_forward_core makes on one sequence of n ids at positions 0..n-1. */
sr_status sr_qwen3_check_ids(const sr_qwen3 *m, const int32_t *ids, size_t n, sr_error *err);

#endif
