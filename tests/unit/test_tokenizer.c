/* test_tokenizer.c — Qwen2/Qwen3 BPE tokenizer: the 46 llama.cpp ggml-vocab-qwen2 vectors, the Qwen3
 * usage vectors (reranker template, yes/no, embedding examples), round trips, added tokens, errors,
 * tokenizer.json loading, threads. Needs $SR_SHARED/models/qwen3 (prints SKIP without it). */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <utf8proc.h>

#include "model/tokenizer.h"
#include "test.h"
#include "util/buf.h"
#include "util/fileio.h"

static char g_qwen[1024];   /* $SR_SHARED/models/qwen3 */
static char g_tokdir[1100];
static sr_tokenizer *g_tok;

static int ids_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
  return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static void print_ids(const char *label, const int32_t *v, size_t n) {
  fprintf(stderr, "    %s:", label);
  for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", v[i]);
  fputc('\n', stderr);
}

/* Encodes s with tok and compares with want; prints both lists on a mismatch. */
static int check_encode(const sr_tokenizer *tok, const char *name, const char *s, size_t len,
                        const int32_t *want, size_t nwant) {
  int32_t *ids;
  size_t n;
  sr_error err;
  if (sr_tokenizer_encode(tok, s, len, &ids, &n, &err)) {
    TEST_FAIL_("%s: encode failed: %s", name, err.msg);
    return 0;
  }
  int ok = ids_equal(ids, n, want, nwant);
  if (!ok) {
    TEST_FAIL_("%s: ids differ for \"%.*s\"", name, (int)(len > 200 ? 200 : len), s);
    print_ids("want", want, nwant);
    print_ids("got ", ids, n);
  }
  free(ids);
  return ok;
}

static size_t json_ids(const cJSON *arr, int32_t *out, size_t cap) {
  size_t n = 0;
  for (const cJSON *e = arr ? arr->child : NULL; e && n < cap; e = e->next) out[n++] = (int32_t)e->valuedouble;
  return n;
}

/* All vectors of one .inp/.out pair with tok; returns the number reproduced. */
static int run_ggml_vectors(const sr_tokenizer *tok, int *total) {
  char p1[1200], p2[1200];
  snprintf(p1, sizeof p1, "%s/test_vectors/ggml-vocab-qwen2.gguf.inp", g_qwen);
  snprintf(p2, sizeof p2, "%s/test_vectors/ggml-vocab-qwen2.gguf.out", g_qwen);
  char *inp, *outp;
  size_t ilen, olen;
  sr_error err;
  if (sr_read_file(p1, 1 << 20, &inp, &ilen, &err) || sr_read_file(p2, 1 << 20, &outp, &olen, &err)) {
    TEST_FAIL_("%s", err.msg);
    return 0;
  }
  static const char SEP[] = "\n__ggml_vocab_test__\n";
  int ok = 0, k = 0;
  char *s = inp, *line = outp;
  for (char *e; (e = strstr(s, SEP)); s = e + strlen(SEP), k++) {
    char *nl = strchr(line, '\n');
    if (!nl) { TEST_FAIL_("vector %d: .out file too short", k); break; }
    *nl = 0;
    int32_t want[512];
    size_t nw = 0;
    for (char *q = line, *end; nw < 512; q = end) {
      long v = strtol(q, &end, 10);
      if (end == q) break;
      want[nw++] = (int32_t)v;
    }
    char name[32];
    snprintf(name, sizeof name, "ggml vector %d", k);
    ok += check_encode(tok, name, s, (size_t)(e - s), want, nw);
    line = nl + 1;
  }
  *total = k;
  free(inp);
  free(outp);
  return ok;
}

static void test_ggml_vectors(void) {
  int total = 0, ok = run_ggml_vectors(g_tok, &total);
  printf("ggml-vocab-qwen2: %d/%d vectors reproduced\n", ok, total);
  CHECK_INT(total, 46);
  CHECK_INT(ok, 46);
}

