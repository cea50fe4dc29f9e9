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
  fill_(out, value);
  out.impl()->version_counter()->version = 0;  // a new tensor, not a modified one
  return out;
}

// PyTorch's infer_dense_strides: dense strides that keep the memory order of t's dims (stable
// insertion sort by stride, larger size first on ties; stride-0 dims keep their place).
static Shape infer_dense_strides(const Shape& sizes, const Shape& strides) {
  const size_t nd = sizes.size();
  std::vector<size_t> perm(nd);
  for (size_t i = 0; i < nd; ++i) perm[i] = nd - 1 - i;  // perm[0] is the innermost dim
  auto should_swap = [&](size_t d0, size_t d1) {
    int64_t s0 = strides[d0], s1 = strides[d1];
    if (s0 == 0 || s1 == 0) return 0;
    if (s0 < s1) return -1;
    if (s0 > s1) return 1;
    return sizes[d0] > sizes[d1] ? 1 : 0;
  };
  for (size_t i = 1; i < nd; ++i) {
    size_t d1 = i;
    for (size_t j = 1; j <= i; ++j) {
      size_t d0 = i - j;
      int c = should_swap(perm[d0], perm[d1]);
      if (c > 0) {
        std::swap(perm[d0], perm[d1]);
        d1 = d0;
      } else if (c < 0) {
        break;
      }
    }
  }
  Shape out(nd);
  int64_t cur = 1;
  for (size_t i = 0; i < nd; ++i) {
    out[perm[i]] = cur;
    if (sizes[perm[i]] > 1) cur *= sizes[perm[i]];
  }
  return out;
}

// PyTorch's preserve_format: a dense input's strides are kept as they are; any other input gets
// dense strides in the same dim order (a transposed slice stays "transposed").
Tensor empty_like(const Tensor& t, std::optional<ScalarType> dtype, std::optional<Device> device) {
  ScalarType dt = dtype.value_or(t.dtype());
  Device dev = device ? canonical_device(*device) : t.device();
  // (Contiguous tensors too keep their exact strides: those of size-1 and size-0 dims can differ
  // from the default ones, and PyTorch keeps them.)
  if (is_non_overlapping_and_dense(t)) return empty_strided(t.sizes(), t.strides(), dt, dev);
  return empty_strided(t.sizes(), infer_dense_strides(t.sizes(), t.strides()), dt, dev);
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
  // PyTorch's checks run on the arguments as given (as doubles), for every dtype.
  double sd = start.to_double(), ed = end.to_double(), std_ = step.to_double();
  PYDL_CHECK(std_ != 0, "arange: step must be nonzero");
  PYDL_CHECK(std::isfinite(sd) && std::isfinite(ed), "arange: unsupported range: ", sd, " -> ", ed);
  PYDL_CHECK((std_ > 0 && ed >= sd) || (std_ < 0 && ed <= sd),
             "arange: upper bound and lower bound inconsistent with step sign");
  if (is_integral(dt, false)) {
    // Integer outputs count in int64 from the truncated start and step, as PyTorch does. For
    // int64 the length is exact integer arithmetic on the truncated bounds; for the narrower
    // types it is ceil((end - start) / step) on the bounds as given.
    int64_t s = start.to<int64_t>(), e = end.to<int64_t>(), st = step.to<int64_t>();
    int64_t n;
    if (dt == ScalarType::Int64) {
      PYDL_CHECK_VALUE(st != 0, "arange: step must be nonzero (step ", std_, " truncates to 0 for int64)");
      __int128 sgn = st > 0 ? 1 : -1;
      __int128 len = (static_cast<__int128>(e) - s + st - sgn) / st;
      n = static_cast<int64_t>(len < 0 ? 0 : len);
    } else {
      double size_d = std::ceil((ed - sd) / std_);
      PYDL_CHECK(size_d >= 0 && size_d <= 9.2e18, "arange: invalid size, possible overflow?");
      n = static_cast<int64_t>(size_d);
    }
    return make_sequence(n, dt, device, [&](int64_t i) {
      return static_cast<int64_t>(static_cast<uint64_t>(s) + static_cast<uint64_t>(i) * static_cast<uint64_t>(st));
    });
  }
  double size_d = std::ceil((ed - sd) / std_);
  PYDL_CHECK(size_d >= 0 && size_d <= 9.2e18, "arange: invalid size, possible overflow?");
  // start + i * step in double, rounded once to the dtype.
  return make_sequence(static_cast<int64_t>(size_d), dt, device,
                       [&](int64_t i) { return sd + static_cast<double>(i) * std_; });
}

// The start/end of linspace and logspace as the output dtype holds them (PyTorch converts them
// first, so integer outputs count from truncated bounds), raising like PyTorch on overflow.
template <typename T>
static T bound_as(const Scalar& v, ScalarType dt, const char* op) {
  PYDL_CHECK(!number_overflows(dt, v.is_float(), v.to_double(), v.is_float() ? 0 : v.to_int()), op, ": value ", v,
             " cannot be converted to type ", dt, " without overflow");
  return v.to<T>();
}

