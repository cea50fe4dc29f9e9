"""``SGD``: stochastic gradient descent with optional momentum, dampening, Nesterov momentum,
weight decay and maximize, with torch.optim.SGD's update rule and state ('momentum_buffer')."""
from .. import _C
from .optimizer import Optimizer, _to_float

__all__ = ["SGD"]


class SGD(Optimizer):
    """Implements stochastic gradient descent, optionally with momentum (torch.optim.SGD).

    With momentum ``mu``, dampening ``tau`` and weight decay ``lambda``, each step computes
    ``g = grad + lambda * p``, ``b = mu * b + (1 - tau) * g`` (``b = g`` on the first step),
    ``g = g + mu * b`` (Nesterov) or ``g = b``, and ``p -= lr * g``; ``maximize`` negates grad.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, _C.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    _late_options = {"nesterov": False, "maximize": False, "foreach": None,
                     "differentiable": False, "fused": False}

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            # As in torch, a state entry exists only with momentum, and holds the buffer after
            # the first step.
            params, states = self._params_with_grad(group, _no_initial_state if momentum != 0 else None)
            if not params:
                continue
            buffers = [s.get("momentum_buffer") for s in states] if momentum != 0 else []
            buffers = _C._optim.sgd_step(
                params, None, buffers, lr=_to_float(group["lr"]), momentum=momentum,
                dampening=group["dampening"], weight_decay=_to_float(group["weight_decay"]),
                nesterov=group["nesterov"], maximize=group["maximize"])
            for s, buf in zip(states, buffers):
                s["momentum_buffer"] = buf
        return loss


def _no_initial_state(param, state, group):
    """SGD creates its momentum buffer in the step itself (from the first gradient)."""
