"""Op table rows for softmax and log_softmax (tests/op_table/__init__.py), in every form pydl
has: pydl.softmax / Tensor.softmax and torch.nn.functional's softmax, log_softmax, softmin.

The reference shifts each slice by its max in float64, as the kernels do in the input's compute
type, so the large-magnitude samples check that nothing overflows.
"""
import numpy as np

from . import FLOATS, OpInfo, Sample, make_array

# (shape, dim): 0-d, empty, vectors, every dim of matrices and 3-d tensors; inner sizes above
# the kernel's 64-column tile ((33, 65) dim 0, (2, 3, 130) dim 1) and long rows.
DIM_CASES = [((), 0), ((), -1), ((0,), 0), ((4, 0, 3), 1), ((4, 0, 3), 2), ((1,), 0), ((7,), 0), ((7,), -1),
             ((3, 4), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 5), 0), ((2, 3, 5), 1), ((2, 3, 5), 2),
             ((2, 3, 5), -1), ((33, 65), 0), ((33, 65), 1), ((2, 3, 130), 1), ((3, 1000), 1)]


def dim_samples(dtype, rng):
    for shape, dim in DIM_CASES:
        yield Sample((make_array(shape, dtype, rng),), {"dim": dim}, f"{shape} dim={dim}")
    # Magnitudes whose exp overflows every float format unless shifted by the max.
    for shape, dim in (((5, 9), 1), ((5, 9), 0)):
        yield Sample((make_array(shape, dtype, rng, -1000.0, 1000.0),), {"dim": dim}, f"{shape} dim={dim} large")


def ref_log_softmax(x, dim):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.size == 0:
        return np.zeros_like(x)
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def ref_softmax(x, dim):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.size == 0:
        return np.ones_like(x)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def ref_softmin(x, dim):
    return ref_softmax(-np.asarray(x, dtype=np.float64), dim)


def _functional(name):
    return lambda lib, x, dim: getattr(lib.nn.functional, name)(x, dim)


# Values inside a slice differ by up to 10 (2000 for the large samples), so float32 results of
# log_softmax carry an absolute error of a few ulp of that range.
_LOG_TOL = {"float32": (2e-6, 2e-5)}

OPS = [
    OpInfo("softmax", ref_softmax, dim_samples, dtypes=FLOATS, ref_dtype="float64"),
    OpInfo("log_softmax", ref_log_softmax, dim_samples, dtypes=FLOATS, ref_dtype="float64", tol=_LOG_TOL),
    OpInfo("nn.functional.softmax", ref_softmax, dim_samples, dtypes=FLOATS, ref_dtype="float64",
           fn=_functional("softmax"), method=False),
    OpInfo("nn.functional.log_softmax", ref_log_softmax, dim_samples, dtypes=FLOATS, ref_dtype="float64",
           fn=_functional("log_softmax"), method=False, tol=_LOG_TOL),
    OpInfo("nn.functional.softmin", ref_softmin, dim_samples, dtypes=FLOATS, ref_dtype="float64",
           fn=_functional("softmin"), method=False),
]
