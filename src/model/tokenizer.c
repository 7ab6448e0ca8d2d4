/* tokenizer.c — encoding (added tokens, NFC, regex pre-split, byte-level BPE with a word cache) and
 * decoding for the Qwen2/Qwen3 tokenizer. Loading lives in tokenizer_load.c / tokenizer_build.c. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "model/tokenizer_internal.h"
#include "util/buf.h"
#include "util/utf8.h"

#define NO_RANK UINT32_MAX
#define CACHE_SLOTS 8192          /* direct-mapped word cache entries (power of two) */
#define CACHE_MAX_WORD 255        /* longer pieces are not cached */
#define CACHE_KEY_POOL (1u << 20) /* bytes of cached words before the cache is cleared */
#define CACHE_ID_POOL (1u << 18)  /* ids of cached words before the cache is cleared */
#define CACHE_AFTER 64            /* a temporary scratch makes its cache after this many BPE words */

typedef struct cache_entry {
  uint64_t hash;   /* 0 = empty */
  uint32_t key_off, ids_off;
  uint16_t key_len, n_ids;
} cache_entry;

struct sr_tok_scratch {
  const sr_tokenizer *tok;
  pcre2_match_data *md;
  uint32_t *sym, *next, *prev, *rank;   /* BPE working arrays, work_cap each */
  uint64_t *heap;                       /* 3 * work_cap */
  size_t work_cap;
  cache_entry *cache;                   /* CACHE_SLOTS, or NULL until made */
  char *keys;                           /* CACHE_KEY_POOL */
  int32_t *cids;                        /* CACHE_ID_POOL */
  size_t keys_len, cids_len, bpe_words;
};

/* A growable id array (the result of one encode call). */
typedef struct id_vec {
  int32_t *v;
  size_t n, cap;
} id_vec;

static bool vec_reserve(id_vec *o, size_t extra) {
  if (o->n + extra <= o->cap) return true;
  size_t cap = o->cap ? o->cap : 64;
  while (cap < o->n + extra) cap *= 2;
  int32_t *v = realloc(o->v, cap * sizeof *v);
  if (!v) return false;
  o->v = v;
  o->cap = cap;
  return true;
}

size_t sr_tokenizer_vocab_size(const sr_tokenizer *tok) { return tok->n_ids; }

int32_t sr_tokenizer_token_id(const sr_tokenizer *tok, const char *text) {
  uint32_t v;
  return text && sr_strmap_get(&tok->vocab, text, strlen(text), &v) ? (int32_t)v : -1;
}

const char *sr_tokenizer_token_bytes(const sr_tokenizer *tok, int32_t id, size_t *len) {
  if (id < 0 || (uint32_t)id >= tok->n_ids || tok->tok_len[id] == SR_TOK_NONE) return NULL;
  if (len) *len = tok->tok_len[id];
  return tok->bytes + tok->tok_off[id];
}

bool sr_tokenizer_is_special(const sr_tokenizer *tok, int32_t id) {
  return id >= 0 && (uint32_t)id < tok->n_ids && tok->tok_len[id] != SR_TOK_NONE &&
         (tok->tok_flags[id] & SR_TOK_FLAG_SPECIAL);
}

/* Allocates the word cache of s (idempotent). */
static bool cache_make(sr_tok_scratch *s) {
  if (s->cache) return true;
  s->cache = calloc(CACHE_SLOTS, sizeof *s->cache);
  s->keys = malloc(CACHE_KEY_POOL);
  s->cids = malloc(CACHE_ID_POOL * sizeof *s->cids);
  if (s->cache && s->keys && s->cids) return true;
  free(s->cache), free(s->keys), free(s->cids);
  s->cache = NULL, s->keys = NULL, s->cids = NULL;
  return false;
}

