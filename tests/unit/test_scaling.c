/* test_scaling.c — multi-label scores, the bootstrap, the scaling study's sampling, SVG charts and
 * tool-definition output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "eval/bootstrap.h"
#include "eval/paired.h"
#include "eval/chart_svg.h"
#include "eval/multilabel.h"
#include "eval/scaling.h"
#include "index/index.h"
#include "route/tool_format.h"
#include "test.h"

static void test_shortlist_and_sets(void) {
  const char *v[] = {"a", "b", "c"};
  const char *r[] = {"x", "a", "y", "c", "b"};
  double rec, cov;
  sr_ml_shortlist(r, 5, 2, v, 3, &rec, &cov);
  CHECK_NEAR(rec, 1.0 / 3, 1e-12);
  CHECK_NEAR(cov, 0, 0);
  sr_ml_shortlist(r, 5, 4, v, 3, &rec, &cov);
  CHECK_NEAR(rec, 2.0 / 3, 1e-12);
  sr_ml_shortlist(r, 5, 10, v, 3, &rec, &cov);  /* k beyond the ranking */
  CHECK_NEAR(rec, 1, 0);
  CHECK_NEAR(cov, 1, 0);
  /* P = 2/4, R = 2/3, F1 = 2*.5*.6667/(1.1667) = 4/7 */
  const char *p[] = {"a", "x", "c", "y"};
  sr_ml_set_scores s = sr_ml_set(p, 4, v, 3);
  CHECK_NEAR(s.precision, 0.5, 1e-12);
  CHECK_NEAR(s.recall, 2.0 / 3, 1e-12);
  CHECK_NEAR(s.f1, 4.0 / 7, 1e-12);
  /* repeats count once: {a, a} → P = 1, R = 1/3, F1 = 0.5 */
  const char *rep[] = {"a", "a"};
  s = sr_ml_set(rep, 2, v, 3);
  CHECK_NEAR(s.precision, 1, 0);
  CHECK_NEAR(s.f1, 0.5, 1e-12);
  s = sr_ml_set(p, 0, v, 3);  /* empty prediction */
  CHECK_NEAR(s.precision + s.recall + s.f1, 0, 0);
  s = sr_ml_set(r + 0, 1, v, 3);  /* a miss */
  CHECK_NEAR(s.f1, 0, 0);
  /* top-1 hit with |V| = 3: P 1, R 1/3, F1 0.5 */
  s = sr_ml_set(r + 1, 1, v, 3);
  CHECK_NEAR(s.f1, 0.5, 1e-12);
}

static void test_threshold(void) {
  const float sc[] = {10, 9, 8, 5, 1};
  CHECK_INT(sr_ml_threshold_set(sc, 5, 0.8), 3);
  CHECK_INT(sr_ml_threshold_set(sc, 5, 1.0), 1);
  CHECK_INT(sr_ml_threshold_set(sc, 5, 0.0), 5);
  CHECK_INT(sr_ml_threshold_set(sc, 0, 0.5), 0);
  /* two tasks: task 1 wants {a,b} (ranked a b c; scores 10 9 2), task 2 wants {d} (d e; 10 9.5) */
  const char *r1[] = {"a", "b", "c"}, *v1[] = {"a", "b"}, *r2[] = {"d", "e"}, *v2[] = {"d"};
  const float s1[] = {10, 9, 2}, s2[] = {10, 9.5f};
  sr_ml_example ex[2] = {{r1, s1, 3, v1, 2}, {r2, s2, 2, v2, 1}};
  double grid[] = {0.5, 0.85, 0.92, 1.0}, f1;
  /* 0.5: F1 1 and 2/3; 0.85: same; 0.92: {a} F1 2/3, {d,e} 2/3; 1.0: 2/3 and 1 → 0.5 and 0.85 tie, first wins */
  double rel = sr_ml_calibrate_threshold(ex, 2, grid, 4, &f1);
  CHECK_NEAR(rel, 0.5, 0);
  CHECK_NEAR(f1, (1 + 2.0 / 3) / 2, 1e-12);
}

