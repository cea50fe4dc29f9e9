"""The Python operators on Tensor. `a + b` runs through C number-protocol slots installed on the
type (csrc/python/operators_py.cpp) while `Tensor.__add__` is a bound method: both must give the
same results, errors, NotImplemented handling and in-place semantics."""
import operator

import numpy as np
import pytest

import pydl

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
          operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift, operator.pow,
          operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]
INTEGER_ONLY = {operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift}


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("reflected", [False, True])
def test_operator_matches_numpy_with_tensor_and_number_on_either_side(op, reflected):
    a = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64 if op in INTEGER_ONLY else np.float32)
    b = np.array([3, 1, 2], dtype=a.dtype)
    number = 2
    x, y = pydl.from_numpy(a), pydl.from_numpy(b)
    np.testing.assert_allclose(op(x, y).numpy(), op(a, b), rtol=1e-6)
    got = op(number, x) if reflected else op(x, number)
    want = op(number, a) if reflected else op(a, number)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "eq", "lt"])
def test_slot_and_bound_method_agree(name):
    x, y = pydl.tensor([1.0, -2.0, 3.0]), pydl.tensor([0.5, 0.5, 4.0])
    op = getattr(operator, name)
    assert op(x, y).tolist() == getattr(pydl.Tensor, f"__{name}__")(x, y).tolist()
    assert getattr(pydl.Tensor, f"__{name}__")(x, "s") is NotImplemented


@pytest.mark.parametrize("op", [operator.iadd, operator.isub, operator.imul, operator.itruediv])
def test_in_place_operator_writes_self_and_bumps_the_version(op):
    x = pydl.tensor([2.0, 4.0])
    before, version = x, x._version
    x = op(x, pydl.tensor([1.0, 2.0]))
    assert x is before and x._version == version + 1
    assert x.tolist() == op(np.array([2.0, 4.0]), np.array([1.0, 2.0])).tolist()


def test_in_place_operator_keeps_the_dtype_and_refuses_unsafe_casts():
    x = pydl.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x += 0.5
    x += 1
    assert x.tolist() == [2, 3] and x.dtype == pydl.int64
    n = 3
    n += pydl.tensor([1, 2])  # the int has no += for a tensor: Python falls back to n + t
    assert isinstance(n, pydl.Tensor) and n.tolist() == [4, 5]


def test_comparison_with_non_tensors():
    x = pydl.tensor([1.0, 2.0])
    assert (x == None) is False and (x != None) is True  # noqa: E711 (NotImplemented -> identity)
    with pytest.raises(TypeError):
        x < "a"
    assert (1.5 < x).tolist() == [False, True]  # Python swaps this to x > 1.5
    assert hash(x) == hash(x)  # identity hashing survives the slots


def test_errors_from_slots_have_torch_classes():
    with pytest.raises(RuntimeError, match="must match the size"):
        pydl.ones(2) + pydl.ones(3)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pydl.tensor([1, 2]) // pydl.tensor([1, 0])
    with pytest.raises(TypeError):
        [1] * pydl.ones(2)
