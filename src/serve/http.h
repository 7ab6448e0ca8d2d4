/* http.h — the HTTP API (libmicrohttpd): routing, health, Prometheus metrics, and optional
 * embeddings/rerank endpoints backed by the Qwen3 models.
 *
 *   POST /v1/route       {"task": str, "k": int 1..1000 (default 5), "by": "entry"|"pack"}
 *                        → {"results":[{rank, id, name, description, pack?, score} | {rank, pack, tools, score}],
 *                           "timing_ms": {...}, "generation": n}
 *   GET  /healthz        {"status":"ok","entries":n,"generation":n}
 *   GET  /metrics        Prometheus text: requests by endpoint and status, latency histogram, errors,
 *                        time-limit hits, aborted uploads, requests in flight
 *   POST /v1/embeddings  OpenAI shape: {"input": str | [str] (1..256 non-empty), "model"?: str (any; the
 *                        loaded model answers), "encoding_format"?: "float"|"base64" (little-endian f32),
 *                        "dimensions"?: 1..D (Matryoshka cut), "input_type"?: "document"|"query"}
 *                        → {"object":"list","data":[{"object":"embedding","index",embedding}],"model","usage"}
 *   POST /v1/rerank      Cohere/Jina shape: {"query": str, "documents": [str | {"text": str}] (1..1000),
 *                        "top_n"?: int >= 1, "return_documents"?: bool}
 *                        → {"results":[{index, relevance_score (sigmoid), logit, document?}] best first,
 *                           "model", "usage":{"total_tokens"}}
 *   Both model endpoints answer 404 (type "model_not_found") when the server has no such model.
 * The inputs are the same as `skillrouter embed --document/--query` and `skillrouter rerank` (a document
 * written "name | description | body" gets the reranker's caps), truncated to min(4096, model positions)
 * tokens.
 * Errors are JSON {"error":{"message","type","code"}}: 400 malformed JSON / wrong types / invalid
 * UTF-8, 401 missing or wrong API key, 404 unknown path, 405 wrong method (with Allow), 413 body over
 * the limit, 503 type "timeout" when a route/embeddings/rerank request runs past the time limit.
 *
 * Time limit: each POST request has request_time_limit_s from its arrival (the transport's first call;
 * the upload counts). The transport closes a connection whose body is still arriving at the deadline;
 * the handler checks it before starting, while waiting for the model (one model request runs at a time),
 * between the inputs/documents of a model request, and after routing. One forward pass (at most 4096
 * tokens) is not interrupted, so a request ends at most one input's time past its deadline.
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
#include "util/clock.h"
#include "util/status.h"

#define SR_HTTP_MAX_BODY_DEFAULT (1u << 20)

typedef struct sr_http_opts {
  const char *api_key;          /* NULL: no authentication (the key is copied) */
  size_t max_body;              /* 0 = SR_HTTP_MAX_BODY_DEFAULT */
  double request_time_limit_s;  /* POST endpoints answer 503 "timeout" past this (0 = 30 s; see above) */
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
  double received_s;            /* sr_clock_s() when the request began arriving; 0 = at sr_http_handle */
} sr_http_request;

typedef struct sr_http_response {
  int status;
  const char *content_type;     /* static string */
  char *body;                   /* malloc'd; NULL only when memory ran out (then status is 500) */
  size_t body_len;
  bool timed_out;               /* the request ran past the time limit (status 503) */
} sr_http_response;

typedef struct sr_http_handler sr_http_handler;

sr_status sr_http_handler_new(sr_serve_state *state, const sr_http_opts *opts, sr_http_handler **out, sr_error *err);
void sr_http_handler_free(sr_http_handler *h);
size_t sr_http_max_body(const sr_http_handler *h);
double sr_http_time_limit(const sr_http_handler *h);
/* Counts a request the transport dropped (body still arriving at its deadline) in /metrics. */
void sr_http_note_aborted(sr_http_handler *h);

/* Answers one request (never fails; every outcome is an HTTP status) and records it in the metrics. */
void sr_http_handle(sr_http_handler *h, const sr_http_request *req, sr_http_response *resp);
void sr_http_response_free(sr_http_response *resp);

/* The running server. host must be a numeric IPv4/IPv6 address; port 0 picks a free port. threads is
 * the worker pool size (>= 1; each worker answers one request at a time; at most 1024 connections).
 * Idle connections are closed after conn_timeout_s seconds (0 = 30). */
typedef struct sr_http_server sr_http_server;
sr_status sr_http_start(sr_http_handler *h, const char *host, uint16_t port, int threads, unsigned conn_timeout_s,
                        sr_http_server **out, sr_error *err);
uint16_t sr_http_port(const sr_http_server *s);
/* Stops accepting new connections, lets the requests in flight finish and be sent (waiting at most the
 * request time limit + 2 s; responses sent meanwhile carry "Connection: close"), then stops the
 * workers and frees the server. */
void sr_http_stop(sr_http_server *s);

#endif
