"""Shared benchmark machinery: the Case record, the correctness check and running one case.

A suite is a list of ``Case`` objects. For each case and thread count, ``run_case`` builds the
inputs once with NumPy, hands the same values to pydl and PyTorch, checks that pydl's answer
matches torch's, then times both *interleaved* (timer.py) in this process so that machine noise
lands on both alike, and keeps the median per-call time of each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch

import pydl

import limits
from timer import measure_interleaved

# Input factory: given a seeded NumPy generator, return the input arrays of a case.
InputFactory = Callable[[np.random.Generator], Sequence[np.ndarray]]

# Default (rtol, atol) per result dtype for np.allclose; a Case may override.
TOLERANCES = {
    "float16": (1e-3, 1e-3),
    "bfloat16": (1.6e-2, 1e-2),
    "float32": (1e-5, 1e-5),
    "float64": (1e-7, 1e-7),
}

AUTO = "auto"


@dataclass
class Case:
    """One benchmark row: the same operation spelled for pydl and for torch.

    ``pydl`` and ``torch`` are called with the inputs as positional arguments. ``inputs`` is
    either a number of standard-normal arrays of ``shape``/``dtype``, or a factory.
    ``bytes`` is the memory traffic of one call (reads + writes) for the bandwidth column:
    "auto" counts the inputs plus torch's output, ``None`` leaves the column empty (ops too small
    for bandwidth to mean anything). ``flops`` (floating-point operations of one call, e.g.
    2*m*n*k for a matrix product), when given, adds GFLOP/s columns and puts a % of the FMA peak
    for ``dtype`` in the % column instead. ``pattern`` ("read", "scale", "add") picks the
    bandwidth column of the limits table; by default it is inferred from the inputs and output.
    """

    name: str
    shape: tuple
    dtype: str
    pydl: Callable
    torch: Callable
    inputs: Union[int, InputFactory] = 1
    bytes: Union[int, str, None] = AUTO
    flops: Optional[int] = None
    pattern: Optional[str] = None
    tol: Optional[tuple] = None

    @classmethod
    def same(cls, name: str, shape: tuple, dtype: str, fn: Callable, **kwargs) -> "Case":
        """A case whose code is spelled the same for both libraries (operators, methods)."""
        return cls(name, shape, dtype, fn, fn, **kwargs)

    def make_inputs(self, rng: np.random.Generator) -> list:
        """The input arrays, as NumPy arrays (possibly non-contiguous views)."""
        if callable(self.inputs):
            return list(self.inputs(rng))
        return [rng.standard_normal(self.shape).astype(self.dtype) for _ in range(self.inputs)]


@dataclass
class Settings:
    """How a run measures: repeats, warm-up batches, target length of one repeat (ns), time
    budget per case and thread count (ns), device, and peaks that override the limits table."""

    repeats: int = 21
    warmup: int = 2
    target_ns: int = 5_000_000
    budget_ns: int = 4_000_000_000     # per case and thread count; slow ops get fewer repeats
    device: str = "cpu"
    peak_gbs: Optional[float] = None      # overrides the limits table when set
    peak_gflops: Optional[float] = None   # float32 peak of ONE core on CPU, of the device on CUDA
    seed: int = 0


@dataclass
class Result:
    """The outcome of one (case, thread count): a JSON record and a table row."""

    name: str
    shape: str
    dtype: str
    threads: int
    status: str                            # ok | missing | MISMATCH | error
    detail: str = ""
    pydl_ns: Optional[float] = None        # median time of one call
    torch_ns: Optional[float] = None
    ratio: Optional[float] = None          # torch_ns / pydl_ns: > 1 means pydl is faster
    pydl_calls_per_repeat: Optional[int] = None
    torch_calls_per_repeat: Optional[int] = None
    pydl_repeat_ns: list = field(default_factory=list)   # per-call time of every repeat
    torch_repeat_ns: list = field(default_factory=list)
    bytes: Optional[int] = None
    flops: Optional[int] = None
    peak: Optional[float] = None
    peak_unit: Optional[str] = None        # "GB/s" or "GFLOP/s"
    pydl_gflops: Optional[float] = None    # flops / median time, for cases that declare flops
    torch_gflops: Optional[float] = None
    pydl_pct: Optional[float] = None
    torch_pct: Optional[float] = None


def resolve(module, *dotted_names: str) -> Callable:
    """The first of ``dotted_names`` that exists on ``module``, else a stub raising AttributeError.

    pydl grows op by op and an op may first land under another spelling (``pydl.gelu`` before
    ``pydl.nn.functional.gelu``); the stub makes the case show up as "missing" instead of crashing.
    """
    for dotted in dotted_names:
        obj = module
        try:
            for part in dotted.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj

    def missing(*args, **kwargs):
        raise AttributeError(f"{module.__name__} has none of: {', '.join(dotted_names)}")
    return missing


def is_missing(exc: BaseException) -> bool:
    """Whether an exception means "pydl has no such op yet" rather than a bug."""
    if isinstance(exc, (AttributeError, NotImplementedError)):
        return True
    # A Tensor class without __add__ & co. makes Python raise this TypeError for `a + b`.
    return isinstance(exc, TypeError) and "unsupported operand" in str(exc)


def unwrap(result):
    """The values tensor of a (values, indices) result such as ``max(dim)``; else the result."""
    if hasattr(result, "values") and not callable(result.values):
        return result.values
    return result


def to_numpy(result) -> np.ndarray:
    """A pydl or torch result as a NumPy array (on the host, bfloat16 widened to float32)."""
    result = unwrap(result)
    result = result.detach() if hasattr(result, "detach") else result
    result = result.cpu()
    if "bfloat16" in str(result.dtype):
        result = result.float()
    return np.asarray(result.numpy())


def check(case: Case, pydl_out, torch_out) -> str:
    """An empty string when pydl's result matches torch's, else what differs."""
    pydl_out, torch_out = unwrap(pydl_out), unwrap(torch_out)
    dtype_name = str(torch_out.dtype).rsplit(".", 1)[-1]
    pydl_dtype = str(pydl_out.dtype).rsplit(".", 1)[-1]
    if pydl_dtype != dtype_name:
        return f"dtype {pydl_dtype} != torch {dtype_name}"
    expected, got = to_numpy(torch_out), to_numpy(pydl_out)
    if got.shape != expected.shape:
        return f"shape {got.shape} != torch {expected.shape}"
    rtol, atol = case.tol or TOLERANCES.get(dtype_name, (0.0, 0.0))
    if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True):
        with np.errstate(invalid="ignore"):
            worst = float(np.nanmax(np.abs(got.astype(np.float64) - expected)))
        return f"max abs diff {worst:.3g} (rtol={rtol}, atol={atol})"
    return ""


def set_threads(n: int) -> None:
    """Give both libraries the same intra-op thread count."""
    torch.set_num_threads(n)
    pydl.set_num_threads(n)


def device_helpers(device: str):
    """(move, sync) for a device: move(tensor) puts an input there, sync() waits for it."""
    if device == "cpu":
        return (lambda t: t), (lambda: None)

    def sync():
        torch.cuda.synchronize()
        pydl.cuda.synchronize()
    return (lambda t: t.cuda()), sync


def _fill_peak_columns(res: Result, case: Case, arrays, out_nbytes, settings: Settings) -> None:
    """Work out bytes/flops of one call and the % of the machine's peak both libraries reach."""
    on_cpu = settings.device == "cpu"   # the limits table describes the CPU only
    if case.flops is not None:
        res.flops, res.peak_unit, work = case.flops, "GFLOP/s", case.flops
        res.pydl_gflops, res.torch_gflops = work / res.pydl_ns, work / res.torch_ns   # flop/ns
        if on_cpu:   # a per-core peak scales with the threads; a GPU's is the whole device's
            res.peak = limits.flop_peak_gflops(res.threads, case.dtype, per_core=settings.peak_gflops)
        else:
            res.peak = settings.peak_gflops
    elif case.bytes is not None:
        in_nbytes = [a.nbytes for a in arrays]
        res.bytes = sum(in_nbytes) + out_nbytes if case.bytes == AUTO else case.bytes
        res.peak_unit, work = "GB/s", res.bytes
        pattern = case.pattern or limits.infer_pattern(in_nbytes, out_nbytes)
        largest_floats = max(in_nbytes + [out_nbytes]) / 4
        res.peak = settings.peak_gbs or (
            limits.bandwidth_peak_gbs(res.threads, largest_floats, pattern) if on_cpu else None)
    else:
        return
    if res.peak:   # bytes (flops) per ns are GB/s (GFLOP/s)
        res.pydl_pct = 100.0 * work / res.pydl_ns / res.peak
        res.torch_pct = 100.0 * work / res.torch_ns / res.peak


