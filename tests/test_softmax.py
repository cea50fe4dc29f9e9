"""softmax / log_softmax beyond the op table rows: dtype=, special values (-inf rows, +inf, NaN),
magnitudes whose exp overflows, F.softmax's implicit dim, and the parallel kernel paths. PyTorch
is the oracle where installed; NumPy (float64, shifted by the max) otherwise."""
import warnings

import numpy as np
import pytest

import pydl
import pydl.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch as the oracle")
INF, NAN = float("inf"), float("nan")


def ref(x, dim, log=False):
    x = np.asarray(x, dtype=np.float64)
    s = x - x.max(axis=dim, keepdims=True)
    lse = np.log(np.exp(s).sum(axis=dim, keepdims=True))
    return s - lse if log else np.exp(s - lse)


def np_of(t):
    return t.to(pydl.float32).numpy() if t.dtype in (pydl.float16, pydl.bfloat16) else t.numpy()


@pytest.mark.parametrize("log", [False, True])
def test_dtype_casts_the_input_first(log):
    fn = pydl.log_softmax if log else pydl.softmax
    x = np.random.default_rng(0).uniform(-3, 3, (4, 6)).astype(np.float32)
    got = fn(pydl.tensor(x, dtype=pydl.float16), 1, dtype=pydl.float64)
    assert got.dtype == pydl.float64
    np.testing.assert_allclose(got.numpy(), ref(x.astype(np.float16), 1, log), rtol=1e-12, atol=1e-12)
    # integer inputs are fine once cast to a floating dtype, in every form
    ints = pydl.tensor([[1, 2, 3], [0, 0, 0]])
    for r in (fn(ints, -1, pydl.float32), getattr(ints, "log_softmax" if log else "softmax")(-1, dtype=pydl.float32),
              getattr(F, "log_softmax" if log else "softmax")(ints, -1, dtype=pydl.float32)):
        assert r.dtype == pydl.float32
        np.testing.assert_allclose(r.numpy(), ref([[1, 2, 3], [0, 0, 0]], -1, log), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(64, 37), (3, 5000)])  # rows widened whole / a block at a time
@pytest.mark.parametrize("dtype", [pydl.float16, pydl.bfloat16])
@pytest.mark.parametrize("log", [False, True])
def test_half_types_round_once(dtype, log, shape):
    """Computed in float32 and rounded once: within half an ulp of the exact result (plus the
    float32 error), where storing rounded exps and scaling them would round twice."""
    x = pydl.tensor(np.random.default_rng(1).uniform(-4, 4, shape), dtype=dtype)
    xs = np_of(x)
    for dim in (0, 1):
        got = (pydl.log_softmax if log else pydl.softmax)(x, dim)
        assert got.dtype == dtype
        want = pydl.tensor(ref(xs, dim, log), dtype=pydl.float32).to(dtype)  # exact, rounded once
        diff = np.abs(np_of(got) - np_of(want))
        ulp = np.abs(np_of(want)) * (2.0 ** -10 if dtype == pydl.float16 else 2.0 ** -7)
        assert np.all(diff <= ulp + 1e-7), f"dim={dim}: max diff {diff.max()}"


def test_zero_dim_and_empty():
    assert pydl.softmax(pydl.tensor(3.5), 0).item() == 1.0
    assert pydl.softmax(pydl.tensor(-INF), -1).shape == ()
    assert pydl.log_softmax(pydl.tensor(3.5), -1).item() == 0.0
    for shape, dim in (((0,), 0), ((0, 3), 1), ((3, 0), 1), ((3, 0), 0), ((2, 0, 4), 2)):
        for fn in (pydl.softmax, pydl.log_softmax):
            r = fn(pydl.empty(shape), dim)
            assert tuple(r.shape) == shape and r.dtype == pydl.float32


