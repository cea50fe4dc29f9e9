"""pydl.transforms against NumPy reference values: layouts and scaling, crops against slices of
np.pad, flips, erasing, seeded reproducibility, and NumPy vs tensor inputs giving the same
pixels. Rotations and affine warps are in test_transforms_warp.py."""
import numpy as np
import pytest

import pydl
import pydl.transforms as T
from pydl.datasets import transforms as DT
from transform_helpers import chw as _chw, hwc as _hwc, img as _img


def test_both_module_names():
    assert T.RandomCrop is DT.RandomCrop and set(T.__all__) == set(DT.__all__)


# -- ToTensor / Normalize / Compose / Lambda -------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (4, 6, 1)])
def test_to_tensor_uint8(shape):
    arr = _img(shape)
    t = T.ToTensor()(arr)
    ref = (arr[:, :, None] if arr.ndim == 2 else arr).transpose(2, 0, 1).astype(np.float32) / 255
    assert isinstance(t, pydl.Tensor) and t.dtype == pydl.float32 and t.shape == ref.shape
    np.testing.assert_array_equal(t.numpy(), ref)
    assert t.numpy().max() <= 1.0 and t.numpy().min() >= 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_to_tensor_other_dtypes_not_rescaled(dtype):
    arr = (_img((3, 4, 2), np.float64) * 10).astype(dtype)
    t = T.ToTensor()(arr)
    assert t.numpy().dtype == np.dtype(dtype)
    np.testing.assert_array_equal(t.numpy(), arr.transpose(2, 0, 1))


def test_to_tensor_inputs():
    arr = _img((6, 5))
    np.testing.assert_array_equal(T.ToTensor()(arr[:, ::-1]).numpy()[0],
                                  arr[:, ::-1].astype(np.float32) / 255)  # negative strides
    np.testing.assert_array_equal(T.ToTensor()(pydl.from_numpy(arr)).numpy(),
                                  T.ToTensor()(arr).numpy())  # a tensor in picture layout
    pydl.set_default_dtype(pydl.float64)
    assert T.ToTensor()(arr).dtype == pydl.float64
    with pytest.raises(TypeError, match="pic should be a NumPy array or a pydl Tensor"):
        T.ToTensor()([[1, 2]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        T.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))
    assert repr(T.ToTensor()) == "ToTensor()"


def test_normalize_tensor():
    x = pydl.from_numpy(_img((3, 4, 5), np.float32))
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    ref = (x.numpy() - np.float32(mean)[:, None, None]) / np.float32(std)[:, None, None]
    before = x.numpy().copy()
    out = T.Normalize(mean, std)(x)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    np.testing.assert_array_equal(x.numpy(), before)  # not in place
    batch = pydl.stack([x, x])
    np.testing.assert_allclose(T.Normalize(mean, std)(batch).numpy(), np.stack([ref, ref]), rtol=1e-6)
    same = T.Normalize(mean, std, inplace=True)(x)
    assert same is x
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-6)
    one = T.Normalize((0.5,), (0.5,))(pydl.from_numpy(before))
    np.testing.assert_allclose(one.numpy(), (before - 0.5) / 0.5, rtol=1e-6)


