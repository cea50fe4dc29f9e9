"""Gradients of the matrix products: gradcheck and gradgradcheck (float64 central differences)
for every op and every matmul rank case, on contiguous and non-contiguous (transposed,
step-sliced, stride-0 expanded) inputs, plus a two-layer MLP checked against hand-written
NumPy backpropagation."""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
F = pydl.nn.functional


def t(*shape):
    return pydl.tensor(RNG.uniform(-1, 1, shape), dtype=pydl.float64, requires_grad=True)


def tt(*shape):
    """A transposed (non-contiguous) view of a leaf; its gradient flows to the leaf."""
    return t(*shape[::-1]).permute(*reversed(range(len(shape))))


def sliced(*shape):
    """A step-sliced view along the last dim."""
    return t(*shape[:-1], 2 * shape[-1])[..., ::2]


OPS = [  # name, f, input makers
    ("mm", pydl.mm, lambda: (t(3, 4), t(4, 2))),
    ("mm_transposed", pydl.mm, lambda: (tt(3, 4), tt(4, 2))),
    ("mm_sliced", pydl.mm, lambda: (sliced(3, 4), sliced(4, 2))),
    ("mm_k1", pydl.mm, lambda: (t(3, 1), t(1, 2))),
    ("mm_gemv_row", pydl.mm, lambda: (t(1, 5), t(5, 3))),
    ("mm_gemv_col", pydl.mm, lambda: (t(3, 5), t(5, 1))),
    ("bmm", pydl.bmm, lambda: (t(2, 3, 4), t(2, 4, 2))),
    ("bmm_noncontig", pydl.bmm, lambda: (t(3, 2, 4).transpose(0, 1), tt(2, 4, 2))),
    # expanded (stride-0) operands are made inside f: gradcheck cannot perturb an aliased input
    ("bmm_expanded", lambda a, b: pydl.bmm(a.expand(2, 3, 4), b), lambda: (t(1, 3, 4), t(2, 4, 2))),
    ("mv", pydl.mv, lambda: (t(3, 4), t(4))),
    ("mv_noncontig", pydl.mv, lambda: (tt(3, 4), sliced(4))),
    ("dot", pydl.dot, lambda: (t(5), t(5))),
    ("dot_sliced", pydl.dot, lambda: (sliced(5), t(5))),
    ("vdot", pydl.vdot, lambda: (t(5), sliced(5))),
    ("outer", pydl.outer, lambda: (t(3), t(4))),
    ("outer_sliced", pydl.outer, lambda: (sliced(3), t(4))),
    ("addmm", lambda c, a, b: pydl.addmm(c, a, b, beta=0.5, alpha=-1.5), lambda: (t(3, 2), t(3, 4), t(4, 2))),
    ("addmm_bcast", lambda c, a, b: pydl.addmm(c, a, b, beta=2.0, alpha=0.5), lambda: (t(2), tt(3, 4), t(4, 2))),
    ("addmm_beta0", lambda c, a, b: pydl.addmm(c, a, b, beta=0), lambda: (t(3, 2), t(3, 4), t(4, 2))),
    ("addmv", lambda c, a, b: pydl.addmv(c, a, b, beta=-0.5, alpha=2.0), lambda: (t(3), t(3, 4), t(4))),
    ("addmv_bcast", lambda c, a, b: pydl.addmv(c, a, b, beta=1.5), lambda: (t(1), tt(3, 4), sliced(4))),
    ("baddbmm", lambda c, a, b: pydl.baddbmm(c, a, b, beta=0.5, alpha=-2.0),
     lambda: (t(2, 3, 2), t(2, 3, 4), t(2, 4, 2))),
    ("baddbmm_bcast", lambda c, a, b: pydl.baddbmm(c, a, b, beta=1.5),
     lambda: (t(3, 1), tt(2, 3, 4), t(2, 4, 2))),
    ("addbmm", lambda c, a, b: pydl.addbmm(c, a, b, beta=0.5, alpha=-2.0),
     lambda: (t(3, 2), t(2, 3, 4), t(2, 4, 2))),
    ("addbmm_noncontig", lambda c, a, b: pydl.addbmm(c, a, b, alpha=3.0),
     lambda: (t(2), t(3, 2, 4).transpose(0, 1), tt(2, 4, 2))),
    ("matmul_1d_1d", pydl.matmul, lambda: (t(4), t(4))),
    ("matmul_2d_1d", pydl.matmul, lambda: (t(3, 4), t(4))),
    ("matmul_1d_2d", pydl.matmul, lambda: (t(4), t(4, 2))),
    ("matmul_2d_2d", pydl.matmul, lambda: (tt(3, 4), t(4, 2))),
    ("matmul_3d_2d", pydl.matmul, lambda: (t(2, 3, 4), t(4, 2))),
    ("matmul_3d_2d_noncontig", pydl.matmul, lambda: (t(3, 2, 4).transpose(0, 1), sliced(4, 2))),
    ("matmul_2d_3d", pydl.matmul, lambda: (t(3, 4), t(2, 4, 2))),
    ("matmul_3d_1d", pydl.matmul, lambda: (t(2, 3, 4), t(4))),
    ("matmul_3d_1d_noncontig", pydl.matmul, lambda: (tt(2, 3, 4), t(4))),
    ("matmul_1d_3d", pydl.matmul, lambda: (t(4), t(2, 4, 2))),
    ("matmul_3d_3d", pydl.matmul, lambda: (t(2, 3, 4), tt(2, 4, 2))),
    ("matmul_broadcast_batch", pydl.matmul, lambda: (t(2, 1, 3, 4), t(3, 4, 2))),
    ("matmul_broadcast_expanded", lambda a, b: pydl.matmul(a.expand(2, 3, 4), b), lambda: (t(1, 3, 4), t(2, 1, 4, 2))),
    ("addmm_expanded_rows", lambda c, a, b: pydl.addmm(c, a.expand(3, 4), b, beta=0.5),
     lambda: (t(3, 2), t(1, 4), t(4, 2))),
    ("matmul_operator", lambda a, b: a @ b, lambda: (t(2, 3, 4), t(4, 2))),
    ("linear", F.linear, lambda: (t(3, 4), t(2, 4))),
    ("linear_bias", F.linear, lambda: (t(3, 4), t(2, 4), t(2))),
    ("linear_bias_1d", F.linear, lambda: (t(4), t(2, 4), t(2))),
    ("linear_bias_3d", F.linear, lambda: (t(2, 3, 4), t(2, 4), t(2))),
    ("linear_bias_3d_noncontig", F.linear, lambda: (t(3, 2, 4).transpose(0, 1), tt(2, 4), sliced(2))),
    ("linear_3d_transposed", F.linear, lambda: (tt(2, 3, 4).transpose(0, 2), t(2, 2))),
]


