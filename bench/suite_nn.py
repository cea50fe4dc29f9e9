"""The nn suite: the normalisation, softmax and loss functions of pydl.nn.functional, forward
plus backward, and the per-call overhead of a tiny Linear, pydl against PyTorch.

A fwd+bwd call takes fresh leaves (requires_grad) for the input and the affine parameters,
runs the function, calls ``backward(grad)`` with a fixed upstream gradient and returns the
input's gradient, which the harness checks against torch's. Shapes are those models meet:
a Transformer's activations (2048 tokens x 128, GPT-2 small's 1024 x 768), a classifier's
logits (ImageNet's 1000 classes, a character model's 60), ResNet-mini's and a ResNet stage's
BatchNorm2d inputs.
"""
from __future__ import annotations

import numpy as np
import torch

import pydl

from harness import Case

F32 = "float32"


def fwd_bwd(lib, fn, n_params=0):
    """A case function for `fn(lib, x, *params)`: inputs are x, the params, then the upstream gradient."""
    def run(x, *rest):
        params, grad = rest[:n_params], rest[n_params]
        x = x.detach().requires_grad_()
        leaves = [p.detach().requires_grad_() for p in params]
        fn(lib, x, *leaves).backward(grad)
        return x.grad
    return run


def normal_inputs(*shapes, grad_shape=None):
    """Standard-normal arrays of `shapes`, then an upstream gradient of `grad_shape` (default: the first)."""
    def make(rng):
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        return arrays + [rng.standard_normal(grad_shape or shapes[0]).astype(np.float32)]
    return make


def class_inputs(n, classes):
    """Logits (n, classes), class indices, and the upstream gradient of a scalar loss."""
    def make(rng):
        return [rng.standard_normal((n, classes)).astype(np.float32), rng.integers(0, classes, n).astype(np.int64),
                np.array(1.0, dtype=np.float32)]
    return make


def layer_norm(lib, x, w, b):
    return lib.nn.functional.layer_norm(x, x.shape[-1:], w, b)


def batch_norm(lib, x, w, b):
    channels = x.shape[1]
    mean, var = lib.zeros(channels), lib.ones(channels)
    return lib.nn.functional.batch_norm(x, mean, var, w, b, training=True)


def cross_entropy_case(n, classes):
    def fn(lib, x, target):
        return lib.nn.functional.cross_entropy(x, target)

    def run(lib):
        def call(x, target, grad):
            x = x.detach().requires_grad_()
            fn(lib, x, target).backward(grad)
            return x.grad
        return call
    return Case("cross_entropy fwd+bwd", (n, classes), F32, run(pydl), run(torch), inputs=class_inputs(n, classes),
                bytes=None, tol=(1e-4, 1e-7))


def tiny_linear(lib):
    built = {}

    def run(x):
        if "layer" not in built:
            torch.manual_seed(0)
            reference = torch.nn.Linear(16, 16)
            layer = reference if lib is torch else lib.nn.Linear(16, 16)
            if lib is not torch:
                layer.load_state_dict({k: lib.from_numpy(v.detach().numpy().copy())
                                       for k, v in reference.state_dict().items()})
            built["layer"] = layer
        with lib.no_grad():
            return built["layer"](x)
    return run


def cases(quick: bool = False) -> list:
    rows = []
    for n, c in ([(2048, 128)] if quick else [(2048, 128), (1024, 768), (4096, 1024)]):
        rows.append(Case("layer_norm fwd+bwd", (n, c), F32, fwd_bwd(pydl, layer_norm, 2), fwd_bwd(torch, layer_norm, 2),
                         inputs=normal_inputs((n, c), (c,), (c,)), bytes=None, tol=(1e-4, 1e-4)))
    for n, c in ([(2048, 60)] if quick else [(2048, 60), (256, 1000), (4096, 1000)]):
        rows.append(cross_entropy_case(n, c))
    sm = (1024, 1024) if quick else (4096, 1024)
    for name in ("softmax", "log_softmax"):
        def fn(lib, x, name=name):
            return getattr(lib.nn.functional, name)(x, dim=-1)
        rows.append(Case(f"{name}(dim=-1) fwd+bwd", sm, F32, fwd_bwd(pydl, fn), fwd_bwd(torch, fn),
                         inputs=normal_inputs(sm), bytes=None, tol=(1e-4, 1e-5)))
    for shape in ([(64, 32, 14, 14)] if quick else [(64, 32, 14, 14), (64, 16, 28, 28), (32, 64, 56, 56)]):
        c = shape[1]
        rows.append(Case("batch_norm (train) fwd+bwd", shape, F32, fwd_bwd(pydl, batch_norm, 2),
                         fwd_bwd(torch, batch_norm, 2), inputs=normal_inputs(shape, (c,), (c,)), bytes=None,
                         tol=(1e-3, 1e-4)))
    rows.append(Case("Linear(16, 16) forward, no_grad", (1, 16), F32, tiny_linear(pydl), tiny_linear(torch),
                     bytes=None, tol=(1e-5, 1e-6)))
    return rows
