/* test_train.c — the default model's parts: pseudo-query extraction, the forward index, reranker
 * features (postings vs forward index, BM25F vs the router), the model file (round trip, corruption),
 * the trigram filter, and training itself on a synthetic catalog (learns, deterministic across thread
 * counts, default router end to end). */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index/forward.h"
#include "index/index.h"
#include "route/default_model.h"
#include "route/default_route.h"
#include "route/ltr.h"
#include "route/query_bag.h"
#include "route/router.h"
#include "test.h"
#include "train/pairs.h"
#include "train/train.h"
#include "train/train_internal.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/rng.h"

/* ---- a synthetic catalog: 40 topics, each with its own words; skills mix topic words and filler ---- */

#define N_TOPICS 40
#define N_SKILLS 400
static char *g_text[N_SKILLS][4];  /* id, name, description, body */

static void word(char *out, int topic, int k) { sprintf(out, "t%dw%d", topic, k); }

static void make_texts(void) {
  if (g_text[0][0]) return;
  static const char *filler[] = {"the", "data", "file", "use", "with", "and", "output", "input", "check", "run"};
  sr_rng r;
  sr_rng_seed(&r, 42);
  for (int s = 0; s < N_SKILLS; s++) {
    int topic = s % N_TOPICS;
    char buf[8192], w[32];
    size_t n = 0;
    g_text[s][0] = malloc(32);
    sprintf(g_text[s][0], "syn/%d", s);
    g_text[s][1] = malloc(32);
    sprintf(g_text[s][1], "skill-%d-t%dw0", s, topic);
    n = 0;
    for (int k = 0; k < 8; k++) {
      word(w, topic, (int)sr_rng_below(&r, 30));
      n += (size_t)sprintf(buf + n, "%s%s", k ? " " : "", w);
    }
    g_text[s][2] = strdup(buf);
    n = (size_t)sprintf(buf, "# Skill %d\n\n## When to use\n", s);
    for (int k = 0; k < 20; k++) {
      word(w, topic, (int)sr_rng_below(&r, 30));
      n += (size_t)sprintf(buf + n, "%s %s ", w, filler[sr_rng_below(&r, 10)]);
    }
    n += (size_t)sprintf(buf + n, "\n\n## Steps\n");
    for (int k = 0; k < 120; k++) {
      int u = (int)sr_rng_below(&r, 6);
      if (u == 0) sprintf(w, "s%du%d", s, (int)sr_rng_below(&r, 4));  /* words of this skill alone */
      else if (u < 4) word(w, topic, (int)sr_rng_below(&r, 30));
      else word(w, (int)sr_rng_below(&r, N_TOPICS), (int)sr_rng_below(&r, 30));
      n += (size_t)sprintf(buf + n, "%s%s", w, k % 12 == 11 ? ". " : " ");
    }
    sprintf(buf + n, "\n```\ncode_line_should_be_skipped()\n```\n");
    g_text[s][3] = strdup(buf);
  }
}


static sr_index *synthetic_index(void) {
  static sr_index *ix;
  if (ix) return ix;
  make_texts();
  sr_entry *e = calloc(N_SKILLS, sizeof *e);
  for (int s = 0; s < N_SKILLS; s++) {
    e[s] = (sr_entry){g_text[s][0], g_text[s][1], g_text[s][2], g_text[s][3], NULL, NULL, (char *)"test", NULL,
                      SR_KIND_SKILL, (uint64_t)s * 7919 + 1};
  }
  sr_catalog c;
  memset(&c, 0, sizeof c);
  c.entries = e;
  c.n_entries = c.cap_entries = N_SKILLS;
  sr_build_opts o = {.analyzer = sr_analyzer_defaults(), .threads = 2};
  sr_error err = {0};
  const char *path = test_tmp_path("syn.idx");
  CHECK_OK(sr_index_build(&c, NULL, &o, path, NULL, &err), &err);
  CHECK_OK(sr_index_open(path, &ix, &err), &err);
  free(e);
  return ix;
}

/* ---- pseudo-query extraction ---- */

static void test_pq_when(void) {
  const char *body = "# Tool\nIntro text here.\n\n## When to use\n- converting PDF invoices to tables\n- "
                     "extracting totals from scanned receipts\n\n## Steps\nDo things.\n";
  char *q = sr_pq_when(body, 120);
  CHECK_STR(q, "converting PDF invoices to tables extracting totals from scanned receipts");
  free(q);
  char *q2 = sr_pq_when("Use this skill when the user asks to merge several CSV files into one report.\n\nMore.", 120);
  CHECK_STR(q2, "Use this skill when the user asks to merge several CSV files into one report.");
  free(q2);
  CHECK(sr_pq_when("# Title\nNothing about usage here.\n", 120) == NULL);
  char *q3 = sr_pq_when("## When to use\n```\nnot this code\n```\none two three four five six seven\n", 3);
  CHECK(q3 == NULL);  /* fewer than 6 words within the budget of 3 */
  free(q3);
}

static void test_pq_span_and_desc(void) {
  const char *body = "# Title\n\nFirst sentence has five words. Second sentence also has words in it.\n"
                     "```\nsecret_code_token()\n```\n| table | row |\nThird line of prose follows here.\n";
  for (uint64_t rnd = 0; rnd < 50; rnd++) {
    char *q = sr_pq_span(body, rnd * 7777, 4, 8);
    CHECK(q != NULL);
    if (!q) continue;
    CHECK(strstr(q, "secret_code_token") == NULL);
    CHECK(strstr(q, "table") == NULL);
    size_t words = 1;
    for (const char *p = q; *p; p++) words += *p == ' ';
    CHECK_MSG(words >= 4 && words <= 8, "span of %zu words: %s", words, q);
    free(q);
  }
  CHECK(sr_pq_span("too short", 1, 4, 8) == NULL);
  char *d = sr_pq_desc("pdf-table-extract", "Extract tables from PDF files with Camelot (pdf-table-extract).");
  CHECK_STR(d, "tables from files with Camelot");
  free(d);
  CHECK(sr_pq_desc("x", "x y") == NULL);
}

static void test_trigram_jaccard(void) {
  CHECK_NEAR(sr_trigram_jaccard("a b c d e", "a b c d e"), 1.0, 1e-12);
  CHECK_NEAR(sr_trigram_jaccard("a b c d e", "A, b. c d e"), 1.0, 1e-12);   /* case and punctuation */
  CHECK_NEAR(sr_trigram_jaccard("a b c d", "x y z w"), 0.0, 1e-12);
  /* {abc, bcd} vs {abc, bce}: 1 shared of 3 */
  CHECK_NEAR(sr_trigram_jaccard("a b c d", "a b c e"), 1.0 / 3.0, 1e-12);
}

