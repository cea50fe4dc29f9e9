// Reductions (sum, mean, prod, max, min, all, any, nansum) over any set of dims, and max/min
// with their index along one dim (arg_reduce), compiled per ISA level. The loop nest comes
// from cpu/reduce_plan.h. Two shapes of work:
//  - inner reduced (sum along the last dim): every output reduces contiguous runs. Runs are
//    reduced in blocks with independent vector accumulators (so the adds pipeline), and block
//    results are combined in the wider accumulator type: float32 sums of 10^7 elements stay
//    within ~1e-7 of the exact sum.
//  - inner kept (sum along the first dim): input rows are accumulated into a tile of output
//    accumulators, vectorised along the row.
// Either way, work is split over threads by outputs when there are enough of them, else by
// ranges of the reduced elements whose partial results are combined in order.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backend/elementwise_ops.h"
#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/kernels.h"
#include "cpu/loops.h"
#include "cpu/reduce_plan.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

// --- the reducers: identity, step (fold one input value in), combine (two partial results),
// finish (to the stored value). `lane_t` is what the vector lanes accumulate in; `acc_t` holds
// block results (wider for float sums).
template <typename T>
struct SumR {
  using C = compute_t<T>;
  using lane_t = std::conditional_t<std::is_floating_point_v<C>, C, int64_t>;
  using acc_t = std::conditional_t<std::is_floating_point_v<C>, double, int64_t>;
  static constexpr bool kVector = true;  // step() also works on GCC vectors (see reduce_contiguous)
  static constexpr bool kNanFlag = false;  // see ExtremeR
  static constexpr lane_t identity() { return 0; }
  template <typename A, typename X> static A step(A a, X x) { return a + static_cast<A>(x); }
  static acc_t combine(acc_t a, acc_t b) { return a + b; }
  static T finish(acc_t a, int64_t) { return static_cast<T>(static_cast<C>(a)); }
};
template <typename T>
struct NanSumR : SumR<T> {
  using C = compute_t<T>;
  template <typename A, typename X> static A step(A a, X x) { return a + (x == x ? static_cast<A>(x) : A{}); }
};
template <typename T>
struct MeanR : SumR<T> {
  using C = compute_t<T>;
  static T finish(double a, int64_t n) { return static_cast<T>(static_cast<C>(a / static_cast<double>(n))); }
};
template <typename T>
struct ProdR : SumR<T> {
  using C = compute_t<T>;
  using acc_t = typename SumR<T>::acc_t;
  static constexpr typename SumR<T>::lane_t identity() { return 1; }
  template <typename A, typename X> static A step(A a, X x) { return a * static_cast<A>(x); }
  static acc_t combine(acc_t a, acc_t b) { return a * b; }
};
// NaN wins (x != x): once a lane holds NaN no comparison replaces it.
template <typename T, bool IsMax>
struct ExtremeR {
  using C = compute_t<T>;
  using lane_t = C;
  using acc_t = C;
  static constexpr bool kVector = true;
  // In the vector loop, floats take a plain max (one instruction on the dependency chain) and
  // remember NaNs in a separate mask, instead of step()'s compare-or-blend.
  static constexpr bool kNanFlag = std::is_floating_point_v<C>;
  template <typename A> static A plain_step(A a, A x) { return (IsMax ? a > x : a < x) ? a : x; }
  static constexpr C identity() {
    if constexpr (std::is_floating_point_v<C>)
      return IsMax ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::infinity();
    else return IsMax ? std::numeric_limits<C>::lowest() : std::numeric_limits<C>::max();
  }
  template <typename A, typename X> static A step(A a, X x) { return ((IsMax ? x > a : x < a) || x != x) ? x : a; }
  static acc_t combine(acc_t a, acc_t b) { return step(a, b); }
  static T finish(acc_t a, int64_t) { return static_cast<T>(a); }
};
// all / any: the output is bool (or uint8, stored the same way).
template <typename T, bool IsAll>
struct LogicR {
  using C = compute_t<T>;
  using lane_t = uint8_t;
  using acc_t = uint8_t;
  static constexpr bool kVector = false;
  static constexpr uint8_t identity() { return IsAll ? 1 : 0; }
  template <typename A, typename X> static A step(A a, X x) { return IsAll ? (a & (x != C(0))) : (a | (x != C(0))); }
  static acc_t combine(acc_t a, acc_t b) { return IsAll ? (a & b) : (a | b); }
  static uint8_t finish(acc_t a, int64_t) { return a; }
};

