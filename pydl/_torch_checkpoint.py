"""Reads files written by ``torch.save`` into pydl tensors, without importing torch.

Two formats (both detected by ``pydl.load``):

* zip (the default since PyTorch 1.6): ``<name>/data.pkl`` is a pickle of the object tree whose
  storages are persistent ids ``("storage", torch.FloatStorage, key, location, numel)`` and whose
  tensors are ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
  hooks)`` calls; ``<name>/data/<key>`` holds each storage's raw bytes, ``<name>/byteorder`` their
  byte order.
* legacy (``_use_new_zipfile_serialization=False``): a stream of pickles (magic number, protocol
  version, sys info, the object tree, the list of storage keys) followed by every storage as an
  8-byte little-endian element count and its raw bytes.

The pickles are read with a restricted unpickler whose find_class maps the few torch globals a
checkpoint needs onto pydl functions (so the torch names rebuild pydl tensors) and, with
weights_only=True, rejects every other global.
"""
import pickle
import struct
import sys

import numpy as np

from . import _C
from ._checkpoint_reading import _DTYPES, _LoadedStorage, _fail, builtin_globals, rebuild_from_storage, unpickle

# torch's typed-storage classes (as they appear in pickles) and the dtype of their elements.
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "UntypedStorage": "uint8",
}
_UNSUPPORTED_STORAGES = ("ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage",
                         "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage")
_TORCH_DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16", "int64": "int64",
    "long": "int64", "int32": "int32", "int": "int32", "int16": "int16", "short": "int16",
    "int8": "int8", "uint8": "uint8", "bool": "bool",
}
MAGIC_NUMBER = 0x1950a86a20f9469cfc6c  # torch.serialization.MAGIC_NUMBER
PROTOCOL_VERSION = 1001


class _StorageType:
    """What ``torch.FloatStorage`` & co. unpickle to: a marker carrying the element dtype."""

    def __init__(self, name, dtype_name):
        self.name, self.dtype = name, (_DTYPES[dtype_name] if dtype_name else None)


class _TypedStorage:
    """A loaded storage record seen with the element type torch pickled it with (torch's
    offsets and strides count elements of that type)."""

    def __init__(self, storage, dtype):
        self.storage, self.dtype = storage, dtype


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    """pydl's stand-in for torch._utils._rebuild_tensor_v2 (hooks and metadata are dropped)."""
    if not isinstance(storage, _TypedStorage):
        raise pickle.UnpicklingError("_rebuild_tensor_v2: the storage argument is not a storage record")
    return rebuild_from_storage(storage.storage, storage.dtype, storage_offset, size, stride,
                                requires_grad, False)


def _rebuild_parameter(data, requires_grad, backward_hooks=None, state=None):
    """pydl's stand-in for torch._utils._rebuild_parameter(_with_state): an nn.Parameter.
    Extra Python attributes (`state`) are not restored."""
    from .nn.parameter import Parameter
    if not isinstance(data, _C.Tensor):
        raise pickle.UnpicklingError("_rebuild_parameter: data is not a tensor")
    return Parameter(data, bool(requires_grad))


def byteswap_if_needed(array, byteorder, itemsize):
    """Converts a typed storage written with another byte order (in place, by element size)."""
    if byteorder != sys.byteorder and itemsize > 1 and array.size:
        array = np.ascontiguousarray(array)
        array[: array.size - array.size % itemsize].view(f"u{itemsize}").byteswap(inplace=True)
    return array


def _device(spec):
    return _C.device(spec)


def _torch_globals():
    from ._size import Size
    allowed = builtin_globals()
    allowed.update({
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch", "device"): _device,
        ("torch", "Size"): Size,
    })
    for name, dtype_name in _STORAGE_DTYPES.items():
        allowed[("torch", name)] = _StorageType(name, dtype_name)
    allowed[("torch.storage", "UntypedStorage")] = allowed[("torch", "UntypedStorage")]
    for name in _UNSUPPORTED_STORAGES:  # unpickles, then fails with a clear message when used
        allowed[("torch", name)] = _StorageType(name, None)
    for name, dtype_name in _TORCH_DTYPES.items():
        allowed[("torch", name)] = _DTYPES[dtype_name]
    return allowed


def _storage_type(storage_type, source):
    if not isinstance(storage_type, _StorageType):
        raise _fail(pickle.UnpicklingError, source, f"invalid storage type {storage_type!r}")
    if storage_type.dtype is None:
        raise _fail(pickle.UnpicklingError, source,
                    f"tensors stored as torch.{storage_type.name} are not supported by pydl")
    return storage_type.dtype


