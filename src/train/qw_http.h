/* qw_http.h — the query writer's HTTP client (libcurl): POSTs a few JSON bodies to one URL at once.
 * Internal to src/train/ (query_writer.c); not a public API.
 *
 * Contract: sr_qw_post_all sends every reqs[i].body concurrently (libcurl's multi interface, one
 * thread) and fills each request's status, response body and error text. Only http:// and https:// are
 * allowed, redirects are not followed, responses over 4 MiB are cut off with an error. It returns a
 * failure only when the transfers cannot be set up (SR_ERR_NOMEM / SR_ERR_INTERNAL) or *cancel became
 * non-zero (SR_ERR_INTERRUPTED); per-request failures are reported in reqs[i]. The caller has called
 * curl_global_init. Ownership: reqs[i].resp is owned by the request (sr_qw_req_reset frees it). */
#ifndef SR_TRAIN_QW_HTTP_H
#define SR_TRAIN_QW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/status.h"

typedef struct sr_qw_req {
  const char *body;          /* request JSON (borrowed) */
  long status;               /* HTTP status; 0 when no response came */
  sr_buf resp;               /* response body */
  bool timed_out;
  char error[256];           /* why the transfer failed ("" when a response came) */
} sr_qw_req;

sr_status sr_qw_post_all(const char *url, const char *api_key, long timeout_ms, sr_qw_req *reqs, size_t n,
                         volatile int *cancel, sr_error *err);

/* Frees the response and clears the result fields (body is kept). */
void sr_qw_req_reset(sr_qw_req *r);

#endif
