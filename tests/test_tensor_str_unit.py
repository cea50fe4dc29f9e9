"""Unit tests for pydl/_tensor_str.py, loaded straight from its file.

The module is pure NumPy, so it is imported by path and needs no compiled
package.  Where torch is installed it is the oracle: our output must equal
``repr(torch_tensor)`` with ``torch.`` replaced by ``pydl.``.
"""

import importlib.util
import math
import pathlib

import numpy as np
import pytest

_PATH = pathlib.Path(__file__).resolve().parents[1] / "pydl" / "_tensor_str.py"
_spec = importlib.util.spec_from_file_location("pydl_tensor_str_under_test", _PATH)
ts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ts)


def fmt(arr, dtype_name=None, device="cpu", requires_grad=False, grad_fn_name=None, **kw):
    arr = np.asarray(arr)
    return ts.format_tensor(
        arr,
        dtype_name=dtype_name or arr.dtype.name,
        default_dtype_name="float32",
        device=device,
        requires_grad=requires_grad,
        grad_fn_name=grad_fn_name,
        **kw,
    )


@pytest.fixture(autouse=True)
def _restore_printoptions():
    """Every test starts and ends with default options, in both libraries."""
    ts.set_printoptions(profile="default")
    yield
    ts.set_printoptions(profile="default")
    try:
        import torch
    except ImportError:
        return
    torch.set_printoptions(profile="default")


# --------------------------------------------------------------------------
# Literal expectations (run without torch)
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "arr, expected",
    [
        (np.array(3.0, np.float32), "tensor(3.)"),
        (np.array(3, np.int64), "tensor(3)"),
        (np.array(True), "tensor(True)"),
        (np.array(0.5, np.float32), "tensor(0.5000)"),
        (np.array([1.0, -2.0], np.float32), "tensor([ 1., -2.])"),
        (np.array([1.5, 2.25], np.float32), "tensor([1.5000, 2.2500])"),
        (np.array([1, -20, 3]), "tensor([  1, -20,   3])"),
        (np.array([True, False]), "tensor([ True, False])"),
        (np.array([1e-5, 1.0], np.float32), "tensor([1.0000e-05, 1.0000e+00])"),
        (np.array([np.nan, np.inf, -np.inf], np.float32), "tensor([nan, inf, -inf])"),
        (np.zeros((0,), np.float32), "tensor([])"),
        (np.zeros((0, 3), np.float32), "tensor([], size=(0, 3))"),
        (np.zeros((0,), np.int64), "tensor([], dtype=pydl.int64)"),
        (np.array([1.0, 2.0]), "tensor([1., 2.], dtype=pydl.float64)"),
        (np.array([1, 2], np.int32), "tensor([1, 2], dtype=pydl.int32)"),
        (np.array([[1, 2], [3, 4]]), "tensor([[1, 2],\n        [3, 4]])"),
        (
            np.arange(8).reshape(2, 2, 2),
            "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])",
        ),
        (np.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    ],
)
def test_literal(arr, expected):
    assert fmt(arr) == expected


def test_literal_suffixes():
    a = np.array([1.0, 2.0], np.float32)
    assert fmt(a, device="cuda:0") == "tensor([1., 2.], device='cuda:0')"
    assert fmt(a, requires_grad=True) == "tensor([1., 2.], requires_grad=True)"
    assert (
        fmt(a, requires_grad=True, grad_fn_name="MulBackward0")
        == "tensor([1., 2.], grad_fn=<MulBackward0>)"
    )
    assert (
        fmt(a, dtype_name="bfloat16", device="cuda:1", requires_grad=True)
        == "tensor([1., 2.], device='cuda:1', dtype=pydl.bfloat16, requires_grad=True)"
    )
    # The prefix length sets the continuation indent.
    assert fmt(np.eye(2, dtype=np.float32), prefix="P(") == "P([[1., 0.],\n   [0., 1.]])"


def test_literal_wrapping():
    out = fmt(np.arange(30, dtype=np.float32) + 0.5)
    lines = out.split("\n")
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("tensor([ 0.5000,  1.5000,")
    assert lines[1].startswith("         ")


