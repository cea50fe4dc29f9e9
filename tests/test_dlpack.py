"""DLPack interop: Tensor.__dlpack__ / __dlpack_device__ and pydl.from_dlpack, checked against
NumPy (always) and PyTorch (when installed). Every exchange must share memory, not copy it."""
import ctypes
import gc
import weakref

import numpy as np
import pytest

import pydl

DTYPES = [  # (pydl dtype, numpy dtype, sample values)
    (pydl.bool, np.bool_, [True, False, True, False]),
    (pydl.uint8, np.uint8, [0, 1, 200, 255]),
    (pydl.int8, np.int8, [-128, -1, 0, 127]),
    (pydl.int16, np.int16, [-30000, -1, 0, 30000]),
    (pydl.int32, np.int32, [-(2**31), -1, 0, 2**31 - 1]),
    (pydl.int64, np.int64, [-(2**62), -1, 0, 2**62]),
    (pydl.float16, np.float16, [-1.5, 0.0, 0.25, 1024.0]),
    (pydl.float32, np.float32, [-1.5, 0.0, 0.25, 1e30]),
    (pydl.float64, np.float64, [-1.5, 0.0, 0.25, 1e300]),
]
DTYPE_IDS = [repr(d[0]) for d in DTYPES]


def np_data_ptr(a):
    return a.__array_interface__["data"][0]


def capsule_name(cap):
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    return get_name(cap).decode()


# ----------------------------------------------------------------------------- protocol basics

def test_dlpack_device():
    assert pydl.zeros(2, 3).__dlpack_device__() == (1, 0)
    assert pydl.tensor(1.0).__dlpack_device__() == np.zeros(1).__dlpack_device__()


def test_capsule_kinds():
    t = pydl.arange(4)
    assert capsule_name(t.__dlpack__()) == "dltensor"
    assert capsule_name(t.__dlpack__(max_version=(0, 8))) == "dltensor"
    assert capsule_name(t.__dlpack__(max_version=(1, 0))) == "dltensor_versioned"
    assert capsule_name(t.__dlpack__(max_version=(1, 3))) == "dltensor_versioned"
    with pytest.raises(TypeError):
        t.__dlpack__(None)  # every argument is keyword-only


@pytest.mark.parametrize("versioned", [False, True])
def test_capsule_round_trip_and_consumed_once(versioned):
    t = pydl.arange(6, dtype=pydl.float32).reshape(2, 3)
    cap = t.__dlpack__(max_version=(1, 0)) if versioned else t.__dlpack__()
    u = pydl.from_dlpack(cap)
    assert capsule_name(cap) == ("used_dltensor_versioned" if versioned else "used_dltensor")
    assert u.shape == (2, 3) and u.dtype == pydl.float32 and u.data_ptr() == t.data_ptr()
    u[0, 0] = 7
    assert t[0, 0].item() == 7
    with pytest.raises(RuntimeError, match="consumed only once"):
        pydl.from_dlpack(cap)


def test_unconsumed_capsule_is_freed():
    cap = pydl.ones(3).__dlpack__(max_version=(1, 0))
    del cap
    gc.collect()


def test_from_pydl_tensor_directly():
    t = pydl.arange(5)
    u = pydl.from_dlpack(t)
    assert u.data_ptr() == t.data_ptr() and u.tolist() == t.tolist()


def test_requires_grad_export_raises():
    t = pydl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't export tensors that require gradient, use tensor.detach()"):
        t.__dlpack__()
    with pytest.raises(RuntimeError, match="require gradient"):
        np.from_dlpack(t)
    assert np.from_dlpack(t.detach()).tolist() == [1.0, 1.0, 1.0]


def test_copy_and_dl_device():
    t = pydl.arange(4, dtype=pydl.float32)
    c = pydl.from_dlpack(t.__dlpack__(max_version=(1, 0), copy=True))
    assert c.data_ptr() != t.data_ptr() and c.tolist() == t.tolist()
    a = np.from_dlpack(t, copy=True)
    a[0] = 100
    assert t[0].item() == 0
    assert pydl.from_dlpack(t.__dlpack__(copy=False, dl_device=(1, 0))).data_ptr() == t.data_ptr()
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(2, 0))
    with pytest.raises(TypeError):
        t.__dlpack__(stream="default")
    t.__dlpack__(stream=None)


def test_from_dlpack_rejects_non_dlpack_objects():
    with pytest.raises(TypeError, match="list"):
        pydl.from_dlpack([1, 2, 3])


# -------------------------------------------------------------------------------- pydl -> numpy

@pytest.mark.parametrize("dt,np_dt,values", DTYPES, ids=DTYPE_IDS)
def test_to_numpy_shares_memory(dt, np_dt, values):
    t = pydl.tensor(values, dtype=dt)
    a = np.from_dlpack(t)
    assert a.dtype == np_dt and a.shape == (4,)
    assert np_data_ptr(a) == t.data_ptr()
    np.testing.assert_array_equal(a, np.array(values, dtype=np_dt))
    a[0] = values[1]  # NumPy -> pydl
    assert t[0].item() == a[0].item()
    t[1] = values[2]  # pydl -> NumPy
    assert a[1] == np.array(values[2], dtype=np_dt)


