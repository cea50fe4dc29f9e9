"""Normalisation functions (batch, layer, group, instance, local-response, Lp and RMS), with
torch.nn.functional's signatures and semantics.

layer_norm and training-mode batch_norm run every training step: for float32/float64 they are
one fused C++ op each (_C._nn._layer_norm, _batch_norm_train: statistics and normalisation in
two passes, a fused backward). Everything else, and those two where the fused op declines
(other dtypes or devices), is a short composition of differentiable compiled ops (var_mean,
rsqrt, addcmul, ...) whose gradients come from pydl's C++ autograd; it keeps to a handful of
full-size ops: the statistics are reduced once, and the per-channel scale and shift are folded
together on the small statistics tensors before touching the input.
"""
import pydl
from .._C import _nn
from ._spatial import pad

# torch.finfo(dtype).eps, rms_norm's default eps (pydl has no finfo).
_MACHINE_EPS = {
    pydl.float64: 2.220446049250313e-16,
    pydl.float32: 1.1920928955078125e-07,
    pydl.float16: 0.0009765625,
    pydl.bfloat16: 0.0078125,
}


def _channel_shape(input):
    # (1, C, 1, ..., 1): per-channel tensors broadcast against (N, C, *) with it.
    return (1, input.shape[1]) + (1,) * (input.dim() - 2)


def _normalize_affine(input, mean, var, weight, bias, eps, param_shape):
    """(input - mean) / sqrt(var + eps) * weight + bias, with weight/bias reshaped to param_shape.

    The inverse std and the weight are multiplied on the (small) statistics tensor, so the
    full-size work is one subtraction and one addcmul (or mul)."""
    scale = (var + eps).rsqrt()
    if weight is not None:
        scale = scale * weight.reshape(param_shape)
    centered = input - mean
    if bias is None:
        return centered * scale
    return pydl.addcmul(bias.reshape(param_shape), centered, scale)


def _affine(normalized, weight, bias):
    """normalized * weight + bias, either optional, in one op when both are given."""
    if weight is not None and bias is not None:
        return pydl.addcmul(bias, normalized, weight)
    if weight is not None:
        return normalized * weight
    if bias is not None:
        return normalized + bias
    return normalized


def _check_running_stat(name, stat, channels):
    if stat is not None and stat.numel() != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {stat.numel()}")


def _check_normalized_param(name, param, normalized_shape):
    if param is not None and tuple(param.shape) != normalized_shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                           f"{list(param.shape)} and normalized_shape = {list(normalized_shape)}")


