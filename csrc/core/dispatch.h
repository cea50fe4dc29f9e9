// Dtype dispatch: run a lambda with `scalar_t` bound to the C++ type of a runtime dtype.
//   PYDL_DISPATCH_ALL_TYPES(t.dtype(), "fill", [&] { fill_loop<scalar_t>(...); });
// Unsupported dtypes raise a RuntimeError naming the op.
#pragma once
#include "core/dtype.h"
#include "core/error.h"

#define PYDL_DISPATCH_CASE(enum_name, cpp_type, ...) \
  case ::pydl::ScalarType::enum_name: {              \
    using scalar_t = cpp_type;                       \
    return __VA_ARGS__();                            \
  }

#define PYDL_DISPATCH_ALL_TYPES(dtype, op_name, ...)                                            \
  [&] {                                                                                         \
    switch (dtype) {                                                                            \
      PYDL_DISPATCH_CASE(Bool, bool, __VA_ARGS__)                                               \
      PYDL_DISPATCH_CASE(UInt8, uint8_t, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Int8, int8_t, __VA_ARGS__)                                             \
      PYDL_DISPATCH_CASE(Int16, int16_t, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Int32, int32_t, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Float16, ::pydl::Half, __VA_ARGS__)                                    \
      PYDL_DISPATCH_CASE(BFloat16, ::pydl::BFloat16, __VA_ARGS__)                               \
      PYDL_DISPATCH_CASE(Float32, float, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Float64, double, __VA_ARGS__)                                          \
    }                                                                                           \
    PYDL_CHECK_NOT_IMPLEMENTED(false, "\"", op_name, "\" not implemented for dtype ", static_cast<int>(dtype)); \
  }()

#define PYDL_DISPATCH_FLOATING_TYPES(dtype, op_name, ...)                                       \
  [&] {                                                                                         \
    switch (dtype) {                                                                            \
      PYDL_DISPATCH_CASE(Float16, ::pydl::Half, __VA_ARGS__)                                    \
      PYDL_DISPATCH_CASE(BFloat16, ::pydl::BFloat16, __VA_ARGS__)                               \
      PYDL_DISPATCH_CASE(Float32, float, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Float64, double, __VA_ARGS__)                                          \
      default: break;                                                                           \
    }                                                                                           \
    PYDL_CHECK_NOT_IMPLEMENTED(false, "\"", op_name, "\" not implemented for '", dtype, "'");      \
  }()

// bool and the integer types.
#define PYDL_DISPATCH_INTEGRAL_TYPES(dtype, op_name, ...)                                       \
  [&] {                                                                                         \
    switch (dtype) {                                                                            \
      PYDL_DISPATCH_CASE(Bool, bool, __VA_ARGS__)                                               \
      PYDL_DISPATCH_CASE(UInt8, uint8_t, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Int8, int8_t, __VA_ARGS__)                                             \
      PYDL_DISPATCH_CASE(Int16, int16_t, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Int32, int32_t, __VA_ARGS__)                                           \
      PYDL_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)                                           \
      default: break;                                                                           \
    }                                                                                           \
    PYDL_CHECK_NOT_IMPLEMENTED(false, "\"", op_name, "\" not implemented for '", dtype, "'");      \
  }()

// Raw bit copies only care about the element size.
#define PYDL_DISPATCH_BY_ITEMSIZE(size, ...)                      \
  [&] {                                                           \
    switch (size) {                                               \
      case 1: { using bits_t = uint8_t; return __VA_ARGS__(); }   \
      case 2: { using bits_t = uint16_t; return __VA_ARGS__(); }  \
      case 4: { using bits_t = uint32_t; return __VA_ARGS__(); }  \
      default: { using bits_t = uint64_t; return __VA_ARGS__(); } \
    }                                                             \
  }()
