/* cmd_train.c — `skillrouter train`: trains the default model (static bi-encoder + listwise reranker)
 * on an index's catalog. See src/train/train.h for the recipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli_common.h"
#include "cli/cli_exclude.h"
#include "cli/commands.h"
#include "eval/bench_data.h"
#include "index/index.h"
#include "route/default_model.h"
#include "train/query_writer.h"
#include "train/train.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fileio.h"

static const char USAGE[] =
    "usage: skillrouter train -i INDEX -o MODEL.srm [options]\n"
    "\n"
    "Trains the default router model on the catalog in INDEX: pseudo-queries cut from the skills\n"
    "themselves (\"when to use\" sections, body spans, descriptions without the skill's name) and your\n"
    "labelled pairs, 10 hard negatives per query (4 dense, 3 BM25, 2 same category, 1 random) with a\n"
    "false-negative filter (same name; body trigram Jaccard; encoder cosine), a static bi-encoder trained\n"
    "with InfoNCE, then a listwise reranker over the top candidates. Deterministic for a given --seed.\n"
    "\n"
    "data:\n"
    "  --queries N          pseudo-queries to make, at most one per skill (default 40000)\n"
    "  --pairs FILE         labelled pairs, JSONL {\"query\": .., \"skill_id\": ..} (added to the pseudo-queries;\n"
    "                       lines of excluded skills are skipped)\n"
    "  --pairs-tasks T --pairs-relevance R   labelled pairs from a benchmark-format set (tasks.jsonl\n"
    "                       + relevance.json, e.g. a tool benchmark's training split): one pair per\n"
    "                       (task, ground-truth id); a task's several answers train as one group\n"
    "  --heldout F          share of pairs held out for the Hit@1 reported during training (default 0.05)\n"
    "  --rr-share F         share of pairs the encoder never sees, used to train the reranker (0.25)\n"
    "  --pairs-rr-share F   that share for labelled pairs (--pairs, --pairs-tasks, written queries) alone\n"
    "  --pairs-rr-weight N  train each labelled reranker list N times per epoch (1)\n"
    "  --exclude-bench DIR  never train on a benchmark's ground truth: DIR/relevance.json ids, their\n"
    "                       copies in DIR/equivalents.json, and skills with a ground-truth skill's name\n"
    "  --exclude-ids FILE   never train on these ids (one per line)\n"
    "  --seed N             (default 20261121)\n"
    "LLM-written queries (optional; see `skillrouter write-queries --help`):\n"
    "  --query-writer URL   first ask this OpenAI-compatible chat endpoint (e.g. a local llama-server,\n"
    "                       http://127.0.0.1:8080) for task-style queries, then train on them as well\n"
    "  --writer-model NAME  the request's \"model\" (default \"default\")\n"
    "  --writer-queries N   skills to write a query for (default 1000; same exclusions and seed)\n"
    "  --writer-out FILE    where they go (default MODEL.srm.queries.jsonl); an existing file is resumed\n"
    "  --writer-parallel P  requests at once (4)   --writer-timeout-ms T (120000)\n"
    "  --writer-api-key-env VAR   send $VAR as the bearer token\n"
    "negatives and filter:\n"
    "  --negatives D,B,C,R  per query: dense, BM25, same category, random (default 4,3,2,1)\n"
    "  --no-filter          keep raw negatives (ablation)\n"
    "  --fn-jaccard X       body word-trigram Jaccard above which a negative is dropped (0.6)\n"
    "  --fn-cosine X        encoder cosine above which a negative is dropped (0.92)\n"
    "bi-encoder:\n"
    "  --dim N --buckets N  embedding size and hashed rows (256, 65536)\n"
    "  --cooc-init          start from the catalog's co-occurrence (random indexing) instead of random rows\n"
    "  --init-std X         std of the random starting rows (0.1)\n"
    "  --epochs N --batch N --lr X --tau X   (2, 128, 0.05, 0.05)\n"
    "reranker:\n"
    "  --rr-loss listwise|pointwise   (listwise)\n"
    "  --rr-list N          candidates from each first-stage list (20)\n"
    "  --rr-drop-copies     drop the positive's copies (same name, or holding the query's text) from\n"
    "                       the training lists instead of keeping them as negatives (held-out lists\n"
    "                       always drop them)\n"
    "  --rr-features N      network inputs: 24 (default) or 20 (without the query-repeat features)\n"
    "  --rr-last-weights    keep the last epoch's weights instead of averaging the second half's\n"
    "  --rr-members N       networks trained from different seeds, averaged into one (8; members x\n"
    "                       hidden units <= 256; 1 = a single network)\n"
    "  --rr-epochs N --rr-hidden N --rr-lr X --rr-tau X   (30, 32, 0.002, 1)\n"
    "  --no-reranker        train the bi-encoder only\n"
    "  --encoder-from M.srm keep that model's encoder and train only the reranker (minutes, not ten)\n"
    "other:\n"
    "  --threads N          (default: all cores)\n"
    "  --checkpoint FILE    after every encoder epoch write the model so far, with the state to resume\n"
    "                       from (a usable model file; without a reranker until the run ends)\n"
    "  --resume FILE        continue the run that wrote checkpoint FILE: same index and options (checked);\n"
    "                       the result is the model that run would have written. Checkpoints go on to\n"
    "                       FILE unless --checkpoint says otherwise; a larger --epochs trains further\n"
    "  -q, --quiet          no progress lines\n";

/* Writes the (task instruction, ground-truth id) pairs of a benchmark-format labelled set (tasks.jsonl
 * + relevance.json: core_gt_ids or gt_skill_ids) as labelled JSONL to a new temporary file whose path
 * goes to path[cap]; a task with several right answers gives one line per answer (training groups
 * them). Returns the number of pairs, or -1 after printing the error. The caller removes the file. */
