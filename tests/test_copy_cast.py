"""Casts (Tensor.to(dtype)) between every pair of dtypes, copy_, clone, contiguous, fill_ and
zero_. PyTorch is the oracle for values, NumPy for float16 rounding. test_every_isa re-runs this
whole file in subprocesses with PYDL_CPU_ISA=scalar / avx2 / avx512 so every kernel is checked."""
import os
import subprocess
import sys

import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["bool", "uint8", "int8", "int16", "int32", "int64"]

# Float values inside int32 range (beyond it a narrow-int cast is undefined behaviour in torch).
FLOAT_VALUES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, -3.7, 3.7, 127.0, 128.0, 255.0, 256.0, -129.0, -200.0,
                300.5, 32767.0, 32768.0, -32769.0, 65504.0, 65519.0, 65520.0, 70000.0, 1e-8, 3e-8, 2.9802322387695312e-08,
                6e-8, 1e-5, 6.1e-5, 1e38, 3.4e38, 2147483520.0, -2147483648.0, float("nan"), float("inf"), -float("inf"),
                1.00048828125, 1.00146484375, 1.001953125, 0.1, 1 / 3, 1.00390625, 1.01171875]
INT_VALUES = [0, 1, -1, 2, 127, 128, 255, 256, -128, -129, 32767, 32768, -32769, 2**31 - 1, 2**31, -(2**31) - 1,
              2**53 + 1, 2**62, -(2**63), 2**63 - 1, 2**24 + 1, 65504, 65520, 70000, 2049]


def name_of(d):
    return repr(d).split(".")[-1]


def bits(t):
    if name_of(t.dtype) == "bfloat16":
        t = t.view(pydl.int16 if isinstance(t, pydl.Tensor) else torch.int16)
    return t.numpy()


def assert_same(p, t):
    assert name_of(p.dtype) == name_of(t.dtype) and tuple(p.shape) == tuple(t.shape)
    a, b = (p.float().numpy(), t.float().numpy()) if name_of(p.dtype) == "bfloat16" else (bits(p), bits(t))
    if a.dtype.kind == "f":  # NaN payloads/signs are not part of the contract
        nan = np.isnan(a) & np.isnan(b)
        a, b = np.where(nan, 0, a), np.where(nan, 0, b)
    np.testing.assert_array_equal(a, b)


def sources(name):
    """The same values as a pydl and a torch tensor of dtype `name` (built through float64/int64)."""
    if name in FLOATS:
        base_p, base_t = pydl.tensor(FLOAT_VALUES, dtype=pydl.float64), torch.tensor(FLOAT_VALUES, dtype=torch.float64)
    else:
        base_p, base_t = pydl.tensor(INT_VALUES, dtype=pydl.int64), torch.tensor(INT_VALUES, dtype=torch.int64)
    return base_p.to(getattr(pydl, name)), base_t.to(getattr(torch, name))


def test_selected_isa_is_the_requested_one():
    want = os.environ.get("PYDL_CPU_ISA")
    if not want:
        pytest.skip("PYDL_CPU_ISA not set: the default ISA is in use")
    assert pydl._C._build_info()["cpu_isa_selected"] == want


@pytest.mark.parametrize("src", NAMES)
@pytest.mark.parametrize("dst", NAMES)
def test_cast_all_pairs_matches_torch(src, dst):
    p, t = sources(src)
    assert_same(p, t)
    assert_same(p.to(getattr(pydl, dst)), t.to(getattr(torch, dst)))
    # strided source and destination run the non-contiguous kernel loops
    sp, st = pydl.empty(len(p), 2, dtype=p.dtype), torch.empty(len(t), 2, dtype=t.dtype)
    for i in range(2):
        sp[:, i].copy_(p)
        st[:, i].copy_(t)
    assert_same(sp[:, 1].to(getattr(pydl, dst)), st[:, 1].to(getattr(torch, dst)))
    out_p = pydl.zeros(2, len(p), dtype=getattr(pydl, dst)).t()
    out_t = torch.zeros(2, len(t), dtype=getattr(torch, dst)).t()
    out_p.copy_(sp)
    out_t.copy_(st)
    assert_same(out_p, out_t)


