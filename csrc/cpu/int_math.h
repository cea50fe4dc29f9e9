// Integer power shared by the unary (x ** 3) and binary (x ** y) kernels.
#pragma once
#include <cstdint>
#include <type_traits>

namespace pydl::cpu {

// base ** e by squaring, wrapping on overflow like PyTorch. Negative exponents give 0, except
// for bases 1 and -1 (whose powers stay exact).
template <typename T>
inline T int_pow(T base, int64_t e) {
  if constexpr (std::is_same_v<T, bool>) {
    return e ? base : true;
  } else {
    if (e < 0) {
      if constexpr (std::is_signed_v<T>) {
        if (base == -1) return (e & 1) ? T(-1) : T(1);
      }
      return base == 1 ? T(1) : T(0);
    }
    using U = std::make_unsigned_t<T>;
    U r = 1, b = static_cast<U>(base);
    for (auto k = static_cast<uint64_t>(e); k; k >>= 1) {
      if (k & 1) r = static_cast<U>(r * b);
      b = static_cast<U>(b * b);
    }
    return static_cast<T>(r);
  }
}

}  // namespace pydl::cpu
