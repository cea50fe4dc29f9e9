"""Bad input to the indexing ops: PyTorch's exception class (checked against torch) and a
message naming the bad index, the dim and the size, or the op and the shapes/dtypes. Nothing
out of range may read or write memory: every case below would otherwise touch wild memory."""
import pytest

import pydl

torch = pytest.importorskip("torch")
from torch_oracle import both  # noqa: E402


def x35(L):
    return L.arange(15.0).reshape(3, 5)


def i(L, *v):
    return L.tensor(list(v))


CASES = [
    # (id, call, words the pydl message must contain)
    # advanced indexing
    ("getitem-oob", lambda L: x35(L)[[5]], ["index 5", "dimension 0", "size 3"]),
    ("getitem-oob-neg", lambda L: x35(L)[:, i(L, -6)], ["-6", "dimension 1", "size 5"]),
    ("getitem-oob-large", lambda L: x35(L)[i(L, 2 ** 40)], ["1099511627776", "size 3"]),
    ("getitem-float", lambda L: x35(L)[L.tensor([0.5])], ["long", "bool"]),
    ("getitem-broadcast", lambda L: x35(L)[[0, 1], [0, 1, 2]], ["shape mismatch", "[2]", "[3]"]),
    ("getitem-mask-shape", lambda L: x35(L)[L.ones(3, 4, dtype=L.bool)], ["mask", "[3, 4]", "[3, 5]"]),
    ("getitem-too-many", lambda L: x35(L)[[0], [0], [0]], ["too many indices"]),
    ("setitem-oob", lambda L: x35(L).__setitem__(([0], [7]), 1.0), ["index 7", "dimension 1", "size 5"]),
    ("setitem-shape", lambda L: x35(L).__setitem__([0, 1], L.ones(3)), ["shape mismatch", "[3]", "[2, 5]"]),
    ("index_put-dtype", lambda L: x35(L).index_put_((i(L, 0),), L.ones(5, dtype=L.float64)), ["float32", "float64"]),
    ("index_put-oob-accumulate", lambda L: x35(L).index_put_((i(L, 3),), L.tensor(1.0), accumulate=True), ["index 3"]),
    # gather / scatter family: RuntimeError in torch
    ("gather-oob", lambda L: x35(L).gather(1, L.tensor([[7]])), ["index 7", "dimension 1", "size 5"]),
    ("gather-negative", lambda L: x35(L).gather(0, L.tensor([[-1]])), ["index -1", "dimension 0"]),
    ("gather-ndim", lambda L: x35(L).gather(0, i(L, 0)), ["Index tensor", "dimensions"]),
    ("gather-dtype", lambda L: x35(L).gather(0, L.tensor([[0]], dtype=L.int16)), ["gather", "int64"]),
    ("gather-shape", lambda L: x35(L).gather(0, L.zeros(1, 6, dtype=L.int64)), ["gather", "[1, 6]", "[3, 5]"]),
    ("scatter-oob", lambda L: x35(L).scatter(0, L.tensor([[3]]), 1.0), ["index 3", "dimension 0", "size 3"]),
    ("scatter-src-dtype", lambda L: x35(L).scatter(0, L.tensor([[0]]), L.ones(1, 1, dtype=L.float64)),
     ["scatter", "float64"]),
    ("scatter-src-small", lambda L: x35(L).scatter(0, L.zeros(2, 2, dtype=L.int64), L.ones(1, 2)), ["scatter", "src"]),
    ("scatter-reduce-name", lambda L: x35(L).scatter(0, L.tensor([[0]]), L.ones(1, 1), reduce="max"), ["reduce"]),
    ("scatter_add-oob", lambda L: x35(L).scatter_add(1, L.tensor([[9]]), L.ones(1, 1)), ["index 9"]),
    ("scatter_reduce-name", lambda L: x35(L).scatter_reduce(0, L.tensor([[0]]), L.ones(1, 1), "avg"),
     ["reduce", "avg"]),
    ("scatter-expanded", lambda L: L.zeros(3, 1).expand(3, 5).scatter_(0, L.tensor([[0]]), 1.0),
     ["more than one element"]),
    ("take_along_dim-ndim", lambda L: L.take_along_dim(x35(L), i(L, 0), dim=0), ["take_along_dim", "dimensions"]),
    # index_* ops
    ("index_select-oob", lambda L: x35(L).index_select(0, i(L, 3)), ["index 3", "size 3"]),
    ("index_select-neg", lambda L: x35(L).index_select(0, i(L, -1)), ["index -1", "size 3"]),
    ("index_select-2d", lambda L: x35(L).index_select(0, L.zeros(1, 1, dtype=L.int64)), ["index_select", "vector"]),
    ("index_select-float", lambda L: x35(L).index_select(0, L.tensor([0.0])), ["index_select", "int64"]),
    ("index_add-shape", lambda L: x35(L).index_add(0, i(L, 0), L.ones(1, 4)), ["index_add", "[1, 4]"]),
    ("index_add-dtype", lambda L: x35(L).index_add(0, i(L, 0), L.ones(1, 5, dtype=L.float64)), ["index_add"]),
    ("index_add-oob", lambda L: x35(L).index_add(0, i(L, 3), L.ones(1, 5)), ["index 3", "size 3"]),
    ("index_copy-oob", lambda L: x35(L).index_copy(1, i(L, -1), L.ones(3, 1)), ["index -1", "dimension 1"]),
    ("index_fill-value", lambda L: x35(L).index_fill(0, i(L, 0), L.ones(2)), ["0-dimensional", "1 dimension"]),
    ("index_fill-oob", lambda L: x35(L).index_fill(0, i(L, 4), 1.0), ["index 4", "size 3"]),
    # masked_* ops
    ("masked_fill-mask-dtype", lambda L: x35(L).masked_fill(L.ones(3, 5), 1.0), ["masked_fill", "mask"]),
    ("masked_fill-value-dim", lambda L: x35(L).masked_fill(x35(L) > 3, L.ones(2)), ["0-dimensional", "1 dimension"]),
    ("masked_fill_-broadcast", lambda L: L.ones(5).masked_fill_(L.ones(3, 5, dtype=L.bool), 0.0), ["[5]", "[3, 5]"]),
    ("masked_select-dtype", lambda L: x35(L).masked_select(L.ones(3, 5)), ["masked_select", "mask"]),
    ("masked_scatter-small", lambda L: x35(L).masked_scatter(x35(L) > 3, L.ones(4)), ["masked_scatter", "4"]),
    ("masked_scatter-dtype", lambda L: x35(L).masked_scatter(x35(L) > 3, L.ones(15, dtype=L.float64)),
     ["masked_scatter"]),
    # take / put
    ("take-oob", lambda L: x35(L).take(i(L, 15)), ["15", "15"]),
    ("take-oob-neg", lambda L: x35(L).take(i(L, -16)), ["-16"]),
    ("put-oob", lambda L: x35(L).put_(i(L, 20), L.tensor([1.0])), ["20"]),
    ("put-numel", lambda L: x35(L).put_(i(L, 0, 1), L.tensor([1.0])), ["put_", "source", "index"]),
    # counting ops
    ("bincount-negative", lambda L: L.bincount(i(L, 1, -1)), ["bincount", "non-negative"]),
    ("bincount-2d", lambda L: L.bincount(L.zeros(2, 2, dtype=L.int64)), ["bincount", "1-d"]),
    ("bincount-float", lambda L: L.bincount(L.tensor([1.0])), ["bincount", ("Float", "float32")]),
    ("bincount-weights", lambda L: L.bincount(i(L, 1, 2), L.ones(3)), ["weights", "same length"]),
    ("bincount-minlength", lambda L: L.bincount(i(L, 1), minlength=-1), ["minlength"]),
    ("histc-int", lambda L: L.histc(i(L, 1, 2)), ["histogram", ("Int", "Long", "int64")]),
    ("histc-bins", lambda L: L.histc(L.ones(3), bins=0), ["bins", "0"]),
    ("histc-range", lambda L: L.histc(L.ones(3), min=2, max=1), ["max", "min"]),
    ("one_hot-dtype", lambda L: L.nn.functional.one_hot(L.tensor([1.0])), ["one_hot", "Long"]),
    ("one_hot-big", lambda L: L.nn.functional.one_hot(i(L, 0, 3), 3), ["smaller than num_classes"]),
    ("one_hot-negative", lambda L: L.nn.functional.one_hot(i(L, -1)), ["non-negative"]),
    ("one_hot-empty", lambda L: L.nn.functional.one_hot(L.zeros(0, dtype=L.int64)), ["empty"]),
    ("nonzero-out-dtype", lambda L: L.nonzero(L.ones(2), out=L.empty(0, dtype=L.float32)),
     ["nonzero", ("Long", "int64"), ("Float", "float32")]),
]


