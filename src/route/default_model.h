/* default_model.h — the default model file: the static bi-encoder and the reranker together, as
 * shipped in models/default.srm and written by `skillrouter train`.
 *
 * File (little-endian): header {magic "SKRMODL1", u32 version (1), u32 section count, u64 table offset,
 * u64 file size, u32 crc32 of the section table, u32 crc32 of everything after the header, 24 zero
 * bytes} (64 bytes), then sections each with {u32 tag, u32 crc32,
 * u64 offset, u64 size} in a table at the end:
 *   META  UTF-8 JSON: name, training recipe, data, metrics (the model card's numbers)
 *   SENC  u32 n_buckets, u32 dim, u64 seed, f32 field_weight[3], u32 reserved, then f16 emb[n_buckets*dim],
 *         f16 idf[n_buckets]
 *   LTRN  u32 n_feat (20..24, route/ltr.h), u32 hidden, f32 mean[n_feat], std[n_feat],
 *         w1[hidden*n_feat], b1[hidden],
 *         w2[hidden], b2
 * The reader checks magic, version, every size and crc, so a damaged file gives SR_ERR_CORRUPT naming it.
 *
 * Ownership: an sr_default_model owns its encoder table, reranker weights and meta string;
 * sr_default_model_free releases them. A loaded model is read-only and shared between threads.
 */
#ifndef SR_ROUTE_DEFAULT_MODEL_H
#define SR_ROUTE_DEFAULT_MODEL_H

#include <stdbool.h>

#include "route/ltr.h"
#include "route/static_embed.h"
#include "util/status.h"

typedef struct sr_default_model {
  sr_senc enc;
  sr_ltr rr;
  bool has_rr;
  char *meta;                /* JSON text (malloc'd), may be NULL */
  char id[64];               /* "default-<crc of the file>" style identifier used as the vectors' model id */
} sr_default_model;

sr_status sr_default_model_load(const char *path, sr_default_model *m, sr_error *err);
/* Writes atomically (temp file + rename). */
sr_status sr_default_model_save(const sr_default_model *m, const char *path, sr_error *err);
void sr_default_model_free(sr_default_model *m);

#endif
