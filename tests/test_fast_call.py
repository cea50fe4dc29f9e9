"""Entry points bound through python/fast_call.h parse arguments like PyTorch, and the autograd
records and tensors that lost their separate heap blocks keep their semantics."""
import pytest

import pydl

torch = pytest.importorskip("torch")

REQUIRES_GRAD_CALLS = [((1,), {}), ((), {"requires_grad": False}), ((True, True), {}), ((), {"foo": 1}),
                       (("x",), {}), ((None,), {}), ((True,), {"requires_grad": True}), ((), {})]


def outcome(f):
    try:
        r = f()
        return "ok", r
    except Exception as e:  # noqa: BLE001 - the class and message are what is compared
        return type(e).__name__, str(e)


@pytest.mark.parametrize("args,kwargs", REQUIRES_GRAD_CALLS)
def test_requires_grad_arguments_match_torch(args, kwargs):
    results = []
    for lib in (pydl, torch):
        a = lib.randn(2)
        kind, r = outcome(lambda: a.requires_grad_(*args, **kwargs))
        results.append((kind, (r is a, r.requires_grad) if kind == "ok" else r))
    assert results[0] == results[1]


PRODUCT_CALLS = [("mv", lambda lib, m, v: lib.mv(m)), ("mv", lambda lib, m, v: lib.mv(m, v, v)),
                 ("mv", lambda lib, m, v: lib.mv(m, 3)), ("mv", lambda lib, m, v: lib.mv(m, vec=v)),
                 ("mv", lambda lib, m, v: lib.mv(m, v, out=3)), ("mv", lambda lib, m, v: lib.mv(m, v, bad=1)),
                 ("mv", lambda lib, m, v: lib.mv(m, v, input=m)), ("mm", lambda lib, m, v: lib.mm(input=m, mat2=m))]


@pytest.mark.parametrize("case", range(len(PRODUCT_CALLS)))
def test_product_arguments_match_torch(case):
    _, call = PRODUCT_CALLS[case]
    results = []
    for lib in (pydl, torch):
        m, v = lib.ones(3, 3), lib.ones(3)
        kind, r = outcome(lambda: call(lib, m, v))
        results.append((kind, r.tolist() if kind == "ok" else r))
    assert results[0] == results[1]


def test_product_out_returns_out():
    m, v, o = pydl.ones(3, 3), pydl.ones(3), pydl.empty(3)
    assert pydl.mv(m, v, out=o) is o and o.tolist() == [3.0, 3.0, 3.0]


def test_rebinding_a_tensor_releases_its_old_memory():
    x = pydl.zeros(1 << 20)
    before = pydl.cpu.memory_allocated()
    x.data = pydl.zeros(4)
    assert pydl.cpu.memory_allocated() <= before - 4 * (1 << 20) + 64


def test_views_share_a_fresh_tensors_version_counter():
    x = pydl.zeros(4)
    v = x[1:]
    v.add_(1)
    assert x._version == v._version == 1


def test_nodes_with_many_inputs_and_outputs():
    xs = [pydl.randn(2, dtype=pydl.float64, requires_grad=True) for _ in range(5)]
    parts = pydl.cat(xs).split(1)
    (parts[0] * 1 + parts[7] * 3 + parts[9] * 5).sum().backward()
    assert [x.grad.tolist() for x in xs] == [[1, 0], [0, 0], [0, 0], [0, 3], [0, 5]]
