"""Tensor metadata and Python protocol: shape/size/stride/dim/numel/len/iteration, pydl.Size,
item/tolist/__bool__/__int__/__float__/__index__, requires_grad and .grad, pickling, deepcopy, repr."""
import copy
import operator
import pickle

import numpy as np
import pytest

import pydl

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is the oracle")


@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3), (2, 0, 4), (1, 1, 1, 7)], ids=str)
def test_metadata(shape):
    x = pydl.zeros(shape)
    n = int(np.prod(shape))
    assert x.shape == shape and x.size() == shape and isinstance(x.shape, pydl.Size)
    assert isinstance(x.shape, tuple) and x.shape.numel() == n == x.numel() == x.nelement()
    assert x.dim() == x.ndim == x.ndimension() == len(shape)
    if n:  # NumPy's C-order strides, in elements
        assert x.stride() == tuple(s // 4 for s in np.zeros(shape, np.float32).strides)
    assert x.storage_offset() == 0 and x.is_contiguous() and x.element_size() == x.itemsize == 4
    assert x.nbytes == 4 * n
    for d in range(-len(shape), len(shape)):
        assert x.size(d) == shape[d] and x.stride(d) == x.stride()[d]
    if shape:
        assert len(x) == shape[0] and len(list(x)) == shape[0]
        assert all(row.shape == shape[1:] for row in x)


@needs_torch
@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3), (2, 0, 4), (3, 1, 2)], ids=str)
def test_strides_match_torch(shape):
    for make in (lambda L: L.zeros(shape), lambda L: L.empty(shape, dtype=L.float64)):
        x, t = make(pydl), make(torch)
        assert (x.stride(), x.is_contiguous(), x.element_size()) == (t.stride(), t.is_contiguous(), t.element_size())


def test_size_is_a_tuple_like_torch_size():
    s = pydl.zeros(2, 3).shape
    assert repr(s) == "pydl.Size([2, 3])" and s == (2, 3) and s[0] == 2 and s[-1] == 3
    for r in (s[1:], s + (4,), (1,) + s, s * 2, 2 * s, s[::-1]):
        assert isinstance(r, pydl.Size)
    assert (1,) + s == (1, 2, 3) and s * 2 == (2, 3, 2, 3)
    assert pickle.loads(pickle.dumps(s)) == s and isinstance(pickle.loads(pickle.dumps(s)), pydl.Size)
    assert pydl.Size([pydl.tensor(4), np.int64(2)]) == (4, 2)
    with pytest.raises(TypeError, match="item 0 is 'float'"):
        pydl.Size([2.5])
    with pytest.raises(TypeError):
        s + [1]


@pytest.mark.parametrize("data,dtype,expected", [
    (3.5, "float32", 3.5), ([[2]], "int64", 2), (True, "bool", True), (2 ** 40, "int64", 2 ** 40),
    (200, "uint8", 200), (-7, "int8", -7), (1.25, "bfloat16", 1.25), (0.5, "float16", 0.5), (0.1, "float64", 0.1),
])
def test_item_types_and_values(data, dtype, expected):
    x = pydl.tensor(data, dtype=getattr(pydl, dtype))
    v = x.item()
    assert v == expected and type(v) is type(expected)
    assert x.tolist() == (expected if x.dim() == 0 else [[expected]])


@pytest.mark.parametrize("make", [
    lambda L: L.arange(6).reshape(2, 3), lambda L: L.arange(6.0).reshape(2, 3).t(), lambda L: L.zeros(2, 0),
    lambda L: L.zeros(0, 2), lambda L: L.tensor(1.5), lambda L: L.tensor([True, False]),
    lambda L: L.arange(4.0).reshape(4, 1).expand(4, 2), lambda L: L.tensor([1.5, -2.0]).to(L.bfloat16),
    lambda L: L.arange(24).reshape(2, 3, 4)[:, 1::2, ::3],
], ids=["int", "transposed", "empty_cols", "empty_rows", "0d", "bool", "expanded", "bf16", "strided"])
def test_tolist(make):
    x = make(pydl)
    expected = make(torch).tolist() if torch is not None else None
    got = x.tolist()
    if expected is not None:
        assert got == expected and repr(got) == repr(expected)  # same Python types too
    np.testing.assert_array_equal(np.array(got, dtype=np.float64).reshape(x.shape),
                                  x.float().numpy() if x.dtype != pydl.bool else x.numpy())


