// Binary elementwise kernels (arithmetic, comparisons, logic), compiled per ISA level. Integer
// division by zero never reaches the hardware: ops/binary.cpp raises first, and the functors
// here still guard the divisor so that a racing write cannot raise SIGFPE.
#include <cmath>
#include <limits>
#include <type_traits>

#include "backend/elementwise_ops.h"
#include "cpu/int_math.h"
#include "cpu/kernel_dispatch.h"
#include "cpu/kernels.h"
#include "cpu/vec_math.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

// a / b rounded toward zero; b == 0 gives 0 and INT_MIN / -1 wraps (no trap).
template <typename T>
inline T int_div_trunc(T a, T b) {
  if (b == 0) return 0;
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return static_cast<T>(0 - static_cast<std::make_unsigned_t<T>>(a));
  }
  return static_cast<T>(a / b);
}
template <typename T>
inline T int_mod_trunc(T a, T b) {
  if (b == 0) return 0;
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return 0;
  }
  return static_cast<T>(a % b);
}
// Python's floor division and modulo: the quotient rounds down, the remainder takes b's sign.
template <typename T>
inline T int_div_floor(T a, T b) {
  T q = int_div_trunc(a, b);
  if constexpr (std::is_signed_v<T>)
    if (b != 0 && int_mod_trunc(a, b) != 0 && ((a < 0) != (b < 0))) q = static_cast<T>(q - 1);
  return q;
}
template <typename T>
inline T int_remainder(T a, T b) {
  T m = int_mod_trunc(a, b);
  if constexpr (std::is_signed_v<T>)
    if (m != 0 && ((b < 0) != (m < 0))) m = static_cast<T>(m + b);
  return m;
}

// Python's floor division and modulo, as PyTorch computes them for floats.
template <typename T>
inline T float_div_floor(T a, T b) {
  if (b == 0) return a / b;
  T mod = std::fmod(a, b);
  T div = (a - mod) / b;
  if (mod != 0 && ((b < 0) != (mod < 0))) div -= T(1);
  T fl = std::floor(div);
  if (div - fl > T(0.5)) fl += T(1);
  return div == 0 ? std::copysign(T(0), a / b) : fl;
}
template <typename T>
inline T float_remainder(T a, T b) {
  T m = std::fmod(a, b);
  return (m != 0 && ((b < 0) != (m < 0))) ? m + b : m;
}

// Shifts by >= the bit width give 0 (or -1 for negative values shifted right), like PyTorch.
template <typename T>
inline T shift_left(T a, T b) {
  constexpr int bits = sizeof(T) * 8;
  using U = std::make_unsigned_t<T>;
  if (b < 0 || b >= bits) return 0;
  return static_cast<T>(static_cast<U>(a) << b);
}
template <typename T>
inline T shift_right(T a, T b) {
  constexpr int bits = sizeof(T) * 8;
  if (b < 0 || b >= bits) return a < 0 ? T(-1) : T(0);
  return static_cast<T>(a >> b);
}