sr_status sr_tok_scratch_new(const sr_tokenizer *tok, sr_tok_scratch **out, sr_error *err) {
  assert(tok && out);
  *out = NULL;
  sr_tok_scratch *s = calloc(1, sizeof *s);
  if (!s) return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
  s->tok = tok;
  s->md = pcre2_match_data_create_from_pattern(tok->re, NULL);
  if (!s->md || !cache_make(s)) {
    sr_tok_scratch_free(s);
    return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
  }
  *out = s;
  return SR_OK;
}

void sr_tok_scratch_free(sr_tok_scratch *s) {
  if (!s) return;
  if (s->md) pcre2_match_data_free(s->md);
  free(s->sym), free(s->next), free(s->prev), free(s->rank), free(s->heap);
  free(s->cache), free(s->keys), free(s->cids);
  free(s);
}

static bool work_reserve(sr_tok_scratch *s, size_t n) {
  if (n <= s->work_cap) return true;
  size_t cap = s->work_cap ? s->work_cap : 64;
  while (cap < n) cap *= 2;
  uint32_t *a = realloc(s->sym, cap * 4);
  if (a) s->sym = a;
  uint32_t *b = realloc(s->next, cap * 4);
  if (b) s->next = b;
  uint32_t *c = realloc(s->prev, cap * 4);
  if (c) s->prev = c;
  uint32_t *d = realloc(s->rank, cap * 4);
  if (d) s->rank = d;
  uint64_t *h = realloc(s->heap, cap * 3 * 8);
  if (h) s->heap = h;
  if (!a || !b || !c || !d || !h) return false;
  s->work_cap = cap;
  return true;
}

/* Min-heap of (rank << 32 | position): lowest rank first, leftmost first among equal ranks. */
static void heap_push(uint64_t *h, size_t *n, uint64_t v) {
  size_t i = (*n)++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (h[p] <= v) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n) {
  uint64_t top = h[0], v = h[--(*n)];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && h[c + 1] < h[c]) c++;
    if (h[c] >= v) break;
    h[i] = h[c];
    i = c;
  }
  if (*n) h[i] = v;
  return top;
}

static inline uint32_t pair_rank(const sr_tokenizer *t, uint32_t a, uint32_t b) {
  const sr_tok_pair *p = sr_tok_find_pair(t, a, b);
  return p ? p->rank : NO_RANK;
}

/* BPE of the raw bytes p[0..n) (n >= 1): appends the ids to out. Hugging Face order: repeatedly merge
 * the adjacent pair of lowest rank (leftmost first) until no pair has a rank. */
static bool bpe(const sr_tokenizer *t, sr_tok_scratch *s, const uint8_t *p, size_t n, id_vec *out) {
  if (!vec_reserve(out, n)) return false;
  if (n == 1) {
    out->v[out->n++] = t->byte_id[p[0]];
    return true;
  }
  if (!work_reserve(s, n)) return false;
  uint32_t *sym = s->sym, *next = s->next, *prev = s->prev, *rank = s->rank;
  uint64_t *heap = s->heap;
  size_t hn = 0;
  for (size_t i = 0; i < n; i++) {
    sym[i] = (uint32_t)t->byte_id[p[i]];
    next[i] = (uint32_t)i + 1;
    prev[i] = (uint32_t)i - 1;   /* UINT32_MAX for the first */
  }
  for (size_t i = 0; i + 1 < n; i++) {
    rank[i] = pair_rank(t, sym[i], sym[i + 1]);
    if (rank[i] != NO_RANK) heap_push(heap, &hn, (uint64_t)rank[i] << 32 | i);
  }
  rank[n - 1] = NO_RANK;
  while (hn) {
    uint64_t e = heap_pop(heap, &hn);
    uint32_t i = (uint32_t)e, r = (uint32_t)(e >> 32);
    if (rank[i] != r) continue;   /* stale: the pair at i changed or i was merged away */
    uint32_t j = next[i];
    assert(j < n);
    const sr_tok_pair *m = sr_tok_find_pair(t, sym[i], sym[j]);
    assert(m && m->rank == r);
    sym[i] = m->id;
    uint32_t k = next[j];
    next[i] = k;
    if (k < n) prev[k] = i;
    rank[j] = NO_RANK;
    rank[i] = k < n ? pair_rank(t, sym[i], sym[k]) : NO_RANK;
    if (rank[i] != NO_RANK) heap_push(heap, &hn, (uint64_t)rank[i] << 32 | i);
    uint32_t h = prev[i];
    if (h != UINT32_MAX) {
      rank[h] = pair_rank(t, sym[h], sym[i]);
      if (rank[h] != NO_RANK) heap_push(heap, &hn, (uint64_t)rank[h] << 32 | h);
    }
    assert(hn <= 3 * n);
  }
  for (uint32_t i = 0; i < n; i = next[i]) out->v[out->n++] = (int32_t)sym[i];
  return true;
}

