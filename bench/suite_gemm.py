"""The gemm suite: matrix products (matmul, mm, bmm, mv, linear), pydl against PyTorch.

Every case declares its FLOP count (2*m*n*k; the bias of ``linear`` is not counted), so the table
shows GFLOP/s and % of the FMA peak. Besides square sizes it has the shapes a small MLP's training
step produces, including the transposed *views* its backward pass multiplies (x.T @ g, g @ W.T),
which a GEMM must take without copying them first to be fast.
"""
from __future__ import annotations

import math

import torch

import pydl

from harness import Case, resolve

pydl_linear = resolve(pydl, "nn.functional.linear", "linear")

SQUARE = "a @ b"                   # the name of the square cases
RATE_CHART = (SQUARE, "float32")   # (name, dtype) of the rows run.py plots as GFLOP/s against n

# Rounding error of a length-k dot product of standard-normal values grows like eps*k, and the
# outputs themselves like sqrt(k); elementwise rtol alone fails on outputs that cancel to ~0.
# So the check allows REL_TOL of the outputs' typical magnitude sqrt(k) as atol: loose enough for
# any summation order, tight enough that one wrongly added or dropped term (~1) fails it.
REL_TOL = {"float32": 1e-4, "float64": 1e-10}


def gemm_tol(k: int, dtype: str = "float32") -> tuple:
    """(rtol, atol) for a product summing over k terms of standard-normal inputs."""
    return REL_TOL[dtype], REL_TOL[dtype] * math.sqrt(k)


def normal(rng, shape, dtype="float32"):
    return rng.standard_normal(shape).astype(dtype)


def product(m: int, k: int, n: int, transpose_a=False, transpose_b=False, dtype="float32"):
    """Inputs (a, b) of shapes (m, k) and (k, n); a transposed one is the .T view of a contiguous
    array, as autograd hands it to the GEMM in a backward pass."""
    def make(rng):
        a = normal(rng, (k, m), dtype).T if transpose_a else normal(rng, (m, k), dtype)
        b = normal(rng, (n, k), dtype).T if transpose_b else normal(rng, (k, n), dtype)
        return a, b
    return make


def matmul_case(name: str, m: int, k: int, n: int, dtype="float32", **transposes) -> Case:
    """``a @ b`` for (m, k) @ (k, n), counted as 2*m*n*k flops."""
    return Case.same(name, (m, k), dtype, lambda a, b: a @ b, inputs=product(m, k, n, dtype=dtype, **transposes),
                     flops=2 * m * n * k, tol=gemm_tol(k, dtype))


def linear_inputs(batch: int, fan_in: int, fan_out: int):
    """x (batch, fan_in), weight (fan_out, fan_in) as nn.Linear stores it, bias (fan_out,)."""
    return lambda rng: (normal(rng, (batch, fan_in)), normal(rng, (fan_out, fan_in)), normal(rng, (fan_out,)))


def matrix_and_vector(m: int, n: int):
    return lambda rng: (normal(rng, (m, n)), normal(rng, (n,)))


def cases(quick: bool = False) -> list:
    """The suite's cases; ``quick`` drops the largest square size."""
    f32 = "float32"
    sizes = [8, 16, 32, 64, 128, 256, 512, 1024] + ([] if quick else [2048])
    batch, hidden, classes, pixels = 64, 256, 10, 784   # an MNIST MLP: 784 -> 256 -> 10
    return [
        # Square sizes: the blocking's behaviour from "all in registers" to "far beyond L3".
        *[matmul_case(SQUARE, n, n, n) for n in sizes],
        # An MLP training step, forward: x @ W1 and h @ W2 (W as (in, out), so no transpose).
        matmul_case("x @ W1, W1 (784,256)", batch, pixels, hidden),
        matmul_case("h @ W2, W2 (256,10)", batch, hidden, classes),
        # Its backward: weight gradients x.T @ g and input gradients g @ W.T, on transposed views.
        matmul_case("x.T @ g1, g1 (64,256)", pixels, batch, hidden, transpose_a=True),
        matmul_case("h.T @ g2, g2 (64,10)", hidden, batch, classes, transpose_a=True),
        matmul_case("g1 @ W1.T, W1 (784,256)", batch, hidden, pixels, transpose_b=True),
        matmul_case("g2 @ W2.T, W2 (256,10)", batch, classes, hidden, transpose_b=True),
        # nn.Linear's form: x @ weight.T + bias, weight stored (out, in).
        Case("linear, W (256,784) + b", (batch, pixels), f32, lambda x, w, b: pydl_linear(x, w, b),
             lambda x, w, b: torch.nn.functional.linear(x, w, b), inputs=linear_inputs(batch, pixels, hidden),
             flops=2 * batch * pixels * hidden, tol=gemm_tol(pixels + 1)),
        # Batched: attention-like (32, 64, 64) @ (32, 64, 64), as bmm and through matmul.
        Case("bmm", (32, 64, 64), f32, lambda a, b: pydl.bmm(a, b), lambda a, b: torch.bmm(a, b), inputs=2,
             flops=2 * 32 * 64 ** 3, tol=gemm_tol(64)),
        Case.same("a @ b (batched)", (32, 64, 64), f32, lambda a, b: a @ b, inputs=2, flops=2 * 32 * 64 ** 3,
                  tol=gemm_tol(64)),
        # Matrix-vector: 2 flops per matrix element read once, so memory-bound: the % of the FMA
        # peak stays low by nature (README: "gemm suite").
        *[Case("mv", (n, n), f32, lambda a, v: pydl.mv(a, v), lambda a, v: torch.mv(a, v),
               inputs=matrix_and_vector(n, n), flops=2 * n * n, tol=gemm_tol(n))
          for n in (64, 1024, 4096)],
        # float64: a kernel of its own, half the FMA lanes.
        matmul_case(SQUARE, 512, 512, 512, dtype="float64"),
    ]
