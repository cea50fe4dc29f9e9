// Fused scaled dot-product attention: the float32/float64 path of F.scaled_dot_product_attention
// (pydl/nn/_attention.py picks it; dropout, other dtypes and broadcast batch dims take the
// composed reference there). Checks, the mask turned into an additive bias read in place, the
// backend's blocked kernel (Backend::attention), and a backward node that reruns the kernel
// from the saved log-sum-exp rather than keeping the (L, S) probabilities.
//
// The backward runs the kernel directly, so it has no derivative of its own: double backward
// (create_graph=True) raises; the composed reference path supports it.
#include <limits>

#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"

namespace pydl {
namespace {

Shape leading(const Tensor& t) { return Shape(t.sizes().begin(), t.sizes().end() - 2); }

void check(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask) {
  const char* op = "scaled_dot_product_attention";
  PYDL_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), op, ": expected query, key and value of "
             "equal rank >= 2, got ", q.sizes(), ", ", k.sizes(), " and ", v.sizes());
  PYDL_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), "Expected query, key, and value to have the same "
             "dtype, but got query.dtype: ", q.dtype(), " key.dtype: ", k.dtype(), " and value.dtype: ", v.dtype(),
             " instead.");
  PYDL_CHECK(q.device() == k.device() && q.device() == v.device(), "Expected query, key, and value to have the "
             "same device type, but got query.device: ", q.device(), " key.device: ", k.device(),
             " and value.device: ", v.device(), " instead.");
  PYDL_CHECK_NOT_IMPLEMENTED(q.dtype() == ScalarType::Float32 || q.dtype() == ScalarType::Float64,
                             "\"", op, "\" fused kernel not implemented for '", q.dtype(), "'");
  PYDL_CHECK(leading(q) == leading(k) && leading(q) == leading(v), op, ": the fused kernel needs equal batch dims, "
             "got ", q.sizes(), ", ", k.sizes(), " and ", v.sizes());
  PYDL_CHECK(q.size(-1) == k.size(-1) && k.size(-2) == v.size(-2), op, ": shape mismatch: query ", q.sizes(),
             ", key ", k.sizes(), ", value ", v.sizes());
  PYDL_CHECK(backend(q.device().type).has_attention(), op, ": no fused kernel on ", q.device());
  if (!mask.defined()) return;
  PYDL_CHECK(mask.dtype() == ScalarType::Bool || mask.dtype() == q.dtype(), "Expected attn_mask dtype to be bool or "
             "float or to match query dtype, but got attn_mask.dtype: ", mask.dtype(), " and  query.dtype: ",
             q.dtype(), " instead.");
  PYDL_CHECK(mask.device() == q.device(), op, ": attn_mask is on ", mask.device(), " but query on ", q.device());
}

// The mask as an additive bias viewed at [lead..., L, S], and the element offset of each
// slice's (L, S) block: broadcast dims stay stride 0, so a mask shared by all heads is one block.
Tensor mask_bias(const Tensor& mask, const Tensor& q, int64_t S, std::vector<int64_t>& offsets) {
  Tensor bias = mask;
  if (mask.dtype() == ScalarType::Bool)
    bias = where(mask, full(Shape{}, Scalar(0.0), q.dtype(), q.device()),
                 full(Shape{}, Scalar(-std::numeric_limits<double>::infinity()), q.dtype(), q.device()));
  Shape full_shape = leading(q);
  full_shape.push_back(q.size(-2));
  full_shape.push_back(S);
  Tensor view = expand(bias, full_shape);
  const int64_t nd = view.dim();
  if (view.stride(nd - 1) != 1 || view.stride(nd - 2) != S) {
    // (L, S) blocks not row-major: copy them so, once per distinct block (a broadcast batch dim,
    // stride 0 whatever its size in the user's mask, keeps one copy).
    Tensor blocks = view;
    for (int64_t d = 0; d < nd - 2; ++d)
      if (view.stride(d) == 0) blocks = narrow(blocks, d, 0, 1);
    view = expand(contiguous(blocks), full_shape);
  }
  int64_t slices = 1;
  for (int64_t d = 0; d < nd - 2; ++d) slices *= full_shape[d];
  offsets.assign(slices, 0);
  for (int64_t b = 0; b < slices; ++b) {
    int64_t rest = b, off = 0;
    for (int64_t d = nd - 3; d >= 0; --d) {
      off += rest % full_shape[d] * view.stride(d);
      rest /= full_shape[d];
    }
    offsets[b] = off;
  }
  return view;
}

