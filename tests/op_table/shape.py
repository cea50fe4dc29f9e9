"""Op table rows for shape and joining ops (tests/op_table/__init__.py): cat/stack/split,
flip/roll/rot90, repeat/tile, tril/triu/diag, broadcasting and the function forms of view ops."""
import numpy as np

from . import ALL, Keep, OpInfo, Sample, make_array


def cases(*specs):
    """samples(dtype, rng) from specs of (shapes, extra_args, kwargs): arrays of those shapes
    (a list of shapes becomes one list-of-tensors argument), then the extra args."""
    def gen(dtype, rng):
        for shapes, extra, kw in specs:
            args = []
            for s in shapes:
                if isinstance(s, list):
                    args.append([make_array(x, dtype, rng) for x in s])
                else:
                    args.append(make_array(s, dtype, rng))
            yield Sample(tuple(args) + tuple(extra), dict(kw), f"{shapes} {extra} {kw}")
    return gen


def _not_legacy_empty(a):
    return not (a.ndim == 1 and a.size == 0)


def _cat(ts, dim=0, axis=None):
    kept = [t for t in ts if _not_legacy_empty(t)] or list(ts)
    return np.concatenate(kept, axis=dim if axis is None else axis)


def _split(a, size_or_sizes, dim=0):
    n = a.shape[dim]
    if isinstance(size_or_sizes, (list, tuple)):
        idx = np.cumsum(size_or_sizes)[:-1]
    else:
        idx = list(range(size_or_sizes, n, size_or_sizes)) if size_or_sizes else []
    return tuple(np.split(a, idx, axis=dim))


def _chunk(a, chunks, dim=0):
    n = a.shape[dim]
    size = -(-n // chunks)
    return _split(a, size, dim) if size else tuple(np.split(a, [0] * (chunks - 1), axis=dim))


def _tensor_split(a, sections_or_indices, dim=0):
    return tuple(np.array_split(a, sections_or_indices, axis=dim))


def _repeat_interleave(a, repeats, dim=None, output_size=None):
    return np.repeat(a, repeats, axis=dim)


def _diag_embed(a, offset=0, dim1=-2, dim2=-1):
    n = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n), dtype=a.dtype)
    i = np.arange(a.shape[-1])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., r, c] = a
    nd = a.ndim + 1
    d1, d2 = dim1 % nd, dim2 % nd
    # The two new dims sit at the end of `out`; move them to dim1, dim2.
    return np.moveaxis(out, (-2, -1), (d1, d2))


def _flatten(a, start_dim=0, end_dim=-1):
    if a.ndim == 0:
        return a.reshape(1)
    s, e = start_dim % a.ndim, end_dim % a.ndim
    return a.reshape(a.shape[:s] + (-1,) + a.shape[e + 1:]) if a.size else \
        a.reshape(a.shape[:s] + (int(np.prod(a.shape[s:e + 1])),) + a.shape[e + 1:])


def _unflatten(a, dim, sizes):
    d = dim % a.ndim
    return a.reshape(a.shape[:d] + tuple(sizes) + a.shape[d + 1:])


def _narrow(a, dim, start, length):
    return np.take(a, range(start % a.shape[dim], start % a.shape[dim] + length), axis=dim)


def _as_strided(a, size, stride, storage_offset=0):
    flat = np.ascontiguousarray(a).reshape(-1)[storage_offset:]
    return np.lib.stride_tricks.as_strided(flat, size, [s * a.itemsize for s in stride]).copy()


def _meshgrid(*ts, indexing="ij"):
    return tuple(np.meshgrid(*ts, indexing=indexing))


def _atleast(fn):
    def ref(*ts):
        r = fn(*ts)
        return tuple(r) if isinstance(r, list) else r
    return ref


def row(name, ref, samples, **kw):
    kw.setdefault("dtypes", ALL)
    kw.setdefault("exact", True)
    kw.setdefault("differentiable", name not in ("numel",))
    return OpInfo(name, ref, samples, **kw)


_CAT = cases(([[(2, 3), (4, 3)]], (), {}), ([[(2, 3), (2, 1), (2, 0)]], (1,), {}), ([[(3,), (0,), (2,)]], (), {}),
             ([[(0,), (2, 3)]], (), {"dim": -1}), ([[(2, 0, 3), (2, 2, 3)]], (), {"dim": 1}), ([[(5,)]], (), {}),
             ([[(0,), (0,)]], (), {}))
_STACK = cases(([[(2, 3), (2, 3), (2, 3)]], (), {}), ([[(2, 3), (2, 3)]], (2,), {}), ([[(), ()]], (), {}),
               ([[(0, 3), (0, 3)]], (), {"dim": -1}))
_HV = cases(([[(3,), (4,)]], (), {}), ([[(2, 3), (2, 1)]], (), {}), ([[(), ()]], (), {}), ([[(2, 2, 1), (2, 1, 1)]], (), {}))
_V = cases(([[(3,), (3,)]], (), {}), ([[(2, 3), (1, 3)]], (), {}), ([[(), ()]], (), {}), ([[(2, 3), (3,)]], (), {}))
_D = cases(([[(3,), (3,)]], (), {}), ([[(2, 3), (2, 3)]], (), {}), ([[(), ()]], (), {}), ([[(2, 3, 1), (2, 3, 2)]], (), {}))
_COL = cases(([[(3,), (3,)]], (), {}), ([[(3,), (3, 2)]], (), {}), ([[(), ()]], (), {}))