@pytest.mark.parametrize("view", [
    lambda t: t.transpose(0, 2),
    lambda t: t.permute(1, 2, 0),
    lambda t: t[:, ::2, 1::2],
    lambda t: t[1, :, ::3],
    lambda t: t.expand(2, 2, 3, 4)[:, 1],  # stride 0
], ids=["transpose", "permute", "step-slices", "offset-view", "broadcast"])
def test_to_numpy_non_contiguous_keeps_strides(view):
    base = pydl.arange(24, dtype=pydl.float64).reshape(2, 3, 4)
    v = view(base)
    a = np.from_dlpack(v)
    assert a.shape == v.shape
    assert a.strides == tuple(s * 8 for s in v.stride())
    assert np_data_ptr(a) == v.data_ptr()
    np.testing.assert_array_equal(a, v.numpy())


def test_to_numpy_zero_dim_and_empty():
    s = pydl.tensor(3.5)
    a = np.from_dlpack(s)
    assert a.shape == () and a[()] == 3.5
    a[()] = -1.0
    assert s.item() == -1.0
    for shape in [(0,), (2, 0, 3)]:
        e = np.from_dlpack(pydl.zeros(*shape))
        assert e.shape == shape and e.dtype == np.float32


# -------------------------------------------------------------------------------- numpy -> pydl

@pytest.mark.parametrize("dt,np_dt,values", DTYPES, ids=DTYPE_IDS)
def test_from_numpy_shares_memory(dt, np_dt, values):
    a = np.array(values, dtype=np_dt)
    t = pydl.from_dlpack(a)
    assert t.dtype == dt and t.shape == (4,) and t.data_ptr() == np_data_ptr(a)
    assert t.tolist() == a.tolist()
    a[0] = values[1]
    assert t[0].item() == a[0].item()
    t[1] = values[2]
    assert a[1] == np.array(values[2], dtype=np_dt)


def test_from_numpy_views_zero_dim_and_empty():
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    for view in [a.T, a[:, ::2, 1::2], a[1:, 1:, 2:]]:
        t = pydl.from_dlpack(view)
        assert t.shape == view.shape and t.stride() == tuple(s // 4 for s in view.strides)
        assert t.data_ptr() == np_data_ptr(view) and t.tolist() == view.tolist()
    z = pydl.from_dlpack(np.array(2.5))
    assert z.shape == () and z.item() == 2.5
    e = pydl.from_dlpack(np.zeros((3, 0)))
    assert e.shape == (3, 0) and e.numel() == 0


def test_from_numpy_errors():
    with pytest.raises(ValueError, match="negative strides"):
        pydl.from_dlpack(np.arange(4.0)[::-1])
    with pytest.raises(TypeError, match="complex64"):
        pydl.from_dlpack(np.zeros(2, dtype=np.complex64))
    with pytest.raises(TypeError, match="uint16"):
        pydl.from_dlpack(np.zeros(2, dtype=np.uint16))
    ro = np.arange(3.0)
    ro.flags.writeable = False
    with pytest.warns(UserWarning, match="read-only"):
        t = pydl.from_dlpack(ro)
    assert t.tolist() == [0.0, 1.0, 2.0]


# ------------------------------------------------------------------------------------ lifetimes

def test_exported_memory_outlives_pydl_tensor():
    t = pydl.arange(1000, dtype=pydl.int64)
    a = np.from_dlpack(t[10:])
    del t
    gc.collect()
    pydl.zeros(1000, dtype=pydl.int64)  # would likely reuse freed memory
    np.testing.assert_array_equal(a, np.arange(10, 1000))


def test_imported_memory_keeps_producer_alive_then_releases_it():
    a = np.arange(100.0)
    ref = weakref.ref(a)
    t = pydl.from_dlpack(a)
    view = t[50:]
    del a, t
    gc.collect()
    assert ref() is not None  # pydl still holds NumPy's array through the DLPack deleter
    assert view[0].item() == 50.0
    del view
    gc.collect()
    assert ref() is None  # ... and lets go of it when the last tensor dies


# ------------------------------------------------------------------- hand-built DLPack structs

class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32),
                ("ndim", ctypes.c_int32), ("code", ctypes.c_uint8), ("bits", ctypes.c_uint8),
                ("lanes", ctypes.c_uint16), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class _DLManagedTensor(ctypes.Structure):
    pass


_Deleter = ctypes.CFUNCTYPE(None, ctypes.POINTER(_DLManagedTensor))
_DLManagedTensor._fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _Deleter)]


