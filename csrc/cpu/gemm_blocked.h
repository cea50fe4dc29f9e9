// The blocked matrix multiply at the heart of pydl's CPU GEMM, in the BLIS/GotoBLAS shape:
//
//   for jc in N step NC:            B block (KC x NC) packed once, read from L3
//     for pc in K step KC:
//       pack B[pc.., jc..]          into column micro-panels of NR
//       for ic in M step MC:        A block (MC x KC) packed, stays in L2
//         pack A[ic.., pc..]        into row micro-panels of MR
//         for jr in NC step NR:     one B micro-panel (KC x NR) stays in L1
//           for ir in MC step MR:   micro-kernel: an MR x NR tile of C in registers
//
// Packing reads any strides, so transposed and non-contiguous operands cost nothing extra, and
// it converts float16/bfloat16 to float32 on the way in. A row-major A that few B micro-panels
// reuse is read in place instead (packing it would cost more than it saves). B panels are
// zero-padded to whole micro-tiles; the last rows of an M that MR does not divide run a kernel
// of their own height. Tiles of a row-major C are written straight from the registers; a
// partial-width tile (or a strided C) goes through a small buffer. No scalar cliff at sizes
// that are not multiples of MR/NR.
//
// The micro-kernel is written once with GCC vector extensions; this header is compiled per ISA
// level (it is included from csrc/cpu/kernels/), so the same source becomes 6x16 AVX2 FMA code,
// 12x32 AVX-512 code, or 6x8 SSE/NEON code. `acc += a * b` becomes an FMA because gemm_kernel.cpp
// is compiled with -ffp-contract=fast (CMake sets it for that file).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "core/convert.h"

namespace pydl::cpu::PYDL_CPU_ISA {

#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
#elif defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;  // SSE2 (the x86-64 baseline) or NEON
#endif

template <typename T>
struct Simd {
  typedef T type __attribute__((vector_size(kVecBytes)));
  static constexpr int kWidth = kVecBytes / sizeof(T);
};

// One scalar in every lane; a shuffle of lane 0 compiles to a single broadcast-from-memory.
// (`V{} + x` would too, but 0 + x turns -0 into +0.)
#if defined(__clang__)
template <typename V, size_t... I>
inline __attribute__((always_inline)) V broadcast_lane0(V v, std::index_sequence<I...>) {
  return __builtin_shufflevector(v, v, ((void)I, 0)...);
}
template <typename V, typename T>
inline __attribute__((always_inline)) V splat(T x) {
  V v = {x};
  return broadcast_lane0(v, std::make_index_sequence<sizeof(V) / sizeof(T)>{});
}
#else
template <typename V, typename T>
inline __attribute__((always_inline)) V splat(T x) {
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  typedef I Lanes __attribute__((vector_size(sizeof(V))));
  V v = {x};
  return __builtin_shuffle(v, Lanes{});
}
#endif

// A vector of type V read from p, aligned or not (the memcpy compiles to one vector load), and
// the common case: the Simd<T> vector of the W elements at p.
template <typename V>
inline __attribute__((always_inline)) V load_as(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
inline __attribute__((always_inline)) typename Simd<T>::type load_vec(const T* p) {
  return load_as<typename Simd<T>::type>(p);
}

// A strided matrix view: element (i, j) is data[i * rs + j * cs].
template <typename T>
struct Matrix {
  T* data;
  int64_t rs, cs;
  T& operator()(int64_t i, int64_t j) const { return data[i * rs + j * cs]; }
  Matrix block(int64_t i, int64_t j) const { return {data + i * rs + j * cs, rs, cs}; }
  Matrix transposed() const { return {data, cs, rs}; }
};

// Tile and block sizes for compute type T. MR x NR accumulators fill most of the vector
// registers (12 of 16 ymm, 24 of 32 zmm), two B vectors and one A broadcast use the rest.
// KC x NR of B (16 KiB for float AVX2) stays in L1; MC x KC of A (192 KiB) in half of L2;
// KC x NC of B (2 MiB) in L3.
template <typename T>
struct Blocking {
  static constexpr int kWidth = Simd<T>::kWidth;
  static constexpr int MR = kVecBytes == 64 ? 12 : 6;
  static constexpr int NR = 2 * kWidth;
  static constexpr int64_t KC = 256;
  static constexpr int64_t MC = (192 * 1024 / (KC * sizeof(T))) / MR * MR;
  static constexpr int64_t NC = (2048 * 1024 / (KC * sizeof(T))) / NR * NR;
};

// c (MR x NR, row stride ldc, unit column stride) = alpha * A micro-panel (kc x MR) @ B
// micro-panel (kc x NR) + beta * c, the product accumulated in registers. beta == 0 writes c
// without reading it, so NaN or garbage already there does not leak in (BLAS semantics).
// A is packed (AS > 0: k-major, AS values per k; MR < AS computes only the first MR rows, the
// edge panel in M) or read in place (AS == 0: MR row-major rows, lda apart).
template <typename T, int MR, int NR, int AS = MR>
inline __attribute__((always_inline)) void micro_kernel(int64_t kc, const T* __restrict a, int64_t lda,
                                                        const T* __restrict b, T* __restrict c, int64_t ldc,
                                                        T alpha, T beta) {
  using V = typename Simd<T>::type;
  constexpr int W = Simd<T>::kWidth, NV = NR / W;
  V acc[MR][NV];
  const T* arow[MR];
#pragma GCC unroll 32
  for (int r = 0; r < MR; ++r) {
    // C is read only after the k loop; fetching its rows now hides that miss behind the FMAs.
    if (beta != T(0)) __builtin_prefetch(c + r * ldc, 1);
    arow[r] = AS > 0 ? a + r : a + r * lda;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = V{};
  }
  constexpr int64_t a_step = AS > 0 ? AS : 1;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k, b += NR) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = *reinterpret_cast<const V*>(b + v * W);
#pragma GCC unroll 32
    for (int r = 0; r < MR; ++r) {
      const V ar = splat<V>(arow[r][k * a_step]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] += ar * bv[v];
    }
  }
  const V va = splat<V>(alpha), vb = splat<V>(beta);
#pragma GCC unroll 32
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      T* p = c + r * ldc + v * W;
      V out = acc[r][v] * va;
      if (beta != T(0)) {
        V old;
        std::memcpy(&old, p, sizeof old);
        out += old * vb;
      }
      std::memcpy(p, &out, sizeof out);
    }
}

