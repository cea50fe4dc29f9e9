// Unary elementwise ops: exp, log, abs, sigmoid, gelu, isnan, ... Each UnaryOp has a dtype rule
// (the table in unary_rule); the kernels live in cpu/kernels/unary_kernel.cpp.
#include "autograd/formulas.h"
#include "ops/elementwise.h"

namespace pydl {
namespace {

enum class Rule : uint8_t {
  Float,       // integer/bool inputs are computed in the default float dtype (exp(int) -> float)
  FloatOnly,   // floating inputs only (frac, activations)
  Numeric,     // any dtype but bool; result keeps the input dtype
  Any,         // any dtype; result keeps it
  Rounding,    // floats round; integers are returned unchanged
  Predicate,   // any dtype; result is bool
  Integral,    // bool and integers only
};

struct UnaryInfo {
  const char* name;
  Rule rule;
};

UnaryInfo unary_info(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return {"neg", Rule::Numeric};
    case UnaryOp::Abs: return {"abs", Rule::Numeric};
    case UnaryOp::Sign: return {"sign", Rule::Any};
    case UnaryOp::Square: return {"square", Rule::Any};
    case UnaryOp::Floor: return {"floor", Rule::Rounding};
    case UnaryOp::Ceil: return {"ceil", Rule::Rounding};
    case UnaryOp::Round: return {"round", Rule::Rounding};
    case UnaryOp::Trunc: return {"trunc", Rule::Rounding};
    case UnaryOp::Frac: return {"frac", Rule::FloatOnly};
    case UnaryOp::Relu: return {"relu", Rule::Numeric};
    case UnaryOp::Clamp: return {"clamp", Rule::Numeric};
    case UnaryOp::BitwiseNot: return {"bitwise_not", Rule::Integral};
    case UnaryOp::LogicalNot: return {"logical_not", Rule::Predicate};
    case UnaryOp::IsNan: return {"isnan", Rule::Predicate};
    case UnaryOp::IsInf: return {"isinf", Rule::Predicate};
    case UnaryOp::IsPosInf: return {"isposinf", Rule::Predicate};
    case UnaryOp::IsNegInf: return {"isneginf", Rule::Predicate};
    case UnaryOp::IsFinite: return {"isfinite", Rule::Predicate};
    case UnaryOp::Exp: return {"exp", Rule::Float};
    case UnaryOp::Exp2: return {"exp2", Rule::Float};
    case UnaryOp::Expm1: return {"expm1", Rule::Float};
    case UnaryOp::Log: return {"log", Rule::Float};
    case UnaryOp::Log2: return {"log2", Rule::Float};
    case UnaryOp::Log10: return {"log10", Rule::Float};
    case UnaryOp::Log1p: return {"log1p", Rule::Float};
    case UnaryOp::Sqrt: return {"sqrt", Rule::Float};
    case UnaryOp::Rsqrt: return {"rsqrt", Rule::Float};
    case UnaryOp::Reciprocal: return {"reciprocal", Rule::Float};
    case UnaryOp::Sin: return {"sin", Rule::Float};
    case UnaryOp::Cos: return {"cos", Rule::Float};
    case UnaryOp::Tan: return {"tan", Rule::Float};
    case UnaryOp::Asin: return {"asin", Rule::Float};
    case UnaryOp::Acos: return {"acos", Rule::Float};
    case UnaryOp::Atan: return {"atan", Rule::Float};
    case UnaryOp::Sinh: return {"sinh", Rule::Float};
    case UnaryOp::Cosh: return {"cosh", Rule::Float};
    case UnaryOp::Tanh: return {"tanh", Rule::Float};
    case UnaryOp::Asinh: return {"asinh", Rule::Float};
    case UnaryOp::Acosh: return {"acosh", Rule::Float};
    case UnaryOp::Atanh: return {"atanh", Rule::Float};
    case UnaryOp::Sigmoid: return {"sigmoid", Rule::Float};
    case UnaryOp::Logit: return {"logit", Rule::Float};
    case UnaryOp::Erf: return {"erf", Rule::Float};
    case UnaryOp::Erfc: return {"erfc", Rule::Float};
    case UnaryOp::Erfinv: return {"erfinv", Rule::Float};
    case UnaryOp::RoundDecimals: return {"round", Rule::FloatOnly};
    case UnaryOp::NanToNum: return {"nan_to_num", Rule::Rounding};
    case UnaryOp::PowScalar: return {"pow", Rule::Any};
    case UnaryOp::LeakyRelu: return {"leaky_relu", Rule::FloatOnly};
    case UnaryOp::Elu: return {"elu", Rule::FloatOnly};
    case UnaryOp::GeluErf: return {"gelu", Rule::FloatOnly};
    case UnaryOp::GeluTanh: return {"gelu", Rule::FloatOnly};
    case UnaryOp::Silu: return {"silu", Rule::FloatOnly};
    case UnaryOp::Mish: return {"mish", Rule::FloatOnly};
    case UnaryOp::Softplus: return {"softplus", Rule::FloatOnly};
    case UnaryOp::Softsign: return {"softsign", Rule::Float};
    case UnaryOp::Hardsigmoid: return {"hardsigmoid", Rule::FloatOnly};
    case UnaryOp::Hardswish: return {"hardswish", Rule::FloatOnly};
    case UnaryOp::LogSigmoid: return {"log_sigmoid", Rule::FloatOnly};
    case UnaryOp::Count: break;
  }
  PYDL_FAIL("internal error: unknown unary op");
}

[[noreturn]] void unsupported(const char* name, ScalarType t) {
  PYDL_CHECK_NOT_IMPLEMENTED(false, "\"", name, "\" not implemented for '", t, "'");
  __builtin_unreachable();
}

// d op(x) / dx times g, for r = op(x), with pydl ops. Undefined: no formula yet.
Tensor unary_backward(UnaryOp op, const OpParams& p, const Tensor& g, const Tensor& x, const Tensor& r) {
  auto call = [](UnaryOp u, const Tensor& t) { return unary(u, t); };
  auto cmp = [](BinaryOp b, const Tensor& t, double v) { return binary(b, t, wrap_scalar(Scalar(v))); };
  auto gt = [&](const Tensor& t, double v) { return cmp(BinaryOp::Gt, t, v); };
  auto ge = [&](const Tensor& t, double v) { return cmp(BinaryOp::Ge, t, v); };
  auto lt = [&](const Tensor& t, double v) { return cmp(BinaryOp::Lt, t, v); };
  auto le = [&](const Tensor& t, double v) { return cmp(BinaryOp::Le, t, v); };
  auto zero = [] { return wrap_scalar(Scalar(0.0)); };
  switch (op) {
    case UnaryOp::Neg: return -g;
    case UnaryOp::Abs: return g * call(UnaryOp::Sign, x);
    case UnaryOp::Square: return g * x * 2.0;
    case UnaryOp::Relu: return g * binary(BinaryOp::Gt, r, wrap_scalar(Scalar(0.0)));
    case UnaryOp::Sign: case UnaryOp::Floor: case UnaryOp::Ceil: case UnaryOp::Round: case UnaryOp::Trunc:
    case UnaryOp::RoundDecimals:
      return g * 0.0;  // flat almost everywhere, like PyTorch
    case UnaryOp::Frac: return g;
    case UnaryOp::Exp: return g * r;
    case UnaryOp::Exp2: return g * r * 0.69314718055994530942;
    case UnaryOp::Expm1: return g * (r + 1.0);
    case UnaryOp::Log: return g / x;
    case UnaryOp::Log2: return g / (x * 0.69314718055994530942);
    case UnaryOp::Log10: return g / (x * 2.30258509299404568402);
    case UnaryOp::Log1p: return g / (x + 1.0);
    case UnaryOp::Sqrt: return g / (r * 2.0);
    case UnaryOp::Rsqrt: return g * r * r * r * -0.5;
    case UnaryOp::Reciprocal: return -g * r * r;
    case UnaryOp::Sin: return g * call(UnaryOp::Cos, x);
    case UnaryOp::Cos: return -g * call(UnaryOp::Sin, x);
    case UnaryOp::Tan: return g * (r * r + 1.0);
    case UnaryOp::Asin: return g * call(UnaryOp::Rsqrt, 1.0 - x * x);
    case UnaryOp::Acos: return -g * call(UnaryOp::Rsqrt, 1.0 - x * x);
    case UnaryOp::Atan: return g / (x * x + 1.0);
    case UnaryOp::Sinh: return g * call(UnaryOp::Cosh, x);
    case UnaryOp::Cosh: return g * call(UnaryOp::Sinh, x);
    case UnaryOp::Tanh: return g * (1.0 - r * r);
    case UnaryOp::Sigmoid: return g * r * (1.0 - r);
    case UnaryOp::Erf: return g * call(UnaryOp::Exp, -(x * x)) * 1.12837916709551257390;  // 2/sqrt(pi)
    case UnaryOp::Silu: {
      Tensor s = call(UnaryOp::Sigmoid, x);
      return g * s * (x * (1.0 - s) + 1.0);
    }
    case UnaryOp::PowScalar: return g * unary(UnaryOp::PowScalar, x, OpParams{p.a - 1.0}) * p.a;
    case UnaryOp::NanToNum: return g * call(UnaryOp::IsFinite, x);
    case UnaryOp::Erfc: return g * call(UnaryOp::Exp, -(x * x)) * -1.12837916709551257390;
    case UnaryOp::Erfinv: return g * call(UnaryOp::Exp, r * r) * 0.88622692545275801365;  // sqrt(pi)/2
    case UnaryOp::Asinh: return g * call(UnaryOp::Rsqrt, x * x + 1.0);
    case UnaryOp::Acosh: return g * call(UnaryOp::Rsqrt, x * x - 1.0);
    case UnaryOp::Atanh: return g / (1.0 - x * x);
    case UnaryOp::Logit: {
      Tensor d = g / (x * (1.0 - x));
      if (!p.has_a) return d;  // NaN outside [0, 1], like the forward
      // Flat where the forward clamped x to [eps, 1 - eps] (PyTorch's rule).
      Tensor inside = binary(BinaryOp::LogicalAnd, ge(x, p.a), le(x, 1.0 - p.a));
      return where(inside, d, zero());
    }
    case UnaryOp::Clamp: {
      // Gradient passes where min <= x <= max (both ends included, as in PyTorch).
      Tensor pass = p.has_a ? ge(x, p.a) : Tensor();
      if (p.has_b) pass = pass.defined() ? binary(BinaryOp::LogicalAnd, pass, le(x, p.b)) : le(x, p.b);
      return g * pass;
    }
    // --- activations (p as their forwards set it, see the kernels)
    case UnaryOp::LeakyRelu: return where(gt(x, 0.0), g, g * p.a);
    case UnaryOp::Elu:  // alpha = p.a, scale = p.b, input_scale = p.c
      return where(gt(x, 0.0), g * p.b, g * call(UnaryOp::Exp, x * p.c) * (p.a * p.b * p.c));
    case UnaryOp::GeluErf: {
      Tensor cdf = (call(UnaryOp::Erf, x * 0.70710678118654752440) + 1.0) * 0.5;
      Tensor pdf = call(UnaryOp::Exp, x * x * -0.5) * 0.39894228040143267794;  // 1/sqrt(2 pi)
      return g * (cdf + x * pdf);
    }
    case UnaryOp::GeluTanh: {
      const double beta = 0.79788456080286535588, kappa = 0.044715;  // sqrt(2/pi)
      Tensor t = call(UnaryOp::Tanh, (x + x * x * x * kappa) * beta);
      Tensor inner_d = (x * x * (3.0 * kappa) + 1.0) * beta;
      return g * ((t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * inner_d);
    }
    case UnaryOp::Mish: {
      Tensor t = call(UnaryOp::Tanh, unary(UnaryOp::Softplus, x, OpParams{1.0, 20.0}));
      return g * (t + x * call(UnaryOp::Sigmoid, x) * (1.0 - t * t));
    }
    case UnaryOp::Softplus: {  // beta = p.a, linear above threshold = p.b
      Tensor bx = x * p.a;
      return where(gt(bx, p.b), g, g * call(UnaryOp::Sigmoid, bx));
    }
    case UnaryOp::Softsign: {
      Tensor d = call(UnaryOp::Abs, x) + 1.0;
      return g / (d * d);
    }
    case UnaryOp::Hardsigmoid:
      return where(binary(BinaryOp::LogicalAnd, gt(x, -3.0), lt(x, 3.0)), g * (1.0 / 6.0), zero());
    case UnaryOp::Hardswish:
      // Open interval (-3, 3) for the middle piece, as PyTorch's kernel has it.
      return where(le(x, -3.0), zero(), where(lt(x, 3.0), g * (x * (1.0 / 3.0) + 0.5), g));
    case UnaryOp::LogSigmoid: return g * call(UnaryOp::Sigmoid, -x);
    default: return Tensor();
  }
}

// What unary_backward reads: PyTorch saves only the result for these (so `y = x.exp()` then
// an in-place change of x still backprops) and nothing for the piecewise-constant ones.
bool backward_reads_input(UnaryOp op) {
  switch (op) {
    case UnaryOp::Relu: case UnaryOp::Exp: case UnaryOp::Exp2: case UnaryOp::Expm1: case UnaryOp::Sqrt:
    case UnaryOp::Rsqrt: case UnaryOp::Reciprocal: case UnaryOp::Tan: case UnaryOp::Tanh: case UnaryOp::Sigmoid:
    case UnaryOp::Erfinv: case UnaryOp::Neg: case UnaryOp::Frac: case UnaryOp::Sign: case UnaryOp::Floor:
    case UnaryOp::Ceil: case UnaryOp::Round: case UnaryOp::Trunc: case UnaryOp::RoundDecimals:
      return false;
    default: return true;
  }
}

bool backward_reads_result(UnaryOp op) {
  switch (op) {
    case UnaryOp::Relu: case UnaryOp::Exp: case UnaryOp::Exp2: case UnaryOp::Expm1: case UnaryOp::Sqrt:
    case UnaryOp::Rsqrt: case UnaryOp::Reciprocal: case UnaryOp::Tan: case UnaryOp::Tanh: case UnaryOp::Sigmoid:
    case UnaryOp::Erfinv:
      return true;
    default: return false;
  }
}

void record_unary(UnaryOp op, const OpParams& p, const Tensor& x, const Tensor& r) {
  const char* name = unary_info(op).name;
  const bool input = backward_reads_input(op), result = backward_reads_result(op);
  std::vector<Tensor> saved_x, saved_r;
  if (input) saved_x.push_back(x);
  if (result) saved_r.push_back(r);
  autograd::record(name, {x}, {r}, saved_x, saved_r, [op, p, name, input, result](const autograd::BackwardContext& c) {
    const Tensor none;
    Tensor g = unary_backward(op, p, c.grad(), input ? c.saved[0] : none, result ? c.saved[input ? 1 : 0] : none);
    PYDL_CHECK_NOT_IMPLEMENTED(g.defined(), "the derivative for '", name, "' is not implemented.");
    return std::vector<Tensor>{g};
  });
}

}  // namespace

const char* unary_name(UnaryOp op) { return unary_info(op).name; }

Tensor unary(UnaryOp op, const Tensor& x, const OpParams& p, OutArg dest) {
  const UnaryInfo info = unary_info(op);
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&x})))
    return autograd::record_inplace((std::string(info.name) + "_").c_str(), *dest.out,
                                    [&](const Tensor& self) { return unary(op, self, p); });
  const ScalarType dt = x.dtype();
  ScalarType compute = dt, result = dt;
  switch (info.rule) {
    case Rule::Float:
      if (op == UnaryOp::Softsign && dt == ScalarType::Bool) unsupported(info.name, dt);  // |x| of a bool
      if (!is_floating(dt)) compute = result = default_dtype();
      break;
    case Rule::FloatOnly:
      if (!is_floating(dt)) unsupported(info.name, dt);
      break;
    case Rule::Numeric:
      if (dt == ScalarType::Bool) {
        PYDL_CHECK(op != UnaryOp::Neg, "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                   "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        unsupported(info.name, dt);
      }
      break;
    case Rule::Any:
      if (dt == ScalarType::Bool && op == UnaryOp::Square) compute = result = ScalarType::Int64;  // True**2 == 1
      break;
    case Rule::Rounding:
      if (dt == ScalarType::Bool && op != UnaryOp::NanToNum) unsupported(info.name, dt);
      if (!is_floating(dt)) {  // integers are already whole (and never NaN)
        if (dest.inplace) {
          dest.out->bump_version();
          return *dest.out;
        }
        if (dest.out) return copy_(*dest.out, x);
        return clone(x);
      }
      break;
    case Rule::Predicate:
      result = ScalarType::Bool;
      break;
    case Rule::Integral:
      if (is_floating(dt)) unsupported(info.name, dt);
      break;
  }
  Tensor r = run_elementwise(info.name, {cast_operand(x, compute)}, result, dest,
                             [&](const ElementwiseIter& it, Backend& b) { b.unary(op, it, p); });
  if (!dest.out && is_floating(result) && autograd::needs_grad({&x})) record_unary(op, p, x, r);
  return r;
}

