"""Op table rows for the matrix products: mm, bmm, mv, dot, vdot, outer, addmm, addmv, baddbmm,
addbmm, matmul (function, `@`, linalg.matmul) and nn.functional.linear (tests/op_table/__init__.py).

The shapes aim at the CPU GEMM's seams (csrc/cpu/gemm_blocked.h, kernels/gemm_kernel.cpp):
sizes that are not multiples of the MR x NR micro-tile, K past one KC=256 block, M past MC
(192 float / 96 double), N past NC (2048 float / 1024 double), the GEMV path (m == 1 or n == 1),
k == 0 (an empty sum) and empty results, and products big enough to be split between threads
(by rows when m >= n, by columns otherwise). Big shapes run for float32/float64 only: the
integer loop and the half-precision staging are checked on the small ones.

References compute in float64 (integers in int64, then wrap to the dtype like the op does)."""
import numpy as np

from . import INTS, NUMERIC, OpInfo, Sample, make_array

# Accumulating K ~ 300 products of values in [-1, 1] in float32; half/bfloat16 are computed in
# float32 and rounded once, so one rounding step of the result (plus cancellation) is allowed.
MATMUL_TOL = {"float16": (2e-3, 1e-2), "bfloat16": (1e-2, 4e-2), "float32": (1e-4, 1e-4), "float64": (1e-10, 1e-10)}
BIG = ("float32", "float64")


def _wide(x):
    x = np.asarray(x)
    return x.astype(np.int64) if x.dtype.kind in "iub" else x.astype(np.float64)


