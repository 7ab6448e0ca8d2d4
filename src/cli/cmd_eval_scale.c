/* cmd_eval_scale.c — `skillrouter eval --scale ...`: the catalog-size scaling study (eval/scaling.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "eval/bench_data.h"
#include "eval/scaling.h"
#include "index/index.h"
#include "util/clock.h"

#define MAX_LIST 64

static const char USAGE[] =
    "usage: skillrouter eval -i INDEX --tasks T.jsonl --relevance R.json --scale 10,20,40,all --out DIR [options]\n"
    "\n"
    "Catalog-size scaling study. For each fold (a seeded random order of the index's packs) and each size\n"
    "s, the first s packs form a sub-catalog; it is indexed afresh (BM25 statistics of the sub-catalog, not\n"
    "of the full one), every task with at least one ground-truth tool in it is routed, and its valid set is\n"
    "the ground truth present there. Methods: tool (ranked), tool-shuffled, pack (packs expanded to\n"
    "tools), pack-shuffled, oracle (valid tools + random fillers), random; shortlists of 20.\n"
    "Metrics: recall@5/10/20, coverage@5/10/20, mrr@10, ndcg@10, precision/recall/f1 of the top-1 and of\n"
    "the threshold set (top-1 + results scoring >= REL x the top score), macro-averaged over tasks, with\n"
    "percentile-bootstrap 95% CIs; cohorts: all tasks present at a size, and the fixed cohort (tasks\n"
    "present at the smallest size of their fold, hence at every size).\n"
    "\n"
    "options:\n"
    "  --scale LIST          sizes in packs, comma-separated; 'all' = every pack\n"
    "  --folds N             samples per size (default 3)\n"
    "  --seed S              sampling, shuffling and bootstrap seed (default 1)\n"
    "  --by entry|pack|both  router methods to run (default both)\n"
    "  --always-present P,.. packs in every sample (put first in every fold's order)\n"
    "  --bootstrap B         resamples (default 1000)\n"
    "  --calib-tasks T --calib-relevance R\n"
    "                        calibrate the relative thresholds on these tasks (the train split) over the\n"
    "                        full index: grid 0.05..1.00, best macro F1\n"
    "  --calib-max N         use at most N calibration tasks (default all)\n"
    "  --threshold REL       fixed relative threshold for both methods (default 0.8 without calibration)\n"
    "  --out DIR             results.csv, results.json, <cohort>_<metric>.svg (+ .png when rsvg-convert or\n"
    "                        ImageMagick convert is installed)\n"
    "  --no-png              do not convert the charts to PNG\n";

static int split_list(char *s, char **items, int max) {
  int n = 0;
  for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
    if (n == max) return -1;
    items[n++] = tok;
  }
  return n;
}

static int have_tool(const char *name) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
  return system(cmd) == 0;
}

/* Converts each SVG to PNG with rsvg-convert or ImageMagick convert, when one is installed. */
static void write_pngs(char **paths, size_t n) {
  const char *tool = have_tool("rsvg-convert") ? "rsvg-convert" : have_tool("convert") ? "convert" : NULL;
  if (!tool) {
    fprintf(stderr, "note: no rsvg-convert or ImageMagick convert found; SVG charts only\n");
    return;
  }
  size_t ok = 0;
  for (size_t i = 0; i < n; i++) {
    char cmd[8192 + 64], png[4096];
    size_t len = strlen(paths[i]);
    if (len < 4 || len >= sizeof png || strchr(paths[i], '\'')) continue;
    snprintf(png, sizeof png, "%.*s.png", (int)(len - 4), paths[i]);
    if (!strcmp(tool, "rsvg-convert")) snprintf(cmd, sizeof cmd, "rsvg-convert -o '%s' '%s' 2>/dev/null", png, paths[i]);
    else snprintf(cmd, sizeof cmd, "convert '%s' '%s' 2>/dev/null", paths[i], png);
    ok += system(cmd) == 0;
  }
  fprintf(stderr, "%zu PNG charts written with %s\n", ok, tool);
}

