"""pydl.cuda's memory statistics: what the caching allocator holds on each GPU.

Freed CUDA tensors go back to pydl's cache, not to the driver, so ``memory_reserved()`` (what
pydl holds) stays above ``memory_allocated()`` (what live tensors use); ``empty_cache()`` gives
the unused cached segments back, e.g. for another process. The names and meanings are PyTorch's.
"""
from .. import _C


def _index(device):
    from . import _check, _index_or_current
    _check()
    return _index_or_current(device)


def memory_stats(device=None):
    """The allocator's counters for a device, as a dict: ``allocated_bytes``,
    ``peak_allocated_bytes``, ``reserved_bytes``, ``peak_reserved_bytes``, ``active_blocks``,
    ``segments``, ``num_allocs``, ``num_cache_hits``, ``num_device_allocs``,
    ``num_device_frees``, ``num_alloc_retries`` (out of memory, cache freed, retried) and
    ``num_ooms`` (failed after the retry)."""
    return _C._cuda_memory_stats(_index(device))


def memory_allocated(device=None):
    """Bytes in CUDA tensors alive now (sizes rounded to the allocator's 512-byte blocks)."""
    return memory_stats(device)["allocated_bytes"]


def max_memory_allocated(device=None):
    """Peak of memory_allocated() since start-up or the last reset_peak_memory_stats()."""
    return memory_stats(device)["peak_allocated_bytes"]


def memory_reserved(device=None):
    """Bytes pydl holds from the driver: live tensors plus the cache."""
    return memory_stats(device)["reserved_bytes"]


def max_memory_reserved(device=None):
    """Peak of memory_reserved() since start-up or the last reset_peak_memory_stats()."""
    return memory_stats(device)["peak_reserved_bytes"]


def reset_peak_memory_stats(device=None):
    """Start the max_memory_* peaks again from the current values."""
    _C._cuda_reset_peak_memory_stats(_index(device))


def empty_cache():
    """Give every wholly unused cached segment back to the driver (live tensors are untouched)."""
    from . import is_available
    if is_available():
        _C._cuda_empty_cache()


def _format_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024


def summary_of(stats, device_label):
    """The memory_summary() text for a stats dict (split out so it is testable without a GPU)."""
    rows = [
        ("Allocated memory", _format_bytes(stats["allocated_bytes"]), _format_bytes(stats["peak_allocated_bytes"])),
        ("Reserved memory", _format_bytes(stats["reserved_bytes"]), _format_bytes(stats["peak_reserved_bytes"])),
        ("Active blocks", str(stats["active_blocks"]), ""),
        ("Segments", str(stats["segments"]), ""),
        ("Allocations", str(stats["num_allocs"]), ""),
        ("  served from cache", str(stats["num_cache_hits"]), ""),
        ("Device allocations", str(stats["num_device_allocs"]), ""),
        ("Device frees", str(stats["num_device_frees"]), ""),
        ("Out-of-memory retries", str(stats["num_alloc_retries"]), ""),
        ("Out-of-memory errors", str(stats["num_ooms"]), ""),
    ]
    width = (24, 14, 14)
    line = "|" + "|".join("-" * (w + 2) for w in width) + "|"
    out = [line, f"| pydl CUDA memory summary, {device_label}".ljust(len(line) - 1) + "|", line,
           "| " + " | ".join(h.ljust(w) for h, w in zip(("Metric", "Current", "Peak"), width)) + " |", line]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, width)) + " |" for r in rows]
    out.append(line)
    return "\n".join(out)


def memory_summary(device=None, abbreviated=False):
    """A printable table of memory_stats() for a device (``abbreviated`` is accepted for
    PyTorch compatibility; the table is always the short one)."""
    index = _index(device)
    return summary_of(_C._cuda_memory_stats(index), f"device cuda:{index}")
