// Random fill of a contiguous tensor from Philox blocks (see core/philox.h for the mapping
// that makes CPU and CUDA agree). Parallel over blocks: the result does not depend on threads.
#include <cmath>

#include "core/convert.h"
#include "core/dispatch.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

template <typename T>
void random_loop(T* out, int64_t n, const RandomSpec& spec, uint64_t seed, uint64_t offset) {
  const int per = spec.per_block();
  const int64_t blocks = static_cast<int64_t>(spec.blocks(n));
  const bool exact_int = spec.kind == RandomSpec::Kind::RandInt;
  parallel_for(0, blocks, 2048, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      Philox4 x = philox4x32_10(seed, offset + static_cast<uint64_t>(b));
      int64_t base = b * per;
      int lanes = static_cast<int>(std::min<int64_t>(per, n - base));
      for (int lane = 0; lane < lanes; ++lane) {
        out[base + lane] = exact_int ? convert<T>(random_int(spec, x, lane))
                                     : convert<T>(random_value(spec, x, lane));
      }
    }
  });
}

void random_impl(const Tensor& out, const RandomSpec& spec, uint64_t seed, uint64_t offset) {
  PYDL_DISPATCH_ALL_TYPES(out.dtype(), "random_", [&] {
    random_loop<scalar_t>(out.data<scalar_t>(), out.numel(), spec, seed, offset);
  });
}

}  // namespace

PYDL_REGISTER_KERNEL(random_kernel, &random_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
