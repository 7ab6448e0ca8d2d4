/* tensor.c — dtype names, sizes and conversions to float32 (see tensor.h). */
#include "model/tensor.h"

#include <assert.h>
#include <string.h>

const char *sr_dtype_name(sr_dtype dt) {
  switch (dt) {
    case SR_DTYPE_F32: return "F32";
    case SR_DTYPE_F16: return "F16";
    case SR_DTYPE_BF16: return "BF16";
    case SR_DTYPE_Q8_0: return "Q8_0";
  }
  return "?";
}

size_t sr_dtype_row_bytes(sr_dtype dt, int64_t cols) {
  assert(cols >= 0);
  switch (dt) {
    case SR_DTYPE_F32: return (size_t)cols * 4;
    case SR_DTYPE_F16:
    case SR_DTYPE_BF16: return (size_t)cols * 2;
    case SR_DTYPE_Q8_0: return (size_t)(cols / SR_Q8_0_BLOCK) * SR_Q8_0_BYTES;
  }
  return 0;
}

/* sr_f16_to_f32 and sr_bf16_to_f32 are defined once, in src/kernels/gemm.c (same exact conversions). */

void sr_convert_to_f32(sr_dtype dt, const void *src, int64_t n, float *out) {
  const unsigned char *p = src;
  switch (dt) {
    case SR_DTYPE_F32:
      memcpy(out, p, (size_t)n * 4);
      return;
    case SR_DTYPE_F16:
      for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = sr_f16_to_f32(h);
      }
      return;
    case SR_DTYPE_BF16:
      for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = sr_bf16_to_f32(h);
      }
      return;
    case SR_DTYPE_Q8_0:
      assert(n % SR_Q8_0_BLOCK == 0);
      for (int64_t b = 0; b < n / SR_Q8_0_BLOCK; b++) {
        const unsigned char *blk = p + b * SR_Q8_0_BYTES;
        uint16_t h;
        memcpy(&h, blk, 2);
        float d = sr_f16_to_f32(h);
        const int8_t *q = (const int8_t *)(blk + 2);
        for (int i = 0; i < SR_Q8_0_BLOCK; i++) out[b * SR_Q8_0_BLOCK + i] = d * (float)q[i];
      }
      return;
  }
}

void sr_tensor_row_f32(const sr_tensor *t, int64_t r, float *out) {
  assert(t->data && r >= 0 && r < t->rows);
  const unsigned char *p = (const unsigned char *)t->data + sr_tensor_row_bytes(t) * (size_t)r;
  sr_convert_to_f32(t->dtype, p, t->cols, out);
}
