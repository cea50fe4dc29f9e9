"""``pydl.autograd.Function``: custom ops with a Python forward and backward, as in PyTorch::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)

``forward`` runs without recording; ``apply`` then records one node for the whole call in the
C++ graph (``_C._record_function``), so the op mixes freely with built-in ones, and its backward
(written with pydl ops) is itself recorded under ``create_graph=True``.
"""
from .. import _C
from .grad_mode import no_grad

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` argument of ``forward`` and ``backward``."""

    def __init__(self):
        self._to_save = ()
        self._dirty = ()
        self._non_differentiable = ()
        self._materialize = True
        self._saved = None
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        """Keeps tensors (inputs or outputs) for backward, where ``ctx.saved_tensors`` returns them;
        modifying one in place before backward is an error there."""
        for t in tensors:
            if t is not None and not isinstance(t, _C.Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {tensors.index(t)} "
                                f"is of type {type(t).__name__}")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError("saved_tensors is only available in backward (tensors are saved with "
                               "ctx.save_for_backward in forward)")
        return self._saved

    def mark_dirty(self, *tensors):
        """Declares inputs that forward modified in place (and returns)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        """Declares outputs that get no gradient (indices, masks)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """False: backward receives None, not zeros, for outputs whose gradient never arrived."""
        self._materialize = bool(value)


def _contains(tensors, t):
    return any(t is x for x in tensors)


class Function:
    """Base class of custom autograd ops: subclass it with static ``forward(ctx, *args)`` and
    ``backward(ctx, *grad_outputs)`` (one gradient, or None, per forward argument), then call
    ``YourFunction.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        positions = [i for i, a in enumerate(args) if isinstance(a, _C.Tensor)]
        inputs = [args[i] for i in positions]
        if not (_C.is_grad_enabled() and any(t.requires_grad for t in inputs)):
            return result
        # An input returned unchanged becomes a new tensor sharing its memory, so that giving it
        # this node's history does not rewrite the input's own (PyTorch returns a view).
        outputs = tuple(o.detach() if isinstance(o, _C.Tensor) and _contains(inputs, o)
                        and not _contains(ctx._dirty, o) else o for o in outputs)
        tensor_outputs = [o for o in outputs if isinstance(o, _C.Tensor)]
        name = cls.__name__ + "Backward"
        nargs = len(args)

        to_save = list(ctx._to_save)

        def backward(saved, grads):
            it = iter(saved)  # None entries of save_for_backward come back as None
            ctx._saved = tuple(None if t is None else next(it) for t in to_save)
            try:
                result = cls.backward(ctx, *grads)
            finally:
                ctx._saved = None
            result = result if isinstance(result, tuple) else (result,)
            if len(result) > nargs and all(g is None for g in result[nargs:]):
                result = result[:nargs]
            if len(result) != nargs:
                raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                                   f"(expected {nargs}, got {len(result)})")
            return tuple(result[i] for i in positions)

        _C._record_function(name, inputs, tensor_outputs,
                            [not _contains(ctx._non_differentiable, o) for o in tensor_outputs],
                            list(ctx._dirty), [t for t in to_save if t is not None], backward,
                            ctx._materialize)
        ctx._to_save = ()
        to_save = [None if t is None else True for t in to_save]  # the node holds the tensors now
        return outputs[0] if single else outputs
