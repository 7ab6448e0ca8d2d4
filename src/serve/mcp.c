/* mcp.c — JSON-RPC 2.0 / MCP protocol handling and the stdio loop (see mcp.h). */
#include "serve/mcp.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "serve/mcp_tools.h"
#include "util/buf.h"
#include "util/utf8.h"

#define SR_SERVER_VERSION "0.1.0"

static const char *const SUPPORTED_VERSIONS[] = {"2025-06-18", "2025-03-26", "2024-11-05"};

struct sr_mcp {
  sr_serve_state *state;
  float min_score;
  char protocol[32];
  bool initialized;      /* an initialize request was answered */
};

sr_status sr_mcp_new(sr_serve_state *state, const sr_mcp_opts *opts, sr_mcp **out, sr_error *err) {
  assert(state && out);
  sr_mcp *m = calloc(1, sizeof *m);
  if (!m) return sr_fail(err, SR_ERR_NOMEM, "mcp: out of memory");
  m->state = state;
  m->min_score = opts && opts->min_score > 0 ? opts->min_score : 0;
  snprintf(m->protocol, sizeof m->protocol, "%s", SR_MCP_LATEST_PROTOCOL);
  *out = m;
  return SR_OK;
}

void sr_mcp_free(sr_mcp *m) { free(m); }

/* Prints {"jsonrpc":"2.0","id":id,...} with `result` (owned) or an error; NULL on OOM. id NULL → null. */
static char *reply(const cJSON *id, cJSON *result, int code, const char *msg) {
  cJSON *r = cJSON_CreateObject();
  char *text = NULL;
  if (r && cJSON_AddStringToObject(r, "jsonrpc", "2.0")) {
    cJSON *idc = id ? cJSON_Duplicate(id, true) : cJSON_CreateNull();
    if (idc) cJSON_AddItemToObject(r, "id", idc);
    if (result) {
      cJSON_AddItemToObject(r, "result", result);
      result = NULL;
    } else {
      cJSON *e = cJSON_AddObjectToObject(r, "error");
      if (e) {
        cJSON_AddNumberToObject(e, "code", code);
        cJSON_AddStringToObject(e, "message", msg);
      }
    }
    text = cJSON_PrintUnformatted(r);
  }
  cJSON_Delete(result);
  cJSON_Delete(r);
  return text;
}

/* initialize: negotiates the protocol version (the client's if supported, else our latest). */
static cJSON *do_initialize(sr_mcp *m, const cJSON *params) {
  const cJSON *pv = params ? cJSON_GetObjectItemCaseSensitive(params, "protocolVersion") : NULL;
  const char *ver = SR_MCP_LATEST_PROTOCOL;
  if (cJSON_IsString(pv))
    for (size_t i = 0; i < sizeof SUPPORTED_VERSIONS / sizeof *SUPPORTED_VERSIONS; i++)
      if (!strcmp(pv->valuestring, SUPPORTED_VERSIONS[i])) ver = SUPPORTED_VERSIONS[i];
  snprintf(m->protocol, sizeof m->protocol, "%s", ver);
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "protocolVersion", ver);
  cJSON *caps = cJSON_AddObjectToObject(r, "capabilities");
  cJSON *tools = cJSON_AddObjectToObject(caps, "tools");
  cJSON_AddBoolToObject(tools, "listChanged", false);
  cJSON *info = cJSON_AddObjectToObject(r, "serverInfo");
  cJSON_AddStringToObject(info, "name", "skillrouter");
  cJSON_AddStringToObject(info, "version", SR_SERVER_VERSION);
  cJSON_AddStringToObject(r, "instructions",
                          "Call search_skills with the task to find relevant skills, then open_skill to read one. "
                          "Call route_tools to get a shortlist of tool definitions for a task.");
  return r;
}