def test_printoptions_api():
    assert ts.get_printoptions() == dict(
        precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None
    )
    with ts.printoptions(precision=2, sci_mode=True):
        assert ts.PRINT_OPTS.precision == 2
        assert fmt(np.array([1.5], np.float32)) == "tensor([1.50e+00])"
    assert ts.get_printoptions()["precision"] == 4
    assert ts.PRINT_OPTS.sci_mode is None
    ts.set_printoptions(profile="full")
    assert ts.PRINT_OPTS.threshold == math.inf
    ts.set_printoptions(profile="short", precision=3)
    assert (ts.PRINT_OPTS.precision, ts.PRINT_OPTS.edgeitems) == (3, 2)
    ts.set_printoptions(threshold=5)
    assert fmt(np.arange(10)) == "tensor([0, 1,  ..., 8, 9])"


# --------------------------------------------------------------------------
# Oracle comparisons against torch
# --------------------------------------------------------------------------

def _rng():
    return np.random.default_rng(0)


def _cases():
    r = _rng()
    f32 = np.float32
    c = {
        "0d_float": np.array(3.0, f32),
        "0d_frac": np.array(0.5, f32),
        "0d_int": np.array(-7),
        "0d_bool": np.array(False),
        "0d_nan": np.array(np.nan, f32),
        "0d_small": np.array(1e-7, f32),
        "0d_f64": np.array(2.5),
        "1d_float": r.standard_normal(5).astype(f32),
        "1d_int": np.arange(-5, 5),
        "1d_bool": np.array([True, False, True]),
        "2d_float": r.standard_normal((3, 4)).astype(f32),
        "3d_float": r.standard_normal((2, 3, 4)).astype(f32),
        "4d_float": r.standard_normal((2, 2, 2, 3)).astype(f32),
        "4d_int": np.arange(24).reshape(2, 3, 2, 2) - 10,
        "empty_1d": np.zeros((0,), f32),
        "empty_2d": np.zeros((0, 3), f32),
        "empty_3d": np.zeros((2, 0, 4), f32),
        "empty_int": np.zeros((0, 2), np.int64),
        "empty_f64": np.zeros((0,), np.float64),
        "empty_bool": np.zeros((3, 0), bool),
        "neg_ints": np.array([[-1, -100], [1000, 5]]),
        "bool_2d": np.array([[True, False], [False, False]]),
        "small": np.array([1e-5, 2e-5, 3.5e-6], f32),
        "large": np.array([1e9, 2.5e10, 3.0], f32),
        "mixed": np.array([0.001, 1.0, 100.0, 12345.0], f32),
        "ratio_ok": np.array([0.5, 400.25], f32),
        "with_zero": np.array([0.0, -0.0, 1.5, 0.0], f32),
        "all_zero": np.zeros((2, 2), f32),
        "neg_zero_int": np.array([-0.0, 1.0], f32),
        "nan_inf": np.array([np.nan, 1.5, np.inf, -np.inf], f32),
        "nan_int": np.array([np.nan, 1.0, -np.inf], f32),
        "only_nonfinite": np.array([np.nan, np.inf], f32),
        "nan_sci": np.array([np.nan, 1e-9, 2.0], f32),
        "int_valued": np.array([1.0, -2.0, 300.0], f32),
        "int_valued_big": np.array([1.0, 2e9], f32),
        "int_valued_ratio": np.array([1.0, 5000.0], f32),
        "f64": r.standard_normal(4),
        "f64_int": np.array([[1.0, 2.0]]),
        "f16": np.array([1.5, -2.25, 65504.0, 0.1], np.float16),
        "f16_int": np.array([1.0, 2.0], np.float16),
        "int32": np.array([1, -2, 3], np.int32),
        "int16": np.array([[1, 2], [3, 4]], np.int16),
        "int8": np.array([-128, 127], np.int8),
        "uint8": np.array([0, 255, 7], np.uint8),
        "big_int64": np.array([2**62, -(2**62)]),
        "sum_1d": r.standard_normal(1500).astype(f32),
        "sum_1d_int": np.arange(5000),
        "sum_2d": r.standard_normal((50, 40)).astype(f32),
        "sum_2d_narrow": r.standard_normal((400, 3)).astype(f32),
        "sum_2d_wide": r.standard_normal((3, 400)).astype(f32),
        "sum_3d": r.standard_normal((20, 10, 10)).astype(f32),
        "sum_4d": np.arange(3 * 7 * 8 * 9).reshape(3, 7, 8, 9),
        "sum_hidden_big": np.concatenate([np.ones(3), np.full(1000, 1e12), np.ones(3)]).astype(f32),
        "sum_bool": np.ones(1200, bool),
        "wrap_1d": r.standard_normal(40).astype(f32) * 100,
        "wrap_2d": r.standard_normal((3, 30)).astype(f32),
        "wrap_int": np.arange(100) * 12345,
        "wrap_sci": (r.standard_normal(25) * 1e-6).astype(f32),
        "wrap_f64_suffix": np.arange(10, dtype=np.float64) + 0.5,
        "wrap_f64_suffix2": np.arange(11, dtype=np.float64) + 0.5,
        "wrap_int32_suffix": np.arange(19, dtype=np.int32) * 10,
        "complex": (r.standard_normal(4) + 1j * r.standard_normal(4)).astype(np.complex64),
        "complex_2d": np.array([[1 + 2j, -3j], [0.5, 1e-5j]], np.complex64),
        "complex128": np.array([1 + 1j, 2 - 1j]),
    }
    for n in range(1, 12):
        c[f"wrap_len_{n}"] = (np.arange(n * 3, dtype=np.float32) * 1.25) - 3
    return c