def _legacy_capsule(buf, shape, byte_offset, code, bits, lanes=1, device_type=1):
    """A "dltensor" capsule over `buf` with NULL strides; returns it and a list of deleter calls."""
    calls = []
    keep = {"buf": buf, "shape": (ctypes.c_int64 * len(shape))(*shape)}
    keep["deleter"] = _Deleter(lambda p: calls.append(p))
    m = _DLManagedTensor()
    m.dl_tensor = _DLTensor(np_data_ptr(buf), device_type, 0, len(shape), code, bits, lanes,
                            keep["shape"], None, byte_offset)
    m.deleter = keep["deleter"]
    keep["m"] = m
    new = ctypes.pythonapi.PyCapsule_New
    new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    return new(ctypes.addressof(m), b"dltensor", None), calls, keep


def test_null_strides_byte_offset_and_deleter_called_once():
    buf = np.arange(10, dtype=np.float32)
    cap, calls, keep = _legacy_capsule(buf, (2, 3), byte_offset=8, code=2, bits=32)
    t = pydl.from_dlpack(cap)
    assert t.stride() == (3, 1) and t.data_ptr() == np_data_ptr(buf) + 8
    assert t.tolist() == [[2.0, 3.0, 4.0], [5.0, 6.0, 7.0]]
    del cap
    gc.collect()
    assert calls == []
    del t
    gc.collect()
    assert len(calls) == 1


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(code=5, bits=64), TypeError, "complex64"),
    (dict(code=2, bits=32, lanes=4), TypeError, "vector"),
    (dict(code=2, bits=32, device_type=4), RuntimeError, "device type 4"),
])
def test_rejected_capsule_is_left_to_its_producer(kwargs, error, match):
    cap, calls, keep = _legacy_capsule(np.zeros(4, dtype=np.float32), (4,), 0, **kwargs)
    with pytest.raises(error, match=match):
        pydl.from_dlpack(cap)
    assert capsule_name(cap) == "dltensor" and calls == []  # not consumed, not freed


# -------------------------------------------------------------------------------- PyTorch

TORCH_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


@pytest.mark.parametrize("name", TORCH_DTYPES)
def test_to_torch_shares_memory(name):
    torch = pytest.importorskip("torch")
    vals = [1, 0, 1, 1] if name == "bool" else [1, 2, 3, 4]
    t = pydl.tensor(vals, dtype=getattr(pydl, name))
    tt = torch.from_dlpack(t)
    assert tt.dtype == getattr(torch, name) and tt.data_ptr() == t.data_ptr()
    assert tt.tolist() == t.tolist()
    tt[0] = 0
    assert t[0].item() == 0
    t[3] = 0
    assert tt[3].item() == 0


@pytest.mark.parametrize("name", TORCH_DTYPES)
def test_from_torch_shares_memory(name):
    torch = pytest.importorskip("torch")
    vals = [True, False, True] if name == "bool" else [1, 2, 3]
    tt = torch.tensor(vals, dtype=getattr(torch, name))
    t = pydl.from_dlpack(tt)
    assert t.dtype == getattr(pydl, name) and t.data_ptr() == tt.data_ptr()
    assert t.tolist() == tt.tolist()
    t[0] = 0
    assert tt[0].item() == 0
    tt[2] = 0
    assert t[2].item() == 0


def test_torch_strides_and_lifetime():
    torch = pytest.importorskip("torch")
    base = pydl.arange(12, dtype=pydl.float32).reshape(3, 4)
    tt = torch.from_dlpack(base.t()[:, ::2])
    assert tt.stride() == base.t()[:, ::2].stride() and tt.tolist() == base.t()[:, ::2].tolist()
    del base
    gc.collect()
    assert tt.tolist() == [[0.0, 8.0], [1.0, 9.0], [2.0, 10.0], [3.0, 11.0]]
    src = torch.arange(12.0).reshape(3, 4).t()
    t = pydl.from_dlpack(src)
    assert t.stride() == src.stride() and t.tolist() == src.tolist()
    del src
    gc.collect()
    assert t[1].tolist() == [1.0, 5.0, 9.0]
    with pytest.raises(RuntimeError, match="require gradient"):
        torch.from_dlpack(pydl.ones(2, requires_grad=True))


# ------------------------------------------------------------------------------------ CUDA

@pytest.mark.skipif(not pydl.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_round_trip():
    t = pydl.arange(6, dtype=pydl.float32, device="cuda").reshape(2, 3)
    assert t.__dlpack_device__() == (2, t.device.index)
    u = pydl.from_dlpack(t.__dlpack__(max_version=(1, 0), stream=1))
    assert u.device == t.device and u.data_ptr() == t.data_ptr() and u.stride() == t.stride()
    u[0, 0] = 5
    assert t[0, 0].item() == 5
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(1, 0))
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        tt = torch.from_dlpack(t)
        assert tt.is_cuda and tt.data_ptr() == t.data_ptr() and tt.tolist() == t.tolist()
        back = pydl.from_dlpack(torch.ones(3, device="cuda"))
        assert back.device.type == "cuda" and back.tolist() == [1.0, 1.0, 1.0]