/* ---- forward index and features ---- */

static void test_forward_matches_lengths(void) {
  sr_index *ix = synthetic_index();
  sr_forward *f = NULL;
  sr_error err = {0};
  CHECK_OK(sr_forward_build(ix, &f, &err), &err);
  if (!f) return;
  CHECK_INT(f->n_docs, N_SKILLS);
  size_t bad = 0;
  for (uint32_t d = 0; d < f->n_docs; d++) {
    uint64_t sum[3] = {0, 0, 0};
    for (uint64_t k = f->start[d]; k < f->start[d + 1]; k++) {
      sum[0] += f->terms[k].tf_name;
      sum[1] += f->terms[k].tf_desc;
      sum[2] += f->terms[k].tf_body;
      if (k > f->start[d] && f->terms[k].term <= f->terms[k - 1].term) bad++;
    }
    uint32_t len[3];
    sr_index_field_lens(ix, d, len);
    for (int x = 0; x < 3; x++) bad += sum[x] != len[x];
  }
  CHECK_INT(bad, 0);
  sr_forward_free(f);
}

/* The synthetic index with its forward view and an analyzer of its settings (caller frees both). */
static sr_index *synthetic_views(sr_forward **f, sr_analyzer **an) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  CHECK_OK(sr_forward_build(ix, f, &err), &err);
  CHECK_OK(sr_analyzer_new(sr_index_analyzer(ix), an, &err), &err);
  return ix;
}

static void test_features_postings_vs_forward(void) {
  sr_error err = {0};
  sr_forward *f = NULL;
  sr_analyzer *an = NULL;
  sr_index *ix = synthetic_views(&f, &an);
  sr_searcher *s = NULL;
  CHECK_OK(sr_searcher_new(ix, &s, &err), &err);
  sr_query_bag bag = SR_QUERY_BAG_INIT;
  sr_ltr_list a = {0}, b = {0};
  sr_bm25f_params bp = sr_bm25f_defaults();
  double max_feat = 0, max_bm = 0;
  for (int q = 0; q < 20; q++) {
    char query[256];
    sprintf(query, "t%dw1 t%dw2 t%dw3 data unknownword%d the", q, q, (q + 5) % N_TOPICS, q);
    CHECK_OK(sr_query_bag_fill(&bag, an, ix, NULL, query, strlen(query), &err), &err);
    sr_result res[30];
    size_t n = 0;
    sr_route_opts ro = {.k = 30, .by = SR_BY_ENTRY, .bm25f = NULL};
    CHECK_OK(sr_route(s, query, strlen(query), &ro, res, &n, NULL, &err), &err);
    CHECK_OK(sr_ltr_list_begin(&a, ix, bag.terms, bag.n, n, bp.max_df_ratio, &err), &err);
    CHECK_OK(sr_ltr_list_begin(&b, ix, bag.terms, bag.n, n, bp.max_df_ratio, &err), &err);
    for (size_t i = 0; i < n; i++) {
      a.doc[i] = b.doc[i] = res[n - 1 - i].id;  /* any order */
      a.lex_rank[i] = b.lex_rank[i] = (int32_t)(n - 1 - i);
    }
    CHECK_OK(sr_ltr_gather_postings(&a, ix, &err), &err);
    sr_ltr_gather_forward(&b, f, UINT32_MAX, NULL, 0);
    sr_ltr_features(&a, &bp, N_SKILLS, f->avg_field_len);
    sr_ltr_features(&b, &bp, N_SKILLS, f->avg_field_len);
    for (size_t i = 0; i < n * SR_LTR_NFEAT; i++) {
      double d = fabs((double)a.feat[i] - b.feat[i]);
      if (d > max_feat) max_feat = d;
    }
    for (size_t i = 0; i < n; i++) {
      double d = fabs(sr_ltr_bm25f(&a, i, &bp, f->avg_field_len) - res[n - 1 - i].score);
      if (d / (1e-9 + res[n - 1 - i].score) > max_bm) max_bm = d / (1e-9 + res[n - 1 - i].score);
    }
  }
  printf("  features postings vs forward: max diff %.3g; BM25F vs router: max rel diff %.3g\n", max_feat, max_bm);
  CHECK(max_feat == 0);
  CHECK(max_bm < 1e-5);
  sr_ltr_list_free(&a);
  sr_ltr_list_free(&b);
  sr_query_bag_free(&bag);
  sr_searcher_free(s);
  sr_analyzer_free(an);
  sr_forward_free(f);
}

/* The co-occurrence starting table: words of one topic (they share entries) end up closer than words
 * of different topics; skipped entries add nothing; the table does not depend on the thread count. */
