/* bench_files.c — id sets (pools), predictions and equivalents (see bench_data.h). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "eval/bench_data.h"
#include "eval/json_input.h"
#include "util/buf.h"
#include "util/fileio.h"

/* ---- id sets ---- */

bool sr_id_set_add(sr_id_set *s, const char *id) {
  if (sr_id_set_has(s, id)) return true;
  if (!sr_id_list_push(&s->keys, id)) return false;
  const char *key = s->keys.ids[s->keys.n - 1];
  if (!sr_strmap_put(&s->map, key, strlen(key), (uint32_t)(s->keys.n - 1), NULL, NULL)) {
    free(s->keys.ids[--s->keys.n]);
    return false;
  }
  return true;
}

bool sr_id_set_has(const sr_id_set *s, const char *id) {
  uint32_t v;
  return sr_strmap_get(&s->map, id, strlen(id), &v);
}

void sr_id_set_free(sr_id_set *s) {
  sr_strmap_free(&s->map);
  sr_id_list_clear(&s->keys);
}

/* Adds the skill_id of one pool line. */
static sr_status pool_line(sr_id_set *s, const char *path, size_t lineno, const char *line, size_t len,
                           sr_error *err) {
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
  if (i == len) return SR_OK;
  cJSON *obj = NULL;
  sr_status st = sr_json_parse_line(path, lineno, line, len, &obj, err);
  if (st) return st;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "skill_id");
  if (!cJSON_IsString(id)) st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: missing or non-string \"skill_id\"", path, lineno);
  else if (!sr_id_set_add(s, id->valuestring)) st = sr_fail(err, SR_ERR_NOMEM, "%s:%zu: out of memory", path, lineno);
  cJSON_Delete(obj);
  return st;
}

sr_status sr_id_set_add_pool_file(sr_id_set *s, const char *path, sr_error *err) {
  errno = 0;
  gzFile gz = gzopen(path, "rb");  /* plain files are read transparently */
  if (!gz) return sr_fail(err, SR_ERR_IO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOENT));
  gzbuffer(gz, 1 << 17);
  sr_buf pending = SR_BUF_INIT;
  char chunk[1 << 16];
  size_t lineno = 0;
  sr_status st = SR_OK;
  for (;;) {
    int n = gzread(gz, chunk, sizeof chunk);
    if (n < 0) {
      int zerr = 0;
      st = sr_fail(err, SR_ERR_IO, "%s: read failed: %s", path, gzerror(gz, &zerr));
      break;
    }
    if (n > 0 && !sr_buf_append(&pending, chunk, (size_t)n)) {
      st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
      break;
    }
    /* Hand every complete line (all of it at end of file) to pool_line. */
    size_t start = 0;
    for (;;) {
      const char *nl = pending.len > start ? memchr(pending.data + start, '\n', pending.len - start) : NULL;
      if (!nl && !(n == 0 && start < pending.len)) break;
      size_t end = nl ? (size_t)(nl - pending.data) : pending.len;
      st = pool_line(s, path, ++lineno, pending.data + start, end - start, err);
      if (st) break;
      start = nl ? end + 1 : end;
    }
    if (st) break;
    if (start) {
      memmove(pending.data, pending.data + start, pending.len - start);
      pending.len -= start;
    }
    if (n == 0) break;
  }
  sr_buf_free(&pending);
  gzclose(gz);
  return st;
}

/* ---- predictions ---- */

sr_status sr_predictions_add(sr_predictions *p, const char *task_id, const char *const *ids, size_t n,
                             sr_error *err) {
  uint32_t existing;
  if (sr_strmap_get(&p->by_task, task_id, strlen(task_id), &existing))
    return sr_fail(err, SR_ERR_ARG, "predictions: task '%s' has two rankings", task_id);
  if (p->n == p->cap) {
    size_t ncap = p->cap ? p->cap * 2 : 64;
    char **tids = realloc(p->task_ids, ncap * sizeof *tids);
    if (!tids) return sr_fail(err, SR_ERR_NOMEM, "predictions: out of memory");
    p->task_ids = tids;
    sr_id_list *lists = realloc(p->lists, ncap * sizeof *lists);
    if (!lists) return sr_fail(err, SR_ERR_NOMEM, "predictions: out of memory");
    p->lists = lists;
    p->cap = ncap;
  }
  sr_id_list list = {NULL, 0};
  char *tid = sr_eval_strdup(task_id);
  bool ok = tid != NULL;
  for (size_t i = 0; ok && i < n; i++) ok = sr_id_list_push(&list, ids[i]);
  if (ok) ok = sr_strmap_put(&p->by_task, tid, strlen(tid), (uint32_t)p->n, NULL, NULL);
  if (!ok) {
    free(tid);
    sr_id_list_clear(&list);
    return sr_fail(err, SR_ERR_NOMEM, "predictions: out of memory");
  }
  p->task_ids[p->n] = tid;
  p->lists[p->n] = list;
  p->n++;
  return SR_OK;
}

const sr_id_list *sr_predictions_get(const sr_predictions *p, const char *task_id) {
  uint32_t i;
  if (!sr_strmap_get(&p->by_task, task_id, strlen(task_id), &i)) return NULL;
  assert(i < p->n);
  return &p->lists[i];
}

void sr_predictions_free(sr_predictions *p) {
  sr_strmap_free(&p->by_task);
  for (size_t i = 0; i < p->n; i++) {
    free(p->task_ids[i]);
    sr_id_list_clear(&p->lists[i]);
  }
  free(p->task_ids);
  free(p->lists);
  memset(p, 0, sizeof *p);
}