def test_normalize_numpy():
    arr = _img((4, 5, 3), np.float32)
    out = T.Normalize((0.1, 0.2, 0.3), (0.5, 0.25, 2.0))(arr)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, (arr - np.float32([0.1, 0.2, 0.3])) / np.float32([0.5, 0.25, 2.0]),
                               rtol=1e-6)
    gray = arr[..., 0].copy()
    np.testing.assert_allclose(T.Normalize([0.5], [2.0])(gray), (gray - 0.5) / 2.0, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to pydl.float32"):
        T.Normalize((0.5, 0.5), (1.0, 0.0))(pydl.zeros(2, 3, 3))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"):
        T.Normalize((0.5,), (0.5,))(pydl.zeros(3, 3))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got pydl.uint8."):
        T.Normalize((0.5,), (0.5,))(pydl.zeros(1, 3, 3, dtype=pydl.uint8))
    with pytest.raises(TypeError, match="should be a float array"):
        T.Normalize((0.5,), (0.5,))(np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match=r"mean has \(2,\) values, the image 3 channel"):
        T.Normalize((0.5, 0.5), (1.0,))(pydl.zeros(3, 2, 2))
    assert repr(T.Normalize((0.5,), (0.25,))) == "Normalize(mean=(0.5,), std=(0.25,))"


def test_compose_and_lambda():
    tf = T.Compose([T.Lambda(lambda a: a + 1), T.Lambda(lambda a: a * 2)])
    assert tf(3) == 8
    assert repr(T.Compose([T.ToTensor(), T.RandomHorizontalFlip(0.3)])) == \
        "Compose(\n    ToTensor()\n    RandomHorizontalFlip(p=0.3)\n)"
    assert repr(T.Lambda(abs)) == "Lambda()"
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


# -- crops, pads, flips ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_crop_with_padding_is_slice_of_padded(mode, seed):
    arr = _img((10, 12, 3))
    pydl.manual_seed(seed)
    out = T.RandomCrop((8, 9), padding=3, fill=7, padding_mode=mode)(arr)
    # Same draws by hand: top offset, then left offset.
    pydl.manual_seed(seed)
    i = int(pydl.randint(0, 16 - 8 + 1, (1,)).item())
    j = int(pydl.randint(0, 18 - 9 + 1, (1,)).item())
    kw = {"constant_values": 7} if mode == "constant" else {}
    padded = np.pad(arr, ((3, 3), (3, 3), (0, 0)), mode=mode, **kw)
    np.testing.assert_array_equal(out, padded[i:i + 8, j:j + 9])
    pydl.manual_seed(seed)
    t = T.RandomCrop((8, 9), padding=3, fill=7, padding_mode=mode)(_chw(arr))
    np.testing.assert_array_equal(_hwc(t, arr), out)


def test_random_crop_padding_forms_and_pad_if_needed():
    arr = _img((5, 6))
    ref = np.pad(arr, ((2, 4), (1, 3)))  # (left, top, right, bottom) = (1, 2, 3, 4)
    np.testing.assert_array_equal(T.RandomCrop(ref.shape, padding=(1, 2, 3, 4))(arr), ref)
    np.testing.assert_array_equal(T.RandomCrop((9, 8), padding=(1, 2))(arr), np.pad(arr, ((2, 2), (1, 1))))
    # pad_if_needed pads a short side by the whole shortfall at both ends: 5x6 -> 13x14.
    pydl.manual_seed(5)
    out = T.RandomCrop((9, 10), pad_if_needed=True, fill=3)(arr)
    pydl.manual_seed(5)
    i, j = int(pydl.randint(0, 5, (1,)).item()), int(pydl.randint(0, 5, (1,)).item())
    np.testing.assert_array_equal(out, np.pad(arr, 4, constant_values=3)[i:i + 9, j:j + 10])
    with pytest.raises(ValueError, match=r"Required crop size \(7, 7\) is larger than input image size \(5, 6\)"):
        T.RandomCrop(7)(arr)
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3"):
        T.RandomCrop(3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        T.RandomCrop(3, padding=1, padding_mode="wrap")
    with pytest.raises(ValueError, match=r"Please provide only two dimensions \(h, w\) for size."):
        T.RandomCrop((1, 2, 3))
    assert repr(T.RandomCrop(4, padding=2)) == "RandomCrop(size=(4, 4), padding=2)"


def test_random_crop_tensor_is_view_and_batched():
    x = pydl.from_numpy(_img((2, 3, 6, 6)))
    pydl.manual_seed(4)
    out = T.RandomCrop(4)(x)
    pydl.manual_seed(4)
    i, j = (int(pydl.randint(0, 3, (1,)).item()) for _ in range(2))
    np.testing.assert_array_equal(out.numpy(), x.numpy()[..., i:i + 4, j:j + 4])
    assert T.RandomCrop(6)(x).shape == x.shape


def test_pad_and_center_crop():
    arr = _img((4, 5, 2))
    np.testing.assert_array_equal(T.Pad((1, 2), fill=(9, 8))(arr)[:2, :, 1], 8)
    np.testing.assert_array_equal(T.Pad(2, padding_mode="reflect")(arr),
                                  np.pad(arr, ((2, 2), (2, 2), (0, 0)), mode="reflect"))
    np.testing.assert_array_equal(T.CenterCrop((2, 3))(arr), arr[1:3, 1:4])
    big = T.CenterCrop(7)(arr)  # smaller images are zero-padded first, extra pixel right/bottom
    np.testing.assert_array_equal(big, np.pad(arr, ((1, 2), (1, 1), (0, 0))))
    np.testing.assert_array_equal(_hwc(T.CenterCrop((2, 3))(_chw(arr)), arr), arr[1:3, 1:4])
    assert repr(T.Pad(1)) == "Pad(padding=1, fill=0, padding_mode=constant)"
    assert repr(T.CenterCrop(3)) == "CenterCrop(size=(3, 3))"


@pytest.mark.parametrize("shape", [(4, 5), (4, 5, 3)])
def test_flips(shape):
    arr = _img(shape)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1)(arr), arr[:, ::-1])
    assert T.RandomHorizontalFlip(p=0)(arr) is arr
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1)(arr), arr[::-1])
    np.testing.assert_array_equal(_hwc(T.RandomHorizontalFlip(p=1)(_chw(arr)), arr), arr[:, ::-1])
    np.testing.assert_array_equal(_hwc(T.RandomVerticalFlip(p=1)(_chw(arr)), arr), arr[::-1])
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"


