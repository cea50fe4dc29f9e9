"""nn.MultiheadAttention, F.multi_head_attention_forward and the Transformer modules against torch
(oracle): torch's weights copied in, then outputs, attention weights and every input and parameter
gradient in float64, over batch_first, kdim/vdim, bias_k/bias_v, zero attention, bool / float /
3-D masks, padding masks, need_weights / average_attn_weights, unbatched inputs, norm_first,
activations, stacks with a final norm and the full Transformer; state_dict keys, initialisation,
deep-copied layers and torch's error messages."""
import copy
import warnings

import numpy as np
import pytest

import pydl
from pydl import nn
from pydl.nn import functional as F
from torch_oracle import check_error, check_outputs_and_grads, copy_weights, to_pydl

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
E, H, L, S, N = 8, 2, 4, 5, 3


def leaf_pair(shape):
    x = RNG.standard_normal(shape)
    return torch.tensor(x, requires_grad=True), pydl.tensor(x, requires_grad=True)


def const_pair(x):
    return torch.tensor(x), pydl.tensor(x)


def flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [] if out is None else [out]


def compare(tm, pm, t_args, p_args, t_kw=None, p_kw=None, leaves=(), rtol=1e-9, atol=1e-10):
    """Runs both modules (torch's weights copied in) on the same inputs, checks every output,
    then the backward of the same random weighted sum into the leaves and the parameters."""
    copy_weights(tm, pm)
    out_t, out_p = tm(*t_args, **(t_kw or {})), pm(*p_args, **(p_kw or {}))
    if isinstance(out_t, tuple):  # (attn_output, attn_weights or None)
        assert (out_t[1] is None) == (out_p[1] is None)
    check_outputs_and_grads(tm, pm, flat(out_t), flat(out_p), leaves, RNG, rtol, atol)
    return out_t, out_p


def bool_mask(shape):
    """Random True (masked) entries, never in the last-dim position 0, so no row is all masked."""
    m = RNG.random(shape) < 0.4
    m[..., 0] = False
    return m


def float_mask(shape):
    m = RNG.standard_normal(shape)
    m[bool_mask(shape)] = -np.inf
    return m


# --- MultiheadAttention ------------------------------------------------------------------------

MHA_CONFIGS = [
    {},
    {"batch_first": True},
    {"kdim": 6, "vdim": 5},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"bias": False},
    {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True},
]
MASKS = ["none", "kpm", "bool2d", "float2d", "bool3d", "float3d", "kpm+bool2d", "kpm_float+float3d"]
WEIGHTS = [(True, True), (True, False), (False, True)]  # (need_weights, average_attn_weights)


def mha_masks(kind):
    out = {}
    if kind.startswith("kpm"):
        out["key_padding_mask"] = float_mask((N, S)) if "kpm_float" in kind else bool_mask((N, S))
    if "2d" in kind:
        out["attn_mask"] = bool_mask((L, S)) if "bool" in kind else float_mask((L, S))
    if "3d" in kind:
        out["attn_mask"] = bool_mask((N * H, L, S)) if "bool" in kind else float_mask((N * H, L, S))
    return out


def mha_pair(**kw):
    return torch.nn.MultiheadAttention(E, H, **kw).double(), nn.MultiheadAttention(E, H, **kw).double()


