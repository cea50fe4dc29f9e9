"""The CUDA caching allocator (core/caching_allocator.h): its policy driven through
pydl._C._HostCachingAllocator, the same code over host memory of a fixed capacity, so it is
tested on every machine; and pydl.cuda's memory API, on a GPU when there is one."""
import numpy as np
import pytest

import pydl
from pydl.cuda.memory import summary_of

Alloc = pydl._C._HostCachingAllocator
KiB, MiB = 1 << 10, 1 << 20


def test_round_size():
    assert [Alloc.round_size(n) for n in (1, 511, 512, 513, 1000, 3 * MiB + 1)] == [
        512, 512, 512, 1024, 1024, 3 * MiB + 512]


def test_zero_bytes_and_unknown_pointers():
    a = Alloc(64 * MiB)
    assert a.allocate(0) == 0
    a.deallocate(0)
    a.deallocate(12345)  # not ours: ignored, like a double free must not corrupt the pools
    assert a.stats()["allocated_bytes"] == 0 and a.stats()["segments"] == 0


def test_freed_block_is_reused_without_a_device_call():
    a = Alloc(64 * MiB)
    p = a.allocate(1000)
    a.deallocate(p)
    assert a.allocate(900) == p  # same rounded size class: the cached block
    s = a.stats()
    assert s["num_allocs"] == 2 and s["num_cache_hits"] == 1 and s["num_device_allocs"] == 1


def test_small_requests_share_a_2mib_segment():
    a = Alloc(64 * MiB)
    p, q, r = a.allocate(1000), a.allocate(1000), a.allocate(KiB)
    assert (q - p, r - q) == (1024, 1024)
    s = a.stats()
    assert s["segments"] == 1 and s["reserved_bytes"] == 2 * MiB and s["allocated_bytes"] == 3 * KiB
    assert s["active_blocks"] == 3


def test_free_neighbours_merge_and_whole_segments_are_released():
    a = Alloc(64 * MiB)
    p, q, r = (a.allocate(4 * KiB) for _ in range(3))
    a.deallocate(q)
    a.deallocate(p)  # merges with q: an 8 KiB block at p
    assert a.allocate(8 * KiB) == p
    a.empty_cache()  # the segment still has live blocks: nothing to release
    assert a.stats()["segments"] == 1
    a.deallocate(p)
    a.deallocate(r)  # everything free: the segment is one block again
    a.empty_cache()
    s = a.stats()
    assert s["segments"] == 0 and s["reserved_bytes"] == 0 and s["num_device_frees"] == 1
    assert a.device_bytes_used == 0


def test_large_requests_best_fit_and_split():
    a = Alloc(256 * MiB)
    p = a.allocate(5 * MiB)  # under 10 MiB: a 20 MiB segment, 15 MiB cached behind it
    assert a.stats()["reserved_bytes"] == 20 * MiB
    q = a.allocate(3 * MiB)  # from the 15 MiB remainder, leaving 12 MiB
    assert q == p + 5 * MiB
    r = a.allocate(12 * MiB)  # exactly the rest: still one segment
    assert r == q + 3 * MiB and a.stats()["segments"] == 1
    big = a.allocate(33 * MiB + 1)  # 10 MiB and over: a segment of its own, rounded to 2 MiB
    s = a.stats()
    assert s["segments"] == 2 and s["reserved_bytes"] == 20 * MiB + 34 * MiB
    for x in (p, q, r, big):
        a.deallocate(x)
    a.empty_cache()
    assert a.device_bytes_used == 0


def test_small_and_large_pools_are_separate():
    a = Alloc(256 * MiB)
    p = a.allocate(5 * MiB)
    a.deallocate(p)
    a.allocate(1000)  # a large cached block is not cut up for a small request
    s = a.stats()
    assert s["segments"] == 2 and s["num_cache_hits"] == 0


def test_blocks_are_reused_only_on_their_stream():
    a = Alloc(64 * MiB)
    p = a.allocate(4 * KiB, stream=1)
    a.deallocate(p)
    q = a.allocate(4 * KiB, stream=2)
    assert q != p and a.stats()["segments"] == 2
    assert a.allocate(4 * KiB, stream=1) == p


def test_peak_statistics_and_reset():
    a = Alloc(64 * MiB)
    p = a.allocate(3 * MiB)
    q = a.allocate(KiB)
    a.deallocate(p)
    s = a.stats()
    assert s["allocated_bytes"] == KiB and s["peak_allocated_bytes"] == 3 * MiB + KiB
    assert s["peak_reserved_bytes"] == 22 * MiB
    a.empty_cache()
    a.reset_peak_stats()
    s = a.stats()
    assert s["peak_allocated_bytes"] == KiB and s["peak_reserved_bytes"] == s["reserved_bytes"] == 2 * MiB
    a.deallocate(q)


