/* test_serve.c — the MCP JSON-RPC handler and the HTTP request handler as pure functions (request text
 * in, response text out; no sockets), and the index hot reload. Run from the repository root. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "index/index.h"
#include "model/qwen3.h"
#include "model/tokenizer.h"
#include "serve/http.h"
#include "serve/http_internal.h"
#include "serve/mcp.h"
#include "serve/state.h"
#include "test.h"
#include "util/clock.h"
#include "util/fileio.h"

static char ix_path[512];
static sr_serve_state *g_state;

/* Builds an index of `sources` at path. */
static void build(const char *const *sources, size_t n, const char *path) {
  sr_catalog c;
  sr_catalog_init(&c);
  sr_error err = {0};
  sr_read_opts ro = {.quiet = true};
  for (size_t i = 0; i < n; i++) CHECK_OK(sr_catalog_add_source(&c, sources[i], &ro, &err), &err);
  sr_build_opts o = {.analyzer = sr_analyzer_defaults(), .threads = 1};
  CHECK_OK(sr_index_build(&c, NULL, &o, path, NULL, &err), &err);
  sr_catalog_free(&c);
}

/* One MCP round trip; returns the malloc'd response ("" when none) — caller frees. */
static char *rpc(sr_mcp *m, const char *msg) {
  char *resp = NULL;
  sr_error err = {0};
  CHECK_OK(sr_mcp_handle(m, msg, strlen(msg), &resp, &err), &err);
  return resp ? resp : strdup("");
}

#define HAS(s, sub) CHECK_MSG(strstr((s), (sub)) != NULL, "'%s' not in %.400s", (sub), (s))
#define HASNT(s, sub) CHECK_MSG(strstr((s), (sub)) == NULL, "'%s' unexpectedly in %.400s", (sub), (s))

static void test_mcp_protocol(void) {
  sr_mcp *m = NULL;
  sr_error err = {0};
  CHECK_OK(sr_mcp_new(g_state, NULL, &m, &err), &err);
  struct { const char *in, *want; } cases[] = {
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2024-11-05\"}}",
       "\"protocolVersion\":\"2024-11-05\""},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\"}}",
       "\"protocolVersion\":\"2025-03-26\""},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"1999-01-01\"}}",
       "\"protocolVersion\":\"2025-06-18\""},
      {"{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}", "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":{}}"},
      {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", ""},
      {"{\"jsonrpc\":\"2.0\",\"method\":\"no/such/notification\"}", ""},
      {"{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}", ""},
      {"{not json", "\"code\":-32700"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} trailing", "\"code\":-32700"},
      {"\"caf\xff\"", "\"code\":-32700"},
      {"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", "\"code\":-32600"},
      {"42", "\"code\":-32600"},
      {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", "\"code\":-32600"},
      {"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", "\"id\":null,\"error\":{\"code\":-32600"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", "\"code\":-32600"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":3}", "\"code\":-32600"},
      {"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/list\"}", "\"id\":3,\"error\":{\"code\":-32601"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}", "\"code\":-32602"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}", "\"code\":-32602"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search_skills\",\"arguments\":{}}}", "\"code\":-32602"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search_skills\",\"arguments\":{\"task\":\"x\",\"k\":0}}}", "\"code\":-32602"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search_skills\",\"arguments\":{\"task\":\"x\",\"k\":2.5}}}", "\"code\":-32602"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"route_tools\",\"arguments\":[1]}}", "\"code\":-32602"},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"open_skill\",\"arguments\":{\"name_or_id\":\"\\ud800\"}}}", "\"code\":-32700"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *r = rpc(m, cases[i].in);
    if (!cases[i].want[0]) CHECK_MSG(!r[0], "case %zu: want no response, got %s", i, r);
    else CHECK_MSG(strstr(r, cases[i].want) != NULL, "case %zu: '%s' not in %s", i, cases[i].want, r);
    free(r);
  }
  char *r = rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
  HAS(r, "\"name\":\"search_skills\"");
  HAS(r, "\"name\":\"open_skill\"");
  HAS(r, "\"name\":\"route_tools\"");
  HAS(r, "\"inputSchema\":{\"type\":\"object\"");
  free(r);
  sr_mcp_free(m);
}

