/* http_model.c — POST /v1/embeddings (OpenAI shape) and POST /v1/rerank (Cohere/Jina shape) backed by
 * the Qwen3 models (see http.h). One model request runs at a time (the forward pass uses every core);
 * a request waits for the model at most until its deadline, and the deadline is checked between inputs. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/prompts.h"
#include "serve/http_internal.h"
#include "util/buf.h"
#include "util/clock.h"

#define MAX_INPUTS 256
#define MAX_DOCS 1000

/* The protocol's 4096-token cap, or the model's own position limit when that is smaller (as the CLI). */
static size_t max_tokens(const sr_qwen3 *m) {
  size_t t = SR_QWEN3_MAX_TOKENS;
  if (m->cfg.max_pos > 0 && (size_t)m->cfg.max_pos < t) t = (size_t)m->cfg.max_pos;
  return t;
}

/* Takes the model lock, waiting at most until `deadline`; false on timeout (resp set). */
static bool lock_model(sr_http_handler *h, double deadline, sr_http_response *resp) {
  double left = deadline - sr_clock_s();
  if (left <= 0) return sr_http_timeout(h, resp, "before the model was free"), false;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double ns = (double)ts.tv_nsec + left * 1e9;
  ts.tv_sec += (time_t)(ns / 1e9);
  ts.tv_nsec = (long)fmod(ns, 1e9);
  int rc = pthread_mutex_clocklock(&h->model_mu, CLOCK_MONOTONIC, &ts);
  if (rc == 0) return true;
  if (rc == ETIMEDOUT) sr_http_timeout(h, resp, "while waiting for the model (another request is using it)");
  else sr_http_error(resp, 500, "model lock failed (%d)", rc);
  return false;
}

/* Collects the strings of `v` (a string or an array of strings; with allow_obj, objects {"text":s}
 * too) into out[0..*n) (borrowed). False with a message in msg when the shape is wrong. */
static bool collect_texts(const cJSON *v, bool allow_obj, bool allow_empty, size_t max, const char **out, size_t *n,
                          char *msg, size_t cap) {
  *n = 0;
  if (cJSON_IsString(v)) {
    if (!allow_empty && !v->valuestring[0]) return snprintf(msg, cap, "must not be an empty string"), false;
    out[(*n)++] = v->valuestring;
    return true;
  }
  if (!v) return snprintf(msg, cap, "is required"), false;
  if (!cJSON_IsArray(v)) return snprintf(msg, cap, "want a string or an array of strings"), false;
  if (cJSON_GetArraySize(v) == 0) return snprintf(msg, cap, "must not be an empty array"), false;
  if ((size_t)cJSON_GetArraySize(v) > max) return snprintf(msg, cap, "at most %zu items per request", max), false;
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    const cJSON *s = it;
    if (allow_obj && cJSON_IsObject(it)) s = cJSON_GetObjectItemCaseSensitive(it, "text");
    if (!allow_obj && (cJSON_IsNumber(it) || cJSON_IsArray(it)))
      return snprintf(msg, cap, "holds token ids, which this server does not take (send text)"), false;
    if (!cJSON_IsString(s))
      return snprintf(msg, cap, "item %zu is not a string%s", *n, allow_obj ? " or an object with a \"text\" string" : ""),
             false;
    if (!allow_empty && !s->valuestring[0]) return snprintf(msg, cap, "item %zu is an empty string", *n), false;
    out[(*n)++] = s->valuestring;
  }
  return true;
}

/* Standard base64 of n bytes, appended to b. */
static bool put_base64(sr_buf *b, const unsigned char *p, size_t n) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (!sr_buf_reserve(b, (n + 2) / 3 * 4 + 1)) return false;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    char q[4] = {A[v >> 18 & 63], A[v >> 12 & 63], i + 1 < n ? A[v >> 6 & 63] : '=', i + 2 < n ? A[v & 63] : '='};
    sr_buf_append(b, q, 4);
  }
  return true;
}