@pytest.mark.parametrize("n", [1, 7, 8, 15, 16, 17, 31, 33, 64, 1000, 100003])
@pytest.mark.parametrize("pair", [("float32", "float16"), ("float16", "float32"), ("float32", "bfloat16"),
                                  ("bfloat16", "float32"), ("float64", "int32"), ("int32", "float32"),
                                  ("uint8", "float32"), ("float32", "uint8"), ("int64", "int8"), ("bool", "float32")])
def test_cast_lengths_hit_vector_tails(pair, n):
    src, dst = pair
    rng = np.random.default_rng(n)
    vals = rng.uniform(-300, 300, n) if src in FLOATS else rng.integers(-300, 300, n)
    p = pydl.tensor(vals).to(getattr(pydl, src))
    t = torch.tensor(vals).to(getattr(torch, src))
    assert_same(p.to(getattr(pydl, dst)), t.to(getattr(torch, dst)))
    assert_same(p[1:].to(getattr(pydl, dst)), t[1:].to(getattr(torch, dst)))  # misaligned start


def test_float32_to_float16_rounding_vs_numpy():
    rng = np.random.default_rng(0)
    b = rng.integers(0, 2**32, 300_000, dtype=np.uint64).astype(np.uint32)
    special = np.array([0x477FF000, 0x477FEFFF, 0x477FE000, 0x38800000, 0x387FFFFF, 0x33000000, 0x33000001, 0x32FFFFFF,
                        0x337FFFFF, 0x3F801000, 0x3F803000, 0x3F801001, 0x00000001, 0x7F7FFFFF, 0x7F800000, 0x7FC00000,
                        0x387FE000, 0x38001000, 0x38003000], dtype=np.uint32)
    b = np.concatenate([b, special, special | 0x80000000])
    f = b.view(np.float32)
    got = pydl.from_numpy(f.copy()).to(pydl.float16).numpy()
    with np.errstate(over="ignore"):
        want = f.astype(np.float16)  # IEEE round to nearest even: ties, subnormals, overflow to inf
    same = (got.view(np.uint16) == want.view(np.uint16)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), [hex(x) for x in b[~same][:8]]


def test_float16_and_bfloat16_widen_exactly():
    all16 = np.arange(65536, dtype=np.uint16)
    h = pydl.from_numpy(all16.view(np.float16).copy()).to(pydl.float32).numpy()
    ref = all16.view(np.float16).astype(np.float32)
    assert ((h.view(np.uint32) == ref.view(np.uint32)) | np.isnan(ref)).all()
    bf = pydl.from_numpy(all16.view(np.int16).copy()).view(pydl.bfloat16).to(pydl.float32).numpy()
    assert ((bf.view(np.uint32) == (all16.astype(np.uint32) << 16)) | np.isnan(bf)).all()
    d = pydl.from_numpy(all16.view(np.float16).copy()).to(pydl.float64).numpy()
    with np.errstate(invalid="ignore"):
        assert ((d == ref.astype(np.float64)) | np.isnan(ref)).all()