static void test_bootstrap_properties(void) {
  double c[50], x[400], scratch[2000];
  for (int i = 0; i < 50; i++) c[i] = 0.25;
  sr_ci ci = sr_bootstrap_mean_ci(c, 50, 1000, 7, 0.05, scratch);
  CHECK_NEAR(ci.lo, 0.25, 0);
  CHECK_NEAR(ci.hi, 0.25, 0);
  sr_rng r;
  sr_rng_seed(&r, 99);
  for (int i = 0; i < 400; i++) x[i] = (double)(sr_rng_next(&r) % 1000) / 1000.0;
  sr_ci a = sr_bootstrap_mean_ci(x, 400, 1000, 5, 0.05, scratch);
  sr_ci b = sr_bootstrap_mean_ci(x, 400, 1000, 5, 0.05, scratch);
  CHECK(a.lo == b.lo && a.hi == b.hi);  /* deterministic with a seed */
  CHECK(a.lo <= a.mean && a.mean <= a.hi);
  sr_ci small = sr_bootstrap_mean_ci(x, 25, 1000, 5, 0.05, scratch);
  CHECK(small.hi - small.lo > a.hi - a.lo);  /* width shrinks with n */
  CHECK_NEAR(a.hi - a.lo, 2 * 1.96 * 0.2887 / sqrt(400), 0.02);  /* ~ normal width for U(0,1) */
  sr_ci none = sr_bootstrap_mean_ci(x, 0, 10, 1, 0.05, scratch);
  CHECK(isnan(none.mean));
  /* splitmix64 reference values (seed 0): the published first outputs */
  sr_rng_seed(&r, 0);
  CHECK(sr_rng_next(&r) == 0xE220A8397B1DCDAFull);
  CHECK(sr_rng_next(&r) == 0x6E789E6AA1B965F4ull);
}

/* The same scheme in Python (splitmix64, % n, numpy's linear quantile) must give the same interval. */
static void test_bootstrap_python_reference(void) {
  const char *py = getenv("PYTHON");
  if (!py || !*py) py = "/usr/bin/python3";
  char path[512], cmd[2048];
  snprintf(path, sizeof path, "%s/boot.py", test_tmpdir());
  test_write_file(path,
                  "import sys, numpy as np\n"
                  "M = (1 << 64) - 1\n"
                  "def sm(s):\n"
                  "  s = (s + 0x9E3779B97F4A7C15) & M\n"
                  "  z = s\n"
                  "  z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M\n"
                  "  z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M\n"
                  "  return s, z ^ (z >> 31)\n"
                  "x = [0.0, 1.0, 0.5, 1.0, 0.0, 0.25, 1.0, 0.75, 0.0, 1.0, 0.5]\n"
                  "n, B, s = len(x), 300, 1234\n"
                  "means = []\n"
                  "for b in range(B):\n"
                  "  t = 0.0\n"
                  "  for i in range(n):\n"
                  "    s, r = sm(s); t += x[r % n]\n"
                  "  means.append(t / n)\n"
                  "print('%.12f %.12f' % (np.quantile(means, 0.025), np.quantile(means, 0.975)))\n");
  snprintf(cmd, sizeof cmd, "%s %s", py, path);
  FILE *p = popen(cmd, "r");
  double lo = -1, hi = -1;
  int got = p ? fscanf(p, "%lf %lf", &lo, &hi) : 0;
  int rc = p ? pclose(p) : -1;
  if (got != 2 || rc != 0) {
    printf("SKIP bootstrap python reference (python3 with numpy not available)\n");
    return;
  }
  double x[] = {0.0, 1.0, 0.5, 1.0, 0.0, 0.25, 1.0, 0.75, 0.0, 1.0, 0.5}, scratch[300];
  sr_ci ci = sr_bootstrap_mean_ci(x, 11, 300, 1234, 0.05, scratch);
  CHECK_NEAR(ci.lo, lo, 1e-9);
  CHECK_NEAR(ci.hi, hi, 1e-9);
}

