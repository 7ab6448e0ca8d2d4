/* cli_common.c — see cli_common.h. */
#include "cli/cli_common.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"

void cli_progress_init(cli_progress *p, bool quiet) {
  memset(p, 0, sizeof *p);
  p->enabled = !quiet && isatty(STDERR_FILENO);
  p->start = sr_clock_s();
}

static void draw(cli_progress *p, const char *phase, double done, double total, const char *unit) {
  double now = sr_clock_s();
  if (strncmp(p->phase, phase, sizeof p->phase - 1) != 0) {
    if (p->phase[0]) fputc('\n', stderr);
    snprintf(p->phase, sizeof p->phase, "%s", phase);
    p->start = now;
    p->last_draw = 0;
  }
  if (done < total && now - p->last_draw < 0.1) return;
  p->last_draw = now;
  double frac = total > 0 ? done / total : 1;
  if (frac > 1) frac = 1;
  double el = now - p->start, rate = el > 0 ? done / el : 0, eta = rate > 0 ? (total - done) / rate : 0;
  char bar[31];
  int fill = (int)(frac * 30);
  for (int i = 0; i < 30; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
  bar[30] = '\0';
  fprintf(stderr, "\r%-10s [%s] %3.0f%% %.0f/%.0f%s %.0f%s/s ETA %.0fs   ", phase, bar, frac * 100, done, total, unit,
          rate, unit, eta);
  fflush(stderr);
}

void cli_progress_update(void *ctx, const char *phase, size_t done, size_t total) {
  cli_progress *p = ctx;
  if (p && p->enabled) draw(p, phase, (double)done, (double)total, "");
}

void cli_progress_bytes(void *ctx, size_t done, size_t total) {
  cli_progress *p = ctx;
  if (p && p->enabled) draw(p, "reading", done / 1048576.0, total / 1048576.0, " MB");
}

void cli_progress_done(cli_progress *p) {
  if (p->enabled && p->phase[0]) fputc('\n', stderr);
  p->phase[0] = '\0';
}

char *cli_read_query(const char *arg, size_t *len) {
  if (strcmp(arg, "-") != 0) {
    *len = strlen(arg);
    return strdup(arg);
  }
  sr_buf b = SR_BUF_INIT;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
    if (b.len + n > (64u << 20)) {
      fprintf(stderr, "skillrouter: query on stdin is larger than 64 MiB\n");
      sr_buf_free(&b);
      return NULL;
    }
    sr_buf_append(&b, chunk, n);
  }
  *len = b.len;
  return sr_buf_take(&b);
}

bool cli_parse_size(const char *flag, const char *val, size_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = val ? strtoull(val, &end, 10) : 0;
  if (!val || !*val || *end || errno || v == 0 || v > 100000000ULL || val[0] == '-') {
    fprintf(stderr, "skillrouter: %s needs a positive integer, got '%s'\n", flag, val ? val : "");
    return false;
  }
  *out = (size_t)v;
  return true;
}

static bool parse_floats(const char *flag, const char *val, float *out, int n) {
  const char *p = val;
  for (int i = 0; i < n; i++) {
    char *end;
    errno = 0;
    double v = p ? strtod(p, &end) : 0;
    if (!p || end == p || errno || v < 0 || v > 1e6 || (i < n - 1 ? *end != ',' : *end != '\0')) {
      fprintf(stderr, "skillrouter: %s needs %d non-negative number%s%s, got '%s'\n", flag, n, n > 1 ? "s" : "",
              n > 1 ? " separated by commas" : "", val ? val : "");
      return false;
    }
    out[i] = (float)v;
    p = end + 1;
  }
  return true;
}

int cli_bm25f_flag(int argc, char **argv, int *i, sr_bm25f_params *p) {
  const char *a = argv[*i];
  const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  bool ok;
  if (!strcmp(a, "--k1")) ok = parse_floats(a, v, &p->k1, 1);
  else if (!strcmp(a, "--weights")) ok = parse_floats(a, v, p->weight, 3);
  else if (!strcmp(a, "--b")) ok = parse_floats(a, v, p->b, 3) && p->b[0] <= 1 && p->b[1] <= 1 && p->b[2] <= 1;
  else if (!strcmp(a, "--max-df")) ok = parse_floats(a, v, &p->max_df_ratio, 1);
  else if (!strcmp(a, "--qtf-k3")) ok = parse_floats(a, v, &p->qtf_k3, 1);
  else return 0;
  if (!ok) return -1;
  (*i)++;
  return 1;
}

void cli_bm25f_help(void) {
  sr_bm25f_params d = sr_bm25f_defaults();
  fprintf(stdout,
          "BM25F tuning (defaults are the tuned values):\n"
          "  --k1 X            term-frequency saturation (default %.2g)\n"
          "  --weights N,D,B   field weights for name, description, body (default %.2g,%.2g,%.2g)\n"
          "  --b N,D,B         length normalisation per field, 0..1 (default %.2g,%.2g,%.2g)\n"
          "  --max-df R        skip query terms found in more than this fraction of entries (default %.2g)\n"
          "  --qtf-k3 K        weight a query term repeated q times by (K+1)q/(K+q); 0 = once each (default %.2g)\n",
          d.k1, d.weight[0], d.weight[1], d.weight[2], d.b[0], d.b[1], d.b[2], d.max_df_ratio, d.qtf_k3);
}

static volatile int *interrupt_flag;
static void on_signal(int sig) {
  (void)sig;
  if (interrupt_flag) *interrupt_flag = 1;
}

void cli_catch_interrupt(volatile int *flag) {
  interrupt_flag = flag;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}
