// Sorting kernels over contiguous rows (the sort dim last): sort, top-k selection, median and
// mode, run-length grouping and row lexsort (unique), searchsorted. Every dtype is mapped to an
// unsigned key whose unsigned order is PyTorch's order (NaN above +inf, -0 == +0), so one
// stable LSD radix sort and one comparison serve all dtypes, and values are gathered from the
// input by index afterwards (keeping -0 and NaN payloads as they were).
#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

template <typename U>
inline U float_key(U bits, U abs_mask, U inf_bits) {
  const U sign = static_cast<U>(~abs_mask);
  const U abs = bits & abs_mask;
  if (abs > inf_bits) return static_cast<U>(~U(0));  // every NaN ties, above everything
  if (abs == 0) return sign;                          // -0 ties with +0
  return (bits & sign) ? static_cast<U>(~bits) : static_cast<U>(bits | sign);
}

template <typename T, typename = void>
struct Key;
template <>
struct Key<bool> {
  using U = uint8_t;
  static U get(bool v) { return v ? 1 : 0; }
};
template <typename T>
struct Key<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  using U = std::make_unsigned_t<T>;
  static U get(T v) {
    if constexpr (std::is_signed_v<T>) return static_cast<U>(static_cast<U>(v) ^ (U(1) << (sizeof(U) * 8 - 1)));
    else return v;
  }
};
template <>
struct Key<float> {
  using U = uint32_t;
  static U get(float v) { U b; std::memcpy(&b, &v, 4); return float_key<U>(b, 0x7fffffffu, 0x7f800000u); }
};
template <>
struct Key<double> {
  using U = uint64_t;
  static U get(double v) {
    U b;
    std::memcpy(&b, &v, 8);
    return float_key<U>(b, 0x7fffffffffffffffull, 0x7ff0000000000000ull);
  }
};
template <>
struct Key<Half> {
  using U = uint16_t;
  static U get(Half v) { return float_key<U>(v.x, 0x7fff, 0x7c00); }
};
template <>
struct Key<BFloat16> {
  using U = uint16_t;
  static U get(BFloat16 v) { return float_key<U>(v.x, 0x7fff, 0x7f80); }
};

template <typename U, typename I>
struct Item {
  U key;
  I idx;
};

// Orders by key, then by input position: a total order, so selection is deterministic and
// agrees with a stable sort.
struct ItemLess {
  template <typename It>
  bool operator()(const It& a, const It& b) const { return a.key < b.key || (a.key == b.key && a.idx < b.idx); }
};

// Stable LSD radix sort by key, one byte per pass; passes where every key has the same byte
// are skipped (small integer ranges sort in one or two passes). Returns the buffer holding
// the result (a or tmp).
template <typename U, typename I>
Item<U, I>* radix_sort(Item<U, I>* a, Item<U, I>* tmp, int64_t n) {
  constexpr int kPasses = sizeof(U);
  int64_t hist[kPasses][256] = {};
  for (int64_t i = 0; i < n; ++i) {
    const U k = a[i].key;
    for (int p = 0; p < kPasses; ++p) ++hist[p][(k >> (8 * p)) & 0xff];
  }
  for (int p = 0; p < kPasses; ++p) {
    int64_t* h = hist[p];
    if (h[(a[0].key >> (8 * p)) & 0xff] == n) continue;
    int64_t sum = 0;
    for (int b = 0; b < 256; ++b) {
      const int64_t c = h[b];
      h[b] = sum;
      sum += c;
    }
    for (int64_t i = 0; i < n; ++i) tmp[h[(a[i].key >> (8 * p)) & 0xff]++] = a[i];
    std::swap(a, tmp);
  }
  return a;
}

template <typename U, typename I>
Item<U, I>* sort_items(Item<U, I>* a, Item<U, I>* tmp, int64_t n) {
  if (n > 64) return radix_sort(a, tmp, n);
  for (int64_t i = 1; i < n; ++i) {  // insertion sort: stable, fastest for short rows
    Item<U, I> x = a[i];
    int64_t j = i;
    for (; j > 0 && x.key < a[j - 1].key; --j) a[j] = a[j - 1];
    a[j] = x;
  }
  return a;
}

