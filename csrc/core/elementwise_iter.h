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
  // Advanced indexing needs out, src and one operand per index tensor (up to 6).
  static constexpr int kMaxOperands = 8;

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
  using RowFn = void (*)(const void* ctx, char** ptrs, const int64_t* byte_strides, int64_t n);
  void for_each_row(RowFn fn, const void* ctx, int64_t grain = kGrainSize) const;

 private:
  static constexpr int64_t kTile = 64;  // edge of the tiles for_each_tiled_row walks
  void reorder_and_coalesce();
  bool operands_disagree() const;
  void for_each_tiled_row(RowFn fn, const void* ctx, int64_t grain) const;

  int ntensors_ = 0;
  Shape shape_;
  int64_t numel_ = 1;
  char* data_[kMaxOperands] = {};
  ScalarType dtypes_[kMaxOperands] = {};
  Shape strides_[kMaxOperands];
};

template <typename Loop>
void ElementwiseIter::for_each(const Loop& loop, int64_t grain) const {
  // Type-erased so that the row walk and its OpenMP region are compiled once, not once per
  // kernel: the indirect call per row costs nothing next to the row's work.
  auto row = [&loop](char** ptrs, const int64_t* strides, int64_t n) { loop(ptrs, strides, n); };
  for_each_row([](const void* ctx, char** ptrs, const int64_t* strides, int64_t n) {
    (*static_cast<const decltype(row)*>(ctx))(ptrs, strides, n);
  }, &row, grain);
}

}  // namespace pydl
