"""Shared pytest setup: every test starts from float32 as the default dtype and a fixed seed."""
import os
import sys

import pytest

import pydl

# The op table (tests/op_table/) is imported by name; pytest's importlib mode does not put
# tests/ on sys.path by itself.
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _pydl_defaults():
    pydl.manual_seed(0)
    yield
    pydl.set_default_dtype(pydl.float32)


@pytest.fixture
def restore_threads():
    """For tests that set the intra-op thread count: puts the previous one back."""
    n = pydl.get_num_threads()
    yield
    pydl.set_num_threads(n)