@pytest.mark.parametrize("value,dtype", [(0.0, "float32"), (0.5, "float32"), (-1, "int64"), (0, "int64"),
                                         (True, "bool"), (False, "bool"), (float("nan"), "float32")])
def test_bool_int_float_conversions(value, dtype):
    for shape in ((), (1,), (1, 1)):
        x = pydl.full(shape, value, dtype=getattr(pydl, dtype))
        assert bool(x) == bool(value)
        if value == value:  # not NaN
            assert int(x) == int(value) and type(x.__int__()) is int  # not bool, even for bool tensors
        assert float(x) == float(value) or value != value
        assert type(float(x)) is float


def test_int_truncates_like_python():
    assert int(pydl.tensor(2.7)) == 2 and int(pydl.tensor(-2.7)) == -2 and int(pydl.tensor(True)) == 1


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_index_protocol(dtype):
    x = pydl.tensor(1, dtype=getattr(pydl, dtype))
    i = operator.index(x)
    assert i == 1 and type(i) is int and type(x.__index__()) is int
    assert [10, 20, 30][x] == 20 and list(range(5))[x:] == [1, 2, 3, 4]
    assert operator.index(pydl.tensor([[2]])) == 2


def test_requires_grad_flags():
    x = pydl.zeros(2)
    assert not x.requires_grad and x.grad is None and x.is_leaf and x.grad_fn is None
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    for dtype in ("float16", "bfloat16", "float64"):
        assert pydl.zeros(1, dtype=getattr(pydl, dtype)).requires_grad_().requires_grad
    for dtype in ("int64", "int32", "uint8", "bool"):
        t = pydl.zeros(1, dtype=getattr(pydl, dtype))
        with pytest.raises(RuntimeError, match="floating point"):
            t.requires_grad_()
        with pytest.raises(RuntimeError, match="floating point"):
            t.requires_grad = True
        t.requires_grad_(False)  # turning it off is always fine
        assert not t.requires_grad
    y = pydl.ones(2, requires_grad=True)
    assert y.detach_() is y and not y.requires_grad


def test_grad_set_and_get():
    x = pydl.zeros(2, 3)
    g = pydl.ones(2, 3)
    x.grad = g
    assert x.grad is g  # the same object comes back
    x.grad = None
    assert x.grad is None
    x.grad = pydl.ones(3, 2).t()  # any strides are fine, only the shape must match
    assert x.grad.tolist() == [[1.0] * 3] * 2
    for bad, exc in [(pydl.ones(3), RuntimeError), (pydl.ones(2, 3, dtype=pydl.float64), RuntimeError),
                     (1.0, TypeError), ([[1.0] * 3] * 2, TypeError)]:
        with pytest.raises(exc):
            x.grad = bad
    assert x.grad is not None


PICKLE_CASES = {
    "contiguous": lambda L: L.arange(6.0).reshape(2, 3),
    "transposed": lambda L: L.arange(6.0).reshape(2, 3).t(),
    "sliced": lambda L: L.arange(20.0).reshape(4, 5)[1:, ::2],
    "expanded": lambda L: L.arange(3.0).reshape(3, 1).expand(3, 4),
    "bfloat16": lambda L: L.tensor([1.5, -2.25, 3e38]).to(L.bfloat16),
    "bfloat16_t": lambda L: L.arange(6.0).reshape(2, 3).to(L.bfloat16).t(),
    "float16": lambda L: L.tensor([0.1, 65504.0]).to(L.float16),
    "int8": lambda L: L.tensor([-128, 127], dtype=L.int8),
    "uint8": lambda L: L.tensor([0, 255], dtype=L.uint8),
    "bool": lambda L: L.tensor([[True, False]]),
    "0d": lambda L: L.tensor(2.5),
    "empty": lambda L: L.zeros(0, 3),
    "requires_grad": lambda L: L.arange(4.0).requires_grad_(),
}


