"""The worker-process side of multi-process loading: ``_worker_loop`` and ``get_worker_info``.

Protocol (the main side is ``_multiprocessing_iter.py``):

* each worker has its own index queue; the main process puts ``(task_idx, index)`` on it,
  ``_ResumeIteration()`` to start a new epoch (persistent workers), or ``None`` to stop;
* all workers share one result queue, onto which they put ``pickle.dumps((task_idx, data))``,
  where ``data`` is a collated batch, an ``ExceptionWrapper`` or an
  ``_IterableDatasetStopIteration``; a ``_ResumeIteration`` is acknowledged as ``(it, None)``.
"""
import multiprocessing
import os
import pickle
import queue
import random
from dataclasses import dataclass

import pydl

from ._exception import ExceptionWrapper
from ._fetch import _DatasetKind

__all__ = ["WorkerInfo", "get_worker_info"]

# How often a worker blocked on its index queue wakes to check that its parent is alive and that
# shutdown has not begun. Shutdown must not rely on the `None` sentinel alone: when the iterator is
# reclaimed by the cyclic garbage collector, multiprocessing's finalizer may have stopped the
# index queue's feeder thread first, and then the sentinel is never sent.
_STATUS_CHECK_INTERVAL = 0.5


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed`` and its ``dataset`` copy.

    Read-only after construction, as in PyTorch (assigning raises ``RuntimeError``).
    """

    __initialized = False

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, value):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        super().__setattr__(key, value)

    def __repr__(self):
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{self.__class__.__name__}({fields})"


# Set once in each worker process; stays None in the main process.
_worker_info = None


def get_worker_info():
    """The current worker's ``WorkerInfo`` inside a DataLoader worker process, else ``None``.

    Typical use is sharding an ``IterableDataset`` in ``__iter__`` or seeding other libraries in a
    ``worker_init_fn``. ``info.dataset`` is the worker's own copy of the dataset.
    """
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose iterable dataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Start of a new epoch for persistent workers (sent to, and echoed back by, each worker)."""


class _ParentWatchdog:
    """Notices when the main process (the one that started this worker) has died.

    ``multiprocessing.parent_process()`` gives a sentinel that becomes ready when the starting
    process exits, under every start method. ``getppid()`` alone is not enough: under
    "forkserver" the worker's parent is the fork server, which stays alive as long as any of its
    children (these workers) do, so orphaned workers would wait forever.
    """

    def __init__(self):
        self._ppid = os.getppid()
        self._parent = multiprocessing.parent_process()

    def is_alive(self):
        """False once the main process is gone (the worker should then exit)."""
        if os.getppid() != self._ppid:
            return False
        return self._parent is None or self._parent.is_alive()


def _seed_worker(base_seed, worker_id):
    """Seeds pydl, ``random`` and NumPy in this worker; returns the worker's seed."""
    seed = base_seed + worker_id
    random.seed(seed)
    pydl.manual_seed(seed)  # pydl seeds are 64-bit; base_seed < 2**63 leaves room for the id
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - NumPy is a pydl dependency
        return seed
    # NumPy's legacy global RNG only takes 32-bit seeds, so derive a state from (base_seed,
    # worker_id) with SeedSequence instead of truncating. PyTorch (since 1.9) seeds NumPy too,
    # with its own SeedSequence-like hash; without it every forked worker would inherit the same
    # NumPy state and produce identical "random" augmentations. The exact NumPy stream differs
    # from PyTorch's, which is no contract of either library.
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _put(data_queue, task_idx, data, where):
    """Sends one result, pickled here rather than in the queue's feeder thread.

    ``multiprocessing.Queue`` pickles in a background thread and, when that fails, only prints
    the error: the batch is lost and the main process waits forever. Pickling in the worker's own
    thread lets an unpicklable batch travel as an ordinary worker error.
    """
    try:
        payload = pickle.dumps((task_idx, data), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        payload = pickle.dumps((task_idx, ExceptionWrapper(where=where)), protocol=pickle.HIGHEST_PROTOCOL)
    data_queue.put(payload)


def _worker_loop(dataset_kind, dataset, index_queue, data_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    """Body of a DataLoader worker process: fetch the batches asked for until told to stop."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        # Workers already run in parallel with each other; letting each also start a full
        # OpenMP pool would oversubscribe the cores (PyTorch makes the same choice).
        pydl.set_num_threads(1)
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        def make_fetcher():
            """A fetcher over this worker's dataset copy (a new iterator for iterable datasets)."""
            return _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)

        # A failing worker_init_fn (or iter(dataset)) is reported as the answer to the first
        # task rather than crashing the process, so the user sees the real error.
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher()
        except Exception:
            init_error = ExceptionWrapper(where=where)

        iteration_end = False
        watchdog = _ParentWatchdog()
        while watchdog.is_alive():
            try:
                r = index_queue.get(timeout=_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    break
                continue
            if isinstance(r, _ResumeIteration):
                _put(data_queue, r, None, where)
                iteration_end = False
                if init_error is None:
                    # A fresh iterator over an iterable dataset for the new epoch.
                    try:
                        fetcher = make_fetcher()
                    except Exception:
                        init_error = ExceptionWrapper(where=where)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                # Shutting down, or nothing left to give: drain the queue without working.
                continue
            task_idx, index = r
            if init_error is not None:
                data = init_error
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if dataset_kind != _DatasetKind.Iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=where)
            _put(data_queue, task_idx, data, where)
            # Drop the batch now rather than while blocked on the next get().
            del data, task_idx, index, r
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the main process handles it.
    if done_event.is_set():
        # The main process is no longer reading: don't block exit flushing results into a full pipe.
        data_queue.cancel_join_thread()
        data_queue.close()
