"""Normalisation and embedding functions (pydl/nn/_normalization.py, _embedding.py) against torch:
forward values and the gradients of every differentiable argument, float64 tight and float32
loose; running statistics after several training steps; gradcheck; torch's error classes.
(Dropout and nn.init are in test_nn_dropout_init.py.)"""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck
from pydl.nn import _embedding as E
from pydl.nn import _normalization as N

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
TOL = {"float64": dict(rtol=1e-9, atol=1e-11), "float32": dict(rtol=1e-4, atol=1e-5)}
PYDL_DTYPE = {"float64": pydl.float64, "float32": pydl.float32}


def _pair(array, dtype, requires_grad=True):
    array = np.asarray(array, dtype=dtype)
    return (pydl.tensor(array, dtype=PYDL_DTYPE[dtype], requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _close(actual, expected, dtype):
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), **TOL[dtype])


def check_against_torch(pydl_fn, torch_fn, arrays, dtype, grads=True):
    """Runs both functions on the same arrays (None passes through) and compares the output
    and, after backward of a random cotangent, the gradient of every array argument."""
    pairs = [None if a is None else _pair(a, dtype) for a in arrays]
    out = pydl_fn(*[None if p is None else p[0] for p in pairs])
    expected = torch_fn(*[None if p is None else p[1] for p in pairs])
    _close(out, expected, dtype)
    if not grads:
        return
    cotangent = RNG.standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(pydl.tensor(cotangent, dtype=PYDL_DTYPE[dtype]))
    expected.backward(torch.tensor(cotangent))
    for p in pairs:
        if p is not None:
            assert p[0].grad is not None
            _close(p[0].grad, p[1].grad, dtype)


def randn(*shape):
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------- batch_norm

BN_SHAPES = [(6, 3), (4, 3, 5), (3, 3, 4, 5), (2, 3, 3, 2, 4)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_values_grads_and_running_stats(dtype, shape, affine):
    channels = shape[1]
    rm, trm = _pair(randn(channels), dtype, requires_grad=False)
    rv, trv = _pair(RNG.uniform(0.5, 2.0, channels), dtype, requires_grad=False)
    params = [randn(channels), randn(channels)] if affine else [None, None]
    for _ in range(3):  # the running statistics must follow torch's over several steps
        data = randn(*shape) * 3 + 1.5
        check_against_torch(
            lambda x, w, b: N.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2),
            lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, training=True, momentum=0.2),
            [data] + params, dtype)
    _close(rm, trm, dtype)
    _close(rv, trv, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval_uses_running_stats(dtype, shape, affine):
    channels = shape[1]
    rm, trm = _pair(randn(channels), dtype, requires_grad=False)
    rv, trv = _pair(RNG.uniform(0.5, 2.0, channels), dtype, requires_grad=False)
    before = rm.numpy().copy()
    params = [randn(channels), randn(channels)] if affine else [None, None]
    check_against_torch(lambda x, w, b: N.batch_norm(x, rm, rv, w, b, training=False),
                        lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, training=False),
                        [randn(*shape)] + params, dtype)
    np.testing.assert_array_equal(rm.numpy(), before)  # eval never updates the statistics


def test_batch_norm_training_without_running_stats():
    check_against_torch(lambda x, w, b: N.batch_norm(x, None, None, w, b, training=True),
                        lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
                        [randn(5, 2, 3), randn(2), randn(2)], "float64")


def test_batch_norm_running_var_is_unbiased():
    # Independent of torch: after one step from (0, 1) with momentum 1, the statistics are the
    # batch's mean and its unbiased variance.
    data = randn(7, 2)
    rm, rv = pydl.zeros(2, dtype=pydl.float64), pydl.ones(2, dtype=pydl.float64)
    N.batch_norm(pydl.tensor(data), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rm.numpy(), data.mean(0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), data.var(0, ddof=1), rtol=1e-12)


def test_batch_norm_empty_batch_keeps_running_stats():
    rm, rv = pydl.zeros(3), pydl.ones(3)
    assert N.batch_norm(pydl.randn(0, 3, 4), rm, rv, training=True).shape == (0, 3, 4)
    np.testing.assert_array_equal(rm.numpy(), 0.0)
    np.testing.assert_array_equal(rv.numpy(), 1.0)


