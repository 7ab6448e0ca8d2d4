/* qwen3_load.c — turns a table of named tensors into a validated sr_qwen3 (names, shapes, dtypes),
 * plus the load dispatch and sr_qwen3_free. The file readers are safetensors.c and gguf.c. */
#include <assert.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/qwen3_internal.h"
#include "model/weights.h"

sr_status sr_wtable_add(sr_wtable *t, const sr_wentry *e, sr_error *err) {
  if (sr_wtable_get(t, e->name)) return sr_fail(err, SR_ERR_CORRUPT, "%s: tensor '%s' appears twice", e->file, e->name);
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    sr_wentry *ne = realloc(t->e, cap * sizeof *ne);
    if (!ne) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
    t->e = ne;
    t->cap = cap;
  }
  char *name = strdup(e->name);
  if (!name) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (!sr_strmap_put(&t->index, name, strlen(name), (uint32_t)t->n, NULL, NULL)) {
    free(name);
    return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  }
  t->e[t->n] = *e;
  t->e[t->n].name = name;
  t->n++;
  return SR_OK;
}

const sr_wentry *sr_wtable_get(const sr_wtable *t, const char *name) {
  uint32_t i;
  if (!sr_strmap_get(&t->index, name, strlen(name), &i)) return NULL;
  return &t->e[i];
}

void sr_wtable_free(sr_wtable *t) {
  for (size_t i = 0; i < t->n; i++) free(t->e[i].name);
  free(t->e);
  sr_strmap_free(&t->index);
  memset(t, 0, sizeof *t);
}

sr_status sr_qwen3_add_map(sr_qwen3 *m, sr_map *map, const char *path, const char **stable_path, sr_error *err) {
  sr_map *nm = realloc(m->maps, (m->n_maps + 1) * sizeof *nm);
  if (nm) m->maps = nm;
  char **np = nm ? realloc(m->map_paths, (m->n_maps + 1) * sizeof *np) : NULL;
  if (np) m->map_paths = np;
  char *copy = np ? strdup(path) : NULL;
  if (!copy) {
    sr_map_close(map);
    return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  }
  m->maps[m->n_maps] = *map;
  m->map_paths[m->n_maps++] = copy;
  *stable_path = copy;
  return SR_OK;
}

sr_status sr_qwen3_check_config(const sr_qwen3_config *c, const char *src, sr_error *err) {
  if (c->n_layers <= 0 || c->dim <= 0 || c->n_heads <= 0 || c->n_kv_heads <= 0 || c->head_dim <= 0 ||
      c->ffn_dim <= 0)
    return sr_fail(err, SR_ERR_FORMAT, "%s: config has a missing or non-positive size (layers %d, hidden %d, heads %d, kv heads %d, head_dim %d, ffn %d)",
                   src, c->n_layers, c->dim, c->n_heads, c->n_kv_heads, c->head_dim, c->ffn_dim);
  if (c->n_heads % c->n_kv_heads) return sr_fail(err, SR_ERR_FORMAT, "%s: %d heads not a multiple of %d kv heads", src, c->n_heads, c->n_kv_heads);
  if (c->head_dim % 2) return sr_fail(err, SR_ERR_FORMAT, "%s: head_dim %d is odd", src, c->head_dim);
  if (!(c->rms_eps > 0) || !(c->rope_theta > 0)) return sr_fail(err, SR_ERR_FORMAT, "%s: bad rms_norm_eps or rope_theta", src);
  return SR_OK;
}

/* Looks up the tensor `name` (HF: also with the "model." prefix) and checks its shape
 * [rows, cols] (rows = 0: a vector of cols) and dtype. */
static sr_status get_tensor(const sr_wtable *tab, bool hf, const char *name, int64_t rows, int64_t cols,
                            bool optional, const sr_wentry **out, sr_error *err) {
  const sr_wentry *e = NULL;
  char buf[256];
  if (hf) {
    snprintf(buf, sizeof buf, "model.%s", name);
    e = sr_wtable_get(tab, buf);
    if (!e) e = sr_wtable_get(tab, name);
  } else {
    e = sr_wtable_get(tab, name);
  }
  *out = e;
  if (!e) {
    if (optional) return SR_OK;
    return sr_fail(err, SR_ERR_NOT_FOUND, "missing tensor '%s%s'", hf ? "model." : "", name);
  }
  if (e->dtype < 0)
    return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: tensor '%s' has unsupported dtype %s (need F32, F16, BF16 or Q8_0)",
                   e->file, e->name, e->dtype_name);
  bool ok = rows ? (e->ndim == 2 && e->shape[0] == rows && e->shape[1] == cols) : (e->ndim == 1 && e->shape[0] == cols);
  if (rows == -1) ok = e->ndim == 2 && e->shape[1] == cols && e->shape[0] > 0;   /* any row count */
  if (!ok) {
    char got[96] = "";
    size_t at = 0;
    for (int i = 0; i < e->ndim && at < sizeof got - 24; i++)
      at += (size_t)snprintf(got + at, sizeof got - at, "%s%lld", i ? ", " : "", (long long)e->shape[i]);
    if (rows > 0)
      return sr_fail(err, SR_ERR_CORRUPT, "%s: tensor '%s' has shape [%s], config needs [%lld, %lld]", e->file,
                     e->name, got, (long long)rows, (long long)cols);
    if (rows == -1)
      return sr_fail(err, SR_ERR_CORRUPT, "%s: tensor '%s' has shape [%s], config needs [vocab, %lld]", e->file,
                     e->name, got, (long long)cols);
    return sr_fail(err, SR_ERR_CORRUPT, "%s: tensor '%s' has shape [%s], config needs [%lld]", e->file, e->name,
                   got, (long long)cols);
  }
  if (e->dtype == SR_DTYPE_Q8_0 && (e->shape[e->ndim - 1] % SR_Q8_0_BLOCK))
    return sr_fail(err, SR_ERR_CORRUPT, "%s: Q8_0 tensor '%s' row length is not a multiple of 32", e->file, e->name);
  return SR_OK;
}

