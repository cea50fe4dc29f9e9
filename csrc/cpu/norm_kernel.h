// The CPU layer-norm / batch-norm kernel (kernels/norm_kernel.cpp), compiled per ISA level like
// the kernels of cpu/kernels.h; see Backend::norm.
#pragma once
#include "backend/norm_ops.h"
#include "core/cpu_isa.h"

namespace pydl::cpu {

using NormKernel = void (*)(NormKind kind, bool backward, const NormTensors& t);
PYDL_DECLARE_KERNEL(NormKernel, norm_kernel);

}  // namespace pydl::cpu