/* The embedding e[0..d) as a JSON array of numbers, or as base64 of its little-endian f32 bytes. */
static cJSON *embedding_json(const float *e, size_t d, bool b64) {
  if (!b64) {  /* "%.9g": the shortest form that always reads back as the same f32 */
    cJSON *arr = cJSON_CreateArray();
    char num[32];
    for (size_t k = 0; arr && k < d; k++) {
      snprintf(num, sizeof num, "%.9g", isfinite(e[k]) ? (double)e[k] : 0.0);
      cJSON_AddItemToArray(arr, cJSON_CreateRaw(num));
    }
    return arr;
  }
  unsigned char *bytes = malloc(d * 4 + 1);
  sr_buf b = SR_BUF_INIT;
  cJSON *s = NULL;
  if (bytes) {
    for (size_t k = 0; k < d; k++) {
      uint32_t u;
      memcpy(&u, &e[k], 4);
      for (int j = 0; j < 4; j++) bytes[4 * k + (size_t)j] = (unsigned char)(u >> (8 * j));
    }
    if (put_base64(&b, bytes, d * 4) && sr_buf_putc(&b, 0)) s = cJSON_CreateString(b.data);
  }
  free(bytes);
  sr_buf_free(&b);
  return s;
}

void sr_http_embeddings(sr_http_handler *h, const cJSON *body, double deadline, sr_http_response *resp) {
  assert(h->opts.embed_model && h->opts.embed_tok);
  const char *texts[MAX_INPUTS];
  size_t n;
  char msg[256];
  if (!collect_texts(cJSON_GetObjectItemCaseSensitive(body, "input"), false, false, MAX_INPUTS, texts, &n, msg,
                     sizeof msg)) {
    sr_http_error(resp, 400, "'input' %s", msg);
    return;
  }
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
  const cJSON *dim = cJSON_GetObjectItemCaseSensitive(body, "dimensions");
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(body, "encoding_format");
  const cJSON *itype = cJSON_GetObjectItemCaseSensitive(body, "input_type");
  if (model && !cJSON_IsNull(model) && !cJSON_IsString(model)) {
    sr_http_error(resp, 400, "'model' must be a string");
    return;
  }
  size_t D = (size_t)h->opts.embed_model->cfg.dim, od = D;
  if (dim && !cJSON_IsNull(dim)) {
    if (!cJSON_IsNumber(dim) || dim->valuedouble < 1 || dim->valuedouble > (double)D ||
        dim->valuedouble != floor(dim->valuedouble)) {
      sr_http_error(resp, 400, "'dimensions' must be an integer from 1 to %zu", D);
      return;
    }
    od = (size_t)dim->valuedouble;
  }
  bool b64 = false;
  if (fmt && !cJSON_IsNull(fmt)) {
    if (!cJSON_IsString(fmt) || (strcmp(fmt->valuestring, "float") && strcmp(fmt->valuestring, "base64"))) {
      sr_http_error(resp, 400, "'encoding_format' must be \"float\" or \"base64\"");
      return;
    }
    b64 = !strcmp(fmt->valuestring, "base64");
  }
  bool query = false;
  if (itype && !cJSON_IsNull(itype)) {
    if (!cJSON_IsString(itype) || (strcmp(itype->valuestring, "query") && strcmp(itype->valuestring, "document"))) {
      sr_http_error(resp, 400, "'input_type' must be \"query\" or \"document\"");
      return;
    }
    query = !strcmp(itype->valuestring, "query");
  }
  float *e = malloc(od * sizeof *e);
  cJSON *o = cJSON_CreateObject(), *data = cJSON_AddArrayToObject(o, "data");
  if (!e || !data) {
    free(e);
    cJSON_Delete(o);
    sr_http_error(resp, 500, "out of memory");
    return;
  }
  if (!lock_model(h, deadline, resp)) {
    free(e);
    cJSON_Delete(o);
    return;
  }
  size_t tokens = 0, cap = max_tokens(h->opts.embed_model);
  sr_error err = {0};
  int fail = 0;
  for (size_t i = 0; i < n && !fail; i++) {
    if (sr_clock_s() > deadline) {
      fail = 503;
      snprintf(err.msg, sizeof err.msg, "after %zu of %zu inputs", i, n);
      break;
    }
    char *text = NULL;
    int32_t *ids = NULL;
    size_t nt = 0;
    sr_status st = query ? sr_query_text(NULL, texts[i], SR_QUERY_MAX_CHARS, &text, &err) : SR_OK;
    const char *t = query ? text : texts[i];
    if (!st) st = sr_tokenizer_encode(h->opts.embed_tok, t, strlen(t), &ids, &nt, &err);
    if (!st) st = sr_qwen3_embed_text_ids(h->opts.embed_model, ids, nt, cap, od, e, &err);
    cJSON *d = NULL, *emb = NULL;
    if (st) fail = st == SR_ERR_FORMAT || st == SR_ERR_ARG ? 400 : 500;
    else if (!(d = cJSON_CreateObject()) || !(emb = embedding_json(e, od, b64))) fail = 500, err.msg[0] = 0;
    else {
      tokens += nt + 1 > cap ? cap : nt + 1;
      cJSON_AddStringToObject(d, "object", "embedding");
      cJSON_AddNumberToObject(d, "index", (double)i);
      cJSON_AddItemToObject(d, "embedding", emb);
      cJSON_AddItemToArray(data, d);
      d = NULL;
    }
    cJSON_Delete(d);
    free(text);
    free(ids);
  }
  pthread_mutex_unlock(&h->model_mu);
  free(e);
  if (fail) {
    cJSON_Delete(o);
    if (fail == 503) sr_http_timeout(h, resp, err.msg);
    else sr_http_error(resp, fail, "%s", err.msg[0] ? err.msg : "out of memory");
    return;
  }
  cJSON_AddStringToObject(o, "object", "list");
  cJSON_AddStringToObject(o, "model", h->opts.embed_name ? h->opts.embed_name : "qwen3-embedding");
  cJSON *u = cJSON_AddObjectToObject(o, "usage");
  cJSON_AddNumberToObject(u, "prompt_tokens", (double)tokens);
  cJSON_AddNumberToObject(u, "total_tokens", (double)tokens);
  sr_http_json(resp, 200, o);
}

