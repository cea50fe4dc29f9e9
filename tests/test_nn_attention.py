"""F.scaled_dot_product_attention: the fused kernel against the composed reference (softmax(QKᵀ)V,
every intermediate materialised) and against torch, with masks, causal, GQA and scale;
gradcheck of the fused kernel in float64; the paths that fall back to the reference."""
import numpy as np
import pytest

import pydl
import pydl.nn.functional as F
from pydl.nn._attention import sdpa_reference

RNG = np.random.default_rng(0)


def qkv(B, H, L, S, D, Dv, dtype=np.float64, kv_heads=None):
    kh = kv_heads or H
    arrays = (RNG.standard_normal((B, H, L, D)), RNG.standard_normal((B, kh, S, D)), RNG.standard_normal((B, kh, S, Dv)))
    return [pydl.tensor(a.astype(dtype), requires_grad=True) for a in arrays]


CASES = [  # (B, H, L, S, D, Dv, mask kind, causal)
    (2, 3, 5, 7, 4, 6, None, False),
    (1, 2, 70, 150, 16, 8, None, False),   # several query and key blocks, ragged edges
    (1, 2, 200, 200, 8, 8, None, True),
    (1, 1, 130, 300, 8, 8, None, True),    # causal with L != S
    (2, 2, 70, 150, 16, 8, "bool", False),
    (2, 2, 70, 150, 16, 8, "bool_empty_row", False),  # a query that sees no key: zeros
    (2, 2, 70, 150, 16, 8, "float_heads", False),     # broadcast over batch
    (2, 2, 33, 40, 16, 8, "float_full", False),
    (1, 2, 4, 6, 4, 4, "float_expanded", False),  # the mask is itself a stride-0 view over heads
]


def make_mask(kind, B, H, L, S):
    if kind is None:
        return None
    if kind.startswith("bool"):
        m = RNG.random((L, S)) > 0.3
        if kind == "bool_empty_row":
            m[3] = False
        return pydl.tensor(m)
    if kind == "float_expanded":
        return pydl.tensor(RNG.standard_normal((B, 1, 1, S))).expand(B, H, 1, S)
    shape = (H, 1, S) if kind == "float_heads" else (B, H, L, S)
    return pydl.tensor(RNG.standard_normal(shape))


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_fused_matches_reference(case):
    B, H, L, S, D, Dv, kind, causal = case
    q, k, v = qkv(B, H, L, S, D, Dv)
    mask = make_mask(kind, B, H, L, S)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
    assert out.grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
    g = pydl.tensor(RNG.standard_normal(tuple(out.shape)))
    grads = pydl.autograd.grad((out * g).sum(), [q, k, v])
    ref = sdpa_reference(q, k, v, attn_mask=mask, is_causal=causal)
    ref_grads = pydl.autograd.grad((ref * g).sum(), [q, k, v])
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(grads, ref_grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11)
    if kind == "bool_empty_row":
        assert not out[:, :, 3].detach().numpy().any()


@pytest.mark.parametrize("causal", [False, True])
def test_fused_gradcheck(causal):
    q, k, v = qkv(1, 2, 9, 9, 3, 4)
    mask = pydl.tensor(RNG.standard_normal((9, 9)))
    fn = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=None if causal else mask,  # noqa: E731
                                                         is_causal=causal, scale=0.7)
    assert pydl.autograd.gradcheck(fn, [q, k, v])


