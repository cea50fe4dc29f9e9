// The loop nest of a CPU reduction. The op hands the kernel `out` as a view with the input's
// sizes and stride 0 on every reduced dim; this plan drops size-1 dims, orders the rest by input
// stride (innermost first, so transposed inputs read memory in order) and merges dims that
// can be walked as one. What is left is either an inner reduced run (sum along the last dim:
// each output reduces contiguous memory) or an inner kept run (sum along the first dim: rows
// of the input are accumulated into a row of outputs).
#pragma once
#include <algorithm>
#include <cstdint>

#include "core/small_vector.h"
#include "core/tensor.h"

namespace pydl::cpu {

struct LoopDim {
  int64_t size, in_stride, out_stride;  // strides in elements
};
using LoopDims = SmallVector<LoopDim, 8>;

// Walks the multi-index of `dims` (innermost first) and keeps the input/output offsets of it.
class Odometer {
 public:
  explicit Odometer(const LoopDims& dims, int64_t start = 0) : dims_(dims), idx_(dims.size(), 0) {
    for (size_t d = 0; d < dims_.size(); ++d) {
      idx_[d] = start % dims_[d].size;
      start /= dims_[d].size;
      in_ += idx_[d] * dims_[d].in_stride;
      out_ += idx_[d] * dims_[d].out_stride;
    }
  }
  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  void next() {
    for (size_t d = 0; d < dims_.size(); ++d) {
      in_ += dims_[d].in_stride;
      out_ += dims_[d].out_stride;
      if (++idx_[d] < dims_[d].size) return;
      in_ -= dims_[d].in_stride * dims_[d].size;
      out_ -= dims_[d].out_stride * dims_[d].size;
      idx_[d] = 0;
    }
  }

 private:
  const LoopDims& dims_;
  SmallVector<int64_t, 8> idx_;
  int64_t in_ = 0, out_ = 0;
};

struct ReducePlan {
  LoopDims kept, reduced;       // innermost first
  int64_t outputs = 1, count = 1;  // number of outputs; elements reduced into each
  bool inner_reduced = true;    // the input's innermost dim is reduced (else it is kept)
};

inline int64_t product(const LoopDims& dims) {
  int64_t n = 1;
  for (const auto& d : dims) n *= d.size;
  return n;
}

inline ReducePlan make_reduce_plan(const Tensor& out, const Tensor& in) {
  LoopDims all;
  for (int64_t d = 0; d < in.dim(); ++d)
    if (in.sizes()[d] != 1) all.push_back({in.sizes()[d], in.strides()[d], out.strides()[d]});
  std::stable_sort(all.begin(), all.end(), [](const LoopDim& a, const LoopDim& b) {
    return std::abs(a.in_stride) < std::abs(b.in_stride);
  });
  ReducePlan plan;
  for (size_t i = 0; i < all.size(); ++i) {
    const bool reduced = all[i].out_stride == 0;
    LoopDims& group = reduced ? plan.reduced : plan.kept;
    // Merge with the previous dim of the same group when one stride walks both.
    if (i > 0 && (all[i - 1].out_stride == 0) == reduced && !group.empty()) {
      LoopDim& prev = group.back();
      if (prev.in_stride * prev.size == all[i].in_stride && prev.out_stride * prev.size == all[i].out_stride) {
        prev.size *= all[i].size;
        continue;
      }
    }
    group.push_back(all[i]);
  }
  plan.outputs = product(plan.kept);
  plan.count = product(plan.reduced);
  plan.inner_reduced = !all.empty() && all[0].out_stride == 0;
  return plan;
}

}  // namespace pydl::cpu
