/* cmd_route.c — `skillrouter route`: rank an index's skills or tools (or packs) for a task. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "cli/cli_default_model.h"
#include "route/default_route.h"
#include "cli/commands.h"
#include "index/index.h"
#include "eval/bootstrap.h"
#include "route/router.h"
#include "cli/route_pipeline.h"
#include "route/tool_format.h"
#include "util/buf.h"
#include "util/clock.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: skillrouter route -i INDEX [options] QUERY\n"
          "       skillrouter route -i INDEX [options] -      (the query is read from stdin)\n\n"
          "Ranks the index's skills and tools for a task description.\n\n"
          "options:\n"
          "  -i, --index INDEX   the index file (from 'skillrouter index')\n"
          "  -k N                number of results (default 5)\n"
          "  --json              JSON: {\"results\":[{rank,skill_id,name,description,score}],\"timing_ms\":{...}}\n"
          "  --body              include each result's full body\n"
          "  --packs             rank packs (tool groups) instead of single entries (also: --by pack)\n"
          "  --format F          print the shortlist as tool definitions for an LLM request, a JSON array:\n"
          "                      openai-tools, anthropic-tools or mcp (schema from the tool's inputSchema;\n"
          "                      skills get an empty object schema). With --by pack, the best packs are\n"
          "                      expanded to their tools, -k tools in all\n"
          "  --shuffle           with --format: emit the shortlist in a seeded random order\n"
          "  --seed S            the shuffle seed (default 1)\n"
          "\ndefault model (used when the index holds its vectors; see models/MODEL_CARD.md):\n"
          "  --model FILE        use this default-model file (default: models/default.srm, $SKILLROUTER_MODEL)\n"
          "  --no-model          the plain lexical BM25F router\n");
  fprintf(f,
          "\nretrieve and rerank (SkillRouter pipeline; see docs/pipeline.md):\n"
          "  --mode M            dense, lexical or hybrid (default: hybrid when a query vector is given)\n"
          "  --embed-model DIR   embed the query with this model (the index must hold its vectors)\n"
          "  --query-vector FILE the query embedding (numbers separated by spaces/commas, or a JSON array)\n"
          "  --fusion F          rrf (reciprocal rank, k=60; default) or weighted (min-max scores)\n"
          "  --dense-weight W    weighted fusion: weight of the dense scores (default 0.5)\n"
          "  --rerank-model DIR  rerank the top --rerank-k (default 20) with the SkillRouter reranker\n"
          "  --tokenizer DIR     tokenizer of the models (default: the model directory)\n"
          "  --threads N         model threads\n");
  cli_bm25f_help();
}

/* Routes with the default model when one is found and the index holds its vectors. Returns 1 when it
 * did (results in res/n/t), 0 to fall back to the lexical router, -1 on an error (message printed). */
static int route_default(const sr_index *ix, const char *model_path, bool no_model, const char *query, size_t qlen,
                         size_t k, sr_result *res, size_t *n, sr_route_timing *t) {
  sr_vec_view v;
  bool has_vecs = sr_index_vectors(ix, &v);
  if (!model_path && (!has_vecs || strncmp(v.info->model_id, "skillrouter-default:", 20) != 0)) return 0;
  sr_default_model m;
  int got = cli_default_model_load("route", model_path, no_model, &m);
  if (got <= 0) return got;
  if (!has_vecs || strcmp(v.info->model_id, m.id) != 0) {
    if (sr_index_count(ix) > 20000) {
      fprintf(stderr, "skillrouter route: note: the index holds no vectors of this model; lexical routing "
                      "(re-run 'skillrouter index' to store them)\n");
      sr_default_model_free(&m);
      return 0;
    }
  }
  sr_default_route_opts ro = {0};
  sr_default_router *r = NULL;
  sr_error err = {0};
  sr_default_route_timing dt;
  int rc = -1;
  if (sr_default_router_new(ix, &m, &ro, &r, &err) == SR_OK &&
      sr_default_route(r, query, qlen, k, res, n, NULL, NULL, &dt, &err) == SR_OK) {
    *t = (sr_route_timing){dt.lexical_ms, dt.dense_ms, dt.rerank_ms, dt.total_ms};
    rc = 1;
  } else {
    fprintf(stderr, "skillrouter route: %s\n", err.msg);
  }
  sr_default_router_free(r);
  sr_default_model_free(&m);
  return rc;
}

