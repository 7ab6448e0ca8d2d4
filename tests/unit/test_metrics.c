/* test_metrics.c — hand-computed SkillRouter metrics, task selection, splits, pools, lenient scoring
 * and loader errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/bench_data.h"
#include "eval/eval.h"
#include "eval/metrics.h"
#include "test.h"

#define TOL 1e-12
static const double L3 = 0.63092975357145743710;  /* 1 / log2(3) */
static const double L5 = 0.43067655807339305067;  /* 1 / log2(5) */

static void test_binary_ranking(void) {
  const char *gt[] = {"a", "b"};
  const char *ranked[] = {"x", "a", "y", "b", "z"};
  sr_judgement j = {gt, 2, NULL, NULL, 0};
  double m[SR_METRIC_COUNT];
  sr_score_ranking(ranked, 5, &j, m);
  CHECK_NEAR(m[SR_M_NDCG1], 0.0, TOL);
  CHECK_NEAR(m[SR_M_NDCG3], L3 / (1 + L3), TOL);
  CHECK_NEAR(m[SR_M_NDCG10], (L3 + L5) / (1 + L3), TOL);
  CHECK_NEAR(m[SR_M_HIT1], 0.0, TOL);
  CHECK_NEAR(m[SR_M_PRECISION3], 1.0 / 3, TOL);
  CHECK_NEAR(m[SR_M_MRR10], 0.5, TOL);
  CHECK_NEAR(m[SR_M_RECALL10], 1.0, TOL);
  CHECK_NEAR(m[SR_M_FULLCOV3], 0.0, TOL);
  CHECK_NEAR(m[SR_M_FULLCOV5], 1.0, TOL);
  CHECK_NEAR(m[SR_M_FULLCOV10], 1.0, TOL);
  CHECK_STR(sr_metric_name(SR_M_FULLCOV10), "FullCoverage@10");
}

static void test_graded_ranking(void) {
  const char *gt[] = {"a"};
  const char *labels[] = {"a", "d", "e"};
  const double rel[] = {3, 1, 1};
  const char *ranked[] = {"d", "a", "q"};
  sr_judgement j = {gt, 1, labels, rel, 3};
  double m[SR_METRIC_COUNT];
  sr_score_ranking(ranked, 3, &j, m);
  CHECK_NEAR(m[SR_M_NDCG1], 1.0 / 3, TOL);
  CHECK_NEAR(m[SR_M_NDCG3], (1 + 3 * L3) / (3 + L3 + 0.5), TOL);
  CHECK_NEAR(m[SR_M_NDCG10], (1 + 3 * L3) / (3 + L3 + 0.5), TOL);
  CHECK_NEAR(m[SR_M_HIT1], 0.0, TOL);
  CHECK_NEAR(m[SR_M_MRR10], 0.5, TOL);
}

/* Recall@k and FullCoverage only see the top k; MRR only the top 10; an empty ranking scores 0. */
static void test_cutoffs_and_empty(void) {
  const char *gt[] = {"g1", "g2"};
  const char *ranked[60];
  char names[60][16];
  for (int i = 0; i < 60; i++) {
    snprintf(names[i], sizeof names[i], "n%d", i);
    ranked[i] = names[i];
  }
  ranked[15] = "g1";  /* rank 16 */
  ranked[45] = "g2";  /* rank 46 */
  sr_judgement j = {gt, 2, NULL, NULL, 0};
  double m[SR_METRIC_COUNT];
  sr_score_ranking(ranked, 60, &j, m);
  CHECK_NEAR(m[SR_M_RECALL10], 0.0, TOL);
  CHECK_NEAR(m[SR_M_RECALL20], 0.5, TOL);
  CHECK_NEAR(m[SR_M_RECALL50], 1.0, TOL);
  CHECK_NEAR(m[SR_M_MRR10], 0.0, TOL);
  CHECK_NEAR(m[SR_M_NDCG10], 0.0, TOL);
  sr_score_ranking(NULL, 0, &j, m);
  for (int k = 0; k < SR_METRIC_COUNT; k++) CHECK_NEAR(m[k], 0.0, TOL);
}

