/* http.h — the HTTP API (libmicrohttpd): routing, health, Prometheus metrics, and optional
 * embeddings/rerank endpoints backed by the Qwen3 models.
 *
 *   POST /v1/route       {"task": str, "k": int 1..1000 (default 5), "by": "entry"|"pack"}
 *                        → {"results":[{rank, id, name, description, pack?, score} | {rank, pack, tools, score}],
 *                           "timing_ms": {...}, "generation": n}
 *   GET  /healthz        {"status":"ok","entries":n,"generation":n}
 *   GET  /metrics        Prometheus text: requests by endpoint and status, latency histogram, errors
 *   POST /v1/embeddings  OpenAI shape (only with an embedding model; else 501)
 *   POST /v1/rerank      Cohere/Jina shape (only with a reranker model; else 501)
 * Errors are JSON {"error":{"message","type","code"}}: 400 malformed JSON / wrong types / invalid
 * UTF-8, 401 missing or wrong API key, 404 unknown path, 405 wrong method, 413 body over the limit.
 *
 * The request handler (sr_http_handle) is a pure function of its request (no sockets), so it is unit
 * tested and fuzzed directly; sr_http_start runs it in an MHD thread pool.
 *
 * Ownership: the handler borrows the state and the models (the caller keeps them alive until
 * sr_http_handler_free); the server borrows the handler (alive until sr_http_stop). Response bodies are
 * malloc'd and owned by the response (sr_http_response_free). The handler is thread-safe.
 */
#ifndef SR_SERVE_HTTP_H
#define SR_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/qwen3.h"
#include "model/tokenizer.h"
#include "serve/state.h"
#include "util/status.h"

#define SR_HTTP_MAX_BODY_DEFAULT (1u << 20)

typedef struct sr_http_opts {
  const char *api_key;          /* NULL: no authentication (the key is copied) */
  size_t max_body;              /* 0 = SR_HTTP_MAX_BODY_DEFAULT */
  double request_time_limit_s;  /* model endpoints stop with 503 after this (0 = 30 s) */
  const sr_qwen3 *embed_model;  /* both or neither: enables /v1/embeddings */
  const sr_tokenizer *embed_tok;
  const sr_qwen3 *rerank_model; /* both or neither: enables /v1/rerank */
  const sr_tokenizer *rerank_tok;
  const char *embed_name, *rerank_name;  /* model names echoed in responses (may be NULL) */
} sr_http_opts;

typedef struct sr_http_request {
  const char *method;           /* "GET", "POST", ... */
  const char *path;             /* without the query string */
  const char *authorization;    /* the Authorization header, or NULL */
  const char *body;             /* may be NULL when body_len == 0 */
  size_t body_len;
  bool body_too_large;          /* the transport stopped reading at max_body (→ 413) */
} sr_http_request;

typedef struct sr_http_response {
  int status;
  const char *content_type;     /* static string */
  char *body;                   /* malloc'd; NULL only when memory ran out (then status is 500) */
  size_t body_len;
} sr_http_response;

typedef struct sr_http_handler sr_http_handler;

sr_status sr_http_handler_new(sr_serve_state *state, const sr_http_opts *opts, sr_http_handler **out, sr_error *err);
void sr_http_handler_free(sr_http_handler *h);
size_t sr_http_max_body(const sr_http_handler *h);

/* Answers one request (never fails; every outcome is an HTTP status) and records it in the metrics. */
void sr_http_handle(sr_http_handler *h, const sr_http_request *req, sr_http_response *resp);
void sr_http_response_free(sr_http_response *resp);

/* The running server. host must be a numeric IPv4/IPv6 address; port 0 picks a free port. threads is
 * the worker pool size (>= 1). Idle connections are closed after conn_timeout_s seconds. */
typedef struct sr_http_server sr_http_server;
sr_status sr_http_start(sr_http_handler *h, const char *host, uint16_t port, int threads, unsigned conn_timeout_s,
                        sr_http_server **out, sr_error *err);
uint16_t sr_http_port(const sr_http_server *s);
/* Stops accepting, finishes running requests, joins the workers and frees the server. */
void sr_http_stop(sr_http_server *s);

#endif
