/* query_bag.h — a task text as the bag of its distinct analysed terms, resolved against an index:
 * term id (or none), document frequency, idf, count, and the static-encoder row. Shared by the default
 * model's encoder and reranker features, at route time and in training.
 *
 * Ownership: an sr_query_bag owns its arrays and term bytes; sr_query_bag_free releases them. Reuse
 * one bag across queries (sr_query_bag_fill resets it). One bag per thread.
 */
#ifndef SR_ROUTE_QUERY_BAG_H
#define SR_ROUTE_QUERY_BAG_H

#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "route/static_embed.h"
#include "text/analyzer.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/status.h"

typedef struct sr_query_bag {
  sr_qterm *terms;           /* distinct terms in first-occurrence order */
  size_t n, cap;
  sr_buf bytes;              /* term bytes (NUL-separated), offsets in off[] */
  size_t *off;
  size_t cap_off;
  sr_strmap map;             /* term bytes → position in terms (keys point into bytes: rebuilt on fill) */
  size_t total;              /* all term occurrences */
} sr_query_bag;

#define SR_QUERY_BAG_INIT {0}

/* Analyses text[0..len) with `an` (the index's analyzer settings) and resolves each distinct term in
 * ix; `enc` may be NULL (buckets are then 0). Invalid UTF-8 is an SR_ERR_FORMAT error. */
sr_status sr_query_bag_fill(sr_query_bag *b, sr_analyzer *an, const sr_index *ix, const sr_senc *enc,
                            const char *text, size_t len, sr_error *err);
/* Term bytes of the i-th distinct term. */
const char *sr_query_bag_term(const sr_query_bag *b, size_t i);
void sr_query_bag_free(sr_query_bag *b);

#endif
