// Scans along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp. Each op makes its input
// contiguous and runs Backend::scan once, straight into the result: a new tensor, or the user's
// out= / self when that is contiguous and is the input itself or does not overlap it.
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

// Scans without a formula yet record one that raises at backward, never a silent no-gradient.
static Tensor no_formula(const char* name, const Tensor& x, const Tensor& r, OutArg dest) {
  if (!dest.out && is_floating(r.dtype()) && autograd::needs_grad({&x}))
    autograd::record(name, {x}, {r}, {}, {}, autograd::not_implemented(name));
  return r;
}

Tensor cumprod(const Tensor& x, int64_t dim, OptionalDtype dtype, OutArg dest) {
  return no_formula("cumprod", x, accumulate(ScanOp::CumProd, "cumprod", x, dim, dtype, dest), dest);
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
  return no_formula("logcumsumexp", x, out, dest);
}

}  // namespace pydl
