// softmax / log_softmax over one dim of a contiguous tensor, seen as (outer, n, inner): element
// (o, i, k) sits at (o * n + i) * inner + k and the dim runs over i. Numerically stable: each
// slice is shifted by its max before exp, so no exp overflows and the largest term is exactly 1.
//  - inner == 1 (the dim is last): each row is three vectorised passes: max; exp(x - max) into
//    out while summing (softmax) or the sum alone (log_softmax); then scale by 1 / sum, or
//    out = x - max - log(sum). Rows run in parallel.
//  - inner > 1: a tile of columns keeps one max and one sum accumulator per column and walks the
//    n rows, vectorised along the contiguous inner dim; tiles of all outer slices run in parallel.
// float16/bfloat16 compute in float32 and round once: staged through float buffers, their exps
// are recomputed in the last pass rather than stored rounded in out and scaled (rounding twice).
// Special values follow from the arithmetic as in PyTorch: a slice of all -inf gives NaN
// (-inf - -inf), a +inf gives NaN everywhere in its slice, and any NaN spreads to its slice.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "core/convert.h"
#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/kernels.h"
#include "cpu/loops.h"
#include "cpu/vec_math.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace vm = ::pydl::cpu::vmath;
namespace {

// Elements of work per thread below which a parallel region costs more than it saves (exp makes
// an element several times dearer than a copy, hence below kGrainSize).
constexpr int64_t kSoftmaxGrain = 8192;
// float16/bfloat16 rows up to this long are widened into a float buffer once (16 KiB of stack);
// longer ones are widened a block at a time in each of the three passes.
constexpr int64_t kStagedRow = 4096;
// Columns per tile on the inner > 1 path: the accumulators of a tile stay in L1.
constexpr int64_t kTile = 64;
// The width of a row's vector blocks: independent running maxima in its max pass (two AVX-512
// registers of floats), and its last, overlapping block (see row_max).
constexpr int64_t kLanes = 32;

// e^t for the shifted values t = x - max <= 0 (or NaN): vm::exp without its overflow clamp,
// which the vectoriser turns into a chain of compares and blends; one clamp, to -104 where
// e^t has underflowed to 0, remains (NaN passes through it). About a third fewer instructions.
PYDL_VMATH float exp_shifted(float t) {
  const float tc = t < -104.0f ? -104.0f : t;
  const float n = vm::round_nearest(tc * vm::kLog2e);
  float r = vm::fmadd(n, -vm::kLn2Hi, tc);
  r = vm::fmadd(n, -vm::kLn2Lo, r);
  return vm::scale_pow2(1.0f + vm::expm1_reduced(r), n);
}
inline double exp_shifted(double t) { return std::exp(t); }

template <typename C>
constexpr C neg_inf() {
  return -std::numeric_limits<C>::infinity();
}

// float16/bfloat16 are staged through float buffers a block at a time, as cpu/loops.h does, so
// that every exp runs in the vectorised float loops below: widen() gives a block's values in
// the compute type (the input itself for float/double), results go to out_buf() and narrow()
// rounds them into the output once.
// (float16 converts 8 at a time with F16C where the ISA level has it: exact, and the scalar
// conversion would otherwise cost more than the softmax itself.)
template <typename T>
const compute_t<T>* widen(const T* p, int64_t len, compute_t<T>* buf) {
  if constexpr (is_reduced_float_v<T>) {
    int64_t i = 0;
#if defined(__F16C__)
    if constexpr (std::is_same_v<T, Half>)
      for (; i + 8 <= len; i += 8)
        _mm256_storeu_ps(buf + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
#endif
    for (; i < len; ++i) buf[i] = static_cast<float>(p[i]);
    return buf;
  } else {
    return p;
  }
}
template <typename T>
compute_t<T>* out_buf(T* p, compute_t<T>* buf) {
  if constexpr (is_reduced_float_v<T>) return buf;
  else return p;
}
template <typename T>
void narrow(T* p, const compute_t<T>* buf, int64_t len) {
  if constexpr (is_reduced_float_v<T>) {
    int64_t i = 0;
#if defined(__F16C__)
    if constexpr (std::is_same_v<T, Half>)  // round to nearest even, as Half(float) does
      for (; i + 8 <= len; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(buf + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < len; ++i) p[i] = static_cast<T>(buf[i]);
  }
}

// Short rows (a character model's 60 classes) are dominated by the scalar remainder GCC leaves
// after each vectorised loop: a serial chain of compares, or a dozen scalar exps. Rows of at least
// kLanes elements instead finish with one vector block over their last kLanes elements, which
// overlaps the body: harmless for a max, and sums count only the block's new lanes.

// max(m, v[0..len)), in vector lanes of running maxima combined at the end: GCC leaves an
// `omp simd reduction(max)` over std::max as a serial chain of scalar maxss. A NaN is skipped
// here, as by std::max(m, v); it reaches the output through its own exp.
template <typename C>
C row_max(const C* v, int64_t len, C m) {
  if (len < kLanes) {
    for (int64_t i = 0; i < len; ++i) m = v[i] > m ? v[i] : m;
    return m;
  }
  C lanes[kLanes];
  for (int64_t k = 0; k < kLanes; ++k) lanes[k] = m;
  for (int64_t i = 0; i + kLanes <= len; i += kLanes)
#pragma omp simd
    for (int64_t k = 0; k < kLanes; ++k) lanes[k] = v[i + k] > lanes[k] ? v[i + k] : lanes[k];
  const C* last = v + len - kLanes;  // overlaps the blocks above
#pragma omp simd
  for (int64_t k = 0; k < kLanes; ++k) lanes[k] = last[k] > lanes[k] ? last[k] : lanes[k];
  for (int64_t w = kLanes / 2; w >= 1; w /= 2)  // a tree, not a serial chain of 32 compares
#pragma omp simd
    for (int64_t k = 0; k < w; ++k) lanes[k] = lanes[k + w] > lanes[k] ? lanes[k + w] : lanes[k];
  return lanes[0] > m ? lanes[0] : m;
}

// sum(exp(v - m)) over v[0..len), each exp also stored in e when non-null.
template <typename C>
C exp_sum(const C* v, C* e, int64_t len, C m) {
  const int64_t body = len < kLanes ? len : len - len % kLanes;
  C sum = 0;
  if (e) {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < body; ++i) {
      e[i] = exp_shifted(v[i] - m);
      sum += e[i];
    }
  } else {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < body; ++i) sum += exp_shifted(v[i] - m);
  }
  if (body == len) return sum;
  // Lanes >= fresh are past the body. Only those are stored: e may be v itself (a staged
  // float16 row runs in place), so the overlapped lanes may already hold exps.
  const int64_t start = len - kLanes, fresh = body - start;
#pragma omp simd reduction(+ : sum)
  for (int64_t k = 0; k < kLanes; ++k) {
    const C x = exp_shifted(v[start + k] - m);
    if (e && k >= fresh) e[start + k] = x;
    sum += k >= fresh ? x : C(0);
  }
  return sum;
}

// d[i] = g exp(v[i] - l) over [0, len): the gradient of a cross entropy before its target term.
template <typename C>
void scaled_exp(C* d, const C* v, int64_t len, C g, C l) {
  const int64_t body = len < kLanes ? len : len - len % kLanes;
#pragma omp simd
  for (int64_t i = 0; i < body; ++i) d[i] = g * exp_shifted(v[i] - l);
  if (body == len) return;
  const int64_t start = len - kLanes;
#pragma omp simd
  for (int64_t k = 0; k < kLanes; ++k) d[start + k] = g * exp_shifted(v[start + k] - l);
}

// One contiguous row of n elements (n >= 1), in blocks (the whole row unless staged).
template <typename T>
void softmax_row(const T* x, T* y, int64_t n, bool log) {
  using C = compute_t<T>;
  constexpr bool staged = is_reduced_float_v<T>;
  if constexpr (staged) {
    if (n <= kStagedRow) {  // widen the whole row once, run the float passes on it in place
      float row[kStagedRow];
      widen(x, n, row);
      softmax_row<float>(row, row, n, log);
      narrow(y, row, n);
      return;
    }
  }
  const int64_t block = staged ? kBlock : n;
  C buf[staged ? kBlock : 1], obuf[staged ? kBlock : 1];
  C m = neg_inf<C>();
  for (int64_t b = 0; b < n; b += block) {
    const int64_t len = std::min(block, n - b);
    const C* v = widen(x + b, len, buf);
    m = row_max(v, len, m);
  }
  C sum = 0;
  for (int64_t b = 0; b < n; b += block) {
    const int64_t len = std::min(block, n - b);
    const C* v = widen(x + b, len, buf);
    if constexpr (!staged) {
      sum += exp_sum(v, log ? static_cast<C*>(nullptr) : y + b, len, m);  // softmax keeps the exps in out
      continue;
    }
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < len; ++i) sum += exp_shifted(v[i] - m);
  }
  const C scale = log ? std::log(sum) : C(1) / sum;
  for (int64_t b = 0; b < n; b += block) {
    const int64_t len = std::min(block, n - b);
    const C* v = widen(x + b, len, buf);
    C* o = out_buf(y + b, obuf);
    if (log) {
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) o[i] = v[i] - m - scale;
    } else if (staged) {
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) o[i] = exp_shifted(v[i] - m) * scale;
    } else {
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) o[i] *= scale;
    }
    narrow(y + b, o, len);
  }
}

