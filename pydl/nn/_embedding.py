"""Embedding lookups (embedding, embedding_bag) with torch.nn.functional's signatures and semantics.

The plain lookup is one index_select, differentiated by pydl's C++ autograd. The two gradient
rules torch adds (no gradient for the padding_idx row, gradients divided by each index's count
with scale_grad_by_freq) change only the backward, so they live in a small autograd.Function
whose backward is the same scatter-add with those two adjustments.
"""
import pydl
from ..autograd.function import Function


def _check_indices(input):
    if input.dtype not in (pydl.int64, pydl.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding)")


def _resolve_padding_idx(padding_idx, num_embeddings):
    """torch's rule: a negative padding_idx counts from the end; out of range is an AssertionError."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def _renorm_rows_(weight, input, max_norm, norm_type):
    """Rescales, in place and unrecorded, the rows of weight that input references whose
    norm_type-norm exceeds max_norm, to norm max_norm (torch's embedding_renorm_, with its 1e-7)."""
    with pydl.no_grad():
        rows = pydl.unique(input.reshape(-1))
        selected = weight.index_select(0, rows)
        norms = pydl.linalg.vector_norm(selected, norm_type, dim=1, keepdim=True)
        scale = pydl.where(norms > max_norm, max_norm / (norms + 1e-7), pydl.ones_like(norms))
        weight.index_copy_(0, rows, selected * scale)


class _EmbeddingGradRules(Function):
    """index_select of weight's rows whose backward leaves out padding_idx and optionally divides
    each contribution by how often its index occurs in the batch (torch's embedding_backward)."""

    @staticmethod
    def forward(ctx, weight, flat_indices, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(flat_indices)
        ctx.num_embeddings = weight.shape[0]
        ctx.padding_idx = padding_idx
        ctx.scale_grad_by_freq = scale_grad_by_freq
        return weight.index_select(0, flat_indices)

    @staticmethod
    def backward(ctx, grad):
        (flat_indices,) = ctx.saved_tensors
        if ctx.scale_grad_by_freq:
            counts = pydl.bincount(flat_indices, minlength=ctx.num_embeddings).to(grad.dtype)
            grad = grad / counts.index_select(0, flat_indices).unsqueeze(1)
        if ctx.padding_idx is not None:
            grad = grad.masked_fill((flat_indices == ctx.padding_idx).unsqueeze(1), 0.0)
        grad_weight = pydl.zeros((ctx.num_embeddings, grad.shape[1]), dtype=grad.dtype, device=grad.device)
        return grad_weight.index_add(0, flat_indices, grad), None, None, None


def _lookup(input, weight, padding_idx, scale_grad_by_freq):
    """weight's rows at input, shaped input.shape + (embedding_dim,), with torch's gradient rules."""
    flat = input.reshape(-1)
    if padding_idx is None and not scale_grad_by_freq:
        rows = weight.index_select(0, flat)
    else:
        rows = _EmbeddingGradRules.apply(weight, flat, padding_idx, scale_grad_by_freq)
    return rows.reshape(*input.shape, weight.shape[1])


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Looks up the rows of weight (num_embeddings, embedding_dim) at the integer indices in
    input. The padding_idx row gets no gradient; max_norm renormalises the referenced rows of
    weight in place first; scale_grad_by_freq divides gradients by index frequency in the batch."""
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients for weight) is not supported: pydl "
                                  "has no sparse tensors; use sparse=False (dense gradients)")
    _check_indices(input)
    if weight.dim() != 2:
        raise RuntimeError(f"'weight' must be 2-D, got a {weight.dim()}-D tensor")
    padding_idx = _resolve_padding_idx(padding_idx, weight.shape[0])
    if max_norm is not None:
        _renorm_rows_(weight, input, max_norm, norm_type)
    return _lookup(input, weight, padding_idx, scale_grad_by_freq)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, averages or maxes bags of embeddings without materialising them per bag: a 2-D
    input (B, L) is B bags of L indices; a 1-D input is split into bags at offsets. Entries equal
    to padding_idx are left out of their bag; an empty bag gives zeros."""
    if sparse:
        raise NotImplementedError("embedding_bag: sparse=True (sparse gradients for weight) is not supported: "
                                  "pydl has no sparse tensors; use sparse=False (dense gradients)")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    _check_indices(input)
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      "on GitHub.")
        if per_sample_weights.shape != input.shape:
            raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not "
                             f"None, then it must have the same shape as the input ({tuple(input.shape)})")
    keep = None  # the entries that enter a bag, when not all do
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                             "of fixed length sequences.")
        num_bags, length = input.shape
        bag_of = pydl.arange(num_bags, device=input.device).repeat_interleave(length)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        if offsets.shape[0] > 0 and int(offsets[0]) != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {int(offsets[0])}")
        num_bags = offsets.shape[0] - 1 if include_last_offset else offsets.shape[0]
        starts = offsets[:num_bags].to(pydl.int64)
        # Entry i belongs to the last bag that starts at or before it.
        positions = pydl.arange(input.shape[0], device=input.device)
        bag_of = pydl.searchsorted(starts, positions, right=True) - 1
        if include_last_offset:
            # The last offset ends the last bag, so entries after it are in no bag (torch 2.13 CPU is
            # inconsistent there: its float32 sum drops them, its float64 paths keep them).
            keep = positions < offsets[-1]
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    padding_idx = _resolve_padding_idx(padding_idx, weight.shape[0])
    if max_norm is not None:
        _renorm_rows_(weight, input, max_norm, norm_type)
    flat = input.reshape(-1)
    rows = _lookup(flat, weight, padding_idx, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    if padding_idx is not None:
        # padding entries are left out of their bag's sum, mean count and max
        keep = flat != padding_idx if keep is None else keep & (flat != padding_idx)
    if keep is not None:
        bag_of = bag_of[keep]
        rows = rows[keep]
    dim = weight.shape[1]
    if mode == "max":
        # include_self=False: each bag's max over its own rows only; empty bags stay 0.
        out = pydl.zeros((num_bags, dim), dtype=weight.dtype, device=weight.device)
        return out.scatter_reduce(0, bag_of.unsqueeze(1).expand(-1, dim), rows, "amax", include_self=False)
    out = pydl.zeros((num_bags, dim), dtype=weight.dtype, device=weight.device).index_add(0, bag_of, rows)
    if mode == "mean":
        counts = pydl.bincount(bag_of, minlength=num_bags).to(weight.dtype).clamp_min(1.0)
        out = out / counts.unsqueeze(1)
    return out
