"""Dropout functions with torch.nn.functional's signatures and semantics.

Masks are drawn with Tensor.bernoulli_ from pydl's default generator, so pydl.manual_seed makes
them reproducible. The mask is scaled in place before it meets the input, so dropout costs one
full-size multiply (plus the draw), and its gradient is mask / (1 - p) through that multiply.
"""
import warnings

import pydl

# SELU's scale * alpha: alpha dropout sets dropped units to -_SELU_ALPHA_SCALE, SELU's negative
# saturation value, so a SELU network keeps zero mean and unit variance.
_SELU_ALPHA_SCALE = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _multiply(input, factor, inplace):
    return input.mul_(factor) if inplace else input * factor


def _feature_mask_shape(input):
    # (N, C, 1, ..., 1): one draw per channel, broadcast over the spatial dims.
    return tuple(input.shape[:2]) + (1,) * (input.dim() - 2)


def _dropout(input, p, training, inplace, feature, alpha):
    """Shared by the six variants: feature=True draws one mask value per (N, C) channel;
    alpha=True keeps mean and variance (alpha dropout) instead of zeroing and rescaling."""
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        # Everything dropped: torch multiplies by zero (keeping the graph and dtype).
        return _multiply(input, pydl.zeros((), dtype=input.dtype, device=input.device), inplace)
    keep = 1.0 - p
    shape = _feature_mask_shape(input) if feature else tuple(input.shape)
    mask = pydl.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(keep)
    if not alpha:
        return _multiply(input, mask.div_(keep), inplace)
    # a * (x * mask - alpha' * (1 - mask)) + alpha' * a * p, with a chosen so that the output
    # has the input's (zero) mean and (unit) variance.
    a = 1.0 / ((_SELU_ALPHA_SCALE ** 2 * p + 1.0) * keep) ** 0.5
    shift = (mask - 1.0).mul_(_SELU_ALPHA_SCALE * a).add_(_SELU_ALPHA_SCALE * a * p)
    mask.mul_(a)
    if inplace:
        return input.mul_(mask).add_(shift)
    return pydl.addcmul(shift, input, mask)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p and scales the survivors by 1/(1-p) (inverted
    dropout), so eval mode (training=False) is the identity."""
    return _dropout(input, p, training, inplace, feature=False, alpha=False)


def _channel_dropout(input, p, training, inplace, spatial, name):
    """dropout1d/2d/3d: whole channels of a (N, C, *spatial) or unbatched (C, *spatial) input."""
    _check_p(p)
    batched_dim = spatial + 2
    dim = input.dim()
    if spatial == 1 and dim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {dim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
                           "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if dim not in (batched_dim - 1, batched_dim):
        warnings.warn(f"{name}: Received a {dim}-D input to {name}, which is deprecated and will result in an "
                      f"error in a future release. To retain the behavior and silence this warning, please use "
                      f"dropout instead. Note that {name} exists to provide channel-wise dropout on inputs with "
                      f"{spatial} spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. {batched_dim - 1}D or {batched_dim}D inputs).", stacklevel=3)
    if spatial == 2:
        # torch never adds a batch dim in dropout2d: a 3-D input is read as batched (N, C, L).
        if dim == 3:
            warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                          "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                          "dim. This behavior will change in a future release to interpret the input as one "
                          "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                          "dropout behavior, please switch to using dropout1d instead.", stacklevel=3)
        return _dropout(input, p, training, inplace, feature=True, alpha=False)
    if dim == batched_dim:
        return _dropout(input, p, training, inplace, feature=True, alpha=False)
    # Unbatched (dropout1d/3d): the channels are dim 0, so the mask is drawn on a view with a
    # batch dim added; in place, that view writes through to input itself.
    out = _dropout(input.unsqueeze(0), p, training, inplace, feature=True, alpha=False)
    return input if inplace else out.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or (C, L) input with probability p, scaling the rest by 1/(1-p)."""
    return _channel_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) or (C, H, W) input with probability p, scaling the rest by 1/(1-p).
    A 3-D input is read as (N, C, L), with a warning, as torch does."""
    return _channel_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p, scaling the rest."""
    return _channel_dropout(input, p, training, inplace, 3, "dropout3d")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's saturation value and an affine map
    restores the input's mean and variance. Note torch's default training=False here."""
    return _dropout(input, p, training, inplace, feature=False, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout with one draw per (N, C) channel of (N, C, *) input."""
    return _dropout(input, p, training, inplace, feature=True, alpha=True)
