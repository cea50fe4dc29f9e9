"""Spatial reshaping functions of torch.nn.functional: pad, interpolate (and the deprecated
upsample aliases), pixel_shuffle and pixel_unshuffle.

Why composite Python: none of these is a hot path in training (convolution and pooling, which
are, live in C++), and each one is a gather along a few dims with weights known before the data
is touched. So every function here computes its integer source indices (and, for the
interpolating modes, its weights) once per padded/resized dim with NumPy, exactly as PyTorch's
CPU kernels compute them, and then applies them with differentiable pydl ops: ``index_select``
along each dim, ``cat`` with ``full`` blocks and ``narrow`` for constant padding, multiplies by
weight tensors for the interpolating modes, ``reshape``/``permute`` for the pixel shuffles. The
backward (and double backward) comes from those ops, and the code runs on whatever device the
input is on: the index and weight tensors are created on ``input.device``.

The index arithmetic follows ATen's ``UpSample.h`` / ``UpSampleKernel.cpp`` (the generic N-d
CPU kernel) precision for precision: scales and source positions in float32 for float32/float16/
bfloat16 inputs and in float64 for float64 inputs, ``floorf`` (a float32 floor) on the source
position, and a given ``scale_factor`` used as ``1 / scale_factor`` unless
``recompute_scale_factor=True``. ``'nearest'`` on a 4-D input follows ATen's ``nearest_idx``
instead (equal sizes copy, doubled sizes shift), as PyTorch's CPU ``upsample_nearest2d`` does.
"""
import math
import numbers
import operator
import warnings

import numpy as np

import pydl
from .._C import _nn

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
           "pixel_shuffle", "pixel_unshuffle"]

# ATen's names for dtypes, for messages that match PyTorch's.
_ATEN_NAMES = {
    "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
    "bool": "Bool", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
    "float64": "Double",
}


def _aten_name(dtype):
    return _ATEN_NAMES.get(str(dtype).replace("pydl.", ""), str(dtype))


def _select(x, dim, idx):
    """``x.index_select(dim, idx)`` with ``idx`` a NumPy integer array; skipped when the
    index is the identity, so untouched dims cost nothing."""
    idx = np.asarray(idx, dtype=np.int64)
    if idx.size == x.shape[dim] and np.array_equal(idx, np.arange(idx.size)):
        return x
    return x.index_select(dim, pydl.tensor(idx.tolist(), dtype=pydl.int64, device=x.device))


def _fresh(out, input):
    # PyTorch's functions always return a new tensor, never the input itself.
    return out.clone() if out is input else out


# ----------------------------------------------------------------------------------------------
# pad
# ----------------------------------------------------------------------------------------------

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_list(pad):
    try:
        items = list(pad)
    except TypeError:
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, "
                        f"not {type(pad).__name__}") from None
    out = []
    for i, p in enumerate(items):
        if isinstance(p, bool):
            p = int(p)
        try:
            out.append(operator.index(p))
        except TypeError:
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but "
                            f"found element of type {type(p).__name__} at pos {i}") from None
    return out


