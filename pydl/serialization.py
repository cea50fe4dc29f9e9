"""``pydl.save`` / ``pydl.load``: checkpoints that never run code from the file by default.

Format (a zip archive, ZIP_STORED, every record under ``pydl_checkpoint/``):

* ``format``      ``b"pydl-checkpoint 1\\n"``: identifies the archive and its version.
* ``byteorder``   ``little`` or ``big``: the byte order of the raw storage records.
* ``header.pkl``  the object tree as a pickle. A tensor is the call
  ``pydl.serialization._rebuild_tensor(storage, dtype_name, storage_offset, size, stride,
  requires_grad, is_parameter)`` whose ``storage`` is the persistent id
  ``("storage", key, location)``; everything else is plain containers and scalars.
* ``storages/<key>`` the raw bytes of one storage, written once however many tensors view it,
  and aligned to 64 bytes inside the file so ``mmap=True`` maps it directly.

``load(weights_only=True)`` (the default) unpickles the header with ``find_class`` restricted to
an allow-list (containers, ``collections.OrderedDict``, pydl's dtypes/devices/Size and the
rebuild function above), so a malicious file raises ``pickle.UnpicklingError`` instead of
running code. ``load`` also reads PyTorch's ``torch.save`` files (zip and legacy formats) without
importing torch, see ``pydl/_torch_checkpoint.py``.
"""
import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile

import numpy as np

from . import _C
from ._checkpoint_reading import (_DTYPES, ZipRecords, _LoadedStorage, _Placer, _fail, _dtype_name,
                                  builtin_globals, rebuild_from_storage, unpickle)

__all__ = ["save", "load"]

_ROOT = "pydl_checkpoint"
_MAGIC = b"pydl-checkpoint 1\n"
_ALIGNMENT = 64
_PAD_EXTRA_ID = 0x7064  # private zip "extra field" id whose only purpose is padding to _ALIGNMENT
def _source_name(f):
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, (str, bytes)) else f"<{type(f).__name__}>"


# ----------------------------------------------------------------------------------------------
# Saving

class _StorageRef:
    """One storage being saved: its record key, device, size, and a tensor to read it through
    (the one whose storage is the largest among those sharing the same data pointer)."""
    __slots__ = ("key", "location", "nbytes", "tensor")

    def __init__(self, key, location, nbytes, tensor):
        self.key, self.location, self.nbytes, self.tensor = key, location, nbytes, tensor

    def raw_bytes(self):
        """The storage's bytes as a CPU uint8 NumPy array (zero-copy for CPU storages)."""
        t, k = self.tensor, self.tensor.element_size()
        if self.nbytes < k:  # no element of this dtype fits: no tensor can read any of the bytes
            return np.zeros(self.nbytes, dtype=np.uint8)
        # One element at offset 0 viewed as its bytes, then stretched over the whole storage:
        # reinterprets the storage byte for byte whatever the tensor's dtype and layout.
        u8 = t.as_strided((1,), (1,), 0).view(_C.uint8).as_strided((self.nbytes,), (1,), 0)
        return (u8 if u8.device.type == "cpu" else u8.cpu()).numpy()


def _storage_ref(tensor, storages):
    t = tensor.detach()
    storage = t.untyped_storage()
    location, nbytes = str(t.device), storage.nbytes()
    # Views of one storage report the same data pointer; an empty storage is never shared.
    ident = (location, storage.data_ptr()) if nbytes else ("empty", id(t))
    ref = storages.get(ident)
    if ref is None:
        ref = storages[ident] = _StorageRef(str(len(storages)), location, nbytes, t)
    elif nbytes > ref.nbytes:  # two storages over one pointer (e.g. from_numpy(a), from_numpy(a[:2]))
        ref.nbytes, ref.tensor = nbytes, t
    return ref


def _make_pickler(pickle_module, file, protocol, storages):
    from .nn.parameter import Parameter

    class _CheckpointPickler(pickle_module.Pickler):
        def reducer_override(self, obj):
            # Intercepts tensors before their own __reduce_ex__ (which inlines the data) so the
            # pickle only records layout metadata and a reference to the storage record.
            if isinstance(obj, _C.Tensor):
                ref = _storage_ref(obj, storages)
                return (_rebuild_tensor, (ref, _dtype_name(obj.dtype), obj.storage_offset(),
                                          tuple(obj.shape), tuple(obj.stride()),
                                          obj.requires_grad, type(obj) is Parameter))
            return NotImplemented

        def persistent_id(self, obj):
            if type(obj) is _StorageRef:
                return ("storage", obj.key, obj.location)
            return None

    return _CheckpointPickler(file, protocol=protocol)


