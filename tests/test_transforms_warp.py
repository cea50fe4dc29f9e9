"""pydl.transforms' warps: rotations by multiples of 90 degrees against np.rot90, identity,
shifts and scales against NumPy references, and the sampling against torch's grid_sample (when
torch is installed), since torchvision's tensor warps are grid_sample on the grid built here."""
import math

import numpy as np
import pytest

import pydl
import pydl.transforms as T
from pydl.datasets._geometric import affine
from transform_helpers import chw as _chw, hwc as _hwc, img as _img


# -- rotations and affine warps --------------------------------------------------------------

@pytest.mark.parametrize("size", [6, 7])
@pytest.mark.parametrize("angle,k", [(90, 1), (180, 2), (270, 3), (-90, 3), (0, 0)])
def test_rotation_multiples_of_90_equal_rot90(size, angle, k):
    # Positive angles turn counter-clockwise, as np.rot90 does (for the image as displayed).
    arr = _img((size, size, 3))
    rot = T.RandomRotation((angle, angle))
    np.testing.assert_array_equal(rot(arr), np.rot90(arr, k))
    np.testing.assert_array_equal(rot(arr[..., 0]), np.rot90(arr[..., 0], k))
    np.testing.assert_array_equal(_hwc(rot(_chw(arr)), arr), np.rot90(arr, k))
    bil = T.RandomRotation((angle, angle), interpolation=T.InterpolationMode.BILINEAR)
    np.testing.assert_array_equal(bil(arr), np.rot90(arr, k))


def test_rotation_expand():
    arr = _img((4, 6))
    out = T.RandomRotation((90, 90), expand=True)(arr)
    np.testing.assert_array_equal(out, np.rot90(arr))
    assert T.RandomRotation((90, 90))(arr).shape == arr.shape
    # Like torchvision's tensor rotate (no PIL-style transpose shortcut), the canvas is the
    # rotated corners' bounding box snapped outward to whole pixels of the input's grid:
    # odd sizes gain a pixel, and 45 degrees on 10x10 reaches ceil(12.07) - floor(-2.07) = 16.
    assert T.RandomRotation((90, 90), expand=True)(_img((4, 7))).shape == (8, 5)
    assert T.RandomRotation((45, 45), expand=True)(np.ones((10, 10), np.uint8)).shape == (16, 16)


def test_rotation_direction_and_fill():
    arr = np.zeros((5, 5, 3), np.uint8)
    arr[0, 2] = 255  # a dot above the centre
    out = T.RandomRotation((90, 90))(arr)
    assert out[2, 0].tolist() == [255] * 3 and out.sum() == 3 * 255  # counter-clockwise: to the left
    filled = T.RandomRotation((45, 45), fill=(1, 2, 3))(np.full((9, 9, 3), 200, np.uint8))
    assert filled[0, 0].tolist() == [1, 2, 3] and filled[4, 4].tolist() == [200] * 3
    with pytest.raises(ValueError, match=r"'fill' does not match the number of channels of the image \(2 != 3\)"):
        T.RandomRotation(10, fill=(1, 2))(arr)


def test_affine_identity():
    arr = _img((6, 9, 3))
    for interp in ("nearest", "bilinear"):
        np.testing.assert_array_equal(T.RandomAffine(0, interpolation=interp)(arr), arr)
        np.testing.assert_array_equal(T.RandomAffine((0, 0), scale=(1, 1), shear=0,
                                                     interpolation=interp)(_chw(arr)).numpy(),
                                      _chw(arr).numpy())
    f = _img((5, 4), np.float32)
    np.testing.assert_array_equal(T.RandomAffine(0, interpolation="bilinear")(f), f)


def test_affine_translation_is_a_shift():
    arr = _img((8, 10))
    pydl.manual_seed(3)
    out = T.RandomAffine(0, translate=(0.3, 0.3), fill=5)(arr)
    pydl.manual_seed(3)
    _, (tx, ty), _, _ = T.RandomAffine.get_params([0.0, 0.0], (0.3, 0.3), None, None, (10, 8))
    assert (tx, ty) != (0, 0)
    ref = np.full_like(arr, 5)
    # Content moves right by tx and down by ty.
    src = arr[max(-ty, 0):8 - max(ty, 0), max(-tx, 0):10 - max(tx, 0)]
    ref[max(ty, 0):max(ty, 0) + src.shape[0], max(tx, 0):max(tx, 0) + src.shape[1]] = src
    np.testing.assert_array_equal(out, ref)


def test_affine_angle_is_clockwise():
    # torchvision's affine turns clockwise for positive angles; rotate counter-clockwise.
    arr = _img((7, 7))
    np.testing.assert_array_equal(T.RandomAffine((90, 90))(arr), np.rot90(arr, -1))
    np.testing.assert_array_equal(affine(arr, 90, (0, 0), 1.0, (0, 0), rotate_convention=True),
                                  np.rot90(arr, 1))


