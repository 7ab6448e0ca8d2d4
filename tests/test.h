/* test.h — the tiny test framework used by every tests/unit/test_*.c program.
 *
 * A test file defines `static void test_xxx(void)` functions and lists them in main():
 *     int main(void) { RUN(test_a); RUN(test_b); return test_summary(); }
 * CHECK* macros record a failure (with file:line and the values) and continue; a test passes when
 * none of its checks failed. test_summary() prints "<program>: N passed, N failed" and returns 1 when
 * anything failed. tests/run.sh adds the counts of all programs and prints the final line. */
#ifndef SR_TEST_H
#define SR_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed_, test_failed_, test_cur_failed_;
static const char *test_name_ = "";

#define TEST_FAIL_(...)                                         \
  do {                                                          \
    fprintf(stderr, "  FAIL %s (%s:%d): ", test_name_, __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__);                               \
    fputc('\n', stderr);                                        \
    test_cur_failed_++;                                         \
  } while (0)

#define CHECK(cond) do { if (!(cond)) TEST_FAIL_("%s", #cond); } while (0)
#define CHECK_MSG(cond, ...) do { if (!(cond)) TEST_FAIL_(__VA_ARGS__); } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
  if (a_ != b_) TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_); } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
  if (!a_ || !b_ || strcmp(a_, b_) != 0) TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, \
      a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (double)(a), b_ = (double)(b); \
  if (!(fabs(a_ - b_) <= (tol))) TEST_FAIL_("%s ~= %s: %.9g vs %.9g (tol %g)", #a, #b, a_, b_, (double)(tol)); } while (0)
/* For sr_status results: prints the error message on failure. */
#define CHECK_OK(expr, errp) do { int st_ = (int)(expr); \
  if (st_ != 0) TEST_FAIL_("%s returned %d: %s", #expr, st_, (errp)->msg); } while (0)

#define RUN(fn) do {                                  \
    test_name_ = #fn; test_cur_failed_ = 0;           \
    fn();                                             \
    if (test_cur_failed_) test_failed_++; else test_passed_++; \
  } while (0)

static inline int test_summary_named(const char *prog) {
  printf("%s: %d passed, %d failed\n", prog, test_passed_, test_failed_);
  return test_failed_ ? 1 : 0;
}
#define test_summary() test_summary_named(__FILE__)

/* A fresh temporary directory for a test program (removed by the runner's cleanup, not here). */
static inline const char *test_tmpdir(void) {
  static char dir[256];
  if (!dir[0]) {
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/srtest.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) { perror("mkdtemp"); exit(2); }
  }
  return dir;
}

/* test_tmpdir()/name in one of 8 rotating buffers (a path stays valid for the next 7 calls). */
static inline const char *test_tmp_path(const char *name) {
  static char buf[8][512];
  static int i;
  char *p = buf[i++ % 8];
  snprintf(p, 512, "%s/%s", test_tmpdir(), name);
  return p;
}

static inline void test_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f) { perror(path); exit(2); }
  fputs(text, f);
  fclose(f);
}

/* path := the first n bytes of data (binary). */
static inline void test_write_file_n(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) { perror(path); exit(2); }
  if (n && fwrite(data, 1, n, f) != n) { perror(path); exit(2); }
  fclose(f);
}

#endif
