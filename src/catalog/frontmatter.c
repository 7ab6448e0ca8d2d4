/* frontmatter.c — SKILL.md front matter: split on "---" lines, parse with libyaml's document API,
 * pick out name/description and convert the other keys to a JSON object (cJSON). See frontmatter.h. */
#include "catalog/frontmatter.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64          /* nesting limit when converting (also stops alias cycles) */
#define YAML_MAX_NODES 100000      /* conversion budget (stops alias "billion laughs" blow-ups) */

/* Length of the line starting at p (up to end), not counting its line break; *next gets the start
 * of the following line (end when none). */
static size_t line_at(const char *p, const char *end, const char **next) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  *next = nl ? nl + 1 : end;
  return (size_t)((nl ? nl : end) - p);
}

/* True when the line p[0..n) is "---" with optional trailing blanks / CR. */
static bool is_fence(const char *p, size_t n) {
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) n--;
  return n == 3 && memcmp(p, "---", 3) == 0;
}

typedef enum { PLAIN_STRING, PLAIN_NULL, PLAIN_BOOL, PLAIN_INT, PLAIN_FLOAT } plain_kind;

/* Resolves an untagged plain scalar like the YAML core schema (decimal numbers only). */
static plain_kind resolve_plain(const char *s, size_t n, double *num) {
  if (n == 0 || (n == 1 && s[0] == '~') || (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) ||
                                                      !memcmp(s, "NULL", 4))))
    return PLAIN_NULL;
  if ((n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4)))) {
    *num = 1;
    return PLAIN_BOOL;
  }
  if ((n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5)))) {
    *num = 0;
    return PLAIN_BOOL;
  }
  bool digit = false, is_float = false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') digit = true;
    else if (c == '.' || c == 'e' || c == 'E') is_float = true;
    else if (!((c == '+' || c == '-') && (i == 0 || s[i - 1] == 'e' || s[i - 1] == 'E'))) return PLAIN_STRING;
  }
  if (!digit) return PLAIN_STRING;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end != s + n || !isfinite(v)) return PLAIN_STRING;
  *num = v;
  return is_float ? PLAIN_FLOAT : PLAIN_INT;
}

typedef struct converter {
  yaml_document_t *doc;
  size_t budget;   /* nodes left to convert */
} converter;

/* Converts a node to cJSON; NULL on out-of-memory or when a limit is hit (then *limit is set). */
static cJSON *node_to_json(converter *cv, yaml_node_t *node, int depth, bool *limit) {
  if (!node || depth > YAML_MAX_DEPTH || cv->budget == 0) {
    *limit = true;
    return NULL;
  }
  cv->budget--;
  switch (node->type) {
    case YAML_SCALAR_NODE: {
      const char *s = (const char *)node->data.scalar.value;
      size_t n = node->data.scalar.length;
      if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        double num = 0;
        switch (resolve_plain(s, n, &num)) {
          case PLAIN_NULL: return cJSON_CreateNull();
          case PLAIN_BOOL: return cJSON_CreateBool(num != 0);
          case PLAIN_INT:
          case PLAIN_FLOAT: return cJSON_CreateNumber(num);
          case PLAIN_STRING: break;
        }
      }
      return cJSON_CreateString(s);  /* libyaml NUL-terminates values; embedded NULs end the string */
    }
    case YAML_SEQUENCE_NODE: {
      cJSON *arr = cJSON_CreateArray();
      if (!arr) return NULL;
      for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
        cJSON *v = node_to_json(cv, yaml_document_get_node(cv->doc, *it), depth + 1, limit);
        if (!v || !cJSON_AddItemToArray(arr, v)) {
          cJSON_Delete(v);
          cJSON_Delete(arr);
          return NULL;
        }
      }
      return arr;
    }
    case YAML_MAPPING_NODE: {
      cJSON *obj = cJSON_CreateObject();
      if (!obj) return NULL;
      for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(cv->doc, p->key);
        if (!k || k->type != YAML_SCALAR_NODE) continue;  /* complex keys have no JSON form: dropped */
        cJSON *v = node_to_json(cv, yaml_document_get_node(cv->doc, p->value), depth + 1, limit);
        if (!v) {
          cJSON_Delete(obj);
          return NULL;
        }
        const char *key = (const char *)k->data.scalar.value;
        bool ok = cJSON_GetObjectItemCaseSensitive(obj, key) ? cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v)
                                                              : cJSON_AddItemToObject(obj, key, v);
        if (!ok) {
          cJSON_Delete(v);
          cJSON_Delete(obj);
          return NULL;
        }
      }
      return obj;
    }
    default:
      *limit = true;
      return NULL;
  }
}

static const char *node_kind_name(yaml_node_t *n) {
  if (n->type == YAML_SEQUENCE_NODE) return "a sequence";
  if (n->type == YAML_MAPPING_NODE) return "a mapping";
  double num;
  switch (resolve_plain((const char *)n->data.scalar.value, n->data.scalar.length, &num)) {
    case PLAIN_BOOL: return "a boolean";
    case PLAIN_INT: return "an integer";
    case PLAIN_FLOAT: return "a number";
    default: return "a string";
  }
}

