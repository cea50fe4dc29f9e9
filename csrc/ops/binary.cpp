// Binary elementwise ops: arithmetic, comparisons, logic, bitwise, min/max. Each BinaryOp has a
// dtype rule (binary_rule); Python numbers arrive as wrapped 0-d tensors and promote like
// numbers (int32 tensor + 2.5 -> float32). Kernels: cpu/kernels/binary_kernel.cpp.
#include "autograd/formulas.h"
#include "core/dispatch.h"
#include "ops/elementwise.h"

namespace pydl {
namespace {

enum class Rule : uint8_t {
  Promote,    // compute and return in the promoted dtype
  Float,      // as Promote, but integer results become the default float dtype (true division)
  FloatOnly,  // floating dtypes only
  IntDiv,     // as Promote; integer divisors are checked for zero first
  Integral,   // bool/integer dtypes only
  Compare,    // compute in the promoted dtype, return bool
};

struct BinaryInfo {
  const char* name;
  Rule rule;
};

BinaryInfo binary_info(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return {"add", Rule::Promote};
    case BinaryOp::AddAlpha: return {"add", Rule::Promote};
    case BinaryOp::Sub: return {"sub", Rule::Promote};
    case BinaryOp::Mul: return {"mul", Rule::Promote};
    case BinaryOp::Div: return {"div", Rule::Float};
    case BinaryOp::DivTrunc: return {"div", Rule::IntDiv};
    case BinaryOp::DivFloor: return {"floor_divide", Rule::IntDiv};
    case BinaryOp::Remainder: return {"remainder", Rule::IntDiv};
    case BinaryOp::Fmod: return {"fmod", Rule::IntDiv};
    case BinaryOp::Pow: return {"pow", Rule::Promote};
    case BinaryOp::Atan2: return {"atan2", Rule::Float};
    case BinaryOp::Hypot: return {"hypot", Rule::FloatOnly};
    case BinaryOp::Maximum: return {"maximum", Rule::Promote};
    case BinaryOp::Minimum: return {"minimum", Rule::Promote};
    case BinaryOp::Fmax: return {"fmax", Rule::Promote};
    case BinaryOp::Fmin: return {"fmin", Rule::Promote};
    case BinaryOp::BitwiseAnd: return {"bitwise_and", Rule::Integral};
    case BinaryOp::BitwiseOr: return {"bitwise_or", Rule::Integral};
    case BinaryOp::BitwiseXor: return {"bitwise_xor", Rule::Integral};
    case BinaryOp::LeftShift: return {"bitwise_left_shift", Rule::Integral};
    case BinaryOp::RightShift: return {"bitwise_right_shift", Rule::Integral};
    case BinaryOp::Copysign: return {"copysign", Rule::Float};
    case BinaryOp::Xlogy: return {"xlogy", Rule::Float};
    case BinaryOp::Eq: return {"eq", Rule::Compare};
    case BinaryOp::Ne: return {"ne", Rule::Compare};
    case BinaryOp::Lt: return {"lt", Rule::Compare};
    case BinaryOp::Le: return {"le", Rule::Compare};
    case BinaryOp::Gt: return {"gt", Rule::Compare};
    case BinaryOp::Ge: return {"ge", Rule::Compare};
    case BinaryOp::LogicalAnd: return {"logical_and", Rule::Compare};
    case BinaryOp::LogicalOr: return {"logical_or", Rule::Compare};
    case BinaryOp::LogicalXor: return {"logical_xor", Rule::Compare};
    case BinaryOp::IsClose: return {"isclose", Rule::Compare};
    case BinaryOp::Count: break;
  }
  PYDL_FAIL("internal error: unknown binary op");
}

// True when an integer tensor holds a zero (checked on the CPU before dividing by it).
bool has_zero(const Tensor& t) {
  if (!t.device().is_cpu()) return false;  // GPUs do not trap on integer division by zero
  Tensor c = contiguous(t);
  return PYDL_DISPATCH_ALL_TYPES(c.dtype(), "has_zero", [&] {
    const scalar_t* p = c.data<scalar_t>();
    for (int64_t i = 0, n = c.numel(); i < n; ++i)
      if (p[i] == scalar_t(0)) return true;
    return false;
  });
}

Tensor zero() { return wrap_scalar(Scalar(0.0)); }

// Records the backward of r = op(a, b). Gradients are summed back over broadcast dims.
void record_binary(BinaryOp op, const OpParams& p, const Tensor& a, const Tensor& b, const Tensor& r) {
  using autograd::BackwardContext;
  using autograd::record;
  using autograd::sum_to;
  using Grads = std::vector<Tensor>;
  switch (op) {
    case BinaryOp::Add:
    case BinaryOp::AddAlpha: {
      const double alpha = op == BinaryOp::Add ? 1.0 : p.a;
      record("AddBackward0", {a, b}, {r}, {}, {}, [alpha](const BackwardContext& c) {
        return Grads{c.needs(0) ? sum_to(c.grad(), c.input_sizes(0)) : Tensor(),
                     c.needs(1) ? sum_to(alpha == 1.0 ? c.grad() : c.grad() * alpha, c.input_sizes(1)) : Tensor()};
      });
      return;
    }
    case BinaryOp::Sub:
      record("SubBackward0", {a, b}, {r}, {}, {}, [](const BackwardContext& c) {
        return Grads{c.needs(0) ? sum_to(c.grad(), c.input_sizes(0)) : Tensor(), c.needs(1) ? sum_to(-c.grad(), c.input_sizes(1)) : Tensor()};
      });
      return;
    case BinaryOp::Mul:
      record("MulBackward0", {a, b}, {r}, {a, b}, {}, [](const BackwardContext& c) {
        const Tensor &x = c.saved[0], &y = c.saved[1];
        return Grads{c.needs(0) ? sum_to(c.grad() * y, c.input_sizes(0)) : Tensor(),
                     c.needs(1) ? sum_to(c.grad() * x, c.input_sizes(1)) : Tensor()};
      });
      return;
    case BinaryOp::Div:
      record("DivBackward0", {a, b}, {r}, {a, b}, {}, [](const BackwardContext& c) {
        const Tensor &x = c.saved[0], &y = c.saved[1];
        return Grads{c.needs(0) ? sum_to(c.grad() / y, c.input_sizes(0)) : Tensor(),
                     c.needs(1) ? sum_to(-c.grad() * x / (y * y), c.input_sizes(1)) : Tensor()};
      });
      return;
    case BinaryOp::Pow:
      record("PowBackward1", {a, b}, {r}, {a, b}, {r}, [](const BackwardContext& c) {
        const Tensor &x = c.saved[0], &y = c.saved[1], &out = c.saved[2];
        Grads g(2);
        if (c.needs(0)) g[0] = sum_to(c.grad() * y * binary(BinaryOp::Pow, x, y - 1.0), c.input_sizes(0));
        // d/dy x^y = x^y log x, taken as 0 where x == 0 (PyTorch's convention: 0^y is flat in y).
        if (c.needs(1)) {
          Tensor zero = binary(BinaryOp::Eq, x, wrap_scalar(Scalar(0.0)));
          g[1] = sum_to(where(zero, wrap_scalar(Scalar(0.0)), c.grad() * out * unary(UnaryOp::Log, x)), c.input_sizes(1));
        }
        return g;
      });
      return;
    case BinaryOp::Maximum:
    case BinaryOp::Minimum: {
      // The gradient goes to the larger (smaller) side; a tie splits it in half, as in PyTorch.
      const BinaryOp wins = op == BinaryOp::Maximum ? BinaryOp::Gt : BinaryOp::Lt;
      record(op == BinaryOp::Maximum ? "MaximumBackward0" : "MinimumBackward0", {a, b}, {r}, {a, b}, {},
             [wins](const BackwardContext& c) {
               const Tensor &x = c.saved[0], &y = c.saved[1];
               Tensor half = where(binary(BinaryOp::Eq, x, y), c.grad() * 0.5, zero());
               Grads g(2);
               if (c.needs(0)) g[0] = sum_to(where(binary(wins, x, y), c.grad(), half), c.input_sizes(0));
               if (c.needs(1)) g[1] = sum_to(where(binary(wins, y, x), c.grad(), half), c.input_sizes(1));
               return g;
             });
      return;
    }
    case BinaryOp::Fmax:
    case BinaryOp::Fmin: {
      // fmax/fmin ignore a NaN side: the gradient goes to the side the result came from (a on ties).
      const BinaryOp keeps_a = op == BinaryOp::Fmax ? BinaryOp::Ge : BinaryOp::Le;
      record(op == BinaryOp::Fmax ? "FmaxBackward0" : "FminBackward0", {a, b}, {r}, {a, b}, {},
             [keeps_a](const BackwardContext& c) {
               const Tensor &x = c.saved[0], &y = c.saved[1];
               Tensor from_a = binary(BinaryOp::LogicalOr, binary(keeps_a, x, y), unary(UnaryOp::IsNan, y));
               return Grads{c.needs(0) ? sum_to(where(from_a, c.grad(), zero()), c.input_sizes(0)) : Tensor(),
                            c.needs(1) ? sum_to(where(from_a, zero(), c.grad()), c.input_sizes(1)) : Tensor()};
             });
      return;
    }
    case BinaryOp::Atan2:
      record("Atan2Backward0", {a, b}, {r}, {a, b}, {}, [](const BackwardContext& c) {
        const Tensor &x = c.saved[0], &y = c.saved[1];
        Tensor scale = c.grad() / (x * x + y * y);
        return Grads{c.needs(0) ? sum_to(scale * y, c.input_sizes(0)) : Tensor(), c.needs(1) ? sum_to(-scale * x, c.input_sizes(1)) : Tensor()};
      });
      return;
    case BinaryOp::Hypot:
      record("HypotBackward0", {a, b}, {r}, {a, b}, {r}, [](const BackwardContext& c) {
        const Tensor &x = c.saved[0], &y = c.saved[1], &out = c.saved[2];
        Tensor scale = c.grad() / out;
        return Grads{c.needs(0) ? sum_to(scale * x, c.input_sizes(0)) : Tensor(), c.needs(1) ? sum_to(scale * y, c.input_sizes(1)) : Tensor()};
      });
      return;
    case BinaryOp::Remainder:
    case BinaryOp::Fmod: {
      // a - b * floor(a / b) (remainder) or a - b * trunc(a / b) (fmod): the quotient is flat.
      const UnaryOp round = op == BinaryOp::Remainder ? UnaryOp::Floor : UnaryOp::Trunc;
      record(op == BinaryOp::Remainder ? "RemainderBackward0" : "FmodBackward0", {a, b}, {r}, {a, b}, {},
             [round](const BackwardContext& c) {
               const Tensor &x = c.saved[0], &y = c.saved[1];
               return Grads{c.needs(0) ? sum_to(c.grad(), c.input_sizes(0)) : Tensor(),
                            c.needs(1) ? sum_to(-c.grad() * unary(round, x / y), c.input_sizes(1)) : Tensor()};
             });
      return;
    }
    case BinaryOp::Copysign:
      // |a| with b's sign: d/da = sign(a) sign(result), 0 at a == 0 (PyTorch); flat in b.
      record("CopysignBackward0", {a, b}, {r}, {a}, {r}, [](const BackwardContext& c) {
        const Tensor &x = c.saved[0], &out = c.saved[1];
        Tensor ratio = unary(UnaryOp::Sign, x) * unary(UnaryOp::Sign, out);
        return Grads{c.needs(0) ? sum_to(c.grad() * ratio, c.input_sizes(0)) : Tensor(),
                     c.needs(1) ? sum_to(c.grad() * 0.0, c.input_sizes(1)) : Tensor()};
      });
      return;
    case BinaryOp::Xlogy:
      // x log y, defined as 0 where x == 0: d/dx = log y, taken as 0 where x == 0 and y <= 0
      // (PyTorch's rule, so that x == y == 0 gives no NaN).
      record("XlogyBackward0", {a, b}, {r}, {a, b}, {}, [](const BackwardContext& c) {
        const Tensor &x = c.saved[0], &y = c.saved[1];
        Tensor flat = binary(BinaryOp::LogicalAnd, binary(BinaryOp::Eq, x, zero()), binary(BinaryOp::Le, y, zero()));
        return Grads{c.needs(0) ? sum_to(where(flat, zero(), binary(BinaryOp::Xlogy, c.grad(), y)), c.input_sizes(0)) : Tensor(),
                     c.needs(1) ? sum_to(c.grad() * x / y, c.input_sizes(1)) : Tensor()};
      });
      return;
    default:
      record(binary_info(op).name, {a, b}, {r}, {}, {}, autograd::not_implemented(binary_info(op).name));
  }
}

}  // namespace

