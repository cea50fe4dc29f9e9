"""Convolution (conv1d/2d/3d, conv_transpose1d/2d/3d) and unfold/fold: forward against a NumPy
float64 reference written here (loops over kernel offsets on an explicitly zero-padded input;
the transposed convolution as the scatter-add of input * weight), and against torch where
installed; gradcheck / gradgradcheck; and the errors, with torch's exception class and the key
part of its message."""
import numpy as np
import pytest

import pydl
import pydl.nn.functional as F
from layouts import LAYOUTS, as_layout as as_pydl
from pydl.autograd import gradcheck, gradgradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:
    torch = TF = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch as the oracle")
RNG = np.random.default_rng(0)
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def tup(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


# ---------------------------------------------------------------- NumPy references (float64)

def np_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = x.ndim == w.ndim - 1
    x = x[None] if unbatched else x
    nd, K = w.ndim - 2, w.shape[2:]
    s, d = tup(stride, nd), tup(dilation, nd)
    if padding == "valid":
        pads = [(0, 0)] * nd
    elif padding == "same":  # total d*(k-1); the odd one goes on the right, as in PyTorch
        pads = [(di * (k - 1) // 2, di * (k - 1) - di * (k - 1) // 2) for di, k in zip(d, K)]
    else:
        pads = [(p, p) for p in tup(padding, nd)]
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + pads)
    out_sz = [(xp.shape[2 + i] - d[i] * (K[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    O, cg = w.shape[0], x.shape[1] // groups
    og = O // groups
    out = np.zeros((x.shape[0], O, *out_sz))
    for g in range(groups):
        xg = xp[:, g * cg:(g + 1) * cg]
        for k in np.ndindex(*K):
            sl = tuple(slice(k[i] * d[i], k[i] * d[i] + s[i] * (out_sz[i] - 1) + 1, s[i]) for i in range(nd))
            out[:, g * og:(g + 1) * og] += np.einsum("nc...,oc->no...", xg[(Ellipsis,) + sl],
                                                      w[(slice(g * og, (g + 1) * og), slice(None)) + k])
    if b is not None:
        out += b.reshape((1, -1) + (1,) * nd)
    return out[0] if unbatched else out


def np_conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    unbatched = x.ndim == w.ndim - 1
    x = x[None] if unbatched else x
    nd, K = w.ndim - 2, w.shape[2:]
    s, p, op, d = tup(stride, nd), tup(padding, nd), tup(output_padding, nd), tup(dilation, nd)
    S = x.shape[2:]
    cg, og = x.shape[1] // groups, w.shape[1]
    full = np.zeros((x.shape[0], og * groups) + tuple((S[i] - 1) * s[i] + d[i] * (K[i] - 1) + 1 + op[i]
                                                      for i in range(nd)))
    for g in range(groups):  # each input element adds input * weight at stride*i + dilation*k
        for k in np.ndindex(*K):
            sl = tuple(slice(k[i] * d[i], k[i] * d[i] + s[i] * (S[i] - 1) + 1, s[i]) for i in range(nd))
            full[(slice(None), slice(g * og, (g + 1) * og)) + sl] += np.einsum(
                "nc...,co->no...", x[:, g * cg:(g + 1) * cg], w[(slice(g * cg, (g + 1) * cg), slice(None)) + k])
    out = full[(Ellipsis,) + tuple(slice(p[i], full.shape[2 + i] - p[i]) for i in range(nd))]
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * nd)
    return out[0] if unbatched else out


def np_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    K, d, p, s = (tup(v, 2) for v in (kernel_size, dilation, padding, stride))
    xp = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p[0], p[0]), (p[1], p[1])])
    oh, ow = ((xp.shape[-2 + i] - d[i] * (K[i] - 1) - 1) // s[i] + 1 for i in range(2))
    cols = [xp[..., i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0], j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]]
            for i in range(K[0]) for j in range(K[1])]  # each (..., C, oh, ow)
    out = np.stack(cols, axis=-3)  # (..., C, kh*kw, oh, ow): row index c*kh*kw + i*kw + j
    return out.reshape(x.shape[:-2][:-1] + (x.shape[-3] * K[0] * K[1], oh * ow))


def np_fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    K, d, p, s, S = (tup(v, 2) for v in (kernel_size, dilation, padding, stride, output_size))
    lead, C = x.shape[:-2], x.shape[-2] // (K[0] * K[1])
    oh, ow = ((S[i] + 2 * p[i] - d[i] * (K[i] - 1) - 1) // s[i] + 1 for i in range(2))
    cols = x.reshape(lead + (C, K[0], K[1], oh, ow))
    out = np.zeros(lead + (C, S[0] + 2 * p[0], S[1] + 2 * p[1]))
    for i in range(K[0]):
        for j in range(K[1]):
            out[..., i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0], j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]] \
                += cols[..., i, j, :, :]
    return out[..., p[0]:p[0] + S[0], p[1]:p[1] + S[1]]


