/* state.h — the index a server routes over, shared by its request handlers, with atomic reload.
 *
 * A server holds one sr_serve_state. Each request leases the current index snapshot together with a
 * searcher (sr_serve_acquire), uses them, and gives them back (sr_serve_release). Searchers are pooled
 * per snapshot, so there are never more of them than requests running at once (one per worker thread).
 *
 * Reload: before a lease, the state may stat() the index path (at most every `check_interval_s`
 * seconds; 0 = on every acquire) and, when the file's inode, device, size or mtime changed, open the
 * new file. On success new leases get the new snapshot; the old one is closed when its last lease is
 * released. On failure the old index stays in service and the error goes to the log callback (the
 * failed file is not retried until it changes again). sr_serve_reload forces the check.
 *
 * Ownership: sr_serve_open returns a state released with sr_serve_close (after every lease has been
 * released). The state copies the path. A lease's `ix` and `searcher` are valid until its release.
 * All functions are thread-safe.
 */
#ifndef SR_SERVE_STATE_H
#define SR_SERVE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "index/index.h"
#include "route/default_route.h"
#include "route/router.h"
#include "util/status.h"

/* Log callback: one line of text, without a newline. Called from any thread; may be NULL. */
typedef void (*sr_serve_log_fn)(void *ctx, const char *line);

typedef struct sr_serve_state sr_serve_state;

typedef struct sr_serve_lease {
  const sr_index *ix;
  sr_searcher *searcher;
  sr_default_router *router;  /* the default model's router, or NULL (lexical routing) */
  uint64_t generation;   /* 1 for the first index, +1 per successful reload */
  void *snap_;           /* private */
} sr_serve_lease;

/* Opens the index at `path` (failure: the index error). log/log_ctx are kept for the state's life. */
sr_status sr_serve_open(const char *path, double check_interval_s, sr_serve_log_fn log, void *log_ctx,
                        sr_serve_state **out, sr_error *err);
void sr_serve_close(sr_serve_state *st);

/* Leases the current snapshot (after a reload check when due) and a searcher for it. */
sr_status sr_serve_acquire(sr_serve_state *st, sr_serve_lease *out, sr_error *err);
void sr_serve_release(sr_serve_state *st, sr_serve_lease *lease);

/* Checks the file now and reopens it if it changed (or always, when `force`). *reloaded (may be
 * NULL) says whether a new index was taken. Returns the open error when the new file is bad (the old
 * index stays in service). */
sr_status sr_serve_reload(sr_serve_state *st, bool force, bool *reloaded, sr_error *err);

/* Routes with the default model from now on, for every snapshot whose index holds its vectors (a
 * reloaded index without them is routed lexically). m is borrowed: keep it alive until close. */
void sr_serve_set_model(sr_serve_state *st, const sr_default_model *m);
bool sr_serve_uses_model(sr_serve_state *st);

/* Ranks entries for `q` through a lease: the default model when the lease has a router, else BM25F.
 * *lexical_top (may be NULL) gets the best BM25F score, on which the MCP no-confident-match rule is
 * calibrated, whichever router ranked. */
sr_status sr_serve_route(const sr_serve_lease *l, const char *q, size_t len, size_t k, sr_result *out, size_t *n,
                         sr_route_timing *t, float *lexical_top, sr_error *err);

/* Current generation and entry count (for health output). */
void sr_serve_info(sr_serve_state *st, uint64_t *generation, uint32_t *entries);

#endif