def _write_record(zf, name, data):
    """Writes one ZIP_STORED record whose data starts at a multiple of _ALIGNMENT in the file."""
    data = memoryview(data).cast("B")
    info = zipfile.ZipInfo(name)  # fixed 1980 timestamp: identical objects give identical files
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = len(data)
    zip64 = len(data) * 1.05 > zipfile.ZIP64_LIMIT  # the test zipfile itself applies
    header_len = 30 + len(name.encode()) + 4 + (20 if zip64 else 0)
    try:
        pad = -(zf.fp.tell() + header_len) % _ALIGNMENT
    except (AttributeError, OSError):  # an unseekable stream: alignment is only an optimization
        pad = 0
    info.extra = struct.pack("<HH", _PAD_EXTRA_ID, pad) + b"\0" * pad
    with zf.open(info, "w", force_zip64=zip64) as out:
        out.write(data)


def _write_checkpoint(obj, file, pickle_module, pickle_protocol):
    storages = {}
    header = io.BytesIO()
    _make_pickler(pickle_module, header, pickle_protocol, storages).dump(obj)
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, f"{_ROOT}/format", _MAGIC)
        _write_record(zf, f"{_ROOT}/byteorder", sys.byteorder.encode())
        _write_record(zf, f"{_ROOT}/header.pkl", header.getbuffer())
        for ref in storages.values():
            _write_record(zf, f"{_ROOT}/storages/{ref.key}", ref.raw_bytes())


def _atomic_write(path, write):
    """Calls `write(binary_file)` on a temporary file next to `path`, fsyncs it and renames it
    onto `path`, so a crash or an exception never leaves a half-written checkpoint behind: the
    previous file stays intact and the temporary file is removed."""
    target = os.path.realpath(os.fspath(path))  # write through symlinks, as open(path, "wb") does
    directory, base = os.path.split(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600 files: give the result the mode open() would have given it.
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable; not possible on every platform
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def save(obj, f, pickle_module=None, pickle_protocol=2):
    """Saves `obj` (tensors, nn.Parameters, state dicts, optimizer state dicts, nested
    containers of them and of Python scalars) to `f`, a path or a writable binary file.

    Tensors that view one storage are stored once and load back as views sharing memory, with
    their dtype, shape, strides, storage offset, ``requires_grad`` and Parameter-ness. As in
    PyTorch, a view saves its whole storage (``clone()`` a small slice of a big tensor first).
    Writing to a path is atomic: a temporary file in the same directory is renamed onto it.
    """
    pickle_module = pickle if pickle_module is None else pickle_module
    if isinstance(f, (str, os.PathLike)):
        _atomic_write(f, lambda out: _write_checkpoint(obj, out, pickle_module, pickle_protocol))
    else:
        _write_checkpoint(obj, f, pickle_module, pickle_protocol)


# ----------------------------------------------------------------------------------------------
# Loading

def _rebuild_tensor(storage, dtype_name, storage_offset, size, stride, requires_grad, is_parameter):
    """Rebuilds one tensor of a pydl checkpoint (referenced by name from header.pkl)."""
    dtype = _DTYPES.get(dtype_name) if isinstance(dtype_name, str) else None
    if dtype is None:  # untagged: unpickle() adds the file name
        raise pickle.UnpicklingError(f"unknown dtype {dtype_name!r} in the header")
    return rebuild_from_storage(storage, dtype, storage_offset, size, stride, requires_grad, is_parameter)


def _safe_dtype_from_name(name):
    # pydl._tensor._dtype_from_name is getattr(_C, name): restricted to dtype names here.
    if name not in _DTYPES:
        raise pickle.UnpicklingError(f"unknown dtype {name!r}")
    return _DTYPES[name]


def _pydl_globals():
    from ._size import Size
    allowed = builtin_globals()
    allowed.update({
        ("pydl.serialization", "_rebuild_tensor"): _rebuild_tensor,
        ("pydl._tensor", "_dtype_from_name"): _safe_dtype_from_name,
        ("pydl._C", "device"): _C.device,
        ("pydl._size", "Size"): Size,
    })
    return allowed



def _load_pydl_zip(zf, records, placer, weights_only, pickle_module):
    source = records.source
    byteorder = records.read_bytes("byteorder").decode("ascii", "replace").strip()
    if byteorder != sys.byteorder:  # storages are untyped (dtypes live in the tensors): no swap
        raise _fail(RuntimeError, source, f"byteorder record {byteorder[:10]!r}: only checkpoints "
                                          f"written on {sys.byteorder}-endian machines are supported")
    loaded = {}

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) == 3 and pid[0] == "storage"
                and all(isinstance(p, str) for p in pid[1:])):
            raise _fail(pickle.UnpicklingError, source, f"invalid storage reference {pid!r}")
        _, key, location = pid
        if key not in loaded:
            array = records.read_array(f"storages/{key}")
            loaded[key] = _LoadedStorage(placer.place(array, location), source, key)
        return loaded[key]

    return unpickle(records.read_bytes("header.pkl"), source, weights_only, allowed=_pydl_globals(),
                    persistent_load=persistent_load, pickle_module=pickle_module)


