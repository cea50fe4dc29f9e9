"""Shape and joining ops beyond the op table: type promotion in cat, views vs copies, layouts,
out= resizing, multi-dim roll, repeat_interleave with tensors, meshgrid indexing, and the
returned types (tuples, pydl.Size), with PyTorch as the oracle where it is installed."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")


def same(a, b):
    """pydl result a equals torch result b: values, shape and dtype (recursively for tuples)."""
    if isinstance(b, (tuple, list)):
        assert isinstance(a, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.float().numpy() if a.dtype == pydl.bfloat16 else a.numpy(),
                                  b.float().numpy() if b.dtype == torch.bfloat16 else b.numpy())


def pair(shape, dtype="float32", seed=0):
    a = np.random.default_rng(seed).uniform(-5, 5, shape).astype(dtype)
    return pydl.from_numpy(a.copy()), torch.from_numpy(a.copy())


@pytest.mark.parametrize("dtypes", [("float32", "int64"), ("int8", "uint8"), ("bool", "int16"), ("float16", "bfloat16"),
                                    ("bool", "bool", "float64")])
def test_cat_promotes_like_torch(dtypes):
    ps = [pair((2, 3), "float32", i) for i in range(len(dtypes))]
    ours = [p.to(getattr(pydl, d)) for (p, _), d in zip(ps, dtypes)]
    theirs = [t.to(getattr(torch, d)) for (_, t), d in zip(ps, dtypes)]
    same(pydl.cat(ours, 1), torch.cat(theirs, 1))
    same(pydl.stack(ours), torch.stack(theirs))


def test_cat_skips_legacy_empty_but_promotes_with_it():
    x, tx = pair((2, 3))
    got = pydl.cat([pydl.empty(0, dtype=pydl.float64), x, pydl.empty(0, dtype=pydl.int32)], 1)
    same(got, torch.cat([torch.empty(0, dtype=torch.float64), tx, torch.empty(0, dtype=torch.int32)], 1))
    same(pydl.cat([pydl.empty(0), pydl.empty(0)]), torch.cat([torch.empty(0), torch.empty(0)]))


def test_cat_non_contiguous_and_expanded_inputs():
    x, tx = pair((3, 4))
    ours = [x.t(), x[:, ::2].t(), pydl.ones(1, 3).expand(2, 3)]
    theirs = [tx.t(), tx[:, ::2].t(), torch.ones(1, 3).expand(2, 3)]
    same(pydl.cat(ours), torch.cat(theirs))


def test_cat_out_casts_resizes_empty_and_refuses_bad_out():
    x, tx = pair((2, 3))
    out = pydl.empty(4, 3, dtype=pydl.float64)
    r = pydl.cat([x, x.int()], out=out)
    assert r is out
    same(out, torch.cat([tx, tx.int()]).double())
    out = pydl.empty(0)
    pydl.cat([x, x], 1, out=out)
    assert tuple(out.shape) == (2, 6)
    with pytest.raises(RuntimeError, match=r"\[4, 3\]|\(4, 3\)|4, 3"):
        pydl.cat([x, x], out=pydl.empty(5, 3))
    with pytest.raises(TypeError):
        pydl.cat([x, x], out=pydl.empty(4, 3, dtype=pydl.int32))


def test_cat_out_may_alias_an_input():
    x = pydl.arange(6.0).reshape(2, 3)
    buf = pydl.zeros(4, 3)
    pydl.cat([buf[2:], x], out=buf)  # reads rows 2..3 of buf while writing rows 0..3
    np.testing.assert_array_equal(buf.numpy(), np.concatenate([np.zeros((2, 3)), np.arange(6.0).reshape(2, 3)]))


def test_stack_variants_with_out():
    x, tx = pair((3,))
    for name in ("stack", "hstack", "vstack", "dstack", "column_stack", "row_stack"):
        out = pydl.empty(0)
        r = getattr(pydl, name)([x, x], out=out)
        assert r is out
        same(out, getattr(torch, name)([tx, tx]))


def test_splits_are_views():
    x = pydl.arange(12.0).reshape(3, 4)
    for parts in (pydl.split(x, 2, 1), x.chunk(2, 1), pydl.unbind(x, 1), x.tensor_split([1, 3], 1),
                  pydl.split(x, [1, 3], 1)):
        assert isinstance(parts, tuple)
        assert all(p.untyped_storage().data_ptr() == x.untyped_storage().data_ptr() for p in parts)
    a, b = pydl.split(x, 2)
    a.fill_(-1)
    assert (x[:2].numpy() == -1).all() and x._version > 0


@pytest.mark.parametrize("arg", [3, [1, 3], (0, 2, 2), 1])
def test_tensor_split_matches_torch(arg):
    x, tx = pair((5, 4))
    same(pydl.tensor_split(x, arg, dim=0), torch.tensor_split(tx, arg, dim=0))
    same(x.tensor_split(arg, 1), tx.tensor_split(arg, 1))
    same(pydl.tensor_split(x, pydl.tensor(arg)), torch.tensor_split(tx, torch.tensor(arg)))
    if isinstance(arg, int):
        same(x.tensor_split(sections=arg), tx.tensor_split(sections=arg))
    else:
        same(x.tensor_split(indices=arg), tx.tensor_split(indices=arg))


def test_chunk_and_split_edge_sizes_match_torch():
    for n in range(0, 8):
        x, tx = pair((n,))
        for c in range(1, 6):
            same(x.chunk(c), tx.chunk(c))
            if n:
                same(x.split(c), tx.split(c))


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced", "expanded"])
def test_flip_roll_rot90_on_layouts(layout):
    x, tx = pair((4, 5, 6))
    if layout == "transposed":
        x, tx = x.transpose(0, 2), tx.transpose(0, 2)
    elif layout == "sliced":
        x, tx = x[::2, 1:, ::3], tx[::2, 1:, ::3]
    elif layout == "expanded":
        x, tx = x[:1].expand(3, 5, 6), tx[:1].expand(3, 5, 6)
    for dims in [(0,), (1,), (2,), (0, 2), (0, 1, 2), ()]:
        r = pydl.flip(x, dims)
        same(r, torch.flip(tx, dims))
        assert all(s >= 0 for s in r.stride())  # the reversed read stays internal
    for shifts, dims in [(1, 0), ((2, -3), (1, 2)), ((1, 1, 1), (0, 1, 2)), (7, None), ((1, 2), (0, 0))]:
        same(pydl.roll(x, shifts, dims), torch.roll(tx, shifts, dims))
    for k in range(-5, 6):
        same(pydl.rot90(x, k, (0, 2)), torch.rot90(tx, k, (0, 2)))


def test_flip_of_a_shared_view_does_not_write_the_input():
    x = pydl.arange(6.0)
    y = x.flip(0)
    y.fill_(0)
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0))


def test_roll_many_dims_matches_torch():
    x, tx = pair((2, 3, 2, 3, 2, 3, 2))
    shifts, dims = (1, 2, 1, 2, 1, 2, 1), tuple(range(7))
    same(pydl.roll(x, shifts, dims), torch.roll(tx, shifts, dims))


def test_movedim_is_a_view_and_matches_torch():
    x, tx = pair((2, 3, 4, 5))
    for src, dst in [(0, -1), ((0, 1), (2, 0)), ((3, 1, 0), (0, 1, 2)), ((), ())]:
        r = pydl.movedim(x, src, dst)
        same(r, torch.movedim(tx, src, dst))
        assert r.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    same(x.moveaxis(1, 3), tx.moveaxis(1, 3))
    same(pydl.swapdims(x, 0, 3), torch.swapdims(tx, 0, 3))
    same(x.swapdims(1, 2), tx.swapdims(1, 2))


def test_repeat_tile_match_torch_on_views():
    x, tx = pair((3, 4))
    for reps in [(2, 1), (1, 3, 2), (2, 0), (1, 1)]:
        same(x.t().repeat(*reps), tx.t().repeat(*reps))
        same(x.repeat(reps), tx.repeat(reps))
    for dims in [(2,), (2, 1, 2), ()]:
        same(pydl.tile(x[:, ::2], dims), torch.tile(tx[:, ::2], dims))
        same(x.tile(*dims) if dims else x.tile(dims), tx.tile(*dims) if dims else tx.tile(dims))


def test_repeat_interleave_matches_torch():
    x, tx = pair((3, 4))
    same(pydl.repeat_interleave(x, 2), torch.repeat_interleave(tx, 2))
    same(x.repeat_interleave(3, dim=0), tx.repeat_interleave(3, dim=0))
    for reps in ([1, 0, 2], [0, 0, 0], [4, 1, 2]):
        r, tr = pydl.tensor(reps), torch.tensor(reps)
        same(pydl.repeat_interleave(x, r, dim=0), torch.repeat_interleave(tx, tr, dim=0))
        same(x.t().repeat_interleave(r.int(), dim=1), tx.t().repeat_interleave(tr.int(), dim=1))
        same(pydl.repeat_interleave(r), torch.repeat_interleave(tr))
    same(pydl.repeat_interleave(x, pydl.tensor(2), dim=1), torch.repeat_interleave(tx, torch.tensor(2), dim=1))
    same(pydl.repeat_interleave(x, pydl.tensor([2, 1, 1]), dim=0, output_size=4),
         torch.repeat_interleave(tx, torch.tensor([2, 1, 1]), dim=0, output_size=4))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float16", "bfloat16", "float64"])
def test_tril_triu_batched_layouts_and_in_place(dtype):
    x, tx = pair((3, 5, 4), "float32")
    x, tx = x.to(getattr(pydl, dtype)), tx.to(getattr(torch, dtype))
    for k in (-7, -2, 0, 1, 3, 2**62, -2**62):
        for view in (lambda t: t, lambda t: t.transpose(1, 2), lambda t: t[:, ::2], lambda t: t[:1].expand(2, 5, 4)):
            same(pydl.tril(view(x), k), torch.tril(view(tx), k))
            same(view(x).triu(k), view(tx).triu(k))
        y, ty = x.transpose(1, 2).clone(), tx.transpose(1, 2).clone()
        v = y._version
        assert y.tril_(k) is y and y._version > v
        same(y, ty.tril_(k))
        y, ty = x[:, 1:].clone(), tx[:, 1:].clone()
        same(y.triu_(k), ty.triu_(k))


def test_tril_out_and_in_place_on_overlapping_memory():
    x, tx = pair((4, 4))
    out = pydl.empty(0)
    assert pydl.triu(x, 1, out=out) is out
    same(out, torch.triu(tx, 1))
    y = x.clone()
    pydl.tril(y.t(), out=y)  # out overlaps the transposed input
    same(y, torch.tril(tx.t()))


def test_diag_family_matches_torch():
    x, tx = pair((3, 4))
    v, tv = pair((3,))
    for k in (-4, -1, 0, 2, 5):
        same(pydl.diag(x, k), torch.diag(tx, k))
        same(v.diag(k), tv.diag(k))
        same(pydl.diagflat(x, k), torch.diagflat(tx, k))
    out = pydl.empty(0, dtype=pydl.float64)
    assert pydl.diag(v, 1, out=out) is out
    same(out, torch.diag(tv, 1).double())
    b, tb = pair((2, 3, 4))
    for args in [(), (1,), (-2, 0, 2), (0, 3, 1), (1, -1, 0)]:
        same(pydl.diag_embed(b, *args), torch.diag_embed(tb, *args))
    same(pydl.diagonal(b, 1, 2, 0), torch.diagonal(tb, 1, 2, 0))


def test_broadcasting_helpers():
    a, ta = pair((3, 1))
    b, tb = pair((4,))
    same(pydl.broadcast_tensors(a, b), torch.broadcast_tensors(ta, tb))
    r = pydl.broadcast_tensors(a, b)
    assert r[0].untyped_storage().data_ptr() == a.untyped_storage().data_ptr() and r[0].stride()[1] == 0
    same(pydl.broadcast_to(a, (2, 3, 5)), torch.broadcast_to(ta, (2, 3, 5)))
    same(a.broadcast_to((3, -1)), ta.broadcast_to((3, -1)))
    s = pydl.broadcast_shapes((2, 1), (3,), 1, ())
    assert isinstance(s, pydl.Size) and s == torch.broadcast_shapes((2, 1), (3,), 1, ())
    assert pydl.broadcast_shapes() == torch.broadcast_shapes()


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_torch(indexing):
    a, ta = pair((3,))
    b, tb = pair((4,), seed=1)
    c, tc = pair((), seed=2)
    for ours, theirs in [((a, b), (ta, tb)), ((a, b, c), (ta, tb, tc)), ((a,), (ta,))]:
        same(pydl.meshgrid(*ours, indexing=indexing), torch.meshgrid(*theirs, indexing=indexing))
        same(pydl.meshgrid(list(ours), indexing=indexing), torch.meshgrid(list(theirs), indexing=indexing))
    same(pydl.meshgrid(a, b), torch.meshgrid(ta, tb, indexing="ij"))  # torch's default


def test_atleast_return_types():
    x = pydl.tensor(1.0)
    assert isinstance(pydl.atleast_2d(x), pydl.Tensor) and tuple(pydl.atleast_2d(x).shape) == (1, 1)
    r = pydl.atleast_3d(x, pydl.ones(2))
    assert isinstance(r, tuple) and [tuple(t.shape) for t in r] == [(1, 1, 1), (1, 2, 1)]
    r = pydl.atleast_1d([x])
    assert isinstance(r, tuple) and tuple(r[0].shape) == (1,)
    y = pydl.ones(2, 3)
    assert pydl.atleast_2d(y) is y


def test_view_function_forms_share_memory():
    x = pydl.arange(24.0).reshape(2, 3, 4)
    for v in (pydl.reshape(x, (6, 4)), pydl.transpose(x, 0, 2), pydl.permute(x, (2, 0, 1)), pydl.squeeze(x),
              pydl.unsqueeze(x, 0), pydl.flatten(x), pydl.unflatten(x, 2, (2, 2)), pydl.narrow(x, 1, 1, 2),
              pydl.select(x, 2, 0), pydl.t(x[0]), pydl.as_strided(x, (2, 2), (1, 2), 3), pydl.detach(x),
              pydl.swapaxes(x, 0, 1), pydl.diagonal(x)):
        assert v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    c = pydl.clone(x)
    assert c.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
    assert pydl.numel(x) == 24


def test_large_cat_and_flip_use_the_parallel_path():
    x, tx = pair((300, 257))
    same(pydl.cat([x, x.t().contiguous().t()], 0), torch.cat([tx, tx], 0))
    same(pydl.flip(x, (0, 1)), torch.flip(tx, (0, 1)))
    same(pydl.tril(x, 5), torch.tril(tx, 5))