/* Takes a string value for `key` from `node` into *out (left NULL for null). Returns SR_ERR_FORMAT
 * (message in err) when the value is not a string, SR_ERR_NOMEM when the copy fails. */
static sr_status take_string(yaml_node_t *node, const char *key, char **out, sr_error *err) {
  if (node->type == YAML_SCALAR_NODE) {
    const char *s = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;
    double num;
    plain_kind k = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? resolve_plain(s, n, &num) : PLAIN_STRING;
    if (k == PLAIN_NULL) return SR_OK;
    if (k == PLAIN_STRING) {
      free(*out);
      *out = strndup(s, n);
      return *out ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "out of memory");
    }
  }
  return sr_fail(err, SR_ERR_FORMAT, "front matter '%s' must be a string, not %s", key, node_kind_name(node));
}

/* Parses the YAML yaml[0..n) whose first line is line `first_line` of the file into *out. */
static sr_status parse_yaml(const char *yaml, size_t n, size_t first_line, sr_frontmatter *out,
                            size_t *err_line, sr_error *err) {
  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, n);
  if (!yaml_parser_load(&parser, &doc)) {
    *err_line = first_line + parser.problem_mark.line;
    sr_status st = sr_fail(err, parser.error == YAML_MEMORY_ERROR ? SR_ERR_NOMEM : SR_ERR_FORMAT,
                           "malformed YAML front matter: %s%s%s (column %zu)",
                           parser.problem ? parser.problem : "error", parser.context ? " " : "",
                           parser.context ? parser.context : "", parser.problem_mark.column + 1);
    yaml_parser_delete(&parser);
    return st;
  }
  yaml_parser_delete(&parser);
  sr_status st = SR_OK;
  cJSON *meta = NULL;
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (root && !(root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)) {
    if (root->type != YAML_MAPPING_NODE) {
      *err_line = first_line + root->start_mark.line;
      st = sr_fail(err, SR_ERR_FORMAT, "front matter is %s, not a YAML mapping", node_kind_name(root));
      goto done;
    }
    converter cv = {&doc, YAML_MAX_NODES};
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
      yaml_node_t *k = yaml_document_get_node(&doc, p->key);
      yaml_node_t *v = yaml_document_get_node(&doc, p->value);
      assert(k && v);
      if (k->type != YAML_SCALAR_NODE) continue;
      const char *key = (const char *)k->data.scalar.value;
      if (strcmp(key, "name") == 0 || strcmp(key, "description") == 0) {
        st = take_string(v, key, key[0] == 'n' ? &out->name : &out->description, err);
        if (st != SR_OK) {
          *err_line = first_line + k->start_mark.line;
          goto done;
        }
        continue;
      }
      if (!meta && !(meta = cJSON_CreateObject())) goto nomem;
      bool limit = false;
      cJSON *jv = node_to_json(&cv, v, 1, &limit);
      if (!jv) {
        if (!limit) goto nomem;
        *err_line = first_line + k->start_mark.line;
        st = sr_fail(err, SR_ERR_FORMAT, "front matter '%s' nests too deeply or expands too much", key);
        goto done;
      }
      bool ok = cJSON_GetObjectItemCaseSensitive(meta, key) ? cJSON_ReplaceItemInObjectCaseSensitive(meta, key, jv)
                                                             : cJSON_AddItemToObject(meta, key, jv);
      if (!ok) {
        cJSON_Delete(jv);
        goto nomem;
      }
    }
    if (meta && !(out->metadata = cJSON_PrintUnformatted(meta))) goto nomem;
  }
  goto done;
nomem:
  st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
done:
  cJSON_Delete(meta);
  yaml_document_delete(&doc);
  return st;
}

sr_status sr_frontmatter_parse(const char *text, size_t len, sr_frontmatter *out, size_t *err_line,
                               sr_error *err) {
  assert(text && out && err_line);
  memset(out, 0, sizeof *out);
  *err_line = 1;
  const char *p = text, *end = text + len;
  if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
  const char *next;
  size_t n = line_at(p, end, &next);
  if (!is_fence(p, n) || next == end) {
    if (is_fence(p, n)) return sr_fail(err, SR_ERR_FORMAT, "front matter opened by '---' is never closed");
    out->body = p;
    out->body_len = (size_t)(end - p);
    return SR_OK;
  }
  out->present = true;
  const char *yaml = next;
  for (const char *q = yaml; q < end; q = next) {
    n = line_at(q, end, &next);
    if (!is_fence(q, n)) continue;
    sr_status st = parse_yaml(yaml, (size_t)(q - yaml), 2, out, err_line, err);
    if (st != SR_OK) {
      sr_frontmatter_free(out);
      return st;
    }
    out->body = next;
    out->body_len = (size_t)(end - next);
    return SR_OK;
  }
  *err_line = 1;
  return sr_fail(err, SR_ERR_FORMAT, "front matter opened by '---' is never closed");
}

void sr_frontmatter_free(sr_frontmatter *fm) {
  if (!fm) return;
  free(fm->name);
  free(fm->description);
  free(fm->metadata);
  memset(fm, 0, sizeof *fm);
}
