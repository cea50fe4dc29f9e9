"""Image transforms in the shape of ``torchvision.transforms`` (also importable as ``pydl.transforms``).

Images come in two kinds, and every transform returns the kind it was given:

* NumPy arrays ``(H, W)`` or ``(H, W, C)``, standing in for PIL images (what the datasets
  return; pydl has no Pillow dependency);
* pydl tensors ``(..., C, H, W)``, like torchvision's tensor images, on any device.

``ToTensor`` goes from the first to the second. Random transforms draw from pydl's global
generator, so ``pydl.manual_seed(s)`` makes a pipeline reproducible.

Example::

    from pydl.datasets import MNIST, transforms
    tf = transforms.Compose([
        transforms.RandomCrop(28, padding=2),
        transforms.ToTensor(),
        transforms.Normalize((0.1307,), (0.3081,)),
    ])
    train = MNIST(root=None, train=True, transform=tf)   # the bundled subset
"""
from __future__ import annotations

import numpy as np

import pydl
from ._erasing import RandomErasing
from ._geometric import (CenterCrop, InterpolationMode, Pad, RandomAffine, RandomCrop,
                         RandomHorizontalFlip, RandomRotation, RandomVerticalFlip)
from ._image import is_tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "InterpolationMode", "Pad",
           "CenterCrop", "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomRotation", "RandomAffine", "RandomErasing"]


class Compose:
    """Applies ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({body}\n)"


class ToTensor:
    """Converts an ``(H, W)`` or ``(H, W, C)`` picture into a ``(C, H, W)`` pydl tensor.

    ``uint8`` input becomes the default float dtype (float32) scaled to ``[0, 1]``; other dtypes
    keep their dtype and values, as in torchvision. Accepts NumPy arrays and also pydl tensors
    *in picture layout* (e.g. ``mnist.data[i]``); a tensor keeps its device.
    """

    def __call__(self, pic):
        if is_tensor(pic):
            device, arr = pic.device, pic.detach().cpu().numpy()
        elif isinstance(pic, np.ndarray):
            device, arr = None, pic
        else:
            raise TypeError(f"pic should be a NumPy array or a pydl Tensor. Got {type(pic)}")
        if arr.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        # ascontiguousarray: from_numpy wants a plain layout (a flipped view has negative strides).
        img = pydl.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
        if arr.dtype == np.uint8:
            img = img.to(pydl.get_default_dtype()).div(255)
        return img if device is None or str(device) == "cpu" else img.to(device)

    def __repr__(self):
        return f"{self.__class__.__name__}()"


def normalize(img, mean, std, inplace: bool = False):
    """``(img - mean) / std`` per channel: on ``(..., C, H, W)`` float tensors, as torchvision,
    and on float NumPy ``(H, W)`` / ``(H, W, C)`` images."""
    if is_tensor(img):
        if not img.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {img.dtype}.")
        if img.ndim < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tuple(img.shape)}.")
        channels = img.shape[-3]
        m = pydl.as_tensor(mean, dtype=img.dtype).to(img.device)
        s = pydl.as_tensor(std, dtype=img.dtype).to(img.device)
    elif isinstance(img, np.ndarray):
        if img.dtype.kind != "f":
            raise TypeError(f"Input array should be a float array (apply ToTensor first?). "
                            f"Got {img.dtype}.")
        if img.ndim not in (2, 3):
            raise ValueError(f"Expected a NumPy image of shape (H, W) or (H, W, C), got {img.shape}")
        channels = img.shape[2] if img.ndim == 3 else 1
        m, s = np.asarray(mean, dtype=img.dtype), np.asarray(std, dtype=img.dtype)
    else:
        raise TypeError(f"img should be a pydl Tensor or a NumPy array. Got {type(img)}")
    for name, v in (("mean", m), ("std", s)):
        if v.ndim > 1 or v.shape and v.shape[0] not in (1, channels):
            raise ValueError(f"{name} has {tuple(v.shape)} values, the image {channels} channel(s)")
    if bool((s == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {img.dtype}, leading to "
                         "division by zero.")
    if is_tensor(img):
        if m.ndim == 1:
            m, s = m.view(-1, 1, 1), s.view(-1, 1, 1)
        return img.sub_(m).div_(s) if inplace else (img - m) / s
    if img.ndim == 2:  # one channel: mean/std hold a single value
        m, s = m.reshape(()), s.reshape(())
    if inplace:
        img -= m
        img /= s
        return img
    return (img - m) / s


class Normalize:
    """Normalizes each channel: ``out[c] = (img[c] - mean[c]) / std[c]``.

    Args:
        mean: per-channel means (or one value for all).
        std: per-channel standard deviations; a zero raises ``ValueError``.
        inplace: overwrite the input instead of returning a new image.

    Takes float tensors ``(..., C, H, W)`` (non-float is a ``TypeError``, fewer than 3 dimensions
    a ``ValueError``, as torchvision) and float NumPy ``(H, W[, C])`` images.
    """

    def __init__(self, mean, std, inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, img):
        return normalize(img, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Wraps a function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"
