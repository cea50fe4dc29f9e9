"""The autograd engine: recording, backward/grad, accumulation, graph release, hooks, grad
modes and the errors PyTorch raises. Gradients of individual ops are in test_autograd_ops.py."""
import numpy as np
import pytest

import pydl


def leaf(values, dtype=pydl.float64):
    return pydl.tensor(values, dtype=dtype, requires_grad=True)


def test_backward_accumulates_into_leaves():
    x = leaf([1.0, 2.0, 3.0])
    y = (x * x).sum()
    assert y.grad_fn.name() == "SumBackward0" and not y.is_leaf and x.is_leaf
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    (x * 3.0).sum().backward()  # a second graph adds into .grad
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_broadcasting_gradients_are_summed_to_the_input_shape():
    a, b = leaf([[1.0], [2.0]]), leaf([10.0, 20.0, 30.0])
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [[60.0], [60.0]])
    np.testing.assert_allclose(b.grad.numpy(), [3.0, 3.0, 3.0])


def test_mixed_dtypes_give_each_input_its_own_dtype():
    a, b = leaf([1.0, 2.0], pydl.float32), leaf([3.0, 4.0], pydl.float64)
    (a * b).sum().backward()
    assert a.grad.dtype == pydl.float32 and b.grad.dtype == pydl.float64


def test_next_functions_and_names():
    x = leaf([1.0, 2.0])
    y = x.exp() * 2.0
    assert y.grad_fn.name() == "MulBackward0"
    (exp_node, nr), (none_node, _) = y.grad_fn.next_functions
    assert exp_node.name() == "exp" or exp_node.name().startswith("Exp")
    assert none_node is None  # the wrapped number needs no gradient
    assert exp_node.next_functions[0][0].name() == "AccumulateGrad"
    assert "grad_fn=<MulBackward0>" in repr(y)


def test_grad_returns_gradients_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (x * w).sum()
    gx, gw = pydl.autograd.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_grad_of_an_intermediate_and_unused_inputs():
    x, unused = leaf([1.0, 2.0]), leaf([5.0])
    h = x * 2.0
    y = (h * h).sum()
    (gh,) = pydl.autograd.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        pydl.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = pydl.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gu is None
    gx, gu = pydl.autograd.grad(y, [x, unused], materialize_grads=True)
    assert gu.tolist() == [0.0]


def test_backward_with_inputs_accumulates_only_those():
    x, w = leaf([1.0]), leaf([2.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [1.0]


def test_second_backward_through_a_freed_graph_raises_and_retain_graph_allows_it():
    x = leaf([1.0, 2.0])
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_higher_order_gradients():
    x = leaf([0.5, 1.5])
    y = (x * x * x).sum()
    (g,) = pydl.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([0.5, 1.5]) ** 2)
    (h,) = pydl.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([0.5, 1.5]))
    # Through a saved output (exp keeps its result): d2/dx2 exp(x) = exp(x).
    z = leaf([0.3])
    (gz,) = pydl.autograd.grad(z.exp().sum(), z, create_graph=True)
    (hz,) = pydl.autograd.grad(gz.sum(), z)
    np.testing.assert_allclose(hz.detach().numpy(), np.exp([0.3]))


def test_long_chain_backprops_and_frees_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]
    del y  # freeing 10^5 nodes must not overflow the stack


def test_implicit_gradient_only_for_scalars_and_shape_checks():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2.0).backward(pydl.ones(3, dtype=pydl.float64))
    (x * 2.0).backward(pydl.tensor([1.0, 10.0], dtype=pydl.float64))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        pydl.ones(2).sum().backward()


def test_modified_saved_tensor_raises_version_error():
    x = leaf([1.0, 2.0])
    h = x.detach()
    h.requires_grad_()
    y = (h * h).sum()
    with pydl.no_grad():
        h.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1; expected version 0"):
        y.backward()


def test_in_place_on_leaf_and_out_are_refused():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        pydl.exp(x, out=pydl.empty(2, dtype=pydl.float64))
    with pydl.no_grad():
        x.add_(1.0)  # allowed: nothing is recorded
    assert x.tolist() == [2.0, 3.0]


def test_grad_modes():
    x = leaf([1.0])
    with pydl.no_grad():
        assert not pydl.is_grad_enabled()
        y = x * 2.0
        with pydl.enable_grad():
            z = x * 2.0
    assert y.grad_fn is None and not y.requires_grad and z.grad_fn is not None

    @pydl.no_grad()
    def f(t):
        return t * 2.0

    assert f(x).grad_fn is None and pydl.is_grad_enabled()
    with pydl.set_grad_enabled(False):
        assert (x * 2.0).grad_fn is None
    with pydl.inference_mode():
        assert (x * 2.0).grad_fn is None
    assert pydl.is_grad_enabled()
    pydl.set_grad_enabled(False)
    assert not pydl.is_grad_enabled()
    pydl.set_grad_enabled(True)


