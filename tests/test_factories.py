"""Tensor factories: tensor()/as_tensor() inference, filled and *_like factories, sequences
(arange, linspace, logspace), eye, empty_strided and the default dtype. PyTorch is the oracle
for dtypes, shapes, lengths and errors; NumPy re-computes the documented value formulas."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
INT_NAMES = ["uint8", "int8", "int16", "int32", "int64"]
FLOAT_NAMES = ["float16", "bfloat16", "float32", "float64"]


def name_of(d):
    return repr(d).split(".")[-1]


def bits(t):
    """Comparable NumPy view of a pydl or torch tensor (bfloat16 as its raw bits)."""
    if name_of(t.dtype) == "bfloat16":
        t = t.view(pydl.int16 if isinstance(t, pydl.Tensor) else torch.int16)
    return t.numpy()


def assert_same(p, t):
    """Same dtype name, shape and bit-identical values (NaN == NaN)."""
    assert name_of(p.dtype) == name_of(t.dtype)
    assert tuple(p.shape) == tuple(t.shape)
    np.testing.assert_array_equal(bits(p), bits(t))


def torchify(obj):
    if isinstance(obj, pydl.Tensor):
        return torch.from_numpy(obj.numpy().copy())
    if isinstance(obj, (list, tuple)):
        return type(obj)(torchify(o) for o in obj)
    return obj


def raises_like(fn_p, fn_t):
    """Both raise, and pydl's exception class is torch's (or a subclass of it)."""
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(et.type):
        fn_p()


@pytest.fixture
def default_dtype_guard():
    old = pydl.get_default_dtype()
    yield
    pydl.set_default_dtype(old)


# --- tensor(): dtype and shape inference
DATA = [
    [True, False], [1, 2, 3], [1.0, 2], [True, 2], [True, 2.5], [[1, 2], [3, 4]], [], [[]], [[], []], 3, 2.5, True,
    -7, [2**40, -(2**62)], (1, 2), [(1, 2), (3, 4)], [[[1.5]]], [np.float32(1.5), 2], [np.int32(3), 4], [np.int16(3)],
    [np.bool_(True), False], [np.float64(1.0)], [np.uint8(3), np.int8(2)], [np.float16(1.5), 1], [1.5, np.float32(2.0)],
    [np.int64(2), 1.5], np.array([[1, 2], [3, 4]], dtype=np.int16), np.array([1.5, 2.5], dtype=np.float32),
    np.array(True), np.float64(2.5), [np.array([1, 2], dtype=np.int8), np.array([3, 4], dtype=np.int8)],
    [float("nan"), float("inf")], [-0.0],
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("data", DATA, ids=lambda d: repr(d)[:30])
def test_tensor_inference_matches_torch(data):
    assert_same(pydl.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("other", [1, 2.5, True])
def test_tensor_with_0d_tensor_leaves(name, other):
    p = pydl.tensor([pydl.tensor(1, dtype=getattr(pydl, name)), other])
    t = torch.tensor([torch.tensor(1, dtype=getattr(torch, name)), other])
    assert_same(p, t)


@pytest.mark.parametrize("name", NAMES)
def test_tensor_explicit_dtype(name):
    data = [[0, 1, 2], [3, 4, 5]] if name != "bool" else [[True, False, True], [False, True, False]]
    p, t = pydl.tensor(data, dtype=getattr(pydl, name)), torch.tensor(data, dtype=getattr(torch, name))
    assert_same(p, t)
    assert_same(pydl.tensor([0.5, -1.5, 2.7], dtype=getattr(pydl, name)) if name != "uint8" else pydl.tensor([0.5, 2.7], dtype=pydl.uint8),
                torch.tensor([0.5, -1.5, 2.7], dtype=getattr(torch, name)) if name != "uint8" else torch.tensor([0.5, 2.7], dtype=torch.uint8))


@pytest.mark.parametrize("data", [[[1, 2], [3]], [[1], [2, 3]], [[[1, 2]], [[3]]], [[1, 2], [3, 4, 5]]])
def test_tensor_ragged_raises_value_error(data):
    with pytest.raises(ValueError):
        torch.tensor(data)
    with pytest.raises(ValueError):
        pydl.tensor(data)


@pytest.mark.parametrize("data", [[[1, 2], 3], [1, [2, 3]]])
def test_tensor_mixed_depth_raises(data):
    with pytest.raises((ValueError, TypeError)):
        pydl.tensor(data)


@pytest.mark.parametrize("data", [["a"], [None], [1, None], object()])
def test_tensor_rejects_non_numbers(data):
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        pydl.tensor(data)


@pytest.mark.parametrize("value,name", [(300, "int8"), (-129, "int8"), (256, "uint8"), (-1.5, "uint8"), (-0.5, "uint8"),
                                        (255.9, "uint8"), (2**40, "int32"), (127.9, "int8"), (-128.9, "int8"),
                                        (float("nan"), "int64"), (float("inf"), "int16"), (1e40, "int64")])
def test_tensor_integer_overflow_raises(value, name):
    raises_like(lambda: pydl.tensor([value], dtype=getattr(pydl, name)),
                lambda: torch.tensor([value], dtype=getattr(torch, name)))


@pytest.mark.parametrize("value,name", [(-1, "uint8"), (-255, "uint8"), (127, "int8"), (1e6, "float16"), (2**40, "float16"),
                                        (5, "bool"), (2.7, "int8"), (-128.0, "int8"), (-0.0, "uint8"),
                                        (9.2e18, "int64")])
def test_tensor_values_that_fit_or_wrap(value, name):
    assert_same(pydl.tensor([value], dtype=getattr(pydl, name)), torch.tensor([value], dtype=getattr(torch, name)))


def test_tensor_copies_and_keeps_requires_grad():
    a = np.zeros(3)
    x = pydl.tensor(a)
    y = pydl.tensor(x)
    a[0], x[1] = 1, 5
    assert x.numpy()[0] == 0 and y.numpy()[1] == 0
    t = np.arange(6).reshape(2, 3).T
    assert pydl.tensor(t).numpy().tolist() == t.tolist()
    assert pydl.tensor([1.0, 2.0], requires_grad=True).requires_grad
    with pytest.raises(RuntimeError):
        pydl.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("name", ["float64", "float32", "int64", "int16", "uint8", "bool", "float16"])
def test_as_tensor_shares_numpy_memory_when_dtype_matches(name):
    a = np.zeros(4, dtype=np.dtype(name if name != "bool" else "bool"))
    x = pydl.as_tensor(a)
    assert name_of(x.dtype) == name
    a[1] = 1
    assert bits(x)[1] == 1
    y = pydl.as_tensor(a, dtype=pydl.float32 if name != "float32" else pydl.float64)
    a[2] = 1
    assert y.numpy()[2] == 0  # a different dtype needs a copy


def test_as_tensor_tensor_and_list():
    t0 = pydl.zeros(3)
    assert pydl.as_tensor(t0) is t0 or pydl.as_tensor(t0).data_ptr() == t0.data_ptr()
    assert pydl.as_tensor(t0, dtype=pydl.float64).dtype == pydl.float64
    assert_same(pydl.as_tensor([1, 2]), torch.as_tensor([1, 2]))


# --- zeros / ones / empty / full and the size forms
SIZES = [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((), {"size": (2, 3)}), ((), {"size": [4]}),
         ((pydl.Size([2, 3]),), {}), ((0,), {}), ((), {"size": ()}), ((2, 0, 3), {})]


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("args,kw", SIZES, ids=[repr(s) for s in SIZES])
def test_filled_factory_size_forms(fn, args, kw):
    p = getattr(pydl, fn)(*args, **kw)
    t = getattr(torch, fn)(*[torch.Size(a) if isinstance(a, pydl.Size) else a for a in args], **kw)
    assert tuple(p.shape) == tuple(t.shape) and name_of(p.dtype) == "float32"
    assert p.is_contiguous()
    if fn != "empty":
        np.testing.assert_array_equal(p.numpy(), t.numpy())


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("name", NAMES)
def test_filled_factory_dtype_device_grad(fn, name):
    p = getattr(pydl, fn)(2, 3, dtype=getattr(pydl, name), device="cpu")
    assert name_of(p.dtype) == name and p.device == pydl.device("cpu") and not p.requires_grad
    if fn != "empty":
        assert_same(p, getattr(torch, fn)(2, 3, dtype=getattr(torch, name)))
    g = getattr(pydl, fn)(2, dtype=pydl.float64, requires_grad=True)
    assert g.requires_grad and g.is_leaf


@pytest.mark.parametrize("bad", [(-1,), (2.5,), ("a",), ((2, 3), (4,))])
def test_filled_factory_bad_sizes(bad):
    raises_like(lambda: pydl.zeros(*bad), lambda: torch.zeros(*bad))


def test_filled_factory_missing_or_duplicate_size():
    for call in [lambda: pydl.zeros(), lambda: pydl.ones(2, size=(3,))]:
        with pytest.raises(TypeError):
            call()


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_out_argument(fn):
    o = pydl.full((2, 3), 7, dtype=pydl.int32)
    r = getattr(pydl, fn)(2, 3, out=o)
    assert r is o or r.data_ptr() == o.data_ptr()
    assert o.dtype == pydl.int32
    if fn != "empty":
        np.testing.assert_array_equal(o.numpy(), getattr(np, fn)((2, 3)))


@pytest.mark.parametrize("value", [1, 1.5, True, -3, 2**40, float("inf"), float("nan")])
@pytest.mark.parametrize("dtype", [None] + NAMES)
def test_full_matches_torch(value, dtype):
    kw_p = {} if dtype is None else {"dtype": getattr(pydl, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    try:
        want = torch.full((2, 3), value, **kw_t)
    except RuntimeError:  # does not fit the dtype: pydl must refuse too
        with pytest.raises(RuntimeError):
            pydl.full((2, 3), value, **kw_p)
        return
    assert_same(pydl.full((2, 3), value, **kw_p), want)


@pytest.mark.parametrize("value,name", [(300, "int8"), (-1.0, "uint8"), (255.5, "uint8"), (1e6, "float16"),
                                        (1e40, "float32"), (3.5e38, "bfloat16"), (float("nan"), "int32"), (-256, "uint8"),
                                        (70000, "float16")])
def test_fill_overflow_raises_like_torch(value, name):
    raises_like(lambda: pydl.full((2,), value, dtype=getattr(pydl, name)),
                lambda: torch.full((2,), value, dtype=getattr(torch, name)))
    raises_like(lambda: pydl.zeros(2, dtype=getattr(pydl, name)).fill_(value),
                lambda: torch.zeros(2, dtype=getattr(torch, name)).fill_(value))


def test_full_with_0d_tensor_and_requires_grad():
    assert_same(pydl.full((2,), pydl.tensor(3.0)), torch.full((2,), torch.tensor(3.0)))
    assert pydl.full((2,), 1.0, requires_grad=True).requires_grad


# --- *_like
@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "full_like"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "expanded"])
def test_like_factories_preserve_dense_strides(fn, layout):
    base_p, base_t = pydl.arange(12.0).view(3, 4), torch.arange(12.0).view(3, 4)
    pick = {"contiguous": lambda x: x, "transposed": lambda x: x.t(), "sliced": lambda x: x[:, ::2],
            "expanded": lambda x: x[:1].expand(3, 4)}[layout]
    x_p, x_t = pick(base_p), pick(base_t)
    args = (7,) if fn == "full_like" else ()
    p, t = getattr(pydl, fn)(x_p, *args), getattr(torch, fn)(x_t, *args)
    assert tuple(p.shape) == tuple(t.shape) and p.stride() == t.stride() and name_of(p.dtype) == name_of(t.dtype)
    if fn != "empty_like":
        np.testing.assert_array_equal(p.numpy(), t.numpy())
    q = getattr(pydl, fn)(x_p, *args, dtype=pydl.int64)
    assert q.dtype == pydl.int64 and q.stride() == p.stride()


def test_full_like_value_conversion():
    assert_same(pydl.full_like(pydl.zeros(2, dtype=pydl.int32), 2.7), torch.full_like(torch.zeros(2, dtype=torch.int32), 2.7))
    assert pydl.zeros_like(pydl.zeros(2), requires_grad=True).requires_grad
    with pytest.raises(RuntimeError):
        pydl.full_like(pydl.zeros(2, dtype=pydl.int8), 300)


# --- arange
ARANGE = [(5,), (0,), (2, 10), (10, 2, -1), (10, 2, -3), (0, 1, 0.1), (0, 1, 0.3), (1, 2.5, 0.5), (-1, 1, 0.25),
          (0, -1, -0.1), (0.5,), (2.5,), (1, 10, 3), (1e-3, 1, 0.01), (0, 10, 0.7), (-5.5, 5.5, 1.1), (1.5, 10),
          (0.0, 5), (1, 4.0), (0, 5, 1.5), (-3, 3, 0.3), (0.9, 3.5), (-2.5, 2), (5, 0, -1.5), (-0.5, 3), (0, 5, 2.9),
          (0.5, 0.7), (0, -0.5, -0.3), (3, 0.5, -1), (0, 0.5, 0.1), (0, 1000, 0.1), (2**40, 2**40 + 5)]


def _arange_oracle(args, name):
    """pydl's documented values: start + i * step in double, rounded once to the dtype."""
    start, end, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
    n = torch.arange(*args, dtype=torch.float64).numel()
    v = float(start) + np.arange(n, dtype=np.float64) * float(step)
    with np.errstate(over="ignore"):
        return v.astype(np.float32).astype(np.float16) if name == "float16" else v.astype(name)


