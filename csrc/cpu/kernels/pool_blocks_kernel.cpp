// Vector kernels for pooling windows as wide as their stride (2 or 3 columns, a LeNet/VGG
// max_pool2d(2) or avg_pool2d(3)), no padding, no dilation, float32/float64, compiled per ISA
// level (see cpu/pool_blocks.h).
//
// Why a separate kernel: the general kernel's two passes run a handful of short loops per output
// row (28 inputs, 14 outputs on MNIST maps), and their scalar remainders and strided column
// reads cost most of its time. Here one block is W outputs of an output row (W = the vector
// width): the window rows' K vectors of inputs are combined elementwise, then each of the K
// window columns is pulled out of them with one or two lane shuffles (output o takes input
// column K * o + t), so an output row costs a few vector instructions per W outputs. Max
// pooling tracks each element's flat index alongside its value when asked to; ties go to the
// first maximum and NaN wins (the last NaN), as in PyTorch. The backward runs the same shuffles
// in reverse: each output's gradient goes to its argmax (max) or to its whole window (avg), and
// since windows do not overlap every input element is written exactly once, with no scatter.
//
// A block reads K * W inputs from its first column, past the row's end when the row is short
// (the next row's values land in lanes that are never stored), and stores whole vectors whose
// extra lanes spill onto later rows, which are written after it, as long as the vector stays in
// its plane (planes run in parallel; see store()); a block that would read past the end of the
// tensor takes the scalar loop.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/parallel.h"
#include "cpu/gemm_blocked.h"
#include "cpu/kernels.h"
#include "cpu/pool_blocks.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

template <typename T>
using Vec = typename Simd<T>::type;
// Lane indices (and shuffle masks) as wide as T, so they shuffle and select with T's vectors.
template <typename T>
using Idx = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
template <typename T>
using IVec = typename Simd<Idx<T>>::type;

struct BlockShape {
  int64_t k = 0;   // window width == stride along W (2 or 3)
  int64_t kh = 0;  // window height == stride along H
  int64_t divisor = 1;
};

// Whether dim `d` has windows [o * k, o * k + k) with unit step, and the divisor it contributes
// (0 when that is not one constant).
bool tiled(const PoolDim& d, int64_t& k, int64_t& divisor) {
  k = d.end[0] - d.begin[0];
  divisor = d.divisor[0];
  if (d.step != 1 || k < 1) return false;
  for (int64_t o = 0; o < d.out(); ++o)
    if (d.begin[o] != o * k || d.end[o] != o * k + k || d.divisor[o] != divisor) return false;
  return true;
}

bool block_shape(const PoolGeometry& g, BlockShape& s) {
  int64_t kd, dd, dh, dw;
  if (!tiled(g.dims[0], kd, dd) || kd != 1 || g.dims[0].out() != 1) return false;
  if (!tiled(g.dims[1], s.kh, dh) || !tiled(g.dims[2], s.k, dw) || (s.k != 2 && s.k != 3)) return false;
  s.divisor = g.divisor_override != 0 ? g.divisor_override : dd * dh * dw;
  return g.in_numel() < (int64_t{1} << 31);
}

// Shuffle masks between K input vectors (K * W consecutive columns) and K tap vectors (lane o
// of tap t is column K * o + t). K = 3 needs a second shuffle for the third source vector.
template <typename T, int K>
struct Masks {
  static constexpr int W = Simd<T>::kWidth;
  IVec<T> gather_a[K], gather_b[K];   // tap t = shuffle(shuffle(v0, v1, a[t]), v2, b[t])
  IVec<T> scatter_a[K], scatter_b[K]; // input vector j = shuffle(shuffle(t0, t1, a[j]), t2, b[j])
  IVec<T> spread[K];                  // input vector j's lane l = lane (j * W + l) / K of one vector
  Masks() {
    for (int t = 0; t < K; ++t)
      for (int o = 0; o < W; ++o) {
        const int e = K * o + t;
        gather_a[t][o] = e < 2 * W ? e : 0;
        gather_b[t][o] = e < 2 * W ? o : W + e - 2 * W;
      }
    for (int j = 0; j < K; ++j)
      for (int l = 0; l < W; ++l) {
        const int e = j * W + l, o = e / K, t = e % K;
        scatter_a[j][l] = t < 2 ? t * W + o : 0;
        scatter_b[j][l] = t < 2 ? l : W + o;
        spread[j][l] = o;
      }
  }
};

