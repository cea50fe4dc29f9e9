// Direct convolution on the CPU (Backend::conv_direct), compiled per ISA level: for layers
// with few input channels (LeNet's first layer has one), where im2col would write and the GEMM
// re-read a cols buffer as large as the output times a handful of taps, for only that handful
// of multiply-adds per output.
//
// Each image is first copied into a zero-padded buffer (so no load needs a bounds check), then
// the output is computed in register tiles of positions by up to kCo output channels (see
// tile() below) while the kernel walks all taps; floats and doubles. The j loops are unrolled by
// pragma: at the kernels' -O2 they would not be, and the accumulators would live in memory (a load
// and store per FMA). Layers with many output channels per group, or a stride, go to the
// channel-vector kernel (conv_channels_kernel.cpp) instead; this one is stride 1 only.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/conv_direct.h"
#include "cpu/gemm_blocked.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

constexpr int kCo = 6;  // output channels per register tile (accumulators: kCo vectors)

template <typename T>
using Vec = typename Simd<T>::type;

// Output positions are tiled on a flat grid: position f = oh * WP + ow of the padded image's
// width WP, so that a vector of consecutive positions reads consecutive padded inputs for every
// tap, whatever the row length (LeNet's 10-wide rows would fill under a vector each); columns
// ow >= OW of the grid are computed and dropped. A tile is kVecs vectors of positions by NCO
// output channels: per tap, kVecs loads and NCO weight broadcasts feed NCO * kVecs FMAs.
constexpr int kVecs = 2;

template <typename T, int NCO>
inline void tile(const T* __restrict xp, const T* __restrict w, const T* __restrict bias, T* __restrict grid,
                 int64_t grid_plane, int64_t C, int64_t HP, int64_t WP, int64_t KH, int64_t KW, int64_t dh,
                 int64_t dw, int64_t f0, int64_t co0) {
  constexpr int kW = Simd<T>::kWidth;
  Vec<T> acc[NCO][kVecs];
#pragma GCC unroll 8
  for (int j = 0; j < NCO; ++j)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) acc[j][v] = splat<Vec<T>>(bias ? bias[co0 + j] : T(0));
  const int64_t wstride = C * KH * KW;  // between output channels
  const T* wk = w + co0 * wstride;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t kh = 0; kh < KH; ++kh) {
      const T* row = xp + (c * HP + kh * dh) * WP + f0;
      for (int64_t kw = 0; kw < KW; ++kw, ++wk) {
        Vec<T> xv[kVecs];
#pragma GCC unroll 4
        for (int v = 0; v < kVecs; ++v) xv[v] = load_vec(row + kw * dw + v * kW);
#pragma GCC unroll 8
        for (int j = 0; j < NCO; ++j) {
          const Vec<T> wv = splat<Vec<T>>(wk[j * wstride]);
#pragma GCC unroll 4
          for (int v = 0; v < kVecs; ++v) acc[j][v] += wv * xv[v];
        }
      }
    }
  // Whole vectors into the image's output grid (y's rows come out of it in one pass later).
#pragma GCC unroll 8
  for (int j = 0; j < NCO; ++j)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) std::memcpy(grid + (co0 + j) * grid_plane + f0 + v * kW, &acc[j][v], sizeof(Vec<T>));
}