def test_affine_scale_about_centre():
    arr = np.zeros((8, 8), np.float32)
    arr[2:6, 2:6] = 1.0
    out = affine(arr, 0.0, (0, 0), 2.0, (0.0, 0.0))
    np.testing.assert_array_equal(out, np.ones((8, 8), np.float32))  # the square fills the image
    small = affine(np.ones((8, 8), np.float32), 0.0, (0, 0), 0.5, (0.0, 0.0))
    assert small.sum() == 16 and small[2:6, 2:6].all()


def test_batched_tensor_warp_matches_per_image():
    x = pydl.from_numpy(_img((2, 3, 6, 6)))
    out = T.RandomRotation((90, 90))(x)
    np.testing.assert_array_equal(out.numpy(), np.rot90(x.numpy(), 1, axes=(2, 3)))
    assert out.dtype == pydl.uint8 and out.shape == x.shape


def test_bilinear_half_pixel_shift():
    # RandomAffine rounds shifts to whole pixels, so the functional warp takes the half pixel.
    ramp = np.tile(np.arange(4, dtype=np.float32) * 10, (2, 1))
    half = affine(ramp, 0, (0.5, 0), 1.0, (0, 0), interpolation="bilinear")
    np.testing.assert_allclose(half[:, 1:], [[5, 15, 25]] * 2)
    # Column 0 straddles the left edge: half its weight is outside and counts as zero.
    np.testing.assert_allclose(half[:, 0], 0.0)
    as_uint8 = affine(np.array([[0, 101]], np.uint8), 0, (0.5, 0), 1.0, (0, 0), "bilinear")
    assert as_uint8.dtype == np.uint8 and as_uint8[0, 1] == 50  # 50.5 rounds half to even
    assert repr(T.RandomAffine(0, interpolation="bilinear")) == \
        "RandomAffine(degrees=[0.0, 0.0], interpolation=bilinear)"


def test_argument_errors_and_reprs():
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="degrees should be a sequence of length 2."):
        T.RandomAffine((1, 2, 3))
    with pytest.raises(TypeError, match="degrees should be a sequence of length 2."):
        T.RandomRotation({10})
    with pytest.raises(ValueError, match="shear should be a sequence of length 2 or 4."):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(0.5, 1.5))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="interpolation should be"):
        T.RandomRotation(3, interpolation="bicubic")
    with pytest.raises(TypeError, match="img should be a NumPy array"):
        T.RandomRotation(3)([[1]])
    with pytest.raises(ValueError, match=r"Expected a NumPy image of shape \(H, W\) or \(H, W, C\)"):
        T.RandomHorizontalFlip()(np.zeros((1, 2, 3, 4)))
    assert repr(T.RandomRotation(10)) == \
        "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)"
    assert repr(T.RandomAffine(5, scale=(0.9, 1.1), shear=(1, 2, 3, 4), fill=1, center=(0, 0))) == \
        ("RandomAffine(degrees=[-5.0, 5.0], scale=(0.9, 1.1), shear=[1.0, 2.0, 3.0, 4.0], fill=1, "
         "center=(0, 0))")


# -- against torch's grid_sample (what torchvision's tensor warps run) -----------------------

def _torchvision_grid(torch, matrix, w, h, ow, oh):
    # torchvision.transforms._functional_tensor._gen_affine_grid, step by step.
    theta = torch.tensor(matrix, dtype=torch.float64).reshape(1, 2, 3)
    base = torch.empty(1, oh, ow, 3, dtype=torch.float64)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, steps=ow, dtype=torch.float64))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, steps=oh,
                                      dtype=torch.float64).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=torch.float64)
    return base.view(1, oh * ow, 3).bmm(rescaled).view(1, oh, ow, 2)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("params", [(33.0, (1, -2), 1.1, (5.0, -7.0)), (-71.0, (0, 0), 0.7, (0.0, 0.0)),
                                    (12.5, (2, 1), 1.0, (20.0, 0.0))])
def test_warp_matches_torch_grid_sample(mode, params):
    torch = pytest.importorskip("torch")
    from pydl.datasets._warp import inverse_affine_matrix
    angle, translate, scale, shear = params
    img = _img((2, 9, 11), np.float64)
    fill = [0.25, 0.75]
    ours = affine(pydl.from_numpy(img), angle, translate, scale, shear, mode, fill).numpy()
    matrix = inverse_affine_matrix([0.0, 0.0], angle, list(map(float, translate)), scale, shear)
    grid = _torchvision_grid(torch, matrix, 11, 9, 11, 9)
    x = torch.cat([torch.from_numpy(img)[None], torch.ones(1, 1, 9, 11, dtype=torch.float64)], 1)
    out = torch.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    mask, ref = out[:, -1:].expand(1, 2, 9, 11), out[:, :-1]
    fill_img = torch.tensor(fill, dtype=torch.float64).view(1, 2, 1, 1).expand_as(ref)
    if mode == "nearest":
        ref = torch.where(mask < 0.5, fill_img, ref)
    else:
        ref = ref * mask + (1.0 - mask) * fill_img
    np.testing.assert_allclose(ours, ref[0].numpy(), atol=1e-9)
    assert not np.allclose(ours, img)  # the warp did something
    assert math.isfinite(float(ours.sum()))
