// softmax and log_softmax along one dim: checks, the dtype= cast, a contiguous input and a new
// contiguous output (as PyTorch returns), then the one backend primitive, which shifts every
// slice by its max so that exp never overflows. Backward along the last dim is a backend
// primitive too (one pass where the formula takes four ops).
#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"

namespace pydl {
namespace {

// The backend's one-pass backward along the last dim of float32/float64 data, or undefined:
// other dims and dtypes, devices without it and create_graph (whose formula must record) use
// the composed formula.
Tensor fused_backward(const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  Backend& b = backend(y.device().type);
  if (autograd::GradMode::is_enabled() || dim != y.dim() - 1 || !b.has_softmax_backward() ||
      (y.dtype() != ScalarType::Float32 && y.dtype() != ScalarType::Float64) || g.dtype() != y.dtype())
    return Tensor();
  Tensor grad_out = contiguous(g), grad_in = empty(y.sizes(), y.dtype(), y.device());
  b.softmax_backward(grad_in, grad_out, y, log);
  return grad_in;
}

Tensor softmax_along(const Tensor& x, int64_t dim, OptionalDtype dtype, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  const int64_t d = wrap_dim(dim, x.dim());
  // dtype= casts before anything is computed (softmax of float16 data in float32, ...).
  Tensor in = dtype && *dtype != x.dtype() ? to(x, *dtype, std::nullopt, false) : x;
  // Like PyTorch, which checks the dtype in the kernel: an empty integer tensor comes back empty.
  PYDL_CHECK_NOT_IMPLEMENTED(is_floating(in.dtype()) || in.numel() == 0, "\"", op, "\" not implemented for '",
                             in.dtype(), "'");
  in = contiguous(in);
  Tensor out = empty(in.sizes(), in.dtype(), in.device());
  if (in.numel() > 0) backend(in.device().type).softmax(out, in, d, log);
  // From the output y alone: softmax' = y (g - sum(g y)), log_softmax' = g - exp(y) sum(g).
  if (is_floating(out.dtype()) && autograd::needs_grad({&in}))
    autograd::record(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {in}, {out}, {}, {out},
                     [d, log](const autograd::BackwardContext& c) {
                       const Tensor &g = c.grad(), &y = c.saved[0];
                       if (Tensor fused = fused_backward(g, y, d, log); fused.defined()) return std::vector<Tensor>{fused};
                       const OptionalDims dim(Shape{d});
                       if (log) return std::vector<Tensor>{g - unary(UnaryOp::Exp, y) * sum(g, dim, true)};
                       return std::vector<Tensor>{y * (g - sum(g * y, dim, true))};
                     });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, OptionalDtype dtype) { return softmax_along(x, dim, dtype, false); }

Tensor log_softmax(const Tensor& x, int64_t dim, OptionalDtype dtype) { return softmax_along(x, dim, dtype, true); }

}  // namespace pydl
