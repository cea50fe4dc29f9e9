"""pydl.save / pydl.load (pydl's zip format, PyTorch's zip and legacy formats), their safety
(weights_only, atomic writes, corrupted files) and pydl.utils.safetensors."""
import io
import os
import pickle
import stat
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import pydl
import pydl.serialization as ser
from pydl.nn.parameter import Parameter

ALLOWED_ERRORS = (RuntimeError, pickle.UnpicklingError, ValueError)
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def bits(t):
    """Exact contents of a tensor as NumPy (bfloat16 as its int16 bits)."""
    t = t.detach()
    return (t.view(pydl.int16) if t.dtype == pydl.bfloat16 else t).numpy().copy()


def sample(dtype_name, shape=(3, 4), seed=0):
    a = np.asarray(np.random.default_rng(seed).normal(size=shape) * 50)
    if dtype_name == "bool":
        return pydl.from_numpy(a > 0)
    if dtype_name == "bfloat16":
        return pydl.from_numpy(a.astype(np.float32)).to(pydl.bfloat16)
    return pydl.from_numpy(a.astype(getattr(np, dtype_name)))


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    pydl.save(obj, buf)
    buf.seek(0)
    return pydl.load(buf, **load_kwargs)


def zip_records(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def make_zip(records):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in records.items():
            zf.writestr(name, data)
    return buf.getvalue()


def checkpoint_bytes(obj):
    buf = io.BytesIO()
    pydl.save(obj, buf)
    return buf.getvalue()


class CreatesFile:
    """A pickle payload: unpickling it calls open(path, "w"), i.e. runs code from the file."""
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


class RunsShell:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


class Plain:
    def __init__(self, value):
        self.value = value


# ---------------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("dtype_name", DTYPES)
def test_roundtrip_every_dtype(dtype_name):
    t = sample(dtype_name)
    out = roundtrip(t)
    assert out.dtype == t.dtype and tuple(out.shape) == (3, 4)
    np.testing.assert_array_equal(bits(out), bits(t))


@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3)])
def test_roundtrip_zero_dim_and_empty(shape):
    t = sample("float32", shape)
    out = roundtrip({"t": t})["t"]
    assert tuple(out.shape) == shape
    np.testing.assert_array_equal(bits(out), bits(t))


def test_views_keep_layout_and_share_memory_after_load():
    x = pydl.arange(24, dtype=pydl.float32).reshape(4, 6)
    views = [x, x[1:], x.t(), x[:, ::2], x[2], x[0].expand(3, 6), x.view(pydl.int32)]
    data = checkpoint_bytes(views)
    assert sum(n.startswith("pydl_checkpoint/storages/") for n in zip_records(data)) == 1  # written once
    out = pydl.load(io.BytesIO(data))
    for v, o in zip(views, out):
        assert (o.dtype, tuple(o.shape), o.stride(), o.storage_offset()) == \
            (v.dtype, tuple(v.shape), v.stride(), v.storage_offset())
        np.testing.assert_array_equal(bits(o), bits(v))
        assert o.untyped_storage().data_ptr() == out[0].untyped_storage().data_ptr()
    out[0][2, 0] = -7.0  # a write through one loaded view is seen by the others
    assert out[1][1, 0].item() == -7.0 and out[2][0, 2].item() == -7.0 and out[4][0].item() == -7.0
    assert out[6][2, 0].item() == np.float32(-7.0).view(np.int32)


def test_same_tensor_twice_is_one_object_and_distinct_tensors_stay_distinct():
    a, b = pydl.ones(2), pydl.ones(2)
    out = roundtrip([a, a, b])
    assert out[0] is out[1] and out[0] is not out[2]
    out[2][0] = 5.0
    assert out[0][0].item() == 1.0