/* BPE through the word cache: a hit copies the cached ids, a miss runs bpe and stores the result. */
static bool bpe_cached(const sr_tokenizer *t, sr_tok_scratch *s, const uint8_t *p, size_t n, id_vec *out) {
  if (n == 1 || n > CACHE_MAX_WORD) return bpe(t, s, p, n, out);
  if (!s->cache && (++s->bpe_words < CACHE_AFTER || !cache_make(s))) return bpe(t, s, p, n, out);
  uint64_t h = sr_hash64(p, n, 0x51ed) | 1;
  cache_entry *e = &s->cache[h & (CACHE_SLOTS - 1)];
  if (e->hash == h && e->key_len == n && !memcmp(s->keys + e->key_off, p, n)) {
    if (!vec_reserve(out, e->n_ids)) return false;
    memcpy(out->v + out->n, s->cids + e->ids_off, e->n_ids * sizeof *out->v);
    out->n += e->n_ids;
    return true;
  }
  size_t before = out->n;
  if (!bpe(t, s, p, n, out)) return false;
  size_t k = out->n - before;
  if (s->keys_len + n > CACHE_KEY_POOL || s->cids_len + k > CACHE_ID_POOL) {   /* full: start over */
    memset(s->cache, 0, CACHE_SLOTS * sizeof *s->cache);
    s->keys_len = s->cids_len = 0;
  }
  memcpy(s->keys + s->keys_len, p, n);
  memcpy(s->cids + s->cids_len, out->v + before, k * sizeof *out->v);
  *e = (cache_entry){h, (uint32_t)s->keys_len, (uint32_t)s->cids_len, (uint16_t)n, (uint16_t)k};
  s->keys_len += n;
  s->cids_len += k;
  return true;
}

/* True when s[0..n) may change under NFC: it holds a code point >= U+0300 (lead byte >= 0xCC).
 * Everything below U+0300 is NFC-stable and never composes with what precedes it. */
static bool needs_nfc(const uint8_t *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] >= 0xcc) return true;
  return false;
}

/* NFC of s[0..len) into *out (malloc'd, *out_len bytes), normalising only what can change: each run of
 * non-ASCII characters holding a code point >= U+0300, together with the ASCII character before it
 * (which may compose with the run's first mark). ASCII characters are starters that never compose
 * with what precedes them, so NFC(a + b) = NFC(a) + NFC(b) whenever b starts with one. */
