"""The interleaved timer: batches of calls, adaptive batch size, alternating order, median-ready.

Timing uses ``time.perf_counter_ns``. Tiny ops are timed as a batch of many calls per repeat so
timer resolution and loop overhead do not dominate; the batch size is chosen per library so one
repeat lasts about ``target_ns``.
"""
from __future__ import annotations

import gc
import math
import time
from typing import Callable, Sequence


def time_batch(fn: Callable, args: Sequence, calls: int, sync: Callable[[], None]) -> int:
    """Nanoseconds for ``calls`` back-to-back calls of ``fn(*args)``, device work included."""
    sync()
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn(*args)
    sync()
    return time.perf_counter_ns() - start


def calibrate(fn: Callable, args: Sequence, sync: Callable[[], None], target_ns: int):
    """(calls, ns): how many calls make one repeat last about ``target_ns`` (timer resolution,
    loop overhead and the odd interrupt then matter little), and how long that batch took.
    Also serves as the first warm-up."""
    calls = 1
    while True:
        elapsed = time_batch(fn, args, calls, sync)
        if elapsed >= target_ns or calls >= 1 << 20:
            return calls, elapsed
        # Jump near the target at once, but at most 10x so one noisy sample cannot overshoot far.
        calls = min(calls * 10, max(calls * 2, math.ceil(calls * target_ns / max(elapsed, 1))))


def measure_interleaved(pydl_fn, pydl_args, torch_fn, torch_args, sync: Callable[[], None],
                        repeats: int, warmup: int, target_ns: int, budget_ns: int,
                        min_repeats: int = 5):
    """Per-call times (ns) of every repeat for pydl and torch, measured alternately.

    Within a repeat the order flips each time (pydl-torch, torch-pydl, ...) so that neither
    library always runs second, e.g. on caches the other left warm or cold. Ops so slow that
    ``repeats`` would overrun ``budget_ns`` get fewer repeats, but never fewer than
    ``min_repeats``, so one slow row cannot stretch a run by minutes.
    """
    pydl_calls, pydl_batch_ns = calibrate(pydl_fn, pydl_args, sync, target_ns)
    torch_calls, torch_batch_ns = calibrate(torch_fn, torch_args, sync, target_ns)
    per_repeat_ns = pydl_batch_ns + torch_batch_ns
    repeats = max(min(repeats, min_repeats), min(repeats, budget_ns // per_repeat_ns))
    contenders = [(pydl_fn, pydl_args, pydl_calls, []), (torch_fn, torch_args, torch_calls, [])]
    gc_was_enabled = gc.isenabled()
    gc.disable()   # a collection in the middle of a batch would be charged to whichever ran
    try:
        for _ in range(warmup):
            for fn, args, calls, _times in contenders:
                time_batch(fn, args, calls, sync)
        for rep in range(repeats):
            for fn, args, calls, times in (contenders if rep % 2 == 0 else contenders[::-1]):
                times.append(time_batch(fn, args, calls, sync) / calls)
    finally:
        if gc_was_enabled:
            gc.enable()
    return contenders[0][3], contenders[1][3], pydl_calls, torch_calls