def test_batch_norm_gradcheck():
    x = pydl.tensor(randn(4, 2, 3), dtype=pydl.float64, requires_grad=True)
    w = pydl.tensor(randn(2), dtype=pydl.float64, requires_grad=True)
    b = pydl.tensor(randn(2), dtype=pydl.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: N.batch_norm(x, None, None, w, b, training=True), (x, w, b))


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        N.batch_norm(pydl.randn(1, 3), pydl.zeros(3), pydl.ones(3), training=True)
    with pytest.raises(ValueError):
        TF.batch_norm(torch.randn(1, 3), torch.zeros(3), torch.ones(3), training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        N.batch_norm(pydl.randn(2, 3), pydl.zeros(4), pydl.ones(3), training=True)
    with pytest.raises(RuntimeError):
        TF.batch_norm(torch.randn(2, 3), torch.zeros(4), torch.ones(3), training=True)


# ---------------------------------------------------------------- layer_norm, rms_norm

LN_CASES = [((4, 5), 5), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((2, 3, 2, 2), [3, 2, 2])]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,normalized_shape", LN_CASES)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(dtype, shape, normalized_shape, affine):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    weight = randn(*ns) if affine != "none" else None
    bias = randn(*ns) if affine == "both" else None
    check_against_torch(lambda x, w, b: N.layer_norm(x, normalized_shape, w, b, eps=1e-3),
                        lambda x, w, b: TF.layer_norm(x, ns, w, b, eps=1e-3),
                        [randn(*shape) * 2 + 1, weight, bias], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,normalized_shape", LN_CASES)
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(dtype, shape, normalized_shape, eps):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    check_against_torch(lambda x, w: N.rms_norm(x, normalized_shape, w, eps=eps),
                        lambda x, w: TF.rms_norm(x, ns, w, eps=eps),
                        [randn(*shape), randn(*ns)], dtype)


def test_rms_norm_default_eps_is_machine_epsilon():
    # With an all-zero input the result is 0 * rsqrt(eps): finite only thanks to the default eps.
    out = N.rms_norm(pydl.zeros(2, 3, dtype=pydl.float64, requires_grad=True), 3)
    assert np.isfinite(out.detach().numpy()).all()
    x = pydl.tensor(np.full((1, 4), 1e-9))
    expected = 1e-9 / np.sqrt(1e-18 + np.finfo(np.float64).eps)
    np.testing.assert_allclose(N.rms_norm(x, 4).numpy(), expected, rtol=1e-12)


def test_layer_and_rms_norm_gradcheck():
    x = pydl.tensor(randn(2, 3, 4), dtype=pydl.float64, requires_grad=True)
    w = pydl.tensor(randn(3, 4), dtype=pydl.float64, requires_grad=True)
    b = pydl.tensor(randn(3, 4), dtype=pydl.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: N.layer_norm(x, (3, 4), w, b), (x, w, b))
    assert gradcheck(lambda x, w: N.rms_norm(x, (3, 4), w), (x, w))


def test_layer_norm_shape_error():
    for lib, fn in ((pydl, N.layer_norm), (torch, TF.layer_norm)):
        with pytest.raises(RuntimeError, match=r"expected input with shape \[\*, 5\]"):
            fn(lib.randn(2, 3, 4), [5])


# ---------------------------------------------------------------- group_norm, instance_norm

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,groups", [((2, 6), 3), ((2, 6, 5), 2), ((3, 4, 3, 3), 4), ((2, 6, 2, 3, 2), 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(dtype, shape, groups, affine):
    params = [randn(shape[1]), randn(shape[1])] if affine else [None, None]
    check_against_torch(lambda x, w, b: N.group_norm(x, groups, w, b),
                        lambda x, w, b: TF.group_norm(x, groups, w, b),
                        [randn(*shape) * 2 - 1] + params, dtype)


def test_group_norm_errors_and_gradcheck():
    for lib, fn in ((pydl, N.group_norm), (torch, TF.group_norm)):
        with pytest.raises(RuntimeError, match="divisible by num_groups"):
            fn(lib.randn(2, 6, 4), 4)
    x = pydl.tensor(randn(2, 4, 3), dtype=pydl.float64, requires_grad=True)
    w = pydl.tensor(randn(4), dtype=pydl.float64, requires_grad=True)
    b = pydl.tensor(randn(4), dtype=pydl.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: N.group_norm(x, 2, w, b), (x, w, b))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(3, 2, 5), (2, 3, 3, 4), (2, 2, 2, 3, 2)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("running", [True, False])
def test_instance_norm_training(dtype, shape, affine, running):
    channels = shape[1]
    rm, trm = _pair(randn(channels), dtype, requires_grad=False)
    rv, trv = _pair(RNG.uniform(0.5, 2.0, channels), dtype, requires_grad=False)
    stats, tstats = ((rm, rv), (trm, trv)) if running else ((None, None), (None, None))
    params = [randn(channels), randn(channels)] if affine else [None, None]
    for _ in range(2):
        check_against_torch(lambda x, w, b: N.instance_norm(x, *stats, w, b, momentum=0.3),
                            lambda x, w, b: TF.instance_norm(x, *tstats, w, b, momentum=0.3),
                            [randn(*shape) + 2] + params, dtype)
    _close(rm, trm, dtype)
    _close(rv, trv, dtype)


def test_instance_norm_with_running_stats():
    rm, trm = _pair(randn(3), "float64", requires_grad=False)
    rv, trv = _pair(RNG.uniform(0.5, 2.0, 3), "float64", requires_grad=False)
    check_against_torch(lambda x, w, b: N.instance_norm(x, rm, rv, w, b, use_input_stats=False),
                        lambda x, w, b: TF.instance_norm(x, trm, trv, w, b, use_input_stats=False),
                        [randn(2, 3, 4), randn(3), randn(3)], "float64")


def test_instance_norm_errors_and_gradcheck():
    for lib, fn in ((pydl, N.instance_norm), (torch, TF.instance_norm)):
        with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
            fn(lib.randn(2, 3, 1))
    x = pydl.tensor(randn(2, 2, 4), dtype=pydl.float64, requires_grad=True)
    w = pydl.tensor(randn(2), dtype=pydl.float64, requires_grad=True)
    assert gradcheck(lambda x, w: N.instance_norm(x, weight=w), (x, w))


# ---------------------------------------------------------------- local_response_norm, normalize

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 6, 3, 3), (1, 4, 2, 3, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm(dtype, shape, size):
    check_against_torch(lambda x: N.local_response_norm(x, size, alpha=0.3, beta=0.6, k=2.0),
                        lambda x: TF.local_response_norm(x, size, alpha=0.3, beta=0.6, k=2.0),
                        [randn(*shape)], dtype)


def test_local_response_norm_errors_and_gradcheck():
    for lib, fn in ((pydl, N.local_response_norm), (torch, TF.local_response_norm)):
        with pytest.raises(ValueError, match="Expected 3D or higher dimensionality"):
            fn(lib.randn(2, 3), 2)
    x = pydl.tensor(randn(1, 4, 3), dtype=pydl.float64, requires_grad=True)
    assert gradcheck(lambda x: N.local_response_norm(x, 3, alpha=0.5), (x,))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1), (float("inf"), 1)])
