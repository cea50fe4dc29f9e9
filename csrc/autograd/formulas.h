// What backward formulas are written with: C++ arithmetic on Tensor (each one a pydl op, so a
// formula run under create_graph records its own graph) and the shape helpers every formula
// needs. Included by the op files that define formulas, next to their forward code.
#pragma once
#include "autograd/inplace.h"
#include "autograd/node.h"
#include "ops/ops.h"

namespace pydl {

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }
inline Tensor operator-(const Tensor& a) { return unary(UnaryOp::Neg, a); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, wrap_scalar(Scalar(s))); }
inline Tensor operator-(const Tensor& a, double s) { return sub(a, wrap_scalar(Scalar(s))); }
inline Tensor operator-(double s, const Tensor& a) { return sub(wrap_scalar(Scalar(s)), a); }
inline Tensor operator*(const Tensor& a, double s) { return binary(BinaryOp::Mul, a, wrap_scalar(Scalar(s))); }
inline Tensor operator*(double s, const Tensor& a) { return a * s; }

namespace autograd {

// g summed over the dims that broadcasting expanded, back to `shape` (the input's).
Tensor sum_to(const Tensor& g, const Shape& shape);
// The gradient of a reduction over `dims` of an input of `sizes`: g broadcast back to it.
Tensor expand_reduced(const Tensor& g, const Shape& sizes, const OptionalDims& dims, bool keepdim);
// A formula for an op that has none yet: raises PyTorch's error when backward reaches it.
BackwardFn not_implemented(const char* op);

}  // namespace autograd
}  // namespace pydl
