/* test_query_writer.c — the LLM query writer's parts without a server: the request body, reading chat
 * responses, cleaning and validating answers, the deterministic sample, resuming from earlier output
 * (a finished run makes no request), and labelled "source": "llm" lines becoming LLM pairs. The HTTP
 * side is tested end to end against tests/tools/mock_chat.c in tests/e2e/write_queries.sh. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "index/index.h"
#include "test.h"
#include "train/pairs.h"
#include "train/query_writer.h"
#include "util/buf.h"
#include "util/fileio.h"

#define N_ENTRIES 30
static char g_id[N_ENTRIES][32], g_name[N_ENTRIES][32], g_desc[N_ENTRIES][96], g_body[N_ENTRIES][256];


/* 30 entries "s/0".."s/29" named "tool-N-kit", each with its own words. */
static sr_index *small_index(void) {
  static sr_index *ix;
  if (ix) return ix;
  sr_entry e[N_ENTRIES];
  for (int i = 0; i < N_ENTRIES; i++) {
    snprintf(g_id[i], sizeof g_id[i], "s/%d", i);
    snprintf(g_name[i], sizeof g_name[i], "tool-%d-kit", i);
    snprintf(g_desc[i], sizeof g_desc[i], "Convert w%da files into w%db tables for reports", i, i);
    snprintf(g_body[i], sizeof g_body[i], "# Tool %d\n\nRead the w%da input, check w%dc columns, write w%db output.\n",
             i, i, i, i);
    e[i] = (sr_entry){g_id[i], g_name[i], g_desc[i], g_body[i], NULL, NULL, (char *)"test", NULL, SR_KIND_SKILL,
                      (uint64_t)i * 7919 + 1};
  }
  sr_catalog c;
  memset(&c, 0, sizeof c);
  c.entries = e;
  c.n_entries = c.cap_entries = N_ENTRIES;
  sr_build_opts o = {.analyzer = sr_analyzer_defaults(), .threads = 1};
  sr_error err = {0};
  const char *path = test_tmp_path("qw.idx");
  CHECK_OK(sr_index_build(&c, NULL, &o, path, NULL, &err), &err);
  CHECK_OK(sr_index_open(path, &ix, &err), &err);
  return ix;
}

static void test_request_json(void) {
  sr_qw_opts o = sr_qw_defaults();
  o.model = "qwen-test";
  o.max_body_chars = 7;
  /* "abcdé…": é is 2 bytes at offsets 4..5, the cut at 7 falls after it; at 5 it must back off to 4 */
  sr_entry_view e = {.id = "x/1", .name = "pdf-extract", .description = "Pull text\nfrom PDFs", .body = "abcd\xc3\xa9xyz"};
  char *js = sr_qw_request_json(&e, &o);
  cJSON *j = cJSON_Parse(js);
  CHECK(j != NULL);
  CHECK_STR(cJSON_GetObjectItem(j, "model")->valuestring, "qwen-test");
  CHECK_NEAR(cJSON_GetObjectItem(j, "temperature")->valuedouble, 0, 0);
  CHECK_NEAR(cJSON_GetObjectItem(j, "seed")->valuedouble, 20261121, 0);
  const cJSON *msgs = cJSON_GetObjectItem(j, "messages");
  CHECK_INT(cJSON_GetArraySize(msgs), 2);
  CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 0), "role")->valuestring, "system");
  const char *user = cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "content")->valuestring;
  CHECK(strstr(user, "Skill name: pdf-extract\nDescription: Pull text from PDFs\n") != NULL);
  CHECK(strstr(user, "abcd\xc3\xa9x\n") != NULL);  /* 7 bytes */
  CHECK(strstr(user, "(cut short)") != NULL);
  cJSON_Delete(j);
  free(js);
  o.max_body_chars = 5;
  js = sr_qw_request_json(&e, &o);
  CHECK(strstr(js, "abcd\\n") != NULL);  /* never half a UTF-8 sequence */
  free(js);
}

