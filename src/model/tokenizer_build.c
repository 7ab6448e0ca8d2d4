/* tokenizer_build.c — fills an sr_tokenizer's tables (vocabulary, merges, added tokens, regex) from
 * entries handed over by the file loaders in tokenizer_load.c, and frees a tokenizer. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer_internal.h"

/* The Qwen2 pre-tokenizer regex (QWEN3_SPEC.md §3), with \s written as [\s\x{85}]: Hugging Face runs
 * it with Oniguruma, whose Unicode \s also matches U+0085 (NEL); PCRE2's does not. */
static const char QWEN2_PATTERN[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
    "| ?[^\\s\\x{85}\\p{L}\\p{N}]+[\\r\\n]*|[\\s\\x{85}]*[\\r\\n]+|[\\s\\x{85}]+(?![^\\s\\x{85}])"
    "|[\\s\\x{85}]+";

/* GPT-2 bytes_to_unicode reversed: the byte of code point cp, or -1 when cp is not one of the 256
 * byte-level characters. Printable Latin-1 bytes (33..126, 161..172, 174..255) map to themselves; the
 * other 68 bytes (0..32, 127..160, 173) map, in increasing order, to U+0100..U+0143. */
static int byte_of_codepoint(uint32_t cp) {
  if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 172) || (cp >= 174 && cp <= 255)) return (int)cp;
  if (cp < 256 || cp > 323) return -1;
  uint32_t k = cp - 256;
  return k <= 32 ? (int)k : k <= 66 ? (int)(127 + k - 33) : 173;
}

/* Decodes one UTF-8 code point at s[*i..len) (input already from a JSON parser, so mostly valid);
 * returns false on a malformed sequence. */
static bool next_cp(const unsigned char *s, size_t len, size_t *i, uint32_t *cp) {
  unsigned c = s[*i];
  size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
  if (!n || *i + n > len) return false;
  uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < n; k++) {
    if ((s[*i + k] & 0xc0) != 0x80) return false;
    v = v << 6 | (s[*i + k] & 0x3f);
  }
  *i += n;
  *cp = v;
  return true;
}

/* Decodes byte-level text s[0..len) into raw bytes at out (room for len bytes); returns the byte count,
 * or -1 when a character is outside the byte-level alphabet. */
static long bytelevel_decode(const char *s, size_t len, char *out) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, o = 0;
  while (i < len) {
    uint32_t cp;
    if (!next_cp(u, len, &i, &cp)) return -1;
    int b = byte_of_codepoint(cp);
    if (b < 0) return -1;
    out[o++] = (char)b;
  }
  return (long)o;
}

sr_status sr_tok_begin(sr_tokenizer *t, uint32_t n_ids, size_t bytes_cap, sr_error *err) {
  assert(t && !t->tok_off);
  t->n_ids = n_ids;
  t->tok_off = malloc((size_t)n_ids * sizeof *t->tok_off + 1);
  t->tok_len = malloc((size_t)n_ids * sizeof *t->tok_len + 1);
  t->tok_flags = calloc((size_t)n_ids + 1, 1);
  t->bytes = malloc(bytes_cap + 1);
  t->bytes_cap = bytes_cap;
  if (!t->tok_off || !t->tok_len || !t->tok_flags || !t->bytes)
    return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory for %u ids", n_ids);
  for (uint32_t i = 0; i < n_ids; i++) t->tok_len[i] = SR_TOK_NONE;
  for (int b = 0; b < 256; b++) t->byte_id[b] = -1;
  /* Presize the map (about 2x the entries) so that loading never rehashes. */
  size_t cap = 64;
  while (cap < (size_t)n_ids * 2) cap *= 2;
  t->vocab.slots = calloc(cap, sizeof *t->vocab.slots);
  if (!t->vocab.slots) return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory");
  t->vocab.cap = cap;
  return SR_OK;
}

/* Records token `id` = bytes[off..off+len) and maps its text to it. */
static sr_status put_token(sr_tokenizer *t, uint32_t off, uint32_t len, int64_t id, const char *where,
                           sr_error *err) {
  if (id < 0 || id >= t->n_ids)
    return sr_fail(err, SR_ERR_FORMAT, "%s: token id %lld out of range", where, (long long)id);
  if (t->tok_len[id] != SR_TOK_NONE)
    return sr_fail(err, SR_ERR_FORMAT, "%s: token id %lld appears twice", where, (long long)id);
  t->tok_off[id] = off;
  t->tok_len[id] = len;
  bool inserted;
  uint32_t existing;
  if (!sr_strmap_put(&t->vocab, t->bytes + off, len, (uint32_t)id, &inserted, &existing))
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", where);
  if (!inserted)
    return sr_fail(err, SR_ERR_FORMAT, "%s: token text of id %lld is also id %u", where, (long long)id,
                   existing);
  return SR_OK;
}

