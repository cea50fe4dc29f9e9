"""Op table rows for sorting and searching (tests/op_table/__init__.py).

The references order like PyTorch: NaN above every number, -0 == +0, equal elements in input
order (a stable sort), and selections (topk, kthvalue, median) pick the element a stable sort
puts at that position, which is what pydl's CPU kernels guarantee.
"""
import numpy as np

from . import ALL, FLOATS, NUMERIC, OpInfo, Sample, make_array

# (shape, dim) pairs: 0-d, empty, vectors, every dim of matrices and 3-d tensors.
DIM_CASES = [((), 0), ((), -1), ((0,), 0), ((1,), 0), ((7,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 5), 1),
             ((2, 3, 5), -1), ((4, 0, 3), 2), ((33, 65), 0), ((33, 65), 1)]


def _values(shape, dtype, rng, nan=True):
    """Random values with many ties (halves in [-5, 5]) and, for floats, some NaNs."""
    a = make_array(shape, dtype, rng)
    if dtype in FLOATS:
        a = np.asarray(np.round(a * 2) / 2)
        if nan and a.size:
            a[rng.random(shape) < 0.15] = np.nan
    return a


def dim_samples(nan=True, nonempty_dim=False, **kwargs):
    def gen(dtype, rng):
        for shape, dim in DIM_CASES:
            if nonempty_dim and (shape[dim] if shape else 1) == 0:
                continue
            kw = dict(kwargs)
            kw["dim"] = dim
            yield Sample((_values(shape, dtype, rng, nan),), kw, f"{shape} dim={dim}")
    return gen


