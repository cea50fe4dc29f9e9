"""Test images for the transform tests, and conversions between the NumPy (HWC) and tensor
(CHW) layouts of the same picture."""
import numpy as np

import pydl


def img(shape, dtype=np.uint8, seed=0):
    """A random image: uint8 over 0-255, floats over [0, 1)."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.random(shape).astype(dtype)
    return rng.integers(0, 256, size=shape).astype(dtype)


def chw(picture):
    """The tensor twin (CHW) of a NumPy HWC (or HW) image."""
    arr = picture[None] if picture.ndim == 2 else picture.transpose(2, 0, 1)
    return pydl.from_numpy(np.ascontiguousarray(arr))


def hwc(t, like):
    """Tensor image `t` back in the NumPy layout of `like` (HW or HWC)."""
    arr = t.numpy()
    return arr[0] if like.ndim == 2 else arr.transpose(1, 2, 0)
