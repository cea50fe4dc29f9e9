#include "core/elementwise_iter.h"

#include <cstdlib>
#include <numeric>

namespace pydl {

ElementwiseIter::ElementwiseIter(const Tensor& out, const std::vector<Tensor>& inputs, const char* op_name) {
  ntensors_ = 1 + static_cast<int>(inputs.size());
  PYDL_CHECK(ntensors_ <= kMaxOperands, op_name, ": too many operands");
  PYDL_CHECK(out.dim() <= 64, op_name, ": tensors with more than 64 dims are not supported");
  const int64_t nd = out.dim();
  // Store dims innermost-first: dim k here is tensor dim nd-1-k.
  shape_.resize(nd);
  for (int64_t k = 0; k < nd; ++k) shape_[k] = out.sizes()[nd - 1 - k];
  numel_ = out.numel();
  auto set_operand = [&](int i, const Tensor& t) {
    data_[i] = static_cast<char*>(t.data_ptr());
    dtypes_[i] = t.dtype();
    strides_[i].resize(nd);
    const int64_t item = static_cast<int64_t>(t.itemsize());
    const int64_t td = t.dim();
    PYDL_CHECK(td <= nd, op_name, ": the size of tensor a (", out.sizes(), ") must match the size of "
               "tensor b (", t.sizes(), "): cannot broadcast a ", td, "-d tensor to ", nd, " dims");
    for (int64_t k = 0; k < nd; ++k) {
      if (k >= td) {
        strides_[i][k] = 0;
        continue;
      }
      int64_t size = t.sizes()[td - 1 - k];
      PYDL_CHECK(size == shape_[k] || size == 1, "The size of tensor a (", shape_[k],
                 ") must match the size of tensor b (", size, ") at non-singleton dimension ", nd - 1 - k);
      strides_[i][k] = size == 1 && shape_[k] != 1 ? 0 : t.strides()[td - 1 - k] * item;
    }
  };
  set_operand(0, out);
  for (size_t j = 0; j < inputs.size(); ++j) set_operand(static_cast<int>(j) + 1, inputs[j]);
  reorder_and_coalesce();
}

void ElementwiseIter::reorder_and_coalesce() {
  const int nd = ndim();
  if (nd <= 1) return;
  // Order dims so that the output (then the inputs) is walked in memory order. A stable
  // insertion sort keeps the row-major order when strides tie (size-1 and broadcast dims).
  std::vector<int> perm(nd);
  std::iota(perm.begin(), perm.end(), 0);
  auto should_swap = [&](int outer, int inner) {  // true: `outer` belongs inside `inner`
    for (int i = 0; i < ntensors_; ++i) {
      int64_t so = strides_[i][outer], si = strides_[i][inner];
      if (so == 0 || si == 0) continue;
      if (so != si) return so < si;
    }
    return false;
  };
  for (int i = 1; i < nd; ++i)
    for (int j = i; j > 0 && should_swap(perm[j], perm[j - 1]); --j) std::swap(perm[j], perm[j - 1]);
  auto apply = [&](Shape& v) {
    Shape copy = v;
    for (int k = 0; k < nd; ++k) v[k] = copy[perm[k]];
  };
  apply(shape_);
  for (int i = 0; i < ntensors_; ++i) apply(strides_[i]);

  // Merge dim k+1 into dim k when, for every operand, stepping k+1 equals stepping k's full extent.
  int out_dim = 0;
  for (int k = 1; k < nd; ++k) {
    bool mergeable = true;
    for (int i = 0; i < ntensors_ && mergeable; ++i)
      mergeable = shape_[k] == 1 || shape_[out_dim] == 1 ||
                  strides_[i][k] == strides_[i][out_dim] * shape_[out_dim];
    if (mergeable) {
      for (int i = 0; i < ntensors_; ++i)
        if (shape_[out_dim] == 1) strides_[i][out_dim] = strides_[i][k];
      shape_[out_dim] *= shape_[k];
    } else {
      ++out_dim;
      shape_[out_dim] = shape_[k];
      for (int i = 0; i < ntensors_; ++i) strides_[i][out_dim] = strides_[i][k];
    }
  }
  shape_.resize(out_dim + 1);
  for (int i = 0; i < ntensors_; ++i) strides_[i].resize(out_dim + 1);
}

// True when some operand's fastest dim is dim 1 while the walk's rows run along dim 0 (the
// output's fastest): out = in.T, or a.T + b.
bool ElementwiseIter::operands_disagree() const {
  if (ndim() < 2 || shape_[0] < kTile / 4 || shape_[1] < kTile / 4) return false;
  for (int i = 1; i < ntensors_; ++i) {
    const int64_t s0 = std::abs(strides_[i][0]), s1 = std::abs(strides_[i][1]);
    if (s0 != 0 && s1 != 0 && s1 < s0) return true;
  }
  return false;
}

// Rows along dim 0 would step such an operand across a new cache line, and soon a new page,
// per element: a 4096 x 4096 transpose then runs at ~3% of the memory bandwidth. Walking
// kTile x kTile tiles of dims 0 and 1 keeps every operand's lines and pages of the tile cached.
void ElementwiseIter::for_each_tiled_row(RowFn fn, const void* ctx, int64_t grain) const {
  const int nt = ntensors_, nd = ndim();
  const int64_t n0 = shape_[0], n1 = shape_[1];
  const int64_t tiles0 = (n0 + kTile - 1) / kTile, tiles1 = (n1 + kTile - 1) / kTile;
  const int64_t tiles = tiles0 * tiles1 * (numel_ / (n0 * n1));
  parallel_for(0, tiles, std::max<int64_t>(1, grain / (kTile * kTile)), [&](int64_t begin, int64_t end) {
    int64_t inner[kMaxOperands];
    for (int i = 0; i < nt; ++i) inner[i] = strides_[i][0];
    for (int64_t w = begin; w < end; ++w) {
      const int64_t i0 = (w % tiles0) * kTile, j0 = (w / tiles0 % tiles1) * kTile;
      char* base[kMaxOperands];
      for (int i = 0; i < nt; ++i) base[i] = data_[i] + i0 * strides_[i][0] + j0 * strides_[i][1];
      int64_t rest = w / (tiles0 * tiles1);
      for (int d = 2; d < nd; ++d) {
        const int64_t at = rest % shape_[d];
        rest /= shape_[d];
        for (int i = 0; i < nt; ++i) base[i] += at * strides_[i][d];
      }
      const int64_t m0 = std::min(kTile, n0 - i0), m1 = std::min(kTile, n1 - j0);
      for (int64_t j = 0; j < m1; ++j) {
        char* ptrs[kMaxOperands];
        for (int i = 0; i < nt; ++i) ptrs[i] = base[i] + j * strides_[i][1];
        fn(ctx, ptrs, inner, m0);
      }
    }
  });
}

void ElementwiseIter::for_each_row(RowFn fn, const void* ctx, int64_t grain) const {
  if (numel_ == 0) return;
  if (operands_disagree()) return for_each_tiled_row(fn, ctx, grain);
  const int nt = ntensors_, nd = ndim();
  if (nd == 0) {  // a single element
    char* ptrs[kMaxOperands];
    int64_t zero[kMaxOperands] = {};
    for (int i = 0; i < nt; ++i) ptrs[i] = data_[i];
    fn(ctx, ptrs, zero, 1);
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
      fn(ctx, ptrs, inner, n);
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
