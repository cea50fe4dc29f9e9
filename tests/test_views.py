"""View ops: values (NumPy oracle), sizes/strides/offsets (PyTorch oracle) and storage sharing.

One table (CASES) drives the value, geometry and aliasing tests over three input layouts.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numpy.lib.stride_tricks import as_strided as np_as_strided, sliding_window_view

import pydl

try:
    import torch
except ImportError:  # the torch-oracle tests skip, the NumPy-oracle ones still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is the oracle")


def arange(shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def make(lib, a, layout):
    """A `lib` (pydl or torch) tensor holding a's values with the given memory layout."""
    if layout == "contiguous" or a.ndim == 0:
        return lib.from_numpy(a.copy())
    if layout == "transposed":  # strides in reverse order
        perm = tuple(reversed(range(a.ndim)))
        return lib.from_numpy(a.transpose(perm).copy()).permute(*perm)
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1] + 1,), a.dtype)  # strided: step 2, offset 1
    big[..., 1::2] = a
    return lib.from_numpy(big)[..., 1::2]


def geometry(t):
    return tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.is_contiguous()


def storage_base(t):
    return t.data_ptr() - t.storage_offset() * t.element_size()


def shares_storage(r, x):
    return r.data_ptr() == storage_base(x) + r.storage_offset() * r.element_size()


