/* test_dense.c — dense search equals a brute-force reference (f32, f16, int8 with and without f16
 * refine rows; AVX2 and scalar), int8 recall@10 vs exact f32 (refine rows lift it to ~1), f16/int8
 * conversions, and RRF fusion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <zlib.h>

#include "index/index.h"
#include "index/index_format.h"
#include "route/dense.h"
#include "route/fusion.h"
#include "test.h"

static void rnd_unit(float *x, size_t d, unsigned *seed) {
  double n = 0;
  for (size_t k = 0; k < d; k++) { x[k] = (float)rand_r(seed) / RAND_MAX - 0.5f; n += x[k] * x[k]; }
  for (size_t k = 0; k < d; k++) x[k] /= (float)sqrt(n);
}

static void brute(const sr_vec_view *v, const float *q, size_t k, sr_result *out) {
  for (size_t j = 0; j < k; j++) out[j] = (sr_result){UINT32_MAX, -INFINITY};
  for (size_t i = 0; i < v->n; i++) {
    float s = sr_dense_score_ref(v, q, i);
    size_t p = k;
    while (p > 0 && (out[p - 1].score < s)) p--;
    if (p == k) continue;
    memmove(out + p + 1, out + p, (k - p - 1) * sizeof *out);
    out[p] = (sr_result){(uint32_t)i, s};
  }
}

/* n random unit rows of dim d in f32 (f), f16 (h) and int8 (i8, scales sc). */
static void make_rows(size_t n, size_t d, unsigned *seed, float *f, uint16_t *h, int8_t *i8, float *sc) {
  for (size_t i = 0; i < n; i++) {
    rnd_unit(f + i * d, d, seed);
    sc[i] = sr_quantize_i8(f + i * d, d, i8 + i * d);
    for (size_t k = 0; k < d; k++) h[i * d + k] = sr_f32_to_f16(f[i * d + k]);
  }
}

static void test_dense(void) {
  enum { N = 3000, D = 96, K = 10 };
  unsigned seed = 42;
  float *f = malloc(N * D * 4), q[D];
  uint16_t *h = malloc(N * D * 2);
  int8_t *i8 = malloc(N * D);
  float *sc = malloc(N * 4);
  make_rows(N, D, &seed, f, h, i8, sc);
  sr_vec_info info = {.dim = D};
  sr_vec_view views[4] = {{&info, N, D, SR_VEC_F32, f, NULL, NULL, NULL}, {&info, N, D, SR_VEC_F16, h, NULL, NULL, NULL},
                          {&info, N, D, SR_VEC_I8, i8, sc, NULL, NULL}, {&info, N, D, SR_VEC_I8, i8, sc, NULL, h}};
  sr_result got[K], want[K], exact[K];
  double recall = 0;
  for (int t = 0; t < 20; t++) {
    rnd_unit(q, D, &seed);
    brute(&views[0], q, K, exact);
    for (int v = 0; v < 4; v++)
      for (int scalar = 0; scalar < 2; scalar++) {
        size_t n;
        sr_dense_opts o = {.k = K, .force_scalar = scalar, .rescore = v >= 2 ? N : 0};
        CHECK(sr_dense_search(&views[v], q, &o, got, &n, NULL) == SR_OK && n == K);
        brute(&views[v], q, K, want);
        bool same = true;
        for (int j = 0; j < K; j++) same &= got[j].id == want[j].id && fabsf(got[j].score - want[j].score) < 1e-4f;
        CHECK(same);
      }
    size_t n;
    sr_dense_search(&views[2], q, &(sr_dense_opts){.k = K}, got, &n, NULL);
    for (int a = 0; a < K; a++)
      for (int b = 0; b < K; b++) recall += got[a].id == exact[b].id;
  }
  recall /= 20.0 * K;
  CHECK(recall >= 0.95);
  /* the refine rows are what an int8 view decodes to */
  float row[D];
  sr_vec_get_f32(&views[3], 7, row);
  CHECK(row[3] == sr_half_to_f32(h[7 * D + 3]) && fabsf(row[5] - f[7 * D + 5]) < 1e-3f);
  sr_vec_get_f32(&views[2], 7, row);
  CHECK(row[3] == (float)i8[7 * D + 3] * sc[7]);
  /* conversions */
  CHECK(sr_half_to_f32(sr_f32_to_f16(1.0f)) == 1.0f && sr_half_to_f32(sr_f32_to_f16(-0.333251953125f)) == -0.333251953125f);
  CHECK(sr_f32_to_f16(65504.0f) == 0x7bff && sr_f32_to_f16(1e6f) == 0x7c00);
  /* RRF: an id first in both lists wins; weighted respects the weight */
  sr_result a[3] = {{1, .9f}, {2, .8f}, {3, .1f}}, b[3] = {{1, 5}, {3, 4}, {4, 1}}, out[4];
  size_t n;
  CHECK(sr_fuse(a, 3, b, 3, SR_FUSE_RRF, 60, 0.5, 4, out, &n, NULL) == SR_OK && n == 4 && out[0].id == 1 && out[1].id == 3);
  CHECK(fabsf(out[0].score - 2.0f / 61) < 1e-6f);
  CHECK(sr_fuse(a, 3, b, 3, SR_FUSE_WEIGHTED, 60, 1.0, 4, out, &n, NULL) == SR_OK && out[0].id == 1 && out[1].id == 2);
  size_t zero;
  CHECK(sr_dense_search(&views[0], q, &(sr_dense_opts){.k = 0}, got, &zero, NULL) == SR_ERR_ARG);
  free(f); free(h); free(i8); free(sc);
}