template <typename R>
using out_t = decltype(R::finish(typename R::acc_t{}, 0));

constexpr int64_t kLanes = 32;      // independent accumulators: 4 AVX2 vectors of floats
// The register width of this file's ISA level, for the GCC vectors of reduce_contiguous.
#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
#elif defined(__AVX__)
constexpr int kVectorBytes = 32;
#else
constexpr int kVectorBytes = 16;
#endif
constexpr int64_t kRunBlock = 4096;  // elements folded in lane_t before widening to acc_t

// Reduces K runs of n contiguous compute-type values each (rows[k] -> acc[k]). Blocks of
// kRunBlock elements fold into independent lanes; each block's lanes then combine into the
// wider acc_t. Where the lanes are the input type, they are GCC vectors of the ISA's register
// width (an array of scalar lanes would be kept in memory by the compiler, costing a store and
// a reload per add). Several runs at once (K > 1) keep several memory streams in flight: one
// core reads DRAM ~1.4x faster from four streams than from one.
template <typename R, int K>
void reduce_contiguous_rows(const typename R::C* const* rows, int64_t n, typename R::acc_t* out) {
  using C = typename R::C;
  using L = typename R::lane_t;
  using A = typename R::acc_t;
  A acc[K];
  for (int k = 0; k < K; ++k) acc[k] = static_cast<A>(R::identity());
  // Blocks bound the error of float sums; reducers that accumulate in the lane type need none.
  const int64_t block = std::is_same_v<L, A> ? std::max<int64_t>(n, 1) : kRunBlock;
  for (int64_t b = 0; b < n; b += block) {
    const int64_t m = std::min(block, n - b);
    int64_t i = 0;
    if constexpr (R::kVector && std::is_same_v<L, C> && !std::is_same_v<C, bool>) {
      typedef C V __attribute__((vector_size(kVectorBytes)));
      constexpr int64_t N = kVectorBytes / sizeof(C);
      constexpr int U = K == 1 ? 4 : 2;  // vectors per run: enough independent chains to pipeline
      auto load = [](const C* q) {
        V x;
        std::memcpy(&x, q, sizeof(V));
        return x;
      };
      V v[K][U];
      [[maybe_unused]] decltype(V{} != V{}) nan[K];
      for (int k = 0; k < K; ++k) {
        for (int u = 0; u < U; ++u) v[k][u] = V{} + R::identity();
        if constexpr (R::kNanFlag) nan[k] = V{} != V{};  // all false
      }
      for (; i + U * N <= m; i += U * N) {
        for (int k = 0; k < K; ++k) {
          for (int u = 0; u < U; ++u) {
            const V x = load(rows[k] + b + i + u * N);
            if constexpr (R::kNanFlag) {
              // A plain max on the dependency chain; NaNs are remembered in a separate mask.
              v[k][u] = R::plain_step(v[k][u], x);
              nan[k] |= x != x;
            } else {
              v[k][u] = R::step(v[k][u], x);
            }
          }
        }
      }
      for (int k = 0; k < K; ++k) {
        for (int u = 1; u < U; ++u)
          for (int64_t j = 0; j < N; ++j) v[k][0][j] = R::combine(v[k][0][j], v[k][u][j]);
        if constexpr (R::kNanFlag)
          for (int64_t j = 0; j < N; ++j)
            if (nan[k][j]) v[k][0][j] = std::numeric_limits<C>::quiet_NaN();
        for (int64_t j = 0; j < N; ++j) acc[k] = R::combine(acc[k], static_cast<A>(v[k][0][j]));
      }
    } else {
      for (int k = 0; k < K; ++k) {
        const C* q = rows[k] + b;
        L lanes[kLanes];
        for (int64_t j = 0; j < kLanes; ++j) lanes[j] = R::identity();
        int64_t r = 0;
        for (; r + kLanes <= m; r += kLanes) {
#pragma omp simd
          for (int64_t j = 0; j < kLanes; ++j) lanes[j] = R::step(lanes[j], q[r + j]);
        }
        for (int64_t j = 0; j < kLanes; ++j) acc[k] = R::combine(acc[k], static_cast<A>(lanes[j]));
        i = r;
      }
    }
    for (int k = 0; k < K; ++k) {
      L tail = R::identity();
      for (int64_t r = i; r < m; ++r) tail = R::step(tail, rows[k][b + r]);
      acc[k] = R::combine(acc[k], static_cast<A>(tail));
    }
  }
  for (int k = 0; k < K; ++k) out[k] = acc[k];
}

