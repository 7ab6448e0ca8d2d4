/* cli_model.h — shared by `skillrouter embed` and `skillrouter rerank`: option parsing for the model
 * path and loading of the model with its tokenizer. */
#ifndef SR_CLI_MODEL_H
#define SR_CLI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/qwen3.h"
#include "model/tokenizer.h"
#include "util/status.h"

typedef struct cli_model {
  sr_qwen3 *model;
  sr_tokenizer *tok;
} cli_model;

/* Loads the model at model_path and the tokenizer from tok_dir (NULL: the model directory, or the
 * directory holding a .gguf file). n_threads <= 0 keeps the default. */
sr_status cli_model_load(const char *model_path, const char *tok_dir, int n_threads, cli_model *out, sr_error *err);
/* Encodes NUL-terminated text; *ids malloc'd (free()). */
sr_status cli_encode(const cli_model *m, const char *text, int32_t **ids, size_t *n, sr_error *err);
void cli_model_free(cli_model *m);

#endif
