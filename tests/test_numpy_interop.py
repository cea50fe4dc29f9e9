"""NumPy interop: from_numpy / Tensor.numpy() / np.asarray share memory both ways, keep strides,
keep the owner alive, and raise PyTorch's errors for what cannot be shared."""
import gc
import sys
import warnings
import weakref

import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

SUPPORTED = ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def name_of(d):
    return repr(d).split(".")[-1]


def one(np_dtype):
    return np.array(1, dtype=np_dtype).item()


@pytest.mark.parametrize("name", SUPPORTED)
def test_from_numpy_shares_memory_both_ways(name):
    a = np.zeros((3, 4), dtype=name)
    x = pydl.from_numpy(a)
    assert name_of(x.dtype) == name and tuple(x.shape) == (3, 4) and x.stride() == (4, 1)
    assert x.data_ptr() == a.ctypes.data
    a[1, 2] = one(name)
    assert x.numpy()[1, 2] == one(name)
    x[2, 3] = one(name)
    assert a[2, 3] == one(name)
    x.zero_()
    assert not a.any()


@pytest.mark.parametrize("name", SUPPORTED)
def test_numpy_shares_memory_both_ways(name):
    x = pydl.zeros(2, 5, dtype=getattr(pydl, name))
    a = x.numpy()
    assert a.dtype == np.dtype(name) and a.shape == (2, 5) and a.ctypes.data == x.data_ptr()
    a[0, 1] = one(name)
    assert x.numpy()[0, 1] == one(name)
    x.fill_(one(name))
    assert a.all()
    b = np.asarray(x)
    assert b.ctypes.data == x.data_ptr() and b.dtype == np.dtype(name)


@pytest.mark.parametrize("make", [lambda a: a[::2, 1::2], lambda a: a.T, lambda a: a[:, 1:3], lambda a: a[1],
                                  lambda a: a[:, :1], lambda a: a.reshape(4, 2, 6).transpose(2, 0, 1),
                                  lambda a: np.broadcast_to(a[:1], (4, 12)), lambda a: a[:0]])
@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
def test_from_numpy_keeps_strides(make):
    a = make(np.arange(48, dtype=np.float32).reshape(4, 12))
    x = pydl.from_numpy(a)
    t = torch.from_numpy(a) if a.flags.writeable else None
    assert tuple(x.shape) == a.shape
    if t is not None:
        assert x.stride() == t.stride()
    else:
        assert x.stride() == tuple(s // a.itemsize for s in a.strides)
    np.testing.assert_array_equal(x.numpy(), a)
    np.testing.assert_array_equal(x.contiguous().numpy(), a)


@pytest.mark.parametrize("make", [lambda t: t.T, lambda t: t[:, ::2], lambda t: t[1:, 2:], lambda t: t[0]])
def test_numpy_of_views_keeps_strides(make):
    base = pydl.arange(24.0).view(4, 6)
    v = make(base)
    a = v.numpy()
    assert a.strides == tuple(s * 4 for s in v.stride())
    np.testing.assert_array_equal(a, make(np.arange(24.0, dtype=np.float32).reshape(4, 6)))
    a[...] = -1
    assert (make(base).numpy() == -1).all()


def test_zero_dim_and_empty_arrays():
    x = pydl.from_numpy(np.array(3.5, dtype=np.float32))
    assert tuple(x.shape) == () and x.numpy() == 3.5 and x.numpy().shape == ()
    e = pydl.from_numpy(np.zeros((0, 3)))
    assert tuple(e.shape) == (0, 3) and e.numel() == 0
    assert pydl.zeros(0, 2).numpy().shape == (0, 2)
    assert pydl.tensor(2.0).numpy().shape == ()


def test_negative_strides_raise_value_error():
    for a in [np.arange(5)[::-1], np.arange(12.0).reshape(3, 4)[:, ::-1]]:
        with pytest.raises(ValueError):
            torch.from_numpy(a)
        with pytest.raises(ValueError):
            pydl.from_numpy(a)


def test_strides_not_multiple_of_itemsize_raise():
    a = np.lib.stride_tricks.as_strided(np.zeros(4, np.float32), shape=(3,), strides=(2,))
    with pytest.raises(ValueError):
        pydl.from_numpy(a)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, object, np.uint16, np.uint32, np.float128 if hasattr(np, "float128") else np.uint64, "U3", "M8[s]"])
def test_unsupported_dtypes_raise_type_error(dtype):
    with pytest.raises(TypeError):
        pydl.from_numpy(np.zeros(3, dtype=dtype))


