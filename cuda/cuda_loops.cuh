// Launch helpers shared by elementwise CUDA kernels: the strided-offset calculator passed by
// value, the grid size for n elements, and a 64-bit grid-stride loop.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "core/elementwise_iter.h"
#include "core/error.h"

namespace pydl::cuda {

constexpr int kMaxDims = 16;  // dims after coalescing; real tensors rarely keep more than 4
constexpr int kThreads = 256;
constexpr int64_t kMaxGrid = int64_t(1) << 20;  // grid-stride loops cover anything larger

// The iterator's geometry, passed by value as a kernel argument (no device allocation).
// Dim 0 is the innermost dim; strides are in bytes.
template <int N>
struct StridedOffsets {
  int ndim;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];

  // Byte offset of each operand for the element with linear (innermost-fastest) index `i`.
  __device__ void get(int64_t i, int64_t (&off)[N]) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == ndim) break;
      int64_t idx = i % sizes[d];
      i /= sizes[d];
      for (int k = 0; k < N; ++k) off[k] += idx * strides[k][d];
    }
  }
};

template <int N>
StridedOffsets<N> make_offsets(const ElementwiseIter& iter, const char* op) {
  PYDL_CHECK_NOT_IMPLEMENTED(iter.ndim() <= kMaxDims, op, " on CUDA: tensors with more than ", kMaxDims,
                             " non-mergeable dims are not supported (got ", iter.ndim(), ")");
  StridedOffsets<N> o{};
  o.ndim = iter.ndim();
  for (int d = 0; d < o.ndim; ++d) {
    o.sizes[d] = iter.shape()[d];
    for (int k = 0; k < N; ++k) o.strides[k][d] = iter.strides(k)[d];
  }
  return o;
}

inline unsigned grid_for(int64_t n) {
  int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < kMaxGrid ? blocks : kMaxGrid);
}

// 64-bit grid-stride loop: tensors beyond 2^31 elements are indexed correctly.
#define PYDL_GRID_STRIDE_LOOP(i, n)                                                      \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

}  // namespace pydl::cuda