static double row_cos(const sr_senc *e, uint32_t a, uint32_t b) {
  double ab = 0, aa = 0, bb = 0;
  for (uint32_t k = 0; k < e->dim; k++) {
    double x = e->emb[(size_t)a * e->dim + k], y = e->emb[(size_t)b * e->dim + k];
    ab += x * y, aa += x * x, bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

static void test_cooc_init(void) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  sr_forward *f = NULL;
  CHECK_OK(sr_forward_build(ix, &f, &err), &err);
  sr_train_opts o = sr_train_defaults();
  sr_senc e1, e2;
  float *tables[2] = {NULL, NULL};
  sr_senc *encs[2] = {&e1, &e2};
  uint8_t *skip = calloc(N_SKILLS, 1);
  for (int s = 0; s < N_SKILLS; s += 2) skip[s] = 1;  /* every even entry left out in the second run */
  for (int run = 0; run < 2; run++) {
    CHECK_OK(sr_senc_init(encs[run], 4096, 32, 11, 0.1f, &err), &err);
    tctx t;
    memset(&t, 0, sizeof t);
    t.ix = ix;
    t.fwd = f;
    t.o = &o;
    t.enc = encs[run];
    t.n_docs = N_SKILLS;
    t.dim = 32;
    t.threads = run == 0 ? 1 : 2;
    t.bucket = sr_senc_term_buckets(encs[run], ix);
    sr_senc_set_idf(encs[run], ix, t.bucket);
    size_t reached = 0;
    CHECK_OK(sr_train_encoder_cooc_init(&t, NULL, 0.1f, &reached, &err), &err);
    CHECK(reached > 1000);
    tables[run] = malloc(4096 * 32 * sizeof(float));
    memcpy(tables[run], encs[run]->emb, 4096 * 32 * sizeof(float));
    free(t.bucket);
  }
  CHECK(memcmp(tables[0], tables[1], 4096 * 32 * sizeof(float)) == 0);
  {
    /* skipped entries add nothing: a word only a skipped entry holds keeps its random row, a word of a
     * kept entry does not (65536 rows: these two words share a row with no other word here) */
    sr_senc e3;
    CHECK_OK(sr_senc_init(&e3, 65536, 32, 11, 0.1f, &err), &err);
    tctx t;
    memset(&t, 0, sizeof t);
    t.ix = ix, t.fwd = f, t.o = &o, t.enc = &e3, t.n_docs = N_SKILLS, t.dim = 32, t.threads = 2;
    t.bucket = sr_senc_term_buckets(&e3, ix);
    sr_senc_set_idf(&e3, ix, t.bucket);
    uint32_t b0 = sr_senc_bucket(&e3, "s0u0", 4), b1 = sr_senc_bucket(&e3, "s1u0", 4);
    float r0[32], r1[32];
    memcpy(r0, &e3.emb[(size_t)b0 * 32], sizeof r0);
    memcpy(r1, &e3.emb[(size_t)b1 * 32], sizeof r1);
    size_t reached = 0;
    CHECK_OK(sr_train_encoder_cooc_init(&t, skip, 0.1f, &reached, &err), &err);
    CHECK(memcmp(r0, &e3.emb[(size_t)b0 * 32], sizeof r0) == 0);
    CHECK(memcmp(r1, &e3.emb[(size_t)b1 * 32], sizeof r1) != 0);
    double norm = 0;
    for (int k = 0; k < 32; k++) norm += (double)e3.emb[(size_t)b1 * 32 + k] * e3.emb[(size_t)b1 * 32 + k];
    CHECK(fabs(sqrt(norm) - 0.1 * sqrt(32.0)) < 1e-4);  /* reached rows get a random row's norm */
    free(t.bucket);
    sr_senc_free(&e3);
  }
  /* same-topic vs other-topic word pairs */
  memcpy(e1.emb, tables[0], 4096 * 32 * sizeof(float));
  double same = 0, other = 0;
  int n = 0;
  for (int tp = 0; tp < N_TOPICS; tp++)
    for (int k = 0; k < 10; k++, n++) {
      char a[32], b[32], c[32];
      word(a, tp, k);
      word(b, tp, k + 10);
      word(c, (tp + 7) % N_TOPICS, k + 10);
      uint32_t ba = sr_senc_bucket(&e1, a, strlen(a)), bb = sr_senc_bucket(&e1, b, strlen(b)),
               bc = sr_senc_bucket(&e1, c, strlen(c));
      same += row_cos(&e1, ba, bb);
      other += row_cos(&e1, ba, bc);
    }
  printf("  co-occurrence init: mean cosine same topic %.3f, other topic %.3f\n", same / n, other / n);
  CHECK(same / n > other / n + 0.2);
  free(tables[0]);
  free(tables[1]);
  free(skip);
  sr_senc_free(&e1);
  sr_senc_free(&e2);
  sr_forward_free(f);
}

/* Features 20-23 weight query terms by their repeats: with every term once they equal the plain BM25F
 * (0) and coverage (8); a repeated term raises the share of the candidates that hold it. */
static void test_query_repeat_features(void) {
  sr_error err = {0};
  sr_forward *f = NULL;
  sr_analyzer *an = NULL;
  sr_index *ix = synthetic_views(&f, &an);
  sr_query_bag bag = SR_QUERY_BAG_INIT;
  sr_ltr_list l = {0};
  sr_bm25f_params bp = sr_bm25f_defaults();
  const char *once = "t3w1 t3w2 t9w4 data", *rep = "t3w1 t3w2 t9w4 t9w4 t9w4 t9w4 data";
  uint32_t docs[6] = {3, 43, 83, 9, 49, 89};  /* topic 3, then topic 9 */
  float x20[2][6];
  for (int q = 0; q < 2; q++) {
    const char *text = q ? rep : once;
    CHECK_OK(sr_query_bag_fill(&bag, an, ix, NULL, text, strlen(text), &err), &err);
    CHECK_OK(sr_ltr_list_begin(&l, ix, bag.terms, bag.n, 6, bp.max_df_ratio, &err), &err);
    memcpy(l.doc, docs, sizeof docs);
    sr_ltr_gather_forward(&l, f, UINT32_MAX, NULL, 0);
    sr_ltr_features(&l, &bp, N_SKILLS, f->avg_field_len);
    for (int i = 0; i < 6; i++) {
      const float *x = &l.feat[i * SR_LTR_NFEAT];
      x20[q][i] = x[20];
      if (q == 0) {
        CHECK(fabsf(x[20] - x[0]) < 1e-6f);
        CHECK(fabsf(x[22] - x[8]) < 1e-6f);
      }
      /* feature 0 is the router's BM25F (sr_ltr_bm25f) over the query's idf mass */
      double mass = 0;
      for (size_t k = 0; k < l.nq; k++) mass += l.qidf[k];
      CHECK(fabs(x[0] * mass - sr_ltr_bm25f(&l, (size_t)i, &bp, f->avg_field_len)) < 1e-4);
    }
    if (q == 1) {
      double w = (SR_LTR_QTF_K3 + 1) * 4 / (SR_LTR_QTF_K3 + 4);
      size_t k;
      for (k = 0; k < l.nq && fabs(l.qweight[k] - 1.0) < 1e-6; k++) {}
      CHECK(k < l.nq && fabs(l.qweight[k] - w) < 1e-5);
    }
  }
  /* topic-9 candidates gain relative to topic-3 ones when t9w4 repeats */
  double gain9 = 0, gain3 = 0;
  for (int i = 0; i < 3; i++) gain3 += x20[1][i] - x20[0][i], gain9 += x20[1][i + 3] - x20[0][i + 3];
  printf("  query-repeat BM25F: topic-9 candidates %+.3f, topic-3 %+.3f\n", gain9 / 3, gain3 / 3);
  CHECK(gain9 > gain3);
  sr_ltr_list_free(&l);
  sr_query_bag_free(&bag);
  sr_analyzer_free(an);
  sr_forward_free(f);
}

/* vectors from an entry's text (indexing) equal vectors from the index's forward view (training) */
static void test_text_rows_match_forward(void) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  sr_senc e;
  CHECK_OK(sr_senc_init(&e, 1024, 8, 3, 0.5f, &err), &err);
  uint32_t *bucket = sr_senc_term_buckets(&e, ix);
  sr_senc_set_idf(&e, ix, bucket);
  sr_forward *f = NULL;
  CHECK_OK(sr_forward_build(ix, &f, &err), &err);
  sr_analyzer *an = NULL;
  CHECK_OK(sr_analyzer_new(sr_index_analyzer(ix), &an, &err), &err);
  sr_senc_scratch *sc = sr_senc_scratch_new();
  sr_wrow *rows = malloc(4096 * sizeof *rows), *trows;
  double max_diff = 0;
  for (uint32_t d = 0; d < N_SKILLS; d += 7) {
    float a[8], b[8];
    size_t n = sr_senc_doc_rows(&e, f, bucket, d, NULL, 0, rows), nt = 0;
    sr_senc_pool(&e, rows, n, a);
    sr_entry_view v;
    sr_index_entry(ix, d, &v);
    const char *fields[3] = {v.name, v.description, v.body};
    CHECK_OK(sr_senc_text_rows(&e, an, fields, sc, &trows, &nt, &err), &err);
    CHECK_INT(nt, n);
    sr_senc_pool(&e, trows, nt, b);
    for (int k = 0; k < 8; k++)
      if (fabs((double)a[k] - b[k]) > max_diff) max_diff = fabs((double)a[k] - b[k]);
  }
  printf("  entry vectors from text vs forward index: max diff %.3g\n", max_diff);
  CHECK(max_diff < 1e-5);
  free(rows);
  sr_senc_scratch_free(sc);
  sr_analyzer_free(an);
  sr_forward_free(f);
  free(bucket);
  sr_senc_free(&e);
}