template <typename T, int K, typename V>
inline V gather_tap(const V (&v)[K], const Masks<T, K>& m, int t) {
  const V ab = __builtin_shuffle(v[0], v[1], m.gather_a[t]);
  if constexpr (K == 2) return ab;
  else return __builtin_shuffle(ab, v[K - 1], m.gather_b[t]);
}
template <typename T, int K, typename V>
inline V scatter_taps(const V (&taps)[K], const Masks<T, K>& m, int j) {
  const V ab = __builtin_shuffle(taps[0], taps[1], m.scatter_a[j]);
  if constexpr (K == 2) return ab;
  else return __builtin_shuffle(ab, taps[K - 1], m.scatter_b[j]);
}

// Stores the first n lanes of v at dst, or all of them when the whole vector fits in the `room`
// elements left in the plane (the lanes past n then land on later rows, which are written after
// this one; a plane's last rows store only their own lanes, since planes run in parallel).
template <typename V, typename T>
inline void store(T* dst, const V& v, int64_t n, int64_t room) {
  constexpr int64_t kLanes = sizeof(V) / sizeof(T);
  std::memcpy(dst, &v, (kLanes <= room ? kLanes : n) * sizeof(T));
}

// int64 lanes, as many as T's vectors have: the indices tensor's element type.
template <typename T>
struct WideOf {
  typedef int64_t type __attribute__((vector_size(Simd<T>::kWidth * 8)));
};
template <typename T>
using Wide = typename WideOf<T>::type;

// One output row of one plane: y[o] (and yi[o], the flat index of the window's max, when
// yi != nullptr) for o < OW. x is the plane, row0 the window's first input row; `readable`
// elements from x on may be read, and `room` elements from y (and yi) on are in the plane.
template <typename T, int K>
void forward_row(PoolKind kind, const T* __restrict x, int64_t row0, int64_t kh, int64_t IW, int64_t OW,
                 int64_t readable, int64_t room, T divisor, const Masks<T, K>& m, T* __restrict y,
                 int64_t* __restrict yi) {
  using V = Vec<T>;
  using IV = IVec<T>;
  constexpr int W = Simd<T>::kWidth;
  IV iota;
  for (int l = 0; l < W; ++l) iota[l] = l;
  int64_t o0 = 0;
  for (; o0 < OW && (row0 + kh - 1) * IW + K * (o0 + W) <= readable; o0 += W) {
    const int64_t n = std::min<int64_t>(W, OW - o0), c0 = K * o0;
    V acc[K];
    IV at[K];
    for (int64_t i = 0; i < kh; ++i) {
      const T* r = x + (row0 + i) * IW + c0;
#pragma GCC unroll 3
      for (int j = 0; j < K; ++j) {
        const V v = load_vec(r + j * W);
        if (i == 0) {
          acc[j] = v;
          if (yi) at[j] = iota + static_cast<Idx<T>>(row0 * IW + c0 + j * W);
        } else if (kind == PoolKind::Avg) {
          acc[j] += v;
        } else {
          const IV take = (v > acc[j]) | (v != v);  // later rows: larger, or NaN (the last NaN)
          acc[j] = take ? v : acc[j];
          if (yi) at[j] = take ? iota + static_cast<Idx<T>>((row0 + i) * IW + c0 + j * W) : at[j];
        }
      }
    }
    V best = gather_tap<T, K>(acc, m, 0);
    IV where = yi ? gather_tap<T, K>(at, m, 0) : IV{};
    for (int t = 1; t < K; ++t) {
      const V v = gather_tap<T, K>(acc, m, t);
      if (kind == PoolKind::Avg) {
        best += v;
      } else if (!yi) {
        best = (v > best) | (v != v) ? v : best;
      } else {  // columns are not in index order across rows: compare indices on ties
        const IV i = gather_tap<T, K>(at, m, t);
        const IV take = (v > best) | ((v == best) & (i < where)) | ((v != v) & ((best == best) | (i > where)));
        best = take ? v : best;
        where = take ? i : where;
      }
    }
    if (kind == PoolKind::Avg) best /= divisor;
    store(y + o0, best, n, room - o0);
    if (yi) store(yi + o0, __builtin_convertvector(where, Wide<T>), n, room - o0);
  }
  for (; o0 < OW; ++o0) {  // the tensor's last blocks: element by element, same order
    T best = x[row0 * IW + K * o0];
    int64_t where = row0 * IW + K * o0;
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t t = 0; t < K; ++t) {
        const int64_t e = (row0 + i) * IW + K * o0 + t;
        const T v = x[e];
        if (i == 0 && t == 0) continue;
        if (kind == PoolKind::Avg) best += v;
        else if ((v > best) | (v != v)) best = v, where = e;
      }
    y[o0] = kind == PoolKind::Avg ? best / divisor : best;
    if (yi) yi[o0] = where;
  }
}

