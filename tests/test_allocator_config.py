"""The CPU caching allocator (pydl.cpu.*), threads, show_config, pydl.cuda queries and the
PYDL_CPU_ISA override. Allocator counters are process-wide, so the tests compare deltas."""
import gc
import io
import os
import subprocess
import sys
import threading

import pytest

import pydl

ALIGN = 64


def size_class(n):
    """The size classes documented in csrc/core/cpu_allocator.cpp: powers of two split in four
    steps (at most 25% waste), at least 64 bytes, rounded up to the 64-byte alignment."""
    n = max(n, 1)
    if n <= 64:
        return 64
    p = 64
    while p * 2 < n:
        p *= 2
    step = p // 4
    cls = p + -(-(n - p) // step) * step
    return -(-cls // ALIGN) * ALIGN


@pytest.fixture(autouse=True)
def fresh_allocator():
    gc.collect()
    old_limit = pydl.cpu.memory_stats()["cache_limit_bytes"]
    yield
    pydl.cpu.set_cache_limit(old_limit)


def stats():
    return pydl.cpu.memory_stats()


def test_size_class_oracle_itself():
    assert [size_class(n) for n in (1, 64, 65, 128, 129, 160, 161, 1000, 4096, 4097, 400_000)] == \
        [64, 64, 128, 128, 192, 192, 192, 1024, 4096, 5120, 458752]


def test_memory_stats_keys():
    s = stats()
    for k in ["allocated_bytes", "peak_allocated_bytes", "reserved_bytes", "num_allocs", "num_cache_hits",
              "num_os_allocs", "cache_limit_bytes"]:
        assert isinstance(s[k], int) and s[k] >= 0, k
    assert s["reserved_bytes"] >= s["allocated_bytes"] and s["peak_allocated_bytes"] >= s["allocated_bytes"]
    assert pydl.cpu.memory_allocated() == s["allocated_bytes"]
    assert pydl.cpu.memory_reserved() == s["reserved_bytes"]
    assert pydl.cpu.max_memory_allocated() == s["peak_allocated_bytes"]


@pytest.mark.parametrize("numel,dtype", [(1, pydl.float32), (16, pydl.float32), (17, pydl.float32), (1000, pydl.float64),
                                         (12345, pydl.int8), (100_000, pydl.float32), (3, pydl.bfloat16)])
def test_memory_allocated_tracks_live_tensors(numel, dtype):
    base = pydl.cpu.memory_allocated()
    x = pydl.empty(numel, dtype=dtype)
    assert pydl.cpu.memory_allocated() - base == size_class(numel * x.element_size())
    y = pydl.empty(numel, dtype=dtype)
    assert pydl.cpu.memory_allocated() - base == 2 * size_class(numel * x.element_size())
    del x
    assert pydl.cpu.memory_allocated() - base == size_class(numel * y.element_size())
    del y
    assert pydl.cpu.memory_allocated() == base


def test_views_do_not_allocate():
    x = pydl.empty(1000)
    base = pydl.cpu.memory_allocated()
    v = [x.view(10, 100), x[::2], x.t() if x.dim() == 2 else x.view(100, 10).t(), x.numpy()]
    assert pydl.cpu.memory_allocated() == base
    del x
    assert pydl.cpu.memory_allocated() == base  # the views keep the storage alive
    del v
    gc.collect()
    assert pydl.cpu.memory_allocated() == base - size_class(4000)


def test_blocks_are_aligned():
    for n in (1, 3, 17, 1000, 4097):
        for dtype in (pydl.int8, pydl.float32, pydl.float64):
            assert pydl.empty(n, dtype=dtype).data_ptr() % ALIGN == 0


def test_freed_blocks_are_reused():
    pydl.cpu.empty_cache()
    before = stats()
    ptrs = set()
    for _ in range(20):
        t = pydl.empty(12_345)
        ptrs.add(t.data_ptr())
        del t
    after = stats()
    assert after["num_allocs"] - before["num_allocs"] == 20
    assert after["num_cache_hits"] - before["num_cache_hits"] >= 19
    assert after["num_os_allocs"] - before["num_os_allocs"] <= 1
    assert len(ptrs) == 1
    # a request in the same size class also hits the cache
    h = stats()["num_cache_hits"]
    t = pydl.empty(12_345 * 4 - 100, dtype=pydl.int8)
    assert stats()["num_cache_hits"] == h + 1
    del t


def test_empty_cache_lowers_reserved():
    xs = [pydl.empty(50_000 + 1000 * i) for i in range(8)]
    del xs
    s = stats()
    assert s["reserved_bytes"] > s["allocated_bytes"]  # freed blocks are cached
    pydl.cpu.empty_cache()
    assert pydl.cpu.memory_reserved() == pydl.cpu.memory_allocated()


def test_cache_limit():
    pydl.cpu.set_cache_limit(0)
    assert stats()["cache_limit_bytes"] == 0
    t = pydl.empty(100_000)
    del t
    assert pydl.cpu.memory_reserved() == pydl.cpu.memory_allocated()  # nothing kept
    limit = 1 << 20
    pydl.cpu.set_cache_limit(limit)
    xs = [pydl.empty(128 * 1024) for _ in range(6)]  # 512 KiB each
    del xs
    cached = pydl.cpu.memory_reserved() - pydl.cpu.memory_allocated()
    assert 0 < cached <= limit
    pydl.cpu.set_cache_limit(0)  # lowering the limit trims right away
    assert pydl.cpu.memory_reserved() == pydl.cpu.memory_allocated()
    with pytest.raises(ValueError):
        pydl.cpu.set_cache_limit(-1)


def test_peak_memory():
    pydl.cpu.reset_peak_memory_stats()
    assert pydl.cpu.max_memory_allocated() == pydl.cpu.memory_allocated()
    base = pydl.cpu.memory_allocated()
    big = pydl.empty(1_000_000)
    small = pydl.empty(10)
    peak = base + size_class(4_000_000) + size_class(40)
    assert pydl.cpu.max_memory_allocated() == peak
    del big
    assert pydl.cpu.max_memory_allocated() == peak  # a peak stays after the free
    pydl.cpu.reset_peak_memory_stats()
    assert pydl.cpu.max_memory_allocated() == pydl.cpu.memory_allocated() == base + size_class(40)
    del small


def test_ops_release_their_temporaries():
    x = pydl.arange(10_000.0).view(100, 100).t()
    base = pydl.cpu.memory_allocated()
    for _ in range(5):
        x.clone()
        x.contiguous()
        x.to(pydl.float64)
        pydl.randn(1000)
        pydl.tensor([[1.0, 2.0]] * 100)
        pydl.linspace(0, 1, 1000)
    gc.collect()
    assert pydl.cpu.memory_allocated() == base


def test_allocator_under_threads():
    base = pydl.cpu.memory_allocated()
    errors = []

    def work(seed):
        try:
            for i in range(200):
                t = pydl.empty(100 + (seed * 37 + i) % 5000)
                t.fill_(1.0)
                del t
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert pydl.cpu.memory_allocated() == base


# --- threads
def test_num_threads_round_trip():
    old = pydl.get_num_threads()
    try:
        for n in (1, 2, 3):
            pydl.set_num_threads(n)
            assert pydl.get_num_threads() == n and pydl._C._build_info()["num_threads"] == n
        for bad in (0, -1):
            with pytest.raises(RuntimeError):
                pydl.set_num_threads(bad)
        assert pydl.get_num_threads() == 3
    finally:
        pydl.set_num_threads(old)
    assert isinstance(pydl.get_num_threads(), int) and pydl.get_num_threads() >= 1


# --- show_config
def test_show_config(capsys):
    old = pydl.get_num_threads()
    pydl.set_num_threads(2)
    try:
        pydl.show_config()
    finally:
        pydl.set_num_threads(old)
    out = capsys.readouterr().out
    info = pydl._C._build_info()
    lines = out.splitlines()
    assert lines[0] == f"pydl {pydl.__version__}" and pydl.__version__ == info["version"]
    assert any(line.strip().startswith("C++ compiler") and info["compiler"] in line for line in lines)
    assert any(line.strip().startswith("CPU ISA compiled") and "scalar" in line for line in lines)
    assert any(line.strip().startswith("CPU ISA selected") and info["cpu_isa_selected"] in line for line in lines)
    assert info["cpu_isa_selected"] in info["cpu_isa_compiled"]
    assert any(line.strip().startswith("OpenMP") and "2 threads" in line for line in lines)
    assert any(line.strip().startswith("CUDA built") for line in lines)
    if info["cuda_built"]:
        assert any(line.strip().startswith("CUDA devices") and str(pydl.cuda.device_count()) in line for line in lines)
    buf = io.StringIO()
    pydl.show_config(file=buf)
    assert buf.getvalue().splitlines()[0] == lines[0]


# --- pydl.cuda queries
def test_cuda_queries():
    assert isinstance(pydl.cuda.is_available(), bool)
    assert isinstance(pydl.cuda.is_built(), bool)
    n = pydl.cuda.device_count()
    assert isinstance(n, int) and n >= 0
    assert pydl.cuda.is_available() == (n > 0)
    if not pydl.cuda.is_built():
        assert n == 0
    if not pydl.cuda.is_available():
        for fn in (pydl.cuda.current_device, pydl.cuda.get_device_name, pydl.cuda.synchronize):
            with pytest.raises(RuntimeError):
                fn()
        pydl.cuda.manual_seed(1)  # a no-op without a GPU, like torch
        pydl.cuda.manual_seed_all(1)
        with pytest.raises(RuntimeError):
            pydl.zeros(2, device="cuda")
    else:
        assert 0 <= pydl.cuda.current_device() < n
        assert isinstance(pydl.cuda.get_device_name(0), str)
        major, minor = pydl.cuda.get_device_capability(0)
        assert major >= 3
        pydl.cuda.synchronize()


@pytest.mark.parametrize("spec,want", [(None, None), (3, 3), ("cuda", None), ("cuda:1", 1), (pydl.device("cuda", 2), 2),
                                       (pydl.device("cuda"), None)])
def test_cuda_device_index_parsing(spec, want):
    assert pydl.cuda._device_index(spec) == want


def test_cuda_device_index_rejects_cpu():
    with pytest.raises(ValueError):
        pydl.cuda._device_index("cpu")


# --- PYDL_CPU_ISA
def _run(code, isa):
    env = {**os.environ, "PYDL_CPU_ISA": isa}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=os.path.dirname(sys.executable))


@pytest.mark.parametrize("isa", ["bogus", "AVX2 ", "sse"])
def test_bad_isa_gives_a_clear_error(isa):
    r = _run("import pydl; print(pydl.zeros(2) + 1)", isa)
    assert r.returncode != 0
    assert f"PYDL_CPU_ISA={isa}" in r.stderr and "scalar" in r.stderr and "avx2" in r.stderr
    assert "RuntimeError" in r.stderr and "Segmentation" not in r.stderr


def test_scalar_isa_is_selectable():
    r = _run("import pydl; print(pydl._C._build_info()['cpu_isa_selected']); pydl.show_config()", "scalar")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "scalar" and "CPU ISA selected  : scalar" in r.stdout
