"""Sorting and searching beyond the op table: the pydl.return_types named tuples, stability,
NaN and -0 ordering, the radix and selection paths on long rows, ties, and the choices where
NumPy and PyTorch differ (PyTorch is the oracle there)."""
import pickle

import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

ALL = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def make(lib, arr, dtype):
    arr = np.asarray(arr)
    if dtype == "bfloat16":
        return lib.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).to(lib.bfloat16)
    return lib.from_numpy(np.ascontiguousarray(arr.astype(dtype)))


def np_of(t):
    if t.dtype in (pydl.bfloat16, pydl.float16) or t.dtype in (torch.bfloat16, torch.float16):
        t = t.float()
    return t.numpy()


def same(a, b):
    """Exact equality of a pydl and a torch tensor (NaN == NaN), and of their shapes."""
    x, y = np_of(a), np_of(b)
    assert x.shape == y.shape
    np.testing.assert_array_equal(x.astype(np.float64), y.astype(np.float64))


def tied_values(dtype, n, rng, nan=True):
    """n values with many ties; floats also get NaN, +-inf and both zeros."""
    if dtype == "bool":
        return rng.random(n) < 0.5
    if dtype in ("float16", "bfloat16", "float32", "float64"):
        a = np.round(rng.uniform(-4, 4, n) * 2) / 2
        specials = [np.inf, -np.inf, 0.0, -0.0] + ([np.nan] if nan else [])
        pick = rng.random(n) < 0.2
        a[pick] = rng.choice(specials, pick.sum())
        return a
    info = np.iinfo(np.dtype(dtype))
    a = rng.integers(-20, 20, n) % (int(info.max) + 1) if dtype == "uint8" else rng.integers(-20, 20, n)
    a[:2] = [info.min, info.max]  # the extremes map to the first and last radix keys
    return a.astype(dtype)


# --- named tuples ------------------------------------------------------------------------------

def test_sort_returns_named_tuple():
    x = pydl.tensor([3.0, 1.0, 2.0])
    r = pydl.sort(x)
    assert type(r) is pydl.return_types.sort and isinstance(r, tuple) and len(r) == 2
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is r.values
    assert values.tolist() == [1.0, 2.0, 3.0] and indices.tolist() == [1, 2, 0]
    assert indices.dtype == pydl.int64
    assert "return_types.sort" in repr(r) and "values=" in repr(r)
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is pydl.return_types.sort and back.indices.tolist() == [1, 2, 0]


@pytest.mark.parametrize("name,call", [
    ("sort", lambda x: pydl.sort(x)), ("topk", lambda x: pydl.topk(x, 2)), ("kthvalue", lambda x: pydl.kthvalue(x, 2)),
    ("median", lambda x: pydl.median(x, 0)), ("nanmedian", lambda x: pydl.nanmedian(x, 0)),
    ("mode", lambda x: pydl.mode(x)), ("sort", lambda x: x.sort()), ("topk", lambda x: x.topk(1)),
    ("median", lambda x: x.median(0)), ("mode", lambda x: x.mode(0)),
])
def test_every_pair_op_returns_its_named_tuple(name, call):
    r = call(pydl.tensor([3.0, 1.0, 2.0, 1.0]))
    assert type(r) is getattr(pydl.return_types, name)
    assert r.values.dtype == pydl.float32 and r.indices.dtype == pydl.int64


def test_out_pair_is_filled_and_returned():
    x = pydl.tensor([[3, 1, 2], [0, 5, 4]])
    v, i = pydl.empty(0, dtype=pydl.int64), pydl.empty(0, dtype=pydl.int64)
    r = pydl.sort(x, descending=True, out=(v, i))
    assert r.values is v and r.indices is i and type(r) is pydl.return_types.sort
    assert v.tolist() == [[3, 2, 1], [5, 4, 0]] and i.tolist() == [[0, 2, 1], [1, 2, 0]]
    v, i = pydl.empty(2, 1, dtype=pydl.int64), pydl.empty(0, dtype=pydl.int64)
    r = pydl.topk(x, 1, out=[v, i])
    assert r.values is v and r.indices is i and v.tolist() == [[3], [5]] and i.tolist() == [[0], [1]]


