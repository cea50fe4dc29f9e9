"""The two kinds of image the transforms accept, and a common NumPy form to compute on.

* A NumPy array is laid out like a PIL image: ``(H, W)`` or ``(H, W, C)``. This is what the
  datasets return, in place of torchvision's PIL images.
* A pydl tensor is laid out like a torchvision tensor image: ``(..., C, H, W)`` (or ``(H, W)``),
  any leading batch dimensions allowed, on any device.

Pixel work happens on *planes*: a NumPy array of shape ``(N, H, W)``, one plane per channel (and
per batch entry). :func:`to_planes` gives the planes and a function that turns a result back
into the caller's kind, layout, dtype and device, so every transform returns what it was given.
"""
from __future__ import annotations

import numbers

import numpy as np

import pydl

__all__ = ["is_tensor", "get_dimensions", "to_planes", "plane_fill", "cast_like", "rand_float",
           "rand_int", "rand_uniform"]


def is_tensor(img) -> bool:
    return isinstance(img, pydl.Tensor)


def _check(img) -> None:
    if is_tensor(img):
        if img.ndim < 2:
            raise ValueError(f"Expected a tensor image of shape (..., H, W), got shape {tuple(img.shape)}")
    elif isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"Expected a NumPy image of shape (H, W) or (H, W, C), "
                             f"got shape {img.shape}")
    else:
        raise TypeError("img should be a NumPy array of shape (H, W) or (H, W, C) or a pydl "
                        f"Tensor of shape (..., C, H, W). Got {type(img)}")


def get_dimensions(img):
    """``(channels, height, width)`` of either kind of image, as torchvision's ``get_dimensions``."""
    _check(img)
    shape = tuple(img.shape)
    if is_tensor(img):
        return (shape[-3] if len(shape) >= 3 else 1), shape[-2], shape[-1]
    return (shape[2] if len(shape) == 3 else 1), shape[0], shape[1]


def to_planes(img):
    """Returns ``(planes, channels, restore)``.

    ``planes`` is a NumPy ``(N, H, W)`` array of the image's dtype (a view where possible: copy
    before writing). ``restore(out)`` takes planes of the same ``N`` (any ``H``, ``W``, any dtype,
    cast back to the input's with :func:`cast_like`) and rebuilds the input's kind, layout and
    device.
    """
    channels, _, _ = get_dimensions(img)
    if is_tensor(img):
        lead, device, dtype = tuple(img.shape[:-2]), img.device, img.dtype
        arr = img.detach().cpu().numpy()
        planes = arr.reshape((-1,) + arr.shape[-2:])

        def restore(out):
            out = np.ascontiguousarray(cast_like(out, planes.dtype))
            t = pydl.from_numpy(out.reshape(lead + out.shape[-2:]))
            return t if str(device) == "cpu" else t.to(device)
        return planes, channels, restore

    dtype = img.dtype
    if img.ndim == 2:
        return img[None], 1, lambda out: np.ascontiguousarray(cast_like(out[0], dtype))
    return (np.moveaxis(img, -1, 0), channels,
            lambda out: np.ascontiguousarray(cast_like(np.moveaxis(out, 0, -1), dtype)))


def plane_fill(fill, channels: int, num_planes: int):
    """Expands ``fill`` (``None``, a number, or one value per channel) to one value per plane.

    Returns ``None`` for ``None`` (no fill blending), else a float64 array of ``num_planes``.
    Planes run channel-fastest, so plane ``n`` is channel ``n % channels``.
    """
    if fill is None:
        return None
    if isinstance(fill, numbers.Number):
        values = [float(fill)]
    elif isinstance(fill, (tuple, list)):
        values = [float(f) for f in fill]
    else:
        raise TypeError(f"fill should be a number or a sequence of numbers, got {type(fill)}")
    if len(values) == 1:
        values = values * channels
    if len(values) != channels:
        raise ValueError("The number of elements in 'fill' does not match the number of channels "
                         f"of the image ({len(values)} != {channels})")
    return np.tile(np.asarray(values, dtype=np.float64), num_planes // channels)


def cast_like(out: np.ndarray, dtype) -> np.ndarray:
    """Casts computed float planes back to ``dtype``, rounding (half to even, as torch.round)
    and clipping for integer types so values never wrap around."""
    dtype = np.dtype(dtype)
    if out.dtype == dtype:
        return out
    if dtype.kind in "iub":
        info = np.iinfo(dtype) if dtype.kind != "b" else None
        out = np.rint(out)
        if info is not None:
            out = np.clip(out, info.min, info.max)
    return out.astype(dtype)


# Randomness comes from pydl's global generator, as torchvision draws from torch's: a
# pydl.manual_seed(...) makes every transform reproducible, and draws happen in torchvision's
# order so the same seed gives the same sequence of decisions for a given generator.

def rand_float() -> float:
    """One draw from U[0, 1)."""
    return float(pydl.rand(1).item())


def rand_int(low: int, high: int) -> int:
    """One integer from ``[low, high)``."""
    return int(pydl.randint(int(low), int(high), (1,)).item())


def rand_uniform(low: float, high: float) -> float:
    """One draw from U[low, high)."""
    return float(pydl.empty(1).uniform_(float(low), float(high)).item())