static void test_usage_vectors(void) {
  char path[1200];
  snprintf(path, sizeof path, "%s/test_vectors/qwen3_usage_vectors_derived.json", g_qwen);
  char *text;
  size_t len;
  sr_error err;
  CHECK_OK(sr_read_file(path, 1 << 20, &text, &len, &err), &err);
  cJSON *j = cJSON_Parse(text);
  free(text);
  CHECK(j != NULL);
  if (!j) return;
  int32_t want[1024], want2[1024];
  for (const cJSON *e = cJSON_GetObjectItem(j, "special_ids")->child; e; e = e->next) {
    CHECK_INT(sr_tokenizer_token_id(g_tok, e->string), (int)e->valuedouble);
    want[0] = (int32_t)e->valuedouble;
    check_encode(g_tok, e->string, e->string, strlen(e->string), want, 1);
  }
  for (const cJSON *e = cJSON_GetObjectItem(j, "reranker_yes_no")->child; e; e = e->next) {
    size_t n = json_ids(e, want, 1024);
    check_encode(g_tok, "yes/no", e->string, strlen(e->string), want, n);
  }
  CHECK_INT(sr_tokenizer_token_id(g_tok, "yes"), 9693);
  CHECK_INT(sr_tokenizer_token_id(g_tok, "no"), 2152);
  const cJSON *iss = cJSON_GetObjectItem(j, "official_hf_vector_issue_122");
  const cJSON *texts = cJSON_GetObjectItem(iss, "texts"), *rep = cJSON_GetObjectItem(iss, "reproduced_here");
  for (int i = 0; i < cJSON_GetArraySize(texts); i++) {
    size_t n = json_ids(cJSON_GetArrayItem(rep, i), want, 1024);
    const char *s = cJSON_GetArrayItem(texts, i)->valuestring;
    CHECK_INT(want[n - 1], 151643);   /* Qwen3-Embedding appends <|endoftext|>; we add no EOS */
    check_encode(g_tok, "issue 122", s, strlen(s), want, n - 1);
  }
  const cJSON *emb = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "embedding_readme_example"), "items");
  for (const cJSON *it = emb->child; it; it = it->next) {
    const char *s = cJSON_GetObjectItem(it, "text")->valuestring;
    size_t n = json_ids(cJSON_GetObjectItem(it, "ids_without_eos"), want, 1024);
    check_encode(g_tok, "embedding example", s, strlen(s), want, n);
  }
  const cJSON *rr = cJSON_GetObjectItem(j, "reranker_readme_example");
  const char *prefix = cJSON_GetObjectItem(rr, "prefix")->valuestring;
  const char *suffix = cJSON_GetObjectItem(rr, "suffix")->valuestring;
  size_t n = json_ids(cJSON_GetObjectItem(rr, "prefix_ids"), want, 1024);
  check_encode(g_tok, "reranker prefix", prefix, strlen(prefix), want, n);
  n = json_ids(cJSON_GetObjectItem(rr, "suffix_ids"), want, 1024);
  check_encode(g_tok, "reranker suffix", suffix, strlen(suffix), want, n);
  for (const cJSON *it = cJSON_GetObjectItem(rr, "items")->child; it; it = it->next) {
    const char *body = cJSON_GetObjectItem(it, "formatted")->valuestring;
    n = json_ids(cJSON_GetObjectItem(it, "body_ids"), want, 1024);
    check_encode(g_tok, "reranker body", body, strlen(body), want, n);
    sr_buf all = SR_BUF_INIT;
    sr_buf_puts(&all, prefix), sr_buf_puts(&all, body), sr_buf_puts(&all, suffix);
    size_t n2 = json_ids(cJSON_GetObjectItem(it, "full_ids"), want2, 1024);
    check_encode(g_tok, "reranker full", all.data, all.len, want2, n2);
    sr_buf_free(&all);
  }
  cJSON_Delete(j);
}

static void check_roundtrip(const char *s) {
  int32_t *ids;
  size_t n, dl;
  char *dec;
  sr_error err;
  CHECK_OK(sr_tokenizer_encode(g_tok, s, strlen(s), &ids, &n, &err), &err);
  CHECK_OK(sr_tokenizer_decode(g_tok, ids, n, false, &dec, &dl, &err), &err);
  char *nfc = (char *)utf8proc_NFC((const utf8proc_uint8_t *)s);
  CHECK_STR(dec, nfc);
  CHECK_INT(dl, strlen(nfc));
  free(nfc);
  free(dec);
  free(ids);
}

