"""The fused layer_norm / training batch_norm (csrc/ops/normalization.cpp, Backend::norm): which
inputs take it, its values and gradients against torch where the composed path is not there to
compare (one of weight/bias only, strided input), double backward through its composed
create_graph formula, its errors, and column sums that do not depend on the thread count.
(test_nn_norm_init.py compares both functions with torch over shapes and dtypes.)"""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck, gradgradcheck

F = pydl.nn.functional
RNG = np.random.default_rng(1)


def layer(lib, x, w, b):
    return lib.nn.functional.layer_norm(x, x.shape[-1:], w, b)


def batch(lib, x, w, b):
    return lib.nn.functional.batch_norm(x, None, None, w, b, training=True)


def leaves(lib, arrays):
    return [None if a is None else lib.from_numpy(a.copy()).requires_grad_() for a in arrays]


@pytest.mark.parametrize("fn,shape,node", [(layer, (6, 4, 33), "NativeLayerNormBackward0"),
                                           (batch, (5, 3, 4, 7), "NativeBatchNormBackward0")])
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
@pytest.mark.parametrize("strided", [False, True])
def test_matches_torch(fn, shape, node, affine, strided):
    torch = pytest.importorskip("torch")
    params = shape[-1] if fn is layer else shape[1]
    x = RNG.standard_normal(shape) * 2 + 0.5
    if strided:  # a permuted copy, permuted back: the same values, not contiguous
        x = np.ascontiguousarray(np.swapaxes(x, 0, -1))
    w = RNG.standard_normal(params) if affine in ("both", "weight") else None
    b = RNG.standard_normal(params) if affine in ("both", "bias") else None
    grad = RNG.standard_normal(shape)
    results = []
    for lib in (pydl, torch):
        xs, ws, bs = leaves(lib, [x, w, b])
        out = fn(lib, xs.transpose(0, -1) if strided else xs, ws, bs)
        if lib is pydl:
            assert out.grad_fn.name() == node
        out.backward(lib.from_numpy(grad.copy()))
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in (xs, ws, bs) if t is not None])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn,shape", [(layer, (3, 2, 5)), (batch, (4, 3, 5))])
def test_gradcheck_and_double_backward(fn, shape):
    params = shape[-1] if fn is layer else shape[1]
    args = leaves(pydl, [RNG.standard_normal(shape), RNG.standard_normal(params), RNG.standard_normal(params)])
    f = lambda x, w, b: fn(pydl, x, w, b)  # noqa: E731
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)  # create_graph takes the composed formula


def test_other_dtypes_and_batchnorm1d_take_the_composed_path():
    x = pydl.randn(8, 6, dtype=pydl.float16, requires_grad=True)
    assert F.layer_norm(x, (6,)).grad_fn.name() != "NativeLayerNormBackward0"
    x2 = pydl.randn(8, 6, requires_grad=True)  # (N, C): strided channels, composed
    assert F.batch_norm(x2, None, None, training=True).grad_fn.name() != "NativeBatchNormBackward0"
    x3 = pydl.randn(8, 6, requires_grad=True)
    w64 = pydl.ones(6, dtype=pydl.float64)  # mixed dtypes: composed (which promotes)
    assert F.layer_norm(x3, (6,), w64).dtype == pydl.float64


def test_running_stats_update_like_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((6, 3, 4, 4)).astype(np.float32)
    stats = []
    for lib in (pydl, torch):
        rm, rv = lib.zeros(3), lib.ones(3)
        for _ in range(3):
            lib.nn.functional.batch_norm(lib.from_numpy(x.copy()), rm, rv, training=True, momentum=0.3)
        stats.append([rm.numpy(), rv.numpy()])
    for got, want in zip(*stats):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_parameter_shape_errors_like_torch():
    x = pydl.randn(4, 3, 5)
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got "
                                           r"weight of shape \[4\] and normalized_shape = \[5\]"):
        F.layer_norm(x, (5,), pydl.ones(4))
    with pytest.raises(RuntimeError, match=r"Expected bias to be of same shape as normalized_shape"):
        F.layer_norm(x, (5,), None, pydl.ones(1, 5))
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 4"):
        F.batch_norm(x, None, None, pydl.ones(4), training=True)
    with pytest.raises(RuntimeError, match="bias should contain 3 elements not 2"):
        F.batch_norm(x, None, None, None, pydl.ones(2), training=True)
    with pytest.raises(RuntimeError, match="layer_norm: expected weight of 5 elements"):  # the op's own check
        pydl._C._nn._layer_norm(x, 1, pydl.ones(4), None, 1e-5)


def test_modifying_the_input_after_forward_is_caught():
    x = pydl.randn(4, 8, requires_grad=True)
    y = x * 1.0
    out = F.layer_norm(y, (8,))
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("fn,shape", [(layer, (300, 96)), (batch, (16, 8, 12, 12))])
def test_gradients_do_not_depend_on_the_thread_count(fn, shape):
    params = shape[-1] if fn is layer else shape[1]
    arrays = [RNG.standard_normal(shape).astype(np.float32), RNG.standard_normal(params).astype(np.float32),
              RNG.standard_normal(params).astype(np.float32)]
    grad = pydl.from_numpy(RNG.standard_normal(shape).astype(np.float32))
    before = pydl.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            pydl.set_num_threads(threads)
            xs = leaves(pydl, arrays)
            fn(pydl, *xs).backward(grad)
            results.append([t.grad.numpy() for t in xs])
    finally:
        pydl.set_num_threads(before)
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)
