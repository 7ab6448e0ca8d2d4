/* read_tools.c — the tool-definition reader (*.json, *.json.gz): an MCP tools/list result
 * ({"tools":[...]} or the JSON-RPC envelope {"result":{"tools":[...]}}), an OpenAI tools array
 * ([{"type":"function","function":{name, description, parameters}}]) or a bare array of
 * {name, description, parameters|inputSchema|input_schema}. Each tool becomes an SR_KIND_TOOL entry:
 *   id       = "<pack>/<tool name>", pack = opts->pack or the file's base name without extension;
 *   body     = a readable rendering (see render_tool) so that the analyzer indexes parameter names,
 *              types, enums and descriptions;
 *   metadata = {"inputSchema": <the schema>} so the definition can be emitted again. */
#include <assert.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/readers.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/utf8.h"

#define TOOLS_FILE_MAX ((size_t)256 << 20)
#define RENDER_MAX_DEPTH 12
#define RENDER_MAX_ENUM 24

/* Appends s with line breaks and tabs turned into spaces (one line per parameter). */
static bool put_oneline(sr_buf *b, const char *s) {
  size_t start = b->len;
  if (!sr_buf_puts(b, s)) return false;
  for (size_t i = start; i < b->len; i++)
    if (b->data[i] == '\n' || b->data[i] == '\r' || b->data[i] == '\t') b->data[i] = ' ';
  return true;
}

/* Appends a JSON value as text: strings bare, everything else as compact JSON. */
static bool put_value(sr_buf *b, const cJSON *v) {
  if (cJSON_IsString(v)) return put_oneline(b, v->valuestring);
  char *s = cJSON_PrintUnformatted(v);
  bool ok = s && sr_buf_puts(b, s);
  free(s);
  return ok;
}

/* Appends the type of a schema: "string", "string|null", "array of string", "object", "any". */
static bool put_type(sr_buf *b, const cJSON *schema, int depth) {
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
  if (cJSON_IsString(type)) {
    if (!sr_buf_puts(b, type->valuestring)) return false;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
    if (strcmp(type->valuestring, "array") == 0 && cJSON_IsObject(items) && depth < RENDER_MAX_DEPTH)
      return sr_buf_puts(b, " of ") && put_type(b, items, depth + 1);
    return true;
  }
  if (cJSON_IsArray(type)) {
    bool first = true;
    for (const cJSON *t = type->child; t; t = t->next) {
      if (!cJSON_IsString(t)) continue;
      if ((!first && !sr_buf_putc(b, '|')) || !sr_buf_puts(b, t->valuestring)) return false;
      first = false;
    }
    return first ? sr_buf_puts(b, "any") : true;
  }
  const cJSON *alts = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
  if (!alts) alts = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
  if (cJSON_IsArray(alts) && alts->child && depth < RENDER_MAX_DEPTH) {
    for (const cJSON *a = alts->child; a; a = a->next)
      if ((a != alts->child && !sr_buf_putc(b, '|')) || !put_type(b, a, depth + 1)) return false;
    return true;
  }
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
  if (cJSON_IsString(ref)) {
    const char *slash = strrchr(ref->valuestring, '/');
    return sr_buf_puts(b, slash ? slash + 1 : ref->valuestring);
  }
  if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(schema, "properties"))) return sr_buf_puts(b, "object");
  return sr_buf_puts(b, "any");
}

static bool is_required(const cJSON *required, const char *name) {
  if (!cJSON_IsArray(required)) return false;
  for (const cJSON *r = required->child; r; r = r->next)
    if (cJSON_IsString(r) && strcmp(r->valuestring, name) == 0) return true;
  return false;
}

/* Appends one "- name (type, required, one of: a, b, default: x): description" line per property of
 * `schema`, indented two spaces per level, and recurses into object properties and array items. */