Tensor pow(const Tensor& x, const Scalar& exponent, OutArg dest) {
  if (x.dtype() == ScalarType::Bool && !exponent.is_float())  // bools power as int64 (True ** 2 == 1)
    return pow(cast_operand(x, ScalarType::Int64), exponent, dest);
  const ScalarType dt = x.dtype();
  if (exponent.is_float() && !is_floating(dt)) {  // int tensor ** 0.5 -> float
    OpParams p{exponent.to_double()};
    return run_elementwise("pow", {cast_operand(x, default_dtype())}, default_dtype(), dest,
                           [&](const ElementwiseIter& it, Backend& b) { b.unary(UnaryOp::PowScalar, it, p); });
  }
  if (!is_floating(dt)) {
    PYDL_CHECK(exponent.to_int() >= 0 || exponent.is_bool(), "Integers to negative integer powers are not allowed.");
  }
  const double e = exponent.to_double();
  // The shortcuts PyTorch takes, which are also exact: x**1 is a copy, x**2 a product.
  if (e == 2.0) return unary(UnaryOp::Square, x, {}, dest);
  if (is_floating(dt)) {
    if (e == 0.5) return unary(UnaryOp::Sqrt, x, {}, dest);
    if (e == -1.0) return unary(UnaryOp::Reciprocal, x, {}, dest);
    if (e == -0.5) return unary(UnaryOp::Rsqrt, x, {}, dest);
  }
  OpParams p{e};
  return unary(UnaryOp::PowScalar, x, p, dest);
}

