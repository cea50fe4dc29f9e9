"""Dtype objects, promote_types, result_type and can_cast, with PyTorch as the oracle."""
import itertools

import pytest

import pydl

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
INFO = {  # name: (itemsize, is_floating_point, is_signed)
    "bool": (1, False, False), "uint8": (1, False, False), "int8": (1, False, True), "int16": (2, False, True),
    "int32": (4, False, True), "int64": (8, False, True), "float16": (2, True, True), "bfloat16": (2, True, True),
    "float32": (4, True, True), "float64": (8, True, True),
}
PAIRS = list(itertools.product(NAMES, NAMES))


def P(name):
    return getattr(pydl, name)


def T(name):
    return getattr(torch, name)


def name_of(d):
    """'float32' for pydl.float32 and torch.float32 alike."""
    return repr(d).split(".")[-1]


@pytest.fixture
def default_dtype_guard():
    old = pydl.get_default_dtype()
    yield
    pydl.set_default_dtype(old)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(name):
    d = P(name)
    assert isinstance(d, pydl.dtype)
    assert repr(d) == f"pydl.{name}"
    assert (d.itemsize, d.is_floating_point, d.is_signed) == INFO[name]
    t = T(name)
    assert (d.itemsize, d.is_floating_point, d.is_signed) == (t.itemsize, t.is_floating_point, t.is_signed)
    assert d == P(name) and hash(d) == hash(P(name))
    assert pydl.zeros(2, dtype=d).dtype == d
    assert pydl.zeros(2, dtype=d).element_size() == INFO[name][0]


@pytest.mark.parametrize("alias,name", [("float", "float32"), ("double", "float64"), ("half", "float16"),
                                        ("long", "int64"), ("int", "int32"), ("short", "int16")])
def test_dtype_aliases(alias, name):
    assert getattr(pydl, alias) is P(name) or getattr(pydl, alias) == P(name)
    assert name_of(getattr(torch, alias)) == name  # the alias means what it means in PyTorch


def test_dtypes_are_distinct():
    assert len({P(n) for n in NAMES}) == len(NAMES)
    assert all(P(a) != P(b) for a, b in PAIRS if a != b)


def test_promote_types_all_pairs():
    bad = [(a, b, name_of(pydl.promote_types(P(a), P(b))), name_of(torch.promote_types(T(a), T(b))))
           for a, b in PAIRS if name_of(pydl.promote_types(P(a), P(b))) != name_of(torch.promote_types(T(a), T(b)))]
    assert bad == []


def test_promote_types_is_symmetric_and_idempotent():
    for a, b in PAIRS:
        assert pydl.promote_types(P(a), P(b)) == pydl.promote_types(P(b), P(a))
        assert pydl.promote_types(P(a), P(a)) == P(a)


def test_can_cast_all_pairs():
    bad = [(a, b) for a, b in PAIRS if pydl.can_cast(P(a), P(b)) != torch.can_cast(T(a), T(b))]
    assert bad == []


def _make(lib, name, zero_dim):
    return lib.zeros(() if zero_dim else (2,), dtype=getattr(lib, name))


SCALARS = [True, False, 0, 3, -7, 2**40, 2.5, -0.0, float("inf")]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("zero_dim", [False, True], ids=["dim", "0d"])
def test_result_type_tensor_and_number(name, zero_dim):
    bad = []
    for s in SCALARS:
        for args_p, args_t in [((_make(pydl, name, zero_dim), s), (_make(torch, name, zero_dim), s)),
                               ((s, _make(pydl, name, zero_dim)), (s, _make(torch, name, zero_dim)))]:
            got, want = name_of(pydl.result_type(*args_p)), name_of(torch.result_type(*args_t))
            if got != want:
                bad.append((repr(s), got, want))
    assert bad == []


@pytest.mark.parametrize("za,zb", [(False, False), (False, True), (True, False), (True, True)])
def test_result_type_tensor_pairs(za, zb):
    bad = []
    for a, b in PAIRS:
        got = name_of(pydl.result_type(_make(pydl, a, za), _make(pydl, b, zb)))
        want = name_of(torch.result_type(_make(torch, a, za), _make(torch, b, zb)))
        if got != want:
            bad.append((a, b, got, want))
    assert bad == []


@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16"])
def test_result_type_follows_default_dtype(default, default_dtype_guard):
    old = torch.get_default_dtype()
    pydl.set_default_dtype(P(default))
    torch.set_default_dtype(T(default) if default != "bfloat16" else torch.float32)
    try:
        for name in NAMES:
            for zero_dim in (False, True):
                got = name_of(pydl.result_type(_make(pydl, name, zero_dim), 1.5))
                if default == "bfloat16":  # torch refuses bfloat16 as default: reason it out
                    want = name if INFO[name][1] else "bfloat16"
                else:
                    want = name_of(torch.result_type(_make(torch, name, zero_dim), 1.5))
                assert got == want, (name, zero_dim)
    finally:
        torch.set_default_dtype(old)


def test_result_type_two_numbers():
    for a, b in itertools.product([True, 2, 2.5], repeat=2):
        assert name_of(pydl.result_type(a, b)) == name_of(torch.result_type(a, b)), (a, b)


def test_result_type_rejects_non_numbers():
    with pytest.raises(TypeError):
        pydl.result_type(pydl.zeros(2), "x")
    with pytest.raises(TypeError):
        pydl.result_type(None, pydl.zeros(2))


def test_dtype_functions_reject_non_dtypes():
    with pytest.raises(TypeError):
        pydl.promote_types(pydl.float32, "float32")
    with pytest.raises(TypeError):
        pydl.can_cast(1, pydl.float32)


def test_default_dtype_get_set(default_dtype_guard):
    assert pydl.get_default_dtype() == pydl.float32
    for name in ["float64", "float16", "bfloat16", "float32"]:
        pydl.set_default_dtype(P(name))
        assert pydl.get_default_dtype() == P(name)


@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int16", "int32", "int64"])
def test_set_default_dtype_rejects_integers(name, default_dtype_guard):
    with pytest.raises(TypeError):
        pydl.set_default_dtype(P(name))
    assert pydl.get_default_dtype() == pydl.float32


def test_dtype_pickles():
    import copy
    import pickle
    for name in NAMES:
        assert pickle.loads(pickle.dumps(P(name))) == P(name)
        assert copy.deepcopy(P(name)) == P(name)