// Columns [0, w) of n rows `inner` elements apart (w <= kTile, n >= 1).
template <typename T>
void softmax_tile(const T* x, T* y, int64_t n, int64_t inner, int64_t w, bool log) {
  using C = compute_t<T>;
  constexpr bool staged = is_reduced_float_v<T>;
  C m[kTile], s[kTile], buf[staged ? kTile : 1], obuf[staged ? kTile : 1];
  for (int64_t k = 0; k < w; ++k) m[k] = neg_inf<C>(), s[k] = 0;
  for (int64_t i = 0; i < n; ++i) {
    const C* v = widen(x + i * inner, w, buf);
#pragma omp simd
    for (int64_t k = 0; k < w; ++k) m[k] = std::max(m[k], v[k]);
  }
  for (int64_t i = 0; i < n; ++i) {
    const C* v = widen(x + i * inner, w, buf);
    if constexpr (!staged) {
      if (!log) {  // keep the exps in out for the last pass to scale
        C* e = y + i * inner;
#pragma omp simd
        for (int64_t k = 0; k < w; ++k) {
          e[k] = exp_shifted(v[k] - m[k]);
          s[k] += e[k];
        }
        continue;
      }
    }
#pragma omp simd
    for (int64_t k = 0; k < w; ++k) s[k] += exp_shifted(v[k] - m[k]);
  }
  // s becomes log(sum) (log_softmax) or 1 / sum (softmax).
  for (int64_t k = 0; k < w; ++k) s[k] = log ? std::log(s[k]) : C(1) / s[k];
  for (int64_t i = 0; i < n; ++i) {
    const C* v = widen(x + i * inner, w, buf);
    C* o = out_buf(y + i * inner, obuf);
    if (log) {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) o[k] = v[k] - m[k] - s[k];
    } else if (staged) {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) o[k] = exp_shifted(v[k] - m[k]) * s[k];
    } else {
#pragma omp simd
      for (int64_t k = 0; k < w; ++k) o[k] *= s[k];
    }
    narrow(y + i * inner, o, w);
  }
}

