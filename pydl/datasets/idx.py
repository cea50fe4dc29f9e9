"""Reading and writing IDX files, the format MNIST, Fashion-MNIST, KMNIST and EMNIST ship in.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32
dimension sizes, then the elements in row-major order, big-endian. Files are usually gzipped;
gzip is recognised by its magic bytes (``1f 8b``), so a file keeps working whatever it is named.

Everything is checked before any data is interpreted, and every problem is a ``ValueError`` that
names the file and says what is wrong, because a silently misread dataset trains a model on noise.
"""
from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

__all__ = ["read_idx", "write_idx", "IDX_DTYPES"]

# Type byte -> element type. IDX stores elements big-endian, hence the '>' codes.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# The other direction, keyed by the byte-order-free kind+size ('u1', 'f4', ...).
_TYPE_CODES = {dt.kind + str(dt.itemsize): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _describe(path) -> str:
    if isinstance(path, (str, bytes, os.PathLike)):
        return os.fsdecode(path)
    # A file object: its name when it has one (open() files do), else its repr.
    return str(getattr(path, "name", repr(path)))


def _decompress(raw: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        # gzip reports a cut-off download as EOFError and garbage as BadGzipFile (an OSError).
        raise ValueError(f"{name}: corrupt or truncated gzip data ({e})") from None


def parse_idx(raw: bytes, name: str = "<bytes>", ndim: int | None = None) -> np.ndarray:
    """Parses the (already decompressed) bytes of an IDX file into a native-endian array.

    ``name`` only appears in error messages. ``ndim``, when given, is the number of dimensions
    the caller expects (3 for MNIST images, 1 for labels); a mismatch is a ``ValueError``.
    """
    if len(raw) < 4:
        raise ValueError(f"{name}: file is {len(raw)} bytes, too short for the 4-byte IDX magic number")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{name}: bad IDX magic number 0x{raw[:4].hex()} (must start with 0x0000); "
                         "not an IDX file")
    code, nd = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} ({d.name})" for c, d in IDX_DTYPES.items())
        raise ValueError(f"{name}: unknown IDX element type 0x{code:02X} in magic number "
                         f"0x{raw[:4].hex()}; known types: {known}")
    if ndim is not None and nd != ndim:
        raise ValueError(f"{name}: expected an IDX file with {ndim} dimension(s), "
                         f"but the magic number 0x{raw[:4].hex()} says {nd}")
    header = 4 + 4 * nd
    if len(raw) < header:
        raise ValueError(f"{name}: truncated header: {nd} dimension sizes need {header} bytes, "
                         f"file has {len(raw)}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=nd, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "truncated file" if found < expected else "trailing bytes after the data"
        raise ValueError(f"{name}: {what}: expected {expected} bytes of data for shape {shape} "
                         f"({dtype.name}), found {found}")
    data = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    # Native byte order: pydl.from_numpy (like torch) refuses big-endian arrays. astype also
    # copies, so the result is writable and does not pin the file's bytes.
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def read_idx(path, ndim: int | None = None) -> np.ndarray:
    """Reads an IDX file (raw or gzipped) and returns its contents as a NumPy array.

    Args:
        path: file name (``str`` or ``os.PathLike``) or a binary file object.
        ndim: if given, the number of dimensions the file must have; anything else raises.

    Returns:
        A C-contiguous, writable, native-endian array of the file's element type
        (uint8, int8, int16, int32, float32 or float64) and shape.

    Raises:
        ValueError: the file is not IDX, is truncated or has extra bytes, has an unknown element
            type, has the wrong number of dimensions, or its gzip stream is corrupt. The message
            names the file and what is wrong.
    """
    name = _describe(path)
    if hasattr(path, "read"):
        raw = path.read()
    else:
        with open(path, "rb") as f:
            raw = f.read()
    # Content decides, not the name: a '.gz' that a browser already unpacked starts with 00 00
    # (every IDX file does), which can never be mistaken for the gzip magic 1f 8b.
    if raw[:2] == _GZIP_MAGIC:
        raw = _decompress(raw, name)
    elif name.endswith(".gz") and raw[:2] != b"\x00\x00":
        raise ValueError(f"{name}: named .gz but is neither gzip data (magic 1f 8b) nor a raw IDX "
                         f"file (magic 00 00); first bytes are 0x{raw[:4].hex()}")
    return parse_idx(raw, name, ndim)


def write_idx(path, array, compress: bool | None = None, compresslevel: int = 6) -> None:
    """Writes an array as an IDX file.

    Args:
        path: destination file name.
        array: anything ``numpy.asarray`` accepts, or a pydl tensor; its dtype must be one IDX can
            hold: uint8, int8, int16, int32, float32 or float64.
        compress: gzip the file. ``None`` (default) compresses when ``path`` ends in ``.gz``.
        compresslevel: gzip level, 1 (fast) to 9 (small).

    Raises:
        TypeError: the dtype has no IDX type code (e.g. int64, bool, float16).
        ValueError: the array has more than 255 dimensions or a dimension over 2**32 - 1.
    """
    if hasattr(array, "numpy") and not isinstance(array, np.ndarray):
        array = array.detach().cpu().numpy()
    arr = np.asarray(array)
    key = arr.dtype.kind + str(arr.dtype.itemsize)
    if key not in _TYPE_CODES:
        raise TypeError(f"write_idx: dtype {arr.dtype} has no IDX type code; use one of "
                        "uint8, int8, int16, int32, float32, float64")
    if arr.ndim > 255:
        raise ValueError(f"write_idx: IDX holds at most 255 dimensions, got {arr.ndim}")
    if any(s > 0xFFFFFFFF for s in arr.shape):
        raise ValueError(f"write_idx: dimension sizes must fit in uint32, got shape {arr.shape}")
    code = _TYPE_CODES[key]
    payload = (bytes([0, 0, code, arr.ndim])
               + np.asarray(arr.shape, dtype=">u4").tobytes()
               + np.ascontiguousarray(arr, dtype=IDX_DTYPES[code]).tobytes())
    if compress is None:
        compress = os.fsdecode(path).endswith(".gz")
    if compress:
        # mtime=0 keeps the output byte-for-byte reproducible (the bundled files are generated).
        payload = gzip.compress(payload, compresslevel=compresslevel, mtime=0)
    with open(path, "wb") as f:
        f.write(payload)
