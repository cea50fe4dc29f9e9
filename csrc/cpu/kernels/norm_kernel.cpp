// Layer norm and training-mode batch norm (see backend/norm_ops.h for the tensors), float32 and
// float64. Statistics take two passes (the mean, then the centred sum of squares: no
// cancellation when the mean is large against the spread), so the variance is as accurate as
// the composed var_mean's.
//  - Layer: rows (tokens) are independent and run in parallel; a row of features (a few KiB)
//    stays in L1 across its passes. The backward's weight/bias gradients are column sums over
//    all rows: each block of kRowBlock rows adds into its own scratch row, and the blocks are
//    added in a fixed order at the end, so the result does not depend on the thread count.
//  - Batch: channels are independent and run in parallel; a channel's elements are `batch`
//    contiguous runs of `spatial`. Each run is summed in the input's type (vectorised), the run
//    sums in double: a ResNet stage's channel holds ~10^5 elements.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.h"
#include "cpu/kernels.h"
#include "cpu/norm_kernel.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

// Rows per block of the layer-norm backward's column sums.
constexpr int64_t kRowBlock = 64;

template <typename T>
const T* maybe(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
template <typename T>
T* maybe_mut(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// --- layer norm ------------------------------------------------------------------------------

template <typename T>
void layer_forward(const NormTensors& t) {
  const int64_t rows = t.mean.numel(), cols = t.x.numel() / rows;
  const T *x = t.x.data<T>(), *w = maybe<T>(t.weight), *b = maybe<T>(t.bias);
  T *y = t.y.data<T>(), *mean = t.mean.data<T>(), *rstd = t.rstd.data<T>();
  const T eps = static_cast<T>(t.eps), inv_n = T(1) / static_cast<T>(cols);
  parallel_for_each(rows, cols, [&](int64_t r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; ++j) sum += xr[j];
    const T m = sum * inv_n;
    T squares = 0;
#pragma omp simd reduction(+ : squares)
    for (int64_t j = 0; j < cols; ++j) squares += (xr[j] - m) * (xr[j] - m);
    const T rs = T(1) / std::sqrt(squares * inv_n + eps);
    mean[r] = m;
    rstd[r] = rs;
    if (w && b) {
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - m) * rs * w[j] + b[j];
    } else if (w) {
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - m) * rs * w[j];
    } else if (b) {
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - m) * rs + b[j];
    } else {
#pragma omp simd
      for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - m) * rs;
    }
  });
}

// One row of the backward: grad_x = rstd (gw - mean(gw) - xhat mean(gw xhat)) with gw = grad_y * w
// and xhat the normalised row, into gx (when non-null); grad_y xhat and grad_y added into the
// block's partial grad_weight / grad_bias rows pw, pb (when non-null). Templated on whether there
// is a weight, so that each loop is one straight vectorised body.
template <typename T, bool kWeight>
void layer_backward_row(const T* x, const T* g, const T* w, T m, T rs, int64_t cols, T* gx, T* pw, T* pb) {
  const T inv_n = T(1) / static_cast<T>(cols);
  if (!gx) {
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) {
      pw[j] += g[j] * ((x[j] - m) * rs);
      pb[j] += g[j];
    }
    return;
  }
  T sum_g = 0, sum_gx = 0;
#pragma omp simd reduction(+ : sum_g, sum_gx)
  for (int64_t j = 0; j < cols; ++j) {
    const T gj = kWeight ? g[j] * w[j] : g[j];
    sum_g += gj;
    sum_gx += gj * ((x[j] - m) * rs);
  }
  const T mean_g = sum_g * inv_n, mean_gx = sum_gx * inv_n;
  if (pw) {
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) {
      const T xhat = (x[j] - m) * rs, gj = kWeight ? g[j] * w[j] : g[j];
      gx[j] = rs * (gj - mean_g - xhat * mean_gx);
      pw[j] += g[j] * xhat;
      pb[j] += g[j];
    }
  } else {
#pragma omp simd
    for (int64_t j = 0; j < cols; ++j) {
      const T gj = kWeight ? g[j] * w[j] : g[j];
      gx[j] = rs * (gj - mean_g - (x[j] - m) * rs * mean_gx);
    }
  }
}

// grad_weight = sum over rows of grad_y xhat, grad_bias = sum over rows of grad_y: per block of
// rows into its own partial rows, then the blocks added in order.
template <typename T>
void layer_backward(const NormTensors& t) {
  const int64_t rows = t.mean.numel(), cols = t.x.numel() / rows;
  const T *x = t.x.data<T>(), *g = t.grad_y.data<T>(), *w = maybe<T>(t.weight);
  const T *mean = t.mean.data<T>(), *rstd = t.rstd.data<T>();
  T *gx = maybe_mut<T>(t.grad_x), *gw = maybe_mut<T>(t.grad_weight), *gb = maybe_mut<T>(t.grad_bias);
  const bool params = gw || gb;
  if (!gx && !params) return;
  const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  // Per block: its partial grad_weight row, then its partial grad_bias row.
  std::vector<T> partial(params ? static_cast<size_t>(blocks * 2 * cols) : 0, T(0));
  parallel_for_each(blocks, kRowBlock * cols, [&](int64_t blk) {
    T* pw = params ? partial.data() + blk * 2 * cols : nullptr;
    T* pb = params ? pw + cols : nullptr;
    for (int64_t r = blk * kRowBlock; r < std::min(rows, (blk + 1) * kRowBlock); ++r) {
      T* gxr = gx ? gx + r * cols : nullptr;
      if (w) layer_backward_row<T, true>(x + r * cols, g + r * cols, w, mean[r], rstd[r], cols, gxr, pw, pb);
      else layer_backward_row<T, false>(x + r * cols, g + r * cols, w, mean[r], rstd[r], cols, gxr, pw, pb);
    }
  });
  if (!params) return;
  parallel_for_each(cols, blocks, [&](int64_t j) {
    T sw = 0, sb = 0;
    for (int64_t blk = 0; blk < blocks; ++blk) {
      sw += partial[blk * 2 * cols + j];
      sb += partial[blk * 2 * cols + cols + j];
    }
    if (gw) gw[j] = sw;
    if (gb) gb[j] = sb;
  });
}