// One run; a long one is read as four quarters at once (see above), combined in order.
template <typename R>
typename R::acc_t reduce_contiguous(const typename R::C* p, int64_t n) {
  using A = typename R::acc_t;
  A acc;
  if (n < 4 * kRunBlock) {
    reduce_contiguous_rows<R, 1>(&p, n, &acc);
    return acc;
  }
  const int64_t q = n / 4;
  const typename R::C* quarters[4] = {p, p + q, p + 2 * q, p + 3 * q};
  A part[4];
  reduce_contiguous_rows<R, 4>(quarters, q, part);
  const typename R::C* rest = p + 4 * q;
  reduce_contiguous_rows<R, 1>(&rest, n - 4 * q, &acc);
  return R::combine(R::combine(R::combine(part[0], part[1]), R::combine(part[2], part[3])), acc);
}

// Reduces n values of storage type T at p, `stride` elements apart.
template <typename T, typename R>
typename R::acc_t reduce_run(const T* p, int64_t n, int64_t stride) {
  using C = typename R::C;
  using A = typename R::acc_t;
  if (stride == 1 && !is_reduced_float_v<T>) return reduce_contiguous<R>(reinterpret_cast<const C*>(p), n);
  A acc = static_cast<A>(R::identity());
  C buf[kBlock];
  for (int64_t k = 0; k < n; k += kBlock) {
    const int64_t m = std::min(kBlock, n - k);
    gather<T>(reinterpret_cast<const char*>(p + k * stride), stride * int64_t(sizeof(T)), m, buf);
    acc = R::combine(acc, reduce_contiguous<R>(buf, m));
  }
  return acc;
}

// Reduces elements [begin, end) of the reduced index space (inner run first) at `base`.
template <typename T, typename R>
typename R::acc_t reduce_range(const T* base, const LoopDims& reduced, int64_t begin, int64_t end) {
  using A = typename R::acc_t;
  A acc = static_cast<A>(R::identity());
  if (begin >= end) return acc;  // also an empty reduced dim: no Odometer over a size-0 dim
  if (reduced.empty()) return begin < end ? R::combine(acc, static_cast<A>(R::step(R::identity(), static_cast<typename R::C>(*base)))) : acc;
  const int64_t run = reduced[0].size, stride = reduced[0].in_stride;
  LoopDims outer(reduced.begin() + 1, reduced.end());
  Odometer it(outer, begin / run);
  int64_t pos = begin;
  while (pos < end) {
    const int64_t i0 = pos % run, n = std::min(run - i0, end - pos);
    acc = R::combine(acc, reduce_run<T, R>(base + it.in() + i0 * stride, n, stride));
    pos += n;
    it.next();
  }
  return acc;
}