const char* binary_name(BinaryOp op) { return binary_info(op).name; }

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const OpParams& p, OutArg dest) {
  const BinaryInfo info = binary_info(op);
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&a, &b})))
    return autograd::record_inplace((std::string(info.name) + "_").c_str(), *dest.out,
                                    [&](const Tensor& self) { return binary(op, self, b, p); });
  ScalarType compute = result_type({a, b});
  ScalarType result = compute;
  switch (info.rule) {
    case Rule::Promote:
      PYDL_CHECK_NOT_IMPLEMENTED(!(op == BinaryOp::Pow && compute == ScalarType::Bool),
                                 "\"pow\" not implemented for 'Bool'");
      if (compute == ScalarType::Bool) {
        PYDL_CHECK(op != BinaryOp::Sub, "Subtraction, the `-` operator, with two bool tensors is not supported. "
                   "Use the `^` or `logical_xor()` operator instead.");
      }
      break;
    case Rule::Float:
      if (!is_floating(compute)) compute = result = default_dtype();
      break;
    case Rule::FloatOnly:
      PYDL_CHECK_NOT_IMPLEMENTED(is_floating(compute), "\"", info.name, "\" not implemented for '", compute, "'");
      break;
    case Rule::IntDiv:
      PYDL_CHECK_NOT_IMPLEMENTED(compute != ScalarType::Bool, "\"", info.name, "\" not implemented for 'Bool'");
      if (!is_floating(compute))
        PYDL_CHECK(!has_zero(b), "ZeroDivisionError: ", info.name, " of an integer tensor by zero (divisor shape ",
                   b.sizes(), ")");
      break;
    case Rule::Integral: {
      const bool shift = op == BinaryOp::LeftShift || op == BinaryOp::RightShift;
      PYDL_CHECK_NOT_IMPLEMENTED(!is_floating(compute) && !(shift && compute == ScalarType::Bool), "\"", info.name,
                                 "_cpu\" not implemented for '", compute, "' (bitwise ops need integer or bool tensors)");
      break;
    }
    case Rule::Compare:
      result = ScalarType::Bool;
      break;
  }
  Tensor r = run_elementwise(info.name, {cast_operand(a, compute), cast_operand(b, compute)}, result, dest,
                             [&](const ElementwiseIter& it, Backend& be) { be.binary(op, it, p); });
  if (!dest.out && is_floating(result) && autograd::needs_grad({&a, &b})) record_binary(op, p, a, b, r);
  return r;
}

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha, OutArg dest) {
  if (alpha.is_int() && alpha.to_int() == 1) return binary(BinaryOp::Add, a, b, {}, dest);
  const ScalarType rt = result_type({a, b});
  PYDL_CHECK(!(alpha.is_float() && !is_floating(rt)),
             "For integral input tensors, argument alpha must not be a floating point number.");
  PYDL_CHECK(!(alpha.is_bool() && rt != ScalarType::Bool), "Boolean alpha only supported for Boolean results.");
  OpParams p{alpha.to_double()};
  return binary(BinaryOp::AddAlpha, a, b, p, dest);
}

Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha, OutArg dest) {
  if (alpha.is_int() && alpha.to_int() == 1) return binary(BinaryOp::Sub, a, b, {}, dest);
  PYDL_CHECK(result_type({a, b}) != ScalarType::Bool, "Subtraction, the `-` operator, with two bool tensors is "
             "not supported. Use the `^` or `logical_xor()` operator instead.");
  return add(a, b, alpha.is_float() ? Scalar(-alpha.to_double()) : Scalar(-alpha.to_int()), dest);
}

