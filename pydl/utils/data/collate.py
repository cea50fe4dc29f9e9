"""Collation: turning a list of samples into a batch, with PyTorch's ``default_collate`` rules.

* pydl tensors are stacked along a new dimension 0;
* NumPy arrays (not of string/object dtype) become tensors, then are stacked; NumPy scalars
  become a 1-D tensor of their dtype;
* Python floats give a float64 tensor, ints an int64 tensor, bools a bool tensor;
* str and bytes are left as the list (tuple) of samples;
* mappings, namedtuples and sequences are collated element-wise, recursively (tuples become
  lists, as in PyTorch).

``collate`` plus a ``collate_fn_map`` (type -> function) is the extensible form, like
``torch.utils.data._utils.collate.collate``; ``default_convert`` is what the DataLoader applies
when automatic batching is off (``batch_size=None``).
"""
import collections.abc
import copy
import re

import numpy as np

import pydl

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "collate_tensor_fn"]

# NumPy dtype kinds that cannot become tensors: byte strings (S, a), unicode (U), objects (O).
_np_str_obj_array_pattern = re.compile(r"[SaUO]")

_default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stacks a batch of pydl tensors along a new leading dimension."""
    return pydl.stack(list(batch), 0)


def _collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(_default_collate_err_msg_format.format(elem.dtype))
    # as_tensor shares the arrays' memory; the stack below makes the one copy.
    return collate([pydl.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    # NumPy scalars keep their dtype (float32 stays float32), unlike Python floats.
    return pydl.as_tensor(list(batch))


def _collate_float_fn(batch, *, collate_fn_map=None):
    # Python floats are doubles; PyTorch keeps that precision instead of the default dtype.
    return pydl.tensor(list(batch), dtype=pydl.float64)


def _collate_int_fn(batch, *, collate_fn_map=None):
    # Also reached by bools (bool subclasses int): a list of bools infers a bool tensor.
    return pydl.tensor(list(batch))


def _collate_str_fn(batch, *, collate_fn_map=None):
    return batch


# Exact types are looked up first, then isinstance() in this order, so the NumPy scalar entry
# (which also matches np.float64, a float subclass) must come before float.
default_collate_fn_map = {
    pydl.Tensor: collate_tensor_fn,
    np.ndarray: _collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): _collate_numpy_scalar_fn,
    float: _collate_float_fn,
    int: _collate_int_fn,
    str: _collate_str_fn,
    bytes: _collate_str_fn,
}


def _collate_mapping(batch, elem, collate_fn_map):
    values = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            # Copying the first sample keeps its type and any extra state (e.g. OrderedDict,
            # defaultdict's factory); the values are then replaced.
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        # A mapping type that can't be built from a dict: fall back to a plain dict.
        return values


def _collate_sequence(batch, elem, collate_fn_map):
    it = iter(batch)
    elem_size = len(next(it))
    if not all(len(e) == elem_size for e in it):
        raise RuntimeError("each element in list of batch should be of equal size")
    transposed = list(zip(*batch))
    if isinstance(elem, tuple):
        # Tuples collate to lists (PyTorch keeps this for backward compatibility).
        return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, samples in enumerate(transposed):
                clone[i] = collate(samples, collate_fn_map=collate_fn_map)
            return clone
        return type(elem)([collate(samples, collate_fn_map=collate_fn_map) for samples in transposed])
    except TypeError:
        return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]


def collate(batch, *, collate_fn_map=None):
    """Collates ``batch`` (a sequence of samples of one structure) by the element type.

    ``collate_fn_map`` maps a type (or tuple of types) to ``fn(batch, *, collate_fn_map)``; the
    first sample's exact type is looked up first, then each key with ``isinstance``. Containers
    not in the map (mappings, namedtuples, sequences) are collated field by field, recursing with
    the same map. Anything else raises ``TypeError`` naming the type.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _collate_mapping(batch, elem, collate_fn_map)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple: keep the type
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        return _collate_sequence(batch, elem, collate_fn_map)
    raise TypeError(_default_collate_err_msg_format.format(elem_type))


def default_collate(batch):
    """Collates a list of samples into a batch with PyTorch's default rules (see the module doc).

    Examples: ``default_collate([0, 1, 2]) -> tensor([0, 1, 2])``;
    ``default_collate([(1, 'a'), (2, 'b')]) -> [tensor([1, 2]), ('a', 'b')]``;
    ``default_collate([{'x': t0}, {'x': t1}]) -> {'x': stack([t0, t1])}``.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Converts one sample's NumPy arrays/scalars to pydl tensors, recursing into containers.

    Used when automatic batching is off: nothing is stacked, and values other than NumPy data
    (Python numbers, strings, tensors) pass through unchanged. String/object arrays are returned
    as they are.
    """
    elem_type = type(data)
    if isinstance(data, pydl.Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_", "bytes_"):
        if elem_type.__name__ == "ndarray" and _np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return pydl.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        values = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(values)
                return clone
            return elem_type(values)
        except TypeError:
            return values
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # PyTorch's backward-compatible tuple -> list
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
