"""Pooling: max / avg / adaptive pooling in 1d/2d/3d against a NumPy reference written here
(explicit windows: -inf padding and dilation for max, count_include_pad / divisor_override for
avg, ceil_mode, the adaptive start=floor(i*in/out), end=ceil((i+1)*in/out) rule) and against torch
where installed (return_indices, NaN inputs), lp_pool and max_unpool against torch, gradcheck /
gradgradcheck, and the errors (torch's exception class plus the key part of the message)."""
import itertools
import math

import numpy as np
import pytest

import pydl
import pydl.nn.functional as F
from pydl.autograd import gradcheck, gradgradcheck
from layouts import LAYOUTS, as_layout as as_pydl

try:
    import torch
    import torch.nn.functional as TF
except ImportError:
    torch = TF = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch as the oracle")
RNG = np.random.default_rng(0)


def tup(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


# ---------------------------------------------------------------- NumPy references

def out_len(L, k, s, p, d, ceil):
    num = L + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= L + p:  # the last window must start inside the input or left padding
        o -= 1
    return o


def pool_windows(S, K, s, p, d, ceil):
    """For every output position: per dim, the in-bounds input positions and the padded span."""
    per_dim = []
    for L, k, st, pd, dl in zip(S, K, s, p, d):
        wins = []
        for o in range(out_len(L, k, st, pd, dl, ceil)):
            start = o * st - pd
            pos = [start + j * dl for j in range(k)]
            wins.append(([q for q in pos if 0 <= q < L], min(start + k, L + pd) - start))
        per_dim.append(wins)
    return per_dim


def np_max_pool(x, nd, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    K = tup(kernel, nd)
    s, p, d = tup(stride or K, nd), tup(padding, nd), tup(dilation, nd)
    S, lead = x.shape[-nd:], x.shape[:-nd]
    per_dim = pool_windows(S, K, s, p, d, ceil_mode)
    vals = np.empty(lead + tuple(len(w) for w in per_dim))
    idx = np.empty(vals.shape, dtype=np.int64)
    for o in itertools.product(*(range(len(w)) for w in per_dim)):
        pos = [per_dim[i][o[i]][0] for i in range(nd)]
        win = x[(Ellipsis,) + np.ix_(*pos)].reshape(lead + (-1,))  # row-major scan order
        flat = np.ravel_multi_index(np.meshgrid(*pos, indexing="ij"), S).reshape(-1)
        vals[(Ellipsis,) + o] = win.max(-1)
        idx[(Ellipsis,) + o] = flat[win.argmax(-1)]  # the first maximum
    return vals, idx


def np_avg_pool(x, nd, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor=None):
    K = tup(kernel, nd)
    s, p = tup(stride or K, nd), tup(padding, nd)
    per_dim = pool_windows(x.shape[-nd:], K, s, p, (1,) * nd, ceil_mode)
    out = np.empty(x.shape[:-nd] + tuple(len(w) for w in per_dim))
    for o in itertools.product(*(range(len(w)) for w in per_dim)):
        pos = [per_dim[i][o[i]][0] for i in range(nd)]
        total = x[(Ellipsis,) + np.ix_(*pos)].reshape(x.shape[:-nd] + (-1,)).sum(-1)
        if divisor is None:
            divisor_o = math.prod(per_dim[i][o[i]][1] if count_include_pad else len(pos[i]) for i in range(nd))
        out[(Ellipsis,) + o] = total / (divisor or divisor_o)
    return out


def np_adaptive(x, nd, output_size, kind):
    S = x.shape[-nd:]
    O = tuple(S[i] if o is None else o for i, o in enumerate(tup(output_size, nd)))
    out = np.empty(x.shape[:-nd] + O)
    idx = np.empty(out.shape, dtype=np.int64)
    for o in itertools.product(*(range(n) for n in O)):
        pos = [range(o[i] * S[i] // O[i], -(-(o[i] + 1) * S[i] // O[i])) for i in range(nd)]
        win = x[(Ellipsis,) + np.ix_(*pos)].reshape(x.shape[:-nd] + (-1,))
        flat = np.ravel_multi_index(np.meshgrid(*pos, indexing="ij"), S).reshape(-1)
        out[(Ellipsis,) + o] = win.mean(-1) if kind == "avg" else win.max(-1)
        idx[(Ellipsis,) + o] = flat[win.argmax(-1)]
    return out, idx


# ---------------------------------------------------------------- cases

MAX_CASES = [  # nd, shape, kernel, stride, padding, dilation, ceil_mode
    (1, (2, 3, 11), 3, 2, 1, 1, False),
    (1, (1, 2, 10), 4, 3, 2, 2, True),
    (1, (1, 1, 5), 2, 2, 1, 1, True),  # ceil_mode would add a window that starts in the right padding
    (1, (3, 9), 2, None, 0, 1, True),  # unbatched
    (2, (2, 3, 7, 9), (3, 2), (2, 1), 1, 1, False),
    (2, (1, 2, 8, 7), 3, 2, 1, (2, 1), True),
    (2, (2, 5, 6), 2, None, 0, 1, True),
    (2, (1, 1, 5, 5), 5, 1, 2, 1, False),
    (2, (1, 2, 9, 8), (2, 3), 3, 1, (3, 2), True),
    (3, (1, 2, 5, 6, 7), (2, 3, 2), (2, 2, 1), (1, 1, 0), 1, False),
    (3, (2, 4, 5, 5), 3, 2, 1, (1, 2, 1), True),
    # windows as wide as their stride (2 or 3), unpadded: the CPU's vector kernel. Rows shorter
    # than a vector, several vectors with a partial one, leftover columns and rows, 1-D
    (2, (3, 4, 28, 28), 2, None, 0, 1, False),
    (2, (2, 3, 13, 100), 3, None, 0, 1, False),
    (2, (1, 2, 9, 35), (2, 3), (2, 3), 0, 1, False),
    (1, (2, 3, 37), 2, 2, 0, 1, False),
    (2, (2, 3, 8, 6), 2, None, 0, 1, False),  # rows far shorter than a vector, several per plane
]
AVG_CASES = [  # nd, shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (1, (2, 3, 11), 3, 2, 1, False, True, None),
    (1, (1, 2, 10), 4, 3, 2, True, False, None),
    (1, (3, 5), 2, None, 1, True, True, None),
    (1, (1, 1, 5), 2, 2, 1, True, True, None),
    (2, (2, 3, 7, 9), (3, 2), (2, 1), 1, False, True, None),
    (2, (1, 2, 8, 7), 3, 2, 1, True, False, None),
    (2, (1, 2, 8, 7), 3, 2, 1, True, True, 5),
    (2, (2, 5, 6), 2, None, 0, True, True, None),
    (2, (1, 1, 6, 5), (4, 3), (3, 2), (2, 1), True, False, None),
    (3, (1, 2, 5, 6, 7), (2, 3, 2), (2, 2, 1), (1, 1, 0), False, True, None),
    (3, (2, 4, 5, 5), 3, 2, 1, True, False, None),
    (3, (1, 1, 4, 4, 4), 2, 2, 1, True, True, 3),
    (2, (3, 4, 28, 28), 2, None, 0, False, True, 3),  # the vector kernel's windows, as above
    (2, (2, 3, 13, 100), 3, None, 0, False, True, None),
    (2, (1, 2, 9, 35), (2, 3), (2, 3), 0, False, False, None),
    (1, (2, 3, 37), 2, 2, 0, False, True, None),
    (2, (2, 3, 9, 7), 3, None, 0, False, True, None),
]
ADAPTIVE_CASES = [  # shape, output_size, nd
    ((2, 3, 10), 4, 1), ((3, 7), 3, 1), ((1, 2, 5), 7, 1),
    ((2, 3, 7, 9), (3, 4), 2), ((2, 5, 6), (5, None), 2), ((1, 1, 8, 8), 1, 2), ((1, 2, 5, 7), (4, 6), 2),
    ((1, 2, 5, 6, 7), (2, 3, 4), 3), ((2, 4, 5, 3), (3, None, 5), 3),
]

def check(got, want, dtype=pydl.float64):
    assert got.dtype == dtype and tuple(got.shape) == want.shape
    tol = 1e-12 if dtype == pydl.float64 else 1e-5
    np.testing.assert_allclose(got.numpy().astype(np.float64), want, rtol=tol, atol=tol)


def ids(cases):
    return [f"{c[0]}d-{c[1]}-{i}" for i, c in enumerate(cases)]


# ---------------------------------------------------------------- forward vs NumPy

@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [pydl.float32, pydl.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", MAX_CASES, ids=ids(MAX_CASES))
def test_max_pool_vs_numpy(case, dtype, layout):
    nd, shape, k, s, p, d, ceil = case
    x = RNG.standard_normal(shape)
    want, want_idx = np_max_pool(x.astype(np.float32).astype(np.float64) if dtype == pydl.float32 else x,
                                 nd, k, s, p, d, ceil)
    fn = getattr(F, f"max_pool{nd}d")
    xp = as_pydl(x, dtype, layout)
    check(fn(xp, k, s, p, d, ceil), want, dtype)
    vals, idx = fn(xp, k, s, p, d, ceil_mode=ceil, return_indices=True)
    check(vals, want, dtype)
    assert idx.dtype == pydl.int64
    np.testing.assert_array_equal(idx.numpy(), want_idx)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [pydl.float32, pydl.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", AVG_CASES, ids=ids(AVG_CASES))
def test_avg_pool_vs_numpy(case, dtype, layout):
    nd, shape, k, s, p, ceil, cip, div = case
    x = RNG.standard_normal(shape)
    fn = getattr(F, f"avg_pool{nd}d")
    kw = {} if div is None else dict(divisor_override=div)
    got = fn(as_pydl(x, dtype, layout), k, s, p, ceil, cip, **kw)
    check(got, np_avg_pool(x, nd, k, s, p, ceil, cip, div), dtype)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("case", ADAPTIVE_CASES, ids=[f"{c[2]}d-{c[0]}-{c[1]}" for c in ADAPTIVE_CASES])
def test_adaptive_pool_vs_numpy(case, kind, layout):
    shape, osz, nd = case
    x = RNG.standard_normal(shape)
    want, want_idx = np_adaptive(x, nd, osz, kind)
    fn = getattr(F, f"adaptive_{kind}_pool{nd}d")
    check(fn(as_pydl(x, layout=layout), osz), want)
    check(fn(as_pydl(x, pydl.float32, layout), osz), want, pydl.float32)
    if kind == "max":
        vals, idx = fn(as_pydl(x, layout=layout), osz, return_indices=True)
        check(vals, want)
        np.testing.assert_array_equal(idx.numpy(), want_idx)


@pytest.mark.parametrize("i", [0, 5, 9])
def test_max_pool_ties_pick_the_first(i):
    nd, shape, k, s, p, d, ceil = MAX_CASES[i]
    x = RNG.integers(0, 2, shape).astype(np.float64)
    vals, idx = getattr(F, f"max_pool{nd}d")(pydl.tensor(x), k, s, p, d, ceil, return_indices=True)
    want, want_idx = np_max_pool(x, nd, k, s, p, d, ceil)
    check(vals, want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    vals, idx = getattr(F, f"adaptive_max_pool{nd}d")(pydl.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), np_adaptive(x, nd, 2, "max")[1])


def test_larger_shapes():
    """Sizes past the small-problem paths (parallel loops over planes), gradients against torch."""
    x = RNG.standard_normal((4, 16, 33, 31))
    want, want_idx = np_max_pool(x, 2, 3, 2, 1, (1, 2), True)
    got, idx = F.max_pool2d(pydl.tensor(x), 3, 2, 1, (1, 2), True, True)
    check(got, want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    check(F.avg_pool2d(pydl.tensor(x), 4, 3, 2, True, False), np_avg_pool(x, 2, 4, 3, 2, True, False))
    check(F.adaptive_avg_pool2d(pydl.tensor(x), (7, 5)), np_adaptive(x, 2, (7, 5), "avg")[0])
    if torch is None:
        return
    for name, args in (("max_pool2d", (3, 2, 1, (1, 2), True)), ("avg_pool2d", (4, 3, 2, True, False)),
                       ("max_pool2d", (2,)), ("avg_pool2d", (3,)), ("max_pool2d", ((3, 2),)),
                       ("adaptive_max_pool2d", ((7, 5),)), ("adaptive_avg_pool2d", ((7, 5),))):
        px, tx = pydl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y = getattr(F, name)(px, *args)
        g = RNG.standard_normal(tuple(y.shape))
        y.backward(pydl.tensor(g))
        getattr(TF, name)(tx, *args).backward(torch.tensor(g))
        np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=name)


@needs_torch
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape,k", [((64, 32, 8, 6), 2), ((64, 32, 9, 7), 3), ((64, 64, 4, 5), 2), ((64, 64, 35), 3)])
def test_vector_blocks_on_small_maps_match_torch(kind, shape, k, restore_threads):
    """Output and gradient rows shorter than a vector, planes enough for two threads: the vector
    kernel's whole-vector stores must stay inside their plane (a thread's last plane would
    otherwise write into the first plane of the next thread's share)."""
    pydl.set_num_threads(2)
    nd = len(shape) - 2
    x = RNG.standard_normal(shape)
    px, tx = pydl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fn = f"{kind}_pool{nd}d"
    y, ty = getattr(F, fn)(px, k), getattr(TF, fn)(tx, k)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = RNG.standard_normal(tuple(y.shape))
    y.backward(pydl.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    if kind == "max":
        _, idx = getattr(F, fn)(pydl.tensor(x, dtype=pydl.float32), k, return_indices=True)
        _, tidx = getattr(TF, fn)(torch.tensor(x, dtype=torch.float32), k, return_indices=True)
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_top_level_names():
    x = RNG.standard_normal((2, 3, 9))
    check(pydl.max_pool1d(pydl.tensor(x), 3, 2), np_max_pool(x, 1, 3, 2)[0])
    check(pydl.avg_pool1d(pydl.tensor(x), 3, 2, 1), np_avg_pool(x, 1, 3, 2, 1))
    check(pydl.adaptive_avg_pool1d(pydl.tensor(x), 4), np_adaptive(x, 1, 4, "avg")[0])
    check(pydl.max_pool2d(pydl.tensor(x), 2), np_max_pool(x, 2, 2)[0])


# ---------------------------------------------------------------- forward vs torch

@needs_torch
@pytest.mark.parametrize("case", MAX_CASES, ids=ids(MAX_CASES))
def test_max_pool_vs_torch_with_nan(case):
    nd, shape, k, s, p, d, ceil = case
    x = RNG.standard_normal(shape)
    args = (k, s, p, d, ceil, True)
    for data in (x, np.round(x), np.where(RNG.random(shape) < 0.2, np.nan, x)):  # distinct, ties, NaN
        want, want_idx = getattr(TF, f"max_pool{nd}d")(torch.tensor(data), *args)
        got, idx = getattr(F, f"max_pool{nd}d")(pydl.tensor(data), *args)
        np.testing.assert_array_equal(got.numpy(), want.numpy())  # NaNs in the same places
        np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())


@needs_torch
@pytest.mark.parametrize("case", AVG_CASES, ids=ids(AVG_CASES))
def test_avg_pool_vs_torch(case):
    nd, shape, k, s, p, ceil, cip, div = case
    x = RNG.standard_normal(shape)
    kw = {} if div is None else dict(divisor_override=div)
    want = getattr(TF, f"avg_pool{nd}d")(torch.tensor(x), k, s, p, ceil, cip, **kw).numpy()
    check(getattr(F, f"avg_pool{nd}d")(pydl.tensor(x), k, s, p, ceil, cip, **kw), want)


@needs_torch
@pytest.mark.parametrize("case", ADAPTIVE_CASES, ids=[f"{c[2]}d-{c[0]}-{c[1]}" for c in ADAPTIVE_CASES])
def test_adaptive_pool_vs_torch_with_nan(case):
    shape, osz, nd = case
    x = np.where(RNG.random(shape) < 0.15, np.nan, RNG.standard_normal(shape))
    want = getattr(TF, f"adaptive_avg_pool{nd}d")(torch.tensor(x), osz).numpy()
    np.testing.assert_allclose(getattr(F, f"adaptive_avg_pool{nd}d")(pydl.tensor(x), osz).numpy(), want, rtol=1e-12)
    want, want_idx = getattr(TF, f"adaptive_max_pool{nd}d")(torch.tensor(x), osz, True)
    got, idx = getattr(F, f"adaptive_max_pool{nd}d")(pydl.tensor(x), osz, True)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())


@needs_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_types_vs_torch(dtype):
    x = torch.tensor(RNG.standard_normal((2, 3, 7, 6)), dtype=getattr(torch, dtype))
    px = pydl.tensor(x.float().numpy()).to(getattr(pydl, dtype))
    for name, args in (("max_pool2d", (3, 2, 1)), ("avg_pool2d", (3, 2, 1, True, False)),
                       ("adaptive_avg_pool2d", ((4, 5),)), ("adaptive_max_pool2d", ((3, 2),))):
        got = getattr(F, name)(px, *args)
        assert got.dtype == getattr(pydl, dtype)
        want = getattr(TF, name)(x.float(), *args).numpy()
        np.testing.assert_allclose(got.to(pydl.float32).numpy(), want, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_integer_pooling(dtype):
    # Max pooling takes every integer type (exact, indices as for floats); average pooling int64
    # only, truncating like PyTorch; the adaptive pools no integers (PyTorch's coverage).
    lo = 0 if dtype == "uint8" else -100
    a = RNG.integers(lo, 100, (2, 3, 7, 8)).astype(dtype)
    x = pydl.from_numpy(a)
    vals, idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    want_vals, want_idx = np_max_pool(a.astype(np.float64), 2, 3, 2, 1)
    assert vals.dtype == getattr(pydl, dtype)
    np.testing.assert_array_equal(vals.numpy(), want_vals.astype(dtype))
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    if dtype == "int64":
        got = F.avg_pool2d(x, 3, 2, 1).numpy()
        total = np_avg_pool(a.astype(np.float64), 2, 3, 2, 1) * 9  # count_include_pad: 3 x 3 windows
        np.testing.assert_array_equal(got, np.trunc(total / 9).astype(np.int64))
    else:
        with pytest.raises(NotImplementedError, match="avg_pool2d"):
            F.avg_pool2d(x, 2)
    for fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        with pytest.raises(NotImplementedError):
            fn(x, 2)


LP_CASES = [  # nd, shape, norm_type, kernel, stride, ceil_mode
    (1, (2, 3, 9), 2, 3, 2, False), (1, (3, 8), 1, 2, None, True), (2, (2, 3, 7, 6), 3, (2, 3), (2, 1), True),
    (2, (1, 2, 6, 6), 2.5, 2, None, False), (3, (1, 2, 5, 4, 6), 2, (2, 2, 3), 2, True),
]


@needs_torch
@pytest.mark.parametrize("positive", [True, False])
@pytest.mark.parametrize("case", LP_CASES, ids=[f"{c[0]}d-{c[1]}-p{c[2]}" for c in LP_CASES])
def test_lp_pool_vs_torch(case, positive):
    nd, shape, pnorm, k, s, ceil = case
    x = RNG.uniform(0.1, 2, shape) if positive else RNG.standard_normal(shape)
    want = getattr(TF, f"lp_pool{nd}d")(torch.tensor(x), pnorm, k, s, ceil).numpy()
    got = getattr(F, f"lp_pool{nd}d")(pydl.tensor(x), pnorm, k, s, ceil).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)  # NaN (negative ** 1/p) where torch has it


UNPOOL_CASES = [  # nd, shape, kernel, stride, padding, output_size= the pooled input's size
    (1, (2, 3, 9), 3, 2, 1, True), (1, (3, 8), 2, None, 0, False), (2, (2, 3, 7, 6), (2, 3), (2, 2), (1, 1), True),
    (2, (2, 6, 4), 2, None, 0, False), (3, (1, 2, 5, 4, 6), 2, 2, 1, True),
]


@needs_torch
@pytest.mark.parametrize("case", UNPOOL_CASES, ids=[f"{c[0]}d-{c[1]}" for c in UNPOOL_CASES])
def test_max_unpool_vs_torch(case):
    nd, shape, k, s, p, grow = case
    x = RNG.standard_normal(shape)
    pooled, idx = getattr(TF, f"max_pool{nd}d")(torch.tensor(x), k, s, p, return_indices=True)
    size = tuple(x.shape[-nd:]) if grow else None  # the input's size: up to stride - 1 above the default
    want = getattr(TF, f"max_unpool{nd}d")(pooled, idx, k, s, p, size).numpy()
    got = getattr(F, f"max_unpool{nd}d")(pydl.tensor(pooled.numpy()), pydl.tensor(idx.numpy()), k, s, p, size)
    check(got, want)


# ---------------------------------------------------------------- gradients

def distinct(*shape):
    """Values at least 1/n apart, so that ±eps perturbations never move a maximum."""
    n = math.prod(shape)
    return pydl.tensor(RNG.permutation(n).reshape(shape) / n, dtype=pydl.float64, requires_grad=True)


GRAD_CASES = [  # id, fn, input shape, kwargs
    ("max_pool1d", F.max_pool1d, (2, 2, 7), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ("max_pool2d", F.max_pool2d, (1, 2, 5, 6), dict(kernel_size=(3, 2), stride=(1, 2), padding=1)),
    ("max_pool2d_unbatched", F.max_pool2d, (2, 5, 4), dict(kernel_size=2, stride=1, dilation=(2, 1))),
    ("max_pool3d", F.max_pool3d, (1, 1, 4, 4, 5), dict(kernel_size=2, stride=(2, 1, 2), padding=(1, 0, 1))),
    ("avg_pool1d", F.avg_pool1d, (2, 2, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                 count_include_pad=False)),
    ("avg_pool2d", F.avg_pool2d, (1, 2, 5, 6), dict(kernel_size=(3, 2), stride=(1, 2), padding=1)),
    ("max_pool2d_blocks", F.max_pool2d, (1, 2, 5, 7), dict(kernel_size=2)),
    ("avg_pool2d_blocks", F.avg_pool2d, (1, 2, 7, 10), dict(kernel_size=3)),
    ("avg_pool2d_divisor", F.avg_pool2d, (2, 4, 5), dict(kernel_size=2, ceil_mode=True, divisor_override=3)),
    ("avg_pool3d", F.avg_pool3d, (1, 1, 4, 4, 5), dict(kernel_size=2, stride=(2, 1, 2), padding=(1, 0, 1),
                                                       count_include_pad=False)),
    ("adaptive_avg_pool1d", F.adaptive_avg_pool1d, (2, 2, 7), dict(output_size=3)),
    ("adaptive_avg_pool2d", F.adaptive_avg_pool2d, (1, 2, 5, 6), dict(output_size=(3, 4))),
    ("adaptive_avg_pool3d", F.adaptive_avg_pool3d, (1, 3, 4, 5), dict(output_size=(2, 3, 2))),
    ("adaptive_max_pool1d", F.adaptive_max_pool1d, (2, 2, 7), dict(output_size=3)),
    ("adaptive_max_pool2d", F.adaptive_max_pool2d, (1, 2, 5, 6), dict(output_size=(3, 4))),
    ("adaptive_max_pool3d", F.adaptive_max_pool3d, (1, 3, 4, 5), dict(output_size=(2, 3, 2))),
    ("lp_pool1d", F.lp_pool1d, (2, 2, 7), dict(norm_type=2, kernel_size=3, stride=2)),
    ("lp_pool2d", F.lp_pool2d, (1, 2, 5, 6), dict(norm_type=3, kernel_size=2, ceil_mode=True)),
    ("lp_pool3d", F.lp_pool3d, (1, 1, 4, 4, 5), dict(norm_type=2, kernel_size=2)),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(case):
    _, fn, shape, kw = case
    x = distinct(*shape)
    if fn in (F.lp_pool1d, F.lp_pool2d, F.lp_pool3d):
        x = pydl.tensor(x.detach().numpy() + 0.5, requires_grad=True)  # positive: the root is smooth
    assert gradcheck(lambda a: fn(a, **kw), (x,))
    y = fn(x, **kw)
    y.sum().backward()
    assert tuple(x.grad.shape) == shape


# non-overlapping windows: two windows sharing a maximum would scatter to one place (undefined in torch)
@pytest.mark.parametrize("nd,shape,k,s,p", [(1, (2, 2, 7), 3, 3, 1), (2, (1, 2, 4, 5), 2, (2, 3), 0),
                                            (3, (1, 1, 4, 3, 4), 2, 2, 1)])
def test_max_unpool_gradcheck(nd, shape, k, s, p):
    _, idx = getattr(F, f"max_pool{nd}d")(distinct(*shape), k, s, p, return_indices=True)
    vals = distinct(*idx.shape)
    unpool = getattr(F, f"max_unpool{nd}d")
    assert gradcheck(lambda v: unpool(v, idx, k, s, p, shape[-nd:]), (vals,))


@pytest.mark.parametrize("fn,kw", [(F.max_pool2d, dict(kernel_size=2, stride=1, padding=1)),
                                   (F.avg_pool2d, dict(kernel_size=(2, 3), stride=2, padding=1, ceil_mode=True)),
                                   (F.adaptive_avg_pool2d, dict(output_size=(2, 3)))],
                         ids=["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"])
def test_gradgradcheck(fn, kw):
    assert gradgradcheck(lambda a: fn(a, **kw), (distinct(1, 2, 4, 4),))


# ---------------------------------------------------------------- errors

def _o(*shape):
    return lambda L: L.ones(shape)


def _idx(shape, value):
    return lambda L: L.full(shape, value, dtype=L.int64)


def E(id, call, makers, phrase):
    return pytest.param(call, makers, phrase, id=id)


ERRORS = [  # id, call(F, *args), arg makers, key phrase of pydl's message
    E("max2d_pad", lambda F, x: F.max_pool2d(x, 3, padding=2), [_o(1, 1, 8, 8)], "should be at most half of"),
    E("max1d_pad", lambda F, x: F.max_pool1d(x, 3, padding=2), [_o(1, 1, 8)], "should be at most half of"),
    E("max3d_pad", lambda F, x: F.max_pool3d(x, 2, padding=(0, 2, 0)), [_o(1, 1, 8, 8, 8)],
      "should be at most half of"),
    E("avg2d_pad", lambda F, x: F.avg_pool2d(x, 3, padding=2), [_o(1, 1, 8, 8)],
      "pad should be at most half of effective kernel size"),
    E("avg1d_pad", lambda F, x: F.avg_pool1d(x, 2, padding=2), [_o(1, 1, 8)], "should be at most half of"),
    E("avg3d_pad", lambda F, x: F.avg_pool3d(x, 3, padding=2), [_o(1, 1, 8, 8, 8)], "should be at most half of"),
    E("max2d_pad_dilated", lambda F, x: F.max_pool2d(x, 3, padding=2, dilation=2), [_o(1, 1, 8, 8)], "half"),
    E("max1d_pad_dilated", lambda F, x: F.max_pool1d(x, 3, padding=2, dilation=2), [_o(1, 1, 8)], "half"),
    E("max2d_stride0", lambda F, x: F.max_pool2d(x, 3, stride=0), [_o(1, 1, 8, 8)], "stride should not be zero"),
    E("max1d_stride0", lambda F, x: F.max_pool1d(x, 3, stride=0), [_o(1, 1, 8)], "stride"),
    E("avg2d_stride0", lambda F, x: F.avg_pool2d(x, 3, stride=(1, 0)), [_o(1, 1, 8, 8)], "stride should not be zero"),
    E("avg3d_stride0", lambda F, x: F.avg_pool3d(x, 2, stride=0), [_o(1, 1, 8, 8, 8)], "stride should not be zero"),
    E("max2d_small", lambda F, x: F.max_pool2d(x, 3), [_o(1, 1, 2, 2)], "Output size is too small"),
    E("max1d_small", lambda F, x: F.max_pool1d(x, 3), [_o(1, 1, 2)], "Output size is too small"),
    E("max3d_small", lambda F, x: F.max_pool3d(x, 3, dilation=2), [_o(1, 1, 4, 4, 4)], "Output size is too small"),
    E("avg2d_small", lambda F, x: F.avg_pool2d(x, (1, 3)), [_o(1, 1, 2, 2)], "Output size is too small"),
    E("avg1d_small", lambda F, x: F.avg_pool1d(x, 3), [_o(1, 1, 2)], "Output size is too small"),
    E("avg3d_small", lambda F, x: F.avg_pool3d(x, 3), [_o(1, 1, 2, 2, 2)], "Output size is too small"),
    E("max2d_rank", lambda F, x: F.max_pool2d(x, 2), [_o(8)], "3D or 4D (batch mode) tensor expected"),
    E("max2d_rank5", lambda F, x: F.max_pool2d(x, 2), [_o(1, 1, 1, 8, 8)], "3D or 4D (batch mode) tensor expected"),
    E("avg2d_rank5", lambda F, x: F.avg_pool2d(x, 2), [_o(1, 1, 1, 8, 8)], "3D or 4D (batch mode) tensor"),
    E("max1d_rank", lambda F, x: F.max_pool1d(x, 2), [_o(1, 1, 8, 8)], "2D or 3D (batch mode) tensor"),
    E("avg1d_rank", lambda F, x: F.avg_pool1d(x, 2), [_o(8)], "2D or 3D"),
    E("max3d_rank", lambda F, x: F.max_pool3d(x, 2), [_o(1, 8, 8)], "4D or 5D (batch mode) tensor expected"),
    E("avg3d_rank", lambda F, x: F.avg_pool3d(x, 2), [_o(1, 1, 1, 8, 8, 8)], "4D or 5D (batch mode) tensor expected"),
    E("adaptive_avg_rank", lambda F, x: F.adaptive_avg_pool2d(x, 2), [_o(8)], "3D or 4D"),
    E("adaptive_max_rank", lambda F, x: F.adaptive_max_pool3d(x, 2), [_o(8, 8)], "4D or 5D"),
    E("adaptive_avg1d_rank", lambda F, x: F.adaptive_avg_pool1d(x, 2), [_o(1, 1, 8, 8)], "2D or 3D"),
    E("adaptive_empty", lambda F, x: F.adaptive_avg_pool2d(x, 2), [_o(1, 1, 0, 8)], ""),
    E("adaptive_avg_negative", lambda F, x: F.adaptive_avg_pool2d(x, -2), [_o(1, 1, 5, 5)], ""),
    E("adaptive_max_negative", lambda F, x: F.adaptive_max_pool1d(x, -1), [_o(1, 1, 5)], ""),
    E("max2d_kernel0", lambda F, x: F.max_pool2d(x, 0, stride=1), [_o(1, 1, 8, 8)], "greater than zero"),
    E("max1d_kernel0", lambda F, x: F.max_pool1d(x, 0), [_o(1, 1, 8)], "kernel_size must be greater than zero"),
    E("avg2d_kernel0", lambda F, x: F.avg_pool2d(x, (2, 0), stride=1), [_o(1, 1, 8, 8)], "greater than zero"),
    E("avg3d_kernel0", lambda F, x: F.avg_pool3d(x, 0, stride=1), [_o(1, 1, 8, 8, 8)], "greater than zero"),
    E("max2d_dilation0", lambda F, x: F.max_pool2d(x, 2, dilation=0), [_o(1, 1, 8, 8)],
      "dilation should be greater than zero"),
    E("avg2d_divisor0", lambda F, x: F.avg_pool2d(x, 2, divisor_override=0), [_o(1, 1, 8, 8)],
      "divisor must be not zero"),
    E("unpool_shape", lambda F, x, i: F.max_unpool2d(x, i, 2), [_o(1, 1, 2, 2), _idx((1, 1, 2, 3), 0)],
      "Expected shape of indices to be same as that of the input tensor"),
    E("unpool_index", lambda F, x, i: F.max_unpool2d(x, i, 2), [_o(1, 1, 2, 2), _idx((1, 1, 2, 2), 100)],
      "Found an invalid max index: 100"),
]


@pytest.mark.parametrize("call,makers,phrase", ERRORS)
def test_errors(call, makers, phrase):
    if torch is not None:
        with pytest.raises(Exception) as expected:
            call(TF, *(m(torch) for m in makers))
        cls = type(expected.value)
    else:
        cls = RuntimeError
    with pytest.raises(cls) as got:
        call(F, *(m(pydl) for m in makers))
    assert phrase in str(got.value)


def test_avg_pool3d_wants_the_unpadded_input_to_hold_a_window():
    # PyTorch's avg_pool3d (alone among the pools) checks this even when padding would make room.
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        F.avg_pool3d(pydl.randn(1, 1, 9, 9, 2), (2, 1, 4), (1, 3, 3), (0, 0, 2))
    assert tuple(F.max_pool3d(pydl.randn(1, 1, 9, 9, 2), (2, 1, 4), (1, 3, 3), (0, 0, 2)).shape) == (1, 1, 8, 3, 1)


def test_avg_pool_negative_divisor_override_like_torch():
    # divisor_override may be any nonzero integer (PyTorch divides by a negative one too); 0 is an error.
    x = pydl.from_numpy(RNG.standard_normal((1, 2, 4, 5)))
    want = np_avg_pool(x.numpy(), 2, 2, divisor=-3)
    np.testing.assert_allclose(F.avg_pool2d(x, 2, divisor_override=-3).numpy(), want, rtol=1e-12)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
