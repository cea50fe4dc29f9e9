"""Loss functions of torch.nn.functional (part 1: regression, classification, divergence).

Each loss is a short composition of differentiable pydl ops, so autograd (and double
backward) comes from those ops. The exception is binary_cross_entropy, whose gradient is a
small autograd.Function: at inputs of exactly 0 or 1 (a saturated float32 sigmoid gives
them) the composed gradient of the clamped logs is 0 * inf = nan, where PyTorch's formula
clamps the denominator and stays finite.

Checks that need tensor values (class indices in range, probabilities in [0, 1]) cost one
reduction and one host read; PyTorch's CPU kernels make the same checks.

The remaining losses (margin, embedding, Poisson/Gaussian NLL) and the distance functions
live in _losses_extra.py, which shares the reduction helpers defined here.
"""
import math
import warnings

import pydl
from .._C import _nn
from ..autograd.function import Function

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]

# ATen's names for dtypes, for messages that match PyTorch's.
_ATEN_NAMES = {
    "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "bool": "Bool", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
    "float64": "Double",
}


def _aten_name(dtype):
    name = str(dtype).replace("pydl.", "")
    return _ATEN_NAMES.get(name, name)


# ---------------------------------------------------------------------------------- reductions

def _legacy_reduction(size_average, reduce, stacklevel=4):
    """The reduction the deprecated size_average/reduce pair stands for (None counts as True)."""
    if reduce is not None and not reduce:
        reduction = "none"
    elif size_average is None or size_average:
        reduction = "mean"
    else:
        reduction = "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                  "instead.", stacklevel=stacklevel)
    return reduction


def _reduction(reduction, size_average=None, reduce=None):
    """Validates `reduction` ('none' | 'mean' | 'sum'); the legacy arguments, when given, win."""
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction in ("mean", "sum", "none"):
        return reduction
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_if_broadcast(input, target):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                      f"({input.size()}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _check_broadcasts_into(input, other):
    """`other` (a weight) must broadcast to input's shape without growing it: PyTorch writes the
    loss into an input-shaped output."""
    shape = pydl.broadcast_shapes(input.shape, other.shape)
    if shape != input.shape:
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}")


# ---------------------------------------------------------------------------------- regression

def _weighted(loss, weight, reduction, input, mean_by_weight):
    """PyTorch's optional elementwise `weight` of mse/l1/huber: 'mean' is sum(w*l)/sum(w) for
    mse and l1 but mean(w*l) for huber (mean_by_weight=False)."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (x - y)^2, optionally weighted elementwise."""
    reduction = _reduction(reduction, size_average, reduce)
    _warn_if_broadcast(input, target)
    loss = (input - target).square()
    return _reduce(loss, reduction) if weight is None else _weighted(loss, weight, reduction, input, True)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error |x - y|, optionally weighted elementwise."""
    reduction = _reduction(reduction, size_average, reduce)
    _warn_if_broadcast(input, target)
    loss = (input - target).abs()
    return _reduce(loss, reduction) if weight is None else _weighted(loss, weight, reduction, input, True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta; beta=0 is l1_loss."""
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_if_broadcast(input, target)
    diff = (input - target).abs()
    if beta == 0:
        return _reduce(diff, reduction)
    loss = pydl.where(diff < beta, diff.square() * (0.5 / beta), diff - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 (x - y)^2 where |x - y| < delta, else delta (|x - y| - 0.5 delta)."""
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_if_broadcast(input, target)
    diff = (input - target).abs()
    loss = pydl.where(diff < delta, diff.square() * 0.5, (diff - 0.5 * delta) * delta)
    return _reduce(loss, reduction) if weight is None else _weighted(loss, weight, reduction, input, False)


# --------------------------------------------------------------------- class-index likelihoods

def _check_class_targets(input, target):
    """PyTorch's shape and dtype checks of nll_loss, in its order; returns the class dim."""
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() == 1:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    else:
        target_batch = target.shape[0] if target.dim() > 0 else 0
        if input.shape[0] != target_batch:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target_batch}).")
        if input.dim() == 2 and target.dim() != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.dtype not in (pydl.int64, pydl.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_aten_name(target.dtype)}")
    if input.dim() == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    if input.dim() > 2:
        expected = [input.shape[0], *input.shape[2:]]
        if list(target.shape) != expected:
            raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"nll_loss\" not implemented for '{_aten_name(input.dtype)}'")
    return 0 if input.dim() == 1 else 1