template <typename T>
void softmax_typed(const T* in, T* out, int64_t outer, int64_t n, int64_t inner, bool log) {
  if (inner == 1) {
    parallel_for(0, outer, std::max<int64_t>(1, kSoftmaxGrain / n), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) softmax_row(in + o * n, out + o * n, n, log);
    });
    return;
  }
  const int64_t tiles = (inner + kTile - 1) / kTile;
  parallel_for(0, outer * tiles, std::max<int64_t>(1, kSoftmaxGrain / (n * std::min(inner, kTile))),
               [&](int64_t b, int64_t e) {
                 for (int64_t t = b; t < e; ++t) {
                   const int64_t o = t / tiles, k0 = (t % tiles) * kTile;
                   const int64_t offset = o * n * inner + k0;
                   softmax_tile(in + offset, out + offset, n, inner, std::min(kTile, inner - k0), log);
                 }
               });
}

void softmax_impl(const Tensor& out, const Tensor& in, int64_t dim, bool log) {
  const Shape& sizes = in.sizes();
  if (in.numel() == 0) return;
  int64_t outer = 1, inner = 1;
  const int64_t n = in.dim() == 0 ? 1 : sizes[dim];
  for (int64_t d = 0; d < dim && d < in.dim(); ++d) outer *= sizes[d];
  for (int64_t d = dim + 1; d < in.dim(); ++d) inner *= sizes[d];
  PYDL_DISPATCH_FLOATING_TYPES(in.dtype(), log ? "log_softmax" : "softmax", [&] {
    softmax_typed(in.data<scalar_t>(), out.data<scalar_t>(), outer, n, inner, log);
  });
}

