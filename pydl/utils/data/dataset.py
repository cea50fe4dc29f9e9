"""Dataset classes: the map-style and iterable protocols and the standard wrappers around them.

Mirrors ``torch.utils.data.dataset``: ``Dataset``, ``IterableDataset``, ``TensorDataset``,
``StackDataset``, ``ConcatDataset``, ``ChainDataset`` and ``Subset``. ``random_split`` lives in
``split.py``.
"""
import bisect
from collections.abc import Iterable
from typing import Generic, TypeVar

T_co = TypeVar("T_co", covariant=True)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset"]


class Dataset(Generic[T_co]):
    """A map-style dataset: a mapping from keys (usually ``0..len-1``) to samples.

    Subclasses implement ``__getitem__`` and usually ``__len__`` (the default samplers and
    ``len(DataLoader)`` need it). They may also implement ``__getitems__(indices)`` to fetch a
    whole batch at once; the DataLoader then calls it instead of ``__getitem__`` per index.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    # No default __len__: returning a made-up length would be wrong, and Python's own TypeError
    # ("object of type ... has no len()") is the right signal when a sampler needs one.

    def __add__(self, other):
        """``a + b`` concatenates two map-style datasets (a ``ConcatDataset``)."""
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable):
    """A dataset that is a stream of samples: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker process iterates its own copy of the dataset, so the
    samples repeat unless ``__iter__`` shards the stream using ``get_worker_info()`` (its ``id``
    and ``num_workers``), exactly as in PyTorch.
    """

    def __add__(self, other):
        """``a + b`` chains two iterable datasets (a ``ChainDataset``)."""
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are tuples of the given tensors indexed along their first dimension.

    Every tensor must have the same size in dimension 0 (``AssertionError("Size mismatch between
    tensors")`` otherwise, the exception class PyTorch uses).
    """

    def __init__(self, *tensors):
        # An explicit raise rather than `assert`, so the check survives `python -O`.
        if not all(tensors[0].size(0) == t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """Zips several datasets of equal length into one.

    ``StackDataset(a, b)[i] == (a[i], b[i])`` and ``StackDataset(x=a, y=b)[i] ==
    {"x": a[i], "y": b[i]}``; positional and keyword datasets cannot be mixed.
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) "
                             "like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices):
        """Fetches a batch, delegating to each member's ``__getitems__`` where it has one."""
        def column(dataset):
            """One member's samples for ``indices``, batched when the member supports it."""
            getitems = getattr(dataset, "__getitems__", None)
            if not callable(getitems):
                return [dataset[i] for i in indices]
            items = getitems(indices)
            if len(items) != len(indices):
                raise ValueError("Nested dataset's output size mismatch."
                                 f" Expected {len(indices)}, got {len(items)}")
            return items

        if isinstance(self.datasets, dict):
            columns = {k: column(d) for k, d in self.datasets.items()}
            return [{k: c[j] for k, c in columns.items()} for j in range(len(indices))]
        columns = [column(d) for d in self.datasets]
        return [tuple(c[j] for c in columns) for j in range(len(indices))]

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """Concatenation of map-style datasets: index ``i`` goes to the dataset whose range holds it.

    ``cumulative_sizes[k]`` is the total length of the first ``k + 1`` datasets; a binary search
    over it finds the member, so lookups cost O(log #datasets). Negative indices count from the
    end, as for a list.
    """

    @staticmethod
    def cumsum(sequence):
        """Running totals of ``len()`` over ``sequence`` (``[len(a), len(a) + len(b), ...]``)."""
        totals, running = [], 0
        for dataset in sequence:
            running += len(dataset)
            totals.append(running)
        return totals

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        # bisect_right: an index equal to a boundary belongs to the *next* dataset.
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        offset = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - offset]


class ChainDataset(IterableDataset):
    """Chains iterable datasets: iterates each one in turn, lazily."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (``Subset(d, idx)[i] == d[idx[i]]``)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        """Fetches a batch, through the wrapped dataset's ``__getitems__`` when it has one."""
        mapped = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self):
        return len(self.indices)
