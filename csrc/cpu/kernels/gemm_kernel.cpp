// Batched GEMM on the CPU, compiled per ISA level: out[b] = alpha * a[b] @ b[b] + beta * out[b]
// (see Backend::gemm). Each matrix product goes to one of:
//  - the blocked GEMM of cpu/gemm_blocked.h (packing + SIMD micro-kernel) for real matrices;
//  - a matrix-vector kernel when one side of the product is a vector (n == 1, or m == 1 by
//    transposition): it is memory-bound, and packing a vector into 16-wide panels would waste
//    15/16 of the micro-kernel;
//  - a plain loop for integer dtypes, which wrap like the dtype's arithmetic (as in PyTorch).
// float16/bfloat16 compute in float32 (packing widens them) into a float32 scratch block and
// are rounded once at the end, so a long K is accumulated without intermediate rounding.
// Threads: small products run on the calling thread (a parallel region costs microseconds);
// larger ones split the batch, or the bigger of M and N into MR/NR-aligned stripes, between
// threads, each running the serial algorithm on its own stripe with its own packing buffers.
#include <algorithm>
#include <cstring>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/gemm_blocked.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

// m * n * k (summed over the batch) below which a product stays on one thread: ~10 us of work,
// a few times what opening a parallel region costs.
constexpr int64_t kParallelWork = int64_t{1} << 17;

// Dot products of rows [0, m - m % 4) of A (rows contiguous) with x, four rows at a time so that
// each load of x serves four rows, with two vector accumulators per row to hide the FMA latency.
// Calls finish(i, dot) per row and returns the number of rows done.
template <typename T, typename F>
int64_t gemv_rows4(int64_t m, int64_t k, Matrix<const T> a, const T* __restrict x, const F& finish) {
  using V = typename Simd<T>::type;
  constexpr int W = Simd<T>::kWidth, R = 4;
  int64_t i = 0;
  for (; i + R <= m; i += R) {
    V acc[R][2] = {};
    int64_t kk = 0;
    for (; kk + 2 * W <= k; kk += 2 * W) {
      const V x0 = load_vec(x + kk), x1 = load_vec(x + kk + W);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const T* row = a.data + (i + r) * a.rs + kk;
        acc[r][0] += load_vec(row) * x0;
        acc[r][1] += load_vec(row + W) * x1;
      }
    }
    for (int r = 0; r < R; ++r) {
      const V v = acc[r][0] + acc[r][1];
      T dot = T(0);
      for (int l = 0; l < W; ++l) dot += v[l];
      for (int64_t kt = kk; kt < k; ++kt) dot += a(i + r, kt) * x[kt];
      finish(i + r, dot);
    }
  }
  return i;
}

// y[i * incy] = alpha * (A x)[i] + beta * y[i * incy] for i < m, x contiguous (k elements, T).
// Rows of A contiguous: dot products (gemv_rows4 for float/double); otherwise A is walked by
// columns, each adding x[k] times a column into an accumulator (axpy).
template <typename T, typename S>
void gemv(int64_t m, int64_t k, T alpha, Matrix<const S> a, const T* __restrict x, T beta, T* y, int64_t incy) {
  auto finish = [&](int64_t i, T dot) {
    T& out = y[i * incy];
    out = beta == T(0) ? alpha * dot : alpha * dot + beta * out;
  };
  if (a.cs == 1) {
    int64_t i = 0;
    if constexpr (std::is_same_v<S, T>) i = gemv_rows4(m, k, a, x, finish);
    for (; i < m; ++i) {
      T dot = T(0);
      const S* row = a.data + i * a.rs;
#pragma omp simd reduction(+ : dot)
      for (int64_t kk = 0; kk < k; ++kk) dot += convert<T>(row[kk]) * x[kk];
      finish(i, dot);
    }
    return;
  }
  const Scratch<T> acc_buf(1, m);
  T* __restrict acc = acc_buf.get();
  std::fill(acc, acc + m, T(0));
  int64_t kk = 0;
  if (a.rs == 1) {  // four columns per pass over acc: a quarter of the accumulator traffic
    for (; kk + 4 <= k; kk += 4) {
      const S *c0 = a.data + kk * a.cs, *c1 = c0 + a.cs, *c2 = c1 + a.cs, *c3 = c2 + a.cs;
      const T x0 = x[kk], x1 = x[kk + 1], x2 = x[kk + 2], x3 = x[kk + 3];
#pragma omp simd
      for (int64_t i = 0; i < m; ++i)
        acc[i] += convert<T>(c0[i]) * x0 + convert<T>(c1[i]) * x1 + convert<T>(c2[i]) * x2 + convert<T>(c3[i]) * x3;
    }
  }
  for (; kk < k; ++kk) {
    const T xk = x[kk];
    const S* col = a.data + kk * a.cs;
    for (int64_t i = 0; i < m; ++i) acc[i] += convert<T>(col[i * a.rs]) * xk;
  }
  for (int64_t i = 0; i < m; ++i) finish(i, acc[i]);
}

// Products this small (16 x 16 x 16 is 4096 multiply-adds) spend longer packing micro-panels
// than computing, and fill the 12 x 32 tiles a third (at 32 x 32 x 32 the blocked GEMM wins). With at most two vectors of columns, B is
// copied once into rows padded to whole vectors and each group of four rows of C accumulates in
// registers, reading A in place: 8 FMAs per 2 loads and 4 broadcasts.
constexpr int64_t kSmallWork = 16 * 16 * 32, kSmallK = 128;

template <typename T>
bool small_product(int64_t m, int64_t n, int64_t k, T alpha, Matrix<const T> a, Matrix<const T> b, T beta,
                   Matrix<T> c) {
  using V = typename Simd<T>::type;
  constexpr int W = Simd<T>::kWidth, R = 4;
  if (m * n * k > kSmallWork || n > 2 * W || k > kSmallK) return false;
  const int nv = n > W ? 2 : 1;
  alignas(64) T bp[kSmallK * 2 * W];
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t j = 0; j < nv * W; ++j) bp[kk * nv * W + j] = j < n ? b(kk, j) : T(0);
  for (int64_t i0 = 0; i0 < m; i0 += R) {
    const int rows = static_cast<int>(std::min<int64_t>(R, m - i0));
    V acc[R][2] = {};
    for (int64_t kk = 0; kk < k; ++kk) {
      const V b0 = load_vec(bp + kk * nv * W), b1 = nv == 2 ? load_vec(bp + kk * nv * W + W) : V{};
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const V ar = splat<V>(a(i0 + std::min(r, rows - 1), kk));  // rows past m repeat the last
        acc[r][0] += ar * b0;
        if (nv == 2) acc[r][1] += ar * b1;
      }
    }
    alignas(64) T tile[R][2 * W];
    std::memcpy(tile, acc, sizeof tile);
    for (int r = 0; r < rows; ++r)
      for (int64_t j = 0; j < n; ++j) {
        T& out = c(i0 + r, j);
        out = beta == T(0) ? alpha * tile[r][j] : alpha * tile[r][j] + beta * out;
      }
  }
  return true;
}

// C = alpha * A @ B + beta * C for floating types, choosing GEMV or the blocked GEMM. C holds
// the compute type T (the caller stages float16/bfloat16 outputs through float32).
template <typename T, typename S>
void float_product(int64_t m, int64_t n, int64_t k, T alpha, Matrix<const S> a, Matrix<const S> b, T beta,
                   Matrix<T> c) {
  if (k == 0) {  // an empty sum: C = beta * C, and beta == 0 clears it
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c(i, j) = beta == T(0) ? T(0) : beta * c(i, j);
    return;
  }
  if (n == 1 || m == 1) {
    // With n == 1 it is A x; with m == 1, C^T = B^T a^T.
    const bool column = n == 1;
    const Matrix<const S> mat = column ? a : b.transposed();
    const int64_t rows = column ? m : n, x_stride = column ? b.rs : a.cs;
    const S* x_src = column ? b.data : a.data;
    // x as a contiguous vector of T: used in place when it is one, else copied once.
    const bool direct = std::is_same_v<S, T> && x_stride == 1;
    const Scratch<T> x_buf(0, direct ? 0 : k);
    if (!direct)
      for (int64_t kk = 0; kk < k; ++kk) x_buf.get()[kk] = convert<T>(x_src[kk * x_stride]);
    const T* x = direct ? reinterpret_cast<const T*>(x_src) : x_buf.get();
    gemv<T, S>(rows, k, alpha, mat, x, beta, c.data, column ? c.rs : c.cs);
    return;
  }
  if (k == 1) {  // an outer product: nothing to accumulate, so no packing either
    for (int64_t i = 0; i < m; ++i) {
      const T ai = alpha * convert<T>(a(i, 0));
      const S* brow = b.data;
      T* crow = c.data + i * c.rs;
      if (b.cs == 1 && c.cs == 1 && beta == T(0)) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) crow[j] = ai * convert<T>(brow[j]);
      } else {
        for (int64_t j = 0; j < n; ++j) {
          T& out = crow[j * c.cs];
          out = beta == T(0) ? ai * convert<T>(brow[j * b.cs]) : ai * convert<T>(brow[j * b.cs]) + beta * out;
        }
      }
    }
    return;
  }
  if constexpr (std::is_same_v<S, T>)
    if (small_product<T>(m, n, k, alpha, a, b, beta, c)) return;
  // Few columns fill the NR-wide micro-tiles only partly (10 outputs of a 16-wide tile); the
  // transposed problem C^T = B^T A^T puts them along MR instead. Swap when that is >20% less work.
  using Bk = Blocking<T>;
  auto padded = [](int64_t x, int64_t r) { return (x + r - 1) / r * r; };
  if (padded(m, Bk::MR) * padded(n, Bk::NR) * 4 > padded(n, Bk::MR) * padded(m, Bk::NR) * 5) {
    gemm_blocked<T, S>(n, m, k, alpha, b.transposed(), a.transposed(), beta, c.transposed());
    return;
  }
  gemm_blocked<T, S>(m, n, k, alpha, a, b, beta, c);
}

