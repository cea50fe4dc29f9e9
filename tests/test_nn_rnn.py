"""nn.RNN / LSTM / GRU and their cells against torch (oracle): outputs, final states and every
gradient with torch's weights copied in, over layers, directions, batch_first, projections,
initial states, unbatched and packed inputs; gradcheck of the C++ recurrence in float64; errors
with torch's classes and messages."""
import numpy as np
import pytest

import pydl
from pydl import nn
from torch_oracle import check_outputs_and_grads, copy_weights

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def flat(out):
    """Every tensor in an RNN result, in order (output, h_n[, c_n])."""
    if hasattr(out, "batch_sizes"):  # PackedSequence (a tuple itself)
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [out]


def compare(tm, pm, make_inputs, rtol=1e-10, atol=1e-10):
    """Runs both modules on the same inputs, then backward of the same random weighted sum;
    checks outputs, input grads and parameter grads."""
    copy_weights(tm, pm)
    t_in, p_in, leaves_t, leaves_p = make_inputs()
    out_t, out_p = tm(*t_in), pm(*p_in)
    check_outputs_and_grads(tm, pm, flat(out_t), flat(out_p), zip(leaves_t, leaves_p), RNG, rtol, atol)


def leaf_pair(shape):
    x = RNG.standard_normal(shape)
    return torch.tensor(x, requires_grad=True), pydl.tensor(x, requires_grad=True)


LAYERS = ["RNN", "LSTM", "GRU"]
CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False},
    {"batch_first": True},
]


def make_pair(name, kw, input_size=4, hidden=5):
    t_cls, p_cls = getattr(torch.nn, name), getattr(nn, name)
    return t_cls(input_size, hidden, **kw).double(), p_cls(input_size, hidden, **kw).double()


def state_shapes(name, kw, batch, hidden=5, proj=0):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h = (layers, batch, proj or hidden)
    return [h, (layers, batch, hidden)] if name == "LSTM" else [h]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "default")
@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
def test_layer_matches_torch(name, kw, with_state):
    tm, pm = make_pair(name, kw)
    T, B = 6, 3
    shape = (B, T, 4) if kw.get("batch_first") else (T, B, 4)

    def inputs():
        xt, xp = leaf_pair(shape)
        leaves = [(xt, xp)]
        t_in, p_in = [xt], [xp]
        if with_state:
            states = [leaf_pair(s) for s in state_shapes(name, kw, B)]
            leaves += states
            ts, ps = [s[0] for s in states], [s[1] for s in states]
            t_in.append(tuple(ts) if name == "LSTM" else ts[0])
            p_in.append(tuple(ps) if name == "LSTM" else ps[0])
        return t_in, p_in, [a for a, _ in leaves], [b for _, b in leaves]
    compare(tm, pm, inputs)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_projection_matches_torch(bidirectional):
    kw = {"proj_size": 3, "num_layers": 2, "bidirectional": bidirectional}
    tm, pm = make_pair("LSTM", kw)

    def inputs():
        xt, xp = leaf_pair((5, 2, 4))
        (h_t, h_p), (c_t, c_p) = (leaf_pair(s) for s in state_shapes("LSTM", kw, 2, proj=3))
        return [xt, (h_t, c_t)], [xp, (h_p, c_p)], [xt, h_t, c_t], [xp, h_p, c_p]
    compare(tm, pm, inputs)
    assert sorted(pm.state_dict()) == sorted(tm.state_dict())


@pytest.mark.parametrize("name", LAYERS)
def test_relu_and_unbatched(name):
    kw = {"nonlinearity": "relu"} if name == "RNN" else {}
    tm, pm = make_pair(name, kw)

    def inputs():
        xt, xp = leaf_pair((7, 4))
        states = [leaf_pair(s[1:]) for s in state_shapes(name, kw, 1)]
        ts, ps = [s[0] for s in states], [s[1] for s in states]
        return ([xt, tuple(ts) if name == "LSTM" else ts[0]], [xp, tuple(ps) if name == "LSTM" else ps[0]],
                [xt] + ts, [xp] + ps)
    compare(tm, pm, inputs)