@pytest.mark.parametrize("weights", WEIGHTS, ids=["avg", "per_head", "no_weights"])
@pytest.mark.parametrize("masks", MASKS)
@pytest.mark.parametrize("cfg", MHA_CONFIGS, ids=lambda c: "-".join(c) or "default")
def test_mha_matches_torch(cfg, masks, weights):
    tm, pm = mha_pair(**cfg)
    seq = (lambda n, s, e: (n, s, e)) if cfg.get("batch_first") else (lambda n, s, e: (s, n, e))
    q, k, v = leaf_pair(seq(N, L, E)), leaf_pair(seq(N, S, cfg.get("kdim", E))), leaf_pair(seq(N, S, cfg.get("vdim", E)))
    kw_t, kw_p = {"need_weights": weights[0], "average_attn_weights": weights[1]}, {}
    kw_p.update(kw_t)
    for name, m in mha_masks(masks).items():
        kw_t[name], kw_p[name] = const_pair(m)
    compare(tm, pm, [q[0], k[0], v[0]], [q[1], k[1], v[1]], kw_t, kw_p, leaves=[q, k, v])


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("shared", ["self", "kv"])
def test_mha_shared_inputs(shared, batch_first, need_weights):
    """q is k is v (one packed GEMM) and k is v (encoder-decoder) take their own projection paths."""
    tm, pm = mha_pair(batch_first=batch_first)
    shape = (N, L, E) if batch_first else (L, N, E)
    x = leaf_pair(shape)
    if shared == "self":
        t_args, p_args, leaves = [x[0]] * 3, [x[1]] * 3, [x]
    else:
        mem = leaf_pair((N, S, E) if batch_first else (S, N, E))
        t_args, p_args, leaves = [x[0], mem[0], mem[0]], [x[1], mem[1], mem[1]], [x, mem]
    kw = {"need_weights": need_weights}
    compare(tm, pm, t_args, p_args, kw, kw, leaves=leaves)