def test_normalize(dtype, p, dim):
    check_against_torch(lambda x: N.normalize(x, p, dim), lambda x: TF.normalize(x, p, dim),
                        [randn(3, 4, 5)], dtype)


def test_normalize_zero_vector_uses_eps():
    data = np.zeros((2, 3))
    data[1] = [3.0, 4.0, 0.0]
    check_against_torch(lambda x: N.normalize(x), lambda x: TF.normalize(x), [data], "float64")
    x = pydl.tensor(randn(3, 4), dtype=pydl.float64, requires_grad=True)
    assert gradcheck(lambda x: N.normalize(x, 2.0, 1), (x,))


# ---------------------------------------------------------------- embedding

def _embedding_pair(indices, weight, dtype, **kwargs):
    """Returns (pydl weight, torch weight) after running both embeddings forward and backward."""
    pw, tw = _pair(weight, dtype)
    out = E.embedding(pydl.tensor(indices), pw, **kwargs)
    expected = TF.embedding(torch.tensor(indices), tw, **kwargs)
    _close(out, expected, dtype)
    cotangent = RNG.standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(pydl.tensor(cotangent, dtype=PYDL_DTYPE[dtype]))
    expected.backward(torch.tensor(cotangent))
    _close(pw.grad, tw.grad, dtype)
    return pw, tw


INDICES = np.array([[1, 2, 0, 4], [4, 3, 2, 9]])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 4, "scale_grad_by_freq": True}])
def test_embedding_values_and_weight_grad(dtype, kwargs):
    pw, _ = _embedding_pair(INDICES, randn(10, 3), dtype, **kwargs)
    if "padding_idx" in kwargs:
        np.testing.assert_array_equal(pw.grad.numpy()[kwargs["padding_idx"]], 0.0)


