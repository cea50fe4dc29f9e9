// Copy with cast, compiled per ISA level. Same-dtype copies move raw bits (memcpy when both
// sides are contiguous); cross-dtype copies convert element by element, with a contiguous
// loop the compiler vectorises for this file's ISA.
#include <cstring>
#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "core/convert.h"
#include "core/dispatch.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

template <typename T>
void copy_bits(char** ptrs, const int64_t* strides, int64_t n) {
  char* dst = ptrs[0];
  const char* src = ptrs[1];
  if (strides[0] == sizeof(T) && strides[1] == sizeof(T)) {
    std::memcpy(dst, src, n * sizeof(T));
  } else if (strides[1] == 0) {  // a broadcast source (an expanded gradient)
    T v;
    std::memcpy(&v, src, sizeof(T));
    if (strides[0] == sizeof(T)) {  // a typed loop, so it vectorises like a fill
      T* __restrict__ d = reinterpret_cast<T*>(dst);
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = v;
      return;
    }
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * strides[0], &v, sizeof(T));
  } else {
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * strides[0], src + i * strides[1], sizeof(T));
  }
}

// float32 <-> float16 with F16C: eight values per instruction instead of Half's bit
// manipulation, rounding to nearest even and keeping Inf/NaN the same way.
template <typename To, typename From>
constexpr bool kF16cPair = (std::is_same_v<To, Half> && std::is_same_v<From, float>) ||
                           (std::is_same_v<To, float> && std::is_same_v<From, Half>);

template <typename To, typename From>
int64_t convert_f16c(To* dst, const From* src, int64_t n) {
  int64_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    if constexpr (std::is_same_v<To, Half>) {
      const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
    } else {
      _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    }
  }
#endif
  return i;  // elements done; the caller converts the rest
}

template <typename To, typename From>
void convert_loop(char** ptrs, const int64_t* strides, int64_t n) {
  if (strides[0] == sizeof(To) && strides[1] == sizeof(From)) {
    To* __restrict__ dst = reinterpret_cast<To*>(ptrs[0]);
    const From* __restrict__ src = reinterpret_cast<const From*>(ptrs[1]);
    int64_t i = 0;
    if constexpr (kF16cPair<To, From>) i = convert_f16c(dst, src, n);
    for (; i < n; ++i) dst[i] = convert<To>(src[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      From v;
      std::memcpy(&v, ptrs[1] + i * strides[1], sizeof(From));
      To r = convert<To>(v);
      std::memcpy(ptrs[0] + i * strides[0], &r, sizeof(To));
    }
  }
}

void copy_impl(const ElementwiseIter& iter) {
  ScalarType to = iter.dtype(0), from = iter.dtype(1);
  if (to == from) {
    PYDL_DISPATCH_BY_ITEMSIZE(itemsize(to), [&] { iter.for_each(copy_bits<bits_t>); });
    return;
  }
  PYDL_DISPATCH_ALL_TYPES(to, "copy_", [&] {
    using to_t = scalar_t;
    PYDL_DISPATCH_ALL_TYPES(from, "copy_", [&] { iter.for_each(convert_loop<to_t, scalar_t>); });
  });
}

}  // namespace

PYDL_REGISTER_KERNEL(copy_kernel, &copy_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
