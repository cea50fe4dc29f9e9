// Parameters of the sliding-window primitives (backend.h: im2col, col2im, pool, pool_backward),
// shared by the ops that compute them and every device that runs them. Both describe up to
// three spatial dims; ops with fewer spatial dims fill the leading ones with size 1 (a 1-D conv
// is a 3-D conv over a 1 x 1 x W volume), so each device writes one loop nest, not three.
#pragma once
#include <cstdint>
#include <vector>

namespace pydl {

constexpr int kMaxSpatialDims = 3;

// A convolution window over a [batch, channels, d, h, w] input: output position o along a dim
// reads input positions o * stride - pad + j * dilation for j in [0, kernel); positions outside
// [0, in) read zero (the padding). `pad` is the leading pad only: trailing padding is implied
// by `out` (it lets 'same' pad asymmetrically like PyTorch).
struct ConvGeometry {
  int64_t batch = 1, channels = 1;
  int64_t in[kMaxSpatialDims] = {1, 1, 1};
  int64_t out[kMaxSpatialDims] = {1, 1, 1};
  int64_t kernel[kMaxSpatialDims] = {1, 1, 1};
  int64_t stride[kMaxSpatialDims] = {1, 1, 1};
  int64_t pad[kMaxSpatialDims] = {0, 0, 0};
  int64_t dilation[kMaxSpatialDims] = {1, 1, 1};

  int64_t kernel_numel() const { return kernel[0] * kernel[1] * kernel[2]; }
  int64_t out_numel() const { return out[0] * out[1] * out[2]; }
  int64_t in_numel() const { return in[0] * in[1] * in[2]; }
};

enum class PoolKind : uint8_t { Max, Avg };

// One spatial dim of a pooling window, per output position o: the window covers input
// positions begin[o], begin[o] + step, ... below end[o] (already clipped to the input), and
// `divisor[o]` is the factor this dim contributes to an average's divisor. Fixed windows
// (max_pool/avg_pool) and adaptive ones (adaptive_*_pool) are both tables of this form, so one
// kernel serves both.
struct PoolDim {
  int64_t in = 1;
  int64_t step = 1;
  std::vector<int64_t> begin = {0}, end = {1}, divisor = {1};
  int64_t out() const { return static_cast<int64_t>(begin.size()); }
};

// Pooling over `planes` independent [d, h, w] volumes (batch * channels), input and output
// contiguous. An average divides by divisor_override when it is nonzero (PyTorch takes negative
// ones too), else by the product of the dims' divisors.
struct PoolGeometry {
  int64_t planes = 1;
  PoolDim dims[kMaxSpatialDims];
  int64_t divisor_override = 0;

  int64_t in_numel() const { return dims[0].in * dims[1].in * dims[2].in; }
  int64_t out_numel() const { return dims[0].out() * dims[1].out() * dims[2].out(); }
};

}  // namespace pydl
