"""Indexing. Basic (ints, slices, None, Ellipsis, bools, tuples): views with NumPy's values and
PyTorch's sizes/strides/offsets; __setitem__ with scalars, tensors, lists and overlapping sources.
Advanced (tensors, lists, arrays, masks) against PyTorch and NumPy, and the named ops' corner cases."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pydl

try:
    import torch
except ImportError:
    torch = None

SHAPE = (3, 4, 5)


def arange(shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def geometry(t):
    return tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.is_contiguous()


def shares_storage(r, x):
    base = x.data_ptr() - x.storage_offset() * x.element_size()
    return r.data_ptr() == base + r.storage_offset() * r.element_size()


def to_numpy_index(index, ndim):
    """(NumPy index with None for each bool, result positions of the bools, whether all are True)."""
    items = index if isinstance(index, tuple) else (index,)
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis and not isinstance(i, bool))
    out, bool_pos, pos = [], [], 0
    for i in items:
        if isinstance(i, bool):
            bool_pos.append(pos)
        out.append(None if isinstance(i, bool) else i)
        is_int = isinstance(i, (int, np.integer)) and not isinstance(i, bool)
        pos += ndim - consumed if i is Ellipsis else (0 if is_int else 1)
    return tuple(out), bool_pos, all(i for i in items if isinstance(i, bool))


def numpy_getitem(a, index):
    """a[index] with PyTorch's rule for bools: together they index one dim of size 1 (0 if any is
    False), kept in place when adjacent and moved to the front otherwise. ints are basic indices."""
    np_index, bool_pos, all_true = to_numpy_index(index, a.ndim)
    r = a[np_index]
    if bool_pos:
        first = bool_pos[0]
        r = r.squeeze(tuple(bool_pos[1:]))
        if bool_pos[-1] - first != len(bool_pos) - 1:
            r, first = np.moveaxis(r, first, 0), 0
        if not all_true:
            r = r.take(range(0), axis=first)
    return r


def is_advanced(index):
    return any(isinstance(i, bool) for i in (index if isinstance(index, tuple) else (index,)))


BIG = 2 ** 63
GET_INDICES = [
    0, -1, 2, (1, 2), (-1, -2, -3), (2, 3, 4), slice(1, None), slice(None, None, 2), slice(-2, None),
    (slice(1, -1), slice(None, None, 3)), (slice(None), slice(None), slice(1, 5, 2)), (Ellipsis, 0),
    (0, Ellipsis), (Ellipsis, 1, slice(None, 2)), None, (None, 0, None), (Ellipsis, None),
    (slice(None), None, slice(1, 3)), (), Ellipsis, slice(-100, 100), slice(5, 1), slice(2, 2),
    slice(3, None), (slice(None), slice(4, None)), (1, slice(None), None, -1), np.int64(1),
    slice(np.int64(1), np.int32(3)), slice(-BIG, BIG), slice(BIG, None), slice(None, None, BIG),
    True, False, (0, True), (Ellipsis, False), (slice(None), True, 1), (None, Ellipsis, None),
]


def idx_id(index):
    return repr(index).replace(" ", "")


@pytest.mark.parametrize("index", GET_INDICES, ids=idx_id)
def test_getitem_values_and_aliasing(index):
    a = arange(SHAPE)
    x = pydl.tensor(a)
    r = x[index]
    expected = numpy_getitem(a, index)
    assert tuple(r.shape) == expected.shape
    np.testing.assert_array_equal(r.numpy(), expected)
    assert r is not x
    if r.numel():  # bools are advanced indices: those read a copy, like PyTorch and NumPy
        assert shares_storage(r, x) != is_advanced(index)
    r.fill_(-1.0)  # a view: writing through it writes x
    if expected.size and not is_advanced(index):
        a[to_numpy_index(index, a.ndim)[0]] = -1.0
    np.testing.assert_array_equal(x.numpy(), a)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "offset"])
@pytest.mark.parametrize("index", GET_INDICES, ids=idx_id)
def test_getitem_geometry_matches_torch(index, layout):
    torch = pytest.importorskip("torch")
    if isinstance(index, slice) and index.step == BIG:
        pytest.skip("torch overflows the stride (its own bug); values are checked above")

    def build(L):
        if layout == "contiguous":
            return L.arange(60.0).reshape(SHAPE)
        if layout == "transposed":
            return L.arange(60.0).reshape(5, 4, 3).permute(2, 1, 0)
        return L.arange(70.0)[7:67].reshape(SHAPE)

    r, t = build(pydl)[index], build(torch)[index]
    if is_advanced(index):  # a fresh tensor whose strides are an implementation detail
        assert r.shape == t.shape and r.is_contiguous()
    else:
        assert geometry(r) == geometry(t)


@pytest.mark.parametrize("make_index,copies", [
    (lambda L: L.tensor(1), False), (lambda L: L.tensor(-1, dtype=L.int32), False),
    (lambda L: (L.tensor(2), slice(L.tensor(1), None)), False),
    (lambda L: L.tensor(True), True), (lambda L: (0, L.tensor(False)), True),
], ids=["int64", "int32", "slice_bounds", "bool_true", "bool_false"])
def test_zero_dim_tensor_indices(make_index, copies):
    x = pydl.arange(60.0).reshape(SHAPE)
    r = x[make_index(pydl)]
    if torch is not None:
        assert geometry(r) == geometry(torch.arange(60.0).reshape(SHAPE)[make_index(torch)])
    assert r.numel() == 0 or shares_storage(r, x) != copies


def test_ellipsis_and_empty_tuple_are_views_not_self():
    x = pydl.arange(6.0).reshape(2, 3)
    for r in (x[...], x[()], x[:], x[:, :]):
        assert r is not x and geometry(r) == geometry(x) and r.data_ptr() == x.data_ptr()
    r = x[...]
    r[0, 0] = 7.0
    assert x[0, 0].item() == 7.0 and r._version == x._version


def test_zero_dim_indexing():
    x = pydl.tensor(5.0)
    for index, shape in [((), ()), (Ellipsis, ()), (None, (1,)), ((None, None), (1, 1)), (True, (1,)), (False, (0,))]:
        r = x[index]
        assert r.shape == shape and (r.numel() == 0 or (r.data_ptr() == x.data_ptr()) != (index is True))
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        x[0]


# --- __setitem__ ------------------------------------------------------------------------

SET_CASES = [  # (index, value): value is a scalar, a nested list, an ndarray, or ("tensor", array)
    (0, 5), ((slice(None), 1), 5.5), (Ellipsis, 0), ((), 1.0), (None, 2), (slice(None, None, 2), -3),
    ((1, 2, 3), 9.0), ((slice(None), 1), ("tensor", np.arange(5.0))),
    ((slice(None), slice(1, 3)), ("tensor", [[[1.0]], [[2.0]], [[3.0]]])),
    (1, ("tensor", np.float64(7.5))), (1, [[1, 2, 3, 4, 5]] * 4), (slice(None), [1, 2, 3, 4, 5]),
    ((0, 0), np.arange(5.0)), (1, np.float32(2.5)), ((Ellipsis, 0), True), (2, ("tensor", np.arange(20).reshape(4, 5))),
    (slice(5, None), 1.0), (True, 4.0), (False, 4.0), ((True, 0, True), 2.0), ((0, slice(None), True), 1.0),
    ((slice(None), None, 0), ("tensor", np.ones((1, 5)))),
]


@pytest.mark.parametrize("index,value", SET_CASES, ids=[f"{idx_id(i)}={type(v).__name__}" for i, v in SET_CASES])
def test_setitem_matches_numpy(index, value):
    a = arange(SHAPE)
    x = pydl.tensor(a)
    v0 = x._version
    np_value = np.asarray(value[1]) if isinstance(value, tuple) else value
    x[index] = pydl.tensor(np_value) if isinstance(value, tuple) else value
    np_index, _, all_true = to_numpy_index(index, a.ndim)
    if all_true:
        a[np_index] = np_value
    np.testing.assert_array_equal(x.numpy(), a)
    assert x._version == v0 + 1


@pytest.mark.parametrize("dtype,value,expected", [
    ("int32", 2.7, 2), ("int32", -2.7, -2), ("int64", True, 1), ("bool", 0.5, True), ("bool", 0, False),
    ("uint8", 255, 255), ("float16", 1 / 3, np.float16(1 / 3)), ("float32", float("inf"), np.inf),
])
def test_setitem_scalar_casts_to_tensor_dtype(dtype, value, expected):
    x = pydl.zeros(3, dtype=getattr(pydl, dtype))
    x[1] = value
    assert x.dtype == getattr(pydl, dtype)
    assert x.numpy()[1] == expected and x.numpy()[0] == 0


@pytest.mark.parametrize("dst,src", [
    (slice(1, None), slice(None, -1)), (slice(None, -1), slice(1, None)), (slice(None, None, 2), slice(1, None, 2)),
    (slice(2, None), slice(None, -2)), (slice(None), slice(None)),
])
def test_overlapping_self_assignment_gives_numpy_answer(dst, src):
    a = arange((8,))
    x = pydl.tensor(a)
    x[dst] = x[src]
    a[dst] = a[src]
    np.testing.assert_array_equal(x.numpy(), a)


@pytest.mark.parametrize("dst,src,np_src", [
    (slice(None), lambda t: t.t(), lambda a: a.T),
    (0, lambda t: t[:, 0], lambda a: a[:, 0]),
    ((slice(None), 1), lambda t: t[0], lambda a: a[0]),
    ((slice(1, None), slice(1, None)), lambda t: t[:-1, :-1], lambda a: a[:-1, :-1]),
    ((slice(None, -1), Ellipsis), lambda t: t[1:], lambda a: a[1:]),
], ids=["transpose", "row_from_column", "column_from_row", "shifted_block", "rows_up"])
def test_overlapping_2d_assignment(dst, src, np_src):
    a = arange((3, 3))
    x = pydl.tensor(a)
    x[dst] = src(x)
    a[dst] = np_src(a)  # NumPy copies overlapping sources first
    np.testing.assert_array_equal(x.numpy(), a)


def test_setitem_writes_through_views_into_base():
    x = pydl.zeros(4, 6)
    v = x[1:3, ::2]
    v0 = x._version
    v[0] = pydl.tensor([1.0, 2.0, 3.0])
    v[:, -1] = 9.0
    assert x[1].tolist() == [1.0, 0.0, 2.0, 0.0, 9.0, 0.0] and x[2].tolist() == [0, 0, 0, 0, 9.0, 0]
    assert x._version == v._version == v0 + 2


@pytest.mark.parametrize("index,value,exc", [
    ((slice(None), slice(1, 3)), lambda: pydl.ones(3), RuntimeError),   # cannot broadcast (3,) to (3, 2)
    (0, lambda: pydl.ones(2, 5), RuntimeError),
    (5, lambda: 1.0, IndexError),
    (slice(None, None, -1), lambda: 1.0, ValueError),
    ("a", lambda: 1.0, (IndexError, TypeError)),
])
def test_setitem_errors(index, value, exc):
    x = pydl.zeros(3, 5)
    with pytest.raises(exc):
        x[index] = value()
    assert (x.numpy() == 0).all()


def test_setitem_tensor_into_expanded_tensor_raises():
    x = pydl.zeros(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match="single memory location"):
        x[0] = pydl.arange(4.0)
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.zeros(3, 1).expand(3, 4)[0] = torch.arange(4.0)


# --- fuzz: random basic indices against NumPy (values) and PyTorch (geometry) ----------------

def index_items(ndim):
    slices = st.builds(slice, st.integers(-6, 6) | st.none(), st.integers(-6, 6) | st.none(),
                       st.integers(1, 3) | st.none())
    return st.lists(st.one_of(slices, st.just(None), st.booleans(), st.integers(-100, 100)), max_size=ndim + 2)


@settings(max_examples=400, deadline=None)
@given(shape=st.lists(st.integers(0, 4), max_size=4).map(tuple), data=st.data())
def test_fuzz_getitem_and_setitem(shape, data):
    a = arange(shape)
    items = data.draw(index_items(len(shape)))
    if data.draw(st.booleans()):
        items.insert(data.draw(st.integers(0, len(items))), Ellipsis)
    index = tuple(items)
    x = pydl.from_numpy(a.copy())
    try:
        expected = numpy_getitem(a, index)
    except IndexError:  # out of range / too many indices
        with pytest.raises(IndexError):
            x[index]
        return
    r = x[index]
    np.testing.assert_array_equal(r.numpy(), expected)
    if torch is not None:
        t = torch.from_numpy(a.copy())[index]
        assert (r.shape, r.is_contiguous()) == (t.shape, True) if is_advanced(index) else geometry(r) == geometry(t)
    x[index] = -1.0
    if expected.size:
        a[to_numpy_index(index, a.ndim)[0]] = -1.0
    np.testing.assert_array_equal(x.numpy(), a)


# --- advanced indexing: tensors, lists, NumPy arrays and masks, mixed with basic indices -------
# PyTorch is the oracle (ints select before advanced indices are placed, unlike NumPy); NumPy
# agrees whenever no int sits between advanced indices, which most cases below check too.

def adv_cases():
    m = arange(SHAPE) % 3 == 0
    return [
        ([0, 2],), ([[0, 1], [2, 2]],), ([-1, 0, -3],), ([],), (slice(None), [3, 0, 3]), (Ellipsis, [4, -5]),
        ([0, 2], [1, 3]), ([0, 2], slice(None), [1, 4]), ([[0], [2]], [[1, 2, 3]]), (slice(None), [0, 1], [2, 3]),
        ([0, 1], slice(1, None, 2), [0, 4]), (None, [0, 1], None, slice(None), [2, 3]), (slice(None, None, 2), [1], 0),
        (m,), (m[:, :, 0],), (slice(None), m[0, :, 0]), (m[:, :, 0], slice(1, 3)), ([True, False, True],),
        (1, [True, False, True, False], slice(None, None, 2)), (True, [0, 1]), (False, [0]),
        ("np", np.array([2, 0])), ("np", np.array([[True] * 4] * 3)), ("t", [1, 2]), ("t32", [0, 2]),
        ("u8", [1, 0, 1]), (0, [0, 1], [1, 2]),
    ]


def lib_index(lib, case):
    tag = case[0] if isinstance(case[0], str) else None
    if tag == "np":
        return case[1]
    if tag in ("t", "t32", "u8"):
        dt = {"t": lib.int64, "t32": lib.int32, "u8": lib.uint8}[tag]
        return lib.tensor(case[1], dtype=dt)
    return tuple(lib.from_numpy(i) if isinstance(i, np.ndarray) else i for i in case)


ADV = adv_cases()


@pytest.mark.parametrize("case", range(len(ADV)))
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_advanced_getitem_matches_torch_and_numpy(case, layout):
    torch = pytest.importorskip("torch")
    a = arange(SHAPE)
    x = pydl.tensor(a) if layout == "contiguous" else pydl.tensor(a.transpose(2, 1, 0).copy()).permute(2, 1, 0)
    r = x[lib_index(pydl, ADV[case])]
    t = torch.from_numpy(a)[lib_index(torch, ADV[case])]
    assert r.shape == t.shape and r.dtype == pydl.float32 and r.is_contiguous()
    np.testing.assert_array_equal(r.numpy(), t.numpy())
    assert r.numel() == 0 or not shares_storage(r, x)
    items = ADV[case]
    if not isinstance(items[0], str) and not any(isinstance(i, (int, bool)) for i in items):
        np.testing.assert_array_equal(r.numpy(), a[items])


@pytest.mark.parametrize("case", range(len(ADV)))
def test_advanced_setitem_matches_torch(case):
    torch = pytest.importorskip("torch")
    a = arange(SHAPE)
    x, t = pydl.tensor(a), torch.from_numpy(a.copy())
    shape = t[lib_index(torch, ADV[case])].shape
    vals = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) + 100  # float64: cast on assignment
    v0 = x._version
    x[lib_index(pydl, ADV[case])] = pydl.from_numpy(vals)
    t[lib_index(torch, ADV[case])] = torch.from_numpy(vals).float()
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    assert x._version > v0
    if isinstance(ADV[case][0], str) and ADV[case][0] == "u8":
        return  # torch refuses a number through a uint8 mask (masked_fill_ wants bool)
    x[lib_index(pydl, ADV[case])] = -1  # a scalar broadcasts
    t[lib_index(torch, ADV[case])] = -1
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_setitem_broadcasts_rows_and_lists():
    x, a = pydl.zeros(4, 3), np.zeros((4, 3), np.float32)
    x[[0, 2]] = pydl.tensor([1.0, 2.0, 3.0])
    a[[0, 2]] = [1.0, 2.0, 3.0]
    x[x > 1.5] = 9
    a[a > 1.5] = 9
    x[[1, 3], 1:] = [[5, 6]]
    a[[1, 3], 1:] = [[5, 6]]
    np.testing.assert_array_equal(x.numpy(), a)


def test_setitem_duplicates_are_deterministic_and_accumulate():
    x = pydl.zeros(5)
    idx = pydl.tensor([1, 1, 3, 1])
    x[idx] = pydl.tensor([1.0, 2.0, 3.0, 4.0])
    assert x.tolist() == [0, 4, 0, 3, 0]  # the last write wins, every time
    y = pydl.zeros(5).index_put_((idx,), pydl.tensor([1.0, 2.0, 3.0, 4.0]), accumulate=True)
    assert y.tolist() == [0, 7, 0, 3, 0]
    big = pydl.zeros(10)
    big.index_put_((pydl.zeros(200000, dtype=pydl.int64),), pydl.tensor(1.0), accumulate=True)
    assert big.tolist() == [200000.0] + [0.0] * 9


def test_index_put_functional_and_method_forms():
    x = pydl.arange(6.0).reshape(2, 3)
    r = pydl.index_put(x, (pydl.tensor([1]), pydl.tensor([2])), pydl.tensor(-1.0))
    assert r.tolist() == [[0, 1, 2], [3, 4, -1]] and x[1, 2].item() == 5
    r = x.index_put((None, pydl.tensor([0])), pydl.tensor([7.0]), accumulate=True)
    assert r.tolist() == [[7, 1, 2], [10, 4, 5]]
    assert x.index_put_((pydl.tensor([0]),), pydl.tensor(0.0)) is x and x.tolist() == [[0, 0, 0], [3, 4, 5]]


def test_advanced_self_assignment_with_overlap():
    x = pydl.arange(6.0)
    x[pydl.tensor([1, 2, 3])] = x[0:3]
    assert x.tolist() == [0, 0, 1, 2, 4, 5]
    y = pydl.arange(4.0)
    y[[3, 2, 1, 0]] = y
    assert y.tolist() == [3, 2, 1, 0]


def test_nonzero_forms_and_large_parallel_input():
    rng = np.random.default_rng(0)
    a = rng.random((300, 500)) < 0.3  # > the parallel grain: chunked count + fill
    x = pydl.from_numpy(a)
    np.testing.assert_array_equal(x.nonzero().numpy(), np.argwhere(a))
    for got, want in zip(pydl.nonzero(x, as_tuple=True), np.nonzero(a)):
        np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(x[x].numpy(), a[a])
    assert pydl.nonzero(pydl.tensor(3.0)).shape == (1, 0) and pydl.tensor(0.0).nonzero().shape == (0, 0)
    assert [t.tolist() for t in pydl.tensor(2).nonzero(as_tuple=True)] == [[0]]


def test_zero_dim_inputs_of_named_ops():
    s = pydl.tensor(5.0)
    assert s.index_select(0, pydl.tensor([0])).item() == 5.0
    assert s.gather(0, pydl.tensor(0)).item() == 5.0
    assert s.clone().scatter_(0, pydl.tensor(0), 2.0).item() == 2.0
    assert s.index_add(0, pydl.tensor([0]), pydl.tensor(1.0)).item() == 6.0
    assert s.index_fill(0, pydl.tensor([0]), -1).item() == -1.0
    assert s.masked_fill(pydl.tensor(True), 0.5).item() == 0.5
    assert s.masked_select(pydl.tensor(True)).tolist() == [5.0]
    assert s.clone().masked_scatter_(pydl.tensor(True), pydl.tensor([8.0, 9.0])).item() == 8.0
    assert s.take(pydl.tensor([[0]])).tolist() == [[5.0]]


def test_scatter_duplicates_along_dim_are_ordered_and_parallel_safe():
    # Many rows (parallel over them), many duplicates along the scattered dim (serial, in order).
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 3, (20000, 8))
    src = rng.random((20000, 8)).astype(np.float32)
    got = pydl.zeros(20000, 3).scatter_add(1, pydl.from_numpy(idx), pydl.from_numpy(src))
    want = np.zeros((20000, 3), np.float32)
    for j in range(8):  # the same order of additions as pydl: along the dim
        np.add.at(want, (np.arange(20000), idx[:, j]), src[:, j])
    np.testing.assert_array_equal(got.numpy(), want)
    last = pydl.zeros(20000, 3).scatter(1, pydl.from_numpy(idx), pydl.from_numpy(src))
    w = np.zeros((20000, 3), np.float32)
    for j in range(8):
        w[np.arange(20000), idx[:, j]] = src[:, j]
    np.testing.assert_array_equal(last.numpy(), w)


def test_scatter_reduce_nan_and_integer_mean():
    x = pydl.tensor([1.0, 1.0])
    r = x.scatter_reduce(0, pydl.tensor([0, 0]), pydl.tensor([float("nan"), 3.0]), "amax")
    assert np.isnan(r[0].item()) and r[1].item() == 1.0
    i = pydl.tensor([1, 10]).scatter_reduce(0, pydl.tensor([0, 0, 1]), pydl.tensor([2, 2, -3]), "mean")
    assert i.tolist() == [1, 3] and i.dtype == pydl.int64  # (1+2+2)//3, (10-3)//2


@settings(max_examples=200, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), data=st.data())
def test_fuzz_advanced_against_torch(shape, data):
    torch = pytest.importorskip("torch")
    a = arange(shape)
    items = []
    for d, n in enumerate(shape):
        kind = data.draw(st.sampled_from(["slice", "int", "list", "mask", "none"]))
        if kind == "slice":
            items.append(slice(data.draw(st.integers(-n, n)), None, data.draw(st.integers(1, 2))))
        elif kind == "int":
            items.append(data.draw(st.integers(-n, n - 1)))
        elif kind == "list":
            items.append(data.draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=3)))
        elif kind == "mask":
            items.append(np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        else:
            items.append(None)
            items.append(slice(None))
    conv = lambda lib: tuple(lib.from_numpy(i) if isinstance(i, np.ndarray) else i for i in items)  # noqa: E731
    try:
        t = torch.from_numpy(a.copy())[conv(torch)]
    except IndexError:  # lists/masks that do not broadcast together
        with pytest.raises(IndexError):
            pydl.from_numpy(a.copy())[conv(pydl)]
        return
    x = pydl.from_numpy(a.copy())
    r = x[conv(pydl)]
    assert r.shape == t.shape
    np.testing.assert_array_equal(r.numpy(), t.numpy())
    tt = torch.from_numpy(a.copy())
    tt[conv(torch)] = -1.0
    x[conv(pydl)] = -1.0
    np.testing.assert_array_equal(x.numpy(), tt.numpy())
