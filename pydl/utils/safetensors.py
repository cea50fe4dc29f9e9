"""The safetensors format for pydl tensors, with the API of ``safetensors.torch``.

A safetensors file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON
``{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
"__metadata__": {str: str}}`` padded with spaces, then the tensors' raw little-endian bytes
(offsets are relative to the end of the header and tile the data without holes or overlaps).

pydl reads and writes the format itself, in Python and NumPy: ``safetensors.numpy`` cannot
represent bfloat16 (NumPy has no such dtype) and the package's lower-level API differs between
versions, so the package is not needed at run time; the tests check that files interoperate
with ``safetensors.torch`` and ``safetensors.numpy`` in both directions. Like the package's
writer, tensors are laid out by decreasing alignment then name, and the header is padded to a
multiple of 8 bytes so every tensor is aligned in the file.

Differences from ``safetensors.torch``: non-contiguous tensors are made contiguous instead of
refused; tensors that share memory raise RuntimeError as there (save a ``clone()`` of one).
"""
import json
import os
import struct
import sys

import numpy as np

from .. import _C

__all__ = ["save", "save_file", "load", "load_file"]

_CODES = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32",
          "I64": "int64", "F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}
_CODE_OF = {name: code for code, name in _CODES.items()}
_NUMPY = {"bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
          "int64": np.int64, "float16": np.float16, "bfloat16": np.int16,  # bf16 travels as its bits
          "float32": np.float32, "float64": np.float64}
_MAX_HEADER = 100_000_000  # the limit safetensors itself enforces


def _dtype_name(dtype):
    return repr(dtype).split(".")[-1]


# ----------------------------------------------------------------------------------------------
# Writing

def _byte_range(t):
    """The [start, stop) bytes of its storage that tensor `t` can read (empty for no elements)."""
    if t.numel() == 0:
        return 0, 0
    k = t.element_size()
    last = t.storage_offset() + sum((n - 1) * s for n, s in zip(t.shape, t.stride()))
    return t.storage_offset() * k, (last + 1) * k


def _check_no_shared_memory(tensors):
    # As safetensors.torch does: tensors whose bytes overlap in one storage would load back as
    # independent copies, silently breaking ties (weights) the caller may rely on.
    groups = {}
    for name, t in tensors.items():
        start, stop = _byte_range(t)
        if stop > start:
            key = (str(t.device), t.untyped_storage().data_ptr())
            groups.setdefault(key, []).append((start, stop, name))
    failing = []
    for areas in groups.values():
        areas.sort()
        current, last_stop = {areas[0][2]}, areas[0][1]
        for start, stop, name in areas[1:]:
            if start < last_stop:
                current.add(name)
            else:
                if len(current) > 1:
                    failing.append(sorted(current))
                current = {name}
            last_stop = max(last_stop, stop)
        if len(current) > 1:
            failing.append(sorted(current))
    if failing:
        raise RuntimeError(f"Some tensors share memory, this will lead to duplicate memory on disk and "
                           f"potential differences when loading them again: {failing}. Save a clone() "
                           f"of all but one tensor of each group, or drop the duplicates.")