def test_out_of_memory_frees_the_cache_and_retries():
    a = Alloc(30 * MiB)
    p = a.allocate(5 * MiB)  # a 20 MiB segment
    a.deallocate(p)  # cached: 20 of the 30 MiB held
    q = a.allocate(25 * MiB)  # too big for that block, and its 26 MiB segment does not fit
    s = a.stats()            # beside it: the cache is released and the request retried
    assert s["num_alloc_retries"] == 1 and s["num_ooms"] == 0 and s["reserved_bytes"] == 26 * MiB
    a.deallocate(q)


def test_out_of_memory_error_names_the_request_and_leaves_the_allocator_usable():
    a = Alloc(30 * MiB)
    q = a.allocate(12 * MiB)
    with pytest.raises(pydl.cuda.OutOfMemoryError) as e:
        a.allocate(25 * MiB)
    assert isinstance(e.value, RuntimeError)
    msg = str(e.value)
    assert "out of memory" in msg and "Tried to allocate 25.00 MiB" in msg and "12.00 MiB is allocated" in msg
    assert a.stats()["num_ooms"] == 1
    a.deallocate(q)
    r = a.allocate(25 * MiB)  # the freed 12 MiB segment goes back to the device on the retry
    assert a.stats()["reserved_bytes"] == 26 * MiB
    a.deallocate(r)


def test_random_sequences_keep_blocks_disjoint_and_accounting_exact():
    rng = np.random.default_rng(0)
    a = Alloc(8 << 30)  # address space only: the test never touches the memory
    live = {}
    for step in range(2000):
        if live and rng.random() < 0.5:
            p = list(live)[rng.integers(len(live))]
            a.deallocate(p)
            del live[p]
        else:
            n = int(rng.choice([rng.integers(1, 4096), rng.integers(4096, 2 * MiB), rng.integers(2 * MiB, 24 * MiB)]))
            stream = int(rng.integers(0, 3))
            p = a.allocate(n, stream=stream)
            live[p] = Alloc.round_size(n)
        if step % 500 == 0:
            a.empty_cache()
    spans = sorted(live.items())
    assert all(p + n <= q for (p, n), (q, _) in zip(spans, spans[1:])), "live blocks overlap"
    s = a.stats()
    # A block can be bigger than its rounded request: a large one keeps a remainder under 1 MiB.
    big = sum(1 for n in live.values() if n > MiB)
    assert sum(live.values()) <= s["allocated_bytes"] <= sum(live.values()) + big * MiB
    assert s["active_blocks"] == len(live)
    assert s["reserved_bytes"] == a.device_bytes_used
    for p in live:
        a.deallocate(p)
    a.empty_cache()
    assert a.device_bytes_used == 0 and a.stats()["segments"] == 0


def test_memory_summary_table():
    a = Alloc(64 * MiB)
    a.allocate(3 * MiB)
    text = summary_of(a.stats(), "device cuda:0")
    assert "cuda:0" in text and "Allocated memory" in text and "3.00 MiB" in text and "20.00 MiB" in text


def test_cuda_memory_api_without_a_gpu():
    if pydl.cuda.is_available():
        pytest.skip("a GPU is present")
    for fn in (pydl.cuda.memory_allocated, pydl.cuda.max_memory_allocated, pydl.cuda.memory_reserved,
               pydl.cuda.memory_stats, pydl.cuda.reset_peak_memory_stats, pydl.cuda.memory_summary):
        with pytest.raises(RuntimeError):
            fn()
    pydl.cuda.empty_cache()  # a no-op without a GPU, as in torch


needs_gpu = pytest.mark.skipif(not pydl.cuda.is_available(), reason="needs a CUDA device")


@needs_gpu
def test_cuda_tensors_are_counted_and_cached():
    pydl.cuda.empty_cache()
    base = pydl.cuda.memory_allocated()
    x = pydl.empty(1000, device="cuda")  # 4000 bytes, rounded to 4096
    assert pydl.cuda.memory_allocated() == base + 4096
    reserved = pydl.cuda.memory_reserved()
    del x
    assert pydl.cuda.memory_allocated() == base and pydl.cuda.memory_reserved() == reserved
    hits = pydl.cuda.memory_stats()["num_cache_hits"]
    y = pydl.empty(1000, device="cuda")
    assert pydl.cuda.memory_stats()["num_cache_hits"] == hits + 1
    del y
    pydl.cuda.reset_peak_memory_stats()
    assert pydl.cuda.max_memory_allocated() == pydl.cuda.memory_allocated()
    assert "cuda:" in pydl.cuda.memory_summary()


@needs_gpu
def test_cuda_out_of_memory_is_recoverable():
    total = pydl.cuda.get_device_properties(0).total_memory
    with pytest.raises(pydl.cuda.OutOfMemoryError, match="Tried to allocate"):
        pydl.empty(2 * total // 4, dtype=pydl.float32, device="cuda")
    x = pydl.ones(10, device="cuda")  # the process stays usable
    assert x.sum().item() == 10
