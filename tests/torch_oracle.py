"""Shared helpers of the tests that take PyTorch as the oracle: exception classes (the bad-input
tests), and modules run with torch's weights copied in (outputs and every gradient)."""
import numpy as np
import pytest

import pydl


def both(fn):
    """Runs fn(lib) on pydl and torch, each expected to raise; returns (pydl error, torch error)."""
    torch = pytest.importorskip("torch")
    errs = []
    for lib in (pydl, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        errs.append(info.value)
    return errs


def check_error(expected, call, fragment):
    """call(lib) raises `expected` in pydl with `fragment` in the message, and in torch too when
    it is installed (without it, the expected classes in the tables still hold)."""
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        with pytest.raises(expected):
            call(torch)
    with pytest.raises(expected) as info:
        call(pydl)
    assert fragment in str(info.value)


def to_pydl(t):
    """A torch tensor's values as a new pydl tensor."""
    return pydl.tensor(t.detach().numpy())


def copy_weights(tm, pm):
    """Loads torch module tm's state_dict into pydl module pm."""
    pm.load_state_dict({k: to_pydl(v) for k, v in tm.state_dict().items()})


def check_outputs_and_grads(tm, pm, outs_t, outs_p, leaves, rng, rtol, atol):
    """outs_t and outs_p (lists of torch / pydl tensors from modules tm and pm) must agree; then
    the same random weighted sum of each is backpropagated (weights drawn from `rng`), and the
    gradients of the (torch, pydl) `leaves` and of every parameter must agree."""
    import torch
    assert len(outs_t) == len(outs_p)
    loss_t, loss_p = 0, 0
    for a, b in zip(outs_t, outs_p):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=rtol, atol=atol)
        w = rng.standard_normal(tuple(a.shape))
        loss_t = loss_t + (a * torch.tensor(w)).sum()
        loss_p = loss_p + (b * pydl.tensor(w)).sum()
    loss_t.backward()
    loss_p.backward()
    for a, b in leaves:
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-8, atol=1e-9)
    for (name, a), (_, b) in zip(tm.named_parameters(), pm.named_parameters()):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-8, atol=1e-9, err_msg=name)
