"""Datasets and callbacks for the DataLoader worker tests.

Worker processes start with "forkserver"/"spawn", which pickle the dataset and callbacks by
reference, so they must live in a module the workers can import: this one (tests/ is put on
sys.path by conftest.py, and spawned workers inherit the parent's sys.path).
"""
import os
import random
import threading
import time

import numpy as np

import pydl
from pydl.utils.data import Dataset, IterableDataset, get_worker_info


class RangeDataset(Dataset):
    """Sample i is i (an int); ``len`` is n."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class MixedDtypeDataset(Dataset):
    """Each sample holds tensors of several dtypes (one non-contiguous) and plain Python values,
    to check that batches keep dtypes and values on the way back from a worker."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {
            "f32": pydl.arange(6, dtype=pydl.float32).reshape(2, 3).t() + i,  # non-contiguous
            "f64": pydl.tensor([i * 0.5], dtype=pydl.float64),
            "i64": pydl.tensor(i, dtype=pydl.int64),
            "i32": pydl.tensor([i, -i], dtype=pydl.int32),
            "u8": pydl.tensor([i % 256], dtype=pydl.uint8),
            "f16": pydl.tensor([i / 4], dtype=pydl.float16),
            "b": pydl.tensor([i % 2 == 0]),
            "np": np.full((2,), i, dtype=np.int16),
            "idx": i,
            "name": f"s{i}",
        }


class RandomDataset(Dataset):
    """Sample i is (i, a pydl draw, a ``random`` draw, a NumPy draw): shows the worker RNG seeding."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return i, float(pydl.rand(()).item()), random.random(), float(np.random.rand())


class WorkerInfoDataset(Dataset):
    """Sample i reports which worker produced it and what that worker's init function recorded."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": i, "id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "same_dataset": info.dataset is self, "init": INIT_RECORD.get("worker_id", -1),
                "pid": os.getpid()}


# Filled in by record_worker_init inside each worker process (never in the main process).
INIT_RECORD = {}


def record_worker_init(worker_id):
    """A worker_init_fn that records it ran (and with which id) in the worker's module state."""
    INIT_RECORD["worker_id"] = worker_id


def failing_worker_init(worker_id):
    """A worker_init_fn that fails, so its error must come back from the first batch."""
    raise ZeroDivisionError(f"init failed in worker {worker_id}")


class TwoArgError(Exception):
    """An exception that cannot be rebuilt from a single message (re-raised as RuntimeError)."""

    def __init__(self, code, detail):
        super().__init__(code, detail)


class FaultyDataset(Dataset):
    """Index 0 raises ValueError, 1 KeyError, 2 TwoArgError, 3 returns an unpicklable lock,
    anything else is fine."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return _faulty_item(i)


def _faulty_item(i):
    if i == 0:
        raise ValueError("bad sample 0 from FaultyDataset")
    if i == 1:
        raise KeyError("missing-key")
    if i == 2:
        raise TwoArgError(2, "two-arg detail")
    if i == 3:
        return threading.Lock()
    return i


def passthrough_collate(batch):
    """A collate_fn that leaves the list of samples as it is."""
    return batch


class SlowDataset(Dataset):
    """Sample ``slow_index`` takes ``delay`` seconds; the others are immediate."""

    def __init__(self, n, slow_index, delay):
        self.n, self.slow_index, self.delay = n, slow_index, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.slow_index:
            time.sleep(self.delay)
        return i


class CrashingDataset(Dataset):
    """Index 2 kills the worker process outright (no Python exception to report)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 2:
            os._exit(3)
        return i


class PidDataset(Dataset):
    """Sample i is (i, pid of the process that loaded it)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i, os.getpid()


class ShardedStream(IterableDataset):
    """Yields 0..n-1, each worker taking every num_workers-th item (the documented sharding)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


class UnshardedStream(IterableDataset):
    """Yields 0..n-1 in every worker (so with workers the items repeat, as in PyTorch)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))