Tensor div(const Tensor& a, const Tensor& b, const std::string& rounding_mode, OutArg dest) {
  if (rounding_mode.empty()) return binary(BinaryOp::Div, a, b, {}, dest);
  if (rounding_mode == "trunc") return binary(BinaryOp::DivTrunc, a, b, {}, dest);
  if (rounding_mode == "floor") return binary(BinaryOp::DivFloor, a, b, {}, dest);
  PYDL_CHECK(false, "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", rounding_mode, "'");
  return Tensor();
}

// --- ternary ops --------------------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, OutArg dest) {
  PYDL_CHECK(cond.dtype() == ScalarType::Bool || cond.dtype() == ScalarType::UInt8,
             "where expected condition to be a boolean tensor, but got a tensor with dtype ", cond.dtype());
  const ScalarType dt = result_type({a, b});
  Tensor r = run_elementwise("where", {cast_operand(cond, ScalarType::Bool), cast_operand(a, dt), cast_operand(b, dt)},
                             dt, dest, [&](const ElementwiseIter& it, Backend& be) { be.ternary(TernaryOp::Where, it, {}); });
  if (!dest.out && is_floating(dt) && autograd::needs_grad({&a, &b})) {
    // The gradient goes to whichever side was picked, element by element.
    const Shape sa = a.sizes(), sb = b.sizes();
    autograd::record("WhereBackward0", {a, b}, {r}, {cond}, {}, [sa, sb](const autograd::BackwardContext& c) {
      const Tensor& picked = c.saved[0];
      Tensor zero = wrap_scalar(Scalar(0.0));
      return std::vector<Tensor>{c.needs(0) ? autograd::sum_to(where(picked, c.grad(), zero), sa) : Tensor(),
                                 c.needs(1) ? autograd::sum_to(where(picked, zero, c.grad()), sb) : Tensor()};
    });
  }
  return r;
}

Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight, OutArg dest) {
  PYDL_CHECK(a.dtype() == b.dtype(), "lerp: expected dtype ", a.dtype(), " for `end` but got dtype ", b.dtype());
  PYDL_CHECK_NOT_IMPLEMENTED(is_floating(a.dtype()), "\"lerp_kernel_scalar\" not implemented for '", a.dtype(), "'");
  PYDL_CHECK(weight.impl()->is_wrapped_number() || weight.dtype() == a.dtype(), "lerp: expected dtype ", a.dtype(),
             " for `weight` but got dtype ", weight.dtype());
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&b, &weight})))
    return autograd::record_inplace("lerp_", *dest.out, [&](const Tensor& self) { return lerp(self, b, weight); });
  const ScalarType dt = a.dtype();
  Tensor r = run_elementwise("lerp", {a, b, cast_operand(weight, dt)}, dt, dest,
                             [&](const ElementwiseIter& it, Backend& be) { be.ternary(TernaryOp::Lerp, it, {}); });
  if (!dest.out && autograd::needs_grad({&a, &b, &weight})) {
    // a + w (b - a): d/da = 1 - w, d/db = w, d/dw = b - a.
    const Shape sa = a.sizes(), sb = b.sizes(), sw = weight.sizes();
    const bool scalar_weight = weight.impl()->is_wrapped_number();
    autograd::record(scalar_weight ? "LerpBackward0" : "LerpBackward1", {a, b, weight}, {r}, {a, b, weight}, {},
                     [sa, sb, sw](const autograd::BackwardContext& c) {
                       const Tensor &x = c.saved[0], &y = c.saved[1], &w = c.saved[2], &g = c.grad();
                       return std::vector<Tensor>{c.needs(0) ? autograd::sum_to(g - g * w, sa) : Tensor(),  // not 1 - w: two numbers compute in float32
                                                  c.needs(1) ? autograd::sum_to(g * w, sb) : Tensor(),
                                                  c.needs(2) ? autograd::sum_to(g * (y - x), sw) : Tensor()};
                     });
  }
  return r;
}

Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max, OutArg dest) {
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&min, &max})))
    return autograd::record_inplace("clamp_", *dest.out, [&](const Tensor& self) { return clamp(self, min, max); });
  const ScalarType dt = result_type({x, min, max});
  Tensor r = run_elementwise("clamp", {cast_operand(x, dt), cast_operand(min, dt), cast_operand(max, dt)}, dt, dest,
                             [&](const ElementwiseIter& it, Backend& be) { be.ternary(TernaryOp::ClampTensor, it, {}); });
  if (!dest.out && is_floating(dt) && autograd::needs_grad({&x, &min, &max})) {
    // PyTorch's rule: x gets the gradient where min <= x <= max; min where x < min < max; max
    // where x > max or max < min (clamp applies max last, so it wins a crossed pair).
    const Shape sx = x.sizes(), slo = min.sizes(), shi = max.sizes();
    autograd::record("ClampBackward0", {x, min, max}, {r}, {x, min, max}, {},
                     [sx, slo, shi](const autograd::BackwardContext& c) {
                       const Tensor &v = c.saved[0], &lo = c.saved[1], &hi = c.saved[2];
                       const Tensor& g = c.grad();
                       auto pass = [&](const Tensor& pred, const Shape& s) { return autograd::sum_to(where(pred, g, zero()), s); };
                       auto both = [](const Tensor& p, const Tensor& q, BinaryOp op) { return binary(op, p, q); };
                       std::vector<Tensor> grads(3);
                       if (c.needs(0))
                         grads[0] = pass(both(binary(BinaryOp::Ge, v, lo), binary(BinaryOp::Le, v, hi), BinaryOp::LogicalAnd), sx);
                       if (c.needs(1))
                         grads[1] = pass(both(binary(BinaryOp::Lt, v, lo), binary(BinaryOp::Lt, lo, hi), BinaryOp::LogicalAnd), slo);
                       if (c.needs(2))
                         grads[2] = pass(both(binary(BinaryOp::Gt, v, hi), binary(BinaryOp::Lt, hi, lo), BinaryOp::LogicalOr), shi);
                       return grads;
                     });
  }
  return r;
}

