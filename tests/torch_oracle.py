"""Shared helper of the bad-input tests: PyTorch as the oracle for exception classes."""
import pytest

import pydl


def both(fn):
    """Runs fn(lib) on pydl and torch, each expected to raise; returns (pydl error, torch error)."""
    torch = pytest.importorskip("torch")
    errs = []
    for lib in (pydl, torch):
        with pytest.raises(Exception) as info:
            fn(lib)
        errs.append(info.value)
    return errs
