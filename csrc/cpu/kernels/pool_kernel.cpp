// Max and average pooling on the CPU (Backend::pool / pool_backward), compiled per ISA level.
// Planes (batch * channels) run in parallel; within a plane the window bounds come from the
// per-dim tables of PoolGeometry, so fixed and adaptive windows share one loop nest. The inner
// loops run along contiguous input rows and vectorise (see max_pool below).
// Backward: a plane's gradient is written by the thread that owns the plane, so max-pool's
// scatter through the saved indices needs no atomics, and overlapping windows sum in a fixed
// order. float16/bfloat16 accumulate in float, as PyTorch does.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/kernels.h"
#include "cpu/pool_blocks.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

template <typename T>
using acc_t = std::conditional_t<std::is_integral_v<T>, int64_t,
                                 std::conditional_t<std::is_same_v<T, double>, double, float>>;

// The identity of max: -inf, or the integer type's lowest value.
template <typename A>
constexpr A lowest() {
  if constexpr (std::numeric_limits<A>::has_infinity) return -std::numeric_limits<A>::infinity();
  else return std::numeric_limits<A>::lowest();
}

template <typename A>
inline bool is_nan(A v) {
  return v != v;
}

int64_t plane_grain(const PoolGeometry& g) {
  const int64_t work = std::max<int64_t>(1, std::max(g.in_numel(), g.out_numel()));
  return std::max<int64_t>(1, kGrainSize / work);
}

// The row passes, as functions of restrict pointers and a by-value length with `omp simd`, so
// that they compile to branch-free vector loops at the kernels' -O2 (left to the compiler, they
// stayed scalar with a mispredicted branch per element: 6x slower on random data).
template <typename T, typename A, typename I>
void first_row(const T* __restrict x, A* __restrict best, I* __restrict where, int64_t row, int64_t n) {
#pragma omp simd
  for (int64_t w = 0; w < n; ++w) {
    best[w] = static_cast<A>(x[w]);
    where[w] = static_cast<I>(row + w);
  }
}
// A later window row wins a column only when larger, or NaN (PyTorch keeps the last NaN).
template <typename T, typename A, typename I>
void max_row(const T* __restrict x, A* __restrict best, I* __restrict where, int64_t row, int64_t n) {
#pragma omp simd
  for (int64_t w = 0; w < n; ++w) {
    const A v = static_cast<A>(x[w]);
    const bool take = (v > best[w]) | (v != v);
    best[w] = take ? v : best[w];
    where[w] = take ? static_cast<I>(row + w) : where[w];
  }
}
template <typename T, typename A>
void copy_row(const T* __restrict x, A* __restrict acc, int64_t n) {
#pragma omp simd
  for (int64_t w = 0; w < n; ++w) acc[w] = static_cast<A>(x[w]);
}
template <typename T, typename A>
void add_row(const T* __restrict x, A* __restrict acc, int64_t n) {
#pragma omp simd
  for (int64_t w = 0; w < n; ++w) acc[w] += static_cast<A>(x[w]);
}

// Where a dim's windows are regular: outputs [lo, hi) whose windows are full, start at
// first + (o - lo) * stride and hold `taps` columns `step` apart (fixed windows away from the
// padding). Elsewhere (edges, adaptive windows) the column pass takes the general path.
struct Regular {
  int64_t lo = 0, hi = 0, first = 0, stride = 1, taps = 1;
};
Regular regular_run(const PoolDim& dim) {
  Regular r;
  const int64_t n = dim.out();
  int64_t span = 0;
  for (int64_t o = 0; o < n; ++o) span = std::max(span, dim.end[o] - dim.begin[o]);
  int64_t lo = 0;
  while (lo < n && dim.end[lo] - dim.begin[lo] != span) ++lo;
  int64_t hi = lo;
  const int64_t stride = lo + 1 < n ? dim.begin[lo + 1] - dim.begin[lo] : 1;
  while (hi < n && dim.end[hi] - dim.begin[hi] == span && dim.begin[hi] == dim.begin[lo] + (hi - lo) * stride) ++hi;
  if (hi - lo < 2 || stride <= 0) return r;
  r.lo = lo;
  r.hi = hi;
  r.first = dim.begin[lo];
  r.stride = stride;
  r.taps = (span + dim.step - 1) / dim.step;
  return r;
}

