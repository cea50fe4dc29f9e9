"""Hook plumbing of nn.Module: hook registration and full backward hooks (handles live in
pydl.utils.hooks).

A full backward hook needs the gradients w.r.t. a module's inputs and outputs as one event. Each
hooked call wraps the tensors going in and coming out in an identity autograd Function: the one
on the outputs sees grad_output first (and runs the backward pre-hooks), the one on the inputs
then sees grad_input and runs the hooks with both, as PyTorch's BackwardHook does.
"""
from ... import _C
from ...autograd.function import Function
from ...utils.hooks import RemovableHandle


class _Identity(Function):
    """Passes tensors through; in backward hands their gradients to ``callback`` (which may
    replace them)."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.callback(grads))


def _wrap(values, callback):
    """`values` (a tensor or tuple) with its tensors replaced by identity outputs; the number of
    tensors wrapped (0 when none takes part in autograd)."""
    single = isinstance(values, _C.Tensor)
    items = (values,) if single else tuple(values) if isinstance(values, tuple) else None
    if items is None:
        return values, 0
    positions = [i for i, v in enumerate(items) if isinstance(v, _C.Tensor)]
    if not _C.is_grad_enabled() or not any(items[i].requires_grad for i in positions):
        return values, 0
    wrapped = _Identity.apply(callback, *(items[i] for i in positions))
    items = list(items)
    for i, w in zip(positions, wrapped):
        items[i] = w
    return (items[0] if single else tuple(items)), len(positions)


class BackwardHook:
    """The full backward hooks of one module call."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_output = None
        self.n_inputs = 0

    def setup_input_hook(self, args):
        args, self.n_inputs = _wrap(args, self._on_grad_input)
        self.n_args = sum(isinstance(a, _C.Tensor) for a in args)
        return args

    def setup_output_hook(self, result):
        result, _ = _wrap(result, self._on_grad_output)
        return result

    def _on_grad_output(self, grads):
        for hook in self.pre_hooks:
            out = hook(self.module, grads)
            if out is not None:
                grads = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        self.grad_output = grads
        if self.n_inputs == 0:  # no input takes part in autograd: the hooks run now, with Nones
            for hook in self.hooks:
                hook(self.module, (None,) * self.n_args, grads)
        return grads

    def _on_grad_input(self, grads):
        for hook in self.hooks:
            out = hook(self.module, grads, self.grad_output)
            if out is not None:
                out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
                if len(out) != len(grads):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, "
                                       f"but expected {len(grads)}")
                grads = out
        return grads


def _insert(hooks, key, hook, prepend):
    hooks[key] = hook
    if prepend:
        hooks.move_to_end(key, last=False)


class HookRegistration:
    """The ``register_*_hook`` methods of nn.Module (the dicts they fill are made in
    ``Module.__init__``)."""

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` (or ``(module, args, kwargs)``) before forward; may return new args."""
        handle = RemovableHandle(self._forward_pre_hooks, extra=self._forward_pre_hooks_with_kwargs)
        _insert(self._forward_pre_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, args, output)`` (or with kwargs) after forward; may return a new output."""
        handle = RemovableHandle(self._forward_hooks, extra=(self._forward_hooks_with_kwargs,
                                                             self._forward_hooks_always_called))
        _insert(self._forward_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if always_call:
            self._forward_hooks_always_called.add(handle.id)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` once the gradients w.r.t. the module's
        tensor inputs are known; may return replacement grad_input."""
        handle = RemovableHandle(self._backward_hooks)
        _insert(self._backward_hooks, handle.id, hook, prepend)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` when the gradients w.r.t. the outputs arrive; may return
        replacement grad_output."""
        handle = RemovableHandle(self._backward_pre_hooks)
        _insert(self._backward_pre_hooks, handle.id, hook, prepend)
        return handle

    register_backward_hook = register_full_backward_hook

    def register_state_dict_post_hook(self, hook):
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def register_load_state_dict_post_hook(self, hook):
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle
