"""``random_split``: partition a dataset into non-overlapping random subsets."""
import itertools
import math
import warnings

import pydl

from .dataset import Subset

__all__ = ["random_split"]


def _lengths_from_fractions(n, fractions):
    """Turns fractions summing to 1 into integer lengths summing to ``n``, PyTorch's way.

    Each split gets ``floor(n * frac)`` items; the items left over are handed out one at a time,
    round-robin from the first split. (Not largest-remainder: PyTorch's rule, which we match so
    the same fractions give the same lengths in both libraries.)
    """
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(int(math.floor(n * frac)))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. "
                          f"This might result in an empty dataset.", stacklevel=3)
    return lengths


def random_split(dataset, lengths, generator=None):
    """Randomly splits ``dataset`` into ``Subset``s of the given lengths.

    ``lengths`` is either integer lengths summing to ``len(dataset)`` or fractions summing to 1
    (converted with PyTorch's rounding rule, see ``_lengths_from_fractions``). The permutation is
    drawn with ``pydl.randperm(len(dataset), generator=generator)``; ``generator=None`` uses pydl's
    default generator (PyTorch's default is ``torch.default_generator``, the same thing).

    Returns a list of ``Subset``s, one per length, in order.
    """
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _lengths_from_fractions(len(dataset), lengths)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = pydl.randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, indices[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]