/* Many rows, random queries, top 50: scores of the top 50 lie close together, so the int8 rounding of the
 * rows costs recall; rescoring against f16 refine rows recovers it (the criterion, scaled down). */
static void test_refine_recall(void) {
  enum { N = 20000, D = 256, K = 50, Q = 10 };
  unsigned seed = 7;
  float *f = malloc((size_t)N * D * 4), q[D];
  uint16_t *h = malloc((size_t)N * D * 2);
  int8_t *i8 = malloc((size_t)N * D);
  float *sc = malloc(N * 4);
  make_rows(N, D, &seed, f, h, i8, sc);
  sr_vec_info info = {.dim = D};
  sr_vec_view vf = {&info, N, D, SR_VEC_F32, f, NULL, NULL, NULL}, v8 = {&info, N, D, SR_VEC_I8, i8, sc, NULL, NULL},
              v8r = {&info, N, D, SR_VEC_I8, i8, sc, NULL, h};
  sr_result exact[K], a[K], b[K];
  double r8 = 0, r8r = 0;
  size_t n;
  for (int t = 0; t < Q; t++) {
    rnd_unit(q, D, &seed);
    CHECK(sr_dense_search(&vf, q, &(sr_dense_opts){.k = K}, exact, &n, NULL) == SR_OK && n == K);
    CHECK(sr_dense_search(&v8, q, &(sr_dense_opts){.k = K}, a, &n, NULL) == SR_OK && n == K);
    CHECK(sr_dense_search(&v8r, q, &(sr_dense_opts){.k = K}, b, &n, NULL) == SR_OK && n == K);
    for (int x = 0; x < K; x++)
      for (int y = 0; y < K; y++) r8 += a[x].id == exact[y].id, r8r += b[x].id == exact[y].id;
  }
  r8 /= (double)Q * K;
  r8r /= (double)Q * K;
  printf("int8 recall@%d vs exact f32 (N=%d, dim %d): %.4f rescored on int8 rows, %.4f on f16 refine rows\n", K, N, D, r8,
         r8r);
  CHECK(r8r >= 0.998);
  CHECK(r8r > r8);
  free(f); free(h); free(i8); free(sc);
}

/* An index built with int8 vectors carries the f16 refine rows (VECR) unless told not to; the view
 * exposes them, decoding and search use them; a damaged VECR header is reported. */
