"""Samplers: iterables of dataset indices (or of index batches) that drive a DataLoader.

Mirrors ``torch.utils.data.sampler``: ``Sampler``, ``SequentialSampler``, ``RandomSampler``,
``SubsetRandomSampler``, ``WeightedRandomSampler`` and ``BatchSampler``, with PyTorch's argument
checks and error messages. Random samplers draw from a ``pydl.Generator`` when given one, so the
same seed gives the same order.
"""
import itertools

import pydl

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]

# RandomSampler with replacement draws indices in chunks of this size: memory stays bounded for
# huge num_samples and the stream is produced lazily.
_REPLACEMENT_CHUNK = 32


def _fresh_generator():
    """A new Generator seeded from pydl's default RNG.

    Used when a sampler is given no generator: each epoch then gets a new order, yet setting
    ``pydl.manual_seed`` makes the whole run reproducible (PyTorch's behaviour).
    """
    seed = int(pydl.randint(0, 2 ** 63 - 1, ()).item())
    return pydl.Generator().manual_seed(seed)


def _is_int(value):
    """True for Python ints other than bools (``True`` is not a valid count)."""
    return isinstance(value, int) and not isinstance(value, bool)


class Sampler:
    """Base class of samplers: ``__iter__`` yields indices (or lists of indices for batch samplers).

    ``__len__`` is optional; DataLoader's ``len()`` needs it. ``data_source`` is accepted and
    ignored, as in PyTorch, for backward compatibility of subclasses that pass it up.
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Yields ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Yields random indices into ``data_source``.

    Without replacement it yields a random permutation (several back to back, then part of one,
    when ``num_samples > len(data_source)``); with replacement, ``num_samples`` independent uniform
    draws. ``num_samples`` defaults to ``len(data_source)``, read at iteration time so a growing
    dataset is followed.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        """How many indices one pass yields."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = self.generator if self.generator is not None else _fresh_generator()
        if self.replacement:
            full, rest = divmod(self.num_samples, _REPLACEMENT_CHUNK)
            for size in [_REPLACEMENT_CHUNK] * full + [rest]:
                yield from pydl.randint(0, n, (size,), dtype=pydl.int64, generator=generator).tolist()
        else:
            full, rest = divmod(self.num_samples, n)
            for _ in range(full):
                yield from pydl.randperm(n, generator=generator).tolist()
            # Drawn even when rest == 0, as PyTorch does, so a generator shared with other users
            # advances by the same number of draws per epoch in both libraries.
            yield from pydl.randperm(n, generator=generator).tolist()[:rest]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Yields the elements of ``indices`` in a random order (no replacement)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in pydl.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Yields ``num_samples`` indices in ``[0, len(weights))`` drawn with the given (unnormalized)
    probabilities, with or without replacement."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = pydl.as_tensor(weights, dtype=pydl.float64)
        if len(weights_tensor.shape) != 1:
            raise ValueError("weights should be a 1d sequence but given "
                             f"weights have shape {tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        yield from pydl.multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    The last, shorter batch is yielded unless ``drop_last`` is True.
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class _InfiniteConstantSampler(Sampler):
    """Yields ``None`` forever: the sampler behind an IterableDataset, whose samples need no index
    (the DataLoader just needs something to count batches with)."""

    def __iter__(self):
        while True:
            yield None
