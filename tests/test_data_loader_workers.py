"""DataLoader with worker processes: order, seeding, worker info, errors, shutdown, timeouts.

Every loader has a `timeout=` so that a bug shows up as a RuntimeError instead of a hung test run
(pytest has no timeout plugin here). Worker start-up costs a fraction of a second per loader, so
each test starts as few loaders as it can.
"""
import gc
import multiprocessing
import time

import pytest

import pydl
from pydl.utils.data import DataLoader, get_worker_info

import data_loader_helpers as H

TIMEOUT = 20  # seconds; only ever reached when something is broken


def _plain(batch):
    """A batch with tensors turned into (dtype name, NumPy array) pairs, for == comparisons."""
    if isinstance(batch, pydl.Tensor):
        return (str(batch.dtype).split(".")[-1], tuple(batch.shape), batch.numpy().tolist())
    if isinstance(batch, dict):
        return {k: _plain(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_plain(v) for v in batch)
    return batch


def test_batches_match_single_process_with_dtypes():
    ds = H.MixedDtypeDataset()
    expected = [_plain(b) for b in DataLoader(ds, batch_size=3)]
    # A context object (rather than a start-method name) is accepted too.
    loader = DataLoader(ds, batch_size=3, num_workers=2, timeout=TIMEOUT,
                        multiprocessing_context=multiprocessing.get_context("forkserver"))
    assert len(loader) == 3
    got = [_plain(b) for b in loader]
    assert got == expected
    # Spot-check the dtypes themselves survived the trip between processes.
    assert [g["b"][0] for g in got] == ["bool"] * 3
    assert got[0]["f32"][1] == (3, 3, 2) and got[0]["np"][0] == "int16"


def test_default_context_is_forkserver_or_spawn():
    from pydl.utils.data._multiprocessing_iter import _default_context
    assert _default_context().get_start_method() in ("forkserver", "spawn")


def test_shuffle_with_same_generator_seed_is_deterministic():
    def run(num_workers):
        g = pydl.Generator().manual_seed(1234)
        kw = {"num_workers": num_workers, "timeout": TIMEOUT} if num_workers else {}
        return [[(int(i), p, r, n) for i, p, r, n in zip(*(x.tolist() for x in b))]
                for b in DataLoader(H.RandomDataset(), batch_size=4, shuffle=True, generator=g, **kw)]

    a, b, single = run(2), run(2), run(0)
    assert a == b  # same order and the same per-worker random streams
    order = [s[0] for batch in a for s in batch]
    assert sorted(order) == list(range(12)) and order != list(range(12))
    # The base seed is drawn before the permutation either way, so the order does not depend on
    # num_workers.
    assert order == [s[0] for batch in single for s in batch]
    # Workers 0 and 1 are seeded differently: batches 0 and 1 come from different workers.
    first_draws = [[s[1:] for s in batch] for batch in a[:2]]
    assert first_draws[0][0] != first_draws[1][0]


def test_worker_info_seed_and_init_fn():
    assert get_worker_info() is None  # main process
    g = pydl.Generator().manual_seed(7)
    base_seed = int(pydl.randint(0, 2 ** 63 - 1, (), generator=pydl.Generator().manual_seed(7)).item())
    loader = DataLoader(H.WorkerInfoDataset(), batch_size=2, num_workers=2, generator=g,
                        worker_init_fn=H.record_worker_init, timeout=TIMEOUT,
                        multiprocessing_context="spawn")
    rows = [{k: v[j] if isinstance(v, list) else v.tolist()[j] for k, v in batch.items()}
            for batch in loader for j in range(2)]
    assert [r["i"] for r in rows] == list(range(6))
    # Batches are dealt round-robin: batch k goes to worker k % 2.
    assert [r["id"] for r in rows] == [0, 0, 1, 1, 0, 0]
    assert all(r["num_workers"] == 2 and r["same_dataset"] for r in rows)
    assert all(r["init"] == r["id"] for r in rows)  # worker_init_fn ran in that worker
    assert all(r["seed"] == base_seed + r["id"] for r in rows)
    assert len({r["pid"] for r in rows}) == 2
    assert get_worker_info() is None and H.INIT_RECORD == {}


def test_worker_exceptions_reraised_with_traceback():
    loader = DataLoader(H.FaultyDataset(), batch_size=1, num_workers=2, timeout=TIMEOUT,
                        collate_fn=H.passthrough_collate)
    it = iter(loader)
    with pytest.raises(ValueError) as e:
        next(it)
    msg = str(e.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\n"
                          "Original Traceback (most recent call last):")
    assert "bad sample 0 from FaultyDataset" in msg and "_faulty_item" in msg
    with pytest.raises(KeyError) as e:  # the iterator stays usable after an error
        next(it)
    assert "Caught KeyError in DataLoader worker process 1." in str(e.value)
    # KeyError's str() is the repr of its argument; the message must not come back escaped.
    assert "\\n" not in str(e.value) and "missing-key" in str(e.value)
    with pytest.raises(RuntimeError, match="Caught TwoArgError in DataLoader worker process 0") as e:
        next(it)
    assert "two-arg detail" in str(e.value)
    # A batch that cannot be pickled comes back as that pickling error, not a hang.
    with pytest.raises(TypeError, match="(?s)Caught TypeError in DataLoader worker process 1.*lock"):
        next(it)
    assert next(it) == [4] and next(it) == [5]
    with pytest.raises(StopIteration):
        next(it)


def test_worker_init_fn_error_is_reported():
    loader = DataLoader(H.RangeDataset(4), num_workers=1, timeout=TIMEOUT,
                        worker_init_fn=H.failing_worker_init)
    with pytest.raises(ZeroDivisionError, match="(?s)in DataLoader worker process 0.*init failed in worker 0"):
        next(iter(loader))


def test_persistent_workers_reuse_processes_across_epochs():
    loader = DataLoader(H.PidDataset(8), batch_size=2, shuffle=True, num_workers=2,
                        persistent_workers=True, timeout=TIMEOUT,
                        generator=pydl.Generator().manual_seed(3))
    it = iter(loader)
    next(it)  # leave epoch 0 unfinished: its queued batches must not leak into epoch 1
    epochs = []
    for _ in range(2):
        batches = list(loader)
        epochs.append(([i for b in batches for i in b[0].tolist()], {p for b in batches for p in b[1].tolist()}))
    (order1, pids1), (order2, pids2) = epochs
    assert sorted(order1) == sorted(order2) == list(range(8))
    assert order1 != order2  # reshuffled each epoch
    assert pids1 == pids2 and len(pids1) == 2  # the same two worker processes
    assert iter(loader) is it  # one iterator, reset per epoch
    workers = list(it._workers)
    del loader, it
    gc.collect()
    _wait_dead(workers)


def _wait_dead(workers, limit=10.0):
    deadline = time.monotonic() + limit
    while any(w.is_alive() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(w.is_alive() for w in workers)


@pytest.mark.parametrize("in_cycle", [False, True])
def test_deleting_iterator_mid_epoch_stops_workers(in_cycle):
    loader = DataLoader(H.RangeDataset(100), batch_size=2, num_workers=2, timeout=TIMEOUT)
    it = iter(loader)
    assert next(it).tolist() == [0, 1]
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    if in_cycle:
        # Reclaimed by the cyclic gc, where multiprocessing's own finalizers run first.
        it.self_ref = it
    start = time.monotonic()
    del it
    gc.collect()
    _wait_dead(workers)
    assert time.monotonic() - start < 3


def test_timeout_raises_and_stuck_worker_is_stopped():
    loader = DataLoader(H.SlowDataset(4, slow_index=1, delay=1.5), num_workers=1, timeout=TIMEOUT)
    it = iter(loader)
    assert next(it).item() == 0  # the worker is up (start-up time counts against a timeout too)
    # Lower the timeout only now, so that it is the slow sample, not start-up, that trips it.
    it._timeout = 0.3
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.3 seconds$"):
        next(it)
    assert time.monotonic() - start < 1.4
    workers = list(it._workers)
    it._shutdown_workers()  # the worker is still inside the slow __getitem__
    _wait_dead(workers)
    assert time.monotonic() - start < 7


def test_worker_crash_is_reported():
    loader = DataLoader(H.CrashingDataset(), num_workers=1, timeout=TIMEOUT)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(loader)


def test_out_of_order_delivery():
    # Index 0 is slow; with in_order=False the other batches are not held back behind it.
    loader = DataLoader(H.SlowDataset(6, slow_index=0, delay=0.6), num_workers=2, timeout=TIMEOUT,
                        in_order=False)
    got = [int(b.item()) for b in loader]
    assert sorted(got) == list(range(6)) and got[0] != 0


def test_iterable_dataset_sharded_and_unsharded():
    # Batches are taken from the workers in turn: worker 0 holds 0,2,4,..., worker 1 holds 1,3,...
    loader = DataLoader(H.ShardedStream(10), batch_size=2, num_workers=2, timeout=TIMEOUT)
    assert len(loader) == 5
    assert [b.tolist() for b in loader] == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    # Without sharding every worker yields the whole stream (PyTorch's documented behaviour);
    # drop_last drops each worker's own short final batch.
    loader = DataLoader(H.UnshardedStream(5), batch_size=2, drop_last=True, num_workers=2, timeout=TIMEOUT)
    assert [b.tolist() for b in loader] == [[0, 1], [0, 1], [2, 3], [2, 3]]


def test_unpicklable_collate_fn_fails_at_start():
    loader = DataLoader(H.RangeDataset(4), num_workers=1, timeout=TIMEOUT, collate_fn=lambda b: b)
    with pytest.raises(Exception, match="(?i)pickle"):
        iter(loader)


def test_order_preserved_when_a_worker_lags():
    # Worker 1 is stuck on index 1 while worker 0 runs ahead: its results wait in the reorder
    # buffer and still come out in sampler order.
    loader = DataLoader(H.SlowDataset(30, slow_index=1, delay=0.3), num_workers=2, prefetch_factor=3,
                        timeout=TIMEOUT)
    assert [int(b.item()) for b in loader] == list(range(30))


def test_persistent_workers_with_iterable_dataset():
    loader = DataLoader(H.ShardedStream(7), batch_size=2, num_workers=2, persistent_workers=True,
                        timeout=TIMEOUT)
    expected = [[0, 2], [1, 3], [4, 6], [5]]
    it = iter(loader)
    assert next(it).tolist() == [0, 2]  # abandon this epoch early
    # Each new epoch restarts every worker's iterator, including workers that ran dry.
    assert [b.tolist() for b in loader] == expected
    assert [b.tolist() for b in loader] == expected