/* ---- model file ---- */

static void test_model_roundtrip_and_corruption(void) {
  sr_default_model m;
  memset(&m, 0, sizeof m);
  sr_error err = {0};
  CHECK_OK(sr_senc_init(&m.enc, 256, 8, 5, 0.3f, &err), &err);
  CHECK_OK(sr_ltr_init(&m.rr, 4, SR_LTR_NFEAT, 9, &err), &err);
  m.has_rr = true;
  m.rr.b2 = 0.25f;
  m.rr.mean[3] = 1.5f;
  m.rr.std[3] = 2.0f;
  m.meta = strdup("{\"name\":\"t\"}");
  const char *path = test_tmp_path("m.srm");
  CHECK_OK(sr_default_model_save(&m, path, &err), &err);
  sr_default_model l;
  CHECK_OK(sr_default_model_load(path, &l, &err), &err);
  double max_diff = 0;
  for (size_t i = 0; i < 256 * 8; i++) {
    double d = fabs((double)l.enc.emb[i] - m.enc.emb[i]);
    if (d > max_diff) max_diff = d;
  }
  printf("  model round trip: encoder max diff %.3g (f16)\n", max_diff);
  CHECK(max_diff < 2e-3);
  CHECK(l.has_rr);
  CHECK_INT(l.rr.hidden, 4);
  CHECK(l.rr.b2 == 0.25f && l.rr.mean[3] == 1.5f && l.rr.std[3] == 2.0f);
  CHECK(memcmp(l.rr.w1, m.rr.w1, 4 * SR_LTR_NFEAT * sizeof(float)) == 0);
  CHECK_STR(l.meta, "{\"name\":\"t\"}");
  CHECK(strncmp(l.id, "skillrouter-default:", 20) == 0);
  sr_default_model_free(&l);
  /* every single-byte flip and every truncation fails cleanly */
  char *data;
  size_t len;
  CHECK_OK(sr_read_file(path, 1 << 20, &data, &len, &err), &err);
  const char *bad = test_tmp_path("bad.srm");
  size_t undetected = 0, tried = 0;
  for (size_t off = 0; off < len; off += (off < 128 ? 1 : 37)) {
    data[off] ^= 0x5A;
    FILE *fp = fopen(bad, "wb");
    fwrite(data, 1, len, fp);
    fclose(fp);
    data[off] ^= 0x5A;
    sr_default_model x;
    sr_status st = sr_default_model_load(bad, &x, &err);
    tried++;
    if (st == SR_OK) {
      /* a flip in reserved header bytes is harmless; anything else must be caught */
      undetected++;
      sr_default_model_free(&x);
    }
  }
  for (size_t cut = 0; cut < len; cut += 97) {
    FILE *fp = fopen(bad, "wb");
    fwrite(data, 1, cut, fp);
    fclose(fp);
    sr_default_model x;
    CHECK(sr_default_model_load(bad, &x, &err) != SR_OK);
    tried++;
  }
  CHECK_MSG(undetected == 0, "%zu of %zu damaged files loaded", undetected, tried);
  CHECK(strstr(err.msg, "bad.srm") != NULL);
  free(data);
  sr_default_model_free(&m);
}

/* ---- training ---- */

static sr_train_opts small_opts(int threads) {
  sr_train_opts o = sr_train_defaults();
  o.pairs.n_queries = 360;
  o.pairs.heldout = 0.15;
  o.pairs.reranker_share = 0.25;
  o.buckets = 4096;
  o.dim = 16;
  o.epochs = 3;
  o.batch = 32;
  o.lr = 0.1f;
  o.rr_epochs = 10;
  o.rr_list = 10;
  o.rr_hidden = 8;
  o.threads = threads;
  return o;
}