def _check_class_weight(weight, input, n_classes, prefix="", same_dtype=True):
    if weight.dim() != 1 or weight.shape[0] != n_classes:
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if same_dtype and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_aten_name(input.dtype)} but found {_aten_name(weight.dtype)}")


def _valid_targets(target, n_classes, ignore_index):
    """(safe, keep): target as int64 with ignored entries set to class 0 so that gather can
    read them, and the bool mask of entries that count (None when the ignored index cannot
    occur: it lies outside the targets' range). Raises
    PyTorch's IndexError for a counted target outside [0, n_classes)."""
    if target.dtype != pydl.int64:
        target = target.long()
    if target.numel() == 0:
        return target, None
    lo, hi = (int(v) for v in target.aminmax())
    keep = target != ignore_index if lo <= ignore_index <= hi else None
    if lo < 0 or hi >= n_classes:  # slow path only when some value is out of range
        bad = (target < 0) | (target >= n_classes)
        if keep is not None:
            bad = bad & keep
        if bool(bad.any()):
            raise IndexError(f"Target {int(target[bad][0])} is out of bounds.")
    if keep is not None:
        target = target.masked_fill(~keep, 0)
    return target, keep


def _class_index_loss(logp, target, class_dim, weight, ignore_index, reduction, label_smoothing):
    """Negative log-likelihood of log-probabilities `logp` at class indices `target` (checked
    by _check_class_targets), mixed with the uniform-target term when label_smoothing > 0.
    'mean' divides by the summed weight of the counted targets (their count without
    weights), nan when none counts."""
    n_classes = logp.shape[class_dim]
    if weight is not None:
        _check_class_weight(weight, logp, n_classes)
    if logp.dim() == 1 and target.dim() == 1:
        target = target.reshape(())  # a (1,) target of an unbatched input counts as a scalar
    safe, keep = _valid_targets(target, n_classes, ignore_index)
    if n_classes:
        picked = logp.gather(class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    else:  # nothing to gather from: every target is ignored (or there is none)
        picked = logp.sum(class_dim)
    if weight is not None and n_classes:
        target_weight = weight.take(safe)
        if keep is not None:
            target_weight = target_weight.masked_fill(~keep, 0)
    else:
        target_weight = None if keep is None else keep.to(logp.dtype)
    loss = -picked if target_weight is None else -(picked * target_weight)
    if label_smoothing > 0:
        if weight is not None:
            class_shape = [1] * logp.dim()
            class_shape[class_dim] = n_classes
            smooth = -(logp * weight.view(class_shape)).sum(class_dim)
        else:
            smooth = -logp.sum(class_dim)
        if keep is not None:
            smooth = smooth.masked_fill(~keep, 0)
        loss = loss * (1 - label_smoothing) + smooth * _smoothing_share(label_smoothing, n_classes)
    if reduction == "mean" and target_weight is not None:
        return loss.sum() / target_weight.sum()
    return _reduce(loss, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (C), (N, C) or (N, C, d1, ...) at
    class indices `target`, with optional class weights and an ignored index."""
    reduction = _reduction(reduction, size_average, reduce)
    class_dim = _check_class_targets(input, target)
    return _class_index_loss(input, target, class_dim, weight, ignore_index, reduction, 0.0)


def _smoothing_share(label_smoothing, n_classes):
    # ATen divides in C++ doubles: no classes gives inf (and then nan or an empty loss), not an error.
    return label_smoothing / n_classes if n_classes else math.inf


def _probability_target_loss(input, target, weight, ignore_index, reduction, label_smoothing):
    """Cross entropy against class probabilities (target shaped like input); 'mean' divides
    by the number of samples (every spatial position counts as one), never by weights."""
    if not target.is_floating_point():
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{_aten_name(target.dtype)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input.dim() == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    if weight is not None:  # this path promotes a weight of another float dtype
        _check_class_weight(weight, input, n_classes, prefix="cross_entropy: ", same_dtype=False)
    logp = _nn.log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + _smoothing_share(label_smoothing, n_classes)
    prod = logp * target
    if weight is not None:
        class_shape = [1] * input.dim()
        class_shape[class_dim] = n_classes
        prod = prod * weight.view(class_shape)
    return _reduce(-prod.sum(class_dim), reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim followed by nll_loss for class-index targets, or the
    cross entropy against class probabilities when target has input's shape; label_smoothing
    mixes the target with the uniform distribution."""
    reduction = _reduction(reduction, size_average, reduce)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.shape == target.shape:
        return _probability_target_loss(input, target, weight, ignore_index, reduction, label_smoothing)
    if input.dim() == 0:  # PyTorch's log_softmax over dim 1 fails first
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    # Validate before log_softmax so that a bad target fails without touching the input.
    class_dim = _check_class_targets(input, target)
    if weight is None and label_smoothing == 0:  # the common case: one fused op (declined: None)
        fused = _nn._cross_entropy(input, target, ignore_index, reduction)
        if fused is not None:
            return fused
    logp = _nn.log_softmax(input, class_dim)
    return _class_index_loss(logp, target, class_dim, weight, ignore_index, reduction, label_smoothing)


# -------------------------------------------------------------------------------- binary losses

# PyTorch's binary_cross_entropy_backward clamps x(1 - x) below by a float 1e-12 (widened to
# double for double inputs, hence not exactly 1e-12).
_BCE_EPSILON = 9.999999960041972e-13


class _BinaryCrossEntropy(Function):
    """Elementwise -(y log x + (1 - y) log(1 - x)) with both logs clamped to >= -100, and
    PyTorch's gradients: (x - y) / max(x (1 - x), eps) for x and -logit(x) for y."""

    @staticmethod
    def forward(ctx, input, target):
        ctx.save_for_backward(input, target)
        log_x = input.log().clamp_min_(-100)
        log_1mx = (-input).log1p_().clamp_min_(-100)
        return (target - 1).mul_(log_1mx).sub_(target * log_x)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_input = grad * (input - target) / (input * (1 - input)).clamp_min(_BCE_EPSILON)
        if ctx.needs_input_grad[1]:
            grad_target = -grad * input.logit()
        return grad_input, grad_target


def _check_unit_interval(t, what):
    if t.numel():
        lo, hi = t.aminmax()
        if not (float(lo) >= 0 and float(hi) <= 1):  # also false for nan
            raise RuntimeError(f"all elements of {what} should be between 0 and 1")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy of probabilities `input` against `target` (same shape), with an
    optional weight broadcast to input's shape."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_aten_name(target.dtype)} but expected {_aten_name(input.dtype)}")
    _check_unit_interval(input, "input")
    _check_unit_interval(target, "target")
    loss = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        _check_broadcasts_into(input, weight)
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross entropy of sigmoid(input), computed from the logits without overflow as
    (1 - y) x - (1 + (pos_weight - 1) y) logsigmoid(x); pos_weight broadcasts along the
    last (class) dim."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    if not target.is_floating_point():
        raise RuntimeError(f"result type {_aten_name(input.dtype)} can't be cast to the desired output type "
                           f"{_aten_name(target.dtype)}")
    log_sigmoid = _nn.logsigmoid(input)
    if pos_weight is not None:
        _check_broadcasts_into(input, pos_weight)
        log_sigmoid = log_sigmoid * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sigmoid
    if weight is not None:
        _check_broadcasts_into(input, weight)
        loss = loss * weight
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------- divergence

def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise KL divergence y (log y - x) of log-probabilities `input` from `target`
    (log-probabilities too when log_target); 'batchmean' divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, stacklevel=3)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    elif reduction != "batchmean":
        reduction = _reduction(reduction)
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = pydl.xlogy(target, target) - target * input  # xlogy: 0 where the target is 0
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() else total
    return _reduce(loss, reduction)