def run_case(case: Case, threads: Sequence[int], settings: Settings, on_done=None) -> list:
    """Check and time one case at each thread count; never raises for a pydl shortcoming.

    ``on_done`` is called after each thread count (the progress bar's hook).
    """
    move, sync = device_helpers(settings.device)
    shape = str(tuple(case.shape)).replace(" ", "")
    results = []

    def record(n, status, detail=""):
        results.append(Result(case.name, shape, case.dtype, n, status, detail))
        if on_done:
            on_done()

    try:
        arrays = case.make_inputs(np.random.default_rng(settings.seed))
        torch_args = [move(torch.from_numpy(a)) for a in arrays]
        pydl_args = [move(pydl.from_numpy(a)) for a in arrays]
    except Exception as exc:   # a broken input factory or from_numpy: report it, go on
        for n in threads:
            record(n, "error", f"inputs: {type(exc).__name__}: {exc}")
        return results

    for n in threads:
        set_threads(n)
        try:
            torch_out = case.torch(*torch_args)
        except Exception as exc:
            record(n, "error", f"torch: {type(exc).__name__}: {exc}")
            continue
        try:
            pydl_out = case.pydl(*pydl_args)
        except Exception as exc:
            record(n, "missing" if is_missing(exc) else "error", f"{type(exc).__name__}: {exc}")
            continue
        try:
            mismatch = check(case, pydl_out, torch_out)
        except Exception as exc:   # e.g. a result that cannot be read back
            record(n, "error", f"check: {type(exc).__name__}: {exc}")
            continue
        if mismatch:   # timing a wrong answer would be worthless
            record(n, "MISMATCH", mismatch)
            continue
        out_nbytes = to_numpy(torch_out).nbytes
        del torch_out, pydl_out
        p_times, t_times, p_calls, t_calls = measure_interleaved(
            case.pydl, pydl_args, case.torch, torch_args, sync,
            settings.repeats, settings.warmup, settings.target_ns, settings.budget_ns)
        res = Result(case.name, shape, case.dtype, n, "ok",
                     pydl_ns=float(np.median(p_times)), torch_ns=float(np.median(t_times)),
                     pydl_calls_per_repeat=p_calls, torch_calls_per_repeat=t_calls,
                     pydl_repeat_ns=p_times, torch_repeat_ns=t_times)
        res.ratio = res.torch_ns / res.pydl_ns
        _fill_peak_columns(res, case, arrays, out_nbytes, settings)
        results.append(res)
        if on_done:
            on_done()
    return results
