/* router.h — ranks an index's entries for a task text.
 *
 * Ownership: an sr_searcher borrows its sr_index (the caller keeps the index open while the searcher
 * lives) and owns its scratch memory; sr_searcher_free releases it. A searcher is used by one thread at
 * a time; create one per thread to route concurrently over one shared index.
 */
#ifndef SR_ROUTER_H
#define SR_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "util/status.h"

/* BM25F parameters; fields are 0 = name, 1 = description, 2 = body. */
typedef struct sr_bm25f_params {
  float k1;
  float weight[3];
  float b[3];
  float max_df_ratio;  /* query terms in more than this fraction of entries are skipped (1 = keep all) */
  float qtf_k3;        /* query-term repeats: weight (k3+1)·qtf/(k3+qtf); 0 = each term counts once */
} sr_bm25f_params;

/* The tuned defaults (see BENCHMARKS.md for how they were chosen). */
sr_bm25f_params sr_bm25f_defaults(void);

typedef enum sr_route_by { SR_BY_ENTRY = 0, SR_BY_PACK = 1 } sr_route_by;

typedef struct sr_route_opts {
  size_t k;                 /* results wanted */
  sr_route_by by;           /* SR_BY_PACK: score packs (best member score), results are packs */
  const sr_bm25f_params *bm25f;  /* NULL = defaults */
} sr_route_opts;

typedef struct sr_result {
  uint32_t id;              /* entry (doc) number, or pack number when by == SR_BY_PACK */
  float score;
} sr_result;

typedef struct sr_route_timing {
  double analyze_ms, score_ms, select_ms, total_ms;
} sr_route_timing;

typedef struct sr_searcher sr_searcher;

sr_status sr_searcher_new(const sr_index *ix, sr_searcher **out, sr_error *err);
void sr_searcher_free(sr_searcher *s);

/* Ranks for `query` (UTF-8, query_len bytes; invalid UTF-8 is an SR_ERR_FORMAT error). Writes up to
 * opts->k results, best first (ties broken by lower id), into `out` (capacity opts->k) and their number
 * into *n_out. An entry with no matching term is never returned. `timing` may be NULL. */
sr_status sr_route(sr_searcher *s, const char *query, size_t query_len, const sr_route_opts *opts,
                   sr_result *out, size_t *n_out, sr_route_timing *timing, sr_error *err);

#endif