/* Adds one task's ranking from its JSON array. */
static sr_status prediction_from_json(sr_predictions *p, const char *path, const cJSON *item, sr_error *err) {
  if (!cJSON_IsArray(item))
    return sr_fail(err, SR_ERR_FORMAT, "%s: task '%s': ranking is not an array", path, item->string);
  size_t n = (size_t)cJSON_GetArraySize(item), i = 0;
  const char **ids = malloc((n ? n : 1) * sizeof *ids);
  if (!ids) return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  const cJSON *id;
  sr_status st = SR_OK;
  cJSON_ArrayForEach(id, item) {
    if (!cJSON_IsString(id)) {
      st = sr_fail(err, SR_ERR_FORMAT, "%s: task '%s': ranking item %zu is not a string", path, item->string, i + 1);
      break;
    }
    ids[i++] = id->valuestring;
  }
  if (!st) st = sr_predictions_add(p, item->string, ids, i, err);
  if (st == SR_ERR_ARG) st = sr_fail(err, SR_ERR_FORMAT, "%s: task '%s' appears twice", path, item->string);
  free(ids);
  return st;
}

sr_status sr_predictions_load(const char *path, sr_predictions *out, sr_error *err) {
  sr_predictions p = SR_PREDICTIONS_INIT;
  cJSON *doc = NULL;
  sr_status st = sr_json_read_file(path, &doc, err);
  if (!st && !cJSON_IsObject(doc))
    st = sr_fail(err, SR_ERR_FORMAT, "%s: expected a JSON object {task_id: [skill ids]}", path);
  const cJSON *item;
  if (!st) cJSON_ArrayForEach(item, doc) {
    st = prediction_from_json(&p, path, item, err);
    if (st) break;
  }
  cJSON_Delete(doc);
  if (st) {
    sr_predictions_free(&p);
    return st;
  }
  *out = p;
  return SR_OK;
}

sr_status sr_predictions_write(const sr_predictions *p, const char *path, sr_error *err) {
  sr_buf b = SR_BUF_INIT;
  bool ok = sr_buf_puts(&b, "{");
  for (size_t i = 0; ok && i < p->n; i++) {
    ok = sr_buf_puts(&b, i ? ",\n  " : "\n  ") && sr_buf_json_string(&b, p->task_ids[i], strlen(p->task_ids[i])) &&
         sr_buf_puts(&b, ": [");
    for (size_t j = 0; ok && j < p->lists[i].n; j++)
      ok = (!j || sr_buf_puts(&b, ", ")) && sr_buf_json_string(&b, p->lists[i].ids[j], strlen(p->lists[i].ids[j]));
    ok = ok && sr_buf_puts(&b, "]");
  }
  ok = ok && sr_buf_puts(&b, p->n ? "\n}\n" : "}\n");
  if (!ok) {
    sr_buf_free(&b);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  sr_status st = sr_write_file_atomic(path, b.data, b.len, err);
  sr_buf_free(&b);
  return st;
}

/* ---- equivalents ---- */

const char *sr_equivalents_gt(const sr_equivalents *e, const char *id) {
  uint32_t i;
  if (!e || !sr_strmap_get(&e->copy_to_gt, id, strlen(id), &i)) return NULL;
  assert(i < e->gt_of.n);
  return e->gt_of.ids[i];
}

void sr_equivalents_free(sr_equivalents *e) {
  sr_strmap_free(&e->copy_to_gt);
  sr_id_list_clear(&e->copies);
  sr_id_list_clear(&e->gt_of);
}

/* Records copy → gt unless the copy already has a ground truth (the first listing wins). */
static bool equivalents_add(sr_equivalents *e, const char *copy, const char *gt) {
  if (sr_equivalents_gt(e, copy)) return true;
  if (!sr_id_list_push(&e->copies, copy)) return false;
  if (!sr_id_list_push(&e->gt_of, gt)) {
    free(e->copies.ids[--e->copies.n]);
    return false;
  }
  const char *key = e->copies.ids[e->copies.n - 1];
  if (sr_strmap_put(&e->copy_to_gt, key, strlen(key), (uint32_t)(e->copies.n - 1), NULL, NULL)) return true;
  free(e->copies.ids[--e->copies.n]);
  free(e->gt_of.ids[--e->gt_of.n]);
  return false;
}

sr_status sr_equivalents_load(const char *path, sr_equivalents *out, sr_error *err) {
  sr_equivalents e = SR_EQUIVALENTS_INIT;
  cJSON *doc = NULL;
  sr_status st = sr_json_read_file(path, &doc, err);
  if (!st && !cJSON_IsObject(doc))
    st = sr_fail(err, SR_ERR_FORMAT, "%s: expected a JSON object {ground-truth id: [copy ids]}", path);
  const cJSON *gt;
  if (!st) cJSON_ArrayForEach(gt, doc) {
    if (!cJSON_IsArray(gt)) {
      st = sr_fail(err, SR_ERR_FORMAT, "%s: '%s': copies are not an array", path, gt->string);
      break;
    }
    const cJSON *copy;
    cJSON_ArrayForEach(copy, gt) {
      if (!cJSON_IsString(copy)) {
        st = sr_fail(err, SR_ERR_FORMAT, "%s: '%s': a copy id is not a string", path, gt->string);
        break;
      }
      if (!equivalents_add(&e, copy->valuestring, gt->string)) {
        st = sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
        break;
      }
    }
    if (st) break;
  }
  cJSON_Delete(doc);
  if (st) {
    sr_equivalents_free(&e);
    return st;
  }
  *out = e;
  return SR_OK;
}
