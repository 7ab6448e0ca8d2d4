/* cmd_bench_model.c — `skillrouter bench-model --config CONFIG.json [--tokens N] [--batch B]
 * [--dtype f32|bf16|q8_0] [--threads N] [--reps R] [--json] [--rerank-docs N [--doc-tokens N]
 * [--prefix-tokens N] [--suffix-tokens N]] [--embed-seqs N [--seq-tokens L]] [--attention]`.
 *
 * Builds a random-weight model of the config in memory (sr_qwen3_random; no file), runs B prefills of
 * N random tokens (all positions, best of R) and reports tokens/s and achieved TFLOPS, counting
 * 2 * (projection params) * tokens + causal attention (4 * Hq * d * sum of keys per query, per layer).
 * The peak of the same instruction path is measured in the same run on the model's pool: a bare FMA
 * loop for avx2/avx512 f32 and bf16 (the avx2-bf16 kernel widens to f32 and uses FMA), a
 * vpmaddubsw+vpmaddwd loop for avx2-i8, vpdpbusd for avx512-vnni-i8, a tile loop for amx.
 * --rerank-docs N also times N documents against one prefix: each full sequence alone
 * (sr_qwen3_rerank) vs the prefix K/V cache (sr_qwen3_rerank_batch), alternating, best of R each, and
 * prints the speedup in wall time and in process CPU time (steadier on a shared machine), the FLOP ratio it should approach
 * (the same FLOP count as the prefill line) and the max relative score difference.
 * --embed-seqs N [--seq-tokens L] times N embeddings (lengths L/2 .. 3L/2, EOS appended) one at a time
 * (sr_qwen3_embed_text_ids) vs the packed, length-bucketed batch (sr_qwen3_embed_batch).
 * --attention times only one layer's attention (tokens queries, the config's heads) on each kernel path
 * the CPU has (no model is built). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "kernels/attention.h"
#include "kernels/cpu.h"
#include "kernels/peak.h"
#include "model/qwen3.h"
#include "util/clock.h"

static double cpu_now(void) { /* CPU time of all threads of the process */
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Peak G ops/s of the instruction path of `path` on all the model's pool threads (best of 3); 0 if none. */
static double measure_peak(const sr_qwen3 *m, const char *path, const char **what) {
  sr_peak_loop loop;
  if (!strcmp(path, "avx2-f32") || !strcmp(path, "avx2-bf16")) loop = SR_PEAK_FMA256;
  else if (!strcmp(path, "avx2-i8")) loop = SR_PEAK_I8_256;
  else if (!strcmp(path, "avx512-f32") || !strcmp(path, "avx512-bf16")) loop = SR_PEAK_FMA512;
  else if (!strcmp(path, "avx512-vnni-i8")) loop = SR_PEAK_VNNI512;
  else if (!strncmp(path, "amx-", 4)) loop = strstr(path, "i8") ? SR_PEAK_AMX_I8 : SR_PEAK_AMX_BF16;
  else {
    *what = "none (scalar path)";
    return 0;
  }
  *what = sr_peak_describe(loop);
  return sr_peak_gflops(loop, m->pool, 3);
}

static void random_ids(int32_t *ids, size_t n, int vocab, unsigned *s) {
  for (size_t i = 0; i < n; i++) ids[i] = (int32_t)(((*s = *s * 1103515245u + 12345u) >> 8) % (unsigned)vocab);
}

/* FLOPs of the projections for one token, and of causal attention for `t` queries after `p` cached keys. */
static double proj_flops(const sr_qwen3_config *c) {
  double d = c->head_dim, qd = c->n_heads * d, kvd = c->n_kv_heads * d;
  return 2.0 * c->n_layers * ((qd + 2 * kvd) * c->dim + c->dim * qd + 3.0 * c->dim * c->ffn_dim);
}
static double attn_flops(const sr_qwen3_config *c, double p, double t) {
  return 4.0 * c->n_layers * c->n_heads * c->head_dim * (p * t + t * (t + 1) / 2);
}

static void bench_usage(FILE *f) {
  fprintf(f, "usage: skillrouter bench-model --config CONFIG.json [--tokens N] [--batch B] [--dtype f32|bf16|q8_0]\n"
             "       [--threads N] [--reps R] [--json] [--rerank-docs N [--doc-tokens N] [--prefix-tokens N]\n"
             "       [--suffix-tokens N]] [--embed-seqs N [--seq-tokens L]] [--attention]\n");
}