template <typename T, typename R>
void reduce_inner_reduced(const ReducePlan& plan, const T* in, out_t<R>* out) {
  using A = typename R::acc_t;
  const int64_t threads = get_num_threads();
  if (plan.outputs >= threads || plan.count * plan.outputs <= kGrainSize) {
    const int64_t grain = grain_for(plan.count);
    // One reduced run per output (sum along the last dim) skips reduce_range's bookkeeping,
    // which costs as much as a short row.
    const bool one_run = plan.reduced.size() == 1 && plan.count > 0;
    // Contiguous runs go four outputs at a time (see reduce_contiguous_rows).
    const bool four_runs = one_run && plan.reduced[0].in_stride == 1 && !is_reduced_float_v<T>;
    parallel_for(0, plan.outputs, grain, [&](int64_t b, int64_t e) {
      Odometer o(plan.kept, b);
      int64_t i = b;
      for (; four_runs && i + 4 <= e; i += 4) {
        const typename R::C* rows[4];
        int64_t at[4];
        A acc[4];
        for (int k = 0; k < 4; ++k, o.next()) {
          rows[k] = reinterpret_cast<const typename R::C*>(in + o.in());
          at[k] = o.out();
        }
        reduce_contiguous_rows<R, 4>(rows, plan.count, acc);
        for (int k = 0; k < 4; ++k) out[at[k]] = R::finish(acc[k], plan.count);
      }
      for (; i < e; ++i, o.next()) {
        const auto acc = one_run ? reduce_run<T, R>(in + o.in(), plan.count, plan.reduced[0].in_stride)
                                 : reduce_range<T, R>(in + o.in(), plan.reduced, 0, plan.count);
        out[o.out()] = R::finish(acc, plan.count);
      }
    });
    return;
  }
  // Few outputs, many elements each (a full sum): split each output's elements over threads.
  Odometer o(plan.kept);
  for (int64_t i = 0; i < plan.outputs; ++i, o.next()) {
    std::vector<A> partial(threads, static_cast<A>(R::identity()));
    const int64_t chunk = (plan.count + threads - 1) / threads;
    parallel_for(0, threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t)
        partial[t] = reduce_range<T, R>(in + o.in(), plan.reduced, std::min(plan.count, t * chunk),
                                        std::min(plan.count, (t + 1) * chunk));
    });
    A acc = static_cast<A>(R::identity());
    for (const A& p : partial) acc = R::combine(acc, p);
    out[o.out()] = R::finish(acc, plan.count);
  }
}

// Accumulates rows of the input into acc[0, n): the inner kept run, for reduced elements
// [begin, end).
template <typename T, typename R>
void accumulate_rows(const T* base, const LoopDim& inner, const LoopDims& reduced, int64_t begin, int64_t end,
                     int64_t n, typename R::acc_t* acc) {
  using C = typename R::C;
  using A = typename R::acc_t;
  Odometer r(reduced, begin);
  C buf[kBlock];
  for (int64_t k = begin; k < end; ++k, r.next()) {
    const T* row = base + r.in();
    if (inner.in_stride == 1 && !is_reduced_float_v<T>) {
      const C* x = reinterpret_cast<const C*>(row);
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) acc[j] = R::step(acc[j], x[j]);
      continue;
    }
    for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
      const int64_t m = std::min(kBlock, n - j0);
      gather<T>(reinterpret_cast<const char*>(row + j0 * inner.in_stride), inner.in_stride * int64_t(sizeof(T)), m,
                buf);
#pragma omp simd
      for (int64_t j = 0; j < m; ++j) acc[j0 + j] = R::step(acc[j0 + j], buf[j]);
    }
  }
}

template <typename T, typename R>
void reduce_inner_kept(const ReducePlan& plan, const T* in, out_t<R>* out) {
  using A = typename R::acc_t;
  constexpr int64_t kTile = 1024;  // output columns per work item: the accumulators stay in L1
  const LoopDim inner = plan.kept[0];
  LoopDims rows(plan.kept.begin() + 1, plan.kept.end());
  const int64_t nrows = product(rows), tiles = (inner.size + kTile - 1) / kTile;
  const int64_t items = nrows * tiles, threads = get_num_threads();
  // Too few items to keep the threads busy: also split the reduced elements, combining after.
  const int64_t splits = (items < threads && plan.count * inner.size > kGrainSize)
                             ? std::min<int64_t>((threads + items - 1) / items, plan.count) : 1;
  std::vector<A> partial(splits > 1 ? items * splits * kTile : 0);
  const int64_t work_per_item = std::max<int64_t>(1, plan.count * std::min(inner.size, kTile) / splits);
  parallel_for(0, items * splits, std::max<int64_t>(1, kGrainSize / work_per_item), [&](int64_t b, int64_t e) {
    A acc[kTile];
    for (int64_t w = b; w < e; ++w) {
      const int64_t item = w / splits, split = w % splits;
      const int64_t row = item / tiles, j0 = (item % tiles) * kTile, n = std::min(kTile, inner.size - j0);
      Odometer r(rows, row);
      std::fill(acc, acc + n, static_cast<A>(R::identity()));
      const int64_t chunk = (plan.count + splits - 1) / splits;
      accumulate_rows<T, R>(in + r.in() + j0 * inner.in_stride, inner, plan.reduced,
                            std::min(plan.count, split * chunk), std::min(plan.count, (split + 1) * chunk), n, acc);
      if (splits > 1) {
        std::copy(acc, acc + n, partial.begin() + w * kTile);
        continue;
      }
      for (int64_t j = 0; j < n; ++j) out[r.out() + (j0 + j) * inner.out_stride] = R::finish(acc[j], plan.count);
    }
  });
  if (splits == 1) return;
  for (int64_t item = 0; item < items; ++item) {
    const int64_t row = item / tiles, j0 = (item % tiles) * kTile, n = std::min(kTile, inner.size - j0);
    Odometer r(rows, row);
    for (int64_t j = 0; j < n; ++j) {
      A acc = partial[item * splits * kTile + j];
      for (int64_t s = 1; s < splits; ++s) acc = R::combine(acc, partial[(item * splits + s) * kTile + j]);
      out[r.out() + (j0 + j) * inner.out_stride] = R::finish(acc, plan.count);
    }
  }
}

