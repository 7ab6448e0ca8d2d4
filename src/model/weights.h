/* weights.h — internal to src/model: a table of named tensors found in mapped files, filled by the
 * safetensors and GGUF readers and consumed by the Qwen3 assembler (qwen3_load.c). */
#ifndef SR_MODEL_WEIGHTS_H
#define SR_MODEL_WEIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/qwen3.h"
#include "util/hash.h"

#define SR_WEIGHT_MAX_DIMS 4

typedef struct sr_wentry {
  char *name;                        /* owned; key of the table's index */
  const void *data;                  /* into a mapping owned by the model */
  int dtype;                         /* an sr_dtype, or -1 when the file's type is unsupported */
  char dtype_name[16];               /* the file's own name for its type (for messages) */
  int ndim;
  int64_t shape[SR_WEIGHT_MAX_DIMS]; /* outermost first (PyTorch order; GGUF dims are reversed) */
  const char *file;                  /* borrowed path of the file it came from */
} sr_wentry;

typedef struct sr_wtable {
  sr_wentry *e;
  size_t n, cap;
  sr_strmap index;                   /* name -> position in e */
} sr_wtable;

/* Adds an entry (name copied). SR_ERR_CORRUPT on a duplicate name, SR_ERR_NOMEM. */
sr_status sr_wtable_add(sr_wtable *t, const sr_wentry *e, sr_error *err);
const sr_wentry *sr_wtable_get(const sr_wtable *t, const char *name);
void sr_wtable_free(sr_wtable *t);

/* Adds one mapped file to the model (takes ownership of *map; on failure closes it). *stable_path
 * gets the model's own copy of `path`, valid until sr_qwen3_free. */
sr_status sr_qwen3_add_map(sr_qwen3 *m, sr_map *map, const char *path, const char **stable_path, sr_error *err);

/* Readers: parse the config and the tensor table of a HF directory / GGUF file into m->cfg (vocab,
 * tied unset) and `tab`, mapping files into m. `tensor_names` selects the naming scheme used by
 * sr_qwen3_assemble: 0 = Hugging Face, 1 = GGUF/llama.cpp. */
sr_status sr_qwen3_read_hf(const char *dir, sr_qwen3 *m, sr_wtable *tab, int *hf_vocab, sr_error *err);
sr_status sr_qwen3_read_gguf(const char *path, sr_qwen3 *m, sr_wtable *tab, int *gguf_vocab,
                             sr_error *err);

/* Checks that cfg is self-consistent (positive sizes, divisibility, even head_dim). */
sr_status sr_qwen3_check_config(const sr_qwen3_config *c, const char *src, sr_error *err);

#endif
