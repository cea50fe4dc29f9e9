// Reductions composed from the reduce primitive and elementwise ops: var/std (two-pass, so no
// cancellation), var_mean/std_mean, logsumexp (max-shifted), vector_norm/norm, trace, and the
// whole-tensor comparisons allclose and equal.
#include <cmath>
#include <limits>

#include "autograd/formulas.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace pydl {
namespace {

// float16/bfloat16 statistics are computed in float32 and rounded once, as in PyTorch.
ScalarType stats_dtype(ScalarType t) {
  return t == ScalarType::Float16 || t == ScalarType::BFloat16 ? ScalarType::Float32 : t;
}

Tensor number(double v, ScalarType dtype) { return wrap_scalar(Scalar(v), dtype); }

// The statistics are composed of pydl ops: they run without recording, and each public op
// records one node with its own formula.
TensorPair var_mean_forward(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim) {
  autograd::AutoGradMode no_record(false);
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

// What the formulas need to know about a var/std reduction (no tensors).
struct StatsShape {
  Shape sizes;
  OptionalDims dims;
  bool keepdim;
  double denom;  // max(0, N - correction)
  double count;  // N
};

StatsShape stats_shape(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim) {
  const double n = static_cast<double>(reduced_count(x.sizes(), reduce_mask(x, dims, "var")));
  return {x.sizes(), dims, keepdim, std::max(0.0, n - correction), n};
}

// d var / d x = 2 (x - mean) / (N - correction), times g broadcast back.
Tensor var_backward(const Tensor& g, const Tensor& x, const StatsShape& s) {
  Tensor mu = mean(x, s.dims, true);
  return autograd::expand_reduced(g, s.sizes, s.dims, s.keepdim) * (x - mu) * (2.0 / s.denom);
}

// std = sqrt(var): g / (2 std) goes through var's formula; 0 where std == 0, as in PyTorch.
Tensor std_backward(const Tensor& g, const Tensor& x, const Tensor& std, const StatsShape& s) {
  Tensor gv = where(binary(BinaryOp::Eq, std, wrap_scalar(Scalar(0.0))), wrap_scalar(Scalar(0.0)), g / (std * 2.0));
  return var_backward(gv, x, s);
}

// The mean output's share of var_mean / std_mean's gradient.
Tensor mean_backward(const Tensor& g, const StatsShape& s) {
  return autograd::expand_reduced(g, s.sizes, s.dims, s.keepdim) * (1.0 / s.count);
}

}  // namespace

TensorPair var_mean(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim) {
  TensorPair r = var_mean_forward(x, dims, correction, keepdim);
  if (autograd::needs_grad({&x})) {
    const StatsShape s = stats_shape(x, dims, correction, keepdim);
    autograd::record("VarMeanBackward0", {x}, {r.first, r.second}, {x}, {}, [s](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{var_backward(c.grad(0), c.saved[0], s) + mean_backward(c.grad(1), s)};
    });
  }
  return r;
}

TensorPair std_mean(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim) {
  TensorPair r = var_mean_forward(x, dims, correction, keepdim);
  r.first = unary(UnaryOp::Sqrt, r.first);
  if (autograd::needs_grad({&x})) {
    const StatsShape s = stats_shape(x, dims, correction, keepdim);
    autograd::record("StdMeanBackward0", {x}, {r.first, r.second}, {x}, {r.first},
                     [s](const autograd::BackwardContext& c) {
                       return std::vector<Tensor>{std_backward(c.grad(0), c.saved[0], c.saved[1], s) +
                                                  mean_backward(c.grad(1), s)};
                     });
  }
  return r;
}

Tensor var(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim, OutArg dest) {
  Tensor r = store_result("var", var_mean_forward(x, dims, correction, keepdim).first, dest);
  if (!dest.out && autograd::needs_grad({&x})) {
    const StatsShape s = stats_shape(x, dims, correction, keepdim);
    autograd::record("VarBackward0", {x}, {r}, {x}, {}, [s](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{var_backward(c.grad(), c.saved[0], s)};
    });
  }
  return r;
}

Tensor std_dev(const Tensor& x, const OptionalDims& dims, double correction, bool keepdim, OutArg dest) {
  Tensor sd = var_mean_forward(x, dims, correction, keepdim).first;
  {
    autograd::AutoGradMode no_record(false);
    sd = unary(UnaryOp::Sqrt, sd);
  }
  Tensor r = store_result("std", sd, dest);
  if (!dest.out && autograd::needs_grad({&x})) {
    const StatsShape s = stats_shape(x, dims, correction, keepdim);
    autograd::record("StdBackward0", {x}, {r}, {x}, {r}, [s](const autograd::BackwardContext& c) {
      return std::vector<Tensor>{std_backward(c.grad(), c.saved[0], c.saved[1], s)};
    });
  }
  return r;
}

// d logsumexp / d x = exp(x - logsumexp), times g broadcast back.
static Tensor logsumexp_forward(const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  autograd::AutoGradMode no_record(false);
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

Tensor logsumexp(const Tensor& x, const OptionalDims& dims, bool keepdim, OutArg dest) {
  Tensor r = logsumexp_forward(x, dims, keepdim, dest);
  if (!dest.out && is_floating(x.dtype()) && autograd::needs_grad({&x})) {
    const Shape sizes = x.sizes();
    autograd::record("LogsumexpBackward0", {x}, {r}, {x}, {r}, [sizes, dims, keepdim](const autograd::BackwardContext& c) {
      Tensor g = autograd::expand_reduced(c.grad(), sizes, dims, keepdim);
      Tensor r = autograd::expand_reduced(c.saved[1], sizes, dims, keepdim);
      return std::vector<Tensor>{g * unary(UnaryOp::Exp, c.saved[0] - r)};
    });
  }
  return r;
}

static Tensor vector_norm_forward(const Tensor& x, double ord, const OptionalDims& dims, bool keepdim,
                                  OptionalDtype dtype);

// d ||x||_p / d x = sgn(x) |x|^(p-1) / ||x||^(p-1), with PyTorch's conventions: 0 where the norm
// is 0, 0 at x == 0 for p < 1, the gradient shared among the ties for p = +-inf, 0 for p = 0.
static Tensor norm_backward(const Tensor& g0, const Tensor& x, const Tensor& r0, double ord, const Shape& sizes,
                            const OptionalDims& dims, bool keepdim) {
  Tensor g = autograd::expand_reduced(g0, sizes, dims, keepdim);
  Tensor r = autograd::expand_reduced(r0, sizes, dims, keepdim);
  Tensor zero = wrap_scalar(Scalar(0.0));
  if (ord == 0) return g * 0.0;
  if (ord == 1) return g * unary(UnaryOp::Sign, x);
  Tensor a = unary(UnaryOp::Abs, x);
  if (std::isinf(ord)) {
    Tensor hit = binary(BinaryOp::Eq, a, r);
    return g * unary(UnaryOp::Sign, x) * hit / expand(sum(hit, dims, true), sizes);
  }
  Tensor norm_zero = binary(BinaryOp::Eq, r, zero);
  if (ord == 2) return where(norm_zero, zero, g * x / r);
  Tensor scaled = ord < 1 ? unary(UnaryOp::Sign, x) * where(binary(BinaryOp::Eq, x, zero), zero, pow(a, Scalar(ord - 1)))
                  : ord < 2 ? unary(UnaryOp::Sign, x) * pow(a, Scalar(ord - 1))
                            : x * pow(a, Scalar(ord - 2));
  return scaled * where(norm_zero, zero, g / pow(r, Scalar(ord - 1)));
}

Tensor vector_norm(const Tensor& x, double ord, const OptionalDims& dims, bool keepdim, OptionalDtype dtype,
                   OutArg dest) {
  Tensor r;
  {
    autograd::AutoGradMode no_record(false);
    r = vector_norm_forward(x, ord, dims, keepdim, dtype);
  }
  r = store_result("linalg.vector_norm", r, dest);
  if (!dest.out && autograd::needs_grad({&x})) {
    const Shape sizes = x.sizes();
    autograd::record("LinalgVectorNormBackward0", {x}, {r}, {x}, {r},
                     [ord, sizes, dims, keepdim](const autograd::BackwardContext& c) {
                       return std::vector<Tensor>{norm_backward(c.grad(), c.saved[0], c.saved[1], ord, sizes, dims,
                                                                keepdim)};
                     });
  }
  return r;
}

static Tensor vector_norm_forward(const Tensor& x, double ord, const OptionalDims& dims, bool keepdim,
                                  OptionalDtype dtype) {
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
  return cast_operand(r, dt);
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
