"""Reporting: the printed table, the geometric-mean summary, the JSON file and the PNG charts."""
from __future__ import annotations

import ast
import dataclasses
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")   # files only: no display is needed (or present on CI machines)
import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)
from matplotlib import ticker  # noqa: E402

COLUMNS = ("op", "shape", "dtype", "thr", "pydl", "torch", "ratio", "pydl %pk", "torch %pk", "note")
RATE_COLUMNS = ("pydl GF/s", "torch GF/s")   # after "ratio", only when some case declares flops
RIGHT_ALIGNED = {"thr", "pydl", "torch", "ratio", "pydl %pk", "torch %pk", *RATE_COLUMNS}


def format_time(ns: Optional[float]) -> str:
    """A duration with a unit that keeps 3 significant digits readable (ns, us, ms, s)."""
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def _pct(value: Optional[float], unit: Optional[str]) -> str:
    if value is None:
        return ""
    return f"{value:.0f}% {'bw' if unit == 'GB/s' else 'fl'}"


def _rate(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.3g}"


def table_columns(results: Sequence) -> tuple:
    """COLUMNS, plus the GFLOP/s pair when any result has a FLOP rate."""
    if not any(getattr(r, "pydl_gflops", None) is not None for r in results):
        return COLUMNS
    at = COLUMNS.index("ratio") + 1
    return COLUMNS[:at] + RATE_COLUMNS + COLUMNS[at:]


def table_rows(results: Sequence) -> list:
    """One list of cell strings per result, in ``table_columns(results)`` order."""
    rates = table_columns(results) != COLUMNS
    rows = []
    for r in results:
        ok = r.status == "ok"
        rows.append([
            r.name, r.shape, r.dtype, str(r.threads),
            format_time(r.pydl_ns) if ok else r.status,
            format_time(r.torch_ns) if ok else "",
            f"{r.ratio:.2f}x" if ok else "",
            *([_rate(r.pydl_gflops), _rate(r.torch_gflops)] if rates else []),
            _pct(r.pydl_pct, r.peak_unit), _pct(r.torch_pct, r.peak_unit),
            "" if ok else _shorten(r.detail),
        ])
    return rows


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def format_table(results: Sequence) -> str:
    """The results as an aligned plain-text table with a header line."""
    columns = table_columns(results)
    rows = [list(columns)] + table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]

    def line(row):
        cells = [cell.rjust(w) if col in RIGHT_ALIGNED else cell.ljust(w)
                 for cell, w, col in zip(row, widths, columns)]
        return "  ".join(cells).rstrip()
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule] + [line(row) for row in rows[1:]])


def geomean_summary(results: Sequence) -> list:
    """One line per thread count: geometric mean of the ratios of the cases that ran."""
    lines = []
    for n in sorted({r.threads for r in results}):
        mine = [r for r in results if r.threads == n]
        ratios = [r.ratio for r in mine if r.status == "ok"]
        counts = {s: sum(r.status == s for r in mine) for s in ("missing", "MISMATCH", "error")}
        skipped = ", ".join(f"{c} {s}" for s, c in counts.items() if c)
        if ratios:
            gm = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            head = f"threads={n}: geometric mean ratio {gm:.2f}x over {len(ratios)} cases"
        else:
            head = f"threads={n}: no case ran"
        lines.append(head + (f" ({skipped})" if skipped else ""))
    return lines


