/* fuzz_serve.c — libFuzzer targets for the MCP JSON-RPC handler (-DFUZZ_MCP) and the HTTP request
 * handler (-DFUZZ_HTTP). Built and run by bench/fuzz_serve.sh (not part of make test). The index is
 * read from $SR_FUZZ_INDEX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
  if (sr_mcp_new(st, NULL, &mcp, &err) || sr_http_handler_new(st, &o, &http, &err)) abort();
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