static void test_mcp_tools(void) {
  sr_mcp *m = NULL;
  sr_error err = {0};
  CHECK_OK(sr_mcp_new(g_state, NULL, &m, &err), &err);
  free(rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}"));
  char *r = rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search_skills\","
                   "\"arguments\":{\"task\":\"measure the volume of an STL mesh and its connected components\",\"k\":2}}}");
  HAS(r, "\"results\":[{\"id\":\"skills/stl-mesh-analysis\",\"name\":\"stl-mesh-analysis\"");
  HAS(r, "\"no_confident_match\":false");
  HASNT(r, "\"body\"");
  free(r);
  r = rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search_skills\","
             "\"arguments\":{\"task\":\"zzzqqq nonexistentword\"}}}");
  HAS(r, "\"no_confident_match\":true");
  HAS(r, "No confident match");
  free(r);
  r = rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"open_skill\","
             "\"arguments\":{\"name_or_id\":\"git-bisect\"}}}");
  HAS(r, "---\\nname: git-bisect\\ndescription: Find the commit");
  HAS(r, "git bisect run ./test.sh");
  HAS(r, "\"isError\":false");
  free(r);
  r = rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"open_skill\","
             "\"arguments\":{\"name_or_id\":\"skills/pdf-extract\"}}}");
  HAS(r, "name: pdf-extract");
  free(r);
  r = rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"open_skill\","
             "\"arguments\":{\"name_or_id\":\"/etc/passwd\"}}}");
  HAS(r, "\"isError\":true");
  HAS(r, "not_found");
  HASNT(r, "root:");
  free(r);
  r = rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"open_skill\","
             "\"arguments\":{\"name_or_id\":\"twin\"}}}");
  HAS(r, "ambiguous");
  HAS(r, "\"ids\":[\"dup/a\",\"dup/b\"]");
  free(r);
  r = rpc(m, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"route_tools\","
             "\"arguments\":{\"task\":\"severe weather alerts for a US state\"}}}");
  HAS(r, "\"tools\":[{\"name\":\"get_alerts\"");
  HAS(r, "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"state\"");
  HASNT(r, "stl-mesh");
  free(r);
  sr_mcp_free(m);
}

/* The MCP lifecycle: before initialize only initialize and ping are answered normally; notifications
 * (before or after) never get a response. */
