/* default_model.c — reading and writing the default model file. See default_model.h. */
#include "route/default_model.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "index/vectors.h"
#include "util/buf.h"
#include "util/fileio.h"

#define MODEL_MAGIC "SKRMODL1"
#define MODEL_VERSION 1u
#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define SEC_META TAG('M', 'E', 'T', 'A')
#define SEC_SENC TAG('S', 'E', 'N', 'C')
#define SEC_LTRN TAG('L', 'T', 'R', 'N')
#define SEC_TRST TAG('T', 'R', 'S', 'T')
#define TRST_HEAD 56u

typedef struct model_header {
  char magic[8];
  uint32_t version, n_sections;
  uint64_t table_offset, file_size;
  uint32_t table_crc;
  uint32_t body_crc;         /* crc32 of bytes [64, file_size): padding and gaps included */
  uint8_t reserved[24];      /* zero */
} model_header;   /* 64 bytes */

typedef struct model_section {
  uint32_t tag, crc;
  uint64_t offset, size;
} model_section;  /* 24 bytes */

_Static_assert(sizeof(model_header) == 64, "model header is 64 bytes");
_Static_assert(sizeof(model_section) == 24, "model section record is 24 bytes");

void sr_default_model_free(sr_default_model *m) {
  if (!m) return;
  sr_senc_free(&m->enc);
  sr_ltr_free(&m->rr);
  free(m->meta);
  memset(m, 0, sizeof *m);
}

static void pad64(sr_buf *b) {
  while (b->len % 64) sr_buf_putc(b, '\0');
}

