"""pydl.cpu: statistics and control of the CPU caching allocator."""
from .. import _C


def memory_stats():
    """A dict of the CPU allocator's counters (bytes allocated, reserved, cache hits, ...)."""
    return _C._cpu_memory_stats()


def memory_allocated():
    """Bytes held by live CPU tensors (in allocator blocks)."""
    return memory_stats()["allocated_bytes"]


def max_memory_allocated():
    """Peak of memory_allocated() since start-up or the last reset_peak_memory_stats()."""
    return memory_stats()["peak_allocated_bytes"]


def memory_reserved():
    """Bytes held by the allocator: live blocks plus cached free blocks."""
    return memory_stats()["reserved_bytes"]


def reset_peak_memory_stats():
    """Start tracking the peak of memory_allocated() afresh."""
    _C._cpu_reset_peak_memory_stats()


def empty_cache():
    """Return every cached free block to the operating system."""
    _C._cpu_empty_cache()


def set_cache_limit(nbytes):
    """Keep at most `nbytes` of freed blocks cached; the rest goes back to the OS."""
    _C._cpu_set_cache_limit(nbytes)
