"""``gradcheck`` and ``gradgradcheck``: analytical gradients against float64 central differences.

The numerical Jacobian perturbs each input element by ``±eps`` through a NumPy view of the
input's memory; the analytical one runs backward once per output element. Both are dense, so
these are for small inputs, as in PyTorch.
"""
import numpy as np

from .. import _C

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical gradients differ."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable(inputs):
    return [x for x in inputs if isinstance(x, _C.Tensor) and x.requires_grad]


def _outputs_as_numpy(func, inputs):
    # Not under no_grad: func may itself take gradients (gradgradcheck's first derivative).
    return [o.detach().numpy().astype(np.float64).copy() for o in _as_tuple(func(*inputs))
            if isinstance(o, _C.Tensor)]


def _numerical_jacobians(func, inputs, eps):
    """J[k][j] = d outputs[j] / d inputs[k], each (numel(input), numel(output))."""
    diff = _differentiable(inputs)
    outs = _outputs_as_numpy(func, inputs)
    jac = [[np.zeros((x.numel(), o.size)) for o in outs] for x in diff]
    for k, x in enumerate(diff):
        memory = x.detach().numpy()  # a view of x's memory: writes reach the tensor
        for i, idx in enumerate(np.ndindex(memory.shape)):
            orig = memory[idx].item()
            memory[idx] = orig + eps
            plus = _outputs_as_numpy(func, inputs)
            memory[idx] = orig - eps
            minus = _outputs_as_numpy(func, inputs)
            memory[idx] = orig
            for j in range(len(outs)):
                jac[k][j][i] = ((plus[j] - minus[j]) / (2 * eps)).reshape(-1)
    return jac


def _analytical_jacobians(func, inputs):
    from . import grad
    diff = _differentiable(inputs)
    outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, _C.Tensor)]
    jac = [[np.zeros((x.numel(), o.numel())) for o in outs] for x in diff]
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for i in range(o.numel()):
            seed = np.zeros(o.numel())
            seed[i] = 1
            g_out = _C.tensor(seed.reshape(tuple(o.shape)), dtype=o.dtype)
            grads = grad([o], diff, [g_out], retain_graph=True, allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    jac[k][j][:, i] = g.detach().numpy().astype(np.float64).reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    """True when ``func``'s gradients w.r.t. the inputs that require grad match central
    differences; otherwise raises :class:`GradcheckError` (or returns False). Use float64 inputs."""
    inputs = _as_tuple(inputs)
    for x in _differentiable(inputs):
        if x.dtype != _C.float64:
            import warnings
            warnings.warn("Input to gradcheck is not float64: numerical gradients will be inaccurate.")
    numerical = _numerical_jacobians(func, inputs, eps)
    analytical = _analytical_jacobians(func, inputs)
    for k, (num_k, ana_k) in enumerate(zip(numerical, analytical)):
        for j, (n, a) in enumerate(zip(num_k, ana_k)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {j} with respect to input {k},\n"
                                     f"numerical:{n}\nanalytical:{a}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  **unused):
    """gradcheck of the first derivative: checks the backward formulas' own gradients."""
    from . import grad
    inputs = _as_tuple(inputs)
    diff = _differentiable(inputs)
    outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, _C.Tensor) and o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [_C.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype, requires_grad=True)
                        for o in outs]
    grad_outputs = list(_as_tuple(grad_outputs))

    def first_derivative(*args):
        xs, gs = args[:len(inputs)], args[len(inputs):]
        ys = [o for o in _as_tuple(func(*xs)) if isinstance(o, _C.Tensor) and o.requires_grad]
        gx = grad(ys, _differentiable(xs), list(gs), create_graph=True, allow_unused=True)
        return tuple(g for g in gx if g is not None)

    del diff
    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
