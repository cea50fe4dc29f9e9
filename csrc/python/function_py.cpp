// The C++ half of pydl.autograd.Function: a node whose backward calls back into Python.
// pydl/autograd/function.py runs the user's forward and then hands the outputs to
// _C._record_function, which makes them the node's outputs. Saved tensors live in the node
// (version-checked and released like any op's); the Python backward gets them unpacked.
#include "autograd/node.h"
#include "python/bindings.h"

namespace pydl::python {
namespace {

using autograd::Node;

class PyFunctionNode final : public Node {
 public:
  PyFunctionNode(std::string name, std::vector<autograd::Edge> edges, py::object backward, bool materialize)
      : Node(std::move(edges)), name_(std::move(name)), backward_(std::move(backward)), materialize_(materialize) {}
  ~PyFunctionNode() override {
    py::gil_scoped_acquire gil;  // the engine may free graphs without the GIL
    backward_ = py::object();
  }
  std::string name() const override { return name_; }
  bool materialize_grads() const override { return materialize_; }

  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    std::vector<Tensor> saved = unpack_saved();
    py::gil_scoped_acquire gil;
    py::tuple py_saved(saved.size()), py_grads(grads.size());
    for (size_t i = 0; i < saved.size(); ++i) py_saved[i] = py::cast(saved[i]);
    for (size_t i = 0; i < grads.size(); ++i) py_grads[i] = py::cast(grads[i]);  // undefined -> None
    py::object result = backward_(py_saved, py_grads);  // one entry per tensor input (see function.py)
    std::vector<Tensor> out(next_edges_.size());
    size_t i = 0;
    for (py::handle g : result) {
      PYDL_CHECK(i < out.size(), "function ", name_, " returned too many gradients");
      if (!g.is_none()) {
        PYDL_CHECK_TYPE(tensor_from_python(g.ptr(), &out[i]), "function ", name_,
                        " returned a gradient that is not a Tensor or None (", type_name(g), ") at index ", i);
      }
      ++i;
    }
    return out;
  }

 private:
  std::string name_;
  py::object backward_;
  bool materialize_;
};

// Makes `outputs` the results of a PyFunctionNode over `inputs`. `differentiable[i]` says
// whether output i gets history (mark_non_differentiable), `dirty` lists inputs modified in
// place and returned (mark_dirty), `to_save` the tensors saved for backward.
py::object record_function(const std::string& name, const std::vector<Tensor>& inputs,
                           const std::vector<Tensor>& outputs, const std::vector<bool>& differentiable,
                           const std::vector<Tensor>& dirty, const std::vector<Tensor>& to_save, py::object backward,
                           bool materialize) {
  for (const Tensor& d : dirty) {
    PYDL_CHECK(!(d.requires_grad() && !autograd::grad_fn(d)),
               "a leaf Variable that requires grad has been used in an in-place operation.");
  }
  std::vector<autograd::Edge> edges;
  for (const Tensor& t : inputs) edges.push_back(autograd::gradient_edge(t));
  auto node = std::make_shared<PyFunctionNode>(name, std::move(edges), std::move(backward), materialize);
  for (const Tensor& t : inputs) node->add_input(t);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    const uint32_t nr = node->add_output(out);
    if (!differentiable[i] || !is_floating(out.dtype())) continue;
    AutogradMeta& meta = out.impl()->autograd_meta();
    meta.requires_grad = true;
    meta.grad_fn = node;
    meta.output_nr = nr;
  }
  for (const Tensor& t : to_save) {
    bool is_output = false;
    for (const Tensor& o : outputs) is_output |= o.is_same(t);
    node->save(t, is_output);
  }
  return py::cast(std::static_pointer_cast<Node>(node));
}

}  // namespace

void init_function(py::module_& m) {
  m.def("_record_function", &record_function, py::arg("name"), py::arg("inputs"), py::arg("outputs"),
        py::arg("differentiable"), py::arg("dirty"), py::arg("to_save"), py::arg("backward"), py::arg("materialize"));
}

}  // namespace pydl::python