/* Writes m, and the training state s when not NULL (a checkpoint). */
static sr_status save_model(const sr_default_model *m, const sr_train_state *s, const char *path, sr_error *err) {
  sr_buf b = SR_BUF_INIT;
  model_section sec[4];
  size_t ns = 0;
  model_header h;
  memset(&h, 0, sizeof h);
  sr_buf_append(&b, &h, sizeof h);
  /* META */
  const char *meta = m->meta ? m->meta : "{}";
  sec[ns] = (model_section){SEC_META, 0, b.len, strlen(meta)};
  sr_buf_append(&b, meta, strlen(meta));
  ns++;
  pad64(&b);
  /* SENC */
  size_t start = b.len;
  uint32_t u[2] = {m->enc.n_buckets, m->enc.dim};
  sr_buf_append(&b, u, sizeof u);
  sr_buf_append(&b, &m->enc.seed, sizeof m->enc.seed);
  sr_buf_append(&b, m->enc.field_weight, sizeof m->enc.field_weight);
  uint32_t zero = 0;
  sr_buf_append(&b, &zero, sizeof zero);
  size_t ne = (size_t)m->enc.n_buckets * m->enc.dim;
  if (!sr_buf_reserve(&b, ne * 2)) {
    sr_buf_free(&b);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  for (size_t i = 0; i < ne; i++) {
    uint16_t hv = sr_f32_to_f16(m->enc.emb[i]);
    sr_buf_append(&b, &hv, 2);
  }
  for (size_t i = 0; i < m->enc.n_buckets; i++) {
    uint16_t hv = sr_f32_to_f16(m->enc.idf[i]);
    sr_buf_append(&b, &hv, 2);
  }
  sec[ns++] = (model_section){SEC_SENC, 0, start, b.len - start};
  pad64(&b);
  /* LTRN */
  if (m->has_rr) {
    start = b.len;
    const sr_ltr *r = &m->rr;
    uint32_t v[2] = {r->n_feat, r->hidden};
    sr_buf_append(&b, v, sizeof v);
    sr_buf_append(&b, r->mean, r->n_feat * sizeof(float));
    sr_buf_append(&b, r->std, r->n_feat * sizeof(float));
    sr_buf_append(&b, r->w1, (size_t)r->hidden * r->n_feat * sizeof(float));
    sr_buf_append(&b, r->b1, r->hidden * sizeof(float));
    sr_buf_append(&b, r->w2, r->hidden * sizeof(float));
    sr_buf_append(&b, &r->b2, sizeof(float));
    sec[ns++] = (model_section){SEC_LTRN, 0, start, b.len - start};
    pad64(&b);
  }
  /* TRST */
  if (s) {
    assert(s->emb && s->adagrad && s->n_buckets == m->enc.n_buckets && s->dim == m->enc.dim);
    start = b.len;
    uint32_t v[4] = {s->epochs_done, s->n_buckets, s->dim, 0};
    sr_buf_append(&b, v, sizeof v);
    sr_buf_append(&b, &s->fingerprint, sizeof s->fingerprint);
    uint64_t counts[4] = {s->fn_same_name, s->fn_jaccard, s->fn_cosine, s->negatives_kept};
    sr_buf_append(&b, counts, sizeof counts);
    sr_buf_append(&b, s->emb, (size_t)s->n_buckets * s->dim * sizeof(float));
    sr_buf_append(&b, s->adagrad, (size_t)s->n_buckets * sizeof(float));
    sec[ns++] = (model_section){SEC_TRST, 0, start, b.len - start};
    pad64(&b);
  }
  for (size_t i = 0; i < ns; i++)
    sec[i].crc = (uint32_t)crc32(0L, (const Bytef *)b.data + sec[i].offset, (uInt)sec[i].size);
  uint64_t table = b.len;
  sr_buf_append(&b, sec, ns * sizeof *sec);
  memcpy(h.magic, MODEL_MAGIC, 8);
  h.version = MODEL_VERSION;
  h.n_sections = (uint32_t)ns;
  h.table_offset = table;
  h.file_size = b.len;
  h.table_crc = (uint32_t)crc32(0L, (const Bytef *)b.data + table, (uInt)(ns * sizeof *sec));
  if (b.data && b.len >= sizeof h) h.body_crc = (uint32_t)crc32(0L, (const Bytef *)b.data + sizeof h, (uInt)(b.len - sizeof h));
  if (!b.data || b.len < sizeof h) {
    sr_buf_free(&b);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  memcpy(b.data, &h, sizeof h);
  sr_status st = sr_write_file_atomic(path, b.data, b.len, err);
  sr_buf_free(&b);
  return st;
}

sr_status sr_default_model_save(const sr_default_model *m, const char *path, sr_error *err) {
  return save_model(m, NULL, path, err);
}

sr_status sr_default_model_save_checkpoint(const sr_default_model *m, const sr_train_state *s, const char *path,
                                           sr_error *err) {
  return save_model(m, s, path, err);
}

static sr_status corrupt(sr_error *err, const char *path, const char *what) {
  return sr_fail(err, SR_ERR_CORRUPT, "%s: not a valid skillrouter model: %s", path, what);
}

/* Maps path and checks its header, checksums and section table; on success the caller owns *map and
 * sec_out[0..*n_out) lists the sections (at most 16). */
static sr_status open_checked(const char *path, sr_map *map_out, model_section *sec_out, uint32_t *n_out,
                              uint32_t *table_crc, sr_error *err) {
  sr_map map;
  sr_status st = sr_map_file(path, &map, err);
  if (st != SR_OK) return st;
  const unsigned char *d = map.data;
  model_header h;
  if (map.len < sizeof h) {
    sr_map_close(&map);
    return corrupt(err, path, "file too short for the header");
  }
  memcpy(&h, d, sizeof h);
  if (memcmp(h.magic, MODEL_MAGIC, 8)) {
    sr_map_close(&map);
    return corrupt(err, path, "bad magic (expected SKRMODL1)");
  }
  if (h.version != MODEL_VERSION) {
    sr_map_close(&map);
    return sr_fail(err, SR_ERR_UNSUPPORTED, "%s: model format version %u is not supported (this build reads %u)",
                   path, h.version, MODEL_VERSION);
  }
  if (h.file_size != map.len || h.n_sections == 0 || h.n_sections > 16 || h.table_offset > map.len ||
      map.len - h.table_offset != (uint64_t)h.n_sections * sizeof(model_section)) {
    sr_map_close(&map);
    return corrupt(err, path, "truncated or inconsistent sizes");
  }
  for (size_t i = 0; i < sizeof h.reserved; i++)
    if (h.reserved[i]) {
      sr_map_close(&map);
      return corrupt(err, path, "reserved header bytes are not zero");
    }
  if ((uint32_t)crc32(0L, d + sizeof h, (uInt)(map.len - sizeof h)) != h.body_crc) {
    sr_map_close(&map);
    return corrupt(err, path, "checksum mismatch (the file is damaged)");
  }
  if ((uint32_t)crc32(0L, d + h.table_offset, (uInt)(h.n_sections * sizeof(model_section))) != h.table_crc) {
    sr_map_close(&map);
    return corrupt(err, path, "section table checksum mismatch");
  }
  for (uint32_t i = 0; i < h.n_sections; i++) {
    model_section s;
    memcpy(&s, d + h.table_offset + i * sizeof s, sizeof s);
    if (s.offset > h.table_offset || s.size > h.table_offset - s.offset) {
      sr_map_close(&map);
      return corrupt(err, path, "section out of bounds");
    }
    if ((uint32_t)crc32(0L, d + s.offset, (uInt)s.size) != s.crc) {
      sr_map_close(&map);
      char what[64];
      snprintf(what, sizeof what, "checksum mismatch in section %u", i);
      return corrupt(err, path, what);
    }
    sec_out[i] = s;
  }
  *n_out = h.n_sections;
  *table_crc = h.table_crc;
  *map_out = map;
  return SR_OK;
}

/* The section with this tag in a checked file, or NULL. */
static const unsigned char *find_section(const sr_map *map, const model_section *sec, uint32_t n, uint32_t tag,
                                         uint64_t *size) {
  for (uint32_t i = 0; i < n; i++)
    if (sec[i].tag == tag) {
      *size = sec[i].size;
      return (const unsigned char *)map->data + sec[i].offset;
    }
  *size = 0;
  return NULL;
}

/* Checks an encoder section's header; returns its n_buckets and dim. */
static bool senc_dims(const unsigned char *senc, uint64_t senc_n, uint32_t *n_buckets, uint32_t *dim) {
  if (!senc || senc_n < 32) return false;
  uint32_t u[2];
  memcpy(u, senc, sizeof u);
  if (!u[0] || (u[0] & (u[0] - 1)) || !u[1] || u[1] > 4096 || senc_n != 32 + (uint64_t)u[0] * u[1] * 2 + (uint64_t)u[0] * 2)
    return false;
  *n_buckets = u[0];
  *dim = u[1];
  return true;
}

sr_status sr_default_model_load(const char *path, sr_default_model *m, sr_error *err) {
  memset(m, 0, sizeof *m);
  sr_map map;
  model_section sec[16];
  uint32_t nsec = 0;
  uint32_t table_crc = 0;
  sr_status st = open_checked(path, &map, sec, &nsec, &table_crc, err);
  if (st != SR_OK) return st;
  uint64_t senc_n, ltrn_n, meta_n;
  const unsigned char *senc = find_section(&map, sec, nsec, SEC_SENC, &senc_n);
  const unsigned char *ltrn = find_section(&map, sec, nsec, SEC_LTRN, &ltrn_n);
  const unsigned char *meta = find_section(&map, sec, nsec, SEC_META, &meta_n);
  if (!senc || senc_n < 32) {
    sr_map_close(&map);
    return corrupt(err, path, "no encoder section");
  }
  uint32_t u[2];
  uint64_t seed;
  memcpy(&seed, senc + 8, 8);
  if (!senc_dims(senc, senc_n, &u[0], &u[1])) {
    sr_map_close(&map);
    return corrupt(err, path, "encoder section has bad dimensions");
  }
  m->enc.n_buckets = u[0];
  m->enc.dim = u[1];
  m->enc.seed = seed;
  memcpy(m->enc.field_weight, senc + 16, sizeof m->enc.field_weight);
  size_t ne = (size_t)u[0] * u[1];
  m->enc.emb = malloc(ne * sizeof *m->enc.emb);
  m->enc.idf = malloc((size_t)u[0] * sizeof *m->enc.idf);
  m->enc.owned = true;
  if (!m->enc.emb || !m->enc.idf) {
    sr_default_model_free(m);
    sr_map_close(&map);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  const unsigned char *e16 = senc + 32;
  for (size_t i = 0; i < ne; i++) {
    uint16_t hv;
    memcpy(&hv, e16 + 2 * i, 2);
    m->enc.emb[i] = sr_half_to_f32(hv);
  }
  for (size_t i = 0; i < u[0]; i++) {
    uint16_t hv;
    memcpy(&hv, e16 + 2 * ne + 2 * i, 2);
    m->enc.idf[i] = sr_half_to_f32(hv);
    if (!(m->enc.idf[i] >= 0) || isinf(m->enc.idf[i])) {
      sr_map_close(&map);
      sr_default_model_free(m);
      return corrupt(err, path, "encoder row weights are not finite and non-negative");
    }
  }
  if (ltrn) {
    uint32_t v[2];
    if (ltrn_n < 8) goto bad_ltr;
    memcpy(v, ltrn, sizeof v);
    if (v[0] < SR_LTR_NFEAT_V1 || v[0] > SR_LTR_NFEAT || !v[1] || v[1] > SR_LTR_MAX_HIDDEN ||
        ltrn_n != 8 + 4 * (2 * (uint64_t)v[0] + (uint64_t)v[1] * v[0] + 2 * (uint64_t)v[1] + 1))
      goto bad_ltr;
    if ((st = sr_ltr_init(&m->rr, v[1], v[0], 0, err)) != SR_OK) {
      sr_map_close(&map);
      sr_default_model_free(m);
      return st;
    }
    const unsigned char *p = ltrn + 8;
    memcpy(m->rr.mean, p, v[0] * 4), p += v[0] * 4;
    memcpy(m->rr.std, p, v[0] * 4), p += v[0] * 4;
    memcpy(m->rr.w1, p, (size_t)v[1] * v[0] * 4), p += (size_t)v[1] * v[0] * 4;
    memcpy(m->rr.b1, p, v[1] * 4), p += v[1] * 4;
    memcpy(m->rr.w2, p, v[1] * 4), p += v[1] * 4;
    memcpy(&m->rr.b2, p, 4);
    for (uint32_t f = 0; f < v[0]; f++)
      if (!(m->rr.std[f] > 0)) goto bad_ltr;
    m->has_rr = true;
  }
  if (meta) {
    m->meta = malloc(meta_n + 1);
    if (m->meta) {
      memcpy(m->meta, meta, meta_n);
      m->meta[meta_n] = '\0';
    }
  }
  snprintf(m->id, sizeof m->id, "skillrouter-default:%08x", table_crc);
  sr_map_close(&map);
  return SR_OK;
bad_ltr:
  sr_map_close(&map);
  sr_default_model_free(m);
  return corrupt(err, path, "reranker section has bad sizes or values");
}

void sr_train_state_free(sr_train_state *s) {
  if (!s) return;
  free(s->emb);
  free(s->adagrad);
  memset(s, 0, sizeof *s);
}

sr_status sr_train_state_read(const char *path, sr_train_state *s, sr_error *err) {
  memset(s, 0, sizeof *s);
  sr_map map;
  model_section sec[16];
  uint32_t nsec = 0;
  uint32_t table_crc;
  sr_status st = open_checked(path, &map, sec, &nsec, &table_crc, err);
  if (st != SR_OK) return st;
  uint64_t senc_n, trst_n;
  const unsigned char *senc = find_section(&map, sec, nsec, SEC_SENC, &senc_n);
  const unsigned char *trst = find_section(&map, sec, nsec, SEC_TRST, &trst_n);
  uint32_t nb, dim;
  if (!senc_dims(senc, senc_n, &nb, &dim)) {
    sr_map_close(&map);
    return corrupt(err, path, "encoder section missing or with bad dimensions");
  }
  if (!trst) {
    sr_map_close(&map);
    return sr_fail(err, SR_ERR_NOT_FOUND,
                   "%s: a model without training state (only files written by `train --checkpoint` can be resumed)",
                   path);
  }
  uint32_t v[4];
  if (trst_n < TRST_HEAD) goto bad;
  memcpy(v, trst, sizeof v);
  if (v[1] != nb || v[2] != dim || v[3] != 0 ||
      trst_n != TRST_HEAD + ((uint64_t)nb * dim + nb) * sizeof(float))
    goto bad;
  s->epochs_done = v[0];
  s->n_buckets = nb;
  s->dim = dim;
  memcpy(&s->fingerprint, trst + 16, 8);
  uint64_t counts[4];
  memcpy(counts, trst + 24, sizeof counts);
  s->fn_same_name = counts[0];
  s->fn_jaccard = counts[1];
  s->fn_cosine = counts[2];
  s->negatives_kept = counts[3];
  s->emb = malloc((size_t)nb * dim * sizeof *s->emb);
  s->adagrad = malloc((size_t)nb * sizeof *s->adagrad);
  if (!s->emb || !s->adagrad) {
    sr_train_state_free(s);
    sr_map_close(&map);
    return sr_fail(err, SR_ERR_NOMEM, "%s: out of memory", path);
  }
  memcpy(s->emb, trst + TRST_HEAD, (size_t)nb * dim * sizeof(float));
  memcpy(s->adagrad, trst + TRST_HEAD + (size_t)nb * dim * sizeof(float), (size_t)nb * sizeof(float));
  for (size_t i = 0; i < (size_t)nb * dim; i++)
    if (!isfinite(s->emb[i])) goto bad_free;
  for (size_t i = 0; i < nb; i++)
    if (!(s->adagrad[i] >= 0) || isinf(s->adagrad[i])) goto bad_free;
  sr_map_close(&map);
  return SR_OK;
bad_free:
  sr_train_state_free(s);
bad:
  sr_map_close(&map);
  return corrupt(err, path, "training state section has bad sizes or values");
}
