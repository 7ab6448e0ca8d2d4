/* json_input.c — JSON reading with positioned errors and owned string lists (see json_input.h). */
#include "eval/json_input.h"

#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/utf8.h"

char *sr_eval_strdup(const char *s) {
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

bool sr_id_list_push(sr_id_list *l, const char *s) {
  char *copy = sr_eval_strdup(s);
  if (!copy) return false;
  /* Capacity is implicit: 4 for n <= 4, else the next power of two >= n; grow when n reaches it. */
  size_t n = l->n;
  if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
    size_t cap = n ? n * 2 : 4;
    char **grown = realloc(l->ids, cap * sizeof *grown);
    if (!grown) {
      free(copy);
      return false;
    }
    l->ids = grown;
  }
  l->ids[l->n++] = copy;
  return true;
}

void sr_id_list_clear(sr_id_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->ids[i]);
  free(l->ids);
  l->ids = NULL;
  l->n = 0;
}

/* Records an SR_ERR_FORMAT error at the position of `at` inside text[0..len). */
static sr_status fail_at(const char *path, size_t first_line, const char *text, size_t len,
                         const char *at, sr_error *err) {
  size_t offset = (at && at >= text && at <= text + len) ? (size_t)(at - text) : len;
  size_t line = 1, col = 1;
  sr_text_position(text, offset, &line, &col);
  return sr_fail(err, SR_ERR_FORMAT, "%s:%zu:%zu: invalid JSON", path, first_line + line - 1, col);
}

sr_status sr_json_parse_line(const char *path, size_t lineno, const char *text, size_t len, cJSON **out,
                             sr_error *err) {
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
  if (!doc) return fail_at(path, lineno, text, len, end, err);
  /* Trailing non-space after the value is an error too. */
  while (end && end < text + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) end++;
  if (end && end < text + len) {
    cJSON_Delete(doc);
    return fail_at(path, lineno, text, len, end, err);
  }
  *out = doc;
  return SR_OK;
}

sr_status sr_json_read_file(const char *path, cJSON **out, sr_error *err) {
  char *text = NULL;
  size_t len = 0;
  sr_status st = sr_read_file(path, SR_EVAL_MAX_JSON_BYTES, &text, &len, err);
  if (st) return st;
  st = sr_json_parse_line(path, 1, text, len, out, err);
  free(text);
  return st;
}