/* Repeated ids count again in Precision@3 and DCG, as in the official evaluator. */
static void test_duplicates_counted(void) {
  const char *gt[] = {"a"};
  const char *ranked[] = {"a", "a", "b"};
  sr_judgement j = {gt, 1, NULL, NULL, 0};
  double m[SR_METRIC_COUNT];
  sr_score_ranking(ranked, 3, &j, m);
  CHECK_NEAR(m[SR_M_PRECISION3], 2.0 / 3, TOL);
  CHECK_NEAR(m[SR_M_NDCG3], 1 + L3, TOL);
  CHECK_NEAR(m[SR_M_RECALL10], 1.0, TOL);
}

/* ---- the evaluation driver on a small bench ---- */

static char path_tasks[512], path_rel[512], path_pred[512], path_pool[512], path_eq[512];

static void write_bench(void) {
  const char *d = test_tmpdir();
  snprintf(path_tasks, sizeof path_tasks, "%s/tasks.jsonl", d);
  snprintf(path_rel, sizeof path_rel, "%s/relevance.json", d);
  snprintf(path_pred, sizeof path_pred, "%s/pred.json", d);
  snprintf(path_pool, sizeof path_pool, "%s/pool.jsonl", d);
  snprintf(path_eq, sizeof path_eq, "%s/eq.json", d);
  test_write_file(path_tasks,
                  "{\"task_id\":\"t1\",\"instruction_text\":\"one\"}\n"
                  "{\"task_id\":\"t2\",\"instruction_text\":\"two\"}\n\n"
                  "{\"task_id\":\"t3\"}\n{\"task_id\":\"t4\"}\n{\"task_id\":\"t5\"}\n"
                  "{\"task_id\":\"t6\"}\n{\"task_id\":\"t7\"}\n");
  test_write_file(path_rel,
                  "{\"t1\":{\"task_type\":\"clean\",\"gt_skill_ids\":[\"a\"],\"core_gt_ids\":[\"a\"],"
                  "\"relevance\":{\"a\":3,\"da\":1}},\n"
                  "\"t2\":{\"task_type\":\"mixed\",\"gt_skill_ids\":[\"b\",\"c\",\"pdf\"],\"core_gt_ids\":[\"b\",\"c\"],"
                  "\"relevance\":{\"b\":3,\"c\":3,\"pdf\":3,\"db\":1}},\n"
                  "\"t3\":{\"task_type\":\"generic_only\",\"gt_skill_ids\":[\"pdf\"],\"core_gt_ids\":[],\"relevance\":{\"pdf\":3}},\n"
                  "\"t4\":{\"task_type\":\"clean\",\"gt_skill_ids\":[\"gone\"]},\n"
                  "\"t5\":{\"task_type\":\"clean\",\"gt_skill_ids\":[\"e\"]},\n"
                  "\"t6\":{\"task_type\":\"clean\",\"gt_skill_ids\":[\"f\",\"g\",\"f\"],\"relevance\":{}},\n"
                  "\"t9\":{\"gt_skill_ids\":[\"a\"]}}\n");
  test_write_file(path_pred,
                  "{\"t1\":[\"x\",\"a\"],\"t2\":[\"b\",\"pdf\",\"c\"],\"t3\":[\"pdf\"],\"t4\":[\"gone\"],"
                  "\"t6\":[\"f_copy\",\"f\",\"g\"],\"t7\":[\"a\"]}");
  test_write_file(path_pool,
                  "{\"skill_id\":\"a\",\"name\":\"A\"}\n{\"skill_id\":\"x\"}\n{\"skill_id\":\"b\"}\n"
                  "{\"skill_id\":\"c\"}\n{\"skill_id\":\"pdf\"}\n{\"skill_id\":\"e\"}\n{\"skill_id\":\"f\"}\n"
                  "{\"skill_id\":\"f_copy\"}\n{\"skill_id\":\"da\"}");  /* last line without newline */
  test_write_file(path_eq, "{\"a\":[\"a_copy\"],\"f\":[\"f_copy\"],\"c\":[\"c_copy\",\"f_copy\"]}");
}

