"""Packing and padding of variable-length sequences, with torch.nn.utils.rnn's names and semantics.

Everything is composed from differentiable tensor ops (``cat``, ``index_select``, slicing), so gradients
flow between padded and packed layouts.  Lengths and batch sizes are bookkeeping kept as Python ints;
each layout change is one ``index_select`` with an index built from them, never a copy through numpy.
"""
from collections import namedtuple
from collections.abc import Iterable

from ... import _C

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _bind(optional, fn):
    return None if optional is None else fn(optional)


def _index(values, device):
    return _C.tensor(values, dtype=_C.int64, device=device)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Holds the ``data`` and the list of ``batch_sizes`` of a packed sequence (as torch's PackedSequence).

    ``data`` has shape ``(sum(lengths), *)`` and holds the sequences time step by time step: all batch
    elements' step 0 (longest sequence first), then step 1, ...  ``batch_sizes[t]`` is how many sequences
    are still running at step ``t``; it is always an int64 CPU tensor.  ``sorted_indices`` (the batch
    order used for packing) and ``unsorted_indices`` (its inverse) are int64 tensors on ``data``'s device,
    or None when the input was already sorted.  Build instances with :func:`pack_padded_sequence` or
    :func:`pack_sequence` rather than by hand.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            # torch also accepts the (data, batch_sizes) pair as the first argument.
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                "manually. They should be instantiated by functions like pack_sequence and "
                "pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        # As torch: an unchanged ``data`` returns ``self``; otherwise the indices follow data's device
        # (batch_sizes stays on the CPU).
        if data is self.data:
            return self
        move = lambda t: t.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, move),
                          _bind(self.unsorted_indices, move))

    def to(self, *args, **kwargs):
        """Dtype and/or device conversion of ``data``, with Tensor.to's signature."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cuda(self, *args, **kwargs):
        """Moves ``data`` (and the indices) to a CUDA device."""
        return self._with_data(self.data.cuda(*args, **kwargs))

    def cpu(self, *args, **kwargs):
        """Moves ``data`` (and the indices) to the CPU."""
        return self._with_data(self.data.cpu(*args, **kwargs))

    def double(self):
        return self.to(dtype=_C.float64)

    def float(self):
        return self.to(dtype=_C.float32)

    def half(self):
        return self.to(dtype=_C.float16)

    def long(self):
        return self.to(dtype=_C.int64)

    def int(self):
        return self.to(dtype=_C.int32)

    def short(self):
        return self.to(dtype=_C.int16)

    def char(self):
        return self.to(dtype=_C.int8)

    def byte(self):
        return self.to(dtype=_C.uint8)

    @property
    def is_cuda(self):
        """True if ``data`` is stored on a GPU."""
        return self.data.is_cuda

    def is_pinned(self):
        """True if ``data`` is in pinned memory (always False where pydl has no pinned memory)."""
        is_pinned = getattr(self.data, "is_pinned", None)
        return bool(is_pinned()) if is_pinned is not None else False


def invert_permutation(permutation):
    """Returns the inverse of the 1-D index tensor ``permutation`` (None for None)."""
    if permutation is None:
        return None
    output = _C.empty_like(permutation)
    output.scatter_(0, permutation, _C.arange(0, permutation.numel(), device=permutation.device))
    return output


def _lengths_list(lengths):
    """``lengths`` (list or tensor) as Python ints, with torch's check on a tensor's shape and device."""
    if isinstance(lengths, _C.Tensor):
        lengths = lengths.to(dtype=_C.int64)
    else:
        lengths = _C.as_tensor(lengths, dtype=_C.int64)
    if lengths.dim() != 1 or lengths.device.type != "cpu":
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lengths.dim()}D {lengths.device} Long tensor")
    return lengths.tolist()


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch of variable-length sequences into a :class:`PackedSequence`.

    ``input`` is ``T x B x *`` (``B x T x *`` if ``batch_first``) and ``lengths`` (a list or a 1-D CPU
    tensor) gives each sequence's length.  With ``enforce_sorted=True`` the lengths must be decreasing;
    otherwise the batch is sorted first and the permutation is kept in ``sorted_indices``.
    """
    lengths = _lengths_list(lengths)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    steps, batch = (input.size(1), input.size(0)) if batch_first else (input.size(0), input.size(1))
    if len(lengths) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={batch})")
    if enforce_sorted:
        order, sorted_indices = list(range(batch)), None
    else:
        # Python's sort is stable, so equal lengths keep their batch order (as torch's CPU sort does).
        order = sorted(range(batch), key=lambda b: -lengths[b])
        sorted_indices = _index(order, input.device)
    lengths = [lengths[b] for b in order]
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in "
                           "'lengths' that is <= 0")
    if any(a < b for a, b in zip(lengths, lengths[1:])):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
            "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
            "requirement if you do not need ONNX exportability.")
    if lengths[0] > steps:
        # torch silently builds a PackedSequence whose batch_sizes disagree with its data here.
        raise RuntimeError(f"Expected all lengths to be at most the padded length {steps}, but got "
                           f"{lengths[0]}")
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0])]
    # Row of (step t, batch element b) in ``input`` viewed as a (T*B, *) or (B*T, *) table; the
    # sort is folded into the same gather.
    row = (lambda t, b: b * steps + t) if batch_first else (lambda t, b: t * batch + b)
    index = [row(t, order[s]) for t, n in enumerate(batch_sizes) for s in range(n)]
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat.index_select(0, _index(index, input.device))
    return PackedSequence(data, _index(batch_sizes, "cpu"), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Pads a :class:`PackedSequence` back into a batch; the inverse of :func:`pack_padded_sequence`.

    Returns ``(padded, lengths)``: ``padded`` is ``T x B x *`` (``B x T x *`` if ``batch_first``) with
    ``padding_value`` past each sequence's end, where ``T`` is the longest length or ``total_length``;
    ``lengths`` is an int64 CPU tensor.  The batch is in its original (pre-sorting) order.
    """
    batch_sizes = sequence.batch_sizes.tolist()
    max_seq_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being "
                             f"{max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = batch_sizes[0]
    # Gather from data with one padding row appended: padded positions all read that extra row.
    pad_row = data.shape[0]
    offsets = [0]
    for n in batch_sizes:
        offsets.append(offsets[-1] + n)

    def source(t, b):
        return offsets[t] + b if t < len(batch_sizes) and b < batch_sizes[t] else pad_row

    if batch_first:
        index = [source(t, b) for b in range(batch) for t in range(max_seq_length)]
        shape = (batch, max_seq_length)
    else:
        index = [source(t, b) for t in range(max_seq_length) for b in range(batch)]
        shape = (max_seq_length, batch)
    table = _C.cat([data, data.new_full((1, *data.shape[1:]), padding_value)])
    padded = table.index_select(0, _index(index, data.device)).reshape(*shape, *data.shape[1:])
    lengths = [sum(1 for n in batch_sizes if n > b) for b in range(batch)]
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted_indices)
        lengths = [lengths[i] for i in unsorted_indices.tolist()]
    return padded, _index(lengths, "cpu")


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks a list of ``L_i x *`` tensors into one ``T x B x *`` (``B x T x *`` if ``batch_first``)
    tensor, padding each to the longest length ``T`` with ``padding_value`` on ``padding_side``
    (``'right'`` or ``'left'``).  The result has the dtype, device and trailing shape of the first tensor.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    lengths = [s.size(0) for s in sequences]
    steps = max(lengths)
    # Like torch's copy into the output, each sequence is cast to the first one's dtype and device and
    # broadcast to its trailing shape; one extra row at the end serves every padded position.
    parts = [s.to(device=first.device, dtype=first.dtype).expand(n, *trailing)
             for s, n in zip(sequences, lengths)]
    parts.append(first.new_full((1, *trailing), padding_value))
    table = _C.cat(parts)
    pad_row = table.shape[0] - 1
    starts = [0]
    for n in lengths:
        starts.append(starts[-1] + n)

    def source(t, b):
        skip = steps - lengths[b] if padding_side == "left" else 0
        return starts[b] + t - skip if skip <= t < skip + lengths[b] else pad_row

    if batch_first:
        index = [source(t, b) for b in range(len(sequences)) for t in range(steps)]
        shape = (len(sequences), steps)
    else:
        index = [source(t, b) for t in range(steps) for b in range(len(sequences))]
        shape = (steps, len(sequences))
    return table.index_select(0, _index(index, first.device)).reshape(*shape, *trailing)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into a list of variable-length tensors, the inverse of
    :func:`pad_sequence` (right padding).  ``lengths`` is a tensor or list of the original lengths.
    """
    # torch transposes ``padded_sequences`` in place here; slicing leaves the caller's tensor alone.
    lengths = lengths.tolist() if isinstance(lengths, _C.Tensor) else list(lengths)
    batch = padded_sequences.size(0 if batch_first else 1)
    if len(lengths) != batch:
        raise ValueError(f"Expected {batch} lengths (the batch size), but got {len(lengths)}")
    if batch_first:
        return [padded_sequences[b, :n] for b, n in enumerate(lengths)]
    return [padded_sequences[:n, b] for b, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of ``L_i x *`` tensors into a :class:`PackedSequence`; ``pad_sequence`` followed by
    ``pack_padded_sequence``.  With ``enforce_sorted=True`` the list must be in decreasing length order.
    """
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Unpacks a :class:`PackedSequence` into the list of variable-length tensors it was packed from."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