def test_float32_to_bfloat16_rounding_vs_torch():
    rng = np.random.default_rng(1)
    b = rng.integers(0, 2**32, 300_000, dtype=np.uint64).astype(np.uint32)
    b = np.concatenate([b, np.array([0x3F808000, 0x3F818000, 0x3F808001, 0x7F7FFFFF, 0x7F7F8000, 0x00008000, 1],
                                    dtype=np.uint32)])
    f = b.view(np.float32)
    got = pydl.from_numpy(f.copy()).to(pydl.bfloat16).view(pydl.int16).numpy().view(np.uint16)
    want = torch.from_numpy(f.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    nan = np.isnan(f)
    assert (got[~nan] == want[~nan]).all()
    assert (((got[nan] & 0x7F80) == 0x7F80) & ((got[nan] & 0x7F) != 0)).all()  # NaN stays NaN


def test_float64_to_half_types_vs_torch():
    rng = np.random.default_rng(2)
    d = rng.standard_normal(200_000) * np.exp(rng.uniform(-40, 40, 200_000))
    for name in ["float16", "bfloat16", "float32"]:
        assert_same(pydl.from_numpy(d).to(getattr(pydl, name)), torch.from_numpy(d).to(getattr(torch, name)))


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_float_to_int_special_values(name):
    """NaN/inf give the most negative value (then wrapped), as PyTorch on x86; truncation toward zero."""
    vals = [float("nan"), float("inf"), -float("inf"), -3.99, 3.99, -0.5]
    for src in ["float32", "float64", "float16"]:
        assert_same(pydl.tensor(vals, dtype=getattr(pydl, src)).to(getattr(pydl, name)),
                    torch.tensor(vals, dtype=getattr(torch, src)).to(getattr(torch, name)))


# --- copy_
@pytest.mark.parametrize("dst", ["float32", "int32", "float16", "bool", "int8"])
@pytest.mark.parametrize("src_shape", [(4,), (1, 4), (3, 1), (), (1, 1)])
def test_copy_broadcasts_and_casts(dst, src_shape):
    vals = np.arange(1, 1 + int(np.prod(src_shape)), dtype=np.float64).reshape(src_shape) * 1.5
    p = pydl.zeros(3, 4, dtype=getattr(pydl, dst))
    t = torch.zeros(3, 4, dtype=getattr(torch, dst))
    r = p.copy_(pydl.tensor(vals))
    t.copy_(torch.tensor(vals))
    assert r is p or r.data_ptr() == p.data_ptr()
    assert_same(p, t)


@pytest.mark.parametrize("make", ["transposed", "sliced", "strided2d", "narrow"])
def test_copy_into_non_contiguous_destination(make):
    base_p, base_t = pydl.zeros(6, 8), torch.zeros(6, 8)
    pick = {"transposed": lambda x: x.t(), "sliced": lambda x: x[:, ::2], "strided2d": lambda x: x[::2, 1::3],
            "narrow": lambda x: x[1:4, 2:7]}[make]
    dp, dt = pick(base_p), pick(base_t)
    src = np.arange(dt.numel(), dtype=np.int32).reshape(tuple(dt.shape))
    dp.copy_(pydl.tensor(src))
    dt.copy_(torch.tensor(src))
    assert_same(base_p, base_t)  # untouched elements stay zero


def test_copy_errors():
    e = pydl.zeros(1, 4).expand(3, 4)
    with pytest.raises(RuntimeError):
        e.copy_(pydl.ones(3, 4))
    with pytest.raises(RuntimeError):
        pydl.zeros(3).copy_(pydl.ones(2))
    with pytest.raises(RuntimeError):
        pydl.zeros(3).copy_(pydl.ones(2, 3))


def test_copy_overlapping_source_reads_before_writing():
    a = pydl.arange(6.0)
    a[1:].copy_(a[:-1])
    assert a.numpy().tolist() == [0, 0, 1, 2, 3, 4]
    a = pydl.arange(6.0)
    a[:-1].copy_(a[1:])
    assert a.numpy().tolist() == [1, 2, 3, 4, 5, 5]
    a = pydl.arange(6.0).view(2, 3)
    a.copy_(a)  # the same view: a no-op
    assert a.numpy().tolist() == [[0, 1, 2], [3, 4, 5]]


def test_copy_bumps_version():
    a = pydl.zeros(3)
    v = a._version
    a.copy_(pydl.ones(3))
    assert a._version > v


# --- clone / contiguous / to
LAYOUTS = {"contiguous": lambda x: x, "transposed": lambda x: x.t(), "sliced": lambda x: x[:, ::2],
           "transposed_sliced": lambda x: x.t()[::2], "expanded": lambda x: x[:1].expand(4, 6),
           "permuted3d": lambda x: x.view(2, 2, 6).permute(2, 0, 1), "column": lambda x: x[:, 1:2],
           "size1_dim": lambda x: x.view(4, 1, 6).transpose(0, 1), "empty_t": lambda x: x[:0].t(),
           "sliced3d": lambda x: x.view(2, 3, 4).permute(1, 2, 0)[:, ::2], "expand_t": lambda x: x[:1].expand(4, 6).t(),
           "row_t": lambda x: x[::2].t()}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_clone_contiguous_to_strides_match_torch(layout):
    xp, xt = LAYOUTS[layout](pydl.arange(24.0).view(4, 6)), LAYOUTS[layout](torch.arange(24.0).view(4, 6))
    for op_p, op_t in [(lambda x: x.clone(), lambda x: x.clone()),
                       (lambda x: x.to(pydl.float64), lambda x: x.to(torch.float64)),
                       (lambda x: x.to(copy=True), lambda x: x.to(copy=True)),
                       (lambda x: pydl.empty_like(x), lambda x: torch.empty_like(x))]:
        rp, rt = op_p(xp), op_t(xt)
        assert rp.stride() == rt.stride(), (layout, rp.stride(), rt.stride())
    c = xp.contiguous()
    assert c.is_contiguous() and c.stride() == xt.contiguous().stride()
    np.testing.assert_array_equal(c.numpy(), xt.contiguous().numpy())
    np.testing.assert_array_equal(xp.clone().numpy(), xt.numpy())
    assert xp.clone().data_ptr() != xp.data_ptr()


def test_to_returns_self_or_copy():
    x = pydl.arange(6.0).view(2, 3)
    assert x.to(pydl.float32) is x and x.to("cpu") is x and x.float() is x
    assert x.contiguous() is x
    y = x.to(pydl.float32, copy=True)
    assert y is not x and y.data_ptr() != x.data_ptr()
    y[0, 0] = 100
    assert x.numpy()[0, 0] == 0
    assert x.to(pydl.zeros(1, dtype=pydl.int8)).dtype == pydl.int8
    assert x.to(device="cpu", dtype=pydl.int16).dtype == pydl.int16


@pytest.mark.parametrize("method,name", [("float", "float32"), ("double", "float64"), ("half", "float16"),
                                         ("bfloat16", "bfloat16"), ("long", "int64"), ("int", "int32"),
                                         ("short", "int16"), ("char", "int8"), ("byte", "uint8"), ("bool", "bool")])
def test_conversion_methods(method, name):
    p, t = pydl.tensor([-1.5, 0.0, 2.5, 300.0]), torch.tensor([-1.5, 0.0, 2.5, 300.0])
    assert_same(getattr(p, method)(), getattr(t, method)())


# --- fill_ / zero_
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value", [0, 1, -1, 2.5, -2.7, True, False, "t0", "t1.5"])
def test_fill_values(name, value):
    if name in ("uint8",) and value in (-1, -2.7):
        pytest.skip("negative into uint8: torch wraps ints but refuses floats; covered in test_factories")
    mk_p = (lambda v: pydl.tensor(float(v[1:]) if "." in v else int(v[1:]))) if isinstance(value, str) else (lambda v: v)
    mk_t = (lambda v: torch.tensor(float(v[1:]) if "." in v else int(v[1:]))) if isinstance(value, str) else (lambda v: v)
    p = pydl.zeros(3, 4, dtype=getattr(pydl, name))
    t = torch.zeros(3, 4, dtype=getattr(torch, name))
    p.t().fill_(mk_p(value))  # through a transposed view
    t.t().fill_(mk_t(value))
    assert_same(p, t)
    p.zero_()
    assert not bits(p).any()


def test_fill_expanded_and_strided():
    base = pydl.zeros(4, 6)
    e = base[:1].expand(4, 6)
    e.fill_(3.0)  # every element is the same memory: allowed, like PyTorch
    assert base.numpy()[0].tolist() == [3.0] * 6 and not base.numpy()[1:].any()
    e.zero_()
    assert not base.numpy().any()
    base[::2, 1::2].fill_(7)
    want = np.zeros((4, 6))
    want[::2, 1::2] = 7
    np.testing.assert_array_equal(base.numpy(), want)


def test_fill_bumps_version_and_returns_self():
    a = pydl.zeros(3)
    v = a._version
    r = a.fill_(2)
    assert (r is a or r.data_ptr() == a.data_ptr()) and a._version > v


# --- every kernel ISA
def _isa_supported(isa):
    r = subprocess.run([sys.executable, "-c", "import pydl"], env={**os.environ, "PYDL_CPU_ISA": isa},
                       capture_output=True, text=True, cwd=os.path.dirname(sys.executable))
    return r.returncode == 0, r.stderr


@pytest.mark.skipif(os.environ.get("PYDL_CPU_ISA") is not None, reason="already inside an ISA run")
@pytest.mark.parametrize("isa", ["scalar", "avx2", "avx512", "neon"])
def test_every_isa(isa, tmp_path):
    if isa not in pydl._C._build_info()["cpu_isa_compiled"]:
        pytest.skip(f"{isa} kernels not compiled in this build")
    ok, err = _isa_supported(isa)
    if not ok:
        assert "does not support" in err, err
        pytest.skip(f"this CPU cannot run {isa}")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__],
                       env={**os.environ, "PYDL_CPU_ISA": isa}, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