// --- batch norm ------------------------------------------------------------------------------

// The sum over channel c's runs of f(offset of the run) -> its sum in T, added in double.
template <typename F>
double sum_runs(int64_t batch, int64_t channels, int64_t spatial, int64_t c, const F& f) {
  double total = 0;
  for (int64_t n = 0; n < batch; ++n) total += static_cast<double>(f((n * channels + c) * spatial));
  return total;
}

template <typename T>
void batch_forward(const NormTensors& t) {
  const int64_t batch = t.x.size(0), channels = t.x.size(1), spatial = t.x.size(2);
  const T *x = t.x.data<T>(), *w = maybe<T>(t.weight), *b = maybe<T>(t.bias);
  T *y = t.y.data<T>(), *mean = t.mean.data<T>(), *rstd = t.rstd.data<T>(), *var_out = maybe_mut<T>(t.var_out);
  const double count = static_cast<double>(batch * spatial);
  parallel_for_each(channels, batch * spatial, [&](int64_t c) {
    const double m = sum_runs(batch, channels, spatial, c, [&](int64_t at) {
      T s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < spatial; ++i) s += x[at + i];
      return s;
    }) / count;
    const T mt = static_cast<T>(m);
    const double var = sum_runs(batch, channels, spatial, c, [&](int64_t at) {
      T s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < spatial; ++i) s += (x[at + i] - mt) * (x[at + i] - mt);
      return s;
    }) / count;
    const double rs = 1.0 / std::sqrt(var + t.eps);
    mean[c] = mt;
    rstd[c] = static_cast<T>(rs);
    if (var_out) var_out[c] = static_cast<T>(var);
    // y = (x - mean) rstd w + b as one multiply-add per element.
    const double scale = w ? rs * static_cast<double>(w[c]) : rs;
    const T sc = static_cast<T>(scale), shift = static_cast<T>((b ? static_cast<double>(b[c]) : 0.0) - m * scale);
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t at = (n * channels + c) * spatial;
#pragma omp simd
      for (int64_t i = 0; i < spatial; ++i) y[at + i] = x[at + i] * sc + shift;
    }
  });
}

// With xhat = (x - mean) rstd over the channel's `count` elements:
// grad_x = w rstd (g - mean(g) - xhat mean(g xhat)), grad_weight = sum(g xhat), grad_bias = sum(g).
template <typename T>
void batch_backward(const NormTensors& t) {
  const int64_t batch = t.x.size(0), channels = t.x.size(1), spatial = t.x.size(2);
  const T *x = t.x.data<T>(), *g = t.grad_y.data<T>(), *w = maybe<T>(t.weight);
  const T *mean = t.mean.data<T>(), *rstd = t.rstd.data<T>();
  T *gx = maybe_mut<T>(t.grad_x), *gw = maybe_mut<T>(t.grad_weight), *gb = maybe_mut<T>(t.grad_bias);
  const double count = static_cast<double>(batch * spatial);
  parallel_for_each(channels, batch * spatial, [&](int64_t c) {
    const T m = mean[c];
    double sum_g = 0, sum_gd = 0;  // sum(g), sum(g (x - mean))
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t at = (n * channels + c) * spatial;
      T sg = 0, sgd = 0;
#pragma omp simd reduction(+ : sg, sgd)
      for (int64_t i = 0; i < spatial; ++i) {
        sg += g[at + i];
        sgd += g[at + i] * (x[at + i] - m);
      }
      sum_g += static_cast<double>(sg);
      sum_gd += static_cast<double>(sgd);
    }
    const double rs = static_cast<double>(rstd[c]);
    if (gb) gb[c] = static_cast<T>(sum_g);
    if (gw) gw[c] = static_cast<T>(sum_gd * rs);
    if (!gx) return;
    // grad_x = a g + k (x - mean) + d: a = w rstd, k = -w rstd^3 sum_gd / count, d = -a sum_g / count.
    const double a = (w ? static_cast<double>(w[c]) : 1.0) * rs;
    const T at_g = static_cast<T>(a), k = static_cast<T>(-a * rs * rs * sum_gd / count),
            d = static_cast<T>(-a * sum_g / count);
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t at = (n * channels + c) * spatial;
#pragma omp simd
      for (int64_t i = 0; i < spatial; ++i) gx[at + i] = at_g * g[at + i] + k * (x[at + i] - m) + d;
    }
  });
}

template <typename T>
void norm_typed(NormKind kind, bool backward, const NormTensors& t) {
  if (kind == NormKind::Layer) backward ? layer_backward<T>(t) : layer_forward<T>(t);
  else backward ? batch_backward<T>(t) : batch_forward<T>(t);
}

void norm_impl(NormKind kind, bool backward, const NormTensors& t) {
  if (t.x.numel() == 0) return;
  if (t.x.dtype() == ScalarType::Float64) norm_typed<double>(kind, backward, t);
  else norm_typed<float>(kind, backward, t);
}

}  // namespace

PYDL_REGISTER_KERNEL(norm_kernel, &norm_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
