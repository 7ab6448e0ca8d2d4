/* cmd_eval.c — `skillrouter eval`: official SkillRouter metrics for a predictions file, or for routing
 * a benchmark's tasks through an index. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/eval_pipeline.h"
#include "cli/route_pipeline.h"
#include "eval/bench_data.h"
#include "eval/eval.h"
#include "eval/eval_route.h"
#include "eval/eval_route_model.h"
#include "eval/paired.h"
#include "cli/cli_default_model.h"
#include "index/vectors.h"
#include "index/index.h"
#include "util/clock.h"

#define MAX_POOLS 16

static const char USAGE[] =
    "usage: skillrouter eval --predictions P.json --tasks T.jsonl --relevance R.json [options]\n"
    "       skillrouter eval -i INDEX --tasks T.jsonl --relevance R.json [-k 50] [options]\n"
    "\n"
    "Scores rankings with the SkillRouter evaluator's core metrics: nDCG@1/3/10 (graded labels), Hit@1,\n"
    "Precision@3, MRR@10, Recall@10/20/50, FullCoverage@3/5/10, averaged over all / single / multi tasks.\n"
    "Tasks with task_type \"generic_only\" are skipped; the ground truth G is core_gt_ids when that key is\n"
    "present, else gt_skill_ids, kept to the pool's ids; tasks with empty G or no ranking are skipped.\n"
    "\n"
    "options:\n"
    "  --predictions P     score an existing predictions file {task_id: [ranked skill ids]}\n"
    "  -i, --index INDEX   route each scored task's instruction_text through INDEX (pool = its entries)\n"
    "  -k N                results routed per task with -i (default 50)\n"
    "  --tasks T           tasks.jsonl (task_id, instruction_text)\n"
    "  --relevance R       relevance.json (gt_skill_ids, core_gt_ids, relevance, task_type)\n"
    "  --bench DIR         shorthand: DIR/tasks.jsonl, DIR/relevance.json and, when present,\n"
    "                      DIR/equivalents.json (explicit options win)\n"
    "  --pool FILE         the pool the predictions were made over: JSONL(.gz) with skill_id per line;\n"
    "                      repeat to union files (e.g. pool + hard-extra). Without --pool (and without\n"
    "                      -i) nothing is filtered: G and the graded labels are taken as listed\n"
    "  --equivalents E     {gt id: [copy ids]}: also report lenient scores, where a listed copy counts as\n"
    "                      its ground-truth skill; each skill is credited once, at its first occurrence\n"
    "                      (itself or a copy); later repeats and copies count as non-relevant\n"
    "  --json              print {\"all\":{metric: mean, ..., \"count\": n}, \"single\":{...}, \"multi\":{...},\n"
    "                      \"count\": n, \"lenient\":{same shape, with --equivalents}}\n"
    "  --report            per task: its split and the 1-based rank of each ground-truth skill ('-' when\n"
    "                      absent); with --json, a \"tasks\" array instead\n"
    "  --baseline P        compare with these rankings (predictions format, e.g. another run's\n"
    "                      --predictions-out) task by task: per metric the difference, its 95%\n"
    "                      bootstrap interval over tasks and the tasks that got better / worse\n"
    "  --predictions-out F write the rankings scored (the predictions format; with a reranker, the\n"
    "                      reranked ones)\n"
    "\n"
    "retrieve and rerank with -i (the pipeline of `skillrouter route`; see docs/pipeline.md):\n"
    "  --mode M            dense, lexical or hybrid (default: hybrid when query vectors are available)\n"
    "  --embed-model DIR   embed each task's query with this model (the index must hold its vectors)\n"
    "  --query-vectors F   JSONL {\"task_id\": .., \"vector\": [..]}: the tasks' query embeddings\n"
    "  --fusion F          rrf (reciprocal rank, k=60; default) or weighted (min-max scores)\n"
    "  --dense-weight W    weighted fusion: weight of the dense scores (default 0.5)\n"
    "  --rerank-model DIR  rerank the top --rerank-k (default 20) of the retrieval list with the\n"
    "                      SkillRouter reranker; the report then has two stages, retrieval only and\n"
    "                      reranked, and the shortlist's recall (Recall@rerank-k of the retrieval list:\n"
    "                      the reranker's ceiling)\n"
    "  --tokenizer DIR     tokenizer of the models (default: the model directory)\n"
    "  --threads N         model threads\n"
    "  --retrieval-predictions-out F  write the retrieval stage's rankings\n"
    "  With --json, -i adds \"pipeline\" {mode, k, rerank_k} and \"stages\": {\"retrieval\": {the top level's\n"
    "  shape}, \"reranked\": {..}, \"shortlist\": {\"depth\": n, \"recall\": {all, single, multi},\n"
    "  \"lenient_recall\": {..}}}; the top level is the last stage. --report adds \"retrieval_ranks\".\n"
    "\n"
    "default model (without the pipeline flags above):\n"
    "  --model FILE        route with this default-model file (used automatically when the index holds\n"
    "                      the bundled model's vectors); the lexical stage's metrics go to stderr\n"
    "  --no-model          the plain lexical router\n"
    "  --no-rerank, --no-dense, --dense-only, --model-list N   ablations of the default model (fuse the\n"
    "                      two lists by reciprocal rank; lexical list only; the encoder's list alone;\n"
    "                      candidates per list, default 20)\n"
    "\n"
    "Repeated ids inside a ranking are kept, as the official evaluator does: a repeat of a relevant id\n"
    "counts again in Precision@3 and nDCG (Recall and FullCoverage use sets).\n"
    "\n"
    "Catalog-size scaling study: skillrouter eval -i INDEX --tasks T --relevance R --scale 10,20,all ...\n"
    "(see skillrouter eval --scale --help).\n";

typedef struct eval_args {
  const char *predictions, *index, *tasks, *relevance, *bench, *equivalents, *predictions_out;
  const char *retrieval_out, *query_vectors;
  const char *baseline;       /* --baseline P.json: paired comparison with these rankings */
  route_pipe_opts po;        /* pipeline flags (route's); used when `pipeline` */
  bool pipeline;
  const char *pools[MAX_POOLS];
  int n_pools;
  size_t k;
  int json, report;
  sr_bm25f_params bm25f;
  const char *model;          /* --model FILE (default model file) */
  int no_rerank, no_dense, dense_only, no_model;
  char model_buf[4200];
  size_t model_list;
} eval_args;

