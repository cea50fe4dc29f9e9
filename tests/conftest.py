"""Shared pytest setup: every test starts from float32 as the default dtype and a fixed seed."""
import pytest

import pydl


@pytest.fixture(autouse=True)
def _pydl_defaults():
    pydl.manual_seed(0)
    yield
    pydl.set_default_dtype(pydl.float32)
