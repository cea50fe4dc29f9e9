"""The train suite: whole training steps of small models, pydl against PyTorch.

One timed call is one step: zero_grad, forward, cross-entropy, backward, optimizer step, on a
fixed batch of 64 MNIST-shaped inputs. The models are those of examples/ (MLP 784-256-10 with
SGD + momentum, LeNet-5 with Adam, ResNet-mini with AdamW), built from the same code for both
libraries and started from the same weights (torch's initialisation, copied into pydl), so
the first step's losses must agree. The ratio of step times is the ratio of steps/s.

Peak memory cannot be told apart inside one process, so ``after_report`` trains each model for
a few steps in a fresh interpreter per library and reports the peak resident set size (RSS).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch

import pydl

from harness import Case
import seq_models
from train_models import BATCH, MODELS, mnist_batch, training_step


def build(lib, name, seed=0):
    """The model, optimizer and loss of `name` in `lib` (pydl or torch). The weights are torch's
    default initialisation under `seed`, copied into pydl's model, so both start from the same
    point and the first step's losses must agree."""
    make_model, make_optimizer = MODELS[name]
    torch.manual_seed(seed)
    reference = make_model(torch.nn)
    model = reference
    if lib is not torch:
        model = make_model(lib.nn)
        model.load_state_dict({k: lib.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()})
    return model, make_optimizer(lib.optim, model.parameters()), lib.nn.CrossEntropyLoss()


def cases(quick: bool = False) -> list:
    """One case per model (quick: MLP and LeNet), then the sequence-model rows (seq_models.py;
    not in quick runs)."""
    names = list(MODELS)[:2] if quick else list(MODELS)
    rows = [Case(f"train step {name}", (BATCH, 1, 28, 28), "float32",
                 training_step(pydl, name, build), training_step(torch, name, build),
                 inputs=mnist_batch, bytes=None, tol=(1e-4, 1e-5))
            for name in names]
    return rows if quick else rows + seq_models.cases()


_RSS_SCRIPT = """
import sys
sys.path.insert(0, {bench!r})
import numpy as np
import train_models
lib = __import__({lib!r})
lib.set_num_threads(1)
x, y = (lib.from_numpy(a) for a in train_models.mnist_batch(np.random.default_rng(0)))
step = train_models.training_step(lib, {name!r})
for _ in range({steps}):
    step(x, y)
# VmHWM, not getrusage's ru_maxrss: that one keeps the parent's high-water mark across fork+exec.
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))  # KiB
"""


def peak_rss_mib(lib: str, name: str, steps: int = 20) -> float:
    """Peak RSS (MiB) of a fresh interpreter that imports `lib` and trains `name` for `steps`.
    The probe imports only the library it measures and NumPy (not this module, which imports
    both), each with its own default initialisation."""
    script = _RSS_SCRIPT.format(bench=str(Path(__file__).resolve().parent), lib=lib, name=name, steps=steps)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def after_report(args, stem: Path) -> None:
    """Peak RSS of pydl and torch training each model, printed and written next to the JSON."""
    names = list(MODELS)[:2] if args.quick else list(MODELS)
    rows = []
    print("\npeak RSS of a process training the model (fresh interpreter per library, MiB)")
    print(f"{'model':24s} {'pydl':>8s} {'torch':>8s} {'pydl/torch':>11s}")
    for name in names:
        mine, theirs = peak_rss_mib("pydl", name), peak_rss_mib("torch", name)
        rows.append({"model": name, "pydl_mib": mine, "torch_mib": theirs, "ratio": mine / theirs})
        print(f"{name:24s} {mine:8.1f} {theirs:8.1f} {mine / theirs:11.2f}")
    path = stem.with_name(stem.name + "-rss.json")
    path.write_text(json.dumps(rows, indent=2))
    print(f"wrote {path}")
