"""pydl.linalg: linear algebra, with torch.linalg's names (vector_norm so far)."""
from . import _C

vector_norm = _C._linalg.vector_norm

__all__ = ["vector_norm"]
