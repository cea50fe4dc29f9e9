// cross_entropy of (N, C) logits against class indices by the backend's fused primitive
// (Backend::cross_entropy): the common path of F.cross_entropy (no class weights, no label
// smoothing), which pydl/nn/_losses.py checks with torch's messages and calls; everything else,
// and inputs this declines (an undefined result: other dtypes, devices without it), is
// log_softmax + nll_loss composed there.
//
// The recorded op is the per-row loss; 'mean' and 'sum' are ordinary ops on it. Its backward
// recomputes the softmax from the logits and the saved log-sum-exp in one pass instead of
// keeping an (N, C) log-probability tensor. Under create_graph the gradient is composed of
// differentiable ops (softmax - one_hot), so double backward works.
#include <limits>

#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"

namespace pydl {

Tensor cross_entropy_fused(const Tensor& input, const Tensor& target, int64_t ignore_index,
                           const std::string& reduction) {
  const bool floating = input.dtype() == ScalarType::Float32 || input.dtype() == ScalarType::Float64;
  if (!floating || input.dim() != 2 || target.dim() != 1 || target.dtype() != ScalarType::Int64 ||
      target.device() != input.device() || input.size(0) != target.size(0) || input.numel() == 0 ||
      !backend(input.device().type).has_cross_entropy())
    return Tensor();
  PYDL_CHECK_VALUE(reduction == "mean" || reduction == "sum" || reduction == "none", reduction,
                   " is not a valid value for reduction");
  const int64_t rows = input.size(0);
  CrossEntropyTensors t;
  t.logits = contiguous(input);
  t.target = contiguous(target);
  t.ignore_index = ignore_index;
  t.loss = empty({rows}, input.dtype(), input.device());
  t.lse = empty({rows}, input.dtype(), input.device());
  const CrossEntropyScan scan = backend(input.device().type).cross_entropy(t, false);
  PYDL_CHECK_INDEX(!scan.has_bad_target, "Target ", scan.bad_target, " is out of bounds.");
  Tensor loss = t.loss;
  if (autograd::needs_grad({&input})) {
    autograd::record("NllLossBackward0", {input}, {loss}, {t.logits, t.target, t.lse}, {},
                     [ignore_index](const autograd::BackwardContext& c) {
                       const Tensor &g = c.grad(), &logits = c.saved[0], &tgt = c.saved[1];
                       if (autograd::GradMode::is_enabled()) {  // create_graph: differentiable ops
                         const Tensor counts = binary(BinaryOp::Ne, tgt, wrap_scalar(Scalar(ignore_index)));
                         const Tensor keep = to(counts, logits.dtype(), std::nullopt, false);
                         const Tensor safe = tgt * to(counts, ScalarType::Int64, std::nullopt, false);  // ignored: 0
                         const Tensor onehot = to(one_hot(safe, logits.size(1)), logits.dtype(), std::nullopt, false);
                         const Tensor scale = unsqueeze(g * keep, 1);
                         return std::vector<Tensor>{scale * (softmax(logits, 1, std::nullopt) - onehot)};
                       }
                       CrossEntropyTensors b;
                       b.logits = logits;
                       b.target = tgt;
                       b.lse = c.saved[2];
                       b.ignore_index = ignore_index;
                       b.grad_loss = contiguous(g);
                       b.grad_logits = empty(logits.sizes(), logits.dtype(), logits.device());
                       backend(logits.device().type).cross_entropy(b, true);
                       return std::vector<Tensor>{b.grad_logits};
                     });
  }
  if (reduction == "none") return loss;
  Tensor total = sum(loss, std::nullopt);
  if (reduction == "sum") return total;
  // The mean over the targets that count: NaN when none does, as in torch.
  return scan.kept > 0 ? total * (1.0 / static_cast<double>(scan.kept))
                       : total * std::numeric_limits<double>::quiet_NaN();
}

}  // namespace pydl