// micro_kernel for the first `rows` (1..MR) rows of an MR-row panel: the full panel, or the last
// one of an M that MR does not divide (64 = 10 x 6 + 4) at the cost of its real rows only.
template <typename T, int MR, int NR, int AS, size_t... R>
inline void micro_kernel_rows(int64_t rows, int64_t kc, const T* a, int64_t lda, const T* b, T* c, int64_t ldc,
                              T alpha, T beta, std::index_sequence<R...>) {
  ((rows == int64_t(R) + 1 ? (micro_kernel<T, int(R) + 1, NR, AS>(kc, a, lda, b, c, ldc, alpha, beta), true)
                           : false) ||
   ...);
}

// Transposes W x W values held as W vectors (v[i][j] -> v[j][i]) by swapping the off-diagonal
// s x s blocks of every 2s x 2s block, s = 1, 2, 4, ...: log2(W) rounds of two-input shuffles.
// The masks are compile-time constants (computed in a loop, GCC builds them at run time and
// falls back to permute + blend), and AVX2's float case is spelled in the unpack / shuffle /
// lane-permute instructions that do each round in one operation.
template <typename I, int W, int s, size_t... j>
constexpr I swap_mask(bool high, std::index_sequence<j...>) {
  return I{(high ? ((j & s) ? int(W + j) : int(j + s)) : ((j & s) ? int(W + j - s) : int(j)))...};
}
template <typename V, int W, int s = 1>
inline __attribute__((always_inline)) void transpose_square(V (&v)[W]) {
#if defined(__AVX2__) && !defined(__AVX512F__)
  if constexpr (W == 8 && std::is_same_v<V, Simd<float>::type>) {
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);      // rows i, i+1 interleaved in pairs
      t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
    }
    for (int i = 0; i < 8; i += 4)
      for (int h = 0; h < 2; ++h) {
        u[i + h] = _mm256_shuffle_ps(t[i + h], t[i + h + 2], 0x44);      // 4 rows, 1 column each
        u[i + h + 2] = _mm256_shuffle_ps(t[i + h], t[i + h + 2], 0xEE);
      }
    const int order[4] = {0, 2, 1, 3};  // u's columns come out as 0, 2, 1, 3 within a lane
    for (int j = 0; j < 4; ++j) {
      v[j] = _mm256_permute2f128_ps(u[order[j]], u[order[j] + 4], 0x20);
      v[j + 4] = _mm256_permute2f128_ps(u[order[j]], u[order[j] + 4], 0x31);
    }
    return;
  }
#endif
  if constexpr (s < W) {
    using I = std::conditional_t<sizeof(v[0][0]) == 4, int32_t, int64_t>;
    typedef I Lanes __attribute__((vector_size(sizeof(V))));
    constexpr Lanes lo = swap_mask<Lanes, W, s>(false, std::make_index_sequence<W>{});
    constexpr Lanes hi = swap_mask<Lanes, W, s>(true, std::make_index_sequence<W>{});
#pragma GCC unroll 16
    for (int i = 0; i < W; ++i) {
      if (i & s) continue;
      const V a = v[i], b = v[i + s];
      v[i] = __builtin_shuffle(a, b, lo);
      v[i + s] = __builtin_shuffle(a, b, hi);
    }
    transpose_square<V, W, 2 * s>(v);
  }
}