void binary_impl(BinaryOp op, const ElementwiseIter& it, const OpParams& p) {
  switch (op) {
    case BinaryOp::Add: return binary_all(it, [](auto a, auto b) { return a + b; });
    case BinaryOp::AddAlpha:
      return binary_split(
          it, [&](auto a, auto b) { return a + static_cast<decltype(a)>(p.a) * b; },
          [&](auto a, auto b) { return a + convert<decltype(a)>(static_cast<int64_t>(p.a)) * b; });
    case BinaryOp::Sub: return binary_all(it, [](auto a, auto b) { return a - b; });
    case BinaryOp::Mul: return binary_all(it, [](auto a, auto b) { return a * b; });
    case BinaryOp::Div: return binary_floating(it, [](auto a, auto b) { return a / b; });
    case BinaryOp::DivTrunc:
      return binary_split(it, [](auto a, auto b) { return std::trunc(a / b); },
                          [](auto a, auto b) { return int_div_trunc(a, b); });
    case BinaryOp::DivFloor:
      return binary_split(it, [](auto a, auto b) { return float_div_floor(a, b); },
                          [](auto a, auto b) { return int_div_floor(a, b); });
    case BinaryOp::Remainder:
      return binary_split(it, [](auto a, auto b) { return float_remainder(a, b); },
                          [](auto a, auto b) { return int_remainder(a, b); });
    case BinaryOp::Fmod:
      return binary_split(it, [](auto a, auto b) { return std::fmod(a, b); },
                          [](auto a, auto b) { return int_mod_trunc(a, b); });
    case BinaryOp::Pow:
      return binary_split(it, [](auto a, auto b) { return std::pow(a, b); },
                          [](auto a, auto b) { return int_pow(a, static_cast<int64_t>(b)); });
    case BinaryOp::Atan2: return binary_floating(it, [](auto a, auto b) { return std::atan2(a, b); });
    case BinaryOp::Hypot: return binary_floating(it, [](auto a, auto b) { return std::hypot(a, b); });
    case BinaryOp::Maximum:  // NaN-propagating
      return binary_all(it, [](auto a, auto b) { return a != a ? a : (b != b ? b : (a > b ? a : b)); });
    case BinaryOp::Minimum:
      return binary_all(it, [](auto a, auto b) { return a != a ? a : (b != b ? b : (a < b ? a : b)); });
    case BinaryOp::Fmax:  // NaN-ignoring
      return binary_all(it, [](auto a, auto b) { return a != a ? b : (b != b ? a : (a > b ? a : b)); });
    case BinaryOp::Fmin:
      return binary_all(it, [](auto a, auto b) { return a != a ? b : (b != b ? a : (a < b ? a : b)); });
    case BinaryOp::BitwiseAnd: return binary_integral(it, [](auto a, auto b) { return a & b; });
    case BinaryOp::BitwiseOr: return binary_integral(it, [](auto a, auto b) { return a | b; });
    case BinaryOp::BitwiseXor: return binary_integral(it, [](auto a, auto b) { return a ^ b; });
    case BinaryOp::LeftShift:
      return binary_integral(it, [](auto a, auto b) {
        if constexpr (std::is_same_v<decltype(a), bool>) return a;
        else return shift_left(a, b);
      });
    case BinaryOp::RightShift:
      return binary_integral(it, [](auto a, auto b) {
        if constexpr (std::is_same_v<decltype(a), bool>) return a;
        else return shift_right(a, b);
      });
    case BinaryOp::Copysign: return binary_floating(it, [](auto a, auto b) { return std::copysign(a, b); });
    case BinaryOp::Xlogy:
      return binary_floating(it, [](auto a, auto b) {
        using C = decltype(a);
        return b != b ? b : (a == 0 ? C(0) : a * vmath::log(b));
      });
    // --- bool results
    case BinaryOp::Eq: return binary_to_bool(it, [](auto a, auto b) { return a == b; });
    case BinaryOp::Ne: return binary_to_bool(it, [](auto a, auto b) { return a != b; });
    case BinaryOp::Lt: return binary_to_bool(it, [](auto a, auto b) { return a < b; });
    case BinaryOp::Le: return binary_to_bool(it, [](auto a, auto b) { return a <= b; });
    case BinaryOp::Gt: return binary_to_bool(it, [](auto a, auto b) { return a > b; });
    case BinaryOp::Ge: return binary_to_bool(it, [](auto a, auto b) { return a >= b; });
    case BinaryOp::LogicalAnd: return binary_to_bool(it, [](auto a, auto b) { return (a != 0) & (b != 0); });
    case BinaryOp::LogicalOr: return binary_to_bool(it, [](auto a, auto b) { return (a != 0) | (b != 0); });
    case BinaryOp::LogicalXor: return binary_to_bool(it, [](auto a, auto b) { return (a != 0) != (b != 0); });
    case BinaryOp::IsClose:  // |a - b| <= atol + rtol |b|, exact equality for infinities, NaN == NaN if asked
      return binary_to_bool(it, [&](auto a, auto b) {
        if (a == b) return true;
        const double da = static_cast<double>(a), db = static_cast<double>(b);
        if (da != da || db != db) return p.has_a && da != da && db != db;
        const double diff = std::fabs(da - db);
        return std::isfinite(diff) && diff <= p.b + p.a * std::fabs(db);
      });
    case BinaryOp::Count: break;
  }
  PYDL_FAIL("internal error: unknown binary op ", static_cast<int>(op));
}

// --- ternary ------------------------------------------------------------------------------------
void ternary_impl(TernaryOp op, const ElementwiseIter& it, const OpParams& p) {
  const ScalarType dt = it.dtype(2);  // b's dtype (a is the condition for where)
  switch (op) {
    case TernaryOp::Where:
      return PYDL_DISPATCH_ALL_TYPES(dt, "where", [&] {
        ternary_loop<scalar_t, bool, scalar_t>(it, [](bool c, auto x, auto y) { return c ? x : y; });
      });
    case TernaryOp::Lerp:
      return PYDL_DISPATCH_FLOATING_TYPES(dt, "lerp", [&] {
        ternary_loop<scalar_t, scalar_t, scalar_t>(it, [](auto a, auto b, auto w) {
          using C = decltype(a);
          return std::fabs(w) < C(0.5) ? a + w * (b - a) : b - (b - a) * (C(1) - w);
        });
      });
    case TernaryOp::ClampTensor:
      return PYDL_DISPATCH_ALL_TYPES(dt, "clamp", [&] {
        ternary_loop<scalar_t, scalar_t, scalar_t>(it, [](auto x, auto lo, auto hi) {
          if (x != x) return x;
          if (lo != lo) return lo;
          if (hi != hi) return hi;
          auto r = x < lo ? lo : x;
          return r > hi ? hi : r;
        });
      });
    case TernaryOp::Addcmul:
      return PYDL_DISPATCH_ALL_TYPES(dt, "addcmul", [&] {
        ternary_loop<scalar_t, scalar_t, scalar_t>(it, [&](auto a, auto b, auto c) {
          return a + static_cast<decltype(a)>(p.a) * b * c;
        });
      });
    case TernaryOp::Addcdiv:
      return PYDL_DISPATCH_FLOATING_TYPES(dt, "addcdiv", [&] {
        ternary_loop<scalar_t, scalar_t, scalar_t>(it, [&](auto a, auto b, auto c) {
          return a + static_cast<decltype(a)>(p.a) * b / c;
        });
      });
    case TernaryOp::Count: break;
  }
  PYDL_FAIL("internal error: unknown ternary op ", static_cast<int>(op));
}

}  // namespace

PYDL_REGISTER_KERNEL(binary_kernel, &binary_impl);
PYDL_REGISTER_KERNEL(ternary_kernel, &ternary_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