# ---------------------------------------------------------------- cases

CONV_CASES = [  # id, N (None: unbatched), C_in, C_out, spatial, kernel, kwargs (bias=True adds one)
    ("1d", 2, 3, 4, (9,), (3,), dict(bias=True)),
    ("1d_s3_p2", 1, 2, 3, (11,), (4,), dict(stride=3, padding=2)),
    ("1d_pad_gt_kernel", 1, 1, 2, (3,), (2,), dict(padding=3, bias=True)),
    ("1d_dil2_groups", 2, 6, 4, (13,), (3,), dict(dilation=2, groups=2, bias=True)),
    ("1d_depthwise", 1, 4, 4, (7,), (3,), dict(groups=4, padding=1, bias=True)),
    ("1d_same_even", 1, 3, 2, (8,), (4,), dict(padding="same")),
    ("1d_same_dil", 2, 2, 3, (7,), (2,), dict(padding="same", dilation=3, bias=True)),
    ("1d_valid", 1, 2, 2, (6,), (6,), dict(padding="valid")),
    ("1d_unbatched", None, 3, 2, (9,), (2,), dict(stride=2, bias=True)),
    ("2d", 1, 3, 4, (7, 9), (3, 2), dict(stride=(2, 3), padding=(1, 0), bias=True)),
    ("2d_dil", 2, 2, 3, (9, 8), (3, 3), dict(dilation=(2, 1), padding=(2, 1))),
    ("2d_groups", 2, 4, 6, (6, 7), (2, 3), dict(groups=2, stride=2, bias=True)),
    ("2d_depthwise_x2", 1, 3, 6, (8, 5), (3, 3), dict(groups=3, padding=1)),
    ("2d_depthwise", 1, 4, 4, (5, 5), (3, 3), dict(groups=4, bias=True)),
    ("2d_same_even", 1, 2, 3, (6, 7), (2, 4), dict(padding="same", bias=True)),
    ("2d_same_odd_dil", 2, 2, 2, (7, 6), (3, 5), dict(padding="same", dilation=2)),
    ("2d_valid_1x1", 1, 5, 3, (4, 3), (1, 1), dict(padding="valid", bias=True)),
    ("2d_unbatched", None, 2, 3, (6, 5), (3, 2), dict(padding=1, stride=(1, 2))),
    ("2d_kernel_is_input", 1, 2, 2, (3, 4), (3, 4), {}),
    ("3d", 1, 2, 3, (5, 6, 4), (2, 3, 2), dict(stride=(1, 2, 2), padding=(1, 0, 1), bias=True)),
    ("3d_dil_groups", 2, 4, 2, (6, 5, 7), (2, 2, 3), dict(dilation=(2, 1, 2), groups=2)),
    ("3d_same", 1, 2, 2, (4, 5, 3), (2, 3, 2), dict(padding="same", bias=True)),
    ("3d_unbatched", None, 2, 2, (4, 4, 5), (3, 2, 2), dict(stride=3)),
]
# Layers the CPU runs with its direct kernels. With >= 16 output channels per group, output
# channels along the vector lanes: part-filled channel blocks (20, 40), rows split into unequal
# tiles (31, 15 wide), input channels that do not fill a tile (5, 17), width stride 2 with other
# height strides, dilation, groups, 1-D, 'same' with an even kernel, a 1x1 stride-2 shortcut, an
# input gradient (the adjoint convolution) with 18 output channels. With fewer, positions along
# the lanes, here with many multiply-adds per output (360, 150).
DIRECT_CASES = [
    ("ct_s1_tails", 2, 5, 20, (9, 31), (3, 3), dict(padding=1, bias=True)),
    ("ct_s2_two_blocks", 2, 17, 40, (11, 30), (3, 3), dict(stride=2, padding=1)),
    ("ct_s3x2_dil", 1, 6, 16, (13, 15), (3, 2), dict(stride=(3, 2), dilation=(2, 3), padding=(2, 1), bias=True)),
    ("ct_groups", 2, 8, 32, (7, 7), (3, 3), dict(groups=2, padding=1, bias=True)),
    ("ct_1d_s2", 2, 3, 24, (40,), (5,), dict(stride=2, padding=2)),
    ("ct_same_even", 1, 4, 16, (6, 6), (4, 4), dict(padding="same")),
    ("ct_1x1_s2", 2, 16, 32, (9, 9), (1, 1), dict(stride=2, bias=True)),
    ("ct_input_grad", 1, 18, 5, (6, 17), (3, 3), dict(padding=(1, 2), dilation=(1, 2))),  # 18 grad channels
    ("few_out_many_in", 2, 40, 3, (7, 9), (3, 3), dict(padding=1, bias=True)),
    ("few_out_1d_dil", 1, 30, 5, (20,), (5,), dict(dilation=2, padding=4)),
]
CONV_CASES += DIRECT_CASES
CT_CASES = [  # id, N, C_in, C_out, spatial, kernel, kwargs
    ("1d", 2, 3, 2, (5,), (3,), dict(bias=True)),
    ("1d_s2_op1", 1, 2, 3, (4,), (3,), dict(stride=2, padding=1, output_padding=1)),
    ("1d_groups_dil", 2, 4, 6, (5,), (2,), dict(groups=2, dilation=2, bias=True)),
    ("1d_unbatched", None, 2, 2, (6,), (4,), dict(stride=3, padding=2, output_padding=2)),
    ("2d", 1, 3, 2, (4, 5), (3, 2), dict(stride=(2, 1), padding=(1, 0), bias=True)),
    ("2d_op_dil", 2, 2, 3, (3, 4), (3, 3), dict(stride=2, output_padding=(1, 0), dilation=(1, 2))),
    ("2d_op_below_dil", 1, 2, 2, (3, 3), (2, 2), dict(dilation=3, output_padding=2)),
    ("2d_depthwise", 1, 4, 4, (4, 4), (3, 3), dict(groups=4, stride=2, padding=1, bias=True)),
    ("2d_groups", 2, 6, 4, (3, 5), (2, 3), dict(groups=2, padding=(0, 1))),
    ("2d_unbatched", None, 3, 2, (4, 3), (2, 2), dict(stride=2, bias=True)),
    ("3d", 1, 2, 2, (3, 4, 3), (2, 3, 2), dict(stride=(2, 1, 2), padding=(0, 1, 1), output_padding=(1, 0, 1),
                                               bias=True)),
    ("3d_groups_dil", 1, 4, 2, (3, 3, 2), (2, 2, 2), dict(groups=2, dilation=2)),
]
def arrays(case, transposed=False):
    _, N, C, O, S, K, kw = case
    kw = dict(kw)
    g = kw.get("groups", 1)
    x = RNG.standard_normal(((N,) if N else ()) + (C,) + S)
    w = RNG.standard_normal((C, O // g) + K if transposed else (O, C // g) + K)
    b = RNG.standard_normal(O) if kw.pop("bias", False) else None
    return x, w, b, kw


def as_torch(a, dtype=None):
    return None if a is None else torch.tensor(a, dtype=dtype or torch.float64)


def check(got, want, dtype):
    assert got.dtype == dtype and tuple(got.shape) == want.shape
    tol = 1e-10 if dtype == pydl.float64 else 1e-4
    np.testing.assert_allclose(got.numpy().astype(np.float64), want, rtol=tol, atol=tol * max(1, np.abs(want).max()))


# ---------------------------------------------------------------- forward

@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [pydl.float32, pydl.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_vs_numpy(case, dtype, layout):
    x, w, b, kw = arrays(case)
    got = CONV[len(case[4])](as_pydl(x, dtype, layout), as_pydl(w, dtype), as_pydl(b, dtype), **kw)
    check(got, np_conv(x, w, b, **kw), dtype)


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("dtype", [pydl.float32, pydl.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CT_CASES, ids=[c[0] for c in CT_CASES])
def test_conv_transpose_vs_numpy(case, dtype, layout):
    x, w, b, kw = arrays(case, transposed=True)
    got = CONVT[len(case[4])](as_pydl(x, dtype, layout), as_pydl(w, dtype), as_pydl(b, dtype), **kw)
    check(got, np_conv_transpose(x, w, b, **kw), dtype)


def test_noncontiguous_weight_and_top_level_names():
    x, w, b, kw = arrays(CONV_CASES[9])
    want = np_conv(x, w, b, **kw)
    check(F.conv2d(as_pydl(x), as_pydl(w, layout="transposed"), as_pydl(b, layout="sliced"), **kw), want, pydl.float64)
    check(pydl.conv2d(as_pydl(x), as_pydl(w), as_pydl(b), **kw), want, pydl.float64)
    x, w, b, kw = arrays(CT_CASES[4], transposed=True)
    check(pydl.conv_transpose2d(as_pydl(x), as_pydl(w, layout="sliced"), as_pydl(b), **kw),
          np_conv_transpose(x, w, b, **kw), pydl.float64)


@pytest.mark.parametrize("transposed", [False, True])
def test_larger_shapes(transposed):
    """Sizes past the small-problem paths (blocked / parallel loops), gradients against torch."""
    x = RNG.standard_normal((4, 16, 33, 31) if not transposed else (2, 16, 17, 15))
    w = RNG.standard_normal((32, 8, 3, 3) if not transposed else (16, 6, 3, 3))
    b = RNG.standard_normal(w.shape[1] * 2 if transposed else 32)
    kw = dict(stride=2, padding=1, groups=2, **(dict(output_padding=1) if transposed else {}))
    fn, ref = (F.conv_transpose2d, np_conv_transpose) if transposed else (F.conv2d, np_conv)
    check(fn(as_pydl(x, pydl.float32), as_pydl(w, pydl.float32), as_pydl(b, pydl.float32), **kw), ref(x, w, b, **kw),
          pydl.float32)
    if torch is None:
        return
    px, pw, pb = (pydl.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y = fn(px, pw, pb, **kw)
    g = RNG.standard_normal(tuple(y.shape))
    y.backward(pydl.tensor(g))
    getattr(TF, "conv_transpose2d" if transposed else "conv2d")(tx, tw, tb, **kw).backward(torch.tensor(g))
    for p, t in ((px, tx), (pw, tw), (pb, tb)):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-9)


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", DIRECT_CASES, ids=[c[0] for c in DIRECT_CASES])
def test_direct_kernel_grads_vs_torch(case, dtype):
    """Input, weight and bias gradients of the channel-vector kernel's layers, against torch."""
    x, w, b, kw = arrays(case)
    nd = len(case[4])
    px, pw = pydl.tensor(x, dtype=getattr(pydl, dtype), requires_grad=True), pydl.tensor(w, dtype=getattr(pydl, dtype), requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    pb = tb = None
    if b is not None:
        pb, tb = pydl.tensor(b, dtype=getattr(pydl, dtype), requires_grad=True), torch.tensor(b, requires_grad=True)
    y = CONV[nd](px, pw, pb, **kw)
    g = RNG.standard_normal(tuple(y.shape))
    y.backward(pydl.tensor(g, dtype=getattr(pydl, dtype)))
    getattr(TF, f"conv{nd}d")(tx, tw, tb, **kw).backward(torch.tensor(g))
    tol = 1e-9 if dtype == "float64" else 1e-4
    for p, t in ((px, tx), (pw, tw), (pb, tb)):
        if p is not None:
            want = t.grad.numpy()
            np.testing.assert_allclose(p.grad.numpy(), want, rtol=tol, atol=tol * np.abs(want).max())


def test_integer_forward():
    x, w = RNG.integers(-5, 6, (2, 3, 6, 5)), RNG.integers(-3, 4, (4, 3, 3, 2))
    b = RNG.integers(-9, 10, 4)
    got = F.conv2d(pydl.tensor(x), pydl.tensor(w), pydl.tensor(b), stride=(2, 1), padding=1)
    assert got.dtype == pydl.int64
    np.testing.assert_array_equal(got.numpy(), np_conv(x, w, b, stride=(2, 1), padding=1).astype(np.int64))


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_vs_torch(case):
    x, w, b, kw = arrays(case)
    want = getattr(TF, f"conv{len(case[4])}d")(as_torch(x), as_torch(w), as_torch(b), **kw).numpy()
    check(CONV[len(case[4])](as_pydl(x, layout="transposed"), as_pydl(w), as_pydl(b), **kw), want, pydl.float64)


@needs_torch
@pytest.mark.parametrize("case", CT_CASES, ids=[c[0] for c in CT_CASES])
def test_conv_transpose_vs_torch(case):
    x, w, b, kw = arrays(case, transposed=True)
    want = getattr(TF, f"conv_transpose{len(case[4])}d")(as_torch(x), as_torch(w), as_torch(b), **kw).numpy()
    check(CONVT[len(case[4])](as_pydl(x), as_pydl(w), as_pydl(b), **kw), want, pydl.float64)


@needs_torch
@pytest.mark.parametrize("dtype,tol", [("float16", 1e-2), ("bfloat16", 5e-2)])
@pytest.mark.parametrize("transposed", [False, True])
def test_half_types_vs_float32(dtype, tol, transposed):
    case = CT_CASES[7] if transposed else CONV_CASES[11]
    x, w, b, kw = arrays(case, transposed)
    tx, tw, tb = (torch.tensor(a, dtype=getattr(torch, dtype)) for a in (x, w, b))  # rounded once
    fn = "conv_transpose2d" if transposed else "conv2d"
    want = getattr(TF, fn)(tx.float(), tw.float(), tb.float(), **kw).numpy()
    pd = getattr(pydl, dtype)
    got = getattr(F, fn)(*(pydl.tensor(t.float().numpy(), dtype=pydl.float32).to(pd) for t in (tx, tw, tb)), **kw)
    assert got.dtype == pd
    np.testing.assert_allclose(got.to(pydl.float32).numpy(), want, rtol=tol, atol=tol * np.abs(want).max())


# ---------------------------------------------------------------- gradients

def t64(*shape):
    return pydl.tensor(RNG.uniform(-1, 1, shape), dtype=pydl.float64, requires_grad=True)


GRAD_CASES = [  # id, fn, input shape, weight shape, bias size, kwargs
    ("conv1d", F.conv1d, (2, 4, 7), (4, 2, 3), 4, dict(groups=2, stride=2, padding=1, dilation=2)),
    ("conv2d", F.conv2d, (1, 2, 5, 4), (3, 2, 2, 3), 3, dict(stride=(2, 1), padding=1, dilation=(1, 2))),
    ("conv2d_depthwise_same", F.conv2d, (1, 2, 4, 4), (2, 1, 2, 3), 2, dict(groups=2, padding="same")),
    ("conv2d_unbatched", F.conv2d, (2, 4, 3), (2, 2, 2, 2), None, dict(stride=(2, 1))),
    ("conv3d", F.conv3d, (1, 2, 3, 4, 3), (2, 1, 2, 2, 2), 2,
     dict(groups=2, stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2))),
    ("conv2d_channel_tiles", F.conv2d, (1, 2, 3, 5), (16, 2, 2, 2), 16, dict(stride=(1, 2), padding=(0, 1))),
    ("conv2d_channel_tiles_s2", F.conv2d, (2, 3, 4, 6), (20, 3, 3, 3), 20, dict(stride=2, padding=1)),
    ("conv_transpose1d", F.conv_transpose1d, (1, 4, 4), (4, 1, 3), 2,
     dict(groups=2, stride=2, padding=1, output_padding=1)),
    ("conv_transpose1d_dil", F.conv_transpose1d, (2, 2, 3), (2, 2, 2), 2, dict(dilation=3, padding=1)),
    ("conv_transpose2d", F.conv_transpose2d, (1, 2, 3, 3), (2, 2, 2, 3), 2,
     dict(stride=2, padding=(0, 1), dilation=(2, 1), output_padding=1)),
    ("conv_transpose2d_groups", F.conv_transpose2d, (1, 4, 2, 3), (4, 1, 2, 2), 2, dict(groups=2, stride=(1, 2))),
    ("conv_transpose3d", F.conv_transpose3d, (1, 2, 2, 2, 3), (2, 1, 2, 2, 2), 1, dict(stride=(2, 1, 1), padding=1)),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(case):
    _, fn, xs, ws, bs, kw = case
    args = (t64(*xs), t64(*ws)) + ((t64(bs),) if bs else ())
    assert gradcheck(lambda *a: fn(*a, **kw), args)


@pytest.mark.parametrize("fn,xs,ws,kw", [
    (F.conv2d, (1, 2, 4, 3), (2, 2, 2, 2), dict(stride=(2, 1), padding=1, dilation=(1, 2))),
    (F.conv_transpose2d, (1, 2, 2, 3), (2, 2, 2, 2), dict(stride=2, padding=(1, 0), output_padding=1)),
], ids=["conv2d", "conv_transpose2d"])
def test_gradgradcheck(fn, xs, ws, kw):
    assert gradgradcheck(lambda x, w, b: fn(x, w, b, **kw), (t64(*xs), t64(*ws), t64(2)))


@pytest.mark.parametrize("fn,xs,ws", [(F.conv1d, (1, 2, 5), (3, 2, 2)), (F.conv2d, (1, 2, 4, 4), (3, 2, 2, 2)),
                                      (F.conv3d, (1, 2, 3, 3, 3), (1, 2, 2, 2, 2)),
                                      (F.conv_transpose2d, (1, 2, 3, 3), (2, 3, 2, 2))])
def test_grad_fn_name_and_grad_shapes(fn, xs, ws):
    x, w = t64(*xs), t64(*ws)
    y = fn(x, w)
    assert y.requires_grad and y.grad_fn.name() == "ConvolutionBackward0"
    y.sum().backward()
    assert tuple(x.grad.shape) == xs and tuple(w.grad.shape) == ws
    assert not fn(x.detach(), w.detach()).requires_grad


# ---------------------------------------------------------------- unfold / fold

FOLD_CASES = [  # input shape (C, H, W) with optional N, kernel_size, dilation, padding, stride
    ((2, 3, 6, 7), (2, 3), 1, 0, 1),
    ((1, 2, 7, 6), (3, 2), (2, 1), (1, 2), (2, 3)),
    ((3, 5, 5), 2, 1, 1, 2),
    ((1, 1, 4, 4), 4, 1, 0, 1),
]


@pytest.mark.parametrize("case", FOLD_CASES, ids=[str(c[0]) for c in FOLD_CASES])
def test_unfold_fold_vs_numpy_and_torch(case):
    shape, k, d, p, s = case
    x = RNG.standard_normal(shape)
    want = np_unfold(x, k, d, p, s)
    got = F.unfold(as_pydl(x, layout="transposed"), k, dilation=d, padding=p, stride=s)
    check(got, want, pydl.float64)
    cols = RNG.standard_normal(want.shape)
    want_f = np_fold(cols, shape[-2:], k, d, p, s)
    check(F.fold(pydl.tensor(cols), shape[-2:], k, dilation=d, padding=p, stride=s), want_f, pydl.float64)
    check(F.fold(pydl.tensor(cols, dtype=pydl.float32), shape[-2:], k, d, p, s), want_f, pydl.float32)
    if torch is not None:
        np.testing.assert_allclose(TF.unfold(as_torch(x), k, d, p, s).numpy(), want, rtol=1e-12)
        np.testing.assert_allclose(TF.fold(as_torch(cols), shape[-2:], k, d, p, s).numpy(), want_f, rtol=1e-12)


@pytest.mark.parametrize("case", FOLD_CASES[1:3], ids=[str(c[0]) for c in FOLD_CASES[1:3]])
def test_unfold_fold_gradcheck(case):
    shape, k, d, p, s = case
    assert gradcheck(lambda x: F.unfold(x, k, d, p, s), (t64(*shape),))
    cols = np_unfold(np.zeros(shape), k, d, p, s)
    assert gradcheck(lambda c: F.fold(c, shape[-2:], k, d, p, s), (t64(*cols.shape),))


# ---------------------------------------------------------------- errors

def _o(*shape, dtype="float32"):
    return lambda L: L.ones(shape, dtype=getattr(L, dtype))


def E(id, call, makers, phrase, cls=RuntimeError):
    """An error case; `cls` is the class expected when torch is not there to say."""
    return pytest.param(call, makers, phrase, cls, id=id)


ERRORS = [  # id, call(F, *args), arg makers, key phrase of pydl's message
    E("channels", lambda F, x, w: F.conv2d(x, w), [_o(1, 3, 8, 8), _o(4, 4, 3, 3)],
     "Given groups=1, weight of size [4, 4, 3, 3], expected input[1, 3, 8, 8] to have 4 channels, "
     "but got 3 channels instead"),
    E("kernel_too_big", lambda F, x, w: F.conv2d(x, w), [_o(1, 3, 2, 2), _o(4, 3, 3, 3)],
     "Kernel size can't be greater than actual input size"),
    E("kernel_too_big_dilated", lambda F, x, w: F.conv1d(x, w, dilation=3), [_o(1, 1, 6), _o(1, 1, 3)],
     "Kernel size can't be greater than actual input size"),
    E("groups_weight", lambda F, x, w: F.conv2d(x, w, groups=2), [_o(1, 4, 8, 8), _o(3, 2, 3, 3)],
     "expected weight to be divisible by 2 at dimension 0"),
    E("groups_input", lambda F, x, w: F.conv2d(x, w, groups=2), [_o(1, 5, 8, 8), _o(4, 2, 3, 3)],
     "to have 4 channels, but got 5 channels instead"),
    E("groups_zero", lambda F, x, w: F.conv2d(x, w, groups=0), [_o(1, 4, 8, 8), _o(4, 4, 3, 3)],
     "non-positive groups is not supported"),
    E("transpose_too_small", lambda F, x, w: F.conv_transpose2d(x, w, padding=3), [_o(1, 1, 2, 2), _o(1, 1, 3, 3)],
     "Output size is too small"),
    E("transpose_output_padding", lambda F, x, w: F.conv_transpose2d(x, w, stride=2, output_padding=2),
     [_o(1, 1, 4, 4), _o(1, 1, 3, 3)], "output padding must be smaller than either stride or dilation"),
    E("transpose_channels", lambda F, x, w: F.conv_transpose2d(x, w), [_o(1, 3, 4, 4), _o(2, 1, 3, 3)],
     "expected input[1, 3, 4, 4] to have 2 channels"),
    E("stride_zero", lambda F, x, w: F.conv2d(x, w, stride=0), [_o(1, 3, 8, 8), _o(4, 3, 3, 3)],
     "non-positive stride is not supported"),
    E("stride_negative", lambda F, x, w: F.conv1d(x, w, stride=-1), [_o(1, 3, 8), _o(4, 3, 3)],
     "non-positive stride is not supported"),
    E("padding_negative", lambda F, x, w: F.conv2d(x, w, padding=-1), [_o(1, 3, 8, 8), _o(4, 3, 3, 3)],
     "negative padding is not supported"),
    E("dilation_zero", lambda F, x, w: F.conv2d(x, w, dilation=0), [_o(1, 3, 8, 8), _o(4, 3, 3, 3)],
     "dilation should be greater than zero"),
    E("same_strided", lambda F, x, w: F.conv2d(x, w, stride=2, padding="same"), [_o(1, 3, 8, 8), _o(4, 3, 3, 3)],
     "padding='same' is not supported for strided convolutions"),
    E("padding_string", lambda F, x, w: F.conv2d(x, w, padding="full"), [_o(1, 3, 8, 8), _o(4, 3, 3, 3)],
     "Invalid padding string: 'full'"),
    E("bias_size", lambda F, x, w, b: F.conv2d(x, w, b), [_o(1, 3, 8, 8), _o(4, 3, 3, 3), _o(3)],
     "expected bias to be 1-dimensional with 4 elements"),
    E("bias_2d", lambda F, x, w, b: F.conv2d(x, w, b), [_o(1, 3, 8, 8), _o(4, 3, 3, 3), _o(4, 1)],
     "expected bias to be 1-dimensional with 4 elements"),
    E("rank_low", lambda F, x, w: F.conv2d(x, w), [_o(3, 8), _o(4, 3, 3, 3)],
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [3, 8]"),
    E("rank_high", lambda F, x, w: F.conv2d(x, w), [_o(1, 1, 3, 8, 8), _o(4, 3, 3, 3)],
     "Expected 3D (unbatched) or 4D (batched) input to conv2d"),
    E("rank_conv1d", lambda F, x, w: F.conv1d(x, w), [_o(8), _o(4, 3, 3)], "Expected 2D (unbatched) or 3D (batched)"),
    E("rank_conv3d", lambda F, x, w: F.conv3d(x, w), [_o(1, 8, 8), _o(4, 1, 3, 3, 3)],
     "Expected 4D (unbatched) or 5D (batched)"),
    E("rank_transpose", lambda F, x, w: F.conv_transpose2d(x, w), [_o(3, 8), _o(3, 1, 3, 3)],
     "input to conv_transpose2d"),
    E("weight_rank", lambda F, x, w: F.conv2d(x, w), [_o(1, 3, 8, 8), _o(4, 3, 3)], ""),
    E("dtype_weight", lambda F, x, w: F.conv2d(x, w), [_o(1, 3, 8, 8), _o(4, 3, 3, 3, dtype="float64")], ""),
    E("dtype_bias", lambda F, x, w, b: F.conv2d(x, w, b), [_o(1, 3, 8, 8), _o(4, 3, 3, 3), _o(4, dtype="float64")],
     "bias type"),
    E("unfold_too_small", lambda F, x: F.unfold(x, 3), [_o(1, 1, 2, 2)], "but its components must be at least one"),
    E("unfold_stride_zero", lambda F, x: F.unfold(x, 3, stride=0), [_o(1, 1, 5, 5)],
      "stride should be greater than zero"),
    E("unfold_kernel_zero", lambda F, x: F.unfold(x, 0), [_o(1, 1, 5, 5)], "kernel size should be greater than zero"),
    E("fold_blocks", lambda F, x: F.fold(x, (4, 4), 3), [_o(1, 9, 5)],
     "to match the calculated number of sliding blocks 2 * 2 = 4"),
    E("fold_channels", lambda F, x: F.fold(x, (4, 4), 3), [_o(1, 8, 4)],
     "to be divisible by the product of kernel_size"),
    E("kernel_zero", lambda F, x, w: F.conv2d(x, w), [_o(1, 1, 5, 5), _o(1, 1, 0, 3)], ""),
    E("weight_out_channels_zero", lambda F, x, w: F.conv1d(x, w), [_o(1, 1, 5), _o(0, 1, 2)],
      "expected weight to be at least 1 at dimension 0"),
    E("transpose_padding_string", lambda F, x, w: F.conv_transpose1d(x, w, padding="same"),
      [_o(1, 1, 5), _o(1, 1, 2)], "padding", cls=TypeError)
]


@pytest.mark.parametrize("call,makers,phrase,cls", ERRORS)
def test_errors(call, makers, phrase, cls):
    if torch is not None:
        with pytest.raises(Exception) as expected:
            call(TF, *(m(torch) for m in makers))
        cls = type(expected.value)
    with pytest.raises(cls) as got:
        call(F, *(m(pydl) for m in makers))
    assert phrase in str(got.value)


def test_dtype_mismatch_message():
    with pytest.raises(RuntimeError, match="should be the same|expected scalar type"):
        F.conv1d(pydl.ones(1, 2, 5), pydl.ones(1, 2, 3, dtype=pydl.float64))


def test_conv_transpose_zero_output_size_like_torch():
    # A transposed conv whose output size works out to 0 returns an empty tensor in 2-D (torch's
    # behaviour) and raises in 3-D, where torch does too; gradients of the empty result are zeros.
    x = pydl.randn(1, 2, 2, 2, requires_grad=True)
    y = F.conv_transpose2d(x, pydl.randn(2, 1, 2, 1), None, (3, 1), (2, 1), (2, 0), 2, (2, 2))
    assert tuple(y.shape) == (1, 2, 4, 0)
    y.sum().backward()
    assert x.grad.abs().sum().item() == 0
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.conv_transpose3d(pydl.randn(1, 2, 6, 2, 8), pydl.randn(2, 1, 4, 1, 1), None, (1, 1, 3), (1, 1, 1),
                           (0, 0, 1), 1, (1, 1, 1))
