"""einsum, tensordot and kron (csrc/ops/einsum.cpp): values against NumPy's einsum / tensordot /
kron in float64, gradients with gradcheck/gradgradcheck, and the equation errors."""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def arr(*shape):
    return RNG.uniform(-1, 1, shape)


def tensors(arrays, dtype=pydl.float64, requires_grad=False):
    return [pydl.tensor(a, dtype=dtype, requires_grad=requires_grad) for a in arrays]


# equation, operand shapes: matrix products, batched attention-style products, transposes,
# traces and diagonals, outer products, ellipsis broadcasting, three operands, size-1 broadcast.
EQUATIONS = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,kj->ik", [(3, 4), (5, 4)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,j->i", [(3, 4), (4,)]),
    ("ii->", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("bii->bi", [(2, 3, 3)]),
    ("iij,jk", [(3, 3, 4), (4, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ijk,jkl->il", [(2, 3, 4), (3, 4, 5)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]),
    ("i,i,i->i", [(3,), (3,), (3,)]),
    ("ab,ab->", [(3, 4), (1, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("a...,a...->...", [(3, 2, 2), (3, 2, 2)]),
    ("...,...", [(2, 3), (2, 3)]),
    ("b i j , b j k -> b i k", [(2, 3, 4), (2, 4, 5)]),
    ("Ab,bC->AC", [(2, 3), (3, 4)]),
    ("ij,jk->ik", [(3, 0), (0, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_values(eq, shapes):
    arrays = [arr(*s) for s in shapes]
    got = pydl.einsum(eq, *tensors(arrays)).numpy()
    want = np.einsum(eq.replace(" ", ""), *arrays)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_einsum_list_form_and_float32():
    a, b = arr(3, 4), arr(4, 5)
    got = pydl.einsum("ij,jk->ik", tensors([a, b], pydl.float32)).numpy()
    np.testing.assert_allclose(got, a @ b, rtol=1e-5, atol=1e-5)
    assert pydl.einsum("ij,jk->ik", *tensors([a, b], pydl.float32)).dtype == pydl.float32


GRAD_EQUATIONS = ["bij,bjk->bik", "ij,kj->ik", "bhqd,bhkd->bhqk", "ii->i", "ii->", "i,j->ij", "ab,bc,cd->ad",
                  "...ij,...jk->...ik", "iij,jk"]


@pytest.mark.parametrize("eq", GRAD_EQUATIONS)
def test_einsum_gradients(eq):
    shapes = dict(EQUATIONS)[eq]
    inputs = tensors([arr(*s) for s in shapes], requires_grad=True)
    f = lambda *xs: pydl.einsum(eq, *xs)  # noqa: E731
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


TENSORDOT = [  # a shape, b shape, dims
    ((3, 4, 5), (4, 5, 6), 2),
    ((3, 4, 5), (5, 6), 1),
    ((3, 4), (5, 6), 0),
    ((3, 4, 5), (4, 5, 6), ([1, 2], [0, 1])),
    ((3, 4, 5), (6, 3, 2), ([0], [1])),
    ((3, 4, 5), (3, 5, 6), ([2, 0], [1, 0])),
]


@pytest.mark.parametrize("sa,sb,dims", TENSORDOT)
def test_tensordot(sa, sb, dims):
    a, b = arr(*sa), arr(*sb)
    got = pydl.tensordot(*tensors([a, b]), dims=dims).numpy()
    np.testing.assert_allclose(got, np.tensordot(a, b, axes=dims), rtol=1e-12, atol=1e-12)


def test_tensordot_gradients():
    a, b = tensors([arr(3, 4, 5), arr(4, 5, 2)], requires_grad=True)
    assert gradcheck(lambda x, y: pydl.tensordot(x, y, dims=2), (a, b))
    assert gradgradcheck(lambda x, y: pydl.tensordot(x, y, dims=([1], [0])), (a, b))


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 3), (4, 5, 6)), ((2, 1, 3), (3,)), ((0, 2), (3, 1))])
def test_kron(sa, sb):
    a, b = arr(*sa), arr(*sb)
    np.testing.assert_allclose(pydl.kron(*tensors([a, b])).numpy(), np.kron(a, b), rtol=1e-12, atol=0)


def test_kron_gradients_and_out():
    a, b = tensors([arr(2, 3), arr(3, 2)], requires_grad=True)
    assert gradcheck(pydl.kron, (a, b))
    out = pydl.empty(6, 6, dtype=pydl.float64)
    pydl.kron(a.detach(), b.detach(), out=out)
    np.testing.assert_allclose(out.numpy(), np.kron(a.detach().numpy(), b.detach().numpy()))


def test_diagonal_gradient_every_offset_and_dim_order():
    x = tensors([arr(3, 4, 5)], requires_grad=True)[0]
    for offset, d1, d2 in [(0, 0, 1), (1, 0, 2), (-2, 2, 0), (3, 1, 2), (0, 2, 1)]:
        assert gradcheck(lambda t: t.diagonal(offset, d1, d2), (x,))
        assert gradgradcheck(lambda t: t.diagonal(offset, d1, d2), (x,))


def test_strided_views_match_torch_gradients():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (pydl, torch):
        x = lib.tensor(np.arange(16.0).reshape(4, 4), requires_grad=True)
        (x.as_strided((2, 2), (1, 2)) * 2 + x.unfold(0, 2, 1).sum(-1).sum(0)[:2]).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(*grads)


@pytest.mark.parametrize("eq,shapes,exc,match", [
    ("ij,jk->ik", [(2, 3)], RuntimeError, "more operands|fewer operands"),
    ("ij->ik", [(2, 3)], RuntimeError, "output subscript k does not appear"),
    ("ij->ii", [(2, 3)], RuntimeError, "appears more than once"),
    ("ijk->", [(2, 3)], RuntimeError, "number of subscripts"),
    ("i1->", [(2, 3)], RuntimeError, "invalid subscript"),
    ("ii->", [(2, 3)], RuntimeError, "repeated for operand 0 but the sizes don't match"),
    ("ij,jk->ik", [(2, 3), (4, 5)], RuntimeError, "do not broadcast"),
    ("i..j.->", [(2, 3)], RuntimeError, "ellipsis"),
])
def test_einsum_errors(eq, shapes, exc, match):
    ops = tensors([arr(*s) for s in shapes])
    if eq == "ij,jk->ik" and len(shapes) == 1:
        ops = ops + ops + ops  # more operands than terms
    with pytest.raises(exc, match=match):
        pydl.einsum(eq, *ops)


def test_errors_match_torch_classes():
    torch = pytest.importorskip("torch")
    for lib in (pydl, torch):
        with pytest.raises(RuntimeError):
            lib.einsum("ij,jk->ik", lib.ones(2, 3), lib.ones(4, 5))
        with pytest.raises(RuntimeError):
            lib.tensordot(lib.ones(2, 3), lib.ones(4, 5), dims=([1], [0]))
    with pytest.raises(RuntimeError, match="same dtype"):
        pydl.einsum("ij,jk", pydl.ones(2, 3), pydl.ones(3, 2, dtype=pydl.float64))
