/* vectors.h — dense vectors stored in the index (optional VECS section) and building them:
 * embedding every catalog entry with a Qwen3 embedding model, reusing vectors of unchanged entries
 * from the previous index and from an interrupted run's side file, or importing precomputed ones.
 *
 * VECS section (little-endian; see index_format.h for the file layout around it):
 *   sr_idx_vecs_header (256 bytes): n (= entry count), dim, dtype (sr_vec_dtype), desc_chars,
 *     body_chars (document caps; UINT32_MAX = uncut), reserved zeros, model_id (NUL-terminated)
 *   u64 content_hash[n]   the entry content hash each vector was computed from (cache key with the
 *                         header's model id and caps)
 *   f32 scale[n]          int8 only: vector i = int8 values * scale[i]
 *   zero padding to a multiple of 64 bytes from the section start
 *   data[n * dim]         f32, f16 (IEEE half) or int8, entry i at i * dim
 * The reader checks every size against n/dim/dtype, the header's zero bytes and the id string's NUL; a
 * damaged section fails the crc check like every other section. Old readers (format 1 without VECS
 * support) ignore unknown sections, so the format version is unchanged.
 *
 * VECR section (optional, only next to an int8 VECS; written by default for int8): refine rows, the
 * same vectors in IEEE half precision, used to rescore the int8 pass's candidates (route/dense.h):
 *   sr_idx_vecr_header (64 bytes): n, dim, dtype (= SR_VEC_F16), reserved zeros
 *   f16 data[n * dim]     entry i at i * dim
 * A VECR whose n/dim differ from VECS, or one without an int8 VECS, is reported as corrupt. Readers
 * that predate VECR ignore it (unknown section) and rescore against the dequantised int8 rows; indexes
 * without VECR are read as before.
 *
 * Ownership: views returned by sr_index_vectors point into the open index (valid until close).
 */
#ifndef SR_INDEX_VECTORS_H
#define SR_INDEX_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "index/index.h"
#include "util/status.h"

typedef enum sr_vec_dtype { SR_VEC_F32 = 0, SR_VEC_F16 = 1, SR_VEC_I8 = 2 } sr_vec_dtype;

#define SR_VEC_MODEL_ID_MAX 224
#define SR_VEC_UNCUT UINT32_MAX

/* What a set of vectors was computed with: the embedding cache key together with each entry's hash. */
typedef struct sr_vec_info {
  uint32_t dim;
  sr_vec_dtype dtype;                 /* storage type in the index */
  uint32_t desc_chars, body_chars;    /* document caps (SR_VEC_UNCUT = none) */
  char model_id[SR_VEC_MODEL_ID_MAX]; /* e.g. the model directory's base name, or "import:FILE" */
} sr_vec_info;

/* A read-only view of an index's vectors (all pointers into the index mapping). */
typedef struct sr_vec_view {
  const sr_vec_info *info;     /* NULL when the index holds no vectors */
  size_t n, dim;
  sr_vec_dtype dtype;
  const void *data;            /* [n * dim] of dtype */
  const float *scale;          /* [n] for SR_VEC_I8, else NULL */
  const uint64_t *hash;        /* [n] content hashes */
  const uint16_t *refine;      /* [n * dim] f16 refine rows (VECR) for SR_VEC_I8, or NULL */
} sr_vec_view;

/* Fills *out; returns false (and out->info = NULL) when the index has no VECS section. */
bool sr_index_vectors(const sr_index *ix, sr_vec_view *out);
/* Vector `i` of a view decoded to float32 (out[dim]); int8 views with refine rows decode those. */
void sr_vec_get_f32(const sr_vec_view *v, size_t i, float *out);

/* Half-precision conversion (round to nearest even) used for SR_VEC_F16, and its inverse. (Named apart
 * from model/tensor.h's converter so that the index does not pull the model's objects in.) */
uint16_t sr_f32_to_f16(float f);
float sr_half_to_f32(uint16_t h);
/* int8 quantisation of x[dim]: q[i] = round(x[i] / scale), scale = max|x| / 127 (0 vector: scale 0). */
float sr_quantize_i8(const float *x, size_t dim, int8_t *q);
const char *sr_vec_dtype_name(sr_vec_dtype t);
bool sr_vec_dtype_parse(const char *s, sr_vec_dtype *out);

/* Input for sr_index_build (sr_build_opts.vectors): float32 vectors in catalog order; each one was
 * computed from the catalog entry's current content (its content_hash is stored with it). */
typedef struct sr_vec_input {
  sr_vec_info info;
  const float *data;           /* [cat->n_entries * info.dim], borrowed for the build */
  bool no_refine;              /* int8: do not write the f16 refine rows (VECR) */
} sr_vec_input;

/* ---- embedding a catalog (vec_embed.c) ---- */
typedef struct sr_embed_opts {
  const void *model;           /* const sr_qwen3 *; NULL = reuse only (fails if an entry needs embedding) */
  const void *tokenizer;       /* const sr_tokenizer * */
  sr_vec_info info;            /* dim (0 = the model's), dtype, caps, model id */
  size_t max_tokens;           /* 0 = SR_QWEN3_MAX_TOKENS */
  const char *partial_path;    /* side file of finished vectors (resume after an interrupt); NULL = none */
  double checkpoint_secs;      /* how often the side file is flushed and synced (0 = 2 s) */
  void (*progress)(void *ctx, const char *phase, size_t done, size_t total);
  void *progress_ctx;
  volatile int *cancel;        /* stops with SR_ERR_INTERRUPTED; finished work stays in partial_path */
} sr_embed_opts;

typedef struct sr_embed_stats {
  size_t embedded;             /* forward passes run (entries embedded now) */
  size_t reused;               /* taken from the previous index (same id, hash, model id, caps, dim) */
  size_t resumed;              /* taken from the side file of an interrupted run */
  size_t tokens;               /* tokens fed to the model */
  double seconds;
} sr_embed_stats;

/* Computes one float32 vector per entry of `cat` (catalog order) into *out (malloc'd, [n * dim]; the
 * caller frees it) and sets o->info.dim to the dimension used when it was 0 (out_info). Text per
 * entry: sr_doc_text(name, description, body, caps), tokenised, <|endoftext|> appended, cut to
 * max_tokens. `prev` may be NULL. On success the side file is left in place (remove it after the
 * index is written: sr_embed_partial_remove). */
sr_status sr_embed_catalog(const sr_catalog *cat, const sr_index *prev, const sr_embed_opts *o, float **out,
                           sr_vec_info *out_info, sr_embed_stats *stats, sr_error *err);
void sr_embed_partial_remove(const char *partial_path);

/* ---- importing precomputed vectors (vec_import.c) ---- */
/* Reads `path`: a .npy float32 [N, dim] (C order) whose row i belongs to the i-th id of ids_path (a
 * JSONL with "id" or "skill_id" per line), or — when ids_path is NULL — a JSONL of {"id":..,
 * "vector":[..]}. Every catalog entry must get a vector (SR_ERR_NOT_FOUND names the first one without);
 * vectors are L2-normalised. *out is [n_entries * dim] in catalog order (malloc'd), *dim set. */
sr_status sr_vec_import(const sr_catalog *cat, const char *path, const char *ids_path, float **out, size_t *dim,
                        sr_error *err);

#endif
