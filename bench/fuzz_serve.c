/* fuzz_serve.c — libFuzzer targets for the MCP JSON-RPC handler (-DFUZZ_MCP) and the HTTP request
 * handler (-DFUZZ_HTTP). Built and run by bench/fuzz_serve.sh (not part of make test). The index is
 * read from $SR_FUZZ_INDEX. With $SR_FUZZ_TOKENIZER (a Qwen3 tokenizer directory) the HTTP target also
 * serves /v1/embeddings and /v1/rerank from a tiny random-weight model. The MCP session is initialized
 * once, so every tool is reachable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/qwen3.h"
#include "model/tokenizer.h"
#include "serve/http.h"
#include "serve/mcp.h"

static sr_serve_state *st;
static sr_mcp *mcp;
static sr_http_handler *http;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  sr_error err;
  const char *p = getenv("SR_FUZZ_INDEX");
  if (!p || sr_serve_open(p, 1e9, NULL, NULL, &st, &err) != SR_OK) abort();
  sr_http_opts o = {.api_key = "k", .max_body = 1 << 16};
  const char *tokdir = getenv("SR_FUZZ_TOKENIZER");
  if (tokdir && *tokdir) {
    static sr_qwen3 *m;
    static sr_tokenizer *tok;
    sr_qwen3_config c = {.n_layers = 1, .dim = 32, .n_heads = 2, .n_kv_heads = 1, .head_dim = 16, .ffn_dim = 64,
                         .vocab = 151669, .max_pos = 64, .rms_eps = 1e-6f, .rope_theta = 1e6f};
    sr_qwen3_opts mo = {.n_threads = 1};
    if (sr_tokenizer_load(tokdir, &tok, &err) || sr_qwen3_random(&c, 1, &mo, &m, &err)) abort();
    o.embed_model = o.rerank_model = m, o.embed_tok = o.rerank_tok = tok;
  }
  if (sr_mcp_new(st, NULL, &mcp, &err) || sr_http_handler_new(st, &o, &http, &err)) abort();
  static const char init[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}";
  char *resp = NULL;
  if (sr_mcp_handle(mcp, init, sizeof init - 1, &resp, &err) || !resp) abort();
  free(resp);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#ifdef FUZZ_MCP
  char *resp = NULL;
  sr_error err;
  if (sr_mcp_handle(mcp, (const char *)data, size, &resp, &err) != SR_OK) abort();
  free(resp);
#else
  /* first byte picks method/path/auth; the rest is the body */
  static const char *const paths[] = {"/v1/route", "/healthz", "/metrics", "/v1/embeddings", "/v1/rerank", "/x"};
  unsigned sel = size ? data[0] : 0;
  sr_http_request req = {.method = sel & 1 ? "GET" : "POST", .path = paths[(sel >> 1) % 6],
                         .authorization = sel & 0x80 ? NULL : "Bearer k", .body = size ? (const char *)data + 1 : NULL,
                         .body_len = size ? size - 1 : 0};
  sr_http_response r;
  sr_http_handle(http, &req, &r);
  if (!r.body || r.status < 200 || r.status > 599) abort();
  sr_http_response_free(&r);
#endif
  return 0;
}