@pytest.mark.parametrize("obj", [[1, 2], 3.0, np.float32(1.0), None, "abc"])
def test_from_numpy_needs_an_ndarray(obj):
    with pytest.raises(TypeError):
        pydl.from_numpy(obj)


@pytest.mark.parametrize("dtype", [">f4", ">i8", ">f8", "<i4" if sys.byteorder == "big" else ">i2"])
def test_byte_swapped_arrays_raise(dtype):
    a = np.zeros(3, dtype=dtype)
    with pytest.raises(ValueError):
        torch.from_numpy(a)
    with pytest.raises(ValueError):
        pydl.from_numpy(a)
    assert pydl.tensor(np.arange(3, dtype=dtype)).numpy().tolist() == [0, 1, 2]  # tensor() copies


def test_non_writable_array_warns():
    a = np.arange(3.0)
    a.flags.writeable = False
    with pytest.warns(UserWarning):
        x = pydl.from_numpy(a)
    assert x.numpy().tolist() == [0.0, 1.0, 2.0]
    with pytest.warns(UserWarning):
        pydl.as_tensor(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pydl.tensor(a).numpy().tolist() == [0.0, 1.0, 2.0]  # tensor() copies: no warning
        with pytest.raises(UserWarning):  # -W error turns the warning into a clean exception
            pydl.from_numpy(a)


def test_numpy_errors():
    x = pydl.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        x.numpy()
    assert x.numpy(force=True).tolist() == [0.0, 0.0, 0.0]
    assert x.detach().numpy().tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(TypeError):
        pydl.zeros(3, dtype=pydl.bfloat16).numpy()
    with pytest.raises(TypeError):
        torch.zeros(3, dtype=torch.bfloat16).numpy()


def test_numpy_force_shares_when_it_can():
    x = pydl.arange(4.0)
    a = x.numpy(force=True)
    a[0] = 9
    assert x.numpy()[0] == 9


@pytest.mark.parametrize("dtype,want", [(None, np.float32), (np.float64, np.float64), (np.int32, np.int32)])
def test_asarray_and_array_protocol(dtype, want):
    x = pydl.arange(5.0)
    a = np.asarray(x, dtype=dtype)
    assert a.dtype == want and a.tolist() == [0, 1, 2, 3, 4]
    c = np.array(x)  # np.array copies by default
    c[0] = 100
    assert x.numpy()[0] == 0
    assert np.asarray(pydl.zeros(2, dtype=pydl.int16)).dtype == np.int16


def test_memory_outlives_the_tensor():
    x = pydl.arange(1000.0)
    a = x.numpy()
    del x
    gc.collect()
    junk = [pydl.full((1000,), 7.0) for _ in range(20)]  # would reuse a freed block
    assert a.tolist() == list(range(1000))
    del junk


def test_memory_outlives_the_array():
    a = np.arange(1000.0)
    ref = weakref.ref(a) if hasattr(a, "__weakref__") else None
    x = pydl.from_numpy(a)
    del a
    gc.collect()
    junk = [np.full(1000, 7.0) for _ in range(20)]
    assert x.numpy().tolist() == list(range(1000))
    y = x[10:20]
    del x
    gc.collect()
    assert y.numpy().tolist() == list(range(10, 20))
    del junk, y
    gc.collect()
    if ref is not None:
        assert ref() is None  # and the array is released once no tensor needs it


def test_refcounts_balance():
    a = np.arange(6.0)
    before = sys.getrefcount(a)
    x = pydl.from_numpy(a)
    assert sys.getrefcount(a) == before + 1
    del x
    gc.collect()
    assert sys.getrefcount(a) == before


def test_views_of_from_numpy_share_too():
    a = np.zeros((4, 4), dtype=np.float32)
    x = pydl.from_numpy(a)
    x.t()[1].fill_(5)  # column 1
    assert (a[:, 1] == 5).all() and a.sum() == 20
    x.view(16)[0] = 1
    assert a[0, 0] == 1


@pytest.mark.parametrize("name", SUPPORTED)
def test_round_trip_values(name):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((5, 7)) * 50).astype(name)
    np.testing.assert_array_equal(pydl.from_numpy(a).numpy(), a)
    np.testing.assert_array_equal(pydl.tensor(a).numpy(), a)
    np.testing.assert_array_equal(pydl.as_tensor(a).numpy(), a)
    assert pydl.tensor(a).data_ptr() != a.ctypes.data and pydl.as_tensor(a).data_ptr() == a.ctypes.data