def test_inference_mode_makes_inference_tensors_with_torchs_rules():
    for lib in (pydl, pytest.importorskip("torch")):
        w = lib.ones(3, requires_grad=True)
        normal = lib.ones(3)
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
            x = lib.ones(3) * 2
            assert x.is_inference() and (w * 2).grad_fn is None
            assert not normal[1:].is_inference()  # a view of a normal tensor stays normal
            x.add_(1)                              # in place inside the mode: fine
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()
        assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()
        assert not x.clone().is_inference() and not normal.is_inference()
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            x.mul_(2)
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
            w * x
        (w + x).sum().backward()                   # add saves nothing: allowed, as in torch
        assert w.grad.tolist() == [1.0, 1.0, 1.0]
        with pytest.raises(RuntimeError, match="requires_grad=True on inference tensor"):
            x.requires_grad_()

        @lib.inference_mode()
        def f(t):
            return t * 2
        assert f(normal).is_inference()


def test_detach_and_requires_grad_rules():
    x = leaf([1.0])
    y = x * 2.0
    assert y.detach().grad_fn is None and not y.detach().requires_grad
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    y.detach_()
    assert y.is_leaf and not y.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        pydl.tensor([1, 2]).requires_grad_()


def test_hooks_retain_grad_and_non_leaf_grad_warning():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    h = x * 3.0
    h.register_hook(lambda g: g * 10.0)  # replaces the gradient flowing into h
    h.retain_grad()
    post = []
    x.register_post_accumulate_grad_hook(lambda t: post.append(t.grad.tolist()))
    h.sum().backward()
    assert h.grad.tolist() == [10.0, 10.0]  # retained after the hook, like PyTorch
    assert seen == [[30.0, 30.0]] and x.grad.tolist() == [30.0, 30.0] and post == [[30.0, 30.0]]
    with pytest.warns(UserWarning, match="not a leaf"):
        assert (x * 2.0).grad is None


def test_micrograd_style_mlp_matches_numpy():
    # One hidden tanh layer and a squared loss, with gradients worked out by hand in NumPy.
    rng = np.random.default_rng(0)
    xs, w1, w2 = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((5,))
    target = rng.standard_normal(4)
    W1, W2 = leaf(w1), leaf(w2)
    X, T = pydl.tensor(xs), pydl.tensor(target)
    # x @ w without matmul: broadcast multiply and sum over the shared dim.
    hidden = (X.unsqueeze(2) * W1.unsqueeze(0)).sum(1).tanh()
    out = (hidden * W2).sum(1)
    loss = ((out - T) * (out - T)).mean()
    loss.backward()
    h = np.tanh(xs @ w1)
    o = h @ w2
    d_o = 2 * (o - target) / 4
    np.testing.assert_allclose(W2.grad.numpy(), h.T @ d_o, rtol=1e-12)
    np.testing.assert_allclose(W1.grad.numpy(), xs.T @ (np.outer(d_o, w2) * (1 - h * h)), rtol=1e-12)


def test_grad_is_a_dense_tensor_in_the_leaf_layout():
    x = leaf([1.0, 2.0, 3.0])
    x.sum().backward()  # sum's gradient is an expanded scalar: .grad must not be that view
    x.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and x.grad.stride() == (1,)
    y = pydl.tensor(np.ones((3, 2)), dtype=pydl.float64).t().requires_grad_()
    (y * 2.0).sum().backward()
    assert y.grad.stride() == y.stride()  # the leaf's (transposed) layout, like PyTorch
    g = pydl.ones(3, dtype=pydl.float64)
    z = leaf([1.0, 1.0, 1.0])
    (z * 1.0).backward(g)
    z.grad.add_(1.0)
    assert g.tolist() == [1.0, 1.0, 1.0]  # the user's gradient argument was not taken over


def test_deepcopy_and_pickle_keep_requires_grad_of_leaves_only():
    import copy
    import pickle
    x = leaf([1.0, 2.0])
    for y in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert y.requires_grad and y.is_leaf and y.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2.0)


