/* mcp_tools.h — the MCP server's tools (private to src/serve): their definitions for tools/list and
 * their implementations for tools/call. */
#ifndef SR_SERVE_MCP_TOOLS_H
#define SR_SERVE_MCP_TOOLS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "serve/state.h"

#define SR_RPC_PARSE_ERROR (-32700)
#define SR_RPC_INVALID_REQUEST (-32600)
#define SR_RPC_METHOD_NOT_FOUND (-32601)
#define SR_RPC_INVALID_PARAMS (-32602)
#define SR_RPC_INTERNAL_ERROR (-32603)
#define SR_RPC_NOT_INITIALIZED (-32002)  /* a request other than initialize/ping before initialize */

/* A new cJSON array of the tool definitions (name, title, description, inputSchema); NULL on OOM. */
cJSON *sr_mcp_tool_defs(void);

/* Calls tool `name` with `args` (an object or NULL). Returns 0 and a new result object in *result
 * ({content:[{type:"text",text}], structuredContent, isError}); or a JSON-RPC error code
 * (SR_RPC_INVALID_PARAMS for an unknown tool or bad arguments, SR_RPC_INTERNAL_ERROR when memory or the
 * index fails) with a message in msg[0..cap). min_score <= 0 = the automatic threshold (mcp.h). */
int sr_mcp_tool_call(sr_serve_state *st, float min_score, const char *name, const cJSON *args,
                     cJSON **result, char *msg, size_t cap);

/* True when s is a JSON string holding valid UTF-8 (cJSON does not check). */
int sr_json_utf8_ok(const cJSON *s);

#endif
