// Random ops. Every draw reserves Philox blocks from a generator and fills a contiguous
// buffer through the device's random primitive (see core/philox.h).
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/backend.h"
#include "core/convert.h"
#include "core/dispatch.h"
#include "ops/ops.h"

namespace pydl {

static Generator& pick(Generator* gen, const Tensor& t, const char* op) {
  if (!gen) return default_generator(t.device());
  PYDL_CHECK(gen->device().type == t.device().type, op, ": Expected a '", device_type_name(t.device().type),
             "' device type for generator but found '", device_type_name(gen->device().type), "'");
  return *gen;
}

// Draws into t (any layout): directly when contiguous, else through a contiguous buffer.
static Tensor& draw(Tensor& t, const RandomSpec& spec, Generator* gen, const char* op) {
  PYDL_CHECK(!has_internal_overlap(t), op, ": unsupported operation: more than one element of the written-to "
             "tensor refers to a single memory location. Please clone() the tensor before performing the operation.");
  Generator& g = pick(gen, t, op);
  auto [seed, offset] = g.reserve(spec.blocks(t.numel()));
  if (t.numel() > 0) {
    Tensor buf = t.is_contiguous() ? t : empty(t.sizes(), t.dtype(), t.device());
    backend(t.device().type).random(buf, spec, seed, offset);
    if (!buf.is_same(t)) copy_(t, buf);
  }
  t.bump_version();
  return t;
}

static bool wide(ScalarType t) { return t == ScalarType::Float64; }

Tensor& uniform_(Tensor& t, double from, double to, Generator* gen) {
  PYDL_CHECK(is_floating(t.dtype()), "uniform_: expected a floating point tensor, got ", t.dtype());
  PYDL_CHECK(from <= to, "uniform_ expects to return a [from, to) range, but found from=", from, " > to=", to);
  RandomSpec s;
  s.kind = RandomSpec::Kind::Uniform;
  s.wide = wide(t.dtype());
  s.uniform_bits = t.dtype() == ScalarType::Float16 ? 11 : t.dtype() == ScalarType::BFloat16 ? 8 : 24;
  s.a = from;
  s.b = to;
  return draw(t, s, gen, "uniform_");
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  PYDL_CHECK(is_floating(t.dtype()), "normal_: expected a floating point tensor, got ", t.dtype());
  PYDL_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  RandomSpec s;
  s.kind = RandomSpec::Kind::Normal;
  s.wide = wide(t.dtype());
  s.a = mean;
  s.b = std;
  return draw(t, s, gen, "normal_");
}

Tensor& random_int_(Tensor& t, int64_t low, int64_t high, Generator* gen) {
  PYDL_CHECK(low < high, "random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
  if (is_integral(t.dtype(), true)) {  // like PyTorch: both ends of [from, to - 1] must fit the dtype
    ScalarType dt = t.dtype();
    auto fits = [&](int64_t v) {
      return dt == ScalarType::Bool ? (v == 0 || v == 1) : dt == ScalarType::UInt8 ? (v >= 0 && v <= 255)
                                                                                : !number_overflows(dt, false, 0, v);
    };
    PYDL_CHECK(fits(low), "random_: from=", low, " is out of bounds for ", dt);
    PYDL_CHECK(fits(high - 1), "random_: to - 1=", high - 1, " is out of bounds for ", dt);
  }
  RandomSpec s;
  s.kind = RandomSpec::Kind::RandInt;
  s.low = low;
  s.range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  s.wide = s.range >= (uint64_t(1) << 32);
  return draw(t, s, gen, "random_");
}

Tensor& bernoulli_(Tensor& t, double p, Generator* gen) {
  PYDL_CHECK(p >= 0 && p <= 1, "bernoulli_ expects p to be in [0, 1], but got p=", p);
  RandomSpec s;
  s.kind = RandomSpec::Kind::Bernoulli;
  s.wide = wide(t.dtype());
  s.a = p;
  return draw(t, s, gen, "bernoulli_");
}

// Per-element parameters: the draws are made for the output's device (so the same seed gives
// the same result on every device), combined with the parameters on the CPU, then moved back.
template <typename F>
static Tensor combine_on_cpu(const Tensor& out_like, const std::vector<Tensor>& params, const F& f) {
  Device cpu(DeviceType::CPU);
  std::vector<Tensor> host;
  for (const Tensor& p : params) {
    Tensor e = expand(p, out_like.sizes());
    host.push_back(contiguous(to(e, ScalarType::Float64, cpu, false)));
  }
  Tensor drawn = contiguous(to(out_like, ScalarType::Float64, cpu, false));
  const double* z = drawn.data<double>();
  Tensor result = empty(out_like.sizes(), ScalarType::Float64, cpu);
  double* r = result.data<double>();
  for (int64_t i = 0; i < result.numel(); ++i) {
    double a = host[0].data<double>()[i];
    double b = host.size() > 1 ? host[1].data<double>()[i] : 0.0;
    r[i] = f(z[i], a, b);
  }
  return to(result, out_like.dtype(), out_like.device(), false);
}

Tensor bernoulli(const Tensor& probs, Generator* gen) {
  PYDL_CHECK(is_floating(probs.dtype()), "bernoulli: expected a floating point tensor of probabilities, got ",
             probs.dtype());
  Tensor u = empty(probs.sizes(), ScalarType::Float64, probs.device());
  uniform_(u, 0.0, 1.0, gen);
  Tensor draws = combine_on_cpu(u, {probs}, [](double z, double p, double) {
    PYDL_CHECK(p >= 0 && p <= 1, "bernoulli: expected all probabilities in [0, 1], got ", p);
    return z < p ? 1.0 : 0.0;
  });
  return to(draws, probs.dtype(), std::nullopt, false);
}

// PyTorch: the result has mean's dtype and the broadcast shape of mean and std.
Tensor normal(const Tensor& mean, const Tensor& std, Generator* gen) {
  PYDL_CHECK(mean.device() == std.device(), "normal: Expected all tensors to be on the same device, but found ",
             mean.device(), " and ", std.device());
  Shape shape = broadcast_shapes(mean.sizes(), std.sizes(), "normal");
  ScalarType dt = mean.dtype();
  PYDL_CHECK(is_floating(dt) && is_floating(std.dtype()), "normal: expected floating point mean and std, got ",
             mean.dtype(), " and ", std.dtype());
  Tensor z = empty(shape, dt, mean.device());
  normal_(z, 0.0, 1.0, gen);
  return combine_on_cpu(z, {mean, std}, [](double zz, double m, double s) {
    PYDL_CHECK(s >= 0.0, "normal expects all elements of std >= 0.0");
    return m + s * zz;
  });
}

Tensor randperm(int64_t n, ScalarType dtype, Device device, Generator* gen) {
  PYDL_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  PYDL_CHECK(is_integral(dtype, false) || is_floating(dtype), "randperm: unsupported dtype ", dtype);
  if (n > 0 && is_integral(dtype, false)) {
    PYDL_CHECK(!number_overflows(dtype, false, 0, n - 1) && (dtype != ScalarType::UInt8 || n - 1 <= 255),
               "randperm: value ", n - 1, " cannot be converted to type ", dtype, " without overflow");
  } else if (is_floating(dtype)) {  // every integer up to n - 1 must be exact
    int digits = dtype == ScalarType::Float16 ? 11 : dtype == ScalarType::BFloat16 ? 8
                 : dtype == ScalarType::Float32 ? 24 : 53;
    PYDL_CHECK(n <= (int64_t(1) << digits) + 1, "randperm: n cannot be greater than 2^", digits, "+1 for ", dtype);
  }
  device = canonical_device(device);
  // Fisher-Yates on the CPU with 64-bit draws from the target device's generator.
  Tensor keys = empty(Shape{n}, ScalarType::Int64, Device(DeviceType::CPU));
  RandomSpec s;
  s.kind = RandomSpec::Kind::RandInt;
  s.wide = true;
  s.low = 0;
  s.range = uint64_t(1) << 62;
  Generator& g = gen ? *gen : default_generator(device);
  auto [seed, offset] = g.reserve(s.blocks(n));
  if (n > 0) backend(DeviceType::CPU).random(keys, s, seed, offset);
  std::vector<int64_t> perm(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  const int64_t* k = keys.data<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[k[i] % (i + 1)]);
  Tensor out = empty(Shape{n}, dtype, Device(DeviceType::CPU));
  PYDL_DISPATCH_ALL_TYPES(dtype, "randperm", [&] {
    for (int64_t i = 0; i < n; ++i) out.data<scalar_t>()[i] = convert<scalar_t>(perm[i]);
  });
  return to(out, std::nullopt, device, false);
}

// Sampling runs on the CPU in double, like randperm, with uniform draws from the generator of
// the input's device. With replacement: a binary search of each draw in the row's running sum
// (a category of probability 0 is never the first entry past the draw). Without: the k
// smallest keys E_i / p_i with E_i ~ Exp(1) (the exponential race: category i finishes first
// with probability p_i / sum p, and removing it leaves the same race over the rest), one sort
// per row instead of k passes. As in torch, categories of probability 0 come last, once the
// others are drawn.
Tensor multinomial(const Tensor& input, int64_t num_samples, bool replacement, Generator* gen) {
  PYDL_CHECK(input.dim() == 1 || input.dim() == 2, "prob_dist must be 1 or 2 dim");
  PYDL_CHECK(is_floating(input.dtype()), "multinomial only supports floating-point dtypes for input, got: ",
             input.dtype());
  PYDL_CHECK(num_samples > 0, "cannot sample n_sample <= 0 samples");
  const int64_t rows = input.dim() == 2 ? input.size(0) : 1, cats = input.size(-1);
  PYDL_CHECK(cats > 0, "cannot sample from an empty probability distribution");
  PYDL_CHECK(replacement || num_samples <= cats, "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  PYDL_CHECK(cats <= (int64_t(1) << 24), "number of categories cannot exceed 2^24");
  const Device cpu(DeviceType::CPU);
  const Tensor probs = contiguous(to(input, ScalarType::Float64, cpu, false));
  Tensor u = empty(Shape{rows, replacement ? num_samples : cats}, ScalarType::Float64, cpu);
  uniform_(u, 0.0, 1.0, &pick(gen, input, "multinomial"));
  Tensor out = empty(Shape{rows, num_samples}, ScalarType::Int64, cpu);
  const double *p = probs.data<double>(), *draws = u.data<double>();
  int64_t* o = out.data<int64_t>();
  std::vector<double> running(cats);
  std::vector<int64_t> order(cats);
  for (int64_t r = 0; r < rows; ++r, p += cats, o += num_samples) {
    double total = 0;
    for (int64_t i = 0; i < cats; ++i) {
      PYDL_CHECK(std::isfinite(p[i]) && p[i] >= 0, "probability tensor contains either `inf`, `nan` or element < 0");
      total += p[i];
      running[i] = total;
    }
    PYDL_CHECK(total > 0, "invalid multinomial distribution (sum of probabilities <= 0)");
    if (replacement) {
      // A draw rounding up to the total lands on the last category of positive probability (the
      // first of the entries at the end that equal the total).
      const int64_t at_total = std::find_if(running.rbegin(), running.rend(), [&](double c) { return c < total; }) -
                               running.rbegin();
      for (int64_t s = 0; s < num_samples; ++s) {
        const double x = draws[r * num_samples + s] * total;
        const int64_t i = std::upper_bound(running.begin(), running.end(), x) - running.begin();
        o[s] = std::min(i, cats - at_total);
      }
      continue;
    }
    const double* ur = draws + r * cats;
    for (int64_t i = 0; i < cats; ++i) {
      order[i] = i;
      running[i] = p[i] > 0 ? -std::log1p(-ur[i]) / p[i] : INFINITY;  // the key E_i / p_i
    }
    std::partial_sort(order.begin(), order.begin() + num_samples, order.end(), [&](int64_t a, int64_t b) {
      return running[a] < running[b] || (running[a] == running[b] && a < b);
    });
    std::copy(order.begin(), order.begin() + num_samples, o);
  }
  if (input.dim() == 1) out = reshape(out, Shape{num_samples});
  return to(out, std::nullopt, input.device(), false);
}

}  // namespace pydl
