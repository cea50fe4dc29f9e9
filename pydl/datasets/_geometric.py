"""Geometric transforms: padding, crops, flips, rotations and affine warps.

Each accepts a NumPy image ``(H, W)`` / ``(H, W, C)`` or a pydl tensor ``(..., C, H, W)`` and
returns the same kind. Arguments, random draws, defaults, errors and ``repr`` follow
torchvision.transforms; warps match torchvision's tensor implementation (see ``_warp``).
Random parameters come from pydl's global generator, so ``pydl.manual_seed`` fixes them.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from enum import Enum

from ._image import (get_dimensions, is_tensor, plane_fill, rand_float, rand_int, rand_uniform,
                     to_planes)
from ._warp import (PADDING_MODES, affine_output_size, inverse_affine_matrix, pad_planes,
                    warp_affine)

__all__ = ["InterpolationMode", "Pad", "CenterCrop", "RandomCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomRotation", "RandomAffine"]


class InterpolationMode(Enum):
    """How warps sample the input. Only the modes pydl implements are listed."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _interpolation(mode) -> InterpolationMode:
    try:
        return InterpolationMode(mode.value if isinstance(mode, Enum) else mode)
    except ValueError:
        raise ValueError(f"interpolation should be InterpolationMode.NEAREST or "
                         f"InterpolationMode.BILINEAR (or 'nearest'/'bilinear'), got {mode!r}") from None


# -- argument checks, worded as torchvision's ------------------------------------------------

def _setup_size(size, error_msg: str):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(error_msg)
    return tuple(size)


def _check_sequence_input(x, name: str, req_sizes) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join(str(s) for s in req_sizes)
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x, name: str, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _check_fill(fill) -> None:
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Fill should be either a sequence or a number.")


def _parse_padding(padding):
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if isinstance(padding, bool) or not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, int):
        return padding, padding, padding, padding
    if len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, "
                         f"not a {len(padding)} element tuple")
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    return tuple(int(p) for p in padding)


# -- functional helpers ---------------------------------------------------------------------

def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pads an image on each side; ``padding`` is an int, ``(lr, tb)`` or ``(l, t, r, b)``."""
    left, top, right, bottom = _parse_padding(padding)
    if padding_mode not in PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    planes, channels, restore = to_planes(img)
    fill_values = plane_fill(fill, channels, len(planes)) if padding_mode == "constant" else None
    return restore(pad_planes(planes, left, top, right, bottom, fill_values, padding_mode))


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height`` x ``width`` window at ``(top, left)``; a view for tensors, as torchvision."""
    if is_tensor(img):
        return img[..., top:top + height, left:left + width]
    return img[top:top + height, left:left + width].copy()


def hflip(img):
    """Mirrors the width axis."""
    return img.flip(-1) if is_tensor(img) else img[:, ::-1].copy()


def vflip(img):
    """Mirrors the height axis."""
    return img.flip(-2) if is_tensor(img) else img[::-1].copy()


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None, expand: bool = False, rotate_convention: bool = False):
    """Warps ``img``. ``angle`` is clockwise in degrees (counter-clockwise when
    ``rotate_convention``, torchvision's ``rotate``); ``translate`` in pixels; ``center`` in
    pixel coordinates, the image centre by default."""
    planes, channels, restore = to_planes(img)
    _, h, w = get_dimensions(img)
    center_f = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h))]
    matrix = inverse_affine_matrix(center_f, -angle if rotate_convention else angle,
                                   [float(t) for t in translate], float(scale),
                                   [float(s) for s in shear])
    out_size = None
    if expand:
        ow, oh = affine_output_size(matrix, w, h)
        out_size = (oh, ow)
    fill_values = plane_fill(fill, channels, len(planes))
    return restore(warp_affine(planes, matrix, _interpolation(interpolation).value,
                               fill_values, out_size))


# -- transforms -----------------------------------------------------------------------------