// The backward along the last dim, rows in parallel: one pass for the row's sum, one for the
// gradient (the row stays in L1 between them).
template <typename T>
void softmax_backward_typed(T* gi, const T* go, const T* y, int64_t rows, int64_t n, bool log) {
  parallel_for(0, rows, std::max<int64_t>(1, kSoftmaxGrain / n), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T *g = go + r * n, *o = y + r * n;
      T* d = gi + r * n;
      T sum = 0;
      if (log) {
#pragma omp simd reduction(+ : sum)
        for (int64_t i = 0; i < n; ++i) sum += g[i];
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) d[i] = g[i] - exp_shifted(o[i]) * sum;  // log-probabilities are <= 0
      } else {
#pragma omp simd reduction(+ : sum)
        for (int64_t i = 0; i < n; ++i) sum += g[i] * o[i];
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) d[i] = o[i] * (g[i] - sum);
      }
    }
  });
}

void softmax_backward_impl(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, bool log) {
  if (out.numel() == 0) return;
  const int64_t n = out.dim() == 0 ? 1 : out.size(-1), rows = out.numel() / n;
  if (out.dtype() == ScalarType::Float64)
    softmax_backward_typed(grad_in.data<double>(), grad_out.data<double>(), out.data<double>(), rows, n, log);
  else
    softmax_backward_typed(grad_in.data<float>(), grad_out.data<float>(), out.data<float>(), rows, n, log);
}

// Cross entropy per row (backend/loss_ops.h). Forward: the targets are checked first (a bad one
// leaves the outputs unwritten), then each row's max and sum of exps as in softmax_row give its
// log-sum-exp, and loss = lse - x[target]. Backward, one pass per row: g exp(x - lse), then -g at
// the target.
template <typename T>
CrossEntropyScan cross_entropy_typed(const CrossEntropyTensors& t, bool backward) {
  const int64_t rows = t.logits.size(0), n = t.logits.size(1), ignore = t.ignore_index;
  const T* x = t.logits.data<T>();
  const int64_t* target = t.target.data<int64_t>();
  const int64_t grain = std::max<int64_t>(1, kSoftmaxGrain / n);
  CrossEntropyScan scan;
  if (backward) {
    const T *lse = t.lse.data<T>(), *grad_loss = t.grad_loss.data<T>();
    T* gx = t.grad_logits.data<T>();
    parallel_for(0, rows, grain, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T* v = x + r * n;
        T* d = gx + r * n;
        const int64_t c = target[r];
        const T g = c == ignore ? T(0) : grad_loss[r], l = lse[r];
        scaled_exp(d, v, n, g, l);
        if (c != ignore) d[c] -= g;
      }
    });
    return scan;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = target[r];
    if (c == ignore) continue;
    if (c < 0 || c >= n) {
      scan.has_bad_target = true;
      scan.bad_target = c;
      return scan;
    }
    ++scan.kept;
  }
  T *loss = t.loss.data<T>(), *lse = t.lse.data<T>();
  // Rows go kRows at a time so that their logs are one vectorised loop: a libm logf per short
  // row costs as much as the row's exps.
  constexpr int64_t kRows = 64;
  parallel_for(0, rows, grain, [&](int64_t b, int64_t e) {
    T maxes[kRows], sums[kRows];
    for (int64_t r0 = b; r0 < e; r0 += kRows) {
      const int64_t count = std::min(kRows, e - r0);
      for (int64_t k = 0; k < count; ++k) {
        const T* v = x + (r0 + k) * n;
        maxes[k] = row_max(v, n, neg_inf<T>());
        sums[k] = exp_sum(v, static_cast<T*>(nullptr), n, maxes[k]);
      }
#pragma omp simd
      for (int64_t k = 0; k < count; ++k) lse[r0 + k] = maxes[k] + vm::log(sums[k]);
      for (int64_t r = r0; r < r0 + count; ++r) loss[r] = target[r] == ignore ? T(0) : lse[r] - x[r * n + target[r]];
    }
  });
  return scan;
}

CrossEntropyScan cross_entropy_impl(const CrossEntropyTensors& t, bool backward) {
  if (t.logits.numel() == 0) return {};
  return t.logits.dtype() == ScalarType::Float64 ? cross_entropy_typed<double>(t, backward)
                                                 : cross_entropy_typed<float>(t, backward);
}

}  // namespace

PYDL_REGISTER_KERNEL(softmax_kernel, &softmax_impl);
PYDL_REGISTER_KERNEL(cross_entropy_kernel, &cross_entropy_impl);
PYDL_REGISTER_KERNEL(softmax_backward_kernel, &softmax_backward_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
