// One layer and direction of an RNN, LSTM or GRU over a whole sequence, forward and backward
// (nn.RNN/LSTM/GRU call it once per layer and direction: pydl/nn/modules/rnn.py).
//
// The input projection x W_ih^T + b_ih of every time step is one GEMM made by the caller (a
// plain linear, so its gradients come from autograd); this op runs the recurrence: per step one
// GEMM h_{t-1} W_hh^T over the active batch rows, then the fused pointwise cell
// (Backend::rnn_cell), and for an LSTM with proj_size the projection h W_hr^T. Backward walks
// the steps in reverse with the transposed GEMMs, and gets the weight gradients as one GEMM each
// over all steps at the end (dgates^T h_prev), instead of a small GEMM per step.
//
// Rows: step t covers rows [offset_t, offset_t + batch_t) of the [rows, features] buffers. A
// padded input has batch_t = B for every step; a packed one (nn.utils.rnn.PackedSequence) has
// batch sizes that never grow, so the state of the sequences still running is the first batch_t
// rows of the state buffer, and a finished sequence's final state stays where it was left.
// Backward is exact in the same way: in reverse order a row rejoins with its final-state grad.
//
// The backward formula runs the kernels directly rather than recording pydl ops, so it has no
// derivative of its own: create_graph=True through it raises instead of returning a gradient
// that silently lacks its second-order terms.
#include <numeric>

#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"