def _pad_constant(input, pads, value):
    shape = list(input.shape)
    ndim = len(shape)
    for i in range(len(pads) // 2):
        dim = ndim - 1 - i
        left, right = pads[2 * i], pads[2 * i + 1]
        size = shape[dim]
        if size + left + right < 0 or size + min(left, 0) + min(right, 0) < 0:
            raise RuntimeError(
                f"pad: the input size {size}, plus negative padding {left} and {right} "
                f"resulted in a negative output size, which is invalid. Check dimension {dim} "
                f"of your input (shape {shape}).")
    out = input
    for i in range(len(pads) // 2):
        dim = ndim - 1 - i
        left, right = pads[2 * i], pads[2 * i + 1]
        if left < 0 or right < 0:
            start = max(-left, 0)
            out = out.narrow(dim, start, out.shape[dim] - start - max(-right, 0))
        blocks = []
        for n in (left, None, right):
            if n is None:
                blocks.append(out)
            elif n > 0:
                bshape = list(out.shape)
                bshape[dim] = n
                blocks.append(pydl.full(bshape, value, dtype=input.dtype, device=input.device))
        if len(blocks) > 1:
            out = pydl.cat(blocks, dim)
    return _fresh(out, input)


def _pad_index(mode, size, left, right):
    """Source index of every output position along one dim, as ATen's reflection/replication
    kernels and its circular pad compute them (negative pads crop)."""
    j = np.arange(size + left + right, dtype=np.int64)
    if mode == "reflect":
        p = j - left
        p = np.where(p < 0, -p, p)
        return np.where(p > size - 1, 2 * (size - 1) - p, p)
    if mode == "replicate":
        return np.clip(j - left, 0, size - 1)
    # circular: the kept (cropped) part is repeated, as ATen copies from it
    kept = size + min(left, 0) + min(right, 0)
    return max(-left, 0) + np.mod(j - max(left, 0), kept)


_PAD_COMBOS_MSG = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _check_pad_nonconstant(mode, shape, pads):
    ndim, k = len(shape), len(pads) // 2
    if k not in (1, 2, 3) or ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for {ndim}D input "
                                  f"tensor.\n{_PAD_COMBOS_MSG}")
    sizes = [shape[ndim - 1 - i] for i in range(k)]           # W, H, D
    outs = [sizes[i] + pads[2 * i] + pads[2 * i + 1] for i in range(k)]
    if mode in ("reflect", "replicate"):
        batched = ndim == k + 2
        if any(s == 0 for s in shape[1 if batched else 0:]):
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly "
                               f"0 batch size and other non-zero dimensions for input, but got: "
                               f"{shape}")
        if mode == "reflect":
            for i in range(k):
                left, right = pads[2 * i], pads[2 * i + 1]
                if left >= sizes[i] or right >= sizes[i]:
                    raise RuntimeError(
                        f"Argument #{4 + 2 * i}: Padding size should be less than the "
                        f"corresponding input dimension, but got: padding ({left}, {right}) at "
                        f"dimension {ndim - 1 - i} of input {shape}")
        if (k == 1 and outs[0] < 1) or min(outs) < 0:
            names = "DHW"[3 - k:]
            ins = ", ".join(f"{n}: {s}" for n, s in zip(names, reversed(sizes)))
            got = " ".join(f"{n}: {s}" for n, s in zip(names, reversed(outs)))
            raise RuntimeError(f"input ({ins}) is too small. Calculated output {got}")
    else:  # circular
        empty = math.prod(shape[:ndim - k]) * math.prod(outs) == 0
        for i in range(k):
            left, right = pads[2 * i], pads[2 * i + 1]
            kept = sizes[i] + min(left, 0) + min(right, 0)
            if left > sizes[i] or right > sizes[i]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if outs[i] < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
            # PyTorch copies the wrapped part from the cropped input; a pad wider than what is
            # left after cropping would wrap around it more than once, which torch's own check
            # (made against the uncropped size) misses: it then returns uninitialised memory,
            # overlap artefacts or an overlap error. pydl raises torch's error for it.
            if not empty and (kept <= 0 or max(left, right) > kept):
                raise RuntimeError("Padding value causes wrapping around more than once.")


