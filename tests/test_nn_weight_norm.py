"""nn.utils.weight_norm / remove_weight_norm against torch: parameters, state_dict keys and
shapes, outputs and the gradients of g and v, for Linear and Conv2d over dim 0, 1, -1 (whole
tensor, torch's reading of dim=None too) and the errors."""
import numpy as np
import pytest

import pydl
from pydl.autograd import gradcheck

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning")


def pair(kind):
    torch.manual_seed(0)
    ref = torch.nn.Linear(5, 4) if kind == "linear" else torch.nn.Conv2d(3, 4, 3)
    mine = pydl.nn.Linear(5, 4) if kind == "linear" else pydl.nn.Conv2d(3, 4, 3)
    mine.load_state_dict({k: pydl.from_numpy(v.detach().numpy().copy()) for k, v in ref.state_dict().items()})
    return mine, ref


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_matches_torch(kind, dim):
    mine, ref = pair(kind)
    pydl.nn.utils.weight_norm(mine, dim=dim)
    torch.nn.utils.weight_norm(ref, dim=dim)
    assert list(mine.state_dict()) == list(ref.state_dict())
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(mine.state_dict()[k].numpy(), v.numpy(), rtol=1e-6, atol=1e-7)
    shape = (2, 5) if kind == "linear" else (2, 3, 6, 6)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out, want = mine(pydl.from_numpy(x)), ref(torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    want.sum().backward()
    for name in ("weight_g", "weight_v", "bias"):
        np.testing.assert_allclose(getattr(mine, name).grad.numpy(), getattr(ref, name).grad.numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_weight_follows_g_and_v_and_remove_folds_them():
    layer = pydl.nn.utils.weight_norm(pydl.nn.Linear(3, 2))
    before = layer.weight.detach().clone()
    with pydl.no_grad():
        layer.weight_g.mul_(2.0)  # twice the magnitude, same direction
    layer(pydl.ones(1, 3))  # the pre-hook recomputes the weight
    assert pydl.allclose(layer.weight, 2 * before)
    pydl.nn.utils.remove_weight_norm(layer)
    assert isinstance(layer.weight, pydl.nn.Parameter) and sorted(dict(layer.named_parameters())) == ["bias", "weight"]
    assert pydl.allclose(layer.weight, 2 * before) and not layer._forward_pre_hooks


def test_gradcheck_through_g_and_v():
    layer = pydl.nn.utils.weight_norm(pydl.nn.Linear(3, 2).double())
    x = pydl.randn(4, 3, dtype=pydl.float64)

    def f(g, v):
        return x @ (v * (g / v.norm(dim=1, keepdim=True))).t()
    assert gradcheck(f, (layer.weight_g.detach().requires_grad_(), layer.weight_v.detach().requires_grad_()))


def test_errors_like_torch():
    layer = pydl.nn.utils.weight_norm(pydl.nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        pydl.nn.utils.weight_norm(layer)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found in"):
        pydl.nn.utils.remove_weight_norm(layer, "bias")