static int fail(const char *what, const sr_error *err) {
  fprintf(stderr, "skillrouter bench-model: %s: %s\n", what, err->msg);
  return 1;
}

/* Times N docs against one prefix without and with the K/V cache, alternating, `reps` times: the best
 * wall and the best CPU time of each side. */
static int bench_rerank(sr_qwen3 *m, long nd, long doc_t, long pre_t, long suf_t, long reps, double *t_plain,
                        double *t_cache, double *c_plain, double *c_cache, double *maxdiff) {
  sr_error err;
  unsigned s = 777;
  int32_t *pre = malloc(sizeof(int32_t) * (size_t)pre_t), *suf = malloc(sizeof(int32_t) * (size_t)(suf_t + 1));
  int32_t *docs = malloc(sizeof(int32_t) * (size_t)(nd * doc_t));
  const int32_t **dp = malloc(sizeof(int32_t *) * (size_t)nd);
  size_t *lens = malloc(sizeof(size_t) * (size_t)nd);
  float *a = malloc(sizeof(float) * (size_t)nd), *b = malloc(sizeof(float) * (size_t)nd);
  int rc = 0;
  if (!pre || !suf || !docs || !dp || !lens || !a || !b) { fprintf(stderr, "out of memory\n"); rc = 1; goto done; }
  random_ids(pre, (size_t)pre_t, m->cfg.vocab, &s);
  random_ids(suf, (size_t)suf_t, m->cfg.vocab, &s);
  random_ids(docs, (size_t)(nd * doc_t), m->cfg.vocab, &s);
  for (long i = 0; i < nd; i++) dp[i] = docs + i * doc_t, lens[i] = (size_t)doc_t;
  size_t mt = (size_t)(pre_t + doc_t + suf_t);
  *t_plain = *t_cache = *c_plain = *c_cache = 1e30, *maxdiff = 0;
  for (long r = 0; r < reps && !rc; r++) {
    double t0 = sr_clock_s(), c0 = cpu_now();
    for (long i = 0; i < nd && !rc; i++)
      if (sr_qwen3_rerank(m, pre, (size_t)pre_t, dp[i], lens[i], suf, (size_t)suf_t, mt, &a[i], NULL, &err))
        rc = fail("rerank", &err);
    double t1 = sr_clock_s(), c1 = cpu_now();
    if (!rc && sr_qwen3_rerank_batch(m, pre, (size_t)pre_t, dp, lens, (size_t)nd, suf, (size_t)suf_t, mt, b, &err))
      rc = fail("rerank batch", &err);
    double t2 = sr_clock_s(), c2 = cpu_now();
    *t_plain = fmin(*t_plain, t1 - t0), *t_cache = fmin(*t_cache, t2 - t1);
    *c_plain = fmin(*c_plain, c1 - c0), *c_cache = fmin(*c_cache, c2 - c1);
  }
  for (long i = 0; i < nd && !rc; i++) *maxdiff = fmax(*maxdiff, fabs(a[i] - b[i]) / fmax(1, fabs(a[i])));
done:
  free(pre), free(suf), free(docs), free(dp), free(lens), free(a), free(b);
  return rc;
}

/* Embeds n sequences (lengths uniform in [L/2, 3L/2], EOS appended) one at a time and with the packed
 * batched prefill (sr_qwen3_embed_batch), alternating, best of reps; wall and CPU seconds of both, and
 * the max abs difference. */
