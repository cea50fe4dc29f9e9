"""``Adagrad``, with torch.optim.Adagrad's update rule (lr_decay, weight decay, maximize) and state
('step', 'sum'), created for every parameter at construction with ``initial_accumulator_value``."""
from .. import _C
from .optimizer import Optimizer, _to_float, new_step_counter

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Implements Adagrad (torch.optim.Adagrad).

    Per step t: ``clr = lr / (1 + (t - 1) lr_decay)``, ``s += g^2``, ``p -= clr * g / (sqrt(s) + eps)``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, _C.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        # torch creates Adagrad's state eagerly, so even parameters that never get a gradient
        # have it (and state_dict() lists them).
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    _late_options = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    @staticmethod
    def _init_state(param, state, group):
        state["step"] = new_step_counter()
        state["sum"] = _C.full_like(param, group["initial_accumulator_value"])

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            # Lazy creation covers groups added by add_param_group after construction.
            params, states = self._params_with_grad(group, self._init_state)
            if not params:
                continue
            _C._optim.adagrad_step(
                params, None, [s["sum"] for s in states], [s["step"] for s in states],
                lr=_to_float(group["lr"]), weight_decay=group["weight_decay"], lr_decay=group["lr_decay"],
                eps=group["eps"], maximize=group["maximize"])
        return loss
