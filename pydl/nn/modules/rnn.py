"""Recurrent layers: RNN, LSTM, GRU and their one-step cells, with torch.nn's parameters,
state_dict keys, initialisation and numerics.

Each layer and direction is one call into C++ (``_C._nn._rnn_layer``, csrc/ops/rnn.cpp): the input
projection of all time steps is a single ``F.linear`` up front (one GEMM; autograd gives the
gradients of ``weight_ih`` and the biases), and the time loop — one GEMM with ``weight_hh`` per step
over the batch and a fused pointwise cell — runs in C++ with a hand-written backward. The cells are
the same call over a sequence of length one.
"""
import math
import numbers
import warnings

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def uniform_reset(module):
    """torch's initialisation of recurrent layers and cells: every parameter uniform in
    ±1/sqrt(hidden_size)."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


def _packed_sequence_type():
    from ..utils.rnn import PackedSequence
    return PackedSequence


def _layer(mode, x, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse):
    """One layer and direction: the input projection here, the recurrence in C++."""
    if mode == "GRU":  # b_hh sits inside r * (W_hn h + b_hn), so it cannot be folded into the input side
        gates_x = F.linear(x, w_ih, b_ih)
    else:
        gates_x = F.linear(x, w_ih, None if b_ih is None else b_ih + b_hh)
        b_hh = None
    return _C._nn._rnn_layer(mode, gates_x, hx, cx, w_hh, b_hh, w_hr, batch_sizes, reverse)


class RNNBase(Module):
    """The machinery shared by RNN, LSTM and GRU (torch.nn.RNNBase): parameter layout, checks,
    layers, directions, packed sequences."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        directions = 2 if bidirectional else 1
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for stem, shape in shapes:
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, Parameter(_C.empty(*shape, **kw)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in ±1/sqrt(hidden_size), as torch."""
        uniform_reset(self)

    def flatten_parameters(self):
        """A no-op (torch compacts weights for cuDNN; pydl's kernels read them where they are)."""

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _directions(self):
        return 2 if self.bidirectional else 1

    def _layer_weights(self, layer, direction):
        suffix = "_reverse" if direction == 1 else ""
        get = lambda stem: getattr(self, f"{stem}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    # --- checks, with torch's messages
    def check_input(self, input, batch_sizes):
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). Convert "
                             f"input: input.to({weight.dtype}), or convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        batch = int(batch_sizes[0]) if batch_sizes is not None else input.size(0 if self.batch_first else 1)
        return (self.num_layers * self._directions(), batch, self.proj_size or self.hidden_size)

    def check_hidden_size(self, hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    # --- the run over layers and directions
    def _run(self, x, hx, cx, batch_sizes):
        """x time-major [T, B, in] (or packed [rows, in]); hx/cx [layers * dirs, B, ...]. Returns
        (output, h_n, c_n or None)."""
        directions = self._directions()
        h_n, c_n = [], []
        batch_list = None if batch_sizes is None else [int(b) for b in batch_sizes.tolist()]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, direction)
                result = _layer(self.mode, x, hx[k], None if cx is None else cx[k], w_ih, w_hh, b_ih, b_hh, w_hr,
                                batch_list, direction == 1)
                outputs.append(result[0])
                h_n.append(result[1])
                if cx is not None:
                    c_n.append(result[2])
            x = outputs[0] if directions == 1 else _C.cat(outputs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, _C.stack(h_n), (_C.stack(c_n) if cx is not None else None)

    def _forward(self, input, hx, is_lstm):
        name = type(self).__name__
        PackedSequence = _packed_sequence_type()
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            batched, batch = True, int(batch_sizes[0])
        else:
            data, batch_sizes, sorted_indices, unsorted_indices = input, None, None, None
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
            batched = input.dim() == 3
            if not batched:
                data = input.unsqueeze(1)
            elif self.batch_first:
                data = input.transpose(0, 1)
            batch = data.size(1)
        states = self._initial_states(hx, data, batch, batched, is_lstm, sorted_indices)
        for state, label in zip(states, ("hidden[0]", "hidden[1]") if is_lstm else ("hidden",)):
            if state.dtype != data.dtype:
                raise ValueError(f"input must have the type {data.dtype}, got type {state.dtype} for {label}")
        self.check_input(data, batch_sizes)
        expected = (self.num_layers * self._directions(), batch, self.proj_size or self.hidden_size)
        if is_lstm:
            self.check_hidden_size(states[0], expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(states[1], expected[:2] + (self.hidden_size,), "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(states[0], expected)
        output, h_n, c_n = self._run(data, states[0], states[1] if is_lstm else None, batch_sizes)
        if packed:
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = h_n.index_select(1, unsorted_indices)
                c_n = c_n.index_select(1, unsorted_indices) if c_n is not None else None
        elif not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, ((h_n, c_n) if is_lstm else h_n)

    def _initial_states(self, hx, data, batch, batched, is_lstm, sorted_indices):
        """The initial state(s) as [layers * dirs, B, ...] in the (sorted) batch order: zeros when
        hx is None."""
        layers = self.num_layers * self._directions()
        if hx is None:
            zeros = lambda size: _C.zeros(layers, batch, size, dtype=data.dtype, device=data.device)  # noqa: E731
            h = zeros(self.proj_size or self.hidden_size)
            return (h, zeros(self.hidden_size)) if is_lstm else (h,)
        states = tuple(hx) if is_lstm else (hx,)
        rank = 3 if batched else 2
        if any(s.dim() != rank for s in states):  # torch's wording, per input kind and layer
            kind = "batched 3-D" if batched else "unbatched 2-D"
            got = (f"({', '.join(f'{s.dim()}-D' for s in states)}) tensors" if is_lstm
                   else f"{states[0].dim()}-D tensor")
            raise RuntimeError(f"For {kind} input, {'hx and cx' if is_lstm else 'hx'} should also be {rank}-D but "
                               f"got {got}")
        if not batched:
            states = tuple(s.unsqueeze(1) for s in states)
        if sorted_indices is not None:  # the user's batch order -> the packed (sorted) order
            states = tuple(s.index_select(1, sorted_indices) for s in states)
        return states

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked
    ``num_layers`` deep, optionally bidirectional. ``forward(input, hx=None)`` returns
    ``(output, h_n)``; input is (L, N, H_in) ((N, L, H_in) with batch_first), (L, H_in) unbatched,
    or a PackedSequence."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._forward(input, hx, is_lstm=False)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o from x_t and h_{t-1}; c_t = f c_{t-1} + i g,
    h_t = o tanh(c_t) (projected by W_hr when ``proj_size`` > 0). ``forward(input, (h_0, c_0)=None)``
    returns ``(output, (h_n, c_n))``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def forward(self, input, hx=None):
        return self._forward(input, hx, is_lstm=True)


class GRU(RNNBase):
    """Gated recurrent unit: r, z gates and candidate n = tanh(W_in x + b_in + r (W_hn h + b_hn));
    h_t = (1 - z) n + z h_{t-1}. ``forward(input, hx=None)`` returns ``(output, h_n)``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._forward(input, hx, is_lstm=False)
