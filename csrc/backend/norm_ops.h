// The normalisation primitive's vocabulary (Backend::norm; ops/normalization.cpp): layer norm
// and training-mode batch norm fused into a pass for the statistics and one to normalise (the
// backward: one for the two sums, one for the gradient), where the composed forms run five to
// eight full-size ops and keep their intermediates for backward.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace pydl {

enum class NormKind : uint8_t {
  Layer,  // x [rows, cols]: statistics of each row, weight/bias [cols]
  Batch,  // x [batch, channels, spatial]: statistics of each channel over (batch, spatial), weight/bias [channels]
};

// Contiguous buffers of one dtype, float32 or float64; weight and bias may be undefined (1, 0).
// Forward: x in; y (x's shape), mean and rstd = 1 / sqrt(var + eps) ([rows] or [channels]) out,
//   var the biased variance; var_out ([channels], Batch only, may be undefined) gets var itself,
//   for the running statistics.
// Backward: x, mean, rstd, weight and grad_y in; grad_x (x's shape), grad_weight and grad_bias
//   out, each written only when defined.
struct NormTensors {
  Tensor x, weight, bias;
  Tensor y, mean, rstd, var_out;
  Tensor grad_y, grad_x, grad_weight, grad_bias;
  double eps = 1e-5;
};

}  // namespace pydl
