/* mcp.h — a Model Context Protocol server over stdio (JSON-RPC 2.0, one message per line).
 *
 * Methods: initialize (protocol-version negotiation), notifications/initialized, ping, tools/list,
 * tools/call. Tools:
 *   search_skills(task, k=3)    top skills (id, name, description, score; no body) and a
 *                               "no_confident_match" flag when the best score is below min_score
 *   open_skill(name_or_id)      the SKILL.md text (front matter + body) of one entry, from the index
 *                               only (never the file system); ambiguous names list the candidate ids
 *   route_tools(task, k=20)     tool definitions (name, description, inputSchema) in ranked order
 * Errors: -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid
 * params, -32002 server not initialized (any request but initialize and ping before the first
 * initialize; the MCP lifecycle). Notifications (no "id", notifications/initialized included) never get
 * a response. A malformed message never stops the server. initialize may be repeated (it re-negotiates
 * the protocol version).
 *
 * Ownership: sr_mcp_new borrows `state` (the caller keeps it open until sr_mcp_free). Responses
 * returned by sr_mcp_handle are malloc'd (free()).
 */
#ifndef SR_SERVE_MCP_H
#define SR_SERVE_MCP_H

#include <stddef.h>
#include <stdio.h>

#include "serve/state.h"
#include "util/status.h"

/* The "no confident match" rule (calibrated in BENCHMARKS-serve.md): no result, or the best BM25F score
 * below min_score; min_score 0 = automatic: SR_MCP_MIN_SCORE_PER_LN_N * ln(1 + entries in the index)
 * (BM25 scores grow with IDF, i.e. with ln N; this is 10.0 on the 80K-skill benchmark catalog). */
#define SR_MCP_MIN_SCORE_PER_LN_N 0.886f
/* The longest message line accepted (longer ones get a parse error and are skipped). */
#define SR_MCP_MAX_LINE (4u << 20)
#define SR_MCP_LATEST_PROTOCOL "2025-06-18"

typedef struct sr_mcp_opts {
  float min_score;       /* absolute threshold; 0 = automatic (see above) */
} sr_mcp_opts;

typedef struct sr_mcp sr_mcp;

/* opts may be NULL (defaults). */
sr_status sr_mcp_new(sr_serve_state *state, const sr_mcp_opts *opts, sr_mcp **out, sr_error *err);
void sr_mcp_free(sr_mcp *m);

/* Handles one JSON-RPC message msg[0..len). *response is the reply (JSON, no trailing newline), or
 * NULL when none is due (notifications, client responses). Fails only when memory runs out. */
sr_status sr_mcp_handle(sr_mcp *m, const char *msg, size_t len, char **response, sr_error *err);

/* Reads newline-delimited messages from `in` and writes each reply plus "\n" to `out` (flushed),
 * until EOF or until *stop becomes non-zero (may be NULL): checked between messages and when a read
 * returns early (a signal handler that sets *stop interrupts a blocking read when installed without
 * SA_RESTART); a message being handled is answered first, a partial line is dropped, and the return
 * is SR_OK. Fails with SR_ERR_IO when reading (other than by such an interruption) or writing fails. */
sr_status sr_mcp_serve_stdio(sr_mcp *m, FILE *in, FILE *out, volatile int *stop, sr_error *err);

#endif