def _prepare(tensors, metadata):
    """The padded header bytes and the list of contiguous little-endian NumPy arrays to write."""
    if not isinstance(tensors, dict):
        raise TypeError(f"expected a dict of [str, pydl.Tensor], got {type(tensors).__name__}")
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {name!r}")
        if not isinstance(t, _C.Tensor):
            raise ValueError(f"Key `{name}` is invalid, expected pydl.Tensor but received {type(t).__name__}")
        if _dtype_name(t.dtype) not in _CODE_OF:
            raise ValueError(f"Key `{name}`: dtype {t.dtype} is not supported by safetensors in pydl")
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("metadata must be a dict[str, str]")
    _check_no_shared_memory(tensors)

    order = sorted(tensors, key=lambda n: (-tensors[n].element_size(), n))
    header = {"__metadata__": metadata} if metadata else {}
    arrays, offset = [], 0
    for name in order:
        t = tensors[name].detach().cpu().contiguous()
        dtype_name = _dtype_name(t.dtype)
        array = (t.view(_C.int16) if dtype_name == "bfloat16" else t).numpy()
        if sys.byteorder == "big":
            array = array.byteswap()
        header[name] = {"dtype": _CODE_OF[dtype_name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        arrays.append(array)
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, arrays


def save(tensors, metadata=None):
    """The safetensors encoding of `tensors` (a dict name -> pydl.Tensor) as bytes. `metadata`
    is an optional dict[str, str] stored in the header."""
    header, arrays = _prepare(tensors, metadata)
    return b"".join([header] + [a.tobytes() for a in arrays])


def save_file(tensors, filename, metadata=None):
    """Writes `tensors` (a dict name -> pydl.Tensor) to the safetensors file `filename`,
    atomically (a temporary file in the same directory is renamed onto it)."""
    from ..serialization import _atomic_write
    header, arrays = _prepare(tensors, metadata)

    def write(f):
        f.write(header)
        for a in arrays:
            f.write(memoryview(a.reshape(-1)).cast("B"))
    _atomic_write(filename, write)


# ----------------------------------------------------------------------------------------------
# Reading

def _unique_keys(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _parse_header(raw, data_len, source):
    """Validates the JSON header against the size of the data that follows it and returns
    [(name, dtype_name, shape, begin, end)] sorted by offset."""
    def bad(message):
        return ValueError(f"{source}: invalid safetensors header: {message}")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError) as e:
        raise bad(f"not UTF-8 JSON ({e})") from e
    if not isinstance(header, dict):
        raise bad("not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(v, str) for v in metadata.values())):
        raise bad("__metadata__ must map str to str")
    entries = []
    for name, info in header.items():
        if not (isinstance(info, dict) and set(info) == {"dtype", "shape", "data_offsets"}):
            raise bad(f"entry {name!r} must have exactly dtype, shape and data_offsets")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code not in _CODES:
            raise bad(f"entry {name!r}: dtype {code!r} is not supported by pydl")
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
            raise bad(f"entry {name!r}: invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise bad(f"entry {name!r}: invalid data_offsets {offsets!r}")
        numel = 1
        for n in shape:
            numel *= n
        itemsize = np.dtype(_NUMPY[_CODES[code]]).itemsize
        if offsets[1] - offsets[0] != numel * itemsize:
            raise bad(f"entry {name!r}: {code}{shape} needs {numel * itemsize} bytes, data_offsets "
                      f"{offsets} give {offsets[1] - offsets[0]}")
        entries.append((name, _CODES[code], shape, offsets[0], offsets[1]))
    entries.sort(key=lambda e: (e[3], e[4]))
    position = 0
    for name, _, _, begin, end in entries:  # the data must be tiled exactly, as safetensors requires
        if begin != position:
            raise bad(f"entry {name!r} starts at {begin}, expected {position} (hole or overlap)")
        position = end
    if position != data_len:
        raise bad(f"the tensors cover {position} data bytes, the file holds {data_len}")
    return entries


def _header_length(prefix, total, source):
    if len(prefix) < 8:
        raise ValueError(f"{source}: not a safetensors file (shorter than 8 bytes)")
    (n,) = struct.unpack("<Q", prefix[:8])
    if n > _MAX_HEADER or n > total - 8:
        raise ValueError(f"{source}: invalid safetensors header length {n} for {total} bytes "
                         "(truncated or not a safetensors file)")
    return n


def _to_tensor(array, dtype_name, shape, device):
    """A pydl tensor owning `array` (a fresh uint8 copy), on `device`."""
    t = _C.from_numpy(array.view(_NUMPY[dtype_name]).reshape(shape))
    if dtype_name == "bfloat16":
        t = t.view(_C.bfloat16)
    device = f"cuda:{device}" if isinstance(device, int) and not isinstance(device, bool) else device
    return t if str(device) == "cpu" else t.to(_C.device(str(device)))


def _decode(array, dtype_name):
    if sys.byteorder == "big" and np.dtype(_NUMPY[dtype_name]).itemsize > 1:
        array.view(_NUMPY[dtype_name]).byteswap(inplace=True)
    return array


def load(data):
    """The dict name -> pydl.Tensor encoded in the safetensors bytes `data`."""
    data = memoryview(data).cast("B")
    n = _header_length(bytes(data[:8]), len(data), "<bytes>")
    entries = _parse_header(bytes(data[8:8 + n]), len(data) - 8 - n, "<bytes>")
    out = {}
    for name, dtype_name, shape, begin, end in entries:
        array = np.frombuffer(data, dtype=np.uint8, count=end - begin, offset=8 + n + begin).copy()
        out[name] = _to_tensor(_decode(array, dtype_name), dtype_name, shape, "cpu")
    return out


def load_file(filename, device="cpu"):
    """Reads the safetensors file `filename` into a dict name -> pydl.Tensor on `device`
    ("cpu", "cuda", "cuda:1", a CUDA index or a pydl.device). Each tensor owns its memory."""
    source = repr(os.fspath(filename))
    with open(filename, "rb") as f:
        total = os.fstat(f.fileno()).st_size
        n = _header_length(f.read(8), total, source)
        entries = _parse_header(f.read(n), total - 8 - n, source)
        out = {}
        for name, dtype_name, shape, begin, end in entries:  # sorted by offset: reads sequentially
            array = np.empty(end - begin, dtype=np.uint8)
            f.seek(8 + n + begin)
            if f.readinto(memoryview(array)) != array.size:
                raise ValueError(f"{source}: truncated safetensors file (tensor {name!r})")
            out[name] = _to_tensor(_decode(array, dtype_name), dtype_name, shape, device)
    return out
