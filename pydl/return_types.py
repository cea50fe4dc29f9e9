"""Named tuples returned by ops with several results, like ``torch.return_types``.

``pydl.sort(x)`` returns a ``pydl.return_types.sort``: a tuple subclass, so ``values, indices =
pydl.sort(x)`` and ``pydl.sort(x)[0]`` work, with the fields also reachable by name
(``.values``, ``.indices``). The types are created by the compiled core (one per op).
"""
from . import _C

globals().update({_k: _v for _k, _v in vars(_C._return_types).items() if not _k.startswith("_")})
__all__ = sorted(_k for _k in vars(_C._return_types) if not _k.startswith("_"))