/* Handles a parsed request object; returns the reply text (NULL for notifications or OOM). */
static char *handle_obj(sr_mcp *m, const cJSON *req, bool *oom) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
  const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
  bool id_ok = !id || cJSON_IsString(id) || cJSON_IsNumber(id);
  const cJSON *reply_id = id_ok ? id : NULL;
  char *out = NULL;
  if (!method && id && (cJSON_GetObjectItemCaseSensitive(req, "result") || cJSON_GetObjectItemCaseSensitive(req, "error")))
    return NULL;  /* a response from the client: nothing to answer */
  if (!cJSON_IsString(ver) || strcmp(ver->valuestring, "2.0") != 0 || !cJSON_IsString(method) || !id_ok ||
      (params && !cJSON_IsObject(params) && !cJSON_IsArray(params))) {
    if (!id && cJSON_IsString(method) && cJSON_IsString(ver)) return NULL;  /* bad notification: no reply */
    out = reply(reply_id, NULL, SR_RPC_INVALID_REQUEST, "invalid request");
    goto done;
  }
  const char *name = method->valuestring;
  if (!id) return NULL;  /* notifications (notifications/initialized, cancelled, ...) get no response */
  if (!strcmp(name, "initialize")) {
    if (params && !cJSON_IsObject(params)) out = reply(id, NULL, SR_RPC_INVALID_PARAMS, "params must be an object");
    else if ((out = reply(id, do_initialize(m, params), 0, NULL))) m->initialized = true;
  } else if (!strcmp(name, "ping")) {
    out = reply(id, cJSON_CreateObject(), 0, NULL);
  } else if (!m->initialized) {  /* the MCP lifecycle: only initialize and ping come first */
    out = reply(id, NULL, SR_RPC_NOT_INITIALIZED, "server not initialized: send initialize first");
  } else if (!strcmp(name, "tools/list")) {
    cJSON *r = cJSON_CreateObject(), *defs = sr_mcp_tool_defs();
    if (r && defs) cJSON_AddItemToObject(r, "tools", defs), defs = NULL;
    cJSON_Delete(defs);
    out = reply(id, r, 0, NULL);
  } else if (!strcmp(name, "tools/call")) {
    const cJSON *tn = params ? cJSON_GetObjectItemCaseSensitive(params, "name") : NULL;
    const cJSON *args = params ? cJSON_GetObjectItemCaseSensitive(params, "arguments") : NULL;
    char msg[SR_ERROR_MSG_MAX];
    cJSON *result = NULL;
    if (!cJSON_IsObject(params) || !cJSON_IsString(tn)) {
      out = reply(id, NULL, SR_RPC_INVALID_PARAMS, "params.name (the tool) is required");
    } else {
      int code = sr_mcp_tool_call(m->state, m->min_score, tn->valuestring, cJSON_IsNull(args) ? NULL : args,
                                  &result, msg, sizeof msg);
      out = code ? reply(id, NULL, code, msg) : reply(id, result, 0, NULL);
    }
  } else {
    out = reply(id, NULL, SR_RPC_METHOD_NOT_FOUND, "method not found");
  }
done:
  if (!out) *oom = true;
  return out;
}

sr_status sr_mcp_handle(sr_mcp *m, const char *msg, size_t len, char **response, sr_error *err) {
  assert(m && response && (msg || !len));
  *response = NULL;
  bool oom = false;
  const char *end = NULL;
  cJSON *req = NULL;
  if (sr_utf8_valid(msg, len, NULL)) req = cJSON_ParseWithLengthOpts(msg, len, &end, false);
  if (req) {  /* only whitespace may follow the value */
    while (end < msg + len && strchr(" \t\r\n", *end)) end++;
    if (end != msg + len) cJSON_Delete(req), req = NULL;
  }
  if (!req) {
    *response = reply(NULL, NULL, SR_RPC_PARSE_ERROR, "parse error");
    oom = !*response;
  } else if (cJSON_IsArray(req)) {
    *response = reply(NULL, NULL, SR_RPC_INVALID_REQUEST, "invalid request: batches are not supported");
    oom = !*response;
  } else if (!cJSON_IsObject(req)) {
    *response = reply(NULL, NULL, SR_RPC_INVALID_REQUEST, "invalid request");
    oom = !*response;
  } else {
    *response = handle_obj(m, req, &oom);
  }
  cJSON_Delete(req);
  return oom ? sr_fail(err, SR_ERR_NOMEM, "mcp: out of memory") : SR_OK;
}

/* Writes line + "\n" and flushes. */
static sr_status write_line(FILE *out, const char *line, sr_error *err) {
  if (fputs(line, out) == EOF || fputc('\n', out) == EOF || fflush(out) == EOF)
    return sr_fail(err, SR_ERR_IO, "mcp: write failed: %s", strerror(errno));
  return SR_OK;
}

sr_status sr_mcp_serve_stdio(sr_mcp *m, FILE *in, FILE *out, volatile int *stop, sr_error *err) {
  assert(m && in && out);
  sr_buf line = SR_BUF_INIT;
  bool too_long = false, eof = false;
  sr_status rc = SR_OK;
  while (!eof && !(stop && *stop)) {
    int c = getc(in);
    if (c == EOF && stop && *stop) break;  /* a signal interrupted the read: drop any partial line */
    if (c == EOF) {
      eof = true;
      if (!line.len && !too_long) break;
    } else if (c != '\n') {
      if (line.len >= SR_MCP_MAX_LINE) too_long = true;
      else if (!sr_buf_putc(&line, (char)c)) too_long = true;
      continue;
    }
    size_t n = line.len;
    while (n && (line.data[n - 1] == '\r' || line.data[n - 1] == ' ' || line.data[n - 1] == '\t')) n--;
    char *resp = NULL;
    if (too_long) {
      resp = reply(NULL, NULL, SR_RPC_PARSE_ERROR, "parse error: message too long");
    } else if (n) {
      rc = sr_mcp_handle(m, line.data, n, &resp, err);
      if (rc != SR_OK) break;
    }
    sr_buf_reset(&line);
    too_long = false;
    if (resp) {
      rc = write_line(out, resp, err);
      free(resp);
      if (rc != SR_OK) break;
    }
  }
  sr_buf_free(&line);
  if (rc == SR_OK && ferror(in) && !(stop && *stop)) rc = sr_fail(err, SR_ERR_IO, "mcp: read failed");
  return rc;
}
