"""The ops suite: single ops, pydl against PyTorch, at the sizes the op-library issue targets.

One ``Case(...)`` per row. pydl ops that do not exist yet show up as "missing" and start being
measured as soon as they land, as long as their names mirror PyTorch's (they are meant to).
"""
from __future__ import annotations

import numpy as np
import torch

import pydl

from harness import Case, resolve

# Spellings pydl may use while the op library grows; the first one found is benchmarked.
pydl_gelu = resolve(pydl, "nn.functional.gelu", "gelu", "_C.gelu")
pydl_softmax = resolve(pydl, "softmax", "nn.functional.softmax", "_C.softmax")
pydl_log_softmax = resolve(pydl, "log_softmax", "nn.functional.log_softmax", "_C.log_softmax")

# Looser tolerances where summation order legitimately differs between libraries.
SUM_TOL = (1e-4, 1e-3)
MEAN_TOL = (1e-4, 1e-6)
SUM_ALL_TOL = (1e-4, 1e-2)
SOFTMAX_TOL = (1e-5, 1e-8)   # outputs are ~1e-3 or less: a small atol keeps the check meaningful


def transposed_and_plain(shape):
    """Inputs (a.T, b): a non-contiguous view and a contiguous array, both of ``shape``."""
    def make(rng):
        a = rng.standard_normal(shape[::-1]).astype(np.float32)
        b = rng.standard_normal(shape).astype(np.float32)
        return a.T, b
    return make


def transposed(shape):
    """Input a.T: a non-contiguous view of ``shape``."""
    return lambda rng: (rng.standard_normal(shape[::-1]).astype(np.float32).T,)


def matrix_and_indices(shape, count):
    """Inputs (a, idx): a float32 matrix and `count` random int64 row indices into it."""
    def make(rng):
        return rng.standard_normal(shape).astype(np.float32), rng.integers(0, shape[0], count)
    return make


def tanh_chain_backward(x, w):
    """20 layers of ``(h * w).tanh()`` and a backward: autograd's per-op recording and replay cost
    at batch 1, with no matrix product in the way."""
    w.requires_grad_()
    w.grad = None
    h = x
    for _ in range(20):
        h = (h * w).tanh()
    h.sum().backward()
    return w.grad


def linear_chain_inputs(width: int, layers: int = 20):
    """x (1, width), then each layer's weight (width, width) and bias (width,), as nn.Linear holds them."""
    def make(rng):
        params = []
        for _ in range(layers):
            params += [(rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32),
                       np.zeros(width, np.float32)]
        return [rng.standard_normal((1, width)).astype(np.float32), *params]
    return make


def linear_chain_backward(lib):
    """20 x ``linear(h, W, b).tanh()`` forward and backward at batch 1: the autograd issue's
    recording-cost benchmark for a small MLP. Returns the first layer's weight gradient."""
    linear = lib.nn.functional.linear

    def run(x, *params):
        for p in params:
            p.requires_grad_()
            p.grad = None
        h = x
        for w, b in zip(params[0::2], params[1::2]):
            h = linear(h, w, b).tanh()
        h.sum().backward()
        return params[0].grad
    return run