CASES = _cases()


def _torch_repr(torch, arr, requires_grad=False, dtype=None):
    # np.ascontiguousarray would turn a 0-d array into 1-d, so copy instead.
    t = torch.from_numpy(np.array(arr, order="C", copy=True))
    if dtype is not None:
        t = t.to(dtype)
    if requires_grad:
        t.requires_grad_()
    return repr(t).replace("torch.", "pydl.")


@pytest.mark.parametrize("name", sorted(CASES))
def test_oracle(name):
    torch = pytest.importorskip("torch")
    arr = CASES[name]
    assert fmt(arr) == _torch_repr(torch, arr)


@pytest.mark.parametrize("name", ["1d_float", "2d_float", "3d_float", "0d_frac", "f64", "wrap_1d", "sum_2d"])
def test_oracle_requires_grad(name):
    torch = pytest.importorskip("torch")
    arr = CASES[name]
    assert fmt(arr, requires_grad=True) == _torch_repr(torch, arr, requires_grad=True)


def test_oracle_grad_fn():
    torch = pytest.importorskip("torch")
    arr = CASES["wrap_f64_suffix"]
    t = torch.from_numpy(arr).requires_grad_() * 2
    expected = repr(t).replace("torch.", "pydl.")
    assert fmt(arr * 2, requires_grad=True, grad_fn_name="MulBackward0") == expected


@pytest.mark.parametrize("name", ["1d_float", "2d_float", "small", "large", "int_valued", "sum_1d", "0d_frac"])
def test_oracle_bfloat16(name):
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(CASES[name]).to(torch.bfloat16)
    expected = repr(t).replace("torch.", "pydl.")
    assert fmt(t.float().numpy(), dtype_name="bfloat16") == expected


def test_oracle_default_dtype_float64():
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for arr in (CASES["f64"], CASES["1d_float"], CASES["empty_f64"], CASES["empty_1d"], CASES["complex128"], CASES["complex"]):
            got = ts.format_tensor(
                arr, dtype_name=arr.dtype.name, default_dtype_name="float64",
                device="cpu", requires_grad=False,
            )
            assert got == _torch_repr(torch, arr)
    finally:
        torch.set_default_dtype(old)


OPTION_SETS = [
    dict(precision=2),
    dict(precision=8),
    dict(precision=0),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(sci_mode=True, precision=2),
    dict(threshold=5),
    dict(threshold=0),
    dict(threshold=20, edgeitems=1),
    dict(threshold=20, edgeitems=0),
    dict(linewidth=40),
    dict(linewidth=10),
    dict(profile="short"),
    dict(profile="full"),
    dict(profile="short", precision=6),
]


