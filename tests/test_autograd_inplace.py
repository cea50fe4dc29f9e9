"""In-place ops on tensors that take part in autograd (x.add_(1) on a non-leaf, x += w, a leaf
without grad that an in-place op makes depend on w, writes through views and indexing):
values and gradients against PyTorch, and the writes PyTorch refuses (leaves that require
grad, views of them, views made under no_grad) with its error classes."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

CHAINS = {
    "addcmul_ addcdiv_": lambda x, w: (x.addcmul_(w, w, value=2), x.addcdiv_(w, w * w + 1, value=0.5)),
    "lerp_ then clamp_ by tensors": lambda x, w: (x.lerp_(w, 0.3), x.clamp_(min=w * 0 - 0.5, max=w * 0 + 0.5)),
    "cumsum_ cumprod_": lambda x, w: (x.cumsum_(1), x.cumprod_(0)),
    "addmm_": lambda x, w: x.addmm_(w, w.t() @ w, beta=0.5, alpha=2),
    "baddbmm_ / addbmm_ / addmv_": lambda x, w: (x[None].baddbmm_(w[None], (w.t() @ w)[None]),
                                                x.addbmm_(w[None], (w.t() @ w)[None]),
                                                x[0].addmv_(w.t(), w[:, 0])),
    "eq_ (a constant result)": lambda x, w: x.eq_(w),
    "add_ mul_ sub_ exp_": lambda x, w: (x.add_(1), x.mul_(0.5), x.sub_(w, alpha=2), x.exp_()),
    "mul_ by a tensor": lambda x, w: x.mul_(w),
    "x *= w; x += 1": lambda x, w: (x.__imul__(w), x.__iadd__(1)),
    "clamp_": lambda x, w: x.clamp_(min=-0.5, max=0.8),
    "div_ then pow_": lambda x, w: (x.div_(w.detach() + 3), x.pow_(2)),
    "relu_": lambda x, w: x.relu_(),
    "sigmoid_": lambda x, w: x.sigmoid_(),
}


def gradients(lib, chain):
    w = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=lib.float64, requires_grad=True)
    x = w * 2                      # a non-leaf
    chain(x, w)
    y = lib.zeros(2, 3, dtype=lib.float64)
    y.add_(w)                      # a leaf without grad: the in-place op gives it a history
    assert not y.is_leaf and y.requires_grad
    (x.sum() + (y * y).sum()).backward()
    return w.grad.numpy()


@pytest.mark.parametrize("name", list(CHAINS))
def test_inplace_gradients_match_torch(name):
    np.testing.assert_allclose(gradients(pydl, CHAINS[name]), gradients(torch, CHAINS[name]), rtol=1e-12)


def test_inplace_result_has_the_ops_grad_fn_and_bumps_the_version():
    w = pydl.randn(3, requires_grad=True)
    x = w * 2
    before = x._version
    x.add_(1)
    assert x._version > before
    assert "AddBackward0" in repr(x.grad_fn)


def test_modified_saved_tensor_still_raises():
    w = pydl.randn(3, dtype=pydl.float64, requires_grad=True)
    x = w * 1.0
    y = x.sin()                    # saves x
    x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# In-place writes through views: each program builds z from x (3x4) and w (3,), writes into z
# or a view of it, and returns a tensor; values and both gradients are compared with torch.
VIEW_WRITES = {
    "z[:, 1] = w": lambda L, x, w: _set(x * 1, (slice(None), 1), w * 2),
    "z[0].mul_(3)": lambda L, x, w: _then(x * 1, lambda z: z[0].mul_(3)),
    "view of z read after z.mul_": lambda L, x, w: _read_after(x * 1, lambda z: z[1:], lambda z: z.mul_(2)),
    "zeros filled through views": lambda L, x, w: _fill_zeros(L, x, w) * x,
    "z.t()[1].add_(w)": lambda L, x, w: _then(x * 1, lambda z: z.t()[1].add_(w)),
    "z.zero_(); z[0, 0] = w[0]": lambda L, x, w: _then(x * 1, lambda z: (z.zero_(), _set(z, (0, 0), w[0]))) * x,
    "z[idx] = w (advanced)": lambda L, x, w: _set(x * 1, L.tensor([0, 2]), w[:2, None] * 2),
    "z.scatter_(1, idx, w)": lambda L, x, w: _then(x * 1, lambda z: z.scatter_(1, L.tensor([[0], [1], [2]]), w[:, None])),
    "z[1:].masked_fill_ then copy_": lambda L, x, w: _then(
        x * 1, lambda z: (z[1:].masked_fill_(x[1:] > 6, 0.5), z[0].copy_(w[0] * x[2]))),
    "b[1] = f(b[0]) (reads its own base)": lambda L, x, w: _then(x * 1, lambda b: _set(b, 1, b[0].exp() * w[0])),
    "x.unfold view of z": lambda L, x, w: _then(x * 1, lambda z: z.unfold(1, 2, 2)[:, 0].mul_(w[:, None])),
    "z.diagonal().fill_(2) then z.index_add_": lambda L, x, w: _then(
        x * 1, lambda z: (z.diagonal().fill_(2.0), z.index_add_(0, L.tensor([2, 0]), x[:2] * w[0]))),
    "z[::2, 1:3] += w[:2, None]": lambda L, x, w: _then(x * 1, lambda z: z[::2, 1:3].__iadd__(w[:2, None])),
}


def _set(z, index, value):
    z[index] = value
    return z


def _then(z, write):
    write(z)
    return z


def _read_after(z, view, write):
    v = view(z)
    write(z)
    return v * 1


def _fill_zeros(L, x, w):
    z = L.zeros(3, 4, dtype=L.float64)
    z[:, 0] = w
    z[1] = x[0]
    return z


def view_write_results(lib, program):
    x = lib.tensor(np.arange(12.0).reshape(3, 4) / 7, dtype=lib.float64, requires_grad=True)
    w = lib.tensor([1.5, -2.0, 0.25], dtype=lib.float64, requires_grad=True)
    y = program(lib, x, w)
    y.backward(lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)), dtype=lib.float64))
    return y.detach().numpy(), x.grad.numpy(), 0 if w.grad is None else w.grad.numpy()


@pytest.mark.parametrize("name", list(VIEW_WRITES))
def test_inplace_through_views_matches_torch(name):
    for ours, theirs in zip(view_write_results(pydl, VIEW_WRITES[name]), view_write_results(torch, VIEW_WRITES[name])):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_write_through_a_view_gives_the_base_copyslices_and_refreshes_other_views():
    x = pydl.randn(3, 4, dtype=pydl.float64, requires_grad=True)
    z = x * 1
    row = z[2]
    z[0] = pydl.ones(4, dtype=pydl.float64)
    assert "CopySlices" in repr(z.grad_fn)
    assert z._base is None and row._base is z
    assert row.requires_grad and "AsStridedBackward0" in repr(row.grad_fn)
    zeros = pydl.zeros(2, 2)
    zeros[0] = pydl.ones(2, requires_grad=True) * 2
    assert zeros.requires_grad and not zeros.is_leaf


def test_inplace_double_backward_through_views():
    def f(L, x):
        z = x * x
        z[0] = (x[1] * x[0]).exp()
        return (z * z).sum()
    for lib in (pydl, torch):
        x = lib.tensor(np.arange(1.0, 7.0).reshape(2, 3), dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(f(lib, x), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        if lib is pydl:
            ours = (g.detach().numpy(), h.numpy())
        else:
            np.testing.assert_allclose(ours[0], g.detach().numpy(), rtol=1e-12)
            np.testing.assert_allclose(ours[1], h.numpy(), rtol=1e-12)


def test_random_fill_of_a_non_leaf_cuts_its_gradient():
    w = pydl.randn(3, requires_grad=True)
    x = w * 2
    x.uniform_()
    (x * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), x.detach().numpy())  # only the second factor's


def test_reading_a_view_saved_before_a_write_into_its_base_raises_like_torch():
    for lib in (pydl, torch):
        b = lib.ones(3, 4, dtype=lib.float64, requires_grad=True) * 1
        w = lib.ones(1, dtype=lib.float64, requires_grad=True)
        b[1] = b[0] * w            # mul saved the view b[0]; the write bumps the shared version
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            b.sum().backward()


def test_leaves_views_of_leaves_and_no_grad_views_are_refused():
    w = pydl.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0].mul_(2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.copy_(pydl.zeros(3))
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        w[1] = 2.0
    base = pydl.zeros(3)
    with pydl.no_grad():
        v = base[:2]
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        v.copy_(w[:2] * 1)
    for lib in (pydl, torch):  # the same classes in torch
        leaf = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError):
            leaf[0].mul_(2)


def test_inplace_keeps_dtype_and_shape_rules():
    w = pydl.randn(3, requires_grad=True)
    x = w * 2
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x.add_(pydl.ones(2, 3))
    n = pydl.zeros(3, dtype=pydl.int64)
    with pytest.raises(RuntimeError):
        n.add_(w)                  # a float result cannot be written into an int64 tensor
