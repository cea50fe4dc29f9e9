// The multi-tensor optimizer steps (see ops/optim.h): check every list, then for each parameter
// advance its step counter, work out the step-dependent coefficients in double exactly as
// torch.optim's single-tensor path does in Python, and run the update: the backend's fused
// primitive when it has one and the tensors are contiguous float32/float64, else the same rule
// composed from elementwise ops. One call per param group keeps Python out of the per-parameter
// loop; the bindings release the GIL around it.
#include <cmath>
#include <initializer_list>
#include <utility>

#include "autograd/grad_mode.h"
#include "backend/backend.h"
#include "ops/ops.h"
#include "ops/optim.h"

namespace pydl {
namespace {

// A list the op takes besides params: its name, its tensors, and whether it may be empty (an
// option that needs no such state).
struct NamedList {
  const char* name;
  const TensorList* tensors;
  bool may_be_empty = false;
};

bool is_fusable_dtype(ScalarType t) { return t == ScalarType::Float32 || t == ScalarType::Float64; }

// RuntimeError unless every list has one entry per param and each entry is a tensor of its
// param's shape, dtype and device. `allow_undefined` admits undefined entries (SGD's buffers).
void check_lists(const char* op, const TensorList& params, const TensorList& grads,
                 std::initializer_list<NamedList> states, bool allow_undefined = false) {
  const size_t n = params.size();
  PYDL_CHECK(grads.size() == n, op, ": got ", n, " params but ", grads.size(), " grads");
  for (const NamedList& l : states) {
    PYDL_CHECK(l.tensors->size() == n || (l.may_be_empty && l.tensors->empty()), op, ": got ", n, " params but ",
               l.tensors->size(), " ", l.name);
  }
  auto check_like = [&](const char* name, size_t i, const Tensor& t, const Tensor& p) {
    PYDL_CHECK(t.sizes() == p.sizes(), op, ": ", name, "[", i, "] has shape ", t.sizes(), " but params[", i,
               "] has shape ", p.sizes());
    PYDL_CHECK(t.dtype() == p.dtype(), op, ": ", name, "[", i, "] has dtype ", t.dtype(), " but params[", i,
               "] has dtype ", p.dtype());
    PYDL_CHECK(t.device() == p.device(), op, ": ", name, "[", i, "] is on ", t.device(), " but params[", i,
               "] is on ", p.device());
  };
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = params[i];
    PYDL_CHECK(p.defined(), op, ": params[", i, "] is None");
    PYDL_CHECK(is_floating(p.dtype()), op, ": params[", i, "] has dtype ", p.dtype(),
               "; optimizers update floating-point tensors only");
    PYDL_CHECK(grads[i].defined(), op, ": grads[", i, "] is None");
    check_like("grads", i, grads[i], p);
    for (const NamedList& l : states) {
      if (l.tensors->empty()) continue;
      const Tensor& s = (*l.tensors)[i];
      PYDL_CHECK(s.defined() || allow_undefined, op, ": ", l.name, "[", i, "] is None");
      if (s.defined()) check_like(l.name, i, s, p);
    }
  }
}

// Step counters and NAdam's running mu product: one-element float32/float64 CPU tensors, which
// torch.optim keeps on the CPU so that reading them costs no device sync.
void check_counters(const char* op, const char* name, const TensorList& counters, size_t n) {
  PYDL_CHECK(counters.size() == n, op, ": got ", n, " params but ", counters.size(), " ", name);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& c = counters[i];
    PYDL_CHECK(c.defined(), op, ": ", name, "[", i, "] is None");
    PYDL_CHECK(c.numel() == 1 && c.device().is_cpu() && is_fusable_dtype(c.dtype()), op, ": ", name, "[", i,
               "] must be a one-element float32/float64 CPU tensor, got shape ", c.sizes(), ", ", c.dtype(), " on ",
               c.device());
  }
}