/* Routes the tasks with the default model; prints the lexical stage's headline metrics on stderr. */
static sr_status route_with_model(const sr_index *ix, const sr_bench *bench, const sr_eval_opts *opts,
                                  const eval_args *a, sr_predictions *pred, size_t *not_routed, sr_eval_latency *lat,
                                  sr_error *err) {
  sr_default_model m;
  sr_status st = sr_default_model_load(a->model, &m, err);
  if (st) return st;
  sr_default_route_opts ro = {.list = a->model_list, .no_rerank = a->no_rerank, .no_dense = a->no_dense,
                               .dense_only = a->dense_only};
  sr_default_router *r = NULL;
  sr_predictions lex = SR_PREDICTIONS_INIT;
  double t0 = sr_clock_s();
  st = sr_default_router_new(ix, &m, &ro, &r, err);
  if (!st && sr_default_router_vectors_computed(r))
    fprintf(stderr, "skillrouter eval: the index has no vectors of this model; computed them in memory (%.1f s)\n",
            sr_clock_s() - t0);
  if (!st) st = sr_eval_route_bench_model(ix, r, bench, opts, a->k, pred, &lex, not_routed, lat, err);
  sr_eval_result *res = NULL;
  if (!st && !(st = sr_eval_run(bench, &lex, opts, &res, err))) {
    const double *s = res->strict[SR_SPLIT_ALL].mean;
    fprintf(stderr, "stage 1 (lexical BM25F): Hit@1 %.4f  MRR@10 %.4f  R@10 %.4f  R@20 %.4f  R@50 %.4f\n",
            s[SR_M_HIT1], s[SR_M_MRR10], s[SR_M_RECALL10], s[SR_M_RECALL20], s[SR_M_RECALL50]);
  }
  sr_eval_result_free(res);
  sr_predictions_free(&lex);
  sr_default_router_free(r);
  sr_default_model_free(&m);
  return st;
}