def _update_running_stats(running_mean, running_var, batch_mean, batch_var, count, momentum):
    """running = (1 - momentum) * running + momentum * batch, in place and unrecorded. The
    variance that enters running_var is the unbiased one (count / (count - 1) times the biased
    variance used to normalise), as in torch."""
    with pydl.no_grad():
        if running_mean is not None:
            running_mean.mul_(1.0 - momentum).add_(batch_mean.reshape(running_mean.shape), alpha=momentum)
        if running_var is not None:
            unbiased = batch_var.reshape(running_var.shape) * (count / (count - 1))
            running_var.mul_(1.0 - momentum).add_(unbiased, alpha=momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation over (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W) input.

    training=True normalises with the batch's statistics (biased variance) and, when given,
    updates running_mean/running_var in place with `momentum` (unbiased variance); training=False
    normalises with the running statistics."""
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected a 2D to 5D input (N, C, *), got input of size {list(input.shape)}")
    channels = input.shape[1]
    _check_running_stat("running_mean", running_mean, channels)
    _check_running_stat("running_var", running_var, channels)
    _check_running_stat("weight", weight, channels)
    _check_running_stat("bias", bias, channels)
    shape = _channel_shape(input)
    if training:
        count = input.numel() // channels
        if count == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        fused = _nn._batch_norm_train(input, weight, bias, eps)
        if fused is not None:
            out, mean, var = fused
            if running_mean is not None or running_var is not None:
                _update_running_stats(running_mean, running_var, mean, var, count, momentum)
            return out
        reduce_dims = [0] + list(range(2, input.dim()))
        var, mean = pydl.var_mean(input, dim=reduce_dims, correction=0, keepdim=True)
        # An empty batch has no statistics: torch leaves the running ones as they are.
        if (running_mean is not None or running_var is not None) and input.numel() > 0:
            _update_running_stats(running_mean, running_var, mean.detach(), var.detach(), count, momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in evaluation mode "
                               "(training=False)")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    return _normalize_affine(input, mean, var, weight, bias, eps, shape)


def _trailing_dims(input, normalized_shape):
    """The dims that normalized_shape names (the last len(normalized_shape) of input), checked
    against input's shape with torch's message."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    n = len(normalized_shape)
    if n == 0 or input.dim() < n or tuple(input.shape[input.dim() - n:]) != normalized_shape:
        expected = ", ".join(["*"] + [str(s) for s in normalized_shape])
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[{expected}], but got input of size{list(input.shape)}")
    return normalized_shape, list(range(input.dim() - n, input.dim()))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the last len(normalized_shape) dims, with an elementwise affine
    weight/bias of shape normalized_shape."""
    normalized_shape, dims = _trailing_dims(input, normalized_shape)
    _check_normalized_param("weight", weight, normalized_shape)
    _check_normalized_param("bias", bias, normalized_shape)
    out = _nn._layer_norm(input, len(dims), weight, bias, eps)
    if out is not None:
        return out
    var, mean = pydl.var_mean(input, dim=dims, correction=0, keepdim=True)
    return _affine((input - mean) * (var + eps).rsqrt(), weight, bias)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the last len(normalized_shape) dims:
    input / sqrt(mean(input^2) + eps) * weight; eps=None means the dtype's machine epsilon."""
    normalized_shape, dims = _trailing_dims(input, normalized_shape)
    if eps is None:
        eps = _MACHINE_EPS.get(input.dtype, _MACHINE_EPS[pydl.float32])
    out = input * (input.square().mean(dim=dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation: the C channels of (N, C, *) input split into num_groups groups, each
    normalised over its channels and spatial positions, then a per-channel affine."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    batch, channels = input.shape[0], input.shape[1]
    if channels % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(input.shape)} and num_groups={num_groups}")
    grouped = input.reshape(batch, num_groups, -1)
    var, mean = pydl.var_mean(grouped, dim=-1, correction=0, keepdim=True)
    normalized = ((grouped - mean) * (var + eps).rsqrt()).reshape(input.shape)
    shape = _channel_shape(input)
    return _affine(normalized, None if weight is None else weight.reshape(shape),
                   None if bias is None else bias.reshape(shape))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Instance normalisation: each (sample, channel) plane of (N, C, *) input normalised over its
    spatial positions. With use_input_stats the running statistics (if given) are updated with
    the per-instance statistics averaged over the batch; otherwise they are used to normalise."""
    channels = input.shape[1] if input.dim() > 1 else 0
    _check_running_stat("running_mean", running_mean, channels)
    _check_running_stat("running_var", running_var, channels)
    shape = _channel_shape(input)
    if use_input_stats:
        spatial = input.numel() // max(input.shape[0] * channels, 1)
        if input.dim() < 3 or spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
        dims = list(range(2, input.dim()))
        var, mean = pydl.var_mean(input, dim=dims, correction=0, keepdim=True)
        if running_mean is not None or running_var is not None:
            # torch treats the batch as N*C channels of one big batch_norm, then averages the
            # N updated copies: the same as updating with the batch-mean of the statistics.
            _update_running_stats(running_mean, running_var, mean.detach().mean(dim=0), var.detach().mean(dim=0),
                                  spatial, momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    return _normalize_affine(input, mean, var, weight, bias, eps, shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation across channels: input / (k + alpha/size * sum of input^2
    over a window of `size` neighbouring channels) ** beta, on (N, C, *) input with >= 3 dims."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    # The channel window is an average pool over a (N, 1, C, rest) view; zero padding of
    # size//2 before and (size-1)//2 after keeps C outputs, and the pool counts the padding
    # (count_include_pad), so the average is the window sum divided by size, as torch's.
    squared = input.square().reshape(input.shape[0], 1, input.shape[1], -1)
    squared = pad(squared, (0, 0, size // 2, (size - 1) // 2))
    window_mean = _nn.avg_pool2d(squared, (size, 1), 1).reshape(input.shape)
    return input / window_mean.mul(alpha).add(k).pow(beta)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """Lp-normalises input along dim: input / max(||input||_p, eps)."""
    norm = pydl.linalg.vector_norm(input, p, dim=dim, keepdim=True)
    return input / norm.clamp_min(eps)
