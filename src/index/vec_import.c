/* vec_import.c — precomputed embeddings into catalog order. See vectors.h (sr_vec_import). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/vectors.h"
#include "util/fileio.h"
#include "util/hash.h"

#define MAX_FILE ((size_t)1 << 36)

/* Calls fn(ctx, lineno, json object) per non-blank line of a JSONL file. */
typedef sr_status (*line_fn)(void *ctx, const char *path, size_t lineno, const cJSON *obj, sr_error *err);

static sr_status each_line(const char *path, line_fn fn, void *ctx, sr_error *err) {
  char *data = NULL;
  size_t len = 0;
  sr_status st = sr_read_file(path, MAX_FILE, &data, &len, err);
  if (st) return st;
  size_t lineno = 0;
  for (char *p = data, *end = data + len; p < end && st == SR_OK;) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    lineno++;
    size_t k = 0;
    while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r')) k++;
    if (k < n) {
      cJSON *o = cJSON_ParseWithLength(p, n);
      if (!o || !cJSON_IsObject(o)) st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: not a JSON object", path, lineno);
      else st = fn(ctx, path, lineno, o, err);
      cJSON_Delete(o);
    }
    p += n + 1;
  }
  free(data);
  return st;
}

typedef struct imp {
  const sr_catalog *cat;
  sr_strmap ids;           /* catalog id → entry */
  float *out;              /* [N * dim] once dim is known */
  bool *have;
  size_t dim, row;
  const float *npy;        /* rows of the .npy (ids mode) */
  size_t npy_rows;
} imp;

static sr_status put(imp *m, const char *path, size_t lineno, const char *id, const float *v, sr_error *err) {
  uint32_t e;
  if (!sr_strmap_get(&m->ids, id, strlen(id), &e)) return SR_OK;  /* not in the catalog: ignored */
  double n = 0;
  for (size_t k = 0; k < m->dim; k++) {
    if (!isfinite(v[k])) return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: non-finite vector value", path, lineno);
    n += (double)v[k] * v[k];
  }
  float inv = n > 0 ? (float)(1 / sqrt(n)) : 0;
  for (size_t k = 0; k < m->dim; k++) m->out[e * m->dim + k] = v[k] * inv;
  m->have[e] = true;
  return SR_OK;
}

static const char *get_id(const cJSON *o) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
  if (!cJSON_IsString(id)) id = cJSON_GetObjectItemCaseSensitive(o, "skill_id");
  return cJSON_IsString(id) ? id->valuestring : NULL;
}

static sr_status on_vec_line(void *ctx, const char *path, size_t lineno, const cJSON *o, sr_error *err) {
  imp *m = ctx;
  const char *id = get_id(o);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "vector");
  if (!id || !cJSON_IsArray(v)) return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: want {\"id\":..., \"vector\":[...]}", path, lineno);
  size_t d = (size_t)cJSON_GetArraySize(v);
  if (!m->out) {
    if (d == 0) return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: empty vector", path, lineno);
    m->dim = d;
    if (!(m->out = calloc(m->cat->n_entries ? m->cat->n_entries * d : 1, sizeof *m->out)))
      return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  }
  if (d != m->dim) return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: vector has %zu values, earlier ones %zu", path, lineno, d, m->dim);
  float *tmp = malloc(d * sizeof *tmp);
  if (!tmp) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  size_t k = 0;
  const cJSON *x;
  sr_status st = SR_OK;
  cJSON_ArrayForEach(x, v) {
    if (!cJSON_IsNumber(x)) { st = sr_fail(err, SR_ERR_FORMAT, "%s:%zu: vector value %zu is not a number", path, lineno, k); break; }
    tmp[k++] = (float)x->valuedouble;
  }
  if (!st) st = put(m, path, lineno, id, tmp, err);
  free(tmp);
  return st;
}

