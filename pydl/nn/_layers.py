"""Functional forms that are compositions of compiled ops: bilinear, prelu, glu, threshold, the
shrink functions and rrelu (torch.nn.functional's signatures)."""
from .. import _C

__all__ = ["bilinear", "prelu", "glu", "threshold", "softshrink", "hardshrink", "tanhshrink", "rrelu"]


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]``."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {tuple(input1.shape[:-1])} and "
                           f"{tuple(input2.shape[:-1])}")
    if weight.dim() != 3 or input1.size(-1) != weight.size(1) or input2.size(-1) != weight.size(2):
        raise RuntimeError(f"bilinear(): weight of shape {tuple(weight.shape)} does not fit inputs of "
                           f"{input1.size(-1)} and {input2.size(-1)} features")
    out = _C.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def prelu(input, weight):
    """``x if x > 0 else weight * x``, with one weight per channel (dim 1) or a single one."""
    if weight.numel() != 1:
        channels = input.size(1) if input.dim() >= 2 else input.size(0)
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
        if input.dim() >= 2:
            weight = weight.reshape((channels,) + (1,) * (input.dim() - 2))
    return _C.where(input > 0, input, weight * input)


def glu(input, dim=-1):
    """The first half of ``input`` along ``dim`` gated by the sigmoid of the second half."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.size(dim) % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size "
                           f"{input.size(dim)}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def threshold(input, threshold, value, inplace=False):
    """``x if x > threshold else value``."""
    out = _C.where(input > threshold, input, _C.full((), value, dtype=input.dtype))
    return input.copy_(out) if inplace else out


def softshrink(input, lambd=0.5):
    """``x - lambd`` above lambd, ``x + lambd`` below -lambd, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _C.where(input > lambd, input - lambd, _C.where(input < -lambd, input + lambd, input * 0))


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return _C.where(input.abs() > lambd, input, input * 0)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - input.tanh()


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU whose negative slope is drawn from U(lower, upper) per element in training and
    is their mean in evaluation."""
    if not training:
        out = _C._nn.leaky_relu(input, (lower + upper) / 2)
    else:
        slope = _C.empty(input.shape, dtype=input.dtype, device=input.device).uniform_(lower, upper)
        out = _C.where(input >= 0, input, input * slope)
    return input.copy_(out) if inplace else out
