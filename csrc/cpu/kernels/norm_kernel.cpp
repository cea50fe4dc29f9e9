// Layer norm and training-mode batch norm (see backend/norm_ops.h for the tensors), float32 and
// float64. Layer-norm statistics take two passes over the row, in L1 (the mean, then the
// centred sum of squares: no cancellation); batch norm's take one pass over the channel, of
// values shifted by one of its own (see batch_forward).
//  - Layer: rows (tokens) are independent and run in parallel; a row of features (a few KiB)
//    stays in L1 across its passes. The backward's weight/bias gradients are column sums over
//    all rows: each block of kRowBlock rows adds into its own scratch row, and the blocks are
//    added in a fixed order at the end, so the result does not depend on the thread count.
//  - Batch: channels are independent and run in parallel; a channel's elements are `batch`
//    contiguous runs of `spatial`. Each run is summed in the input's type (vectorised), the run
//    sums in double: a ResNet stage's channel holds ~10^5 elements. The loops index local run
//    pointers: through the parallel lambda's captured pointers GCC left the reductions scalar.
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

template <typename T>
void batch_forward(const NormTensors& t) {
  const int64_t batch = t.x.size(0), channels = t.x.size(1), spatial = t.x.size(2);
  const T *x = t.x.data<T>(), *w = maybe<T>(t.weight), *b = maybe<T>(t.bias);
  T *y = t.y.data<T>(), *mean = t.mean.data<T>(), *rstd = t.rstd.data<T>(), *var_out = maybe_mut<T>(t.var_out);
  const double count = static_cast<double>(batch * spatial);
  parallel_for_each(channels, batch * spatial, [&](int64_t c) {
    // One pass for both sums, of d = x - pivot with the pivot one of the channel's own values:
    // var = mean(d^2) - mean(d)^2 then cancels only as much as the mean stands off that value
    // (a few standard deviations), not as much as it stands off zero.
    const T pivot = x[c * spatial];
    double sum_d = 0, sum_dd = 0;
    for (int64_t n = 0; n < batch; ++n) {
      const T* run = x + (n * channels + c) * spatial;
      T sd = 0, sdd = 0;
#pragma omp simd reduction(+ : sd, sdd)
      for (int64_t i = 0; i < spatial; ++i) {
        const T d = run[i] - pivot;
        sd += d;
        sdd += d * d;
      }
      sum_d += static_cast<double>(sd);
      sum_dd += static_cast<double>(sdd);
    }
    const double mean_d = sum_d / count, m = static_cast<double>(pivot) + mean_d;
    const double var = std::max(0.0, sum_dd / count - mean_d * mean_d);
    const T mt = static_cast<T>(m);
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
      // Local run pointers: indexing the lambda's captured pointers left this loop scalar.
      const T *gr = g + (n * channels + c) * spatial, *xr = x + (n * channels + c) * spatial;
      T sg = 0, sgd = 0;
#pragma omp simd reduction(+ : sg, sgd)
      for (int64_t i = 0; i < spatial; ++i) {
        sg += gr[i];
        sgd += gr[i] * (xr[i] - m);
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