static sr_status on_id_line(void *ctx, const char *path, size_t lineno, const cJSON *o, sr_error *err) {
  imp *m = ctx;
  const char *id = get_id(o);
  if (!id) return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: no \"id\" or \"skill_id\"", path, lineno);
  if (m->row >= m->npy_rows) return sr_fail(err, SR_ERR_FORMAT, "%s:%zu: more ids than vector rows (%zu)", path, lineno, m->npy_rows);
  return put(m, path, lineno, id, m->npy + m->row++ * m->dim, err);
}

/* Parses a .npy v1/v2 header of a little-endian float32 C-order 2-D array. */
static sr_status npy_open(const char *path, const sr_map *mp, const float **rows, size_t *n, size_t *d, sr_error *err) {
  const unsigned char *p = mp->data;
  if (mp->len < 12 || memcmp(p, "\x93NUMPY", 6)) return sr_fail(err, SR_ERR_FORMAT, "%s: not a .npy file", path);
  size_t hl = p[6] == 1 ? (size_t)(p[8] | p[9] << 8) : (size_t)(p[8] | p[9] << 8 | p[10] << 16 | (size_t)p[11] << 24);
  size_t off = p[6] == 1 ? 10 : 12;
  if (off + hl > mp->len) return sr_fail(err, SR_ERR_FORMAT, "%s: truncated .npy header", path);
  char h[1024];
  snprintf(h, sizeof h, "%.*s", (int)(hl < sizeof h - 1 ? hl : sizeof h - 1), (const char *)p + off);
  const char *sh = strstr(h, "'shape':");
  unsigned long long a = 0, b = 0;
  if (!strstr(h, "'<f4'") || strstr(h, "'fortran_order': True") || !sh || sscanf(sh, "'shape': (%llu, %llu)", &a, &b) != 2 || !b)
    return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: want a float32 ('<f4') C-order array of shape (N, dim)", path);
  if ((mp->len - off - hl) / 4 / b < a) return sr_fail(err, SR_ERR_CORRUPT, "%s: truncated data (%llu x %llu floats)", path, a, b);
  *rows = (const float *)(p + off + hl);
  *n = a;
  *d = b;
  return SR_OK;
}

sr_status sr_vec_import(const sr_catalog *cat, const char *path, const char *ids_path, float **out, size_t *dim,
                        sr_error *err) {
  *out = NULL;
  size_t N = cat->n_entries;
  imp m = {.cat = cat, .ids = SR_STRMAP_INIT};
  sr_map mp = {0};
  sr_status st = SR_OK;
  if (!(m.have = calloc(N ? N : 1, sizeof *m.have))) return sr_fail(err, SR_ERR_NOMEM, "out of memory");
  for (size_t e = 0; e < N && st == SR_OK; e++)
    if (!sr_strmap_put(&m.ids, cat->entries[e].id, strlen(cat->entries[e].id), (uint32_t)e, NULL, NULL))
      st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
  if (st == SR_OK && ids_path) {
    st = sr_map_file(path, &mp, err);
    if (!st) st = npy_open(path, &mp, &m.npy, &m.npy_rows, &m.dim, err);
    if (!st && !(m.out = calloc(N ? N * m.dim : 1, sizeof *m.out))) st = sr_fail(err, SR_ERR_NOMEM, "out of memory");
    if (!st) st = each_line(ids_path, on_id_line, &m, err);
    if (!st && m.row != m.npy_rows)
      st = sr_fail(err, SR_ERR_FORMAT, "%s: %zu ids for %zu vector rows of %s", ids_path, m.row, m.npy_rows, path);
  } else if (st == SR_OK) {
    st = each_line(path, on_vec_line, &m, err);
    if (!st && !m.out) st = sr_fail(err, SR_ERR_FORMAT, "%s: no vectors", path);
  }
  for (size_t e = 0; e < N && st == SR_OK; e++)
    if (!m.have[e]) st = sr_fail(err, SR_ERR_NOT_FOUND, "%s: no vector for entry %s", path, cat->entries[e].id);
  sr_map_close(&mp);
  sr_strmap_free(&m.ids);
  free(m.have);
  if (st) { free(m.out); return st; }
  *out = m.out;
  *dim = m.dim;
  return SR_OK;
}
