/* qwen3.h — Qwen3 decoder (Qwen3-Embedding / Qwen3-Reranker and the SkillRouter fine-tunes):
 * loading from a Hugging Face directory (config.json + safetensors, single or sharded) or a GGUF v3
 * file, the float32 forward pass of QWEN3_SPEC.md §2, last-token embeddings and yes/no reranker scores.
 *
 * Files are mmap'd once and carved into sr_tensor views; the small norm vectors are copied to float32.
 * At load every projection matrix is prepacked ONCE for the kernels (src/kernels/gemm.h) in the
 * chosen compute precision (Q,K,V fused into one matrix, gate+up into another); the embedding table
 * and LM head stay in the file (rows are read on demand). The model owns one persistent thread pool
 * (src/kernels/threadpool.h) used by the GEMMs, flash attention and the element-wise passes.
 * A loaded model is read-only: the compute functions may be called from several threads at once
 * (each call allocates its own scratch; calls share the pool, which serialises their parallel
 * sections). sr_qwen3_set_threads must not run concurrently with compute calls. */
#ifndef SR_MODEL_QWEN3_H
#define SR_MODEL_QWEN3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/threadpool.h"
#include "model/tensor.h"
#include "util/fileio.h"
#include "util/status.h"

#define SR_QWEN3_MAX_TOKENS 4096      /* default truncation length of the embed/rerank helpers */
#define SR_QWEN3_EOS_ID 151643        /* <|endoftext|>, appended to every embedding input */
#define SR_QWEN3_YES_ID 9693          /* "yes" */
#define SR_QWEN3_NO_ID 2152           /* "no" */
#define SR_QWEN3_PACK_TOKENS 1024     /* rows per pass of sr_qwen3_embed_batch's packed prefill */

typedef struct sr_qwen3_config {
  int n_layers;          /* L  (num_hidden_layers / qwen3.block_count) */
  int dim;               /* D  (hidden_size / qwen3.embedding_length) */
  int n_heads;           /* Hq (num_attention_heads) */
  int n_kv_heads;        /* Hkv (num_key_value_heads); n_heads % n_kv_heads == 0 */
  int head_dim;          /* d  (head_dim / qwen3.attention.key_length); even */
  int ffn_dim;           /* F  (intermediate_size / qwen3.feed_forward_length) */
  int vocab;             /* V  = rows of the embedding table (from the weight shape) */
  int max_pos;           /* max_position_embeddings / qwen3.context_length (0 = unknown) */
  float rms_eps;         /* rms_norm_eps */
  float rope_theta;      /* rope_theta / qwen3.rope.freq_base */
  bool tied;             /* true when there is no separate lm_head / output.weight */
} sr_qwen3_config;

typedef struct sr_qwen3_layer {
  float *attn_norm;      /* [D]  input_layernorm / attn_norm (owned f32 copy) */
  float *q_norm;         /* [d]  self_attn.q_norm / attn_q_norm */
  float *k_norm;         /* [d]  self_attn.k_norm / attn_k_norm */
  float *ffn_norm;       /* [D]  post_attention_layernorm / ffn_norm */
  sr_tensor wq;          /* [Hq*d, D]  q_proj / attn_q */
  sr_tensor wk;          /* [Hkv*d, D] k_proj / attn_k */
  sr_tensor wv;          /* [Hkv*d, D] v_proj / attn_v */
  sr_tensor wo;          /* [D, Hq*d]  o_proj / attn_output */
  sr_tensor w_gate;      /* [F, D]     mlp.gate_proj / ffn_gate */
  sr_tensor w_up;        /* [F, D]     mlp.up_proj / ffn_up */
  sr_tensor w_down;      /* [D, F]     mlp.down_proj / ffn_down */
} sr_qwen3_layer;

/* Compute precision of the projections (see src/kernels/gemm.h for the exact numerics):
 *   F32  : f32 weights (bf16/f16/Q8_0 files widened exactly) x f32 activations; matches the float64
 *          reference to ~1e-6 relative (f32 rounding only).
 *   BF16 : weights and activations rounded to bf16, f32 accumulation (~1e-2 relative on hidden states).
 *   Q8_0 : weights in Q8_0 blocks (a Q8_0 file's own blocks, else quantised), activations int8 per row.
 *   AUTO : F32 — on the AVX2-only machines we measured, the fastest path that keeps the f32 reference
 *          tolerance (bf16/int8 break it; see docs/perf.md). */
