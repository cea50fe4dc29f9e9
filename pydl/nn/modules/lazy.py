"""LazyModuleMixin: modules whose parameter shapes come from their first input (torch.nn.modules.lazy).

A lazy module starts with UninitializedParameters. Its first forward runs
``initialize_parameters(*inputs)``, which materialises them from the input's shape and
initialises them, then the module becomes ``cls_to_become`` (LazyLinear becomes a Linear).
Loading a state_dict into a module still lazy materialises its parameters to the loaded shapes.
"""
import itertools

from ..parameter import is_lazy


class LazyModuleMixin:
    """Mixed in before the module class: ``class LazyLinear(LazyModuleMixin, Linear)``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self):
        """Whether any parameter or buffer still awaits its shape."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs, assign=False):
        for name, param in self._parameters.items():
            loaded = state_dict.get(prefix + name)
            if loaded is not None and is_lazy(param) and not is_lazy(loaded):
                param.materialize(loaded.shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs, assign)


def _infer_parameters(module, args, kwargs):
    module.initialize_parameters(*args, **(kwargs or {}))
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become