typedef struct loaded {
  sr_bench *bench;
  sr_predictions pred;
  sr_id_set pool;
  sr_equivalents eq;
} loaded;

static void load_all(loaded *l) {
  sr_error err = {0};
  memset(l, 0, sizeof *l);
  CHECK_OK(sr_bench_load(path_tasks, path_rel, &l->bench, &err), &err);
  CHECK_OK(sr_predictions_load(path_pred, &l->pred, &err), &err);
  CHECK_OK(sr_id_set_add_pool_file(&l->pool, path_pool, &err), &err);
  CHECK_OK(sr_equivalents_load(path_eq, &l->eq, &err), &err);
}

static void free_all(loaded *l) {
  sr_bench_free(l->bench);
  sr_predictions_free(&l->pred);
  sr_id_set_free(&l->pool);
  sr_equivalents_free(&l->eq);
}

static void test_load_bench(void) {
  write_bench();
  loaded l;
  load_all(&l);
  CHECK_INT(l.bench->n_tasks, 7);
  CHECK_STR(l.bench->tasks[0].instruction, "one");
  CHECK(l.bench->tasks[2].instruction == NULL);
  CHECK_INT(l.bench->tasks[2].gt.n, 0);            /* core_gt_ids present and empty wins */
  CHECK_INT(l.bench->tasks[1].gt.n, 2);            /* core_gt_ids preferred */
  CHECK_INT(l.bench->tasks[5].gt.n, 2);            /* gt_skill_ids, repeats dropped */
  CHECK_INT(l.bench->tasks[1].label_ids.n, 4);
  CHECK_INT(l.pool.keys.n, 9);
  CHECK_STR(sr_equivalents_gt(&l.eq, "f_copy"), "f");  /* first listing wins */
  CHECK(sr_equivalents_gt(&l.eq, "f") == NULL);
  CHECK_INT(sr_predictions_get(&l.pred, "t6")->n, 3);
  free_all(&l);
}

static void test_eval_strict_and_lenient(void) {
  loaded l;
  load_all(&l);
  sr_eval_opts opts = {sr_eval_in_id_set, &l.pool, &l.eq};
  sr_eval_result *r = NULL;
  sr_error err = {0};
  CHECK_OK(sr_eval_run(l.bench, &l.pred, &opts, &r, &err), &err);
  if (!r) return;
  CHECK_INT(r->n_tasks, 3);  /* t1, t2, t6 */
  CHECK_INT(r->skipped_generic, 1);
  CHECK_INT(r->skipped_no_gt, 2);  /* t4 (not in pool), t7 (no relevance entry) */
  CHECK_INT(r->skipped_no_prediction, 1);
  CHECK_INT(r->strict[SR_SPLIT_SINGLE].count, 1);
  CHECK_INT(r->strict[SR_SPLIT_MULTI].count, 2);  /* t6: unfiltered GT {f, g} */
  /* t1 graded with {a:3, da:1}; t2 graded with {b,c,pdf:3} (db not in pool); t6 binary with G = {f}. */
  const sr_task_score *t1 = &r->tasks[0], *t2 = &r->tasks[1], *t6 = &r->tasks[2];
  CHECK_NEAR(t1->strict[SR_M_NDCG3], 3 * L3 / (3 + L3), TOL);
  CHECK_NEAR(t1->strict[SR_M_NDCG10], 3 * L3 / (3 + L3), TOL);
  CHECK_NEAR(t2->strict[SR_M_NDCG10], 1.0, TOL);
  CHECK_NEAR(t2->strict[SR_M_PRECISION3], 2.0 / 3, TOL);
  CHECK_INT(t6->n_gt, 1);
  CHECK_NEAR(t6->strict[SR_M_NDCG3], L3, TOL);
  CHECK_INT(t6->rank[0], 2);
  CHECK_INT(t6->rank_lenient[0], 1);
  CHECK_NEAR(t6->lenient[SR_M_NDCG10], 1.0, TOL);
  CHECK_NEAR(t6->lenient[SR_M_PRECISION3], 1.0 / 3, TOL);  /* f counted once, at its copy's rank */
  CHECK_NEAR(r->strict[SR_SPLIT_ALL].mean[SR_M_HIT1], 1.0 / 3, TOL);
  CHECK_NEAR(r->strict[SR_SPLIT_ALL].mean[SR_M_MRR10], 2.0 / 3, TOL);
  CHECK_NEAR(r->lenient[SR_SPLIT_ALL].mean[SR_M_HIT1], 2.0 / 3, TOL);
  CHECK_NEAR(r->lenient[SR_SPLIT_ALL].mean[SR_M_MRR10], 2.5 / 3, TOL);
  CHECK_NEAR(r->strict[SR_SPLIT_SINGLE].mean[SR_M_MRR10], 0.5, TOL);
  CHECK_NEAR(r->strict[SR_SPLIT_MULTI].mean[SR_M_MRR10], 0.75, TOL);
  CHECK_NEAR(r->strict[SR_SPLIT_MULTI].mean[SR_M_NDCG3], (1 + L3) / 2, TOL);
  char *json = sr_eval_result_json(r, false);
  CHECK(json && strstr(json, "\"lenient\":{\"all\":{\"nDCG@1\":"));
  CHECK(json && strstr(json, "\"count\":3}"));
  free(json);
  sr_eval_result_free(r);
  free_all(&l);
}