SPECIAL_ROWS = [
    [-INF, -INF, -INF],    # all -inf: NaN (-inf - -inf), as in torch
    [1.0, -INF, 2.0],      # -inf gives 0 (log: -inf)
    [INF, 1.0, 2.0],       # +inf: NaN everywhere (inf - inf)
    [INF, INF, 0.0],
    [NAN, 1.0, 2.0],       # NaN spreads over its slice
    [-INF, 0.0, -INF],
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("transposed", [False, True])
def test_special_values_match_torch(dtype, log, transposed):
    x = np.array(SPECIAL_ROWS)
    dim = 1
    if transposed:  # the same slices along dim 0 (the inner > 1 kernel path)
        x, dim = x.T.copy(), 0
    got = (pydl.log_softmax if log else pydl.softmax)(pydl.tensor(x, dtype=getattr(pydl, dtype)), dim)
    if torch is not None:
        want = (torch.log_softmax if log else torch.softmax)(torch.tensor(x, dtype=getattr(torch, dtype)), dim)
        want = want.float().numpy()
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            want = ref(x, dim, log)
    np.testing.assert_array_equal(np.isnan(np_of(got)), np.isnan(want))
    np.testing.assert_allclose(np_of(got), want, rtol=1e-2, atol=1e-3, equal_nan=True)


@pytest.mark.parametrize("dtype", [pydl.float32, pydl.float64, pydl.float16, pydl.bfloat16])
@pytest.mark.parametrize("log", [False, True])
def test_large_magnitudes_do_not_overflow(dtype, log):
    x = np.array([[1e4, 1e4 - 1, -1e4, 1e4 - 3], [-1e4, -1e4 + 2, -1e4 + 1, -1e4]])
    t = pydl.tensor(x, dtype=dtype)
    xs = np_of(t)
    for dim in (0, 1):
        got = np_of((pydl.log_softmax if log else pydl.softmax)(t, dim))
        assert np.all(np.isfinite(got) | (log & np.isneginf(got)))
        tol = 1e-5 if dtype in (pydl.float32, pydl.float64) else 1e-2
        # log_softmax is exact up to the rounding of x itself (about 1 ulp of 1e4)
        atol = tol if not log else float(np.spacing(np.float32(1e4))) * 4 if dtype == pydl.float32 else tol * 1e4
        np.testing.assert_allclose(got, ref(xs, dim, log), rtol=tol, atol=atol)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_functional_implicit_dim_warns_like_torch(name):
    fn = getattr(F, name)
    for shape, dim in (((), 0), ((5,), 0), ((3, 4), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)):
        x = pydl.tensor(np.random.default_rng(2).uniform(-2, 2, shape), dtype=pydl.float32)
        with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name} has been deprecated") as rec:
            got = fn(x)
        assert rec[0].filename == __file__, "the warning points at the caller"
        np.testing.assert_array_equal(got.numpy(), fn(x, dim).numpy())
        if torch is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = getattr(torch.nn.functional, name)(torch.from_numpy(x.numpy()))
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fn(pydl.ones(2, 3), 1)  # an explicit dim does not warn
        with pytest.raises(UserWarning):
            fn(pydl.ones(2, 3))  # warnings as errors propagate


def test_functional_signature_like_torch():
    x = pydl.tensor([[1.0, 2.0, 3.0]])
    r = F.softmax(x, 1, 3, pydl.float64)  # (input, dim, _stacklevel, dtype) positionally
    assert r.dtype == pydl.float64
    np.testing.assert_allclose(r.numpy(), ref([[1, 2, 3]], 1), rtol=1e-12)
    r = F.softmin(x, dim=1, dtype=pydl.float64)
    np.testing.assert_allclose(r.numpy(), ref([[-1, -2, -3]], 1), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x, dim=-1, _stacklevel=5).numpy(), ref([[1, 2, 3]], 1, True), rtol=1e-6)
    assert pydl.softmax(x, 1, pydl.float64).dtype == pydl.float64  # torch.softmax takes dtype positionally too


def test_result_is_a_new_contiguous_tensor():
    x = pydl.tensor(np.random.default_rng(3).uniform(-2, 2, (5, 6)), dtype=pydl.float32).t()
    r = pydl.softmax(x, 0)
    assert r.is_contiguous() and tuple(r.shape) == (6, 5)
    np.testing.assert_allclose(r.numpy(), ref(x.numpy(), 0), rtol=1e-6, atol=1e-7)
    assert x.numpy().max() <= 2  # the input is untouched


@pytest.mark.parametrize("shape,dim", [((513, 300), 1), ((300, 513), 0), ((4, 200, 70), 1), ((40, 3000), -1)])
@pytest.mark.parametrize("log", [False, True])
def test_threads_give_the_same_answer(shape, dim, log):
    fn = pydl.log_softmax if log else pydl.softmax
    x = pydl.tensor(np.random.default_rng(4).uniform(-8, 8, shape), dtype=pydl.float32)
    old = pydl.get_num_threads()
    try:
        pydl.set_num_threads(1)
        one = fn(x, dim).numpy()
        pydl.set_num_threads(2)
        two = fn(x, dim).numpy()
    finally:
        pydl.set_num_threads(old)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_allclose(one, ref(x.numpy(), dim, log), rtol=2e-6, atol=2e-6)
    if not log:
        np.testing.assert_allclose(one.sum(axis=dim), 1.0, rtol=1e-5)
