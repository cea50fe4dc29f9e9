// Direct convolution with output channels along the vector lanes, compiled per ISA level: the
// kernel for layers with many output channels per group (ResNet's 3x3 layers, an MNIST CNN's
// 32 -> 32), stride 1 or 2 along the width.
//
// Why not im2col + GEMM there: im2col writes a buffer of taps x positions (9x the input for a
// 3x3 layer), which the GEMM then packs again; on 14x14 and 7x7 maps those two copies cost more
// than the arithmetic, and the GEMM's 32-wide tiles fit such short rows badly. Here the
// convolution is the GEMM out^T (positions x cout) = A (positions x taps) @ W^T (taps x cout) with
// A never stored: A's element (position, tap) is one input element of a zero-padded copy of the
// image, at (tile base + position offset + tap offset). A register tile is COLS consecutive
// output positions of one row by 2 vectors of output channels (14 x 32 floats on AVX-512: 28 of
// the 32 zmm registers); per tap it loads 2 weight vectors (the weight is repacked tap-major,
// channels contiguous) and broadcasts COLS input elements at fixed offsets, for 2 * COLS FMAs.
// Each row's width is split into near-equal tiles of at most kMaxCols positions (28 = 14 + 14,
// 7 = 7), so no lane or position is computed and thrown away.
//
// Tiles are written channels-last into a buffer of one image's positions, which is transposed
// into the NCHW output (transpose_block).
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/conv_direct.h"
#include "cpu/gemm_blocked.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

template <typename T>
using Vec = typename Simd<T>::type;

// Positions per register tile: COLS x 2 accumulators plus 2 weight vectors and a broadcast must
// fit the register file (32 vector registers with AVX-512, 16 below it).
constexpr int kMaxCols = kVecBytes == 64 ? 14 : 6;

template <typename T>
using TileFn = void (*)(const T*, const int64_t*, int64_t, const T*, const T*, T*);

// dst[c * 2W + v * W + lane] = bias + sum over taps k of w[k][v * W + lane] * x[koff[k] + c * S],
// for c < COLS positions and v < NV channel vectors (NV = 1 when the block has <= W channels).
template <typename T, int COLS, int NV, int S>
void channel_tile(const T* __restrict x, const int64_t* __restrict koff, int64_t taps, const T* __restrict w,
                  const T* __restrict bias, T* __restrict dst) {
  using V = Vec<T>;
  constexpr int W = Simd<T>::kWidth, NB = 2 * W;
  V acc[COLS][NV];
  V b[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) b[v] = load_vec(bias + v * W);
#pragma GCC unroll 16
  for (int c = 0; c < COLS; ++c)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[c][v] = b[v];
  for (int64_t k = 0; k < taps; ++k, w += NB) {
    const T* p = x + koff[k];
    V wv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) wv[v] = load_vec(w + v * W);
#pragma GCC unroll 16
    for (int c = 0; c < COLS; ++c) {
      const V xv = splat<V>(p[c * S]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[c][v] += xv * wv[v];
    }
  }
#pragma GCC unroll 16
  for (int c = 0; c < COLS; ++c)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) std::memcpy(dst + c * NB + v * W, &acc[c][v], sizeof(V));
}

// Both kernels' tiles, indexed table[S - 1][NV - 1][n - 1] (n: positions or input channels per
// tile): make(n, NV, S), called with std::integral_constants, returns the instantiation.
template <typename Fn>
using TileTable = std::array<std::array<std::array<Fn, kMaxCols>, 2>, 2>;
template <typename Fn, int NV, int S, typename Make, size_t... N>
constexpr std::array<Fn, kMaxCols> tile_row(const Make& make, std::index_sequence<N...>) {
  return {make(std::integral_constant<int, static_cast<int>(N) + 1>{}, std::integral_constant<int, NV>{},
               std::integral_constant<int, S>{})...};
}
template <typename Fn, typename Make>
constexpr TileTable<Fn> tile_table(const Make& make) {
  constexpr auto n = std::make_index_sequence<kMaxCols>{};
  return {{{tile_row<Fn, 1, 1>(make, n), tile_row<Fn, 2, 1>(make, n)},
           {tile_row<Fn, 1, 2>(make, n), tile_row<Fn, 2, 2>(make, n)}}};
}