def _ranks(x):
    """Dense ranks in PyTorch's order (np.unique puts NaNs last and merges them, and -0 == +0)."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        x = x.astype(np.float32)
    return np.unique(x.ravel(), return_inverse=True)[1].reshape(x.shape)


def ref_argsort(x, dim=-1, descending=False, stable=True):
    x = np.asarray(x)
    if x.ndim == 0:
        return np.zeros((), np.int64)
    key = _ranks(x)
    return np.argsort(-key if descending else key, axis=dim, kind="stable").astype(np.int64)


def ref_sort(x, dim=-1, descending=False, stable=True):
    idx = ref_argsort(x, dim, descending)
    x = np.asarray(x)
    return (x.copy() if x.ndim == 0 else np.take_along_axis(x, idx, dim)), idx


def ref_topk(x, k, dim=-1, largest=True, sorted=True):
    v, i = ref_sort(x, dim, descending=largest)
    if np.ndim(x) == 0:
        return v, i
    return np.take(v, range(k), axis=dim), np.take(i, range(k), axis=dim)


def _reduce_pick(x, dim, keepdim, pos_fn):
    """(value, index) at sorted position pos_fn(sorted_row) of each row along dim."""
    x = np.asarray(x)
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    v, i = ref_sort(x, dim)
    v, i = np.moveaxis(v, dim, -1), np.moveaxis(i, dim, -1)
    pos = np.zeros(v.shape[:-1], np.int64)
    for idx in np.ndindex(*v.shape[:-1]):
        pos[idx] = pos_fn(v[idx])
    vals = np.take_along_axis(v, pos[..., None], -1)
    inds = np.take_along_axis(i, pos[..., None], -1)
    if keepdim:
        return np.moveaxis(vals, -1, dim), np.moveaxis(inds, -1, dim)
    return vals[..., 0], inds[..., 0]


def _finite_count(row):
    row = np.asarray(row)
    return int(np.sum(~np.isnan(row.astype(np.float64)))) if row.dtype.kind == "f" else row.size


def _median_pos(row):
    m = _finite_count(row)
    return m if m < len(row) else (len(row) - 1) // 2


def _nanmedian_pos(row):
    m = _finite_count(row)
    return 0 if m == 0 else (m - 1) // 2


def _mode_pos(row):
    best, best_len, i = 0, 0, 0
    while i < len(row):
        j = i + 1
        while j < len(row) and row[j] == row[i]:
            j += 1
        if j - i > best_len:
            best, best_len = j - 1, j - i
        i = j
    return best


def ref_kthvalue(x, k, dim=-1, keepdim=False):
    return _reduce_pick(x, dim, keepdim, lambda row: k - 1)


def ref_median_all(x):
    flat = np.asarray(x).ravel()
    v, _ = _reduce_pick(flat, 0, False, _median_pos)
    return v


def kth_samples(dtype, rng):
    for shape, dim in DIM_CASES:
        n = shape[dim] if shape else 1
        if n == 0:
            continue
        for k in sorted({1, (n + 1) // 2, n}):
            for keepdim in (False, True):
                yield Sample((_values(shape, dtype, rng),), dict(k=k, dim=dim, keepdim=keepdim),
                             f"{shape} k={k} dim={dim} keepdim={keepdim}")


def topk_samples(dtype, rng):
    for shape, dim in DIM_CASES:
        if not shape:
            continue
        n = shape[dim]
        for k in sorted({0, min(1, n), n // 2, n}):
            for largest in (True, False):
                yield Sample((_values(shape, dtype, rng),), dict(k=k, dim=dim, largest=largest),
                             f"{shape} k={k} dim={dim} largest={largest}")


def reduce_samples(nan=True):
    def gen(dtype, rng):
        for shape, dim in DIM_CASES:
            if (shape[dim] if shape else 1) == 0:
                continue
            for keepdim in (False, True):
                yield Sample((_values(shape, dtype, rng, nan),), dict(dim=dim, keepdim=keepdim),
                             f"{shape} dim={dim} keepdim={keepdim}")
    return gen


def whole_samples(nan=True):
    def gen(dtype, rng):
        for shape in [(), (1,), (6,), (7,), (3, 4), (2, 3, 5)]:
            yield Sample((_values(shape, dtype, rng, nan),), {}, f"{shape}")
    return gen


def ref_unique(x, return_inverse=False, return_counts=False):
    x = np.asarray(x)
    v, inv, cnt = np.unique(x.ravel(), return_inverse=True, return_counts=True)
    out = [v]
    if return_inverse:
        out.append(inv.reshape(x.shape).astype(np.int64))
    if return_counts:
        out.append(cnt.astype(np.int64))
    return out[0] if len(out) == 1 else tuple(out)


def ref_unique_consecutive(x, return_inverse=False, return_counts=False):
    flat = np.asarray(x).ravel()
    starts = [i for i in range(flat.size) if i == 0 or flat[i] != flat[i - 1]]
    v = flat[starts]
    inv = (np.cumsum([i in set(starts) for i in range(flat.size)]) - 1).astype(np.int64).reshape(np.shape(x))
    cnt = np.diff(starts + [flat.size]).astype(np.int64)
    out = [v]
    if return_inverse:
        out.append(inv)
    if return_counts:
        out.append(cnt)
    return out[0] if len(out) == 1 else tuple(out)


def unique_samples(dtype, rng):
    for shape in [(), (0,), (1,), (9,), (3, 4), (2, 3, 5), (50, 20)]:
        for inv, cnt in [(False, False), (True, False), (False, True), (True, True)]:
            yield Sample((_values(shape, dtype, rng, nan=False),), dict(return_inverse=inv, return_counts=cnt),
                         f"{shape} inverse={inv} counts={cnt}")


def ref_searchsorted(seq, values, out_int32=False, right=False, side=None, sorter=None):
    seq, values = np.asarray(seq), np.asarray(values)
    how = "right" if (right or side == "right") else "left"
    if seq.ndim == 1 or values.size == 0:
        out = np.searchsorted(seq.reshape(-1) if seq.ndim == 1 else seq.ravel()[:0], values, side=how)
    else:
        out = np.stack([np.searchsorted(s, v, side=how)
                        for s, v in zip(seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1]))])
        out = out.reshape(values.shape)
    return np.asarray(out).astype(np.int32 if out_int32 else np.int64)


def searchsorted_samples(dtype, rng):
    cases = [((7,), (5,)), ((7,), ()), ((7,), (3, 4)), ((1,), (4,)), ((0,), (3,)), ((6,), (0,)),
             ((3, 8), (3, 5)), ((2, 3, 6), (2, 3, 4)), ((3, 8), (3, 0))]
    for sshape, vshape in cases:
        seq = np.sort(_values(sshape, dtype, rng, nan=False), axis=-1)
        vals = _values(vshape, dtype, rng, nan=False)
        for kw in [{}, dict(right=True), dict(side="right"), dict(side="left", out_int32=True)]:
            yield Sample((seq, vals), dict(kw), f"{sshape} {vshape} {kw}")


def bucketize_samples(dtype, rng):
    for bshape, xshape in [((7,), (5,)), ((7,), ()), ((4,), (3, 4)), ((0,), (3,))]:
        b = np.unique(_values(bshape, dtype, rng, nan=False))
        x = _values(xshape, dtype, rng, nan=False)
        for kw in [{}, dict(right=True), dict(out_int32=True)]:
            yield Sample((x, b), dict(kw), f"{xshape} in {b.shape} {kw}")


def ref_bucketize(x, boundaries, out_int32=False, right=False):
    return ref_searchsorted(boundaries, x, out_int32=out_int32, right=right)


OPS = [
    OpInfo("sort", ref_sort, dim_samples(), dtypes=ALL, out=True, exact=True),
    OpInfo("sort", ref_sort, dim_samples(descending=True), dtypes=ALL, out=True, exact=True,
           fn=lambda lib, x, **kw: lib.sort(x, **kw, stable=True)),
    OpInfo("argsort", ref_argsort, dim_samples(), dtypes=ALL, exact=True,
           fn=lambda lib, x, **kw: lib.argsort(x, **kw, stable=True)),
    OpInfo("argsort", ref_argsort, dim_samples(descending=True), dtypes=ALL, exact=True,
           fn=lambda lib, x, **kw: lib.argsort(x, **kw, stable=True)),
    OpInfo("msort", lambda x: ref_sort(x, 0)[0], whole_samples(), dtypes=ALL, out=True, exact=True),
    OpInfo("topk", ref_topk, topk_samples, dtypes=NUMERIC, out=True, exact=True),
    OpInfo("kthvalue", ref_kthvalue, kth_samples, dtypes=NUMERIC, out=True, exact=True),
    OpInfo("median", lambda x, dim, keepdim: _reduce_pick(x, dim, keepdim, _median_pos), reduce_samples(),
           dtypes=NUMERIC, out=True, exact=True),
    OpInfo("nanmedian", lambda x, dim, keepdim: _reduce_pick(x, dim, keepdim, _nanmedian_pos), reduce_samples(),
           dtypes=NUMERIC, out=True, exact=True),
    OpInfo("median", ref_median_all, whole_samples(), dtypes=NUMERIC, exact=True),
    OpInfo("nanmedian", lambda x: _reduce_pick(np.asarray(x).ravel(), 0, False, _nanmedian_pos)[0],
           whole_samples(), dtypes=NUMERIC, exact=True),
    # NaN modes are left out: PyTorch's choice among NaNs is not a rule worth copying.
    OpInfo("mode", lambda x, dim, keepdim: _reduce_pick(x, dim, keepdim, _mode_pos), reduce_samples(nan=False),
           dtypes=ALL, out=True, exact=True),
    OpInfo("unique", ref_unique, unique_samples, dtypes=ALL, exact=True),
    OpInfo("unique_consecutive", ref_unique_consecutive, unique_samples, dtypes=ALL, exact=True),
    OpInfo("searchsorted", ref_searchsorted, searchsorted_samples, dtypes=NUMERIC, method=False, out=True,
           exact=True),
    OpInfo("bucketize", ref_bucketize, bucketize_samples, dtypes=NUMERIC, method=False, out=True, exact=True),
]