# (id, input shape, op on a pydl/torch tensor, the same op on a NumPy array)
CASES = [
    ("view_infer", (2, 3, 4), lambda t: t.view(-1, 4), lambda a: a.reshape(-1, 4)),
    ("view_tuple", (2, 3, 4), lambda t: t.view((4, 6)), lambda a: a.reshape(4, 6)),
    ("view_split", (6, 4), lambda t: t.view(2, 3, 2, 2), lambda a: a.reshape(2, 3, 2, 2)),
    ("view_0d", (), lambda t: t.view(1, 1), lambda a: a.reshape(1, 1)),
    ("view_to_0d", (1, 1), lambda t: t.view(()), lambda a: a.reshape(())),
    ("view_empty", (0, 4), lambda t: t.view(2, 0, 2), lambda a: a.reshape(2, 0, 2)),
    ("view_as", (3, 4), lambda t: t.view_as(t.new_zeros((2, 6))), lambda a: a.reshape(2, 6)),
    ("reshape", (3, 4), lambda t: t.reshape(4, 3), lambda a: a.reshape(4, 3)),
    ("reshape_flat", (2, 3, 4), lambda t: t.reshape(-1), lambda a: a.reshape(-1)),
    ("reshape_keep_last", (2, 3, 4), lambda t: t.reshape(6, 4), lambda a: a.reshape(6, 4)),
    ("permute", (2, 3, 4), lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ("permute_neg", (2, 3, 4), lambda t: t.permute((-1, 0, -2)), lambda a: a.transpose(2, 0, 1)),
    ("transpose", (2, 3, 4), lambda t: t.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    ("transpose_neg", (2, 3, 4), lambda t: t.transpose(-1, -2), lambda a: a.swapaxes(-1, -2)),
    ("swapaxes", (2, 3), lambda t: t.swapaxes(0, 1), lambda a: a.swapaxes(0, 1)),
    ("t_2d", (3, 4), lambda t: t.t(), lambda a: a.T),
    ("t_1d", (5,), lambda t: t.t(), lambda a: a),
    ("T", (2, 3, 4), lambda t: t.T, lambda a: a.T),
    ("mT", (2, 3, 4), lambda t: t.mT, lambda a: a.swapaxes(-1, -2)),
    ("expand", (3, 1), lambda t: t.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4))),
    ("expand_keep", (3, 1), lambda t: t.expand(-1, 5), lambda a: np.broadcast_to(a, (3, 5))),
    ("expand_0d", (), lambda t: t.expand(2, 3), lambda a: np.broadcast_to(a, (2, 3))),
    ("expand_to_0", (1, 4), lambda t: t.expand(0, 4), lambda a: np.broadcast_to(a, (0, 4))),
    ("expand_as", (1, 4), lambda t: t.expand_as(t.new_zeros((3, 4))), lambda a: np.broadcast_to(a, (3, 4))),
    ("squeeze_all", (1, 3, 1, 2), lambda t: t.squeeze(), lambda a: a.squeeze()),
    ("squeeze_int", (1, 3, 1, 2), lambda t: t.squeeze(2), lambda a: a.squeeze(2)),
    ("squeeze_noop", (1, 3, 1, 2), lambda t: t.squeeze(1), lambda a: a),
    ("squeeze_tuple", (1, 3, 1, 2), lambda t: t.squeeze((0, -2)), lambda a: a.squeeze((0, 2))),
    ("squeeze_0d", (), lambda t: t.squeeze(0), lambda a: a),
    ("unsqueeze_0", (3, 4), lambda t: t.unsqueeze(0), lambda a: a[None]),
    ("unsqueeze_-1", (3, 4), lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    ("unsqueeze_-2", (3, 4), lambda t: t.unsqueeze(-2), lambda a: a[:, None]),
    ("unsqueeze_0d", (), lambda t: t.unsqueeze(-1), lambda a: a.reshape(1)),
    ("flatten", (2, 3, 4), lambda t: t.flatten(), lambda a: a.reshape(-1)),
    ("flatten_tail", (2, 3, 4), lambda t: t.flatten(1), lambda a: a.reshape(2, -1)),
    ("flatten_head", (2, 3, 4), lambda t: t.flatten(0, 1), lambda a: a.reshape(6, 4)),
    ("flatten_one_dim", (2, 3), lambda t: t.flatten(1, 1), lambda a: a),
    ("flatten_0d", (), lambda t: t.flatten(), lambda a: a.reshape(1)),
    ("unflatten", (2, 12), lambda t: t.unflatten(1, (3, -1)), lambda a: a.reshape(2, 3, 4)),
    ("unflatten_neg", (12, 2), lambda t: t.unflatten(-2, (2, 2, 3)), lambda a: a.reshape(2, 2, 3, 2)),
    ("narrow", (5, 4), lambda t: t.narrow(0, 1, 3), lambda a: a[1:4]),
    ("narrow_neg", (5, 4), lambda t: t.narrow(1, -2, 2), lambda a: a[:, 2:4]),
    ("narrow_empty_end", (5, 4), lambda t: t.narrow(0, 5, 0), lambda a: a[5:5]),
    ("select", (5, 4), lambda t: t.select(1, -1), lambda a: a[:, -1]),
    ("select_0", (5, 4), lambda t: t.select(0, 2), lambda a: a[2]),
    ("unfold", (10,), lambda t: t.unfold(0, 3, 2), lambda a: sliding_window_view(a, 3, axis=0)[::2]),
    ("unfold_2d", (4, 7), lambda t: t.unfold(1, 3, 3), lambda a: sliding_window_view(a, 3, axis=1)[:, ::3]),
    ("unfold_dim0", (6, 2), lambda t: t.unfold(0, 2, 1), lambda a: sliding_window_view(a, 2, axis=0)),
    ("unfold_0d", (), lambda t: t.unfold(0, 1, 1), lambda a: a.reshape(1)),
    ("diagonal", (3, 4), lambda t: t.diagonal(), lambda a: np.diagonal(a)),
    ("diagonal_above", (3, 4), lambda t: t.diagonal(1), lambda a: np.diagonal(a, 1)),
    ("diagonal_below", (3, 4), lambda t: t.diagonal(-2), lambda a: np.diagonal(a, -2)),
    ("diagonal_empty", (3, 4), lambda t: t.diagonal(5), lambda a: np.diagonal(a, 5)),
    ("diagonal_3d", (2, 3, 4), lambda t: t.diagonal(0, 2, 0), lambda a: np.diagonal(a, 0, 2, 0)),
    ("diagonal_negdims", (2, 3, 4), lambda t: t.diagonal(1, -1, -2), lambda a: np.diagonal(a, 1, -1, -2)),
    ("slices", (6, 5), lambda t: t[1::2, ::3], lambda a: a[1::2, ::3]),
    ("slice_past_end", (4, 3), lambda t: t[5:], lambda a: a[5:]),
    ("chain", (2, 3, 4), lambda t: t.permute(2, 0, 1)[1:].unsqueeze(1).transpose(0, 3),
     lambda a: a.transpose(2, 0, 1)[1:][:, None].swapaxes(0, 3)),
]
IDS = [c[0] for c in CASES]
LAYOUTS = ["contiguous", "transposed", "strided"]
MAY_COPY = {"reshape", "reshape_flat", "reshape_keep_last", "flatten", "flatten_tail", "flatten_head", "flatten_0d"}


def run_pydl(op, x):
    """op(x), or None when pydl refuses (only allowed where PyTorch refuses too)."""
    try:
        return op(x)
    except RuntimeError as e:
        assert "view size is not compatible" in str(e)
        if torch is None:
            pytest.skip("pydl refused a view; torch is needed to confirm")
        return None


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name,shape,op,npop", CASES, ids=IDS)
def test_values_match_numpy(name, shape, op, npop, layout):
    a = arange(shape)
    r = run_pydl(op, make(pydl, a, layout))
    if r is None:
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            op(make(torch, a, layout))
        return
    expected = npop(a)
    assert tuple(r.shape) == expected.shape and r.dtype == pydl.float32
    np.testing.assert_array_equal(r.numpy(), expected)


@needs_torch
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name,shape,op,npop", CASES, ids=IDS)
def test_geometry_matches_torch(name, shape, op, npop, layout):
    a = arange(shape)
    x, tx = make(pydl, a, layout), make(torch, a, layout)
    assert geometry(x) == geometry(tx)
    r = run_pydl(op, x)
    if r is None:
        with pytest.raises(RuntimeError):
            op(tx)
        return
    tr = op(tx)
    assert geometry(r) == geometry(tr)
    if r.numel():  # reshape/flatten copy exactly when torch does
        assert shares_storage(r, x) == shares_storage(tr, tx)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name,shape,op,npop", CASES, ids=IDS)
def test_result_aliases_input(name, shape, op, npop, layout):
    a = arange(shape)
    x = make(pydl, a, layout)
    r = run_pydl(op, x)
    if r is None or (name in MAY_COPY and not shares_storage(r, x)):
        assert name in MAY_COPY or r is None
        return
    assert shares_storage(r, x) and r is not x
    v = r._version
    x.copy_(pydl.tensor(a * 10 + 1))  # writes through the input are seen by the view
    assert r._version == x._version == v + 1
    np.testing.assert_array_equal(r.numpy(), npop(a * 10 + 1))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_reshape_copies_only_when_needed(layout):
    x = make(pydl, arange((3, 4)), layout)
    r = x.reshape(12)
    assert shares_storage(r, x) == (layout == "contiguous")
    assert r.is_contiguous() and r.tolist() == list(range(12))
    r.fill_(-1)  # a copy is independent of its source; a view is not
    assert (x.numpy() == -1).all() == (layout == "contiguous")


def test_view_incompatible_strides_message():
    x = pydl.arange(24.0).view(2, 3, 4).transpose(0, 1)
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's size and stride"):
        x.view(6, 4)
    assert x.view(3, 2, 2, 2).shape == (3, 2, 2, 2)  # splitting one dim is still fine


@pytest.mark.parametrize("src,dst,shape", [
    ("float32", "int32", (2, 4)), ("int32", "float32", (3,)), ("float16", "bfloat16", (2, 2)),
    ("float32", "uint8", (2, 3)), ("float32", "float16", (3, 2)), ("int16", "int8", (2, 2)),
    ("float64", "float32", (2, 2)), ("uint8", "float32", (2, 8)), ("int8", "int64", (3, 8)),
    ("float32", "float64", (2, 4)), ("int8", "bool", (2, 3)),
])
def test_view_dtype_reinterprets_bytes(src, dst, shape):
    a = (arange(shape) % 2).astype(src)  # 0/1 keeps every byte a valid bool
    x = pydl.from_numpy(a.copy())
    r = x.view(getattr(pydl, dst))
    assert r.dtype == getattr(pydl, dst) and r.data_ptr() == x.data_ptr() and r._version == x._version
    bits = r.view(pydl.int16) if dst == "bfloat16" else r  # NumPy has no bfloat16: compare the bits
    np.testing.assert_array_equal(bits.numpy(), a.view("int16" if dst == "bfloat16" else dst))
    if torch is not None:
        assert geometry(r) == geometry(torch.from_numpy(a.copy()).view(getattr(torch, dst)))
    assert geometry(r.view(x.dtype)) == geometry(x)  # and back


@needs_torch
@pytest.mark.parametrize("make_x", [
    lambda L: L.arange(16.0).view(2, 8)[:, 4:],          # offset 4: fine
    lambda L: L.arange(16.0).view(2, 8)[:, 1:5],         # odd offset
    lambda L: L.arange(16.0).view(2, 8).t(),             # last stride != 1
    lambda L: L.arange(6.0).view(2, 3),                  # odd last size
    lambda L: L.arange(1.0).view(()),                    # 0-d
    lambda L: L.arange(4.0).view(4, 1).expand(4, 4),     # stride 0
], ids=["offset", "odd_offset", "transposed", "odd_size", "0d", "expanded"])
@pytest.mark.parametrize("dtype", ["float64", "float16", "int32"])
def test_view_dtype_rules_match_torch(make_x, dtype):
    x, tx = make_x(pydl), make_x(torch)
    try:
        expected = geometry(tx.view(getattr(torch, dtype)))
    except RuntimeError:
        with pytest.raises(RuntimeError, match="to view"):
            make_x(pydl).view(getattr(pydl, dtype))
        return
    assert geometry(x.view(getattr(pydl, dtype))) == expected


@pytest.mark.parametrize("shape,size,stride,offset", [
    ((3, 4), (2, 2), (1, 2), 1), ((3, 4), (4, 3), (1, 4), 0), ((12,), (3, 3), (1, 1), 0),
    ((12,), (5,), (0,), 3), ((3, 4), (0, 7), (100, 1), 12), ((2, 3), (), (), 5),
])
def test_as_strided_matches_numpy(shape, size, stride, offset):
    a = arange(shape)
    x = pydl.tensor(a)
    r = x.as_strided(size, stride, offset)
    assert shares_storage(r, x) and (r.stride(), r.storage_offset()) == (stride, offset)
    flat = a.reshape(-1)[offset:] if offset < a.size else a.reshape(-1)[:0]
    np.testing.assert_array_equal(r.numpy(), np_as_strided(flat, size, [s * 4 for s in stride]) if r.numel() else
                                  np.zeros(size, np.float32))


@pytest.mark.parametrize("size,stride,offset", [
    ((2, 2), (1, 2), 11), ((13,), (1,), 0), ((2,), (12,), 0), ((2,), (2 ** 62,), 0),
    ((2 ** 62, 2 ** 62), (2 ** 62, 2 ** 62), 0), ((2,), (1,), 2 ** 62),
])
def test_as_strided_out_of_bounds(size, stride, offset):
    x = pydl.arange(12.0).view(3, 4)
    with pytest.raises(RuntimeError, match="out of bounds for storage|overflow"):
        x.as_strided(size, stride, offset)


def test_as_strided_default_offset_is_input_offset():
    x = pydl.arange(12.0)[3:]
    assert x.as_strided((2,), (1,)).tolist() == [3.0, 4.0]


def test_expand_has_zero_strides_and_no_copy():
    x = pydl.tensor([[1.0], [2.0], [3.0]])
    e = x.expand(2, 3, 4)
    assert e.stride() == (0, 1, 0) and e.data_ptr() == x.data_ptr() and not e.is_contiguous()
    x[1, 0] = 20.0
    assert e[1, 1].tolist() == [20.0] * 4
    c = e.contiguous()
    assert c.is_contiguous() and c.stride() == (12, 4, 1) and c.data_ptr() != e.data_ptr()


def test_contiguous_returns_self_when_contiguous():
    x = pydl.arange(6.0).view(2, 3)
    assert x.contiguous() is x
    y = x.t().contiguous()
    assert y.is_contiguous() and y.stride() == (2, 1) and y.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


@pytest.mark.parametrize("shape,strides,expected", [
    ((2, 3), (3, 1), True), ((2, 3), (1, 2), False), ((1, 3), (99, 1), True), ((3, 1), (1, 7), True),
    ((0, 3), (5, 9), True), ((2, 2), (2, 2), False), ((2,), (0,), False), ((), (), True),
])
def test_is_contiguous_definition(shape, strides, expected):
    x = pydl.zeros(20).as_strided(shape, strides, 0)
    assert x.is_contiguous() == expected


def test_data_ptr_arithmetic():
    x = pydl.arange(24.0, dtype=pydl.float64).view(4, 6)
    base = x.data_ptr()
    assert x[1].data_ptr() == base + 6 * 8
    assert x[2, 3:].data_ptr() == base + (2 * 6 + 3) * 8
    assert x[:, 1::2].storage_offset() == 1 and x[:, 1::2].data_ptr() == base + 8
    assert x.t()[5].data_ptr() == base + 5 * 8
    assert x.view(pydl.int32).data_ptr() == base and x.view(pydl.int32)[0, 3].data_ptr() == base + 12


def test_detach_shares_memory_and_version():
    x = pydl.ones(3, requires_grad=True)
    d = x.detach()
    assert d is not x and not d.requires_grad and d.data_ptr() == x.data_ptr()
    d.fill_(5.0)
    assert x.tolist() == [5.0, 5.0, 5.0] and x._version == d._version
    assert x.data.data_ptr() == x.data_ptr() and not x.data.requires_grad


@pytest.mark.parametrize("mutate", [
    lambda t: t.fill_(2.0), lambda t: t.zero_(), lambda t: t.copy_(pydl.ones(3, 4)),
    lambda t: t.__setitem__(0, 1.0), lambda t: t.__setitem__((slice(None), 1), pydl.ones(3)),
    lambda t: t.t().fill_(1.0), lambda t: t[1:].zero_(), lambda t: t.view(pydl.int32).fill_(0),
    lambda t: t.detach().fill_(3.0), lambda t: t[...].fill_(3.0),
], ids=["fill_", "zero_", "copy_", "setitem_int", "setitem_tensor", "t_fill", "slice_zero",
        "view_dtype_fill", "detach_fill", "ellipsis_fill"])
def test_version_counter_shared_by_views(mutate):
    x = pydl.arange(12.0).view(3, 4)
    views = [x[0], x.t(), x.view(12), x.detach(), x.unsqueeze(0), x.expand(2, 3, 4)]
    assert x._version == 0  # a fresh tensor
    mutate(x)
    assert x._version == 1 and all(v._version == 1 for v in views)
    for not_a_view in (x.clone(), x.contiguous().clone(), x.to(pydl.float64), x.t().contiguous()):
        assert not_a_view._version == 0


def test_iteration_yields_views():
    x = pydl.zeros(3, 2)
    rows = list(x)
    assert len(rows) == 3 and all(r.shape == (2,) and shares_storage(r, x) for r in rows)
    for i, r in enumerate(x):
        r.fill_(float(i))
    assert x.tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]


