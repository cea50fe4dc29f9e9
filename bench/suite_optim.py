"""The optim suite: one ``optimizer.step()``, pydl against PyTorch.

Cases are the optimizer issue's: Adam over a 10-layer MLP's parameters (10 x Linear(320, 320):
about 1M floats in 20 tensors, memory-bound) and over 200 tensors of 64 floats (per-tensor
overhead-bound). pydl's step is one compiled call per param group; torch runs its default CPU
path (the single-tensor loop) and, as a separate row, ``foreach=True`` (its multi-tensor path).
Gradients are fixed, so every timed call does the same work; bytes are those Adam must move:
read param, grad, exp_avg, exp_avg_sq, write param, exp_avg, exp_avg_sq.
"""
from __future__ import annotations

import numpy as np
import torch

import pydl

from harness import Case


def mlp_shapes(layers: int = 10, width: int = 320):
    """The weight and bias shapes of `layers` x Linear(width, width)."""
    return [s for _ in range(layers) for s in ((width, width), (width,))]


def param_and_grad_inputs(shapes):
    """Inputs: the parameter arrays, then one gradient array per parameter (float32)."""
    def make(rng):
        params = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
        grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        return params + grads
    return make


def optimizer_step(make_optimizer):
    """A case function: on its first call it copies the inputs into parameters of its own (the
    harness hands both libraries views of the same NumPy arrays), attaches the gradients and
    builds the optimizer; every call then runs one step and returns the first parameter."""
    built = {}

    def run(*arrays):
        key = id(arrays[0])
        if key not in built:
            n = len(arrays) // 2
            params = [a.clone().requires_grad_() for a in arrays[:n]]
            for p, g in zip(params, arrays[n:]):
                p.grad = g.clone()
            built[key] = (make_optimizer(params), params)
        opt, params = built[key]
        opt.step()
        return params[0]
    return run


def adam_cases(label, shapes, dtype="float32"):
    floats = sum(int(np.prod(s)) for s in shapes)
    inputs = param_and_grad_inputs(shapes)
    shape = (len(shapes), floats)
    common = dict(inputs=inputs, bytes=7 * 4 * floats, pattern="add", tol=(1e-5, 1e-6))
    return [
        Case(f"Adam.step {label} (torch default)", shape, dtype,
             optimizer_step(lambda ps: pydl.optim.Adam(ps, lr=1e-3)),
             optimizer_step(lambda ps: torch.optim.Adam(ps, lr=1e-3)), **common),
        Case(f"Adam.step {label} (torch foreach)", shape, dtype,
             optimizer_step(lambda ps: pydl.optim.Adam(ps, lr=1e-3)),
             optimizer_step(lambda ps: torch.optim.Adam(ps, lr=1e-3, foreach=True)), **common),
    ]


def cases(quick: bool = False) -> list:
    """Adam over a ~1M-float MLP and over 200 small tensors (quick: a 3-layer MLP, 50 tensors)."""
    mlp = mlp_shapes(layers=3 if quick else 10)
    small = [(64,)] * (50 if quick else 200)
    return adam_cases(f"MLP {len(mlp) // 2}x(320,320)", mlp) + adam_cases(f"{len(small)} x 64", small)
