"""``RAdam`` (rectified Adam), with torch.optim.RAdam's update rule (coupled or decoupled weight
decay, maximize) and state ('step', 'exp_avg', 'exp_avg_sq')."""
from .. import _C
from .adam import check_lr_eps_betas
from .optimizer import Optimizer, _to_float, new_step_counter

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Implements RAdam (torch.optim.RAdam).

    While the approximated SMA length ``rho_t`` is at most 5 the step is plain bias-corrected
    momentum, ``p -= lr * m / (1 - beta1^t)``; after that it is multiplied by the adaptive lr
    ``sqrt(1 - beta2^t) / (sqrt(v) + eps)`` and the rectification term r_t.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr_eps_betas(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    _late_options = {"foreach": None, "maximize": False, "differentiable": False,
                     "decoupled_weight_decay": False, "capturable": False}

    @staticmethod
    def _init_state(param, state, group):
        state["step"] = new_step_counter()
        state["exp_avg"] = _C.zeros_like(param)
        state["exp_avg_sq"] = _C.zeros_like(param)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, states = self._params_with_grad(group, self._init_state)
            if not params:
                continue
            beta1, beta2 = group["betas"]
            _C._optim.radam_step(
                params, None, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                [s["step"] for s in states], lr=_to_float(group["lr"]), beta1=beta1, beta2=beta2,
                eps=group["eps"], weight_decay=group["weight_decay"],
                decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"])
        return loss