// The same for float16/bfloat16 storage: compute into float32, then round once.
template <typename S>
void reduced_product(int64_t m, int64_t n, int64_t k, float alpha, Matrix<const S> a, Matrix<const S> b,
                     float beta, Matrix<S> c) {
  // C in blocks of at most rows x cols staged through float32, so the stage stays small; a
  // vector result is staged whole (it is no bigger than the output itself).
  const bool vector = m == 1 || n == 1;
  const int64_t rows = vector ? m : 4 * Blocking<float>::MC, cols = vector ? n : Blocking<float>::NC;
  const Scratch<float> buf(2, std::min(m, rows) * std::min(n, cols));
  for (int64_t i0 = 0; i0 < m; i0 += rows)
    for (int64_t j0 = 0; j0 < n; j0 += cols) {
      const int64_t mi = std::min(rows, m - i0), nj = std::min(cols, n - j0);
      float_product<float, S>(mi, nj, k, alpha, a.block(i0, 0), b.block(0, j0), 0.0f,
                              Matrix<float>{buf.get(), nj, 1});
      for (int64_t i = 0; i < mi; ++i)
        for (int64_t j = 0; j < nj; ++j) {
          S& out = c(i0 + i, j0 + j);
          const float v = buf.get()[i * nj + j];
          out = convert<S>(beta == 0.0f ? v : v + beta * static_cast<float>(out));
        }
    }
}

// Integer matmul: exact in 64-bit unsigned arithmetic (so overflow wraps instead of being
// undefined), then truncated to S, which is what S's own wrapping arithmetic would give.
template <typename S>
void integer_product(int64_t m, int64_t n, int64_t k, int64_t alpha, Matrix<const S> a, Matrix<const S> b,
                     int64_t beta, Matrix<S> c) {
  const Scratch<uint64_t> acc_buf(1, n);
  uint64_t* acc = acc_buf.get();
  for (int64_t i = 0; i < m; ++i) {
    std::fill(acc, acc + n, uint64_t{0});
    for (int64_t kk = 0; kk < k; ++kk) {
      const uint64_t aik = static_cast<uint64_t>(static_cast<int64_t>(a(i, kk)));
      for (int64_t j = 0; j < n; ++j) acc[j] += aik * static_cast<uint64_t>(static_cast<int64_t>(b(kk, j)));
    }
    for (int64_t j = 0; j < n; ++j) {
      uint64_t v = static_cast<uint64_t>(alpha) * acc[j];
      if (beta != 0) v += static_cast<uint64_t>(beta) * static_cast<uint64_t>(static_cast<int64_t>(c(i, j)));
      c(i, j) = static_cast<S>(v);
    }
  }
}