static sr_tensor as_tensor(const sr_wentry *e) {
  sr_tensor t = {e->data, (sr_dtype)e->dtype, e->ndim == 2 ? e->shape[0] : 1, e->shape[e->ndim - 1]};
  return t;
}

static sr_status get_matrix(const sr_wtable *tab, bool hf, const char *name, int64_t rows, int64_t cols,
                            sr_tensor *out, sr_error *err) {
  const sr_wentry *e;
  sr_status st = get_tensor(tab, hf, name, rows, cols, false, &e, err);
  if (st) return st;
  *out = as_tensor(e);
  return SR_OK;
}

static sr_status get_vector(const sr_wtable *tab, bool hf, const char *name, int64_t n, float **out, sr_error *err) {
  const sr_wentry *e;
  sr_status st = get_tensor(tab, hf, name, 0, n, false, &e, err);
  if (st) return st;
  if (e->dtype == SR_DTYPE_Q8_0 && n % SR_Q8_0_BLOCK)
    return sr_fail(err, SR_ERR_CORRUPT, "%s: Q8_0 vector '%s'", e->file, e->name);
  float *v = malloc(sizeof(float) * (size_t)n);
  if (!v) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  sr_tensor t = as_tensor(e);
  sr_tensor_row_f32(&t, 0, v);
  *out = v;
  return SR_OK;
}

/* Fills embed/heads/layers of m from tab, validating everything against m->cfg. */
static sr_status assemble(sr_qwen3 *m, const sr_wtable *tab, bool hf, int file_vocab, sr_error *err) {
  sr_qwen3_config *c = &m->cfg;
  const int64_t D = c->dim, d = c->head_dim, F = c->ffn_dim, q = (int64_t)c->n_heads * d,
                kv = (int64_t)c->n_kv_heads * d;
  const sr_wentry *e;
  sr_status st = get_tensor(tab, hf, hf ? "embed_tokens.weight" : "token_embd.weight", -1, D, false, &e, err);
  if (st) return st;
  m->embed = as_tensor(e);
  if (m->embed.rows > INT32_MAX) return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: vocab too large", e->file);
  c->vocab = (int)m->embed.rows;
  if (file_vocab > 0 && file_vocab != c->vocab)
    return sr_fail(err, SR_ERR_FORMAT, "%s: vocab mismatch: config says %d tokens, '%s' has %d rows", m->source,
                   file_vocab, e->name, c->vocab);
  const sr_wentry *head = NULL;
  if (hf) {
    head = sr_wtable_get(tab, "lm_head.weight");
    if (head) st = get_tensor(tab, false, "lm_head.weight", -1, D, false, &head, err);
  } else {
    st = get_tensor(tab, false, "output.weight", -1, D, true, &head, err);
  }
  if (st) return st;
  if (head && head->shape[0] != c->vocab)
    return sr_fail(err, SR_ERR_FORMAT, "%s: vocab mismatch: '%s' has %lld rows, embeddings %d", head->file, head->name,
                   (long long)head->shape[0], c->vocab);
  c->tied = head == NULL;
  m->lm_head = head ? as_tensor(head) : m->embed;
  if ((st = get_vector(tab, hf, hf ? "norm.weight" : "output_norm.weight", D, &m->final_norm, err))) return st;
  m->layers = calloc((size_t)c->n_layers, sizeof *m->layers);
  if (!m->layers) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  for (int i = 0; i < c->n_layers; i++) {
    sr_qwen3_layer *l = &m->layers[i];
    char n[128];
#define NAME(hfn, gn) (snprintf(n, sizeof n, hf ? "layers.%d." hfn : "blk.%d." gn, i), n)
    if ((st = get_vector(tab, hf, NAME("input_layernorm.weight", "attn_norm.weight"), D, &l->attn_norm, err)) ||
        (st = get_vector(tab, hf, NAME("self_attn.q_norm.weight", "attn_q_norm.weight"), d, &l->q_norm, err)) ||
        (st = get_vector(tab, hf, NAME("self_attn.k_norm.weight", "attn_k_norm.weight"), d, &l->k_norm, err)) ||
        (st = get_vector(tab, hf, NAME("post_attention_layernorm.weight", "ffn_norm.weight"), D, &l->ffn_norm, err)) ||
        (st = get_matrix(tab, hf, NAME("self_attn.q_proj.weight", "attn_q.weight"), q, D, &l->wq, err)) ||
        (st = get_matrix(tab, hf, NAME("self_attn.k_proj.weight", "attn_k.weight"), kv, D, &l->wk, err)) ||
        (st = get_matrix(tab, hf, NAME("self_attn.v_proj.weight", "attn_v.weight"), kv, D, &l->wv, err)) ||
        (st = get_matrix(tab, hf, NAME("self_attn.o_proj.weight", "attn_output.weight"), D, q, &l->wo, err)) ||
        (st = get_matrix(tab, hf, NAME("mlp.gate_proj.weight", "ffn_gate.weight"), F, D, &l->w_gate, err)) ||
        (st = get_matrix(tab, hf, NAME("mlp.up_proj.weight", "ffn_up.weight"), F, D, &l->w_up, err)) ||
        (st = get_matrix(tab, hf, NAME("mlp.down_proj.weight", "ffn_down.weight"), D, F, &l->w_down, err)))
      return st;
#undef NAME
  }
  return SR_OK;
}

