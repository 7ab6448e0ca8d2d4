/* query_bag.c — see query_bag.h. */
#include "route/query_bag.h"

#include <stdlib.h>
#include <string.h>

#include "index/forward.h"
#include "util/utf8.h"

typedef struct collect_ctx {
  sr_query_bag *b;
  int oom;
} collect_ctx;

static void on_term(void *ctx, const char *term, size_t len) {
  collect_ctx *c = ctx;
  sr_query_bag *b = c->b;
  if (c->oom) return;
  if (b->total == b->cap_off) {
    size_t cap = b->cap_off ? b->cap_off * 2 : 64;
    size_t *o = realloc(b->off, cap * sizeof *o);
    if (!o) { c->oom = 1; return; }
    b->off = o;
    b->cap_off = cap;
  }
  b->off[b->total++] = b->bytes.len;
  if (!sr_buf_append(&b->bytes, term, len) || !sr_buf_putc(&b->bytes, '\0')) c->oom = 1;
}

sr_status sr_query_bag_fill(sr_query_bag *b, sr_analyzer *an, const sr_index *ix, const sr_senc *enc,
                            const char *text, size_t len, sr_error *err) {
  size_t bad;
  if (!sr_utf8_valid(text, len, &bad)) return sr_fail(err, SR_ERR_FORMAT, "query: invalid UTF-8 at byte %zu", bad);
  b->n = 0;
  b->total = 0;
  sr_buf_reset(&b->bytes);
  sr_strmap_free(&b->map);
  collect_ctx c = {b, 0};
  sr_status st = sr_analyze(an, text, len, on_term, &c, err);
  if (st != SR_OK) return st;
  if (c.oom) return sr_fail(err, SR_ERR_NOMEM, "query: out of memory");
  double n_docs = sr_index_count(ix);
  for (size_t i = 0; i < b->total; i++) {
    const char *term = b->bytes.data + b->off[i];
    size_t tl = strlen(term);
    bool inserted;
    uint32_t pos;
    if (!sr_strmap_put(&b->map, term, tl, (uint32_t)b->n, &inserted, &pos))
      return sr_fail(err, SR_ERR_NOMEM, "query: out of memory");
    if (!inserted) {
      b->terms[pos].count++;
      continue;
    }
    if (b->n == b->cap) {
      size_t cap = b->cap ? b->cap * 2 : 64;
      sr_qterm *t = realloc(b->terms, cap * sizeof *t);
      if (!t) return sr_fail(err, SR_ERR_NOMEM, "query: out of memory");
      b->terms = t;
      b->cap = cap;
    }
    sr_qterm *q = &b->terms[b->n];
    /* remember the first occurrence's offset in off[n] (off[] is at least as long as terms) */
    b->off[b->n] = b->off[i];
    b->n++;
    uint32_t t;
    double df = 0;
    if (sr_index_term_lookup(ix, term, tl, &t)) {
      q->term = t;
      df = sr_index_term_df(ix, t);
    } else {
      q->term = UINT32_MAX;
    }
    q->count = 1;
    q->idf = sr_idf(n_docs, df);
    q->bucket = enc ? sr_senc_bucket(enc, term, tl) : 0;
  }
  return SR_OK;
}

const char *sr_query_bag_term(const sr_query_bag *b, size_t i) { return b->bytes.data + b->off[i]; }

void sr_query_bag_free(sr_query_bag *b) {
  free(b->terms);
  free(b->off);
  sr_buf_free(&b->bytes);
  sr_strmap_free(&b->map);
  memset(b, 0, sizeof *b);
}