typedef struct scored {
  size_t index;
  float score, prob;
} scored;

/* By logit descending (the sigmoid saturates to 1.0 where the logits still differ), then input order. */
static int by_score_desc(const void *a, const void *b) {
  const scored *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* The reranker body for one document, as `skillrouter rerank` builds it: a document written
 * "name | description | body" gets the description/body caps of the protocol; any other is used whole. */
static sr_status doc_body(const char *query, const char *doc, sr_buf *out, sr_error *err) {
  const char *s1 = strstr(doc, " | ");
  const char *s2 = s1 ? strstr(s1 + 3, " | ") : NULL;
  if (!s2)
    return sr_buf_printf(out, "<Instruct>: %s\n\n<Query>: %s\n\n<Document>: %s", SR_RERANK_INSTRUCTION, query, doc)
               ? SR_OK
               : sr_fail(err, SR_ERR_NOMEM, "out of memory");
  char *name = strndup(doc, (size_t)(s1 - doc)), *desc = strndup(s1 + 3, (size_t)(s2 - s1 - 3)), *text = NULL;
  sr_status st = name && desc ? sr_rerank_body_text(NULL, query, name, desc, s2 + 3, SR_RERANK_DESC_CHARS,
                                                    SR_RERANK_BODY_CHARS, &text, err)
                              : sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (!st && !sr_buf_puts(out, text)) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  free(name);
  free(desc);
  free(text);
  return st;
}

void sr_http_rerank(sr_http_handler *h, const cJSON *body, double deadline, sr_http_response *resp) {
  assert(h->opts.rerank_model && h->opts.rerank_tok);
  const cJSON *q = cJSON_GetObjectItemCaseSensitive(body, "query");
  const cJSON *tn = cJSON_GetObjectItemCaseSensitive(body, "top_n");
  const cJSON *rd = cJSON_GetObjectItemCaseSensitive(body, "return_documents");
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
  if (!cJSON_IsString(q) || !q->valuestring[0]) {
    sr_http_error(resp, 400, "'query' is required and must be a non-empty string");
    return;
  }
  if (model && !cJSON_IsNull(model) && !cJSON_IsString(model)) {
    sr_http_error(resp, 400, "'model' must be a string");
    return;
  }
  if (rd && !cJSON_IsNull(rd) && !cJSON_IsBool(rd)) {
    sr_http_error(resp, 400, "'return_documents' must be true or false");
    return;
  }
  const cJSON *docs_v = cJSON_GetObjectItemCaseSensitive(body, "documents");
  char msg[256];
  if (!cJSON_IsArray(docs_v)) {
    sr_http_error(resp, 400, "'documents' %s", docs_v ? "must be an array of strings" : "is required");
    return;
  }
  const char **docs = malloc(MAX_DOCS * sizeof *docs);
  scored *sc = malloc(MAX_DOCS * sizeof *sc);
  size_t n = 0;
  if (!docs || !sc) {
    free(docs), free(sc);
    sr_http_error(resp, 500, "out of memory");
    return;
  }
  if (!collect_texts(docs_v, true, true, MAX_DOCS, docs, &n, msg, sizeof msg)) {
    free(docs), free(sc);
    sr_http_error(resp, 400, "'documents' %s", msg);
    return;
  }
  size_t top = n;
  if (tn && !cJSON_IsNull(tn)) {
    if (!cJSON_IsNumber(tn) || tn->valuedouble < 1 || tn->valuedouble != floor(tn->valuedouble)) {
      free(docs), free(sc);
      sr_http_error(resp, 400, "'top_n' must be a positive integer");
      return;
    }
    if (tn->valuedouble < (double)n) top = (size_t)tn->valuedouble;
  }
  bool ret_docs = cJSON_IsTrue(rd);
  if (!lock_model(h, deadline, resp)) {
    free(docs), free(sc);
    return;
  }
  sr_error err = {0};
  int fail = 0;
  int32_t *pre = NULL, *suf = NULL;
  size_t np = 0, ns = 0, tokens = 0, cap = max_tokens(h->opts.rerank_model);
  if (sr_tokenizer_encode(h->opts.rerank_tok, SR_RERANK_PREFIX, strlen(SR_RERANK_PREFIX), &pre, &np, &err) ||
      sr_tokenizer_encode(h->opts.rerank_tok, SR_RERANK_SUFFIX, strlen(SR_RERANK_SUFFIX), &suf, &ns, &err))
    fail = 500;
  for (size_t d = 0; d < n && !fail; d++) {
    if (sr_clock_s() > deadline) {
      fail = 503;
      snprintf(err.msg, sizeof err.msg, "after %zu of %zu documents", d, n);
      break;
    }
    sr_buf b = SR_BUF_INIT;
    int32_t *ids = NULL;
    size_t nt = 0;
    sr_status st = doc_body(q->valuestring, docs[d], &b, &err);
    if (!st) st = sr_tokenizer_encode(h->opts.rerank_tok, b.data, b.len, &ids, &nt, &err);
    if (!st) st = sr_qwen3_rerank(h->opts.rerank_model, pre, np, ids, nt, suf, ns, cap, &sc[d].score, &sc[d].prob, &err);
    if (st) fail = st == SR_ERR_FORMAT || st == SR_ERR_ARG ? 400 : 500;
    tokens += np + nt + ns > cap ? cap : np + nt + ns;
    sc[d].index = d;
    free(ids);
    sr_buf_free(&b);
  }
  pthread_mutex_unlock(&h->model_mu);
  free(pre);
  free(suf);
  if (fail) {
    free(docs), free(sc);
    if (fail == 503) sr_http_timeout(h, resp, err.msg);
    else sr_http_error(resp, fail, "%s", err.msg[0] ? err.msg : "out of memory");
    return;
  }
  qsort(sc, n, sizeof *sc, by_score_desc);
  cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "results");
  for (size_t i = 0; i < top; i++) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "index", (double)sc[i].index);
    cJSON_AddNumberToObject(r, "relevance_score", sc[i].prob);
    cJSON_AddNumberToObject(r, "logit", sc[i].score);
    if (ret_docs) {
      cJSON *dd = cJSON_AddObjectToObject(r, "document");
      cJSON_AddStringToObject(dd, "text", docs[sc[i].index]);
    }
    cJSON_AddItemToArray(arr, r);
  }
  cJSON_AddStringToObject(o, "model", h->opts.rerank_name ? h->opts.rerank_name : "qwen3-reranker");
  cJSON *u = cJSON_AddObjectToObject(o, "usage");
  cJSON_AddNumberToObject(u, "total_tokens", (double)tokens);
  free(docs), free(sc);
  sr_http_json(resp, 200, o);
}
