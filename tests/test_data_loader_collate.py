"""default_collate / default_convert against torch.utils.data's, compared as plain structures."""
import collections

import numpy as np
import pytest

import pydl
from pydl.utils.data import default_collate, default_convert
from pydl.utils.data.collate import collate, default_collate_fn_map

torch = pytest.importorskip("torch")
from torch.utils.data import default_collate as torch_collate  # noqa: E402
from torch.utils.data import default_convert as torch_convert  # noqa: E402

Point = collections.namedtuple("Point", ["x", "y"])


def plain(obj):
    """Tensors of either library -> ("T", dtype name, shape, values); containers keep their type."""
    if isinstance(obj, (pydl.Tensor, torch.Tensor)):
        arr = obj.numpy()
        return ("T", str(obj.dtype).split(".")[-1], tuple(arr.shape), arr.tolist())
    if isinstance(obj, np.ndarray):
        return ("ndarray", str(obj.dtype), obj.tolist())
    if isinstance(obj, collections.abc.Mapping):
        return (type(obj).__name__, {k: plain(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(v) for v in obj])
    return (type(obj).__name__, obj)


def to_torch(obj):
    """The same samples with every pydl tensor swapped for a torch tensor (shared values)."""
    if isinstance(obj, pydl.Tensor):
        return torch.from_numpy(obj.numpy().copy())
    if isinstance(obj, Point):
        return Point(*(to_torch(v) for v in obj))
    if isinstance(obj, collections.OrderedDict):
        return collections.OrderedDict((k, to_torch(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


BATCHES = {
    "ints": [0, 1, 2],
    "floats": [0.5, 1.0, -2.25],
    "bools": [True, False, True],
    "strings": ["a", "bc"],
    "bytes": [b"a", b"b"],
    "np_f32_arrays": [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "np_int_arrays": [np.arange(3, dtype=np.int32), np.arange(3, 6, dtype=np.int32)],
    "np_bool_arrays": [np.array([True, False]), np.array([False, False])],
    "np_u8_arrays": [np.array([1, 2], np.uint8), np.array([3, 4], np.uint8)],
    "np_0d_arrays": [np.array(1.5), np.array(2.5)],
    "np_f32_scalars": [np.float32(1.5), np.float32(2.5)],
    "np_f64_scalars": [np.float64(1.5), np.float64(2.5)],
    "np_int_scalars": [np.int64(3), np.int64(4)],
    "np_bool_scalars": [np.bool_(True), np.bool_(False)],
    "tensors": [pydl.ones(2, 2), pydl.zeros(2, 2)],
    "int_tensors": [pydl.tensor([1, 2]), pydl.tensor([3, 4])],
    "scalar_tensors": [pydl.tensor(1.0), pydl.tensor(2.0)],
    "tuples": [(1, "a", 0.5), (2, "b", 1.5)],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"x": 1, "y": pydl.ones(2)}, {"x": 2, "y": pydl.zeros(2)}],
    "ordered": [collections.OrderedDict(b=1, a=2.0), collections.OrderedDict(b=3, a=4.0)],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"p": Point([1, 2], "s"), "q": (np.float32(1), [True])},
               {"p": Point([3, 4], "t"), "q": (np.float32(2), [False])}],
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_matches_torch(name):
    batch = BATCHES[name]
    assert plain(default_collate(batch)) == plain(torch_collate(to_torch(batch)))


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_convert_matches_torch(name):
    for sample in BATCHES[name]:
        assert plain(default_convert(sample)) == plain(torch_convert(to_torch(sample)))


def test_default_convert_leaves_string_arrays_and_numbers():
    arr = np.array(["a", "b"])
    assert default_convert(arr) is arr
    assert default_convert(3) == 3 and default_convert("s") == "s"
    assert plain(default_convert((np.arange(2), "x"))) == plain(torch_convert((np.arange(2), "x")))


def test_collate_stacks_a_copy():
    arrays = [np.arange(3.0), np.arange(3.0)]
    out = default_collate(arrays)
    arrays[0][0] = 99.0  # the batch owns its memory
    assert out.numpy()[0, 0] == 0.0 and out.dtype == pydl.float64


@pytest.mark.parametrize("batch", [[object(), object()], [None, None], [np.array(["a"]), np.array(["b"])],
                                   [np.array([object()]), np.array([object()])]])
def test_unsupported_types_raise_like_torch(batch):
    with pytest.raises(TypeError) as ours:
        default_collate(batch)
    with pytest.raises(TypeError) as theirs:
        torch_collate(batch)
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value).startswith("default_collate: batch must contain tensors, numpy arrays, "
                                      "numbers, dicts or lists; found ")


def test_unequal_sequences_raise_like_torch():
    batch = [[1, 2], [3]]
    with pytest.raises(RuntimeError, match="^each element in list of batch should be of equal size$"):
        default_collate(batch)
    with pytest.raises(RuntimeError, match="^each element in list of batch should be of equal size$"):
        torch_collate(batch)


def test_mapping_type_and_mutable_sequence_kept():
    dd = collections.defaultdict(list, {"a": 1})
    out = default_collate([dd, collections.defaultdict(list, {"a": 2})])
    assert isinstance(out, collections.defaultdict) and out.default_factory is list
    assert out["a"].tolist() == [1, 2]

    class MyList(list):
        pass

    out = default_collate([MyList([1, 2]), MyList([3, 4])])
    assert type(out) is MyList and [t.tolist() for t in out] == [[1, 3], [2, 4]]


def test_custom_collate_fn_map():
    class Box:
        def __init__(self, v):
            self.v = v

    fn_map = dict(default_collate_fn_map)
    fn_map[Box] = lambda batch, *, collate_fn_map=None: sum(b.v for b in batch)
    out = collate([{"b": Box(1), "t": 1.0}, {"b": Box(2), "t": 2.0}], collate_fn_map=fn_map)
    assert out["b"] == 3 and out["t"].dtype == pydl.float64