// counter = f(counter), computed and rounded in the counter's own dtype, as torch's in-place
// `step_t += 1` and `mu_product *= mu` on a float32 tensor are; returns the new value.
template <typename F>
double update_counter(const Tensor& counter, const F& f) {
  counter.bump_version();
  if (counter.dtype() == ScalarType::Float32) {
    float* v = counter.data<float>();
    return *v = f(*v);
  }
  double* v = counter.data<double>();
  return *v = f(*v);
}
double increment_step(const Tensor& step) {
  return update_counter(step, [](auto v) { return v + decltype(v)(1); });
}
double scale_counter(const Tensor& counter, double factor) {
  return update_counter(counter, [factor](auto v) { return v * static_cast<decltype(v)>(factor); });
}

// The step-dependent coefficients are the same for every parameter at the same step count (the
// usual case: a group's states are created together), so each op computes them once per run of
// equal counts; kNoStep matches no count.
constexpr double kNoStep = -1.0;

// Runs one parameter's update: the fused primitive where it applies, else the composed ops.
// Bumps the version of every tensor written, as torch's in-place ops do.
void run_update(OptimizerKind kind, const OptimizerHyper& h, OptimizerTensors& t) {
  Backend& be = backend(t.param.device().type);
  bool fused = be.has_optimizer_step() && is_fusable_dtype(t.param.dtype()) && t.param.is_contiguous() &&
               t.grad.is_contiguous();
  for (const Tensor* s : {&t.state1, &t.state2, &t.state3}) fused = fused && (!s->defined() || s->is_contiguous());
  if (!fused) {
    composed_optimizer_step(kind, h, t);  // its in-place ops bump versions themselves
    return;
  }
  // A new SGD buffer: contiguous like the param; the kernel overwrites it with the gradient.
  if (kind == OptimizerKind::Sgd && h.init_momentum)
    t.state1 = full(t.param.sizes(), Scalar(0.0), t.param.dtype(), t.param.device());
  t.param.bump_version();
  for (const Tensor* s : {&t.state1, &t.state2, &t.state3})
    if (s->defined()) s->bump_version();
  be.optimizer_step(kind, h, t);
}

}  // namespace

TensorList sgd_step(TensorList params, TensorList grads, TensorList momentum_buffers,
                    const OptimizerHyper& options) {
  const char* op = "sgd_step";
  check_lists(op, params, grads, {{"momentum_buffers", &momentum_buffers, true}}, /*allow_undefined=*/true);
  PYDL_CHECK(options.momentum == 0 || momentum_buffers.size() == params.size(), op,
             ": momentum != 0 needs one momentum buffer (or None) per param");
  autograd::AutoGradMode no_grad(false);
  OptimizerHyper h = options;
  for (size_t i = 0; i < params.size(); ++i) {
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]),
                       options.momentum != 0 ? std::move(momentum_buffers[i]) : Tensor(), {}, {}};
    h.init_momentum = options.momentum != 0 && !t.state1.defined();
    run_update(OptimizerKind::Sgd, h, t);
    if (options.momentum != 0) momentum_buffers[i] = std::move(t.state1);
  }
  return momentum_buffers;
}

void adam_step(TensorList params, TensorList grads, TensorList exp_avgs,
               TensorList exp_avg_sqs, TensorList max_exp_avg_sqs, TensorList steps,
               const OptimizerHyper& options) {
  const char* op = "adam_step";
  check_lists(op, params, grads,
              {{"exp_avgs", &exp_avgs}, {"exp_avg_sqs", &exp_avg_sqs}, {"max_exp_avg_sqs", &max_exp_avg_sqs, true}});
  PYDL_CHECK(!options.amsgrad || max_exp_avg_sqs.size() == params.size(), op,
             ": amsgrad needs one max_exp_avg_sq per param");
  check_counters(op, "state_steps", steps, params.size());
  autograd::AutoGradMode no_grad(false);
  OptimizerHyper h = options;
  double last_step = kNoStep;
  for (size_t i = 0; i < params.size(); ++i) {
    const double step = increment_step(steps[i]);
    if (step != last_step) {
      last_step = step;
      h.step_size = h.lr / (1 - std::pow(h.beta1, step));
      h.bias_correction2_sqrt = std::pow(1 - std::pow(h.beta2, step), 0.5);
    }
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]), std::move(exp_avgs[i]), std::move(exp_avg_sqs[i]),
                       options.amsgrad ? std::move(max_exp_avg_sqs[i]) : Tensor()};
    run_update(OptimizerKind::Adam, h, t);
  }
}

