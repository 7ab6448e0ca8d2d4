/* cmd_rerank.c — `skillrouter rerank --model PATH --query Q DOC... [--json] [--instruction S]
 * [--tokenizer DIR] [--threads N]`: scores each DOC against Q with the SkillRouter reranker
 * (PROTOCOL.md "flat-full": body "<Instruct>: …\n\n<Query>: Q\n\n<Document>: name | desc | body"
 * between the chat prefix and suffix; score = logit("yes") - logit("no")) and prints them in input order, each with its rank by
 * score, descending. A DOC written "name | description | body" gets the caps 500 / 2000 characters on
 * description and body; any other DOC is used whole. With several DOCs the token prefix they share
 * (chat prefix, instruction, query) runs once and its K/V cache is reused (sr_qwen3_rerank_batch). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_model.h"
#include "cli/commands.h"
#include "model/prompts.h"
#include "util/buf.h"

typedef struct scored {
  int index;
  float score, prob;
} scored;

static int by_score_desc(const void *a, const void *b) {
  const scored *x = a, *y = b;
  return x->score < y->score ? 1 : x->score > y->score ? -1 : x->index - y->index;
}

static void rerank_usage(FILE *f) {
  fprintf(f, "usage: skillrouter rerank --model PATH --query Q DOC... [--json] [--instruction S]\n"
             "       [--tokenizer DIR] [--threads N]\n");
}

/* Builds the reranker body for one document string (split into name | description | body). */
static sr_status doc_body(const char *instr, const char *query, const char *doc, char **out, sr_error *err) {
  const char *s1 = strstr(doc, " | ");
  const char *s2 = s1 ? strstr(s1 + 3, " | ") : NULL;
  if (!s2) {
    sr_buf b = SR_BUF_INIT;
    bool ok = sr_buf_printf(&b, "<Instruct>: %s\n\n<Query>: %s\n\n<Document>: %s", instr ? instr : SR_RERANK_INSTRUCTION,
                            query, doc);
    *out = ok ? sr_buf_take(&b) : NULL;
    if (!ok) sr_buf_free(&b);
    return *out ? SR_OK : sr_fail(err, SR_ERR_NOMEM, "out of memory");
  }
  char *name = strndup(doc, (size_t)(s1 - doc)), *desc = strndup(s1 + 3, (size_t)(s2 - s1 - 3));
  sr_status st = name && desc ? sr_rerank_body_text(instr, query, name, desc, s2 + 3, SR_RERANK_DESC_CHARS,
                                                    SR_RERANK_BODY_CHARS, out, err)
                              : sr_fail(err, SR_ERR_NOMEM, "out of memory");
  free(name);
  free(desc);
  return st;
}

