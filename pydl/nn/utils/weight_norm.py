"""Weight normalisation (Salimans & Kingma, 2016), torch.nn.utils.weight_norm's hook form.

``weight_norm(module, "weight", dim=0)`` replaces the parameter ``weight`` by a magnitude
``weight_g`` and a direction ``weight_v`` (two new parameters) and recomputes
``weight = weight_g * weight_v / ||weight_v||`` before every forward (a forward pre-hook), the
norm taken over every dim except ``dim`` (over all of them when ``dim`` is None). Gradients
reach g and v through that formula; ``remove_weight_norm`` folds them back into one parameter.
The state_dict keys (``weight_g``, ``weight_v``) and shapes are torch's.
"""
from ..parameter import Parameter
from ._hook_reparam import check_not_registered, remove_hook


def norm_except_dim(v, pow=2, dim=0):
    """The `pow`-norm of v over every dim but `dim`, shaped to broadcast against v (dim=-1: the
    norm of the whole tensor, a scalar), as torch's _weight_norm computes it."""
    if dim == -1:
        return v.norm(pow)
    if dim < 0:
        dim += v.dim()
    reduce = [d for d in range(v.dim()) if d != dim]
    return v.norm(pow, dim=reduce, keepdim=True) if reduce else v.abs()


class WeightNorm:
    """The forward pre-hook of one weight-normalised parameter."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, 2, self.dim))

    @staticmethod
    def apply(module, name, dim):
        check_not_registered(module, WeightNorm, name, "weight_norm")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparameterise ``module.<name>`` as ``g * v / ||v||`` (norm over every dim except `dim`;
    dim=None: over all), with new parameters ``<name>_g`` and ``<name>_v``. Returns the module."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo weight_norm: ``module.<name>`` becomes one parameter again, with the current value."""
    return remove_hook(module, WeightNorm, name, "weight_norm")


__all__ = ["weight_norm", "remove_weight_norm"]