@pytest.mark.parametrize("name,f,make", OPS, ids=[o[0] for o in OPS])
def test_gradients(name, f, make):
    inputs = make()
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def test_gradients_of_only_some_inputs():
    a, b = t(3, 4), pydl.tensor(RNG.uniform(-1, 1, (4, 2)), dtype=pydl.float64)  # b is a constant
    assert gradcheck(pydl.mm, (a, b))
    c = pydl.tensor(RNG.uniform(-1, 1, (3, 2)), dtype=pydl.float64)
    assert gradcheck(lambda c, a, b: pydl.addmm(c, a, b, alpha=2.0), (c, a, t(4, 2)))
    assert gradcheck(lambda c, a, b: pydl.addmm(c, a, b, beta=3.0), (t(3, 2), c, t(2, 2)))


def test_grad_fn_names_and_grad_shapes():
    a, b = t(2, 1, 3, 4), t(3, 4, 2)
    y = pydl.matmul(a, b)
    y.sum().backward()
    assert tuple(a.grad.shape) == (2, 1, 3, 4) and tuple(b.grad.shape) == (3, 4, 2)
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b.detach().numpy().sum(-1).sum(0), (2, 1, 3, 4)))
    assert pydl.mm(t(2, 3), t(3, 2)).grad_fn.name() == "MmBackward0"
    assert pydl.addmm(t(2, 2), t(2, 3), t(3, 2)).grad_fn.name() == "AddmmBackward0"
    assert pydl.bmm(t(1, 2, 3), t(1, 3, 2)).grad_fn.name() == "BmmBackward0"
    assert pydl.baddbmm(t(1, 2, 2), t(1, 2, 3), t(1, 3, 2)).grad_fn.name() == "BaddbmmBackward0"


def test_integer_products_do_not_require_grad():
    a = pydl.ones(2, 3, dtype=pydl.int64)
    assert not pydl.mm(a, a.t()).requires_grad


def test_two_layer_mlp_matches_numpy_backprop():
    x = RNG.uniform(-1, 1, (8, 5))
    w1, b1 = RNG.uniform(-1, 1, (7, 5)), RNG.uniform(-1, 1, 7)
    w2, b2 = RNG.uniform(-1, 1, (3, 7)), RNG.uniform(-1, 1, 3)
    params = [pydl.tensor(p, dtype=pydl.float64, requires_grad=True) for p in (w1, b1, w2, b2)]
    px = pydl.tensor(x, dtype=pydl.float64, requires_grad=True)
    h = pydl.tanh(F.linear(px, params[0], params[1]))
    loss = F.linear(h, params[2], params[3]).sum()
    loss.backward()

    # forward and backward by hand
    z1 = x @ w1.T + b1
    hn = np.tanh(z1)
    out = hn @ w2.T + b2
    np.testing.assert_allclose(loss.item(), out.sum(), rtol=1e-12)
    g_out = np.ones_like(out)
    g_w2, g_b2 = g_out.T @ hn, g_out.sum(0)
    g_h = g_out @ w2
    g_z1 = g_h * (1 - hn ** 2)
    g_w1, g_b1 = g_z1.T @ x, g_z1.sum(0)
    g_x = g_z1 @ w1
    for p, want in zip(params + [px], (g_w1, g_b1, g_w2, g_b2, g_x)):
        assert tuple(p.grad.shape) == want.shape
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-10, atol=1e-12)


def test_mlp_gradients_accumulate_over_two_steps():
    w = pydl.tensor(RNG.uniform(-1, 1, (3, 4)), dtype=pydl.float64, requires_grad=True)
    x = pydl.tensor(RNG.uniform(-1, 1, (5, 4)), dtype=pydl.float64)
    F.linear(x, w).sum().backward()
    first = w.grad.numpy().copy()
    F.linear(x, w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first)
    np.testing.assert_allclose(first, np.ones((5, 3)).T @ x.numpy())


def test_float32_backward_runs_in_float32():
    a = pydl.ones(3, 4, requires_grad=True)
    b = pydl.ones(4, 2, requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.dtype == pydl.float32 and a.grad.numpy().tolist() == [[2.0] * 4] * 3
    assert b.grad.numpy().tolist() == [[3.0] * 2] * 4