static int bench_embed(sr_qwen3 *m, long n, long len, long reps, double *t_one, double *t_batch, double *c_one,
                       double *c_batch, double *maxdiff, long *total) {
  sr_error err;
  unsigned s = 4242;
  const size_t D = (size_t)m->cfg.dim, mx = (size_t)(len + len / 2 + 1);
  int32_t *ids = malloc(sizeof(int32_t) * (size_t)n * mx);
  const int32_t **sp = malloc(sizeof(int32_t *) * (size_t)n);
  size_t *lens = malloc(sizeof(size_t) * (size_t)n);
  float *a = malloc(sizeof(float) * (size_t)n * D), *b = malloc(sizeof(float) * (size_t)n * D);
  int rc = 0;
  if (!ids || !sp || !lens || !a || !b) { fprintf(stderr, "out of memory\n"); rc = 1; goto done; }
  random_ids(ids, (size_t)n * mx, m->cfg.vocab, &s);
  *total = 0;
  for (long i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    lens[i] = (size_t)(len / 2) + (s >> 8) % (size_t)(len + 1);
    if (!lens[i]) lens[i] = 1;
    sp[i] = ids + (size_t)i * mx, *total += (long)lens[i] + 1;
  }
  *t_one = *t_batch = *c_one = *c_batch = 1e30, *maxdiff = 0;
  for (long r = 0; r < reps && !rc; r++) {
    double t0 = sr_clock_s(), c0 = cpu_now();
    for (long i = 0; i < n && !rc; i++)
      if (sr_qwen3_embed_text_ids(m, sp[i], lens[i], 0, 0, a + (size_t)i * D, &err)) rc = fail("embed", &err);
    double t1 = sr_clock_s(), c1 = cpu_now();
    if (!rc && sr_qwen3_embed_batch(m, sp, lens, (size_t)n, true, 0, 0, b, &err)) rc = fail("embed batch", &err);
    double t2 = sr_clock_s(), c2 = cpu_now();
    *t_one = fmin(*t_one, t1 - t0), *t_batch = fmin(*t_batch, t2 - t1);
    *c_one = fmin(*c_one, c1 - c0), *c_batch = fmin(*c_batch, c2 - c1);
  }
  for (size_t i = 0; i < (size_t)n * D && !rc; i++) *maxdiff = fmax(*maxdiff, fabs(a[i] - b[i]));
done:
  free(ids), free(sp), free(lens), free(a), free(b);
  return rc;
}

/* --attention: one layer's causal self-attention of `tokens` queries on the config's heads, each path the
 * CPU has (scalar = portable kernel, avx2-tiled), on a pool of `threads`; best of reps; GFLOPS counted
 * as 4 * Hq * d per (query, visible key) pair. */
