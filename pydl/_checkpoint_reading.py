"""The reading half of pydl's checkpoints, shared by ``pydl.load`` and the torch-format reader.

A safe unpickler that resolves only an allow-list of globals (``weights_only=True``), the
rebuilding of tensors from raw storages, ``map_location`` placement, and a bounds-checked view
of zip records. ``pydl.serialization`` (pydl's own format) and ``pydl._torch_checkpoint``
(files written by ``torch.save``) both parse through these, so the checks live in one place.
"""
import _compat_pickle
import collections
import io
import pickle
import struct
import zipfile
import zlib

import numpy as np

from . import _C

_DTYPE_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64",
                "float16", "bfloat16", "float32", "float64")
_DTYPES = {name: getattr(_C, name) for name in _DTYPE_NAMES}

UNSAFE_HINT = ("Re-running pydl.load with weights_only=False will likely succeed, but it can result "
               "in arbitrary code execution. Do it only if you got the file from a trusted source.")


def _dtype_name(dtype):
    return repr(dtype).split(".")[-1]


def _fail(cls, source, message):
    """An exception of type `cls` naming the file, tagged so that load's catch-all re-raises it
    as is instead of wrapping it as a corrupted header."""
    err = cls(f"{source}: {message}")
    err._pydl_checked = True
    return err



class _Placer:
    """Applies `map_location` to raw storages: CPU uint8 arrays become uint8 tensors on their
    target device, the way torch's restore_location moves storages."""

    def __init__(self, map_location, source):
        if not (map_location is None or callable(map_location)
                or isinstance(map_location, (str, dict, _C.device))):
            raise TypeError(f"map_location must be None, a str, a pydl.device, a dict or a callable, "
                            f"not {type(map_location).__name__}")
        if isinstance(map_location, str):  # an invalid device string fails here, before reading
            map_location = _C.device(map_location)
        self.map_location, self.source = map_location, source

    def _default(self, u8, location):
        if location == "cpu":
            return u8
        if location.startswith("cuda") and not _cuda_available():
            raise _fail(RuntimeError, self.source,
                        f"Attempting to deserialize object on a CUDA device ({location}) but "
                        "pydl.cuda.is_available() is False. If you are running on a CPU-only "
                        "machine, please use pydl.load with map_location='cpu' to map your "
                        "storages to the CPU.")
        try:
            return u8.to(_C.device(location))
        except (RuntimeError, ValueError, TypeError) as e:
            raise _fail(RuntimeError, self.source,
                        f"cannot restore a storage saved on {location!r} ({e}); pass map_location") from e

    def place(self, array, location):
        u8 = _C.from_numpy(array)
        m = self.map_location
        if m is None:
            return self._default(u8, location)
        if isinstance(m, dict):
            return self._default(u8, str(m.get(location, location)))
        if isinstance(m, _C.device):
            return self._default(u8, str(m))
        # A callable, called like torch's with (storage, location); the storage is uint8 on CPU.
        try:
            out = m(u8, location)
        except Exception as e:  # the caller's error, not a corrupted file: let it through as is
            e._pydl_checked = True
            raise
        if out is None:
            return self._default(u8, location)
        if not isinstance(out, _C.Tensor) or out.dtype != _C.uint8 or tuple(out.shape) != (array.size,):
            raise _fail(TypeError, self.source, "map_location callable must return None or the uint8 "
                                                "storage tensor it was given (possibly moved to another device)")
        return out


def _cuda_available():
    from . import cuda
    return cuda.is_available()


class _LoadedStorage:
    """A storage record on its target device: a 1-D uint8 tensor handing out typed views."""
    __slots__ = ("u8", "nbytes", "source", "key", "_typed")

    def __init__(self, u8, source, key):
        self.u8, self.nbytes, self.source, self.key, self._typed = u8, u8.shape[0], source, key, {}

    def typed(self, dtype):
        t = self._typed.get(dtype)
        if t is None:
            k = dtype.itemsize
            if self.nbytes < k:  # no element fits (from_numpy gives empty arrays stride 0: no view)
                t = _C.empty(0, dtype=dtype, device=self.u8.device)
            else:
                t = self.u8[: self.nbytes - self.nbytes % k].view(dtype)
            self._typed[dtype] = t
        return t


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def rebuild_from_storage(storage, dtype, storage_offset, size, stride, requires_grad, is_parameter):
    """The tensor `dtype[size, stride] @ storage_offset` over a _LoadedStorage, after checking
    that the layout fits inside the storage record (a corrupted header raises ValueError)."""
    if not isinstance(storage, _LoadedStorage):  # untagged: unpickle() adds the file name
        raise pickle.UnpicklingError("a tensor's storage argument is not a storage record")
    where = f"tensor over storage record {storage.key!r}"
    size, stride = tuple(size), tuple(stride)
    if not (all(_is_int(n) and n >= 0 for n in size) and all(_is_int(s) and s >= 0 for s in stride)
            and len(size) == len(stride) and _is_int(storage_offset) and storage_offset >= 0):
        raise _fail(ValueError, storage.source, f"{where}: invalid layout size={size} stride={stride} "
                                                f"storage_offset={storage_offset!r}")
    numel = 1
    for n in size:
        numel *= n
    if numel >= 2 ** 62:
        raise _fail(ValueError, storage.source, f"{where}: size {size} is too large")
    available = storage.nbytes // dtype.itemsize
    if numel:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= available:
            raise _fail(ValueError, storage.source,
                        f"{where}: {_dtype_name(dtype)} size={size} stride={stride} storage_offset="
                        f"{storage_offset} needs {(last + 1) * dtype.itemsize} bytes, the record has "
                        f"{storage.nbytes}")
    t = storage.typed(dtype).as_strided(size, stride, min(storage_offset, available))
    if is_parameter:
        from .nn.parameter import Parameter
        return Parameter(t, bool(requires_grad))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _safe_codecs_encode(text, encoding="utf-8"):
    # Protocol-2 pickles store bytes as _codecs.encode(str, "latin1"); nothing else is needed.
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is not allowed")
    return text.encode("latin1")


