"""Matrix products beyond the op table (tests/op_table/linalg.py): operand layouts the table's
three layouts do not reach (Fortran order, batch-dim strides, stride-0 batches), out= and
in-place semantics, BLAS beta=0 semantics, integer wraparound and half precision against
PyTorch, linear, threads and every compiled ISA level."""
import os
import subprocess
import sys

import numpy as np
import pytest

import pydl

RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float64):
    return RNG.uniform(-1, 1, shape).astype(dtype)


def close(t, ref, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(t.numpy().astype(np.float64), np.asarray(ref, dtype=np.float64), rtol=rtol, atol=atol)


def layouts(x):
    """The same matrix as a contiguous tensor, a transposed view, a Fortran-ordered NumPy array
    and a step-sliced view."""
    return {
        "c": pydl.from_numpy(np.ascontiguousarray(x)),
        "t": pydl.from_numpy(np.ascontiguousarray(x.T)).t(),
        "f": pydl.from_numpy(np.asfortranarray(x)),
        "s": pydl.from_numpy(np.repeat(x, 2, axis=0))[::2],
    }


# --- layouts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-4), (np.float64, 1e-12)])
@pytest.mark.parametrize("m,k,n", [(7, 13, 5), (70, 300, 40), (1, 30, 9), (9, 30, 1), (6, 20, 24), (13, 40, 12)])
def test_mm_every_transpose_combination(m, k, n, dtype, tol):
    a, b = arr(m, k, dtype=dtype), arr(k, n, dtype=dtype)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    la, lb = layouts(a), layouts(b)
    assert not la["t"].is_contiguous() or m == 1 or k == 1
    for ka, ta in la.items():
        for kb, tb in lb.items():
            close(pydl.mm(ta, tb), ref, tol, tol)
            close(ta @ tb, ref, tol, tol)


# Every remainder of M modulo the micro-tile height (6 rows on AVX2, 12 on AVX-512), with few
# columns of C (a row-major A is read in place) and many (A is packed), through addmm so that the
# edge tiles' beta != 0 path runs too.
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-4), (np.float64, 1e-12)])
@pytest.mark.parametrize("n", [40, 1100])
def test_mm_every_row_remainder_with_a_in_place_and_packed(n, dtype, tol):
    for m in range(2, 26):
        a, b, c = arr(m, 50, dtype=dtype), arr(50, n, dtype=dtype), arr(m, n, dtype=dtype)
        ref = 0.5 * c.astype(np.float64) + 2 * (a.astype(np.float64) @ b.astype(np.float64))
        for layout in ("c", "t"):
            got = pydl.addmm(pydl.from_numpy(c), layouts(a)[layout], pydl.from_numpy(b), beta=0.5, alpha=2)
            close(got, ref, tol, tol)


def test_bmm_non_contiguous_batches():
    x = arr(4, 10, 6)
    y = arr(4, 6, 3)
    close(pydl.bmm(pydl.from_numpy(x)[:, ::2], pydl.from_numpy(y)), x[:, ::2] @ y)  # strided rows
    xt = arr(5, 4, 6)  # (m, b, k) seen as (b, m, k)
    close(pydl.bmm(pydl.from_numpy(xt).transpose(0, 1), pydl.from_numpy(y)), xt.transpose(1, 0, 2) @ y)
    yt = arr(3, 6, 4)  # batch as the last dim of the storage
    close(pydl.bmm(pydl.from_numpy(x)[:, :3], pydl.from_numpy(yt).permute(2, 1, 0)), x[:, :3] @ yt.transpose(2, 1, 0))
    close(pydl.bmm(pydl.from_numpy(x)[::2], pydl.from_numpy(y)[1::2]), x[::2] @ y[1::2])  # batch step


