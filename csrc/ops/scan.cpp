// Scans along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp. Each op makes its input
// contiguous and runs Backend::scan once, straight into the result: a new tensor, or the user's
// out= / self when that is contiguous and is the input itself or does not overlap it.
#include <limits>

#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/elementwise.h"
#include "ops/ops.h"

namespace pydl {
namespace {

// Scans contiguous `in` along `dim` into `dst` (in's shape and dtype, any strides).
void scan_into(ScanOp op, const Tensor& dst, const Tensor& in, int64_t dim) {
  dst.bump_version();  // written, even when empty (the in-place and out= contract)
  if (in.numel() == 0) return;
  Backend& b = backend(in.device().type);
  if (dst.is_contiguous() && (dst.data_ptr() == in.data_ptr() || !may_overlap(dst, in))) {
    b.scan(op, dst, Tensor(), in, dim);
    return;
  }
  Tensor tmp = empty(in.sizes(), in.dtype(), in.device());
  b.scan(op, tmp, Tensor(), in, dim);
  Tensor d = dst;
  copy_(d, tmp);
}

// cumsum / cumprod: integer and bool inputs give int64 unless `dtype` says otherwise; with
// out= the input is cast to out's dtype (as in PyTorch), in place to self's.
Tensor accumulate(ScanOp op, const char* name, const Tensor& x, int64_t dim, OptionalDtype dtype, OutArg dest) {
  const int64_t d = wrap_dim(dim, x.dim());
  ScalarType dt = dtype.value_or(is_floating(x.dtype()) ? x.dtype() : ScalarType::Int64);
  if (dest.out) detail::check_autograd_target(name, autograd::needs_grad({&x}), *dest.out, dest.inplace);
  if (dest.out && dest.inplace) {
    PYDL_CHECK(!dtype || *dtype == x.dtype(), name, "_(): Bad in-place call: input tensor dtype ", x.dtype(),
               " and output tensor dtype ", *dtype, " should match");
    dt = x.dtype();
  } else if (dest.out) {
    PYDL_CHECK(!dtype || *dtype == dest.out->dtype(), name, "(): Expected out tensor to have dtype ", *dtype,
               ", but got ", dest.out->dtype(), " instead");
    dt = dest.out->dtype();
  }
  PYDL_CHECK_NOT_IMPLEMENTED(dt != ScalarType::Bool, "\"", name, "\" not implemented for '", dt, "'");
  Tensor in = contiguous(cast_operand(x, dt));
  Tensor out = make_output(name, dest, x.sizes(), dt, x.device());
  scan_into(op, out, in, x.dim() == 0 ? 0 : d);
  return out;
}

// cummax / cummin: (values, indices), the index of the running extreme in int64.
TensorPair extreme(ScanOp op, const char* name, const Tensor& x, int64_t dim, OutPair out) {
  PYDL_CHECK_INDEX(x.dim() > 0 || dim == 0 || dim == -1, name, "(): Expected reduction dim -1 or 0 for scalar but got ",
                   dim);
  const int64_t d = x.dim() == 0 ? 0 : wrap_dim(dim, x.dim());
  Tensor in = contiguous(x);
  Tensor values = empty(x.sizes(), x.dtype(), x.device()), indices = empty(x.sizes(), ScalarType::Int64, x.device());
  if (x.numel() > 0) backend(x.device().type).scan(op, values, indices, in, d);
  if (!out.given()) return {values, indices};
  write_out(*out.values, values, name);
  write_out(*out.indices, indices, name);
  return {*out.values, *out.indices};
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim, OptionalDtype dtype, OutArg dest) {
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, false))
    return autograd::record_inplace("cumsum_", *dest.out, [&](const Tensor& self) { return cumsum(self, dim, dtype); });
  Tensor r = accumulate(ScanOp::CumSum, "cumsum", x, dim, dtype, dest);
  if (dest.out || !is_floating(r.dtype()) || !autograd::needs_grad({&x})) return r;
  // Each input adds into every later output: the gradient is the reversed cumulative sum of g.
  const int64_t d = wrap_dim(dim, x.dim());
  autograd::record("CumsumBackward0", {x}, {r}, {}, {}, [d](const autograd::BackwardContext& c) {
    if (c.grad().dim() == 0) return std::vector<Tensor>{c.grad()};
    return std::vector<Tensor>{flip(cumsum(flip(c.grad(), {d}), d), {d})};
  });
  return r;
}

