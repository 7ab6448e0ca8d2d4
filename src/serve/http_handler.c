/* http_handler.c — the HTTP request handler as a pure function, with its metrics (see http.h). */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/http_internal.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/utf8.h"

#define ROUTE_K_MAX 1000

static const int STATUSES[SR_N_STATUS] = {200, 400, 401, 404, 405, 413, 500, 501, 503, 0 /* other */};
static const double LAT_BOUNDS[SR_N_LAT_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                    0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
static const char *const EP_NAMES[EP_COUNT] = {"/v1/route", "/healthz", "/metrics", "/v1/embeddings", "/v1/rerank", "other"};

sr_status sr_http_handler_new(sr_serve_state *state, const sr_http_opts *opts, sr_http_handler **out, sr_error *err) {
  assert(state && out);
  *out = NULL;
  sr_http_handler *h = calloc(1, sizeof *h);
  if (!h) return sr_fail(err, SR_ERR_NOMEM, "http: out of memory");
  if (opts) h->opts = *opts;
  if (h->opts.api_key && !(h->key_copy = strdup(h->opts.api_key))) {
    free(h);
    return sr_fail(err, SR_ERR_NOMEM, "http: out of memory");
  }
  h->opts.api_key = h->key_copy;
  if (!h->opts.max_body) h->opts.max_body = SR_HTTP_MAX_BODY_DEFAULT;
  if (!(h->opts.request_time_limit_s > 0)) h->opts.request_time_limit_s = 30;
  if (!h->opts.embed_model || !h->opts.embed_tok) h->opts.embed_model = NULL, h->opts.embed_tok = NULL;
  if (!h->opts.rerank_model || !h->opts.rerank_tok) h->opts.rerank_model = NULL, h->opts.rerank_tok = NULL;
  h->state = state;
  pthread_mutex_init(&h->mu, NULL);
  pthread_mutex_init(&h->model_mu, NULL);
  *out = h;
  return SR_OK;
}

void sr_http_handler_free(sr_http_handler *h) {
  if (!h) return;
  pthread_mutex_destroy(&h->mu);
  pthread_mutex_destroy(&h->model_mu);
  free(h->key_copy);
  free(h);
}

size_t sr_http_max_body(const sr_http_handler *h) { return h->opts.max_body; }
double sr_http_time_limit(const sr_http_handler *h) { return h->opts.request_time_limit_s; }

void sr_http_note_aborted(sr_http_handler *h) {
  pthread_mutex_lock(&h->mu);
  h->aborted++;
  pthread_mutex_unlock(&h->mu);
}

void sr_http_response_free(sr_http_response *resp) {
  if (!resp) return;
  free(resp->body);
  memset(resp, 0, sizeof *resp);
}

void sr_http_json(sr_http_response *resp, int status, cJSON *body) {
  char *text = body ? cJSON_PrintUnformatted(body) : NULL;
  cJSON_Delete(body);
  resp->content_type = "application/json";
  resp->status = text ? status : 500;
  resp->body = text;
  resp->body_len = text ? strlen(text) : 0;
}

static const char *error_type(int status) {
  switch (status) {
  case 400: return "invalid_request";
  case 401: return "unauthorized";
  case 404: return "not_found";
  case 405: return "method_not_allowed";
  case 413: return "payload_too_large";
  case 501: return "not_implemented";
  case 503: return "unavailable";
  default: return "internal_error";
  }
}

static void verror(sr_http_response *resp, int status, const char *type, const char *fmt, va_list ap) {
  char msg[SR_ERROR_MSG_MAX];
  vsnprintf(msg, sizeof msg, fmt, ap);
  cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
  cJSON_AddStringToObject(e, "message", msg);
  cJSON_AddStringToObject(e, "type", type);
  cJSON_AddNumberToObject(e, "code", status);
  sr_http_json(resp, status, o);
}

void sr_http_error(sr_http_response *resp, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verror(resp, status, error_type(status), fmt, ap);
  va_end(ap);
}

void sr_http_error_typed(sr_http_response *resp, int status, const char *type, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verror(resp, status, type, fmt, ap);
  va_end(ap);
}

void sr_http_timeout(const sr_http_handler *h, sr_http_response *resp, const char *where) {
  sr_http_error_typed(resp, 503, "timeout", "request time limit (%.0f ms) reached %s",
                      h->opts.request_time_limit_s * 1e3, where);
  resp->timed_out = true;
}

/* Constant-time check of "Bearer <key>". */
static bool auth_ok(const sr_http_handler *h, const char *header) {
  if (!h->opts.api_key) return true;
  if (!header || strncmp(header, "Bearer ", 7) != 0) return false;
  const char *got = header + 7, *want = h->opts.api_key;
  size_t gl = strlen(got), wl = strlen(want);
  unsigned char diff = gl != wl;
  for (size_t i = 0; i < wl; i++) diff |= (unsigned char)(want[i] ^ (i < gl ? got[i] : 0));
  return diff == 0;
}

/* POST /v1/route. */
static void do_route(sr_http_handler *h, const cJSON *body, double deadline, sr_http_response *resp) {
  const cJSON *task = cJSON_GetObjectItemCaseSensitive(body, "task");
  const cJSON *kv = cJSON_GetObjectItemCaseSensitive(body, "k");
  const cJSON *by = cJSON_GetObjectItemCaseSensitive(body, "by");
  if (!cJSON_IsString(task) || !task->valuestring[0])
    { sr_http_error(resp, 400, "'task' is required and must be a non-empty string"); return; }
  size_t k = 5;
  if (kv && !cJSON_IsNull(kv)) {
    if (!cJSON_IsNumber(kv) || kv->valuedouble != (double)(long long)kv->valuedouble || kv->valuedouble < 1 ||
        kv->valuedouble > ROUTE_K_MAX)
      { sr_http_error(resp, 400, "'k' must be an integer from 1 to %d", ROUTE_K_MAX); return; }
    k = (size_t)kv->valuedouble;
  }
  bool packs = false;
  if (by && !cJSON_IsNull(by)) {
    if (!cJSON_IsString(by) || (strcmp(by->valuestring, "entry") && strcmp(by->valuestring, "pack")))
      { sr_http_error(resp, 400, "'by' must be \"entry\" or \"pack\""); return; }
    packs = !strcmp(by->valuestring, "pack");
  }
  double t0 = sr_clock_s();
  if (t0 > deadline) { sr_http_timeout(h, resp, "before routing started"); return; }
  sr_serve_lease l;
  sr_error err;
  if (sr_serve_acquire(h->state, &l, &err) != SR_OK) { sr_http_error(resp, 500, "%s", err.msg); return; }
  sr_result *res = malloc(k * sizeof *res);
  if (!res) {
    sr_serve_release(h->state, &l);
    { sr_http_error(resp, 500, "out of memory"); return; }
  }
  sr_route_opts ro = {.k = k, .by = packs ? SR_BY_PACK : SR_BY_ENTRY, .bm25f = NULL};
  size_t n = 0;
  sr_route_timing t;
  sr_status st = packs ? sr_route(l.searcher, task->valuestring, strlen(task->valuestring), &ro, res, &n, &t, &err)
                       : sr_serve_route(&l, task->valuestring, strlen(task->valuestring), k, res, &n, &t, NULL, &err);
  if (st != SR_OK || sr_clock_s() > deadline) {
    free(res);
    sr_serve_release(h->state, &l);
    if (st != SR_OK) sr_http_error(resp, st == SR_ERR_FORMAT ? 400 : 500, "%s", err.msg);
    else sr_http_timeout(h, resp, "while routing");
    return;
  }
  cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "results");
  for (size_t i = 0; i < n; i++) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "rank", (double)(i + 1));
    if (packs) {
      cJSON_AddStringToObject(r, "pack", sr_index_pack_name(l.ix, res[i].id));
      cJSON *tools = cJSON_AddArrayToObject(r, "tools");
      const uint32_t *docs;
      uint32_t m = sr_index_pack_entries(l.ix, res[i].id, &docs);
      for (uint32_t j = 0; j < m; j++) {
        sr_entry_view v;
        sr_index_entry(l.ix, docs[j], &v);
        cJSON_AddItemToArray(tools, cJSON_CreateString(v.id));
      }
    } else {
      sr_entry_view v;
      sr_index_entry(l.ix, res[i].id, &v);
      cJSON_AddStringToObject(r, "id", v.id);
      cJSON_AddStringToObject(r, "name", v.name);
      cJSON_AddStringToObject(r, "description", v.description);
      cJSON_AddStringToObject(r, "kind", v.kind == SR_KIND_TOOL ? "tool" : "skill");
      if (v.pack) cJSON_AddStringToObject(r, "pack", v.pack);
    }
    cJSON_AddNumberToObject(r, "score", (double)(long long)(res[i].score * 1e4f + 0.5f) / 1e4);
    cJSON_AddItemToArray(arr, r);
  }
  cJSON *tm = cJSON_AddObjectToObject(o, "timing_ms");
  cJSON_AddNumberToObject(tm, "analyze", t.analyze_ms);
  cJSON_AddNumberToObject(tm, "score", t.score_ms);
  cJSON_AddNumberToObject(tm, "select", t.select_ms);
  cJSON_AddNumberToObject(tm, "route", t.total_ms);
  cJSON_AddNumberToObject(tm, "total", (sr_clock_s() - t0) * 1e3);
  cJSON_AddNumberToObject(o, "generation", (double)l.generation);
  cJSON_AddStringToObject(o, "router", l.router && !packs ? "default-model" : "lexical");
  free(res);
  sr_serve_release(h->state, &l);
  sr_http_json(resp, 200, o);
}

