/* vec_embed.c — embedding a catalog for the index, with reuse and resume. See vectors.h.
 *
 * Side file (INDEX.vecs.partial): a 256-byte header (magic "SRVPART1", u32 dim, desc_chars,
 * body_chars, reserved, model id) and then appended records {u64 id hash, u64 content hash,
 * f32 vector[dim], u32 crc32 of the preceding bytes}. Records are flushed and fdatasync'd every
 * checkpoint, so after a crash or Ctrl-C only a torn last record can be lost; it fails its crc and is
 * ignored. A header that does not match (other model, caps or dim) discards the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "index/index_format.h"
#include "model/prompts.h"
#include "model/qwen3.h"
#include "model/tokenizer.h"
#include "util/clock.h"
#include "util/hash.h"

#define PART_MAGIC "SRVPART1"

typedef struct part_hdr {
  char magic[8];
  uint32_t dim, desc_chars, body_chars, reserved;
  char model_id[SR_VEC_MODEL_ID_MAX];
  uint8_t pad[8];
} part_hdr;
_Static_assert(sizeof(part_hdr) == 256, "side file header is 256 bytes");

typedef struct key { uint64_t id_hash, hash; size_t row; } key;

static int key_cmp(const void *a, const void *b) {
  const key *x = a, *y = b;
  if (x->id_hash != y->id_hash) return x->id_hash < y->id_hash ? -1 : 1;
  return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static uint64_t id_hash(const char *id) { return sr_hash64(id, strlen(id), 0x5eed); }

static void fill_hdr(part_hdr *h, const sr_vec_info *info) {
  memset(h, 0, sizeof *h);
  memcpy(h->magic, PART_MAGIC, 8);
  h->dim = info->dim;
  h->desc_chars = info->desc_chars;
  h->body_chars = info->body_chars;
  memcpy(h->model_id, info->model_id, sizeof h->model_id);
}

/* Loads the side file's valid records into *keys / *vecs; returns the byte length of the valid prefix
 * (0 when absent or not matching, so the caller starts the file afresh). */
static long load_partial(const char *path, const sr_vec_info *info, key **keys, float **vecs, size_t *n) {
  *keys = NULL; *vecs = NULL; *n = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) return 0;
  part_hdr want, got;
  fill_hdr(&want, info);
  if (fread(&got, sizeof got, 1, fp) != 1 || memcmp(&got, &want, sizeof got) != 0) { fclose(fp); return 0; }
  size_t D = info->dim, rec = 16 + D * 4 + 4, cap = 0;
  unsigned char *buf = malloc(rec);
  long good = (long)sizeof got;
  while (buf && fread(buf, rec, 1, fp) == 1) {
    uint32_t crc;
    memcpy(&crc, buf + rec - 4, 4);
    if ((uint32_t)crc32_z(0, buf, rec - 4) != crc) break;
    if (*n == cap) {
      cap = cap ? 2 * cap : 1024;
      key *k2 = realloc(*keys, cap * sizeof **keys);
      if (k2) *keys = k2;
      float *v2 = realloc(*vecs, cap * D * 4);
      if (v2) *vecs = v2;
      if (!k2 || !v2) break;
    }
    memcpy(&(*keys)[*n].id_hash, buf, 8);
    memcpy(&(*keys)[*n].hash, buf + 8, 8);
    (*keys)[*n].row = *n;
    memcpy(*vecs + *n * D, buf + 16, D * 4);
    ++*n;
    good += (long)rec;
  }
  free(buf);
  fclose(fp);
  qsort(*keys, *n, sizeof **keys, key_cmp);
  return good;
}

void sr_embed_partial_remove(const char *partial_path) {
  if (partial_path) unlink(partial_path);
}