static void test_svg_wellformed(void) {
  double x[] = {10, 20, 40}, y[] = {0.8, NAN, 0.5}, lo[] = {0.7, NAN, 0.4}, hi[] = {0.9, NAN, 0.6};
  sr_chart_series se[2] = {{"tool <ranked> & co", x, y, lo, hi, 3}, {"oracle", x, hi, NULL, NULL, 3}};
  sr_chart ch = {"recall@10 \"quoted\"", "catalog size", "recall", se, 2, 0, 1, 0, 0};
  sr_buf b = SR_BUF_INIT;
  CHECK(sr_chart_svg(&ch, &b));
  CHECK(strstr(b.data, "<polygon") != NULL && strstr(b.data, "&lt;ranked&gt; &amp; co") != NULL);
  char path[512], cmd[1024];
  snprintf(path, sizeof path, "%s/c.svg", test_tmpdir());
  test_write_file(path, b.data);
  sr_buf_free(&b);
  const char *py = getenv("PYTHON");
  snprintf(cmd, sizeof cmd, "%s -c \"import xml.etree.ElementTree as E,sys; r=E.parse(sys.argv[1]).getroot(); "
                            "ns='{http://www.w3.org/2000/svg}'; assert r.tag==ns+'svg'; "
                            "assert len(r.findall(ns+'polyline'))==2 and len(r.findall(ns+'polygon'))==1\" %s",
           py && *py ? py : "/usr/bin/python3", path);
  CHECK_INT(system(cmd), 0);
  CHECK_NEAR(sr_chart_nice_step(0, 1, 5), 0.2, 1e-12);
  CHECK_NEAR(sr_chart_nice_step(0, 464, 8), 50, 1e-12);
}

/* A tiny tool index: 6 packs of 2 tools, p<i>/t<j> about topic words. */
static const char *make_index(void) {
  static char idx[512];
  char jl[512];
  snprintf(jl, sizeof jl, "%s/cat.jsonl", test_tmpdir());
  snprintf(idx, sizeof idx, "%s/cat.idx", test_tmpdir());
  static const char *topics[] = {"weather forecast rain", "stock price market", "recipe cooking food",
                                 "flight airline travel", "movie film cinema", "music song lyrics"};
  char text[8192] = "";
  for (int p = 0; p < 6; p++)
    for (int t = 0; t < 2; t++) {
      char line[512];
      snprintf(line, sizeof line, "{\"skill_id\":\"p%d/t%d\",\"name\":\"%s tool %d\",\"description\":\"%s %s\","
                                  "\"body\":\"x\",\"pack\":\"pack%d\"}\n", p, t, topics[p], t, topics[p], t ? "search" : "lookup", p);
      strcat(text, line);
    }
  test_write_file(jl, text);
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, jl, NULL, &err), &err);
  CHECK_OK(sr_index_build(&cat, NULL, NULL, idx, NULL, &err), &err);
  sr_catalog_free(&cat);
  return idx;
}

static void test_scale_reproducible(void) {
  const char *idx = make_index();
  char tasks[512], rel[512];
  snprintf(tasks, sizeof tasks, "%s/tasks.jsonl", test_tmpdir());
  snprintf(rel, sizeof rel, "%s/rel.json", test_tmpdir());
  test_write_file(tasks, "{\"task_id\":\"q1\",\"instruction_text\":\"rain forecast and stock market\"}\n"
                         "{\"task_id\":\"q2\",\"instruction_text\":\"cooking recipe\"}\n"
                         "{\"task_id\":\"q3\",\"instruction_text\":\"song lyrics for a film\"}\n");
  test_write_file(rel, "{\"q1\":{\"gt_skill_ids\":[\"p0/t0\",\"p1/t1\"]},\"q2\":{\"gt_skill_ids\":[\"p2/t0\"]},"
                       "\"q3\":{\"gt_skill_ids\":[\"p5/t1\",\"p4/t0\"]}}");
  sr_error err = {0};
  sr_index *ix = NULL;
  sr_bench *bench = NULL;
  CHECK_OK(sr_index_open(idx, &ix, &err), &err);
  CHECK_OK(sr_bench_load(tasks, rel, &bench, &err), &err);
  if (!ix || !bench) return;
  size_t sizes[] = {0, 2, 4};
  const char *always[] = {"pack5"};
  sr_scale_opts o = {sizes, 3, 2, 11, true, true, always, 1, 200, 0.8, 0.8, test_tmpdir(), NULL};
  sr_scale_result *a = NULL, *b = NULL;
  CHECK_OK(sr_scale_run(ix, bench, &o, &a, &err), &err);
  CHECK_OK(sr_scale_run(ix, bench, &o, &b, &err), &err);
  if (a && b) {
    CHECK_INT(a->n_sizes, 3);
    CHECK_INT(a->sizes[0].packs, 2);
    CHECK(a->sizes[2].all && a->sizes[2].packs == 6);
    CHECK_NEAR(a->sizes[2].mean_tools, 12, 0);
    CHECK_INT(a->sizes[2].tasks[SR_CO_ALL], 6);  /* 3 tasks x 2 folds */
    /* pack5 is always present, so q3 is in every fixed cohort */
    CHECK(a->sizes[0].tasks[SR_CO_FIXED] >= 2);
    CHECK_INT(a->sizes[0].tasks[SR_CO_FIXED], a->sizes[2].tasks[SR_CO_FIXED]);
    CHECK(memcmp(a->sizes, b->sizes, a->n_sizes * sizeof *a->sizes) == 0);  /* same seed, same result */
    const sr_ci *orc = &a->sizes[2].ci[SR_CO_ALL][SR_SC_ORACLE][SR_SM_RECALL20];
    CHECK_NEAR(orc->mean, 1, 0);
    CHECK(isnan(a->sizes[2].ci[SR_CO_ALL][SR_SC_RANDOM][SR_SM_F1T].mean));
    const sr_ci *t = &a->sizes[2].ci[SR_CO_ALL][SR_SC_TOOL][SR_SM_RECALL5];
    CHECK(t->lo <= t->mean && t->mean <= t->hi && t->mean > 0.5);
    CHECK_OK(sr_scale_write_tables(a, test_tmpdir(), &err), &err);
    char **paths = NULL;
    size_t np = 0;
    CHECK_OK(sr_scale_write_charts(a, test_tmpdir(), &paths, &np, &err), &err);
    CHECK_INT(np, 16);
    for (size_t i = 0; i < np; i++) free(paths[i]);
    free(paths);
  }
  sr_scale_result_free(a);
  sr_scale_result_free(b);
  /* an unknown --always-present pack is an error */
  const char *bad[] = {"nope"};
  o.always = bad;
  CHECK(sr_scale_run(ix, bench, &o, &a, &err) == SR_ERR_NOT_FOUND && a == NULL);
  sr_bench_free(bench);
  sr_index_close(ix);
}

