/* http_model.c — POST /v1/embeddings (OpenAI shape) and POST /v1/rerank (Cohere/Jina shape) backed by
 * the Qwen3 models (see http.h). One model request runs at a time (the forward pass uses every core). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/prompts.h"
#include "serve/http_internal.h"
#include "util/buf.h"

#define MAX_INPUTS 256
#define MAX_DOCS 1000

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Collects the strings of `v` (a string or an array of strings; with allow_obj, objects {"text":s}
 * too) into out[0..*n) (borrowed). False with a message in msg when the shape is wrong. */
static bool collect_texts(const cJSON *v, bool allow_obj, size_t max, const char **out, size_t *n, char *msg, size_t cap) {
  *n = 0;
  if (cJSON_IsString(v)) {
    out[(*n)++] = v->valuestring;
    return true;
  }
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) return snprintf(msg, cap, "want a string or a non-empty array of strings"), false;
  if ((size_t)cJSON_GetArraySize(v) > max) return snprintf(msg, cap, "at most %zu items per request", max), false;
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    const cJSON *s = it;
    if (allow_obj && cJSON_IsObject(it)) s = cJSON_GetObjectItemCaseSensitive(it, "text");
    if (!cJSON_IsString(s)) return snprintf(msg, cap, "item %zu is not a string", *n), false;
    out[(*n)++] = s->valuestring;
  }
  return true;
}

