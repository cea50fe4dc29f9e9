"""F.cross_entropy's fused path (csrc/ops/loss.cpp, Backend::cross_entropy) for (N, C) logits and
class indices: values and gradients against torch over reductions and ignore_index, gradcheck
and double backward, and torch's errors. (test_nn_losses*.py cover the composed path and every
other argument.)"""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck, gradgradcheck

F = pydl.nn.functional
RNG = np.random.default_rng(2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(7, 5), (33, 60), (4, 1000)])
@pytest.mark.parametrize("ignore", [False, True])
def test_matches_torch(reduction, shape, ignore):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape).astype(np.float32) * 3
    target = RNG.integers(0, shape[1], shape[0])
    if ignore:
        target[::3] = -100
    results = []
    for lib in (pydl, torch):
        xs = lib.from_numpy(x.copy()).requires_grad_()
        loss = lib.nn.functional.cross_entropy(xs, lib.from_numpy(target.copy()), reduction=reduction)
        loss.backward(lib.ones_like(loss) if reduction == "none" else None)
        results.append((loss.detach().numpy(), xs.grad.numpy()))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_gradcheck_and_double_backward():
    x = pydl.randn(5, 4, dtype=pydl.float64, requires_grad=True)
    target = pydl.tensor([0, 3, -100, 1, 2])
    f = lambda t: F.cross_entropy(t, target)  # noqa: E731
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_bad_target_and_all_ignored_like_torch():
    x = pydl.randn(3, 4)
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        F.cross_entropy(x, pydl.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.cross_entropy(x, pydl.tensor([0, -1, 1]))
    assert F.cross_entropy(x, pydl.tensor([0, 4, 1]), ignore_index=4).isfinite().item()
    assert F.cross_entropy(x, pydl.full((3,), -100)).isnan().item()  # no target counts: nan, as torch


def test_other_inputs_take_the_composed_path():
    fused = pydl._C._nn._cross_entropy
    assert fused(pydl.randn(3, 4, dtype=pydl.float16), pydl.tensor([0, 1, 2]), -100, "mean") is None
    assert fused(pydl.randn(2, 3, 4), pydl.zeros(2, 4, dtype=pydl.int64), -100, "mean") is None  # (N, C, d)
    x = pydl.randn(6, 5)
    half = F.cross_entropy(x.half(), pydl.tensor([0, 1, 2, 3, 4, 0]))  # composed, float16
    assert abs(half.item() - F.cross_entropy(x, pydl.tensor([0, 1, 2, 3, 4, 0])).item()) < 1e-2