Tensor as_slices(const Tensor& t) {  // [lead..., n, d] -> contiguous [slices, n, d]
  return contiguous(reshape(t, Shape{-1, t.size(-2), t.size(-1)}));
}

}  // namespace

Tensor scaled_dot_product_attention_fused(const Tensor& query, const Tensor& key, const Tensor& value,
                                          const Tensor& attn_mask, bool is_causal, double scale) {
  check(query, key, value, attn_mask);
  AttentionTensors t;
  t.causal = is_causal;
  t.scale = scale;
  Shape out_shape = query.sizes();
  out_shape.back() = value.size(-1);
  {
    autograd::AutoGradMode no_grad(false);
    t.q = as_slices(query);
    t.k = as_slices(key);
    t.v = as_slices(value);
    if (attn_mask.defined()) t.mask = mask_bias(attn_mask, query, key.size(-2), t.mask_offsets);
    t.out = empty(Shape{t.q.size(0), t.q.size(1), t.v.size(2)}, query.dtype(), query.device());
    t.lse = empty(Shape{t.q.size(0), t.q.size(1)}, query.dtype(), query.device());
    if (t.out.numel() > 0 && t.k.size(1) > 0 && t.q.size(2) > 0) {
      backend(query.device().type).attention(t, false);
    } else {  // no keys or empty embeddings: every query sees nothing (or a zero score), out = 0 / mean of v
      PYDL_CHECK(t.k.size(1) == 0 || t.out.numel() == 0, "scaled_dot_product_attention: the fused kernel needs a "
                 "non-empty embedding dim");
      fill_(t.out, Scalar(0.0));
    }
  }
  Tensor out = reshape(t.out, out_shape);
  if (!autograd::needs_grad({&query, &key, &value})) return out;
  PYDL_CHECK_NOT_IMPLEMENTED(!attn_mask.defined() || !attn_mask.requires_grad(), "scaled_dot_product_attention: "
                             "the fused kernel has no gradient for attn_mask (the composed path has)");
  const bool has_mask = t.mask.defined(), causal = is_causal;
  const std::vector<int64_t> offsets = t.mask_offsets;
  const Shape q_shape = query.sizes(), k_shape = key.sizes(), v_shape = value.sizes();
  autograd::record("ScaledDotProductFlashAttentionForCpuBackward0", {query, key, value}, {out},
                   {t.q, t.k, t.v, t.lse, t.mask}, {out},
                   [has_mask, causal, scale, offsets, q_shape, k_shape, v_shape](const autograd::BackwardContext& c) {
                     PYDL_CHECK_NOT_IMPLEMENTED(!autograd::GradMode::is_enabled(), "the derivative of the fused "
                                                "scaled_dot_product_attention's backward (double backward, "
                                                "create_graph=True) is not implemented");
                     AttentionTensors b;
                     b.q = c.saved[0];
                     b.k = c.saved[1];
                     b.v = c.saved[2];
                     b.lse = c.saved[3];
                     if (has_mask) b.mask = c.saved[4];
                     b.mask_offsets = offsets;
                     b.causal = causal;
                     b.scale = scale;
                     b.out = as_slices(c.saved[5]);
                     b.grad_out = as_slices(c.grad());
                     b.grad_q = empty(b.q.sizes(), b.q.dtype(), b.q.device());
                     b.grad_k = empty(b.k.sizes(), b.k.dtype(), b.k.device());
                     b.grad_v = empty(b.v.sizes(), b.v.dtype(), b.v.device());
                     backend(b.q.device().type).attention(b, true);
                     return std::vector<Tensor>{reshape(b.grad_q, q_shape), reshape(b.grad_k, k_shape),
                                                reshape(b.grad_v, v_shape)};
                   });
  return out;
}

}  // namespace pydl