// Packs P rows of contiguous elements (a row-major A panel, or the panel of a transposed B such
// as linear's weight.t()) W columns at a time: W x W blocks are loaded as vectors along the rows
// and transposed in registers, instead of gathering one element from each of P rows. Returns the
// columns done: none when W does not divide P (AVX2's 6-row A panels), where the compiler's own
// vectorisation of the element loop measured twice as fast as transposing 8 rows for 6.
template <int P, typename T>
int64_t pack_rows_transposed(const T* const* row, int64_t k, T* __restrict dst) {
  using V = typename Simd<T>::type;
  constexpr int W = Simd<T>::kWidth;
  if constexpr (P % W != 0) {
    return 0;
  } else {
    int64_t kk = 0;
    for (; kk + W <= k; kk += W) {
#pragma GCC unroll 4
      for (int g = 0; g < P; g += W) {
        V v[W];
#pragma GCC unroll 16
        for (int r = 0; r < W; ++r) v[r] = load_vec(row[g + r] + kk);
        transpose_square<V, W>(v);
#pragma GCC unroll 16
        for (int j = 0; j < W; ++j) std::memcpy(dst + (kk + j) * P + g, &v[j], sizeof(V));
      }
    }
    return kk;
  }
}

// Packs rows [0, m) x columns [0, k) of `src` into micro-panels of P rows each: panel p holds
// rows p*P .. p*P+P-1 as dst[(p * k + kk) * P + r], rows past m zero. Used for A (P = MR) and,
// through B's transpose, for B (P = NR). The two unit-stride cases get loops the compiler can
// stream; any other strides take the general loop.
template <int P, typename T, typename S>
void pack_panels(Matrix<const S> src, int64_t m, int64_t k, T* __restrict dst) {
  for (int64_t i0 = 0; i0 < m; i0 += P, dst += P * k) {
    const int64_t rows = std::min<int64_t>(P, m - i0);
    const Matrix<const S> s = src.block(i0, 0);
    if (rows == P && s.rs == 1) {  // a column of the panel is contiguous
      for (int64_t kk = 0; kk < k; ++kk) {
        const S* col = s.data + kk * s.cs;
#pragma GCC unroll 32
        for (int r = 0; r < P; ++r) dst[kk * P + r] = convert<T>(col[r]);
      }
    } else if (rows == P && s.cs == 1) {  // each row of the panel is contiguous: P read streams
      const S* row[P];
      for (int r = 0; r < P; ++r) row[r] = s.data + r * s.rs;
      int64_t kk = 0;
      if constexpr (std::is_same_v<S, T>) kk = pack_rows_transposed<P, T>(row, k, dst);
      for (; kk < k; ++kk)
#pragma GCC unroll 32
        for (int r = 0; r < P; ++r) dst[kk * P + r] = convert<T>(row[r][kk]);
    } else {
      for (int64_t kk = 0; kk < k; ++kk)
        for (int r = 0; r < P; ++r) dst[kk * P + r] = r < rows ? convert<T>(s(r, kk)) : T(0);
    }
  }
}

// c (rows x cols, any strides) = the corner of an MR x NR tile (row-major) computed with
// alpha = 1, beta = 0, scaled and added: the store for edge tiles and strided outputs.
template <typename T, int NR>
void store_tile(const T* __restrict tile, int64_t rows, int64_t cols, Matrix<T> c, T alpha, T beta) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) {
      T& x = c(r, j);
      x = beta == T(0) ? alpha * tile[r * NR + j] : alpha * tile[r * NR + j] + beta * x;
    }
}

// Scratch memory for packing and staging, 64-byte aligned and never zeroed. Up to kKeptBytes a
// call reuses its thread's buffer for `slot` (no allocation on the hot path); a bigger request
// gets memory of its own, freed with the Scratch, so no thread keeps a huge buffer alive.
template <typename T>
class Scratch {
 public:
  static constexpr size_t kKeptBytes = size_t{4} << 20;
  Scratch(int slot, int64_t n) {
    const size_t need = (static_cast<size_t>(n) * sizeof(T) + 63) / 64 * 64;
    if (need > kKeptBytes) {
      owned_.reset(allocate(need));
      data_ = static_cast<T*>(owned_.get());
      return;
    }
    thread_local Buffer kept[3];
    Buffer& b = kept[slot];
    if (b.bytes < need) {
      b.data.reset(allocate(need));
      b.bytes = need;
    }
    data_ = static_cast<T*>(b.data.get());
  }
  T* get() const { return data_; }