// Calls f with the run's stride as a compile-time constant when it is 1, 2 or 3 (the strides
// pooling layers use, whose loops then vectorise), else with 0 (a run-time stride).
template <typename F>
void by_stride(const Regular& r, const F& f) {
  if (r.stride == 1) f(std::integral_constant<int64_t, 1>{});
  else if (r.stride == 2) f(std::integral_constant<int64_t, 2>{});
  else if (r.stride == 3) f(std::integral_constant<int64_t, 3>{});
  else f(std::integral_constant<int64_t, 0>{});
}

// PyTorch's order over a window is the first maximum, or the last NaN, in (d, h, w) order;
// comparing flat indices breaks ties between columns the same way.
template <typename A, typename I>
inline bool beats(A v, I i, A cur, I ci) {
  return (v > cur) | ((v == cur) & (i < ci)) | ((v != v) & ((cur == cur) | (i > ci)));
}

// The regular outputs of a row, one window tap at a time across all of them: branch-free
// loops with affine (for stride 1 and 2, compile-time strided) indices, which vectorise.
template <int64_t kStride, typename A, typename I>
void max_cols_regular(const A* __restrict best, const I* __restrict where, const Regular& r, int64_t step,
                      A* __restrict b, I* __restrict bi) {
  const int64_t s = kStride > 0 ? kStride : r.stride, n = r.hi - r.lo;
  const A* base = best + r.first;
  const I* wbase = where + r.first;
#pragma omp simd
  for (int64_t o = 0; o < n; ++o) {
    b[o] = base[o * s];
    bi[o] = wbase[o * s];
  }
  for (int64_t j = 1; j < r.taps; ++j) {
    const A* bj = base + j * step;
    const I* wj = wbase + j * step;
#pragma omp simd
    for (int64_t o = 0; o < n; ++o) {
      const A v = bj[o * s], cur = b[o];
      const I i = wj[o * s], ci = bi[o];
      const bool take = beats(v, i, cur, ci);
      b[o] = take ? v : cur;
      bi[o] = take ? i : ci;
    }
  }
}

// The column pass of max pooling: each output takes its window of columns from the row buffer.
template <typename T, typename A, typename I>
void max_cols(const A* __restrict best, const I* __restrict where, const PoolDim& dim, const Regular& r,
              A* __restrict b, I* __restrict bi, T* __restrict y, int64_t* __restrict yi) {
  const int64_t n = dim.out();
  auto general = [&](int64_t o) {
    int64_t w = dim.begin[o];
    A cur = best[w];
    I ci = where[w];
    for (w += dim.step; w < dim.end[o]; w += dim.step) {
      const bool take = beats(best[w], where[w], cur, ci);
      cur = take ? best[w] : cur;
      ci = take ? where[w] : ci;
    }
    y[o] = static_cast<T>(cur);
    yi[o] = ci;
  };
  for (int64_t o = 0; o < r.lo; ++o) general(o);
  if (r.hi > r.lo) {
    by_stride(r, [&](auto s) { max_cols_regular<decltype(s)::value>(best, where, r, dim.step, b, bi); });
    for (int64_t o = r.lo; o < r.hi; ++o) {
      y[o] = static_cast<T>(b[o - r.lo]);
      yi[o] = bi[o - r.lo];
    }
  }
  for (int64_t o = std::max(r.hi, r.lo); o < n; ++o) general(o);
}

// Runs f(scratch, plane, row) for every output row (row = od * OH + oh) of every plane, planes
// in parallel; each thread makes its scratch buffers once with make().
template <typename Make, typename F>
void for_each_output_row(const PoolGeometry& g, const Make& make, const F& f) {
  const int64_t rows = g.dims[0].out() * g.dims[1].out();
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    auto scratch = make();
    for (int64_t p = begin; p < end; ++p)
      for (int64_t r = 0; r < rows; ++r) f(scratch, p, r);
  });
}

// Calls f(offset of the input row in its plane, whether it is the first) for each input row
// (d, h) of output row `row`'s window; false when the window has none.
template <typename F>
bool for_each_window_row(const PoolGeometry& g, int64_t row, const F& f) {
  const PoolDim &D = g.dims[0], &H = g.dims[1];
  const int64_t od = row / H.out(), oh = row % H.out();
  bool first = true;
  for (int64_t d = D.begin[od]; d < D.end[od]; d += D.step)
    for (int64_t h = H.begin[oh]; h < H.end[oh]; h += H.step) {
      f((d * H.in + h) * g.dims[2].in, first);
      first = false;
    }
  return !first;
}

