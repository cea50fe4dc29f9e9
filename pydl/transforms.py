"""``pydl.transforms``: the same module as :mod:`pydl.datasets.transforms`, under torchvision's short name."""
from .datasets.transforms import *  # noqa: F401,F403
from .datasets.transforms import __all__  # noqa: F401
