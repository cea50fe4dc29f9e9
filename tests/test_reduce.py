"""Reductions beyond the op table: accuracy of long float sums, NaN rules, named tuples, the
var/std argument forms, threads, and bad input (PyTorch's exception classes as the oracle)."""
import numpy as np
import pytest

import pydl


def test_float32_sum_of_1e7_matches_float64():
    a = np.random.default_rng(0).random(10**7, dtype=np.float32)
    exact = a.astype(np.float64).sum()
    assert abs(pydl.from_numpy(a).sum().item() - exact) / exact < 1e-6
    assert abs(pydl.from_numpy(a).mean().item() - exact / a.size) / (exact / a.size) < 1e-6


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape,dim", [((4096, 300), 0), ((300, 4096), 1), ((3, 2000, 50), (0, 2)), ((10**6,), 0),
                                       ((2, 3, 100000), 1)])
def test_large_reductions_match_numpy_on_any_thread_count(threads, shape, dim):
    old = pydl.get_num_threads()
    pydl.set_num_threads(threads)
    try:
        a = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        x = pydl.from_numpy(a)
        np.testing.assert_allclose(x.sum(dim).numpy(), a.astype(np.float64).sum(dim), rtol=1e-5, atol=1e-3)
        np.testing.assert_array_equal(x.amax(dim).numpy(), a.max(dim))
        if isinstance(dim, int):
            np.testing.assert_array_equal(x.argmin(dim).numpy(), a.argmin(dim))
    finally:
        pydl.set_num_threads(old)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_over_broadcast_dims(dtype, keepdim):
    """Reduced dims along which the input is expanded (stride 0) reduce one copy; sums scale it."""
    rng = np.random.default_rng(3)
    base = rng.standard_normal((1, 3, 1, 4)) * 3
    base[0, 1, 0, 2] = np.nan if dtype.startswith("float") else 0
    a = np.broadcast_to(base.astype(dtype), (5, 3, 6, 4))
    x = pydl.tensor(base.astype(dtype)).expand(5, 3, 6, 4)
    assert x.stride()[0] == 0 and x.stride()[2] == 0
    for dims in [(0, 2), (0, 1, 2, 3), (2,), (0, 3)]:
        want_sum = a.sum(dims, keepdims=keepdim, dtype=np.float64 if dtype.startswith("float") else np.int64)
        np.testing.assert_allclose(x.sum(dims, keepdim=keepdim).numpy(), want_sum, rtol=1e-6)
        np.testing.assert_array_equal(x.amax(dims, keepdim=keepdim).numpy(), a.max(dims, keepdims=keepdim))
        if dtype.startswith("float"):
            np.testing.assert_allclose(x.mean(dims, keepdim=keepdim).numpy(), a.mean(dims, keepdims=keepdim), rtol=1e-6)
            np.testing.assert_allclose(x.nansum(dims, keepdim=keepdim).numpy(),
                                       np.nansum(a, dims, keepdims=keepdim), rtol=1e-6)
        else:
            np.testing.assert_array_equal(x.all().numpy() if dims == (0, 1, 2, 3) else x.any(2).numpy(),
                                          a.all() if dims == (0, 1, 2, 3) else a.any(2))
    empty = pydl.zeros(1, 3).expand(0, 3)  # an empty broadcast dim sums to 0, not to one copy
    np.testing.assert_array_equal(empty.sum(0).numpy(), np.zeros(3))


def test_nan_propagates_and_wins_argmax():
    x = pydl.tensor([[1.0, float("nan"), 3.0, float("nan")], [4.0, 2.0, 2.0, 4.0]])
    assert np.isnan(x.amax().item()) and np.isnan(x.max().item())
    r = x.max(1)
    assert r.indices.tolist() == [1, 0]  # first NaN; first of equal maxima
    assert x.argmin(1).tolist() == [1, 1]
    assert x.t().argmax(0).tolist() == [1, 0]  # the strided path agrees