static sr_status nfc_runs(const uint8_t *s, size_t len, size_t base, uint8_t **out, size_t *out_len,
                          sr_error *err) {
  sr_buf b = SR_BUF_INIT;
  size_t i = 0, copied = 0;
  while (i < len) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    size_t rs = i;
    while (i < len && s[i] >= 0x80) i++;
    if (!needs_nfc(s + rs, i - rs)) continue;
    size_t cs = rs > copied ? rs - 1 : rs;   /* the ASCII character before the run, if not yet copied */
    uint8_t *n = NULL;
    utf8proc_ssize_t r = utf8proc_map(s + cs, (utf8proc_ssize_t)(i - cs), &n, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (r < 0) {
      sr_buf_free(&b);
      return sr_fail(err, r == UTF8PROC_ERROR_NOMEM ? SR_ERR_NOMEM : SR_ERR_FORMAT,
                     "text at byte %zu: NFC normalisation failed: %s", base + cs, utf8proc_errmsg(r));
    }
    bool ok = sr_buf_append(&b, s + copied, cs - copied) && sr_buf_append(&b, n, (size_t)r);
    free(n);
    if (!ok) {
      sr_buf_free(&b);
      return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
    }
    copied = i;
  }
  if (!sr_buf_append(&b, s + copied, len - copied) || !sr_buf_reserve(&b, 1)) {
    sr_buf_free(&b);
    return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
  }
  *out_len = b.len;
  *out = (uint8_t *)sr_buf_take(&b);
  return SR_OK;
}

/* Encodes one segment (text between added tokens): NFC, regex split, BPE of each piece. */
static sr_status encode_segment(const sr_tokenizer *t, sr_tok_scratch *s, const char *text, size_t len,
                                size_t base, id_vec *out, sr_error *err) {
  if (len == 0) return SR_OK;
  uint8_t *nfc = NULL;
  const uint8_t *p = (const uint8_t *)text;
  if (needs_nfc(p, len)) {
    sr_status st = nfc_runs(p, len, base, &nfc, &len, err);
    if (st) return st;
    p = nfc;
  }
  sr_status st = SR_OK;
  size_t pos = 0;
  while (pos < len) {
    int rc = t->re_jit ? pcre2_jit_match(t->re, p, len, pos, 0, s->md, NULL)
                       : pcre2_match(t->re, p, len, pos, PCRE2_NO_UTF_CHECK, s->md, NULL);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
      rc = pcre2_match(t->re, p, len, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, s->md, NULL);
    size_t ms = len, me = len;
    if (rc >= 0) {
      PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
      ms = ov[0], me = ov[1];
    } else if (rc != PCRE2_ERROR_NOMATCH) {
      st = sr_fail(err, SR_ERR_INTERNAL, "text at byte %zu: regex match failed (%d)", base + pos, rc);
      break;
    }
    if (me == ms && ms < len) {   /* an empty match cannot happen with this regex; guard anyway */
      me = ms + 1;
      while (me < len && (p[me] & 0xc0) == 0x80) me++;
    }
    if ((ms > pos && !bpe_cached(t, s, p + pos, ms - pos, out)) ||   /* unmatched gap: its own piece */
        (me > ms && !bpe_cached(t, s, p + ms, me - ms, out))) {
      st = sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
      break;
    }
    pos = me;
  }
  free(nfc);
  return st;
}

sr_status sr_tokenizer_encode_scratch(const sr_tokenizer *t, sr_tok_scratch *s, const char *text,
                                      size_t len, int32_t **ids, size_t *n, sr_error *err) {
  assert(t && s && s->tok == t && ids && n);
  *ids = NULL;
  *n = 0;
  if (!text && len) return sr_fail(err, SR_ERR_ARG, "sr_tokenizer_encode: NULL text");
  size_t bad;
  if (len && !sr_utf8_valid(text, len, &bad))
    return sr_fail(err, SR_ERR_FORMAT, "text: invalid UTF-8 at byte offset %zu", bad);
  id_vec out = {0};
  if (!vec_reserve(&out, len / 4 + 16)) return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
  sr_status st = SR_OK;
  size_t seg = 0;
  for (size_t i = 0; i < len && !st; i++) {
    if (!t->added_first[(uint8_t)text[i]]) continue;
    const sr_tok_added *hit = NULL;
    for (size_t k = 0; k < t->n_added && !hit; k++) {   /* longest first */
      const sr_tok_added *a = &t->added[k];
      if (a->len <= len - i && !memcmp(text + i, t->bytes + a->off, a->len)) hit = a;
    }
    if (!hit) continue;
    st = encode_segment(t, s, text + seg, i - seg, seg, &out, err);
    if (!st && !vec_reserve(&out, 1)) st = sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
    if (!st) out.v[out.n++] = hit->id;
    i += hit->len - 1;
    seg = i + 1;
  }
  if (!st) st = encode_segment(t, s, text + seg, len - seg, seg, &out, err);
  if (st) {
    free(out.v);
    return st;
  }
  *ids = out.v;
  *n = out.n;
  return SR_OK;
}