def test_flip_probability_follows_seed():
    arr = _img((3, 3))
    pydl.manual_seed(11)
    flips = [not np.array_equal(T.RandomHorizontalFlip(0.5)(arr), arr) for _ in range(200)]
    pydl.manual_seed(11)
    expected = [pydl.rand(1).item() < 0.5 for _ in range(200)]
    assert flips == expected and 60 < sum(flips) < 140


# -- RandomErasing ---------------------------------------------------------------------------

def test_random_erasing_region():
    x = pydl.ones(3, 20, 20)
    pydl.manual_seed(0)
    out = T.RandomErasing(p=1.0, value=(0.0, 0.5, 2.0))(x)
    assert x.numpy().min() == 1.0  # not in place
    changed = out.numpy() != 1.0
    rows, cols = np.flatnonzero(changed[0].any(1)), np.flatnonzero(changed[0].any(0))
    assert changed[0].sum() == len(rows) * len(cols) > 0  # one rectangle
    region = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    assert [float(out.numpy()[c][region].mean()) for c in range(3)] == [0.0, 0.5, 2.0]
    assert 0.02 * 400 * 0.7 <= len(rows) * len(cols) <= 0.33 * 400 * 1.3
    assert T.RandomErasing(p=0.0)(x) is x


def test_random_erasing_numpy_tensor_inplace_and_random():
    arr = _img((16, 16, 3))
    for seed in range(3):
        pydl.manual_seed(seed)
        a = T.RandomErasing(p=1.0, value="random")(arr)
        pydl.manual_seed(seed)
        t = T.RandomErasing(p=1.0, value="random")(_chw(arr))
        np.testing.assert_array_equal(a, _hwc(t, arr))
    x = pydl.ones(1, 10, 10)
    assert T.RandomErasing(p=1.0, inplace=True)(x) is x and x.numpy().min() == 0.0
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match=r"either a single value or 1 \(number of input channels\)"):
        T.RandomErasing(p=1.0, value=(1, 2))(pydl.ones(1, 5, 5))
    assert repr(T.RandomErasing()) == \
        "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)"


# -- reproducibility and NumPy/tensor agreement ----------------------------------------------

def _pipeline():
    return T.Compose([
        T.RandomCrop(12, padding=2, padding_mode="reflect"),
        T.RandomHorizontalFlip(),
        T.RandomRotation(20, fill=(10, 20, 30)),
        T.RandomAffine(10, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-5, 5, -3, 3)),
        T.RandomAffine(15, interpolation=T.InterpolationMode.BILINEAR, fill=128),
        T.RandomErasing(p=0.7, value=(1, 2, 3)),
    ])


def test_reproducible_under_manual_seed():
    arr = _img((12, 12, 3))
    runs = []
    for seed in (42, 42, 43):
        pydl.manual_seed(seed)
        tf = _pipeline()
        runs.append([tf(arr) for _ in range(5)])
    for a, b in zip(runs[0], runs[1]):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(runs[0], runs[2]))


@pytest.mark.parametrize("seed", range(6))
def test_numpy_and_tensor_inputs_agree(seed):
    arr = _img((12, 12, 3), seed=seed)
    pydl.manual_seed(seed)
    a = _pipeline()(arr)
    pydl.manual_seed(seed)
    t = _pipeline()(_chw(arr))
    assert isinstance(a, np.ndarray) and a.dtype == np.uint8 and a.shape == (12, 12, 3)
    assert isinstance(t, pydl.Tensor) and t.dtype == pydl.uint8 and t.shape == (3, 12, 12)
    np.testing.assert_array_equal(a, _hwc(t, arr))
    f = arr.astype(np.float32) / 255
    pydl.manual_seed(seed)
    af = T.RandomAffine(30, interpolation="bilinear", fill=0.5)(f)
    pydl.manual_seed(seed)
    tf = T.RandomAffine(30, interpolation="bilinear", fill=0.5)(_chw(f))
    assert af.dtype == np.float32
    np.testing.assert_array_equal(af, _hwc(tf, f))
