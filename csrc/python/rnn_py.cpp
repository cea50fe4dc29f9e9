// Binding of the recurrent-layer op (csrc/ops/rnn.cpp) as pydl._C._nn._rnn_layer, the one call
// per layer and direction that nn.RNN / nn.LSTM / nn.GRU make (pydl/nn/modules/rnn.py).
#include <string>

#include "python/bindings.h"

namespace pydl::python {
namespace {

RnnCellKind cell_kind(const std::string& mode) {
  if (mode == "RNN_TANH") return RnnCellKind::Tanh;
  if (mode == "RNN_RELU") return RnnCellKind::Relu;
  if (mode == "LSTM") return RnnCellKind::Lstm;
  if (mode == "GRU") return RnnCellKind::Gru;
  PYDL_CHECK_VALUE(false, "Unknown recurrent mode '", mode, "' (expected RNN_TANH, RNN_RELU, LSTM or GRU)");
  return RnnCellKind::Tanh;
}

}  // namespace

void init_rnn(py::module_& m) {
  py::module_ nn = m.attr("_nn").cast<py::module_>();
  nn.def("_rnn_layer", [](const std::string& mode, const Tensor& gates_x, const Tensor& hx,
                          const std::optional<Tensor>& cx, const Tensor& w_hh, const std::optional<Tensor>& b_hh,
                          const std::optional<Tensor>& w_hr, const std::optional<std::vector<int64_t>>& batch_sizes,
                          bool reverse) {
    const RnnCellKind kind = cell_kind(mode);
    std::vector<Tensor> r;
    {
      py::gil_scoped_release nogil;
      r = rnn_layer(kind, gates_x, hx, or_undefined(cx), w_hh, or_undefined(b_hh), or_undefined(w_hr),
                    batch_sizes.value_or(std::vector<int64_t>{}), reverse);
    }
    py::tuple out(r.size());
    for (size_t i = 0; i < r.size(); ++i) out[i] = py::cast(r[i]);
    return out;
  }, py::arg("mode"), py::arg("gates_x"), py::arg("hx"), py::arg("cx"), py::arg("weight_hh"), py::arg("bias_hh"),
     py::arg("weight_hr"), py::arg("batch_sizes"), py::arg("reverse"),
     "The recurrence of one RNN/LSTM/GRU layer and direction over a sequence, given the input projections of "
     "every step: (output, h_n) or (output, h_n, c_n).");
}

}  // namespace pydl::python