static void test_tool_format(void) {
  char jl[512], idx[512];
  snprintf(jl, sizeof jl, "%s/tools.json", test_tmpdir());
  snprintf(idx, sizeof idx, "%s/tools.idx", test_tmpdir());
  test_write_file(jl, "{\"tools\":[{\"name\":\"get weather!\",\"description\":\"d1\",\"inputSchema\":{\"type\":\"object\","
                      "\"properties\":{\"q\":{\"type\":\"string\"}}}},{\"name\":\"get-weather_\",\"description\":\"d2\"}]}");
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_error err = {0};
  CHECK_OK(sr_catalog_add_source(&cat, jl, NULL, &err), &err);
  CHECK_OK(sr_index_build(&cat, NULL, NULL, idx, NULL, &err), &err);
  sr_catalog_free(&cat);
  sr_index *ix = NULL;
  CHECK_OK(sr_index_open(idx, &ix, &err), &err);
  if (!ix) return;
  uint32_t docs[3] = {0, 1, 0};
  sr_buf b = SR_BUF_INIT;
  CHECK_OK(sr_tools_json(ix, docs, 3, SR_TOOLS_OPENAI, false, &b, &err), &err);
  CHECK(strstr(b.data, "\"name\":\"get_weather_\"") && strstr(b.data, "\"name\":\"get-weather_\"") &&
        strstr(b.data, "\"name\":\"get_weather__2\""));
  CHECK(strstr(b.data, "\"type\":\"function\"") && strstr(b.data, "\"parameters\":{\"type\":\"object\",\"properties\":{\"q\""));
  sr_buf_reset(&b);
  CHECK_OK(sr_tools_json(ix, docs, 2, SR_TOOLS_MCP, false, &b, &err), &err);
  CHECK(strstr(b.data, "\"name\":\"get weather!\"") && strstr(b.data, "\"inputSchema\""));
  sr_buf_reset(&b);
  CHECK_OK(sr_tools_json(ix, docs + 1, 1, SR_TOOLS_ANTHROPIC, false, &b, &err), &err);
  CHECK(strstr(b.data, "\"input_schema\":{\"type\":\"object\",\"properties\":{}}") != NULL);
  sr_tool_format f;
  CHECK(sr_tool_format_parse("anthropic-tools", &f) && f == SR_TOOLS_ANTHROPIC && !sr_tool_format_parse("xml", &f));
  sr_buf_free(&b);
  sr_index_close(ix);
}

