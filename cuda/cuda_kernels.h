// The CUDA kernels behind CudaBackend's elementwise entry points, one file each (cuda/*.cu).
#pragma once
#include "backend/elementwise_ops.h"
#include "core/elementwise_iter.h"

namespace pydl::cuda {

// Backend::binary on CUDA (binary_kernel.cu): the arithmetic, min/max, bitwise, logical and
// comparison ops; the rest raise NotImplementedError naming the op.
void binary_kernel(BinaryOp op, const ElementwiseIter& iter, const OpParams& params);

}  // namespace pydl::cuda