/* Parses argv into a; returns 0, or 2 after printing a usage error (or -1 after --help). */
static int parse_args(int argc, char **argv, eval_args *a) {
  memset(a, 0, sizeof *a);
  a->k = 50;
  a->bm25f = sr_bm25f_defaults();
  a->po = (route_pipe_opts){.fusion = SR_FUSE_RRF, .dense_weight = 0.5, .rerank_k = 20};
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
      fputs(USAGE, stdout);
      cli_bm25f_help();
      return -1;
    }
    int r = cli_bm25f_flag(argc, argv, &i, &a->bm25f);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (!strcmp(o, "--json")) { a->json = 1; continue; }
    if (!strcmp(o, "--report")) { a->report = 1; continue; }
    if (!strcmp(o, "--no-rerank")) { a->no_rerank = 1; continue; }
    if (!strcmp(o, "--no-dense")) { a->no_dense = 1; continue; }
    if (!strcmp(o, "--dense-only")) { a->dense_only = 1; continue; }
    if (!strcmp(o, "--no-model")) { a->no_model = 1; continue; }
    if (i + 1 >= argc) {
      fprintf(stderr, "skillrouter eval: %s: %s\n", o, o[0] == '-' ? "missing value (see --help)" : "unexpected argument");
      return 2;
    }
    const char *v = argv[++i];
    if (!strcmp(o, "--predictions")) a->predictions = v;
    else if (!strcmp(o, "-i") || !strcmp(o, "--index")) a->index = v;
    else if (!strcmp(o, "--tasks")) a->tasks = v;
    else if (!strcmp(o, "--relevance")) a->relevance = v;
    else if (!strcmp(o, "--bench")) a->bench = v;
    else if (!strcmp(o, "--equivalents")) a->equivalents = v;
    else if (!strcmp(o, "--predictions-out")) a->predictions_out = v;
    else if (!strcmp(o, "--baseline")) a->baseline = v;
    else if (!strcmp(o, "--retrieval-predictions-out")) a->retrieval_out = v;
    else if (!strcmp(o, "--query-vectors")) a->query_vectors = v, a->pipeline = true;
    else if (!strcmp(o, "--embed-model")) a->po.embed_model = v, a->pipeline = true;
    else if (!strcmp(o, "--rerank-model")) a->po.rerank_model = v, a->pipeline = true;
    else if (!strcmp(o, "--tokenizer")) a->po.tokenizer = v;
    else if (!strcmp(o, "--mode")) {
      if (strcmp(v, "dense") && strcmp(v, "lexical") && strcmp(v, "hybrid")) {
        fprintf(stderr, "skillrouter eval: --mode: dense, lexical or hybrid, not '%s'\n", v);
        return 2;
      }
      a->po.mode = !strcmp(v, "dense") ? RP_DENSE : !strcmp(v, "lexical") ? RP_LEXICAL : RP_HYBRID;
      a->pipeline = true;
    } else if (!strcmp(o, "--fusion")) {
      if (strcmp(v, "rrf") && strcmp(v, "weighted")) {
        fprintf(stderr, "skillrouter eval: --fusion: rrf or weighted, not '%s'\n", v);
        return 2;
      }
      a->po.fusion = !strcmp(v, "rrf") ? SR_FUSE_RRF : SR_FUSE_WEIGHTED;
    } else if (!strcmp(o, "--dense-weight")) {
      char *end = NULL;
      a->po.dense_weight = strtod(v, &end);
      if (!*v || *end || !(a->po.dense_weight >= 0 && a->po.dense_weight <= 1)) {
        fprintf(stderr, "skillrouter eval: --dense-weight: expected a number from 0 to 1, got '%s'\n", v);
        return 2;
      }
    } else if (!strcmp(o, "--rerank-k")) {
      if (!cli_parse_size(o, v, &a->po.rerank_k)) return 2;
    } else if (!strcmp(o, "--threads")) {
      size_t t;
      if (!cli_parse_size(o, v, &t)) return 2;
      a->po.threads = (int)t;
    } else if (!strcmp(o, "--model")) a->model = v;
    else if (!strcmp(o, "--model-list")) {
      if (!cli_parse_size(o, v, &a->model_list)) return 2;
    }
    else if (!strcmp(o, "--pool")) {
      if (a->n_pools == MAX_POOLS) {
        fprintf(stderr, "skillrouter eval: at most %d --pool files\n", MAX_POOLS);
        return 2;
      }
      a->pools[a->n_pools++] = v;
    } else if (!strcmp(o, "-k")) {
      char *end = NULL;
      long k = strtol(v, &end, 10);
      if (!*v || *end || k < 1 || k > 100000) {
        fprintf(stderr, "skillrouter eval: -k: expected a number from 1 to 100000, got '%s'\n", v);
        return 2;
      }
      a->k = (size_t)k;
    } else {
      fprintf(stderr, "skillrouter eval: unknown option '%s' (see --help)\n", o);
      return 2;
    }
  }
  if (!a->predictions == !a->index) {
    fprintf(stderr, "skillrouter eval: give exactly one of --predictions or -i INDEX (see --help)\n");
    return 2;
  }
  if (a->pipeline && !a->index) {
    fprintf(stderr, "skillrouter eval: --mode/--embed-model/--query-vectors/--rerank-model apply to -i INDEX\n");
    return 2;
  }
  if (a->po.mode == RP_DENSE && !a->po.embed_model && !a->query_vectors) {
    fprintf(stderr, "skillrouter eval: --mode dense needs --embed-model or --query-vectors\n");
    return 2;
  }
  if (a->pipeline && a->model) {
    fprintf(stderr, "skillrouter eval: --model (the default model) and the pipeline flags exclude each other\n");
    return 2;
  }
  if (a->retrieval_out && !a->index) {
    fprintf(stderr, "skillrouter eval: --retrieval-predictions-out applies to -i INDEX\n");
    return 2;
  }
  if (a->index && a->n_pools) {
    fprintf(stderr, "skillrouter eval: --pool does not apply to -i (the pool is the index)\n");
    return 2;
  }
  return 0;
}

