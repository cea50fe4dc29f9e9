// Reductions that also say where: max/min along a dim (values and indices), argmax, argmin,
// the all-dims max()/min(), and aminmax. One backend primitive, arg_reduce.
#include "autograd/formulas.h"
#include "ops/reduce.h"

namespace pydl {
namespace {

// dim's extent must hold an element to pick: IndexError, as in PyTorch.
void check_dim_nonempty(const Tensor& x, int64_t d, const char* op) {
  if (x.dim() > 0)
    PYDL_CHECK_INDEX(x.sizes()[d] > 0, op, "(): Expected reduction dim ", d, " to have non-zero size.");
}

// (values or undefined, indices) of the extreme along d, with keepdim's shape.
TensorPair arg_extreme(ReduceOp op, const Tensor& x, int64_t d, bool keepdim, bool want_values) {
  DimMask mask(static_cast<size_t>(x.dim()), false);
  if (x.dim() > 0) mask[d] = true;
  const Shape keep = reduced_shape(x.sizes(), mask, true);
  Tensor values = want_values ? empty(keep, x.dtype(), x.device()) : Tensor();
  Tensor indices = empty(keep, ScalarType::Int64, x.device());
  if (indices.numel() > 0) backend(x.device().type).arg_reduce(op, values, indices, x, x.dim() > 0 ? d : 0);
  if (keepdim) return {values, indices};
  const Shape drop = reduced_shape(x.sizes(), mask, false);
  return {want_values ? view(values, drop) : values, view(indices, drop)};
}

// The values' gradient goes to the picked index of each slice: g where arange(n) == index
// along d (a where, so that the formula is itself differentiable).
autograd::BackwardFn value_selecting_backward(const Tensor& x, int64_t d, bool keepdim) {
  const Shape sizes = x.sizes();
  const Device dev = x.device();
  return [sizes, d, keepdim, dev](const autograd::BackwardContext& c) {
    if (sizes.empty()) return std::vector<Tensor>{c.grad()};
    Tensor g = keepdim ? c.grad() : unsqueeze(c.grad(), d);
    Tensor index = keepdim ? c.saved[0] : unsqueeze(c.saved[0], d);
    Shape along(sizes.size(), 1);
    along[d] = sizes[d];
    Tensor iota = reshape(arange(Scalar(int64_t(0)), Scalar(sizes[d]), Scalar(int64_t(1)), ScalarType::Int64, dev), along);
    Tensor picked = expand(binary(BinaryOp::Eq, iota, index), sizes);
    return std::vector<Tensor>{where(picked, g, wrap_scalar(Scalar(0.0)))};
  };
}

TensorPair extreme_dim(ReduceOp op, const char* name, const Tensor& x, int64_t dim, bool keepdim, OutPair out) {
  const int64_t d = wrap_dim(dim, x.dim());
  check_dim_nonempty(x, d, name);
  TensorPair r = store_pair(arg_extreme(op, x, d, keepdim, true), out, name);
  if (!out.given() && is_floating(x.dtype()) && autograd::needs_grad({&x}))
    autograd::record(op == ReduceOp::Max ? "MaxBackward0" : "MinBackward0", {x}, {r.first}, {r.second}, {},
                     value_selecting_backward(x, d, keepdim));
  return r;
}

Tensor arg_only(ReduceOp op, const char* name, const Tensor& x, std::optional<int64_t> dim, bool keepdim,
                OutArg dest) {
  PYDL_CHECK(x.dtype() != ScalarType::Bool, name, "(): does not support bool input");
  if (!dim) {
    // The index into the flattened tensor; keepdim keeps every dim as size 1.
    PYDL_CHECK_INDEX(x.numel() > 0, name, "(): Expected reduction dim to be specified for input.numel() == 0.");
    Tensor flat = reshape(x, {-1});
    Tensor r = arg_extreme(op, flat, 0, false, false).second;
    if (keepdim) r = view(r, Shape(static_cast<size_t>(x.dim()), 1));
    return store_result(name, r, dest);
  }
  const int64_t d = wrap_dim(*dim, x.dim());
  check_dim_nonempty(x, d, name);
  return store_result(name, arg_extreme(op, x, d, keepdim, false).second, dest);
}

Tensor extreme_all(ReduceOp op, const char* name, const Tensor& x) {
  PYDL_CHECK(x.numel() > 0, name, "(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
             "reduction dim with the 'dim' argument.");
  return op == ReduceOp::Max ? amax(x, std::nullopt) : amin(x, std::nullopt);
}

}  // namespace

TensorPair max(const Tensor& x, int64_t dim, bool keepdim, OutPair out) {
  return extreme_dim(ReduceOp::Max, "max", x, dim, keepdim, out);
}
TensorPair min(const Tensor& x, int64_t dim, bool keepdim, OutPair out) {
  return extreme_dim(ReduceOp::Min, "min", x, dim, keepdim, out);
}
Tensor max(const Tensor& x) { return extreme_all(ReduceOp::Max, "max", x); }
Tensor min(const Tensor& x) { return extreme_all(ReduceOp::Min, "min", x); }

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim, OutArg dest) {
  return arg_only(ReduceOp::Max, "argmax", x, dim, keepdim, dest);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim, OutArg dest) {
  return arg_only(ReduceOp::Min, "argmin", x, dim, keepdim, dest);
}

TensorPair aminmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim, OutPair out) {
  OptionalDims dims;
  if (dim) dims = Shape{*dim};
  if (!dim) PYDL_CHECK(x.numel() > 0, "aminmax(): cannot compute aminmax over an empty dimension as the operation "
                       "has no identity.");
  return store_pair({amin(x, dims, keepdim), amax(x, dims, keepdim)}, out, "aminmax");
}

}  // namespace pydl
