"""Every example in examples/ trains for a few steps (``--smoke``) and its loss goes down.

The examples are the course material, so a broken one is a broken lesson: each is imported
from its file and its ``main`` called with ``--smoke``; it must write its PNG and return a
history whose per-step training loss fell (mean of the last five steps below the first five).
"""
import importlib.util
import statistics
from pathlib import Path

import pytest

pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def load(path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_covered():
    assert {p.stem for p in SCRIPTS} >= {"mnist_lenet", "mnist_mlp", "perceptron_xor", "regression_from_scratch"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_smoke_run_learns(script, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))  # as when run as a script: its shared _helpers import
    history = load(script).main(["--smoke", "--out", str(tmp_path)])
    losses = history["train_loss"]
    assert len(losses) >= 10, "a smoke run should take at least ten steps"
    assert statistics.fmean(losses[-5:]) < statistics.fmean(losses[:5]), losses
    assert (tmp_path / f"{script.stem}.png").stat().st_size > 10_000  # a real plot, not an empty file
