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


def check_error(expected, call, fragment):
    """call(lib) raises `expected` in pydl with `fragment` in the message, and in torch too when
    it is installed (without it, the expected classes in the tables still hold)."""
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        with pytest.raises(expected):
            call(torch)
    with pytest.raises(expected) as info:
        call(pydl)
    assert fragment in str(info.value)
