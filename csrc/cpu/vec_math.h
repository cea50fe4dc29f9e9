// Float math written so the compiler vectorises it: no branches (selects instead of ifs), no
// libm calls, bit tricks through memcpy. Each function is scalar code; the contiguous loops in
// cpu/loops.h run it under `#pragma omp simd`, and since csrc/cpu/kernels/ is compiled once per
// ISA level the same source becomes AVX2, AVX-512 or NEON code. Accuracy: a few ulp over the
// whole float range, with IEEE behaviour at inf, NaN and underflow. Double precision uses libm.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>

// Inlining is what lets the loop vectoriser see through each call.
#define PYDL_VMATH inline __attribute__((always_inline))

namespace pydl::cpu::vmath {

PYDL_VMATH float fmadd(float a, float b, float c) {
#if defined(__FMA__) || defined(__aarch64__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}
PYDL_VMATH int32_t float_as_int(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}
PYDL_VMATH float int_as_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}
// Round to nearest (ties to even) for |v| < 2^22 by the 1.5 * 2^23 trick: cheap and vectorisable.
PYDL_VMATH float round_nearest(float v) { return (v + 12582912.0f) - 12582912.0f; }
// 2^n for integral n in [-126, 127], built from the exponent bits.
PYDL_VMATH float pow2i(int32_t n) { return int_as_float((n + 127) << 23); }
// p * 2^n for integral n in [-150, 128]: applied in two halves so that results near FLT_MAX and
// in the subnormal range round correctly, and over/underflow happen naturally.
PYDL_VMATH float scale_pow2(float p, float n) {
  int32_t ni = static_cast<int32_t>(n);
  int32_t half = ni >> 1;
  return p * pow2i(half) * pow2i(ni - half);
}

constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;  // ln 2 = hi + lo, hi exact in few bits
constexpr float kInf = __builtin_huge_valf();

// e^r - 1 for |r| <= ln2/2, as r + r^2 * P(r) (Taylor to r^7: error < 2e-9 relative to r).
PYDL_VMATH float expm1_reduced(float r) {
  float p = fmadd(r, 1.0f / 5040, 1.0f / 720);
  p = fmadd(p, r, 1.0f / 120);
  p = fmadd(p, r, 1.0f / 24);
  p = fmadd(p, r, 1.0f / 6);
  p = fmadd(p, r, 0.5f);
  return fmadd(p, r * r, r);
}

// e^x: x = n ln2 + r, e^x = 2^n (1 + expm1(r)).
PYDL_VMATH float exp(float x) {
  float xc = x > 88.8f ? 88.8f : x;
  xc = xc < -104.0f ? -104.0f : xc;  // comparisons are false for NaN: NaN flows through
  float n = round_nearest(xc * kLog2e);
  float r = fmadd(n, -kLn2Hi, xc);
  r = fmadd(n, -kLn2Lo, r);
  return scale_pow2(1.0f + expm1_reduced(r), n);
}

// 2^x: n = round(x), 2^x = 2^n e^{(x - n) ln 2}.
PYDL_VMATH float exp2(float x) {
  float xc = x > 128.5f ? 128.5f : x;
  xc = xc < -150.0f ? -150.0f : xc;
  float n = round_nearest(xc);
  return scale_pow2(1.0f + expm1_reduced((xc - n) * 0.693147181f), n);
}

// e^x - 1 without cancellation near 0: 2^n * expm1(r) + (2^n - 1).
PYDL_VMATH float expm1(float x) {
  float xc = x > 88.0f ? 88.0f : x;
  xc = xc < -18.0f ? -18.0f : xc;
  float n = round_nearest(xc * kLog2e);
  float r = fmadd(n, -kLn2Hi, xc);
  r = fmadd(n, -kLn2Lo, r);
  float s = pow2i(static_cast<int32_t>(n));
  float y = fmadd(s, expm1_reduced(r), s - 1.0f);
  y = x > 88.0f ? exp(x) : y;
  return x < -18.0f ? -1.0f : y;
}

// ln x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), ln x = e ln2 + ln(1 + f), f = m - 1 (Cephes
// logf polynomial). Subnormals are scaled up first; x < 0 gives NaN, 0 gives -inf.
PYDL_VMATH float log(float x) {
  bool tiny = x < 1.17549435e-38f;
  float xs = tiny ? x * 8388608.0f : x;  // * 2^23
  int32_t bits = float_as_int(xs);
  int32_t e = ((bits >> 23) & 0xff) - 127 - (tiny ? 23 : 0);
  float m = int_as_float((bits & 0x007fffff) | 0x3f800000);  // [1, 2)
  bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  float ef = static_cast<float>(big ? e + 1 : e);
  float f = m - 1.0f;
  float z = f * f;
  float p = 7.0376836292e-2f;
  p = fmadd(p, f, -1.1514610310e-1f);
  p = fmadd(p, f, 1.1676998740e-1f);
  p = fmadd(p, f, -1.2420140846e-1f);
  p = fmadd(p, f, 1.4249322787e-1f);
  p = fmadd(p, f, -1.6668057665e-1f);
  p = fmadd(p, f, 2.0000714765e-1f);
  p = fmadd(p, f, -2.4999993993e-1f);
  p = fmadd(p, f, 3.3333331174e-1f);
  float y = f * z * p;
  y = fmadd(ef, kLn2Lo, y);
  y = fmadd(z, -0.5f, y);
  float res = fmadd(ef, kLn2Hi, f + y);
  res = x == kInf ? kInf : res;
  res = x == 0.0f ? -kInf : res;
  return ((x < 0.0f) | (x != x)) ? __builtin_nanf("") : res;
}

// ln(1 + x): log(u) corrected by the rounding error of u = 1 + x.
PYDL_VMATH float log1p(float x) {
  float u = 1.0f + x;
  float corr = (x - (u - 1.0f)) / u;
  float res = log(u) + corr;
  res = u == 1.0f ? x : res;
  return x == kInf ? kInf : res;
}

// tanh: an odd polynomial near 0 (Cephes tanhf), 1 - 2 / (e^{2|x|} + 1) elsewhere.
PYDL_VMATH float tanh(float x) {
  float ax = std::fabs(x);
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = fmadd(p, z, 2.06390887954e-2f);
  p = fmadd(p, z, -5.37397155531e-2f);
  p = fmadd(p, z, 1.33314422036e-1f);
  p = fmadd(p, z, -3.33332819422e-1f);
  float small = fmadd(p * z, x, x);
  float e = exp(2.0f * (ax > 9.0f ? 9.0f : ax));
  float large = std::copysign(1.0f - 2.0f / (e + 1.0f), x);
  return ax < 0.625f ? small : large;  // NaN: ax < 0.625 is false, `large` carries the NaN
}

PYDL_VMATH float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

// erfc(z) for z >= 0 (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7).
PYDL_VMATH float erfc_nonneg(float z) {
  float t = 1.0f / fmadd(0.5f, z, 1.0f);
  float p = 0.17087277f;
  p = fmadd(p, t, -0.82215223f);
  p = fmadd(p, t, 1.48851587f);
  p = fmadd(p, t, -1.13520398f);
  p = fmadd(p, t, 0.27886807f);
  p = fmadd(p, t, -0.18628806f);
  p = fmadd(p, t, 0.09678418f);
  p = fmadd(p, t, 0.37409196f);
  p = fmadd(p, t, 1.00002368f);
  p = fmadd(p, t, -1.26551223f);
  return t * exp(fmadd(-z, z, p));
}

PYDL_VMATH float erfc(float x) {
  float c = erfc_nonneg(std::fabs(x));
  return x < 0.0f ? 2.0f - c : c;
}

// erf: its Taylor series for |x| < 0.5 (where 1 - erfc would cancel), 1 - erfc beyond.
PYDL_VMATH float erf(float x) {
  float z = x * x;
  float p = 1.0f / 9360;
  p = fmadd(p, z, -1.0f / 1320);
  p = fmadd(p, z, 1.0f / 216);
  p = fmadd(p, z, -1.0f / 42);
  p = fmadd(p, z, 1.0f / 10);
  p = fmadd(p, z, -1.0f / 3);
  p = fmadd(p, z, 1.0f);
  float small = 1.12837917f * x * p;
  float large = std::copysign(1.0f - erfc_nonneg(std::fabs(x)), x);
  return std::fabs(x) < 0.5f ? small : large;
}

// erf on [-4, 4] as x P(x^2) / Q(x^2) (beyond, erf rounds to +-1 in float32): a rational fit
// made for pydl (relative error 2e-9 in exact arithmetic, 4e-7 absolute in float32). One
// division and no exp, so it costs a third of erf() above, for gelu's hot loop.
PYDL_VMATH float erf_rational(float x) {
  x = x > 4.0f ? 4.0f : x < -4.0f ? -4.0f : x;  // NaN passes through
  const float z = x * x;
  float p = -1.3200966e-08f;
  p = fmadd(p, z, 4.6845312e-06f);
  p = fmadd(p, z, 3.7959960e-04f);
  p = fmadd(p, z, 3.8495858e-03f);
  p = fmadd(p, z, 5.4316707e-02f);
  p = fmadd(p, z, 1.8520327e-01f);
  p = fmadd(p, z, 1.1283792e+00f);
  float q = 6.3108237e-05f;
  q = fmadd(q, z, 1.3075521e-03f);
  q = fmadd(q, z, 1.5462006e-02f);
  q = fmadd(q, z, 1.1395825e-01f);
  q = fmadd(q, z, 4.9746555e-01f);
  q = fmadd(q, z, 1.0f);
  return x * p / q;
}

// x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2, PyTorch's formula: the error of 1 + erf near -1 is
// absolute (below 1e-7 |x|), not relative, in the far negative tail.
PYDL_VMATH float gelu_erf(float x) { return 0.5f * x * (1.0f + erf_rational(x * 0.70710678f)); }

// 0.5 x (1 + tanh(u)) == x * sigmoid(2u): same function, no cancellation for negative x.
PYDL_VMATH float gelu_tanh(float x) {
  float u = 0.7978845608f * fmadd(0.044715f * x, x * x, x);
  return x * sigmoid(2.0f * u);
}

// erf^{-1}: Giles' single-precision approximation, then Newton steps in double.
// Scalar only (libm erf); not a hot path.
inline double erfinv(double x) {
  if (!(x > -1.0 && x < 1.0)) return x == 1.0 ? __builtin_huge_val() : x == -1.0 ? -__builtin_huge_val() : __builtin_nan("");
  double w = -std::log((1.0 - x) * (1.0 + x)), p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    for (double c : {3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
                     0.246640727, 1.50140941})
      p = c + p * w;
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    for (double c : {0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
                     1.00167406, 2.83297682})
      p = c + p * w;
  }
  double y = p * x;
  for (int i = 0; i < 2; ++i) y -= (std::erf(y) - x) / (1.1283791670955126 * std::exp(-y * y));
  return y;
}
inline float erfinv(float x) { return static_cast<float>(erfinv(static_cast<double>(x))); }

// Double precision: libm (correctly rounded to within an ulp; not vectorised).
inline double exp(double x) { return std::exp(x); }
inline double exp2(double x) { return std::exp2(x); }
inline double expm1(double x) { return std::expm1(x); }
inline double log(double x) { return std::log(x); }
inline double log1p(double x) { return std::log1p(x); }
inline double tanh(double x) { return std::tanh(x); }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double erf(double x) { return std::erf(x); }
inline double erfc(double x) { return std::erfc(x); }
inline double gelu_erf(double x) { return 0.5 * x * std::erfc(-x * 0.70710678118654752440); }
inline double gelu_tanh(double x) {
  double u = 0.79788456080286535588 * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1.0 + std::tanh(u));
}

}  // namespace pydl::cpu::vmath
