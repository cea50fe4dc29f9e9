"""pydl.nn: neural-network building blocks. So far: the functional activations (pydl.nn.functional)."""
from . import functional  # noqa: F401
