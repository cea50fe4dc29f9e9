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


def _var_ref(correction):
    def ref(a, dim=None, keepdim=False, **kw):
        axis = tuple(dim) if isinstance(dim, (tuple, list)) else dim
        if a.ndim == 0:
            axis = None
        n = a.size if axis is None else np.prod([a.shape[d] for d in (axis if isinstance(axis, tuple) else (axis,))])
        with np.errstate(all="ignore"):
            m = np.mean(a.astype(np.float64), axis=axis, keepdims=True)
            ss = np.sum((a - m) ** 2, axis=axis, keepdims=keepdim and a.ndim > 0)
            return np.asarray(ss / max(0, n - correction))
    return ref


def _logsumexp_ref(a, dim=None, keepdim=False):
    axis = tuple(dim) if isinstance(dim, (tuple, list)) else dim
    if a.ndim == 0:
        axis = None
    a = a.astype(np.float64)
    with np.errstate(all="ignore"):
        m = np.max(a, axis=axis, keepdims=True) if a.size else np.zeros([1] * a.ndim)
        m = np.where(np.isinf(m), 0, m)
        return np.asarray(np.log(np.sum(np.exp(a - m), axis=axis, keepdims=keepdim and a.ndim > 0))
                          + (m if keepdim and a.ndim > 0 else np.squeeze(m, axis=axis) if a.ndim else m.reshape(())))


def _norm_ref(p):
    def ref(a, ord=None, dim=None, keepdim=False):
        axis = tuple(dim) if isinstance(dim, (tuple, list)) else dim
        if a.ndim == 0:
            axis = None
        a = np.abs(a.astype(np.float64))
        kd = keepdim and a.ndim > 0
        if p == np.inf:
            return np.asarray(np.max(a, axis=axis, keepdims=kd))
        if p == 0:
            return np.asarray(np.sum(a != 0, axis=axis, keepdims=kd)).astype(np.float64)
        return np.asarray(np.sum(a ** p, axis=axis, keepdims=kd) ** (1.0 / p))
    return ref


def _arg_ref(fn):
    def ref(a, dim=None, keepdim=False):
        if dim is None or a.ndim == 0:
            r = np.asarray(fn(a.reshape(-1) if a.ndim else a.reshape(1)))
            return r.reshape([1] * a.ndim) if keepdim else r
        return np.asarray(fn(a, axis=dim, keepdims=keepdim))
    return ref


def _max_dim_ref(fn, arg):
    def ref(a, dim, keepdim=False):
        if a.ndim == 0:
            return (a, np.asarray(0))
        return (np.asarray(fn(a, axis=dim, keepdims=keepdim)), np.asarray(arg(a, axis=dim, keepdims=keepdim)))
    return ref


SINGLE_DIM = [c for c in NONEMPTY_CASES if isinstance(c[1], int)]


def single_dim_samples(cases=SINGLE_DIM, dim_required=True):
    def gen(dtype, rng):
        for shape, dim in cases:
            for keepdim in (False, True):
                # few distinct values: ties must pick the first index, as in PyTorch
                a = make_array(shape, dtype, rng, -3, 3)
                if dtype in FLOATS:
                    a = np.asarray(np.round(a))
                yield Sample((a, dim), dict(keepdim=keepdim), f"{shape} dim={dim} keepdim={keepdim}")
    return gen