def test_stride_zero_batches():
    a, b = arr(1, 7, 5), arr(3, 5, 4)
    ea = pydl.from_numpy(a).expand(3, 7, 5)
    assert ea.stride()[0] == 0
    close(pydl.bmm(ea, pydl.from_numpy(b)), a @ b)
    close(pydl.matmul(ea, pydl.from_numpy(b)), a @ b)
    m = arr(5, 4)
    close(pydl.bmm(ea, pydl.from_numpy(m).expand(3, 5, 4)), np.repeat(a @ m, 3, 0))
    # a stride-0 row: every row of the matrix the same
    row = arr(1, 5)
    close(pydl.mm(pydl.from_numpy(row).expand(6, 5), pydl.from_numpy(m)), np.repeat(row, 6, 0) @ m)
    big = arr(1, 130, 70)  # large enough to be split between threads
    w = arr(2, 70, 90)
    close(pydl.matmul(pydl.from_numpy(big).expand(2, 130, 70), pydl.from_numpy(w)), big @ w, 1e-10, 1e-10)


def test_matmul_batch_fold_on_non_contiguous_batch():
    # 3-D @ 2-D folds the batch into the rows only when that is a view; the other path must agree.
    a, b = arr(4, 3, 5), arr(5, 2)
    ta = pydl.from_numpy(np.ascontiguousarray(a.transpose(1, 0, 2))).transpose(0, 1)
    assert not ta.is_contiguous()
    close(pydl.matmul(ta, pydl.from_numpy(b)), a @ b)
    close(pydl.matmul(ta, pydl.from_numpy(b[:, 0])), a @ b[:, 0])


@pytest.mark.parametrize("sa,sb", [((2, 3, 0), (0, 4)), ((2, 3, 0), (0,))])
def test_matmul_batched_with_empty_k(sa, sb):
    r = pydl.matmul(pydl.ones(*sa), pydl.ones(*sb))
    np.testing.assert_array_equal(r.numpy(), np.ones(sa) @ np.ones(sb))


def test_linear_batched_with_zero_features():
    r = pydl.nn.functional.linear(pydl.ones(2, 4, 0), pydl.ones(5, 0), pydl.full((5,), 2.0))
    np.testing.assert_array_equal(r.numpy(), np.full((2, 4, 5), 2.0))


# --- out= and in-place ------------------------------------------------------------------------

def test_out_shapes():
    a, b = arr(3, 4), arr(4, 5)
    out = pydl.empty(3, 5, dtype=pydl.float64)
    r = pydl.mm(pydl.from_numpy(a), pydl.from_numpy(b), out=out)
    assert r is out
    close(out, a @ b)
    for fn, args, ref in [
        (pydl.mm, (a, b), a @ b), (pydl.matmul, (arr(2, 3, 4), b), None), (pydl.mv, (a, b[:, 0]), a @ b[:, 0]),
        (pydl.dot, (b[:, 0], b[:, 1]), b[:, 0] @ b[:, 1]), (pydl.bmm, (arr(2, 3, 4), arr(2, 4, 5)), None),
        (pydl.outer, (a[0], b[0]), np.outer(a[0], b[0])),
    ]:
        ts = [pydl.from_numpy(x) for x in args]
        if ref is None:
            ref = args[0] @ args[1]
        empty = pydl.empty(0, dtype=pydl.float64)
        r = fn(*ts, out=empty)
        assert r is empty and tuple(empty.shape) == ref.shape, fn
        close(empty, ref)


def test_out_non_contiguous():
    a, b = arr(6, 4), arr(4, 5)
    base = pydl.zeros(5, 6, dtype=pydl.float64)
    out = base.t()  # a transposed out= is written through its strides
    pydl.mm(pydl.from_numpy(a), pydl.from_numpy(b), out=out)
    close(base, (a @ b).T)