def test_requires_grad_and_parameters_preserved():
    leaf = pydl.ones(2, 2, requires_grad=True)
    obj = {"p": Parameter(pydl.ones(3)), "frozen": Parameter(pydl.zeros(2), requires_grad=False),
           "leaf": leaf, "nonleaf": leaf * 2, "plain": pydl.ones(1)}
    out = roundtrip(obj)
    assert type(out["p"]) is Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    assert type(out["leaf"]) is pydl.Tensor and out["leaf"].requires_grad and out["leaf"].is_leaf
    assert out["nonleaf"].requires_grad and out["nonleaf"].is_leaf and out["nonleaf"].grad_fn is None
    np.testing.assert_array_equal(out["nonleaf"].detach().numpy(), np.full((2, 2), 2.0, np.float32))
    assert not out["plain"].requires_grad


@pytest.mark.parametrize("protocol", [2, 4, pickle.HIGHEST_PROTOCOL])
def test_nested_containers_and_scalars(protocol):
    obj = {"list": [1, 2.5, "s", None, True, 1 + 2j, b"\x00\xff", bytearray(b"ab"), slice(1, 2)],
           "tuple": (pydl.ones(1), (3, [4])),
           "set": {1, 2}, "frozenset": frozenset({"a"}), "dtype": pydl.bfloat16,
           "device": pydl.device("cpu"), "size": pydl.Size([2, 3]), 7: {"deep": {"deeper": [pydl.zeros(2)]}}}
    buf = io.BytesIO()
    pydl.save(obj, buf, pickle_protocol=protocol)
    buf.seek(0)
    out = pydl.load(buf)
    assert out["list"] == obj["list"] and out["set"] == {1, 2} and out["frozenset"] == frozenset({"a"})
    assert out["dtype"] is pydl.bfloat16 and out["device"] == pydl.device("cpu")
    assert out["size"] == pydl.Size([2, 3]) and type(out["size"]) is pydl.Size
    assert out["tuple"][1] == (3, [4]) and out["tuple"][0].numpy().tolist() == [1.0]
    assert out[7]["deep"]["deeper"][0].numpy().tolist() == [0.0, 0.0]