// One work item is one (image, group): the group's cg input channels padded, its og outputs
// computed from them (a depthwise conv is groups = channels, cg = 1).
template <typename T>
void conv_direct_impl(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                      const ConvGeometry& g, int64_t groups) {
  constexpr int kW = Simd<T>::kWidth;
  // 2-D only: a 1-D conv arrives as H = 1 (the caller passes no 3-D convs here).
  const int64_t B = g.batch, C = g.channels, IH = g.in[1], IW = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t KH = g.kernel[1], KW = g.kernel[2], dh = g.dilation[1], dw = g.dilation[2];
  const int64_t ph = g.pad[1], pw = g.pad[2], cout = weight.size(0);
  const int64_t cg = C / groups, og = cout / groups;
  const int64_t HP = std::max(IH + ph, OH + (KH - 1) * dh), WP = std::max(IW + pw, OW + (KW - 1) * dw);
  const int64_t grid = OH * WP, tiles = (grid + kVecs * kW - 1) / (kVecs * kW);
  // The last tile reads up to a tile plus the kernel's reach past the grid: zero slack.
  const int64_t plane = HP * WP, slack = kVecs * kW + (KH - 1) * dh * WP + (KW - 1) * dw;
  const T* x = static_cast<const T*>(in.data_ptr());
  const T* w = static_cast<const T*>(weight.data_ptr());
  const T* bptr = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
  T* y = static_cast<T*>(out.data_ptr());
  const auto& st = in.strides();  // [B, C, 1, H, W] element strides
  const int64_t work = og * OH * OW * cg * KH * KW;  // multiply-adds of one item
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(work, 1));
  const int64_t grid_plane = tiles * kVecs * kW;  // one channel's output grid, whole tiles
  parallel_for(0, B * groups, grain, [&](int64_t begin, int64_t end) {
    std::vector<T> padded(cg * plane + slack), grid_buf(og * grid_plane);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t b = item / groups, gi = item % groups;
      pad_channels(padded, x + b * st[0] + gi * cg * st[1], st, cg, IH, IW, HP, WP, ph, pw);
      const T* xp = padded.data();
      const T* wg = w + gi * og * cg * KH * KW;
      const T* bg = bptr ? bptr + gi * og : nullptr;
      for (int64_t t = 0; t < tiles; ++t) {
        const int64_t f0 = t * kVecs * kW;
        for (int64_t co = 0; co < og; co += kCo) {
          switch (std::min<int64_t>(kCo, og - co)) {  // the last channels: a narrower tile
#define PYDL_TILE(k) \
  case k: tile<T, k>(xp, wg, bg, grid_buf.data(), grid_plane, cg, HP, WP, KH, KW, dh, dw, f0, co); break;
            PYDL_TILE(1) PYDL_TILE(2) PYDL_TILE(3) PYDL_TILE(4) PYDL_TILE(5) PYDL_TILE(6)
#undef PYDL_TILE
          }
        }
      }
      // The grid's rows are WP wide; y's keep their first OW columns.
      T* yg = y + (b * cout + gi * og) * OH * OW;
      for (int64_t co = 0; co < og; ++co)
        for (int64_t oh = 0; oh < OH; ++oh) {
          const T* __restrict src = grid_buf.data() + co * grid_plane + oh * WP;
          T* __restrict dst = yg + (co * OH + oh) * OW;
#pragma omp simd
          for (int64_t ow = 0; ow < OW; ++ow) dst[ow] = src[ow];
        }
    }
  });
}

// One weight-gradient tile: for NCO output channels and one tap, the lane sums of g * x over an
// image's rows (xr: the tap's shifted padded rows, gr: the channels' padded gradient rows).
template <typename T, int NCO>
inline void weight_tile(const T* __restrict xr, const T* __restrict gr, Vec<T>* __restrict dst, int64_t OH,
                        int64_t WP, int64_t OWP, int64_t taps) {
  constexpr int kW = Simd<T>::kWidth;
  Vec<T> acc[NCO];
#pragma GCC unroll 8
  for (int j = 0; j < NCO; ++j) acc[j] = splat<Vec<T>>(T(0));
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OWP; ow += kW) {
      const Vec<T> xv = load_vec(xr + oh * WP + ow);
#pragma GCC unroll 8
      for (int j = 0; j < NCO; ++j) acc[j] += load_vec(gr + (j * OH + oh) * OWP + ow) * xv;
    }
#pragma GCC unroll 8
  for (int j = 0; j < NCO; ++j) dst[j * taps] += acc[j];
}

