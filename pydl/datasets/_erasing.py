"""RandomErasing (Zhong et al., 2017): blank out a random rectangle, as torchvision's."""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

import pydl
from ._image import cast_like, get_dimensions, is_tensor, rand_float, rand_int, rand_uniform

__all__ = ["RandomErasing"]


class RandomErasing:
    """With probability ``p``, overwrites a random rectangle of the image.

    Args:
        p: probability of erasing.
        scale: range of the rectangle's area, as a fraction of the image's.
        ratio: range of its aspect ratio (height / width), drawn log-uniformly.
        value: the fill: a number, one number per channel, or ``"random"`` for standard normal
            noise per pixel (rounded and clipped for integer images).
        inplace: write into the input instead of a copy.

    Works on tensors ``(..., C, H, W)`` like torchvision, and also on NumPy ``(H, W[, C])``
    images. After 10 draws that do not fit, the image is returned unchanged.
    """

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace: bool = False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(top, left, h, w, v)`` for one erasure; ``v`` is ``(C, h, w)`` noise or ``(len, 1, 1)``
        values as a float32 NumPy array, or the image itself when nothing fitted."""
        img_c, img_h, img_w = get_dimensions(img)
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * rand_uniform(scale[0], scale[1])
            aspect_ratio = math.exp(rand_uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = pydl.empty([img_c, h, w], dtype=pydl.float32).normal_().numpy()
            else:
                v = np.asarray(value, dtype=np.float32)[:, None, None]
            return rand_int(0, img_h - h + 1), rand_int(0, img_w - w + 1), h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        channels, _, _ = get_dimensions(img)
        if not rand_float() < self.p:
            return img
        if isinstance(self.value, str):
            value = None
        elif isinstance(self.value, numbers.Number):
            value = [float(self.value)]
        else:
            value = [float(v) for v in self.value]
        if value is not None and len(value) not in (1, channels):
            raise ValueError("If value is a sequence, it should have either a single value or "
                             f"{channels} (number of input channels)")
        top, left, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
        if v is img:
            return img
        return _erase(img, top, left, h, w, v, self.inplace)

    def __repr__(self):
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


def _erase(img, top: int, left: int, h: int, w: int, v: np.ndarray, inplace: bool):
    if is_tensor(img):
        out = img if inplace else img.clone()
        if out.is_floating_point():
            vt = pydl.from_numpy(np.ascontiguousarray(v)).to(out.dtype)
        else:
            # Integer images: round and clip here, where NumPy knows the dtype's range.
            twin = pydl.empty(0, dtype=out.dtype).numpy().dtype
            vt = pydl.from_numpy(np.ascontiguousarray(cast_like(v, twin)))
        out[..., top:top + h, left:left + w] = vt.to(out.device)
        return out
    out = img if inplace else img.copy()
    # v is channel-first; NumPy images are channel-last (or have no channel axis).
    patch = cast_like(np.moveaxis(v, 0, -1), out.dtype)
    out[top:top + h, left:left + w] = patch if out.ndim == 3 else patch[..., 0]
    return out
