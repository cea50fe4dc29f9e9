// im2col and col2im on the CPU (Backend::im2col / col2im), compiled per ISA level so that the
// row copies and the accumulating adds vectorise.
//  - im2col: one work item is one (kernel tap row, image) pair, which writes out_numel
//    contiguous values of cols; stride-1 taps over a contiguous input row are one vector copy
//    with zero edges. Items run in parallel; they never share an output.
//  - col2im: one work item is one (image, channel) plane of the input gradient, which gathers
//    from the kernel_numel rows of its channel, so planes run in parallel without atomics and
//    each sum is formed in a fixed order. float16/bfloat16 planes accumulate in a float buffer
//    and are rounded once.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

// The output positions [lo, hi) of one dim whose tap `k` lands inside [0, in).
struct ValidRange {
  int64_t lo, hi;
};
ValidRange valid_range(int64_t out, int64_t in, int64_t stride, int64_t pad, int64_t dil, int64_t k) {
  const int64_t shift = k * dil - pad;  // input position of output 0
  // smallest o with o * stride + shift >= 0, and the first o with o * stride + shift >= in
  const int64_t lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  const int64_t hi = in - shift <= 0 ? 0 : (in - shift + stride - 1) / stride;
  return {std::min(lo, out), std::clamp(hi, std::min(lo, out), out)};
}

// One output row of im2col: zeros, then every `step`-th input element, then zeros. Plain
// loops rather than memcpy/fill calls: rows are often only 10-30 elements (LeNet), where the
// calls cost more than the copy.
template <typename T>
inline void copy_row(T* __restrict row, const T* __restrict in, int64_t lo, int64_t hi, int64_t n, int64_t step) {
  for (int64_t i = 0; i < lo; ++i) row[i] = T(0);
  if (step == 1) {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) row[i] = in[i - lo];
  } else if (step == 2) {  // stride-2 layers: a constant stride vectorises to de-interleaving shuffles
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) row[i] = in[(i - lo) * 2];
  } else {
    for (int64_t i = lo; i < hi; ++i) row[i] = in[(i - lo) * step];
  }
  for (int64_t i = hi; i < n; ++i) row[i] = T(0);
}

template <typename T>
void im2col_impl(const Tensor& cols, const Tensor& in, const ConvGeometry& g) {
  const int64_t K = g.kernel_numel(), L = g.out_numel(), B = g.batch;
  const int64_t rows = g.channels * K;
  // in is [B, C, D, H, W] with any strides (elements).
  const auto& st = in.strides();
  const int64_t sb = st[0], sc = st[1], sd = st[2], sh = st[3], sw = st[4];
  const T* src = static_cast<const T*>(in.data_ptr());
  T* dst = static_cast<T*>(cols.data_ptr());
  const int64_t OD = g.out[0], OH = g.out[1], OW = g.out[2];
  const int64_t grain = grain_for(L);
  parallel_for(0, rows * B, grain, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t r = item / B, b = item % B;
      const int64_t c = r / K, tap = r % K;
      const int64_t kd = tap / (g.kernel[1] * g.kernel[2]), kh = tap / g.kernel[2] % g.kernel[1], kw = tap % g.kernel[2];
      T* out = dst + item * L;
      const T* base = src + b * sb + c * sc;
      const ValidRange vd = valid_range(OD, g.in[0], g.stride[0], g.pad[0], g.dilation[0], kd);
      const ValidRange vh = valid_range(OH, g.in[1], g.stride[1], g.pad[1], g.dilation[1], kh);
      const ValidRange vw = valid_range(OW, g.in[2], g.stride[2], g.pad[2], g.dilation[2], kw);
      if (vd.lo >= vd.hi || vh.lo >= vh.hi || vw.lo >= vw.hi) {
        std::fill(out, out + L, T(0));
        continue;
      }
      std::fill(out, out + vd.lo * OH * OW, T(0));
      for (int64_t od = vd.lo; od < vd.hi; ++od) {
        T* plane = out + od * OH * OW;
        const T* pin = base + (od * g.stride[0] - g.pad[0] + kd * g.dilation[0]) * sd;
        std::fill(plane, plane + vh.lo * OW, T(0));
        for (int64_t oh = vh.lo; oh < vh.hi; ++oh) {
          T* row = plane + oh * OW;
          const T* rin = pin + (oh * g.stride[1] - g.pad[1] + kh * g.dilation[1]) * sh;
          const int64_t iw0 = vw.lo * g.stride[2] - g.pad[2] + kw * g.dilation[2];
          copy_row(row, rin + iw0 * sw, vw.lo, vw.hi, OW, g.stride[2] * sw);
        }
        std::fill(plane + vh.hi * OW, plane + OH * OW, T(0));
      }
      std::fill(out + vd.hi * OH * OW, out + L, T(0));
    }
  });
}

