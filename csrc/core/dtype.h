// The dtypes pydl supports, their sizes and names, and PyTorch's type-promotion lattice.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

#include "core/half.h"

namespace pydl {

// Order matters: it indexes the promotion table in dtype.cpp.
enum class ScalarType : int8_t {
  Bool, UInt8, Int8, Int16, Int32, Int64, Float16, BFloat16, Float32, Float64,
};
constexpr int kNumScalarTypes = 10;

size_t itemsize(ScalarType t);
const char* dtype_name(ScalarType t);  // "float32", as in `pydl.float32`
inline bool is_floating(ScalarType t) {
  return t == ScalarType::Float16 || t == ScalarType::BFloat16 || t == ScalarType::Float32 ||
         t == ScalarType::Float64;
}
inline bool is_integral(ScalarType t, bool include_bool) {
  return (include_bool && t == ScalarType::Bool) ||
         (t >= ScalarType::UInt8 && t <= ScalarType::Int64);
}
inline bool is_signed(ScalarType t) { return t != ScalarType::Bool && t != ScalarType::UInt8; }
std::ostream& operator<<(std::ostream& os, ScalarType t);  // prints "pydl.float32"

// PyTorch's promote_types table: the smallest type both can be converted to without loss of
// category (bool < integer < floating).
ScalarType promote_types(ScalarType a, ScalarType b);
// torch.can_cast: casting is allowed unless it lowers the category.
bool can_cast(ScalarType from, ScalarType to);

// Default floating dtype (float32 unless set_default_dtype was called).
ScalarType default_dtype();
void set_default_dtype(ScalarType t);

template <typename T> struct CppTypeToScalarType;
#define PYDL_SCALAR_TYPE_MAP(_) \
  _(bool, Bool) _(uint8_t, UInt8) _(int8_t, Int8) _(int16_t, Int16) _(int32_t, Int32) \
  _(int64_t, Int64) _(Half, Float16) _(BFloat16, BFloat16) _(float, Float32) _(double, Float64)
#define PYDL_DEFINE_TYPE_MAP(cpp, name) \
  template <> struct CppTypeToScalarType<cpp> { static constexpr ScalarType value = ScalarType::name; };
PYDL_SCALAR_TYPE_MAP(PYDL_DEFINE_TYPE_MAP)
#undef PYDL_DEFINE_TYPE_MAP

}  // namespace pydl