def cpu_model() -> str:
    """The CPU's marketing name, from /proc/cpuinfo where there is one."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(threads: Sequence[int], device: str, quick: bool) -> dict:
    """What a reader needs to interpret the numbers: hardware, versions, settings."""
    import numpy
    import torch

    import pydl
    build = pydl._C._build_info() if hasattr(pydl._C, "_build_info") else {}
    info = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy_version": numpy.__version__,
        "torch_version": torch.__version__,
        "pydl_version": getattr(pydl, "__version__", "unknown"),
        "pydl_build": build,
        "bench_commit": _git_commit(),
        "threads": list(threads),
        "device": device,
        "quick": quick,
        "argv": sys.argv,
        "load_average_at_end": _load_average(),
    }
    if device == "cuda":
        info["cuda_device"] = torch.cuda.get_device_name(0)
    return info


def _load_average() -> Optional[list]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):   # not on every platform
        return None


def busy_machine_warning() -> str:
    """A warning when other processes keep the CPUs busy (timings will be noisy), else ''."""
    load, cpus = _load_average(), os.cpu_count() or 1
    if load and load[0] > 0.5 * cpus:
        return (f"warning: load average {load[0]:.1f} on {cpus} CPUs: other processes are "
                "running, so timings (multi-threaded ones most) will be noisy")
    return ""


def _git_commit() -> Optional[str]:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def write_json(path: Path, suite: str, info: dict, results: Sequence) -> None:
    """Machine info plus one record per (case, thread count)."""
    payload = {"suite": suite, "machine": info,
               "results": [dataclasses.asdict(r) for r in results]}
    path.write_text(json.dumps(payload, indent=1) + "\n")


def case_labeler(results: Sequence):
    """A function giving a result's case label: name and shape, plus the dtype where ``results``
    mix dtypes (gemm's float32 and float64 `a @ b (512,512)` are different cases)."""
    several_dtypes = len({r.dtype for r in results}) > 1
    return lambda r: f"{r.name} {r.shape}" + (f" {r.dtype}" if several_dtypes else "")


def plot_ratios(path: Path, title: str, results: Sequence) -> None:
    """Bar chart of the ratios, one group per case and one bar per thread count, log scale."""
    threads = sorted({r.threads for r in results})
    label_of = case_labeler(results)
    labels = []
    for r in results:   # keep suite order; only cases with at least one measured ratio
        if r.status == "ok" and label_of(r) not in labels:
            labels.append(label_of(r))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(labels) * len(threads) + 2), 5))
    width = 0.8 / max(len(threads), 1)
    measured = []
    for i, n in enumerate(threads):
        ratio = {label_of(r): r.ratio for r in results if r.threads == n and r.status == "ok"}
        offset = (i - (len(threads) - 1) / 2) * width   # side by side within a case's group
        xs = [j + offset for j, lab in enumerate(labels) if lab in ratio]
        heights = [ratio[lab] for lab in labels if lab in ratio]
        measured += heights
        # Bars grow from 1.0, up where pydl is faster and down where it is slower.
        bars = ax.bar(xs, [h - 1.0 for h in heights], width, bottom=1.0, label=f"{n} thread(s)")
        ax.bar_label(bars, labels=[f"{h:.2f}" for h in heights], fontsize=7)
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_yscale("log")
    ax.set_ylim(min(measured + [0.5]) / 1.5, max(measured + [2.0]) * 1.5)
    ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_ylabel("torch time / pydl time  (> 1: pydl faster)")
    ax.set_title(title)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=35, ha="right", fontsize=8)
    if labels:
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no case ran (all missing or mismatched)", transform=ax.transAxes,
                ha="center", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_rate_vs_size(path: Path, title: str, results: Sequence) -> None:
    """GFLOP/s against the size n of square (n, n) cases, log2 x-axis: one solid (pydl) or dashed
    (torch) line per library and thread count, and the FMA peak of each thread count dotted.

    ``results`` are the rows of one size sweep (same op and dtype); rows not measured are left out.
    """
    fig, ax = plt.subplots(figsize=(8, 5))
    measured = [r for r in results if r.status == "ok" and r.pydl_gflops is not None]
    sizes = sorted({ast.literal_eval(r.shape)[0] for r in measured})
    for i, n in enumerate(sorted({r.threads for r in measured})):
        mine = sorted((r for r in measured if r.threads == n), key=lambda r: ast.literal_eval(r.shape))
        xs = [ast.literal_eval(r.shape)[0] for r in mine]
        color = f"C{i}"
        ax.plot(xs, [r.pydl_gflops for r in mine], "o-", color=color, label=f"pydl, {n} thread(s)")
        ax.plot(xs, [r.torch_gflops for r in mine], "s--", color=color, label=f"torch, {n} thread(s)")
        if mine[0].peak:
            ax.axhline(mine[0].peak, color=color, linestyle=":", linewidth=1,
                       label=f"FMA peak, {n} thread(s)")
    ax.set_xscale("log", base=2)
    if sizes:
        ax.set_xticks(sizes)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(ticker.NullLocator())
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no case ran (all missing or mismatched)", transform=ax.transAxes,
                ha="center", va="center")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("n  (n x n @ n x n)")
    ax.set_ylabel("GFLOP/s  (2 n^3 / median time)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
