"""``RMSprop``, with torch.optim.RMSprop's update rule (centered, momentum, weight decay, maximize)
and state ('step', 'square_avg', 'momentum_buffer', 'grad_avg')."""
from .. import _C
from .optimizer import Optimizer, _to_float, new_step_counter

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Implements RMSprop (torch.optim.RMSprop).

    ``v = alpha v + (1 - alpha) g^2``; centered also tracks ``ga = alpha ga + (1 - alpha) g`` and
    uses ``v - ga^2``; then ``d = sqrt(v) + eps`` and ``p -= lr * g / d``, or with momentum
    ``b = momentum * b + g / d`` and ``p -= lr * b``.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, _C.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    _late_options = {"momentum": 0, "centered": False, "foreach": None,
                     "maximize": False, "differentiable": False, "capturable": False}

    @staticmethod
    def _init_state(param, state, group):
        state["step"] = new_step_counter()
        state["square_avg"] = _C.zeros_like(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _C.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = _C.zeros_like(param)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, states = self._params_with_grad(group, self._init_state)
            if not params:
                continue
            momentum, centered = group["momentum"], group["centered"]
            _C._optim.rmsprop_step(
                params, None, [s["square_avg"] for s in states],
                [s["momentum_buffer"] for s in states] if momentum > 0 else [],
                [s["grad_avg"] for s in states] if centered else [], [s["step"] for s in states],
                lr=_to_float(group["lr"]), alpha=group["alpha"], eps=group["eps"],
                weight_decay=group["weight_decay"], momentum=momentum, centered=centered,
                maximize=group["maximize"])
        return loss
