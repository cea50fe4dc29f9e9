"""Op table rows for the activation functions (pydl.nn.functional, torch.nn.functional)."""
import math

import numpy as np

from . import FLOATS, OpInfo, unary_samples

_erf = np.vectorize(math.erf, otypes=[np.float64])


def F(name, ref, low=-6.0, high=6.0, tol=None, **kwargs):
    """A row calling lib.nn.functional.<name>(x, **kwargs)."""
    return OpInfo(name, lambda x, **kw: ref(np.asarray(x, np.float64), **kw), unary_samples(low, high, **kwargs),
                  dtypes=FLOATS, fn=lambda lib, x, **kw: getattr(lib.nn.functional, name)(x, **kw), method=False,
                  tol=tol or {})


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


OPS = [
    F("relu", lambda x: np.maximum(x, 0)),
    F("relu6", lambda x: np.clip(x, 0, 6), low=-3, high=9),
    F("leaky_relu", lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope), negative_slope=0.2),
    F("elu", lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(x)), alpha=1.5),
    F("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    F("celu", lambda x, alpha=1.0: np.maximum(0, x) + np.minimum(0, alpha * np.expm1(x / alpha)), alpha=0.7),
    F("gelu", lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), low=-10, high=10),
    F("gelu", lambda x, approximate: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
      approximate="tanh"),
    F("silu", lambda x: x / (1 + np.exp(-x)), low=-30, high=30),
    F("mish", lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    F("softplus", _softplus, low=-30, high=30),
    F("softplus", _softplus, beta=2.0, threshold=5.0),
    F("softsign", lambda x: x / (1 + np.abs(x))),
    F("hardtanh", lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val), min_val=-2.0, max_val=0.5),
    F("hardsigmoid", lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    F("hardswish", lambda x: x * np.clip(x + 3, 0, 6) / 6),
    F("logsigmoid", lambda x: -np.log1p(np.exp(-x)), low=-30, high=30),
    F("sigmoid", lambda x: 1 / (1 + np.exp(-x)), low=-30, high=30),
    F("tanh", np.tanh),
]