class Pad:
    """Pads every side of the image; ``padding_mode`` is constant, edge, reflect or symmetric."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        _parse_padding(padding)
        _check_fill(fill)
        if padding_mode not in PADDING_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return (f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class CenterCrop:
    """Crops the centre; an image smaller than ``size`` is first zero-padded, as torchvision."""

    def __init__(self, size):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def __call__(self, img):
        th, tw = self.size
        _, h, w = get_dimensions(img)
        if th > h or tw > w:
            img = pad(img, [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                            (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0])
            _, h, w = get_dimensions(img)
        return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class RandomCrop:
    """Crops a random ``size`` window, after optional padding.

    Args:
        size: ``(h, w)`` or an int for a square crop.
        padding: added first: an int, ``(left/right, top/bottom)`` or ``(l, t, r, b)``.
        pad_if_needed: pad a side shorter than ``size`` (by the shortfall on both ends).
        fill: constant-padding value, or one per channel.
        padding_mode: constant, edge, reflect or symmetric.

    The offsets are ``pydl.randint(0, H - h + 1)`` then ``pydl.randint(0, W - w + 1)``.
    """

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        if padding is not None:
            _parse_padding(padding)
        _check_fill(fill)
        if padding_mode not in PADDING_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """``(top, left, h, w)`` of a random crop of ``output_size`` from ``img``."""
        _, h, w = get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return rand_int(0, h - th + 1), rand_int(0, w - tw + 1), th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = get_dimensions(img)
        if self.pad_if_needed and w < self.size[1]:
            img = pad(img, [self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = pad(img, [0, self.size[0] - h], self.fill, self.padding_mode)
        return crop(img, *self.get_params(img, self.size))

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirrors the image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        get_dimensions(img)  # type check even when not flipping
        return hflip(img) if rand_float() < self.p else img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirrors the image top-bottom with probability ``p``."""

    def __call__(self, img):
        get_dimensions(img)
        return vflip(img) if rand_float() < self.p else img


class RandomRotation:
    """Rotates by an angle drawn uniformly from ``degrees``, counter-clockwise for positive angles.

    Args:
        degrees: ``(min, max)``, or a number ``d`` for ``(-d, d)``.
        interpolation: ``InterpolationMode.NEAREST`` (default) or ``BILINEAR`` (or their names).
        expand: grow the output to hold the whole rotated image (else keep the input's size).
        center: ``(x, y)`` pixel to rotate about; the image centre by default.
        fill: value for the area outside the rotated image, or one per channel.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0):
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        _check_fill(fill)
        self.interpolation = _interpolation(interpolation)
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees) -> float:
        """An angle drawn from U[degrees[0], degrees[1]]."""
        return rand_uniform(degrees[0], degrees[1])

    def __call__(self, img):
        angle = self.get_params(self.degrees)
        return affine(img, angle, (0, 0), 1.0, (0.0, 0.0), self.interpolation, self.fill,
                      self.center, expand=self.expand, rotate_convention=True)

    def __repr__(self):
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", interpolation={self.interpolation.value}, expand={self.expand}"
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine:
    """A random affine warp keeping the centre fixed.

    Args:
        degrees: rotation range ``(min, max)`` or ``d`` for ``(-d, d)``. As in torchvision,
            ``RandomAffine``'s positive angles turn clockwise (``RandomRotation``'s turn
            counter-clockwise).
        translate: ``(a, b)``: shifts drawn from ``[-a * W, a * W]`` and ``[-b * H, b * H]``,
            rounded to whole pixels.
        scale: ``(lo, hi)`` range of the scale factor; 1 by default.
        shear: x-shear range ``d`` / ``(min, max)``, or ``(xmin, xmax, ymin, ymax)`` to shear y too.
        interpolation: ``InterpolationMode.NEAREST`` (default) or ``BILINEAR``.
        fill: value for pixels mapped from outside the image, or one per channel.
        center: ``(x, y)`` pixel kept fixed; the image centre by default.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            if any(not 0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.shear = None if shear is None else _setup_angle(shear, name="shear", req_sizes=(2, 4))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        _check_fill(fill)
        self.translate, self.scale, self.center, self.fill = translate, scale, center, fill
        self.interpolation = _interpolation(interpolation)

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))``; ``img_size`` is ``(W, H)``.

        Draws in torchvision's order: angle, tx, ty, scale, shear x, shear y.
        """
        angle = rand_uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(rand_uniform(-max_dx, max_dx))),
                            int(round(rand_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else rand_uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = rand_uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = rand_uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        _, h, w = get_dimensions(img)
        angle, translations, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, (w, h))
        return affine(img, angle, translations, scale, shear, self.interpolation, self.fill,
                      self.center)

    def __repr__(self):
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        if self.interpolation != InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"
