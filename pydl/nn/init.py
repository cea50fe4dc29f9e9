"""pydl.nn.init: parameter initialisation, with torch.nn.init's names, signatures and errors.

Every initialiser fills its tensor in place without recording it in the autograd graph (under
no_grad, so it works on leaf parameters that require grad) and returns the tensor. Random ones
draw from pydl's generator (the default one, or generator=), so pydl.manual_seed reproduces them.
"""
import math
import warnings

import numpy as np

import pydl

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
]

_LINEAR_FUNCTIONS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                     "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain (std multiplier) for a nonlinearity: 1 for linear/conv/sigmoid, 5/3
    for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope = param, default
    0.01) and 3/4 for selu."""
    if nonlinearity in _LINEAR_FUNCTIONS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        # Not the variance-preserving value but torch's choice for self-normalising networks.
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: size(1) and size(0) times the receptive field (the product
    of the dims after the first two)."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = 1
    for s in tensor.shape[2:]:
        receptive_field *= s
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fills tensor with draws from U(a, b)."""
    with pydl.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fills tensor with draws from N(mean, std^2)."""
    with pydl.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fills tensor with draws from N(mean, std^2) truncated to [a, b] (a and b are absolute
    bounds, not in units of std), by inverse-CDF sampling of a uniform between the bounds' CDFs."""
    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values "
                      "may be incorrect.", stacklevel=2)
    with pydl.no_grad():
        low, high = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
        # U(2*low - 1, 2*high - 1) through erfinv is the standard normal truncated to the bounds.
        tensor.uniform_(2 * low - 1, 2 * high - 1, generator=generator)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.0)).add_(mean)
        # erfinv of values a rounding step from +-1 can overshoot; clamp keeps the bounds exact.
        return tensor.clamp_(min=a, max=b)


def constant_(tensor, val):
    """Fills tensor with val."""
    with pydl.no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fills tensor with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fills tensor with 0."""
    with pydl.no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fills a 2-D tensor with the identity (ones on the main diagonal), keeping its shape."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with pydl.no_grad():
        return tensor.copy_(pydl.eye(tensor.shape[0], tensor.shape[1], dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor, groups=1):
    """Fills a 3-, 4- or 5-D convolution weight with the Dirac delta, so the convolution passes
    its input channels through (per group, up to min(out/groups, in) channels)."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    with pydl.no_grad():
        tensor.zero_()
        # One advanced-index write of all the ones: weight[g*out_per_group + d, d, centre...] = 1.
        channel = pydl.arange(min_dim, device=tensor.device).repeat(groups)
        out_channel = pydl.arange(groups, device=tensor.device).repeat_interleave(min_dim) * out_per_group + channel
        centre = tuple(s // 2 for s in sizes[2:])
        tensor[(out_channel, channel) + centre] = 1.0
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # a uniform on [-bound, bound] has std bound / sqrt(3)
    return uniform_(tensor, -bound, bound, generator=generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator=generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain from
    calculate_gain(nonlinearity, a) and fan the fan_in or fan_out that mode names."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator=generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator=generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fills tensor (2-D or more, flattened to (size(0), rest)) with a (semi-)orthogonal matrix
    times gain: the Q of a QR decomposition of a Gaussian matrix, signs fixed so that the
    distribution is uniform (Haar)."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor  # nothing to fill
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    # The Gaussian comes from pydl's generator (seeded like the rest); pydl has no QR, so the
    # decomposition is NumPy's, in float64, on that CPU copy.
    gaussian = pydl.randn(rows, cols, dtype=pydl.float64, generator=generator).numpy()
    if rows < cols:
        gaussian = gaussian.T
    q, r = np.linalg.qr(gaussian)
    q = q * np.sign(np.diag(r))  # make R's diagonal positive: Q is then unique and Haar-distributed
    if rows < cols:
        q = q.T
    with pydl.no_grad():
        result = pydl.tensor(np.ascontiguousarray(q * gain).reshape(tuple(tensor.shape)), dtype=tensor.dtype,
                             device=tensor.device)
        return tensor.copy_(result)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fills a 2-D tensor with N(0, std^2) draws, then zeroes ceil(sparsity * rows) randomly
    chosen entries in every column."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    with pydl.no_grad():
        tensor.normal_(0, std, generator=generator)
        if num_zeros > 0:
            # The ranks of i.i.d. uniforms are an independent random permutation per column;
            # the first num_zeros of each are that column's zeroed rows.
            order = pydl.rand(rows, cols, generator=generator, device=tensor.device).argsort(dim=0)
            tensor.scatter_(0, order[:num_zeros], 0.0)
    return tensor