@pytest.mark.parametrize("name", sorted(PICKLE_CASES))
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickle_round_trip(name, protocol):
    x = PICKLE_CASES[name](pydl)
    y = pickle.loads(pickle.dumps(x, protocol=protocol))
    assert y.dtype == x.dtype and y.shape == x.shape and y.requires_grad == x.requires_grad
    assert y.float().tolist() == x.float().tolist() if x.dtype != pydl.bool else y.tolist() == x.tolist()
    assert y.data_ptr() != x.data_ptr() or x.numel() == 0
    if torch is not None:  # layout kept like PyTorch's pickles
        t = pickle.loads(pickle.dumps(PICKLE_CASES[name](torch), protocol=protocol))
        assert (y.stride(), y.is_contiguous()) == (t.stride(), t.is_contiguous())


def test_pickle_views_are_independent_copies():
    x = pydl.arange(10.0)
    a, b = pickle.loads(pickle.dumps((x[2:5], x[2:5])))
    a.fill_(0.0)
    assert x[2].item() == 2.0 and b.tolist() == [2.0, 3.0, 4.0]


def test_deepcopy():
    x = pydl.arange(6.0).reshape(2, 3).requires_grad_()
    x.grad = pydl.ones(2, 3)
    v = x.detach()[1]  # a view, but a leaf: torch refuses to deepcopy non-leaf tensors
    y, w, y2 = copy.deepcopy([x, v, x])
    assert y is y2 and y is not x and y.data_ptr() != x.data_ptr()
    assert y.requires_grad and y.tolist() == x.tolist() and w.tolist() == [3.0, 4.0, 5.0]
    assert y.grad is not None and y.grad.tolist() == [[1.0] * 3] * 2 and y.grad.data_ptr() != x.grad.data_ptr()
    y.detach().fill_(9.0)
    assert x[0, 0].item() == 0.0
    b = copy.deepcopy(pydl.tensor([1.0, 2.0]).to(pydl.bfloat16))
    assert b.dtype == pydl.bfloat16 and b.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("make,expected", [
    (lambda: pydl.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: pydl.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: pydl.tensor(3.5), "tensor(3.5000)"),
    (lambda: pydl.tensor([True, False]), "tensor([ True, False])"),
    (lambda: pydl.zeros(0), "tensor([])"),
    (lambda: pydl.tensor([1.0, 2.0], dtype=pydl.float64), "tensor([1., 2.], dtype=pydl.float64)"),
    (lambda: pydl.ones(2, requires_grad=True), "tensor([1., 1.], requires_grad=True)"),
    (lambda: pydl.arange(4.0).reshape(2, 2).t(), "tensor([[0., 2.],\n        [1., 3.]])"),
])
def test_repr(make, expected):
    assert repr(make()) == expected and str(make()) == expected


@pytest.mark.cuda
@pytest.mark.skipif(not pydl.cuda.is_available(), reason="needs a CUDA GPU")
def test_views_indexing_and_conversions_on_cuda():
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    x = pydl.tensor(a, device="cuda")
    for op, npop in [(lambda t: t.permute(2, 0, 1)[1:, ::2], lambda n: n.transpose(2, 0, 1)[1:, ::2]),
                     (lambda t: t.view(12, 5).t().unsqueeze(1), lambda n: n.reshape(12, 5).T[:, None]),
                     (lambda t: t.diagonal(1, 1, 2), lambda n: np.diagonal(n, 1, 1, 2)),
                     (lambda t: t[:, :1].expand(3, 2, 5), lambda n: np.broadcast_to(n[:, :1], (3, 2, 5)))]:
        r = op(x)
        assert r.device == x.device and r.data_ptr() - r.storage_offset() * 4 == x.data_ptr()
        np.testing.assert_array_equal(r.cpu().numpy(), npop(a))
    x[1, :, ::2] = 7.0
    x[0] = pydl.ones(4, 5)  # a CPU source is copied across
    x[2, 1:] = x[2, :-1]    # overlapping, on the GPU
    a[1, :, ::2] = 7.0
    a[0] = 1.0
    a[2, 1:] = a[2, :-1].copy()
    np.testing.assert_array_equal(x.cpu().numpy(), a)
    assert x[1, 0, 0].item() == 7.0 and x[0].tolist() == a[0].tolist() and bool(x[0, 0, 0]) and int(x[1, 1, 1]) == 26
    y = pickle.loads(pickle.dumps(x.t() if x.dim() == 2 else x.permute(2, 1, 0)))
    assert y.device == x.device and y.tolist() == a.transpose(2, 1, 0).tolist()
    z = copy.deepcopy(x)
    assert z.device == x.device and z.data_ptr() != x.data_ptr() and z.tolist() == a.tolist()