OPS += [
    OpInfo("var", _var_ref(1), reduce_samples(NONEMPTY_CASES), dtypes=FLOATS, out=True,
           tol={"float16": (2e-3, 2e-3), "bfloat16": (1e-2, 1e-2)}),
    OpInfo("std", lambda *a, **k: np.sqrt(_var_ref(1)(*a, **k)), reduce_samples(NONEMPTY_CASES), dtypes=FLOATS,
           out=True, tol={"float16": (2e-3, 2e-3), "bfloat16": (1e-2, 1e-2)}),
    OpInfo("var", _var_ref(0), reduce_samples(NONEMPTY_CASES, correction=0), dtypes=("float32", "float64"),
           out=False),
    OpInfo("logsumexp", _logsumexp_ref, reduce_samples([c for c in DIM_CASES if c[1] is not None]), dtypes=FLOATS,
           out=True, tol={"float16": (2e-3, 2e-3), "bfloat16": (1e-2, 1e-2)}),
    OpInfo("norm", _norm_ref(2), reduce_samples(), dtypes=FLOATS, tol={"float16": (2e-3, 2e-3),
                                                                       "bfloat16": (1e-2, 1e-2)}),
    OpInfo("linalg.vector_norm", _norm_ref(1), reduce_samples(ord=1), dtypes=("float32", "float64"), method=False,
           fn=lambda lib, *a, **k: lib.linalg.vector_norm(*a, **k), out=True),
    OpInfo("linalg.vector_norm", _norm_ref(3), reduce_samples(ord=3), dtypes=("float32", "float64"), method=False,
           fn=lambda lib, *a, **k: lib.linalg.vector_norm(*a, **k)),
    OpInfo("linalg.vector_norm", _norm_ref(np.inf), reduce_samples(NONEMPTY_CASES, ord=float("inf")),
           dtypes=("float32", "float64"), method=False, fn=lambda lib, *a, **k: lib.linalg.vector_norm(*a, **k)),
    OpInfo("linalg.vector_norm", _norm_ref(0), reduce_samples(ord=0), dtypes=("float32", "float64"), method=False,
           fn=lambda lib, *a, **k: lib.linalg.vector_norm(*a, **k)),
    OpInfo("argmax", _arg_ref(np.argmax), single_dim_samples(), dtypes=NUMERIC, out=True),
    OpInfo("argmin", _arg_ref(np.argmin), single_dim_samples(), dtypes=NUMERIC, out=True),
    OpInfo("argmax", _arg_ref(np.argmax), reduce_samples([c for c in NONEMPTY_CASES if c[1] is None]),
           dtypes=NUMERIC),
    OpInfo("max", _max_dim_ref(np.max, np.argmax), single_dim_samples(), dtypes=ALL, out=True, exact=True),
    OpInfo("min", _max_dim_ref(np.min, np.argmin), single_dim_samples(), dtypes=ALL, out=True, exact=True),
    OpInfo("max", lambda a: np.asarray(np.max(a)), lambda d, rng: (Sample((make_array(s, d, rng),), {}, f"{s}")
                                                                   for s, _ in NONEMPTY_CASES), dtypes=ALL, exact=True),
    OpInfo("trace", lambda a: np.asarray(np.trace(a)).astype(_int64_unless_float(a)),
           lambda d, rng: (Sample((make_array(s, d, rng),), {}, f"{s}") for s in [(3, 4), (5, 5), (0, 3), (33, 65)]),
           dtypes=ALL, tol={"float16": (2e-3, 1e-2), "bfloat16": (1e-2, 5e-2)}),
]


# --- scans along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp -------------------------
# Every dim of 0-d, empty, 1-d, 2-d and 3-d tensors; rows that are not a multiple of the
# kernel's row groups, and an inner size over one accumulator tile (300).
SCAN_CASES = [((), 0), ((), -1), ((0,), 0), ((7,), 0), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1),
              ((2, 3, 5), 0), ((2, 3, 5), 1), ((2, 3, 5), -1), ((33, 65), 0), ((33, 65), 1),
              ((2, 0, 3), 1), ((2, 0, 3), 2), ((3, 300), 0), ((2, 4, 300), 1), ((11, 20), 1)]


