/* eval.c — task selection, strict/lenient scoring and aggregation (see eval.h). */
#include "eval/eval.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

const char *sr_split_name(sr_split s) {
  static const char *const NAMES[SR_SPLIT_COUNT] = {"all", "single", "multi"};
  assert(s < SR_SPLIT_COUNT);
  return NAMES[s];
}

bool sr_eval_in_id_set(const char *id, void *ctx) { return sr_id_set_has((const sr_id_set *)ctx, id); }

static bool in_pool(const sr_eval_opts *o, const char *id) { return !o->in_pool || o->in_pool(id, o->pool_ctx); }

static bool is_generic_only(const sr_bench_task *t) {
  return t->task_type && !strcmp(t->task_type, "generic_only");
}

bool sr_eval_task_selected(const sr_bench_task *t, const sr_eval_opts *opts) {
  if (is_generic_only(t)) return false;
  for (size_t i = 0; i < t->gt.n; i++)
    if (in_pool(opts, t->gt.ids[i])) return true;
  return false;
}

static void task_score_clear(sr_task_score *s) {
  free(s->gt);
  free(s->rank);
  free(s->rank_lenient);
}

void sr_eval_result_free(sr_eval_result *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n_tasks; i++) task_score_clear(&r->tasks[i]);
  free(r->tasks);
  free(r);
}

/* 1-based first position of id in ranked, 0 when absent. */
static size_t first_rank(const char *const *ranked, size_t n, const char *id) {
  for (size_t i = 0; i < n; i++)
    if (ranked[i] && !strcmp(ranked[i], id)) return i + 1;
  return 0;
}

/* The lenient rewrite of ranked into out (see eval.h); *dup set when an id repeats as given.
 * Returns false when memory runs out. */
static bool lenient_rewrite(const char *const *ranked, size_t n, const sr_equivalents *eq, const char **out,
                            bool *dup) {
  sr_strmap seen = SR_STRMAP_INIT, given = SR_STRMAP_INIT;
  bool ok = true;
  *dup = false;
  for (size_t i = 0; ok && i < n; i++) {
    bool inserted = false;
    ok = sr_strmap_put(&given, ranked[i], strlen(ranked[i]), 0, &inserted, NULL);
    if (!inserted) *dup = true;
    const char *gt = eq ? sr_equivalents_gt(eq, ranked[i]) : NULL;
    const char *id = gt ? gt : ranked[i];
    ok = ok && sr_strmap_put(&seen, id, strlen(id), 0, &inserted, NULL);
    out[i] = inserted ? id : NULL;
  }
  sr_strmap_free(&seen);
  sr_strmap_free(&given);
  return ok;
}

/* Scores one selected task with its ranking into s. */
static sr_status score_task(const sr_bench_task *t, const sr_id_list *ranking, const sr_eval_opts *o,
                            sr_task_score *s, sr_error *err) {
  memset(s, 0, sizeof *s);
  s->task_id = t->task_id;
  s->single = t->gt.n == 1;
  size_t n = ranking->n;
  s->gt = malloc(t->gt.n * sizeof *s->gt);
  s->rank = calloc(t->gt.n, sizeof *s->rank);
  const char **labels = malloc((t->label_ids.n ? t->label_ids.n : 1) * sizeof *labels);
  double *rels = malloc((t->label_ids.n ? t->label_ids.n : 1) * sizeof *rels);
  const char **rewritten = malloc((n ? n : 1) * sizeof *rewritten);
  bool ok = s->gt && s->rank && labels && rels && rewritten;
  if (ok && o->equivalents) ok = (s->rank_lenient = calloc(t->gt.n, sizeof *s->rank_lenient)) != NULL;
  if (ok) ok = lenient_rewrite((const char *const *)ranking->ids, n, o->equivalents, rewritten, &s->has_duplicates);
  if (ok) {
    for (size_t i = 0; i < t->gt.n; i++)
      if (in_pool(o, t->gt.ids[i])) s->gt[s->n_gt++] = t->gt.ids[i];
    assert(s->n_gt > 0);
    size_t n_labels = 0;
    for (size_t i = 0; i < t->label_ids.n; i++)
      if (in_pool(o, t->label_ids.ids[i])) {
        labels[n_labels] = t->label_ids.ids[i];
        rels[n_labels++] = t->label_rel[i];
      }
    sr_judgement j = {s->gt, s->n_gt, labels, rels, n_labels};
    sr_score_ranking((const char *const *)ranking->ids, n, &j, s->strict);
    for (size_t g = 0; g < s->n_gt; g++) s->rank[g] = first_rank((const char *const *)ranking->ids, n, s->gt[g]);
    if (o->equivalents) {
      sr_score_ranking(rewritten, n, &j, s->lenient);
      for (size_t g = 0; g < s->n_gt; g++) s->rank_lenient[g] = first_rank(rewritten, n, s->gt[g]);
    }
  }
  free(labels);
  free(rels);
  free(rewritten);
  if (!ok) {
    task_score_clear(s);
    return sr_fail(err, SR_ERR_NOMEM, "eval: task '%s': out of memory", t->task_id);
  }
  return SR_OK;
}

