"""Dataset classes and random_split: list/NumPy oracles, plus torch for split lengths and errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pydl
from pydl.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                             Subset, TensorDataset, random_split)


class ListDataset(Dataset):
    def __init__(self, items):
        self.items = list(items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = list(items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


class Batched(ListDataset):
    """Records batched fetches, to check that wrappers forward __getitems__."""

    def __init__(self, items):
        super().__init__(items)
        self.calls = []

    def __getitems__(self, indices):
        self.calls.append(list(indices))
        return [self.items[i] for i in indices]


def test_base_dataset_needs_getitem():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]


def test_tensor_dataset():
    x = pydl.arange(12.0).reshape(4, 3)
    y = pydl.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), x.numpy()[2])
    assert yi.item() == 0
    with pytest.raises(AssertionError, match="^Size mismatch between tensors$"):
        TensorDataset(x, pydl.zeros(5))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=5), st.data())
def test_concat_dataset_matches_list_concatenation(sizes, data):
    parts = [ListDataset(range(100 * k, 100 * k + n)) for k, n in enumerate(sizes)]
    flat = [x for p in parts for x in p.items]
    ds = ConcatDataset(parts)
    assert len(ds) == len(flat)
    assert ds.cumulative_sizes == list(np.cumsum(sizes))
    if flat:
        i = data.draw(st.integers(-len(flat), len(flat) - 1))
        assert ds[i] == flat[i]
    assert [ds[i] for i in range(len(flat))] == flat


def test_concat_dataset_errors_and_add():
    ds = ListDataset([1, 2]) + ListDataset([3])
    assert isinstance(ds, ConcatDataset) and [ds[i] for i in range(-3, 3)] == [1, 2, 3, 1, 2, 3]
    with pytest.raises(ValueError, match="^absolute value of index should not exceed dataset length$"):
        ds[-4]
    with pytest.raises(IndexError):
        ds[3]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Stream([1])])


def test_chain_dataset():
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [1, 2, 3] and len(chained) == 3
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(ChainDataset([ListDataset([1])]))


def test_subset_and_getitems_forwarding():
    base = Batched("abcdef")
    sub = Subset(base, [5, 0, 3])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == ["f", "a", "d"]
    assert sub.__getitems__([2, 0]) == ["d", "f"] and base.calls == [[3, 5]]
    plain = Subset(ListDataset("abc"), [2, 1])
    assert plain.__getitems__([0, 1]) == ["c", "b"]


def test_stack_dataset():
    a, b = ListDataset([1, 2, 3]), Batched("xyz")
    ds = StackDataset(a, b)
    assert len(ds) == 3 and ds[1] == (2, "y")
    assert ds.__getitems__([0, 2]) == [(1, "x"), (3, "z")] and b.calls == [[0, 2]]
    kw = StackDataset(num=a, ch=b)
    assert kw[2] == {"num": 3, "ch": "z"}
    assert kw.__getitems__([1]) == [{"num": 2, "ch": "y"}]
    with pytest.raises(ValueError, match="^Size mismatch between datasets$"):
        StackDataset(a, ListDataset([1]))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="but both types are given"):
        StackDataset(a, y=b)


def _torch():
    # torch is only the oracle here; the rest of the file runs without it.
    return pytest.importorskip("torch")


@pytest.mark.parametrize("n", [0, 1, 7, 10, 11, 99])
@pytest.mark.parametrize("fractions", [[0.5, 0.5], [0.3, 0.3, 0.4], [0.1] * 10, [1.0], [0.7, 0.2, 0.1],
                                       [1 / 3] * 3])
def test_random_split_fraction_lengths_match_torch(n, fractions):
    torch = _torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-length splits warn in both libraries
        ours = [len(s) for s in random_split(ListDataset(range(n)), fractions)]
        theirs = [len(s) for s in torch.utils.data.random_split(list(range(n)), fractions)]
    assert ours == theirs and sum(ours) == n


def test_random_split_partitions_deterministically():
    ds = ListDataset(range(20))
    splits = random_split(ds, [5, 10, 5], generator=pydl.Generator().manual_seed(11))
    again = random_split(ds, [5, 10, 5], generator=pydl.Generator().manual_seed(11))
    items = [[s[i] for i in range(len(s))] for s in splits]
    assert items == [[s[i] for i in range(len(s))] for s in again]
    assert sorted(x for part in items for x in part) == list(range(20))
    assert [len(p) for p in items] == [5, 10, 5]
    # The default generator is pydl's global one, so manual_seed makes it reproducible too.
    pydl.manual_seed(4)
    first = random_split(ds, [0.5, 0.5])[0].indices
    pydl.manual_seed(4)
    assert random_split(ds, [0.5, 0.5])[0].indices == first


def test_random_split_errors_match_torch():
    torch = _torch()
    for lengths in ([3, 3], [0.5, 0.6], [-0.5, 1.5]):
        with pytest.raises(ValueError) as ours:
            random_split(ListDataset(range(5)), lengths)
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.random_split(list(range(5)), lengths)
        assert str(ours.value) == str(theirs.value)
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(ListDataset(range(2)), [0.9, 0.1])