@pytest.mark.parametrize("rows", [1, 3, 4, 5, 9])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_last_dim_reductions_of_row_groups(rows, dtype):
    # Contiguous rows are reduced four at a time: each row's result must be its own, whatever
    # its position in the group and whatever the row length's remainder to the vector width.
    rng = np.random.default_rng(rows)
    a = (rng.standard_normal((rows, 203)) * 100).astype(dtype)
    if dtype.startswith("float"):
        a[rows // 2, 150] = np.nan  # only this row's max, min and sum become NaN
    x = pydl.from_numpy(a)
    np.testing.assert_array_equal(x.amax(1).numpy(), a.max(1))
    np.testing.assert_array_equal(x.amin(1).numpy(), a.min(1))
    np.testing.assert_allclose(x.sum(1).numpy(), a.sum(1), rtol=1e-5)
    np.testing.assert_allclose(x[:, :5].contiguous().prod(1).numpy(), a[:, :5].prod(1), rtol=1e-5)


def test_named_tuples():
    x = pydl.tensor([[3.0, 1.0], [0.0, 5.0]])
    values, indices = pydl.max(x, 1)
    assert type(pydl.max(x, 1)).__name__ == "max" and values.tolist() == [3.0, 5.0] and indices.tolist() == [0, 1]
    mn = x.min(dim=0, keepdim=True)
    assert mn.values.shape == (1, 2) and mn.indices.tolist() == [[1, 0]]
    r = pydl.aminmax(x)
    assert (r.min.item(), r.max.item()) == (0.0, 5.0)
    assert pydl.max(x, pydl.zeros(2, 2)).tolist() == [[3.0, 1.0], [0.0, 5.0]]  # the maximum overload


def test_out_pairs_and_out():
    x = pydl.tensor([[3.0, 1.0], [0.0, 5.0]])
    v, i = pydl.empty(0), pydl.empty(0, dtype=pydl.int64)
    r = pydl.max(x, 0, out=(v, i))
    assert r.values is v and v.tolist() == [3.0, 5.0] and i.tolist() == [0, 1]
    o = pydl.empty(2)
    assert pydl.sum(x, 1, out=o) is o and o.tolist() == [4.0, 5.0]


def test_var_std_argument_forms():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).standard_normal((4, 5))
    x, t = pydl.from_numpy(a), torch.from_numpy(a)
    for args, kwargs in [((), {}), ((False,), {}), ((1,), {}), ((1, False), {}), ((1, True, True), {}),
                         ((), {"dim": 0, "correction": 0}), ((), {"dim": (0, 1), "correction": 2, "keepdim": True}),
                         ((), {"unbiased": False})]:
        for name in ("var", "std"):
            np.testing.assert_allclose(getattr(x, name)(*args, **kwargs).numpy(),
                                       getattr(t, name)(*args, **kwargs).numpy(), rtol=1e-12)
        vm, tvm = pydl.var_mean(x, *args, **kwargs), torch.var_mean(t, *args, **kwargs)
        np.testing.assert_allclose(vm[0].numpy(), tvm[0].numpy(), rtol=1e-12)
        np.testing.assert_allclose(vm[1].numpy(), tvm[1].numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError):
        x.var(unbiased=True, correction=0)


def test_logsumexp_is_stable_and_handles_infinities():
    x = pydl.tensor([[1000.0, 1000.0], [-float("inf"), -float("inf")], [float("inf"), 1.0]])
    r = pydl.logsumexp(x, 1).tolist()
    assert r[0] == pytest.approx(1000.0 + np.log(2)) and r[1] == -float("inf") and r[2] == float("inf")
    assert pydl.logsumexp(pydl.zeros(0, 3), 0).tolist() == [-float("inf")] * 3


def test_allclose_equal_trace_count_nonzero():
    a = pydl.tensor([1.0, 2.0, float("nan")])
    assert not pydl.allclose(a, a) and pydl.allclose(a, a, equal_nan=True) and a.allclose(a + 1e-9, equal_nan=True)
    assert pydl.equal(pydl.ones(2, 3), pydl.ones(2, 3)) and not pydl.equal(pydl.ones(2, 3), pydl.ones(3, 2))
    m = pydl.arange(12).reshape(3, 4)
    assert m.trace().item() == 15 and m.trace().dtype == pydl.int64
    assert pydl.count_nonzero(m, 1).tolist() == [3, 4, 4]
    assert pydl.norm(pydl.tensor([3.0, 4.0])).item() == 5.0
    assert pydl.linalg.vector_norm(pydl.tensor([3.0, -4.0]), float("inf")).item() == 4.0


BAD = [
    ("sum with a repeated dim", lambda lib: lib.zeros(2, 3).sum((0, 0))),
    ("sum dim out of range", lambda lib: lib.zeros(2, 3).sum(2)),
    ("sum with a float dim", lambda lib: lib.zeros(2, 3).sum(1.0)),
    ("mean of ints", lambda lib: lib.arange(3).mean()),
    ("amax over an empty dim", lambda lib: lib.zeros(0, 3).amax(0)),
    ("max of an empty tensor", lambda lib: lib.zeros(0).max()),
    ("max over an empty dim", lambda lib: lib.zeros(0, 3).max(0)),
    ("argmax of an empty tensor", lambda lib: lib.zeros(0).argmax()),
    ("argmax of bool", lambda lib: lib.ones(3, dtype=lib.bool).argmax()),
    ("var of ints", lambda lib: lib.arange(3).var()),
    ("trace of a vector", lambda lib: lib.ones(3).trace()),
    ("vector_norm of ints", lambda lib: lib.linalg.vector_norm(lib.arange(3))),
    ("inf norm of an empty tensor", lambda lib: lib.linalg.vector_norm(lib.zeros(0), float("inf"))),
    ("aminmax of an empty tensor", lambda lib: lib.aminmax(lib.zeros(0))),
    ("isclose of mixed dtypes", lambda lib: lib.allclose(lib.ones(2), lib.ones(2, dtype=lib.float64))),
]


@pytest.mark.parametrize("case", [pytest.param(fn, id=name) for name, fn in BAD])
def test_bad_input_raises_like_torch(case):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as expected:
        case(torch)
    with pytest.raises(type(expected.value)) as got:
        case(pydl)
    assert str(got.value)
