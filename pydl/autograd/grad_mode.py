"""Grad-mode switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode``.

Each is a context manager and a decorator, as in PyTorch. The flag is thread-local and lives in
C++ (``pydl._C.is_grad_enabled``): ops check it when deciding whether to record a backward node.
"""
import functools
import inspect

from .. import _C

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]

is_grad_enabled = _C.is_grad_enabled


class _GradModeContext:
    """Sets grad mode to ``self._mode`` inside the block (or decorated function)."""

    _mode = True

    def __enter__(self):
        self._previous = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._previous)
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def generator(*args, **kwargs):
                gen = fn(*args, **kwargs)
                value = None
                while True:  # each resume runs under the mode, like PyTorch
                    with self.clone():
                        try:
                            item = gen.send(value)
                        except StopIteration as stop:
                            return stop.value
                    value = yield item
            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Ops inside do not record autograd history (inference, parameter updates)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Turns recording back on inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(mode)``: recording on or off; takes effect at once, so it also works as
    a plain function call (``pydl.set_grad_enabled(False)``)."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._previous = _C.is_grad_enabled()
        self._mode = mode
        _C._set_grad_enabled(mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        _C._set_grad_enabled(self._previous)  # as a decorator, the mode applies only inside fn
        return super().__call__(fn)

    def clone(self):
        return self.__class__(self._mode)


class inference_mode(_GradModeContext):
    """``inference_mode(mode=True)``: ``no_grad`` that also marks every tensor made inside as an
    inference tensor (``t.is_inference()``), as in PyTorch. Autograd refuses to save inference
    tensors for backward, and they cannot be modified in place outside the mode; clone one to
    get a normal tensor. ``mode=False`` turns it off again inside an enclosing block."""

    def __init__(self, mode=True):
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._inference = mode
        self._mode = not mode

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # used as a bare decorator: @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __enter__(self):
        self._previous_inference = _C.is_inference_mode_enabled()
        _C._set_inference_mode(self._inference)
        return super().__enter__()

    def __exit__(self, *exc):
        _C._set_inference_mode(self._previous_inference)
        return super().__exit__(*exc)

    def clone(self):
        return self.__class__(self._inference)


is_inference_mode_enabled = _C.is_inference_mode_enabled
