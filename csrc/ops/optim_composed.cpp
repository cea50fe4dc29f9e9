// The optimizer update rules composed from pydl's elementwise ops: the path for devices without
// the fused optimizer_step primitive (CUDA today), and for non-contiguous or float16/bfloat16
// parameters. Each rule is torch.optim's single-tensor algorithm op for op, so it rounds like
// torch and like the fused CPU kernels (kernels/optim_kernel.cpp), which must stay in step with
// this file. Called by ops/optim.cpp with autograd recording off.
#include "ops/ops.h"
#include "ops/optim.h"

namespace pydl {
namespace {

Tensor number(double v) { return wrap_scalar(Scalar(v)); }

// The in-place and out-of-place ops the rules are written with (torch's names).
void mul_(const Tensor& t, double v) {
  Tensor self = t;
  binary(BinaryOp::Mul, self, number(v), {}, OutArg::self(self));
}
void add_(const Tensor& t, const Tensor& other, double alpha) {
  Tensor self = t;
  add(self, other, Scalar(alpha), OutArg::self(self));
}
void addcmul_(const Tensor& t, const Tensor& a, const Tensor& b, double value) {
  Tensor self = t;
  addcmul(self, a, b, Scalar(value), OutArg::self(self));
}
void addcdiv_(const Tensor& t, const Tensor& a, const Tensor& b, double value) {
  Tensor self = t;
  addcdiv(self, a, b, Scalar(value), OutArg::self(self));
}
void lerp_(const Tensor& t, const Tensor& end, double weight) {
  Tensor self = t;
  lerp(self, end, number(weight), OutArg::self(self));
}
void maximum_(const Tensor& t, const Tensor& other) {
  Tensor self = t;
  binary(BinaryOp::Maximum, self, other, {}, OutArg::self(self));
}
Tensor plus(const Tensor& t, double v) { return binary(BinaryOp::Add, t, number(v)); }
Tensor times(const Tensor& t, double v) { return binary(BinaryOp::Mul, t, number(v)); }
Tensor over(const Tensor& t, double v) { return binary(BinaryOp::Div, t, number(v)); }
Tensor sqrt(const Tensor& t) { return unary(UnaryOp::Sqrt, t); }

// See GradIn / Decay in kernels/optim_kernel.cpp.
Tensor grad_in(const OptimizerHyper& h, const Tensor& grad, const Tensor& param) {
  Tensor g = h.maximize ? unary(UnaryOp::Neg, grad) : grad;
  if (h.weight_decay != 0 && !h.decoupled_weight_decay) g = add(g, param, Scalar(h.weight_decay));
  return g;
}
void decay_(const OptimizerHyper& h, const Tensor& param) {
  if (h.weight_decay != 0 && h.decoupled_weight_decay) mul_(param, 1 - h.lr * h.weight_decay);
}

// v = beta * v + (1 - beta) * g * g, as torch writes it: v.mul_(beta).addcmul_(g, g, 1 - beta).
void ema_square_(const Tensor& v, const Tensor& g, double beta) {
  mul_(v, beta);
  addcmul_(v, g, g, 1 - beta);
}

void sgd(const OptimizerHyper& h, OptimizerTensors& t) {
  Tensor g = grad_in(h, t.grad, t.param);
  if (h.momentum != 0) {
    if (h.init_momentum) {
      t.state1 = clone(g);
    } else {
      mul_(t.state1, h.momentum);
      add_(t.state1, g, 1 - h.dampening);
    }
    g = h.nesterov ? add(g, t.state1, Scalar(h.momentum)) : t.state1;
  }
  add_(t.param, g, -h.lr);
}

void adam(const OptimizerHyper& h, const OptimizerTensors& t) {
  const Tensor g = grad_in(h, t.grad, t.param);
  decay_(h, t.param);
  lerp_(t.state1, g, 1 - h.beta1);
  ema_square_(t.state2, g, h.beta2);
  if (h.amsgrad) maximum_(t.state3, t.state2);
  const Tensor denom = plus(over(sqrt(h.amsgrad ? t.state3 : t.state2), h.bias_correction2_sqrt), h.eps);
  addcdiv_(t.param, t.state1, denom, -h.step_size);
}

void rmsprop(const OptimizerHyper& h, const OptimizerTensors& t) {
  const Tensor g = grad_in(h, t.grad, t.param);
  ema_square_(t.state1, g, h.alpha);
  Tensor avg;
  if (h.centered) {
    lerp_(t.state3, g, 1 - h.alpha);
    avg = sqrt(addcmul(t.state1, t.state3, t.state3, Scalar(-1.0)));
  } else {
    avg = sqrt(t.state1);
  }
  avg = plus(avg, h.eps);
  if (h.momentum > 0) {
    mul_(t.state2, h.momentum);
    addcdiv_(t.state2, g, avg, 1.0);
    add_(t.param, t.state2, -h.lr);
  } else {
    addcdiv_(t.param, g, avg, -h.lr);
  }
}

void adagrad(const OptimizerHyper& h, const OptimizerTensors& t) {
  const Tensor g = grad_in(h, t.grad, t.param);
  addcmul_(t.state1, g, g, 1.0);
  addcdiv_(t.param, g, plus(sqrt(t.state1), h.eps), -h.step_size);
}

void adadelta(const OptimizerHyper& h, const OptimizerTensors& t) {
  const Tensor g = grad_in(h, t.grad, t.param);
  ema_square_(t.state1, g, h.rho);
  const Tensor std_dev = sqrt(plus(t.state1, h.eps));
  const Tensor delta = binary(BinaryOp::Mul, binary(BinaryOp::Div, sqrt(plus(t.state2, h.eps)), std_dev), g);
  ema_square_(t.state2, delta, h.rho);
  add_(t.param, delta, -h.lr);
}

void adamax(const OptimizerHyper& h, const OptimizerTensors& t) {
  const Tensor g = grad_in(h, t.grad, t.param);
  lerp_(t.state1, g, 1 - h.beta1);
  mul_(t.state2, h.beta2);
  maximum_(t.state2, plus(unary(UnaryOp::Abs, g), h.eps));
  addcdiv_(t.param, t.state1, t.state2, -h.step_size);
}

void nadam(const OptimizerHyper& h, const OptimizerTensors& t) {
  const Tensor g = grad_in(h, t.grad, t.param);
  decay_(h, t.param);
  lerp_(t.state1, g, 1 - h.beta1);
  ema_square_(t.state2, g, h.beta2);
  const Tensor denom = plus(sqrt(over(t.state2, h.bias_correction2)), h.eps);
  addcdiv_(t.param, g, denom, h.grad_coef);
  addcdiv_(t.param, t.state1, denom, h.exp_avg_coef);
}

void radam(const OptimizerHyper& h, const OptimizerTensors& t) {
  const Tensor g = grad_in(h, t.grad, t.param);
  decay_(h, t.param);
  lerp_(t.state1, g, 1 - h.beta1);
  ema_square_(t.state2, g, h.beta2);
  Tensor update = times(over(t.state1, h.bias_correction1), h.lr);
  if (h.rect > 0) {
    const Tensor adaptive = times(unary(UnaryOp::Reciprocal, plus(sqrt(t.state2), h.eps)), h.bias_correction2_sqrt);
    update = times(binary(BinaryOp::Mul, update, adaptive), h.rect);
  }
  add_(t.param, update, -1.0);
}

void lion(const OptimizerHyper& h, const OptimizerTensors& t) {
  const Tensor g = grad_in(h, t.grad, t.param);  // h.decoupled_weight_decay is set: no L2 term
  decay_(h, t.param);
  const Tensor direction = unary(UnaryOp::Sign, add(times(t.state1, h.beta1), g, Scalar(1 - h.beta1)));
  add_(t.param, direction, -h.lr);
  mul_(t.state1, h.beta2);
  add_(t.state1, g, 1 - h.beta2);
}

}  // namespace

void composed_optimizer_step(OptimizerKind kind, const OptimizerHyper& h, OptimizerTensors& t) {
  switch (kind) {
    case OptimizerKind::Sgd: return sgd(h, t);
    case OptimizerKind::Adam: return adam(h, t);
    case OptimizerKind::RmsProp: return rmsprop(h, t);
    case OptimizerKind::Adagrad: return adagrad(h, t);
    case OptimizerKind::Adadelta: return adadelta(h, t);
    case OptimizerKind::Adamax: return adamax(h, t);
    case OptimizerKind::NAdam: return nadam(h, t);
    case OptimizerKind::RAdam: return radam(h, t);
    case OptimizerKind::Lion: return lion(h, t);
  }
  PYDL_CHECK(false, "optimizer_step: unknown optimizer kind");
}

}  // namespace pydl