// Each output row (od, oh) is two passes: the window's input rows (d, h) are combined
// elementwise into a row buffer over the full input width (contiguous, vectorised), then each
// output takes its window of columns from the buffer. That is kh + kw work per output instead of
// kh * kw strided reads, and it serves fixed, padded, dilated and adaptive windows alike.
// I: the row buffer's index type, as wide as A so that the row pass vectorises (int32 for
// float planes under 2^31 elements).
template <typename T, typename I>
void max_pool(const Tensor& out, const Tensor& indices, const Tensor& in, const PoolGeometry& g) {
  using A = acc_t<T>;
  const PoolDim& W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel(), IW = W.in, OW = W.out();
  const T* src = static_cast<const T*>(in.data_ptr());
  T* dst = static_cast<T*>(out.data_ptr());
  int64_t* idx = static_cast<int64_t*>(indices.data_ptr());
  const Regular run = regular_run(W);
  struct Scratch {
    std::vector<A> best, col_best;
    std::vector<I> where, col_where;  // flat input index of each column's (output's) best
  };
  auto make = [&] { return Scratch{std::vector<A>(IW), std::vector<A>(OW), std::vector<I>(IW), std::vector<I>(OW)}; };
  for_each_output_row(g, make, [&](Scratch& sc, int64_t p, int64_t row_out) {
    const T* x = src + p * in_plane;
    const bool any = for_each_window_row(g, row_out, [&](int64_t row, bool first) {
      if (first) first_row(x + row, sc.best.data(), sc.where.data(), row, IW);
      else max_row(x + row, sc.best.data(), sc.where.data(), row, IW);
    });
    T* yo = dst + p * out_plane + row_out * OW;
    int64_t* yio = idx + p * out_plane + row_out * OW;
    if (!any) {  // an empty window (not reachable with PyTorch's checks)
      std::fill(yo, yo + OW, static_cast<T>(lowest<A>()));
      std::fill(yio, yio + OW, int64_t{0});
      return;
    }
    max_cols(sc.best.data(), sc.where.data(), W, run, sc.col_best.data(), sc.col_where.data(), yo, yio);
  });
}

// Max pooling without indices (nothing will backpropagate through it): the same two passes on
// values alone, a plain vector max per element (NaN propagating, as in PyTorch).
template <typename A>
inline A max_nan(A a, A b) {
  return (b > a) | (b != b) ? b : a;
}
template <typename T, typename A>
void max_row_values(const T* __restrict x, A* __restrict best, int64_t n) {
#pragma omp simd
  for (int64_t w = 0; w < n; ++w) best[w] = max_nan(best[w], static_cast<A>(x[w]));
}
template <int64_t kStride, typename A>
void max_cols_values(const A* __restrict best, const Regular& r, int64_t step, A* __restrict b) {
  const int64_t s = kStride > 0 ? kStride : r.stride, n = r.hi - r.lo;
  const A* base = best + r.first;
#pragma omp simd
  for (int64_t o = 0; o < n; ++o) b[o] = base[o * s];
  for (int64_t j = 1; j < r.taps; ++j) {
    const A* bj = base + j * step;
#pragma omp simd
    for (int64_t o = 0; o < n; ++o) b[o] = max_nan(b[o], bj[o * s]);
  }
}

