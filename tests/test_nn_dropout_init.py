"""Dropout (pydl/nn/_dropout.py) and pydl.nn.init: statistics of the random masks and fills
against their formulas, reproducibility under pydl.manual_seed / generator=, exact values of the
deterministic initialisers, fans and gains against torch, and torch's error classes.
(Normalisation and embedding are in test_nn_norm_init.py.)"""
import math
import warnings

import numpy as np
import pytest

import pydl
import pydl.nn.init as init
from pydl.nn import _dropout as D

SELU_ALPHA_SCALE = 1.7580993408473766  # SELU scale * alpha, alpha dropout's saturation value


# ---------------------------------------------------------------- dropout

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [pydl.float32, pydl.float64])
def test_dropout_zero_fraction_and_survivor_scale(p, dtype):
    x = pydl.rand(1000, 1000, dtype=dtype) + 0.5  # no zeros of its own
    y = D.dropout(x, p).numpy()
    xs = x.numpy()
    dropped = y == 0
    # 1e6 Bernoulli draws: the fraction's std is below 5e-4, so 3e-3 is a 6-sigma band.
    assert abs(dropped.mean() - p) < 3e-3
    rtol = 1e-6 if dtype == pydl.float32 else 1e-15
    np.testing.assert_allclose(y[~dropped], xs[~dropped] / (1 - p), rtol=rtol)


def test_dropout_identity_cases():
    x = pydl.randn(50, 40)
    for out in (D.dropout(x, 0.5, training=False), D.dropout(x, 0.0), D.dropout(x, 0.7, False, True)):
        np.testing.assert_array_equal(out.numpy(), x.numpy())
    # alpha dropout defaults to training=False, as in torch
    np.testing.assert_array_equal(D.alpha_dropout(x, 0.5).numpy(), x.numpy())
    np.testing.assert_array_equal(D.feature_alpha_dropout(x.reshape(5, 10, 40), 0.5).numpy(),
                                  x.numpy().reshape(5, 10, 40))


def test_dropout_p_one_gives_zeros_and_zero_grad():
    x = pydl.randn(6, 7, dtype=pydl.float64, requires_grad=True)
    y = D.dropout(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    np.testing.assert_array_equal(D.alpha_dropout(x, 1.0, True).detach().numpy(), 0.0)


def test_dropout_same_seed_same_mask():
    x = pydl.ones(200, 300)
    pydl.manual_seed(123)
    first = D.dropout(x, 0.4).numpy()
    pydl.manual_seed(123)
    second = D.dropout(x, 0.4).numpy()
    third = D.dropout(x, 0.4).numpy()
    np.testing.assert_array_equal(first, second)
    assert (first != third).any()


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_dropout_gradient_is_mask_over_keep(p):
    x = pydl.tensor(np.random.default_rng(1).uniform(1, 2, (40, 50)), dtype=pydl.float64, requires_grad=True)
    y = D.dropout(x, p)
    cotangent = np.random.default_rng(2).standard_normal((40, 50))
    y.backward(pydl.tensor(cotangent))
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), cotangent * kept / (1 - p), rtol=1e-15)


def test_dropout_inplace_modifies_input():
    x = pydl.ones(100, 100)
    y = D.dropout(x, 0.5, inplace=True)
    assert y is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}
    # unbatched channel dropout draws on a view with a batch dim, which must write through
    x = pydl.ones(30, 7)
    assert D.dropout1d(x, 0.5, inplace=True) is x
    assert {tuple(np.unique(row)) for row in x.numpy()} == {(0.0,), (2.0,)}


def test_dropout_inplace_on_non_leaf_backpropagates():
    a = pydl.ones(20, 30, dtype=pydl.float64, requires_grad=True)
    y = D.dropout(a * 3.0, 0.5, inplace=True)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), (y.detach().numpy() != 0) * 6.0)


