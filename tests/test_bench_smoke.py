"""Smoke test of the benchmark harness (bench/): that it runs and reports, never how fast.

Speed is measured, never asserted: these tests only check that a case is classified correctly
(ok / missing / MISMATCH), and that the table, summary, JSON and chart are produced from results.
"""
import dataclasses
import json
import math
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("matplotlib")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import harness  # noqa: E402
import limits  # noqa: E402
import report  # noqa: E402
import run as bench_run  # noqa: E402
import suite_conv  # noqa: E402
import suite_gemm  # noqa: E402
import suite_nn  # noqa: E402
import suite_train  # noqa: E402

# As little measuring as possible: these tests are about plumbing.
FAST = harness.Settings(repeats=1, warmup=0, target_ns=10_000)


def run(case):
    return harness.run_case(case, [1], FAST)[0]


def test_matching_case_is_timed():
    res = run(harness.Case.same("clone", (16,), "float32", lambda a: a.clone()))
    assert res.status == "ok", res.detail
    assert res.pydl_ns > 0 and res.torch_ns > 0
    assert res.ratio == pytest.approx(res.torch_ns / res.pydl_ns)
    assert res.bytes == 2 * 16 * 4          # auto: the input read plus the output written
    assert res.pydl_pct is not None


def test_missing_op_is_reported_not_raised():
    def not_there(a, b):
        return a.no_such_op(b)
    res = run(harness.Case("op", (4,), "float32", not_there, lambda a, b: a + b, inputs=2))
    assert res.status == "missing"
    missing = harness.resolve(harness.pydl, "no.such.op", "nope")
    with pytest.raises(AttributeError):
        missing()


def test_wrong_answer_is_a_mismatch_and_not_timed():
    res = run(harness.Case("neg clone", (8,), "float32", lambda a: a.clone(),
                           lambda a: -a.clone()))
    assert res.status == "MISMATCH"
    assert res.pydl_ns is None


def test_bandwidth_peak_lookup_follows_the_limits_table():
    assert limits.bandwidth_peak_gbs(2, 1.6e7, "add") == 35.5
    assert limits.bandwidth_peak_gbs(1, 1.1e6, "read") == 78.5
    assert limits.bandwidth_peak_gbs(8, 1e9, "scale") == 35.3   # beyond the table: its edge
    assert limits.infer_pattern([64, 64], 64) == "add"
    assert limits.infer_pattern([4096], 16) == "read"
    assert limits.infer_pattern([64], 32) == "scale"


def test_flop_peak_scales_with_cores_and_dtype():
    per_core = limits.FP32_PEAK_GFLOPS_PER_THREAD
    assert limits.flop_peak_gflops(1) == per_core
    assert limits.flop_peak_gflops(1, "float64") == per_core / 2
    assert limits.flop_peak_gflops(1, per_core=39.6) == 39.6        # --peak-gflops is per core
    cores = limits.os.cpu_count()
    assert limits.flop_peak_gflops(cores + 3, per_core=10.0) == 10.0 * cores   # no extra cores


def test_gemm_suite_quick_cases_match_torch_and_report_gflops():
    """Every quick gemm case runs, agrees with torch within its tolerance and gets a rate."""
    cases = suite_gemm.cases(quick=True)
    assert max(c.shape[0] for c in cases if c.name == suite_gemm.SQUARE) == 1024   # no 2048
    results = [r for c in cases for r in harness.run_case(c, [1], FAST)]
    bad = [(r.name, r.shape, r.status, r.detail) for r in results if r.status != "ok"]
    assert not bad
    for r in results:
        assert r.pydl_gflops == pytest.approx(r.flops / r.pydl_ns) and r.torch_gflops > 0
        assert r.peak == limits.flop_peak_gflops(1, r.dtype) and r.pydl_pct > 0
    assert "pydl GF/s" in report.format_table(results).splitlines()[0]


def test_conv_suite_quick_cases_match_torch():
    """Every quick conv/pool case (forward and forward+backward) agrees with torch."""
    cases = suite_conv.cases(quick=True)
    assert not any("ResNet" in c.name for c in cases)
    results = [r for c in cases for r in harness.run_case(c, [1], FAST)]
    bad = [(r.name, r.status, r.detail) for r in results if r.status != "ok"]
    assert not bad
    assert all(r.pydl_gflops > 0 for r in results if r.name.startswith("conv2d"))


def test_train_suite_first_steps_match_torch():
    """From the same weights, pydl's first training step of every model (the MNIST models and
    the tiny GPT) gives torch's loss, at each thread count (the suite rebuilds its models per
    thread count)."""
    cases = [c for c in suite_train.cases(quick=False) if c.name.startswith("train step")]
    results = [r for c in cases for r in harness.run_case(c, [1, 2], FAST)]
    assert len(results) == 8
    bad = [(r.name, r.threads, r.status, r.detail) for r in results if r.status != "ok"]
    assert not bad


