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
 *   TRST  (checkpoints only) u32 encoder epochs done, u32 n_buckets, u32 dim, u32 zero, u64 fingerprint of
 *         the run's data and encoder options, u64 the last epoch's filtered negatives (same name, trigram
 *         Jaccard, cosine) and kept negatives, f32 emb[n_buckets*dim] (SENC holds them rounded to f16),
 *         f32 adagrad[n_buckets]: what `train --resume` needs to continue exactly where the run stopped.
 *         Readers of the model ignore it.
 * The reader checks magic, version, every size and crc, so a damaged file gives SR_ERR_CORRUPT naming it.
 *
 * Ownership: an sr_default_model owns its encoder table, reranker weights and meta string;
 * sr_default_model_free releases them. A loaded model is read-only and shared between threads.
 */
#ifndef SR_ROUTE_DEFAULT_MODEL_H
#define SR_ROUTE_DEFAULT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

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

/* The training state a checkpoint carries beside its model (section TRST). The struct owns emb and
 * adagrad (malloc'd); sr_train_state_free releases them. */
typedef struct sr_train_state {
  uint32_t epochs_done;      /* encoder epochs completed */
  uint32_t n_buckets, dim;
  uint64_t fingerprint;      /* of the data and options the run started from (train/train.c) */
  /* the last mined epoch's negative counts (the model card reports them) */
  uint64_t fn_same_name, fn_jaccard, fn_cosine, negatives_kept;
  float *emb;                /* [n_buckets * dim] the encoder's rows, full precision */
  float *adagrad;            /* [n_buckets] row-wise Adagrad accumulators */
} sr_train_state;

/* A checkpoint: the model (loadable and usable like any model file) plus the state s (borrowed), written
 * atomically. s->emb holds n_buckets × dim floats matching m's encoder. */
sr_status sr_default_model_save_checkpoint(const sr_default_model *m, const sr_train_state *s, const char *path,
                                           sr_error *err);
/* Reads the training state of the checkpoint at path into *s (the whole file is verified as by
 * sr_default_model_load). SR_ERR_NOT_FOUND (naming the file) when it is a model without one; SR_ERR_CORRUPT
 * when damaged or inconsistent with its encoder section. On failure *s is zeroed. */
sr_status sr_train_state_read(const char *path, sr_train_state *s, sr_error *err);
void sr_train_state_free(sr_train_state *s);

#endif