// dst[j * dst_stride + i] = src[i * src_stride + j] for i < rows, j < cols (unit inner strides):
// W x W blocks transposed in registers, the edges element by element. Converts between the
// kernels' channels-last buffers and NCHW tensors.
template <typename T>
void transpose_block(const T* __restrict src, int64_t src_stride, int64_t rows, int64_t cols, T* __restrict dst,
                     int64_t dst_stride) {
  using V = Vec<T>;
  constexpr int W = Simd<T>::kWidth;
  const int64_t full_rows = rows / W * W, full_cols = cols / W * W;
  for (int64_t i0 = 0; i0 < full_rows; i0 += W)
    for (int64_t j0 = 0; j0 < full_cols; j0 += W) {
      V r[W];
#pragma GCC unroll 16
      for (int i = 0; i < W; ++i) r[i] = load_vec(src + (i0 + i) * src_stride + j0);
      transpose_square<V, W>(r);
#pragma GCC unroll 16
      for (int j = 0; j < W; ++j) std::memcpy(dst + (j0 + j) * dst_stride + i0, &r[j], sizeof(V));
    }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = i < full_rows ? full_cols : 0; j < cols; ++j) dst[j * dst_stride + i] = src[i * src_stride + j];
}

// The geometry both kernels walk: one image's padded copy (HP x WP per input channel, zero
// outside the input), its OH x OW = P outputs, and the output channels of a group in blocks of
// 2 vectors.
struct Layout {
  int64_t B, C, IH, IW, OH, OW, KH, KW, dh, dw, sh, sw, ph, pw, cout, cg, og, taps, P, HP, WP, blocks;
  Layout(const ConvGeometry& g, int64_t cout_, int64_t groups, int64_t block)
      : B(g.batch), C(g.channels), IH(g.in[1]), IW(g.in[2]), OH(g.out[1]), OW(g.out[2]), KH(g.kernel[1]),
        KW(g.kernel[2]), dh(g.dilation[1]), dw(g.dilation[2]), sh(g.stride[1]), sw(g.stride[2]), ph(g.pad[1]),
        pw(g.pad[2]), cout(cout_), cg(C / groups), og(cout / groups), taps(cg * KH * KW), P(OH * OW),
        HP(std::max(IH + ph, (OH - 1) * sh + (KH - 1) * dh + 1)),
        WP(std::max(IW + pw, (OW - 1) * sw + (KW - 1) * dw + 1)), blocks((og + block - 1) / block) {}
};

template <typename T>
void channel_tiles_impl(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                        const ConvGeometry& g, int64_t groups) {
  constexpr int W = Simd<T>::kWidth, NB = 2 * W;
  static constexpr TileTable<TileFn<T>> kTiles = tile_table<TileFn<T>>(
      [](auto n, auto nv, auto s) {
        return &channel_tile<T, decltype(n)::value, decltype(nv)::value, decltype(s)::value>;
      });
  const Layout L(g, weight.size(0), groups, NB);

  // The taps' offsets in the padded image, and the weight repacked [group][block][tap][NB]
  // (channels past og zero), so a tap's weights are 2 aligned vectors.
  std::vector<int64_t> koff(L.taps);
  for (int64_t c = 0; c < L.cg; ++c)
    for (int64_t kh = 0; kh < L.KH; ++kh)
      for (int64_t kw = 0; kw < L.KW; ++kw)
        koff[(c * L.KH + kh) * L.KW + kw] = (c * L.HP + kh * L.dh) * L.WP + kw * L.dw;
  const Scratch<T> wbuf(0, groups * L.blocks * L.taps * NB), bbuf(1, groups * L.blocks * NB);
  T* wp = wbuf.get();
  T* bp = bbuf.get();
  const T* w = static_cast<const T*>(weight.data_ptr());
  const T* bsrc = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
  for (int64_t gb = 0; gb < groups * L.blocks; ++gb) {
    const int64_t gi = gb / L.blocks, co0 = gb % L.blocks * NB;
    for (int64_t j = 0; j < NB; ++j) {
      const int64_t co = co0 + j;
      const bool real = co < L.og;
      bp[gb * NB + j] = real && bsrc ? bsrc[gi * L.og + co] : T(0);
      const T* src = w + (gi * L.og + co) * L.taps;
      T* dst = wp + gb * L.taps * NB + j;
      for (int64_t k = 0; k < L.taps; ++k) dst[k * NB] = real ? src[k] : T(0);
    }
  }
  // Each row in near-equal tiles of at most kMaxCols positions.
  const int64_t segments = (L.OW + kMaxCols - 1) / kMaxCols, narrow = L.OW / segments, wide = L.OW % segments;

  const T* x = static_cast<const T*>(in.data_ptr());
  T* y = static_cast<T*>(out.data_ptr());
  const auto& st = in.strides();  // [B, C, 1, H, W] element strides
  const int64_t items = L.B * groups * L.blocks;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(1, L.P * NB * L.taps));
  parallel_for(0, items, grain, [&](int64_t begin, int64_t end) {
    std::vector<T> padded(L.cg * L.HP * L.WP), tiles(L.P * NB);
    int64_t padded_for = -1;  // the (image, group) in `padded`
    for (int64_t item = begin; item < end; ++item) {
      const int64_t image_group = item / L.blocks, blk = item % L.blocks;
      const int64_t b = image_group / groups, gi = image_group % groups;
      if (image_group != padded_for) {
        pad_channels(padded, x + b * st[0] + gi * L.cg * st[1], st, L.cg, L.IH, L.IW, L.HP, L.WP, L.ph, L.pw);
        padded_for = image_group;
      }
      const int64_t gb = gi * L.blocks + blk, channels = std::min<int64_t>(NB, L.og - blk * NB);
      const auto& table = kTiles[L.sw - 1][channels > W ? 1 : 0];
      const T* wblk = wp + gb * L.taps * NB;
      const T* bblk = bp + gb * NB;
      for (int64_t oh = 0; oh < L.OH; ++oh) {
        const T* row = padded.data() + oh * L.sh * L.WP;
        for (int64_t s = 0, ow0 = 0; s < segments; ++s) {
          const int64_t cols = narrow + (s < wide ? 1 : 0);
          table[cols - 1](row + ow0 * L.sw, koff.data(), L.taps, wblk, bblk, tiles.data() + (oh * L.OW + ow0) * NB);
          ow0 += cols;
        }
      }
      transpose_block(tiles.data(), NB, L.P, channels, y + (b * L.cout + gi * L.og + blk * NB) * L.P, L.P);
    }
  });
}