template <typename T>
void max_pool_values(const Tensor& out, const Tensor& in, const PoolGeometry& g) {
  using A = acc_t<T>;
  const PoolDim& W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel(), IW = W.in, OW = W.out();
  const T* src = static_cast<const T*>(in.data_ptr());
  T* dst = static_cast<T*>(out.data_ptr());
  const Regular run = regular_run(W);
  struct Scratch {
    std::vector<A> best, col;
  };
  auto make = [&] { return Scratch{std::vector<A>(IW), std::vector<A>(OW)}; };
  for_each_output_row(g, make, [&](Scratch& sc, int64_t p, int64_t row_out) {
    const T* x = src + p * in_plane;
    std::fill(sc.best.begin(), sc.best.end(), lowest<A>());
    for_each_window_row(g, row_out, [&](int64_t row, bool) { max_row_values(x + row, sc.best.data(), IW); });
    T* yo = dst + p * out_plane + row_out * OW;
    auto general = [&](int64_t o) {
      A b = lowest<A>();
      for (int64_t w = W.begin[o]; w < W.end[o]; w += W.step) b = max_nan(b, sc.best[w]);
      yo[o] = static_cast<T>(b);
    };
    for (int64_t o = 0; o < run.lo; ++o) general(o);
    if (run.hi > run.lo) {
      A* col = sc.col.data();
      by_stride(run, [&](auto s) { max_cols_values<decltype(s)::value>(sc.best.data(), run, W.step, col); });
      for (int64_t o = run.lo; o < run.hi; ++o) yo[o] = static_cast<T>(col[o - run.lo]);
    }
    for (int64_t o = std::max(run.hi, run.lo); o < OW; ++o) general(o);
  });
}

// The regular outputs' column sums of average pooling (see max_cols_regular).
template <int64_t kStride, typename A>
void sum_cols(const A* __restrict rows, const Regular& r, int64_t step, A* __restrict sums) {
  const int64_t s = kStride > 0 ? kStride : r.stride, n = r.hi - r.lo;
  const A* base = rows + r.first;
#pragma omp simd
  for (int64_t o = 0; o < n; ++o) sums[o] = base[o * s];
  for (int64_t j = 1; j < r.taps; ++j) {
    const A* bj = base + j * step;
#pragma omp simd
    for (int64_t o = 0; o < n; ++o) sums[o] += bj[o * s];
  }
}
// y = sum / divisor for a row of outputs (a true division, as PyTorch rounds it).
template <typename T, typename A>
void divide_row(const A* __restrict sums, const int64_t* __restrict wdiv, int64_t override_div, int64_t dh,
                T* __restrict y, int64_t n) {
#pragma omp simd
  for (int64_t o = 0; o < n; ++o) {
    const int64_t d = override_div != 0 ? override_div : dh * wdiv[o];
    y[o] = static_cast<T>(sums[o] / static_cast<A>(d));
  }
}

template <typename T>
void avg_pool(const Tensor& out, const Tensor& in, const PoolGeometry& g) {
  using A = acc_t<T>;
  const PoolDim &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel(), IW = W.in, OW = W.out();
  const T* src = static_cast<const T*>(in.data_ptr());
  T* dst = static_cast<T*>(out.data_ptr());
  const Regular run = regular_run(W);
  struct Scratch {
    std::vector<A> rows, sums;
  };
  auto make = [&] { return Scratch{std::vector<A>(IW), std::vector<A>(OW)}; };
  for_each_output_row(g, make, [&](Scratch& sc, int64_t p, int64_t row_out) {
    const T* x = src + p * in_plane;
    A* rows = sc.rows.data();
    A* sums = sc.sums.data();
    // The first window row is copied, the others added.
    const bool any = for_each_window_row(g, row_out, [&](int64_t row, bool first) {
      if (first) copy_row(x + row, rows, IW);
      else add_row(x + row, rows, IW);
    });
    if (!any) std::fill(rows, rows + IW, A(0));
    auto general = [&](int64_t o) {
      A sum = 0;
      for (int64_t w = W.begin[o]; w < W.end[o]; w += W.step) sum += rows[w];
      sums[o] = sum;
    };
    for (int64_t o = 0; o < run.lo; ++o) general(o);
    if (run.hi > run.lo) {
      by_stride(run, [&](auto s) { sum_cols<decltype(s)::value>(rows, run, W.step, sums + run.lo); });
    }
    for (int64_t o = std::max(run.hi, run.lo); o < OW; ++o) general(o);
    const int64_t od = row_out / H.out(), oh = row_out % H.out();
    divide_row(sums, W.divisor.data(), g.divisor_override, D.divisor[od] * H.divisor[oh],
               dst + p * out_plane + row_out * OW, OW);
  });
}

