"""nn.utils.spectral_norm / remove_spectral_norm against torch, from the same weights and the
same starting u, v: state_dict keys, outputs, the in-place power iteration of the buffers in
training mode (none in eval), the gradient of weight_orig, ConvTranspose's dim, the errors."""
import numpy as np
import pytest

import pydl

torch = pytest.importorskip("torch")


def pair(make, **kwargs):
    torch.manual_seed(0)
    ref = torch.nn.utils.spectral_norm(make(torch.nn), **kwargs)
    mine = pydl.nn.utils.spectral_norm(make(pydl.nn), **kwargs)
    assert list(mine.state_dict()) == list(ref.state_dict())
    mine.load_state_dict({k: pydl.from_numpy(v.detach().numpy().copy()) for k, v in ref.state_dict().items()})
    return mine, ref


MAKERS = {
    "linear": (lambda nn: nn.Linear(5, 4), (3, 5)),
    "conv": (lambda nn: nn.Conv2d(3, 4, 3), (2, 3, 6, 6)),
    "conv_transpose": (lambda nn: nn.ConvTranspose2d(3, 4, 3), (2, 3, 5, 5)),
}


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("iterations", [1, 3])
def test_training_steps_match_torch(name, iterations):
    make, shape = MAKERS[name]
    mine, ref = pair(make, n_power_iterations=iterations)
    rng = np.random.default_rng(0)
    for _ in range(3):  # the buffers advance in place each training forward
        x = rng.standard_normal(shape).astype(np.float32)
        out, want = mine(pydl.from_numpy(x)), ref(torch.from_numpy(x))
        np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)
        for k in ("weight_u", "weight_v"):
            np.testing.assert_allclose(getattr(mine, k).numpy(), getattr(ref, k).numpy(), rtol=1e-4, atol=1e-5)
    out.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(mine.weight_orig.grad.numpy(), ref.weight_orig.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_eval_does_not_iterate_and_remove_folds_the_weight():
    mine, ref = pair(MAKERS["linear"][0])
    mine.eval()
    u = mine.weight_u.clone()
    mine(pydl.ones(1, 5))
    assert pydl.equal(mine.weight_u, u)
    pydl.nn.utils.remove_spectral_norm(mine)
    torch.nn.utils.remove_spectral_norm(ref)
    assert sorted(dict(mine.named_parameters())) == ["bias", "weight"] and not mine._forward_pre_hooks
    assert list(mine.state_dict()) == list(ref.state_dict())
    np.testing.assert_allclose(mine.weight.detach().numpy(), ref.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_errors_like_torch():
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        pydl.nn.utils.spectral_norm(pydl.nn.Linear(3, 2), n_power_iterations=0)
    layer = pydl.nn.utils.spectral_norm(pydl.nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        pydl.nn.utils.spectral_norm(layer)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        pydl.nn.utils.remove_spectral_norm(pydl.nn.Linear(3, 2))
