"""Spatial reshaping modules: padding (zero, constant, reflection, replication, circular),
pixel (un)shuffle and upsampling, over ``F.pad`` / ``F.pixel_shuffle`` / ``F.interpolate``."""
from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d", "PixelShuffle", "PixelUnshuffle",
           "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        n = 2 * self._nd
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * n
        if len(self.padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of {n} ints, "
                             f"got {padding}")
        self.value = value

    def forward(self, input):
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}, value={self.value}" if self._mode == "constant" else f"{self.padding}"


def _pad_class(name, nd, mode, doc, zero=False):
    def __init__(self, padding, value=None):
        if zero:
            _PadNd.__init__(self, padding, 0.0)
        else:
            if mode == "constant" and value is None:
                raise TypeError(f"{name}.__init__() missing 1 required positional argument: 'value'")
            _PadNd.__init__(self, padding, 0.0 if value is None else value)

    def extra_repr(self):
        return f"{self.padding}" if zero or mode != "constant" else f"padding={self.padding}, value={self.value}"
    return type(name, (_PadNd,), {"_nd": nd, "_mode": mode, "__doc__": doc, "__init__": __init__,
                                  "extra_repr": extra_repr})


ZeroPad1d = _pad_class("ZeroPad1d", 1, "constant", "Pads the last dim with zeros.", zero=True)
ZeroPad2d = _pad_class("ZeroPad2d", 2, "constant", "Pads the last 2 dims with zeros (left, right, top, bottom).",
                       zero=True)
ZeroPad3d = _pad_class("ZeroPad3d", 3, "constant", "Pads the last 3 dims with zeros.", zero=True)
ConstantPad1d = _pad_class("ConstantPad1d", 1, "constant", "Pads the last dim with a constant.")
ConstantPad2d = _pad_class("ConstantPad2d", 2, "constant", "Pads the last 2 dims with a constant.")
ConstantPad3d = _pad_class("ConstantPad3d", 3, "constant", "Pads the last 3 dims with a constant.")
ReflectionPad1d = _pad_class("ReflectionPad1d", 1, "reflect", "Pads the last dim by reflection at the edge.")
ReflectionPad2d = _pad_class("ReflectionPad2d", 2, "reflect", "Pads the last 2 dims by reflection.")
ReflectionPad3d = _pad_class("ReflectionPad3d", 3, "reflect", "Pads the last 3 dims by reflection.")
ReplicationPad1d = _pad_class("ReplicationPad1d", 1, "replicate", "Pads the last dim by repeating the edge.")
ReplicationPad2d = _pad_class("ReplicationPad2d", 2, "replicate", "Pads the last 2 dims by repeating the edge.")
ReplicationPad3d = _pad_class("ReplicationPad3d", 3, "replicate", "Pads the last 3 dims by repeating the edge.")
CircularPad1d = _pad_class("CircularPad1d", 1, "circular", "Pads the last dim by wrapping around.")
CircularPad2d = _pad_class("CircularPad2d", 2, "circular", "Pads the last 2 dims by wrapping around.")
CircularPad3d = _pad_class("CircularPad3d", 3, "circular", "Pads the last 3 dims by wrapping around.")


class PixelShuffle(Module):
    """(N, C r^2, H, W) -> (N, C, H r, W r)."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r^2, H, W)."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class Upsample(Module):
    """Resizes to ``size`` or by ``scale_factor`` with ``F.interpolate``'s modes."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour 2-D upsampling."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear 2-D upsampling with ``align_corners=True`` (its historical behaviour)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
