/* analyzer.c — text → index terms. See analyzer.h for the contract.
 *
 * A "word" is a maximal run of letters, marks and digits, joined by single connectors ('_', '-', '.')
 * that sit between two word characters: "snake_case", "kebab-case", "file.py", "v1.2.3", "camelCase".
 * A word with no connector and no case change is emitted once, lower-cased. A compound word is emitted
 * whole (keep_identifiers) and as its parts (split_identifiers): connectors split, and so do case
 * changes (lower→Upper: "camelCase" → camel|case; Upper run → Upper+lower: "HTTPServer" → http|server).
 * Words with non-ASCII bytes are NFC-normalised and case-folded with utf8proc. Terms longer than
 * SR_MAX_TERM_BYTES are dropped (base64 blobs, hashes). */
#include "text/analyzer.h"

#include <assert.h>
#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "util/buf.h"

#define SR_MAX_TERM_BYTES 48

struct sr_analyzer {
  sr_analyzer_opts opts;
  struct sb_stemmer *stemmer;  /* NULL unless opts.stem */
  sr_buf lower;                /* the current word, lower-cased (connectors kept) */
  sr_buf part;                 /* the current part of a compound word */
  uint32_t cuts[256];          /* byte offsets in `lower` where parts start/end (pairs) */
};

sr_analyzer_opts sr_analyzer_defaults(void) {
  sr_analyzer_opts o = {0};
  o.stem = 0;
  o.split_identifiers = 1;
  o.keep_identifiers = 1;
  o.stopwords = 0;
  return o;
}

sr_status sr_analyzer_new(const sr_analyzer_opts *opts, sr_analyzer **out, sr_error *err) {
  sr_analyzer *a = calloc(1, sizeof *a);
  if (!a) return sr_fail(err, SR_ERR_NOMEM, "analyzer: out of memory");
  a->opts = opts ? *opts : sr_analyzer_defaults();
  if (a->opts.stem) {
    a->stemmer = sb_stemmer_new("english", "UTF_8");
    if (!a->stemmer) {
      free(a);
      return sr_fail(err, SR_ERR_UNSUPPORTED, "analyzer: libstemmer has no English stemmer");
    }
  }
  if (!sr_buf_reserve(&a->lower, 256) || !sr_buf_reserve(&a->part, 256)) {
    sr_analyzer_free(a);
    return sr_fail(err, SR_ERR_NOMEM, "analyzer: out of memory");
  }
  *out = a;
  return SR_OK;
}

void sr_analyzer_free(sr_analyzer *a) {
  if (!a) return;
  if (a->stemmer) sb_stemmer_delete(a->stemmer);
  sr_buf_free(&a->lower);
  sr_buf_free(&a->part);
  free(a);
}

/* English stopwords (sorted, for bsearch). Used only when opts.stopwords is set. */
static const char *const STOPWORDS[] = {
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
    "can", "could", "do", "does", "each", "for", "from", "had", "has", "have", "how", "i", "if", "in",
    "into", "is", "it", "its", "may", "more", "must", "no", "not", "of", "on", "one", "only", "or",
    "other", "our", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "those", "to", "use", "used", "using", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "will", "with", "would", "you", "your"};

static int cmp_stop(const void *key, const void *elem) { return strcmp(key, *(const char *const *)elem); }

static bool is_stopword(const char *t, size_t len) {
  if (len > 7) return false;
  char tmp[8];
  memcpy(tmp, t, len);
  tmp[len] = '\0';
  return bsearch(tmp, STOPWORDS, sizeof STOPWORDS / sizeof STOPWORDS[0], sizeof STOPWORDS[0], cmp_stop) != NULL;
}

static void emit(sr_analyzer *a, const char *t, size_t len, sr_term_fn fn, void *ctx) {
  if (len == 0 || len > SR_MAX_TERM_BYTES) return;
  if (a->opts.stopwords && is_stopword(t, len)) return;
  if (a->stemmer) {
    const sb_symbol *s = sb_stemmer_stem(a->stemmer, (const sb_symbol *)t, (int)len);
    if (s) {
      fn(ctx, (const char *)s, (size_t)sb_stemmer_length(a->stemmer));
      return;
    }
  }
  fn(ctx, t, len);
}

typedef enum { C_SEP, C_LOWER, C_UPPER, C_OTHER /* digits, other letters, marks */, C_CONNECT } char_class;

static char_class classify(int32_t cp) {
  if (cp < 0x80) {
    if (cp >= 'a' && cp <= 'z') return C_LOWER;
    if (cp >= 'A' && cp <= 'Z') return C_UPPER;
    if (cp >= '0' && cp <= '9') return C_OTHER;
    if (cp == '_' || cp == '-' || cp == '.') return C_CONNECT;
    return C_SEP;
  }
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT: return C_UPPER;
    case UTF8PROC_CATEGORY_LL: return C_LOWER;
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: return C_OTHER;
    default: return C_SEP;
  }
}

/* Decodes one code point at s[i..len); invalid bytes decode as U+FFFD of length 1 (a separator). */
static inline int32_t next_cp(const unsigned char *s, size_t i, size_t len, size_t *n) {
  if (s[i] < 0x80) { *n = 1; return s[i]; }
  int32_t cp;
  utf8proc_ssize_t r = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
  if (r <= 0) { *n = 1; return 0xfffd; }
  *n = (size_t)r;
  return cp;
}