static Tensor addc(TernaryOp op, const char* name, const Tensor& a, const Tensor& b, const Tensor& c,
                   const Scalar& value, OutArg dest) {
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, autograd::needs_grad({&b, &c})))
    return autograd::record_inplace(op == TernaryOp::Addcmul ? "addcmul_" : "addcdiv_", *dest.out,
                                    [&](const Tensor& self) { return addc(op, name, self, b, c, value, {}); });
  const ScalarType dt = result_type({a, b, c});
  PYDL_CHECK_NOT_IMPLEMENTED(dt != ScalarType::Bool, "\"", name, "\" not implemented for 'Bool'");
  if (op == TernaryOp::Addcdiv)
    PYDL_CHECK(is_floating(dt), "Integer division with addcdiv is no longer supported, and in a future release "
               "addcdiv will perform a true division of tensor1 and tensor2.");
  OpParams p{value.to_double()};
  Tensor r = run_elementwise(name, {cast_operand(a, dt), cast_operand(b, dt), cast_operand(c, dt)}, dt, dest,
                             [&](const ElementwiseIter& it, Backend& be) { be.ternary(op, it, p); });
  if (!dest.out && is_floating(dt) && autograd::needs_grad({&a, &b, &c})) {
    // a + v b c or a + v b / c.
    const Shape sa = a.sizes(), sb = b.sizes(), sc = c.sizes();
    const double v = p.a;
    const bool mul = op == TernaryOp::Addcmul;
    autograd::record(mul ? "AddcmulBackward0" : "AddcdivBackward0", {a, b, c}, {r}, {b, c}, {},
                     [sa, sb, sc, v, mul](const autograd::BackwardContext& ctx) {
                       const Tensor &t1 = ctx.saved[0], &t2 = ctx.saved[1];
                       const Tensor& g = ctx.grad();
                       std::vector<Tensor> grads(3);
                       if (ctx.needs(0)) grads[0] = autograd::sum_to(g, sa);
                       if (ctx.needs(1)) grads[1] = autograd::sum_to(mul ? g * t2 * v : g * v / t2, sb);
                       if (ctx.needs(2)) grads[2] = autograd::sum_to(mul ? g * t1 * v : -g * t1 * v / (t2 * t2), sc);
                       return grads;
                     });
  }
  return r;
}
Tensor addcmul(const Tensor& a, const Tensor& b, const Tensor& c, const Scalar& value, OutArg dest) {
  return addc(TernaryOp::Addcmul, "addcmul", a, b, c, value, dest);
}
Tensor addcdiv(const Tensor& a, const Tensor& b, const Tensor& c, const Scalar& value, OutArg dest) {
  return addc(TernaryOp::Addcdiv, "addcdiv", a, b, c, value, dest);
}

}  // namespace pydl
