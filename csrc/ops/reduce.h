// The shared path of the reductions (reduce.cpp, reduce_stats.cpp, arg_reduce.cpp, scan.cpp):
// which dims a `dim=` argument names, the shapes of the result, one backend reduce call, and
// writing into a user's out= tensor.
#pragma once
#include "backend/backend.h"
#include "core/small_vector.h"
#include "ops/ops.h"

namespace pydl {

// mask[d]: dim d is reduced. `dims` nullopt or empty means every dim (PyTorch's dim=None / ()).
// IndexError for a dim out of range, RuntimeError for a repeated one.
using DimMask = SmallVector<bool, 8>;
DimMask reduce_mask(const Tensor& x, const OptionalDims& dims, const char* op);
// x's shape with the reduced dims set to 1 (keepdim) or removed.
Shape reduced_shape(const Shape& sizes, const DimMask& mask, bool keepdim);
// Elements each output reduces.
int64_t reduced_count(const Shape& sizes, const DimMask& mask);

// op over the masked dims of x (already in the compute dtype); the result has dtype `out_dtype`
// (x's, or bool for all/any) and keeps or drops the reduced dims.
Tensor reduce_dims(ReduceOp op, const Tensor& x, const DimMask& mask, bool keepdim, ScalarType out_dtype);

// PyTorch's check that an op needs a floating (or explicit) dtype: "mean(): could not infer ...".
void check_floating_result(const char* op, ScalarType dtype);

}  // namespace pydl
