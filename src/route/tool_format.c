/* tool_format.c — shortlists as OpenAI / Anthropic / MCP tool definitions (see tool_format.h). */
#include "route/tool_format.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sr_tool_format_parse(const char *name, sr_tool_format *out) {
  if (!strcmp(name, "openai-tools") || !strcmp(name, "openai")) *out = SR_TOOLS_OPENAI;
  else if (!strcmp(name, "anthropic-tools") || !strcmp(name, "anthropic")) *out = SR_TOOLS_ANTHROPIC;
  else if (!strcmp(name, "mcp")) *out = SR_TOOLS_MCP;
  else return false;
  return true;
}

/* The schema of an entry: a copy of metadata.inputSchema when that is an object, else the empty one. */
static cJSON *schema_of(const sr_entry_view *v) {
  cJSON *meta = v->metadata ? cJSON_Parse(v->metadata) : NULL;
  cJSON *s = meta ? cJSON_GetObjectItemCaseSensitive(meta, "inputSchema") : NULL;
  cJSON *copy = cJSON_IsObject(s) ? cJSON_Duplicate(s, 1) : NULL;
  cJSON_Delete(meta);
  if (copy) return copy;
  copy = cJSON_CreateObject();
  if (copy && (!cJSON_AddStringToObject(copy, "type", "object") || !cJSON_AddObjectToObject(copy, "properties"))) {
    cJSON_Delete(copy);
    copy = NULL;
  }
  return copy;
}

/* Writes the API-safe (or, for MCP, the original) name, made unique against arr's earlier names. */
static bool make_name(const char *name, sr_tool_format f, char **names, size_t n_names, char *out, size_t cap) {
  assert(cap > 80);
  size_t len = 0;
  bool strict = f != SR_TOOLS_MCP;
  size_t max = strict ? 64 : cap - 16;
  for (const char *p = name; *p && len < max; p++) {
    char c = *p;
    bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    out[len++] = strict && !okc ? '_' : c;
  }
  if (!len) out[len++] = '_';
  out[len] = '\0';
  for (unsigned k = 2;; k++) {
    bool dup = false;
    for (size_t i = 0; i < n_names && !dup; i++) dup = strcmp(names[i], out) == 0;
    if (!dup) return true;
    char suf[16];
    int sl = snprintf(suf, sizeof suf, "_%u", k);
    size_t base = len + (size_t)sl > max ? max - (size_t)sl : len;
    memcpy(out + base, suf, (size_t)sl + 1);
  }
}

sr_status sr_tools_json(const sr_index *ix, const uint32_t *docs, size_t n, sr_tool_format f, bool pretty,
                        sr_buf *out, sr_error *err) {
  cJSON *arr = cJSON_CreateArray();
  char **names = calloc(n ? n : 1, sizeof *names);
  bool ok = arr && names;
  for (size_t i = 0; ok && i < n; i++) {
    sr_entry_view v;
    sr_index_entry(ix, docs[i], &v);
    char name[1024];
    make_name(v.name, f, names, i, name, sizeof name);
    ok = (names[i] = strdup(name)) != NULL;
    cJSON *schema = ok ? schema_of(&v) : NULL;
    cJSON *tool = ok ? cJSON_CreateObject() : NULL;
    ok = schema && tool && cJSON_AddItemToArray(arr, tool);
    if (!ok) {
      cJSON_Delete(schema);
      cJSON_Delete(tool);
      break;
    }
    cJSON *fn = tool;
    if (f == SR_TOOLS_OPENAI) {
      ok = cJSON_AddStringToObject(tool, "type", "function") && (fn = cJSON_AddObjectToObject(tool, "function"));
    }
    const char *skey = f == SR_TOOLS_OPENAI ? "parameters" : f == SR_TOOLS_ANTHROPIC ? "input_schema" : "inputSchema";
    ok = ok && cJSON_AddStringToObject(fn, "name", name) && cJSON_AddStringToObject(fn, "description", v.description) &&
         cJSON_AddItemToObject(fn, skey, schema);
    if (!ok) cJSON_Delete(schema);
  }
  char *text = ok ? (pretty ? cJSON_Print(arr) : cJSON_PrintUnformatted(arr)) : NULL;
  ok = text && sr_buf_puts(out, text) && sr_buf_putc(out, '\n');
  free(text);
  for (size_t i = 0; names && i < n; i++) free(names[i]);
  free(names);
  cJSON_Delete(arr);
  return ok ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "tools: out of memory");
}
