"""Tensors of a test array in the memory layouts the window-op tests run through: contiguous,
transposed (the last two dims stored swapped and viewed back) and sliced (every other element of
a wider buffer), so kernels see non-contiguous inputs the way users' views give them."""
import numpy as np

import pydl

LAYOUTS = ["contiguous", "transposed", "sliced"]


def as_layout(a, dtype=pydl.float64, layout="contiguous", requires_grad=False):
    """`a` (a NumPy array, or None) as a pydl tensor of `dtype` laid out as `layout`."""
    if a is None:
        return None
    if layout == "transposed":
        t = pydl.tensor(np.ascontiguousarray(a.swapaxes(-1, -2)), dtype=dtype).transpose(-1, -2)
    elif layout == "sliced":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],))
        big[..., ::2] = a
        t = pydl.tensor(big, dtype=dtype)[..., ::2]
    else:
        return pydl.tensor(a, dtype=dtype, requires_grad=requires_grad)
    assert not t.is_contiguous() or 1 in a.shape[-2:]
    return t.requires_grad_() if requires_grad else t
