/* index_format.h — on-disk layout of the index file (internal to src/index and src/route).
 * All integers little-endian; every section starts at a multiple of SR_IDX_ALIGN. See index.h for the
 * overview. Version history: 1 = first format. */
#ifndef SR_INDEX_FORMAT_H
#define SR_INDEX_FORMAT_H

#include <stdint.h>

#include "index/index.h"
#include "index/vectors.h"
#include "util/buf.h"
#include "util/fileio.h"

#define SR_IDX_MAGIC "SKRIDX01"
#define SR_IDX_VERSION 1u
#define SR_IDX_ALIGN 64u
#define SR_IDX_NO_STRING UINT64_MAX
#define SR_IDX_NFIELDS 3   /* name, description, body */

#define SR_TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define SR_SEC_ENTRIES SR_TAG('E', 'N', 'T', 'R')
#define SR_SEC_STRINGS SR_TAG('S', 'T', 'R', 'S')
#define SR_SEC_TERMS SR_TAG('T', 'E', 'R', 'M')
#define SR_SEC_TERMTAB SR_TAG('T', 'H', 'S', 'H')
#define SR_SEC_POSTINGS SR_TAG('P', 'O', 'S', 'T')
#define SR_SEC_IDTAB SR_TAG('I', 'D', 'T', 'B')
#define SR_SEC_STATS SR_TAG('S', 'T', 'A', 'T')
#define SR_SEC_PACKS SR_TAG('P', 'A', 'C', 'K')
#define SR_SEC_VECS SR_TAG('V', 'E', 'C', 'S')   /* optional: dense vectors (index/vectors.h) */
#define SR_SEC_VECR SR_TAG('V', 'E', 'C', 'R')   /* optional: f16 refine rows of int8 VECS (vectors.h) */

typedef struct sr_idx_header {
  char magic[8];
  uint32_t version;
  uint32_t n_sections;
  uint64_t table_offset;  /* of n_sections sr_idx_section records */
  uint64_t file_size;
  uint32_t table_crc;     /* crc32 of the section table */
  uint8_t reserved[28];
} sr_idx_header;          /* 64 bytes */

typedef struct sr_idx_section {
  uint32_t tag;
  uint32_t crc;           /* crc32 of the section's bytes */
  uint64_t offset;
  uint64_t size;
} sr_idx_section;         /* 24 bytes */

/* ENTR: one record per entry, in doc order. String fields are offsets into STRS (SR_IDX_NO_STRING = NULL). */
enum { SR_STR_ID, SR_STR_NAME, SR_STR_DESCRIPTION, SR_STR_BODY, SR_STR_PACK, SR_STR_CATEGORY, SR_STR_SOURCE,
       SR_STR_METADATA, SR_STR_COUNT };
typedef struct sr_idx_entry {
  uint64_t str[SR_STR_COUNT];
  uint64_t content_hash;
  uint32_t field_len[SR_IDX_NFIELDS];  /* analysed terms in name, description, body */
  uint32_t pack_id;                   /* UINT32_MAX = none */
  uint32_t kind;
  uint32_t reserved;
} sr_idx_entry;           /* 96 bytes */

/* STAT: corpus statistics and build settings. */
typedef struct sr_idx_stats {
  uint32_t n_entries;
  uint32_t n_terms;
  uint32_t n_packs;
  uint32_t reserved0;
  double avg_field_len[SR_IDX_NFIELDS];
  sr_analyzer_opts analyzer;           /* 8 bytes */
  uint64_t n_postings;
  uint64_t termtab_slots;              /* power of two */
  uint64_t idtab_slots;                /* power of two */
} sr_idx_stats;

/* TERM: n_terms records, then the term bytes (each NUL-terminated). Postings of term t are
 * POST[post_offset .. next term's post_offset) (or to POST's end for the last term). */
typedef struct sr_idx_term {
  uint64_t str_offset;    /* into the term bytes that follow the records */
  uint64_t post_offset;   /* into POST */
  uint32_t df;            /* entries containing the term (in any field) */
  uint32_t len;           /* term length in bytes */
} sr_idx_term;            /* 24 bytes */

/* IDTB: idtab_slots uint32 slots, each 0 (empty) or entry number + 1; linear probing on sr_hash64(id). */
/* THSH: termtab_slots uint32 slots, each 0 (empty) or term id + 1; linear probing on sr_hash64(term). */

/* POST: per term, per posting: varint((doc_delta << 1) | has_short_fields), varint(tf_body), and when
 * has_short_fields: u8 tf_name, u8 tf_description. doc_delta is from the previous posting's doc (the first
 * from 0). Docs ascend strictly within a term. */

