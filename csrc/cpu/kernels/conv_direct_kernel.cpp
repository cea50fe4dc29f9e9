// Direct convolution on the CPU (Backend::conv_direct), compiled per ISA level: for layers
// with few input channels (LeNet's first layer has one), where im2col would write and the GEMM
// re-read a cols buffer as large as the output times a handful of taps, for only that handful
// of multiply-adds per output.
//
// Each image is first copied into a zero-padded buffer (so no load needs a bounds check), then
// every output row is computed in tiles of one vector of positions by kCo output channels: the
// kCo accumulators stay in registers while the kernel walks all taps, each tap one unaligned
// load of input positions and kCo broadcast-weight FMAs. Stride-1 layers only (the caller
// checks); floats and doubles. The j loops are unrolled by pragma: at the kernels' -O2 they
// would not be, and the accumulators would live in memory (a load and store per FMA).
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/gemm_blocked.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

constexpr int kCo = 6;  // output channels per register tile (accumulators: kCo vectors)

template <typename T>
using Vec = typename Simd<T>::type;

template <typename T>
inline Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// One tile: output positions [ow0, ow0 + kW) of row oh for channels [co0, co0 + nco), into out
// (n valid lanes). xp: the padded image [C][HP][WP]; w: [cout][C][KH][KW].
template <typename T, int NCO>
inline void tile(const T* __restrict xp, const T* __restrict w, const T* __restrict bias, T* __restrict y,
                 int64_t C, int64_t HP, int64_t WP, int64_t KH, int64_t KW, int64_t dh, int64_t dw, int64_t oh,
                 int64_t ow0, int64_t co0, int64_t n, int64_t out_plane, int64_t OW) {
  constexpr int kW = Simd<T>::kWidth;
  Vec<T> acc[NCO];
#pragma GCC unroll 8
  for (int j = 0; j < NCO; ++j) acc[j] = splat<Vec<T>>(bias ? bias[co0 + j] : T(0));
  const int64_t wstride = C * KH * KW;  // between output channels
  for (int64_t c = 0; c < C; ++c)
    for (int64_t kh = 0; kh < KH; ++kh) {
      const T* row = xp + (c * HP + oh + kh * dh) * WP + ow0;
      const T* wk = w + co0 * wstride + (c * KH + kh) * KW;
      for (int64_t kw = 0; kw < KW; ++kw) {
        const Vec<T> xv = load(row + kw * dw);
#pragma GCC unroll 8
        for (int j = 0; j < NCO; ++j) acc[j] += splat<Vec<T>>(wk[j * wstride + kw]) * xv;
      }
    }
#pragma GCC unroll 8
  for (int j = 0; j < NCO; ++j) {
    T* dst = y + (co0 + j) * out_plane + oh * OW + ow0;
    if (n == kW) {
      std::memcpy(dst, &acc[j], sizeof(Vec<T>));
    } else {
      T lanes[kW];
      std::memcpy(lanes, &acc[j], sizeof lanes);
      std::memcpy(dst, lanes, n * sizeof(T));
    }
  }
}

template <typename T>
void conv_direct_impl(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                      const ConvGeometry& g) {
  constexpr int kW = Simd<T>::kWidth;
  // 2-D only: a 1-D conv arrives as H = 1 (the caller passes no 3-D convs here).
  const int64_t B = g.batch, C = g.channels, IH = g.in[1], IW = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t KH = g.kernel[1], KW = g.kernel[2], dh = g.dilation[1], dw = g.dilation[2];
  const int64_t ph = g.pad[1], pw = g.pad[2], cout = weight.size(0);
  // Padded rows hold every position a tile can read: the last tile may run a vector past OW.
  const int64_t HP = std::max(IH + ph, OH + (KH - 1) * dh), tiles = (OW + kW - 1) / kW;
  const int64_t WP = tiles * kW + (KW - 1) * dw;
  const T* x = static_cast<const T*>(in.data_ptr());
  const T* w = static_cast<const T*>(weight.data_ptr());
  const T* bptr = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
  T* y = static_cast<T*>(out.data_ptr());
  const auto& st = in.strides();  // [B, C, 1, H, W] element strides
  const int64_t out_plane = OH * OW;
  const int64_t work = cout * out_plane * C * KH * KW;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(work, 1));
  parallel_for(0, B, grain, [&](int64_t begin, int64_t end) {
    std::vector<T> padded(C * HP * WP);
    for (int64_t b = begin; b < end; ++b) {
      std::fill(padded.begin(), padded.end(), T(0));
      for (int64_t c = 0; c < C; ++c)
        for (int64_t ih = 0; ih < IH; ++ih) {
          const T* src = x + b * st[0] + c * st[1] + ih * st[3];
          T* dst = padded.data() + (c * HP + ih + ph) * WP + pw;
          const int64_t n = std::min(IW, WP - pw);
          for (int64_t iw = 0; iw < n; ++iw) dst[iw] = src[iw * st[4]];
        }
      T* yb = y + b * cout * out_plane;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t t = 0; t < tiles; ++t) {
          const int64_t ow0 = t * kW, n = std::min<int64_t>(kW, OW - ow0);
          for (int64_t co = 0; co < cout; co += kCo) {
            const T* xp = padded.data();
            switch (std::min<int64_t>(kCo, cout - co)) {  // the last channels: a narrower tile
#define PYDL_TILE(k) \
  case k: tile<T, k>(xp, w, bptr, yb, C, HP, WP, KH, KW, dh, dw, oh, ow0, co, n, out_plane, OW); break;
              PYDL_TILE(1) PYDL_TILE(2) PYDL_TILE(3) PYDL_TILE(4) PYDL_TILE(5) PYDL_TILE(6)
#undef PYDL_TILE
            }
          }
        }
    }
  });
}

void conv_direct_kernel_impl(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                             const ConvGeometry& g) {
  switch (in.dtype()) {
    case ScalarType::Float32: return conv_direct_impl<float>(out, in, weight, bias, g);
    case ScalarType::Float64: return conv_direct_impl<double>(out, in, weight, bias, g);
    default: PYDL_CHECK_NOT_IMPLEMENTED(false, "conv_direct: not implemented for '", in.dtype(), "'");
  }
}

}  // namespace

PYDL_REGISTER_KERNEL(conv_direct_kernel, &conv_direct_kernel_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