template <typename T, typename R>
void reduce_with(const Tensor& out, const Tensor& in) {
  const ReducePlan plan = make_reduce_plan(out, in);
  const T* src = in.data<T>();
  auto* dst = static_cast<out_t<R>*>(out.data_ptr());
  if (plan.outputs == 0) return;
  if (plan.count == 0 || plan.inner_reduced || plan.kept.empty())
    reduce_inner_reduced<T, R>(plan, src, dst);
  else
    reduce_inner_kept<T, R>(plan, src, dst);
}

// --- max/min with indices along one dim (Backend::arg_reduce) --------------------------------
// The first index of the extreme; a NaN is the extreme of anything (the first NaN wins).
template <bool IsMax, typename C>
inline bool beats(C x, C best) {
  return (IsMax ? x > best : x < best) || (x != x && best == best);
}

// Index of the extreme of n values at p, `stride` apart. Contiguous runs first find the value
// with the vectorised reducer, then its first position: two cheap passes over cached memory.
template <typename T, bool IsMax>
int64_t arg_extreme_run(const T* p, int64_t n, int64_t stride) {
  using C = compute_t<T>;
  if (stride == 1 && !is_reduced_float_v<T>) {
    const C v = reduce_contiguous<ExtremeR<T, IsMax>>(reinterpret_cast<const C*>(p), n);
    const C* q = reinterpret_cast<const C*>(p);
    if (v != v) {
      for (int64_t i = 0; i < n; ++i)
        if (q[i] != q[i]) return i;
    }
    for (int64_t i = 0; i < n; ++i)
      if (q[i] == v) return i;
    return 0;
  }
  C best = static_cast<C>(p[0]);
  int64_t at = 0;
  for (int64_t i = 1; i < n; ++i) {
    const C x = static_cast<C>(p[i * stride]);
    if (beats<IsMax>(x, best)) best = x, at = i;
  }
  return at;
}