void rmsprop_step(TensorList params, TensorList grads, TensorList square_avgs,
                  TensorList momentum_buffers, TensorList grad_avgs, TensorList steps,
                  const OptimizerHyper& options) {
  const char* op = "rmsprop_step";
  check_lists(op, params, grads,
              {{"square_avgs", &square_avgs}, {"momentum_buffers", &momentum_buffers, true},
               {"grad_avgs", &grad_avgs, true}});
  PYDL_CHECK(options.momentum <= 0 || momentum_buffers.size() == params.size(), op,
             ": momentum > 0 needs one momentum buffer per param");
  PYDL_CHECK(!options.centered || grad_avgs.size() == params.size(), op, ": centered needs one grad_avg per param");
  check_counters(op, "state_steps", steps, params.size());
  autograd::AutoGradMode no_grad(false);
  for (size_t i = 0; i < params.size(); ++i) {
    increment_step(steps[i]);
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]), std::move(square_avgs[i]),
                       options.momentum > 0 ? std::move(momentum_buffers[i]) : Tensor(),
                       options.centered ? std::move(grad_avgs[i]) : Tensor()};
    run_update(OptimizerKind::RmsProp, options, t);
  }
}

void adagrad_step(TensorList params, TensorList grads, TensorList state_sums,
                  TensorList steps, const OptimizerHyper& options) {
  const char* op = "adagrad_step";
  check_lists(op, params, grads, {{"state_sums", &state_sums}});
  check_counters(op, "state_steps", steps, params.size());
  autograd::AutoGradMode no_grad(false);
  OptimizerHyper h = options;
  for (size_t i = 0; i < params.size(); ++i) {
    const double step = increment_step(steps[i]);
    h.step_size = h.lr / (1 + (step - 1) * h.lr_decay);
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]), std::move(state_sums[i]), {}, {}};
    run_update(OptimizerKind::Adagrad, h, t);
  }
}

void adadelta_step(TensorList params, TensorList grads, TensorList square_avgs,
                   TensorList acc_deltas, TensorList steps, const OptimizerHyper& options) {
  const char* op = "adadelta_step";
  check_lists(op, params, grads, {{"square_avgs", &square_avgs}, {"acc_deltas", &acc_deltas}});
  check_counters(op, "state_steps", steps, params.size());
  autograd::AutoGradMode no_grad(false);
  for (size_t i = 0; i < params.size(); ++i) {
    increment_step(steps[i]);
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]), std::move(square_avgs[i]), std::move(acc_deltas[i]),
                       {}};
    run_update(OptimizerKind::Adadelta, options, t);
  }
}

void adamax_step(TensorList params, TensorList grads, TensorList exp_avgs,
                 TensorList exp_infs, TensorList steps, const OptimizerHyper& options) {
  const char* op = "adamax_step";
  check_lists(op, params, grads, {{"exp_avgs", &exp_avgs}, {"exp_infs", &exp_infs}});
  check_counters(op, "state_steps", steps, params.size());
  autograd::AutoGradMode no_grad(false);
  OptimizerHyper h = options;
  double last_step = kNoStep;
  for (size_t i = 0; i < params.size(); ++i) {
    const double step = increment_step(steps[i]);
    if (step != last_step) {
      last_step = step;
      h.step_size = h.lr / (1 - std::pow(h.beta1, step));
    }
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]), std::move(exp_avgs[i]), std::move(exp_infs[i]), {}};
    run_update(OptimizerKind::Adamax, h, t);
  }
}

