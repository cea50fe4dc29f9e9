"""pydl.Size: the type of ``Tensor.shape``, a tuple of ints like ``torch.Size``."""
import operator


class Size(tuple):
    """A tuple of dimension sizes: ``pydl.Size([2, 3])``."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        items = []
        for i, s in enumerate(sizes):
            if isinstance(s, float):  # floats have no __index__, but name the culprit like torch.Size
                raise TypeError(f"pydl.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')")
            try:
                items.append(operator.index(s))
            except TypeError:
                raise TypeError(f"pydl.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')") from None
        return super().__new__(cls, items)

    def __repr__(self):
        return f"pydl.Size({list(self)})"

    def numel(self):
        """Number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        result = super().__getitem__(item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        result = tuple.__mul__(self, n)
        return result if result is NotImplemented else Size(result)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
