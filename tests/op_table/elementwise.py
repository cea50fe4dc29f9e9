"""Op table rows for elementwise math: unary, binary, ternary (tests/op_table/__init__.py)."""
import math

import numpy as np

from . import ALL, FLOATS, INTS, NUMERIC, SIGNED_INTS, OpInfo, Sample, Keep, binary_samples, make_array, unary_samples

ANY_INPUT = ALL  # float-promoting ops accept every dtype (ints compute in the default float)

_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _erfinv(x):
    # Newton on math.erf, from a good start; the oracle only needs float64 accuracy.
    x = np.asarray(x, dtype=np.float64)
    y = np.where(np.abs(x) < 1, np.sqrt(-np.log((1 - x) * (1 + x))) * np.sign(x) * 0.8, np.sign(x) * np.inf)
    with np.errstate(all="ignore"):
        for _ in range(60):
            y = np.where(np.abs(x) < 1, y - (_erf(y) - x) / (2 / np.sqrt(np.pi) * np.exp(-y * y)), y)
    return np.where(np.abs(x) > 1, np.nan, y)


def _sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=np.float64)))


def _floor_div(a, b):
    if np.asarray(a).dtype.kind in "iub":
        return np.floor_divide(a, b)
    with np.errstate(all="ignore"):
        return np.floor_divide(a, b)


def nonzero_rhs(**kw):
    """binary_samples with a divisor that is never 0 (integer division by zero raises)."""
    base = binary_samples(**kw)

    def gen(dtype, rng):
        for s in base(dtype, rng):
            a, b = s.args
            b = np.where(b == 0, 3, b).astype(b.dtype)
            yield Sample((a, b), s.kwargs, s.desc)
    return gen


def u(name, ref, dtypes=ANY_INPUT, low=-5.0, high=5.0, **kw):
    # Ops that promote integers to float are referenced in float64 (np.exp(int8) is float16).
    if dtypes is ANY_INPUT:
        kw.setdefault("ref_dtype", "float64")
    return OpInfo(name, ref, unary_samples(low, high), dtypes=dtypes, inplace=kw.pop("inplace", True),
                  out=kw.pop("out", True), **kw)


def b(name, ref, dtypes=NUMERIC, samples=None, **kw):
    return OpInfo(name, ref, samples or binary_samples(), dtypes=dtypes, inplace=kw.pop("inplace", True),
                  out=kw.pop("out", True), **kw)


F32_LOOSE = {"float32": (1e-5, 1e-5)}

