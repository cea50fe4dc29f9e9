"""pydl.datasets.idx: IDX round trips for every element type, raw and gzipped, and clear errors
for files that are truncated, padded, mislabelled or not IDX at all."""
import gzip
import io
import struct

import numpy as np
import pytest

import pydl
from pydl.datasets import read_idx, write_idx
from pydl.datasets.idx import parse_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
         np.float64: 0x0E}


def _sample(dtype, shape):
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


def _idx_bytes(code, shape, payload: bytes) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    arr = _sample(dtype, (3, 4, 5))
    path = tmp_path / f"x-idx3-ubyte{suffix}"
    write_idx(path, arr)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == (suffix == ".gz")
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.flags.c_contiguous and back.flags.writeable
    np.testing.assert_array_equal(back, arr)


@pytest.mark.parametrize("dtype", DTYPES)
def test_layout_is_big_endian_header_and_data(tmp_path, dtype):
    # Checked against the format by hand, not just against our own reader.
    arr = _sample(dtype, (2, 3))
    path = tmp_path / "x.idx"
    write_idx(path, arr)
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, CODES[dtype], 2])
    assert struct.unpack(">2I", raw[4:12]) == (2, 3)
    assert raw[12:] == arr.astype(np.dtype(dtype).newbyteorder(">")).tobytes()


def test_reads_hand_made_file_and_one_dimension(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(_idx_bytes(0x08, (5,), labels.tobytes()))
    np.testing.assert_array_equal(read_idx(path, ndim=1), labels)
    assert read_idx(str(path)).shape == (5,)


def test_gzip_detected_by_content_not_name(tmp_path):
    arr = _sample(np.int16, (4, 2))
    # gzipped data under a name without .gz ...
    gz_no_suffix = tmp_path / "images-idx3-ubyte"
    write_idx(gz_no_suffix, arr, compress=True)
    np.testing.assert_array_equal(read_idx(gz_no_suffix), arr)
    # ... and raw data under a .gz name (what a browser that unpacks downloads leaves behind).
    raw_with_suffix = tmp_path / "images-idx3-ubyte.gz"
    write_idx(raw_with_suffix, arr, compress=False)
    np.testing.assert_array_equal(read_idx(raw_with_suffix), arr)


def test_file_object_and_tensor_input(tmp_path):
    arr = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    path = tmp_path / "t.idx.gz"
    write_idx(path, pydl.from_numpy(arr))
    with open(path, "rb") as f:
        np.testing.assert_array_equal(read_idx(f), arr)
    np.testing.assert_array_equal(read_idx(io.BytesIO(gzip.decompress(path.read_bytes()))), arr)


def test_zero_sized_dimension(tmp_path):
    path = tmp_path / "empty.idx"
    write_idx(path, np.zeros((0, 28, 28), np.uint8))
    assert read_idx(path).shape == (0, 28, 28)


def test_non_contiguous_input_is_written_in_logical_order(tmp_path):
    arr = np.arange(12, dtype=np.int32).reshape(3, 4).T
    path = tmp_path / "t.idx"
    write_idx(path, arr)
    np.testing.assert_array_equal(read_idx(path), arr)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data(tmp_path, gz):
    full = _idx_bytes(0x08, (60000, 28, 28), b"")
    raw = full + bytes(1000)
    path = tmp_path / ("train-images-idx3-ubyte" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError) as e:
        read_idx(path)
    msg = str(e.value)
    assert str(path) in msg
    assert "expected 47040000 bytes of data for shape (60000, 28, 28)" in msg
    assert "found 1000" in msg and "truncated" in msg


def test_trailing_bytes(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(_idx_bytes(0x0C, (2,), bytes(8 + 3)))
    with pytest.raises(ValueError, match=r"trailing bytes.*expected 8 bytes.*found 11"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">I", 10))
    with pytest.raises(ValueError, match=r"x\.idx: truncated header: 3 dimension sizes need 16 bytes"):
        read_idx(path)


@pytest.mark.parametrize("content", [b"", b"\x00\x00"])
def test_too_short_for_magic(tmp_path, content):
    path = tmp_path / "short.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"short\.idx: file is \d bytes, too short"):
        read_idx(path)


def test_bad_magic(tmp_path):
    path = tmp_path / "not-idx"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(ValueError, match=r"not-idx: bad IDX magic number 0x504b0304"):
        read_idx(path)


def test_unknown_type_code(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(_idx_bytes(0x0A, (1,), bytes(1)))
    with pytest.raises(ValueError, match=r"unknown IDX element type 0x0A"):
        read_idx(path)


def test_wrong_ndim(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, np.zeros((2, 3), np.uint8))
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte: expected an IDX file with 1 "
                                         r"dimension\(s\), but the magic number 0x00000802 says 2"):
        read_idx(path, ndim=1)


def test_corrupt_and_truncated_gzip(tmp_path):
    good = gzip.compress(_idx_bytes(0x08, (100,), bytes(range(100))))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(good[:len(good) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz: corrupt or truncated gzip data"):
        read_idx(cut)
    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(b"\x1f\x8b" + bytes(range(50)))
    with pytest.raises(ValueError, match=r"garbage\.gz: corrupt or truncated gzip data"):
        read_idx(garbage)


def test_gz_name_with_neither_magic(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(b"hello world")
    with pytest.raises(ValueError, match=r"x\.gz: named \.gz but is neither gzip"):
        read_idx(path)


def test_parse_idx_names_source():
    with pytest.raises(ValueError, match=r"^mem: bad IDX magic"):
        parse_idx(b"\x01\x02\x03\x04", "mem")


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, np.bool_, np.float16, np.complex64])
def test_write_unsupported_dtype(tmp_path, dtype):
    with pytest.raises(TypeError, match="has no IDX type code"):
        write_idx(tmp_path / "x.idx", np.zeros(3, dtype=dtype))


def test_gzip_output_is_reproducible(tmp_path):
    arr = _sample(np.uint8, (10, 10))
    write_idx(tmp_path / "a.gz", arr)
    write_idx(tmp_path / "b.gz", arr)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