/* Fills tasks/relevance/equivalents from --bench DIR where not given; paths live in `store`. */
static int apply_bench_dir(eval_args *a, char store[3][4096]) {
  if (!a->bench) return 0;
  const char *names[3] = {"tasks.jsonl", "relevance.json", "equivalents.json"};
  const char **slots[3] = {&a->tasks, &a->relevance, &a->equivalents};
  for (int i = 0; i < 3; i++) {
    if (*slots[i]) continue;
    if (snprintf(store[i], 4096, "%s/%s", a->bench, names[i]) >= 4096) {
      fprintf(stderr, "skillrouter eval: --bench: path too long\n");
      return 2;
    }
    if (i < 2 || access(store[i], R_OK) == 0) *slots[i] = store[i];
  }
  return 0;
}

static void print_table(const sr_split_scores *sc, const char *title) {
  printf("%s\n%-16s %8s %8s %8s\n%-16s", title, "metric", "all", "single", "multi", "tasks");
  for (int sp = 0; sp < SR_SPLIT_COUNT; sp++) printf(" %8zu", sc[sp].count);
  printf("\n");
  for (int m = 0; m < SR_METRIC_COUNT; m++) {
    printf("%-16s", sr_metric_name((sr_metric)m));
    for (int sp = 0; sp < SR_SPLIT_COUNT; sp++)
      if (sc[sp].count) printf(" %8.4f", sc[sp].mean[m]);
      else printf(" %8s", "-");
    printf("\n");
  }
}

/* What was scored: one result per stage. `final` is the last stage (reranked with a reranker, else the
 * retrieval stage, else the predictions file); `retrieval` and `shortlist` are NULL when there are no
 * separate stages. */
typedef struct eval_outcome {
  const sr_eval_result *final, *retrieval, *shortlist;
  const char *mode;          /* retrieval mode with -i, else NULL */
  const sr_paired *paired[2];  /* against --baseline: strict, lenient (NULL when not asked / no lenient) */
} eval_outcome;

#define PAIRED_RESAMPLES 10000
#define PAIRED_SEED 20261121

static void print_paired(const sr_paired *p, const char *title, const eval_args *a) {
  printf("\n%sthis run vs the baseline %s, %zu tasks in both (%zu scored by one only); differences with\n"
         "95%% bootstrap intervals over tasks (%zu paired resamples):\n", title, a->baseline, p->n, p->unpaired,
         p->resamples);
  printf("%-16s %8s %9s %9s  %-19s %6s %6s\n", "metric", "run", "baseline", "diff", "95% interval", "better",
         "worse");
  for (int m = 0; m < SR_METRIC_COUNT; m++) {
    const sr_paired_metric *pm = &p->m[m];
    printf("%-16s %8.4f %9.4f %+9.4f  [%+.4f, %+.4f] %6zu %6zu\n", sr_metric_name((sr_metric)m), pm->run, pm->base,
           pm->diff, pm->lo, pm->hi, pm->better, pm->worse);
  }
}

/* {"baseline": path, "count": n, "unpaired": n, "resamples": B, "metrics": {name: {run, baseline, diff, lo,
 * hi, better, worse}}} as `key` of root; false when memory runs out. */