# --- fuzz: random view-op chains against NumPy (values) and PyTorch (geometry) -------------

def draw_op(data, shape):
    """A random valid view op for `shape`: (description, op on pydl/torch, op on NumPy)."""
    nd = len(shape)
    dim = lambda: data.draw(st.integers(-max(nd, 1), max(nd, 1) - 1))  # noqa: E731
    kinds = ["unsqueeze", "flatten", "reshape"] + (["transpose", "permute", "slice", "expand", "squeeze",
                                                     "unflatten"] if nd else [])
    kinds += ["select", "narrow", "unfold"] if nd and min(shape) > 0 else []
    kinds += ["diagonal"] if nd >= 2 else []
    kind = data.draw(st.sampled_from(kinds))
    if kind == "unsqueeze":
        d = data.draw(st.integers(-nd - 1, nd))
        return kind, lambda t: t.unsqueeze(d), lambda a: np.expand_dims(a, d)
    if kind == "flatten":
        s, e = sorted([dim() % max(nd, 1), dim() % max(nd, 1)])
        merged = (int(np.prod(shape[s:e + 1])),)
        return kind, lambda t: t.flatten(s, e), lambda a: a.reshape(a.shape[:s] + merged + a.shape[e + 1:])
    if kind == "reshape":
        return kind, lambda t: t.reshape(-1), lambda a: a.reshape(-1)
    d = dim() % nd
    if kind == "transpose":
        d2 = dim()
        return kind, lambda t: t.transpose(d, d2), lambda a: np.swapaxes(a, d, d2)
    if kind == "permute":
        p = data.draw(st.permutations(range(nd)))
        return kind, lambda t: t.permute(*p), lambda a: a.transpose(p)
    if kind == "slice":
        lo, hi = data.draw(st.integers(-5, 5) | st.none()), data.draw(st.integers(-5, 5) | st.none())
        step = data.draw(st.integers(1, 3))
        idx = (slice(None),) * d + (slice(lo, hi, step),)
        return kind, lambda t: t[idx], lambda a: a[idx]
    if kind == "expand":
        new = tuple(data.draw(st.integers(0, 3)) if s == 1 else -1 for s in shape)
        lead = tuple(data.draw(st.lists(st.integers(0, 2), max_size=1)))
        full = lead + tuple(s if n == -1 else n for s, n in zip(shape, new))
        return kind, lambda t: t.expand(*(lead + new)), lambda a: np.broadcast_to(a, full)
    if kind == "squeeze":
        return kind, lambda t: t.squeeze(d), lambda a: a.squeeze(d) if a.shape[d] == 1 else a
    if kind == "unflatten":
        return kind, lambda t: t.unflatten(d, (1, -1)), lambda a: np.expand_dims(a, d)
    if kind == "select":
        i = data.draw(st.integers(-shape[d], shape[d] - 1))
        return kind, lambda t: t.select(d, i), lambda a: np.take(a, i, axis=d)
    if kind == "narrow":
        start = data.draw(st.integers(0, shape[d]))
        n = data.draw(st.integers(0, shape[d] - start))
        return kind, lambda t: t.narrow(d, start, n), lambda a: np.take(a, range(start, start + n), axis=d)
    if kind == "unfold":
        size, step = data.draw(st.integers(0, shape[d])), data.draw(st.integers(1, 3))
        return kind, lambda t: t.unfold(d, size, step), lambda a: sliding_window_view(a, size, axis=d).take(
            range(0, shape[d] - size + 1, step), axis=d)
    d2 = (d + 1) % nd
    off = data.draw(st.integers(-3, 3))
    return kind, lambda t: t.diagonal(off, d, d2), lambda a: np.diagonal(a, off, d, d2)