static void test_index_refine(void) {
  enum { N = 60, D = 40 };
  static char ids[N][16];
  sr_entry e[N];
  float *x = malloc(N * D * sizeof *x);
  unsigned seed = 3;
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "e%d", i);
    e[i] = (sr_entry){ids[i], ids[i], (char *)"d", (char *)"body text", NULL, NULL, (char *)"t", NULL, SR_KIND_SKILL, 77 + i};
    rnd_unit(x + i * D, D, &seed);
  }
  sr_catalog c;
  memset(&c, 0, sizeof c);
  c.entries = e;
  c.n_entries = c.cap_entries = N;
  sr_vec_input vi = {.info = {.dim = D, .dtype = SR_VEC_I8}, .data = x};
  sr_build_opts o = {.analyzer = sr_analyzer_defaults(), .threads = 1, .vectors = &vi};
  char p8[512], p8n[512], p16[512];
  const char *dir = test_tmpdir();
  snprintf(p8, sizeof p8, "%s/r8.idx", dir);
  snprintf(p8n, sizeof p8n, "%s/r8n.idx", dir);
  snprintf(p16, sizeof p16, "%s/r16.idx", dir);
  sr_error err = {0};
  CHECK_OK(sr_index_build(&c, NULL, &o, p8, NULL, &err), &err);
  vi.no_refine = true;
  CHECK_OK(sr_index_build(&c, NULL, &o, p8n, NULL, &err), &err);
  vi.no_refine = false;
  vi.info.dtype = SR_VEC_F16;
  CHECK_OK(sr_index_build(&c, NULL, &o, p16, NULL, &err), &err);
  sr_index *i8 = NULL, *i8n = NULL, *i16 = NULL;
  CHECK_OK(sr_index_open(p8, &i8, &err), &err);
  CHECK_OK(sr_index_open(p8n, &i8n, &err), &err);
  CHECK_OK(sr_index_open(p16, &i16, &err), &err);
  if (i8 && i8n && i16) {
    sr_vec_view v8, v8n, v16;
    CHECK(sr_index_vectors(i8, &v8) && sr_index_vectors(i8n, &v8n) && sr_index_vectors(i16, &v16));
    CHECK(v8.refine != NULL && v8n.refine == NULL && v16.refine == NULL && v8.dtype == SR_VEC_I8);
    bool same = v8.refine != NULL;
    for (size_t k = 0; same && k < (size_t)N * D; k++) same = v8.refine[k] == sr_f32_to_f16(x[k]);
    CHECK(same);
    float row[D];
    sr_vec_get_f32(&v8, 5, row);
    CHECK(row[2] == sr_half_to_f32(sr_f32_to_f16(x[5 * D + 2])));
    /* int8 + refine ranks exactly as the f16 index (all candidates rescored) */
    sr_result a[10], b[10];
    size_t na, nb;
    CHECK(sr_dense_search(&v8, x + 9 * D, &(sr_dense_opts){.k = 10}, a, &na, NULL) == SR_OK);
    CHECK(sr_dense_search(&v16, x + 9 * D, &(sr_dense_opts){.k = 10}, b, &nb, NULL) == SR_OK);
    same = na == 10 && nb == 10 && a[0].id == 9;
    for (size_t k = 0; same && k < 10; k++) same = a[k].id == b[k].id && fabsf(a[k].score - b[k].score) < 1e-6f;
    CHECK(same);
  }
  sr_index_close(i8);
  sr_index_close(i8n);
  sr_index_close(i16);
  /* a VECR header that does not match VECS (checksums recomputed, so only the structure check sees it) */
  FILE *f = fopen(p8, "r+b");
  CHECK(f != NULL);
  if (f) {
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    unsigned char *d = malloc((size_t)len);
    fseek(f, 0, SEEK_SET);
    CHECK(fread(d, 1, (size_t)len, f) == (size_t)len);
    sr_idx_header *h = (sr_idx_header *)d;
    sr_idx_section *tab = (sr_idx_section *)(d + h->table_offset);
    bool found = false;
    for (uint32_t i = 0; i < h->n_sections; i++)
      if (tab[i].tag == SR_SEC_VECR) {
        found = true;
        ((sr_idx_vecr_header *)(d + tab[i].offset))->dim = D + 1;
        tab[i].crc = (uint32_t)crc32_z(0, d + tab[i].offset, tab[i].size);
      }
    CHECK(found);
    h->table_crc = (uint32_t)crc32_z(0, (const unsigned char *)tab, h->n_sections * sizeof *tab);
    fseek(f, 0, SEEK_SET);
    CHECK(fwrite(d, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    free(d);
    sr_index *bad = NULL;
    CHECK(sr_index_open(p8, &bad, &err) == SR_ERR_CORRUPT);
    CHECK(strstr(err.msg, "VECR section: count or dimension differs from VECS") != NULL);
    sr_index_close(bad);
  }
  free(x);
}

int main(void) {
  RUN(test_dense);
  RUN(test_index_refine);
  RUN(test_refine_recall);
  return test_summary();
}