/* GET /metrics: Prometheus text exposition. */
static void do_metrics(sr_http_handler *h, sr_http_response *resp) {
  sr_buf b = SR_BUF_INIT;
  uint64_t gen;
  uint32_t entries;
  sr_serve_info(h->state, &gen, &entries);
  pthread_mutex_lock(&h->mu);
  sr_buf_puts(&b, "# HELP skillrouter_http_requests_total HTTP requests by endpoint and status.\n"
                  "# TYPE skillrouter_http_requests_total counter\n");
  for (int e = 0; e < EP_COUNT; e++)
    for (int s = 0; s < SR_N_STATUS; s++)
      if (h->count[e][s])
        sr_buf_printf(&b, "skillrouter_http_requests_total{endpoint=\"%s\",status=\"%s%d\"} %llu\n", EP_NAMES[e],
                      STATUSES[s] ? "" : "other", STATUSES[s] ? STATUSES[s] : 0, h->count[e][s]);
  sr_buf_puts(&b, "# HELP skillrouter_http_errors_total HTTP responses with status >= 400 by endpoint.\n"
                  "# TYPE skillrouter_http_errors_total counter\n");
  for (int e = 0; e < EP_COUNT; e++) {
    unsigned long long n = 0;
    for (int s = 1; s < SR_N_STATUS; s++) n += h->count[e][s];
    sr_buf_printf(&b, "skillrouter_http_errors_total{endpoint=\"%s\"} %llu\n", EP_NAMES[e], n);
  }
  sr_buf_puts(&b, "# HELP skillrouter_http_request_duration_seconds Time spent handling requests.\n"
                  "# TYPE skillrouter_http_request_duration_seconds histogram\n");
  for (int e = 0; e < EP_COUNT; e++) {
    if (!h->lat_n[e]) continue;
    unsigned long long cum = 0;
    for (int i = 0; i <= SR_N_LAT_BUCKETS; i++) {
      cum += h->lat_bucket[e][i];
      if (i < SR_N_LAT_BUCKETS)
        sr_buf_printf(&b, "skillrouter_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                      EP_NAMES[e], LAT_BOUNDS[i], cum);
      else
        sr_buf_printf(&b, "skillrouter_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                      EP_NAMES[e], cum);
    }
    sr_buf_printf(&b, "skillrouter_http_request_duration_seconds_sum{endpoint=\"%s\"} %.9g\n", EP_NAMES[e], h->lat_sum[e]);
    sr_buf_printf(&b, "skillrouter_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n", EP_NAMES[e], h->lat_n[e]);
  }
  sr_buf_puts(&b, "# HELP skillrouter_http_timeouts_total Requests answered 503 because they ran past the time limit.\n"
                  "# TYPE skillrouter_http_timeouts_total counter\n");
  for (int e = 0; e < EP_COUNT; e++)
    if (e == EP_ROUTE || e == EP_EMBED || e == EP_RERANK)
      sr_buf_printf(&b, "skillrouter_http_timeouts_total{endpoint=\"%s\"} %llu\n", EP_NAMES[e], h->timeouts[e]);
  sr_buf_printf(&b, "# HELP skillrouter_http_aborted_uploads_total Connections closed because the body was still "
                    "arriving at the time limit.\n# TYPE skillrouter_http_aborted_uploads_total counter\n"
                    "skillrouter_http_aborted_uploads_total %llu\n"
                    "# HELP skillrouter_http_requests_in_flight Requests being handled (this one included).\n"
                    "# TYPE skillrouter_http_requests_in_flight gauge\nskillrouter_http_requests_in_flight %llu\n",
                h->aborted, h->in_flight);
  pthread_mutex_unlock(&h->mu);
  sr_buf_printf(&b, "# HELP skillrouter_index_entries Entries in the index being served.\n"
                    "# TYPE skillrouter_index_entries gauge\nskillrouter_index_entries %u\n"
                    "# HELP skillrouter_index_generation Index reloads + 1.\n"
                    "# TYPE skillrouter_index_generation gauge\nskillrouter_index_generation %llu\n",
                entries, (unsigned long long)gen);
  resp->status = b.data ? 200 : 500;
  resp->content_type = "text/plain; version=0.0.4";
  resp->body_len = b.len;
  resp->body = b.data;
}

/* Records one finished request in the metrics. */
static void record(sr_http_handler *h, sr_endpoint ep, int status, bool timed_out, double secs) {
  int s = SR_N_STATUS - 1;
  for (int i = 0; i < SR_N_STATUS - 1; i++)
    if (STATUSES[i] == status) s = i;
  int b = SR_N_LAT_BUCKETS;
  for (int i = 0; i < SR_N_LAT_BUCKETS; i++)
    if (secs <= LAT_BOUNDS[i]) { b = i; break; }
  pthread_mutex_lock(&h->mu);
  h->count[ep][s]++;
  h->lat_bucket[ep][b]++;
  h->lat_sum[ep] += secs;
  h->lat_n[ep]++;
  h->timeouts[ep] += timed_out;
  h->in_flight--;
  pthread_mutex_unlock(&h->mu);
}

/* Parses a JSON object body; on failure sets a 400 response and returns NULL. */
static cJSON *parse_body(const sr_http_request *req, sr_http_response *resp) {
  if (!req->body_len) return sr_http_error(resp, 400, "request body is empty (want a JSON object)"), NULL;
  size_t bad;
  if (!sr_utf8_valid(req->body, req->body_len, &bad))
    return sr_http_error(resp, 400, "request body is not valid UTF-8 (byte %zu)", bad), NULL;
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, false);
  if (j) {
    while (end < req->body + req->body_len && strchr(" \t\r\n", *end)) end++;
    if (end != req->body + req->body_len) cJSON_Delete(j), j = NULL;
  }
  if (!j) return sr_http_error(resp, 400, "malformed JSON"), NULL;
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return sr_http_error(resp, 400, "request body must be a JSON object"), NULL;
  }
  return j;
}