def test_float32_matches_torch():
    tm, pm = torch.nn.LSTM(8, 16, 2), nn.LSTM(8, 16, 2)
    copy_weights(tm, pm)
    x = RNG.standard_normal((10, 4, 8)).astype(np.float32)
    out_t, (h_t, c_t) = tm(torch.tensor(x))
    out_p, (h_p, c_p) = pm(pydl.tensor(x))
    for a, b in [(out_t, out_p), (h_t, h_p), (c_t, c_p)]:
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences_match_torch(name, enforce_sorted):
    rnn_utils = pytest.importorskip("pydl.nn.utils.rnn")
    kw = {"num_layers": 2, "bidirectional": True}
    tm, pm = make_pair(name, kw)
    lengths = [6, 4, 4, 1] if enforce_sorted else [3, 6, 1, 4]

    def inputs():
        xt, xp = leaf_pair((6, 4, 4))
        states = [leaf_pair(s) for s in state_shapes(name, kw, 4)]
        ts, ps = [s[0] for s in states], [s[1] for s in states]
        pt = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, enforce_sorted=enforce_sorted)
        pp = rnn_utils.pack_padded_sequence(xp, lengths, enforce_sorted=enforce_sorted)
        return ([pt, tuple(ts) if name == "LSTM" else ts[0]], [pp, tuple(ps) if name == "LSTM" else ps[0]],
                [xt] + ts, [xp] + ps)
    compare(tm, pm, inputs)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(name, batched):
    tm, pm = getattr(torch.nn, name)(4, 5).double(), getattr(nn, name)(4, 5).double()
    lead = (3,) if batched else ()

    def inputs():
        xt, xp = leaf_pair(lead + (4,))
        states = [leaf_pair(lead + (5,)) for _ in range(2 if name == "LSTMCell" else 1)]
        ts, ps = [s[0] for s in states], [s[1] for s in states]
        return ([xt, tuple(ts) if name == "LSTMCell" else ts[0]], [xp, tuple(ps) if name == "LSTMCell" else ps[0]],
                [xt] + ts, [xp] + ps)
    compare(tm, pm, inputs)
    copy_weights(tm, pm)  # and without a state: zeros
    x = RNG.standard_normal(lead + (4,))
    for a, b in zip(flat(tm(torch.tensor(x))), flat(pm(pydl.tensor(x)))):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("packed", [False, True])
def test_recurrence_gradcheck(mode, reverse, packed):
    """Finite differences in float64 through the C++ recurrence itself, every input at once."""
    H, gates = 3, {"LSTM": 4, "GRU": 3}.get(mode, 1)
    batch_sizes = [3, 2, 2, 1] if packed else None
    rows = sum(batch_sizes) if packed else None
    gx = pydl.randn(*((rows, gates * H) if packed else (4, 3, gates * H)), dtype=pydl.float64, requires_grad=True)
    h0 = pydl.randn(3, H, dtype=pydl.float64, requires_grad=True)
    c0 = pydl.randn(3, H, dtype=pydl.float64, requires_grad=True) if mode == "LSTM" else None
    w = pydl.randn(gates * H, H, dtype=pydl.float64, requires_grad=True)
    b = pydl.randn(gates * H, dtype=pydl.float64, requires_grad=True) if mode == "GRU" else None
    inputs = [t for t in (gx, h0, c0, w, b) if t is not None]

    def run(*args):
        it = iter(args)
        g, h = next(it), next(it)
        c = next(it) if mode == "LSTM" else None
        ww = next(it)
        bb = next(it) if mode == "GRU" else None
        return pydl._C._nn._rnn_layer(mode, g, h, c, ww, bb, None, batch_sizes, reverse)
    assert pydl.autograd.gradcheck(run, inputs)


