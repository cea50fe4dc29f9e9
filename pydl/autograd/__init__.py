"""Automatic differentiation, as ``torch.autograd``.

Ops record a graph of backward nodes (``Tensor.grad_fn``) in C++ while grad mode is on and an
input requires grad; :func:`backward` and :func:`grad` replay it in reverse, in C++, without the
GIL. See ``csrc/autograd/`` for the engine and each op's file for its backward formula.
"""
from .. import _C
from .function import Function, FunctionCtx
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)

__all__ = ["Function", "FunctionCtx", "backward", "grad", "gradcheck", "gradgradcheck", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled"]


def _tensors(x):
    return (x,) if isinstance(x, _C.Tensor) else tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates the gradients of ``tensors`` w.r.t. the graph's leaves into their ``.grad``.

    ``grad_tensors`` holds one gradient per tensor (None: ones, for scalars only). With ``inputs``,
    only those tensors' ``.grad`` is accumulated. ``retain_graph`` (default: ``create_graph``)
    keeps the saved tensors for another backward; ``create_graph`` records the backward itself,
    for higher-order gradients.
    """
    if inputs is not None:
        inputs = _tensors(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    _C._run_backward(_tensors(tensors), grad_tensors, retain_graph, create_graph, inputs,
                     allow_unused=True, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned as a tuple (``.grad`` is untouched).

    ``allow_unused``: an input the outputs do not depend on gives None (or zeros with
    ``materialize_grads``) instead of an error. Other arguments as in :func:`backward`.
    """
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported by pydl")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    allow_unused = bool(allow_unused) or materialize_grads
    inputs = _tensors(inputs)
    result = _C._run_backward(_tensors(outputs), grad_outputs, retain_graph, create_graph, inputs,
                              allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        result = tuple(_C.zeros_like(x) if g is None else g for g, x in zip(result, inputs))
    return result


from .gradcheck import gradcheck, gradgradcheck  # noqa: E402  (uses grad above)
from . import functional  # noqa: E402,F401
