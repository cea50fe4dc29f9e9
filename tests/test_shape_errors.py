"""Bad input to the shape and joining ops raises PyTorch's exception class with a message that
names the problem (dims, shapes, sizes). Each case states the class; with torch installed the
same call in torch must raise that class too."""
import pytest

import pydl

try:
    import torch
except ImportError:  # the expected classes are written out; torch only double-checks them
    torch = None


def _t(lib, *shape, dtype=None):
    return lib.ones(*shape, dtype=getattr(lib, dtype)) if dtype else lib.ones(*shape)


# (id, call(lib), exception class, regex the message must match)
CASES = [
    ("cat_empty_list", lambda L: L.cat([]), ValueError, "non-empty"),
    ("cat_zero_dim", lambda L: L.cat([L.tensor(1.0)]), RuntimeError, "zero-dimensional.*position 0"),
    ("cat_sizes", lambda L: L.cat([_t(L, 2, 3), _t(L, 3, 2)], 1), RuntimeError,
     "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1"),
    ("cat_ndim", lambda L: L.cat([_t(L, 2, 3), _t(L, 3)], 1), RuntimeError, "same number of dimensions: got 2 and 1"),
    ("cat_dim_range", lambda L: L.cat([_t(L, 2, 3)], 2), IndexError, r"range of \[-2, 1\], but got 2"),
    ("cat_not_a_list", lambda L: L.cat(_t(L, 2, 2)), TypeError, "tuple of Tensors"),
    ("cat_not_tensors", lambda L: L.cat([_t(L, 2), 3]), TypeError, "element 1"),
    ("cat_out_dtype", lambda L: L.cat([_t(L, 2), _t(L, 2)], out=_t(L, 4, dtype="int32")), TypeError, "cast"),
    ("stack_empty", lambda L: L.stack([]), RuntimeError, "non-empty"),
    ("stack_sizes", lambda L: L.stack([_t(L, 2, 3), _t(L, 2, 4)]), RuntimeError, r"\[2, 3\] at entry 0 and \[2, 4\] at entry 1"),
    ("stack_dim", lambda L: L.stack([_t(L, 2, 3)], 3), IndexError, "Dimension out of range"),
    ("hstack_empty", lambda L: L.hstack([]), RuntimeError, "hstack expects a non-empty"),
    ("vstack_empty", lambda L: L.vstack([]), RuntimeError, "vstack expects a non-empty"),
    ("dstack_empty", lambda L: L.dstack([]), RuntimeError, "dstack expects a non-empty"),
    ("column_stack_empty", lambda L: L.column_stack([]), RuntimeError, "column_stack expects a non-empty"),
    ("split_zero", lambda L: L.split(_t(L, 3), 0), RuntimeError, "split_size can only be 0 if dimension size is 0.*3"),
    ("split_negative", lambda L: L.split(_t(L, 3), -1), RuntimeError, "non-negative.*-1"),
    ("split_sum", lambda L: L.split(_t(L, 3), [1, 1]), RuntimeError, r"sum exactly to 3.*\[1, 1\]"),
    ("split_negative_size", lambda L: L.split(_t(L, 3), [1, -1, 3]), RuntimeError, "non-negative entries"),
    ("split_0d", lambda L: L.split(L.tensor(1.0), 1), RuntimeError, "at least a 1-dimensional"),
    ("split_dim", lambda L: L.split(_t(L, 3), 1, 1), IndexError, "Dimension out of range"),
    ("chunk_zero", lambda L: L.chunk(_t(L, 5), 0), RuntimeError, "greater than 0, got: 0"),
    ("chunk_0d", lambda L: L.chunk(L.tensor(1.0), 1), RuntimeError, "at least a 1-dimensional"),
    ("unbind_0d", lambda L: L.unbind(L.tensor(1.0)), IndexError, "no dimensions"),
    ("unbind_dim", lambda L: L.unbind(_t(L, 2, 3), 2), IndexError, "Dimension out of range"),
    ("tensor_split_zero", lambda L: L.tensor_split(_t(L, 5), 0), RuntimeError, "larger than 0, got 0"),
    ("tensor_split_0d", lambda L: L.tensor_split(L.tensor(1.0), 1), RuntimeError, "at least a 1-dimensional"),
    ("tensor_split_float", lambda L: L.tensor_split(_t(L, 5), L.tensor([1.0])), RuntimeError, "dtype of long"),
    ("tensor_split_2d", lambda L: L.tensor_split(_t(L, 5), L.ones(2, 2, dtype=L.int64)), RuntimeError, "2 dims"),
    ("flip_repeated", lambda L: L.flip(_t(L, 2, 3), (0, 0)), RuntimeError, "dim 0 appears multiple times"),
    ("flip_dim", lambda L: L.flip(_t(L, 2, 3), (0, 2)), IndexError, "Dimension out of range"),
    ("fliplr_1d", lambda L: L.fliplr(_t(L, 3)), RuntimeError, ">= 2-d"),
    ("flipud_0d", lambda L: L.flipud(L.tensor(1.0)), RuntimeError, ">= 1-d"),
    ("roll_align", lambda L: L.roll(_t(L, 2, 3), (1, 2), (0,)), RuntimeError, "shifts: 2, dims:1"),
    ("roll_no_dims_tuple", lambda L: L.roll(_t(L, 2, 3), (1, 2)), RuntimeError, "must align"),
    ("roll_dim", lambda L: L.roll(_t(L, 2, 3), 1, 3), IndexError, "Dimension out of range"),
    ("rot90_same", lambda L: L.rot90(_t(L, 2, 3), 1, (0, 0)), RuntimeError, "dim0 = 0 and dim1 = 0"),
    ("rot90_ndims", lambda L: L.rot90(_t(L, 2, 3), 1, (0, 1, 2)), RuntimeError, "rotation dims == 2.*3"),
    ("rot90_1d", lambda L: L.rot90(_t(L, 3), 1), RuntimeError, "total dims >= 2"),
    ("rot90_range", lambda L: L.rot90(_t(L, 2, 3), 1, (0, 5)), IndexError, "Dimension out of range"),
    ("movedim_repeat", lambda L: L.movedim(_t(L, 2, 3, 4), (0, 1), (2, 2)), RuntimeError, r"repeated dim in `destination`"),
    ("movedim_count", lambda L: L.movedim(_t(L, 2, 3, 4), (0, 1), (2,)), RuntimeError, "same number of dims"),
    ("movedim_range", lambda L: L.movedim(_t(L, 2, 3, 4), 0, 5), IndexError, "Dimension out of range"),
    ("swapdims_range", lambda L: L.swapdims(_t(L, 2, 3), 0, 2), IndexError, "Dimension out of range"),
    ("repeat_too_few", lambda L: _t(L, 2, 3).repeat(2), RuntimeError, "can not be smaller"),
    ("repeat_negative", lambda L: _t(L, 2, 3).repeat(2, -1), RuntimeError, "negative dimension -3"),
    ("ri_negative_int", lambda L: L.repeat_interleave(_t(L, 2, 3), -1, dim=0), RuntimeError, "non-negative"),
    ("ri_negative_tensor", lambda L: L.repeat_interleave(_t(L, 2, 3), L.tensor([1, -2]), dim=0), RuntimeError,
     "can not be negative"),
    ("ri_size", lambda L: L.repeat_interleave(_t(L, 2, 3), L.tensor([1, 2]), dim=1), RuntimeError,
     r"repeats.size\(0\) = 2 and input.size\(1\) = 3"),
    ("ri_float", lambda L: L.repeat_interleave(_t(L, 2, 3), L.tensor([1.0, 2.0]), dim=0), NotImplementedError, "float32"),
    ("ri_output_size", lambda L: L.repeat_interleave(_t(L, 2, 3), L.tensor([2, 1]), dim=0, output_size=4), RuntimeError,
     "does not match"),
    ("ri_dim", lambda L: L.repeat_interleave(_t(L, 2, 3), 2, dim=2), IndexError, "Dimension out of range"),
    ("tril_1d", lambda L: L.tril(_t(L, 3)), RuntimeError, "at least 2 dimensions"),
    ("triu_1d_inplace", lambda L: _t(L, 3).triu_(), RuntimeError, "at least 2 dimensions"),
    ("tril_out_dtype", lambda L: L.tril(_t(L, 3, 3), out=_t(L, 3, 3, dtype="int64")), RuntimeError, "dtype"),
    ("diag_3d", lambda L: L.diag(_t(L, 2, 3, 4)), RuntimeError, "Supports 1D or 2D tensors. Got 3D"),
    ("diag_0d", lambda L: L.diag(L.tensor(1.0)), RuntimeError, "Got 0D"),
    ("diag_out_dtype", lambda L: L.diag(_t(L, 3), out=L.empty(0, dtype=L.int64)), RuntimeError, "cast"),
    ("diag_embed_same", lambda L: L.diag_embed(_t(L, 2, 3), 1, 0, 0), RuntimeError, "cannot be identical"),
    ("diag_embed_0d", lambda L: L.diag_embed(L.tensor(1.0)), IndexError, "Dimension out of range"),
    ("diagonal_same", lambda L: L.diagonal(_t(L, 2, 3), 0, 1, 1), RuntimeError, "cannot be identical"),
    ("broadcast_to", lambda L: L.broadcast_to(_t(L, 2, 1), (3, -1)), RuntimeError, r"expanded size.*\(3\).*\(2\)"),
    ("broadcast_tensors", lambda L: L.broadcast_tensors(_t(L, 2), _t(L, 3)), RuntimeError, r"\(2\).*\(3\)"),
    ("broadcast_shapes", lambda L: L.broadcast_shapes((2, 1), (3,), 4), RuntimeError,
     r"length 4 at -1.*index 2.*\[2, 3\]"),
    ("broadcast_shapes_negative", lambda L: L.broadcast_shapes((-1,)), ValueError, "negative length"),
    ("meshgrid_2d", lambda L: L.meshgrid(_t(L, 2, 3), indexing="ij"), RuntimeError, "0D or 1D"),
    ("meshgrid_indexing", lambda L: L.meshgrid(_t(L, 2), _t(L, 3), indexing="foo"), RuntimeError, "foo"),
    ("meshgrid_dtypes", lambda L: L.meshgrid(_t(L, 2), _t(L, 3, dtype="int64"), indexing="ij"), RuntimeError,
     "same dtype"),
    ("meshgrid_empty", lambda L: L.meshgrid([], indexing="ij"), RuntimeError, "non-empty"),
    ("reshape_fn", lambda L: L.reshape(_t(L, 2, 3), (4,)), RuntimeError, "invalid for input of size 6"),
    ("select_fn", lambda L: L.select(_t(L, 2, 3), 1, 3), IndexError, "out of range"),
    ("narrow_fn", lambda L: L.narrow(_t(L, 2, 3), 1, 2, 2), RuntimeError, "exceeds dimension size"),
    ("t_fn", lambda L: L.t(_t(L, 2, 3, 4)), RuntimeError, "<= 2 dimensions"),
    ("permute_fn", lambda L: L.permute(_t(L, 2, 3), (0, 0)), RuntimeError, "duplicate dims"),
]