static void test_parse_response(void) {
  sr_error err = {0};
  char *c = NULL;
  const char *good = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi \\u00e9\"}}]}";
  CHECK_OK(sr_qw_parse_response(good, strlen(good), &c, &err), &err);
  CHECK_STR(c, "Hi \xc3\xa9");
  free(c);
  struct { const char *body, *msg; } bad[] = {
      {"<html>oops", "not JSON"},
      {"", "not JSON"},
      {"[1,2]", "not an object"},
      {"{\"error\":{\"message\":\"model not found\"}}", "no choices[0]"},
      {"{\"choices\":[]}", "no choices[0]"},
      {"{\"choices\":[{\"text\":\"legacy\"}]}", "no choices[0].message"},
      {"{\"choices\":[{\"message\":{\"content\":null}}]}", "not a string"},
      {"{\"choices\":[{\"message\":{\"content\":42}}]}", "not a string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    c = (char *)1;
    CHECK(sr_qw_parse_response(bad[i].body, strlen(bad[i].body), &c, &err) == SR_ERR_FORMAT);
    CHECK(c == NULL);
    CHECK_MSG(strstr(err.msg, bad[i].msg) != NULL, "%s: %s", bad[i].body, err.msg);
  }
}

static void check_clean(const char *in, const char *want) {
  char *got = sr_qw_clean(in);
  CHECK_MSG(got && !strcmp(got, want), "clean(\"%s\") = \"%s\", want \"%s\"", in, got ? got : "(null)", want);
  free(got);
}

static void test_clean(void) {
  check_clean("  I have two CSV files.\n\nMerge them by date.  ", "I have two CSV files. Merge them by date.");
  check_clean("```\nI have a log.\n```", "I have a log.");
  check_clean("```text\nQuery: \"I have a log.\"\n```", "I have a log.");
  check_clean("\"I have a log.\"", "I have a log.");
  check_clean("\xe2\x80\x9cI have a log.\xe2\x80\x9d", "I have a log.");
  check_clean("'I'm stuck with a log.'", "I'm stuck with a log.");
  check_clean("**User request:** I have a log.", "I have a log.");
  check_clean("Query: I have a log.", "I have a log.");
  check_clean("<think>\nthe skill is about logs\n</think>\n\nI have a log.", "I have a log.");
  check_clean("<think>never closed", "");
  check_clean("\"a\" and \"b\" are two files", "\"a\" and \"b\" are two files");  /* not one quoted answer */
  check_clean("Note: keep this label", "Note: keep this label");
  check_clean("", "");
  check_clean("   \n ``` ``` ", "");
  char *n = sr_qw_clean(NULL);
  CHECK_STR(n, "");
  free(n);
}

static void test_validate(void) {
  sr_qw_opts o = sr_qw_defaults();
  o.min_words = 4;
  o.max_words = 12;
  CHECK_INT(sr_qw_validate("I have scanned invoices as PDF files and need the totals.", "pdf-extract", &o), SR_QW_ACCEPT);
  CHECK_INT(sr_qw_validate("Please run PDF extract on invoice.pdf now.", "pdf-extract", &o), SR_QW_NAMES_SKILL);
  CHECK_INT(sr_qw_validate("Please use pdf_extract on invoice.pdf now.", "pdf-extract", &o), SR_QW_NAMES_SKILL);
  CHECK_INT(sr_qw_validate("Please use pdfextract on invoice.pdf now.", "pdf-extract", &o), SR_QW_NAMES_SKILL);
  CHECK_INT(sr_qw_validate("Extract the tables of this PDF for me.", "pdf-extract", &o), SR_QW_ACCEPT);  /* not a phrase */
  CHECK_INT(sr_qw_validate("My docker containers keep restarting on boot.", "Docker", &o), SR_QW_NAMES_SKILL);
  CHECK_INT(sr_qw_validate("My dockerfile build keeps failing on boot.", "Docker", &o), SR_QW_ACCEPT);   /* whole words */
  CHECK_INT(sr_qw_validate("", "x", &o), SR_QW_EMPTY);
  CHECK_INT(sr_qw_validate("Fix this.", "x", &o), SR_QW_SHORT);
  CHECK_INT(sr_qw_validate("one two three four five six seven eight nine ten eleven twelve thirteen", "x", &o), SR_QW_LONG);
  CHECK_INT(sr_qw_validate("bad \xff bytes in this one here", "x", &o), SR_QW_NOT_UTF8);
  CHECK_INT(sr_qw_validate("Nothing to match in this one here", "---", &o), SR_QW_ACCEPT);  /* a name of no words */
  CHECK_STR(sr_qw_verdict_name(SR_QW_NAMES_SKILL), "names_skill");
}

static void test_plan(void) {
  sr_index *ix = small_index();
  sr_error err = {0};
  sr_qw_opts o = sr_qw_defaults();
  o.n_queries = 10;
  uint32_t *a, *b;
  size_t na, nb, sampled;
  CHECK_OK(sr_qw_plan(ix, &o, NULL, &a, &na, &sampled, &err), &err);
  CHECK_OK(sr_qw_plan(ix, &o, NULL, &b, &nb, NULL, &err), &err);
  CHECK_INT(na, 10);
  CHECK_INT(sampled, 10);
  CHECK(na == nb && !memcmp(a, b, na * sizeof *a));  /* deterministic */
  free(b);
  /* exclusions are skipped and the sample still has 10; done ones are left out of the plan */
  const char *ex[] = {g_id[a[0]], g_id[a[3]]};
  o.exclude_ids = ex;
  o.n_exclude = 2;
  uint8_t done[N_ENTRIES] = {0};
  done[a[1]] = 1;
  CHECK_OK(sr_qw_plan(ix, &o, done, &b, &nb, &sampled, &err), &err);
  CHECK_INT(sampled, 10);
  CHECK_INT(nb, 9);
  for (size_t i = 0; i < nb; i++) CHECK(b[i] != a[0] && b[i] != a[3] && b[i] != a[1]);
  CHECK(nb >= 2 && b[0] == a[2] && b[1] == a[4]);  /* the same order otherwise */
  free(b);
  o.n_queries = 1000;   /* more than the catalog: everything not excluded */
  CHECK_OK(sr_qw_plan(ix, &o, NULL, &b, &nb, &sampled, &err), &err);
  CHECK_INT(nb, N_ENTRIES - 2);
  free(b);
  free(a);
}

/* A loopback port nothing listens on: one the kernel hands out for a bound (never listening) socket,
 * released again; 9 (discard) as a fallback. */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = 9;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

static void test_resume(void) {
  sr_index *ix = small_index();
  sr_error err = {0};
  const char *path = test_tmp_path("resume.jsonl");
  test_write_file(path, "{\"query\": \"q one two\", \"skill_id\": \"s/1\", \"source\": \"llm\"}\n"
                        "\n"
                        "{\"query\": \"gone\", \"skill_id\": \"no/such\"}\n"
                        "{\"query\": \"excluded\", \"skill_id\": \"s/2\"}\n"
                        "{\"query\": \"dup\", \"skill_id\": \"s/1\"}\n"
                        "{\"query\": \"q three\", \"skill_id\": \"s/3\"}");
  uint8_t excluded[N_ENTRIES] = {0}, done[N_ENTRIES] = {0};
  excluded[2] = 1;
  sr_buf keep = SR_BUF_INIT;
  size_t dropped = 0;
  CHECK_OK(sr_qw_load(path, ix, excluded, done, &keep, &dropped, &err), &err);
  CHECK_INT(dropped, 3);
  CHECK(done[1] && done[3] && !done[2] && !done[0]);
  CHECK_STR(keep.data, "{\"query\": \"q one two\", \"skill_id\": \"s/1\", \"source\": \"llm\"}\n"
                       "{\"query\": \"q three\", \"skill_id\": \"s/3\"}\n");
  sr_buf_free(&keep);
  CHECK_OK(sr_qw_load(test_tmp_path("missing.jsonl"), ix, NULL, done, &keep, &dropped, &err), &err);  /* no file: fine */
  test_write_file(path, "{\"skill_id\": \"s/1\"}\n{\"query\": \"x\"}\n");
  CHECK(sr_qw_load(path, ix, NULL, done, &keep, &dropped, &err) == SR_ERR_FORMAT);
  CHECK_MSG(strstr(err.msg, "resume.jsonl:2") != NULL, "%s", err.msg);
  sr_buf_free(&keep);

  /* a finished run: every sampled skill is in the files, so nothing is requested (the endpoint is a
   * closed port) and the files are left as they are; a rejected skill counts as done too */
  sr_qw_opts o = sr_qw_defaults();
  o.n_queries = 3;
  char endpoint[64], want_url[96];
  snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", closed_port());
  snprintf(want_url, sizeof want_url, "%s/v1/chat/completions", endpoint);
  o.endpoint = endpoint;
  uint32_t *plan;
  size_t n;
  CHECK_OK(sr_qw_plan(ix, &o, NULL, &plan, &n, NULL, &err), &err);
  const char *out = test_tmp_path("done.jsonl"), *rej = test_tmp_path("done.rejected.jsonl");
  char line[256];
  snprintf(line, sizeof line, "{\"query\": \"a b c\", \"skill_id\": \"%s\"}\n{\"query\": \"d e f\", \"skill_id\": \"%s\"}\n",
           g_id[plan[0]], g_id[plan[1]]);
  test_write_file(out, line);
  snprintf(line, sizeof line, "{\"skill_id\": \"%s\", \"reason\": \"names_skill\", \"text\": \"x\"}\n", g_id[plan[2]]);
  test_write_file(rej, line);
  free(plan);
  sr_qw_report rep;
  CHECK_OK(sr_qw_run(ix, &o, out, &rep, &err), &err);
  CHECK_INT(rep.sampled, 3);
  CHECK_INT(rep.already_done, 3);
  CHECK_INT(rep.requested, 0);
  CHECK_INT(rep.total_lines, 2);
  /* one more skill: the closed port fails it twice, the run stops with an error naming the URL */
  o.n_queries = 4;
  CHECK(sr_qw_run(ix, &o, out, &rep, &err) == SR_ERR_IO);
  CHECK_MSG(strstr(err.msg, want_url) != NULL, "%s", err.msg);
  CHECK_INT(rep.requested, 1);
  CHECK_INT(rep.failed, 1);
  CHECK_INT(rep.retries, 1);
  o.endpoint = "ftp://example.com";
  CHECK(sr_qw_run(ix, &o, out, &rep, &err) == SR_ERR_ARG);
}

/* labelled lines with "source": "llm" become LLM pairs; lines of excluded skills are skipped */
static void test_llm_pairs(void) {
  sr_index *ix = small_index();
  sr_error err = {0};
  const char *a = test_tmp_path("user.jsonl"), *b = test_tmp_path("llm.jsonl");
  test_write_file(a, "{\"query\": \"convert w4a files\", \"skill_id\": \"s/4\"}\n");
  test_write_file(b, "{\"query\": \"my w5a data into w5b\", \"skill_id\": \"s/5\", \"source\": \"llm\", \"model\": \"m\"}\n"
                     "{\"query\": \"w6a please\", \"skill_id\": \"s/6\", \"source\": \"llm\"}\n"
                     "{\"query\": \"w7a please\", \"skill_id\": \"s/7\", \"source\": \"llm\"}\n");
  const char *paths[] = {a, b}, *ex[] = {"s/7"};
  sr_pairs_opts o = {.seed = 1, .n_queries = 0, .labelled_paths = paths, .n_labelled = 2, .exclude_ids = ex,
                     .n_exclude = 1};
  sr_pairs p;
  CHECK_OK(sr_pairs_build(ix, NULL, &o, &p, &err), &err);
  CHECK_INT(p.n, 3);
  CHECK_INT(p.by_kind[SR_PQ_LABEL], 1);
  CHECK_INT(p.by_kind[SR_PQ_LLM], 2);
  CHECK_INT(p.labelled_excluded, 1);
  for (size_t i = 0; i < p.n; i++)
    if (p.v[i].kind == SR_PQ_LLM) CHECK(p.v[i].n_minus == 0);
  CHECK_STR(sr_pair_kind_name(SR_PQ_LLM), "llm");
  sr_pairs_free(&p);
}

int main(void) {
  RUN(test_request_json);
  RUN(test_parse_response);
  RUN(test_clean);
  RUN(test_validate);
  RUN(test_plan);
  RUN(test_resume);
  RUN(test_llm_pairs);
  sr_index_close(small_index());
  return test_summary();
}