static void print_summary(const sr_scale_result *r) {
  static const sr_scale_metric ms[] = {SR_SM_RECALL5, SR_SM_RECALL10, SR_SM_COV10, SR_SM_F1_1, SR_SM_F1T};
  printf("%-6s %6s %6s %-14s", "size", "tools", "tasks", "method");
  for (size_t k = 0; k < sizeof ms / sizeof *ms; k++) printf(" %-21s", sr_scale_metric_name(ms[k]));
  printf("\n");
  for (size_t si = 0; si < r->n_sizes; si++) {
    const sr_scale_size *z = &r->sizes[si];
    for (int m = 0; m < SR_SC_COUNT; m++) {
      if (!r->has_method[m]) continue;
      char lab[32];
      if (z->all) snprintf(lab, sizeof lab, "all");
      else snprintf(lab, sizeof lab, "%zu", z->packs);
      printf("%-6s %6.1f %6zu %-14s", lab, z->mean_tools, z->tasks[SR_CO_ALL], sr_scale_method_name(m));
      for (size_t k = 0; k < sizeof ms / sizeof *ms; k++) {
        const sr_ci *c = &z->ci[SR_CO_ALL][m][ms[k]];
        if (c->mean != c->mean) printf(" %-21s", "-");
        else printf(" %.3f [%.3f,%.3f]  ", c->mean, c->lo, c->hi);
      }
      printf("\n");
    }
  }
}