static bool add_paired(cJSON *root, const char *key, const sr_paired *p, const eval_args *a) {
  cJSON *o = cJSON_AddObjectToObject(root, key), *ms = o ? cJSON_AddObjectToObject(o, "metrics") : NULL;
  bool ok = ms && cJSON_AddStringToObject(o, "baseline", a->baseline) && cJSON_AddNumberToObject(o, "count", (double)p->n) &&
            cJSON_AddNumberToObject(o, "unpaired", (double)p->unpaired) &&
            cJSON_AddNumberToObject(o, "resamples", (double)p->resamples);
  for (int m = 0; ok && m < SR_METRIC_COUNT; m++) {
    const sr_paired_metric *pm = &p->m[m];
    cJSON *x = cJSON_AddObjectToObject(ms, sr_metric_name((sr_metric)m));
    ok = x && cJSON_AddNumberToObject(x, "run", pm->run) && cJSON_AddNumberToObject(x, "baseline", pm->base) &&
         cJSON_AddNumberToObject(x, "diff", pm->diff) && cJSON_AddNumberToObject(x, "lo", pm->lo) &&
         cJSON_AddNumberToObject(x, "hi", pm->hi) && cJSON_AddNumberToObject(x, "better", (double)pm->better) &&
         cJSON_AddNumberToObject(x, "worse", (double)pm->worse);
  }
  return ok;
}

static void print_counts(const sr_eval_result *r, const eval_args *a) {
  printf("%zu tasks scored (%zu single, %zu multi); skipped: %zu generic_only, %zu without ground truth%s, "
         "%zu without a ranking\n", r->strict[SR_SPLIT_ALL].count, r->strict[SR_SPLIT_SINGLE].count,
         r->strict[SR_SPLIT_MULTI].count, r->skipped_generic, r->skipped_no_gt,
         (a->n_pools || a->index) ? " in the pool" : "", r->skipped_no_prediction);
}

static void print_tables(const sr_eval_result *r, const char *what) {
  char title[160];
  snprintf(title, sizeof title, "%sstrict (only the listed ground truth counts)", what);
  print_table(r->strict, title);
  snprintf(title, sizeof title, "\n%slenient (a listed copy counts as its ground-truth skill)", what);
  if (r->has_lenient) print_table(r->lenient, title);
}

/* The retrieval → reranked comparison on all tasks, and the shortlist's recall. */
static void print_stage_gain(const eval_outcome *o, const eval_args *a) {
  size_t depth = a->po.rerank_k;
  double rec[SR_SPLIT_COUNT];
  sr_eval_recall_within(o->shortlist, SIZE_MAX, false, rec);
  printf("\nshortlist: the retrieval top %zu holds %.4f of the ground truth (single %.4f, multi %.4f): Recall@%zu of "
         "the retrieval stage, the reranker's ceiling\n", depth, rec[SR_SPLIT_ALL], rec[SR_SPLIT_SINGLE],
         rec[SR_SPLIT_MULTI], depth);
  if (o->shortlist->has_lenient) {
    sr_eval_recall_within(o->shortlist, SIZE_MAX, true, rec);
    printf("           lenient %.4f (single %.4f, multi %.4f)\n", rec[SR_SPLIT_ALL], rec[SR_SPLIT_SINGLE], rec[SR_SPLIT_MULTI]);
  }
  printf("\nreranker gain, all tasks, strict\n%-16s %9s %9s %9s\n", "metric", "retrieval", "reranked", "gain");
  for (int m = 0; m < SR_METRIC_COUNT; m++) {
    double x = o->retrieval->strict[SR_SPLIT_ALL].mean[m], y = o->final->strict[SR_SPLIT_ALL].mean[m];
    printf("%-16s %9.4f %9.4f %+9.4f\n", sr_metric_name((sr_metric)m), x, y, y - x);
  }
}

/* The ranks of one task's ground truth; `ret` (may be NULL) is the same task in the retrieval stage. */
static void print_task_ranks(const sr_task_score *t, const sr_task_score *ret) {
  printf("%-40s %-6s", t->task_id, t->single ? "single" : "multi");
  for (size_t g = 0; g < t->n_gt; g++) {
    if (t->rank[g]) printf(" %s:%zu", t->gt[g], t->rank[g]);
    else printf(" %s:-", t->gt[g]);
    if (t->rank_lenient && t->rank_lenient[g] != t->rank[g]) {
      if (t->rank_lenient[g]) printf(" (%zu)", t->rank_lenient[g]);
      else printf(" (-)");
    }
    if (ret && ret->rank[g] != t->rank[g]) {
      if (ret->rank[g]) printf(" [%zu]", ret->rank[g]);
      else printf(" [-]");
    }
  }
  printf("\n");
}