void sr_http_embeddings(sr_http_handler *h, const cJSON *body, sr_http_response *resp) {
  assert(h->opts.embed_model && h->opts.embed_tok);
  const char *texts[MAX_INPUTS];
  size_t n;
  char msg[256];
  if (!collect_texts(cJSON_GetObjectItemCaseSensitive(body, "input"), false, MAX_INPUTS, texts, &n, msg, sizeof msg)) {
    sr_http_error(resp, 400, "'input': %s", msg);
    return;
  }
  const cJSON *dim = cJSON_GetObjectItemCaseSensitive(body, "dimensions");
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(body, "encoding_format");
  const cJSON *itype = cJSON_GetObjectItemCaseSensitive(body, "input_type");
  size_t D = (size_t)h->opts.embed_model->cfg.dim, od = D;
  if (dim && !cJSON_IsNull(dim)) {
    if (!cJSON_IsNumber(dim) || dim->valuedouble < 1 || dim->valuedouble > (double)D ||
        dim->valuedouble != floor(dim->valuedouble)) {
      sr_http_error(resp, 400, "'dimensions' must be an integer from 1 to %zu", D);
      return;
    }
    od = (size_t)dim->valuedouble;
  }
  if (fmt && !cJSON_IsNull(fmt) && (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "float"))) {
    sr_http_error(resp, 400, "'encoding_format' must be \"float\"");
    return;
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
  size_t tokens = 0;
  double t0 = now_s();
  sr_error err = {0};
  int fail = e ? 0 : 500;
  pthread_mutex_lock(&h->model_mu);
  for (size_t i = 0; i < n && !fail; i++) {
    if (now_s() - t0 > h->opts.request_time_limit_s) {
      fail = 503;
      snprintf(err.msg, sizeof err.msg, "request time limit (%g s) reached after %zu inputs", h->opts.request_time_limit_s, i);
      break;
    }
    char *text = NULL;
    int32_t *ids = NULL;
    size_t nt = 0;
    sr_status st = query ? sr_query_text(NULL, texts[i], SR_QUERY_MAX_CHARS, &text, &err) : SR_OK;
    const char *t = query ? text : texts[i];
    if (!st) st = sr_tokenizer_encode(h->opts.embed_tok, t, strlen(t), &ids, &nt, &err);
    if (!st) st = sr_qwen3_embed_text_ids(h->opts.embed_model, ids, nt, SR_QWEN3_MAX_TOKENS, od, e, &err);
    if (st) fail = st == SR_ERR_FORMAT || st == SR_ERR_ARG ? 400 : 500;
    else {
      tokens += nt + 1 > SR_QWEN3_MAX_TOKENS ? SR_QWEN3_MAX_TOKENS : nt + 1;
      cJSON *d = cJSON_CreateObject();
      cJSON_AddStringToObject(d, "object", "embedding");
      cJSON_AddNumberToObject(d, "index", (double)i);
      cJSON *arr = cJSON_AddArrayToObject(d, "embedding");
      for (size_t k = 0; k < od; k++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(e[k]));
      cJSON_AddItemToArray(data, d);
    }
    free(text);
    free(ids);
  }
  pthread_mutex_unlock(&h->model_mu);
  free(e);
  if (fail) {
    cJSON_Delete(o);
    sr_http_error(resp, fail, "%s", err.msg[0] ? err.msg : "out of memory");
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
  float prob;
} scored;

static int by_prob_desc(const void *a, const void *b) {
  const scored *x = a, *y = b;
  if (x->prob != y->prob) return x->prob > y->prob ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

void sr_http_rerank(sr_http_handler *h, const cJSON *body, sr_http_response *resp) {
  assert(h->opts.rerank_model && h->opts.rerank_tok);
  const cJSON *q = cJSON_GetObjectItemCaseSensitive(body, "query");
  const cJSON *tn = cJSON_GetObjectItemCaseSensitive(body, "top_n");
  const cJSON *rd = cJSON_GetObjectItemCaseSensitive(body, "return_documents");
  if (!cJSON_IsString(q) || !q->valuestring[0]) {
    sr_http_error(resp, 400, "'query' is required and must be a non-empty string");
    return;
  }
  const cJSON *docs_v = cJSON_GetObjectItemCaseSensitive(body, "documents");
  const char **docs = malloc(MAX_DOCS * sizeof *docs);
  scored *sc = malloc(MAX_DOCS * sizeof *sc);
  size_t n = 0;
  char msg[256];
  if (!docs || !sc) {
    free(docs), free(sc);
    sr_http_error(resp, 500, "out of memory");
    return;
  }
  if (!cJSON_IsArray(docs_v) || !collect_texts(docs_v, true, MAX_DOCS, docs, &n, msg, sizeof msg)) {
    free(docs), free(sc);
    sr_http_error(resp, 400, "'documents': %s", cJSON_IsArray(docs_v) ? msg : "want an array of strings");
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
  sr_error err = {0};
  int fail = 0;
  int32_t *pre = NULL, *suf = NULL;
  size_t np = 0, ns = 0;
  double t0 = now_s();
  pthread_mutex_lock(&h->model_mu);
  if (sr_tokenizer_encode(h->opts.rerank_tok, SR_RERANK_PREFIX, strlen(SR_RERANK_PREFIX), &pre, &np, &err) ||
      sr_tokenizer_encode(h->opts.rerank_tok, SR_RERANK_SUFFIX, strlen(SR_RERANK_SUFFIX), &suf, &ns, &err))
    fail = 500;
  for (size_t d = 0; d < n && !fail; d++) {
    if (now_s() - t0 > h->opts.request_time_limit_s) {
      fail = 503;
      snprintf(err.msg, sizeof err.msg, "request time limit (%g s) reached after %zu documents", h->opts.request_time_limit_s, d);
      break;
    }
    sr_buf b = SR_BUF_INIT;
    size_t dl = strlen(docs[d]);
    dl = sr_utf8_prefix_bytes(docs[d], dl, SR_RERANK_BODY_CHARS + SR_RERANK_DESC_CHARS);
    if (!sr_buf_printf(&b, "<Instruct>: %s\n\n<Query>: %s\n\n<Document>: %.*s", SR_RERANK_INSTRUCTION, q->valuestring,
                       (int)dl, docs[d])) {
      fail = 500;
      break;
    }
    int32_t *ids = NULL;
    size_t nt = 0;
    sr_status st = sr_tokenizer_encode(h->opts.rerank_tok, b.data, b.len, &ids, &nt, &err);
    if (!st) st = sr_qwen3_rerank(h->opts.rerank_model, pre, np, ids, nt, suf, ns, SR_QWEN3_MAX_TOKENS, NULL, &sc[d].prob, &err);
    if (st) fail = st == SR_ERR_FORMAT || st == SR_ERR_ARG ? 400 : 500;
    sc[d].index = d;
    free(ids);
    sr_buf_free(&b);
  }
  pthread_mutex_unlock(&h->model_mu);
  free(pre);
  free(suf);
  if (fail) {
    free(docs), free(sc);
    sr_http_error(resp, fail, "%s", err.msg[0] ? err.msg : "out of memory");
    return;
  }
  qsort(sc, n, sizeof *sc, by_prob_desc);
  cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "results");
  for (size_t i = 0; i < top; i++) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "index", (double)sc[i].index);
    cJSON_AddNumberToObject(r, "relevance_score", sc[i].prob);
    if (ret_docs) {
      cJSON *dd = cJSON_AddObjectToObject(r, "document");
      cJSON_AddStringToObject(dd, "text", docs[sc[i].index]);
    }
    cJSON_AddItemToArray(arr, r);
  }
  cJSON_AddStringToObject(o, "model", h->opts.rerank_name ? h->opts.rerank_name : "qwen3-reranker");
  free(docs), free(sc);
  sr_http_json(resp, 200, o);
}
