// Tensor factories. Sequences (arange, linspace, logspace) are computed on the CPU and moved
// to the target device: they are small, made once, and this keeps the backend primitive set small.
#include <cmath>

#include "backend/backend.h"
#include "core/convert.h"
#include "core/dispatch.h"
#include "ops/ops.h"

namespace pydl {

Tensor full(const Shape& sizes, const Scalar& value, std::optional<ScalarType> dtype, Device device) {
  Tensor out = empty(sizes, dtype.value_or(value.natural_dtype()), canonical_device(device));
  return fill_(out, value);
}

Tensor empty_like(const Tensor& t, std::optional<ScalarType> dtype, std::optional<Device> device) {
  ScalarType dt = dtype.value_or(t.dtype());
  Device dev = device ? canonical_device(*device) : t.device();
  if (!t.is_contiguous() && is_non_overlapping_and_dense(t)) return empty_strided(t.sizes(), t.strides(), dt, dev);
  return empty(t.sizes(), dt, dev);
}

// Fills a new CPU tensor of n elements with f(i) (an accumulate-type value) and moves it to `device`.
template <typename F>
static Tensor make_sequence(int64_t n, ScalarType dtype, Device device, const F& f) {
  Tensor cpu_out = empty(Shape{n}, dtype, Device(DeviceType::CPU));
  PYDL_DISPATCH_ALL_TYPES(dtype, "arange", [&] {
    auto* p = cpu_out.data<scalar_t>();
    parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = convert<scalar_t>(f(i));
    });
  });
  return device.is_cpu() ? cpu_out : to(cpu_out, std::nullopt, device, false);
}

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, std::optional<ScalarType> dtype, Device device) {
  bool any_float = start.is_float() || end.is_float() || step.is_float();
  ScalarType dt = dtype.value_or(any_float ? default_dtype() : ScalarType::Int64);
  PYDL_CHECK(dt != ScalarType::Bool, "\"arange_cpu\" not implemented for 'Bool'");
  device = canonical_device(device);
  if (is_integral(dt, false)) {
    // Integer outputs count in int64, exactly (like PyTorch, float bounds are truncated first).
    int64_t s = start.to<int64_t>(), e = end.to<int64_t>(), st = step.to<int64_t>();
    PYDL_CHECK(st != 0, "arange: step must be nonzero");
    PYDL_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), "arange: upper bound and larger bound inconsistent with step sign");
    double size_d = std::ceil(static_cast<double>(e - s) / static_cast<double>(st));
    return make_sequence(static_cast<int64_t>(size_d), dt, device, [&](int64_t i) { return s + i * st; });
  }
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  PYDL_CHECK(std::isfinite(s) && std::isfinite(e), "arange: unsupported range: ", s, " -> ", e);
  PYDL_CHECK(st != 0, "arange: step must be nonzero");
  PYDL_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), "arange: upper bound and larger bound inconsistent with step sign");
  double size_d = std::ceil((e - s) / st);
  PYDL_CHECK(size_d >= 0 && size_d <= 9.2e18, "arange: invalid size, possible overflow?");
  return make_sequence(static_cast<int64_t>(size_d), dt, device, [&](int64_t i) { return s + static_cast<double>(i) * st; });
}

// PyTorch's symmetric linspace: the first half counts up from start, the second half down
// from end, so both endpoints are exact.
static double linspace_value(double s, double e, int64_t steps, int64_t i) {
  if (steps == 1) return s;
  double step = (e - s) / static_cast<double>(steps - 1);
  return i < steps / 2 ? s + step * static_cast<double>(i) : e - step * static_cast<double>(steps - 1 - i);
}

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, std::optional<ScalarType> dtype, Device device) {
  PYDL_CHECK(steps >= 0, "linspace: number of steps must be non-negative");
  double s = start.to_double(), e = end.to_double();
  return make_sequence(steps, dtype.value_or(default_dtype()), canonical_device(device),
                       [&](int64_t i) { return linspace_value(s, e, steps, i); });
}

Tensor logspace(const Scalar& start, const Scalar& end, int64_t steps, double base, std::optional<ScalarType> dtype,
                Device device) {
  PYDL_CHECK(steps >= 0, "logspace: number of steps must be non-negative");
  double s = start.to_double(), e = end.to_double();
  return make_sequence(steps, dtype.value_or(default_dtype()), canonical_device(device),
                       [&](int64_t i) { return std::pow(base, linspace_value(s, e, steps, i)); });
}

Tensor eye(int64_t n, std::optional<int64_t> m_opt, std::optional<ScalarType> dtype, Device device) {
  int64_t m = m_opt.value_or(n);
  PYDL_CHECK(n >= 0, "n must be greater or equal to 0, got ", n);
  PYDL_CHECK(m >= 0, "m must be greater or equal to 0, got ", m);
  Tensor out = full(Shape{n, m}, Scalar(int64_t(0)), dtype.value_or(default_dtype()), device);
  Tensor diag = diagonal(out, 0, 0, 1);
  fill_(diag, Scalar(int64_t(1)));
  out.impl()->version_counter()->version = 0;
  return out;
}

}  // namespace pydl
