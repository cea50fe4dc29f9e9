// The loops every CPU elementwise kernel runs: apply a functor f to the operands of an
// ElementwiseIter. The functor is instantiated in exactly one loop per (op, dtype): the
// contiguous `#pragma omp simd` loop below, which the compiler vectorises for the file's ISA
// level. Every other case (strided runs, broadcast operands, float16/bfloat16 computed in
// float32) is staged through that loop in blocks: gather + widen into a buffer, run the
// contiguous loop, narrow + scatter. That keeps compile time and code size in check.
#pragma once
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/convert.h"
#include "core/elementwise_iter.h"
#include "core/half.h"

namespace pydl::cpu {

template <typename T>
constexpr bool is_reduced_float_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
// The type a kernel computes in for storage type T.
template <typename T>
using compute_t = std::conditional_t<is_reduced_float_v<T>, float, T>;

constexpr int64_t kBlock = 256;  // elements staged at a time

// Gathers n (<= kBlock) elements at p (stride s bytes; 0 = one broadcast value) into buf as C.
template <typename T, typename C>
inline void gather(const char* p, int64_t s, int64_t n, C* buf) {
  if (s == 0) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    std::fill(buf, buf + n, static_cast<C>(v));
  } else if (s == sizeof(T) && std::is_same_v<T, C>) {
    std::memcpy(buf, p, n * sizeof(T));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, p + i * s, sizeof(T));
      buf[i] = static_cast<C>(v);
    }
  }
}
template <typename T, typename C>
inline void scatter(char* p, int64_t s, int64_t n, const C* buf) {
  for (int64_t i = 0; i < n; ++i) {
    T v = static_cast<T>(buf[i]);
    std::memcpy(p + i * s, &v, sizeof(T));
  }
}

// --- the contiguous loops: the only places a functor is instantiated --------------------------
template <typename Out, typename In, typename F>
__attribute__((noinline)) void map1(Out* __restrict__ o, const In* __restrict__ a, int64_t n, const F& f) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(f(a[i]));
}
template <typename Out, typename In, typename F>
__attribute__((noinline)) void map2(Out* __restrict__ o, const In* __restrict__ a, const In* __restrict__ b,
                                    int64_t n, const F& f) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(f(a[i], b[i]));
}
// One operand is a single broadcast value (x + 1, 2 * x): common enough to get its own loop.
template <typename Out, typename In, typename F>
__attribute__((noinline)) void map2_scalar(Out* __restrict__ o, const In* __restrict__ a, In b, bool b_first,
                                           int64_t n, const F& f) {
  if (b_first) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(f(b, a[i]));
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(f(a[i], b));
  }
}
template <typename Out, typename A, typename B, typename F>
__attribute__((noinline)) void map3(Out* __restrict__ o, const A* __restrict__ a, const B* __restrict__ b,
                                    const B* __restrict__ c, int64_t n, const F& f) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(f(a[i], b[i], c[i]));
}

// --- out = f(a) ------------------------------------------------------------------------------
template <typename Out, typename In, typename F>
void unary_loop(const ElementwiseIter& iter, const F& f) {
  using C = compute_t<In>;
  using R = compute_t<Out>;
  iter.for_each([&](char** p, const int64_t* s, int64_t n) {
    if (!is_reduced_float_v<In> && !is_reduced_float_v<Out> && s[0] == sizeof(Out) && s[1] == sizeof(In)) {
      map1<R, C>(reinterpret_cast<R*>(p[0]), reinterpret_cast<const C*>(p[1]), n, f);
      return;
    }
    C abuf[kBlock];
    R rbuf[kBlock];
    for (int64_t k = 0; k < n; k += kBlock) {
      const int64_t m = std::min(kBlock, n - k);
      gather<In>(p[1] + k * s[1], s[1], m, abuf);
      map1<R, C>(rbuf, abuf, m, f);
      scatter<Out>(p[0] + k * s[0], s[0], m, rbuf);
    }
  });
}

// --- out = f(a, b) ---------------------------------------------------------------------------
template <typename Out, typename In, typename F>
void binary_loop(const ElementwiseIter& iter, const F& f) {
  using C = compute_t<In>;
  using R = compute_t<Out>;
  constexpr bool direct = !is_reduced_float_v<In> && !is_reduced_float_v<Out>;
  iter.for_each([&](char** p, const int64_t* s, int64_t n) {
    if (direct && s[0] == sizeof(Out)) {
      R* o = reinterpret_cast<R*>(p[0]);
      const C* a = reinterpret_cast<const C*>(p[1]);
      const C* b = reinterpret_cast<const C*>(p[2]);
      if (s[1] == sizeof(In) && s[2] == sizeof(In)) return map2<R, C>(o, a, b, n, f);
      if (s[1] == sizeof(In) && s[2] == 0) return map2_scalar<R, C>(o, a, *b, false, n, f);
      if (s[1] == 0 && s[2] == sizeof(In)) return map2_scalar<R, C>(o, b, *a, true, n, f);
    }
    C abuf[kBlock], bbuf[kBlock];
    R rbuf[kBlock];
    for (int64_t k = 0; k < n; k += kBlock) {
      const int64_t m = std::min(kBlock, n - k);
      gather<In>(p[1] + k * s[1], s[1], m, abuf);
      gather<In>(p[2] + k * s[2], s[2], m, bbuf);
      map2<R, C>(rbuf, abuf, bbuf, m, f);
      scatter<Out>(p[0] + k * s[0], s[0], m, rbuf);
    }
  });
}

// --- out = f(a, b, c); A may differ from B = C (where's condition is bool) --------------------
template <typename Out, typename A, typename B, typename F>
void ternary_loop(const ElementwiseIter& iter, const F& f) {
  using CA = compute_t<A>;
  using CB = compute_t<B>;
  using R = compute_t<Out>;
  constexpr bool direct = !is_reduced_float_v<B> && !is_reduced_float_v<Out> && !is_reduced_float_v<A>;
  iter.for_each([&](char** p, const int64_t* s, int64_t n) {
    if (direct && s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == sizeof(B) && s[3] == sizeof(B)) {
      return map3<R, CA, CB>(reinterpret_cast<R*>(p[0]), reinterpret_cast<const CA*>(p[1]),
                             reinterpret_cast<const CB*>(p[2]), reinterpret_cast<const CB*>(p[3]), n, f);
    }
    CA abuf[kBlock];
    CB bbuf[kBlock], cbuf[kBlock];
    R rbuf[kBlock];
    for (int64_t k = 0; k < n; k += kBlock) {
      const int64_t m = std::min(kBlock, n - k);
      gather<A>(p[1] + k * s[1], s[1], m, abuf);
      gather<B>(p[2] + k * s[2], s[2], m, bbuf);
      gather<B>(p[3] + k * s[3], s[3], m, cbuf);
      map3<R, CA, CB>(rbuf, abuf, bbuf, cbuf, m, f);
      scatter<Out>(p[0] + k * s[0], s[0], m, rbuf);
    }
  });
}

}  // namespace pydl::cpu
