// Unary elementwise kernels (math and activations), compiled per ISA level. Each case is one
// functor over the compute type; cpu/loops.h supplies the loops. Float math goes through
// cpu/vec_math.h so that it vectorises; double uses libm.
#include <cmath>
#include <limits>

#include "backend/elementwise_ops.h"
#include "cpu/int_math.h"
#include "cpu/kernel_dispatch.h"
#include "cpu/kernels.h"
#include "cpu/vec_math.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

namespace vm = ::pydl::cpu::vmath;

template <typename T>
inline T nan_of() { return std::numeric_limits<T>::quiet_NaN(); }

void unary_impl(UnaryOp op, const ElementwiseIter& it, const OpParams& p) {
  switch (op) {
    // --- any numeric dtype
    case UnaryOp::Neg: return unary_all(it, [](auto x) { return -x; });
    case UnaryOp::Abs:
      return unary_split(it, [](auto x) { return std::fabs(x); }, [](auto x) { return x < 0 ? -x : x; });
    case UnaryOp::Sign:
      return unary_all(it, [](auto x) { return static_cast<decltype(x)>((0 < x) - (x < 0)); });
    case UnaryOp::Square: return unary_all(it, [](auto x) { return x * x; });
    case UnaryOp::Floor: return unary_floating(it, [](auto x) { return std::floor(x); });
    case UnaryOp::Ceil: return unary_floating(it, [](auto x) { return std::ceil(x); });
    case UnaryOp::Round: return unary_floating(it, [](auto x) { return std::nearbyint(x); });
    case UnaryOp::Trunc: return unary_floating(it, [](auto x) { return std::trunc(x); });
    case UnaryOp::Frac: return unary_floating(it, [](auto x) { return x - std::trunc(x); });
    case UnaryOp::Relu: return unary_all(it, [](auto x) { return x < 0 ? decltype(x)(0) : x; });
    case UnaryOp::Clamp:
      return unary_split(
          it,
          [&](auto x) {
            using C = decltype(x);
            const C lo = p.has_a ? static_cast<C>(p.a) : -std::numeric_limits<C>::infinity();
            const C hi = p.has_b ? static_cast<C>(p.b) : std::numeric_limits<C>::infinity();
            C r = x < lo ? lo : x;  // comparisons are false for NaN: a NaN x stays NaN
            r = r > hi ? hi : r;
            return (lo != lo || hi != hi) ? nan_of<C>() : r;
          },
          [&](auto x) {
            using C = decltype(x);
            const C lo = p.has_a ? convert<C>(p.a) : std::numeric_limits<C>::lowest();
            const C hi = p.has_b ? convert<C>(p.b) : std::numeric_limits<C>::max();
            C r = x < lo ? lo : x;
            return r > hi ? hi : r;
          });
    case UnaryOp::BitwiseNot:
      return unary_integral(it, [](auto x) {
        if constexpr (std::is_same_v<decltype(x), bool>) return !x;
        else return static_cast<decltype(x)>(~x);
      });
    // --- bool results
    case UnaryOp::LogicalNot: return unary_to_bool(it, [](auto x) { return !(x != 0); });
    case UnaryOp::IsNan: return unary_to_bool(it, [](auto x) { return x != x; });
    case UnaryOp::IsInf:
      return unary_to_bool(it, [](auto x) {
        if constexpr (std::is_floating_point_v<decltype(x)>) return std::fabs(x) == std::numeric_limits<decltype(x)>::infinity();
        else return false;
      });
    case UnaryOp::IsPosInf:
      return unary_to_bool(it, [](auto x) {
        if constexpr (std::is_floating_point_v<decltype(x)>) return x == std::numeric_limits<decltype(x)>::infinity();
        else return false;
      });
    case UnaryOp::IsNegInf:
      return unary_to_bool(it, [](auto x) {
        if constexpr (std::is_floating_point_v<decltype(x)>) return x == -std::numeric_limits<decltype(x)>::infinity();
        else return false;
      });
    case UnaryOp::IsFinite:
      return unary_to_bool(it, [](auto x) {
        if constexpr (std::is_floating_point_v<decltype(x)>) return std::fabs(x) < std::numeric_limits<decltype(x)>::infinity();
        else return true;
      });
    // --- floating math
    case UnaryOp::Exp: return unary_floating(it, [](auto x) { return vm::exp(x); });
    case UnaryOp::Exp2: return unary_floating(it, [](auto x) { return vm::exp2(x); });
    case UnaryOp::Expm1: return unary_floating(it, [](auto x) { return vm::expm1(x); });
    case UnaryOp::Log: return unary_floating(it, [](auto x) { return vm::log(x); });
    case UnaryOp::Log2: return unary_floating(it, [](auto x) { return std::log2(x); });
    case UnaryOp::Log10: return unary_floating(it, [](auto x) { return std::log10(x); });
    case UnaryOp::Log1p: return unary_floating(it, [](auto x) { return vm::log1p(x); });
    case UnaryOp::Sqrt: return unary_floating(it, [](auto x) { return std::sqrt(x); });
    case UnaryOp::Rsqrt: return unary_floating(it, [](auto x) { return decltype(x)(1) / std::sqrt(x); });
    case UnaryOp::Reciprocal: return unary_floating(it, [](auto x) { return decltype(x)(1) / x; });
    case UnaryOp::Sin: return unary_floating(it, [](auto x) { return std::sin(x); });
    case UnaryOp::Cos: return unary_floating(it, [](auto x) { return std::cos(x); });
    case UnaryOp::Tan: return unary_floating(it, [](auto x) { return std::tan(x); });
    case UnaryOp::Asin: return unary_floating(it, [](auto x) { return std::asin(x); });
    case UnaryOp::Acos: return unary_floating(it, [](auto x) { return std::acos(x); });
    case UnaryOp::Atan: return unary_floating(it, [](auto x) { return std::atan(x); });
    case UnaryOp::Sinh: return unary_floating(it, [](auto x) { return std::sinh(x); });
    case UnaryOp::Cosh: return unary_floating(it, [](auto x) { return std::cosh(x); });
    case UnaryOp::Tanh: return unary_floating(it, [](auto x) { return vm::tanh(x); });
    case UnaryOp::Asinh: return unary_floating(it, [](auto x) { return std::asinh(x); });
    case UnaryOp::Acosh: return unary_floating(it, [](auto x) { return std::acosh(x); });
    case UnaryOp::Atanh: return unary_floating(it, [](auto x) { return std::atanh(x); });
    case UnaryOp::Sigmoid: return unary_floating(it, [](auto x) { return vm::sigmoid(x); });
    case UnaryOp::Logit:
      return unary_floating(it, [&](auto x) {
        using C = decltype(x);
        if (p.has_a) {
          const C lo = static_cast<C>(p.a), hi = C(1) - static_cast<C>(p.a);
          x = x < lo ? lo : (x > hi ? hi : x);
        }
        return vm::log(x / (C(1) - x));
      });
    case UnaryOp::Erf: return unary_floating(it, [](auto x) { return vm::erf(x); });
    case UnaryOp::Erfc: return unary_floating(it, [](auto x) { return vm::erfc(x); });
    case UnaryOp::Erfinv: return unary_floating(it, [](auto x) { return vm::erfinv(x); });
    case UnaryOp::RoundDecimals:
      return unary_floating(it, [&](auto x) {
        using C = decltype(x);
        const int64_t d = static_cast<int64_t>(p.a);
        const C scale = static_cast<C>(std::pow(10.0, static_cast<double>(d < 0 ? -d : d)));
        return d < 0 ? std::nearbyint(x / scale) * scale : std::nearbyint(x * scale) / scale;
      });
    case UnaryOp::NanToNum:
      return unary_floating(it, [&](auto x) {
        using C = decltype(x);
        const C inf = std::numeric_limits<C>::infinity();
        return x != x ? static_cast<C>(p.a) : x == inf ? static_cast<C>(p.b) : x == -inf ? static_cast<C>(p.c) : x;
      });
    case UnaryOp::PowScalar:
      return unary_split(
          it, [&](auto x) { return std::pow(x, static_cast<decltype(x)>(p.a)); },
          [&](auto x) { return int_pow(x, static_cast<int64_t>(p.a)); });
    // --- activations
    case UnaryOp::LeakyRelu:
      return unary_floating(it, [&](auto x) { return x > 0 ? x : x * static_cast<decltype(x)>(p.a); });
    case UnaryOp::Elu:  // scale * (x > 0 ? x : alpha * (exp(x * input_scale) - 1)); also selu and celu
      return unary_floating(it, [&](auto x) {
        using C = decltype(x);
        const C alpha = static_cast<C>(p.a), scale = static_cast<C>(p.b), input_scale = static_cast<C>(p.c);
        return x > 0 ? scale * x : scale * alpha * vm::expm1(x * input_scale);
      });
    case UnaryOp::GeluErf: return unary_floating(it, [](auto x) { return vm::gelu_erf(x); });
    case UnaryOp::GeluTanh: return unary_floating(it, [](auto x) { return vm::gelu_tanh(x); });
    case UnaryOp::Silu: return unary_floating(it, [](auto x) { return x * vm::sigmoid(x); });
    case UnaryOp::Mish:
      return unary_floating(it, [](auto x) {
        using C = decltype(x);
        const C sp = x > C(20) ? x : vm::log1p(vm::exp(x));
        return x * vm::tanh(sp);
      });
    case UnaryOp::Softplus:  // log(1 + exp(beta x)) / beta, linear above the threshold
      return unary_floating(it, [&](auto x) {
        using C = decltype(x);
        const C beta = static_cast<C>(p.a), threshold = static_cast<C>(p.b);
        const C bx = x * beta;
        return bx > threshold ? x : vm::log1p(vm::exp(bx)) / beta;
      });
    case UnaryOp::Softsign: return unary_floating(it, [](auto x) { return x / (decltype(x)(1) + std::fabs(x)); });
    case UnaryOp::Hardsigmoid:
      return unary_floating(it, [](auto x) {
        using C = decltype(x);
        C r = x / C(6) + C(0.5);
        r = r < C(0) ? C(0) : r;
        return r > C(1) ? C(1) : r;
      });
    case UnaryOp::Hardswish:
      return unary_floating(it, [](auto x) {
        using C = decltype(x);
        C r = x + C(3);
        r = r < C(0) ? C(0) : r;
        r = r > C(6) ? C(6) : r;
        return x * r / C(6);
      });
    case UnaryOp::LogSigmoid:
      return unary_floating(it, [](auto x) {
        using C = decltype(x);
        return (x < C(0) ? x : C(0)) - vm::log1p(vm::exp(-std::fabs(x)));
      });
    case UnaryOp::Count: break;
  }
  PYDL_FAIL("internal error: unknown unary op ", static_cast<int>(op));
}

}  // namespace

PYDL_REGISTER_KERNEL(unary_kernel, &unary_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