# --- ordering ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("n", [5, 64, 65, 3000])  # insertion sort and radix sort paths
@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_matches_torch(dtype, n, descending):
    rng = np.random.default_rng(n)
    a = np.stack([tied_values(dtype, n, rng) for _ in range(3)])
    got = pydl.sort(make(pydl, a, dtype), descending=descending, stable=True)
    want = torch.sort(make(torch, a, dtype), descending=descending, stable=True)
    same(got.values, want.values)
    same(got.indices, want.indices)


def test_nan_sorts_last_ascending_and_first_descending():
    x = pydl.tensor([1.0, float("nan"), -float("inf"), float("nan"), float("inf"), -0.0, 0.0])
    up = pydl.sort(x)
    assert up.indices.tolist() == [2, 5, 6, 0, 4, 1, 3]
    down = pydl.sort(x, descending=True)
    assert down.indices.tolist() == [1, 3, 4, 0, 5, 6, 2]
    assert str(up.values[1].item()) == "-0.0"  # values are the input's, signs of zero included


@pytest.mark.parametrize("shape,dim", [((4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), 0), ((6, 70), 0)])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
def test_sort_any_dim_and_layout_matches_torch(shape, dim, layout):
    rng = np.random.default_rng(7)
    a = tied_values("float32", int(np.prod(shape)), rng).reshape(shape)

    def arrange(lib):
        t = make(lib, a, "float32")
        if layout == "transposed":
            return make(lib, np.swapaxes(a, 0, -1), "float32").transpose(0, -1)
        if layout == "sliced":
            return make(lib, np.repeat(a, 2, axis=-1), "float32")[..., ::2]
        return t
    got, want = pydl.sort(arrange(pydl), dim=dim, stable=True), torch.sort(arrange(torch), dim=dim, stable=True)
    same(got.values, want.values)
    same(got.indices, want.indices)
    same(pydl.argsort(arrange(pydl), dim=dim, descending=True, stable=True),
         torch.argsort(arrange(torch), dim=dim, descending=True, stable=True))


def test_zero_d_and_empty():
    r = pydl.sort(pydl.tensor(2.5))
    assert r.values.shape == () and r.indices.item() == 0
    r = pydl.sort(pydl.empty(3, 0), dim=0)
    assert r.values.shape == (3, 0) and r.indices.dtype == pydl.int64
    assert pydl.topk(pydl.empty(2, 0), 0).values.shape == (2, 0)
    assert pydl.median(pydl.empty(3, 0), 0).values.shape == (0,)
    assert np.isnan(pydl.median(pydl.empty(0)).item())


# --- selections --------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 10, 400, 999, 1000])  # heap path (k * 8 <= n) and selection path
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch_on_distinct_values(k, largest):
    a = np.random.default_rng(k).permutation(4000).reshape(4, 1000).astype(np.float32)
    a[0, :7] = np.nan
    got, want = pydl.topk(make(pydl, a, "float32"), k, largest=largest), torch.topk(torch.from_numpy(a), k,
                                                                                  largest=largest)
    same(got.values, want.values)
    # NaN rows tie among themselves: compare indices where the values are numbers.
    finite = ~np.isnan(np_of(want.values))
    np.testing.assert_array_equal(np_of(got.indices)[finite], np_of(want.indices)[finite])


def test_topk_unsorted_holds_the_same_set():
    a = np.random.default_rng(0).standard_normal((5, 300)).astype(np.float32)
    x = pydl.from_numpy(a)
    for k in (3, 200):
        got = pydl.topk(x, k, sorted=False)
        want = torch.topk(torch.from_numpy(a), k, sorted=True)
        np.testing.assert_array_equal(np.sort(got.values.numpy(), -1), np.sort(want.values.numpy(), -1))
        np.testing.assert_array_equal(np.take_along_axis(a, got.indices.numpy(), -1), got.values.numpy())


@pytest.mark.parametrize("dtype", ["int32", "float32", "float16", "bfloat16"])
def test_kthvalue_index_points_at_the_value(dtype):
    rng = np.random.default_rng(1)
    a = tied_values(dtype, 600, rng, nan=False).reshape(6, 100)
    x = make(pydl, a, dtype)
    for k in (1, 37, 100):
        v, i = pydl.kthvalue(x, k, 1)
        same(v, torch.kthvalue(make(torch, a, dtype), k, 1).values)
        np.testing.assert_array_equal(np.take_along_axis(np_of(x), i.numpy()[:, None], 1)[:, 0], np_of(v))