static bool render_props(sr_buf *b, const cJSON *schema, int depth) {
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
  const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
  if (!cJSON_IsObject(props) || depth >= RENDER_MAX_DEPTH) return true;
  for (const cJSON *p = props->child; p; p = p->next) {
    for (int i = 0; i < depth; i++)
      if (!sr_buf_puts(b, "  ")) return false;
    if (!sr_buf_puts(b, "- ") || !put_oneline(b, p->string) || !sr_buf_puts(b, " (")) return false;
    if (!cJSON_IsObject(p)) {
      if (!sr_buf_puts(b, "any)\n")) return false;
      continue;
    }
    if (!put_type(b, p, 0) || !sr_buf_puts(b, is_required(required, p->string) ? ", required" : ", optional"))
      return false;
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(p, "enum");
    if (cJSON_IsArray(en) && en->child) {
      if (!sr_buf_puts(b, ", one of: ")) return false;
      int k = 0;
      for (const cJSON *v = en->child; v; v = v->next, k++) {
        if (k == RENDER_MAX_ENUM) {
          if (!sr_buf_puts(b, ", ...")) return false;
          break;
        }
        if ((k && !sr_buf_puts(b, ", ")) || !put_value(b, v)) return false;
      }
    }
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(p, "default");
    if (def && (!sr_buf_puts(b, ", default: ") || !put_value(b, def))) return false;
    if (!sr_buf_putc(b, ')')) return false;
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(p, "description");
    if (cJSON_IsString(desc) && *desc->valuestring && (!sr_buf_puts(b, ": ") || !put_oneline(b, desc->valuestring)))
      return false;
    if (!sr_buf_putc(b, '\n')) return false;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(p, "items");
    if (!render_props(b, p, depth + 1) || (cJSON_IsObject(items) && !render_props(b, items, depth + 1))) return false;
  }
  return true;
}

/* The body text of a tool: "Tool: N\nPack: P\nDescription: D\nParameters:\n- ...". NULL on OOM. */
static char *render_tool(const char *name, const char *pack, const char *desc, const cJSON *schema) {
  sr_buf b = SR_BUF_INIT;
  bool ok = sr_buf_printf(&b, "Tool: %s\nPack: %s\n", name, pack);
  if (ok && *desc) ok = sr_buf_puts(&b, "Description: ") && sr_buf_puts(&b, desc) && sr_buf_putc(&b, '\n');
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
  if (ok && cJSON_IsObject(props) && props->child) ok = sr_buf_puts(&b, "Parameters:\n") && render_props(&b, schema, 0);
  else if (ok) ok = sr_buf_puts(&b, "Parameters: none\n");
  if (!ok) {
    sr_buf_free(&b);
    return NULL;
  }
  return sr_buf_take(&b);
}

