"""One-step recurrent cells: RNNCell, LSTMCell, GRUCell (torch.nn's parameters and numerics).

A cell is the recurrent layer's C++ call over a sequence of length one, so cell and layer share
one kernel and one backward (csrc/ops/rnn.cpp).
"""
from ... import _C
from ..parameter import Parameter
from .module import Module
from .rnn import _layer, uniform_reset

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """Parameters weight_ih (gates * hidden, input), weight_hh (gates * hidden, hidden) and, with
    bias, bias_ih and bias_hh, uniform in ±1/sqrt(hidden_size) like torch's."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(_C.empty(num_chunks * hidden_size, input_size, **kw))
        self.weight_hh = Parameter(_C.empty(num_chunks * hidden_size, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(_C.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(_C.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        uniform_reset(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, mode, input, states, labels):
        """Checks with torch's messages, then one step; returns the new state(s), batched like input."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        if states is None:
            zeros = _C.zeros(x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
            states = (zeros,) * len(labels)
        else:
            for s, label in zip(states, labels):
                if s.dim() not in (1, 2):
                    raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {s.dim()}D instead")
            states = tuple(s if batched else s.unsqueeze(0) for s in states)
        if x.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.size(1)} expected {self.input_size}")
        for k, s in enumerate(states):
            if s.size(0) != x.size(0):
                raise RuntimeError(f"Input batch size {x.size(0)} doesn't match hidden{k} batch size {s.size(0)}")
            if s.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.size(1)}, expected "
                                   f"{self.hidden_size}")
            if s.dtype != x.dtype:
                raise RuntimeError(f"expected hidden{k} to have the input's dtype {x.dtype}, got {s.dtype}")
        result = _layer(mode, x.unsqueeze(0), states[0], states[1] if len(states) > 1 else None, self.weight_ih,
                        self.weight_hh, self.bias_ih, self.bias_hh, None, None, False)
        new = result[1:]
        return tuple(s if batched else s.squeeze(0) for s in new)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). ``forward(input, hx=None)`` -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(mode, input, None if hx is None else (hx,), ("hidden",))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step. ``forward(input, (h, c)=None)`` -> (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step("LSTM", input, None if hx is None else tuple(hx), ("hx[0]", "hx[1]"))


class GRUCell(RNNCellBase):
    """One GRU step. ``forward(input, hx=None)`` -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step("GRU", input, None if hx is None else (hx,), ("hidden",))[0]
