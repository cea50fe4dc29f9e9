"""The train suite: end-to-end training steps, pydl against PyTorch.

Empty for now: it needs nn and autograd, which arrive with later issues. Its cases will be
whole training steps (forward, backward, optimizer step) of small models, in the same Case form.
"""
from __future__ import annotations

NOTE = "train suite: no cases yet (end-to-end training benchmarks arrive with nn and autograd)."


def cases(quick: bool = False) -> list:
    """The suite's cases (none yet)."""
    return []