def _one(*specs):
    return cases(*[((s,), a, k) for s, a, k in specs])


OPS = [
    # --- joining
    row("cat", _cat, _CAT, method=False, out=True),
    row("concat", _cat, _CAT, method=False, out=True),
    row("concatenate", _cat, cases(([[(2, 3), (2, 1)]], (), {"axis": 1}), ([[(2, 3), (4, 3)]], (), {})),
        method=False, out=True),
    row("stack", lambda ts, dim=0: np.stack(ts, axis=dim), _STACK, method=False, out=True),
    row("hstack", lambda ts: np.hstack(ts), _HV, method=False, out=True),
    row("vstack", lambda ts: np.vstack(ts), _V, method=False, out=True),
    row("row_stack", lambda ts: np.vstack(ts), _V, method=False, out=True),
    row("dstack", lambda ts: np.dstack(ts), _D, method=False, out=True),
    row("column_stack", lambda ts: np.column_stack(ts), _COL, method=False, out=True),
    row("atleast_1d", _atleast(np.atleast_1d), cases((((),), (), {}), (((3,),), (), {}), (((), (2, 3)), (), {})),
        method=False),
    row("atleast_2d", _atleast(np.atleast_2d), cases((((),), (), {}), (((3,),), (), {}), (((4,), (2, 3, 1)), (), {})),
        method=False),
    row("atleast_3d", _atleast(np.atleast_3d), cases((((),), (), {}), (((3,),), (), {}),
                                                     (((2, 3), (), (1, 2, 3, 4)), (), {})), method=False),
    # --- splitting (views)
    row("split", _split, _one(((7, 3), (3,), {}), ((7, 3), (2,), {"dim": 1}), ((7, 3), ([2, 0, 5],), {}),
                              ((4, 6), ([1, 5],), {"dim": -1}), ((0, 2), (2,), {}), ((0,), (0,), {}))),
    row("chunk", _chunk, _one(((7, 3), (3,), {}), ((6,), (4,), {}), ((2, 5), (2,), {"dim": 1}), ((0,), (3,), {}),
                              ((3, 2), (5,), {}))),
    row("unbind", lambda a, dim=0: tuple(np.moveaxis(a, dim, 0)), _one(((3, 4), (), {}), ((3, 4), (1,), {}),
                                                                      ((2, 0, 3), (-1,), {}))),
    row("tensor_split", _tensor_split, _one(((7, 3), (3,), {}), ((5,), ([1, 4],), {}), ((3, 6), ([4, 2, 9],), {"dim": 1}),
                                            ((5, 2), (7,), {}), ((6,), ([-2],), {}))),
    # --- reordering
    row("flip", lambda a, dims: np.flip(a, dims), _one(((2, 3, 4), ((0, 2),), {}), ((5,), ((0,),), {}), ((3, 4), (-1,), {}),
                                                       ((0, 3), ((0, 1),), {}), ((), ((),), {}), ((2, 3), ((),), {}))),
    row("fliplr", np.fliplr, _one(((2, 3), (), {}), ((2, 3, 4), (), {}))),
    row("flipud", np.flipud, _one(((5,), (), {}), ((2, 3, 4), (), {}))),
    row("roll", lambda a, shifts, dims=None: np.roll(a, shifts, dims),
        _one(((2, 3, 4), (1,), {}), ((5,), (-7,), {}), ((3, 4), ((1, -2), (0, 1)), {}), ((3, 4), (5, 1), {}),
             ((2, 3, 4, 2, 3, 2), ((1, 1, 1, 1, 1, 1), (0, 1, 2, 3, 4, 5)), {}), ((0, 3), (1, 1), {}), ((), (3,), {}),
             ((3, 4), ((1, 2), (1, 1)), {}))),
    row("rot90", lambda a, k=1, dims=(0, 1): np.rot90(a, k, dims),
        _one(((2, 3), (), {}), ((2, 3, 4), (2, (1, 2)), {}), ((2, 3), (-1,), {}), ((2, 3), (3, (1, 0)), {}),
             ((2, 3), (4,), {}), ((2, 3, 4), (1, (-1, 0)), {}))),
    row("movedim", np.moveaxis, _one(((2, 3, 4), (0, 2), {}), ((2, 3, 4, 5), ((0, 1), (3, 0)), {}))),
    row("moveaxis", np.moveaxis, _one(((2, 3, 4), (-1, 0), {}))),
    row("swapaxes", np.swapaxes, _one(((2, 3, 4), (0, 2), {}), ((3,), (0, -1), {}))),
    row("swapdims", np.swapaxes, _one(((2, 3, 4), (0, 2), {}))),
    # --- repetition
    row("repeat", lambda a, *reps: np.tile(a, reps), _one(((2, 3), (2, 3), {}), ((3,), (2, 1, 2), {}), ((), (3,), {}),
                                                         ((2, 3), (0, 2), {}), ((0, 2), (2, 2), {})),
        fn=lambda lib, x, *r: x.repeat(*r), method=False),
    row("tile", lambda a, dims: np.tile(a, dims), _one(((2, 3), ((2,),), {}), ((3,), ((2, 2),), {}), ((2, 3), ((),), {}))),
    row("repeat_interleave", _repeat_interleave,
        _one(((2, 3), (2,), {}), ((2, 3), (3,), {"dim": 1}), ((2, 3), (Keep(np.array([1, 0, 2])),), {"dim": 1}),
             ((4,), (Keep(np.array([2])),), {}), ((), (3,), {}), ((2, 3), (0,), {"dim": 0}),
             ((3, 2), (Keep(np.array([1, 2, 3])),), {"dim": 0, "output_size": 6}))),
    # --- triangles and diagonals
    row("tril", np.tril, _one(((4, 5), (), {}), ((2, 3, 4), (1,), {}), ((5, 3), (-2,), {}), ((3, 3), (10,), {}),
                              ((3, 3), (-10,), {}), ((0, 3), (), {}), ((65, 33), (3,), {})),
        inplace=True, out=True),
    row("triu", np.triu, _one(((4, 5), (), {}), ((2, 3, 4), (1,), {}), ((5, 3), (-2,), {}), ((3, 3), (10,), {}),
                              ((3, 3), (-10,), {}), ((2, 0), (), {}), ((33, 65), (-3,), {})),
        inplace=True, out=True),
    row("diag", lambda a, diagonal=0: np.diag(a, diagonal),
        _one(((3,), (), {}), ((3,), (2,), {}), ((3,), (-1,), {}), ((3, 4), (), {}), ((3, 4), (2,), {}), ((3, 4), (-5,), {}),
             ((0,), (), {})), out=True),
    row("diag_embed", _diag_embed, _one(((3,), (), {}), ((2, 3), (1,), {}), ((2, 3), (-1, 0, 2), {}), ((2, 3), (0, 2, 0), {}))),
    row("diagflat", lambda a, offset=0: np.diagflat(a, offset), _one(((2, 3), (), {}), ((3,), (-1,), {}), ((), (1,), {}))),
    row("diagonal", lambda a, offset=0, dim1=0, dim2=1: np.diagonal(a, offset, dim1, dim2),
        _one(((3, 4), (), {}), ((2, 3, 4), (1, 1, 2), {}), ((3, 4), (-1,), {}))),
    # --- broadcasting
    row("broadcast_to", lambda a, size: np.broadcast_to(a, size), _one(((3, 1), ((2, 3, 4),), {}), ((), ((2,),), {}),
                                                                     ((3,), ((0, 3),), {}))),
    row("broadcast_tensors", lambda *ts: tuple(np.broadcast_arrays(*ts)),
        cases((((3, 1), (4,)), (), {}), (((2, 1, 3), (), (5, 1)), (), {}), (((3,),), (), {})), method=False),
    row("meshgrid", _meshgrid, cases((((3,), (4,)), (), {"indexing": "ij"}), (((3,), (4,), (2,)), (), {"indexing": "xy"}),
                                     (((3,), ()), (), {"indexing": "xy"}), (((5,),), (), {"indexing": "ij"})),
        method=False),
    # --- function forms of view ops
    row("reshape", np.reshape, _one(((2, 3, 4), ((4, 6),), {}), ((2, 3), ((-1,),), {}), ((), ((1, 1),), {}))),
    row("transpose", np.swapaxes, _one(((2, 3, 4), (0, -1), {}))),
    row("permute", np.transpose, _one(((2, 3, 4), ((2, 0, 1),), {}))),
    row("squeeze", lambda a, dim=None: np.squeeze(a, dim), _one(((2, 1, 3, 1), (), {}), ((2, 1, 3), (1,), {}))),
    row("unsqueeze", np.expand_dims, _one(((2, 3), (1,), {}), ((2, 3), (-1,), {}))),
    row("flatten", _flatten, _one(((2, 3, 4), (), {}), ((2, 3, 4), (1,), {}), ((2, 3, 4, 5), (1, 2), {}))),
    row("unflatten", _unflatten, _one(((2, 12), (1, (3, 4)), {}), ((6,), (0, (-1, 2)), {}))),
    row("narrow", _narrow, _one(((5, 3), (0, 1, 3), {}), ((5, 3), (1, -2, 2), {}))),
    row("select", lambda a, dim, index: np.take(a, index, axis=dim), _one(((5, 3), (0, 1), {}), ((5, 3), (1, -1), {}))),
    row("t", np.transpose, _one(((2, 3), (), {}), ((3,), (), {}))),
    row("as_strided", _as_strided, _one(((3, 4), ((2, 2), (1, 2)), {}), ((3, 4), ((3,), (4,), 1), {})), layouts=False),
    row("clone", np.copy, _one(((2, 3), (), {}), ((), (), {}))),
    row("detach", np.copy, _one(((2, 3), (), {}))),
    row("numel", np.size, _one(((2, 3), (), {}), ((0, 3), (), {}))),
]
