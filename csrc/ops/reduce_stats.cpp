// Reductions composed from the reduce primitive and elementwise ops: var/std (two-pass, so no
// cancellation), var_mean/std_mean, logsumexp (max-shifted), vector_norm/norm, trace, and the
// whole-tensor comparisons allclose and equal.
#include <cmath>
#include <limits>

#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace pydl {
namespace {

// float16/bfloat16 statistics are computed in float32 and rounded once, as in PyTorch.
ScalarType stats_dtype(ScalarType t) {
  return t == ScalarType::Float16 || t == ScalarType::BFloat16 ? ScalarType::Float32 : t;
}

Tensor number(double v, ScalarType dtype) { return wrap_scalar(Scalar(v), dtype); }

}  // namespace

TensorPair var_mean(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim) {
  PYDL_CHECK(is_floating(x.dtype()), "std and var only support floating point and complex dtypes (got ", x.dtype(),
             ")");
  const ScalarType dt = stats_dtype(x.dtype());
  const DimMask mask = reduce_mask(x, dims, "var");
  Tensor xc = cast_operand(x, dt);
  Tensor mu = reduce_dims(ReduceOp::Mean, xc, mask, true, dt);
  Tensor dev = binary(BinaryOp::Sub, xc, mu);
  Tensor ss = reduce_dims(ReduceOp::Sum, binary(BinaryOp::Mul, dev, dev), mask, keepdim, dt);
  // PyTorch divides by max(0, N - correction): 0/0 is NaN, a positive sum over 0 is inf.
  const double denom = std::max(0.0, static_cast<double>(reduced_count(x.sizes(), mask)) - correction);
  Tensor var = binary(BinaryOp::Div, ss, number(denom, dt));
  if (!keepdim) mu = view(mu, reduced_shape(x.sizes(), mask, false));
  return {cast_operand(var, x.dtype()), cast_operand(mu, x.dtype())};
}

TensorPair std_mean(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim) {
  TensorPair r = var_mean(x, dims, correction, keepdim);
  return {unary(UnaryOp::Sqrt, r.first), r.second};
}

Tensor var(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim, OutArg dest) {
  return store_result("var", var_mean(x, dims, correction, keepdim).first, dest);
}

Tensor std_dev(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim, OutArg dest) {
  return store_result("std", std_mean(x, dims, correction, keepdim).first, dest);
}

Tensor logsumexp(const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  const ScalarType dt = is_floating(x.dtype()) ? x.dtype() : default_dtype();
  Tensor xc = cast_operand(x, dt);
  const DimMask mask = reduce_mask(x, dims, "logsumexp");
  if (reduced_count(x.sizes(), mask) == 0)  // log(0): an empty sum
    return store_result("logsumexp", full(reduced_shape(x.sizes(), mask, keepdim), Scalar(-INFINITY), dt, x.device()),
                        dest);
  // Shift by the max so exp cannot overflow; an infinite max shifts by 0 (inf stays inf, and
  // all -inf gives -inf rather than NaN).
  Tensor m = reduce_dims(ReduceOp::Max, xc, mask, true, dt);
  m = where(unary(UnaryOp::IsInf, m), number(0.0, dt), m);
  Tensor s = reduce_dims(ReduceOp::Sum, unary(UnaryOp::Exp, binary(BinaryOp::Sub, xc, m)), mask, keepdim, dt);
  if (!keepdim) m = view(m, reduced_shape(x.sizes(), mask, false));
  return store_result("logsumexp", binary(BinaryOp::Add, unary(UnaryOp::Log, s), m), dest);
}

Tensor vector_norm(const Tensor& x, double ord, const OptionalDims& dims, bool keepdim, OptionalDtype dtype,
                   OutArg dest) {
  const char* op = "linalg.vector_norm";
  PYDL_CHECK(is_floating(x.dtype()), op, ": Expected a floating point or complex tensor as input. Got ", x.dtype());
  const ScalarType dt = dtype.value_or(x.dtype());
  PYDL_CHECK(is_floating(dt), op, ": dtype should be floating point or complex, but got ", dt);
  const ScalarType ct = stats_dtype(dt);  // half norms accumulate in float32: |x|**p overflows half
  Tensor xc = cast_operand(x, ct);
  const DimMask mask = reduce_mask(x, dims, op);
  Tensor a = unary(UnaryOp::Abs, xc), r;
  if (std::isinf(ord)) {
    PYDL_CHECK(reduced_count(x.sizes(), mask) > 0, op, ": cannot compute the ",
               ord > 0 ? "inf" : "-inf", " norm on an empty tensor because the operation does not have an identity");
    r = reduce_dims(ord > 0 ? ReduceOp::Max : ReduceOp::Min, a, mask, keepdim, ct);
  } else if (ord == 0) {
    r = reduce_dims(ReduceOp::Sum, cast_operand(binary(BinaryOp::Ne, a, number(0.0, ct)), ct), mask, keepdim, ct);
  } else if (ord == 1) {
    r = reduce_dims(ReduceOp::Sum, a, mask, keepdim, ct);
  } else if (ord == 2) {
    r = unary(UnaryOp::Sqrt, reduce_dims(ReduceOp::Sum, binary(BinaryOp::Mul, a, a), mask, keepdim, ct));
  } else {
    Tensor s = reduce_dims(ReduceOp::Sum, pow(a, Scalar(ord)), mask, keepdim, ct);
    r = pow(s, Scalar(1.0 / ord));
  }
  return store_result(op, cast_operand(r, dt), dest);
}

Tensor trace(const Tensor& x) {
  PYDL_CHECK(x.dim() == 2, "trace: expected a matrix, but got tensor with dim ", x.dim());
  return sum(diagonal(x, 0, 0, 1), std::nullopt);
}

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  PYDL_CHECK(a.dtype() == b.dtype(), "isclose(): Expected self and other to have the same dtype, but got ",
             a.dtype(), " and ", b.dtype());
  PYDL_CHECK(rtol >= 0, "isclose(): rtol must be greater than or equal to zero, but got ", rtol);
  PYDL_CHECK(atol >= 0, "isclose(): atol must be greater than or equal to zero, but got ", atol);
  OpParams p{rtol, atol};
  p.has_a = equal_nan;
  return binary(BinaryOp::IsClose, a, b, p);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  Tensor r = all(isclose(a, b, rtol, atol, equal_nan), std::nullopt);
  return *to(r, std::nullopt, Device(DeviceType::CPU), false).data<bool>();
}

bool equal(const Tensor& a, const Tensor& b) {
  PYDL_CHECK(a.device() == b.device(), "equal(): Expected all tensors to be on the same device, but found ",
             a.device().str(), " and ", b.device().str());
  if (a.sizes() != b.sizes()) return false;
  Tensor r = all(binary(BinaryOp::Eq, a, b), std::nullopt);
  return *to(r, std::nullopt, Device(DeviceType::CPU), false).data<bool>();
}

}  // namespace pydl
