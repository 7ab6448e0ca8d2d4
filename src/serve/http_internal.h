/* http_internal.h — shared between the HTTP handler files (private to src/serve). */
#ifndef SR_SERVE_HTTP_INTERNAL_H
#define SR_SERVE_HTTP_INTERNAL_H

#include <cjson/cJSON.h>
#include <pthread.h>

#include "serve/http.h"

#define SR_N_LAT_BUCKETS 14
typedef enum { EP_ROUTE, EP_HEALTHZ, EP_METRICS, EP_EMBED, EP_RERANK, EP_OTHER, EP_COUNT } sr_endpoint;
#define SR_N_STATUS 10

struct sr_http_handler {
  sr_serve_state *state;
  sr_http_opts opts;            /* api_key points at key_copy */
  char *key_copy;
  pthread_mutex_t mu;           /* guards the metrics */
  pthread_mutex_t model_mu;     /* one model request at a time (the model uses all cores itself) */
  unsigned long long count[EP_COUNT][SR_N_STATUS];
  unsigned long long lat_bucket[EP_COUNT][SR_N_LAT_BUCKETS + 1];
  double lat_sum[EP_COUNT];
  unsigned long long lat_n[EP_COUNT];
  unsigned long long timeouts[EP_COUNT];  /* 503 "timeout" answers */
  unsigned long long aborted;             /* connections dropped by the transport mid-upload */
  unsigned long long in_flight;           /* requests inside sr_http_handle now */
};

/* Sets resp to a JSON error {"error":{"message","type","code"}} with HTTP status `status` (the type
 * follows from the status). */
void sr_http_error(sr_http_response *resp, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with an explicit type. */
void sr_http_error_typed(sr_http_response *resp, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sets resp to 503 type "timeout" (timed_out = true): "request time limit (N ms) reached <where>". */
void sr_http_timeout(const sr_http_handler *h, sr_http_response *resp, const char *where);
/* Sets resp to status + the printed JSON of `body` (deleted here). */
void sr_http_json(sr_http_response *resp, int status, cJSON *body);

/* POST /v1/embeddings and /v1/rerank with a parsed JSON object body (see http.h); `deadline` is in
 * sr_clock_s() seconds. */
void sr_http_embeddings(sr_http_handler *h, const cJSON *body, double deadline, sr_http_response *resp);
void sr_http_rerank(sr_http_handler *h, const cJSON *body, double deadline, sr_http_response *resp);

#endif
