"""``Adamax`` (Adam with the infinity norm), with torch.optim.Adamax's update rule and state
('step', 'exp_avg', 'exp_inf')."""
from .. import _C
from .adam import check_lr_eps_betas
from .optimizer import Optimizer, _to_float, new_step_counter

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Implements Adamax (torch.optim.Adamax).

    ``m = beta1 m + (1 - beta1) g``, ``u = max(beta2 u, |g| + eps)``, ``p -= lr / (1 - beta1^t) * m / u``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr_eps_betas(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    _late_options = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

    @staticmethod
    def _init_state(param, state, group):
        state["step"] = new_step_counter()
        state["exp_avg"] = _C.zeros_like(param)
        state["exp_inf"] = _C.zeros_like(param)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, states = self._params_with_grad(group, self._init_state)
            if not params:
                continue
            beta1, beta2 = group["betas"]
            _C._optim.adamax_step(
                params, None, [s["exp_avg"] for s in states], [s["exp_inf"] for s in states],
                [s["step"] for s in states], lr=_to_float(group["lr"]), beta1=beta1, beta2=beta2,
                eps=group["eps"], weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss
