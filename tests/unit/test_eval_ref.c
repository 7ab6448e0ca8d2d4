/* test_eval_ref.c — the C evaluator against the independent Python reference (tests/ref/eval_ref.py)
 * on the real skillsbench-80k tasks/relevance/equivalents with random predictions (mixing ground-truth
 * ids, labelled variants, listed copies, repeats and pool ids), over pool-5k and synthetic pools.
 * Every metric of every split, strict and lenient, must agree to 1e-6. Skips (a "SKIP" line) when
 * $SR_SHARED's bench data, the reference script or python3 with numpy is missing. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/bench_data.h"
#include "eval/eval.h"
#include "test.h"

#define REF_SCRIPT "tests/ref/eval_ref.py"

static char bench_dir[512], tasks_path[600], rel_path[600], eq_path[600], pool5k_path[600];
static const char *python;
static double max_diff;

static int skip(const char *why) {
  printf("SKIP test_eval_ref: %s\n", why);
  printf("%s: 0 passed, 0 failed, 1 skipped\n", __FILE__);
  return 0;
}

static int sh(const char *cmd) {
  int rc = system(cmd);
  if (rc != 0) fprintf(stderr, "  command failed (%d): %s\n", rc, cmd);
  return rc;
}

/* Compares one {"all":..,"single":..,"multi":..,"count":n} object with C split scores. */
static void compare_splits(const cJSON *ref, const sr_split_scores *c, const char *what) {
  CHECK_MSG(cJSON_IsObject(ref), "%s: reference lacks the object", what);
  if (!cJSON_IsObject(ref)) return;
  for (int sp = 0; sp < SR_SPLIT_COUNT; sp++) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(ref, sr_split_name((sr_split)sp));
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(o, "count");
    CHECK_MSG(cJSON_IsNumber(count) && (size_t)count->valuedouble == c[sp].count, "%s %s: count %g vs %zu",
              what, sr_split_name((sr_split)sp), cJSON_IsNumber(count) ? count->valuedouble : -1.0, c[sp].count);
    for (int m = 0; c[sp].count && m < SR_METRIC_COUNT; m++) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, sr_metric_name((sr_metric)m));
      double want = cJSON_IsNumber(v) ? v->valuedouble : -1.0;
      double d = fabs(want - c[sp].mean[m]);
      if (d > max_diff) max_diff = d;
      CHECK_MSG(d <= 1e-6, "%s %s %s: python %.9f vs C %.9f", what, sr_split_name((sr_split)sp),
                sr_metric_name((sr_metric)m), want, c[sp].mean[m]);
    }
  }
}

/* One round: generate predictions (and a synthetic pool unless pool5k), score with both, compare. */
static void round_trip(int seed, const sr_bench *bench, const sr_equivalents *eq, const sr_id_set *pool5k,
                       int mode /* 0 pool-5k, 1 synthetic pool, 2 no pool and no equivalents */) {
  const char *d = test_tmpdir();
  char pred[600], pool[600], ref[600], cmd[4096];
  snprintf(pred, sizeof pred, "%s/pred%d.json", d, seed);
  snprintf(pool, sizeof pool, "%s/pool%d.jsonl", d, seed);
  snprintf(ref, sizeof ref, "%s/ref%d.json", d, seed);
  const char *gen_pool_opt = mode == 1 ? "--out-pool" : "--pool";
  const char *gen_pool = mode == 1 ? pool : pool5k_path;
  snprintf(cmd, sizeof cmd, "%s " REF_SCRIPT " gen --seed %d --tasks %s --relevance %s --equivalents %s %s %s --out-pred %s",
           python, seed, tasks_path, rel_path, eq_path, gen_pool_opt, gen_pool, pred);
  if (sh(cmd)) { CHECK(!"generator ran"); return; }
  const char *score_pool = mode == 0 ? pool5k_path : pool;
  snprintf(cmd, sizeof cmd, "%s " REF_SCRIPT " score --tasks %s --relevance %s --predictions %s %s%s %s%s > %s",
           python, tasks_path, rel_path, pred, mode == 2 ? "" : "--pool ", mode == 2 ? "" : score_pool,
           mode == 2 ? "" : "--equivalents ", mode == 2 ? "" : eq_path, ref);
  if (sh(cmd)) { CHECK(!"reference ran"); return; }

  sr_error err = {0};
  sr_predictions p = SR_PREDICTIONS_INIT;
  sr_id_set synthetic = SR_ID_SET_INIT;
  CHECK_OK(sr_predictions_load(pred, &p, &err), &err);
  if (mode == 1) CHECK_OK(sr_id_set_add_pool_file(&synthetic, pool, &err), &err);
  sr_eval_opts opts = {NULL, NULL, NULL};
  if (mode != 2) {
    opts.in_pool = sr_eval_in_id_set;
    opts.pool_ctx = (void *)(mode == 0 ? pool5k : &synthetic);
    opts.equivalents = eq;
  }
  sr_eval_result *r = NULL;
  CHECK_OK(sr_eval_run(bench, &p, &opts, &r, &err), &err);
  cJSON *doc = NULL;
  char *text = NULL;
  size_t len = 0;
  FILE *f = fopen(ref, "rb");
  if (f) {
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    rewind(f);
    text = calloc(len + 1, 1);
    if (text && fread(text, 1, len, f) == len) doc = cJSON_Parse(text);
    fclose(f);
  }
  CHECK_MSG(doc != NULL, "cannot read %s", ref);
  if (r && doc) {
    char what[64];
    snprintf(what, sizeof what, "seed %d strict", seed);
    compare_splits(doc, r->strict, what);
    if (mode != 2) {
      snprintf(what, sizeof what, "seed %d lenient", seed);
      compare_splits(cJSON_GetObjectItemCaseSensitive(doc, "lenient"), r->lenient, what);
    } else {
      CHECK(cJSON_GetObjectItemCaseSensitive(doc, "lenient") == NULL);
    }
    CHECK(r->n_tasks > 40);
  }
  cJSON_Delete(doc);
  free(text);
  sr_eval_result_free(r);
  sr_predictions_free(&p);
  sr_id_set_free(&synthetic);
}