// The weight gradient of the same layers: gw[co, c, kh, kw] = sum over images and output
// positions of g[b, co, oh, ow] * x[b, c, oh + kh * dh - ph, ow + kw * dw - pw]. Per (image,
// group), both are copied into zero-padded buffers (g's rows padded to whole vectors, so partial
// tiles add zeros); then for each tap, kCo accumulator vectors collect g * x over the rows, one x
// load serving kCo FMAs. Threads take items and keep their own vector partial sums, which are
// summed across lanes and threads (in thread order) at the end.
template <typename T>
void conv_direct_weight_impl(const Tensor& gw, const Tensor& in, const Tensor& grad_out, const ConvGeometry& g,
                             int64_t groups) {
  constexpr int kW = Simd<T>::kWidth;
  const int64_t B = g.batch, C = g.channels, IH = g.in[1], IW = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t KH = g.kernel[1], KW = g.kernel[2], dh = g.dilation[1], dw = g.dilation[2];
  const int64_t ph = g.pad[1], pw = g.pad[2], cout = gw.size(0);
  const int64_t cg = C / groups, og = cout / groups, taps = cg * KH * KW;  // taps: per output channel
  const int64_t HP = std::max(IH + ph, OH + (KH - 1) * dh), tiles = (OW + kW - 1) / kW, OWP = tiles * kW;
  const int64_t WP = OWP + (KW - 1) * dw;
  const T* x = static_cast<const T*>(in.data_ptr());
  const T* gy = static_cast<const T*>(grad_out.data_ptr());
  const auto& xs = in.strides();
  const int64_t items = B * groups;
  const int threads = std::max(1, std::min<int>(get_num_threads(), static_cast<int>(items)));
  const int used = og * taps * OH * OW * items < (int64_t{1} << 17) ? 1 : threads;
  // Per thread, one vector of lane sums per weight element, summed across lanes at the end
  // (a horizontal sum per image and tap would cost more than the FMAs on LeNet's 10x10 maps).
  std::vector<std::vector<Vec<T>>> partial(used, std::vector<Vec<T>>(cout * taps, splat<Vec<T>>(T(0))));
  const int64_t per = (items + used - 1) / used;
  parallel_for(0, used, 1, [&](int64_t t0, int64_t t1) {
    std::vector<T> xp(cg * HP * WP), gp(og * OH * OWP);
    for (int64_t t = t0; t < t1; ++t) {
      for (int64_t item = t * per; item < std::min(items, (t + 1) * per); ++item) {
        const int64_t b = item / groups, gi = item % groups;
        Vec<T>* acc_out = partial[t].data() + gi * og * taps;
        pad_channels(xp, x + b * xs[0] + gi * cg * xs[1], xs, cg, IH, IW, HP, WP, ph, pw);
        std::fill(gp.begin(), gp.end(), T(0));
        for (int64_t co = 0; co < og; ++co)
          for (int64_t oh = 0; oh < OH; ++oh)
            std::memcpy(gp.data() + (co * OH + oh) * OWP, gy + ((b * cout + gi * og + co) * OH + oh) * OW,
                        OW * sizeof(T));
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t kh = 0; kh < KH; ++kh)
            for (int64_t kw = 0; kw < KW; ++kw) {
              const int64_t tap = (c * KH + kh) * KW + kw;
              for (int64_t co0 = 0; co0 < og; co0 += kCo) {
                const T* xr = xp.data() + (c * HP + kh * dh) * WP + kw * dw;
                const T* gr = gp.data() + co0 * OH * OWP;
                Vec<T>* dst = acc_out + co0 * taps + tap;
                switch (std::min<int64_t>(kCo, og - co0)) {  // the last channels: a narrower tile
#define PYDL_WTILE(k) \
  case k: weight_tile<T, k>(xr, gr, dst, OH, WP, OWP, taps); break;
                  PYDL_WTILE(1) PYDL_WTILE(2) PYDL_WTILE(3) PYDL_WTILE(4) PYDL_WTILE(5) PYDL_WTILE(6)
#undef PYDL_WTILE
                }
              }
            }
      }
    }
  });
  T* out = static_cast<T*>(gw.data_ptr());
  for (int64_t i = 0; i < cout * taps; ++i) {
    T sum = 0;
    for (int t = 0; t < used; ++t) {
      T lanes[kW];
      std::memcpy(lanes, &partial[t][i], sizeof lanes);
      for (int l = 0; l < kW; ++l) sum += lanes[l];
    }
    out[i] = sum;
  }
}

void conv_direct_weight_kernel_impl(const Tensor& gw, const Tensor& in, const Tensor& grad_out,
                                    const ConvGeometry& g, int64_t groups) {
  if (prefers_channel_tiles(g, gw.size(0), groups)) return conv_channel_tiles_weight(gw, in, grad_out, g, groups);
  switch (in.dtype()) {
    case ScalarType::Float32: return conv_direct_weight_impl<float>(gw, in, grad_out, g, groups);
    case ScalarType::Float64: return conv_direct_weight_impl<double>(gw, in, grad_out, g, groups);
    default: PYDL_CHECK_NOT_IMPLEMENTED(false, "conv_direct_weight: not implemented for '", in.dtype(), "'");
  }
}

void conv_direct_kernel_impl(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                             const ConvGeometry& g, int64_t groups) {
  if (prefers_channel_tiles(g, weight.size(0), groups)) return conv_channel_tiles(out, in, weight, bias, g, groups);
  switch (in.dtype()) {
    case ScalarType::Float32: return conv_direct_impl<float>(out, in, weight, bias, g, groups);
    case ScalarType::Float64: return conv_direct_impl<double>(out, in, weight, bias, g, groups);
    default: PYDL_CHECK_NOT_IMPLEMENTED(false, "conv_direct: not implemented for '", in.dtype(), "'");
  }
}

}  // namespace

PYDL_REGISTER_KERNEL(conv_direct_kernel, &conv_direct_kernel_impl);
PYDL_REGISTER_KERNEL(conv_direct_weight_kernel, &conv_direct_weight_kernel_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
