"""DataLoader in the main process (num_workers=0): batches, lengths and validation against torch."""
import multiprocessing
import warnings

import numpy as np
import pytest

import pydl
from pydl.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler,
                             SequentialSampler, TensorDataset, default_collate, default_convert)


def _torch():
    return pytest.importorskip("torch")


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"i": i, "sq": np.array([i * i], dtype=np.float32)}


class Stream(IterableDataset):
    def __init__(self, n, with_len=True):
        self.n, self.with_len = n, with_len

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.with_len:
            raise TypeError("no len")
        return self.n


def _lists(loader):
    """Each batch as nested Python lists, with tensors of either library turned into lists."""
    def conv(x):
        if hasattr(x, "numpy") and hasattr(x, "shape"):
            return x.numpy().tolist()
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [conv(v) for v in x]
        return x
    return [conv(b) for b in loader]


@pytest.mark.parametrize("n", [0, 1, 9, 10])
@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (1, True), (3, False), (3, True),
                                                   (10, False), (10, True), (None, False)])
def test_map_style_batches_and_len_match_torch(n, batch_size, drop_last):
    torch = _torch()
    ours = DataLoader(Squares(n), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(Squares(n), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert _lists(ours) == _lists(theirs)


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (None, False)])
def test_iterable_dataset_batches_and_len_match_torch(batch_size, drop_last):
    torch = _torch()

    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(8))

        def __len__(self):
            return 8

    ours = DataLoader(Stream(8), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(TorchStream(), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert _lists(ours) == _lists(theirs)


def test_iterable_dataset_without_len():
    loader = DataLoader(Stream(5, with_len=False), batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
    with pytest.raises(TypeError):
        len(loader)


def test_iterable_length_warning():
    class Liar(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(4), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="Length of IterableDataset .* was reported to be 2"):
        list(loader)


def test_shuffle_uses_generator_and_default_rng():
    ds = TensorDataset(pydl.arange(20))

    def order(**kw):
        return [int(x) for (b,) in DataLoader(ds, batch_size=6, shuffle=True, **kw) for x in b.tolist()]

    a = order(generator=pydl.Generator().manual_seed(8))
    assert sorted(a) == list(range(20)) and a != list(range(20))
    assert a == order(generator=pydl.Generator().manual_seed(8))
    pydl.manual_seed(3)
    b = order()
    pydl.manual_seed(3)
    assert b == order()


def test_custom_sampler_batch_sampler_and_collate():
    ds = Squares(6)
    loader = DataLoader(ds, sampler=[5, 0, 2], batch_size=2)
    assert [b["i"].tolist() for b in loader] == [[5, 0], [2]]
    loader = DataLoader(ds, batch_sampler=[[1, 2, 3], [0]])
    assert [b["i"].tolist() for b in loader] == [[1, 2, 3], [0]] and len(loader) == 2
    assert loader.batch_size is None and loader.drop_last is False
    loader = DataLoader(ds, batch_size=4, collate_fn=lambda batch: [s["i"] for s in batch])
    assert list(loader) == [[0, 1, 2, 3], [4, 5]]
    assert DataLoader(ds).collate_fn is default_collate
    assert DataLoader(ds, batch_size=None).collate_fn is default_convert
    assert isinstance(DataLoader(ds, shuffle=True).sampler, RandomSampler)
    assert isinstance(DataLoader(ds).sampler, SequentialSampler)
    assert isinstance(DataLoader(ds).batch_sampler, BatchSampler)


def test_no_auto_batching_converts_each_sample():
    out = list(DataLoader(Squares(2), batch_size=None))
    assert out[1]["i"] == 1 and isinstance(out[1]["sq"], pydl.Tensor) and out[1]["sq"].shape == (1,)


def test_getitems_used_for_batches():
    class Batched(Squares):
        calls = []

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [self[i] for i in indices]

    ds = Batched(5)
    assert [b["i"].tolist() for b in DataLoader(ds, batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert ds.calls == [[0, 1], [2, 3], [4]]


def test_pin_memory_accepted():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = [b.tolist() for (b,) in DataLoader(TensorDataset(pydl.arange(3)), batch_size=2, pin_memory=True)]
    assert out == [[0, 1], [2]]
    if not pydl.cuda.is_available():
        assert any("pin_memory" in str(w.message) for w in caught)


class _Dummy(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i


def _validation_cases(torch):
    """(kwargs, dataset kind) pairs that both libraries must reject identically."""
    return [
        ({"num_workers": -1}, "map"),
        ({"timeout": -1}, "map"),
        ({"prefetch_factor": 2}, "map"),
        ({"num_workers": 1, "prefetch_factor": -1}, "map"),
        ({"persistent_workers": True}, "map"),
        ({"shuffle": True, "sampler": [0, 1]}, "map"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "map"),
        ({"batch_sampler": [[0]], "shuffle": True}, "map"),
        ({"batch_sampler": [[0]], "drop_last": True}, "map"),
        ({"batch_sampler": [[0]], "sampler": [0]}, "map"),
        ({"batch_size": None, "drop_last": True}, "map"),
        ({"shuffle": True}, "iterable"),
        ({"sampler": "S"}, "iterable"),
        ({"batch_sampler": "B"}, "iterable"),
        ({"multiprocessing_context": "spawn"}, "map"),
        ({"num_workers": 1, "multiprocessing_context": "no-such-method"}, "map"),
        ({"num_workers": 1, "multiprocessing_context": 3}, "map"),
    ]


def test_argument_validation_matches_torch():
    torch = _torch()

    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    for kwargs, kind in _validation_cases(torch):
        ours_ds, theirs_ds = (_Dummy(), _Dummy()) if kind == "map" else (Stream(3), TorchStream())
        with pytest.raises(Exception) as ours:
            DataLoader(ours_ds, **kwargs)
        with pytest.raises(Exception) as theirs:
            torch.utils.data.DataLoader(theirs_ds, **kwargs)
        assert type(ours.value) is type(theirs.value), kwargs
        assert str(ours.value) == str(theirs.value), kwargs


def test_attributes_frozen_after_init_like_torch():
    torch = _torch()
    for attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
        loader, tloader = DataLoader(_Dummy()), torch.utils.data.DataLoader(_Dummy())
        with pytest.raises(ValueError) as ours:
            setattr(loader, attr, None)
        with pytest.raises(ValueError) as theirs:
            setattr(tloader, attr, None)
        assert str(ours.value) == str(theirs.value)
    loader = DataLoader(_Dummy())
    loader.num_workers = 0  # other attributes stay assignable
    assert loader.multiprocessing_context is None


def test_timeout_without_workers_rejected_at_iteration_like_torch():
    torch = _torch()
    ours, theirs = DataLoader(_Dummy(), timeout=1), torch.utils.data.DataLoader(_Dummy(), timeout=1)
    with pytest.raises(AssertionError) as e1:
        iter(ours)
    with pytest.raises(AssertionError) as e2:
        iter(theirs)
    assert str(e1.value) == str(e2.value)


def test_multiprocessing_context_accepted_forms():
    loader = DataLoader(_Dummy(), num_workers=1, multiprocessing_context="spawn")
    assert loader.multiprocessing_context.get_start_method() == "spawn"
    ctx = multiprocessing.get_context("spawn")
    assert DataLoader(_Dummy(), num_workers=1, multiprocessing_context=ctx).multiprocessing_context is ctx
    assert DataLoader(_Dummy(), num_workers=2).prefetch_factor == 2


def test_iterator_cannot_be_pickled():
    import pickle
    with pytest.raises(NotImplementedError, match="cannot be pickled"):
        pickle.dumps(iter(DataLoader(_Dummy())))
