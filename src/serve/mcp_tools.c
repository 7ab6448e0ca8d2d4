/* mcp_tools.c — search_skills, open_skill and route_tools for the MCP server (see mcp.h). */
#include "serve/mcp_tools.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/mcp.h"
#include "util/buf.h"
#include "util/utf8.h"

#define SEARCH_K_MAX 100
#define TOOLS_K_MAX 200

static const char *const TOOL_DEFS_JSON =
    "["
    "{\"name\":\"search_skills\",\"title\":\"Search skills\","
    "\"description\":\"Find the skills (SKILL.md instructions) most relevant to a task. Returns the top matches "
    "with id, name, description and score (no body), and says so plainly when nothing fits well. Use "
    "open_skill to read a skill's full text.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"task\":{\"type\":\"string\",\"description\":\"The task to find skills for, in plain words\"},"
    "\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,\"default\":3,\"description\":\"Number of results\"}},"
    "\"required\":[\"task\"],\"additionalProperties\":false}},"
    "{\"name\":\"open_skill\",\"title\":\"Open a skill\","
    "\"description\":\"Return the full SKILL.md text (front matter and body) of one skill, by its id or name.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"name_or_id\":{\"type\":\"string\",\"description\":\"A skill id or name from search_skills\"}},"
    "\"required\":[\"name_or_id\"],\"additionalProperties\":false}},"
    "{\"name\":\"route_tools\",\"title\":\"Route tools\","
    "\"description\":\"Shortlist the tool definitions (name, description, inputSchema) most relevant to a "
    "task, best first.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"task\":{\"type\":\"string\",\"description\":\"The task the tools are needed for\"},"
    "\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":200,\"default\":20,\"description\":\"Number of tools\"}},"
    "\"required\":[\"task\"],\"additionalProperties\":false}}"
    "]";

cJSON *sr_mcp_tool_defs(void) { return cJSON_Parse(TOOL_DEFS_JSON); }

int sr_json_utf8_ok(const cJSON *s) {
  assert(cJSON_IsString(s));
  return sr_utf8_valid(s->valuestring, strlen(s->valuestring), NULL);
}

/* Reads a required non-empty UTF-8 string argument; writes an invalid-params message on failure. */
static const char *arg_string(const cJSON *args, const char *key, char *msg, size_t cap) {
  const cJSON *v = args ? cJSON_GetObjectItemCaseSensitive(args, key) : NULL;
  if (!cJSON_IsString(v)) {
    snprintf(msg, cap, "argument '%s' is required and must be a string", key);
    return NULL;
  }
  if (!sr_json_utf8_ok(v) || !v->valuestring[0]) {
    snprintf(msg, cap, "argument '%s' must be non-empty valid UTF-8", key);
    return NULL;
  }
  return v->valuestring;
}

/* Reads an optional integer argument in [1, max] (default `def`); false with a message if bad. */
static bool arg_k(const cJSON *args, size_t def, size_t max, size_t *k, char *msg, size_t cap) {
  const cJSON *v = args ? cJSON_GetObjectItemCaseSensitive(args, "k") : NULL;
  *k = def;
  if (!v || cJSON_IsNull(v)) return true;
  if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble || v->valuedouble < 1 ||
      v->valuedouble > (double)max) {
    snprintf(msg, cap, "argument 'k' must be an integer from 1 to %zu", max);
    return false;
  }
  *k = (size_t)v->valuedouble;
  return true;
}

/* Wraps text + structured content into a tools/call result (takes ownership of `structured`). */
static cJSON *tool_result(const char *text, cJSON *structured, bool is_error) {
  cJSON *r = cJSON_CreateObject(), *content = cJSON_AddArrayToObject(r, "content"), *c = cJSON_CreateObject();
  cJSON_AddItemToArray(content, c);
  cJSON_AddStringToObject(c, "type", "text");
  cJSON_AddStringToObject(c, "text", text);
  if (structured) cJSON_AddItemToObject(r, "structuredContent", structured);
  cJSON_AddBoolToObject(r, "isError", is_error);
  return r;  /* cJSON's add functions tolerate NULL parents; callers check the printed output */
}

/* Routes `task` and keeps up to k entries of `kind`, best first. *n_out results go to out (cap k).
 * Over-fetches so that entries of the other kind do not crowd the wanted ones out. */
