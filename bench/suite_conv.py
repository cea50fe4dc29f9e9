"""The conv suite: convolution and pooling, pydl against PyTorch, forward and forward+backward.

Shapes are the issue's: LeNet-size convs (1 -> 6 and 6 -> 16, 5x5, on MNIST-size images), a
32-channel 3x3 MNIST CNN, a depthwise 3x3 layer, ResNet-size 3x3, 1x1 and stride-2 layers, the
14x14 and 7x7 stages of the train suite's ResNet-mini, and
2x2 / 3x3 pooling of a (64, 32, 28, 28) batch. Conv rows declare their FLOP count (2 * N * Cout * Cin/groups * kh * kw *
OH * OW for the forward, three times that for forward+backward), so the table shows GFLOP/s and
% of the FMA peak; pooling rows report bandwidth.
"""
from __future__ import annotations

import math

import torch

import pydl

from harness import Case

F = pydl.nn.functional
TF = torch.nn.functional


def conv_inputs(x_shape, w_shape):
    return lambda rng: (rng.standard_normal(x_shape).astype("float32"),
                        (rng.standard_normal(w_shape) / math.sqrt(math.prod(w_shape[1:]))).astype("float32"),
                        rng.standard_normal(w_shape[0]).astype("float32"))


def conv_fwd_bwd(lib_f, stride, padding, groups=1):
    """conv2d forward, sum, backward: returns the weight gradient (input and bias grads too)."""
    def run(x, w, b):
        for t in (x, w, b):
            t.requires_grad_()
            t.grad = None
        lib_f.conv2d(x, w, b, stride, padding, 1, groups).sum().backward()
        return w.grad
    return run


def conv_cases(name, x_shape, w_shape, stride=1, padding=0, groups=1):
    n, cin, h, wd = x_shape
    cout, cg, kh, kw = w_shape
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (wd + 2 * padding - kw) // stride + 1
    flops = 2 * n * cout * cg * kh * kw * oh * ow
    k = cg * kh * kw
    tol = (1e-4, 1e-4 * math.sqrt(k))
    inputs = conv_inputs(x_shape, w_shape)
    return [
        Case(f"conv2d {name}", x_shape, "float32", lambda x, w, b: F.conv2d(x, w, b, stride, padding, 1, groups),
             lambda x, w, b: TF.conv2d(x, w, b, stride, padding, 1, groups), inputs=inputs, flops=flops, tol=tol),
        Case(f"conv2d {name} fwd+bwd", x_shape, "float32", conv_fwd_bwd(F, stride, padding, groups),
             conv_fwd_bwd(TF, stride, padding, groups), inputs=inputs, flops=3 * flops, bytes=None,
             tol=(1e-3, 1e-3 * math.sqrt(n * oh * ow))),
    ]


def pool_fwd_bwd(fn):
    def run(x):
        x.requires_grad_()
        x.grad = None
        fn(x).sum().backward()
        return x.grad
    return run


def cases(quick: bool = False) -> list:
    """The suite's cases; ``quick`` drops the ResNet-size layers (seconds per row otherwise)."""
    n = 64
    rows = [
        *conv_cases("LeNet 1->6 5x5 (64,1,28,28)", (n, 1, 28, 28), (6, 1, 5, 5)),
        *conv_cases("LeNet 6->16 5x5 (64,6,14,14)", (n, 6, 14, 14), (16, 6, 5, 5)),
        *conv_cases("MNIST 1->32 3x3 (64,1,28,28)", (n, 1, 28, 28), (32, 1, 3, 3), padding=1),
        *conv_cases("MNIST 32->32 3x3 (64,32,28,28)", (n, 32, 28, 28), (32, 32, 3, 3), padding=1),
        *conv_cases("depthwise 3x3 (32,128,28,28)", (32, 128, 28, 28), (128, 1, 3, 3), padding=1, groups=128),
    ]
    if not quick:
        rows += [
            # the train suite's ResNet-mini: its 14x14 and 7x7 stages
            *conv_cases("ResNet-mini 32->32 3x3 (64,32,14,14)", (n, 32, 14, 14), (32, 32, 3, 3), padding=1),
            *conv_cases("ResNet-mini 64->64 3x3 (64,64,7,7)", (n, 64, 7, 7), (64, 64, 3, 3), padding=1),
            *conv_cases("ResNet-mini 3x3 s2 32->64 (64,32,14,14)", (n, 32, 14, 14), (64, 32, 3, 3), stride=2,
                        padding=1),
            *conv_cases("ResNet 64->64 3x3 (32,64,56,56)", (32, 64, 56, 56), (64, 64, 3, 3), padding=1),
            *conv_cases("ResNet 128->128 3x3 (32,128,28,28)", (32, 128, 28, 28), (128, 128, 3, 3), padding=1),
            *conv_cases("ResNet 1x1 64->256 (32,64,56,56)", (32, 64, 56, 56), (256, 64, 1, 1)),
            *conv_cases("ResNet 3x3 s2 64->128 (32,64,56,56)", (32, 64, 56, 56), (128, 64, 3, 3), stride=2,
                        padding=1),
        ]
    shape = (n, 32, 28, 28)
    for k in (2, 3):
        rows += [
            Case(f"max_pool2d k{k}", shape, "float32", lambda x, k=k: F.max_pool2d(x, k),
                 lambda x, k=k: TF.max_pool2d(x, k)),
            Case(f"avg_pool2d k{k}", shape, "float32", lambda x, k=k: F.avg_pool2d(x, k),
                 lambda x, k=k: TF.avg_pool2d(x, k)),
            Case(f"max_pool2d k{k} fwd+bwd", shape, "float32", pool_fwd_bwd(lambda x, k=k: F.max_pool2d(x, k)),
                 pool_fwd_bwd(lambda x, k=k: TF.max_pool2d(x, k)), bytes=None),
            Case(f"avg_pool2d k{k} fwd+bwd", shape, "float32", pool_fwd_bwd(lambda x, k=k: F.avg_pool2d(x, k)),
                 pool_fwd_bwd(lambda x, k=k: TF.avg_pool2d(x, k)), bytes=None),
        ]
    return rows