// The gradient of input row `row` (window row i of output row oh, whose gradients are gy and
// argmaxes yi), columns [0, K * OW); `readable` elements of gy and yi may be read, and `room`
// elements of gx from the row's start are in the plane.
template <typename T, int K>
void backward_row(PoolKind kind, const T* __restrict gy, const int64_t* __restrict yi, int64_t row, int64_t i,
                  int64_t IW, int64_t OW, int64_t readable, int64_t room, T divisor, const Masks<T, K>& m,
                  T* __restrict gx) {
  using V = Vec<T>;
  using IV = IVec<T>;
  constexpr int W = Simd<T>::kWidth;
  Wide<T> iota;
  for (int l = 0; l < W; ++l) iota[l] = l;
  T* dst = gx + row * IW;
  const int64_t window_row0 = (row - i) * IW;
  int64_t o0 = 0;
  for (; o0 < OW && o0 + W <= readable; o0 += W) {
    const int64_t c0 = K * o0, n = std::min<int64_t>(W, OW - o0) * K;  // columns to write
    const V g = load_vec(gy + o0);
    V cols[K];
    if (kind == PoolKind::Avg) {
      const V share = g / divisor;
#pragma GCC unroll 3
      for (int j = 0; j < K; ++j) cols[j] = __builtin_shuffle(share, m.spread[j]);
    } else {
      // The argmax's place in its window, i * IW + t: which of this row's K taps takes g.
      const Wide<T> at = load_as<Wide<T>>(yi + o0) - (window_row0 + K * (o0 + iota));
      const IV local = __builtin_convertvector(at, IV);
      V taps[K];
#pragma GCC unroll 3
      for (int t = 0; t < K; ++t) taps[t] = local == static_cast<Idx<T>>(i * IW + t) ? g : V{};
#pragma GCC unroll 3
      for (int j = 0; j < K; ++j) cols[j] = scatter_taps<T, K>(taps, m, j);
    }
#pragma GCC unroll 3
    for (int j = 0; j < K; ++j) {
      const int64_t left = n - j * W;
      if (left > 0) store(dst + c0 + j * W, cols[j], std::min<int64_t>(W, left), room - c0 - j * W);
    }
  }
  for (; o0 < OW; ++o0)
    for (int64_t t = 0; t < K; ++t) {
      const int64_t e = row * IW + K * o0 + t;
      gx[e] = kind == PoolKind::Avg ? gy[o0] / divisor : (yi[o0] == e ? gy[o0] : T(0));
    }
}

