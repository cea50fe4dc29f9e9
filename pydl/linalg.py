"""pydl.linalg: linear algebra, with torch.linalg's names (vector_norm and matmul so far)."""
from . import _C

vector_norm = _C._linalg.vector_norm
matmul = _C._linalg.matmul

__all__ = ["vector_norm", "matmul"]
