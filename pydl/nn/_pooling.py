"""Pooling functions composed from the compiled ones: power-average (LP) pooling and max
unpooling. They are short compositions of differentiable ops (avg_pool, pow, scatter), so
their gradients come from autograd; none is on a hot path."""
import pydl
from .._C import _nn


def _tuple(value, n, name):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value}")
    return value


def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    kernel = _tuple(kernel_size, nd, "kernel_size")
    avg = (_nn.avg_pool1d, _nn.avg_pool2d, _nn.avg_pool3d)[nd - 1]
    out = avg(input.pow(norm_type), kernel, stride, 0, ceil_mode)
    count = 1
    for k in kernel:
        count *= k
    # sign * relu(|x|) keeps PyTorch's behaviour for negative sums of odd powers
    return (pydl.sign(out) * _nn.relu(out.abs())).mul(count).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 1 spatial dim: (sum over each window of x^p)^(1/p)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 2 spatial dims: (sum over each window of x^p)^(1/p)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 3 spatial dims: (sum over each window of x^p)^(1/p)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


def _max_unpool(nd, input, indices, kernel_size, stride, padding, output_size):
    name = f"max_unpool{nd}d"
    kernel = _tuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None else _tuple(stride, nd, "stride")
    padding = _tuple(padding, nd, "padding")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: expected a {nd + 1}D or {nd + 2}D input, but got input of size {list(input.shape)}")
    if indices.shape != input.shape:
        raise RuntimeError(f"{name}: Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    if indices.dtype != pydl.int64:
        raise RuntimeError(f"{name}: expected indices to have dtype int64, but got {indices.dtype}")
    spatial = tuple(input.shape[-nd:])
    default = tuple((s - 1) * st - 2 * p + k for s, st, p, k in zip(spatial, stride, padding, kernel))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)[-nd:]
        if len(size) != nd:
            raise ValueError(f"{name}: output_size must have {nd} or {nd + 2} elements, got {tuple(output_size)}")
        for s, d, st in zip(size, default, stride):
            if not d - st < s < d + st:
                raise ValueError(f"{name}: invalid output_size {tuple(output_size)} (it must be between "
                                 f"{tuple(x - y for x, y in zip(default, stride))} and "
                                 f"{tuple(x + y for x, y in zip(default, stride))})")
    lead = tuple(input.shape[:-nd])
    plane = 1
    for s in size:
        plane *= s
    flat_in = input.reshape(*lead, -1)
    flat_idx = indices.reshape(*lead, -1)
    if flat_idx.numel() and (int(flat_idx.min()) < 0 or int(flat_idx.max()) >= plane):
        raise RuntimeError(f"{name}: Found an invalid max index: {int(flat_idx.max())} (output volumes are of "
                           f"size {'x'.join(map(str, size))})")
    out = pydl.zeros(*lead, plane, dtype=input.dtype, device=input.device)
    return out.scatter(-1, flat_idx, flat_in).reshape(*lead, *size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: each value goes back to its index, zeros elsewhere."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: each value goes back to its index, zeros elsewhere."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d: each value goes back to its index, zeros elsewhere."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)