def test_lstm_projection_gradcheck():
    gx = pydl.randn(4, 2, 16, dtype=pydl.float64, requires_grad=True)
    h0 = pydl.randn(2, 2, dtype=pydl.float64, requires_grad=True)
    c0 = pydl.randn(2, 4, dtype=pydl.float64, requires_grad=True)
    w_hh = pydl.randn(16, 2, dtype=pydl.float64, requires_grad=True)
    w_hr = pydl.randn(2, 4, dtype=pydl.float64, requires_grad=True)
    run = lambda g, h, c, w, r: pydl._C._nn._rnn_layer("LSTM", g, h, c, w, None, r, None, False)  # noqa: E731
    assert pydl.autograd.gradcheck(run, [gx, h0, c0, w_hh, w_hr])


def test_double_backward_raises_instead_of_a_wrong_answer():
    m = nn.GRU(3, 4).double()
    out, _ = m(pydl.randn(5, 2, 3, dtype=pydl.float64))
    with pytest.raises(NotImplementedError, match="double backward"):
        pydl.autograd.grad(out.sum(), m.weight_hh_l0, create_graph=True)


def test_dropout_between_layers_and_eval():
    pydl.manual_seed(0)
    m = nn.LSTM(4, 8, num_layers=2, dropout=0.5)
    x = pydl.randn(5, 2, 4)
    a, b = m(x)[0], m(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy()), "training mode drops between layers"
    m.eval()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())


