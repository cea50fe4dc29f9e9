// The CPU optimizer-step kernel (kernels/optim_kernel.cpp), compiled per ISA level like the
// kernels of cpu/kernels.h; see Backend::optimizer_step.
#pragma once
#include "backend/optimizer_ops.h"
#include "core/cpu_isa.h"

namespace pydl::cpu {

using OptimizerStepKernel = void (*)(OptimizerKind kind, const OptimizerHyper& h, const OptimizerTensors& t);
PYDL_DECLARE_KERNEL(OptimizerStepKernel, optimizer_step_kernel);

}  // namespace pydl::cpu
