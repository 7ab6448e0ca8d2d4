/* safetensors.c — Hugging Face model directories: config.json and model.safetensors, or
 * model.safetensors.index.json with shards. A safetensors file is an 8-byte little-endian header length
 * N, N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}
 * and the data, offsets relative to byte 8 + N. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/weights.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define INDEX_MAX_BYTES (64u << 20)

static int json_int(const cJSON *o, const char *key, int dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) && v->valuedouble >= INT_MIN && v->valuedouble <= INT_MAX ? (int)v->valuedouble : dflt;
}

static sr_status parse_config_file(const char *path, sr_qwen3_config *c, int *vocab, sr_error *err) {
  char *text = NULL;
  size_t len = 0;
  sr_status st = sr_read_file(path, CONFIG_MAX_BYTES, &text, &len, err);
  if (st) return st;
  cJSON *j = cJSON_ParseWithLength(text, len);
  free(text);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return sr_fail(err, SR_ERR_FORMAT, "%s: not a JSON object", path);
  }
  const cJSON *mt = cJSON_GetObjectItemCaseSensitive(j, "model_type");
  const cJSON *arch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "architectures"), 0);
  bool qwen3 = cJSON_IsString(mt) ? !strcmp(mt->valuestring, "qwen3")
                                   : cJSON_IsString(arch) && !strncmp(arch->valuestring, "Qwen3", 5) &&
                                         !strstr(arch->valuestring, "Moe");
  if (!qwen3) {
    st = sr_fail(err, SR_ERR_UNSUPPORTED, "%s: unknown architecture '%s' (need model_type \"qwen3\")", path,
                 cJSON_IsString(mt) ? mt->valuestring : cJSON_IsString(arch) ? arch->valuestring : "(none)");
    cJSON_Delete(j);
    return st;
  }
  c->n_layers = json_int(j, "num_hidden_layers", 0);
  c->dim = json_int(j, "hidden_size", 0);
  c->n_heads = json_int(j, "num_attention_heads", 0);
  c->n_kv_heads = json_int(j, "num_key_value_heads", c->n_heads);
  c->head_dim = json_int(j, "head_dim", c->n_heads > 0 ? c->dim / c->n_heads : 0);
  c->ffn_dim = json_int(j, "intermediate_size", 0);
  c->max_pos = json_int(j, "max_position_embeddings", 0);
  *vocab = json_int(j, "vocab_size", 0);
  const cJSON *eps = cJSON_GetObjectItemCaseSensitive(j, "rms_norm_eps");
  c->rms_eps = cJSON_IsNumber(eps) ? (float)eps->valuedouble : 1e-6f;
  const cJSON *rp = cJSON_GetObjectItemCaseSensitive(j, "rope_parameters");
  const cJSON *theta = cJSON_GetObjectItemCaseSensitive(j, "rope_theta");
  if (!cJSON_IsNumber(theta) && cJSON_IsObject(rp)) theta = cJSON_GetObjectItemCaseSensitive(rp, "rope_theta");
  c->rope_theta = cJSON_IsNumber(theta) ? (float)theta->valuedouble : 1e6f;
  const cJSON *scaling = cJSON_GetObjectItemCaseSensitive(j, "rope_scaling");
  if (!scaling && cJSON_IsObject(rp)) scaling = rp;
  const cJSON *rtype = cJSON_IsObject(scaling) ? cJSON_GetObjectItemCaseSensitive(scaling, "rope_type") : NULL;
  if (!rtype && cJSON_IsObject(scaling)) rtype = cJSON_GetObjectItemCaseSensitive(scaling, "type");
  const cJSON *act = cJSON_GetObjectItemCaseSensitive(j, "hidden_act");
  const cJSON *bias = cJSON_GetObjectItemCaseSensitive(j, "attention_bias");
  if (cJSON_IsObject(scaling) && !(cJSON_IsString(rtype) && !strcmp(rtype->valuestring, "default")))
    st = sr_fail(err, SR_ERR_UNSUPPORTED, "%s: rope scaling '%s' is not supported", path,
                 cJSON_IsString(rtype) ? rtype->valuestring : "?");
  else if (cJSON_IsString(act) && strcmp(act->valuestring, "silu"))
    st = sr_fail(err, SR_ERR_UNSUPPORTED, "%s: hidden_act '%s' is not supported (need silu)", path, act->valuestring);
  else if (cJSON_IsTrue(bias))
    st = sr_fail(err, SR_ERR_UNSUPPORTED, "%s: attention_bias true is not supported", path);
  cJSON_Delete(j);
  if (!st) st = sr_qwen3_check_config(c, path, err);
  return st;
}

static sr_status parse_config(const char *dir, sr_qwen3_config *c, int *vocab, sr_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  return parse_config_file(path, c, vocab, err);
}

sr_status sr_qwen3_read_config(const char *path, sr_qwen3_config *cfg, sr_error *err) {
  sr_qwen3_config c = {0};
  int vocab = 0;
  sr_status st = parse_config_file(path, &c, &vocab, err);
  if (st) return st;
  if (vocab <= 0) return sr_fail(err, SR_ERR_FORMAT, "%s: no positive vocab_size", path);
  c.vocab = vocab;
  c.tied = true;
  *cfg = c;
  return SR_OK;
}

static int dtype_from_name(const char *s) {
  if (!strcmp(s, "F32")) return SR_DTYPE_F32;
  if (!strcmp(s, "F16")) return SR_DTYPE_F16;
  if (!strcmp(s, "BF16")) return SR_DTYPE_BF16;
  return -1;
}

static size_t dtype_size_by_name(const char *s) {
  static const struct { const char *n; size_t sz; } T[] = {
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1},
      {"U8", 1}, {"BOOL", 1}, {"U16", 2}, {"U32", 4}, {"U64", 8}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
    if (!strcmp(s, T[i].n)) return T[i].sz;
  return 0;
}

/* Maps one safetensors file into m and adds its tensors to tab. */
static sr_status read_safetensors(const char *path, sr_qwen3 *m, sr_wtable *tab, sr_error *err) {
  sr_map map;
  sr_status st = sr_map_file(path, &map, err);
  if (st) return st;
  if ((st = sr_qwen3_add_map(m, &map, path, &path, err))) return st;
  const unsigned char *p = map.data;
  if (map.len < 8) return sr_fail(err, SR_ERR_CORRUPT, "%s: truncated (%zu bytes, no header)", path, map.len);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
  if (hlen > map.len - 8)
    return sr_fail(err, SR_ERR_CORRUPT, "%s: truncated or not safetensors (header of %llu bytes, file %zu)", path,
                   (unsigned long long)hlen, map.len);
  cJSON *j = cJSON_ParseWithLength((const char *)p + 8, (size_t)hlen);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return sr_fail(err, SR_ERR_CORRUPT, "%s: header is not a JSON object (not a safetensors file?)", path);
  }
  const unsigned char *data = p + 8 + hlen;
  size_t data_len = map.len - 8 - (size_t)hlen;
  const cJSON *it;
  cJSON_ArrayForEach(it, j) {
    if (!strcmp(it->string, "__metadata__")) continue;
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(it, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
    int nd = cJSON_GetArraySize(shape);
    if (!cJSON_IsString(dt) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        nd > SR_WEIGHT_MAX_DIMS || strlen(it->string) > 200) {
      st = sr_fail(err, SR_ERR_CORRUPT, "%s: bad header entry for tensor '%.200s'", path, it->string);
      break;
    }
    sr_wentry e = {.name = it->string, .dtype = dtype_from_name(dt->valuestring), .ndim = nd, .file = path};
    snprintf(e.dtype_name, sizeof e.dtype_name, "%s", dt->valuestring);
    double numel = 1;
    for (int i = 0; i < nd; i++) {
      const cJSON *s = cJSON_GetArrayItem(shape, i);
      if (!cJSON_IsNumber(s) || s->valuedouble < 0) numel = -1;
      e.shape[i] = cJSON_IsNumber(s) ? (int64_t)s->valuedouble : -1;
      numel *= (double)e.shape[i];
    }
    double b = cJSON_GetArrayItem(offs, 0)->valuedouble, en = cJSON_GetArrayItem(offs, 1)->valuedouble;
    size_t esz = dtype_size_by_name(dt->valuestring);
    if (numel < 0 || b < 0 || en < b || (esz && en - b != numel * (double)esz)) {
      st = sr_fail(err, SR_ERR_CORRUPT, "%s: tensor '%s': data_offsets [%.0f, %.0f] do not fit shape and dtype %s",
                   path, it->string, b, en, dt->valuestring);
      break;
    }
    if (en > (double)data_len) {
      st = sr_fail(err, SR_ERR_CORRUPT, "%s: truncated: tensor '%s' ends at byte %.0f of the data, which has %zu",
                   path, it->string, en, data_len);
      break;
    }
    e.data = data + (size_t)b;
    if ((st = sr_wtable_add(tab, &e, err))) break;
  }
  cJSON_Delete(j);
  return st;
}