sr_status sr_embed_catalog(const sr_catalog *cat, const sr_index *prev, const sr_embed_opts *o, float **out,
                           sr_vec_info *out_info, sr_embed_stats *stats, sr_error *err) {
  *out = NULL;
  const sr_qwen3 *m = o->model;
  const sr_tokenizer *tok = o->tokenizer;
  sr_vec_info info = o->info;
  if (m && !tok) return sr_fail(err, SR_ERR_ARG, "embedding: a model needs its tokenizer");
  if (m && info.dim == 0) info.dim = (uint32_t)m->cfg.dim;
  if (m && info.dim > (uint32_t)m->cfg.dim)
    return sr_fail(err, SR_ERR_ARG, "embedding: --dim %u exceeds the model's %d", info.dim, m->cfg.dim);
  if (!m && info.dim == 0 && prev && prev->vecs.info) info.dim = prev->vecs.info->dim;
  if (info.dim == 0) return sr_fail(err, SR_ERR_ARG, "embedding: no model and no dimension");
  size_t N = cat->n_entries, D = info.dim;
  sr_embed_stats st0 = {0};
  double t0 = sr_clock_s();
  float *vecs = malloc((N ? N : 1) * D * sizeof *vecs);
  unsigned char *rec = malloc(16 + D * 4 + 4);
  if (!vecs || !rec) { free(vecs); free(rec); return sr_fail(err, SR_ERR_NOMEM, "embedding: out of memory"); }
  /* previous index: usable when it was embedded with the same model id, caps and dimension */
  const sr_vec_view *pv = prev && prev->vecs.info ? &prev->vecs : NULL;
  if (pv && (pv->dim != D || strcmp(pv->info->model_id, info.model_id) || pv->info->desc_chars != info.desc_chars ||
             pv->info->body_chars != info.body_chars))
    pv = NULL;
  key *pk = NULL;
  float *pvecs = NULL;
  size_t np = 0;
  long good = o->partial_path ? load_partial(o->partial_path, &info, &pk, &pvecs, &np) : 0;
  FILE *pf = NULL;
  sr_status st = SR_OK;
  size_t todo = 0;
  bool *need = calloc(N ? N : 1, sizeof *need);
  if (!need) { st = sr_fail(err, SR_ERR_NOMEM, "embedding: out of memory"); goto out; }
  for (size_t d = 0; d < N; d++) {
    const sr_entry *e = &cat->entries[d];
    uint32_t pd;
    if (pv && sr_index_find(prev, e->id, &pd) && pv->hash[pd] == e->content_hash) {
      sr_vec_get_f32(pv, pd, vecs + d * D);
      st0.reused++;
      continue;
    }
    key k = {id_hash(e->id), e->content_hash, 0}, *hit = np ? bsearch(&k, pk, np, sizeof k, key_cmp) : NULL;
    if (hit) {
      memcpy(vecs + d * D, pvecs + hit->row * D, D * 4);
      st0.resumed++;
      continue;
    }
    need[d] = true;
    todo++;
  }
  if (todo && !m) {
    for (size_t d = 0; d < N; d++)
      if (need[d]) { st = sr_fail(err, SR_ERR_NOT_FOUND, "entry %s has no stored vector (give --embed-model)", cat->entries[d].id); break; }
    goto out;
  }
  if (todo && o->partial_path) {
    if (good > 0) {
      if (truncate(o->partial_path, good) != 0) good = 0;
    }
    pf = fopen(o->partial_path, good > 0 ? "ab" : "wb");
    if (!pf) { st = sr_fail(err, SR_ERR_IO, "%s: cannot write the embedding side file", o->partial_path); goto out; }
    if (good <= 0) {
      part_hdr h;
      fill_hdr(&h, &info);
      if (fwrite(&h, sizeof h, 1, pf) != 1) { st = sr_fail(err, SR_ERR_IO, "%s: write failed", o->partial_path); goto out; }
    }
  }
  size_t desc = info.desc_chars == SR_VEC_UNCUT ? SIZE_MAX : info.desc_chars;
  size_t body = info.body_chars == SR_VEC_UNCUT ? SIZE_MAX : info.body_chars;
  double ckpt = o->checkpoint_secs > 0 ? o->checkpoint_secs : 2.0, last = sr_clock_s();
  size_t done = 0;
  for (size_t d = 0; d < N && st == SR_OK; d++) {
    if (!need[d]) continue;
    if (o->cancel && *o->cancel) { st = sr_fail(err, SR_ERR_INTERRUPTED, "embedding interrupted after %zu of %zu entries", done, todo); break; }
    const sr_entry *e = &cat->entries[d];
    char *text = NULL;
    int32_t *ids = NULL;
    size_t n = 0;
    st = sr_doc_text(e->name, e->description, e->body, desc, body, &text, err);
    if (!st) st = sr_tokenizer_encode(tok, text, strlen(text), &ids, &n, err);
    if (!st) st = sr_qwen3_embed_text_ids(m, ids, n, o->max_tokens, D, vecs + d * D, err);
    if (st) sr_error_prefix(err, "embedding %s", e->id);
    size_t mt = o->max_tokens ? o->max_tokens : SR_QWEN3_MAX_TOKENS;
    st0.tokens += n + 1 > mt ? mt : n + 1;
    free(text);
    free(ids);
    if (st) break;
    st0.embedded++;
    done++;
    if (pf) {
      uint64_t ih = id_hash(e->id);
      memcpy(rec, &ih, 8);
      memcpy(rec + 8, &e->content_hash, 8);
      memcpy(rec + 16, vecs + d * D, D * 4);
      uint32_t crc = (uint32_t)crc32_z(0, rec, 16 + D * 4);
      memcpy(rec + 16 + D * 4, &crc, 4);
      if (fwrite(rec, 16 + D * 4 + 4, 1, pf) != 1) { st = sr_fail(err, SR_ERR_IO, "%s: write failed", o->partial_path); break; }
    }
    double t = sr_clock_s();
    if (pf && t - last >= ckpt) {
      fflush(pf);
      fdatasync(fileno(pf));
      last = t;
    }
    if (o->progress) o->progress(o->progress_ctx, "embedding", done, todo);
  }
out:
  if (pf) {
    fflush(pf);
    fdatasync(fileno(pf));
    fclose(pf);
  }
  free(need);
  free(pk);
  free(pvecs);
  free(rec);
  st0.seconds = sr_clock_s() - t0;
  if (stats) *stats = st0;
  if (st != SR_OK) {
    free(vecs);
    return st;
  }
  *out = vecs;
  if (out_info) *out_info = info;
  return SR_OK;
}
