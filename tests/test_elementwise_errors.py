"""Bad input to the elementwise ops: PyTorch's exception class (checked against torch when it is
installed) and a message that names the op and the shapes or dtypes involved."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")
from torch_oracle import both  # noqa: E402


CASES = [
    # (id, call, words the pydl message must contain)
    ("broadcast", lambda L: L.ones(2, 3) + L.ones(4), ["add", "[2, 3]", "[4]"]),
    ("broadcast-fn", lambda L: L.maximum(L.ones(2, 3), L.ones(3, 2)), ["maximum", "[2, 3]", "[3, 2]"]),
    ("inplace-broadcast", lambda L: L.ones(3).add_(L.ones(2, 3)), ["add", "[3]", "[2, 3]"]),
    ("inplace-cast", lambda L: L.ones(3, dtype=L.int64).mul_(1.5), ["mul", "float32", "int64"]),
    ("out-cast", lambda L: L.exp(L.ones(3), out=L.empty(3, dtype=L.int32)), ["exp", "float32", "int32"]),
    ("int-div-zero", lambda L: L.tensor([4, 5]) // L.tensor([1, 0]), ["ZeroDivisionError", "floor_divide"]),
    ("int-mod-zero", lambda L: L.remainder(L.tensor([4, 5]), 0), ["ZeroDivisionError", "remainder"]),
    ("neg-bool", lambda L: -L.tensor([True]), ["Negation", "bool"]),
    ("sub-bool", lambda L: L.tensor([True]) - L.tensor([False]), ["Subtraction", "bool"]),
    ("bitwise-float", lambda L: L.ones(2) & L.ones(2), ["bitwise_and", "float32"]),
    ("exp-int-inplace", lambda L: L.tensor([1, 2]).exp_(), ["exp", "float32", "int64"]),
    ("float-alpha-int", lambda L: L.add(L.tensor([1]), L.tensor([2]), alpha=0.5), ["alpha"]),
    ("bool-alpha", lambda L: L.add(L.tensor([1]), L.tensor([2]), alpha=True), ["alpha", "Boolean"]),
    ("neg-int-pow", lambda L: L.tensor([2]) ** -1, ["negative integer powers"]),
    ("frac-int", lambda L: L.frac(L.tensor([1, 2])), ["frac", "int64"]),
    ("gelu-int", lambda L: L.nn.functional.gelu(L.tensor([1, 2])), ["gelu", "int64"]),
    ("hypot-int", lambda L: L.hypot(L.tensor([1]), L.tensor([2])), ["hypot", "int64"]),
    ("isclose-dtypes", lambda L: L.isclose(L.ones(2), L.ones(2, dtype=L.float64)), ["isclose", "float32", "float64"]),
    ("div-mode", lambda L: L.div(L.ones(2), 2, rounding_mode="round"), ["rounding_mode", "round"]),
    ("clamp-none", lambda L: L.clamp(L.ones(2)), ["clamp", "min", "max"]),
    ("gelu-approx", lambda L: L.nn.functional.gelu(L.ones(2), approximate="fast"), ["approximate"]),
    ("hardtanh-bool", lambda L: L.nn.functional.hardtanh(L.tensor([True])), ["hardtanh", "Bool"]),
    ("operand-list", lambda L: L.add(L.ones(2), [1, 2]), ["add", "other", "list"]),
    ("out-not-tensor", lambda L: L.exp(L.ones(2), out=3), ["exp", "out", "int"]),
    ("where-cond", lambda L: L.where(L.ones(2), L.ones(2), L.zeros(2)), ["where", "float32"]),
    ("expanded-out", lambda L: L.exp(L.ones(3), out=L.zeros(1).expand(3)), ["exp", "more than one element"]),
]


@pytest.mark.parametrize("call,words", [pytest.param(c, w, id=i) for i, c, w in CASES])
def test_error_class_matches_torch_and_message_names_op(call, words):
    mine, theirs = both(call)
    assert type(mine) is type(theirs), f"pydl raised {type(mine).__name__}: {mine}; torch {type(theirs).__name__}: {theirs}"
    for w in words:
        assert w in str(mine), f"{w!r} not in {str(mine)!r}"


def test_operator_with_unsupported_type_is_a_type_error():
    with pytest.raises(TypeError):
        pydl.ones(2) + "a"
    with pytest.raises(TypeError):
        object() * pydl.ones(2)


def test_partially_overlapping_out_reads_the_input_before_writing():
    # out= overlapping its input by one element: pydl copies the input first, so the result
    # equals the out-of-place one (NumPy's semantics for overlapping ufunc operands).
    base = pydl.arange(6, dtype=pydl.float32)
    expected = (base[:5] + 1).numpy().copy()
    pydl.add(base[:5], 1, out=base[1:])
    np.testing.assert_array_equal(base[1:].numpy(), expected)


def test_python_float_keeps_float64_precision():
    # A Python float is a float64 number: float64 tensors must see all of its bits.
    x = pydl.zeros(1, dtype=pydl.float64)
    assert (x + 0.1).item() == 0.1
    assert (0.1 * pydl.ones(1, dtype=pydl.float64)).item() == 0.1
    assert (pydl.zeros(1) + 0.1).dtype == pydl.float32