Tensor clamp(const Tensor& x, const std::optional<Scalar>& min, const std::optional<Scalar>& max, OutArg dest) {
  PYDL_CHECK(min || max, "torch.clamp: At least one of 'min' or 'max' must not be None");
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&x})))
    return autograd::record_inplace("clamp_", *dest.out, [&](const Tensor& self) { return clamp(self, min, max); });
  OpParams p;
  p.has_a = min.has_value();
  p.has_b = max.has_value();
  p.a = min ? min->to_double() : 0.0;
  p.b = max ? max->to_double() : 0.0;
  // The bounds promote like numbers in x + bound: a float bound makes an int tensor float, an
  // int bound makes a bool tensor int64.
  ResultTypeState state;
  state.add_tensor(x.dtype(), x.dim() == 0);
  if (min) state.add_scalar(*min);
  if (max) state.add_scalar(*max);
  const ScalarType dt = state.result();
  Tensor r = run_elementwise("clamp", {cast_operand(x, dt)}, dt, dest,
                             [&](const ElementwiseIter& it, Backend& b) { b.unary(UnaryOp::Clamp, it, p); });
  if (!dest.out && is_floating(dt) && autograd::needs_grad({&x})) record_unary(UnaryOp::Clamp, p, x, r);
  return r;
}

}  // namespace pydl