@pytest.mark.parametrize("op", [
    lambda x: pydl.sum(x, 1, out=pydl.empty(3)),
    lambda x: pydl.mean(x, 1, out=pydl.empty(3)),
    lambda x: pydl.amax(x, 1, out=pydl.empty(3)),
    lambda x: pydl.cumsum(x, 1, out=pydl.empty(3, 4)),
    lambda x: pydl.cat([x, x], out=pydl.empty(6, 4)),
    lambda x: pydl.mm(x, x.t(), out=pydl.empty(3, 3)),
    lambda x: pydl.exp(x, out=pydl.empty(3, 4)),
], ids=["sum", "mean", "amax", "cumsum", "cat", "mm", "exp"])
def test_out_with_grad_inputs_raises_like_torch(op):
    # The result would be written without a gradient history: PyTorch refuses, and so does pydl.
    x = pydl.randn(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"out=\.\.\. arguments don't support automatic differentiation"):
        op(x)
    with pydl.no_grad():
        op(x)  # fine without grad mode


@pytest.mark.parametrize("values", [
    [[0.5, 1.2, 0.8, 1.5], [1.1, 0.7, 1.3, 0.9]],
    [[1.0, 2.0, 0.0, 3.0], [0.0, 2.0, 3.0, 0.0]],   # zeros: before, at and after the first one
    [[2.0, 0.0, 0.0, 1.0], [-1.5, 0.5, -2.0, 1.0]],
])
@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_and_logcumsumexp_gradients(values, dim):
    x = pydl.tensor(values, dtype=pydl.float64, requires_grad=True)
    assert pydl.autograd.gradcheck(lambda t: pydl.cumprod(t, dim), (x,))
    assert pydl.autograd.gradcheck(lambda t: pydl.logcumsumexp(t, dim), (x,))
    if 0.0 in sum(values, []):  # double backward through zeros is refused, not computed wrongly
        with pytest.raises(NotImplementedError, match="double backward"):
            pydl.autograd.gradgradcheck(lambda t: pydl.cumprod(t, dim), (x,))
    else:
        assert pydl.autograd.gradgradcheck(lambda t: pydl.cumprod(t, dim), (x,))


def test_logcumsumexp_gradient_does_not_overflow_and_has_a_second_derivative():
    x = pydl.tensor([1000.0, 1001.0, 999.0], dtype=pydl.float64, requires_grad=True)
    pydl.logcumsumexp(x, 0).sum().backward()
    assert all(abs(v) < 10 for v in x.grad.tolist())
    (g,) = pydl.autograd.grad(pydl.logcumsumexp(x, 0).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), x.grad.numpy(), rtol=1e-12)
    y = pydl.tensor(np.random.default_rng(1).normal(size=(3, 4)), dtype=pydl.float64, requires_grad=True)
    for dim in (0, 1):
        assert pydl.autograd.gradgradcheck(lambda t: pydl.logcumsumexp(t, dim), (y,))


@pytest.mark.parametrize("name,f,shape", [
    ("repeat", lambda t: t.repeat(2, 1, 2), (3, 3)),
    ("tile", lambda t: t.tile((2,)), (3, 3)),
    ("repeat_interleave", lambda t: t.repeat_interleave(2, 0), (3, 3)),
    ("repeat_interleave flat", lambda t: t.repeat_interleave(3), (2, 3)),
    ("repeat_interleave tensor", lambda t: t.repeat_interleave(pydl.tensor([1, 0, 2]), 1), (3, 3)),
    ("diag of a matrix", lambda t: pydl.diag(t, 1), (3, 4)),
    ("diag of a vector", lambda t: pydl.diag(t, -1), (3,)),
    ("diag_embed", lambda t: pydl.diag_embed(t, 1, 0, 2), (3, 3)),
])
def test_copying_shape_ops_have_gradients(name, f, shape):
    # These copy their input (no view), so without a formula they used to drop out of the graph.
    x = pydl.randn(*shape, dtype=pydl.float64, requires_grad=True)
    assert f(x).requires_grad
    assert pydl.autograd.gradcheck(f, (x,))
    assert pydl.autograd.gradgradcheck(f, (x,))


def test_unique_raises_at_backward_like_torch():
    x = pydl.randn(5, requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative for 'unique'"):
        pydl.unique(x).sum().backward()


def test_index_copy_and_index_fill_gradients():
    x = pydl.randn(4, 3, dtype=pydl.float64, requires_grad=True)
    src = pydl.randn(2, 3, dtype=pydl.float64, requires_grad=True)
    value = pydl.tensor(0.7, dtype=pydl.float64, requires_grad=True)
    idx = pydl.tensor([2, 0])
    assert pydl.autograd.gradcheck(lambda a, b: a.index_copy(0, idx, b), (x, src))
    assert pydl.autograd.gradgradcheck(lambda a, b: a.index_copy(0, idx, b), (x, src))
    assert pydl.autograd.gradcheck(lambda a, b: a.index_fill(1, pydl.tensor([1]), b), (x, value))
    assert pydl.autograd.gradcheck(lambda a: a.index_fill(0, idx, 1.5), (x,))
