"""Every op with a backward formula, checked by gradcheck (float64 central differences) and,
where the formula is itself differentiable, gradgradcheck. One table: name, function, input
maker. Inputs include broadcasting and non-contiguous (transposed, step-sliced) tensors."""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def t(shape, low=-2.0, high=2.0):
    return pydl.tensor(RNG.uniform(low, high, shape), dtype=pydl.float64, requires_grad=True)


def transposed(shape, low=-2.0, high=2.0):
    return t(shape[::-1], low, high).t()  # a non-contiguous input (a view of a leaf)


def positive(shape):
    return t(shape, 0.5, 2.0)


UNARY = [  # name, f, domain
    ("neg", lambda x: -x, t), ("abs", pydl.abs, t), ("square", pydl.square, t), ("relu", pydl.relu, t),
    ("exp", pydl.exp, t), ("exp2", pydl.exp2, t), ("expm1", pydl.expm1, t), ("log", pydl.log, positive),
    ("log2", pydl.log2, positive), ("log10", pydl.log10, positive), ("log1p", pydl.log1p, positive),
    ("sqrt", pydl.sqrt, positive), ("rsqrt", pydl.rsqrt, positive), ("reciprocal", pydl.reciprocal, positive),
    ("sin", pydl.sin, t), ("cos", pydl.cos, t), ("tan", lambda x: pydl.tan(x * 0.5), t),
    ("asin", lambda x: pydl.asin(x * 0.4), t), ("acos", lambda x: pydl.acos(x * 0.4), t), ("atan", pydl.atan, t),
    ("sinh", pydl.sinh, t), ("cosh", pydl.cosh, t), ("tanh", pydl.tanh, t), ("sigmoid", pydl.sigmoid, t),
    ("erf", pydl.erf, t), ("silu", pydl.nn.functional.silu, t), ("frac", pydl.frac, t),
    ("pow3", lambda x: x ** 3, t), ("pow_half", lambda x: x ** 0.5, positive), ("pow_-1.5", lambda x: x ** -1.5, positive),
]

BINARY = [  # name, f, makers of a and b
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("add_alpha", lambda a, b: pydl.add(a, b, alpha=2.5)),
    ("scalar_base_pow", lambda a, b: a + 0.5 ** b),
]

SHAPES = [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3)), ((2, 3, 4), (3, 1))]

REDUCE_AND_VIEW = [  # name, f, input maker
    ("sum", lambda x: x.sum(), lambda: t((3, 4))),
    ("sum_dim", lambda x: x.sum(1), lambda: t((3, 4))),
    ("sum_dims_keepdim", lambda x: x.sum((0, 2), keepdim=True), lambda: t((2, 3, 4))),
    ("mean", lambda x: x.mean(), lambda: t((3, 4))),
    ("mean_dim", lambda x: x.mean(-1), lambda: transposed((3, 4))),
    ("view", lambda x: x.view(4, 3), lambda: t((3, 4))),
    ("reshape_noncontig", lambda x: x.reshape(12), lambda: transposed((3, 4))),
    ("permute", lambda x: x.permute(2, 0, 1), lambda: t((2, 3, 4))),
    ("transpose", lambda x: x.transpose(0, 2), lambda: t((2, 3, 4))),
    ("t", lambda x: x.t(), lambda: t((3, 4))),
    ("expand", lambda x: x.expand(3, 2, 4), lambda: t((2, 1))),
    ("squeeze", lambda x: x.squeeze(1), lambda: t((3, 1, 4))),
    ("unsqueeze", lambda x: x.unsqueeze(-1), lambda: t((3, 4))),
    ("flatten", lambda x: x.flatten(), lambda: transposed((3, 4))),
    ("slice_step", lambda x: x[1::2], lambda: t((5, 3))),
    ("select", lambda x: x[1], lambda: t((3, 4))),
    ("clone", lambda x: x.clone(), lambda: transposed((3, 4))),
    ("contiguous", lambda x: x.contiguous(), lambda: transposed((3, 4))),
    ("where", lambda x: pydl.where(x > 0, x * x, x * 3.0), lambda: t((3, 4))),
]


