"""Op table rows for reductions: sum, mean, prod, amax, all, var, softmax, ... (tests/op_table/__init__.py)."""
import numpy as np

from . import ALL, FLOATS, NUMERIC, OpInfo, Sample, make_array

# (shape, dim) pairs: every dim, one dim (first, last, negative), several, 0-d, and empty
# tensors (reducing a non-empty dim of an empty tensor gives an empty result).
DIM_CASES = [((), None), ((), 0), ((7,), None), ((7,), 0), ((3, 4), 0), ((3, 4), -1), ((3, 4), (0, 1)),
             ((2, 3, 5), 1), ((2, 3, 5), (0, 2)), ((2, 3, 5), (-1, 0)), ((33, 65), 0), ((33, 65), 1),
             ((33, 65), None), ((2, 0, 3), 2), ((0,), None)]
# Dims with at least one element: max/min/var have no value over an empty dim.
NONEMPTY_CASES = [(s, d) for s, d in DIM_CASES if 0 not in s]


def reduce_samples(cases=DIM_CASES, low=-5.0, high=5.0, keepdims=(False, True), nans=False, **kwargs):
    def gen(dtype, rng):
        for shape, dim in cases:
            # PyTorch takes keepdim only together with dim.
            for keepdim in (keepdims if dim is not None else (False,)):
                a = make_array(shape, dtype, rng, low, high)
                if nans and dtype in FLOATS and a.size:
                    a = a.astype(np.float64)
                    a.flat[rng.integers(0, a.size, max(1, a.size // 4))] = np.nan
                kw = dict(kwargs) if dim is None else dict(kwargs, dim=dim, keepdim=keepdim)
                yield Sample((a,), kw, f"{shape} dim={dim} keepdim={keepdim}")
    return gen


def np_reduce(fn, cast=None):
    """A NumPy reference with torch's argument names: fn(a, axis=, keepdims=)."""
    def ref(a, dim=None, keepdim=False, **kw):
        axis = tuple(dim) if isinstance(dim, (tuple, list)) else dim
        if a.ndim == 0:
            axis = None  # dim 0 / -1 of a 0-d tensor
        r = np.asarray(fn(a, axis=axis, keepdims=keepdim and a.ndim > 0))
        return r.astype(cast(a)) if cast else r
    return ref


def _int64_unless_float(a):
    return a.dtype if a.dtype.kind == "f" else np.int64


def _logical_dtype(a):
    return np.uint8 if a.dtype == np.uint8 else np.bool_


OPS = [
    OpInfo("sum", np_reduce(np.sum, _int64_unless_float), reduce_samples(), dtypes=ALL, out=True, ref_dtype=None,
           tol={"float16": (2e-3, 1e-2), "bfloat16": (1e-2, 5e-2)}),
    OpInfo("nansum", np_reduce(np.nansum, _int64_unless_float), reduce_samples(nans=True), dtypes=FLOATS, out=True),
    OpInfo("mean", np_reduce(np.mean), reduce_samples(), dtypes=FLOATS, out=True,
           tol={"float16": (2e-3, 1e-3), "bfloat16": (1e-2, 1e-2)}),
    OpInfo("nanmean", np_reduce(np.nanmean), reduce_samples(NONEMPTY_CASES, nans=True), dtypes=FLOATS, out=True,
           tol={"float16": (2e-3, 1e-3), "bfloat16": (1e-2, 1e-2)}),
    OpInfo("prod", np_reduce(np.prod, _int64_unless_float),
           reduce_samples([c for c in DIM_CASES if not isinstance(c[1], tuple) and c[0] != (33, 65)], -2, 2),
           dtypes=ALL, out=True, tol={"float16": (4e-3, 1e-3), "bfloat16": (2e-2, 1e-2)}),
    OpInfo("amax", np_reduce(np.max), reduce_samples(NONEMPTY_CASES), dtypes=ALL, out=True, exact=True),
    OpInfo("amin", np_reduce(np.min), reduce_samples(NONEMPTY_CASES), dtypes=ALL, out=True, exact=True),
    OpInfo("all", np_reduce(np.all, _logical_dtype), reduce_samples(low=0, high=3), dtypes=ALL, out=True),
    OpInfo("any", np_reduce(np.any, _logical_dtype), reduce_samples(low=0, high=1), dtypes=ALL, out=True),
    OpInfo("count_nonzero", lambda a, dim=None: np.asarray(np.count_nonzero(
        a, axis=tuple(dim) if isinstance(dim, tuple) else (None if a.ndim == 0 else dim))).astype(np.int64),
           lambda dtype, rng: (Sample((make_array(s, dtype, rng, -1, 1),), {} if d is None else {"dim": d}, f"{s} {d}")
                               for s, d in DIM_CASES),
           dtypes=ALL),
]
