"""Loss functions of torch.nn.functional (part 2: margin and embedding losses, Poisson and
Gaussian NLL) and the distances they use, cosine_similarity and pairwise_distance.

Compositions of differentiable pydl ops, as in _losses.py, whose reduction helpers they share.
"""
import math
import numbers

import pydl
from .._C import _nn
from ..autograd.grad_mode import no_grad
from ._losses import _aten_name, _reduce, _reduction

__all__ = ["cosine_similarity", "pairwise_distance", "cosine_embedding_loss", "margin_ranking_loss",
           "triplet_margin_loss", "hinge_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss"]


# ----------------------------------------------------------------------------------- distances

def _clamped_norm(x, dim, eps):
    """||x||_2 over dim (kept), raised to at least eps. The clamp happens outside autograd, as
    in PyTorch: the gradient is that of the unclamped norm, evaluated at the clamped value.
    The clone gives the in-place clamp a tensor of its own (the norm's backward reads its
    output)."""
    norm = x.norm(2, dim, True).clone()
    with no_grad():
        norm.clamp_(min=eps)
    return norm


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) max(||x2||, eps)) along dim, after broadcasting."""
    if not (x1.is_floating_point() or x2.is_floating_point()):
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_aten_name(pydl.promote_types(x1.dtype, x2.dtype))}")
    if x1.shape != x2.shape:  # dim counts in the broadcast shape
        x1, x2 = pydl.broadcast_tensors(x1, x2)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """p-norm of x1 - x2 + eps over the last dim (of the broadcast shape)."""
    last_dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, last_dim, keepdim)


# --------------------------------------------------------------------------- embedding losses

# PyTorch's cosine_embedding_loss adds this to each squared magnitude (instead of clamping
# the norms like cosine_similarity does), so its cosine differs from cosine_similarity's.
_COSINE_EMBEDDING_EPSILON = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1, and 0
    for any other target value."""
    reduction = _reduction(reduction, size_average, reduce)
    target_dim = target.dim()
    if target_dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.dim() != target_dim + 1 or input2.dim() != target_dim + 1:
        raise RuntimeError(f"{target_dim}D target tensor expects {target_dim + 1}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and {list(input2.shape)}.")
    dot = (input1 * input2).sum(target_dim)
    magnitudes = ((input1 * input1).sum(target_dim) + _COSINE_EMBEDDING_EPSILON) * \
        ((input2 * input2).sum(target_dim) + _COSINE_EMBEDDING_EPSILON)
    cos = dot / magnitudes.sqrt()
    loss = pydl.where(target == 1, 1 - cos, 0.0) + pydl.where(target == -1, (cos - margin).clamp_min(0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target (x1 - x2) + margin): target 1 asks for x1 > x2, -1 for x2 > x1."""
    reduction = _reduction(reduction, size_average, reduce)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-distance; swap uses
    min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and "
                           f"negative {negative.dim()}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = pydl.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((dist_pos - dist_neg + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """x where target is 1, max(0, margin - x) where it is -1 (a target of neither value gets
    both terms, as in PyTorch)."""
    reduction = _reduction(reduction, size_average, reduce)
    loss = pydl.where(target != 1, (margin - input).clamp_min(0), 0.0) + pydl.where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)), computed as -logsigmoid(y x) so that it cannot overflow."""
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce(-_nn.logsigmoid(target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary logistic loss of every class of (N, C) logits against 0/1 targets, averaged
    over the C classes (last dim), optionally weighted per class."""
    reduction = _reduction(reduction, size_average, reduce)
    # Two logsigmoids rather than (1 - y) x - logsigmoid(x): the latter cancels catastrophically
    # for large negative logits of negative classes, where the loss is tiny.
    loss = -(target * _nn.logsigmoid(input) + (1 - target) * _nn.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    return _reduce(loss.sum(class_dim) / input.shape[class_dim], reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss: sum over classes j != y of max(0, margin - x[y] + x[j])^p,
    divided by the number of classes and scaled by weight[y]; p is 1 or 2."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if input.dim() > 2 or (input.dim() == 2 and input.shape[1] == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    n_classes = input.shape[-1] if input.dim() else 1
    n_samples = input.shape[0] if input.dim() == 2 else 1
    if target.dim() > 1 or target.numel() != n_samples or (input.dim() == 2 and target.dim() != 1):
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of "
                           f"input samples (batch size). Expected target size [{n_samples}], but got "
                           f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    if target.dtype != pydl.int64:
        raise RuntimeError(f"expected scalar type Long but found {_aten_name(target.dtype)}")
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"inconsistent weight size, expected {n_classes} but got {list(weight.shape)}")
    if target.numel():
        lo, hi = target.aminmax()
        if int(lo) < 0 or int(hi) >= n_classes:
            raise RuntimeError("target out of range")
    scores = input.reshape(n_samples, n_classes)
    index = target.reshape(n_samples, 1)
    hinge = (scores - scores.gather(1, index) + margin).clamp_min(0)
    if p == 2:
        hinge = hinge.square()
    hinge = hinge.scatter(1, index, 0.0)  # the target's own class never counts
    loss = hinge.sum(1) / n_classes
    if weight is not None:
        loss = loss * weight.take(index.reshape(n_samples))
    return _reduce(loss.reshape(target.shape), reduction)


# ---------------------------------------------------------------------- likelihood regression

def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log-likelihood: exp(x) - y x for log-rates (log_input), else
    x - y log(x + eps); full adds Stirling's approximation of log(y!) where y > 1."""
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (target * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.masked_fill(target <= 1, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood 0.5 (log(var) + (x - y)^2 / var) (+ 0.5 log(2 pi) when
    full); var has input's shape, or lacks (or has size 1 in) the last dim, or is a number.
    var is clamped to >= eps outside autograd, as in PyTorch."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if isinstance(var, numbers.Real):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = pydl.full_like(input, max(float(var), eps))
    else:
        if var.shape != input.shape:
            if var.shape == input.shape[:-1]:
                var = var.unsqueeze(-1)  # one variance per sample, shared by the last dim
            elif not (var.dim() and var.shape[:-1] == input.shape[:-1] and var.shape[-1] == 1):
                raise ValueError("var is of incorrect size")
        if bool((var < 0).any()):
            raise ValueError("var has negative entry/entries")
        var = var.clone()
        with no_grad():
            var.clamp_(min=eps)
    loss = ((input - target).square() / var + var.log()) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