@pytest.mark.parametrize("args", ARANGE, ids=repr)
@pytest.mark.parametrize("dtype", [None] + INT_NAMES + FLOAT_NAMES)
def test_arange_matches_torch(args, dtype):
    kw_p = {} if dtype is None else {"dtype": getattr(pydl, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    try:
        want = torch.arange(*args, **kw_t)
    except (RuntimeError, ValueError) as e:
        with pytest.raises(type(e)):
            pydl.arange(*args, **kw_p)
        return
    got = pydl.arange(*args, **kw_p)
    assert name_of(got.dtype) == name_of(want.dtype) and tuple(got.shape) == tuple(want.shape)
    if not got.dtype.is_floating_point:
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        return
    g = got.double().numpy()
    # Exactly pydl's formula; within an ulp or two of torch (whose vector kernel rounds twice).
    if name_of(got.dtype) != "bfloat16":
        np.testing.assert_array_equal(got.numpy(), _arange_oracle(args, name_of(got.dtype)))
    eps = {"float16": 2**-10, "bfloat16": 2**-7, "float32": 2**-23, "float64": 2**-52}[name_of(got.dtype)]
    scale = max(abs(float(a)) for a in args)
    np.testing.assert_allclose(g, want.double().numpy(), rtol=2 * eps, atol=4 * eps * scale)


@pytest.mark.parametrize("args", [(0, 5, 0), (0.0, 1.0, 0.0), (0, 10, -1), (10, 0, 1), (5, 0), (0, float("inf")),
                                  (float("nan"), 2)])
def test_arange_errors(args):
    raises_like(lambda: pydl.arange(*args), lambda: torch.arange(*args))
    with pytest.raises(RuntimeError):
        pydl.arange(*args, dtype=pydl.int32)


def test_arange_bool_and_default_dtype(default_dtype_guard):
    with pytest.raises(RuntimeError):
        pydl.arange(3, dtype=pydl.bool)
    assert pydl.arange(3).dtype == pydl.int64 and pydl.arange(3.0).dtype == pydl.float32
    pydl.set_default_dtype(pydl.float64)
    assert pydl.arange(3.0).dtype == pydl.float64 and pydl.arange(3).dtype == pydl.int64
    assert pydl.arange(0, 1, 0.1).numpy().tolist() == torch.arange(0, 1, 0.1, dtype=torch.float64).tolist()


def test_arange_int64_exact_length_beyond_double():
    big = 2**62
    assert pydl.arange(0, big + 1, 2**61).numpy().tolist() == torch.arange(0, big + 1, 2**61).tolist() == [0, 2**61, big]
    r = pydl.arange(2**53, 2**53 + 10, 3).numpy().tolist()
    assert r == torch.arange(2**53, 2**53 + 10, 3).tolist()


# --- linspace / logspace
SPACES = [(0, 1, 0), (0, 1, 1), (0, 1, 2), (0, 1, 5), (0, 1, 6), (-3.3, 7.1, 7), (-3.3, 7.1, 100), (10, -10, 11),
          (1, 1, 5), (0, 255, 256), (0, 1, 1000), (0, 1, 1001), (2, 5, 3), (-1, 2, 9), (0.1, 0.3, 37), (-2, 3, 4),
          (2.5, 2.5, 1), (-100, 100, 33)]


@pytest.mark.parametrize("fn", ["linspace", "logspace"])
@pytest.mark.parametrize("args", SPACES, ids=repr)
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16",
                                   "int8", "uint8"])