@pytest.mark.parametrize("masks", ["none", "kpm", "bool2d", "bool3d"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched(masks, need_weights):
    tm, pm = mha_pair(add_bias_kv=True)
    q, k, v = leaf_pair((L, E)), leaf_pair((S, E)), leaf_pair((S, E))
    kw_t, kw_p = {"need_weights": need_weights}, {"need_weights": need_weights}
    if masks == "kpm":
        kw_t["key_padding_mask"], kw_p["key_padding_mask"] = const_pair(bool_mask(S))
    elif masks == "bool2d":
        kw_t["attn_mask"], kw_p["attn_mask"] = const_pair(bool_mask((L, S)))
    elif masks == "bool3d":
        kw_t["attn_mask"], kw_p["attn_mask"] = const_pair(bool_mask((H, L, S)))
    out_t, out_p = compare(tm, pm, [q[0], k[0], v[0]], [q[1], k[1], v[1]], kw_t, kw_p, leaves=[q, k, v])
    assert tuple(out_p[0].shape) == (L, E)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_is_causal_hint(need_weights):
    tm, pm = mha_pair()
    x = leaf_pair((L, N, E))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    kw_t = {"attn_mask": mask, "is_causal": True, "need_weights": need_weights}
    kw_p = dict(kw_t, attn_mask=to_pydl(mask))
    compare(tm, pm, [x[0]] * 3, [x[1]] * 3, kw_t, kw_p, leaves=[x])


def test_mha_eval_dropout_and_training_dropout():
    tm, pm = mha_pair(dropout=0.5)
    tm.eval(), pm.eval()
    x = leaf_pair((L, N, E))
    compare(tm, pm, [x[0]] * 3, [x[1]] * 3, leaves=[x])
    pm.train()
    xp = x[1].detach()
    pydl.manual_seed(1)
    a = pm(xp, xp, xp)[0]
    pydl.manual_seed(1)
    b = pm(xp, xp, xp)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    pm.eval()
    assert not np.allclose(a.detach().numpy(), pm(xp, xp, xp)[0].detach().numpy())


def test_functional_static_kv_and_separate_weights():
    """F.multi_head_attention_forward with static_k/static_v and use_separate_proj_weight."""
    tm = torch.nn.MultiheadAttention(E, H, kdim=6, vdim=5).double()
    q, k, v = leaf_pair((L, N, E)), leaf_pair((S, N, 6)), leaf_pair((S, N, 5))
    sk, sv = leaf_pair((N * H, S + 1, E // H)), leaf_pair((N * H, S + 1, E // H))
    outs = []
    for lib, i in ((torch, 0), (pydl, 1)):
        params = [to_pydl(p).requires_grad_() if i else p for p in
                  (tm.q_proj_weight, tm.k_proj_weight, tm.v_proj_weight, tm.in_proj_bias, tm.out_proj.weight,
                   tm.out_proj.bias)]
        out, w = lib.nn.functional.multi_head_attention_forward(
            q[i], k[i], v[i], E, H, None, params[3], None, None, False, 0.0, params[4], params[5],
            use_separate_proj_weight=True, q_proj_weight=params[0], k_proj_weight=params[1],
            v_proj_weight=params[2], static_k=sk[i], static_v=sv[i], average_attn_weights=False)
        (out.sum() + (w * w).sum()).backward()
        outs.append((out, w, params))
    for a, b in zip(flat(outs[0][:2]) + outs[0][2], flat(outs[1][:2]) + outs[1][2]):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-9, atol=1e-10)
    for a, b in list(zip(outs[0][2], outs[1][2])) + [(x[0], x[1]) for x in (q, k, v, sk, sv)]:
        if a.grad is not None:
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-8, atol=1e-9)


def test_mismatched_mask_types_warn():
    _, pm = mha_pair()
    x = pydl.randn(L, N, E, dtype=pydl.float64)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        pm(x, x, x, key_padding_mask=pydl.tensor(bool_mask((N, L))), attn_mask=pydl.zeros(L, L, dtype=pydl.float64))


def test_mha_fully_masked_row_matches_torch():
    """A query row with every key masked: NaN weights with need_weights (softmax of all -inf), as
    in torch, and zeros through scaled_dot_product_attention without."""
    tm, pm = mha_pair()
    x = leaf_pair((L, N, E))
    m = np.zeros((L, L), dtype=bool)
    m[1] = True
    for need in (True, False):
        ot = tm(x[0], x[0], x[0], attn_mask=torch.tensor(m), need_weights=need)[0]
        copy_weights(tm, pm)
        op = pm(x[1], x[1], x[1], attn_mask=pydl.tensor(m), need_weights=need)[0]
        np.testing.assert_allclose(op.detach().numpy(), ot.detach().numpy(), rtol=1e-9, atol=1e-10)


# --- parameters, state_dict, initialisation -------------------------------------------------------

def _keys_and_shapes(m):
    return [(k, tuple(v.shape)) for k, v in m.state_dict().items()]


@pytest.mark.parametrize("cfg", MHA_CONFIGS, ids=lambda c: "-".join(c) or "default")
def test_mha_state_dict_keys(cfg):
    tm, pm = mha_pair(**cfg)
    assert _keys_and_shapes(pm) == _keys_and_shapes(tm)
    assert [n for n, _ in pm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert repr(pm) == repr(tm)


def test_mha_init():
    m = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    bound = (6 / (16 + 48)) ** 0.5  # xavier_uniform_ over fan_in 16, fan_out 48
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    assert tuple(m.bias_k.shape) == (1, 1, 16) and m.bias_k.detach().numpy().std() > 0
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5)
    assert sep.in_proj_weight is None and tuple(sep.k_proj_weight.shape) == (8, 3)
    assert nn.MultiheadAttention(8, 2, bias=False).out_proj.bias is None


LAYER_CONFIGS = [
    {},
    {"norm_first": True},
    {"activation": "gelu"},
    {"activation": "gelu_fn"},
    {"activation": "gelu_module", "batch_first": True},
    {"bias": False, "layer_norm_eps": 1e-3},
    {"batch_first": True, "norm_first": True},
]


def layer_kwargs(cfg, lib):
    kw = dict(cfg)
    act = kw.get("activation")
    if act == "gelu_fn":
        kw["activation"] = lib.nn.functional.gelu
    elif act == "gelu_module":
        kw["activation"] = lib.nn.GELU()
    return kw


def layer_pair(name, cfg, **extra):
    t = getattr(torch.nn, name)(E, H, dim_feedforward=12, **layer_kwargs(cfg, torch), **extra).double()
    p = getattr(nn, name)(E, H, dim_feedforward=12, **layer_kwargs(cfg, pydl), **extra).double()
    return t, p


@pytest.mark.parametrize("name", ["TransformerEncoderLayer", "TransformerDecoderLayer"])
@pytest.mark.parametrize("cfg", LAYER_CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_layer_state_dict_and_activation_flag(name, cfg):
    tm, pm = layer_pair(name, cfg)
    assert _keys_and_shapes(pm) == _keys_and_shapes(tm)
    assert repr(pm) == repr(tm)
    if name == "TransformerEncoderLayer":
        assert pm.activation_relu_or_gelu == tm.activation_relu_or_gelu


def test_transformer_state_dict_and_init():
    kw = {"d_model": E, "nhead": H, "num_encoder_layers": 2, "num_decoder_layers": 1, "dim_feedforward": 12}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notice
        tm = torch.nn.Transformer(**kw)
    pm = nn.Transformer(**kw)
    assert _keys_and_shapes(pm) == _keys_and_shapes(tm)
    for name, p in pm.named_parameters():
        v = p.detach().numpy()
        if p.dim() > 1:  # xavier_uniform_ over (fan_out, fan_in)
            bound = (6 / (p.shape[0] + p.shape[1])) ** 0.5
            assert np.abs(v).max() <= bound, name
        elif name.endswith("norm1.weight") or name.endswith("norm.weight"):
            assert (v == 1).all(), name
    # xavier_uniform_ drew each clone afresh
    a, b = pm.encoder.layers[0].linear1.weight, pm.encoder.layers[1].linear1.weight
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())


def test_stack_clones_are_deep_copies():
    layer = nn.TransformerEncoderLayer(E, H, dim_feedforward=12)
    enc = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    ws = [lyr.linear1.weight for lyr in enc.layers]
    assert len({id(w) for w in ws}) == 3 and all(w is not layer.linear1.weight for w in ws)
    for w in ws:
        np.testing.assert_array_equal(w.detach().numpy(), layer.linear1.weight.detach().numpy())
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))
    assert enc.use_nested_tensor is False and enc.mask_check is True
    bf = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, batch_first=True), 1)
    assert bf.use_nested_tensor is True


