"""The main-process side of multi-process loading: ``_MultiProcessingDataLoaderIter``.

Tasks ``(task_idx, indices)`` are dealt round-robin to per-worker index queues, at most
``prefetch_factor * num_workers`` outstanding at a time; results come back on one shared queue in
whatever order workers finish and are re-ordered by ``task_idx`` (a dict of early arrivals) so
batches come out in sampler order. The worker side is ``_worker.py``.
"""
import itertools
import multiprocessing
import pickle
import queue
import time

from ._exception import ExceptionWrapper
from ._worker import _IterableDatasetStopIteration, _ResumeIteration, _worker_loop
from .dataloader import _BaseDataLoaderIter

# Longest single wait on the result queue before checking that the workers are still alive. Short,
# so a crashed worker is reported within about a second rather than never (timeout=0).
_LIVENESS_CHECK_INTERVAL = 1.0
# How long shutdown waits, in total, for workers to exit by themselves before terminating them.
_SHUTDOWN_JOIN_TIMEOUT = 5.0


def _default_context():
    """The start method used when the loader names none: "forkserver", else "spawn".

    Never "fork": pydl's engine keeps an OpenMP thread pool (and may hold a CUDA context), and a
    forked child gets a copy of the parent's memory without those threads, which can deadlock
    the child's first parallel op (the CUDA runtime refuses outright). A fork server is a clean
    process started once, whose forks are cheap; "spawn" is the portable fallback.
    """
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Loads batches in ``num_workers`` worker processes, delivered in sampler order."""

    def __init__(self, loader):
        super().__init__(loader)
        # Set before anything can fail, so __del__ always finds a consistent object.
        self._shutdown = False
        self._workers = []
        self._index_queues = []
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        # prefetch_factor=0 passes PyTorch's validation but would never send a task; keep at
        # least one in flight so such a loader still works.
        self._max_tasks = max(1, self._prefetch_factor * self._num_workers)
        ctx = loader.multiprocessing_context or _default_context()
        self._worker_result_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        for worker_id in range(self._num_workers):
            index_queue = ctx.Queue()
            # Unsent indices are worthless once we stop; never block our own exit flushing them.
            index_queue.cancel_join_thread()
            w = ctx.Process(
                target=_worker_loop,
                args=(self._dataset_kind, self._dataset, index_queue, self._worker_result_queue,
                      self._workers_done_event, self._auto_collation, self._collate_fn,
                      self._drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                      self._num_workers),
                # Daemonic: if the main process exits without shutting us down, multiprocessing
                # terminates the workers instead of waiting for them.
                daemon=True)
            self._index_queues.append(index_queue)
            w.start()
            self._workers.append(w)
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = 0  # next task index to hand out
        self._rcvd_idx = 0  # next task index to deliver
        # task_idx -> (worker_id,) while outstanding, (worker_id, data) once it arrived early.
        self._task_info = {}
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: tell each to start a new epoch, and discard whatever the last
            # (possibly unfinished) epoch left in the result queue. Each worker answers its queue
            # in order, so all of its stale results precede its acknowledgement.
            for q in self._index_queues:
                q.put(_ResumeIteration())
            remaining = self._num_workers
            while remaining > 0:
                task_idx, _ = self._get_data()
                if isinstance(task_idx, _ResumeIteration):
                    remaining -= 1
        for _ in range(self._max_tasks):
            self._try_put_index()

    def _try_put_index(self):
        """Sends the next sampler item to the next live worker, if the prefetch budget allows."""
        if self._tasks_outstanding >= self._max_tasks:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker's iterable dataset is exhausted
        try:
            index = self._next_index()
        except StopIteration:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _try_get_data(self, timeout):
        """``(True, (task_idx, data))``, or ``(False, None)`` if nothing came within ``timeout``.

        Raises ``RuntimeError`` when a worker that should still be running has died.
        """
        try:
            payload = self._worker_result_queue.get(timeout=timeout)
        except queue.Empty:
            failed = [w for worker_id, w in enumerate(self._workers)
                      if self._workers_status[worker_id] and not w.is_alive()]
            if failed:
                for w in failed:
                    self._mark_worker_as_unavailable(self._workers.index(w))
                pids = ", ".join(str(w.pid) for w in failed)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None
            return False, None
        return True, pickle.loads(payload)

    def _get_data(self):
        # Wait in short slices so dead workers are noticed, up to `timeout` if one is set.
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _LIVENESS_CHECK_INTERVAL
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
            ok, data = self._try_get_data(wait)
            if ok:
                return data
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _next_data(self):
        while True:
            # Skip tasks that will never be delivered: already handed out of order, or owned by a
            # worker whose iterable dataset ran out.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                # Nothing outstanding and the sampler (or every worker's dataset) is exhausted.
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:  # arrived early and waited in the reorder buffer
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process_data(info[1])

            task_idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _IterableDatasetStopIteration):
                del self._task_info[task_idx]
                self._retire_iterable_worker(data.worker_id)
                self._try_put_index()
                continue
            if task_idx == self._rcvd_idx:
                del self._task_info[task_idx]
                self._rcvd_idx += 1
                return self._process_data(data)
            if not self._in_order:
                del self._task_info[task_idx]
                return self._process_data(data)
            self._task_info[task_idx] += (data,)

    def _retire_iterable_worker(self, worker_id):
        """A worker's dataset copy is exhausted: give it no more tasks this epoch."""
        if self._persistent_workers:
            self._workers_status[worker_id] = False  # stays alive for the next epoch
        else:
            self._mark_worker_as_unavailable(worker_id)
        # Tasks it had queued behind the last one are silently skipped by the worker; stop
        # counting them against the prefetch budget.
        self._tasks_outstanding -= sum(1 for info in self._task_info.values()
                                       if len(info) == 1 and info[0] == worker_id)

    def _process_data(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker_id):
        """Stops sending tasks to ``worker_id`` and asks it to exit (if it is still running)."""
        self._workers_status[worker_id] = False
        try:
            self._index_queues[worker_id].put(None)
        except (ValueError, OSError):  # queue already closed during shutdown
            pass

    def _shutdown_workers(self):
        """Stops every worker: done event + ``None`` sentinel, bounded join, then terminate."""
        if getattr(self, "_shutdown", True):
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for q in self._index_queues:
                # A second None to a worker that already exited is harmless.
                q.put(None)
            deadline = time.monotonic() + _SHUTDOWN_JOIN_TIMEOUT
            for w in self._workers:
                w.join(timeout=max(0.0, deadline - time.monotonic()))
            for q in self._index_queues:
                q.close()
            self._worker_result_queue.cancel_join_thread()
            self._worker_result_queue.close()
        finally:
            # Whatever went wrong above, leave no worker behind (e.g. one stuck in a slow fetch).
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            # At interpreter exit multiprocessing may already have torn down its machinery; the
            # daemonic workers are terminated by it in that case.
            pass
