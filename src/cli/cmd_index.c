/* cmd_index.c — `skillrouter index`: read catalogs, build or update the index file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cli/cli_common.h"
#include "cli/cli_default_model.h"
#include "route/default_route.h"
#include "cli/commands.h"
#include "index/index.h"
#include "index/vectors.h"
#include "cli/cli_model.h"
#include "model/prompts.h"
#include "util/clock.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: skillrouter index SRC... -o INDEX [options]\n"
          "       skillrouter index --update INDEX SRC... [--remove ID]... [options]\n\n"
          "Builds a persistent index of skills and tools. Each SRC is a directory (every SKILL.md below it),\n"
          "a JSONL or JSONL.gz file (skill_id, name, description, body, optional pack/category), or a JSON\n"
          "file with an MCP tools/list result or an OpenAI tools array.\n"
          "Rebuilding over an existing index re-analyses only entries whose content changed. The index is\n"
          "written to a temporary file and renamed, so the old one survives any failure or Ctrl-C.\n\n"
          "options:\n"
          "  -o, --output INDEX   the index file to write\n"
          "  --update INDEX       add, replace and remove entries of INDEX: entries read from SRC replace\n"
          "                       theirs, entries that came from SRC but are gone are removed, others stay\n"
          "  --remove ID          (with --update) remove this entry; repeatable\n"
          "  --pack NAME          the pack of every tool read from the following JSON tool files\n"
          "  --strict             any skipped entry is an error (nothing is written)\n"
          "  --full               ignore the previous index (re-analyse everything)\n"
          "  --stem               Snowball English stemming (measured worse on skillsbench; off by default)\n"
          "  --no-split           do not split camelCase/snake_case/kebab-case/dotted identifiers\n"
          "  --stopwords          drop English stopwords\n"
          "  --threads N          analysis threads (default: all cores)\n"
          "  --embed-model DIR    embed every entry (\"name | description | body\") with this Qwen3 embedding\n"
          "                       model and store the vectors; unchanged entries reuse the previous index's\n"
          "                       vectors; an interrupted run resumes from INDEX.vecs.partial\n"
          "  --tokenizer DIR      the model's tokenizer (default: the model directory)\n"
          "  --vec-dtype T        f32 (default), f16 or int8 (per-vector scale; f16 copies are stored too, to\n"
          "                       rescore the int8 candidates: recall@50 1.0 instead of 0.985 on random vectors)\n"
          "  --no-vec-refine      int8: do not store the f16 copies (a third of the size, lower recall)\n"
          "  --dim N              keep the first N dimensions (Matryoshka; default: the model's)\n"
          "  --doc-caps D,B       description / body caps in characters (default 500,8000; paper 300,2500)\n"
          "  --model-id S         the id stored with the vectors (default: the model directory's name)\n"
          "  --vectors FILE       import precomputed vectors: JSONL {\"id\",\"vector\"} or .npy float32 [N,dim]\n"
          "  --vector-ids FILE    (with a .npy) JSONL with the id of each row, in order\n"
          "  --no-vectors         drop vectors the previous index held (and store no default-model vectors)\n"
          "  --model FILE         the default model whose vectors are stored (default: the bundled\n"
          "                       models/default.srm, or $SKILLROUTER_MODEL); used unless Qwen3 or imported\n"
          "                       vectors are asked for or held\n"
          "  --no-model           no default-model vectors: a plain lexical index\n"
          "  --ignore-body        index names and descriptions only (for ablations)\n"
          "  -q, --quiet          no progress bar or summary\n\n"
          "exit status: 0 ok, 1 error, 2 usage, 3 written but some entries were skipped\n");
}

/* Test hook: SKILLROUTER_EMBED_STOP_AFTER=N simulates Ctrl-C after N embedded entries. */
typedef struct stop_ctx { cli_progress *prog; volatile int *cancel; size_t after; } stop_ctx;
static void progress_stop(void *ctx, const char *phase, size_t done, size_t total) {
  stop_ctx *c = ctx;
  cli_progress_update(c->prog, phase, done, total);
  if (done >= c->after) *c->cancel = 1;
}

static void print_diags(const sr_catalog *cat, size_t *shown_from) {
  for (size_t i = *shown_from; i < cat->n_diags; i++) {
    const sr_diag *d = &cat->diags[i];
    fprintf(stderr, "%s: %s: %s\n", d->level == SR_DIAG_SKIPPED ? "skipped" : "warning", d->where, d->message);
  }
  *shown_from = cat->n_diags;
}