# --- encoder / decoder layers, stacks, Transformer ----------------------------------------------

def seq_shape(cfg, length):
    return (N, length, E) if cfg.get("batch_first") else (length, N, E)


ENC_MASKS = ["none", "causal", "causal_hint", "kpm", "causal+kpm", "bool3d"]


def enc_masks(kind):
    kw = {}
    if kind.startswith("causal"):
        kw["src_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64).numpy()
    if kind == "causal_hint":
        kw["is_causal"] = True
    if "kpm" in kind:  # float beside a float mask: torch deprecates mixing the two types
        kw["src_key_padding_mask"] = float_mask((N, L)) if "causal" in kind else bool_mask((N, L))
    if kind == "bool3d":
        kw["src_mask"] = bool_mask((N * H, L, L))
    return kw


def split_kw(kw):
    t_kw, p_kw = {}, {}
    for k, v in kw.items():
        t_kw[k], p_kw[k] = const_pair(v) if isinstance(v, np.ndarray) else (v, v)
    return t_kw, p_kw


@pytest.mark.parametrize("masks", ENC_MASKS)
@pytest.mark.parametrize("cfg", LAYER_CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_encoder_layer(cfg, masks):
    tm, pm = layer_pair("TransformerEncoderLayer", cfg)
    tm.eval(), pm.eval()  # the default dropout=0.1 is off in eval
    x = leaf_pair(seq_shape(cfg, L))
    t_kw, p_kw = split_kw(enc_masks(masks))
    compare(tm, pm, [x[0]], [x[1]], t_kw, p_kw, leaves=[x])


DEC_MASKS = ["none", "tgt_causal", "all", "tgt_causal_hint+mem_kpm"]


def dec_masks(kind):
    kw = {}
    if "tgt_causal" in kind or kind == "all":
        kw["tgt_mask"] = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64).numpy()
    if "hint" in kind:
        kw["tgt_is_causal"] = True
    if kind == "all":
        kw["memory_mask"] = bool_mask((L, S))
        kw["tgt_key_padding_mask"] = float_mask((N, L))  # the same type as tgt_mask
    if kind == "all" or "mem_kpm" in kind:
        kw["memory_key_padding_mask"] = bool_mask((N, S))
    return kw


@pytest.mark.parametrize("masks", DEC_MASKS)
@pytest.mark.parametrize("cfg", LAYER_CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_decoder_layer(cfg, masks):
    tm, pm = layer_pair("TransformerDecoderLayer", cfg, dropout=0.0)
    tgt, mem = leaf_pair(seq_shape(cfg, L)), leaf_pair(seq_shape(cfg, S))
    t_kw, p_kw = split_kw(dec_masks(masks))
    compare(tm, pm, [tgt[0], mem[0]], [tgt[1], mem[1]], t_kw, p_kw, leaves=[tgt, mem])


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal", "causal+kpm"])
def test_encoder_stack_with_norm(norm_first, masks):
    stacks = []
    for lib in (torch, pydl):
        layer = lib.nn.TransformerEncoderLayer(E, H, 12, dropout=0.0, norm_first=norm_first)
        stacks.append(lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(E), enable_nested_tensor=False)
                      .double())
    x = leaf_pair((L, N, E))
    kw = {("mask" if k == "src_mask" else k): v for k, v in enc_masks(masks).items()}
    t_kw, p_kw = split_kw(kw)
    compare(*stacks, [x[0]], [x[1]], t_kw, p_kw, leaves=[x])


def test_decoder_stack_with_norm():
    stacks = []
    for lib in (torch, pydl):
        layer = lib.nn.TransformerDecoderLayer(E, H, 12, dropout=0.0, activation="gelu")
        stacks.append(lib.nn.TransformerDecoder(layer, 2, norm=lib.nn.LayerNorm(E)).double())
    tgt, mem = leaf_pair((L, N, E)), leaf_pair((S, N, E))
    t_kw, p_kw = split_kw(dec_masks("all"))
    compare(*stacks, [tgt[0], mem[0]], [tgt[1], mem[1]], t_kw, p_kw, leaves=[tgt, mem])


@pytest.mark.parametrize("cfg", [{}, {"batch_first": True, "norm_first": True}, {"activation": "gelu", "bias": False}],
                         ids=["default", "batch_first-norm_first", "gelu-nobias"])
def test_transformer(cfg):
    kw = {"d_model": E, "nhead": H, "num_encoder_layers": 2, "num_decoder_layers": 2, "dim_feedforward": 12}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Transformer(**kw, **cfg).double().eval()
    pm = nn.Transformer(**kw, **cfg).double().eval()
    src, tgt = leaf_pair(seq_shape(cfg, S)), leaf_pair(seq_shape(cfg, L))
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    p_mask = nn.Transformer.generate_square_subsequent_mask(L, dtype=pydl.float64)
    pad = bool_mask((N, S))
    t_kw = {"tgt_mask": t_mask, "src_key_padding_mask": torch.tensor(pad), "memory_key_padding_mask": torch.tensor(pad)}
    p_kw = {"tgt_mask": p_mask, "src_key_padding_mask": pydl.tensor(pad), "memory_key_padding_mask": pydl.tensor(pad)}
    compare(tm, pm, [src[0], tgt[0]], [src[1], tgt[1]], t_kw, p_kw, leaves=[src, tgt])


def test_transformer_unbatched():
    kw = {"d_model": E, "nhead": H, "num_encoder_layers": 1, "num_decoder_layers": 1, "dim_feedforward": 12,
          "dropout": 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Transformer(**kw).double()
    pm = nn.Transformer(**kw).double()
    src, tgt = leaf_pair((S, E)), leaf_pair((L, E))
    t_kw = {"tgt_mask": torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64),
            "tgt_is_causal": True}
    p_kw = {"tgt_mask": to_pydl(t_kw["tgt_mask"]), "tgt_is_causal": True}
    compare(tm, pm, [src[0], tgt[0]], [src[1], tgt[1]], t_kw, p_kw, leaves=[src, tgt])


def test_generate_square_subsequent_mask():
    p = nn.Transformer.generate_square_subsequent_mask(5)
    t = torch.nn.Transformer.generate_square_subsequent_mask(5)
    assert p.dtype == pydl.float32
    np.testing.assert_array_equal(p.numpy(), t.numpy())
    q = nn.modules.transformer._generate_square_subsequent_mask(3, device="cpu", dtype=pydl.float64)
    assert q.dtype == pydl.float64 and np.isneginf(q.numpy()[0, 1:]).all() and (q.numpy()[1:, 0] == 0).all()
    detect = nn.modules.transformer._detect_is_causal_mask
    assert detect(p) is True and detect(p, is_causal=False) is False
    assert detect(pydl.zeros(5, 5)) is False and detect(None, True) is True


def test_deepcopy_layer_keeps_values():
    layer = nn.TransformerDecoderLayer(E, H, 12, activation="gelu")
    twin = copy.deepcopy(layer)
    assert twin.activation is F.gelu
    for (n, a), (_, b) in zip(layer.named_parameters(), twin.named_parameters()):
        assert a is not b
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=n)


