"""Errors of the matrix products: PyTorch's exception class (checked against torch itself) and
the key part of its message. Nothing may crash or return a wrong-shaped result."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")


def ones(lib, shape, dtype="float32", requires_grad=False):
    return lib.ones(tuple(shape), dtype=getattr(lib, dtype), requires_grad=requires_grad)


def _o(*shape, dtype="float32", rg=False):
    return lambda lib: ones(lib, shape, dtype, rg)


def _emp(*shape, dtype="float32"):
    return lambda lib: lib.empty(tuple(shape), dtype=getattr(lib, dtype))


CASES = [  # id, call(lib, *made args), arg makers, message part (pydl's message must contain it)
    ("mm_shape", lambda L, a, b: L.mm(a, b), [_o(2, 3), _o(4, 5)],
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    ("mm_dtype", lambda L, a, b: L.mm(a, b), [_o(2, 3), _o(3, 4, dtype="float64")], "same dtype"),
    ("mm_int_float", lambda L, a, b: L.mm(a, b), [_o(2, 3, dtype="int64"), _o(3, 4)], "same dtype"),
    ("mm_self_vector", lambda L, a, b: L.mm(a, b), [_o(3), _o(3, 4)], "self must be a matrix"),
    ("mm_mat2_3d", lambda L, a, b: L.mm(a, b), [_o(2, 3), _o(1, 3, 4)], "mat2 must be a matrix"),
    ("mm_0d", lambda L, a, b: L.mm(a, b), [_o(), _o(3, 4)], "must be a matrix"),
    ("mm_bool", lambda L, a, b: L.mm(a, b), [_o(2, 3, dtype="bool"), _o(3, 4, dtype="bool")], "not implemented"),
    ("bmm_2d", lambda L, a, b: L.bmm(a, b), [_o(2, 3), _o(2, 3, 4)], "batch1 must be a 3D tensor"),
    ("bmm_4d", lambda L, a, b: L.bmm(a, b), [_o(2, 2, 3), _o(1, 2, 3, 4)], "batch2 must be a 3D tensor"),
    ("bmm_batch", lambda L, a, b: L.bmm(a, b), [_o(2, 2, 3), _o(3, 3, 4)],
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3]"),
    ("bmm_inner", lambda L, a, b: L.bmm(a, b), [_o(2, 2, 3), _o(2, 4, 4)], "[2, 3] but got: [2, 4]"),
    ("bmm_dtype", lambda L, a, b: L.bmm(a, b), [_o(2, 2, 3), _o(2, 3, 4, dtype="float64")], "dtype"),
    ("bmm_bool", lambda L, a, b: L.bmm(a, b), [_o(1, 2, 3, dtype="bool"), _o(1, 3, 4, dtype="bool")],
     "not implemented"),
    ("mv_size", lambda L, a, b: L.mv(a, b), [_o(2, 3), _o(4)], "size mismatch"),
    ("mv_vec_2d", lambda L, a, b: L.mv(a, b), [_o(2, 3), _o(3, 1)], "vector + matrix @ vector expected"),
    ("mv_mat_1d", lambda L, a, b: L.mv(a, b), [_o(3), _o(3)], "vector + matrix @ vector expected"),
    ("mv_dtype", lambda L, a, b: L.mv(a, b), [_o(2, 3), _o(3, dtype="float64")], "dtype"),
    ("dot_size", lambda L, a, b: L.dot(a, b), [_o(3), _o(4)], "inconsistent tensor size"),
    ("dot_2d", lambda L, a, b: L.dot(a, b), [_o(3, 1), _o(3)], "1D tensors expected, but got 2D and 1D tensors"),
    ("dot_0d", lambda L, a, b: L.dot(a, b), [_o(), _o()], "1D tensors expected"),
    ("dot_dtype", lambda L, a, b: L.dot(a, b), [_o(3), _o(3, dtype="float64")], "same dtype"),
    ("dot_bool", lambda L, a, b: L.dot(a, b), [_o(3, dtype="bool"), _o(3, dtype="bool")], "not implemented"),
    ("vdot_size", lambda L, a, b: L.vdot(a, b), [_o(3), _o(4)], "inconsistent tensor size"),
    ("outer_2d", lambda L, a, b: L.outer(a, b), [_o(3, 1), _o(2)], "1-D"),
    ("outer_2d_rhs", lambda L, a, b: L.outer(a, b), [_o(3), _o(2, 1)], "1-D"),
    ("matmul_0d_lhs", lambda L, a, b: L.matmul(a, b), [_o(), _o(3)],
     "both arguments to matmul need to be at least 1D"),
    ("matmul_0d_rhs", lambda L, a, b: L.matmul(a, b), [_o(3), _o()],
     "both arguments to matmul need to be at least 1D, but they are 1D and 0D"),
    ("matmul_1d_1d", lambda L, a, b: L.matmul(a, b), [_o(3), _o(4)], "inconsistent tensor size"),
    ("matmul_2d_1d", lambda L, a, b: L.matmul(a, b), [_o(2, 3), _o(4)], "size mismatch"),
    ("matmul_1d_2d", lambda L, a, b: L.matmul(a, b), [_o(3), _o(4, 5)], "cannot be multiplied"),
    ("matmul_2d_2d", lambda L, a, b: L.matmul(a, b), [_o(2, 3), _o(4, 5)], "(2x3 and 4x5)"),
    ("matmul_3d_2d", lambda L, a, b: L.matmul(a, b), [_o(2, 3, 4), _o(5, 6)], "4"),
    ("matmul_3d_1d", lambda L, a, b: L.matmul(a, b), [_o(2, 3, 4), _o(5)], "size mismatch"),
    ("matmul_1d_3d", lambda L, a, b: L.matmul(a, b), [_o(3), _o(2, 4, 5)], "3"),
    ("matmul_noncontig_3d_2d", lambda L, a, b: L.matmul(a.transpose(0, 1), b), [_o(3, 2, 4), _o(5, 6)], "4"),
    ("matmul_batch_broadcast", lambda L, a, b: L.matmul(a, b), [_o(2, 3, 4), _o(3, 4, 5)],
     "must match the size of tensor b (3) at non-singleton dimension 0"),
    ("matmul_batch_broadcast_4d", lambda L, a, b: L.matmul(a, b), [_o(2, 2, 3, 4), _o(3, 1, 4, 5)],
     "non-singleton dimension"),
    ("matmul_dtype", lambda L, a, b: L.matmul(a, b), [_o(2, 3), _o(3, 4, dtype="float64")], "same dtype"),
    ("matmul_dtype_3d", lambda L, a, b: L.matmul(a, b), [_o(2, 2, 3), _o(3, 4, dtype="float64")], "same dtype"),
    ("matmul_bool", lambda L, a, b: L.matmul(a, b), [_o(2, 2, 3, dtype="bool"), _o(3, 4, dtype="bool")],
     "not implemented"),
    ("matmul_bool_1d", lambda L, a, b: L.matmul(a, b), [_o(3, dtype="bool"), _o(3, dtype="bool")],
     "not implemented"),
    ("operator_shape", lambda L, a, b: a @ b, [_o(2, 3), _o(4, 5)], "cannot be multiplied"),
    ("addmm_input_shape", lambda L, c, a, b: L.addmm(c, a, b), [_o(3, 4), _o(2, 3), _o(3, 4)],
     "The expanded size of the tensor (2) must match the existing size (3)"),
    ("addmm_input_1d", lambda L, c, a, b: L.addmm(c, a, b), [_o(5), _o(2, 3), _o(3, 4)], "expanded size"),
    ("addmm_input_3d", lambda L, c, a, b: L.addmm(c, a, b), [_o(2, 2, 4), _o(2, 3), _o(3, 4)], None),
    ("addmm_mats", lambda L, c, a, b: L.addmm(c, a, b), [_o(2, 4), _o(2, 3), _o(5, 4)],
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)"),
    ("addmm_input_dtype", lambda L, c, a, b: L.addmm(c, a, b), [_o(2, 4, dtype="float64"), _o(2, 3), _o(3, 4)],
     "same dtype"),
    ("addmm_bool", lambda L, c, a, b: L.addmm(c, a, b),
     [_o(2, 4, dtype="bool"), _o(2, 3, dtype="bool"), _o(3, 4, dtype="bool")], "not implemented"),
    ("addmm__shape", lambda L, c, a, b: c.addmm_(a, b), [_o(1, 4), _o(2, 3), _o(3, 4)], None),
    ("addmv_input", lambda L, c, a, b: L.addmv(c, a, b), [_o(3), _o(2, 3), _o(3)], "size mismatch"),
    ("addmv_vec", lambda L, c, a, b: L.addmv(c, a, b), [_o(2), _o(2, 3), _o(4)], "size mismatch"),
    ("addmv__shape", lambda L, c, a, b: c.addmv_(a, b), [_o(1), _o(2, 3), _o(3)], None),
    ("baddbmm_input", lambda L, c, a, b: L.baddbmm(c, a, b), [_o(2, 3, 5), _o(2, 2, 3), _o(2, 3, 4)],
     "expanded size"),
    ("baddbmm_batch", lambda L, c, a, b: L.baddbmm(c, a, b), [_o(2, 2, 4), _o(2, 2, 3), _o(3, 3, 4)],
     "Expected size for first two dimensions of batch2 tensor"),
    ("baddbmm_input_dtype", lambda L, c, a, b: L.baddbmm(c, a, b),
     [_o(1, 2, 4, dtype="float64"), _o(1, 2, 3), _o(1, 3, 4)], None),
    ("baddbmm__shape", lambda L, c, a, b: c.baddbmm_(a, b), [_o(2, 4), _o(1, 2, 3), _o(1, 3, 4)], None),
    ("addbmm_input", lambda L, c, a, b: L.addbmm(c, a, b), [_o(2, 5), _o(2, 2, 3), _o(2, 3, 4)], "expanded size"),
    ("addbmm_batch", lambda L, c, a, b: L.addbmm(c, a, b), [_o(2, 4), _o(2, 2, 3), _o(3, 3, 4)],
     "Expected size for first two dimensions of batch2 tensor"),
    ("linear_shape", lambda L, x, w: L.nn.functional.linear(x, w), [_o(2, 3), _o(4, 5)],
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 5x4)"),
    ("linear_shape_3d", lambda L, x, w: L.nn.functional.linear(x, w), [_o(2, 2, 3), _o(4, 5)], None),
    ("linear_shape_1d", lambda L, x, w: L.nn.functional.linear(x, w), [_o(3), _o(4, 5)], None),
    ("linear_bias_shape", lambda L, x, w, b: L.nn.functional.linear(x, w, b), [_o(2, 3), _o(4, 3), _o(5)],
     "expanded size"),
    ("linear_bias_shape_3d", lambda L, x, w, b: L.nn.functional.linear(x, w, b), [_o(2, 2, 3), _o(4, 3), _o(5)],
     None),
    ("linear_dtype", lambda L, x, w: L.nn.functional.linear(x, w), [_o(2, 3), _o(4, 3, dtype="float64")],
     "same dtype"),
    ("linear_0d", lambda L, x, w: L.nn.functional.linear(x, w), [_o(), _o(4, 3)], None),
    # out= with inputs that require grad: no autograd through out=
    ("mm_out_requires_grad", lambda L, a, b, o: L.mm(a, b, out=o), [_o(2, 3, rg=True), _o(3, 4), _emp(2, 4)],
     "don't support automatic differentiation"),
    ("bmm_out_requires_grad", lambda L, a, b, o: L.bmm(a, b, out=o), [_o(1, 2, 3), _o(1, 3, 4, rg=True),
                                                                      _emp(1, 2, 4)], "automatic differentiation"),
    ("matmul_out_requires_grad", lambda L, a, b, o: L.matmul(a, b, out=o), [_o(2, 2, 3, rg=True), _o(3, 4),
                                                                            _emp(2, 2, 4)],
     "matmul(): functions with out=... arguments don't support automatic differentiation"),
    ("matmul_2d_out_requires_grad", lambda L, a, b, o: L.matmul(a, b, out=o), [_o(2, 3, rg=True), _o(3, 4),
                                                                               _emp(2, 4)],
     "automatic differentiation"),
    ("addmm_out_requires_grad", lambda L, c, a, b, o: L.addmm(c, a, b, out=o),
     [_o(2, 4, rg=True), _o(2, 3), _o(3, 4), _emp(2, 4)], "automatic differentiation"),
    ("mv_out_requires_grad", lambda L, a, b, o: L.mv(a, b, out=o), [_o(2, 3), _o(3, rg=True), _emp(2)],
     "automatic differentiation"),
    ("dot_out_requires_grad", lambda L, a, b, o: L.dot(a, b, out=o), [_o(3, rg=True), _o(3), _emp()],
     "automatic differentiation"),
    ("addmm__leaf", lambda L, c, a, b: c.addmm_(a, b), [_o(2, 4, rg=True), _o(2, 3), _o(3, 4)], "leaf Variable"),
    ("mm_out_narrowing", lambda L, a, b, o: L.mm(a, b, out=o), [_o(2, 3), _o(3, 4), _emp(2, 4, dtype="int64")],
     None),
]


@pytest.mark.parametrize("name,call,makers,msg", CASES, ids=[c[0] for c in CASES])
def test_error_like_torch(name, call, makers, msg):
    with pytest.raises(Exception) as expected:
        call(torch, *[m(torch) for m in makers])
    with pytest.raises(type(expected.value)) as got:
        call(pydl, *[m(pydl) for m in makers])
    if msg is not None:
        assert msg in str(got.value), f"{got.value!s} lacks {msg!r} (torch: {expected.value!s})"


def test_integer_tensors_take_integer_and_float_scalars_like_torch():
    a = pydl.ones(2, 3, dtype=pydl.int32)
    r = pydl.addmm(pydl.ones(2, 2, dtype=pydl.int32), a, a.t(), beta=2, alpha=3)
    assert r.dtype == pydl.int32 and r.numpy().tolist() == [[11, 11], [11, 11]]
    for kw in ({"beta": 0.5}, {"alpha": 0.5}, {"beta": 2.7, "alpha": -1.5}):
        args = [(2, 4), (2, 3), (3, 4)]
        want = torch.addmm(*[torch.ones(s, dtype=torch.int32) for s in args], **kw)
        got = pydl.addmm(*[pydl.ones(s, dtype=pydl.int32) for s in args], **kw)
        assert got.numpy().tolist() == want.numpy().tolist(), kw


# PyTorch raises IndexError ("Dimension out of range") for a 2-D batch1, an artefact of its
# implementation; pydl says what is wrong with a RuntimeError, like bmm does.
@pytest.mark.parametrize("op", ["baddbmm", "addbmm"])
def test_batch_ops_with_matrices_raise(op):
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        getattr(pydl, op)(pydl.ones(2, 4), pydl.ones(2, 3), pydl.ones(3, 4))


def test_addbmm_inplace_refuses_to_resize_self():
    # PyTorch resizes a [1, 4] self to [2, 4] here; pydl refuses like addmm_ (and torch's addmm_) do.
    with pytest.raises(RuntimeError, match="doesn't match"):
        pydl.ones(1, 4).addbmm_(pydl.ones(2, 2, 3), pydl.ones(2, 3, 4))


def test_linear_vector_weight_with_bias_raises_like_torch():
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(torch.ones(4, 3), torch.ones(3), torch.ones(()))
    with pytest.raises(RuntimeError, match="matrix"):
        pydl.nn.functional.linear(pydl.ones(4, 3), pydl.ones(3), pydl.ones(()))


def test_errors_leave_out_untouched():
    out = pydl.full((2, 4), 7.0)
    with pytest.raises(RuntimeError):
        pydl.mm(pydl.ones(2, 3), pydl.ones(4, 4), out=out)
    assert (out.numpy() == 7.0).all()
    c = pydl.full((2, 4), 7.0)
    with pytest.raises(RuntimeError):
        c.addmm_(pydl.ones(2, 3), pydl.ones(5, 4))
    assert (c.numpy() == 7.0).all()


def test_huge_shape_mismatch_does_not_allocate():
    # the check comes before any allocation: a product whose output would be 2**40 elements
    big = pydl.ones(1, 1).expand(2 ** 20, 1)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        pydl.mm(big, pydl.ones(2, 1).expand(2, 2 ** 20))
    assert np.isfinite(pydl.mm(pydl.ones(1, 1), pydl.ones(1, 1)).numpy()).all()


def test_matmul_out_requires_grad_names_matmul():
    with pytest.raises(RuntimeError, match=r"^matmul\(\)"):
        pydl.matmul(pydl.ones(2, 3, requires_grad=True), pydl.ones(3, 4), out=pydl.empty(2, 4))