// Runs body(row, items, tmp) for each of `rows` rows of length n with keys already filled in
// `items` (descending order flips the keys); scratch is allocated once per chunk.
template <typename T, typename I, typename Body>
void for_each_keyed_row(const T* in, int64_t rows, int64_t n, bool flip, const Body& body) {
  using U = typename Key<T>::U;
  parallel_for(0, rows, grain_for(n), [&](int64_t r0, int64_t r1) {
    std::unique_ptr<Item<U, I>[]> buf(new Item<U, I>[2 * n]);
    for (int64_t r = r0; r < r1; ++r) {
      const T* x = in + r * n;
      Item<U, I>* items = buf.get();
      for (int64_t i = 0; i < n; ++i) {
        const U k = Key<T>::get(x[i]);
        items[i] = {flip ? static_cast<U>(~k) : k, static_cast<I>(i)};
      }
      body(r, x, items, items + n);
    }
  });
}

// Row length: the last dim (a 0-d tensor is one row of one element).
inline int64_t row_len(const Tensor& t) { return t.dim() == 0 ? 1 : t.sizes()[t.dim() - 1]; }

template <typename T, typename I>
void sort_rows(const Tensor& values, const Tensor& indices, const Tensor& input, bool descending) {
  const int64_t n = row_len(input), rows = input.numel() / n;
  T* v = values.data<T>();
  int64_t* ix = indices.data<int64_t>();
  for_each_keyed_row<T, I>(input.data<T>(), rows, n, descending, [&](int64_t r, const T* x, auto* items, auto* tmp) {
    auto* s = sort_items(items, tmp, n);
    for (int64_t i = 0; i < n; ++i) {
      v[r * n + i] = x[s[i].idx];
      ix[r * n + i] = static_cast<int64_t>(s[i].idx);
    }
  });
}

void sort_impl(const Tensor& values, const Tensor& indices, const Tensor& input, bool descending) {
  PYDL_DISPATCH_ALL_TYPES(input.dtype(), "sort", [&] {
    if (row_len(input) <= INT32_MAX) sort_rows<scalar_t, uint32_t>(values, indices, input, descending);
    else sort_rows<scalar_t, uint64_t>(values, indices, input, descending);
  });
}

// Small k: one pass keeping the k best in a max-heap, so most elements cost one key and one
// comparison against the worst kept (no n-item buffer); the result comes out sorted.
template <typename T, typename I>
void topk_rows_heap(const T* in, T* v, int64_t* ix, int64_t rows, int64_t n, int64_t k, bool largest) {
  using U = typename Key<T>::U;
  parallel_for(0, rows, grain_for(n), [&](int64_t r0, int64_t r1) {
    std::unique_ptr<Item<U, I>[]> heap(new Item<U, I>[k]);
    for (int64_t r = r0; r < r1; ++r) {
      const T* x = in + r * n;
      Item<U, I>* h = heap.get();
      for (int64_t i = 0; i < k; ++i) {
        const U key = Key<T>::get(x[i]);
        h[i] = {largest ? static_cast<U>(~key) : key, static_cast<I>(i)};
      }
      std::make_heap(h, h + k, ItemLess());
      for (int64_t i = k; i < n; ++i) {
        const U raw = Key<T>::get(x[i]);
        const U key = largest ? static_cast<U>(~raw) : raw;
        if (key < h[0].key) {  // equal keys lose: the kept one has the smaller index
          std::pop_heap(h, h + k, ItemLess());
          h[k - 1] = {key, static_cast<I>(i)};
          std::push_heap(h, h + k, ItemLess());
        }
      }
      std::sort_heap(h, h + k, ItemLess());
      for (int64_t i = 0; i < k; ++i) {
        v[r * k + i] = x[h[i].idx];
        ix[r * k + i] = static_cast<int64_t>(h[i].idx);
      }
    }
  });
}

template <typename T, typename I>
void topk_rows(const Tensor& values, const Tensor& indices, const Tensor& input, int64_t k, bool largest,
               bool sorted) {
  const int64_t n = row_len(input), rows = input.numel() / n;
  T* v = values.data<T>();
  int64_t* ix = indices.data<int64_t>();
  if (k * 8 <= n) return topk_rows_heap<T, I>(input.data<T>(), v, ix, rows, n, k, largest);
  for_each_keyed_row<T, I>(input.data<T>(), rows, n, largest, [&](int64_t r, const T* x, auto* items, auto*) {
    // The k-th lands at k - 1 with the k - 1 before it in front: all kthvalue needs.
    std::nth_element(items, items + k - 1, items + n, ItemLess());
    if (sorted) std::sort(items, items + k - 1, ItemLess());
    for (int64_t i = 0; i < k; ++i) {
      v[r * k + i] = x[items[i].idx];
      ix[r * k + i] = static_cast<int64_t>(items[i].idx);
    }
  });
}

