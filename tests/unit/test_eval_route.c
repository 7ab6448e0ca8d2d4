/* test_eval_route.c — `eval -i` in the library: routing a small bench through a hand-built index,
 * the index as the pool, and scoring the rankings. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "eval/bench_data.h"
#include "eval/eval.h"
#include "eval/eval_route.h"
#include "index/index.h"
#include "test.h"

typedef struct { const char *id, *name, *desc, *body; } toy;

static const toy TOY[] = {
    {"s/pdf", "pdf tools", "read and merge pdf files", "pdf pdf extract text"},
    {"s/xlsx", "spreadsheet", "excel workbook formulas", "xlsx cells formulas"},
    {"s/chart", "charts", "plot charts", "matplotlib chart plot"},
    {"s/other", "weather", "forecast the weather", "rain sun"},
};

static sr_index *build_index(const char *path) {
  sr_entry storage[4];
  sr_catalog c;
  memset(&c, 0, sizeof c);
  for (size_t i = 0; i < 4; i++) {
    storage[i] = (sr_entry){(char *)TOY[i].id, (char *)TOY[i].name, (char *)TOY[i].desc, (char *)TOY[i].body,
                            NULL, NULL, (char *)"test", NULL, SR_KIND_SKILL, 1000 + i};
  }
  c.entries = storage;
  c.n_entries = c.cap_entries = 4;
  sr_build_opts o = {.analyzer = sr_analyzer_defaults(), .threads = 1};
  sr_error err = {0};
  CHECK_OK(sr_index_build(&c, NULL, &o, path, NULL, &err), &err);
  sr_index *ix = NULL;
  CHECK_OK(sr_index_open(path, &ix, &err), &err);
  return ix;
}

static void test_route_and_score(void) {
  const char *d = test_tmpdir();
  char ipath[512], tasks[512], rel[512];
  snprintf(ipath, sizeof ipath, "%s/toy.idx", d);
  snprintf(tasks, sizeof tasks, "%s/tasks.jsonl", d);
  snprintf(rel, sizeof rel, "%s/relevance.json", d);
  test_write_file(tasks,
                  "{\"task_id\":\"t1\",\"instruction_text\":\"merge these pdf files\"}\n"
                  "{\"task_id\":\"t2\",\"instruction_text\":\"plot a chart from the excel workbook\"}\n"
                  "{\"task_id\":\"t3\",\"instruction_text\":\"something else\"}\n"
                  "{\"task_id\":\"t4\"}\n"
                  "{\"task_id\":\"t5\",\"instruction_text\":\"merge pdf\"}\n");
  test_write_file(rel,
                  "{\"t1\":{\"gt_skill_ids\":[\"s/pdf\"]},\"t2\":{\"gt_skill_ids\":[\"s/chart\",\"s/xlsx\"]},"
                  "\"t3\":{\"gt_skill_ids\":[\"s/missing\"]},\"t4\":{\"gt_skill_ids\":[\"s/pdf\"]},"
                  "\"t5\":{\"task_type\":\"generic_only\",\"gt_skill_ids\":[\"s/pdf\"]}}");
  sr_index *ix = build_index(ipath);
  sr_bench *bench = NULL;
  sr_error err = {0};
  CHECK_OK(sr_bench_load(tasks, rel, &bench, &err), &err);
  if (!ix || !bench) return;
  sr_eval_opts opts = {sr_eval_in_index, ix, NULL};
  sr_predictions pred = SR_PREDICTIONS_INIT;
  size_t not_routed = 99;
  CHECK_OK(sr_eval_route_bench(ix, bench, &opts, 50, NULL, &pred, &not_routed, NULL, &err), &err);
  CHECK_INT(not_routed, 1);  /* t4 */
  CHECK_INT(pred.n, 2);      /* t3: ground truth not in the index; t5: generic_only */
  const sr_id_list *r1 = sr_predictions_get(&pred, "t1");
  CHECK(r1 && r1->n >= 1 && !strcmp(r1->ids[0], "s/pdf"));
  CHECK(sr_predictions_get(&pred, "t3") == NULL);
  sr_eval_result *res = NULL;
  CHECK_OK(sr_eval_run(bench, &pred, &opts, &res, &err), &err);
  if (res) {
    CHECK_INT(res->strict[SR_SPLIT_ALL].count, 2);
    CHECK_INT(res->strict[SR_SPLIT_SINGLE].count, 1);
    CHECK_INT(res->skipped_no_gt, 1);
    CHECK_INT(res->skipped_no_prediction, 1);
    CHECK_NEAR(res->strict[SR_SPLIT_SINGLE].mean[SR_M_HIT1], 1.0, 1e-12);
    CHECK_NEAR(res->strict[SR_SPLIT_MULTI].mean[SR_M_RECALL10], 1.0, 1e-12);
    CHECK_NEAR(res->strict[SR_SPLIT_MULTI].mean[SR_M_FULLCOV3], 1.0, 1e-12);
  }
  /* k = 1 keeps one result per task. */
  sr_predictions top1 = SR_PREDICTIONS_INIT;
  CHECK_OK(sr_eval_route_bench(ix, bench, &opts, 1, NULL, &top1, NULL, NULL, &err), &err);
  CHECK(sr_predictions_get(&top1, "t2") && sr_predictions_get(&top1, "t2")->n == 1);
  sr_predictions_free(&top1);
  sr_eval_result_free(res);
  sr_predictions_free(&pred);
  sr_bench_free(bench);
  sr_index_close(ix);
}

