"""Scans beyond the op table: the pydl.return_types named tuples of cummax/cummin, NaN and ties
against PyTorch, float accumulation width, logcumsumexp's stability and infinities, and the
long-row / wide-tile kernel paths under several threads."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")


def same(a, b):
    """Exact equality (NaN == NaN) of a pydl and a torch tensor, with shapes and dtypes."""
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    if a.dtype in (pydl.float16, pydl.bfloat16):
        a, b = a.float(), b.float()
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_named_tuple(name):
    x = pydl.tensor([[3.0, 1.0, 4.0], [1.0, 5.0, 9.0]])
    r = getattr(pydl, name)(x, 1)
    assert type(r).__name__ == name and type(r) is getattr(pydl.return_types, name)
    values, indices = r
    assert r.values is values and r.indices is indices and r[0] is values
    m = getattr(x, name)(dim=1)
    same(m.values, r.values)
    t = getattr(torch, name)(torch.tensor(x.numpy()), 1)
    same(r.values, t.values)
    same(r.indices, t.indices)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("data", [
    [1, 1, 1],
    [2, 1, 2, 2, 0],
    [1.0, float("nan"), 3.0, float("nan"), 5.0],
    [float("nan"), float("nan")],
    [-0.0, 0.0, -0.0],
    [float("-inf"), float("inf"), float("-inf")],
    [True, False, True, True],
])
def test_ties_and_nan_like_torch(name, data):
    for dtype in ("float32", "float16", "bfloat16", "int64", "bool"):
        if dtype != "bool" and isinstance(data[0], bool) or dtype == "bool" and not isinstance(data[0], bool):
            continue
        if dtype.startswith("int") and any(isinstance(v, float) for v in data):
            continue
        x, tx = pydl.tensor(data, dtype=getattr(pydl, dtype)), torch.tensor(data, dtype=getattr(torch, dtype))
        r, t = getattr(pydl, name)(x, 0), getattr(torch, name)(tx, 0)
        same(r.values, t.values)
        same(r.indices, t.indices)


@pytest.mark.parametrize("shape,dim", [((1000, 37), 1), ((37, 1000), 0), ((5, 700, 3), 1), ((3000,), 0)])
@pytest.mark.parametrize("threads", [1, 2])
def test_large_paths_match_torch(shape, dim, threads):
    """The row-group and tile paths, serial and split over threads, give torch's values exactly
    for cummax/cummin and integer sums, and to rounding for float sums."""
    old = pydl.get_num_threads()
    pydl.set_num_threads(threads)
    try:
        rng = np.random.default_rng(0)
        a = np.round(rng.uniform(-50, 50, shape)).astype(np.float32)
        a.flat[rng.integers(0, a.size, 20)] = np.nan
        x, tx = pydl.from_numpy(a), torch.from_numpy(a)
        for name in ("cummax", "cummin"):
            r, t = getattr(pydl, name)(x, dim), getattr(torch, name)(tx, dim)
            same(r.values, t.values)
            same(r.indices, t.indices)
        i = np.where(np.isnan(a), 7, a).astype(np.int32)
        same(pydl.cumsum(pydl.from_numpy(i), dim), torch.cumsum(torch.from_numpy(i), dim))
        f = rng.standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(pydl.cumsum(pydl.from_numpy(f), dim).numpy(),
                                   np.cumsum(f.astype(np.float64), axis=dim), rtol=1e-6, atol=1e-5)
        np.testing.assert_allclose(pydl.logcumsumexp(pydl.from_numpy(f), dim).numpy(),
                                   np.logaddexp.accumulate(f.astype(np.float64), axis=dim), rtol=1e-6, atol=1e-6)
    finally:
        pydl.set_num_threads(old)


def test_float_accumulation_is_wide():
    """float32 accumulates in double and float16 in float, as PyTorch does: 10^5 additions of
    0.1 stay at 10^4, and 3000 float16 additions of 0.1 reach 300 (a float16 sum stalls at 256)."""
    s = pydl.cumsum(pydl.full((100000,), 0.1), 0)
    assert s[-1].item() == torch.cumsum(torch.full((100000,), 0.1), 0)[-1].item()
    assert abs(s[-1].item() - 10000.0) < 1e-3
    h = pydl.cumsum(pydl.full((3000,), 0.1, dtype=pydl.float16), 0)
    assert h[-1].item() == 300.0
    w = pydl.cumsum(pydl.full((100000, 3), 0.1), 0)  # the tile path
    assert abs(w[-1, 0].item() - 10000.0) < 1e-3


def test_integer_results_and_wrapping():
    x = pydl.tensor([100, 100], dtype=pydl.int8)
    assert pydl.cumsum(x, 0).dtype == pydl.int64
    assert pydl.cumsum(x, 0).tolist() == [100, 200]
    assert pydl.cumsum(x, 0, dtype=pydl.int8).tolist() == [100, -56]
    assert pydl.cumprod(pydl.tensor([100, 100], dtype=pydl.int32), 0, dtype=pydl.int8).tolist() == [100, 16]
    assert pydl.cumsum(pydl.tensor([True, True, False]), 0).tolist() == [1, 2, 2]
    big = pydl.tensor([2 ** 62, 2 ** 62, 2 ** 62])
    assert pydl.cumsum(big, 0).tolist() == torch.cumsum(torch.tensor([2 ** 62] * 3), 0).tolist()
    y = x.clone()
    assert y.cumsum_(0) is y and y.tolist() == [100, -56]


def test_out_casts_input_to_out_dtype():
    """Without dtype=, out= decides the dtype the input is cast to before the scan (PyTorch)."""
    for data, out_dtype in (([0.6, 0.6], "int32"), ([1.5, 2.5], "float64"), ([2 ** 24 + 1, 1], "float32")):
        o, to = pydl.empty(2, dtype=getattr(pydl, out_dtype)), torch.empty(2, dtype=getattr(torch, out_dtype))
        r = pydl.cumsum(pydl.tensor(data), 0, out=o)
        torch.cumsum(torch.tensor(data), 0, out=to)
        assert r is o
        same(o, to)


def test_out_and_inplace_layouts():
    x = pydl.arange(12.0).reshape(3, 4)
    o = pydl.empty(4, 3).t()  # a non-contiguous out= is written through a temporary
    assert pydl.cumsum(x, 0, out=o) is o
    np.testing.assert_array_equal(o.numpy(), np.cumsum(np.arange(12.0).reshape(3, 4), 0))
    y = pydl.arange(12.0).reshape(4, 3).t()
    y.cumprod_(1)
    np.testing.assert_array_equal(y.numpy(), np.cumprod(np.arange(12.0).reshape(4, 3).T, 1))
    z = pydl.arange(6.0)
    pydl.cumsum(z, 0, out=z)  # out= aliasing the input exactly
    np.testing.assert_array_equal(z.numpy(), np.cumsum(np.arange(6.0)))
    w = pydl.arange(7.0)
    pydl.cumsum(w[:6], 0, out=w[1:])  # out= overlapping the input, shifted
    np.testing.assert_array_equal(w.numpy(), [0.0] + list(np.cumsum(np.arange(6.0))))
    e = pydl.empty(0)
    assert pydl.logcumsumexp(pydl.zeros(2, 2), 1, out=e) is e and tuple(e.shape) == (2, 2)
    v, i = pydl.empty(0), pydl.empty(0, dtype=pydl.int64)
    r = pydl.cummax(pydl.tensor([1.0, 3.0, 2.0]), 0, out=(v, i))
    assert r.values is v and r.indices is i and i.tolist() == [0, 1, 1]


def test_logcumsumexp_is_stable():
    x = pydl.tensor([1000.0, 1000.0, -1000.0, float("-inf"), 2000.0])
    np.testing.assert_allclose(pydl.logcumsumexp(x, 0).numpy(), np.logaddexp.accumulate(x.numpy().astype(np.float64)),
                               rtol=1e-6)
    for data in ([float("-inf"), float("-inf"), 1.0, float("inf"), 2.0], [float("nan"), 1.0],
                 [1.0, float("inf"), float("inf")], [float("inf"), float("-inf")], [1e30, -1e30]):
        same(pydl.logcumsumexp(pydl.tensor(data), 0), torch.logcumsumexp(torch.tensor(data), 0))


def test_zero_dim_and_empty():
    for name in ("cumsum", "cumprod", "logcumsumexp"):
        for dim in (0, -1):
            same(getattr(pydl, name)(pydl.tensor(2.5), dim), getattr(torch, name)(torch.tensor(2.5), dim))
            same(getattr(pydl, name)(pydl.zeros(0, 3), dim), getattr(torch, name)(torch.zeros(0, 3), dim))
    r, t = pydl.cummax(pydl.tensor(3), -1), torch.cummax(torch.tensor(3), -1)
    same(r.values, t.values)
    same(r.indices, t.indices)
    r = pydl.cummin(pydl.zeros(2, 0), 1)
    assert tuple(r.values.shape) == (2, 0) and r.indices.dtype == pydl.int64
