// layer_norm and training-mode batch_norm by the backend's fused primitive (Backend::norm): the
// float32/float64 path of F.layer_norm and F.batch_norm. pydl/nn/_normalization.py checks the
// arguments (torch's messages), calls these, and composes what they decline (an undefined
// result): other dtypes, mixed dtypes or devices, devices without the primitive.
//
// Backward runs the primitive too, from the saved input and statistics. Under create_graph (a
// gradient penalty differentiates the gradient again) the same formula is instead composed of
// differentiable ops, with the statistics recomputed from the input so that their own
// dependence on it is recorded.
#include "autograd/formulas.h"
#include "backend/backend.h"
#include "ops/ops.h"

namespace pydl {
namespace {

bool fusable(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  auto matches = [&x](const Tensor& p) { return !p.defined() || (p.dtype() == x.dtype() && p.device() == x.device()); };
  return (x.dtype() == ScalarType::Float32 || x.dtype() == ScalarType::Float64) && matches(weight) &&
         matches(bias) && backend(x.device().type).has_norm();
}

Tensor contiguous_or_undefined(const Tensor& t) { return t.defined() ? contiguous(t) : t; }

// The node's inputs are x and whichever of weight and bias are defined (a node input must be a
// tensor); Slots says where the parameters' gradients go, -1 for an absent one.
struct Slots {
  int weight = -1, bias = -1;
  bool weight_needs(const autograd::BackwardContext& c) const { return weight >= 0 && c.needs(weight); }
  bool bias_needs(const autograd::BackwardContext& c) const { return bias >= 0 && c.needs(bias); }
};

void check_param(const char* op, const char* name, const Tensor& p, int64_t n) {
  PYDL_CHECK(!p.defined() || p.numel() == n, op, ": expected ", name, " of ", n, " elements, got shape ", p.sizes());
}

Slots node_inputs(std::vector<Tensor>& inputs, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  Slots s;
  inputs = {input};
  if (weight.defined()) s.weight = static_cast<int>(inputs.size()), inputs.push_back(weight);
  if (bias.defined()) s.bias = static_cast<int>(inputs.size()), inputs.push_back(bias);
  return s;
}

// The normalisation's gradients as differentiable ops: x's statistics over `stat_dims`, the
// affine parameters (`param_shape`, broadcast against x) summed over `param_dims`.
std::vector<Tensor> composed_grads(const autograd::BackwardContext& c, Slots slots, const Shape& stat_dims,
                                   const Shape& param_dims, const Shape& param_shape, double eps) {
  const Tensor &g = c.grad(), &x = c.saved[0], &weight = c.saved[1];
  const OptionalDims stats(stat_dims), params(param_dims);
  auto [var, m] = var_mean(x, stats, 0, true);
  const Tensor rstd = unary(UnaryOp::Rsqrt, var + eps);
  const Tensor xhat = (x - m) * rstd;
  const Tensor gy = weight.defined() ? g * reshape(weight, param_shape) : g;
  std::vector<Tensor> grads(c.edges->size());
  if (c.needs(0)) grads[0] = rstd * (gy - mean(gy, stats, true) - xhat * mean(gy * xhat, stats, true));
  if (slots.weight_needs(c)) grads[slots.weight] = reshape(sum(g * xhat, params), c.input_sizes(slots.weight));
  if (slots.bias_needs(c)) grads[slots.bias] = reshape(sum(g, params), c.input_sizes(slots.bias));
  return grads;
}

// Runs the fused backward into new gradient tensors for the inputs that need one.
std::vector<Tensor> fused_grads(NormKind kind, const autograd::BackwardContext& c, Slots slots, const Shape& view) {
  NormTensors t;
  t.x = reshape(c.saved[0], view);
  t.weight = c.saved[1];
  t.mean = c.saved[2];
  t.rstd = c.saved[3];
  t.grad_y = reshape(contiguous(c.grad()), view);
  std::vector<Tensor> grads(c.edges->size());
  if (c.needs(0)) grads[0] = t.grad_x = empty(view, t.x.dtype(), t.x.device());
  if (slots.weight_needs(c))
    grads[slots.weight] = t.grad_weight = empty(c.input_sizes(slots.weight), t.x.dtype(), t.x.device());
  if (slots.bias_needs(c)) grads[slots.bias] = t.grad_bias = empty(c.input_sizes(slots.bias), t.x.dtype(), t.x.device());
  backend(t.x.device().type).norm(kind, true, t);
  if (grads[0].defined()) grads[0] = reshape(grads[0], c.input_sizes(0));
  return grads;
}

Shape range_dims(int64_t begin, int64_t end) {
  Shape dims;
  for (int64_t d = begin; d < end; ++d) dims.push_back(d);
  return dims;
}

}  // namespace

Tensor layer_norm_fused(const Tensor& input, int64_t normalized_ndim, const Tensor& weight, const Tensor& bias,
                        double eps) {
  if (!fusable(input, weight, bias) || normalized_ndim < 1 || normalized_ndim > input.dim()) return Tensor();
  int64_t cols = 1;
  for (int64_t d = input.dim() - normalized_ndim; d < input.dim(); ++d) cols *= input.size(d);
  check_param("layer_norm", "weight", weight, cols);
  check_param("layer_norm", "bias", bias, cols);
  if (input.numel() == 0) return Tensor();  // the composed form gives torch's empty (or NaN) results
  const int64_t rows = input.numel() / cols;
  NormTensors t;
  t.x = reshape(contiguous(input), {rows, cols});
  t.weight = contiguous_or_undefined(weight);
  t.bias = contiguous_or_undefined(bias);
  t.eps = eps;
  t.y = empty({rows, cols}, input.dtype(), input.device());
  t.mean = empty({rows}, input.dtype(), input.device());
  t.rstd = empty({rows}, input.dtype(), input.device());
  backend(input.device().type).norm(NormKind::Layer, false, t);
  Tensor out = reshape(t.y, input.sizes());
  if (autograd::needs_grad({&input, &weight, &bias})) {
    const Shape x_shape = input.sizes(), view{rows, cols};
    std::vector<Tensor> inputs;
    const Slots slots = node_inputs(inputs, input, weight, bias);
    autograd::record("NativeLayerNormBackward0", inputs, {out}, {t.x, t.weight, t.mean, t.rstd}, {},
                     [x_shape, view, normalized_ndim, eps, slots](const autograd::BackwardContext& c) {
                       if (!autograd::GradMode::is_enabled()) return fused_grads(NormKind::Layer, c, slots, view);
                       const int64_t n = static_cast<int64_t>(x_shape.size());
                       const Shape param_shape(x_shape.end() - normalized_ndim, x_shape.end());
                       autograd::BackwardContext shaped = c;  // the formula sees x in its own shape
                       shaped.saved[0] = reshape(c.saved[0], x_shape);
                       return composed_grads(shaped, slots, range_dims(n - normalized_ndim, n),
                                             range_dims(0, n - normalized_ndim), param_shape, eps);
                     });
  }
  return out;
}

std::vector<Tensor> batch_norm_fused(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps) {
  if (!fusable(input, weight, bias) || input.dim() < 3 || input.numel() == 0) return {};
  const int64_t batch = input.size(0), channels = input.size(1), spatial = input.numel() / (batch * channels);
  check_param("batch_norm", "weight", weight, channels);
  check_param("batch_norm", "bias", bias, channels);
  if (spatial == 1 || batch * spatial < 2) return {};  // (N, C, 1...): strided columns, composed ops do better
  NormTensors t;
  t.x = reshape(contiguous(input), {batch, channels, spatial});
  t.weight = contiguous_or_undefined(weight);
  t.bias = contiguous_or_undefined(bias);
  t.eps = eps;
  t.y = empty(t.x.sizes(), input.dtype(), input.device());
  t.mean = empty({channels}, input.dtype(), input.device());
  t.rstd = empty({channels}, input.dtype(), input.device());
  t.var_out = empty({channels}, input.dtype(), input.device());
  backend(input.device().type).norm(NormKind::Batch, false, t);
  Tensor out = reshape(t.y, input.sizes());
  if (autograd::needs_grad({&input, &weight, &bias})) {
    const Shape x_shape = input.sizes(), view = t.x.sizes();
    std::vector<Tensor> inputs;
    const Slots slots = node_inputs(inputs, input, weight, bias);
    autograd::record("NativeBatchNormBackward0", inputs, {out}, {t.x, t.weight, t.mean, t.rstd}, {},
                     [x_shape, view, eps, slots](const autograd::BackwardContext& c) {
                       if (!autograd::GradMode::is_enabled()) return fused_grads(NormKind::Batch, c, slots, view);
                       const int64_t n = static_cast<int64_t>(x_shape.size());
                       Shape stat_dims = range_dims(2, n), param_shape(n, 1);
                       stat_dims.insert(stat_dims.begin(), 0);
                       param_shape[1] = x_shape[1];
                       autograd::BackwardContext shaped = c;
                       shaped.saved[0] = reshape(c.saved[0], x_shape);
                       return composed_grads(shaped, slots, stat_dims, stat_dims, param_shape, eps);
                     });
  }
  return {out, t.mean, t.var_out};
}

}  // namespace pydl