def _safe_bytearray(data=b""):
    # bytearray(n) would let a tiny file allocate n zero bytes: only copies of bytes are allowed.
    if not isinstance(data, bytes):
        raise pickle.UnpicklingError("bytearray() is only allowed on bytes")
    return bytearray(data)


def builtin_globals():
    """The standard-library objects a weights-only checkpoint may reference, by (module, name)."""
    return {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
        ("builtins", "complex"): complex, ("builtins", "bytearray"): _safe_bytearray,
        ("builtins", "slice"): slice,
        ("_codecs", "encode"): _safe_codecs_encode,
    }


def make_unpickler(file, *, source, allowed, persistent_load, weights_only, pickle_module=None):
    """An Unpickler whose find_class returns only the objects in `allowed` ({(module, name): obj},
    which may substitute pydl's own functions for the names in the file). With weights_only=False
    other globals are imported normally (unsafe)."""
    base = (pickle_module or pickle).Unpickler

    class _RestrictedUnpickler(base):
        def find_class(self, module, name):
            # Protocol <= 2 pickles name Python 2 modules (__builtin__.set): translate them the way
            # pickle's own find_class does before consulting the allow-list.
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
            obj = allowed.get((module, name))
            if obj is not None:
                return obj
            if weights_only:
                raise _fail(pickle.UnpicklingError, source,
                            f"Weights only load failed. Unsupported global: GLOBAL {module}.{name} "
                            f"was not an allowed global by default. {UNSAFE_HINT}")
            if module == "torch" or module.startswith("torch."):
                raise _fail(pickle.UnpicklingError, source,
                            f"cannot load the PyTorch global {module}.{name} without torch: pydl maps "
                            "only tensors, parameters, storages, dtypes, devices and Size")
            return super().find_class(module, name)

        def persistent_load(self, pid):
            return persistent_load(pid)

    return _RestrictedUnpickler(file)


def unpickle(data, source, weights_only, **kwargs):
    """Runs a restricted unpickler over `data` (bytes or a file); with weights_only, any failure
    that is not already one of ours becomes an UnpicklingError naming the file."""
    file = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        return make_unpickler(file, source=source, weights_only=weights_only, **kwargs).load()
    except Exception as e:
        if getattr(e, "_pydl_checked", False) or not weights_only:
            raise
        raise _fail(pickle.UnpicklingError, source,
                    f"corrupted checkpoint header ({type(e).__name__}: {e})") from e


class ZipRecords:
    """Reads the records of a checkpoint zip as uint8 NumPy arrays (copied into fresh aligned
    memory, or mapped copy-on-write from `mmap_path`)."""

    def __init__(self, zf, prefix, source, mmap_path=None):
        self.zf, self.prefix, self.source, self.mmap_path = zf, prefix, source, mmap_path

    def info(self, name):
        try:
            return self.zf.getinfo(self.prefix + name)
        except KeyError:
            raise _fail(RuntimeError, self.source, f"missing record {self.prefix + name!r}") from None

    def read_bytes(self, name):
        try:
            return self.zf.read(self.info(name))
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise _fail(RuntimeError, self.source, f"cannot read record {self.prefix + name!r}: {e}") from e

    def read_array(self, name, expected_nbytes=None):
        info = self.info(name)
        if expected_nbytes is not None and info.file_size != expected_nbytes:
            raise _fail(ValueError, self.source, f"record {info.filename!r} holds {info.file_size} "
                                                 f"bytes, the header expects {expected_nbytes}")
        try:
            if self.mmap_path is not None and info.compress_type == zipfile.ZIP_STORED and info.file_size:
                return np.memmap(self.mmap_path, dtype=np.uint8, mode="c",
                                 offset=self._data_offset(info), shape=(info.file_size,))
            out = np.empty(info.file_size, dtype=np.uint8)
            if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 1:
                # Straight from the archive into the array: ZipExtFile's chunked reads through
                # intermediate bytes objects are several times slower on big storages.
                fp = self.zf.fp
                fp.seek(self._data_offset(info))
                got = fp.readinto(memoryview(out))
                if got == info.file_size and zlib.crc32(out) != info.CRC:
                    raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
            else:
                with self.zf.open(info) as r:
                    got = r.readinto(memoryview(out))
            if got != info.file_size:
                raise EOFError(f"got {got} of {info.file_size} bytes")
            return out
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise _fail(RuntimeError, self.source, f"cannot read record {info.filename!r}: {e}") from e

    def _data_offset(self, info):
        fp = self.zf.fp
        fp.seek(info.header_offset)
        local = fp.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile("bad local file header")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        return info.header_offset + 30 + name_len + extra_len

