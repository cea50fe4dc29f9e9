"""``nn.Parameter`` and ``nn.Buffer``: the tensors a Module registers when assigned as attributes."""
from .. import _C

__all__ = ["Parameter", "UninitializedParameter", "Buffer"]


class Parameter(_C.Tensor):
    """A tensor that is a module parameter: assigning one to a Module attribute registers it in
    ``parameters()`` and ``state_dict()``. It shares memory with ``data`` (without its autograd
    history) and requires grad unless ``requires_grad=False``, as in PyTorch."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _C.empty(0)
        elif not isinstance(data, _C.Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, not {type(data).__name__}")
        super().__init__(data)  # an alias of data: same memory, no history
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        if self.grad is not None:
            result.grad = self.grad.clone()
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (a lazy module's, before its first forward).
    ``materialize(shape)`` gives it storage of that shape in place, so an optimizer built
    beforehand keeps the same object, and turns it into a plain Parameter."""

    def __init__(self, requires_grad=True, device=None, dtype=None):
        kwargs = {k: v for k, v in (("device", device), ("dtype", dtype)) if v is not None}
        super().__init__(_C.empty(0, **kwargs), requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        self.data = _C.empty(tuple(shape), device=device or self.device, dtype=dtype or self.dtype)
        self.__class__ = Parameter

    def __repr__(self):
        return "<UninitializedParameter>"

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = UninitializedParameter(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (UninitializedParameter, (self.requires_grad, self.device, self.dtype))


def is_lazy(param):
    """Whether `param` is an UninitializedParameter (still without a shape)."""
    return isinstance(param, UninitializedParameter)


class Buffer(_C.Tensor):
    """``nn.Buffer(data, persistent=True)``: a tensor that, assigned to a Module attribute,
    registers as a buffer (a plain tensor: the attribute then holds ``data``'s alias)."""

    def __init__(self, data=None, *, persistent=True):
        super().__init__(_C.empty(0) if data is None else data)
        self.persistent = persistent
