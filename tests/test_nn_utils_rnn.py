"""pydl.nn.utils.rnn against torch.nn.utils.rnn: packed/padded values, indices, gradients and errors."""
import numpy as np
import pytest

import pydl
from pydl.nn.utils import rnn

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

LIBS = {"pydl": (pydl, rnn), "torch": (torch, trnn)}


def both(array, requires_grad=False):
    """The same float64 values as a (pydl, torch) pair of leaf tensors."""
    array = np.asarray(array, dtype=np.float64)
    return (pydl.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad))


def check(ours, theirs):
    """Same values; an index tensor must also be int64 (None must match None)."""
    if theirs is None:
        assert ours is None
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    if theirs.dtype == torch.int64:
        assert ours.dtype == pydl.int64
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=0)


def check_packed(ours, theirs):
    assert isinstance(ours, rnn.PackedSequence) and isinstance(ours, tuple)
    for field in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
        check(getattr(ours, field), getattr(theirs, field))
    assert ours.batch_sizes.device.type == "cpu"


def padded_input(lengths, batch_first, trailing):
    steps = max(lengths) + 1  # one all-padding step: packing must drop it
    shape = (len(lengths), steps) if batch_first else (steps, len(lengths))
    return np.random.default_rng(0).standard_normal(shape + trailing)


CASES = [([4, 3, 3, 1], True), ([4, 3, 3, 1], False), ([2, 4, 1, 4, 3], False), ([1], True)]


@pytest.mark.parametrize("lengths,enforce_sorted", CASES)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 3)])
def test_pack_then_pad_matches_torch_with_grads(lengths, enforce_sorted, batch_first, trailing):
    array = padded_input(lengths, batch_first, trailing)
    x, tx = both(array, requires_grad=True)
    # lengths as a list for pydl and as a CPU tensor for torch: both forms are accepted.
    packed = rnn.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    tpacked = trnn.pack_padded_sequence(tx, torch.tensor(lengths), batch_first=batch_first,
                                        enforce_sorted=enforce_sorted)
    check_packed(packed, tpacked)
    total = array.shape[1 if batch_first else 0] + 1
    padded, out_lengths = rnn.pad_packed_sequence(packed, batch_first, padding_value=-1.5, total_length=total)
    tpadded, tout_lengths = trnn.pad_packed_sequence(tpacked, batch_first, padding_value=-1.5,
                                                     total_length=total)
    check(padded, tpadded)
    check(out_lengths, tout_lengths)
    assert out_lengths.device.type == "cpu"
    # Weighted sums of both outputs reach the padded input through pack and pad.
    rng = np.random.default_rng(1)
    w, tw = both(rng.standard_normal(tuple(tpadded.shape)))
    v, tv = both(rng.standard_normal(tuple(tpacked.data.shape)))
    ((padded * w).sum() + (packed.data * v).sum()).backward()
    ((tpadded * tw).sum() + (tpacked.data * tv).sum()).backward()
    check(x.grad, tx.grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (2,)])
def test_pad_sequence_matches_torch_with_grads(batch_first, padding_side, trailing):
    rng = np.random.default_rng(2)
    pairs = [both(rng.standard_normal((n,) + trailing), requires_grad=True) for n in (3, 5, 1)]
    out = rnn.pad_sequence([p for p, _ in pairs], batch_first, 7.0, padding_side)
    tout = trnn.pad_sequence([t for _, t in pairs], batch_first, 7.0, padding_side)
    check(out, tout)
    w, tw = both(rng.standard_normal(tuple(tout.shape)))
    (out * w).sum().backward()
    (tout * tw).sum().backward()
    for p, t in pairs:
        check(p.grad, t.grad)


def test_pad_sequence_keeps_first_dtype_and_truncates_padding_value():
    seqs = [np.array([1, 2, 3]), np.array([4])]
    out = rnn.pad_sequence([pydl.tensor(s) for s in seqs], padding_value=2.7)
    tout = trnn.pad_sequence([torch.tensor(s) for s in seqs], padding_value=2.7)
    assert out.dtype == pydl.int64
    check(out, tout)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_unpack_unpad_sequence_with_grads(enforce_sorted):
    rng = np.random.default_rng(3)
    sizes = (4, 2, 2) if enforce_sorted else (2, 4, 1)
    pairs = [both(rng.standard_normal((n, 3)), requires_grad=True) for n in sizes]
    packed = rnn.pack_sequence([p for p, _ in pairs], enforce_sorted=enforce_sorted)
    tpacked = trnn.pack_sequence([t for _, t in pairs], enforce_sorted=enforce_sorted)
    check_packed(packed, tpacked)
    pieces, tpieces = rnn.unpack_sequence(packed), trnn.unpack_sequence(tpacked)
    assert len(pieces) == len(tpieces)
    for piece, tpiece, (p, _) in zip(pieces, tpieces, pairs):
        check(piece, tpiece)
        check(piece, p)
    # Gradients flow from the unpacked pieces back through the packed data to each input sequence.
    scale = [2.0, -1.0, 0.5]
    sum(piece.sum() * s for piece, s in zip(pieces, scale)).backward()
    sum(tpiece.sum() * s for tpiece, s in zip(tpieces, scale)).backward()
    for p, t in pairs:
        check(p.grad, t.grad)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch_and_leaves_input_alone(batch_first):
    array = padded_input([3, 1, 2], batch_first, (2,))
    x, tx = both(array)
    pieces = rnn.unpad_sequence(x, pydl.tensor([3, 1, 2]), batch_first)
    tpieces = trnn.unpad_sequence(tx.clone(), torch.tensor([3, 1, 2]), batch_first)
    for piece, tpiece in zip(pieces, tpieces):
        check(piece, tpiece)
    assert tuple(x.shape) == array.shape
    with pytest.raises(ValueError):
        rnn.unpad_sequence(x, [1, 1], batch_first)


