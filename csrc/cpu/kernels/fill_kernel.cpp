// fill_: write one value (converted once to the output dtype) to every element, any strides.
#include <cstring>

#include "core/dispatch.h"
#include "cpu/kernels.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

template <typename T>
void fill_bits(const ElementwiseIter& iter, T value) {
  iter.for_each([value](char** ptrs, const int64_t* strides, int64_t n) {
    if (strides[0] == sizeof(T)) {
      T* __restrict__ out = reinterpret_cast<T*>(ptrs[0]);
      for (int64_t i = 0; i < n; ++i) out[i] = value;
    } else {
      for (int64_t i = 0; i < n; ++i) std::memcpy(ptrs[0] + i * strides[0], &value, sizeof(T));
    }
  });
}

void fill_impl(const ElementwiseIter& iter, const Scalar& value) {
  PYDL_DISPATCH_ALL_TYPES(iter.dtype(0), "fill_", [&] {
    scalar_t v = value.to<scalar_t>();
    PYDL_DISPATCH_BY_ITEMSIZE(sizeof(scalar_t), [&] {
      bits_t bits;
      std::memcpy(&bits, &v, sizeof(bits));
      fill_bits<bits_t>(iter, bits);
    });
  });
}

}  // namespace

PYDL_REGISTER_KERNEL(fill_kernel, &fill_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