# channel_dims: how many leading dims index the channels (2 batched, 1 unbatched)
@pytest.mark.parametrize("fn,shape,channel_dims", [(D.dropout1d, (8, 30, 7), 2), (D.dropout1d, (30, 7), 1),
                                                   (D.dropout2d, (8, 30, 3, 4), 2), (D.dropout2d, (30, 6, 2, 2), 2),
                                                   (D.dropout3d, (4, 30, 2, 3, 2), 2), (D.dropout3d, (30, 2, 3, 2), 1)])
def test_channel_dropout_zeroes_whole_channels(fn, shape, channel_dims):
    y = fn(pydl.ones(*shape), 0.5).numpy()
    per_channel = y.reshape(int(np.prod(shape[:channel_dims])), -1)
    # every channel is all zeros or all 1/(1-p), and both kinds occur
    assert {tuple(np.unique(row)) for row in per_channel} == {(0.0,), (2.0,)}


def test_channel_dropout_fraction_and_gradient():
    x = pydl.ones(500, 400, 3, dtype=pydl.float64, requires_grad=True)
    y = D.dropout1d(x, 0.3)
    channel_kept = y.detach().numpy()[:, :, 0] != 0
    assert abs(1 - channel_kept.mean() - 0.3) < 1e-2  # 2e5 channels: std 1e-3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.repeat(channel_kept[:, :, None], 3, 2) / 0.7, rtol=1e-15)


def test_dropout2d_3d_input_warns_and_is_batched():
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        y = D.dropout2d(pydl.ones(30, 20, 5), 0.5).numpy()
    # read as (N, C, L): channels are y[n, c, :]
    assert {tuple(np.unique(row)) for row in y.reshape(600, 5)} == {(0.0,), (2.0,)}


def test_alpha_dropout_statistics():
    p = 0.2
    x = pydl.randn(1000, 1000, dtype=pydl.float64)
    y = D.alpha_dropout(x, p, training=True).numpy()
    a = 1 / math.sqrt((SELU_ALPHA_SCALE ** 2 * p + 1) * (1 - p))
    dropped_value = -SELU_ALPHA_SCALE * a + SELU_ALPHA_SCALE * a * p
    dropped = np.isclose(y, dropped_value, rtol=0, atol=1e-12)
    assert abs(dropped.mean() - p) < 3e-3
    np.testing.assert_allclose(y[~dropped], x.numpy()[~dropped] * a + SELU_ALPHA_SCALE * a * p, rtol=1e-12)
    # the point of alpha dropout: zero mean and unit variance are kept
    assert abs(y.mean()) < 5e-3 and abs(y.std() - 1) < 5e-3


def test_feature_alpha_dropout_drops_whole_channels():
    y = D.feature_alpha_dropout(pydl.randn(20, 30, 4, dtype=pydl.float64), 0.5, training=True).numpy()
    constant_channels = np.ptp(y, axis=2) == 0
    assert 0.35 < constant_channels.mean() < 0.65


def test_dropout_errors_match_torch():
    torch = pytest.importorskip("torch")
    for fn, tfn in ((D.dropout, torch.nn.functional.dropout), (D.dropout2d, torch.nn.functional.dropout2d),
                    (D.alpha_dropout, torch.nn.functional.alpha_dropout)):
        for p in (-0.1, 1.5):
            with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got"):
                fn(pydl.ones(2, 3, 4, 4), p)
            with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got"):
                tfn(torch.ones(2, 3, 4, 4), p)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        D.dropout1d(pydl.ones(2, 3, 4, 4))
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        torch.nn.functional.dropout1d(torch.ones(2, 3, 4, 4))


# ---------------------------------------------------------------- init: gains and fans

GAIN_CASES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
              ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
              ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)]


@pytest.mark.parametrize("nonlinearity,param", GAIN_CASES)
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_errors():
    torch = pytest.importorskip("torch")
    for lib_init in (init, torch.nn.init):
        with pytest.raises(ValueError, match="Unsupported nonlinearity"):
            lib_init.calculate_gain("swish")
        with pytest.raises(ValueError, match="not a valid number"):
            lib_init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(5, 3), (8, 4, 3), (6, 2, 3, 5), (4, 3, 2, 2, 3), (7, 1)])
