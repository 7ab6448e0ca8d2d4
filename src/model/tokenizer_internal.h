/* tokenizer_internal.h — the sr_tokenizer layout and the table builder shared by tokenizer.c (encode,
 * decode) and tokenizer_load.c (file formats). Not part of the public API. */
#ifndef SR_MODEL_TOKENIZER_INTERNAL_H
#define SR_MODEL_TOKENIZER_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/tokenizer.h"
#include "util/hash.h"

#define SR_TOK_NONE UINT32_MAX      /* tok_len value of an id that has no token */
#define SR_TOK_FLAG_ADDED 1u
#define SR_TOK_FLAG_SPECIAL 2u

/* One merge: the pair (left id, right id) packed as left << 32 | right, its rank and the merged id. */
typedef struct sr_tok_pair {
  uint64_t key;    /* SR_TOK_PAIR_EMPTY = free slot */
  uint32_t rank;
  uint32_t id;
} sr_tok_pair;
#define SR_TOK_PAIR_EMPTY UINT64_MAX

typedef struct sr_tok_added {
  uint32_t off, len;   /* text = tok->bytes + off */
  int32_t id;
} sr_tok_added;

struct sr_tokenizer {
  uint32_t n_ids;          /* highest id + 1 */
  uint32_t *tok_off;       /* [n_ids] offset of each token's raw bytes in `bytes` */
  uint32_t *tok_len;       /* [n_ids] length, SR_TOK_NONE for a gap */
  uint8_t *tok_flags;      /* [n_ids] SR_TOK_FLAG_* */
  char *bytes;             /* all token bytes; never reallocated once keys point into it */
  size_t bytes_len, bytes_cap;
  sr_strmap vocab;         /* raw bytes -> id, keys inside `bytes` */
  int32_t byte_id[256];    /* id of each single byte */
  sr_tok_pair *pairs;      /* open addressing, pair_mask + 1 slots */
  uint64_t pair_mask;
  uint32_t n_merges;
  sr_tok_added *added;     /* sorted by first byte, then longest first */
  size_t n_added;
  uint8_t added_first[256];/* 1 when some added token starts with this byte */
  pcre2_code *re;          /* the Qwen2 pre-tokenizer regex */
  bool re_jit;             /* JIT compilation succeeded */
};

/* Builder, used by the loaders in this order: begin, vocab/added entries, merges, finish.
 * Each returns SR_OK or an error (message naming `where`, a "file:place" string from the caller). */

/* Allocates the id tables for ids 0..n_ids-1 and a byte arena of bytes_cap bytes (enough for every
 * token: a byte-level token decodes to at most as many bytes as its UTF-8 text). */
sr_status sr_tok_begin(sr_tokenizer *t, uint32_t n_ids, size_t bytes_cap, sr_error *err);

/* Adds base-vocabulary token `id` given in the GPT-2 byte-level alphabet (s[0..len), UTF-8). */
sr_status sr_tok_add_vocab(sr_tokenizer *t, const char *s, size_t len, int64_t id, const char *where,
                           sr_error *err);

/* Adds an added token with literal text s[0..len). Re-adding the same text with the same id is fine. */
sr_status sr_tok_add_added(sr_tokenizer *t, const char *s, size_t len, int64_t id, bool special,
                           const char *where, sr_error *err);

/* Makes the merge table for n_merges merges (call once, before sr_tok_add_merge). */
sr_status sr_tok_begin_merges(sr_tokenizer *t, size_t n_merges, sr_error *err);

/* Adds merge number `rank`: left and right in the byte-level alphabet. */
sr_status sr_tok_add_merge(sr_tokenizer *t, const char *l, size_t llen, const char *r, size_t rlen,
                           uint32_t rank, const char *where, sr_error *err);

/* Checks the single-byte tokens, sorts the added tokens and compiles the regex. */
sr_status sr_tok_finish(sr_tokenizer *t, const char *where, sr_error *err);

/* The merge for pair (a, b), or NULL. */
static inline const sr_tok_pair *sr_tok_find_pair(const sr_tokenizer *t, uint32_t a, uint32_t b) {
  uint64_t key = (uint64_t)a << 32 | b;
  uint64_t i = (key * 0x9e3779b97f4a7c15ULL) >> 32 & t->pair_mask;
  for (;; i = (i + 1) & t->pair_mask) {
    const sr_tok_pair *p = &t->pairs[i];
    if (p->key == key) return p;
    if (p->key == SR_TOK_PAIR_EMPTY) return NULL;
  }
}

#endif