// PyTorch's symmetric linspace: the first half counts up from start, the second half down from
// end, so both endpoints are exact. The arithmetic follows PyTorch's CPU kernel step for step,
// so values match it bit for bit: the step and the products are in the output type for floating
// types (float16/bfloat16 rounding after every operation) and in double for integers, and
// `a + step * i` is one fused multiply-add, as the compiler makes it in PyTorch's AVX2 kernel.
template <typename T>
static void linspace_fill(T* p, const Scalar& start, const Scalar& end, int64_t steps, ScalarType dt) {
  const T s = bound_as<T>(start, dt, "linspace"), e = bound_as<T>(end, dt, "linspace");
  const int64_t halfway = steps / 2;
  if constexpr (std::is_integral<T>::value) {
    const double step = (static_cast<double>(e) - static_cast<double>(s)) / static_cast<double>(steps - 1);
    parallel_for(0, steps, kGrainSize, [&](int64_t b, int64_t en) {
      for (int64_t i = b; i < en; ++i) {
        double v = i < halfway ? std::fma(step, static_cast<double>(i), static_cast<double>(s))
                               : std::fma(-step, static_cast<double>(steps - 1 - i), static_cast<double>(e));
        p[i] = convert<T>(v);
      }
    });
  } else if constexpr (std::is_same<T, double>::value || std::is_same<T, float>::value) {
    const T step = (e - s) / static_cast<T>(steps - 1);
    parallel_for(0, steps, kGrainSize, [&](int64_t b, int64_t en) {
      for (int64_t i = b; i < en; ++i)
        p[i] = i < halfway ? std::fma(step, static_cast<T>(i), s) : std::fma(-step, static_cast<T>(steps - 1 - i), e);
    });
  } else {  // Half, BFloat16: each operation rounds to T, like c10's Half operators
    const T step = T(static_cast<float>(T(static_cast<float>(e) - static_cast<float>(s))) /
                     static_cast<float>(T(static_cast<float>(steps - 1))));
    parallel_for(0, steps, kGrainSize, [&](int64_t b, int64_t en) {
      for (int64_t i = b; i < en; ++i) {
        if (i < halfway) {
          T prod = T(static_cast<float>(step) * static_cast<float>(T(static_cast<float>(i))));
          p[i] = T(static_cast<float>(s) + static_cast<float>(prod));
        } else {
          T prod = T(static_cast<float>(step) * static_cast<float>(T(static_cast<float>(steps - 1 - i))));
          p[i] = T(static_cast<float>(e) - static_cast<float>(prod));
        }
      }
    });
  }
}

// Builds a CPU tensor with fill(ptr) and moves it to `device`.
template <typename F>
static Tensor make_filled(int64_t n, ScalarType dtype, Device device, const F& fill) {
  Tensor cpu_out = empty(Shape{n}, dtype, Device(DeviceType::CPU));
  if (n > 0) PYDL_DISPATCH_ALL_TYPES(dtype, "linspace", [&] { fill(cpu_out.data<scalar_t>(), scalar_t()); });
  return device.is_cpu() ? cpu_out : to(cpu_out, std::nullopt, device, false);
}

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, std::optional<ScalarType> dtype, Device device) {
  PYDL_CHECK(steps >= 0, "linspace: number of steps must be non-negative");
  ScalarType dt = dtype.value_or(default_dtype());
  device = canonical_device(device);
  if (steps <= 1) {  // PyTorch: fill_(start)
    Tensor out = empty(Shape{steps}, dt, device);
    if (steps == 1) fill_(out, start);
    out.impl()->version_counter()->version = 0;
    return out;
  }
  return make_filled(steps, dt, device, [&](auto* p, auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same<T, bool>::value) {
      PYDL_FAIL("\"linspace_cpu\" not implemented for 'Bool'");
    } else {
      linspace_fill<T>(p, start, end, steps, dt);
    }
  });
}

// PyTorch's logspace: bounds converted to the dtype, step in double, base ** x in double.
Tensor logspace(const Scalar& start, const Scalar& end, int64_t steps, double base, std::optional<ScalarType> dtype,
                Device device) {
  PYDL_CHECK(steps >= 0, "logspace: number of steps must be non-negative");
  ScalarType dt = dtype.value_or(default_dtype());
  device = canonical_device(device);
  if (steps <= 1) {  // PyTorch: fill_(base ** start), start not converted first
    Tensor out = empty(Shape{steps}, dt, device);
    if (steps == 1) fill_(out, Scalar(std::pow(base, start.to_double())));
    out.impl()->version_counter()->version = 0;
    return out;
  }
  return make_filled(steps, dt, device, [&](auto* p, auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same<T, bool>::value) {
      PYDL_FAIL("\"logspace_cpu\" not implemented for 'Bool'");
    } else {
      const T s = bound_as<T>(start, dt, "logspace"), e = bound_as<T>(end, dt, "logspace");
      using diff_t = std::conditional_t<std::is_integral<T>::value, int64_t, compute_t<T>>;
      // (end - start) in T's arithmetic (float16 differences round to float16), then double.
      double diff = static_cast<double>(std::is_integral<T>::value
                                            ? static_cast<diff_t>(static_cast<diff_t>(e) - static_cast<diff_t>(s))
                                            : static_cast<diff_t>(T(static_cast<diff_t>(e) - static_cast<diff_t>(s))));
      const double step = diff / static_cast<double>(steps - 1);
      const int64_t halfway = steps / 2;
      const double sd = static_cast<double>(static_cast<compute_t<T>>(s)), ed = static_cast<double>(static_cast<compute_t<T>>(e));
      parallel_for(0, steps, kGrainSize, [&](int64_t b, int64_t en) {
        for (int64_t i = b; i < en; ++i) {
          double x = i < halfway ? sd + step * static_cast<double>(i) : ed - step * static_cast<double>(steps - i - 1);
          p[i] = convert<T>(std::pow(base, x));
        }
      });
    }
  });
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
