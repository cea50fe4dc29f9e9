"""Python-side conveniences attached to pydl.Tensor (the compiled class): repr, pickling,
NumPy's __array__ protocol, DLPack, and a few small methods that need no C++."""
import copy
import copyreg

import numpy as np

from . import _C
from ._tensor_str import format_tensor

Tensor = _C.Tensor


def _values_for_print(t):
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.dtype == _C.bfloat16:
        t = t.float()
    return t.numpy()


def _repr(self):
    return format_tensor(
        _values_for_print(self),
        dtype_name=repr(self.dtype).split(".")[-1],
        default_dtype_name=repr(_C.get_default_dtype()).split(".")[-1],
        device=str(self.device),
        requires_grad=self.requires_grad,
        grad_fn_name=None if self.grad_fn is None else self.grad_fn.name(),
    )


def _dtype_from_name(name):
    """Unpickles a dtype as the module's singleton (so `pickle.loads(...) is pydl.float32`)."""
    return getattr(_C, name)


def _rebuild(data, dtype_name, device, requires_grad, size=None, stride=None):
    t = _C.from_numpy(data)
    if dtype_name == "bfloat16":
        t = t.view(_C.bfloat16)
    if size is not None:  # `data` is the storage span the original view covered
        t = t.as_strided(size, stride, 0)
    t = t.to(device=device, copy=False) if device != "cpu" else t
    if requires_grad:
        t.requires_grad_(True)
    return t


def _reduce_ex(self, protocol):
    # Pickle the storage span the tensor covers (as a NumPy array) plus its sizes and strides, so
    # non-contiguous and expanded tensors come back with the same layout, like PyTorch's pickles.
    # bfloat16 travels as its raw bits.
    t = self.detach().cpu()
    dtype_name = repr(self.dtype).split(".")[-1]
    size, stride = tuple(t.shape), tuple(t.stride())
    span = 0 if t.numel() == 0 else 1 + sum((n - 1) * st for n, st in zip(size, stride))
    flat = t.as_strided((span,), (1,), t.storage_offset())
    data = (flat.view(_C.int16) if dtype_name == "bfloat16" else flat).numpy().copy()
    return (_rebuild, (data, dtype_name, str(self.device), self.requires_grad, size, stride))


def _deepcopy(self, memo):
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                           "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                           "because of a torch.nn.utils.weight_norm usage, see "
                           "https://github.com/pytorch/pytorch/pull/103001")
    result = self.detach().clone()
    if self.requires_grad:
        result.requires_grad_(True)
    memo[id(self)] = result
    if self.grad is not None:
        result.grad = copy.deepcopy(self.grad, memo)
    return result


def _array(self, dtype=None, copy=None):
    a = self.numpy()
    if dtype is not None and np.dtype(dtype) != a.dtype:
        return a.astype(dtype)
    return a.copy() if copy else a


def _new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    size = size[0] if len(size) == 1 and not isinstance(size[0], int) else size
    return self.new_full(size, 0, dtype=dtype, device=device, requires_grad=requires_grad)


def _new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    size = size[0] if len(size) == 1 and not isinstance(size[0], int) else size
    return self.new_full(size, 1, dtype=dtype, device=device, requires_grad=requires_grad)


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return _C.tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


Tensor.__repr__ = _repr
Tensor.__str__ = _repr
Tensor.__reduce_ex__ = _reduce_ex
Tensor.__deepcopy__ = _deepcopy
Tensor.__array__ = _array
Tensor.__array_priority__ = 1000  # NumPy defers binary ops to the tensor
Tensor.new_zeros = _new_zeros
Tensor.new_ones = _new_ones
Tensor.new_tensor = _new_tensor
Tensor.__hash__ = object.__hash__
copyreg.pickle(_C.dtype, lambda d: (_dtype_from_name, (repr(d).split(".")[-1],)))


def from_dlpack(ext_tensor):
    """A tensor sharing memory with any object that implements the DLPack protocol (NumPy,
    PyTorch, CuPy, ...), or with a DLPack capsule."""
    return _C._from_dlpack(ext_tensor)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform [0, 1) samples with the shape (and by default dtype/device) of `input`."""
    return _C.rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                   requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples with the shape (and by default dtype/device) of `input`."""
    return _C.randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                    requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, generator=None):
    """Random integers in [low, high) with the shape of `input`."""
    if high is None:
        low, high = 0, low
    return _C.randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device,
                      generator=generator)
