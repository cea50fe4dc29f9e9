// The recurrent-cell primitive's vocabulary (Backend::rnn_cell; ops/rnn.cpp): the pointwise part
// of one time step of an RNN, LSTM or GRU over the rows (batch entries) active at that step. The
// matrix products around it (h_{t-1} W_hh^T, the projection) are gemm calls made by the op.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace pydl {

enum class RnnCellKind : uint8_t { Tanh, Relu, Lstm, Gru };

// Row slices [rows, ...] of contiguous buffers, all of one floating dtype; H = hidden size. Which
// are used depends on the kind; torch's gate orders: LSTM (i, f, g, o), GRU (r, z, n).
//
// Forward:
//   Tanh/Relu: gates [rows, H] pre-activations in, h = act(gates) out (h may be gates itself).
//   Lstm: gates [rows, 4H] pre-activations in, activations out (kept for backward);
//         c = f c_prev + i g and h = o tanh(c) out.
//   Gru:  gates [rows, 3H] the input part x W_ih^T + b_ih in, activations (r, z, n) out;
//         hidden_gates [rows, 3H] = h_prev W_hh^T + b_hh in; h = (1 - z) n + z h_prev out.
// Backward (the same saved gates, c_prev, c, hidden_gates and h_prev): grad_h [rows, H] in, the
// gradient w.r.t. h, plus grad_h_extra when defined (the output's gradient at this step);
//   Tanh/Relu, Lstm: grad_gates [rows, GH] out, w.r.t. the pre-activations (Lstm: grad_c
//         [rows, H] in, w.r.t. c, and overwritten with the gradient w.r.t. c_prev);
//   Gru:  grad_gates out (w.r.t. the input part), grad_hidden_gates out (w.r.t. hidden_gates),
//         and grad_h overwritten with the direct part of the gradient w.r.t. h_prev (z grad_h).
struct RnnCellTensors {
  Tensor gates, hidden_gates, c_prev, c, h_prev, h;
  Tensor grad_h, grad_h_extra, grad_c, grad_gates, grad_hidden_gates;
};

}  // namespace pydl
