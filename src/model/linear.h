/* linear.h — the one matrix-multiply entry point of the model: y = x · Wᵀ (no bias).
 * This is the seam where faster kernels (src/kernels/) plug in later; everything else in the forward
 * pass calls only this for the projections. */
#ifndef SR_MODEL_LINEAR_H
#define SR_MODEL_LINEAR_H

#include <stddef.h>

#include "model/tensor.h"

/* x: [T, W->cols] float32 row-major; W: [out = W->rows, in = W->cols] in any sr_dtype (converted to
 * float32 on the fly, one block of rows at a time); y: [T, W->rows] float32, written (not accumulated).
 * x and y must not overlap. Work is split over output rows across `n_threads` pthreads.
 * Accumulation is in float32. */
void sr_linear(const float *x, size_t T, const sr_tensor *W, float *y, int n_threads);

/* Dot product of two float32 vectors of length n (the inner loop shared with attention). */
float sr_dot_f32(const float *a, const float *b, size_t n);

#endif