static long bench_pairs_file(const char *tasks, const char *rel, char *path, size_t cap) {
  sr_error err = {0};
  sr_bench *b = NULL;
  if (sr_bench_load(tasks, rel, &b, &err) != SR_OK) {
    fprintf(stderr, "skillrouter train: %s\n", err.msg);
    return -1;
  }
  const char *tmp = getenv("TMPDIR");
  snprintf(path, cap, "%s/skillrouter-pairs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    fprintf(stderr, "skillrouter train: cannot create a temporary file %s\n", path);
    if (fd >= 0) close(fd), unlink(path);
    sr_bench_free(b);
    return -1;
  }
  long n = 0;
  for (size_t t = 0; t < b->n_tasks; t++) {
    const sr_bench_task *k = &b->tasks[t];
    if (!k->instruction) continue;
    for (size_t g = 0; g < k->gt.n; g++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "query", k->instruction);
      cJSON_AddStringToObject(o, "skill_id", k->gt.ids[g]);
      char *line = cJSON_PrintUnformatted(o);
      cJSON_Delete(o);
      if (!line || fprintf(f, "%s\n", line) < 0) n = -2;
      free(line);
      if (n < 0) break;
      n++;
    }
    if (n < 0) break;
  }
  sr_bench_free(b);
  if (fclose(f) != 0 || n < 0) {
    fprintf(stderr, "skillrouter train: writing %s failed\n", path);
    unlink(path);
    return -1;
  }
  return n;
}

static void log_line(void *ctx, const char *line) {
  (void)ctx;
  fprintf(stderr, "[%7.1fs] %s\n", sr_clock_s() - *(double *)ctx, line);
}

static bool parse_float(const char *flag, const char *v, float *out) {
  char *end;
  double x = strtod(v, &end);
  if (!*v || *end || !(x >= 0)) {
    fprintf(stderr, "skillrouter train: %s needs a non-negative number, got \"%s\"\n", flag, v);
    return false;
  }
  *out = (float)x;
  return true;
}