void sr_http_handle(sr_http_handler *h, const sr_http_request *req, sr_http_response *resp) {
  assert(h && req && resp && req->method && req->path);
  double t0 = sr_clock_s();
  double deadline = (req->received_s > 0 ? req->received_s : t0) + h->opts.request_time_limit_s;
  memset(resp, 0, sizeof *resp);
  pthread_mutex_lock(&h->mu);
  h->in_flight++;
  pthread_mutex_unlock(&h->mu);
  const char *p = req->path, *m = req->method;
  sr_endpoint ep = !strcmp(p, "/v1/route")        ? EP_ROUTE
                   : !strcmp(p, "/healthz")        ? EP_HEALTHZ
                   : !strcmp(p, "/metrics")        ? EP_METRICS
                   : !strcmp(p, "/v1/embeddings")  ? EP_EMBED
                   : !strcmp(p, "/v1/rerank")      ? EP_RERANK
                                                    : EP_OTHER;
  bool post = ep == EP_ROUTE || ep == EP_EMBED || ep == EP_RERANK;
  if (ep == EP_OTHER) {
    sr_http_error(resp, 404, "no such endpoint (see /v1/route, /v1/embeddings, /v1/rerank, /healthz, /metrics)");
  } else if (strcmp(m, post ? "POST" : "GET") != 0) {
    sr_http_error(resp, 405, "use %s for this endpoint", post ? "POST" : "GET");
  } else if (ep != EP_HEALTHZ && !auth_ok(h, req->authorization)) {
    sr_http_error(resp, 401, "missing or wrong API key (send 'Authorization: Bearer KEY')");
  } else if (ep == EP_HEALTHZ) {
    uint64_t gen;
    uint32_t entries;
    sr_serve_info(h->state, &gen, &entries);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddNumberToObject(o, "entries", entries);
    cJSON_AddNumberToObject(o, "generation", (double)gen);
    sr_http_json(resp, 200, o);
  } else if (ep == EP_METRICS) {
    do_metrics(h, resp);
  } else if (req->body_too_large || req->body_len > h->opts.max_body) {
    sr_http_error(resp, 413, "request body over the %zu-byte limit", h->opts.max_body);
  } else if ((ep == EP_EMBED && !h->opts.embed_model) || (ep == EP_RERANK && !h->opts.rerank_model)) {
    sr_http_error_typed(resp, 404, "model_not_found", "this server has no %s model loaded (start it with %s DIR)",
                        ep == EP_EMBED ? "embedding" : "reranker", ep == EP_EMBED ? "--embed-model" : "--rerank-model");
  } else {
    cJSON *body = parse_body(req, resp);
    if (body) {
      if (ep == EP_ROUTE) do_route(h, body, deadline, resp);
      else if (ep == EP_EMBED) sr_http_embeddings(h, body, deadline, resp);
      else sr_http_rerank(h, body, deadline, resp);
      cJSON_Delete(body);
    }
  }
  if (!resp->body) resp->status = 500, resp->content_type = "application/json";
  record(h, ep, resp->status, resp->timed_out, sr_clock_s() - t0);
}
