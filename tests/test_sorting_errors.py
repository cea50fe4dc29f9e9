"""Bad input to the sorting and searching ops raises PyTorch's exception class (checked against
torch when it is installed) with a message naming the op."""
import pytest

import pydl

from torch_oracle import check_error


def cases():
    def t(lib, data, **kw):
        return lib.tensor(data, **kw)
    return [
        # (id, expected class, call(lib), message fragment)
        ("topk k > n", RuntimeError, lambda lib: lib.topk(t(lib, [1.0, 2.0]), 3), "topk"),
        ("topk k < 0", RuntimeError, lambda lib: lib.topk(t(lib, [1.0, 2.0]), -1), "topk"),
        ("topk bool", RuntimeError, lambda lib: lib.topk(t(lib, [True, False]), 1), "bool"),
        ("topk dim", IndexError, lambda lib: lib.topk(t(lib, [[1.0]]), 1, dim=2), "Dimension out of range"),
        ("kthvalue k=0", RuntimeError, lambda lib: lib.kthvalue(t(lib, [1.0, 2.0]), 0), "kthvalue"),
        ("kthvalue k > n", RuntimeError, lambda lib: lib.kthvalue(t(lib, [1.0, 2.0]), 3), "kthvalue"),
        ("kthvalue empty", IndexError, lambda lib: lib.kthvalue(lib.empty(0), 1), "non-zero size"),
        ("kthvalue bool", NotImplementedError, lambda lib: lib.kthvalue(t(lib, [True]), 1), "Bool"),
        ("sort dim", IndexError, lambda lib: lib.sort(t(lib, [1.0, 2.0]), 1), "Dimension out of range"),
        ("sort dim 0-d", IndexError, lambda lib: lib.sort(t(lib, 1.0), 1), "Dimension out of range"),
        ("argsort dim", IndexError, lambda lib: lib.argsort(t(lib, [[1.0]]), -3), "Dimension out of range"),
        ("sort out dtype", RuntimeError,
         lambda lib: lib.sort(t(lib, [1.0]), out=(lib.empty(1, dtype=lib.float64), lib.empty(1, dtype=lib.int64))),
         "dtype"),
        ("sort out indices dtype", RuntimeError,
         lambda lib: lib.sort(t(lib, [1.0]), out=(lib.empty(1), lib.empty(1, dtype=lib.int32))), "dtype"),
        ("sort out not a pair", TypeError, lambda lib: lib.sort(t(lib, [1.0]), out=lib.empty(1)), "out"),
        ("median dim", IndexError, lambda lib: lib.median(t(lib, [1.0]), 1), "Dimension out of range"),
        ("median empty dim", IndexError, lambda lib: lib.median(lib.empty(0, 3), 0), "non-zero size"),
        ("median bool", NotImplementedError, lambda lib: lib.median(t(lib, [True])), "Bool"),
        ("nanmedian bool dim", NotImplementedError, lambda lib: lib.nanmedian(t(lib, [True]), 0), "Bool"),
        ("mode empty dim", IndexError, lambda lib: lib.mode(lib.empty(3, 0), 1), "non-zero size"),
        ("mode dim", IndexError, lambda lib: lib.mode(t(lib, [1, 2]), 3), "Dimension out of range"),
        ("searchsorted leading dims", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(2, 3), lib.zeros(3, 3)), "boundaries tensor"),
        ("searchsorted rank", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(2, 3), lib.zeros(2)), "boundaries tensor"),
        ("searchsorted 0-d boundaries", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(()), lib.zeros(2)), "boundaries"),
        ("searchsorted scalar N-D", RuntimeError, lambda lib: lib.searchsorted(lib.zeros(2, 3), 1.0), "scalar"),
        ("searchsorted sorter dtype", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2), sorter=lib.zeros(3)), "sorter"),
        ("searchsorted sorter shape", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2), sorter=lib.zeros(2, dtype=lib.int64)), "sorter"),
        ("searchsorted sorter range", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2), sorter=lib.tensor([0, 5, 1])), "sorter"),
        ("searchsorted side/right", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2), side="left", right=True), "side"),
        ("searchsorted bad side", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2), side="middle"), "side"),
        ("searchsorted out dtype", RuntimeError,
         lambda lib: lib.searchsorted(lib.zeros(3), lib.zeros(2), out=lib.empty(2)), "dtype"),
        ("searchsorted bool", NotImplementedError,
         lambda lib: lib.searchsorted(t(lib, [False, True]), t(lib, [True])), "Bool"),
        ("bucketize 2-D", RuntimeError, lambda lib: lib.bucketize(lib.zeros(3), lib.zeros(2, 2)), "1 dimension"),
        ("unique bad input", TypeError, lambda lib: lib.unique([1, 2]), ""),
        ("unique dim 0-d", IndexError, lambda lib: lib.unique(t(lib, 3), dim=0), "no dimensions"),
        ("unique dim range", IndexError, lambda lib: lib.unique(lib.zeros(2, 2), dim=2), "Dimension out of range"),
        ("unique dim zero-size", RuntimeError, lambda lib: lib.unique(lib.zeros(3, 0), dim=0), "0 sized"),
        ("unique_consecutive dim range", IndexError,
         lambda lib: lib.unique_consecutive(lib.zeros(2), dim=-2), "Dimension out of range"),
    ]


@pytest.mark.parametrize("expected,call,fragment", [pytest.param(e, c, f, id=i) for i, e, c, f in cases()])
def test_error_class_matches_torch(expected, call, fragment):
    check_error(expected, call, fragment)