/* Predicting exactly the ground truth over pool-5k scores 75 tasks (24 single, 51 multi), Hit@1 = 1. */
static void check_perfect(const sr_bench *bench, const sr_id_set *pool5k) {
  sr_predictions p = SR_PREDICTIONS_INIT;
  sr_error err = {0};
  for (size_t i = 0; i < bench->n_tasks; i++)
    CHECK_OK(sr_predictions_add(&p, bench->tasks[i].task_id, (const char *const *)bench->tasks[i].gt.ids,
                                bench->tasks[i].gt.n, &err), &err);
  sr_eval_opts opts = {sr_eval_in_id_set, (void *)pool5k, NULL};
  sr_eval_result *r = NULL;
  CHECK_OK(sr_eval_run(bench, &p, &opts, &r, &err), &err);
  if (r) {
    CHECK_INT(r->strict[SR_SPLIT_ALL].count, 75);
    CHECK_INT(r->strict[SR_SPLIT_SINGLE].count, 24);
    CHECK_INT(r->strict[SR_SPLIT_MULTI].count, 51);
    CHECK_INT(r->skipped_generic, 12);
    CHECK_NEAR(r->strict[SR_SPLIT_ALL].mean[SR_M_HIT1], 1.0, 1e-12);
    CHECK_NEAR(r->strict[SR_SPLIT_ALL].mean[SR_M_FULLCOV10], 1.0, 1e-12);
  }
  sr_eval_result_free(r);
  sr_predictions_free(&p);
}

static sr_bench *g_bench;
static sr_equivalents g_eq = SR_EQUIVALENTS_INIT;
static sr_id_set g_pool5k = SR_ID_SET_INIT;

static void test_perfect_predictions(void) { check_perfect(g_bench, &g_pool5k); }
static void test_pool5k_rounds(void) {
  for (int seed = 1; seed <= 3; seed++) round_trip(seed, g_bench, &g_eq, &g_pool5k, 0);
}
static void test_synthetic_pool_rounds(void) {
  for (int seed = 11; seed <= 13; seed++) round_trip(seed, g_bench, &g_eq, &g_pool5k, 1);
}
static void test_no_pool_round(void) { round_trip(21, g_bench, &g_eq, &g_pool5k, 2); }

int main(void) {
  const char *shared = getenv("SR_SHARED");
  snprintf(bench_dir, sizeof bench_dir, "%s/bench/skillsbench-80k", shared && *shared ? shared : "../shared");
  snprintf(tasks_path, sizeof tasks_path, "%s/tasks.jsonl", bench_dir);
  snprintf(rel_path, sizeof rel_path, "%s/relevance.json", bench_dir);
  snprintf(eq_path, sizeof eq_path, "%s/equivalents.json", bench_dir);
  snprintf(pool5k_path, sizeof pool5k_path, "%s/pool-5k.jsonl.gz", bench_dir);
  python = getenv("PYTHON");
  if (!python || !*python) python = "/usr/bin/python3";
  if (access(tasks_path, R_OK) || access(rel_path, R_OK) || access(eq_path, R_OK) || access(pool5k_path, R_OK))
    return skip("skillsbench-80k data not found (set SR_SHARED)");
  if (access(REF_SCRIPT, R_OK)) return skip(REF_SCRIPT " not found (run from the repository root)");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", python);
  if (system(cmd) != 0) return skip("python3 with numpy not available");

  sr_error err = {0};
  if (sr_bench_load(tasks_path, rel_path, &g_bench, &err) || sr_equivalents_load(eq_path, &g_eq, &err) ||
      sr_id_set_add_pool_file(&g_pool5k, pool5k_path, &err)) {
    fprintf(stderr, "FAIL loading the bench: %s\n", err.msg);
    printf("%s: 0 passed, 1 failed\n", __FILE__);
    return 1;
  }
  RUN(test_perfect_predictions);
  RUN(test_pool5k_rounds);
  RUN(test_synthetic_pool_rounds);
  RUN(test_no_pool_round);
  printf("max |C - python| = %.3g\n", max_diff);
  sr_bench_free(g_bench);
  sr_equivalents_free(&g_eq);
  sr_id_set_free(&g_pool5k);
  return test_summary();
}