def load_torch_zip(records, placer, weights_only, pickle_module):
    """Loads ``<prefix>/data.pkl`` and its storages from a torch.save zip (see module docs)."""
    source = records.source
    try:
        byteorder = records.read_bytes("byteorder").decode("ascii", "replace").strip()
    except RuntimeError:
        byteorder = "little"  # files from PyTorch < 1.11 have no byteorder record: little-endian
    loaded = {}

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[2], str) and isinstance(pid[3], str)
                and isinstance(pid[4], int) and pid[4] >= 0):
            raise _fail(pickle.UnpicklingError, source, f"invalid storage reference {pid!r}")
        _, storage_type, key, location, numel = pid
        dtype = _storage_type(storage_type, source)
        if key not in loaded:
            array = records.read_array(f"data/{key}", expected_nbytes=numel * dtype.itemsize)
            array = byteswap_if_needed(array, byteorder, dtype.itemsize)
            loaded[key] = _LoadedStorage(placer.place(array, location), source, key)
        return _TypedStorage(loaded[key], dtype)

    return unpickle(records.read_bytes("data.pkl"), source, weights_only, allowed=_torch_globals(),
                    persistent_load=persistent_load, pickle_module=pickle_module)


def load_torch_legacy(file, source, placer, weights_only, pickle_module):
    """Loads the legacy stream format (see module docs). The object tree is unpickled twice: the
    first pass only collects the storages it references (the raw data follows the tree in the
    file), the second rebuilds the tensors over the filled, placed storages."""
    start = file.tell()
    file_size = file.seek(0, 2)
    file.seek(start)
    plain = {k: v for k, v in _torch_globals().items() if k[0] in ("collections", "builtins", "_codecs")}

    def no_storages(pid):
        raise _fail(pickle.UnpicklingError, source, f"unexpected persistent id {pid!r}")

    def read_plain():
        return unpickle(file, source, weights_only, allowed=plain, persistent_load=no_storages,
                        pickle_module=pickle_module)

    if read_plain() != MAGIC_NUMBER:
        raise _fail(RuntimeError, source, "not a pydl or PyTorch checkpoint (a pickle without "
                                          "PyTorch's magic number)")
    if read_plain() != PROTOCOL_VERSION:
        raise _fail(RuntimeError, source, "unsupported PyTorch legacy protocol version")
    sys_info = read_plain()
    if isinstance(sys_info, dict) and sys_info.get("little_endian", True) is False:
        raise _fail(RuntimeError, source, "legacy checkpoints from big-endian machines are not supported")
    tree_start = file.tell()
    buffers, itemsizes, placed = {}, {}, {}  # buffers: key -> uint8 array, filled after pass 1

    def parse(pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"
                and isinstance(pid[2], str) and isinstance(pid[3], str)
                and isinstance(pid[4], int) and pid[4] >= 0):
            raise _fail(pickle.UnpicklingError, source, f"invalid storage reference {pid!r}")
        if pid[5] is not None:
            raise _fail(RuntimeError, source, "legacy storage views (PyTorch < 1.0) are not supported")
        return _storage_type(pid[1], source), pid[2], pid[3], pid[4]

    def collect(pid):
        dtype, key, location, numel = parse(pid)
        if key not in buffers:
            nbytes = numel * dtype.itemsize
            if nbytes > file_size - sum(b.size for b in buffers.values()):  # before allocating it
                raise _fail(ValueError, source, f"storage {key!r} ({nbytes} bytes) is larger than the file")
            buffers[key], itemsizes[key] = np.empty(nbytes, dtype=np.uint8), dtype.itemsize
        return _TypedStorage(_LoadedStorage(_C.from_numpy(buffers[key]), source, key), dtype)

    def restore(pid):
        dtype, key, location, numel = parse(pid)
        if key not in placed:
            placed[key] = _LoadedStorage(placer.place(buffers[key], location), source, key)
        return _TypedStorage(placed[key], dtype)

    allowed = _torch_globals()
    unpickle(file, source, weights_only, allowed=allowed, persistent_load=collect, pickle_module=pickle_module)
    keys = read_plain()
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise _fail(pickle.UnpicklingError, source, "invalid storage key list")
    filled = set()
    for key in keys:
        count = file.read(8)
        if len(count) != 8 or key not in buffers:
            raise _fail(RuntimeError, source, f"truncated or inconsistent storage record {key!r}")
        (numel,) = struct.unpack("<q", count)
        buf = buffers[key]
        nbytes = buf.size
        if numel * itemsizes[key] != nbytes:
            raise _fail(ValueError, source, f"storage record {key!r} holds {numel} elements, the "
                                            f"header expects {nbytes} bytes")
        if file.readinto(memoryview(buf)) != nbytes:
            raise _fail(RuntimeError, source, f"truncated storage record {key!r}")
        filled.add(key)
    missing = set(buffers) - filled
    if missing:
        raise _fail(RuntimeError, source, f"missing storage records {sorted(missing)}")
    file.seek(tree_start)
    return unpickle(file, source, weights_only, allowed=allowed, persistent_load=restore,
                    pickle_module=pickle_module)