sr_status sr_tokenizer_encode(const sr_tokenizer *t, const char *text, size_t len, int32_t **ids,
                              size_t *n, sr_error *err) {
  assert(t && ids && n);
  *ids = NULL;
  *n = 0;
  sr_tok_scratch s = {.tok = t};
  s.md = pcre2_match_data_create_from_pattern(t->re, NULL);
  if (!s.md) return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
  sr_status st = sr_tokenizer_encode_scratch(t, &s, text, len, ids, n, err);
  pcre2_match_data_free(s.md);
  free(s.sym), free(s.next), free(s.prev), free(s.rank), free(s.heap);
  free(s.cache), free(s.keys), free(s.cids);
  return st;
}

/* Length of the valid UTF-8 sequence at s[0..n) (n >= 1), or 0 when it is invalid; *bad_len gets the
 * length of its maximal invalid prefix (>= 1) that becomes one U+FFFD, as Python's decoder does. */
static size_t utf8_seq(const uint8_t *s, size_t n, size_t *bad_len) {
  unsigned c = s[0];
  *bad_len = 1;
  if (c < 0x80) return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 2;
  else if (c >= 0xe0 && c <= 0xef) need = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
  else if (c >= 0xf0 && c <= 0xf4) need = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
  else return 0;
  for (size_t k = 1; k < need; k++) {
    if (k >= n || s[k] < (k == 1 ? lo : 0x80) || s[k] > (k == 1 ? hi : 0xbf)) {
      *bad_len = k;
      return 0;
    }
  }
  return need;
}

sr_status sr_tokenizer_decode(const sr_tokenizer *t, const int32_t *ids, size_t n, bool skip_special,
                              char **text, size_t *len, sr_error *err) {
  assert(t && text);
  *text = NULL;
  if (len) *len = 0;
  sr_buf raw = SR_BUF_INIT, out = SR_BUF_INIT;
  for (size_t i = 0; i < n; i++) {
    int32_t id = ids[i];
    if (id < 0 || (uint32_t)id >= t->n_ids || t->tok_len[id] == SR_TOK_NONE) {
      sr_buf_free(&raw);
      return sr_fail(err, SR_ERR_ARG, "ids[%zu]: unknown token id %d", i, id);
    }
    if (skip_special && (t->tok_flags[id] & SR_TOK_FLAG_SPECIAL)) continue;
    if (!sr_buf_append(&raw, t->bytes + t->tok_off[id], t->tok_len[id])) goto nomem;
  }
  if (!sr_buf_reserve(&raw, 1)) goto nomem;   /* "" rather than NULL for empty output */
  raw.data[raw.len] = 0;
  if (sr_utf8_valid(raw.data, raw.len, NULL)) {
    if (len) *len = raw.len;
    *text = sr_buf_take(&raw);
    return SR_OK;
  }
  const uint8_t *r = (const uint8_t *)raw.data;
  for (size_t i = 0; i < raw.len;) {
    size_t bad, k = utf8_seq(r + i, raw.len - i, &bad);
    if (!(k ? sr_buf_append(&out, r + i, k) : sr_buf_append(&out, "\xef\xbf\xbd", 3))) goto nomem;
    i += k ? k : bad;
  }
  sr_buf_free(&raw);
  if (len) *len = out.len;
  *text = sr_buf_take(&out);
  return SR_OK;
nomem:
  sr_buf_free(&raw);
  sr_buf_free(&out);
  return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
}