typedef enum sr_qwen3_compute {
  SR_QWEN3_COMPUTE_AUTO = 0,
  SR_QWEN3_COMPUTE_F32,
  SR_QWEN3_COMPUTE_BF16,
  SR_QWEN3_COMPUTE_Q8_0
} sr_qwen3_compute;

typedef struct sr_qwen3_opts {
  int n_threads;             /* pool size; <= 0 = online CPUs */
  sr_qwen3_compute compute;  /* AUTO = F32 */
} sr_qwen3_opts;             /* zero-initialised = defaults */

struct sr_qwen3_packed;      /* per-layer prepacked weights (internal, qwen3_pack.c) */

typedef struct sr_qwen3 {
  sr_qwen3_config cfg;
  sr_tensor embed;       /* [V, D] embed_tokens / token_embd */
  sr_tensor lm_head;     /* [V, D] lm_head / output; equals `embed` when tied */
  float *final_norm;     /* [D] model.norm / output_norm (owned f32 copy) */
  sr_qwen3_layer *layers;/* [L] */
  float *rope_inv_freq;  /* [d/2] 1 / theta^(2k/d) */
  sr_map *maps;          /* [n_maps] mapped files the tensors point into */
  char **map_paths;      /* [n_maps] their paths (owned) */
  size_t n_maps;
  int n_threads;         /* size of `pool` (read-only; change it with sr_qwen3_set_threads) */
  char *source;          /* path the model was loaded from (for messages) */
  sr_threadpool *pool;   /* owned persistent pool of n_threads workers */
  sr_qwen3_compute compute;          /* resolved compute precision (never AUTO) */
  struct sr_qwen3_packed *packed;    /* [L] owned prepacked projections */
  void *owned_weights;   /* sr_qwen3_random only: memory behind `embed` (owned) */
} sr_qwen3;

/* Loads a model from `path`: a directory with config.json and model.safetensors (or
 * model.safetensors.index.json + shards), or a .gguf file (or a directory holding exactly one).
 * Validates architecture, names, shapes and dtypes against the config. Errors: SR_ERR_NOT_FOUND
 * (missing file or tensor), SR_ERR_CORRUPT (truncated file, bad header, wrong shape),
 * SR_ERR_UNSUPPORTED (architecture, dtype, rope scaling, GGUF version), SR_ERR_FORMAT (bad JSON/config,
 * vocab mismatch). On success *out is owned by the caller (sr_qwen3_free). */
sr_status sr_qwen3_load(const char *path, sr_qwen3 **out, sr_error *err);
void sr_qwen3_free(sr_qwen3 *m);

/* sr_qwen3_load with options (opts NULL = defaults, as sr_qwen3_load). Errors as sr_qwen3_load, plus
 * SR_ERR_ARG (bad compute value), SR_ERR_NOMEM while packing. */
sr_status sr_qwen3_load_opts(const char *path, const sr_qwen3_opts *opts, sr_qwen3 **out, sr_error *err);

/* Reads a Hugging Face config.json file (the checks of sr_qwen3_load; vocab from vocab_size, tied
 * assumed) into *cfg. Errors: SR_ERR_IO/NOT_FOUND, SR_ERR_FORMAT, SR_ERR_UNSUPPORTED. */
sr_status sr_qwen3_read_config(const char *path, sr_qwen3_config *cfg, sr_error *err);

/* A model with the given config and random weights (deterministic in `seed`), built in memory, for
 * benchmarks: tied, embedding table in bf16, projections generated in f32 and packed directly (the
 * layers' sr_tensor views then have data == NULL: only the packed copies exist). cfg->max_pos 0 =
 * unlimited. Errors: SR_ERR_ARG (inconsistent config), SR_ERR_NOMEM. */
sr_status sr_qwen3_random(const sr_qwen3_config *cfg, uint64_t seed, const sr_qwen3_opts *opts,
                          sr_qwen3 **out, sr_error *err);

/* Replaces the model's pool by one of n_threads workers (<= 0 = online CPUs). Not concurrently with
 * compute calls. On failure the old pool is kept. */
sr_status sr_qwen3_set_threads(sr_qwen3 *m, int n_threads, sr_error *err);

/* "f32", "bf16", "q8_0" ("auto" for AUTO); parse accepts those names. Parse returns false on others. */
const char *sr_qwen3_compute_name(sr_qwen3_compute c);
bool sr_qwen3_compute_parse(const char *s, sr_qwen3_compute *out);

