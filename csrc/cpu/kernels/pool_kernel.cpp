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

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

template <typename T>
using acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

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
void add_row(const T* __restrict x, A* __restrict acc, int64_t n) {
#pragma omp simd
  for (int64_t w = 0; w < n; ++w) acc[w] += static_cast<A>(x[w]);
}

// The column pass of max pooling: each output takes its window of columns from the row
// buffer, one window tap at a time across all outputs of the row (a branch-free, vectorised
// loop per tap; taps past a window's end are masked). PyTorch's order over a window is the first
// maximum, or the last NaN, in (d, h, w) order; comparing flat indices breaks ties between
// columns the same way.
template <typename T, typename A, typename I>
void max_cols(const A* __restrict best, const I* __restrict where, const int64_t* __restrict begin,
              const int64_t* __restrict end, int64_t step, int64_t taps, int64_t n, A* __restrict b,
              I* __restrict bi, T* __restrict y, int64_t* __restrict yi) {
#pragma omp simd
  for (int64_t ow = 0; ow < n; ++ow) {
    b[ow] = best[begin[ow]];
    bi[ow] = where[begin[ow]];
  }
  for (int64_t j = 1; j < taps; ++j) {
#pragma omp simd
    for (int64_t ow = 0; ow < n; ++ow) {
      const int64_t w = begin[ow] + j * step;
      const bool valid = w < end[ow];
      const int64_t wc = valid ? w : begin[ow];
      const A v = best[wc], cur = b[ow];
      const I i = where[wc], ci = bi[ow];
      const bool take =
          valid & ((v > cur) | ((v == cur) & (i < ci)) | ((v != v) & ((cur == cur) | (i > ci))));
      b[ow] = take ? v : cur;
      bi[ow] = take ? i : ci;
    }
  }
  for (int64_t ow = 0; ow < n; ++ow) {
    y[ow] = static_cast<T>(b[ow]);
    yi[ow] = bi[ow];
  }
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
  const PoolDim &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel(), IW = W.in;
  const T* src = static_cast<const T*>(in.data_ptr());
  T* dst = static_cast<T*>(out.data_ptr());
  int64_t* idx = static_cast<int64_t*>(indices.data_ptr());
  int64_t taps = 1;  // the most columns any window has
  for (int64_t o = 0; o < W.out(); ++o) taps = std::max(taps, (W.end[o] - W.begin[o] + W.step - 1) / W.step);
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    std::vector<A> best(IW);
    std::vector<I> where(IW);  // flat input index of each column's best
    std::vector<A> col_best(W.out());
    std::vector<I> col_where(W.out());
    for (int64_t p = begin; p < end; ++p) {
      const T* x = src + p * in_plane;
      T* y = dst + p * out_plane;
      int64_t* yi = idx + p * out_plane;
      for (int64_t od = 0; od < D.out(); ++od)
        for (int64_t oh = 0; oh < H.out(); ++oh) {
          bool first = true;
          for (int64_t d = D.begin[od]; d < D.end[od]; d += D.step)
            for (int64_t h = H.begin[oh]; h < H.end[oh]; h += H.step) {
              const int64_t row = (d * H.in + h) * IW;
              const T* xr = x + row;
              if (first) {
                first_row(xr, best.data(), where.data(), row, IW);
                first = false;
              } else {
                max_row(xr, best.data(), where.data(), row, IW);
              }
            }
          T* yo = y + (od * H.out() + oh) * W.out();
          int64_t* yio = yi + (od * H.out() + oh) * W.out();
          if (first) {  // an empty window (not reachable with PyTorch's checks)
            std::fill(yo, yo + W.out(), static_cast<T>(-std::numeric_limits<A>::infinity()));
            std::fill(yio, yio + W.out(), int64_t{0});
          } else {
            max_cols(best.data(), where.data(), W.begin.data(), W.end.data(), W.step, taps, W.out(),
                     col_best.data(), col_where.data(), yo, yio);
          }
        }
    }
  });
}

template <typename T>
void avg_pool(const Tensor& out, const Tensor& in, const PoolGeometry& g) {
  using A = acc_t<T>;
  const PoolDim &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel(), IW = W.in;
  const T* src = static_cast<const T*>(in.data_ptr());
  T* dst = static_cast<T*>(out.data_ptr());
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    std::vector<A> rows(IW);
    for (int64_t p = begin; p < end; ++p) {
      const T* x = src + p * in_plane;
      T* y = dst + p * out_plane;
      for (int64_t od = 0; od < D.out(); ++od)
        for (int64_t oh = 0; oh < H.out(); ++oh) {
          std::fill(rows.begin(), rows.end(), A(0));
          for (int64_t d = D.begin[od]; d < D.end[od]; d += D.step)
            for (int64_t h = H.begin[oh]; h < H.end[oh]; h += H.step) {
              const T* xr = x + (d * H.in + h) * IW;
              add_row(xr, rows.data(), IW);
            }
          const int64_t dh = D.divisor[od] * H.divisor[oh];
          T* yo = y + (od * H.out() + oh) * W.out();
          for (int64_t ow = 0; ow < W.out(); ++ow) {
            A sum = 0;
            for (int64_t w = W.begin[ow]; w < W.end[ow]; w += W.step) sum += rows[w];
            const int64_t divisor = g.divisor_override > 0 ? g.divisor_override : dh * W.divisor[ow];
            yo[ow] = static_cast<T>(sum / static_cast<A>(divisor));
          }
        }
    }
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
              const int64_t divisor = g.divisor_override > 0 ? g.divisor_override : dh * W.divisor[ow];
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

void pool_kernel_impl(PoolKind kind, const Tensor& out, const Tensor& indices, const Tensor& in,
                      const PoolGeometry& g) {
  PYDL_DISPATCH_FLOATING_TYPES(in.dtype(), kind == PoolKind::Max ? "max_pool" : "avg_pool", [&] {
    using A = acc_t<scalar_t>;
    using Narrow = std::conditional_t<sizeof(A) == 4, int32_t, int64_t>;
    if (kind == PoolKind::Max && g.in_numel() < (int64_t{1} << 31)) max_pool<scalar_t, Narrow>(out, indices, in, g);
    else if (kind == PoolKind::Max) max_pool<scalar_t, int64_t>(out, indices, in, g);
    else avg_pool<scalar_t>(out, in, g);
  });
}

void pool_backward_kernel_impl(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                               const PoolGeometry& g) {
  PYDL_DISPATCH_FLOATING_TYPES(grad_in.dtype(), "pool_backward", [&] {
    pool_backward_impl<scalar_t>(kind, grad_in, grad_out, indices, g);
  });
}

}  // namespace

PYDL_REGISTER_KERNEL(pool_kernel, &pool_kernel_impl);
PYDL_REGISTER_KERNEL(pool_backward_kernel, &pool_backward_kernel_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
