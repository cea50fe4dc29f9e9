// The indexing primitives (see IndexSpec in backend/backend.h), compiled per ISA level:
// gather and scatter through int64 index operands, bounds-checked here so that a bad index
// raises IndexError instead of touching wild memory, and nonzero (count, then fill).
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/convert.h"
#include "core/dispatch.h"
#include "cpu/kernels.h"
#include "cpu/loops.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

[[noreturn]] __attribute__((noinline)) void out_of_bounds(int64_t idx, const IndexSpec& spec, int k) {
  std::string msg = str("index ", idx, " is out of bounds for dimension ", spec.dims[k], " with size ", spec.sizes[k]);
  if (spec.index_error) throw IndexError(msg);
  throw Error(msg);
  __builtin_unreachable();
}

inline int64_t checked(int64_t idx, const IndexSpec& spec, int k) {
  const int64_t size = spec.sizes[k];
  const int64_t wrapped = idx < 0 && spec.wrap ? idx + size : idx;
  if (__builtin_expect(static_cast<uint64_t>(wrapped) >= static_cast<uint64_t>(size), 0)) out_of_bounds(idx, spec, k);
  return wrapped * spec.strides[k];
}

// Byte offset addressed by the index operands, idx[k] pointing at this position's index k.
inline int64_t offset_of(const char* const* idx, const IndexSpec& spec) {
  int64_t off = 0;
  for (int k = 0; k < spec.nindices; ++k) {
    int64_t v;
    std::memcpy(&v, idx[k], sizeof(v));
    off += checked(v, spec, k);
  }
  return off;
}

// --- gather ---------------------------------------------------------------------------------

template <typename T>
void gather_impl(const ElementwiseIter& iter, const IndexSpec& spec) {
  const int nidx = spec.nindices;
  iter.for_each([&](char** p, const int64_t* s, int64_t n) {
    if (nidx == 1 && s[0] == sizeof(T) && s[2] == sizeof(int64_t)) {
      // The common case (x[idx], index_select, take): contiguous output and index.
      T* __restrict__ out = reinterpret_cast<T*>(p[0]);
      const int64_t* __restrict__ idx = reinterpret_cast<const int64_t*>(p[2]);
      const char* src = p[1];
      const int64_t ss = s[1];
      for (int64_t i = 0; i < n; ++i) std::memcpy(out + i, src + i * ss + checked(idx[i], spec, 0), sizeof(T));
      return;
    }
    if (nidx == 2 && s[0] == sizeof(T) && s[2] == sizeof(int64_t) && s[3] == sizeof(int64_t)) {  // x[i, j]
      T* __restrict__ out = reinterpret_cast<T*>(p[0]);
      const int64_t* __restrict__ i0 = reinterpret_cast<const int64_t*>(p[2]);
      const int64_t* __restrict__ i1 = reinterpret_cast<const int64_t*>(p[3]);
      const char* src = p[1];
      const int64_t ss = s[1];
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(out + i, src + i * ss + checked(i0[i], spec, 0) + checked(i1[i], spec, 1), sizeof(T));
      return;
    }
    const char* idx[IndexSpec::kMaxIndices];
    bool same_index = true;  // a row of x[rows] / index_select(x, 0, i): one offset, then a plain copy
    for (int k = 0; k < nidx; ++k) {
      idx[k] = p[2 + k];
      same_index &= s[2 + k] == 0;
    }
    if (same_index) {
      const char* src = p[1] + offset_of(idx, spec);
      if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
        std::memcpy(p[0], src, n * sizeof(T));
      } else {
        for (int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], src + i * s[1], sizeof(T));
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      for (int k = 0; k < nidx; ++k) idx[k] = p[2 + k] + i * s[2 + k];
      std::memcpy(p[0] + i * s[0], p[1] + i * s[1] + offset_of(idx, spec), sizeof(T));
    }
  });
}

void index_gather_impl(const ElementwiseIter& iter, const IndexSpec& spec) {
  PYDL_DISPATCH_BY_ITEMSIZE(itemsize(iter.dtype(0)), [&] { gather_impl<bits_t>(iter, spec); });
}

// --- scatter --------------------------------------------------------------------------------

template <typename T, ScatterReduce R>
inline void combine(char* dst, const char* src) {
  if constexpr (R == ScatterReduce::None) {
    std::memcpy(dst, src, sizeof(T));
  } else {
    using C = compute_t<T>;
    T a, b;
    std::memcpy(&a, dst, sizeof(T));
    std::memcpy(&b, src, sizeof(T));
    const C x = static_cast<C>(a), y = static_cast<C>(b);
    C r;
    if constexpr (std::is_same_v<T, bool>) {  // bool sums are "any", products "all"
      r = (R == ScatterReduce::Sum || R == ScatterReduce::Amax) ? (x || y) : (x && y);
    } else if constexpr (R == ScatterReduce::Sum) {
      r = static_cast<C>(x + y);
    } else if constexpr (R == ScatterReduce::Prod) {
      r = static_cast<C>(x * y);
    } else if constexpr (R == ScatterReduce::Amax) {
      r = (y > x || y != y) ? y : x;  // NaN propagates, as in PyTorch
    } else {
      r = (y < x || y != y) ? y : x;
    }
    T out = static_cast<T>(r);
    std::memcpy(dst, &out, sizeof(T));
  }
}