int cmd_rerank(int argc, char **argv) {
  const char *model = NULL, *tok_dir = NULL, *instr = NULL, *query = NULL;
  bool json = false;
  long threads = 0;
  int n_pos = 1;   /* positional arguments are moved to argv[1..n_pos) */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { rerank_usage(stdout); return 0; }
    if (!strcmp(a, "--json")) json = true;
    else if (i + 1 < argc && !strcmp(a, "--model")) model = argv[++i];
    else if (i + 1 < argc && !strcmp(a, "--query")) query = argv[++i];
    else if (i + 1 < argc && !strcmp(a, "--tokenizer")) tok_dir = argv[++i];
    else if (i + 1 < argc && !strcmp(a, "--instruction")) instr = argv[++i];
    else if (i + 1 < argc && !strcmp(a, "--threads")) threads = strtol(argv[++i], NULL, 10);
    else if (!strcmp(a, "--")) { while (++i < argc) argv[n_pos++] = argv[i]; }
    else if (a[0] == '-' && a[1] == '-') { fprintf(stderr, "skillrouter rerank: unknown option %s\n", a); rerank_usage(stderr); return 2; }
    else argv[n_pos++] = argv[i];
  }
  const int first = 1;
  argc = n_pos;
  if (!model || !query || first >= argc) { rerank_usage(stderr); return 2; }
  sr_error err;
  cli_model cm;
  if (cli_model_load(model, tok_dir, (int)threads, &cm, &err)) {
    fprintf(stderr, "skillrouter rerank: %s\n", err.msg);
    return 1;
  }
  int32_t *pre = NULL, *suf = NULL;
  size_t np = 0, ns = 0, nd = (size_t)(argc - first);
  scored *res = calloc(nd, sizeof *res);
  int rc = 0;
  if (!res || cli_encode(&cm, SR_RERANK_PREFIX, &pre, &np, &err) || cli_encode(&cm, SR_RERANK_SUFFIX, &suf, &ns, &err)) {
    fprintf(stderr, "skillrouter rerank: %s\n", res ? err.msg : "out of memory");
    rc = 1;
  }
  /* the protocol's 4096-token cap, or the model's own position limit when that is smaller */
  size_t max_tokens = SR_QWEN3_MAX_TOKENS;
  if (cm.model->cfg.max_pos > 0 && (size_t)cm.model->cfg.max_pos < max_tokens) max_tokens = (size_t)cm.model->cfg.max_pos;
  /* every document's full body is tokenised as before; the token prefix all bodies share (instruction
   * and query, up to where the first document differs) joins the chat prefix and runs once, through
   * sr_qwen3_rerank_batch's K/V cache. The model sees the same token sequences as scoring each
   * document alone, so the scores are the same up to f32 summation order. */
  int32_t **ids = rc ? NULL : calloc(nd, sizeof *ids);
  size_t *lens = rc ? NULL : calloc(nd, sizeof *lens);
  if (!rc && (!ids || !lens)) {
    fprintf(stderr, "skillrouter rerank: out of memory\n");
    rc = 1;
  }
  for (size_t d = 0; d < nd && !rc; d++) {
    char *body = NULL;
    sr_status st = doc_body(instr, query, argv[first + (int)d], &body, &err);
    if (!st) st = cli_encode(&cm, body, &ids[d], &lens[d], &err);
    if (!st && np + lens[d] + ns > max_tokens)
      fprintf(stderr, "skillrouter rerank: warning: document %zu: %zu tokens with the prompt; its text is truncated "
              "to fit %zu, as the reference does\n", d + 1, np + lens[d] + ns, max_tokens);
    res[d].index = (int)d;
    if (st) {
      fprintf(stderr, "skillrouter rerank: document %zu: %s\n", d + 1, err.msg);
      rc = 1;
    }
    free(body);
  }
  if (!rc && nd == 1) {
    if (sr_qwen3_rerank(cm.model, pre, np, ids[0], lens[0], suf, ns, max_tokens, &res[0].score, &res[0].prob, &err)) {
      fprintf(stderr, "skillrouter rerank: document 1: %s\n", err.msg);
      rc = 1;
    }
  } else if (!rc && np + ns < max_tokens) {
    size_t lcp = lens[0];
    for (size_t d = 1; d < nd; d++) {
      size_t k = 0;
      while (k < lcp && k < lens[d] && ids[d][k] == ids[0][k]) k++;
      lcp = k;
    }
    /* the shared part must leave room for one body token (sr_qwen3_rerank's cut is then the same) */
    if (np + lcp + ns >= max_tokens) lcp = max_tokens - np - ns - 1;
    int32_t *shared = malloc(sizeof(int32_t) * (np + lcp));
    const int32_t **dp = malloc(sizeof *dp * nd);
    size_t *dl = malloc(sizeof *dl * nd);
    float *sc = malloc(sizeof *sc * nd);
    if (!shared || !dp || !dl || !sc) {
      fprintf(stderr, "skillrouter rerank: out of memory\n");
      rc = 1;
    } else {
      memcpy(shared, pre, sizeof(int32_t) * np);
      if (lcp) memcpy(shared + np, ids[0], sizeof(int32_t) * lcp);
      for (size_t d = 0; d < nd; d++) dp[d] = ids[d] + lcp, dl[d] = lens[d] - lcp;
      if (sr_qwen3_rerank_batch(cm.model, shared, np + lcp, dp, dl, nd, suf, ns, max_tokens, sc, &err)) {
        fprintf(stderr, "skillrouter rerank: %s\n", err.msg);
        rc = 1;
      }
      for (size_t d = 0; d < nd && !rc; d++) res[d].score = sc[d], res[d].prob = 1.0f / (1.0f + expf(-sc[d]));
    }
    free(shared), free(dp), free(dl), free(sc);
  } else if (!rc) {
    fprintf(stderr, "skillrouter rerank: the prompt's %zu tokens leave no room within %zu\n", np + ns, max_tokens);
    rc = 1;
  }
  for (size_t d = 0; ids && d < nd; d++) free(ids[d]);
  free(ids);
  free(lens);
  if (!rc) {
    /* output stays in input order; each document's rank comes from a score-sorted copy */
    scored *sorted = malloc(nd * sizeof *sorted);
    size_t *rank = malloc(nd * sizeof *rank);
    if (!sorted || !rank) {
      free(sorted);
      free(rank);
      fprintf(stderr, "skillrouter rerank: out of memory\n");
      rc = 1;
      goto out_of_memory;
    }
    memcpy(sorted, res, nd * sizeof *sorted);
    qsort(sorted, nd, sizeof *sorted, by_score_desc);
    for (size_t r = 0; r < nd; r++) rank[sorted[r].index] = r + 1;
    free(sorted);
    sr_buf out = SR_BUF_INIT;
    if (json) sr_buf_puts(&out, "[");
    for (size_t r = 0; r < nd; r++) {
      const char *doc = argv[first + res[r].index];
      if (json) {
        sr_buf_printf(&out, "%s\n{\"index\":%d,\"rank\":%zu,\"score\":%.7g,\"prob\":%.7g,\"document\":", r ? "," : "",
                      res[r].index, rank[r], res[r].score, res[r].prob);
        sr_buf_json_string(&out, doc, strlen(doc));
        sr_buf_puts(&out, "}");
      } else {
        sr_buf_printf(&out, "%zu\t%.6f\t%.6f\t%.*s\n", rank[r], res[r].score, res[r].prob, 80, doc);
      }
    }
    if (json) sr_buf_puts(&out, "\n]\n");
    if (out.data) fputs(out.data, stdout);
    sr_buf_free(&out);
    free(rank);
  }
out_of_memory:
  free(pre);
  free(suf);
  free(res);
  cli_model_free(&cm);
  return rc;
}