void topk_impl(const Tensor& values, const Tensor& indices, const Tensor& input, int64_t k, bool largest,
               bool sorted) {
  if (k == 0) return;
  PYDL_DISPATCH_ALL_TYPES(input.dtype(), "topk", [&] {
    if (row_len(input) <= INT32_MAX) topk_rows<scalar_t, uint32_t>(values, indices, input, k, largest, sorted);
    else topk_rows<scalar_t, uint64_t>(values, indices, input, k, largest, sorted);
  });
}

// Half and bfloat16 compare as float.
template <typename T>
using cmp_t = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, T>;

template <typename T>
inline bool same_value(T a, T b) {
  return static_cast<cmp_t<T>>(a) == static_cast<cmp_t<T>>(b);
}

// Median: a selection at the sorted position (the NaNs, all keyed highest, are counted first);
// mode: a full sort and a scan of its runs of equal keys.
template <typename T, typename I>
void row_stat_rows(RowStat kind, const Tensor& values, const Tensor& indices, const Tensor& input) {
  using U = typename Key<T>::U;
  const int64_t n = row_len(input), rows = input.numel() / n;
  T* v = values.data<T>();
  int64_t* ix = indices.data<int64_t>();
  for_each_keyed_row<T, I>(input.data<T>(), rows, n, false, [&](int64_t r, const T* x, auto* items, auto* tmp) {
    Item<U, I> pick;
    if (kind == RowStat::Mode) {
      const auto* s = sort_items(items, tmp, n);
      int64_t best = 0, best_len = 0;
      for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && s[j].key == s[i].key) ++j;
        if (j - i > best_len) best_len = j - i, best = j - 1;  // strict: ties keep the smaller value
        i = j;
      }
      pick = s[best];
    } else {
      int64_t finite = n;
      if constexpr (!std::is_integral_v<T>) {
        for (int64_t i = 0; i < n; ++i) finite -= items[i].key == static_cast<U>(~U(0));
      }
      int64_t pos;
      if (kind == RowStat::Median) pos = finite < n ? finite : (n - 1) / 2;
      else pos = finite == 0 ? 0 : (finite - 1) / 2;
      std::nth_element(items, items + pos, items + n, ItemLess());
      pick = items[pos];
    }
    v[r] = x[pick.idx];
    ix[r] = static_cast<int64_t>(pick.idx);
  });
}

void row_stat_impl(RowStat kind, const Tensor& values, const Tensor& indices, const Tensor& input) {
  PYDL_DISPATCH_ALL_TYPES(input.dtype(), "median", [&] {
    if (row_len(input) <= INT32_MAX) row_stat_rows<scalar_t, uint32_t>(kind, values, indices, input);
    else row_stat_rows<scalar_t, uint64_t>(kind, values, indices, input);
  });
}

template <typename T>
int64_t group_runs(const Tensor& values, const Tensor& inverse, const Tensor& counts, const Tensor& input,
                   const Tensor& perm) {
  const int64_t n = input.sizes()[0], m = input.dim() == 2 ? input.sizes()[1] : 1;
  const T* x = input.data<T>();
  T* v = values.data<T>();
  int64_t* inv = inverse.defined() ? inverse.data<int64_t>() : nullptr;
  int64_t* cnt = counts.defined() ? counts.data<int64_t>() : nullptr;
  const int64_t* p = perm.defined() ? perm.data<int64_t>() : nullptr;
  auto equal = [m](const T* a, const T* b) {
    for (int64_t j = 0; j < m; ++j)
      if (!same_value(a[j], b[j])) return false;  // NaN != NaN: each NaN is its own group
    return true;
  };
  int64_t g = -1, start = 0;
  const T* prev = nullptr;
  for (int64_t i = 0; i < n; ++i) {
    // Reads through perm are random: fetch a few elements ahead so that misses overlap.
    if (p && i + 16 < n) __builtin_prefetch(x + p[i + 16] * m);
    const T* cur = x + (p ? p[i] : i) * m;
    if (i == 0 || !equal(cur, prev)) {
      if (cnt && g >= 0) cnt[g] = i - start;
      std::copy(cur, cur + m, v + (++g) * m);
      start = i;
    }
    if (inv) inv[p ? p[i] : i] = g;
    prev = cur;
  }
  if (cnt && g >= 0) cnt[g] = n - start;
  return g + 1;
}

