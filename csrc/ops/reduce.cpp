// Reductions over a set of dims: sum, nansum, mean, nanmean, prod, amax, amin, all, any,
// count_nonzero, and the machinery they share (reduce.h).
#include "ops/reduce.h"

#include "autograd/formulas.h"

#include "ops/elementwise.h"

namespace pydl {

DimMask reduce_mask(const Tensor& x, const OptionalDims& dims, const char* op) {
  DimMask mask(static_cast<size_t>(x.dim()), dims && !dims->empty() ? false : true);
  if (!dims) return mask;
  for (int64_t d : *dims) {
    const int64_t w = wrap_dim(d, x.dim());
    if (x.dim() == 0) continue;  // dim 0 / -1 of a 0-d tensor
    PYDL_CHECK(!mask[w], op, "(): dim ", w, " appears multiple times in the list of dims");
    mask[w] = true;
  }
  return mask;
}

Shape reduced_shape(const Shape& sizes, const DimMask& mask, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (!mask[d]) out.push_back(sizes[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

int64_t reduced_count(const Shape& sizes, const DimMask& mask) {
  int64_t n = 1;
  for (size_t d = 0; d < sizes.size(); ++d)
    if (mask[d]) n *= sizes[d];
  return n;
}

Tensor reduce_dims(ReduceOp op, const Tensor& x_in, const DimMask& mask, bool keepdim, ScalarType out_dtype) {
  // A reduced dim along which x is broadcast (stride 0: an expanded gradient, which every
  // sum().backward() hands on) holds copies of one value: reduce one copy, and scale a sum by
  // the number of copies. The kernels' general strided loop would walk them all, one at a time.
  Tensor x = x_in;
  int64_t copies = 1;
  if (op != ReduceOp::Prod && op != ReduceOp::Count) {
    Shape sizes = x.sizes();
    for (size_t d = 0; d < mask.size(); ++d)
      if (mask[d] && x.strides()[d] == 0 && sizes[d] > 1) {
        copies *= sizes[d];
        sizes[d] = 1;
      }
    if (copies > 1) x = make_view(x_in, sizes, x_in.strides(), x_in.storage_offset());
  }
  Tensor result = empty(reduced_shape(x.sizes(), mask, true), out_dtype, x.device());
  if (result.numel() > 0) {
    // The backend sees the result with x's sizes and stride 0 along every reduced dim.
    Shape strides = result.strides();
    for (size_t d = 0; d < mask.size(); ++d)
      if (mask[d]) strides[d] = 0;
    backend(x.device().type).reduce(op, make_view(result, x.sizes(), strides, 0), x);
    if (copies > 1 && (op == ReduceOp::Sum || op == ReduceOp::NanSum))
      result = binary(BinaryOp::Mul, result,
                      wrap_scalar(is_floating(out_dtype) ? Scalar(static_cast<double>(copies)) : Scalar(copies)));
  }
  return keepdim ? result : view(result, reduced_shape(x.sizes(), mask, false));
}

void check_floating_result(const char* op, ScalarType dtype) {
  PYDL_CHECK(is_floating(dtype), op, "(): could not infer output dtype. Input dtype must be either a floating point "
             "or complex dtype. Got: ", dtype);
}

namespace {

// Integer and bool inputs sum and multiply in int64, as in PyTorch; `dtype=` casts first.
ScalarType sum_dtype(const Tensor& x, std::optional<ScalarType> dtype) {
  if (dtype) return *dtype;
  return is_floating(x.dtype()) ? x.dtype() : ScalarType::Int64;
}

Tensor sum_like(ReduceOp op, const char* name, const Tensor& x, const OptionalDims& dims, bool keepdim,
                std::optional<ScalarType> dtype, OutArg dest) {
  const DimMask mask = reduce_mask(x, dims, name);
  const ScalarType dt = sum_dtype(x, dtype);
  if (dest.out) detail::check_autograd_target(name, autograd::needs_grad({&x}), *dest.out, dest.inplace);
  return store_result(name, reduce_dims(op, cast_operand(x, dt), mask, keepdim, dt), dest);
}

// amax / amin: an empty reduced dim has no extreme (IndexError, as in PyTorch).
Tensor extreme(ReduceOp op, const char* name, const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  const DimMask mask = reduce_mask(x, dims, name);
  for (int64_t d = 0; d < x.dim(); ++d)
    PYDL_CHECK_INDEX(!(mask[d] && x.sizes()[d] == 0), name, "(): Expected reduction dim ", d,
                     " to have non-zero size.");
  if (dest.out) detail::check_autograd_target(name, autograd::needs_grad({&x}), *dest.out, dest.inplace);
  return store_result(name, reduce_dims(op, x, mask, keepdim, x.dtype()), dest);
}

// all / any return bool, except for uint8 inputs, which give uint8 (PyTorch keeps that legacy).
Tensor logical(ReduceOp op, const char* name, const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  const DimMask mask = reduce_mask(x, dims, name);
  const ScalarType out = x.dtype() == ScalarType::UInt8 ? ScalarType::UInt8 : ScalarType::Bool;
  return store_result(name, reduce_dims(op, x, mask, keepdim, out), dest);
}

}  // namespace

// sum and mean: the gradient is g broadcast back over the reduced dims (divided by the count
// for mean).
static void record_sum(const char* name, const Tensor& x, const Tensor& r, const OptionalDims& dims, bool keepdim,
                       double scale) {
  const Shape sizes = x.sizes();
  autograd::record(name, {x}, {r}, {}, {}, [sizes, dims, keepdim, scale](const autograd::BackwardContext& c) {
    Tensor g = autograd::expand_reduced(c.grad(), sizes, dims, keepdim);
    return std::vector<Tensor>{scale == 1.0 ? g : g * scale};
  });
}

Tensor sum(const Tensor& x, const OptionalDims& dims, bool keepdim, std::optional<ScalarType> dtype, OutArg dest) {
  Tensor r = sum_like(ReduceOp::Sum, "sum", x, dims, keepdim, dtype, dest);
  if (!dest.out && is_floating(r.dtype()) && autograd::needs_grad({&x}))
    record_sum(dims ? "SumBackward1" : "SumBackward0", x, r, dims, keepdim, 1.0);
  return r;
}

Tensor nansum(const Tensor& x, const OptionalDims& dims, bool keepdim, std::optional<ScalarType> dtype, OutArg dest) {
  if (!is_floating(sum_dtype(x, dtype))) return sum(x, dims, keepdim, dtype, dest);  // no NaN to skip
  Tensor r = sum_like(ReduceOp::NanSum, "nansum", x, dims, keepdim, dtype, dest);
  if (!dest.out && autograd::needs_grad({&x})) {
    const Shape sizes = x.sizes();
    autograd::record("NansumBackward0", {x}, {r}, {x}, {}, [sizes, dims, keepdim](const autograd::BackwardContext& c) {
      Tensor g = autograd::expand_reduced(c.grad(), sizes, dims, keepdim);
      return std::vector<Tensor>{where(unary(UnaryOp::IsNan, c.saved[0]), wrap_scalar(Scalar(0.0)), g)};
    });
  }
  return r;
}

Tensor mean(const Tensor& x, const OptionalDims& dims, bool keepdim, std::optional<ScalarType> dtype, OutArg dest) {
  const ScalarType dt = dtype.value_or(x.dtype());
  check_floating_result("mean", dt);
  Tensor r = sum_like(ReduceOp::Mean, "mean", x, dims, keepdim, dt, dest);
  if (!dest.out && autograd::needs_grad({&x})) {
    const double count = r.numel() == 0 ? 1.0 : static_cast<double>(x.numel()) / static_cast<double>(r.numel());
    record_sum(dims ? "MeanBackward1" : "MeanBackward0", x, r, dims, keepdim, 1.0 / count);
  }
  return r;
}

Tensor nanmean(const Tensor& x, const OptionalDims& dims, bool keepdim, std::optional<ScalarType> dtype, OutArg dest) {
  const ScalarType dt = dtype.value_or(x.dtype());
  PYDL_CHECK(is_floating(dt), "nanmean(): expected input to have floating point or complex dtype but got ", dt);
  Tensor xc = cast_operand(x, dt);
  Tensor present = unary(UnaryOp::LogicalNot, unary(UnaryOp::IsNan, xc));
  Tensor count = sum(present, dims, keepdim, dt);
  return store_result("nanmean", binary(BinaryOp::Div, nansum(xc, dims, keepdim, dt), count), dest);
}

// The product of the other elements of each reduction group, with no division (exact with
// zeros): per group, an n x n copy whose diagonal is 1, multiplied along its rows. O(n) extra
// memory per element, so only used when the input holds a zero (where r / x is 0 / 0).
static Tensor prod_of_others(const Tensor& x, const OptionalDims& dims) {
  const DimMask mask = reduce_mask(x, dims, "prod");
  Shape perm, kept;
  int64_t n = 1;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!mask[d]) perm.push_back(d), kept.push_back(x.sizes()[d]);
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask[d]) perm.push_back(d), n *= x.sizes()[d];
  Tensor xp = permute(x, perm);  // reduced dims last, then one dim of n
  Shape flat = kept, square = kept;
  flat.push_back(n);
  square.push_back(n);
  square.push_back(n);
  Tensor rows = expand(unsqueeze(reshape(xp, flat), -2), square);
  Tensor iota = arange(Scalar(int64_t(0)), Scalar(n), Scalar(int64_t(1)), ScalarType::Int64, x.device());
  Tensor diagonal = binary(BinaryOp::Eq, reshape(iota, {n, 1}), reshape(iota, {1, n}));
  Tensor others = reshape(prod(where(diagonal, wrap_scalar(Scalar(1.0)), rows), Shape{-1}), xp.sizes());
  Shape inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
  return permute(others, inverse);
}

// d prod / d x_i is the product of the other elements of x_i's group: r / x_i when x has no zero
// (PyTorch's check too), else computed without dividing. Both forms stay differentiable.
static autograd::BackwardFn prod_backward(const Shape& sizes, const OptionalDims& dims, bool keepdim) {
  return [sizes, dims, keepdim](const autograd::BackwardContext& c) {
    const Tensor &x = c.saved[0], &r = c.saved[1];
    Tensor g = autograd::expand_reduced(c.grad(), sizes, dims, keepdim);
    if (x.dim() == 0) return std::vector<Tensor>{g};
    Tensor has_zero = any(binary(BinaryOp::Eq, x, wrap_scalar(Scalar(0.0))), std::nullopt);
    if (!*to(has_zero, std::nullopt, Device(DeviceType::CPU), false).data<bool>())
      return std::vector<Tensor>{g * autograd::expand_reduced(r, sizes, dims, keepdim) / x};
    return std::vector<Tensor>{g * prod_of_others(x, dims)};
  };
}

Tensor prod(const Tensor& x, const OptionalDims& dims, bool keepdim, std::optional<ScalarType> dtype, OutArg dest) {
  Tensor r = sum_like(ReduceOp::Prod, "prod", x, dims, keepdim, dtype, dest);
  if (!dest.out && is_floating(r.dtype()) && autograd::needs_grad({&x}))
    autograd::record(dims ? "ProdBackward1" : "ProdBackward0", {x}, {r}, {x}, {r},
                     prod_backward(x.sizes(), dims, keepdim));
  return r;
}

// amax / amin: the gradient is shared evenly among the elements equal to the extreme (PyTorch).
static Tensor record_extreme(const char* name, const Tensor& x, const Tensor& r, const OptionalDims& dims,
                             bool keepdim, OutArg dest) {
  if (dest.out || !is_floating(r.dtype()) || !autograd::needs_grad({&x})) return r;
  const Shape sizes = x.sizes();
  autograd::record(name, {x}, {r}, {x}, {r}, [sizes, dims, keepdim](const autograd::BackwardContext& c) {
    Tensor g = autograd::expand_reduced(c.grad(), sizes, dims, keepdim);
    Tensor hit = binary(BinaryOp::Eq, c.saved[0], autograd::expand_reduced(c.saved[1], sizes, dims, keepdim));
    Tensor count = expand(sum(hit, dims, true), sizes);
    return std::vector<Tensor>{g * hit / count};
  });
  return r;
}

Tensor amax(const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  return record_extreme("AmaxBackward0", x, extreme(ReduceOp::Max, "amax", x, dims, keepdim, dest), dims, keepdim,
                        dest);
}

Tensor amin(const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  return record_extreme("AminBackward0", x, extreme(ReduceOp::Min, "amin", x, dims, keepdim, dest), dims, keepdim,
                        dest);
}

Tensor all(const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  return logical(ReduceOp::All, "all", x, dims, keepdim, dest);
}

Tensor any(const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  return logical(ReduceOp::Any, "any", x, dims, keepdim, dest);
}

Tensor count_nonzero(const Tensor& x, const OptionalDims& dims) {
  return sum(binary(BinaryOp::Ne, x, wrap_scalar(Scalar(int64_t(0)))), dims, false, ScalarType::Int64);
}

}  // namespace pydl
