/* test_index.c — index build/open round trip, hand-computed BM25F scores, packs, incremental
 * rebuilds, corruption and truncation detection, and crash-safe replacement. */
#include <sys/stat.h>
#include <unistd.h>

#include "index/index.h"
#include "route/router.h"
#include "test.h"
#include "util/fileio.h"

/* A catalog built by hand (no readers): entries point at string literals. */
typedef struct { const char *id, *name, *desc, *body, *pack; } toy;

static sr_catalog make_catalog(const toy *t, size_t n, sr_entry *storage) {
  sr_catalog c;
  memset(&c, 0, sizeof c);
  for (size_t i = 0; i < n; i++) {
    storage[i] = (sr_entry){(char *)t[i].id, (char *)t[i].name, (char *)t[i].desc, (char *)t[i].body,
                            (char *)t[i].pack, NULL, (char *)"test", NULL, SR_KIND_SKILL, 0};
    /* content hash: any stable function of the text is enough for these tests */
    uint64_t h = 1469598103934665603ULL;
    for (const char *f[] = {t[i].name, t[i].desc, t[i].body}, **p = f; p < f + 3; p++)
      for (const char *s = *p; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    storage[i].content_hash = h;
  }
  c.entries = storage;
  c.n_entries = c.cap_entries = n;
  return c;
}

static const toy TOY[] = {
    {"s/a", "alpha", "", "beta beta", "p1"},
    {"s/b", "beta", "gamma", "alpha", "p1"},
    {"s/c", "delta", "", "gamma gamma gamma", "p2"},
};

static char *path_in_tmp(const char *name) {
  static char buf[4][512];
  static int i;
  char *p = buf[i++ % 4];
  snprintf(p, 512, "%s/%s", test_tmpdir(), name);
  return p;
}

static sr_index *build_and_open(const toy *t, size_t n, const char *path, const sr_index *prev, sr_build_stats *stats) {
  sr_entry storage[16];
  sr_catalog c = make_catalog(t, n, storage);
  sr_build_opts o = {.analyzer = sr_analyzer_defaults(), .threads = 2};
  sr_error err = {0};
  CHECK_OK(sr_index_build(&c, prev, &o, path, stats, &err), &err);
  sr_index *ix = NULL;
  CHECK_OK(sr_index_open(path, &ix, &err), &err);
  return ix;
}

static size_t route(sr_index *ix, const char *q, const sr_bm25f_params *p, sr_route_by by, sr_result *out, size_t k) {
  sr_searcher *s;
  sr_error err;
  size_t n = 0;
  CHECK_OK(sr_searcher_new(ix, &s, &err), &err);
  sr_route_opts o = {.k = k, .by = by, .bm25f = p};
  CHECK_OK(sr_route(s, q, strlen(q), &o, out, &n, NULL, &err), &err);
  sr_searcher_free(s);
  return n;
}

static void test_round_trip(void) {
  sr_build_stats st = {0};
  sr_index *ix = build_and_open(TOY, 3, path_in_tmp("rt.idx"), NULL, &st);
  if (!ix) return;
  CHECK_INT(sr_index_count(ix), 3);
  CHECK_INT(st.entries, 3);
  CHECK_INT(st.analysed, 3);
  CHECK_INT(st.terms, 4);
  sr_entry_view v;
  sr_index_entry(ix, 1, &v);
  CHECK_STR(v.id, "s/b");
  CHECK_STR(v.name, "beta");
  CHECK_STR(v.description, "gamma");
  CHECK_STR(v.body, "alpha");
  CHECK_STR(v.pack, "p1");
  CHECK(v.category == NULL && v.metadata == NULL);
  uint32_t d;
  CHECK(sr_index_find(ix, "s/c", &d) && d == 2);
  CHECK(!sr_index_find(ix, "s/zz", &d));
  CHECK_INT(sr_index_pack_count(ix), 2);
  const uint32_t *docs;
  CHECK_INT(sr_index_pack_entries(ix, 0, &docs), 2);
  CHECK_STR(sr_index_pack_name(ix, 1), "p2");
  sr_index_close(ix);
}

/* Values computed by hand: N = 3, df(beta) = df(gamma) = 2, idf = ln(1.6) = 0.4700036292. */
static void test_bm25f_hand_values(void) {
  sr_index *ix = build_and_open(TOY, 3, path_in_tmp("bm.idx"), NULL, NULL);
  if (!ix) return;
  sr_result r[8];
  sr_bm25f_params p = {.k1 = 1.2f, .weight = {1, 1, 1}, .b = {0, 0, 0}, .max_df_ratio = 1};
  /* "beta": doc0 body tf 2 → 2/3.2·idf = 0.2937522683; doc1 name tf 1 → 1/2.2·idf = 0.2136380133 */
  size_t n = route(ix, "beta", &p, SR_BY_ENTRY, r, 8);
  CHECK_INT(n, 2);
  CHECK_INT(r[0].id, 0);
  CHECK_NEAR(r[0].score, 0.2937522683, 1e-6);
  CHECK_INT(r[1].id, 1);
  CHECK_NEAR(r[1].score, 0.2136380133, 1e-6);
  /* name weight 3: doc1 tf~ = 3 → 3/4.2·idf = 0.3357168780, now first */
  p.weight[0] = 3;
  n = route(ix, "beta", &p, SR_BY_ENTRY, r, 8);
  CHECK_INT(r[0].id, 1);
  CHECK_NEAR(r[0].score, 0.3357168780, 1e-6);
  /* body length normalisation b=1: doc2 body len 3, avg 2 → tf~ = 3/(3/2) = 2 → 0.2937522683;
   * doc1 has gamma in the description (b 0) → 0.2136380133 */
  p = (sr_bm25f_params){.k1 = 1.2f, .weight = {1, 1, 1}, .b = {0, 0, 1}, .max_df_ratio = 1};
  n = route(ix, "gamma", &p, SR_BY_ENTRY, r, 8);
  CHECK_INT(n, 2);
  CHECK_INT(r[0].id, 2);
  CHECK_NEAR(r[0].score, 0.2937522683, 1e-6);
  CHECK_NEAR(r[1].score, 0.2136380133, 1e-6);
  /* a query term repeated counts once; two terms add: "beta gamma beta" on doc1 = 0.2136 + 0.2136 */
  p.b[2] = 0;
  n = route(ix, "beta gamma beta", &p, SR_BY_ENTRY, r, 8);
  CHECK_INT(r[0].id, 1);
  CHECK_NEAR(r[0].score, 2 * 0.2136380133, 1e-6);
  /* with qtf_k3 = 1 a term repeated twice weighs (1+1)·2/(1+2) = 4/3: "beta gamma beta" on doc1 =
   * 0.2136·4/3 + 0.2136; a term not found in the index does not shift the counts of the others */
  p.qtf_k3 = 1;
  n = route(ix, "beta nosuchword gamma nosuchword beta", &p, SR_BY_ENTRY, r, 8);
  CHECK_INT(r[0].id, 1);
  CHECK_NEAR(r[0].score, (4.0 / 3.0 + 1) * 0.2136380133, 1e-6);
  p.qtf_k3 = 0;
  /* k limits; no match → no result; max_df_ratio drops common terms */
  CHECK_INT(route(ix, "beta gamma", &p, SR_BY_ENTRY, r, 1), 1);
  CHECK_INT(route(ix, "nothing here", &p, SR_BY_ENTRY, r, 8), 0);
  p.max_df_ratio = 0.5f;  /* beta (df 2 of 3) is skipped next to a rarer term, kept when alone */
  CHECK_INT(route(ix, "beta delta", &p, SR_BY_ENTRY, r, 8), 1);
  CHECK_INT(r[0].id, 2);
  CHECK_INT(route(ix, "beta", &p, SR_BY_ENTRY, r, 8), 2);
  /* a zero field weight: body-only matches score nothing (and repeated terms must not corrupt state) */
  p = (sr_bm25f_params){.k1 = 1.2f, .weight = {1, 1, 0}, .b = {0, 0, 0}, .max_df_ratio = 1};
  n = route(ix, "gamma gamma alpha beta delta", &p, SR_BY_ENTRY, r, 8);
  CHECK_INT(n, 3);
  n = route(ix, "gamma", &p, SR_BY_ENTRY, r, 8);
  CHECK_INT(n, 1);
  CHECK_INT(r[0].id, 1);
  /* packs: p1 holds doc0 and doc1, best member wins */
  p.max_df_ratio = 1;
  n = route(ix, "alpha", &p, SR_BY_PACK, r, 8);
  CHECK_INT(n, 1);
  CHECK_STR(sr_index_pack_name(ix, r[0].id), "p1");
  sr_index_close(ix);
}

static void test_invalid_query(void) {
  sr_index *ix = build_and_open(TOY, 3, path_in_tmp("q.idx"), NULL, NULL);
  if (!ix) return;
  sr_searcher *s;
  sr_error err;
  CHECK_OK(sr_searcher_new(ix, &s, &err), &err);
  sr_result r[4];
  size_t n;
  sr_route_opts o = {.k = 4};
  CHECK_INT(sr_route(s, "ab\xff", 3, &o, r, &n, NULL, &err), SR_ERR_FORMAT);
  CHECK(strstr(err.msg, "byte 2") != NULL);
  sr_searcher_free(s);
  sr_index_close(ix);
}

static void test_incremental(void) {
  const char *path = path_in_tmp("inc.idx");
  sr_index *old = build_and_open(TOY, 3, path, NULL, NULL);
  if (!old) return;
  toy changed[] = {
      {"s/a", "alpha", "", "beta beta", "p1"},              /* unchanged */
      {"s/c", "delta", "", "gamma gamma gamma", "p2"},      /* unchanged, moved */
      {"s/b", "beta", "gamma", "alpha epsilon", "p1"},      /* changed */
      {"s/d", "zeta", "new", "beta zeta", NULL},            /* added */
  };
  sr_build_stats st = {0};
  sr_index *inc = build_and_open(changed, 4, path, old, &st);  /* replaces the file old maps */
  sr_index_close(old);
  if (!inc) return;
  CHECK_INT(st.reused, 2);
  CHECK_INT(st.analysed, 2);
  sr_index *fresh = build_and_open(changed, 4, path_in_tmp("fresh.idx"), NULL, NULL);
  if (!fresh) { sr_index_close(inc); return; }
  const char *queries[] = {"alpha", "beta", "gamma", "epsilon zeta", "delta beta new"};
  for (size_t q = 0; q < 5; q++) {
    sr_result a[8], b[8];
    size_t na = route(inc, queries[q], NULL, SR_BY_ENTRY, a, 8), nb = route(fresh, queries[q], NULL, SR_BY_ENTRY, b, 8);
    CHECK_INT(na, nb);
    for (size_t i = 0; i < na && i < nb; i++) {
      CHECK_INT(a[i].id, b[i].id);
      CHECK_NEAR(a[i].score, b[i].score, 1e-6);
    }
  }
  sr_index_close(inc);
  sr_index_close(fresh);
}

static unsigned char *read_all(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *p = malloc(*n ? *n : 1);
  if (fread(p, 1, *n, f) != *n) *n = 0;
  fclose(f);
  return p;
}

static void write_all(const char *path, const unsigned char *p, size_t n) {
  FILE *f = fopen(path, "wb");
  fwrite(p, 1, n, f);
  fclose(f);
}

/* Every truncation and a byte flip at many offsets is detected, never a crash. */
static void test_corruption(void) {
  const char *path = path_in_tmp("good.idx"), *bad = path_in_tmp("bad.idx");
  sr_index *ix = build_and_open(TOY, 3, path, NULL, NULL);
  sr_index_close(ix);
  size_t n;
  unsigned char *good = read_all(path, &n);
  CHECK(good && n > 64);
  if (!good) return;
  sr_error err;
  int undetected = 0;
  for (size_t cut = 0; cut < n; cut += (cut < 128 ? 1 : 7)) {
    write_all(bad, good, cut);
    sr_status st = sr_index_open(bad, &ix, &err);
    if (st == SR_OK) { undetected++; sr_index_close(ix); }
    else CHECK_MSG(strstr(err.msg, bad) != NULL, "message names the file: %s", err.msg);
  }
  unsigned char *copy = malloc(n);
  for (size_t off = 0; off < n; off++) {
    memcpy(copy, good, n);
    copy[off] ^= 0x5a;
    write_all(bad, copy, n);
    sr_status st = sr_index_open(bad, &ix, &err);
    if (st == SR_OK) {
      undetected++;
      fprintf(stderr, "  flip at byte %zu of %zu not detected\n", off, n);
      sr_index_close(ix);
    }
  }
  CHECK_INT(undetected, 0);
  memcpy(copy, good, n);
  memcpy(copy, "NOTANIDX", 8);
  write_all(bad, copy, n);
  CHECK_INT(sr_index_open(bad, &ix, &err), SR_ERR_CORRUPT);
  CHECK(strstr(err.msg, "not a skillrouter index") != NULL);
  memcpy(copy, good, n);
  copy[8] = 99;  /* version */
  write_all(bad, copy, n);
  CHECK_INT(sr_index_open(bad, &ix, &err), SR_ERR_UNSUPPORTED);
  CHECK(strstr(err.msg, "version 99") != NULL);
  CHECK_INT(sr_index_open(path_in_tmp("missing.idx"), &ix, &err), SR_ERR_NOT_FOUND);
  free(copy);
  free(good);
}

/* An interrupted build leaves the existing index byte-for-byte intact and no temp file behind. */
static void test_interrupted_build_keeps_old(void) {
  const char *path = path_in_tmp("keep.idx");
  sr_index *ix = build_and_open(TOY, 3, path, NULL, NULL);
  sr_index_close(ix);
  size_t n0, n1;
  unsigned char *before = read_all(path, &n0);
  sr_entry storage[4];
  sr_catalog c = make_catalog(TOY, 2, storage);
  volatile int cancel = 1;
  sr_build_opts o = {.analyzer = sr_analyzer_defaults(), .threads = 1, .cancel = &cancel};
  sr_error err;
  CHECK_INT(sr_index_build(&c, NULL, &o, path, NULL, &err), SR_ERR_INTERRUPTED);
  unsigned char *after = read_all(path, &n1);
  CHECK(n0 == n1 && before && after && memcmp(before, after, n0) == 0);
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  CHECK(access(tmp, F_OK) != 0);
  /* unwritable destination: a clear error, no crash */
  CHECK(sr_index_build(&c, NULL, NULL, "/nonexistent-dir/x.idx", NULL, &err) == SR_ERR_IO);
  CHECK(strstr(err.msg, "/nonexistent-dir/x.idx") != NULL);
  free(before);
  free(after);
}

static void test_empty_catalog(void) {
  sr_index *ix = build_and_open(TOY, 0, path_in_tmp("empty.idx"), NULL, NULL);
  if (!ix) return;
  CHECK_INT(sr_index_count(ix), 0);
  sr_result r[2];
  CHECK_INT(route(ix, "alpha", NULL, SR_BY_ENTRY, r, 2), 0);
  sr_index_close(ix);
}

/* sr_write_file_atomic: writes, replaces, and on a failure leaves the old file and no temporary file */
static void test_write_file_atomic(void) {
  sr_error err = {0};
  const char *p = test_tmp_path("atomic.txt");
  CHECK_OK(sr_write_file_atomic(p, "first", 5, &err), &err);
  CHECK_OK(sr_write_file_atomic(p, "second!", 7, &err), &err);
  char *d;
  size_t n;
  CHECK_OK(sr_read_file(p, 1 << 20, &d, &n, &err), &err);
  CHECK(n == 7 && memcmp(d, "second!", 7) == 0);
  free(d);
  CHECK_OK(sr_write_file_atomic(p, "", 0, &err), &err);
  CHECK_OK(sr_read_file(p, 1 << 20, &d, &n, &err), &err);
  CHECK_INT(n, 0);
  free(d);
  CHECK(sr_write_file_atomic(test_tmp_path("no/such/dir/x.txt"), "x", 1, &err) != SR_OK);
  CHECK_MSG(strstr(err.msg, "no/such/dir") != NULL, "%s", err.msg);
}

int main(void) {
  RUN(test_round_trip);
  RUN(test_bm25f_hand_values);
  RUN(test_invalid_query);
  RUN(test_incremental);
  RUN(test_corruption);
  RUN(test_interrupted_build_keeps_old);
  RUN(test_empty_catalog);
  RUN(test_write_file_atomic);
  return test_summary();
}