@pytest.mark.parametrize("opts", OPTION_SETS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
@pytest.mark.parametrize(
    "name",
    ["0d_frac", "1d_float", "2d_float", "3d_float", "1d_int", "small", "large", "int_valued",
     "nan_inf", "sum_1d", "sum_2d", "sum_3d", "wrap_1d", "wrap_f64_suffix", "complex", "empty_2d"],
)
def test_oracle_printoptions(opts, name):
    torch = pytest.importorskip("torch")
    arr = CASES[name]
    torch.set_printoptions(**opts)
    ts.set_printoptions(**opts)
    assert ts.get_printoptions() == {
        k: getattr(torch._tensor_str.PRINT_OPTS, k) for k in ts.get_printoptions()
    }
    assert fmt(arr) == _torch_repr(torch, arr)


def test_oracle_printoptions_context():
    torch = pytest.importorskip("torch")
    arr = CASES["2d_float"]
    with torch._tensor_str.printoptions(precision=1), ts.printoptions(precision=1):
        assert fmt(arr) == _torch_repr(torch, arr)
    assert fmt(arr) == _torch_repr(torch, arr)


def test_oracle_random_fuzz():
    """Many random shapes/magnitudes: catches width and wrapping corner cases."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(1234)
    for _ in range(200):
        ndim = int(r.integers(0, 5))
        shape = tuple(int(s) for s in r.integers(1, 7, size=ndim))
        kind = r.choice(["f32", "f64", "f16", "int", "bool", "intfloat"])
        scale = 10.0 ** float(r.integers(-7, 10))
        base = r.standard_normal(shape) * scale
        if kind == "f32":
            arr = base.astype(np.float32)
        elif kind == "f64":
            arr = base
        elif kind == "f16":
            arr = np.clip(base, -6e4, 6e4).astype(np.float16)
        elif kind == "int":
            arr = np.round(base).astype(np.int64)
        elif kind == "bool":
            arr = base > 0
        else:
            arr = np.round(base).astype(np.float32)
        arr = np.asarray(arr)
        assert fmt(arr) == _torch_repr(torch, arr), (kind, shape, scale)


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.float16])
def test_oracle_suffix_wrap_boundaries(dtype):
    """Sweep row lengths and linewidths so a dtype suffix lands on every boundary."""
    torch = pytest.importorskip("torch")
    for linewidth in range(55, 82):
        torch.set_printoptions(linewidth=linewidth)
        ts.set_printoptions(linewidth=linewidth)
        for n in range(1, 16):
            for arr in (np.arange(n, dtype=dtype), (np.arange(n) * 3 + 0.5).astype(dtype)):
                assert fmt(arr) == _torch_repr(torch, arr), (linewidth, n)
                arr2 = np.stack([arr, arr])
                assert fmt(arr2) == _torch_repr(torch, arr2), (linewidth, n)


def test_oracle_random_options_fuzz():
    """Random shapes, dtypes and print options together."""
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(99)
    for _ in range(300):
        opts = dict(
            precision=int(r.integers(0, 9)),
            threshold=int(r.choice([0, 5, 50, 1000])),
            edgeitems=int(r.integers(0, 4)),
            linewidth=int(r.integers(5, 120)),
        )
        if r.random() < 0.3:
            opts["sci_mode"] = bool(r.random() < 0.5)
        torch.set_printoptions(**opts)
        ts.set_printoptions(**opts)
        ndim = int(r.integers(0, 5))
        shape = tuple(int(s) for s in r.integers(1, 9, size=ndim))
        base = r.standard_normal(shape) * 10.0 ** float(r.integers(-8, 11))
        if r.random() < 0.2:
            base = np.where(r.random(shape) < 0.2, np.nan, base)
        kind = r.choice(["f32", "f64", "int", "bool", "intfloat", "complex"])
        if kind == "f32":
            arr = base.astype(np.float32)
        elif kind == "f64":
            arr = base
        elif kind == "int":
            arr = np.nan_to_num(np.round(base)).astype(np.int64)
        elif kind == "bool":
            arr = base > 0
        elif kind == "intfloat":
            arr = np.round(base).astype(np.float32)
        else:
            arr = (base + 0.5j * np.sqrt(np.abs(base))).astype(np.complex64)
        arr = np.asarray(arr)
        assert fmt(arr) == _torch_repr(torch, arr), (opts, kind, shape)