int cmd_index(int argc, char **argv) {
  const char *out = NULL, *update = NULL;
  const char **sources = calloc((size_t)argc, sizeof *sources);
  const char **packs = calloc((size_t)argc, sizeof *packs);
  const char **removes = calloc((size_t)argc, sizeof *removes);
  size_t n_sources = 0, n_removes = 0, threads = 0;
  bool strict = false, quiet = false, full = false;
  const char *pack = NULL;
  sr_build_opts bo = {.analyzer = sr_analyzer_defaults()};
  int rc = 1;
  sr_catalog cat;
  sr_catalog_init(&cat);
  sr_index *prev = NULL;
  const char *embed_model = NULL, *tok_dir = NULL, *vectors = NULL, *vector_ids = NULL, *model_id = NULL;
  sr_vec_dtype vdtype = SR_VEC_F32;
  size_t vdim = 0, caps[2] = {SR_DOC_DESC_CHARS, SR_DOC_BODY_CHARS};
  bool no_vectors = false, no_refine = false, no_model = false, ignore_body = false;
  const char *dmodel_path = NULL;
  sr_default_model dm = {0};
  float *vecs = NULL;
  cli_model cm = {0};
  char *partial = NULL;
  if (!sources || !packs || !removes) goto done;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); rc = 0; goto done; }
    else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && v) { out = v; i++; }
    else if (!strcmp(a, "--update") && v) { update = v; i++; }
    else if (!strcmp(a, "--remove") && v) { removes[n_removes++] = v; i++; }
    else if (!strcmp(a, "--pack") && v) { pack = v; i++; }
    else if (!strcmp(a, "--threads") && v) { if (!cli_parse_size(a, v, &threads)) { rc = 2; goto done; } i++; }
    else if (!strcmp(a, "--embed-model") && v) { embed_model = v; i++; }
    else if (!strcmp(a, "--tokenizer") && v) { tok_dir = v; i++; }
    else if (!strcmp(a, "--model-id") && v) { model_id = v; i++; }
    else if (!strcmp(a, "--vectors") && v) { vectors = v; i++; }
    else if (!strcmp(a, "--vector-ids") && v) { vector_ids = v; i++; }
    else if (!strcmp(a, "--no-vectors")) no_vectors = true;
    else if (!strcmp(a, "--no-vec-refine")) no_refine = true;
    else if (!strcmp(a, "--no-model")) no_model = true;
    else if (!strcmp(a, "--ignore-body")) ignore_body = true;
    else if (!strcmp(a, "--model") && v) { dmodel_path = v; i++; }
    else if (!strcmp(a, "--dim") && v) { if (!cli_parse_size(a, v, &vdim)) { rc = 2; goto done; } i++; }
    else if (!strcmp(a, "--vec-dtype") && v) {
      if (!sr_vec_dtype_parse(v, &vdtype)) { fprintf(stderr, "skillrouter index: --vec-dtype: f32, f16 or int8\n"); rc = 2; goto done; }
      i++;
    } else if (!strcmp(a, "--doc-caps") && v) {
      if (sscanf(v, "%zu,%zu", &caps[0], &caps[1]) != 2) { fprintf(stderr, "skillrouter index: --doc-caps D,B\n"); rc = 2; goto done; }
      i++;
    }
    else if (!strcmp(a, "--strict")) strict = true;
    else if (!strcmp(a, "--full")) full = true;
    else if (!strcmp(a, "--stem")) bo.analyzer.stem = 1;
    else if (!strcmp(a, "--no-split")) bo.analyzer.split_identifiers = 0;
    else if (!strcmp(a, "--stopwords")) bo.analyzer.stopwords = 1;
    else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) quiet = true;
    else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "skillrouter index: unknown option or missing value: %s\n\n", a);
      usage(stderr);
      rc = 2;
      goto done;
    } else {
      packs[n_sources] = pack;
      sources[n_sources++] = a;
    }
  }
  if (update && out && strcmp(update, out) != 0) {
    fprintf(stderr, "skillrouter index: give either -o INDEX or --update INDEX, not both\n");
    rc = 2;
    goto done;
  }
  if (update) out = update;
  if (!out || (n_sources == 0 && !(update && n_removes))) {
    fprintf(stderr, "skillrouter index: %s\n\n", !out ? "missing -o INDEX" : "no source given");
    usage(stderr);
    rc = 2;
    goto done;
  }
  double t0 = sr_clock_s();
  cli_progress prog;
  cli_progress_init(&prog, quiet);
  sr_error err = {0};
  size_t diag_shown = 0;
  for (size_t i = 0; i < n_sources; i++) {
    sr_read_opts ro = {.pack = packs[i], .quiet = quiet, .progress = cli_progress_bytes, .progress_ctx = &prog};
    sr_status st = sr_catalog_add_source(&cat, sources[i], &ro, &err);
    cli_progress_done(&prog);
    print_diags(&cat, &diag_shown);
    if (st != SR_OK) {
      fprintf(stderr, "skillrouter index: %s\n", err.msg);
      goto done;
    }
  }
  if (strict && cat.n_skipped) {
    fprintf(stderr, "skillrouter index: %zu entr%s skipped; --strict: nothing written\n", cat.n_skipped,
            cat.n_skipped == 1 ? "y" : "ies");
    goto done;
  }
  double t_read = sr_clock_s();
  if (ignore_body) /* ablation: index names and descriptions only */
    for (size_t i = 0; i < cat.n_entries; i++) {
      char *empty = strdup("");
      if (!empty) goto done;
      free(cat.entries[i].body);
      cat.entries[i].body = empty;
    }
  /* the previous index: required for --update, optional (reuse of unchanged entries) otherwise */
  if (access(out, F_OK) == 0 && (update || !full)) {
    sr_status st = sr_index_open(out, &prev, &err);
    if (st != SR_OK) {
      if (update) {
        fprintf(stderr, "skillrouter index: %s\n", err.msg);
        goto done;
      }
      fprintf(stderr, "warning: %s; building a new index from scratch\n", err.msg);
      prev = NULL;
    }
  } else if (update) {
    fprintf(stderr, "skillrouter index: --update %s: no such index (create it with -o)\n", out);
    goto done;
  }
  size_t kept = 0, removed = 0;
  if (update) {
    if (sr_index_keep_entries(prev, &cat, sources, n_sources, removes, n_removes, &kept, &removed, &err) != SR_OK) {
      fprintf(stderr, "skillrouter index: %s\n", err.msg);
      goto done;
    }
  }
  volatile int cancel = 0;
  cli_catch_interrupt(&cancel);
  /* vectors: embed, import, or carry over from the previous index */
  sr_vec_input vin = {0};
  sr_vec_view pvv = {0};
  if (embed_model && vectors) { fprintf(stderr, "skillrouter index: give --embed-model or --vectors, not both\n"); rc = 2; goto done; }
  /* the default model's vectors, unless Qwen/imported vectors are asked for or already held */
  bool prev_qwen = prev && sr_index_vectors(prev, &pvv) && strncmp(pvv.info->model_id, "skillrouter-default:", 20) != 0;
  int have_dm = 0;
  size_t n_tools = 0;
  for (size_t i = 0; i < cat.n_entries; i++) n_tools += cat.entries[i].kind == SR_KIND_TOOL;
  /* The bundled model is trained on skills and measured worse than BM25F on a tool catalog (ToolLens,
   * BENCHMARKS.md §8): a catalog of mostly tools stays lexical unless --model names a model. */
  bool tool_catalog = n_tools * 2 > cat.n_entries;
  if (tool_catalog && !dmodel_path && !no_model && !no_vectors && !embed_model && !vectors && !quiet)
    fprintf(stderr, "note: mostly tools: lexical index (the default model is for skills; --model FILE to override)\n");
  if (!no_vectors && !embed_model && !vectors && !prev_qwen && (!tool_catalog || dmodel_path)) {
    have_dm = cli_default_model_load("index", dmodel_path, no_model, &dm);
    if (have_dm < 0) goto done;
  }
  if (have_dm > 0) {
    double te = sr_clock_s();
    size_t reused = 0;
    sr_status vs = sr_default_embed_catalog(&cat, full ? NULL : prev, &dm, &bo.analyzer, (int)threads, &cancel, &vecs,
                                            &reused, &err);
    if (vs != SR_OK) {
      fprintf(stderr, "skillrouter index: %s%s\n", err.msg, vs == SR_ERR_INTERRUPTED ? "; the previous index is unchanged" : "");
      rc = vs == SR_ERR_INTERRUPTED ? 130 : 1;
      goto done;
    }
    vin.info = (sr_vec_info){.dim = dm.enc.dim, .dtype = SR_VEC_I8, .desc_chars = SR_VEC_UNCUT, .body_chars = SR_VEC_UNCUT};
    snprintf(vin.info.model_id, sizeof vin.info.model_id, "%s", dm.id);
    vin.data = vecs;
    bo.vectors = &vin;
    if (!quiet)
      fprintf(stderr, "default model: %zu entries embedded, %zu reused, %.1f s\n", cat.n_entries - reused, reused,
              sr_clock_s() - te);
  } else if (!no_vectors && (embed_model || vectors || prev_qwen)) {
    sr_vec_info info = {.dim = (uint32_t)vdim, .dtype = vdtype, .desc_chars = (uint32_t)caps[0], .body_chars = (uint32_t)caps[1]};
    sr_embed_stats es = {0};
    sr_status vs;
    if (vectors) {
      size_t d = 0;
      vs = sr_vec_import(&cat, vectors, vector_ids, &vecs, &d, &err);
      info.dim = (uint32_t)d;
      snprintf(info.model_id, sizeof info.model_id, "%s", model_id ? model_id : "import");
    } else {
      if (embed_model) {
        char tmp[SR_VEC_MODEL_ID_MAX];
        snprintf(tmp, sizeof tmp, "%s", embed_model);
        for (size_t l = strlen(tmp); l > 1 && tmp[l - 1] == '/'; l--) tmp[l - 1] = 0;
        const char *base = strrchr(tmp, '/');
        snprintf(info.model_id, sizeof info.model_id, "%s", model_id ? model_id : base ? base + 1 : tmp);
        if ((vs = cli_model_load(embed_model, tok_dir, (int)threads, &cm, &err)) != SR_OK) {
          fprintf(stderr, "skillrouter index: %s\n", err.msg);
          goto done;
        }
        if (asprintf(&partial, "%s.vecs.partial", out) < 0) partial = NULL;
      } else {  /* carry over: same settings as the previous vectors */
        info = *pvv.info;
      }
      sr_embed_opts eo = {.model = cm.model, .tokenizer = cm.tok, .info = info, .partial_path = partial,
                          .progress = cli_progress_update, .progress_ctx = &prog, .cancel = &cancel};
      stop_ctx sc = {&prog, &cancel, 0};
      const char *stop = getenv("SKILLROUTER_EMBED_STOP_AFTER");
      if (stop) {
        sc.after = strtoull(stop, NULL, 10);
        eo.progress = progress_stop;
        eo.progress_ctx = &sc;
      }
      vs = sr_embed_catalog(&cat, full ? NULL : prev, &eo, &vecs, &info, &es, &err);
      cli_progress_done(&prog);
    }
    if (vs == SR_ERR_NOT_FOUND && !embed_model && !vectors) {
      fprintf(stderr, "warning: %s; the new index has no vectors (re-run with --embed-model)\n", err.msg);
    } else if (vs != SR_OK) {
      fprintf(stderr, "skillrouter index: %s%s\n", err.msg, vs == SR_ERR_INTERRUPTED ? "; finished vectors are kept for the next run" : "");
      rc = vs == SR_ERR_INTERRUPTED ? 130 : 1;
      goto done;
    } else {
      if (vdim && info.dim != vdim && vectors) { fprintf(stderr, "skillrouter index: --dim %zu but the vectors have %u\n", vdim, info.dim); goto done; }
      info.dtype = vdtype;
      if (!vectors && !embed_model) info.dtype = pvv.info->dtype;
      vin.info = info;
      vin.data = vecs;
      /* carried-over int8 vectors without refine rows gain nothing from f16 copies of themselves */
      vin.no_refine = no_refine || (!vectors && !embed_model && pvv.info && pvv.dtype == SR_VEC_I8 && !pvv.refine);
      bo.vectors = &vin;
      if (!quiet && embed_model)
        fprintf(stderr, "embedded %zu entries (%zu tokens, %.1f entries/s), %zu reused from the index, %zu resumed\n",
                es.embedded, es.tokens, es.seconds > 0 ? es.embedded / es.seconds : 0.0, es.reused, es.resumed);
      if (getenv("SKILLROUTER_EMBED_STATS"))
        fprintf(stderr, "embed-stats embedded=%zu reused=%zu resumed=%zu\n", es.embedded, es.reused, es.resumed);
    }
  }
  bo.threads = (int)threads;
  bo.progress = cli_progress_update;
  bo.progress_ctx = &prog;
  bo.cancel = &cancel;
  sr_build_stats bs = {0};
  sr_status st = sr_index_build(&cat, full ? NULL : prev, &bo, out, &bs, &err);
  cli_progress_done(&prog);
  if (st != SR_OK) {
    fprintf(stderr, "skillrouter index: %s%s\n", err.msg, st == SR_ERR_INTERRUPTED ? "; the previous index is unchanged" : "");
    rc = st == SR_ERR_INTERRUPTED ? 130 : 1;
    goto done;
  }
  double t1 = sr_clock_s();
  sr_embed_partial_remove(partial);
  if (!quiet) {
    fprintf(stderr, "indexed %zu entries into %s (%.1f MB): %zu analysed, %zu unchanged", bs.entries, out,
            bs.file_bytes / 1e6, bs.analysed, bs.reused);
    if (update) fprintf(stderr, ", %zu kept, %zu removed", kept, removed);
    if (cat.n_skipped) fprintf(stderr, ", %zu skipped", cat.n_skipped);
    fprintf(stderr, "; %zu terms; read %.1fs, indexed %.1fs\n", bs.terms, t_read - t0, t1 - t_read);
  }
  rc = cat.n_skipped ? 3 : 0;
done:
  sr_default_model_free(&dm);
  cli_model_free(&cm);
  free(vecs);
  free(partial);
  sr_index_close(prev);
  sr_catalog_free(&cat);
  free(sources);
  free(packs);
  free(removes);
  return rc;
}
