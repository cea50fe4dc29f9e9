"""In-place ops on tensors that take part in autograd (x.add_(1) on a non-leaf, x += w, a leaf
without grad that an in-place op makes depend on w): gradients against PyTorch, and the cases
pydl still refuses (views, leaves that require grad) with PyTorch's error classes."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

CHAINS = {
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


def test_views_and_leaves_are_refused():
    w = pydl.randn(3, requires_grad=True)
    x = w * 2
    v = x[0]                       # x has a view: rebasing x alone would leave v stale
    with pytest.raises(RuntimeError, match="in-place operations on tensors that take part in autograd"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="in-place operations on tensors that take part in autograd"):
        v.mul_(2)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.add_(1)


def test_inplace_keeps_dtype_and_shape_rules():
    w = pydl.randn(3, requires_grad=True)
    x = w * 2
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x.add_(pydl.ones(2, 3))
    n = pydl.zeros(3, dtype=pydl.int64)
    with pytest.raises(RuntimeError):
        n.add_(w)                  # a float result cannot be written into an int64 tensor
