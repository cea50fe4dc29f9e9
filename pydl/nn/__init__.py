"""pydl.nn: neural-network building blocks with torch.nn's names and semantics: ``Module`` and
its containers, layers, losses, ``init``, ``utils`` and the functional forms
(``pydl.nn.functional``)."""
from . import functional  # noqa: F401
from . import init  # noqa: F401
from . import utils  # noqa: F401
from .parameter import Parameter, UninitializedParameter, Buffer  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
