/* test_prompts.c — SkillRouter prompt strings and UTF-8-safe character cuts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/prompts.h"
#include "test.h"

static void test_utf8_prefix(void) {
  const char *s = "a\xc3\xa9" "b\xe2\x82\xac" "c";   /* a é b € c */
  size_t n = strlen(s);
  CHECK_INT(sr_utf8_prefix_bytes(s, n, 0), 0);
  CHECK_INT(sr_utf8_prefix_bytes(s, n, 1), 1);
  CHECK_INT(sr_utf8_prefix_bytes(s, n, 2), 3);
  CHECK_INT(sr_utf8_prefix_bytes(s, n, 4), 7);
  CHECK_INT(sr_utf8_prefix_bytes(s, n, 5), 8);
  CHECK_INT(sr_utf8_prefix_bytes(s, n, SIZE_MAX), 8);
  CHECK_INT(sr_utf8_prefix_bytes("\xf0\x9f\x98\x80x", 5, 1), 4);   /* emoji is one character */
}

static void test_query_text(void) {
  char *t = NULL;
  sr_error err;
  CHECK_OK(sr_query_text(NULL, "fix the bug", SR_QUERY_MAX_CHARS, &t, &err), &err);
  CHECK_STR(t, "Instruct: Given a coding task description, retrieve the most relevant skill document that would "
               "help an agent complete the task\nQuery:fix the bug");
  free(t);
  char *q = malloc(2101);
  memset(q, 'x', 2100);
  q[2100] = 0;
  CHECK_OK(sr_query_text("T", q, SR_QUERY_MAX_CHARS, &t, &err), &err);
  CHECK_INT(strlen(t), strlen("Instruct: T\nQuery:") + 2000);
  free(t);
  free(q);
}

static void test_doc_text(void) {
  char *t = NULL;
  sr_error err;
  CHECK_OK(sr_doc_text("pdf", "Read PDFs", "Body text", SR_DOC_DESC_CHARS, SR_DOC_BODY_CHARS, &t, &err), &err);
  CHECK_STR(t, "pdf | Read PDFs | Body text");
  free(t);
  CHECK_OK(sr_doc_text("n", "\xc3\xa9\xc3\xa9\xc3\xa9", "abcdef", 2, 3, &t, &err), &err);
  CHECK_STR(t, "n | \xc3\xa9\xc3\xa9 | abc");
  free(t);
  CHECK_OK(sr_doc_text("n", NULL, NULL, 5, 5, &t, &err), &err);
  CHECK_STR(t, "n |  | ");
  free(t);
}

static void test_rerank_text(void) {
  char *t = NULL;
  sr_error err;
  CHECK_OK(sr_rerank_body_text(NULL, "task", "name", "desc", "body", SR_RERANK_DESC_CHARS, SR_RERANK_BODY_CHARS, &t,
                               &err), &err);
  CHECK_STR(t, "<Instruct>: Given a coding task description, judge whether the skill document is relevant and "
               "useful for completing the task\n\n<Query>: task\n\n<Document>: name | desc | body");
  free(t);
  CHECK(strstr(SR_RERANK_PREFIX, "can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n") != NULL);
  CHECK_STR(SR_RERANK_SUFFIX, "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

int main(void) {
  RUN(test_utf8_prefix);
  RUN(test_query_text);
  RUN(test_doc_text);
  RUN(test_rerank_text);
  return test_summary();
}