static void test_training_learns_and_is_deterministic(void) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  /* random starting rows (the default); the co-occurrence start is checked below */
  sr_train_opts o0 = small_opts(1);
  o0.epochs = 0;
  o0.train_reranker = false;
  o0.cooc_init = false;
  sr_default_model m0, m1, m2;
  sr_train_report r0, r1, r2;
  CHECK_OK(sr_train(ix, &o0, &m0, &r0, &err), &err);
  sr_train_opts o1 = small_opts(1), o2 = small_opts(2);
  o1.cooc_init = o2.cooc_init = false;
  CHECK_OK(sr_train(ix, &o1, &m1, &r1, &err), &err);
  CHECK_OK(sr_train(ix, &o2, &m2, &r2, &err), &err);
  {
    /* the co-occurrence start: better than random rows before any training, and trained from it the
     * model is the same bit for bit with one thread or two */
    sr_train_opts c0 = small_opts(1), c1 = small_opts(1), c2 = small_opts(2);
    c0.cooc_init = c1.cooc_init = c2.cooc_init = true;
    c0.epochs = 0;
    c0.train_reranker = false;
    sr_default_model mc0, mc1, mc2;
    sr_train_report rc0, rc1, rc2;
    CHECK_OK(sr_train(ix, &c0, &mc0, &rc0, &err), &err);
    CHECK_OK(sr_train(ix, &c1, &mc1, &rc1, &err), &err);
    CHECK_OK(sr_train(ix, &c2, &mc2, &rc2, &err), &err);
    printf("  synthetic, co-occurrence start: held-out dense MRR@10 untrained %.3f (random rows %.3f), trained %.3f\n",
           rc0.heldout_dense_mrr, r0.heldout_dense_mrr, rc1.heldout_dense_mrr);
    CHECK(rc0.heldout_dense_mrr > r0.heldout_dense_mrr + 0.05);
    CHECK(memcmp(mc1.enc.emb, mc2.enc.emb, (size_t)mc1.enc.n_buckets * mc1.enc.dim * sizeof(float)) == 0);
    CHECK(memcmp(mc1.rr.w1, mc2.rr.w1, (size_t)mc1.rr.hidden * mc1.rr.n_feat * sizeof(float)) == 0);
    sr_default_model_free(&mc0);
    sr_default_model_free(&mc1);
    sr_default_model_free(&mc2);
  }
  printf("  synthetic: held-out dense Hit@1 untrained %.3f -> trained %.3f (R@50 %.3f -> %.3f); BM25F %.3f; "
         "reranked %.3f; pairs %zu/%zu/%zu; filtered same-name %zu jaccard %zu cosine %zu\n",
         r0.heldout_dense_hit1, r1.heldout_dense_hit1, r0.heldout_dense_r50, r1.heldout_dense_r50,
         r1.heldout_lex_hit1, r1.heldout_rr_hit1, r1.pairs_train, r1.pairs_reranker, r1.pairs_heldout,
         r1.fn_same_name, r1.fn_jaccard, r1.fn_cosine);
  CHECK(r1.pairs_train > 100 && r1.pairs_heldout > 20);
  CHECK(r1.heldout_dense_mrr > r0.heldout_dense_mrr + 0.05);
  CHECK(r1.heldout_dense_r50 > r0.heldout_dense_r50);
  CHECK(r1.heldout_rr_hit1 > 0);
  CHECK(r1.by_kind[SR_PQ_WHEN] > 0);
  /* one thread or two: the same model, bit for bit */
  const char *p1 = test_tmp_path("t1.srm"), *p2 = test_tmp_path("t2.srm");
  free(m1.meta);
  free(m2.meta);
  m1.meta = strdup("{}");
  m2.meta = strdup("{}");
  CHECK_OK(sr_default_model_save(&m1, p1, &err), &err);
  CHECK_OK(sr_default_model_save(&m2, p2, &err), &err);
  char *a, *b;
  size_t la, lb;
  CHECK_OK(sr_read_file(p1, 1 << 24, &a, &la, &err), &err);
  CHECK_OK(sr_read_file(p2, 1 << 24, &b, &lb, &err), &err);
  CHECK(la == lb && memcmp(a, b, la) == 0);
  free(a);
  free(b);
  /* the default router end to end on the trained model */
  sr_default_model lm;
  CHECK_OK(sr_default_model_load(p1, &lm, &err), &err);
  sr_default_route_opts ro = {.list = 10, .threads = 2};
  sr_default_router *r = NULL;
  CHECK_OK(sr_default_router_new(ix, &lm, &ro, &r, &err), &err);
  if (r) {
    CHECK(sr_default_router_vectors_computed(r));
    sr_result out[20], lex[20];
    size_t n = 0, nl = 0;
    const char *q = "t7w1 t7w2 t7w3 t7w4 data";
    CHECK_OK(sr_default_route(r, q, strlen(q), 20, out, &n, lex, &nl, NULL, &err), &err);
    CHECK_INT(n, 20);
    CHECK_INT(nl, 20);
    size_t topical = 0;
    for (size_t i = 0; i < 5 && i < n; i++) topical += out[i].id % N_TOPICS == 7;
    CHECK_MSG(topical >= 4, "only %zu of the top 5 are on topic 7", topical);
    for (size_t i = 1; i < n; i++) CHECK(out[i].score <= out[i - 1].score);
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < i; j++) CHECK(out[i].id != out[j].id);
    /* a shorter request is a prefix of a longer one: every candidate of the shortlist (lexical and
     * dense) is scored whatever k is (k once cut the shortlist to its first max(k, list) entries) */
    size_t mismatched = 0;
    for (int qi = 0; qi < 200; qi++) {
      char qb[128];
      int ta = qi % N_TOPICS, tb = (qi * 7 + 3) % N_TOPICS;
      snprintf(qb, sizeof qb, "t%dw%d t%dw%d t%dw%d", ta, qi % 30, tb, (qi * 3) % 30, tb, (qi * 11) % 30);
      sr_result all[40];
      size_t na = 0, n1 = 0;
      CHECK_OK(sr_default_route(r, qb, strlen(qb), 40, all, &na, NULL, NULL, NULL, &err), &err);
      CHECK_OK(sr_default_route(r, qb, strlen(qb), 3, out, &n1, NULL, NULL, NULL, &err), &err);
      CHECK_INT(n1, 3);
      for (size_t i = 0; i < n1 && i < na; i++) mismatched += out[i].id != all[i].id;
    }
    CHECK_MSG(mismatched == 0, "%zu of 600 top-3 results differ between k=3 and k=40", mismatched);
    CHECK(sr_default_route(r, "\xff\xfe", 2, 5, out, &n, NULL, NULL, NULL, &err) == SR_ERR_FORMAT);
    sr_default_router_free(r);
  }
  sr_default_model_free(&lm);
  sr_default_model_free(&m0);
  sr_default_model_free(&m1);
  sr_default_model_free(&m2);
}

/* --rr-members: the model's network is the members' mean. Member 0 is the single network the same seed
 * trains alone (so members only add to it), the others start from other seeds, and the options are
 * checked (members × hidden ≤ SR_LTR_MAX_HIDDEN). */
