// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and the
// mapping from its output words to each distribution. Shared by the CPU and CUDA kernels, so
// a seed gives bit-identical uniforms (and normals up to libm rounding) on both devices.
//
// Element i of a random tensor uses the Philox block `offset + i / E` (E = elements per
// block: 4 for 32-bit draws, 2 for 64-bit ones) and lane i % E, keyed by the 64-bit seed.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/macros.h"

namespace pydl {

struct Philox4 {
  uint32_t w[4];
};

PYDL_HOST_DEVICE PYDL_INLINE Philox4 philox4x32_10(uint64_t seed, uint64_t block, uint64_t stream = 0) {
  uint32_t c0 = static_cast<uint32_t>(block), c1 = static_cast<uint32_t>(block >> 32);
  uint32_t c2 = static_cast<uint32_t>(stream), c3 = static_cast<uint32_t>(stream >> 32);
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// What to draw. Uniform: [a, b). Normal: mean a, std b. Bernoulli: P(1) = a. RandInt: low + [0, range).
struct RandomSpec {
  enum class Kind : int8_t { Uniform, Normal, Bernoulli, RandInt };
  Kind kind = Kind::Uniform;
  bool wide = false;  // 64-bit draws (float64 uniform/normal, integer ranges >= 2^32)
  // Mantissa bits of a narrow uniform: 24 for float32, 11 for float16, 8 for bfloat16, so that
  // rounding to the output dtype can never turn a value just below 1 into 1.
  int8_t uniform_bits = 24;
  double a = 0, b = 1;
  int64_t low = 0;
  uint64_t range = 1;

  PYDL_HOST_DEVICE int per_block() const { return wide ? 2 : 4; }
  // Philox blocks consumed by n elements (the generator's offset advances by this).
  PYDL_HOST_DEVICE uint64_t blocks(int64_t n) const {
    return (static_cast<uint64_t>(n) + per_block() - 1) / per_block();
  }
};

namespace detail {
// a + b * c with two roundings on every device: nvcc would otherwise fuse it into one FMA and
// CUDA draws would differ from the CPU's in the last bit.
PYDL_HOST_DEVICE PYDL_INLINE double mul_add_unfused(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, __dmul_rn(b, c));
#else
  return a + b * c;
#endif
}
PYDL_HOST_DEVICE PYDL_INLINE double uniform_narrow(uint32_t w, int bits) {
  return static_cast<double>(w >> (32 - bits)) / static_cast<double>(uint32_t(1) << bits);
}
PYDL_HOST_DEVICE PYDL_INLINE double uniform53(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * (1.0 / 9007199254740992.0);
}
PYDL_HOST_DEVICE PYDL_INLINE double box_muller(double u1, double u2, bool use_sin) {
  // u1 in (0, 1] keeps the log finite.
  double r = sqrt(-2.0 * log(u1));
  double theta = 6.283185307179586476925286766559 * u2;
  return r * (use_sin ? sin(theta) : cos(theta));
}
}  // namespace detail

// Value of lane `lane` of a block `x` under `spec`, as double (or exact int64 for RandInt).
PYDL_HOST_DEVICE PYDL_INLINE double random_value(const RandomSpec& s, const Philox4& x, int lane) {
  using Kind = RandomSpec::Kind;
  if (!s.wide) {
    uint32_t w = x.w[lane];
    switch (s.kind) {
      case Kind::Uniform: return detail::mul_add_unfused(s.a, s.b - s.a, detail::uniform_narrow(w, s.uniform_bits));
      case Kind::Normal: {
        int pair = lane & ~1;
        double u1 = (x.w[pair] + 1.0) * (1.0 / 4294967296.0);
        double u2 = x.w[pair + 1] * (1.0 / 4294967296.0);
        return detail::mul_add_unfused(s.a, s.b, detail::box_muller(u1, u2, lane & 1));
      }
      case Kind::Bernoulli: return (w * (1.0 / 4294967296.0)) < s.a ? 1.0 : 0.0;
      case Kind::RandInt: return static_cast<double>(s.low + static_cast<int64_t>(w % s.range));
    }
  } else {
    switch (s.kind) {
      case Kind::Uniform: return detail::mul_add_unfused(s.a, s.b - s.a, detail::uniform53(x.w[2 * lane], x.w[2 * lane + 1]));
      case Kind::Normal: {
        double u1 = 1.0 - detail::uniform53(x.w[0], x.w[1]);
        double u2 = detail::uniform53(x.w[2], x.w[3]);
        return detail::mul_add_unfused(s.a, s.b, detail::box_muller(u1, u2, lane & 1));
      }
      case Kind::Bernoulli: return detail::uniform53(x.w[2 * lane], x.w[2 * lane + 1]) < s.a ? 1.0 : 0.0;
      case Kind::RandInt: break;  // exact integers: random_int below
    }
  }
  return 0.0;
}

// RandInt without going through double (int64 ranges beyond 2^53 stay exact).
PYDL_HOST_DEVICE PYDL_INLINE int64_t random_int(const RandomSpec& s, const Philox4& x, int lane) {
  uint64_t w = s.wide ? ((static_cast<uint64_t>(x.w[2 * lane]) << 32) | x.w[2 * lane + 1]) : x.w[lane];
  return static_cast<int64_t>(static_cast<uint64_t>(s.low) + w % s.range);
}

}  // namespace pydl