def test_ordered_dict_metadata_and_optimizer_state_dict():
    sd = OrderedDict([("fc.weight", pydl.ones(2, 3)), ("fc.bias", pydl.zeros(2))])
    sd._metadata = OrderedDict([("", {"version": 1}), ("fc", {"version": 1})])
    opt = {"state": {0: {"step": pydl.tensor(3.0), "exp_avg": pydl.ones(2, 3)}},
           "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "foreach": None}]}
    out = roundtrip({"model": sd, "optim": opt})
    assert type(out["model"]) is OrderedDict and list(out["model"]) == ["fc.weight", "fc.bias"]
    assert out["model"]._metadata == sd._metadata
    assert out["optim"]["param_groups"] == opt["param_groups"]
    assert out["optim"]["state"][0]["step"].item() == 3.0


def test_real_optimizer_state_dict_roundtrip():
    if not hasattr(pydl, "optim") or not hasattr(pydl.optim, "Adam") or not hasattr(pydl.nn, "Linear"):
        pytest.skip("pydl.optim.Adam / pydl.nn.Linear not available")
    model = pydl.nn.Linear(3, 2)
    opt = pydl.optim.Adam(model.parameters(), lr=0.01)
    model(pydl.ones(4, 3)).sum().backward()
    opt.step()
    state = opt.state_dict()
    out = roundtrip(state)
    assert out["param_groups"] == state["param_groups"]
    for k, s in state["state"].items():
        for name, v in s.items():
            got = out["state"][k][name]
            if isinstance(v, pydl.Tensor):
                np.testing.assert_array_equal(bits(got), bits(v))
            else:
                assert got == v


def test_paths_pathlike_and_file_objects(tmp_path):
    t = sample("float64")
    pydl.save({"t": t}, str(tmp_path / "a.pt"))
    pydl.save({"t": t}, tmp_path / "b.pt")
    with open(tmp_path / "c.pt", "wb") as f:
        pydl.save({"t": t}, f)
    for name in ("a.pt", "b.pt", "c.pt"):
        np.testing.assert_array_equal(pydl.load(tmp_path / name)["t"].numpy(), t.numpy())
    with open(tmp_path / "c.pt", "rb") as f:
        np.testing.assert_array_equal(pydl.load(f)["t"].numpy(), t.numpy())
    assert checkpoint_bytes({"t": t}) == checkpoint_bytes({"t": t})  # deterministic output


def test_mmap_maps_copy_on_write(tmp_path):
    x = sample("float32", (64, 8))
    path = tmp_path / "m.pt"
    pydl.save({"x": x, "row": x[3]}, path)
    before = path.read_bytes()
    out = pydl.load(path, mmap=True)
    np.testing.assert_array_equal(out["x"].numpy(), x.numpy())
    out["x"][3, 0] = 123.0
    assert out["row"][0].item() == 123.0 and path.read_bytes() == before
    with pytest.raises(ValueError, match="file path"):
        pydl.load(io.BytesIO(before), mmap=True)


# -------------------------------------------------------------------------------- map_location

def _on_cuda0(obj):
    """A checkpoint of `obj` (CPU tensors) whose storages claim they were saved on cuda:0."""
    records = zip_records(checkpoint_bytes(obj))
    header = records["pydl_checkpoint/header.pkl"]
    records["pydl_checkpoint/header.pkl"] = header.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    assert records["pydl_checkpoint/header.pkl"] != header
    return make_zip(records)


def test_map_location_variants():
    x = pydl.arange(6, dtype=pydl.float32)
    data = _on_cuda0([x, x[2:]])
    for m in ("cpu", pydl.device("cpu"), {"cuda:0": "cpu"}):
        out = pydl.load(io.BytesIO(data), map_location=m)
        assert out[0].device == pydl.device("cpu") and out[1].tolist() == [2.0, 3.0, 4.0, 5.0]
        assert out[1].untyped_storage().data_ptr() == out[0].untyped_storage().data_ptr()
    seen = []
    out = pydl.load(io.BytesIO(data), map_location=lambda storage, loc: seen.append(loc) or storage)
    assert seen == ["cuda:0"] and out[0].tolist() == x.tolist()
    if pydl.cuda.is_available():
        out = pydl.load(io.BytesIO(data))
        assert out[0].device.type == "cuda" and out[1].cpu().tolist() == [2.0, 3.0, 4.0, 5.0]
    else:
        with pytest.raises(RuntimeError, match="map_location"):
            pydl.load(io.BytesIO(data))
        with pytest.raises(RuntimeError, match="map_location"):
            pydl.load(io.BytesIO(data), map_location=lambda storage, loc: None)
    with pytest.raises(TypeError):
        pydl.load(io.BytesIO(data), map_location=3)
    with pytest.raises(RuntimeError):
        pydl.load(io.BytesIO(data), map_location="nodevice:0")


@pytest.mark.skipif(not pydl.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_tensors_roundtrip_and_map_location(tmp_path):
    x = sample("float32", (4, 6)).cuda()
    p = Parameter(sample("bfloat16", (3,)).cuda())
    out = roundtrip([x, x[1:].t(), p])
    assert out[0].device.type == "cuda" and type(out[2]) is Parameter and out[2].device.type == "cuda"
    assert out[1].stride() == x[1:].t().stride() and out[1].storage_offset() == 6
    np.testing.assert_array_equal(out[1].cpu().numpy(), x[1:].t().cpu().numpy())
    np.testing.assert_array_equal(bits(out[2].cpu()), bits(p.cpu()))
    out[0][1, 0] = 42.0
    assert out[1][0, 0].item() == 42.0  # the views share one CUDA storage
    cpu = roundtrip([x, x[1:]], map_location="cpu")
    assert cpu[0].device.type == "cpu" and cpu[1].tolist() == x[1:].cpu().tolist()
    moved = roundtrip(x.cpu(), map_location=lambda storage, loc: storage.cuda())
    assert moved.device.type == "cuda" and moved.cpu().tolist() == x.cpu().tolist()
    from pydl.utils import safetensors as st
    back = st.load(st.save({"x": x, "p": p}))
    assert back["x"].tolist() == x.cpu().tolist()
    st.save_file({"x": x}, tmp_path / "x.safetensors")
    for device in ("cuda", 0, pydl.device("cuda:0")):
        got = st.load_file(tmp_path / "x.safetensors", device=device)["x"]
        assert got.device.type == "cuda" and got.cpu().tolist() == x.cpu().tolist()


# ---------------------------------------------------------------------------- PyTorch interop

def _torch_model(torch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    model(torch.randn(5, 3))  # running stats and num_batches_tracked change
    return model


@pytest.mark.parametrize("legacy", [False, True])
def test_loads_torch_state_dict_without_torch_types(tmp_path, legacy):
    torch = pytest.importorskip("torch")
    model = _torch_model(torch)
    sd = model.state_dict()
    path = tmp_path / "torch.pt"
    torch.save(sd, path, _use_new_zipfile_serialization=not legacy)
    out = pydl.load(path)
    assert type(out) is OrderedDict and list(out) == list(sd) and out._metadata == sd._metadata
    for k, v in sd.items():
        assert isinstance(out[k], pydl.Tensor) and repr(out[k].dtype).split(".")[-1] == str(v.dtype)[6:]
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
    if hasattr(pydl.nn, "Linear") and hasattr(pydl.nn, "BatchNorm1d"):
        mine = pydl.nn.Sequential(pydl.nn.Linear(3, 4), pydl.nn.BatchNorm1d(4), pydl.nn.Linear(4, 2))
        mine.load_state_dict(out)
        mine.eval(), model.eval()
        x = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
        np.testing.assert_allclose(mine(pydl.from_numpy(x)).detach().numpy(),
                                   model(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("legacy", [False, True])
def test_torch_views_dtypes_parameters_and_globals(tmp_path, legacy):
    torch = pytest.importorskip("torch")
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    obj = {"views": [x, x[1:], x.t()], "bf16": torch.randn(3).to(torch.bfloat16),
           "half": torch.randn(2, dtype=torch.float16), "bool": torch.tensor([True, False]),
           "i8": torch.tensor([-3, 4], dtype=torch.int8), "scalar": torch.tensor(2.5),
           "empty": torch.zeros(0, 3), "param": torch.nn.Parameter(torch.ones(2)),
           "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False),
           "size": torch.Size([2, 3]), "device": torch.device("cpu"), "dtype": torch.float16}
    path = tmp_path / "t.pt"
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    out = pydl.load(path, mmap=not legacy)
    for v, o in zip(obj["views"], out["views"]):
        assert o.stride() == v.stride() and o.storage_offset() == v.storage_offset()
        np.testing.assert_array_equal(o.numpy(), v.numpy())
    out["views"][0][1, 1] = 99.0
    assert out["views"][1][0, 1].item() == 99.0 and out["views"][2][1, 1].item() == 99.0
    np.testing.assert_array_equal(bits(out["bf16"]), obj["bf16"].view(torch.int16).numpy())
    for k in ("half", "bool", "i8", "scalar", "empty"):
        np.testing.assert_array_equal(out[k].numpy(), obj[k].numpy())
    assert type(out["param"]) is Parameter and out["param"].requires_grad
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    assert out["size"] == pydl.Size([2, 3]) and out["device"] == pydl.device("cpu") and out["dtype"] is pydl.float16


def test_torch_optimizer_state_dict(tmp_path):
    torch = pytest.importorskip("torch")
    model = _torch_model(torch)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    torch.save(opt.state_dict(), tmp_path / "opt.pt")
    out, ref = pydl.load(tmp_path / "opt.pt"), opt.state_dict()
    assert out["param_groups"] == ref["param_groups"]
    for k, s in ref["state"].items():
        for name, v in s.items():
            np.testing.assert_array_equal(out["state"][k][name].numpy(), v.numpy())


def test_torch_big_endian_byteorder_record_is_honoured():
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"a": torch.arange(4, dtype=torch.int32)}, buf)
    records = zip_records(buf.getvalue())
    prefix = next(n for n in records if n.endswith("data.pkl"))[: -len("data.pkl")]
    records[prefix + "byteorder"] = b"big"
    records[prefix + "data/0"] = np.arange(4, dtype=">i4").tobytes()
    assert pydl.load(io.BytesIO(make_zip(records)))["a"].tolist() == [0, 1, 2, 3]


# ------------------------------------------------------------------------------------ security

def _payload_files(payload):
    """The payload pickled as the header of each supported format."""
    evil = pickle.dumps({"w": payload}, protocol=2)
    ours = zip_records(checkpoint_bytes({"w": pydl.ones(1)}))
    ours["pydl_checkpoint/header.pkl"] = evil
    torch_zip = {"archive/data.pkl": evil, "archive/byteorder": b"little", "archive/version": b"3\n"}
    return {"pydl": make_zip(ours), "torch-zip": make_zip(torch_zip), "torch-legacy": evil}


@pytest.mark.parametrize("fmt", ["pydl", "torch-zip", "torch-legacy"])
@pytest.mark.parametrize("payload_type", [CreatesFile, RunsShell])
def test_weights_only_never_runs_code(tmp_path, fmt, payload_type):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(_payload_files(payload_type(target))[fmt])
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global") as info:
        pydl.load(path)
    assert repr(str(path)) in str(info.value) and not target.exists()
    # The payload is live: the unsafe mode does run it (whatever it then makes of the result).
    try:
        pydl.load(path, weights_only=False)
    except ALLOWED_ERRORS:
        pass
    assert target.exists()


def test_real_torch_pickle_of_a_payload_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    target = tmp_path / "pwned"
    torch.save({"ok": torch.ones(1), "bad": CreatesFile(target)}, tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL io.open"):
        pydl.load(tmp_path / "evil.pt")
    assert not target.exists()


@pytest.mark.parametrize("header", [
    b"\x80\x02cpydl._tensor\n_dtype_from_name\nX\x05\x00\x00\x00zerosq\x00\x85q\x01R.",  # getattr(_C, ..)
    b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.",
    b"\x80\x02cbuiltins\ngetattr\n.",
    b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x40\x85R.",  # bytearray(2**30): a memory bomb
    b"\x80\x02ccopyreg\n_reconstructor\n.",
])
def test_allow_list_entries_cannot_be_abused(header):
    records = zip_records(checkpoint_bytes([]))
    records["pydl_checkpoint/header.pkl"] = header
    with pytest.raises(pickle.UnpicklingError):
        pydl.load(io.BytesIO(make_zip(records)))


def test_weights_only_false_loads_custom_objects_and_true_refuses_them():
    data = checkpoint_bytes({"obj": Plain(pydl.ones(2)), "n": 1})
    out = pydl.load(io.BytesIO(data), weights_only=False)
    assert type(out["obj"]) is Plain and out["obj"].value.tolist() == [1.0, 1.0]
    with pytest.raises(pickle.UnpicklingError, match="Plain"):
        pydl.load(io.BytesIO(data))
    with pytest.raises(RuntimeError, match="pickle_module"):
        pydl.load(io.BytesIO(data), pickle_module=pickle)
    assert pydl.load(io.BytesIO(data), pickle_module=pickle, weights_only=False)["n"] == 1


# ------------------------------------------------------------------------------- atomic writes

def _dir_listing(path):
    return sorted(os.listdir(path))


def test_failure_midway_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    pydl.save({"v": pydl.ones(3)}, path)
    before = path.read_bytes()
    calls = []
    real = ser._write_record

    def failing(zf, name, data):
        calls.append(name)
        if name.startswith("pydl_checkpoint/storages/"):
            raise OSError("disk full")
        real(zf, name, data)
    monkeypatch.setattr(ser, "_write_record", failing)
    with pytest.raises(OSError, match="disk full"):
        pydl.save({"v": pydl.zeros(1000)}, path)
    assert calls and path.read_bytes() == before and _dir_listing(tmp_path) == ["ck.pt"]
    with pytest.raises(OSError, match="disk full"):
        pydl.save({"v": pydl.zeros(3)}, tmp_path / "new.pt")
    assert _dir_listing(tmp_path) == ["ck.pt"]


def test_failing_rename_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    pydl.save([1], path)
    before = path.read_bytes()

    def no_replace(src, dst):
        raise PermissionError("replace refused")
    monkeypatch.setattr(ser.os, "replace", no_replace)
    with pytest.raises(PermissionError):
        pydl.save([2], path)
    monkeypatch.undo()
    assert path.read_bytes() == before and _dir_listing(tmp_path) == ["ck.pt"] and pydl.load(path) == [1]


def test_atomic_write_modes_and_symlinks(tmp_path):
    umask = os.umask(0o022)
    try:
        pydl.save([1], tmp_path / "new.pt")
        assert stat.S_IMODE(os.stat(tmp_path / "new.pt").st_mode) == 0o644
        os.chmod(tmp_path / "new.pt", 0o600)
        pydl.save([2], tmp_path / "new.pt")
        assert stat.S_IMODE(os.stat(tmp_path / "new.pt").st_mode) == 0o600
    finally:
        os.umask(umask)
    os.symlink(tmp_path / "new.pt", tmp_path / "link.pt")
    pydl.save([3], tmp_path / "link.pt")
    assert os.path.islink(tmp_path / "link.pt") and pydl.load(tmp_path / "new.pt") == [3]


# ----------------------------------------------------------------------------- corrupted files

def _assert_clean_error(path, match=None, types=ALLOWED_ERRORS):
    with pytest.raises(types, match=match) as info:
        pydl.load(path)
    assert repr(str(path)) in str(info.value), info.value
    return info.value


def test_not_a_checkpoint(tmp_path):
    for name, data in [("text", b"hello, world\n" * 10), ("empty", b""), ("zip", make_zip({"x/y": b"1"})),
                       ("pickle", pickle.dumps({"a": 1}, protocol=2))]:
        (tmp_path / name).write_bytes(data)
        _assert_clean_error(tmp_path / name, match="not a pydl or PyTorch checkpoint", types=RuntimeError)
    with pytest.raises(FileNotFoundError):
        pydl.load(tmp_path / "missing.pt")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_checkpoints(tmp_path, fraction):
    data = checkpoint_bytes({"w": sample("float32", (32, 32)), "b": pydl.ones(3)})
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: int(len(data) * fraction)])
    _assert_clean_error(path)


def _rewrite(tmp_path, obj, edit):
    records = zip_records(checkpoint_bytes(obj))
    edit(records)
    path = tmp_path / "bad.pt"
    path.write_bytes(make_zip(records))
    return path


def test_corrupted_header_missing_record_and_bad_sizes(tmp_path):
    obj = {"w": pydl.ones(4, 4), "v": pydl.zeros(2, dtype=pydl.int64)}
    hdr = "pydl_checkpoint/header.pkl"
    garbage = _rewrite(tmp_path, obj, lambda r: r.update({hdr: b"\x80\x02}q\x00(X\xff\xff\xff\x7f"}))
    _assert_clean_error(garbage, types=pickle.UnpicklingError)
    half = _rewrite(tmp_path, obj, lambda r: r.update({hdr: r[hdr][: len(r[hdr]) // 2]}))
    _assert_clean_error(half, types=pickle.UnpicklingError)
    missing = _rewrite(tmp_path, obj, lambda r: r.pop("pydl_checkpoint/storages/0"))
    _assert_clean_error(missing, match="missing record", types=RuntimeError)
    short = _rewrite(tmp_path, obj, lambda r: r.update({"pydl_checkpoint/storages/0": b"\0" * 60}))
    _assert_clean_error(short, match="needs 64 bytes", types=ValueError)
    dtype = _rewrite(tmp_path, obj, lambda r: r.update({hdr: r[hdr].replace(b"float32", b"complex")}))
    _assert_clean_error(dtype, match="unknown dtype", types=pickle.UnpicklingError)
    endian = _rewrite(tmp_path, obj, lambda r: r.update({"pydl_checkpoint/byteorder": b"big"}))
    _assert_clean_error(endian, match="byteorder", types=RuntimeError)
    data = bytearray(checkpoint_bytes(obj))  # a flipped byte inside a storage fails its CRC check
    data[data.index(np.ones(16, np.float32).tobytes()) + 5] ^= 0xFF
    (tmp_path / "crc.pt").write_bytes(bytes(data))
    _assert_clean_error(tmp_path / "crc.pt", match="CRC", types=RuntimeError)


def test_torch_format_missing_or_short_storage(tmp_path):
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"a": torch.ones(4)}, buf)
    records = zip_records(buf.getvalue())
    key = next(n for n in records if n.endswith("/data/0"))
    (tmp_path / "short.pt").write_bytes(make_zip({**records, key: b"\0" * 8}))
    _assert_clean_error(tmp_path / "short.pt", match="holds 8 bytes", types=ValueError)
    del records[key]
    (tmp_path / "missing.pt").write_bytes(make_zip(records))
    _assert_clean_error(tmp_path / "missing.pt", match="missing record", types=RuntimeError)
    legacy = io.BytesIO()
    torch.save({"a": torch.ones(4)}, legacy, _use_new_zipfile_serialization=False)
    (tmp_path / "legacy.pt").write_bytes(legacy.getvalue()[:-6])
    _assert_clean_error(tmp_path / "legacy.pt", match="truncated", types=RuntimeError)


def test_random_corruption_never_crashes(tmp_path):
    x = pydl.arange(20, dtype=pydl.float32)
    data = checkpoint_bytes({"a": x, "b": x[3:].view(pydl.int16), "p": Parameter(pydl.ones(2))})
    records = zip_records(data)
    header = records["pydl_checkpoint/header.pkl"]
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(300):
        mutated = bytearray(header)
        for i in rng.integers(0, len(mutated), size=rng.integers(1, 4)):
            mutated[i] = rng.integers(0, 256)
        try:
            pydl.load(io.BytesIO(make_zip({**records, "pydl_checkpoint/header.pkl": bytes(mutated)})))
            outcomes.add("loaded")
        except ALLOWED_ERRORS as e:
            outcomes.add(type(e).__name__)
    assert "UnpicklingError" in outcomes


# --------------------------------------------------------------------------------- safetensors

def _safetensors_sample():
    x = sample("float32", (4, 6))
    out = {name: sample(name, (2, 3), seed=i) for i, name in enumerate(DTYPES)}
    out.update({"scalar": pydl.tensor(1.5), "empty": pydl.zeros(0, 4), "transposed": x.t()})
    return out


def test_safetensors_roundtrip_bytes_and_files(tmp_path):
    from pydl.utils import safetensors as st
    tensors = _safetensors_sample()
    st.save_file(tensors, tmp_path / "a.safetensors", metadata={"format": "pt"})
    for out in (st.load(st.save(tensors)), st.load_file(tmp_path / "a.safetensors"),
                st.load_file(str(tmp_path / "a.safetensors"), device=pydl.device("cpu"))):
        assert sorted(out) == sorted(tensors)
        for k, v in tensors.items():
            assert out[k].dtype == v.dtype and tuple(out[k].shape) == tuple(v.shape)
            np.testing.assert_array_equal(bits(out[k]), bits(v))
            assert out[k].is_contiguous()


def test_safetensors_interoperates_with_the_package(tmp_path):
    safetensors = pytest.importorskip("safetensors")
    torch = pytest.importorskip("torch")
    import safetensors.numpy
    import safetensors.torch
    from pydl.utils import safetensors as st
    tensors = _safetensors_sample()
    st.save_file(tensors, tmp_path / "mine.safetensors", metadata={"k": "v"})
    theirs = safetensors.torch.load_file(tmp_path / "mine.safetensors")
    with safetensors.safe_open(tmp_path / "mine.safetensors", framework="pt") as f:
        assert f.metadata() == {"k": "v"}
    for k, v in tensors.items():
        ref = theirs[k].view(torch.int16) if theirs[k].dtype == torch.bfloat16 else theirs[k]
        np.testing.assert_array_equal(ref.numpy(), bits(v))
    assert safetensors.torch.load(st.save(tensors)).keys() == tensors.keys()
    torch.manual_seed(0)
    ref = {"w": torch.randn(3, 4).to(torch.bfloat16), "i": torch.arange(5), "b": torch.tensor([True])}
    safetensors.torch.save_file(ref, tmp_path / "theirs.safetensors")
    for out in (st.load_file(tmp_path / "theirs.safetensors"), st.load(safetensors.torch.save(ref))):
        np.testing.assert_array_equal(bits(out["w"]), ref["w"].view(torch.int16).numpy())
        assert out["i"].tolist() == list(range(5)) and out["b"].tolist() == [True]
    safetensors.numpy.save_file({"n": np.arange(6.0).reshape(2, 3)}, tmp_path / "np.safetensors")
    np.testing.assert_array_equal(st.load_file(tmp_path / "np.safetensors")["n"].numpy(), np.arange(6.0).reshape(2, 3))


def test_safetensors_shared_memory_refused_but_disjoint_slices_allowed():
    from pydl.utils import safetensors as st
    x = pydl.arange(10, dtype=pydl.float32)
    with pytest.raises(RuntimeError, match="share memory"):
        st.save({"a": x, "b": x[2:5]})
    with pytest.raises(RuntimeError, match="share memory"):
        st.save({"a": x.reshape(2, 5), "t": x.reshape(2, 5).t()})
    out = st.load(st.save({"lo": x[:5], "hi": x[5:]}))
    assert out["hi"].tolist() == [5.0, 6.0, 7.0, 8.0, 9.0]
    with pytest.raises(ValueError, match="expected pydl.Tensor"):
        st.save({"a": np.ones(2)})
    with pytest.raises(TypeError, match="metadata"):
        st.save({"a": x}, metadata={"k": 1})


def test_safetensors_corrupted_files(tmp_path):
    from pydl.utils import safetensors as st
    good = st.save({"a": pydl.ones(4), "b": pydl.zeros(2, dtype=pydl.int64)})
    n = int.from_bytes(good[:8], "little")
    header = good[8:8 + n]
    cases = {
        "short": good[:5],
        "huge-length": (2 ** 40).to_bytes(8, "little") + good[8:],
        "truncated": good[:-3],
        "not-json": good[:8] + b"{" * n + good[8 + n:],
        "bad-offsets": good[:8] + header.replace(b"[0,16]", b"[0,12]").ljust(n) + good[8 + n:],
        "bad-dtype": good[:8] + header.replace(b'"F32"', b'"X32"') + good[8 + n:],
    }
    for name, data in cases.items():
        assert data != good
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match="safetensors") as info:
            st.load_file(tmp_path / name)
        assert repr(str(tmp_path / name)) in str(info.value)
        with pytest.raises(ValueError):
            st.load(data)