static void test_reranker_members(void) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  sr_train_opts o1 = small_opts(2), o3 = small_opts(2);
  o1.epochs = o3.epochs = 1;
  o1.rr_members = 1;
  o3.rr_members = 3;
  sr_default_model m1, m3;
  sr_train_report r1, r3;
  CHECK_OK(sr_train(ix, &o1, &m1, &r1, &err), &err);
  CHECK_OK(sr_train(ix, &o3, &m3, &r3, &err), &err);
  printf("  synthetic: held-out reranked Hit@1 one network %.3f, mean of 3 %.3f\n", r1.heldout_rr_hit1,
         r3.heldout_rr_hit1);
  uint32_t H = o1.rr_hidden, F = m1.rr.n_feat;
  CHECK_INT(m1.rr.hidden, H);
  CHECK_INT(m3.rr.hidden, 3 * H);
  CHECK(memcmp(m1.rr.mean, m3.rr.mean, sizeof m1.rr.mean) == 0 && memcmp(m1.rr.std, m3.rr.std, sizeof m1.rr.std) == 0);
  /* member 0 = the single network: its hidden rows, biases, and output weights divided by 3 */
  CHECK(memcmp(m1.rr.w1, m3.rr.w1, (size_t)H * F * sizeof(float)) == 0);
  CHECK(memcmp(m1.rr.b1, m3.rr.b1, H * sizeof(float)) == 0);
  size_t w2_off = 0;
  for (uint32_t h = 0; h < H; h++) w2_off += m3.rr.w2[h] != m1.rr.w2[h] / 3.0f;
  CHECK_INT(w2_off, 0);
  /* members 1 and 2 trained from other starts: their rows differ from member 0's and each other's */
  CHECK(memcmp(m3.rr.w1, m3.rr.w1 + (size_t)H * F, (size_t)H * F * sizeof(float)) != 0);
  CHECK(memcmp(m3.rr.w1 + (size_t)H * F, m3.rr.w1 + (size_t)2 * H * F, (size_t)H * F * sizeof(float)) != 0);
  CHECK(r3.heldout_rr_hit1 > 0);
  /* the merged network scores a list as the mean of its members (output weights scaled back per member) */
  {
    sr_ltr part[3];
    for (int k = 0; k < 3; k++) {
      CHECK_OK(sr_ltr_init(&part[k], H, F, 1, &err), &err);
      memcpy(part[k].mean, m3.rr.mean, sizeof part[k].mean);
      memcpy(part[k].std, m3.rr.std, sizeof part[k].std);
      memcpy(part[k].w1, m3.rr.w1 + (size_t)k * H * F, (size_t)H * F * sizeof(float));
      memcpy(part[k].b1, m3.rr.b1 + (size_t)k * H, H * sizeof(float));
      for (uint32_t h = 0; h < H; h++) part[k].w2[h] = 3.0f * m3.rr.w2[(size_t)k * H + h];
      part[k].b2 = m3.rr.b2;
    }
    sr_ltr_list l = {0};
    sr_rng rng;
    sr_rng_seed(&rng, 7);
    CHECK_OK(sr_ltr_list_begin(&l, ix, NULL, 0, 16, 1.0f, &err), &err);
    l.n = 16;
    for (size_t i = 0; i < l.n * SR_LTR_NFEAT; i++) l.feat[i] = (float)sr_rng_below(&rng, 2001) / 100.0f - 10.0f;
    float s3[16], sp[3][16];
    sr_ltr_score(&m3.rr, &l, s3);
    for (int k = 0; k < 3; k++) sr_ltr_score(&part[k], &l, sp[k]);
    double maxd = 0;
    for (size_t i = 0; i < l.n; i++) {
      double d = fabs(s3[i] - (sp[0][i] + sp[1][i] + sp[2][i]) / 3.0);
      if (d > maxd) maxd = d;
    }
    printf("  merged vs mean of members: max |diff| %.2e over 16 random rows\n", maxd);
    CHECK(maxd < 1e-4);
    for (int k = 0; k < 3; k++) sr_ltr_free(&part[k]);
    sr_ltr_list_free(&l);
  }
  sr_default_model_free(&m1);
  sr_default_model_free(&m3);
  /* members × hidden beyond the network's limit, or no member: bad options */
  sr_default_model m;
  sr_train_report r;
  sr_train_opts o = small_opts(1);
  o.rr_hidden = 64;
  o.rr_members = SR_LTR_MAX_HIDDEN / 64 + 1;
  CHECK(sr_train(ix, &o, &m, &r, &err) == SR_ERR_ARG);
  CHECK_MSG(strstr(err.msg, "members") != NULL, "message: %s", err.msg);
  o.rr_members = 0;
  CHECK(sr_train(ix, &o, &m, &r, &err) == SR_ERR_ARG);
}

/* Progress: each encoder epoch logs its tenths with the loss so far and the time left, and each epoch's
 * line says when the encoder will be done. */
typedef struct progress_log {
  int tenths, epoch_lines, members;
  char first_tenth[512];
} progress_log;

static void collect_progress(void *ctx, const char *line) {
  progress_log *p = ctx;
  if (strstr(line, "0%, loss ") && strstr(line, "until the encoder is done")) {
    if (!p->tenths++) snprintf(p->first_tenth, sizeof p->first_tenth, "%s", line);
  }
  if (strstr(line, "; encoder done in about ")) p->epoch_lines++;
  if (strstr(line, "reranker member ")) p->members++;
}

static void test_progress_lines(void) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  sr_train_opts o = small_opts(2);
  o.epochs = 2;
  o.batch = 16;              /* ~13 batches per epoch: every tenth is logged */
  o.rr_members = 2;
  progress_log p = {0};
  o.log = collect_progress;
  o.log_ctx = &p;
  sr_default_model m;
  sr_train_report r;
  CHECK_OK(sr_train(ix, &o, &m, &r, &err), &err);
  printf("  %s\n", p.first_tenth);
  CHECK_INT(p.tenths, 2 * 9);
  CHECK_INT(p.epoch_lines, 2);
  CHECK_INT(p.members, 2);
  CHECK(strncmp(p.first_tenth, "encoder epoch 1/2: 10%, loss ", 29) == 0);
  sr_default_model_free(&m);
}

static void test_training_bad_input(void) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  sr_train_opts o = small_opts(1);
  o.rr_list = 0;
  sr_default_model m;
  sr_train_report r;
  CHECK(sr_train(ix, &o, &m, &r, &err) == SR_ERR_ARG);
  o = small_opts(1);
  const char *pairs = test_tmp_path("pairs.jsonl");
  FILE *fp = fopen(pairs, "w");
  fputs("{\"query\": \"t3w1 t3w2\", \"skill_id\": \"syn/3\"}\n{\"query\": 5, \"skill_id\": \"syn/3\"}\n", fp);
  fclose(fp);
  const char *paths[] = {pairs};
  o.pairs.labelled_paths = paths;
  o.pairs.n_labelled = 1;
  CHECK(sr_train(ix, &o, &m, &r, &err) == SR_ERR_FORMAT);
  CHECK_MSG(strstr(err.msg, "pairs.jsonl:2") != NULL, "message: %s", err.msg);
  fp = fopen(pairs, "w");
  fputs("{\"query\": \"t3w1 t3w2\", \"skill_id\": \"no/such\"}\n", fp);
  fclose(fp);
  CHECK(sr_train(ix, &o, &m, &r, &err) == SR_ERR_NOT_FOUND);
  CHECK_MSG(strstr(err.msg, "no/such") != NULL, "message: %s", err.msg);
  /* every entry excluded: a clear error, not an empty model */
  const char *ids[N_SKILLS];
  for (int s = 0; s < N_SKILLS; s++) ids[s] = g_text[s][0];
  o = small_opts(1);
  o.pairs.exclude_ids = ids;
  o.pairs.n_exclude = N_SKILLS;
  CHECK(sr_train(ix, &o, &m, &r, &err) == SR_ERR_ARG);
  CHECK(strstr(err.msg, "no training pairs") != NULL);
}

/* labelled lines sharing a query are one group with several positives, in one split; a repeated
 * (query, skill) line is counted and skipped; training drops the group's other right answers from a
 * pair's reranker list instead of treating them as wrong, and drops the positive's copies */