static sr_status read_index(const char *dir, sr_qwen3 *m, sr_wtable *tab, sr_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
  char *text = NULL;
  size_t len = 0;
  sr_status st = sr_read_file(path, INDEX_MAX_BYTES, &text, &len, err);
  if (st) return st;
  cJSON *j = cJSON_ParseWithLength(text, len);
  free(text);
  const cJSON *wm = cJSON_GetObjectItemCaseSensitive(j, "weight_map");
  if (!cJSON_IsObject(wm)) {
    cJSON_Delete(j);
    return sr_fail(err, SR_ERR_FORMAT, "%s: no \"weight_map\" object", path);
  }
  /* Each distinct shard once, in order of first mention. */
  const cJSON *it;
  char **done = NULL;
  size_t n_done = 0;
  cJSON_ArrayForEach(it, wm) {
    if (!cJSON_IsString(it) || strchr(it->valuestring, '/')) {
      st = sr_fail(err, SR_ERR_FORMAT, "%s: bad shard name for '%s'", path, it->string);
      break;
    }
    bool seen = false;
    for (size_t i = 0; i < n_done && !seen; i++) seen = !strcmp(done[i], it->valuestring);
    if (seen) continue;
    char **nd = realloc(done, (n_done + 1) * sizeof *nd);
    if (!nd) {
      st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
      break;
    }
    done = nd;
    done[n_done++] = it->valuestring;
    char shard[4096];
    snprintf(shard, sizeof shard, "%s/%s", dir, it->valuestring);
    if ((st = read_safetensors(shard, m, tab, err))) break;
  }
  if (!st) {   /* every listed tensor must be in the shard the index names */
    cJSON_ArrayForEach(it, wm) {
      if (!sr_wtable_get(tab, it->string)) {
        st = sr_fail(err, SR_ERR_NOT_FOUND, "%s: tensor '%s' listed for %s is not in that file", path, it->string,
                     it->valuestring);
        break;
      }
    }
  }
  free(done);
  cJSON_Delete(j);
  return st;
}

sr_status sr_qwen3_read_hf(const char *dir, sr_qwen3 *m, sr_wtable *tab, int *hf_vocab, sr_error *err) {
  sr_status st = parse_config(dir, &m->cfg, hf_vocab, err);
  if (st) return st;
  char path[4096];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  FILE *f = fopen(path, "rb");
  if (f) {
    fclose(f);
    return read_safetensors(path, m, tab, err);
  }
  snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
  if ((f = fopen(path, "rb"))) {
    fclose(f);
    return read_index(dir, m, tab, err);
  }
  return sr_fail(err, SR_ERR_NOT_FOUND, "%s: neither model.safetensors nor model.safetensors.index.json found", dir);
}