static void test_roundtrip(void) {
  check_roundtrip("Hello, world! This is a SKILL.md body.\n\n## Usage\n\n```bash\nls -la  # list\n```\n");
  check_roundtrip("cafe\xcc\x81 na\xc3\xafve \xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80\t\r\n  x");
  check_roundtrip("e\xcc\x81\xcc\x81 A\xcc\x8a \xe1\x84\x80\xe1\x85\xa1 <|im_start|>user\n<think>\n\n</think>\n\n");
  check_roundtrip("   leading and trailing   \n\n\n");
  check_roundtrip("\x01\x02\x7f tabs\t\tand\xc2\xa0nbsp \xe2\x80\x83 em space 123456 3.14");
  check_roundtrip("");
  check_roundtrip("\xcc\x81 starts with a mark; e\xcc\x81" "e\xcc\x81 x\xe2\x80\x94y \xe2\x84\xab \xc3\xa9\xcc\xa3z");
  check_roundtrip("\xea\xb0\x80\xe1\x86\xa8 \xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8 a\xcc\xa3\xcc\x87 \xe3\x81\x8b\xe3\x82\x99");
}

static void test_added_in_middle(void) {
  int32_t want_a[64], want_b[64];
  int32_t *ids;
  size_t n;
  sr_error err;
  /* "x<|im_start|>y<think>z</think>" = encode(x) im_start encode(y) think encode(z) /think */
  const char *s = "hello<|im_start|>world<think>deep</think><|endoftext|";
  CHECK_OK(sr_tokenizer_encode(g_tok, "hello", 5, &ids, &n, &err), &err);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) want_a[k++] = ids[i];
  free(ids);
  want_a[k++] = 151644;
  CHECK_OK(sr_tokenizer_encode(g_tok, "world", 5, &ids, &n, &err), &err);
  for (size_t i = 0; i < n; i++) want_a[k++] = ids[i];
  free(ids);
  want_a[k++] = 151667;
  CHECK_OK(sr_tokenizer_encode(g_tok, "deep", 4, &ids, &n, &err), &err);
  for (size_t i = 0; i < n; i++) want_a[k++] = ids[i];
  free(ids);
  want_a[k++] = 151668;
  CHECK_OK(sr_tokenizer_encode(g_tok, "<|endoftext|", 12, &ids, &n, &err), &err);   /* not an added token */
  CHECK(n > 1);
  for (size_t i = 0; i < n; i++) want_a[k++] = ids[i];
  free(ids);
  check_encode(g_tok, "added in middle", s, strlen(s), want_a, k);
  /* adjacent added tokens, and one at the very end */
  const char *t2 = "<|im_end|><|im_start|><|endoftext|>";
  want_b[0] = 151645, want_b[1] = 151644, want_b[2] = 151643;
  check_encode(g_tok, "adjacent added", t2, strlen(t2), want_b, 3);
  CHECK(sr_tokenizer_is_special(g_tok, 151643));
  CHECK(!sr_tokenizer_is_special(g_tok, 151667));
  CHECK(!sr_tokenizer_is_special(g_tok, 9693));
  CHECK_INT(sr_tokenizer_vocab_size(g_tok), 151669);
  /* decode renders added tokens; skip_special drops only the special ones */
  int32_t d[] = {151644, 9707, 151667, 151643};
  char *txt;
  CHECK_OK(sr_tokenizer_decode(g_tok, d, 4, false, &txt, NULL, &err), &err);
  CHECK_STR(txt, "<|im_start|>Hello<think><|endoftext|>");
  free(txt);
  CHECK_OK(sr_tokenizer_decode(g_tok, d, 4, true, &txt, NULL, &err), &err);
  CHECK_STR(txt, "Hello<think>");
  free(txt);
}

/* U+0085 (NEL) is whitespace for Oniguruma (Hugging Face), so "a<NEL>b" is three pieces. */
static void test_nel_is_space(void) {
  int32_t want[16];
  size_t k = 0;
  const char *parts[] = {"a", "\xc2\x85", "b"};
  for (int i = 0; i < 3; i++) {
    int32_t *ids;
    size_t n;
    sr_error err;
    CHECK_OK(sr_tokenizer_encode(g_tok, parts[i], strlen(parts[i]), &ids, &n, &err), &err);
    for (size_t j = 0; j < n && k < 16; j++) want[k++] = ids[j];
    free(ids);
  }
  check_encode(g_tok, "NEL", "a\xc2\x85" "b", 4, want, k);
}