/* Kernel path of the packed projections ("avx2-f32", "amx-bf16", ... see gemm.h). Never NULL. */
const char *sr_qwen3_gemm_path(const sr_qwen3 *m);

/* Runs the decoder over one sequence ids[0..n) at positions 0..n-1 (causal attention) and writes the
 * final-normed hidden states to hidden[n * D] (all positions) — or, when last_only is true, only the
 * last position's state to hidden[D]. Fails with SR_ERR_ARG on n == 0, n > max_pos, or an id outside
 * [0, V). */
sr_status sr_qwen3_forward(const sr_qwen3 *m, const int32_t *ids, size_t n, bool last_only,
                           float *hidden, sr_error *err);

/* Embedding of ids[0..n) exactly as given (caller already appended EOS): last-token hidden state,
 * first `out_dim` dims kept (Matryoshka; 0 = D), L2-normalised, written to out[out_dim]. */
sr_status sr_qwen3_embed(const sr_qwen3 *m, const int32_t *ids, size_t n, size_t out_dim, float *out,
                         sr_error *err);

/* Caller-facing helper: truncates ids to max_tokens - 1 (0 = SR_QWEN3_MAX_TOKENS), appends
 * <|endoftext|> (SR_QWEN3_EOS_ID) and embeds as sr_qwen3_embed. */
sr_status sr_qwen3_embed_text_ids(const sr_qwen3 *m, const int32_t *ids, size_t n, size_t max_tokens,
                                  size_t out_dim, float *out, sr_error *err);

/* Batch of sequences of different lengths, embedded as sr_qwen3_embed_text_ids (append_eos) or
 * sr_qwen3_embed would embed each one alone, at positions 0..len-1, with the same numbers (rows never
 * mix). Batched prefill with length bucketing: the sequences are sorted by length and packed greedily
 * into passes of at most SR_QWEN3_PACK_TOKENS tokens (a longer sequence runs alone); each pass runs the
 * projection GEMMs once over all its rows, attention per sequence. out: [n_seqs * out_dim], input order.
 * Errors are checked per sequence first (prefixed "sequence i"); on failure out is partly written. */
sr_status sr_qwen3_embed_batch(const sr_qwen3 *m, const int32_t *const *ids, const size_t *lens,
                               size_t n_seqs, bool append_eos, size_t max_tokens, size_t out_dim,
                               float *out, sr_error *err);

/* logit(yes_id) - logit(no_id) at the last position of ids[0..n), using only those two rows of the
 * LM head. Fails with SR_ERR_FORMAT if either id is not a row of the head (vocab mismatch). */
sr_status sr_qwen3_yes_no_score(const sr_qwen3 *m, const int32_t *ids, size_t n, int32_t yes_id,
                                int32_t no_id, float *score, sr_error *err);

/* Reranker score of prefix + body + suffix ids, the body cut to max_tokens - np - ns tokens
 * (max_tokens 0 = SR_QWEN3_MAX_TOKENS): *score = logit("yes"=9693) - logit("no"=2152),
 * *prob = sigmoid(score) (either may be NULL). */
sr_status sr_qwen3_rerank(const sr_qwen3 *m, const int32_t *prefix, size_t np, const int32_t *body,
                          size_t nb, const int32_t *suffix, size_t ns, size_t max_tokens, float *score,
                          float *prob, sr_error *err);

/* Reranks n_docs documents for one query with a shared prefix: the prefix (system prompt +
 * instruction + query, prefix[0..np), np >= 1) runs ONCE and its per-layer K/V cache is kept; each
 * document's tokens docs[i][0..doc_lens[i]) followed by suffix[0..ns) then run against that cache.
 * scores[i] equals (up to f32 summation order) what sr_qwen3_rerank(m, prefix, np, docs[i],
 * doc_lens[i], suffix, ns, max_tokens, &score, NULL) gives, including its truncation of each document
 * to max_tokens - np - ns tokens (max_tokens 0 = SR_QWEN3_MAX_TOKENS). Errors as sr_qwen3_rerank
 * (prefixed "document i" for a document's failure); on failure scores is partly written. */
sr_status sr_qwen3_rerank_batch(const sr_qwen3 *m, const int32_t *prefix, size_t np,
                                const int32_t *const *docs, const size_t *doc_lens, size_t n_docs,
                                const int32_t *suffix, size_t ns, size_t max_tokens, float *scores,
                                sr_error *err);

#endif