static void print_text(const sr_index *ix, const sr_result *r, size_t n, bool packs, bool body) {
  if (n == 0) {
    printf("no match\n");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (packs) {
      const uint32_t *docs;
      uint32_t m = sr_index_pack_entries(ix, r[i].id, &docs);
      printf("%2zu. %s  (score %.3f, %u entr%s)\n", i + 1, sr_index_pack_name(ix, r[i].id), r[i].score, m, m == 1 ? "y" : "ies");
      continue;
    }
    sr_entry_view v;
    sr_index_entry(ix, r[i].id, &v);
    printf("%2zu. %s  (score %.3f)  %s\n", i + 1, v.name, r[i].score, v.id);
    if (v.description[0]) {
      size_t len = strlen(v.description);
      printf("    %.*s%s\n", len > 200 ? 197 : (int)len, v.description, len > 200 ? "..." : "");
    }
    if (body) printf("\n%s\n\n", v.body);
  }
}

static void print_json(const sr_index *ix, const sr_result *r, size_t n, bool packs, bool body, double load_ms,
                       const sr_route_timing *t, bool model) {
  sr_buf b = SR_BUF_INIT;
  sr_buf_puts(&b, "{\"results\":[");
  for (size_t i = 0; i < n; i++) {
    if (i) sr_buf_putc(&b, ',');
    sr_buf_printf(&b, "{\"rank\":%zu,", i + 1);
    if (packs) {
      const char *name = sr_index_pack_name(ix, r[i].id);
      sr_buf_puts(&b, "\"pack\":");
      sr_buf_json_string(&b, name, strlen(name));
      sr_buf_puts(&b, ",\"tools\":[");
      const uint32_t *docs;
      uint32_t m = sr_index_pack_entries(ix, r[i].id, &docs);
      for (uint32_t j = 0; j < m; j++) {
        sr_entry_view v;
        sr_index_entry(ix, docs[j], &v);
        if (j) sr_buf_putc(&b, ',');
        sr_buf_json_string(&b, v.id, strlen(v.id));
      }
      sr_buf_putc(&b, ']');
    } else {
      sr_entry_view v;
      sr_index_entry(ix, r[i].id, &v);
      sr_buf_puts(&b, "\"skill_id\":");
      sr_buf_json_string(&b, v.id, strlen(v.id));
      sr_buf_puts(&b, ",\"name\":");
      sr_buf_json_string(&b, v.name, strlen(v.name));
      sr_buf_puts(&b, ",\"description\":");
      sr_buf_json_string(&b, v.description, strlen(v.description));
      if (v.pack) {
        sr_buf_puts(&b, ",\"pack\":");
        sr_buf_json_string(&b, v.pack, strlen(v.pack));
      }
      if (body) {
        sr_buf_puts(&b, ",\"body\":");
        sr_buf_json_string(&b, v.body, strlen(v.body));
      }
    }
    sr_buf_printf(&b, ",\"score\":%.6g}", r[i].score);
  }
  if (model)
    sr_buf_printf(&b, "],\"router\":\"default-model\",\"timing_ms\":{\"load\":%.3f,\"lexical\":%.3f,\"dense\":%.3f,"
                  "\"rerank\":%.3f,\"route\":%.3f}}\n",
                  load_ms, t->analyze_ms, t->score_ms, t->select_ms, t->total_ms);
  else
    sr_buf_printf(&b, "],\"router\":\"lexical\",\"timing_ms\":{\"load\":%.3f,\"analyze\":%.3f,\"score\":%.3f,"
                  "\"select\":%.3f,\"route\":%.3f}}\n",
                  load_ms, t->analyze_ms, t->score_ms, t->select_ms, t->total_ms);
  fwrite(b.data, 1, b.len, stdout);
  sr_buf_free(&b);
}

