// The CPU fused-attention kernels (kernels/attention_kernel.cpp), compiled per ISA level like
// the kernels of cpu/kernels.h; see Backend::attention.
#pragma once
#include "backend/attention_ops.h"
#include "core/cpu_isa.h"

namespace pydl::cpu {

using AttentionKernel = void (*)(const AttentionTensors& t, bool backward);
PYDL_DECLARE_KERNEL(AttentionKernel, attention_kernel);

}  // namespace pydl::cpu