def test_out_overlapping_an_input():
    a, b = arr(5, 5), arr(5, 5)
    ta, tb = pydl.from_numpy(a.copy()), pydl.from_numpy(b.copy())
    r = pydl.mm(ta, tb, out=ta)  # the kernel must not read a while writing it
    assert r is ta
    close(ta, a @ b)
    tb2 = pydl.from_numpy(b.copy())
    pydl.matmul(pydl.from_numpy(a), tb2, out=tb2)
    close(tb2, a @ b)
    c = arr(5, 5)
    tc = pydl.from_numpy(c.copy())
    pydl.addmm(tc, tc, pydl.from_numpy(b), beta=0.5, out=tc)  # input, mat1 and out all one tensor
    close(tc, 0.5 * c + c @ b)
    big = arr(130, 130)
    tbig = pydl.from_numpy(big.copy())
    pydl.mm(tbig, tbig, out=tbig)  # several K/M blocks and threads over one buffer
    close(tbig, big @ big, 1e-10, 1e-10)


@pytest.mark.parametrize("fn,shapes", [(pydl.mm, [(2, 3), (3, 4)]), (pydl.matmul, [(2, 2, 3), (3, 4)]),
                                       (pydl.mv, [(2, 3), (3,)]), (pydl.dot, [(3,), (3,)]),
                                       (pydl.bmm, [(2, 2, 3), (2, 3, 4)])])
def test_out_wrong_dtype_raises_like_torch(fn, shapes):
    expected = fn(*[pydl.ones(*s) for s in shapes])
    with pytest.raises(RuntimeError, match="dtype"):
        fn(*[pydl.ones(*s) for s in shapes], out=pydl.empty(tuple(expected.shape), dtype=pydl.float64))


def test_out_wrong_dtype_narrowing_raises():
    with pytest.raises(RuntimeError):
        pydl.mm(pydl.ones(2, 3), pydl.ones(3, 4), out=pydl.empty(2, 4, dtype=pydl.int64))


INPLACE = [  # name, input shape, operand shapes
    ("addmm_", (4, 5), [(4, 3), (3, 5)]), ("baddbmm_", (2, 4, 5), [(2, 4, 3), (2, 3, 5)]),
    ("addbmm_", (4, 5), [(2, 4, 3), (2, 3, 5)]), ("addmv_", (4,), [(4, 3), (3,)]),
]


def _inplace_ref(name, c, x, y, beta, alpha):
    if name == "addbmm_":
        return beta * c + alpha * np.einsum("bik,bkj->ij", x, y)
    return beta * c + alpha * (x @ y)


@pytest.mark.parametrize("name,cs,shapes", INPLACE, ids=[i[0] for i in INPLACE])
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, -2.0), (0, 3.0)])
def test_inplace_values(name, cs, shapes, beta, alpha):
    c, x, y = arr(*cs), arr(*shapes[0]), arr(*shapes[1])
    tc = pydl.from_numpy(c.copy())
    r = getattr(tc, name)(pydl.from_numpy(x), pydl.from_numpy(y), beta=beta, alpha=alpha)
    assert r is tc
    close(tc, _inplace_ref(name, c, x, y, beta, alpha))


def test_inplace_with_self_as_an_operand():
    # The exact result, not the one a kernel reading its own output would give (PyTorch's CPU
    # addmm_ returns the latter here).
    c, b = arr(5, 5), arr(5, 5)
    tc = pydl.from_numpy(c.copy())
    tc.addmm_(tc, pydl.from_numpy(b), beta=0.5)
    close(tc, 0.5 * c + c @ b, 1e-12, 1e-12)
    tc = pydl.from_numpy(c.copy())
    tc.addmm_(pydl.from_numpy(b), tc, alpha=2.0)
    close(tc, c + 2.0 * (b @ c), 1e-12, 1e-12)
    x = pydl.from_numpy(c[0].copy())
    x.addmv_(pydl.from_numpy(b), x)
    close(x, c[0] + b @ c[0], 1e-12, 1e-12)
    tc = pydl.from_numpy(np.stack([c, b]))
    tc.baddbmm_(tc, tc)
    close(tc, np.stack([c + c @ c, b + b @ b]), 1e-12, 1e-12)


