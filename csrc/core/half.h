// float16 and bfloat16 storage types. They are computed in float32 (on the CPU and in these
// conversions); conversions round to nearest even and keep NaN/Inf, on host and device alike.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/macros.h"

namespace pydl {

namespace detail {
PYDL_HOST_DEVICE PYDL_INLINE uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
PYDL_HOST_DEVICE PYDL_INLINE float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}
}  // namespace detail

struct alignas(2) Half {
  uint16_t x = 0;
  Half() = default;
  PYDL_HOST_DEVICE PYDL_INLINE Half(float f) : x(from_float(f)) {}  // NOLINT: implicit like a float type
  PYDL_HOST_DEVICE PYDL_INLINE operator float() const { return to_float(x); }
  static PYDL_HOST_DEVICE Half from_bits(uint16_t b) { Half h; h.x = b; return h; }

  static PYDL_HOST_DEVICE PYDL_INLINE uint16_t from_float(float f) {
    uint32_t u = detail::float_bits(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t abs = u & 0x7fffffffu;
    if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u));
    if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
    if (abs < 0x38800000u) {  // result is subnormal (or zero) in half precision
      // Adding 0.5 (as float) aligns the mantissa so the FPU does the round-to-nearest-even.
      float v = detail::bits_float(abs) + 0.5f;
      return static_cast<uint16_t>(sign | (detail::float_bits(v) - 0x3f000000u));
    }
    uint32_t mant_odd = (abs >> 13) & 1u;
    abs += 0xc8000fffu + mant_odd;  // re-bias exponent (-112 << 23) and round to nearest even
    return static_cast<uint16_t>(sign | (abs >> 13));
  }
  static PYDL_HOST_DEVICE PYDL_INLINE float to_float(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f) return detail::bits_float(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {  // zero or subnormal: value = mant * 2^-24
      float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
      return sign ? -v : v;
    }
    return detail::bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
  }
};

struct alignas(2) BFloat16 {
  uint16_t x = 0;
  BFloat16() = default;
  PYDL_HOST_DEVICE PYDL_INLINE BFloat16(float f) : x(from_float(f)) {}  // NOLINT
  PYDL_HOST_DEVICE PYDL_INLINE operator float() const { return detail::bits_float(static_cast<uint32_t>(x) << 16); }
  static PYDL_HOST_DEVICE BFloat16 from_bits(uint16_t b) { BFloat16 h; h.x = b; return h; }

  static PYDL_HOST_DEVICE PYDL_INLINE uint16_t from_float(float f) {
    uint32_t u = detail::float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
    return static_cast<uint16_t>(u >> 16);
  }
};

}  // namespace pydl
