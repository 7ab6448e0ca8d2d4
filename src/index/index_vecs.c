/* index_vecs.c — the optional VECS section: layout, validation on open, accessors, f16 / int8
 * conversion. See vectors.h for the format. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "index/index_format.h"

_Static_assert(sizeof(sr_idx_vecs_header) == 256, "VECS header is 256 bytes");
_Static_assert(sizeof(sr_idx_vecr_header) == 64, "VECR header is 64 bytes");

static uint64_t elem_size(sr_vec_dtype t) { return t == SR_VEC_F32 ? 4 : t == SR_VEC_F16 ? 2 : 1; }

sr_idx_vecs_layout sr_idx_vecs_layout_of(uint64_t n, uint64_t dim, sr_vec_dtype dtype) {
  sr_idx_vecs_layout l;
  l.hash_off = sizeof(sr_idx_vecs_header);
  l.scale_off = l.hash_off + 8 * n;
  uint64_t end = l.scale_off + (dtype == SR_VEC_I8 ? 4 * n : 0);
  l.data_off = (end + SR_IDX_ALIGN - 1) / SR_IDX_ALIGN * SR_IDX_ALIGN;
  l.size = l.data_off + n * dim * elem_size(dtype);
  return l;
}

static sr_status bad(sr_error *err, const char *path, const char *what) {
  return sr_fail(err, SR_ERR_CORRUPT, "%s: corrupt index: VECS section: %s (rebuild it with 'skillrouter index')", path,
                 what);
}

sr_status sr_idx_vecs_carve(sr_index *ix, const unsigned char *sec, uint64_t size, sr_error *err) {
  if (size < sizeof(sr_idx_vecs_header)) return bad(err, ix->path, "truncated header");
  const sr_idx_vecs_header *h = (const sr_idx_vecs_header *)sec;
  if (h->n != ix->n_entries) return bad(err, ix->path, "vector count differs from the entry count");
  if (h->dim == 0 || h->dim > (1u << 16)) return bad(err, ix->path, "bad dimension");
  if (h->dtype > SR_VEC_I8) return bad(err, ix->path, "unknown dtype");
  for (int i = 0; i < 3; i++)
    if (h->reserved[i]) return bad(err, ix->path, "non-zero reserved bytes");
  if (!memchr(h->model_id, 0, sizeof h->model_id)) return bad(err, ix->path, "model id not terminated");
  sr_idx_vecs_layout l = sr_idx_vecs_layout_of(h->n, h->dim, (sr_vec_dtype)h->dtype);
  if (l.size != size) return bad(err, ix->path, "size does not match count, dimension and dtype");
  for (uint64_t b = l.scale_off + (h->dtype == SR_VEC_I8 ? 4ull * h->n : 0); b < l.data_off; b++)
    if (sec[b]) return bad(err, ix->path, "non-zero padding");
  sr_vec_info *info = &ix->vec_info;
  memset(info, 0, sizeof *info);
  info->dim = h->dim;
  info->dtype = (sr_vec_dtype)h->dtype;
  info->desc_chars = h->desc_chars;
  info->body_chars = h->body_chars;
  memcpy(info->model_id, h->model_id, sizeof info->model_id);
  sr_vec_view *v = &ix->vecs;
  v->info = info;
  v->n = h->n;
  v->dim = h->dim;
  v->dtype = info->dtype;
  v->hash = (const uint64_t *)(sec + l.hash_off);
  v->scale = h->dtype == SR_VEC_I8 ? (const float *)(sec + l.scale_off) : NULL;
  v->data = sec + l.data_off;
  if (v->scale)
    for (uint32_t i = 0; i < h->n; i++)
      if (!isfinite(v->scale[i]) || v->scale[i] < 0) return bad(err, ix->path, "bad int8 scale");
  return SR_OK;
}

sr_status sr_idx_vecr_carve(sr_index *ix, const unsigned char *sec, uint64_t size, sr_error *err) {
  const char *what = NULL;
  const sr_idx_vecr_header *h = (const sr_idx_vecr_header *)sec;
  if (size < sizeof *h) what = "truncated header";
  else if (!ix->vecs.info || ix->vecs.dtype != SR_VEC_I8) what = "refine rows without int8 vectors";
  else if (h->n != ix->vecs.n || h->dim != ix->vecs.dim) what = "count or dimension differs from VECS";
  else if (h->dtype != SR_VEC_F16) what = "unknown dtype";
  else if (size != sizeof *h + (uint64_t)h->n * h->dim * 2) what = "size does not match count and dimension";
  for (size_t i = 0; !what && i < sizeof h->reserved / sizeof h->reserved[0]; i++)
    if (h->reserved[i]) what = "non-zero reserved bytes";
  if (what)
    return sr_fail(err, SR_ERR_CORRUPT, "%s: corrupt index: VECR section: %s (rebuild it with 'skillrouter index')",
                   ix->path, what);
  ix->vecs.refine = (const uint16_t *)(sec + sizeof *h);
  return SR_OK;
}

bool sr_index_vectors(const sr_index *ix, sr_vec_view *out) {
  *out = ix->vecs;
  return ix->vecs.info != NULL;
}

uint16_t sr_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, man = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    man |= 0x800000;
    int shift = 14 - e;
    uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = (uint32_t)e << 10 | man >> 13, rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;  /* may carry into the exponent: still right */
  return (uint16_t)(sign | h);
}

float sr_half_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, x;
  if (exp == 0) {
    float f = ldexpf((float)man, -24);
    return sign ? -f : f;
  }
  if (exp == 31) x = sign | 0x7f800000 | man << 13;
  else x = sign | (exp - 15 + 127) << 23 | man << 13;
  float f;
  memcpy(&f, &x, 4);
  return f;
}

float sr_quantize_i8(const float *x, size_t dim, int8_t *q) {
  float m = 0;
  for (size_t i = 0; i < dim; i++) m = fmaxf(m, fabsf(x[i]));
  float scale = m / 127.0f, inv = m > 0 ? 127.0f / m : 0;
  for (size_t i = 0; i < dim; i++) {
    long r = lrintf(x[i] * inv);
    q[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
  }
  return scale;
}

void sr_vec_get_f32(const sr_vec_view *v, size_t i, float *out) {
  assert(i < v->n);
  size_t d = v->dim;
  if (v->dtype == SR_VEC_F32) {
    memcpy(out, (const float *)v->data + i * d, d * sizeof *out);
  } else if (v->dtype == SR_VEC_F16) {
    const uint16_t *p = (const uint16_t *)v->data + i * d;
    for (size_t k = 0; k < d; k++) out[k] = sr_half_to_f32(p[k]);
  } else if (v->refine) {
    const uint16_t *p = v->refine + i * d;
    for (size_t k = 0; k < d; k++) out[k] = sr_half_to_f32(p[k]);
  } else {
    const int8_t *p = (const int8_t *)v->data + i * d;
    for (size_t k = 0; k < d; k++) out[k] = (float)p[k] * v->scale[i];
  }
}

const char *sr_vec_dtype_name(sr_vec_dtype t) { return t == SR_VEC_F32 ? "f32" : t == SR_VEC_F16 ? "f16" : "int8"; }

bool sr_vec_dtype_parse(const char *s, sr_vec_dtype *out) {
  if (!strcmp(s, "f32") || !strcmp(s, "float32")) *out = SR_VEC_F32;
  else if (!strcmp(s, "f16") || !strcmp(s, "float16")) *out = SR_VEC_F16;
  else if (!strcmp(s, "int8") || !strcmp(s, "i8")) *out = SR_VEC_I8;
  else return false;
  return true;
}