/* Recall within the first n positions (the reranker's ceiling on the shortlist), per split and lenient. */
static void test_recall_within(void) {
  const char *d = test_tmpdir();
  char tasks[512], rel[512];
  snprintf(tasks, sizeof tasks, "%s/rw_tasks.jsonl", d);
  snprintf(rel, sizeof rel, "%s/rw_relevance.json", d);
  test_write_file(tasks, "{\"task_id\":\"a\"}\n{\"task_id\":\"b\"}\n");
  test_write_file(rel, "{\"a\":{\"gt_skill_ids\":[\"x\"]},\"b\":{\"gt_skill_ids\":[\"x\",\"y\",\"z\",\"w\"]}}");
  sr_bench *bench = NULL;
  sr_error err = {0};
  CHECK_OK(sr_bench_load(tasks, rel, &bench, &err), &err);
  if (!bench) return;
  sr_predictions pred = SR_PREDICTIONS_INIT;
  const char *ra[] = {"q", "x"}, *rb[] = {"y", "c", "x", "q", "w"};
  CHECK_OK(sr_predictions_add(&pred, "a", ra, 2, &err), &err);
  CHECK_OK(sr_predictions_add(&pred, "b", rb, 5, &err), &err);
  sr_equivalents eq = SR_EQUIVALENTS_INIT;
  char eqp[512];
  snprintf(eqp, sizeof eqp, "%s/rw_eq.json", d);
  test_write_file(eqp, "{\"z\":[\"c\"]}");
  CHECK_OK(sr_equivalents_load(eqp, &eq, &err), &err);
  sr_eval_opts opts = {NULL, NULL, &eq};
  sr_eval_result *res = NULL;
  CHECK_OK(sr_eval_run(bench, &pred, &opts, &res, &err), &err);
  if (res) {
    double r[SR_SPLIT_COUNT];
    sr_eval_recall_within(res, 1, false, r);   /* a: 0/1; b: y → 1/4 */
    CHECK_NEAR(r[SR_SPLIT_SINGLE], 0.0, 1e-12);
    CHECK_NEAR(r[SR_SPLIT_MULTI], 0.25, 1e-12);
    CHECK_NEAR(r[SR_SPLIT_ALL], 0.125, 1e-12);
    sr_eval_recall_within(res, 3, false, r);   /* a: 1; b: y, x → 2/4 */
    CHECK_NEAR(r[SR_SPLIT_ALL], 0.75, 1e-12);
    sr_eval_recall_within(res, 3, true, r);    /* lenient: c counts as z → b: 3/4 */
    CHECK_NEAR(r[SR_SPLIT_MULTI], 0.75, 1e-12);
    sr_eval_recall_within(res, SIZE_MAX, false, r);  /* b: y, x, w */
    CHECK_NEAR(r[SR_SPLIT_MULTI], 0.75, 1e-12);
    /* Recall@10 of the metric set is the same quantity */
    sr_eval_recall_within(res, 10, false, r);
    CHECK_NEAR(r[SR_SPLIT_ALL], res->strict[SR_SPLIT_ALL].mean[SR_M_RECALL10], 1e-12);
  }
  sr_eval_result_free(res);
  sr_equivalents_free(&eq);
  sr_predictions_free(&pred);
  sr_bench_free(bench);
}

int main(void) {
  RUN(test_route_and_score);
  RUN(test_recall_within);
  return test_summary();
}
