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
  for (int v = 0; v < NV; ++v) std::memcpy(&b[v], bias + v * W, sizeof(V));
#pragma GCC unroll 16
  for (int c = 0; c < COLS; ++c)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[c][v] = b[v];
  for (int64_t k = 0; k < taps; ++k, w += NB) {
    const T* p = x + koff[k];
    V wv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) std::memcpy(&wv[v], w + v * W, sizeof(V));
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

// table[S - 1][NV - 1][COLS - 1]
template <typename T, int NV, int S, size_t... C>
constexpr std::array<TileFn<T>, kMaxCols> cols_row(std::index_sequence<C...>) {
  return {&channel_tile<T, static_cast<int>(C) + 1, NV, S>...};
}
template <typename T>
using TileTable = std::array<std::array<std::array<TileFn<T>, kMaxCols>, 2>, 2>;
template <typename T>
constexpr TileTable<T> make_tile_table() {
  constexpr auto cols = std::make_index_sequence<kMaxCols>{};
  return {{{cols_row<T, 1, 1>(cols), cols_row<T, 2, 1>(cols)}, {cols_row<T, 1, 2>(cols), cols_row<T, 2, 2>(cols)}}};
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
      for (int i = 0; i < W; ++i) std::memcpy(&r[i], src + (i0 + i) * src_stride + j0, sizeof(V));
      transpose_square<V, W>(r);
#pragma GCC unroll 16
      for (int j = 0; j < W; ++j) std::memcpy(dst + (j0 + j) * dst_stride + i0, &r[j], sizeof(V));
    }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = i < full_rows ? full_cols : 0; j < cols; ++j) dst[j * dst_stride + i] = src[i * src_stride + j];
}