int64_t unique_consecutive_impl(const Tensor& values, const Tensor& inverse, const Tensor& counts,
                                const Tensor& input, const Tensor& perm) {
  return PYDL_DISPATCH_ALL_TYPES(input.dtype(), "unique",
                                 [&] { return group_runs<scalar_t>(values, inverse, counts, input, perm); });
}

template <typename T>
void lexsort_rows_t(const Tensor& perm, const Tensor& input) {
  using U = typename Key<T>::U;
  const int64_t n = input.sizes()[0], m = input.sizes()[1];
  const T* x = input.data<T>();
  std::unique_ptr<U[]> keys(new U[n * m]);
  for (int64_t i = 0; i < n * m; ++i) keys[i] = Key<T>::get(x[i]);
  int64_t* p = perm.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  std::stable_sort(p, p + n, [&](int64_t a, int64_t b) {
    const U* ka = keys.get() + a * m;
    const U* kb = keys.get() + b * m;
    for (int64_t j = 0; j < m; ++j)
      if (ka[j] != kb[j]) return ka[j] < kb[j];
    return false;
  });
}

void lexsort_rows_impl(const Tensor& perm, const Tensor& input) {
  PYDL_DISPATCH_ALL_TYPES(input.dtype(), "unique", [&] { lexsort_rows_t<scalar_t>(perm, input); });
}

// PyTorch's comparisons: a NaN value goes after everything, NaN boundaries compare as smaller.
template <typename T, typename O>
void search_rows(const Tensor& out, const Tensor& seq, const Tensor& vals, const Tensor& sorter, bool right) {
  const int64_t m = row_len(seq);
  const bool shared = seq.dim() <= 1;
  const int64_t k = shared ? vals.numel() : row_len(vals), rows = shared ? 1 : vals.numel() / std::max<int64_t>(k, 1);
  const T* s = seq.data<T>();
  const T* x = vals.data<T>();
  const int64_t* perm = sorter.defined() ? sorter.data<int64_t>() : nullptr;
  O* o = out.data<O>();
  const int64_t total = rows * k;
  parallel_for(0, total, std::max<int64_t>(1, kGrainSize / 16), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t row = shared ? 0 : i / k;
      const T* srow = s + row * m;
      const int64_t* prow = perm ? perm + row * m : nullptr;
      const cmp_t<T> val = static_cast<cmp_t<T>>(x[i]);
      int64_t lo = 0, hi = m;
      while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        int64_t at = mid;
      if (prow) {
        at = prow[mid];
        if (at < 0 || at >= m) throw Error("torch.searchsorted(): sorter index out of range");
      }
      const cmp_t<T> sv = static_cast<cmp_t<T>>(srow[at]);
        const bool go_right = right ? !(sv > val) : !(sv >= val);
        if (go_right) lo = mid + 1;
        else hi = mid;
      }
      o[i] = static_cast<O>(lo);
    }
  });
}

void searchsorted_impl(const Tensor& out, const Tensor& seq, const Tensor& vals, const Tensor& sorter, bool right) {
  PYDL_DISPATCH_ALL_TYPES(seq.dtype(), "searchsorted", [&] {
    if (out.dtype() == ScalarType::Int32) search_rows<scalar_t, int32_t>(out, seq, vals, sorter, right);
    else search_rows<scalar_t, int64_t>(out, seq, vals, sorter, right);
  });
}

}  // namespace

PYDL_REGISTER_KERNEL(sort_kernel, &sort_impl);
PYDL_REGISTER_KERNEL(topk_kernel, &topk_impl);
PYDL_REGISTER_KERNEL(row_stat_kernel, &row_stat_impl);
PYDL_REGISTER_KERNEL(unique_consecutive_kernel, &unique_consecutive_impl);
PYDL_REGISTER_KERNEL(searchsorted_kernel, &searchsorted_impl);
PYDL_REGISTER_KERNEL(lexsort_rows_kernel, &lexsort_rows_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
