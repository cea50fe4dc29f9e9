"""Bad input to softmax / log_softmax / softmin raises PyTorch's exception class (checked
against torch when it is installed) with a message naming the op or the problem."""
import pytest

import pydl

from torch_oracle import check_error


def cases():
    def t(lib, data, **kw):
        return lib.tensor(data, **kw)

    def F(lib):
        return lib.nn.functional
    return [
        # (id, expected class, call(lib), message fragment)
        ("softmax int64", NotImplementedError, lambda lib: lib.softmax(t(lib, [1, 2]), 0), "softmax"),
        ("log_softmax int64", NotImplementedError, lambda lib: lib.log_softmax(t(lib, [1, 2]), 0), "log_softmax"),
        ("softmax bool", NotImplementedError, lambda lib: lib.softmax(t(lib, [True]), 0), "softmax"),
        ("softmax uint8 method", NotImplementedError,
         lambda lib: t(lib, [1, 2], dtype=lib.uint8).softmax(0), "softmax"),
        ("softmax dtype=int32", NotImplementedError,
         lambda lib: lib.softmax(t(lib, [1.0, 2.0]), 0, dtype=lib.int32), "softmax"),
        ("F.softmax int64", NotImplementedError, lambda lib: F(lib).softmax(t(lib, [1, 2]), 0), "softmax"),
        ("F.softmin int64", NotImplementedError, lambda lib: F(lib).softmin(t(lib, [1, 2]), 0), "softmax"),
        ("softmax dim", IndexError, lambda lib: lib.softmax(t(lib, [1.0, 2.0]), 1), "Dimension out of range"),
        ("softmax dim -2", IndexError, lambda lib: lib.softmax(t(lib, [1.0, 2.0]), -2), "Dimension out of range"),
        ("softmax 0-d dim 1", IndexError, lambda lib: lib.softmax(t(lib, 1.0), 1), "Dimension out of range"),
        ("log_softmax dim", IndexError, lambda lib: lib.log_softmax(lib.zeros(2, 3), 2), "Dimension out of range"),
        ("dim before dtype", IndexError, lambda lib: lib.softmax(t(lib, [1, 2]), 5), "Dimension out of range"),
        ("F.log_softmax dim", IndexError, lambda lib: F(lib).log_softmax(lib.zeros(2), 3), "Dimension out of range"),
        ("softmax dim float", TypeError, lambda lib: lib.softmax(t(lib, [1.0]), 0.5), ""),
        ("softmax dim missing", TypeError, lambda lib: lib.softmax(t(lib, [1.0])), ""),
        ("softmax dim None", TypeError, lambda lib: lib.softmax(t(lib, [1.0]), None), ""),
        ("softmax not a tensor", TypeError, lambda lib: lib.softmax([1.0, 2.0], 0), ""),
    ]


@pytest.mark.parametrize("expected,call,fragment", [pytest.param(e, c, f, id=i) for i, e, c, f in cases()])
def test_error_class_matches_torch(expected, call, fragment):
    check_error(expected, call, fragment)
