// Fused scaled dot-product attention on the CPU, forward and backward (FlashAttention-2's
// schedule, Dao 2023), for the tensors of backend/attention_ops.h.
//
// Forward, per (slice, block of kQueryBlock queries), in parallel: walk the keys in blocks of
// kKeyBlock; scores S = scale Q Kᵀ (+ mask) for the block pair come from the blocked GEMM of
// cpu/gemm_blocked.h; each query row keeps its running max m and sum l, rescales its output
// accumulator when the max grows, and adds P V for the block. The output is divided by l at the
// end and lse = m + log l kept for backward. Memory: one score block per thread instead of an
// (L, S) matrix per slice; with is_causal the key blocks past the diagonal are skipped.
//
// Backward, per slice, in parallel over slices: for each key block, for each query block that
// sees it, P = exp(S - lse) is rebuilt from the saved lse, then dV += Pᵀ dO, dP = dO Vᵀ,
// dS = P (dP - rowsum(dO * O)), dQ += scale dS K, dK += scale dSᵀ Q. One slice's dQ, dK and dV
// are written by one thread only, so nothing needs atomics.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "cpu/attention_kernel.h"
#include "cpu/gemm_blocked.h"
#include "cpu/kernels.h"
#include "cpu/vec_math.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace vm = ::pydl::cpu::vmath;
namespace {

constexpr int64_t kQueryBlock = 64;
constexpr int64_t kKeyBlock = 128;

template <typename T>
Matrix<const T> rows_of(const T* base, int64_t row0, int64_t width) {
  return {base + row0 * width, width, 1};
}

template <typename T>
Matrix<T> rows_of(T* base, int64_t row0, int64_t width) {
  return {base + row0 * width, width, 1};
}

// The shape of one problem and where slice b's data lives.
template <typename T>
struct Problem {
  int64_t L, S, D, Dv;
  T scale;
  bool causal;
  const T *q, *k, *v, *mask;
  const std::vector<int64_t>* mask_offsets;

  explicit Problem(const AttentionTensors& t)
      : L(t.q.size(1)), S(t.k.size(1)), D(t.q.size(2)), Dv(t.v.size(2)), scale(static_cast<T>(t.scale)),
        causal(t.causal), q(t.q.data<T>()), k(t.k.data<T>()), v(t.v.data<T>()),
        mask(t.mask.defined() ? t.mask.data<T>() : nullptr), mask_offsets(&t.mask_offsets) {}

  // Keys [0, key_end) can be seen by some query of [q0, q0 + rows).
  int64_t key_end(int64_t q0, int64_t rows) const { return causal ? std::min(S, q0 + rows) : S; }

  // s (rows x cols, row stride ld) = scale Q[q0..] K[k0..]ᵀ + mask, -inf where causality hides.
  void scores(int64_t b, int64_t q0, int64_t rows, int64_t k0, int64_t cols, T* s, int64_t ld) const {
    const T* qb = q + b * L * D;
    const T* kb = k + b * S * D;
    gemm_blocked<T, T>(rows, cols, D, scale, rows_of(qb, q0, D), rows_of(kb, k0, D).transposed(), T(0),
                       Matrix<T>{s, ld, 1});
    if (mask) {
      const T* mb = mask + (*mask_offsets)[b];
      for (int64_t i = 0; i < rows; ++i) {
        const T* mr = mb + (q0 + i) * S + k0;
        T* sr = s + i * ld;
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) sr[j] += mr[j];
      }
    }
    if (causal && k0 + cols - 1 > q0) {  // the block crosses the diagonal
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = std::max<int64_t>(0, q0 + i + 1 - k0); j < cols; ++j)
          s[i * ld + j] = -std::numeric_limits<T>::infinity();
    }
  }
};

