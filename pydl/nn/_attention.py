"""Scaled dot-product attention, composed from differentiable ops.

This is the reference path: it materialises the (L, S) score matrix, so it serves the cases the
fused kernel (``pydl._C._nn._sdpa_fused``) does not take (dropout, dtypes other than float32 and
float64, devices without the kernel) and the tests' oracle.
"""
import math

from .. import _C


def _check(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa):
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, _C.Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"{op}: expected query, key and value to have at least 2 dimensions, got "
                           f"query.dim() = {query.dim()}, key.dim() = {key.dim()}, value.dim() = {value.dim()}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if not (query.device == key.device == value.device):
        raise RuntimeError(f"Expected query, key, and value to have the same device type, but got query.device: "
                           f"{query.device} key.device: {key.device} and value.device: {value.device} instead.")
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected query, key and value to be floating point, got {query.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{op}: the embedding dims of query and key must match, got query {tuple(query.shape)} "
                           f"and key {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{op}: key and value must have the same sequence length, got key {tuple(key.shape)} "
                           f"and value {tuple(value.shape)}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")
    if attn_mask is not None and attn_mask.dtype != _C.bool and attn_mask.dtype != query.dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {attn_mask.dtype} and  query.dtype: {query.dtype} instead.")
    if enable_gqa and query.dim() >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError(f"{op}: with enable_gqa=True the number of query heads ({hq}) must be a multiple of "
                               f"the key heads ({hk}) and value heads ({hv})")


def _repeat_heads(t, heads):
    """Key/value heads repeated to the query's count (grouped-query attention)."""
    if t.dim() < 3 or t.shape[-3] == heads:
        return t
    return t.repeat_interleave(heads // t.shape[-3], dim=-3)


def sdpa_reference(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                   enable_gqa=False):
    """softmax(Q Kᵀ · scale + mask) V with every intermediate materialised (torch's math path)."""
    _check(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa)
    if enable_gqa and query.dim() >= 3:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        attn_mask = _C.ones(L, S, dtype=_C.bool, device=query.device).tril()
    if attn_mask is not None:
        if attn_mask.dtype == _C.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask
    weights = scores.softmax(-1)
    if attn_mask is not None:  # a query that sees no key gets zeros (torch's _safe_softmax), not NaN
        weights = weights.masked_fill((scores == float("-inf")).all(-1, keepdim=True), 0.0)
    if dropout_p > 0.0:
        from ._dropout import dropout
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """Attention ``softmax(Q Kᵀ · scale + attn_mask) V`` over the last two dims of query (…, L, E),
    key (…, S, E) and value (…, S, Ev), with torch.nn.functional's signature.

    ``attn_mask`` is a bool mask (True: the key takes part) or a float bias added to the scores,
    broadcast to (…, L, S); ``is_causal`` masks keys after each query (upper-left aligned);
    ``scale`` defaults to 1/sqrt(E); ``dropout_p`` drops attention weights (pass 0.0 in eval);
    ``enable_gqa`` repeats key/value heads (dim -3) to the query's head count.
    """
    if not _fused_applies(query, key, value, attn_mask, dropout_p, enable_gqa):
        return sdpa_reference(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    _check(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa)
    if enable_gqa and query.dim() >= 3:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    return _C._nn._sdpa_fused(query, key, value, attn_mask, is_causal, scale)


_FUSED_DTYPES = (_C.float32, _C.float64)


def _fused_applies(query, key, value, attn_mask, dropout_p, enable_gqa):
    """The fused kernel takes float32/float64 CPU attention without dropout, with equal batch dims
    (heads may differ under enable_gqa: they are repeated first), a non-empty embedding and no
    gradient wanted for the mask. Everything else goes to the reference, which also raises the
    errors for bad input."""
    tensors = (query, key, value)
    if dropout_p > 0.0 or not all(isinstance(t, _C.Tensor) for t in tensors):
        return False
    if query.dtype not in _FUSED_DTYPES or query.device.type != "cpu" or query.dim() < 2:
        return False
    if key.dim() != query.dim() or value.dim() != query.dim() or query.shape[-1] == 0:
        return False
    heads = -3 if enable_gqa and query.dim() >= 3 else -2  # batch dims that must match exactly
    if query.shape[:heads] != key.shape[:heads] or key.shape[:-2] != value.shape[:-2]:
        return False
    if heads == -3 and key.shape[-3] != query.shape[-3] and (key.shape[-3] == 0 or query.shape[-3] % key.shape[-3]):
        return False
    return attn_mask is None or (isinstance(attn_mask, _C.Tensor) and not attn_mask.requires_grad)