template <typename T, int K>
void forward_planes(PoolKind kind, const Tensor& out, const Tensor& indices, const Tensor& in, const PoolGeometry& g,
                    const BlockShape& s) {
  const Masks<T, K> m;
  const int64_t IW = g.dims[2].in, OH = g.dims[1].out(), OW = g.dims[2].out();
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel(), total = g.planes * in_plane;
  const T* x = static_cast<const T*>(in.data_ptr());
  T* y = static_cast<T*>(out.data_ptr());
  int64_t* yi = indices.defined() ? static_cast<int64_t*>(indices.data_ptr()) : nullptr;
  const T divisor = static_cast<T>(s.divisor);
  parallel_for_each(g.planes, in_plane, [&](int64_t p) {
    for (int64_t oh = 0; oh < OH; ++oh)
      forward_row<T, K>(kind, x + p * in_plane, oh * s.kh, s.kh, IW, OW, total - p * in_plane, out_plane - oh * OW,
                        divisor, m, y + p * out_plane + oh * OW, yi ? yi + p * out_plane + oh * OW : nullptr);
  });
}

template <typename T, int K>
void backward_planes(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                     const PoolGeometry& g, const BlockShape& s) {
  const Masks<T, K> m;
  const int64_t IH = g.dims[1].in, IW = g.dims[2].in, OH = g.dims[1].out(), OW = g.dims[2].out();
  const int64_t in_plane = g.in_numel(), out_plane = g.out_numel();
  const T* gy = static_cast<const T*>(grad_out.data_ptr());
  const int64_t* yi = indices.defined() ? static_cast<const int64_t*>(indices.data_ptr()) : nullptr;
  T* gx = static_cast<T*>(grad_in.data_ptr());
  const T divisor = static_cast<T>(s.divisor);
  const int64_t total_out = g.planes * out_plane;
  // Rows in order, so that a row's spilled lanes are overwritten by the rows after it.
  parallel_for_each(g.planes, in_plane, [&](int64_t p) {
    T* gp = gx + p * in_plane;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t at = p * out_plane + oh * OW;
      for (int64_t i = 0; i < s.kh; ++i) {
        const int64_t row = oh * s.kh + i;
        backward_row<T, K>(kind, gy + at, yi ? yi + at : nullptr, row, i, IW, OW, total_out - at,
                           in_plane - row * IW, divisor, m, gp);
        std::fill(gp + row * IW + K * OW, gp + (row + 1) * IW, T(0));  // columns past the last window
      }
    }
    std::fill(gp + OH * s.kh * IW, gp + IH * IW, T(0));  // and rows past the last window
  });
}

template <typename F>
bool dispatch(const Tensor& t, const PoolGeometry& g, const F& f) {
  BlockShape s;
  if ((t.dtype() != ScalarType::Float32 && t.dtype() != ScalarType::Float64) || !block_shape(g, s)) return false;
  if (t.dtype() == ScalarType::Float32) {
    if (s.k == 2) f(float{}, std::integral_constant<int, 2>{}, s);
    else f(float{}, std::integral_constant<int, 3>{}, s);
  } else {
    if (s.k == 2) f(double{}, std::integral_constant<int, 2>{}, s);
    else f(double{}, std::integral_constant<int, 3>{}, s);
  }
  return true;
}

}  // namespace

bool pool_blocks(PoolKind kind, const Tensor& out, const Tensor& indices, const Tensor& in, const PoolGeometry& g) {
  return dispatch(in, g, [&](auto t, auto k, const BlockShape& s) {
    forward_planes<decltype(t), decltype(k)::value>(kind, out, indices, in, g, s);
  });
}

bool pool_blocks_backward(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                          const PoolGeometry& g) {
  return dispatch(grad_in, g, [&](auto t, auto k, const BlockShape& s) {
    backward_planes<decltype(t), decltype(k)::value>(kind, grad_in, grad_out, indices, g, s);
  });
}

}  // namespace pydl::cpu::PYDL_CPU_ISA