template <typename T>
void forward(const AttentionTensors& t) {
  const Problem<T> p(t);
  const int64_t slices = t.q.size(0), q_blocks = (p.L + kQueryBlock - 1) / kQueryBlock;
  T* out = t.out.data<T>();
  T* lse = t.lse.data<T>();
  const T neg_inf = -std::numeric_limits<T>::infinity();
  const int64_t work = p.L * p.S * (p.D + p.Dv);
  parallel_for(0, slices * q_blocks, std::max<int64_t>(1, kGrainSize * 8 / std::max<int64_t>(work, 1)),
               [&](int64_t begin, int64_t end) {
    std::vector<T> s(kQueryBlock * kKeyBlock), m(kQueryBlock), l(kQueryBlock);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / q_blocks, q0 = task % q_blocks * kQueryBlock;
      const int64_t rows = std::min(kQueryBlock, p.L - q0);
      T* o = out + (b * p.L + q0) * p.Dv;
      std::fill(o, o + rows * p.Dv, T(0));
      std::fill(m.begin(), m.end(), neg_inf);
      std::fill(l.begin(), l.end(), T(0));
      const int64_t k_end = p.key_end(q0, rows);
      for (int64_t k0 = 0; k0 < k_end; k0 += kKeyBlock) {
        const int64_t cols = std::min(kKeyBlock, k_end - k0);
        p.scores(b, q0, rows, k0, cols, s.data(), kKeyBlock);
        for (int64_t i = 0; i < rows; ++i) {
          T* sr = s.data() + i * kKeyBlock;
          T block_max = neg_inf;
          for (int64_t j = 0; j < cols; ++j) block_max = std::max(block_max, sr[j]);
          const T m_new = std::max(m[i], block_max);
          if (m_new == neg_inf) {  // nothing visible yet: the row's probabilities are all zero
            std::fill(sr, sr + cols, T(0));
            continue;
          }
          const T correction = vm::exp(m[i] - m_new);  // exp(-inf) = 0 on the first block
          T sum = 0;
#pragma omp simd reduction(+ : sum)
          for (int64_t j = 0; j < cols; ++j) {
            sr[j] = vm::exp(sr[j] - m_new);
            sum += sr[j];
          }
          l[i] = l[i] * correction + sum;
          m[i] = m_new;
          if (correction != T(1)) {
            T* orow = o + i * p.Dv;
#pragma omp simd
            for (int64_t d = 0; d < p.Dv; ++d) orow[d] *= correction;
          }
        }
        gemm_blocked<T, T>(rows, p.Dv, cols, T(1), Matrix<const T>{s.data(), kKeyBlock, 1},
                           rows_of(p.v + b * p.S * p.Dv, k0, p.Dv), T(1), Matrix<T>{o, p.Dv, 1});
      }
      for (int64_t i = 0; i < rows; ++i) {
        const T inv = l[i] > 0 ? T(1) / l[i] : T(0);
        T* orow = o + i * p.Dv;
#pragma omp simd
        for (int64_t d = 0; d < p.Dv; ++d) orow[d] *= inv;
        lse[b * p.L + q0 + i] = l[i] > 0 ? m[i] + std::log(l[i]) : neg_inf;
      }
    }
  });
}