static void test_label_groups(void) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  const char *path = test_tmp_path("groups.jsonl");
  sr_buf b = SR_BUF_INIT;
  for (int g = 0; g < 60; g++)
    for (int k = 0; k < 3; k++)  /* three right answers per query: skills of the same topic */
      sr_buf_printf(&b, "{\"query\": \"t%dw1 t%dw2 t%dw3 task %d\", \"skill_id\": \"syn/%d\"}\n", g % N_TOPICS,
                    g % N_TOPICS, g % N_TOPICS, g, g % N_TOPICS + N_TOPICS * k);
  sr_buf_printf(&b, "{\"query\": \"t0w1 t0w2 t0w3 task 0\", \"skill_id\": \"syn/0\"}\n");  /* repeat */
  test_write_file(path, b.data);
  sr_buf_free(&b);
  const char *paths[] = {path};
  sr_pairs_opts po = {.seed = 3, .n_queries = 0, .heldout = 0.2, .reranker_share = 0.3, .labelled_paths = paths,
                      .n_labelled = 1};
  sr_pairs ps;
  CHECK_OK(sr_pairs_build(ix, NULL, &po, &ps, &err), &err);
  CHECK_INT(ps.n, 180);
  CHECK_INT(ps.labelled_duplicates, 1);
  CHECK_INT(ps.n_groups, 60);
  for (size_t i = 0; i < ps.n; i++) {
    const sr_pair *p = &ps.v[i];
    uint32_t g = p->group;
    CHECK_INT(ps.group_start[g + 1] - ps.group_start[g], 3);
    CHECK(sr_pairs_group_has(&ps, i, p->doc));
    for (size_t j = 0; j < ps.n; j++)
      if (ps.v[j].group == g) {
        CHECK(ps.v[j].split == p->split);
        CHECK(!strcmp(ps.v[j].query, p->query));
      }
  }
  uint32_t other;
  CHECK(sr_index_find(ix, "syn/1", &other));
  CHECK(!sr_pairs_group_has(&ps, 0, other) || ps.v[0].group == 1);
  size_t rr_default = 0, held_default = 0;
  for (size_t i = 0; i < ps.n; i++) rr_default += ps.v[i].split == SR_SPLIT_RERANKER, held_default += ps.v[i].split == SR_SPLIT_HELDOUT;
  sr_pairs_free(&ps);
  /* --pairs-rr-share: labelled pairs go to the reranker at their own share (the same draws: held out alike) */
  po.labelled_reranker_share = 0.75;
  CHECK_OK(sr_pairs_build(ix, NULL, &po, &ps, &err), &err);
  size_t rr_share = 0, held_share = 0;
  for (size_t i = 0; i < ps.n; i++) rr_share += ps.v[i].split == SR_SPLIT_RERANKER, held_share += ps.v[i].split == SR_SPLIT_HELDOUT;
  printf("  labelled pairs in the reranker split: %zu of %zu at share 0.3, %zu at 0.75 (held out %zu, %zu)\n", rr_default,
         ps.n, rr_share, held_default, held_share);
  CHECK_INT(held_share, held_default);
  CHECK(rr_share >= rr_default + 45 && rr_share > ps.n / 2);
  sr_pairs_free(&ps);
  po.labelled_reranker_share = 0;
  /* training with the groups: the other right answers are dropped from the reranker's lists */
  sr_train_opts o = small_opts(2);
  o.pairs.labelled_paths = paths;
  o.pairs.n_labelled = 1;
  sr_default_model m;
  sr_train_report r;
  CHECK_OK(sr_train(ix, &o, &m, &r, &err), &err);
  printf("  groups: %zu other right answers and %zu + %zu copies dropped from reranker lists; held-out Hit@1 %.3f\n",
         r.rr_copies_group, r.rr_copies_name, r.rr_copies_text, r.heldout_rr_hit1);
  CHECK(r.rr_copies_group > 0);
  /* --pairs-rr-weight: the labelled lists count 3 times; the same data otherwise, so another network */
  sr_train_opts o3 = o;
  o3.rr_labelled_weight = 3;
  sr_default_model m3;
  sr_train_report r3;
  CHECK_OK(sr_train(ix, &o3, &m3, &r3, &err), &err);
  CHECK_INT(r3.rr_labelled_lists, r.rr_labelled_lists);
  CHECK(r.rr_labelled_lists > 0 && r3.rr_train_lists == r.rr_train_lists + 2 * r.rr_labelled_lists);
  CHECK(m3.rr.hidden == m.rr.hidden && memcmp(m3.rr.w1, m.rr.w1, (size_t)m.rr.hidden * m.rr.n_feat * sizeof(float)) != 0);
  sr_default_model_free(&m3);
  sr_default_model_free(&m);
}

/* --checkpoint / --resume: a run stopped after its second encoder epoch (interrupted from the progress
 * callback, as Ctrl-C would) and resumed from its checkpoint — with another thread count — gives the
 * model the uninterrupted run gives, bit for bit; so does raising --epochs on a finished run's checkpoint.
 * A checkpoint is a loadable model; one of another run, or a plain model, is refused with the reason. */
typedef struct stop_after {
  volatile int cancel;
  const char *line;          /* set cancel when a progress line starts with this */
} stop_after;

static void stop_on_line(void *ctx, const char *line) {
  stop_after *s = ctx;
  if (!strncmp(line, s->line, strlen(s->line))) s->cancel = 1;
}

static bool same_model(const sr_default_model *a, const sr_default_model *b) {
  size_t ne = (size_t)a->enc.n_buckets * a->enc.dim;
  return a->enc.n_buckets == b->enc.n_buckets && a->enc.dim == b->enc.dim && a->has_rr == b->has_rr &&
         memcmp(a->enc.emb, b->enc.emb, ne * sizeof(float)) == 0 &&
         memcmp(a->enc.idf, b->enc.idf, a->enc.n_buckets * sizeof(float)) == 0 &&
         (!a->has_rr || (a->rr.hidden == b->rr.hidden && a->rr.n_feat == b->rr.n_feat &&
                         memcmp(a->rr.w1, b->rr.w1, (size_t)a->rr.hidden * a->rr.n_feat * sizeof(float)) == 0 &&
                         memcmp(a->rr.w2, b->rr.w2, a->rr.hidden * sizeof(float)) == 0 && a->rr.b2 == b->rr.b2));
}

