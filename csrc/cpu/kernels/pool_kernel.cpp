// Max and average pooling on the CPU (Backend::pool / pool_backward), compiled per ISA level.
// Planes (batch * channels) run in parallel; within a plane the window bounds come from the
// per-dim tables of PoolGeometry, so fixed and adaptive windows share one loop nest. The inner
// loop walks one window row of the contiguous input; the common stride-1 rows vectorise.
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

// Calls f(od, oh, ow, flat output index) for every output position of a plane.
template <typename F>
void for_each_output(const PoolGeometry& g, const F& f) {
  const int64_t OD = g.dims[0].out(), OH = g.dims[1].out(), OW = g.dims[2].out();
  int64_t o = 0;
  for (int64_t od = 0; od < OD; ++od)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow, ++o) f(od, oh, ow, o);
}

int64_t plane_grain(const PoolGeometry& g) {
  const int64_t work = std::max<int64_t>(1, std::max(g.in_numel(), g.out_numel()));
  return std::max<int64_t>(1, kGrainSize / work);
}

template <typename T>
void max_pool(const Tensor& out, const Tensor& indices, const Tensor& in, const PoolGeometry& g) {
  using A = acc_t<T>;
  const PoolDim &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel();
  const T* src = static_cast<const T*>(in.data_ptr());
  T* dst = static_cast<T*>(out.data_ptr());
  int64_t* idx = static_cast<int64_t*>(indices.data_ptr());
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const T* x = src + p * in_plane;
      T* y = dst + p * out_plane;
      int64_t* yi = idx + p * out_plane;
      for_each_output(g, [&](int64_t od, int64_t oh, int64_t ow, int64_t o) {
        A best = -std::numeric_limits<A>::infinity();
        int64_t where = (D.begin[od] * H.in + H.begin[oh]) * W.in + W.begin[ow];
        for (int64_t d = D.begin[od]; d < D.end[od]; d += D.step)
          for (int64_t h = H.begin[oh]; h < H.end[oh]; h += H.step) {
            const int64_t row = (d * H.in + h) * W.in;
            for (int64_t w = W.begin[ow]; w < W.end[ow]; w += W.step) {
              const A v = static_cast<A>(x[row + w]);
              if (v > best || is_nan(v)) {  // PyTorch's rule: NaN wins, the last NaN is kept
                best = v;
                where = row + w;
              }
            }
          }
        y[o] = static_cast<T>(best);
        yi[o] = where;
      });
    }
  });
}

template <typename T>
void avg_pool(const Tensor& out, const Tensor& in, const PoolGeometry& g) {
  using A = acc_t<T>;
  const PoolDim &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel();
  const T* src = static_cast<const T*>(in.data_ptr());
  T* dst = static_cast<T*>(out.data_ptr());
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const T* x = src + p * in_plane;
      T* y = dst + p * out_plane;
      for_each_output(g, [&](int64_t od, int64_t oh, int64_t ow, int64_t o) {
        A sum = 0;
        for (int64_t d = D.begin[od]; d < D.end[od]; d += D.step)
          for (int64_t h = H.begin[oh]; h < H.end[oh]; h += H.step) {
            const T* row = x + (d * H.in + h) * W.in;
            for (int64_t w = W.begin[ow]; w < W.end[ow]; w += W.step) sum += static_cast<A>(row[w]);
          }
        const int64_t divisor =
            g.divisor_override > 0 ? g.divisor_override : D.divisor[od] * H.divisor[oh] * W.divisor[ow];
        y[o] = static_cast<T>(sum / static_cast<A>(divisor));
      });
    }
  });
}

template <typename T>
void pool_backward_impl(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                        const PoolGeometry& g) {
  using A = acc_t<T>;
  constexpr bool kStaged = !std::is_same_v<A, T>;
  const PoolDim &D = g.dims[0], &H = g.dims[1], &W = g.dims[2];
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel();
  const T* gy = static_cast<const T*>(grad_out.data_ptr());
  T* gx = static_cast<T*>(grad_in.data_ptr());
  const int64_t* idx = kind == PoolKind::Max ? static_cast<const int64_t*>(indices.data_ptr()) : nullptr;
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t begin, int64_t end) {
    std::vector<A> staged(kStaged ? in_plane : 0);
    for (int64_t p = begin; p < end; ++p) {
      A* acc = kStaged ? staged.data() : reinterpret_cast<A*>(gx + p * in_plane);
      std::fill(acc, acc + in_plane, A(0));
      const T* go = gy + p * out_plane;
      if (idx) {
        const int64_t* pi = idx + p * out_plane;
        for (int64_t o = 0; o < out_plane; ++o) acc[pi[o]] += static_cast<A>(go[o]);
      } else {
        for_each_output(g, [&](int64_t od, int64_t oh, int64_t ow, int64_t o) {
          const int64_t divisor =
              g.divisor_override > 0 ? g.divisor_override : D.divisor[od] * H.divisor[oh] * W.divisor[ow];
          const A v = static_cast<A>(go[o]) / static_cast<A>(divisor);
          for (int64_t d = D.begin[od]; d < D.end[od]; d += D.step)
            for (int64_t h = H.begin[oh]; h < H.end[oh]; h += H.step) {
              A* row = acc + (d * H.in + h) * W.in;
              for (int64_t w = W.begin[ow]; w < W.end[ow]; w += W.step) row[w] += v;
            }
        });
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
    if (kind == PoolKind::Max) max_pool<scalar_t>(out, indices, in, g);
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