/* Lower-cases word w[0..n) into a->lower and records part boundaries into a->cuts.
 * Returns the number of parts (0 if out of memory). */
static size_t lower_and_cut(sr_analyzer *a, const unsigned char *w, size_t n) {
  sr_buf_reset(&a->lower);
  size_t nparts = 0, max_cuts = sizeof a->cuts / sizeof a->cuts[0];
  char_class prev = C_SEP;
  size_t part_start = 0;
  for (size_t i = 0; i < n;) {
    size_t len;
    int32_t cp = next_cp(w, i, n, &len);
    char_class c = classify(cp);
    if (c == C_CONNECT) {
      if (nparts * 2 + 2 <= max_cuts && a->lower.len > part_start) {
        a->cuts[nparts * 2] = (uint32_t)part_start;
        a->cuts[nparts * 2 + 1] = (uint32_t)a->lower.len;
        nparts++;
      }
      sr_buf_putc(&a->lower, (char)cp);
      part_start = a->lower.len;
      prev = C_SEP;
      i += len;
      continue;
    }
    bool cut = false;
    if (c == C_UPPER && prev == C_LOWER) cut = true;
    if (c == C_LOWER && prev == C_UPPER && i > 0) {
      /* "HTTPServer": the part starts at the last upper-case letter (the 'S'), if the run had > 1 */
      size_t last_start = a->lower.len;
      /* step back one code point in lower */
      do { last_start--; } while (last_start > part_start && ((unsigned char)a->lower.data[last_start] & 0xc0) == 0x80);
      if (last_start > part_start) {
        if (nparts * 2 + 2 <= max_cuts) {
          a->cuts[nparts * 2] = (uint32_t)part_start;
          a->cuts[nparts * 2 + 1] = (uint32_t)last_start;
          nparts++;
        }
        part_start = last_start;
      }
    }
    if (cut && a->lower.len > part_start) {
      if (nparts * 2 + 2 <= max_cuts) {
        a->cuts[nparts * 2] = (uint32_t)part_start;
        a->cuts[nparts * 2 + 1] = (uint32_t)a->lower.len;
        nparts++;
      }
      part_start = a->lower.len;
    }
    if (cp < 0x80) {
      char ch = (char)(c == C_UPPER ? cp + 32 : cp);
      if (!sr_buf_putc(&a->lower, ch)) return 0;
    } else {
      utf8proc_uint8_t enc[4];
      utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), enc);
      if (!sr_buf_append(&a->lower, enc, (size_t)m)) return 0;
    }
    prev = c;
    i += len;
  }
  if (a->lower.len > part_start && nparts * 2 + 2 <= max_cuts) {
    a->cuts[nparts * 2] = (uint32_t)part_start;
    a->cuts[nparts * 2 + 1] = (uint32_t)a->lower.len;
    nparts++;
  }
  return nparts;
}

/* Emits the terms of one word. Non-ASCII words are NFC-composed first. */
static void process_word(sr_analyzer *a, const unsigned char *w, size_t n, bool ascii, sr_term_fn fn, void *ctx) {
  utf8proc_uint8_t *nfc = NULL;
  if (!ascii) {
    utf8proc_ssize_t m = utf8proc_map(w, (utf8proc_ssize_t)n, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (m >= 0) {
      w = nfc;
      n = (size_t)m;
    } else {
      nfc = NULL;
    }
  }
  size_t nparts = lower_and_cut(a, w, n);
  if (nparts == 1 && a->cuts[0] == 0 && a->cuts[1] == a->lower.len) {
    emit(a, a->lower.data, a->lower.len, fn, ctx);
  } else if (nparts > 0) {
    if (a->opts.keep_identifiers || !a->opts.split_identifiers) emit(a, a->lower.data, a->lower.len, fn, ctx);
    if (a->opts.split_identifiers)
      for (size_t p = 0; p < nparts; p++)
        emit(a, a->lower.data + a->cuts[2 * p], a->cuts[2 * p + 1] - a->cuts[2 * p], fn, ctx);
  }
  free(nfc);
}

sr_status sr_analyze(sr_analyzer *a, const char *text, size_t len, sr_term_fn fn, void *ctx, sr_error *err) {
  assert(a && fn);
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < len) {
    size_t n;
    int32_t cp = next_cp(s, i, len, &n);
    char_class c = classify(cp);
    if (c == C_SEP || c == C_CONNECT) { i += n; continue; }
    size_t start = i;
    bool ascii = cp < 0x80;
    i += n;
    while (i < len) {
      cp = next_cp(s, i, len, &n);
      c = classify(cp);
      if (c == C_SEP) break;
      if (c == C_CONNECT) {
        /* a connector joins only if a word character follows it directly */
        if (i + n >= len) break;
        size_t n2;
        int32_t cp2 = next_cp(s, i + n, len, &n2);
        char_class c2 = classify(cp2);
        if (c2 == C_SEP || c2 == C_CONNECT) break;
      }
      if (cp >= 0x80) ascii = false;
      i += n;
    }
    process_word(a, s + start, i - start, ascii, fn, ctx);
  }
  (void)err;
  return SR_OK;
}
