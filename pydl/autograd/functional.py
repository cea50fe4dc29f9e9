"""``pydl.autograd.functional``: vjp, jvp, jacobian and hessian, all built on reverse mode
(:func:`pydl.autograd.grad`), as in PyTorch's defaults (``jvp`` uses the double-vjp trick)."""
from .. import _C
from . import grad as _grad

__all__ = ["vjp", "jvp", "jacobian", "hessian"]


def _tuple(x):
    return ((x,), False) if isinstance(x, _C.Tensor) else (tuple(x), True)


def _prepare(inputs, create_graph):
    # Fresh leaves that share the inputs' memory, so the caller's tensors are not differentiated.
    return tuple(x.detach().requires_grad_(True) if not (create_graph and x.requires_grad) else x for x in inputs)


def _vectors(v, like, what):
    """v as a tuple, or ones when v is None (only for a single one-element tensor, like PyTorch)."""
    if v is not None:
        return _tuple(v)[0]
    if any(t.numel() != 1 for t in like):
        raise RuntimeError(f"The vector v can only be None if the {what} a single Tensor with a single element.")
    return tuple(_C.ones_like(t) for t in like)


def _grads(outputs, inputs, grad_outputs, create_graph):
    gs = _grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph, allow_unused=True)
    return tuple(_C.zeros_like(x) if g is None else g for g, x in zip(gs, inputs))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at ``inputs``."""
    inputs, is_tuple = _tuple(inputs)
    xs = _prepare(inputs, create_graph)
    out = func(*xs)
    outs, out_tuple = _tuple(out)
    vs = _vectors(v, outs, "user-provided function returns")
    g = _grads(outs, xs, list(vs), create_graph)
    out = tuple(o if create_graph else o.detach() for o in outs)
    return (out if out_tuple else out[0]), (g if is_tuple else g[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, as the vjp of a vjp."""
    inputs, is_tuple = _tuple(inputs)
    xs = _prepare(inputs, True)
    outs, out_tuple = _tuple(func(*xs))
    vs = _vectors(v, xs, "input to the user-provided function is")
    # u is a dummy cotangent: d/du (u^T J v) = J v, and u^T J is linear in u.
    us = tuple(_C.zeros_like(o).requires_grad_(True) for o in outs)
    gx = _grads(outs, xs, list(us), True)
    jv = _grad(gx, us, list(vs), retain_graph=True, create_graph=create_graph, allow_unused=True)
    jv = tuple(_C.zeros_like(o) if g is None else g for g, o in zip(jv, outs))
    out = tuple(o if create_graph else o.detach() for o in outs)
    return (out if out_tuple else out[0]), (jv if out_tuple else jv[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """d func / d inputs, one row of backward per output element. For one input and one output the
    result has shape ``output.shape + input.shape``; otherwise tuples of those, like PyTorch."""
    if strategy != "reverse-mode":
        raise NotImplementedError("pydl's jacobian supports strategy='reverse-mode' only")
    inputs, is_tuple = _tuple(inputs)
    xs = _prepare(inputs, create_graph)
    outs, out_tuple = _tuple(func(*xs))
    result = []
    for o in outs:
        flat = o.reshape(-1)
        rows = []
        for i in range(flat.numel()):
            seed = _C.zeros_like(flat)
            seed[i] = 1.0
            rows.append(_grads([flat], xs, [seed], create_graph))
        per_input = []
        for k, x in enumerate(xs):
            if rows:
                j = _C.stack([r[k] for r in rows], 0)
            else:
                j = _C.zeros((0,) + tuple(x.shape), dtype=x.dtype)
            per_input.append(j.reshape(tuple(o.shape) + tuple(x.shape)))
        result.append(tuple(per_input) if is_tuple else per_input[0])
    return tuple(result) if out_tuple else result[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The second derivative of a scalar function: the jacobian of its gradient."""
    inputs, is_tuple = _tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, _C.Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        return _grads([out.reshape(())], xs, None, True)

    h = jacobian(gradient, inputs if is_tuple else inputs[0], create_graph=create_graph)
    return h if is_tuple else h[0]