// Backward: max adds each gradient at its saved index; avg runs the forward's two passes in
// reverse (spread each output's share over its columns of a row buffer, then add the buffer
// to every input row of the window).
template <typename T>
void pool_backward_impl(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                        const PoolGeometry& g) {
  using A = acc_t<T>;
  constexpr bool kStaged = !std::is_same_v<A, T>;
  const PoolDim &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel(), IW = W.in;
  const T* gy = static_cast<const T*>(grad_out.data_ptr());
  T* gx = static_cast<T*>(grad_in.data_ptr());
  const int64_t* idx = kind == PoolKind::Max ? static_cast<const int64_t*>(indices.data_ptr()) : nullptr;
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    std::vector<A> staged(kStaged ? in_plane : 0), rows(IW);
    for (int64_t p = begin; p < end; ++p) {
      A* acc = kStaged ? staged.data() : reinterpret_cast<A*>(gx + p * in_plane);
      std::fill(acc, acc + in_plane, A(0));
      const T* go = gy + p * out_plane;
      if (idx) {
        const int64_t* pi = idx + p * out_plane;
        for (int64_t o = 0; o < out_plane; ++o) acc[pi[o]] += static_cast<A>(go[o]);
      } else {
        for (int64_t od = 0; od < D.out(); ++od)
          for (int64_t oh = 0; oh < H.out(); ++oh) {
            std::fill(rows.begin(), rows.end(), A(0));
            const int64_t dh = D.divisor[od] * H.divisor[oh];
            const T* gr = go + (od * H.out() + oh) * W.out();
            for (int64_t ow = 0; ow < W.out(); ++ow) {
              const int64_t divisor = g.divisor_override != 0 ? g.divisor_override : dh * W.divisor[ow];
              const A v = static_cast<A>(gr[ow]) / static_cast<A>(divisor);
              for (int64_t w = W.begin[ow]; w < W.end[ow]; w += W.step) rows[w] += v;
            }
            for (int64_t d = D.begin[od]; d < D.end[od]; d += D.step)
              for (int64_t h = H.begin[oh]; h < H.end[oh]; h += H.step) {
                add_row(rows.data(), acc + (d * H.in + h) * IW, IW);
              }
          }
      }
      if constexpr (kStaged) {
        T* out = gx + p * in_plane;
        for (int64_t i = 0; i < in_plane; ++i) out[i] = static_cast<T>(acc[i]);
      }
    }
  });
}

template <typename T>
void pool_typed(PoolKind kind, const Tensor& out, const Tensor& indices, const Tensor& in, const PoolGeometry& g) {
  using A = acc_t<T>;
  using Narrow = std::conditional_t<sizeof(A) == 4, int32_t, int64_t>;
  if (kind == PoolKind::Max && !indices.defined()) max_pool_values<T>(out, in, g);
  else if (kind == PoolKind::Max && g.in_numel() < (int64_t{1} << 31)) max_pool<T, Narrow>(out, indices, in, g);
  else if (kind == PoolKind::Max) max_pool<T, int64_t>(out, indices, in, g);
  else avg_pool<T>(out, in, g);
}

// Every dtype but bool (the ops refuse it): integers pool in int64, as PyTorch does (an
// integer average truncates).
void pool_kernel_impl(PoolKind kind, const Tensor& out, const Tensor& indices, const Tensor& in,
                      const PoolGeometry& g) {
  if (pool_blocks(kind, out, indices, in, g)) return;  // the common windows: cpu/pool_blocks.h
  const char* name = kind == PoolKind::Max ? "max_pool" : "avg_pool";
  if (is_floating(in.dtype()))
    PYDL_DISPATCH_FLOATING_TYPES(in.dtype(), name, [&] { pool_typed<scalar_t>(kind, out, indices, in, g); });
  else
    PYDL_DISPATCH_INTEGRAL_TYPES(in.dtype(), name, [&] { pool_typed<scalar_t>(kind, out, indices, in, g); });
}

void pool_backward_kernel_impl(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                               const PoolGeometry& g) {
  if (pool_blocks_backward(kind, grad_in, grad_out, indices, g)) return;
  PYDL_DISPATCH_FLOATING_TYPES(grad_in.dtype(), "pool_backward", [&] {
    pool_backward_impl<scalar_t>(kind, grad_in, grad_out, indices, g);
  });
}

}  // namespace

PYDL_REGISTER_KERNEL(pool_kernel, &pool_kernel_impl);
PYDL_REGISTER_KERNEL(pool_backward_kernel, &pool_backward_kernel_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
