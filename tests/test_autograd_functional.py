"""pydl.autograd.functional against torch.autograd.functional (the oracle)."""
import numpy as np
import pytest

import pydl
from pydl.autograd import functional as F

torch = pytest.importorskip("torch")

X = np.array([0.5, 1.5, -0.3])
Y = np.array([[1.0, 2.0], [0.5, -1.0]])


def both(values):
    return pydl.tensor(values, dtype=pydl.float64), torch.tensor(values, dtype=torch.float64)


def close(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            close(x, y)
        return
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_jacobian_one_and_several_inputs():
    x, tx = both(X)
    close(F.jacobian(lambda v: (v * v * v).sum() * v, x),
          torch.autograd.functional.jacobian(lambda v: (v * v * v).sum() * v, tx))
    y, ty = both(Y)
    f = (lambda a, b: ((a.unsqueeze(1) * b).sum(0), a.exp()))
    close(F.jacobian(f, (x[:2], y)), torch.autograd.functional.jacobian(f, (tx[:2], ty)))


def test_hessian_vjp_jvp():
    x, tx = both(X)
    g = lambda v: (v * v * v).sum() + (v[0] * v[1])  # noqa: E731
    close(F.hessian(g, x), torch.autograd.functional.hessian(g, tx))
    h = lambda v: v.sin() * v  # noqa: E731
    v, tv = both([1.0, -2.0, 0.5])
    close(F.vjp(h, x, v), torch.autograd.functional.vjp(h, tx, tv))
    close(F.jvp(h, x, v), torch.autograd.functional.jvp(h, tx, tv))


def test_inputs_are_not_differentiated_in_place():
    x = pydl.tensor(X, dtype=pydl.float64, requires_grad=True)
    F.jacobian(lambda v: v * 2.0, x)
    assert x.grad is None
    with pytest.raises(RuntimeError, match="single Tensor with a single element"):
        F.vjp(lambda v: v * 2.0, x)
