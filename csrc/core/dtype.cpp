#include "core/dtype.h"

#include <atomic>

#include "core/error.h"

namespace pydl {

size_t itemsize(ScalarType t) {
  switch (t) {
    case ScalarType::Bool: case ScalarType::UInt8: case ScalarType::Int8: return 1;
    case ScalarType::Int16: case ScalarType::Float16: case ScalarType::BFloat16: return 2;
    case ScalarType::Int32: case ScalarType::Float32: return 4;
    case ScalarType::Int64: case ScalarType::Float64: return 8;
  }
  return 0;
}

const char* dtype_name(ScalarType t) {
  static const char* names[kNumScalarTypes] = {"bool", "uint8", "int8", "int16", "int32",
                                               "int64", "float16", "bfloat16", "float32", "float64"};
  return names[static_cast<int>(t)];
}

std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << "pydl." << dtype_name(t); }

static int category(ScalarType t) { return t == ScalarType::Bool ? 0 : is_floating(t) ? 2 : 1; }

ScalarType promote_types(ScalarType a, ScalarType b) {
  using S = ScalarType;
  if (a == b) return a;
  if (a == S::Bool) return b;
  if (b == S::Bool) return a;
  if (is_floating(a) || is_floating(b)) {
    if (!is_floating(a)) return b;
    if (!is_floating(b)) return a;
    // float16 and bfloat16 have incomparable ranges/precisions: both fit in float32.
    if ((a == S::Float16 && b == S::BFloat16) || (a == S::BFloat16 && b == S::Float16)) return S::Float32;
    return itemsize(a) >= itemsize(b) ? a : b;
  }
  // Two different integer types. uint8 has no signed type of its size, so with int8 it needs int16.
  if (a == S::UInt8 || b == S::UInt8) {
    S other = a == S::UInt8 ? b : a;
    return other == S::Int8 ? S::Int16 : other;
  }
  return itemsize(a) >= itemsize(b) ? a : b;
}

bool can_cast(ScalarType from, ScalarType to) { return category(from) <= category(to); }

static std::atomic<ScalarType> g_default_dtype{ScalarType::Float32};

ScalarType default_dtype() { return g_default_dtype.load(std::memory_order_relaxed); }

void set_default_dtype(ScalarType t) {
  PYDL_CHECK_TYPE(is_floating(t), "set_default_dtype: only floating-point types are supported as the "
                  "default type, got ", t);
  g_default_dtype.store(t, std::memory_order_relaxed);
}

}  // namespace pydl
