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
# convolution, fold/unfold and pooling: compiled (csrc/ops/conv.cpp, fold.cpp, pool.cpp)
from .._C._nn import (  # noqa: F401,E402
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, unfold, fold,
    max_pool1d, max_pool2d, max_pool3d, max_pool1d_with_indices, max_pool2d_with_indices,
    max_pool3d_with_indices, avg_pool1d, avg_pool2d, avg_pool3d,
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
    adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices,
)
from ._pooling import lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d, max_unpool2d, max_unpool3d  # noqa: F401,E402
# spatial: padding, resizing, pixel shuffles (composite Python over differentiable ops)
from ._spatial import (  # noqa: F401,E402
    pad, interpolate, upsample, upsample_nearest, upsample_bilinear, pixel_shuffle, pixel_unshuffle,
)
