/* cmd_serve.c — `skillrouter serve --mcp -i INDEX` (MCP over stdio) and
 * `skillrouter serve --http HOST:PORT -i INDEX [...]` (HTTP API). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_common.h"
#include "cli/cli_default_model.h"
#include "cli/cli_model.h"
#include "cli/commands.h"
#include "serve/http.h"
#include "serve/mcp.h"
#include "serve/state.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: skillrouter serve --mcp -i INDEX [--min-score X]\n"
          "       skillrouter serve --http [HOST:]PORT -i INDEX [--api-key KEY] [--threads N]\n"
          "                         [--max-body BYTES] [--request-timeout-ms MS] [--timeout S]\n"
          "                         [--embed-model DIR] [--rerank-model DIR] [--tokenizer DIR]\n\n"
          "Serves an index to agents.\n\n"
          "  --mcp               Model Context Protocol over stdin/stdout (tools search_skills, open_skill,\n"
          "                      route_tools); see docs/mcp.md for client configuration\n"
          "  --http ADDR         HTTP API on ADDR (default host 127.0.0.1): POST /v1/route, GET /healthz,\n"
          "                      GET /metrics, and POST /v1/embeddings, /v1/rerank when models are given\n"
          "  -i, --index INDEX   the index file; it is reopened when the file is replaced (a bad new file\n"
          "                      is logged and the old index kept)\n"
          "  --min-score X       search_skills' no-confident-match threshold (default: %.3f * ln(1 + entries),\n"
          "                      10.0 on an 80K-skill catalog)\n"
          "  --api-key KEY       require 'Authorization: Bearer KEY' (also: $SKILLROUTER_API_KEY)\n"
          "  --threads N         HTTP worker threads (default 4; each answers one request at a time)\n"
          "  --max-body BYTES    request body limit (default 1048576; larger → 413)\n"
          "  --request-timeout-ms MS  time limit of a POST request from its arrival (default 30000): past it\n"
          "                      the answer is 503 {\"error\":{\"type\":\"timeout\"}} and the worker is freed\n"
          "  --timeout S         idle-connection timeout in seconds (default 30)\n"
          "  --embed-model DIR   Qwen3 embedding model (enables /v1/embeddings)\n"
          "  --rerank-model DIR  Qwen3 reranker model (enables /v1/rerank)\n"
          "  --tokenizer DIR     tokenizer for models whose directory has none\n"
          "  --model FILE        the default model for routing (default: used automatically when the index\n"
          "                      holds the bundled model's vectors)\n"
          "  --no-model          route lexically (BM25F) even when the index holds default-model vectors\n",
          (double)SR_MCP_MIN_SCORE_PER_LN_N);
}

/* Log callback: one line to stderr (stdout is the MCP channel). */
static void log_stderr(void *ctx, const char *line) {
  (void)ctx;
  fprintf(stderr, "skillrouter serve: %s\n", line);
}

/* Splits "[HOST:]PORT" ("[v6]:PORT" too); false on a bad value. */
static bool parse_addr(const char *a, char *host, size_t cap, unsigned *port) {
  const char *colon = strrchr(a, ':');
  const char *p = colon ? colon + 1 : a;
  char *end;
  long v = strtol(p, &end, 10);
  if (!*p || *end || v < 0 || v > 65535) return false;
  *port = (unsigned)v;
  if (!colon) snprintf(host, cap, "127.0.0.1");
  else if (a[0] == '[' && colon > a + 1 && colon[-1] == ']') snprintf(host, cap, "%.*s", (int)(colon - a - 2), a + 1);
  else snprintf(host, cap, "%.*s", (int)(colon - a), a);
  return host[0] != 0;
}

/* The name a model is reported under: the last component of its path (no server paths in answers). */
static const char *model_name(const char *path, char *buf, size_t cap) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;
  size_t b = n;
  while (b > 0 && path[b - 1] != '/') b--;
  snprintf(buf, cap, "%.*s", (int)(n - b), path + b);
  return buf[0] ? buf : "model";
}

static int serve_mcp(sr_serve_state *st, float min_score) {
  sr_error err = {0};
  sr_mcp *m = NULL;
  sr_mcp_opts o = {.min_score = min_score};
  if (sr_mcp_new(st, &o, &m, &err) != SR_OK) {
    fprintf(stderr, "skillrouter serve: %s\n", err.msg);
    return 1;
  }
  volatile int stop = 0;
  cli_catch_interrupt(&stop);  /* SIGINT/SIGTERM: answer the message in hand, then exit 0 */
  sr_status rc = sr_mcp_serve_stdio(m, stdin, stdout, &stop, &err);
  sr_mcp_free(m);
  if (stop && rc == SR_OK) fprintf(stderr, "skillrouter serve: shutting down\n");
  if (rc != SR_OK) fprintf(stderr, "skillrouter serve: %s\n", err.msg);
  return rc == SR_OK ? 0 : 1;
}

static int serve_http(sr_serve_state *st, const char *addr, int threads, sr_http_opts *ho, unsigned timeout_s) {
  char host[256];
  unsigned port;
  if (!parse_addr(addr, host, sizeof host, &port)) {
    fprintf(stderr, "skillrouter serve: bad --http address '%s' (want HOST:PORT)\n", addr);
    return 2;
  }
  sr_error err = {0};
  sr_http_handler *h = NULL;
  sr_http_server *srv = NULL;
  if (sr_http_handler_new(st, ho, &h, &err) != SR_OK ||
      sr_http_start(h, host, (uint16_t)port, threads, timeout_s, &srv, &err) != SR_OK) {
    fprintf(stderr, "skillrouter serve: %s\n", err.msg);
    sr_http_handler_free(h);
    return 1;
  }
  volatile int stop = 0;
  cli_catch_interrupt(&stop);
  fprintf(stderr, "skillrouter serve: listening on http://%s%s%s:%u (%d threads)\n", strchr(host, ':') ? "[" : "",
          host, strchr(host, ':') ? "]" : "", sr_http_port(srv), threads);
  while (!stop) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "skillrouter serve: shutting down\n");
  sr_http_stop(srv);
  sr_http_handler_free(h);
  return 0;
}