static void test_eval_without_pool(void) {
  loaded l;
  load_all(&l);
  sr_eval_opts opts = {NULL, NULL, NULL};
  sr_eval_result *r = NULL;
  sr_error err = {0};
  CHECK_OK(sr_eval_run(l.bench, &l.pred, &opts, &r, &err), &err);
  if (!r) return;
  CHECK_INT(r->n_tasks, 4);  /* t4 now scored: "gone" is not filtered out */
  CHECK(!r->has_lenient);
  /* t2's labels now include db:1, so the ideal DCG@10 grows by 1/log2(5). */
  CHECK_NEAR(r->tasks[1].strict[SR_M_NDCG10], (3 + 3 * L3 + 1.5) / (3 + 3 * L3 + 1.5 + L5), TOL);
  CHECK_NEAR(r->tasks[3].strict[SR_M_RECALL10], 1.0, TOL);  /* t6: G = {f, g}, both ranked */
  char *json = sr_eval_result_json(r, true);
  CHECK(json && !strstr(json, "lenient"));
  free(json);
  sr_eval_result_free(r);
  free_all(&l);
}

static void test_predictions_roundtrip(void) {
  sr_predictions p = SR_PREDICTIONS_INIT, q = SR_PREDICTIONS_INIT;
  sr_error err = {0};
  const char *ids[] = {"a\"quoted", "b/c"};
  CHECK_OK(sr_predictions_add(&p, "t1", ids, 2, &err), &err);
  CHECK_OK(sr_predictions_add(&p, "t2", NULL, 0, &err), &err);
  CHECK_INT(sr_predictions_add(&p, "t1", ids, 1, &err), SR_ERR_ARG);
  char path[600];
  snprintf(path, sizeof path, "%s/out.json", test_tmpdir());
  CHECK_OK(sr_predictions_write(&p, path, &err), &err);
  CHECK_OK(sr_predictions_load(path, &q, &err), &err);
  CHECK_INT(q.n, 2);
  const sr_id_list *l = sr_predictions_get(&q, "t1");
  CHECK(l && l->n == 2 && !strcmp(l->ids[0], "a\"quoted"));
  CHECK(sr_predictions_get(&q, "t2") && sr_predictions_get(&q, "t2")->n == 0);
  sr_predictions_free(&p);
  sr_predictions_free(&q);
}