@pytest.mark.parametrize("name,f,make", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_unary_gradients(name, f, make, layout):
    x = make((3, 4)) if layout == "contiguous" else make((4, 3)).t()
    assert gradcheck(f, (x,))
    if name not in ("abs", "relu", "frac"):  # piecewise linear: no useful second derivative
        assert gradgradcheck(f, (x,))


@pytest.mark.parametrize("name,f", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_gradients_with_broadcasting(name, f, shapes):
    a, b = t(shapes[0]), t(shapes[1])
    if name in ("div",):
        b = positive(shapes[1])
    assert gradcheck(f, (a, b))
    assert gradgradcheck(f, (a, b))


def test_pow_tensor_exponent():
    a, b = positive((3,)), t((3,))
    assert gradcheck(lambda x, y: x ** y, (a, b))
    assert gradgradcheck(lambda x, y: x ** y, (a, b))


def test_gradient_through_a_wrapped_number_and_a_constant_tensor():
    x, c = t((3,)), pydl.tensor([1.0, 2.0, 3.0], dtype=pydl.float64)
    assert gradcheck(lambda x: 2.0 / x + c * x - 1.0, (positive((3,)),))
    assert gradcheck(lambda x: (3.0 - x) * c, (x,))


@pytest.mark.parametrize("name,f,make", REDUCE_AND_VIEW, ids=[r[0] for r in REDUCE_AND_VIEW])
def test_reduction_and_view_gradients(name, f, make):
    x = make()
    assert gradcheck(f, (x,))
    assert gradgradcheck(lambda x: f(x) * f(x), (x,))


def test_gradcheck_catches_a_wrong_gradient():
    # A function whose backward is deliberately wrong: detach one factor.
    x = t((3,))
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(lambda x: x * x.detach(), (x,))


def test_op_without_a_formula_raises_not_implemented_at_backward():
    x = t((3,))
    y = pydl.floor_divide(x, x + 1.0).sum()  # not differentiable in PyTorch either
    with pytest.raises(NotImplementedError, match="derivative for 'floor_divide' is not implemented"):
        y.backward()


def test_cast_gradient_comes_back_in_the_input_dtype():
    x = t((3,))
    y = x.to(pydl.float32) * 2.0
    assert y.grad_fn.name() == "MulBackward0" and y.grad_fn.next_functions[0][0].name() == "ToCopyBackward0"
    y.sum().backward()
    assert x.grad.dtype == pydl.float64 and x.grad.tolist() == [2.0, 2.0, 2.0]


IDX = pydl.tensor([2, 0, 2])  # a repeated index: gradients must add up
INDEXING = [  # name, f, input maker; every input is float64 and requires grad
    ("cat", lambda x: pydl.cat([x, x * 2.0, x[:1]], 0), lambda: t((3, 2))),
    ("stack", lambda x: pydl.stack([x, x.t().t() * 3.0], 1), lambda: t((3, 2))),
    ("split", lambda x: x.split(2, 0)[1] * 2.0, lambda: t((5, 2))),
    ("index_select", lambda x: x.index_select(0, IDX), lambda: t((3, 2))),
    ("advanced_index", lambda x: x[IDX, 1:], lambda: t((3, 3))),
    ("bool_mask", lambda x: x[x.detach() > 0], lambda: t((3, 3))),
    ("gather", lambda x: x.gather(1, pydl.tensor([[0, 0], [1, 0], [2, 2]])), lambda: t((3, 3))),
    ("take", lambda x: x.take(pydl.tensor([0, 5, 5])), lambda: t((2, 3))),
    ("masked_fill", lambda x: x.masked_fill(x.detach() > 0, 1.5), lambda: t((3, 3))),
    ("masked_select", lambda x: x.masked_select(x.detach() < 0), lambda: t((3, 3))),
]


@pytest.mark.parametrize("name,f,make", INDEXING, ids=[r[0] for r in INDEXING])
def test_indexing_and_joining_gradients(name, f, make):
    x = make()
    assert gradcheck(f, (x,))


def test_writes_through_indices_gradients():
    a, src = t((3, 4)), t((2, 4))
    idx = pydl.tensor([2, 0])
    assert gradcheck(lambda a, s: a.index_add(0, idx, s, alpha=2.0), (a, src))
    assert gradcheck(lambda a, v: pydl.index_put(a, (idx,), v, accumulate=False), (a, t((4,))))
    assert gradcheck(lambda a, v: pydl.index_put(a, (idx,), v, accumulate=True), (a, t((2, 4))))
    unique = pydl.tensor([[0, 1, 2, 0], [2, 2, 1, 1]])  # plain scatter: duplicates are undefined, as in torch
    assert gradcheck(lambda a, s: a.scatter(0, unique, s), (a, t((2, 4))))
    sidx = pydl.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])
    assert gradcheck(lambda a, s: a.scatter_add(0, sidx, s), (a, t((2, 4))))
    assert gradgradcheck(lambda x: x[IDX] * x[IDX], (t((3,)),))


SCATTER_INDEX = pydl.tensor([[0, 1, 2], [0, 1, 1], [3, 1, 0], [0, 2, 2], [3, 3, 0]])