@pytest.mark.parametrize("name,cs,shapes", INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_on_a_transposed_view(name, cs, shapes):
    c, x, y = arr(*cs[::-1]), arr(*shapes[0]), arr(*shapes[1])
    base = pydl.from_numpy(c.copy())
    view = base.permute(*reversed(range(len(cs))))
    getattr(view, name)(pydl.from_numpy(x), pydl.from_numpy(y), beta=0.5)
    close(base, _inplace_ref(name, c.T, x, y, 0.5, 1).T)


@pytest.mark.parametrize("name,cs,shapes", INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_refuses_broadcasting_self(name, cs, shapes):
    small = pydl.zeros(*([1] * len(cs)))
    with pytest.raises(RuntimeError):
        getattr(small, name)(pydl.ones(*shapes[0]), pydl.ones(*shapes[1]))


@pytest.mark.parametrize("call", [
    lambda c: c.addmm_(pydl.ones(2, 3), pydl.ones(3, 3)),
    lambda c: c.unsqueeze(0).baddbmm_(pydl.ones(1, 2, 3), pydl.ones(1, 3, 3)),
    lambda c: c.addbmm_(pydl.ones(1, 2, 3), pydl.ones(1, 3, 3)),
    lambda c: pydl.mm(pydl.ones(2, 3), pydl.ones(3, 3), out=c),
    lambda c: pydl.addmm(pydl.ones(2, 3), pydl.ones(2, 3), pydl.ones(3, 3), beta=0, out=c),
    lambda c: pydl.bmm(pydl.ones(1, 2, 3), pydl.ones(1, 3, 3), out=c.view(1, 2, 3)),
], ids=["addmm_", "baddbmm_", "addbmm_", "mm_out", "addmm_out", "bmm_out"])
def test_inplace_and_out_bump_version(call):
    c = pydl.zeros(2, 3)
    v = c._version
    call(c)
    assert c._version > v


def test_inplace_addmm_on_saved_tensor_is_detected():
    x = pydl.ones(2, 3, requires_grad=True)
    w = pydl.full((2, 3), 2.0)
    y = (x * w).sum()  # saves w
    w.addmm_(pydl.ones(2, 3), pydl.ones(3, 3))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


# --- beta = 0, integers, half precision --------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("m,k,n", [(4, 3, 5), (1, 7, 5), (4, 7, 1), (3, 0, 2), (30, 300, 20)])
def test_beta_zero_ignores_nan_and_inf_in_input(m, k, n, dtype):
    d = getattr(pydl, dtype)
    c = pydl.full((m, n), float("nan"), dtype=d)
    c[0, 0] = float("inf")
    a, b = arr(m, k), arr(k, n)
    r = pydl.addmm(c, pydl.from_numpy(a).to(d), pydl.from_numpy(b).to(d), beta=0)
    assert np.isfinite(r.float().numpy()).all()
    exact = pydl.from_numpy(a).to(d).double().numpy() @ pydl.from_numpy(b).to(d).double().numpy()
    close(r.float(), exact, 2e-2, 2e-2)
    cv = pydl.full((m,), float("nan"), dtype=d)
    assert np.isfinite(pydl.addmv(cv, pydl.from_numpy(a).to(d), pydl.from_numpy(b[:, 0] if n else np.zeros(k)).to(d),
                                  beta=0).float().numpy()).all()
    cb = pydl.full((2, m, n), float("nan"), dtype=d)
    r = pydl.baddbmm(cb, pydl.from_numpy(np.stack([a, a])).to(d), pydl.from_numpy(np.stack([b, b])).to(d), beta=0)
    assert np.isfinite(r.float().numpy()).all()
    # in place too: the NaN being overwritten lives in the output itself
    c.addmm_(pydl.from_numpy(a).to(d), pydl.from_numpy(b).to(d), beta=0)
    assert np.isfinite(c.float().numpy()).all()


def test_nan_propagates_with_nonzero_beta():
    c = pydl.full((2, 2), float("nan"))
    r = pydl.addmm(c, pydl.ones(2, 3), pydl.ones(3, 2), beta=1e-30)
    assert np.isnan(r.numpy()).all()
    r = pydl.mm(pydl.tensor([[float("nan"), 1.0]]), pydl.ones(2, 20))  # NaN in an operand always propagates
    assert np.isnan(r.numpy()).all()


torch = None


def _torch():
    global torch
    torch = pytest.importorskip("torch")
    return torch


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64"])
def test_integer_wraparound_matches_torch(dtype):
    th = _torch()
    info = np.iinfo(dtype)
    a = RNG.integers(info.min, info.max, (5, 40), endpoint=True).astype(dtype)
    b = RNG.integers(info.min, info.max, (40, 3), endpoint=True).astype(dtype)
    c = RNG.integers(info.min, info.max, (5, 3), endpoint=True).astype(dtype)
    pa, pb, pc = pydl.from_numpy(a), pydl.from_numpy(b), pydl.from_numpy(c)
    ta, tb, tc = th.from_numpy(a), th.from_numpy(b), th.from_numpy(c)
    np.testing.assert_array_equal(pydl.mm(pa, pb).numpy(), th.mm(ta, tb).numpy())
    np.testing.assert_array_equal(pydl.mv(pa, pb[:, 0]).numpy(), th.mv(ta, tb[:, 0]).numpy())
    np.testing.assert_array_equal(pydl.dot(pa[0], pb[:, 0]).numpy(), th.dot(ta[0], tb[:, 0]).numpy())
    np.testing.assert_array_equal(pydl.addmm(pc, pa, pb, beta=3, alpha=-7).numpy(),
                                  th.addmm(tc, ta, tb, beta=3, alpha=-7).numpy())
    # and the wrapped value is the exact product modulo 2**bits
    mod = 2 ** (8 * np.dtype(dtype).itemsize)
    exact = a.astype(object) @ b.astype(object)
    got = pydl.mm(pa, pb).numpy().astype(object)
    assert ((got - exact) % mod == 0).all()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("shapes", [[(7, 13), (13, 5)], [(30, 300), (300, 20)], [(1, 300), (300, 9)],
                                    [(9, 300), (300, 1)], [(3, 20, 30), (30, 10)], [(200, 40), (40, 40)]], ids=str)
def test_half_precision_matches_torch(dtype, shapes):
    th = _torch()
    xs = [arr(*s) for s in shapes]
    p = [pydl.from_numpy(x.astype(np.float32)).to(getattr(pydl, dtype)) for x in xs]
    t = [th.from_numpy(x.astype(np.float32)).to(getattr(th, dtype)) for x in xs]
    got, want = pydl.matmul(*p), th.matmul(*t)
    assert str(got.dtype).endswith(dtype)
    tol = 1e-2 if dtype == "float16" else 5e-2
    np.testing.assert_allclose(got.float().numpy(), want.float().numpy(), rtol=tol, atol=tol)
    # both are within one rounding of the exact product
    exact = np.matmul(*[x.float().numpy().astype(np.float64) for x in p])
    np.testing.assert_allclose(got.float().numpy(), exact, rtol=tol, atol=tol)
    if len(shapes[0]) == 2:
        c = arr(shapes[0][0], shapes[1][1]).astype(np.float32)
        got = pydl.addmm(pydl.from_numpy(c).to(p[0].dtype), *p, beta=0.5, alpha=2)
        want = th.addmm(th.from_numpy(c).to(t[0].dtype), *t, beta=0.5, alpha=2)
        np.testing.assert_allclose(got.float().numpy(), want.float().numpy(), rtol=tol, atol=2 * tol)


def test_half_precision_accumulates_in_float32():
    # 4096 ones: a float16 running sum would stop at 2048 (2048 + 1 rounds back to 2048).
    a = pydl.ones(1, 4096, dtype=pydl.float16)
    b = pydl.ones(4096, 3, dtype=pydl.float16)
    assert pydl.mm(a, b).float().numpy().tolist() == [[4096.0] * 3]
    a = pydl.ones(8, 4096, dtype=pydl.float16)
    assert (pydl.mm(a, b).float().numpy() == 4096.0).all()


# --- linear -----------------------------------------------------------------------------------

@pytest.mark.parametrize("xs", [(3,), (4, 3), (2, 4, 3), (2, 2, 4, 3)], ids=str)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_linear_matches_torch(xs, bias, layout):
    th = _torch()
    x, w, b = arr(*xs), arr(5, 3), arr(5)
    if layout == "transposed" and len(xs) >= 2:
        px = pydl.from_numpy(np.ascontiguousarray(np.swapaxes(x, -1, -2))).transpose(-1, -2)
    elif layout == "transposed":
        px = pydl.from_numpy(np.repeat(x, 2))[::2]
    else:
        px = pydl.from_numpy(x)
    pw = pydl.from_numpy(np.ascontiguousarray(w.T)).t() if layout == "transposed" else pydl.from_numpy(w)
    got = pydl.nn.functional.linear(px, pw, pydl.from_numpy(b) if bias else None)
    want = th.nn.functional.linear(th.from_numpy(x), th.from_numpy(w), th.from_numpy(b) if bias else None)
    assert tuple(got.shape) == tuple(want.shape)
    close(got, want.numpy(), 1e-12, 1e-12)


def test_linear_bias_keyword_and_broadcast_bias():
    x, w = arr(4, 3), arr(5, 3)
    close(pydl.nn.functional.linear(pydl.from_numpy(x), pydl.from_numpy(w), bias=pydl.tensor(2.0, dtype=pydl.float64)),
          x @ w.T + 2.0)
    close(pydl.nn.functional.linear(pydl.from_numpy(x), pydl.from_numpy(w), bias=None), x @ w.T)


# --- operators --------------------------------------------------------------------------------

@pytest.mark.parametrize("other", [3, 2.5, [[1.0], [2.0], [3.0]], "x", None])
def test_matmul_operator_with_non_tensor_raises_type_error(other):
    x = pydl.ones(2, 3)
    with pytest.raises(TypeError):
        x @ other
    with pytest.raises(TypeError):
        other @ x


def test_rmatmul_and_imatmul():
    a, b = arr(2, 3), arr(3, 4)
    close(pydl.from_numpy(b).__rmatmul__(pydl.from_numpy(a)), a @ b)
    x = pydl.from_numpy(a)
    x @= pydl.from_numpy(b)  # not in place (shape changes): rebinds, like torch
    close(x, a @ b)


# --- threads and ISA levels -------------------------------------------------------------------

@pytest.mark.parametrize("a_shape,b_shape", [((300, 300), (300, 300)), ((8, 64, 64), (8, 64, 64)),
                                             ((1, 40, 600), (1, 600, 300)), ((2, 300, 50), (2, 50, 9))], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "int32"])
def test_threads_agree(a_shape, b_shape, dtype, restore_threads):
    if dtype == "int32":
        a = pydl.from_numpy(RNG.integers(-9, 9, a_shape).astype(np.int32))
        b = pydl.from_numpy(RNG.integers(-9, 9, b_shape).astype(np.int32))
    else:
        a = pydl.from_numpy(arr(*a_shape, dtype=np.float32)).to(getattr(pydl, dtype))
        b = pydl.from_numpy(arr(*b_shape, dtype=np.float32)).to(getattr(pydl, dtype))
    pydl.set_num_threads(1)
    one = pydl.matmul(a, b)
    pydl.set_num_threads(2)
    two = pydl.matmul(a, b)
    tol = {"float32": 1e-5, "float64": 1e-12, "bfloat16": 1e-2, "int32": 0}[dtype]
    np.testing.assert_allclose(two.float().numpy() if dtype == "bfloat16" else two.numpy(),
                               one.float().numpy() if dtype == "bfloat16" else one.numpy(), rtol=tol, atol=tol)
    ref = np.matmul(a.double().numpy(), b.double().numpy())
    np.testing.assert_allclose(two.double().numpy(), ref, rtol=max(tol, 1e-5) * 10, atol=max(tol, 1e-5) * 10)


_ISA_CHECK = r"""
import numpy as np, pydl
rng = np.random.default_rng(0)
assert pydl._C._build_info()["cpu_isa_selected"] == "{isa}"
for dt, tol in (("float32", 1e-4), ("float64", 1e-11), ("float16", 1e-2), ("int32", 0)):
    for m, k, n in ((7, 13, 5), (37, 300, 19), (200, 3, 9), (1, 50, 17), (17, 50, 1), (3, 0, 4), (130, 260, 2100),
                    (23, 40, 70), (23, 40, 1100)):
        if dt != "float32" and m * n > 10000:
            continue
        a = rng.integers(-5, 5, (m, k)) if dt == "int32" else rng.uniform(-1, 1, (m, k))
        b = rng.integers(-5, 5, (k, n)) if dt == "int32" else rng.uniform(-1, 1, (k, n))
        pa = pydl.from_numpy(a.astype(np.float32 if dt == "float16" else dt)).to(getattr(pydl, dt))
        pb = pydl.from_numpy(b.astype(np.float32 if dt == "float16" else dt)).to(getattr(pydl, dt))
        ref = pa.double().numpy() @ pb.double().numpy()
        for x, y in ((pa, pb), (pa.t().contiguous().t(), pb), (pa, pb.t().contiguous().t())):
            got = (x @ y).double().numpy()
            np.testing.assert_allclose(got, ref, rtol=tol, atol=tol, err_msg=f"{{dt}} {{m}}x{{k}}x{{n}}")
        c = rng.uniform(-1, 1, (2, m, n)).astype(np.float64)
        pc = pydl.from_numpy(c).to(getattr(pydl, dt))
        bb = pydl.baddbmm(pc, pa.expand(2, m, k), pb.expand(2, k, n), beta=2, alpha=3).double().numpy()
        np.testing.assert_allclose(bb, 2 * pc.double().numpy() + 3 * ref, rtol=tol * 10, atol=tol * 10)
print("ok")
"""


@pytest.mark.skipif(os.environ.get("PYDL_CPU_ISA") is not None, reason="already inside an ISA run")
@pytest.mark.parametrize("isa", ["scalar", "avx2", "avx512", "neon"])
def test_every_isa(isa, tmp_path):
    if isa not in pydl._C._build_info()["cpu_isa_compiled"]:
        pytest.skip(f"{isa} kernels not compiled in this build")
    env = {**os.environ, "PYDL_CPU_ISA": isa}
    r = subprocess.run([sys.executable, "-c", "import pydl"], env=env, capture_output=True, text=True, cwd=tmp_path)
    if r.returncode != 0:
        assert "does not support" in r.stderr, r.stderr
        pytest.skip(f"this CPU cannot run {isa}")
    r = subprocess.run([sys.executable, "-c", _ISA_CHECK.format(isa=isa)], env=env, capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 0 and "ok" in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]


def test_half_product_staged_in_blocks_across_row_and_column_limits():
    # float16 results are staged through float32 blocks of at most 768 x 2048: cross both edges.
    rng = np.random.default_rng(3)
    a = rng.uniform(-1, 1, (800, 5)).astype(np.float16)
    b = rng.uniform(-1, 1, (5, 2100)).astype(np.float16)
    got = (pydl.from_numpy(a) @ pydl.from_numpy(b)).numpy().astype(np.float64)
    want = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16).astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3)


def test_long_strided_vectors_use_scratch_of_their_own():
    # A strided x longer than the kept scratch (4 MiB) is copied into memory owned by the call.
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 2 * 1_200_000)
    y = rng.uniform(-1, 1, 1_200_000)
    tx, ty = pydl.from_numpy(x)[::2], pydl.from_numpy(y)
    np.testing.assert_allclose(pydl.dot(tx, ty).item(), np.dot(x[::2], y), rtol=1e-9)
    np.testing.assert_allclose(pydl.dot(ty, tx).item(), np.dot(x[::2], y), rtol=1e-9)
