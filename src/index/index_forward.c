/* index_forward.c — inverts an index's postings into per-entry term lists. See forward.h. */
#include "index/forward.h"

#include <stdlib.h>
#include <string.h>

#include "index/index_format.h"

const char *sr_index_term_str(const sr_index *ix, uint32_t t, size_t *len) {
  if (len) *len = ix->terms[t].len;
  return ix->term_bytes + ix->terms[t].str_offset;
}

uint32_t sr_index_term_count(const sr_index *ix) { return ix->n_terms; }
uint32_t sr_index_term_df(const sr_index *ix, uint32_t t) { return ix->terms[t].df; }

bool sr_index_term_lookup(const sr_index *ix, const char *term, size_t len, uint32_t *t) {
  return sr_index_term_find(ix, term, len, t);
}

void sr_index_field_lens(const sr_index *ix, uint32_t d, uint32_t len[3]) {
  for (int f = 0; f < 3; f++) len[f] = ix->entries[d].field_len[f];
}

void sr_index_avg_field_lens(const sr_index *ix, double avg[3]) {
  for (int f = 0; f < 3; f++) avg[f] = ix->stats->avg_field_len[f];
}

void sr_forward_free(sr_forward *f) {
  if (!f) return;
  free(f->start);
  free(f->terms);
  free(f->df);
  free(f->idf);
  free(f->field_len);
  free(f);
}

/* Walks every posting list once; with fill == false counts postings per entry into cnt[doc+1], with
 * fill == true writes them at cursor[doc]++. */
static sr_status walk(const sr_index *ix, bool fill, uint64_t *cnt, uint64_t *cursor, sr_fwd_term *out,
                      sr_error *err) {
  for (uint32_t t = 0; t < ix->n_terms; t++) {
    const uint8_t *p, *end;
    sr_index_term_postings(ix, t, &p, &end);
    uint32_t doc = 0;
    while (p < end) {
      uint32_t delta, tf[SR_IDX_NFIELDS];
      size_t n = sr_posting_decode(p, end, &delta, tf);
      if (!n || (uint64_t)doc + delta >= ix->n_entries)
        return sr_fail(err, SR_ERR_CORRUPT, "%s: corrupt postings for term %u", ix->path, t);
      p += n;
      doc += delta;
      if (!fill) {
        cnt[doc + 1]++;
      } else {
        sr_fwd_term *ft = &out[cursor[doc]++];
        ft->term = t;
        ft->tf_name = (uint8_t)(tf[0] > 255 ? 255 : tf[0]);
        ft->tf_desc = (uint8_t)(tf[1] > 255 ? 255 : tf[1]);
        ft->tf_body = (uint16_t)(tf[2] > 65535 ? 65535 : tf[2]);
      }
    }
  }
  return SR_OK;
}

sr_status sr_forward_build(const sr_index *ix, sr_forward **out, sr_error *err) {
  *out = NULL;
  sr_forward *f = calloc(1, sizeof *f);
  if (!f) return sr_fail(err, SR_ERR_NOMEM, "forward index: out of memory");
  uint32_t n = ix->n_entries;
  f->n_docs = n;
  f->n_terms = ix->n_terms;
  f->start = calloc((size_t)n + 1, sizeof *f->start);
  f->df = malloc(((size_t)ix->n_terms + 1) * sizeof *f->df);
  f->idf = malloc(((size_t)ix->n_terms + 1) * sizeof *f->idf);
  f->field_len = malloc(((size_t)n * 3 + 1) * sizeof *f->field_len);
  uint64_t *cursor = malloc(((size_t)n + 1) * sizeof *cursor);
  sr_status st = SR_OK;
  if (!f->start || !f->df || !f->idf || !f->field_len || !cursor) {
    st = sr_fail(err, SR_ERR_NOMEM, "forward index: out of memory");
    goto fail;
  }
  for (uint32_t t = 0; t < ix->n_terms; t++) {
    f->df[t] = ix->terms[t].df;
    f->idf[t] = sr_idf(n, ix->terms[t].df);
  }
  for (uint32_t d = 0; d < n; d++)
    for (int k = 0; k < 3; k++) f->field_len[(size_t)d * 3 + k] = ix->entries[d].field_len[k];
  for (int k = 0; k < 3; k++) f->avg_field_len[k] = ix->stats->avg_field_len[k];
  if ((st = walk(ix, false, f->start, NULL, NULL, err)) != SR_OK) goto fail;
  for (uint32_t d = 0; d < n; d++) f->start[d + 1] += f->start[d];
  f->terms = malloc((f->start[n] + 1) * sizeof *f->terms);
  if (!f->terms) {
    st = sr_fail(err, SR_ERR_NOMEM, "forward index: out of memory (%llu postings)", (unsigned long long)f->start[n]);
    goto fail;
  }
  memcpy(cursor, f->start, ((size_t)n + 1) * sizeof *cursor);
  if ((st = walk(ix, true, NULL, cursor, f->terms, err)) != SR_OK) goto fail;
  free(cursor);
  *out = f;
  return SR_OK;
fail:
  free(cursor);
  sr_forward_free(f);
  return st;
}