def test_parameters_init_and_repr_like_torch():
    for name in LAYERS:
        tm = getattr(torch.nn, name)(4, 6, num_layers=2, bidirectional=True, batch_first=True)
        pm = getattr(nn, name)(4, 6, num_layers=2, bidirectional=True, batch_first=True)
        assert [(k, tuple(v.shape)) for k, v in pm.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
        assert repr(pm) == repr(tm)
        bound = 1 / np.sqrt(6)
        assert all(float(p.abs().max()) <= bound for p in pm.parameters())
        assert float(pm.weight_ih_l0.std()) > bound / 3  # really uniform in the bound, not zeros
    assert repr(nn.RNN(3, 4, nonlinearity="relu", dropout=0.0)) == repr(torch.nn.RNN(3, 4, nonlinearity="relu"))
    assert repr(nn.LSTMCell(3, 4, bias=False)) == repr(torch.nn.LSTMCell(3, 4, bias=False))


def check(call, exc, fragment=None):
    with pytest.raises(exc) as theirs:
        call(torch)
    with pytest.raises(exc) as ours:
        call(pydl)
    if fragment is not None:
        assert fragment in str(ours.value) and fragment in str(theirs.value), (str(ours.value), str(theirs.value))


ERRORS = [
    ("input_size", lambda m: m.nn.LSTM(4, 5)(m.zeros(3, 2, 3)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 4, got 3"),
    ("rank", lambda m: m.nn.GRU(4, 5)(m.zeros(3, 2, 4, 1)), ValueError, "GRU: Expected input to be 2D or 3D, got 4D instead"),
    ("hidden_size", lambda m: m.nn.GRU(4, 5)(m.zeros(3, 2, 4), m.zeros(1, 2, 6)), RuntimeError,
     "Expected hidden size (1, 2, 5), got [1, 2, 6]"),
    ("hidden_batch", lambda m: m.nn.RNN(4, 5, num_layers=2)(m.zeros(3, 2, 4), m.zeros(1, 2, 5)), RuntimeError,
     "Expected hidden size (2, 2, 5), got [1, 2, 5]"),
    ("cell_state", lambda m: m.nn.LSTM(4, 5)(m.zeros(3, 2, 4), (m.zeros(1, 2, 5), m.zeros(1, 2, 4))), RuntimeError,
     "Expected hidden[1] size (1, 2, 5), got [1, 2, 4]"),
    ("hx_rank", lambda m: m.nn.LSTM(4, 5)(m.zeros(3, 2, 4), (m.zeros(2, 5), m.zeros(2, 5))), RuntimeError,
     "For batched 3-D input, hx and cx should also be 3-D but got (2-D, 2-D) tensors"),
    ("dtype", lambda m: m.nn.LSTM(4, 5)(m.zeros(3, 2, 4, dtype=m.float64)), ValueError,
     "does not match weight dtype"),
    ("proj_gru", lambda m: m.nn.GRU(4, 5, proj_size=2), (ValueError, TypeError), None),
    ("proj_big", lambda m: m.nn.LSTM(4, 5, proj_size=5), ValueError, "proj_size has to be smaller than hidden_size"),
    ("dropout", lambda m: m.nn.LSTM(4, 5, dropout=1.5), ValueError, "dropout should be a number in range [0, 1]"),
    ("hidden0", lambda m: m.nn.LSTM(4, 0), ValueError, "hidden_size must be greater than zero"),
    ("layers0", lambda m: m.nn.LSTM(4, 5, num_layers=0), ValueError, "num_layers must be greater than zero"),
    ("nonlinearity", lambda m: m.nn.RNN(4, 5, nonlinearity="gelu"), ValueError, "Unknown nonlinearity 'gelu'"),
    ("cell_input", lambda m: m.nn.LSTMCell(4, 5)(m.zeros(2, 3)), RuntimeError,
     "input has inconsistent input_size: got 3 expected 4"),
    ("cell_hidden", lambda m: m.nn.GRUCell(4, 5)(m.zeros(2, 4), m.zeros(2, 6)), RuntimeError,
     "hidden0 has inconsistent hidden_size: got 6, expected 5"),
    ("cell_batch", lambda m: m.nn.RNNCell(4, 5)(m.zeros(2, 4), m.zeros(3, 5)), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    ("cell_rank", lambda m: m.nn.GRUCell(4, 5)(m.zeros(1, 2, 4)), ValueError, "GRUCell: Expected input to be 1D or 2D, got 3D instead"),
]


@pytest.mark.parametrize("name,call,exc,fragment", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_like_torch(name, call, exc, fragment):
    check(call, exc, fragment)


@pytest.mark.parametrize("bad", [
    lambda: pydl._C._nn._rnn_layer("LSTM", pydl.zeros(2, 3, 8), pydl.zeros(3, 2), None, pydl.zeros(8, 2), None, None,
                                   None, False),  # no cell state
    lambda: pydl._C._nn._rnn_layer("GRU", pydl.zeros(5, 6), pydl.zeros(3, 2), None, pydl.zeros(6, 2), None, None,
                                   [3, 3], False),  # batch sizes sum to 6, not 5 rows
    lambda: pydl._C._nn._rnn_layer("GRU", pydl.zeros(4, 6), pydl.zeros(2, 2), None, pydl.zeros(6, 2), None, None,
                                   [2, 3], False),  # growing batch sizes
    lambda: pydl._C._nn._rnn_layer("RNN_TANH", pydl.zeros(2, 3, 2), pydl.zeros(4, 2), None, pydl.zeros(2, 2), None,
                                   None, None, False),  # hx batch 4 vs 3
    lambda: pydl._C._nn._rnn_layer("LSTM", pydl.zeros(2, 3, 8, dtype=pydl.float16), pydl.zeros(3, 2, dtype=pydl.float16),
                                   pydl.zeros(3, 2, dtype=pydl.float16), pydl.zeros(8, 2, dtype=pydl.float16), None, None,
                                   None, False),
    lambda: pydl._C._nn._rnn_layer("LSTM2", pydl.zeros(2, 3, 8), pydl.zeros(3, 2), None, pydl.zeros(8, 2), None, None,
                                   None, False),
])
def test_private_entry_checks_instead_of_crashing(bad):
    with pytest.raises((RuntimeError, ValueError)):
        bad()
