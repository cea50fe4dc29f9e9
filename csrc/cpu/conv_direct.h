// What the two direct-convolution kernels share (csrc/cpu/kernels/conv_direct_kernel.cpp and
// conv_channels_kernel.cpp, both compiled per ISA level): the zero-padded copy of an image that
// lets every tap load without a bounds check, and the channel-vector kernel's entry point, which
// conv_direct_kernel.cpp dispatches to.
#pragma once
#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/window_ops.h"
#include "core/tensor.h"

namespace pydl::cpu::PYDL_CPU_ISA {

// dst (`cg` planes of HP x WP, zero outside) = the cg channels at `src` ([C, 1, H, W] element
// strides `st`, as the kernels receive them) placed at row ph, column pw of each plane.
template <typename T>
void pad_channels(std::vector<T>& dst, const T* src, const Shape& st, int64_t cg, int64_t IH, int64_t IW,
                  int64_t HP, int64_t WP, int64_t ph, int64_t pw) {
  std::fill(dst.begin(), dst.end(), T(0));
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t ih = 0; ih < IH; ++ih) {
      const T* s = src + c * st[1] + ih * st[3];
      T* d = dst.data() + (c * HP + ih + ph) * WP + pw;
      if (st[4] == 1) std::memcpy(d, s, IW * sizeof(T));
      else
        for (int64_t iw = 0; iw < IW; ++iw) d[iw] = s[iw * st[4]];
    }
}

// The direct convolution with output channels along the vector lanes (conv_channels_kernel.cpp):
// the layers with many output channels per group, stride 1 or 2. Same contract as
// Backend::conv_direct.
void conv_channel_tiles(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                        const ConvGeometry& g, int64_t groups);
// Its weight gradient (Backend::conv_direct_weight's contract).
void conv_channel_tiles_weight(const Tensor& grad_weight, const Tensor& in, const Tensor& grad_out,
                               const ConvGeometry& g, int64_t groups);
// Whether conv_channel_tiles is the better of the two kernels for this layer.
bool prefers_channel_tiles(const ConvGeometry& g, int64_t cout, int64_t groups);

}  // namespace pydl::cpu::PYDL_CPU_ISA
