"""NumPy kernels behind the geometric transforms: padding and affine warps of ``(N, H, W)`` planes.

The affine warp follows torchvision's *tensor* implementation exactly (``_get_inverse_affine_
matrix``, ``_gen_affine_grid``, then ``grid_sample`` with ``align_corners=False`` and zero
padding, then the fill mask), so a pydl transform and torchvision's on a tensor land on the same
pixels. It is an inverse mapping: each output pixel centre is mapped back into the input and
sampled there, which leaves no holes.
"""
from __future__ import annotations

import math

import numpy as np

from ._image import cast_like

__all__ = ["pad_planes", "inverse_affine_matrix", "affine_output_size", "warp_affine",
           "PADDING_MODES"]

PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def pad_planes(planes: np.ndarray, left: int, top: int, right: int, bottom: int,
               fill=None, mode: str = "constant") -> np.ndarray:
    """Pads (or, for negative amounts, crops) the last two axes of ``(N, H, W)`` planes.

    ``fill`` is one value per plane (``plane_fill``'s output) for ``mode="constant"``; ``edge``,
    ``reflect`` (mirror without repeating the edge) and ``symmetric`` (mirror repeating it) are
    NumPy's modes of the same names, as torchvision maps them.
    """
    if mode not in PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    # Negative padding crops, as torch.nn.functional.pad does.
    n, h, w = planes.shape
    planes = planes[:, max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    if mode != "constant":
        return np.pad(planes, ((0, 0), (top, bottom), (left, right)), mode=mode)
    values = np.zeros(n) if fill is None else np.asarray(fill, dtype=np.float64)
    out = np.empty((n, planes.shape[1] + top + bottom, planes.shape[2] + left + right),
                   dtype=planes.dtype)
    out[...] = cast_like(values, planes.dtype)[:, None, None]
    out[:, top:top + planes.shape[1], left:left + planes.shape[2]] = planes
    return out


def inverse_affine_matrix(center, angle: float, translate, scale: float, shear):
    """The 2x3 matrix (flat, 6 floats) mapping output coordinates to input coordinates.

    Coordinates are relative to the image centre, x right and y down. ``angle`` is in degrees,
    clockwise on screen (torchvision's ``affine`` convention; ``rotate`` passes ``-angle``).
    The forward map is ``M = T * C * R * S * Sh * C^-1``; this returns ``M^-1``.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # Rotation times shear, without scale; its determinant is 1, so the inverse is the adjugate.
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def affine_output_size(matrix, w: int, h: int):
    """``(width, height)`` that holds the whole warped image (``expand=True``), as torchvision.

    The corners are mapped with ``matrix``; the 1e-4 truncation keeps round-off such as
    ``32.00000000001`` from growing the canvas by a pixel.
    """
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.asarray(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    half = np.array([0.5 * w, 0.5 * h], dtype=np.float32)
    lo, hi = new_pts.min(axis=0) + half, new_pts.max(axis=0) + half
    tol = 1e-4
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def _source_coords(matrix, h: int, w: int, oh: int, ow: int):
    # Output pixel centres relative to the output's centre, as _gen_affine_grid builds them.
    xs = np.arange(ow, dtype=np.float64) + 0.5 - 0.5 * ow
    ys = np.arange(oh, dtype=np.float64) + 0.5 - 0.5 * oh
    x, y = np.meshgrid(xs, ys)
    a, b, c, d, e, f = matrix
    # grid_sample(align_corners=False) puts input pixel k's centre at k + 0.5 - size / 2.
    sx = a * x + b * y + c + 0.5 * w - 0.5
    sy = d * x + e * y + f + 0.5 * h - 0.5
    return sx, sy


def _sample_nearest(planes, sx, sy):
    h, w = planes.shape[1:]
    # grid_sample rounds half to even (nearbyint); np.rint does the same.
    ix, iy = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    vals = planes[:, np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)].astype(np.float64)
    vals[:, ~inside] = 0.0
    return vals, inside.astype(np.float64)


def _sample_bilinear(planes, sx, sy):
    h, w = planes.shape[1:]
    x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
    fx, fy = sx - x0, sy - y0
    vals = np.zeros((planes.shape[0],) + sx.shape)
    mask = np.zeros(sx.shape)
    # Zero padding: a corner outside the image adds nothing, to the value or to the mask, so
    # the mask is the in-bounds weight that the fill later makes up for.
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            cx, cy = x0 + dx, y0 + dy
            inside = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
            weight = np.where(inside, wx * wy, 0.0)
            vals += weight * planes[:, np.clip(cy, 0, h - 1), np.clip(cx, 0, w - 1)]
            mask += weight
    return vals, mask


def warp_affine(planes: np.ndarray, matrix, interpolation: str = "nearest", fill=None,
                out_size=None) -> np.ndarray:
    """Warps ``(N, H, W)`` planes by the inverse affine ``matrix`` (from ``inverse_affine_matrix``).

    Args:
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill: one value per plane for pixels that map outside the input, or ``None`` for zeros
            without blending (torchvision's ``fill=None``).
        out_size: ``(height, width)`` of the output; the input's by default.

    Returns planes of the input's dtype (integer results rounded half to even, as torchvision).
    """
    h, w = planes.shape[1:]
    oh, ow = out_size if out_size is not None else (h, w)
    sx, sy = _source_coords(matrix, h, w, oh, ow)
    if interpolation == "nearest":
        vals, mask = _sample_nearest(planes, sx, sy)
    elif interpolation == "bilinear":
        vals, mask = _sample_bilinear(planes, sx, sy)
    else:
        raise ValueError(f"interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    if fill is not None:
        fill = np.asarray(fill, dtype=np.float64)[:, None, None]
        if interpolation == "nearest":
            vals = np.where(mask[None] < 0.5, fill, vals)
        else:
            # torchvision blends by the sampled mask (which also scales the edge values once
            # more); reproduced as is so edges match it.
            vals = vals * mask + (1.0 - mask) * fill
    return cast_like(vals, planes.dtype)
