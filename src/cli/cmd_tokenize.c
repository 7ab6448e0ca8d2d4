/* cmd_tokenize.c — `skillrouter tokenize`: text -> Qwen3 token ids, or ids -> text with --decode. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "model/tokenizer.h"
#include "util/buf.h"

static void tokenize_usage(FILE *f) {
  fprintf(f,
          "usage: skillrouter tokenize --model DIR [--add-eos] [--] TEXT\n"
          "       skillrouter tokenize --model DIR --decode [--skip-special] [--] IDS...\n"
          "\n"
          "Encodes TEXT with the Qwen3 tokenizer in DIR (tokenizer.json, or vocab.json + merges.txt;\n"
          "DIR/tokenizer/ is used when DIR itself has neither) and prints the ids, space-separated,\n"
          "on one line. Added tokens written in TEXT (<|im_start|>, <think>, ...) are always\n"
          "recognised; nothing is added unless asked. TEXT '-' reads standard input (all of it,\n"
          "final newline included).\n"
          "\n"
          "  --model DIR      model or tokenizer directory (required)\n"
          "  --add-eos        append <|endoftext|> (151643), as Qwen3-Embedding does\n"
          "  --special        same as --add-eos\n"
          "  --decode         IDS (space/comma separated, or '-' for stdin) -> text, printed exactly,\n"
          "                   with no newline added\n"
          "  --skip-special   with --decode: leave out special tokens (<|endoftext|>, <|im_start|>, ...)\n");
}

/* Reads all of stdin into b; false on a read error. */
static bool read_stdin(sr_buf *b) {
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
    if (!sr_buf_append(b, chunk, n)) return false;
  if (ferror(stdin)) return false;
  return sr_buf_reserve(b, 1);   /* data non-NULL even for empty input */
}

/* Parses ids from s (separated by spaces, tabs, newlines or commas) and appends them to *ids. */
static bool parse_ids(const char *s, int32_t **ids, size_t *n, size_t *cap) {
  while (*s) {
    if (strchr(" \t\r\n,", *s)) {
      s++;
      continue;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || errno || v < 0 || v > INT32_MAX || (*end && !strchr(" \t\r\n,", *end))) {
      fprintf(stderr, "skillrouter tokenize: not a token id: '%.20s'\n", s);
      return false;
    }
    if (*n == *cap) {
      *cap = *cap ? *cap * 2 : 64;
      int32_t *p = realloc(*ids, *cap * sizeof *p);
      if (!p) return false;
      *ids = p;
    }
    (*ids)[(*n)++] = (int32_t)v;
    s = end;
  }
  return true;
}

static int do_decode(const sr_tokenizer *tok, char **args, int nargs, bool skip_special) {
  int32_t *ids = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (int i = 0; i < nargs && !rc; i++) {
    if (!strcmp(args[i], "-")) {
      sr_buf b = SR_BUF_INIT;
      if (!read_stdin(&b)) {
        fprintf(stderr, "skillrouter tokenize: cannot read standard input\n");
        rc = 1;
      } else if (!parse_ids(b.data, &ids, &n, &cap)) {
        rc = 2;
      }
      sr_buf_free(&b);
    } else if (!parse_ids(args[i], &ids, &n, &cap)) {
      rc = 2;
    }
  }
  if (!rc) {
    char *text;
    size_t len;
    sr_error err;
    if (sr_tokenizer_decode(tok, ids, n, skip_special, &text, &len, &err)) {
      fprintf(stderr, "skillrouter tokenize: %s\n", err.msg);
      rc = 1;
    } else {
      fwrite(text, 1, len, stdout);
      free(text);
    }
  }
  free(ids);
  return rc;
}

static int do_encode(const sr_tokenizer *tok, const char *arg, bool add_eos) {
  sr_buf in = SR_BUF_INIT;
  const char *text = arg;
  size_t len = strlen(arg);
  if (!strcmp(arg, "-")) {
    if (!read_stdin(&in)) {
      fprintf(stderr, "skillrouter tokenize: cannot read standard input\n");
      sr_buf_free(&in);
      return 1;
    }
    text = in.data, len = in.len;
  }
  int32_t *ids;
  size_t n;
  sr_error err;
  sr_status st = sr_tokenizer_encode(tok, text, len, &ids, &n, &err);
  sr_buf_free(&in);
  if (st) {
    fprintf(stderr, "skillrouter tokenize: %s\n", err.msg);
    return 1;
  }
  for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
  if (add_eos) {
    int32_t eos = sr_tokenizer_token_id(tok, "<|endoftext|>");
    if (eos < 0) {
      fprintf(stderr, "skillrouter tokenize: this tokenizer has no <|endoftext|> token\n");
      free(ids);
      return 1;
    }
    printf(n ? " %d" : "%d", eos);
  }
  putchar('\n');
  free(ids);
  return 0;
}

int cmd_tokenize(int argc, char **argv) {
  const char *model = NULL;
  bool decode = false, add_eos = false, skip_special = false;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      i++;
      break;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      tokenize_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--model")) {
      if (++i >= argc) {
        fprintf(stderr, "skillrouter tokenize: --model needs a directory\n");
        return 2;
      }
      model = argv[i];
    } else if (!strcmp(a, "--decode")) {
      decode = true;
    } else if (!strcmp(a, "--add-eos") || !strcmp(a, "--special")) {
      add_eos = true;
    } else if (!strcmp(a, "--skip-special")) {
      skip_special = true;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "skillrouter tokenize: unknown option '%s'\n\n", a);
      tokenize_usage(stderr);
      return 2;
    } else {
      break;
    }
  }
  int nargs = argc - i;
  if (!model || nargs < 1 || (!decode && nargs != 1) || (decode && add_eos) || (!decode && skip_special)) {
    fprintf(stderr, "skillrouter tokenize: %s\n\n",
            !model ? "--model DIR is required"
            : nargs < 1 ? "missing TEXT"
            : (!decode && nargs != 1) ? "give TEXT as one argument (quote it)"
                                      : "--add-eos is for encoding, --skip-special for --decode");
    tokenize_usage(stderr);
    return 2;
  }
  sr_tokenizer *tok;
  sr_error err;
  if (sr_tokenizer_load(model, &tok, &err)) {
    fprintf(stderr, "skillrouter tokenize: %s\n", err.msg);
    return 1;
  }
  int rc = decode ? do_decode(tok, argv + i, nargs, skip_special) : do_encode(tok, argv[i], add_eos);
  sr_tokenizer_free(tok);
  if (fflush(stdout) != 0 && !rc) {
    fprintf(stderr, "skillrouter tokenize: write error: %s\n", strerror(errno));
    rc = 1;
  }
  return rc;
}