def test_matches_torch_float32_with_gqa_and_scale():
    torch = pytest.importorskip("torch")
    q, k, v = qkv(2, 4, 20, 24, 8, 8, np.float32, kv_heads=2)
    mask = RNG.random((20, 24)) > 0.2
    kw = dict(scale=0.3, enable_gqa=True)
    ours = F.scaled_dot_product_attention(q, k, v, attn_mask=pydl.tensor(mask), **kw)
    tq, tk, tv = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (q, k, v))
    theirs = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(mask), **kw)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    for a, b in zip((q, k, v), (tq, tk, tv)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_fallbacks_use_the_reference():
    q, k, v = qkv(1, 1, 4, 4, 2, 2)
    mask = pydl.zeros(4, 4, dtype=pydl.float64, requires_grad=True)  # a mask that wants its gradient
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert out.grad_fn.name() != "ScaledDotProductFlashAttentionForCpuBackward0"
    out.sum().backward()
    assert mask.grad is not None
    half = [t.detach().to(pydl.bfloat16) for t in (q, k, v)]
    assert F.scaled_dot_product_attention(*half).dtype == pydl.bfloat16
    pydl.manual_seed(0)
    assert F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).shape == (1, 1, 4, 2)


def test_double_backward_raises():
    q, k, v = qkv(1, 1, 4, 4, 2, 2)
    out = F.scaled_dot_product_attention(q, k, v)
    with pytest.raises(NotImplementedError, match="double backward"):
        pydl.autograd.grad(out.sum(), q, create_graph=True)


def _sdpa(m, q, k=None, v=None, **kw):
    return m.nn.functional.scaled_dot_product_attention(q, q if k is None else k, q if v is None else v, **kw)


# (name, call(lib, q) with q of shape (2, 3, 4), fragment of pydl's message). The class must be
# torch's; where torch's message names its internals (bmm's "batch2 tensor"), pydl's names the
# op and both shapes instead.
ERRORS = [
    ("causal_and_mask", lambda m, q: _sdpa(m, q, attn_mask=m.ones(3, 3, dtype=m.bool), is_causal=True),
     "Explicit attn_mask should not be set when is_causal=True"),
    ("dtype", lambda m, q: _sdpa(m, q, q.double()), "Expected query, key, and value to have the same dtype"),
    ("rank", lambda m, q: _sdpa(m, m.zeros(4), m.zeros(4), m.zeros(4)), "query.dim() = 1"),
    ("embed", lambda m, q: _sdpa(m, q, m.zeros(2, 3, 5)),
     "the embedding dims of query and key must match, got query (2, 3, 4) and key (2, 3, 5)"),
    ("kv_length", lambda m, q: _sdpa(m, q, m.zeros(2, 5, 4), m.zeros(2, 6, 4)),
     "key and value must have the same sequence length, got key (2, 5, 4) and value (2, 6, 4)"),
    ("batch", lambda m, q: _sdpa(m, q, m.zeros(3, 3, 4), m.zeros(3, 3, 4)), "must match the size of tensor b (3)"),
    ("mask_shape", lambda m, q: _sdpa(m, q, attn_mask=m.zeros(4, 4)), "Target sizes: [2, 3, 3]"),
    ("mask_dtype", lambda m, q: _sdpa(m, q, attn_mask=m.zeros(3, 3, dtype=m.int64)),
     "Expected attn_mask dtype to be bool or float or to match query dtype"),
]


@pytest.mark.parametrize("name,call,fragment", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_like_torch(name, call, fragment):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        call(torch, torch.zeros(2, 3, 4))
    with pytest.raises(RuntimeError) as info:
        call(pydl, pydl.zeros(2, 3, 4))
    assert fragment in str(info.value)


def test_private_entry_checks():
    q = pydl.zeros(2, 3, 4)
    for bad in (lambda: pydl._C._nn._sdpa_fused(q, pydl.zeros(3, 3, 4), q, None, False, 1.0),
                lambda: pydl._C._nn._sdpa_fused(q, q, q, pydl.zeros(3, 3, dtype=pydl.int64), False, 1.0),
                lambda: pydl._C._nn._sdpa_fused(q.half(), q.half(), q.half(), None, False, 1.0),
                lambda: pydl._C._nn._sdpa_fused(q, q, q, pydl.zeros(5, 7), False, 1.0)):
        with pytest.raises(RuntimeError):
            bad()