namespace pydl {
namespace {

const Scalar kOne(int64_t{1}), kZero(int64_t{0});

struct Steps {
  std::vector<int64_t> batch, offset;
  int64_t size() const { return static_cast<int64_t>(batch.size()); }
};

Tensor rows(const Tensor& t, int64_t start, int64_t n) { return narrow(t, 0, start, n); }

Tensor new_buffer(int64_t n, int64_t width, const Tensor& like) {
  return empty(Shape{n, width}, like.dtype(), like.device());
}

Tensor copy_of(const Tensor& t) {
  Tensor c = empty(t.sizes(), t.dtype(), t.device());
  copy_(c, t);
  return c;
}

// out = a @ b (+ out when accumulating).
void gemm(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) {
  backend(out.device().type).gemm(out, a, b, kOne, accumulate ? kOne : kZero);
}

int gate_count(RnnCellKind kind) { return kind == RnnCellKind::Lstm ? 4 : kind == RnnCellKind::Gru ? 3 : 1; }

const char* kind_name(RnnCellKind kind) {
  switch (kind) {
    case RnnCellKind::Tanh: return "rnn_tanh";
    case RnnCellKind::Relu: return "rnn_relu";
    case RnnCellKind::Lstm: return "lstm";
    case RnnCellKind::Gru: return "gru";
  }
  return "rnn";
}

const char* node_name(RnnCellKind kind) {
  switch (kind) {
    case RnnCellKind::Tanh: return "RnnTanhBackward0";
    case RnnCellKind::Relu: return "RnnReluBackward0";
    case RnnCellKind::Lstm: return "LstmBackward0";
    case RnnCellKind::Gru: return "GruBackward0";
  }
  return "RnnBackward0";
}

// The checks: the module validated the user's shapes with torch's messages already; these keep
// a direct call of the private binding from reading out of bounds.
Steps check_and_plan(RnnCellKind kind, const Tensor& gates_x, const Tensor& h0, const Tensor& c0, const Tensor& w_hh,
                     const Tensor& b_hh, const Tensor& w_hr, const std::vector<int64_t>& batch_sizes) {
  const char* op = kind_name(kind);
  for (const Tensor* t : {&h0, &c0, &w_hh, &b_hh, &w_hr}) {
    if (!t->defined()) continue;
    PYDL_CHECK(t->dtype() == gates_x.dtype(), op, ": expected all tensors to have dtype ", gates_x.dtype(), ", got ",
               t->dtype());
    PYDL_CHECK(t->device() == gates_x.device(), "Expected all tensors to be on the same device, but found at least "
               "two devices, ", gates_x.device(), " and ", t->device(), "!");
  }
  PYDL_CHECK_NOT_IMPLEMENTED(gates_x.dtype() == ScalarType::Float32 || gates_x.dtype() == ScalarType::Float64, "\"",
                             op, "\" not implemented for '", gates_x.dtype(), "'");
  PYDL_CHECK(w_hh.dim() == 2 && w_hh.size(0) % gate_count(kind) == 0, op, ": expected weight_hh of shape "
             "[gates * hidden_size, hidden], got ", w_hh.sizes());
  const int64_t H = w_hh.size(0) / gate_count(kind);
  PYDL_CHECK(!w_hr.defined() || (kind == RnnCellKind::Lstm && w_hr.dim() == 2 && w_hr.size(1) == H), op,
             ": weight_hr must be [proj_size, ", H, "] (LSTM only), got ", w_hr.defined() ? w_hr.sizes() : Shape{});
  const int64_t out_size = w_hr.defined() ? w_hr.size(0) : H;
  PYDL_CHECK(w_hh.size(1) == out_size, op, ": weight_hh must be [", w_hh.size(0), ", ", out_size, "], got ",
             w_hh.sizes());
  PYDL_CHECK(!b_hh.defined() || (kind == RnnCellKind::Gru && b_hh.dim() == 1 && b_hh.size(0) == w_hh.size(0)), op,
             ": bias_hh must be [", w_hh.size(0), "] (GRU only)");
  Steps s;
  if (batch_sizes.empty()) {
    PYDL_CHECK(gates_x.dim() == 3 && gates_x.size(2) == w_hh.size(0), op, ": expected input gates of shape "
               "[seq_len, batch, ", w_hh.size(0), "], got ", gates_x.sizes());
    s.batch.assign(gates_x.size(0), gates_x.size(1));
  } else {
    PYDL_CHECK(gates_x.dim() == 2 && gates_x.size(1) == w_hh.size(0), op, ": expected packed input gates of shape "
               "[rows, ", w_hh.size(0), "], got ", gates_x.sizes());
    s.batch = batch_sizes;
    for (size_t t = 0; t < s.batch.size(); ++t)
      PYDL_CHECK_VALUE(s.batch[t] > 0 && (t == 0 || s.batch[t] <= s.batch[t - 1]), op, ": batch_sizes must be "
                       "positive and non-increasing");
    PYDL_CHECK(std::accumulate(s.batch.begin(), s.batch.end(), int64_t{0}) == gates_x.size(0), op,
               ": batch_sizes sum to ", std::accumulate(s.batch.begin(), s.batch.end(), int64_t{0}), " but the input has ",
               gates_x.size(0), " rows");
  }
  s.offset.resize(s.batch.size());
  for (size_t t = 0, r = 0; t < s.batch.size(); r += s.batch[t], ++t) s.offset[t] = static_cast<int64_t>(r);
  const int64_t B = s.batch.empty() ? (gates_x.dim() == 3 ? gates_x.size(1) : 0) : s.batch[0];
  PYDL_CHECK(h0.defined() && h0.dim() == 2 && h0.size(0) == B && h0.size(1) == out_size, op, ": expected hx of shape [",
             B, ", ", out_size, "], got ", h0.defined() ? h0.sizes() : Shape{});
  PYDL_CHECK((kind == RnnCellKind::Lstm) == c0.defined(), op, ": a cell state is required for LSTM only");
  PYDL_CHECK(!c0.defined() || (c0.dim() == 2 && c0.size(0) == B && c0.size(1) == H), op, ": expected cx of shape [",
             B, ", ", H, "], got ", c0.defined() ? c0.sizes() : Shape{});
  return s;
}

// The forward buffers (what backward reads), [rows, width] each; undefined where the kind has none.
struct Saved {
  Tensor gates;      // activated gates (Tanh/Relu: the outputs h)
  Tensor h_prev;     // the state each step started from
  Tensor c_prev, c;  // LSTM cell states
  Tensor hidden;     // GRU: h_prev W_hh^T + b_hh
  Tensor h_raw;      // LSTM with projection: o tanh(c) before W_hr
};

std::vector<Tensor> backward_raw(RnnCellKind kind, bool reverse, const Steps& s, const Saved& v, const Tensor& w_hh,
                                 const Tensor& w_hr, const Tensor& grad_out, const Tensor& grad_hn,
                                 const Tensor& grad_cn, bool has_b_hh) {
  Backend& be = backend(w_hh.device().type);
  const int64_t N = v.h_prev.size(0), H = w_hh.size(0) / gate_count(kind);
  const bool gru = kind == RnnCellKind::Gru, lstm = kind == RnnCellKind::Lstm, proj = w_hr.defined();
  Tensor g_out = contiguous(reshape(grad_out, Shape{N, -1}));
  Tensor dh_state = copy_of(grad_hn), dc_state = lstm ? copy_of(grad_cn) : Tensor();
  Tensor dgates = new_buffer(N, w_hh.size(0), w_hh);
  Tensor dhidden = gru ? new_buffer(N, w_hh.size(0), w_hh) : dgates;  // w.r.t. h_prev W_hh^T (+ b_hh)
  Tensor dh_out = proj ? new_buffer(N, w_hr.size(0), w_hh) : Tensor();  // w.r.t. each step's output
  Tensor dh_raw = proj ? new_buffer(dh_state.size(0), H, w_hh) : Tensor();
  for (int64_t i = 0; i < s.size(); ++i) {
    const int64_t t = reverse ? i : s.size() - 1 - i, r0 = s.offset[t], b = s.batch[t];
    RnnCellTensors c;
    c.gates = rows(v.gates, r0, b);
    c.h_prev = rows(v.h_prev, r0, b);
    c.grad_gates = rows(dgates, r0, b);
    Tensor dh = rows(dh_state, 0, b), go = rows(g_out, r0, b);
    if (proj) {  // through h_out = h_raw W_hr^T first
      Tensor d = rows(dh_out, r0, b);
      binary(BinaryOp::Add, dh, go, {}, OutArg::to(d));
      c.grad_h = rows(dh_raw, 0, b);
      gemm(c.grad_h, d, w_hr, false);
    } else {
      c.grad_h = dh;
      c.grad_h_extra = go;
    }
    if (lstm) {
      c.c_prev = rows(v.c_prev, r0, b);
      c.c = rows(v.c, r0, b);
      c.grad_c = rows(dc_state, 0, b);
    } else if (kind != RnnCellKind::Gru) {
      c.h = c.gates;
    }
    if (gru) {
      c.hidden_gates = rows(v.hidden, r0, b);
      c.grad_hidden_gates = rows(dhidden, r0, b);
    }
    be.rnn_cell(kind, true, c);
    // The GRU cell left z * dh in dh_state (h_prev's direct path); the others leave nothing there.
    gemm(dh, rows(dhidden, r0, b), w_hh, gru);
  }
  Tensor gw_hh = empty(w_hh.sizes(), w_hh.dtype(), w_hh.device());
  gemm(gw_hh, transpose(dhidden, 0, 1), v.h_prev, false);
  Tensor gb_hh = has_b_hh ? sum(dhidden, OptionalDims(Shape{0})) : Tensor();
  Tensor gw_hr;
  if (proj) {
    gw_hr = empty(w_hr.sizes(), w_hr.dtype(), w_hr.device());
    gemm(gw_hr, transpose(dh_out, 0, 1), v.h_raw, false);
  }
  return {dgates, dh_state, dc_state, gw_hh, gb_hh, gw_hr};
}

}  // namespace

std::vector<Tensor> rnn_layer(RnnCellKind kind, const Tensor& gates_x, const Tensor& h0, const Tensor& c0,
                              const Tensor& w_hh, const Tensor& b_hh, const Tensor& w_hr,
                              const std::vector<int64_t>& batch_sizes, bool reverse) {
  const Steps s = check_and_plan(kind, gates_x, h0, c0, w_hh, b_hh, w_hr, batch_sizes);
  const bool packed = !batch_sizes.empty(), lstm = kind == RnnCellKind::Lstm, gru = kind == RnnCellKind::Gru;
  const bool proj = w_hr.defined();
  const int64_t GH = w_hh.size(0), H = GH / gate_count(kind), out_size = w_hh.size(1);
  const int64_t N = packed ? gates_x.size(0) : gates_x.size(0) * gates_x.size(1);
  Tensor out = packed ? new_buffer(N, out_size, w_hh)
                      : empty(Shape{gates_x.size(0), gates_x.size(1), out_size}, w_hh.dtype(), w_hh.device());
  Saved v;
  Tensor h_state, c_state;
  {
    autograd::AutoGradMode no_grad(false);
    Backend& be = backend(w_hh.device().type);
    const Tensor out2 = reshape(out, Shape{N, out_size});
    v.gates = copy_of(reshape(gates_x, Shape{N, GH}));
    v.h_prev = new_buffer(N, out_size, w_hh);
    h_state = copy_of(h0);
    if (lstm) {
      v.c_prev = new_buffer(N, H, w_hh);
      v.c = new_buffer(N, H, w_hh);
      c_state = copy_of(c0);
    }
    if (gru) v.hidden = new_buffer(N, GH, w_hh);
    if (proj) v.h_raw = new_buffer(N, H, w_hh);
    const Tensor w_hh_t = transpose(w_hh, 0, 1), w_hr_t = proj ? transpose(w_hr, 0, 1) : Tensor();
    for (int64_t i = 0; i < s.size(); ++i) {
      const int64_t t = reverse ? s.size() - 1 - i : i, r0 = s.offset[t], b = s.batch[t];
      RnnCellTensors c;
      c.gates = rows(v.gates, r0, b);
      c.h_prev = rows(v.h_prev, r0, b);
      copy_(c.h_prev, rows(h_state, 0, b));
      Tensor out_rows = rows(out2, r0, b);
      if (gru) {
        c.hidden_gates = rows(v.hidden, r0, b);
        if (b_hh.defined()) copy_(c.hidden_gates, b_hh);
        gemm(c.hidden_gates, c.h_prev, w_hh_t, b_hh.defined());
      } else {
        gemm(c.gates, c.h_prev, w_hh_t, true);
      }
      if (lstm) {
        c.c_prev = rows(v.c_prev, r0, b);
        copy_(c.c_prev, rows(c_state, 0, b));
        c.c = rows(v.c, r0, b);
      }
      c.h = proj ? rows(v.h_raw, r0, b) : out_rows;
      be.rnn_cell(kind, false, c);
      if (proj) gemm(out_rows, c.h, w_hr_t, false);
      Tensor h_rows = rows(h_state, 0, b);
      copy_(h_rows, out_rows);
      if (lstm) {
        Tensor c_rows = rows(c_state, 0, b);
        copy_(c_rows, c.c);
      }
    }
    if (!lstm && !gru) v.gates = out2;  // the activations are the outputs (no second copy kept)
  }
  std::vector<Tensor> results = {out, h_state};
  if (lstm) results.push_back(c_state);
  if (!autograd::needs_grad({&gates_x, &h0, &c0, &w_hh, &b_hh, &w_hr})) return results;

  // Inputs in a fixed order, the undefined ones left out; `slot` maps each back.
  std::vector<Tensor> inputs;
  std::vector<int> slot;
  const Tensor* all[] = {&gates_x, &h0, &c0, &w_hh, &b_hh, &w_hr};
  for (int k = 0; k < 6; ++k)
    if (all[k]->defined()) {
      inputs.push_back(*all[k]);
      slot.push_back(k);
    }
  // Saved: the weights (inputs, so an in-place change is caught), then the forward buffers.
  std::vector<Tensor> saved = {w_hh, proj ? w_hr : Tensor(), v.gates, v.h_prev, v.c_prev, v.c, v.hidden, v.h_raw};
  const Shape gates_shape = gates_x.sizes();
  const bool has_b_hh = b_hh.defined();
  autograd::record(node_name(kind), inputs, results, saved, {},
                   [kind, reverse, s, slot, gates_shape, has_b_hh](const autograd::BackwardContext& c) {
                     PYDL_CHECK_NOT_IMPLEMENTED(!autograd::GradMode::is_enabled(), "the derivative of ",
                                                kind_name(kind), "'s backward (double backward, create_graph=True) "
                                                "is not implemented");
                     const Saved v{c.saved[2], c.saved[3], c.saved[4], c.saved[5], c.saved[6], c.saved[7]};
                     std::vector<Tensor> g = backward_raw(kind, reverse, s, v, c.saved[0], c.saved[1], c.grad(0),
                                                          c.grad(1), c.grads.size() > 2 ? c.grad(2) : Tensor(),
                                                          has_b_hh);
                     g[0] = reshape(g[0], gates_shape);
                     std::vector<Tensor> grads(slot.size());
                     for (size_t k = 0; k < slot.size(); ++k)
                       if (c.needs(k)) grads[k] = g[slot[k]];
                     return grads;
                   });
  return results;
}

}  // namespace pydl