OPS = [
    # --- unary, any numeric dtype
    u("neg", np.negative, dtypes=NUMERIC),
    u("abs", np.abs, dtypes=NUMERIC),
    u("sign", np.sign, dtypes=NUMERIC),
    u("square", np.square, dtypes=NUMERIC),
    u("floor", np.floor, dtypes=NUMERIC),
    u("ceil", np.ceil, dtypes=NUMERIC),
    u("trunc", np.trunc, dtypes=NUMERIC),
    u("round", np.round, dtypes=NUMERIC, low=-4.0, high=4.0),
    u("frac", lambda x: x - np.trunc(x), dtypes=FLOATS),
    u("relu", lambda x: np.maximum(x, 0).astype(x.dtype), dtypes=NUMERIC),
    u("bitwise_not", np.invert, dtypes=("bool",) + INTS, differentiable=False),
    u("logical_not", np.logical_not, dtypes=ALL, differentiable=False),
    u("isnan", np.isnan, dtypes=ALL, differentiable=False, inplace=False),
    u("isinf", np.isinf, dtypes=ALL, differentiable=False, inplace=False),
    u("isfinite", np.isfinite, dtypes=ALL, differentiable=False, inplace=False),
    # --- unary, floating results
    u("exp", np.exp, low=-20, high=20),
    u("exp2", np.exp2, low=-20, high=20),
    u("expm1", np.expm1, low=-3, high=3),
    u("log", np.log, low=0.01, high=100),
    u("log2", np.log2, low=0.01, high=100),
    u("log10", np.log10, low=0.01, high=100),
    u("log1p", np.log1p, low=-0.9, high=10),
    u("sqrt", np.sqrt, low=0, high=100),
    u("rsqrt", lambda x: 1 / np.sqrt(x), low=0.1, high=100),
    u("reciprocal", lambda x: 1 / np.asarray(x, dtype=np.float64), low=0.5, high=5),
    u("sin", np.sin), u("cos", np.cos), u("tan", np.tan, low=-1.4, high=1.4),
    u("asin", np.arcsin, low=-0.99, high=0.99), u("acos", np.arccos, low=-0.99, high=0.99), u("atan", np.arctan),
    u("sinh", np.sinh), u("cosh", np.cosh), u("tanh", np.tanh),
    u("asinh", np.arcsinh), u("acosh", np.arccosh, low=1, high=10), u("atanh", np.arctanh, low=-0.95, high=0.95),
    u("sigmoid", _sigmoid, low=-30, high=30),
    u("erf", _erf), u("erfc", _erfc, low=-3, high=3, tol={"float32": (2e-6, 1e-6)}),
    u("erfinv", _erfinv, low=-0.99, high=0.99, tol={"float32": (2e-6, 1e-5)}),
    OpInfo("logit", lambda x, eps=None: np.log(np.clip(x, eps, 1 - eps) / (1 - np.clip(x, eps, 1 - eps)))
           if eps is not None else np.log(x / (1 - x)),
           unary_samples(0.05, 0.95), dtypes=FLOATS, inplace=True, out=True),
    OpInfo("logit", lambda x, eps: np.log(np.clip(x, eps, 1 - eps) / (1 - np.clip(x, eps, 1 - eps))),
           unary_samples(-0.5, 1.5, eps=0.1), dtypes=FLOATS, inplace=True, out=True),
    OpInfo("round", lambda x, decimals: np.round(x, decimals), unary_samples(-50, 50, decimals=2), dtypes=("float32", "float64"),
           inplace=True, out=True),
    OpInfo("nan_to_num", np.nan_to_num, lambda d, rng: [Sample((np.array([np.nan, np.inf, -np.inf, 1.5, -2.0]),))],
           dtypes=("float32", "float64"), inplace=True, out=True, layouts=False),
    OpInfo("clamp", lambda x, min=None, max=None: np.clip(x, min, max), unary_samples(min=-2, max=3),
           dtypes=SIGNED_INTS + FLOATS,
           inplace=True, out=True),
    OpInfo("clamp", lambda x, min=None, max=None: np.clip(x, min, max), unary_samples(min=-2.5), dtypes=FLOATS,
           inplace=True, out=True),
    OpInfo("clip", lambda x, min=None, max=None: np.clip(x, min, max), unary_samples(max=1), dtypes=NUMERIC,
           inplace=True, out=True),
    OpInfo("pow", lambda x, exponent: np.power(x, exponent), unary_samples(0.5, 3, exponent=3), dtypes=NUMERIC,
           fn=lambda lib, x, exponent: lib.pow(x, exponent), inplace=False, out=False),
    OpInfo("pow", lambda x: np.power(x, 0.5), unary_samples(0, 9), dtypes=FLOATS,
           fn=lambda lib, x: lib.pow(x, 0.5), method=False),
    OpInfo("pow", lambda x: np.power(x, 2), unary_samples(-3, 3), dtypes=NUMERIC,
           fn=lambda lib, x: x ** 2, method=False),
    # --- binary arithmetic
    b("add", np.add), b("sub", np.subtract),
    b("add", lambda a, b, alpha: a + alpha * b, samples=binary_samples(alpha=2)),
    b("sub", lambda a, b, alpha: a - alpha * b, samples=binary_samples(alpha=3)),
    b("mul", np.multiply, dtypes=ALL),
    b("div", lambda a, b: np.true_divide(np.asarray(a, np.float64), b), samples=nonzero_rhs(), dtypes=NUMERIC),
    b("div", lambda a, b, rounding_mode: np.trunc(np.asarray(a, np.float64) / b), samples=nonzero_rhs(rounding_mode="trunc")),
    b("div", lambda a, b, rounding_mode: np.floor_divide(a, b), samples=nonzero_rhs(rounding_mode="floor")),
    b("floor_divide", _floor_div, samples=nonzero_rhs()),
    b("remainder", np.remainder, samples=nonzero_rhs()),
    b("fmod", np.fmod, samples=nonzero_rhs()),
    b("pow", lambda a, b: np.power(a, b), samples=binary_samples(0.5, 3, rhs_low=0, rhs_high=3), dtypes=NUMERIC,
      tol={"float32": (1e-5, 1e-5)}),
    b("atan2", np.arctan2, dtypes=ALL, ref_dtype="float64"), b("hypot", np.hypot, dtypes=FLOATS),
    b("maximum", np.maximum, dtypes=ALL, inplace=False), b("minimum", np.minimum, dtypes=ALL, inplace=False),
    b("fmax", np.fmax, dtypes=ALL, inplace=False), b("fmin", np.fmin, dtypes=ALL, inplace=False),
    b("copysign", np.copysign, dtypes=FLOATS),
    b("xlogy", lambda a, b: np.where(a == 0, 0.0, a * np.log(np.abs(b) + 0.5)), dtypes=("float32", "float64"),
      inplace=False,
      fn=lambda lib, a, b, **kw: lib.xlogy(a, lib.abs(b) + 0.5, **kw), method=False, out=False),
    b("bitwise_and", np.bitwise_and, dtypes=("bool",) + INTS, differentiable=False),
    b("bitwise_or", np.bitwise_or, dtypes=("bool",) + INTS, differentiable=False),
    b("bitwise_xor", np.bitwise_xor, dtypes=("bool",) + INTS, differentiable=False),
    b("bitwise_left_shift", np.left_shift, dtypes=SIGNED_INTS, samples=binary_samples(-20, 20, rhs_low=0, rhs_high=5),
      differentiable=False),
    b("bitwise_right_shift", np.right_shift, dtypes=SIGNED_INTS, samples=binary_samples(-20, 20, rhs_low=0, rhs_high=5),
      differentiable=False),
    # --- comparisons and logic (bool results)
    *[b(n, f, dtypes=ALL, differentiable=False, samples=binary_samples(-2, 2))
      for n, f in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                   ("gt", np.greater), ("ge", np.greater_equal), ("logical_and", np.logical_and),
                   ("logical_or", np.logical_or), ("logical_xor", np.logical_xor)]],
    OpInfo("isclose", lambda a, b: np.isclose(b, a, rtol=1e-5, atol=1e-8) & np.isclose(a, b, rtol=1e-5, atol=1e-8) | (a == b),
           binary_samples(-2, 2), dtypes=("float32", "float64", "int32", "int64"), differentiable=False),
    # --- ternary
    OpInfo("where", lambda c, a, b: np.where(c, a, b),
           lambda d, rng: [Sample((Keep(rng.random(s) < 0.5), make_array(s, d, rng), make_array(s[-1:], d, rng)), {}, str(s))
                           for s in [(3, 4), (5,), (2, 3, 4)]],
           dtypes=ALL, method=False, out=True),
    OpInfo("lerp", lambda a, b, w: a + w * (b - a),
           lambda d, rng: [Sample((make_array(s, d, rng), make_array(s, d, rng), 0.3), {}, str(s))
                           for s in [(3, 4), (7,), ()]], dtypes=FLOATS, inplace=True, out=True),
    OpInfo("lerp", lambda a, b: a + 0.75 * (b - a), binary_samples(), dtypes=FLOATS,
           fn=lambda lib, a, b, **kw: lib.lerp(a, b, b * 0 + 0.75, **kw), method=False, out=True),
    OpInfo("addcmul", lambda a, b, c, value=1: a + value * b * c,
           lambda d, rng: [Sample((make_array(s, d, rng), make_array(s, d, rng), make_array(s, d, rng)), {"value": 2}, str(s))
                           for s in [(3, 4), (7,), ()]], dtypes=NUMERIC, inplace=True, out=True),
    OpInfo("addcdiv", lambda a, b, c, value=1: a + value * b / c,
           lambda d, rng: [Sample((make_array(s, d, rng), make_array(s, d, rng), make_array(s, d, rng, 1, 3)), {"value": 0.5}, str(s))
                           for s in [(3, 4), (7,), ()]], dtypes=FLOATS, inplace=True, out=True),
]
