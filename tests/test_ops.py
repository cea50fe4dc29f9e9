"""Forward tests generated from the op table (tests/op_table/): values against NumPy, result
dtypes and error classes against PyTorch, in-place and out= variants, non-contiguous inputs."""
import numpy as np
import pytest

import pydl
from op_table import ALL, FLOATS, TOL, Keep, all_ops

try:
    import torch
except ImportError:  # the dtype/error oracle is optional
    torch = None

OPS = all_ops()
LAYOUTS = ("transposed", "sliced", "expanded")


# --- converting samples -----------------------------------------------------------------------

def lib_dtype(lib, name):
    return getattr(lib, name)


def to_lib(lib, arr, dtype):
    """A contiguous tensor of `lib` holding `arr` converted to `dtype` (a dtype name)."""
    arr = np.asarray(arr)
    if dtype == "bfloat16":
        return lib.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).to(lib_dtype(lib, "bfloat16"))
    return lib.from_numpy(np.ascontiguousarray(arr.astype(dtype)))


def to_numpy(t):
    """Exact values of a tensor (half/bfloat16 widened to float32) or a passed-through value."""
    if isinstance(t, (list, tuple)):
        return type(t)(to_numpy(x) for x in t) if not hasattr(t, "_fields") else tuple(to_numpy(x) for x in t)
    if hasattr(t, "numpy") and hasattr(t, "dtype"):
        if str(t.dtype).endswith(("bfloat16", "float16")):
            t = t.float()
        return t.detach().numpy()
    return t


def build(lib, args, dtype, layout=None):
    """Library arguments for one sample: arrays become tensors of `dtype`, laid out as `layout`."""
    out = []
    for a in args:
        if isinstance(a, Keep):
            out.append(lib.from_numpy(np.array(a.array)))
        elif isinstance(a, np.ndarray):
            out.append(with_layout(lib, a, dtype, layout))
        elif isinstance(a, (list, tuple)) and a and all(isinstance(x, np.ndarray) for x in a):
            out.append(type(a)(with_layout(lib, x, dtype, layout) for x in a))
        else:
            out.append(a)
    return out


def with_layout(lib, a, dtype, layout):
    if layout == "transposed" and a.ndim >= 2:
        return to_lib(lib, np.swapaxes(a, -1, -2), dtype).transpose(-1, -2)
    if layout == "sliced" and a.ndim >= 1:
        return to_lib(lib, np.repeat(a, 2, axis=-1), dtype)[..., ::2]
    if layout == "expanded" and a.ndim >= 1 and a.shape[0] > 1:
        return to_lib(lib, a[:1], dtype).expand(*a.shape)
    return to_lib(lib, a, dtype)


def ref_args(op, built, dtype):
    """The NumPy reference's arguments: the exact values the tensors hold (in op.ref_dtype if set)."""
    def conv(x):
        if isinstance(x, pydl.Tensor):
            v = to_numpy(x)
            return v.astype(op.ref_dtype) if op.ref_dtype else v
        if isinstance(x, (list, tuple)) and x and all(isinstance(y, pydl.Tensor) for y in x):
            return type(x)(conv(y) for y in x)
        return x
    return [conv(x) for x in built]


# --- comparing --------------------------------------------------------------------------------

def dtype_name(d):
    return str(d).split(".")[-1]


def assert_close(actual, expected, dtype, op, what=""):
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected), f"{op}{what}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, dtype, op, f"{what}[{i}]")
        return
    if isinstance(actual, pydl.Tensor):
        res_dtype = dtype_name(actual.dtype)
        actual = to_numpy(actual)
    else:
        res_dtype = dtype
        actual = np.asarray(actual)
    expected = rounded_to(np.asarray(expected), res_dtype)
    assert actual.shape == expected.shape, f"{op}{what}: shape {actual.shape} != expected {expected.shape}"
    if op.exact or res_dtype not in FLOATS:
        if actual.dtype.kind == "f" or expected.dtype.kind == "f":
            np.testing.assert_array_equal(actual.astype(np.float64), expected.astype(np.float64), err_msg=f"{op}{what}")
        else:
            np.testing.assert_array_equal(actual, expected.astype(actual.dtype), err_msg=f"{op}{what}")
        return
    rtol, atol = op.tol.get(res_dtype, TOL[res_dtype])
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol,
                               equal_nan=True, err_msg=f"{op} {what} ({res_dtype})")


def rounded_to(expected, dtype):
    """The reference rounded to the result's dtype, so that overflow to inf (exp in float16)
    and underflow to 0 are expected too."""
    if dtype not in FLOATS or expected.dtype.kind != "f":
        return expected
    if dtype == "bfloat16":
        return to_numpy(pydl.from_numpy(expected.astype(np.float32)).to(pydl.bfloat16))
    with np.errstate(over="ignore"):
        return expected.astype(dtype)


def dtypes_of(x):
    if isinstance(x, (tuple, list)):
        return [dtypes_of(y) for y in x]
    return dtype_name(x.dtype) if hasattr(x, "dtype") and not isinstance(x, np.ndarray) else type(x).__name__