def _open_zip(file, source):
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error) as e:
        raise _fail(RuntimeError, source, f"truncated or corrupted zip archive ({e})") from e


def _load_file(file, source, path, map_location, pickle_module, weights_only, mmap):
    from . import _torch_checkpoint
    start = file.tell()
    head = file.read(512)
    file.seek(start)
    placer = _Placer(map_location, source)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        with _open_zip(file, source) as zf:
            names = zf.namelist()
            prefix = names[0].split("/", 1)[0] + "/" if names and "/" in names[0] else ""
            records = ZipRecords(zf, prefix, source, path if mmap else None)
            if prefix == _ROOT + "/" and f"{_ROOT}/format" in names:
                if records.read_bytes("format") != _MAGIC:
                    raise _fail(RuntimeError, source, "unsupported pydl checkpoint version "
                                                      f"{records.read_bytes('format')[:40]!r}")
                return _load_pydl_zip(zf, records, placer, weights_only, pickle_module)
            if prefix + "data.pkl" in names:
                return _torch_checkpoint.load_torch_zip(records, placer, weights_only, pickle_module)
            raise _fail(RuntimeError, source, "not a pydl or PyTorch checkpoint (a zip archive "
                                              "without pydl_checkpoint/format or <name>/data.pkl)")
    if len(head) > 262 and head[257:262] == b"ustar":
        raise _fail(RuntimeError, source, "PyTorch's tar checkpoint format (before PyTorch 0.4) "
                                          "is not supported: re-save the file with a recent torch")
    if head[:1] == b"\x80":  # a pickle: PyTorch's legacy (_use_new_zipfile_serialization=False)
        if mmap:
            raise _fail(RuntimeError, source, "mmap=True needs a zip checkpoint, not the legacy format")
        return _torch_checkpoint.load_torch_legacy(file, source, placer, weights_only, pickle_module)
    raise _fail(RuntimeError, source, f"not a pydl or PyTorch checkpoint (starts with {head[:8]!r})")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None):
    """Loads an object saved by ``pydl.save`` or by ``torch.save`` (torch is not imported).

    `f` is a path or a readable, seekable binary file. `map_location` redirects storages the
    way torch's does: None (the saved device), a device string or ``pydl.device``, a dict
    ``{"cuda:0": "cpu"}``, or a callable ``(storage, location) -> storage or None`` (the storage
    it receives is a 1-D uint8 CPU tensor). ``mmap=True`` maps the file's storages copy-on-write
    instead of reading them (paths only).

    With ``weights_only=True`` (the default) the file cannot run code: only tensors, containers,
    Python scalars and pydl dtypes/devices/Size load, anything else raises
    ``pickle.UnpicklingError``. ``weights_only=False`` unpickles arbitrary objects and is UNSAFE
    on files you do not trust: unpickling can execute any code.
    """
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    source = _source_name(f)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        try:
            file = open(path, "rb")
        except OSError as e:
            raise _fail(type(e) if isinstance(e, FileNotFoundError) else RuntimeError, source,
                        f"cannot open checkpoint: {e}") from e
        with file:
            return _load_file(file, source, path, map_location, pickle_module, weights_only, mmap)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())  # zipfile and the legacy reader need to seek
    return _load_file(f, source, None, map_location, pickle_module, weights_only, mmap)
