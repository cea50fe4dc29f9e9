"""``NAdam`` (Adam with Nesterov momentum), with torch.optim.NAdam's update rule (momentum_decay,
coupled or decoupled weight decay, maximize) and state ('step', 'mu_product', 'exp_avg',
'exp_avg_sq')."""
from .. import _C
from .adam import check_lr_eps_betas
from .optimizer import Optimizer, _to_float, new_step_counter

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Implements NAdam (torch.optim.NAdam).

    With ``mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay))`` and their running product P_t:
    ``p -= lr (1 - mu_t) / (1 - P_t) * g / d + lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / d``, where
    ``d = sqrt(v / (1 - beta2^t)) + eps`` and m, v are Adam's moments.
    """

    _counter_keys = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr_eps_betas(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    _late_options = {"maximize": False, "foreach": None, "capturable": False,
                     "differentiable": False, "decoupled_weight_decay": False}

    @staticmethod
    def _init_state(param, state, group):
        state["step"] = new_step_counter()
        # The running product of the momentum schedule: a float32 0-d tensor as in torch, so it
        # rounds to float32 after every step as torch's does.
        state["mu_product"] = _C.ones((), dtype=_C.float32)
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
            _C._optim.nadam_step(
                params, None, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                [s["mu_product"] for s in states], [s["step"] for s in states], lr=_to_float(group["lr"]),
                beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                momentum_decay=group["momentum_decay"], decoupled_weight_decay=group["decoupled_weight_decay"],
                maximize=group["maximize"])
        return loss
