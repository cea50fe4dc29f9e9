"""The bookkeeping weight_norm and spectral_norm share: one forward pre-hook object per
reparametrised parameter, found in module._forward_pre_hooks by its class and name."""


def check_not_registered(module, hook_type, name, what):
    """RuntimeError, torch's message, when `name` already has a `hook_type` hook on `module`."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, hook_type) and hook.name == name:
            raise RuntimeError(f"Cannot register two {what} hooks on the same parameter {name}")


def remove_hook(module, hook_type, name, what):
    """Runs the `hook_type` hook of `name`'s remove(module) and unregisters it; ValueError as
    torch when there is none. Returns the module."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, hook_type) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