// One product of the batch, restricted to rows [i0, i1) x columns [j0, j1) of C.
template <typename S>
void product_block(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k, const Scalar& alpha,
                   Matrix<const S> a, Matrix<const S> b, const Scalar& beta, Matrix<S> c) {
  const int64_t m = i1 - i0, n = j1 - j0;
  a = a.block(i0, 0);
  b = b.block(0, j0);
  c = c.block(i0, j0);
  if constexpr (std::is_floating_point_v<S>) {
    float_product<S, S>(m, n, k, alpha.to<S>(), a, b, beta.to<S>(), c);
  } else if constexpr (IsReducedFloat<S>::value) {
    reduced_product<S>(m, n, k, alpha.to<float>(), a, b, beta.to<float>(), c);
  } else {
    integer_product<S>(m, n, k, alpha.to<int64_t>(), a, b, beta.to<int64_t>(), c);
  }
}

// Element offsets of batch item `item` in the three operands (batch dims = all but the last two).
struct BatchWalk {
  const Tensor* ops[3];
  int64_t nbatch_dims;
  void offsets(int64_t item, int64_t off[3]) const {
    off[0] = off[1] = off[2] = 0;
    for (int64_t d = nbatch_dims - 1; d >= 0; --d) {
      const int64_t size = ops[0]->sizes()[d], idx = item % size;
      item /= size;
      for (int o = 0; o < 3; ++o) off[o] += idx * ops[o]->strides()[d];
    }
  }
};

template <typename S>
void gemm_typed(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta) {
  const int64_t nd = out.dim(), m = out.sizes()[nd - 2], n = out.sizes()[nd - 1], k = a.sizes()[nd - 1];
  const int64_t batch = m == 0 || n == 0 ? 0 : out.numel() / (m * n);
  if (batch == 0) return;
  const BatchWalk walk{{&out, &a, &b}, nd - 2};
  auto matrix = [nd](const Tensor& t, int64_t off) {
    return Matrix<S>{t.data<S>() + off, t.strides()[nd - 2], t.strides()[nd - 1]};
  };
  // Split each product into stripes only when the batch alone cannot keep the threads busy.
  const int64_t work = batch * m * n * std::max<int64_t>(k, 1);
  const int threads = work >= kParallelWork ? get_num_threads() : 1;
  const bool split_rows = m >= n;
  const int64_t unit = split_rows ? Blocking<compute_t<S>>::MR : Blocking<compute_t<S>>::NR;
  const int64_t units = ((split_rows ? m : n) + unit - 1) / unit;
  const int64_t parts = batch >= threads ? 1 : std::min<int64_t>(units, (threads + batch - 1) / batch);
  parallel_for(0, batch * parts, threads > 1 ? 1 : batch * parts, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t item = task / parts, part = task % parts;
      int64_t off[3];
      walk.offsets(item, off);
      const int64_t lo = std::min(units * part / parts * unit, split_rows ? m : n);
      const int64_t hi = std::min(units * (part + 1) / parts * unit, split_rows ? m : n);
      const Matrix<S> c = matrix(out, off[0]);
      const Matrix<S> am = matrix(a, off[1]), bm = matrix(b, off[2]);
      const Matrix<const S> ac{am.data, am.rs, am.cs}, bc{bm.data, bm.rs, bm.cs};
      if (split_rows) product_block<S>(lo, hi, 0, n, k, alpha, ac, bc, beta, c);
      else product_block<S>(0, m, lo, hi, k, alpha, ac, bc, beta, c);
    }
  });
}

void gemm_impl(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta) {
  switch (out.dtype()) {
    case ScalarType::Float32: return gemm_typed<float>(out, a, b, alpha, beta);
    case ScalarType::Float64: return gemm_typed<double>(out, a, b, alpha, beta);
    case ScalarType::Float16: return gemm_typed<Half>(out, a, b, alpha, beta);
    case ScalarType::BFloat16: return gemm_typed<BFloat16>(out, a, b, alpha, beta);
    case ScalarType::UInt8: return gemm_typed<uint8_t>(out, a, b, alpha, beta);
    case ScalarType::Int8: return gemm_typed<int8_t>(out, a, b, alpha, beta);
    case ScalarType::Int16: return gemm_typed<int16_t>(out, a, b, alpha, beta);
    case ScalarType::Int32: return gemm_typed<int32_t>(out, a, b, alpha, beta);
    case ScalarType::Int64: return gemm_typed<int64_t>(out, a, b, alpha, beta);
    case ScalarType::Bool: break;
  }
  PYDL_CHECK_NOT_IMPLEMENTED(false, "\"gemm\" not implemented for '", out.dtype(), "'");
}

}  // namespace

PYDL_REGISTER_KERNEL(gemm_kernel, &gemm_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
