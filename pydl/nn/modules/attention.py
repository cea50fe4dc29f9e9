"""MultiheadAttention, with torch.nn's parameters, state_dict keys, initialisation and numerics.

torch keeps this class in torch/nn/modules/activation.py; the arithmetic is
``F.multi_head_attention_forward`` (pydl/nn/_multihead.py). torch's inference fast path
(``_native_multi_head_attention``) and nested-tensor inputs are not reproduced: every call takes
the path torch takes when gradients are recorded, which gives the same values.
"""
from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under another name, as torch's ``out_proj`` (the name only matters to torch's
    quantisation, which skips it)."""


class MultiheadAttention(Module):
    """Attention from ``num_heads`` heads over ``embed_dim // num_heads`` wide slices, then an
    output projection ("Attention Is All You Need", §3.2.2).

    Parameters as torch's: ``in_proj_weight`` (3 * embed_dim, embed_dim) — or ``q_proj_weight``,
    ``k_proj_weight`` (embed_dim, kdim), ``v_proj_weight`` (embed_dim, vdim) when ``kdim``/``vdim``
    differ from ``embed_dim`` — ``in_proj_bias`` (3 * embed_dim), ``out_proj`` (a Linear) and with
    ``add_bias_kv`` ``bias_k``/``bias_v`` (1, 1, embed_dim). Inputs are (L, N, E), (N, L, E) with
    ``batch_first``, or unbatched (L, E); ``forward`` returns ``(attn_output, attn_weights)``.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(_C.empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(_C.empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(_C.empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(_C.empty((3 * embed_dim, embed_dim), **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_C.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(_C.empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(_C.empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """torch's init: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k/bias_v
        (out_proj.weight keeps Linear's default)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def __setstate__(self, state):
        # Pickles from before kdim/vdim existed always had the packed weight.
        state.setdefault("_qkv_same_embed_dim", True)
        super().__setstate__(state)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Attention of ``query`` over ``key``/``value``.

        ``key_padding_mask`` (N, S) or (S): True (or a float added to the scores) marks keys to
        ignore; ``attn_mask`` (L, S) or (N * num_heads, L, S): True marks pairs that may not
        attend. ``need_weights`` returns the weights, averaged over heads unless
        ``average_attn_weights=False``; without it the attention runs through
        ``F.scaled_dot_product_attention``. ``is_causal`` is a hint that ``attn_mask`` is causal.
        """
        is_batched = query.dim() == 3
        key_padding_mask = F._canonical_mask(key_padding_mask, "key_padding_mask", F._none_or_dtype(attn_mask),
                                             "attn_mask", query.dtype)
        attn_mask = F._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if self.batch_first and is_batched:
            # Keep the identities q is k is v: the packed projection tests them to share GEMMs.
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = {} if self._qkv_same_embed_dim else {
            "use_separate_proj_weight": True, "q_proj_weight": self.q_proj_weight,
            "k_proj_weight": self.k_proj_weight, "v_proj_weight": self.v_proj_weight}
        attn_output, attn_weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, average_attn_weights=average_attn_weights, is_causal=is_causal, **separate)
        if self.batch_first and is_batched:
            attn_output = attn_output.transpose(1, 0)
        return attn_output, attn_weights

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """attn_mask (L, L) and key_padding_mask (N, L) as one (N, num_heads, L, L) mask and
        torch's mask type (0: attn_mask, 1: key_padding_mask, 2: merged), or (None, None)."""
        mask_type, merged = None, None
        if key_padding_mask is not None:
            mask_type, merged = 1, key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.dim() == 3:
                merged = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                merged = attn_mask.view(1, 1, seq_len, seq_len).expand(batch_size, self.num_heads, -1, -1)
            if key_padding_mask is not None:
                merged = merged + key_padding_mask.view(batch_size, 1, 1, seq_len).expand(-1, self.num_heads, -1, -1)
        return merged, mask_type
