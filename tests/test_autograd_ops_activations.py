"""Backward formulas of the parametrised activations and the remaining unary ops (erfc, erfinv,
inverse hyperbolics, logit, clamp with scalar bounds, nan_to_num): gradcheck/gradgradcheck away
from the kinks, and PyTorch's gradients at and around them."""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck, gradgradcheck
from test_autograd_ops import t

F = pydl.nn.functional


def away_from(*kinks, low=-4.0, high=4.0):
    """A maker of float64 leaves whose values stay 0.05 away from the kinks (finite differences
    across a kink would measure neither side)."""
    def make(shape):
        x = np.random.default_rng(7).uniform(low, high, shape)
        for k in kinks:
            x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
        return pydl.tensor(x, dtype=pydl.float64, requires_grad=True)
    return make


def inside(low, high):
    return lambda shape: t(shape, low, high)


ACTIVATIONS = [  # name, f, maker, twice differentiable there
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), away_from(0.0), True),
    ("elu", lambda x: F.elu(x, 1.3), away_from(0.0), True),
    ("selu", F.selu, away_from(0.0), True),
    ("celu", lambda x: F.celu(x, 0.7), away_from(0.0), True),
    ("gelu", F.gelu, away_from(), True),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), away_from(), True),
    ("mish", F.mish, away_from(), True),
    ("softplus", F.softplus, away_from(), True),
    ("softplus_beta_threshold", lambda x: F.softplus(x, beta=2.0, threshold=3.0), away_from(1.5), True),
    ("softsign", F.softsign, away_from(0.0), True),
    ("hardsigmoid", F.hardsigmoid, away_from(-3.0, 3.0), True),
    ("hardswish", F.hardswish, away_from(-3.0, 3.0), True),
    ("logsigmoid", F.logsigmoid, away_from(), True),
    ("erfc", pydl.erfc, inside(-2.0, 2.0), True),
    ("erfinv", pydl.erfinv, inside(-0.9, 0.9), True),
    ("asinh", pydl.asinh, inside(-2.0, 2.0), True),
    ("acosh", pydl.acosh, inside(1.2, 3.0), True),
    ("atanh", pydl.atanh, inside(-0.9, 0.9), True),
    ("logit", pydl.logit, inside(0.1, 0.9), True),
    ("logit_eps", lambda x: pydl.logit(x, eps=0.2), away_from(0.2, 0.8, low=0.02, high=0.98), True),
    ("clamp", lambda x: pydl.clamp(x, -1.0, 1.5), away_from(-1.0, 1.5), True),
    ("clamp_min", lambda x: x.clamp(min=0.3), away_from(0.3), True),
    ("clamp_max", lambda x: x.clamp(max=-0.3), away_from(-0.3), True),
    ("nan_to_num", pydl.nan_to_num, away_from(), True),
]


@pytest.mark.parametrize("name,f,make,twice", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_activation_gradients(name, f, make, twice, layout):
    x = make((3, 4)) if layout == "contiguous" else make((4, 3)).t()
    assert gradcheck(f, (x,))
    if twice:
        assert gradgradcheck(f, (x,))


torch = pytest.importorskip("torch")
TF = torch.nn.functional

KINKS = [0.0, -3.0, 3.0, 0.2, 0.8, -1.0, 1.5, 1.0, 10.0, 11.0, -25.0, 25.0]
AT_KINKS = [  # name, f(lib, functional, x)
    ("leaky_relu", lambda lib, fn, x: fn.leaky_relu(x, 0.2)),
    ("elu", lambda lib, fn, x: fn.elu(x, 1.3)),
    ("selu", lambda lib, fn, x: fn.selu(x)),
    ("celu", lambda lib, fn, x: fn.celu(x, 0.7)),
    ("gelu", lambda lib, fn, x: fn.gelu(x)),
    ("gelu_tanh", lambda lib, fn, x: fn.gelu(x, approximate="tanh")),
    ("mish", lambda lib, fn, x: fn.mish(x)),
    ("softplus", lambda lib, fn, x: fn.softplus(x, beta=0.5, threshold=5.0)),
    ("softsign", lambda lib, fn, x: fn.softsign(x)),
    ("hardsigmoid", lambda lib, fn, x: fn.hardsigmoid(x)),
    ("hardswish", lambda lib, fn, x: fn.hardswish(x)),
    ("logsigmoid", lambda lib, fn, x: fn.logsigmoid(x)),
    ("logit_eps", lambda lib, fn, x: lib.logit(x * 0.05 + 0.5, eps=0.2)),
    ("clamp", lambda lib, fn, x: lib.clamp(x, -1.0, 1.5)),
    ("clamp_min", lambda lib, fn, x: x.clamp(min=0.2)),
    ("clamp_max", lambda lib, fn, x: lib.clamp(x, max=-1.0)),
    ("nan_to_num", lambda lib, fn, x: lib.nan_to_num(x / x * x)),
]


@pytest.mark.parametrize("name,f", AT_KINKS, ids=[a[0] for a in AT_KINKS])
def test_activation_gradient_matches_torch_at_kinks(name, f):
    vals = np.array(KINKS + [-2.5, -0.5, 0.5, 2.5])
    grads = []
    for lib, fn in ((pydl, F), (torch, TF)):
        x = lib.tensor(vals, dtype=lib.float64, requires_grad=True)
        f(lib, fn, x).sum().backward()
        grads.append(np.asarray(x.grad.tolist()))
    # torch's float64 kernels use some float32 constants (1.0f / 6.0f): agreement to ~1e-8 only
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-12, equal_nan=True)


def test_clamp_with_an_int_bound_records_on_a_float_input():
    x = t((3,))
    y = x.clamp(min=0)
    assert y.dtype == pydl.float64 and y.grad_fn is not None