def _with_zeros(x, pair=False):
    """x with exact zeros to exercise prod's zero rule: one alone in its group, and with `pair`
    two that land in one group (SCATTER_INDEX sends rows 1 and 2 of column 1 to row 1)."""
    x = x.detach().clone()
    x[0, 0] = 0.0
    x[1, 1] = 0.0
    if pair:
        x[2, 1] = 0.0
    return x.requires_grad_()


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [True, False], ids=["include_self", "exclude_self"])
def test_scatter_reduce_gradients(reduce, include_self):
    a, s = t((4, 3)), t((5, 3))
    if reduce == "prod":
        s = _with_zeros(s)
    f = lambda a, s: a.scatter_reduce(0, SCATTER_INDEX, s, reduce, include_self=include_self)  # noqa: E731
    assert gradcheck(f, (a, s))
    if reduce in ("sum", "mean", "prod"):
        assert gradgradcheck(f, (a, s))
    if reduce == "prod":
        assert gradcheck(f, (a, _with_zeros(s, pair=True)))
        with pytest.raises(NotImplementedError, match="Double backward"):
            gradgradcheck(f, (a, _with_zeros(s, pair=True)))


def test_scatter_reduce_gradients_match_torch_on_ties():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (pydl, torch):
        a = lib.tensor([[1.0, 2.0], [3.0, 3.0]], requires_grad=True)
        s = lib.tensor([[1.0, 5.0], [1.0, 3.0], [3.0, 0.0]], requires_grad=True)
        lib.scatter_reduce(a, 0, lib.tensor([[0, 1], [0, 1], [1, 0]]), s, "amax").sum().backward()
        grads.append((a.grad.numpy(), s.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs)


def test_put_and_masked_scatter_gradients():
    mask = pydl.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
    assert gradcheck(lambda a, s: a.masked_scatter(mask, s), (t((3, 4)), t((9,))))
    assert gradcheck(lambda a, s: a.masked_scatter(mask[0], s), (t((3, 4)), t((2, 4))))  # broadcast mask
    assert gradgradcheck(lambda a, s: a.masked_scatter(mask, s) ** 2, (t((3, 4)), t((9,))))
    idx = pydl.tensor([[1, 5], [-1, 0]])
    assert gradcheck(lambda a, s: a.put(idx, s), (t((3, 4)), t((2, 2))))
    dups = pydl.tensor([1, 1, 7])
    assert gradcheck(lambda a, s: a.put(dups, s, accumulate=True), (t((3, 4)), t((3,))))
    assert gradgradcheck(lambda a, s: a.put(idx, s) ** 2, (t((3, 4)), t((2, 2))))


def test_inplace_write_on_a_leaf_is_refused():
    with pytest.raises(RuntimeError, match="leaf Variable"):
        t((3,)).index_fill_(0, pydl.tensor([1]), 0.0)


SCANS_AND_SELECTION = [  # name, f, input maker
    ("cumsum", lambda x: x.cumsum(1), lambda: transposed((3, 4))),
    ("cummax", lambda x: x.cummax(0).values, lambda: t((5, 2))),
    ("cummin", lambda x: x.cummin(-1).values, lambda: t((2, 5))),
    ("flip", lambda x: x.flip(0, 1), lambda: t((3, 4))),
    ("roll", lambda x: x.roll((1, -2), (0, 1)), lambda: t((3, 4))),
    ("roll_flat", lambda x: x.roll(5), lambda: t((3, 4))),
    ("tril", lambda x: x.tril(), lambda: t((3, 4))),
    ("triu", lambda x: x.triu(1), lambda: transposed((4, 3))),
    ("sort", lambda x: x.sort(1, descending=True).values, lambda: t((3, 4))),
    ("topk", lambda x: x.topk(2, 0).values, lambda: t((4, 3))),
    ("kthvalue", lambda x: x.kthvalue(2, 1).values, lambda: t((3, 4))),
    ("median_dim", lambda x: x.median(1, keepdim=True).values, lambda: t((3, 5))),
    ("mode", lambda x: x.mode(0).values, lambda: t((3, 4))),
]


@pytest.mark.parametrize("name,f,make", SCANS_AND_SELECTION, ids=[r[0] for r in SCANS_AND_SELECTION])
def test_scan_and_selection_gradients(name, f, make):
    x = make()
    assert gradcheck(f, (x,))
    if name not in ("cummax", "cummin", "mode"):  # piecewise: second derivatives are zero anyway
        assert gradgradcheck(lambda x: f(x) * f(x), (x,))


STRIDED_VIEWS = {
    "unfold overlapping windows": lambda x: x.unfold(1, 3, 1),
    "unfold with gaps": lambda x: x.unfold(0, 2, 3),
    "as_strided repeating elements": lambda x: x.as_strided((3, 3), (1, 1)),
    "as_strided of a transposed slice": lambda x: x.t()[1:].as_strided((2, 2), (5, 1), 1),
}


@pytest.mark.parametrize("name", list(STRIDED_VIEWS))
def test_strided_view_gradients(name):
    x = t((5, 4))
    assert gradcheck(STRIDED_VIEWS[name], (x,))
    assert gradgradcheck(lambda x: STRIDED_VIEWS[name](x) ** 2, (x,))