/* PACK: u32 n_packs, u32 reserved, then n_packs u64 name offsets (into STRS), then n_packs+1 u32 member
 * starts, then the member doc numbers (u32, grouped by pack, ascending). */

/* The open index (private to src/index and src/route). Every pointer points into `map`. */
struct sr_index {
  sr_map map;
  char *path;                       /* owned copy of the file name */
  const sr_idx_stats *stats;
  const sr_idx_entry *entries;      /* [n_entries] */
  uint32_t n_entries;
  const char *strs;                 /* STRS, ends with a NUL */
  uint64_t strs_size;
  const sr_idx_term *terms;         /* [n_terms] */
  uint32_t n_terms;
  const char *term_bytes;           /* term strings, NUL-terminated each */
  uint64_t term_bytes_size;
  const uint32_t *termtab;          /* [termtab_slots] */
  uint64_t termtab_slots;
  const uint32_t *idtab;            /* [idtab_slots] */
  uint64_t idtab_slots;
  const uint8_t *post;              /* POST */
  uint64_t post_size;
  uint32_t n_packs;
  const uint64_t *pack_names;       /* [n_packs] offsets into STRS */
  const uint32_t *pack_starts;      /* [n_packs + 1] */
  const uint32_t *pack_members;     /* [pack_starts[n_packs]] */
  sr_vec_view vecs;                 /* vecs.info == NULL when there is no VECS section */
  sr_vec_info vec_info;             /* what vecs.info points to */
};

/* VECS header (see vectors.h). */
typedef struct sr_idx_vecs_header {
  uint32_t n, dim, dtype, desc_chars, body_chars;
  uint32_t reserved[3];
  char model_id[SR_VEC_MODEL_ID_MAX];
} sr_idx_vecs_header;     /* 256 bytes */

/* VECR header (see vectors.h); the f16 rows follow at byte 64. */
typedef struct sr_idx_vecr_header {
  uint32_t n, dim, dtype;
  uint32_t reserved[13];
} sr_idx_vecr_header;     /* 64 bytes */

/* Byte layout of a VECS section for n vectors of dim/dtype: offsets of hashes, scales, data; total. */
typedef struct sr_idx_vecs_layout { uint64_t hash_off, scale_off, data_off, size; } sr_idx_vecs_layout;
sr_idx_vecs_layout sr_idx_vecs_layout_of(uint64_t n, uint64_t dim, sr_vec_dtype dtype);
/* Validates the VECS section s (already crc-checked) against ix->n_entries and fills ix->vecs. */
sr_status sr_idx_vecs_carve(sr_index *ix, const unsigned char *sec, uint64_t size, sr_error *err);
/* Validates the VECR section (already crc-checked) against ix->vecs (carved first) and sets
 * ix->vecs.refine. */
sr_status sr_idx_vecr_carve(sr_index *ix, const unsigned char *sec, uint64_t size, sr_error *err);

/* Looks a term up in the vocabulary; false when absent. */
bool sr_index_term_find(const sr_index *ix, const char *term, size_t len, uint32_t *term_id);
/* The postings bytes of term t: [*begin, *end) inside ix->post. */
void sr_index_term_postings(const sr_index *ix, uint32_t t, const uint8_t **begin, const uint8_t **end);

/* Decodes one posting at p (< end). Returns the bytes consumed, 0 on malformed data.
 * Fast path: most postings are two one-byte varints (small doc delta, small body tf). */
static inline size_t sr_posting_decode(const uint8_t *p, const uint8_t *end, uint32_t *doc_delta,
                                       uint32_t tf[SR_IDX_NFIELDS]) {
  uint64_t a, b;
  size_t n1, n2;
  if (p + 4 <= end && p[0] < 0x80 && p[1] < 0x80) {
    a = p[0];
    b = p[1];
    n1 = n2 = 1;
  } else {
    n1 = sr_varint_get(p, end, &a);
    if (!n1) return 0;
    n2 = sr_varint_get(p + n1, end, &b);
    if (!n2) return 0;
  }
  size_t n = n1 + n2;
  tf[2] = (uint32_t)b;
  if (a & 1) {
    if (p + n + 2 > end) return 0;
    tf[0] = p[n];
    tf[1] = p[n + 1];
    n += 2;
  } else {
    tf[0] = tf[1] = 0;
  }
  if ((a >> 1) > UINT32_MAX) return 0;
  *doc_delta = (uint32_t)(a >> 1);
  return n;
}

#endif