// Element i of the result sums elements i, i+1, ... of t along d.
static Tensor reverse_cumsum(const Tensor& t, int64_t d) { return flip(cumsum(flip(t, {d}), d, {}, {}), {d}); }

// d y_j / d x_i = prod_{k <= j, k != i} x_k for i <= j. Before a slice's first zero that is
// y_j / x_i, so dx_i = reverse_cumsum(g y)_i / x_i (y is 0 from the zero on). At the first zero
// z it is the cumprod of x with x_z replaced by 1; after z every term contains x_z, so 0.
Tensor cumprod(const Tensor& x, int64_t dim, OptionalDtype dtype, OutArg dest) {
  if (dest.inplace && autograd::inplace_needs_grad(*dest.out, false))
    return autograd::record_inplace("cumprod_", *dest.out, [&](const Tensor& self) { return cumprod(self, dim, dtype); });
  Tensor r = accumulate(ScanOp::CumProd, "cumprod", x, dim, dtype, dest);
  if (dest.out || !is_floating(r.dtype()) || !autograd::needs_grad({&x})) return r;
  const int64_t d = wrap_dim(dim, x.dim());
  autograd::record("CumprodBackward0", {x}, {r}, {x}, {r}, [d](const autograd::BackwardContext& c) {
    const Tensor &g = c.grad(), &y = c.saved[1];
    if (g.dim() == 0) return std::vector<Tensor>{g};
    const Tensor x = to(c.saved[0], y.dtype(), std::nullopt, false);
    const Tensor zero = wrap_scalar(Scalar(0.0)), one = wrap_scalar(Scalar(1.0));
    const Tensor is_zero = binary(BinaryOp::Eq, x, zero);
    // With zeros the formula is piecewise, and its own derivative (create_graph) is not verified.
    auto zeros = [&] {
      const Tensor n = to(count_nonzero(is_zero, std::nullopt), std::nullopt, Device(DeviceType::CPU), false);
      return n.data<int64_t>()[0] > 0;
    };
    PYDL_CHECK_NOT_IMPLEMENTED(!autograd::GradMode::is_enabled() || !zeros(),
                               "the derivative of cumprod's backward (double backward, create_graph=True) at "
                               "inputs containing zeros is not implemented.");
    const Tensor zeros_so_far = cumsum(is_zero, d, {}, {});
    const Tensor before = binary(BinaryOp::Eq, zeros_so_far, wrap_scalar(Scalar(int64_t{0})));
    const Tensor first_zero = binary(BinaryOp::BitwiseAnd, is_zero,
                                     binary(BinaryOp::Eq, zeros_so_far, wrap_scalar(Scalar(int64_t{1}))));
    const Tensor part1 = where(before, reverse_cumsum(g * y, d) / where(before, x, one), zero);
    const Tensor y_skip = cumprod(where(first_zero, one, x), d, {}, {});
    const Tensor part2 = where(first_zero, reverse_cumsum(g * y_skip, d), zero);
    return std::vector<Tensor>{part1 + part2};
  });
  return r;
}