static void print_text(const eval_outcome *o, const eval_args *a) {
  const sr_eval_result *r = o->final;
  size_t dups = 0;
  for (size_t i = 0; i < r->n_tasks; i++) dups += r->tasks[i].has_duplicates;
  if (a->pipeline) {
    printf("pipeline: %s retrieval, top %zu", o->mode, a->k);
    if (o->retrieval) printf("; the first %zu reranked by %s", a->po.rerank_k, a->po.rerank_model);
    printf("\n");
  }
  print_counts(r, a);
  printf("\n");
  if (o->retrieval) {
    print_tables(o->retrieval, "stage 1, retrieval only: ");
    printf("\n");
    print_tables(r, "stage 2, reranked: ");
    print_stage_gain(o, a);
  } else {
    print_tables(r, "");
  }
  if (o->paired[0]) print_paired(o->paired[0], "strict: ", a);
  if (o->paired[1]) print_paired(o->paired[1], "lenient: ", a);
  if (!a->n_pools && !a->index)
    printf("\nnote: no --pool given; ground truth and graded labels were not filtered to a pool\n");
  if (dups) printf("\nnote: %zu rankings repeat an id; repeats count again in Precision@3 and nDCG\n", dups);
  if (!a->report) return;
  printf("\n%-40s %-6s ground-truth ranks%s%s\n", "task", "split", r->has_lenient ? " (lenient rank when different)" : "",
         o->retrieval ? " [retrieval rank when different]" : "");
  for (size_t i = 0; i < r->n_tasks; i++) print_task_ranks(&r->tasks[i], o->retrieval ? &o->retrieval->tasks[i] : NULL);
}

/* Adds {gt id: rank or null} for ranks[] as `key` of o; false when memory runs out. */
static bool add_ranks(cJSON *o, const char *key, const sr_task_score *t, const size_t *rank) {
  cJSON *ranks = cJSON_AddObjectToObject(o, key);
  bool ok = ranks != NULL;
  for (size_t g = 0; ok && g < t->n_gt; g++)
    ok = (rank[g] ? cJSON_AddNumberToObject(ranks, t->gt[g], (double)rank[g]) : cJSON_AddNullToObject(ranks, t->gt[g])) != NULL;
  return ok;
}

/* sr_eval_result_json parsed back into a cJSON object (NULL when memory runs out). */
static cJSON *result_json(const sr_eval_result *r) {
  char *text = sr_eval_result_json(r, false);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  return j;
}

static bool add_recall(cJSON *obj, const char *key, const sr_eval_result *r, bool lenient) {
  double rec[SR_SPLIT_COUNT];
  sr_eval_recall_within(r, SIZE_MAX, lenient, rec);
  cJSON *o = cJSON_AddObjectToObject(obj, key);
  bool ok = o != NULL;
  for (int sp = 0; ok && sp < SR_SPLIT_COUNT; sp++)
    ok = !r->strict[sp].count || cJSON_AddNumberToObject(o, sr_split_name((sr_split)sp), rec[sp]);
  return ok;
}

