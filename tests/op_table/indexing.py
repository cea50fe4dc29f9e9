"""Op table rows for the indexing ops (tests/op_table/__init__.py): gather/scatter and their
index_* / masked_* / take / put relatives, nonzero, bincount, histc, one_hot.

Index arguments are `Keep(int64 array)` so they stay int64 whatever dtype is under test. The
scatter references loop over index positions in NumPy, in order, which is the order pydl
applies duplicates in.
"""
import numpy as np

from . import ALL, FLOATS, NUMERIC, OpInfo, Sample, Keep, make_array

LOOSE_HALF = {"float16": (4e-3, 4e-3), "bfloat16": (3e-2, 3e-2)}


def _arr(shape, dtype, rng):
    return make_array(shape, dtype, rng)


def _idx(rng, high, shape):
    return Keep(rng.integers(-high, high, shape).astype(np.int64) if high else np.zeros(shape, np.int64))


def _perm_idx(rng, size, shape, dim):
    """Index of `shape` whose entries along `dim` are distinct (no duplicate destinations)."""
    out = np.empty(shape, np.int64)
    moved = np.moveaxis(out, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(size)[:moved.shape[-1]]
    return Keep(out)


# --- references ---------------------------------------------------------------------------------

def _gather_ref(x, dim, idx, **kw):
    x, idx = np.asarray(x), np.asarray(idx)
    if x.ndim == 0 or idx.ndim == 0:  # a 0-d index reads a 0-d or 1-d input
        return np.asarray(x.reshape(-1)[idx])
    sl = tuple(slice(0, s) if d != dim % x.ndim else slice(None) for d, s in enumerate(idx.shape))
    return np.take_along_axis(x[sl], idx, axis=dim)


def _positions(idx, dim):
    """(destination, source position) pairs of a scatter along dim, in index order."""
    idx = np.asarray(idx)
    for pos in np.ndindex(idx.shape):
        dst = list(pos)
        if dst:
            dst[dim] = idx[pos]
        yield tuple(dst), pos


def _scatter_ref(x, dim, idx, src, reduce=None, include_self=True, mean=False):
    out = np.array(x, copy=True)
    src = np.asarray(src)
    count = np.ones(out.shape, np.int64) if include_self else np.zeros(out.shape, np.int64)
    touched = set()
    for dst, pos in _positions(idx, dim):
        v = src[pos] if src.ndim else src
        if not include_self and dst not in touched:
            touched.add(dst)
            out[dst] = v
            count[dst] = 1
            continue
        count[dst] += 1
        if reduce in ("add", "sum", "mean"):
            out[dst] = out[dst] + v
        elif reduce in ("multiply", "prod"):
            out[dst] = out[dst] * v
        elif reduce == "amax":
            out[dst] = np.maximum(out[dst], v)
        elif reduce == "amin":
            out[dst] = np.minimum(out[dst], v)
        else:
            out[dst] = v
    if mean:
        c = np.maximum(count, 1)
        out = out // c if out.dtype.kind in "iu" else out / c
    return out


def _scatter(x, dim, idx, src=None, value=None, reduce=None):
    return _scatter_ref(x, dim, idx, src if value is None else value, reduce)


def _scatter_reduce(x, dim, idx, src, reduce, include_self=True):
    return _scatter_ref(x, dim, idx, src, reduce, include_self, mean=reduce == "mean")


def _index_write(x, dim, idx, src, reduce):
    out = np.array(x, copy=True)
    src = np.asarray(src)
    if out.ndim == 0:
        return (out + src if reduce == "add" else src).astype(out.dtype)
    om, sm = np.moveaxis(out, dim, 0), np.moveaxis(src, dim, 0)
    for i, j in enumerate(np.asarray(idx).reshape(-1)):
        om[j] = om[j] + sm[i] if reduce == "add" else sm[i]
    return out


def _index_add(x, dim, idx, src, alpha=1):
    return _index_write(x, dim, idx, np.asarray(src) * np.asarray(alpha).astype(np.asarray(src).dtype), "add")


def _index_fill(x, dim, idx, value):
    out = np.array(x, copy=True)
    if out.ndim == 0:
        return np.array(value).astype(out.dtype)
    np.moveaxis(out, dim, 0)[np.asarray(idx)] = np.array(value).astype(out.dtype)
    return out


def _put(x, idx, src, accumulate=False):
    out = np.array(x, copy=True).reshape(-1)
    for i, s in zip(np.asarray(idx).reshape(-1), np.asarray(src).reshape(-1)):
        out[i] = out[i] + s if accumulate else s
    return out.reshape(np.shape(x))


def _masked_scatter(x, mask, src):
    shape = np.broadcast_shapes(np.shape(x), np.shape(mask))
    out = np.array(np.broadcast_to(x, shape), copy=True)
    m = np.broadcast_to(mask, shape)
    out[m] = np.asarray(src).reshape(-1)[:m.sum()]
    return out


def _take_along_dim(x, idx, dim=None):
    if dim is None:
        return np.take(np.asarray(x).reshape(-1), idx.reshape(-1))
    return np.take_along_axis(x, idx, axis=dim)


def _histc(x, bins=100, min=0, max=0):
    x = np.asarray(x, np.float64)
    lo, hi = (x.min(), x.max()) if min == max and x.size else (min, max)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return np.histogram(x, bins=bins, range=(lo, hi))[0]


# --- samples ------------------------------------------------------------------------------------

def _index_select_samples(dtype, rng):
    x = _arr((3, 4, 5), dtype, rng)
    yield Sample((x, 0, Keep(np.array([2, 0, 2, 1]))), desc="dim0 dups")
    yield Sample((x, -1, Keep(rng.integers(0, 5, (7,)))), desc="last dim")
    yield Sample((x, 1, Keep(np.zeros(0, np.int64))), desc="empty index")
    yield Sample((_arr((6,), dtype, rng), 0, Keep(np.array(3))), desc="0-d index")
    yield Sample((_arr((), dtype, rng), 0, Keep(np.array([0]))), desc="0-d input")


def _gather_samples(dtype, rng):
    x = _arr((4, 5, 3), dtype, rng)
    yield Sample((x, 1, Keep(rng.integers(0, 5, (4, 7, 3)))), desc="dim1 bigger")
    yield Sample((x, 0, Keep(rng.integers(0, 4, (2, 3, 2)))), desc="smaller index")
    yield Sample((x, -1, Keep(np.zeros((4, 5, 0), np.int64))), desc="empty")
    yield Sample((_arr((), dtype, rng), 0, Keep(np.array(0))), desc="0-d")


def _scatter_samples(dtype, rng):
    x = _arr((5, 4), dtype, rng)
    yield Sample((x, 0, _perm_idx(rng, 5, (3, 4), 0), _arr((3, 5), dtype, rng)), desc="src bigger")
    yield Sample((x, 1, _perm_idx(rng, 4, (5, 2), 1), _arr((5, 2), dtype, rng)), desc="dim1")
    yield Sample((x, 1, _perm_idx(rng, 4, (2, 4), 1)), {"value": 2}, desc="value")


def _scatter_add_samples(dtype, rng):
    x = _arr((4, 3), dtype, rng)
    yield Sample((x, 0, Keep(rng.integers(0, 4, (6, 3))), _arr((6, 3), dtype, rng)), desc="dups")
    yield Sample((x, 1, Keep(rng.integers(0, 3, (4, 5))), _arr((4, 5), dtype, rng)), desc="dim1 dups")
    yield Sample((x, 0, Keep(rng.integers(0, 4, (2, 2))), _arr((3, 3), dtype, rng)), desc="small index")


def _scatter_reduce2_samples(dtype, rng):
    x = _arr((4, 3), dtype, rng)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            yield Sample((x, 0, Keep(rng.integers(0, 4, (5, 3))), _arr((5, 3), dtype, rng), reduce),
                         {"include_self": include_self}, desc=f"{reduce} include_self={include_self}")


def _index_add_samples(dtype, rng):
    x = _arr((4, 3), dtype, rng)
    yield Sample((x, 0, Keep(np.array([0, 3, 0, 0, 1])), _arr((5, 3), dtype, rng)), desc="dups")
    yield Sample((x, -1, Keep(np.array([2, 0])), _arr((4, 2), dtype, rng)), desc="dim -1")
    yield Sample((x, 1, Keep(np.array([1], np.int32)), _arr((4, 1), dtype, rng)), desc="int32 index")


def _index_add_alpha_samples(dtype, rng):
    yield Sample((_arr((4, 3), dtype, rng), 0, Keep(np.array([1, 1])), _arr((2, 3), dtype, rng)), {"alpha": 2})


def _index_copy_samples(dtype, rng):
    x = _arr((4, 3), dtype, rng)
    yield Sample((x, 0, Keep(np.array([3, 0])), _arr((2, 3), dtype, rng)))
    yield Sample((x, 1, Keep(np.array([2, 0, 1])), _arr((4, 3), dtype, rng)))


def _index_fill_samples(dtype, rng):
    x = _arr((4, 3), dtype, rng)
    yield Sample((x, 0, Keep(np.array([3, 0, 3])), 1))
    yield Sample((x, -1, Keep(np.array([1])), 0))


def _masked_fill_samples(dtype, rng):
    x = _arr((3, 4), dtype, rng)
    yield Sample((x, Keep(rng.random((3, 4)) < 0.5), 1))
    yield Sample((x, Keep(rng.random((4,)) < 0.5), 0), desc="broadcast mask")
    yield Sample((_arr((), dtype, rng), Keep(np.array(True)), 1), desc="0-d")


def _masked_select_samples(dtype, rng):
    yield Sample((_arr((3, 4), dtype, rng), Keep(rng.random((3, 4)) < 0.5)))
    yield Sample((_arr((3, 4), dtype, rng), Keep(rng.random((4,)) < 0.5)), desc="broadcast mask")
    yield Sample((_arr((4,), dtype, rng), Keep(rng.random((3, 1)) < 0.5)), desc="broadcast both")
    yield Sample((_arr((0, 4), dtype, rng), Keep(np.ones(4, bool))), desc="empty")


def _masked_scatter_samples(dtype, rng):
    yield Sample((_arr((3, 4), dtype, rng), Keep(rng.random((3, 4)) < 0.5), _arr((12,), dtype, rng)))
    yield Sample((_arr((3, 4), dtype, rng), Keep(rng.random((4,)) < 0.5), _arr((4, 4), dtype, rng)), desc="bcast")


def _take_samples(dtype, rng):
    yield Sample((_arr((3, 4), dtype, rng), _idx(rng, 12, (2, 5))))
    yield Sample((_arr((5,), dtype, rng), Keep(np.array(2))), desc="0-d index")
    yield Sample((_arr((3, 4), dtype, rng), Keep(np.zeros((0,), np.int64))), desc="empty")


def _take_along_dim_samples(dtype, rng):
    yield Sample((_arr((3, 4), dtype, rng), Keep(rng.integers(0, 4, (3, 2)))), {"dim": 1})
    yield Sample((_arr((3, 4), dtype, rng), Keep(rng.integers(0, 3, (5, 4)))), {"dim": 0})
    yield Sample((_arr((3, 4), dtype, rng), Keep(rng.integers(0, 12, (5,)))), desc="dim None")


def _put_samples(dtype, rng):
    yield Sample((_arr((3, 4), dtype, rng), Keep(rng.permutation(12)[:5]), _arr((5,), dtype, rng)))
    yield Sample((_arr((3, 4), dtype, rng), Keep(np.array([[1, 1], [-1, 1]])), _arr((2, 2), dtype, rng)),
                 {"accumulate": True}, desc="accumulate dups")


def _nonzero_samples(dtype, rng):
    for s in [(), (0,), (7,), (3, 4), (2, 3, 5)]:
        a = make_array(s, dtype, rng, -1, 1)
        yield Sample((np.where(rng.random(s) < 0.5, 0, a).astype(a.dtype),), desc=str(s))


def _bincount_samples(dtype, rng):
    x = rng.integers(0, 6, (20,))
    yield Sample((Keep(x), _arr((20,), dtype, rng)), desc="weights")
    yield Sample((Keep(x), _arr((20,), dtype, rng)), {"minlength": 10}, desc="minlength")


def _bincount_plain_samples(dtype, rng):
    yield Sample((Keep(rng.integers(0, 9, (30,))),))
    yield Sample((Keep(np.zeros(0, np.int64)),), {"minlength": 3}, desc="empty")


def _histc_samples(dtype, rng):
    yield Sample((_arr((50,), dtype, rng),), {"bins": 7}, desc="data range")
    yield Sample((_arr((6, 5), dtype, rng),), {"bins": 4, "min": -3, "max": 3}, desc="given range")
    yield Sample((np.full((3,), 2.0),), {"bins": 4}, desc="constant")


def _one_hot_samples(dtype, rng):
    yield Sample((Keep(rng.integers(0, 5, (3, 4))),))
    yield Sample((Keep(rng.integers(0, 3, (6,))),), {"num_classes": 5})
    yield Sample((Keep(np.zeros((0,), np.int64)),), {"num_classes": 2}, desc="empty")


def _index_put_samples(dtype, rng):
    x = _arr((4, 5), dtype, rng)
    yield Sample((x, Keep(np.array([0, 3, 1])), Keep(np.array([4, 0, 2])), _arr((3,), dtype, rng)), desc="pairs")
    yield Sample((x, Keep(np.array([1, 1, 2])), Keep(np.array([0, 0, 0])), _arr((), dtype, rng)),
                 {"accumulate": True}, desc="accumulate dups")


def _index_put(lib, x, i, j, v, **kw):
    return lib.index_put(x, (i, j), v, **kw)


def _index_put_ref(x, i, j, v, accumulate=False):
    out = np.array(x, copy=True)
    if accumulate:
        np.add.at(out, (i, j), np.broadcast_to(v, np.broadcast_shapes(i.shape, j.shape)))
    else:
        out[i, j] = v
    return out


# --- the rows -------------------------------------------------------------------------------------

OPS = [
    OpInfo("index_select", lambda x, d, i: np.take(x, np.atleast_1d(i), axis=d) if np.ndim(x) else np.take(x, i),
           _index_select_samples, dtypes=ALL, out=True, exact=True),
    OpInfo("gather", _gather_ref, _gather_samples, dtypes=ALL, out=True, exact=True),
    OpInfo("take", lambda x, i: np.take(x, i), _take_samples, dtypes=ALL, out=True, exact=True),
    OpInfo("take_along_dim", _take_along_dim, _take_along_dim_samples, dtypes=ALL, out=True, exact=True),
    OpInfo("masked_select", lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
        np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))], _masked_select_samples, dtypes=ALL, out=True,
        exact=True),
    OpInfo("masked_fill", lambda x, m, v: np.where(m, np.array(v).astype(x.dtype), x), _masked_fill_samples,
           dtypes=ALL, inplace=True, exact=True),
    OpInfo("masked_scatter", _masked_scatter, _masked_scatter_samples, dtypes=ALL, inplace=True, exact=True),
    OpInfo("scatter", _scatter, _scatter_samples, dtypes=ALL, inplace=True, out=True, exact=True),
    OpInfo("scatter_add", lambda x, d, i, s: _scatter_ref(x, d, i, s, "add"), _scatter_add_samples,
           dtypes=NUMERIC, inplace=True, out=True, tol=LOOSE_HALF),
    OpInfo("scatter_reduce", _scatter_reduce, _scatter_reduce2_samples, dtypes=NUMERIC, inplace=True, out=True,
           tol=LOOSE_HALF),
    OpInfo("index_add", _index_add, _index_add_samples, dtypes=NUMERIC, inplace=True, out=True, tol=LOOSE_HALF),
    OpInfo("index_add", _index_add, _index_add_alpha_samples, dtypes=FLOATS + ("int64",), inplace=True, out=True,
           tol=LOOSE_HALF),
    OpInfo("index_copy", lambda x, d, i, s: _index_write(x, d, i, s, "copy"), _index_copy_samples, dtypes=ALL,
           inplace=True, out=True, exact=True),
    OpInfo("index_fill", _index_fill, _index_fill_samples, dtypes=ALL, inplace=True, exact=True),
    OpInfo("put", _put, _put_samples, dtypes=NUMERIC, inplace=True, tol=LOOSE_HALF),
    OpInfo("index_put", _index_put_ref, _index_put_samples, dtypes=NUMERIC, fn=_index_put, method=False,
           tol=LOOSE_HALF),
    OpInfo("nonzero", lambda x: np.argwhere(x), _nonzero_samples, dtypes=ALL, out=True, exact=True,
           differentiable=False),
    OpInfo("argwhere", lambda x: np.argwhere(x), _nonzero_samples, dtypes=ALL, exact=True, differentiable=False),
    OpInfo("nonzero", lambda x: np.nonzero(np.atleast_1d(x)), _nonzero_samples, dtypes=ALL, exact=True, method=False,
           fn=lambda lib, x: lib.nonzero(x, as_tuple=True), differentiable=False),
    OpInfo("bincount", lambda x, w=None, minlength=0: np.bincount(x, w, minlength), _bincount_samples,
           dtypes=NUMERIC, differentiable=False),
    OpInfo("bincount", lambda x, minlength=0: np.bincount(x, minlength=minlength), _bincount_plain_samples,
           dtypes=("int64",), differentiable=False, exact=True),
    OpInfo("histc", _histc, _histc_samples, dtypes=("float32", "float64"), out=True, differentiable=False,
           exact=True),
    OpInfo("one_hot", lambda x, num_classes=-1: np.eye(num_classes if num_classes > 0 else x.max() + 1,
                                                         dtype=np.int64)[x], _one_hot_samples, dtypes=("int64",),
           fn=lambda lib, x, **kw: lib.nn.functional.one_hot(x, **kw), method=False, differentiable=False,
           exact=True),
]
