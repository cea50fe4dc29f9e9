"""Binary elementwise ops on CUDA (cuda/binary_kernel.cu) against the CPU results: every
supported op and dtype family, contiguous, broadcast and transposed operands. Skipped without a
GPU; the CUDA sources still compile in CI."""
import numpy as np
import pytest

import pydl

pytestmark = pytest.mark.skipif(not pydl.cuda.is_available(), reason="needs a CUDA device")

ARITH = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: pydl.add(a, b, alpha=3),
         pydl.maximum, pydl.minimum, pydl.fmax, pydl.fmin]
COMPARE = [lambda a, b: a == b, lambda a, b: a != b, lambda a, b: a < b, lambda a, b: a <= b,
           lambda a, b: a > b, lambda a, b: a >= b, pydl.logical_and, pydl.logical_or, pydl.logical_xor]
FLOATS = ["float32", "float64", "float16", "bfloat16"]
INTS = ["int32", "int64", "uint8"]


def operands(dtype, layout):
    rng = np.random.default_rng(0)
    a = rng.integers(-4, 5, (37, 65)).astype(np.float64)
    b = rng.integers(-4, 5, (37, 65)).astype(np.float64)
    if dtype in FLOATS:
        a[0, 0] = b[1, 1] = np.nan
    if dtype == "uint8":
        a, b = np.abs(a), np.abs(b)
    ta, tb = (pydl.from_numpy(x).to(getattr(pydl, dtype)) for x in (a, b))
    if layout == "broadcast":
        tb = tb[:1]
    elif layout == "transposed":
        ta, tb = ta.t(), tb.t()
    return ta, tb


@pytest.mark.parametrize("layout", ["contiguous", "broadcast", "transposed"])
@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("i", range(len(ARITH) + len(COMPARE)))
def test_binary_matches_cpu(i, dtype, layout):
    op = (ARITH + COMPARE)[i]
    a, b = operands(dtype, layout)
    want = op(a, b)
    got = op(a.cuda(), b.cuda())
    assert got.device.type == "cuda" and got.dtype == want.dtype
    np.testing.assert_array_equal(got.cpu().double().numpy(), want.double().numpy())


@pytest.mark.parametrize("dtype", FLOATS)
def test_division_matches_cpu(dtype):
    a, b = operands(dtype, "contiguous")
    np.testing.assert_allclose((a.cuda() / b.cuda()).cpu().double().numpy(), (a / b).double().numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", INTS)
def test_bitwise_matches_cpu(dtype):
    a, b = operands(dtype, "broadcast")
    for op in (pydl.bitwise_and, pydl.bitwise_or, pydl.bitwise_xor):
        np.testing.assert_array_equal(op(a.cuda(), b.cuda()).cpu().numpy(), op(a, b).numpy())


def test_unported_op_raises_not_implemented():
    a = pydl.ones(3, device="cuda")
    with pytest.raises(NotImplementedError, match="atan2"):
        pydl.atan2(a, a)
