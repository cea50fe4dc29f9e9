"""pydl.autograd.Function: custom ops with Python forward/backward in the C++ graph."""
import numpy as np
import pytest

import pydl
from pydl.autograd import Function, gradcheck, gradgradcheck


def leaf(values):
    return pydl.tensor(values, dtype=pydl.float64, requires_grad=True)


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class ScaledMul(Function):
    """Two tensors and a number in, two outputs out (one non-differentiable)."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        mask = a > b
        ctx.mark_non_differentiable(mask)
        return a * b * scale, mask

    @staticmethod
    def backward(ctx, grad, grad_mask):
        a, b = ctx.saved_tensors
        assert grad_mask is not None  # materialized as zeros by default
        return grad * b * ctx.scale, grad * a * ctx.scale, None


def test_function_gradients_and_higher_order():
    x = leaf([0.1, 0.7, -1.2])
    assert gradcheck(Exp.apply, (x,))
    assert gradgradcheck(Exp.apply, (x,))  # backward is recorded under create_graph
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward" and y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"


def test_several_inputs_outputs_and_non_tensor_arguments():
    a, b = leaf([1.0, 5.0]), leaf([3.0, 2.0])
    out, mask = ScaledMul.apply(a, b, 2.0)
    assert not mask.requires_grad and mask.tolist() == [False, True]
    (out * pydl.tensor([1.0, 10.0], dtype=pydl.float64)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 40.0])
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 100.0])
    assert gradcheck(lambda a, b: ScaledMul.apply(a, b, 3.0)[0], (leaf([1.0, 2.0]), leaf([0.5, -1.0])))


def test_needs_input_grad_and_materialize_grads_off():
    seen = {}

    class Two(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            ctx.set_materialize_grads(False)
            return a * 2.0, b * 3.0

        @staticmethod
        def backward(ctx, ga, gb):
            seen["grads"] = (ga is None, gb is None)
            return (None if ga is None else ga * 2.0), (None if gb is None else gb * 3.0)

    a, b = leaf([1.0]), pydl.tensor([1.0], dtype=pydl.float64)
    ya, yb = Two.apply(a, b)
    ya.sum().backward()
    assert seen == {"needs": (True, False), "grads": (False, True)} and a.grad.tolist() == [2.0]


def test_wrong_number_of_gradients_and_saved_tensor_checks():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients \\(expected 1, got 2\\)"):
        Bad.apply(x).sum().backward()
    h = leaf([1.0]) * 1.0
    y = Bad.apply(h)
    with pydl.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_returning_an_input_and_mark_dirty():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5.0

    x = leaf([1.0, 2.0])
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn.name() == "IdentityBackward"
    y.sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]

    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1.0)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOneInPlace.apply(leaf([1.0]))
    h = leaf([1.0]) * 2.0
    out = AddOneInPlace.apply(h)
    assert out is h and h.grad_fn.name() == "AddOneInPlaceBackward" and h.tolist() == [3.0]


def test_without_grad_forward_is_just_called():
    x = pydl.tensor([1.0])
    assert Exp.apply(x).grad_fn is None
    with pydl.no_grad():
        assert Exp.apply(leaf([1.0])).grad_fn is None
