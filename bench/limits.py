"""The machine's measured peaks, used for the "% of peak" columns.

All numbers come from shared/limits/README.md ("The machine's physical limits"), measured on the
standard development machine: 2 vCPUs, AMD Zen 3, AVX2 + FMA, no AVX-512. They are wrong for any
other machine; there, pass ``--peak-gbs`` / ``--peak-gflops`` to run.py (or re-measure and edit
this file). On CUDA there is no table, so the % columns stay empty unless a peak is passed.

The FLOP peak is the one most often wrong: cloud "vCPUs" of the same name can be older cores with
half the FMA width (a Zen 1 EPYC does 16 flop/cycle, not Zen 3's 32). Measure it with
shared/limits/peak_flops.c (see bench/README.md) and pass its "per core median" as --peak-gflops.
"""
from __future__ import annotations

import math
import os
from typing import Optional, Sequence

# FP32 FMA peak, GFLOP/s: 32 flop/cycle/core at ~3.2 GHz (shared/limits/README.md, first table).
FP32_PEAK_GFLOPS_PER_THREAD = 102.4

# An FMA unit does half as many float64 lanes as float32 ones per instruction; other dtypes
# (half precision converted to float32 for the arithmetic) are held to the float32 peak.
FLOP_PEAK_FRACTION = {"float64": 0.5}

# Best of 1- and 4-stream kernels, GB/s, keyed by thread count, then floats per array
# (shared/limits/README.md, second table). Bandwidth depends on the working set (L2, L3, DRAM),
# so a case is compared with the row nearest its own array size, and with the column whose
# access pattern matches it: "read" (reductions), "scale" (1 in, 1 out), "add" (2 in, 1 out).
BANDWIDTH_GBS = {
    1: {
        1e5: {"read": 98.7, "scale": 87.7, "add": 78.0},
        1e6: {"read": 78.5, "scale": 78.1, "add": 71.8},
        4.19e6: {"read": 67.5, "scale": 47.2, "add": 34.5},
        1.6e7: {"read": 40.1, "scale": 29.2, "add": 28.2},
    },
    2: {
        1e5: {"read": 204.7, "scale": 194.2, "add": 182.6},
        1e6: {"read": 157.4, "scale": 154.6, "add": 137.6},
        4.19e6: {"read": 135.5, "scale": 91.1, "add": 56.3},
        1.6e7: {"read": 53.3, "scale": 35.3, "add": 35.5},
    },
}

ACCESS_PATTERNS = ("read", "scale", "add")


def bandwidth_peak_gbs(threads: int, floats_per_array: float, pattern: str) -> float:
    """Peak GB/s for a kernel with this access pattern on arrays of about this many floats.

    Thread counts above the table use its largest entry (the machine has 2 vCPUs, so more
    threads cannot add bandwidth); sizes outside the table use its nearest end.
    """
    if pattern not in ACCESS_PATTERNS:
        raise ValueError(f"pattern must be one of {ACCESS_PATTERNS}, got {pattern!r}")
    known = [t for t in BANDWIDTH_GBS if t <= threads] or [min(BANDWIDTH_GBS)]
    rows = BANDWIDTH_GBS[max(known)]
    size = max(float(floats_per_array), 1.0)
    nearest = min(rows, key=lambda n: abs(math.log(n) - math.log(size)))
    return rows[nearest][pattern]


def infer_pattern(input_nbytes: Sequence[int], out_nbytes: int) -> str:
    """The table column that fits a kernel: reductions only "read"; two big inputs are "add"-like;
    anything else (unary ops, casts, copies) is "scale"."""
    if out_nbytes * 10 < max(input_nbytes):
        return "read"
    big_inputs = [n for n in input_nbytes if n * 10 >= out_nbytes]
    return "add" if len(big_inputs) >= 2 else "scale"


def flop_peak_gflops(threads: int, dtype: str = "float32",
                     per_core: Optional[float] = None) -> float:
    """FMA peak in GFLOP/s for this many threads (one thread per core) and arithmetic dtype.

    ``per_core`` is the measured float32 peak of one core (--peak-gflops), replacing the table's.
    Threads beyond the machine's CPUs add nothing: they only share the same cores.
    """
    cores = max(1, min(threads, os.cpu_count() or threads))
    per_core = per_core or FP32_PEAK_GFLOPS_PER_THREAD
    return per_core * cores * FLOP_PEAK_FRACTION.get(dtype, 1.0)
