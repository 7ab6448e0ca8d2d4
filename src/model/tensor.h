/* tensor.h — read-only weight tensor views over mapped model files, and element conversions.
 *
 * A sr_tensor never owns its bytes: `data` points into a mapping held by the model (see qwen3.h).
 * Matrices use the PyTorch layout: `rows` = output features, `cols` = input features, row-major, so
 * row r starts at byte sr_tensor_row_bytes(t) * r. Vectors have rows = 1. Q8_0 stores each row as
 * cols/32 blocks of {f16 scale d, int8 q[32]} (34 bytes) with value = d * q; cols % 32 == 0. */
#ifndef SR_MODEL_TENSOR_H
#define SR_MODEL_TENSOR_H

#include <stddef.h>
#include <stdint.h>

typedef enum sr_dtype {
  SR_DTYPE_F32 = 0,
  SR_DTYPE_F16,
  SR_DTYPE_BF16,
  SR_DTYPE_Q8_0,
} sr_dtype;

#define SR_Q8_0_BLOCK 32      /* values per Q8_0 block */
#define SR_Q8_0_BYTES 34      /* bytes per Q8_0 block: f16 scale + 32 int8 */

typedef struct sr_tensor {
  const void *data;   /* first byte of the tensor inside a mapping; NULL = absent */
  sr_dtype dtype;
  int64_t rows;       /* output features (1 for vectors) */
  int64_t cols;       /* input features (elements per row) */
} sr_tensor;

/* "F32", "F16", "BF16", "Q8_0". Never NULL. */
const char *sr_dtype_name(sr_dtype dt);

/* Bytes taken by one row of `cols` elements of type dt (Q8_0: cols must be a multiple of 32). */
size_t sr_dtype_row_bytes(sr_dtype dt, int64_t cols);
static inline size_t sr_tensor_row_bytes(const sr_tensor *t) { return sr_dtype_row_bytes(t->dtype, t->cols); }

/* Exact conversions (defined in src/kernels/gemm.c, also declared in kernels/gemm.h). */
float sr_f16_to_f32(uint16_t h);
float sr_bf16_to_f32(uint16_t h);

/* Converts row `r` (0 <= r < t->rows) of t into out[0..t->cols) as float32. */
void sr_tensor_row_f32(const sr_tensor *t, int64_t r, float *out);

/* Converts `n` consecutive elements of dtype dt starting at `src` into float32 (Q8_0: n % 32 == 0 and
 * src at a block boundary). */
void sr_convert_to_f32(sr_dtype dt, const void *src, int64_t n, float *out);

#endif
