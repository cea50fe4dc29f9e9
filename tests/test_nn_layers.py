"""Every layer module against torch.nn: the same state_dict keys and shapes, torch's weights
copied in by name, then outputs, input gradients and every parameter gradient compared in
float64 (tight) in train and eval mode."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")

LAYERS = [  # name, constructor (lib -> module), input shape
    ("Linear", lambda L: L.nn.Linear(5, 3), (4, 5)),
    ("Linear no bias", lambda L: L.nn.Linear(5, 3, bias=False), (2, 3, 5)),
    ("Bilinear", None, None),
    ("Conv1d", lambda L: L.nn.Conv1d(2, 4, 3, stride=2, padding=1), (2, 2, 9)),
    ("Conv2d LeNet", lambda L: L.nn.Conv2d(1, 6, 5), (2, 1, 12, 12)),
    ("Conv2d same reflect", lambda L: L.nn.Conv2d(3, 4, 3, padding="same", padding_mode="reflect"), (1, 3, 6, 7)),
    ("Conv2d circular groups", lambda L: L.nn.Conv2d(4, 4, 3, padding=1, groups=2, padding_mode="circular"),
     (1, 4, 5, 5)),
    ("ConvTranspose2d", lambda L: L.nn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=1), (1, 3, 4, 4)),
    ("MaxPool2d", lambda L: L.nn.MaxPool2d(2), (2, 3, 6, 6)),
    ("AvgPool2d", lambda L: L.nn.AvgPool2d(3, 2, padding=1), (2, 3, 7, 7)),
    ("AdaptiveAvgPool2d", lambda L: L.nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 8)),
    ("BatchNorm1d", lambda L: L.nn.BatchNorm1d(5), (6, 5)),
    ("BatchNorm2d", lambda L: L.nn.BatchNorm2d(3), (4, 3, 5, 5)),
    ("BatchNorm2d momentum None", lambda L: L.nn.BatchNorm2d(3, momentum=None), (4, 3, 2, 2)),
    ("LayerNorm", lambda L: L.nn.LayerNorm((4, 5)), (3, 4, 5)),
    ("GroupNorm", lambda L: L.nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("InstanceNorm2d affine", lambda L: L.nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 4)),
    ("Embedding", None, None),
    ("PReLU", lambda L: L.nn.PReLU(3), (2, 3, 4)),
    ("GELU tanh", lambda L: L.nn.GELU("tanh"), (3, 4)),
    ("Softmax", lambda L: L.nn.Softmax(dim=1), (3, 4)),
    ("GLU", lambda L: L.nn.GLU(), (3, 6)),
    ("Hardshrink", lambda L: L.nn.Hardshrink(0.3), (3, 4)),
    ("Flatten", lambda L: L.nn.Flatten(), (2, 3, 4)),
    ("ZeroPad2d", lambda L: L.nn.ZeroPad2d((1, 2, 0, 1)), (1, 2, 3, 3)),
    ("Upsample", lambda L: L.nn.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 3)),
    ("Sequential LeNet", lambda L: L.nn.Sequential(
        L.nn.Conv2d(1, 6, 5, padding=2), L.nn.ReLU(), L.nn.MaxPool2d(2), L.nn.Conv2d(6, 16, 5), L.nn.Tanh(),
        L.nn.AvgPool2d(2), L.nn.Flatten(), L.nn.Linear(16, 10)), (2, 1, 12, 12)),
]
LAYERS = [row for row in LAYERS if row[1] is not None]


def _pair(make):
    ours, theirs = make(pydl).double(), make(torch).double()
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    assert [tuple(v.shape) for v in ours_sd.values()] == [tuple(v.shape) for v in theirs_sd.values()]
    ours.load_state_dict({k: pydl.from_numpy(v.numpy().copy()) for k, v in theirs_sd.items()})
    return ours, theirs


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_matches_torch(name, make, shape, mode):
    ours, theirs = _pair(make)
    ours.train(mode == "train")
    theirs.train(mode == "train")
    x = np.random.default_rng(1).normal(size=shape)
    for _ in range(2):  # twice: running statistics must evolve the same way
        xp = pydl.tensor(x, dtype=pydl.float64, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yp, yt = ours(xp), theirs(xt)
        np.testing.assert_allclose(yp.detach().numpy(), yt.detach().numpy(), rtol=1e-9, atol=1e-10)
        g = np.random.default_rng(2).normal(size=tuple(yt.shape))
        yp.backward(pydl.tensor(g, dtype=pydl.float64))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=n)
    for (n, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b.numpy(), c.numpy(), rtol=1e-9, err_msg=n)


def test_bilinear_and_embedding_match_torch():
    ours, theirs = _pair(lambda L: L.nn.Bilinear(3, 4, 2))
    a, b = np.random.default_rng(3).normal(size=(5, 3)), np.random.default_rng(4).normal(size=(5, 4))
    np.testing.assert_allclose(ours(pydl.tensor(a), pydl.tensor(b)).detach().numpy(),
                               theirs(torch.tensor(a), torch.tensor(b)).detach().numpy(), rtol=1e-9)
    ours, theirs = _pair(lambda L: L.nn.Embedding(10, 3, padding_idx=0))
    idx = [[0, 3, 9], [3, 3, 1]]
    yp, yt = ours(pydl.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(yp.detach().numpy(), yt.detach().numpy())
    yp.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())


@pytest.mark.parametrize("make,fan_in", [(lambda L: L.nn.Linear(64, 32), 64), (lambda L: L.nn.Conv2d(16, 8, 3), 144)],
                         ids=["Linear", "Conv2d"])
def test_default_initialisation_is_torchs_uniform(make, fan_in):
    """Weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as torch's defaults."""
    bound = 1 / np.sqrt(fan_in)
    for lib in (pydl, torch):
        for name, p in make(lib).named_parameters():
            a = p.detach().numpy()
            assert np.abs(a).max() <= bound * (1 + 1e-6), name
            if a.size >= 500:
                assert abs(a.std() - bound / np.sqrt(3)) < 0.1 * bound / np.sqrt(3), name
                assert np.abs(a).max() > 0.9 * bound, name
    weight = make(pydl).weight.detach().numpy()
    assert abs(weight.mean()) < 0.1 * bound


def test_embedding_initialisation_is_standard_normal():
    w = pydl.nn.Embedding(200, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.05 and abs(w.std() - 1) < 0.05


def test_wrong_input_channels_raise_like_torch():
    for lib in (pydl, torch):
        with pytest.raises(RuntimeError):
            lib.nn.Conv2d(3, 4, 3)(lib.randn(1, 2, 5, 5))
        with pytest.raises(RuntimeError):
            lib.nn.Linear(4, 2)(lib.randn(3, 5))
        with pytest.raises(ValueError):
            lib.nn.BatchNorm2d(3)(lib.randn(3, 5))
        with pytest.raises(ValueError):
            lib.nn.Conv2d(3, 4, 3, groups=2)
