"""Samplers: distribution/permutation properties with NumPy oracles, argument errors against torch."""
import collections

import numpy as np
import pytest

import pydl
from pydl.utils.data import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                             SubsetRandomSampler, WeightedRandomSampler)


def _torch():
    return pytest.importorskip("torch")


def _same_error(ours_fn, theirs_fn):
    """Both calls raise the same exception class with the same message."""
    with pytest.raises(Exception) as ours:
        ours_fn()
    with pytest.raises(Exception) as theirs:
        theirs_fn()
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


def test_sequential_and_base():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3] and len(SequentialSampler("abc")) == 3
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_random_sampler_permutation_and_generator():
    data = range(10)
    order = list(RandomSampler(data, generator=pydl.Generator().manual_seed(5)))
    assert sorted(order) == list(range(10)) and order != list(range(10))
    assert order == list(RandomSampler(data, generator=pydl.Generator().manual_seed(5)))
    # The same pydl generator semantics as randperm: the first epoch is randperm(10) itself.
    assert order == pydl.randperm(10, generator=pydl.Generator().manual_seed(5)).tolist()
    # Without a generator each pass differs, but pydl.manual_seed makes the sequence repeatable.
    pydl.manual_seed(1)
    a, b = list(RandomSampler(data)), list(RandomSampler(data))
    pydl.manual_seed(1)
    assert a != b and [list(RandomSampler(data)), list(RandomSampler(data))] == [a, b]


def test_random_sampler_num_samples_without_replacement():
    s = RandomSampler(range(4), num_samples=10, generator=pydl.Generator().manual_seed(0))
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    # Two full permutations, then part of a third.
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3] and len(set(out[8:])) == 2


def test_random_sampler_with_replacement():
    s = RandomSampler(range(5), replacement=True, num_samples=5000, generator=pydl.Generator().manual_seed(2))
    counts = np.bincount(list(s), minlength=5)
    assert counts.sum() == 5000 and set(range(5)) == {i for i in range(5) if counts[i]}
    assert np.all(np.abs(counts / 5000 - 0.2) < 0.03)
    assert len(list(RandomSampler(range(3), replacement=True, num_samples=70))) == 70  # 2 chunks + 6


@pytest.mark.parametrize("kwargs", [{"replacement": 1}, {"num_samples": 0}, {"num_samples": -2},
                                    {"num_samples": 1.5}])
def test_random_sampler_errors_match_torch(kwargs):
    torch = _torch()
    _same_error(lambda: RandomSampler(range(3), **kwargs),
                lambda: torch.utils.data.RandomSampler(range(3), **kwargs))


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    out = list(SubsetRandomSampler(idx, generator=pydl.Generator().manual_seed(3)))
    assert sorted(out) == idx and len(SubsetRandomSampler(idx)) == 4
    perm = pydl.randperm(4, generator=pydl.Generator().manual_seed(3)).tolist()
    assert out == [idx[i] for i in perm]


def test_weighted_sampler_with_replacement_follows_weights():
    w = [1.0, 0.0, 3.0, 6.0]
    s = WeightedRandomSampler(w, 20000, generator=pydl.Generator().manual_seed(0))
    counts = np.bincount(list(s), minlength=4)
    assert counts[1] == 0  # zero weight: never drawn
    np.testing.assert_allclose(counts / 20000, np.array(w) / 10, atol=0.015)
    def fresh():
        return list(WeightedRandomSampler(w, 50, generator=pydl.Generator().manual_seed(9)))
    assert fresh() == fresh()


def test_weighted_sampler_without_replacement():
    w = pydl.tensor([0.0, 1.0, 1.0, 100.0, 1.0])
    draws = [list(WeightedRandomSampler(w, 3, replacement=False, generator=pydl.Generator().manual_seed(k)))
             for k in range(200)]
    assert all(len(set(d)) == 3 and 0 not in d for d in draws)
    # The heavy item is almost always the first drawn (probability 100/103).
    assert collections.Counter(d[0] for d in draws)[3] > 180
    # Zero weights are only used up once everything else is.
    assert sorted(WeightedRandomSampler(w, 5, replacement=False)) == [0, 1, 2, 3, 4]


def test_weighted_sampler_first_draw_probability_without_replacement():
    # P(first draw = i) = w_i / sum(w); a NumPy oracle over many seeds.
    w = np.array([1.0, 2.0, 7.0])
    firsts = [next(iter(WeightedRandomSampler(w.tolist(), 2, replacement=False,
                                              generator=pydl.Generator().manual_seed(k))))
              for k in range(2000)]
    np.testing.assert_allclose(np.bincount(firsts, minlength=3) / 2000, w / w.sum(), atol=0.035)


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], True), ([1.0, 2.0], 2.0),
                                  ([[1.0, 2.0]], 1), ([1.0], 1, 1)])
def test_weighted_sampler_argument_errors_match_torch(args):
    torch = _torch()
    _same_error(lambda: WeightedRandomSampler(*args), lambda: torch.utils.data.WeightedRandomSampler(*args))


@pytest.mark.parametrize("weights, n, replacement", [([1.0, -1.0], 1, True), ([float("nan"), 1.0], 1, True),
                                                      ([float("inf"), 1.0], 1, True), ([0.0, 0.0], 1, True),
                                                      ([1.0, 1.0], 3, False)])
def test_weighted_sampler_distribution_errors_match_torch(weights, n, replacement):
    torch = _torch()
    _same_error(lambda: list(WeightedRandomSampler(weights, n, replacement)),
                lambda: list(torch.utils.data.WeightedRandomSampler(weights, n, replacement)))


@pytest.mark.parametrize("n", [0, 1, 5, 6, 7])
@pytest.mark.parametrize("batch_size", [1, 2, 3, 10])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    torch = _torch()
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs) == len(list(ours))


@pytest.mark.parametrize("args", [(0, False), (-1, False), (True, False), (2.0, False), (2, 0), (2, None)])
def test_batch_sampler_errors_match_torch(args):
    torch = _torch()
    _same_error(lambda: BatchSampler(range(4), *args), lambda: torch.utils.data.BatchSampler(range(4), *args))


def test_batch_sampler_over_a_generator_sampler():
    # Any iterable of indices works, and batches are fresh lists.
    batches = list(BatchSampler(iter(range(5)), 2, False))
    assert batches == [[0, 1], [2, 3], [4]] and all(type(b) is list for b in batches)