def cases(quick: bool = False) -> list:
    """The suite's cases; ``quick`` shrinks the sizes so a run takes seconds."""
    n = 1_000_000 if quick else 16_000_000          # large elementwise: 1.6e7 floats
    sq = (1024, 1024) if quick else (4096, 4096)     # reductions, transposed copies
    sm = (1024, 1024) if quick else (4096, 1024)     # softmax rows
    rows = (100, 10000) if quick else (1000, 10000)   # sort / topk rows
    f32 = "float32"
    # Cases are lambdas, never bare `pydl.exp`: a missing op must fail when its case runs (and
    # show as "missing"), not when the list is built; and equal call overhead on both sides
    # keeps the tiny-op row fair.
    return [
        # Large elementwise.
        Case.same("add", (n,), f32, lambda a, b: a + b, inputs=2),
        Case.same("mul", (n,), f32, lambda a, b: a * b, inputs=2),
        Case.same("mul scalar", (n,), f32, lambda a: a * 2.5),
        Case("exp", (n,), f32, lambda a: pydl.exp(a), lambda a: torch.exp(a)),
        Case("gelu", (n,), f32, lambda a: pydl_gelu(a), lambda a: torch.nn.functional.gelu(a)),
        # Reductions along the last and the first dim.
        Case.same("sum(dim=-1)", sq, f32, lambda a: a.sum(dim=-1), tol=SUM_TOL),
        Case.same("sum(dim=0)", sq, f32, lambda a: a.sum(dim=0), tol=SUM_TOL),
        Case.same("mean(dim=-1)", sq, f32, lambda a: a.mean(dim=-1), tol=MEAN_TOL),
        Case.same("mean(dim=0)", sq, f32, lambda a: a.mean(dim=0), tol=MEAN_TOL),
        Case.same("amax(dim=-1)", sq, f32, lambda a: a.amax(dim=-1)),
        Case.same("amax(dim=0)", sq, f32, lambda a: a.amax(dim=0)),
        Case.same("sum()", sq, f32, lambda a: a.sum(), tol=SUM_ALL_TOL),
        Case.same("max(dim=-1)", sq, f32, lambda a: a.max(dim=-1).values),
        Case.same("max(dim=0)", sq, f32, lambda a: a.max(dim=0).values),
        Case.same("argmax(dim=-1)", sq, f32, lambda a: a.argmax(dim=-1)),
        Case.same("var(dim=-1)", sq, f32, lambda a: a.var(dim=-1), tol=SUM_TOL),
        Case.same("cumsum(dim=-1)", sq, f32, lambda a: a.cumsum(dim=-1), tol=SUM_TOL),
        Case.same("cumsum(dim=0)", sq, f32, lambda a: a.cumsum(dim=0), tol=SUM_TOL),
        # Sorting, selection and indexing.
        Case.same("sort(dim=-1)", rows, f32, lambda a: a.sort(dim=-1).values),
        Case.same("topk(10)", rows, f32, lambda a: a.topk(10).values),
        Case.same("index_select(dim=0)", sq, f32, lambda a, i: a.index_select(0, i),
                  inputs=matrix_and_indices(sq, sq[0])),
        Case.same("a[idx]", sq, f32, lambda a, i: a[i], inputs=matrix_and_indices(sq, sq[0])),
        Case("cat(dim=0)", sq, f32, lambda a, b: pydl.cat([a, b]), lambda a, b: torch.cat([a, b]), inputs=2),
        Case.same("tril", sq, f32, lambda a: a.tril()),
        # Row-wise normalisations.
        Case("softmax(dim=-1)", sm, f32, lambda a: pydl_softmax(a, dim=-1),
             lambda a: torch.softmax(a, dim=-1), tol=SOFTMAX_TOL),
        Case("log_softmax(dim=-1)", sm, f32, lambda a: pydl_log_softmax(a, dim=-1),
             lambda a: torch.log_softmax(a, dim=-1)),
        Case("softmax(dim=0)", sm, f32, lambda a: pydl_softmax(a, dim=0),
             lambda a: torch.softmax(a, dim=0), tol=SOFTMAX_TOL),
        Case("log_softmax(dim=0)", sm, f32, lambda a: pydl_log_softmax(a, dim=0),
             lambda a: torch.log_softmax(a, dim=0)),
        # Per-call overhead: 16 floats, so bandwidth means nothing here.
        Case.same("add (tiny)", (16,), f32, lambda a, b: a + b, inputs=2, bytes=None),
        # Autograd overhead: recording one node, and a 20-op graph forward + backward.
        Case.same("add (tiny, requires_grad)", (16,), f32, lambda a, b: a.requires_grad_() + b, inputs=2,
                  bytes=None),
        Case.same("20 x (h*w).tanh() fwd+bwd", (16,), f32, tanh_chain_backward, inputs=2, bytes=None,
                  tol=(1e-5, 1e-6)),
        *[Case(f"20 x linear+tanh fwd+bwd, width {w}", (1, w), f32, linear_chain_backward(pydl),
               linear_chain_backward(torch), inputs=linear_chain_inputs(w), bytes=None, tol=(1e-4, 1e-5))
          for w in (64, 256)],
        # Strided access and copies (the rows today's pydl can already run).
        Case.same("add (a.T + b)", sq, f32, lambda a, b: a + b, inputs=transposed_and_plain(sq)),
        Case.same("contiguous (a.T)", sq, f32, lambda a: a.contiguous(), inputs=transposed(sq)),
        Case.same("clone", (n,), f32, lambda a: a.clone()),
        Case("to(float16)", (n,), f32, lambda a: a.to(pydl.float16), lambda a: a.to(torch.float16)),
    ]