def test_linspace_logspace_match_torch(fn, args, dtype):
    kw_p = {} if dtype is None else {"dtype": getattr(pydl, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    if fn == "logspace" and dtype in INT_NAMES and max(abs(args[0]), abs(args[1])) > 8:
        pytest.skip("10**x beyond int32 is undefined behaviour in torch's double -> int cast")
    try:
        want = getattr(torch, fn)(*args, **kw_t)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(pydl, fn)(*args, **kw_p)
        return
    assert_same(getattr(pydl, fn)(*args, **kw_p), want)


@pytest.mark.parametrize("base", [2.0, 3.5, 0.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logspace_base(base, dtype):
    assert_same(pydl.logspace(-2, 3, 11, base, dtype=getattr(pydl, dtype)),
                torch.logspace(-2, 3, 11, base, dtype=getattr(torch, dtype)))


def test_linspace_endpoints_and_symmetry():
    for steps in (2, 3, 10, 11, 1000):
        v = pydl.linspace(-1.7, 3.9, steps, dtype=pydl.float64).numpy()
        assert v[0] == -1.7 and v[-1] == 3.9 and np.all(np.diff(v) > 0)
    with pytest.raises(RuntimeError):
        pydl.linspace(0, 1, -1)
    with pytest.raises(RuntimeError):
        pydl.linspace(0, 1, 3, dtype=pydl.bool)


# --- eye, empty_strided
@pytest.mark.parametrize("n,m", [(0, None), (1, None), (3, None), (2, 4), (4, 2), (3, 0)])
@pytest.mark.parametrize("dtype", [None, "int32", "bool", "float16"])
def test_eye(n, m, dtype):
    kw_p = {} if dtype is None else {"dtype": getattr(pydl, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    args = (n,) if m is None else (n, m)
    assert_same(pydl.eye(*args, **kw_p), torch.eye(*args, **kw_t))


def test_eye_errors():
    for args in [(-1,), (2, -1)]:
        raises_like(lambda: pydl.eye(*args), lambda: torch.eye(*args))


@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((2, 3), (0, 1)), ((4,), (2,)),
                                         ((), ()), ((0, 3), (3, 1))])
def test_empty_strided(size, stride):
    p, t = pydl.empty_strided(size, stride), torch.empty_strided(size, stride)
    assert tuple(p.shape) == tuple(t.shape) and p.stride() == t.stride()
    assert p.is_contiguous() == t.is_contiguous() and p.dtype == pydl.float32
    assert pydl.empty_strided(size, stride, dtype=pydl.int16).dtype == pydl.int16
    with pytest.raises(RuntimeError):
        pydl.empty_strided((2, 3), (1,))


# --- the default dtype
def test_default_dtype_drives_float_factories(default_dtype_guard):
    for name in ["float64", "float16", "float32"]:
        pydl.set_default_dtype(getattr(pydl, name))
        d = getattr(pydl, name)
        assert pydl.tensor([1.0, 2]).dtype == d and pydl.tensor(2.5).dtype == d
        assert pydl.zeros(2).dtype == d and pydl.ones(2).dtype == d and pydl.empty(2).dtype == d
        assert pydl.full((2,), 1.5).dtype == d and pydl.arange(2.0).dtype == d and pydl.linspace(0, 1, 3).dtype == d
        assert pydl.eye(2).dtype == d and pydl.tensor([]).dtype == d
        assert pydl.tensor([1]).dtype == pydl.int64 and pydl.arange(2).dtype == pydl.int64
        assert pydl.tensor([True]).dtype == pydl.bool and pydl.full((2,), 1).dtype == pydl.int64
        assert pydl.tensor(np.float32(1.0)).dtype == pydl.float32  # NumPy scalars keep their dtype


@pytest.mark.parametrize("bad", [pydl.int32, pydl.int64, pydl.bool, pydl.uint8])
def test_set_default_dtype_rejects_non_floating(bad, default_dtype_guard):
    with pytest.raises(TypeError):
        pydl.set_default_dtype(bad)
    assert pydl.get_default_dtype() == pydl.float32