@settings(max_examples=300, deadline=None)
@given(shape=st.lists(st.integers(0, 4), max_size=4).map(tuple), layout=st.sampled_from(LAYOUTS), data=st.data())
def test_fuzz_view_chains(shape, layout, data):
    a = arange(shape)
    x = make(pydl, a, layout)
    tx = make(torch, a, layout) if torch is not None else None
    r, tr, ref = x, tx, a
    for _ in range(data.draw(st.integers(1, 4))):
        kind, op, npop = draw_op(data, r.shape)
        prev, tprev = r, tr
        r, ref = op(r), npop(ref)
        np.testing.assert_array_equal(r.numpy(), ref, err_msg=kind)
        assert shares_storage(r, prev) or kind in ("reshape", "flatten") or r.numel() == 0, kind
        if tr is not None:
            tr = op(tr)
            assert geometry(r) == geometry(tr), kind
            if r.numel():
                assert shares_storage(r, prev) == shares_storage(tr, tprev), kind


@pytest.mark.parametrize("make_view", [
    lambda t: t.view(3, 4), lambda t: t.t(), lambda t: t[1:, ::2], lambda t: t.expand(2, 4, 3),
    lambda t: t.view(pydl.int32), lambda t: t.detach(),
])
def test_untyped_storage_is_shared_by_views(make_view):
    base = pydl.arange(12, dtype=pydl.float32).view(4, 3)
    view = make_view(base)
    s, sv = base.untyped_storage(), view.untyped_storage()
    assert sv.data_ptr() == s.data_ptr()
    assert s.nbytes() == 12 * 4 == len(s)
    assert s.device == pydl.device("cpu")
    assert view.data_ptr() == s.data_ptr() + view.storage_offset() * view.element_size()


def test_untyped_storage_of_copy_is_separate():
    base = pydl.zeros(4)
    assert base.clone().untyped_storage().data_ptr() != base.untyped_storage().data_ptr()
    assert base.contiguous().untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