static int route_kind(const sr_serve_lease *l, const char *task, size_t k, sr_entry_kind kind, sr_result *out,
                      size_t *n_out, float *lexical_top, char *msg, size_t cap) {
  uint32_t count = sr_index_count(l->ix);
  size_t want = k * 8 < 200 ? 200 : k * 8;
  if (want > count) want = count ? count : 1;
  sr_result *tmp = malloc(want * sizeof *tmp);
  if (!tmp) return snprintf(msg, cap, "out of memory"), SR_RPC_INTERNAL_ERROR;
  size_t n = 0;
  sr_error err;
  sr_status st = sr_serve_route(l, task, strlen(task), want, tmp, &n, NULL, lexical_top, &err);
  if (st != SR_OK) {
    free(tmp);
    snprintf(msg, cap, "%s", err.msg);
    return st == SR_ERR_FORMAT ? SR_RPC_INVALID_PARAMS : SR_RPC_INTERNAL_ERROR;
  }
  size_t m = 0;
  for (size_t i = 0; i < n && m < k; i++) {
    sr_entry_view v;
    sr_index_entry(l->ix, tmp[i].id, &v);
    if (v.kind == kind) out[m++] = tmp[i];
  }
  free(tmp);
  *n_out = m;
  return 0;
}

/* search_skills: top-k skills and the no-confident-match flag. */
static int search_skills(const sr_serve_lease *l, float min_score, const cJSON *args, cJSON **result, char *msg,
                         size_t cap) {
  const char *task = arg_string(args, "task", msg, cap);
  size_t k, n = 0;
  if (!task || !arg_k(args, 3, SEARCH_K_MAX, &k, msg, cap)) return SR_RPC_INVALID_PARAMS;
  sr_result res[SEARCH_K_MAX];
  float lexical_top = 0;
  int rc = route_kind(l, task, k, SR_KIND_SKILL, res, &n, &lexical_top, msg, cap);
  if (rc) return rc;
  if (!(min_score > 0)) min_score = SR_MCP_MIN_SCORE_PER_LN_N * logf(1.0f + (float)sr_index_count(l->ix));
  /* the rule is calibrated on the BM25F score of the best lexical match, whichever router ranked */
  bool no_match = n == 0 || lexical_top < min_score;
  cJSON *sc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(sc, "results");
  sr_buf text = SR_BUF_INIT;
  if (no_match)
    sr_buf_printf(&text, "No confident match: %s. The closest skills are listed below; they are probably not "
                         "relevant to this task.\n", n ? "the best score is below the confidence threshold" : "no skill shares a term with the task");
  for (size_t i = 0; i < n; i++) {
    sr_entry_view v;
    sr_index_entry(l->ix, res[i].id, &v);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", v.id);
    cJSON_AddStringToObject(o, "name", v.name);
    cJSON_AddStringToObject(o, "description", v.description);
    cJSON_AddNumberToObject(o, "score", (double)(long long)(res[i].score * 1000.0f + 0.5f) / 1000.0);
    cJSON_AddItemToArray(arr, o);
    sr_buf_printf(&text, "%zu. %s (id: %s, score %.3f)\n   %s\n", i + 1, v.name, v.id, res[i].score, v.description);
  }
  cJSON_AddBoolToObject(sc, "no_confident_match", no_match);
  cJSON_AddNumberToObject(sc, "min_score", (double)(long long)(min_score * 1000.0f + 0.5f) / 1000.0);
  if (!no_match) sr_buf_puts(&text, "Use open_skill with an id to read the full skill.\n");
  *result = tool_result(text.data ? text.data : "", sc, false);
  sr_buf_free(&text);
  return 0;
}

/* Appends a YAML scalar: plain when safe, else a JSON (= YAML double-quoted) string. */
static void yaml_scalar(sr_buf *b, const char *s) {
  bool plain = s[0] && !strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) && !strpbrk(s, "\n\r\t\"\\") && !strstr(s, ": ") &&
               !strstr(s, " #") && s[strlen(s) - 1] != ' ' && s[strlen(s) - 1] != ':';
  if (plain) sr_buf_puts(b, s);
  else sr_buf_json_string(b, s, strlen(s));
}

