"""pydl benchmarks against PyTorch: the one entry point.

    python bench/run.py [--suite ops|gemm|conv|nn|train|optim|all] [--threads 1,2] [--device cpu|cuda] [--quick]

Prints a table and a geometric-mean summary, and writes bench/results/<suite>-<device>-<time>.json
plus a PNG chart of the ratios next to it (and, for the gemm suite, one of GFLOP/s against size).
See bench/README.md for the columns.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

import pydl

import harness
import report
import suite_conv
import suite_gemm
import suite_nn
import suite_ops
import suite_optim
import suite_train

# "all" runs them in this order
SUITES = {"ops": suite_ops, "gemm": suite_gemm, "conv": suite_conv, "nn": suite_nn, "train": suite_train,
          "optim": suite_optim}
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--suite", choices=[*SUITES, "all"], default="ops")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats (seconds)")
    p.add_argument("--only", default="",
                   help="run only cases whose name contains this text (or any of several, comma-separated)")
    p.add_argument("--peak-gbs", type=float, default=None,
                   help="memory bandwidth peak for the %% column (default: bench/limits.py)")
    p.add_argument("--peak-gflops", type=float, default=None,
                   help="float32 FMA peak of ONE core in GFLOP/s for the %% column, scaled by the\n"
                        "thread count (float64: half); with --device cuda, the GPU's peak\n"
                        "(default: bench/limits.py; measure it with shared/limits/peak_flops.c)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR, help="where JSON and PNG go")
    args = p.parse_args(argv)
    try:
        args.threads = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        p.error(f"--threads wants comma-separated integers, got {args.threads!r}")
    if not args.threads or min(args.threads) < 1:
        p.error("--threads needs at least one count >= 1")
    return args


def cuda_unavailable_reason() -> str:
    """Why --device cuda cannot run here, or an empty string when it can."""
    if not pydl.cuda.is_available():
        return "pydl has no usable CUDA device (pydl.cuda.is_available() is False)"
    if not torch.cuda.is_available():
        return "PyTorch has no usable CUDA device (torch.cuda.is_available() is False)"
    return ""


def run_suite(name: str, args: argparse.Namespace, settings: harness.Settings) -> None:
    """Run one suite: progress bar, table, summary, JSON and PNG."""
    module = SUITES[name]
    cases = [c for c in module.cases(quick=args.quick) if any(part in c.name for part in args.only.split(","))]
    if not cases:
        print(getattr(module, "NOTE", f"{name} suite: no cases to run."))
        return
    results = []
    with tqdm(total=len(cases) * len(args.threads), desc=name, unit="run", leave=False) as bar:
        for case in cases:
            bar.set_postfix_str(f"{case.name} {case.shape}")
            results += harness.run_case(case, args.threads, settings, on_done=lambda: bar.update())

    print(f"\n{name} suite on {args.device}  (ratio = torch time / pydl time: > 1 means pydl "
          f"is faster; %pk = % of the machine's bandwidth (bw) or FLOP (fl) peak)")
    print(report.format_table(results))
    for line in report.geomean_summary(results):
        print(line)
    if warning := report.busy_machine_warning():
        print(warning)

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{name}-{args.device}-{time.strftime('%Y%m%d-%H%M%S')}"
    info = report.machine_info(args.threads, args.device, args.quick)
    report.write_json(stem.with_suffix(".json"), name, info, results)
    hardware = info["cpu_model"] if args.device == "cpu" else info.get("cuda_device")
    charts = [stem.with_suffix(".png")]
    report.plot_ratios(charts[0], f"pydl vs PyTorch, {name} suite, {args.device} ({hardware})", results)
    # A suite with a size sweep names its rows in RATE_CHART = (case name, dtype).
    if sweep := getattr(module, "RATE_CHART", None):
        charts.append(stem.with_name(stem.name + "-gflops.png"))
        report.plot_rate_vs_size(charts[1], f"{sweep[0]}, {sweep[1]}, {args.device} ({hardware})",
                                 [r for r in results if (r.name, r.dtype) == tuple(sweep)])
    print(f"wrote {stem.with_suffix('.json')} and {' and '.join(map(str, charts))}")
    if after := getattr(module, "after_report", None):   # a suite's own extra measurements
        after(args, stem)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.device == "cuda" and (reason := cuda_unavailable_reason()):
        print(f"bench: --device cuda is not possible: {reason}.", file=sys.stderr)
        return 2
    if max(args.threads) > (os.cpu_count() or 1):
        print(f"note: {max(args.threads)} threads on {os.cpu_count()} CPUs oversubscribes them",
              file=sys.stderr)
    if warning := report.busy_machine_warning():
        print(warning, file=sys.stderr)
    settings = harness.Settings(
        repeats=5 if args.quick else 21, warmup=1 if args.quick else 2,
        target_ns=2_000_000 if args.quick else 5_000_000,
        budget_ns=1_000_000_000 if args.quick else 4_000_000_000, device=args.device,
        peak_gbs=args.peak_gbs, peak_gflops=args.peak_gflops)
    for name in (SUITES if args.suite == "all" else [args.suite]):
        run_suite(name, args, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
