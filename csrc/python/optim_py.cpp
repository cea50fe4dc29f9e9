// Bindings of the multi-tensor optimizer steps (csrc/ops/optim.cpp) as pydl._C._optim.<name>_step:
// the lists of one param group (params, grads or None for the params' own .grad, state tensors,
// step counters) positionally, the group's hyper-parameters as keywords. The lists are read
// with the GIL held, the step runs without it. pydl/optim/*.py are the callers.
#include "ops/optim.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

using py::arg;

// A list or tuple of tensors (None entries allowed where `allow_none`: undefined tensors), with
// a TypeError naming the op, the argument and the entry otherwise.
TensorList tensor_list(py::handle seq, const char* op, const char* name, bool allow_none = false) {
  PYDL_CHECK_TYPE(PyList_Check(seq.ptr()) || PyTuple_Check(seq.ptr()), op, "(): ", name,
                  " must be a list or tuple of tensors, not ", type_name(seq));
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  TensorList out(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (tensor_from_python(items[i], &out[i])) continue;
    PYDL_CHECK_TYPE(allow_none && items[i] == Py_None, op, "(): ", name, "[", i, "] must be a Tensor, not ",
                    type_name(items[i]));
  }
  return out;
}

// Runs f() without the GIL.
template <typename F>
auto nogil(const F& f) {
  py::gil_scoped_release release;
  return f();
}

// The tensors of `params` whose .grad is set: the gather every Optimizer.step starts with,
// without a Python attribute lookup per parameter.
py::list params_with_grad(py::handle params) {
  const char* op = "params_with_grad";
  PYDL_CHECK_TYPE(PyList_Check(params.ptr()) || PyTuple_Check(params.ptr()), op,
                  "(): params must be a list or tuple of tensors, not ", type_name(params));
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(params.ptr());
  PyObject** items = PySequence_Fast_ITEMS(params.ptr());
  py::list with_grad;
  for (Py_ssize_t i = 0; i < n; ++i) {
    Tensor t;
    PYDL_CHECK_TYPE(tensor_from_python(items[i], &t), op, "(): params[", i, "] must be a Tensor, not ",
                    type_name(items[i]));
    const AutogradMeta* meta = t.impl()->autograd_meta_if_any();
    if (meta && meta->grad) with_grad.append(py::handle(items[i]));
  }
  return with_grad;
}

// The grads argument: a list of tensors, or None for each param's own .grad (what
// Optimizer.step passes, sparing a Python object per gradient).
TensorList grad_list(py::handle grads, const TensorList& params, const char* op) {
  if (!grads.is_none()) return tensor_list(grads, op, "grads");
  TensorList out(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const AutogradMeta* meta = params[i].impl()->autograd_meta_if_any();
    PYDL_CHECK(meta && meta->grad, op, ": params[", i, "] has no grad (grads=None reads each param's .grad)");
    out[i] = Tensor(meta->grad);
  }
  return out;
}

void def_sgd(py::module_& m) {
  m.def("sgd_step", [](py::handle params, py::handle grads, py::handle bufs, double lr, double momentum,
                       double dampening, double weight_decay, bool nesterov, bool maximize) {
    const char* op = "sgd_step";
    OptimizerHyper h;
    h.lr = lr, h.momentum = momentum, h.dampening = dampening, h.weight_decay = weight_decay;
    h.nesterov = nesterov, h.maximize = maximize;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList b = tensor_list(bufs, op, "momentum_buffers", /*allow_none=*/true);
    return nogil([&] { return sgd_step(std::move(p), std::move(g), std::move(b), h); });
  }, arg("params"), arg("grads"), arg("momentum_buffers"), py::kw_only(), arg("lr"), arg("momentum"),
     arg("dampening"), arg("weight_decay"), arg("nesterov"), arg("maximize"),
     "SGD step over one param group; returns the momentum buffers (new ones where None was passed).");
}

