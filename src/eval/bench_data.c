/* bench_data.c — loading tasks.jsonl + relevance.json into an sr_bench (see bench_data.h). */
#include "eval/bench_data.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "eval/json_input.h"
#include "util/fileio.h"

static void task_clear(sr_bench_task *t) {
  free(t->task_id);
  free(t->instruction);
  free(t->task_type);
  sr_id_list_clear(&t->gt);
  sr_id_list_clear(&t->label_ids);
  free(t->label_rel);
  memset(t, 0, sizeof *t);
}

void sr_bench_free(sr_bench *b) {
  if (!b) return;
  for (size_t i = 0; i < b->n_tasks; i++) task_clear(&b->tasks[i]);
  free(b->tasks);
  free(b);
}

/* Fills t from one parsed tasks.jsonl line. */
static sr_status task_from_json(const char *path, size_t lineno, const cJSON *obj, sr_bench_task *t,
                                sr_error *err) {
  if (!cJSON_IsObject(obj)) return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: a task must be a JSON object", path, lineno);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "task_id");
  if (!cJSON_IsString(id) || !id->valuestring[0])
    return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: missing or non-string \"task_id\"", path, lineno);
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(obj, "instruction_text");
  if (text && !cJSON_IsNull(text) && !cJSON_IsString(text))
    return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: \"instruction_text\" is not a string", path, lineno);
  t->task_id = sr_eval_strdup(id->valuestring);
  if (!t->task_id) return sr_fail(err, SR_ERR_NOMEM, "%s:%zu: out of memory", path, lineno);
  if (cJSON_IsString(text)) {
    t->instruction = sr_eval_strdup(text->valuestring);
    if (!t->instruction) return sr_fail(err, SR_ERR_NOMEM, "%s:%zu: out of memory", path, lineno);
    t->instruction_len = strlen(t->instruction);
  }
  return SR_OK;
}

/* Reads tasks.jsonl into b (tasks appended in file order). */
static sr_status load_tasks(const char *path, sr_bench *b, sr_error *err) {
  char *text = NULL;
  size_t len = 0;
  sr_status st = sr_read_file(path, SR_EVAL_MAX_JSON_BYTES, &text, &len, err);
  if (st) return st;
  sr_strmap seen = SR_STRMAP_INIT;
  size_t cap = 0, lineno = 0;
  for (const char *line = text; st == SR_OK && line < text + len;) {
    const char *nl = memchr(line, '\n', (size_t)(text + len - line));
    const char *end = nl ? nl : text + len;
    lineno++;
    const char *p = line;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    if (p < end) {
      cJSON *obj = NULL;
      st = sr_json_parse_line(path, lineno, line, (size_t)(end - line), &obj, err);
      if (!st && b->n_tasks == cap) {
        size_t ncap = cap ? cap * 2 : 64;
        sr_bench_task *grown = realloc(b->tasks, ncap * sizeof *grown);
        if (!grown) st = sr_fail(err, SR_ERR_NOMEM, "%s:%zu: out of memory", path, lineno);
        else b->tasks = grown, cap = ncap;
      }
      if (!st) {
        sr_bench_task *t = &b->tasks[b->n_tasks];
        memset(t, 0, sizeof *t);
        b->n_tasks++;
        st = task_from_json(path, lineno, obj, t, err);
        bool inserted = false;
        if (!st && !sr_strmap_put(&seen, t->task_id, strlen(t->task_id), 0, &inserted, NULL))
          st = sr_fail(err, SR_ERR_NOMEM, "%s:%zu: out of memory", path, lineno);
        else if (!st && !inserted)
          st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: duplicate task_id '%s'", path, lineno, t->task_id);
      }
      cJSON_Delete(obj);
    }
    line = end + 1;
  }
  sr_strmap_free(&seen);
  free(text);
  return st;
}

