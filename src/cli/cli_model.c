/* cli_model.c — see cli_model.h. */
#include "cli/cli_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"

sr_status cli_model_load(const char *model_path, const char *tok_dir, int n_threads, cli_model *out, sr_error *err) {
  memset(out, 0, sizeof *out);
  char dir[4096];
  if (tok_dir) {
    snprintf(dir, sizeof dir, "%s", tok_dir);
  } else {
    snprintf(dir, sizeof dir, "%s", model_path);
    if (!sr_path_is_dir(dir)) {   /* a .gguf file: look next to it */
      char *slash = strrchr(dir, '/');
      if (slash && slash != dir) *slash = 0;
      else snprintf(dir, sizeof dir, slash ? "/" : ".");
    }
  }
  sr_tokenizer *tok = NULL;
  sr_status st = sr_qwen3_load(model_path, &out->model, err);
  if (st) return st;
  if ((st = sr_tokenizer_load(dir, &tok, err))) {
    sr_qwen3_free(out->model);
    out->model = NULL;
    return st;
  }
  if (sr_tokenizer_vocab_size(tok) > (size_t)out->model->cfg.vocab) {
    st = sr_fail(err, SR_ERR_FORMAT, "%s: vocab mismatch: tokenizer in %s has %zu ids, model %d rows", model_path, dir,
                 sr_tokenizer_vocab_size(tok), out->model->cfg.vocab);
    sr_tokenizer_free(tok);
    sr_qwen3_free(out->model);
    out->model = NULL;
    return st;
  }
  if (n_threads > 0 && (st = sr_qwen3_set_threads(out->model, n_threads, err))) {
    sr_tokenizer_free(tok);
    sr_qwen3_free(out->model);
    out->model = NULL;
    return st;
  }
  out->tok = tok;
  return SR_OK;
}

sr_status cli_encode(const cli_model *m, const char *text, int32_t **ids, size_t *n, sr_error *err) {
  return sr_tokenizer_encode(m->tok, text, strlen(text), ids, n, err);
}

void cli_model_free(cli_model *m) {
  sr_tokenizer_free(m->tok);
  sr_qwen3_free(m->model);
  memset(m, 0, sizeof *m);
}
