"""pad, interpolate (+ upsample aliases), pixel_shuffle/unshuffle (pydl/nn/_spatial.py).

Oracles: NumPy (np.pad, np.interp) where it has the operation, so these run without torch;
PyTorch for every mode's exact values and for error classes; finite differences (gradcheck)
for the backward, which comes from index_select/cat/narrow.
"""
import itertools
import warnings

import numpy as np
import pytest

import pydl
import pydl.nn.functional as F
from torch_oracle import check_error


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _np(t):
    return t.detach().contiguous().numpy()


def _data(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------------- pad ----

NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
# (shape, pad): batched and unbatched, odd sizes, batch 1, 1/2/3 padded dims
PAD_CASES = [
    ((2, 5), (2, 3)), ((1, 3, 5), (0, 4)), ((1, 3, 5), (-2, 3)), ((2, 1, 6), (3, -1)),
    ((3, 4, 5), (1, 2, 3, 0)), ((1, 2, 3, 4), (0, 0, 2, 1)), ((1, 2, 3, 4), (-1, 2, 1, -2)),
    ((2, 3, 4, 5), (1, 1, 2, 2, 1, 0)), ((1, 2, 2, 3, 4), (2, 1, 0, 1, 1, 1)),
    ((1, 1, 3, 3, 4), (-1, 1, 1, -1, 2, 0)),
]


def _np_pad(a, pads, mode):
    """np.pad of the last dims; negative pads crop. Circular wraps the cropped part (as torch
    does), the other modes index the original input."""
    k = len(pads) // 2
    pos = [(0, 0)] * (a.ndim - k) + [(max(pads[2 * i], 0), max(pads[2 * i + 1], 0))
                                     for i in reversed(range(k))]
    crop = [slice(None)] * (a.ndim - k) + [
        slice(max(-pads[2 * i], 0), None if pads[2 * i + 1] >= 0 else pads[2 * i + 1])
        for i in reversed(range(k))]
    if mode in ("circular", "constant"):
        return np.pad(a[tuple(crop)], pos, mode=NP_MODE[mode])
    out = np.pad(a, pos, mode=NP_MODE[mode])
    crop = [slice(None)] * (a.ndim - k) + [
        slice(max(-pads[2 * i], 0), out.shape[a.ndim - 1 - i] - max(-pads[2 * i + 1], 0))
        for i in reversed(range(k))]
    return out[tuple(crop)]


@pytest.mark.parametrize("mode", list(NP_MODE))
@pytest.mark.parametrize("shape,pads", PAD_CASES)
def test_pad_numpy_oracle(mode, shape, pads):
    a = _data(shape)
    out = F.pad(pydl.from_numpy(a), pads, mode=mode)
    np.testing.assert_array_equal(_np(out), _np_pad(a, pads, mode))


def test_pad_constant_any_rank_value_and_int_dtype():
    a = _data((2, 3, 4, 5))
    out = F.pad(pydl.from_numpy(a), (1, 2, -1, 0, 0, 3, 2, 2), value=-7.5)
    ref = np.pad(a[:, :, :, :], [(2, 2), (0, 3), (0, 0), (1, 2)], constant_values=-7.5)[:, :, 1:, :]
    np.testing.assert_array_equal(_np(out), ref)
    ints = pydl.arange(6).view(2, 3)
    np.testing.assert_array_equal(_np(F.pad(ints, (1, 1), value=4)),
                                  np.pad(np.arange(6).reshape(2, 3), [(0, 0), (1, 1)],
                                         constant_values=4))
    x = pydl.randn(3, 4)
    y = F.pad(x, (0, 0))                      # a copy, not the input itself
    assert y is not x and np.array_equal(_np(y), _np(x))
    assert F.pad(pydl.randn(1, 2, 5), (-2, -3)).shape == (1, 2, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", list(NP_MODE))
@pytest.mark.parametrize("shape,pads", PAD_CASES + [((1, 2, 7), (-3, 4)), ((2, 6), (0, 0))])
def test_pad_matches_torch(torch, mode, shape, pads, dtype):
    a = _data(shape, dtype)
    ref = torch.nn.functional.pad(torch.from_numpy(a), pads, mode=mode).numpy()
    np.testing.assert_array_equal(_np(F.pad(pydl.from_numpy(a), pads, mode=mode)), ref)
    # a non-contiguous input: a transposed view of the last two dims
    t = pydl.from_numpy(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    assert t.is_contiguous() == (min(shape[-2:]) == 1)
    np.testing.assert_array_equal(_np(F.pad(t, pads, mode=mode)), ref)


PAD_ERRORS = [
    ((1, 2, 5), (1,), "constant", None, RuntimeError, "divisible by 2"),
    ((1, 2, 5), (1, 1, 1), "reflect", None, RuntimeError, "divisible by 2"),
    ((2, 5), (1, 1, 1, 1, 1, 1), "constant", None, RuntimeError, "two times the input dimension"),
    ((1, 2, 5), (-6, 0), "constant", None, RuntimeError, "negative"),
    ((1, 2, 5), (5, 1), "reflect", None, RuntimeError, "Padding size should be less than"),
    ((1, 2, 4, 5), (1, 1, 4, 0), "reflect", None, RuntimeError, "at dimension 2"),
    ((1, 2, 5), (6, 1), "circular", None, RuntimeError, "wrapping around more than once"),
    ((1, 2, 5), (-3, -3), "circular", None, RuntimeError, "empty dimension"),
    ((1, 2, 5), (-3, -2), "reflect", None, RuntimeError, "too small"),
    ((1, 2, 5), (-3, -3), "replicate", None, RuntimeError, "too small"),
    ((5,), (1, 1), "reflect", None, NotImplementedError, "not supported for 1D input"),
    ((1, 2, 3, 4), (1, 1), "replicate", None, NotImplementedError, "padding size = 2"),
    ((1, 1, 1, 3, 4, 5), (1,) * 6, "circular", None, NotImplementedError, "6D input"),
    ((1, 2, 3), (1, 1, 1, 1, 1, 1), "reflect", None, NotImplementedError, "3D input"),
    ((1, 2, 5), (1, 1), "reflect", 1.0, RuntimeError, "doesn't take in value"),
    ((1, 2, 5), (1, 1), "foo", None, NotImplementedError, "Unrecognised padding mode foo"),
    ((1, 0, 5), (1, 1), "replicate", None, RuntimeError, "non-zero dimensions"),
    ((1, 2, 5), (1.0, 1), "constant", None, TypeError, "tuple of ints"),
]


def test_circular_pad_wider_than_the_cropped_input_raises():
    # torch checks circular pads against the uncropped size only and then returns uninitialised
    # memory (or an overlap error); pydl raises torch's "wrapping" error instead.
    for pads in [(-3, 3), (2, -4), (-1, 0, -2, 2)]:
        with pytest.raises(RuntimeError, match="wrapping around more than once"):
            F.pad(pydl.randn(1, 3, 5), pads, mode="circular")
    assert F.pad(pydl.randn(1, 3, 5), (-3, 2), mode="circular").shape == (1, 3, 4)


@pytest.mark.parametrize("shape,pads,mode,value,exc,fragment", PAD_ERRORS)
def test_pad_errors(shape, pads, mode, value, exc, fragment):
    check_error(exc, lambda lib: lib.nn.functional.pad(lib.randn(*shape), pads, mode, value),
                fragment)


# ----------------------------------------------------------------------------- interpolate ----

MODE_SHAPES = {
    "nearest": [(2, 3, 7), (1, 2, 5, 7), (1, 1, 3, 4, 5)],
    "nearest-exact": [(2, 3, 7), (1, 2, 5, 7), (1, 1, 3, 4, 5)],
    "linear": [(2, 3, 7), (1, 1, 2)],
    "bilinear": [(1, 2, 5, 7), (2, 1, 4, 3)],
    "bicubic": [(1, 2, 5, 7), (2, 1, 4, 3)],
    "trilinear": [(1, 2, 3, 4, 5)],
}
# each (size, scale_factor, recompute) is expanded to the shape's number of spatial dims
RESIZES = [(3, None, None), (13, None, None), (1, None, None), ("mixed", None, None),
           (None, 2.0, None), (None, 0.5, None), (None, 1.7, None), (None, 0.6, None),
           (None, 2.3, True), (None, 0.75, False), (None, "tuple", None), (None, 1.0, None),
           (None, 3, None), (None, 1.1, None), (None, 2.1, None)]


def _resize_kwargs(resize, nsp):
    size, scale, recompute = resize
    if size == "mixed":
        size = (9, 2, 6)[:nsp]
    if scale == "tuple":
        scale = (1.5, 0.8, 2.6)[:nsp]
    return dict(size=size, scale_factor=scale, recompute_scale_factor=recompute)


CONFIGS = [(m, s, ac) for m, shapes in MODE_SHAPES.items() for s in shapes
           for ac in ([None] if m.startswith("nearest") else [False, True])]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("resize", RESIZES, ids=str)
@pytest.mark.parametrize("mode,shape,align_corners", CONFIGS, ids=str)
def test_interpolate_matches_torch(torch, mode, shape, align_corners, resize, dtype):
    a = _data(shape, dtype)
    kw = _resize_kwargs(resize, len(shape) - 2)
    ref = torch.nn.functional.interpolate(torch.from_numpy(a), mode=mode,
                                          align_corners=align_corners, **kw).numpy()
    out = F.interpolate(pydl.from_numpy(a), mode=mode, align_corners=align_corners, **kw)
    assert out.dtype == pydl.from_numpy(a).dtype and tuple(out.shape) == ref.shape
    np.testing.assert_allclose(_np(out), ref, **_tol(dtype))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
def test_interpolate_noncontiguous_input(torch, mode):
    a = _data((2, 3, 6, 5))
    t = pydl.from_numpy(a).transpose(-1, -2)      # (2, 3, 5, 6), not contiguous
    ref = torch.nn.functional.interpolate(torch.from_numpy(a).transpose(-1, -2), size=(7, 4),
                                          mode=mode)
    np.testing.assert_allclose(_np(F.interpolate(t, size=(7, 4), mode=mode)), ref.numpy(),
                               rtol=1e-12, atol=1e-12)


def test_interpolate_numpy_oracle():
    a = _data((2, 3, 6))
    out = F.interpolate(pydl.from_numpy(a), size=11, mode="linear", align_corners=True)
    ref = np.stack([[np.interp(np.linspace(0, 5, 11), np.arange(6), row) for row in b] for b in a])
    np.testing.assert_allclose(_np(out), ref, rtol=1e-12, atol=1e-12)
    # nearest with an integer factor repeats every sample; half-pixel bilinear x2 has 3:1 weights
    x = pydl.from_numpy(_data((1, 2, 3, 4)))
    np.testing.assert_array_equal(_np(F.interpolate(x, scale_factor=2)),
                                  np.repeat(np.repeat(_np(x), 2, 2), 2, 3))
    row = np.array([[[0.0, 4.0, 8.0]]])
    np.testing.assert_allclose(_np(F.interpolate(pydl.from_numpy(row), scale_factor=2,
                                                 mode="linear")),
                               [[[0, 1, 3, 5, 7, 8]]])


def test_upsample_aliases_warn_and_match():
    x = pydl.from_numpy(_data((1, 2, 3, 4)))
    with pytest.warns(UserWarning, match="deprecated"):
        a = F.upsample(x, scale_factor=1.5, mode="bilinear", align_corners=False)
    with pytest.warns(UserWarning, match="deprecated"):
        b = F.upsample_nearest(x, size=(5, 2))
    with pytest.warns(UserWarning, match="deprecated"):
        c = F.upsample_bilinear(x, size=7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(_np(a), _np(F.interpolate(x, scale_factor=1.5,
                                                                mode="bilinear")))
        np.testing.assert_array_equal(_np(b), _np(F.interpolate(x, size=(5, 2))))
        np.testing.assert_array_equal(
            _np(c), _np(F.interpolate(x, size=7, mode="bilinear", align_corners=True)))


INTERP_ERRORS = [
    ((1, 2, 5), dict(size=4, scale_factor=2.0), ValueError, "only one of size or scale_factor"),
    ((1, 2, 5), dict(), ValueError, "either size or scale_factor"),
    ((1, 2, 4, 5), dict(size=(4,)), ValueError, "same number of spatial dimensions"),
    ((1, 2, 4, 5), dict(scale_factor=(2.0, 2.0, 2.0)), ValueError, "scale_factor of shape"),
    ((1, 2, 4, 5), dict(size=(4.0, 3)), TypeError, "expected size to be one of int"),
    ((1, 2, 4, 5), dict(size=3, align_corners=True), ValueError, "align_corners option"),
    ((1, 2, 4, 5), dict(size=3, mode="linear"), NotImplementedError, "linear mode needs 3D"),
    ((1, 2, 5), dict(size=3, mode="bilinear"), NotImplementedError, "bilinear mode needs 4D"),
    ((1, 2, 3, 4, 5), dict(size=3, mode="bicubic"), NotImplementedError, "(got bicubic)"),
    ((2, 5), dict(size=3), NotImplementedError, "Only 3D, 4D and 5D"),
    ((1, 2, 4, 5), dict(size=3, mode="foo"), NotImplementedError, "(got foo)"),
    ((1, 2, 4, 5), dict(size=3, recompute_scale_factor=True), ValueError, "not meaningful"),
    ((1, 2, 5), dict(scale_factor=0.1), RuntimeError, "output (W: 0)"),
    ((1, 2, 4, 5), dict(size=(0, 2), mode="bicubic"), RuntimeError, "greater than 0"),
    ((1, 0, 5), dict(size=3), RuntimeError, "Non-empty 3D data tensor"),
    ((1, 2, 4, 5), dict(size=3, antialias=True), ValueError, "Anti-alias option"),
]


@pytest.mark.parametrize("shape,kw,exc,fragment", INTERP_ERRORS, ids=str)
def test_interpolate_errors(shape, kw, exc, fragment):
    check_error(exc, lambda lib: lib.nn.functional.interpolate(lib.randn(*shape), **kw), fragment)


def test_interpolate_integer_dtype_and_unimplemented_modes():
    ints = pydl.arange(10).view(1, 2, 5)
    check_error(NotImplementedError,
                lambda lib: lib.nn.functional.interpolate(lib.arange(10).view(1, 2, 5), size=3,
                                                          mode="linear"), "not implemented")
    u8 = F.interpolate(ints.to(pydl.uint8), scale_factor=2)
    assert u8.dtype == pydl.uint8 and _np(u8).tolist() == np.repeat(_np(ints), 2, 2).tolist()
    x = pydl.randn(1, 2, 4, 4)
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(x, size=3, mode="bilinear", antialias=True)


@pytest.mark.parametrize("shape,size", [((1, 2, 7), 3), ((2, 3, 9, 8), (4, 5)), ((1, 1, 5, 6, 7), (2, 3, 4)),
                                        ((1, 2, 4, 4), (8, 8))])
def test_interpolate_area_is_adaptive_avg_pool(shape, size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    got = F.interpolate(pydl.from_numpy(x), size=size, mode="area")
    want = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode="area")
    np.testing.assert_allclose(_np(got), want.numpy(), rtol=1e-12, atol=1e-12)


# -------------------------------------------------------------------------- pixel shuffle ----

@pytest.mark.parametrize("shape,r", [((1, 8, 3, 5), 2), ((2, 9, 2, 2), 3), ((4, 4, 4), 2),
                                     ((2, 3, 4, 2, 3), 2), ((0, 4, 2, 2), 2), ((1, 3, 2, 2), 1)])
def test_pixel_shuffle_matches_torch(torch, shape, r):
    a = _data(shape)
    out = pydl.pixel_shuffle(pydl.from_numpy(a), r)
    np.testing.assert_array_equal(_np(out), torch.pixel_shuffle(torch.from_numpy(a), r).numpy())
    back = F.pixel_unshuffle(out, r)
    np.testing.assert_array_equal(_np(back), a)
    if a.size == 0:
        return  # torch's pixel_unshuffle returns an empty input unchanged, shape and all
    np.testing.assert_array_equal(
        _np(pydl.pixel_unshuffle(out, r)),
        torch.nn.functional.pixel_unshuffle(torch.from_numpy(_np(out)), r).numpy())


def test_pixel_shuffle_layout_numpy():
    # out[c, h*r + i, w*r + j] = in[c*r*r + i*r + j, h, w]
    a = _data((2 * 4, 3, 5))
    out = _np(F.pixel_shuffle(pydl.from_numpy(a), 2))
    for c, h, w, i, j in itertools.product(range(2), range(3), range(5), range(2), range(2)):
        assert out[c, 2 * h + i, 2 * w + j] == a[c * 4 + i * 2 + j, h, w]


SHUFFLE_ERRORS = [
    ("pixel_shuffle", (4, 4), 2, RuntimeError, "at least 3 dimensions"),
    ("pixel_shuffle", (1, 4, 4, 4), 0, RuntimeError, "positive upscale_factor"),
    ("pixel_shuffle", (1, 4, 4, 4), 3, RuntimeError, "is not divisible by 9"),
    ("pixel_shuffle", (1, 4, 4, 4), 2.0, TypeError, "must be int"),
    ("pixel_unshuffle", (1, 4, 4, 4), -1, RuntimeError, "positive downscale_factor"),
    ("pixel_unshuffle", (1, 4, 3, 4), 2, RuntimeError, "height to be divisible"),
    ("pixel_unshuffle", (1, 4, 6, 4), 4, RuntimeError, "height to be divisible"),
    ("pixel_unshuffle", (1, 4, 4, 6), 2.5, TypeError, "must be int"),
    ("pixel_unshuffle", (1, 4, 8, 6), 4, RuntimeError, "width to be divisible"),
]


@pytest.mark.parametrize("name,shape,r,exc,fragment", SHUFFLE_ERRORS)
def test_pixel_shuffle_errors(name, shape, r, exc, fragment):
    check_error(exc, lambda lib: getattr(lib.nn.functional, name)(lib.randn(*shape), r), fragment)


# ------------------------------------------------------------------------------- gradients ----

def _x(*shape):
    return pydl.from_numpy(_data(shape, seed=3)).requires_grad_()


GRAD_CASES = [
    ("pad constant", (2, 3, 4), lambda x: F.pad(x, (1, -1, 2, 0), value=0.5)),
    ("pad reflect", (1, 2, 3, 4), lambda x: F.pad(x, (3, 1, 2, -1), mode="reflect")),
    ("pad replicate", (2, 5), lambda x: F.pad(x, (4, -2), mode="replicate")),
    ("pad circular", (1, 1, 2, 3, 3), lambda x: F.pad(x, (1, 2, 2, 0, 1, 1), mode="circular")),
    ("nearest", (1, 2, 3, 4), lambda x: F.interpolate(x, size=(5, 3))),
    ("nearest-exact", (1, 2, 5),
     lambda x: F.interpolate(x, scale_factor=1.6, mode="nearest-exact")),
    ("linear", (2, 1, 4), lambda x: F.interpolate(x, size=7, mode="linear", align_corners=True)),
    ("bilinear", (1, 2, 3, 4),
     lambda x: F.interpolate(x, scale_factor=(1.5, 0.7), mode="bilinear")),
    ("bicubic", (1, 1, 4, 3), lambda x: F.interpolate(x, size=(6, 5), mode="bicubic")),
    ("trilinear", (1, 1, 2, 3, 2), lambda x: F.interpolate(x, size=(3, 2, 4), mode="trilinear")),
    ("pixel_shuffle", (1, 8, 2, 3), lambda x: F.pixel_shuffle(x, 2)),
    ("pixel_unshuffle", (2, 1, 4, 6), lambda x: F.pixel_unshuffle(x, 2)),
]


@pytest.mark.parametrize("name,shape,fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(name, shape, fn):
    assert pydl.autograd.gradcheck(fn, (_x(*shape),))


@pytest.mark.parametrize("name", ["pad reflect", "bicubic", "pixel_shuffle"])
def test_gradgradcheck(name):
    _, shape, fn = next(c for c in GRAD_CASES if c[0] == name)
    # squared, so the second derivative is not identically zero
    assert pydl.autograd.gradgradcheck(lambda x: fn(x) ** 2, (_x(*shape),))


def test_grad_values_match_torch(torch):
    a = _data((1, 2, 4, 5), seed=5)
    g = _data((1, 2, 7, 9), seed=6)
    x = pydl.from_numpy(a).requires_grad_()
    (F.interpolate(x, size=(7, 9), mode="bicubic", align_corners=True)
     * pydl.from_numpy(g)).sum().backward()
    tx = torch.from_numpy(a).requires_grad_()
    (torch.nn.functional.interpolate(tx, size=(7, 9), mode="bicubic", align_corners=True)
     * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(_np(x.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