/* Adds tools[i]. Bad tools are skipped with a diag; returns non-SR_OK only on out-of-memory. */
static sr_status add_tool(sr_catalog *cat, const char *path, size_t i, const cJSON *tool, const char *pack,
                          const sr_read_opts *opts, sr_error *err) {
  char where[4200];
  snprintf(where, sizeof where, "%s (tool #%zu)", path, i + 1);
  const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tool, "function");
  if (cJSON_IsObject(fn)) tool = fn;
  if (!cJSON_IsObject(tool))
    return sr_catalog_skip(cat, where, "tool is not a JSON object") ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "out of memory");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(tool, "name");
  const cJSON *desc = cJSON_GetObjectItemCaseSensitive(tool, "description");
  const cJSON *schema = cJSON_GetObjectItemCaseSensitive(tool, "inputSchema");
  if (!schema) schema = cJSON_GetObjectItemCaseSensitive(tool, "input_schema");
  if (!schema) schema = cJSON_GetObjectItemCaseSensitive(tool, "parameters");
  const char *problem = NULL;
  if (!cJSON_IsString(name) || !*name->valuestring) problem = "missing, empty or non-string \"name\"";
  else if (desc && !cJSON_IsNull(desc) && !cJSON_IsString(desc)) problem = "\"description\" must be a string";
  else if (schema && !cJSON_IsNull(schema) && !cJSON_IsObject(schema)) problem = "the input schema must be a JSON object";
  if (problem) return sr_catalog_skip(cat, where, "%s", problem) ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (!cJSON_IsObject(schema)) schema = NULL;
  const char *d = cJSON_IsString(desc) ? desc->valuestring : "";
  size_t max = sr_read_max_field(opts), name_len = strlen(name->valuestring), desc_len = strlen(d);
  bool oom = false;
  sr_entry e;
  memset(&e, 0, sizeof e);
  e.kind = SR_KIND_TOOL;
  e.name = strdup(name->valuestring);
  e.description = strdup(d);
  e.pack = strdup(pack);
  e.id = sr_strdup_printf("%s/%s", pack, name->valuestring);
  e.source = strdup(where);
  e.body = render_tool(name->valuestring, pack, d, schema);
  cJSON *meta = cJSON_CreateObject();
  cJSON *copy = schema ? cJSON_Duplicate(schema, 1) : cJSON_Parse("{\"type\":\"object\",\"properties\":{}}");
  if (meta && copy && cJSON_AddItemToObject(meta, "inputSchema", copy)) copy = NULL;
  e.metadata = meta && !copy ? cJSON_PrintUnformatted(meta) : NULL;
  cJSON_Delete(meta);
  cJSON_Delete(copy);
  if (!e.name || !e.description || !e.pack || !e.id || !e.source || !e.body || !e.metadata) {
    sr_entry_release(&e);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", where);
  }
  size_t body_len = strlen(e.body);
  if (!sr_check_field(cat, where, "name", e.name, &name_len, max, false, &oom) ||
      !sr_check_field(cat, where, "description", e.description, &desc_len, max, false, &oom) ||
      !sr_check_field(cat, where, "body", e.body, &body_len, max, true, &oom)) {
    sr_entry_release(&e);
    return oom ? sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", where) : SR_OK;
  }
  return sr_catalog_add(cat, &e, err);
}

/* The default pack: the file's base name without ".json" / ".json.gz". NULL on OOM. */
static char *pack_from_path(const char *path) {
  char *base = sr_path_basename(path);
  if (!base) return NULL;
  size_t n = strlen(base);
  if (sr_has_suffix(base, ".json.gz")) base[n - 8] = '\0';
  else if (sr_has_suffix(base, ".json")) base[n - 5] = '\0';
  return base;
}

sr_status sr_read_tools(sr_catalog *cat, const char *path, const sr_read_opts *opts, sr_error *err) {
  assert(cat && path && opts);
  char *text = NULL;
  size_t len = 0, bad, line, col;
  sr_status st = sr_read_file(path, TOOLS_FILE_MAX, &text, &len, err);
  if (st != SR_OK) return st;
  if (!sr_utf8_valid(text, len, &bad)) {
    sr_text_position(text, bad, &line, &col);
    free(text);
    return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: invalid UTF-8 at column %zu", path, line, col);
  }
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  size_t stop = end ? (size_t)(end - text) : 0;
  while (root && stop < len && strchr(" \t\r\n", text[stop])) stop++;
  if (!root || stop < len) {
    sr_text_position(text, stop, &line, &col);
    free(text);
    cJSON_Delete(root);
    return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: %s at column %zu", path, line,
                   root ? "extra text after the JSON value" : "invalid JSON", col);
  }
  free(text);
  const cJSON *tools = root;
  if (cJSON_IsObject(root)) {
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(root, "result");
    tools = cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(result) ? result : root, "tools");
  }
  if (!cJSON_IsArray(tools)) {
    cJSON_Delete(root);
    return sr_fail(err, SR_ERR_FORMAT,
                   "%s: not a tools file (expected an MCP tools/list result {\"tools\":[...]} or "
                   "{\"result\":{\"tools\":[...]}}, or an OpenAI tools array)", path);
  }
  char *pack = opts->pack ? strdup(opts->pack) : pack_from_path(path);
  if (!pack) st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  size_t i = 0;
  for (const cJSON *t = tools->child; t && st == SR_OK; t = t->next, i++) st = add_tool(cat, path, i, t, pack, opts, err);
  free(pack);
  cJSON_Delete(root);
  return st;
}
