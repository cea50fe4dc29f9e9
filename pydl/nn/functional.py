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
# compositions over compiled ops (Python, differentiable through the C++ autograd)
from ._layers import (  # noqa: F401,E402
    bilinear, prelu, glu, threshold, softshrink, hardshrink, tanhshrink, rrelu,
)
from ._losses import (  # noqa: F401,E402
    mse_loss, l1_loss, smooth_l1_loss, huber_loss, nll_loss, cross_entropy, binary_cross_entropy,
    binary_cross_entropy_with_logits, kl_div,
)
from ._losses_extra import (  # noqa: F401,E402
    cosine_similarity, pairwise_distance, cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss,
    hinge_embedding_loss, poisson_nll_loss, gaussian_nll_loss, soft_margin_loss, multilabel_soft_margin_loss,
    multi_margin_loss,
)
from ._normalization import (  # noqa: F401,E402
    batch_norm, group_norm, instance_norm, layer_norm, local_response_norm, normalize, rms_norm,
)
from ._dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout  # noqa: F401,E402
from ._embedding import embedding, embedding_bag  # noqa: F401,E402
from ._attention import scaled_dot_product_attention  # noqa: F401,E402
from ._multihead import multi_head_attention_forward, _canonical_mask, _none_or_dtype  # noqa: F401,E402
