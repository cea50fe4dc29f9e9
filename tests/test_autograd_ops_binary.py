"""Backward formulas of the binary ops beyond arithmetic (maximum/minimum, fmax/fmin, atan2,
hypot, remainder/fmod, copysign, xlogy) and of the ternary ops (lerp, clamp with tensor bounds,
addcmul/addcdiv): gradcheck/gradgradcheck with broadcasting, PyTorch's values at ties."""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck, gradgradcheck
from test_autograd_ops import SHAPES, positive, t


def apart(shape, offset):
    """Values on a 0.5 grid shifted by `offset`, in an order that depends on it: two makers with
    different offsets never tie, and neither side wins everywhere."""
    n = int(np.prod(shape))
    order = np.random.default_rng(5 + int(round(offset * 100)) % 1000).permutation(n)
    vals = (order * 0.5 - n * 0.25 + offset).reshape(shape)
    return pydl.tensor(vals, dtype=pydl.float64, requires_grad=True)


BINARY = [  # name, f, maker of a, maker of b, node name
    ("maximum", pydl.maximum, lambda s: apart(s, 0.0), lambda s: apart(s, 0.2), "MaximumBackward0"),
    ("minimum", pydl.minimum, lambda s: apart(s, 0.0), lambda s: apart(s, 0.2), "MinimumBackward0"),
    ("fmax", pydl.fmax, lambda s: apart(s, 0.0), lambda s: apart(s, 0.2), "FmaxBackward0"),
    ("fmin", pydl.fmin, lambda s: apart(s, 0.0), lambda s: apart(s, 0.2), "FminBackward0"),
    ("atan2", pydl.atan2, t, positive, "Atan2Backward0"),
    ("hypot", pydl.hypot, positive, t, "HypotBackward0"),
    ("remainder", pydl.remainder, lambda s: apart(s, 0.05), lambda s: pydl.tensor(
        np.full(s, 0.7071), dtype=pydl.float64, requires_grad=True), "RemainderBackward0"),
    ("fmod", pydl.fmod, lambda s: apart(s, 0.05), lambda s: pydl.tensor(
        np.full(s, -0.7071), dtype=pydl.float64, requires_grad=True), "FmodBackward0"),
    ("copysign", pydl.copysign, positive, lambda s: apart(s, 0.1), "CopysignBackward0"),
    ("xlogy", pydl.xlogy, t, positive, "XlogyBackward0"),
]
NOT_TWICE = {"maximum", "minimum", "fmax", "fmin", "remainder", "fmod", "copysign"}  # piecewise linear


@pytest.mark.parametrize("name,f,make_a,make_b,node", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_gradients(name, f, make_a, make_b, node, shapes):
    a, b = make_a(shapes[0]), make_b(shapes[1])
    assert gradcheck(f, (a, b))
    if name not in NOT_TWICE:
        assert gradgradcheck(f, (a, b))
    assert f(a, b).grad_fn.name() == node


def test_gradient_flows_to_the_tensor_side_of_a_python_number():
    x = t((3,))
    assert gradcheck(lambda x: pydl.maximum(x, pydl.tensor(0.5, dtype=pydl.float64)) + pydl.atan2(x, 2.0), (x,))


TERNARY = [  # name, f, makers
    ("lerp_tensor_weight", pydl.lerp, (lambda: t((3, 4)), lambda: t((4,)), lambda: t((3, 1))), "LerpBackward1"),
    ("lerp_scalar_weight", lambda a, b: pydl.lerp(a, b, 0.3), (lambda: t((3, 4)), lambda: t((3, 4))),
     "LerpBackward0"),
    ("clamp_tensors", pydl.clamp, (lambda: apart((3, 4), 0.0), lambda: apart((4,), -0.3) * 0.1 - 1.0,
                                   lambda: apart((3, 1), 0.2) * 0.1 + 1.0), "ClampBackward0"),
    ("clamp_tensor_min_only", lambda x, lo: pydl.clamp(x, min=lo), (lambda: apart((3, 4), 0.0),
                                                                     lambda: apart((3, 4), 0.2)), "ClampBackward0"),
    ("addcmul", lambda a, b, c: pydl.addcmul(a, b, c, value=0.5), (lambda: t((3, 4)), lambda: t((4,)),
                                                                    lambda: t((3, 1))), "AddcmulBackward0"),
    ("addcdiv", lambda a, b, c: pydl.addcdiv(a, b, c, value=-2.0), (lambda: t((3, 4)), lambda: t((3, 4)),
                                                                     lambda: positive((4,))), "AddcdivBackward0"),
]


@pytest.mark.parametrize("name,f,makers,node", TERNARY, ids=[r[0] for r in TERNARY])
def test_ternary_gradients(name, f, makers, node):
    args = tuple(m() for m in makers)
    assert gradcheck(f, args)
    if not name.startswith("clamp"):
        assert gradgradcheck(f, args)
    assert f(*args).grad_fn.name() == node


torch = pytest.importorskip("torch")


def grads_vs_torch(f, *values):
    out = []
    for lib in (pydl, torch):
        xs = [lib.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
        f(lib, *xs).sum().backward()
        out.append([np.asarray(x.grad.tolist()) for x in xs])
    return out


AT_TIES = [  # name, f, values
    ("maximum_ties", lambda lib, a, b: lib.maximum(a, b), [1.0, 2.0, 3.0], [1.0, 1.0, 4.0]),
    ("minimum_ties_broadcast", lambda lib, a, b: lib.minimum(a, b), [[1.0, 2.0], [2.0, 0.0]], [2.0]),
    ("fmax_nan", lambda lib, a, b: lib.fmax(a, b), [1.0, float("nan"), 3.0, 2.0], [float("nan"), 1.0, 3.0, 5.0]),
    ("fmin_nan", lambda lib, a, b: lib.fmin(a, b), [1.0, float("nan"), 3.0, 2.0], [float("nan"), 1.0, 3.0, 5.0]),
    ("copysign_zero", lambda lib, a, b: lib.copysign(a, b), [0.0, -2.0, 3.0], [-1.0, 1.0, -0.0]),
    ("xlogy_zero", lambda lib, a, b: lib.xlogy(a, b), [0.0, 2.0, 0.0, 0.0], [0.0, 3.0, 2.0, -1.0]),
    ("remainder_neg", lambda lib, a, b: lib.remainder(a, b), [-3.5, 2.5, 7.0], [2.0, -1.5, 3.0]),
    ("fmod_neg", lambda lib, a, b: lib.fmod(a, b), [-3.5, 2.5, 7.0], [2.0, -1.5, 3.0]),
    ("clamp_crossed_bounds", lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
     [0.0, 5.0, -5.0, 1.0, 2.0], [1.0, 1.0, 1.0, 1.0, 2.0], [-1.0, -1.0, 3.0, 2.0, 2.0]),
]


@pytest.mark.parametrize("case", AT_TIES, ids=[a[0] for a in AT_TIES])
def test_binary_gradient_matches_torch(case):
    _, f, *values = case
    ours, theirs = grads_vs_torch(f, *values)
    for o, th in zip(ours, theirs):
        np.testing.assert_allclose(o, th, rtol=1e-12, atol=1e-12, equal_nan=True)