// --- the weight gradient -------------------------------------------------------------------
// gW (cout x taps) = gy (cout x positions) @ A (positions x taps), summed over images: the same
// product with the positions as the reduction. A register tile is J consecutive input channels
// at one tap (kh, kw) by 2 vectors of output channels; per position it loads gy's 2 channel
// vectors (gy transposed channels-last once per image) and broadcasts J inputs, which are
// adjacent because the padded image is copied channels-last too. The tile's sums over the
// image's positions are added into the thread's [block][tap][2W] partial gradient.

template <typename T>
using WeightTileFn = void (*)(const T*, const T*, int64_t, int64_t, int64_t, int64_t, T*, int64_t);

// dst[j * dst_stride + v * W + lane] += sum over (oh, ow) of gy[(oh * OW + ow) * 2W + v * W + lane]
// * x[(oh * row_step + ow * S) * cg + j], for j < J input channels.
template <typename T, int J, int NV, int S>
void weight_tile(const T* __restrict x, const T* __restrict gy, int64_t OH, int64_t OW, int64_t row_step,
                 int64_t cg, T* __restrict dst, int64_t dst_stride) {
  using V = Vec<T>;
  constexpr int W = Simd<T>::kWidth, NB = 2 * W;
  V acc[J][NV];
#pragma GCC unroll 16
  for (int j = 0; j < J; ++j)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[j][v] = V{};
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* p = x + oh * row_step * cg;
    for (int64_t ow = 0; ow < OW; ++ow, p += S * cg, gy += NB) {
      V gv[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) gv[v] = load_vec(gy + v * W);
#pragma GCC unroll 16
      for (int j = 0; j < J; ++j) {
        const V xv = splat<V>(p[j]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[j][v] += xv * gv[v];
      }
    }
  }
#pragma GCC unroll 16
  for (int j = 0; j < J; ++j)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      T* d = dst + j * dst_stride + v * W;
      V old;
      std::memcpy(&old, d, sizeof old);
      old += acc[j][v];
      std::memcpy(d, &old, sizeof old);
    }
}

