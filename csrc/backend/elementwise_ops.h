// The elementwise and reduction operations a backend implements, as enums. An op in csrc/ops/
// picks the dtypes and shapes, builds an ElementwiseIter and asks the backend to run one of
// these; the CPU backend maps each to a small functor (csrc/cpu/kernels/*), CUDA likewise.
#pragma once
#include <cstdint>

namespace pydl {

// out = f(in). Input and output share the compute dtype unless noted.
enum class UnaryOp : uint8_t {
  // any numeric dtype
  Neg, Abs, Sign, Square, Floor, Ceil, Round, Trunc, Frac, Relu, Clamp, BitwiseNot,
  // -> bool output
  LogicalNot, IsNan, IsInf, IsPosInf, IsNegInf, IsFinite,
  // floating dtypes only
  Exp, Exp2, Expm1, Log, Log2, Log10, Log1p, Sqrt, Rsqrt, Reciprocal,
  Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh, Asinh, Acosh, Atanh,
  Sigmoid, Logit, Erf, Erfc, Erfinv, RoundDecimals, NanToNum, PowScalar,
  // activations (floating)
  LeakyRelu, Elu, GeluErf, GeluTanh, Silu, Mish, Softplus, Softsign, Hardsigmoid, Hardswish, LogSigmoid,
  Count
};

// out = f(a, b); a and b share the compute dtype.
enum class BinaryOp : uint8_t {
  Add, AddAlpha, Sub, Mul, Div, DivTrunc, DivFloor, Remainder, Fmod, Pow, Atan2, Hypot,
  Maximum, Minimum, Fmax, Fmin, BitwiseAnd, BitwiseOr, BitwiseXor, LeftShift, RightShift, Copysign, Xlogy,
  // -> bool output
  Eq, Ne, Lt, Le, Gt, Ge, LogicalAnd, LogicalOr, LogicalXor, IsClose,
  Count
};

// out = f(a, b, c).
enum class TernaryOp : uint8_t {
  Where,      // a is bool: a ? b : c
  Lerp,       // a + c * (b - a)
  ClampTensor,  // min(max(a, b), c), NaN-propagating
  Addcmul,    // a + p0 * b * c
  Addcdiv,    // a + p0 * b / c
  Count
};

// Reductions over a set of dims (Backend::reduce). Mean divides the sum by the count; NanSum
// skips NaNs; Max/Min propagate NaN; All/Any write bool.
enum class ReduceOp : uint8_t { Sum, NanSum, Mean, Prod, Max, Min, All, Any, Count };

// Scalar parameters of an op (alpha, slopes, bounds, ...), already in double.
struct OpParams {
  double a = 0, b = 0, c = 0;
  bool has_a = true, has_b = true;  // clamp: whether a min (a) / max (b) was given
};

}  // namespace pydl

// --- scans (Backend::scan; ops/scan.cpp)
namespace pydl {
// Inclusive scans along one dim. CumMax/CumMin also write the index of the running extreme
// (ties and NaN take the later index; NaN, once seen, stays); LogCumSumExp is floating only.
enum class ScanOp : uint8_t { CumSum, CumProd, CumMax, CumMin, LogCumSumExp, Count };
}  // namespace pydl
