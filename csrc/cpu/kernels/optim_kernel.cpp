// The optimizer update rules, one fused pass over a parameter's elements: each element of the
// param, its gradient and its state is read once, updated with the whole rule, and written once,
// where torch.optim's single-tensor path runs 5-10 separate elementwise ops (each a full pass
// over memory) per parameter. Compiled per ISA level; the loops are `omp simd` loops.
//
// Each rule performs torch.optim's operations in torch's order and precision: intermediate
// results are rounded to the parameter's dtype after every op, hyper-parameters and the per-step
// coefficients (computed in double by ops/optim.cpp) are cast to it where torch casts a Python
// number, and each op's own formula is kept (lerp's two-sided form, addcmul's value * a * b,
// addcdiv's value * a / b), so results match torch up to the FMA contractions its vectorised
// kernels may make. Options that switch a step on or off (maximize, weight decay) are selects
// inside the loop on flags held as T (1 or 0): GCC vectorises a select on a loop-invariant
// float comparison but not one on a bool. Options that add a state tensor are template
// parameters, so absent states are never touched.
#include <cmath>

#include "core/parallel.h"
#include "cpu/kernels.h"
#include "cpu/optim_kernel.h"

namespace pydl::cpu::PYDL_CPU_ISA {
namespace {

// f(i) for every element index, vectorised (`omp simd`: elements are independent), split over
// threads for tensors past the grain size.
template <typename F>
void for_each_element(int64_t n, const F& f) {
  parallel_for(0, n, kGrainSize, [&f](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) f(i);
  });
}

// torch.lerp with a scalar weight: exact at both ends, start + w (end - start) for |w| < 0.5,
// else end - (end - start) (1 - w).
template <typename T>
struct Lerp {
  explicit Lerp(double weight) : w(static_cast<T>(weight)), one_minus_w(T(1) - w) {}
  T operator()(T start, T end) const {
    return std::fabs(w) < T(0.5) ? start + w * (end - start) : end - (end - start) * one_minus_w;
  }
  T w, one_minus_w;
};

// An option as a T flag (see the top of the file): 1 when set, else 0.
template <typename T>
constexpr T flag(bool on) {
  return on ? T(1) : T(0);
}

// torch.maximum: NaN if either is NaN.
template <typename T>
inline T nan_maximum(T a, T b) {
  return (a != a || b != b) ? a + b : (a > b ? a : b);
}

// The gradient the rule sees: negated under maximize, plus weight_decay * param when the decay
// is coupled (L2). Decoupled decay instead scales the param first (Decay below).
template <typename T>
struct GradIn {
  explicit GradIn(const OptimizerHyper& h)
      : negate(flag<T>(h.maximize)),
        l2(flag<T>(h.weight_decay != 0 && !h.decoupled_weight_decay)),
        wd(static_cast<T>(h.weight_decay)) {}
  T operator()(T g, T p) const {
    g = negate != T(0) ? -g : g;
    return l2 != T(0) ? g + wd * p : g;
  }
  T negate, l2, wd;
};

// Decoupled weight decay (AdamW, NAdam/RAdam's decoupled_weight_decay, Lion): p * (1 - lr * wd).
template <typename T>
struct Decay {
  explicit Decay(const OptimizerHyper& h)
      : on(flag<T>(h.weight_decay != 0 && h.decoupled_weight_decay)),
        factor(static_cast<T>(1 - h.lr * h.weight_decay)) {}
  T operator()(T p) const { return on != T(0) ? p * factor : p; }
  T on, factor;
};

template <typename T, bool Momentum>
void sgd(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T* buf = Momentum ? t.state1.data<T>() : nullptr;
  const GradIn<T> grad_in(h);
  const T momentum = static_cast<T>(h.momentum), one_minus_dampening = static_cast<T>(1 - h.dampening);
  const T neg_lr = static_cast<T>(-h.lr);
  const T init = flag<T>(h.init_momentum), nesterov = flag<T>(h.nesterov);
  for_each_element(t.param.numel(), [=](int64_t i) {
    T gi = grad_in(g[i], p[i]);
    if constexpr (Momentum) {
      // The first step's buffer is the gradient itself (no dampening), as in torch.
      const T b = init != T(0) ? gi : buf[i] * momentum + one_minus_dampening * gi;
      buf[i] = b;
      gi = nesterov != T(0) ? gi + momentum * b : b;
    }
    p[i] = p[i] + neg_lr * gi;
  });
}

template <typename T, bool Amsgrad>
void adam(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T *m = t.state1.data<T>(), *v = t.state2.data<T>();
  T* vmax = Amsgrad ? t.state3.data<T>() : nullptr;
  const GradIn<T> grad_in(h);
  const Decay<T> decay(h);
  const Lerp<T> lerp(1 - h.beta1);
  const T beta2 = static_cast<T>(h.beta2), one_minus_beta2 = static_cast<T>(1 - h.beta2);
  const T bc2_sqrt = static_cast<T>(h.bias_correction2_sqrt), eps = static_cast<T>(h.eps);
  const T neg_step_size = static_cast<T>(-h.step_size);
  for_each_element(t.param.numel(), [=](int64_t i) {
    const T gi = grad_in(g[i], p[i]);
    const T pi = decay(p[i]);
    const T mi = lerp(m[i], gi);
    const T vi = v[i] * beta2 + one_minus_beta2 * gi * gi;
    T second = vi;
    if constexpr (Amsgrad) {
      second = nan_maximum(vmax[i], vi);
      vmax[i] = second;
    }
    const T denom = std::sqrt(second) / bc2_sqrt + eps;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi + neg_step_size * mi / denom;
  });
}

template <typename T, bool Momentum, bool Centered>
void rmsprop(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T* sq = t.state1.data<T>();
  T* buf = Momentum ? t.state2.data<T>() : nullptr;
  T* gavg = Centered ? t.state3.data<T>() : nullptr;
  const GradIn<T> grad_in(h);
  const Lerp<T> lerp(1 - h.alpha);
  const T alpha = static_cast<T>(h.alpha), one_minus_alpha = static_cast<T>(1 - h.alpha);
  const T eps = static_cast<T>(h.eps), momentum = static_cast<T>(h.momentum), neg_lr = static_cast<T>(-h.lr);
  for_each_element(t.param.numel(), [=](int64_t i) {
    const T gi = grad_in(g[i], p[i]);
    const T s = sq[i] * alpha + one_minus_alpha * gi * gi;
    sq[i] = s;
    T avg;
    if constexpr (Centered) {
      const T ga = lerp(gavg[i], gi);
      gavg[i] = ga;
      avg = std::sqrt(s - ga * ga);  // torch: addcmul(value=-1), the same rounding
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if constexpr (Momentum) {
      const T b = buf[i] * momentum + gi / avg;
      buf[i] = b;
      p[i] = p[i] + neg_lr * b;
    } else {
      p[i] = p[i] + neg_lr * gi / avg;
    }
  });
}

template <typename T>
void adagrad(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T* sum = t.state1.data<T>();
  const GradIn<T> grad_in(h);
  const T eps = static_cast<T>(h.eps), neg_clr = static_cast<T>(-h.step_size);
  for_each_element(t.param.numel(), [=](int64_t i) {
    const T gi = grad_in(g[i], p[i]);
    const T s = sum[i] + gi * gi;
    sum[i] = s;
    p[i] = p[i] + neg_clr * gi / (std::sqrt(s) + eps);
  });
}

template <typename T>
void adadelta(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T *sq = t.state1.data<T>(), *acc = t.state2.data<T>();
  const GradIn<T> grad_in(h);
  const T rho = static_cast<T>(h.rho), one_minus_rho = static_cast<T>(1 - h.rho);
  const T eps = static_cast<T>(h.eps), neg_lr = static_cast<T>(-h.lr);
  for_each_element(t.param.numel(), [=](int64_t i) {
    const T gi = grad_in(g[i], p[i]);
    const T s = sq[i] * rho + one_minus_rho * gi * gi;
    const T std_dev = std::sqrt(s + eps);
    const T delta = std::sqrt(acc[i] + eps) / std_dev * gi;
    sq[i] = s;
    acc[i] = acc[i] * rho + one_minus_rho * delta * delta;
    p[i] = p[i] + neg_lr * delta;
  });
}

template <typename T>
void adamax(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T *m = t.state1.data<T>(), *u = t.state2.data<T>();
  const GradIn<T> grad_in(h);
  const Lerp<T> lerp(1 - h.beta1);
  const T beta2 = static_cast<T>(h.beta2), eps = static_cast<T>(h.eps), neg_clr = static_cast<T>(-h.step_size);
  for_each_element(t.param.numel(), [=](int64_t i) {
    const T gi = grad_in(g[i], p[i]);
    const T mi = lerp(m[i], gi);
    const T ui = nan_maximum(u[i] * beta2, std::fabs(gi) + eps);
    m[i] = mi;
    u[i] = ui;
    p[i] = p[i] + neg_clr * mi / ui;
  });
}

template <typename T>
void nadam(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T *m = t.state1.data<T>(), *v = t.state2.data<T>();
  const GradIn<T> grad_in(h);
  const Decay<T> decay(h);
  const Lerp<T> lerp(1 - h.beta1);
  const T beta2 = static_cast<T>(h.beta2), one_minus_beta2 = static_cast<T>(1 - h.beta2);
  const T bc2 = static_cast<T>(h.bias_correction2), eps = static_cast<T>(h.eps);
  const T grad_coef = static_cast<T>(h.grad_coef), exp_avg_coef = static_cast<T>(h.exp_avg_coef);
  for_each_element(t.param.numel(), [=](int64_t i) {
    const T gi = grad_in(g[i], p[i]);
    T pi = decay(p[i]);
    const T mi = lerp(m[i], gi);
    const T vi = v[i] * beta2 + one_minus_beta2 * gi * gi;
    const T denom = std::sqrt(vi / bc2) + eps;
    m[i] = mi;
    v[i] = vi;
    pi = pi + grad_coef * gi / denom;  // two addcdiv_ calls in torch: two roundings
    p[i] = pi + exp_avg_coef * mi / denom;
  });
}

template <typename T>
void radam(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T *m = t.state1.data<T>(), *v = t.state2.data<T>();
  const GradIn<T> grad_in(h);
  const Decay<T> decay(h);
  const Lerp<T> lerp(1 - h.beta1);
  const T beta2 = static_cast<T>(h.beta2), one_minus_beta2 = static_cast<T>(1 - h.beta2);
  const T bc1 = static_cast<T>(h.bias_correction1), bc2_sqrt = static_cast<T>(h.bias_correction2_sqrt);
  const T eps = static_cast<T>(h.eps), lr = static_cast<T>(h.lr), rect = static_cast<T>(h.rect);
  for_each_element(t.param.numel(), [=](int64_t i) {
    const T gi = grad_in(g[i], p[i]);
    const T pi = decay(p[i]);
    const T mi = lerp(m[i], gi);
    const T vi = v[i] * beta2 + one_minus_beta2 * gi * gi;
    const T corrected = mi / bc1 * lr;
    // torch writes the adaptive lr as number / tensor, which is reciprocal() * number.
    const T adaptive = T(1) / (std::sqrt(vi) + eps) * bc2_sqrt;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - (rect > T(0) ? corrected * adaptive * rect : corrected);  // rect 0: not rectified yet
  });
}

template <typename T>
void lion(const OptimizerHyper& h, const OptimizerTensors& t) {
  T* p = t.param.data<T>();
  const T* g = t.grad.data<T>();
  T* m = t.state1.data<T>();
  const GradIn<T> grad_in(h);  // only maximize: Lion's decay is always decoupled
  const Decay<T> decay(h);
  const T beta1 = static_cast<T>(h.beta1), one_minus_beta1 = static_cast<T>(1 - h.beta1);
  const T beta2 = static_cast<T>(h.beta2), one_minus_beta2 = static_cast<T>(1 - h.beta2);
  const T neg_lr = static_cast<T>(-h.lr);
  for_each_element(t.param.numel(), [=](int64_t i) {
    const T gi = grad_in(g[i], p[i]);
    const T c = m[i] * beta1 + one_minus_beta1 * gi;
    const T sign = c > T(0) ? T(1) : (c < T(0) ? T(-1) : c);  // sign, keeping 0 (and NaN)
    p[i] = decay(p[i]) + neg_lr * sign;
    m[i] = m[i] * beta2 + one_minus_beta2 * gi;
  });
}

template <typename T>
void step(OptimizerKind kind, const OptimizerHyper& h, const OptimizerTensors& t) {
  switch (kind) {
    case OptimizerKind::Sgd:
      return t.state1.defined() ? sgd<T, true>(h, t) : sgd<T, false>(h, t);
    case OptimizerKind::Adam:
      return h.amsgrad ? adam<T, true>(h, t) : adam<T, false>(h, t);
    case OptimizerKind::RmsProp:
      if (h.momentum > 0) return h.centered ? rmsprop<T, true, true>(h, t) : rmsprop<T, true, false>(h, t);
      return h.centered ? rmsprop<T, false, true>(h, t) : rmsprop<T, false, false>(h, t);
    case OptimizerKind::Adagrad: return adagrad<T>(h, t);
    case OptimizerKind::Adadelta: return adadelta<T>(h, t);
    case OptimizerKind::Adamax: return adamax<T>(h, t);
    case OptimizerKind::NAdam: return nadam<T>(h, t);
    case OptimizerKind::RAdam: return radam<T>(h, t);
    case OptimizerKind::Lion: return lion<T>(h, t);
  }
  PYDL_CHECK(false, "optimizer_step: unknown optimizer kind");
}

void optimizer_step_impl(OptimizerKind kind, const OptimizerHyper& h, const OptimizerTensors& t) {
  if (t.param.dtype() == ScalarType::Float64) return step<double>(kind, h, t);
  PYDL_CHECK(t.param.dtype() == ScalarType::Float32, "optimizer_step: the CPU kernel takes float32/float64, got ",
             t.param.dtype());
  step<float>(kind, h, t);
}

}  // namespace

PYDL_REGISTER_KERNEL(optimizer_step_kernel, &optimizer_step_impl);

}  // namespace pydl::cpu::PYDL_CPU_ISA
