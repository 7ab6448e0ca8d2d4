/* gguf.c — GGUF v2/v3 files with llama.cpp's qwen3 naming and metadata.
 * Layout (little-endian): "GGUF", u32 version, u64 n_tensors, u64 n_kv; n_kv × {string key, u32 type,
 * value}; n_tensors × {string name, u32 n_dims, u64 ne[n_dims] (ne[0] innermost), u32 ggml type,
 * u64 offset}; padding to general.alignment (default 32); tensor data at the given offsets.
 * Strings are u64 length + bytes; arrays are u32 element type + u64 count + elements. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/weights.h"

enum { GT_U8, GT_I8, GT_U16, GT_I16, GT_U32, GT_I32, GT_F32, GT_BOOL, GT_STR, GT_ARR, GT_U64, GT_I64, GT_F64 };
enum { GGML_F32 = 0, GGML_F16 = 1, GGML_Q8_0 = 8, GGML_BF16 = 30 };

typedef struct cur {
  const unsigned char *p;
  size_t len, pos;
  bool bad;   /* ran past the end */
} cur;

static const void *take(cur *c, size_t n) {
  if (c->bad || n > c->len - c->pos) {
    c->bad = true;
    return NULL;
  }
  const void *r = c->p + c->pos;
  c->pos += n;
  return r;
}
static uint64_t rd_u(cur *c, size_t n) {
  const unsigned char *b = take(c, n);
  uint64_t v = 0;
  for (size_t i = 0; b && i < n; i++) v |= (uint64_t)b[i] << (8 * i);
  return v;
}
static size_t scalar_size(uint32_t t) {
  static const size_t S[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  return t < sizeof S / sizeof S[0] ? S[t] : 0;
}

/* Reads a value of type t; numeric ones are returned in *num (floats converted), strings as (ptr,len). */
typedef struct gval {
  uint32_t type;
  double num;
  bool is_num;
  const char *str;
  size_t str_len;
  uint32_t arr_type;
  uint64_t arr_count;
} gval;

static bool read_value(cur *c, uint32_t t, gval *v, int depth) {
  v->type = t;
  v->is_num = false;
  if (t == GT_STR) {
    uint64_t n = rd_u(c, 8);
    v->str = take(c, (size_t)n);
    v->str_len = (size_t)n;
    return !c->bad && n <= c->len;
  }
  if (t == GT_ARR) {
    if (depth > 2) return false;
    v->arr_type = (uint32_t)rd_u(c, 4);
    v->arr_count = rd_u(c, 8);
    if (c->bad) return false;
    if (v->arr_type != GT_STR && v->arr_type != GT_ARR) {
      size_t sz = scalar_size(v->arr_type);
      if (!sz || v->arr_count > (c->len - c->pos) / sz) return false;
      take(c, sz * (size_t)v->arr_count);
      return !c->bad;
    }
    gval e;
    for (uint64_t i = 0; i < v->arr_count; i++)
      if (!read_value(c, v->arr_type, &e, depth + 1)) return false;
    return true;
  }
  size_t sz = scalar_size(t);
  if (!sz) return false;
  uint64_t u = rd_u(c, sz);
  v->is_num = true;
  switch (t) {
    case GT_I8: v->num = (int8_t)u; break;
    case GT_I16: v->num = (int16_t)u; break;
    case GT_I32: v->num = (int32_t)u; break;
    case GT_I64: v->num = (double)(int64_t)u; break;
    case GT_F32: { uint32_t b = (uint32_t)u; float f; memcpy(&f, &b, 4); v->num = f; break; }
    case GT_F64: { double d; memcpy(&d, &u, 8); v->num = d; break; }
    default: v->num = (double)u; break;
  }
  return !c->bad;
}

static const char *ggml_type_name(uint32_t t) {
  static const char *N[] = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
                            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"};
  if (t < sizeof N / sizeof N[0]) return N[t];
  return t == GGML_BF16 ? "BF16" : "type";
}

static bool key_is(const char *k, size_t kl, const char *arch, const char *suffix) {
  size_t al = strlen(arch), sl = strlen(suffix);
  return kl == al + 1 + sl && !memcmp(k, arch, al) && k[al] == '.' && !memcmp(k + al + 1, suffix, sl);
}

sr_status sr_qwen3_read_gguf(const char *path, sr_qwen3 *m, sr_wtable *tab, int *gguf_vocab, sr_error *err) {
  sr_map map;
  sr_status st = sr_map_file(path, &map, err);
  if (st) return st;
  if ((st = sr_qwen3_add_map(m, &map, path, &path, err))) return st;
  cur c = {map.data, map.len, 0, false};
  const unsigned char *magic = take(&c, 4);
  if (!magic || memcmp(magic, "GGUF", 4)) return sr_fail(err, SR_ERR_FORMAT, "%s: not a GGUF file (bad magic)", path);
  uint32_t version = (uint32_t)rd_u(&c, 4);
  uint64_t n_tensors = rd_u(&c, 8), n_kv = rd_u(&c, 8);
  if (c.bad) return sr_fail(err, SR_ERR_CORRUPT, "%s: truncated GGUF header", path);
  if (version != 2 && version != 3) return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: GGUF version %u not supported (need 3)", path, version);
  if (n_tensors > map.len / 24 || n_kv > map.len / 12) return sr_fail(err, SR_ERR_CORRUPT, "%s: implausible GGUF counts", path);
  sr_qwen3_config *cfg = &m->cfg;
  char arch[64] = "";
  double key_len = 0, alignment = 32, theta = 10000, eps = 1e-6;
  int tok_count = 0;
  cfg->rope_theta = 0;
  /* First pass for the architecture name: it decides which keys are ours. */
  size_t kv_start = c.pos;
  for (int pass = 0; pass < 2; pass++) {
    c.pos = kv_start;
    for (uint64_t i = 0; i < n_kv; i++) {
      uint64_t kl = rd_u(&c, 8);
      const char *k = take(&c, (size_t)kl);
      uint32_t t = (uint32_t)rd_u(&c, 4);
      gval v;
      if (!k || !read_value(&c, t, &v, 0)) return sr_fail(err, SR_ERR_CORRUPT, "%s: truncated or bad metadata (key %llu of %llu, byte %zu)", path, (unsigned long long)i, (unsigned long long)n_kv, c.pos);
      if (pass == 0) {
        if (kl == 20 && !memcmp(k, "general.architecture", 20) && t == GT_STR)
          snprintf(arch, sizeof arch, "%.*s", (int)(v.str_len < 63 ? v.str_len : 63), v.str);
        continue;
      }
      if (kl == 17 && !memcmp(k, "general.alignment", 17) && v.is_num) alignment = v.num;
      if (kl == 21 && !memcmp(k, "tokenizer.ggml.tokens", 21) && t == GT_ARR) tok_count = (int)v.arr_count;
      if (!v.is_num) continue;
      if (key_is(k, kl, arch, "block_count")) cfg->n_layers = (int)v.num;
      else if (key_is(k, kl, arch, "embedding_length")) cfg->dim = (int)v.num;
      else if (key_is(k, kl, arch, "feed_forward_length")) cfg->ffn_dim = (int)v.num;
      else if (key_is(k, kl, arch, "attention.head_count")) cfg->n_heads = (int)v.num;
      else if (key_is(k, kl, arch, "attention.head_count_kv")) cfg->n_kv_heads = (int)v.num;
      else if (key_is(k, kl, arch, "attention.key_length")) key_len = v.num;
      else if (key_is(k, kl, arch, "attention.layer_norm_rms_epsilon")) eps = v.num;
      else if (key_is(k, kl, arch, "rope.freq_base")) theta = v.num;
      else if (key_is(k, kl, arch, "context_length")) cfg->max_pos = (int)v.num;
      else if (key_is(k, kl, arch, "vocab_size")) *gguf_vocab = (int)v.num;
    }
    if (pass == 0 && strcmp(arch, "qwen3"))
      return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: unknown architecture '%s' (need general.architecture \"qwen3\")", path,
                     arch[0] ? arch : "(none)");
  }
  if (!cfg->n_kv_heads) cfg->n_kv_heads = cfg->n_heads;
  cfg->head_dim = key_len > 0 ? (int)key_len : (cfg->n_heads > 0 ? cfg->dim / cfg->n_heads : 0);
  cfg->rms_eps = (float)eps;
  cfg->rope_theta = (float)theta;
  if ((st = sr_qwen3_check_config(cfg, path, err))) return st;
  if (!(alignment >= 1) || alignment > 65536 || fmod(alignment, 1) != 0)
    return sr_fail(err, SR_ERR_CORRUPT, "%s: bad general.alignment", path);
  /* Tensor infos. */
  sr_wentry *ents = calloc(n_tensors ? (size_t)n_tensors : 1, sizeof *ents);
  uint64_t *offs = calloc(n_tensors ? (size_t)n_tensors : 1, sizeof *offs);
  char (*names)[256] = calloc(n_tensors ? (size_t)n_tensors : 1, 256);
  if (!ents || !offs || !names) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  for (uint64_t i = 0; !st && i < n_tensors; i++) {
    uint64_t nl = rd_u(&c, 8);
    const char *nm = take(&c, (size_t)nl);
    uint32_t nd = (uint32_t)rd_u(&c, 4);
    if (c.bad || nl >= 256 || nd == 0 || nd > SR_WEIGHT_MAX_DIMS) {
      st = sr_fail(err, SR_ERR_CORRUPT, "%s: truncated or bad tensor info %llu (byte %zu)", path, (unsigned long long)i, c.pos);
      break;
    }
    memcpy(names[i], nm, (size_t)nl);
    sr_wentry *e = &ents[i];
    e->name = names[i];
    e->file = path;
    e->ndim = (int)nd;
    for (uint32_t k = 0; k < nd; k++) e->shape[nd - 1 - k] = (int64_t)rd_u(&c, 8);   /* reverse: outer first */
    uint32_t gt = (uint32_t)rd_u(&c, 4);
    offs[i] = rd_u(&c, 8);
    if (c.bad) {
      st = sr_fail(err, SR_ERR_CORRUPT, "%s: truncated tensor info for '%s'", path, names[i]);
      break;
    }
    snprintf(e->dtype_name, sizeof e->dtype_name, "%s", ggml_type_name(gt));
    e->dtype = gt == GGML_F32 ? SR_DTYPE_F32 : gt == GGML_F16 ? SR_DTYPE_F16 : gt == GGML_BF16 ? SR_DTYPE_BF16
             : gt == GGML_Q8_0 ? SR_DTYPE_Q8_0 : -1;
  }
  size_t a = (size_t)alignment;
  size_t data_start = (c.pos + a - 1) / a * a;
  for (uint64_t i = 0; !st && i < n_tensors; i++) {
    sr_wentry *e = &ents[i];
    if (e->dtype >= 0) {
      int64_t cols = e->shape[e->ndim - 1], rows = 1;
      for (int k = 0; k < e->ndim - 1; k++) rows *= e->shape[k];
      if (e->dtype == SR_DTYPE_Q8_0 && cols % SR_Q8_0_BLOCK) {
        st = sr_fail(err, SR_ERR_CORRUPT, "%s: Q8_0 tensor '%s' row of %lld is not a multiple of 32", path, e->name, (long long)cols);
        break;
      }
      double bytes = (double)sr_dtype_row_bytes((sr_dtype)e->dtype, cols) * (double)rows;
      if (data_start > map.len || (double)offs[i] + bytes > (double)(map.len - data_start)) {
        st = sr_fail(err, SR_ERR_CORRUPT, "%s: truncated: tensor '%s' (%.0f bytes at data offset %llu) runs past the end (file %zu bytes)",
                     path, e->name, bytes, (unsigned long long)offs[i], map.len);
        break;
      }
      e->data = map.data + data_start + offs[i];
    }
    st = sr_wtable_add(tab, e, err);
  }
  if (!st && tok_count > 0) {   /* checked against the embedding rows once they are known */
    const sr_wentry *emb = sr_wtable_get(tab, "token_embd.weight");
    if (emb && emb->ndim == 2 && tok_count > emb->shape[0])
      st = sr_fail(err, SR_ERR_FORMAT, "%s: vocab mismatch: %d tokenizer tokens but token_embd.weight has %lld rows", path,
                   tok_count, (long long)emb->shape[0]);
  }
  free(ents);
  free(offs);
  free(names);
  return st;
}
