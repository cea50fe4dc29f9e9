// Bindings of the autograd engine: grad_fn nodes, Tensor.backward / is_leaf / retain_grad /
// register_hook, grad mode, and _C._run_backward behind pydl.autograd.backward and .grad.
#include "autograd/engine.h"
#include "ops/ops.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

using autograd::Node;
using T = Tensor;

// A Python callable kept by C++ (a hook): the GIL is taken to call it and to drop it, since
// the engine runs, and may free graphs, without the GIL.
std::shared_ptr<py::object> keep_callable(py::function fn) {
  return std::shared_ptr<py::object>(new py::object(std::move(fn)), [](py::object* o) {
    py::gil_scoped_acquire gil;
    delete o;
  });
}

std::function<Tensor(const Tensor&)> grad_hook(py::function fn) {
  return [f = keep_callable(std::move(fn))](const Tensor& g) -> Tensor {
    py::gil_scoped_acquire gil;
    py::object r = (*f)(g);
    if (r.is_none()) return Tensor();
    Tensor t;
    PYDL_CHECK_TYPE(tensor_from_python(r.ptr(), &t), "hook returned ", type_name(r), ", expected a Tensor or None");
    PYDL_CHECK(t.sizes() == g.sizes(), "hook 'hook' has changed the size of value: expected ", g.sizes(), ", got ",
               t.sizes());
    return t;
  };
}

py::object next_functions(const Node& n) {
  py::tuple out(n.next_edges().size());
  for (size_t i = 0; i < n.next_edges().size(); ++i) {
    const autograd::Edge& e = n.next_edges()[i];
    out[i] = py::make_tuple(e.node ? py::cast(e.node) : py::none(), e.input_nr);
  }
  return out;
}

// Tensors from a Python tensor or sequence of tensors.
std::vector<Tensor> tensor_seq(py::handle h, const char* what) {
  std::vector<Tensor> out;
  Tensor t;
  if (tensor_from_python(h.ptr(), &t)) return {t};
  for (py::handle item : py::iter(h)) {
    PYDL_CHECK_TYPE(tensor_from_python(item.ptr(), &t), what, " must be a Tensor or a sequence of Tensors, not ",
                    type_name(item));
    out.push_back(t);
  }
  return out;
}

// gradient=None for each root: ones for a scalar, an error otherwise (PyTorch's rule).
std::vector<Tensor> root_grads(const std::vector<Tensor>& roots, py::handle grads) {
  std::vector<Tensor> out(roots.size());
  if (!grads.is_none()) {
    Tensor t;
    size_t i = 0;
    auto take = [&](py::handle g) {
      PYDL_CHECK(i < roots.size(), "grad_tensors: got more gradients than tensors");
      if (!g.is_none()) {
        PYDL_CHECK_TYPE(tensor_from_python(g.ptr(), &t), "gradient must be a Tensor or None, not ", type_name(g));
        out[i] = t;
      }
      ++i;
    };
    if (tensor_from_python(grads.ptr(), &t)) take(grads);
    else for (py::handle g : py::iter(grads)) take(g);
  }
  for (size_t i = 0; i < roots.size(); ++i) {
    if (out[i].defined()) continue;
    PYDL_CHECK(roots[i].numel() == 1, "grad can be implicitly created only for scalar outputs");
    out[i] = full(roots[i].sizes(), Scalar(1.0), roots[i].dtype(), roots[i].device());
  }
  return out;
}

py::object run_backward(py::handle tensors, py::handle grad_tensors, py::object retain_graph, bool create_graph,
                        py::handle inputs, bool allow_unused, bool accumulate) {
  std::vector<Tensor> roots = tensor_seq(tensors, "tensors");
  std::vector<Tensor> grads = root_grads(roots, grad_tensors);
  autograd::BackwardOptions opt;
  opt.create_graph = create_graph;
  opt.keep_graph = retain_graph.is_none() ? create_graph : retain_graph.cast<bool>();
  if (!inputs.is_none()) opt.inputs = tensor_seq(inputs, "inputs");
  PYDL_CHECK(accumulate || !opt.inputs.empty(), "grad requires non-empty inputs.");
  opt.accumulate = accumulate;
  opt.allow_unused = allow_unused;
  std::vector<Tensor> result;
  {
    py::gil_scoped_release nogil;
    result = autograd::run_backward(roots, grads, opt);
  }
  if (accumulate) return py::none();
  py::tuple out(result.size());
  for (size_t i = 0; i < result.size(); ++i) out[i] = py::cast(result[i]);
  return out;
}

}  // namespace