// cummax / cummin values come from x at the returned indices, which repeat: the gradient is
// summed back into those positions.
static TensorPair extreme_with_grad(ScanOp op, const char* name, const Tensor& x, int64_t dim, OutPair out) {
  TensorPair r = extreme(op, name, x, dim, out);
  if (out.given() || !is_floating(x.dtype()) || !autograd::needs_grad({&x})) return r;
  const int64_t d = wrap_dim(dim, x.dim());
  const Shape sizes = x.sizes();
  autograd::record(op == ScanOp::CumMax ? "CummaxBackward0" : "CumminBackward0", {x}, {r.first}, {r.second}, {},
                   [d, sizes](const autograd::BackwardContext& c) {
    if (sizes.empty()) return std::vector<Tensor>{c.grad()};
    Tensor z = full(sizes, Scalar(0.0), c.grad().dtype(), c.grad().device());
    return std::vector<Tensor>{scatter_reduce(z, d, c.saved[0], c.grad(), "sum", true)};
  });
  return r;
}

TensorPair cummax(const Tensor& x, int64_t dim, OutPair out) {
  return extreme_with_grad(ScanOp::CumMax, "cummax", x, dim, out);
}

TensorPair cummin(const Tensor& x, int64_t dim, OutPair out) {
  return extreme_with_grad(ScanOp::CumMin, "cummin", x, dim, out);
}

Tensor logcumsumexp(const Tensor& x, int64_t dim, OutArg dest) {
  const int64_t d = wrap_dim(dim, x.dim());
  PYDL_CHECK_NOT_IMPLEMENTED(is_floating(x.dtype()), "\"logcumsumexp\" not implemented for '", x.dtype(), "'");
  PYDL_CHECK(!dest.out || dest.out->dtype() == x.dtype(), "logcumsumexp(): Expected out tensor to have dtype ",
             x.dtype(), ", but got ", dest.out->dtype(), " instead");
  Tensor out = make_output("logcumsumexp", dest, x.sizes(), x.dtype(), x.device());
  scan_into(ScanOp::LogCumSumExp, out, contiguous(x), x.dim() == 0 ? 0 : d);
  if (dest.out || !autograd::needs_grad({&x})) return out;
  // dx_i = sum_{j >= i} g_j exp(x_i - y_j), summed in log space for the positive and the
  // negative parts of g separately so that nothing overflows: exp(x + rev_lcse(log g± - y)).
  autograd::record("LogcumsumexpBackward0", {x}, {out}, {x}, {out}, [d](const autograd::BackwardContext& c) {
    const Tensor &g = c.grad(), &x = c.saved[0], &y = c.saved[1];
    if (g.dim() == 0) return std::vector<Tensor>{g};
    if (autograd::GradMode::is_enabled()) {
      // Under create_graph the log-space form below differentiates through -inf entries into
      // NaNs, so the recorded formula is the direct one, shifted by the slice's last (largest)
      // y: exp(x_i - c) * sum_{j >= i} g_j exp(c - y_j). It can over/underflow only where the
      // scan spans hundreds of e-folds.
      const int64_t n = x.size(d);
      const Tensor c = detach(narrow(y, d, n - 1, 1));
      const Tensor tail = flip(cumsum(flip(g * unary(UnaryOp::Exp, c - y), {d}), d, std::nullopt), {d});
      return std::vector<Tensor>{unary(UnaryOp::Exp, x - c) * tail};
    }
    // log(w) where w > 0, else -inf; the inner where keeps log's own gradient finite (double
    // backward) where w <= 0.
    auto part = [&](const Tensor& w) {
      const Tensor positive = binary(BinaryOp::Gt, w, wrap_scalar(Scalar(0.0)));
      const Tensor log_w = where(positive, unary(UnaryOp::Log, where(positive, w, wrap_scalar(Scalar(1.0)))),
                                 wrap_scalar(Scalar(-std::numeric_limits<double>::infinity())));
      return unary(UnaryOp::Exp, x + flip(logcumsumexp(flip(log_w - y, {d}), d), {d}));
    };
    return std::vector<Tensor>{part(g) - part(-g)};
  });
  return out;
}

}  // namespace pydl