/* Averages the scored tasks into strict/lenient split means. */
static void aggregate(sr_eval_result *r) {
  for (size_t i = 0; i < r->n_tasks; i++) {
    const sr_task_score *s = &r->tasks[i];
    sr_split splits[2] = {SR_SPLIT_ALL, s->single ? SR_SPLIT_SINGLE : SR_SPLIT_MULTI};
    for (int k = 0; k < 2; k++) {
      r->strict[splits[k]].count++;
      r->lenient[splits[k]].count++;
      for (int m = 0; m < SR_METRIC_COUNT; m++) {
        r->strict[splits[k]].mean[m] += s->strict[m];
        r->lenient[splits[k]].mean[m] += s->lenient[m];
      }
    }
  }
  for (int sp = 0; sp < SR_SPLIT_COUNT; sp++)
    for (int m = 0; m < SR_METRIC_COUNT; m++) {
      if (r->strict[sp].count) r->strict[sp].mean[m] /= (double)r->strict[sp].count;
      if (r->lenient[sp].count) r->lenient[sp].mean[m] /= (double)r->lenient[sp].count;
    }
}

sr_status sr_eval_run(const sr_bench *bench, const sr_predictions *pred, const sr_eval_opts *opts,
                      sr_eval_result **out, sr_error *err) {
  assert(bench && pred && opts && out);
  *out = NULL;
  sr_eval_result *r = calloc(1, sizeof *r);
  if (r) r->tasks = calloc(bench->n_tasks ? bench->n_tasks : 1, sizeof *r->tasks);
  if (!r || !r->tasks) {
    free(r);
    return sr_fail(err, SR_ERR_NOMEM, "eval: out of memory");
  }
  r->has_lenient = opts->equivalents != NULL;
  for (size_t i = 0; i < bench->n_tasks; i++) {
    const sr_bench_task *t = &bench->tasks[i];
    if (is_generic_only(t)) {
      r->skipped_generic++;
      continue;
    }
    if (!sr_eval_task_selected(t, opts)) {
      r->skipped_no_gt++;
      continue;
    }
    const sr_id_list *ranking = sr_predictions_get(pred, t->task_id);
    if (!ranking) {
      r->skipped_no_prediction++;
      continue;
    }
    sr_status st = score_task(t, ranking, opts, &r->tasks[r->n_tasks], err);
    if (st) {
      sr_eval_result_free(r);
      return st;
    }
    r->n_tasks++;
  }
  aggregate(r);
  *out = r;
  return SR_OK;
}

void sr_eval_recall_within(const sr_eval_result *r, size_t depth, bool lenient, double out[SR_SPLIT_COUNT]) {
  for (int sp = 0; sp < SR_SPLIT_COUNT; sp++) out[sp] = 0;
  if (lenient && !r->has_lenient) return;
  for (size_t i = 0; i < r->n_tasks; i++) {
    const sr_task_score *t = &r->tasks[i];
    const size_t *rank = lenient ? t->rank_lenient : t->rank;
    size_t found = 0;
    for (size_t g = 0; g < t->n_gt; g++) found += rank[g] >= 1 && rank[g] <= depth;
    double f = (double)found / (double)t->n_gt;
    out[SR_SPLIT_ALL] += f;
    out[t->single ? SR_SPLIT_SINGLE : SR_SPLIT_MULTI] += f;
  }
  for (int sp = 0; sp < SR_SPLIT_COUNT; sp++)
    if (r->strict[sp].count) out[sp] /= (double)r->strict[sp].count;
}

/* Adds {"all":..,"single":..,"multi":..,"count":n} for `splits` to obj; false when memory runs out. */
static bool add_splits(cJSON *obj, const sr_split_scores *splits) {
  for (int sp = 0; sp < SR_SPLIT_COUNT; sp++) {
    cJSON *o = cJSON_AddObjectToObject(obj, sr_split_name((sr_split)sp));
    if (!o) return false;
    for (int m = 0; splits[sp].count && m < SR_METRIC_COUNT; m++)
      if (!cJSON_AddNumberToObject(o, sr_metric_name((sr_metric)m), splits[sp].mean[m])) return false;
    if (!cJSON_AddNumberToObject(o, "count", (double)splits[sp].count)) return false;
  }
  return cJSON_AddNumberToObject(obj, "count", (double)splits[SR_SPLIT_ALL].count) != NULL;
}

char *sr_eval_result_json(const sr_eval_result *r, bool pretty) {
  cJSON *root = cJSON_CreateObject();
  bool ok = root && add_splits(root, r->strict);
  if (ok && r->has_lenient) {
    cJSON *len = cJSON_AddObjectToObject(root, "lenient");
    ok = len && add_splits(len, r->lenient);
  }
  char *text = ok ? (pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root)) : NULL;
  cJSON_Delete(root);
  return text;
}
