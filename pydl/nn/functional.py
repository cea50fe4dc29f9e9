"""pydl.nn.functional: the functional forms of layers, with torch.nn.functional's signatures.

The activations are the compiled functions themselves (pydl._C._nn), so F.gelu(x) goes straight
to C++ with no Python wrapper in between.
"""
from .._C._nn import (  # noqa: F401
    relu, relu6, leaky_relu, elu, selu, celu, gelu, silu, mish, softplus, softsign,
    hardtanh, hardsigmoid, hardswish, logsigmoid, sigmoid, tanh,
)
# indexing
from .._C._nn import one_hot  # noqa: F401,E402
# softmax
from .._C._nn import softmax, log_softmax, softmin  # noqa: F401,E402
# linear layers
from .._C._nn import linear  # noqa: F401,E402
# spatial: padding, resizing, pixel shuffles (composite Python over differentiable ops)
from ._spatial import pad, interpolate, upsample, upsample_nearest, upsample_bilinear, pixel_shuffle, pixel_unshuffle  # noqa: F401,E402