/* Expects loading `text` with `load` to fail with `code` and a message containing `needle`. */
static void expect_error(int which, const char *text, sr_status code, const char *needle) {
  char path[600];
  snprintf(path, sizeof path, "%s/bad%d.json", test_tmpdir(), which);
  test_write_file(path, text);
  sr_error err = {0};
  sr_status st = SR_OK;
  if (which == 0) {
    sr_bench *b = NULL;
    st = sr_bench_load(path, path_rel, &b, &err);
    sr_bench_free(b);
  } else if (which == 1) {
    sr_bench *b = NULL;
    st = sr_bench_load(path_tasks, path, &b, &err);
    sr_bench_free(b);
  } else if (which == 2) {
    sr_predictions p = SR_PREDICTIONS_INIT;
    st = sr_predictions_load(path, &p, &err);
    sr_predictions_free(&p);
  } else if (which == 3) {
    sr_id_set s = SR_ID_SET_INIT;
    st = sr_id_set_add_pool_file(&s, path, &err);
    sr_id_set_free(&s);
  } else {
    sr_equivalents e = SR_EQUIVALENTS_INIT;
    st = sr_equivalents_load(path, &e, &err);
    sr_equivalents_free(&e);
  }
  CHECK_INT(st, code);
  CHECK_MSG(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

static void test_loader_errors(void) {
  expect_error(0, "{\"task_id\":\"t1\"}\n{\"task_id\": 5}\n", SR_ERR_FORMAT, "bad0.json:2: missing or non-string \"task_id\"");
  expect_error(0, "{\"task_id\":\"t1\"}\n\n{\"task_id\":\"t2\",}\n", SR_ERR_FORMAT, "bad0.json:3:");
  expect_error(0, "{\"task_id\":\"t1\"}\n{\"task_id\":\"t1\"}\n", SR_ERR_FORMAT, "duplicate task_id 't1'");
  expect_error(1, "{\"t1\": {\"gt_skill_ids\": [\"a\"]},\n \"t2\": {\"gt_skill_ids\": [\"a\" \"b\"]}}", SR_ERR_FORMAT, "bad1.json:2:");
  expect_error(1, "{\"t1\": {\"gt_skill_ids\": \"a\"}}", SR_ERR_FORMAT, "task 't1': \"gt_skill_ids\" is not an array");
  expect_error(1, "{\"t1\": {\"relevance\": {\"a\": \"high\"}}}", SR_ERR_FORMAT, "relevance of 'a' is not a number");
  expect_error(1, "[1, 2]", SR_ERR_FORMAT, "expected a JSON object");
  expect_error(2, "{\"t1\": [\"a\", 3]}", SR_ERR_FORMAT, "ranking item 2 is not a string");
  expect_error(2, "{\"t1\": [\"a\"], \"t1\": []}", SR_ERR_FORMAT, "appears twice");
  expect_error(2, "", SR_ERR_FORMAT, "bad2.json:1:1: invalid JSON");
  expect_error(3, "{\"skill_id\":\"a\"}\n{\"name\":\"b\"}\n", SR_ERR_FORMAT, "bad3.json:2: missing or non-string \"skill_id\"");
  expect_error(4, "{\"a\": \"b\"}", SR_ERR_FORMAT, "'a': copies are not an array");
  sr_error err = {0};
  sr_bench *b = NULL;
  CHECK_INT(sr_bench_load("/nonexistent/tasks.jsonl", path_rel, &b, &err), SR_ERR_IO);
  CHECK(strstr(err.msg, "/nonexistent/tasks.jsonl") != NULL);
}

int main(void) {
  RUN(test_binary_ranking);
  RUN(test_graded_ranking);
  RUN(test_cutoffs_and_empty);
  RUN(test_duplicates_counted);
  RUN(test_load_bench);
  RUN(test_eval_strict_and_lenient);
  RUN(test_eval_without_pool);
  RUN(test_predictions_roundtrip);
  RUN(test_loader_errors);
  return test_summary();
}