template <typename T>
void channel_tiles_weight_impl(const Tensor& gw, const Tensor& in, const Tensor& grad_out, const ConvGeometry& g,
                               int64_t groups) {
  constexpr int W = Simd<T>::kWidth, NB = 2 * W;
  static constexpr TileTable<WeightTileFn<T>> kTiles = tile_table<WeightTileFn<T>>(
      [](auto n, auto nv, auto s) {
        return &weight_tile<T, decltype(n)::value, decltype(nv)::value, decltype(s)::value>;
      });
  const Layout L(g, gw.size(0), groups, NB);
  const int64_t partial_size = groups * L.blocks * L.taps * NB;
  // Input channels of a tap in near-equal tiles of at most kMaxCols.
  const int64_t segments = (L.cg + kMaxCols - 1) / kMaxCols, narrow = L.cg / segments, wide = L.cg % segments;

  const T* x = static_cast<const T*>(in.data_ptr());
  const T* gy = static_cast<const T*>(grad_out.data_ptr());
  const auto& st = in.strides();
  const int64_t items = L.B * groups;
  const int64_t work = L.og * L.taps * L.P;  // multiply-adds of one item
  const int threads = std::max(1, std::min<int>(get_num_threads(), static_cast<int>(items)));
  const int used = work * items < (int64_t{1} << 18) ? 1 : threads;
  // Each thread sums its images into its own partial gradient; they are added in thread order.
  std::vector<std::vector<T>> partial(used, std::vector<T>(partial_size, T(0)));
  const int64_t per = (items + used - 1) / used;
  parallel_for(0, used, 1, [&](int64_t t0, int64_t t1) {
    std::vector<T> xcl(L.HP * L.WP * L.cg), gyt(L.P * NB);
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t item = t * per; item < std::min(items, (t + 1) * per); ++item) {
        const int64_t b = item / groups, gi = item % groups;
        // The padded image, channels-last: xcl[(h * WP + w) * cg + c].
        std::fill(xcl.begin(), xcl.end(), T(0));
        const T* src = x + b * st[0] + gi * L.cg * st[1];
        for (int64_t ih = 0; ih < L.IH; ++ih) {
          T* d = xcl.data() + ((ih + L.ph) * L.WP + L.pw) * L.cg;
          const T* s = src + ih * st[3];
          if (st[4] == 1) {
            transpose_block(s, st[1], L.cg, L.IW, d, L.cg);
            continue;
          }
          for (int64_t c = 0; c < L.cg; ++c)
            for (int64_t iw = 0; iw < L.IW; ++iw) d[iw * L.cg + c] = s[c * st[1] + iw * st[4]];
        }
        for (int64_t blk = 0; blk < L.blocks; ++blk) {
          const int64_t channels = std::min<int64_t>(NB, L.og - blk * NB);
          // gy of the block's channels, transposed: gyt[p * NB + j] (channels past og zero).
          const T* gsrc = gy + (b * L.cout + gi * L.og + blk * NB) * L.P;
          if (channels < NB) std::fill(gyt.begin(), gyt.end(), T(0));
          transpose_block(gsrc, L.P, channels, L.P, gyt.data(), NB);
          const auto& table = kTiles[L.sw - 1][channels > W ? 1 : 0];
          T* acc = partial[t].data() + (gi * L.blocks + blk) * L.taps * NB;
          for (int64_t kh = 0; kh < L.KH; ++kh)
            for (int64_t kw = 0; kw < L.KW; ++kw)
              for (int64_t s = 0, c0 = 0; s < segments; ++s) {
                const int64_t J = narrow + (s < wide ? 1 : 0);
                const T* xt = xcl.data() + (kh * L.dh * L.WP + kw * L.dw) * L.cg + c0;
                table[J - 1](xt, gyt.data(), L.OH, L.OW, L.sh * L.WP, L.cg, acc + ((c0 * L.KH + kh) * L.KW + kw) * NB,
                             L.KH * L.KW * NB);
                c0 += J;
              }
        }
      }
  });
  T* out = static_cast<T*>(gw.data_ptr());
  for (int64_t gi = 0; gi < groups; ++gi)
    for (int64_t co = 0; co < L.og; ++co) {
      const int64_t blk = co / NB, j = co % NB;
      for (int64_t k = 0; k < L.taps; ++k) {
        T sum = T(0);
        for (int t = 0; t < used; ++t) sum += partial[t][((gi * L.blocks + blk) * L.taps + k) * NB + j];
        out[(gi * L.og + co) * L.taps + k] = sum;
      }
    }
}

}  // namespace

void conv_channel_tiles_weight(const Tensor& gw, const Tensor& in, const Tensor& grad_out, const ConvGeometry& g,
                               int64_t groups) {
  switch (in.dtype()) {
    case ScalarType::Float32: return channel_tiles_weight_impl<float>(gw, in, grad_out, g, groups);
    case ScalarType::Float64: return channel_tiles_weight_impl<double>(gw, in, grad_out, g, groups);
    default: PYDL_CHECK_NOT_IMPLEMENTED(false, "conv_direct_weight: not implemented for '", in.dtype(), "'");
  }
}

bool prefers_channel_tiles(const ConvGeometry& g, int64_t cout, int64_t groups) {
  return g.stride[2] != 1 || cout / groups >= 16;
}

void conv_channel_tiles(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                        const ConvGeometry& g, int64_t groups) {
  switch (in.dtype()) {
    case ScalarType::Float32: return channel_tiles_impl<float>(out, in, weight, bias, g, groups);
    case ScalarType::Float64: return channel_tiles_impl<double>(out, in, weight, bias, g, groups);
    default: PYDL_CHECK_NOT_IMPLEMENTED(false, "conv_direct: not implemented for '", in.dtype(), "'");
  }
}

}  // namespace pydl::cpu::PYDL_CPU_ISA