def pad(input, pad, mode="constant", value=None):
    """Pad ``input`` as torch.nn.functional.pad does.

    ``pad`` lists (left, right) amounts for the last dims, last dim first:
    ``(w_left, w_right, h_top, h_bottom, ...)``; negative amounts crop. ``mode``:

    * ``'constant'`` (default): any number of dims, filled with ``value`` (0 when None).
    * ``'reflect'``, ``'replicate'``, ``'circular'``: the last 1, 2 or 3 dims of a
      batched ``(N, C, ...)`` or unbatched ``(C, ...)`` input (pad length 2 for a 2-D/3-D
      input, 4 for 3-D/4-D, 6 for 4-D/5-D). Reflect pads must be smaller than the dim;
      circular pads at most the dim; these modes take no ``value`` (other than 0).

    Built from ``narrow``/``cat``/``full`` (constant) or ``index_select`` (other modes), so it is
    differentiable to any order.
    """
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pads = _pad_list(pad)
    shape = list(input.shape)
    if len(pads) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pads) > 2 * len(shape):
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pads)} and input of "
                           f"dimension {len(shape)}")
    if mode == "constant":
        return _pad_constant(input, pads, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_pad_nonconstant(mode, shape, pads)
    out_shape = list(shape)
    for i in range(len(pads) // 2):
        out_shape[-1 - i] += pads[2 * i] + pads[2 * i + 1]
    if math.prod(out_shape) == 0:  # nothing to gather (and maybe no valid index to gather with)
        return input.reshape(-1).narrow(0, 0, 0).reshape(out_shape)
    out = input
    for i in range(len(pads) // 2):
        dim = len(shape) - 1 - i
        out = _select(out, dim, _pad_index(mode, shape[dim], pads[2 * i], pads[2 * i + 1]))
    return _fresh(out, input)


# ----------------------------------------------------------------------------------------------
# interpolate
# ----------------------------------------------------------------------------------------------

def _is_integer(x):
    if isinstance(x, (numbers.Integral, np.integer)):
        return True
    return isinstance(x, pydl.Tensor) and x.dim() == 0 and not x.is_floating_point()


def _scales_value(scale, in_size, out_size, ft):
    # ATen compute_scales_value: a given positive scale_factor is used as 1 / scale_factor.
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(in_size) / ft(out_size)


def _area_scale(in_size, out_size, align_corners, scale, ft):
    # ATen area_pixel_compute_scale
    if align_corners:
        return ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
    return _scales_value(scale, in_size, out_size, ft)


def _source_index(scale, out_size, align_corners, cubic, ft):
    # ATen area_pixel_compute_source_index, vectorised over the output positions
    i = np.arange(out_size).astype(ft)
    if align_corners:
        return scale * i
    src = scale * (i + ft(0.5)) - ft(0.5)
    return src if cubic else np.maximum(src, ft(0))


def _floorf(x):
    # C's floorf: the argument is rounded to float32 first
    return np.floor(np.asarray(x).astype(np.float32)).astype(np.int64)


def _guard(src, in_size, ft):
    # ATen guard_index_and_lambda
    idx = np.minimum(_floorf(src), in_size - 1)
    lam = np.clip(src - idx.astype(ft), ft(0), ft(1)).astype(ft)
    return idx, lam


def _cubic_coeffs(t, ft):
    # ATen get_cubic_upsample_coefficients with A = -0.75
    A = ft(-0.75)

    def cc1(x):
        return ((A + ft(2)) * x - (A + ft(3))) * x * x + ft(1)

    def cc2(x):
        return ((A * x - ft(5) * A) * x + ft(8) * A) * x - ft(4) * A

    x2 = (ft(1) - t).astype(ft)
    return [cc2((t + ft(1)).astype(ft)), cc1(t), cc1(x2), cc2((x2 + ft(1)).astype(ft))]


def _taps(mode, in_size, out_size, align_corners, scale, ft):
    """(indices, weights) pairs for one dim: weights is None for the nearest modes."""
    if mode == "nearest2d":
        # ATen nearest_idx, which PyTorch's CPU upsample_nearest2d uses (1-D and 3-D nearest go
        # through the generic kernel below): equal sizes copy, doubling shifts, else a float32
        # scale whatever the dtype.
        if out_size == in_size:
            return [(np.arange(out_size), None)]
        if out_size == 2 * in_size:
            return [(np.arange(out_size) >> 1, None)]
        mode, ft = "nearest", np.float32
    if mode == "nearest":
        s = _scales_value(scale, in_size, out_size, ft)
        return [(np.minimum(_floorf(s * np.arange(out_size).astype(ft)), in_size - 1), None)]
    if mode == "nearest-exact":
        s = _scales_value(scale, in_size, out_size, ft)
        src = _source_index(s, out_size, False, False, ft)
        return [(np.minimum(_floorf(src.astype(np.float64) + 0.5), in_size - 1), None)]
    s = _area_scale(in_size, out_size, align_corners, scale, ft)
    if mode == "linear":
        if in_size == out_size:
            return [(np.arange(out_size), None)]
        idx0, lam1 = _guard(_source_index(s, out_size, align_corners, False, ft), in_size, ft)
        idx1 = idx0 + (idx0 < in_size - 1)
        return [(idx0, (ft(1) - lam1).astype(ft)), (idx1, lam1)]
    # cubic
    idx, t = _guard(_source_index(s, out_size, align_corners, True, ft), in_size, ft)
    coeffs = _cubic_coeffs(t, ft)
    return [(np.clip(idx - 1 + j, 0, in_size - 1), coeffs[j]) for j in range(4)]


def _resize(input, mode, output_size, scales, align_corners):
    """ATen's checks, then one gather (nearest) or weighted sum of gathers per spatial dim."""
    shape = list(input.shape)
    nsp = len(shape) - 2
    ins = shape[2:]
    if min(ins) <= 0 or min(output_size) <= 0:
        names = "DHW"[3 - nsp:]
        fi = ", ".join(f"{n}: {s}" for n, s in zip(names, ins))
        fo = ", ".join(f"{n}: {s}" for n, s in zip(names, output_size))
        sep = " and" if nsp == 1 else ""
        raise RuntimeError("Input and output sizes should be greater than 0, but got "
                           f"input ({fi}){sep} output ({fo})")
    if input.numel() == 0 and math.prod(shape[1:]) == 0:
        raise RuntimeError(f"Non-empty {len(shape)}D data tensor expected but got a tensor with "
                           f"sizes {shape}")
    # kind: ATen's name for the index/weight helper; taps: the rule _taps applies
    if mode in ("nearest", "nearest-exact"):
        kind, taps_mode = "nearest", ("nearest2d" if mode == "nearest" and nsp == 2 else mode)
    else:
        kind = taps_mode = "cubic" if mode == "bicubic" else "linear"
    if not (input.is_floating_point() or (kind == "nearest" and input.dtype == pydl.uint8)):
        raise NotImplementedError(f'"compute_indices_weights_{kind}" not implemented for '
                                  f"'{_aten_name(input.dtype)}'")
    ft = np.float64 if input.dtype == pydl.float64 else np.float32
    out = input
    # The last dim first: the same summation order as ATen's generic N-d kernel.
    for d in reversed(range(nsp)):
        dim = 2 + d
        taps = _taps(taps_mode, ins[d], output_size[d], align_corners, scales[d], ft)
        acc = None
        for idx, w in taps:
            g = _select(out, dim, idx)
            if w is not None:
                wt = pydl.tensor(w.tolist(), dtype=input.dtype, device=input.device)
                g = g * wt.reshape([-1] + [1] * (len(shape) - 1 - dim))
            acc = g if acc is None else acc + g
        out = acc
    return _fresh(out, input)


_MODE_NDIM = {"linear": 3, "bilinear": 4, "trilinear": 5}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of a ``(N, C, ...)`` input, as torch.nn.functional.interpolate.

    Exactly one of ``size`` (int or one int per spatial dim) and ``scale_factor`` (float or one
    per spatial dim) is given. Modes: ``'nearest'`` and ``'nearest-exact'`` (3-D, 4-D, 5-D
    input), ``'linear'`` (3-D), ``'bilinear'`` (4-D), ``'bicubic'`` (4-D, A = -0.75),
    ``'trilinear'`` (5-D); ``align_corners`` only for the interpolating modes (default False).
    A given ``scale_factor`` sets the output size ``floor(in * scale)`` and, unless
    ``recompute_scale_factor=True``, is also the scale the source positions are computed with,
    as in PyTorch. ``'area'`` is adaptive average pooling and needs
    ``pydl.nn.functional.adaptive_avg_pool{1,2,3}d``; ``antialias=True`` is not implemented.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False

    dim = input.dim() - 2
    spatial = list(input.shape)[2:]
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            sizes = list(size)
        else:
            sizes = [size] * dim
        if not all(_is_integer(s) for s in sizes):
            raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                            f"Tuple[int, int, int], but got size with types "
                            f"{[type(s) for s in sizes]}")
        output_size = [int(s) for s in sizes]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and "
                    f"scale_factor of shape {scale_factor}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")

    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [math.trunc(spatial[i] * scale_factors[i]) for i in range(dim)]
        scale_factors = None

    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")

    if output_size is None:  # ATen compute_output_size: trunc(in * scale)
        output_size = []
        for i in range(dim):
            odim = float(spatial[i]) * scale_factors[i]
            if not math.isfinite(odim):
                raise RuntimeError(f"interpolate: output size {odim} (input size {spatial[i]} "
                                   f"times scale_factor {scale_factors[i]}) cannot be "
                                   "converted to an integer")
            output_size.append(math.trunc(odim))
    scales = scale_factors if scale_factors is not None else [None] * dim

    if input.dim() in (3, 4, 5):
        if mode in ("nearest", "nearest-exact"):
            return _resize(input, mode, output_size, scales, None)
        if mode == "area":  # adaptive average pooling, as in PyTorch
            pool = (_nn.adaptive_avg_pool1d, _nn.adaptive_avg_pool2d, _nn.adaptive_avg_pool3d)[dim - 1]
            return pool(input, output_size)
        if _MODE_NDIM.get(mode) == input.dim() or (mode == "bicubic" and input.dim() == 4):
            if antialias:
                raise NotImplementedError(f"interpolate(mode='{mode}', antialias=True) is not "
                                          "implemented in pydl")
            return _resize(input, mode, output_size, scales, align_corners)
        if mode == "lanczos" and input.dim() == 4:
            if align_corners:
                raise ValueError("Lanczos mode does not support align_corners=True")
            if not antialias:
                raise ValueError("Lanczos mode requires antialias=True")
            raise NotImplementedError("interpolate(mode='lanczos') is not implemented in pydl")
        if mode in _MODE_NDIM:
            need = _MODE_NDIM[mode]
            raise NotImplementedError(
                f"Got {input.dim()}D input, but {mode} mode needs {need}D input")
    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported"
        f" (got {input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | trilinear"
        f" | lanczos | area | nearest-exact (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as torch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. "
                  "Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')`` (warns)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. "
                  "Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)`` (warns)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. "
                  "Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ----------------------------------------------------------------------------------------------
# pixel_shuffle / pixel_unshuffle
# ----------------------------------------------------------------------------------------------

def _factor(op, name, value):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{op}(): argument '{name}' (position 2) must be int, not "
                        f"{type(value).__name__}")
    value = int(value)
    if value <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {value}")
    return value


def _check_rank(op, input):
    if input.dim() < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input "
                           f"with {input.dim()} dimension(s)")


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C * r**2, H, W)`` into ``(*, C, H * r, W * r)``, r = upscale_factor
    (torch.nn.functional.pixel_shuffle); a reshape, a permute and a reshape."""
    _check_rank("pixel_shuffle", input)
    r = _factor("pixel_shuffle", "upscale_factor", upscale_factor)
    *batch, c, h, w = input.shape
    if c % (r * r) != 0:
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """Rearrange ``(*, C, H * r, W * r)`` into ``(*, C * r**2, H, W)``, r = downscale_factor:
    the inverse of :func:`pixel_shuffle` (torch.nn.functional.pixel_unshuffle)."""
    _check_rank("pixel_unshuffle", input)
    r = _factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    *batch, c, h, w = input.shape
    if h % r != 0:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r != 0:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)