static int bench_attention(const sr_qwen3_config *c, long tokens, long threads, long reps, bool json) {
  sr_error err;
  sr_threadpool *pool = NULL;
  if (sr_threadpool_create(&pool, (int)threads, &err)) return fail("pool", &err);
  const size_t T = (size_t)tokens, hq = (size_t)c->n_heads, hkv = (size_t)c->n_kv_heads, d = (size_t)c->head_dim;
  float *q = malloc(sizeof(float) * T * hq * d), *k = malloc(sizeof(float) * T * hkv * d),
        *v = malloc(sizeof(float) * T * hkv * d), *o = malloc(sizeof(float) * T * hq * d);
  int rc = 0;
  if (!q || !k || !v || !o) { fprintf(stderr, "out of memory\n"); rc = 1; }
  unsigned s = 99;
  for (size_t i = 0; !rc && i < T * hq * d; i++) q[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 8388608.0f - 1.0f;
  for (size_t i = 0; !rc && i < T * hkv * d; i++) {
    k[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 8388608.0f - 1.0f;
    v[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 8388608.0f - 1.0f;
  }
  sr_attn_shape sh = {T, T, hq, hkv, d, 1.0f / sqrtf((float)d)};
  double fl = 4.0 * (double)hq * (double)d * ((double)T * (double)(T + 1) / 2);
  sr_isa isas[2] = {SR_ISA_SCALAR, SR_ISA_AVX2};
  for (int p = 0; p < 2 && !rc; p++) {
    if (!sr_isa_supported(isas[p])) continue;
    double best = 1e30;
    for (long r = 0; r < reps && !rc; r++) {
      double t = sr_clock_s();
      if (sr_attention_isa(&sh, q, k, v, o, pool, isas[p], &err)) rc = fail("attention", &err);
      t = sr_clock_s() - t;
      if (t < best) best = t;
    }
    if (rc) break;
    if (json)
      printf("{\"attention\": \"%s\", \"tokens\": %ld, \"threads\": %d, \"heads\": \"%zu/%zu x %zu\", \"seconds\": %.5f, "
             "\"gflops\": %.2f}\n", sr_attention_path(isas[p]), tokens, sr_threadpool_size(pool), hq, hkv, d, best,
             fl / best * 1e-9);
    else
      printf("attention %-10s %ld tokens, heads %zu/%zu x %zu, %d threads: best of %ld %.4f s, %.1f GFLOPS\n",
             sr_attention_path(isas[p]), tokens, hq, hkv, d, sr_threadpool_size(pool), reps, best, fl / best * 1e-9);
  }
  free(q), free(k), free(v), free(o);
  sr_threadpool_free(pool);
  return rc;
}

int cmd_bench_model(int argc, char **argv) {
  const char *config = NULL;
  long tokens = 512, batch = 1, threads = 0, reps = 3, nd = 0, doc_t = 600, pre_t = 100, suf_t = 5, ne = 0, seq_t = 64;
  bool json = false, attn_only = false;
  sr_qwen3_opts opts = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { bench_usage(stdout); return 0; }
    if (!strcmp(a, "--json")) json = true;
    else if (!strcmp(a, "--attention")) attn_only = true;
    else if (i + 1 < argc && !strcmp(a, "--config")) config = argv[++i];
    else if (i + 1 < argc && !strcmp(a, "--tokens")) tokens = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--batch")) batch = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--threads")) threads = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--reps")) reps = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--rerank-docs")) nd = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--doc-tokens")) doc_t = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--prefix-tokens")) pre_t = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--suffix-tokens")) suf_t = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--embed-seqs")) ne = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--seq-tokens")) seq_t = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--dtype")) {
      if (!sr_qwen3_compute_parse(argv[++i], &opts.compute)) {
        fprintf(stderr, "skillrouter bench-model: --dtype must be f32, bf16 or q8_0\n");
        return 2;
      }
    } else { fprintf(stderr, "skillrouter bench-model: unknown option %s\n", a); bench_usage(stderr); return 2; }
  }
  if (!config || tokens < 1 || batch < 1 || reps < 1 || nd < 0 || doc_t < 1 || pre_t < 1 || suf_t < 0 || ne < 0 ||
      seq_t < 1) {
    bench_usage(stderr);
    return 2;
  }
  opts.n_threads = (int)threads;
  sr_error err;
  sr_qwen3_config cfg;
  sr_qwen3 *m = NULL;
  if (sr_qwen3_read_config(config, &cfg, &err)) return fail("config", &err);
  if (attn_only) return bench_attention(&cfg, tokens, threads, reps, json);
  double tl = sr_clock_s();
  if (sr_qwen3_random(&cfg, 1234, &opts, &m, &err)) return fail("random model", &err);
  tl = sr_clock_s() - tl;
  const char *path = sr_qwen3_gemm_path(m), *dash = strchr(path, '-');
  char isa[16];
  snprintf(isa, sizeof isa, "%.*s", dash ? (int)(dash - path) : (int)strlen(path), path);
  const size_t T = (size_t)tokens, D = (size_t)cfg.dim;
  int32_t *ids = malloc(sizeof(int32_t) * T);
  float *h = malloc(sizeof(float) * T * D);
  if (!ids || !h) { free(ids), free(h), sr_qwen3_free(m); fprintf(stderr, "out of memory\n"); return 1; }
  unsigned s = 42;
  random_ids(ids, T, cfg.vocab, &s);
  int rc = 0;
  double best = 1e30, best_cpu = 0;
  for (long r = 0; r < reps && !rc; r++) {
    double t = sr_clock_s(), c = cpu_now();
    for (long b = 0; b < batch && !rc; b++)
      if (sr_qwen3_forward(m, ids, T, false, h, &err)) rc = fail("forward", &err);
    t = sr_clock_s() - t, c = cpu_now() - c;
    if (t < best) best = t, best_cpu = c;
  }
  /* share of the wall time the threads were on a CPU: < 1 means other processes took cores */
  double util = best_cpu / (best * m->n_threads);
  const char *peak_what = "";
  double peak = rc ? 0 : measure_peak(m, path, &peak_what) * 1e-3;
  double flops = (double)batch * (proj_flops(&cfg) * (double)T + attn_flops(&cfg, 0, (double)T));
  double tps = (double)(batch * tokens) / best, tflops = flops / best * 1e-12, ratio = peak > 0 ? tflops / peak : 0;
  double tp = 0, tc = 0, cp = 0, cc = 0, md = 0;
  if (!rc && nd > 0) rc = bench_rerank(m, nd, doc_t, pre_t, suf_t, reps, &tp, &tc, &cp, &cc, &md);
  double eo = 0, eb = 0, ceo = 0, ceb = 0, emd = 0;
  long etot = 0;
  if (!rc && ne > 0) rc = bench_embed(m, ne, seq_t, reps, &eo, &eb, &ceo, &ceb, &emd, &etot);
  /* what the cache saves in FLOPs: the prefix's projections and its causal attention, once per document */
  double ns_t = (double)(doc_t + suf_t), full_t = (double)pre_t + ns_t;
  double fl_plain = (double)nd * (proj_flops(&cfg) * full_t + attn_flops(&cfg, 0, full_t));
  double fl_cache = proj_flops(&cfg) * (double)pre_t + attn_flops(&cfg, 0, (double)pre_t) +
                    (double)nd * (proj_flops(&cfg) * ns_t + attn_flops(&cfg, (double)pre_t, ns_t));
  if (!rc && json) {
    printf("{\"tokens_per_s\": %.3f, \"tflops\": %.5f, \"peak_tflops\": %.5f, \"peak_ratio\": %.4f, \"isa\": \"%s\", "
           "\"path\": \"%s\", \"attention\": \"%s\", \"dtype\": \"%s\", \"threads\": %d, \"tokens\": %ld, \"batch\": %ld, \"seconds\": %.4f, "
           "\"cpu_util\": %.3f",
           tps, tflops, peak, ratio, isa, path, sr_attention_path(SR_ISA_AUTO), sr_qwen3_compute_name(m->compute), m->n_threads, tokens, batch, best, util);
    if (nd > 0)
      printf(", \"rerank_docs\": %ld, \"doc_tokens\": %ld, \"prefix_tokens\": %ld, \"suffix_tokens\": %ld, "
             "\"rerank_s_no_cache\": %.4f, \"rerank_s_cache\": %.4f, \"rerank_speedup\": %.4f, \"rerank_cpu_s_no_cache\": %.4f, "
             "\"rerank_cpu_s_cache\": %.4f, \"rerank_cpu_speedup\": %.4f, \"rerank_flop_ratio\": %.4f, \"rerank_max_rel_diff\": %.3g",
             nd, doc_t, pre_t, suf_t, tp, tc, tp / tc, cp, cc, cp / cc, fl_plain / fl_cache, md);
    if (ne > 0)
      printf(", \"embed_seqs\": %ld, \"embed_tokens\": %ld, \"embed_s_one_by_one\": %.4f, \"embed_s_packed\": %.4f, "
             "\"embed_speedup\": %.4f, \"embed_cpu_speedup\": %.4f, \"embed_max_abs_diff\": %.3g",
             ne, etot, eo, eb, eo / eb, ceo / ceb, emd);
    printf("}\n");
  } else if (!rc) {
    printf("model: %s (random weights, built in %.2f s): %d layers, hidden %d, ffn %d, heads %d/%d x %d\n", config, tl,
           cfg.n_layers, cfg.dim, cfg.ffn_dim, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim);
    printf("compute %s, kernel path %s, attention %s, %d threads\n", sr_qwen3_compute_name(m->compute), path,
           sr_attention_path(SR_ISA_AUTO), m->n_threads);
    printf("prefill %ld x %ld tokens: best of %ld %.3f s, %.1f tokens/s, %.4f TFLOPS (threads on CPU %.0f%% of the time)\n",
           batch, tokens, reps, best, tps, tflops, 100 * util);
    printf("peak (%s, same run, %d threads): %.4f TFLOPS; ratio %.1f%%\n", peak_what, m->n_threads, peak, 100 * ratio);
    if (nd > 0)
      printf("rerank %ld docs x %ld tokens, prefix %ld, suffix %ld: each alone %.2f s (CPU %.2f s), prefix K/V cache "
             "%.2f s (CPU %.2f s), speedup %.2fx wall, %.2fx CPU; FLOP ratio %.2fx (max rel score diff %.2g)\n",
             nd, doc_t, pre_t, suf_t, tp, cp, tc, cc, tp / tc, cp / cc, fl_plain / fl_cache, md);
    if (ne > 0)
      printf("embed %ld sequences (%ld tokens with EOS, lengths %ld..%ld): one at a time %.2f s (CPU %.2f s), packed "
             "batches %.2f s (CPU %.2f s), speedup %.2fx wall, %.2fx CPU (max abs diff %.2g)\n", ne, etot, seq_t / 2,
             seq_t / 2 + seq_t, eo, ceo, eb, ceb, eo / eb, ceo / ceb, emd);
  }
  free(ids), free(h);
  sr_qwen3_free(m);
  return rc;
}