void def_adam_family(py::module_& m) {
  m.def("adam_step", [](py::handle params, py::handle grads, py::handle exp_avgs, py::handle exp_avg_sqs,
                        py::handle max_exp_avg_sqs, py::handle steps, double lr, double beta1, double beta2,
                        double eps, double weight_decay, bool amsgrad, bool maximize, bool decoupled_weight_decay) {
    const char* op = "adam_step";
    OptimizerHyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.eps = eps, h.weight_decay = weight_decay;
    h.amsgrad = amsgrad, h.maximize = maximize, h.decoupled_weight_decay = decoupled_weight_decay;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList m1 = tensor_list(exp_avgs, op, "exp_avgs"), m2 = tensor_list(exp_avg_sqs, op, "exp_avg_sqs");
    TensorList mx = tensor_list(max_exp_avg_sqs, op, "max_exp_avg_sqs"), s = tensor_list(steps, op, "state_steps");
    nogil([&] {
      adam_step(std::move(p), std::move(g), std::move(m1), std::move(m2), std::move(mx), std::move(s), h);
    });
  }, arg("params"), arg("grads"), arg("exp_avgs"), arg("exp_avg_sqs"), arg("max_exp_avg_sqs"), arg("state_steps"),
     py::kw_only(), arg("lr"), arg("beta1"), arg("beta2"), arg("eps"), arg("weight_decay"), arg("amsgrad"),
     arg("maximize"), arg("decoupled_weight_decay"), "Adam / AdamW step over one param group.");

  m.def("adamax_step", [](py::handle params, py::handle grads, py::handle exp_avgs, py::handle exp_infs,
                          py::handle steps, double lr, double beta1, double beta2, double eps, double weight_decay,
                          bool maximize) {
    const char* op = "adamax_step";
    OptimizerHyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.eps = eps, h.weight_decay = weight_decay, h.maximize = maximize;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList m1 = tensor_list(exp_avgs, op, "exp_avgs"), u = tensor_list(exp_infs, op, "exp_infs");
    TensorList s = tensor_list(steps, op, "state_steps");
    nogil([&] { adamax_step(std::move(p), std::move(g), std::move(m1), std::move(u), std::move(s), h); });
  }, arg("params"), arg("grads"), arg("exp_avgs"), arg("exp_infs"), arg("state_steps"), py::kw_only(), arg("lr"),
     arg("beta1"), arg("beta2"), arg("eps"), arg("weight_decay"), arg("maximize"),
     "Adamax step over one param group.");

  m.def("nadam_step", [](py::handle params, py::handle grads, py::handle exp_avgs, py::handle exp_avg_sqs,
                         py::handle mu_products, py::handle steps, double lr, double beta1, double beta2, double eps,
                         double weight_decay, double momentum_decay, bool decoupled_weight_decay, bool maximize) {
    const char* op = "nadam_step";
    OptimizerHyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.eps = eps, h.weight_decay = weight_decay;
    h.momentum_decay = momentum_decay, h.decoupled_weight_decay = decoupled_weight_decay, h.maximize = maximize;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList m1 = tensor_list(exp_avgs, op, "exp_avgs"), m2 = tensor_list(exp_avg_sqs, op, "exp_avg_sqs");
    TensorList mu = tensor_list(mu_products, op, "mu_products"), s = tensor_list(steps, op, "state_steps");
    nogil([&] {
      nadam_step(std::move(p), std::move(g), std::move(m1), std::move(m2), std::move(mu), std::move(s), h);
    });
  }, arg("params"), arg("grads"), arg("exp_avgs"), arg("exp_avg_sqs"), arg("mu_products"), arg("state_steps"),
     py::kw_only(), arg("lr"), arg("beta1"), arg("beta2"), arg("eps"), arg("weight_decay"), arg("momentum_decay"),
     arg("decoupled_weight_decay"), arg("maximize"), "NAdam step over one param group.");

  m.def("radam_step", [](py::handle params, py::handle grads, py::handle exp_avgs, py::handle exp_avg_sqs,
                         py::handle steps, double lr, double beta1, double beta2, double eps, double weight_decay,
                         bool decoupled_weight_decay, bool maximize) {
    const char* op = "radam_step";
    OptimizerHyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.eps = eps, h.weight_decay = weight_decay;
    h.decoupled_weight_decay = decoupled_weight_decay, h.maximize = maximize;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList m1 = tensor_list(exp_avgs, op, "exp_avgs"), m2 = tensor_list(exp_avg_sqs, op, "exp_avg_sqs");
    TensorList s = tensor_list(steps, op, "state_steps");
    nogil([&] { radam_step(std::move(p), std::move(g), std::move(m1), std::move(m2), std::move(s), h); });
  }, arg("params"), arg("grads"), arg("exp_avgs"), arg("exp_avg_sqs"), arg("state_steps"), py::kw_only(), arg("lr"),
     arg("beta1"), arg("beta2"), arg("eps"), arg("weight_decay"), arg("decoupled_weight_decay"), arg("maximize"),
     "RAdam step over one param group.");

  m.def("lion_step", [](py::handle params, py::handle grads, py::handle exp_avgs, double lr, double beta1,
                        double beta2, double weight_decay, bool maximize) {
    const char* op = "lion_step";
    OptimizerHyper h;
    h.lr = lr, h.beta1 = beta1, h.beta2 = beta2, h.weight_decay = weight_decay, h.maximize = maximize;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList m1 = tensor_list(exp_avgs, op, "exp_avgs");
    nogil([&] { lion_step(std::move(p), std::move(g), std::move(m1), h); });
  }, arg("params"), arg("grads"), arg("exp_avgs"), py::kw_only(), arg("lr"), arg("beta1"), arg("beta2"),
     arg("weight_decay"), arg("maximize"), "Lion step over one param group.");
}