def test_fans_match_torch(shape):
    torch = pytest.importorskip("torch")
    assert init._calculate_fan_in_and_fan_out(pydl.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_errors():
    torch = pytest.importorskip("torch")
    message = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
    for lib, lib_init in ((pydl, init), (torch, torch.nn.init)):
        with pytest.raises(ValueError, match=message):
            lib_init._calculate_fan_in_and_fan_out(lib.empty(5))
        with pytest.raises(ValueError, match="Mode fan_avg not supported"):
            lib_init.kaiming_uniform_(lib.empty(3, 4), mode="fan_avg")


# ---------------------------------------------------------------- init: random fills

def test_uniform_and_normal_statistics():
    t = init.uniform_(pydl.empty(500, 400, dtype=pydl.float64), -2.0, 3.0).numpy()
    assert t.min() >= -2 and t.max() < 3
    assert abs(t.mean() - 0.5) < 0.01 and abs(t.std() - 5 / math.sqrt(12)) < 0.01
    t = init.normal_(pydl.empty(500, 400, dtype=pydl.float64), 1.5, 0.5).numpy()
    assert abs(t.mean() - 1.5) < 0.005 and abs(t.std() - 0.5) < 0.005


@pytest.mark.parametrize("shape", [(300, 400), (64, 32, 3, 3), (40, 20, 3, 3, 3)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("leaky_relu", 0), ("leaky_relu", 0.3), ("relu", 0), ("tanh", 0)])
def test_kaiming_uniform_and_normal(shape, mode, nonlinearity, a):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(pydl.empty(*shape))
    fan = fan_in if mode == "fan_in" else fan_out
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = std * math.sqrt(3.0)
    t = init.kaiming_uniform_(pydl.empty(*shape, dtype=pydl.float64), a, mode, nonlinearity).numpy()
    assert np.abs(t).max() <= bound and np.abs(t).max() > 0.99 * bound
    assert abs(t.std() / std - 1) < 0.03
    t = init.kaiming_normal_(pydl.empty(*shape, dtype=pydl.float64), a, mode, nonlinearity).numpy()
    assert abs(t.std() / std - 1) < 0.03 and abs(t.mean()) < 0.03 * std


@pytest.mark.parametrize("shape", [(300, 500), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_uniform_and_normal(shape, gain):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(pydl.empty(*shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    t = init.xavier_uniform_(pydl.empty(*shape, dtype=pydl.float64), gain).numpy()
    bound = std * math.sqrt(3.0)
    assert np.abs(t).max() <= bound and np.abs(t).max() > 0.99 * bound
    t = init.xavier_normal_(pydl.empty(*shape, dtype=pydl.float64), gain).numpy()
    assert abs(t.std() / std - 1) < 0.03


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (1.0, 2.0, 0.0, 3.0), (0.0, 0.02, -0.04, 0.04)])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    t = init.trunc_normal_(pydl.empty(500, 400, dtype=pydl.float64), mean, std, a, b).numpy()
    assert t.min() >= a and t.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    true_mean = mean + std * (pdf(alpha) - pdf(beta)) / z
    true_var = std ** 2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    assert abs(t.mean() - true_mean) < 0.01 * std
    assert abs(t.std() / math.sqrt(true_var) - 1) < 0.01


def test_trunc_normal_warns_when_mean_far_from_bounds():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(pydl.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)


def test_generator_makes_fills_reproducible():
    fills = [lambda t, g: init.uniform_(t, generator=g), lambda t, g: init.normal_(t, generator=g),
             lambda t, g: init.kaiming_uniform_(t, generator=g), lambda t, g: init.xavier_normal_(t, generator=g),
             lambda t, g: init.trunc_normal_(t, generator=g), lambda t, g: init.orthogonal_(t, generator=g),
             lambda t, g: init.sparse_(t, 0.5, generator=g)]
    for fill in fills:
        # The default generator is in a different state for each call: it must not matter.
        pydl.manual_seed(1)
        first = fill(pydl.empty(6, 8), pydl.Generator().manual_seed(7)).numpy()
        pydl.manual_seed(2)
        second = fill(pydl.empty(6, 8), pydl.Generator().manual_seed(7)).numpy()
        other = fill(pydl.empty(6, 8), pydl.Generator().manual_seed(8)).numpy()
        np.testing.assert_array_equal(first, second)
        assert (first != other).any()


def test_fills_are_in_place_unrecorded_and_return_the_tensor():
    w = pydl.empty(4, 5, requires_grad=True)
    for fill in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.trunc_normal_,
                 init.orthogonal_, init.ones_, init.zeros_, init.eye_, lambda t: init.constant_(t, 0.3),
                 lambda t: init.sparse_(t, 0.5)):
        assert fill(w) is w
        assert w.is_leaf and w.grad_fn is None and w.requires_grad


def test_kaiming_on_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(pydl.empty(0, 3))


# ---------------------------------------------------------------- init: structured fills

@pytest.mark.parametrize("shape", [(5, 5), (4, 9), (9, 4), (3, 4, 5, 2), (20, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    t = init.orthogonal_(pydl.empty(*shape, dtype=pydl.float64), gain).numpy().reshape(shape[0], -1)
    small = min(t.shape)
    gram = t @ t.T if t.shape[0] <= t.shape[1] else t.T @ t
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(small), atol=1e-12)


def test_orthogonal_is_not_sign_biased():
    # A Haar-random Q has Q[0, 0] > 0 half the time; a QR without the sign fix of R's diagonal
    # gives one sign always. 400 draws: the fraction's std is 0.025.
    positive = [init.orthogonal_(pydl.empty(4, 4, dtype=pydl.float64)).numpy()[0, 0] > 0 for _ in range(400)]
    assert 0.4 < np.mean(positive) < 0.6


def test_constant_ones_zeros_eye_exact():
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(init.constant_(pydl.empty(3, 4), 0.25).numpy(), 0.25)
    np.testing.assert_array_equal(init.ones_(pydl.empty(3, 4)).numpy(), 1.0)
    np.testing.assert_array_equal(init.zeros_(pydl.randn(3, 4)).numpy(), 0.0)
    for shape in ((4, 4), (3, 5), (5, 3)):
        np.testing.assert_array_equal(init.eye_(pydl.randn(*shape)).numpy(), torch.nn.init.eye_(torch.empty(*shape)))


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((5, 3, 4, 4), 1), ((4, 2, 3, 3, 3), 2),
                                          ((2, 5, 3, 3, 1), 1)])
def test_dirac_matches_torch(shape, groups):
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(init.dirac_(pydl.randn(*shape), groups).numpy(),
                                  torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())


def test_dirac_convolution_is_identity():
    w = init.dirac_(pydl.empty(3, 3, 3, 3, dtype=pydl.float64))
    x = pydl.randn(2, 3, 5, 5, dtype=pydl.float64)
    np.testing.assert_allclose(pydl.conv2d(x, w, padding=1).numpy(), x.numpy(), rtol=1e-15)


def test_sparse_zeroes_per_column():
    t = init.sparse_(pydl.empty(50, 30, dtype=pydl.float64), 0.25, std=0.5).numpy()
    np.testing.assert_array_equal((t == 0).sum(axis=0), math.ceil(0.25 * 50))
    assert abs(t[t != 0].std() / 0.5 - 1) < 0.1


def test_structured_fill_errors_match_torch():
    torch = pytest.importorskip("torch")
    cases = [(lambda L, I: I.eye_(L.empty(2, 3, 4)), "Only tensors with 2 dimensions are supported"),
             (lambda L, I: I.dirac_(L.empty(3, 3)), "Only tensors with 3, 4, or 5 dimensions are supported"),
             (lambda L, I: I.dirac_(L.empty(5, 3, 3), 2), "dim 0 must be divisible by groups"),
             (lambda L, I: I.orthogonal_(L.empty(5)), "Only tensors with 2 or more dimensions are supported"),
             (lambda L, I: I.sparse_(L.empty(2, 3, 4), 0.5), "Only tensors with 2 dimensions are supported")]
    for call, message in cases:
        for lib, lib_init in ((pydl, init), (torch, torch.nn.init)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with pytest.raises(ValueError, match=message):
                    call(lib, lib_init)
