"""nn.Module's API: registration, traversal, modes, conversion, state dicts, hooks, repr and the
containers, with PyTorch as the oracle where it is installed (same keys, same errors)."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import pydl
from pydl import nn

torch = pytest.importorskip("torch")


def build(lib):
    """A small nested model with a buffer, a shared submodule and a parameter-free child."""
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(4, 3)
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)
            self.scale = lib.nn.Parameter(lib.ones(3))

        def forward(self, x):
            return self.fc(x) * self.scale

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.act = lib.nn.ReLU()
            self.head = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Tanh())
            self.alias = self.head  # the same module twice: listed once

        def forward(self, x):
            return self.head(self.act(self.block(x)))
    return Net()


def test_traversal_names_and_state_dict_keys_match_torch():
    ours, theirs = build(pydl), build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [tuple(v.shape) for v in theirs.state_dict().values()]
    assert len(list(ours.named_modules(remove_duplicate=False))) == len(list(theirs.named_modules(remove_duplicate=False)))
    assert [n for n, _ in ours.named_parameters(prefix="m", recurse=False)] == []
    assert [n for n, _ in ours.block.named_parameters(prefix="b")] == ["b.scale", "b.fc.weight", "b.fc.bias"]


def test_state_dict_round_trip_with_torch_weights_gives_torch_outputs():
    ours, theirs = build(pydl), build(torch)
    ours.load_state_dict({k: pydl.from_numpy(v.numpy().copy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(pydl.from_numpy(x)).detach().numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    sd = ours.state_dict()
    assert sd["block.fc.weight"].data_ptr() == ours.block.fc.weight.data_ptr()  # shares memory
    assert not sd["block.fc.weight"].requires_grad
    assert ours.state_dict(keep_vars=True)["block.fc.weight"] is ours.block.fc.weight


def test_load_state_dict_reports_missing_unexpected_and_size_mismatch_like_torch():
    for lib in (pydl, torch):
        m = lib.nn.Linear(3, 2)
        good = m.state_dict()
        with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "bias"'):
            m.load_state_dict({"weight": good["weight"]})
        with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra"'):
            m.load_state_dict(dict(good, extra=lib.zeros(1)))
        with pytest.raises(RuntimeError, match="size mismatch for weight"):
            m.load_state_dict({"weight": lib.zeros(2, 4), "bias": good["bias"]})
        result = m.load_state_dict({"weight": good["weight"], "other": lib.zeros(1)}, strict=False)
        assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]


def test_load_state_dict_copies_in_place_or_assigns():
    m = nn.Linear(3, 2)
    w = m.weight
    new = pydl.full((2, 3), 7.0)
    m.load_state_dict({"weight": new, "bias": pydl.zeros(2)})
    assert m.weight is w and m.weight.tolist() == new.tolist() and m.weight.data_ptr() != new.data_ptr()
    m.load_state_dict({"weight": new, "bias": pydl.zeros(2)}, assign=True)
    assert m.weight is not w and isinstance(m.weight, nn.Parameter) and m.weight.data_ptr() == new.data_ptr()


def test_attribute_registration_rules_and_errors_match_torch():
    for lib in (pydl, torch):
        m = lib.nn.Module()
        m.p = lib.nn.Parameter(lib.ones(2))
        m.sub = lib.nn.Linear(2, 2)
        m.register_buffer("buf", lib.zeros(2))
        m.plain = 3
        assert [n for n, _ in m.named_parameters()] == ["p", "sub.weight", "sub.bias"]
        with pytest.raises(TypeError, match="cannot assign"):
            m.p = lib.ones(2)                     # a plain tensor onto a parameter's name
        with pytest.raises(TypeError, match="cannot assign"):
            m.sub = 3
        with pytest.raises(KeyError, match="already exists"):
            m.register_buffer("plain", lib.zeros(1))
        with pytest.raises(KeyError, match="contain"):
            m.register_parameter("a.b", None)
        with pytest.raises(AttributeError, match="has no attribute 'missing'"):
            m.missing
        m.p = None
        assert [n for n, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]
        m.buf = lib.ones(3)                       # re-assigning a buffer keeps it a buffer
        assert [n for n, _ in m.named_buffers()] == ["buf"]
        del m.sub
        assert [n for n, _ in m.named_parameters()] == []

        class Early(lib.nn.Module):
            def __init__(self):
                self.w = lib.nn.Parameter(lib.ones(1))
        with pytest.raises(AttributeError, match="before Module.__init__"):
            Early()
    for lib in (pydl, torch):
        with pytest.raises(TypeError, match="cannot assign"):
            lib.nn.Module().register_parameter("w", lib.ones(2, requires_grad=True) * 2)


def test_parameter_semantics():
    x = pydl.randn(3)
    p = nn.Parameter(x)
    assert isinstance(p, pydl.Tensor) and p.requires_grad and p.is_leaf and p.data_ptr() == x.data_ptr()
    assert not nn.Parameter(x, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert type(p * 2) is pydl.Tensor and type(p.requires_grad_()) is nn.Parameter
    assert nn.Parameter().shape == (0,)
    clone = pickle.loads(pickle.dumps(p))
    assert type(clone) is nn.Parameter and clone.requires_grad and clone.tolist() == p.tolist()
    deep = copy.deepcopy(p)
    assert type(deep) is nn.Parameter and deep.data_ptr() != p.data_ptr()


def test_train_eval_requires_grad_and_zero_grad():
    m = build(pydl)
    assert m.training and all(c.training for c in m.modules())
    m.eval()
    assert not any(c.training for c in m.modules())
    m.train()
    assert m.head[0].training
    with pytest.raises(ValueError, match="boolean"):
        m.train("no")
    m(pydl.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_and_dtype_conversions_keep_parameter_objects():
    m = build(pydl)
    w = m.block.fc.weight
    m(pydl.randn(2, 4)).sum().backward()
    assert m.double() is m
    assert m.block.fc.weight is w and w.dtype == pydl.float64 and w.grad.dtype == pydl.float64
    assert m.block.steps.dtype == pydl.float64
    m.to(pydl.float32)
    assert w.dtype == pydl.float32
    m.to("cpu", pydl.float64)
    assert w.dtype == pydl.float64 and m.head[0].bias.dtype == pydl.float64
    with pytest.raises(TypeError, match="floating point"):
        m.to(pydl.int64)
    counter = nn.Module()
    counter.register_buffer("n", pydl.zeros(1, dtype=pydl.int64))
    counter.double()
    assert counter.n.dtype == pydl.int64  # only floating tensors change dtype


def test_apply_get_submodule_get_parameter():
    m = build(pydl)
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and "Linear" in seen
    assert m.get_submodule("head.0") is m.head[0]
    assert m.get_parameter("block.fc.weight") is m.block.fc.weight
    assert m.get_buffer("block.steps") is m.block.steps
    with pytest.raises(AttributeError):
        m.get_submodule("block.nothing")


def test_repr_matches_torch():
    for make in (lambda L: build(L), lambda L: L.nn.Sequential(L.nn.Conv2d(1, 6, 5), L.nn.ReLU(), L.nn.MaxPool2d(2),
                                                                    L.nn.Flatten(), L.nn.Linear(864, 10)),
                 lambda L: L.nn.ModuleDict({"a": L.nn.Identity(), "b": L.nn.Dropout(0.2)})):
        assert repr(make(pydl)) == repr(make(torch))


def test_forward_hooks_and_pre_hooks():
    m = nn.Linear(3, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
    h3 = m.register_forward_hook(lambda mod, args, kwargs, out: calls.append(kwargs) or None, with_kwargs=True)
    out = m(pydl.randn(4, 3))
    np.testing.assert_allclose(out.detach().numpy(), (m.bias + 1).detach().numpy()[None].repeat(4, 0), rtol=1e-6)
    assert calls == [{}]
    for h in (h1, h2, h3):
        h.remove()
    x = pydl.randn(4, 3)
    np.testing.assert_allclose(m(x).detach().numpy(), (x @ m.weight.t() + m.bias).detach().numpy(), rtol=1e-6)
    with m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 2,), kwargs), with_kwargs=True):
        doubled = m(x)
    np.testing.assert_allclose(doubled.detach().numpy(), (2 * x @ m.weight.t() + m.bias).detach().numpy(), rtol=1e-6)


def test_full_backward_hooks_see_and_replace_gradients_like_torch():
    results = []
    for lib in (pydl, torch):
        m = lib.nn.Linear(3, 2)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]))
        seen = {}

        def hook(mod, grad_input, grad_output):
            seen["gi"], seen["go"] = grad_input[0].detach().numpy().copy(), grad_output[0].detach().numpy().copy()
            return (grad_input[0] * 10,)

        def pre_hook(mod, grad_output):
            return (grad_output[0] * 2,)
        m.register_full_backward_hook(hook)
        m.register_full_backward_pre_hook(pre_hook)
        x = lib.ones(4, 3, requires_grad=True)
        m(x).sum().backward()
        results.append((seen["gi"], seen["go"], x.grad.numpy(), m.weight.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_sequential_and_module_list_behave_like_lists():
    for lib in (pydl, torch):
        layers = [lib.nn.Linear(2, 2), lib.nn.ReLU(), lib.nn.Linear(2, 1)]
        seq = lib.nn.Sequential(*layers)
        assert len(seq) == 3 and seq[-1] is layers[2] and list(seq) == layers
        assert isinstance(seq[1:], lib.nn.Sequential) and len(seq[1:]) == 2
        seq.append(lib.nn.Sigmoid())
        del seq[1]
        assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
        with pytest.raises(IndexError):
            seq[5]
        named = lib.nn.Sequential(OrderedDict(first=lib.nn.Linear(2, 2), second=lib.nn.Tanh()))
        assert [n for n, _ in named.named_children()] == ["first", "second"]
        ml = lib.nn.ModuleList([lib.nn.Linear(1, 1) for _ in range(3)])
        ml.insert(0, lib.nn.Identity())
        ml += [lib.nn.ReLU()]
        assert len(ml) == 5 and type(ml[0]).__name__ == "Identity"
        assert [n for n, _ in ml.named_parameters()] == ["1.weight", "1.bias", "2.weight", "2.bias", "3.weight",
                                                          "3.bias"]
        md = lib.nn.ModuleDict({"a": lib.nn.Linear(1, 1)})
        md["b"] = lib.nn.ReLU()
        assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
        pl = lib.nn.ParameterList([lib.ones(2), lib.nn.Parameter(lib.zeros(1))])
        assert all(isinstance(p, lib.nn.Parameter) for p in pl) and len(list(pl.parameters())) == 2
        pd = lib.nn.ParameterDict({"x": lib.ones(2)})
        assert isinstance(pd["x"], lib.nn.Parameter) and [n for n, _ in pd.named_parameters()] == ["x"]
    x = pydl.randn(3, 2)
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    np.testing.assert_allclose(seq(x).detach().numpy(), seq[1](seq[0](x)).detach().numpy())


def test_module_pickles_and_deep_copies():
    m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU())
    x = pydl.randn(2, 4)
    m.eval()
    clone = pickle.loads(pickle.dumps(m))
    np.testing.assert_allclose(clone(x).detach().numpy(), m(x).detach().numpy())
    shared = build(pydl)
    deep = copy.deepcopy(shared)
    assert deep.block.fc.weight is not shared.block.fc.weight
    assert deep.alias is deep.head  # shared submodules stay shared


def test_missing_forward_raises_not_implemented():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_tensor_constructor_and_data_setter_bad_input_like_torch():
    for lib in (pydl, torch):
        assert tuple(lib.Tensor(2, 3).shape) == (2, 3) and lib.Tensor([1, 2]).dtype == lib.float32
        with pytest.raises(TypeError):
            lib.Tensor(2, "x")
        t = lib.zeros(2)
        with pytest.raises(TypeError):
            t.data = [1.0]
        t.data = lib.ones(3, dtype=lib.float64)  # shape and dtype follow the new data
        assert tuple(t.shape) == (3,) and t.dtype == lib.float64
    with pytest.raises(TypeError, match="data must be a Tensor"):  # torch: an AttributeError from .detach()
        nn.Parameter([1.0, 2.0])


def test_linear_reads_a_weight_that_is_no_longer_a_parameter():
    """Linear.forward reads _parameters directly (the hot path); a weight replaced by a plain
    attribute, as parametrizations do, still takes part."""
    layer = pydl.nn.Linear(3, 2)
    weight = layer.weight.detach().clone()
    del layer.weight
    layer.weight = weight * 2
    x = pydl.ones(1, 3)
    expected = x @ (weight * 2).t() + layer.bias
    assert pydl.allclose(layer(x), expected)
