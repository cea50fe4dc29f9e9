// What conv.cpp, pool.cpp and the fold/unfold ops share: per-dim window parameters given as one
// int or one per spatial dim, and the [N, C, spatial...] views the sliding-window primitives
// take (every spatial shape padded to three dims, so a device writes one loop nest).
#pragma once
#include <string>

#include "backend/window_ops.h"
#include "core/tensor.h"

namespace pydl::window {

// `value` (one int, or one per spatial dim) as `nd` values; PyTorch's error otherwise:
// "expected stride to be a single integer value or a list of 2 values to match the
// convolution dimensions, but got stride=[1, 2, 3]".
Shape expand(const char* name, const Shape& value, int nd, const char* what = "convolution dimensions");
// "(a x b)" / "[a, b]": how PyTorch prints per-dim sizes in window errors.
std::string by(const Shape& v);
// t ([N, C, s...] with nd spatial dims) as a view [N, C, 1.., s...] of rank 5. No autograd.
Tensor as_5d(const Tensor& t);
// Rows [begin, begin + n) of dim 0 of t, as a view. No autograd.
Tensor rows(const Tensor& t, int64_t begin, int64_t n);
// The spatial sizes of t (dims 2..).
Shape spatial(const Tensor& t);
// Copies per-dim values into the trailing entries of a 3-wide array (leading ones stay).
inline void place(int64_t (&dst)[kMaxSpatialDims], const Shape& v) {
  const int nd = static_cast<int>(v.size());
  for (int i = 0; i < nd; ++i) dst[kMaxSpatialDims - nd + i] = v[i];
}

}  // namespace pydl::window