# --- errors (torch's classes and messages) --------------------------------------------------------

def _mha(lib, *args, **kw):
    return lib.nn.MultiheadAttention(E, H, *args, **kw)


@pytest.mark.parametrize("call, expected, fragment", [
    (lambda lib: lib.nn.MultiheadAttention(E, 3), AssertionError, "embed_dim must be divisible by num_heads"),
    (lambda lib: lib.nn.MultiheadAttention(0, 2), ValueError, "embed_dim and num_heads must be greater than 0"),
    (lambda lib: _mha(lib)(*[lib.zeros(L, N, 6)] * 3), AssertionError,
     "was expecting embedding dimension of 8, but got 6"),
    (lambda lib: _mha(lib)(lib.zeros(L, N, E), lib.zeros(S, N, E), lib.zeros(L, N, E)), AssertionError,
     "does not match value shape"),
    (lambda lib: _mha(lib)(*[lib.zeros(1, L, N, E)] * 3), AssertionError,
     "query should be unbatched 2D or batched 3D tensor but received 4-D query tensor"),
    (lambda lib: _mha(lib)(lib.zeros(L, N, E), lib.zeros(S, E), lib.zeros(S, E)), AssertionError,
     "For batched (3-D) `query`, expected `key` and `value` to be 3-D"),
    (lambda lib: _mha(lib)(*[lib.zeros(L, N, E)] * 3, attn_mask=lib.zeros(L, L + 1)), RuntimeError,
     "The shape of the 2D attn_mask is"),
    (lambda lib: _mha(lib)(*[lib.zeros(L, N, E)] * 3, attn_mask=lib.zeros(N, L, L)), RuntimeError,
     "The shape of the 3D attn_mask is"),
    (lambda lib: _mha(lib)(*[lib.zeros(L, E)] * 3, attn_mask=lib.zeros(N, L, L)), AssertionError,
     "Expected `attn_mask` shape to be (2, 4, 4)"),
    (lambda lib: _mha(lib)(*[lib.zeros(L, N, E)] * 3, key_padding_mask=lib.zeros(N, L + 1, dtype=lib.bool)),
     AssertionError, "Expected key_padded_mask.shape[1] to be 4, but got 5"),
    (lambda lib: _mha(lib)(*[lib.zeros(L, N, E)] * 3, attn_mask=lib.zeros(L, L, dtype=lib.int64)), AssertionError,
     "only bool and floating types of attn_mask are supported"),
    (lambda lib: _mha(lib)(*[lib.zeros(L, N, E)] * 3, is_causal=True), RuntimeError,
     "Need attn_mask if specifying the is_causal hint"),
    (lambda lib: lib.nn.TransformerEncoderLayer(E, H, activation="tanh"), RuntimeError,
     "activation should be relu/gelu, not tanh"),
    (lambda lib: lib.nn.Transformer(E, H, 1, 1, 12)(lib.zeros(S, N, E), lib.zeros(L, N + 1, E)), RuntimeError,
     "the batch number of src and tgt must be equal"),
    (lambda lib: lib.nn.Transformer(E, H, 1, 1, 12)(lib.zeros(S, N, E), lib.zeros(L, N, 6)), RuntimeError,
     "the feature number of src and tgt must be equal to d_model"),
])
def test_errors(call, expected, fragment):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(expected, call, fragment)