/* open_skill: one entry's SKILL.md text, by id first, then by unique name. */
static int open_skill(const sr_serve_lease *l, const cJSON *args, cJSON **result, char *msg, size_t cap) {
  const char *key = arg_string(args, "name_or_id", msg, cap);
  if (!key) return SR_RPC_INVALID_PARAMS;
  uint32_t doc, count = sr_index_count(l->ix), n_match = 0;
  sr_buf ids = SR_BUF_INIT;
  cJSON *idarr = cJSON_CreateArray();
  if (!sr_index_find(l->ix, key, &doc)) {
    for (uint32_t d = 0; d < count; d++) {
      sr_entry_view v;
      sr_index_entry(l->ix, d, &v);
      if (strcmp(v.name, key) != 0) continue;
      if (n_match++ == 0) doc = d;
      if (n_match <= 50) {
        sr_buf_printf(&ids, "  - %s\n", v.id);
        cJSON_AddItemToArray(idarr, cJSON_CreateString(v.id));
      }
    }
  } else {
    n_match = 1;
  }
  if (n_match != 1) {
    sr_buf t = SR_BUF_INIT;
    cJSON *sc = cJSON_CreateObject();
    if (n_match == 0) {
      sr_buf_printf(&t, "No skill has the id or name '%s'. Use search_skills to find one.", key);
      cJSON_AddStringToObject(sc, "error", "not_found");
    } else {
      sr_buf_printf(&t, "'%s' is ambiguous: %u entries have that name. Call open_skill with one of these ids:\n%s",
                    key, n_match, ids.data);
      cJSON_AddStringToObject(sc, "error", "ambiguous");
      cJSON_AddItemToObject(sc, "ids", idarr);
      idarr = NULL;
    }
    *result = tool_result(t.data ? t.data : "", sc, true);
    sr_buf_free(&t);
    sr_buf_free(&ids);
    cJSON_Delete(idarr);
    return 0;
  }
  cJSON_Delete(idarr);
  sr_buf_free(&ids);
  sr_entry_view v;
  sr_index_entry(l->ix, doc, &v);
  sr_buf t = SR_BUF_INIT;
  sr_buf_puts(&t, "---\nname: ");
  yaml_scalar(&t, v.name);
  sr_buf_puts(&t, "\ndescription: ");
  yaml_scalar(&t, v.description);
  sr_buf_puts(&t, "\n---\n\n");
  sr_buf_puts(&t, v.body);
  if (t.len && t.data[t.len - 1] != '\n') sr_buf_putc(&t, '\n');
  cJSON *sc = cJSON_CreateObject();
  cJSON_AddStringToObject(sc, "id", v.id);
  cJSON_AddStringToObject(sc, "name", v.name);
  cJSON_AddStringToObject(sc, "kind", v.kind == SR_KIND_TOOL ? "tool" : "skill");
  *result = tool_result(t.data ? t.data : "", sc, false);
  sr_buf_free(&t);
  return 0;
}

/* The inputSchema kept in an entry's metadata ({"inputSchema":...}), or {"type":"object"}. */
static cJSON *input_schema(const char *metadata) {
  cJSON *meta = metadata ? cJSON_Parse(metadata) : NULL;
  cJSON *s = meta ? cJSON_DetachItemFromObjectCaseSensitive(meta, "inputSchema") : NULL;
  cJSON_Delete(meta);
  if (cJSON_IsObject(s)) return s;
  cJSON_Delete(s);
  s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "type", "object");
  return s;
}

/* route_tools: ranked tool definitions. */
static int route_tools(const sr_serve_lease *l, const cJSON *args, cJSON **result, char *msg, size_t cap) {
  const char *task = arg_string(args, "task", msg, cap);
  size_t k, n = 0;
  if (!task || !arg_k(args, 20, TOOLS_K_MAX, &k, msg, cap)) return SR_RPC_INVALID_PARAMS;
  sr_result res[TOOLS_K_MAX];
  int rc = route_kind(l, task, k, SR_KIND_TOOL, res, &n, NULL, msg, cap);
  if (rc) return rc;
  cJSON *sc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(sc, "tools");
  for (size_t i = 0; i < n; i++) {
    sr_entry_view v;
    sr_index_entry(l->ix, res[i].id, &v);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", v.name);
    cJSON_AddStringToObject(o, "description", v.description);
    cJSON_AddItemToObject(o, "inputSchema", input_schema(v.metadata));
    cJSON_AddStringToObject(o, "id", v.id);
    if (v.pack) cJSON_AddStringToObject(o, "pack", v.pack);
    cJSON_AddNumberToObject(o, "score", (double)(long long)(res[i].score * 1000.0f + 0.5f) / 1000.0);
    cJSON_AddItemToArray(arr, o);
  }
  char *text = n ? cJSON_PrintUnformatted(arr) : NULL;
  *result = tool_result(text ? text : "No tool matches this task.", sc, false);
  free(text);
  return 0;
}

int sr_mcp_tool_call(sr_serve_state *st, float min_score, const char *name, const cJSON *args, cJSON **result,
                     char *msg, size_t cap) {
  assert(st && name && result && msg);
  *result = NULL;
  bool known = !strcmp(name, "search_skills") || !strcmp(name, "open_skill") || !strcmp(name, "route_tools");
  if (!known) return snprintf(msg, cap, "unknown tool: %.200s", name), SR_RPC_INVALID_PARAMS;
  if (args && !cJSON_IsObject(args)) return snprintf(msg, cap, "arguments must be an object"), SR_RPC_INVALID_PARAMS;
  sr_serve_lease l;
  sr_error err;
  if (sr_serve_acquire(st, &l, &err) != SR_OK) return snprintf(msg, cap, "%s", err.msg), SR_RPC_INTERNAL_ERROR;
  int rc;
  if (!strcmp(name, "search_skills")) rc = search_skills(&l, min_score, args, result, msg, cap);
  else if (!strcmp(name, "open_skill")) rc = open_skill(&l, args, result, msg, cap);
  else rc = route_tools(&l, args, result, msg, cap);
  sr_serve_release(st, &l);
  return rc;
}