sr_status sr_tok_add_vocab(sr_tokenizer *t, const char *s, size_t len, int64_t id, const char *where,
                           sr_error *err) {
  if (t->bytes_len + len > t->bytes_cap)
    return sr_fail(err, SR_ERR_INTERNAL, "%s: token arena too small", where);
  long n = bytelevel_decode(s, len, t->bytes + t->bytes_len);
  if (n < 0)
    return sr_fail(err, SR_ERR_FORMAT, "%s: token %lld (\"%.40s\") is not in the byte-level alphabet",
                   where, (long long)id, s);
  if (n == 0) return sr_fail(err, SR_ERR_FORMAT, "%s: empty token (id %lld)", where, (long long)id);
  uint32_t off = (uint32_t)t->bytes_len;
  sr_status st = put_token(t, off, (uint32_t)n, id, where, err);
  if (st) return st;
  t->bytes_len += (size_t)n;
  return SR_OK;
}

sr_status sr_tok_add_added(sr_tokenizer *t, const char *s, size_t len, int64_t id, bool special,
                           const char *where, sr_error *err) {
  if (len == 0) return sr_fail(err, SR_ERR_FORMAT, "%s: empty added token (id %lld)", where, (long long)id);
  if (id < 0 || id >= t->n_ids)
    return sr_fail(err, SR_ERR_FORMAT, "%s: added token id %lld out of range", where, (long long)id);
  uint8_t flags = SR_TOK_FLAG_ADDED | (special ? SR_TOK_FLAG_SPECIAL : 0);
  if (t->tok_len[id] != SR_TOK_NONE) {   /* already known: same text is fine (listed in two files) */
    if (t->tok_len[id] != len || memcmp(t->bytes + t->tok_off[id], s, len) != 0)
      return sr_fail(err, SR_ERR_FORMAT, "%s: added token \"%.*s\" reuses id %lld of another token",
                     where, (int)len, s, (long long)id);
    if (!(t->tok_flags[id] & SR_TOK_FLAG_ADDED)) {
      sr_tok_added *a = realloc(t->added, (t->n_added + 1) * sizeof *a);
      if (!a) return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", where);
      t->added = a;
      t->added[t->n_added++] = (sr_tok_added){t->tok_off[id], (uint32_t)len, (int32_t)id};
    }
    t->tok_flags[id] |= flags;
    return SR_OK;
  }
  if (t->bytes_len + len > t->bytes_cap)
    return sr_fail(err, SR_ERR_INTERNAL, "%s: token arena too small", where);
  uint32_t off = (uint32_t)t->bytes_len;
  memcpy(t->bytes + off, s, len);
  sr_status st = put_token(t, off, (uint32_t)len, id, where, err);
  if (st) return st;
  t->bytes_len += len;
  sr_tok_added *a = realloc(t->added, (t->n_added + 1) * sizeof *a);
  if (!a) return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", where);
  t->added = a;
  t->added[t->n_added++] = (sr_tok_added){off, (uint32_t)len, (int32_t)id};
  t->tok_flags[id] = flags;
  return SR_OK;
}

sr_status sr_tok_begin_merges(sr_tokenizer *t, size_t n_merges, sr_error *err) {
  assert(!t->pairs);
  size_t cap = 1024;
  while (cap < n_merges * 2) cap *= 2;
  t->pairs = malloc(cap * sizeof *t->pairs);
  if (!t->pairs) return sr_fail(err, SR_ERR_NOMEM, "tokenizer: out of memory for %zu merges", n_merges);
  for (size_t i = 0; i < cap; i++) t->pairs[i].key = SR_TOK_PAIR_EMPTY;
  t->pair_mask = cap - 1;
  return SR_OK;
}