void def_adaptive(py::module_& m) {
  m.def("rmsprop_step", [](py::handle params, py::handle grads, py::handle square_avgs, py::handle bufs,
                           py::handle grad_avgs, py::handle steps, double lr, double alpha, double eps,
                           double weight_decay, double momentum, bool centered, bool maximize) {
    const char* op = "rmsprop_step";
    OptimizerHyper h;
    h.lr = lr, h.alpha = alpha, h.eps = eps, h.weight_decay = weight_decay, h.momentum = momentum;
    h.centered = centered, h.maximize = maximize;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList sq = tensor_list(square_avgs, op, "square_avgs"), b = tensor_list(bufs, op, "momentum_buffers");
    TensorList ga = tensor_list(grad_avgs, op, "grad_avgs"), s = tensor_list(steps, op, "state_steps");
    nogil([&] {
      rmsprop_step(std::move(p), std::move(g), std::move(sq), std::move(b), std::move(ga), std::move(s), h);
    });
  }, arg("params"), arg("grads"), arg("square_avgs"), arg("momentum_buffers"), arg("grad_avgs"), arg("state_steps"),
     py::kw_only(), arg("lr"), arg("alpha"), arg("eps"), arg("weight_decay"), arg("momentum"), arg("centered"),
     arg("maximize"), "RMSprop step over one param group.");

  m.def("adagrad_step", [](py::handle params, py::handle grads, py::handle sums, py::handle steps, double lr,
                           double weight_decay, double lr_decay, double eps, bool maximize) {
    const char* op = "adagrad_step";
    OptimizerHyper h;
    h.lr = lr, h.weight_decay = weight_decay, h.lr_decay = lr_decay, h.eps = eps, h.maximize = maximize;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList sm = tensor_list(sums, op, "state_sums"), s = tensor_list(steps, op, "state_steps");
    nogil([&] { adagrad_step(std::move(p), std::move(g), std::move(sm), std::move(s), h); });
  }, arg("params"), arg("grads"), arg("state_sums"), arg("state_steps"), py::kw_only(), arg("lr"),
     arg("weight_decay"), arg("lr_decay"), arg("eps"), arg("maximize"), "Adagrad step over one param group.");

  m.def("adadelta_step", [](py::handle params, py::handle grads, py::handle square_avgs, py::handle acc_deltas,
                            py::handle steps, double lr, double rho, double eps, double weight_decay, bool maximize) {
    const char* op = "adadelta_step";
    OptimizerHyper h;
    h.lr = lr, h.rho = rho, h.eps = eps, h.weight_decay = weight_decay, h.maximize = maximize;
    TensorList p = tensor_list(params, op, "params"), g = grad_list(grads, p, op);
    TensorList sq = tensor_list(square_avgs, op, "square_avgs"), acc = tensor_list(acc_deltas, op, "acc_deltas");
    TensorList s = tensor_list(steps, op, "state_steps");
    nogil([&] { adadelta_step(std::move(p), std::move(g), std::move(sq), std::move(acc), std::move(s), h); });
  }, arg("params"), arg("grads"), arg("square_avgs"), arg("acc_deltas"), arg("state_steps"), py::kw_only(),
     arg("lr"), arg("rho"), arg("eps"), arg("weight_decay"), arg("maximize"), "Adadelta step over one param group.");
}

}  // namespace

void init_optim(py::module_& root) {
  py::module_ m = root.def_submodule("_optim", "The multi-tensor optimizer steps behind pydl.optim.");
  m.def("params_with_grad", &params_with_grad, arg("params"),
        "params_with_grad(params) -> the params whose .grad is not None, in order.");
  def_sgd(m);
  def_adam_family(m);
  def_adaptive(m);
}

}  // namespace pydl::python