static void test_errors(void) {
  int32_t *ids = (int32_t *)1;
  size_t n = 7;
  sr_error err;
  const char bad[] = "abc\xe2\x82 def";
  CHECK_INT(sr_tokenizer_encode(g_tok, bad, sizeof bad - 1, &ids, &n, &err), SR_ERR_FORMAT);
  CHECK(ids == NULL && n == 0);
  CHECK_MSG(strstr(err.msg, "offset 3") != NULL, "message: %s", err.msg);
  const char sur[] = "\xed\xa0\x80";   /* a surrogate */
  CHECK_INT(sr_tokenizer_encode(g_tok, sur, 3, &ids, &n, &err), SR_ERR_FORMAT);
  CHECK_OK(sr_tokenizer_encode(g_tok, "", 0, &ids, &n, &err), &err);
  CHECK(ids != NULL);
  CHECK_INT(n, 0);
  free(ids);
  int32_t badid[] = {9707, 151669};
  char *txt;
  CHECK_INT(sr_tokenizer_decode(g_tok, badid, 2, false, &txt, NULL, &err), SR_ERR_ARG);
  CHECK(strstr(err.msg, "ids[1]") != NULL);
  int32_t cut[] = {145836};   /* a 4-byte emoji token; split it by hand: bytes 0xF0 0x9F as ids */
  size_t bl;
  const char *b = sr_tokenizer_token_bytes(g_tok, cut[0], &bl);
  CHECK(b != NULL && bl == 4);
  int32_t part[] = {sr_tokenizer_token_id(g_tok, "A"), -1};
  char one[2] = {b ? b[0] : 0, 0};
  part[1] = sr_tokenizer_token_id(g_tok, one);
  CHECK(part[1] >= 0);
  CHECK_OK(sr_tokenizer_decode(g_tok, part, 2, false, &txt, NULL, &err), &err);
  CHECK_STR(txt, "A\xef\xbf\xbd");
  free(txt);
  CHECK_OK(sr_tokenizer_decode(g_tok, NULL, 0, false, &txt, NULL, &err), &err);
  CHECK_STR(txt, "");
  free(txt);
  CHECK_INT(sr_tokenizer_token_id(g_tok, "no such token, surely"), -1);
}

static void test_long_inputs(void) {
  size_t n = 100000;
  char *s = malloc(n + 1);
  int32_t *ids;
  size_t k;
  char *dec;
  sr_error err;
  const char *fills[] = {"a", " ", "\n", "!", "7", "\xc3\xa9"};
  for (size_t f = 0; f < sizeof fills / sizeof *fills; f++) {
    size_t fl = strlen(fills[f]);
    for (size_t i = 0; i + fl <= n; i += fl) memcpy(s + i, fills[f], fl);
    size_t len = n - n % fl;
    s[len] = 0;
    CHECK_OK(sr_tokenizer_encode(g_tok, s, len, &ids, &k, &err), &err);
    CHECK_OK(sr_tokenizer_decode(g_tok, ids, k, false, &dec, NULL, &err), &err);
    CHECK_MSG(dec && strcmp(dec, s) == 0, "long run of \"%s\" does not round-trip", fills[f]);
    free(ids);
    free(dec);
  }
  free(s);
}

typedef struct thr_arg {
  const char *text;
  const int32_t *want;
  size_t nwant;
  int ok;
} thr_arg;

static void *thr_main(void *p) {
  thr_arg *a = p;
  sr_tok_scratch *s;
  sr_error err;
  a->ok = 0;
  if (sr_tok_scratch_new(g_tok, &s, &err)) return NULL;
  int good = 1;
  for (int r = 0; r < 20; r++) {
    int32_t *ids;
    size_t n;
    if (sr_tokenizer_encode_scratch(g_tok, s, a->text, strlen(a->text), &ids, &n, &err)) { good = 0; break; }
    good &= ids_equal(ids, n, a->want, a->nwant);
    free(ids);
  }
  sr_tok_scratch_free(s);
  a->ok = good;
  return NULL;
}

