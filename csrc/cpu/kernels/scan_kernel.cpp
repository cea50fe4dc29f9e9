// Inclusive scans along one dim (cumsum, cumprod, cummax, cummin, logcumsumexp), compiled per
// ISA level. The op hands contiguous tensors, seen here as (outer, n, inner) with the scan over
// n. Each scan is a serial dependency chain, so speed comes from running many chains at once:
//  - inner == 1 (the last dim): kRows rows are scanned together, block by block, so their
//    independent additions overlap in the pipeline instead of waiting on one another's latency.
//  - inner > 1: a tile of `inner` accumulators walks down the n rows, reading each row as a
//    contiguous, vectorisable run (never striding through memory along the scanned dim).
// Work is split over threads by groups of rows / tiles. Float sums and products accumulate in
// double (float16/bfloat16 in float) and integers in wrapping 64-bit arithmetic, as PyTorch does.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/kernels.h"
#include "cpu/loops.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

// What sums and products run in: double for float/double, float for half types, and unsigned
// 64-bit for integers (wrap-around is defined there and the low bits match the dtype's own).
template <typename T>
using acc_t = std::conditional_t<is_reduced_float_v<T>, float,
                                 std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>>;

// A scan is a per-lane state, a step folding in element j, and an emit of the running result.
template <typename T, ScanOp Op>
struct Accumulate {
  using A = acc_t<T>;
  using S = A;
  static S init() {
    if constexpr (Op == ScanOp::CumProd) return A(1);
    else if constexpr (Op == ScanOp::LogCumSumExp) return -std::numeric_limits<A>::infinity();
    else return A(0);
  }
  static void step(S& s, T v, int64_t) {
    const A x = static_cast<A>(static_cast<compute_t<T>>(v));
    if constexpr (Op == ScanOp::CumSum) {
      s = s + x;
    } else if constexpr (Op == ScanOp::CumProd) {
      s = s * x;
    } else if constexpr (std::is_floating_point_v<A>) {
      // log(e^s + e^x) shifted by the larger, so nothing overflows; infinities short-cut
      // (-inf with -inf stays -inf, inf stays inf) where the shift would give inf - inf.
      if (std::isnan(s) || std::isnan(x)) { s = s + x; return; }
      const A hi = std::max(s, x), lo = std::min(s, x);
      s = (lo == -std::numeric_limits<A>::infinity() || hi == std::numeric_limits<A>::infinity())
              ? hi
              : hi + std::log1p(std::exp(lo - hi));
    }
  }
  static void emit(const S& s, T* out, int64_t*, int64_t pos) {
    out[pos] = static_cast<T>(static_cast<compute_t<T>>(s));
  }
};

// cummax / cummin: the later of equal values wins (>=, <=), and NaN wins and stays.
template <typename T, bool IsMax>
struct Extreme {
  using C = compute_t<T>;
  struct S {
    C v;
    int64_t i;
  };
  static S init() {
    // A start every first element replaces: -inf/lowest (max), +inf/max (min), false/true (bool).
    if constexpr (std::is_same_v<C, bool>) return {!IsMax, 0};
    else if constexpr (std::is_floating_point_v<C>)
      return {IsMax ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::infinity(), 0};
    else return {IsMax ? std::numeric_limits<C>::lowest() : std::numeric_limits<C>::max(), 0};
  }
  static void step(S& s, T v, int64_t j) {
    const C x = static_cast<C>(v);
    bool take = IsMax ? x >= s.v : x <= s.v;
    if constexpr (std::is_floating_point_v<C>) take = take || std::isnan(x);
    if (take) s = {x, j};
  }
  static void emit(const S& s, T* out, int64_t* idx, int64_t pos) {
    out[pos] = static_cast<T>(s.v);
    idx[pos] = s.i;
  }
};

constexpr int64_t kRows = 8;    // rows scanned together along the last dim
constexpr int64_t kTile = 256;  // accumulators per tile when the scanned dim is not last