int cmd_serve(int argc, char **argv) {
  const char *index_path = NULL, *http = NULL, *api_key = getenv("SKILLROUTER_API_KEY");
  const char *embed_dir = NULL, *rerank_dir = NULL, *tok_dir = NULL;
  bool mcp = false;
  size_t threads = 4, max_body = SR_HTTP_MAX_BODY_DEFAULT, timeout = 30, req_timeout_ms = 30000;
  float min_score = 0;
  bool no_model = false;
  const char *model_path = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    else if (!strcmp(a, "--mcp")) mcp = true;
    else if (!strcmp(a, "--http") && v) { http = v; i++; }
    else if ((!strcmp(a, "-i") || !strcmp(a, "--index")) && v) { index_path = v; i++; }
    else if (!strcmp(a, "--api-key") && v) { api_key = v; i++; }
    else if (!strcmp(a, "--embed-model") && v) { embed_dir = v; i++; }
    else if (!strcmp(a, "--rerank-model") && v) { rerank_dir = v; i++; }
    else if (!strcmp(a, "--tokenizer") && v) { tok_dir = v; i++; }
    else if (!strcmp(a, "--no-model")) no_model = true;
    else if (!strcmp(a, "--model") && v) { model_path = v; i++; }
    else if (!strcmp(a, "--threads") && v) { if (!cli_parse_size(a, v, &threads)) return 2; i++; }
    else if (!strcmp(a, "--max-body") && v) { if (!cli_parse_size(a, v, &max_body)) return 2; i++; }
    else if (!strcmp(a, "--timeout") && v) { if (!cli_parse_size(a, v, &timeout)) return 2; i++; }
    else if (!strcmp(a, "--request-timeout-ms") && v) {
      if (!cli_parse_size(a, v, &req_timeout_ms)) return 2;
      if (req_timeout_ms > 3600000) {
        fprintf(stderr, "skillrouter serve: --request-timeout-ms must be from 1 to 3600000\n");
        return 2;
      }
      i++;
    }
    else if (!strcmp(a, "--min-score") && v) {
      char *end;
      min_score = strtof(v, &end);
      if (*end || !(min_score > 0)) { fprintf(stderr, "skillrouter serve: bad --min-score '%s'\n", v); return 2; }
      i++;
    } else {
      fprintf(stderr, "skillrouter serve: unknown option or missing value: %s\n\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (!index_path || mcp == (http != NULL) || threads > 1024 || timeout > 86400) {
    fprintf(stderr, "skillrouter serve: %s\n\n", !index_path              ? "missing -i INDEX"
                                                   : mcp == (http != NULL) ? "give exactly one of --mcp, --http"
                                                   : threads > 1024        ? "--threads must be from 1 to 1024"
                                                                           : "--timeout must be from 1 to 86400");
    usage(stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  sr_error err = {0};
  sr_serve_state *st = NULL;
  /* MCP: one client, check the file before every request; HTTP: at most once a second. */
  if (sr_serve_open(index_path, mcp ? 0.0 : 1.0, log_stderr, NULL, &st, &err) != SR_OK) {
    fprintf(stderr, "skillrouter serve: %s\n", err.msg);
    return 1;
  }
  /* the default model, when the index holds its vectors (else routing stays lexical) */
  sr_default_model dm;
  int have_dm = cli_default_model_load("serve", model_path, no_model, &dm);
  if (have_dm < 0) {
    sr_serve_close(st);
    return 1;
  }
  if (have_dm > 0) {
    sr_serve_set_model(st, &dm);
    if (!sr_serve_uses_model(st))
      fprintf(stderr, "skillrouter serve: note: the index holds no vectors of the default model; routing is "
                      "lexical until it does (re-run 'skillrouter index')\n");
  }
  int rc;
  if (mcp) {
    rc = serve_mcp(st, min_score);
  } else {
    cli_model em = {0}, rm = {0};
    char en[256], rn[256];
    sr_http_opts ho = {.api_key = api_key && *api_key ? api_key : NULL, .max_body = max_body,
                       .request_time_limit_s = (double)req_timeout_ms / 1e3,
                       .embed_name = embed_dir ? model_name(embed_dir, en, sizeof en) : NULL,
                       .rerank_name = rerank_dir ? model_name(rerank_dir, rn, sizeof rn) : NULL};
    rc = 0;
    if (embed_dir && cli_model_load(embed_dir, tok_dir, 0, &em, &err) != SR_OK) rc = 1;
    if (!rc && rerank_dir && cli_model_load(rerank_dir, tok_dir, 0, &rm, &err) != SR_OK) rc = 1;
    if (rc) {
      fprintf(stderr, "skillrouter serve: %s\n", err.msg);
    } else {
      ho.embed_model = em.model, ho.embed_tok = em.tok;
      ho.rerank_model = rm.model, ho.rerank_tok = rm.tok;
      rc = serve_http(st, http, (int)threads, &ho, (unsigned)timeout);
    }
    if (embed_dir) cli_model_free(&em);
    if (rerank_dir) cli_model_free(&rm);
  }
  sr_serve_close(st);
  if (have_dm > 0) sr_default_model_free(&dm);
  return rc;
}