def test_embedding_index_shapes():
    for indices in (np.array(3), np.array([0, 5, 5]), np.arange(24).reshape(2, 3, 4) % 6):
        _embedding_pair(indices, randn(6, 2), "float64")


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_weight_in_place(norm_type):
    weight = randn(10, 3) * 3
    pw, tw = _embedding_pair(INDICES, weight, "float64", max_norm=1.5, norm_type=norm_type)
    _close(pw, tw, "float64")
    norms = np.linalg.norm(pw.detach().numpy(), ord=norm_type, axis=1)
    referenced = np.unique(INDICES)
    assert (norms[referenced] <= 1.5 + 1e-9).all()
    untouched = np.setdiff1d(np.arange(10), referenced)
    np.testing.assert_array_equal(pw.detach().numpy()[untouched], weight[untouched])


def test_embedding_gradcheck_and_errors():
    w = pydl.tensor(randn(5, 2), dtype=pydl.float64, requires_grad=True)
    idx = pydl.tensor([[0, 1, 1], [3, 0, 4]])
    # Only the plain lookup: padding_idx and scale_grad_by_freq deliberately are not derivatives.
    assert gradcheck(lambda w: E.embedding(idx, w), (w,))
    with pytest.raises(NotImplementedError, match="sparse"):
        E.embedding(idx, w, sparse=True)
    for lib, fn in ((pydl, E.embedding), (torch, TF.embedding)):
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            fn(lib.tensor([0]), lib.zeros(5, 2), padding_idx=5)
        with pytest.raises(RuntimeError):
            fn(lib.tensor([0.0]), lib.zeros(5, 2))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_with_offsets(mode, padding_idx):
    flat = np.array([1, 2, 4, 5, 4, 3, 2, 9, 2])
    offsets = np.array([0, 2, 2, 6])  # the third bag is empty
    pw, tw = _pair(randn(10, 3), "float64")
    out = E.embedding_bag(pydl.tensor(flat), pw, pydl.tensor(offsets), mode=mode, padding_idx=padding_idx)
    expected = TF.embedding_bag(torch.tensor(flat), tw, torch.tensor(offsets), mode=mode, padding_idx=padding_idx)
    _close(out, expected, "float64")
    cotangent = randn(*expected.shape)
    out.backward(pydl.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    _close(pw.grad, tw.grad, "float64")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_input(mode):
    pw, tw = _pair(randn(10, 4), "float64")
    out = E.embedding_bag(pydl.tensor(INDICES), pw, mode=mode)
    expected = TF.embedding_bag(torch.tensor(INDICES), tw, mode=mode)
    _close(out, expected, "float64")


def test_embedding_bag_per_sample_weights_and_last_offset():
    flat, offsets = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 6])
    psw = randn(6)
    pw, tw = _pair(randn(10, 3), "float64")
    pp, tp = _pair(psw, "float64")
    out = E.embedding_bag(pydl.tensor(flat), pw, pydl.tensor(offsets), mode="sum", per_sample_weights=pp,
                          include_last_offset=True)
    expected = TF.embedding_bag(torch.tensor(flat), tw, torch.tensor(offsets), mode="sum", per_sample_weights=tp,
                                include_last_offset=True)
    _close(out, expected, "float64")
    out.sum().backward()
    expected.sum().backward()
    _close(pp.grad, tp.grad, "float64")
    with pytest.raises(NotImplementedError):
        E.embedding_bag(pydl.tensor(flat), pw, pydl.tensor(offsets), mode="mean", per_sample_weights=pp)
    # Entries after the last offset belong to no bag. (torch 2.13 CPU disagrees with itself here:
    # float32 sum leaves them out, float64 sums them in, float32 mean counts but does not sum them.)
    out = E.embedding_bag(pydl.tensor(flat), pw, pydl.tensor([0, 2, 5]), mode="mean", include_last_offset=True)
    weight = pw.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), [weight[flat[:2]].mean(0), weight[flat[2:5]].mean(0)],
                               rtol=1e-12)
    for lib, fn in ((pydl, E.embedding_bag), (torch, TF.embedding_bag)):
        with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
            fn(lib.tensor(flat), lib.zeros(10, 3), lib.tensor([1, 3]))
