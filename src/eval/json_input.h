/* json_input.h — small helpers shared by the eval loaders: reading a JSON document with positioned
 * errors, and growing owned string lists. Internal to src/eval. */
#ifndef SR_EVAL_JSON_INPUT_H
#define SR_EVAL_JSON_INPUT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "eval/bench_data.h"
#include "util/status.h"

/* Largest JSON document the loaders read whole. */
#define SR_EVAL_MAX_JSON_BYTES ((size_t)1 << 30)

/* Reads and parses the JSON document at `path` (.gz allowed). On a syntax error fails with
 * SR_ERR_FORMAT "path:line:col: invalid JSON". The caller cJSON_Delete()s *out. */
sr_status sr_json_read_file(const char *path, cJSON **out, sr_error *err);

/* Parses one JSONL line (text[0..len), `lineno` 1-based, for the message) into *out. */
sr_status sr_json_parse_line(const char *path, size_t lineno, const char *text, size_t len, cJSON **out,
                             sr_error *err);

/* Appends a copy of s to the list; false when memory runs out (the list is then unchanged). */
bool sr_id_list_push(sr_id_list *l, const char *s);
/* Frees every string and the array; leaves an empty list. */
void sr_id_list_clear(sr_id_list *l);

/* A malloc'd copy of s, or NULL when memory runs out. */
char *sr_eval_strdup(const char *s);

#endif
