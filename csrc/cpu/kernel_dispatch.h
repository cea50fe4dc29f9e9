// Dtype dispatch for the elementwise kernels: run a generic functor with the loop of
// cpu/loops.h for the dtype of the iterator's first input. Ops in csrc/ops/ have already
// checked that the dtype is one the op supports, so the families here only bound what gets
// compiled (exp is never instantiated for int8).
#pragma once
#include "core/dispatch.h"
#include "cpu/loops.h"

namespace pydl::cpu {

// Output dtype == input dtype.
template <typename F>
void unary_floating(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_FLOATING_TYPES(it.dtype(1), "unary", [&] { unary_loop<scalar_t, scalar_t>(it, f); });
}
template <typename F>
void unary_all(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_ALL_TYPES(it.dtype(1), "unary", [&] { unary_loop<scalar_t, scalar_t>(it, f); });
}
template <typename F>
void unary_to_bool(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_ALL_TYPES(it.dtype(1), "unary", [&] { unary_loop<bool, scalar_t>(it, f); });
}
template <typename F>
void binary_floating(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_FLOATING_TYPES(it.dtype(1), "binary", [&] { binary_loop<scalar_t, scalar_t>(it, f); });
}
template <typename F>
void binary_all(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_ALL_TYPES(it.dtype(1), "binary", [&] { binary_loop<scalar_t, scalar_t>(it, f); });
}
template <typename F>
void binary_to_bool(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_ALL_TYPES(it.dtype(1), "binary", [&] { binary_loop<bool, scalar_t>(it, f); });
}

template <typename F>
void unary_integral(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_INTEGRAL_TYPES(it.dtype(1), "unary", [&] { unary_loop<scalar_t, scalar_t>(it, f); });
}
template <typename F>
void binary_integral(const ElementwiseIter& it, const F& f) {
  PYDL_DISPATCH_INTEGRAL_TYPES(it.dtype(1), "binary", [&] { binary_loop<scalar_t, scalar_t>(it, f); });
}

// Runs `f_float` for floating dtypes and `f_int` for bool/integer dtypes.
template <typename FF, typename FI>
void unary_split(const ElementwiseIter& it, const FF& f_float, const FI& f_int) {
  if (is_floating(it.dtype(1))) unary_floating(it, f_float);
  else unary_integral(it, f_int);
}
template <typename FF, typename FI>
void binary_split(const ElementwiseIter& it, const FF& f_float, const FI& f_int) {
  if (is_floating(it.dtype(1))) binary_floating(it, f_float);
  else binary_integral(it, f_int);
}

}  // namespace pydl::cpu