/* Prints the JSON summary (see USAGE); returns false when memory runs out. */
static bool print_json(const eval_outcome *o, const eval_args *a) {
  const sr_eval_result *r = o->final;
  if (!a->report && !o->mode && !o->paired[0]) {  /* a predictions file: the library's summary as it is */
    char *text = sr_eval_result_json(r, true);
    if (text) printf("%s\n", text);
    free(text);
    return text != NULL;
  }
  cJSON *root = result_json(r);
  bool ok = root != NULL;
  if (ok && o->mode) {
    cJSON *pl = cJSON_AddObjectToObject(root, "pipeline"), *st = cJSON_AddObjectToObject(root, "stages");
    ok = pl && st && cJSON_AddStringToObject(pl, "mode", o->mode) && cJSON_AddNumberToObject(pl, "k", (double)a->k);
    if (ok && o->retrieval) ok = cJSON_AddNumberToObject(pl, "rerank_k", (double)a->po.rerank_k) != NULL;
    cJSON *s1 = ok ? result_json(o->retrieval ? o->retrieval : r) : NULL;
    ok = s1 && cJSON_AddItemToObject(st, "retrieval", s1);
    if (!ok) cJSON_Delete(s1);
    if (ok && o->retrieval) {
      cJSON *s2 = result_json(r), *sl = cJSON_CreateObject();
      ok = s2 && sl && cJSON_AddItemToObject(st, "reranked", s2);
      if (!ok) cJSON_Delete(s2);
      ok = ok && cJSON_AddItemToObject(st, "shortlist", sl);
      if (!ok) cJSON_Delete(sl);
      ok = ok && cJSON_AddNumberToObject(sl, "depth", (double)a->po.rerank_k) && add_recall(sl, "recall", o->shortlist, false) &&
           (!o->shortlist->has_lenient || add_recall(sl, "lenient_recall", o->shortlist, true));
    }
  }
  if (ok && o->paired[0]) ok = add_paired(root, "paired", o->paired[0], a);
  if (ok && o->paired[1]) ok = add_paired(root, "paired_lenient", o->paired[1], a);
  cJSON *tasks = ok && a->report ? cJSON_AddArrayToObject(root, "tasks") : NULL;
  ok = ok && (!a->report || tasks);
  for (size_t i = 0; ok && a->report && i < r->n_tasks; i++) {
    const sr_task_score *t = &r->tasks[i];
    cJSON *to = cJSON_CreateObject();
    ok = to && cJSON_AddItemToArray(tasks, to) && cJSON_AddStringToObject(to, "task_id", t->task_id) &&
         cJSON_AddStringToObject(to, "split", t->single ? "single" : "multi") && add_ranks(to, "ranks", t, t->rank);
    if (ok && t->rank_lenient) ok = add_ranks(to, "lenient_ranks", t, t->rank_lenient);
    if (ok && o->retrieval) ok = add_ranks(to, "retrieval_ranks", t, o->retrieval->tasks[i].rank);
  }
  char *out = ok ? cJSON_Print(root) : NULL;
  if (out) printf("%s\n", out);
  free(out);
  cJSON_Delete(root);
  return out != NULL;
}

static void print_latency(const char *what, const sr_eval_latency *l) {
  fprintf(stderr, "%s over %zu queries: p50 %.2f ms, p99 %.2f ms, mean %.2f ms, max %.2f ms\n", what, l->queries, l->p50_ms,
          l->p99_ms, l->mean_ms, l->max_ms);
}

/* Routes the bench's tasks through ix (plain lexical routing, or the pipeline) into `final` (and, with a
 * reranker, `retrieval` and `shortlist` for the earlier stages). */
static sr_status route_tasks(eval_args *a, const sr_index *ix, const sr_bench *bench, const sr_eval_opts *opts,
                             eval_stages *es, const char **mode, sr_error *err) {
  size_t not_routed = 0;
  sr_status st;
  sr_vec_view vv;
  if (!a->pipeline && !a->model && !a->no_model && sr_index_vectors(ix, &vv) &&
      !strncmp(vv.info->model_id, "skillrouter-default:", 20) &&
      cli_default_model_find(NULL, false, a->model_buf, sizeof a->model_buf))
    a->model = a->model_buf;
  if (!a->pipeline) {
    sr_eval_latency lat;
    bool model = a->model && !a->no_model;
    *mode = model ? "default-model" : "lexical";
    if (model) st = route_with_model(ix, bench, opts, a, &es->retrieval, &not_routed, &lat, err);
    else st = sr_eval_route_bench(ix, bench, opts, a->k, &a->bm25f, &es->retrieval, &not_routed, &lat, err);
    if (!st)
      fprintf(stderr, "routing latency over %zu queries (index loaded): p50 %.2f ms, p99 %.2f ms, mean %.2f ms, max %.2f ms\n",
              lat.queries, lat.p50_ms, lat.p99_ms, lat.mean_ms, lat.max_ms);
  } else {
    route_pipe_opts po = a->po;
    po.k = a->k;
    po.bm25f = &a->bm25f;
    po.query_vectors_given = a->query_vectors != NULL;
    st = eval_pipeline_run(ix, bench, opts, &po, a->query_vectors, es, err);
    if (!st) {
      *mode = es->mode;
      not_routed = es->not_routed;
      bool dense = strcmp(es->mode, "lexical") != 0, lexical = strcmp(es->mode, "dense") != 0;
      if (dense && !a->query_vectors) print_latency("query embedding", &es->embed);
      if (dense) print_latency("dense search", &es->dense);
      if (lexical) print_latency("lexical search", &es->lexical);
      if (es->has_rerank) print_latency("reranking", &es->rerank);
      print_latency("pipeline total (models loaded)", &es->total);
      if (es->missing_vectors)
        fprintf(stderr, "skillrouter eval: warning: %zu tasks have no query vector in %s and were not routed\n",
                es->missing_vectors, a->query_vectors);
    }
  }
  if (not_routed)
    fprintf(stderr, "skillrouter eval: warning: %zu tasks have no instruction_text and were not routed\n", not_routed);
  return st;
}

