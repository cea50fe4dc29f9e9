"""Bad inputs raise PyTorch's exception class with a message naming the op or the shapes.

Each case lists the class PyTorch raises; when torch is installed the same call is run on torch
to confirm it. A fuzz test throws random (often invalid) arguments at the view ops of both
libraries and requires the same outcome, and never a crash.
"""
import pytest
from hypothesis import given, settings, strategies as st

import pydl

try:
    import torch
except ImportError:
    torch = None


def x34(L):
    return L.arange(12.0).reshape(3, 4)


def x0d(L):
    return L.tensor(1.5)


def setgrad(t, g):
    t.grad = g


# (id, call taking the library module, PyTorch's exception class, regex pydl's message must match)
CASES = [
    # dims out of range
    ("transpose_dim", lambda L: x34(L).transpose(0, 2), IndexError, r"Dimension out of range.*\[-2, 1\].*2"),
    ("squeeze_dim", lambda L: x34(L).squeeze(2), IndexError, r"Dimension out of range"),
    ("squeeze_tuple_dim", lambda L: x34(L).squeeze((0, 5)), IndexError, r"Dimension out of range"),
    ("unsqueeze_dim", lambda L: x34(L).unsqueeze(3), IndexError, r"range of \[-3, 2\].*3"),
    ("unsqueeze_neg_dim", lambda L: x34(L).unsqueeze(-4), IndexError, r"Dimension out of range"),
    ("flatten_dim", lambda L: x34(L).flatten(0, 2), IndexError, r"Dimension out of range"),
    ("narrow_dim", lambda L: x34(L).narrow(2, 0, 1), IndexError, r"Dimension out of range"),
    ("select_dim", lambda L: x34(L).select(-3, 0), IndexError, r"Dimension out of range"),
    ("unfold_dim", lambda L: x34(L).unfold(2, 1, 1), IndexError, r"Dimension out of range"),
    ("diagonal_dim", lambda L: x34(L).diagonal(0, 0, 2), IndexError, r"Dimension out of range"),
    ("diagonal_1d", lambda L: L.arange(3.0).diagonal(), IndexError, r"Dimension out of range"),
    ("permute_dim", lambda L: x34(L).permute(0, -3), IndexError, r"Dimension out of range"),
    ("size_dim", lambda L: x34(L).size(2), IndexError, r"Dimension out of range"),
    ("stride_dim", lambda L: x34(L).stride(-3), IndexError, r"Dimension out of range"),
    ("size_0d", lambda L: x0d(L).size(0), IndexError, r"Dimension specified as 0 but tensor has no dimensions"),
    ("unflatten_dim", lambda L: x34(L).unflatten(2, (2, 2)), IndexError, r"Dimension out of range"),
    # indices out of range
    ("index_high", lambda L: x34(L)[3], IndexError, r"index 3 (is )?out of (range|bounds)"),
    ("index_low", lambda L: x34(L)[-4], IndexError, r"index -4"),
    ("index_second_dim", lambda L: x34(L)[0, 4], IndexError, r"index 4 .*dimension 0|index 4"),
    ("select_index", lambda L: x34(L).select(1, 4), IndexError, r"select\(\): index 4 out of range.*\[3, 4\]"),
    ("narrow_start", lambda L: x34(L).narrow(0, 4, 0), IndexError, r"start out of range"),
    ("too_many_indices", lambda L: x34(L)[0, 0, 0], IndexError, r"too many indices for tensor of dimension 2"),
    ("too_many_with_ellipsis", lambda L: x34(L)[..., 0, 0, 0], IndexError, r"too many indices"),
    ("index_0d", lambda L: x0d(L)[0], IndexError, r"invalid index of a 0-dim tensor"),
    ("float_index", lambda L: x34(L)[1.0], IndexError, r"only integers, slices.*float"),
    ("object_index", lambda L: x34(L)[object()], IndexError, r"only integers, slices.*object"),
    ("float_tensor_index", lambda L: x34(L)[L.tensor(1.0)], IndexError, r"tensors used as indices must be long"),
    # slice steps
    ("negative_step", lambda L: x34(L)[::-1], ValueError, r"step must be greater than zero"),
    ("zero_step", lambda L: x34(L)[:, ::0], ValueError, r"slice step cannot be zero"),
    ("negative_step_setitem", lambda L: x34(L).__setitem__(slice(None, None, -2), 0.0), ValueError, r"step"),
    # view / reshape shapes
    ("view_numel", lambda L: x34(L).view(5, 2), RuntimeError, r"shape '\[5, 2\]' is invalid for input of size 12"),
    ("view_infer", lambda L: x34(L).view(5, -1), RuntimeError, r"shape '\[5, -1\]' is invalid for input of size 12"),
    ("view_two_infer", lambda L: x34(L).view(-1, -1), RuntimeError, r"only one dimension can be inferred"),
    ("view_negative", lambda L: x34(L).view(-2, 6), RuntimeError, r"invalid shape dimension -2"),
    ("view_strides", lambda L: x34(L).t().view(12), RuntimeError, r"view size is not compatible.*reshape"),
    ("view_ambiguous", lambda L: L.zeros(0, 4).view(-1, 0), RuntimeError, r"ambiguous"),
    ("reshape_numel", lambda L: x34(L).reshape(5), RuntimeError, r"shape '\[5\]' is invalid for input of size 12"),
    ("view_dtype_size", lambda L: L.arange(6.0).view(2, 3).view(L.float64), RuntimeError,
     r"size\(-1\) must be divisible by 2"),
    ("view_dtype_stride", lambda L: x34(L).t().view(L.float16), RuntimeError, r"stride\(-1\) must be 1"),
    ("view_dtype_0d", lambda L: x0d(L).view(L.float16), RuntimeError, r"dim\(\) cannot be 0"),
    ("view_dtype_offset", lambda L: L.arange(8.0)[1:7].view(L.float64), RuntimeError, r"storage_offset\(\)"),
    ("unflatten_sizes", lambda L: x34(L).unflatten(1, (3, -1)), RuntimeError, r"unflatten.*\[3, -1\].*\(4\)"),
    ("unflatten_0d", lambda L: x0d(L).unflatten(0, (1,)), RuntimeError, r"unflatten"),
    # expand
    ("expand_mismatch", lambda L: L.zeros(3, 2).expand(3, 5), RuntimeError,
     r"expanded size of the tensor \(5\) must match the existing size \(2\) at non-singleton dimension 1"),
    ("expand_fewer", lambda L: L.zeros(3, 2).expand(2), RuntimeError, r"expand.*number of sizes provided \(1\)"),
    ("expand_new_infer", lambda L: L.zeros(3, 2).expand(-1, 3, 2), RuntimeError, r"leading, non-existing dimension 0"),
    # permute / transpose / squeeze
    ("permute_duplicate", lambda L: x34(L).permute(1, 1), RuntimeError, r"permute.*duplicate dims"),
    ("permute_neg_duplicate", lambda L: x34(L).permute(-1, 1), RuntimeError, r"duplicate dims"),
    ("permute_length", lambda L: x34(L).permute(0), RuntimeError, r"permute.*input.dim\(\) = 2.*len\(dims\) = 1"),
    ("squeeze_duplicate", lambda L: L.zeros(1, 3).squeeze((0, -2)), RuntimeError, r"dim 0 appears multiple times"),
    ("t_3d", lambda L: L.zeros(2, 3, 4).t(), RuntimeError, r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"),
    ("mT_1d", lambda L: L.zeros(3).mT, RuntimeError, r"mT.*Got 1-D tensor"),
    ("flatten_order", lambda L: L.zeros(2, 3, 4).flatten(2, 1), RuntimeError, r"flatten.*start_dim cannot come after end_dim"),
    # narrow / unfold / diagonal / as_strided
    ("narrow_length", lambda L: x34(L).narrow(0, 2, 2), RuntimeError, r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
    ("narrow_negative_length", lambda L: x34(L).narrow(0, 1, -1), RuntimeError, r"narrow\(\): length must be non-negative"),
    ("narrow_0d", lambda L: x0d(L).narrow(0, 0, 1), RuntimeError, r"narrow\(\) cannot be applied to a 0-dim tensor"),
    ("select_0d", lambda L: x0d(L).select(0, 0), IndexError, r"select\(\) cannot be applied to a 0-dim tensor"),
    ("unfold_size", lambda L: x34(L).unfold(1, 5, 1), RuntimeError, r"maximum size for tensor at dimension 1 is 4 but size is 5"),
    ("unfold_step", lambda L: x34(L).unfold(1, 2, 0), RuntimeError, r"step is 0 but must be > 0"),
    ("unfold_negative_size", lambda L: x34(L).unfold(1, -1, 1), RuntimeError, r"size is -1 but must be >= 0"),
    ("diagonal_same_dims", lambda L: x34(L).diagonal(0, 1, -1), RuntimeError, r"diagonal dimensions cannot be identical"),
    ("as_strided_bounds", lambda L: x34(L).as_strided((2, 2), (1, 2), 11), RuntimeError,
     r"setStorage: sizes \[2, 2\], strides \[1, 2\], storage offset 11.*out of bounds for storage of size 48"),
    ("as_strided_negative_stride", lambda L: x34(L).as_strided((2,), (-1,)), RuntimeError, r"[Nn]egative strides"),
    ("as_strided_negative_offset", lambda L: x34(L).as_strided((2,), (1,), -1), RuntimeError, r"storage offset -1"),
    ("as_strided_overflow", lambda L: x34(L).as_strided((2 ** 62, 4), (2 ** 62, 1)), RuntimeError, r"overflow"),
    ("expand_numel_overflow", lambda L: L.zeros(1, 1).expand(2 ** 62, 2 ** 62), RuntimeError, r"overflow"),
    # wrong argument types
    ("view_float_size", lambda L: x34(L).view(2.0, 6), TypeError, r"view.*float"),
    ("reshape_float_size", lambda L: x34(L).reshape((2.5, 6)), TypeError, r"reshape.*float"),
    ("expand_float_size", lambda L: x34(L).expand((2.0, 3, 4)), TypeError, r"expand.*float"),
    ("permute_float", lambda L: x34(L).permute(0, 1.0), TypeError, r"permute.*float"),
    ("unsqueeze_float", lambda L: x34(L).unsqueeze(1.5), TypeError, r"unsqueeze"),
    ("transpose_float", lambda L: x34(L).transpose(0, 1.0), TypeError, r"transpose"),
    ("narrow_float", lambda L: x34(L).narrow(0, 1.5, 1), TypeError, r"narrow"),
    ("size_float", lambda L: x34(L).size(1.5), TypeError, r"size.*float"),
    ("view_str", lambda L: x34(L).view("a"), TypeError, r"view"),
    ("view_no_args", lambda L: x34(L).view(), TypeError, r"view"),
    ("reshape_no_args", lambda L: x34(L).reshape(), TypeError, r"reshape"),
    # conversions
    ("item_many", lambda L: x34(L).item(), RuntimeError, r"a Tensor with 12 elements cannot be converted to Scalar"),
    ("item_empty", lambda L: L.zeros(0).item(), RuntimeError, r"a Tensor with 0 elements"),
    ("bool_many", lambda L: bool(x34(L)), RuntimeError, r"Boolean value of Tensor with more than one value is ambiguous"),
    ("bool_empty", lambda L: bool(L.zeros(0)), RuntimeError, r"Boolean value of Tensor with no values is ambiguous"),
    ("int_many", lambda L: int(x34(L)), ValueError, r"only one element tensors can be converted to Python scalars"),
    ("float_many", lambda L: float(L.zeros(2)), ValueError, r"only one element tensors"),
    ("index_float_tensor", lambda L: [1, 2][L.tensor(1.0)], TypeError, r"only integer tensors of a single element"),
    ("index_many", lambda L: [1, 2][L.tensor([0, 1])], TypeError, r"only integer tensors of a single element"),
    ("len_0d", lambda L: len(x0d(L)), TypeError, r"len\(\) of a 0-d tensor"),
    ("iter_0d", lambda L: iter(x0d(L)), TypeError, r"iteration over a 0-d tensor"),
    # autograd fields
    ("requires_grad_int", lambda L: L.tensor([1, 2]).requires_grad_(), RuntimeError,
     r"only Tensors of floating point dtype can require gradients"),
    ("requires_grad_bool_attr", lambda L: setattr(L.tensor([True]), "requires_grad", True), RuntimeError,
     r"only Tensors of floating point"),
    ("requires_grad_not_bool", lambda L: setattr(L.zeros(2), "requires_grad", 1), RuntimeError, r"must be a bool"),
    ("grad_type", lambda L: setgrad(L.zeros(2), [1.0, 2.0]), TypeError, r"assigned grad expected to be a Tensor or None.*list"),
    ("grad_size", lambda L: setgrad(L.zeros(2), L.zeros(3)), RuntimeError, r"gradient of size '\[3\]'.*size '\[2\]'"),
    ("grad_dtype", lambda L: setgrad(L.zeros(2), L.zeros(2, dtype=L.float64)), RuntimeError, r"dtype"),
]


@pytest.mark.parametrize("name,call,exc,pattern", CASES, ids=[c[0] for c in CASES])
def test_error_class_and_message(name, call, exc, pattern):
    if torch is not None:
        with pytest.raises(Exception) as t_info:
            call(torch)
        assert t_info.type is exc, f"torch raises {t_info.type.__name__}: {t_info.value}"
    with pytest.raises(Exception) as info:
        call(pydl)
    assert info.type is exc, f"pydl raised {info.type.__name__}: {info.value}"
    info.match(pattern)


# --- fuzz: random arguments (valid or not) must give torch's outcome, never a crash --------

def draw_call(name, draw):
    """Draws the arguments of one call now; returns it as a function of (tensor, library)."""
    i = lambda: draw(st.integers(-4, 5))  # noqa: E731
    ints = lambda lo=0, hi=4: draw(st.lists(st.integers(-4, 5), min_size=lo, max_size=hi))  # noqa: E731
    if name == "view":
        a = ints(1)
        return lambda t, L: t.view(*a)
    if name == "reshape":
        a = ints(1)
        return lambda t, L: t.reshape(a)
    if name == "expand":
        a = draw(st.lists(st.integers(-2, 5), max_size=5))
        return lambda t, L: t.expand(*a) if a else t.expand(())
    if name == "permute":
        a = ints(0)
        return lambda t, L: t.permute(a)
    if name == "squeeze":
        a = draw(st.one_of(st.none(), st.integers(-4, 5), st.tuples(st.integers(-4, 5), st.integers(-4, 5))))
        return lambda t, L: t.squeeze(a) if a is not None else t.squeeze()
    if name == "unflatten":
        d, a = i(), ints(1, 3)
        return lambda t, L: t.unflatten(d, a)
    if name == "as_strided":
        n = draw(st.integers(0, 3))
        size, stride = [draw(st.integers(0, 5)) for _ in range(n)], [draw(st.integers(-1, 6)) for _ in range(n)]
        off = draw(st.integers(-1, 30))
        return lambda t, L: t.as_strided(size, stride, off)
    if name == "getitem":
        item = st.one_of(st.integers(-4, 5), st.none(), st.just(Ellipsis),  # bools: see test_indexing
                         st.builds(slice, st.integers(-4, 5) | st.none(), st.integers(-4, 5) | st.none(),
                                   st.integers(-1, 3) | st.none()))
        index = tuple(draw(st.lists(item, max_size=4)))
        if sum(1 for x in index if x is Ellipsis) > 1:  # PyTorch accepts several; pydl follows NumPy
            index = tuple(x for x in index if x is not Ellipsis)
        return lambda t, L: t[index]
    if name == "view_dtype":
        dt = draw(st.sampled_from(["float16", "float64", "int8", "int32", "bool"]))
        return lambda t, L: t.view(getattr(L, dt))
    if name == "t":
        return lambda t, L: t.t()
    if name == "T":
        return lambda t, L: t.T if t.dim() in (0, 2) else t.permute(tuple(reversed(range(t.dim()))))
    args = [i() for _ in range({"transpose": 2, "unsqueeze": 1, "flatten": 2, "narrow": 3, "select": 2,
                                "unfold": 3, "diagonal": 3}[name])]
    return lambda t, L: getattr(t, name)(*args)


OP_NAMES = ["view", "reshape", "expand", "permute", "transpose", "squeeze", "unsqueeze", "flatten", "unflatten",
            "narrow", "select", "unfold", "diagonal", "as_strided", "getitem", "view_dtype", "t", "T"]


def outcome(L, shape, layout, call):
    n = 1
    for s in shape:
        n *= s
    t = L.arange(float(2 * n + 1))[1::2].reshape(shape) if layout == "strided" else L.arange(float(n)).reshape(shape)
    if layout == "transposed":
        t = L.arange(float(n)).reshape(tuple(reversed(shape))).permute(tuple(reversed(range(len(shape)))))
    try:
        r = call(t, L)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e).__name__
    if min(r.shape, default=0) < 0:  # torch lets expand(0, -1) through on empty results (and breaks later)
        return "negative size"
    return tuple(r.shape), tuple(r.stride()), r.storage_offset(), r.tolist()


@pytest.mark.skipif(torch is None, reason="torch is the oracle")
@settings(max_examples=1000, deadline=None)
@given(shape=st.lists(st.integers(0, 3), max_size=3).map(tuple), name=st.sampled_from(OP_NAMES),
       layout=st.sampled_from(["contiguous", "transposed", "strided"]), data=st.data())
def test_fuzz_random_arguments_match_torch(shape, name, layout, data):
    call = draw_call(name, data.draw)
    got, want = outcome(pydl, shape, layout, call), outcome(torch, shape, layout, call)
    if want == "negative size":
        assert got == "RuntimeError", f"{name} on {shape} ({layout}): pydl {got}"
        return
    assert got == want, f"{name} on {shape} ({layout}): pydl {got}, torch {want}"


@pytest.mark.parametrize("call", [
    lambda x: x.view(True), lambda x: x.reshape(True), lambda x: x.view((True, 6)),
    lambda x: x.unsqueeze(True), lambda x: x.narrow(0, True, 2), lambda x: x.squeeze(False),
    lambda x: x.unflatten(0, 6), lambda x: x.transpose(0.0, 0), lambda x: pydl.zeros(True),
], ids=["view", "reshape", "view-tuple", "unsqueeze", "narrow", "squeeze", "unflatten", "transpose", "zeros"])
def test_bool_and_float_are_not_ints(call):
    # PyTorch's argument parser refuses bool and float where an int or tuple of ints is expected.
    with pytest.raises(TypeError):
        call(pydl.arange(6))