template <typename T>
void channel_tiles_impl(const Tensor& out, const Tensor& in, const Tensor& weight, const Tensor& bias,
                        const ConvGeometry& g, int64_t groups) {
  constexpr int W = Simd<T>::kWidth, NB = 2 * W;
  static constexpr TileTable<T> kTiles = make_tile_table<T>();
  const int64_t B = g.batch, C = g.channels, IH = g.in[1], IW = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t KH = g.kernel[1], KW = g.kernel[2], dh = g.dilation[1], dw = g.dilation[2];
  const int64_t sh = g.stride[1], sw = g.stride[2], ph = g.pad[1], pw = g.pad[2], cout = weight.size(0);
  const int64_t cg = C / groups, og = cout / groups, taps = cg * KH * KW, P = OH * OW;
  const int64_t HP = std::max(IH + ph, (OH - 1) * sh + (KH - 1) * dh + 1);
  const int64_t WP = std::max(IW + pw, (OW - 1) * sw + (KW - 1) * dw + 1);
  const int64_t blocks = (og + NB - 1) / NB;  // channel blocks per group

  // The taps' offsets in the padded image, and the weight repacked [group][block][tap][NB]
  // (channels past og zero), so a tap's weights are 2 aligned vectors.
  std::vector<int64_t> koff(taps);
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw) koff[(c * KH + kh) * KW + kw] = (c * HP + kh * dh) * WP + kw * dw;
  const Scratch<T> wbuf(0, groups * blocks * taps * NB), bbuf(1, groups * blocks * NB);
  T* wp = wbuf.get();
  T* bp = bbuf.get();
  const T* w = static_cast<const T*>(weight.data_ptr());
  const T* bsrc = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
  for (int64_t gb = 0; gb < groups * blocks; ++gb) {
    const int64_t gi = gb / blocks, co0 = gb % blocks * NB;
    for (int64_t j = 0; j < NB; ++j) {
      const int64_t co = co0 + j;
      const bool real = co < og;
      bp[gb * NB + j] = real && bsrc ? bsrc[gi * og + co] : T(0);
      const T* src = w + (gi * og + co) * taps;
      T* dst = wp + gb * taps * NB + j;
      for (int64_t k = 0; k < taps; ++k) dst[k * NB] = real ? src[k] : T(0);
    }
  }
  // Each row in near-equal tiles of at most kMaxCols positions.
  const int64_t segments = (OW + kMaxCols - 1) / kMaxCols, narrow = OW / segments, wide = OW % segments;

  const T* x = static_cast<const T*>(in.data_ptr());
  T* y = static_cast<T*>(out.data_ptr());
  const auto& st = in.strides();  // [B, C, 1, H, W] element strides
  const int64_t items = B * groups * blocks;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(1, P * NB * taps));
  parallel_for(0, items, grain, [&](int64_t begin, int64_t end) {
    std::vector<T> padded(cg * HP * WP), tiles(P * NB);
    int64_t padded_for = -1;  // the (image, group) in `padded`
    for (int64_t item = begin; item < end; ++item) {
      const int64_t image_group = item / blocks, blk = item % blocks;
      const int64_t b = image_group / groups, gi = image_group % groups;
      if (image_group != padded_for) {
        pad_channels(padded, x + b * st[0] + gi * cg * st[1], st, cg, IH, IW, HP, WP, ph, pw);
        padded_for = image_group;
      }
      const int64_t gb = gi * blocks + blk, channels = std::min<int64_t>(NB, og - blk * NB);
      const auto& table = kTiles[sw - 1][channels > W ? 1 : 0];
      const T* wblk = wp + gb * taps * NB;
      const T* bblk = bp + gb * NB;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const T* row = padded.data() + oh * sh * WP;
        for (int64_t s = 0, ow0 = 0; s < segments; ++s) {
          const int64_t cols = narrow + (s < wide ? 1 : 0);
          table[cols - 1](row + ow0 * sw, koff.data(), taps, wblk, bblk, tiles.data() + (oh * OW + ow0) * NB);
          ow0 += cols;
        }
      }
      transpose_block(tiles.data(), NB, P, channels, y + (b * cout + gi * og + blk * NB) * P, P);
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
      for (int v = 0; v < NV; ++v) std::memcpy(&gv[v], gy + v * W, sizeof(V));
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

template <typename T, int NV, int S, size_t... J>
constexpr std::array<WeightTileFn<T>, kMaxCols> weight_row(std::index_sequence<J...>) {
  return {&weight_tile<T, static_cast<int>(J) + 1, NV, S>...};
}
template <typename T>
using WeightTileTable = std::array<std::array<std::array<WeightTileFn<T>, kMaxCols>, 2>, 2>;
template <typename T>
constexpr WeightTileTable<T> make_weight_tile_table() {
  constexpr auto js = std::make_index_sequence<kMaxCols>{};
  return {{{weight_row<T, 1, 1>(js), weight_row<T, 2, 1>(js)}, {weight_row<T, 1, 2>(js), weight_row<T, 2, 2>(js)}}};
}

template <typename T>
void channel_tiles_weight_impl(const Tensor& gw, const Tensor& in, const Tensor& grad_out, const ConvGeometry& g,
                               int64_t groups) {
  constexpr int W = Simd<T>::kWidth, NB = 2 * W;
  static constexpr WeightTileTable<T> kTiles = make_weight_tile_table<T>();
  const int64_t B = g.batch, C = g.channels, IH = g.in[1], IW = g.in[2], OH = g.out[1], OW = g.out[2];
  const int64_t KH = g.kernel[1], KW = g.kernel[2], dh = g.dilation[1], dw = g.dilation[2];
  const int64_t sh = g.stride[1], sw = g.stride[2], ph = g.pad[1], pw = g.pad[2], cout = gw.size(0);
  const int64_t cg = C / groups, og = cout / groups, taps = cg * KH * KW, P = OH * OW;
  const int64_t HP = std::max(IH + ph, (OH - 1) * sh + (KH - 1) * dh + 1);
  const int64_t WP = std::max(IW + pw, (OW - 1) * sw + (KW - 1) * dw + 1);
  const int64_t blocks = (og + NB - 1) / NB, partial_size = groups * blocks * taps * NB;
  // Input channels of a tap in near-equal tiles of at most kMaxCols.
  const int64_t segments = (cg + kMaxCols - 1) / kMaxCols, narrow = cg / segments, wide = cg % segments;

  const T* x = static_cast<const T*>(in.data_ptr());
  const T* gy = static_cast<const T*>(grad_out.data_ptr());
  const auto& st = in.strides();
  const int64_t items = B * groups;
  const int64_t work = og * taps * P;  // multiply-adds of one item
  const int threads = std::max(1, std::min<int>(get_num_threads(), static_cast<int>(items)));
  const int used = work * items < (int64_t{1} << 18) ? 1 : threads;
  // Each thread sums its images into its own partial gradient; they are added in thread order.
  std::vector<std::vector<T>> partial(used, std::vector<T>(partial_size, T(0)));
  const int64_t per = (items + used - 1) / used;
  parallel_for(0, used, 1, [&](int64_t t0, int64_t t1) {
    std::vector<T> xcl(HP * WP * cg), gyt(P * NB);
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t item = t * per; item < std::min(items, (t + 1) * per); ++item) {
        const int64_t b = item / groups, gi = item % groups;
        // The padded image, channels-last: xcl[(h * WP + w) * cg + c].
        std::fill(xcl.begin(), xcl.end(), T(0));
        const T* src = x + b * st[0] + gi * cg * st[1];
        for (int64_t ih = 0; ih < IH; ++ih) {
          T* d = xcl.data() + ((ih + ph) * WP + pw) * cg;
          const T* s = src + ih * st[3];
          if (st[4] == 1) {
            transpose_block(s, st[1], cg, IW, d, cg);
            continue;
          }
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t iw = 0; iw < IW; ++iw) d[iw * cg + c] = s[c * st[1] + iw * st[4]];
        }
        for (int64_t blk = 0; blk < blocks; ++blk) {
          const int64_t channels = std::min<int64_t>(NB, og - blk * NB);
          // gy of the block's channels, transposed: gyt[p * NB + j] (channels past og zero).
          const T* gsrc = gy + (b * cout + gi * og + blk * NB) * P;
          if (channels < NB) std::fill(gyt.begin(), gyt.end(), T(0));
          transpose_block(gsrc, P, channels, P, gyt.data(), NB);
          const auto& table = kTiles[sw - 1][channels > W ? 1 : 0];
          T* acc = partial[t].data() + (gi * blocks + blk) * taps * NB;
          for (int64_t kh = 0; kh < KH; ++kh)
            for (int64_t kw = 0; kw < KW; ++kw)
              for (int64_t s = 0, c0 = 0; s < segments; ++s) {
                const int64_t J = narrow + (s < wide ? 1 : 0);
                const T* xt = xcl.data() + (kh * dh * WP + kw * dw) * cg + c0;
                table[J - 1](xt, gyt.data(), OH, OW, sh * WP, cg, acc + ((c0 * KH + kh) * KW + kw) * NB,
                             KH * KW * NB);
                c0 += J;
              }
        }
      }
  });
  T* out = static_cast<T*>(gw.data_ptr());
  for (int64_t gi = 0; gi < groups; ++gi)
    for (int64_t co = 0; co < og; ++co) {
      const int64_t blk = co / NB, j = co % NB;
      for (int64_t k = 0; k < taps; ++k) {
        T sum = T(0);
        for (int t = 0; t < used; ++t) sum += partial[t][((gi * blocks + blk) * taps + k) * NB + j];
        out[(gi * og + co) * taps + k] = sum;
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