def test_invert_permutation():
    perm = [2, 0, 3, 1]
    check(rnn.invert_permutation(pydl.tensor(perm)), trnn.invert_permutation(torch.tensor(perm)))
    assert rnn.invert_permutation(None) is None


def test_packed_sequence_class():
    packed = rnn.pack_padded_sequence(pydl.ones(3, 2), [3, 1], enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert packed._fields == trnn.PackedSequence._fields
    assert packed.to(pydl.float32) is packed and packed.float() is packed and packed.cpu() is packed
    double = packed.double()
    assert double.data.dtype == pydl.float64 and double.batch_sizes is batch_sizes
    assert double.sorted_indices is sorted_indices and packed.long().data.dtype == pydl.int64
    assert not packed.is_cuda and not packed.is_pinned()
    # The (data, batch_sizes) pair form, and unsorted_indices derived from sorted_indices.
    rebuilt = rnn.PackedSequence((data, batch_sizes), sorted_indices=sorted_indices)
    check(rebuilt.unsorted_indices, torch.tensor(unsorted_indices.tolist()))
    assert rnn.PackedSequence(data, batch_sizes).unsorted_indices is None
    from pydl.nn.utils import PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence
    assert (PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence) == (
        rnn.PackedSequence, rnn.pack_padded_sequence, rnn.pack_sequence, rnn.pad_packed_sequence, rnn.pad_sequence)


def _ones(lib, *shape):
    return lib[0].ones(*shape)


ERRORS = {
    "unsorted": lambda lib: lib[1].pack_padded_sequence(_ones(lib, 3, 2), [1, 2]),
    "zero_length": lambda lib: lib[1].pack_padded_sequence(_ones(lib, 3, 2), [2, 0]),
    "zero_first_unsorted": lambda lib: lib[1].pack_padded_sequence(_ones(lib, 3, 2), [0, 2]),
    "zero_length_unsorted": lambda lib: lib[1].pack_padded_sequence(_ones(lib, 3, 2), [1, 0], enforce_sorted=False),
    "too_many_lengths": lambda lib: lib[1].pack_padded_sequence(_ones(lib, 3, 2), [2, 1, 1]),
    "lengths_2d": lambda lib: lib[1].pack_padded_sequence(_ones(lib, 3, 2), lib[0].tensor([[2, 1]])),
    "empty_input": lambda lib: lib[1].pack_padded_sequence(_ones(lib, 0, 2), [1, 1]),
    "total_length": lambda lib: lib[1].pad_packed_sequence(
        lib[1].pack_padded_sequence(_ones(lib, 3, 2), [3, 1]), total_length=2),
    "pad_empty": lambda lib: lib[1].pad_sequence([]),
    "pack_empty": lambda lib: lib[1].pack_sequence([]),
    "pad_side": lambda lib: lib[1].pad_sequence([_ones(lib, 2)], padding_side="middle"),
    "pad_not_iterable": lambda lib: lib[1].pad_sequence(3),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    with pytest.raises(Exception) as theirs:
        ERRORS[name](LIBS["torch"])
    with pytest.raises(Exception) as ours:
        ERRORS[name](LIBS["pydl"])
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


def test_errors_without_a_torch_counterpart():
    # torch would build a PackedSequence whose batch_sizes do not match its data.
    with pytest.raises(RuntimeError, match="at most the padded length 3"):
        rnn.pack_padded_sequence(pydl.ones(3, 2), [4, 1])
    # torch reports an index_select error here (the batch is sorted before the length check).
    with pytest.raises(RuntimeError, match="equal to batch_size, but got 3"):
        rnn.pack_padded_sequence(pydl.ones(3, 2), [2, 1, 1], enforce_sorted=False)
    with pytest.raises(RuntimeError, match="must match|expand|size"):
        rnn.pad_sequence([pydl.ones(2, 3), pydl.ones(2, 4)])