int cmd_eval_scale(int argc, char **argv) {
  const char *index = NULL, *tasks = NULL, *rel = NULL, *out = NULL, *ctasks = NULL, *crel = NULL;
  char *scale = NULL, *always = NULL;
  size_t folds = 3, boot = 1000, calib_max = 0;
  double thr = -1;
  bool png = true;
  sr_scale_opts o = {0};
  o.seed = 1, o.by_entry = o.by_pack = true;
  sr_bm25f_params params = sr_bm25f_defaults();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int r = cli_bm25f_flag(argc, argv, &i, &params);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(USAGE, stdout); return 0; }
    if (!strcmp(a, "--no-png")) { png = false; continue; }
    if (!v) { fprintf(stderr, "skillrouter eval --scale: %s: missing value (see --help)\n", a); return 2; }
    i++;
    if (!strcmp(a, "-i") || !strcmp(a, "--index")) index = v;
    else if (!strcmp(a, "--tasks")) tasks = v;
    else if (!strcmp(a, "--relevance")) rel = v;
    else if (!strcmp(a, "--out")) out = v;
    else if (!strcmp(a, "--scale")) scale = (char *)v;
    else if (!strcmp(a, "--always-present")) always = (char *)v;
    else if (!strcmp(a, "--calib-tasks")) ctasks = v;
    else if (!strcmp(a, "--calib-relevance")) crel = v;
    else if (!strcmp(a, "--folds")) { if (!cli_parse_size(a, v, &folds)) return 2; }
    else if (!strcmp(a, "--bootstrap")) {
      char *end;
      boot = strtoul(v, &end, 10);
      if (!*v || *end || boot > 1000000) { fprintf(stderr, "skillrouter eval: --bootstrap: bad count '%s'\n", v); return 2; }
    }
    else if (!strcmp(a, "--calib-max")) { if (!cli_parse_size(a, v, &calib_max)) return 2; }
    else if (!strcmp(a, "--seed")) {
      char *end;
      errno = 0;
      o.seed = strtoull(v, &end, 10);
      if (!*v || *end || errno) { fprintf(stderr, "skillrouter eval: --seed: bad number '%s'\n", v); return 2; }
    } else if (!strcmp(a, "--threshold")) {
      char *end;
      thr = strtod(v, &end);
      if (!*v || *end || thr < 0 || thr > 1) { fprintf(stderr, "skillrouter eval: --threshold: expected 0..1, got '%s'\n", v); return 2; }
    } else if (!strcmp(a, "--by")) {
      if (!strcmp(v, "entry") || !strcmp(v, "tool")) o.by_pack = false;
      else if (!strcmp(v, "pack")) o.by_entry = false;
      else if (strcmp(v, "both")) { fprintf(stderr, "skillrouter eval: --by: entry, pack or both\n"); return 2; }
    } else { fprintf(stderr, "skillrouter eval --scale: unknown option '%s' (see --help)\n", a); return 2; }
  }
  if (!index || !tasks || !rel || !scale || !out) {
    fprintf(stderr, "skillrouter eval --scale: -i, --tasks, --relevance, --scale and --out are required (see --help)\n");
    return 2;
  }
  if (!ctasks != !crel) { fprintf(stderr, "skillrouter eval: give both --calib-tasks and --calib-relevance\n"); return 2; }
  char *items[MAX_LIST], *packs[MAX_LIST];
  size_t sizes[MAX_LIST];
  int n = split_list(scale, items, MAX_LIST);
  if (n <= 0) { fprintf(stderr, "skillrouter eval: --scale: expected a list of sizes\n"); return 2; }
  for (int j = 0; j < n; j++) {
    if (!strcmp(items[j], "all")) sizes[j] = 0;
    else if (!cli_parse_size("--scale", items[j], &sizes[j])) return 2;
  }
  int n_always = always ? split_list(always, packs, MAX_LIST) : 0;
  if (n_always < 0) { fprintf(stderr, "skillrouter eval: --always-present: at most %d packs\n", MAX_LIST); return 2; }
  if (mkdir(out, 0777) != 0 && errno != EEXIST) { fprintf(stderr, "skillrouter eval: %s: %s\n", out, strerror(errno)); return 1; }
  o.sizes = sizes, o.n_sizes = (size_t)n, o.folds = folds, o.boot = boot, o.tmp_dir = out, o.bm25f = &params;
  o.always = (const char *const *)packs, o.n_always = (size_t)n_always;
  o.rel_entry = o.rel_pack = thr >= 0 ? thr : 0.8;
  sr_error err = {0};
  sr_index *ix = NULL;
  sr_bench *bench = NULL, *calib = NULL;
  sr_scale_result *res = NULL;
  char **paths = NULL;
  size_t n_paths = 0;
  double t0 = sr_clock_s();
  sr_status st = sr_index_open(index, &ix, &err);
  if (!st) st = sr_bench_load(tasks, rel, &bench, &err);
  if (!st && ctasks && thr < 0) {
    double f1e = 0, f1p = 0;
    st = sr_bench_load(ctasks, crel, &calib, &err);
    if (!st && o.by_entry) st = sr_scale_calibrate(ix, calib, SR_BY_ENTRY, calib_max, &params, &o.rel_entry, &f1e, &err);
    if (!st && o.by_pack) st = sr_scale_calibrate(ix, calib, SR_BY_PACK, calib_max, &params, &o.rel_pack, &f1p, &err);
    if (!st)
      fprintf(stderr, "calibrated relative thresholds on %s: tool %.2f (F1 %.3f), pack %.2f (F1 %.3f) [%.1f s]\n",
              ctasks, o.rel_entry, f1e, o.rel_pack, f1p, sr_clock_s() - t0);
  }
  if (!st) st = sr_scale_run(ix, bench, &o, &res, &err);
  if (!st) st = sr_scale_write_tables(res, out, &err);
  if (!st) st = sr_scale_write_charts(res, out, &paths, &n_paths, &err);
  if (!st) {
    print_summary(res);
    fprintf(stderr, "scaling study: %zu sizes x %zu folds, %zu bootstrap resamples, %.1f s; wrote %s/results.csv, "
                    "%s/results.json and %zu SVG charts\n", res->n_sizes, res->folds, res->boot, res->seconds, out, out, n_paths);
    if (png) write_pngs(paths, n_paths);
  }
  if (st) fprintf(stderr, "skillrouter eval: %s\n", err.msg);
  for (size_t i = 0; i < n_paths; i++) free(paths[i]);
  free(paths);
  sr_scale_result_free(res);
  sr_bench_free(calib);
  sr_bench_free(bench);
  if (ix) sr_index_close(ix);
  return st ? 1 : 0;
}