def test_train_suite_sequence_rows_match_torch():
    """The LSTM and attention rows compute torch's result (loss, dq) on their first call."""
    cases = [c for c in suite_train.cases(quick=False) if not c.name.startswith("train step")]
    assert {c.name.split()[0] for c in cases} == {"LSTM", "SDPA"}
    results = [r for c in cases for r in harness.run_case(c, [1], FAST)]
    bad = [(r.name, r.status, r.detail) for r in results if r.status != "ok"]
    assert not bad


def test_nn_suite_rows_match_torch():
    """Every nn row (normalisation, softmax, losses fwd+bwd, tiny Linear) gives torch's input gradient."""
    cases = suite_nn.cases(quick=True)
    assert {c.name.split()[0] for c in cases} >= {"layer_norm", "batch_norm", "cross_entropy", "softmax(dim=-1)"}
    bad = [(r.name, r.status, r.detail) for c in cases for r in harness.run_case(c, [1], FAST) if r.status != "ok"]
    assert not bad


def test_gemm_tolerance_catches_one_wrong_term():
    rtol, atol = suite_gemm.gemm_tol(1024)
    rng = harness.np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64, 1024)).astype("float32")
    right = a @ b.T
    wrong = right - a[:, :1] * b[:, :1].T    # one of the 1024 terms dropped
    assert not harness.np.allclose(wrong, right, rtol=rtol, atol=atol)


def test_gemm_suite_writes_json_and_both_charts(tmp_path):
    argv = ["--suite", "gemm", "--quick", "--threads", "1", "--only", "W2", "--out", str(tmp_path)]
    assert bench_run.main(argv) == 0
    assert len(list(tmp_path.glob("gemm-cpu-*.json"))) == 1
    assert len(list(tmp_path.glob("gemm-cpu-*-gflops.png"))) == 1   # no square rows: empty chart
    assert len(list(tmp_path.glob("gemm-cpu-*.png"))) == 2


def fake_results():
    ok = [harness.Result("add", "(16,)", "float32", n, "ok", pydl_ns=t, torch_ns=2 * t ** 2 / 100,
                         ratio=r, pydl_pct=50.0, peak_unit="GB/s")
          for n, t, r in ((1, 100.0, 2.0), (1, 2e6, 0.5), (2, 3e9, 4.0))]
    ok[1].name = "mul"
    bad = [harness.Result("exp", "(16,)", "float32", 1, "missing", "AttributeError: exp"),
           harness.Result("sum", "(4,4)", "float32", 2, "MISMATCH", "max abs diff 1")]
    return ok + bad


def test_table_and_summary():
    results = fake_results()
    lines = report.format_table(results).splitlines()
    assert len(lines) == 2 + len(results)
    assert len({line.index("float32") for line in lines[2:]}) == 1   # columns are aligned
    assert "MISMATCH" in lines[-1] and "missing" in lines[-2]
    summary = report.geomean_summary(results)
    assert summary[0].startswith("threads=1: geometric mean ratio 1.00x over 2 cases (1 missing)")
    assert summary[1].startswith("threads=2: geometric mean ratio 4.00x over 1 cases (1 MISMATCH)")
    assert report.format_time(1500) == "1.5 us" and report.format_time(None) == "-"


def test_json_and_chart_are_written(tmp_path):
    results = fake_results()
    info = report.machine_info([1, 2], "cpu", quick=True)
    report.write_json(tmp_path / "r.json", "ops", info, results)
    loaded = json.loads((tmp_path / "r.json").read_text())
    assert loaded["machine"]["torch_version"] and loaded["machine"]["threads"] == [1, 2]
    assert [r["status"] for r in loaded["results"]] == [r.status for r in results]
    assert math.isclose(loaded["results"][0]["ratio"], 2.0)
    label_of = report.case_labeler(results)
    assert label_of(results[0]) == "add (16,)"
    mixed = [results[0], dataclasses.replace(results[0], dtype="float64")]
    assert len({report.case_labeler(mixed)(r) for r in mixed}) == 2   # two bars, not one
    report.plot_ratios(tmp_path / "r.png", "test", results)
    report.plot_ratios(tmp_path / "empty.png", "test", results[3:])   # nothing measured
    assert (tmp_path / "r.png").stat().st_size > 1000
    assert (tmp_path / "empty.png").stat().st_size > 1000


def test_rate_chart_is_written(tmp_path):
    rows = [harness.Result("a @ b", f"({n},{n})", "float32", t, "ok", pydl_ns=1e3 * n, torch_ns=2e3 * n,
                           pydl_gflops=n / 10, torch_gflops=n / 20, peak=40.0 * t)
            for n in (8, 64, 512) for t in (1, 2)]
    rows.append(harness.Result("a @ b", "(16,16)", "float32", 1, "MISMATCH", "max abs diff 1"))
    report.plot_rate_vs_size(tmp_path / "g.png", "test", rows)
    report.plot_rate_vs_size(tmp_path / "none.png", "test", rows[-1:])   # nothing measured
    assert (tmp_path / "g.png").stat().st_size > 1000
    assert (tmp_path / "none.png").stat().st_size > 1000