def scan_samples(low=-5.0, high=5.0, nans=False, ties=False, cases=SCAN_CASES, **kwargs):
    def gen(dtype, rng):
        for shape, dim in cases:
            a = make_array(shape, dtype, rng, low, high)
            if ties and dtype in FLOATS:
                a = np.asarray(np.round(a))
            if nans and dtype in FLOATS and a.size:
                a = a.astype(np.float64)
                a.flat[rng.integers(0, a.size, max(1, a.size // 6))] = np.nan
            yield Sample((a,), dict(kwargs, dim=dim), f"{shape} dim={dim}")
    return gen


def _along(fn, a, dim):
    """fn(x, axis) on a, with a 0-d input scanned as one element."""
    a = np.asarray(a)
    if a.ndim == 0:
        return np.asarray(fn(a.reshape(1), 0)).reshape(())
    return np.asarray(fn(a, dim))


def np_accumulate(fn):
    """cumsum / cumprod: float64 (int64 for integer and bool inputs, or `dtype`) then rounded."""
    def ref(a, dim, dtype=None):
        if dtype is not None:
            a = np.asarray(a).astype(dtype)
            wide = np.float64 if a.dtype.kind == "f" else np.int64
            return _along(lambda x, ax: fn(x.astype(wide), axis=ax), a, dim).astype(dtype)
        wide = np.float64 if a.dtype.kind == "f" else np.int64
        return _along(lambda x, ax: fn(x.astype(wide), axis=ax), a, dim)
    return ref


def np_cum_extreme(is_max):
    """cummax / cummin as torch defines them: equal values and NaN take the later index."""
    def scan(x, axis):
        x = np.moveaxis(x, axis, -1)
        values, indices = np.empty_like(x), np.zeros(x.shape, np.int64)
        if x.shape[-1]:
            cur, idx = x[..., 0], np.zeros(x.shape[:-1], np.int64)
            for j in range(x.shape[-1]):
                xj = x[..., j]
                take = (xj >= cur if is_max else xj <= cur) | (np.isnan(xj) if x.dtype.kind == "f" else False)
                cur, idx = np.where(take, xj, cur), np.where(take, j, idx)
                values[..., j], indices[..., j] = cur, idx
        return np.moveaxis(values, -1, axis), np.moveaxis(indices, -1, axis)

    def ref(a, dim):
        a = np.asarray(a)
        if a.ndim == 0:
            v, i = scan(a.reshape(1), 0)
            return v.reshape(()), i.reshape(())
        return scan(a, dim)
    return ref


def _with_dtype(name):
    def call(lib, x, dim, dtype=None, **kw):
        return getattr(lib, name)(x, dim, dtype=getattr(lib, dtype), **kw)
    return call


SCAN_TOL = {"float16": (2e-3, 1e-2), "bfloat16": (1e-2, 5e-2)}

OPS += [
    OpInfo("cumsum", np_accumulate(np.cumsum), scan_samples(), dtypes=ALL, inplace=True, out=True, tol=SCAN_TOL),
    OpInfo("cumsum", np_accumulate(np.cumsum), scan_samples(dtype="float64"), dtypes=ALL, out=True,
           method=False, fn=_with_dtype("cumsum")),
    OpInfo("cumsum", np_accumulate(np.cumsum), scan_samples(dtype="int32"), dtypes=ALL, out=True,
           method=False, fn=_with_dtype("cumsum")),
    OpInfo("cumprod", np_accumulate(np.cumprod), scan_samples(-2, 2), dtypes=ALL, inplace=True, out=True,
           tol={"float16": (4e-3, 1e-3), "bfloat16": (2e-2, 1e-2)}),
    OpInfo("cumprod", np_accumulate(np.cumprod), scan_samples(-2, 2, dtype="int8"), dtypes=ALL, out=True,
           method=False, fn=_with_dtype("cumprod")),
    OpInfo("cummax", np_cum_extreme(True), scan_samples(nans=True, ties=True), dtypes=ALL, out=True, exact=True),
    OpInfo("cummin", np_cum_extreme(False), scan_samples(nans=True, ties=True), dtypes=ALL, out=True, exact=True),
    OpInfo("logcumsumexp", lambda a, dim: _along(lambda x, ax: np.logaddexp.accumulate(x.astype(np.float64), axis=ax),
                                                 a, dim),
           scan_samples(-20, 20), dtypes=FLOATS, out=True, tol={"float16": (2e-3, 2e-3), "bfloat16": (1e-2, 1e-2)}),
]
