"""``Adadelta``, with torch.optim.Adadelta's update rule (weight decay, maximize) and state
('step', 'square_avg', 'acc_delta')."""
from .. import _C
from .optimizer import Optimizer, _to_float, new_step_counter

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Implements Adadelta (torch.optim.Adadelta).

    ``v = rho v + (1 - rho) g^2``, ``d = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho u + (1 - rho) d^2``, ``p -= lr * d``.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if isinstance(lr, _C.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    _late_options = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    @staticmethod
    def _init_state(param, state, group):
        state["step"] = new_step_counter()
        state["square_avg"] = _C.zeros_like(param)
        state["acc_delta"] = _C.zeros_like(param)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, states = self._params_with_grad(group, self._init_state)
            if not params:
                continue
            _C._optim.adadelta_step(
                params, None, [s["square_avg"] for s in states], [s["acc_delta"] for s in states],
                [s["step"] for s in states], lr=_to_float(group["lr"]), rho=group["rho"], eps=group["eps"],
                weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss
