"""``Lion`` (EvoLved Sign Momentum, Chen et al. 2023, "Symbolic Discovery of Optimization
Algorithms"); torch.optim has no Lion, so its options and state ('exp_avg') follow the
reference implementation (lion-pytorch)."""
from .. import _C
from .optimizer import Optimizer, _to_float

__all__ = ["Lion"]


class Lion(Optimizer):
    """Implements Lion.

    Per step: ``p *= 1 - lr * weight_decay`` (decoupled), ``p -= lr * sign(beta1 m + (1 - beta1) g)``,
    then ``m = beta2 m + (1 - beta2) g``. Typical settings: an lr 3-10x smaller than AdamW's and
    a weight decay 3-10x larger.
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False, foreach=None):
        if isinstance(lr, _C.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach}
        super().__init__(params, defaults)

    @staticmethod
    def _init_state(param, state, group):
        state["exp_avg"] = _C.zeros_like(param)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, states = self._params_with_grad(group, self._init_state)
            if not params:
                continue
            beta1, beta2 = group["betas"]
            _C._optim.lion_step(params, None, [s["exp_avg"] for s in states], lr=_to_float(group["lr"]),
                                beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
                                maximize=group["maximize"])
        return loss