/* Prints the shortlist (entries, or packs expanded to at most k entries) as tool definitions. */
static bool print_tools(const sr_index *ix, const sr_result *r, size_t n, bool packs, size_t k, sr_tool_format f,
                        bool shuffle, unsigned long long seed, sr_error *err) {
  uint32_t *docs = malloc((k ? k : 1) * sizeof *docs);
  if (!docs) return false;
  size_t m = 0;
  for (size_t i = 0; i < n && m < k; i++) {
    const uint32_t *d = &r[i].id;
    uint32_t cnt = packs ? sr_index_pack_entries(ix, r[i].id, &d) : 1;
    for (uint32_t j = 0; j < cnt && m < k; j++) docs[m++] = d[j];
  }
  if (shuffle) {
    sr_rng rng;
    sr_rng_seed(&rng, seed);
    sr_rng_shuffle_u32(&rng, docs, m);
  }
  sr_buf b = SR_BUF_INIT;
  bool ok = sr_tools_json(ix, docs, m, f, true, &b, err) == SR_OK;
  if (ok) fwrite(b.data, 1, b.len, stdout);
  sr_buf_free(&b);
  free(docs);
  return ok;
}

int cmd_route(int argc, char **argv) {
  const char *index_path = NULL, *query_arg = NULL;
  size_t k = 5;
  bool json = false, body = false, packs = false, shuffle = false, tools = false, no_model = false;
  const char *model_path = NULL;
  unsigned long long seed = 1;
  sr_tool_format fmt = SR_TOOLS_OPENAI;
  sr_bm25f_params params = sr_bm25f_defaults();
  route_pipe_opts po = {.fusion = SR_FUSE_RRF, .dense_weight = 0.5, .rerank_k = 20};
  size_t thr = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int r;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    else if ((!strcmp(a, "-i") || !strcmp(a, "--index")) && v) { index_path = v; i++; }
    else if (!strcmp(a, "-k") && v) { if (!cli_parse_size(a, v, &k)) return 2; i++; }
    else if (!strcmp(a, "--json")) json = true;
    else if (!strcmp(a, "--mode") && v && (!strcmp(v, "dense") || !strcmp(v, "lexical") || !strcmp(v, "hybrid"))) {
      po.mode = !strcmp(v, "dense") ? RP_DENSE : !strcmp(v, "lexical") ? RP_LEXICAL : RP_HYBRID; i++;
    }
    else if (!strcmp(a, "--embed-model") && v) { po.embed_model = v; i++; }
    else if (!strcmp(a, "--query-vector") && v) { po.query_vector = v; i++; }
    else if (!strcmp(a, "--rerank-model") && v) { po.rerank_model = v; i++; }
    else if (!strcmp(a, "--tokenizer") && v) { po.tokenizer = v; i++; }
    else if (!strcmp(a, "--fusion") && v && (!strcmp(v, "rrf") || !strcmp(v, "weighted"))) { po.fusion = !strcmp(v, "rrf") ? SR_FUSE_RRF : SR_FUSE_WEIGHTED; i++; }
    else if (!strcmp(a, "--dense-weight") && v) { po.dense_weight = strtod(v, NULL); i++; }
    else if (!strcmp(a, "--rerank-k") && v) { if (!cli_parse_size(a, v, &po.rerank_k)) return 2; i++; }
    else if (!strcmp(a, "--threads") && v) { if (!cli_parse_size(a, v, &thr)) return 2; i++; }
    else if (!strcmp(a, "--body")) body = true;
    else if (!strcmp(a, "--no-model")) no_model = true;
    else if (!strcmp(a, "--model") && v) { model_path = v; i++; }
    else if (!strcmp(a, "--packs")) packs = true;
    else if (!strcmp(a, "--shuffle")) shuffle = true;
    else if (!strcmp(a, "--format") && v) {
      if (!sr_tool_format_parse(v, &fmt)) {
        fprintf(stderr, "skillrouter route: --format: openai-tools, anthropic-tools or mcp, not '%s'\n", v);
        return 2;
      }
      tools = true;
      i++;
    } else if (!strcmp(a, "--seed") && v) {
      char *end;
      seed = strtoull(v, &end, 10);
      if (!*v || *end || v[0] == '-') { fprintf(stderr, "skillrouter route: --seed: bad number '%s'\n", v); return 2; }
      i++;
    }
    else if (!strcmp(a, "--by") && v && (!strcmp(v, "pack") || !strcmp(v, "entry") || !strcmp(v, "tool"))) { packs = !strcmp(v, "pack"); i++; }
    else if ((r = cli_bm25f_flag(argc, argv, &i, &params)) != 0) { if (r < 0) return 2; }
    else if (!strcmp(a, "--")) { if (v) query_arg = v; break; }
    else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "skillrouter route: unknown option or missing value: %s\n\n", a);
      usage(stderr);
      return 2;
    } else if (!query_arg) query_arg = a;
    else {
      fprintf(stderr, "skillrouter route: one query only (quote it)\n");
      return 2;
    }
  }
  if (shuffle && !tools) {
    fprintf(stderr, "skillrouter route: --shuffle applies to --format output\n");
    return 2;
  }
  if (!query_arg && po.query_vector && po.mode == RP_DENSE && !po.rerank_model) query_arg = "";  /* text unused */
  if (!index_path || !query_arg) {
    fprintf(stderr, "skillrouter route: %s\n\n", !index_path ? "missing -i INDEX" : "missing QUERY");
    usage(stderr);
    return 2;
  }
  size_t qlen;
  char *query = cli_read_query(query_arg, &qlen);
  if (!query) return 1;
  double t0 = sr_clock_s();
  sr_error err = {0};
  sr_index *ix = NULL;
  sr_searcher *s = NULL;
  sr_result *res = malloc(k * sizeof *res);
  int rc = 1;
  if (!res) goto done;
  if (sr_index_open(index_path, &ix, &err) != SR_OK || sr_searcher_new(ix, &s, &err) != SR_OK) {
    fprintf(stderr, "skillrouter route: %s\n", err.msg);
    goto done;
  }
  double load_ms = (sr_clock_s() - t0) * 1e3;
  if (!packs && (po.mode != RP_AUTO || po.embed_model || po.query_vector || po.rerank_model)) {
    po.k = k;
    po.json = json;
    po.bm25f = &params;
    po.threads = (int)thr;
    rc = route_pipeline(ix, s, query, qlen, &po);
    goto done;
  }
  size_t n = 0;
  sr_route_timing t;
  int used = packs ? 0 : route_default(ix, model_path, no_model, query, qlen, k, res, &n, &t);
  if (used < 0) goto done;
  if (!used) {
    sr_route_opts ro = {.k = k, .by = packs ? SR_BY_PACK : SR_BY_ENTRY, .bm25f = &params};
    if (sr_route(s, query, qlen, &ro, res, &n, &t, &err) != SR_OK) {
      fprintf(stderr, "skillrouter route: %s\n", err.msg);
      goto done;
    }
  }
  if (tools) {
    if (!print_tools(ix, res, n, packs, k, fmt, shuffle, seed, &err)) {
      fprintf(stderr, "skillrouter route: %s\n", err.msg[0] ? err.msg : "out of memory");
      goto done;
    }
  } else if (json) print_json(ix, res, n, packs, body, load_ms, &t, used == 1);
  else print_text(ix, res, n, packs, body);
  rc = 0;
done:
  sr_searcher_free(s);
  sr_index_close(ix);
  free(res);
  free(query);
  return rc;
}
