// ElementwiseIter: the one place that turns "an output and some inputs" into loops. It
// broadcasts the inputs to the output's shape (stride 0 on broadcast dims), orders dims by the
// output's memory layout, merges dims that are contiguous for every operand, and hands a loop
// function 1-D runs: loop(char** ptrs, const int64_t* byte_strides, int64_t n). Kernels write
// only that loop; a run whose strides equal the item sizes is contiguous (the SIMD path).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/parallel.h"
#include "core/tensor.h"

namespace pydl {

class ElementwiseIter {
 public:
  static constexpr int kMaxOperands = 4;

  // Operand 0 is `out`; each input must broadcast to out's shape.
  ElementwiseIter(const Tensor& out, const std::vector<Tensor>& inputs, const char* op_name);

  int ntensors() const { return ntensors_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  const Shape& shape() const { return shape_; }  // dim 0 is the innermost (fastest) dim
  int64_t numel() const { return numel_; }
  char* data(int i) const { return data_[i]; }
  ScalarType dtype(int i) const { return dtypes_[i]; }
  const Shape& strides(int i) const { return strides_[i]; }  // in bytes, dim order as shape()
  // True when every element of operand i is visited in one contiguous run.
  bool is_contiguous(int i) const {
    return ndim() <= 1 && (ndim() == 0 || strides_[i][0] == static_cast<int64_t>(itemsize(dtypes_[i])));
  }

  template <typename Loop>
  void for_each(const Loop& loop, int64_t grain = kGrainSize) const;

 private:
  void reorder_and_coalesce();

  int ntensors_ = 0;
  Shape shape_;
  int64_t numel_ = 1;
  char* data_[kMaxOperands] = {};
  ScalarType dtypes_[kMaxOperands] = {};
  Shape strides_[kMaxOperands];
};

template <typename Loop>
void ElementwiseIter::for_each(const Loop& loop, int64_t grain) const {
  if (numel_ == 0) return;
  const int nt = ntensors_, nd = ndim();
  if (nd == 0) {  // a single element
    char* ptrs[kMaxOperands];
    int64_t zero[kMaxOperands] = {};
    for (int i = 0; i < nt; ++i) ptrs[i] = data_[i];
    loop(ptrs, zero, 1);
    return;
  }
  // Each worker takes a range of linear element indices and walks it row by row along dim 0.
  parallel_for(0, numel_, grain, [&](int64_t begin, int64_t end) {
    int64_t idx[64];
    int64_t rest = begin;
    for (int d = 0; d < nd; ++d) {
      idx[d] = rest % shape_[d];
      rest /= shape_[d];
    }
    char* ptrs[kMaxOperands];
    int64_t inner[kMaxOperands];
    for (int i = 0; i < nt; ++i) {
      ptrs[i] = data_[i];
      for (int d = 0; d < nd; ++d) ptrs[i] += idx[d] * strides_[i][d];
      inner[i] = strides_[i][0];
    }
    int64_t pos = begin;
    while (pos < end) {
      int64_t n = std::min(shape_[0] - idx[0], end - pos);
      loop(ptrs, inner, n);
      pos += n;
      if (pos >= end) break;
      // Step to the start of the next row, carrying into outer dims.
      for (int i = 0; i < nt; ++i) ptrs[i] -= idx[0] * strides_[i][0];
      idx[0] = 0;
      for (int d = 1; d < nd; ++d) {
        for (int i = 0; i < nt; ++i) ptrs[i] += strides_[i][d];
        if (++idx[d] < shape_[d]) break;
        for (int i = 0; i < nt; ++i) ptrs[i] -= idx[d] * strides_[i][d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace pydl