def _ref(fn):
    """fn on float64 / int64 copies of the array arguments."""
    def ref(*args, **kwargs):
        return np.asarray(fn(*[_wide(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs))
    return ref


def _arr(shape, dtype, rng):
    # Small integers: products of int8 values stay exact enough to compare (wraparound is
    # tested on purpose in tests/test_linalg.py).
    return make_array(shape, dtype, rng, -3, 3) if dtype in INTS else make_array(shape, dtype, rng, -1.0, 1.0)


def _shape_samples(cases, big_cases=(), kw=lambda dtype: [{}]):
    """cases: tuples of operand shapes; big_cases only for float32/float64; kw(dtype) -> kwargs list."""
    def gen(dtype, rng):
        for shapes in list(cases) + (list(big_cases) if dtype in BIG else []):
            if dtype == "bool" and any(0 in s for s in shapes):
                continue  # PyTorch returns empty bool products instead of refusing bool; pydl refuses
            for kwargs in kw(dtype):
                args = tuple(_arr(s, dtype, rng) for s in shapes)
                yield Sample(args, dict(kwargs), "@".join(str(s) for s in shapes) + (f" {kwargs}" if kwargs else ""))
    return gen


def _scales(dtype):
    """beta/alpha pairs: defaults, both scaled, beta=0 (input ignored), alpha=0. Integer tensors
    take integer scalars only (PyTorch refuses a float beta for them)."""
    if dtype in INTS:
        return [{}, {"beta": 2, "alpha": -1}, {"beta": 0}, {"alpha": 0}]
    return [{}, {"beta": 0.5, "alpha": -1.5}, {"beta": 0}, {"alpha": 0, "beta": 2.0}]


# (m, k) @ (k, n) pairs.
MM_SHAPES = [((7, 13), (13, 5)), ((1, 1), (1, 1)), ((6, 16), (16, 16)), ((37, 300), (300, 19)),
             ((200, 3), (3, 9)), ((300, 1), (1, 5)), ((1, 300), (300, 7)), ((5, 300), (300, 1)),
             ((1, 40), (40, 1)), ((4, 0), (0, 3)), ((0, 3), (3, 4)), ((3, 4), (4, 0)), ((64, 2), (2, 100))]
MM_BIG = [((260, 270), (270, 2100)), ((20, 300), (300, 400)), ((400, 300), (300, 20)), ((97, 257), (257, 1025))]
# (b, m, k) @ (b, k, n)
BMM_SHAPES = [((2, 7, 13), (2, 13, 5)), ((3, 1, 9), (3, 9, 4)), ((3, 5, 9), (3, 9, 1)), ((0, 2, 3), (0, 3, 4)),
              ((2, 0, 3), (2, 3, 4)), ((2, 3, 0), (2, 0, 4)), ((4, 6, 17), (4, 17, 33)), ((1, 1, 1), (1, 1, 1))]
BMM_BIG = [((3, 100, 110), (3, 110, 70)), ((1, 130, 260), (1, 260, 70))]
MV_SHAPES = [((7, 13), (13,)), ((1, 5), (5,)), ((5, 1), (1,)), ((0, 3), (3,)), ((3, 0), (0,)), ((33, 300), (300,))]
DOT_SHAPES = [((1,), (1,)), ((7,), (7,)), ((0,), (0,)), ((300,), (300,)), ((33,), (33,))]
OUTER_SHAPES = [((1,), (1,)), ((7,), (5,)), ((0,), (3,)), ((3,), (0,)), ((33,), (65,))]
# (input, mat1, mat2): full-size and broadcast inputs (row, column, scalar-like, 0-d).
ADDMM_SHAPES = [((7, 5), (7, 13), (13, 5)), ((5,), (7, 13), (13, 5)), ((7, 1), (7, 13), (13, 5)),
                ((1, 1), (6, 300), (300, 17)), ((), (3, 4), (4, 2)), ((4, 3), (4, 0), (0, 3)),
                ((0, 3), (0, 2), (2, 3)), ((1, 6), (1, 9), (9, 6)), ((6, 1), (6, 9), (9, 1))]
ADDMM_BIG = [((130, 300), (130, 270), (270, 300))]
ADDMV_SHAPES = [((7,), (7, 13), (13,)), ((1,), (7, 13), (13,)), ((), (4, 3), (3,)), ((3,), (3, 0), (0,)),
                ((0,), (0, 3), (3,)), ((40,), (40, 300), (300,))]
BADDBMM_SHAPES = [((2, 7, 5), (2, 7, 13), (2, 13, 5)), ((5,), (2, 7, 13), (2, 13, 5)),
                  ((1, 7, 1), (2, 7, 13), (2, 13, 5)),
                  ((), (3, 2, 4), (3, 4, 6)), ((2, 3, 4), (2, 3, 0), (2, 0, 4)), ((0, 3, 4), (0, 3, 2), (0, 2, 4)),
                  ((3, 1, 5), (3, 1, 9), (3, 9, 5))]
ADDBMM_SHAPES = [((7, 5), (3, 7, 13), (3, 13, 5)), ((5,), (2, 7, 13), (2, 13, 5)), ((), (3, 2, 4), (3, 4, 6)),
                 ((3, 4), (0, 3, 2), (0, 2, 4)), ((3, 4), (2, 3, 0), (2, 0, 4)), ((6, 7), (4, 6, 100), (4, 100, 7))]
# Every rank combination of matmul, batch broadcasting, and empty dims.
MATMUL_SHAPES = [((5,), (5,)), ((3, 5), (5,)), ((5,), (5, 4)), ((3, 5), (5, 4)), ((2, 3, 5), (5, 4)),
                 ((3, 5), (2, 5, 4)), ((2, 3, 5), (5,)), ((5,), (2, 5, 4)), ((2, 1, 3, 4), (5, 4, 2)),
                 ((2, 3, 5), (2, 5, 4)), ((1, 3, 5), (4, 5, 2)), ((2, 2, 3, 5), (5,)), ((5,), (2, 2, 5, 3)),
                 ((0,), (0,)), ((0, 3), (3, 4)), ((2, 0), (0, 3)), ((0, 2, 3), (3, 4)), ((2, 0, 3), (3, 4)),
                 ((4, 1, 7), (1, 7, 1)), ((37, 300), (300, 19)), ((3, 1, 300), (300, 5))]
MATMUL_BIG = [((2, 130, 270), (270, 100)), ((100, 270), (2, 270, 130))]
# (input, weight[, bias])
LINEAR_SHAPES = [((4, 3), (5, 3)), ((4, 3), (5, 3), (5,)), ((3,), (5, 3)), ((3,), (5, 3), (5,)),
                 ((2, 4, 3), (5, 3), (5,)), ((2, 4, 3), (5, 3)), ((2, 2, 4, 3), (5, 3), (1,)),
                 ((4, 3), (3,)), ((0, 3), (5, 3), (5,)), ((4, 0), (5, 0), (5,)),
                 ((6, 300), (17, 300), (17,))]


def _addmm(inp, a, b, beta=1, alpha=1):
    return beta * inp + alpha * (a @ b)


def _addbmm(inp, a, b, beta=1, alpha=1):
    return beta * inp + alpha * np.einsum("bik,bkj->ij", a, b)


def _linear(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


OPS = [
    OpInfo("mm", _ref(np.matmul), _shape_samples(MM_SHAPES, MM_BIG), dtypes=NUMERIC, out=True, tol=MATMUL_TOL),
    OpInfo("bmm", _ref(np.matmul), _shape_samples(BMM_SHAPES, BMM_BIG), dtypes=NUMERIC, out=True, tol=MATMUL_TOL),
    OpInfo("mv", _ref(np.matmul), _shape_samples(MV_SHAPES), dtypes=NUMERIC, out=True, tol=MATMUL_TOL),
    OpInfo("dot", _ref(np.dot), _shape_samples(DOT_SHAPES), dtypes=NUMERIC, out=True, tol=MATMUL_TOL),
    OpInfo("vdot", _ref(np.vdot), _shape_samples(DOT_SHAPES), dtypes=NUMERIC, out=True, tol=MATMUL_TOL),
    OpInfo("outer", _ref(np.outer), _shape_samples(OUTER_SHAPES), dtypes=NUMERIC, out=True, tol=MATMUL_TOL),
    OpInfo("ger", _ref(np.outer), _shape_samples(OUTER_SHAPES[:3]), dtypes=NUMERIC, out=True, tol=MATMUL_TOL),
    OpInfo("addmm", _ref(_addmm), _shape_samples(ADDMM_SHAPES, ADDMM_BIG, _scales), dtypes=NUMERIC, out=True,
           inplace=True, tol=MATMUL_TOL),
    OpInfo("addmv", _ref(_addmm), _shape_samples(ADDMV_SHAPES, (), _scales), dtypes=NUMERIC, out=True,
           inplace=True, tol=MATMUL_TOL),
    OpInfo("baddbmm", _ref(_addmm), _shape_samples(BADDBMM_SHAPES, (), _scales), dtypes=NUMERIC, out=True,
           inplace=True, tol=MATMUL_TOL),
    OpInfo("addbmm", _ref(_addbmm), _shape_samples(ADDBMM_SHAPES, (), _scales), dtypes=NUMERIC, out=True,
           inplace=True, tol=MATMUL_TOL),
    OpInfo("matmul", _ref(np.matmul), _shape_samples(MATMUL_SHAPES, MATMUL_BIG), dtypes=NUMERIC, out=True,
           tol=MATMUL_TOL),
    OpInfo("linalg.matmul", _ref(np.matmul), _shape_samples(MATMUL_SHAPES[:9]), dtypes=("float32", "int64"),
           method=False, out=True, fn=lambda lib, *a, **k: lib.linalg.matmul(*a, **k), tol=MATMUL_TOL),
    OpInfo("__matmul__", _ref(np.matmul), _shape_samples(MATMUL_SHAPES[:9]), dtypes=("float32", "int32"),
           fn=lambda lib, a, b: a @ b, tol=MATMUL_TOL),
    OpInfo("nn.functional.linear", _ref(_linear), _shape_samples(LINEAR_SHAPES), dtypes=NUMERIC, method=False,
           fn=lambda lib, *a, **k: lib.nn.functional.linear(*a, **k), tol=MATMUL_TOL),
]