template <typename T, ScatterReduce R>
void scatter_impl(const ElementwiseIter& iter, const IndexSpec& spec) {
  const int nidx = spec.nindices;
  const int64_t loop = spec.loop_size;
  const int64_t* ls = spec.loop_strides;
  // Positions have distinct destinations when scattering along a dim (loop > 1) or for unique
  // indices; otherwise one thread walks them all so duplicates resolve the same way every run.
  const bool parallel = loop > 1 || spec.unique;
  const int64_t grain = parallel ? grain_for(loop)
                                 : std::numeric_limits<int64_t>::max();
  iter.for_each([&](char** p, const int64_t* s, int64_t n) {
    const char* idx[IndexSpec::kMaxIndices];
    for (int64_t i = 0; i < n; ++i) {
      char* dst = p[0] + i * s[0];
      const char* val = p[1] + i * s[1];
      for (int64_t j = 0; j < loop; ++j) {
        for (int k = 0; k < nidx; ++k) idx[k] = p[2 + k] + i * s[2 + k] + j * ls[2 + k];
        combine<T, R>(dst + j * ls[0] + offset_of(idx, spec), val + j * ls[1]);
      }
    }
  }, grain);
}

void index_scatter_impl(const ElementwiseIter& iter, const IndexSpec& spec, ScatterReduce reduce) {
  if (reduce == ScatterReduce::None) {
    PYDL_DISPATCH_BY_ITEMSIZE(itemsize(iter.dtype(0)), [&] { scatter_impl<bits_t, ScatterReduce::None>(iter, spec); });
    return;
  }
  PYDL_DISPATCH_ALL_TYPES(iter.dtype(0), "scatter", [&] {
    switch (reduce) {
      case ScatterReduce::Sum: return scatter_impl<scalar_t, ScatterReduce::Sum>(iter, spec);
      case ScatterReduce::Prod: return scatter_impl<scalar_t, ScatterReduce::Prod>(iter, spec);
      case ScatterReduce::Amax: return scatter_impl<scalar_t, ScatterReduce::Amax>(iter, spec);
      default: return scatter_impl<scalar_t, ScatterReduce::Amin>(iter, spec);
    }
  });
}

// --- nonzero --------------------------------------------------------------------------------

template <typename T>
inline bool is_nonzero(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return static_cast<compute_t<T>>(v) != compute_t<T>(0);
}

int64_t count_nonzero_impl(const Tensor& t) {
  std::atomic<int64_t> total{0};
  ElementwiseIter iter(t, {}, "count_nonzero");
  PYDL_DISPATCH_ALL_TYPES(t.dtype(), "count_nonzero", [&] {
    iter.for_each([&](char** p, const int64_t* s, int64_t n) {
      int64_t c = 0;
      for (int64_t i = 0; i < n; ++i) c += is_nonzero<scalar_t>(p[0] + i * s[0]);
      total.fetch_add(c, std::memory_order_relaxed);
    });
  });
  return total.load();
}

// t is contiguous here (ops/ makes it so, for the row-major order). Chunks are counted in
// parallel, then each writes its coordinates from its prefix-sum offset.
void nonzero_impl(const Tensor& t, const Tensor& out) {
  const int64_t n = t.numel(), nd = t.dim();
  if (n == 0 || out.numel() == 0) return;
  const int64_t chunk = kGrainSize;
  const int64_t nchunks = (n + chunk - 1) / chunk;
  std::vector<int64_t> counts(nchunks + 1, 0);
  const char* data = static_cast<const char*>(t.data_ptr());
  int64_t* coords = out.data<int64_t>();
  const Shape& sizes = t.sizes();
  PYDL_DISPATCH_ALL_TYPES(t.dtype(), "nonzero", [&] {
    constexpr int64_t item = sizeof(scalar_t);
    parallel_for(0, nchunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        int64_t cnt = 0;
        for (int64_t i = c * chunk, end = std::min(n, (c + 1) * chunk); i < end; ++i)
          cnt += is_nonzero<scalar_t>(data + i * item);
        counts[c + 1] = cnt;
      }
    });
    for (int64_t c = 0; c < nchunks; ++c) counts[c + 1] += counts[c];
    parallel_for(0, nchunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        int64_t row = counts[c];
        if (row == counts[c + 1]) continue;
        int64_t idx[64];
        int64_t rest = c * chunk;
        for (int64_t d = nd - 1; d >= 0; --d) {
          idx[d] = rest % sizes[d];
          rest /= sizes[d];
        }
        for (int64_t i = c * chunk, end = std::min(n, (c + 1) * chunk); i < end; ++i) {
          if (is_nonzero<scalar_t>(data + i * item)) {
            for (int64_t d = 0; d < nd; ++d) coords[row * nd + d] = idx[d];
            ++row;
          }
          for (int64_t d = nd - 1; d >= 0 && ++idx[d] == sizes[d]; --d) idx[d] = 0;
        }
      }
    });
  });
}

}  // namespace

PYDL_REGISTER_KERNEL(index_gather_kernel, &index_gather_impl);
PYDL_REGISTER_KERNEL(index_scatter_kernel, &index_scatter_impl);
PYDL_REGISTER_KERNEL(count_nonzero_kernel, &count_nonzero_impl);
PYDL_REGISTER_KERNEL(nonzero_kernel, &nonzero_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
