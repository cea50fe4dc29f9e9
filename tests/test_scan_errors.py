"""Bad input to the scans raises PyTorch's exception class (checked against torch when it is
installed) with a message naming the op or the problem."""
import pytest

import pydl

from torch_oracle import check_error


def cases():
    def t(lib, data, **kw):
        return lib.tensor(data, **kw)
    return [
        # (id, expected class, call(lib), message fragment)
        ("cumsum dim", IndexError, lambda lib: lib.cumsum(lib.zeros(2, 3), 2), "Dimension out of range"),
        ("cumsum dim negative", IndexError, lambda lib: lib.cumsum(lib.zeros(2, 3), -3), "Dimension out of range"),
        ("cumsum 0-d dim", IndexError, lambda lib: lib.cumsum(t(lib, 1.0), 1), "Dimension out of range"),
        ("cumprod dim", IndexError, lambda lib: lib.zeros(3).cumprod(1), "Dimension out of range"),
        ("cumsum_ dim", IndexError, lambda lib: lib.zeros(3).cumsum_(-2), "Dimension out of range"),
        ("cummax dim", IndexError, lambda lib: lib.cummax(lib.zeros(2, 3), 2), "Dimension out of range"),
        ("cummax 0-d dim", IndexError, lambda lib: lib.cummax(t(lib, 1.0), 1), "cummax"),
        ("cummin 0-d dim", IndexError, lambda lib: lib.cummin(t(lib, 1.0), -2), "cummin"),
        ("logcumsumexp dim", IndexError, lambda lib: lib.logcumsumexp(lib.zeros(3), 1), "Dimension out of range"),
        ("logcumsumexp int", NotImplementedError, lambda lib: lib.logcumsumexp(t(lib, [1, 2]), 0), "logcumsumexp"),
        ("logcumsumexp bool", NotImplementedError, lambda lib: lib.logcumsumexp(t(lib, [True]), 0), "logcumsumexp"),
        ("cumsum bool dtype", NotImplementedError, lambda lib: lib.cumsum(lib.zeros(3), 0, dtype=lib.bool), "cumsum"),
        ("cumsum_ bool", NotImplementedError, lambda lib: t(lib, [True, False]).cumsum_(0), "cumsum"),
        ("cumsum_ dtype", RuntimeError, lambda lib: lib.zeros(3).cumsum_(0, dtype=lib.float64), "in-place"),
        ("cumsum out dtype", RuntimeError,
         lambda lib: lib.cumsum(t(lib, [1, 2]), 0, dtype=lib.int64, out=lib.empty(2)), "dtype"),
        ("cumsum out not a tensor", TypeError, lambda lib: lib.cumsum(lib.zeros(3), 0, out=[1, 2, 3]), "out"),
        ("cumsum no dim", TypeError, lambda lib: lib.cumsum(lib.zeros(3)), ""),
        ("cummax out values dtype", RuntimeError,
         lambda lib: lib.cummax(lib.zeros(3), 0, out=(lib.empty(3, dtype=lib.float64), lib.empty(3, dtype=lib.int64))),
         "dtype"),
        ("cummin out indices dtype", RuntimeError,
         lambda lib: lib.cummin(lib.zeros(3), 0, out=(lib.empty(3), lib.empty(3, dtype=lib.int32))), "dtype"),
        ("cummax out not a pair", TypeError, lambda lib: lib.cummax(lib.zeros(3), 0, out=lib.empty(3)), "out"),
        ("logcumsumexp out dtype", RuntimeError,
         lambda lib: lib.logcumsumexp(lib.zeros(3), 0, out=lib.empty(3, dtype=lib.float64)), "dtype"),
        ("cumsum_ expanded", RuntimeError, lambda lib: lib.zeros(1).expand(3).cumsum_(0), "memory location"),
    ]


@pytest.mark.parametrize("expected,call,fragment", [pytest.param(e, c, f, id=i) for i, e, c, f in cases()])
def test_error_class_matches_torch(expected, call, fragment):
    check_error(expected, call, fragment)


def test_out_of_another_shape_is_refused():
    """PyTorch resizes a non-empty out= of the wrong shape with a deprecation warning; pydl, like
    its other ops, only resizes an empty one."""
    with pytest.raises(RuntimeError, match="shape"):
        pydl.cumsum(pydl.zeros(3), 0, out=pydl.empty(2))
