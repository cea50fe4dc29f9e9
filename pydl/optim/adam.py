"""``Adam`` and ``AdamW`` (Adam with decoupled weight decay), with torch.optim's update rules,
options (amsgrad, maximize, weight decay coupled or decoupled) and state ('step', 'exp_avg',
'exp_avg_sq', 'max_exp_avg_sq')."""
from .. import _C
from .optimizer import Optimizer, _to_float, new_step_counter

__all__ = ["Adam", "AdamW"]


def check_lr_eps_betas(lr, eps, betas, weight_decay):
    """torch's validation of the options the Adam family shares (ValueError with torch's message)."""
    if isinstance(lr, _C.Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """Implements Adam (torch.optim.Adam); ``decoupled_weight_decay=True`` makes it AdamW.

    Per step t: ``m = beta1 m + (1 - beta1) g``, ``v = beta2 v + (1 - beta2) g^2`` (amsgrad: the
    running max of v is used), ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.
    Weight decay adds ``weight_decay * p`` to g, or (decoupled) scales p by ``1 - lr * weight_decay``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_lr_eps_betas(lr, eps, betas, weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], _C.Tensor) and isinstance(betas[1], _C.Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, _C.Tensor) and beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    _late_options = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                     "differentiable": False, "decoupled_weight_decay": False, "fused": None}

    @staticmethod
    def _init_state(param, state, group):
        state["step"] = new_step_counter()
        state["exp_avg"] = _C.zeros_like(param)
        state["exp_avg_sq"] = _C.zeros_like(param)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _C.zeros_like(param)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, states = self._params_with_grad(group, self._init_state)
            if not params:
                continue
            amsgrad = group["amsgrad"]
            beta1, beta2 = group["betas"]
            _C._optim.adam_step(
                params, None, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                [s["max_exp_avg_sq"] for s in states] if amsgrad else [], [s["step"] for s in states],
                lr=_to_float(group["lr"]), beta1=_to_float(beta1), beta2=_to_float(beta2), eps=group["eps"],
                weight_decay=group["weight_decay"], amsgrad=amsgrad, maximize=group["maximize"],
                decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


class AdamW(Adam):
    """Implements AdamW (torch.optim.AdamW): Adam whose weight decay scales the parameters by
    ``1 - lr * weight_decay`` instead of entering the moment estimates."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True  # whatever the loaded dict says, as torch does