void nadam_step(TensorList params, TensorList grads, TensorList exp_avgs,
                TensorList exp_avg_sqs, TensorList mu_products, TensorList steps,
                const OptimizerHyper& options) {
  const char* op = "nadam_step";
  check_lists(op, params, grads, {{"exp_avgs", &exp_avgs}, {"exp_avg_sqs", &exp_avg_sqs}});
  check_counters(op, "mu_products", mu_products, params.size());
  check_counters(op, "state_steps", steps, params.size());
  autograd::AutoGradMode no_grad(false);
  OptimizerHyper h = options;
  double last_step = kNoStep, mu = 0, mu_next = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const double step = increment_step(steps[i]);
    if (step != last_step) {
      last_step = step;
      h.bias_correction2 = 1 - std::pow(h.beta2, step);
      // The momentum schedule mu_t and the next step's mu_{t+1} (Dozat's Nesterov look-ahead).
      mu = h.beta1 * (1. - 0.5 * std::pow(0.96, step * h.momentum_decay));
      mu_next = h.beta1 * (1. - 0.5 * std::pow(0.96, (step + 1) * h.momentum_decay));
    }
    const double mu_product = scale_counter(mu_products[i], mu);
    const double mu_product_next = mu_product * mu_next;
    h.grad_coef = -h.lr * (1. - mu) / (1. - mu_product);
    h.exp_avg_coef = (-h.lr * mu_next) / (1. - mu_product_next);
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]), std::move(exp_avgs[i]), std::move(exp_avg_sqs[i]),
                       {}};
    run_update(OptimizerKind::NAdam, h, t);
  }
}

void radam_step(TensorList params, TensorList grads, TensorList exp_avgs,
                TensorList exp_avg_sqs, TensorList steps, const OptimizerHyper& options) {
  const char* op = "radam_step";
  check_lists(op, params, grads, {{"exp_avgs", &exp_avgs}, {"exp_avg_sqs", &exp_avg_sqs}});
  check_counters(op, "state_steps", steps, params.size());
  autograd::AutoGradMode no_grad(false);
  OptimizerHyper h = options;
  double last_step = kNoStep;
  for (size_t i = 0; i < params.size(); ++i) {
    const double step = increment_step(steps[i]);
    if (step != last_step) {
      last_step = step;
      h.bias_correction1 = 1 - std::pow(h.beta1, step);
      const double bias_correction2 = 1 - std::pow(h.beta2, step);
      h.bias_correction2_sqrt = std::pow(bias_correction2, 0.5);
      // The length of the approximated simple moving average, its limit, and (once it exceeds
      // 5, where the variance estimate is tractable) the rectification term.
      const double rho_inf = 2 / (1 - h.beta2) - 1;
      const double rho_t = rho_inf - 2 * step * std::pow(h.beta2, step) / bias_correction2;
      h.rect = rho_t > 5. ? std::pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t),
                                     0.5)
                          : 0.;
    }
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]), std::move(exp_avgs[i]), std::move(exp_avg_sqs[i]),
                       {}};
    run_update(OptimizerKind::RAdam, h, t);
  }
}

void lion_step(TensorList params, TensorList grads, TensorList exp_avgs,
               const OptimizerHyper& options) {
  const char* op = "lion_step";
  check_lists(op, params, grads, {{"exp_avgs", &exp_avgs}});
  OptimizerHyper h = options;
  h.decoupled_weight_decay = true;
  autograd::AutoGradMode no_grad(false);
  for (size_t i = 0; i < params.size(); ++i) {
    OptimizerTensors t{std::move(params[i]), std::move(grads[i]), std::move(exp_avgs[i]), {}, {}};
    run_update(OptimizerKind::Lion, h, t);
  }
}

}  // namespace pydl
