/* cmd_embed.c — `skillrouter embed --model PATH [--query|--document] TEXT... [--json] [--dim N]
 * [--instruction S] [--tokenizer DIR] [--threads N]`: prints one L2-normalised embedding per TEXT.
 * --query wraps each text as "Instruct: {instruction}\nQuery:{text cut to 2000 chars}" (SkillRouter
 * encoder instruction by default); --document (the default) embeds the text as given. <|endoftext|> is
 * appended and inputs are cut to 4096 tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_model.h"
#include "cli/commands.h"
#include "model/prompts.h"
#include "util/buf.h"

static void embed_usage(FILE *f) {
  fprintf(f, "usage: skillrouter embed --model PATH [--query|--document] TEXT... [--json] [--dim N]\n"
             "       [--instruction S] [--tokenizer DIR] [--threads N]\n");
}

int cmd_embed(int argc, char **argv) {
  const char *model = NULL, *tok_dir = NULL, *instr = NULL;
  bool query = false, json = false;
  long dim = 0, threads = 0;
  int n_pos = 1;   /* positional arguments are moved to argv[1..n_pos) */
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { embed_usage(stdout); return 0; }
    if (!strcmp(a, "--query")) query = true;
    else if (!strcmp(a, "--document")) query = false;
    else if (!strcmp(a, "--json")) json = true;
    else if (i + 1 < argc && !strcmp(a, "--model")) model = argv[++i];
    else if (i + 1 < argc && !strcmp(a, "--tokenizer")) tok_dir = argv[++i];
    else if (i + 1 < argc && !strcmp(a, "--instruction")) instr = argv[++i];
    else if (i + 1 < argc && !strcmp(a, "--dim")) dim = strtol(argv[++i], NULL, 10);
    else if (i + 1 < argc && !strcmp(a, "--threads")) threads = strtol(argv[++i], NULL, 10);
    else if (!strcmp(a, "--")) { while (++i < argc) argv[n_pos++] = argv[i]; }
    else if (a[0] == '-' && a[1] == '-') { fprintf(stderr, "skillrouter embed: unknown option %s\n", a); embed_usage(stderr); return 2; }
    else argv[n_pos++] = argv[i];
  }
  const int first_text = 1;
  argc = n_pos;
  if (!model || first_text >= argc || dim < 0) { embed_usage(stderr); return 2; }
  sr_error err;
  cli_model cm;
  if (cli_model_load(model, tok_dir, (int)threads, &cm, &err)) {
    fprintf(stderr, "skillrouter embed: %s\n", err.msg);
    return 1;
  }
  size_t D = (size_t)cm.model->cfg.dim, od = dim ? (size_t)dim : D;
  if (od > D) {
    fprintf(stderr, "skillrouter embed: --dim %zu exceeds the model's %zu\n", od, D);
    cli_model_free(&cm);
    return 2;
  }
  float *e = malloc(sizeof(float) * od);
  sr_buf out = SR_BUF_INIT;
  int rc = e ? 0 : 1;
  /* the protocol's 4096-token cap, or the model's own position limit when that is smaller */
  size_t max_tokens = SR_QWEN3_MAX_TOKENS;
  if (cm.model->cfg.max_pos > 0 && (size_t)cm.model->cfg.max_pos < max_tokens) max_tokens = (size_t)cm.model->cfg.max_pos;
  if (json) sr_buf_puts(&out, "[");
  for (int i = first_text; i < argc && !rc; i++) {
    char *text = NULL;
    int32_t *ids = NULL;
    size_t n = 0;
    sr_status st = query ? sr_query_text(instr, argv[i], SR_QUERY_MAX_CHARS, &text, &err) : SR_OK;
    if (!st) st = cli_encode(&cm, query ? text : argv[i], &ids, &n, &err);
    if (!st && n + 1 > max_tokens)
      fprintf(stderr, "skillrouter embed: warning: text %d has %zu tokens with <|endoftext|>; truncated to %zu, as the "
              "reference tokenizer does\n", i - first_text + 1, n + 1, max_tokens);
    if (!st) st = sr_qwen3_embed_text_ids(cm.model, ids, n, max_tokens, od, e, &err);
    if (st) {
      fprintf(stderr, "skillrouter embed: text %d: %s\n", i - first_text + 1, err.msg);
      rc = 1;
    } else if (json) {
      size_t used = n + 1 > max_tokens ? max_tokens : n + 1;
      sr_buf_printf(&out, "%s\n{\"text\":", i > first_text ? "," : "");
      sr_buf_json_string(&out, argv[i], strlen(argv[i]));
      sr_buf_printf(&out, ",\"mode\":\"%s\",\"tokens\":%zu,\"embedding\":[", query ? "query" : "document", used);
      for (size_t k = 0; k < od; k++) sr_buf_printf(&out, "%s%.8g", k ? "," : "", e[k]);
      sr_buf_puts(&out, "]}");
    } else {
      for (size_t k = 0; k < od; k++) sr_buf_printf(&out, "%s%.8g", k ? " " : "", e[k]);
      sr_buf_putc(&out, '\n');
    }
    free(text);
    free(ids);
  }
  if (json) sr_buf_puts(&out, "\n]\n");
  if (!rc && out.data) fputs(out.data, stdout);
  sr_buf_free(&out);
  free(e);
  cli_model_free(&cm);
  return rc;
}
