"""The op table: one `OpInfo` row per op drives the generated tests in tests/test_ops.py.

A row names the op, gives a NumPy reference and a generator of sample inputs, and says which
dtypes, variants (method, in-place, out=) and layouts apply. The tests then check, for every
sample: values against NumPy, the result dtype against PyTorch (when installed), the in-place
and out= variants, and the same values when tensor arguments are transposed, step-sliced or
expanded views. Adding an op to pydl means adding one row to the family module here
(elementwise.py, reductions.py, shape.py, indexing.py, sorting.py, ...).

Sample arguments are NumPy arrays (they become tensors of the dtype under test) or plain
Python values (passed through). Wrap an array in `Keep(...)` to pass it as a tensor with its
own dtype (e.g. int64 indices) rather than the dtype under test.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

ALL = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64")
FLOATS = ("float16", "bfloat16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
SIGNED_INTS = ("int8", "int16", "int32", "int64")
NUMERIC = INTS + FLOATS  # everything but bool


@dataclass
class Keep:
    """A sample argument that keeps its own dtype (indices, masks) instead of the tested one."""
    array: np.ndarray


@dataclass
class Sample:
    args: tuple
    kwargs: dict = field(default_factory=dict)
    desc: str = ""


@dataclass
class OpInfo:
    name: str                                # PyTorch's name: pydl.<name> and Tensor.<name>
    ref: Callable                            # NumPy reference, called like the op (arrays in)
    samples: Callable                        # samples(dtype_name, rng) -> iterable of Sample
    dtypes: tuple = FLOATS
    fn: Optional[Callable] = None            # fn(lib, *args, **kwargs); default lib.<name>
    method: bool = True                      # Tensor.<name> exists (called on the first arg)
    inplace: bool = False                    # Tensor.<name>_ exists
    out: bool = False                        # accepts out=
    differentiable: bool = True              # for the autograd tests
    layouts: bool = True                     # re-run with non-contiguous tensor arguments
    tol: dict = field(default_factory=dict)  # dtype name -> (rtol, atol), overrides TOL
    ref_dtype: Optional[str] = None          # compute the reference in this NumPy dtype
    exact: bool = False                      # compare bit-for-bit (after NaN masking)

    def call(self, lib, *args, **kwargs):
        if self.fn is not None:
            return self.fn(lib, *args, **kwargs)
        return getattr(lib, self.name)(*args, **kwargs)

    def __str__(self):
        return self.name


# Default (rtol, atol) per result dtype. half/bfloat16 results are computed in float32 and
# rounded, so one rounding step of the format is the tolerance.
TOL = {
    "float16": (1e-3, 1e-3),
    "bfloat16": (8e-3, 8e-3),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}


def make_array(shape, dtype, rng, low=-5.0, high=5.0):
    """Random values of `dtype` (a pydl dtype name) as a NumPy array: float64 for half/bfloat16
    (their exact values are fixed when the tensor is made), the NumPy dtype otherwise."""
    shape = tuple(shape)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in FLOATS:
        return np.asarray(rng.uniform(low, high, shape))
    info = np.iinfo(np.dtype(dtype))
    lo, hi = max(int(low), info.min), min(int(high), info.max)
    return rng.integers(lo, hi + 1, shape, dtype=np.int64).astype(dtype)


# Shapes every elementwise op sees: 0-d, empty, vectors, matrices, 3-d.
UNARY_SHAPES = [(), (0,), (1,), (7,), (3, 4), (2, 3, 5), (33, 65)]
# Pairs that broadcast like PyTorch: scalar-vs-tensor, rows-vs-columns, rank mismatch.
BINARY_SHAPES = [((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (3, 4)), ((3, 4), ()),
                 ((), (2, 3)), ((0,), (1,)), ((2, 0, 3), (2, 1, 3)), ((65, 33), (65, 33)), ((2, 1, 4), (3, 1))]


def unary_samples(low=-5.0, high=5.0, shapes=UNARY_SHAPES, **kwargs):
    """A `samples` function: one random tensor per shape, values in [low, high]."""
    def gen(dtype, rng):
        for s in shapes:
            yield Sample((make_array(s, dtype, rng, low, high),), dict(kwargs), f"{s}")
    return gen


def binary_samples(low=-5.0, high=5.0, shapes=BINARY_SHAPES, rhs_low=None, rhs_high=None, **kwargs):
    def gen(dtype, rng):
        for sa, sb in shapes:
            a = make_array(sa, dtype, rng, low, high)
            b = make_array(sb, dtype, rng, low if rhs_low is None else rhs_low, high if rhs_high is None else rhs_high)
            yield Sample((a, b), dict(kwargs), f"{sa}x{sb}")
    return gen


def all_ops():
    """Every OpInfo row, gathered from the family modules that exist."""
    import importlib
    rows = []
    for family in ("elementwise", "activations", "comparison", "reductions", "shape", "indexing", "sorting", "softmax",
                   "linalg"):
        try:
            mod = importlib.import_module(f"op_table.{family}")
        except ModuleNotFoundError as e:
            if e.name != f"op_table.{family}":
                raise
            continue
        rows.extend(mod.OPS)
    return rows
