"""Spectral normalisation (Miyato et al., 2018), torch.nn.utils.spectral_norm's hook form.

``spectral_norm(module)`` divides ``module.weight`` by an estimate of its largest singular
value sigma before every forward (a forward pre-hook), which bounds the layer's Lipschitz
constant (GAN discriminators). The weight, seen as a matrix W (``dim`` first, the rest
flattened), keeps two vectors u and v (buffers ``weight_u``, ``weight_v``); in training mode
each forward runs ``n_power_iterations`` of the power method on them, in place and without
gradient, and sigma = u . W v. The parameter becomes ``weight_orig``; gradients flow through
W / sigma with u and v held constant. State_dict keys and shapes are torch's (its loading of
version-0 checkpoints is not reproduced).
"""
import pydl
from .._normalization import normalize
from ..parameter import Parameter
from ._hook_reparam import check_not_registered, remove_hook


class SpectralNorm:
    """The forward pre-hook of one spectrally normalised parameter."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.dim()) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with pydl.no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(pydl.mv(weight_mat.t(), u), dim=0, eps=self.eps))
                    u.copy_(normalize(pydl.mv(weight_mat, v), dim=0, eps=self.eps))
                # copies: the buffers change in place at the next iteration, and the graph must
                # keep the values this forward used
                u, v = u.clone(), v.clone()
        sigma = pydl.dot(u, pydl.mv(weight_mat, v))
        return weight / sigma

    def remove(self, module):
        with pydl.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        check_not_registered(module, SpectralNorm, name, "spectral_norm")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        with pydl.no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = normalize(pydl.empty(h, dtype=weight.dtype, device=weight.device).normal_(0, 1), dim=0, eps=eps)
            v = normalize(pydl.empty(w, dtype=weight.dtype, device=weight.device).normal_(0, 1), dim=0, eps=eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm, estimated by power iteration in training
    mode; dim=None means 1 for ConvTranspose layers (their output channels) and 0 otherwise.
    Returns the module."""
    if dim is None:
        transposed = (pydl.nn.ConvTranspose1d, pydl.nn.ConvTranspose2d, pydl.nn.ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo spectral_norm: ``module.<name>`` becomes one parameter again (W / sigma as it is now)."""
    return remove_hook(module, SpectralNorm, name, "spectral_norm")