@pytest.mark.parametrize("call,words", [pytest.param(c, w, id=n) for n, c, w in CASES])
def test_error_class_matches_torch_and_message_is_specific(call, words):
    mine, theirs = both(call)
    assert type(mine) is type(theirs), \
        f"pydl raised {type(mine).__name__}: {mine}; torch {type(theirs).__name__}: {theirs}"
    for w in words:  # a tuple lists alternative spellings (dtype names)
        assert any(a in str(mine) for a in (w if isinstance(w, tuple) else (w,))), f"{w!r} not in {str(mine)!r}"


def test_failed_scatter_leaves_no_partial_garbage_outside_self():
    # An out-of-range index raises before or while writing self, never past its end.
    guard = pydl.zeros(10)
    x = guard[2:5]
    with pytest.raises(RuntimeError):
        x.scatter_(0, pydl.tensor([0, 3]), 1.0)
    assert guard[5:].tolist() == [0.0] * 5 and guard[:2].tolist() == [0.0] * 2
    with pytest.raises(IndexError):
        x[pydl.tensor([1, 3])] = 7.0
    assert guard[5:].tolist() == [0.0] * 5


def test_too_many_index_tensors_is_a_clear_error():
    x = pydl.zeros(*([2] * 7))
    with pytest.raises(NotImplementedError, match="index tensors"):
        x[tuple([pydl.tensor([0])] * 7)]
