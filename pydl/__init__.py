"""pydl: a small, fast deep-learning library with a compiled C++/CUDA engine.

The API mirrors PyTorch's names and semantics: ``import pydl as torch`` is the goal.
``pydl.Tensor`` is the compiled class itself (``pydl._C.Tensor``); this package re-exports
the core and adds the Python-only conveniences.
"""
try:
    from . import _C
except ImportError as e:  # pragma: no cover - only when running from an unbuilt source tree
    raise ImportError(
        "pydl's compiled core (pydl._C) could not be imported. Install the package with "
        "`pip install .` (or an editable build, see README) instead of importing the source tree."
    ) from e

from ._C import (  # noqa: F401
    Tensor, Generator, device, dtype,
    bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
    tensor, as_tensor, from_numpy, zeros, ones, empty, full, empty_strided,
    zeros_like, ones_like, empty_like, full_like, arange, linspace, logspace, eye,
    get_default_dtype, set_default_dtype, promote_types, result_type, can_cast,
    manual_seed, seed, initial_seed, get_rng_state, set_rng_state,
    rand, randn, randint, randperm, bernoulli, normal,
    get_num_threads, set_num_threads,
)
# Every public op of the compiled core is pydl.<name> (pydl.exp, pydl.where, ...), as in torch.
globals().update({_k: _v for _k, _v in vars(_C).items()
                  if not _k.startswith("_") and callable(_v) and _k not in globals()})
from ._size import Size  # noqa: F401
from . import _tensor  # noqa: F401  (attaches repr, pickling, DLPack, ... to Tensor)
from ._tensor import from_dlpack, rand_like, randn_like, randint_like  # noqa: F401
from ._tensor_str import set_printoptions, get_printoptions, printoptions  # noqa: F401
from ._config import show_config  # noqa: F401
from . import cuda, cpu, nn  # noqa: F401
from .nn.functional import pixel_shuffle, pixel_unshuffle  # noqa: F401  (torch.pixel_shuffle, ...)
from . import linalg, return_types  # noqa: F401
from . import autograd  # noqa: F401
from .serialization import save, load  # noqa: F401
from . import optim  # noqa: F401
from .autograd.grad_mode import (  # noqa: F401
    no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled, is_inference_mode_enabled)

__version__ = _C._build_info()["version"]

# PyTorch's aliases.
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
cfloat = None  # complex dtypes are not supported
del cfloat

strided = "strided"