/* A directory holding exactly one *.gguf file: its path (malloc'd) in *out, else NULL. */
static char *single_gguf_in(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp) return NULL;
  char *found = NULL;
  int count = 0;
  struct dirent *de;
  while ((de = readdir(dp))) {
    if (!sr_has_suffix(de->d_name, ".gguf")) continue;
    if (++count == 1) {
      size_t len = strlen(dir) + strlen(de->d_name) + 2;
      found = malloc(len);
      if (found) snprintf(found, len, "%s/%s", dir, de->d_name);
    }
  }
  closedir(dp);
  if (count != 1) {
    free(found);
    return NULL;
  }
  return found;
}

sr_status sr_qwen3_load(const char *path, sr_qwen3 **out, sr_error *err) {
  return sr_qwen3_load_opts(path, NULL, out, err);
}

sr_status sr_qwen3_load_opts(const char *path, const sr_qwen3_opts *opts, sr_qwen3 **out, sr_error *err) {
  assert(path && out);
  *out = NULL;
  sr_qwen3 *m = calloc(1, sizeof *m);
  if (!m) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  sr_wtable tab = {0};
  sr_status st = SR_OK;
  bool hf = false;
  int file_vocab = 0;
  char *gguf = NULL;
  if (sr_path_is_dir(path)) {
    char cfg[4096];
    snprintf(cfg, sizeof cfg, "%s/config.json", path);
    FILE *f = fopen(cfg, "rb");
    if (f) {
      fclose(f);
      hf = true;
    } else if (!(gguf = single_gguf_in(path))) {
      st = sr_fail(err, SR_ERR_NOT_FOUND, "%s: no config.json and no single .gguf file in the model directory", path);
    }
  } else {
    gguf = strdup(path);
    if (!gguf) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  }
  if (!st) {
    m->source = strdup(hf ? path : gguf);
    if (!m->source) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  }
  if (!st) st = hf ? sr_qwen3_read_hf(path, m, &tab, &file_vocab, err) : sr_qwen3_read_gguf(gguf, m, &tab, &file_vocab, err);
  if (!st) st = sr_qwen3_check_config(&m->cfg, m->source, err);
  if (!st && (st = assemble(m, &tab, hf, file_vocab, err))) {
    if (err && !strstr(err->msg, m->source)) sr_error_prefix(err, "%s", m->source);
  }
  if (!st && (st = sr_qwen3_finish(m, opts, err))) sr_error_prefix(err, "%s", m->source);
  sr_wtable_free(&tab);
  free(gguf);
  if (st) {
    sr_qwen3_free(m);
    return st;
  }
  *out = m;
  return SR_OK;
}

void sr_qwen3_free(sr_qwen3 *m) {
  if (!m) return;
  sr_qwen3_release_compute(m);
  free(m->owned_weights);
  if (m->layers) {
    for (int i = 0; i < m->cfg.n_layers; i++) {
      free(m->layers[i].attn_norm);
      free(m->layers[i].q_norm);
      free(m->layers[i].k_norm);
      free(m->layers[i].ffn_norm);
    }
    free(m->layers);
  }
  free(m->final_norm);
  free(m->rope_inv_freq);
  for (size_t i = 0; i < m->n_maps; i++) {
    sr_map_close(&m->maps[i]);
    free(m->map_paths[i]);
  }
  free(m->maps);
  free(m->map_paths);
  free(m->source);
  free(m);
}
