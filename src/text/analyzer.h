/* analyzer.h — turns text into index terms: NFC + Unicode case folding (utf8proc), splitting on
 * non-alphanumerics, camelCase, snake_case, kebab-case and dots, keeping whole code identifiers and
 * numbers, optional Snowball stemming (libstemmer) and stopword removal.
 *
 * Ownership: an sr_analyzer owns its scratch buffers and stemmer; one analyzer per thread. Terms
 * passed to the callback point into that scratch and are valid only during the callback.
 */
#ifndef SR_ANALYZER_H
#define SR_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

typedef struct sr_analyzer_opts {
  uint8_t stem;            /* 0 = no stemming (the measured best), 1 = Snowball English */
  uint8_t split_identifiers; /* 1 = also emit the parts of camelCase/snake_case/kebab/dotted words */
  uint8_t keep_identifiers;  /* 1 = also emit the whole identifier (e.g. "snake_case", "file.py") */
  uint8_t stopwords;       /* 1 = drop English stopwords */
  uint8_t reserved[4];
} sr_analyzer_opts;

/* The defaults (measured, see BENCHMARKS.md). */
sr_analyzer_opts sr_analyzer_defaults(void);

typedef struct sr_analyzer sr_analyzer;

sr_status sr_analyzer_new(const sr_analyzer_opts *opts, sr_analyzer **out, sr_error *err);
void sr_analyzer_free(sr_analyzer *a);

typedef void (*sr_term_fn)(void *ctx, const char *term, size_t len);

/* Calls `fn` for every term of text[0..len), in order. Invalid UTF-8 bytes are treated as separators
 * (documents) — callers that must reject invalid UTF-8 check with sr_utf8_valid (util/utf8.h) first. */
sr_status sr_analyze(sr_analyzer *a, const char *text, size_t len, sr_term_fn fn, void *ctx, sr_error *err);

#endif
