// convert<To>(from): the value conversion behind every cast (copy_, to(dtype), fill), on host
// and device. Follows PyTorch on x86: float -> bool is `x != 0`; float -> int truncates toward
// zero and then wraps to the narrow type; NaN and values outside int64 (for int64 and the
// narrow types) or int32 (for int32) give the most negative value, as cvttss2si does, instead of
// the undefined behaviour of a plain static_cast.
#pragma once
#include <climits>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/dtype.h"
#include "core/half.h"
#include "core/macros.h"

namespace pydl {

template <typename T> struct IsReducedFloat : std::false_type {};
template <> struct IsReducedFloat<Half> : std::true_type {};
template <> struct IsReducedFloat<BFloat16> : std::true_type {};

// The type arithmetic on T is done in: float for the 16-bit floats, T otherwise.
template <typename T>
using compute_t = std::conditional_t<IsReducedFloat<T>::value, float, T>;

namespace detail {
template <typename I, typename F>
PYDL_HOST_DEVICE PYDL_INLINE I float_to_int(F f) {
  using Wide = std::conditional_t<std::is_same<I, int32_t>::value, int32_t, int64_t>;
  // (not numeric_limits: its constexpr functions are host-only for nvcc)
  constexpr Wide kMin = static_cast<Wide>(sizeof(Wide) == 4 ? INT32_MIN : INT64_MIN);
  constexpr double lo = static_cast<double>(kMin);
  constexpr double hi = -lo;  // 2^31 or 2^63: first value out of range
  double d = static_cast<double>(f);
  if (!(d >= lo && d < hi)) return static_cast<I>(kMin);
  return static_cast<I>(static_cast<Wide>(d));
}
}  // namespace detail

template <typename To, typename From>
PYDL_HOST_DEVICE PYDL_INLINE To convert(From v) {
  using F = compute_t<From>;
  F x = static_cast<F>(v);
  if constexpr (std::is_same<To, bool>::value) {
    return x != F(0);
  } else if constexpr (std::is_integral<To>::value && std::is_floating_point<F>::value) {
    return detail::float_to_int<To>(x);
  } else if constexpr (IsReducedFloat<To>::value) {
    return To(static_cast<float>(x));
  } else {
    return static_cast<To>(x);
  }
}

// PyTorch's c10::overflows (behind Scalar.to<T>() in fill_, full, linspace, tensor(...)): whether
// a Python number (an int64 when is_float is false, else the double d) is out of dtype's range.
// Any number fits bool; NaN fits only floating types, +-inf only floating types; negative ints
// may wrap into uint8 down to -255 (so `a - b` stays expressible); floats must be in range.
inline bool number_overflows(ScalarType dtype, bool is_float, double d, int64_t i) {
  double lo = 0, hi = 0;
  switch (dtype) {
    case ScalarType::Bool: return false;
    case ScalarType::UInt8:
      if (!is_float) return i > 255 || i < -255;
      lo = 0; hi = 255; break;
    case ScalarType::Int8: lo = -128; hi = 127; break;
    case ScalarType::Int16: lo = -32768; hi = 32767; break;
    case ScalarType::Int32: lo = -2147483648.0; hi = 2147483647.0; break;
    case ScalarType::Int64:
      if (!is_float) return false;
      lo = -9223372036854775808.0; hi = 9223372036854775807.0; break;  // hi rounds to 2^63, as in c10
    case ScalarType::Float16: lo = -65504.0; hi = 65504.0; break;
    case ScalarType::BFloat16: lo = -3.38953138925153547590470800371487866880e38; hi = -lo; break;
    case ScalarType::Float32: lo = -3.40282346638528859811704183484516925440e38; hi = -lo; break;
    case ScalarType::Float64: return false;
  }
  if (!is_float) {
    double v = static_cast<double>(i);
    return v < lo || v > hi;
  }
  if (is_floating(dtype)) return !std::isnan(d) && !std::isinf(d) && (d < lo || d > hi);
  return std::isnan(d) || d < lo || d > hi;
}

}  // namespace pydl
