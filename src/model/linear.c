/* linear.c — reference multithreaded y = x · Wᵀ with on-the-fly dequantisation (see linear.h). */
#include "model/linear.h"

#include <assert.h>
#include <stdlib.h>

#include "model/parallel.h"

#define ROW_BLOCK 8   /* weight rows converted to f32 at once, reused across all T inputs */

float sr_dot_f32(const float *a, const float *b, size_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) s[k] += a[i + k] * b[i + k];
  float tail = 0;
  for (; i < n; i++) tail += a[i] * b[i];
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + tail;
}

typedef struct lin_ctx {
  const float *x;
  size_t T;
  const sr_tensor *W;
  float *y;
} lin_ctx;

static void lin_rows(void *arg, size_t r0, size_t r1) {
  const lin_ctx *c = arg;
  size_t in = (size_t)c->W->cols, out = (size_t)c->W->rows;
  float stack_buf[ROW_BLOCK * 1024];
  float *w = in <= 1024 ? stack_buf : malloc(sizeof(float) * ROW_BLOCK * in);
  float *wfree = w == stack_buf ? NULL : w;
  for (size_t r = r0; r < r1; r += ROW_BLOCK) {
    size_t nb = r1 - r < ROW_BLOCK ? r1 - r : ROW_BLOCK;
    if (w) {
      for (size_t b = 0; b < nb; b++) sr_tensor_row_f32(c->W, (int64_t)(r + b), w + b * in);
      for (size_t t = 0; t < c->T; t++) {
        const float *xt = c->x + t * in;
        float *yt = c->y + t * out + r;
        for (size_t b = 0; b < nb; b++) yt[b] = sr_dot_f32(xt, w + b * in, in);
      }
    } else {   /* out of memory for the block: one row at a time through a tiny buffer is not possible
                  either, so fall back to converting element runs of one row */
      float tmp[SR_Q8_0_BLOCK * 8];
      size_t step = SR_Q8_0_BLOCK * 8;
      for (size_t b = 0; b < nb; b++) {
        const unsigned char *row = (const unsigned char *)c->W->data + sr_tensor_row_bytes(c->W) * (r + b);
        for (size_t t = 0; t < c->T; t++) c->y[t * out + r + b] = 0;
        for (size_t k = 0; k < in; k += step) {
          size_t n = in - k < step ? in - k : step;
          sr_convert_to_f32(c->W->dtype, row + sr_dtype_row_bytes(c->W->dtype, (int64_t)k), (int64_t)n, tmp);
          for (size_t t = 0; t < c->T; t++) c->y[t * out + r + b] += sr_dot_f32(c->x + t * in + k, tmp, n);
        }
      }
    }
  }
  free(wfree);
}

void sr_linear(const float *x, size_t T, const sr_tensor *W, float *y, int n_threads) {
  assert(x && y && W && W->data && W->rows > 0 && W->cols > 0);
  lin_ctx c = {x, T, W, y};
  size_t work_per_row = T * (size_t)W->cols;
  size_t min_chunk = work_per_row >= 65536 ? ROW_BLOCK : (65536 / (work_per_row + 1) + 1);
  sr_model_parallel_for((size_t)W->rows, n_threads, min_chunk, lin_rows, &c);
}
