"""nn.LazyLinear and UninitializedParameter: in_features from the first input, then a plain
Linear with torch's init bounds and state_dict; an optimizer built before the first forward
trains the materialised parameters; loading a state_dict materialises; torch's semantics."""
import math

import numpy as np
import pytest

import pydl


@pytest.mark.parametrize("bias", [True, False])
def test_first_forward_materialises_and_becomes_linear(bias):
    layer = pydl.nn.LazyLinear(4, bias=bias)
    assert layer.has_uninitialized_params() and repr(layer.weight) == "<UninitializedParameter>"
    out = layer(pydl.randn(3, 2, 9))
    assert type(layer) is pydl.nn.Linear and layer.in_features == 9 and out.shape == (3, 2, 4)
    assert type(layer.weight) is pydl.nn.Parameter and layer.weight.shape == (4, 9)
    assert (layer.bias is None) == (not bias)
    bound = 1 / math.sqrt(9)  # torch's default init: kaiming_uniform(a=sqrt(5)) and the bias bound
    assert float(layer.weight.abs().max()) <= bound and float(layer.weight.abs().max()) > bound / 4
    assert list(layer.state_dict()) == (["weight", "bias"] if bias else ["weight"])
    assert not layer._forward_pre_hooks


def test_optimizer_built_before_the_first_forward_trains_it():
    layer = pydl.nn.LazyLinear(2)
    opt = pydl.optim.Adam(layer.parameters(), lr=0.1)
    x = pydl.randn(8, 3)
    layer(x).sum().backward()
    before = layer.weight.detach().clone()
    opt.step()
    assert not pydl.allclose(layer.weight, before)


def test_load_state_dict_materialises_like_torch():
    torch = pytest.importorskip("torch")
    ref = torch.nn.Linear(5, 3)
    layer = pydl.nn.LazyLinear(3)
    layer.load_state_dict({k: pydl.from_numpy(v.detach().numpy().copy()) for k, v in ref.state_dict().items()})
    assert layer.weight.shape == (3, 5) and not layer.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal((2, 5)).astype(np.float32)
    np.testing.assert_allclose(layer(pydl.from_numpy(x)).detach().numpy(), ref(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    assert type(layer) is pydl.nn.Linear  # the first forward still turns it into a Linear


def test_torch_has_the_same_names_and_behaviour():
    torch = pytest.importorskip("torch")
    ref = torch.nn.LazyLinear(4)
    ref(torch.zeros(2, 6))
    mine = pydl.nn.LazyLinear(4)
    mine(pydl.zeros(2, 6))
    assert type(ref).__name__ == type(mine).__name__ == "Linear"
    assert {k: tuple(v.shape) for k, v in ref.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in mine.state_dict().items()}


def test_copies_of_a_lazy_module_stay_lazy():
    import copy
    import pickle
    layer = pydl.nn.LazyLinear(3)
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert clone.has_uninitialized_params() and repr(clone.weight) == "<UninitializedParameter>"
        assert clone(pydl.ones(1, 2)).shape == (1, 3) and type(clone) is pydl.nn.Linear
    assert layer.has_uninitialized_params()  # the original is untouched