static void test_checkpoint_resume(void) {
  sr_index *ix = synthetic_index();
  sr_error err = {0};
  const char *ck_full = test_tmp_path("full.ck.srm"), *ck = test_tmp_path("stopped.ck.srm");
  sr_train_opts of = small_opts(2);
  of.rr_members = 2;
  of.checkpoint_path = ck_full;
  sr_default_model full, res, x;
  sr_train_report rf, rr, rx;
  CHECK_OK(sr_train(ix, &of, &full, &rf, &err), &err);
  CHECK_INT(rf.checkpoint_epochs, 3);
  CHECK_INT(rf.resumed_epochs, 0);
  /* stopped after epoch 2 of 3 */
  sr_train_opts os = of;
  os.checkpoint_path = ck;
  stop_after stop = {0, "encoder epoch 2/3: loss "};
  os.log = stop_on_line;
  os.log_ctx = &stop;
  os.cancel = &stop.cancel;
  CHECK(sr_train(ix, &os, &x, &rx, &err) == SR_ERR_INTERRUPTED);
  CHECK_INT(rx.checkpoint_epochs, 2);
  /* the checkpoint is a model file like any other (no reranker yet) */
  CHECK_OK(sr_default_model_load(ck, &x, &err), &err);
  CHECK(!x.has_rr && x.meta && strstr(x.meta, "\"epochs\":3"));
  sr_default_model_free(&x);
  sr_train_state ts;
  CHECK_OK(sr_train_state_read(ck, &ts, &err), &err);
  CHECK_INT(ts.epochs_done, 2);
  CHECK(ts.negatives_kept > 0);
  sr_train_state_free(&ts);
  /* resumed on one thread */
  sr_train_opts o1 = of;
  o1.threads = 1;
  o1.resume_from = ck;
  o1.checkpoint_path = ck;
  CHECK_OK(sr_train(ix, &o1, &res, &rr, &err), &err);
  CHECK_INT(rr.resumed_epochs, 2);
  CHECK_INT(rr.checkpoint_epochs, 3);
  CHECK_MSG(same_model(&full, &res), "the resumed model differs from the uninterrupted one");
  CHECK(rr.fn_same_name == rf.fn_same_name && rr.fn_jaccard == rf.fn_jaccard && rr.fn_cosine == rf.fn_cosine &&
        rr.negatives == rf.negatives);
  CHECK(rr.heldout_rr_hit1 == rf.heldout_rr_hit1 && rr.heldout_dense_hit1 == rf.heldout_dense_hit1);
  printf("  stopped after encoder epoch 2 of 3 and resumed: the same model (held-out Hit@1 %.3f), negatives "
         "kept %zu\n", rr.heldout_rr_hit1, rr.negatives);
  CHECK(res.meta && strstr(res.meta, "\"resumed_epochs\":2"));
  sr_default_model_free(&res);
  /* a finished run's checkpoint with --epochs 4 = a 4-epoch run */
  sr_train_opts o4 = of, o4r = of;
  o4.epochs = o4r.epochs = 4;
  o4.checkpoint_path = NULL;
  o4r.resume_from = ck_full;
  o4r.checkpoint_path = test_tmp_path("four.ck.srm");
  sr_default_model m4, m4r;
  CHECK_OK(sr_train(ix, &o4, &m4, &rx, &err), &err);
  CHECK_OK(sr_train(ix, &o4r, &m4r, &rr, &err), &err);
  CHECK_INT(rr.resumed_epochs, 3);
  CHECK_MSG(same_model(&m4, &m4r), "resuming a 3-epoch checkpoint with --epochs 4 differs from a 4-epoch run");
  sr_default_model_free(&m4);
  sr_default_model_free(&m4r);
  /* refused: another seed, other data, another encoder size, fewer epochs than done, a plain model, both
   * --resume and --encoder-from, a damaged checkpoint */
  sr_train_opts ob = of;
  ob.resume_from = ck_full;
  ob.checkpoint_path = NULL;
  ob.seed = of.seed + 1;
  CHECK(sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_ARG);
  CHECK_MSG(strstr(err.msg, "another run") && strstr(err.msg, "full.ck.srm"), "message: %s", err.msg);
  ob = of, ob.resume_from = ck_full, ob.checkpoint_path = NULL, ob.pairs.n_queries = 300;
  CHECK(sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_ARG);
  ob = of, ob.resume_from = ck_full, ob.checkpoint_path = NULL, ob.lr = 0.2f;
  CHECK(sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_ARG);
  ob = of, ob.resume_from = ck_full, ob.checkpoint_path = NULL, ob.dim = 32;
  CHECK(sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_ARG);
  CHECK_MSG(strstr(err.msg, "--dim"), "message: %s", err.msg);
  ob = of, ob.resume_from = ck_full, ob.checkpoint_path = NULL, ob.epochs = 2;
  CHECK(sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_ARG);
  CHECK_MSG(strstr(err.msg, "3 encoder epochs"), "message: %s", err.msg);
  const char *plain = test_tmp_path("plain.srm");
  CHECK_OK(sr_default_model_save(&full, plain, &err), &err);
  ob = of, ob.resume_from = plain, ob.checkpoint_path = NULL;
  CHECK(sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_NOT_FOUND);
  CHECK_MSG(strstr(err.msg, "plain.srm") && strstr(err.msg, "--checkpoint"), "message: %s", err.msg);
  ob = of, ob.resume_from = ck_full, ob.encoder_from = plain, ob.checkpoint_path = NULL;
  CHECK(sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_ARG);
  char *data;
  size_t len;
  CHECK_OK(sr_read_file(ck_full, 1 << 26, &data, &len, &err), &err);
  const char *bad = test_tmp_path("bad.ck.srm");
  size_t refused = 0, tried = 0;
  for (size_t cut = 64; cut < len; cut += len / 7) {
    test_write_file_n(bad, data, cut);
    ob = of, ob.resume_from = bad, ob.checkpoint_path = NULL;
    refused += sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_CORRUPT, tried++;
  }
  data[len - 200] ^= 0x40;  /* inside the section table or the TRST floats */
  test_write_file_n(bad, data, len);
  refused += sr_train(ix, &ob, &x, &rx, &err) == SR_ERR_CORRUPT, tried++;
  CHECK_MSG(refused == tried, "%zu of %zu damaged checkpoints refused", refused, tried);
  CHECK(strstr(err.msg, "bad.ck.srm") != NULL);
  free(data);
  sr_default_model_free(&full);
}

int main(void) {
  RUN(test_pq_when);
  RUN(test_pq_span_and_desc);
  RUN(test_trigram_jaccard);
  RUN(test_forward_matches_lengths);
  RUN(test_features_postings_vs_forward);
  RUN(test_query_repeat_features);
  RUN(test_cooc_init);
  RUN(test_text_rows_match_forward);
  RUN(test_model_roundtrip_and_corruption);
  RUN(test_training_learns_and_is_deterministic);
  RUN(test_reranker_members);
  RUN(test_progress_lines);
  RUN(test_training_bad_input);
  RUN(test_label_groups);
  RUN(test_checkpoint_resume);
  return test_summary();
}