/* Reads a JSON array of strings into `out` keeping the first of repeated ids. */
static sr_status read_id_array(const char *path, const char *task_id, const char *key, const cJSON *arr,
                               sr_id_list *out, sr_error *err) {
  if (!cJSON_IsArray(arr))
    return sr_fail(err, SR_ERR_FORMAT, "%s: task '%s': \"%s\" is not an array", path, task_id, key);
  sr_strmap seen = SR_STRMAP_INIT;
  sr_status st = SR_OK;
  const cJSON *item;
  cJSON_ArrayForEach(item, arr) {
    if (!cJSON_IsString(item)) {
      st = sr_fail(err, SR_ERR_FORMAT, "%s: task '%s': \"%s\" holds a non-string", path, task_id, key);
      break;
    }
    bool inserted = false;
    if (!sr_strmap_put(&seen, item->valuestring, strlen(item->valuestring), 0, &inserted, NULL) ||
        (inserted && !sr_id_list_push(out, item->valuestring))) {
      st = sr_fail(err, SR_ERR_NOMEM, "%s: task '%s': out of memory", path, task_id);
      break;
    }
  }
  sr_strmap_free(&seen);
  return st;
}

/* Reads the "relevance" object {id: number} into t's labels. */
static sr_status read_labels(const char *path, const cJSON *rel, sr_bench_task *t, sr_error *err) {
  if (!cJSON_IsObject(rel))
    return sr_fail(err, SR_ERR_FORMAT, "%s: task '%s': \"relevance\" is not an object", path, t->task_id);
  size_t n = (size_t)cJSON_GetArraySize(rel);
  t->label_rel = calloc(n ? n : 1, sizeof *t->label_rel);
  if (!t->label_rel) return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  const cJSON *item;
  cJSON_ArrayForEach(item, rel) {
    if (!cJSON_IsNumber(item))
      return sr_fail(err, SR_ERR_FORMAT, "%s: task '%s': relevance of '%s' is not a number", path,
                     t->task_id, item->string);
    assert(t->label_ids.n < n);
    t->label_rel[t->label_ids.n] = item->valuedouble;
    if (!sr_id_list_push(&t->label_ids, item->string)) return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  return SR_OK;
}

/* Fills the ground truth, labels and type of t from its relevance.json entry (NULL = none). */
static sr_status task_relevance(const char *path, const cJSON *entry, sr_bench_task *t, sr_error *err) {
  if (!entry || cJSON_IsNull(entry)) return SR_OK;
  if (!cJSON_IsObject(entry))
    return sr_fail(err, SR_ERR_FORMAT, "%s: task '%s': entry is not an object", path, t->task_id);
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(entry, "task_type");
  if (type && !cJSON_IsNull(type)) {
    if (!cJSON_IsString(type))
      return sr_fail(err, SR_ERR_FORMAT, "%s: task '%s': \"task_type\" is not a string", path, t->task_id);
    if (!(t->task_type = sr_eval_strdup(type->valuestring))) return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  const char *gt_key = cJSON_HasObjectItem(entry, "core_gt_ids") ? "core_gt_ids" : "gt_skill_ids";
  const cJSON *gt = cJSON_GetObjectItemCaseSensitive(entry, gt_key);
  sr_status st = gt ? read_id_array(path, t->task_id, gt_key, gt, &t->gt, err) : SR_OK;
  if (st) return st;
  const cJSON *rel = cJSON_GetObjectItemCaseSensitive(entry, "relevance");
  return rel && !cJSON_IsNull(rel) ? read_labels(path, rel, t, err) : SR_OK;
}

sr_status sr_bench_load(const char *tasks_path, const char *relevance_path, sr_bench **out,
                        sr_error *err) {
  assert(tasks_path && relevance_path && out);
  *out = NULL;
  sr_bench *b = calloc(1, sizeof *b);
  if (!b) return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", tasks_path);
  sr_status st = load_tasks(tasks_path, b, err);
  cJSON *rel = NULL;
  if (!st) st = sr_json_read_file(relevance_path, &rel, err);
  if (!st && !cJSON_IsObject(rel))
    st = sr_fail(err, SR_ERR_FORMAT, "%s: expected a JSON object {task_id: {...}}", relevance_path);
  for (size_t i = 0; !st && i < b->n_tasks; i++) {
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(rel, b->tasks[i].task_id);
    st = task_relevance(relevance_path, entry, &b->tasks[i], err);
  }
  cJSON_Delete(rel);
  if (st) {
    sr_bench_free(b);
    return st;
  }
  *out = b;
  return SR_OK;
}
