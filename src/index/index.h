/* index.h — the persistent index file: catalog text + lexical postings (+ later: vectors).
 *
 * File format (little-endian, append-only sections; version bumps on any incompatible change):
 *   header (64 bytes): magic "SKRIDX01", u32 format version, u32 section count, u64 section-table offset,
 *                      u64 file size, u32 crc32 of the section table, reserved zeros
 *   sections, each 64-byte aligned, each with its own crc32 in the section table:
 *     ENTR  fixed-size entry records (offsets of id/name/description/body/... in STRS, kind, hash,
 *           analysed field lengths)
 *     STRS  NUL-terminated UTF-8 strings the records point to
 *     TERM  the vocabulary: per term its postings offset and document frequency, and the term bytes
 *     THSH  an open-addressing hash table from term bytes to term ids
 *     IDTB  an open-addressing hash table from entry ids to entry numbers
 *     POST  per-term postings: varint doc deltas with per-field term frequencies
 *     STAT  corpus statistics (entry count, average field lengths) and the analyzer settings used
 *     PACK  pack names → their entries (for pack-level routing)
 *   section table: {u32 tag, u32 crc32, u64 offset, u64 size} per section
 * A reader checks magic, version, sizes, every crc32, and bounds on every offset before use, so a
 * truncated or corrupted file gives SR_ERR_CORRUPT with a message naming the file and what failed.
 *
 * Ownership: sr_index_open returns an sr_index the caller releases with sr_index_close. It maps the
 * file read-only; every string and view obtained from it points into that mapping and is valid until
 * sr_index_close. An open sr_index is immutable and safe to share between threads.
 */
#ifndef SR_INDEX_H
#define SR_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "text/analyzer.h"
#include "util/status.h"

typedef struct sr_index sr_index;

/* A read-only view of one indexed entry. Strings are NUL-terminated; pack/category/metadata may be NULL. */
typedef struct sr_entry_view {
  const char *id, *name, *description, *body, *pack, *category, *source, *metadata;
  sr_entry_kind kind;
  uint64_t content_hash;
  uint32_t pack_id;          /* index into the pack list, or UINT32_MAX when none */
} sr_entry_view;

typedef struct sr_build_opts {
  sr_analyzer_opts analyzer; /* how text is turned into terms (zero = defaults) */
  int threads;               /* analysis threads; 0 = all cores */
  /* Optional progress report, called from one thread with (phase, done, total); may be NULL. */
  void (*progress)(void *ctx, const char *phase, size_t done, size_t total);
  void *progress_ctx;
  volatile int *cancel;      /* optional: when *cancel becomes non-zero the build stops with
                                SR_ERR_INTERRUPTED and the old index is left as it was */
  const struct sr_vec_input *vectors; /* optional (index/vectors.h): written as the VECS section */
} sr_build_opts;

typedef struct sr_build_stats {
  size_t entries;            /* entries written */
  size_t reused;             /* entries taken from the previous index unchanged (not re-analysed) */
  size_t analysed;           /* entries analysed afresh */
  size_t removed;            /* entries of the previous index not in the new catalog */
  size_t terms, postings;
  size_t file_bytes;
} sr_build_stats;

/* Builds an index of `cat` and writes it atomically to `path` (temp file + rename: the old file stays
 * intact on any failure). If `prev` is not NULL, entries whose id and content hash are unchanged reuse
 * prev's analysed terms instead of being analysed again (the incremental path). `prev` may be the
 * index currently at `path`. */
sr_status sr_index_build(const sr_catalog *cat, const sr_index *prev, const sr_build_opts *opts,
                         const char *path, sr_build_stats *stats, sr_error *err);

/* For `index --update`: adds to `cat` a copy of every entry of `prev` that is still wanted, i.e. whose id
 * is not already in `cat` (re-read entries replace their old version), is not in remove_ids, and did not
 * come from one of the re-read `sources` (an entry whose source path lies inside a re-read source and
 * was not read again has been deleted there). Counts go to *kept and *removed. */
sr_status sr_index_keep_entries(const sr_index *prev, sr_catalog *cat, const char *const *sources, size_t n_sources,
                                const char *const *remove_ids, size_t n_remove, size_t *kept, size_t *removed,
                                sr_error *err);

sr_status sr_index_open(const char *path, sr_index **out, sr_error *err);
void sr_index_close(sr_index *ix);

uint32_t sr_index_count(const sr_index *ix);
/* Fills *out for entry `doc` (< sr_index_count). */
void sr_index_entry(const sr_index *ix, uint32_t doc, sr_entry_view *out);
/* Finds an entry by id; returns false when absent. */
bool sr_index_find(const sr_index *ix, const char *id, uint32_t *doc);
/* The analyzer settings the index was built with (queries must use the same). */
const sr_analyzer_opts *sr_index_analyzer(const sr_index *ix);
const char *sr_index_path(const sr_index *ix);

/* Packs: names and member entries (for --by pack and pack output). */
uint32_t sr_index_pack_count(const sr_index *ix);
const char *sr_index_pack_name(const sr_index *ix, uint32_t pack);
/* Entries of a pack: *docs points into the index; returns their number. */
uint32_t sr_index_pack_entries(const sr_index *ix, uint32_t pack, const uint32_t **docs);

#endif
