// The CPU triangle primitive (Backend::triangle): one pass over the rows of the last two dims,
// copying the kept run of each row and zeroing the rest. Memory-bound memcpy/memset work, so it
// is compiled once rather than per ISA level like the arithmetic kernels in kernels/.
#include <algorithm>
#include <cstring>

#include "core/dispatch.h"
#include "core/parallel.h"
#include "cpu/kernels.h"

namespace pydl::cpu {
namespace {

// Elements [lo, hi) of a row come from src (unless in place), the others become zero bits
// (0, 0.0, false in every dtype).
template <typename Bits>
void triangle_row(char* o, int64_t os, const char* s, int64_t is, int64_t lo, int64_t hi, int64_t cols, bool copy) {
  constexpr int64_t item = sizeof(Bits);
  if (os == item && is == item) {
    if (copy && hi > lo) std::memcpy(o + lo * item, s + lo * item, (hi - lo) * item);
    std::memset(o, 0, lo * item);
    std::memset(o + hi * item, 0, (cols - hi) * item);
    return;
  }
  const Bits zero{};
  for (int64_t j = 0; j < lo; ++j) std::memcpy(o + j * os, &zero, item);
  if (copy)
    for (int64_t j = lo; j < hi; ++j) std::memcpy(o + j * os, s + j * is, item);
  for (int64_t j = hi; j < cols; ++j) std::memcpy(o + j * os, &zero, item);
}

}  // namespace

void triangle_kernel(const Tensor& out, const Tensor& in, int64_t k, bool upper) {
  const int64_t nd = out.dim(), rows = out.sizes()[nd - 2], cols = out.sizes()[nd - 1];
  if (out.numel() == 0) return;
  const int64_t item = static_cast<int64_t>(out.itemsize());
  const bool copy = !(out.data_ptr() == in.data_ptr() && out.strides() == in.strides());
  const int64_t osr = out.strides()[nd - 2] * item, osc = out.strides()[nd - 1] * item;
  const int64_t isr = in.strides()[nd - 2] * item, isc = in.strides()[nd - 1] * item;
  char* obase = static_cast<char*>(out.data_ptr());
  const char* ibase = static_cast<const char*>(in.data_ptr());
  const int64_t total_rows = out.numel() / cols;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / cols);
  PYDL_DISPATCH_BY_ITEMSIZE(out.itemsize(), [&] {
    parallel_for(0, total_rows, grain, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t i = r % rows;
        int64_t ooff = i * osr, ioff = i * isr;
        for (int64_t b = r / rows, d = nd - 3; d >= 0; --d) {  // batch index -> byte offsets
          const int64_t idx = b % out.sizes()[d];
          b /= out.sizes()[d];
          ooff += idx * out.strides()[d] * item;
          ioff += idx * in.strides()[d] * item;
        }
        // Kept: j - i <= k (lower) or j - i >= k (upper); k is clamped so i + k cannot overflow.
        const int64_t lo = upper ? std::clamp<int64_t>(i + k, 0, cols) : 0;
        const int64_t hi = upper ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
        triangle_row<bits_t>(obase + ooff, osc, ibase + ioff, isc, lo, hi, cols, copy);
      }
    });
  });
}

}  // namespace pydl::cpu
