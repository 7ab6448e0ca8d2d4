/* test_analyzer.c — the analyzer's splitting, case folding, identifiers, stemming and stopwords. */
#include "test.h"
#include "text/analyzer.h"
#include "util/buf.h"

static void collect(void *ctx, const char *t, size_t n) {
  sr_buf *b = ctx;
  if (b->len) sr_buf_putc(b, ' ');
  sr_buf_append(b, t, n);
}

/* Analyses `text` with `o` and compares the space-joined terms with `want`. */
static void expect(const sr_analyzer_opts *o, const char *text, const char *want) {
  sr_analyzer *a;
  sr_error err;
  CHECK_OK(sr_analyzer_new(o, &a, &err), &err);
  sr_buf b = SR_BUF_INIT;
  sr_buf_puts(&b, "");
  CHECK_OK(sr_analyze(a, text, strlen(text), collect, &b, &err), &err);
  CHECK_MSG(strcmp(b.data, want) == 0, "analyse(\"%s\") = \"%s\", want \"%s\"", text, b.data, want);
  sr_buf_free(&b);
  sr_analyzer_free(a);
}

static void test_plain_words(void) {
  sr_analyzer_opts o = sr_analyzer_defaults();
  expect(&o, "Hello, World! 42 times", "hello world 42 times");
  expect(&o, "", "");
  expect(&o, "  ...  --- ", "");
  expect(&o, "end of sentence. Next", "end of sentence next");
}

static void test_identifiers(void) {
  sr_analyzer_opts o = sr_analyzer_defaults();
  expect(&o, "camelCase", "camelcase camel case");
  expect(&o, "snake_case_name", "snake_case_name snake case name");
  expect(&o, "kebab-case", "kebab-case kebab case");
  expect(&o, "file.py", "file.py file py");
  expect(&o, "HTTPServer", "httpserver http server");
  expect(&o, "parseJSON", "parsejson parse json");
  expect(&o, "v1.2.3", "v1.2.3 v1 2 3");
  expect(&o, "trailing_ -dash", "trailing dash");
  o.keep_identifiers = 0;
  expect(&o, "camelCase x", "camel case x");
  o.keep_identifiers = 1;
  o.split_identifiers = 0;
  expect(&o, "camelCase x", "camelcase x");
}

static void test_unicode(void) {
  sr_analyzer_opts o = sr_analyzer_defaults();
  expect(&o, "ÉCOLE Straße", "école straße");
  /* decomposed e + combining acute is composed (NFC) to the same term as the precomposed form */
  expect(&o, "e\xcc\x81t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
  expect(&o, "日本語 テキスト", "日本語 テキスト");
  /* invalid UTF-8 bytes separate words and never crash */
  expect(&o, "ab\xff\xfe" "cd", "ab cd");
  expect(&o, "x\xe2\x82", "x");
}

static void test_long_terms_dropped(void) {
  sr_analyzer_opts o = sr_analyzer_defaults();
  char text[200];
  memset(text, 'a', 100);
  strcpy(text + 100, " ok");
  expect(&o, text, "ok");
}

static void test_stem_and_stop(void) {
  sr_analyzer_opts o = sr_analyzer_defaults();
  o.stem = 1;
  expect(&o, "running files", "run file");
  o.stem = 0;
  o.stopwords = 1;
  expect(&o, "the parser of the files", "parser files");
}

int main(void) {
  RUN(test_plain_words);
  RUN(test_identifiers);
  RUN(test_unicode);
  RUN(test_long_terms_dropped);
  RUN(test_stem_and_stop);
  return test_summary();
}