/* A run against a baseline: tasks paired by id (whatever the order; tasks of one side only are left
 * out), per-metric difference with the bootstrap interval of the per-task differences, better / worse
 * counts; identical runs differ by exactly 0. */
static void set_task(sr_task_score *t, const char *id, double hit1, double mrr) {
  memset(t, 0, sizeof *t);
  t->task_id = id;
  t->strict[SR_M_HIT1] = hit1;
  t->strict[SR_M_MRR10] = mrr;
}

static void test_paired_compare(void) {
  sr_task_score rt[6], bt[6];
  const char *ids[] = {"t0", "t1", "t2", "t3", "t4", "t5", "t6"};
  double rh[] = {1, 1, 0, 1, 1, 1}, rm[] = {1, 1, 0.5, 1, 1, 1};  /* run: t1..t6 */
  for (int i = 0; i < 6; i++) set_task(&rt[i], ids[i + 1], rh[i], rm[i]);
  /* base: t5, t4, t3, t2, t1 (reversed) and t0 */
  double bh[] = {0, 0, 1, 0, 1}, bm[] = {0.5, 0.25, 1, 1, 0.5};  /* for t5..t1 */
  for (int i = 0; i < 5; i++) set_task(&bt[i], ids[5 - i], bh[i], bm[i]);
  set_task(&bt[5], "t0", 1, 1);
  sr_eval_result run = {0}, base = {0};
  run.tasks = rt, run.n_tasks = 6;
  base.tasks = bt, base.n_tasks = 6;
  sr_paired p;
  sr_error err = {0};
  CHECK_OK(sr_paired_compare(&run, &base, false, 2000, 11, &p, &err), &err);
  CHECK_INT(p.n, 5);
  CHECK_INT(p.unpaired, 2);
  /* Hit@1 per task t1..t5: run 1,1,0,1,1; base 1,0,1,0,0 → differences 0,+1,-1,+1,+1 */
  CHECK_NEAR(p.m[SR_M_HIT1].run, 0.8, 1e-12);
  CHECK_NEAR(p.m[SR_M_HIT1].base, 0.4, 1e-12);
  CHECK_NEAR(p.m[SR_M_HIT1].diff, 0.4, 1e-12);
  CHECK_INT(p.m[SR_M_HIT1].better, 3);
  CHECK_INT(p.m[SR_M_HIT1].worse, 1);
  double d[] = {0, 1, -1, 1, 1}, scratch[2000];
  sr_ci ci = sr_bootstrap_mean_ci(d, 5, 2000, 11, 0.05, scratch);
  CHECK(p.m[SR_M_HIT1].lo == ci.lo && p.m[SR_M_HIT1].hi == ci.hi);
  CHECK(ci.lo < ci.hi);
  /* MRR@10 t1..t5: run 1,0.5,1,1,1; base 0.5,1,1,0.25,0.5 → +0.5,-0.5,0,+0.75,+0.5 */
  CHECK_NEAR(p.m[SR_M_MRR10].diff, 1.25 / 5, 1e-12);
  CHECK_INT(p.m[SR_M_MRR10].better, 3);
  CHECK_INT(p.m[SR_M_MRR10].worse, 1);
  /* against itself: exactly no difference */
  CHECK_OK(sr_paired_compare(&run, &run, false, 500, 3, &p, &err), &err);
  CHECK_INT(p.n, 6);
  CHECK_INT(p.unpaired, 0);
  for (int m = 0; m < SR_METRIC_COUNT; m++) CHECK(p.m[m].diff == 0 && p.m[m].lo == 0 && p.m[m].hi == 0 && p.m[m].better == 0);
  /* lenient scores that neither result has: an argument error */
  CHECK(sr_paired_compare(&run, &base, true, 10, 1, &p, &err) == SR_ERR_ARG);
  /* nothing in common: no pairs, NaN means */
  base.n_tasks = 0;
  CHECK_OK(sr_paired_compare(&run, &base, false, 10, 1, &p, &err), &err);
  CHECK_INT(p.n, 0);
  CHECK(isnan(p.m[SR_M_HIT1].diff));
}

int main(void) {
  RUN(test_shortlist_and_sets);
  RUN(test_threshold);
  RUN(test_bootstrap_properties);
  RUN(test_bootstrap_python_reference);
  RUN(test_paired_compare);
  RUN(test_svg_wellformed);
  RUN(test_scale_reproducible);
  RUN(test_tool_format);
  return test_summary();
}