def torch_result(op, sample, dtype, layout=None):
    """(result, exception) of the same call in PyTorch, or (None, None) without torch."""
    if torch is None:
        return None, None
    try:
        return op.call(torch, *build(torch, sample.args, dtype, layout), **sample.kwargs), None
    except Exception as e:  # noqa: BLE001 - any torch error is the oracle's answer
        return None, e


def cases(filter_fn=lambda op: True, dtypes=lambda op: op.dtypes):
    return [pytest.param(op, d, id=f"{op.name}-{d}") for op in OPS if filter_fn(op) for d in dtypes(op)]


# --- the tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("op,dtype", cases())
def test_forward_matches_numpy(op, dtype):
    rng = np.random.default_rng(0)
    for sample in op.samples(dtype, rng):
        args = build(pydl, sample.args, dtype)
        got = op.call(pydl, *args, **sample.kwargs)
        want = op.ref(*ref_args(op, args, dtype), **sample.kwargs)
        assert_close(got, want, dtype, op, f" sample {sample.desc}")
        expected, err = torch_result(op, sample, dtype)
        if err is None and expected is not None:
            assert dtypes_of(got) == dtypes_of(expected), f"{op} {sample.desc}: result dtype differs from torch"


@pytest.mark.parametrize("op,dtype", cases(dtypes=lambda op: [d for d in ALL if d not in op.dtypes]))
def test_other_dtypes_behave_like_torch(op, dtype):
    """Outside the dtypes checked against NumPy, pydl raises when torch raises (same class) and
    otherwise returns torch's values and dtype."""
    if torch is None:
        pytest.skip("needs torch as the oracle")
    rng = np.random.default_rng(0)
    for sample in op.samples(dtype, rng):
        expected, err = torch_result(op, sample, dtype)
        if err is not None:
            with pytest.raises(type(err)):
                op.call(pydl, *build(pydl, sample.args, dtype), **sample.kwargs)
            continue
        got = op.call(pydl, *build(pydl, sample.args, dtype), **sample.kwargs)
        assert dtypes_of(got) == dtypes_of(expected), f"{op} {sample.desc}"
        assert_close(got, to_numpy(expected), dtype, op, f" sample {sample.desc} (torch oracle)")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPS if op.layouts])
def test_non_contiguous_inputs(op, layout):
    dtype = "float32" if "float32" in op.dtypes else op.dtypes[-1]
    rng = np.random.default_rng(1)
    for sample in op.samples(dtype, rng):
        args = build(pydl, sample.args, dtype, layout)
        got = op.call(pydl, *args, **sample.kwargs)
        want = op.ref(*ref_args(op, args, dtype), **sample.kwargs)
        assert_close(got, want, dtype, op, f" sample {sample.desc} {layout}")


@pytest.mark.parametrize("op,dtype", cases(lambda op: op.method))
def test_method_matches_function(op, dtype):
    rng = np.random.default_rng(2)
    for sample in op.samples(dtype, rng):
        args = build(pydl, sample.args, dtype)
        if not isinstance(args[0], pydl.Tensor):
            continue
        got = getattr(args[0], op.name)(*args[1:], **sample.kwargs)
        assert_close(got, to_numpy(op.call(pydl, *args, **sample.kwargs)), dtype, op, f" method {sample.desc}")


@pytest.mark.parametrize("op,dtype", cases(lambda op: op.inplace))
def test_inplace_variant(op, dtype):
    rng = np.random.default_rng(3)
    for sample in op.samples(dtype, rng):
        args = build(pydl, sample.args, dtype)
        expected = op.call(pydl, *args, **sample.kwargs)
        x = args[0].clone()
        version = x._version
        inplace = getattr(x, op.name + "_")
        broadcasts = tuple(expected.shape) != tuple(x.shape)
        if broadcasts or expected.dtype != x.dtype and not pydl.can_cast(expected.dtype, x.dtype):
            # PyTorch refuses: the result would not fit x's shape or dtype.
            with pytest.raises(RuntimeError):
                inplace(*args[1:], **sample.kwargs)
            continue
        r = inplace(*args[1:], **sample.kwargs)
        assert r is x and x._version > version
        assert_close(x, to_numpy(expected.to(x.dtype)), dtype, op, f" in-place {sample.desc}")


@pytest.mark.parametrize("op,dtype", cases(lambda op: op.out))
def test_out_variant(op, dtype):
    rng = np.random.default_rng(4)
    for sample in op.samples(dtype, rng):
        args = build(pydl, sample.args, dtype)
        expected = op.call(pydl, *args, **sample.kwargs)
        outs = tuple(pydl.empty(e.shape, dtype=e.dtype) for e in expected) if isinstance(expected, tuple) \
            else pydl.empty(expected.shape, dtype=expected.dtype)
        r = op.call(pydl, *args, **sample.kwargs, out=outs)
        if isinstance(outs, tuple):
            assert all(a is b for a, b in zip(r, outs))
        else:
            assert r is outs
        assert_close(outs, to_numpy(expected), dtype, op, f" out= {sample.desc}")