static void test_mcp_lifecycle(void) {
  sr_mcp *m = NULL;
  sr_error err = {0};
  CHECK_OK(sr_mcp_new(g_state, NULL, &m, &err), &err);
  struct { const char *in, *want; } cases[] = {
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
       "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32002,\"message\":\"server not initialized"},
      {"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"search_skills\",\"arguments\":{\"task\":\"x\"}}}",
       "\"id\":2,\"error\":{\"code\":-32002"},
      {"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/list\"}", "\"id\":3,\"error\":{\"code\":-32002"},
      {"{not json", "\"code\":-32700"},
      {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", ""},
      {"{\"jsonrpc\":\"2.0\",\"method\":\"tools/list\"}", ""},
      {"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}", "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}"},
      {"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}",
       "\"id\":5,\"result\":{\"protocolVersion\":\"2025-06-18\""},
      {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", ""},
      {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":9}}", ""},
      {"{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":5}", ""},
      {"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/list\"}", "\"id\":6,\"result\":{\"tools\":["},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *r = rpc(m, cases[i].in);
    if (!cases[i].want[0]) CHECK_MSG(!r[0], "case %zu: want no response, got %s", i, r);
    else CHECK_MSG(strstr(r, cases[i].want) != NULL, "case %zu: '%s' not in %s", i, cases[i].want, r);
    free(r);
  }
  sr_mcp_free(m);
}

static void test_mcp_stdio(void) {
  sr_mcp *m = NULL;
  sr_error err = {0};
  CHECK_OK(sr_mcp_new(g_state, NULL, &m, &err), &err);
  char in_text[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n\n{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\nbad\n"
                   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}";
  FILE *in = fmemopen(in_text, strlen(in_text), "r");
  char *out_text = NULL;
  size_t out_len = 0;
  FILE *out = open_memstream(&out_text, &out_len);
  CHECK_OK(sr_mcp_serve_stdio(m, in, out, NULL, &err), &err);
  fclose(in);
  fclose(out);
  CHECK_STR(out_text, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
                      "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse error\"}}\n"
                      "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}\n");
  free(out_text);
  sr_mcp_free(m);
}

/* One HTTP request through the handler. */
static sr_http_response http(sr_http_handler *h, const char *method, const char *path, const char *auth, const char *body) {
  sr_http_request req = {.method = method, .path = path, .authorization = auth, .body = body,
                         .body_len = body ? strlen(body) : 0};
  sr_http_response resp;
  sr_http_handle(h, &req, &resp);
  CHECK(resp.body != NULL);
  return resp;
}

static void test_http(void) {
  sr_http_handler *h = NULL;
  sr_error err = {0};
  sr_http_opts o = {.api_key = "k3y", .max_body = 4096};
  CHECK_OK(sr_http_handler_new(g_state, &o, &h, &err), &err);
  const char *auth = "Bearer k3y";
  struct { const char *method, *path, *auth, *body; int status; const char *want; } cases[] = {
      {"POST", "/v1/route", auth, "{\"task\":\"slow postgres query explain analyze\",\"k\":2}", 200,
       "\"results\":[{\"rank\":1,\"id\":\"skills/sql-query-tuning\""},
      {"POST", "/v1/route", auth, "{\"task\":\"weather alerts for California\",\"by\":\"pack\"}", 200, "\"pack\":\"weather\",\"tools\":["},
      {"POST", "/v1/route", auth, "{\"task\":\"zzzqqq\"}", 200, "\"results\":[]"},
      {"POST", "/v1/route", NULL, "{\"task\":\"x\"}", 401, "\"unauthorized\""},
      {"POST", "/v1/route", "Bearer wrong", "{\"task\":\"x\"}", 401, "API key"},
      {"POST", "/v1/route", auth, "{\"task\":", 400, "malformed JSON"},
      {"POST", "/v1/route", auth, "", 400, "empty"},
      {"POST", "/v1/route", auth, "[1,2]", 400, "JSON object"},
      {"POST", "/v1/route", auth, "{\"task\":5}", 400, "'task'"},
      {"POST", "/v1/route", auth, "{\"task\":\"x\",\"k\":\"3\"}", 400, "'k'"},
      {"POST", "/v1/route", auth, "{\"task\":\"x\",\"k\":100000}", 400, "'k'"},
      {"POST", "/v1/route", auth, "{\"task\":\"x\",\"by\":\"tool\"}", 400, "'by'"},
      {"POST", "/v1/route", auth, "{\"task\":\"caf\xc3\"}", 400, "UTF-8"},
      {"POST", "/v1/route", auth, "{\"task\":\"\\udc00x\"}", 400, "malformed"},
      {"GET", "/v1/route", auth, NULL, 405, "use POST"},
      {"POST", "/healthz", NULL, NULL, 405, "use GET"},
      {"GET", "/healthz", NULL, NULL, 200, "\"status\":\"ok\",\"entries\":16"},
      {"GET", "/nope", auth, NULL, 404, "no such endpoint"},
      {"POST", "/v1/embeddings", auth, "{\"input\":\"x\"}", 404, "\"model_not_found\""},
      {"POST", "/v1/rerank", auth, "{\"query\":\"x\",\"documents\":[\"a\"]}", 404, "--rerank-model"},
      {"GET", "/v1/embeddings", auth, NULL, 405, "use POST"},
      {"GET", "/metrics", NULL, NULL, 401, "API key"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    sr_http_response r = http(h, cases[i].method, cases[i].path, cases[i].auth, cases[i].body);
    CHECK_MSG(r.status == cases[i].status, "case %zu: status %d, want %d: %s", i, r.status, cases[i].status, r.body);
    CHECK_MSG(r.body && strstr(r.body, cases[i].want), "case %zu: '%s' not in %s", i, cases[i].want, r.body);
    sr_http_response_free(&r);
  }
  /* body over the limit (the transport flags it, or the length shows it) */
  char big[5000];
  memset(big, ' ', sizeof big - 1);
  big[sizeof big - 1] = 0;
  sr_http_response r = http(h, "POST", "/v1/route", auth, big);
  CHECK_INT(r.status, 413);
  sr_http_response_free(&r);
  sr_http_request tl = {.method = "POST", .path = "/v1/route", .authorization = auth, .body_too_large = true};
  sr_http_handle(h, &tl, &r);
  CHECK_INT(r.status, 413);
  sr_http_response_free(&r);
  /* a request that arrived longer ago than the time limit (30 s by default) */
  const char *task = "{\"task\":\"slow postgres query\"}";
  sr_http_request late = {.method = "POST", .path = "/v1/route", .authorization = auth, .body = task,
                          .body_len = strlen(task), .received_s = sr_clock_s() - 31};
  sr_http_handle(h, &late, &r);
  CHECK_INT(r.status, 503);
  CHECK(r.timed_out);
  HAS(r.body, "\"type\":\"timeout\"");
  HAS(r.body, "30000 ms");
  sr_http_response_free(&r);
  late.received_s = sr_clock_s() - 29;  /* within the limit */
  sr_http_handle(h, &late, &r);
  CHECK_INT(r.status, 200);
  CHECK(!r.timed_out);
  sr_http_response_free(&r);
  r = http(h, "GET", "/metrics", auth, NULL);
  CHECK_INT(r.status, 200);
  HAS(r.body, "skillrouter_http_requests_total{endpoint=\"/v1/route\",status=\"200\"} 4");
  HAS(r.body, "skillrouter_http_timeouts_total{endpoint=\"/v1/route\"} 1");
  HAS(r.body, "skillrouter_http_timeouts_total{endpoint=\"/v1/rerank\"} 0");
  HAS(r.body, "skillrouter_http_requests_in_flight 1");
  HAS(r.body, "skillrouter_http_requests_total{endpoint=\"/v1/embeddings\",status=\"404\"} 1");
  HAS(r.body, "skillrouter_http_requests_total{endpoint=\"/v1/route\",status=\"413\"} 2");
  HAS(r.body, "skillrouter_http_request_duration_seconds_bucket{endpoint=\"/v1/route\",le=\"+Inf\"}");
  HAS(r.body, "skillrouter_http_errors_total{endpoint=\"other\"} 1");
  HAS(r.body, "skillrouter_index_entries 16");
  sr_http_response_free(&r);
  sr_http_handler_free(h);
}

/* Decodes standard base64 (no whitespace); returns the byte count, or -1 on a bad character. */
static long unbase64(const char *s, unsigned char *out, size_t cap) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned v = 0, bits = 0;
  size_t n = 0;
  for (; *s && *s != '='; s++) {
    const char *p = strchr(A, *s);
    if (!p) return -1;
    v = v << 6 | (unsigned)(p - A), bits += 6;
    if (bits >= 8 && n < cap) out[n++] = (unsigned char)(v >> (bits -= 8));
  }
  return (long)n;
}

static void *hold_model(void *arg) {  /* keeps the model busy for 1.5 s */
  sr_http_handler *h = arg;
  pthread_mutex_lock(&h->model_mu);
  usleep(1500 * 1000);
  pthread_mutex_unlock(&h->model_mu);
  return NULL;
}

/* /v1/embeddings and /v1/rerank with a random-weight model and the real Qwen3 tokenizer: output shapes,
 * base64 == float, the time limit before, during (the model busy) and within a request. */
static sr_tokenizer *g_tok;
static void test_http_models(void) {
  sr_qwen3_config c = {.n_layers = 1, .dim = 32, .n_heads = 2, .n_kv_heads = 1, .head_dim = 16, .ffn_dim = 64,
                       .vocab = 151669, .max_pos = 512, .rms_eps = 1e-6f, .rope_theta = 1e6f};
  sr_qwen3 *m = NULL;
  sr_error err = {0};
  sr_qwen3_opts mo = {.n_threads = 1};
  CHECK_OK(sr_qwen3_random(&c, 3, &mo, &m, &err), &err);
  if (!m) return;
  sr_http_handler *h = NULL;
  sr_http_opts o = {.request_time_limit_s = 0.25, .embed_model = m, .embed_tok = g_tok, .rerank_model = m,
                    .rerank_tok = g_tok, .embed_name = "tiny"};
  CHECK_OK(sr_http_handler_new(g_state, &o, &h, &err), &err);
  if (!h) { sr_qwen3_free(m); return; }
  sr_http_response f = http(h, "POST", "/v1/embeddings", NULL, "{\"input\":[\"hello world\",\"x\"]}");
  CHECK_INT(f.status, 200);
  HAS(f.body, "\"model\":\"tiny\"");
  HAS(f.body, "\"index\":1");
  sr_http_response b = http(h, "POST", "/v1/embeddings", NULL, "{\"input\":\"hello world\",\"encoding_format\":\"base64\"}");
  CHECK_INT(b.status, 200);
  /* the first embedding: 32 numbers as text, and 128 bytes as base64 */
  const char *fe = f.body ? strstr(f.body, "\"embedding\":[") : NULL, *be = b.body ? strstr(b.body, "\"embedding\":\"") : NULL;
  CHECK(fe && be);
  if (fe && be) {
    unsigned char bytes[256];
    char b64[400];
    sscanf(be + 13, "%399[^\"]", b64);
    CHECK_INT(unbase64(b64, bytes, sizeof bytes), 128);
    const char *p = fe + 13;
    for (int k = 0; k < 32; k++) {
      char *end;
      float want = strtof(p, &end), got;
      uint32_t u = (uint32_t)bytes[4 * k] | (uint32_t)bytes[4 * k + 1] << 8 | (uint32_t)bytes[4 * k + 2] << 16 |
                   (uint32_t)bytes[4 * k + 3] << 24;
      memcpy(&got, &u, 4);
      CHECK_MSG(end != p && got == want, "dim %d: base64 %.9g, float %.9g", k, (double)got, (double)want);
      p = end + 1;
    }
  }
  sr_http_response_free(&f);
  sr_http_response_free(&b);
  sr_http_response r = http(h, "POST", "/v1/rerank", NULL, "{\"query\":\"q\",\"documents\":[\"a\",{\"text\":\"b\"}],\"top_n\":1}");
  CHECK_INT(r.status, 200);
  HAS(r.body, "\"relevance_score\":");
  HAS(r.body, "\"logit\":");
  HASNT(r.body, "},{");  /* top_n 1 */
  sr_http_response_free(&r);
  /* the deadline passed before the request was handled */
  const char *eb = "{\"input\":\"x\"}", *rb = "{\"query\":\"q\",\"documents\":[\"a\"]}";
  sr_http_request late = {.method = "POST", .path = "/v1/embeddings", .body = eb, .body_len = strlen(eb),
                          .received_s = sr_clock_s() - 1};
  sr_http_handle(h, &late, &r);
  CHECK_INT(r.status, 503);
  HAS(r.body, "request time limit (250 ms) reached before the model was free");
  sr_http_response_free(&r);
  late.path = "/v1/rerank", late.body = rb, late.body_len = strlen(rb);
  sr_http_handle(h, &late, &r);
  CHECK_INT(r.status, 503);
  HAS(r.body, "\"type\":\"timeout\"");
  sr_http_response_free(&r);
  /* another request holds the model past this one's deadline: it gives up at the deadline */
  pthread_t th;
  CHECK(pthread_create(&th, NULL, hold_model, h) == 0);
  usleep(50 * 1000);
  double t0 = sr_clock_s();
  r = http(h, "POST", "/v1/rerank", NULL, rb);
  double waited = sr_clock_s() - t0;
  CHECK_INT(r.status, 503);
  HAS(r.body, "while waiting for the model");
  CHECK_MSG(waited > 0.2 && waited < 1.2, "waited %.3f s for a 0.25 s limit", waited);
  sr_http_response_free(&r);
  pthread_join(th, NULL);
  r = http(h, "POST", "/v1/rerank", NULL, rb);  /* the model is free again */
  CHECK_INT(r.status, 200);
  sr_http_response_free(&r);
  r = http(h, "GET", "/metrics", NULL, NULL);
  HAS(r.body, "skillrouter_http_timeouts_total{endpoint=\"/v1/embeddings\"} 1");
  HAS(r.body, "skillrouter_http_timeouts_total{endpoint=\"/v1/rerank\"} 2");
  HAS(r.body, "skillrouter_http_requests_total{endpoint=\"/v1/rerank\",status=\"503\"} 2");
  sr_http_response_free(&r);
  sr_http_handler_free(h);
  sr_qwen3_free(m);
}

static void test_reload(void) {
  char path[600], tmp[620];
  snprintf(path, sizeof path, "%s/reload.idx", test_tmpdir());
  snprintf(tmp, sizeof tmp, "%s.new", path);
  const char *a[] = {"examples/tools/weather.json"}, *b[] = {"examples/skills"};
  build(a, 1, path);
  sr_serve_state *st = NULL;
  sr_error err = {0};
  CHECK_OK(sr_serve_open(path, 0, NULL, NULL, &st, &err), &err);
  if (!st) return;
  sr_serve_lease l1, l2;
  CHECK_OK(sr_serve_acquire(st, &l1, &err), &err);
  CHECK_INT(sr_index_count(l1.ix), 2);
  build(b, 1, tmp);
  CHECK(rename(tmp, path) == 0);
  CHECK_OK(sr_serve_acquire(st, &l2, &err), &err);      /* sees the new file */
  CHECK_INT(l2.generation, 2);
  CHECK_INT(sr_index_count(l2.ix), 12);
  CHECK_INT(sr_index_count(l1.ix), 2);                  /* the old lease still works */
  sr_serve_release(st, &l1);
  sr_serve_release(st, &l2);
  test_write_file(tmp, "not an index");
  CHECK(rename(tmp, path) == 0);
  CHECK_OK(sr_serve_acquire(st, &l1, &err), &err);      /* a bad file keeps the old index */
  CHECK_INT(l1.generation, 2);
  CHECK_INT(sr_index_count(l1.ix), 12);
  sr_serve_release(st, &l1);
  bool reloaded = true;
  CHECK(sr_serve_reload(st, true, &reloaded, &err) == SR_ERR_CORRUPT);
  CHECK(!reloaded);
  sr_serve_close(st);
}

int main(void) {
  char dup[600];
  snprintf(dup, sizeof dup, "%s/dup", test_tmpdir());
  char d1[700], d2[700], f[800];
  snprintf(d1, sizeof d1, "%s/a", dup);
  snprintf(d2, sizeof d2, "%s/b", dup);
  mkdir(dup, 0755), mkdir(d1, 0755), mkdir(d2, 0755);
  snprintf(f, sizeof f, "%s/SKILL.md", d1);
  test_write_file(f, "---\nname: twin\ndescription: first twin\n---\nalpha body\n");
  snprintf(f, sizeof f, "%s/SKILL.md", d2);
  test_write_file(f, "---\nname: twin\ndescription: second twin\n---\nbeta body\n");
  snprintf(ix_path, sizeof ix_path, "%s/ex.idx", test_tmpdir());
  const char *src[] = {"examples/skills", "examples/tools/weather.json", dup};
  build(src, 3, ix_path);
  sr_error err = {0};
  CHECK_OK(sr_serve_open(ix_path, 0, NULL, NULL, &g_state, &err), &err);
  if (!g_state) return test_summary();
  RUN(test_mcp_protocol);
  RUN(test_mcp_tools);
  RUN(test_mcp_lifecycle);
  RUN(test_mcp_stdio);
  RUN(test_http);
  RUN(test_reload);
  char tokdir[600];
  const char *shared = getenv("SR_SHARED");
  snprintf(tokdir, sizeof tokdir, "%s/models/qwen3/tokenizer", shared && *shared ? shared : "../shared");
  if (!sr_path_is_dir(tokdir)) {
    printf("SKIP model endpoint tests: %s not found (set SR_SHARED)\n", tokdir);
  } else if (sr_tokenizer_load(tokdir, &g_tok, &err) != SR_OK) {
    fprintf(stderr, "FAIL loading %s: %s\n", tokdir, err.msg);
    test_failed_++;
  } else {
    RUN(test_http_models);
    sr_tokenizer_free(g_tok);
  }
  sr_serve_close(g_state);
  return test_summary();
}