int cmd_train(int argc, char **argv) {
  sr_train_opts o = sr_train_defaults();
  const char *index = NULL, *out = NULL, *bench = NULL, *excl = NULL, *pairs = NULL, *pairs_tasks = NULL, *pairs_rel = NULL;
  const char *writer_out = NULL, *key_env = NULL;
  sr_qw_opts qw = sr_qw_defaults();
  bool quiet = false;
  size_t v;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(USAGE, stdout);
      return 0;
    }
    if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { quiet = true; continue; }
    if (!strcmp(a, "--no-filter")) { o.filter = false; continue; }
    if (!strcmp(a, "--no-reranker")) { o.train_reranker = false; continue; }
    if (!strcmp(a, "--rr-drop-copies")) { o.rr_drop_copies = true; continue; }
    if (!strcmp(a, "--cooc-init")) { o.cooc_init = true; continue; }
    if (!strcmp(a, "--rr-last-weights")) { o.rr_average = false; continue; }
    if (!val) {
      fprintf(stderr, "skillrouter train: unknown option or missing value: %s (see --help)\n", a);
      return 2;
    }
    bool ok = true;
    i++;
    if (!strcmp(a, "-i") || !strcmp(a, "--index")) index = val;
    else if (!strcmp(a, "-o") || !strcmp(a, "--out")) out = val;
    else if (!strcmp(a, "--pairs")) pairs = val;
    else if (!strcmp(a, "--pairs-tasks")) pairs_tasks = val;
    else if (!strcmp(a, "--pairs-relevance")) pairs_rel = val;
    else if (!strcmp(a, "--query-writer")) qw.endpoint = val;
    else if (!strcmp(a, "--writer-model")) qw.model = val;
    else if (!strcmp(a, "--writer-out")) writer_out = val;
    else if (!strcmp(a, "--writer-api-key-env")) key_env = val;
    else if (!strcmp(a, "--writer-queries")) ok = cli_parse_size(a, val, &qw.n_queries);
    else if (!strcmp(a, "--writer-parallel")) { ok = cli_parse_size(a, val, &v) && v <= 64; qw.parallel = (int)v; }
    else if (!strcmp(a, "--writer-timeout-ms")) { ok = cli_parse_size(a, val, &v); qw.timeout_ms = (long)v; }
    else if (!strcmp(a, "--exclude-bench")) bench = val;
    else if (!strcmp(a, "--exclude-ids")) excl = val;
    else if (!strcmp(a, "--checkpoint")) o.checkpoint_path = val;
    else if (!strcmp(a, "--resume")) o.resume_from = val;
    else if (!strcmp(a, "--encoder-from")) o.encoder_from = val;
    else if (!strcmp(a, "--queries")) ok = cli_parse_size(a, val, &o.pairs.n_queries);
    else if (!strcmp(a, "--seed")) { ok = cli_parse_size(a, val, &v); o.seed = v; }
    else if (!strcmp(a, "--dim")) { ok = cli_parse_size(a, val, &v); o.dim = (uint32_t)v; }
    else if (!strcmp(a, "--buckets")) { ok = cli_parse_size(a, val, &v); o.buckets = (uint32_t)v; }
    else if (!strcmp(a, "--epochs")) { ok = cli_parse_size(a, val, &v); o.epochs = (int)v; }
    else if (!strcmp(a, "--batch")) ok = cli_parse_size(a, val, &o.batch);
    else if (!strcmp(a, "--threads")) { ok = cli_parse_size(a, val, &v); o.threads = (int)v; }
    else if (!strcmp(a, "--rr-epochs")) { ok = cli_parse_size(a, val, &v); o.rr_epochs = (int)v; }
    else if (!strcmp(a, "--rr-list")) ok = cli_parse_size(a, val, &o.rr_list);
    else if (!strcmp(a, "--rr-hidden")) { ok = cli_parse_size(a, val, &v); o.rr_hidden = (uint32_t)v; }
    else if (!strcmp(a, "--rr-members")) { ok = cli_parse_size(a, val, &v); o.rr_members = (uint32_t)v; }
    else if (!strcmp(a, "--rr-features")) { ok = cli_parse_size(a, val, &v); o.rr_features = (uint32_t)v; }
    else if (!strcmp(a, "--lr")) ok = parse_float(a, val, &o.lr);
    else if (!strcmp(a, "--tau")) ok = parse_float(a, val, &o.tau);
    else if (!strcmp(a, "--rr-lr")) ok = parse_float(a, val, &o.rr_lr);
    else if (!strcmp(a, "--init-std")) ok = parse_float(a, val, &o.init_std);
    else if (!strcmp(a, "--rr-tau")) ok = parse_float(a, val, &o.rr_tau);
    else if (!strcmp(a, "--fn-jaccard")) ok = parse_float(a, val, &o.fn_jaccard);
    else if (!strcmp(a, "--fn-cosine")) ok = parse_float(a, val, &o.fn_cosine);
    else if (!strcmp(a, "--heldout")) {
      float h;
      ok = parse_float(a, val, &h) && h < 1;
      o.pairs.heldout = h;
    } else if (!strcmp(a, "--rr-share")) {
      float h;
      ok = parse_float(a, val, &h) && h < 1;
      o.pairs.reranker_share = h;
    } else if (!strcmp(a, "--pairs-rr-share")) {
      float h;
      ok = parse_float(a, val, &h) && h > 0 && h < 1;
      o.pairs.labelled_reranker_share = h;
    } else if (!strcmp(a, "--pairs-rr-weight")) {
      ok = cli_parse_size(a, val, &v) && v >= 1 && v <= 1000;
      o.rr_labelled_weight = (uint32_t)v;
    } else if (!strcmp(a, "--rr-loss")) {
      if (!strcmp(val, "listwise")) o.rr_loss = SR_RR_LISTWISE;
      else if (!strcmp(val, "pointwise")) o.rr_loss = SR_RR_POINTWISE;
      else ok = false;
    } else if (!strcmp(a, "--negatives")) {
      int d, b, c, r;
      char tail;
      ok = sscanf(val, "%d,%d,%d,%d%c", &d, &b, &c, &r, &tail) == 4 && d >= 0 && b >= 0 && c >= 0 && r >= 0;
      if (ok) o.neg_dense = d, o.neg_bm25 = b, o.neg_cat = c, o.neg_rand = r;
    } else {
      fprintf(stderr, "skillrouter train: unknown option: %s (see --help)\n", a);
      return 2;
    }
    if (!ok) {
      fprintf(stderr, "skillrouter train: bad value for %s: \"%s\"\n", a, val);
      return 2;
    }
  }
  if (!index || !out) {
    fprintf(stderr, "skillrouter train: -i INDEX and -o MODEL are required (see --help)\n");
    return 2;
  }
  if (o.resume_from && o.encoder_from) {
    fprintf(stderr, "skillrouter train: --resume continues a whole run, --encoder-from trains only a reranker: "
                    "give one of them\n");
    return 2;
  }
  if (o.resume_from && !o.checkpoint_path) o.checkpoint_path = o.resume_from;
  if (!pairs_tasks != !pairs_rel) {
    fprintf(stderr, "skillrouter train: --pairs-tasks and --pairs-relevance go together\n");
    return 2;
  }
  if (!qw.endpoint && (qw.model || writer_out || key_env)) {
    fprintf(stderr, "skillrouter train: the --writer-* options need --query-writer URL\n");
    return 2;
  }
  if (key_env && !(qw.api_key = getenv(key_env))) {
    fprintf(stderr, "skillrouter train: --writer-api-key-env: $%s is not set\n", key_env);
    return 2;
  }
  sr_error err = {0};
  sr_index *ix = NULL;
  if (sr_index_open(index, &ix, &err) != SR_OK) {
    fprintf(stderr, "skillrouter train: %s\n", err.msg);
    return 1;
  }
  cli_id_list ex = {0};
  if (!cli_exclusions("train", bench, excl, ix, &ex)) {
    cli_id_list_free(&ex);
    sr_index_close(ix);
    return 1;
  }
  o.pairs.exclude_ids = (const char *const *)ex.v;
  o.pairs.n_exclude = ex.n;
  volatile int cancel = 0;
  cli_catch_interrupt(&cancel);
  o.cancel = &cancel;
  double t0 = sr_clock_s();
  if (!quiet) {
    o.log = log_line;
    o.log_ctx = &t0;
  }
  /* the LLM query writer first; its file joins --pairs as labelled data */
  char default_writer_out[4096];
  const char *labelled[3];
  size_t n_labelled = 0;
  if (pairs) labelled[n_labelled++] = pairs;
  sr_status st = SR_OK;
  char bench_pairs[4096] = "";
  if (pairs_tasks) {
    long np = bench_pairs_file(pairs_tasks, pairs_rel, bench_pairs, sizeof bench_pairs);
    if (np < 0) {
      cli_id_list_free(&ex);
      sr_index_close(ix);
      return 1;
    }
    if (o.log) {
      char line[256];
      snprintf(line, sizeof line, "labelled pairs from %s + %s: %ld", pairs_tasks, pairs_rel, np);
      o.log(o.log_ctx, line);
    }
    labelled[n_labelled++] = bench_pairs;
  }
  if (qw.endpoint) {
    if (!writer_out) {
      snprintf(default_writer_out, sizeof default_writer_out, "%s.queries.jsonl", out);
      writer_out = default_writer_out;
    }
    qw.seed = o.seed;
    qw.exclude_ids = o.pairs.exclude_ids;
    qw.n_exclude = o.pairs.n_exclude;
    qw.log = o.log;
    qw.log_ctx = o.log_ctx;
    qw.cancel = &cancel;
    st = sr_qw_run(ix, &qw, writer_out, NULL, &err);
    labelled[n_labelled++] = writer_out;
  }
  o.pairs.labelled_paths = labelled;
  o.pairs.n_labelled = n_labelled;
  sr_default_model m;
  memset(&m, 0, sizeof m);
  sr_train_report rep;
  memset(&rep, 0, sizeof rep);
  if (st == SR_OK) st = sr_train(ix, &o, &m, &rep, &err);
  if (st == SR_OK) st = sr_default_model_save(&m, out, &err);
  if (st == SR_OK && m.has_rr)
    fprintf(stderr, "wrote %s: %zu training pairs, held-out Hit@1 BM25F %.3f / dense %.3f / reranked %.3f, %.1f s\n",
            out, rep.pairs_train, rep.heldout_lex_hit1, rep.heldout_dense_hit1, rep.heldout_rr_hit1, rep.seconds);
  else if (st == SR_OK)
    fprintf(stderr, "wrote %s (no reranker): %zu training pairs, held-out Hit@1 BM25F %.3f / dense %.3f, %.1f s\n", out,
            rep.pairs_train, rep.heldout_lex_hit1, rep.heldout_dense_hit1, rep.seconds);
  else
    fprintf(stderr, "skillrouter train: %s\n", err.msg);
  if (st == SR_ERR_INTERRUPTED && rep.checkpoint_epochs > 0)
    fprintf(stderr, "skillrouter train: %s holds %d encoder epoch(s); the same command with --resume %s continues\n",
            o.checkpoint_path, rep.checkpoint_epochs, o.checkpoint_path);
  if (bench_pairs[0]) unlink(bench_pairs);
  sr_default_model_free(&m);
  cli_id_list_free(&ex);
  sr_index_close(ix);
  return st == SR_OK ? 0 : (st == SR_ERR_INTERRUPTED ? 130 : 1);
}
