// Helpers shared by the indexing ops (ops/indexing.cpp, ops/scatter.cpp): every op there turns
// its arguments into int64 index tensors viewed at the shape being walked, then runs one of
// the backend's two indexing primitives (index_gather / index_scatter, see IndexSpec).
#pragma once
#include <functional>

#include "autograd/node.h"
#include "backend/backend.h"
#include "ops/ops.h"

namespace pydl::detail {

// `index` as int64 on `device`: int32 and other integer dtypes are cast; floating and bool
// dtypes raise IndexError (bool masks are handled before this by the callers that take them).
Tensor long_index(const Tensor& index, Device device, const char* op);

// `t` seen at `sizes` with `strides` (elements), same storage: the restriding behind the
// primitives (0 strides on indexed dims, index tensors spread over the walked shape).
Tensor restride(const Tensor& t, const Shape& sizes, const Shape& strides);

// How an op treats negative and out-of-range indices (IndexSpec::wrap / index_error).
struct IndexRules {
  bool wrap;
  bool index_error;
};
constexpr IndexRules kGatherRules{false, false};       // gather, scatter*: no wrap, RuntimeError
constexpr IndexRules kIndexSelectRules{false, true};   // index_select, index_add/copy: no wrap
constexpr IndexRules kTakeRules{true, true};           // take, put, index_fill, x[idx]

// out[p] = self[p with dim replaced by index[p]]; `index` is int64 broadcastable to out's shape.
void gather_dim(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index, IndexRules rules);
// self[p with dim replaced by index[p]] (reduce)= values[p] for p over index's shape;
// `values` broadcasts to it. Duplicates along dim reduce in order, deterministically.
void scatter_dim(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& values, ScatterReduce reduce,
                 IndexRules rules = kGatherRules);

// gather/scatter's shape rules: index (and src) have self's number of dims and are no larger
// than self (src) in every dim but `dim` (no larger than src in every dim).
void check_index_shapes(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src);

// A new result, or the user's out= tensor after checking its dtype (resized when empty).
Tensor out_tensor_for(OutArg dest, const Shape& shape, ScalarType dtype, Device device, const char* op);
// RuntimeError when `t` has elements sharing memory (an expanded tensor) and would be written.
void check_writable(const Tensor& t, const char* op);
// The value of a one-element tensor, read on the host.
Scalar item(const Tensor& t);
// The smallest and largest element of a non-empty tensor (NaN if any is NaN), via index_scatter.
std::pair<Scalar, Scalar> min_max(const Tensor& t);

// The history of an out-of-place indexing op's result: `fn` when the op has a formula, else a
// node that raises NotImplementedError at backward (never a silently wrong gradient).
// `save_result`: the formula also reads the result, as the last saved tensor.
Tensor with_history(const char* name, const Tensor& out, const std::vector<Tensor>& inputs, OutArg dest,
                    const std::vector<Tensor>& saved = {}, autograd::BackwardFn fn = {}, bool save_result = false);

}  // namespace pydl::detail