template <typename T>
void backward(const AttentionTensors& t) {
  const Problem<T> p(t);
  const int64_t slices = t.q.size(0);
  const T *out = t.out.data<T>(), *lse = t.lse.data<T>(), *gout = t.grad_out.data<T>();
  T *gq = t.grad_q.data<T>(), *gk = t.grad_k.data<T>(), *gv = t.grad_v.data<T>();
  const T neg_inf = -std::numeric_limits<T>::infinity();
  const int64_t work = p.L * p.S * (p.D + p.Dv);
  parallel_for(0, slices, std::max<int64_t>(1, kGrainSize * 8 / std::max<int64_t>(work, 1)),
               [&](int64_t begin, int64_t end) {
    std::vector<T> s(kQueryBlock * kKeyBlock), dp(kQueryBlock * kKeyBlock), delta(p.L);
    for (int64_t b = begin; b < end; ++b) {
      const T *qb = p.q + b * p.L * p.D, *kb = p.k + b * p.S * p.D, *vb = p.v + b * p.S * p.Dv;
      const T *ob = out + b * p.L * p.Dv, *gob = gout + b * p.L * p.Dv, *lb = lse + b * p.L;
      T *gqb = gq + b * p.L * p.D, *gkb = gk + b * p.S * p.D, *gvb = gv + b * p.S * p.Dv;
      std::fill(gqb, gqb + p.L * p.D, T(0));
      std::fill(gkb, gkb + p.S * p.D, T(0));
      std::fill(gvb, gvb + p.S * p.Dv, T(0));
      for (int64_t i = 0; i < p.L; ++i) {  // rowsum(dO * O): the softmax Jacobian's diagonal term
        T acc = 0;
#pragma omp simd reduction(+ : acc)
        for (int64_t d = 0; d < p.Dv; ++d) acc += gob[i * p.Dv + d] * ob[i * p.Dv + d];
        delta[i] = acc;
      }
      for (int64_t k0 = 0; k0 < p.S; k0 += kKeyBlock) {
        const int64_t cols = std::min(kKeyBlock, p.S - k0);
        const int64_t q_first = p.causal ? k0 / kQueryBlock * kQueryBlock : 0;  // earlier queries see none
        for (int64_t q0 = q_first; q0 < p.L; q0 += kQueryBlock) {
          const int64_t rows = std::min(kQueryBlock, p.L - q0);
          p.scores(b, q0, rows, k0, cols, s.data(), kKeyBlock);
          for (int64_t i = 0; i < rows; ++i) {  // P = exp(S - lse), 0 for a query that sees nothing
            T* sr = s.data() + i * kKeyBlock;
            const T li = lb[q0 + i];
            if (li == neg_inf) {
              std::fill(sr, sr + cols, T(0));
              continue;
            }
#pragma omp simd
            for (int64_t j = 0; j < cols; ++j) sr[j] = vm::exp(sr[j] - li);
          }
          const Matrix<const T> P{s.data(), kKeyBlock, 1};
          gemm_blocked<T, T>(cols, p.Dv, rows, T(1), P.transposed(), rows_of(gob, q0, p.Dv), T(1),
                             rows_of(gvb, k0, p.Dv));
          gemm_blocked<T, T>(rows, cols, p.Dv, T(1), rows_of(gob, q0, p.Dv), rows_of(vb, k0, p.Dv).transposed(),
                             T(0), Matrix<T>{dp.data(), kKeyBlock, 1});
          for (int64_t i = 0; i < rows; ++i) {
            const T* pr = s.data() + i * kKeyBlock;
            T* dr = dp.data() + i * kKeyBlock;
            const T di = delta[q0 + i];
#pragma omp simd
            for (int64_t j = 0; j < cols; ++j) dr[j] = pr[j] * (dr[j] - di);
          }
          const Matrix<const T> dS{dp.data(), kKeyBlock, 1};
          gemm_blocked<T, T>(rows, p.D, cols, p.scale, dS, rows_of(kb, k0, p.D), T(1), rows_of(gqb, q0, p.D));
          gemm_blocked<T, T>(cols, p.D, rows, p.scale, dS.transposed(), rows_of(qb, q0, p.D), T(1),
                             rows_of(gkb, k0, p.D));
        }
      }
    }
  });
}

void attention_impl(const AttentionTensors& t, bool is_backward) {
  if (t.q.dtype() == ScalarType::Float64) return is_backward ? backward<double>(t) : forward<double>(t);
  PYDL_CHECK(t.q.dtype() == ScalarType::Float32, "attention: the CPU kernel takes float32/float64, got ",
             t.q.dtype());
  is_backward ? backward<float>(t) : forward<float>(t);
}

}  // namespace

PYDL_REGISTER_KERNEL(attention_kernel, &attention_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