template <typename T, bool IsMax>
void arg_reduce_with(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim) {
  using C = compute_t<T>;
  Shape strides = indices.strides();
  if (in.dim() > 0) strides[dim] = 0;
  const ReducePlan plan = make_reduce_plan(make_view(indices, in.sizes(), strides, 0), in);
  const T* src = in.data<T>();
  T* vals = values.defined() ? values.data<T>() : nullptr;
  int64_t* idx = indices.data<int64_t>();
  const int64_t n = plan.count;
  const int64_t stride = plan.reduced.empty() ? 0 : plan.reduced[0].in_stride;
  if (plan.inner_reduced || plan.kept.empty() || plan.reduced.empty()) {
    parallel_for(0, plan.outputs, grain_for(n), [&](int64_t b, int64_t e) {
      Odometer o(plan.kept, b);
      for (int64_t i = b; i < e; ++i, o.next()) {
        const int64_t at = n > 1 ? arg_extreme_run<T, IsMax>(src + o.in(), n, stride) : 0;
        idx[o.out()] = at;
        if (vals) vals[o.out()] = src[o.in() + at * stride];
      }
    });
    return;
  }
  // The reduced dim is outer: walk its rows, keeping a tile of best values and indices.
  constexpr int64_t kTile = 512;
  const LoopDim inner = plan.kept[0];
  LoopDims rows(plan.kept.begin() + 1, plan.kept.end());
  const int64_t tiles = (inner.size + kTile - 1) / kTile, items = product(rows) * tiles;
  parallel_for(0, items, std::max<int64_t>(1, kGrainSize / (n * std::min(inner.size, kTile))), [&](int64_t b, int64_t e) {
    C best[kTile], buf[kBlock];
    int64_t at[kTile];
    for (int64_t w = b; w < e; ++w) {
      const int64_t j0 = (w % tiles) * kTile, m = std::min(kTile, inner.size - j0);
      Odometer r(rows, w / tiles);
      const T* base = src + r.in() + j0 * inner.in_stride;
      for (int64_t k = 0; k < n; ++k) {
        const T* row = base + k * stride;
        for (int64_t c0 = 0; c0 < m; c0 += kBlock) {
          const int64_t cm = std::min(kBlock, m - c0);
          gather<T>(reinterpret_cast<const char*>(row + c0 * inner.in_stride), inner.in_stride * int64_t(sizeof(T)),
                    cm, buf);
          if (k == 0) {
            std::copy(buf, buf + cm, best + c0);
            std::fill(at + c0, at + c0 + cm, 0);
            continue;
          }
#pragma omp simd
          for (int64_t j = 0; j < cm; ++j) {
            const bool win = beats<IsMax>(buf[j], best[c0 + j]);
            best[c0 + j] = win ? buf[j] : best[c0 + j];
            at[c0 + j] = win ? k : at[c0 + j];
          }
        }
      }
      for (int64_t j = 0; j < m; ++j) {
        const int64_t o = r.out() + (j0 + j) * inner.out_stride;
        idx[o] = at[j];
        if (vals) vals[o] = static_cast<T>(best[j]);
      }
    }
  });
}

void arg_reduce_impl(ReduceOp op, const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim) {
  PYDL_DISPATCH_ALL_TYPES(in.dtype(), op == ReduceOp::Max ? "max" : "min", [&] {
    if (op == ReduceOp::Max) arg_reduce_with<scalar_t, true>(values, indices, in, dim);
    else arg_reduce_with<scalar_t, false>(values, indices, in, dim);
  });
}

void reduce_impl(ReduceOp op, const Tensor& out, const Tensor& in) {
  const ScalarType dt = in.dtype();
  switch (op) {
    case ReduceOp::Sum:
      return PYDL_DISPATCH_ALL_TYPES(dt, "sum", [&] { reduce_with<scalar_t, SumR<scalar_t>>(out, in); });
    case ReduceOp::NanSum:
      return PYDL_DISPATCH_FLOATING_TYPES(dt, "nansum", [&] { reduce_with<scalar_t, NanSumR<scalar_t>>(out, in); });
    case ReduceOp::Mean:
      return PYDL_DISPATCH_FLOATING_TYPES(dt, "mean", [&] { reduce_with<scalar_t, MeanR<scalar_t>>(out, in); });
    case ReduceOp::Prod:
      return PYDL_DISPATCH_ALL_TYPES(dt, "prod", [&] { reduce_with<scalar_t, ProdR<scalar_t>>(out, in); });
    case ReduceOp::Max:
      return PYDL_DISPATCH_ALL_TYPES(dt, "max", [&] { reduce_with<scalar_t, ExtremeR<scalar_t, true>>(out, in); });
    case ReduceOp::Min:
      return PYDL_DISPATCH_ALL_TYPES(dt, "min", [&] { reduce_with<scalar_t, ExtremeR<scalar_t, false>>(out, in); });
    case ReduceOp::All:
      return PYDL_DISPATCH_ALL_TYPES(dt, "all", [&] { reduce_with<scalar_t, LogicR<scalar_t, true>>(out, in); });
    case ReduceOp::Any:
      return PYDL_DISPATCH_ALL_TYPES(dt, "any", [&] { reduce_with<scalar_t, LogicR<scalar_t, false>>(out, in); });
    case ReduceOp::Count: break;
  }
  PYDL_FAIL("reduce: unknown op");
}

}  // namespace

PYDL_REGISTER_KERNEL(reduce_kernel, &reduce_impl);
PYDL_REGISTER_KERNEL(arg_reduce_kernel, &arg_reduce_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