@pytest.mark.parametrize("fn", ["median", "nanmedian"])
@pytest.mark.parametrize("n", [1, 2, 9, 10, 300])
def test_median_with_nans_matches_torch(fn, n):
    rng = np.random.default_rng(n)
    a = np.round(rng.uniform(-3, 3, (5, n)) * 2) / 2
    a[1, : max(1, n // 3)] = np.nan
    a[2, :] = np.nan
    a[3, rng.random(n) < 0.5] = np.nan
    got = getattr(pydl, fn)(make(pydl, a, "float32"), 1)
    want = getattr(torch, fn)(make(torch, a, "float32"), 1)
    same(got.values, want.values)
    # NaN and tie indices follow a stable sort; torch agrees on rows without ties among numbers.
    nan_rows = np.isnan(np_of(want.values))
    if fn == "median":
        np.testing.assert_array_equal(np_of(got.indices)[nan_rows], np_of(want.indices)[nan_rows])
    same(getattr(pydl, fn)(make(pydl, a, "float32")), getattr(torch, fn)(make(torch, a, "float32")))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float32"])
def test_mode_matches_torch(dtype):
    rng = np.random.default_rng(3)
    a = (rng.integers(0, 7, (20, 100)) if dtype != "bool" else rng.random((20, 100)) < 0.5).astype(dtype)
    for dim in (0, 1):
        got, want = pydl.mode(make(pydl, a, dtype), dim), torch.mode(make(torch, a, dtype), dim)
        same(got.values, want.values)
        # torch's index among equal values depends on its unstable sort; pydl's is the last one.
        taken = np.take_along_axis(a, np.expand_dims(got.indices.numpy(), dim), dim)
        np.testing.assert_array_equal(np.squeeze(taken, dim), np_of(got.values))
        last = a.shape[dim] - 1 - np.argmax(np.flip(a == np.expand_dims(np_of(got.values), dim), dim), dim)
        np.testing.assert_array_equal(got.indices.numpy(), last)


def test_mode_picks_smallest_value_and_its_last_index():
    r = pydl.mode(pydl.tensor([2, 1, 2, 1, 3, 1, 2]))
    assert (r.values.item(), r.indices.item()) == (1, 5)
    assert torch.mode(torch.tensor([2, 1, 2, 1, 3, 1, 2])).indices.item() == 5


# --- unique ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL)
def test_unique_matches_torch(dtype):
    rng = np.random.default_rng(5)
    a = tied_values(dtype, 3000, rng).reshape(30, 100)
    got = pydl.unique(make(pydl, a, dtype), return_inverse=True, return_counts=True)
    want = torch.unique(make(torch, a, dtype), return_inverse=True, return_counts=True)
    same(got[0], want[0])  # NaNs stay distinct, -0 and +0 merge
    same(got[2], want[2])
    # Which NaN group a NaN element maps to is torch's sort's choice; pydl's follows input order.
    nan = np.isnan(a.astype(np.float64)) if dtype not in ("bool",) else np.zeros(a.shape, bool)
    np.testing.assert_array_equal(got[1].numpy()[~nan], want[1].numpy()[~nan])
    np.testing.assert_array_equal(np_of(got[0])[got[1].numpy()], np_of(make(pydl, a, dtype)))
    got = pydl.unique_consecutive(make(pydl, a, dtype), return_inverse=True, return_counts=True)
    want = torch.unique_consecutive(make(torch, a, dtype), return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        same(g, w)


def test_unique_return_shapes():
    x = pydl.tensor([[3, 1], [3, 2]])
    assert isinstance(pydl.unique(x), pydl.Tensor)
    v, inv = x.unique(return_inverse=True)
    assert inv.shape == (2, 2) and inv.tolist() == [[2, 0], [2, 1]]
    v, cnt = pydl.unique(x, sorted=False, return_counts=True)
    assert v.tolist() == [1, 2, 3] and cnt.tolist() == [1, 1, 2]
    v, inv, cnt = pydl.unique(pydl.tensor(4), return_inverse=True, return_counts=True)
    assert v.tolist() == [4] and inv.shape == () and cnt.tolist() == [1]
    v, inv = pydl.unique(pydl.empty(0, 2), return_inverse=True)
    assert v.shape == (0,) and inv.shape == (0, 2)


# --- searching ---------------------------------------------------------------------------------

@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_with_nans_and_sorter_matches_torch(right):
    seq = np.array([1.0, 2.0, 2.0, 3.0, np.nan], np.float32)
    vals = np.array([[0.0, 2.0, 2.5, np.nan, 9.0]], np.float32)
    same(pydl.searchsorted(pydl.from_numpy(seq), pydl.from_numpy(vals), right=right),
         torch.searchsorted(torch.from_numpy(seq), torch.from_numpy(vals), right=right))
    perm = np.array([3, 0, 2, 1], np.int64)
    unsorted = np.array([3.0, 1.0, 2.0, 2.0], np.float32)[np.argsort(perm)]
    s = np.argsort(unsorted, kind="stable").astype(np.int64)
    same(pydl.searchsorted(pydl.from_numpy(unsorted), pydl.from_numpy(vals), right=right, sorter=pydl.from_numpy(s)),
         torch.searchsorted(torch.from_numpy(unsorted), torch.from_numpy(vals), right=right,
                            sorter=torch.from_numpy(s)))


def test_searchsorted_scalar_mixed_dtypes_and_int32():
    seq = pydl.tensor([1, 2, 3])
    r = pydl.searchsorted(seq, 2)
    assert r.shape == () and r.item() == 1 and r.dtype == pydl.int64
    assert pydl.searchsorted(seq, 2, side="right").item() == 2
    assert pydl.searchsorted(seq, pydl.tensor([1.5, 2.0])).tolist() == [1, 1]
    assert pydl.searchsorted(seq, pydl.tensor([5]), out_int32=True).dtype == pydl.int32
    assert pydl.bucketize(2, pydl.tensor([1, 2, 3]), right=True).item() == 2
    out = pydl.empty(2, dtype=pydl.int64)
    assert pydl.bucketize(pydl.tensor([0.5, 9.0]), pydl.tensor([1.0, 2.0]), out=out) is out
    assert out.tolist() == [0, 2]


@pytest.mark.parametrize("dtype", ["bool", "int8", "int64", "float16", "float32"])
@pytest.mark.parametrize("shape,dim", [((8, 3), 0), ((8, 3), 1), ((3, 8), -1), ((4, 6, 2), 1), ((4, 6, 2), 0),
                                       ((5, 2, 6), 2), ((0, 3), 0), ((7,), 0)])
def test_unique_dim_matches_torch(dtype, shape, dim):
    rng = np.random.default_rng(11)
    a = (rng.integers(0, 2, shape) if dtype != "bool" else rng.random(shape) < 0.5).astype(dtype)
    if a.ndim > 1 and a.shape[dim] > 2:  # repeat a slice so that some slices are equal
        src, dst = [slice(None)] * a.ndim, [slice(None)] * a.ndim
        src[dim], dst[dim] = 0, a.shape[dim] - 1
        a[tuple(dst)] = a[tuple(src)]
    for fn in ("unique", "unique_consecutive"):
        got = getattr(pydl, fn)(make(pydl, a, dtype), dim=dim, return_inverse=True, return_counts=True)
        want = getattr(torch, fn)(make(torch, a, dtype), dim=dim, return_inverse=True, return_counts=True)
        for g, w in zip(got, want):
            same(g, w)
    assert isinstance(pydl.unique(make(pydl, a, dtype), dim=dim), pydl.Tensor)


def test_unique_dim_keeps_nan_slices_apart():
    x = [[float("nan"), 1.0], [float("nan"), 1.0], [0.0, 2.0], [-0.0, 2.0]]
    values, counts = pydl.unique(pydl.tensor(x), dim=0, return_counts=True)
    # pydl sorts NaN last (torch's order of NaN slices is its unstable sort's); -0 == +0.
    assert str(values.tolist()) == "[[0.0, 2.0], [nan, 1.0], [nan, 1.0]]" and counts.tolist() == [2, 1, 1]
    assert torch.unique(torch.tensor(x), dim=0).shape == (3, 2)