 private:
  using Memory = std::unique_ptr<void, decltype(&std::free)>;
  struct Buffer {
    Memory data{nullptr, &std::free};
    size_t bytes = 0;
  };
  static void* allocate(size_t bytes) {
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    return p;
  }
  Memory owned_{nullptr, &std::free};
  T* data_ = nullptr;
};

// gemm_blocked reads a row-major A in place rather than packing it when at most this many B
// micro-panels (NR columns each) reuse each A block, or when A has at most MC / 2 rows. Measured
// on Zen 3 (float, NR = 16, MC = 192): in place is 3-15 % faster up to n = 512 (64 x 64 x 64:
// 75 -> 88 GFLOP/s) and for the 64 rows of a training batch at any n (64 x 784 x 256: 85 -> 90);
// packing is 4-11 % faster for big square products (768 and up), where hundreds of rows of A
// read lda apart start to conflict in the caches.
constexpr int64_t kDirectAPanels = 32;

// C (m x n) = alpha * A (m x k) @ B (k x n) + beta * C on one thread. A and B hold S (the
// storage type), C holds the compute type T. k > 0.
template <typename T, typename S>
void gemm_blocked(int64_t m, int64_t n, int64_t k, T alpha, Matrix<const S> a, Matrix<const S> b, T beta,
                  Matrix<T> c) {
  using Bk = Blocking<T>;
  constexpr int MR = Bk::MR, NR = Bk::NR;
  // K in equal blocks of at most KC (784 = 4 x 196, not 3 x 256 + 16): a thin last block would
  // pay a full pass over C for little work. Same for M and MC, in whole micro-panels.
  const int64_t kc_step = (k + (k + Bk::KC - 1) / Bk::KC - 1) / ((k + Bk::KC - 1) / Bk::KC);
  const int64_t m_blocks = (m + Bk::MC - 1) / Bk::MC;
  const int64_t mc_step = ((m + m_blocks - 1) / m_blocks + MR - 1) / MR * MR;
  // A read in place (AS = 0) instead of packed: packing costs about one pass over each A block
  // (MC x KC), which pays off only when many B micro-panels reuse it. A must be row-major (the
  // micro-kernel broadcasts along its rows) and of the compute type (no conversion on the way).
  bool direct_a = false;
  if constexpr (std::is_same_v<S, T>) direct_a = a.cs == 1 && (n <= kDirectAPanels * NR || 2 * m <= Bk::MC);
  const Scratch<T> a_buf(0, direct_a ? 0 : Bk::MC * Bk::KC);
  const Scratch<T> b_buf(1, Bk::KC * ((std::min(n, Bk::NC) + NR - 1) / NR * NR));
  T* a_pack = a_buf.get();
  T* b_pack = b_buf.get();
  alignas(64) T tile[MR * NR];
  constexpr auto rows_seq = std::make_index_sequence<MR>{};
  auto run = [&](auto as) {
    constexpr int AS = decltype(as)::value;
    for (int64_t jc = 0; jc < n; jc += Bk::NC) {
      const int64_t nc = std::min(Bk::NC, n - jc);
      for (int64_t pc = 0; pc < k; pc += kc_step) {
        const int64_t kc = std::min(kc_step, k - pc);
        const T beta_block = pc == 0 ? beta : T(1);  // later K blocks accumulate onto the first
        pack_panels<NR>(b.block(pc, jc).transposed(), nc, kc, b_pack);
        for (int64_t ic = 0; ic < m; ic += mc_step) {
          const int64_t mc = std::min(mc_step, m - ic);
          if constexpr (AS > 0) pack_panels<MR>(a.block(ic, pc), mc, kc, a_pack);
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const T* bp = b_pack + jr * kc;
            const int64_t cols = std::min<int64_t>(NR, nc - jr);
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const int64_t rows = std::min<int64_t>(MR, mc - ir);
              const Matrix<T> ct = c.block(ic + ir, jc + jr);
              const T* ap;
              if constexpr (AS > 0) ap = a_pack + ir * kc;
              else ap = &a(ic + ir, pc);
              if (cols == NR && ct.cs == 1) {  // straight into C, full tiles and edge rows alike
                micro_kernel_rows<T, MR, NR, AS>(rows, kc, ap, a.rs, bp, ct.data, ct.rs, alpha, beta_block, rows_seq);
              } else {
                micro_kernel_rows<T, MR, NR, AS>(rows, kc, ap, a.rs, bp, tile, NR, T(1), T(0), rows_seq);
                store_tile<T, NR>(tile, rows, cols, ct, alpha, beta_block);
              }
            }
          }
        }
      }
    }
  };
  if constexpr (std::is_same_v<S, T>)
    if (direct_a) return run(std::integral_constant<int, 0>{});
  run(std::integral_constant<int, MR>{});
}

}  // namespace pydl::cpu::PYDL_CPU_ISA