int cmd_eval(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--scale")) return cmd_eval_scale(argc, argv);
  eval_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  char bench_paths[3][4096];
  if ((rc = apply_bench_dir(&a, bench_paths))) return rc;
  if (!a.tasks || !a.relevance) {
    fprintf(stderr, "skillrouter eval: --tasks and --relevance (or --bench DIR) are required (see --help)\n");
    return 2;
  }
  sr_error err = {0};
  sr_bench *bench = NULL;
  sr_predictions pred = SR_PREDICTIONS_INIT;
  sr_id_set pool = SR_ID_SET_INIT;
  sr_equivalents eq = SR_EQUIVALENTS_INIT;
  sr_index *ix = NULL;
  eval_stages es;
  memset(&es, 0, sizeof es);
  es.retrieval = es.reranked = es.shortlist = (sr_predictions)SR_PREDICTIONS_INIT;
  sr_eval_result *res = NULL, *res_ret = NULL, *res_short = NULL, *res_base = NULL;
  sr_predictions base_pred = SR_PREDICTIONS_INIT;
  sr_paired paired[2];
  eval_outcome out = {0};
  sr_eval_opts opts = {NULL, NULL, NULL};
  sr_status st = sr_bench_load(a.tasks, a.relevance, &bench, &err);
  if (!st && a.equivalents && !(st = sr_equivalents_load(a.equivalents, &eq, &err))) opts.equivalents = &eq;
  for (int i = 0; !st && i < a.n_pools; i++) st = sr_id_set_add_pool_file(&pool, a.pools[i], &err);
  if (!st && a.n_pools) opts.in_pool = sr_eval_in_id_set, opts.pool_ctx = &pool;
  if (!st && a.predictions) st = sr_predictions_load(a.predictions, &pred, &err);
  const sr_predictions *final = &pred;
  if (!st && a.index && !(st = sr_index_open(a.index, &ix, &err))) {
    opts.in_pool = sr_eval_in_index, opts.pool_ctx = ix;
    st = route_tasks(&a, ix, bench, &opts, &es, &out.mode, &err);
    final = es.has_rerank ? &es.reranked : &es.retrieval;
  }
  if (!st && a.predictions_out) st = sr_predictions_write(final, a.predictions_out, &err);
  if (!st && a.retrieval_out) st = sr_predictions_write(&es.retrieval, a.retrieval_out, &err);
  if (!st) st = sr_eval_run(bench, final, &opts, &res, &err);
  if (!st && es.has_rerank) st = sr_eval_run(bench, &es.retrieval, &opts, &res_ret, &err);
  if (!st && es.has_rerank) st = sr_eval_run(bench, &es.shortlist, &opts, &res_short, &err);
  if (!st && a.baseline && !(st = sr_predictions_load(a.baseline, &base_pred, &err)) &&
      !(st = sr_eval_run(bench, &base_pred, &opts, &res_base, &err)) &&
      !(st = sr_paired_compare(res, res_base, false, PAIRED_RESAMPLES, PAIRED_SEED, &paired[0], &err))) {
    out.paired[0] = &paired[0];
    if (res->has_lenient &&
        !(st = sr_paired_compare(res, res_base, true, PAIRED_RESAMPLES, PAIRED_SEED, &paired[1], &err)))
      out.paired[1] = &paired[1];
  }
  if (!st) {
    out.final = res;
    out.retrieval = res_ret;
    out.shortlist = res_short;
    if (a.json) {
      if (!print_json(&out, &a)) st = sr_fail(&err, SR_ERR_NOMEM, "eval: out of memory");
    } else {
      print_text(&out, &a);
    }
  }
  if (st) fprintf(stderr, "skillrouter eval: %s\n", err.msg);
  sr_eval_result_free(res);
  sr_eval_result_free(res_ret);
  sr_eval_result_free(res_short);
  sr_eval_result_free(res_base);
  sr_predictions_free(&base_pred);
  if (ix) sr_index_close(ix);
  eval_stages_free(&es);
  sr_predictions_free(&pred);
  sr_id_set_free(&pool);
  sr_equivalents_free(&eq);
  sr_bench_free(bench);
  return st ? 1 : 0;
}