# Where pydl is deliberately stricter than torch (which resizes a non-empty out= with a warning and
# lets tril_ write through an expanded tensor, whose result then depends on the order of writes).
STRICTER = [
    ("tril_out_shape", lambda L: L.tril(_t(L, 3, 3), out=_t(L, 2, 3)), RuntimeError, r"\[2, 3\].*\[3, 3\]"),
    ("cat_out_shape", lambda L: L.cat([_t(L, 2), _t(L, 2)], out=_t(L, 3)), RuntimeError, r"\[3\].*\[4\]"),
    ("tril_expanded_inplace", lambda L: _t(L, 1, 3).expand(3, 3).tril_(), RuntimeError, "single memory location"),
    ("tril_out_expanded", lambda L: L.tril(_t(L, 3, 3), out=_t(L, 1, 3).expand(3, 3)), RuntimeError,
     "single memory location"),
]


@pytest.mark.parametrize("call,exc,msg", [pytest.param(c, e, m, id=i) for i, c, e, m in STRICTER])
def test_stricter_than_torch(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(pydl)


@pytest.mark.parametrize("call,exc,msg", [pytest.param(c, e, m, id=i) for i, c, e, m in CASES])
def test_shape_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(pydl)
    if torch is not None:
        with pytest.raises(exc):
            call(torch)