static void test_threads_and_scratch(void) {
  sr_buf b = SR_BUF_INIT;
  for (int i = 0; i < 300; i++)
    sr_buf_printf(&b, "Line %d: the quick brown fox jumps over the lazy dog; caf\xc3\xa9 #%x <think>\n", i, i * 7919);
  int32_t *want;
  size_t nwant;
  sr_error err;
  CHECK_OK(sr_tokenizer_encode(g_tok, b.data, b.len, &want, &nwant, &err), &err);
  pthread_t th[4];
  thr_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (thr_arg){b.data, want, nwant, 0};
    pthread_create(&th[i], NULL, thr_main, &args[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CHECK_MSG(args[i].ok, "thread %d got different ids", i);
  }
  free(want);
  sr_buf_free(&b);
}

/* Writes dir/tokenizer.json from the shared vocab.json + merges.txt + added_tokens.json; the first half
 * of the merges as "a b" strings, the rest as [a, b] pairs. */
static void write_tokenizer_json(const char *dir) {
  char path[1300], *vocab, *merges;
  size_t vl, ml;
  sr_error err;
  snprintf(path, sizeof path, "%s/vocab.json", g_tokdir);
  if (sr_read_file(path, 64 << 20, &vocab, &vl, &err)) { TEST_FAIL_("%s", err.msg); return; }
  snprintf(path, sizeof path, "%s/merges.txt", g_tokdir);
  if (sr_read_file(path, 64 << 20, &merges, &ml, &err)) { TEST_FAIL_("%s", err.msg); free(vocab); return; }
  sr_buf o = SR_BUF_INIT;
  sr_buf_puts(&o, "{\"version\":\"1.0\",\"added_tokens\":[");
  for (int id = 151643; id <= 151668; id++) {
    size_t l;
    const char *t = sr_tokenizer_token_bytes(g_tok, id, &l);
    sr_buf_printf(&o, "%s{\"id\":%d,\"content\":", id > 151643 ? "," : "", id);
    sr_buf_json_string(&o, t, l);
    sr_buf_printf(&o, ",\"special\":%s}", sr_tokenizer_is_special(g_tok, id) ? "true" : "false");
  }
  sr_buf_puts(&o, "],\"normalizer\":{\"type\":\"NFC\"},\"model\":{\"type\":\"BPE\",\"vocab\":");
  sr_buf_append(&o, vocab, vl);
  sr_buf_puts(&o, ",\"merges\":[");
  size_t count = 0, total = 0;
  for (size_t i = 0; i < ml; i++) total += merges[i] == '\n';
  char *line = merges;
  for (char *nl; (nl = strchr(line, '\n')); line = nl + 1) {
    *nl = 0;
    if (line[0] == '#' || !line[0]) continue;
    char *sp = strchr(line, ' ');
    if (count++) sr_buf_putc(&o, ',');
    if (count < total / 2) {
      sr_buf_json_string(&o, line, strlen(line));
    } else {
      sr_buf_putc(&o, '[');
      sr_buf_json_string(&o, line, (size_t)(sp - line));
      sr_buf_putc(&o, ',');
      sr_buf_json_string(&o, sp + 1, strlen(sp + 1));
      sr_buf_putc(&o, ']');
    }
  }
  sr_buf_puts(&o, "]}}");
  snprintf(path, sizeof path, "%s/tokenizer.json", dir);
  FILE *f = fopen(path, "wb");
  fwrite(o.data, 1, o.len, f);
  fclose(f);
  sr_buf_free(&o);
  free(vocab);
  free(merges);
}

static void test_tokenizer_json(void) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/fast", test_tmpdir());
  mkdir(dir, 0755);
  write_tokenizer_json(dir);
  sr_tokenizer *t2;
  sr_error err;
  CHECK_OK(sr_tokenizer_load(dir, &t2, &err), &err);
  if (!t2) return;
  CHECK_INT(sr_tokenizer_vocab_size(t2), 151669);
  int total = 0, ok = run_ggml_vectors(t2, &total);
  CHECK_INT(ok, 46);
  const char *s = "<|im_start|>user\nJudge whether <think>caf\xc3\xa9</think> 12345 \xf0\x9f\x98\x80";
  int32_t *a, *b;
  size_t na, nb;
  CHECK_OK(sr_tokenizer_encode(g_tok, s, strlen(s), &a, &na, &err), &err);
  CHECK_OK(sr_tokenizer_encode(t2, s, strlen(s), &b, &nb, &err), &err);
  CHECK(ids_equal(a, na, b, nb));
  CHECK(sr_tokenizer_is_special(t2, 151644) && !sr_tokenizer_is_special(t2, 151667));
  free(a);
  free(b);
  sr_tokenizer_free(t2);
}