void init_autograd(py::module_& m) {
  py::class_<Node, std::shared_ptr<Node>>(m, "Node", "A recorded op of the autograd graph (a tensor's grad_fn).")
      .def("name", &Node::name, "The op's backward name, like MulBackward0.")
      .def_property_readonly("next_functions", &next_functions,
                             "(node, input_nr) per input: where the gradients this node computes go.")
      .def("__repr__", [](const Node& n) { return "<" + n.name() + " object>"; });

  auto cls = py::reinterpret_borrow<py::class_<TensorImpl, std::shared_ptr<TensorImpl>>>(m.attr("Tensor"));
  cls.def("is_inference", [](T t) { return t.impl()->is_inference(); },
          "Whether this tensor was made under inference_mode (autograd will not save it).");
  cls.def_property_readonly("is_leaf", [](T t) { return !autograd::grad_fn(t); },
                            "True for tensors not computed by a recorded op (their grad accumulates).")
      .def_property_readonly("grad_fn", [](T t) { return autograd::grad_fn(t); },
                             "The node that computed this tensor, or None for a leaf.")
      .def_property_readonly("retains_grad", [](T t) {
        const AutogradMeta* meta = t.impl()->autograd_meta_if_any();
        return meta && meta->retains_grad;
      })
      .def("retain_grad", [](T t) {
        PYDL_CHECK(t.requires_grad(), "can't retain_grad on Tensor that has requires_grad=False");
        std::shared_ptr<Node> fn = autograd::grad_fn(t);
        AutogradMeta& meta = t.impl()->autograd_meta();
        if (!fn || meta.retains_grad) return;  // leaves keep their .grad anyway
        meta.retains_grad = true;
        fn->add_retained(meta.output_nr, t.impl_ptr());
      }, "Fill .grad of this non-leaf tensor during backward.")
      .def("register_hook", [](T t, py::function hook) {
        PYDL_CHECK(t.requires_grad(), "cannot register a hook on a tensor that doesn't require gradient");
        if (std::shared_ptr<Node> fn = autograd::grad_fn(t))
          fn->add_pre_hook(t.impl()->autograd_meta().output_nr, grad_hook(std::move(hook)));
        else
          t.impl()->autograd_meta().hooks.push_back(grad_hook(std::move(hook)));
      }, py::arg("hook"), "hook(grad) -> Tensor or None, run on this tensor's gradient during backward.")
      .def("register_post_accumulate_grad_hook", [](T t, py::function hook) {
        PYDL_CHECK(!autograd::grad_fn(t), "post accumulate grad hooks cannot be registered on non-leaf tensors");
        PYDL_CHECK(t.requires_grad(), "cannot register a hook on a tensor that doesn't require gradient");
        auto f = keep_callable(std::move(hook));
        t.impl()->autograd_meta().post_accumulate_hooks.push_back([f](const Tensor& leaf) {
          py::gil_scoped_acquire gil;
          (*f)(leaf);
        });
      }, py::arg("hook"), "hook(tensor), run after the gradient is accumulated into tensor.grad.")
      .def("backward", [](T t, py::object gradient, py::object retain_graph, bool create_graph, py::object inputs) {
        run_backward(py::cast(t), gradient.is_none() ? gradient : py::make_tuple(gradient), retain_graph,
                     create_graph, inputs, /*allow_unused=*/true, /*accumulate=*/true);
      }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
         py::arg("inputs") = py::none(),
         "Computes the gradient of this tensor w.r.t. the graph leaves and accumulates it into their .grad.");

  m.def("_run_backward", &run_backward, py::arg("tensors"), py::arg("grad_tensors"), py::arg("retain_graph"),
        py::arg("create_graph"), py::arg("inputs"), py::arg("allow_unused"), py::arg("accumulate"));
  m.def("is_grad_enabled", &autograd::GradMode::is_enabled, "Whether ops record autograd history on this thread.");
  m.def("_set_grad_enabled", &autograd::GradMode::set_enabled, py::arg("enabled"));
  m.def("is_inference_mode_enabled", &autograd::InferenceMode::is_enabled,
        "Whether inference_mode is on on this thread (tensors made now are inference tensors).");
  m.def("_set_inference_mode", &autograd::InferenceMode::set_enabled, py::arg("enabled"));
}

}  // namespace pydl::python
