"""Hook plumbing of nn.Module: full backward hooks (handles live in pydl.utils.hooks).

A full backward hook needs the gradients w.r.t. a module's inputs and outputs as one event. Each
hooked call wraps the tensors going in and coming out in an identity autograd Function: the one
on the outputs sees grad_output first (and runs the backward pre-hooks), the one on the inputs
then sees grad_input and runs the hooks with both, as PyTorch's BackwardHook does.
"""
from ... import _C
from ...autograd.function import Function


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
