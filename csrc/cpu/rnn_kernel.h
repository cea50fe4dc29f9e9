// The CPU recurrent-cell kernel (kernels/rnn_cell_kernel.cpp), compiled per ISA level like the
// kernels of cpu/kernels.h; see Backend::rnn_cell.
#pragma once
#include "backend/rnn_ops.h"
#include "core/cpu_isa.h"

namespace pydl::cpu {

using RnnCellKernel = void (*)(RnnCellKind kind, bool backward, const RnnCellTensors& t);
PYDL_DECLARE_KERNEL(RnnCellKernel, rnn_cell_kernel);

}  // namespace pydl::cpu