static void test_bad_dirs(void) {
  char dir[512], path[700];
  sr_tokenizer *t = (sr_tokenizer *)1;
  sr_error err;
  snprintf(dir, sizeof dir, "%s/bad", test_tmpdir());
  mkdir(dir, 0755);
  snprintf(path, sizeof path, "%s/vocab.json", dir);
  test_write_file(path, "{\"a\": 0, \"b\": 1,, }");
  snprintf(path, sizeof path, "%s/merges.txt", dir);
  test_write_file(path, "#version: 0.2\na b\n");
  CHECK_INT(sr_tokenizer_load(dir, &t, &err), SR_ERR_FORMAT);
  CHECK(t == NULL);
  CHECK_MSG(strstr(err.msg, "vocab.json:1:") != NULL, "message: %s", err.msg);
  remove(path);
  snprintf(path, sizeof path, "%s/vocab.json", dir);
  test_write_file(path, "{\"a\": 0}");
  CHECK_INT(sr_tokenizer_load(dir, &t, &err), SR_ERR_NOT_FOUND);
  CHECK_MSG(strstr(err.msg, "merges.txt") != NULL, "message: %s", err.msg);
  /* a vocabulary without every byte, and a merge naming an unknown token */
  snprintf(path, sizeof path, "%s/merges.txt", dir);
  test_write_file(path, "#version: 0.2\na b\n");
  CHECK_INT(sr_tokenizer_load(dir, &t, &err), SR_ERR_FORMAT);
  CHECK_MSG(strstr(err.msg, "merges.txt:2") != NULL, "message: %s", err.msg);
  test_write_file(path, "#version: 0.2\n");
  CHECK_INT(sr_tokenizer_load(dir, &t, &err), SR_ERR_FORMAT);
  CHECK_MSG(strstr(err.msg, "byte 0x00") != NULL, "message: %s", err.msg);
  snprintf(path, sizeof path, "%s/tokenizer.json", dir);
  test_write_file(path, "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
  CHECK_INT(sr_tokenizer_load(dir, &t, &err), SR_ERR_UNSUPPORTED);
  CHECK_MSG(strstr(err.msg, "tokenizer.json") != NULL, "message: %s", err.msg);
  snprintf(path, sizeof path, "%s/nonexistent", dir);
  CHECK_INT(sr_tokenizer_load(path, &t, &err), SR_ERR_NOT_FOUND);
}

int main(void) {
  const char *shared = getenv("SR_SHARED");
  snprintf(g_qwen, sizeof g_qwen, "%s/models/qwen3", shared && *shared ? shared : "../shared");
  snprintf(g_tokdir, sizeof g_tokdir, "%s/tokenizer", g_qwen);
  RUN(test_bad_dirs);
  if (!sr_path_is_dir(g_tokdir)) {
    printf("SKIP tokenizer tests: %s not found (set SR_SHARED)\n", g_tokdir);
    return test_summary();
  }
  sr_error err;
  if (sr_tokenizer_load(g_tokdir, &g_tok, &err)) {
    fprintf(stderr, "FAIL loading %s: %s\n", g_tokdir, err.msg);
    test_failed_++;
    return test_summary();
  }
  RUN(test_ggml_vectors);
  RUN(test_usage_vectors);
  RUN(test_roundtrip);
  RUN(test_added_in_middle);
  RUN(test_errors);
  RUN(test_nel_is_space);
  RUN(test_long_inputs);
  RUN(test_threads_and_scratch);
  RUN(test_tokenizer_json);
  sr_tokenizer_free(g_tok);
  return test_summary();
}