// R rows of n elements, `n` apart, scanned together a block of columns at a time: each row's
// block is a short serial chain, and the chains of the R rows are independent, so the CPU
// overlaps them. Walking all R rows column by column instead would touch 2R lines at once that
// all fall in one L1 set when n is a multiple of 1024 floats, and miss on every access.
template <typename T, typename F, int64_t R>
void scan_rows(T* out, int64_t* idx, const T* in, int64_t n) {
  constexpr int64_t kBlock = 64;
  typename F::S s[R];
  for (int64_t r = 0; r < R; ++r) s[r] = F::init();
  for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
    const int64_t j1 = std::min(n, j0 + kBlock);
    for (int64_t r = 0; r < R; ++r) {
      typename F::S a = s[r];
      for (int64_t j = j0; j < j1; ++j) {
        F::step(a, in[r * n + j], j);
        F::emit(a, out, idx, r * n + j);
      }
      s[r] = a;
    }
  }
}

template <typename T, typename F>
void scan_loop(T* out, int64_t* idx, const T* in, int64_t outer, int64_t n, int64_t inner) {
  if (inner == 1) {
    const int64_t groups = (outer + kRows - 1) / kRows;
    parallel_for(0, groups, std::max<int64_t>(1, kGrainSize / (n * kRows)), [&](int64_t g0, int64_t g1) {
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t r0 = g * kRows;
        if (r0 + kRows <= outer) {
          scan_rows<T, F, kRows>(out + r0 * n, idx ? idx + r0 * n : nullptr, in + r0 * n, n);
          continue;
        }
        for (int64_t r = r0; r < outer; ++r) scan_rows<T, F, 1>(out + r * n, idx ? idx + r * n : nullptr, in + r * n, n);
      }
    });
    return;
  }
  const int64_t tiles = (inner + kTile - 1) / kTile;
  parallel_for(0, outer * tiles, std::max<int64_t>(1, kGrainSize / (n * kTile)), [&](int64_t t0, int64_t t1) {
    typename F::S s[kTile];
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / tiles, k0 = (t % tiles) * kTile, w = std::min(kTile, inner - k0);
      const int64_t base = o * n * inner + k0;
      for (int64_t k = 0; k < w; ++k) s[k] = F::init();
      for (int64_t j = 0; j < n; ++j) {
        const T* src = in + base + j * inner;
        const int64_t pos = base + j * inner;
#pragma omp simd
        for (int64_t k = 0; k < w; ++k) {
          F::step(s[k], src[k], j);
          F::emit(s[k], out, idx, pos + k);
        }
      }
    }
  });
}

void scan_impl(ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t dim) {
  const Shape& sizes = in.sizes();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= sizes[d];
  for (int64_t d = dim + 1; d < static_cast<int64_t>(sizes.size()); ++d) inner *= sizes[d];
  const int64_t n = sizes.empty() ? 1 : sizes[dim];
  if (outer * n * inner == 0) return;
  int64_t* idx = indices.defined() ? indices.data<int64_t>() : nullptr;
  PYDL_DISPATCH_ALL_TYPES(in.dtype(), "scan", [&] {
    using T = scalar_t;
    T* o = out.data<T>();
    const T* i = in.data<T>();
    switch (op) {
      case ScanOp::CumSum: return scan_loop<T, Accumulate<T, ScanOp::CumSum>>(o, idx, i, outer, n, inner);
      case ScanOp::CumProd: return scan_loop<T, Accumulate<T, ScanOp::CumProd>>(o, idx, i, outer, n, inner);
      case ScanOp::LogCumSumExp:
        return scan_loop<T, Accumulate<T, ScanOp::LogCumSumExp>>(o, idx, i, outer, n, inner);
      case ScanOp::CumMax: return scan_loop<T, Extreme<T, true>>(o, idx, i, outer, n, inner);
      case ScanOp::CumMin: return scan_loop<T, Extreme<T, false>>(o, idx, i, outer, n, inner);
      case ScanOp::Count: break;
    }
    PYDL_CHECK(false, "scan: unknown op");
  });
}

}  // namespace

PYDL_REGISTER_KERNEL(scan_kernel, &scan_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