void im2col_kernel_impl(const Tensor& cols, const Tensor& in, const ConvGeometry& g) {
  PYDL_DISPATCH_BY_ITEMSIZE(in.itemsize(), [&] { im2col_impl<bits_t>(cols, in, g); });
}

template <typename T>
using acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename T>
void col2im_impl(const Tensor& in, const Tensor& cols, const ConvGeometry& g) {
  using A = acc_t<T>;
  constexpr bool kStaged = !std::is_same_v<A, T>;
  const int64_t K = g.kernel_numel(), L = g.out_numel(), B = g.batch, C = g.channels;
  const int64_t ID = g.in[0], IH = g.in[1], IW = g.in[2], plane_size = ID * IH * IW;
  const int64_t OH = g.out[1], OW = g.out[2];
  const T* src = static_cast<const T*>(cols.data_ptr());
  T* dst = static_cast<T*>(in.data_ptr());
  const int64_t grain = grain_for(K * L);
  parallel_for(0, B * C, grain, [&](int64_t begin, int64_t end) {
    std::vector<A> staged(kStaged ? plane_size : 0);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t b = item / C, c = item % C;
      A* plane = kStaged ? staged.data() : reinterpret_cast<A*>(dst + item * plane_size);
      std::fill(plane, plane + plane_size, A(0));
      for (int64_t tap = 0; tap < K; ++tap) {
        const int64_t kd = tap / (g.kernel[1] * g.kernel[2]), kh = tap / g.kernel[2] % g.kernel[1];
        const int64_t kw = tap % g.kernel[2];
        const T* row_src = src + ((c * K + tap) * B + b) * L;
        const ValidRange vd = valid_range(g.out[0], ID, g.stride[0], g.pad[0], g.dilation[0], kd);
        const ValidRange vh = valid_range(OH, IH, g.stride[1], g.pad[1], g.dilation[1], kh);
        const ValidRange vw = valid_range(OW, IW, g.stride[2], g.pad[2], g.dilation[2], kw);
        const int64_t sw = g.stride[2];
        for (int64_t od = vd.lo; od < vd.hi; ++od) {
          const int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
          for (int64_t oh = vh.lo; oh < vh.hi; ++oh) {
            const int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
            A* prow = plane + (id * IH + ih) * IW + (vw.lo * sw - g.pad[2] + kw * g.dilation[2]);
            const T* s = row_src + (od * OH + oh) * OW;
            if (sw == 1) {
              for (int64_t ow = vw.lo; ow < vw.hi; ++ow) prow[ow - vw.lo] += static_cast<A>(s[ow]);
            } else {
              for (int64_t ow = vw.lo; ow < vw.hi; ++ow) prow[(ow - vw.lo) * sw] += static_cast<A>(s[ow]);
            }
          }
        }
      }
      if constexpr (kStaged) {
        T* out = dst + item * plane_size;
        for (int64_t i = 0; i < plane_size; ++i) out[i] = static_cast<T>(plane[i]);
      }
    }
  });
}

void col2im_kernel_impl(const Tensor& in, const Tensor& cols, const ConvGeometry& g) {
  PYDL_DISPATCH_FLOATING_TYPES(in.dtype(), "col2im", [&] { col2im_impl<scalar_t>(in, cols, g); });
}

}  // namespace

PYDL_REGISTER_KERNEL(im2col_kernel, &im2col_kernel_impl);
PYDL_REGISTER_KERNEL(col2im_kernel, &col2im_kernel_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
