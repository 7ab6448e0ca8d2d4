/* bench_data.h — the inputs of a routing evaluation, read from SkillRouter-style benchmark files.
 *
 *   tasks.jsonl      one JSON object per line: "task_id" (string, required), "instruction_text" (string,
 *                    optional here; required to route the task).
 *   relevance.json   {task_id: {"gt_skill_ids": [...], "core_gt_ids": [...], "relevance": {id: number},
 *                    "task_type": "..."}}; every key optional, a task without an entry has no ground truth.
 *   predictions      {task_id: [ranked skill ids]} (the official submission format).
 *   equivalents.json {ground-truth id: [ids of its copies]}.
 *   pool files       JSONL (optionally .gz) with a "skill_id" per line; several may be unioned.
 *
 * Ownership: every loader returns an object the caller releases with the matching *_free; all strings in
 * it are owned by that object. Loaders fail with SR_ERR_FORMAT and a message "path:line:col: what" (or
 * "path: task 'x': what" for a value of the wrong type) on bad input, and SR_ERR_IO when unreadable.
 */
#ifndef SR_EVAL_BENCH_DATA_H
#define SR_EVAL_BENCH_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/hash.h"
#include "util/status.h"

/* A list of owned, NUL-terminated strings. */
typedef struct sr_id_list {
  char **ids;
  size_t n;
} sr_id_list;

typedef struct sr_bench_task {
  char *task_id;
  char *instruction;         /* NULL when the task line has no "instruction_text" */
  size_t instruction_len;
  char *task_type;           /* NULL when absent from relevance.json */
  /* The ground truth, distinct ids in file order: "core_gt_ids" when that key is present (even when
   * it is an empty list, as the official evaluator does), else "gt_skill_ids", else empty. */
  sr_id_list gt;
  sr_id_list label_ids;      /* graded labels ("relevance" object), in file order ... */
  double *label_rel;         /* ... and their values, label_rel[i] for label_ids.ids[i] */
} sr_bench_task;

typedef struct sr_bench {
  sr_bench_task *tasks;      /* in tasks.jsonl order */
  size_t n_tasks;
} sr_bench;

/* Loads tasks and their relevance entries. Relevance entries of tasks absent from the tasks file are
 * ignored (as the official evaluator does); a duplicate task_id in the tasks file is an error. */
sr_status sr_bench_load(const char *tasks_path, const char *relevance_path, sr_bench **out,
                        sr_error *err);
void sr_bench_free(sr_bench *b);

/* A set of ids (a pool). Owns its keys. */
typedef struct sr_id_set {
  sr_strmap map;
  sr_id_list keys;           /* the owned ids, in insertion order (the map's keys) */
} sr_id_set;

#define SR_ID_SET_INIT {SR_STRMAP_INIT, {NULL, 0}}

/* Adds `id` (copied) if absent. Returns false only when memory runs out. */
bool sr_id_set_add(sr_id_set *s, const char *id);
bool sr_id_set_has(const sr_id_set *s, const char *id);
/* Adds the "skill_id" of every line of a JSONL (or .jsonl.gz) file; empty lines are skipped. A line
 * that is not a JSON object with a string "skill_id" is an SR_ERR_FORMAT error naming path:line. */
sr_status sr_id_set_add_pool_file(sr_id_set *s, const char *path, sr_error *err);
void sr_id_set_free(sr_id_set *s);

/* Predictions: task id → ranked ids (duplicates kept as given). */
typedef struct sr_predictions {
  sr_strmap by_task;         /* task id → index into tasks/lists */
  char **task_ids;
  sr_id_list *lists;
  size_t n, cap;
} sr_predictions;

#define SR_PREDICTIONS_INIT {SR_STRMAP_INIT, NULL, NULL, 0, 0}

sr_status sr_predictions_load(const char *path, sr_predictions *out, sr_error *err);
/* Adds a ranking for `task_id` (strings copied). Fails with SR_ERR_ARG if the task already has one. */
sr_status sr_predictions_add(sr_predictions *p, const char *task_id, const char *const *ids, size_t n,
                             sr_error *err);
/* The ranking of `task_id`, or NULL when there is none. */
const sr_id_list *sr_predictions_get(const sr_predictions *p, const char *task_id);
/* Writes the predictions format (one task per line, in insertion order) atomically to `path`. */
sr_status sr_predictions_write(const sr_predictions *p, const char *path, sr_error *err);
void sr_predictions_free(sr_predictions *p);

/* Equivalents: copy id → ground-truth id. A copy listed under several ground-truth ids keeps the first
 * (in file order); the mapping is one level (a copy of a copy is not followed). */
typedef struct sr_equivalents {
  sr_strmap copy_to_gt;      /* copy id → index into gt_of */
  sr_id_list copies;         /* owned copy ids (the map's keys) */
  sr_id_list gt_of;          /* gt_of.ids[i] is the ground truth of copies.ids[i] */
} sr_equivalents;

#define SR_EQUIVALENTS_INIT {SR_STRMAP_INIT, {NULL, 0}, {NULL, 0}}

sr_status sr_equivalents_load(const char *path, sr_equivalents *out, sr_error *err);
/* The ground-truth id `id` is a copy of, or NULL when it is not a listed copy. */
const char *sr_equivalents_gt(const sr_equivalents *e, const char *id);
void sr_equivalents_free(sr_equivalents *e);

#endif