/* Looks up the id of byte-level text s[0..len) through a stack buffer; -1 when absent or too long. */
static int64_t lookup_bytelevel(const sr_tokenizer *t, const char *s, size_t len, char *buf, size_t cap,
                                size_t *raw_len) {
  if (len > cap) return -1;
  long n = bytelevel_decode(s, len, buf);
  if (n <= 0) return -1;
  *raw_len = (size_t)n;
  uint32_t v;
  return sr_strmap_get(&t->vocab, buf, (size_t)n, &v) ? (int64_t)v : -1;
}

sr_status sr_tok_add_merge(sr_tokenizer *t, const char *l, size_t llen, const char *r, size_t rlen,
                           uint32_t rank, const char *where, sr_error *err) {
  assert(t->pairs);
  char buf[1024];
  size_t ln = 0, rn = 0;
  int64_t a = lookup_bytelevel(t, l, llen, buf, 512, &ln);
  int64_t b = a < 0 ? -1 : lookup_bytelevel(t, r, rlen, buf + ln, 512, &rn);
  if (a < 0 || b < 0)
    return sr_fail(err, SR_ERR_FORMAT, "%s: merge \"%.*s %.*s\" names a token not in the vocabulary",
                   where, (int)(llen > 40 ? 40 : llen), l, (int)(rlen > 40 ? 40 : rlen), r);
  uint32_t m;
  if (!sr_strmap_get(&t->vocab, buf, ln + rn, &m))
    return sr_fail(err, SR_ERR_FORMAT, "%s: merged token \"%.*s%.*s\" is not in the vocabulary", where,
                   (int)(llen > 40 ? 40 : llen), l, (int)(rlen > 40 ? 40 : rlen), r);
  if ((size_t)t->n_merges * 2 > t->pair_mask)
    return sr_fail(err, SR_ERR_INTERNAL, "%s: more merges than announced", where);
  uint64_t key = (uint64_t)a << 32 | (uint64_t)b;
  uint64_t i = (key * 0x9e3779b97f4a7c15ULL) >> 32 & t->pair_mask;
  for (;; i = (i + 1) & t->pair_mask) {
    sr_tok_pair *p = &t->pairs[i];
    if (p->key == key) return SR_OK;   /* a repeated merge keeps its first (lowest) rank */
    if (p->key == SR_TOK_PAIR_EMPTY) {
      *p = (sr_tok_pair){key, rank, m};
      t->n_merges++;
      return SR_OK;
    }
  }
}

/* Added tokens: longest first (so that the first match at a position is the longest), then by id. */
static int cmp_added(const void *pa, const void *pb) {
  const sr_tok_added *a = pa, *b = pb;
  if (a->len != b->len) return a->len > b->len ? -1 : 1;   /* longest first */
  return a->id < b->id ? -1 : a->id > b->id;
}

sr_status sr_tok_finish(sr_tokenizer *t, const char *where, sr_error *err) {
  for (int b = 0; b < 256; b++) {
    char c = (char)b;
    uint32_t v;
    if (!sr_strmap_get(&t->vocab, &c, 1, &v))
      return sr_fail(err, SR_ERR_FORMAT, "%s: no token for byte 0x%02x (not a byte-level BPE vocabulary)",
                     where, b);
    t->byte_id[b] = (int32_t)v;
  }
  if (!t->pairs) {
    sr_status st = sr_tok_begin_merges(t, 0, err);
    if (st) return st;
  }
  qsort(t->added, t->n_added, sizeof *t->added, cmp_added);
  memset(t->added_first, 0, sizeof t->added_first);
  for (size_t i = 0; i < t->n_added; i++) t->added_first[(uint8_t)t->bytes[t->added[i].off]] = 1;
  int ec;
  PCRE2_SIZE eo;
  t->re = pcre2_compile((PCRE2_SPTR)QWEN2_PATTERN, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo,
                        NULL);
  if (!t->re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(ec, msg, sizeof msg);
    return sr_fail(err, SR_ERR_INTERNAL, "tokenizer: regex compile failed at %zu: %s", (size_t)eo,
                   (const char *)msg);
  }
  t->re_jit = pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE) == 0;
  return SR_OK;
}

void sr_tokenizer_free(sr_tokenizer *t) {
  if (!t) return;
  free(t->tok_off);
  free(t->tok_len);
  free(t->tok_flags);
  free(t->bytes);
  sr_strmap_free(&t->vocab);
  free(t->pairs);
  free(t->added);
  if (t->re) pcre2_code_free(t->re);
  free(t);
}
