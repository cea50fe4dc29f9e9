// The vector kernels for the commonest pooling layers (csrc/cpu/kernels/pool_blocks_kernel.cpp),
// tried by pool_kernel.cpp before its general two-pass loops: 1-D/2-D windows whose width equals
// their stride (2 or 3), no padding or dilation, float32/float64. Each returns false when the
// layer is not one of those, and the caller runs the general kernel.
#pragma once
#include "backend/window_ops.h"
#include "core/tensor.h"

namespace pydl::cpu::PYDL_CPU_ISA {

bool pool_blocks(PoolKind kind, const Tensor& out, const Tensor& indices, const Tensor& in, const PoolGeometry& g);
bool pool_blocks_backward(PoolKind kind, const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                          const PoolGeometry& g);

}  // namespace pydl::cpu::PYDL_CPU_ISA
